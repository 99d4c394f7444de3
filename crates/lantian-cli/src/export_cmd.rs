//! `lantian export problems|inspections|cases|accountability`: a ledger from the store as the .xlsx or CSV
//! officials share (`lantian-export`), names resolved from the store's units, people, regions
//! and sources and the embedded campaign templates. The file is written atomically by the
//! caller (`--output`), so a failed export leaves no half-written file.

use crate::cli::{ExportArgs, ExportFormat, ExportWhat, Lang};
use crate::db::{Db, with_store};
use crate::ledger_cmd::SystemClock;
use anyhow::Context;
use lantian_domain::Clock;
use lantian_domain::campaign::Catalog;
use lantian_domain::inspection::NightWindow;
use lantian_export::{self as x, Names, Table};
use lantian_store::inspections::{InspectionFilter, InspectionStore};
use lantian_store::ledger::{LedgerStore, Page, ProblemFilter};
use lantian_store::records::{RecordFilter, RecordStore};
use lantian_store::{SourceFilter, Store};

/// Rows read per query.
const PAGE: u32 = 1000;

/// Run `lantian export …`: the bytes of the file.
pub(crate) async fn export(a: &ExportArgs) -> anyhow::Result<Vec<u8>> {
    let db = Db::open(&a.db.db).await?;
    let out = with_store!(&db, |s| table(s, a).await);
    db.close().await;
    let as_of = SystemClock.now();
    let t = out?;
    match a.format {
        ExportFormat::Xlsx => x::to_xlsx(&[t], as_of).context("writing the workbook"),
        ExportFormat::Csv => x::to_csv(&t).context("writing the CSV"),
    }
}

async fn names<S: Store>(s: &S) -> anyhow::Result<Names> {
    let mut n = Names {
        campaigns: Catalog::embedded().context("the embedded campaign templates")?,
        ..Names::default()
    };
    n.units = s
        .units()
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    n.people = s
        .people()
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    n.regions = s
        .regions()
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    n.sources = s
        .sources(&SourceFilter::default())
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    Ok(n)
}

async fn table<S: Store + LedgerStore + RecordStore + InspectionStore>(
    s: &S,
    a: &ExportArgs,
) -> anyhow::Result<Table> {
    let lang = match a.lang {
        Lang::Zh => x::Lang::Zh,
        Lang::En => x::Lang::En,
    };
    let names = names(s).await?;
    let mut page = Page {
        after: None,
        limit: PAGE,
    };
    Ok(match a.what {
        ExportWhat::Problems => {
            let mut rows = Vec::new();
            loop {
                let got = s.problems(&ProblemFilter::default(), page).await?;
                rows.extend(got.items);
                match got.next {
                    Some(n) => page.after = Some(n),
                    None => break,
                }
            }
            x::problems_table(&rows, &names, lang, SystemClock.now())
        }
        ExportWhat::Inspections => {
            let mut rows = Vec::new();
            let mut titles: std::collections::HashMap<u64, Option<String>> =
                std::collections::HashMap::new();
            loop {
                let got = s
                    .inspection_records(&InspectionFilter::default(), page)
                    .await?;
                for f in got.items {
                    let title = match f.record.plan {
                        Some(id) => match titles.get(&id) {
                            Some(t) => Option::clone(t),
                            None => {
                                let t = s.plan(id).await?.map(|p| p.title);
                                titles.insert(id, t.clone());
                                t
                            }
                        },
                        None => None,
                    };
                    rows.push(x::InspectionRow {
                        too_far: f.check.too_far,
                        problems: f.problems,
                        title,
                        record: f.record,
                    });
                }
                match got.next {
                    Some(n) => page.after = Some(n),
                    None => break,
                }
            }
            x::inspections_table(&rows, &names, lang, &NightWindow::default())
        }
        ExportWhat::Cases => {
            let mut rows = Vec::new();
            loop {
                let got = s.cases(&RecordFilter::default(), page).await?;
                rows.extend(got.items);
                match got.next {
                    Some(n) => page.after = Some(n),
                    None => break,
                }
            }
            x::cases_table(&rows, &names, lang)
        }
        ExportWhat::Accountability => {
            let mut rows = Vec::new();
            loop {
                let got = s.accountability(&RecordFilter::default(), page).await?;
                rows.extend(got.items);
                match got.next {
                    Some(n) => page.after = Some(n),
                    None => break,
                }
            }
            x::accountability_table(&rows, &names, lang)
        }
    })
}

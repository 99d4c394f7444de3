//! The inspection pages (检查): the plan list `/inspections` (filters campaign, mode, local
//! days; keyset pages of 50) and a plan `/inspections/{id}` with its team, its targets (or only
//! its seal while a 四不两直 plan is undispatched), the records filed on it (check-in time and
//! place, distance flag, night, failed items) and the problems their findings raised, linked to
//! the ledger.
//!
//! Who sees what is the API's rule ([`sees_plan`], [`sees_record`], the scoped filter of
//! [`inspection_filter`]): district roles every plan; unit roles plans with a revealed target
//! of their unit; grid roles plans with a revealed target in their grids — and only the
//! records in their scope.

use crate::api_inspections::{inspection_filter, plan_records, sees_plan};
use crate::auth::{Caller, Perm};
use crate::error::{ApiError, ErrorCode};
use crate::extract::{P, Q};
use crate::pages::{base_ctx, error_page, page, page_caller};
use crate::pages_ledger::{filter_qs, nonempty};
use crate::state::App;
use crate::web::Lang;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use lantian_domain::campaign::Catalog;
use lantian_domain::inspection::{InspectionMode, InspectionPlan, Outcome, Placement};
use lantian_domain::{PersonId, RegionCode, Timestamp, UnitCode};
use lantian_store::Store;
use lantian_store::inspections::{FiledRecord, InspectionStore};
use lantian_store::ledger::{LedgerStore, Page};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Plans per page.
pub const PER_PAGE: u32 = 50;

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::embedded().unwrap_or_default())
}

fn local_minute(t: Timestamp) -> String {
    let s = t.local_seconds_of_day();
    format!("{} {:02}:{:02}", t.local_date(), s / 3600, s / 60 % 60)
}

fn campaign_name(code: &str, lang: Lang) -> String {
    catalog().get(code).map_or_else(
        || code.to_owned(),
        |c| match lang {
            Lang::Zh => c.name_zh.clone(),
            Lang::En => c.name_en.clone(),
        },
    )
}

/// Query of `/inspections`.
#[derive(Debug, Default, Deserialize)]
pub struct InspectionsQuery {
    /// Campaign code.
    pub campaign: Option<String>,
    /// Mode code.
    pub mode: Option<String>,
    /// From local day.
    pub from: Option<String>,
    /// To local day (inclusive).
    pub to: Option<String>,
    /// Keyset cursor.
    pub after: Option<u64>,
    /// `?lang=`.
    pub lang: Option<String>,
}

/// A plan as the list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    /// Plan number.
    pub id: u64,
    /// 检查名称.
    pub title: String,
    /// Campaign name.
    pub campaign: String,
    /// Mode code (its label comes from the locale: `mode.<code>`).
    pub mode: String,
    /// Planned time, local.
    pub planned_for: String,
    /// Targets' names, or empty while sealed.
    pub targets: String,
    /// Sealed and not yet dispatched.
    pub sealed: bool,
    /// The seal's first 12 hex digits.
    pub seal: String,
    /// Dispatched at, local.
    pub dispatched_at: Option<String>,
}

fn plan_row(p: &InspectionPlan, lang: Lang) -> PlanRow {
    let names: Vec<&str> = p
        .visible_targets()
        .unwrap_or(&[])
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    PlanRow {
        id: p.id,
        title: p.title.clone(),
        campaign: campaign_name(&p.campaign, lang),
        mode: p.mode.code().to_owned(),
        planned_for: local_minute(p.planned_for),
        targets: names.join("、"),
        sealed: p.visible_targets().is_none(),
        seal: p
            .seal()
            .map(|h| h.as_str().chars().take(12).collect())
            .unwrap_or_default(),
        dispatched_at: p.dispatched_at.map(local_minute),
    }
}

/// 检查: the plans the caller sees, filtered.
pub async fn inspections(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<InspectionsQuery>,
) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match list_ctx(&app, &caller, &q, lang).await {
        Ok(extra) => {
            let ctx = context! { ..base_ctx(lang, &caller, "inspections"), ..extra };
            page(&app, lang, q.lang.is_some(), "inspections.html", ctx)
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

async fn list_ctx(
    app: &App,
    c: &Caller,
    q: &InspectionsQuery,
    lang: Lang,
) -> Result<Value, ApiError> {
    c.require(Perm::LedgerPages)?;
    let filter = inspection_filter(
        c,
        nonempty(&q.campaign),
        nonempty(&q.mode),
        None,
        None,
        (nonempty(&q.from), nonempty(&q.to)),
    )?;
    let (rows, total, next) = match filter {
        Some(f) => {
            let got = app
                .db
                .plans(
                    &f,
                    Page {
                        after: q.after,
                        limit: PER_PAGE,
                    },
                )
                .await?;
            (
                got.items.iter().map(|p| plan_row(p, lang)).collect(),
                got.total,
                got.next,
            )
        }
        None => (Vec::new(), 0, None),
    };
    let campaigns: Vec<(String, String)> = catalog()
        .campaigns()
        .iter()
        .map(|x| (x.code.clone(), campaign_name(&x.code, lang)))
        .collect();
    Ok(context! {
        rows => Serde(rows),
        total => total,
        next => next,
        paged => q.after.is_some(),
        filter_qs => filter_qs(&[
            ("campaign", &q.campaign),
            ("mode", &q.mode),
            ("from", &q.from),
            ("to", &q.to),
        ]),
        campaigns => campaigns,
        modes => InspectionMode::ALL.iter().map(|m| m.code()).collect::<Vec<_>>(),
        f_campaign => nonempty(&q.campaign).unwrap_or(""),
        f_mode => nonempty(&q.mode).unwrap_or(""),
        f_from => nonempty(&q.from).unwrap_or(""),
        f_to => nonempty(&q.to).unwrap_or(""),
    })
}

/// A record as the plan page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordRow {
    /// Record number.
    pub id: u64,
    /// Check-in, local.
    pub at: String,
    /// Target name.
    pub target: String,
    /// Inspectors' names.
    pub inspectors: String,
    /// `lon,lat`.
    pub position: String,
    /// Distance to the target in metres, when known.
    pub distance: Option<i64>,
    /// Flagged: too far (or nothing to compare with).
    pub too_far: bool,
    /// Checked in at night.
    pub night: bool,
    /// Failed checklist items.
    pub failed: usize,
    /// Problems raised.
    pub problems: Vec<u64>,
}

/// A problem raised, as the plan page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RaisedRow {
    /// Ledger number.
    pub id: u64,
    /// The record.
    pub record: u64,
    /// Description.
    pub description: String,
    /// State code.
    pub state: String,
}

fn record_row(f: &FiledRecord, people: &HashMap<PersonId, String>) -> RecordRow {
    let r = &f.record;
    let name = |p: &PersonId| people.get(p).cloned().unwrap_or_else(|| p.to_string());
    RecordRow {
        id: r.id,
        at: local_minute(r.check_in.at),
        target: r.target.name.clone(),
        inspectors: r
            .inspectors
            .iter()
            .map(|m| name(&m.person))
            .collect::<Vec<_>>()
            .join("、"),
        position: format!(
            "{:.5},{:.5}",
            r.check_in.position.lon, r.check_in.position.lat
        ),
        distance: match f.check.placement {
            Placement::Point { distance_m } | Placement::Grid { distance_m } => {
                Some(distance_m.round() as i64)
            }
            Placement::Unknown => None,
        },
        too_far: f.check.too_far,
        night: f.check.night,
        failed: r
            .results
            .iter()
            .filter(|x| x.outcome == Outcome::Fail)
            .count(),
        problems: f.problems.clone(),
    }
}

/// A plan with its records and the problems they raised.
pub async fn inspection(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P(id): P<u64>,
    Q(q): Q<InspectionsQuery>,
) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match detail_ctx(&app, &caller, id, lang).await {
        Ok(extra) => {
            let ctx = context! { ..base_ctx(lang, &caller, "inspections"), ..extra };
            page(&app, lang, q.lang.is_some(), "inspection.html", ctx)
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

async fn detail_ctx(app: &App, c: &Caller, id: u64, lang: Lang) -> Result<Value, ApiError> {
    c.require(Perm::LedgerPages)?;
    let p =
        app.db.plan(id).await?.ok_or_else(|| {
            ApiError::new(ErrorCode::NotFound, format!("inspection {id} not found"))
        })?;
    if !sees_plan(c, &p) {
        return Err(ApiError::new(
            ErrorCode::OutOfScope,
            format!("inspection {id} is outside your scope"),
        ));
    }
    let people: HashMap<PersonId, String> = app
        .db
        .people()
        .await?
        .into_iter()
        .map(|x| (x.id, x.name))
        .collect();
    let units: HashMap<UnitCode, String> = app
        .db
        .units()
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let regions: HashMap<RegionCode, String> = app
        .db
        .regions()
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let records = plan_records(app, c, id).await?;
    let mut raised = Vec::new();
    for f in &records {
        for pid in &f.problems {
            if let Some(pr) = app.db.problem(*pid).await? {
                raised.push(RaisedRow {
                    id: pr.id,
                    record: f.record.id,
                    description: pr.description.clone(),
                    state: pr.state.code().to_owned(),
                });
            }
        }
    }
    let team: Vec<String> = p
        .team
        .iter()
        .map(|m| {
            format!(
                "{}（{}）",
                people
                    .get(&m.person)
                    .cloned()
                    .unwrap_or_else(|| m.person.to_string()),
                units
                    .get(&m.unit)
                    .cloned()
                    .unwrap_or_else(|| m.unit.to_string())
            )
        })
        .collect();
    let targets: Vec<(String, String, String)> = p
        .visible_targets()
        .unwrap_or(&[])
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.grid
                    .as_ref()
                    .map(|g| regions.get(g).cloned().unwrap_or_else(|| g.to_string()))
                    .unwrap_or_default(),
                t.unit
                    .as_ref()
                    .map(|u| units.get(u).cloned().unwrap_or_else(|| u.to_string()))
                    .unwrap_or_default(),
            )
        })
        .collect();
    Ok(context! {
        plan => Serde(plan_row(&p, lang)),
        seal_full => p.seal().map(|h| h.to_string()).unwrap_or_default(),
        team => team,
        targets => targets,
        records => Serde(records.iter().map(|f| record_row(f, &people)).collect::<Vec<_>>()),
        raised => Serde(raised),
    })
}

/// Context for the render-everything test.
pub fn sample_extra(name: &str) -> Option<Value> {
    let row = PlanRow {
        id: 3,
        title: "<script>alert(3)</script> 夜查".into(),
        campaign: "大气污染防治攻坚".into(),
        mode: "unannounced".into(),
        planned_for: "2025-01-30 21:00".into(),
        targets: "卓立膜材料".into(),
        sealed: false,
        seal: "0123456789ab".into(),
        dispatched_at: Some("2025-01-30 21:00".into()),
    };
    match name {
        "inspections.html" => Some(context! {
            rows => Serde(vec![row]), total => 1, next => Some(3), paged => true,
            filter_qs => "mode=night", campaigns => vec![("air", "大气污染防治攻坚")],
            modes => InspectionMode::ALL.iter().map(|m| m.code()).collect::<Vec<_>>(),
            f_campaign => "air", f_mode => "night", f_from => "2025-01-01", f_to => "",
        }),
        "inspection.html" => Some(context! {
            plan => Serde(row), seal_full => "0123456789abcdef", team => vec!["李敏（督查科）"],
            targets => vec![("<b>卓立膜材料</b>", "李万街道第1网格", "科工中心")],
            records => Serde(vec![RecordRow { id: 1, at: "2025-01-30 22:15".into(),
                target: "卓立膜材料".into(), inspectors: "李敏".into(),
                position: "113.30000,35.20100".into(), distance: Some(111), too_far: false,
                night: true, failed: 1, problems: vec![61] }]),
            raised => Serde(vec![RaisedRow { id: 61, record: 1,
                description: "VOCs 收集设施未运行".into(), state: "new".into() }]),
        }),
        _ => None,
    }
}

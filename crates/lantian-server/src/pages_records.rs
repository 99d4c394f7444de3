//! The closed loop's remaining dashboard pages: 污染源 `/sources` (registry with kind, grid
//! and unit filters) and a source `/sources/{id}` (its problem history and cases), 执法
//! `/cases` (list, filing form) and a case `/cases/{id}` (its steps and the steps the viewer
//! may take, as CSRF-protected forms), 问责 `/accountability` (list, decision form), and 排名
//! `/rankings` (towns and sub-districts by PM2.5 and composite index over a period, from
//! `lantian-aq`; units by on-time closure, overdue and rebound counts from the ledger, from
//! `lantian_domain::scorecard`).
//!
//! Authorization is the API's: the same [`Perm`]s and scopes ([`record_unit`],
//! [`Scope::sees_source`], [`sees`]). Which case steps a page offers is decided by the
//! domain's one `enforcement::transition`, tried on the case as it is; the POST goes through
//! [`RecordStore::transition_case`], which decides again in the write transaction.

use crate::air;
use crate::api_records::{case_evidence, known_sources, record_unit, sees_record};
use crate::auth::{Caller, Perm};
use crate::error::{ApiError, ErrorCode};
use crate::extract::{P, Q};
use crate::pages::{base_ctx, error_page, page, page_caller};
use crate::pages_ledger::{
    Names, ProblemRow, filter_qs, from_browser, local_minute, nonempty, photo_caller, row,
    sandboxed, sees, store_photo, unit_choices,
};
use crate::state::App;
use crate::web::Lang;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use lantian_aq::Date;
use lantian_aq::composite::{Order, rank_competition};
use lantian_domain::accountability::{AccountabilityDraft, AccountabilityKind, Subject};
use lantian_domain::enforcement::{
    CaseAction, CaseDraft, CaseState, EnforcementCase, Fen, transition,
};
use lantian_domain::hash::ContentHash;
use lantian_domain::ledger::Actor;
use lantian_domain::region::RegionLevel;
use lantian_domain::scorecard::scorecards;
use lantian_domain::source::{Source, SourceKind};
use lantian_domain::{PersonId, RegionCode, SourceId, Timestamp, UnitCode};
use lantian_store::ledger::{LedgerStore, Page};
use lantian_store::records::{RecordFilter, RecordStore};
use lantian_store::{SourceFilter, Store};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Records per list page.
pub const PER_PAGE: u32 = 50;

/// Query of the list pages.
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    /// `zh-CN` or `en`.
    pub lang: Option<String>,
    /// Cases: a state code; accountability: a kind code.
    pub state: Option<String>,
    /// A unit code.
    pub unit: Option<String>,
    /// Sources: a kind code.
    pub kind: Option<String>,
    /// Sources: a grid code.
    pub grid: Option<String>,
    /// Cases: linked to this source id. Sources: keyset paging, the last id of the previous
    /// page (source ids are text).
    pub source: Option<String>,
    /// Cases and accountability: keyset paging, the last id of the previous page.
    pub after: Option<u64>,
    /// `done` after a write.
    pub msg: Option<String>,
    /// Rankings: first day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Rankings: last day.
    pub to: Option<String>,
}

/// Narrow a record list's unit filter to a unit role's own unit; asking for another unit's
/// `what` is 403 `out_of_scope`.
fn narrow_to_unit(c: &Caller, unit: &mut Option<UnitCode>, what: &str) -> Result<(), ApiError> {
    if let Some(mine) = record_unit(c)? {
        if unit.as_ref().is_some_and(|u| *u != mine) {
            return Err(ApiError::out_of_scope(format!(
                "another unit's {what} are outside your scope"
            )));
        }
        *unit = Some(mine);
    }
    Ok(())
}

/// Render `name` with the page's context, or the error page.
async fn render<F>(
    app: &App,
    headers: &HeaderMap,
    lang_q: Option<&str>,
    active: &str,
    name: &str,
    build: F,
) -> Response
where
    F: AsyncFnOnce(&Caller, Lang) -> Result<Value, ApiError>,
{
    let lang = Lang::of_request(lang_q, headers);
    let caller = match page_caller(app, headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match build(&caller, lang).await {
        Ok(extra) => {
            let ctx = context! { ..base_ctx(lang, &caller, active), ..extra };
            page(app, lang, lang_q.is_some(), name, ctx)
        }
        Err(e) => error_page(app, lang, Some(&caller), &e),
    }
}

fn yuan(f: Option<Fen>) -> String {
    f.map(|f| f.to_string()).unwrap_or_default()
}

fn parse_yuan(s: &str, field: &str) -> Result<Fen, ApiError> {
    Fen::parse_yuan(s).map_err(|e| ApiError::param(field, e.to_string()))
}

fn ids_u64(s: &str, field: &str) -> Result<Vec<u64>, ApiError> {
    s.split([',', '，', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            x.trim_start_matches('#')
                .parse()
                .map_err(|_| ApiError::param(field, format!("{x:?} is not a number")))
        })
        .collect()
}

fn list(s: &str) -> Vec<String> {
    s.split([',', '，', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---- sources ------------------------------------------------------------------------------

/// A source as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind code.
    pub kind: String,
    /// Grid name.
    pub grid: String,
    /// Responsible unit's name.
    pub unit: String,
    /// Registry status.
    pub status: String,
    /// 涉VOCs.
    pub vocs: bool,
}

fn source_row(s: &Source, names: &Names) -> SourceRow {
    SourceRow {
        id: s.id.as_str().to_owned(),
        name: s.name.clone(),
        kind: s.kind.code().to_owned(),
        grid: names.region(s.grid.as_ref()),
        unit: names.unit(s.unit.as_ref()),
        status: s.status.clone(),
        vocs: s.vocs,
    }
}

/// `GET /sources?kind=&grid=&unit=&after=`.
pub async fn sources(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<ListQuery>,
) -> Response {
    render(
        &app,
        &headers,
        q.lang.as_deref(),
        "sources",
        "sources.html",
        async |c: &Caller, _lang| sources_ctx(&app, c, &q).await,
    )
    .await
}

async fn sources_ctx(app: &App, c: &Caller, q: &ListQuery) -> Result<Value, ApiError> {
    c.require(Perm::ReadSources)?;
    let filter = SourceFilter {
        grid: nonempty(&q.grid)
            .map(|g| RegionCode::parse(g).map_err(|e| ApiError::param("grid", e.to_string())))
            .transpose()?,
        kind: nonempty(&q.kind)
            .map(|k| SourceKind::parse(k).ok_or_else(|| ApiError::param("kind", "unknown kind")))
            .transpose()?,
        unit: nonempty(&q.unit)
            .map(|u| UnitCode::parse(u).map_err(|e| ApiError::param("unit", e.to_string())))
            .transpose()?,
    };
    let names = Names::load(app).await?;
    let mut all: Vec<Source> = app
        .db
        .sources(&filter)
        .await?
        .into_iter()
        .filter(|s| c.scope.sees_source(s.grid.as_ref(), s.unit.as_ref()))
        .collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    let total = all.len();
    // Keyset by id: the page after the id given.
    let start = match nonempty(&q.source) {
        Some(after) => all
            .iter()
            .position(|s| s.id.as_str() > after)
            .unwrap_or(total),
        None => 0,
    };
    let rows: Vec<SourceRow> = all
        .iter()
        .skip(start)
        .take(PER_PAGE as usize)
        .map(|s| source_row(s, &names))
        .collect();
    let next = (start + rows.len() < total)
        .then(|| rows.last().map(|r| r.id.clone()))
        .flatten();
    let mut grids: Vec<(String, String)> = app
        .db
        .regions()
        .await?
        .into_iter()
        .filter(|r| r.level == RegionLevel::Grid && c.scope.sees_grid(Some(&r.code)))
        .map(|r| (r.code.as_str().to_owned(), r.name))
        .collect();
    grids.sort();
    let units = match &c.scope {
        crate::auth::Scope::Unit(u) => unit_choices(&names, Some(u)),
        crate::auth::Scope::District | crate::auth::Scope::Grids(_) => unit_choices(&names, None),
    };
    Ok(context! {
        rows => Serde(rows),
        total => total,
        next => next,
        filter_qs => filter_qs(&[("kind", &q.kind), ("grid", &q.grid), ("unit", &q.unit)]),
        kinds => SourceKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
        grids => Serde(grids),
        units => Serde(units),
        f_kind => nonempty(&q.kind).unwrap_or(""),
        f_grid => nonempty(&q.grid).unwrap_or(""),
        f_unit => nonempty(&q.unit).unwrap_or(""),
        paged => start > 0,
    })
}

/// `GET /sources/{id}`: the source, its problem history (those the viewer sees) and its
/// enforcement cases (for those who read cases).
pub async fn source(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P(id): P<String>,
    Q(q): Q<ListQuery>,
) -> Response {
    render(
        &app,
        &headers,
        q.lang.as_deref(),
        "sources",
        "source.html",
        async |c: &Caller, lang| source_ctx(&app, c, &id, lang).await,
    )
    .await
}

async fn source_ctx(app: &App, c: &Caller, id: &str, lang: Lang) -> Result<Value, ApiError> {
    c.require(Perm::ReadSources)?;
    let sid = SourceId::parse(id).map_err(|e| ApiError::param("id", e.to_string()))?;
    let s = app
        .db
        .sources(&SourceFilter::default())
        .await?
        .into_iter()
        .find(|s| s.id == sid)
        .ok_or_else(|| ApiError::not_found(format!("source {sid}")))?;
    if !c.scope.sees_source(s.grid.as_ref(), s.unit.as_ref()) {
        return Err(ApiError::out_of_scope(format!("source {sid}")));
    }
    let now = app.now();
    let names = Names::load(app).await?;
    let dossier = app.db.source_dossier(&sid).await?;
    let problems: Vec<ProblemRow> = dossier
        .problems
        .iter()
        .filter(|p| sees(c, p))
        .map(|p| row(p, &names, lang, now))
        .collect();
    let reads_cases = Perm::ReadRecords.allows(c.user.role);
    let cases: Vec<CaseRow> = if reads_cases {
        dossier
            .cases
            .iter()
            .filter(|k| sees_record(c, &k.unit))
            .map(|k| case_row(k, &names))
            .collect()
    } else {
        vec![]
    };
    let drives: Vec<String> = s
        .drives()
        .iter()
        .map(|d| match d {
            lantian_domain::source::Driven::Pollutant(p) => p.code().to_owned(),
            lantian_domain::source::Driven::Vocs => "VOCs".to_owned(),
            lantian_domain::source::Driven::Nox => "NOx".to_owned(),
        })
        .collect();
    Ok(context! {
        s => Serde(source_row(&s, &names)),
        industry => s.industry.clone().unwrap_or_default(),
        location => s.location.map(|p| format!("{:.5}, {:.5}", p.lat, p.lon)).unwrap_or_default(),
        drives => drives,
        problems => Serde(problems),
        cases => Serde(cases),
        reads_cases => reads_cases,
    })
}

// ---- cases --------------------------------------------------------------------------------

/// A case as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    /// Case number.
    pub id: u64,
    /// 案由.
    pub title: String,
    /// 当事人.
    pub party: String,
    /// 承办单位.
    pub unit: String,
    /// State code.
    pub state: String,
    /// Filed at (local minute).
    pub filed_at: String,
    /// Who filed it.
    pub filed_by: String,
    /// Penalty decided (yuan).
    pub penalty: String,
    /// Linked sources: (id, name).
    pub sources: Vec<(String, String)>,
    /// Linked problems.
    pub problems: Vec<u64>,
    /// Version, for the forms.
    pub seq: u64,
}

fn case_row(c: &EnforcementCase, names: &Names) -> CaseRow {
    CaseRow {
        id: c.id,
        title: c.title.clone(),
        party: c.party.clone(),
        unit: names.unit(Some(&c.unit)),
        state: c.state.code().to_owned(),
        filed_at: local_minute(c.filed_at),
        filed_by: names.person(c.filed_by.as_str()),
        penalty: yuan(c.penalty),
        sources: c
            .sources
            .iter()
            .map(|s| (s.as_str().to_owned(), s.as_str().to_owned()))
            .collect(),
        problems: c.problems.clone(),
        seq: c.seq,
    }
}

/// Source names for case rows (the registry is the only place they are kept).
async fn name_sources(app: &App, rows: &mut [CaseRow]) -> Result<(), ApiError> {
    if rows.iter().all(|r| r.sources.is_empty()) {
        return Ok(());
    }
    let all = app.db.sources(&SourceFilter::default()).await?;
    for r in rows {
        for (id, name) in &mut r.sources {
            if let Some(s) = all.iter().find(|s| s.id.as_str() == id) {
                *name = s.name.clone();
            }
        }
    }
    Ok(())
}

/// `GET /cases?state=&unit=&source=&after=`.
pub async fn cases(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<ListQuery>,
) -> Response {
    render(
        &app,
        &headers,
        q.lang.as_deref(),
        "enforcement",
        "cases.html",
        async |c: &Caller, _lang| cases_ctx(&app, c, &q, None, "").await,
    )
    .await
}

async fn cases_ctx(
    app: &App,
    c: &Caller,
    q: &ListQuery,
    refused: Option<&ApiError>,
    form_title: &str,
) -> Result<Value, ApiError> {
    c.require(Perm::ReadRecords)?;
    let mut f = RecordFilter {
        state: nonempty(&q.state)
            .map(|s| {
                CaseState::ALL
                    .iter()
                    .find(|x| x.code() == s)
                    .map(|x| x.code().to_owned())
                    .ok_or_else(|| ApiError::param("state", "unknown state"))
            })
            .transpose()?,
        unit: nonempty(&q.unit)
            .map(|u| UnitCode::parse(u).map_err(|e| ApiError::param("unit", e.to_string())))
            .transpose()?,
        source: nonempty(&q.source)
            .map(|s| SourceId::parse(s).map_err(|e| ApiError::param("source", e.to_string())))
            .transpose()?,
        problem: None,
    };
    narrow_to_unit(c, &mut f.unit, "cases")?;
    let pg = app
        .db
        .cases(
            &f,
            Page {
                after: q.after,
                limit: PER_PAGE,
            },
        )
        .await?;
    let names = Names::load(app).await?;
    let mut rows: Vec<CaseRow> = pg.items.iter().map(|k| case_row(k, &names)).collect();
    name_sources(app, &mut rows).await?;
    let units = unit_choices(&names, record_unit(c)?.as_ref());
    let can_file = Perm::FileCase.allows(c.user.role) && actor_of(app, c).await.is_some();
    Ok(context! {
        rows => Serde(rows),
        total => pg.total,
        next => pg.next,
        filter_qs => filter_qs(&[("state", &q.state), ("unit", &q.unit), ("source", &q.source)]),
        states => CaseState::ALL.iter().map(|s| s.code()).collect::<Vec<_>>(),
        units => Serde(units),
        f_state => nonempty(&q.state).unwrap_or(""),
        f_unit => nonempty(&q.unit).unwrap_or(""),
        f_source => nonempty(&q.source).unwrap_or(""),
        paged => q.after.is_some(),
        can_file => can_file,
        refused => refused.map(|e| e.code.code()).unwrap_or(""),
        refused_message => refused.map(|e| e.message.clone()).unwrap_or_default(),
        form_title => form_title,
    })
}

/// The filing form.
#[derive(Debug, Deserialize)]
pub struct FileForm {
    /// 案由.
    #[serde(default)]
    pub title: String,
    /// 当事人.
    #[serde(default)]
    pub party: String,
    /// Source ids, comma-separated.
    #[serde(default)]
    pub sources: String,
    /// Problem numbers, comma-separated.
    #[serde(default)]
    pub problems: String,
}

/// `POST /cases`: 立案 from the form; success → the case page (303), a refusal → the list
/// again with the reason.
pub async fn file_case(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(f): Form<FileForm>,
) -> Response {
    let lang = Lang::of_request(None, &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let r = async {
        caller.require(Perm::FileCase)?;
        let actor = actor_of(&app, &caller).await.ok_or_else(no_person)?;
        let sources = known_sources(&app, &list(&f.sources)).await?;
        let draft = CaseDraft {
            id: 0,
            title: f.title.clone(),
            party: f.party.clone(),
            sources,
            problems: ids_u64(&f.problems, "problems")?,
        };
        Ok::<_, ApiError>(app.db.file_case(&draft, &actor, app.now()).await?)
    }
    .await;
    match r {
        Ok(k) => Redirect::to(&format!("/cases/{}?msg=done", k.id)).into_response(),
        Err(e) if refusal(&e) => {
            let q = ListQuery::default();
            match cases_ctx(&app, &caller, &q, Some(&e), &f.title).await {
                Ok(extra) => {
                    let ctx = context! { ..base_ctx(lang, &caller, "enforcement"), ..extra };
                    let mut r = page(&app, lang, false, "cases.html", ctx);
                    *r.status_mut() = e.code.status();
                    r
                }
                Err(e) => error_page(&app, lang, Some(&caller), &e),
            }
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

/// The caller as an actor of cases and decisions: their person and unit (the account's, else
/// the person's — as the API builds it); `None` for an account without a person.
async fn actor_of(app: &App, c: &Caller) -> Option<Actor> {
    crate::api_ledger::actor_of(app, c).await.ok()
}

fn no_person() -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        "this account is not linked to a person and unit, so it cannot act",
    )
}

fn refusal(e: &ApiError) -> bool {
    matches!(
        e.code,
        ErrorCode::TransitionRefused
            | ErrorCode::Conflict
            | ErrorCode::InvalidParameter
            | ErrorCode::NotFound
    )
}

/// A case step the viewer may take: its action code and the fields it asks for.
#[derive(Debug, Clone, Serialize)]
pub struct CaseOffer {
    /// Action code.
    pub action: &'static str,
    /// Fields: `officers`, `findings`, `evidence`, `notice_no`, `proposed`, `decision_no`,
    /// `amount`, `collected`, `summary`.
    pub fields: Vec<&'static str>,
}

/// The steps `actor` may take on `c` now: each tried with the domain's `transition` on sample
/// values (two officers, evidence present, amounts within the notice).
pub fn case_offers(c: &EnforcementCase, actor: &Actor, now: Timestamp) -> Vec<CaseOffer> {
    let ev = ContentHash::parse(&"0".repeat(64))
        .ok()
        .into_iter()
        .collect::<Vec<_>>();
    let partner = PersonId::parse("offer-sample-officer").ok();
    let officers: Vec<PersonId> = std::iter::once(actor.person.clone())
        .chain(partner)
        .collect();
    let zero = Fen::new(0).ok();
    let mut candidates: Vec<(CaseAction, Vec<&'static str>)> = vec![(
        CaseAction::Investigate {
            officers,
            findings: "x".into(),
            evidence: ev.clone(),
        },
        vec!["officers", "findings", "evidence"],
    )];
    if let Some(z) = zero {
        candidates.push((
            CaseAction::Notify {
                notice_no: "x".into(),
                proposed: z,
            },
            vec!["notice_no", "proposed"],
        ));
        candidates.push((
            CaseAction::DecidePenalty {
                decision_no: "x".into(),
                amount: z,
            },
            vec!["decision_no", "amount"],
        ));
        candidates.push((
            CaseAction::Execute {
                collected: c.penalty.unwrap_or(z),
                evidence: ev,
            },
            vec!["collected", "evidence"],
        ));
    }
    candidates.push((
        CaseAction::Close {
            summary: "x".into(),
        },
        vec!["summary"],
    ));
    candidates
        .into_iter()
        .filter_map(|(a, fields)| {
            let code = a.code();
            transition(c, actor, a, now).ok().map(|_| CaseOffer {
                action: code,
                fields,
            })
        })
        .collect()
}

/// Query of the case page.
#[derive(Debug, Deserialize, Default)]
pub struct CaseQuery {
    /// `zh-CN` or `en`.
    pub lang: Option<String>,
    /// `done` after a step was applied.
    pub msg: Option<String>,
}

/// `GET /cases/{id}`.
pub async fn case(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P(id): P<u64>,
    Q(q): Q<CaseQuery>,
) -> Response {
    let done = q.msg.as_deref() == Some("done");
    render(
        &app,
        &headers,
        q.lang.as_deref(),
        "enforcement",
        "case.html",
        async |c: &Caller, _lang| case_ctx(&app, c, id, done, None).await,
    )
    .await
}

async fn visible_case(app: &App, c: &Caller, id: u64) -> Result<EnforcementCase, ApiError> {
    c.require(Perm::ReadRecords)?;
    crate::api_records::case_for(app, c, id).await
}

async fn case_ctx(
    app: &App,
    c: &Caller,
    id: u64,
    done: bool,
    refused: Option<&ApiError>,
) -> Result<Value, ApiError> {
    let k = visible_case(app, c, id).await?;
    let names = Names::load(app).await?;
    let mut rows = vec![case_row(&k, &names)];
    name_sources(app, &mut rows).await?;
    let offers = if Perm::ActCase.allows(c.user.role) {
        actor_of(app, c)
            .await
            .map(|a| case_offers(&k, &a, app.now()))
            .unwrap_or_default()
    } else {
        vec![]
    };
    let steps: Vec<(&str, String)> = [
        ("filed", Some(k.filed_at)),
        ("penalty_decided", k.decided_at),
        ("executed", k.executed_at),
        ("closed", k.closed_at),
    ]
    .into_iter()
    .filter_map(|(s, t)| t.map(|t| (s, local_minute(t))))
    .collect();
    Ok(context! {
        k => Serde(rows.remove(0)),
        officers => k.officers.iter().map(|p| names.person(p.as_str())).collect::<Vec<_>>(),
        findings => k.findings.clone().unwrap_or_default(),
        notice_no => k.notice_no.clone().unwrap_or_default(),
        proposed => yuan(k.proposed),
        decision_no => k.decision_no.clone().unwrap_or_default(),
        collected => yuan(k.collected),
        summary => k.summary.clone().unwrap_or_default(),
        evidence => k.evidence.iter().map(ToString::to_string).collect::<Vec<_>>(),
        steps => Serde(steps),
        offers => Serde(offers),
        me => c.user.person.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
        done => done,
        refused => refused.map(|e| e.code.code()).unwrap_or(""),
        refused_message => refused.map(|e| e.message.clone()).unwrap_or_default(),
    })
}

/// A case step form.
#[derive(Debug, Deserialize)]
pub struct CaseForm {
    /// Action code.
    pub action: String,
    /// The version the form was rendered from.
    pub seq: Option<u64>,
    /// Investigators' person ids, comma-separated.
    #[serde(default)]
    pub officers: String,
    /// What the investigation established.
    #[serde(default)]
    pub findings: String,
    /// Evidence hashes, comma-separated (filled by the upload script).
    #[serde(default)]
    pub evidence: String,
    /// 告知书文号.
    #[serde(default)]
    pub notice_no: String,
    /// Proposed penalty (yuan).
    #[serde(default)]
    pub proposed: String,
    /// 决定书文号.
    #[serde(default)]
    pub decision_no: String,
    /// Penalty decided (yuan).
    #[serde(default)]
    pub amount: String,
    /// Amount collected (yuan).
    #[serde(default)]
    pub collected: String,
    /// Closing summary.
    #[serde(default)]
    pub summary: String,
}

fn case_action(f: &CaseForm) -> Result<CaseAction, ApiError> {
    let evidence = list(&f.evidence)
        .iter()
        .map(|h| ContentHash::parse(h).map_err(|e| ApiError::param("evidence", e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(match f.action.as_str() {
        "investigate" => CaseAction::Investigate {
            officers: list(&f.officers)
                .iter()
                .map(|p| PersonId::parse(p).map_err(|e| ApiError::param("officers", e.to_string())))
                .collect::<Result<_, _>>()?,
            findings: f.findings.clone(),
            evidence,
        },
        "notify" => CaseAction::Notify {
            notice_no: f.notice_no.clone(),
            proposed: parse_yuan(&f.proposed, "proposed")?,
        },
        "decide_penalty" => CaseAction::DecidePenalty {
            decision_no: f.decision_no.clone(),
            amount: parse_yuan(&f.amount, "amount")?,
        },
        "execute" => CaseAction::Execute {
            collected: parse_yuan(&f.collected, "collected")?,
            evidence,
        },
        "close" => CaseAction::Close {
            summary: f.summary.clone(),
        },
        _ => return Err(ApiError::param("action", "unknown action")),
    })
}

/// `POST /cases/{id}/act`: one step of a case; success → back to the page (303), a refusal →
/// the page again with the reason (422, 409 for a stale form, 400 for a bad field).
pub async fn act(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P(id): P<u64>,
    Form(f): Form<CaseForm>,
) -> Response {
    let lang = Lang::of_request(None, &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let r = async {
        visible_case(&app, &caller, id).await?;
        caller.require(Perm::ActCase)?;
        let actor = actor_of(&app, &caller).await.ok_or_else(no_person)?;
        let action = case_action(&f)?;
        for h in case_evidence(&action) {
            if app.db.evidence(&h).await?.is_none() {
                return Err(ApiError::new(
                    ErrorCode::TransitionRefused,
                    format!("evidence {h} was not uploaded"),
                ));
            }
        }
        app.db
            .transition_case(id, f.seq, action, &actor, app.now())
            .await
            .map_err(ApiError::from)
    }
    .await;
    match r {
        Ok(_) => Redirect::to(&format!("/cases/{id}?msg=done")).into_response(),
        Err(e) if refusal(&e) => match case_ctx(&app, &caller, id, false, Some(&e)).await {
            Ok(extra) => {
                let ctx = context! { ..base_ctx(lang, &caller, "enforcement"), ..extra };
                let mut r = page(&app, lang, false, "case.html", ctx);
                *r.status_mut() = e.code.status();
                r
            }
            Err(e) => error_page(&app, lang, Some(&caller), &e),
        },
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

/// `POST /cases/{id}/evidence`: one photo for a case step (raw bytes, like the problem page);
/// `{"hash"}`.
pub async fn upload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P(id): P<u64>,
    body: Bytes,
) -> Response {
    let r = async {
        let caller = photo_caller(&app, &headers).await?;
        from_browser(&caller)?;
        visible_case(&app, &caller, id).await?;
        caller.require(Perm::ActCase)?;
        let actor = actor_of(&app, &caller).await.ok_or_else(no_person)?;
        let hash = store_photo(&app, &actor.person, &headers, &body).await?;
        Ok::<_, ApiError>(Json(serde_json::json!({ "hash": hash })))
    }
    .await;
    match r {
        Ok(j) => j.into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /cases/{id}/evidence/{hash}`: an evidence file the case names, served sandboxed.
pub async fn evidence(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P((id, hash)): P<(u64, String)>,
) -> Response {
    let r = async {
        let caller = photo_caller(&app, &headers).await?;
        let k = visible_case(&app, &caller, id).await?;
        if !k.evidence.iter().any(|h| h.to_string() == hash) {
            return Err(ApiError::not_found(format!(
                "case {id} has no evidence {hash}"
            )));
        }
        app.db
            .evidence(&hash)
            .await?
            .ok_or_else(|| ApiError::not_found("evidence not stored"))
    }
    .await;
    match r {
        Ok(e) => sandboxed(e),
        Err(e) => e.into_response(),
    }
}

// ---- accountability -----------------------------------------------------------------------

/// An accountability record as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AccRow {
    /// Number.
    pub id: u64,
    /// Subject: unit name, or person name · unit name.
    pub subject: String,
    /// Kind code.
    pub kind: String,
    /// 问责事由.
    pub reason: String,
    /// Who decided.
    pub decided_by: String,
    /// When.
    pub decided_at: String,
    /// Linked problems.
    pub problems: Vec<u64>,
}

/// `GET /accountability?state=&unit=&after=`.
pub async fn accountability(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<ListQuery>,
) -> Response {
    let done = q.msg.as_deref() == Some("done");
    render(
        &app,
        &headers,
        q.lang.as_deref(),
        "accountability",
        "accountability.html",
        async |c: &Caller, _lang| accountability_ctx(&app, c, &q, done, None).await,
    )
    .await
}

async fn accountability_ctx(
    app: &App,
    c: &Caller,
    q: &ListQuery,
    done: bool,
    refused: Option<&ApiError>,
) -> Result<Value, ApiError> {
    c.require(Perm::ReadRecords)?;
    let mut f = RecordFilter {
        state: nonempty(&q.state)
            .map(|s| {
                AccountabilityKind::ALL
                    .iter()
                    .find(|x| x.code() == s)
                    .map(|x| x.code().to_owned())
                    .ok_or_else(|| ApiError::param("state", "unknown kind"))
            })
            .transpose()?,
        unit: nonempty(&q.unit)
            .map(|u| UnitCode::parse(u).map_err(|e| ApiError::param("unit", e.to_string())))
            .transpose()?,
        source: None,
        problem: None,
    };
    narrow_to_unit(c, &mut f.unit, "records")?;
    let pg = app
        .db
        .accountability(
            &f,
            Page {
                after: q.after,
                limit: PER_PAGE,
            },
        )
        .await?;
    let names = Names::load(app).await?;
    let rows: Vec<AccRow> = pg
        .items
        .iter()
        .map(|a| AccRow {
            id: a.id,
            subject: match &a.subject {
                Subject::Unit { unit } => names.unit(Some(unit)),
                Subject::Person { person, unit } => {
                    format!(
                        "{} · {}",
                        names.person(person.as_str()),
                        names.unit(Some(unit))
                    )
                }
            },
            kind: a.kind.code().to_owned(),
            reason: a.reason.clone(),
            decided_by: names.person(a.decided_by.as_str()),
            decided_at: local_minute(a.decided_at),
            problems: a.problems.clone(),
        })
        .collect();
    let units = unit_choices(&names, record_unit(c)?.as_ref());
    Ok(context! {
        rows => Serde(rows),
        total => pg.total,
        next => pg.next,
        filter_qs => filter_qs(&[("state", &q.state), ("unit", &q.unit)]),
        kinds => AccountabilityKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
        units => Serde(units),
        f_state => nonempty(&q.state).unwrap_or(""),
        f_unit => nonempty(&q.unit).unwrap_or(""),
        paged => q.after.is_some(),
        can_decide => Perm::DecideAccountability.allows(c.user.role) && actor_of(app, c).await.is_some(),
        done => done,
        refused => refused.map(|e| e.code.code()).unwrap_or(""),
        refused_message => refused.map(|e| e.message.clone()).unwrap_or_default(),
    })
}

/// The decision form.
#[derive(Debug, Deserialize)]
pub struct DecideForm {
    /// The unit concerned.
    #[serde(default)]
    pub unit: String,
    /// A person of it (empty: the unit itself).
    #[serde(default)]
    pub person: String,
    /// Kind code.
    #[serde(default)]
    pub kind: String,
    /// 问责事由.
    #[serde(default)]
    pub reason: String,
    /// Problem numbers, comma-separated.
    #[serde(default)]
    pub problems: String,
}

/// `POST /accountability`: record a decision from the form.
pub async fn decide(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(f): Form<DecideForm>,
) -> Response {
    let lang = Lang::of_request(None, &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let r = async {
        caller.require(Perm::DecideAccountability)?;
        let actor = actor_of(&app, &caller).await.ok_or_else(no_person)?;
        let unit =
            UnitCode::parse(f.unit.trim()).map_err(|e| ApiError::param("unit", e.to_string()))?;
        if !app.db.units().await?.iter().any(|u| u.code == unit) {
            return Err(ApiError::param("unit", format!("no unit {unit}")));
        }
        let subject = if f.person.trim().is_empty() {
            Subject::Unit { unit }
        } else {
            let person = PersonId::parse(f.person.trim())
                .map_err(|e| ApiError::param("person", e.to_string()))?;
            if !app.db.people().await?.iter().any(|p| p.id == person) {
                return Err(ApiError::param("person", format!("no person {person}")));
            }
            Subject::Person { person, unit }
        };
        let kind = AccountabilityKind::parse(&f.kind)
            .ok_or_else(|| ApiError::param("kind", "unknown kind"))?;
        let draft = AccountabilityDraft {
            id: 0,
            subject,
            kind,
            reason: f.reason.clone(),
            problems: ids_u64(&f.problems, "problems")?,
        };
        app.db
            .create_accountability(&draft, &actor, app.now())
            .await
            .map_err(ApiError::from)
    }
    .await;
    match r {
        Ok(_) => Redirect::to("/accountability?msg=done").into_response(),
        Err(e) if refusal(&e) => {
            let q = ListQuery::default();
            match accountability_ctx(&app, &caller, &q, false, Some(&e)).await {
                Ok(extra) => {
                    let ctx = context! { ..base_ctx(lang, &caller, "accountability"), ..extra };
                    let mut r = page(&app, lang, false, "accountability.html", ctx);
                    *r.status_mut() = e.code.status();
                    r
                }
                Err(e) => error_page(&app, lang, Some(&caller), &e),
            }
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

// ---- rankings -----------------------------------------------------------------------------

/// A town's or sub-district's line of the ranking.
#[derive(Debug, Clone, Serialize)]
pub struct AreaRank {
    /// Region code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Stations behind the figures.
    pub stations: usize,
    /// Period mean PM2.5 (µg/m³), published precision (integer).
    pub pm25: Option<f64>,
    /// Rank by PM2.5 (1 = cleanest; ties share a rank).
    pub pm25_rank: Option<u32>,
    /// Composite index (2 decimals).
    pub composite: Option<f64>,
    /// Rank by composite index.
    pub composite_rank: Option<u32>,
    /// Valid days.
    pub valid_days: u32,
    /// PM2.5 as published (integer), empty when missing.
    pub pm25_text: String,
    /// Composite index as published (2 decimals), empty when missing.
    pub composite_text: String,
}

/// A unit's line of the scorecard ranking.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRank {
    /// Unit code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Problems counted.
    pub total: u32,
    /// Closed with a deadline.
    pub closed_with_deadline: u32,
    /// Of those on time.
    pub closed_on_time: u32,
    /// On-time rate, percent with one decimal.
    pub on_time_percent: Option<f64>,
    /// Rank by on-time rate (1 = best).
    pub rank: Option<u32>,
    /// Open and overdue now.
    pub overdue: u32,
    /// 反弹 count.
    pub rebounds: u32,
    /// The rate as shown (`75.0%`), empty when nothing with a deadline has closed.
    pub on_time_text: String,
}

/// `GET /rankings?from=&to=`.
pub async fn rankings(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<ListQuery>,
) -> Response {
    render(
        &app,
        &headers,
        q.lang.as_deref(),
        "rankings",
        "rankings.html",
        async |c: &Caller, _lang| rankings_ctx(&app, c, &q).await,
    )
    .await
}

/// A figure at its published precision (GB/T 8170 half-up, `lantian-aq`).
fn round_to(v: Option<f64>, decimals: u32) -> Option<f64> {
    v.map(|x| lantian_aq::round::half_up(x, decimals))
}

async fn rankings_ctx(app: &App, c: &Caller, q: &ListQuery) -> Result<Value, ApiError> {
    c.require(Perm::Rankings)?;
    let stations = app.db.stations().await?;
    let regions = app.db.regions().await?;
    // The period: given, else the month of the newest data up to its day.
    let newest = air::newest_hour(&app.db, &stations).await?;
    let to = match nonempty(&q.to) {
        Some(s) => Date::parse(s).ok_or_else(|| ApiError::param("to", "expected YYYY-MM-DD"))?,
        None => newest.map_or_else(
            || app.now().local_date(),
            |h| h.plus_seconds(-1).local_date(),
        ),
    };
    let from = match nonempty(&q.from) {
        Some(s) => Date::parse(s).ok_or_else(|| ApiError::param("from", "expected YYYY-MM-DD"))?,
        None => Date::from_ymd(to.year(), to.month(), 1)
            .ok_or_else(|| ApiError::param("to", "bad date"))?,
    };
    if to < from || to.days() - from.days() > 366 {
        return Err(ApiError::param(
            "to",
            "must be after from and within 366 days",
        ));
    }
    let mut areas = Vec::new();
    for r in regions.iter().filter(|r| r.level == RegionLevel::Town) {
        let members = air::stations_of_area(r, &regions, &stations);
        let (pm25, composite, valid) = if members.is_empty() {
            (None, None, 0)
        } else {
            let days = air::area_days(&app.db, &members, from, to).await?;
            let s = air::summarize(&days, to);
            (
                round_to(s.pm25.value, 0),
                round_to(s.composite.total, 2),
                s.day_counts.valid_days,
            )
        };
        areas.push(AreaRank {
            code: r.code.as_str().to_owned(),
            name: r.name.clone(),
            stations: members.len(),
            pm25,
            pm25_rank: None,
            composite,
            composite_rank: None,
            valid_days: valid,
            pm25_text: pm25.map(|v| format!("{v:.0}")).unwrap_or_default(),
            composite_text: composite.map(|v| format!("{v:.2}")).unwrap_or_default(),
        });
    }
    let pr = rank_competition(
        &areas.iter().map(|a| a.pm25).collect::<Vec<_>>(),
        Order::Ascending,
        0,
    );
    let cr = rank_competition(
        &areas.iter().map(|a| a.composite).collect::<Vec<_>>(),
        Order::Ascending,
        2,
    );
    for (i, a) in areas.iter_mut().enumerate() {
        a.pm25_rank = pr[i];
        a.composite_rank = cr[i];
    }
    areas.sort_by_key(|a| (a.composite_rank.unwrap_or(u32::MAX), a.code.clone()));
    // Units: the whole ledger as it stands now (a ranking compares every unit, whoever looks).
    let now = app.now();
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let pg = app
            .db
            .problems(&Default::default(), Page { after, limit: 1000 })
            .await?;
        all.extend(pg.items);
        match pg.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let names = Names::load(app).await?;
    let cards = scorecards(&all, now);
    let rates: Vec<Option<f64>> = cards.iter().map(|s| s.on_time_rate()).collect();
    let ranks = rank_competition(&rates, Order::Descending, 3);
    let mut units: Vec<UnitRank> = cards
        .iter()
        .zip(ranks)
        .map(|(s, rank)| {
            let pct = round_to(s.on_time_rate().map(|r| r * 100.0), 1);
            UnitRank {
                code: s.unit.as_str().to_owned(),
                name: names.unit(Some(&s.unit)),
                total: s.total,
                closed_with_deadline: s.closed_with_deadline,
                closed_on_time: s.closed_on_time,
                on_time_percent: pct,
                rank,
                overdue: s.overdue,
                rebounds: s.rebounds,
                on_time_text: pct.map(|v| format!("{v:.1}%")).unwrap_or_default(),
            }
        })
        .collect();
    units.sort_by_key(|u| {
        (
            u.rank.unwrap_or(u32::MAX),
            u.overdue,
            u.rebounds,
            u.code.clone(),
        )
    });
    Ok(context! {
        areas => Serde(areas),
        units => Serde(units),
        from => from.to_string(),
        to => to.to_string(),
        as_of => local_minute(now),
    })
}

// ---- samples ------------------------------------------------------------------------------

/// Sample contexts of these templates for the render-every-page test (`None` for others).
/// Names hold markup to prove escaping.
pub fn sample_extra(name: &str) -> Option<Value> {
    let krow = CaseRow {
        id: 3,
        title: "<script>alert(3)</script> 未落实防尘措施".into(),
        party: "<b>某公司</b>".into(),
        unit: "执法大队".into(),
        state: "noticed".into(),
        filed_at: "2025-01-20 09:00".into(),
        filed_by: "王五".into(),
        penalty: "50000.00".into(),
        sources: vec![("S001".into(), "<i>工地</i>".into())],
        problems: vec![7],
        seq: 3,
    };
    let srow = SourceRow {
        id: "S001".into(),
        name: "<script>alert(4)</script>工地".into(),
        kind: "construction".into(),
        grid: "网格".into(),
        unit: "城管中心".into(),
        status: "在建".into(),
        vocs: true,
    };
    let all_offers = vec![
        CaseOffer {
            action: "investigate",
            fields: vec!["officers", "findings", "evidence"],
        },
        CaseOffer {
            action: "notify",
            fields: vec!["notice_no", "proposed"],
        },
        CaseOffer {
            action: "decide_penalty",
            fields: vec!["decision_no", "amount"],
        },
        CaseOffer {
            action: "execute",
            fields: vec!["collected", "evidence"],
        },
        CaseOffer {
            action: "close",
            fields: vec!["summary"],
        },
    ];
    let prow = ProblemRow {
        id: 7,
        category: "工地扬尘".into(),
        description: "<script>alert(2)</script>".into(),
        grid: "网格".into(),
        unit: "城管中心".into(),
        assignee: "张三".into(),
        state: "closed".into(),
        escalation: "none".into(),
        found_at: "2025-01-30 09:00".into(),
        deadline: String::new(),
        overdue: false,
        seq: 5,
    };
    Some(match name {
        "sources.html" => context! {
            rows => Serde(vec![srow]), total => 1, next => Some("S001"), filter_qs => "kind=road",
            kinds => SourceKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
            grids => Serde(vec![("g1", "<i>网格</i>")]), units => Serde(vec![("u1", "单位")]),
            f_kind => "road", f_grid => "", f_unit => "u1", paged => true,
        },
        "source.html" => context! {
            s => Serde(srow), industry => "<b>建材</b>", location => "35.2, 113.2",
            drives => vec!["PM10"], problems => Serde(vec![prow]), cases => Serde(vec![krow]),
            reads_cases => true,
        },
        "cases.html" => context! {
            rows => Serde(vec![krow]), total => 1, next => Some(3), filter_qs => "state=filed",
            states => CaseState::ALL.iter().map(|s| s.code()).collect::<Vec<_>>(),
            units => Serde(vec![("u1", "<i>单位</i>")]), f_state => "filed", f_unit => "",
            f_source => "", paged => true, can_file => true, refused => "transition_refused",
            refused_message => "<script>no</script>", form_title => "<b>t</b>",
        },
        "case.html" => context! {
            k => Serde(krow), officers => vec!["王五", "赵六"], findings => "<b>裸土</b>",
            notice_no => "告〔2025〕1号", proposed => "50000.00", decision_no => "",
            collected => "", summary => "", evidence => vec!["a".repeat(64)],
            steps => Serde(vec![("filed", "2025-01-20 09:00")]), offers => Serde(all_offers),
            me => "p1", done => true, refused => "conflict", refused_message => "<script>x</script>",
        },
        "accountability.html" => context! {
            rows => Serde(vec![AccRow { id: 1, subject: "<b>城管中心</b>".into(),
                kind: "interview".into(), reason: "<script>alert(5)</script>".into(),
                decided_by: "领导".into(), decided_at: "2025-01-31 09:00".into(), problems: vec![7] }]),
            total => 1, next => None::<u64>, filter_qs => "",
            kinds => AccountabilityKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
            units => Serde(vec![("u1", "单位")]), f_state => "", f_unit => "", paged => false,
            can_decide => true, done => true, refused => "", refused_message => "",
        },
        "rankings.html" => context! {
            areas => Serde(vec![AreaRank { code: "t1".into(), name: "<b>阳庙镇</b>".into(),
                stations: 3, pm25: Some(75.0), pm25_rank: Some(1), composite: Some(6.12),
                composite_rank: Some(1), valid_days: 31, pm25_text: "75".into(), composite_text: "6.12".into() },
                AreaRank { code: "t2".into(), name: "文苑街道".into(), stations: 0, pm25: None,
                pm25_rank: None, composite: None, composite_rank: None, valid_days: 0,
                pm25_text: String::new(), composite_text: String::new() }]),
            units => Serde(vec![UnitRank { code: "u1".into(), name: "<i>城管中心</i>".into(),
                total: 10, closed_with_deadline: 4, closed_on_time: 3, on_time_percent: Some(75.0),
                rank: Some(1), overdue: 2, rebounds: 1, on_time_text: "75.0%".into() }]),
            from => "2025-01-01", to => "2025-01-31", as_of => "2025-01-31 09:00",
        },
        _ => return None,
    })
}

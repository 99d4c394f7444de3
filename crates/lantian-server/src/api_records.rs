//! `/api/v1` for enforcement cases (执法), accountability records (问责) and the ledgers'
//! exports: cases (list with filters, one, 立案, one step of the case), accountability
//! records (list, record a decision), and `/exports/{ledger}` (problems, cases,
//! accountability as .xlsx or CSV through `lantian-export`).
//!
//! As for problems, the server decides only who may call what and which records a caller
//! sees ([`record_unit`]: district roles all, unit roles their unit's — a case's 承办单位, an
//! accountability record's subject unit —, grid roles none); whether a case may be filed or
//! moved, and whether a decision may be recorded, is the domain's (`enforcement::file`,
//! `enforcement::transition`, `AccountabilityRecord::new`), run by the store in one
//! transaction with its log entry. Refusals are 422 `transition_refused`.

use crate::api_ledger::{actor_of, sees_problem};
use crate::auth::{Caller, Perm, Scope};
use crate::error::{ApiError, ErrorCode, ErrorEnvelope};
use crate::extract::{J, P, Q};
use crate::state::App;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lantian_domain::accountability::{
    AccountabilityDraft, AccountabilityKind, AccountabilityRecord, Subject,
};
use lantian_domain::campaign::Catalog;
use lantian_domain::enforcement::{CaseAction, CaseDraft, CaseState, EnforcementCase};
use lantian_domain::ledger::Problem;
use lantian_domain::{SourceId, Timestamp, UnitCode};
use lantian_store::ledger::{LedgerStore, Page, ProblemFilter};
use lantian_store::records::{RecordFilter, RecordPage, RecordStore};
use lantian_store::{SourceFilter, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

type Res<T> = Result<Json<T>, ApiError>;

/// The unit a caller's record lists are narrowed to: `None` for the district roles, their unit
/// for unit roles; 403 `out_of_scope` for a caller whose scope holds no unit (a unit role
/// without a unit). Grid roles never get here ([`Perm::ReadRecords`] refuses them).
pub fn record_unit(caller: &Caller) -> Result<Option<UnitCode>, ApiError> {
    match &caller.scope {
        Scope::District => Ok(None),
        Scope::Unit(u) => Ok(Some(u.clone())),
        Scope::Grids(_) => Err(ApiError::out_of_scope(
            "enforcement and accountability records are outside your scope",
        )),
    }
}

/// Whether the caller sees a record of `unit`.
pub fn sees_record(caller: &Caller, unit: &UnitCode) -> bool {
    match &caller.scope {
        Scope::District => true,
        Scope::Unit(u) => u == unit,
        Scope::Grids(_) => false,
    }
}

/// Query of the record lists.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecordQuery {
    /// Cases: a state (`filed`, `investigated`, `noticed`, `penalty_decided`, `executed`,
    /// `closed`). Accountability: a kind (`interview`, `written_self_criticism`,
    /// `public_criticism`, `admonishment`, `organisational_action`, `disciplinary`).
    pub state: Option<String>,
    /// Unit code (a case's 承办单位; an accountability record's subject unit).
    pub unit: Option<String>,
    /// Linked to this source (cases).
    pub source: Option<String>,
    /// Linked to this problem.
    pub problem: Option<u64>,
    /// Keyset cursor: the `next` of the previous page.
    pub after: Option<u64>,
    /// Page number from 1 (ignored with `after`).
    pub page: Option<u32>,
    /// Items per page (default 50, at most 1000).
    pub per_page: Option<u32>,
}

/// A page of records.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordList {
    /// The records of this page, by id (the domain's value as JSON, plus `state_zh` /
    /// `kind_zh`).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// Page number (1 when paging by `after`).
    pub page: u32,
    /// Page size.
    pub per_page: u32,
    /// Records matching in the caller's scope.
    pub total: u64,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<u64>,
}

/// A case as JSON, with `state_zh` and the amounts also in yuan.
pub fn case_json(c: &EnforcementCase) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("state_zh".into(), c.state.name_zh().into());
        for (k, f) in [
            ("proposed_yuan", c.proposed),
            ("penalty_yuan", c.penalty),
            ("collected_yuan", c.collected),
        ] {
            m.insert(k.into(), f.map(|f| f.to_string()).into());
        }
    }
    v
}

/// An accountability record as JSON, with `kind_zh`.
pub fn accountability_json(a: &AccountabilityRecord) -> Value {
    let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("kind_zh".into(), a.kind.name_zh().into());
    }
    v
}

/// The filter of a record query narrowed to the caller's scope; `None` when the caller asks
/// for another unit than theirs (an empty page, not an error, like the problem list).
fn record_filter(
    caller: &Caller,
    q: &RecordQuery,
    state_ok: impl Fn(&str) -> bool,
) -> Result<Option<RecordFilter>, ApiError> {
    let mut f = RecordFilter {
        unit: q
            .unit
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|u| UnitCode::parse(u.trim()).map_err(|e| ApiError::param("unit", e)))
            .transpose()?,
        state: q
            .state
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                if state_ok(s) {
                    Ok(s.to_owned())
                } else {
                    Err(ApiError::param("state", format!("unknown value {s:?}")))
                }
            })
            .transpose()?,
        source: q
            .source
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| SourceId::parse(s.trim()).map_err(|e| ApiError::param("source", e)))
            .transpose()?,
        problem: q.problem,
    };
    if let Some(mine) = record_unit(caller)? {
        if f.unit.as_ref().is_some_and(|u| *u != mine) {
            return Ok(None);
        }
        f.unit = Some(mine);
    }
    Ok(Some(f))
}

/// Page size and number of a query.
fn paging(q: &RecordQuery) -> Result<(u32, u32), ApiError> {
    crate::api_ledger::keyset_paging(q.page, q.per_page, q.after)
}

/// Walk keyset pages to page `page` (the store pages by id; `page` n skips n − 1 pages).
pub(crate) async fn walk<T, F, Fut>(
    after: Option<u64>,
    page: u32,
    per: u32,
    fetch: F,
) -> Result<RecordPage<T>, ApiError>
where
    F: Fn(Page) -> Fut,
    Fut: std::future::Future<Output = Result<RecordPage<T>, lantian_store::StoreError>>,
{
    let mut cursor = Page { after, limit: per };
    let mut got = fetch(cursor).await?;
    for _ in 1..page {
        match got.next {
            Some(n) => {
                cursor.after = Some(n);
                got = fetch(cursor).await?;
            }
            None => {
                got.items.clear();
                got.next = None;
                break;
            }
        }
    }
    Ok(got)
}

fn empty(page: u32, per: u32) -> RecordList {
    RecordList {
        items: vec![],
        page,
        per_page: per,
        total: 0,
        next: None,
    }
}

// ---- cases --------------------------------------------------------------------------------

/// Enforcement cases (unit roles: those of their unit).
#[utoipa::path(get, path = "/cases", tag = "enforcement", params(RecordQuery),
    responses((status = 200, body = RecordList), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn cases(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<RecordQuery>,
) -> Res<RecordList> {
    caller.require(Perm::ReadRecords)?;
    let (page, per) = paging(&q)?;
    let ok = |s: &str| CaseState::ALL.iter().any(|x| x.code() == s);
    let Some(f) = record_filter(&caller, &q, ok)? else {
        return Ok(Json(empty(page, per)));
    };
    let got = walk(q.after, page, per, |p| app.db.cases(&f, p)).await?;
    Ok(Json(RecordList {
        items: got.items.iter().map(case_json).collect(),
        page,
        per_page: per,
        total: got.total,
        next: got.next,
    }))
}

/// The case `id` if the caller may see it (404 / 403 `out_of_scope`).
pub async fn case_for(app: &App, caller: &Caller, id: u64) -> Result<EnforcementCase, ApiError> {
    let c = app
        .db
        .case(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("case {id}")))?;
    if !sees_record(caller, &c.unit) {
        return Err(ApiError::out_of_scope(format!("case {id}")));
    }
    Ok(c)
}

/// One case.
#[utoipa::path(get, path = "/cases/{id}", tag = "enforcement",
    params(("id" = u64, Path, description = "Case number")),
    responses((status = 200, description = "The case (domain JSON plus `state_zh`, amounts in yuan)", body = Object),
              (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn case(State(app): State<Arc<App>>, caller: Caller, P(id): P<u64>) -> Res<Value> {
    caller.require(Perm::ReadRecords)?;
    Ok(Json(case_json(&case_for(&app, &caller, id).await?)))
}

/// What a case is filed with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseRequest {
    /// 案由.
    pub title: String,
    /// 当事人.
    pub party: String,
    /// Linked sources (ids of the registry).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Linked problems (ledger numbers).
    #[serde(default)]
    pub problems: Vec<u64>,
}

/// Check that every source named exists (400 otherwise).
pub async fn known_sources(app: &App, ids: &[String]) -> Result<Vec<SourceId>, ApiError> {
    let mut out = Vec::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let all = app.db.sources(&SourceFilter::default()).await?;
    for s in ids {
        let id = SourceId::parse(s.trim()).map_err(|e| ApiError::param("sources", e))?;
        if !all.iter().any(|x| x.id == id) {
            return Err(ApiError::param("sources", format!("no source {id}")));
        }
        out.push(id);
    }
    Ok(out)
}

/// 立案: file a case (enforcement officers, the dispatcher, the command). The domain's `file`
/// decides (a 案由, a 当事人, at least one linked problem or source: else 422); linked
/// problems must exist (404). The filing officer's unit becomes the 承办单位.
#[utoipa::path(post, path = "/cases", tag = "enforcement", request_body = NewCaseRequest,
    responses((status = 200, description = "The new case", body = Object),
              (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn file_case(
    State(app): State<Arc<App>>,
    caller: Caller,
    J(b): J<NewCaseRequest>,
) -> Res<Value> {
    caller.require(Perm::FileCase)?;
    let actor = actor_of(&app, &caller).await?;
    let sources = known_sources(&app, &b.sources).await?;
    let draft = CaseDraft {
        id: 0,
        title: b.title,
        party: b.party,
        sources,
        problems: b.problems,
    };
    let c = app.db.file_case(&draft, &actor, app.now()).await?;
    Ok(Json(case_json(&c)))
}

/// One step of a case: the version seen and the action (the domain's `CaseAction`, tagged by
/// `action`).
#[derive(Debug, Deserialize)]
pub struct CaseStepRequest {
    /// The case's `seq` as the caller saw it; a case changed since is 409 `conflict`.
    pub expected_seq: u64,
    /// The action, flattened: `{"action":"investigate","officers":[…],"findings":…,
    /// "evidence":[hash…]}`, `{"action":"notify","notice_no":…,"proposed":fen}`,
    /// `{"action":"decide_penalty","decision_no":…,"amount":fen}`,
    /// `{"action":"execute","collected":fen,"evidence":[…]}`, `{"action":"close","summary":…}`.
    #[serde(flatten)]
    pub action: CaseAction,
}

/// The evidence hashes a case action names.
pub fn case_evidence(a: &CaseAction) -> Vec<String> {
    match a {
        CaseAction::Investigate { evidence, .. } | CaseAction::Execute { evidence, .. } => {
            evidence.iter().map(ToString::to_string).collect()
        }
        _ => vec![],
    }
}

/// Apply one step to a case through the domain's one `transition` (enforcement officers and
/// the command; the domain decides per step: wrong state, not one of the case's officers, fewer
/// than two investigators, a penalty above the notice's → 422 `transition_refused`, nothing
/// written); a stale `expected_seq` → 409; evidence not uploaded → 404.
#[utoipa::path(post, path = "/cases/{id}/transition", tag = "enforcement",
    params(("id" = u64, Path, description = "Case number")),
    request_body(content = Object, description = "`{\"expected_seq\": n, \"action\": \"notify\", …}` \
        (the action's fields beside its tag; amounts in fen)"),
    responses((status = 200, description = "The case after the step", body = Object),
              (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope),
              (status = 422, body = ErrorEnvelope)))]
pub async fn case_transition(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(id): P<u64>,
    J(b): J<CaseStepRequest>,
) -> Res<Value> {
    caller.require(Perm::ActCase)?;
    let actor = actor_of(&app, &caller).await?;
    case_for(&app, &caller, id).await?;
    for h in case_evidence(&b.action) {
        if app.db.evidence(&h).await?.is_none() {
            return Err(ApiError::not_found(format!(
                "evidence {h} (upload it to /evidence first)"
            )));
        }
    }
    let c = app
        .db
        .transition_case(id, Some(b.expected_seq), b.action, &actor, app.now())
        .await?;
    Ok(Json(case_json(&c)))
}

// ---- accountability -----------------------------------------------------------------------

/// Accountability records (unit roles: those against their unit or its people).
#[utoipa::path(get, path = "/accountability", tag = "accountability", params(RecordQuery),
    responses((status = 200, body = RecordList), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn accountability(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<RecordQuery>,
) -> Res<RecordList> {
    caller.require(Perm::ReadRecords)?;
    let (page, per) = paging(&q)?;
    let ok = |s: &str| AccountabilityKind::ALL.iter().any(|x| x.code() == s);
    let Some(f) = record_filter(&caller, &q, ok)? else {
        return Ok(Json(empty(page, per)));
    };
    let got = walk(q.after, page, per, |p| app.db.accountability(&f, p)).await?;
    Ok(Json(RecordList {
        items: got.items.iter().map(accountability_json).collect(),
        page,
        per_page: per,
        total: got.total,
        next: got.next,
    }))
}

/// An accountability decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountabilityRequest {
    /// Who: `{"kind":"unit","unit":…}` or `{"kind":"person","person":…,"unit":…}`.
    #[schema(value_type = Object)]
    pub subject: Subject,
    /// The kind (`interview`, `written_self_criticism`, `public_criticism`, `admonishment`,
    /// `organisational_action`, `disciplinary`; the Chinese names are accepted too).
    pub kind: String,
    /// 问责事由.
    #[serde(default)]
    pub reason: String,
    /// The problems behind it.
    #[serde(default)]
    pub problems: Vec<u64>,
}

/// Record an accountability decision (the command and leaders). The domain decides (a reason
/// or a linked problem, a kind that fits the subject: else 400; a decider without the
/// authority: 422); linked problems must exist (404); the subject's unit must exist (400).
#[utoipa::path(post, path = "/accountability", tag = "accountability",
    request_body = NewAccountabilityRequest,
    responses((status = 200, description = "The record", body = Object),
              (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_accountability(
    State(app): State<Arc<App>>,
    caller: Caller,
    J(b): J<NewAccountabilityRequest>,
) -> Res<Value> {
    caller.require(Perm::DecideAccountability)?;
    let actor = actor_of(&app, &caller).await?;
    let kind = AccountabilityKind::parse(&b.kind)
        .ok_or_else(|| ApiError::param("kind", format!("unknown kind {:?}", b.kind)))?;
    let unit = b.subject.unit();
    if !app.db.units().await?.iter().any(|u| &u.code == unit) {
        return Err(ApiError::param("subject", format!("no unit {unit}")));
    }
    if let Subject::Person { person, .. } = &b.subject
        && !app.db.people().await?.iter().any(|p| &p.id == person)
    {
        return Err(ApiError::param("subject", format!("no person {person}")));
    }
    let draft = AccountabilityDraft {
        id: 0,
        subject: b.subject,
        kind,
        reason: b.reason,
        problems: b.problems,
    };
    let a = app
        .db
        .create_accountability(&draft, &actor, app.now())
        .await?;
    Ok(Json(accountability_json(&a)))
}

// ---- exports ------------------------------------------------------------------------------

/// Query of `GET /exports/{ledger}`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
    /// Header language: `zh` (default) or `en`.
    pub lang: Option<String>,
}

/// Every problem the caller sees, by id.
pub async fn problems_in_scope(app: &App, caller: &Caller) -> Result<Vec<Problem>, ApiError> {
    let filters: Vec<ProblemFilter> = match &caller.scope {
        Scope::District => vec![ProblemFilter::default()],
        Scope::Unit(u) => vec![ProblemFilter {
            unit: Some(u.clone()),
            ..ProblemFilter::default()
        }],
        Scope::Grids(gs) => gs
            .iter()
            .map(|g| ProblemFilter {
                grid: Some(g.clone()),
                ..ProblemFilter::default()
            })
            .collect(),
    };
    let mut all = Vec::new();
    for f in &filters {
        let mut after = None;
        loop {
            let pg = app.db.problems(f, Page { after, limit: 1000 }).await?;
            all.extend(pg.items.into_iter().filter(|p| sees_problem(caller, p)));
            match pg.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    all.sort_by_key(|p| p.id);
    all.dedup_by_key(|p| p.id);
    Ok(all)
}

/// Every record of a kind the caller sees.
async fn all_records<T, F, Fut>(fetch: F) -> Result<Vec<T>, ApiError>
where
    F: Fn(Page) -> Fut,
    Fut: std::future::Future<Output = Result<RecordPage<T>, lantian_store::StoreError>>,
{
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let pg = fetch(Page { after, limit: 1000 }).await?;
        out.extend(pg.items);
        match pg.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// The names `lantian-export` shows instead of codes.
pub async fn export_names(app: &App) -> Result<lantian_export::Names, ApiError> {
    Ok(lantian_export::Names {
        units: app
            .db
            .units()
            .await?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect(),
        people: app
            .db
            .people()
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect(),
        regions: app
            .db
            .regions()
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect(),
        sources: app
            .db
            .sources(&SourceFilter::default())
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
        campaigns: Catalog::embedded()
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("campaign catalog: {e}")))?,
    })
}

/// The bytes, file name and media type of a ledger's export for `caller`.
pub async fn export_ledger(
    app: &App,
    caller: &Caller,
    ledger: &str,
    csv: bool,
    lang: lantian_export::Lang,
) -> Result<(Vec<u8>, String, &'static str), ApiError> {
    let now: Timestamp = app.now();
    // Authorized before anything is read.
    match ledger {
        "problems" => caller.require(Perm::ReadLedger)?,
        "cases" | "accountability" => caller.require(Perm::ReadRecords)?,
        other => {
            return Err(ApiError::param(
                "ledger",
                format!("{other:?}: one of problems, cases, accountability"),
            ));
        }
    }
    let names = export_names(app).await?;
    let table = match ledger {
        "problems" => {
            let rows = problems_in_scope(app, caller).await?;
            lantian_export::problems_table(&rows, &names, lang, now)
        }
        _ => {
            let f = RecordFilter {
                unit: record_unit(caller)?,
                ..RecordFilter::default()
            };
            if ledger == "cases" {
                let rows = all_records(|p| app.db.cases(&f, p)).await?;
                lantian_export::cases_table(&rows, &names, lang)
            } else {
                let rows = all_records(|p| app.db.accountability(&f, p)).await?;
                lantian_export::accountability_table(&rows, &names, lang)
            }
        }
    };
    let fail =
        |e: lantian_export::ExportError| ApiError::new(ErrorCode::Internal, format!("export: {e}"));
    Ok(if csv {
        (
            lantian_export::to_csv(&table).map_err(fail)?,
            format!("{ledger}.csv"),
            "text/csv; charset=utf-8",
        )
    } else {
        (
            lantian_export::to_xlsx(&[table], now).map_err(fail)?,
            format!("{ledger}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    })
}

/// A ledger as a file (for the OpenAPI document: a binary string).
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ExportFile(pub Vec<u8>);

/// A whole ledger in the caller's scope as Excel (.xlsx, default) or CSV (UTF-8 with BOM),
/// with the columns officials use: `problems` (read ledger), `cases` and `accountability`
/// (read records).
#[utoipa::path(get, path = "/exports/{ledger}", tag = "exports",
    params(("ledger" = String, Path, description = "`problems`, `cases` or `accountability`"), ExportQuery),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = ExportFile),
              (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn export(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(ledger): P<String>,
    Q(q): Q<ExportQuery>,
) -> Result<Response, ApiError> {
    let csv = match q.format.as_deref() {
        None | Some("xlsx") => false,
        Some("csv") => true,
        Some(f) => return Err(ApiError::param("format", format!("{f:?}: xlsx or csv"))),
    };
    let lang = match q.lang.as_deref() {
        None | Some("zh") | Some("zh-CN") => lantian_export::Lang::Zh,
        Some("en") => lantian_export::Lang::En,
        Some(l) => return Err(ApiError::param("lang", format!("{l:?}: zh or en"))),
    };
    let (bytes, file, ct) = export_ledger(&app, &caller, &ledger, csv, lang).await?;
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

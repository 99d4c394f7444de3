//! `/api/v1` for the problem ledger (问题台账) and its tamper-evident log: problems (list with
//! filters, one, its timeline, create from a finding, transitions), evidence files
//! (content-addressed upload and download), the log's chain check and daily anchor, the
//! caller's notifications, and the audit trail of logins and authorization denials.
//!
//! The server decides only who may call what and which problems a caller sees
//! ([`sees_problem`]); whether an action is allowed on a problem is the domain's one
//! `transition` function, run by the store's `apply` in one transaction with its log entry.
//! The actor of every write is built from the caller's account ([`actor_of`]): an account
//! without a linked person cannot act on the ledger.

use crate::auth::{Caller, Perm, Scope};
use crate::error::{ApiError, ErrorCode, ErrorEnvelope};
use crate::extract::{J, P, Q};
use crate::state::App;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lantian_aq::Date;
use lantian_domain::calendar::Calendar;
use lantian_domain::campaign::Catalog;
use lantian_domain::ledger::{Action, Actor, Escalation, Finding, Mode, Problem, State as PState};
use lantian_domain::org::Role;
use lantian_domain::{PersonId, RegionCode, SourceId, Timestamp, UnitCode};
use lantian_store::Store;
use lantian_store::ledger::{self, LedgerStore, NewEntry, NewProblem, Page, ProblemFilter, Tamper};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};
use utoipa::{IntoParams, ToSchema};

type Res<T> = Result<Json<T>, ApiError>;

/// Default and largest page sizes of the ledger list (the store's keyset page is ≤ 1000).
const PER_PAGE: u32 = 50;
const MAX_PER_PAGE: u32 = 1000;

/// Largest evidence file accepted.
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

/// The entity kind of login and authorization entries in the audit log.
pub const KIND_AUTH: &str = "auth";

/// The campaign catalog compiled into the binary (parsed once).
pub(crate) fn catalog() -> Result<&'static Catalog, ApiError> {
    static C: OnceLock<Result<Catalog, String>> = OnceLock::new();
    C.get_or_init(|| Catalog::embedded().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("campaign catalog: {e}")))
}

/// The working-day calendar deadlines are counted on.
pub(crate) fn calendar() -> &'static Calendar {
    static C: OnceLock<Calendar> = OnceLock::new();
    C.get_or_init(Calendar::china)
}

/// The ledger actor of a caller: their linked person, unit (the account's unit, else the
/// person's), role and grids. 403 `forbidden` for an account without a person: the log must name
/// a person for every step.
pub async fn actor_of(app: &App, caller: &Caller) -> Result<Actor, ApiError> {
    let u = &caller.user;
    let Some(person) = u.person.clone() else {
        tracing::warn!(login = u.login, "denied: no linked person");
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "your account is not linked to a person, so it cannot act on the ledger",
        ));
    };
    let unit = match &u.unit {
        Some(unit) => unit.clone(),
        None => app
            .db
            .people()
            .await?
            .into_iter()
            .find(|p| p.id == person)
            .map(|p| p.unit)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Forbidden,
                    format!("person {person} of your account has no unit"),
                )
            })?,
    };
    Ok(Actor {
        person,
        unit,
        role: u.role,
        grids: u.grids.clone(),
    })
}

/// Whether the caller may see problem `p`: the district roles all; unit roles their unit's;
/// grid roles those in their grids; everyone the problems assigned to them personally.
pub fn sees_problem(caller: &Caller, p: &Problem) -> bool {
    if caller.user.person.is_some() && p.assignee == caller.user.person {
        return true;
    }
    match &caller.scope {
        Scope::District => true,
        Scope::Unit(u) => p.unit.as_ref() == Some(u),
        Scope::Grids(gs) => p.grid.as_ref().is_some_and(|g| gs.contains(g)),
    }
}

/// The problem `id` if the caller may see it (404 / 403 `out_of_scope`).
async fn problem_for(app: &App, caller: &Caller, id: u64) -> Result<Problem, ApiError> {
    let p = app
        .db
        .problem(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("problem {id}")))?;
    if !sees_problem(caller, &p) {
        return Err(ApiError::out_of_scope(format!("problem {id}")));
    }
    Ok(p)
}

/// The log's actor text for a caller: their person, else `user:<login>`.
pub fn log_actor(caller: &Caller) -> String {
    match &caller.user.person {
        Some(p) => p.as_str().to_owned(),
        None => format!("user:{}", caller.user.login),
    }
}

fn parse_code<T: serde::de::DeserializeOwned>(s: &str, name: &str) -> Result<T, ApiError> {
    serde_json::from_value(Value::String(s.trim().to_owned()))
        .map_err(|_| ApiError::param(name, format!("unknown value {s:?}")))
}

// ---- problems -----------------------------------------------------------------------------

/// Filters and paging of `GET /problems`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ProblemQuery {
    /// 责任单位 (unit code).
    pub unit: Option<String>,
    /// States, comma-separated (`new,assigned,rectifying,submitted,closed,suspended,reopened,
    /// duplicate,cancelled`).
    pub state: Option<String>,
    /// `true`: only open problems past their effective deadline now.
    pub overdue: Option<bool>,
    /// Campaign code (`air`).
    pub campaign: Option<String>,
    /// Grid code.
    pub grid: Option<String>,
    /// Source id.
    pub source: Option<String>,
    /// Escalation at least this (`warned`, `reminded`, `supervised`, `listed`,
    /// `accountability`).
    pub escalation: Option<String>,
    /// Keyset cursor: only ids after this (the `next` of the previous page). Cheaper than
    /// `page` for deep pages.
    pub after: Option<u64>,
    /// Page number from 1 (ignored with `after`).
    pub page: Option<u32>,
    /// Items per page (default 50, at most 1000).
    pub per_page: Option<u32>,
}

/// A page of problems.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemList {
    /// Problems of this page, by id (the domain's `Problem` as JSON, plus `overdue`).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// Page number (1 when paging by `after`).
    pub page: u32,
    /// Page size.
    pub per_page: u32,
    /// Problems matching the filters in the caller's scope, in all pages, counted up to 10 000.
    pub total: u64,
    /// The count stopped at 10 000: at least `total` match.
    pub total_capped: bool,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<u64>,
}

/// A problem as JSON with `overdue` (at `now`).
fn problem_json(p: &Problem, now: Timestamp) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("overdue".into(), Value::Bool(p.is_overdue(now)));
        m.insert("state_zh".into(), Value::String(p.state.name_zh().into()));
    }
    v
}

fn filter_of(q: &ProblemQuery, now: Timestamp) -> Result<ProblemFilter, ApiError> {
    let states = match q.state.as_deref() {
        None | Some("") => Vec::new(),
        Some(s) => s
            .split(',')
            .map(|x| parse_code::<PState>(x, "state"))
            .collect::<Result<_, _>>()?,
    };
    Ok(ProblemFilter {
        unit: q
            .unit
            .as_deref()
            .map(|u| UnitCode::parse(u).map_err(|e| ApiError::param("unit", e)))
            .transpose()?,
        states,
        overdue_at: q.overdue.unwrap_or(false).then_some(now),
        campaign: q.campaign.clone(),
        grid: q
            .grid
            .as_deref()
            .map(|g| RegionCode::parse(g).map_err(|e| ApiError::param("grid", e)))
            .transpose()?,
        source: q
            .source
            .as_deref()
            .map(|s| SourceId::parse(s).map_err(|e| ApiError::param("source", e)))
            .transpose()?,
        min_escalation: q
            .escalation
            .as_deref()
            .map(|e| parse_code::<Escalation>(e, "escalation"))
            .transpose()?,
    })
}

/// Page number and size of a keyset-paged list query (problems, cases, accountability,
/// inspections): `per_page` 1..=1000 (default 50); `page` from 1, and 1 when `after` is given.
pub(crate) fn keyset_paging(
    page: Option<u32>,
    per_page: Option<u32>,
    after: Option<u64>,
) -> Result<(u32, u32), ApiError> {
    let per = per_page.unwrap_or(PER_PAGE);
    if per == 0 || per > MAX_PER_PAGE {
        return Err(ApiError::param("per_page", "must be 1..=1000"));
    }
    let page = if after.is_some() {
        1
    } else {
        page.unwrap_or(1)
    };
    if page == 0 {
        return Err(ApiError::param("page", "starts at 1"));
    }
    Ok((page, per))
}

/// The ledger (unit roles: their unit's problems; grid roles: their grids'; everyone: those
/// assigned to them).
#[utoipa::path(get, path = "/problems", tag = "ledger", params(ProblemQuery),
    responses((status = 200, body = ProblemList), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn problems(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<ProblemQuery>,
) -> Res<ProblemList> {
    caller.require(Perm::ReadLedger)?;
    let (page, per) = keyset_paging(q.page, q.per_page, q.after)?;
    let now = app.now();
    let mut filter = filter_of(&q, now)?;
    // Unit roles: the store filters by their unit. Grid roles: their grids' problems are
    // collected grid by grid and cut here. (A problem assigned to someone personally outside
    // their unit or grids is readable by id but not listed.)
    match &caller.scope {
        Scope::District => {}
        Scope::Unit(u) => {
            if filter.unit.as_ref().is_some_and(|f| f != u) {
                return Ok(Json(ProblemList {
                    items: vec![],
                    page,
                    per_page: per,
                    total: 0,
                    total_capped: false,
                    next: None,
                }));
            }
            filter.unit = Some(u.clone());
        }
        Scope::Grids(gs) => {
            // One store query per grid of theirs (a grid filter is one index), merged by id.
            let grids: Vec<RegionCode> = match &filter.grid {
                Some(g) => gs.iter().filter(|x| *x == g).cloned().collect(),
                None => gs.iter().cloned().collect(),
            };
            let mut all = Vec::new();
            for g in grids {
                filter.grid = Some(g);
                let mut cursor = Page {
                    after: None,
                    limit: MAX_PER_PAGE,
                };
                loop {
                    let got = app.db.problems(&filter, cursor).await?;
                    all.extend(got.items);
                    match got.next {
                        Some(n) => cursor.after = Some(n),
                        None => break,
                    }
                }
            }
            all.sort_by_key(|p| p.id);
            let total = all.len() as u64;
            let rest: Vec<Problem> = match q.after {
                Some(a) => all.into_iter().filter(|p| p.id > a).collect(),
                None => all
                    .into_iter()
                    .skip((page as usize - 1).saturating_mul(per as usize))
                    .collect(),
            };
            let more = rest.len() > per as usize;
            let items: Vec<Problem> = rest.into_iter().take(per as usize).collect();
            let next = if more {
                items.last().map(|p| p.id)
            } else {
                None
            };
            return Ok(Json(ProblemList {
                items: items.iter().map(|p| problem_json(p, now)).collect(),
                page,
                per_page: per,
                total,
                total_capped: false,
                next,
            }));
        }
    }
    // District and unit scopes: the store's keyset pages; `page` n walks n − 1 pages first.
    let mut cursor = Page {
        after: q.after,
        limit: per,
    };
    let mut got = app.db.problems(&filter, cursor).await?;
    for _ in 1..page {
        match got.next {
            Some(n) => {
                cursor.after = Some(n);
                got = app.db.problems(&filter, cursor).await?;
            }
            None => {
                got.items.clear();
                break;
            }
        }
    }
    Ok(Json(ProblemList {
        items: got.items.iter().map(|p| problem_json(p, now)).collect(),
        page,
        per_page: per,
        total: got.total,
        total_capped: got.total_capped,
        next: got.next,
    }))
}

/// One problem.
#[utoipa::path(get, path = "/problems/{id}", tag = "ledger",
    params(("id" = u64, Path, description = "Ledger number")),
    responses((status = 200, description = "The problem (domain JSON plus `overdue`)", body = Object),
              (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn problem(State(app): State<Arc<App>>, caller: Caller, P(id): P<u64>) -> Res<Value> {
    caller.require(Perm::ReadLedger)?;
    let p = problem_for(&app, &caller, id).await?;
    Ok(Json(problem_json(&p, app.now())))
}

/// One entry of a problem's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// Position in the whole log.
    pub seq: u64,
    /// When (RFC 3339, +08:00).
    pub at: String,
    /// Who (person id, or `system`).
    pub actor: String,
    /// What (`create`, `assign`, `start`, `submit`, `approve`, …).
    pub action: String,
    /// What happened: the JSON that was hashed (a string if it is not JSON).
    #[schema(value_type = Object)]
    pub payload: Value,
    /// SHA-256 of the entry (hex).
    pub hash: String,
}

/// A problem's log entries, oldest first: one per step.
#[utoipa::path(get, path = "/problems/{id}/timeline", tag = "ledger",
    params(("id" = u64, Path, description = "Ledger number")),
    responses((status = 200, body = Vec<TimelineEntry>), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope)))]
pub async fn timeline(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(id): P<u64>,
) -> Res<Vec<TimelineEntry>> {
    caller.require(Perm::ReadLedger)?;
    problem_for(&app, &caller, id).await?;
    let entries = app.db.timeline(id).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| TimelineEntry {
                seq: e.seq,
                at: e.at.to_string(),
                actor: e.actor,
                action: e.action,
                payload: serde_json::from_slice(&e.payload)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&e.payload).into())),
                hash: ledger::hex(&e.hash),
            })
            .collect(),
    ))
}

/// A finding to record as a problem.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProblemRequest {
    /// Campaign code from the catalog (default: the default campaign, `air`).
    pub campaign: Option<String>,
    /// Category code within the campaign (`site_dust`); its Chinese name is also accepted.
    pub category: String,
    /// 问题描述.
    pub description: String,
    /// Grid where it was found (grid roles: one of theirs).
    pub grid: Option<String>,
    /// The source concerned.
    pub source: Option<String>,
    /// 责任单位 (unit code): who must rectify. The district roles may name any unit of the
    /// district, grid roles only their own unit (403 `out_of_scope` otherwise); an unknown
    /// unit is 400.
    pub unit: Option<String>,
    /// How it was found: `inspection` (default), `sensor`, `audit`, `public`.
    pub finding: Option<String>,
    /// The rectification mode (`{"mode":"immediate","hours":24}` or `{"mode":"time_bound",…}`);
    /// default: the category's, with the roadmap's due dates counted from now.
    #[schema(value_type = Option<Object>)]
    pub mode: Option<Mode>,
}

/// Record a finding as a new problem (state `new`); logged as `create`.
#[utoipa::path(post, path = "/problems", tag = "ledger", request_body = NewProblemRequest,
    responses((status = 200, description = "The new problem", body = Object),
              (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn create_problem(
    State(app): State<Arc<App>>,
    caller: Caller,
    J(b): J<NewProblemRequest>,
) -> Res<Value> {
    caller.require(Perm::CreateProblem)?;
    let actor = actor_of(&app, &caller).await?;
    let cat = catalog()?;
    let campaign = match &b.campaign {
        Some(c) => cat
            .get(c)
            .ok_or_else(|| ApiError::param("campaign", format!("no campaign {c:?}")))?,
        None => cat
            .default_campaign()
            .ok_or_else(|| ApiError::param("campaign", "no default campaign; name one"))?,
    };
    let category = campaign.category(&b.category).ok_or_else(|| {
        ApiError::param(
            "category",
            format!(
                "campaign {} has no category {:?}",
                campaign.code, b.category
            ),
        )
    })?;
    let grid = b
        .grid
        .as_deref()
        .map(|g| RegionCode::parse(g).map_err(|e| ApiError::param("grid", e)))
        .transpose()?;
    if let Scope::Grids(gs) = &caller.scope
        && !grid.as_ref().is_some_and(|g| gs.contains(g))
    {
        return Err(ApiError::out_of_scope(
            "a problem outside your grids (name one of your grids)",
        ));
    }
    let source = b
        .source
        .as_deref()
        .map(|s| SourceId::parse(s).map_err(|e| ApiError::param("source", e)))
        .transpose()?;
    let unit = match b.unit.as_deref() {
        None => None,
        Some(u) => Some(responsible_unit(&app, &caller, &actor, u).await?),
    };
    let finding = match b.finding.as_deref() {
        None => Finding::Inspection,
        Some(f) => parse_code::<Finding>(f, "finding")?,
    };
    let now = app.now();
    let mode = match b.mode {
        Some(m) => m,
        None => category.mode.instantiate(now, calendar()),
    };
    let p = app
        .db
        .create_problem(
            &NewProblem {
                campaign: campaign.code.clone(),
                category: category.code.clone(),
                description: b.description,
                finding,
                found_at: now,
                grid,
                source,
                unit,
                mode,
            },
            &actor,
            now,
        )
        .await?;
    Ok(Json(problem_json(&p, now)))
}

/// The responsible unit a creator names: it must exist, and the caller may name it — the
/// district-wide roles (admin, dispatcher, inspector, enforcement) any unit; the grid roles
/// only their own unit (their scope is their grids, which their unit answers for).
async fn responsible_unit(
    app: &App,
    caller: &Caller,
    actor: &Actor,
    code: &str,
) -> Result<UnitCode, ApiError> {
    let unit = UnitCode::parse(code.trim()).map_err(|e| ApiError::param("unit", e))?;
    if !app.db.units().await?.iter().any(|u| u.code == unit) {
        return Err(ApiError::param("unit", format!("no unit {unit}")));
    }
    match &caller.scope {
        Scope::District => Ok(unit),
        _ if unit == actor.unit => Ok(unit),
        _ => Err(ApiError::out_of_scope(format!(
            "unit {unit}: a {} names only their own unit",
            caller.user.role.code()
        ))),
    }
}

/// A transition: the version seen and the action (the domain's `Action`, tagged by `action`).
#[derive(Debug, Deserialize)]
pub struct TransitionRequest {
    /// The problem's `seq` as the caller saw it; a problem changed since is 409 `conflict`.
    pub expected_seq: u64,
    /// The action, flattened: `{"action":"assign","unit":…,"assignee":…}`, `{"action":"start"}`,
    /// `{"action":"submit","evidence":[hash…],"note":…}`, `{"action":"approve","evidence":[…]}`,
    /// `{"action":"reject","reason":…}`, `suspend`, `resume`, `reopen`, `duplicate`, `cancel`,
    /// `complete_milestone`, `escalate`.
    #[serde(flatten)]
    pub action: Action,
}

/// Apply an action to a problem. The ledger's rules decide (wrong state, role, scope, missing
/// evidence → 422 `transition_refused`, nothing written); a stale `expected_seq` → 409; evidence
/// not uploaded → 404.
#[utoipa::path(post, path = "/problems/{id}/transitions", tag = "ledger",
    params(("id" = u64, Path, description = "Ledger number")),
    request_body(content = Object, description = "`{\"expected_seq\": n, \"action\": \"start\", …}` \
        (the action's fields beside its tag)"),
    responses((status = 200, description = "The problem after the step", body = Object),
              (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope),
              (status = 422, body = ErrorEnvelope)))]
pub async fn transition(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(id): P<u64>,
    J(b): J<TransitionRequest>,
) -> Res<Value> {
    caller.require(Perm::ActLedger)?;
    let actor = actor_of(&app, &caller).await?;
    problem_for(&app, &caller, id).await?;
    let now = app.now();
    let p = app
        .db
        .apply(id, Some(b.expected_seq), b.action, &actor, now, calendar())
        .await?;
    Ok(Json(problem_json(&p, now)))
}

// ---- evidence -----------------------------------------------------------------------------

/// An evidence file stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceStored {
    /// SHA-256 of the bytes (hex): name it in `submit`/`approve`/`complete_milestone`.
    pub hash: String,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: usize,
}

/// The bytes of an evidence file (for the OpenAPI document: a binary string).
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct EvidenceFile(pub Vec<u8>);

/// Whether `bytes` start like `media_type` says (a PNG named JPEG, or an HTML page named PDF,
/// is refused).
fn magic_ok(media_type: &str, bytes: &[u8]) -> bool {
    match media_type {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        _ => false,
    }
}

/// Upload an evidence file: the raw bytes, `Content-Type` `image/jpeg`, `image/png` or
/// `application/pdf`, at most 10 MiB. Content-addressed: the same bytes give the same hash.
#[utoipa::path(post, path = "/evidence", tag = "ledger",
    request_body(content = EvidenceFile, content_type = "application/octet-stream",
        description = "The file's bytes, sent with Content-Type image/jpeg, image/png or application/pdf"),
    responses((status = 200, body = EvidenceStored), (status = 400, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope)))]
pub async fn upload_evidence(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Res<EvidenceStored> {
    caller.require(Perm::ActLedger)?;
    let actor = actor_of(&app, &caller).await?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !matches!(
        media_type.as_str(),
        "image/jpeg" | "image/png" | "application/pdf"
    ) {
        return Err(ApiError::param(
            "Content-Type",
            "must be image/jpeg, image/png or application/pdf",
        ));
    }
    if body.is_empty() {
        return Err(ApiError::param("body", "empty file"));
    }
    if body.len() > MAX_EVIDENCE_BYTES {
        return Err(ApiError::param("body", "larger than 10 MiB"));
    }
    if !magic_ok(&media_type, &body) {
        return Err(ApiError::param(
            "body",
            format!("the bytes are not a {media_type} file"),
        ));
    }
    let hash = app
        .db
        .put_evidence(&body, &media_type, &actor.person, app.now())
        .await?;
    Ok(Json(EvidenceStored {
        hash,
        media_type,
        size: body.len(),
    }))
}

/// An evidence file's bytes with its media type (anyone who may read the ledger).
#[utoipa::path(get, path = "/evidence/{hash}", tag = "ledger",
    params(("hash" = String, Path, description = "SHA-256, 64 hex digits")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = EvidenceFile),
              (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn evidence(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(hash): P<String>,
) -> Result<Response, ApiError> {
    caller.require(Perm::ReadLedger)?;
    let hash = hash.to_ascii_lowercase();
    if ledger::parse_hex(&hash).is_none() {
        return Err(ApiError::param("hash", "expected 64 hex digits"));
    }
    let e = app
        .db
        .evidence(&hash)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("evidence {hash}")))?;
    let ct = HeaderValue::from_str(&e.media_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400, immutable"),
            ),
            // Served as a download-free inline view, never as a page of this origin.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        e.bytes,
    )
        .into_response())
}

// ---- audit --------------------------------------------------------------------------------

/// The result of the chain check.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResult {
    /// Every entry and record holds.
    pub ok: bool,
    /// Entries checked (before the first bad thing, if any).
    pub entries: u64,
    /// Records checked.
    pub records: u64,
    /// Entries per second of this run.
    pub entries_per_s: f64,
    /// The log head: last seq.
    pub head_seq: u64,
    /// The head's hash (hex).
    pub head_hash: String,
    /// The first thing that does not hold (`{"tamper":"entry_edited","seq":…}`, …).
    #[schema(value_type = Option<Object>)]
    pub tamper: Option<Tamper>,
    /// The same, for people.
    pub message: Option<String>,
}

/// Run the audit log's chain check (admin, leader): every entry's hash and link, then every
/// record against the entry that last wrote it.
#[utoipa::path(get, path = "/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyResult), (status = 403, body = ErrorEnvelope)))]
pub async fn audit_verify(State(app): State<Arc<App>>, caller: Caller) -> Res<VerifyResult> {
    caller.require(Perm::Audit)?;
    #[allow(clippy::disallowed_methods)] // the answer reports the check's speed, not a time of day
    let t = std::time::Instant::now();
    let r = ledger::verify(&app.db, ledger::VERIFY_CHUNK).await?;
    let secs = t.elapsed().as_secs_f64();
    let (head_seq, head_hash) = app.db.log_head().await?;
    Ok(Json(VerifyResult {
        ok: r.tamper.is_none(),
        entries: r.entries,
        records: r.records,
        entries_per_s: (r.entries as f64 / secs.max(1e-9)).round(),
        head_seq,
        head_hash: ledger::hex(&head_hash),
        message: r.tamper.as_ref().map(ToString::to_string),
        tamper: r.tamper,
    }))
}

/// Query of `GET /audit/anchor`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AnchorQuery {
    /// The local day (Asia/Shanghai), `YYYY-MM-DD`.
    pub day: String,
}

/// The daily anchor: entries of the day and the hash of its last entry (publishing it fixes
/// every entry up to it).
#[utoipa::path(get, path = "/audit/anchor", tag = "audit", params(AnchorQuery),
    responses((status = 200, description = "`{day, count, last_seq, hash}`", body = Object),
              (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn audit_anchor(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<AnchorQuery>,
) -> Res<Value> {
    caller.require(Perm::Audit)?;
    let day = Date::parse(&q.day).ok_or_else(|| ApiError::param("day", "expected YYYY-MM-DD"))?;
    let a = app.db.anchor(day).await?;
    Ok(Json(serde_json::to_value(&a).unwrap_or(Value::Null)))
}

// ---- notifications ------------------------------------------------------------------------

/// An in-app notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    /// Id.
    pub id: u64,
    /// When (RFC 3339, +08:00).
    pub at: String,
    /// `escalation`, `assigned`.
    pub kind: String,
    /// The problem.
    pub problem: u64,
    /// Text (Chinese).
    pub text: String,
}

/// The caller's own notifications, newest first (none for an account without a person).
#[utoipa::path(get, path = "/notifications", tag = "ledger",
    responses((status = 200, body = Vec<NotificationDto>), (status = 401, body = ErrorEnvelope)))]
pub async fn notifications(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Res<Vec<NotificationDto>> {
    caller.require(Perm::Own)?;
    let Some(person) = &caller.user.person else {
        return Ok(Json(Vec::new()));
    };
    Ok(Json(
        app.db
            .notifications(person)
            .await?
            .into_iter()
            .map(|n| NotificationDto {
                id: n.id,
                at: n.at.to_string(),
                kind: n.kind,
                problem: n.problem,
                text: n.text,
            })
            .collect(),
    ))
}

// ---- the audit trail of logins and denials ------------------------------------------------

/// Append an `auth` entry; a failure to write it is the server's failure (500), so nothing
/// that must leave a trace happens without one.
pub async fn audit_auth(
    app: &App,
    actor: &str,
    entity: &str,
    action: &str,
    payload: Value,
) -> Result<(), ApiError> {
    let entity: String = entity.chars().take(64).collect();
    app.db
        .append(&NewEntry {
            at: app.now(),
            actor: actor.to_owned(),
            kind: KIND_AUTH.to_owned(),
            entity,
            action: action.to_owned(),
            payload: payload.to_string().into_bytes(),
        })
        .await?;
    Ok(())
}

/// Middleware: every 403 (`forbidden`, `out_of_scope`, `csrf_failed`) leaves an `auth` entry
/// `denied` naming who (person or `user:<login>`), the method, path and code. The
/// single place: [`ApiError`] responses carry their code as a response extension, set in its
/// `IntoResponse`.
pub async fn audit_denials(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let Some(code) = resp.extensions().get::<ErrorCode>().copied() else {
        return resp;
    };
    if !matches!(
        code,
        ErrorCode::Forbidden | ErrorCode::OutOfScope | ErrorCode::CsrfFailed
    ) {
        return resp;
    }
    // Only denials of an authenticated caller: a request without a live session (a forged
    // cookie failing CSRF) would otherwise let anyone fill the chain; those stay in `tracing`.
    let Ok(Some(c)) = crate::auth::resolve(&app, &headers).await else {
        return resp;
    };
    let (actor, login, role) = (log_actor(&c), c.user.login.clone(), c.user.role.code());
    let payload = json!({"method": method, "path": path, "code": code.code(), "role": role});
    if let Err(e) = audit_auth(&app, &actor, &login, "denied", payload).await {
        tracing::error!("audit log: a denial could not be recorded: {e}");
        return e.into_response();
    }
    resp
}

/// Append the `auth` entry of an account event of `caller` (logout, token created or
/// revoked): actor = their person (else `user:<login>`), entity = their login.
pub async fn audit_account(
    app: &App,
    caller: &Caller,
    action: &str,
    payload: Value,
) -> Result<(), ApiError> {
    audit_auth(app, &log_actor(caller), &caller.user.login, action, payload).await
}

/// The log actor of a login attempt: the account's person, else `user:<login>`.
pub fn login_actor(person: Option<&PersonId>, login: &str) -> String {
    match person {
        Some(p) => p.as_str().to_owned(),
        None => format!("user:{}", login.chars().take(64).collect::<String>()),
    }
}

/// Roles that may record findings.
pub const CREATORS: [Role; 6] = [
    Role::Admin,
    Role::Dispatcher,
    Role::Inspector,
    Role::EnforcementOfficer,
    Role::GridChief,
    Role::GridWorker,
];

//! The ledger pages: 台账 `/ledger` (filters, keyset paging), a problem `/problems/{id}`
//! (fields, deadline and escalation, the whole timeline from the log, evidence thumbnails, and
//! the transitions the viewer may make as CSRF-protected forms), evidence upload and download,
//! and 手机 `/field`, the grid worker's task list (GPS check-in, photo upload, submit).
//!
//! Object-level rule ([`sees`]): district roles see every problem, unit roles their unit's,
//! grid roles those in their grids or assigned to them. Which transitions a page offers is
//! decided by the domain's one transition function, tried on the problem as it is; the POST
//! handler calls [`LedgerStore::apply`], which runs it again in the write transaction, so a
//! form is never the authority.
//!
//! Photos travel as the raw request body of a `fetch` from `/static/ledger.js` (content type =
//! the file's type, CSRF token in `X-CSRF-Token`): no multipart parser on the server.

use crate::auth::{Caller, Perm, Scope};
use crate::error::{ApiError, ErrorCode};
use crate::extract::{P, Q};
use crate::pages::{base_ctx, error_page, page, page_caller};
use crate::state::App;
use crate::web::Lang;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use lantian_domain::calendar::Calendar;
use lantian_domain::campaign::Catalog;
use lantian_domain::ledger::{Action, Actor, Escalation, Problem, State as PState, transition};
use lantian_domain::org::Role;
use lantian_domain::{PersonId, RegionCode, Timestamp, UnitCode};
use lantian_store::Store;
use lantian_store::StoreError;
use lantian_store::ledger::{Evidence, LedgerStore, LogEntry, Page, ProblemFilter};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Media types accepted as evidence photos (never HTML or SVG from a browser: evidence is
/// served back from this origin).
pub const PHOTO_TYPES: [&str; 5] = [
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "image/heic",
];

/// Largest evidence file accepted (bytes).
pub const MAX_PHOTO: usize = 12 * 1024 * 1024;

/// Problems per ledger page.
pub const PER_PAGE: u32 = 50;

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::embedded().unwrap_or_default())
}

fn calendar() -> &'static Calendar {
    static C: OnceLock<Calendar> = OnceLock::new();
    C.get_or_init(Calendar::china)
}

/// The caller as a ledger actor: needs the account's person and unit (accounts not linked to a
/// person can read but not act).
pub fn actor_of(c: &Caller) -> Option<Actor> {
    Some(Actor {
        person: c.user.person.clone()?,
        unit: c.user.unit.clone()?,
        role: c.user.role,
        grids: c.user.grids.clone(),
    })
}

/// Whether the caller may see problem `p` (the object-level rule of the ledger pages).
pub fn sees(c: &Caller, p: &Problem) -> bool {
    let mine = c.user.person.is_some() && p.assignee == c.user.person;
    mine || match &c.scope {
        Scope::District => true,
        Scope::Unit(u) => p.unit.as_ref() == Some(u),
        Scope::Grids(gs) => p.grid.as_ref().is_some_and(|g| gs.contains(g)),
    }
}

/// A problem the caller may see, or 404 / 403 `out_of_scope`.
async fn visible_problem(app: &App, c: &Caller, id: u64) -> Result<Problem, ApiError> {
    c.require(Perm::LedgerPages)?;
    let p = app
        .db
        .problem(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("problem {id} not found")))?;
    if !sees(c, &p) {
        tracing::warn!(
            login = c.user.login,
            problem = id,
            "denied: problem out of scope"
        );
        return Err(ApiError::new(
            ErrorCode::OutOfScope,
            format!("problem {id} is outside your scope"),
        ));
    }
    Ok(p)
}

/// Display names of units, people and grids.
pub(crate) struct Names {
    pub(crate) units: HashMap<UnitCode, String>,
    pub(crate) people: HashMap<PersonId, String>,
    pub(crate) regions: HashMap<RegionCode, String>,
}

impl Names {
    pub(crate) async fn load(app: &App) -> Result<Names, ApiError> {
        // Regions (GeoJSON areas to parse) come from the per-revision cache.
        let rev = app.db.data_revision().await?;
        let regions = crate::cache::regions(app, rev).await?;
        let units = crate::cache::units(app, rev).await?;
        let people = crate::cache::people(app, rev).await?;
        Ok(Names {
            units: units
                .iter()
                .map(|u| (u.code.clone(), u.name.clone()))
                .collect(),
            people: people
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect(),
            regions: regions
                .iter()
                .map(|r| (r.code.clone(), r.name.clone()))
                .collect(),
        })
    }

    pub(crate) fn unit(&self, u: Option<&UnitCode>) -> String {
        u.map(|u| self.units.get(u).cloned().unwrap_or_else(|| u.to_string()))
            .unwrap_or_default()
    }

    pub(crate) fn person(&self, p: &str) -> String {
        self.people
            .iter()
            .find(|(k, _)| k.as_str() == p)
            .map_or_else(|| p.to_owned(), |(_, v)| v.clone())
    }

    pub(crate) fn region(&self, r: Option<&RegionCode>) -> String {
        r.map(|r| {
            self.regions
                .get(r)
                .cloned()
                .unwrap_or_else(|| r.to_string())
        })
        .unwrap_or_default()
    }
}

fn category_name(p: &Problem, lang: Lang) -> String {
    catalog()
        .get(&p.campaign)
        .and_then(|c| c.categories.iter().find(|x| x.code == p.category))
        .map_or_else(
            || p.category.clone(),
            |x| match lang {
                Lang::Zh => x.name_zh.clone(),
                Lang::En => x.name_en.clone(),
            },
        )
}

pub(crate) fn local_minute(t: Timestamp) -> String {
    let s = t.local_seconds_of_day();
    format!("{} {:02}:{:02}", t.local_date(), s / 3600, s / 60 % 60)
}

fn esc_code(e: Escalation) -> &'static str {
    match e {
        Escalation::None => "none",
        Escalation::Warned => "warned",
        Escalation::Reminded => "reminded",
        Escalation::Supervised => "supervised",
        Escalation::Listed => "listed",
        Escalation::Accountability => "accountability",
    }
}

/// A problem as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemRow {
    /// Ledger number.
    pub id: u64,
    /// Category name.
    pub category: String,
    /// 问题描述.
    pub description: String,
    /// Grid name.
    pub grid: String,
    /// Responsible unit's name.
    pub unit: String,
    /// Responsible person's name.
    pub assignee: String,
    /// State code.
    pub state: String,
    /// Escalation code.
    pub escalation: String,
    /// Found at (local minute).
    pub found_at: String,
    /// Effective deadline (local minute), if any.
    pub deadline: String,
    /// Open and past its deadline.
    pub overdue: bool,
    /// Version, for the forms.
    pub seq: u64,
}

pub(crate) fn row(p: &Problem, names: &Names, lang: Lang, now: Timestamp) -> ProblemRow {
    ProblemRow {
        id: p.id,
        category: category_name(p, lang),
        description: p.description.clone(),
        grid: names.region(p.grid.as_ref()),
        unit: names.unit(p.unit.as_ref()),
        assignee: p
            .assignee
            .as_ref()
            .map(|a| names.person(a.as_str()))
            .unwrap_or_default(),
        state: p.state.code().to_owned(),
        escalation: esc_code(p.escalation).to_owned(),
        found_at: local_minute(p.found_at),
        deadline: p
            .effective_deadline(now)
            .map(local_minute)
            .unwrap_or_default(),
        overdue: p.is_overdue(now),
        seq: p.seq,
    }
}

// ---- ledger list --------------------------------------------------------------------------

/// The ledger's query.
#[derive(Debug, Deserialize, Default)]
pub struct LedgerQuery {
    /// `zh-CN` or `en`.
    pub lang: Option<String>,
    /// A state code.
    pub state: Option<String>,
    /// A unit code.
    pub unit: Option<String>,
    /// A campaign code.
    pub campaign: Option<String>,
    /// `1`: only overdue problems.
    pub overdue: Option<String>,
    /// Keyset paging: the last id of the previous page.
    pub after: Option<u64>,
}

/// A query field, trimmed, if it says anything.
pub(crate) fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The query string that keeps a list's filters on its next page: the given fields that say
/// anything, in order.
pub(crate) fn filter_qs(fields: &[(&str, &Option<String>)]) -> String {
    let keep: Vec<(&str, &str)> = fields
        .iter()
        .filter_map(|(k, v)| Some((*k, nonempty(v)?)))
        .collect();
    serde_urlencoded::to_string(&keep).unwrap_or_default()
}

/// The units a filter offers, sorted: every unit, or only `only` (a unit role's own).
pub(crate) fn unit_choices(names: &Names, only: Option<&UnitCode>) -> Vec<(String, String)> {
    let mut units: Vec<(String, String)> = match only {
        None => names
            .units
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        Some(u) => vec![(u.to_string(), names.unit(Some(u)))],
    };
    units.sort();
    units
}

/// `GET /ledger`.
pub async fn ledger(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<LedgerQuery>,
) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match ledger_ctx(&app, &caller, &q, lang).await {
        Ok(extra) => {
            let ctx = context! { ..base_ctx(lang, &caller, "ledger"), ..extra };
            page(&app, lang, q.lang.is_some(), "ledger.html", ctx)
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

/// The filter of a ledger query, narrowed to the caller's scope; `None` when the scope
/// leaves nothing (a grid role without grids).
fn scoped_filter(
    c: &Caller,
    q: &LedgerQuery,
    now: Timestamp,
) -> Result<Vec<ProblemFilter>, ApiError> {
    let mut f = ProblemFilter::default();
    if let Some(s) = nonempty(&q.state) {
        let st = ALL_STATES
            .iter()
            .find(|x| x.code() == s)
            .ok_or_else(|| ApiError::param("state", "unknown state"))?;
        f.states = vec![*st];
    }
    if let Some(u) = nonempty(&q.unit) {
        f.unit = Some(UnitCode::parse(u).map_err(|e| ApiError::param("unit", e.to_string()))?);
    }
    if let Some(c) = nonempty(&q.campaign) {
        f.campaign = Some(c.to_owned());
    }
    if nonempty(&q.overdue).is_some_and(|o| o == "1") {
        f.overdue_at = Some(now);
    }
    Ok(match &c.scope {
        Scope::District => vec![f],
        Scope::Unit(u) => {
            if f.unit.as_ref().is_some_and(|x| x != u) {
                return Err(ApiError::new(
                    ErrorCode::OutOfScope,
                    "another unit's problems are outside your scope",
                ));
            }
            f.unit = Some(u.clone());
            vec![f]
        }
        Scope::Grids(gs) => {
            let mut gs: Vec<_> = gs.iter().cloned().collect();
            gs.sort();
            gs.into_iter()
                .map(|g| ProblemFilter {
                    grid: Some(g),
                    ..f.clone()
                })
                .collect()
        }
    })
}

/// Every state, in the ledger's filter order.
pub const ALL_STATES: [PState; 9] = [
    PState::New,
    PState::Assigned,
    PState::Rectifying,
    PState::Submitted,
    PState::Closed,
    PState::Suspended,
    PState::Reopened,
    PState::Duplicate,
    PState::Cancelled,
];

async fn ledger_ctx(app: &App, c: &Caller, q: &LedgerQuery, lang: Lang) -> Result<Value, ApiError> {
    c.require(Perm::LedgerPages)?;
    let now = app.now();
    let filters = scoped_filter(c, q, now)?;
    let page_req = Page {
        after: q.after,
        limit: PER_PAGE,
    };
    // A grid role with several grids: one query per grid, merged by id (their grids are few).
    let mut items = Vec::new();
    let (mut total, mut total_capped) = (0, false);
    for f in &filters {
        let pg = app.db.problems(f, page_req).await?;
        total += pg.total;
        total_capped |= pg.total_capped;
        items.extend(pg.items);
    }
    items.sort_by_key(|p| p.id);
    items.dedup_by_key(|p| p.id);
    items.truncate(PER_PAGE as usize);
    let next = (items.len() == PER_PAGE as usize)
        .then(|| items.last().map(|p| p.id))
        .flatten();
    let names = Names::load(app).await?;
    let rows: Vec<ProblemRow> = items.iter().map(|p| row(p, &names, lang, now)).collect();
    let units = match &c.scope {
        Scope::District => unit_choices(&names, None),
        Scope::Unit(u) => unit_choices(&names, Some(u)),
        Scope::Grids(_) => vec![],
    };
    let campaigns: Vec<(String, String)> = catalog()
        .campaigns()
        .iter()
        .map(|x| {
            (
                x.code.clone(),
                match lang {
                    Lang::Zh => x.name_zh.clone(),
                    Lang::En => x.name_en.clone(),
                },
            )
        })
        .collect();
    // The query string of the next page keeps the filters.
    let filter_qs = filter_qs(&[
        ("state", &q.state),
        ("unit", &q.unit),
        ("campaign", &q.campaign),
        ("overdue", &q.overdue),
    ]);
    Ok(context! {
        rows => Serde(rows),
        total => total,
        total_capped => total_capped,
        next => next,
        filter_qs => filter_qs,
        states => ALL_STATES.iter().map(|s| s.code()).collect::<Vec<_>>(),
        units => Serde(units),
        campaigns => Serde(campaigns),
        f_state => nonempty(&q.state).unwrap_or(""),
        f_unit => nonempty(&q.unit).unwrap_or(""),
        f_campaign => nonempty(&q.campaign).unwrap_or(""),
        f_overdue => nonempty(&q.overdue).is_some_and(|o| o == "1"),
        paged => q.after.is_some(),
    })
}

/// `GET /ledger/export.xlsx`: every problem the ledger's filters and the caller's scope give
/// (not only one page), as the 问题台账 workbook of `lantian-export`.
pub async fn export_xlsx(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<LedgerQuery>,
) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match export_bytes(&app, &caller, &q, lang).await {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"ledger.xlsx\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

async fn export_bytes(
    app: &App,
    c: &Caller,
    q: &LedgerQuery,
    lang: Lang,
) -> Result<Vec<u8>, ApiError> {
    c.require(Perm::LedgerPages)?;
    let now = app.now();
    let mut items = Vec::new();
    for f in scoped_filter(c, q, now)? {
        let mut after = None;
        loop {
            let pg = app.db.problems(&f, Page { after, limit: 1000 }).await?;
            items.extend(pg.items);
            match pg.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    items.sort_by_key(|p| p.id);
    items.dedup_by_key(|p| p.id);
    let n = Names::load(app).await?;
    let names = lantian_export::Names {
        units: n.units.into_iter().collect(),
        people: n.people.into_iter().collect(),
        regions: n.regions.into_iter().collect(),
        sources: Default::default(),
        campaigns: catalog().clone(),
    };
    let xl = match lang {
        Lang::Zh => lantian_export::Lang::Zh,
        Lang::En => lantian_export::Lang::En,
    };
    let table = lantian_export::problems_table(&items, &names, xl, now);
    lantian_export::to_xlsx(&[table], now)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("export: {e}")))
}

// ---- problem page -------------------------------------------------------------------------

/// A timeline line.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    /// Log sequence number.
    pub seq: u64,
    /// When (local minute).
    pub at: String,
    /// Who (name).
    pub actor: String,
    /// Action code (`create`, `assign` …).
    pub action: String,
    /// State after, if the entry moved it.
    pub to: String,
    /// Note, reason or assignee.
    pub detail: String,
    /// Evidence hashes.
    pub evidence: Vec<String>,
}

fn timeline_row(e: &LogEntry, names: &Names) -> TimelineRow {
    let v: serde_json::Value = serde_json::from_slice(&e.payload).unwrap_or_default();
    let a = &v["action"];
    let mut detail = Vec::new();
    for k in ["note", "reason"] {
        if let Some(s) = a[k].as_str() {
            detail.push(s.to_owned());
        }
    }
    if let Some(s) = a["assignee"].as_str() {
        detail.push(format!(
            "{} · {}",
            names.person(s),
            a["unit"]
                .as_str()
                .map(|u| names
                    .units
                    .iter()
                    .find(|(k, _)| k.as_str() == u)
                    .map_or(u.to_owned(), |(_, n)| n.clone()))
                .unwrap_or_default()
        ));
    }
    if let Some(s) = a["to"].as_str() {
        detail.push(s.to_owned());
    }
    let evidence = a["evidence"]
        .as_array()
        .map(|xs| {
            xs.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    TimelineRow {
        seq: e.seq,
        at: local_minute(e.at),
        actor: names.person(&e.actor),
        action: e.action.clone(),
        to: v["to"].as_str().unwrap_or("").to_owned(),
        detail: detail.join(" · "),
        evidence,
    }
}

/// A transition form the viewer may submit: its action code and the fields it asks for.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    /// Action code.
    pub action: &'static str,
    /// Fields: `reason`, `note`, `evidence`, `gps`, `assign`.
    pub fields: Vec<&'static str>,
}

/// The transitions `actor` may make on `p` now: each tried with the domain's transition
/// function on sample values (evidence present, reasons given).
pub fn offers(p: &Problem, actor: &Actor, now: Timestamp) -> Vec<Offer> {
    let ev = vec!["0".repeat(64)];
    let r = || "x".to_owned();
    let assign = Action::Assign {
        unit: p.unit.clone().unwrap_or_else(|| actor.unit.clone()),
        assignee: actor.person.clone(),
    };
    let candidates: Vec<(Action, Vec<&'static str>)> = vec![
        (assign, vec!["assign"]),
        (Action::Start, vec![]),
        (
            Action::Submit {
                evidence: ev.clone(),
                note: r(),
            },
            vec!["gps", "evidence", "note"],
        ),
        (Action::Approve { evidence: ev }, vec!["evidence"]),
        (Action::Reject { reason: r() }, vec!["reason"]),
        (Action::Suspend { reason: r() }, vec!["reason"]),
        (Action::Resume, vec![]),
        (Action::Reopen { reason: r() }, vec!["reason"]),
        (Action::Cancel { reason: r() }, vec!["reason"]),
    ];
    candidates
        .into_iter()
        .filter_map(|(a, fields)| {
            let code = a.code();
            transition(p, actor, a, now, calendar())
                .ok()
                .map(|_| Offer {
                    action: code,
                    fields,
                })
        })
        .collect()
}

/// Query of the problem page.
#[derive(Debug, Deserialize, Default)]
pub struct ProblemQuery {
    /// `zh-CN` or `en`.
    pub lang: Option<String>,
    /// `done` after a transition was applied.
    pub msg: Option<String>,
}

/// `GET /problems/{id}`.
pub async fn problem(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P(id): P<u64>,
    Q(q): Q<ProblemQuery>,
) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let done = q.msg.as_deref() == Some("done");
    render_problem(&app, &caller, lang, q.lang.is_some(), id, done, None).await
}

async fn render_problem(
    app: &App,
    c: &Caller,
    lang: Lang,
    set_lang: bool,
    id: u64,
    done: bool,
    refusal: Option<&ApiError>,
) -> Response {
    match problem_ctx(app, c, id, lang).await {
        Ok(extra) => {
            let ctx = context! {
                ..base_ctx(lang, c, "ledger"),
                ..context! {
                    done => done,
                    refused => refusal.map(|e| e.code.code()).unwrap_or(""),
                    refused_message => refusal.map(|e| e.message.clone()).unwrap_or_default(),
                },
                ..extra
            };
            let mut r = page(app, lang, set_lang, "problem.html", ctx);
            if let Some(e) = refusal {
                *r.status_mut() = e.code.status();
            }
            r
        }
        Err(e) => error_page(app, lang, Some(c), &e),
    }
}

async fn problem_ctx(app: &App, c: &Caller, id: u64, lang: Lang) -> Result<Value, ApiError> {
    let p = visible_problem(app, c, id).await?;
    let now = app.now();
    let names = Names::load(app).await?;
    let timeline: Vec<TimelineRow> = app
        .db
        .timeline(id)
        .await?
        .iter()
        .map(|e| timeline_row(e, &names))
        .collect();
    let offers = actor_of(c).map(|a| offers(&p, &a, now)).unwrap_or_default();
    let verification = p.verification.as_ref().map(|v| {
        serde_json::json!({
            "by": names.person(v.by.as_str()),
            "unit": names.unit(Some(&v.unit)),
            "at": local_minute(v.at),
        })
    });
    Ok(context! {
        p => Serde(row(&p, &names, lang, now)),
        finding => match p.finding {
            lantian_domain::ledger::Finding::Inspection => "inspection",
            lantian_domain::ledger::Finding::Sensor => "sensor",
            lantian_domain::ledger::Finding::Audit => "audit",
            lantian_domain::ledger::Finding::Public => "public",
        },
        rebounds => p.rebounds,
        closed_at => p.closed_at.map(local_minute).unwrap_or_default(),
        verification => Serde(verification),
        timeline => Serde(timeline),
        offers => Serde(offers),
        can_act => actor_of(c).is_some(),
        back => format!("/problems/{id}"),
    })
}

/// A transition form.
#[derive(Debug, Deserialize)]
pub struct ActForm {
    /// Action code.
    pub action: String,
    /// The version the form was rendered from.
    pub seq: Option<u64>,
    /// Reason (reject, suspend, reopen, cancel).
    #[serde(default)]
    pub reason: String,
    /// Note (submit).
    #[serde(default)]
    pub note: String,
    /// Evidence hashes, comma-separated (filled by the upload script).
    #[serde(default)]
    pub evidence: String,
    /// Assign: unit code.
    #[serde(default)]
    pub unit: String,
    /// Assign: person id.
    #[serde(default)]
    pub assignee: String,
    /// GPS check-in (filled by the check-in button).
    #[serde(default)]
    pub lat: String,
    /// GPS check-in.
    #[serde(default)]
    pub lon: String,
    /// Where to return: `/field` or the problem page.
    #[serde(default)]
    pub back: String,
}

fn form_action(f: &ActForm) -> Result<Action, ApiError> {
    let evidence: Vec<String> = f
        .evidence
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if evidence
        .iter()
        .any(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(ApiError::param("evidence", "not a list of SHA-256 hashes"));
    }
    Ok(match f.action.as_str() {
        "assign" => Action::Assign {
            unit: UnitCode::parse(f.unit.trim())
                .map_err(|e| ApiError::param("unit", e.to_string()))?,
            assignee: PersonId::parse(f.assignee.trim())
                .map_err(|e| ApiError::param("assignee", e.to_string()))?,
        },
        "start" => Action::Start,
        "submit" => {
            let mut note = f.note.trim().to_owned();
            if !f.lat.trim().is_empty() || !f.lon.trim().is_empty() {
                let lat: f64 = f
                    .lat
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::param("lat", "not a number"))?;
                let lon: f64 = f
                    .lon
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::param("lon", "not a number"))?;
                if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                    return Err(ApiError::param("lat", "not a position on Earth"));
                }
                let gps = format!("GPS {lat:.5},{lon:.5}");
                note = if note.is_empty() {
                    gps
                } else {
                    format!("{note} · {gps}")
                };
            }
            Action::Submit { evidence, note }
        }
        "approve" => Action::Approve { evidence },
        "reject" => Action::Reject {
            reason: f.reason.clone(),
        },
        "suspend" => Action::Suspend {
            reason: f.reason.clone(),
        },
        "resume" => Action::Resume,
        "reopen" => Action::Reopen {
            reason: f.reason.clone(),
        },
        "cancel" => Action::Cancel {
            reason: f.reason.clone(),
        },
        _ => return Err(ApiError::param("action", "unknown action")),
    })
}

/// `POST /problems/{id}/act`: apply a transition; on success back to the page (303), on a
/// refusal the problem page again with the reason (422, 409 for a stale form).
pub async fn act(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P(id): P<u64>,
    Form(f): Form<ActForm>,
) -> Response {
    let lang = Lang::of_request(None, &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let result = async {
        visible_problem(&app, &caller, id).await?;
        let actor = actor_of(&caller).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Forbidden,
                "this account is not linked to a person and unit, so it cannot act on problems",
            )
        })?;
        let action = form_action(&f)?;
        app.db
            .apply(id, f.seq, action, &actor, app.now(), calendar())
            .await
            .map_err(|e| match e {
                StoreError::NotFound { entity, key } if entity.contains("evidence") => {
                    ApiError::new(
                        ErrorCode::TransitionRefused,
                        format!("evidence {key} was not uploaded"),
                    )
                }
                e => ApiError::from(e),
            })
    }
    .await;
    match result {
        Ok(_) => {
            let back = if f.back == "/field" {
                format!("/field?done={id}")
            } else {
                format!("/problems/{id}?msg=done")
            };
            Redirect::to(&back).into_response()
        }
        Err(e)
            if matches!(
                e.code,
                ErrorCode::TransitionRefused | ErrorCode::Conflict | ErrorCode::InvalidParameter
            ) =>
        {
            render_problem(&app, &caller, lang, false, id, false, Some(&e)).await
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

/// `POST /problems/{id}/evidence`: the raw bytes of one photo (`Content-Type` one of
/// [`PHOTO_TYPES`]), stored with `put_evidence`; answers `{"hash": …}` for the form.
pub async fn upload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P(id): P<u64>,
    body: Bytes,
) -> Response {
    let r = async {
        let caller = photo_caller(&app, &headers).await?;
        from_browser(&caller)?;
        visible_problem(&app, &caller, id).await?;
        let actor = actor_of(&caller).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Forbidden,
                "this account is not linked to a person",
            )
        })?;
        let hash = store_photo(&app, &actor.person, &headers, &body).await?;
        Ok::<_, ApiError>(Json(serde_json::json!({ "hash": hash })))
    }
    .await;
    match r {
        Ok(j) => j.into_response(),
        Err(e) => e.into_response(),
    }
}

/// The caller of a page's photo endpoint (upload or view): a logged-in session (401 otherwise).
pub(crate) async fn photo_caller(app: &App, headers: &HeaderMap) -> Result<Caller, ApiError> {
    crate::auth::resolve(app, headers)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "log in first"))
}

/// A photo upload is a page action: browser sessions only (an API token's `read` scope does
/// not write).
pub(crate) fn from_browser(caller: &Caller) -> Result<(), ApiError> {
    if caller.session.kind != lantian_store::accounts::SessionKind::Web {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "photos are uploaded from a browser session",
        ));
    }
    Ok(())
}

/// An evidence file as a response: its media type, sandboxed (no script runs even if it is
/// an SVG).
pub(crate) fn sandboxed(e: Evidence) -> Response {
    let mut resp = e.bytes.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&e.media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    resp
}

/// Store the raw bytes of one photo sent by a page (`Content-Type` one of [`PHOTO_TYPES`],
/// at most [`MAX_PHOTO`]) as evidence uploaded by `person`; its SHA-256 (hex). The caller
/// must already have been checked for the object the photo belongs to.
pub(crate) async fn store_photo(
    app: &App,
    person: &PersonId,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<String, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !PHOTO_TYPES.contains(&ct.as_str()) {
        return Err(ApiError::param(
            "Content-Type",
            format!("a photo is one of {}", PHOTO_TYPES.join(", ")),
        ));
    }
    if body.is_empty() || body.len() > MAX_PHOTO {
        return Err(ApiError::param("body", "empty, or larger than 12 MB"));
    }
    let hash = app.db.put_evidence(body, &ct, person, app.now()).await?;
    Ok(hash)
}

/// `GET /problems/{id}/evidence/{hash}`: an evidence file of a problem the caller sees,
/// named in the problem's timeline. Served sandboxed (no script even if it is an SVG).
pub async fn evidence(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P((id, hash)): P<(u64, String)>,
) -> Response {
    let r = async {
        let caller = photo_caller(&app, &headers).await?;
        visible_problem(&app, &caller, id).await?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::param("hash", "not a SHA-256 (64 hex digits)"));
        }
        let named = app.db.timeline(id).await?.iter().any(|e| {
            std::str::from_utf8(&e.payload).is_ok_and(|s| s.contains(&format!("\"{hash}\"")))
        });
        if !named {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!("problem {id} has no evidence {hash}"),
            ));
        }
        app.db
            .evidence(&hash)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "evidence not stored"))
    }
    .await;
    match r {
        Ok(e) => {
            let mut resp = sandboxed(e);
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400"),
            );
            resp
        }
        Err(e) => e.into_response(),
    }
}

// ---- field page ---------------------------------------------------------------------------

/// Query of the field page.
#[derive(Debug, Deserialize, Default)]
pub struct FieldQuery {
    /// `zh-CN` or `en`.
    pub lang: Option<String>,
    /// The problem just submitted.
    pub done: Option<u64>,
}

/// `GET /field`: the caller's tasks — problems assigned to them, or (grid roles) open in
/// their grids — with check-in, photo upload and submit.
pub async fn field(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<FieldQuery>,
) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match field_ctx(&app, &caller, lang).await {
        Ok(extra) => {
            let ctx = context! {
                ..base_ctx(lang, &caller, "field"),
                ..context! { done => q.done },
                ..extra
            };
            page(&app, lang, q.lang.is_some(), "field.html", ctx)
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

/// A task on the field page.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    /// The problem.
    pub p: ProblemRow,
    /// What the worker may do now.
    pub offers: Vec<Offer>,
}

async fn field_ctx(app: &App, c: &Caller, lang: Lang) -> Result<Value, ApiError> {
    c.require(Perm::LedgerPages)?;
    let now = app.now();
    let open = vec![
        PState::Assigned,
        PState::Rectifying,
        PState::Submitted,
        PState::Reopened,
    ];
    let mut filters = Vec::new();
    match &c.scope {
        Scope::Grids(gs) => {
            let mut gs: Vec<_> = gs.iter().cloned().collect();
            gs.sort();
            for g in gs {
                filters.push(ProblemFilter {
                    grid: Some(g),
                    states: open.clone(),
                    ..ProblemFilter::default()
                });
            }
        }
        Scope::Unit(u) => filters.push(ProblemFilter {
            unit: Some(u.clone()),
            states: open.clone(),
            ..ProblemFilter::default()
        }),
        Scope::District => {}
    }
    let mut items = Vec::new();
    for f in &filters {
        let mut after = None;
        loop {
            let pg = app.db.problems(f, Page { after, limit: 500 }).await?;
            items.extend(pg.items);
            match pg.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    let me = c.user.person.clone();
    // Grid roles see their grids' open tasks; everyone else only what is assigned to them.
    let grid_role = matches!(c.user.role, Role::GridChief | Role::GridWorker);
    items.retain(|p| sees(c, p) && (grid_role || (me.is_some() && p.assignee == me)));
    items.sort_by_key(|p| (p.assignee != me, p.deadline.map_or(i64::MAX, |d| d.0), p.id));
    items.dedup_by_key(|p| p.id);
    let names = Names::load(app).await?;
    let actor = actor_of(c);
    let tasks: Vec<Task> = items
        .iter()
        .map(|p| Task {
            p: row(p, &names, lang, now),
            offers: actor
                .as_ref()
                .map(|a| offers(p, a, now))
                .unwrap_or_default(),
        })
        .collect();
    Ok(context! { tasks => Serde(tasks) })
}

// ---- assets and samples -------------------------------------------------------------------

const LEDGER_JS: &str = include_str!("../assets/ledger.js");

/// `/static/ledger.js`: photo upload and GPS check-in for the forms.
pub async fn ledger_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        LEDGER_JS,
    )
        .into_response()
}

/// Sample contexts of the ledger templates for the render-every-page test (`None` for other
/// templates). The description holds a `<script>` to prove escaping.
pub fn sample_extra(name: &str) -> Option<Value> {
    let row = ProblemRow {
        id: 7,
        category: "工地扬尘".into(),
        description: "<script>alert(2)</script> 围挡破损".into(),
        grid: "<b>网格</b>".into(),
        unit: "城管中心".into(),
        assignee: "张三".into(),
        state: "rectifying".into(),
        escalation: "supervised".into(),
        found_at: "2025-01-30 09:00".into(),
        deadline: "2025-02-01 09:00".into(),
        overdue: true,
        seq: 3,
    };
    let all_offers = vec![
        Offer {
            action: "assign",
            fields: vec!["assign"],
        },
        Offer {
            action: "submit",
            fields: vec!["gps", "evidence", "note"],
        },
        Offer {
            action: "approve",
            fields: vec!["evidence"],
        },
        Offer {
            action: "reject",
            fields: vec!["reason"],
        },
        Offer {
            action: "start",
            fields: vec![],
        },
    ];
    Some(match name {
        "ledger.html" => context! {
            rows => Serde(vec![row.clone()]), total => 1, total_capped => false, next => Some(7), filter_qs => "state=new",
            states => ALL_STATES.iter().map(|s| s.code()).collect::<Vec<_>>(),
            units => Serde(vec![("u1", "<i>单位</i>")]),
            campaigns => Serde(vec![("air", "大气")]),
            f_state => "new", f_unit => "", f_campaign => "air", f_overdue => true, paged => true,
        },
        "problem.html" => context! {
            p => Serde(row.clone()), finding => "public", rebounds => 1,
            closed_at => "2025-02-01 10:00",
            verification => Serde(Some(serde_json::json!({"by": "李四", "unit": "执法大队", "at": "2025-02-01 10:00"}))),
            timeline => Serde(vec![TimelineRow { seq: 1, at: "2025-01-30 09:00".into(),
                actor: "<script>x</script>".into(), action: "submit".into(), to: "submitted".into(),
                detail: "note".into(), evidence: vec!["a".repeat(64)] },
                TimelineRow { seq: 2, at: "2025-01-30 10:00".into(), actor: "王五".into(),
                action: "create".into(), to: String::new(), detail: String::new(), evidence: vec![] }]),
            offers => Serde(all_offers.clone()), can_act => true, back => "/problems/7",
            done => true, refused => "transition_refused", refused_message => "<script>no</script>",
        },
        "field.html" => context! {
            tasks => Serde(vec![Task { p: row, offers: all_offers }]), done => Some(7),
        },
        _ => return None,
    })
}

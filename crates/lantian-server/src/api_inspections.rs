//! `/api/v1` for campaigns (专项行动) and inspections (检查): the embedded campaign templates,
//! inspection plans (list with filters, one with its records and the problems they raised,
//! create, dispatch) and filing a record on a dispatched plan.
//!
//! The server decides who may call what and which plans and records a caller sees
//! ([`sees_plan`], [`sees_record`]); whether a plan may be made or dispatched and whether a
//! record is acceptable (own-unit rule, night window, the team, the seal) is the domain's, run
//! by the store in one transaction with the log entries — a refusal is 422
//! `transition_refused`. A sealed (四不两直) plan's target list is answered ONCE, to the caller
//! who made it; the store keeps only its hash, and the list must come back with the dispatch.

use crate::api_ledger::{actor_of, calendar, catalog};
use crate::auth::{Caller, Perm, Scope};
use crate::error::{ApiError, ErrorCode, ErrorEnvelope};
use crate::extract::{J, P, Q};
use crate::state::App;
use axum::Json;
use axum::extract::State;
use lantian_aq::Date;
use lantian_domain::geo::Point;
use lantian_domain::inspection::{
    CheckIn, CheckInPolicy, ChecklistResult, FindingDraft, InspectionMode, InspectionPlan,
    InspectionRecord, Inspector, Nonce, PlanDraft, Reinspection, SealedList, Target, TargetKind,
};
use lantian_domain::{ContentHash, PersonId, RegionCode, SourceId, Timestamp, UnitCode};
use lantian_store::inspections::{FileContext, FiledRecord, InspectionFilter, InspectionStore};
use lantian_store::ledger::{self, LedgerStore, Page};
use lantian_store::{AccountStore, SourceFilter, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

type Res<T> = Result<Json<T>, ApiError>;

const MAX_PER_PAGE: u32 = 1000;

// ---- campaigns ----------------------------------------------------------------------------

/// A checklist item of a category.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistItemDto {
    /// Stable code.
    pub code: String,
    /// Chinese text.
    pub name: String,
    /// English text.
    pub name_en: String,
}

/// A problem category of a campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDto {
    /// Stable code (`site_dust`).
    pub code: String,
    /// Chinese name (工地扬尘).
    pub name: String,
    /// English name.
    pub name_en: String,
    /// What an inspection of it checks.
    pub checklist: Vec<ChecklistItemDto>,
}

/// A campaign template (专项行动).
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDto {
    /// Stable code (`air`).
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// The default campaign of new problems.
    pub default: bool,
    /// Problem categories.
    pub categories: Vec<CategoryDto>,
}

/// The campaigns compiled into the binary, with their categories and checklists.
#[utoipa::path(get, path = "/campaigns", tag = "inspections",
    responses((status = 200, body = Vec<CampaignDto>), (status = 401, body = ErrorEnvelope)))]
pub async fn campaigns(caller: Caller) -> Res<Vec<CampaignDto>> {
    caller.require(Perm::ReadLedger)?;
    Ok(Json(
        catalog()?
            .campaigns()
            .iter()
            .map(|c| CampaignDto {
                code: c.code.clone(),
                name: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                default: c.default,
                categories: c
                    .categories
                    .iter()
                    .map(|k| CategoryDto {
                        code: k.code.clone(),
                        name: k.name_zh.clone(),
                        name_en: k.name_en.clone(),
                        checklist: k
                            .checklist
                            .iter()
                            .map(|i| ChecklistItemDto {
                                code: i.code.clone(),
                                name: i.zh.clone(),
                                name_en: i.en.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    ))
}

// ---- scope --------------------------------------------------------------------------------

/// Whether the caller sees plan `p`: the district roles all (a sealed plan shows its hash
/// only); unit roles plans with a visible target of their unit; grid roles plans with a
/// visible target in their grids.
pub fn sees_plan(caller: &Caller, p: &InspectionPlan) -> bool {
    let t = p.visible_targets().unwrap_or(&[]);
    match &caller.scope {
        Scope::District => true,
        Scope::Unit(u) => t.iter().any(|t| t.unit.as_ref() == Some(u)),
        Scope::Grids(gs) => t
            .iter()
            .any(|t| t.grid.as_ref().is_some_and(|g| gs.contains(g))),
    }
}

/// Whether the caller sees record `r`: the district roles all; unit roles those of their
/// unit's targets; grid roles those in their grids.
pub fn sees_record(caller: &Caller, r: &InspectionRecord) -> bool {
    match &caller.scope {
        Scope::District => true,
        Scope::Unit(u) => r.target.unit.as_ref() == Some(u),
        Scope::Grids(gs) => r.target.grid.as_ref().is_some_and(|g| gs.contains(g)),
    }
}

async fn plan_for(app: &App, caller: &Caller, id: u64) -> Result<InspectionPlan, ApiError> {
    let p = app
        .db
        .plan(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("inspection {id}")))?;
    if !sees_plan(caller, &p) {
        return Err(ApiError::out_of_scope(format!("inspection {id}")));
    }
    Ok(p)
}

/// A plan as JSON: the domain's `InspectionPlan` plus `mode_zh`, `sealed` and `targets` (the
/// visible targets; none while sealed).
fn plan_json(p: &InspectionPlan) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("mode_zh".into(), Value::String(p.mode.name_zh().into()));
        m.insert("sealed".into(), Value::Bool(p.seal().is_some()));
        m.insert(
            "seal".into(),
            p.seal()
                .map_or(Value::Null, |h| Value::String(h.to_string())),
        );
        m.insert(
            "visible_targets".into(),
            serde_json::to_value(p.visible_targets()).unwrap_or(Value::Null),
        );
    }
    v
}

// ---- list ---------------------------------------------------------------------------------

/// Filters and paging of `GET /inspections`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InspectionQuery {
    /// Campaign code (`air`).
    pub campaign: Option<String>,
    /// Mode: `routine`, `resident`, `night`, `unannounced`, `reinspection`.
    pub mode: Option<String>,
    /// A target of this unit.
    pub unit: Option<String>,
    /// A target in this grid.
    pub grid: Option<String>,
    /// Planned on or after this local day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Planned on or before this local day (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// Keyset cursor (the `next` of the previous page).
    pub after: Option<u64>,
    /// Page number from 1 (ignored with `after`).
    pub page: Option<u32>,
    /// Items per page (default 50, at most 1000).
    pub per_page: Option<u32>,
}

/// A page of inspection plans.
#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionList {
    /// Plans of this page, by id.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// Page number (1 when paging by `after`).
    pub page: u32,
    /// Page size.
    pub per_page: u32,
    /// Plans matching the filters in the caller's scope.
    pub total: u64,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<u64>,
}

fn day(s: &str, name: &str) -> Result<Date, ApiError> {
    Date::parse(s.trim()).ok_or_else(|| ApiError::param(name, "a day, YYYY-MM-DD"))
}

/// The store filter of a query, narrowed to the caller's scope (`None`: nothing in scope).
pub fn inspection_filter(
    caller: &Caller,
    campaign: Option<&str>,
    mode: Option<&str>,
    unit: Option<&str>,
    grid: Option<&str>,
    (from, to): (Option<&str>, Option<&str>),
) -> Result<Option<InspectionFilter>, ApiError> {
    let mut f = InspectionFilter {
        campaign: campaign.filter(|c| !c.is_empty()).map(str::to_owned),
        mode: mode
            .filter(|m| !m.is_empty())
            .map(|m| {
                InspectionMode::parse(m.trim())
                    .ok_or_else(|| ApiError::param("mode", format!("unknown mode {m:?}")))
            })
            .transpose()?,
        unit: unit
            .filter(|u| !u.is_empty())
            .map(|u| UnitCode::parse(u).map_err(|e| ApiError::param("unit", e)))
            .transpose()?,
        grids: grid
            .filter(|g| !g.is_empty())
            .map(|g| RegionCode::parse(g).map_err(|e| ApiError::param("grid", e)))
            .transpose()?
            .into_iter()
            .collect(),
        plan: None,
        from: from
            .filter(|d| !d.is_empty())
            .map(|d| day(d, "from").map(|d| Timestamp(ledger::day_bounds(d).0)))
            .transpose()?,
        to: to
            .filter(|d| !d.is_empty())
            .map(|d| day(d, "to").map(|d| Timestamp(ledger::day_bounds(d).1)))
            .transpose()?,
    };
    match &caller.scope {
        Scope::District => {}
        Scope::Unit(u) => {
            if f.unit.as_ref().is_some_and(|x| x != u) {
                return Ok(None);
            }
            f.unit = Some(u.clone());
        }
        Scope::Grids(gs) => {
            let mine: Vec<RegionCode> = if f.grids.is_empty() {
                gs.iter().cloned().collect()
            } else {
                f.grids.iter().filter(|g| gs.contains(g)).cloned().collect()
            };
            if mine.is_empty() {
                return Ok(None);
            }
            f.grids = mine;
        }
    }
    Ok(Some(f))
}

/// Inspection plans (unit roles: those with a target of their unit; grid roles: in their
/// grids; a sealed plan's targets are not shown before dispatch).
#[utoipa::path(get, path = "/inspections", tag = "inspections", params(InspectionQuery),
    responses((status = 200, body = InspectionList), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn inspections(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<InspectionQuery>,
) -> Res<InspectionList> {
    caller.require(Perm::ReadLedger)?;
    let (page, per) = crate::api_ledger::keyset_paging(q.page, q.per_page, q.after)?;
    let Some(filter) = inspection_filter(
        &caller,
        q.campaign.as_deref(),
        q.mode.as_deref(),
        q.unit.as_deref(),
        q.grid.as_deref(),
        (q.from.as_deref(), q.to.as_deref()),
    )?
    else {
        return Ok(Json(InspectionList {
            items: vec![],
            page,
            per_page: per,
            total: 0,
            next: None,
        }));
    };
    let got = crate::api_records::walk(q.after, page, per, |p| app.db.plans(&filter, p)).await?;
    Ok(Json(InspectionList {
        items: got.items.iter().map(plan_json).collect(),
        page,
        per_page: per,
        total: got.total,
        next: got.next,
    }))
}

// ---- one ----------------------------------------------------------------------------------

/// Every record of plan `id` the caller sees, by id.
pub async fn plan_records(
    app: &App,
    caller: &Caller,
    id: u64,
) -> Result<Vec<FiledRecord>, ApiError> {
    let filter = InspectionFilter {
        plan: Some(id),
        ..InspectionFilter::default()
    };
    let mut page = Page {
        after: None,
        limit: MAX_PER_PAGE,
    };
    let mut out = Vec::new();
    loop {
        let got = app.db.inspection_records(&filter, page).await?;
        out.extend(
            got.items
                .into_iter()
                .filter(|f| sees_record(caller, &f.record)),
        );
        match got.next {
            Some(n) => page.after = Some(n),
            None => break,
        }
    }
    Ok(out)
}

/// A plan with the records filed on it (those the caller sees) and the problems they raised
/// (`{id, state, state_zh, description}`).
#[utoipa::path(get, path = "/inspections/{id}", tag = "inspections",
    params(("id" = u64, Path, description = "Plan number")),
    responses((status = 200, description = "`{plan, records, problems}`", body = Object),
              (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn inspection(State(app): State<Arc<App>>, caller: Caller, P(id): P<u64>) -> Res<Value> {
    caller.require(Perm::ReadLedger)?;
    let plan = plan_for(&app, &caller, id).await?;
    let records = plan_records(&app, &caller, id).await?;
    let mut problems = Vec::new();
    for f in &records {
        for pid in &f.problems {
            if let Some(p) = app.db.problem(*pid).await? {
                problems.push(json!({
                    "id": p.id,
                    "record": f.record.id,
                    "state": p.state.code(),
                    "state_zh": p.state.name_zh(),
                    "category": p.category,
                    "description": p.description,
                }));
            }
        }
    }
    Ok(Json(json!({
        "plan": plan_json(&plan),
        "records": records,
        "problems": problems,
    })))
}

// ---- create and dispatch ------------------------------------------------------------------

/// A target of a new plan. A `source` target names its source id; name, location, grid and
/// unit are then taken from the registry unless given.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetRequest {
    /// `source`, `grid`, `unit` or `place`.
    pub kind: String,
    /// Source id, grid code, unit code or a label.
    pub code: String,
    /// Name (default: the source's).
    pub name: Option<String>,
    /// Grid.
    pub grid: Option<String>,
    /// The unit whose work is inspected.
    pub unit: Option<String>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
}

/// A new inspection plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlanRequest {
    /// Campaign code (default: the default campaign).
    pub campaign: Option<String>,
    /// `routine`, `resident`, `night`, `unannounced` (sealed until dispatch), `reinspection`.
    pub mode: String,
    /// 检查名称.
    pub title: String,
    /// When the team is to go (RFC 3339).
    pub planned_for: String,
    /// The team: person ids (units and roles from the registry).
    pub team: Vec<String>,
    /// The targets, in visiting order.
    pub targets: Vec<TargetRequest>,
    /// For a 回头看: the problem.
    pub problem: Option<u64>,
}

/// A plan just made: the plan and — for a sealed plan only, and only in this answer — the
/// list with its nonce, to be brought back with the dispatch.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanCreated {
    /// The plan.
    #[schema(value_type = Object)]
    pub plan: Value,
    /// The sealed list (`{targets, nonce}`): keep it out of sight; the server does not store it.
    #[schema(value_type = Option<Object>)]
    pub sealed_list: Option<SealedList>,
}

/// The team members named by person id, as the ledger sees them when they act
/// ([`actor_of`]): the role and unit of the account linked to the person (the account's unit,
/// else the person's), else the registry's — so a record filed by a member matches the plan's
/// team exactly.
async fn team_of(app: &App, ids: &[String]) -> Result<Vec<Inspector>, ApiError> {
    let people = app.db.people().await?;
    let users = app.db.users().await?;
    ids.iter()
        .map(|id| {
            let pid = PersonId::parse(id).map_err(|e| ApiError::param("team", e))?;
            let p = people
                .iter()
                .find(|p| p.id == pid)
                .ok_or_else(|| ApiError::param("team", format!("no person {id:?}")))?;
            let account = users.iter().find(|u| u.person.as_ref() == Some(&pid));
            Ok(Inspector {
                person: p.id.clone(),
                unit: account
                    .and_then(|u| u.unit.clone())
                    .unwrap_or_else(|| p.unit.clone()),
                role: account.map_or(p.role, |u| u.role),
            })
        })
        .collect()
}

async fn target_of(app: &App, t: &TargetRequest) -> Result<Target, ApiError> {
    let kind = match t.kind.as_str() {
        "source" => TargetKind::Source,
        "grid" => TargetKind::Grid,
        "unit" => TargetKind::Unit,
        "place" => TargetKind::Place,
        k => return Err(ApiError::param("targets", format!("unknown kind {k:?}"))),
    };
    let mut out = Target {
        kind,
        code: t.code.trim().to_owned(),
        name: t.name.clone().unwrap_or_default(),
        location: match (t.lon, t.lat) {
            (Some(lon), Some(lat)) => {
                Some(Point::new(lon, lat).map_err(|e| ApiError::param("targets", e))?)
            }
            _ => None,
        },
        grid: t
            .grid
            .as_deref()
            .map(|g| RegionCode::parse(g).map_err(|e| ApiError::param("targets", e)))
            .transpose()?,
        unit: t
            .unit
            .as_deref()
            .map(|u| UnitCode::parse(u).map_err(|e| ApiError::param("targets", e)))
            .transpose()?,
    };
    match kind {
        TargetKind::Source => {
            let id = SourceId::parse(&out.code).map_err(|e| ApiError::param("targets", e))?;
            let src = app
                .db
                .sources(&SourceFilter::default())
                .await?
                .into_iter()
                .find(|s| s.id == id)
                .ok_or_else(|| ApiError::param("targets", format!("no source {id}")))?;
            if out.name.is_empty() {
                out.name = src.name;
            }
            out.location = out.location.or(src.location);
            out.grid = out.grid.or(src.grid);
            out.unit = out.unit.or(src.unit);
        }
        TargetKind::Unit if out.unit.is_none() => {
            out.unit = Some(UnitCode::parse(&out.code).map_err(|e| ApiError::param("targets", e))?);
        }
        TargetKind::Grid if out.grid.is_none() => {
            out.grid =
                Some(RegionCode::parse(&out.code).map_err(|e| ApiError::param("targets", e))?);
        }
        _ => {}
    }
    if out.name.trim().is_empty() {
        out.name = out.code.clone();
    }
    Ok(out)
}

/// Make an inspection plan (the command or the dispatcher; the domain refuses a team member of
/// a target's unit, 422). An `unannounced` plan is sealed: the answer carries its list once.
#[utoipa::path(post, path = "/inspections", tag = "inspections", request_body = NewPlanRequest,
    responses((status = 200, body = PlanCreated), (status = 400, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_inspection(
    State(app): State<Arc<App>>,
    caller: Caller,
    J(b): J<NewPlanRequest>,
) -> Res<PlanCreated> {
    caller.require(Perm::PlanInspections)?;
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
    let mode = InspectionMode::parse(b.mode.trim())
        .ok_or_else(|| ApiError::param("mode", format!("unknown mode {:?}", b.mode)))?;
    let planned_for = Timestamp::parse(&b.planned_for).ok_or_else(|| {
        ApiError::param(
            "planned_for",
            "an RFC 3339 time, e.g. 2025-12-23T22:00:00+08:00",
        )
    })?;
    let team = team_of(&app, &b.team).await?;
    let mut targets = Vec::with_capacity(b.targets.len());
    for t in &b.targets {
        targets.push(target_of(&app, t).await?);
    }
    let nonce = if mode == InspectionMode::Unannounced {
        let mut n = [0u8; 32];
        getrandom::fill(&mut n)
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("no randomness: {e}")))?;
        Some(Nonce::from_bytes(n))
    } else {
        None
    };
    let draft = PlanDraft {
        id: 0,
        campaign: campaign.code.clone(),
        mode,
        title: b.title,
        planned_for,
        team,
        targets,
        problem: b.problem,
    };
    let (plan, sealed) = app.db.create_plan(&draft, &actor, nonce, app.now()).await?;
    Ok(Json(PlanCreated {
        plan: plan_json(&plan),
        sealed_list: sealed,
    }))
}

/// A dispatch: a sealed plan brings its list back exactly as it was answered at creation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchRequest {
    /// The sealed list (`{targets, nonce}`) of an unannounced plan.
    #[schema(value_type = Option<Object>)]
    pub sealed_list: Option<SealedList>,
}

/// Dispatch a plan (the team sets off). A sealed plan's list must match its seal (else 422,
/// nothing written) and is revealed.
#[utoipa::path(post, path = "/inspections/{id}/dispatch", tag = "inspections",
    params(("id" = u64, Path, description = "Plan number")), request_body = DispatchRequest,
    responses((status = 200, description = "The plan", body = Object),
              (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
              (status = 422, body = ErrorEnvelope)))]
pub async fn dispatch_inspection(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(id): P<u64>,
    J(b): J<DispatchRequest>,
) -> Res<Value> {
    caller.require(Perm::PlanInspections)?;
    let actor = actor_of(&app, &caller).await?;
    plan_for(&app, &caller, id).await?;
    let plan = app
        .db
        .dispatch_plan(id, b.sealed_list.as_ref(), &actor, app.now())
        .await?;
    Ok(Json(plan_json(&plan)))
}

// ---- records ------------------------------------------------------------------------------

/// A finding of a record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingRequest {
    /// Category code in the plan's campaign.
    pub category: String,
    /// 问题描述.
    pub description: String,
    /// Evidence hashes (uploaded with `POST /evidence`), at least one.
    pub evidence: Vec<String>,
}

/// A checklist result.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultRequest {
    /// Checklist item code.
    pub item: String,
    /// `pass`, `fail` or `not_applicable`.
    pub outcome: String,
    /// Note.
    #[serde(default)]
    pub note: String,
}

/// A record filed on a dispatched plan; the check-in time is the server's clock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordRequest {
    /// The target visited (its code, one of the plan's targets).
    pub target: String,
    /// Check-in longitude (GPS).
    pub lon: f64,
    /// Check-in latitude (GPS).
    pub lat: f64,
    /// The inspectors present (person ids, on the plan's team); default: the caller.
    pub inspectors: Option<Vec<String>>,
    /// Checklist results.
    #[serde(default)]
    pub results: Vec<ResultRequest>,
    /// Findings: each becomes a problem.
    #[serde(default)]
    pub findings: Vec<FindingRequest>,
    /// Evidence of the visit (hashes).
    #[serde(default)]
    pub evidence: Vec<String>,
    /// For a 回头看: `{"outcome":"held"}` or `{"outcome":"rebounded","reason":…}`.
    #[schema(value_type = Option<Object>)]
    pub reinspection: Option<lantian_domain::inspection::ReinspectionOutcome>,
}

fn hashes(v: &[String]) -> Result<Vec<ContentHash>, ApiError> {
    v.iter()
        .map(|h| ContentHash::parse(h).map_err(|e| ApiError::param("evidence", e)))
        .collect()
}

/// File a record on a dispatched plan (a member of its team). Its findings become problems in
/// the same transaction. The domain refuses (422 `transition_refused`): an inspector of the
/// target's own unit, a 夜查 checked in by day, someone not on the team; evidence not uploaded
/// is 404.
#[utoipa::path(post, path = "/inspections/{id}/records", tag = "inspections",
    params(("id" = u64, Path, description = "Plan number")), request_body = RecordRequest,
    responses((status = 200, description = "The filed record (`{record, check, problems, …}`)",
               body = Object),
              (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn file_record(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(id): P<u64>,
    J(b): J<RecordRequest>,
) -> Res<FiledRecord> {
    caller.require(Perm::FileInspections)?;
    let actor = actor_of(&app, &caller).await?;
    let plan = plan_for(&app, &caller, id).await?;
    let target = plan
        .visible_targets()
        .unwrap_or(&[])
        .iter()
        .find(|t| t.code == b.target.trim())
        .cloned()
        .ok_or_else(|| ApiError::param("target", "not a (revealed) target of this plan"))?;
    let inspectors = match &b.inspectors {
        Some(ids) => team_of(&app, ids).await?,
        None => vec![Inspector::from(&actor)],
    };
    let results = b
        .results
        .iter()
        .map(|r| {
            Ok(ChecklistResult {
                item: r.item.clone(),
                outcome: serde_json::from_value(Value::String(r.outcome.clone()))
                    .map_err(|_| ApiError::param("results", format!("outcome {:?}", r.outcome)))?,
                note: r.note.clone(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let findings = b
        .findings
        .iter()
        .map(|f| {
            Ok(FindingDraft {
                category: f.category.clone(),
                description: f.description.clone(),
                evidence: hashes(&f.evidence)?,
                mode: None,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let now = app.now();
    let record = InspectionRecord {
        id: 0,
        plan: Some(plan.id),
        campaign: plan.campaign.clone(),
        mode: plan.mode,
        inspectors,
        target: target.clone(),
        check_in: CheckIn {
            at: now,
            position: Point::new(b.lon, b.lat).map_err(|e| ApiError::param("lon", e))?,
        },
        results,
        findings,
        evidence: hashes(&b.evidence)?,
        reinspection: match (b.reinspection, plan.problem) {
            (Some(outcome), Some(problem)) => Some(Reinspection { problem, outcome }),
            (None, _) => None,
            (Some(_), None) => {
                return Err(ApiError::param(
                    "reinspection",
                    "only a 回头看 plan's records have an outcome",
                ));
            }
        },
    };
    let campaign = catalog()?
        .get(&plan.campaign)
        .ok_or_else(|| ApiError::param("campaign", format!("no campaign {}", plan.campaign)))?;
    let area = match (&target.location, &target.grid) {
        (None, Some(g)) => app
            .db
            .regions()
            .await?
            .into_iter()
            .find(|r| &r.code == g)
            .and_then(|r| r.area),
        _ => None,
    };
    let ctx = FileContext {
        campaign,
        policy: CheckInPolicy::default(),
        grid: area.as_ref(),
        calendar: calendar(),
    };
    let filed = app.db.file_record(&record, ctx, &actor, now).await?;
    Ok(Json(filed))
}

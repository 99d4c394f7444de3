//! Inspection plans and records (检查) on the tamper-evident log ([`InspectionStore`]).
//!
//! Both are record kinds of [`ledger`](crate::ledger), like cases: a row holds the canonical
//! JSON `body`, columns derived from it ([`InspectionColumns`]) and the `log_seq`/`log_hash` of
//! the entry that last wrote it, whose `record_digest` is the SHA-256 of the body, so
//! `ledger::verify` checks them.
//!
//! # Invariant
//! A plan is made only through the domain's
//! [`InspectionPlan::new`](lantian_domain::inspection::InspectionPlan::new) and dispatched only
//! through its `dispatch`. A sealed (四不两直) plan's target list is NEVER stored: the body holds
//! the seal (its SHA-256) only, and the list comes back once, to the caller that made the plan,
//! who brings it to dispatch, where the domain checks it against the seal. A record is filed
//! only after [`InspectionRecord::check`] (own-unit rule, night window, campaign checklist and
//! categories, GPS distance flag) and, for a planned visit, `InspectionPlan::check_record`; its
//! findings become problems (`InspectionRecord::problems`) and a 回头看 rebound reopens its
//! problem through the ledger's transition (`apply_reinspection`) — all in ONE transaction with
//! the record's and each problem's log entries. Evidence it names must be stored already. A
//! refusal writes nothing.

use crate::StoreError;
use crate::ledger::{Bind, Page};
use crate::records::RecordPage;
use lantian_domain::calendar::Calendar;
use lantian_domain::campaign::CampaignTemplate;
use lantian_domain::geo::Area;
use lantian_domain::inspection::{
    CheckInPolicy, InspectionError, InspectionMode, InspectionPlan, InspectionRecord, Nonce,
    PlanDraft, RecordCheck, SealedList,
};
use lantian_domain::ledger::{Actor, TransitionError};
use lantian_domain::org::Role;
use lantian_domain::{ContentHash, PersonId, RegionCode, Timestamp, UnitCode};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// The entity kind of inspection plans in the log.
pub const KIND_PLAN: &str = "inspection_plan";
/// The entity kind of inspection records in the log.
pub const KIND_RECORD: &str = "inspection";

/// An inspection record as filed: the domain's record, what the check found (night, distance
/// flag), the problems its findings created, who filed it and when. The body of a
/// `inspection_records` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiledRecord {
    /// The record (its `id` is the store's number).
    pub record: InspectionRecord,
    /// What [`InspectionRecord::check`] returned.
    pub check: RecordCheck,
    /// The problems its findings created, in finding order.
    pub problems: Vec<u64>,
    /// For a 回头看 that rebounded: the problem it reopened.
    pub reopened: Option<u64>,
    /// Who filed it.
    pub filed_by: PersonId,
    /// When.
    pub filed_at: Timestamp,
}

/// The indexed columns of a plan or record row, all derived from its body (so `verify`
/// recomputes them and an edit of a column alone shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionColumns {
    /// Campaign code.
    pub campaign: String,
    /// Mode code.
    pub mode: String,
    /// Units of the visible targets, framed `|a|b|` (a sealed plan before dispatch: `|`).
    pub units: String,
    /// Grids of the visible targets, framed.
    pub grids: String,
    /// The plan (a plan: its own id; a record: its plan, 0 without).
    pub plan: i64,
    /// A plan: when the team is to go; a record: the check-in.
    pub at: i64,
    /// A plan: 1 once dispatched; a record: 0.
    pub seq: i64,
}

fn framed<'a>(xs: impl Iterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = xs.collect();
    v.sort_unstable();
    v.dedup();
    let mut s = String::from("|");
    for x in v {
        s.push_str(x);
        s.push('|');
    }
    s
}

impl InspectionColumns {
    /// The columns of a plan.
    pub fn of_plan(p: &InspectionPlan) -> InspectionColumns {
        let t = p.visible_targets().unwrap_or(&[]);
        InspectionColumns {
            campaign: p.campaign.clone(),
            mode: p.mode.code().to_owned(),
            units: framed(
                t.iter()
                    .filter_map(|t| t.unit.as_ref().map(UnitCode::as_str)),
            ),
            grids: framed(
                t.iter()
                    .filter_map(|t| t.grid.as_ref().map(RegionCode::as_str)),
            ),
            plan: p.id as i64,
            at: p.planned_for.0,
            seq: i64::from(p.dispatched_at.is_some()),
        }
    }

    /// The columns of a filed record.
    pub fn of_record(f: &FiledRecord) -> InspectionColumns {
        let r = &f.record;
        InspectionColumns {
            campaign: r.campaign.clone(),
            mode: r.mode.code().to_owned(),
            units: framed(r.target.unit.iter().map(UnitCode::as_str)),
            grids: framed(r.target.grid.iter().map(RegionCode::as_str)),
            plan: r.plan.map_or(0, |p| p as i64),
            at: r.check_in.at.0,
            seq: 0,
        }
    }

    /// One text naming every column, for comparing a stored row with its body.
    pub fn render(&self) -> String {
        format!("{self:?}")
    }
}

/// The table of an inspection kind (both backends use the same names and columns).
pub fn table_of(kind: &str) -> Option<&'static str> {
    match kind {
        KIND_PLAN => Some("inspection_plans"),
        KIND_RECORD => Some("inspection_records"),
        _ => None,
    }
}

/// The rendered columns a body of `kind` implies, or `None` if it does not decode.
pub fn expected_columns(kind: &str, body: &[u8]) -> Option<String> {
    match kind {
        KIND_PLAN => serde_json::from_slice::<InspectionPlan>(body)
            .ok()
            .map(|p| InspectionColumns::of_plan(&p).render()),
        KIND_RECORD => serde_json::from_slice::<FiledRecord>(body)
            .ok()
            .map(|f| InspectionColumns::of_record(&f).render()),
        _ => None,
    }
}

/// A refused plan or record, as the store reports it: a rule of the domain (own unit, night
/// window, seal mismatch, a role that may not act …) is [`StoreError::Refused`] — the same
/// error as a refused problem transition, so the API answers 422 `transition_refused` — and a
/// malformed draft (unknown category or checklist item, no targets, a finding without
/// evidence) is [`StoreError::Invalid`].
pub fn inspection_refused(e: InspectionError, by: &Actor, action: &'static str) -> StoreError {
    let forbidden = |why: &'static str| {
        StoreError::Refused(TransitionError::Forbidden {
            action,
            role: by.role.code(),
            person: by.person.to_string(),
            why,
        })
    };
    match e {
        InspectionError::OwnUnit { .. } => {
            forbidden("an inspector never inspects or verifies their own unit's work")
        }
        InspectionError::RoleNotAllowed { .. } => {
            forbidden("unit heads and staff are inspected, they are not on inspection teams")
        }
        InspectionError::Forbidden(why) => forbidden(why),
        InspectionError::NotNight { .. } => StoreError::Refused(TransitionError::Rule(
            "a night inspection (夜查) checks in inside the night window (22:00–06:00)",
        )),
        InspectionError::SealMismatch { .. } => StoreError::Refused(TransitionError::Rule(
            "the revealed target list does not match the seal",
        )),
        InspectionError::Rule(r) => StoreError::Refused(TransitionError::Rule(r)),
        InspectionError::Ledger(t) => StoreError::Refused(t),
        other => StoreError::Invalid(other.to_string()),
    }
}

/// Only a member of the record's team files it, or the command/dispatcher for them.
pub fn check_filer(r: &InspectionRecord, by: &Actor) -> Result<(), StoreError> {
    let on_team = r.inspectors.iter().any(|m| m.person == by.person);
    if on_team || matches!(by.role, Role::Admin | Role::Dispatcher) {
        Ok(())
    } else {
        Err(inspection_refused(
            InspectionError::Forbidden("only a member of the team files its record"),
            by,
            "file",
        ))
    }
}

/// Every evidence hash a record names (its own and its findings'), each once.
pub fn record_evidence(r: &InspectionRecord) -> Vec<ContentHash> {
    let mut v: Vec<ContentHash> = r
        .evidence
        .iter()
        .chain(r.findings.iter().flat_map(|f| f.evidence.iter()))
        .cloned()
        .collect();
    v.sort();
    v.dedup();
    v
}

/// What filing a record is judged against: the campaign (checklist, categories), the check-in
/// policy, the target's grid polygon (for a target without a point) and the working-day
/// calendar (deadlines of the problems raised).
#[derive(Debug, Clone, Copy)]
pub struct FileContext<'a> {
    /// The record's campaign.
    pub campaign: &'a CampaignTemplate,
    /// Night window and distance tolerance.
    pub policy: CheckInPolicy,
    /// The target grid's area, when known.
    pub grid: Option<&'a Area>,
    /// The calendar.
    pub calendar: &'a Calendar,
}

/// Filters of the plan and record lists; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectionFilter {
    /// Campaign code.
    pub campaign: Option<String>,
    /// Mode.
    pub mode: Option<InspectionMode>,
    /// A visible target of this unit.
    pub unit: Option<UnitCode>,
    /// A visible target in any of these grids (empty: any grid).
    pub grids: Vec<RegionCode>,
    /// Records of this plan.
    pub plan: Option<u64>,
    /// `at` (planned time / check-in) at or after.
    pub from: Option<Timestamp>,
    /// `at` before.
    pub to: Option<Timestamp>,
}

impl InspectionFilter {
    /// The `WHERE` conditions and their binds (`ph(n)`: the n-th placeholder).
    pub fn sql(&self, ph: impl Fn(usize) -> String) -> (String, Vec<Bind>) {
        let mut conds = Vec::new();
        let mut binds = Vec::new();
        let push = |b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            ph(binds.len())
        };
        if let Some(c) = &self.campaign {
            conds.push(format!(
                "campaign = {}",
                push(Bind::Text(c.clone()), &mut binds)
            ));
        }
        if let Some(m) = self.mode {
            conds.push(format!(
                "mode = {}",
                push(Bind::Text(m.code().into()), &mut binds)
            ));
        }
        if let Some(u) = &self.unit {
            conds.push(format!(
                "units LIKE {}",
                push(Bind::Text(format!("%|{}|%", u.as_str())), &mut binds)
            ));
        }
        if !self.grids.is_empty() {
            let any: Vec<String> = self
                .grids
                .iter()
                .map(|g| {
                    format!(
                        "grids LIKE {}",
                        push(Bind::Text(format!("%|{}|%", g.as_str())), &mut binds)
                    )
                })
                .collect();
            conds.push(format!("({})", any.join(" OR ")));
        }
        if let Some(p) = self.plan {
            conds.push(format!("plan = {}", push(Bind::Int(p as i64), &mut binds)));
        }
        if let Some(t) = self.from {
            conds.push(format!("at >= {}", push(Bind::Int(t.0), &mut binds)));
        }
        if let Some(t) = self.to {
            conds.push(format!("at < {}", push(Bind::Int(t.0), &mut binds)));
        }
        if conds.is_empty() {
            ("1 = 1".to_owned(), binds)
        } else {
            (conds.join(" AND "), binds)
        }
    }
}

/// Inspection plans and records on a backend. Every write is one transaction with its log
/// entries (and the moved log head).
pub trait InspectionStore: Send + Sync {
    /// Make a plan through the domain (numbered by the store; the draft's `id` is ignored). A
    /// re-inspection's problem must exist. For an unannounced plan (`nonce` given) the
    /// [`SealedList`] is returned — once: the store keeps only its hash.
    fn create_plan(
        &self,
        draft: &PlanDraft,
        actor: &Actor,
        nonce: Option<Nonce>,
        now: Timestamp,
    ) -> impl Future<Output = Result<(InspectionPlan, Option<SealedList>), StoreError>> + Send;

    /// Dispatch a plan through the domain; a sealed plan takes its list, which must match the
    /// seal, and is revealed. A refusal is [`StoreError::Refused`] and writes nothing.
    fn dispatch_plan(
        &self,
        id: u64,
        list: Option<&SealedList>,
        actor: &Actor,
        now: Timestamp,
    ) -> impl Future<Output = Result<InspectionPlan, StoreError>> + Send;

    /// One plan.
    fn plan(
        &self,
        id: u64,
    ) -> impl Future<Output = Result<Option<InspectionPlan>, StoreError>> + Send;

    /// A page of plans matching `filter`.
    fn plans(
        &self,
        filter: &InspectionFilter,
        page: Page,
    ) -> impl Future<Output = Result<RecordPage<InspectionPlan>, StoreError>> + Send;

    /// File a record (numbered by the store) by `actor` (on its team, or the
    /// command/dispatcher), checked against `ctx` and its plan; its findings become problems
    /// and a rebound reopens its problem, in the same transaction.
    fn file_record(
        &self,
        record: &InspectionRecord,
        ctx: FileContext<'_>,
        actor: &Actor,
        now: Timestamp,
    ) -> impl Future<Output = Result<FiledRecord, StoreError>> + Send;

    /// One record.
    fn inspection_record(
        &self,
        id: u64,
    ) -> impl Future<Output = Result<Option<FiledRecord>, StoreError>> + Send;

    /// A page of records matching `filter`.
    fn inspection_records(
        &self,
        filter: &InspectionFilter,
        page: Page,
    ) -> impl Future<Output = Result<RecordPage<FiledRecord>, StoreError>> + Send;
}

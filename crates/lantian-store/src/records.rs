//! Enforcement cases and accountability records on the tamper-evident log ([`RecordStore`]).
//!
//! Both are "record kinds" of [`ledger`](crate::ledger): a row carries the canonical JSON
//! `body` of the domain value, a few indexed columns derived from that body
//! ([`RecordColumns`]), and the `log_seq`/`log_hash` of the log entry that last wrote it, whose
//! `record_digest` is the SHA-256 of the body; `ledger::verify` checks them like problems.
//!
//! # Invariant
//! A case is filed only through the domain's [`file`](lantian_domain::enforcement::file) and
//! moves only through its ONE [`transition`](lantian_domain::enforcement::transition); an
//! accountability record is made only through
//! [`AccountabilityRecord::new`](lantian_domain::accountability::AccountabilityRecord::new) and
//! its linked problems must exist. Each write is one transaction with its log entry; a refused
//! step writes nothing (not even a log entry).

use crate::StoreError;
use crate::ledger::Bind;
use lantian_domain::accountability::{
    AccountabilityDraft, AccountabilityError, AccountabilityRecord,
};
use lantian_domain::enforcement::{CaseAction, CaseDraft, CaseError, CaseEvent, EnforcementCase};
use lantian_domain::ledger::{Actor, Problem, TransitionError};
use lantian_domain::{SourceId, Timestamp, UnitCode};
use serde::Serialize;
use std::future::Future;

/// The entity kind of enforcement cases in the log.
pub const KIND_CASE: &str = "case";
/// The entity kind of accountability records in the log.
pub const KIND_ACCOUNTABILITY: &str = "accountability";

/// The indexed columns of a case or accountability row, all derived from its body (so `verify`
/// recomputes them and an edit of a column alone shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordColumns {
    /// 承办单位 of a case; the subject's unit of an accountability record.
    pub unit: String,
    /// The case's state code; the accountability kind's code.
    pub state: String,
    /// Linked sources, each framed `|code|` (so "linked to S" is `LIKE '%|S|%'`).
    pub sources: String,
    /// Linked problems, each framed `|id|`.
    pub problems: String,
    /// 立案时间 / decision time.
    pub at: i64,
    /// Steps applied (cases; 1 for accountability records).
    pub seq: i64,
}

fn framed<T: std::fmt::Display>(xs: impl Iterator<Item = T>) -> String {
    let mut s = String::from("|");
    for x in xs {
        s.push_str(&x.to_string());
        s.push('|');
    }
    s
}

impl RecordColumns {
    /// The columns of a case.
    pub fn of_case(c: &EnforcementCase) -> RecordColumns {
        RecordColumns {
            unit: c.unit.as_str().to_owned(),
            state: c.state.code().to_owned(),
            sources: framed(c.sources.iter().map(SourceId::as_str)),
            problems: framed(c.problems.iter()),
            at: c.filed_at.0,
            seq: c.seq as i64,
        }
    }

    /// The columns of an accountability record.
    pub fn of_accountability(a: &AccountabilityRecord) -> RecordColumns {
        RecordColumns {
            unit: a.subject.unit().as_str().to_owned(),
            state: a.kind.code().to_owned(),
            sources: "|".to_owned(),
            problems: framed(a.problems.iter()),
            at: a.decided_at.0,
            seq: 1,
        }
    }

    /// One text naming every column, for comparing a stored row with its body.
    pub fn render(&self) -> String {
        format!("{self:?}")
    }
}

/// The table of a record kind (both backends use the same names and columns).
pub fn table_of(kind: &str) -> Option<&'static str> {
    match kind {
        KIND_CASE => Some("cases"),
        KIND_ACCOUNTABILITY => Some("accountability"),
        _ => None,
    }
}

/// The rendered columns a body of `kind` implies, or `None` if it does not decode.
pub fn expected_columns(kind: &str, body: &[u8]) -> Option<String> {
    match kind {
        KIND_CASE => serde_json::from_slice::<EnforcementCase>(body)
            .ok()
            .map(|c| RecordColumns::of_case(&c).render()),
        KIND_ACCOUNTABILITY => serde_json::from_slice::<AccountabilityRecord>(body)
            .ok()
            .map(|a| RecordColumns::of_accountability(&a).render()),
        other => crate::inspections::expected_columns(other, body),
    }
}

/// Canonical JSON of a value written to a record body or a log payload.
pub fn to_json<T: Serialize>(what: &str, v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Invalid(format!("{what}: {e}")))
}

/// Decode a stored body.
pub fn decode<T: serde::de::DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(body)
        .map_err(|e| StoreError::Backend(format!("a {what} body does not decode: {e}")))
}

/// A refused case step, as the store reports it: [`StoreError::Refused`] with the same
/// wrong-state / forbidden / rule distinction as a problem's transition (one error for every
/// refused transition, so callers — the API's 422 `transition_refused` — need no new case).
pub fn case_refused(e: CaseError) -> StoreError {
    StoreError::Refused(match e {
        CaseError::WrongState { action, state } => TransitionError::WrongState { action, state },
        CaseError::Forbidden {
            action,
            role,
            person,
            why,
        } => TransitionError::Forbidden {
            action,
            role,
            person,
            why,
        },
        CaseError::Rule(r) => TransitionError::Rule(r),
    })
}

/// A refused accountability record: a decider without the authority is
/// [`StoreError::Refused`], a malformed record [`StoreError::Invalid`].
pub fn accountability_refused(e: AccountabilityError, by: &Actor) -> StoreError {
    match e {
        AccountabilityError::Forbidden { role } => {
            StoreError::Refused(TransitionError::Forbidden {
                action: "decide",
                role: role.code(),
                person: by.person.to_string(),
                why: "accountability is decided by the command or a leader",
            })
        }
        other => StoreError::Invalid(other.to_string()),
    }
}

/// The evidence files a case step names (each must be stored before the step is applied, as
/// for a problem's actions).
pub fn case_evidence(a: &CaseAction) -> &[lantian_domain::ContentHash] {
    match a {
        CaseAction::Investigate { evidence, .. } | CaseAction::Execute { evidence, .. } => evidence,
        _ => &[],
    }
}

/// The log payload of a case step: the domain's [`CaseEvent`].
pub fn case_payload(ev: &CaseEvent) -> Result<Vec<u8>, StoreError> {
    to_json("case event", ev)
}

/// Filters of the case and accountability lists; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// The unit column ([`RecordColumns::unit`]).
    pub unit: Option<UnitCode>,
    /// The state column: a case state code, or an accountability kind code.
    pub state: Option<String>,
    /// Linked to this source.
    pub source: Option<SourceId>,
    /// Linked to this problem.
    pub problem: Option<u64>,
}

impl RecordFilter {
    /// The `WHERE` conditions and their binds (`ph(n)`: the n-th placeholder).
    pub fn sql(&self, ph: impl Fn(usize) -> String) -> (String, Vec<Bind>) {
        let mut conds = Vec::new();
        let mut binds = Vec::new();
        let mut push = |col: &str, b: Bind, like: bool| {
            binds.push(b);
            let p = ph(binds.len());
            conds.push(if like {
                format!("{col} LIKE {p}")
            } else {
                format!("{col} = {p}")
            });
        };
        if let Some(u) = &self.unit {
            push("unit", Bind::Text(u.as_str().into()), false);
        }
        if let Some(s) = &self.state {
            push("state", Bind::Text(s.clone()), false);
        }
        if let Some(s) = &self.source {
            push("sources", Bind::Text(format!("%|{}|%", s.as_str())), true);
        }
        if let Some(p) = self.problem {
            push("problems", Bind::Text(format!("%|{p}|%")), true);
        }
        if conds.is_empty() {
            ("1 = 1".to_owned(), binds)
        } else {
            (conds.join(" AND "), binds)
        }
    }
}

/// One page of a record list (keyset by id, like the problem ledger's [`Page`](crate::ledger::Page)).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordPage<T> {
    /// The records, by id.
    pub items: Vec<T>,
    /// How many match in all.
    pub total: u64,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<u64>,
}

/// A source's history: its problems and its enforcement cases, by id.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDossier {
    /// Problems of the source.
    pub problems: Vec<Problem>,
    /// Cases linked to the source.
    pub cases: Vec<EnforcementCase>,
}

/// Cases and accountability records on a backend. Every write is one transaction with its log
/// entry (and the moved log head).
pub trait RecordStore: Send + Sync {
    /// 立案 through the domain's `file`; the store numbers the case (the draft's `id` is
    /// ignored). Linked problems must exist.
    fn file_case(
        &self,
        draft: &CaseDraft,
        actor: &Actor,
        now: Timestamp,
    ) -> impl Future<Output = Result<EnforcementCase, StoreError>> + Send;

    /// Move a case through the domain's one `transition`; `expected_seq` as for problems. A
    /// refused step is [`StoreError::Refused`] and writes nothing.
    fn transition_case(
        &self,
        id: u64,
        expected_seq: Option<u64>,
        action: CaseAction,
        actor: &Actor,
        now: Timestamp,
    ) -> impl Future<Output = Result<EnforcementCase, StoreError>> + Send;

    /// One case.
    fn case(
        &self,
        id: u64,
    ) -> impl Future<Output = Result<Option<EnforcementCase>, StoreError>> + Send;

    /// A page of cases matching `filter` (state: a case state code).
    fn cases(
        &self,
        filter: &RecordFilter,
        page: crate::ledger::Page,
    ) -> impl Future<Output = Result<RecordPage<EnforcementCase>, StoreError>> + Send;

    /// Record an accountability decision (numbered by the store); its linked problems must
    /// exist.
    fn create_accountability(
        &self,
        draft: &AccountabilityDraft,
        actor: &Actor,
        now: Timestamp,
    ) -> impl Future<Output = Result<AccountabilityRecord, StoreError>> + Send;

    /// A page of accountability records matching `filter` (state: a kind code).
    fn accountability(
        &self,
        filter: &RecordFilter,
        page: crate::ledger::Page,
    ) -> impl Future<Output = Result<RecordPage<AccountabilityRecord>, StoreError>> + Send;

    /// A source's problems and cases.
    fn source_dossier(
        &self,
        source: &SourceId,
    ) -> impl Future<Output = Result<SourceDossier, StoreError>> + Send;
}

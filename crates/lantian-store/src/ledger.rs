//! The problem ledger's persistence ([`LedgerStore`]) and the tamper-evident log it writes.
//!
//! # The log
//! One append-only table, `audit_log`, shared by everything that must leave a trace (problems,
//! enforcement cases and accountability records ([`records`](crate::records)), inspection plans
//! and records ([`inspections`](crate::inspections)), evidence files, logins — the entity
//! `kind` is text).
//! Entry `seq` (1, 2, … without gaps) commits to the entry before it:
//!
//! ```text
//! hash = SHA-256(prev_hash ‖ seq ‖ at ‖ actor ‖ kind ‖ entity ‖ action ‖ payload ‖ record digest)
//! ```
//!
//! with integers big-endian, texts and the payload length-prefixed (u32, big-endian), and the
//! record digest a flag byte followed by 32 bytes ([`entry_hash`]); the first entry's
//! `prev_hash` is 32 zero bytes. The payload is the canonical JSON of what happened (for a
//! problem, the domain's [`Event`]), kept as the exact bytes that were hashed. The record digest
//! is the SHA-256 of the record as it was written by that entry (for a problem, its canonical
//! JSON `body`), so an entry also commits to the state it produced.
//!
//! A record (a row of `problems`, later of other tables of a "record kind") carries the seq and
//! hash of the log entry that last wrote it. [`verify`] walks the chain in seq order and then
//! every record, and names the FIRST thing that does not hold ([`Tamper`]): an entry whose content
//! no longer matches its hash (edited), a gap in the sequence (deleted), an entry whose
//! `prev_hash` is not its predecessor's hash (reordered or replaced), a log shorter than its head
//! (the tail deleted), a record whose body or indexed columns differ from what its last entry
//! committed to (edited row), a record that was not written by its entity's last entry, and an
//! entity whose record is gone.
//!
//! The walk also collects every evidence file the log names ([`evidence_in`]: the entity of an
//! `evidence` entry and every hash under an `evidence` key of a payload), found on the reading
//! threads with the entry's hash; after the records, [`verify_evidence`] checks each is stored
//! and hashes to its name.
//!
//! The head (`audit_head`, one row: last seq and hash) is updated in the same transaction as each
//! append; appends serialise on it. Both backends forbid UPDATE and DELETE on `audit_log` with a
//! trigger; the chain is what detects someone who drops the trigger.
//!
//! # The ledger
//! A problem changes only through [`LedgerStore::apply`], which loads it, runs the domain's one
//! [`transition`](lantian_domain::ledger::transition), and in ONE transaction writes the new row
//! (only if its `seq` is still the one loaded: optimistic concurrency, else
//! [`StoreError::Conflict`]) and appends the entry. Evidence named by an action must already be
//! stored ([`LedgerStore::put_evidence`], content-addressed by SHA-256).

use crate::StoreError;
use lantian_aq::Date;
use lantian_domain::calendar::Calendar;
use lantian_domain::ledger::{
    Action, Actor, Escalation, EscalationPolicy, Event, Finding, Mode, Problem, State,
    escalation_due,
};
use lantian_domain::org::Role;
use lantian_domain::time::SHANGHAI_OFFSET_S;
use lantian_domain::{PersonId, RegionCode, SourceId, Timestamp, UnitCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// The `prev_hash` of the first entry.
pub const GENESIS: Hash = [0; 32];

/// The entity kind of problems in the log.
pub const KIND_PROBLEM: &str = "problem";
/// The entity kind of evidence files in the log.
pub const KIND_EVIDENCE: &str = "evidence";

/// The kinds whose entities are records (rows that carry the hash of the entry that last wrote
/// them). A kind joins here and in each backend's `record_rows` (cases and accountability
/// records: [`records`](crate::records)).
pub const RECORD_KINDS: &[&str] = &[
    KIND_PROBLEM,
    crate::records::KIND_CASE,
    crate::records::KIND_ACCOUNTABILITY,
    crate::inspections::KIND_PLAN,
    crate::inspections::KIND_RECORD,
];

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// Lower-case hex of a hash.
pub fn hex(h: &Hash) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(64);
    for b in h {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parse 64 hex digits.
pub fn parse_hex(s: &str) -> Option<Hash> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        let d = |c: u8| (c as char).to_digit(16);
        *o = (d(b[2 * i])? * 16 + d(b[2 * i + 1])?) as u8;
    }
    Some(out)
}

/// A hash read from a database column.
pub fn hash_from_bytes(b: &[u8], what: &str) -> Result<Hash, StoreError> {
    b.try_into()
        .map_err(|_| StoreError::Backend(format!("{what}: a hash of {} bytes, not 32", b.len())))
}

/// One entry of the log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// Position in the log (1, 2, …).
    pub seq: u64,
    /// When (as the writer's clock said).
    pub at: Timestamp,
    /// Who (a person id, or `system` for the scheduler).
    pub actor: String,
    /// What kind of entity (`problem`, `evidence`, `login`, …).
    pub kind: String,
    /// Which one (its id as text).
    pub entity: String,
    /// What was done (a stable code: `create`, `assign`, …).
    pub action: String,
    /// The canonical bytes of what happened (JSON).
    #[serde(serialize_with = "ser_payload")]
    pub payload: Vec<u8>,
    /// SHA-256 of the record as this entry wrote it (none for entities without a record).
    #[serde(serialize_with = "ser_opt_hash")]
    pub record_digest: Option<Hash>,
    /// The previous entry's hash.
    #[serde(serialize_with = "ser_hash")]
    pub prev_hash: Hash,
    /// This entry's hash ([`entry_hash`]).
    #[serde(serialize_with = "ser_hash")]
    pub hash: Hash,
}

fn ser_hash<S: serde::Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(h))
}

fn ser_opt_hash<S: serde::Serializer>(h: &Option<Hash>, s: S) -> Result<S::Ok, S::Error> {
    match h {
        Some(h) => s.serialize_str(&hex(h)),
        None => s.serialize_none(),
    }
}

fn ser_payload<S: serde::Serializer>(p: &[u8], s: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_slice::<serde_json::Value>(p) {
        Ok(v) => v.serialize(s),
        Err(_) => s.serialize_str(&String::from_utf8_lossy(p)),
    }
}

impl LogEntry {
    /// The hash this entry's content and `prev_hash` give.
    pub fn computed_hash(&self) -> Hash {
        entry_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &EntryContent {
                actor: &self.actor,
                kind: &self.kind,
                entity: &self.entity,
                action: &self.action,
                payload: &self.payload,
                record_digest: self.record_digest.as_ref(),
            },
        )
    }
}

/// What an entry says, without its position in the chain.
#[derive(Debug, Clone, Copy)]
pub struct EntryContent<'a> {
    /// Who.
    pub actor: &'a str,
    /// Entity kind.
    pub kind: &'a str,
    /// Entity id.
    pub entity: &'a str,
    /// Action code.
    pub action: &'a str,
    /// Canonical payload bytes.
    pub payload: &'a [u8],
    /// Digest of the record after the change.
    pub record_digest: Option<&'a Hash>,
}

/// [`EntryContent`] as the stored bytes, not checked as UTF-8: what the walk of [`verify`]
/// hashes (a text column holds the bytes that were hashed, so they are hashed as read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawContent<'a> {
    /// Who.
    pub actor: &'a [u8],
    /// Entity kind.
    pub kind: &'a [u8],
    /// Entity id.
    pub entity: &'a [u8],
    /// Action code.
    pub action: &'a [u8],
    /// Canonical payload bytes.
    pub payload: &'a [u8],
    /// Digest of the record after the change.
    pub record_digest: Option<&'a Hash>,
}

impl<'a> From<&EntryContent<'a>> for RawContent<'a> {
    fn from(c: &EntryContent<'a>) -> RawContent<'a> {
        RawContent {
            actor: c.actor.as_bytes(),
            kind: c.kind.as_bytes(),
            entity: c.entity.as_bytes(),
            action: c.action.as_bytes(),
            payload: c.payload,
            record_digest: c.record_digest,
        }
    }
}

fn put_bytes(h: &mut Sha256, b: &[u8]) {
    h.update((b.len() as u32).to_be_bytes());
    h.update(b);
}

/// The chain hash of entry `seq` (see the module docs for the layout).
pub fn entry_hash(prev: &Hash, seq: u64, at: Timestamp, c: &EntryContent<'_>) -> Hash {
    raw_entry_hash(prev, seq, at, &RawContent::from(c))
}

/// [`entry_hash`] of stored bytes.
pub fn raw_entry_hash(prev: &Hash, seq: u64, at: Timestamp, c: &RawContent<'_>) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(at.0.to_be_bytes());
    put_bytes(&mut h, c.actor);
    put_bytes(&mut h, c.kind);
    put_bytes(&mut h, c.entity);
    put_bytes(&mut h, c.action);
    put_bytes(&mut h, c.payload);
    match c.record_digest {
        Some(d) => {
            h.update([1]);
            h.update(d);
        }
        None => h.update([0]),
    }
    h.finalize().into()
}

/// Build the entry that follows `(prev_seq, prev_hash)`.
pub fn chain_entry(
    prev_seq: u64,
    prev_hash: Hash,
    at: Timestamp,
    c: &EntryContent<'_>,
) -> LogEntry {
    let seq = prev_seq + 1;
    LogEntry {
        seq,
        at,
        actor: c.actor.to_owned(),
        kind: c.kind.to_owned(),
        entity: c.entity.to_owned(),
        action: c.action.to_owned(),
        payload: c.payload.to_vec(),
        record_digest: c.record_digest.copied(),
        prev_hash,
        hash: entry_hash(&prev_hash, seq, at, c),
    }
}

/// A generic entry to append (a login, an export, …): no record attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// Entity kind; must not be a record kind (those are written by their own methods).
    pub kind: String,
    /// Entity id.
    pub entity: String,
    /// Action code.
    pub action: String,
    /// Canonical payload (JSON bytes).
    pub payload: Vec<u8>,
}

/// A problem as found, before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProblem {
    /// Campaign code.
    pub campaign: String,
    /// Category within the campaign.
    pub category: String,
    /// 问题描述.
    pub description: String,
    /// How it was found.
    pub finding: Finding,
    /// When.
    pub found_at: Timestamp,
    /// Where.
    pub grid: Option<RegionCode>,
    /// The source concerned.
    pub source: Option<SourceId>,
    /// The responsible unit named with the finding (the dispatcher's `assign` still names
    /// the unit and person who rectify; whoever creates decides whether a unit may be named).
    pub unit: Option<UnitCode>,
    /// Rectification mode (with the roadmap's milestones for 限时整改).
    pub mode: Mode,
}

/// The payload of a problem's creation entry.
#[derive(Debug, Serialize)]
struct Created<'a> {
    problem: u64,
    at: Timestamp,
    actor: &'a PersonId,
    role: Role,
    action: &'static str,
}

/// The canonical body of a problem (what its record digest is taken of).
pub fn problem_body(p: &Problem) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(p).map_err(|e| StoreError::Invalid(format!("problem {}: {e}", p.id)))
}

/// Decode a stored problem body.
pub fn decode_problem(body: &[u8]) -> Result<Problem, StoreError> {
    serde_json::from_slice(body)
        .map_err(|e| StoreError::Backend(format!("a problem body does not decode: {e}")))
}

/// The log entry creating problem `p` (its seq is still 0).
pub fn creation_payload(p: &Problem, actor: &Actor, now: Timestamp) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&Created {
        problem: p.id,
        at: now,
        actor: &actor.person,
        role: actor.role,
        action: "create",
    })
    .map_err(|e| StoreError::Invalid(format!("problem {}: {e}", p.id)))
}

/// The payload of a transition's entry: the domain's event.
pub fn event_payload(e: &Event) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(e).map_err(|x| StoreError::Invalid(format!("problem {}: {x}", e.problem)))
}

/// A problem from a [`NewProblem`] and its id.
pub fn new_problem(id: u64, n: &NewProblem) -> Problem {
    let mut p = Problem::new(
        id,
        &n.campaign,
        &n.category,
        &n.description,
        n.finding,
        n.found_at,
        n.mode.clone(),
    );
    p.grid = n.grid.clone();
    p.source = n.source.clone();
    p.unit = n.unit.clone();
    p
}

/// Checks a new problem before anything is written.
pub fn check_new(n: &NewProblem) -> Result<(), StoreError> {
    if n.campaign.trim().is_empty() || n.category.trim().is_empty() {
        return Err(StoreError::Invalid(
            "a problem needs a campaign and a category".into(),
        ));
    }
    if n.description.trim().is_empty() {
        return Err(StoreError::Invalid("a problem needs a description".into()));
    }
    Ok(())
}

/// The evidence hashes an action names (each must be stored before the action is applied).
pub fn evidence_of(a: &Action) -> &[String] {
    match a {
        Action::CompleteMilestone { evidence, .. }
        | Action::Submit { evidence, .. }
        | Action::Approve { evidence } => evidence,
        _ => &[],
    }
}

/// Escalation level as stored (0 = none … 5 = 问责).
pub const fn escalation_level(e: Escalation) -> i16 {
    match e {
        Escalation::None => 0,
        Escalation::Warned => 1,
        Escalation::Reminded => 2,
        Escalation::Supervised => 3,
        Escalation::Listed => 4,
        Escalation::Accountability => 5,
    }
}

/// The indexed columns of a problem row, all derived from its body: the backends write them
/// from this, and [`verify`] recomputes them from the body, so an edit of a column alone shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemColumns {
    /// Campaign.
    pub campaign: String,
    /// Category.
    pub category: String,
    /// 责任单位.
    pub unit: Option<String>,
    /// 责任人.
    pub assignee: Option<String>,
    /// Grid.
    pub grid: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// State code.
    pub state: String,
    /// [`escalation_level`].
    pub escalation: i16,
    /// The effective deadline while the problem is open (the clock runs); `NULL` otherwise, so
    /// "overdue at t" is `due_at < t` on one index.
    pub due_at: Option<i64>,
    /// When found.
    pub found_at: i64,
    /// 销号时间.
    pub closed_at: Option<i64>,
    /// Transitions applied.
    pub seq: i64,
}

impl ProblemColumns {
    /// The columns of `p`.
    pub fn of(p: &Problem) -> ProblemColumns {
        let due_at = due_at(p.state, p.deadline, p.suspended_secs);
        ProblemColumns {
            campaign: p.campaign.clone(),
            category: p.category.clone(),
            unit: p.unit.as_ref().map(|u| u.as_str().to_owned()),
            assignee: p.assignee.as_ref().map(|u| u.as_str().to_owned()),
            grid: p.grid.as_ref().map(|u| u.as_str().to_owned()),
            source: p.source.as_ref().map(|u| u.as_str().to_owned()),
            state: p.state.code().to_owned(),
            escalation: escalation_level(p.escalation),
            due_at,
            found_at: p.found_at.0,
            closed_at: p.closed_at.map(|t| t.0),
            seq: p.seq as i64,
        }
    }

    /// One text naming every column ([`render_columns`]), for comparing a stored row with its
    /// body.
    pub fn render(&self) -> String {
        render_columns(
            [
                Some(self.campaign.as_str()),
                Some(self.category.as_str()),
                self.unit.as_deref(),
                self.assignee.as_deref(),
                self.grid.as_deref(),
                self.source.as_deref(),
                Some(self.state.as_str()),
            ],
            [
                Some(i64::from(self.escalation)),
                self.due_at,
                Some(self.found_at),
                self.closed_at,
                Some(self.seq),
            ],
        )
    }

    /// [`ProblemColumns::of`] a stored body, rendered, or `None` if it does not decode. Reads
    /// only the fields the columns come from, borrowed ([`IndexedFields`]): `verify` does this
    /// for every problem, and decoding whole problems (descriptions, findings, verifications)
    /// was most of its record check.
    pub fn render_body(body: &[u8]) -> Option<String> {
        let f: IndexedFields<'_> = serde_json::from_slice(body).ok()?;
        Some(render_columns(
            [
                Some(&f.campaign),
                Some(&f.category),
                f.unit.as_deref(),
                f.assignee.as_deref(),
                f.grid.as_deref(),
                f.source.as_deref(),
                Some(f.state.code()),
            ],
            [
                Some(i64::from(escalation_level(f.escalation))),
                due_at(f.state, f.deadline, f.suspended_secs),
                Some(f.found_at.0),
                f.closed_at.map(|t| t.0),
                Some(f.seq as i64),
            ],
        ))
    }
}

/// A problem row's indexed columns as [`problem_seen`] compares them, borrowed: the seven
/// texts (campaign, category, unit, assignee, grid, source, state) as bytes, then the five
/// numbers (escalation, due_at, found_at, closed_at, seq); `None` is NULL.
pub type ColumnValues<'a> = ([Option<&'a [u8]>; 7], [Option<i64>; 5]);

/// What a problem row's body implies ([`RecordSeen`]), checked against its stored columns
/// without building or rendering either side: the backends' bulk reads call this on each row
/// as it is read.
pub fn problem_seen(body: &[u8], stored: &ColumnValues<'_>) -> RecordSeen {
    let columns_hold = serde_json::from_slice::<IndexedFields<'_>>(body)
        .ok()
        .is_some_and(|f| f.values() == *stored);
    RecordSeen {
        digest: sha256(body),
        columns_hold,
    }
}

/// The effective deadline while a problem is open (its clock runs), else none.
fn due_at(state: State, deadline: Option<Timestamp>, suspended_secs: i64) -> Option<i64> {
    if state.is_open() {
        deadline.map(|d| d.0 + suspended_secs)
    } else {
        None
    }
}

/// The fields of a [`Problem`] body its indexed columns derive from, as [`Problem`] serialises
/// them (texts borrowed where they have no escapes; every other field skipped unparsed).
#[derive(serde::Deserialize)]
struct IndexedFields<'a> {
    #[serde(borrow)]
    campaign: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    category: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    unit: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    assignee: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    grid: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    source: Option<std::borrow::Cow<'a, str>>,
    state: State,
    escalation: Escalation,
    deadline: Option<Timestamp>,
    suspended_secs: i64,
    found_at: Timestamp,
    closed_at: Option<Timestamp>,
    seq: u64,
}

/// A borrowed optional text as bytes.
fn text_bytes<'t>(t: &'t Option<std::borrow::Cow<'_, str>>) -> Option<&'t [u8]> {
    t.as_deref().map(str::as_bytes)
}

impl IndexedFields<'_> {
    fn values(&self) -> ColumnValues<'_> {
        let b = text_bytes;
        (
            [
                Some(self.campaign.as_bytes()),
                Some(self.category.as_bytes()),
                b(&self.unit),
                b(&self.assignee),
                b(&self.grid),
                b(&self.source),
                Some(self.state.code().as_bytes()),
            ],
            [
                Some(i64::from(escalation_level(self.escalation))),
                due_at(self.state, self.deadline, self.suspended_secs),
                Some(self.found_at.0),
                self.closed_at.map(|t| t.0),
                Some(self.seq as i64),
            ],
        )
    }
}

/// One text naming every column, for comparing a stored row with its body: each text
/// length-prefixed (`-` for NULL), so no two different rows render alike. (Hand-written: `{:?}`
/// spent most of its time escaping and was a fifth of `verify`'s CPU.)
fn render_columns(texts: [Option<&str>; 7], numbers: [Option<i64>; 5]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(160);
    for t in texts {
        match t {
            Some(t) => {
                let _ = write!(s, "{}:{t};", t.len());
            }
            None => s.push_str("-;"),
        }
    }
    for n in numbers {
        match n {
            Some(n) => {
                let _ = write!(s, "{n};");
            }
            None => s.push_str("-;"),
        }
    }
    s
}

/// Filters of the ledger list; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProblemFilter {
    /// 责任单位.
    pub unit: Option<UnitCode>,
    /// Any of these states (empty: any).
    pub states: Vec<State>,
    /// Open and past the effective deadline at this instant.
    pub overdue_at: Option<Timestamp>,
    /// Campaign.
    pub campaign: Option<String>,
    /// Grid.
    pub grid: Option<RegionCode>,
    /// Source.
    pub source: Option<SourceId>,
    /// Escalation at least this.
    pub min_escalation: Option<Escalation>,
}

/// A bound value of a filter's SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
}

impl ProblemFilter {
    /// The `WHERE` conditions (joined by AND, or `TRUE`) with `ph(n)` producing the n-th
    /// placeholder (`?` on SQLite, `$n` on PostgreSQL), and the values to bind in order.
    pub fn sql(&self, ph: impl Fn(usize) -> String) -> (String, Vec<Bind>) {
        let mut conds = Vec::new();
        let mut binds = Vec::new();
        let push = |b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            ph(binds.len())
        };
        if let Some(u) = &self.unit {
            conds.push(format!(
                "unit = {}",
                push(Bind::Text(u.as_str().into()), &mut binds)
            ));
        }
        if !self.states.is_empty() {
            let list: Vec<String> = self
                .states
                .iter()
                .map(|s| push(Bind::Text(s.code().into()), &mut binds))
                .collect();
            conds.push(format!("state IN ({})", list.join(", ")));
        }
        if let Some(t) = self.overdue_at {
            conds.push(format!("due_at < {}", push(Bind::Int(t.0), &mut binds)));
        }
        if let Some(c) = &self.campaign {
            conds.push(format!(
                "campaign = {}",
                push(Bind::Text(c.clone()), &mut binds)
            ));
        }
        if let Some(g) = &self.grid {
            conds.push(format!(
                "grid = {}",
                push(Bind::Text(g.as_str().into()), &mut binds)
            ));
        }
        if let Some(s) = &self.source {
            conds.push(format!(
                "source = {}",
                push(Bind::Text(s.as_str().into()), &mut binds)
            ));
        }
        if let Some(e) = self.min_escalation {
            conds.push(format!(
                "escalation >= {}",
                push(Bind::Int(i64::from(escalation_level(e))), &mut binds)
            ));
        }
        if conds.is_empty() {
            ("1 = 1".to_owned(), binds)
        } else {
            (conds.join(" AND "), binds)
        }
    }
}

/// Matches up to which a page is read by sorting the matches' ids (from the filter's index)
/// rather than by walking the table in id order until the page is full.
pub const SORT_MATCHES_BELOW: u64 = 5_000;

/// The `ORDER BY` of a page, chosen from the total the count just returned. Walking the primary
/// key in id order finds a page fast when matches are dense, but scans the whole table when they
/// are few (measured: 0.5–0.7 s on 1 M problems for a filter matching nothing), which is what
/// planners do for `ORDER BY id LIMIT n` when they misjudge the filter. `id + 0` is not
/// indexed, so with few matches the planner takes the filter's index and sorts them.
pub const fn page_order(total: u64) -> &'static str {
    if total <= SORT_MATCHES_BELOW {
        "id + 0"
    } else {
        "id"
    }
}

/// Keyset pagination: problems with `id > after`, in id order, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The last id of the previous page.
    pub after: Option<u64>,
    /// Page size (1..=1000).
    pub limit: u32,
}

impl Default for Page {
    fn default() -> Page {
        Page {
            after: None,
            limit: 50,
        }
    }
}

/// One page of the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemPage {
    /// The problems, by id.
    pub items: Vec<Problem>,
    /// How many match the filter in all, counted up to [`COUNT_CAP`].
    pub total: u64,
    /// The count stopped at [`COUNT_CAP`]: at least `total` match (shown as "10000+").
    pub total_capped: bool,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<u64>,
}

/// Matches a list counts at most. An exact count of a filter matching most of a million
/// problems reads the whole index on every page view (PostgreSQL: 60–90 ms); no reader of a
/// ledger list needs to tell 250 000 from 250 001, and anything below the cap is exact.
pub const COUNT_CAP: u64 = 10_000;

/// The count query of a filter's `WHERE` conditions, counting at most [`COUNT_CAP`] + 1 rows.
pub fn capped_count_sql(cond: &str) -> String {
    format!(
        "SELECT count(*) FROM (SELECT 1 FROM problems WHERE {cond} LIMIT {}) AS matches",
        COUNT_CAP + 1
    )
}

/// `(total, capped)` from what [`capped_count_sql`] returned.
pub fn capped_total(n: i64) -> (u64, bool) {
    let n = n.max(0) as u64;
    if n > COUNT_CAP {
        (COUNT_CAP, true)
    } else {
        (n, false)
    }
}

/// An evidence file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// SHA-256 of the bytes, hex.
    pub hash: String,
    /// MIME type as given.
    pub media_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// When first stored.
    pub stored_at: Timestamp,
}

/// An in-app notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Id.
    pub id: u64,
    /// For whom.
    pub person: String,
    /// When.
    pub at: Timestamp,
    /// Kind (`escalation`, `assigned`).
    pub kind: String,
    /// The problem.
    pub problem: u64,
    /// Text (Chinese).
    pub text: String,
}

/// The notification an applied event sends, if any: (kind, text).
pub fn notification_for(p: &Problem, e: &Event) -> Option<(&'static str, String)> {
    match &e.action {
        Action::Escalate { to } => Some((
            "escalation",
            format!(
                "问题 #{} 已升级为「{}」（{}）",
                p.id,
                to.name_zh(),
                p.description
            ),
        )),
        Action::Assign { .. } => Some((
            "assigned",
            format!("问题 #{} 已派发给你单位：{}", p.id, p.description),
        )),
        _ => None,
    }
}

/// A record row as stored, for [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    /// Its id.
    pub id: i64,
    /// The canonical body.
    pub body: Vec<u8>,
    /// The stored indexed columns, rendered ([`ProblemColumns::render`] for problems).
    pub columns: String,
    /// The seq of the entry that last wrote it.
    pub log_seq: i64,
    /// That entry's hash.
    pub log_hash: Vec<u8>,
}

/// The daily anchor: the log as it stood at the end of a local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anchor {
    /// The day (Asia/Shanghai).
    pub day: String,
    /// Entries written that day.
    pub count: u64,
    /// The last entry of the day (highest seq with `at` on that day), 0 if none.
    pub last_seq: u64,
    /// Its hash: publishing it fixes every entry up to it.
    #[serde(serialize_with = "ser_hash")]
    pub hash: Hash,
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} entries={} last_seq={} sha256={}",
            self.day,
            self.count,
            self.last_seq,
            hex(&self.hash)
        )
    }
}

/// The instants `[start, end)` of a local day.
pub fn day_bounds(day: Date) -> (i64, i64) {
    let start = i64::from(day.days()) * 86_400 - SHANGHAI_OFFSET_S;
    (start, start + 86_400)
}

/// What an import writes: the chained entries and each problem's row (problem, body, seq and
/// hash of its last entry).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    /// Entries, in seq order.
    pub entries: Vec<LogEntry>,
    /// Rows.
    pub problems: Vec<(Problem, Vec<u8>, u64, Hash)>,
}

/// Chain an import after the head `(seq, prev)` (both advanced). Every problem needs at least
/// one step, and its last step's body must be the problem's body.
pub fn plan_import(
    batch: &[ImportedProblem],
    seq: &mut u64,
    prev: &mut Hash,
) -> Result<ImportPlan, StoreError> {
    let mut plan = ImportPlan {
        entries: Vec::with_capacity(batch.iter().map(|b| b.steps.len()).sum()),
        problems: Vec::with_capacity(batch.len()),
    };
    for (i, ip) in batch.iter().enumerate() {
        let p = &ip.problem;
        let body = problem_body(p)?;
        let bad =
            |why: &str| StoreError::Invalid(format!("import item {i} (problem {}): {why}", p.id));
        match ip.steps.last() {
            None => return Err(bad("no history")),
            Some(last) if last.body != body => {
                return Err(bad("the last step's body is not the problem"));
            }
            Some(_) => {}
        }
        let entity = p.id.to_string();
        for st in &ip.steps {
            let digest = sha256(&st.body);
            let e = chain_entry(
                *seq,
                *prev,
                st.at,
                &EntryContent {
                    actor: &st.actor,
                    kind: KIND_PROBLEM,
                    entity: &entity,
                    action: &st.action,
                    payload: &st.payload,
                    record_digest: Some(&digest),
                },
            );
            *seq = e.seq;
            *prev = e.hash;
            plan.entries.push(e);
        }
        plan.problems.push((p.clone(), body, *seq, *prev));
    }
    Ok(plan)
}

/// The payload of an evidence file's first store.
pub fn evidence_payload(media_type: &str, size: usize) -> Vec<u8> {
    serde_json::json!({ "media_type": media_type, "size": size })
        .to_string()
        .into_bytes()
}

/// Checks a generic entry: texts present, and not a record kind (records are written by their
/// own methods, which keep the record and the log together).
pub fn check_generic(n: &NewEntry) -> Result<(), StoreError> {
    if n.actor.trim().is_empty() || n.kind.trim().is_empty() || n.action.trim().is_empty() {
        return Err(StoreError::Invalid(
            "a log entry needs an actor, a kind and an action".into(),
        ));
    }
    if RECORD_KINDS.contains(&n.kind.as_str()) || n.kind == KIND_EVIDENCE {
        return Err(StoreError::Invalid(format!(
            "entries of kind {:?} are written with their record",
            n.kind
        )));
    }
    Ok(())
}

/// A problem with its history, for bulk loading ([`LedgerStore::import_history`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedProblem {
    /// The problem as it is now (its `seq` = number of steps − 1, the creation being step 0).
    pub problem: Problem,
    /// Its entries in order: (at, actor, action code, payload, the body after the step).
    pub steps: Vec<ImportStep>,
}

/// One step of an imported history.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportStep {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// Action code.
    pub action: String,
    /// Payload.
    pub payload: Vec<u8>,
    /// The problem's body after this step.
    pub body: Vec<u8>,
}

/// The ledger and the log on a backend. Every write is one transaction that appends its log
/// entries and moves the log head with it.
pub trait LedgerStore: Send + Sync {
    /// Record a new problem (state `new`), logged as `create` by `actor`. Returns it with its id.
    fn create_problem(
        &self,
        new: &NewProblem,
        actor: &Actor,
        now: Timestamp,
    ) -> impl Future<Output = Result<Problem, StoreError>> + Send;

    /// Apply `action` by `actor` at `now` through the domain's transition function; write the
    /// new row and its log entry (and any notification) in one transaction. `expected_seq` is
    /// the version the caller saw (`None`: whatever is stored); a problem that changed since is
    /// a [`StoreError::Conflict`], a refused transition [`StoreError::Refused`], evidence not
    /// stored [`StoreError::NotFound`].
    fn apply(
        &self,
        id: u64,
        expected_seq: Option<u64>,
        action: Action,
        actor: &Actor,
        now: Timestamp,
        cal: &Calendar,
    ) -> impl Future<Output = Result<Problem, StoreError>> + Send;

    /// One problem.
    fn problem(&self, id: u64) -> impl Future<Output = Result<Option<Problem>, StoreError>> + Send;

    /// A page of the problems matching `filter`, and how many match in all.
    fn problems(
        &self,
        filter: &ProblemFilter,
        page: Page,
    ) -> impl Future<Output = Result<ProblemPage, StoreError>> + Send;

    /// Every problem of a source, by id (its history).
    fn source_history(
        &self,
        source: &SourceId,
    ) -> impl Future<Output = Result<Vec<Problem>, StoreError>> + Send;

    /// A problem's log entries, in order.
    fn timeline(&self, id: u64) -> impl Future<Output = Result<Vec<LogEntry>, StoreError>> + Send;

    /// Store an evidence file (deduplicated by content) and return its SHA-256 (hex). The first
    /// store of some content is logged (kind `evidence`, entity = the hash).
    fn put_evidence(
        &self,
        bytes: &[u8],
        media_type: &str,
        actor: &PersonId,
        now: Timestamp,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// An evidence file by its hash (hex).
    fn evidence(
        &self,
        hash: &str,
    ) -> impl Future<Output = Result<Option<Evidence>, StoreError>> + Send;

    /// Append a generic entry (a kind without a record). Returns it.
    fn append(&self, entry: &NewEntry)
    -> impl Future<Output = Result<LogEntry, StoreError>> + Send;

    /// The head: the last seq and hash (0 and [`GENESIS`] for an empty log).
    fn log_head(&self) -> impl Future<Output = Result<(u64, Hash), StoreError>> + Send;

    /// Entries with `after < seq <= after + limit`, in seq order (a range of seqs, not a count,
    /// so several ranges can be read at once and a deleted entry shrinks its range).
    fn log_entries(
        &self,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<LogEntry>, StoreError>> + Send;

    /// The same range as [`LedgerStore::log_entries`], as the walk of [`verify`] needs it: each
    /// entry's hash already checked ([`Walked`]). Backends override this to check the hashes
    /// where the rows are read, on several threads, without building a [`LogEntry`] per row.
    fn walk_entries(
        &self,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Walked>, StoreError>> + Send {
        async move {
            let chunk = self.log_entries(after, limit).await?;
            Ok(chunk.iter().map(Walked::of_entry).collect())
        }
    }
    /// Rows of a record kind with `id > after`, by id, at most `limit`.
    fn record_rows(
        &self,
        kind: &str,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<RecordRow>, StoreError>> + Send;

    /// The rows of a record kind with `after < id <= upto`, by id, as the record check of
    /// [`verify`] needs them: each row's digest and column check computed ([`SeenRow`]).
    /// Backends override this for their big tables, to read a range and compute on the
    /// reading thread, so several ranges are read and checked at once.
    fn seen_records(
        &self,
        kind: &str,
        after: i64,
        upto: i64,
    ) -> impl Future<Output = Result<Vec<SeenRow>, StoreError>> + Send {
        seen_records_paged(self, kind, after, upto)
    }

    /// Refresh the planner's statistics (after a bulk load; from a nightly job): SQLite
    /// `ANALYZE`, PostgreSQL `VACUUM (ANALYZE)` of the ledger's tables.
    fn maintain(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The anchor of a local day.
    fn anchor(&self, day: Date) -> impl Future<Output = Result<Anchor, StoreError>> + Send;

    /// A person's notifications, newest first.
    fn notifications(
        &self,
        person: &PersonId,
    ) -> impl Future<Output = Result<Vec<Notification>, StoreError>> + Send;

    /// Bulk-load problems with their histories (migrating a ledger kept elsewhere; the
    /// benchmark), in one transaction: entries are chained after the head in the given order
    /// ([`plan_import`]); problem ids are kept and must be unused. Returns the problems written.
    fn import_history(
        &self,
        batch: &[ImportedProblem],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// What [`verify`] found first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "tamper", rename_all = "snake_case")]
pub enum Tamper {
    /// The entry's content does not give its stored hash: edited (or moved: the seq is hashed).
    EntryEdited {
        /// Its seq.
        seq: u64,
    },
    /// The entry's `prev_hash` is not the hash of the entry before it: reordered or replaced.
    ChainBroken {
        /// Its seq.
        seq: u64,
    },
    /// The sequence has a gap: this entry was deleted.
    EntryMissing {
        /// The missing seq.
        seq: u64,
    },
    /// The log ends before its head: the last entries were deleted (or the head was edited).
    TailMissing {
        /// The head's seq.
        head: u64,
        /// The last entry found.
        last: u64,
    },
    /// A record's body or indexed columns are not what its last entry wrote.
    RecordEdited {
        /// Kind.
        kind: String,
        /// Id.
        id: i64,
    },
    /// A record names a log entry that is not its entity's last entry (or no entry at all).
    RecordNotLogged {
        /// Kind.
        kind: String,
        /// Id.
        id: i64,
    },
    /// The log wrote an entity of a record kind whose row is gone.
    RecordMissing {
        /// Kind.
        kind: String,
        /// Id.
        id: String,
    },
    /// An evidence file the log names is not in the evidence table (deleted).
    EvidenceMissing {
        /// Its SHA-256 (hex).
        hash: String,
        /// The first entry naming it.
        seq: u64,
    },
    /// An evidence file's stored bytes do not hash to its name (altered).
    EvidenceAltered {
        /// Its SHA-256 (hex).
        hash: String,
    },
}

impl std::fmt::Display for Tamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tamper::EntryEdited { seq } => {
                write!(
                    f,
                    "log entry {seq} does not match its hash (edited or moved)"
                )
            }
            Tamper::ChainBroken { seq } => write!(
                f,
                "log entry {seq} does not follow the entry before it (reordered or replaced)"
            ),
            Tamper::EntryMissing { seq } => write!(f, "log entry {seq} is missing (deleted)"),
            Tamper::TailMissing { head, last } => write!(
                f,
                "the log ends at entry {last} but its head says {head} (entries deleted)"
            ),
            Tamper::RecordEdited { kind, id } => write!(
                f,
                "record {kind} {id} differs from what its last log entry wrote (edited)"
            ),
            Tamper::RecordNotLogged { kind, id } => write!(
                f,
                "record {kind} {id} was not written by its last log entry"
            ),
            Tamper::RecordMissing { kind, id } => {
                write!(
                    f,
                    "record {kind} {id} is in the log but not in the store (deleted)"
                )
            }
            Tamper::EvidenceMissing { hash, seq } => write!(
                f,
                "evidence {hash} (named by log entry {seq}) is not in the store (deleted)"
            ),
            Tamper::EvidenceAltered { hash } => write!(
                f,
                "evidence {hash}: the stored bytes do not hash to it (altered)"
            ),
        }
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Records checked.
    pub records: u64,
    /// Evidence files checked ([`verify_evidence`]).
    pub evidence: u64,
    /// The first thing that does not hold, if any.
    pub tamper: Option<Tamper>,
}

/// One log entry as the walk of [`verify`] needs it: its links, whether its stored hash is the
/// hash of its stored content, and the record it wrote (for entries of a record kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walked {
    /// Position.
    pub seq: u64,
    /// The stored previous hash.
    pub prev_hash: Hash,
    /// The stored hash.
    pub hash: Hash,
    /// `hash` is [`entry_hash`] of the stored content.
    pub holds: bool,
    /// For an entry of a kind in [`RECORD_KINDS`]: (its index there, the entity id, the
    /// record digest).
    pub record: Option<(usize, EntityKey, Option<Hash>)>,
    /// The evidence files the entry names ([`evidence_in`]); almost always none (no
    /// allocation).
    pub evidence: Vec<Hash>,
}

/// A record entity's id as the walk keys it: the integer every record id is, kept without an
/// allocation (10 M entries name about 1 M records), or the text of anything else.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntityKey {
    /// A canonical decimal integer (`"42"`, not `"042"` or `"+42"`).
    Id(i64),
    /// Any other text.
    Text(String),
}

impl EntityKey {
    /// The key of an entity's text.
    pub fn of(entity: &str) -> EntityKey {
        EntityKey::of_bytes(entity.as_bytes())
    }

    /// The key of an entity's stored bytes (a text column; anything not UTF-8 is kept lossily,
    /// and names no record).
    pub fn of_bytes(entity: &[u8]) -> EntityKey {
        match canonical_int(entity) {
            Some(i) => EntityKey::Id(i),
            None => EntityKey::Text(String::from_utf8_lossy(entity).into_owned()),
        }
    }
}

impl std::fmt::Display for EntityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntityKey::Id(i) => write!(f, "{i}"),
            EntityKey::Text(s) => f.write_str(s),
        }
    }
}

/// `s` as an integer if it is exactly how the integer prints (so the key round-trips to the
/// same text, and `"7"` and `"07"` stay different entities).
fn canonical_int(s: &[u8]) -> Option<i64> {
    let b = s.strip_prefix(b"-").unwrap_or(s);
    let ok = !b.is_empty()
        && b.iter().all(u8::is_ascii_digit)
        && (b[0] != b'0' || (b.len() == 1 && b.len() == s.len()));
    if ok {
        std::str::from_utf8(s).ok()?.parse().ok()
    } else {
        None
    }
}

/// A multiplicative hasher for the walk's maps (FxHash's mixing step): their keys are integers
/// and hashes read from our own database, where SipHash's protection against chosen keys buys
/// nothing and costs a third of a map update.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.add(i as u64);
    }
}

/// A map keyed by [`EntityKey`] or [`Hash`] with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

impl Walked {
    /// From an entry's columns.
    pub fn of_columns(
        seq: u64,
        at: Timestamp,
        content: &EntryContent<'_>,
        prev_hash: Hash,
        hash: Hash,
    ) -> Walked {
        Walked::of_raw(seq, at, &RawContent::from(content), prev_hash, hash)
    }

    /// From an entry's stored columns, borrowed as bytes (nothing is copied or checked as
    /// UTF-8: the hash is over bytes).
    pub fn of_raw(
        seq: u64,
        at: Timestamp,
        content: &RawContent<'_>,
        prev_hash: Hash,
        hash: Hash,
    ) -> Walked {
        let holds = raw_entry_hash(&prev_hash, seq, at, content) == hash;
        let record = RECORD_KINDS
            .iter()
            .position(|k| k.as_bytes() == content.kind)
            .map(|k| {
                (
                    k,
                    EntityKey::of_bytes(content.entity),
                    content.record_digest.copied(),
                )
            });
        Walked {
            seq,
            prev_hash,
            hash,
            holds,
            record,
            evidence: evidence_in(content.kind, content.entity, content.payload),
        }
    }

    /// From a read entry.
    pub fn of_entry(e: &LogEntry) -> Walked {
        Walked::of_columns(
            e.seq,
            e.at,
            &EntryContent {
                actor: &e.actor,
                kind: &e.kind,
                entity: &e.entity,
                action: &e.action,
                payload: &e.payload,
                record_digest: e.record_digest.as_ref(),
            },
            e.prev_hash,
            e.hash,
        )
    }
}

/// The last entry of an entity of a record kind: (seq, hash, digest).
type LastWrite = (u64, Hash, Option<Hash>);

/// The last write of every entity of one record kind. Record ids are small dense integers, so
/// they index a vector (the walk updates ten entries per record and the record check reads
/// them in id order: a hash map's cache misses were a tenth of `verify`); other ids, and
/// integers far beyond the vector's end, go to a map.
#[derive(Debug, Default)]
struct LastWrites {
    dense: Vec<Option<LastWrite>>,
    sparse: FastMap<EntityKey, LastWrite>,
}

impl LastWrites {
    /// The vector's slot of `key`, growing it when the id is near its end (at most doubling
    /// it, so one huge id cannot allocate a huge vector).
    fn slot(&mut self, key: &EntityKey, grow: bool) -> Option<&mut Option<LastWrite>> {
        let EntityKey::Id(i) = *key else { return None };
        let i = usize::try_from(i).ok()?;
        if i >= self.dense.len() {
            if !grow || i >= (self.dense.len() * 2).max(1 << 16) {
                return None;
            }
            self.dense.resize(i + 1, None);
        }
        self.dense.get_mut(i)
    }

    fn insert(&mut self, key: EntityKey, w: LastWrite) {
        // An id first seen far out went to the map; it stays there.
        if !self.sparse.is_empty()
            && let Some(old) = self.sparse.get_mut(&key)
        {
            *old = w;
            return;
        }
        match self.slot(&key, true) {
            Some(slot) => *slot = Some(w),
            None => {
                self.sparse.insert(key, w);
            }
        }
    }

    fn take(&mut self, key: &EntityKey) -> Option<LastWrite> {
        if let Some(w) = self.slot(key, false).and_then(Option::take) {
            return Some(w);
        }
        self.sparse.remove(key)
    }

    /// Every entity with its last write.
    fn iter(&self) -> impl Iterator<Item = (EntityKey, &LastWrite)> {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .filter_map(|(i, w)| Some((EntityKey::Id(i as i64), w.as_ref()?)));
        dense.chain(self.sparse.iter().map(|(k, w)| (k.clone(), w)))
    }
}

/// Walks the chain in seq order, entry by entry.
#[derive(Debug)]
pub struct ChainWalker {
    expected: u64,
    prev: Hash,
    entries: u64,
    /// Per record kind (index into [`RECORD_KINDS`]): entity id → its last write.
    last_write: Vec<LastWrites>,
    /// Every evidence file the log names, with the first entry naming it, in that order.
    evidence: Vec<(Hash, u64)>,
    evidence_seen: HashSet<Hash, BuildHasherDefault<FastHasher>>,
}

impl Default for ChainWalker {
    fn default() -> ChainWalker {
        ChainWalker {
            expected: 1,
            prev: GENESIS,
            entries: 0,
            last_write: RECORD_KINDS.iter().map(|_| LastWrites::default()).collect(),
            evidence: Vec::new(),
            evidence_seen: HashSet::default(),
        }
    }
}

impl ChainWalker {
    /// Check the next entries (in seq order); the first failure ends the walk.
    pub fn push(&mut self, chunk: &[LogEntry]) -> Result<(), Tamper> {
        self.push_walked(walk(chunk))
    }

    /// [`ChainWalker::push`] for entries whose hashes were checked where they were read.
    pub fn push_walked(&mut self, chunk: Vec<Walked>) -> Result<(), Tamper> {
        for e in chunk {
            if e.seq != self.expected {
                return Err(if e.seq > self.expected {
                    Tamper::EntryMissing { seq: self.expected }
                } else {
                    Tamper::ChainBroken { seq: e.seq }
                });
            }
            if !e.holds {
                return Err(Tamper::EntryEdited { seq: e.seq });
            }
            if e.prev_hash != self.prev {
                return Err(Tamper::ChainBroken { seq: e.seq });
            }
            if let Some((k, entity, digest)) = e.record
                && let Some(m) = self.last_write.get_mut(k)
            {
                m.insert(entity, (e.seq, e.hash, digest));
            }
            for h in e.evidence {
                if self.evidence_seen.insert(h) {
                    self.evidence.push((h, e.seq));
                }
            }
            self.prev = e.hash;
            self.expected += 1;
            self.entries += 1;
        }
        Ok(())
    }

    /// The evidence files the walked entries name, each with the first entry naming it, in
    /// the order they were first named.
    pub fn evidence(&self) -> &[(Hash, u64)] {
        &self.evidence
    }

    /// The end of the log: the head must be the last entry.
    pub fn finish(&self, head: (u64, Hash)) -> Result<(), Tamper> {
        let last = self.expected - 1;
        if head.0 != last || (last > 0 && head.1 != self.prev) {
            return Err(Tamper::TailMissing { head: head.0, last });
        }
        Ok(())
    }

    /// Check a record row of kind `RECORD_KINDS[k]` (rows come in id order); `expected_columns`
    /// renders the columns its body implies.
    pub fn check_record(
        &mut self,
        k: usize,
        row: &RecordRow,
        expected_columns: impl Fn(&[u8]) -> Option<String>,
    ) -> Result<(), Tamper> {
        let seen = RecordSeen::of(row, expected_columns);
        self.check_seen(
            k,
            &SeenRow {
                id: row.id,
                log_seq: row.log_seq,
                log_hash: row.log_hash.clone(),
                seen,
            },
        )
    }

    /// [`ChainWalker::check_record`] with the row's digest and column check already computed
    /// (the costly part, done where the rows are read: [`LedgerStore::seen_records`]).
    pub fn check_seen(&mut self, k: usize, row: &SeenRow) -> Result<(), Tamper> {
        let seen = &row.seen;
        let kind = RECORD_KINDS.get(k).copied().unwrap_or("?");
        let not_logged = || Tamper::RecordNotLogged {
            kind: kind.to_owned(),
            id: row.id,
        };
        let Some((seq, hash, digest)) = self
            .last_write
            .get_mut(k)
            .and_then(|m| m.take(&EntityKey::Id(row.id)))
        else {
            return Err(not_logged());
        };
        if row.log_seq != seq as i64 || row.log_hash.as_slice() != hash.as_slice() {
            return Err(not_logged());
        }
        if digest != Some(seen.digest) || !seen.columns_hold {
            return Err(Tamper::RecordEdited {
                kind: kind.to_owned(),
                id: row.id,
            });
        }
        Ok(())
    }

    /// Id ranges `(after, upto]` covering every id, for reading the rows of kind `k`: each
    /// holds `per` of the ids the log wrote (sparse ids make no empty ranges), the first
    /// starts at `i64::MIN` and the last ends at `i64::MAX` (rows the log never wrote fall in
    /// one of them, and fail the check).
    pub fn record_ranges(&self, k: usize, per: usize) -> Vec<(i64, i64)> {
        let mut ids: Vec<i64> = self
            .last_write
            .get(k)
            .into_iter()
            .flat_map(LastWrites::iter)
            .filter_map(|(key, _)| match key {
                EntityKey::Id(i) => Some(i),
                EntityKey::Text(_) => None,
            })
            .collect();
        ids.sort_unstable();
        let mut out = Vec::with_capacity(ids.len() / per.max(1) + 2);
        let mut after = i64::MIN;
        for chunk in ids.chunks(per.max(1)) {
            if let Some(&upto) = chunk.last()
                && upto > after
            {
                out.push((after, upto));
                after = upto;
            }
        }
        if after < i64::MAX {
            out.push((after, i64::MAX));
        }
        out
    }

    /// After every row of kind `k`: an entity the log wrote but whose row was not seen.
    pub fn records_done(&mut self, k: usize) -> Result<(), Tamper> {
        let kind = RECORD_KINDS.get(k).copied().unwrap_or("?");
        let first = self
            .last_write
            .get(k)
            .into_iter()
            .flat_map(LastWrites::iter)
            .filter(|(_, (_, _, d))| d.is_some())
            .map(|(id, _)| id.to_string())
            .min_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
        match first {
            Some(id) => Err(Tamper::RecordMissing {
                kind: kind.to_owned(),
                id,
            }),
            None => Ok(()),
        }
    }
}

/// What a record row's body implies, computed apart from the walk: its SHA-256 and whether its
/// stored columns are the ones the body renders.
#[derive(Debug, Clone, Copy)]
pub struct RecordSeen {
    /// SHA-256 of the stored body.
    pub digest: Hash,
    /// The stored columns equal those the body implies.
    pub columns_hold: bool,
}

impl RecordSeen {
    /// Compute it for `row`.
    pub fn of(row: &RecordRow, expected_columns: impl Fn(&[u8]) -> Option<String>) -> RecordSeen {
        RecordSeen {
            digest: sha256(&row.body),
            columns_hold: expected_columns(&row.body).as_deref() == Some(row.columns.as_str()),
        }
    }
}

/// A record row as the record check of [`verify`] needs it: its links to the log and what its
/// body implies (the body itself is not kept).
#[derive(Debug, Clone)]
pub struct SeenRow {
    /// Id.
    pub id: i64,
    /// The seq of the entry it says last wrote it.
    pub log_seq: i64,
    /// That entry's hash, as stored in the row.
    pub log_hash: Vec<u8>,
    /// Its digest and column check.
    pub seen: RecordSeen,
}

impl SeenRow {
    /// Compute it for a row of `kind`.
    pub fn of(kind: &str, row: RecordRow) -> SeenRow {
        SeenRow {
            seen: RecordSeen::of(&row, |b| expected_columns(kind, b)),
            id: row.id,
            log_seq: row.log_seq,
            log_hash: row.log_hash,
        }
    }
}

/// [`LedgerStore::seen_records`] through [`LedgerStore::record_rows`], page by page, computed
/// on the calling task (the default, and the backends' path for small tables).
pub async fn seen_records_paged<S: LedgerStore + ?Sized>(
    s: &S,
    kind: &str,
    after: i64,
    upto: i64,
) -> Result<Vec<SeenRow>, StoreError> {
    const PAGE: u32 = 1000;
    let mut out = Vec::new();
    let mut from = after;
    while from < upto {
        let rows = s.record_rows(kind, from, PAGE).await?;
        let Some(last) = rows.last() else { break };
        from = last.id;
        let full = rows.len() == PAGE as usize;
        out.extend(
            rows.into_iter()
                .filter(|r| r.id <= upto)
                .map(|r| SeenRow::of(kind, r)),
        );
        if !full {
            break;
        }
    }
    Ok(out)
}

fn walk(chunk: &[LogEntry]) -> Vec<Walked> {
    let each = |c: &[LogEntry]| -> Vec<Walked> { c.iter().map(Walked::of_entry).collect() };
    if chunk.len() < 4096 {
        return each(chunk);
    }
    let (a, b) = chunk.split_at(chunk.len() / 2);
    std::thread::scope(|s| {
        let h = s.spawn(|| each(b));
        let mut out = each(a);
        // A panic in a hash thread cannot happen (no indexing); treat one as "does not hold".
        out.extend(h.join().unwrap_or_else(|_| {
            b.iter()
                .map(|e| Walked {
                    holds: false,
                    ..Walked::of_entry(e)
                })
                .collect()
        }));
        out
    })
}

/// The rendered columns a problem body implies, or `None` if it does not decode.
pub fn expected_columns(kind: &str, body: &[u8]) -> Option<String> {
    match kind {
        KIND_PROBLEM => ProblemColumns::render_body(body),
        other => crate::records::expected_columns(other, body),
    }
}

/// The entries (and records) [`verify`] reads per query, by default: on 9.8 M entries, 8 000
/// took 8.8–9.8 s where 2 000 took 9.1–10.8 s and 500 about twice that (the backends' bulk
/// reads pay per query; each read is checked on its own thread).
pub const VERIFY_CHUNK: u32 = 8000;

/// Walk the whole log and every record (see the module docs). `chunk` entries per read.
pub async fn verify<S: LedgerStore>(s: &S, chunk: u32) -> Result<VerifyReport, StoreError> {
    let chunk = chunk.max(1);
    let head = s.log_head().await?;
    let mut w = ChainWalker::default();
    let mut report = VerifyReport {
        entries: 0,
        records: 0,
        evidence: 0,
        tamper: None,
    };
    // The log in seq ranges, several in flight (the backends read and hash on blocking
    // threads) while this task checks the links of the oldest one.
    let c = u64::from(chunk);
    let last = head.0;
    let reads = (0..last.div_ceil(c)).map(|i| s.walk_entries(i * c, chunk));
    let tamper = in_order(reads, |walked| {
        let checked = w.push_walked(walked);
        report.entries = w.entries;
        checked
    })
    .await?;
    if let Some(t) = tamper {
        report.tamper = Some(t);
        return Ok(report);
    }
    // Entries past the head (the head moved back): the log does not end where the head says.
    if let Some(e) = s.log_entries(last, 1).await?.first() {
        report.tamper = Some(Tamper::TailMissing {
            head: last,
            last: e.seq,
        });
        return Ok(report);
    }
    if let Err(t) = w.finish(head) {
        report.tamper = Some(t);
        return Ok(report);
    }
    for (k, kind) in RECORD_KINDS.iter().enumerate() {
        // Id ranges of `chunk` logged records each, read and checked the same way.
        let ranges = w.record_ranges(k, chunk as usize);
        let reads = ranges
            .into_iter()
            .map(|(after, upto)| s.seen_records(kind, after, upto));
        let tamper = in_order(reads, |rows| {
            for r in &rows {
                report.records += 1;
                w.check_seen(k, r)?;
            }
            Ok(())
        })
        .await?;
        if let Some(t) = tamper.or_else(|| w.records_done(k).err()) {
            report.tamper = Some(t);
            return Ok(report);
        }
    }
    let (files, tamper) = verify_evidence(s, w.evidence()).await?;
    report.evidence = files;
    report.tamper = tamper;
    Ok(report)
}

/// Run `reads` [`READ_AHEAD`] at a time and hand their results to `take` in order; the first
/// tamper `take` reports ends it (the reads still in flight are dropped).
async fn in_order<F, T>(
    reads: impl Iterator<Item = F>,
    mut take: impl FnMut(T) -> Result<(), Tamper>,
) -> Result<Option<Tamper>, StoreError>
where
    F: Future<Output = Result<T, StoreError>>,
{
    let mut reads = reads;
    let mut q: VecDeque<Slot<F>> = VecDeque::new();
    loop {
        while q.len() < READ_AHEAD
            && let Some(f) = reads.next()
        {
            q.push_back(Slot::Running(Box::pin(f)));
        }
        let Some(mut front) = q.pop_front() else {
            return Ok(None);
        };
        let cur = std::future::poll_fn(|cx| {
            // Keep the others moving (a PostgreSQL read needs polling to drain its socket).
            for other in q.iter_mut() {
                other.drive(cx);
            }
            match front.poll(cx) {
                Some(v) => std::task::Poll::Ready(v),
                None => std::task::Poll::Pending,
            }
        })
        .await?;
        if let Err(t) = take(cur) {
            return Ok(Some(t));
        }
    }
}

/// Reads [`verify`] keeps in flight: enough to keep both cores of a small server busy while
/// one result is checked.
const READ_AHEAD: usize = 4;

/// The evidence hashes an entry names: the entity of an entry of kind `evidence`, and every
/// 64-hex string under a key `evidence` anywhere in its JSON payload, in the payload's order (a problem action's
/// photos, a case step's files, an inspection record's and its findings' files). Payloads
/// without the text `"evidence"` are not parsed: our payloads are serde_json's, which never
/// escapes a letter, and an entry altered to hide one fails its hash first.
pub fn evidence_in(kind: &[u8], entity: &[u8], payload: &[u8]) -> Vec<Hash> {
    let mut out = Vec::new();
    if kind == KIND_EVIDENCE.as_bytes() {
        out.extend(std::str::from_utf8(entity).ok().and_then(parse_hex));
    }
    // Only the values under an `evidence` key are parsed; the rest of the payload is scanned
    // for quotes, to tell a key `"evidence"` from the same text inside a string.
    let mut quotes = Quotes::default();
    // Built once: building a finder per payload was a twentieth of the walk.
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"evidence\""));
    // Without a backslash no quote is escaped: a quote opens a string after an even number
    // of quotes (a vectorised count), which is most payloads.
    let plain = memchr::memchr(b'\\', payload).is_none();
    for at in FINDER.find_iter(payload) {
        let opens = if plain {
            let before = payload.get(..at).unwrap_or(&[]);
            before.iter().filter(|&&b| b == b'"').count() % 2 == 0
        } else {
            quotes.opens_string_at(payload, at)
        };
        if !opens {
            continue;
        }
        let after = at + b"\"evidence\"".len();
        quotes.skip_to(after);
        let colon = payload
            .get(after..)
            .and_then(|r| r.iter().position(|b| !b" \t\r\n".contains(b)))
            .map(|k| after + k);
        if let Some(c) = colon.filter(|&c| payload.get(c) == Some(&b':')) {
            // A value that does not parse names what was read before the error; a payload
            // that is not JSON at all never gets here.
            let mut de = serde_json::Deserializer::from_slice(payload.get(c + 1..).unwrap_or(&[]));
            let _ = serde::de::DeserializeSeed::deserialize(
                EvidenceSeek {
                    under: true,
                    out: &mut out,
                },
                &mut de,
            );
        }
    }
    out
}

/// Where a scan of JSON text is: a byte offset, and whether it is inside a string there.
#[derive(Debug, Default)]
struct Quotes {
    pos: usize,
    in_string: bool,
}

impl Quotes {
    /// Whether the byte at `at` (a `"`, at or after the scan) opens a string: the quotes and
    /// escapes before it are followed from where the scan is.
    fn opens_string_at(&mut self, text: &[u8], at: usize) -> bool {
        if at < self.pos {
            return false;
        }
        let part = text.get(self.pos..at).unwrap_or(&[]);
        let base = self.pos;
        let mut skip_to = base;
        for i in memchr::memchr2_iter(b'"', b'\\', part) {
            let i = base + i;
            if i < skip_to {
                continue;
            }
            match (text.get(i), self.in_string) {
                (Some(b'\\'), true) => skip_to = i + 2,
                (Some(b'"'), s) => self.in_string = !s,
                _ => {}
            }
        }
        // An escape just before `at` takes the quote at `at` into the string.
        self.pos = at.max(skip_to);
        self.pos == at && !self.in_string
    }

    /// Continue the scan at `pos`, outside any string (just after a string token).
    fn skip_to(&mut self, pos: usize) {
        self.pos = pos;
        self.in_string = false;
    }
}

/// Walks one JSON value without building it (keys borrowed where they have no escapes, other
/// values skipped), collecting the hex hashes of strings under an `evidence` key: the walk
/// meets a payload naming evidence in about one entry of three.
struct EvidenceSeek<'o> {
    under: bool,
    out: &'o mut Vec<Hash>,
}

impl<'de> serde::de::DeserializeSeed<'de> for EvidenceSeek<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EvidenceSeek<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if self.under
            && let Some(h) = parse_hex(v)
            && !self.out.contains(&h)
        {
            self.out.push(h);
        }
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        while a
            .next_element_seed(EvidenceSeek {
                under: self.under,
                out: &mut *self.out,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        while let Some(is_evidence) = a.next_key_seed(IsEvidenceKey)? {
            a.next_value_seed(EvidenceSeek {
                under: self.under || is_evidence,
                out: &mut *self.out,
            })?;
        }
        Ok(())
    }
}

/// A map key, read as "is it `evidence`?" (no key is copied).
struct IsEvidenceKey;

impl<'de> serde::de::DeserializeSeed<'de> for IsEvidenceKey {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for IsEvidenceKey {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, v: &str) -> Result<bool, E> {
        Ok(v == "evidence")
    }
}

/// The evidence check, after the chain walk: every evidence file the log names (`named`, with
/// the first entry naming each, from [`ChainWalker::evidence`]) must be in the store and its
/// bytes must hash to its name. Returns the files checked and the first that fails (in order of
/// the entry first naming it).
pub async fn verify_evidence<S: LedgerStore>(
    s: &S,
    named: &[(Hash, u64)],
) -> Result<(u64, Option<Tamper>), StoreError> {
    let mut checked = 0u64;
    for &(h, seq) in named {
        let name = hex(&h);
        checked += 1;
        match s.evidence(&name).await? {
            None => {
                return Ok((checked, Some(Tamper::EvidenceMissing { hash: name, seq })));
            }
            Some(f) if sha256(&f.bytes) != h => {
                return Ok((checked, Some(Tamper::EvidenceAltered { hash: name })));
            }
            Some(_) => {}
        }
    }
    Ok((checked, None))
}

/// A read in flight, or its result once done (a finished future must not be polled again).
enum Slot<F: Future> {
    Running(std::pin::Pin<Box<F>>),
    Done(Option<F::Output>),
}

impl<F: Future> Slot<F> {
    /// Poll if still running, keeping the result once done.
    fn drive(&mut self, cx: &mut std::task::Context<'_>) {
        if let Slot::Running(f) = self
            && let std::task::Poll::Ready(v) = f.as_mut().poll(cx)
        {
            *self = Slot::Done(Some(v));
        }
    }

    /// Poll if still running; the result, taken, once done.
    fn poll(&mut self, cx: &mut std::task::Context<'_>) -> Option<F::Output> {
        self.drive(cx);
        match self {
            Slot::Done(v) => v.take(),
            Slot::Running(_) => None,
        }
    }
}

/// The scheduler's actor: the system, acting with the command's authority.
pub fn system_actor() -> Actor {
    Actor {
        // Both parse: short, plain ASCII.
        person: PersonId::parse("system").unwrap_or_else(|_| unreachable_person()),
        unit: UnitCode::parse("system").unwrap_or_else(|_| unreachable_unit()),
        role: Role::Admin,
        grids: Vec::new(),
    }
}

#[allow(clippy::panic)]
fn unreachable_person() -> PersonId {
    panic!("\"system\" is a valid person id")
}

#[allow(clippy::panic)]
fn unreachable_unit() -> UnitCode {
    panic!("\"system\" is a valid unit code")
}

/// What one scheduler run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EscalationRun {
    /// Problems looked at.
    pub checked: u64,
    /// (problem, level reached), in id order.
    pub escalated: Vec<(u64, Escalation)>,
    /// Problems that changed under the scheduler (skipped; the next run sees them).
    pub conflicts: u64,
}

/// Advance every due problem's escalation at `now` (the scheduler's entry point; `now` comes
/// from a `Clock`). The decision is the domain's [`escalation_due`]; each step goes through
/// [`LedgerStore::apply`] as the system actor, so it is logged and notified like any other.
pub async fn escalate<S: LedgerStore>(
    s: &S,
    now: Timestamp,
    cal: &Calendar,
    pol: &EscalationPolicy,
) -> Result<EscalationRun, StoreError> {
    let actor = system_actor();
    let mut run = EscalationRun::default();
    // Candidates: open with a running deadline. A warning may come days before the deadline
    // (warn_before working days, holidays in between): look 60 days ahead.
    let horizon = Timestamp(now.0 + 60 * 86_400);
    let filter = ProblemFilter {
        overdue_at: Some(horizon),
        ..ProblemFilter::default()
    };
    let mut page = Page {
        after: None,
        limit: 500,
    };
    loop {
        let got = s.problems(&filter, page).await?;
        for p in &got.items {
            run.checked += 1;
            let due = escalation_due(p, now, cal, pol);
            if due > p.escalation {
                match s
                    .apply(
                        p.id,
                        Some(p.seq),
                        Action::Escalate { to: due },
                        &actor,
                        now,
                        cal,
                    )
                    .await
                {
                    Ok(_) => run.escalated.push((p.id, due)),
                    Err(StoreError::Conflict { .. }) => run.conflicts += 1,
                    Err(e) => return Err(e),
                }
            }
        }
        match got.next {
            Some(n) => page.after = Some(n),
            None => break,
        }
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LogEntry {
        chain_entry(
            0,
            GENESIS,
            Timestamp(1_758_853_800),
            &EntryContent {
                actor: "i1",
                kind: KIND_PROBLEM,
                entity: "1",
                action: "create",
                payload: br#"{"action":"create"}"#,
                record_digest: Some(&sha256(b"body")),
            },
        )
    }

    /// The entry layout is a storage format: changing it breaks every stored chain. This pins it.
    #[test]
    fn entry_hash_is_pinned() {
        let e = sample();
        assert_eq!(e.seq, 1);
        assert_eq!(e.computed_hash(), e.hash);
        assert_eq!(hex(&e.hash), PINNED);
    }

    /// The reference the evidence scan is tested against: every hex hash under an `evidence`
    /// key of the parsed JSON tree, sorted, each once.
    fn tree_evidence(v: &serde_json::Value) -> Vec<Hash> {
        fn walk(v: &serde_json::Value, under: bool, out: &mut Vec<Hash>) {
            match v {
                serde_json::Value::String(s) if under => out.extend(parse_hex(s)),
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, under, out)),
                serde_json::Value::Object(m) => m
                    .iter()
                    .for_each(|(k, x)| walk(x, under || k == "evidence", out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(v, false, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The streaming evidence scan finds what a walk of the parsed JSON tree finds.
    #[test]
    fn evidence_in_matches_a_tree_walk() {
        let tree = |payload: &[u8]| {
            serde_json::from_slice::<serde_json::Value>(payload)
                .map(|v| tree_evidence(&v))
                .unwrap_or_default()
        };
        let (a, b) = (hex(&sha256(b"a")), hex(&sha256(b"b")));
        let payloads = [
            format!(r#"{{"action":"submit","evidence":["{a}"],"note":"x"}}"#),
            format!(r#"{{"evidence":[],"steps":[{{"evidence":["{a}","{b}"]}},{{"n":1.5}}]}}"#),
            format!(r#"{{"findings":[{{"evidence":["{b}"],"x":{{"evidence":"{a}"}}}}]}}"#),
            format!(r#"{{"evidence":{{"photo":"{a}","n":[true,null,"{b}"]}}}}"#),
            format!(r#"{{"note":"\"evidence\" in text {a}","evidence":["not hex"]}}"#),
            format!(r#"{{"k":"\u00e9","evidence":["{b}"]}}"#),
            format!(r#"{{"a\"evidence":["{a}"],"b":"x\\","evidence" : ["{b}"]}}"#),
            format!(r#"{{"evidence":{{"evidence":["{a}"]}},"c":["\"evidence\":[\"{b}\"]"]}}"#),
            format!(r#"{{"s":"\\\"evidence\":[\"{a}\"]","t":{{"evidence":"{b}"}}}}"#),
            r#"{"evidence":["#.to_owned(),
            "no json at all \"evidence\"".to_owned(),
        ];
        // The same hashes; the scan gives them in the payload's order, the tree in key order.
        let sorted = |mut v: Vec<Hash>| {
            v.sort_unstable();
            v.dedup();
            v
        };
        for p in &payloads {
            let got = sorted(evidence_in(b"problem", b"1", p.as_bytes()));
            assert_eq!(got, sorted(tree(p.as_bytes())), "{p}");
        }
        assert!(evidence_in(b"problem", b"1", payloads[0].as_bytes()).len() == 1);
        assert_eq!(
            evidence_in(KIND_EVIDENCE.as_bytes(), a.as_bytes(), b"{}"),
            vec![sha256(b"a")]
        );
    }

    /// Any JSON our code could write: the scan and the tree walk name the same files.
    #[test]
    fn evidence_scan_agrees_with_the_tree_on_random_json() {
        use proptest::prelude::*;
        let hashes: Vec<String> = (0..3u8).map(|i| hex(&sha256(&[i]))).collect();
        let text = prop_oneof![
            Just("evidence".to_owned()),
            Just("\"evidence\":".to_owned()),
            Just("x\\".to_owned()),
            Just("a\"evidence".to_owned()),
            (0..3usize).prop_map(move |i| hashes[i].clone()),
        ];
        let leaf = prop_oneof![
            text.clone().prop_map(serde_json::Value::String),
            any::<i32>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
        ];
        let value = leaf.prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                prop::collection::vec((text.clone(), inner), 0..5)
                    .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
            ]
        });
        proptest::test_runner::TestRunner::default()
            .run(&value, |v| {
                let bytes = serde_json::to_vec(&v).unwrap_or_default();
                let mut got = evidence_in(KIND_PROBLEM.as_bytes(), b"1", &bytes);
                got.sort_unstable();
                prop_assert_eq!(got, tree_evidence(&v));
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{e}"));
    }
    #[test]
    fn entity_keys_keep_the_text() {
        for t in ["0", "7", "-7", "123456789", "9223372036854775807"] {
            assert!(matches!(EntityKey::of(t), EntityKey::Id(_)), "{t}");
            assert_eq!(EntityKey::of(t).to_string(), t);
        }
        for t in [
            "",
            "-",
            "07",
            "+7",
            "-0",
            "00",
            "1e3",
            "U001",
            "9223372036854775808",
        ] {
            assert_eq!(EntityKey::of(t), EntityKey::Text(t.to_owned()), "{t}");
        }
    }

    // Computed independently (Python hashlib over the layout in the module docs).
    const PINNED: &str = "1f9a9b303cefa2e604f6862787d3d10c530c0e7cab3b790cac2204c93f6201d9";

    #[test]
    fn every_field_is_hashed() {
        let e = sample();
        let mut variants = Vec::new();
        let mut v = e.clone();
        v.seq = 2;
        variants.push(v);
        let mut v = e.clone();
        v.at = Timestamp(1);
        variants.push(v);
        for f in 0..4 {
            let mut v = e.clone();
            match f {
                0 => v.actor.push('x'),
                1 => v.kind.push('x'),
                2 => v.entity.push('x'),
                _ => v.action.push('x'),
            }
            variants.push(v);
        }
        let mut v = e.clone();
        v.payload.push(b' ');
        variants.push(v);
        let mut v = e.clone();
        v.record_digest = None;
        variants.push(v);
        let mut v = e.clone();
        v.prev_hash[0] = 1;
        variants.push(v);
        // Moving a byte between adjacent texts changes the hash (length prefixes).
        let mut v = e.clone();
        v.actor = "i".into();
        v.kind = "1problem".into();
        variants.push(v);
        for v in variants {
            assert_ne!(v.computed_hash(), e.hash, "{v:?}");
        }
    }

    #[test]
    fn hex_round_trips() {
        let h = sha256(b"x");
        assert_eq!(parse_hex(&hex(&h)), Some(h));
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex(&"g".repeat(64)), None);
    }
}

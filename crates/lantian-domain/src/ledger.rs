//! The problem ledger (问题台账) and its one transition function.
//!
//! States: new → assigned (派发) → rectifying (整改中) → submitted (待核查) → closed (销号), with
//! rejected-back-to-rectifying, suspended (the clock stops), reopened (反弹, from a failed
//! re-inspection), duplicate and cancelled. [`transition`] is the only way a problem's state
//! changes: it checks the actor's role and scope and the rules, and returns the new problem
//! together with the [`Event`] to append to the log. Nothing else writes a problem's state.
//!
//! The rules that matter most: a problem is closed only by an accepted verification, with
//! evidence, by a person of another unit than the one that rectified it (PRODUCT.md "verified
//! on site by someone else"; an inspector never verifies their own unit's work).

use crate::calendar::Calendar;
use crate::ids::{PersonId, RegionCode, SourceId, UnitCode};
use crate::org::Role;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The state of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Found, not yet dispatched.
    New,
    /// 派发: dispatched to a unit and person.
    Assigned,
    /// 整改中.
    Rectifying,
    /// 待核查: rectification submitted, waiting for verification.
    Submitted,
    /// 销号: verified and closed.
    Closed,
    /// Waiting on a permit or a season; the deadline clock stops.
    Suspended,
    /// 反弹: reopened after a failed re-inspection.
    Reopened,
    /// A duplicate of another problem.
    Duplicate,
    /// Cancelled with a reason.
    Cancelled,
}

impl State {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            State::New => "new",
            State::Assigned => "assigned",
            State::Rectifying => "rectifying",
            State::Submitted => "submitted",
            State::Closed => "closed",
            State::Suspended => "suspended",
            State::Reopened => "reopened",
            State::Duplicate => "duplicate",
            State::Cancelled => "cancelled",
        }
    }

    /// Chinese label.
    pub const fn name_zh(self) -> &'static str {
        match self {
            State::New => "待派发",
            State::Assigned => "已派发",
            State::Rectifying => "整改中",
            State::Submitted => "待核查",
            State::Closed => "已销号",
            State::Suspended => "已暂停",
            State::Reopened => "反弹",
            State::Duplicate => "重复",
            State::Cancelled => "已撤销",
        }
    }

    /// Whether the problem still needs work (counts as open and can be overdue).
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            State::New | State::Assigned | State::Rectifying | State::Submitted | State::Reopened
        )
    }
}

/// How the problem is to be rectified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Mode {
    /// 立行立改: fix at once, deadline in hours.
    Immediate {
        /// Hours allowed.
        hours: u32,
    },
    /// 限时整改 with a roadmap (路线图) of milestones.
    TimeBound {
        /// Working days allowed for the whole rectification.
        working_days: u32,
        /// Milestones, each with its own due date.
        milestones: Vec<Milestone>,
    },
}

/// A milestone of a time-bound rectification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    /// What is to be done.
    pub title: String,
    /// When.
    pub due: Timestamp,
    /// Done, and when.
    pub done_at: Option<Timestamp>,
}

/// Who found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// An inspection.
    Inspection,
    /// A sensor alert.
    Sensor,
    /// An audit (审计).
    Audit,
    /// A public report (群众举报).
    Public,
}

/// A problem in the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Ledger number.
    pub id: u64,
    /// The campaign (专项行动) it belongs to: its code (`air`, see `campaign::CampaignTemplate`).
    pub campaign: String,
    /// Category within the campaign: its code (`site_dust`, see `campaign::Category`); a
    /// Chinese name (工地扬尘) is also resolved by `CampaignTemplate::category`.
    pub category: String,
    /// 问题描述.
    pub description: String,
    /// How it was found.
    pub finding: Finding,
    /// When it was found.
    pub found_at: Timestamp,
    /// Where.
    pub grid: Option<RegionCode>,
    /// The source concerned.
    pub source: Option<SourceId>,
    /// 责任单位.
    pub unit: Option<UnitCode>,
    /// 责任人.
    pub assignee: Option<PersonId>,
    /// Rectification mode.
    pub mode: Mode,
    /// 整改时限 (before any suspension).
    pub deadline: Option<Timestamp>,
    /// State.
    pub state: State,
    /// The state to return to when a suspension ends.
    pub suspended_from: Option<State>,
    /// When the current suspension began.
    pub suspended_at: Option<Timestamp>,
    /// Seconds spent suspended so far (added to the deadline: the clock stops).
    pub suspended_secs: i64,
    /// Who submitted the last rectification.
    pub submitted_by: Option<PersonId>,
    /// The units of everyone who worked on the rectification (started it, completed a
    /// milestone, submitted it): none of them may verify it, whatever the problem's unit is
    /// (a grid worker of a street office, an assignee seconded from another unit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rectifier_units: Vec<UnitCode>,
    /// The accepted verification, once closed.
    pub verification: Option<Verification>,
    /// 销号时间.
    pub closed_at: Option<Timestamp>,
    /// Times it rebounded (反弹) after closing.
    pub rebounds: u32,
    /// Escalation reached.
    pub escalation: Escalation,
    /// Events applied so far (the log's sequence for this problem).
    pub seq: u64,
}

/// An accepted verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// 核查人.
    pub by: PersonId,
    /// Their unit.
    pub unit: UnitCode,
    /// When.
    pub at: Timestamp,
    /// Evidence (content hashes).
    pub evidence: Vec<String>,
}

/// The escalation ladder (提醒 → 督办 → 挂牌督办 → 问责).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// Not escalated.
    None,
    /// Warned before expiry (临期预警).
    Warned,
    /// 提醒: due.
    Reminded,
    /// 督办: overdue.
    Supervised,
    /// 挂牌督办.
    Listed,
    /// 问责.
    Accountability,
}

impl Escalation {
    /// Chinese label.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Escalation::None => "—",
            Escalation::Warned => "临期预警",
            Escalation::Reminded => "提醒",
            Escalation::Supervised => "督办",
            Escalation::Listed => "挂牌督办",
            Escalation::Accountability => "问责",
        }
    }
}

/// Someone acting on the ledger, with their scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// Who.
    pub person: PersonId,
    /// Their unit.
    pub unit: UnitCode,
    /// Their role.
    pub role: Role,
    /// The grids they are responsible for (grid chiefs and workers).
    pub grids: Vec<RegionCode>,
}

/// What an actor asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 派发 to a unit and person; sets the deadline from the mode if none is given.
    Assign {
        /// The responsible unit.
        unit: UnitCode,
        /// The responsible person.
        assignee: PersonId,
    },
    /// The assignee starts the rectification.
    Start,
    /// A milestone of a time-bound rectification is done.
    CompleteMilestone {
        /// Index in the roadmap.
        index: usize,
        /// Evidence.
        evidence: Vec<String>,
    },
    /// 提交整改: with evidence.
    Submit {
        /// Evidence (content hashes of photos and documents).
        evidence: Vec<String>,
        /// Note.
        note: String,
    },
    /// 核查通过 → 销号.
    Approve {
        /// Evidence of the on-site verification.
        evidence: Vec<String>,
    },
    /// 核查不通过: back to rectifying.
    Reject {
        /// Why.
        reason: String,
    },
    /// Stop the clock.
    Suspend {
        /// Why (permit, season …).
        reason: String,
    },
    /// Restart the clock.
    Resume,
    /// 反弹: a failed re-inspection reopens a closed problem.
    Reopen {
        /// What the re-inspection found.
        reason: String,
    },
    /// Mark as a duplicate of another problem.
    Duplicate {
        /// The original.
        of: u64,
    },
    /// Cancel.
    Cancel {
        /// Why.
        reason: String,
    },
    /// Advance the escalation ladder (by the scheduler).
    Escalate {
        /// The level reached.
        to: Escalation,
    },
}

impl Action {
    /// Stable code for the log.
    pub const fn code(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "assign",
            Action::Start => "start",
            Action::CompleteMilestone { .. } => "complete_milestone",
            Action::Submit { .. } => "submit",
            Action::Approve { .. } => "approve",
            Action::Reject { .. } => "reject",
            Action::Suspend { .. } => "suspend",
            Action::Resume => "resume",
            Action::Reopen { .. } => "reopen",
            Action::Duplicate { .. } => "duplicate",
            Action::Cancel { .. } => "cancel",
            Action::Escalate { .. } => "escalate",
        }
    }
}

/// The record of one transition, to be appended to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The problem.
    pub problem: u64,
    /// Its sequence number for this problem (1, 2, …).
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Who (the scheduler acts as `system`).
    pub actor: PersonId,
    /// The actor's role.
    pub role: Role,
    /// State before.
    pub from: State,
    /// State after.
    pub to: State,
    /// The action, in full.
    pub action: Action,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Not allowed from this state.
    #[error("cannot {action} a problem that is {state}")]
    WrongState {
        /// The action.
        action: &'static str,
        /// The state.
        state: &'static str,
    },
    /// The actor's role or scope does not allow it.
    #[error("{role} {person} may not {action} this problem: {why}")]
    Forbidden {
        /// The action.
        action: &'static str,
        /// The actor's role.
        role: &'static str,
        /// The actor.
        person: String,
        /// Why.
        why: &'static str,
    },
    /// A rule of the ledger (evidence required, a reason required …).
    #[error("{0}")]
    Rule(&'static str),
}

/// Deadline of a rectification started at `from` (Asia/Shanghai working days; a time-bound
/// deadline is the end of its last working day, 24:00).
pub fn deadline_for(mode: &Mode, from: Timestamp, cal: &Calendar) -> Timestamp {
    match mode {
        Mode::Immediate { hours } => from.plus_seconds(i64::from(*hours) * 3600),
        Mode::TimeBound { working_days, .. } => {
            let last = cal.add_working_days(from.local_date(), (*working_days).max(1));
            Timestamp(i64::from(last.succ().days()) * 86_400 - crate::time::SHANGHAI_OFFSET_S)
        }
    }
}

impl Problem {
    /// A new problem, found at `found_at`.
    pub fn new(
        id: u64,
        campaign: &str,
        category: &str,
        description: &str,
        finding: Finding,
        found_at: Timestamp,
        mode: Mode,
    ) -> Problem {
        Problem {
            id,
            campaign: campaign.to_owned(),
            category: category.to_owned(),
            description: description.to_owned(),
            finding,
            found_at,
            grid: None,
            source: None,
            unit: None,
            assignee: None,
            mode,
            deadline: None,
            state: State::New,
            suspended_from: None,
            suspended_at: None,
            suspended_secs: 0,
            submitted_by: None,
            rectifier_units: Vec::new(),
            verification: None,
            closed_at: None,
            rebounds: 0,
            escalation: Escalation::None,
            seq: 0,
        }
    }

    /// The deadline with suspensions added (the clock stops while suspended).
    pub fn effective_deadline(&self, now: Timestamp) -> Option<Timestamp> {
        let running = self.suspended_at.map_or(0, |s| (now.0 - s.0).max(0));
        self.deadline
            .map(|d| d.plus_seconds(self.suspended_secs + running))
    }

    /// Whether it is open and past its effective deadline.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.state.is_open() && self.effective_deadline(now).is_some_and(|d| now > d)
    }

    fn note_rectifier(&mut self, a: &Actor) {
        if !self.rectifier_units.contains(&a.unit) {
            self.rectifier_units.push(a.unit.clone());
        }
    }

    fn works_on_it(&self, a: &Actor) -> bool {
        self.assignee.as_ref() == Some(&a.person)
            || (matches!(a.role, Role::UnitHead | Role::UnitStaff)
                && self.unit.as_ref() == Some(&a.unit))
            || (matches!(a.role, Role::GridChief | Role::GridWorker)
                && self.grid.as_ref().is_some_and(|g| a.grids.contains(g)))
    }
}

fn forbid(action: &Action, a: &Actor, why: &'static str) -> TransitionError {
    TransitionError::Forbidden {
        action: action.code(),
        role: a.role.code(),
        person: a.person.to_string(),
        why,
    }
}

fn dispatcher(a: &Actor) -> bool {
    matches!(a.role, Role::Admin | Role::Dispatcher)
}

/// Apply `action` by `actor` at `now`. The only function that changes a problem's state.
pub fn transition(
    p: &Problem,
    actor: &Actor,
    action: Action,
    now: Timestamp,
    cal: &Calendar,
) -> Result<(Problem, Event), TransitionError> {
    use State::*;
    let wrong = || TransitionError::WrongState {
        action: action.code(),
        state: p.state.code(),
    };
    let mut n = p.clone();
    match &action {
        Action::Assign { unit, assignee } => {
            let reassign = p.state == Assigned
                && actor.role == Role::UnitHead
                && p.unit.as_ref() == Some(&actor.unit)
                && unit == &actor.unit;
            if !matches!(p.state, New | Reopened | Assigned) {
                return Err(wrong());
            }
            if !(dispatcher(actor) || reassign) {
                return Err(forbid(
                    &action,
                    actor,
                    "only the command or the dispatcher dispatches; a unit head reassigns within the unit",
                ));
            }
            n.unit = Some(unit.clone());
            n.assignee = Some(assignee.clone());
            if n.deadline.is_none() || p.state == Reopened {
                n.deadline = Some(deadline_for(&p.mode, now, cal));
                n.suspended_secs = 0;
            }
            n.state = Assigned;
        }
        Action::Start => {
            if p.state != Assigned {
                return Err(wrong());
            }
            if !p.works_on_it(actor) {
                return Err(forbid(
                    &action,
                    actor,
                    "not the responsible person, unit or grid",
                ));
            }
            n.note_rectifier(actor);
            n.state = Rectifying;
        }
        Action::CompleteMilestone { index, evidence } => {
            if p.state != Rectifying {
                return Err(wrong());
            }
            if !p.works_on_it(actor) {
                return Err(forbid(
                    &action,
                    actor,
                    "not the responsible person, unit or grid",
                ));
            }
            if evidence.is_empty() {
                return Err(TransitionError::Rule("a milestone needs evidence"));
            }
            let Mode::TimeBound { milestones, .. } = &mut n.mode else {
                return Err(TransitionError::Rule(
                    "an immediate (立行立改) rectification has no milestones",
                ));
            };
            let m = milestones
                .get_mut(*index)
                .ok_or(TransitionError::Rule("no such milestone"))?;
            if m.done_at.is_some() {
                return Err(TransitionError::Rule("that milestone is already done"));
            }
            m.done_at = Some(now);
            n.note_rectifier(actor);
        }
        Action::Submit { evidence, .. } => {
            if p.state != Rectifying {
                return Err(wrong());
            }
            if !p.works_on_it(actor) {
                return Err(forbid(
                    &action,
                    actor,
                    "not the responsible person, unit or grid",
                ));
            }
            if evidence.is_empty() {
                return Err(TransitionError::Rule(
                    "a rectification is submitted with evidence (photos, documents)",
                ));
            }
            if let Mode::TimeBound { milestones, .. } = &p.mode
                && milestones.iter().any(|m| m.done_at.is_none())
            {
                return Err(TransitionError::Rule(
                    "every milestone of the roadmap must be done first",
                ));
            }
            n.submitted_by = Some(actor.person.clone());
            n.note_rectifier(actor);
            n.state = Submitted;
        }
        Action::Approve { .. } | Action::Reject { .. } if p.state != Submitted => {
            return Err(wrong());
        }
        Action::Approve { evidence } => {
            verifier_check(p, actor, &action)?;
            if evidence.is_empty() {
                return Err(TransitionError::Rule(
                    "a verification is recorded with on-site evidence",
                ));
            }
            n.verification = Some(Verification {
                by: actor.person.clone(),
                unit: actor.unit.clone(),
                at: now,
                evidence: evidence.clone(),
            });
            n.closed_at = Some(now);
            n.state = Closed;
        }
        Action::Reject { reason } => {
            verifier_check(p, actor, &action)?;
            if reason.trim().is_empty() {
                return Err(TransitionError::Rule("a rejection gives its reason"));
            }
            n.state = Rectifying;
        }
        Action::Suspend { reason } => {
            if !matches!(p.state, Assigned | Rectifying) {
                return Err(wrong());
            }
            if !dispatcher(actor) {
                return Err(forbid(
                    &action,
                    actor,
                    "only the command or the dispatcher suspends",
                ));
            }
            if reason.trim().is_empty() {
                return Err(TransitionError::Rule("a suspension gives its reason"));
            }
            n.suspended_from = Some(p.state);
            n.suspended_at = Some(now);
            n.state = Suspended;
        }
        Action::Resume => {
            if p.state != Suspended {
                return Err(wrong());
            }
            if !dispatcher(actor) {
                return Err(forbid(
                    &action,
                    actor,
                    "only the command or the dispatcher resumes",
                ));
            }
            n.suspended_secs += p.suspended_at.map_or(0, |s| (now.0 - s.0).max(0));
            n.suspended_at = None;
            n.state = p.suspended_from.unwrap_or(Rectifying);
            n.suspended_from = None;
        }
        Action::Reopen { reason } => {
            if p.state != Closed {
                return Err(wrong());
            }
            let other_unit = p.unit.as_ref() != Some(&actor.unit);
            if !(dispatcher(actor) || (actor.role == Role::Inspector && other_unit)) {
                return Err(forbid(
                    &action,
                    actor,
                    "a re-inspection (回头看) is by an inspector of another unit or the dispatcher",
                ));
            }
            if reason.trim().is_empty() {
                return Err(TransitionError::Rule(
                    "a reopening gives what the re-inspection found",
                ));
            }
            n.rebounds += 1;
            n.verification = None;
            n.closed_at = None;
            n.escalation = Escalation::None;
            n.state = Reopened;
        }
        Action::Duplicate { of } => {
            if !matches!(p.state, New | Assigned) {
                return Err(wrong());
            }
            if !dispatcher(actor) {
                return Err(forbid(
                    &action,
                    actor,
                    "only the command or the dispatcher marks duplicates",
                ));
            }
            if *of == p.id {
                return Err(TransitionError::Rule("a problem cannot duplicate itself"));
            }
            n.state = Duplicate;
        }
        Action::Cancel { reason } => {
            if !matches!(p.state, New | Assigned | Rectifying | Suspended) {
                return Err(wrong());
            }
            if !dispatcher(actor) {
                return Err(forbid(
                    &action,
                    actor,
                    "only the command or the dispatcher cancels",
                ));
            }
            if reason.trim().is_empty() {
                return Err(TransitionError::Rule("a cancellation gives its reason"));
            }
            n.state = Cancelled;
        }
        Action::Escalate { to } => {
            if !p.state.is_open() || p.state == New {
                return Err(wrong());
            }
            if !dispatcher(actor) {
                return Err(forbid(
                    &action,
                    actor,
                    "escalation is by the scheduler or the dispatcher",
                ));
            }
            if *to <= p.escalation {
                return Err(TransitionError::Rule("escalation only moves up the ladder"));
            }
            n.escalation = *to;
        }
    }
    n.seq = p.seq + 1;
    let event = Event {
        problem: p.id,
        seq: n.seq,
        at: now,
        actor: actor.person.clone(),
        role: actor.role,
        from: p.state,
        to: n.state,
        action,
    };
    Ok((n, event))
}

fn verifier_check(p: &Problem, a: &Actor, action: &Action) -> Result<(), TransitionError> {
    if !matches!(a.role, Role::Inspector | Role::Dispatcher | Role::Admin) {
        return Err(forbid(
            action,
            a,
            "verification is by an inspector or the dispatcher",
        ));
    }
    if p.unit.as_ref() == Some(&a.unit) || p.rectifier_units.contains(&a.unit) {
        return Err(forbid(action, a, "never the unit that rectified"));
    }
    if p.submitted_by.as_ref() == Some(&a.person) || p.assignee.as_ref() == Some(&a.person) {
        return Err(forbid(action, a, "never the person who rectified"));
    }
    Ok(())
}

/// The escalation ladder's thresholds, in working days (Chinese public holidays excluded,
/// make-up working days included: [`Calendar`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationPolicy {
    /// Warn once this many working days or fewer remain after today (0: no warning).
    pub warn_before: u32,
    /// 督办 once this many whole working days have passed since the deadline (the first
    /// overdue day is 提醒).
    pub supervise_after: u32,
    /// 挂牌督办 once overdue by this many working days.
    pub list_after: u32,
    /// 问责 once overdue by this many working days.
    pub accountability_after: u32,
}

impl Default for EscalationPolicy {
    fn default() -> EscalationPolicy {
        EscalationPolicy {
            warn_before: 1,
            supervise_after: 1,
            list_after: 3,
            accountability_after: 5,
        }
    }
}

/// The escalation level a problem should have at `now` (by its effective deadline and the
/// working-day calendar); the scheduler applies it when it is above the current one.
pub fn escalation_due(
    p: &Problem,
    now: Timestamp,
    cal: &Calendar,
    pol: &EscalationPolicy,
) -> Escalation {
    if !p.state.is_open() || p.state == State::Suspended || p.state == State::New {
        return Escalation::None;
    }
    let Some(dl) = p.effective_deadline(now) else {
        return Escalation::None;
    };
    let due_day = dl.plus_seconds(-1).local_date();
    if now <= dl {
        // Working days left after today, up to the deadline's day.
        let left = cal.working_days_between(now.local_date(), due_day);
        return if pol.warn_before > 0 && left <= pol.warn_before {
            Escalation::Warned
        } else {
            Escalation::None
        };
    }
    // Whole working days elapsed since the deadline's day, before today: the first overdue
    // day is a reminder, each threshold counts full working days after it.
    let over = cal.working_days_between(due_day, now.local_date().add_days(-1));
    if over >= pol.accountability_after {
        Escalation::Accountability
    } else if over >= pol.list_after {
        Escalation::Listed
    } else if over >= pol.supervise_after {
        Escalation::Supervised
    } else {
        Escalation::Reminded
    }
}

/// A planned re-inspection (回头看).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedReinspection {
    /// On or after this date.
    pub due: lantian_aq::Date,
    /// At night (夜查).
    pub night: bool,
}

/// Re-inspections after a close: by default 7, 30 and 90 days later, the 30-day one at night
/// (problems that come back do so when no one looks). Each is moved to a working day.
pub fn reinspection_plan(
    closed_at: Timestamp,
    days: &[(u32, bool)],
    cal: &Calendar,
) -> Vec<PlannedReinspection> {
    days.iter()
        .map(|&(d, night)| {
            let mut due = closed_at.local_date().add_days(d as i32);
            while !cal.is_working_day(due) {
                due = due.succ();
            }
            PlannedReinspection { due, night }
        })
        .collect()
}

/// The default re-inspection offsets: (days after closing, at night).
pub const DEFAULT_REINSPECTIONS: [(u32, bool); 3] = [(7, false), (30, true), (90, false)];

//! Enforcement cases (执法, 强化执法震慑): filed (立案) → investigated (调查取证) → notice
//! (事先告知) → penalty decided (处罚决定) → executed (执行) → closed (结案), with the penalty
//! amount in fen, linked to problems and sources.
//!
//! [`file()`] opens a case and [`transition`] is the only function that moves it; each returns
//! the [`CaseEvent`] to append to the log. The path is linear — no step is skipped — and the
//! rules follow the Administrative Penalty Law (《中华人民共和国行政处罚法》, 2021):
//! - investigation by at least two enforcement officers (第四十二条 "执法人员不得少于两人");
//! - the decision is the agency head's, here the command (admin) (第五十七条 "行政机关负责人
//!   … 作出决定");
//! - the decided penalty may not exceed the amount in the prior notice (第四十五条 "不得因当事人
//!   陈述、申辩而给予更重的处罚");
//! - execution records the amount collected, which must be the amount decided.
//!
//! Dropping a case (不予处罚) and partial or instalment payment are not modelled yet.

use crate::hash::ContentHash;
use crate::ids::{PersonId, SourceId, UnitCode};
use crate::ledger::Actor;
use crate::org::Role;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in fen (分, 0.01 yuan): integers, so sums are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Fen(i64);

/// A refused amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("amount {value:?}: {why}")]
pub struct MoneyError {
    /// The refused text.
    pub value: String,
    /// Why.
    pub why: &'static str,
}

impl Fen {
    /// From fen; never negative.
    pub fn new(fen: i64) -> Result<Fen, MoneyError> {
        if fen < 0 {
            return Err(MoneyError {
                value: fen.to_string(),
                why: "an amount is not negative",
            });
        }
        Ok(Fen(fen))
    }

    /// Parse yuan as written on a decision (`50000`, `50000.5`, `50,000.00`); at most two
    /// decimals.
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        let t = s.trim().replace([',', '，'], "");
        let err = |why| MoneyError {
            value: s.trim().to_owned(),
            why,
        };
        let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("yuan as digits, with at most two decimals"));
        }
        if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("at most two decimals (fen)"));
        }
        let yuan: i64 = int.parse().map_err(|_| err("too large"))?;
        let f: i64 = format!("{frac:0<2}")
            .parse()
            .map_err(|_| err("bad decimals"))?;
        yuan.checked_mul(100)
            .and_then(|y| y.checked_add(f))
            .map(Fen)
            .ok_or_else(|| err("too large"))
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Fen {
    /// Yuan with two decimals: `50000.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl TryFrom<i64> for Fen {
    type Error = MoneyError;
    fn try_from(v: i64) -> Result<Fen, MoneyError> {
        Fen::new(v)
    }
}

impl From<Fen> for i64 {
    fn from(v: Fen) -> i64 {
        v.0
    }
}

/// The state of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// 立案.
    Filed,
    /// 调查取证 done.
    Investigated,
    /// 行政处罚事先告知 served.
    Noticed,
    /// 处罚决定 made.
    PenaltyDecided,
    /// 执行 done.
    Executed,
    /// 结案.
    Closed,
}

impl CaseState {
    /// All states, in order.
    pub const ALL: [CaseState; 6] = [
        CaseState::Filed,
        CaseState::Investigated,
        CaseState::Noticed,
        CaseState::PenaltyDecided,
        CaseState::Executed,
        CaseState::Closed,
    ];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            CaseState::Filed => "filed",
            CaseState::Investigated => "investigated",
            CaseState::Noticed => "noticed",
            CaseState::PenaltyDecided => "penalty_decided",
            CaseState::Executed => "executed",
            CaseState::Closed => "closed",
        }
    }

    /// Chinese label.
    pub const fn name_zh(self) -> &'static str {
        match self {
            CaseState::Filed => "已立案",
            CaseState::Investigated => "已调查取证",
            CaseState::Noticed => "已告知",
            CaseState::PenaltyDecided => "已作出处罚决定",
            CaseState::Executed => "已执行",
            CaseState::Closed => "已结案",
        }
    }

    /// English label.
    pub const fn name_en(self) -> &'static str {
        match self {
            CaseState::Filed => "Filed",
            CaseState::Investigated => "Investigated",
            CaseState::Noticed => "Notice served",
            CaseState::PenaltyDecided => "Penalty decided",
            CaseState::Executed => "Executed",
            CaseState::Closed => "Closed",
        }
    }

    /// The next state on the path, if any.
    pub fn next(self) -> Option<CaseState> {
        let i = CaseState::ALL.iter().position(|s| *s == self)?;
        CaseState::ALL.get(i + 1).copied()
    }
}

/// An enforcement case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnforcementCase {
    /// Case number.
    pub id: u64,
    /// 案由.
    pub title: String,
    /// 当事人 (the enterprise or person).
    pub party: String,
    /// Sources concerned.
    pub sources: Vec<SourceId>,
    /// Problems behind it.
    pub problems: Vec<u64>,
    /// 承办单位: the filing officer's unit.
    pub unit: UnitCode,
    /// State.
    pub state: CaseState,
    /// Who filed it.
    pub filed_by: PersonId,
    /// 立案时间.
    pub filed_at: Timestamp,
    /// 承办人: the officers who investigated (at least two).
    pub officers: Vec<PersonId>,
    /// What the investigation established.
    pub findings: Option<String>,
    /// 告知书文号.
    pub notice_no: Option<String>,
    /// The penalty proposed in the notice.
    pub proposed: Option<Fen>,
    /// 处罚决定书文号.
    pub decision_no: Option<String>,
    /// 罚款金额 decided.
    pub penalty: Option<Fen>,
    /// When decided.
    pub decided_at: Option<Timestamp>,
    /// Amount collected.
    pub collected: Option<Fen>,
    /// When executed.
    pub executed_at: Option<Timestamp>,
    /// 结案时间.
    pub closed_at: Option<Timestamp>,
    /// Closing summary.
    pub summary: Option<String>,
    /// Evidence (content hashes).
    pub evidence: Vec<ContentHash>,
    /// Events applied so far.
    pub seq: u64,
}

/// What a case is filed with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseDraft {
    /// Case number.
    pub id: u64,
    /// 案由.
    pub title: String,
    /// 当事人.
    pub party: String,
    /// Sources concerned.
    pub sources: Vec<SourceId>,
    /// Problems behind it.
    pub problems: Vec<u64>,
}

/// What an actor asks of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CaseAction {
    /// 调查取证 done, by at least two officers (the actor among them).
    Investigate {
        /// The officers.
        officers: Vec<PersonId>,
        /// What was established.
        findings: String,
        /// Evidence.
        evidence: Vec<ContentHash>,
    },
    /// 行政处罚事先告知 served.
    Notify {
        /// 告知书文号.
        notice_no: String,
        /// The penalty proposed.
        proposed: Fen,
    },
    /// 处罚决定.
    DecidePenalty {
        /// 处罚决定书文号.
        decision_no: String,
        /// The amount.
        amount: Fen,
    },
    /// 执行: the penalty paid or enforced.
    Execute {
        /// Amount collected.
        collected: Fen,
        /// Evidence (receipt).
        evidence: Vec<ContentHash>,
    },
    /// 结案.
    Close {
        /// Summary.
        summary: String,
    },
}

impl CaseAction {
    /// Stable code for the log.
    pub const fn code(&self) -> &'static str {
        match self {
            CaseAction::Investigate { .. } => "investigate",
            CaseAction::Notify { .. } => "notify",
            CaseAction::DecidePenalty { .. } => "decide_penalty",
            CaseAction::Execute { .. } => "execute",
            CaseAction::Close { .. } => "close",
        }
    }

    /// The state it leads to (and which it must come from: the one before).
    pub const fn target(&self) -> CaseState {
        match self {
            CaseAction::Investigate { .. } => CaseState::Investigated,
            CaseAction::Notify { .. } => CaseState::Noticed,
            CaseAction::DecidePenalty { .. } => CaseState::PenaltyDecided,
            CaseAction::Execute { .. } => CaseState::Executed,
            CaseAction::Close { .. } => CaseState::Closed,
        }
    }
}

/// The record of one step of a case, to be appended to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// The case.
    pub case: u64,
    /// Its sequence number for this case (1 = filing).
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: PersonId,
    /// Their role.
    pub role: Role,
    /// State before (`None` for the filing).
    pub from: Option<CaseState>,
    /// State after.
    pub to: CaseState,
    /// The action in full (`None` for the filing, whose content is the case itself).
    pub action: Option<CaseAction>,
}

/// Why a case step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// Not from this state.
    #[error("cannot {action} a case that is {state}")]
    WrongState {
        /// The action.
        action: &'static str,
        /// The state.
        state: &'static str,
    },
    /// Not this actor.
    #[error("{role} {person} may not {action} this case: {why}")]
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
    /// A rule of the procedure.
    #[error("{0}")]
    Rule(&'static str),
}

fn forbid(action: &'static str, a: &Actor, why: &'static str) -> CaseError {
    CaseError::Forbidden {
        action,
        role: a.role.code(),
        person: a.person.to_string(),
        why,
    }
}

/// 立案: open a case. By an enforcement officer, the dispatcher or the command; with a 案由, a
/// 当事人 and at least one linked problem or source.
pub fn file(
    d: CaseDraft,
    by: &Actor,
    now: Timestamp,
) -> Result<(EnforcementCase, CaseEvent), CaseError> {
    if !matches!(
        by.role,
        Role::EnforcementOfficer | Role::Dispatcher | Role::Admin
    ) {
        return Err(forbid(
            "file",
            by,
            "cases are filed by enforcement officers, the dispatcher or the command",
        ));
    }
    if d.title.trim().is_empty() || d.party.trim().is_empty() {
        return Err(CaseError::Rule("a case has a 案由 and a 当事人"));
    }
    if d.problems.is_empty() && d.sources.is_empty() {
        return Err(CaseError::Rule(
            "a case is linked to at least one problem or source",
        ));
    }
    let c = EnforcementCase {
        id: d.id,
        title: d.title.trim().to_owned(),
        party: d.party.trim().to_owned(),
        sources: d.sources,
        problems: d.problems,
        unit: by.unit.clone(),
        state: CaseState::Filed,
        filed_by: by.person.clone(),
        filed_at: now,
        officers: vec![],
        findings: None,
        notice_no: None,
        proposed: None,
        decision_no: None,
        penalty: None,
        decided_at: None,
        collected: None,
        executed_at: None,
        closed_at: None,
        summary: None,
        evidence: vec![],
        seq: 1,
    };
    let ev = CaseEvent {
        case: c.id,
        seq: 1,
        at: now,
        actor: by.person.clone(),
        role: by.role,
        from: None,
        to: CaseState::Filed,
        action: None,
    };
    Ok((c, ev))
}

/// Apply `action` by `actor` at `now`: the only function that moves a case. Each action leads
/// from the state just before its target to its target, so no step is ever skipped.
pub fn transition(
    c: &EnforcementCase,
    actor: &Actor,
    action: CaseAction,
    now: Timestamp,
) -> Result<(EnforcementCase, CaseEvent), CaseError> {
    let code = action.code();
    if c.state.next() != Some(action.target()) {
        return Err(CaseError::WrongState {
            action: code,
            state: c.state.code(),
        });
    }
    let officer = actor.role == Role::EnforcementOfficer;
    let on_case = officer && c.officers.contains(&actor.person);
    let mut n = c.clone();
    match &action {
        CaseAction::Investigate {
            officers,
            findings,
            evidence,
        } => {
            if !officer || !officers.contains(&actor.person) {
                return Err(forbid(
                    code,
                    actor,
                    "an enforcement officer who is one of the investigators",
                ));
            }
            let mut distinct = officers.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() < 2 {
                return Err(CaseError::Rule(
                    "an investigation is by at least two officers (行政处罚法 第四十二条)",
                ));
            }
            if findings.trim().is_empty() || evidence.is_empty() {
                return Err(CaseError::Rule(
                    "an investigation records its findings and evidence",
                ));
            }
            n.officers = distinct;
            n.findings = Some(findings.trim().to_owned());
            n.evidence.extend(evidence.iter().cloned());
        }
        CaseAction::Notify {
            notice_no,
            proposed,
        } => {
            if !on_case {
                return Err(forbid(code, actor, "one of the case's officers"));
            }
            if notice_no.trim().is_empty() {
                return Err(CaseError::Rule("a notice has its number (告知书文号)"));
            }
            n.notice_no = Some(notice_no.trim().to_owned());
            n.proposed = Some(*proposed);
        }
        CaseAction::DecidePenalty {
            decision_no,
            amount,
        } => {
            if actor.role != Role::Admin {
                return Err(forbid(
                    code,
                    actor,
                    "the decision is the agency head's (行政处罚法 第五十七条)",
                ));
            }
            if decision_no.trim().is_empty() {
                return Err(CaseError::Rule("a decision has its number (决定书文号)"));
            }
            if c.proposed.is_some_and(|p| *amount > p) {
                return Err(CaseError::Rule(
                    "the penalty may not exceed the amount in the notice (行政处罚法 第四十五条)",
                ));
            }
            n.decision_no = Some(decision_no.trim().to_owned());
            n.penalty = Some(*amount);
            n.decided_at = Some(now);
        }
        CaseAction::Execute {
            collected,
            evidence,
        } => {
            if !on_case {
                return Err(forbid(code, actor, "one of the case's officers"));
            }
            if Some(*collected) != c.penalty {
                return Err(CaseError::Rule(
                    "the amount collected is the amount decided",
                ));
            }
            if evidence.is_empty() {
                return Err(CaseError::Rule("execution is recorded with a receipt"));
            }
            n.collected = Some(*collected);
            n.executed_at = Some(now);
            n.evidence.extend(evidence.iter().cloned());
        }
        CaseAction::Close { summary } => {
            if !(on_case || actor.role == Role::Admin) {
                return Err(forbid(
                    code,
                    actor,
                    "one of the case's officers or the command",
                ));
            }
            if summary.trim().is_empty() {
                return Err(CaseError::Rule("a closed case has its summary"));
            }
            n.summary = Some(summary.trim().to_owned());
            n.closed_at = Some(now);
        }
    }
    n.state = action.target();
    n.seq = c.seq + 1;
    let ev = CaseEvent {
        case: c.id,
        seq: n.seq,
        at: now,
        actor: actor.person.clone(),
        role: actor.role,
        from: Some(c.state),
        to: n.state,
        action: Some(action),
    };
    Ok((n, ev))
}

//! Accountability records (问责, 严格督导问责): against a unit or a person, of a kind (约谈,
//! 通报批评, 诫勉谈话 …), with the reason, who decided and when, and the problems behind it.
//!
//! A record is built only through [`AccountabilityRecord::new`], which refuses one that links
//! no problem and gives no reason: accountability is traceable to what went wrong.

use crate::ids::{PersonId, UnitCode};
use crate::ledger::Actor;
use crate::org::Role;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The kind of accountability, mildest first (《中国共产党问责条例》 第八条 lists the forms for
/// units and for officials; the district's practice adds 约谈 and 书面检查).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountabilityKind {
    /// 约谈.
    Interview,
    /// 书面检查.
    WrittenSelfCriticism,
    /// 通报批评.
    PublicCriticism,
    /// 诫勉 (诫勉谈话).
    Admonishment,
    /// 组织调整或者组织处理.
    OrganisationalAction,
    /// 纪律处分 / 政务处分.
    Disciplinary,
}

impl AccountabilityKind {
    /// All kinds.
    pub const ALL: [AccountabilityKind; 6] = [
        AccountabilityKind::Interview,
        AccountabilityKind::WrittenSelfCriticism,
        AccountabilityKind::PublicCriticism,
        AccountabilityKind::Admonishment,
        AccountabilityKind::OrganisationalAction,
        AccountabilityKind::Disciplinary,
    ];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            AccountabilityKind::Interview => "interview",
            AccountabilityKind::WrittenSelfCriticism => "written_self_criticism",
            AccountabilityKind::PublicCriticism => "public_criticism",
            AccountabilityKind::Admonishment => "admonishment",
            AccountabilityKind::OrganisationalAction => "organisational_action",
            AccountabilityKind::Disciplinary => "disciplinary",
        }
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            AccountabilityKind::Interview => "约谈",
            AccountabilityKind::WrittenSelfCriticism => "书面检查",
            AccountabilityKind::PublicCriticism => "通报批评",
            AccountabilityKind::Admonishment => "诫勉谈话",
            AccountabilityKind::OrganisationalAction => "组织处理",
            AccountabilityKind::Disciplinary => "纪律处分",
        }
    }

    /// English name.
    pub const fn name_en(self) -> &'static str {
        match self {
            AccountabilityKind::Interview => "Interview",
            AccountabilityKind::WrittenSelfCriticism => "Written self-criticism",
            AccountabilityKind::PublicCriticism => "Public criticism",
            AccountabilityKind::Admonishment => "Admonishment",
            AccountabilityKind::OrganisationalAction => "Organisational action",
            AccountabilityKind::Disciplinary => "Disciplinary action",
        }
    }

    /// From the code or the Chinese name (诫勉 and 诫勉谈话 both).
    pub fn parse(s: &str) -> Option<AccountabilityKind> {
        let s = s.trim();
        AccountabilityKind::ALL
            .into_iter()
            .find(|k| k.code() == s || k.name_zh() == s)
            .or(match s {
                "诫勉" => Some(AccountabilityKind::Admonishment),
                "组织调整" => Some(AccountabilityKind::OrganisationalAction),
                "党纪处分" | "政务处分" => Some(AccountabilityKind::Disciplinary),
                _ => None,
            })
    }

    /// Whether it applies to a unit (a unit can be interviewed, criticised or asked for a
    /// written self-criticism, not admonished or disciplined — those are for people).
    pub const fn applies_to_units(self) -> bool {
        matches!(
            self,
            AccountabilityKind::Interview
                | AccountabilityKind::WrittenSelfCriticism
                | AccountabilityKind::PublicCriticism
        )
    }
}

/// Who is held to account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// A unit.
    Unit {
        /// The unit.
        unit: UnitCode,
    },
    /// A person, with their unit.
    Person {
        /// The person.
        person: PersonId,
        /// Their unit.
        unit: UnitCode,
    },
}

impl Subject {
    /// The unit concerned (the person's unit for a person).
    pub fn unit(&self) -> &UnitCode {
        match self {
            Subject::Unit { unit } | Subject::Person { unit, .. } => unit,
        }
    }
}

/// An accountability record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountabilityRecord {
    /// Record number.
    pub id: u64,
    /// Who.
    pub subject: Subject,
    /// What kind.
    pub kind: AccountabilityKind,
    /// 问责事由.
    pub reason: String,
    /// Who decided.
    pub decided_by: PersonId,
    /// When.
    pub decided_at: Timestamp,
    /// The problems behind it.
    pub problems: Vec<u64>,
}

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountabilityError {
    /// Neither problems nor reason.
    #[error("an accountability record links at least one problem or gives a reason")]
    Untraceable,
    /// A kind for people only, against a unit.
    #[error("{} applies to people, not to a unit", kind.name_zh())]
    NotForUnits {
        /// The kind.
        kind: AccountabilityKind,
    },
    /// Not decided by the command or a leader.
    #[error("accountability is decided by the command or a leader, not by {}", role.code())]
    Forbidden {
        /// The decider's role.
        role: Role,
    },
    /// The same problem twice.
    #[error("problem {0} is linked twice")]
    DuplicateProblem(u64),
}

/// What a record is made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountabilityDraft {
    /// Record number.
    pub id: u64,
    /// Who.
    pub subject: Subject,
    /// What kind.
    pub kind: AccountabilityKind,
    /// 问责事由.
    pub reason: String,
    /// The problems behind it.
    pub problems: Vec<u64>,
}

impl AccountabilityRecord {
    /// A checked record: it links ≥ 1 problem or gives a reason; the kind fits the subject; it
    /// is decided by the command (admin) or a leader.
    pub fn new(
        d: AccountabilityDraft,
        by: &Actor,
        at: Timestamp,
    ) -> Result<AccountabilityRecord, AccountabilityError> {
        if d.problems.is_empty() && d.reason.trim().is_empty() {
            return Err(AccountabilityError::Untraceable);
        }
        if matches!(d.subject, Subject::Unit { .. }) && !d.kind.applies_to_units() {
            return Err(AccountabilityError::NotForUnits { kind: d.kind });
        }
        if !matches!(by.role, Role::Admin | Role::Leader) {
            return Err(AccountabilityError::Forbidden { role: by.role });
        }
        for (i, p) in d.problems.iter().enumerate() {
            if d.problems[..i].contains(p) {
                return Err(AccountabilityError::DuplicateProblem(*p));
            }
        }
        Ok(AccountabilityRecord {
            id: d.id,
            subject: d.subject,
            kind: d.kind,
            reason: d.reason.trim().to_owned(),
            decided_by: by.person.clone(),
            decided_at: at,
            problems: d.problems,
        })
    }
}

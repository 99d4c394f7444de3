//! Responsible units (责任单位), people and their roles (PRODUCT.md "Users and roles").

use crate::ids::{PersonId, RegionCode, UnitCode};
use serde::{Deserialize, Serialize};

/// The kind of a responsible unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A department or center (生态环境中心, 城管中心, 科工中心, 农业农村中心, 城改中心, 应急中心 …).
    Department,
    /// A town or sub-district government (镇/街道).
    Town,
    /// The command (指挥部).
    Command,
}

impl UnitKind {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            UnitKind::Department => "department",
            UnitKind::Town => "town",
            UnitKind::Command => "command",
        }
    }

    /// From [`UnitKind::code`].
    pub fn parse(s: &str) -> Option<UnitKind> {
        [UnitKind::Department, UnitKind::Town, UnitKind::Command]
            .into_iter()
            .find(|k| k.code() == s)
    }
}

/// A responsible unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Code.
    pub code: UnitCode,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: UnitKind,
    /// For a town's government: its region.
    pub region: Option<RegionCode>,
}

/// A role (PRODUCT.md): what a person may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 指挥部 / admin.
    Admin,
    /// 生态环境中心 analyst-dispatcher.
    Dispatcher,
    /// 一把手, the head of a unit.
    UnitHead,
    /// Unit staff.
    UnitStaff,
    /// 网格长.
    GridChief,
    /// 网格员.
    GridWorker,
    /// 督查 inspector.
    Inspector,
    /// 执法 enforcement officer.
    EnforcementOfficer,
    /// Leader / viewer (read-only).
    Leader,
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Dispatcher,
        Role::UnitHead,
        Role::UnitStaff,
        Role::GridChief,
        Role::GridWorker,
        Role::Inspector,
        Role::EnforcementOfficer,
        Role::Leader,
    ];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dispatcher => "dispatcher",
            Role::UnitHead => "unit_head",
            Role::UnitStaff => "unit_staff",
            Role::GridChief => "grid_chief",
            Role::GridWorker => "grid_worker",
            Role::Inspector => "inspector",
            Role::EnforcementOfficer => "enforcement_officer",
            Role::Leader => "leader",
        }
    }

    /// From [`Role::code`].
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Role::Admin => "指挥部管理员",
            Role::Dispatcher => "生态环境中心调度员",
            Role::UnitHead => "单位负责人",
            Role::UnitStaff => "单位工作人员",
            Role::GridChief => "网格长",
            Role::GridWorker => "网格员",
            Role::Inspector => "督查员",
            Role::EnforcementOfficer => "执法人员",
            Role::Leader => "领导（只读）",
        }
    }
}

/// A person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Identifier.
    pub id: PersonId,
    /// Name.
    pub name: String,
    /// The unit they belong to.
    pub unit: UnitCode,
    /// Their role.
    pub role: Role,
    /// Phone, for notifications.
    pub phone: Option<String>,
}

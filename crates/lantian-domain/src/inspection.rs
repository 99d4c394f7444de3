//! Inspections (检查): plans and records, in five modes — routine (日常), resident (驻厂/驻场),
//! night (夜查), unannounced (四不两直, target list sealed until dispatch) and re-inspection
//! (回头看, linked to a problem).
//!
//! A record says who (inspectors), when and where (GPS check-in, compared with the target's
//! location or grid), what was checked (checklist results) and what was found; each finding
//! becomes a new [`Problem`] through the ledger's constructor. The rules:
//!
//! - **Independence.** An inspector never inspects or verifies their own unit's work: no member
//!   of a team may belong to the unit responsible for the target (or, for a re-inspection, for
//!   the problem). Enforced when a plan is made, when it is dispatched and when a record is
//!   checked.
//! - **Night.** A record counts as a night inspection only if its check-in is inside the night
//!   window in Asia/Shanghai local time ([`NightWindow`]); a record in mode night that checks in
//!   by day is refused, so night-inspection figures cannot be padded.
//! - **Sealed lists.** For 四不两直 ("不发通知、不打招呼、不听汇报、不用陪同接待，直奔基层、直插
//!   现场") the targets must not leak before the team sets off: only the SHA-256 of a canonical
//!   encoding of the list and a 32-byte nonce is visible until dispatch; dispatch reveals the
//!   list and it must match the hash. The nonce stops anyone who can see the hash from confirming
//!   a guessed list (the district has only a few hundred candidate enterprises).
//! - **Check-in distance.** Flagged, not refused: GPS fails indoors and registry coordinates
//!   are approximate, so a far check-in is shown to the reviewer rather than blocking the record.
//! - **Re-inspection.** A failed 回头看 reopens the problem through `ledger::transition`
//!   (`Action::Reopen`, 反弹); nothing else writes its state.

use crate::calendar::Calendar;
use crate::campaign::CampaignTemplate;
use crate::geo::{Area, Point};
use crate::hash::{ContentHash, hex};
use crate::ids::{PersonId, RegionCode, SourceId, UnitCode};
use crate::ledger::{self, Action, Actor, Event, Finding, Mode, Problem, TransitionError};
use crate::org::Role;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How an inspection is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionMode {
    /// 日常检查.
    Routine,
    /// 驻厂（场）监管: an inspector stationed at a site or plant.
    Resident,
    /// 夜查: must check in inside the night window.
    Night,
    /// 四不两直 暗访: the target list is sealed until dispatch.
    Unannounced,
    /// 回头看: re-inspection of a closed problem.
    Reinspection,
}

impl InspectionMode {
    /// All modes.
    pub const ALL: [InspectionMode; 5] = [
        InspectionMode::Routine,
        InspectionMode::Resident,
        InspectionMode::Night,
        InspectionMode::Unannounced,
        InspectionMode::Reinspection,
    ];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            InspectionMode::Routine => "routine",
            InspectionMode::Resident => "resident",
            InspectionMode::Night => "night",
            InspectionMode::Unannounced => "unannounced",
            InspectionMode::Reinspection => "reinspection",
        }
    }

    /// From [`InspectionMode::code`].
    pub fn parse(s: &str) -> Option<InspectionMode> {
        InspectionMode::ALL.into_iter().find(|m| m.code() == s)
    }

    /// Chinese label.
    pub const fn name_zh(self) -> &'static str {
        match self {
            InspectionMode::Routine => "日常检查",
            InspectionMode::Resident => "驻厂（场）监管",
            InspectionMode::Night => "夜查",
            InspectionMode::Unannounced => "四不两直暗访",
            InspectionMode::Reinspection => "回头看",
        }
    }

    /// English label.
    pub const fn name_en(self) -> &'static str {
        match self {
            InspectionMode::Routine => "Routine",
            InspectionMode::Resident => "Resident",
            InspectionMode::Night => "Night",
            InspectionMode::Unannounced => "Unannounced",
            InspectionMode::Reinspection => "Re-inspection",
        }
    }
}

/// The night window, in Asia/Shanghai local time (seconds since midnight; it may wrap midnight).
///
/// Default 22:00–06:00: the only statutory definition of "night" in Chinese environmental law,
/// 《中华人民共和国噪声污染防治法》(2022) 第八十八条: "夜间，是指晚上十点至次日早晨六点之间的期间"
/// — the hours when sites are forbidden to work without a permit, so the hours a 夜查 exists to
/// cover. A district that defines 夜查 otherwise (e.g. from 20:00) builds its own with
/// [`NightWindow::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightWindow {
    /// Start, seconds after local midnight (inclusive).
    pub start: u32,
    /// End, seconds after local midnight (exclusive).
    pub end: u32,
}

impl Default for NightWindow {
    fn default() -> NightWindow {
        NightWindow::STATUTORY
    }
}

impl NightWindow {
    /// 22:00–06:00 (噪声污染防治法 第八十八条).
    pub const STATUTORY: NightWindow = NightWindow {
        start: 22 * 3600,
        end: 6 * 3600,
    };

    /// From local `HH:MM` start and end; `None` if either is not a time of day or they are equal.
    pub fn new(start: (u32, u32), end: (u32, u32)) -> Option<NightWindow> {
        let s = |(h, m): (u32, u32)| (h < 24 && m < 60).then_some(h * 3600 + m * 60);
        let w = NightWindow {
            start: s(start)?,
            end: s(end)?,
        };
        (w.start != w.end).then_some(w)
    }

    /// Whether `t` is at night in Asia/Shanghai.
    pub fn contains(&self, t: Timestamp) -> bool {
        let s = t.local_seconds_of_day();
        if self.start < self.end {
            (self.start..self.end).contains(&s)
        } else {
            s >= self.start || s < self.end
        }
    }
}

/// What an inspection looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A registered source (site, road, enterprise …): `code` is its `SourceId`.
    Source,
    /// A grid: `code` is its `RegionCode`.
    Grid,
    /// A unit's work: `code` is its `UnitCode`.
    Unit,
    /// Anything else (a place named in a report).
    Place,
}

impl TargetKind {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            TargetKind::Source => "source",
            TargetKind::Grid => "grid",
            TargetKind::Unit => "unit",
            TargetKind::Place => "place",
        }
    }
}

/// A target of an inspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// What kind of thing.
    pub kind: TargetKind,
    /// Its code (source id, grid code, unit code, or a free label).
    pub code: String,
    /// Its name (卓立膜材料).
    pub name: String,
    /// Where it is, when known.
    pub location: Option<Point>,
    /// The grid it is in.
    pub grid: Option<RegionCode>,
    /// The unit responsible for it: the unit whose work is inspected.
    pub unit: Option<UnitCode>,
}

/// A member of an inspection team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspector {
    /// Who.
    pub person: PersonId,
    /// Their unit.
    pub unit: UnitCode,
    /// Their role.
    pub role: Role,
}

impl From<&Actor> for Inspector {
    fn from(a: &Actor) -> Inspector {
        Inspector {
            person: a.person.clone(),
            unit: a.unit.clone(),
            role: a.role,
        }
    }
}

/// Roles that may be on an inspection team: not the inspected (unit heads and staff).
/// Leaders are included because they lead 四不两直 visits themselves (the seed page).
fn may_inspect(r: Role) -> bool {
    !matches!(r, Role::UnitHead | Role::UnitStaff)
}

/// The nonce that salts a sealed list: 32 bytes from a CSPRNG (the caller's; this crate has
/// no randomness). Serialised as 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nonce([u8; 32]);

impl Nonce {
    /// From 32 random bytes.
    pub fn from_bytes(b: [u8; 32]) -> Nonce {
        Nonce(b)
    }

    /// From 64 hexadecimal digits.
    pub fn parse(s: &str) -> Result<Nonce, InspectionError> {
        let s = s.trim();
        let bad = || InspectionError::BadNonce(s.to_owned());
        if s.len() != 64 || !s.is_ascii() {
            return Err(bad());
        }
        let mut b = [0u8; 32];
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Nonce(b))
    }
}

impl TryFrom<String> for Nonce {
    type Error = InspectionError;
    fn try_from(s: String) -> Result<Nonce, InspectionError> {
        Nonce::parse(&s)
    }
}

impl From<Nonce> for String {
    fn from(n: Nonce) -> String {
        hex(&n.0)
    }
}

/// A sealed target list with its nonce: kept out of sight (not served, not logged) until
/// dispatch. Only [`SealedList::hash`] is visible before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedList {
    /// The targets, in visiting order.
    pub targets: Vec<Target>,
    /// The salt.
    pub nonce: Nonce,
}

impl SealedList {
    /// The canonical encoding: a domain tag, the nonce, the number of targets, then per target
    /// its kind, code, name, location (`lon,lat` at 7 decimals, about 1 cm, so a round trip
    /// through any store gives the same bytes), grid and unit — each field length-prefixed
    /// (u32 big-endian), so no two lists encode alike.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = b"lantian/sealed-targets/v1\0".to_vec();
        out.extend_from_slice(&self.nonce.0);
        out.extend_from_slice(&(self.targets.len() as u32).to_be_bytes());
        let mut field = |s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        for t in &self.targets {
            field(t.kind.code());
            field(&t.code);
            field(&t.name);
            field(
                &t.location
                    .map(|p| format!("{:.7},{:.7}", p.lon, p.lat))
                    .unwrap_or_default(),
            );
            field(t.grid.as_ref().map_or("", |g| g.as_str()));
            field(t.unit.as_ref().map_or("", |u| u.as_str()));
        }
        out
    }

    /// SHA-256 of [`SealedList::canonical_bytes`]: the seal.
    pub fn hash(&self) -> ContentHash {
        ContentHash::of(&self.canonical_bytes())
    }
}

/// Seal `targets` with `nonce`: the hash to publish and the list to keep hidden.
pub fn seal(
    targets: Vec<Target>,
    nonce: Nonce,
) -> Result<(ContentHash, SealedList), InspectionError> {
    if targets.is_empty() {
        return Err(InspectionError::NoTargets);
    }
    let list = SealedList { targets, nonce };
    Ok((list.hash(), list))
}

/// Reveal a sealed list: its hash must be the seal.
pub fn reveal(seal: &ContentHash, list: &SealedList) -> Result<(), InspectionError> {
    let found = list.hash();
    if &found == seal {
        Ok(())
    } else {
        Err(InspectionError::SealMismatch {
            expected: seal.clone(),
            found,
        })
    }
}

/// The targets of a plan: open, or sealed until dispatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanTargets {
    /// Visible to all.
    Open {
        /// The targets.
        targets: Vec<Target>,
    },
    /// 四不两直: only the hash until dispatch.
    Sealed {
        /// The seal.
        hash: ContentHash,
        /// The list, once revealed at dispatch.
        revealed: Option<Vec<Target>>,
    },
}

/// An inspection plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionPlan {
    /// Plan number.
    pub id: u64,
    /// Campaign code.
    pub campaign: String,
    /// Mode.
    pub mode: InspectionMode,
    /// Title.
    pub title: String,
    /// When the team is to go.
    pub planned_for: Timestamp,
    /// The team.
    pub team: Vec<Inspector>,
    /// The targets.
    pub targets: PlanTargets,
    /// For a re-inspection: the problem.
    pub problem: Option<u64>,
    /// Who made it.
    pub created_by: PersonId,
    /// When.
    pub created_at: Timestamp,
    /// When dispatched (the team set off; a sealed list is revealed).
    pub dispatched_at: Option<Timestamp>,
}

/// What a plan is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanDraft {
    /// Plan number.
    pub id: u64,
    /// Campaign code.
    pub campaign: String,
    /// Mode.
    pub mode: InspectionMode,
    /// Title.
    pub title: String,
    /// When the team is to go.
    pub planned_for: Timestamp,
    /// The team.
    pub team: Vec<Inspector>,
    /// The targets.
    pub targets: Vec<Target>,
    /// For a re-inspection: the problem.
    pub problem: Option<u64>,
}

impl InspectionPlan {
    /// Make a plan. An unannounced plan needs a `nonce` and is returned sealed, with the
    /// [`SealedList`] to keep hidden until dispatch; other modes are open and take no nonce.
    pub fn new(
        d: PlanDraft,
        by: &Actor,
        nonce: Option<Nonce>,
        now: Timestamp,
    ) -> Result<(InspectionPlan, Option<SealedList>), InspectionError> {
        if !matches!(by.role, Role::Admin | Role::Dispatcher) {
            return Err(InspectionError::Forbidden(
                "only the command or the dispatcher makes inspection plans",
            ));
        }
        check_team(&d.team, &d.targets)?;
        if d.targets.is_empty() {
            return Err(InspectionError::NoTargets);
        }
        if (d.mode == InspectionMode::Reinspection) != d.problem.is_some() {
            return Err(InspectionError::Rule(
                "a re-inspection (回头看) plan names its problem, and only it does",
            ));
        }
        let (targets, sealed) = match (d.mode, nonce) {
            (InspectionMode::Unannounced, Some(n)) => {
                let (hash, list) = seal(d.targets, n)?;
                (
                    PlanTargets::Sealed {
                        hash,
                        revealed: None,
                    },
                    Some(list),
                )
            }
            (InspectionMode::Unannounced, None) => {
                return Err(InspectionError::Rule(
                    "an unannounced (四不两直) plan is sealed: give a nonce",
                ));
            }
            (_, Some(_)) => {
                return Err(InspectionError::Rule(
                    "only unannounced (四不两直) plans are sealed",
                ));
            }
            (_, None) => (PlanTargets::Open { targets: d.targets }, None),
        };
        Ok((
            InspectionPlan {
                id: d.id,
                campaign: d.campaign,
                mode: d.mode,
                title: d.title,
                planned_for: d.planned_for,
                team: d.team,
                targets,
                problem: d.problem,
                created_by: by.person.clone(),
                created_at: now,
                dispatched_at: None,
            },
            sealed,
        ))
    }

    /// The targets anyone may see: `None` while the list is sealed.
    pub fn visible_targets(&self) -> Option<&[Target]> {
        match &self.targets {
            PlanTargets::Open { targets } => Some(targets),
            PlanTargets::Sealed { revealed, .. } => revealed.as_deref(),
        }
    }

    /// The seal, for a sealed plan.
    pub fn seal(&self) -> Option<&ContentHash> {
        match &self.targets {
            PlanTargets::Sealed { hash, .. } => Some(hash),
            PlanTargets::Open { .. } => None,
        }
    }

    /// Dispatch: the team sets off. A sealed plan takes its list, which must match the seal,
    /// and reveals it; the team is checked against the revealed targets.
    pub fn dispatch(
        &self,
        by: &Actor,
        list: Option<&SealedList>,
        now: Timestamp,
    ) -> Result<InspectionPlan, InspectionError> {
        if !matches!(by.role, Role::Admin | Role::Dispatcher) {
            return Err(InspectionError::Forbidden(
                "only the command or the dispatcher dispatches",
            ));
        }
        if self.dispatched_at.is_some() {
            return Err(InspectionError::Rule("the plan is already dispatched"));
        }
        let mut n = self.clone();
        match (&self.targets, list) {
            (PlanTargets::Sealed { hash, .. }, Some(l)) => {
                reveal(hash, l)?;
                check_team(&self.team, &l.targets)?;
                n.targets = PlanTargets::Sealed {
                    hash: hash.clone(),
                    revealed: Some(l.targets.clone()),
                };
            }
            (PlanTargets::Sealed { .. }, None) => {
                return Err(InspectionError::Rule(
                    "a sealed plan is dispatched with its list",
                ));
            }
            (PlanTargets::Open { .. }, Some(_)) => {
                return Err(InspectionError::Rule("an open plan has no sealed list"));
            }
            (PlanTargets::Open { .. }, None) => {}
        }
        n.dispatched_at = Some(now);
        Ok(n)
    }
}

impl InspectionPlan {
    /// Whether `r` carries out this plan: the plan is dispatched, the record names it, has its
    /// campaign and mode, visits one of its (revealed) targets, is by members of its team only,
    /// and checks in no earlier than the dispatch — an unannounced visit recorded before its
    /// list was revealed would mean the list leaked or the record was back-filled.
    pub fn check_record(&self, r: &InspectionRecord) -> Result<(), InspectionError> {
        let Some(sent) = self.dispatched_at else {
            return Err(InspectionError::Rule("the plan has not been dispatched"));
        };
        if r.plan != Some(self.id) || r.campaign != self.campaign || r.mode != self.mode {
            return Err(InspectionError::Rule(
                "the record does not carry out this plan (plan, campaign or mode differ)",
            ));
        }
        let targets = self.visible_targets().unwrap_or(&[]);
        if !targets
            .iter()
            .any(|t| t.kind == r.target.kind && t.code == r.target.code)
        {
            return Err(InspectionError::Rule("the target is not in the plan"));
        }
        if !r.inspectors.iter().all(|m| self.team.contains(m)) {
            return Err(InspectionError::Rule(
                "an inspector is not on the plan's team",
            ));
        }
        if r.check_in.at < sent {
            return Err(InspectionError::Rule(
                "the check-in is earlier than the plan's dispatch",
            ));
        }
        Ok(())
    }
}

fn check_team(team: &[Inspector], targets: &[Target]) -> Result<(), InspectionError> {
    if team.is_empty() {
        return Err(InspectionError::NoInspectors);
    }
    for (i, m) in team.iter().enumerate() {
        if team[..i].iter().any(|o| o.person == m.person) {
            return Err(InspectionError::Rule("an inspector is listed twice"));
        }
        if !may_inspect(m.role) {
            return Err(InspectionError::RoleNotAllowed {
                person: m.person.clone(),
                role: m.role,
            });
        }
        if let Some(t) = targets.iter().find(|t| t.unit.as_ref() == Some(&m.unit)) {
            return Err(InspectionError::OwnUnit {
                person: m.person.clone(),
                unit: m.unit.clone(),
                target: t.name.clone(),
            });
        }
    }
    Ok(())
}

/// A GPS check-in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CheckIn {
    /// When.
    pub at: Timestamp,
    /// Where.
    pub position: Point,
}

/// The outcome of a checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 合格.
    Pass,
    /// 不合格.
    Fail,
    /// 不适用.
    NotApplicable,
}

impl Outcome {
    /// Chinese label.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Outcome::Pass => "合格",
            Outcome::Fail => "不合格",
            Outcome::NotApplicable => "不适用",
        }
    }
}

/// One checklist item's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistResult {
    /// The item's code in the campaign's checklists.
    pub item: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Note.
    pub note: String,
}

/// Something found: becomes a problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingDraft {
    /// Category code in the record's campaign.
    pub category: String,
    /// 问题描述.
    pub description: String,
    /// Evidence (photos) — at least one.
    pub evidence: Vec<ContentHash>,
    /// Rectification mode, when it differs from the category's default.
    pub mode: Option<Mode>,
}

/// What a re-inspection found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReinspectionOutcome {
    /// The rectification held.
    Held,
    /// 反弹: the problem is back.
    Rebounded {
        /// What was found.
        reason: String,
    },
}

/// The re-inspection part of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reinspection {
    /// The problem re-inspected.
    pub problem: u64,
    /// What was found.
    pub outcome: ReinspectionOutcome,
}

/// An inspection record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionRecord {
    /// Record number.
    pub id: u64,
    /// The plan it carries out, if any.
    pub plan: Option<u64>,
    /// Campaign code.
    pub campaign: String,
    /// Mode.
    pub mode: InspectionMode,
    /// Who.
    pub inspectors: Vec<Inspector>,
    /// What.
    pub target: Target,
    /// When and where.
    pub check_in: CheckIn,
    /// What was checked.
    pub results: Vec<ChecklistResult>,
    /// What was found.
    pub findings: Vec<FindingDraft>,
    /// Evidence of the visit (photos, documents).
    pub evidence: Vec<ContentHash>,
    /// For a re-inspection.
    pub reinspection: Option<Reinspection>,
}

/// How check-ins are judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CheckInPolicy {
    /// The night window.
    pub night: NightWindow,
    /// How far from the target's registered point a check-in may be, in metres.
    pub tolerance_m: f64,
}

impl Default for CheckInPolicy {
    /// 22:00–06:00 and 500 m: a registry point is a plant's or site's gate or centre, and an
    /// enterprise or construction site commonly spans a few hundred metres; phone GPS adds
    /// 5–50 m. Tighter settings flag honest check-ins at the far end of a large site.
    fn default() -> CheckInPolicy {
        CheckInPolicy {
            night: NightWindow::STATUTORY,
            tolerance_m: 500.0,
        }
    }
}

/// How a check-in's position was judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Placement {
    /// Against the target's registered point.
    Point {
        /// Distance, metres.
        distance_m: f64,
    },
    /// Against the target's grid polygon (0 inside).
    Grid {
        /// Distance outside the grid, metres.
        distance_m: f64,
    },
    /// Nothing to compare with.
    Unknown,
}

/// What [`InspectionRecord::check`] found, beyond the refusals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecordCheck {
    /// The check-in was at night.
    pub night: bool,
    /// How the position compares.
    pub placement: Placement,
    /// Flag: too far from the target (or nothing to compare with).
    pub too_far: bool,
}

/// Distance in metres from `p` to the nearest edge of `area`, 0 inside. Planar on a local
/// equirectangular projection: exact enough within a district (a few km).
pub fn distance_to_area_m(p: Point, area: &Area) -> f64 {
    if area.contains(p) {
        return 0.0;
    }
    const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;
    let kx = M_PER_DEG * p.lat.to_radians().cos();
    let xy = |q: Point| ((q.lon - p.lon) * kx, (q.lat - p.lat) * M_PER_DEG);
    let mut best = f64::INFINITY;
    for poly in &area.0 {
        for ring in poly.rings() {
            for w in ring.windows(2) {
                let (a, b) = (xy(w[0]), xy(w[1]));
                let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                let len2 = dx * dx + dy * dy;
                let t = if len2 > 0.0 {
                    (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (x, y) = (a.0 + t * dx, a.1 + t * dy);
                best = best.min((x * x + y * y).sqrt());
            }
        }
    }
    best
}

impl InspectionRecord {
    /// Whether it counts as a night inspection: its check-in is inside `w`, whatever its mode.
    pub fn is_night(&self, w: &NightWindow) -> bool {
        w.contains(self.check_in.at)
    }

    /// Check the record against its campaign and the check-in policy. Refuses: no inspectors,
    /// an inspector of the target's own unit, a role that may not inspect, a night record that
    /// checked in by day, re-inspection details on the wrong mode, a checklist item or finding
    /// category the campaign does not have, a finding without evidence. Flags (returns): the
    /// check-in's distance from the target's point (or its `grid` area when it has no point).
    pub fn check(
        &self,
        campaign: &CampaignTemplate,
        policy: &CheckInPolicy,
        grid: Option<&Area>,
    ) -> Result<RecordCheck, InspectionError> {
        check_team(&self.inspectors, std::slice::from_ref(&self.target))?;
        self.target_source()?;
        if campaign.code != self.campaign {
            return Err(InspectionError::Rule(
                "the record's campaign is not the campaign given",
            ));
        }
        let night = policy.night.contains(self.check_in.at);
        if self.mode == InspectionMode::Night && !night {
            return Err(InspectionError::NotNight {
                at: self.check_in.at,
            });
        }
        if (self.mode == InspectionMode::Reinspection) != self.reinspection.is_some() {
            return Err(InspectionError::Rule(
                "a re-inspection (回头看) record names its problem and outcome, and only it does",
            ));
        }
        if let Some(Reinspection {
            outcome: ReinspectionOutcome::Rebounded { reason },
            ..
        }) = &self.reinspection
            && reason.trim().is_empty()
        {
            return Err(InspectionError::Rule("a rebound says what was found"));
        }
        for r in &self.results {
            if !campaign
                .categories
                .iter()
                .any(|c| c.checklist.iter().any(|i| i.code == r.item))
            {
                return Err(InspectionError::UnknownChecklistItem {
                    campaign: campaign.code.clone(),
                    item: r.item.clone(),
                });
            }
        }
        for (i, f) in self.findings.iter().enumerate() {
            if campaign.category(&f.category).is_none() {
                return Err(InspectionError::UnknownCategory {
                    campaign: campaign.code.clone(),
                    category: f.category.clone(),
                });
            }
            if f.evidence.is_empty() {
                return Err(InspectionError::FindingWithoutEvidence { index: i });
            }
            if f.description.trim().is_empty() {
                return Err(InspectionError::Rule("a finding has a description"));
            }
        }
        let pos = self.check_in.position;
        let placement = match (self.target.location, grid) {
            (Some(p), _) => Placement::Point {
                distance_m: pos.distance_m(p),
            },
            (None, Some(a)) => Placement::Grid {
                distance_m: distance_to_area_m(pos, a),
            },
            (None, None) => Placement::Unknown,
        };
        let too_far = match placement {
            Placement::Point { distance_m } | Placement::Grid { distance_m } => {
                distance_m > policy.tolerance_m
            }
            Placement::Unknown => true,
        };
        Ok(RecordCheck {
            night,
            placement,
            too_far,
        })
    }

    /// The target's source id, for a source target (whose code must be one).
    fn target_source(&self) -> Result<Option<SourceId>, InspectionError> {
        if self.target.kind != TargetKind::Source {
            return Ok(None);
        }
        SourceId::parse(&self.target.code)
            .map(Some)
            .map_err(|_| InspectionError::Rule("a source target's code is a source id"))
    }

    /// The problems the findings raise, numbered from `first_id`: found at the check-in time,
    /// in the target's grid and (for a source target) at its source, with the finding's mode or
    /// the category's default (milestones dated on `cal`). The category is stored by code.
    pub fn problems(
        &self,
        first_id: u64,
        campaign: &CampaignTemplate,
        cal: &Calendar,
    ) -> Result<Vec<Problem>, InspectionError> {
        let at = self.check_in.at;
        self.findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let cat = campaign.category(&f.category).ok_or_else(|| {
                    InspectionError::UnknownCategory {
                        campaign: campaign.code.clone(),
                        category: f.category.clone(),
                    }
                })?;
                let mode = f
                    .mode
                    .clone()
                    .unwrap_or_else(|| cat.mode.instantiate(at, cal));
                let mut p = Problem::new(
                    first_id + i as u64,
                    &campaign.code,
                    &cat.code,
                    &f.description,
                    Finding::Inspection,
                    at,
                    mode,
                );
                p.grid = self.target.grid.clone();
                p.source = self.target_source()?;
                Ok(p)
            })
            .collect()
    }
}

/// Apply a re-inspection record to its problem: a rebound reopens it through
/// `ledger::transition` (`Action::Reopen`, counted in `Problem::rebounds`); a held
/// rectification changes nothing (`Ok(None)`). `actor` must be on the record's team (or the
/// dispatcher), and no one on the team may belong to the problem's unit.
pub fn apply_reinspection(
    problem: &Problem,
    record: &InspectionRecord,
    actor: &Actor,
    now: Timestamp,
    cal: &Calendar,
) -> Result<Option<(Problem, Event)>, InspectionError> {
    let Some(r) = &record.reinspection else {
        return Err(InspectionError::Rule("not a re-inspection record"));
    };
    if r.problem != problem.id {
        return Err(InspectionError::Rule(
            "the record re-inspects another problem",
        ));
    }
    if let Some(m) = record
        .inspectors
        .iter()
        .find(|m| problem.unit.as_ref() == Some(&m.unit))
    {
        return Err(InspectionError::OwnUnit {
            person: m.person.clone(),
            unit: m.unit.clone(),
            target: format!("problem {}", problem.id),
        });
    }
    let on_team = record.inspectors.iter().any(|m| m.person == actor.person);
    if !(on_team || matches!(actor.role, Role::Admin | Role::Dispatcher)) {
        return Err(InspectionError::Forbidden(
            "only a member of the team or the dispatcher records its outcome",
        ));
    }
    match &r.outcome {
        ReinspectionOutcome::Held => Ok(None),
        ReinspectionOutcome::Rebounded { reason } => ledger::transition(
            problem,
            actor,
            Action::Reopen {
                reason: reason.clone(),
            },
            now,
            cal,
        )
        .map(Some)
        .map_err(InspectionError::Ledger),
    }
}

/// Why an inspection plan or record was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InspectionError {
    /// No inspectors.
    #[error("an inspection has at least one inspector")]
    NoInspectors,
    /// No targets.
    #[error("an inspection plan has at least one target")]
    NoTargets,
    /// An inspector of the inspected unit.
    #[error(
        "{person} of unit {unit} may not inspect {target}: an inspector never inspects or verifies their own unit's work"
    )]
    OwnUnit {
        /// The inspector.
        person: PersonId,
        /// Their unit.
        unit: UnitCode,
        /// The target.
        target: String,
    },
    /// A role that may not inspect.
    #[error("{person} ({}) may not be on an inspection team", role.code())]
    RoleNotAllowed {
        /// The person.
        person: PersonId,
        /// Their role.
        role: Role,
    },
    /// A night record by day.
    #[error("a night inspection (夜查) checks in at night; this one checked in at {at}")]
    NotNight {
        /// The check-in.
        at: Timestamp,
    },
    /// The revealed list does not match the seal.
    #[error(
        "the revealed target list does not match the seal: sealed {expected}, revealed {found}"
    )]
    SealMismatch {
        /// The seal.
        expected: ContentHash,
        /// The hash of what was revealed.
        found: ContentHash,
    },
    /// A nonce that is not 64 hex digits.
    #[error("nonce {0:?}: 64 hexadecimal digits (32 bytes)")]
    BadNonce(String),
    /// A checklist item not in the campaign.
    #[error("campaign {campaign} has no checklist item {item:?}")]
    UnknownChecklistItem {
        /// The campaign.
        campaign: String,
        /// The item.
        item: String,
    },
    /// A category not in the campaign.
    #[error("campaign {campaign} has no category {category:?}")]
    UnknownCategory {
        /// The campaign.
        campaign: String,
        /// The category.
        category: String,
    },
    /// A finding without evidence.
    #[error("finding {index} has no evidence (photos, documents)")]
    FindingWithoutEvidence {
        /// Its index.
        index: usize,
    },
    /// Not allowed for this actor.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Another rule.
    #[error("{0}")]
    Rule(&'static str),
    /// The ledger refused the transition.
    #[error("ledger: {0}")]
    Ledger(TransitionError),
}

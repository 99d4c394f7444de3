//! The demo ledger: about 60 problems of the air campaign, created and advanced through
//! [`LedgerStore::create_problem`] and [`LedgerStore::apply`] (so the log and the evidence are
//! the real thing) at a fixed clock, in every state the pages have to show — new, assigned,
//! rectifying (one of them assigned to the demo grid worker, for the field page), submitted,
//! closed, reopened, suspended, cancelled, escalated and overdue — with a third of them
//! linked to a registered source of their grid; then a few enforcement cases (立案 through
//! [`seed_inspections`] adds inspection plans and records in several modes — a routine visit,
//! a 夜查 at 23:00, a 四不两直 plan sealed and then dispatched, one still sealed, a 驻场 visit
//! and a 回头看 of a closed problem — through [`InspectionStore`], so the 检查 pages show real
//! records and the problems their findings raised.
//!
//! 结案, through [`RecordStore::file_case`] and [`RecordStore::transition_case`]) and
//! accountability records ([`RecordStore::create_accountability`]) behind those problems, for
//! the 执法, 问责 and 污染源 pages.
//!
//! Deterministic: the same district and the same `base` give the same ledger.

use crate::db::Db;
use lantian_domain::accountability::{AccountabilityDraft, AccountabilityKind, Subject};
use lantian_domain::calendar::Calendar;
use lantian_domain::campaign::Catalog;
use lantian_domain::enforcement::{CaseAction, CaseDraft, Fen};
use lantian_domain::geo::Point;
use lantian_domain::hash::ContentHash;
use lantian_domain::inspection::{
    CheckIn, CheckInPolicy, ChecklistResult, FindingDraft, InspectionMode, InspectionRecord,
    Inspector, Nonce, Outcome, PlanDraft, Reinspection, ReinspectionOutcome, Target, TargetKind,
};
use lantian_domain::ledger::State;
use lantian_domain::ledger::{Action, Actor, Escalation, Finding, Mode};
use lantian_domain::org::{Person, Role};
use lantian_domain::region::{Duty, RegionLevel};
use lantian_domain::source::{Source, SourceKind};
use lantian_domain::{PersonId, RegionCode, SourceId, Timestamp, UnitCode};
use lantian_store::inspections::{FileContext, InspectionStore};
use lantian_store::ledger::{LedgerStore, NewProblem, Page, ProblemFilter};
use lantian_store::records::RecordStore;
use lantian_store::{SourceFilter, Store, StoreError};
use std::collections::HashMap;

/// The fixed clock the demo ledger is written at: 2025-01-31 09:00 +08:00, the last day of
/// the demo's readings.
pub const DEMO_LEDGER_AT: Timestamp = Timestamp(1_738_285_200);

/// How many problems the demo ledger holds.
pub const DEMO_PROBLEMS: u64 = 60;

/// How many enforcement cases the demo holds (one in each of the states filed, noticed,
/// penalty decided and closed).
pub const DEMO_CASES: u64 = 4;

/// How many accountability records the demo holds.
pub const DEMO_ACCOUNTABILITY: u64 = 3;

/// The grid worker the field page is demonstrated with: the one whose grids hold the most
/// stations (ties: the smallest id) — the same person `lantian demo` gives the `grid-worker`
/// account — with their grids.
pub async fn field_worker(db: &Db) -> Result<Option<(Person, Vec<RegionCode>)>, StoreError> {
    let people = db.people().await?;
    let duties = db.responsibilities().await?;
    let regions = db.regions().await?;
    let stations = db.stations().await?;
    let is_grid: HashMap<_, _> = regions
        .iter()
        .map(|r| (&r.code, r.level == RegionLevel::Grid))
        .collect();
    let mut per_grid: HashMap<&RegionCode, usize> = HashMap::new();
    for s in &stations {
        if let Some(g) = &s.grid {
            *per_grid.entry(g).or_default() += 1;
        }
    }
    let grids_of = |p: &PersonId| -> Vec<RegionCode> {
        duties
            .iter()
            .filter(|d| {
                &d.person == p
                    && matches!(d.duty, Duty::GridChief | Duty::GridWorker)
                    && is_grid.get(&d.region) == Some(&true)
            })
            .map(|d| d.region.clone())
            .collect()
    };
    let mut best: Option<(usize, &Person)> = None;
    for p in people.iter().filter(|p| p.role == Role::GridWorker) {
        let n: usize = grids_of(&p.id)
            .iter()
            .map(|g| per_grid.get(g).copied().unwrap_or(0))
            .sum();
        let better = match best {
            None => true,
            Some((bn, bp)) => n > bn || (n == bn && p.id.as_str() < bp.id.as_str()),
        };
        if better {
            best = Some((n, p));
        }
    }
    Ok(best.map(|(_, p)| (p.clone(), grids_of(&p.id))))
}

fn actor(p: &Person, grids: Vec<RegionCode>) -> Actor {
    Actor {
        person: p.id.clone(),
        unit: p.unit.clone(),
        role: p.role,
        grids,
    }
}

/// A small SVG "photo" of a rectification (the demo has no camera).
fn demo_photo(id: u64, what: &str) -> Vec<u8> {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"160\" height=\"120\">\
         <rect width=\"160\" height=\"120\" fill=\"#3a7d5c\"/>\
         <text x=\"12\" y=\"66\" font-size=\"18\" fill=\"#fff\">{what} #{id}</text></svg>"
    )
    .into_bytes()
}

/// Write the demo ledger into `db` (whose district metadata is already there). Returns the
/// number of problems written; none when the district has no grid worker, dispatcher or
/// inspector to act.
pub async fn seed(db: &Db, base: Timestamp) -> Result<u64, StoreError> {
    let cal = Calendar::china();
    let catalog =
        Catalog::embedded().map_err(|e| StoreError::Invalid(format!("campaigns: {e}")))?;
    let Some(air) = catalog.default_campaign() else {
        return Ok(0);
    };
    let people = db.people().await?;
    let duties = db.responsibilities().await?;
    let regions = db.regions().await?;
    let grid_names: HashMap<&RegionCode, &str> = regions
        .iter()
        .filter(|r| r.level == RegionLevel::Grid)
        .map(|r| (&r.code, r.name.as_str()))
        .collect();
    let by_id: HashMap<&PersonId, &Person> = people.iter().map(|p| (&p.id, p)).collect();
    // Grid workers per grid, in a stable order.
    let mut workers: Vec<(RegionCode, &Person)> = duties
        .iter()
        .filter(|d| d.duty == Duty::GridWorker && grid_names.contains_key(&d.region))
        .filter_map(|d| by_id.get(&d.person).map(|p| (d.region.clone(), *p)))
        .filter(|(_, p)| p.role == Role::GridWorker)
        .collect();
    workers.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
    let Some(dispatcher) = people.iter().find(|p| p.role == Role::Dispatcher) else {
        return Ok(0);
    };
    let inspectors: Vec<&Person> = people
        .iter()
        .filter(|p| p.role == Role::Inspector)
        .collect();
    let Some((fw, fw_grids)) = field_worker(db).await? else {
        return Ok(0);
    };
    if workers.is_empty() || inspectors.is_empty() || fw_grids.is_empty() {
        return Ok(0);
    }
    let disp = actor(dispatcher, vec![]);
    // The first registered source of each grid (sources come ordered by id).
    let mut source_of: HashMap<RegionCode, SourceId> = HashMap::new();
    for src in db.sources(&SourceFilter::default()).await? {
        if let Some(g) = src.grid {
            source_of.entry(g).or_insert(src.id);
        }
    }
    let mut made: Vec<Made> = Vec::new();
    let mut written = 0;
    for i in 0..DEMO_PROBLEMS {
        // The first problem is the field worker's; the others go round the grids.
        let (grid, worker) = if i % 10 == 3 && i < 10 {
            (fw_grids[0].clone(), &fw)
        } else {
            let (g, p) = &workers[(i as usize * 7) % workers.len()];
            (g.clone(), *p)
        };
        let cat = &air.categories[i as usize % air.categories.len()];
        let found = base.plus_seconds(-((DEMO_PROBLEMS - i) as i64) * 5 * 3600);
        let mode = if i % 2 == 0 {
            Mode::Immediate { hours: 48 }
        } else {
            Mode::TimeBound {
                working_days: 10,
                milestones: vec![],
            }
        };
        let new = NewProblem {
            campaign: air.code.clone(),
            category: cat.code.clone(),
            description: format!(
                "{}：{}发现{}问题（演示 {}）",
                grid_names.get(&grid).copied().unwrap_or("网格"),
                ["巡查", "传感器告警", "群众举报"][i as usize % 3],
                cat.name_zh,
                i + 1
            ),
            finding: [Finding::Inspection, Finding::Sensor, Finding::Public][i as usize % 3],
            found_at: found,
            grid: Some(grid.clone()),
            source: (i % 3 == 0)
                .then(|| source_of.get(&grid).cloned())
                .flatten(),
            unit: None,
            mode,
        };
        let p = db.create_problem(&new, &disp, found).await?;
        written += 1;
        made.push(Made {
            id: p.id,
            kind: i % 10,
            found,
            source: new.source.clone(),
            worker: worker.id.clone(),
            unit: worker.unit.clone(),
        });
        let kind = i % 10;
        if kind == 0 {
            continue; // new: waiting to be dispatched
        }
        let w = actor(worker, vec![grid.clone()]);
        let t = found.plus_seconds(3 * 3600);
        let step = |a: Action, who: Actor| (a, who);
        let mut plan = vec![step(
            Action::Assign {
                unit: worker.unit.clone(),
                assignee: worker.id.clone(),
            },
            disp.clone(),
        )];
        if kind >= 3 {
            plan.push(step(Action::Start, w.clone()));
        }
        if matches!(kind, 5..=7) {
            let photo = db
                .put_evidence(&demo_photo(p.id, "整改"), "image/svg+xml", &worker.id, t)
                .await?;
            plan.push(step(
                Action::Submit {
                    evidence: vec![photo],
                    note: "已整改，见照片".into(),
                },
                w.clone(),
            ));
        }
        if matches!(kind, 6 | 7) {
            // An inspector of another unit than the worker's.
            let Some(insp) = inspectors
                .iter()
                .cycle()
                .skip(i as usize)
                .take(inspectors.len())
                .find(|x| x.unit != worker.unit)
            else {
                continue;
            };
            let photo = db
                .put_evidence(&demo_photo(p.id, "核查"), "image/svg+xml", &insp.id, t)
                .await?;
            plan.push(step(
                Action::Approve {
                    evidence: vec![photo],
                },
                actor(insp, vec![]),
            ));
            if i == 7 {
                plan.push(step(
                    Action::Reopen {
                        reason: "回头看发现反弹".into(),
                    },
                    disp.clone(),
                ));
            }
        }
        match kind {
            8 => {
                plan.push(step(
                    Action::Escalate {
                        to: Escalation::Supervised,
                    },
                    disp.clone(),
                ));
                if i >= 30 {
                    plan.push(step(
                        Action::Escalate {
                            to: Escalation::Listed,
                        },
                        disp.clone(),
                    ));
                }
            }
            9 if i % 20 == 9 => plan.push(step(
                Action::Suspend {
                    reason: "等待施工许可".into(),
                },
                disp.clone(),
            )),
            9 => plan.push(step(
                Action::Cancel {
                    reason: "经核实不属于本专项".into(),
                },
                disp.clone(),
            )),
            _ => {}
        }
        for (k, (a, who)) in plan.into_iter().enumerate() {
            let at = found.plus_seconds(3600 * (k as i64 + 1));
            db.apply(p.id, None, a, &who, at, &cal).await?;
        }
    }
    seed_records(db, &people, &made, base).await?;
    Ok(written)
}

/// A demo problem as the records need it.
struct Made {
    id: u64,
    /// `i % 10`: 0 new … 6, 7 closed (7 of the first ten reopened) … 8 escalated.
    kind: u64,
    found: Timestamp,
    source: Option<SourceId>,
    worker: PersonId,
    unit: UnitCode,
}

fn fen(yuan: i64) -> Result<Fen, StoreError> {
    Fen::new(yuan * 100).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn hash(h: &str) -> Result<ContentHash, StoreError> {
    ContentHash::parse(h).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// The demo's enforcement cases and accountability records, behind its problems: four cases
/// against sources with problems (closed, penalty decided, noticed, filed) by the two
/// enforcement officers, with the penalty decided by the command; three accountability
/// decisions by the leader (约谈 and 通报批评 of units with escalated problems, 诫勉谈话 of the
/// worker whose problem rebounded). Nothing when the district lacks the people.
async fn seed_records(
    db: &Db,
    people: &[Person],
    made: &[Made],
    base: Timestamp,
) -> Result<(), StoreError> {
    let officers: Vec<&Person> = people
        .iter()
        .filter(|p| p.role == Role::EnforcementOfficer)
        .take(2)
        .collect();
    let (Some(admin), Some(leader)) = (
        people.iter().find(|p| p.role == Role::Admin),
        people.iter().find(|p| p.role == Role::Leader),
    ) else {
        return Ok(());
    };
    if officers.len() < 2 {
        return Ok(());
    }
    let (o1, o2) = (actor(officers[0], vec![]), actor(officers[1], vec![]));
    let cmd = actor(admin, vec![]);
    let with_source: Vec<&Made> = made.iter().filter(|m| m.source.is_some()).collect();
    let titles = [
        ("未落实扬尘污染防治措施", "某建设工程有限公司", 50_000),
        ("餐饮油烟未经净化直排", "某餐饮店", 8_000),
        ("违规露天焚烧", "某村民", 2_000),
        ("涉VOCs物料敞开存放", "某化工有限公司", 100_000),
    ];
    for (n, (m, (title, party, yuan))) in with_source.iter().zip(titles).enumerate() {
        let sources: Vec<SourceId> = m.source.iter().cloned().collect();
        let mut t = m.found.plus_seconds(6 * 3600);
        let c = db
            .file_case(
                &CaseDraft {
                    id: 0,
                    title: title.into(),
                    party: party.into(),
                    sources,
                    problems: vec![m.id],
                },
                &o1,
                t,
            )
            .await?;
        // Case 0 runs to the end, 1 to the decision, 2 to the notice, 3 stays filed.
        let depth = [5, 3, 2, 0][n];
        let photo = db
            .put_evidence(
                &demo_photo(c.id, "执法取证"),
                "image/svg+xml",
                &o1.person,
                t,
            )
            .await?;
        let steps: Vec<(CaseAction, &Actor)> = vec![
            (
                CaseAction::Investigate {
                    officers: vec![o1.person.clone(), o2.person.clone()],
                    findings: format!("现场检查确认：{title}"),
                    evidence: vec![hash(&photo)?],
                },
                &o1,
            ),
            (
                CaseAction::Notify {
                    notice_no: format!("焦高环罚告〔2025〕{}号", c.id),
                    proposed: fen(yuan)?,
                },
                &o2,
            ),
            (
                CaseAction::DecidePenalty {
                    decision_no: format!("焦高环罚〔2025〕{}号", c.id),
                    amount: fen(yuan)?,
                },
                &cmd,
            ),
            (
                CaseAction::Execute {
                    collected: fen(yuan)?,
                    evidence: vec![hash(&photo)?],
                },
                &o1,
            ),
            (
                CaseAction::Close {
                    summary: "罚款已缴清，现场问题已整改".into(),
                },
                &o1,
            ),
        ];
        for (a, who) in steps.into_iter().take(depth) {
            t = t.plus_seconds(24 * 3600).min(base);
            db.transition_case(c.id, None, a, who, t).await?;
        }
    }
    let lead = actor(leader, vec![]);
    let escalated: Vec<&Made> = made.iter().filter(|m| m.kind == 8).collect();
    let rebound = made.iter().find(|m| m.kind == 7);
    let mut drafts = Vec::new();
    if let Some(m) = escalated.first() {
        drafts.push(AccountabilityDraft {
            id: 0,
            subject: Subject::Unit {
                unit: m.unit.clone(),
            },
            kind: AccountabilityKind::Interview,
            reason: "问题整改超期，经督办仍未完成".into(),
            problems: vec![m.id],
        });
    }
    if let Some(m) = escalated
        .iter()
        .rev()
        .find(|m| Some(&m.unit) != escalated.first().map(|f| &f.unit))
    {
        drafts.push(AccountabilityDraft {
            id: 0,
            subject: Subject::Unit {
                unit: m.unit.clone(),
            },
            kind: AccountabilityKind::PublicCriticism,
            reason: "挂牌督办问题逾期未整改".into(),
            problems: vec![m.id],
        });
    }
    if let Some(m) = rebound {
        drafts.push(AccountabilityDraft {
            id: 0,
            subject: Subject::Person {
                person: m.worker.clone(),
                unit: m.unit.clone(),
            },
            kind: AccountabilityKind::Admonishment,
            reason: "回头看发现问题反弹，整改不彻底".into(),
            problems: vec![m.id],
        });
    }
    for d in &drafts {
        db.create_accountability(d, &lead, base.plus_seconds(-3600))
            .await?;
    }
    Ok(())
}

/// A source as an inspection target.
fn source_target(s: &Source) -> Target {
    Target {
        kind: TargetKind::Source,
        code: s.id.as_str().to_owned(),
        name: s.name.clone(),
        location: s.location,
        grid: s.grid.clone(),
        unit: s.unit.clone(),
    }
}

/// `p` moved about `north_m` metres north (a phone's check-in beside a registered point).
fn north_of(p: Point, north_m: f64) -> Point {
    Point::new(p.lon, p.lat + north_m / 111_195.0).unwrap_or(p)
}

/// Write the demo's inspections (after [`seed`]): six plans and five records in the modes
/// routine, night, unannounced (sealed, dispatched with its list), resident and re-inspection,
/// plus one unannounced plan still sealed. Returns (plans, records); (0, 0) when the district
/// lacks the people or sources to make them.
pub async fn seed_inspections(db: &Db, base: Timestamp) -> Result<(u64, u64), StoreError> {
    let cal = Calendar::china();
    let catalog =
        Catalog::embedded().map_err(|e| StoreError::Invalid(format!("campaigns: {e}")))?;
    let Some(air) = catalog.get("air") else {
        return Ok((0, 0));
    };
    let people = db.people().await?;
    let Some(dispatcher) = people.iter().find(|p| p.role == Role::Dispatcher) else {
        return Ok((0, 0));
    };
    let disp = actor(dispatcher, vec![]);
    let inspectors: Vec<&Person> = people
        .iter()
        .filter(|p| p.role == Role::Inspector)
        .collect();
    let mut sources: Vec<Source> = db
        .sources(&SourceFilter::default())
        .await?
        .into_iter()
        .filter(|s| s.location.is_some() && s.unit.is_some() && s.grid.is_some())
        .collect();
    sources.sort_by(|a, b| a.id.cmp(&b.id));
    let of_kind =
        |k: SourceKind, skip: usize| sources.iter().filter(move |s| s.kind == k).nth(skip);
    let (Some(site), Some(plant), Some(plant2), Some(site2)) = (
        of_kind(SourceKind::Construction, 0),
        of_kind(SourceKind::Enterprise, 0),
        of_kind(SourceKind::Enterprise, 1),
        of_kind(SourceKind::Construction, 1),
    ) else {
        return Ok((0, 0));
    };
    // An inspector of none of the given units.
    let inspector_for = |units: &[&Option<lantian_domain::UnitCode>]| {
        inspectors
            .iter()
            .find(|i| units.iter().all(|u| u.as_ref() != Some(&i.unit)))
            .copied()
    };
    let day = |d: i64, h: i64, m: i64| base.plus_seconds(d * 86_400 + (h - 9) * 3600 + m * 60);
    let ctx = FileContext {
        campaign: air,
        policy: CheckInPolicy::default(),
        grid: None,
        calendar: &cal,
    };
    let checklist = |cat: &str, fail: bool| -> Vec<ChecklistResult> {
        air.category(cat)
            .map(|c| {
                c.checklist
                    .iter()
                    .enumerate()
                    .map(|(i, item)| ChecklistResult {
                        item: item.code.clone(),
                        outcome: if fail && i == 0 {
                            Outcome::Fail
                        } else {
                            Outcome::Pass
                        },
                        note: String::new(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (mut plans, mut records) = (0u64, 0u64);
    // (mode, title, targets, planned, dispatched, check-in, category, finding, sealed)
    struct Visit<'a> {
        mode: InspectionMode,
        title: &'a str,
        targets: Vec<&'a Source>,
        planned: Timestamp,
        check_in: Option<(Timestamp, f64)>,
        category: &'a str,
        finding: Option<&'a str>,
    }
    let visits = [
        Visit {
            mode: InspectionMode::Routine,
            title: "建筑工地扬尘专项检查",
            targets: vec![site],
            planned: day(-3, 9, 0),
            check_in: Some((day(-3, 10, 20), 60.0)),
            category: "site_dust",
            finding: Some("施工现场裸土未覆盖，出入口未冲洗车辆"),
        },
        Visit {
            mode: InspectionMode::Night,
            title: "涉气企业夜查",
            targets: vec![plant],
            planned: day(-2, 22, 0),
            check_in: Some((day(-2, 23, 10), 40.0)),
            category: "enterprise_emissions",
            finding: Some("夜间治污设施未运行，车间无组织排放"),
        },
        Visit {
            mode: InspectionMode::Unannounced,
            title: "四不两直暗访涉气企业",
            targets: vec![plant2, site2],
            planned: day(-1, 20, 0),
            check_in: Some((day(-1, 20, 45), 900.0)),
            category: "enterprise_emissions",
            finding: Some("在线监测设备停运，台账记录不全"),
        },
        Visit {
            mode: InspectionMode::Resident,
            title: "重点工地驻场监管",
            targets: vec![site2],
            planned: day(-1, 8, 0),
            check_in: Some((day(-1, 8, 30), 20.0)),
            category: "site_dust",
            finding: None,
        },
        Visit {
            mode: InspectionMode::Unannounced,
            title: "四不两直暗访（待派出）",
            targets: vec![site, plant],
            planned: day(1, 21, 0),
            check_in: None,
            category: "site_dust",
            finding: None,
        },
    ];
    for (n, v) in visits.into_iter().enumerate() {
        let units: Vec<&Option<lantian_domain::UnitCode>> =
            v.targets.iter().map(|s| &s.unit).collect();
        let Some(insp) = inspector_for(&units) else {
            continue;
        };
        let team = vec![Inspector {
            person: insp.id.clone(),
            unit: insp.unit.clone(),
            role: insp.role,
        }];
        // The demo is reproducible, so its nonce is fixed; the server draws one from the OS.
        let nonce = (v.mode == InspectionMode::Unannounced)
            .then(|| Nonce::from_bytes(lantian_store::ledger::sha256(v.title.as_bytes())));
        let draft = PlanDraft {
            id: 0,
            campaign: air.code.clone(),
            mode: v.mode,
            title: v.title.to_owned(),
            planned_for: v.planned,
            team: team.clone(),
            targets: v.targets.iter().map(|s| source_target(s)).collect(),
            problem: None,
        };
        let made = v.planned.plus_seconds(-8 * 3600);
        let (plan, list) = db.create_plan(&draft, &disp, nonce, made).await?;
        plans += 1;
        let Some((at, off)) = v.check_in else {
            continue;
        };
        db.dispatch_plan(plan.id, list.as_ref(), &disp, v.planned.plus_seconds(-600))
            .await?;
        let target = v.targets[0];
        let Some(loc) = target.location else { continue };
        let mut findings = Vec::new();
        if let Some(text) = v.finding {
            let photo = db
                .put_evidence(
                    &demo_photo(plan.id * 100 + n as u64, "检查"),
                    "image/svg+xml",
                    &insp.id,
                    at,
                )
                .await?;
            findings.push(FindingDraft {
                category: v.category.to_owned(),
                description: format!("{}：{text}", target.name),
                evidence: vec![
                    ContentHash::parse(&photo).map_err(|e| StoreError::Invalid(e.to_string()))?,
                ],
                mode: None,
            });
        }
        let record = InspectionRecord {
            id: 0,
            plan: Some(plan.id),
            campaign: air.code.clone(),
            mode: v.mode,
            inspectors: team,
            target: source_target(target),
            check_in: CheckIn {
                at,
                position: north_of(loc, off),
            },
            results: checklist(v.category, v.finding.is_some()),
            findings,
            evidence: Vec::new(),
            reinspection: None,
        };
        db.file_record(&record, ctx, &actor(insp, vec![]), at)
            .await?;
        records += 1;
    }
    // 回头看 of the first closed problem with a unit and a grid: the rectification held.
    let closed = db
        .problems(
            &ProblemFilter {
                states: vec![State::Closed],
                ..ProblemFilter::default()
            },
            Page::default(),
        )
        .await?;
    if let Some(p) = closed
        .items
        .iter()
        .find(|p| p.unit.is_some() && p.grid.is_some())
        && let Some(insp) = inspector_for(&[&p.unit])
    {
        let target = Target {
            kind: TargetKind::Grid,
            code: p
                .grid
                .as_ref()
                .map(|g| g.as_str().to_owned())
                .unwrap_or_default(),
            name: format!("问题 #{} 整改点位", p.id),
            location: None,
            grid: p.grid.clone(),
            unit: p.unit.clone(),
        };
        let team = vec![Inspector {
            person: insp.id.clone(),
            unit: insp.unit.clone(),
            role: insp.role,
        }];
        let draft = PlanDraft {
            id: 0,
            campaign: air.code.clone(),
            mode: InspectionMode::Reinspection,
            title: format!("问题 #{} 销号后回头看", p.id),
            planned_for: day(0, 8, 0),
            team: team.clone(),
            targets: vec![target.clone()],
            problem: Some(p.id),
        };
        let (plan, _) = db.create_plan(&draft, &disp, None, day(-1, 9, 0)).await?;
        db.dispatch_plan(plan.id, None, &disp, day(0, 7, 50))
            .await?;
        plans += 1;
        let grid_area = db
            .regions()
            .await?
            .into_iter()
            .find(|r| Some(&r.code) == p.grid.as_ref())
            .and_then(|r| r.area);
        let at = day(0, 8, 20);
        let position = grid_area
            .as_ref()
            .and_then(|a| a.0.first())
            .and_then(|poly| poly.rings().first().and_then(|r| r.first().copied()))
            .unwrap_or(Point {
                lon: 113.3,
                lat: 35.2,
            });
        let record = InspectionRecord {
            id: 0,
            plan: Some(plan.id),
            campaign: air.code.clone(),
            mode: InspectionMode::Reinspection,
            inspectors: team,
            target,
            check_in: CheckIn { at, position },
            results: Vec::new(),
            findings: Vec::new(),
            evidence: Vec::new(),
            reinspection: Some(Reinspection {
                problem: p.id,
                outcome: ReinspectionOutcome::Held,
            }),
        };
        let ctx = FileContext {
            grid: grid_area.as_ref(),
            ..ctx
        };
        db.file_record(&record, ctx, &actor(insp, vec![]), at)
            .await?;
        records += 1;
    }
    Ok((plans, records))
}

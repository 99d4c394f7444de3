//! Integration tests of the domain: the problem ledger's transitions (every allowed and every
//! forbidden one), its invariants under random sequences, and escalation and re-inspection
//! driven by a mock clock across holidays and make-up days; campaign templates (all embedded
//! ones load, a new one is JSON alone, errors name file and field); inspections (night window,
//! sealed 四不两直 lists, independence, check-in distance, findings → problems, 回头看 → 反弹);
//! enforcement cases (every allowed and forbidden transition, no skipped state); accountability
//! records; scorecard figures.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use lantian_aq::Date;
use lantian_domain::calendar::Calendar;
use lantian_domain::ledger::*;
use lantian_domain::org::Role;
use lantian_domain::time::{Clock, FixedClock, Timestamp};
use lantian_domain::{PersonId, RegionCode, UnitCode};
use proptest::prelude::*;

fn actor(person: &str, unit: &str, role: Role) -> Actor {
    Actor {
        person: PersonId::parse(person).unwrap(),
        unit: UnitCode::parse(unit).unwrap(),
        role,
        grids: if matches!(role, Role::GridChief | Role::GridWorker) {
            vec![RegionCode::parse("G1").unwrap()]
        } else {
            vec![]
        },
    }
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

struct Cast {
    dispatcher: Actor,
    admin: Actor,
    head: Actor,
    staff: Actor,
    other_head: Actor,
    worker: Actor,
    inspector: Actor,
    own_inspector: Actor,
    leader: Actor,
}

fn cast() -> Cast {
    Cast {
        dispatcher: actor("dispatcher", "SHJZX", Role::Dispatcher),
        admin: actor("admin", "ZHB", Role::Admin),
        head: actor("head-cgzx", "CGZX", Role::UnitHead),
        staff: actor("staff-cgzx", "CGZX", Role::UnitStaff),
        other_head: actor("head-kgzx", "KGZX", Role::UnitHead),
        worker: actor("worker-01", "T-LW", Role::GridWorker),
        inspector: actor("inspector-kgzx", "KGZX", Role::Inspector),
        own_inspector: actor("inspector-cgzx", "CGZX", Role::Inspector),
        leader: actor("leader", "ZHB", Role::Leader),
    }
}

fn problem() -> Problem {
    let mut p = Problem::new(
        1,
        "air",
        "道路保洁",
        "世纪路积尘",
        Finding::Inspection,
        at("2025-01-06T10:00:00+08:00"),
        Mode::Immediate { hours: 24 },
    );
    p.grid = Some(RegionCode::parse("G1").unwrap());
    p
}

fn assign() -> Action {
    Action::Assign {
        unit: UnitCode::parse("CGZX").unwrap(),
        assignee: PersonId::parse("staff-cgzx").unwrap(),
    }
}

fn submit() -> Action {
    Action::Submit {
        evidence: vec!["sha256:aa".into()],
        note: "已清扫".into(),
    }
}

fn approve() -> Action {
    Action::Approve {
        evidence: vec!["sha256:bb".into()],
    }
}

/// Drive a problem to `state` along the main path.
fn to_state(state: State) -> Problem {
    let c = cast();
    let cal = Calendar::china();
    let t = at("2025-01-06T11:00:00+08:00");
    let mut p = problem();
    let steps: Vec<(Actor, Action)> = match state {
        State::New => vec![],
        State::Assigned => vec![(c.dispatcher.clone(), assign())],
        State::Rectifying => vec![
            (c.dispatcher.clone(), assign()),
            (c.staff.clone(), Action::Start),
        ],
        State::Submitted => vec![
            (c.dispatcher.clone(), assign()),
            (c.staff.clone(), Action::Start),
            (c.staff.clone(), submit()),
        ],
        State::Closed => vec![
            (c.dispatcher.clone(), assign()),
            (c.staff.clone(), Action::Start),
            (c.staff.clone(), submit()),
            (c.inspector.clone(), approve()),
        ],
        State::Suspended => vec![
            (c.dispatcher.clone(), assign()),
            (
                c.dispatcher.clone(),
                Action::Suspend {
                    reason: "等待审批".into(),
                },
            ),
        ],
        State::Reopened => vec![
            (c.dispatcher.clone(), assign()),
            (c.staff.clone(), Action::Start),
            (c.staff.clone(), submit()),
            (c.inspector.clone(), approve()),
            (
                c.inspector.clone(),
                Action::Reopen {
                    reason: "回头看发现积尘".into(),
                },
            ),
        ],
        State::Duplicate => vec![(c.dispatcher.clone(), Action::Duplicate { of: 9 })],
        State::Cancelled => vec![(
            c.dispatcher.clone(),
            Action::Cancel {
                reason: "误报".into(),
            },
        )],
    };
    for (a, act) in steps {
        p = transition(&p, &a, act, t, &cal).unwrap().0;
    }
    assert_eq!(p.state, state);
    p
}

const ALL_STATES: [State; 9] = [
    State::New,
    State::Assigned,
    State::Rectifying,
    State::Submitted,
    State::Closed,
    State::Suspended,
    State::Reopened,
    State::Duplicate,
    State::Cancelled,
];

/// Every (state, action) pair, by the right actor: allowed exactly where the design says.
#[test]
fn transition_matrix_by_state() {
    let c = cast();
    let cal = Calendar::china();
    let t = at("2025-01-07T09:00:00+08:00");
    let cases: Vec<(&str, Actor, Action, &[State], State)> = vec![
        (
            "assign",
            c.dispatcher.clone(),
            assign(),
            &[State::New, State::Reopened, State::Assigned],
            State::Assigned,
        ),
        (
            "start",
            c.staff.clone(),
            Action::Start,
            &[State::Assigned],
            State::Rectifying,
        ),
        (
            "submit",
            c.staff.clone(),
            submit(),
            &[State::Rectifying],
            State::Submitted,
        ),
        (
            "approve",
            c.inspector.clone(),
            approve(),
            &[State::Submitted],
            State::Closed,
        ),
        (
            "reject",
            c.inspector.clone(),
            Action::Reject {
                reason: "未清扫干净".into(),
            },
            &[State::Submitted],
            State::Rectifying,
        ),
        (
            "suspend",
            c.dispatcher.clone(),
            Action::Suspend {
                reason: "等审批".into(),
            },
            &[State::Assigned, State::Rectifying],
            State::Suspended,
        ),
        (
            "resume",
            c.dispatcher.clone(),
            Action::Resume,
            &[State::Suspended],
            State::Assigned,
        ),
        (
            "reopen",
            c.inspector.clone(),
            Action::Reopen {
                reason: "反弹".into(),
            },
            &[State::Closed],
            State::Reopened,
        ),
        (
            "duplicate",
            c.dispatcher.clone(),
            Action::Duplicate { of: 9 },
            &[State::New, State::Assigned],
            State::Duplicate,
        ),
        (
            "cancel",
            c.dispatcher.clone(),
            Action::Cancel {
                reason: "误报".into(),
            },
            &[
                State::New,
                State::Assigned,
                State::Rectifying,
                State::Suspended,
            ],
            State::Cancelled,
        ),
        (
            "escalate",
            c.dispatcher.clone(),
            Action::Escalate {
                to: Escalation::Supervised,
            },
            &[
                State::Assigned,
                State::Rectifying,
                State::Submitted,
                State::Reopened,
            ],
            State::Assigned, // unchanged state; checked below
        ),
    ];
    for (name, who, act, allowed, to) in cases {
        for s in ALL_STATES {
            let p = to_state(s);
            let r = transition(&p, &who, act.clone(), t, &cal);
            if allowed.contains(&s) {
                let (n, e) = r.unwrap_or_else(|e| panic!("{name} from {s:?}: {e}"));
                if name == "escalate" {
                    assert_eq!(n.state, s);
                    assert_eq!(n.escalation, Escalation::Supervised);
                } else if name != "resume" {
                    assert_eq!(n.state, to, "{name} from {s:?}");
                }
                assert_eq!((e.from, e.to, e.seq), (s, n.state, p.seq + 1));
            } else {
                assert!(
                    matches!(r, Err(TransitionError::WrongState { .. })),
                    "{name} from {s:?} should be refused: {r:?}"
                );
            }
        }
    }
}

/// Who may do what: the forbidden actors for each step.
#[test]
fn transition_matrix_by_actor() {
    let c = cast();
    let cal = Calendar::china();
    let t = at("2025-01-07T09:00:00+08:00");
    let forbidden = |s: State, who: &Actor, act: Action| {
        let r = transition(&to_state(s), who, act.clone(), t, &cal);
        assert!(
            matches!(r, Err(TransitionError::Forbidden { .. })),
            "{:?} by {:?} from {s:?}: {r:?}",
            act.code(),
            who.role
        );
    };
    for who in [&c.head, &c.staff, &c.worker, &c.inspector, &c.leader] {
        forbidden(State::New, who, assign());
    }
    // A unit head reassigns within the unit, but not to another unit.
    let p = to_state(State::Assigned);
    let within = Action::Assign {
        unit: UnitCode::parse("CGZX").unwrap(),
        assignee: PersonId::parse("head-cgzx").unwrap(),
    };
    assert!(transition(&p, &c.head, within, t, &cal).is_ok());
    forbidden(
        State::Assigned,
        &c.head,
        Action::Assign {
            unit: UnitCode::parse("KGZX").unwrap(),
            assignee: PersonId::parse("x").unwrap(),
        },
    );
    for who in [&c.other_head, &c.inspector, &c.leader, &c.dispatcher] {
        forbidden(State::Assigned, who, Action::Start);
        forbidden(State::Rectifying, who, submit());
    }
    // The grid worker of the problem's grid may start and submit.
    assert!(
        transition(
            &to_state(State::Assigned),
            &c.worker,
            Action::Start,
            t,
            &cal
        )
        .is_ok()
    );
    // Verification: never the unit that rectified, never the person, never a grid worker.
    for who in [&c.own_inspector, &c.head, &c.staff, &c.worker, &c.leader] {
        forbidden(State::Submitted, who, approve());
        forbidden(State::Submitted, who, Action::Reject { reason: "x".into() });
    }
    assert!(transition(&to_state(State::Submitted), &c.admin, approve(), t, &cal).is_ok());
    // Verification by a different person of a different unit: not only the problem's unit is
    // refused but the unit of whoever rectified — the submitter's unit (a grid worker of a
    // street office) and the assignee's own unit (an assignee seconded from another unit).
    let by_worker = {
        let p = to_state(State::Assigned);
        let (p, _) = transition(&p, &c.worker, Action::Start, t, &cal).unwrap();
        transition(&p, &c.worker, submit(), t, &cal).unwrap().0
    };
    let worker_unit_inspector = actor("inspector-tlw", "T-LW", Role::Inspector);
    for act in [approve(), Action::Reject { reason: "x".into() }] {
        let r = transition(&by_worker, &worker_unit_inspector, act, t, &cal);
        assert!(matches!(r, Err(TransitionError::Forbidden { .. })), "{r:?}");
    }
    assert!(transition(&by_worker, &c.inspector, approve(), t, &cal).is_ok());
    let seconded = actor("seconded", "JSJ", Role::UnitStaff);
    let by_seconded = {
        let p = problem();
        let to_seconded = Action::Assign {
            unit: UnitCode::parse("CGZX").unwrap(),
            assignee: PersonId::parse("seconded").unwrap(),
        };
        let (p, _) = transition(&p, &c.dispatcher, to_seconded, t, &cal).unwrap();
        let (p, _) = transition(&p, &seconded, Action::Start, t, &cal).unwrap();
        transition(&p, &seconded, submit(), t, &cal).unwrap().0
    };
    let assignee_unit_inspector = actor("inspector-jsj", "JSJ", Role::Inspector);
    let r = transition(&by_seconded, &assignee_unit_inspector, approve(), t, &cal);
    assert!(matches!(r, Err(TransitionError::Forbidden { .. })), "{r:?}");
    assert!(transition(&by_seconded, &c.inspector, approve(), t, &cal).is_ok());
    for who in [&c.head, &c.staff, &c.worker, &c.leader, &c.inspector] {
        forbidden(
            State::Rectifying,
            who,
            Action::Suspend { reason: "x".into() },
        );
        forbidden(State::New, who, Action::Cancel { reason: "x".into() });
        forbidden(State::New, who, Action::Duplicate { of: 9 });
        forbidden(
            State::Assigned,
            who,
            Action::Escalate {
                to: Escalation::Listed,
            },
        );
    }
    forbidden(
        State::Closed,
        &c.own_inspector,
        Action::Reopen { reason: "x".into() },
    );
    forbidden(
        State::Closed,
        &c.staff,
        Action::Reopen { reason: "x".into() },
    );
}

/// The rules beyond role and state.
#[test]
fn ledger_rules() {
    let c = cast();
    let cal = Calendar::china();
    let t = at("2025-01-07T09:00:00+08:00");
    let rule = |p: &Problem, who: &Actor, act: Action| {
        assert!(matches!(
            transition(p, who, act, t, &cal),
            Err(TransitionError::Rule(_))
        ));
    };
    rule(
        &to_state(State::Rectifying),
        &c.staff,
        Action::Submit {
            evidence: vec![],
            note: "x".into(),
        },
    );
    rule(
        &to_state(State::Submitted),
        &c.inspector,
        Action::Approve { evidence: vec![] },
    );
    rule(
        &to_state(State::Submitted),
        &c.inspector,
        Action::Reject { reason: " ".into() },
    );
    rule(
        &to_state(State::Assigned),
        &c.dispatcher,
        Action::Suspend { reason: "".into() },
    );
    rule(
        &to_state(State::New),
        &c.dispatcher,
        Action::Duplicate { of: 1 },
    );
    let p = transition(
        &to_state(State::Assigned),
        &c.dispatcher,
        Action::Escalate {
            to: Escalation::Listed,
        },
        t,
        &cal,
    )
    .unwrap()
    .0;
    rule(
        &p,
        &c.dispatcher,
        Action::Escalate {
            to: Escalation::Supervised,
        },
    );
    // A roadmap: submit only when every milestone is done.
    let mut p = problem();
    p.mode = Mode::TimeBound {
        working_days: 10,
        milestones: vec![
            Milestone {
                title: "围挡".into(),
                due: t,
                done_at: None,
            },
            Milestone {
                title: "硬化".into(),
                due: t,
                done_at: None,
            },
        ],
    };
    let p = transition(&p, &c.dispatcher, assign(), t, &cal).unwrap().0;
    let p = transition(&p, &c.staff, Action::Start, t, &cal).unwrap().0;
    rule(&p, &c.staff, submit());
    let p = transition(
        &p,
        &c.staff,
        Action::CompleteMilestone {
            index: 0,
            evidence: vec!["h".into()],
        },
        t,
        &cal,
    )
    .unwrap()
    .0;
    rule(
        &p,
        &c.staff,
        Action::CompleteMilestone {
            index: 0,
            evidence: vec!["h".into()],
        },
    );
    let p = transition(
        &p,
        &c.staff,
        Action::CompleteMilestone {
            index: 1,
            evidence: vec!["h".into()],
        },
        t,
        &cal,
    )
    .unwrap()
    .0;
    assert!(transition(&p, &c.staff, submit(), t, &cal).is_ok());
}

/// Deadlines, suspension and escalation with a mock clock across the 2025 Spring Festival
/// (holidays 28 Jan – 4 Feb; make-up working days Sun 26 Jan and Sat 8 Feb).
#[test]
fn escalation_across_the_spring_festival() {
    let c = cast();
    let cal = Calendar::china();
    let clock = FixedClock::at(at("2025-01-24T10:00:00+08:00")); // a Friday
    let mut p = problem();
    p.mode = Mode::TimeBound {
        working_days: 3,
        milestones: vec![],
    };
    p = transition(&p, &c.dispatcher, assign(), clock.now(), &cal)
        .unwrap()
        .0;
    // 3 working days after Fri 24 Jan: Sun 26 (make-up), Mon 27, then Wed 5 Feb → due at the
    // end of 5 Feb.
    assert_eq!(p.deadline, Some(at("2025-02-06T00:00:00+08:00")));
    let pol = EscalationPolicy::default();
    let level = |p: &Problem, t: &str| escalation_due(p, at(t), &cal, &pol);
    assert_eq!(level(&p, "2025-01-24T12:00:00+08:00"), Escalation::None); // 26, 27 Jan, 5 Feb left
    // On Mon 27 Jan only 5 Feb remains after today (the festival eats the rest): warned.
    assert_eq!(level(&p, "2025-01-27T09:00:00+08:00"), Escalation::Warned);
    assert_eq!(level(&p, "2025-02-04T09:00:00+08:00"), Escalation::Warned);
    assert_eq!(level(&p, "2025-02-05T23:59:00+08:00"), Escalation::Warned);
    // Overdue from 6 Feb: 提醒 that day; 督办 once 1 whole working day has passed (7 Feb);
    // Sat 8 Feb is a make-up working day, so on Mon 10 Feb 6, 7 and 8 have passed: 挂牌督办;
    // on 12 Feb five (6, 7, 8, 10, 11): 问责.
    assert_eq!(level(&p, "2025-02-06T01:00:00+08:00"), Escalation::Reminded);
    assert_eq!(
        level(&p, "2025-02-07T09:00:00+08:00"),
        Escalation::Supervised
    );
    assert_eq!(
        level(&p, "2025-02-08T09:00:00+08:00"),
        Escalation::Supervised
    );
    assert_eq!(level(&p, "2025-02-09T09:00:00+08:00"), Escalation::Listed); // Sun: 6, 7, 8 passed
    assert_eq!(level(&p, "2025-02-11T09:00:00+08:00"), Escalation::Listed);
    assert_eq!(
        level(&p, "2025-02-12T09:00:00+08:00"),
        Escalation::Accountability
    );
    // A suspension stops the clock: 5 days suspended push the deadline by 5 days.
    clock.set(at("2025-02-03T10:00:00+08:00"));
    let s = transition(
        &p,
        &c.dispatcher,
        Action::Suspend {
            reason: "春节停工".into(),
        },
        clock.now(),
        &cal,
    )
    .unwrap()
    .0;
    assert_eq!(level(&s, "2025-02-20T09:00:00+08:00"), Escalation::None);
    clock.advance(5 * 86_400);
    let r = transition(&s, &c.dispatcher, Action::Resume, clock.now(), &cal)
        .unwrap()
        .0;
    assert_eq!(r.state, State::Assigned);
    assert_eq!(
        r.effective_deadline(clock.now()),
        Some(at("2025-02-11T00:00:00+08:00"))
    );
    assert!(!r.is_overdue(at("2025-02-10T23:00:00+08:00")));
    assert!(r.is_overdue(at("2025-02-11T00:00:01+08:00")));
}

#[test]
fn reinspections_land_on_working_days() {
    let cal = Calendar::china();
    // Closed on Tue 2025-09-23: +7 = Tue 30 Sep (working); +30 = Thu 23 Oct (working);
    // closed Thu 2025-09-25: +7 = Thu 2 Oct (国庆节) → Thu 9 Oct? 9 Oct is a working day.
    let plan = reinspection_plan(
        at("2025-09-25T15:00:00+08:00"),
        &DEFAULT_REINSPECTIONS,
        &cal,
    );
    assert_eq!(plan[0].due, Date::from_ymd_const(2025, 10, 9));
    assert!(plan[1].night);
    assert_eq!(plan.len(), 3);
    for r in plan {
        assert!(cal.is_working_day(r.due));
    }
}

/// An arbitrary operation: (actor index, action index).
fn op() -> impl Strategy<Value = (usize, usize)> {
    (0usize..9, 0usize..12)
}

proptest! {
    /// Random sequences of operations never close a problem without an accepted verification
    /// with evidence by a person of another unit than the rectifying one, and every accepted
    /// operation yields exactly one event with the next sequence number.
    #[test]
    fn never_closed_without_independent_verification(ops in proptest::collection::vec(op(), 1..60)) {
        let c = cast();
        let actors = [c.dispatcher, c.admin, c.head, c.staff, c.other_head, c.worker, c.inspector, c.own_inspector, c.leader];
        let cal = Calendar::china();
        let clock = FixedClock::at(at("2025-01-06T10:00:00+08:00"));
        let mut p = problem();
        let mut log: Vec<Event> = Vec::new();
        for (a, k) in ops {
            clock.advance(3600);
            let act = match k {
                0 => assign(),
                1 => Action::Start,
                2 => submit(),
                3 => approve(),
                4 => Action::Reject { reason: "不合格".into() },
                5 => Action::Suspend { reason: "等".into() },
                6 => Action::Resume,
                7 => Action::Reopen { reason: "反弹".into() },
                8 => Action::Duplicate { of: 2 },
                9 => Action::Cancel { reason: "撤".into() },
                10 => Action::Escalate { to: Escalation::Listed },
                _ => Action::Submit { evidence: vec![], note: "无证据".into() },
            };
            if let Ok((n, e)) = transition(&p, &actors[a], act, clock.now(), &cal) {
                prop_assert_eq!(e.seq, log.len() as u64 + 1);
                prop_assert_eq!(e.from, p.state);
                prop_assert_eq!(e.to, n.state);
                log.push(e);
                p = n;
            }
            if p.state == State::Closed {
                let v = p.verification.clone().unwrap();
                prop_assert!(!v.evidence.is_empty());
                prop_assert!(Some(&v.unit) != p.unit.as_ref());
                prop_assert!(Some(&v.by) != p.submitted_by.as_ref());
                prop_assert!(Some(&v.by) != p.assignee.as_ref());
            }
        }
        prop_assert_eq!(p.seq, log.len() as u64);
    }
}

/// Campaign templates: every campaign of the seed page loads, and a new one is JSON alone.
mod campaigns {
    use super::*;
    use lantian_domain::campaign::*;
    use lantian_domain::org::UnitKind;

    #[test]
    fn every_seed_campaign_loads() {
        let c = Catalog::embedded().unwrap();
        let codes: Vec<&str> = c.campaigns().iter().map(|t| t.code.as_str()).collect();
        assert_eq!(
            codes,
            ["air", "safety", "audit", "nursing_home", "wheat_field"]
        );
        assert_eq!(c.default_campaign().unwrap().code, "air");
        let air = c.get("air").unwrap();
        for cat in [
            "site_dust",
            "road_cleaning",
            "enterprise_emissions",
            "cooking_fumes",
            "loose_coal",
            "voc_leaks",
            "straw_burning",
        ] {
            assert!(air.category(cat).is_some(), "air lacks {cat}");
        }
        assert_eq!(air.category("工地扬尘").unwrap().code, "site_dust");
        assert_eq!(
            air.category("road_cleaning").unwrap().mode,
            DefaultMode::Immediate { hours: 4 }
        );
        assert_eq!(
            air.reinspection_offsets("site_dust"),
            lantian_domain::ledger::DEFAULT_REINSPECTIONS.to_vec()
        );
        let safety = c.get("safety").unwrap();
        for cat in ["village_fire", "gas", "self_built_housing", "food_safety"] {
            assert!(safety.category(cat).is_some(), "safety lacks {cat}");
        }
        let audit = c.get("audit").unwrap();
        let items: Vec<&str> = audit
            .categories
            .iter()
            .flat_map(|c| c.checklist.iter().map(|i| i.zh.as_str()))
            .collect();
        assert!(items.iter().any(|i| i.contains("对账销号")));
        assert!(items.iter().any(|i| i.contains("一口清")));
        assert_eq!(
            audit.reinspection_offsets("institutional"),
            vec![(180, false)]
        );
        let home = c.get("nursing_home").unwrap();
        assert!(
            home.category("asset_inventory").is_some()
                && home.category("staff_placement").is_some()
        );
        let wheat = c.get("wheat_field").unwrap();
        let w = wheat.category("wells_power").unwrap();
        assert!(w.checklist.iter().any(|i| i.zh.contains("机井")));
        assert!(w.checklist.iter().any(|i| i.zh.contains("电力")));
        assert!(wheat.category("responsibility").unwrap().checklist.len() == 3);
        // Every category has an owner and a checklist, and each time-bound roadmap ends inside
        // its deadline.
        for t in c.campaigns() {
            for cat in &t.categories {
                assert!(!cat.checklist.is_empty());
                assert!(
                    !cat.responsible.unit_kinds.is_empty() || !cat.responsible.units.is_empty()
                );
                if let DefaultMode::TimeBound {
                    working_days,
                    milestones,
                } = &cat.mode
                {
                    assert!(milestones.iter().all(|m| m.working_days <= *working_days));
                }
            }
        }
    }

    #[test]
    fn a_new_campaign_is_configuration() {
        let text = r#"{
            "code": "heating_season",
            "name_zh": "冬季清洁取暖",
            "name_en": "Clean winter heating",
            "reinspections": [{ "days": 14, "night": true }],
            "categories": [{
                "code": "coal_return",
                "name_zh": "散煤复烧",
                "name_en": "Loose coal back in use",
                "mode": "time_bound",
                "working_days": 3,
                "milestones": [{ "title": "收缴散煤", "working_days": 1 }],
                "checklist": [{ "code": "stove", "zh": "无燃煤炉具", "en": "No coal stove" }],
                "responsible": { "unit_kinds": ["town"] },
                "source_kinds": ["coal_burning"]
            }]
        }"#;
        let t = CampaignTemplate::parse("heating.json", text).unwrap();
        let mut c = Catalog::embedded().unwrap();
        c.add("heating.json", t.clone()).unwrap();
        let got = c.get("heating_season").unwrap().clone();
        assert_eq!(got.categories[0].responsible.unit_kinds, [UnitKind::Town]);
        assert_eq!(got.reinspection_offsets("coal_return"), vec![(14, true)]);
        // The mode becomes a problem's mode with dated milestones on the working-day calendar:
        // from Fri 2025-01-24, 1 working day is the make-up Sunday 26 Jan.
        let m = got.categories[0]
            .mode
            .instantiate(at("2025-01-24T10:00:00+08:00"), &Calendar::china());
        let Mode::TimeBound {
            working_days,
            milestones,
        } = m
        else {
            panic!("{m:?}")
        };
        assert_eq!(working_days, 3);
        assert_eq!(milestones[0].due, at("2025-01-27T00:00:00+08:00"));
        // Adding it twice is refused; so is a second default.
        assert!(
            c.add("again.json", t)
                .unwrap_err()
                .why
                .contains("already exists")
        );
        let mut second = CampaignTemplate::parse("heating.json", text).unwrap();
        second.code = "other".into();
        second.default = true;
        assert_eq!(c.add("other.json", second).unwrap_err().field, "default");
        // What is serialised parses back to the same template.
        let json = serde_json::to_string(&got).unwrap();
        assert_eq!(CampaignTemplate::parse("round-trip", &json).unwrap(), got);
    }

    #[test]
    fn errors_name_file_and_field() {
        let good = include_str!("../data/campaigns/air.json");
        let cases: [(&str, &str, &str); 7] = [
            ("\"hours\": 24", "\"hous\": 24", "categories[0].hous"),
            ("\"hours\": 4", "\"hours\": 0", "categories[1].hours"),
            (
                "\"mode\": \"immediate\"",
                "\"mode\": \"soon\"",
                "categories[0].mode",
            ),
            (
                "\"units\": [\"ZJJ\"]",
                "\"units\": [\"Z J\"]",
                "categories[0].responsible.units[0]",
            ),
            (
                "\"title\": \"监测达标\", \"working_days\": 10",
                "\"title\": \"监测达标\", \"working_days\": 11",
                "categories[2].milestones[2].working_days",
            ),
            (
                "{ \"days\": 30, \"night\": true }",
                "{ \"days\": 3, \"night\": true }",
                "reinspections[1].days",
            ),
            (
                "\"code\": \"road_cleaning\"",
                "\"code\": \"site_dust\"",
                "categories[1].code",
            ),
        ];
        for (from, to, field) in cases {
            assert!(good.contains(from), "{from}");
            let bad = good.replacen(from, to, 1);
            let e = CampaignTemplate::parse("air.json", &bad).unwrap_err();
            assert_eq!(
                (e.file.as_str(), e.field.as_str()),
                ("air.json", field),
                "{e}"
            );
        }
        let e = CampaignTemplate::parse("x.json", "{\"code\": \"x\",").unwrap_err();
        assert!(e.to_string().starts_with("x.json: line 1 column"), "{e}");
        let e = CampaignTemplate::parse("x.json", "[]").unwrap_err();
        assert_eq!(e.to_string(), "x.json: (top): must be an object");
    }
}

/// Inspections: night window, sealed lists, independence, check-in distance, findings →
/// problems, re-inspection → rebound.
mod inspections {
    use super::*;
    use lantian_domain::ContentHash;
    use lantian_domain::campaign::Catalog;
    use lantian_domain::geo::{Area, Point, Polygon};
    use lantian_domain::inspection::*;

    fn target(name: &str, unit: &str) -> Target {
        Target {
            kind: TargetKind::Source,
            code: format!("S-{}", name.chars().count()),
            name: name.into(),
            location: Some(Point::new(113.30, 35.20).unwrap()),
            grid: Some(RegionCode::parse("G1").unwrap()),
            unit: Some(UnitCode::parse(unit).unwrap()),
        }
    }

    fn team() -> Vec<Inspector> {
        vec![Inspector::from(&cast().inspector)]
    }

    fn draft(mode: InspectionMode, targets: Vec<Target>) -> PlanDraft {
        PlanDraft {
            id: 7,
            campaign: "air".into(),
            mode,
            title: "夜间暗访涉气企业".into(),
            planned_for: at("2025-12-23T21:00:00+08:00"),
            team: team(),
            targets,
            problem: None,
        }
    }

    fn record(mode: InspectionMode, check_in: &str) -> InspectionRecord {
        InspectionRecord {
            id: 1,
            plan: None,
            campaign: "air".into(),
            mode,
            inspectors: team(),
            target: target("卓立膜材料", "ZJJ"),
            check_in: CheckIn {
                at: at(check_in),
                // About 111 m north of the target.
                position: Point::new(113.30, 35.201).unwrap(),
            },
            results: vec![ChecklistResult {
                item: "control_running".into(),
                outcome: Outcome::Fail,
                note: "活性炭未更换".into(),
            }],
            findings: vec![FindingDraft {
                category: "voc_leaks".into(),
                description: "有机废气收集设施未运行".into(),
                evidence: vec![ContentHash::of(b"photo-1")],
                mode: None,
            }],
            evidence: vec![ContentHash::of(b"photo-0")],
            reinspection: None,
        }
    }

    #[test]
    fn night_is_local_time() {
        let w = NightWindow::default();
        assert!(!w.contains(at("2025-12-23T21:59:59+08:00")));
        assert!(w.contains(at("2025-12-23T22:00:00+08:00")));
        assert!(w.contains(at("2025-12-24T05:59:59+08:00")));
        assert!(!w.contains(at("2025-12-24T06:00:00+08:00")));
        // 23:00 local is 15:00 UTC: the window is Asia/Shanghai time, not UTC.
        assert!(w.contains(at("2025-12-23T15:00:00Z")));
        let early = NightWindow::new((20, 0), (6, 0)).unwrap();
        assert!(early.contains(at("2025-12-23T20:30:00+08:00")));
        assert!(NightWindow::new((24, 0), (6, 0)).is_none());
        assert!(NightWindow::new((6, 0), (6, 0)).is_none());
        let day = NightWindow::new((9, 0), (17, 0)).unwrap();
        assert!(day.contains(at("2025-12-23T09:00:00+08:00")));
        assert!(!day.contains(at("2025-12-23T17:00:00+08:00")));
    }

    #[test]
    fn sealed_list_is_hidden_until_dispatch_and_must_match() {
        let c = cast();
        let targets = vec![target("卓立膜材料", "ZJJ"), target("鑫汇兴包装", "ZJJ")];
        let nonce = Nonce::from_bytes([7; 32]);
        let (plan, list) = InspectionPlan::new(
            draft(InspectionMode::Unannounced, targets.clone()),
            &c.dispatcher,
            Some(nonce.clone()),
            at("2025-12-23T08:00:00+08:00"),
        )
        .unwrap();
        let list = list.unwrap();
        assert_eq!(plan.visible_targets(), None);
        assert_eq!(plan.seal(), Some(&list.hash()));
        // The serialised plan does not contain a target's name.
        let json = serde_json::to_string(&plan).unwrap();
        assert!(!json.contains("卓立膜材料"), "{json}");
        // Dispatch needs the dispatcher, and the list.
        assert!(matches!(
            plan.dispatch(&c.inspector, Some(&list), at("2025-12-23T21:00:00+08:00")),
            Err(InspectionError::Forbidden(_))
        ));
        assert!(
            plan.dispatch(&c.dispatcher, None, at("2025-12-23T21:00:00+08:00"))
                .is_err()
        );
        // A tampered list is refused: swapped order, a changed name, another nonce.
        let mut swapped = list.clone();
        swapped.targets.reverse();
        let mut renamed = list.clone();
        renamed.targets[1].name = "特光照明".into();
        let mut resalted = list.clone();
        resalted.nonce = Nonce::from_bytes([8; 32]);
        for bad in [swapped, renamed, resalted] {
            let e = plan
                .dispatch(&c.dispatcher, Some(&bad), at("2025-12-23T21:00:00+08:00"))
                .unwrap_err();
            assert!(matches!(e, InspectionError::SealMismatch { .. }), "{e}");
        }
        let sent = plan
            .dispatch(&c.dispatcher, Some(&list), at("2025-12-23T21:00:00+08:00"))
            .unwrap();
        assert_eq!(sent.visible_targets(), Some(targets.as_slice()));
        assert_eq!(sent.dispatched_at, Some(at("2025-12-23T21:00:00+08:00")));
        assert!(
            sent.dispatch(&c.dispatcher, Some(&list), at("2025-12-23T22:00:00+08:00"))
                .is_err()
        );
        // The nonce survives a JSON round trip (the store keeps the list until dispatch).
        let back: SealedList =
            serde_json::from_str(&serde_json::to_string(&list).unwrap()).unwrap();
        assert_eq!(back.hash(), list.hash());
        // Only unannounced plans are sealed, and they must be.
        assert!(
            InspectionPlan::new(
                draft(InspectionMode::Unannounced, targets.clone()),
                &c.dispatcher,
                None,
                at("2025-12-23T08:00:00+08:00")
            )
            .is_err()
        );
        assert!(
            InspectionPlan::new(
                draft(InspectionMode::Routine, targets.clone()),
                &c.dispatcher,
                Some(nonce),
                at("2025-12-23T08:00:00+08:00")
            )
            .is_err()
        );
        let (open, none) = InspectionPlan::new(
            draft(InspectionMode::Routine, targets.clone()),
            &c.dispatcher,
            None,
            at("2025-12-23T08:00:00+08:00"),
        )
        .unwrap();
        assert!(none.is_none());
        assert_eq!(open.visible_targets(), Some(targets.as_slice()));
        assert!(
            InspectionPlan::new(
                draft(InspectionMode::Routine, targets),
                &c.inspector,
                None,
                at("2025-12-23T08:00:00+08:00")
            )
            .is_err()
        );
    }

    #[test]
    fn records_carry_out_dispatched_plans() {
        let c = cast();
        let targets = vec![target("卓立膜材料", "ZJJ")];
        let (plan, list) = InspectionPlan::new(
            draft(InspectionMode::Unannounced, targets),
            &c.dispatcher,
            Some(Nonce::from_bytes([3; 32])),
            at("2025-12-23T08:00:00+08:00"),
        )
        .unwrap();
        let mut r = record(InspectionMode::Unannounced, "2025-12-23T22:10:00+08:00");
        r.plan = Some(plan.id);
        assert!(plan.check_record(&r).is_err(), "not dispatched yet");
        let sent = plan
            .dispatch(
                &c.dispatcher,
                list.as_ref(),
                at("2025-12-23T22:00:00+08:00"),
            )
            .unwrap();
        assert_eq!(sent.check_record(&r), Ok(()));
        assert!(r.is_night(&NightWindow::default()));
        let mut early = r.clone();
        early.check_in.at = at("2025-12-23T21:50:00+08:00");
        assert!(
            sent.check_record(&early).is_err(),
            "checked in before dispatch"
        );
        let mut elsewhere = r.clone();
        elsewhere.target = target("特光照明", "ZJJ");
        assert!(
            sent.check_record(&elsewhere).is_err(),
            "target not in the plan"
        );
        let mut stranger = r.clone();
        stranger.inspectors = vec![Inspector::from(&c.dispatcher)];
        assert!(sent.check_record(&stranger).is_err(), "not on the team");
        let mut routine = r.clone();
        routine.mode = InspectionMode::Routine;
        assert!(sent.check_record(&routine).is_err(), "mode differs");
    }

    #[test]
    fn never_inspects_own_unit() {
        let c = cast();
        // The inspector of CGZX is on a team inspecting CGZX's work.
        let mut d = draft(InspectionMode::Routine, vec![target("世纪路", "CGZX")]);
        d.team.push(Inspector::from(&c.own_inspector));
        let e = InspectionPlan::new(d, &c.dispatcher, None, at("2025-12-23T08:00:00+08:00"))
            .unwrap_err();
        assert!(
            matches!(&e, InspectionError::OwnUnit { unit, .. } if unit.as_str() == "CGZX"),
            "{e}"
        );
        // A sealed list is checked when revealed.
        let mut d = draft(InspectionMode::Unannounced, vec![target("世纪路", "CGZX")]);
        d.team = vec![Inspector::from(&c.own_inspector)];
        assert!(
            InspectionPlan::new(
                d,
                &c.dispatcher,
                Some(Nonce::from_bytes([1; 32])),
                at("2025-12-23T08:00:00+08:00")
            )
            .is_err()
        );
        // A record by an inspector of the target's unit is refused.
        let camp = Catalog::embedded().unwrap();
        let air = camp.get("air").unwrap();
        let mut r = record(InspectionMode::Routine, "2025-12-23T10:00:00+08:00");
        r.inspectors = vec![Inspector::from(&c.own_inspector)];
        r.target.unit = Some(UnitCode::parse("CGZX").unwrap());
        assert!(matches!(
            r.check(air, &CheckInPolicy::default(), None),
            Err(InspectionError::OwnUnit { .. })
        ));
        // The inspected (unit heads and staff) are not inspectors.
        r.inspectors = vec![Inspector::from(&c.other_head)];
        assert!(matches!(
            r.check(air, &CheckInPolicy::default(), None),
            Err(InspectionError::RoleNotAllowed { .. })
        ));
        r.inspectors = vec![];
        assert_eq!(
            r.check(air, &CheckInPolicy::default(), None),
            Err(InspectionError::NoInspectors)
        );
    }

    #[test]
    fn record_checks_night_distance_and_campaign() {
        let camp = Catalog::embedded().unwrap();
        let air = camp.get("air").unwrap();
        let pol = CheckInPolicy::default();
        let r = record(InspectionMode::Night, "2025-12-23T23:10:00+08:00");
        let ok = r.check(air, &pol, None).unwrap();
        assert!(ok.night && !ok.too_far);
        let Placement::Point { distance_m } = ok.placement else {
            panic!()
        };
        assert!((distance_m - 111.2).abs() < 1.0, "{distance_m}");
        // A 夜查 that checks in by day is refused; a routine one by day is fine but not night.
        let day = record(InspectionMode::Night, "2025-12-23T19:30:00+08:00");
        assert!(matches!(
            day.check(air, &pol, None),
            Err(InspectionError::NotNight { .. })
        ));
        let routine = record(InspectionMode::Routine, "2025-12-23T19:30:00+08:00");
        assert!(!routine.check(air, &pol, None).unwrap().night);
        // 2 km away: flagged, not refused.
        let mut far = record(InspectionMode::Routine, "2025-12-23T10:00:00+08:00");
        far.check_in.position = Point::new(113.30, 35.218).unwrap();
        assert!(far.check(air, &pol, None).unwrap().too_far);
        // No point: judged against the grid polygon (0 inside), or flagged when unknown.
        let grid = Area(vec![
            Polygon::new(vec![vec![
                Point::new(113.29, 35.19).unwrap(),
                Point::new(113.31, 35.19).unwrap(),
                Point::new(113.31, 35.21).unwrap(),
                Point::new(113.29, 35.21).unwrap(),
                Point::new(113.29, 35.19).unwrap(),
            ]])
            .unwrap(),
        ]);
        let mut g = record(InspectionMode::Routine, "2025-12-23T10:00:00+08:00");
        g.target.location = None;
        assert_eq!(
            g.check(air, &pol, Some(&grid)).unwrap().placement,
            Placement::Grid { distance_m: 0.0 }
        );
        assert!(g.check(air, &pol, None).unwrap().too_far);
        g.check_in.position = Point::new(113.30, 35.22).unwrap(); // 0.01° north of the edge
        let Placement::Grid { distance_m } = g.check(air, &pol, Some(&grid)).unwrap().placement
        else {
            panic!()
        };
        assert!((distance_m - 1112.0).abs() < 5.0, "{distance_m}");
        // Items and categories come from the campaign; findings carry evidence.
        let mut bad = record(InspectionMode::Routine, "2025-12-23T10:00:00+08:00");
        bad.results[0].item = "no_such_item".into();
        assert!(matches!(
            bad.check(air, &pol, None),
            Err(InspectionError::UnknownChecklistItem { .. })
        ));
        let mut bad = record(InspectionMode::Routine, "2025-12-23T10:00:00+08:00");
        bad.findings[0].evidence.clear();
        assert_eq!(
            bad.check(air, &pol, None),
            Err(InspectionError::FindingWithoutEvidence { index: 0 })
        );
        let mut bad = record(InspectionMode::Routine, "2025-12-23T10:00:00+08:00");
        bad.findings[0].category = "gas".into();
        assert!(matches!(
            bad.check(air, &pol, None),
            Err(InspectionError::UnknownCategory { .. })
        ));
        // A re-inspection record names its problem; no other record does.
        let rr = record(InspectionMode::Reinspection, "2025-12-23T10:00:00+08:00");
        assert!(rr.check(air, &pol, None).is_err());
    }

    #[test]
    fn findings_become_problems() {
        let camp = Catalog::embedded().unwrap();
        let air = camp.get("air").unwrap();
        let mut r = record(InspectionMode::Routine, "2025-12-23T10:00:00+08:00");
        r.findings.push(FindingDraft {
            category: "工地扬尘".into(),
            description: "裸土未覆盖".into(),
            evidence: vec![ContentHash::of(b"photo-2")],
            mode: Some(Mode::Immediate { hours: 2 }),
        });
        let ps = r.problems(100, air, &Calendar::china()).unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!((ps[0].id, ps[1].id), (100, 101));
        assert_eq!(ps[0].campaign, "air");
        assert_eq!(ps[0].category, "voc_leaks");
        assert_eq!(ps[1].category, "site_dust");
        assert_eq!(ps[0].state, State::New);
        assert_eq!(ps[0].finding, Finding::Inspection);
        assert_eq!(ps[0].found_at, r.check_in.at);
        assert_eq!(ps[0].grid, r.target.grid);
        assert_eq!(ps[0].source.as_ref().unwrap().as_str(), "S-5");
        // A source target's code must be a source id.
        let mut bad = r.clone();
        bad.target.code = "not a source id".into();
        assert!(bad.problems(100, air, &Calendar::china()).is_err());
        assert!(bad.check(air, &CheckInPolicy::default(), None).is_err());
        let Mode::TimeBound {
            working_days: 15,
            milestones,
        } = &ps[0].mode
        else {
            panic!("{:?}", ps[0].mode)
        };
        assert_eq!(milestones.len(), 2);
        assert_eq!(ps[1].mode, Mode::Immediate { hours: 2 });
    }

    #[test]
    fn failed_reinspection_reopens_as_rebound() {
        let c = cast();
        let cal = Calendar::china();
        let camp = Catalog::embedded().unwrap();
        let air = camp.get("air").unwrap();
        let closed = to_state(State::Closed);
        let mut r = record(InspectionMode::Reinspection, "2025-02-05T23:00:00+08:00");
        r.findings.clear();
        r.target.unit = closed.unit.clone();
        r.reinspection = Some(Reinspection {
            problem: closed.id,
            outcome: ReinspectionOutcome::Rebounded {
                reason: "回头看发现路面积尘".into(),
            },
        });
        assert!(r.check(air, &CheckInPolicy::default(), None).is_ok());
        let now = at("2025-02-05T23:30:00+08:00");
        let (p, ev) = apply_reinspection(&closed, &r, &c.inspector, now, &cal)
            .unwrap()
            .unwrap();
        assert_eq!(p.state, State::Reopened);
        assert_eq!(p.rebounds, 1);
        assert_eq!(ev.action.code(), "reopen");
        assert_eq!((ev.from, ev.to), (State::Closed, State::Reopened));
        // Held: nothing changes.
        let mut held = r.clone();
        held.reinspection = Some(Reinspection {
            problem: closed.id,
            outcome: ReinspectionOutcome::Held,
        });
        assert_eq!(
            apply_reinspection(&closed, &held, &c.inspector, now, &cal).unwrap(),
            None
        );
        // Not by the problem's own unit, nor by someone off the team.
        let mut own = r.clone();
        own.inspectors = vec![Inspector::from(&c.own_inspector)];
        assert!(matches!(
            apply_reinspection(&closed, &own, &c.own_inspector, now, &cal),
            Err(InspectionError::OwnUnit { .. })
        ));
        assert!(matches!(
            apply_reinspection(&closed, &r, &c.worker, now, &cal),
            Err(InspectionError::Forbidden(_))
        ));
        // A problem that is not closed cannot rebound: the ledger refuses.
        let open = to_state(State::Rectifying);
        assert!(matches!(
            apply_reinspection(&open, &r, &c.inspector, now, &cal),
            Err(InspectionError::Ledger(_))
        ));
    }

    fn arb_target() -> impl Strategy<Value = Target> {
        (
            "[a-z]{1,8}",
            "\\PC{0,12}",
            proptest::option::of((113.0f64..114.0, 35.0f64..36.0)),
            proptest::option::of("[A-Z]{2,6}"),
        )
            .prop_map(|(code, name, loc, unit)| Target {
                kind: TargetKind::Source,
                code,
                name,
                location: loc.map(|(lon, lat)| Point::new(lon, lat).unwrap()),
                grid: None,
                unit: unit.map(|u| UnitCode::parse(&u).unwrap()),
            })
    }

    proptest! {
        /// The default night window is 22:00–06:00 local, whatever the UTC date.
        #[test]
        fn night_window_is_local_hours(t in 1_600_000_000i64..1_900_000_000) {
            let local_hour = (t + 8 * 3600).rem_euclid(86_400) / 3600;
            let expected = !(6..22).contains(&local_hour);
            prop_assert_eq!(NightWindow::default().contains(Timestamp(t)), expected);
        }

        /// A sealed list reveals against its own seal, and any change to one target, the order
        /// or the nonce is detected.
        #[test]
        fn seal_round_trips_and_detects_tampering(
            targets in proptest::collection::vec(arb_target(), 1..6),
            nonce in proptest::array::uniform32(any::<u8>()),
            which in 0usize..4,
            pick in any::<proptest::sample::Index>(),
        ) {
            let (hash, list) = seal(targets, Nonce::from_bytes(nonce)).unwrap();
            prop_assert!(reveal(&hash, &list).is_ok());
            let json = serde_json::to_string(&list).unwrap();
            let back: SealedList = serde_json::from_str(&json).unwrap();
            prop_assert!(reveal(&hash, &back).is_ok());
            let mut bad = list.clone();
            let i = pick.index(bad.targets.len());
            match which {
                0 => bad.targets[i].name.push('x'),
                1 => bad.targets[i].code.push('x'),
                2 => { let mut n = nonce; n[i % 32] ^= 1; bad.nonce = Nonce::from_bytes(n); }
                _ => { let t = bad.targets[i].clone(); bad.targets.push(t); }
            }
            let tampered = reveal(&hash, &bad).is_err();
            prop_assert!(tampered);
        }
    }
}

/// Enforcement cases: every allowed and forbidden transition, by state and by role, and a
/// property test that no step is ever skipped.
mod enforcement {
    use super::*;
    use lantian_domain::ContentHash;
    use lantian_domain::enforcement::*;
    use lantian_domain::enforcement::{file, transition};

    fn officer(n: u32) -> Actor {
        actor(&format!("officer-{n}"), "ZFJ", Role::EnforcementOfficer)
    }

    fn draft() -> CaseDraft {
        CaseDraft {
            id: 3,
            title: "未按规定使用VOCs治理设施".into(),
            party: "焦作某包装有限公司".into(),
            sources: vec![lantian_domain::SourceId::parse("S-0042").unwrap()],
            problems: vec![1],
        }
    }

    fn fen(y: i64) -> Fen {
        Fen::new(y * 100).unwrap()
    }

    /// The action that leads into `to`, as its proper actor would give it.
    fn step(to: CaseState) -> (Actor, CaseAction) {
        match to {
            CaseState::Filed => unreachable!("filing is `file`"),
            CaseState::Investigated => (
                officer(1),
                CaseAction::Investigate {
                    officers: vec![officer(1).person, officer(2).person],
                    findings: "活性炭吸附装置未运行".into(),
                    evidence: vec![ContentHash::of(b"record")],
                },
            ),
            CaseState::Noticed => (
                officer(2),
                CaseAction::Notify {
                    notice_no: "焦高环罚告〔2025〕3号".into(),
                    proposed: fen(50_000),
                },
            ),
            CaseState::PenaltyDecided => (
                cast().admin,
                CaseAction::DecidePenalty {
                    decision_no: "焦高环罚〔2025〕3号".into(),
                    amount: fen(40_000),
                },
            ),
            CaseState::Executed => (
                officer(1),
                CaseAction::Execute {
                    collected: fen(40_000),
                    evidence: vec![ContentHash::of(b"receipt")],
                },
            ),
            CaseState::Closed => (
                officer(1),
                CaseAction::Close {
                    summary: "罚款已缴纳，设施已恢复运行".into(),
                },
            ),
        }
    }

    fn case_at(state: CaseState) -> EnforcementCase {
        let t = at("2025-12-24T10:00:00+08:00");
        let (mut c, _) = file(draft(), &officer(1), t).unwrap();
        for s in CaseState::ALL.iter().skip(1).take_while(|s| **s <= state) {
            let (a, act) = step(*s);
            c = transition(&c, &a, act, t).unwrap().0;
        }
        assert_eq!(c.state, state);
        c
    }

    #[test]
    fn money_is_exact_fen() {
        assert_eq!(Fen::parse_yuan("50,000.5").unwrap().fen(), 5_000_050);
        assert_eq!(Fen::parse_yuan("12").unwrap().to_string(), "12.00");
        assert_eq!(Fen::new(7).unwrap().to_string(), "0.07");
        for bad in ["", "-1", "1.234", "1e3", "一万"] {
            assert!(Fen::parse_yuan(bad).is_err(), "{bad}");
        }
        assert!(Fen::new(-1).is_err());
        assert!(serde_json::from_str::<Fen>("-5").is_err());
    }

    #[test]
    fn filing() {
        let t = at("2025-12-24T10:00:00+08:00");
        let (c, ev) = file(draft(), &officer(1), t).unwrap();
        assert_eq!(
            (c.state, c.seq, ev.seq, ev.from, ev.to),
            (CaseState::Filed, 1, 1, None, CaseState::Filed)
        );
        assert_eq!(c.unit.as_str(), "ZFJ");
        let cs = cast();
        for a in [&cs.dispatcher, &cs.admin] {
            assert!(file(draft(), a, t).is_ok());
        }
        for a in [&cs.head, &cs.staff, &cs.worker, &cs.inspector, &cs.leader] {
            assert!(
                matches!(file(draft(), a, t), Err(CaseError::Forbidden { .. })),
                "{:?}",
                a.role
            );
        }
        let mut unlinked = draft();
        unlinked.problems.clear();
        unlinked.sources.clear();
        assert!(matches!(
            file(unlinked, &officer(1), t),
            Err(CaseError::Rule(_))
        ));
    }

    /// Every (state, action) pair by its proper actor: allowed exactly from the state before.
    #[test]
    fn transition_matrix_by_state() {
        let t = at("2025-12-25T10:00:00+08:00");
        for from in CaseState::ALL {
            for to in CaseState::ALL.into_iter().skip(1) {
                let c = case_at(from);
                let (a, act) = step(to);
                let r = transition(&c, &a, act, t);
                if from.next() == Some(to) {
                    let (n, ev) = r.unwrap_or_else(|e| panic!("{from:?} → {to:?}: {e}"));
                    assert_eq!(
                        (n.state, ev.from, ev.to, ev.seq),
                        (to, Some(from), to, c.seq + 1)
                    );
                } else {
                    assert!(
                        matches!(r, Err(CaseError::WrongState { .. })),
                        "{from:?} → {to:?}: {r:?}"
                    );
                }
            }
        }
    }

    /// Every action from its proper state, by every role: allowed for exactly the roles the
    /// procedure names.
    #[test]
    fn transition_matrix_by_actor() {
        let cs = cast();
        let t = at("2025-12-25T10:00:00+08:00");
        let off_case = actor("officer-9", "ZFJ", Role::EnforcementOfficer);
        let actors: [(&str, Actor); 11] = [
            ("dispatcher", cs.dispatcher),
            ("admin", cs.admin),
            ("head", cs.head),
            ("staff", cs.staff),
            ("other_head", cs.other_head),
            ("worker", cs.worker),
            ("inspector", cs.inspector),
            ("leader", cs.leader),
            ("officer-1", officer(1)),
            ("officer-2", officer(2)),
            ("officer-9", off_case),
        ];
        for to in CaseState::ALL.into_iter().skip(1) {
            let allowed: &[&str] = match to {
                // The acting officer must be one of the investigators (officer-1 and -2).
                CaseState::Investigated => &["officer-1", "officer-2"],
                CaseState::Noticed | CaseState::Executed => &["officer-1", "officer-2"],
                CaseState::PenaltyDecided => &["admin"],
                CaseState::Closed => &["admin", "officer-1", "officer-2"],
                CaseState::Filed => unreachable!(),
            };
            let from =
                case_at(CaseState::ALL[CaseState::ALL.iter().position(|s| *s == to).unwrap() - 1]);
            for (name, a) in &actors {
                let (_, act) = step(to);
                let r = transition(&from, a, act, t);
                if allowed.contains(name) {
                    assert!(r.is_ok(), "{name} → {to:?}: {r:?}");
                } else {
                    assert!(
                        matches!(r, Err(CaseError::Forbidden { .. })),
                        "{name} → {to:?}: {r:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn procedure_rules() {
        let t = at("2025-12-25T10:00:00+08:00");
        let filed = case_at(CaseState::Filed);
        // Two officers, findings and evidence.
        let one = CaseAction::Investigate {
            officers: vec![officer(1).person, officer(1).person],
            findings: "x".into(),
            evidence: vec![ContentHash::of(b"e")],
        };
        assert!(matches!(
            transition(&filed, &officer(1), one, t),
            Err(CaseError::Rule(_))
        ));
        let bare = CaseAction::Investigate {
            officers: vec![officer(1).person, officer(2).person],
            findings: "x".into(),
            evidence: vec![],
        };
        assert!(matches!(
            transition(&filed, &officer(1), bare, t),
            Err(CaseError::Rule(_))
        ));
        // The decision may not exceed the notice.
        let noticed = case_at(CaseState::Noticed);
        let heavier = CaseAction::DecidePenalty {
            decision_no: "N".into(),
            amount: fen(60_000),
        };
        assert!(matches!(
            transition(&noticed, &cast().admin, heavier, t),
            Err(CaseError::Rule(_))
        ));
        let unnumbered = CaseAction::DecidePenalty {
            decision_no: " ".into(),
            amount: fen(1),
        };
        assert!(matches!(
            transition(&noticed, &cast().admin, unnumbered, t),
            Err(CaseError::Rule(_))
        ));
        // Execution collects exactly the amount decided, with a receipt.
        let decided = case_at(CaseState::PenaltyDecided);
        assert_eq!(decided.penalty, Some(fen(40_000)));
        let short = CaseAction::Execute {
            collected: fen(30_000),
            evidence: vec![ContentHash::of(b"r")],
        };
        assert!(matches!(
            transition(&decided, &officer(1), short, t),
            Err(CaseError::Rule(_))
        ));
        let closed = case_at(CaseState::Closed);
        assert_eq!(closed.collected, Some(fen(40_000)));
        assert_eq!(closed.seq, 6);
        assert_eq!(closed.evidence.len(), 2);
        let empty = CaseAction::Close { summary: "".into() };
        assert!(matches!(
            transition(&case_at(CaseState::Executed), &officer(1), empty, t),
            Err(CaseError::Rule(_))
        ));
    }

    proptest! {
        /// Yuan text and fen round-trip exactly.
        #[test]
        fn fen_round_trips(f in 0i64..1_000_000_000_000) {
            let fen = Fen::new(f).unwrap();
            prop_assert_eq!(Fen::parse_yuan(&fen.to_string()).unwrap(), fen);
        }

        /// Random sequences of steps by random actors never skip a state: every accepted step
        /// goes to the next state, with the next sequence number.
        #[test]
        fn never_skips_a_state(ops in proptest::collection::vec((0usize..5, 0usize..5), 1..40)) {
            let t = at("2025-12-25T10:00:00+08:00");
            let actors = [officer(1), officer(2), cast().admin, cast().dispatcher, officer(9)];
            let (mut c, ev) = file(draft(), &officer(1), t).unwrap();
            let mut log = vec![ev];
            for (a, k) in ops {
                let (_, act) = step(CaseState::ALL[k + 1]);
                if let Ok((n, ev)) = transition(&c, &actors[a], act, t) {
                    prop_assert_eq!(ev.from, Some(c.state));
                    prop_assert_eq!(Some(ev.to), c.state.next());
                    prop_assert_eq!(ev.seq, log.len() as u64 + 1);
                    log.push(ev);
                    c = n;
                }
            }
            prop_assert_eq!(CaseState::ALL[log.len() - 1], c.state);
            prop_assert_eq!(c.seq, log.len() as u64);
        }
    }
}

/// Accountability records: traceable, fit for their subject, decided by the command.
mod accountability {
    use super::*;
    use lantian_domain::accountability::*;

    fn d(
        subject: Subject,
        kind: AccountabilityKind,
        reason: &str,
        problems: Vec<u64>,
    ) -> AccountabilityDraft {
        AccountabilityDraft {
            id: 1,
            subject,
            kind,
            reason: reason.into(),
            problems,
        }
    }

    #[test]
    fn validation() {
        let c = cast();
        let t = at("2025-12-26T10:00:00+08:00");
        let unit = Subject::Unit {
            unit: UnitCode::parse("CGZX").unwrap(),
        };
        let person = Subject::Person {
            person: PersonId::parse("head-cgzx").unwrap(),
            unit: UnitCode::parse("CGZX").unwrap(),
        };
        // Problems or a reason; either is enough.
        let r = AccountabilityRecord::new(
            d(unit.clone(), AccountabilityKind::Interview, "", vec![1, 2]),
            &c.admin,
            t,
        )
        .unwrap();
        assert_eq!((r.decided_by.as_str(), r.problems.len()), ("admin", 2));
        assert!(
            AccountabilityRecord::new(
                d(
                    unit.clone(),
                    AccountabilityKind::PublicCriticism,
                    "道路保洁连续三周排名末位",
                    vec![]
                ),
                &c.leader,
                t
            )
            .is_ok()
        );
        assert_eq!(
            AccountabilityRecord::new(
                d(unit.clone(), AccountabilityKind::Interview, "  ", vec![]),
                &c.admin,
                t
            ),
            Err(AccountabilityError::Untraceable)
        );
        // People-only kinds are refused against a unit.
        assert!(matches!(
            AccountabilityRecord::new(
                d(unit.clone(), AccountabilityKind::Admonishment, "x", vec![1]),
                &c.admin,
                t
            ),
            Err(AccountabilityError::NotForUnits { .. })
        ));
        assert!(
            AccountabilityRecord::new(
                d(person, AccountabilityKind::Admonishment, "x", vec![1]),
                &c.admin,
                t
            )
            .is_ok()
        );
        // Decided by the command or a leader only; a problem linked once.
        for a in [&c.dispatcher, &c.head, &c.inspector, &c.worker] {
            assert!(matches!(
                AccountabilityRecord::new(
                    d(unit.clone(), AccountabilityKind::Interview, "x", vec![1]),
                    a,
                    t
                ),
                Err(AccountabilityError::Forbidden { .. })
            ));
        }
        assert_eq!(
            AccountabilityRecord::new(
                d(unit, AccountabilityKind::Interview, "x", vec![1, 1]),
                &c.admin,
                t
            ),
            Err(AccountabilityError::DuplicateProblem(1))
        );
        assert_eq!(
            AccountabilityKind::parse("诫勉"),
            Some(AccountabilityKind::Admonishment)
        );
        assert_eq!(
            AccountabilityKind::parse("约谈"),
            Some(AccountabilityKind::Interview)
        );
        assert_eq!(AccountabilityKind::parse("通报"), None);
    }
}

/// Scorecard figures per unit.
mod scorecards {
    use super::*;
    use lantian_domain::scorecard::*;

    #[test]
    fn on_time_overdue_and_rebounds() {
        let c = cast();
        let cal = Calendar::china();
        // Closed on time (assigned 11:00, 24 h, closed at 11:00 the same day).
        let on_time = to_state(State::Closed);
        // Closed late: approve two days after the deadline.
        let mut late = to_state(State::Submitted);
        late.id = 2;
        late = transition(
            &late,
            &c.inspector,
            approve(),
            at("2025-01-09T12:00:00+08:00"),
            &cal,
        )
        .unwrap()
        .0;
        // Overdue and open at the instant; rebounded once.
        let mut rebounded = to_state(State::Reopened);
        rebounded.id = 3;
        let mut open = to_state(State::Rectifying);
        open.id = 4;
        // Cancelled and unassigned problems count for no one.
        let mut cancelled = to_state(State::Cancelled);
        cancelled.id = 5;
        let unassigned = problem();
        let now = at("2025-01-10T10:00:00+08:00");
        let all = [on_time, late, rebounded, open, cancelled, unassigned];
        let s = scorecards(&all, now);
        assert_eq!(s.len(), 1);
        let u = &s[0];
        assert_eq!(u.unit.as_str(), "CGZX");
        assert_eq!((u.total, u.open, u.closed), (4, 2, 2));
        assert_eq!((u.closed_with_deadline, u.closed_on_time), (2, 1));
        assert_eq!(u.on_time_rate(), Some(0.5));
        assert_eq!((u.overdue, u.overdue_ids.clone()), (2, vec![3, 4]));
        assert_eq!((u.rebounds, u.rebound_ids.clone()), (1, vec![3]));
        // Before the deadline nothing is overdue.
        let early = scorecards(&all, at("2025-01-06T12:00:00+08:00"));
        assert_eq!(early[0].overdue, 0);
        assert!(scorecards(&[], now).is_empty());
    }
}

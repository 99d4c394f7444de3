//! Integration tests of the domain: the problem ledger's transitions (every allowed and every
//! forbidden one), its invariants under random sequences, and escalation and re-inspection
//! driven by a mock clock across holidays and make-up days.

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

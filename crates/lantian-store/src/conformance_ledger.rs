//! The ledger's part of the conformance suite: what every backend's [`LedgerStore`] must do,
//! including the tamper tests (edit, delete, reorder an entry; edit or delete a record with raw
//! SQL, as someone with database access would, and see [`verify`] name it).
//!
//! A backend's integration test runs it with
//! [`ledger_conformance_tests!`](crate::ledger_conformance_tests)`(harness, raw, unprotect)`:
//! `raw(&store, sql)` runs one SQL statement (an `Err` with the database's message when it is
//! refused; blob literals are written `X'hex'`, which the PostgreSQL harness turns into
//! `decode('hex', 'hex')`), `unprotect(&store)` removes the append-only triggers as an attacker
//! would.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // test code: a panic is the report

use crate::ledger::{
    self, ImportStep, ImportedProblem, LedgerStore, NewEntry, NewProblem, Page, ProblemFilter,
    Tamper, escalate, verify,
};
use crate::{Store, StoreError};
use lantian_aq::Date;
use lantian_domain::calendar::Calendar;
use lantian_domain::ledger::{
    Action, Actor, Escalation, EscalationPolicy, Finding, Milestone, Mode, Problem, State,
    TransitionError, transition,
};
use lantian_domain::org::{Person, Role, Unit, UnitKind};
use lantian_domain::{PersonId, RegionCode, SourceId, Timestamp, UnitCode};

/// Generate one `#[tokio::test]` per ledger conformance test (see the module docs).
#[macro_export]
macro_rules! ledger_conformance_tests {
    ($harness:path, $raw:path, $unprotect:path) => {
        $crate::ledger_conformance_tests!(@plain $harness;
            ledger_round_trip_and_timeline,
            ledger_stale_seq_is_a_conflict_and_writes_nothing,
            ledger_refused_transition_writes_nothing,
            ledger_evidence_is_content_addressed_and_required,
            ledger_list_filters_totals_and_keyset_pages,
            ledger_source_history,
            ledger_roadmap_milestones_are_stored,
            ledger_escalation_across_national_day_holiday,
            ledger_generic_entries_and_daily_anchor,
            ledger_import_history_chains_and_verifies,
            ledger_list_count_stops_at_the_cap
        );
        $crate::ledger_conformance_tests!(@raw $harness, $raw, $unprotect;
            tamper_log_is_append_only,
            tamper_edited_payload_is_named,
            tamper_deleted_entry_is_named,
            tamper_swapped_entries_are_named,
            tamper_rehashed_entry_breaks_the_next_link,
            tamper_deleted_tail_is_named,
            tamper_edited_problem_body_is_named,
            tamper_edited_problem_column_is_named,
            tamper_relinked_problem_row_is_named,
            tamper_deleted_problem_row_is_named,
            tamper_moved_problem_row_is_named,
            tamper_nulled_problem_column_is_named
        );
    };
    (@plain $harness:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                $harness(stringify!($name), async |s| {
                    $crate::conformance_ledger::$name(s).await
                })
                .await;
            }
        )*
    };
    (@raw $harness:path, $raw:path, $unprotect:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                $harness(stringify!($name), async |s| {
                    $crate::conformance_ledger::$name(s, $raw, $unprotect).await
                })
                .await;
            }
        )*
    };
}

// ---- fixtures --------------------------------------------------------------------------------

fn pc(s: &str) -> PersonId {
    PersonId::parse(s).unwrap()
}
fn uc(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

/// An actor.
pub fn actor(person: &str, unit: &str, role: Role) -> Actor {
    Actor {
        person: pc(person),
        unit: uc(unit),
        role,
        grids: Vec::new(),
    }
}

/// The dispatcher (生态环境中心).
pub fn dispatcher() -> Actor {
    actor("d1", "SHJZX", Role::Dispatcher)
}
/// The rectifying unit's staff member (town T1).
pub fn worker() -> Actor {
    actor("w1", "T1", Role::UnitStaff)
}
/// An inspector of the inspection office (another unit).
pub fn inspector() -> Actor {
    actor("i1", "DCK", Role::Inspector)
}
/// An inspector of the rectifying unit itself.
pub fn own_inspector() -> Actor {
    actor("i2", "T1", Role::Inspector)
}

/// Units and people: T1 has a head (`h1`) who is notified of escalations.
pub async fn seed_org<S: Store>(s: &S) {
    let unit = |c: &str, n: &str, kind| Unit {
        code: uc(c),
        name: n.into(),
        kind,
        region: None,
    };
    s.upsert_units(&[
        unit("SHJZX", "生态环境中心", UnitKind::Department),
        unit("T1", "阳庙镇人民政府", UnitKind::Town),
        unit("T2", "宁郭镇人民政府", UnitKind::Town),
        unit("DCK", "督查科", UnitKind::Department),
    ])
    .await
    .unwrap();
    let person = |id: &str, u: &str, role| Person {
        id: pc(id),
        name: id.to_uppercase(),
        unit: uc(u),
        role,
        phone: None,
    };
    s.upsert_people(&[
        person("d1", "SHJZX", Role::Dispatcher),
        person("w1", "T1", Role::UnitStaff),
        person("h1", "T1", Role::UnitHead),
        person("i1", "DCK", Role::Inspector),
        person("i2", "T1", Role::Inspector),
    ])
    .await
    .unwrap();
}

/// 2025-09-26 (a Friday) at `h`:00 Asia/Shanghai, plus `days`.
pub fn sept26(days: i32, h: i64) -> Timestamp {
    let d = Date::from_ymd_const(2025, 9, 26).add_days(days);
    Timestamp(i64::from(d.days()) * 86_400 - 8 * 3600 + h * 3600)
}

/// A new immediate (立行立改) problem.
pub fn found(campaign: &str, description: &str, at: Timestamp) -> NewProblem {
    NewProblem {
        campaign: campaign.into(),
        category: "工地扬尘".into(),
        description: description.into(),
        finding: Finding::Inspection,
        found_at: at,
        grid: Some(RegionCode::parse("410871-G1").unwrap()),
        source: Some(SourceId::parse("S001").unwrap()),
        unit: None,
        mode: Mode::Immediate { hours: 24 },
    }
}

fn assign(unit: &str, person: &str) -> Action {
    Action::Assign {
        unit: uc(unit),
        assignee: pc(person),
    }
}

/// Store one evidence file and return its hash.
pub async fn photo<S: LedgerStore>(s: &S, what: &str) -> String {
    s.put_evidence(what.as_bytes(), "image/jpeg", &pc("w1"), sept26(0, 9))
        .await
        .unwrap()
}

/// Run a problem through create → assign → start → submit → approve.
pub async fn close_one<S: LedgerStore>(s: &S, cal: &Calendar, description: &str) -> Problem {
    let ev = photo(s, description).await;
    let t = sept26(0, 10);
    let p = s
        .create_problem(&found("air", description, t), &inspector(), t)
        .await
        .unwrap();
    let d = dispatcher();
    s.apply(p.id, Some(0), assign("T1", "w1"), &d, t, cal)
        .await
        .unwrap();
    s.apply(p.id, Some(1), Action::Start, &worker(), t, cal)
        .await
        .unwrap();
    let submit = Action::Submit {
        evidence: vec![ev.clone()],
        note: "已覆盖防尘网".into(),
    };
    s.apply(p.id, Some(2), submit, &worker(), t, cal)
        .await
        .unwrap();
    let approve = Action::Approve { evidence: vec![ev] };
    s.apply(p.id, Some(3), approve, &inspector(), t, cal)
        .await
        .unwrap()
}

/// A small ledger: problem 1 closed, 2 rejected once and resubmitted, 3 only assigned, 4
/// cancelled; evidence and a login in the log. Checks that it verifies before returning.
pub async fn scenario<S: LedgerStore>(s: &S) -> u64 {
    let cal = Calendar::china();
    let t = sept26(0, 11);
    let (d, w, i) = (dispatcher(), worker(), inspector());
    let p1 = close_one(s, &cal, "工地未覆盖").await;
    assert_eq!(p1.id, 1);
    let ev = photo(s, "道路").await;
    let p2 = s
        .create_problem(&found("air", "道路积尘", t), &i, t)
        .await
        .unwrap();
    s.apply(p2.id, None, assign("T1", "w1"), &d, t, &cal)
        .await
        .unwrap();
    s.apply(p2.id, None, Action::Start, &w, t, &cal)
        .await
        .unwrap();
    let submit = || Action::Submit {
        evidence: vec![ev.clone()],
        note: "已清扫".into(),
    };
    s.apply(p2.id, None, submit(), &w, t, &cal).await.unwrap();
    let reject = Action::Reject {
        reason: "仍有积尘".into(),
    };
    s.apply(p2.id, None, reject, &i, t, &cal).await.unwrap();
    s.apply(p2.id, None, submit(), &w, t, &cal).await.unwrap();
    let p3 = s
        .create_problem(&found("safety", "燃气隐患", t), &i, t)
        .await
        .unwrap();
    s.apply(p3.id, None, assign("T1", "w1"), &d, t, &cal)
        .await
        .unwrap();
    s.append(&NewEntry {
        at: t,
        actor: "d1".into(),
        kind: "login".into(),
        entity: "d1".into(),
        action: "login".into(),
        payload: br#"{"ip":"10.0.0.8"}"#.to_vec(),
    })
    .await
    .unwrap();
    let p4 = s
        .create_problem(&found("air", "重复上报", t), &i, t)
        .await
        .unwrap();
    let cancel = Action::Cancel {
        reason: "误报".into(),
    };
    s.apply(p4.id, None, cancel, &d, t, &cal).await.unwrap();
    let r = verify(s, 7).await.unwrap();
    assert_eq!(r.tamper, None, "an untouched store verifies");
    let (head, _) = s.log_head().await.unwrap();
    // 5 + 6 + 2 + 2 problem entries, 2 evidence files, 1 login.
    assert_eq!(head, 18);
    assert_eq!((r.entries, r.records), (18, 4));
    head
}

async fn head_of<S: LedgerStore>(s: &S) -> (u64, ledger::Hash) {
    s.log_head().await.unwrap()
}

// ---- behaviour -------------------------------------------------------------------------------

/// Create and run a problem to closure: the row, the timeline and the chain agree.
pub async fn ledger_round_trip_and_timeline<S: Store + LedgerStore>(s: &S) {
    let cal = Calendar::china();
    let p = close_one(s, &cal, "工地未覆盖").await;
    assert_eq!(p.state, State::Closed);
    assert_eq!(p.seq, 4);
    let stored = s.problem(p.id).await.unwrap().unwrap();
    assert_eq!(stored, p);
    assert_eq!(stored.verification.as_ref().unwrap().unit, uc("DCK"));
    assert!(s.problem(999).await.unwrap().is_none());
    let tl = s.timeline(p.id).await.unwrap();
    let actions: Vec<&str> = tl.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "assign", "start", "submit", "approve"]);
    for w in tl.windows(2) {
        assert!(w[0].seq < w[1].seq);
    }
    // The evidence entry came first (seq 1); the chain links every entry to the one before.
    let all = s.log_entries(0, 100).await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].kind, "evidence");
    assert_eq!(all[0].prev_hash, ledger::GENESIS);
    for w in all.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
        assert_eq!(w[1].computed_hash(), w[1].hash);
    }
    // The approve entry's payload is the domain's event, with the verifier.
    let approve: serde_json::Value = serde_json::from_slice(&tl[4].payload).unwrap();
    assert_eq!(approve["actor"], "i1");
    assert_eq!(approve["from"], "submitted");
    assert_eq!(approve["to"], "closed");
    assert_eq!(
        tl[4].record_digest,
        Some(ledger::sha256(&ledger::problem_body(&p).unwrap()))
    );
    assert_eq!(head_of(s).await, (6, all[5].hash));
    let r = verify(s, 2).await.unwrap();
    assert_eq!((r.entries, r.records, r.tamper), (6, 1, None));
}

/// A stale `expected_seq` is a conflict; nothing is written.
pub async fn ledger_stale_seq_is_a_conflict_and_writes_nothing<S: LedgerStore>(s: &S) {
    let cal = Calendar::china();
    let t = sept26(0, 10);
    let p = s
        .create_problem(&found("air", "x", t), &inspector(), t)
        .await
        .unwrap();
    s.apply(p.id, Some(0), assign("T1", "w1"), &dispatcher(), t, &cal)
        .await
        .unwrap();
    let before = head_of(s).await;
    let e = s
        .apply(p.id, Some(0), assign("T1", "w1"), &dispatcher(), t, &cal)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Conflict {
                entity: "problem",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("seq 0, now 1"), "{e}");
    assert_eq!(head_of(s).await, before);
    assert_eq!(s.problem(p.id).await.unwrap().unwrap().seq, 1);
    let e = s
        .apply(77, None, Action::Start, &worker(), t, &cal)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                entity: "problem",
                ..
            }
        ),
        "{e:?}"
    );
}

/// A transition the domain refuses (the rectifying unit verifying its own work) writes nothing.
pub async fn ledger_refused_transition_writes_nothing<S: LedgerStore>(s: &S) {
    let cal = Calendar::china();
    let t = sept26(0, 10);
    let ev = photo(s, "p").await;
    let p = s
        .create_problem(&found("air", "x", t), &inspector(), t)
        .await
        .unwrap();
    s.apply(p.id, None, assign("T1", "w1"), &dispatcher(), t, &cal)
        .await
        .unwrap();
    s.apply(p.id, None, Action::Start, &worker(), t, &cal)
        .await
        .unwrap();
    let submit = Action::Submit {
        evidence: vec![ev.clone()],
        note: String::new(),
    };
    let p = s
        .apply(p.id, None, submit, &worker(), t, &cal)
        .await
        .unwrap();
    let before = head_of(s).await;
    let e = s
        .apply(
            p.id,
            None,
            Action::Approve { evidence: vec![ev] },
            &own_inspector(),
            t,
            &cal,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(TransitionError::Forbidden { .. })),
        "{e:?}"
    );
    assert_eq!(head_of(s).await, before);
    assert_eq!(s.problem(p.id).await.unwrap().unwrap(), p);
    assert_eq!(s.timeline(p.id).await.unwrap().len(), 4);
}

/// Evidence is stored once per content, logged once, and must exist before it is named.
pub async fn ledger_evidence_is_content_addressed_and_required<S: LedgerStore>(s: &S) {
    let cal = Calendar::china();
    let t = sept26(0, 10);
    let h1 = s
        .put_evidence(b"jpeg bytes", "image/jpeg", &pc("w1"), t)
        .await
        .unwrap();
    let h2 = s
        .put_evidence(b"jpeg bytes", "image/jpeg", &pc("w2"), t)
        .await
        .unwrap();
    assert_eq!(h1, h2);
    assert_eq!(h1, ledger::hex(&ledger::sha256(b"jpeg bytes")));
    assert_eq!(
        head_of(s).await.0,
        1,
        "the second store of the same bytes is not logged"
    );
    let e = s.evidence(&h1).await.unwrap().unwrap();
    assert_eq!(
        (e.bytes.as_slice(), e.media_type.as_str()),
        (&b"jpeg bytes"[..], "image/jpeg")
    );
    assert!(s.evidence(&"0".repeat(64)).await.unwrap().is_none());
    assert!(s.evidence("not a hash").await.unwrap().is_none());
    let log = s.log_entries(0, 10).await.unwrap();
    assert_eq!(
        (log[0].kind.as_str(), log[0].entity.as_str()),
        ("evidence", h1.as_str())
    );
    // Naming evidence that was never stored is refused, and nothing is written.
    let p = s
        .create_problem(&found("air", "x", t), &inspector(), t)
        .await
        .unwrap();
    s.apply(p.id, None, assign("T1", "w1"), &dispatcher(), t, &cal)
        .await
        .unwrap();
    s.apply(p.id, None, Action::Start, &worker(), t, &cal)
        .await
        .unwrap();
    let before = head_of(s).await;
    let missing = ledger::hex(&ledger::sha256(b"never stored"));
    let submit = Action::Submit {
        evidence: vec![missing.clone()],
        note: String::new(),
    };
    let e = s
        .apply(p.id, None, submit, &worker(), t, &cal)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        StoreError::NotFound {
            entity: "evidence",
            key: missing
        }
    );
    assert_eq!(head_of(s).await, before);
}

/// Every filter, alone and combined, against the same filter computed in Rust; keyset pages
/// concatenate to the whole result; totals are exact.
pub async fn ledger_list_filters_totals_and_keyset_pages<S: LedgerStore>(s: &S) {
    let cal = Calendar::china();
    let t0 = sept26(0, 9);
    let d = dispatcher();
    let units = ["T1", "T2"];
    let campaigns = ["air", "safety", "audit"];
    for k in 0..30u32 {
        let mut n = found(
            campaigns[(k % 3) as usize],
            &format!("问题{k}"),
            t0.plus_seconds(i64::from(k)),
        );
        n.grid =
            Some(RegionCode::parse(if k % 4 == 0 { "410871-G2" } else { "410871-G1" }).unwrap());
        n.source = (k % 5 != 0).then(|| SourceId::parse(&format!("S{:03}", k % 3)).unwrap());
        n.mode = Mode::Immediate { hours: 1 + k };
        let p = s.create_problem(&n, &inspector(), t0).await.unwrap();
        if k % 6 == 5 {
            continue; // stays new
        }
        let u = units[(k % 2) as usize];
        s.apply(p.id, None, assign(u, "w1"), &d, t0, &cal)
            .await
            .unwrap();
        if k % 3 == 1 {
            let w = actor("w1", u, Role::UnitStaff);
            s.apply(p.id, None, Action::Start, &w, t0, &cal)
                .await
                .unwrap();
        }
        if k % 8 == 2 {
            let esc = Action::Escalate {
                to: Escalation::Supervised,
            };
            s.apply(p.id, None, esc, &d, t0, &cal).await.unwrap();
        }
        if k % 7 == 3 {
            let susp = Action::Suspend {
                reason: "等待审批".into(),
            };
            s.apply(p.id, None, susp, &d, t0, &cal).await.unwrap();
        }
    }
    let mut all = Vec::new();
    for id in 1..=30 {
        all.push(s.problem(id).await.unwrap().unwrap());
    }
    let at = t0.plus_seconds(10 * 3600);
    let filters = vec![
        ProblemFilter::default(),
        ProblemFilter {
            unit: Some(uc("T1")),
            ..Default::default()
        },
        ProblemFilter {
            states: vec![State::Rectifying, State::New],
            ..Default::default()
        },
        ProblemFilter {
            overdue_at: Some(at),
            ..Default::default()
        },
        ProblemFilter {
            campaign: Some("safety".into()),
            unit: Some(uc("T2")),
            ..Default::default()
        },
        ProblemFilter {
            grid: Some(RegionCode::parse("410871-G2").unwrap()),
            ..Default::default()
        },
        ProblemFilter {
            source: Some(SourceId::parse("S001").unwrap()),
            states: vec![State::Assigned],
            ..Default::default()
        },
        ProblemFilter {
            min_escalation: Some(Escalation::Reminded),
            ..Default::default()
        },
        ProblemFilter {
            overdue_at: Some(at),
            unit: Some(uc("T1")),
            campaign: Some("air".into()),
            states: vec![State::Assigned, State::Rectifying],
            ..Default::default()
        },
    ];
    for f in &filters {
        let want: Vec<u64> = all
            .iter()
            .filter(|p| {
                f.unit.as_ref().is_none_or(|u| p.unit.as_ref() == Some(u))
                    && (f.states.is_empty() || f.states.contains(&p.state))
                    && f.overdue_at.is_none_or(|t| p.is_overdue(t))
                    && f.campaign.as_ref().is_none_or(|c| &p.campaign == c)
                    && f.grid.as_ref().is_none_or(|g| p.grid.as_ref() == Some(g))
                    && f.source
                        .as_ref()
                        .is_none_or(|x| p.source.as_ref() == Some(x))
                    && f.min_escalation.is_none_or(|e| p.escalation >= e)
            })
            .map(|p| p.id)
            .collect();
        let mut got = Vec::new();
        let mut page = Page {
            after: None,
            limit: 4,
        };
        loop {
            let r = s.problems(f, page).await.unwrap();
            assert_eq!(r.total, want.len() as u64, "{f:?}");
            assert!(r.items.len() <= 4);
            got.extend(r.items.iter().map(|p| p.id));
            match r.next {
                Some(n) => page.after = Some(n),
                None => break,
            }
        }
        assert_eq!(got, want, "{f:?}");
    }
    // Sanity: the overdue filter is not trivial here.
    let overdue = s
        .problems(&filters[3], Page::default())
        .await
        .unwrap()
        .total;
    assert!(overdue > 0 && overdue < 30, "{overdue}");
}

/// A source's problems are one call away.
pub async fn ledger_source_history<S: LedgerStore>(s: &S) {
    let t = sept26(0, 9);
    for k in 0..5 {
        let mut n = found("air", &format!("p{k}"), t);
        n.source = Some(SourceId::parse(if k % 2 == 0 { "S-A" } else { "S-B" }).unwrap());
        s.create_problem(&n, &inspector(), t).await.unwrap();
    }
    let h = s
        .source_history(&SourceId::parse("S-A").unwrap())
        .await
        .unwrap();
    let ids: Vec<u64> = h.iter().map(|p| p.id).collect();
    assert_eq!(ids, [1, 3, 5]);
    assert!(
        s.source_history(&SourceId::parse("S-C").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

/// A 限时整改 roadmap's milestones are kept with the problem, done one by one.
pub async fn ledger_roadmap_milestones_are_stored<S: LedgerStore>(s: &S) {
    let cal = Calendar::china();
    let t = sept26(0, 9);
    let ev = photo(s, "m").await;
    let mut n = found("air", "锅炉改造", t);
    n.mode = Mode::TimeBound {
        working_days: 10,
        milestones: vec![
            Milestone {
                title: "方案".into(),
                due: sept26(3, 18),
                done_at: None,
            },
            Milestone {
                title: "施工".into(),
                due: sept26(17, 18),
                done_at: None,
            },
        ],
    };
    let p = s.create_problem(&n, &inspector(), t).await.unwrap();
    s.apply(p.id, None, assign("T1", "w1"), &dispatcher(), t, &cal)
        .await
        .unwrap();
    s.apply(p.id, None, Action::Start, &worker(), t, &cal)
        .await
        .unwrap();
    let done = Action::CompleteMilestone {
        index: 0,
        evidence: vec![ev.clone()],
    };
    s.apply(p.id, None, done, &worker(), sept26(2, 9), &cal)
        .await
        .unwrap();
    let early = Action::Submit {
        evidence: vec![ev.clone()],
        note: String::new(),
    };
    let e = s
        .apply(p.id, None, early, &worker(), sept26(2, 9), &cal)
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(TransitionError::Rule(_))),
        "{e:?}"
    );
    let got = s.problem(p.id).await.unwrap().unwrap();
    let Mode::TimeBound { milestones, .. } = &got.mode else {
        panic!("mode changed")
    };
    assert_eq!(milestones[0].done_at, Some(sept26(2, 9)));
    assert_eq!(milestones[1].done_at, None);
    assert_eq!(milestones[1].title, "施工");
    // 10 working days from Fri 2025-09-26 across 国庆: 28, 29, 30 Sep, 9, 10, 11 (Saturday,
    // a make-up day), 13, 14, 15, 16 Oct → due at the end of 16 Oct.
    assert_eq!(got.deadline, Some(sept26(21, 0)));
    assert_eq!(verify(s, 100).await.unwrap().tamper, None);
}

/// The scheduler, driven by a fixed clock day by day across the National Day holiday
/// (2025-10-01..08) and the make-up working days (Sun 2025-09-28, Sat 2025-10-11), escalates
/// through the transition function, logs each step and notifies the assignee and unit head.
pub async fn ledger_escalation_across_national_day_holiday<S: Store + LedgerStore>(s: &S) {
    seed_org(s).await;
    let cal = Calendar::china();
    let pol = EscalationPolicy::default();
    let clock = lantian_domain::FixedClock::at(sept26(0, 10));
    use lantian_domain::Clock;
    let mut n = found("air", "渣土车未密闭", clock.now());
    n.mode = Mode::TimeBound {
        working_days: 3,
        milestones: vec![],
    };
    let p = s
        .create_problem(&n, &inspector(), clock.now())
        .await
        .unwrap();
    s.apply(
        p.id,
        None,
        assign("T1", "w1"),
        &dispatcher(),
        clock.now(),
        &cal,
    )
    .await
    .unwrap();
    // Three working days after Fri 26 Sep: Sun 28 (make-up), Mon 29, Tue 30 → due 1 Oct 00:00.
    let p = s.problem(p.id).await.unwrap().unwrap();
    assert_eq!(p.deadline, Some(sept26(5, 0)));
    // (day offset from 26 Sep, level after the noon run)
    let expected = [
        (0, Escalation::None),            // Fri 26: 3 working days left
        (1, Escalation::None),            // Sat 27
        (2, Escalation::None),            // Sun 28 (make-up): 2 left
        (3, Escalation::Warned),          // Mon 29: 1 left → 临期预警
        (4, Escalation::Warned),          // Tue 30: last day
        (5, Escalation::Reminded),        // Wed 1 Oct, holiday: overdue → 提醒
        (12, Escalation::Reminded),       // Wed 8 Oct, still the holiday: no working day has passed
        (13, Escalation::Reminded),       // Thu 9: the holiday's days do not count
        (14, Escalation::Supervised),     // Fri 10: one working day (9 Oct) passed → 督办
        (15, Escalation::Supervised),     // Sat 11 (make-up): 2
        (16, Escalation::Listed),         // Sun 12: 9, 10, 11 Oct passed → 挂牌督办
        (18, Escalation::Listed),         // Tue 14: 4
        (19, Escalation::Accountability), // Wed 15: 5 → 问责
    ];
    let mut levels = Vec::new();
    for (day, want) in expected {
        clock.set(sept26(day, 12));
        escalate(s, clock.now(), &cal, &pol).await.unwrap();
        let got = s.problem(p.id).await.unwrap().unwrap().escalation;
        assert_eq!(got, want, "day +{day}");
        levels.push(got);
    }
    // One logged escalation per level reached, by the system, none repeated.
    let tl = s.timeline(p.id).await.unwrap();
    let esc: Vec<&str> = tl
        .iter()
        .filter(|e| e.action == "escalate")
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(esc, ["system"; 5]);
    // Notified: the assignee and the head of the unit, once per escalation (plus the dispatch).
    let w1 = s.notifications(&pc("w1")).await.unwrap();
    let h1 = s.notifications(&pc("h1")).await.unwrap();
    assert_eq!(w1.iter().filter(|n| n.kind == "escalation").count(), 5);
    assert_eq!(h1.iter().filter(|n| n.kind == "escalation").count(), 5);
    assert!(w1[0].text.contains("问责"), "{}", w1[0].text);
    assert!(s.notifications(&pc("i1")).await.unwrap().is_empty());
    // A run with nothing due changes nothing.
    let again = escalate(s, clock.now(), &cal, &pol).await.unwrap();
    assert_eq!((again.checked, again.escalated.len()), (1, 0));
    assert_eq!(verify(s, 3).await.unwrap().tamper, None);
}

/// Other parts append generic entries; record kinds cannot be appended around their records;
/// the daily anchor is the last entry of a local day and the day's count.
pub async fn ledger_generic_entries_and_daily_anchor<S: LedgerStore>(s: &S) {
    let entry = |at: Timestamp, who: &str| NewEntry {
        at,
        actor: who.into(),
        kind: "login".into(),
        entity: who.into(),
        action: "login".into(),
        payload: b"{}".to_vec(),
    };
    // 2025-09-26 23:59 local, 2025-09-27 00:00 and 12:00 local, 2025-09-28 08:00.
    let times = [
        sept26(1, 0).plus_seconds(-60),
        sept26(1, 0),
        sept26(1, 12),
        sept26(2, 8),
    ];
    let mut written = Vec::new();
    for (k, t) in times.iter().enumerate() {
        written.push(s.append(&entry(*t, &format!("u{k}"))).await.unwrap());
    }
    assert_eq!(written[3].seq, 4);
    let a = s.anchor(Date::from_ymd_const(2025, 9, 27)).await.unwrap();
    assert_eq!((a.count, a.last_seq, a.hash), (2, 3, written[2].hash));
    assert!(
        a.to_string()
            .starts_with("2025-09-27 entries=2 last_seq=3 sha256="),
        "{a}"
    );
    let a = s.anchor(Date::from_ymd_const(2025, 9, 26)).await.unwrap();
    assert_eq!((a.count, a.last_seq), (1, 1));
    let a = s.anchor(Date::from_ymd_const(2025, 9, 29)).await.unwrap();
    assert_eq!((a.count, a.last_seq, a.hash), (0, 0, ledger::GENESIS));
    let mut forged = entry(sept26(0, 9), "x");
    forged.kind = "problem".into();
    assert!(matches!(
        s.append(&forged).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(verify(s, 2).await.unwrap().tamper, None);
}

/// A bulk-loaded history is chained after what is there, and verifies.
pub async fn ledger_import_history_chains_and_verifies<S: LedgerStore>(s: &S) {
    let cal = Calendar::china();
    close_one(s, &cal, "first").await;
    let mut batch = Vec::new();
    for id in [10u64, 11, 12] {
        let t = sept26(0, 9);
        let mut p = ledger::new_problem(id, &found("air", "imported", t));
        let mut steps = vec![ImportStep {
            at: t,
            actor: "i1".into(),
            action: "create".into(),
            payload: b"{}".to_vec(),
            body: ledger::problem_body(&p).unwrap(),
        }];
        let (n, ev) = transition(&p, &dispatcher(), assign("T1", "w1"), t, &cal).unwrap();
        p = n;
        steps.push(ImportStep {
            at: t,
            actor: "d1".into(),
            action: "assign".into(),
            payload: ledger::event_payload(&ev).unwrap(),
            body: ledger::problem_body(&p).unwrap(),
        });
        batch.push(ImportedProblem { problem: p, steps });
    }
    assert_eq!(s.import_history(&batch).await.unwrap(), 3);
    let (head, _) = s.log_head().await.unwrap();
    assert_eq!(head, 6 + 6);
    let r = verify(s, 5).await.unwrap();
    assert_eq!((r.entries, r.records, r.tamper), (12, 4, None));
    assert_eq!(s.timeline(11).await.unwrap().len(), 2);
    // The next new problem continues after the imported ids.
    let t = sept26(0, 9);
    let p = s
        .create_problem(&found("air", "after", t), &inspector(), t)
        .await
        .unwrap();
    assert_eq!(p.id, 13);
    // An import reusing an id fails whole.
    let e = s.import_history(&batch[..1]).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    assert_eq!(s.log_head().await.unwrap().0, 13);
}

/// A filter matching more than [`ledger::COUNT_CAP`] problems reports the cap and says so; one
/// matching fewer is exact; the pages still walk every match. Also: a walk reading chunks larger
/// than the two-thread thresholds (4096 entries, 1024 records) verifies the same log.
pub async fn ledger_list_count_stops_at_the_cap<S: LedgerStore>(s: &S) {
    let n = ledger::COUNT_CAP + 7;
    let t = sept26(0, 9);
    let batch: Vec<ImportedProblem> = (1..=n)
        .map(|id| {
            let campaign = if id % 2 == 0 { "air" } else { "safety" };
            let p = ledger::new_problem(id, &found(campaign, "bulk", t));
            let steps = vec![ImportStep {
                at: t,
                actor: "i1".into(),
                action: "create".into(),
                payload: b"{}".to_vec(),
                body: ledger::problem_body(&p).unwrap(),
            }];
            ImportedProblem { problem: p, steps }
        })
        .collect();
    assert_eq!(s.import_history(&batch).await.unwrap(), n);
    let all = s
        .problems(&ProblemFilter::default(), Page::default())
        .await
        .unwrap();
    assert_eq!((all.total, all.total_capped), (ledger::COUNT_CAP, true));
    let air = ProblemFilter {
        campaign: Some("air".into()),
        ..ProblemFilter::default()
    };
    let half = s.problems(&air, Page::default()).await.unwrap();
    assert_eq!((half.total, half.total_capped), (n / 2, false));
    // Keyset pages still reach every match past the cap.
    let (mut seen, mut after) = (0u64, None);
    loop {
        let pg = s
            .problems(&ProblemFilter::default(), Page { after, limit: 1000 })
            .await
            .unwrap();
        seen += pg.items.len() as u64;
        match pg.next {
            Some(x) => after = Some(x),
            None => break,
        }
    }
    assert_eq!(seen, n);
    let r = verify(s, 5000).await.unwrap();
    assert_eq!((r.entries, r.records, r.tamper), (n, n, None));
}

// ---- tampering -------------------------------------------------------------------------------

async fn expect_tamper<S: LedgerStore>(s: &S, want: Tamper) {
    let r = verify(s, 4).await.unwrap();
    assert_eq!(r.tamper, Some(want));
}

async fn run<S>(s: &S, raw: &impl AsyncFn(&S, &str) -> Result<(), String>, sql: &str) {
    raw(s, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// With the triggers in place, the log refuses UPDATE and DELETE.
pub async fn tamper_log_is_append_only<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    _unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    let e = raw(s, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
        .await
        .unwrap_err();
    assert!(e.contains("append-only"), "{e}");
    let e = raw(s, "DELETE FROM audit_log WHERE seq = 3")
        .await
        .unwrap_err();
    assert!(e.contains("append-only"), "{e}");
    assert_eq!(verify(s, 4).await.unwrap().tamper, None);
}

/// Entry 5's payload replaced by entry 6's: entry 5 is named.
pub async fn tamper_edited_payload_is_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    unprotect(s).await;
    run(
        s,
        &raw,
        "UPDATE audit_log SET payload = (SELECT payload FROM audit_log WHERE seq = 6) WHERE seq = 5",
    )
    .await;
    expect_tamper(s, Tamper::EntryEdited { seq: 5 }).await;
}

/// Entry 9 deleted: named as missing.
pub async fn tamper_deleted_entry_is_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    unprotect(s).await;
    run(s, &raw, "DELETE FROM audit_log WHERE seq = 9").await;
    expect_tamper(s, Tamper::EntryMissing { seq: 9 }).await;
}

/// Entries 7 and 8 swapped (their seqs exchanged): entry 7 is named.
pub async fn tamper_swapped_entries_are_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    unprotect(s).await;
    run(s, &raw, "UPDATE audit_log SET seq = -1 WHERE seq = 7").await;
    run(s, &raw, "UPDATE audit_log SET seq = 7 WHERE seq = 8").await;
    run(s, &raw, "UPDATE audit_log SET seq = 8 WHERE seq = -1").await;
    expect_tamper(s, Tamper::EntryEdited { seq: 7 }).await;
}

/// Entry 5 edited by someone who knows the scheme and recomputes its hash: it holds on its own,
/// but entry 6 no longer follows it. (Rewriting every later entry and the head too is caught
/// only against a published daily anchor.)
pub async fn tamper_rehashed_entry_breaks_the_next_link<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    unprotect(s).await;
    let mut e = s.log_entries(4, 1).await.unwrap().remove(0);
    e.actor = "mallory".into();
    let h = ledger::hex(&e.computed_hash());
    run(
        s,
        &raw,
        &format!("UPDATE audit_log SET actor = 'mallory', hash = X'{h}' WHERE seq = 5"),
    )
    .await;
    expect_tamper(s, Tamper::ChainBroken { seq: 6 }).await;
}

/// The last entry deleted (and nothing else): the head names the gap.
pub async fn tamper_deleted_tail_is_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    unprotect: impl AsyncFn(&S),
) {
    let head = scenario(s).await;
    unprotect(s).await;
    run(
        s,
        &raw,
        &format!("DELETE FROM audit_log WHERE seq = {head}"),
    )
    .await;
    // The deleted entry wrote problem 4, whose row now names an entry that is gone; the log's
    // own check comes first.
    expect_tamper(
        s,
        Tamper::TailMissing {
            head,
            last: head - 1,
        },
    )
    .await;
}

/// Problem 1's body replaced by problem 2's: record problem 1 is named.
pub async fn tamper_edited_problem_body_is_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    _unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    run(
        s,
        &raw,
        "UPDATE problems SET body = (SELECT body FROM problems WHERE id = 2) WHERE id = 1",
    )
    .await;
    expect_tamper(
        s,
        Tamper::RecordEdited {
            kind: "problem".into(),
            id: 1,
        },
    )
    .await;
}

/// Problem 3 marked closed in its state column only: named.
pub async fn tamper_edited_problem_column_is_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    _unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    run(s, &raw, "UPDATE problems SET state = 'closed' WHERE id = 3").await;
    expect_tamper(
        s,
        Tamper::RecordEdited {
            kind: "problem".into(),
            id: 3,
        },
    )
    .await;
}

/// Problem 2 rolled back to an older body and the entry that wrote it: the row no longer
/// matches its entity's last entry.
pub async fn tamper_relinked_problem_row_is_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    _unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    let tl = s.timeline(2).await.unwrap();
    let old = &tl[3]; // after the first submit
    run(
        s,
        &raw,
        &format!(
            "UPDATE problems SET log_seq = {}, log_hash = (SELECT hash FROM audit_log WHERE seq = {}) \
             WHERE id = 2",
            old.seq, old.seq
        ),
    )
    .await;
    expect_tamper(
        s,
        Tamper::RecordNotLogged {
            kind: "problem".into(),
            id: 2,
        },
    )
    .await;
}

/// Problem 2's row deleted: named.
pub async fn tamper_deleted_problem_row_is_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    _unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    run(s, &raw, "DELETE FROM problems WHERE id = 2").await;
    expect_tamper(
        s,
        Tamper::RecordMissing {
            kind: "problem".into(),
            id: "2".into(),
        },
    )
    .await;
}

/// Problem 3's row moved to an id the log never wrote: the stray row is named (it is read in
/// the last id range, past every logged id) before the missing one.
pub async fn tamper_moved_problem_row_is_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    _unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    run(s, &raw, "UPDATE problems SET id = 999999 WHERE id = 3").await;
    expect_tamper(
        s,
        Tamper::RecordNotLogged {
            kind: "problem".into(),
            id: 999_999,
        },
    )
    .await;
}

/// Problem 1's unit column set to NULL (its body names a unit): named.
pub async fn tamper_nulled_problem_column_is_named<S: LedgerStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
    _unprotect: impl AsyncFn(&S),
) {
    scenario(s).await;
    run(s, &raw, "UPDATE problems SET unit = NULL WHERE id = 1").await;
    expect_tamper(
        s,
        Tamper::RecordEdited {
            kind: "problem".into(),
            id: 1,
        },
    )
    .await;
}

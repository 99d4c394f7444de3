//! The inspections' part of the conformance suite: what every backend's [`InspectionStore`]
//! must do — plans made and dispatched only through the domain, a sealed 四不两直 list never
//! stored and checked against its seal at dispatch, records refused by the domain's rules
//! (own unit, night window, team, evidence) writing nothing, findings becoming problems and a
//! rebound reopening its problem in the record's transaction, lists with filters and keyset
//! pages — and tamper tests: an inspection row edited with raw SQL, and an evidence file
//! deleted or altered, are named by [`verify`].
//!
//! A backend's integration test runs it with
//! [`inspections_conformance_tests!`](crate::inspections_conformance_tests)`(harness, raw)`,
//! `raw` as in [`conformance_ledger`](crate::conformance_ledger).

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // test code: a panic is the report

use crate::StoreError;
use crate::conformance_ledger::{
    actor, close_one, dispatcher, inspector, own_inspector, photo, sept26, worker,
};
use crate::inspections::{FileContext, FiledRecord, InspectionFilter, InspectionStore};
use crate::ledger::{LedgerStore, Page, Tamper, hex, parse_hex, verify};
use lantian_domain::calendar::Calendar;
use lantian_domain::campaign::{CampaignTemplate, Catalog};
use lantian_domain::geo::Point;
use lantian_domain::inspection::{
    CheckIn, CheckInPolicy, ChecklistResult, FindingDraft, InspectionMode, InspectionRecord,
    Inspector, Nonce, Outcome, PlanDraft, Reinspection, ReinspectionOutcome, SealedList, Target,
    TargetKind,
};
use lantian_domain::ledger::{Actor, Finding, State, TransitionError};
use lantian_domain::org::Role;
use lantian_domain::{ContentHash, RegionCode, Timestamp, UnitCode};

/// Generate one `#[tokio::test]` per inspections conformance test.
#[macro_export]
macro_rules! inspections_conformance_tests {
    ($harness:path, $raw:path) => {
        $crate::inspections_conformance_tests!(@plain $harness;
            inspections_plan_dispatch_record_on_the_log,
            inspections_sealed_list_is_never_stored,
            inspections_refusals_write_nothing,
            inspections_night_and_distance,
            inspections_rebound_reopens_its_problem,
            inspections_lists_filter_and_page
        );
        $crate::inspections_conformance_tests!(@raw $harness, $raw;
            tamper_edited_inspection_record_is_named,
            tamper_edited_inspection_plan_column_is_named,
            tamper_deleted_evidence_is_named,
            tamper_altered_evidence_is_named
        );
    };
    (@plain $harness:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                $harness(stringify!($name), async |s| {
                    $crate::conformance_inspections::$name(s).await
                })
                .await;
            }
        )*
    };
    (@raw $harness:path, $raw:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                $harness(stringify!($name), async |s| {
                    $crate::conformance_inspections::$name(s, $raw).await
                })
                .await;
            }
        )*
    };
}

fn air() -> CampaignTemplate {
    Catalog::embedded().unwrap().get("air").unwrap().clone()
}

/// A construction site of town T1 (unit T1, grid 410871-G1).
pub fn site(code: &str, name: &str, unit: &str, grid: &str) -> Target {
    Target {
        kind: TargetKind::Source,
        code: code.into(),
        name: name.into(),
        location: Some(Point::new(113.30, 35.20).unwrap()),
        grid: Some(RegionCode::parse(grid).unwrap()),
        unit: Some(UnitCode::parse(unit).unwrap()),
    }
}

fn s001() -> Target {
    site("S001", "龙源湖工地", "T1", "410871-G1")
}

fn plan_draft(mode: InspectionMode, team: &[Actor], targets: Vec<Target>) -> PlanDraft {
    PlanDraft {
        id: 0,
        campaign: "air".into(),
        mode,
        title: "扬尘专项检查".into(),
        planned_for: sept26(1, 9),
        team: team.iter().map(Inspector::from).collect(),
        targets,
        problem: None,
    }
}

/// A record of `target` by `team` at `at`, with one failed item and (if `evidence` is given)
/// one finding with that photo.
pub fn record(
    mode: InspectionMode,
    team: &[Actor],
    target: Target,
    at: Timestamp,
    evidence: Option<&str>,
) -> InspectionRecord {
    InspectionRecord {
        id: 0,
        plan: None,
        campaign: "air".into(),
        mode,
        inspectors: team.iter().map(Inspector::from).collect(),
        target,
        check_in: CheckIn {
            at,
            // About 111 m north of the site's point.
            position: Point::new(113.30, 35.201).unwrap(),
        },
        results: vec![ChecklistResult {
            item: "cover".into(),
            outcome: Outcome::Fail,
            note: "裸土未覆盖".into(),
        }],
        findings: evidence
            .map(|h| FindingDraft {
                category: "site_dust".into(),
                description: "工地裸土未覆盖".into(),
                evidence: vec![ContentHash::parse(h).unwrap()],
                mode: None,
            })
            .into_iter()
            .collect(),
        evidence: Vec::new(),
        reinspection: None,
    }
}

async fn file<S: InspectionStore>(
    s: &S,
    r: &InspectionRecord,
    by: &Actor,
) -> Result<FiledRecord, StoreError> {
    let campaign = air();
    let cal = Calendar::china();
    let ctx = FileContext {
        campaign: &campaign,
        policy: CheckInPolicy::default(),
        grid: None,
        calendar: &cal,
    };
    s.file_record(r, ctx, by, r.check_in.at).await
}

/// Plan 1 (routine, S001, team i1) dispatched; record 1 with one finding → problem 1.
pub async fn inspection_scenario<S: LedgerStore + InspectionStore>(s: &S) -> FiledRecord {
    let d = dispatcher();
    let (plan, sealed) = s
        .create_plan(
            &plan_draft(InspectionMode::Routine, &[inspector()], vec![s001()]),
            &d,
            None,
            sept26(0, 9),
        )
        .await
        .unwrap();
    assert_eq!((plan.id, sealed), (1, None));
    let ev = photo(s, "裸土照片").await;
    let mut r = record(
        InspectionMode::Routine,
        &[inspector()],
        s001(),
        sept26(1, 10),
        Some(&ev),
    );
    r.plan = Some(1);
    // Not dispatched yet: refused.
    let e = file(s, &r, &inspector()).await.unwrap_err();
    assert!(matches!(e, StoreError::Refused(_)), "{e:?}");
    s.dispatch_plan(1, None, &d, sept26(1, 8)).await.unwrap();
    let f = file(s, &r, &inspector()).await.unwrap();
    assert_eq!((f.record.id, f.problems.clone()), (1, vec![1]));
    f
}

/// A plan, its dispatch and a record, each on the log; the finding is a problem of the
/// ledger; the chain verifies with the plan, the record and the problem as records.
pub async fn inspections_plan_dispatch_record_on_the_log<S: LedgerStore + InspectionStore>(s: &S) {
    let f = inspection_scenario(s).await;
    assert!(!f.check.too_far && !f.check.night, "{:?}", f.check);
    assert_eq!(f.filed_by, inspector().person);
    let p = s.problem(1).await.unwrap().unwrap();
    assert_eq!(p.state, State::New);
    assert_eq!(p.finding, Finding::Inspection);
    assert_eq!(p.category, "site_dust");
    assert_eq!(p.source.as_ref().map(|x| x.as_str()), Some("S001"));
    assert_eq!(p.grid.as_ref().map(|x| x.as_str()), Some("410871-G1"));
    assert_eq!(p.found_at, sept26(1, 10));
    let plan = s.plan(1).await.unwrap().unwrap();
    assert_eq!(plan.dispatched_at, Some(sept26(1, 8)));
    assert_eq!(s.inspection_record(1).await.unwrap(), Some(f));
    assert_eq!(s.plan(9).await.unwrap(), None);
    assert_eq!(s.inspection_record(9).await.unwrap(), None);
    let (head, _) = s.log_head().await.unwrap();
    let kinds: Vec<(String, String)> = s
        .log_entries(0, head as u32)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.action))
        .collect();
    let k = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        kinds,
        [
            k("inspection_plan", "plan"),
            k("evidence", "store"),
            k("inspection_plan", "dispatch"),
            k("problem", "create"),
            k("inspection", "file"),
        ]
    );
    let r = verify(s, 2).await.unwrap();
    assert_eq!(r.tamper, None);
    assert_eq!((r.entries, r.records, r.evidence), (5, 3, 1));
    // Dispatching twice is refused.
    let e = s
        .dispatch_plan(1, None, &dispatcher(), sept26(2, 8))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Refused(_)), "{e:?}");
}

/// An unannounced plan: only the seal is stored (no target name in any row or entry); a list
/// that does not match the seal is refused and writes nothing; the right list reveals it.
pub async fn inspections_sealed_list_is_never_stored<S: LedgerStore + InspectionStore>(s: &S) {
    let d = dispatcher();
    let secret = site("S077", "卓立膜材料", "T2", "410871-G2");
    let (plan, list) = s
        .create_plan(
            &plan_draft(
                InspectionMode::Unannounced,
                &[inspector()],
                vec![secret.clone(), s001()],
            ),
            &d,
            Some(Nonce::from_bytes([7; 32])),
            sept26(0, 9),
        )
        .await
        .unwrap();
    let list = list.unwrap();
    assert_eq!(plan.visible_targets(), None);
    assert_eq!(plan.seal(), Some(&list.hash()));
    let stored = s.plan(plan.id).await.unwrap().unwrap();
    assert_eq!(stored, plan);
    let (head, _) = s.log_head().await.unwrap();
    for e in s.log_entries(0, head as u32).await.unwrap() {
        let text = String::from_utf8_lossy(&e.payload);
        assert!(
            !text.contains("卓立膜材料") && !text.contains("S077"),
            "{text}"
        );
    }
    let by_unit = |u: &str| InspectionFilter {
        unit: Some(UnitCode::parse(u).unwrap()),
        ..InspectionFilter::default()
    };
    assert_eq!(
        s.plans(&by_unit("T2"), Page::default())
            .await
            .unwrap()
            .total,
        0
    );
    // A list with its order changed, or another nonce: refused, nothing written.
    let mut swapped = list.clone();
    swapped.targets.reverse();
    let resalted = SealedList {
        nonce: Nonce::from_bytes([8; 32]),
        ..list.clone()
    };
    for bad in [swapped, resalted] {
        let e = s
            .dispatch_plan(plan.id, Some(&bad), &d, sept26(1, 21))
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Refused(TransitionError::Rule(_))),
            "{e:?}"
        );
    }
    // Without the list, or by an inspector: refused.
    assert!(
        s.dispatch_plan(plan.id, None, &d, sept26(1, 21))
            .await
            .is_err()
    );
    let e = s
        .dispatch_plan(plan.id, Some(&list), &inspector(), sept26(1, 21))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(TransitionError::Forbidden { .. })),
        "{e:?}"
    );
    assert_eq!(s.log_head().await.unwrap().0, head);
    let sent = s
        .dispatch_plan(plan.id, Some(&list), &d, sept26(1, 21))
        .await
        .unwrap();
    assert_eq!(sent.visible_targets(), Some(list.targets.as_slice()));
    assert_eq!(
        s.plans(&by_unit("T2"), Page::default())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(verify(s, 3).await.unwrap().tamper, None);
}

/// Own unit (plan and record), a filer not on the team, evidence not stored, a finding of a
/// category the campaign lacks: each refused, and neither the log nor the ledger changes.
pub async fn inspections_refusals_write_nothing<S: LedgerStore + InspectionStore>(s: &S) {
    let ev = photo(s, "照片").await;
    let before = s.log_head().await.unwrap();
    let t = sept26(1, 10);
    let e = s
        .create_plan(
            &plan_draft(InspectionMode::Routine, &[own_inspector()], vec![s001()]),
            &dispatcher(),
            None,
            t,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(TransitionError::Forbidden { .. })),
        "{e:?}"
    );
    // An inspector of T1 inspecting T1's site.
    let own = record(
        InspectionMode::Routine,
        &[own_inspector()],
        s001(),
        t,
        Some(&ev),
    );
    let e = file(s, &own, &own_inspector()).await.unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(TransitionError::Forbidden { .. })),
        "{e:?}"
    );
    // Filed by someone not on the team.
    let ok = record(
        InspectionMode::Routine,
        &[inspector()],
        s001(),
        t,
        Some(&ev),
    );
    let e = file(s, &ok, &worker()).await.unwrap_err();
    assert!(matches!(e, StoreError::Refused(_)), "{e:?}");
    // Evidence never uploaded.
    let ghost = hex(&crate::ledger::sha256(b"never stored"));
    let r = record(
        InspectionMode::Routine,
        &[inspector()],
        s001(),
        t,
        Some(&ghost),
    );
    let e = file(s, &r, &inspector()).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                entity: "evidence",
                ..
            }
        ),
        "{e:?}"
    );
    // A category the campaign does not have.
    let mut bad = ok.clone();
    bad.findings[0].category = "no_such".into();
    let e = file(s, &bad, &inspector()).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
    // A plan that does not exist.
    let mut orphan = ok.clone();
    orphan.plan = Some(42);
    let e = file(s, &orphan, &inspector()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    assert_eq!(s.log_head().await.unwrap(), before);
    assert_eq!(s.problem(1).await.unwrap(), None);
    let all = s
        .inspection_records(&InspectionFilter::default(), Page::default())
        .await
        .unwrap();
    assert_eq!(all.total, 0);
    // The same record by the right person goes through.
    let f = file(s, &ok, &inspector()).await.unwrap();
    assert_eq!(f.problems, vec![1]);
}

/// A 夜查 that checks in by day is refused; at 23:00 local it counts as night. A check-in far
/// from the target is stored with its flag.
pub async fn inspections_night_and_distance<S: LedgerStore + InspectionStore>(s: &S) {
    let by_day = record(
        InspectionMode::Night,
        &[inspector()],
        s001(),
        sept26(1, 14),
        None,
    );
    let e = file(s, &by_day, &inspector()).await.unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(TransitionError::Rule(_))),
        "{e:?}"
    );
    let at_night = record(
        InspectionMode::Night,
        &[inspector()],
        s001(),
        sept26(1, 23),
        None,
    );
    let f = file(s, &at_night, &inspector()).await.unwrap();
    assert!(f.check.night && !f.check.too_far, "{:?}", f.check);
    assert!(f.problems.is_empty());
    let mut far = record(
        InspectionMode::Routine,
        &[inspector()],
        s001(),
        sept26(2, 10),
        None,
    );
    // About 2.2 km north.
    far.check_in.position = Point::new(113.30, 35.22).unwrap();
    let f = file(s, &far, &inspector()).await.unwrap();
    assert!(f.check.too_far && !f.check.night, "{:?}", f.check);
    assert_eq!(s.inspection_record(2).await.unwrap(), Some(f));
    assert_eq!(verify(s, 2).await.unwrap().tamper, None);
}

/// A 回头看 that finds the problem back reopens it (a rebound) in the record's transaction; one
/// that finds it held changes nothing; an inspector of the problem's unit may not do either.
pub async fn inspections_rebound_reopens_its_problem<S: LedgerStore + InspectionStore>(s: &S) {
    let cal = Calendar::china();
    let p = close_one(s, &cal, "工地裸土未覆盖").await;
    assert_eq!(p.state, State::Closed);
    let re = |outcome: ReinspectionOutcome, team: &[Actor], h: i64| {
        let mut r = record(
            InspectionMode::Reinspection,
            team,
            s001(),
            sept26(8, h),
            None,
        );
        r.reinspection = Some(Reinspection {
            problem: p.id,
            outcome,
        });
        r
    };
    let held = file(
        s,
        &re(ReinspectionOutcome::Held, &[inspector()], 10),
        &inspector(),
    )
    .await
    .unwrap();
    assert_eq!(held.reopened, None);
    assert_eq!(s.problem(p.id).await.unwrap().unwrap().state, State::Closed);
    let rebound = ReinspectionOutcome::Rebounded {
        reason: "裸土再次裸露".into(),
    };
    let other_unit_inspector = actor("i3", "T2", Role::Inspector);
    let before = s.log_head().await.unwrap();
    let own = re(rebound.clone(), &[own_inspector()], 11);
    assert!(file(s, &own, &own_inspector()).await.is_err());
    assert_eq!(s.log_head().await.unwrap(), before);
    let f = file(
        s,
        &re(rebound, std::slice::from_ref(&other_unit_inspector), 12),
        &other_unit_inspector,
    )
    .await
    .unwrap();
    assert_eq!(f.reopened, Some(p.id));
    let n = s.problem(p.id).await.unwrap().unwrap();
    assert_eq!((n.state, n.rebounds), (State::Reopened, 1));
    let tl = s.timeline(p.id).await.unwrap();
    assert_eq!(tl.last().unwrap().action, "reopen");
    assert_eq!(verify(s, 3).await.unwrap().tamper, None);
}

/// Filters (campaign, mode, unit, grids, plan, time range) with totals, and keyset pages.
pub async fn inspections_lists_filter_and_page<S: LedgerStore + InspectionStore>(s: &S) {
    inspection_scenario(s).await;
    let t2 = site("S002", "宁郭砖厂", "T2", "410871-G2");
    for (i, (mode, target, h)) in [
        (InspectionMode::Routine, s001(), 11),
        (InspectionMode::Night, t2.clone(), 23),
        (InspectionMode::Resident, t2.clone(), 9),
        (InspectionMode::Routine, t2, 15),
    ]
    .into_iter()
    .enumerate()
    {
        let r = record(mode, &[inspector()], target, sept26(2 + i as i32, h), None);
        file(s, &r, &inspector()).await.unwrap();
    }
    let count = async |f: InspectionFilter| {
        s.inspection_records(&f, Page::default())
            .await
            .unwrap()
            .total
    };
    assert_eq!(count(InspectionFilter::default()).await, 5);
    let mode = |m| InspectionFilter {
        mode: Some(m),
        ..InspectionFilter::default()
    };
    assert_eq!(count(mode(InspectionMode::Routine)).await, 3);
    assert_eq!(count(mode(InspectionMode::Night)).await, 1);
    let unit = InspectionFilter {
        unit: Some(UnitCode::parse("T2").unwrap()),
        ..InspectionFilter::default()
    };
    assert_eq!(count(unit).await, 3);
    let grids = InspectionFilter {
        grids: vec![
            RegionCode::parse("410871-G1").unwrap(),
            RegionCode::parse("410871-G9").unwrap(),
        ],
        ..InspectionFilter::default()
    };
    assert_eq!(count(grids).await, 2);
    let plan = InspectionFilter {
        plan: Some(1),
        ..InspectionFilter::default()
    };
    assert_eq!(count(plan).await, 1);
    // [day 2 00:00, day 4 00:00): the records of days 2 and 3.
    let range = InspectionFilter {
        from: Some(sept26(2, 0)),
        to: Some(sept26(4, 0)),
        ..InspectionFilter::default()
    };
    assert_eq!(count(range).await, 2);
    let other = InspectionFilter {
        campaign: Some("safety".into()),
        ..InspectionFilter::default()
    };
    assert_eq!(count(other).await, 0);
    let mut page = Page {
        after: None,
        limit: 2,
    };
    let mut seen = Vec::new();
    loop {
        let got = s
            .inspection_records(&InspectionFilter::default(), page)
            .await
            .unwrap();
        assert_eq!(got.total, 5);
        seen.extend(got.items.iter().map(|f| f.record.id));
        match got.next {
            Some(n) => page.after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5]);
    let plans = s
        .plans(&InspectionFilter::default(), Page::default())
        .await
        .unwrap();
    assert_eq!(plans.items.iter().map(|p| p.id).collect::<Vec<_>>(), [1]);
}

async fn expect_tamper<S: LedgerStore>(s: &S, want: Tamper) {
    let r = verify(s, 4).await.unwrap();
    assert_eq!(r.tamper, Some(want));
}

async fn run<S>(s: &S, raw: &impl AsyncFn(&S, &str) -> Result<(), String>, sql: &str) {
    raw(s, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Record 1 made to look like a night inspection in its mode column, then its body replaced:
/// named both times.
pub async fn tamper_edited_inspection_record_is_named<S: LedgerStore + InspectionStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
) {
    inspection_scenario(s).await;
    let want = Tamper::RecordEdited {
        kind: "inspection".into(),
        id: 1,
    };
    run(
        s,
        &raw,
        "UPDATE inspection_records SET mode = 'night' WHERE id = 1",
    )
    .await;
    expect_tamper(s, want.clone()).await;
    run(
        s,
        &raw,
        "UPDATE inspection_records SET mode = 'routine', body = X'7b7d' WHERE id = 1",
    )
    .await;
    expect_tamper(s, want).await;
}

/// Plan 1 marked not dispatched in its column only: named.
pub async fn tamper_edited_inspection_plan_column_is_named<S: LedgerStore + InspectionStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
) {
    inspection_scenario(s).await;
    run(s, &raw, "UPDATE inspection_plans SET seq = 0 WHERE id = 1").await;
    expect_tamper(
        s,
        Tamper::RecordEdited {
            kind: "inspection_plan".into(),
            id: 1,
        },
    )
    .await;
}

/// The hash of the finding's photo in the scenario, and the seq of its `store` entry.
async fn scenario_photo<S: LedgerStore + InspectionStore>(s: &S) -> (String, u64) {
    let f = inspection_scenario(s).await;
    let h = f.record.findings[0].evidence[0].to_string();
    let (head, _) = s.log_head().await.unwrap();
    let seq = s
        .log_entries(0, head as u32)
        .await
        .unwrap()
        .iter()
        .find(|e| e.kind == "evidence" && e.entity == h)
        .unwrap()
        .seq;
    assert!(parse_hex(&h).is_some());
    (h, seq)
}

/// The photo behind the record's finding deleted from the evidence table: named, with the
/// entry that first named it.
pub async fn tamper_deleted_evidence_is_named<S: LedgerStore + InspectionStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
) {
    let (h, seq) = scenario_photo(s).await;
    run(
        s,
        &raw,
        &format!("DELETE FROM evidence WHERE hash = X'{h}'"),
    )
    .await;
    expect_tamper(s, Tamper::EvidenceMissing { hash: h, seq }).await;
}

/// The photo's bytes replaced: named.
pub async fn tamper_altered_evidence_is_named<S: LedgerStore + InspectionStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
) {
    let (h, _) = scenario_photo(s).await;
    run(
        s,
        &raw,
        &format!("UPDATE evidence SET bytes = X'ffd8ffe000' WHERE hash = X'{h}'"),
    )
    .await;
    expect_tamper(s, Tamper::EvidenceAltered { hash: h }).await;
}

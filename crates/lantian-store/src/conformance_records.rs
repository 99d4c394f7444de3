//! The records' part of the conformance suite: what every backend's [`RecordStore`] must do —
//! cases moved only by the domain's one transition (a refused step writes nothing),
//! accountability records tied to existing problems, lists with filters and keyset pages, a
//! source's dossier — and a tamper test per record kind (a row edited with raw SQL is named by
//! [`verify`]).
//!
//! A backend's integration test runs it with
//! [`records_conformance_tests!`](crate::records_conformance_tests)`(harness, raw)`, `raw` as in
//! [`conformance_ledger`](crate::conformance_ledger).

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // test code: a panic is the report

use crate::StoreError;
use crate::conformance_ledger::{actor, close_one, dispatcher, found, inspector, photo, sept26};
use crate::ledger::{LedgerStore, Page, Tamper, verify};
use crate::records::{RecordFilter, RecordStore};
use lantian_domain::ContentHash;
use lantian_domain::accountability::{AccountabilityDraft, AccountabilityKind, Subject};
use lantian_domain::calendar::Calendar;
use lantian_domain::enforcement::{CaseAction, CaseDraft, CaseState, EnforcementCase, Fen};
use lantian_domain::ledger::{Actor, State, TransitionError};
use lantian_domain::org::Role;
use lantian_domain::{PersonId, SourceId, UnitCode};

/// Generate one `#[tokio::test]` per records conformance test.
#[macro_export]
macro_rules! records_conformance_tests {
    ($harness:path, $raw:path) => {
        $crate::records_conformance_tests!(@plain $harness;
            records_case_runs_its_procedure_on_the_log,
            records_refused_case_step_writes_nothing,
            records_accountability_links_existing_problems,
            records_lists_filter_and_page,
            records_source_dossier_has_problems_and_cases
        );
        $crate::records_conformance_tests!(@raw $harness, $raw;
            tamper_edited_case_body_is_named,
            tamper_edited_case_column_is_named,
            tamper_deleted_case_row_is_named,
            tamper_edited_accountability_row_is_named
        );
    };
    (@plain $harness:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                $harness(stringify!($name), async |s| {
                    $crate::conformance_records::$name(s).await
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
                    $crate::conformance_records::$name(s, $raw).await
                })
                .await;
            }
        )*
    };
}

fn officer(n: u32) -> Actor {
    actor(&format!("z{n}"), "ZFJ", Role::EnforcementOfficer)
}

fn leader() -> Actor {
    actor("l1", "ZHB", Role::Leader)
}

fn source(s: &str) -> SourceId {
    SourceId::parse(s).unwrap()
}

fn fen(yuan: i64) -> Fen {
    Fen::new(yuan * 100).unwrap()
}

/// A case draft against `problems` and source `src`.
pub fn case_draft(problems: Vec<u64>, src: &str) -> CaseDraft {
    CaseDraft {
        id: 0,
        title: "未按规定使用VOCs治理设施".into(),
        party: "焦作某包装有限公司".into(),
        sources: vec![source(src)],
        problems,
    }
}

/// The step leading into `to`, by its proper actor.
pub fn case_step(to: CaseState) -> (Actor, CaseAction) {
    match to {
        CaseState::Filed | CaseState::Investigated => (
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
            actor("admin", "ZHB", Role::Admin),
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
            officer(2),
            CaseAction::Close {
                summary: "罚款已缴纳，设施已恢复运行".into(),
            },
        ),
    }
}

/// File a case on problem `p` (and source S001) and run it up to `to`.
pub async fn case_to<S: LedgerStore + RecordStore>(
    s: &S,
    p: u64,
    to: CaseState,
) -> EnforcementCase {
    let t = sept26(1, 9);
    // The files the steps name (`case_step`) are stored first, as the store requires.
    photo(s, "record").await;
    photo(s, "receipt").await;
    let mut c = s
        .file_case(&case_draft(vec![p], "S001"), &officer(1), t)
        .await
        .unwrap();
    while c.state < to {
        let (who, act) = case_step(c.state.next().unwrap());
        c = s
            .transition_case(c.id, Some(c.seq), act, &who, t)
            .await
            .unwrap();
    }
    c
}

fn acc_draft(problems: Vec<u64>) -> AccountabilityDraft {
    AccountabilityDraft {
        id: 0,
        subject: Subject::Person {
            person: PersonId::parse("w1").unwrap(),
            unit: UnitCode::parse("T1").unwrap(),
        },
        kind: AccountabilityKind::Interview,
        reason: "工地扬尘问题逾期未整改".into(),
        problems,
    }
}

/// A closed problem (1), a case on it run to closure (1), a case only filed (2), an
/// accountability record (1); verifies before returning.
pub async fn records_scenario<S: LedgerStore + RecordStore>(s: &S) {
    let p = close_one(s, &Calendar::china(), "VOCs 治理设施未运行").await;
    assert_eq!(p.id, 1);
    let c1 = case_to(s, 1, CaseState::Closed).await;
    assert_eq!((c1.id, c1.seq), (1, 6));
    let c2 = case_to(s, 1, CaseState::Filed).await;
    assert_eq!(c2.id, 2);
    let a = s
        .create_accountability(&acc_draft(vec![1]), &leader(), sept26(2, 9))
        .await
        .unwrap();
    assert_eq!(a.id, 1);
    let r = verify(s, 3).await.unwrap();
    assert_eq!(r.tamper, None);
    // 1 problem + 2 cases + 1 accountability record.
    assert_eq!(r.records, 4);
}

/// Filing and every step go through the domain and onto the log; the stored case is what the
/// domain produced and the chain verifies.
pub async fn records_case_runs_its_procedure_on_the_log<S: LedgerStore + RecordStore>(s: &S) {
    records_scenario(s).await;
    let c = s.case(1).await.unwrap().unwrap();
    assert_eq!(c.state, CaseState::Closed);
    assert_eq!(c.penalty, Some(fen(40_000)));
    assert_eq!(c.officers.len(), 2);
    assert_eq!(s.case(99).await.unwrap(), None);
    // The log holds the filing and five steps of case 1, with their codes, in order.
    let (head, _) = s.log_head().await.unwrap();
    let entries = s.log_entries(0, head as u32).await.unwrap();
    let steps: Vec<&str> = entries
        .iter()
        .filter(|e| e.kind == "case" && e.entity == "1")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "file",
            "investigate",
            "notify",
            "decide_penalty",
            "execute",
            "close"
        ]
    );
    // A stale seq is a conflict.
    let (who, act) = case_step(CaseState::Investigated);
    let e = s
        .transition_case(2, Some(0), act, &who, sept26(2, 9))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
}

/// A skipped step, a wrong actor or a filing by someone without the power: refused, and
/// neither the case nor the log changes.
pub async fn records_refused_case_step_writes_nothing<S: LedgerStore + RecordStore>(s: &S) {
    records_scenario(s).await;
    let before = s.log_head().await.unwrap();
    let case2 = s.case(2).await.unwrap().unwrap();
    let t = sept26(3, 9);
    // Skipping 调查 (filed → noticed).
    let (who, notify) = case_step(CaseState::Noticed);
    let e = s
        .transition_case(2, None, notify, &who, t)
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(TransitionError::WrongState { .. })),
        "{e:?}"
    );
    // Investigation by an inspector, not an enforcement officer.
    let (_, investigate) = case_step(CaseState::Investigated);
    let e = s
        .transition_case(2, None, investigate, &inspector(), t)
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(TransitionError::Forbidden { .. })),
        "{e:?}"
    );
    // Evidence that was never stored.
    let ghost = CaseAction::Investigate {
        officers: vec![officer(1).person, officer(2).person],
        findings: "现场检查".into(),
        evidence: vec![ContentHash::of(b"never stored")],
    };
    let e = s
        .transition_case(2, None, ghost, &officer(1), t)
        .await
        .unwrap_err();
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
    // A closed case moves no further.
    let (who, close) = case_step(CaseState::Closed);
    let e = s
        .transition_case(1, None, close, &who, t)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Refused(_)), "{e:?}");
    // Filing by an inspector, or on a problem that does not exist.
    let e = s
        .file_case(&case_draft(vec![1], "S001"), &inspector(), t)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Refused(_)), "{e:?}");
    let e = s
        .file_case(&case_draft(vec![42], "S001"), &officer(1), t)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    assert_eq!(s.log_head().await.unwrap(), before);
    assert_eq!(s.case(2).await.unwrap().unwrap(), case2);
    assert_eq!(s.case(3).await.unwrap(), None);
    assert_eq!(verify(s, 5).await.unwrap().tamper, None);
}

/// An accountability record needs its problems to exist and a leader or the command to decide
/// it; a refusal writes nothing.
pub async fn records_accountability_links_existing_problems<S: LedgerStore + RecordStore>(s: &S) {
    records_scenario(s).await;
    let before = s.log_head().await.unwrap();
    let t = sept26(3, 9);
    let e = s
        .create_accountability(&acc_draft(vec![1, 7]), &leader(), t)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        StoreError::NotFound {
            entity: "problem",
            key: "7".into()
        }
    );
    let e = s
        .create_accountability(&acc_draft(vec![1]), &dispatcher(), t)
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(TransitionError::Forbidden { .. })),
        "{e:?}"
    );
    let unit_subject = AccountabilityDraft {
        subject: Subject::Unit {
            unit: UnitCode::parse("T1").unwrap(),
        },
        kind: AccountabilityKind::Admonishment,
        ..acc_draft(vec![1])
    };
    let e = s
        .create_accountability(&unit_subject, &leader(), t)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
    assert_eq!(s.log_head().await.unwrap(), before);
    let page = s
        .accountability(&RecordFilter::default(), Page::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].problems, vec![1]);
    assert_eq!(page.items[0].decided_by.as_str(), "l1");
}

/// Filters (unit, state, source, problem) with totals, and keyset pages that cover every match
/// once.
pub async fn records_lists_filter_and_page<S: LedgerStore + RecordStore>(s: &S) {
    records_scenario(s).await;
    let t = sept26(3, 9);
    let p2 = s
        .create_problem(&found("air", "二号问题", t), &inspector(), t)
        .await
        .unwrap();
    for _ in 0..4 {
        s.file_case(&case_draft(vec![p2.id], "S002"), &officer(2), t)
            .await
            .unwrap();
    }
    let all = s
        .cases(&RecordFilter::default(), Page::default())
        .await
        .unwrap();
    assert_eq!((all.total, all.items.len(), all.next), (6, 6, None));
    let count = async |f: RecordFilter| s.cases(&f, Page::default()).await.unwrap().total;
    let filed = RecordFilter {
        state: Some(CaseState::Filed.code().into()),
        ..RecordFilter::default()
    };
    assert_eq!(count(filed).await, 5);
    let by_source = RecordFilter {
        source: Some(source("S002")),
        ..RecordFilter::default()
    };
    assert_eq!(count(by_source).await, 4);
    let by_problem = RecordFilter {
        problem: Some(1),
        ..RecordFilter::default()
    };
    assert_eq!(count(by_problem).await, 2);
    // "|1|" does not match problem 11 or 21: framing keeps ids whole.
    let by_other = RecordFilter {
        problem: Some(11),
        ..RecordFilter::default()
    };
    assert_eq!(count(by_other).await, 0);
    let by_unit = RecordFilter {
        unit: Some(UnitCode::parse("ZFJ").unwrap()),
        state: Some(CaseState::Closed.code().into()),
        ..RecordFilter::default()
    };
    assert_eq!(count(by_unit).await, 1);
    let mut page = Page {
        after: None,
        limit: 4,
    };
    let mut seen = Vec::new();
    loop {
        let got = s.cases(&RecordFilter::default(), page).await.unwrap();
        assert_eq!(got.total, 6);
        seen.extend(got.items.iter().map(|c| c.id));
        match got.next {
            Some(n) => page.after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5, 6]);
}

/// A source's dossier: its problems and its cases.
pub async fn records_source_dossier_has_problems_and_cases<S: LedgerStore + RecordStore>(s: &S) {
    records_scenario(s).await;
    let d = s.source_dossier(&source("S001")).await.unwrap();
    assert_eq!(d.problems.len(), 1);
    assert_eq!(d.problems[0].state, State::Closed);
    let ids: Vec<u64> = d.cases.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![1, 2]);
    let none = s.source_dossier(&source("S999")).await.unwrap();
    assert!(none.problems.is_empty() && none.cases.is_empty());
}

async fn expect_tamper<S: LedgerStore>(s: &S, want: Tamper) {
    let r = verify(s, 4).await.unwrap();
    assert_eq!(r.tamper, Some(want));
}

async fn run<S>(s: &S, raw: &impl AsyncFn(&S, &str) -> Result<(), String>, sql: &str) {
    raw(s, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Case 1's body replaced by case 2's (a closed case made to look merely filed): named.
pub async fn tamper_edited_case_body_is_named<S: LedgerStore + RecordStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
) {
    records_scenario(s).await;
    run(
        s,
        &raw,
        "UPDATE cases SET body = (SELECT body FROM cases WHERE id = 2) WHERE id = 1",
    )
    .await;
    expect_tamper(
        s,
        Tamper::RecordEdited {
            kind: "case".into(),
            id: 1,
        },
    )
    .await;
}

/// Case 2 marked closed in its state column only: named.
pub async fn tamper_edited_case_column_is_named<S: LedgerStore + RecordStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
) {
    records_scenario(s).await;
    run(s, &raw, "UPDATE cases SET state = 'closed' WHERE id = 2").await;
    expect_tamper(
        s,
        Tamper::RecordEdited {
            kind: "case".into(),
            id: 2,
        },
    )
    .await;
}

/// Case 2's row deleted: the log still names it.
pub async fn tamper_deleted_case_row_is_named<S: LedgerStore + RecordStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
) {
    records_scenario(s).await;
    run(s, &raw, "DELETE FROM cases WHERE id = 2").await;
    expect_tamper(
        s,
        Tamper::RecordMissing {
            kind: "case".into(),
            id: "2".into(),
        },
    )
    .await;
}

/// An accountability record moved to another unit in its unit column only: named.
pub async fn tamper_edited_accountability_row_is_named<S: LedgerStore + RecordStore>(
    s: &S,
    raw: impl AsyncFn(&S, &str) -> Result<(), String>,
) {
    records_scenario(s).await;
    run(
        s,
        &raw,
        "UPDATE accountability SET unit = 'T2' WHERE id = 1",
    )
    .await;
    expect_tamper(
        s,
        Tamper::RecordEdited {
            kind: "accountability".into(),
            id: 1,
        },
    )
    .await;
}

//! The conformance suite of `lantian-store` on SQLite, each test on a fresh database file; and
//! an ignored import benchmark (`cargo test --release -p lantian-store-sqlite -- --ignored bench`).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use lantian_store::Store;
use lantian_store::conformance::{synthetic_hourly, synthetic_stations};
use lantian_store_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system temp dir, removed by `Drop`.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!(
            "lantian-store-sqlite-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn harness(name: &str, test: impl AsyncFnOnce(&SqliteStore)) {
    let dir = TempDir::new(name);
    let store = SqliteStore::open(dir.0.join("lantian.sqlite"))
        .await
        .unwrap();
    test(&store).await;
    store.close().await;
}

lantian_store::conformance_tests!(harness);

#[tokio::test]
async fn memory_store_works_and_reopening_a_file_keeps_its_data() {
    let m = SqliteStore::memory().await.unwrap();
    m.upsert_stations(&synthetic_stations(3)).await.unwrap();
    assert_eq!(m.stations().await.unwrap().len(), 3);
    let dir = TempDir::new("reopen");
    let path = dir.0.join("lantian.sqlite");
    let s = SqliteStore::open(&path).await.unwrap();
    let st = synthetic_stations(2);
    s.upsert_stations(&st).await.unwrap();
    let v = synthetic_hourly(&st, lantian_store::conformance::hour(0, 1), 10);
    s.import_hourly(&v).await.unwrap();
    s.close().await;
    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(s.count_hourly().await.unwrap(), v.len() as u64);
    s.close().await;
}

/// CPU seconds this process has used (user + system), from /proc: on a shared machine the
/// wall time of a benchmark also counts other processes' work.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // Fields 14 and 15 of proc(5) (utime, stime), 11 and 12 after the command name; 100 Hz.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// Import speed: 2000 stations × 170 hours × 6 pollutants (about 2 M values) in batches of
/// 100 000, into a fresh file. Run in release; prints values/s.
#[tokio::test]
#[ignore = "benchmark: run with --release -- --ignored bench"]
#[allow(clippy::disallowed_methods)] // a benchmark measures wall time
async fn bench_import() {
    let stations = synthetic_stations(2000);
    let values = synthetic_hourly(&stations, lantian_store::conformance::hour(0, 1), 170);
    let dir = TempDir::new("bench");
    let s = SqliteStore::open(dir.0.join("lantian.sqlite"))
        .await
        .unwrap();
    s.upsert_stations(&stations).await.unwrap();
    let batch: usize = std::env::var("LANTIAN_BENCH_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(100_000);
    let (t, cpu) = (std::time::Instant::now(), cpu_seconds());
    for chunk in values.chunks(batch) {
        s.import_hourly(chunk).await.unwrap();
    }
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    assert_eq!(s.count_hourly().await.unwrap(), values.len() as u64);
    println!(
        "SQLite import, batches of {batch}: {} values in {secs:.2} s = {:.0} values/s \
         (CPU {cpu:.2} s = {:.0} values per CPU second)",
        values.len(),
        values.len() as f64 / secs,
        values.len() as f64 / cpu
    );
    if std::env::var_os("LANTIAN_BENCH_NO_REIMPORT").is_some() {
        return;
    }
    // Again, in batches that cut days apart: many rollups are recomputed from the hourly table.
    for batch in [batch, 100_000] {
        let t = std::time::Instant::now();
        for chunk in values.chunks(batch) {
            s.import_hourly(chunk).await.unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "SQLite re-import (all values already stored), batches of {batch}: {secs:.2} s = \
             {:.0} values/s",
            values.len() as f64 / secs
        );
    }
    s.close().await;
}

/// Several connections opening the same NEW file at once all succeed: sqlx takes no migration
/// lock on SQLite, so the store retries a migration another opener has just applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_of_a_new_file_all_migrate() {
    for round in 0..5 {
        let dir = TempDir::new(&format!("concurrent-{round}"));
        let path = dir.0.join("lantian.sqlite");
        let opens: Vec<_> = (0..6)
            .map(|_| {
                let p = path.clone();
                tokio::spawn(async move { SqliteStore::open(&p).await })
            })
            .collect();
        for o in opens {
            let s = o.await.unwrap().unwrap();
            assert_eq!(s.count_hourly().await.unwrap(), 0);
            s.close().await;
        }
    }
}

/// Run one SQL statement on the store's pool (the tamper tests' "someone with the file").
async fn raw_sql(s: &SqliteStore, sql: &str) -> Result<(), String> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(s.pool())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Remove the append-only triggers, as an attacker with the file would.
async fn unprotect(s: &SqliteStore) {
    raw_sql(
        s,
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
    )
    .await
    .unwrap();
}

lantian_store::ledger_conformance_tests!(harness, raw_sql, unprotect);
lantian_store::records_conformance_tests!(harness, raw_sql);
lantian_store::inspections_conformance_tests!(harness, raw_sql);

/// The ledger at store level under random operations by random actors (SQLite in memory): the
/// store agrees with the pure transition function step by step, a problem is never closed
/// without an accepted verification by a person of another unit, every successful transition
/// is exactly one log entry (nothing lost, nothing extra), and the chain verifies.
mod ledger_properties {
    use lantian_domain::calendar::Calendar;
    use lantian_domain::ledger::{Action, Actor, Escalation, Mode, Problem, State, transition};
    use lantian_domain::org::Role;
    use lantian_domain::{PersonId, RegionCode, UnitCode};
    use lantian_store::StoreError;
    use lantian_store::conformance_ledger::{found, sept26};
    use lantian_store::ledger::{LedgerStore, verify};
    use lantian_store_sqlite::SqliteStore;
    use proptest::prelude::*;

    fn actors() -> Vec<Actor> {
        let a = |p: &str, u: &str, role, grids: &[&str]| Actor {
            person: PersonId::parse(p).unwrap(),
            unit: UnitCode::parse(u).unwrap(),
            role,
            grids: grids
                .iter()
                .map(|g| RegionCode::parse(g).unwrap())
                .collect(),
        };
        vec![
            a("d1", "SHJZX", Role::Dispatcher, &[]),
            a("a1", "CMD", Role::Admin, &[]),
            a("w1", "T1", Role::UnitStaff, &[]),
            a("w2", "T2", Role::UnitStaff, &[]),
            a("h1", "T1", Role::UnitHead, &[]),
            a("i1", "DCK", Role::Inspector, &[]),
            a("i2", "T1", Role::Inspector, &[]),
            a("g1", "T2", Role::GridChief, &["410871-G1"]),
            a("l1", "CMD", Role::Leader, &[]),
        ]
    }

    fn action(kind: u8, param: u8, evidence: &str) -> Action {
        let ev = || vec![evidence.to_owned()];
        let units = ["T1", "T2", "DCK"];
        let people = ["w1", "w2", "i1", "h1"];
        match kind % 13 {
            0 => Action::Assign {
                unit: UnitCode::parse(units[param as usize % 3]).unwrap(),
                assignee: PersonId::parse(people[param as usize / 3 % 4]).unwrap(),
            },
            1 => Action::Start,
            2 => Action::CompleteMilestone {
                index: param as usize % 2,
                evidence: ev(),
            },
            3 | 4 => Action::Submit {
                evidence: if param.is_multiple_of(5) {
                    vec![]
                } else {
                    ev()
                },
                note: String::new(),
            },
            5 | 6 => Action::Approve {
                evidence: if param.is_multiple_of(7) {
                    vec![]
                } else {
                    ev()
                },
            },
            7 => Action::Reject {
                reason: "不合格".into(),
            },
            8 => Action::Suspend {
                reason: "等待审批".into(),
            },
            9 => Action::Resume,
            10 => Action::Reopen {
                reason: "反弹".into(),
            },
            11 => Action::Cancel {
                reason: if param.is_multiple_of(4) {
                    String::new()
                } else {
                    "误报".into()
                },
            },
            _ => Action::Escalate {
                to: [
                    Escalation::Warned,
                    Escalation::Reminded,
                    Escalation::Supervised,
                    Escalation::Listed,
                    Escalation::Accountability,
                ][param as usize % 5],
            },
        }
    }

    fn plausible_kind(state: State, param: u8) -> u8 {
        let pick = |ks: &[u8]| ks[param as usize % ks.len()];
        match state {
            State::New | State::Reopened => pick(&[0, 0, 0, 11]),
            State::Assigned => pick(&[1, 1, 1, 12, 8, 0]),
            State::Rectifying => pick(&[2, 3, 3, 8, 12, 2]),
            State::Submitted => pick(&[5, 5, 7]),
            State::Closed => 10,
            State::Suspended => pick(&[9, 11]),
            State::Duplicate | State::Cancelled => param % 13,
        }
    }

    fn plausible_actor<'a>(kind: u8, p: &Problem, cast: &'a [Actor], param: u8) -> &'a Actor {
        let by = |id: &str| cast.iter().find(|a| a.person.as_str() == id).unwrap();
        let pick = |ids: &[&str]| by(ids[param as usize / 7 % ids.len()]);
        match kind % 13 {
            0 | 8 | 9 | 11 | 12 => pick(&["d1", "a1"]),
            1..=4 => match &p.assignee {
                Some(a) if !param.is_multiple_of(4) => by(a.as_str()),
                _ => pick(&["w1", "w2", "h1"]),
            },
            _ => pick(&["i1", "i2", "d1"]),
        }
    }

    /// (create?, which problem, action kind, actor, parameter)
    fn ops() -> impl Strategy<Value = Vec<(bool, u8, u8, u8, u8)>> {
        prop::collection::vec(
            (
                prop::bool::weighted(0.08),
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
            ),
            1..120,
        )
    }

    async fn run(ops: Vec<(bool, u8, u8, u8, u8)>) -> Result<(), TestCaseError> {
        let s = SqliteStore::memory().await.unwrap();
        let cal = Calendar::china();
        let cast = actors();
        let ev = s
            .put_evidence(
                b"photo",
                "image/jpeg",
                &PersonId::parse("w1").unwrap(),
                sept26(0, 8),
            )
            .await
            .unwrap();
        let mut model: Vec<Problem> = Vec::new();
        let mut logged = 1u64; // the evidence file
        let mut t = sept26(0, 9);
        for (create, which, kind, who, param) in ops {
            t = t.plus_seconds(3600);
            let actor = &cast[who as usize % cast.len()];
            if create || model.is_empty() {
                let mut n = found("air", "随机问题", t);
                if param % 2 == 0 {
                    n.mode = Mode::TimeBound {
                        working_days: 5,
                        milestones: vec![lantian_domain::ledger::Milestone {
                            title: "一".into(),
                            due: t.plus_seconds(86_400),
                            done_at: None,
                        }],
                    };
                }
                let p = s.create_problem(&n, actor, t).await.unwrap();
                prop_assert_eq!(p.id as usize, model.len() + 1);
                model.push(p);
                logged += 1;
                continue;
            }
            let i = which as usize % model.len();
            // Mostly what would make sense now, by someone who might be allowed to do it; the
            // rest fully random (mostly refused).
            let kind = if kind % 5 == 0 {
                kind
            } else {
                plausible_kind(model[i].state, param)
            };
            let actor = if who % 3 == 0 {
                actor
            } else {
                plausible_actor(kind, &model[i], &cast, param)
            };
            let a = action(kind, param, &ev);
            let want = transition(&model[i], actor, a.clone(), t, &cal);
            let head = s.log_head().await.unwrap();
            let got = s
                .apply(model[i].id, Some(model[i].seq), a, actor, t, &cal)
                .await;
            match (want, got) {
                (Ok((n, _)), Ok(p)) => {
                    prop_assert_eq!(&p, &n);
                    if p.state == State::Closed {
                        let v = p
                            .verification
                            .as_ref()
                            .expect("closed without a verification");
                        prop_assert!(Some(&v.unit) != p.unit.as_ref(), "closed by its own unit");
                        prop_assert!(Some(&v.by) != p.submitted_by.as_ref());
                        prop_assert!(Some(&v.by) != p.assignee.as_ref());
                    }
                    model[i] = n;
                    logged += 1;
                }
                (Err(w), Err(StoreError::Refused(g))) => {
                    prop_assert_eq!(w, g);
                    prop_assert_eq!(
                        s.log_head().await.unwrap(),
                        head,
                        "a refusal writes nothing"
                    );
                }
                (w, g) => prop_assert!(false, "domain {w:?} but store {g:?}"),
            }
        }
        prop_assert_eq!(
            s.log_head().await.unwrap().0,
            logged,
            "one entry per success"
        );
        let units: std::collections::HashMap<String, UnitCode> = cast
            .iter()
            .map(|a| (a.person.as_str().to_owned(), a.unit.clone()))
            .collect();
        for m in &model {
            let p = s.problem(m.id).await.unwrap().unwrap();
            prop_assert_eq!(&p, m);
            let tl = s.timeline(p.id).await.unwrap();
            prop_assert_eq!(tl.len() as u64, p.seq + 1, "problem {} timeline", p.id);
            if p.state == State::Closed {
                let v = p
                    .verification
                    .as_ref()
                    .expect("closed without a verification");
                prop_assert!(!v.evidence.is_empty());
                prop_assert!(Some(&v.unit) != p.unit.as_ref(), "verified by its own unit");
                prop_assert!(Some(&v.by) != p.submitted_by.as_ref());
                let last = tl.last().unwrap();
                prop_assert_eq!(last.action.as_str(), "approve");
                prop_assert_eq!(last.actor.as_str(), v.by.as_str());
                prop_assert!(Some(&units[&last.actor]) != p.unit.as_ref());
            }
        }
        let r = verify(&s, 16).await.unwrap();
        prop_assert_eq!(r.tamper, None);
        prop_assert_eq!(r.entries, logged);
        s.close().await;
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn random_operations_keep_the_ledger_honest(ops in ops()) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(run(ops))?;
        }
    }
}

#[tokio::test]
#[ignore = "probe"]
#[allow(clippy::disallowed_methods)]
async fn probe_read_shapes() {
    let s = SqliteStore::open(std::env::var("PROBE_DB").unwrap())
        .await
        .unwrap();
    for sql in [
        "SELECT seq FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 20000",
        "SELECT seq, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 20000",
        "SELECT seq, payload FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 20000",
        "SELECT seq, at, actor, kind, entity, action, payload, record_digest, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 20000",
    ] {
        let t = std::time::Instant::now();
        let mut after = 0i64;
        let mut n = 0;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(after)
                .fetch_all(s.pool())
                .await
                .unwrap();
            if rows.is_empty() {
                break;
            }
            use sqlx::Row;
            after = rows.last().unwrap().get(0);
            n += rows.len();
        }
        println!("{:.0} rows/s  {sql}", n as f64 / t.elapsed().as_secs_f64());
    }
}

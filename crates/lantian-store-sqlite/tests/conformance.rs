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

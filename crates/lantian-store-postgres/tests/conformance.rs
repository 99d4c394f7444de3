//! The conformance suite of `lantian-store` on PostgreSQL, each test in a fresh database
//! (`lantian_test_<pid>_<n>`, dropped afterwards, also when the test fails); and an ignored
//! import benchmark (`cargo test --release -p lantian-store-postgres -- --ignored bench`).
//!
//! The server is `$LANTIAN_PG_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`. When it
//! cannot be reached the tests say `SKIPPED` and pass — except under `CI=true`, where that is a
//! failure.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use lantian_store::Store;
use lantian_store::conformance::{synthetic_hourly, synthetic_stations};
use lantian_store_postgres::PgStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

static N: AtomicUsize = AtomicUsize::new(0);

fn admin_url() -> String {
    std::env::var("LANTIAN_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A connection to the admin database, or `None` (after saying so) when there is no server.
async fn admin() -> Option<(PgConnectOptions, PgConnection)> {
    let url = admin_url();
    let opts: PgConnectOptions = url.parse().expect("LANTIAN_PG_URL is not a PostgreSQL URL");
    match opts.connect().await {
        Ok(c) => Some((opts, c)),
        Err(e) if is_ci() => {
            panic!("PostgreSQL not reachable at {url}: {e}; CI=true, so this is a failure")
        }
        Err(e) => {
            eprintln!("SKIPPED: PostgreSQL not reachable at {url}: {e}");
            None
        }
    }
}

/// Poll `fut` to completion, catching a panic so the caller can clean up first.
async fn catch<F: Future<Output = ()>>(fut: F) -> Result<(), Box<dyn std::any::Any + Send>> {
    let mut fut = pin!(fut);
    std::future::poll_fn(
        move |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) => Poll::Ready(Ok(())),
            Err(panic) => Poll::Ready(Err(panic)),
        },
    )
    .await
}

/// Run `test` on a store in a database of its own, then drop the database.
async fn with_fresh_db(name: &str, test: impl AsyncFnOnce(&PgStore)) {
    let Some((opts, mut admin)) = admin().await else {
        return;
    };
    let db = format!(
        "lantian_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let drop = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
    sqlx::query(AssertSqlSafe(drop.clone()))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let result = catch(async {
        let store = PgStore::connect_with(opts.clone().database(&db))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        test(&store).await;
        store.close().await;
    })
    .await;
    sqlx::query(AssertSqlSafe(drop))
        .execute(&mut admin)
        .await
        .unwrap();
    let _ = admin.close().await;
    if let Err(panic) = result {
        resume_unwind(panic);
    }
}

async fn harness(name: &str, test: impl AsyncFnOnce(&PgStore)) {
    with_fresh_db(name, test).await;
}

lantian_store::conformance_tests!(harness);

/// Run one SQL statement on the store's pool (the tamper tests' "someone with database access").
async fn raw_sql(s: &PgStore, sql: &str) -> Result<(), String> {
    // SQLite's blob literal X'…' → decode('…', 'hex').
    let mut pg = String::new();
    let mut rest = sql;
    while let Some(i) = rest.find("X'") {
        let (head, tail) = rest.split_at(i);
        let end = tail[2..].find('\'').unwrap() + 2;
        pg.push_str(head);
        pg.push_str(&format!("decode('{}', 'hex')", &tail[2..end]));
        rest = &tail[end + 1..];
    }
    pg.push_str(rest);
    sqlx::raw_sql(AssertSqlSafe(pg))
        .execute(s.pool())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Switch the append-only triggers off, as an attacker with the owner's rights would.
async fn unprotect(s: &PgStore) {
    raw_sql(s, "ALTER TABLE audit_log DISABLE TRIGGER USER")
        .await
        .unwrap();
}

lantian_store::ledger_conformance_tests!(harness, raw_sql, unprotect);
lantian_store::records_conformance_tests!(harness, raw_sql);
lantian_store::inspections_conformance_tests!(harness, raw_sql);

/// Import speed: 2000 stations × 170 hours × 6 pollutants (about 2 M values) in batches of
/// `$LANTIAN_BENCH_BATCH` (default 100 000) values, with `import_hourly` (COPY) and with
/// `upsert_hourly` (UNNEST), each into a fresh database. Run in release.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored bench"]
#[allow(clippy::disallowed_methods)] // a benchmark measures wall time
async fn bench_import() {
    let stations = synthetic_stations(2000);
    let values = synthetic_hourly(&stations, lantian_store::conformance::hour(0, 1), 170);
    let batch: usize = std::env::var("LANTIAN_BENCH_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(100_000);
    for (label, copy) in [
        ("import_hourly (COPY)", true),
        ("upsert_hourly (UNNEST)", false),
    ] {
        with_fresh_db("bench", async |s: &PgStore| {
            s.upsert_stations(&stations).await.unwrap();
            let t = std::time::Instant::now();
            for chunk in values.chunks(batch) {
                if copy {
                    s.import_hourly(chunk).await.unwrap();
                } else {
                    s.upsert_hourly(chunk).await.unwrap();
                }
            }
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(s.count_hourly().await.unwrap(), values.len() as u64);
            println!(
                "PostgreSQL {label}, batches of {batch}: {} values in {secs:.2} s = {:.0} values/s",
                values.len(),
                values.len() as f64 / secs
            );
        })
        .await;
    }
}

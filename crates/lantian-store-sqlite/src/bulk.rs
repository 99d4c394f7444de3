//! Bulk reads of the audit walk on a second SQLite driver.
//!
//! `audit verify` reads every log entry and every problem row (10 M and 1 M in the issue's
//! benchmark). sqlx hands SQLite rows from its worker thread to the caller one by one over a
//! channel, which caps a read at about 0.2–0.27 M rows/s on this machine; rusqlite stepping the
//! same statement on the calling thread reads 0.7–0.9 M rows/s (STACK.md §5, pitfall 20). So the
//! two bulk reads of the walk go through read-only rusqlite connections on the same file (the
//! same bundled SQLite: rusqlite 0.39 and sqlx 0.9 share `libsqlite3-sys` 0.37), each read on a
//! blocking thread, so two chunks in flight read on both cores. An in-memory store has no file
//! to open a second connection on; it keeps the sqlx path.
//!
//! Only reads live here: every write still goes through sqlx and its transactions.

use lantian_domain::Timestamp;
use lantian_store::StoreError;
use lantian_store::ledger::{
    self as l, LogEntry, ProblemColumns, RawContent, RecordRow, SeenRow, Walked,
};
use rusqlite::{Connection, OpenFlags};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The log entries of a seq range, in the column order both reads decode.
const LOG_RANGE: &str = "SELECT seq, at, actor, kind, entity, action, payload, record_digest, \
                         prev_hash, hash FROM audit_log WHERE seq > ?1 AND seq <= ?2 ORDER BY seq";

/// Idle read-only connections on one database file.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

fn backend(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend(format!("{what}: {e}"))
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Arc<Readers> {
        Arc::new(Readers {
            path,
            idle: Mutex::new(Vec::new()),
        })
    }

    fn take(&self) -> Result<Connection, StoreError> {
        if let Some(c) = self.idle.lock().ok().and_then(|mut v| v.pop()) {
            return Ok(c);
        }
        let c = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(backend("opening a reader"))?;
        // A walk reads each page once, in key order: a page cache the size of the store's
        // would only evict itself; 64 MiB keeps the b-tree's inner pages.
        c.execute_batch("PRAGMA cache_size = -65536; PRAGMA query_only = 1;")
            .map_err(backend("opening a reader"))?;
        Ok(c)
    }

    fn give(&self, c: Connection) {
        if let Ok(mut v) = self.idle.lock()
            && v.len() < 4
        {
            v.push(c);
        }
    }

    /// Run `f` on a reader, on a blocking thread.
    async fn run<T: Send + 'static>(
        self: &Arc<Readers>,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let c = me.take()?;
            let out = f(&c);
            me.give(c);
            out
        })
        .await
        .map_err(|e| StoreError::Backend(format!("a bulk reader stopped: {e}")))?
    }

    /// Entries `after+1 ..= after+limit`, in seq order (the same rows as the sqlx path).
    pub(crate) async fn log_entries(
        self: &Arc<Readers>,
        after: u64,
        limit: u32,
    ) -> Result<Vec<LogEntry>, StoreError> {
        self.run(move |c| {
            let e = backend("audit_log");
            let mut out = Vec::with_capacity(limit as usize);
            let range = (after as i64, after as i64 + i64::from(limit));
            each_row(c, "audit_log", LOG_RANGE, range, |r| {
                let digest: Option<Vec<u8>> = r.get(7).map_err(&e)?;
                let prev: Vec<u8> = r.get(8).map_err(&e)?;
                let hash: Vec<u8> = r.get(9).map_err(&e)?;
                out.push(LogEntry {
                    seq: r.get::<_, i64>(0).map_err(&e)? as u64,
                    at: Timestamp(r.get(1).map_err(&e)?),
                    actor: r.get(2).map_err(&e)?,
                    kind: r.get(3).map_err(&e)?,
                    entity: r.get(4).map_err(&e)?,
                    action: r.get(5).map_err(&e)?,
                    payload: r.get(6).map_err(&e)?,
                    record_digest: digest
                        .map(|d| l::hash_from_bytes(&d, "audit_log.record_digest"))
                        .transpose()?,
                    prev_hash: l::hash_from_bytes(&prev, "audit_log.prev_hash")?,
                    hash: l::hash_from_bytes(&hash, "audit_log.hash")?,
                });
                Ok(())
            })?;
            Ok(out)
        })
        .await
    }

    /// The same range as [`Readers::log_entries`], each entry's hash checked on the reader's
    /// thread from the borrowed columns (no row is copied into a `LogEntry`).
    pub(crate) async fn walk_entries(
        self: &Arc<Readers>,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Walked>, StoreError> {
        self.run(move |c| {
            let e = backend("audit_log");
            let mut out = Vec::with_capacity(limit as usize);
            let range = (after as i64, after as i64 + i64::from(limit));
            each_row(c, "audit_log", LOG_RANGE, range, |r| {
                let bad = |i: usize, why: &dyn std::fmt::Display| {
                    StoreError::Backend(format!("audit_log: column {i}: {why}"))
                };
                // Texts as their bytes: the hash is over bytes (no UTF-8 check per column).
                let s = |i: usize| -> Result<&[u8], StoreError> {
                    match r.get_ref(i).map_err(&e)? {
                        rusqlite::types::ValueRef::Text(t) => Ok(t),
                        v => Err(bad(i, &format!("{:?} is not text", v.data_type()))),
                    }
                };
                let b = |i: usize| -> Result<&[u8], StoreError> {
                    let v = r.get_ref(i).map_err(&e)?;
                    v.as_blob().map_err(|x| bad(i, &x))
                };
                let digest = match r.get_ref(7).map_err(&e)? {
                    rusqlite::types::ValueRef::Null => None,
                    v => Some(l::hash_from_bytes(
                        v.as_blob().map_err(|x| bad(7, &x))?,
                        "audit_log.record_digest",
                    )?),
                };
                out.push(Walked::of_raw(
                    r.get::<_, i64>(0).map_err(&e)? as u64,
                    Timestamp(r.get(1).map_err(&e)?),
                    &RawContent {
                        actor: s(2)?,
                        kind: s(3)?,
                        entity: s(4)?,
                        action: s(5)?,
                        payload: b(6)?,
                        record_digest: digest.as_ref(),
                    },
                    l::hash_from_bytes(b(8)?, "audit_log.prev_hash")?,
                    l::hash_from_bytes(b(9)?, "audit_log.hash")?,
                ));
                Ok(())
            })?;
            Ok(out)
        })
        .await
    }

    /// Problem rows with `id > after`, at most `limit`, as the verifier checks them.
    pub(crate) async fn problem_rows(
        self: &Arc<Readers>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<RecordRow>, StoreError> {
        self.run(move |c| {
            let e = backend("problems");
            let sql = format!("{PROBLEM_COLS} WHERE id > ?1 ORDER BY id LIMIT ?2");
            let mut out = Vec::with_capacity(limit as usize);
            each_row(c, "problems", &sql, (after, i64::from(limit)), |r| {
                let cols = ProblemColumns {
                    campaign: r.get(4).map_err(&e)?,
                    category: r.get(5).map_err(&e)?,
                    unit: r.get(6).map_err(&e)?,
                    assignee: r.get(7).map_err(&e)?,
                    grid: r.get(8).map_err(&e)?,
                    source: r.get(9).map_err(&e)?,
                    state: r.get(10).map_err(&e)?,
                    escalation: r.get::<_, i64>(11).map_err(&e)? as i16,
                    due_at: r.get(12).map_err(&e)?,
                    found_at: r.get(13).map_err(&e)?,
                    closed_at: r.get(14).map_err(&e)?,
                    seq: r.get(15).map_err(&e)?,
                };
                out.push(RecordRow {
                    id: r.get(0).map_err(&e)?,
                    body: r.get(1).map_err(&e)?,
                    columns: cols.render(),
                    log_seq: r.get(2).map_err(&e)?,
                    log_hash: r.get(3).map_err(&e)?,
                });
                Ok(())
            })?;
            Ok(out)
        })
        .await
    }

    /// Problem rows with `after < id <= upto`, each with its digest and column check
    /// computed on the reader's thread from the borrowed row ([`l::problem_seen`]; nothing
    /// but the stored log hash is copied).
    pub(crate) async fn seen_problems(
        self: &Arc<Readers>,
        after: i64,
        upto: i64,
    ) -> Result<Vec<SeenRow>, StoreError> {
        use rusqlite::types::ValueRef;
        self.run(move |c| {
            let e = backend("problems");
            let sql = format!("{PROBLEM_COLS} WHERE id > ?1 AND id <= ?2 ORDER BY id");
            let mut out = Vec::new();
            each_row(c, "problems", &sql, (after, upto), |r| {
                // A value of the wrong type makes the columns not hold (`None`).
                let text = |i: usize| match r.get_ref(i) {
                    Ok(ValueRef::Text(t)) => Some(Some(t)),
                    Ok(ValueRef::Null) => Some(None),
                    _ => None,
                };
                let int = |i: usize| match r.get_ref(i) {
                    Ok(ValueRef::Integer(n)) => Some(Some(n)),
                    Ok(ValueRef::Null) => Some(None),
                    _ => None,
                };
                let stored = (|| {
                    Some((
                        [
                            text(4)?,
                            text(5)?,
                            text(6)?,
                            text(7)?,
                            text(8)?,
                            text(9)?,
                            text(10)?,
                        ],
                        [int(11)?, int(12)?, int(13)?, int(14)?, int(15)?],
                    ))
                })();
                let body = match r.get_ref(1).map_err(&e)? {
                    ValueRef::Blob(b) | ValueRef::Text(b) => b,
                    _ => &[],
                };
                let seen = match stored {
                    Some(cols) => l::problem_seen(body, &cols),
                    None => l::RecordSeen {
                        digest: l::sha256(body),
                        columns_hold: false,
                    },
                };
                out.push(SeenRow {
                    id: r.get(0).map_err(&e)?,
                    log_seq: r.get(2).map_err(&e)?,
                    log_hash: r.get(3).map_err(&e)?,
                    seen,
                });
                Ok(())
            })?;
            Ok(out)
        })
        .await
    }
}

/// Run `sql` with `params` and hand each row to `each`, in order.
fn each_row(
    c: &Connection,
    what: &'static str,
    sql: &str,
    params: (i64, i64),
    mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let e = backend(what);
    let mut st = c.prepare(sql).map_err(&e)?;
    let mut rows = st.query(params).map_err(&e)?;
    while let Some(r) = rows.next().map_err(&e)? {
        each(r)?;
    }
    Ok(())
}

/// The problem columns both reads decode, in this order.
const PROBLEM_COLS: &str = "SELECT id, body, log_seq, log_hash, campaign, category, unit, \
                            assignee, grid, source, state, escalation, due_at, found_at, \
                            closed_at, seq FROM problems";

//! Bulk reads of the audit walk as binary `COPY … TO STDOUT`.
//!
//! `audit verify` reads every log entry and every problem row (10 M and 1 M in the issue's
//! benchmark). Through sqlx each row becomes a `PgRow` whose columns are then looked up and
//! decoded one by one; a binary `COPY` of the same `SELECT` sends the same bytes as a plain
//! framing (per row: a field count, then per field a length and the value) that is decoded here
//! in one pass with no per-row driver objects. Only reads live here.

use crate::PgStore;
use crate::error::db;
use futures_core::Stream;
use lantian_domain::Timestamp;
use lantian_store::StoreError;
use lantian_store::ledger::{
    self as l, LogEntry, ProblemColumns, RawContent, RecordRow, SeenRow, Walked,
};
use sqlx::PgConnection;
use std::future::poll_fn;
use std::pin::Pin;

/// The signature, flags and header-extension length that start every binary COPY stream.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// The whole output of a binary `COPY (query) TO STDOUT`, read into memory (callers read
/// bounded chunks).
async fn copy_out(
    conn: &mut PgConnection,
    query: &str,
    what: &'static str,
) -> Result<Vec<u8>, StoreError> {
    let mut stream = conn
        .copy_out_raw(&format!("COPY ({query}) TO STDOUT (FORMAT binary)"))
        .await
        .map_err(db(what))?;
    let mut out = Vec::new();
    while let Some(part) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
        out.extend_from_slice(&part.map_err(db(what))?);
    }
    Ok(out)
}

/// The binary COPY of the log entries `after+1 ..= after+limit` (the connection is returned
/// to the pool before the bytes are decoded).
async fn copy_log_range(st: &PgStore, after: u64, limit: u32) -> Result<Vec<u8>, StoreError> {
    let (from, to) = (after as i64, after as i64 + i64::from(limit));
    let mut conn = st.pool.acquire().await.map_err(db("audit_log"))?;
    // Integers only are formatted into the statement (COPY takes no parameters).
    copy_out(
        &mut conn,
        &format!(
            "SELECT seq, at, actor, kind, entity, action, payload, record_digest, prev_hash, \
             hash FROM audit_log WHERE seq > {from} AND seq <= {to} ORDER BY seq"
        ),
        "audit_log",
    )
    .await
}

/// A cursor over the tuples of a binary COPY stream.
struct Tuples<'a> {
    b: &'a [u8],
    what: &'static str,
}

impl<'a> Tuples<'a> {
    fn new(b: &'a [u8], what: &'static str) -> Result<Tuples<'a>, StoreError> {
        let mut t = Tuples { b, what };
        let sig = t.take(SIGNATURE.len())?;
        if sig != SIGNATURE {
            return Err(t.bad("not a binary COPY stream"));
        }
        let _flags = t.take(4)?;
        let ext = t.i32_raw()?;
        t.take(usize::try_from(ext).map_err(|_| t.bad("negative header extension"))?)?;
        Ok(t)
    }

    fn bad(&self, why: &str) -> StoreError {
        StoreError::Backend(format!("{}: reading COPY output: {why}", self.what))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.b.len() < n {
            return Err(self.bad("the stream ends inside a row"));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }

    fn i32_raw(&mut self) -> Result<i32, StoreError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The next tuple's field count, or `None` at the trailer.
    fn next_row(&mut self, fields: i16) -> Result<Option<()>, StoreError> {
        let b = self.take(2)?;
        match i16::from_be_bytes([b[0], b[1]]) {
            -1 => Ok(None),
            n if n == fields => Ok(Some(())),
            n => Err(self.bad(&format!("{n} fields where {fields} were asked for"))),
        }
    }

    /// The next field's bytes (`None` for NULL).
    fn field(&mut self) -> Result<Option<&'a [u8]>, StoreError> {
        let n = self.i32_raw()?;
        if n < 0 {
            return Ok(None);
        }
        self.take(n as usize).map(Some)
    }

    fn need(&mut self) -> Result<&'a [u8], StoreError> {
        self.field()?
            .ok_or_else(|| self.bad("NULL in a NOT NULL column"))
    }

    fn int8(&mut self) -> Result<i64, StoreError> {
        let b = self.need()?;
        let a: [u8; 8] = b
            .try_into()
            .map_err(|_| self.bad("an int8 not of 8 bytes"))?;
        Ok(i64::from_be_bytes(a))
    }

    fn opt_int8(&mut self) -> Result<Option<i64>, StoreError> {
        match self.field()? {
            None => Ok(None),
            Some(b) => {
                let a: [u8; 8] = b
                    .try_into()
                    .map_err(|_| self.bad("an int8 not of 8 bytes"))?;
                Ok(Some(i64::from_be_bytes(a)))
            }
        }
    }

    fn int2(&mut self) -> Result<i16, StoreError> {
        let b = self.need()?;
        let a: [u8; 2] = b
            .try_into()
            .map_err(|_| self.bad("an int2 not of 2 bytes"))?;
        Ok(i16::from_be_bytes(a))
    }

    fn text(&mut self) -> Result<String, StoreError> {
        let b = self.need()?;
        String::from_utf8(b.to_vec()).map_err(|_| self.bad("text that is not UTF-8"))
    }

    fn opt_text(&mut self) -> Result<Option<String>, StoreError> {
        match self.field()? {
            None => Ok(None),
            Some(b) => String::from_utf8(b.to_vec())
                .map(Some)
                .map_err(|_| self.bad("text that is not UTF-8")),
        }
    }
}

/// Entries `after+1 ..= after+limit`, in seq order (the same rows as the sqlx path).
pub(crate) async fn log_entries(
    st: &PgStore,
    after: u64,
    limit: u32,
) -> Result<Vec<LogEntry>, StoreError> {
    let bytes = copy_log_range(st, after, limit).await?;
    let mut t = Tuples::new(&bytes, "audit_log")?;
    let mut out = Vec::with_capacity(limit as usize);
    while t.next_row(10)?.is_some() {
        let seq = t.int8()? as u64;
        let at = Timestamp(t.int8()?);
        let actor = t.text()?;
        let kind = t.text()?;
        let entity = t.text()?;
        let action = t.text()?;
        let payload = t.need()?.to_vec();
        let record_digest = t
            .field()?
            .map(|d| l::hash_from_bytes(d, "audit_log.record_digest"))
            .transpose()?;
        let prev_hash = l::hash_from_bytes(t.need()?, "audit_log.prev_hash")?;
        let hash = l::hash_from_bytes(t.need()?, "audit_log.hash")?;
        out.push(LogEntry {
            seq,
            at,
            actor,
            kind,
            entity,
            action,
            payload,
            record_digest,
            prev_hash,
            hash,
        });
    }
    Ok(out)
}

/// The same range as [`log_entries`], each entry's hash checked while the COPY output is
/// decoded, on a blocking thread (so the chunks in flight hash on both cores).
pub(crate) async fn walk_entries(
    st: &PgStore,
    after: u64,
    limit: u32,
) -> Result<Vec<Walked>, StoreError> {
    let bytes = copy_log_range(st, after, limit).await?;
    tokio::task::spawn_blocking(move || {
        let mut t = Tuples::new(&bytes, "audit_log")?;
        let mut out = Vec::with_capacity(limit as usize);
        while t.next_row(10)?.is_some() {
            let seq = t.int8()? as u64;
            let at = Timestamp(t.int8()?);
            let actor = t.need()?;
            let kind = t.need()?;
            let entity = t.need()?;
            let action = t.need()?;
            let payload = t.need()?;
            let digest = t
                .field()?
                .map(|d| l::hash_from_bytes(d, "audit_log.record_digest"))
                .transpose()?;
            let prev_hash = l::hash_from_bytes(t.need()?, "audit_log.prev_hash")?;
            let hash = l::hash_from_bytes(t.need()?, "audit_log.hash")?;
            out.push(Walked::of_raw(
                seq,
                at,
                &RawContent {
                    actor,
                    kind,
                    entity,
                    action,
                    payload,
                    record_digest: digest.as_ref(),
                },
                prev_hash,
                hash,
            ));
        }
        Ok(out)
    })
    .await
    .map_err(|e| StoreError::Backend(format!("audit_log: a decoding thread stopped: {e}")))?
}

/// Problem rows with `id > after`, at most `limit`, as the verifier checks them.
pub(crate) async fn problem_rows(
    st: &PgStore,
    after: i64,
    limit: u32,
) -> Result<Vec<RecordRow>, StoreError> {
    let bytes = copy_problems(st, &format!("WHERE id > {after} ORDER BY id LIMIT {limit}")).await?;
    let mut out = Vec::with_capacity(limit as usize);
    decode_problems(&bytes, |row| out.push(row))?;
    Ok(out)
}

/// Problem rows with `after < id <= upto`, each given its digest and column check
/// ([`l::problem_seen`], from the borrowed COPY fields) on a blocking thread ([`LedgerStore::seen_records`]), so ranges in flight use both cores.
///
/// [`LedgerStore::seen_records`]: lantian_store::ledger::LedgerStore::seen_records
pub(crate) async fn seen_problems(
    st: &PgStore,
    after: i64,
    upto: i64,
) -> Result<Vec<SeenRow>, StoreError> {
    let bytes = copy_problems(
        st,
        &format!("WHERE id > {after} AND id <= {upto} ORDER BY id"),
    )
    .await?;
    tokio::task::spawn_blocking(move || {
        let mut t = Tuples::new(&bytes, "problems")?;
        let mut out = Vec::new();
        while t.next_row(16)?.is_some() {
            let id = t.int8()?;
            let body = t.need()?;
            let log_seq = t.int8()?;
            let log_hash = t.need()?.to_vec();
            let stored = (
                [
                    t.field()?,
                    t.field()?,
                    t.field()?,
                    t.field()?,
                    t.field()?,
                    t.field()?,
                    t.field()?,
                ],
                [
                    Some(i64::from(t.int2()?)),
                    t.opt_int8()?,
                    Some(t.int8()?),
                    t.opt_int8()?,
                    Some(t.int8()?),
                ],
            );
            out.push(SeenRow {
                id,
                log_seq,
                log_hash,
                seen: l::problem_seen(body, &stored),
            });
        }
        Ok(out)
    })
    .await
    .map_err(|e| StoreError::Backend(format!("problems: a decoding thread stopped: {e}")))?
}

/// The binary COPY of the problem columns [`decode_problems`] reads, for the rows `tail` selects
/// (`WHERE … ORDER BY …`, integers only).
async fn copy_problems(st: &PgStore, tail: &str) -> Result<Vec<u8>, StoreError> {
    let mut conn = st.pool.acquire().await.map_err(db("problems"))?;
    copy_out(
        &mut conn,
        &format!(
            "SELECT id, body, log_seq, log_hash, campaign, category, unit, assignee, grid, \
             source, state, escalation, due_at, found_at, closed_at, seq FROM problems {tail}"
        ),
        "problems",
    )
    .await
}

/// Decode [`copy_problems`]' output, handing each row to `each` with its columns rendered.
fn decode_problems(bytes: &[u8], mut each: impl FnMut(RecordRow)) -> Result<(), StoreError> {
    let mut t = Tuples::new(bytes, "problems")?;
    while t.next_row(16)?.is_some() {
        let id = t.int8()?;
        let body = t.need()?.to_vec();
        let log_seq = t.int8()?;
        let log_hash = t.need()?.to_vec();
        let cols = ProblemColumns {
            campaign: t.text()?,
            category: t.text()?,
            unit: t.opt_text()?,
            assignee: t.opt_text()?,
            grid: t.opt_text()?,
            source: t.opt_text()?,
            state: t.text()?,
            escalation: t.int2()?,
            due_at: t.opt_int8()?,
            found_at: t.int8()?,
            closed_at: t.opt_int8()?,
            seq: t.int8()?,
        };
        each(RecordRow {
            id,
            body,
            columns: cols.render(),
            log_seq,
            log_hash,
        });
    }
    Ok(())
}

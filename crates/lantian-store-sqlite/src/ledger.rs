//! The problem ledger and the audit log on SQLite ([`LedgerStore`]): every write one
//! `BEGIN IMMEDIATE` transaction that appends its log entries and moves `audit_head`.

use crate::SqliteStore;
use crate::error::db;
use lantian_aq::Date;
use lantian_domain::calendar::Calendar;
use lantian_domain::ledger::{Action, Actor, Problem, transition};
use lantian_domain::{PersonId, SourceId, Timestamp};
use lantian_store::StoreError;
use lantian_store::ledger::{
    self as l, Anchor, Bind, EntryContent, Evidence, Hash, ImportedProblem, KIND_EVIDENCE,
    KIND_PROBLEM, LogEntry, NewEntry, NewProblem, Notification, Page, ProblemColumns,
    ProblemFilter, ProblemPage, RecordRow,
};
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, Row, Sqlite, SqliteConnection};

type Q<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments>;

const LOG_COLS: &str =
    "seq, at, actor, kind, entity, action, payload, record_digest, prev_hash, hash";

type LogRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Vec<u8>,
    Option<Vec<u8>>,
    Vec<u8>,
    Vec<u8>,
);

fn log_entry(r: LogRow) -> Result<LogEntry, StoreError> {
    Ok(LogEntry {
        seq: r.0 as u64,
        at: Timestamp(r.1),
        actor: r.2,
        kind: r.3,
        entity: r.4,
        action: r.5,
        payload: r.6,
        record_digest: r
            .7
            .map(|d| l::hash_from_bytes(&d, "audit_log.record_digest"))
            .transpose()?,
        prev_hash: l::hash_from_bytes(&r.8, "audit_log.prev_hash")?,
        hash: l::hash_from_bytes(&r.9, "audit_log.hash")?,
    })
}

async fn head(c: &mut SqliteConnection) -> Result<(u64, Hash), StoreError> {
    let (seq, hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *c)
            .await
            .map_err(db("audit_head"))?;
    Ok((seq as u64, l::hash_from_bytes(&hash, "audit_head.hash")?))
}

async fn insert_entry(c: &mut SqliteConnection, e: &LogEntry) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, kind, entity, action, payload, record_digest, \
         prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.seq as i64)
    .bind(e.at.0)
    .bind(&e.actor)
    .bind(&e.kind)
    .bind(&e.entity)
    .bind(&e.action)
    .bind(&e.payload)
    .bind(e.record_digest.as_ref().map(|d| d.as_slice()))
    .bind(e.prev_hash.as_slice())
    .bind(e.hash.as_slice())
    .execute(&mut *c)
    .await
    .map_err(db("audit_log"))?;
    Ok(())
}

async fn set_head(c: &mut SqliteConnection, seq: u64, hash: &Hash) -> Result<(), StoreError> {
    sqlx::query("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1")
        .bind(seq as i64)
        .bind(hash.as_slice())
        .execute(&mut *c)
        .await
        .map_err(db("audit_head"))?;
    Ok(())
}

/// Append one entry after the head, inside the caller's transaction.
pub(crate) async fn append_in(
    c: &mut SqliteConnection,
    at: Timestamp,
    content: &EntryContent<'_>,
) -> Result<LogEntry, StoreError> {
    let (seq, prev) = head(c).await?;
    let e = l::chain_entry(seq, prev, at, content);
    insert_entry(c, &e).await?;
    set_head(c, e.seq, &e.hash).await?;
    Ok(e)
}

fn bind_columns<'q>(q: Q<'q>, c: &ProblemColumns) -> Q<'q> {
    q.bind(c.campaign.clone())
        .bind(c.category.clone())
        .bind(c.unit.clone())
        .bind(c.assignee.clone())
        .bind(c.grid.clone())
        .bind(c.source.clone())
        .bind(c.state.clone())
        .bind(i64::from(c.escalation))
        .bind(c.due_at)
        .bind(c.found_at)
        .bind(c.closed_at)
        .bind(c.seq)
}

const INSERT_PROBLEM: &str = "INSERT INTO problems (campaign, category, unit, assignee, grid, \
     source, state, escalation, due_at, found_at, closed_at, seq, id, body, log_seq, log_hash) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

pub(crate) async fn insert_problem(
    c: &mut SqliteConnection,
    p: &Problem,
    body: &[u8],
    e: &LogEntry,
) -> Result<(), StoreError> {
    bind_columns(sqlx::query(INSERT_PROBLEM), &ProblemColumns::of(p))
        .bind(p.id as i64)
        .bind(body)
        .bind(e.seq as i64)
        .bind(e.hash.as_slice())
        .execute(&mut *c)
        .await
        .map_err(db("problems"))?;
    Ok(())
}

/// Write problem `n` over the row still at `old_seq` (its entry `e` already appended);
/// `false` if the row moved meanwhile.
pub(crate) async fn update_problem_in(
    c: &mut SqliteConnection,
    old_seq: u64,
    n: &Problem,
    body: &[u8],
    e: &LogEntry,
) -> Result<bool, StoreError> {
    let done = bind_columns(
        sqlx::query(
            "UPDATE problems SET campaign = ?, category = ?, unit = ?, assignee = ?, grid = ?, \
             source = ?, state = ?, escalation = ?, due_at = ?, found_at = ?, closed_at = ?, \
             seq = ?, body = ?, log_seq = ?, log_hash = ? WHERE id = ? AND seq = ?",
        ),
        &ProblemColumns::of(n),
    )
    .bind(body)
    .bind(e.seq as i64)
    .bind(e.hash.as_slice())
    .bind(n.id as i64)
    .bind(old_seq as i64)
    .execute(&mut *c)
    .await
    .map_err(db("problems"))?;
    Ok(done.rows_affected() == 1)
}

pub(crate) fn bind_all<'q>(mut q: Q<'q>, binds: &[Bind]) -> Q<'q> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s.clone()),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

fn conflict(id: u64, detail: String) -> StoreError {
    StoreError::Conflict {
        entity: "problem",
        detail: format!("problem {id}: {detail}"),
    }
}

fn not_found(id: u64) -> StoreError {
    StoreError::NotFound {
        entity: "problem",
        key: id.to_string(),
    }
}

pub(crate) async fn create_problem(
    st: &SqliteStore,
    n: &NewProblem,
    actor: &Actor,
    now: Timestamp,
) -> Result<Problem, StoreError> {
    l::check_new(n)?;
    let mut tx = st.begin("problems").await?;
    let id: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) + 1 FROM problems")
        .fetch_one(&mut *tx)
        .await
        .map_err(db("problems"))?;
    let p = l::new_problem(id as u64, n);
    let body = l::problem_body(&p)?;
    let payload = l::creation_payload(&p, actor, now)?;
    let digest = l::sha256(&body);
    let entity = p.id.to_string();
    let e = append_in(
        &mut tx,
        now,
        &EntryContent {
            actor: actor.person.as_str(),
            kind: KIND_PROBLEM,
            entity: &entity,
            action: "create",
            payload: &payload,
            record_digest: Some(&digest),
        },
    )
    .await?;
    insert_problem(&mut tx, &p, &body, &e).await?;
    tx.commit().await.map_err(db("problems"))?;
    Ok(p)
}

pub(crate) async fn apply(
    st: &SqliteStore,
    id: u64,
    expected_seq: Option<u64>,
    action: Action,
    actor: &Actor,
    now: Timestamp,
    cal: &Calendar,
) -> Result<Problem, StoreError> {
    let mut tx = st.begin("problems").await?;
    let body: Option<Vec<u8>> = sqlx::query_scalar("SELECT body FROM problems WHERE id = ?")
        .bind(id as i64)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("problems"))?;
    let p = l::decode_problem(&body.ok_or_else(|| not_found(id))?)?;
    if let Some(want) = expected_seq
        && want != p.seq
    {
        return Err(conflict(
            id,
            format!("changed since it was read (seq {want}, now {})", p.seq),
        ));
    }
    let evidence: Vec<String> = l::evidence_of(&action).to_vec();
    let (n, ev) = transition(&p, actor, action, now, cal)?;
    for h in &evidence {
        let key = l::parse_hex(h)
            .ok_or_else(|| StoreError::Invalid(format!("evidence {h:?} is not a SHA-256 hex")))?;
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM evidence WHERE hash = ?")
            .bind(key.as_slice())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("evidence"))?;
        if found.is_none() {
            return Err(StoreError::NotFound {
                entity: "evidence",
                key: h.clone(),
            });
        }
    }
    let body = l::problem_body(&n)?;
    let digest = l::sha256(&body);
    let payload = l::event_payload(&ev)?;
    let entity = id.to_string();
    let e = append_in(
        &mut tx,
        now,
        &EntryContent {
            actor: actor.person.as_str(),
            kind: KIND_PROBLEM,
            entity: &entity,
            action: ev.action.code(),
            payload: &payload,
            record_digest: Some(&digest),
        },
    )
    .await?;
    let done = bind_columns(
        sqlx::query(
            "UPDATE problems SET campaign = ?, category = ?, unit = ?, assignee = ?, grid = ?, \
             source = ?, state = ?, escalation = ?, due_at = ?, found_at = ?, closed_at = ?, \
             seq = ?, body = ?, log_seq = ?, log_hash = ? WHERE id = ? AND seq = ?",
        ),
        &ProblemColumns::of(&n),
    )
    .bind(&body)
    .bind(e.seq as i64)
    .bind(e.hash.as_slice())
    .bind(id as i64)
    .bind(p.seq as i64)
    .execute(&mut *tx)
    .await
    .map_err(db("problems"))?;
    if done.rows_affected() != 1 {
        return Err(conflict(
            id,
            "changed while the transition was applied".into(),
        ));
    }
    if let Some((kind, text)) = l::notification_for(&n, &ev) {
        let mut to: Vec<String> = n.assignee.iter().map(|a| a.as_str().to_owned()).collect();
        if let Some(u) = &n.unit {
            let heads: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM people WHERE unit = ? AND role = 'unit_head' ORDER BY id",
            )
            .bind(u.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(db("people"))?;
            to.extend(heads);
        }
        to.sort();
        to.dedup();
        for person in to {
            sqlx::query(
                "INSERT INTO notifications (person, at, kind, problem, text) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(person)
            .bind(now.0)
            .bind(kind)
            .bind(id as i64)
            .bind(&text)
            .execute(&mut *tx)
            .await
            .map_err(db("notifications"))?;
        }
    }
    tx.commit().await.map_err(db("problems"))?;
    Ok(n)
}

pub(crate) async fn problem(st: &SqliteStore, id: u64) -> Result<Option<Problem>, StoreError> {
    let body: Option<Vec<u8>> = sqlx::query_scalar("SELECT body FROM problems WHERE id = ?")
        .bind(id as i64)
        .fetch_optional(&st.pool)
        .await
        .map_err(db("problems"))?;
    body.map(|b| l::decode_problem(&b)).transpose()
}

pub(crate) async fn problems(
    st: &SqliteStore,
    f: &ProblemFilter,
    page: Page,
) -> Result<ProblemPage, StoreError> {
    let (cond, binds) = f.sql(|_| "?".to_owned());
    let limit = page.limit.clamp(1, 1000);
    let mut conn = st.pool.acquire().await.map_err(db("problems"))?;
    let total: i64 = bind_all(
        sqlx::query(AssertSqlSafe(l::capped_count_sql(&cond))),
        &binds,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db("problems"))?
    .try_get(0)
    .map_err(db("problems"))?;
    if total == 0 {
        return Ok(ProblemPage {
            items: Vec::new(),
            total: 0,
            total_capped: false,
            next: None,
        });
    }
    let order = l::page_order(total as u64);
    let rows = bind_all(
        sqlx::query(AssertSqlSafe(format!(
            "SELECT body FROM problems WHERE {cond} AND id > ? ORDER BY {order} LIMIT ?"
        ))),
        &binds,
    )
    .bind(page.after.map_or(0, |a| a as i64))
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *conn)
    .await
    .map_err(db("problems"))?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let b: Vec<u8> = r.try_get(0).map_err(db("problems"))?;
        items.push(l::decode_problem(&b)?);
    }
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|p| p.id)
    } else {
        None
    };
    let (total, total_capped) = l::capped_total(total);
    Ok(ProblemPage {
        items,
        total,
        total_capped,
        next,
    })
}

pub(crate) async fn source_history(
    st: &SqliteStore,
    source: &SourceId,
) -> Result<Vec<Problem>, StoreError> {
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT body FROM problems WHERE source = ? ORDER BY id")
            .bind(source.as_str())
            .fetch_all(&st.pool)
            .await
            .map_err(db("problems"))?;
    rows.iter().map(|b| l::decode_problem(b)).collect()
}

pub(crate) async fn timeline(st: &SqliteStore, id: u64) -> Result<Vec<LogEntry>, StoreError> {
    let rows: Vec<LogRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {LOG_COLS} FROM audit_log WHERE kind = ? AND entity = ? ORDER BY seq"
    )))
    .bind(KIND_PROBLEM)
    .bind(id.to_string())
    .fetch_all(&st.pool)
    .await
    .map_err(db("audit_log"))?;
    rows.into_iter().map(log_entry).collect()
}

pub(crate) async fn put_evidence(
    st: &SqliteStore,
    bytes: &[u8],
    media_type: &str,
    actor: &PersonId,
    now: Timestamp,
) -> Result<String, StoreError> {
    let hash = l::sha256(bytes);
    let hex = l::hex(&hash);
    let mut tx = st.begin("evidence").await?;
    let new = sqlx::query(
        "INSERT INTO evidence (hash, media_type, size, bytes, stored_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (hash) DO NOTHING",
    )
    .bind(hash.as_slice())
    .bind(media_type)
    .bind(bytes.len() as i64)
    .bind(bytes)
    .bind(now.0)
    .execute(&mut *tx)
    .await
    .map_err(db("evidence"))?
    .rows_affected()
        == 1;
    if new {
        let payload = l::evidence_payload(media_type, bytes.len());
        append_in(
            &mut tx,
            now,
            &EntryContent {
                actor: actor.as_str(),
                kind: KIND_EVIDENCE,
                entity: &hex,
                action: "store",
                payload: &payload,
                record_digest: None,
            },
        )
        .await?;
    }
    tx.commit().await.map_err(db("evidence"))?;
    Ok(hex)
}

pub(crate) async fn evidence(st: &SqliteStore, hash: &str) -> Result<Option<Evidence>, StoreError> {
    let Some(key) = l::parse_hex(hash) else {
        return Ok(None);
    };
    let row: Option<(String, Vec<u8>, i64)> =
        sqlx::query_as("SELECT media_type, bytes, stored_at FROM evidence WHERE hash = ?")
            .bind(key.as_slice())
            .fetch_optional(&st.pool)
            .await
            .map_err(db("evidence"))?;
    Ok(row.map(|(media_type, bytes, at)| Evidence {
        hash: l::hex(&key),
        media_type,
        bytes,
        stored_at: Timestamp(at),
    }))
}

pub(crate) async fn append(st: &SqliteStore, n: &NewEntry) -> Result<LogEntry, StoreError> {
    l::check_generic(n)?;
    let mut tx = st.begin("audit_log").await?;
    let e = append_in(
        &mut tx,
        n.at,
        &EntryContent {
            actor: &n.actor,
            kind: &n.kind,
            entity: &n.entity,
            action: &n.action,
            payload: &n.payload,
            record_digest: None,
        },
    )
    .await?;
    tx.commit().await.map_err(db("audit_log"))?;
    Ok(e)
}

pub(crate) async fn log_head(st: &SqliteStore) -> Result<(u64, Hash), StoreError> {
    let mut c = st.pool.acquire().await.map_err(db("audit_head"))?;
    head(&mut c).await
}

pub(crate) async fn log_entries(
    st: &SqliteStore,
    after: u64,
    limit: u32,
) -> Result<Vec<LogEntry>, StoreError> {
    if let Some(r) = &st.readers {
        return r.log_entries(after, limit).await;
    }
    let rows: Vec<LogRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {LOG_COLS} FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq"
    )))
    .bind(after as i64)
    .bind(after as i64 + i64::from(limit))
    .fetch_all(&st.pool)
    .await
    .map_err(db("audit_log"))?;
    rows.into_iter().map(log_entry).collect()
}

type ProblemRow = (
    i64,
    Vec<u8>,
    i64,
    Vec<u8>,
    (String, String, Option<String>, Option<String>),
    (Option<String>, Option<String>, String, i64),
    (Option<i64>, i64, Option<i64>, i64),
);

pub(crate) async fn record_rows(
    st: &SqliteStore,
    kind: &str,
    after: i64,
    limit: u32,
) -> Result<Vec<RecordRow>, StoreError> {
    if lantian_store::inspections::table_of(kind).is_some() {
        return crate::inspections::record_rows(st, kind, after, limit).await;
    }
    if kind != KIND_PROBLEM {
        return crate::records::record_rows(st, kind, after, limit).await;
    }
    if let Some(r) = &st.readers {
        return r.problem_rows(after, limit).await;
    }
    let rows = sqlx::query(
        "SELECT id, body, log_seq, log_hash, campaign, category, unit, assignee, grid, source, \
         state, escalation, due_at, found_at, closed_at, seq FROM problems WHERE id > ? \
         ORDER BY id LIMIT ?",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&st.pool)
    .await
    .map_err(db("problems"))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let g = |e| db("problems")(e);
        let row: ProblemRow = (
            r.try_get(0).map_err(g)?,
            r.try_get(1).map_err(g)?,
            r.try_get(2).map_err(g)?,
            r.try_get(3).map_err(g)?,
            (
                r.try_get(4).map_err(g)?,
                r.try_get(5).map_err(g)?,
                r.try_get(6).map_err(g)?,
                r.try_get(7).map_err(g)?,
            ),
            (
                r.try_get(8).map_err(g)?,
                r.try_get(9).map_err(g)?,
                r.try_get(10).map_err(g)?,
                r.try_get(11).map_err(g)?,
            ),
            (
                r.try_get(12).map_err(g)?,
                r.try_get(13).map_err(g)?,
                r.try_get(14).map_err(g)?,
                r.try_get(15).map_err(g)?,
            ),
        );
        let (id, body, log_seq, log_hash, a, b, c) = row;
        let cols = ProblemColumns {
            campaign: a.0,
            category: a.1,
            unit: a.2,
            assignee: a.3,
            grid: b.0,
            source: b.1,
            state: b.2,
            escalation: b.3 as i16,
            due_at: c.0,
            found_at: c.1,
            closed_at: c.2,
            seq: c.3,
        };
        out.push(RecordRow {
            id,
            body,
            columns: cols.render(),
            log_seq,
            log_hash,
        });
    }
    Ok(out)
}

pub(crate) async fn anchor(st: &SqliteStore, day: Date) -> Result<Anchor, StoreError> {
    let (from, to) = l::day_bounds(day);
    let (count, last): (i64, Option<i64>) =
        sqlx::query_as("SELECT count(*), max(seq) FROM audit_log WHERE at >= ? AND at < ?")
            .bind(from)
            .bind(to)
            .fetch_one(&st.pool)
            .await
            .map_err(db("audit_log"))?;
    let hash = match last {
        Some(seq) => {
            let h: Vec<u8> = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = ?")
                .bind(seq)
                .fetch_one(&st.pool)
                .await
                .map_err(db("audit_log"))?;
            l::hash_from_bytes(&h, "audit_log.hash")?
        }
        None => l::GENESIS,
    };
    Ok(Anchor {
        day: day.to_string(),
        count: count as u64,
        last_seq: last.unwrap_or(0) as u64,
        hash,
    })
}

pub(crate) async fn notifications(
    st: &SqliteStore,
    person: &PersonId,
) -> Result<Vec<Notification>, StoreError> {
    let rows: Vec<(i64, String, i64, String, i64, String)> = sqlx::query_as(
        "SELECT id, person, at, kind, problem, text FROM notifications WHERE person = ? \
         ORDER BY id DESC",
    )
    .bind(person.as_str())
    .fetch_all(&st.pool)
    .await
    .map_err(db("notifications"))?;
    Ok(rows
        .into_iter()
        .map(|(id, person, at, kind, problem, text)| Notification {
            id: id as u64,
            person,
            at: Timestamp(at),
            kind,
            problem: problem as u64,
            text,
        })
        .collect())
}

pub(crate) async fn import_history(
    st: &SqliteStore,
    batch: &[ImportedProblem],
) -> Result<u64, StoreError> {
    let mut tx = st.begin("problems").await?;
    let (mut seq, mut prev) = head(&mut tx).await?;
    let plan = l::plan_import(batch, &mut seq, &mut prev)?;
    // Multi-row inserts: 10 binds per entry, 16 per problem, under SQLite's bind limit.
    for chunk in plan.entries.chunks(3000) {
        let mut sql = String::from(
            "INSERT INTO audit_log (seq, at, actor, kind, entity, action, payload, \
             record_digest, prev_hash, hash) VALUES ",
        );
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 {
                "(?,?,?,?,?,?,?,?,?,?)"
            } else {
                ",(?,?,?,?,?,?,?,?,?,?)"
            });
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.seq as i64)
                .bind(e.at.0)
                .bind(e.actor.clone())
                .bind(e.kind.clone())
                .bind(e.entity.clone())
                .bind(e.action.clone())
                .bind(e.payload.clone())
                .bind(e.record_digest.map(|d| d.to_vec()))
                .bind(e.prev_hash.to_vec())
                .bind(e.hash.to_vec());
        }
        q.execute(&mut *tx).await.map_err(db("audit_log"))?;
    }
    for chunk in plan.problems.chunks(2000) {
        let mut sql = String::from(
            "INSERT INTO problems (campaign, category, unit, assignee, grid, source, state, \
             escalation, due_at, found_at, closed_at, seq, id, body, log_seq, log_hash) VALUES ",
        );
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 { "(" } else { ",(" });
            sql.push_str(&["?"; 16].join(","));
            sql.push(')');
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (p, body, log_seq, log_hash) in chunk {
            q = bind_columns(q, &ProblemColumns::of(p))
                .bind(p.id as i64)
                .bind(body.clone())
                .bind(*log_seq as i64)
                .bind(log_hash.to_vec());
        }
        q.execute(&mut *tx).await.map_err(db("problems"))?;
    }
    set_head(&mut tx, seq, &prev).await?;
    tx.commit().await.map_err(db("problems"))?;
    Ok(plan.problems.len() as u64)
}

pub(crate) async fn maintain(st: &SqliteStore) -> Result<(), StoreError> {
    sqlx::raw_sql("ANALYZE")
        .execute(&st.pool)
        .await
        .map_err(db("ANALYZE"))?;
    Ok(())
}

impl lantian_store::ledger::LedgerStore for SqliteStore {
    async fn create_problem(
        &self,
        new: &lantian_store::ledger::NewProblem,
        actor: &lantian_domain::ledger::Actor,
        now: Timestamp,
    ) -> Result<lantian_domain::ledger::Problem, StoreError> {
        crate::ledger::create_problem(self, new, actor, now).await
    }

    async fn apply(
        &self,
        id: u64,
        expected_seq: Option<u64>,
        action: lantian_domain::ledger::Action,
        actor: &lantian_domain::ledger::Actor,
        now: Timestamp,
        cal: &lantian_domain::calendar::Calendar,
    ) -> Result<lantian_domain::ledger::Problem, StoreError> {
        crate::ledger::apply(self, id, expected_seq, action, actor, now, cal).await
    }

    async fn problem(
        &self,
        id: u64,
    ) -> Result<Option<lantian_domain::ledger::Problem>, StoreError> {
        crate::ledger::problem(self, id).await
    }

    async fn problems(
        &self,
        filter: &lantian_store::ledger::ProblemFilter,
        page: lantian_store::ledger::Page,
    ) -> Result<lantian_store::ledger::ProblemPage, StoreError> {
        crate::ledger::problems(self, filter, page).await
    }

    async fn source_history(
        &self,
        source: &lantian_domain::SourceId,
    ) -> Result<Vec<lantian_domain::ledger::Problem>, StoreError> {
        crate::ledger::source_history(self, source).await
    }

    async fn timeline(&self, id: u64) -> Result<Vec<lantian_store::ledger::LogEntry>, StoreError> {
        crate::ledger::timeline(self, id).await
    }

    async fn put_evidence(
        &self,
        bytes: &[u8],
        media_type: &str,
        actor: &lantian_domain::PersonId,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        crate::ledger::put_evidence(self, bytes, media_type, actor, now).await
    }

    async fn evidence(
        &self,
        hash: &str,
    ) -> Result<Option<lantian_store::ledger::Evidence>, StoreError> {
        crate::ledger::evidence(self, hash).await
    }

    async fn append(
        &self,
        entry: &lantian_store::ledger::NewEntry,
    ) -> Result<lantian_store::ledger::LogEntry, StoreError> {
        crate::ledger::append(self, entry).await
    }

    async fn log_head(&self) -> Result<(u64, lantian_store::ledger::Hash), StoreError> {
        crate::ledger::log_head(self).await
    }

    async fn log_entries(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<lantian_store::ledger::LogEntry>, StoreError> {
        crate::ledger::log_entries(self, after, limit).await
    }

    async fn walk_entries(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<lantian_store::ledger::Walked>, StoreError> {
        match &self.readers {
            Some(r) => r.walk_entries(after, limit).await,
            None => Ok(crate::ledger::log_entries(self, after, limit)
                .await?
                .iter()
                .map(lantian_store::ledger::Walked::of_entry)
                .collect()),
        }
    }

    async fn record_rows(
        &self,
        kind: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<lantian_store::ledger::RecordRow>, StoreError> {
        crate::ledger::record_rows(self, kind, after, limit).await
    }

    async fn seen_records(
        &self,
        kind: &str,
        after: i64,
        upto: i64,
    ) -> Result<Vec<lantian_store::ledger::SeenRow>, StoreError> {
        match &self.readers {
            Some(r) if kind == KIND_PROBLEM => r.seen_problems(after, upto).await,
            _ => l::seen_records_paged(self, kind, after, upto).await,
        }
    }

    async fn maintain(&self) -> Result<(), StoreError> {
        crate::ledger::maintain(self).await
    }

    async fn anchor(
        &self,
        day: lantian_aq::Date,
    ) -> Result<lantian_store::ledger::Anchor, StoreError> {
        crate::ledger::anchor(self, day).await
    }

    async fn notifications(
        &self,
        person: &lantian_domain::PersonId,
    ) -> Result<Vec<lantian_store::ledger::Notification>, StoreError> {
        crate::ledger::notifications(self, person).await
    }

    async fn import_history(
        &self,
        batch: &[lantian_store::ledger::ImportedProblem],
    ) -> Result<u64, StoreError> {
        crate::ledger::import_history(self, batch).await
    }
}

//! Inspection plans and records on SQLite ([`InspectionStore`]): each write one
//! `BEGIN IMMEDIATE` transaction with its log entries, like the problem ledger.
//!
//! The PostgreSQL backend's `inspections.rs` is this file with the connection types swapped and
//! `?` placeholders numbered by [`q`]; keep the two in step.

use crate::SqliteStore as Backend;
use crate::error::db;
use crate::ledger::{append_in, bind_all, insert_problem, update_problem_in};
use lantian_domain::inspection::{
    InspectionPlan, InspectionRecord, Nonce, PlanDraft, SealedList, apply_reinspection,
};
use lantian_domain::ledger::{Actor, Problem};
use lantian_domain::{ContentHash, Timestamp};
use lantian_store::StoreError;
use lantian_store::inspections::{
    self as i, FileContext, FiledRecord, InspectionColumns, InspectionFilter, InspectionStore,
    KIND_PLAN, KIND_RECORD,
};
use lantian_store::ledger::{self as l, EntryContent, KIND_PROBLEM, LogEntry, Page, RecordRow};
use lantian_store::records::{self as r, RecordPage};
use sqlx::{AssertSqlSafe, Row, SqliteConnection as Conn};

/// The SQL as this backend writes placeholders (SQLite: `?` as is).
fn q(sql: &str) -> String {
    sql.to_owned()
}

fn table(kind: &str) -> Result<&'static str, StoreError> {
    i::table_of(kind).ok_or_else(|| StoreError::Invalid(format!("no inspections of kind {kind:?}")))
}

async fn next_id(c: &mut Conn, table: &'static str) -> Result<i64, StoreError> {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT coalesce(max(id), 0) + 1 FROM {table}"
    )))
    .fetch_one(&mut *c)
    .await
    .map_err(db(table))
}

/// Append the entry writing `(kind, id)` by `action`; its digest is the body's.
async fn log_write(
    c: &mut Conn,
    (kind, id, action): (&str, u64, &str),
    actor: &Actor,
    now: Timestamp,
    payload: &[u8],
    body: &[u8],
) -> Result<LogEntry, StoreError> {
    let digest = l::sha256(body);
    let entity = id.to_string();
    append_in(
        c,
        now,
        &EntryContent {
            actor: actor.person.as_str(),
            kind,
            entity: &entity,
            action,
            payload,
            record_digest: Some(&digest),
        },
    )
    .await
}

async fn insert_row(
    c: &mut Conn,
    table: &'static str,
    id: u64,
    cols: &InspectionColumns,
    body: &[u8],
    e: &LogEntry,
) -> Result<(), StoreError> {
    sqlx::query(AssertSqlSafe(q(&format!(
        "INSERT INTO {table} (campaign, mode, units, grids, plan, at, seq, id, body, log_seq, \
         log_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))))
    .bind(cols.campaign.clone())
    .bind(cols.mode.clone())
    .bind(cols.units.clone())
    .bind(cols.grids.clone())
    .bind(cols.plan)
    .bind(cols.at)
    .bind(cols.seq)
    .bind(id as i64)
    .bind(body.to_vec())
    .bind(e.seq as i64)
    .bind(e.hash.to_vec())
    .execute(&mut *c)
    .await
    .map_err(db(table))?;
    Ok(())
}

async fn body_of(
    c: &mut Conn,
    table: &'static str,
    id: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    sqlx::query_scalar(AssertSqlSafe(q(&format!(
        "SELECT body FROM {table} WHERE id = ?"
    ))))
    .bind(id as i64)
    .fetch_optional(&mut *c)
    .await
    .map_err(db(table))
}

fn missing(entity: &'static str, id: u64) -> StoreError {
    StoreError::NotFound {
        entity,
        key: id.to_string(),
    }
}

async fn load_problem(c: &mut Conn, id: u64) -> Result<Problem, StoreError> {
    let b = body_of(c, "problems", id)
        .await?
        .ok_or_else(|| missing("problem", id))?;
    l::decode_problem(&b)
}

async fn evidence_stored(c: &mut Conn, hashes: &[ContentHash]) -> Result<(), StoreError> {
    for h in hashes {
        let key = l::parse_hex(h.as_str())
            .ok_or_else(|| StoreError::Invalid(format!("evidence {h} is not a SHA-256 hex")))?;
        let found: i64 = sqlx::query_scalar(AssertSqlSafe(q(
            "SELECT count(*) FROM evidence WHERE hash = ?",
        )))
        .bind(key.to_vec())
        .fetch_one(&mut *c)
        .await
        .map_err(db("evidence"))?;
        if found == 0 {
            return Err(StoreError::NotFound {
                entity: "evidence",
                key: h.to_string(),
            });
        }
    }
    Ok(())
}

pub(crate) async fn create_plan(
    st: &Backend,
    d: &PlanDraft,
    actor: &Actor,
    nonce: Option<Nonce>,
    now: Timestamp,
) -> Result<(InspectionPlan, Option<SealedList>), StoreError> {
    let mut tx = st.begin("inspection_plans").await?;
    let id = next_id(&mut tx, "inspection_plans").await?;
    let draft = PlanDraft {
        id: id as u64,
        ..d.clone()
    };
    let (plan, sealed) = InspectionPlan::new(draft, actor, nonce, now)
        .map_err(|e| i::inspection_refused(e, actor, "plan"))?;
    if let Some(p) = plan.problem {
        load_problem(&mut tx, p).await?;
    }
    // The body of a sealed plan holds the seal only: the list is never written anywhere.
    let body = r::to_json("inspection plan", &plan)?;
    let e = log_write(
        &mut tx,
        (KIND_PLAN, plan.id, "plan"),
        actor,
        now,
        &body,
        &body,
    )
    .await?;
    let cols = InspectionColumns::of_plan(&plan);
    insert_row(&mut tx, "inspection_plans", plan.id, &cols, &body, &e).await?;
    tx.commit().await.map_err(db("inspection_plans"))?;
    Ok((plan, sealed))
}

pub(crate) async fn dispatch_plan(
    st: &Backend,
    id: u64,
    list: Option<&SealedList>,
    actor: &Actor,
    now: Timestamp,
) -> Result<InspectionPlan, StoreError> {
    let mut tx = st.begin("inspection_plans").await?;
    let b = body_of(&mut tx, "inspection_plans", id)
        .await?
        .ok_or_else(|| missing("inspection plan", id))?;
    let plan: InspectionPlan = r::decode("inspection plan", &b)?;
    let sent = plan
        .dispatch(actor, list, now)
        .map_err(|e| i::inspection_refused(e, actor, "dispatch"))?;
    let body = r::to_json("inspection plan", &sent)?;
    let e = log_write(
        &mut tx,
        (KIND_PLAN, id, "dispatch"),
        actor,
        now,
        &body,
        &body,
    )
    .await?;
    let cols = InspectionColumns::of_plan(&sent);
    let done = sqlx::query(AssertSqlSafe(q(
        "UPDATE inspection_plans SET campaign = ?, mode = ?, units = ?, grids = ?, plan = ?, \
         at = ?, seq = ?, body = ?, log_seq = ?, log_hash = ? WHERE id = ? AND seq = 0",
    )))
    .bind(cols.campaign)
    .bind(cols.mode)
    .bind(cols.units)
    .bind(cols.grids)
    .bind(cols.plan)
    .bind(cols.at)
    .bind(cols.seq)
    .bind(body)
    .bind(e.seq as i64)
    .bind(e.hash.to_vec())
    .bind(id as i64)
    .execute(&mut *tx)
    .await
    .map_err(db("inspection_plans"))?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict {
            entity: "inspection plan",
            detail: format!("plan {id} was dispatched meanwhile"),
        });
    }
    tx.commit().await.map_err(db("inspection_plans"))?;
    Ok(sent)
}

pub(crate) async fn file_record(
    st: &Backend,
    rec: &InspectionRecord,
    ctx: FileContext<'_>,
    actor: &Actor,
    now: Timestamp,
) -> Result<FiledRecord, StoreError> {
    let refused = |e| i::inspection_refused(e, actor, "file");
    let mut tx = st.begin("inspection_records").await?;
    let id = next_id(&mut tx, "inspection_records").await? as u64;
    let record = InspectionRecord { id, ..rec.clone() };
    if let Some(p) = record.plan {
        let b = body_of(&mut tx, "inspection_plans", p)
            .await?
            .ok_or_else(|| missing("inspection plan", p))?;
        let plan: InspectionPlan = r::decode("inspection plan", &b)?;
        plan.check_record(&record).map_err(refused)?;
    }
    i::check_filer(&record, actor)?;
    let check = record
        .check(ctx.campaign, &ctx.policy, ctx.grid)
        .map_err(refused)?;
    evidence_stored(&mut tx, &i::record_evidence(&record)).await?;
    // Findings → problems, each with its creation entry, numbered after the ledger's last.
    let first = next_id(&mut tx, "problems").await? as u64;
    let found = record
        .problems(first, ctx.campaign, ctx.calendar)
        .map_err(refused)?;
    let mut problems = Vec::with_capacity(found.len());
    for p in &found {
        let body = l::problem_body(p)?;
        let payload = l::creation_payload(p, actor, now)?;
        let e = log_write(
            &mut tx,
            (KIND_PROBLEM, p.id, "create"),
            actor,
            now,
            &payload,
            &body,
        )
        .await?;
        insert_problem(&mut tx, p, &body, &e).await?;
        problems.push(p.id);
    }
    // A 回头看 that found a rebound reopens its problem through the ledger's transition.
    let mut reopened = None;
    if let Some(ri) = &record.reinspection {
        let p = load_problem(&mut tx, ri.problem).await?;
        if let Some((n, ev)) =
            apply_reinspection(&p, &record, actor, now, ctx.calendar).map_err(refused)?
        {
            let body = l::problem_body(&n)?;
            let payload = l::event_payload(&ev)?;
            let e = log_write(
                &mut tx,
                (KIND_PROBLEM, n.id, ev.action.code()),
                actor,
                now,
                &payload,
                &body,
            )
            .await?;
            if !update_problem_in(&mut tx, p.seq, &n, &body, &e).await? {
                return Err(StoreError::Conflict {
                    entity: "problem",
                    detail: format!("problem {} changed while it was re-inspected", p.id),
                });
            }
            reopened = Some(n.id);
        }
    }
    let filed = FiledRecord {
        record,
        check,
        problems,
        reopened,
        filed_by: actor.person.clone(),
        filed_at: now,
    };
    let body = r::to_json("inspection record", &filed)?;
    let e = log_write(&mut tx, (KIND_RECORD, id, "file"), actor, now, &body, &body).await?;
    let cols = InspectionColumns::of_record(&filed);
    insert_row(&mut tx, "inspection_records", id, &cols, &body, &e).await?;
    tx.commit().await.map_err(db("inspection_records"))?;
    Ok(filed)
}

fn dec_plan(b: &[u8]) -> Result<InspectionPlan, StoreError> {
    r::decode("inspection plan", b)
}

fn dec_record(b: &[u8]) -> Result<FiledRecord, StoreError> {
    r::decode("inspection record", b)
}

async fn one<T>(
    st: &Backend,
    table: &'static str,
    id: u64,
    decode: fn(&[u8]) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut c = st.pool.acquire().await.map_err(db(table))?;
    body_of(&mut c, table, id)
        .await?
        .map(|b| decode(&b))
        .transpose()
}

async fn bodies<T>(
    st: &Backend,
    kind: &'static str,
    f: &InspectionFilter,
    page: Page,
    decode: fn(&[u8]) -> Result<T, StoreError>,
) -> Result<RecordPage<T>, StoreError> {
    let table = table(kind)?;
    let (cond, binds) = f.sql(|_| "?".to_owned());
    let limit = page.limit.clamp(1, 1000);
    let mut conn = st.pool.acquire().await.map_err(db(table))?;
    let total: i64 = bind_all(
        sqlx::query(AssertSqlSafe(q(&format!(
            "SELECT count(*) FROM {table} WHERE {cond}"
        )))),
        &binds,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db(table))?
    .try_get(0)
    .map_err(db(table))?;
    let rows = bind_all(
        sqlx::query(AssertSqlSafe(q(&format!(
            "SELECT id, body FROM {table} WHERE {cond} AND id > ? ORDER BY id LIMIT ?"
        )))),
        &binds,
    )
    .bind(page.after.map_or(0, |a| a as i64))
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *conn)
    .await
    .map_err(db(table))?;
    let mut items = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get(0).map_err(db(table))?;
        let b: Vec<u8> = row.try_get(1).map_err(db(table))?;
        ids.push(id as u64);
        items.push(decode(&b)?);
    }
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        ids.get(limit as usize - 1).copied()
    } else {
        None
    };
    Ok(RecordPage {
        items,
        total: total as u64,
        next,
    })
}

pub(crate) async fn record_rows(
    st: &Backend,
    kind: &str,
    after: i64,
    limit: u32,
) -> Result<Vec<RecordRow>, StoreError> {
    let table = table(kind)?;
    let rows = sqlx::query(AssertSqlSafe(q(&format!(
        "SELECT id, body, log_seq, log_hash, campaign, mode, units, grids, plan, at, seq \
         FROM {table} WHERE id > ? ORDER BY id LIMIT ?"
    ))))
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&st.pool)
    .await
    .map_err(db(table))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let g = |e| db(table)(e);
        let cols = InspectionColumns {
            campaign: row.try_get(4).map_err(g)?,
            mode: row.try_get(5).map_err(g)?,
            units: row.try_get(6).map_err(g)?,
            grids: row.try_get(7).map_err(g)?,
            plan: row.try_get(8).map_err(g)?,
            at: row.try_get(9).map_err(g)?,
            seq: row.try_get(10).map_err(g)?,
        };
        out.push(RecordRow {
            id: row.try_get(0).map_err(g)?,
            body: row.try_get(1).map_err(g)?,
            columns: cols.render(),
            log_seq: row.try_get(2).map_err(g)?,
            log_hash: row.try_get(3).map_err(g)?,
        });
    }
    Ok(out)
}

impl InspectionStore for Backend {
    async fn create_plan(
        &self,
        draft: &PlanDraft,
        actor: &Actor,
        nonce: Option<Nonce>,
        now: Timestamp,
    ) -> Result<(InspectionPlan, Option<SealedList>), StoreError> {
        create_plan(self, draft, actor, nonce, now).await
    }

    async fn dispatch_plan(
        &self,
        id: u64,
        list: Option<&SealedList>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<InspectionPlan, StoreError> {
        dispatch_plan(self, id, list, actor, now).await
    }

    async fn plan(&self, id: u64) -> Result<Option<InspectionPlan>, StoreError> {
        one(self, "inspection_plans", id, dec_plan).await
    }

    async fn plans(
        &self,
        filter: &InspectionFilter,
        page: Page,
    ) -> Result<RecordPage<InspectionPlan>, StoreError> {
        bodies(self, KIND_PLAN, filter, page, dec_plan).await
    }

    async fn file_record(
        &self,
        record: &InspectionRecord,
        ctx: FileContext<'_>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<FiledRecord, StoreError> {
        file_record(self, record, ctx, actor, now).await
    }

    async fn inspection_record(&self, id: u64) -> Result<Option<FiledRecord>, StoreError> {
        one(self, "inspection_records", id, dec_record).await
    }

    async fn inspection_records(
        &self,
        filter: &InspectionFilter,
        page: Page,
    ) -> Result<RecordPage<FiledRecord>, StoreError> {
        bodies(self, KIND_RECORD, filter, page, dec_record).await
    }
}

// Inspection plans and records: the code both store backends compile, `include!`d by
// `lantian-store-sqlite/src/inspections.rs` and `lantian-store-postgres/src/inspections.rs` (one source, so
// the two cannot drift). Each includer defines `Backend` (its store), `Conn` (its connection)
// and `q` (its placeholders: the SQL here writes `?`). Each write is one transaction with its
// log entries, like the problem ledger.

use crate::error::db;
use crate::ledger::{insert_problem, update_problem_in};
use lantian_domain::Timestamp;
use lantian_domain::inspection::{
    InspectionPlan, InspectionRecord, Nonce, PlanDraft, SealedList, apply_reinspection,
};
use lantian_domain::ledger::{Actor, Problem};
use lantian_store::StoreError;
use lantian_store::inspections::{
    self as i, FileContext, FiledRecord, InspectionColumns, InspectionFilter, InspectionStore,
    KIND_PLAN, KIND_RECORD,
};
use lantian_store::ledger::{self as l, KIND_PROBLEM, LogEntry, Page, RecordRow};
use lantian_store::records::{self as r, RecordPage};
use sqlx::{AssertSqlSafe, Row};

fn table(kind: &str) -> Result<&'static str, StoreError> {
    i::table_of(kind).ok_or_else(|| StoreError::Invalid(format!("no inspections of kind {kind:?}")))
}

use crate::records::{evidence_stored, log_write, next_id};

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
    let sql = f.sql(|_| "?".to_owned());
    let p = crate::records::page_of(st, table(kind)?, sql, page, decode).await?;
    Ok(crate::records::strip(p))
}

pub(crate) async fn record_rows(
    st: &Backend,
    kind: &str,
    after: i64,
    limit: u32,
) -> Result<Vec<RecordRow>, StoreError> {
    let table = table(kind)?;
    crate::records::rows_of(
        st,
        (table, "campaign, mode, units, grids, plan, at, seq"),
        (after, limit),
        |row| {
            Ok(InspectionColumns {
                campaign: row.try_get(4)?,
                mode: row.try_get(5)?,
                units: row.try_get(6)?,
                grids: row.try_get(7)?,
                plan: row.try_get(8)?,
                at: row.try_get(9)?,
                seq: row.try_get(10)?,
            }
            .render())
        },
    )
    .await
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

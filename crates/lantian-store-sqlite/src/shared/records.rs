// Enforcement cases and accountability records: the code both store backends compile, `include!`d by
// `lantian-store-sqlite/src/records.rs` and `lantian-store-postgres/src/records.rs` (one source, so
// the two cannot drift). Each includer defines `Backend` (its store), `Conn` (its connection)
// and `q` (its placeholders: the SQL here writes `?`). Each write is one transaction with its
// log entries, like the problem ledger.

use crate::error::db;
use crate::ledger::{append_in, bind_all};
use lantian_domain::accountability::{AccountabilityDraft, AccountabilityRecord};
use lantian_domain::enforcement::{self, CaseAction, CaseDraft, EnforcementCase};
use lantian_domain::ledger::Actor;
use lantian_domain::{SourceId, Timestamp};
use lantian_store::StoreError;
use lantian_store::ledger::{self as l, EntryContent, LedgerStore, LogEntry, Page, RecordRow};
use lantian_store::records::{
    self as r, KIND_ACCOUNTABILITY, KIND_CASE, RecordColumns, RecordFilter, RecordPage,
    RecordStore, SourceDossier,
};
use sqlx::{AssertSqlSafe, Row};

fn table(kind: &str) -> Result<&'static str, StoreError> {
    r::table_of(kind).ok_or_else(|| StoreError::Invalid(format!("no records of kind {kind:?}")))
}

/// The next id of `table` (inside the write's transaction; inspections use it too).
pub(crate) async fn next_id(c: &mut Conn, table: &'static str) -> Result<i64, StoreError> {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT coalesce(max(id), 0) + 1 FROM {table}"
    )))
    .fetch_one(&mut *c)
    .await
    .map_err(db(table))
}

/// Every linked problem must exist (checked inside the writing transaction).
async fn problems_exist(c: &mut Conn, ids: &[u64]) -> Result<(), StoreError> {
    for id in ids {
        let found: Option<i64> =
            sqlx::query_scalar(AssertSqlSafe(q("SELECT id FROM problems WHERE id = ?")))
                .bind(*id as i64)
                .fetch_optional(&mut *c)
                .await
                .map_err(db("problems"))?;
        if found.is_none() {
            return Err(StoreError::NotFound {
                entity: "problem",
                key: id.to_string(),
            });
        }
    }
    Ok(())
}

/// Every evidence file a step (or an inspection record) names must be stored (checked inside
/// the writing transaction).
pub(crate) async fn evidence_stored(
    c: &mut Conn,
    hashes: &[lantian_domain::ContentHash],
) -> Result<(), StoreError> {
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

/// Append the entry writing record `(kind, id)` by `action` (its digest: the body's);
/// inspections write theirs with it too.
pub(crate) async fn log_write(
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
    cols: &RecordColumns,
    body: &[u8],
    e: &LogEntry,
) -> Result<(), StoreError> {
    sqlx::query(AssertSqlSafe(q(&format!(
        "INSERT INTO {table} (unit, state, sources, problems, at, seq, id, body, log_seq, \
         log_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))))
    .bind(cols.unit.clone())
    .bind(cols.state.clone())
    .bind(cols.sources.clone())
    .bind(cols.problems.clone())
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

pub(crate) async fn file_case(
    st: &Backend,
    d: &CaseDraft,
    actor: &Actor,
    now: Timestamp,
) -> Result<EnforcementCase, StoreError> {
    let mut tx = st.begin("cases").await?;
    let id = next_id(&mut tx, "cases").await?;
    let draft = CaseDraft {
        id: id as u64,
        ..d.clone()
    };
    let (c, ev) = enforcement::file(draft, actor, now).map_err(r::case_refused)?;
    problems_exist(&mut tx, &c.problems).await?;
    let body = r::to_json("case", &c)?;
    let payload = r::case_payload(&ev)?;
    let e = log_write(
        &mut tx,
        (KIND_CASE, c.id, "file"),
        actor,
        now,
        &payload,
        &body,
    )
    .await?;
    insert_row(
        &mut tx,
        "cases",
        c.id,
        &RecordColumns::of_case(&c),
        &body,
        &e,
    )
    .await?;
    tx.commit().await.map_err(db("cases"))?;
    Ok(c)
}

pub(crate) async fn transition_case(
    st: &Backend,
    id: u64,
    expected_seq: Option<u64>,
    action: CaseAction,
    actor: &Actor,
    now: Timestamp,
) -> Result<EnforcementCase, StoreError> {
    let mut tx = st.begin("cases").await?;
    let body: Option<Vec<u8>> =
        sqlx::query_scalar(AssertSqlSafe(q("SELECT body FROM cases WHERE id = ?")))
            .bind(id as i64)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("cases"))?;
    let body = body.ok_or_else(|| StoreError::NotFound {
        entity: "case",
        key: id.to_string(),
    })?;
    let c: EnforcementCase = r::decode("case", &body)?;
    let conflict = |detail: String| StoreError::Conflict {
        entity: "case",
        detail: format!("case {id}: {detail}"),
    };
    if let Some(want) = expected_seq
        && want != c.seq
    {
        return Err(conflict(format!(
            "changed since it was read (seq {want}, now {})",
            c.seq
        )));
    }
    let code = action.code();
    let evidence = r::case_evidence(&action).to_vec();
    let (n, ev) = enforcement::transition(&c, actor, action, now).map_err(r::case_refused)?;
    evidence_stored(&mut tx, &evidence).await?;
    let body = r::to_json("case", &n)?;
    let payload = r::case_payload(&ev)?;
    let e = log_write(&mut tx, (KIND_CASE, id, code), actor, now, &payload, &body).await?;
    let cols = RecordColumns::of_case(&n);
    let done = sqlx::query(AssertSqlSafe(q(
        "UPDATE cases SET unit = ?, state = ?, sources = ?, problems = ?, at = ?, seq = ?, \
         body = ?, log_seq = ?, log_hash = ? WHERE id = ? AND seq = ?",
    )))
    .bind(cols.unit)
    .bind(cols.state)
    .bind(cols.sources)
    .bind(cols.problems)
    .bind(cols.at)
    .bind(cols.seq)
    .bind(body)
    .bind(e.seq as i64)
    .bind(e.hash.to_vec())
    .bind(id as i64)
    .bind(c.seq as i64)
    .execute(&mut *tx)
    .await
    .map_err(db("cases"))?;
    if done.rows_affected() != 1 {
        return Err(conflict("changed while the step was applied".into()));
    }
    tx.commit().await.map_err(db("cases"))?;
    Ok(n)
}

async fn bodies<T>(
    st: &Backend,
    kind: &'static str,
    f: &RecordFilter,
    page: Page,
    decode: fn(&[u8]) -> Result<T, StoreError>,
) -> Result<RecordPage<(u64, T)>, StoreError> {
    page_of(st, table(kind)?, f.sql(|_| "?".to_owned()), page, decode).await
}

/// A keyset page of `table`'s rows matching `cond` (with its binds), by id, with the total:
/// the paged list of records here and of inspections.
pub(crate) async fn page_of<T>(
    st: &Backend,
    table: &'static str,
    (cond, binds): (String, Vec<l::Bind>),
    page: Page,
    decode: fn(&[u8]) -> Result<T, StoreError>,
) -> Result<RecordPage<(u64, T)>, StoreError> {
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
    for row in &rows {
        let id: i64 = row.try_get(0).map_err(db(table))?;
        let b: Vec<u8> = row.try_get(1).map_err(db(table))?;
        items.push((id as u64, decode(&b)?));
    }
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|(id, _)| *id)
    } else {
        None
    };
    Ok(RecordPage {
        items,
        total: total as u64,
        next,
    })
}

fn dec_case(b: &[u8]) -> Result<EnforcementCase, StoreError> {
    r::decode("case", b)
}

fn dec_acc(b: &[u8]) -> Result<AccountabilityRecord, StoreError> {
    r::decode("accountability record", b)
}

/// A page without its ids.
pub(crate) fn strip<T>(p: RecordPage<(u64, T)>) -> RecordPage<T> {
    RecordPage {
        items: p.items.into_iter().map(|(_, t)| t).collect(),
        total: p.total,
        next: p.next,
    }
}

pub(crate) async fn case(st: &Backend, id: u64) -> Result<Option<EnforcementCase>, StoreError> {
    let body: Option<Vec<u8>> =
        sqlx::query_scalar(AssertSqlSafe(q("SELECT body FROM cases WHERE id = ?")))
            .bind(id as i64)
            .fetch_optional(&st.pool)
            .await
            .map_err(db("cases"))?;
    body.map(|b| r::decode("case", &b)).transpose()
}

pub(crate) async fn create_accountability(
    st: &Backend,
    d: &AccountabilityDraft,
    actor: &Actor,
    now: Timestamp,
) -> Result<AccountabilityRecord, StoreError> {
    let mut tx = st.begin("accountability").await?;
    let id = next_id(&mut tx, "accountability").await?;
    let draft = AccountabilityDraft {
        id: id as u64,
        ..d.clone()
    };
    let a = AccountabilityRecord::new(draft, actor, now)
        .map_err(|e| r::accountability_refused(e, actor))?;
    problems_exist(&mut tx, &a.problems).await?;
    let body = r::to_json("accountability record", &a)?;
    let e = log_write(
        &mut tx,
        (KIND_ACCOUNTABILITY, a.id, "decide"),
        actor,
        now,
        &body,
        &body,
    )
    .await?;
    let cols = RecordColumns::of_accountability(&a);
    insert_row(&mut tx, "accountability", a.id, &cols, &body, &e).await?;
    tx.commit().await.map_err(db("accountability"))?;
    Ok(a)
}

pub(crate) async fn record_rows(
    st: &Backend,
    kind: &str,
    after: i64,
    limit: u32,
) -> Result<Vec<RecordRow>, StoreError> {
    let table = table(kind)?;
    rows_of(
        st,
        (table, "unit, state, sources, problems, at, seq"),
        (after, limit),
        |row| {
            Ok(RecordColumns {
                unit: row.try_get(4)?,
                state: row.try_get(5)?,
                sources: row.try_get(6)?,
                problems: row.try_get(7)?,
                at: row.try_get(8)?,
                seq: row.try_get(9)?,
            }
            .render())
        },
    )
    .await
}

/// The rows of a record table (records here, inspections too) with `id > after`, by id, at
/// most `limit`, as the verifier checks them: `columns` are the indexed columns read after
/// `id, body, log_seq, log_hash`, which `render` renders from the row.
pub(crate) async fn rows_of(
    st: &Backend,
    (table, columns): (&'static str, &str),
    (after, limit): (i64, u32),
    render: impl Fn(&DbRow) -> Result<String, sqlx::Error>,
) -> Result<Vec<RecordRow>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(q(&format!(
        "SELECT id, body, log_seq, log_hash, {columns} FROM {table} WHERE id > ? ORDER BY id \
         LIMIT ?"
    ))))
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&st.pool)
    .await
    .map_err(db(table))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let g = |e| db(table)(e);
        out.push(RecordRow {
            id: row.try_get(0).map_err(g)?,
            body: row.try_get(1).map_err(g)?,
            columns: render(row).map_err(g)?,
            log_seq: row.try_get(2).map_err(g)?,
            log_hash: row.try_get(3).map_err(g)?,
        });
    }
    Ok(out)
}

impl RecordStore for Backend {
    async fn file_case(
        &self,
        draft: &CaseDraft,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<EnforcementCase, StoreError> {
        file_case(self, draft, actor, now).await
    }

    async fn transition_case(
        &self,
        id: u64,
        expected_seq: Option<u64>,
        action: CaseAction,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<EnforcementCase, StoreError> {
        transition_case(self, id, expected_seq, action, actor, now).await
    }

    async fn case(&self, id: u64) -> Result<Option<EnforcementCase>, StoreError> {
        case(self, id).await
    }

    async fn cases(
        &self,
        filter: &RecordFilter,
        page: Page,
    ) -> Result<RecordPage<EnforcementCase>, StoreError> {
        Ok(strip(
            bodies(self, KIND_CASE, filter, page, dec_case).await?,
        ))
    }

    async fn create_accountability(
        &self,
        draft: &AccountabilityDraft,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<AccountabilityRecord, StoreError> {
        create_accountability(self, draft, actor, now).await
    }

    async fn accountability(
        &self,
        filter: &RecordFilter,
        page: Page,
    ) -> Result<RecordPage<AccountabilityRecord>, StoreError> {
        Ok(strip(
            bodies(self, KIND_ACCOUNTABILITY, filter, page, dec_acc).await?,
        ))
    }

    async fn source_dossier(&self, source: &SourceId) -> Result<SourceDossier, StoreError> {
        let problems = self.source_history(source).await?;
        let filter = RecordFilter {
            source: Some(source.clone()),
            ..RecordFilter::default()
        };
        let mut cases = Vec::new();
        let mut page = Page {
            after: None,
            limit: 1000,
        };
        loop {
            let got = bodies(self, KIND_CASE, &filter, page, dec_case).await?;
            cases.extend(got.items.into_iter().map(|(_, c)| c));
            match got.next {
                Some(n) => page.after = Some(n),
                None => break,
            }
        }
        Ok(SourceDossier { problems, cases })
    }
}

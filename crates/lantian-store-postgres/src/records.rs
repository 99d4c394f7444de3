//! Enforcement cases and accountability records on PostgreSQL: the code is the SQLite backend's `shared/records.rs`,
//! compiled here with PostgreSQL's store, connection and placeholders. Each write is one
//! transaction with its log entries (appends serialise on `audit_head`).

use crate::PgStore as Backend;
use sqlx::PgConnection as Conn;

/// A row of this backend.
pub(crate) type DbRow = sqlx::postgres::PgRow;

/// The SQL as this backend writes placeholders: each `?` becomes `$1`, `$2`, … in order.
fn q(sql: &str) -> String {
    crate::numbered_placeholders(sql)
}

include!("../../lantian-store-sqlite/src/shared/records.rs");

//! Inspection plans and records on SQLite: the code is `shared/inspections.rs`, which the PostgreSQL
//! backend compiles too; here are SQLite's store, connection and placeholders. Each write is
//! one `BEGIN IMMEDIATE` transaction with its log entries.

use crate::SqliteStore as Backend;
use sqlx::SqliteConnection as Conn;

/// The SQL as this backend writes placeholders (SQLite: `?` as is).
fn q(sql: &str) -> String {
    sql.to_owned()
}

include!("shared/inspections.rs");

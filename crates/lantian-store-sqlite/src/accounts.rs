//! Accounts on SQLite: the code is `shared/accounts.rs`, which the PostgreSQL backend
//! compiles too; here are SQLite's store and placeholders.

use crate::SqliteStore as Backend;

/// The SQL as this backend writes placeholders (SQLite: `?` as is).
fn q(sql: &str) -> String {
    sql.to_owned()
}

include!("shared/accounts.rs");

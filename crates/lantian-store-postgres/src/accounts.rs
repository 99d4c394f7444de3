//! Accounts on PostgreSQL: the code is the SQLite backend's `shared/accounts.rs`, compiled
//! here with PostgreSQL's store and placeholders.

use crate::PgStore as Backend;

/// The SQL as this backend writes placeholders: each `?` becomes `$1`, `$2`, … in order.
fn q(sql: &str) -> String {
    crate::numbered_placeholders(sql)
}

include!("../../lantian-store-sqlite/src/shared/accounts.rs");

//! Opening the store named by `--db`: a SQLite file (the default, `lantian.sqlite`) or a
//! PostgreSQL URL. The store trait is generic (not object-safe), so commands are written as
//! generic functions and [`with_store!`] dispatches on the backend.

use anyhow::Context;
use lantian_store_postgres::PgStore;
use lantian_store_sqlite::SqliteStore;

/// An open store.
pub(crate) enum Db {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Db {
    /// Open `spec`: `postgres://…`/`postgresql://…` for PostgreSQL, anything else is a SQLite
    /// file path (created if missing; migrations run on open).
    pub(crate) async fn open(spec: &str) -> anyhow::Result<Db> {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            Ok(Db::Postgres(PgStore::connect(spec).await.with_context(
                || format!("cannot open PostgreSQL {spec}"),
            )?))
        } else {
            Ok(Db::Sqlite(SqliteStore::open(spec).await.with_context(
                || format!("cannot open SQLite file {spec}"),
            )?))
        }
    }

    /// Close pools cleanly (SQLite checkpoints its WAL).
    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite(s) => s.close().await,
            Db::Postgres(s) => s.close().await,
        }
    }
}

/// Run `$body` with `$s` bound to the concrete store.
macro_rules! with_store {
    ($db:expr, |$s:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($s) => $body,
            $crate::db::Db::Postgres($s) => $body,
        }
    };
}
pub(crate) use with_store;

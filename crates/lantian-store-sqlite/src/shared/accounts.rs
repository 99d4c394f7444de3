// Accounts: users and sessions ([`lantian_store::AccountStore`]), one statement per method,
// each its own transaction (the lockout counter is one atomic `UPDATE`). The code both store
// backends compile, `include!`d by `lantian-store-sqlite/src/accounts.rs` and
// `lantian-store-postgres/src/accounts.rs`; each includer defines `Backend` (its store) and
// `q` (its placeholders: the SQL here writes `?`).
use crate::error::db;
use lantian_domain::{PersonId, Timestamp, UnitCode};
use lantian_store::StoreError;
use lantian_store::accounts::{
    self, AccountStore, NewSession, NewUser, SESSION_COLUMNS, Session, SessionKind, SessionRow,
    USER_COLUMNS, User, UserRow,
};
use sqlx::AssertSqlSafe;

const U: &str = "users";
const S: &str = "sessions";

impl AccountStore for Backend {
    async fn create_user(&self, u: &NewUser, now: Timestamp) -> Result<User, StoreError> {
        accounts::check_new_user(u)?;
        let sql = format!(
            "INSERT INTO users (login, display_name, person, role, unit, grids, password_hash, \
             failed_logins, locked_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL, ?) \
             RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = sqlx::query_as(AssertSqlSafe(q(&sql)))
            .bind(&u.login)
            .bind(&u.display_name)
            .bind(u.person.as_ref().map(PersonId::as_str))
            .bind(u.role.code())
            .bind(u.unit.as_ref().map(UnitCode::as_str))
            .bind(accounts::grids_to_text(&u.grids))
            .bind(&u.password_hash)
            .bind(now.0)
            .fetch_one(&self.pool)
            .await
            .map_err(db(U))?;
        accounts::user_from_row(row)
    }

    async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(q(&sql)))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db(U))?;
        row.map(accounts::user_from_row).transpose()
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE login = ?");
        let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(q(&sql)))
            .bind(login)
            .fetch_optional(&self.pool)
            .await
            .map_err(db(U))?;
        row.map(accounts::user_from_row).transpose()
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        let rows: Vec<UserRow> = sqlx::query_as(AssertSqlSafe(q(&sql)))
            .fetch_all(&self.pool)
            .await
            .map_err(db(U))?;
        rows.into_iter().map(accounts::user_from_row).collect()
    }

    async fn set_password(&self, id: i64, password_hash: &str) -> Result<(), StoreError> {
        let n = sqlx::query(AssertSqlSafe(q(
            "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL \
             WHERE id = ?",
        )))
        .bind(password_hash)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db(U))?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound {
                entity: "user",
                key: id.to_string(),
            });
        }
        Ok(())
    }

    async fn record_login_failure(
        &self,
        id: i64,
        now: Timestamp,
        max_failures: u32,
        lock_s: i64,
    ) -> Result<User, StoreError> {
        let sql = format!(
            "UPDATE users SET \
             locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END, \
             failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END \
             WHERE id = ? RETURNING {USER_COLUMNS}"
        );
        let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(q(&sql)))
            .bind(i64::from(max_failures))
            .bind(now.0 + lock_s)
            .bind(i64::from(max_failures))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db(U))?;
        let row = row.ok_or_else(|| StoreError::NotFound {
            entity: "user",
            key: id.to_string(),
        })?;
        accounts::user_from_row(row)
    }

    async fn record_login_success(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query(AssertSqlSafe(q(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?",
        )))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db(U))?;
        Ok(())
    }

    async fn create_session(&self, s: &NewSession) -> Result<Session, StoreError> {
        let scopes = accounts::check_new_session(s)?;
        let sql = format!(
            "INSERT INTO sessions (token_hash, user_id, kind, scopes, label, created_at, \
             expires_at, last_seen_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL) \
             RETURNING {SESSION_COLUMNS}"
        );
        let row: SessionRow = sqlx::query_as(AssertSqlSafe(q(&sql)))
            .bind(&s.token_hash)
            .bind(s.user)
            .bind(s.kind.code())
            .bind(scopes)
            .bind(&s.label)
            .bind(s.created_at.0)
            .bind(s.expires_at.0)
            .bind(s.created_at.0)
            .fetch_one(&self.pool)
            .await
            .map_err(db(S))?;
        accounts::session_from_row(row)
    }

    async fn live_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ? \
             AND revoked_at IS NULL AND expires_at > ?"
        );
        let row: Option<SessionRow> = sqlx::query_as(AssertSqlSafe(q(&sql)))
            .bind(token_hash)
            .bind(now.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db(S))?;
        row.map(accounts::session_from_row).transpose()
    }

    async fn session(&self, id: i64) -> Result<Option<Session>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?");
        let row: Option<SessionRow> = sqlx::query_as(AssertSqlSafe(q(&sql)))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db(S))?;
        row.map(accounts::session_from_row).transpose()
    }

    async fn sessions_of(&self, user: i64) -> Result<Vec<Session>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ? ORDER BY id");
        let rows: Vec<SessionRow> = sqlx::query_as(AssertSqlSafe(q(&sql)))
            .bind(user)
            .fetch_all(&self.pool)
            .await
            .map_err(db(S))?;
        rows.into_iter().map(accounts::session_from_row).collect()
    }

    async fn touch_session(&self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query(AssertSqlSafe(q(
            "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
        )))
        .bind(now.0)
        .bind(id)
        .bind(now.0)
        .execute(&self.pool)
        .await
        .map_err(db(S))?;
        Ok(())
    }

    async fn revoke_session(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        let n = sqlx::query(AssertSqlSafe(q(
            "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        )))
        .bind(now.0)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db(S))?
        .rows_affected();
        Ok(n > 0)
    }

    async fn revoke_sessions_of(
        &self,
        user: i64,
        kind: Option<SessionKind>,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let n = sqlx::query(AssertSqlSafe(q(
            "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL \
             AND (? IS NULL OR kind = ?)",
        )))
        .bind(now.0)
        .bind(user)
        .bind(kind.map(SessionKind::code))
        .bind(kind.map(SessionKind::code))
        .execute(&self.pool)
        .await
        .map_err(db(S))?
        .rows_affected();
        Ok(n)
    }
}

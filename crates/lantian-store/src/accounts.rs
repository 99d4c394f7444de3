//! Accounts: users (login, role, scope, argon2id PHC hash, lockout counters) and their sessions
//! and API tokens, behind [`AccountStore`] — a trait of its own, separate from [`crate::Store`],
//! so the campaign data and the credentials can be reasoned about (and audited) apart.
//!
//! The store never sees a password or a token: it keeps the argon2id PHC string the server
//! computed and the SHA-256 (hex) of each bearer/session token. A stolen database therefore
//! yields neither passwords nor usable sessions.

use crate::StoreError;
use lantian_domain::org::Role;
use lantian_domain::{PersonId, RegionCode, Timestamp, UnitCode};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// A user to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    /// Login name, unique (compared exactly; the server lower-cases it).
    pub login: String,
    /// Name shown in the dashboard.
    pub display_name: String,
    /// The person of the organisation this account belongs to, if any.
    pub person: Option<PersonId>,
    /// What the user may do.
    pub role: Role,
    /// The unit whose objects the user may see (unit roles); `None` for district-wide roles.
    pub unit: Option<UnitCode>,
    /// The grids the user may see (grid roles); empty for everyone else.
    pub grids: Vec<RegionCode>,
    /// argon2id PHC string (`$argon2id$v=19$…`).
    pub password_hash: String,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Numeric id, given by the store.
    pub id: i64,
    /// Login name.
    pub login: String,
    /// Name shown in the dashboard.
    pub display_name: String,
    /// Linked person.
    pub person: Option<PersonId>,
    /// Role.
    pub role: Role,
    /// Unit scope.
    pub unit: Option<UnitCode>,
    /// Grid scope.
    pub grids: Vec<RegionCode>,
    /// argon2id PHC string.
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// Consecutive failed logins since the last success or lock.
    pub failed_logins: u32,
    /// Logins are refused until this instant.
    pub locked_until: Option<Timestamp>,
    /// When the user was created.
    pub created_at: Timestamp,
}

/// A browser session (cookie) or an API token (bearer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// Browser session, cookie `sid`.
    Web,
    /// API token for a device or an integration, `Authorization: Bearer`.
    Api,
}

impl SessionKind {
    /// Stable code, as stored.
    pub const fn code(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }

    /// From [`SessionKind::code`].
    pub fn parse(s: &str) -> Option<SessionKind> {
        match s {
            "web" => Some(SessionKind::Web),
            "api" => Some(SessionKind::Api),
            _ => None,
        }
    }
}

/// A session or token to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    /// SHA-256 of the token, lower-case hex (64 characters).
    pub token_hash: String,
    /// Whose it is.
    pub user: i64,
    /// Cookie or bearer.
    pub kind: SessionKind,
    /// What it may be used for (`read`, `ingest`, …); web sessions carry `web`.
    pub scopes: Vec<String>,
    /// A name the owner gave it ("station 1828A logger").
    pub label: String,
    /// Creation instant.
    pub created_at: Timestamp,
    /// It stops working at this instant.
    pub expires_at: Timestamp,
}

/// A stored session or token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Numeric id (what a revocation names; never the token).
    pub id: i64,
    /// SHA-256 of the token, hex.
    #[serde(skip_serializing)]
    pub token_hash: String,
    /// Owner.
    pub user: i64,
    /// Cookie or bearer.
    pub kind: SessionKind,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Owner's label.
    pub label: String,
    /// Created.
    pub created_at: Timestamp,
    /// Expires.
    pub expires_at: Timestamp,
    /// Last request made with it (updated at most once a minute by the server).
    pub last_seen_at: Timestamp,
    /// Revoked (logout, revocation, password change).
    pub revoked_at: Option<Timestamp>,
}

impl Session {
    /// Whether it may be used at `now`: not revoked and not expired.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }

    /// Whether it carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Users and sessions. Every write is one transaction.
pub trait AccountStore: Send + Sync {
    /// Create a user; a login already taken is [`StoreError::Conflict`], an empty login or
    /// hash [`StoreError::Invalid`].
    fn create_user(
        &self,
        user: &NewUser,
        now: Timestamp,
    ) -> impl Future<Output = Result<User, StoreError>> + Send;

    /// One user by id.
    fn user(&self, id: i64) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// One user by login.
    fn user_by_login(
        &self,
        login: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// All users, by id.
    fn users(&self) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;

    /// Replace a user's password hash, clear the failure count and the lock.
    fn set_password(
        &self,
        id: i64,
        password_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Count one failed login, atomically: when the count reaches `max_failures` the user is
    /// locked until `now + lock_s` and the count starts again. Returns the user as updated.
    fn record_login_failure(
        &self,
        id: i64,
        now: Timestamp,
        max_failures: u32,
        lock_s: i64,
    ) -> impl Future<Output = Result<User, StoreError>> + Send;

    /// A successful login: clear the failure count and the lock.
    fn record_login_success(&self, id: i64) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Store a new session or token (its hash must be new).
    fn create_session(
        &self,
        session: &NewSession,
    ) -> impl Future<Output = Result<Session, StoreError>> + Send;

    /// The session whose token hashes to `token_hash`, if it is live at `now` (not revoked,
    /// not expired).
    fn live_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// One session by id, live or not.
    fn session(&self, id: i64) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// All sessions and tokens of a user, by id (revoked and expired ones included).
    fn sessions_of(
        &self,
        user: i64,
    ) -> impl Future<Output = Result<Vec<Session>, StoreError>> + Send;

    /// Record a request made with a session.
    fn touch_session(
        &self,
        id: i64,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Revoke one session; `true` if it was not revoked before.
    fn revoke_session(
        &self,
        id: i64,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revoke every unrevoked session of a user of `kind` (all kinds when `None`); returns how
    /// many.
    fn revoke_sessions_of(
        &self,
        user: i64,
        kind: Option<SessionKind>,
        now: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// Columns of a `users` row, as both backends read it.
pub type UserRow = (
    i64,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    i64,
    Option<i64>,
    i64,
);

/// The `SELECT` list matching [`UserRow`].
pub const USER_COLUMNS: &str = "id, login, display_name, person, role, unit, grids, password_hash, \
     failed_logins, locked_until, created_at";

/// Columns of a `sessions` row, as both backends read it.
pub type SessionRow = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
);

/// The `SELECT` list matching [`SessionRow`].
pub const SESSION_COLUMNS: &str = "id, token_hash, user_id, kind, scopes, label, created_at, \
     expires_at, last_seen_at, revoked_at";

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Backend(format!("stored {what} {v:?} does not parse"))
}

/// Decode a `users` row.
pub fn user_from_row(r: UserRow) -> Result<User, StoreError> {
    let (id, login, display_name, person, role, unit, grids, hash, failed, locked, created) = r;
    let grids: Vec<String> =
        serde_json::from_str(&grids).map_err(|_| corrupt("grid scope", &grids))?;
    Ok(User {
        id,
        login,
        display_name,
        person: person
            .map(|p| PersonId::parse(&p).map_err(|_| corrupt("person", &p)))
            .transpose()?,
        role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        unit: unit
            .map(|u| UnitCode::parse(&u).map_err(|_| corrupt("unit", &u)))
            .transpose()?,
        grids: grids
            .iter()
            .map(|g| RegionCode::parse(g).map_err(|_| corrupt("grid", g)))
            .collect::<Result<_, _>>()?,
        password_hash: hash,
        failed_logins: u32::try_from(failed).unwrap_or(u32::MAX),
        locked_until: locked.map(Timestamp),
        created_at: Timestamp(created),
    })
}

/// Decode a `sessions` row.
pub fn session_from_row(r: SessionRow) -> Result<Session, StoreError> {
    let (id, token_hash, user, kind, scopes, label, created, expires, seen, revoked) = r;
    Ok(Session {
        id,
        token_hash,
        user,
        kind: SessionKind::parse(&kind).ok_or_else(|| corrupt("session kind", &kind))?,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        label,
        created_at: Timestamp(created),
        expires_at: Timestamp(expires),
        last_seen_at: Timestamp(seen),
        revoked_at: revoked.map(Timestamp),
    })
}

/// The grid scope as stored (a JSON array of codes).
pub fn grids_to_text(grids: &[RegionCode]) -> String {
    serde_json::to_string(&grids.iter().map(RegionCode::as_str).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".to_owned())
}

/// Scopes as stored (space-separated, like OAuth).
pub fn scopes_to_text(scopes: &[String]) -> Result<String, StoreError> {
    if let Some(bad) = scopes
        .iter()
        .find(|s| s.is_empty() || s.contains(char::is_whitespace))
    {
        return Err(StoreError::Invalid(format!("scope {bad:?}")));
    }
    Ok(scopes.join(" "))
}

/// Checks both backends apply before writing a user.
pub fn check_new_user(u: &NewUser) -> Result<(), StoreError> {
    if u.login.trim().is_empty() {
        return Err(StoreError::Invalid("user login is empty".into()));
    }
    if !u.password_hash.starts_with("$argon2") {
        return Err(StoreError::Invalid(format!(
            "user {}: password hash is not an argon2 PHC string",
            u.login
        )));
    }
    Ok(())
}

/// Checks both backends apply before writing a session.
pub fn check_new_session(s: &NewSession) -> Result<String, StoreError> {
    if s.token_hash.len() != 64 || !s.token_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::Invalid(
            "session token hash is not 64 hex digits".into(),
        ));
    }
    if s.expires_at <= s.created_at {
        return Err(StoreError::Invalid(
            "session expires before it is created".into(),
        ));
    }
    scopes_to_text(&s.scopes)
}

//! `/api/v1` accounts: login and logout (browser session cookie), `/me`, the caller's API
//! tokens, and user administration. The login rules (rate limit per client, lockout after
//! repeated failures, a new session id on every login) live in [`login`], shared with the
//! dashboard's login form.

use crate::auth::{
    self, Caller, Perm, SCOPE_ADMIN, SCOPE_INGEST, SCOPE_WEB, SESSION_COOKIE, TOKEN_SCOPES,
};
use crate::error::{ApiError, ErrorCode, ErrorEnvelope};
use crate::extract::{J, P};
use crate::state::App;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantian_domain::org::Role;
use lantian_domain::{PersonId, RegionCode, UnitCode};
use lantian_store::AccountStore;
use lantian_store::accounts::{NewSession, NewUser, Session, SessionKind, User};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use utoipa::ToSchema;

/// A user as the API shows it (never the hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// Id.
    pub id: i64,
    /// Login.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Role code (`admin`, `grid_worker`, …).
    pub role: String,
    /// Unit scope.
    pub unit: Option<String>,
    /// Grid scope.
    pub grids: Vec<String>,
    /// Linked person.
    pub person: Option<String>,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> UserDto {
        UserDto {
            id: u.id,
            login: u.login.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().to_owned(),
            unit: u.unit.as_ref().map(|x| x.as_str().to_owned()),
            grids: u.grids.iter().map(|g| g.as_str().to_owned()).collect(),
            person: u.person.as_ref().map(|p| p.as_str().to_owned()),
        }
    }
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user.
    pub user: UserDto,
    /// `web` (cookie) or `api` (bearer).
    pub via: String,
    /// Scopes of the session or token.
    pub scopes: Vec<String>,
    /// CSRF token to send as `X-CSRF-Token` on state-changing calls made with the cookie
    /// (empty for bearer tokens, which need none).
    pub csrf_token: String,
}

/// Login body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
}

/// A PHC string to verify against when the login does not exist, so both cases take the same
/// time and answer the same.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| auth::hash_password("lantian-no-such-user").unwrap_or_default())
}

/// The outcome of a successful login.
#[derive(Debug)]
pub struct LoggedIn {
    /// Who.
    pub user: User,
    /// The new session token (for the cookie).
    pub token: String,
}

/// Check a login: per-client rate limit, lockout, password; on success revoke the session the
/// request came with (if any) and open a NEW one — the id is never carried across a login, so
/// a planted cookie is worthless (session fixation).
pub async fn login(
    app: &App,
    client: &str,
    login: &str,
    password: &str,
    old_token: Option<&str>,
) -> Result<LoggedIn, ApiError> {
    let r = login_checked(app, client, login, password, old_token).await;
    // Every attempt past the rate limit leaves an `auth` entry in the audit log.
    let name = login.trim().to_lowercase();
    let (actor, action, code) = match &r {
        Ok(l) => (
            crate::api_ledger::login_actor(l.user.person.as_ref(), &name),
            "login",
            None,
        ),
        Err(e) if e.code == ErrorCode::RateLimited => return r,
        Err(e) => (
            crate::api_ledger::login_actor(None, &name),
            "login_failed",
            Some(e.code.code()),
        ),
    };
    let payload = serde_json::json!({"client": client, "code": code});
    match crate::api_ledger::audit_auth(app, &actor, &name, action, payload).await {
        Ok(()) => r,
        // No session without its trace; a failure keeps its own answer.
        Err(e) if r.is_ok() => Err(e),
        Err(e) => {
            tracing::error!("audit log: a failed login could not be recorded: {e}");
            r
        }
    }
}

async fn login_checked(
    app: &App,
    client: &str,
    login: &str,
    password: &str,
    old_token: Option<&str>,
) -> Result<LoggedIn, ApiError> {
    let now = app.now();
    if !app.limiter.allow(client, now, app.config.login_per_minute) {
        tracing::warn!(client, "login rate limit");
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many login attempts; wait a minute",
        ));
    }
    let login = login.trim().to_lowercase();
    let Some(user) = app.db.user_by_login(&login).await? else {
        let _ = verify_off_runtime(password, dummy_hash().to_owned()).await;
        tracing::warn!(login, client, "login failed: no such user");
        return Err(bad_credentials());
    };
    if user.locked_until.is_some_and(|t| t > now) {
        tracing::warn!(login, client, "login refused: account locked");
        return Err(locked());
    }
    if !verify_off_runtime(password, user.password_hash.clone()).await? {
        let u = app
            .db
            .record_login_failure(user.id, now, app.config.max_failures, app.config.lock_s)
            .await?;
        tracing::warn!(login, client, failures = u.failed_logins, "login failed");
        return Err(if u.locked_until.is_some_and(|t| t > now) {
            locked()
        } else {
            bad_credentials()
        });
    }
    app.db.record_login_success(user.id).await?;
    if let Some(old) = old_token
        && let Some(s) = app.db.live_session(&auth::token_hash(old), now).await?
    {
        app.db.revoke_session(s.id, now).await?;
    }
    let token = auth::new_token()?;
    app.db
        .create_session(&NewSession {
            token_hash: auth::token_hash(&token),
            user: user.id,
            kind: SessionKind::Web,
            scopes: vec![SCOPE_WEB.to_owned()],
            label: format!("browser {client}"),
            created_at: now,
            expires_at: now.plus_seconds(app.config.session_ttl_s),
        })
        .await?;
    tracing::info!(login, client, "login");
    Ok(LoggedIn { user, token })
}

/// argon2 takes tens of milliseconds of CPU by design: run it on the blocking pool, not on a
/// runtime worker that other requests are waiting for.
async fn verify_off_runtime(password: &str, phc: String) -> Result<bool, ApiError> {
    let pw = password.to_owned();
    tokio::task::spawn_blocking(move || auth::verify_password(&pw, &phc))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("password check: {e}")))
}

fn bad_credentials() -> ApiError {
    ApiError::new(ErrorCode::BadCredentials, "wrong login or password")
}

fn locked() -> ApiError {
    ApiError::new(
        ErrorCode::AccountLocked,
        "too many failed logins: the account is locked for a while",
    )
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(app: &App, token: &str) -> HeaderValue {
    let secure = if app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        app.config.session_ttl_s
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("sid=; Path=/"))
}

/// `Set-Cookie` that clears the session.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Log in; sets cookie `sid` (HttpOnly, SameSite=Lax) and returns the CSRF token.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = Me), (status = 401, body = ErrorEnvelope),
              (status = 423, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn api_login(
    State(app): State<Arc<App>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    J(body): J<LoginRequest>,
) -> Result<Response, ApiError> {
    let old = auth::cookie(&headers, SESSION_COOKIE);
    let done = login(
        &app,
        &addr.ip().to_string(),
        &body.login,
        &body.password,
        old,
    )
    .await?;
    let me = Me {
        user: UserDto::from(&done.user),
        via: "web".into(),
        scopes: vec![SCOPE_WEB.into()],
        csrf_token: auth::csrf_for(&done.token),
    };
    let mut r = Json(me).into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&app, &done.token));
    Ok(r)
}

/// Log out: revoke the session (or the bearer token used) and clear the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out"), (status = 401, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope)))]
pub async fn api_logout(State(app): State<Arc<App>>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Perm::Own)?;
    app.db.revoke_session(caller.session.id, app.now()).await?;
    tracing::info!(login = caller.user.login, "logout");
    // The session is gone whatever happens next; a logout whose trace cannot be written
    // answers 500 rather than pretending all went well.
    crate::api_ledger::audit_account(
        &app,
        &caller,
        "logout",
        serde_json::json!({"session": caller.session.id, "kind": kind_code(caller.session.kind)}),
    )
    .await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(header::SET_COOKIE, clear_cookie());
    Ok(r)
}

/// The log's name of a session kind.
fn kind_code(k: SessionKind) -> &'static str {
    match k {
        SessionKind::Web => "web",
        SessionKind::Api => "api",
    }
}

/// Who is calling, with the CSRF token of a browser session.
#[utoipa::path(get, path = "/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = ErrorEnvelope)))]
pub async fn me(caller: Caller) -> Result<Json<Me>, ApiError> {
    caller.require(Perm::Own)?;
    Ok(Json(Me {
        user: UserDto::from(&caller.user),
        via: caller.session.kind.code().to_owned(),
        scopes: caller.session.scopes.clone(),
        csrf_token: caller.csrf(),
    }))
}

/// An API token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    /// Id (what a revocation names).
    pub id: i64,
    /// Label.
    pub label: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Expires (RFC 3339).
    pub expires_at: String,
    /// Last used (RFC 3339).
    pub last_seen_at: String,
    /// Revoked (RFC 3339), if so.
    pub revoked_at: Option<String>,
}

impl From<&Session> for TokenDto {
    fn from(s: &Session) -> TokenDto {
        TokenDto {
            id: s.id,
            label: s.label.clone(),
            scopes: s.scopes.clone(),
            created_at: s.created_at.to_string(),
            expires_at: s.expires_at.to_string(),
            last_seen_at: s.last_seen_at.to_string(),
            revoked_at: s.revoked_at.map(|t| t.to_string()),
        }
    }
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenRequest {
    /// What it is for ("1828A logger").
    pub label: String,
    /// Scopes: `read`, `ingest` (admin, dispatcher), `admin` (admin).
    pub scopes: Vec<String>,
    /// Lifetime in days, 1..=365 (default 90).
    pub days: Option<u32>,
}

/// A created token: the secret is shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    /// The token, for `Authorization: Bearer`. Not retrievable later.
    pub token: String,
    /// Its record.
    pub info: TokenDto,
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/tokens", tag = "auth",
    responses((status = 200, body = Vec<TokenDto>), (status = 401, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope)))]
pub async fn list_tokens(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    caller.require(Perm::OwnTokens)?;
    let all = app.db.sessions_of(caller.user.id).await?;
    Ok(Json(
        all.iter()
            .filter(|s| s.kind == SessionKind::Api)
            .map(TokenDto::from)
            .collect(),
    ))
}

/// Create an API token for the caller (from a browser session only).
#[utoipa::path(post, path = "/tokens", tag = "auth", request_body = NewTokenRequest,
    responses((status = 200, body = NewTokenResponse), (status = 400, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope)))]
pub async fn create_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    J(body): J<NewTokenRequest>,
) -> Result<Json<NewTokenResponse>, ApiError> {
    caller.require(Perm::OwnTokens)?;
    if body.scopes.is_empty() {
        return Err(ApiError::param("scopes", "give at least one"));
    }
    for s in &body.scopes {
        if !TOKEN_SCOPES.contains(&s.as_str()) {
            return Err(ApiError::param("scopes", format!("unknown scope {s:?}")));
        }
        let allowed = match s.as_str() {
            SCOPE_INGEST => Perm::Ingest.allows(caller.user.role),
            SCOPE_ADMIN => Perm::ManageUsers.allows(caller.user.role),
            _ => true,
        };
        if !allowed {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("role {} may not hold scope {s}", caller.user.role.code()),
            ));
        }
    }
    let days = body.days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        return Err(ApiError::param("days", "must be 1..=365"));
    }
    let now = app.now();
    let token = auth::new_token()?;
    let s = app
        .db
        .create_session(&NewSession {
            token_hash: auth::token_hash(&token),
            user: caller.user.id,
            kind: SessionKind::Api,
            scopes: body.scopes.clone(),
            label: body.label.chars().take(200).collect(),
            created_at: now,
            expires_at: now.plus_seconds(i64::from(days) * 86_400),
        })
        .await?;
    tracing::info!(login = caller.user.login, token = s.id, "API token created");
    // No token without its trace: if the entry cannot be written, the token is revoked again.
    if let Err(e) = crate::api_ledger::audit_account(
        &app,
        &caller,
        "token_created",
        serde_json::json!({"token": s.id, "scopes": s.scopes, "label": s.label,
            "expires_at": s.expires_at.to_string()}),
    )
    .await
    {
        let _ = app.db.revoke_session(s.id, now).await;
        return Err(e);
    }
    Ok(Json(NewTokenResponse {
        token,
        info: TokenDto::from(&s),
    }))
}

/// Revoke an API token: one's own, or anyone's for an admin.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "auth",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope)))]
pub async fn revoke_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(id): P<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require(Perm::OwnTokens)?;
    let s = app
        .db
        .session(id)
        .await?
        .filter(|s| s.kind == SessionKind::Api)
        .ok_or_else(|| ApiError::not_found(format!("token {id}")))?;
    if s.user != caller.user.id && caller.user.role != Role::Admin {
        return Err(ApiError::out_of_scope(format!("token {id}")));
    }
    app.db.revoke_session(id, app.now()).await?;
    tracing::info!(login = caller.user.login, token = id, "API token revoked");
    crate::api_ledger::audit_account(
        &app,
        &caller,
        "token_revoked",
        serde_json::json!({"token": id, "owner": s.user}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// All users (admin).
#[utoipa::path(get, path = "/users", tag = "users",
    responses((status = 200, body = Vec<UserDto>), (status = 403, body = ErrorEnvelope)))]
pub async fn list_users(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Vec<UserDto>>, ApiError> {
    caller.require(Perm::ManageUsers)?;
    Ok(Json(
        app.db.users().await?.iter().map(UserDto::from).collect(),
    ))
}

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    /// Login (lower-cased).
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Password, at least 8 characters.
    pub password: String,
    /// Role code.
    pub role: String,
    /// Unit code.
    pub unit: Option<String>,
    /// Grid codes.
    #[serde(default)]
    pub grids: Vec<String>,
    /// Person id.
    pub person: Option<String>,
}

/// Validate a user request into a [`NewUser`] (hashing the password). Shared with the CLI.
pub fn new_user(r: &NewUserRequest) -> Result<NewUser, ApiError> {
    let login = r.login.trim().to_lowercase();
    if login.is_empty()
        || login.len() > 64
        || !login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(ApiError::param("login", "1..64 of a-z 0-9 . _ -"));
    }
    if r.password.chars().count() < 8 {
        return Err(ApiError::param("password", "at least 8 characters"));
    }
    let role = Role::parse(&r.role).ok_or_else(|| ApiError::param("role", "unknown role"))?;
    Ok(NewUser {
        login,
        display_name: r.display_name.trim().to_owned(),
        person: r
            .person
            .as_deref()
            .map(|p| PersonId::parse(p).map_err(|e| ApiError::param("person", e)))
            .transpose()?,
        role,
        unit: r
            .unit
            .as_deref()
            .map(|u| UnitCode::parse(u).map_err(|e| ApiError::param("unit", e)))
            .transpose()?,
        grids: r
            .grids
            .iter()
            .map(|g| RegionCode::parse(g).map_err(|e| ApiError::param("grids", e)))
            .collect::<Result<_, _>>()?,
        password_hash: auth::hash_password(&r.password)?,
    })
}

/// Create a user (admin).
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserRequest,
    responses((status = 200, body = UserDto), (status = 400, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn create_user(
    State(app): State<Arc<App>>,
    caller: Caller,
    J(body): J<NewUserRequest>,
) -> Result<Json<UserDto>, ApiError> {
    caller.require(Perm::ManageUsers)?;
    let u = app.db.create_user(&new_user(&body)?, app.now()).await?;
    tracing::info!(by = caller.user.login, login = u.login, "user created");
    Ok(Json(UserDto::from(&u)))
}

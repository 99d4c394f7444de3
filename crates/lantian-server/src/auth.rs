//! Who is asking, and may they: passwords (argon2id), session and API tokens (32 random bytes,
//! stored as SHA-256), the [`Caller`] extractor, permissions by role and token scope
//! ([`Perm`]), the object scope of a caller (unit, grids: [`Scope`]), the CSRF rule and the
//! login rate limiter.
//!
//! Every handler of the API and the dashboard takes a [`Caller`] and calls [`Caller::require`]
//! with its permission before touching data; object-level checks go through [`Scope`].

use crate::error::{ApiError, ErrorCode};
use crate::state::App;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use lantian_domain::org::Role;
use lantian_domain::region::{Region, RegionLevel};
use lantian_domain::{RegionCode, Timestamp, UnitCode};
use lantian_store::AccountStore;
use lantian_store::accounts::{Session, SessionKind, User};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sid";
/// Name of the pre-login CSRF cookie (double submit on the login form).
pub const LOGIN_CSRF_COOKIE: &str = "lt_csrf";
/// Header carrying the CSRF token on API calls made with a session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Scope a bearer token needs for read endpoints.
pub const SCOPE_READ: &str = "read";
/// Scope a bearer token needs to ingest readings.
pub const SCOPE_INGEST: &str = "ingest";
/// Scope a bearer token needs for account administration.
pub const SCOPE_ADMIN: &str = "admin";
/// Scope a bearer token needs to write to the ledger (findings, transitions, evidence).
pub const SCOPE_LEDGER: &str = "ledger";
/// The one scope of a browser session.
pub const SCOPE_WEB: &str = "web";
/// Every scope a token may carry.
pub const TOKEN_SCOPES: [&str; 4] = [SCOPE_READ, SCOPE_INGEST, SCOPE_ADMIN, SCOPE_LEDGER];

/// 32 random bytes as 64 hex digits: a session or API token.
pub fn new_token() -> Result<String, ApiError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("no randomness: {e}")))?;
    Ok(hex(&b))
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(D[usize::from(x >> 4)] as char);
        s.push(D[usize::from(x & 15)] as char);
    }
    s
}

/// SHA-256 of a token, hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The CSRF token bound to a session token: SHA-256 over a label and the session token. Only
/// the holder of the cookie can compute it, and it changes with every session.
pub fn csrf_for(session_token: &str) -> String {
    hex(&Sha256::digest(
        format!("lantian-csrf\0{session_token}").as_bytes(),
    ))
}

/// Hash a password with argon2id (default parameters, random salt) as a PHC string.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("hashing: {e}")))
}

/// Whether `password` matches the PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Compare in time independent of where the strings differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The bearer token of the request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// What an endpoint needs. Each has the roles allowed and the token scope required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perm {
    /// Air data: regions, stations, readings, AQI, targets. Every role (objects scoped).
    ReadAir,
    /// The source registry. Every role (objects scoped).
    ReadSources,
    /// Batch ingest of readings: admin and dispatcher, bearer tokens with `ingest` only.
    Ingest,
    /// Users: admin only.
    ManageUsers,
    /// One's own API tokens: every role, from a browser session only (a token never mints
    /// tokens).
    OwnTokens,
    /// One's own account (`/me`, logout): any authenticated caller.
    Own,
    /// The problem ledger, its timelines and evidence files: every role (objects scoped).
    ReadLedger,
    /// Record a finding as a problem: the command, dispatcher, inspectors, enforcement and the
    /// grid roles (in their grids); not the units that rectify nor the read-only leader.
    CreateProblem,
    /// Transitions and evidence upload: every role but the read-only leader; the domain's
    /// transition function decides per action and problem.
    ActLedger,
    /// The audit log's chain check and anchors: admin and leader.
    Audit,
    /// Make and dispatch inspection plans: the command and the dispatcher (the domain's
    /// `InspectionPlan::new`/`dispatch` decide the same).
    PlanInspections,
    /// File inspection records: the roles that may be on an inspection team — all but the
    /// inspected units' heads and staff (the domain checks the team and the own-unit rule).
    FileInspections,
    /// The ledger pages (台账, a problem, the field page): every role, problems filtered by
    /// scope; transitions are then decided by the domain's transition function.
    LedgerPages,
    /// Enforcement cases and accountability records, their pages and exports: every role but
    /// the grid roles (whose scope is their grids' tasks); unit roles see their unit's.
    ReadRecords,
    /// 立案: file an enforcement case — the roles the domain's `enforcement::file` accepts
    /// (enforcement officers, the dispatcher, the command).
    FileCase,
    /// Move a case: enforcement officers and the command (the domain's `transition` then
    /// decides per step: officers investigate, notify, execute; the command decides).
    ActCase,
    /// Record an accountability decision: the command and leaders.
    DecideAccountability,
    /// 排名: towns' air quality and units' scorecards — every role but the grid roles (a
    /// town's figures mix other people's grids).
    Rankings,
}

impl Perm {
    /// Roles allowed.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Perm::ReadAir | Perm::ReadSources | Perm::OwnTokens | Perm::Own | Perm::LedgerPages => {
                true
            }
            Perm::Ingest => matches!(role, Role::Admin | Role::Dispatcher),
            Perm::ManageUsers => role == Role::Admin,
            Perm::ReadLedger => true,
            Perm::CreateProblem => crate::api_ledger::CREATORS.contains(&role),
            Perm::ActLedger => role != Role::Leader,
            Perm::Audit => matches!(role, Role::Admin | Role::Leader),
            Perm::ReadRecords | Perm::Rankings => {
                !matches!(role, Role::GridChief | Role::GridWorker)
            }
            Perm::FileCase => matches!(
                role,
                Role::Admin | Role::Dispatcher | Role::EnforcementOfficer
            ),
            Perm::ActCase => matches!(role, Role::Admin | Role::EnforcementOfficer),
            Perm::DecideAccountability => matches!(role, Role::Admin | Role::Leader),
            Perm::PlanInspections => matches!(role, Role::Admin | Role::Dispatcher),
            Perm::FileInspections => !matches!(role, Role::UnitHead | Role::UnitStaff),
        }
    }

    /// Whether a session/token of this kind and scopes may be used for it.
    pub fn scope_ok(self, s: &Session) -> bool {
        match s.kind {
            // A browser session may do everything its role allows except machine ingest.
            SessionKind::Web => self != Perm::Ingest,
            SessionKind::Api => match self {
                Perm::ReadAir | Perm::ReadSources | Perm::LedgerPages => s.has_scope(SCOPE_READ),
                Perm::Ingest => s.has_scope(SCOPE_INGEST),
                Perm::ManageUsers => s.has_scope(SCOPE_ADMIN),
                Perm::OwnTokens => false,
                Perm::Own => true,
                Perm::ReadLedger | Perm::Audit => s.has_scope(SCOPE_READ),
                Perm::ReadRecords | Perm::Rankings => s.has_scope(SCOPE_READ),
                Perm::CreateProblem
                | Perm::ActLedger
                | Perm::FileCase
                | Perm::ActCase
                | Perm::DecideAccountability
                | Perm::PlanInspections
                | Perm::FileInspections => s.has_scope(SCOPE_LEDGER),
            },
        }
    }
}

/// What objects a caller may see.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// The whole district (admin, dispatcher, inspector, enforcement, leader).
    District,
    /// One unit's objects (unit head and staff); air data stays district-wide.
    Unit(UnitCode),
    /// Some grids (grid chief and worker): only their grids, the stations and sources in
    /// them, and the regions above them.
    Grids(HashSet<RegionCode>),
}

impl Scope {
    /// The scope of a user, from role, unit and grids.
    pub fn of(u: &User) -> Scope {
        match u.role {
            Role::GridChief | Role::GridWorker => Scope::Grids(u.grids.iter().cloned().collect()),
            Role::UnitHead | Role::UnitStaff => match &u.unit {
                Some(unit) => Scope::Unit(unit.clone()),
                // A unit role without a unit sees no unit objects.
                None => Scope::Grids(HashSet::new()),
            },
            _ => Scope::District,
        }
    }

    /// May see an object placed in `grid` (None: not placed in any grid).
    pub fn sees_grid(&self, grid: Option<&RegionCode>) -> bool {
        match self {
            Scope::District | Scope::Unit(_) => true,
            Scope::Grids(gs) => grid.is_some_and(|g| gs.contains(g)),
        }
    }

    /// May see a source of `unit` in `grid`.
    pub fn sees_source(&self, grid: Option<&RegionCode>, unit: Option<&UnitCode>) -> bool {
        match self {
            Scope::District => true,
            Scope::Unit(u) => unit == Some(u),
            Scope::Grids(_) => self.sees_grid(grid),
        }
    }

    /// The region codes visible: `None` = all; else the grids and their ancestors.
    pub fn visible_regions(&self, regions: &[Region]) -> Option<HashSet<RegionCode>> {
        let Scope::Grids(gs) = self else {
            return None;
        };
        let parent: HashMap<&RegionCode, Option<&RegionCode>> = regions
            .iter()
            .map(|r| (&r.code, r.parent.as_ref()))
            .collect();
        let mut out = HashSet::new();
        for g in gs {
            let mut cur = Some(g);
            while let Some(c) = cur {
                if !out.insert(c.clone()) {
                    break;
                }
                cur = parent.get(c).copied().flatten();
            }
        }
        Some(out)
    }

    /// May see the area statistics of region `r`: any region for district and unit scopes;
    /// for grid scopes, their grids only (a town mixes other people's grids).
    pub fn sees_area(&self, r: &Region) -> bool {
        match self {
            Scope::District | Scope::Unit(_) => true,
            Scope::Grids(gs) => r.level == RegionLevel::Grid && gs.contains(&r.code),
        }
    }
}

/// The authenticated caller: user, the session or token used, and its raw token (kept only
/// for the CSRF token of a browser session).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// The session or token.
    pub session: Session,
    /// The caller's object scope.
    pub scope: Scope,
    token: String,
}

impl Caller {
    /// Refuse unless role and token scope allow `perm` (403 `forbidden`).
    pub fn require(&self, perm: Perm) -> Result<(), ApiError> {
        if !perm.allows(self.user.role) {
            tracing::warn!(login = self.user.login, ?perm, "denied: role");
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("role {} may not do this", self.user.role.code()),
            ));
        }
        if !perm.scope_ok(&self.session) {
            tracing::warn!(
                login = self.user.login,
                ?perm,
                session = self.session.id,
                "denied: token scope"
            );
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "this session or token does not carry the scope this endpoint needs",
            ));
        }
        Ok(())
    }

    /// The CSRF token of this browser session (empty for API tokens).
    pub fn csrf(&self) -> String {
        match self.session.kind {
            SessionKind::Web => csrf_for(&self.token),
            SessionKind::Api => String::new(),
        }
    }
}

/// Resolve the caller of a request: the bearer token, else the `sid` cookie.
pub async fn resolve(app: &App, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    let (token, kind) = match (bearer(headers), cookie(headers, SESSION_COOKIE)) {
        (Some(t), _) => (t, SessionKind::Api),
        (None, Some(c)) => (c, SessionKind::Web),
        (None, None) => return Ok(None),
    };
    if token.len() != 64 {
        return Ok(None);
    }
    let now = app.now();
    let Some(session) = app.db.live_session(&token_hash(token), now).await? else {
        return Ok(None);
    };
    // A cookie must hold a web session and a bearer an API token: a leaked API token pasted
    // into a cookie gains no CSRF-exempt browser powers, and vice versa.
    if session.kind != kind {
        return Ok(None);
    }
    let Some(user) = app.db.user(session.user).await? else {
        return Ok(None);
    };
    if now.0 - session.last_seen_at.0 >= 60 {
        app.db.touch_session(session.id, now).await?;
    }
    let scope = Scope::of(&user);
    Ok(Some(Caller {
        user,
        session,
        scope,
        token: token.to_owned(),
    }))
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Caller, ApiError> {
        resolve(app, &parts.headers).await?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "log in, or send Authorization: Bearer <token>",
            )
        })
    }
}

/// A fixed-window limiter of login attempts per client address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl LoginLimiter {
    /// Count an attempt from `client` at `now`; `false` when over `per_minute` in the current
    /// minute.
    pub fn allow(&self, client: &str, now: Timestamp, per_minute: u32) -> bool {
        let minute = now.0.div_euclid(60);
        let mut w = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if w.len() > 10_000 {
            w.retain(|_, (m, _)| *m == minute);
        }
        let e = w.entry(client.to_owned()).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
        e.1 <= per_minute
    }
}

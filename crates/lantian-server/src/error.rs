//! The one error envelope of the API: `{"error":{"code":"…","message":"…"}}` with an HTTP
//! status. Codes are stable and greppable (`ErrorCode`); messages are for people and may change.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantian_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Every error code the API returns. The string form (`code()`) is the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No valid session or token (401).
    Unauthenticated,
    /// The role or the token's scopes do not allow this endpoint (403).
    Forbidden,
    /// The object exists but is outside the caller's unit or grids (403).
    OutOfScope,
    /// A state-changing browser request without the right CSRF token (403).
    CsrfFailed,
    /// Wrong login or password (401).
    BadCredentials,
    /// Too many failed logins: the account is locked for a while (423).
    AccountLocked,
    /// Too many login attempts from one client (429).
    RateLimited,
    /// No such object (404).
    NotFound,
    /// A query or body parameter is missing or malformed (400).
    InvalidParameter,
    /// The write conflicts with what is stored (409).
    Conflict,
    /// The ledger's rules refused the transition: wrong state, role, scope or missing
    /// evidence (422); nothing was written.
    TransitionRefused,
    /// The server or the database failed (500).
    Internal,
}

impl ErrorCode {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::OutOfScope => "out_of_scope",
            ErrorCode::CsrfFailed => "csrf_failed",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::AccountLocked => "account_locked",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TransitionRefused => "transition_refused",
            ErrorCode::Internal => "internal",
        }
    }

    /// HTTP status.
    pub const fn status(self) -> StatusCode {
        match self {
            ErrorCode::Unauthenticated | ErrorCode::BadCredentials => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::OutOfScope | ErrorCode::CsrfFailed => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::AccountLocked => StatusCode::LOCKED,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::InvalidParameter => StatusCode::BAD_REQUEST,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::TransitionRefused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An API error: a code and a message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}", code.code())]
pub struct ApiError {
    /// What went wrong, as a stable code.
    pub code: ErrorCode,
    /// For people.
    pub message: String,
}

impl ApiError {
    /// An error with a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// 400 for parameter `name`.
    pub fn param(name: &str, why: impl std::fmt::Display) -> ApiError {
        ApiError::new(ErrorCode::InvalidParameter, format!("{name}: {why}"))
    }

    /// 404 for `what`.
    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 403 for an object outside the caller's scope.
    pub fn out_of_scope(what: impl std::fmt::Display) -> ApiError {
        tracing::warn!(%what, "denied: out of scope");
        ApiError::new(
            ErrorCode::OutOfScope,
            format!("{what} is outside your unit or grids"),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound { entity, key } => {
                ApiError::new(ErrorCode::NotFound, format!("{entity} {key:?} not found"))
            }
            StoreError::Conflict { .. } => ApiError::new(ErrorCode::Conflict, e.to_string()),
            StoreError::Invalid(m) => ApiError::new(ErrorCode::InvalidParameter, m),
            StoreError::Refused(r) => ApiError::new(ErrorCode::TransitionRefused, r.to_string()),
            StoreError::Backend(m) => {
                tracing::error!("store: {m}");
                ApiError::new(
                    ErrorCode::Internal,
                    "the database failed; see the server log",
                )
            }
        }
    }
}

/// The JSON body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// Code and message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code (`unauthenticated`, `forbidden`, `out_of_scope`, `csrf_failed`,
    /// `bad_credentials`, `account_locked`, `rate_limited`, `not_found`, `invalid_parameter`,
    /// `conflict`, `transition_refused`, `internal`).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: self.code.code().to_owned(),
                message: self.message,
            },
        };
        let mut r = (self.code.status(), Json(body)).into_response();
        // For the audit middleware (`api_ledger::audit_denials`): which error this was.
        r.extensions_mut().insert(self.code);
        r
    }
}

//! `lantian-server` — Lantian over HTTP: the `/api/v1` REST API (OpenAPI 3.1 at
//! `/api/v1/openapi.json`, Swagger UI at `/api/docs`), accounts with browser sessions and
//! API tokens, and the server-rendered dashboard (zh-CN by default, English on request).
//!
//! # Invariant
//! Every handler is authorized on the server: each API handler and page takes the
//! [`auth::Caller`] (no session or token → 401, or a redirect to the login page) and calls
//! `caller.require(Perm::…)` before reading anything; objects are then filtered or refused
//! through the caller's [`auth::Scope`] (unit, grids). State-changing browser requests carry
//! the session's CSRF token (checked once, in [`csrf_guard`], before any handler). Every error
//! leaves as one envelope, `{"error":{"code":"…","message":"…"}}`, with a stable code
//! ([`error::ErrorCode`]). No science here: figures come from `lantian-aq`.

pub mod air;
pub mod api;
pub mod api_auth;
pub mod api_inspections;
pub mod api_ledger;
pub mod api_records;
pub mod auth;
pub mod cache;
pub mod db;
pub mod demo_ledger;
pub mod error;
pub mod extract;
pub mod pages;
pub mod pages_inspections;
pub mod pages_ledger;
pub mod pages_records;
pub mod state;
pub mod web;

pub use db::Db;
pub use state::{App, Config, SystemClock};

use crate::auth::{CSRF_HEADER, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::error::{ApiError, ErrorCode};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The OpenAPI document's fixed parts; paths are collected from the router.
#[derive(OpenApi)]
#[openapi(
    info(title = "Lantian API", version = "1", description = "Lantian (蓝天): air quality, \
        the district's grids, stations and sources. Errors: {\"error\":{\"code\",\"message\"}}."),
    servers((url = "/api/v1")),
    modifiers(&SecurityAddon),
    security(("bearer" = []), ("cookie" = []))
)]
struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
    }
}

/// The API routes and their OpenAPI document.
fn api() -> (Router<Arc<App>>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api_auth::api_login))
        .routes(routes!(api_auth::api_logout))
        .routes(routes!(api_auth::me))
        .routes(routes!(api_auth::list_tokens, api_auth::create_token))
        .routes(routes!(api_auth::revoke_token))
        .routes(routes!(api_auth::list_users, api_auth::create_user))
        .routes(routes!(api::regions))
        .routes(routes!(api::region))
        .routes(routes!(api::stations))
        .routes(routes!(api::station))
        .routes(routes!(api::station_latest))
        .routes(routes!(api::readings, api::ingest))
        .routes(routes!(api::aqi))
        .routes(routes!(api::targets))
        .routes(routes!(api::sources))
        .routes(routes!(api_ledger::problems, api_ledger::create_problem))
        .routes(routes!(api_ledger::problem))
        .routes(routes!(api_ledger::timeline))
        .routes(routes!(api_ledger::transition))
        .routes(routes!(api_ledger::upload_evidence))
        .routes(routes!(api_ledger::evidence))
        .routes(routes!(api_ledger::audit_verify))
        .routes(routes!(api_ledger::audit_anchor))
        .routes(routes!(api_ledger::notifications))
        .routes(routes!(api_records::cases, api_records::file_case))
        .routes(routes!(api_records::case))
        .routes(routes!(api_records::case_transition))
        .routes(routes!(
            api_records::accountability,
            api_records::create_accountability
        ))
        .routes(routes!(api_records::export))
        .routes(routes!(api_inspections::campaigns))
        .routes(routes!(
            api_inspections::inspections,
            api_inspections::create_inspection
        ))
        .routes(routes!(api_inspections::inspection))
        .routes(routes!(api_inspections::dispatch_inspection))
        .routes(routes!(api_inspections::file_record))
        .split_for_parts()
}

/// The OpenAPI 3.1 document (also what `/api/v1/openapi.json` serves).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The whole application: API, dashboard, static assets, Swagger UI.
pub fn router(app: Arc<App>) -> Router {
    let (api, doc) = api();
    let doc_json = doc.to_pretty_json().unwrap_or_default();
    let api = api
        .route(
            "/openapi.json",
            get(move || {
                let body = doc_json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        )
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such endpoint") });
    Router::new()
        .nest("/api/v1", api)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/docs/openapi.json", doc))
        .route("/", get(pages::overview))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/map", get(pages::map))
        .route("/stations/{code}", get(pages::station))
        .route("/ledger", get(pages_ledger::ledger))
        .route("/ledger/export.xlsx", get(pages_ledger::export_xlsx))
        .route("/problems/{id}", get(pages_ledger::problem))
        .route("/problems/{id}/act", post(pages_ledger::act))
        .route("/problems/{id}/evidence", post(pages_ledger::upload))
        .route(
            "/problems/{id}/evidence/{hash}",
            get(pages_ledger::evidence),
        )
        .route("/field", get(pages_ledger::field))
        .route("/sources", get(pages_records::sources))
        .route("/sources/{id}", get(pages_records::source))
        .route(
            "/cases",
            get(pages_records::cases).post(pages_records::file_case),
        )
        .route("/cases/{id}", get(pages_records::case))
        .route("/cases/{id}/act", post(pages_records::act))
        .route("/cases/{id}/evidence", post(pages_records::upload))
        .route("/cases/{id}/evidence/{hash}", get(pages_records::evidence))
        .route(
            "/accountability",
            get(pages_records::accountability).post(pages_records::decide),
        )
        .route("/rankings", get(pages_records::rankings))
        .route("/inspections", get(pages_inspections::inspections))
        .route("/inspections/{id}", get(pages_inspections::inspection))
        .route("/static/ledger.js", get(pages_ledger::ledger_js))
        .route("/static/echarts.min.js", get(pages::echarts))
        .route("/static/app.css", get(pages::app_css))
        .route("/static/app.js", get(pages::app_js))
        .layer(middleware::from_fn_with_state(app.clone(), csrf_guard))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            api_ledger::audit_denials,
        ))
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(app)
}

/// The CSRF rule, applied before any handler to every state-changing request (POST, PUT,
/// PATCH, DELETE):
/// - with the `sid` cookie: the `X-CSRF-Token` header or the form field `csrf` must equal the
///   session's token ([`auth::csrf_for`]); a bearer token does not exempt a request that also
///   carries the cookie;
/// - to `/login` without a session: the form field `csrf` must equal the `lt_csrf` cookie set
///   with the form (double submit);
/// - otherwise (bearer tokens, JSON login, which browsers cannot send cross-site without CORS)
///   nothing to check.
pub async fn csrf_guard(State(_app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let expected = match auth::cookie(headers, SESSION_COOKIE) {
        Some(sid) => auth::csrf_for(sid),
        None if req.uri().path() == "/login" => {
            match auth::cookie(headers, LOGIN_CSRF_COOKIE).filter(|c| !c.is_empty()) {
                Some(c) => c.to_owned(),
                None => return csrf_failed(),
            }
        }
        None => return next.run(req).await,
    };
    if let Some(h) = headers.get(CSRF_HEADER).and_then(|h| h.to_str().ok()) {
        return if auth::constant_time_eq(h, &expected) {
            next.run(req).await
        } else {
            csrf_failed()
        };
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return csrf_failed();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return ApiError::param("body", "form too large").into_response();
    };
    let ok = form_field(&bytes, "csrf").is_some_and(|v| auth::constant_time_eq(&v, &expected));
    if !ok {
        return csrf_failed();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn csrf_failed() -> Response {
    ApiError::new(
        ErrorCode::CsrfFailed,
        "missing or wrong CSRF token; reload the page",
    )
    .into_response()
}

/// One field of an urlencoded form.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Serve `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

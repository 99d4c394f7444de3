//! The dashboard pages (server-rendered minijinja, zh-CN by default, `?lang=en` switches and
//! is remembered in a cookie): 登录 login, 总览 overview, 地图 map, 站点 station. Each page
//! resolves the caller first (no session → redirect to the login page) and checks the same
//! permissions and object scope as the API.

use crate::air::{self, StationNow};
use crate::api::{self, visible_stations};
use crate::api_auth;
use crate::auth::{self, Caller, LOGIN_CSRF_COOKIE, Perm, Scope};
use crate::cache::{self, OverviewFigures};
use crate::error::{ApiError, ErrorCode};
use crate::extract::{P, Q};
use crate::state::App;
use crate::web::{Lang, html_response};
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use lantian_aq::aqi::{HourlyInputs, hourly_aqi};
use lantian_aq::assess::area_hourly_value;
use lantian_aq::{Date, Level, Pollutant, RuleSet};
use lantian_domain::region::RegionLevel;
use lantian_domain::station::{Station, StationKind};
use lantian_domain::{RegionCode, Timestamp};
use lantian_store::AccountStore;
use lantian_store::Store;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Query every page accepts.
#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    /// `zh-CN` or `en`.
    pub lang: Option<String>,
    /// Station page: 7 or 30 days of hourly series.
    pub days: Option<u32>,
    /// Map: `AQI` or a pollutant code.
    pub p: Option<String>,
    /// Login page: where to go after.
    pub next: Option<String>,
}

/// The nav slots later issues fill: none left (台账 and 手机 are pages in `pages_ledger`; 检查 in
/// `pages_inspections`; 污染源, 执法, 问责 and 排名 in `pages_records`). Kept so a new
/// section can be shown as not yet available, never with made-up content.
pub const NAV_SLOTS: [&str; 0] = [];

/// A rendered page or an error page, with the `lang` cookie set when `?lang=` was given.
pub(crate) fn page(app: &App, lang: Lang, set_lang: bool, name: &str, ctx: Value) -> Response {
    let mut r = match app.web.render(name, ctx) {
        Ok(body) => html_response(body),
        Err(e) => {
            tracing::error!("rendering {name}: {e:#}");
            (StatusCode::INTERNAL_SERVER_ERROR, "page rendering failed").into_response()
        }
    };
    if set_lang
        && let Ok(v) = HeaderValue::from_str(&format!(
            "lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
            lang.tag()
        ))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The context every signed-in page shares.
pub(crate) fn base_ctx(lang: Lang, caller: &Caller, active: &str) -> Value {
    context! {
        lang => lang.tag(),
        other_lang => match lang { Lang::Zh => "en", Lang::En => "zh-CN" },
        user => caller.user.display_name.clone(),
        role => caller.user.role.code(),
        csrf => caller.csrf(),
        active => active,
        slots => NAV_SLOTS,
    }
}

/// The caller of a page, or a redirect to the login page.
pub(crate) async fn page_caller(app: &App, headers: &HeaderMap) -> Result<Caller, Response> {
    match auth::resolve(app, headers).await {
        Ok(Some(c)) if c.session.kind == lantian_store::accounts::SessionKind::Web => Ok(c),
        Ok(_) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(e.into_response()),
    }
}

/// An error page in the caller's language, with the API's error code shown.
pub(crate) fn error_page(app: &App, lang: Lang, caller: Option<&Caller>, e: &ApiError) -> Response {
    let ctx = context! {
        lang => lang.tag(),
        other_lang => match lang { Lang::Zh => "en", Lang::En => "zh-CN" },
        user => caller.map(|c| c.user.display_name.clone()).unwrap_or_default(),
        role => caller.map(|c| c.user.role.code()).unwrap_or(""),
        csrf => caller.map(Caller::csrf).unwrap_or_default(),
        active => "",
        slots => NAV_SLOTS,
        code => e.code.code(),
        message => e.message.clone(),
    };
    let mut r = page(app, lang, false, "error.html", ctx);
    *r.status_mut() = e.code.status();
    r
}

// ---- login --------------------------------------------------------------------------------

/// `GET /login`: the form, with a fresh double-submit CSRF cookie.
pub async fn login_form(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<PageQuery>,
) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    render_login(&app, lang, q.lang.is_some(), None)
}

fn render_login(app: &App, lang: Lang, set_lang: bool, error: Option<&str>) -> Response {
    let token = match auth::new_token() {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let ctx = login_ctx(lang, &token, error.unwrap_or(""));
    let mut r = page(app, lang, set_lang, "login.html", ctx);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    if error.is_some() {
        *r.status_mut() = StatusCode::UNAUTHORIZED;
    }
    r
}

/// The login page's context (no user: the nav is hidden).
pub fn login_ctx(lang: Lang, csrf: &str, error: &str) -> Value {
    context! {
        lang => lang.tag(),
        other_lang => match lang { Lang::Zh => "en", Lang::En => "zh-CN" },
        user => "",
        role => "",
        csrf => csrf,
        active => "",
        slots => NAV_SLOTS,
        error => error,
    }
}

/// The login form's fields (the CSRF field was checked by the middleware).
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// Login.
    pub login: String,
    /// Password.
    pub password: String,
}

/// `POST /login`.
pub async fn login_submit(
    State(app): State<Arc<App>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = Lang::of_request(None, &headers);
    let old = auth::cookie(&headers, auth::SESSION_COOKIE);
    match api_auth::login(&app, &addr.ip().to_string(), &f.login, &f.password, old).await {
        Ok(done) => {
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                api_auth::session_cookie(&app, &done.token),
            );
            r
        }
        Err(e) => {
            let key = match e.code {
                ErrorCode::AccountLocked => "login.locked",
                ErrorCode::RateLimited => "login.rate_limited",
                ErrorCode::BadCredentials => "login.bad_credentials",
                _ => return e.into_response(),
            };
            let mut r = render_login(&app, lang, false, Some(key));
            *r.status_mut() = e.code.status();
            r
        }
    }
}

/// `POST /logout` (CSRF-checked like every form).
pub async fn logout(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Ok(Some(c)) = auth::resolve(&app, &headers).await {
        let _ = app
            .db
            .revoke_session(c.session.id, app.now())
            .await
            .map_err(|e| tracing::error!("logout: {e}"));
        tracing::info!(login = c.user.login, "logout");
        let payload = serde_json::json!({"session": c.session.id, "kind": "web"});
        if let Err(e) = crate::api_ledger::audit_account(&app, &c, "logout", payload).await {
            // The session is revoked; the missing trace is the server's failure.
            tracing::error!("audit log: a logout could not be recorded: {e}");
            return e.into_response();
        }
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, api_auth::clear_cookie());
    r
}

// ---- overview -----------------------------------------------------------------------------

/// A station row of the overview.
#[derive(Debug, Serialize)]
struct StationRow {
    code: String,
    name: String,
    kind: String,
    now: StationNow,
    level_name: String,
    pm25: Option<f64>,
}

fn level_name(lang: Lang, aqi: Option<u32>) -> String {
    aqi.map(|a| match lang {
        Lang::Zh => Level::of(a).name_zh().to_owned(),
        Lang::En => Level::of(a).name_en().to_owned(),
    })
    .unwrap_or_default()
}

/// Text colour readable on a level's colour.
fn ink(level: Option<u32>) -> &'static str {
    match level {
        Some(1..=3) => "#000",
        Some(_) => "#fff",
        None => "#000",
    }
}

/// `GET /`: the overview.
pub async fn overview(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Q(q): Q<PageQuery>,
) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match overview_figures(&app, &caller, lang).await {
        Ok(f) => {
            // Staleness depends on the clock, so it is the one figure computed per request.
            let stale = f.newest.is_some_and(|t| app.now().0 - t.0 > 3 * 3600);
            let ctx = context! { ..base_ctx(lang, &caller, "overview"), ..f.ctx.clone() };
            let ctx = context! { stale => stale, ..ctx };
            page(&app, lang, q.lang.is_some(), "overview.html", ctx)
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

/// What a scope sees of the air data, as a cache key: district and unit roles see every
/// station and area alike; grid roles their grids.
fn air_scope_key(scope: &Scope) -> String {
    match scope {
        Scope::District | Scope::Unit(_) => "all".to_owned(),
        Scope::Grids(gs) => {
            let mut codes: Vec<&str> = gs.iter().map(RegionCode::as_str).collect();
            codes.sort_unstable();
            format!("grids:{}", codes.join(","))
        }
    }
}

/// The overview's figures for the caller: read the data revision, then take them from the
/// cache (`cache::overview`) or compute them once for this revision, scope and language —
/// a year of hours is not recomputed per request.
async fn overview_figures(
    app: &App,
    caller: &Caller,
    lang: Lang,
) -> Result<Arc<OverviewFigures>, ApiError> {
    caller.require(Perm::ReadAir)?;
    let rev = app.db.data_revision().await?;
    cache::overview(app, rev, air_scope_key(&caller.scope), lang.tag(), || {
        overview_ctx(app, caller, lang, rev)
    })
    .await
}

async fn overview_ctx(
    app: &App,
    caller: &Caller,
    lang: Lang,
    rev: u64,
) -> Result<OverviewFigures, ApiError> {
    let all = app.db.stations().await?;
    let visible = visible_stations(app, caller).await?;
    let mut rows = Vec::new();
    for s in &visible {
        let now = air::station_now(&app.db, &s.code).await?;
        rows.push(StationRow {
            code: s.code.as_str().to_owned(),
            name: s.name.clone(),
            kind: s.kind.code().to_owned(),
            level_name: level_name(lang, now.aqi),
            pm25: now.values.get("PM2.5").copied(),
            now,
        });
    }
    rows.sort_by(|a, b| {
        (a.kind != "national", b.now.aqi, &a.code).cmp(&(b.kind != "national", a.now.aqi, &b.code))
    });
    // The district figure: the evaluation stations' newest common hour.
    let evaluation: Vec<&Station> = all
        .iter()
        .filter(|s| s.kind == StationKind::National && !s.control)
        .collect();
    let newest = cache::newest_hour(app, rev).await?;
    let district = district_now(app, &evaluation, newest).await?;
    let regions = app.db.regions().await?;
    let district_region = regions.iter().find(|r| r.level == RegionLevel::District);
    let as_of = newest.map(air::data_day);
    let targets = match as_of {
        Some(d) => {
            let area = district_region.map(|r| r.code.clone());
            api::targets_progress(app, caller, rev, d.year(), area.as_ref(), d).await?
        }
        None => vec![],
    };
    let today = match (as_of, newest) {
        (Some(d), Some(t)) => today_pm25(app, &evaluation, d)
            .await?
            .map(|v| (v, t.hour_label().hour_of_day())),
        _ => None,
    };
    let ctx = context! {
        stations => Serde(rows),
        district_name => district_region.map(|r| r.name.clone()).unwrap_or_default(),
        district_aqi => district.0,
        district_level => district.0.map(|a| Level::of(a).number()),
        district_level_name => level_name(lang, district.0),
        district_color => district.0.map(|a| Level::of(a).hex()).unwrap_or("#ccc"),
        district_ink => ink(district.0.map(|a| Level::of(a).number())),
        district_primary => district.1,
        as_of => newest.map(|t| t.to_string()).unwrap_or_default(),
        targets => Serde(targets),
        today_pm25 => today.map(|t| t.0),
        today_hour => today.map(|t| t.1),
    };
    Ok(OverviewFigures { ctx, newest })
}

/// The district's real-time AQI at the newest hour: the area value of each pollutant over the
/// evaluation stations (CNEMC's rule, `lantian_aq::assess::area_hourly_value`), then HJ 633.
async fn district_now(
    app: &App,
    evaluation: &[&Station],
    newest: Option<Timestamp>,
) -> Result<(Option<u32>, String), ApiError> {
    let Some(t) = newest else {
        return Ok((None, String::new()));
    };
    let mut per: HashMap<Pollutant, Vec<f64>> = HashMap::new();
    for s in evaluation {
        for l in app.db.latest(&s.code).await? {
            if l.hour == t
                && let Some(v) = l.validated
            {
                per.entry(l.pollutant).or_default().push(v);
            }
        }
    }
    if per.is_empty() {
        return Ok((None, String::new()));
    }
    let mut inputs = HourlyInputs::default();
    for p in Pollutant::ALL {
        if let Some(vs) = per.get(&p) {
            inputs.set(p, area_hourly_value(p, vs.iter().copied()));
        }
    }
    let a = hourly_aqi(RuleSet::for_date(t.hour_label().day()), &inputs);
    Ok((a.value, a.primary.labels()))
}

/// Today's PM2.5 so far: the mean over evaluation stations of their mean of today's valid
/// hours (from the daily rollups).
async fn today_pm25(
    app: &App,
    evaluation: &[&Station],
    day: Date,
) -> Result<Option<f64>, ApiError> {
    let mut means = Vec::new();
    for s in evaluation {
        for r in app.db.daily(&s.code, Pollutant::Pm25, day, day).await? {
            if let Some(m) = r.mean() {
                means.push(m);
            }
        }
    }
    Ok((!means.is_empty()).then(|| means.iter().sum::<f64>() / means.len() as f64))
}

// ---- map ----------------------------------------------------------------------------------

/// A station dot on the map.
#[derive(Debug, Serialize)]
struct MapStation {
    code: String,
    name: String,
    lon: f64,
    lat: f64,
    value: Option<f64>,
    level: Option<u32>,
}

/// The level (1..=6) of `p`'s value, or of the AQI, under the rules of `t`.
fn level_for(metric: Option<Pollutant>, now: &StationNow) -> (Option<f64>, Option<u32>) {
    match metric {
        None => (now.aqi.map(f64::from), now.level),
        Some(p) => {
            let v = now.values.get(p.code()).copied();
            let lvl = v.and_then(|v| {
                let mut h = HourlyInputs::default();
                h.set(p, Some(v));
                let rules = now
                    .ts
                    .map_or(RuleSet::Y2012, |t| RuleSet::for_date(t.hour_label().day()));
                hourly_aqi(rules, &h).value.map(|a| Level::of(a).number())
            });
            (v, lvl)
        }
    }
}

/// `GET /map`: grids coloured by the latest AQI or a pollutant's level, stations on top.
pub async fn map(State(app): State<Arc<App>>, headers: HeaderMap, Q(q): Q<PageQuery>) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match map_ctx(&app, &caller, q.p.as_deref(), lang).await {
        Ok(extra) => {
            let ctx = context! { ..base_ctx(lang, &caller, "map"), ..extra };
            page(&app, lang, q.lang.is_some(), "map.html", ctx)
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

async fn map_ctx(
    app: &App,
    caller: &Caller,
    p: Option<&str>,
    lang: Lang,
) -> Result<Value, ApiError> {
    caller.require(Perm::ReadAir)?;
    let metric = match p {
        None | Some("AQI") => None,
        Some(x) => {
            Some(Pollutant::parse(x).ok_or_else(|| ApiError::param("p", "unknown pollutant"))?)
        }
    };
    let stations = visible_stations(app, caller).await?;
    let mut dots = Vec::new();
    let mut grid_values: HashMap<String, Vec<(f64, u32)>> = HashMap::new();
    for s in &stations {
        let now = air::station_now(&app.db, &s.code).await?;
        let (value, level) = level_for(metric, &now);
        if let (Some(g), Some(v), Some(l)) = (&s.grid, value, level) {
            grid_values
                .entry(g.as_str().to_owned())
                .or_default()
                .push((v, l));
        }
        if let Some(loc) = s.location {
            dots.push(MapStation {
                code: s.code.as_str().to_owned(),
                name: s.name.clone(),
                lon: loc.lon,
                lat: loc.lat,
                value,
                level,
            });
        }
    }
    // A grid takes its worst station: the map is for finding where to act.
    let grids: HashMap<String, (f64, u32)> = grid_values
        .into_iter()
        .filter_map(|(g, vs)| {
            vs.into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(a.0.total_cmp(&b.0)))
                .map(|w| (g, w))
        })
        .collect();
    let regions = api::visible_regions(app, caller).await?;
    let grid_names: HashMap<String, String> = regions
        .iter()
        .filter(|r| r.level == RegionLevel::Grid)
        .map(|r| (r.code.as_str().to_owned(), r.name.clone()))
        .collect();
    let levels = [
        Level::L1,
        Level::L2,
        Level::L3,
        Level::L4,
        Level::L5,
        Level::L6,
    ];
    let colors: Vec<&str> = levels.iter().map(|l| l.hex()).collect();
    let labels: Vec<&str> = levels
        .iter()
        .map(|l| match lang {
            Lang::Zh => l.name_zh(),
            Lang::En => l.name_en(),
        })
        .collect();
    let data = serde_json::json!({
        "metric": metric.map_or("AQI", Pollutant::code),
        "grids": grids.iter().map(|(g, (v, l))| serde_json::json!({
            "code": g, "name": grid_names.get(g), "value": v, "level": l})).collect::<Vec<_>>(),
        "stations": dots,
        "colors": colors,
        "labels": labels,
    });
    Ok(context! {
        metric => metric.map_or("AQI", Pollutant::code),
        metrics => ["AQI", "PM2.5", "PM10", "O3", "NO2", "SO2", "CO"],
        map_data => Serde(data),
    })
}

// ---- station ------------------------------------------------------------------------------

/// `GET /stations/{code}`: hourly series (7 or 30 days), a calendar of daily AQI, pollutant
/// breakdown.
pub async fn station(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    P(code): P<String>,
    Q(q): Q<PageQuery>,
) -> Response {
    let lang = Lang::of_request(q.lang.as_deref(), &headers);
    let caller = match page_caller(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let days = if q.days == Some(30) { 30 } else { 7 };
    match station_ctx(&app, &caller, &code, days, lang).await {
        Ok(extra) => {
            let ctx = context! { ..base_ctx(lang, &caller, "station"), ..extra };
            page(&app, lang, q.lang.is_some(), "station.html", ctx)
        }
        Err(e) => error_page(&app, lang, Some(&caller), &e),
    }
}

/// A pollutant line of the breakdown.
#[derive(Debug, Serialize)]
struct Breakdown {
    pollutant: String,
    now: Option<f64>,
    iaqi_level: Option<u32>,
    period_mean: Option<f64>,
    unit: &'static str,
}

async fn station_ctx(
    app: &App,
    caller: &Caller,
    code: &str,
    days: i32,
    lang: Lang,
) -> Result<Value, ApiError> {
    caller.require(Perm::ReadAir)?;
    let s = api::station_for(app, caller, code).await?;
    let now = air::station_now(&app.db, &s.code).await?;
    let last = now.ts.unwrap_or_else(|| app.now()).hour_label().day();
    let first = last.add_days(1 - days);
    let (start, series) = air::station_series(&app.db, &s.code, first, last).await?;
    let t0 = Timestamp::from_hour_stamp(start);
    let hours: Vec<String> = (0..series[0].len())
        .map(|i| t0.plus_seconds(i as i64 * 3600).to_string())
        .collect();
    let opt = |v: &Vec<f64>| -> Vec<Option<f64>> {
        v.iter().map(|x| x.is_finite().then_some(*x)).collect()
    };
    let cal_first = last.add_days(-89);
    let cal_days = air::station_days(&app.db, &s.code, cal_first, last).await?;
    let period: Vec<_> = cal_days
        .iter()
        .filter(|d| d.date >= first)
        .copied()
        .collect();
    let summary = api::assessment(s.code.as_str().to_owned(), first, last, &period);
    let breakdown: Vec<Breakdown> = Pollutant::ALL
        .iter()
        .map(|p| {
            let (v, l) = level_for(Some(*p), &now);
            let key = match p {
                Pollutant::Co => "CO_P95",
                Pollutant::O3 => "O3_8H_P90",
                p => p.code(),
            };
            Breakdown {
                pollutant: p.code().to_owned(),
                now: v,
                iaqi_level: l,
                period_mean: summary.stats.get(key).copied().flatten(),
                unit: if *p == Pollutant::Co {
                    "mg/m³"
                } else {
                    "µg/m³"
                },
            }
        })
        .collect();
    let chart = serde_json::json!({
        "hours": hours,
        "series": Pollutant::ALL.iter().map(|p| serde_json::json!({
            "name": p.code(), "data": opt(&series[p.index()])})).collect::<Vec<_>>(),
        "calendar": {
            "from": cal_first.to_string(),
            "to": last.to_string(),
            "days": cal_days.iter().filter_map(|d| d.aqi.value.map(|a| serde_json::json!([d.date.to_string(), a]))).collect::<Vec<_>>(),
        },
        "colors": [Level::L1.hex(), Level::L2.hex(), Level::L3.hex(), Level::L4.hex(), Level::L5.hex(), Level::L6.hex()],
        "lang": lang.tag(),
    });
    Ok(context! {
        station => Serde(api::StationDto::from(&s)),
        now_level_name => level_name(lang, now.aqi),
        now_ink => ink(now.level),
        now => Serde(now),
        days => days,
        breakdown => Serde(breakdown),
        summary => Serde(summary),
        chart => Serde(chart),
    })
}

// ---- static assets ------------------------------------------------------------------------

/// ECharts 6.1.0 (`dist/echarts.min.js` from `npm pack echarts@6.1.0`, Apache-2.0), vendored.
const ECHARTS: &[u8] = include_bytes!("../assets/echarts.min.js");
const APP_CSS: &str = include_str!("../assets/app.css");
const APP_JS: &str = include_str!("../assets/app.js");

fn asset(body: &'static [u8], mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// `/static/echarts.min.js`.
pub async fn echarts() -> Response {
    asset(ECHARTS, "text/javascript; charset=utf-8")
}

/// `/static/app.css`.
pub async fn app_css() -> Response {
    asset(APP_CSS.as_bytes(), "text/css; charset=utf-8")
}

/// `/static/app.js`.
pub async fn app_js() -> Response {
    asset(APP_JS.as_bytes(), "text/javascript; charset=utf-8")
}

/// The sample contexts the render-every-page test uses: every template with every variable
/// it reads, in `lang`.
pub fn sample_context(name: &str, lang: Lang) -> Value {
    let base = context! {
        lang => lang.tag(),
        other_lang => "en",
        user => "<script>alert(1)</script>",
        role => "admin",
        csrf => "c".repeat(64),
        active => "overview",
        slots => NAV_SLOTS,
    };
    let now = StationNow {
        station: "1828A".into(),
        hour: Some("2025-01-31T16:00:00+08:00".into()),
        ts: Some(Timestamp(1_738_310_400)),
        values: HashMap::from([("PM2.5".to_owned(), 75.0)]),
        aqi: Some(100),
        level: Some(2),
        color: Some("#FFFF00".into()),
        primary: "PM2.5".into(),
    };
    if name == "login.html" {
        return login_ctx(lang, &"c".repeat(64), "login.bad_credentials");
    }
    let extra = match name {
        "error.html" => context! { code => "out_of_scope", message => "station X" },
        "overview.html" => context! {
            stations => Serde(vec![StationRow { code: "1828A".into(), name: "<b>站</b>".into(),
                kind: "national".into(), now: now.clone(), level_name: "良".into(), pm25: Some(75.0) }]),
            district_name => "焦作高新区", district_aqi => 100, district_level => 2,
            district_level_name => "良", district_color => "#FFFF00", district_ink => "#000",
            district_primary => "PM2.5", as_of => "2025-01-31T16:00:00+08:00", stale => true,
            targets => Serde(vec![air::TargetProgress { year: 2025, area: "410871".into(),
                indicator: "pm25".into(), target: 43.0, ytd: Some(80.0), valid_days: 31,
                remaining_days: 334, control_value: Some(40), days_margin: None,
                status: Some("Achievable".into()), as_of: "2025-01-31".into() },
                air::TargetProgress { year: 2025, area: "410871".into(),
                indicator: "good_days".into(), target: 245.0, ytd: Some(10.0), valid_days: 31,
                remaining_days: 334, control_value: None, days_margin: Some(235),
                status: Some("Achievable".into()), as_of: "2025-01-31".into() }]),
            today_pm25 => 70.5, today_hour => 16,
        },
        "map.html" => context! {
            metric => "AQI", metrics => ["AQI", "PM2.5"],
            map_data => Serde(serde_json::json!({"grids": [], "stations": [], "colors": []})),
        },
        "station.html" => context! {
            station => Serde(api::StationDto { code: "1828A".into(), name: "<i>市监测站</i>".into(),
                kind: "national".into(), lon: Some(113.2), lat: Some(35.2), grid: None,
                control: false, pollutants: vec!["PM2.5".into()] }),
            now => Serde(now), now_level_name => "良", now_ink => "#000", days => 7,
            breakdown => Serde(vec![Breakdown { pollutant: "PM2.5".into(), now: Some(75.0),
                iaqi_level: Some(2), period_mean: Some(80.0), unit: "µg/m³" }]),
            summary => Serde(api::assessment("1828A".into(), Date::from_ymd_const(2025, 1, 1),
                Date::from_ymd_const(2025, 1, 7), &[])),
            chart => Serde(serde_json::json!({"hours": []})),
        },
        other => crate::pages_ledger::sample_extra(other)
            .or_else(|| crate::pages_records::sample_extra(other))
            .or_else(|| crate::pages_inspections::sample_extra(other))
            .unwrap_or_else(|| context! {}),
    };
    context! { ..base, ..extra }
}

//! `/api/v1`, the read side and ingest: regions and grids (GeoJSON), stations, latest values,
//! hourly readings, AQI and assessment, targets with the remaining-days control value, sources,
//! and the batch ingest of readings. Each handler starts with `caller.require(Perm::…)` and
//! filters or refuses objects outside the caller's [`Scope`](crate::auth::Scope).

use crate::air::{self, StationNow, TargetProgress};
use crate::auth::{Caller, Perm};
use crate::cache;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{J, P, Q};
use crate::state::App;
use axum::Json;
use axum::extract::State;
use lantian_aq::{Date, Level, Pollutant};
use lantian_domain::reading::{Origin, QualityRules, check_value};
use lantian_domain::region::{Region, RegionLevel};
use lantian_domain::source::SourceKind;
use lantian_domain::station::{Station, StationKind};
use lantian_domain::{RegionCode, StationCode, Timestamp, UnitCode};
use lantian_store::{HourlyValue, SourceFilter, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

type Res<T> = Result<Json<T>, ApiError>;

/// Default and largest page sizes.
const PER_PAGE: u32 = 100;
const MAX_PER_PAGE: u32 = 1000;

/// Pagination of every list: `page` from 1, `per_page` up to 1000.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Page number, from 1 (default 1).
    pub page: Option<u32>,
    /// Items per page (default 100, at most 1000).
    pub per_page: Option<u32>,
}

impl PageQuery {
    fn resolve(&self) -> Result<(u32, u32), ApiError> {
        let page = self.page.unwrap_or(1);
        let per = self.per_page.unwrap_or(PER_PAGE);
        if page == 0 {
            return Err(ApiError::param("page", "starts at 1"));
        }
        if per == 0 || per > MAX_PER_PAGE {
            return Err(ApiError::param("per_page", "must be 1..=1000"));
        }
        Ok((page, per))
    }
}

/// Cut one page out of `items`; returns (page items, total).
fn paginate<T>(items: Vec<T>, page: u32, per: u32) -> (Vec<T>, u64) {
    let total = items.len() as u64;
    let skip = (page as usize - 1).saturating_mul(per as usize);
    (
        items.into_iter().skip(skip).take(per as usize).collect(),
        total,
    )
}

fn parse_region(s: &str, name: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(s).map_err(|e| ApiError::param(name, e))
}

fn parse_station(s: &str) -> Result<StationCode, ApiError> {
    StationCode::parse(s).map_err(|e| ApiError::param("station", e))
}

fn parse_date(s: &str, name: &str) -> Result<Date, ApiError> {
    Date::parse(s).ok_or_else(|| ApiError::param(name, "expected YYYY-MM-DD"))
}

// ---- regions ------------------------------------------------------------------------------

/// Filters of `GET /regions`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RegionQuery {
    /// Only this level: `district`, `town`, `village`, `grid`.
    pub level: Option<String>,
    /// Only the children of this region.
    pub parent: Option<String>,
}

/// A region as a GeoJSON Feature (properties: code, name, level, parent).
pub fn region_feature(r: &Region) -> Value {
    let geometry = r
        .area
        .as_ref()
        .and_then(|a| serde_json::from_str::<Value>(&lantian_store::codec::area_to_geojson(a)).ok())
        .unwrap_or(Value::Null);
    json!({
        "type": "Feature",
        "id": r.code.as_str(),
        "properties": {
            "code": r.code.as_str(),
            "name": r.name,
            "level": r.level.code(),
            "parent": r.parent.as_ref().map(RegionCode::as_str),
        },
        "geometry": geometry,
    })
}

/// The regions a caller may see, filtered.
pub async fn visible_regions(app: &App, caller: &Caller) -> Result<Vec<Region>, ApiError> {
    let all = app.db.regions().await?;
    Ok(match caller.scope.visible_regions(&all) {
        None => all,
        Some(vis) => all.into_iter().filter(|r| vis.contains(&r.code)).collect(),
    })
}

/// Regions and grids as a GeoJSON FeatureCollection (grid workers: their grids and the regions
/// above them).
#[utoipa::path(get, path = "/regions", tag = "regions", params(RegionQuery),
    responses((status = 200, description = "GeoJSON FeatureCollection", body = Object),
              (status = 401, body = ErrorEnvelope), (status = 400, body = ErrorEnvelope)))]
pub async fn regions(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<RegionQuery>,
) -> Res<Value> {
    caller.require(Perm::ReadAir)?;
    let level = q
        .level
        .as_deref()
        .map(|l| RegionLevel::parse(l).ok_or_else(|| ApiError::param("level", "unknown level")))
        .transpose()?;
    let parent = q
        .parent
        .as_deref()
        .map(|p| parse_region(p, "parent"))
        .transpose()?;
    let features: Vec<Value> = visible_regions(&app, &caller)
        .await?
        .iter()
        .filter(|r| level.is_none_or(|l| r.level == l))
        .filter(|r| parent.as_ref().is_none_or(|p| r.parent.as_ref() == Some(p)))
        .map(region_feature)
        .collect();
    Ok(Json(
        json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// One region as a GeoJSON Feature.
#[utoipa::path(get, path = "/regions/{code}", tag = "regions",
    params(("code" = String, Path, description = "Region code")),
    responses((status = 200, description = "GeoJSON Feature", body = Object),
              (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn region(State(app): State<Arc<App>>, caller: Caller, P(code): P<String>) -> Res<Value> {
    caller.require(Perm::ReadAir)?;
    let code = parse_region(&code, "code")?;
    let all = app.db.regions().await?;
    let r = all
        .iter()
        .find(|r| r.code == code)
        .ok_or_else(|| ApiError::not_found(format!("region {code}")))?;
    if caller
        .scope
        .visible_regions(&all)
        .is_some_and(|v| !v.contains(&code))
    {
        return Err(ApiError::out_of_scope(format!("region {code}")));
    }
    Ok(Json(region_feature(r)))
}

// ---- stations -----------------------------------------------------------------------------

/// A station.
#[derive(Debug, Serialize, ToSchema)]
pub struct StationDto {
    /// Code (`1828A`, `JZGX-M01`).
    pub code: String,
    /// Name.
    pub name: String,
    /// `national`, `provincial`, `micro` …
    pub kind: String,
    /// Longitude (WGS84).
    pub lon: Option<f64>,
    /// Latitude (WGS84).
    pub lat: Option<f64>,
    /// Grid it stands in.
    pub grid: Option<String>,
    /// 对照点 (control station, not evaluated).
    pub control: bool,
    /// Pollutants measured.
    pub pollutants: Vec<String>,
}

impl From<&Station> for StationDto {
    fn from(s: &Station) -> StationDto {
        StationDto {
            code: s.code.as_str().to_owned(),
            name: s.name.clone(),
            kind: s.kind.code().to_owned(),
            lon: s.location.map(|p| p.lon),
            lat: s.location.map(|p| p.lat),
            grid: s.grid.as_ref().map(|g| g.as_str().to_owned()),
            control: s.control,
            pollutants: s.pollutants.iter().map(|p| p.code().to_owned()).collect(),
        }
    }
}

/// A page of stations.
#[derive(Debug, Serialize, ToSchema)]
pub struct StationList {
    /// The stations of this page, by code.
    pub items: Vec<StationDto>,
    /// Page number.
    pub page: u32,
    /// Page size.
    pub per_page: u32,
    /// Matching stations in all pages.
    pub total: u64,
}

/// Filters of `GET /stations`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StationQuery {
    /// Only this kind (`national`, `micro`, …).
    pub kind: Option<String>,
    /// Only stations in this grid.
    pub grid: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page (≤ 1000).
    pub per_page: Option<u32>,
}

/// The stations a caller may see.
pub async fn visible_stations(app: &App, caller: &Caller) -> Result<Vec<Station>, ApiError> {
    Ok(app
        .db
        .stations()
        .await?
        .into_iter()
        .filter(|s| caller.scope.sees_grid(s.grid.as_ref()))
        .collect())
}

/// The station `code` if the caller may see it (404 / 403 `out_of_scope` otherwise).
pub async fn station_for(app: &App, caller: &Caller, code: &str) -> Result<Station, ApiError> {
    let code = parse_station(code)?;
    let s = app
        .db
        .station(&code)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("station {code}")))?;
    if !caller.scope.sees_grid(s.grid.as_ref()) {
        return Err(ApiError::out_of_scope(format!("station {code}")));
    }
    Ok(s)
}

/// Stations (grid workers: those in their grids).
#[utoipa::path(get, path = "/stations", tag = "stations", params(StationQuery),
    responses((status = 200, body = StationList), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope)))]
pub async fn stations(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<StationQuery>,
) -> Res<StationList> {
    caller.require(Perm::ReadAir)?;
    let (page, per) = PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve()?;
    let kind = q
        .kind
        .as_deref()
        .map(|k| StationKind::parse(k).ok_or_else(|| ApiError::param("kind", "unknown kind")))
        .transpose()?;
    let grid = q
        .grid
        .as_deref()
        .map(|g| parse_region(g, "grid"))
        .transpose()?;
    let all: Vec<StationDto> = visible_stations(&app, &caller)
        .await?
        .iter()
        .filter(|s| kind.is_none_or(|k| s.kind == k))
        .filter(|s| grid.is_none() || s.grid == grid)
        .map(StationDto::from)
        .collect();
    let (items, total) = paginate(all, page, per);
    Ok(Json(StationList {
        items,
        page,
        per_page: per,
        total,
    }))
}

/// One station.
#[utoipa::path(get, path = "/stations/{code}", tag = "stations",
    params(("code" = String, Path, description = "Station code")),
    responses((status = 200, body = StationDto), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope)))]
pub async fn station(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(code): P<String>,
) -> Res<StationDto> {
    caller.require(Perm::ReadAir)?;
    Ok(Json(StationDto::from(
        &station_for(&app, &caller, &code).await?,
    )))
}

/// The newest hour of a station and its real-time AQI (HJ 633).
#[utoipa::path(get, path = "/stations/{code}/latest", tag = "stations",
    params(("code" = String, Path, description = "Station code")),
    responses((status = 200, body = StationNow), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope)))]
pub async fn station_latest(
    State(app): State<Arc<App>>,
    caller: Caller,
    P(code): P<String>,
) -> Res<StationNow> {
    caller.require(Perm::ReadAir)?;
    let s = station_for(&app, &caller, &code).await?;
    Ok(Json(air::station_now(&app.db, &s.code).await?))
}

// ---- readings -----------------------------------------------------------------------------

/// Query of `GET /readings`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReadingQuery {
    /// Station code.
    pub station: String,
    /// Pollutant (`PM2.5`, `SO2`, …).
    pub pollutant: String,
    /// From this instant (RFC 3339 with offset, or Unix seconds), inclusive.
    pub from: String,
    /// To this instant, inclusive; at most 366 days after `from`.
    pub to: String,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page (≤ 1000).
    pub per_page: Option<u32>,
}

/// An hourly value.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingDto {
    /// End of the hour (RFC 3339, +08:00).
    pub hour: String,
    /// As measured.
    pub raw: Option<f64>,
    /// After calibration.
    pub corrected: Option<f64>,
    /// What enters aggregates; absent when flagged or missing.
    pub validated: Option<f64>,
    /// Quality flag codes.
    pub flags: Vec<String>,
    /// `file`, `mqtt`, `http`, …
    pub origin: String,
}

/// A page of hourly values.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingList {
    /// Station.
    pub station: String,
    /// Pollutant.
    pub pollutant: String,
    /// Values of this page, in time order.
    pub items: Vec<ReadingDto>,
    /// Page number.
    pub page: u32,
    /// Page size.
    pub per_page: u32,
    /// Values in all pages.
    pub total: u64,
}

fn parse_instant(s: &str, name: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse(s)
        .ok_or_else(|| ApiError::param(name, "expected RFC 3339 with an offset, or Unix seconds"))
}

/// Hourly values of one station and pollutant.
#[utoipa::path(get, path = "/readings", tag = "readings", params(ReadingQuery),
    responses((status = 200, body = ReadingList), (status = 400, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn readings(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<ReadingQuery>,
) -> Res<ReadingList> {
    caller.require(Perm::ReadAir)?;
    let (page, per) = PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve()?;
    let p = Pollutant::parse(&q.pollutant)
        .ok_or_else(|| ApiError::param("pollutant", "unknown pollutant"))?;
    let (from, to) = (parse_instant(&q.from, "from")?, parse_instant(&q.to, "to")?);
    if to < from || to.0 - from.0 > 366 * 86_400 {
        return Err(ApiError::param(
            "to",
            "must be after from and within 366 days",
        ));
    }
    let s = station_for(&app, &caller, &q.station).await?;
    let values = app.db.hourly(&s.code, p, from, to).await?;
    let (items, total) = paginate(values, page, per);
    Ok(Json(ReadingList {
        station: s.code.as_str().to_owned(),
        pollutant: p.code().to_owned(),
        items: items
            .into_iter()
            .map(|v| ReadingDto {
                hour: v.hour.to_string(),
                raw: v.raw,
                corrected: v.corrected,
                validated: v.validated,
                flags: v.flags.codes().into_iter().map(str::to_owned).collect(),
                origin: v.origin.code().to_owned(),
            })
            .collect(),
        page,
        per_page: per,
        total,
    }))
}

/// One hourly value to ingest.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IngestReading {
    /// Station code.
    pub station: String,
    /// Pollutant code (`PM2.5`, …).
    pub pollutant: String,
    /// End of the hour (RFC 3339 with offset, or Unix seconds); a whole hour.
    pub hour: String,
    /// Concentration (µg/m³; CO mg/m³).
    pub value: f64,
}

/// A batch of hourly values.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IngestBatch {
    /// Up to 100 000 values.
    pub readings: Vec<IngestReading>,
}

/// What an ingest wrote.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResult {
    /// Distinct hourly values written (re-sending the batch writes the same values again).
    pub written: u64,
    /// Values stored with a quality flag (kept raw, not validated).
    pub flagged: u64,
}

/// Ingest a batch of hourly values with a device token (scope `ingest`). Idempotent: keyed by
/// station, pollutant and hour. Value checks and micro-station calibration are applied as for
/// MQTT; the whole batch is refused if any row is malformed or names an unknown station.
#[utoipa::path(post, path = "/readings", tag = "readings", request_body = IngestBatch,
    security(("bearer" = [])),
    responses((status = 200, body = IngestResult), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn ingest(
    State(app): State<Arc<App>>,
    caller: Caller,
    J(batch): J<IngestBatch>,
) -> Res<IngestResult> {
    caller.require(Perm::Ingest)?;
    if batch.readings.len() > 100_000 {
        return Err(ApiError::param("readings", "at most 100 000 per batch"));
    }
    let stations: HashMap<StationCode, Station> = app
        .db
        .stations()
        .await?
        .into_iter()
        .map(|s| (s.code.clone(), s))
        .collect();
    let rules = QualityRules::default();
    let mut values = Vec::with_capacity(batch.readings.len());
    let mut flagged = 0;
    for (i, r) in batch.readings.iter().enumerate() {
        let at = |field: &str| format!("readings[{i}].{field}");
        let code =
            StationCode::parse(&r.station).map_err(|e| ApiError::param(&at("station"), e))?;
        let st = stations
            .get(&code)
            .ok_or_else(|| ApiError::param(&at("station"), format!("unknown station {code}")))?;
        let p = Pollutant::parse(&r.pollutant)
            .ok_or_else(|| ApiError::param(&at("pollutant"), "unknown pollutant"))?;
        let hour = parse_instant(&r.hour, &at("hour"))?;
        if hour.0 % 3600 != 0 {
            return Err(ApiError::param(&at("hour"), "not a whole hour"));
        }
        if !r.value.is_finite() {
            return Err(ApiError::param(&at("value"), "not a finite number"));
        }
        let f = check_value(&rules, p, r.value);
        if !f.is_valid() {
            flagged += 1;
        }
        let mut v = HourlyValue::hourly(code, p, hour, r.value, f, Origin::Http);
        if let Some(c) = st.calibration(p) {
            v.corrected = Some(c.apply(r.value));
            v.validated = f.is_valid().then(|| c.apply(r.value));
        }
        values.push(v);
    }
    let written = app.db.upsert_hourly(&values).await.map_err(|e| match e {
        StoreError::NotFound { .. } => ApiError::param("readings", e),
        e => e.into(),
    })?;
    Ok(Json(IngestResult { written, flagged }))
}

// ---- AQI and assessment -------------------------------------------------------------------

/// Query of `GET /aqi`: a station or an area, and a period of days.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AqiQuery {
    /// A station code (or give `area`).
    pub station: Option<String>,
    /// A region code (or give `station`).
    pub area: Option<String>,
    /// First day, YYYY-MM-DD.
    pub from: String,
    /// Last day, YYYY-MM-DD; at most 366 days after `from`.
    pub to: String,
}

/// One day's AQI.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayAqi {
    /// The day.
    pub date: String,
    /// Daily AQI (HJ 633); absent when the day has too few data.
    pub aqi: Option<u32>,
    /// Level 1..=6.
    pub level: Option<u32>,
    /// Primary pollutants.
    pub primary: String,
    /// Daily values by pollutant (O3: daily max 8 h), unrounded.
    pub values: HashMap<String, f64>,
}

/// The period's assessment (HJ 663).
#[derive(Debug, Serialize, ToSchema)]
pub struct Assessment {
    /// Station or area code.
    pub subject: String,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Daily AQIs.
    pub days: Vec<DayAqi>,
    /// Period means and percentiles by statistic (`SO2`, `NO2`, `PM10`, `PM2.5`, `CO_P95`,
    /// `O3_8H_P90`); absent when the validity rule is not met.
    pub stats: HashMap<String, Option<f64>>,
    /// Composite index (综合指数).
    pub composite_index: Option<f64>,
    /// Days with a daily AQI.
    pub valid_days: u32,
    /// Good days (AQI ≤ 100).
    pub good_days: u32,
    /// Heavily polluted days (AQI > 200).
    pub heavy_days: u32,
    /// Good-day ratio (%).
    pub good_ratio_percent: Option<f64>,
}

/// Daily AQI and the period assessment of a station or an area (from `lantian-aq`).
#[utoipa::path(get, path = "/aqi", tag = "aqi", params(AqiQuery),
    responses((status = 200, body = Assessment), (status = 400, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn aqi(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<AqiQuery>,
) -> Res<Assessment> {
    caller.require(Perm::ReadAir)?;
    let (from, to) = (parse_date(&q.from, "from")?, parse_date(&q.to, "to")?);
    if to < from || to.days() - from.days() > 366 {
        return Err(ApiError::param(
            "to",
            "must be after from and within 366 days",
        ));
    }
    let (subject, days) = match (&q.station, &q.area) {
        (Some(s), None) => {
            let st = station_for(&app, &caller, s).await?;
            let days = air::station_days(&app.db, &st.code, from, to).await?;
            (st.code.as_str().to_owned(), days)
        }
        (None, Some(a)) => {
            let code = parse_region(a, "area")?;
            let regions = app.db.regions().await?;
            let r = regions
                .iter()
                .find(|r| r.code == code)
                .ok_or_else(|| ApiError::not_found(format!("region {code}")))?;
            if !caller.scope.sees_area(r) {
                return Err(ApiError::out_of_scope(format!("region {code}")));
            }
            let stations = app.db.stations().await?;
            let members = air::stations_of_area(r, &regions, &stations);
            let days = air::area_days(&app.db, &members, from, to).await?;
            (code.as_str().to_owned(), days)
        }
        _ => {
            return Err(ApiError::param(
                "station",
                "give exactly one of station and area",
            ));
        }
    };
    Ok(Json(assessment(subject, from, to, &days)))
}

/// Build the assessment DTO.
pub fn assessment(
    subject: String,
    from: Date,
    to: Date,
    days: &[lantian_aq::assess::DayRecord],
) -> Assessment {
    let s = air::summarize(days, to);
    let stats = HashMap::from([
        ("SO2".to_owned(), s.so2.value),
        ("NO2".to_owned(), s.no2.value),
        ("PM10".to_owned(), s.pm10.value),
        ("PM2.5".to_owned(), s.pm25.value),
        ("CO_P95".to_owned(), s.co_p95.value),
        ("O3_8H_P90".to_owned(), s.o3_8h_p90.value),
    ]);
    Assessment {
        subject,
        from: from.to_string(),
        to: to.to_string(),
        days: days
            .iter()
            .map(|d| DayAqi {
                date: d.date.to_string(),
                aqi: d.aqi.value,
                level: d.aqi.value.map(|a| Level::of(a).number()),
                primary: d.aqi.primary.labels(),
                values: Pollutant::ALL
                    .iter()
                    .filter_map(|p| d.value(*p).map(|v| (p.code().to_owned(), v)))
                    .collect(),
            })
            .collect(),
        stats,
        composite_index: s.composite.total,
        valid_days: s.day_counts.valid_days,
        good_days: s.day_counts.good_days,
        heavy_days: s.day_counts.heavy_days,
        good_ratio_percent: s.day_counts.good_ratio_percent,
    }
}

// ---- targets ------------------------------------------------------------------------------

/// Query of `GET /targets`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TargetQuery {
    /// Year (default: the year of the newest data).
    pub year: Option<i32>,
    /// Only this area.
    pub area: Option<String>,
    /// Count up to this day (default: the day of the newest data, within `year`).
    pub as_of: Option<String>,
}

/// The targets of a year with year-to-date values and the remaining-days control value.
#[utoipa::path(get, path = "/targets", tag = "targets", params(TargetQuery),
    responses((status = 200, body = Vec<TargetProgress>), (status = 400, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope)))]
pub async fn targets(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<TargetQuery>,
) -> Res<Vec<TargetProgress>> {
    caller.require(Perm::ReadAir)?;
    let area = q
        .area
        .as_deref()
        .map(|a| parse_region(a, "area"))
        .transpose()?;
    // The revision first: the figures below are then at least as new as it (`cache`).
    let rev = app.db.data_revision().await?;
    let newest = cache::newest_hour(&app, rev).await?;
    let as_of = match (&q.as_of, q.year, newest) {
        (Some(d), _, _) => parse_date(d, "as_of")?,
        (None, Some(y), Some(t)) if air::data_day(t).year() == y => air::data_day(t),
        (None, Some(y), _) => {
            Date::from_ymd(y, 12, 31).ok_or_else(|| ApiError::param("year", "out of range"))?
        }
        (None, None, Some(t)) => air::data_day(t),
        (None, None, None) => return Ok(Json(vec![])),
    };
    let year = q.year.unwrap_or(as_of.year());
    if as_of.year() != year {
        return Err(ApiError::param("as_of", "must fall in year"));
    }
    Ok(Json(
        targets_progress(&app, &caller, rev, year, area.as_ref(), as_of).await?,
    ))
}

/// Target progress of the areas the caller may see, from the areas' daily records of the year
/// cached under data revision `rev` (read by the caller before anything else).
pub async fn targets_progress(
    app: &App,
    caller: &Caller,
    rev: u64,
    year: i32,
    area: Option<&RegionCode>,
    as_of: Date,
) -> Result<Vec<TargetProgress>, ApiError> {
    let all = cache::targets(app, rev, year).await?;
    let regions = cache::regions(app, rev).await?;
    let stations = cache::stations(app, rev).await?;
    let mut by_area: Vec<(RegionCode, Vec<lantian_domain::target::Target>)> = Vec::new();
    for t in all.iter().cloned() {
        if area.is_some_and(|a| *a != t.area) {
            continue;
        }
        match by_area.iter_mut().find(|(a, _)| *a == t.area) {
            Some((_, v)) => v.push(t),
            None => by_area.push((t.area.clone(), vec![t])),
        }
    }
    let mut out = Vec::new();
    for (code, ts) in by_area {
        let Some(r) = regions.iter().find(|r| r.code == code) else {
            continue;
        };
        if !caller.scope.sees_area(r) && r.level != RegionLevel::District {
            // District targets are public figures; other areas' follow the area rule.
            continue;
        }
        let members = air::stations_of_area(r, &regions, &stations);
        let first = Date::from_ymd_const(year, 1, 1);
        let days = cache::area_days(app, rev, &members, first, as_of).await?;
        out.extend(air::progress(&ts, &days, as_of));
    }
    Ok(out)
}

// ---- sources ------------------------------------------------------------------------------

/// Filters of `GET /sources`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SourceQuery {
    /// Only sources in this grid.
    pub grid: Option<String>,
    /// Only this kind (`construction`, `enterprise`, …).
    pub kind: Option<String>,
    /// Only sources this unit is responsible for.
    pub unit: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page (≤ 1000).
    pub per_page: Option<u32>,
}

/// A pollution source.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceDto {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind code.
    pub kind: String,
    /// Longitude.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Grid.
    pub grid: Option<String>,
    /// Responsible unit.
    pub unit: Option<String>,
    /// Status text.
    pub status: String,
    /// Emits VOCs.
    pub vocs: bool,
}

/// A page of sources.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceList {
    /// The sources of this page, by id.
    pub items: Vec<SourceDto>,
    /// Page number.
    pub page: u32,
    /// Page size.
    pub per_page: u32,
    /// Matching sources in all pages.
    pub total: u64,
}

/// Sources (unit roles: their unit's; grid roles: their grids').
#[utoipa::path(get, path = "/sources", tag = "sources", params(SourceQuery),
    responses((status = 200, body = SourceList), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope)))]
pub async fn sources(
    State(app): State<Arc<App>>,
    caller: Caller,
    Q(q): Q<SourceQuery>,
) -> Res<SourceList> {
    caller.require(Perm::ReadSources)?;
    let (page, per) = PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve()?;
    let filter = SourceFilter {
        grid: q
            .grid
            .as_deref()
            .map(|g| parse_region(g, "grid"))
            .transpose()?,
        kind: q
            .kind
            .as_deref()
            .map(|k| SourceKind::parse(k).ok_or_else(|| ApiError::param("kind", "unknown kind")))
            .transpose()?,
        unit: q
            .unit
            .as_deref()
            .map(|u| UnitCode::parse(u).map_err(|e| ApiError::param("unit", e)))
            .transpose()?,
    };
    let all: Vec<SourceDto> = app
        .db
        .sources(&filter)
        .await?
        .into_iter()
        .filter(|s| caller.scope.sees_source(s.grid.as_ref(), s.unit.as_ref()))
        .map(|s| SourceDto {
            id: s.id.as_str().to_owned(),
            name: s.name,
            kind: s.kind.code().to_owned(),
            lon: s.location.map(|p| p.lon),
            lat: s.location.map(|p| p.lat),
            grid: s.grid.map(|g| g.as_str().to_owned()),
            unit: s.unit.map(|u| u.as_str().to_owned()),
            status: s.status,
            vocs: s.vocs,
        })
        .collect();
    let (items, total) = paginate(all, page, per);
    Ok(Json(SourceList {
        items,
        page,
        per_page: per,
        total,
    }))
}

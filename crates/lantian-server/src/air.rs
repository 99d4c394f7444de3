//! Air-quality figures for the API and the dashboard, read from the store and computed by
//! `lantian-aq` — never here: this module only fetches series, lays them out as `lantian-aq`
//! expects and picks the stations of an area.

use crate::db::Db;
use crate::error::ApiError;
use lantian_aq::aqi::{HourlyInputs, hourly_aqi};
use lantian_aq::assess::{self, DayRecord, RuleChoice, Series};
use lantian_aq::composite::PeriodSummary;
use lantian_aq::targets::{
    ControlQuery, day_of_year, days_left_in_year, good_days_progress, heavy_days_progress,
    remaining_day_control,
};
use lantian_aq::{Date, HourStamp, Level, Pollutant, RuleSet};
use lantian_domain::region::{Region, RegionLevel};
use lantian_domain::station::{Station, StationKind};
use lantian_domain::target::{Target, TargetIndicator};
use lantian_domain::{RegionCode, StationCode, Timestamp};
use lantian_store::Store;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// The newest hour of a station: concentrations and the real-time AQI (HJ 633).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StationNow {
    /// Station code.
    pub station: String,
    /// End of the newest hour with any value (RFC 3339, +08:00); absent without data.
    pub hour: Option<String>,
    /// The newest hour as Unix seconds.
    #[serde(skip)]
    pub ts: Option<Timestamp>,
    /// Validated 1 h concentrations of that hour, by pollutant code (`PM2.5`, …).
    pub values: HashMap<String, f64>,
    /// Real-time AQI of that hour.
    pub aqi: Option<u32>,
    /// AQI level 1..=6.
    pub level: Option<u32>,
    /// Standard colour of the level (`#RRGGBB`).
    pub color: Option<String>,
    /// Primary pollutants (`PM2.5`, `O3_8h`, …), comma-separated; empty when AQI ≤ 50.
    pub primary: String,
}

/// The level of an AQI value, as the dashboard shows it.
pub fn level_of(aqi: Option<u32>) -> Option<Level> {
    aqi.map(Level::of)
}

/// The newest hour of a station and its real-time AQI.
pub async fn station_now(db: &Db, code: &StationCode) -> Result<StationNow, ApiError> {
    let latest = db.latest(code).await?;
    let newest = latest.iter().map(|l| l.hour).max();
    let mut inputs = HourlyInputs::default();
    let mut values = HashMap::new();
    for l in latest.iter().filter(|l| Some(l.hour) == newest) {
        if let Some(v) = l.validated {
            inputs.set(l.pollutant, Some(v));
            values.insert(l.pollutant.code().to_owned(), v);
        }
    }
    let (aqi, primary) = match newest {
        Some(t) if !values.is_empty() => {
            let a = hourly_aqi(RuleSet::for_date(t.hour_label().day()), &inputs);
            (a.value, a.primary.labels())
        }
        _ => (None, String::new()),
    };
    let level = level_of(aqi);
    Ok(StationNow {
        station: code.as_str().to_owned(),
        hour: newest.map(|t| t.to_string()),
        ts: newest,
        values,
        aqi,
        level: level.map(Level::number),
        color: level.map(|l| l.hex().to_owned()),
        primary,
    })
}

/// The first and last instants of the hours labelled 01 of `from` .. 24 of `to`.
pub fn day_span(from: Date, to: Date) -> (Timestamp, Timestamp) {
    (
        Timestamp::from_hour_stamp(HourStamp::new(from, 1)),
        Timestamp::from_hour_stamp(HourStamp::new(to, 24)),
    )
}

/// A station's six hourly series over the days `from..=to` (validated values, NaN missing).
pub async fn station_series(
    db: &Db,
    code: &StationCode,
    from: Date,
    to: Date,
) -> Result<(HourStamp, [Vec<f64>; 6]), ApiError> {
    let (t0, t1) = day_span(from, to);
    let start = HourStamp::new(from, 1);
    let n = usize::try_from((t1.0 - t0.0) / 3600 + 1).unwrap_or(0);
    let mut values: [Vec<f64>; 6] = std::array::from_fn(|_| vec![f64::NAN; n]);
    for p in Pollutant::ALL {
        for h in db.hourly(code, p, t0, t1).await? {
            let i = usize::try_from((h.hour.0 - t0.0) / 3600).unwrap_or(usize::MAX);
            if let (Some(slot), Some(v)) = (values[p.index()].get_mut(i), h.validated) {
                *slot = v;
            }
        }
    }
    Ok((start, values))
}

/// Daily records (daily means, O3 8 h, daily AQI) of a station over `from..=to`.
pub async fn station_days(
    db: &Db,
    code: &StationCode,
    from: Date,
    to: Date,
) -> Result<Vec<DayRecord>, ApiError> {
    let (start, v) = station_series(db, code, from, to).await?;
    let series = Series {
        start,
        values: [&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]],
    };
    Ok(assess::daily(RuleChoice::Auto, &series))
}

/// Daily records of an area: the mean of its stations' daily values (HJ 663), then AQI.
pub async fn area_days(
    db: &Db,
    stations: &[StationCode],
    from: Date,
    to: Date,
) -> Result<Vec<DayRecord>, ApiError> {
    let mut per = Vec::with_capacity(stations.len());
    for s in stations {
        per.push(station_days(db, s, from, to).await?);
    }
    let refs: Vec<&[DayRecord]> = per.iter().map(Vec::as_slice).collect();
    Ok(assess::area_daily(RuleChoice::Auto, &refs))
}

/// The period summary (means, percentiles, composite index, day counts) of daily records.
pub fn summarize(days: &[DayRecord], last: Date) -> PeriodSummary {
    assess::summarize(days, RuleChoice::Auto.composite_basis(last), &[])
}

/// The stations that make up an area's figures: for the district, its evaluation stations
/// (national, not 对照点); for a town, village or grid, every station placed in its grids.
pub fn stations_of_area(
    area: &Region,
    regions: &[Region],
    stations: &[Station],
) -> Vec<StationCode> {
    if area.level == RegionLevel::District {
        return stations
            .iter()
            .filter(|s| s.kind == StationKind::National && !s.control)
            .map(|s| s.code.clone())
            .collect();
    }
    let inside = subtree(&area.code, regions);
    stations
        .iter()
        .filter(|s| s.grid.as_ref().is_some_and(|g| inside.contains(g)))
        .map(|s| s.code.clone())
        .collect()
}

/// A region and everything below it.
pub fn subtree(root: &RegionCode, regions: &[Region]) -> HashSet<RegionCode> {
    let mut out: HashSet<RegionCode> = HashSet::from([root.clone()]);
    // Regions come parents first (Store::regions), so one pass suffices.
    for r in regions {
        if r.parent.as_ref().is_some_and(|p| out.contains(p)) {
            out.insert(r.code.clone());
        }
    }
    out
}

/// A target and where the year stands against it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetProgress {
    /// Year.
    pub year: i32,
    /// Area code.
    pub area: String,
    /// Indicator code (`pm25`, `good_days`, …).
    pub indicator: String,
    /// Target value.
    pub target: f64,
    /// Year-to-date value (mean, count or ratio), unrounded; absent without data.
    pub ytd: Option<f64>,
    /// Valid days so far.
    pub valid_days: u32,
    /// Days left in the year after `as_of`.
    pub remaining_days: u32,
    /// For concentration targets: the remaining-days control value (年剩余日控制值), as
    /// briefings display it (rounded half-up).
    pub control_value: Option<i64>,
    /// For day-count targets: good days still needed, or heavy days still allowed.
    pub days_margin: Option<i64>,
    /// `Achievable`, `OutOfReach`, `AlreadySecured`, `YearOver`, `Undetermined`; absent when
    /// not computed for this indicator.
    pub status: Option<String>,
    /// The last day counted (YYYY-MM-DD).
    pub as_of: String,
}

/// Progress of each target of an area, from the area's daily records of the year up to `as_of`.
pub fn progress(targets: &[Target], days: &[DayRecord], as_of: Date) -> Vec<TargetProgress> {
    let year_days: Vec<DayRecord> = days
        .iter()
        .filter(|d| d.date.year() == as_of.year() && d.date <= as_of)
        .copied()
        .collect();
    let s = summarize(&year_days, as_of);
    let elapsed = day_of_year(as_of);
    let left = days_left_in_year(as_of);
    targets
        .iter()
        .map(|t| {
            let mean = |v: Option<f64>, valid: u32| {
                v.map(|m| {
                    let c = remaining_day_control(
                        &ControlQuery::as_of(as_of, t.value, m).with_valid_days(valid.min(elapsed)),
                    );
                    (m, c.displayed, format!("{:?}", c.status))
                })
            };
            let valid = s.day_counts.valid_days;
            let (ytd, control, margin, status) = match t.indicator {
                TargetIndicator::Pm25 => split(mean(s.pm25.value, s.pm25.capture.valid)),
                TargetIndicator::Pm10 => split(mean(s.pm10.value, s.pm10.capture.valid)),
                TargetIndicator::No2 => split(mean(s.no2.value, s.no2.capture.valid)),
                TargetIndicator::GoodDays => {
                    let g = good_days_progress(
                        t.value.max(0.0).round() as u32,
                        s.day_counts.good_days,
                        left,
                    );
                    (
                        Some(f64::from(s.day_counts.good_days)),
                        None,
                        Some(i64::from(g.still_needed)),
                        Some(format!("{:?}", g.status)),
                    )
                }
                TargetIndicator::HeavyDays => {
                    let h = heavy_days_progress(
                        t.value.max(0.0).round() as u32,
                        s.day_counts.heavy_days,
                        left,
                    );
                    (
                        Some(f64::from(s.day_counts.heavy_days)),
                        None,
                        Some(h.still_allowed),
                        Some(format!("{:?}", h.status)),
                    )
                }
                TargetIndicator::GoodDayRatio => {
                    (s.day_counts.good_ratio_percent, None, None, None)
                }
                TargetIndicator::CompositeIndex => (s.composite.total, None, None, None),
                TargetIndicator::O3P90 => (s.o3_8h_p90.value, None, None, None),
            };
            TargetProgress {
                year: t.year,
                area: t.area.as_str().to_owned(),
                indicator: t.indicator.code().to_owned(),
                target: t.value,
                ytd,
                valid_days: valid,
                remaining_days: left,
                control_value: control,
                days_margin: margin,
                status,
                as_of: as_of.to_string(),
            }
        })
        .collect()
}

type Parts = (Option<f64>, Option<i64>, Option<i64>, Option<String>);

fn split(m: Option<(f64, Option<i64>, String)>) -> Parts {
    match m {
        Some((v, c, s)) => (Some(v), c, None, Some(s)),
        None => (None, None, None, None),
    }
}

/// The day the data of `newest` belongs to: the natural day of its hour (STANDARDS.md §2.2:
/// hours are labelled by their END and day D is covered by the hours labelled 01:00…24:00),
/// so the hour labelled 00:00 of D+1 — the last hour of D — still counts for D. Not the
/// calendar date of the instant, which would start a day that has no hour yet.
pub fn data_day(newest: Timestamp) -> Date {
    newest.hour_label().day()
}

/// The newest hour stored across `stations` — the dashboard's "now" for air data, so a
/// district whose feed stopped shows its last data, labelled with its time, rather than
/// nothing.
pub async fn newest_hour(db: &Db, stations: &[Station]) -> Result<Option<Timestamp>, ApiError> {
    let mut best = None;
    for s in stations {
        if let Some(h) = db.latest(&s.code).await?.iter().map(|l| l.hour).max() {
            best = best.max(Some(h));
        }
    }
    Ok(best)
}

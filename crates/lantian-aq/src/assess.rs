//! From an hourly series of the six pollutants to hourly AQIs, daily records and a period
//! summary — the whole chain an assessment report prints, for one station or one area.
//!
//! Each step is a rule of the standards, cited where it is implemented: hourly AQI
//! ([`crate::aqi::hourly_aqi`]), daily means and O3 statistics ([`crate::hj663`]), daily AQI
//! ([`crate::aqi::daily_aqi`]), period means, percentiles and the composite index
//! ([`crate::composite`]). The rule set is chosen per day by the date of the data
//! ([`RuleChoice::Auto`]) unless the caller pins one.

use crate::aqi::{Aqi, DailyInputs, HourlyInputs, IndexRounding, daily_aqi, hourly_aqi_rounded};
use crate::composite::{CompositeBasis, DailyRecord, DustPolicy, PeriodSummary, period_summary};
use crate::hj663::{self, Stat};
use crate::pollutant::Pollutant;
use crate::rules::{Gb3095Phase, RuleSet};
use crate::time::{Date, HourStamp};
use serde::Serialize;

/// Which rule set to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RuleChoice {
    /// The set in force on the date of the data ([`RuleSet::for_date`]).
    Auto,
    /// One set for everything.
    Fixed(RuleSet),
}

impl RuleChoice {
    /// The rule set for data of `date`.
    pub fn on(self, date: Date) -> RuleSet {
        match self {
            RuleChoice::Auto => RuleSet::for_date(date),
            RuleChoice::Fixed(r) => r,
        }
    }

    /// The composite-index basis for a period ending on `last`: the GB 3095 limits of the
    /// rules in use (for 2026 rules, the phase in force on `last`, at least the transition).
    pub fn composite_basis(self, last: Date) -> CompositeBasis {
        let phase = match self {
            RuleChoice::Auto => Gb3095Phase::for_date(last),
            RuleChoice::Fixed(RuleSet::Y2012) => Gb3095Phase::Y2012,
            RuleChoice::Fixed(RuleSet::Y2026) => match Gb3095Phase::for_date(last) {
                Gb3095Phase::Y2012 => Gb3095Phase::Transition2026,
                p => p,
            },
        };
        CompositeBasis::for_phase(phase)
    }
}

/// Six aligned hourly series, [`Pollutant::ALL`] order, NaN for a missing hour.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// The hour of index 0.
    pub start: HourStamp,
    /// The values.
    pub values: [&'a [f64]; 6],
}

impl Series<'_> {
    /// Number of hours (the shortest series).
    pub fn len(&self) -> usize {
        self.values.iter().map(|v| v.len()).min().unwrap_or(0)
    }

    /// Whether there are no hours.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, p: Pollutant, i: usize) -> Option<f64> {
        self.values[p.index()]
            .get(i)
            .copied()
            .filter(|v| v.is_finite() && *v >= 0.0)
    }

    /// Trailing 24 h mean of `p` ending at index `i`, valid with ≥ 20 hours (GB 3095 Table 4).
    fn trailing_24h(&self, p: Pollutant, i: usize) -> Option<f64> {
        let lo = (i + 1).saturating_sub(24);
        let vals: Vec<f64> = (lo..=i).filter_map(|j| self.get(p, j)).collect();
        (vals.len() as u32 >= hj663::DAILY_MIN_HOURS)
            .then(|| vals.iter().sum::<f64>() / vals.len() as f64)
    }
}

/// One hour's AQI.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct HourRecord {
    /// The hour (labelled by its end).
    pub hour: HourStamp,
    /// The six 1 h concentrations.
    pub conc: [Option<f64>; 6],
    /// Its real-time AQI.
    pub aqi: Aqi,
}

/// The real-time AQI of every hour that has at least one value.
pub fn hourly(choice: RuleChoice, s: &Series<'_>) -> Vec<HourRecord> {
    hourly_rounded(choice, s, IndexRounding::Ceil)
}

/// [`hourly`] with a choice of IAQI rounding ([`IndexRounding::HalfUp`] reproduces CNEMC's
/// 2012-era city values from rounded city concentrations).
pub fn hourly_rounded(
    choice: RuleChoice,
    s: &Series<'_>,
    rounding: IndexRounding,
) -> Vec<HourRecord> {
    let mut out = Vec::new();
    for i in 0..s.len() {
        let mut conc = [None; 6];
        let mut inputs = HourlyInputs::default();
        for p in Pollutant::ALL {
            conc[p.index()] = s.get(p, i);
            inputs.set(p, conc[p.index()]);
        }
        if conc.iter().all(Option::is_none) {
            continue;
        }
        let hour = s.start.add_hours(i as i64);
        if inputs.so2.is_some_and(|v| v > 800.0) {
            inputs.so2_24h = s.trailing_24h(Pollutant::So2, i);
        }
        out.push(HourRecord {
            hour,
            conc,
            aqi: hourly_aqi_rounded(choice.on(hour.day()), &inputs, rounding),
        });
    }
    out
}

/// One natural day's statistics and daily AQI.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DayRecord {
    /// The day (hours 01..24).
    pub date: Date,
    /// Rule set applied.
    pub rules: RuleSet,
    /// Daily means of SO2, NO2, PM10, CO, PM2.5 ([`Pollutant::ALL`] order; the O3 slot holds
    /// the O3 daily max 8 h, the statistic O3 is evaluated by).
    pub stats: [Stat; 6],
    /// O3 daily max 1 h.
    pub o3_1h_max: Stat,
    /// Daily AQI.
    pub aqi: Aqi,
}

impl DayRecord {
    /// A day's record from its statistics, with the daily AQI computed under `rules`.
    pub fn new(date: Date, rules: RuleSet, stats: [Stat; 6], o3_1h_max: Stat) -> DayRecord {
        let v = |p: Pollutant| stats[p.index()].value;
        let inputs = DailyInputs {
            so2: v(Pollutant::So2),
            no2: v(Pollutant::No2),
            pm10: v(Pollutant::Pm10),
            co: v(Pollutant::Co),
            pm25: v(Pollutant::Pm25),
            o3_1h_max: o3_1h_max.value,
            o3_8h_max: v(Pollutant::O3),
        };
        DayRecord {
            date,
            rules,
            stats,
            o3_1h_max,
            aqi: daily_aqi(rules, &inputs),
        }
    }

    /// The day's value of `p` (O3: daily max 8 h).
    pub fn value(&self, p: Pollutant) -> Option<f64> {
        self.stats[p.index()].value
    }
}

/// Which hours make a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum DayBoundary {
    /// The standard's natural day: the hours labelled 01:00 … 24:00 (values labelled by the
    /// end of the hour; GB 3095—2026 §3.10, HJ 663). The default.
    #[default]
    HourEnding01To24,
    /// The calendar rows 00:00 … 23:00 of a file's date. Not the standard's day; offered
    /// because some published figures are reproduced only this way (see docs/SCIENCE.md).
    Calendar00To23,
}

/// The 24 hourly values from index `h1` (which may reach outside `v`), invalid ones as `None`.
fn day_hours(v: &[f64], h1: i64) -> [Option<f64>; 24] {
    let ok = |x: f64| (x.is_finite() && x >= 0.0).then_some(x);
    let mut out = [None; 24];
    match usize::try_from(h1).ok().and_then(|a| v.get(a..a + 24)) {
        Some(day) => {
            for (o, &x) in out.iter_mut().zip(day) {
                *o = ok(x);
            }
        }
        None => {
            for (k, o) in out.iter_mut().enumerate() {
                let i = h1 + k as i64;
                *o = usize::try_from(i)
                    .ok()
                    .and_then(|i| v.get(i))
                    .copied()
                    .and_then(ok);
            }
        }
    }
    out
}

/// Daily records for every natural day the series touches (standard day boundary).
pub fn daily(choice: RuleChoice, s: &Series<'_>) -> Vec<DayRecord> {
    daily_with(choice, s, DayBoundary::HourEnding01To24)
}

/// Daily records for every day the series touches, with the given day boundary.
pub fn daily_with(choice: RuleChoice, s: &Series<'_>, boundary: DayBoundary) -> Vec<DayRecord> {
    let shift: i64 = match boundary {
        DayBoundary::HourEnding01To24 => 0,
        DayBoundary::Calendar00To23 => 1,
    };
    let n = s.len();
    if n == 0 {
        return Vec::new();
    }
    // Only the 17 windows ending 08..24 of each day are read, so they are computed where they
    // are needed rather than as a moving-mean series of every hour (the same sums, in the
    // same order, as hj663::moving_means_8h).
    let o3 = s.values[Pollutant::O3.index()].get(..n).unwrap_or_default();
    let first = s.start.add_hours(shift).day();
    let last = s.start.add_hours(n as i64 - 1 + shift).day();
    let mut out = Vec::with_capacity((last.days() - first.days() + 1) as usize);
    let mut d = first;
    while d <= last {
        // Index of hour 01 of day d; may be negative or past the end at the edges.
        let h1 = HourStamp::new(d, 1).hours() - shift - s.start.hours();
        // This runs for every station-day: read the dense series in place where the day lies
        // inside it, and copy into a fixed buffer only at the edges.
        let day = |p: Pollutant| -> Stat {
            let v = s.values[p.index()];
            let inside = usize::try_from(h1)
                .ok()
                .and_then(|a| v.get(a..a + 24))
                .and_then(|d| <&[f64; 24]>::try_from(d).ok());
            match (p, inside) {
                (Pollutant::O3, Some(d)) => hj663::daily_max_1h_of_day(d),
                (Pollutant::O3, None) => hj663::daily_max_1h(&day_hours(v, h1)),
                (_, Some(d)) => hj663::daily_mean_of_day(d),
                (_, None) => hj663::daily_mean(&day_hours(v, h1)),
            }
        };
        let mut stats = [Stat::default(); 6];
        for p in Pollutant::DAILY_MEAN {
            stats[p.index()] = day(p);
        }
        // Windows ending 08:00 … 24:00 (HJ 663 §6.1.2).
        let inside = usize::try_from(h1).ok().and_then(|a| o3.get(a..a + 24));
        let windows = match inside.and_then(|d| <&[f64; 24]>::try_from(d).ok()) {
            Some(day) => hj663::windows_8h_of_day(day),
            None => std::array::from_fn(|k| hj663::mean_8h_ending(o3, h1 + 7 + k as i64)),
        };
        stats[Pollutant::O3.index()] = hj663::o3_daily_max_8h(&windows);
        let o3_1h_max = day(Pollutant::O3);
        out.push(DayRecord::new(d, choice.on(d), stats, o3_1h_max));
        d = d.succ();
    }
    out
}

/// Daily records of an area (town, district, city) from its evaluation stations' records.
///
/// An area's daily value of each statistic is the arithmetic mean of its evaluation (non-
/// control) stations' valid daily values (HJ 663—2013 §5.2 "城市点…算术平均"; STANDARDS.md
/// §2.5: concentrations are averaged, never AQIs); the area's daily AQI is then computed from
/// those means. `stations` holds one slice per station, each covering the same days in order
/// (as [`daily`] returns them for series on one hour axis). Capture counts stations: valid
/// stations / stations.
pub fn area_daily(choice: RuleChoice, stations: &[&[DayRecord]]) -> Vec<DayRecord> {
    let ndays = stations.iter().map(|s| s.len()).min().unwrap_or(0);
    // The area's value is the mean over its stations (capture: stations with a value of all).
    let mean_of = |vals: &mut dyn Iterator<Item = Option<f64>>| -> Stat {
        hj663::period_mean(&vals.collect::<Vec<_>>())
    };
    (0..ndays)
        .map(|i| {
            let date = stations[0][i].date;
            let mut stats = [Stat::default(); 6];
            for p in Pollutant::ALL {
                stats[p.index()] = mean_of(&mut stations.iter().map(|s| s[i].value(p)));
            }
            let o3_1h_max = mean_of(&mut stations.iter().map(|s| s[i].o3_1h_max.value));
            let rules = choice.on(date);
            DayRecord::new(date, rules, stats, o3_1h_max)
        })
        .collect()
}

/// An area's hourly concentration: the mean of the values its stations have in that hour
/// (HJ 663 §5.2; STANDARDS.md §2.5). `None` when no station has one.
pub fn area_hourly_mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut n = 0u32;
    let mut sum = 0.0;
    for v in values.filter(|v| v.is_finite() && *v >= 0.0) {
        n += 1;
        sum += v;
    }
    (n > 0).then(|| sum / f64::from(n))
}

/// An area's hourly value as CNEMC publishes it: [`area_hourly_mean`] rounded half up — to
/// integers, CO to two decimals. For SO2, NO2, PM10, PM2.5 and O3 this reproduces every
/// published `china_cities` value of January 2025; CNEMC averages unrounded station CO, which
/// the station files give to one decimal only, so CO agrees within ±0.005 (data/README.md). CNEMC's 2012-era city AQI is then the half-up IAQI of these rounded
/// values ([`IndexRounding::HalfUp`]).
pub fn area_hourly_value(p: Pollutant, values: impl Iterator<Item = f64>) -> Option<f64> {
    let decimals = if p == Pollutant::Co { 2 } else { 0 };
    area_hourly_mean(values).map(|m| crate::round::half_up(m, decimals))
}

impl DayRecord {
    /// The record [`crate::composite::period_summary`] takes; `dust` marks a dust-affected
    /// day (扣沙).
    pub fn to_daily_record(&self, dust: bool) -> DailyRecord {
        DailyRecord {
            date: self.date,
            so2: self.value(Pollutant::So2),
            no2: self.value(Pollutant::No2),
            pm10: self.value(Pollutant::Pm10),
            pm25: self.value(Pollutant::Pm25),
            co: self.value(Pollutant::Co),
            o3_8h: self.value(Pollutant::O3),
            aqi: self.aqi.value,
            dust,
        }
    }
}

/// Summarise daily records with [`crate::composite::period_summary`]. Days listed in `dust`
/// (sorted) are dropped from the PM10/PM2.5 statistics and the composite index and kept in
/// the day counts, as the MEE publishes (受沙尘天气过程影响城市空气质量评价补充规定;
/// STANDARDS.md §3.2). Pass `&[]` for the raw view.
pub fn summarize(days: &[DayRecord], basis: CompositeBasis, dust: &[Date]) -> PeriodSummary {
    let records: Vec<DailyRecord> = days
        .iter()
        .map(|d| d.to_daily_record(dust.binary_search(&d.date).is_ok()))
        .collect();
    let policy = if dust.is_empty() {
        DustPolicy::Keep
    } else {
        DustPolicy::Exclude
    };
    period_summary(basis, &records, policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(v: f64, n: usize) -> Vec<f64> {
        vec![v; n]
    }

    #[test]
    fn a_clean_day() {
        let d = Date::from_ymd_const(2025, 1, 1);
        // Start at hour 01 of d, 24 hours.
        let (so2, no2, pm10, co, o3, pm25) = (
            flat(10.0, 24),
            flat(40.0, 24),
            flat(100.0, 24),
            flat(1.0, 24),
            flat(50.0, 24),
            flat(75.0, 24),
        );
        let s = Series {
            start: HourStamp::new(d, 1),
            values: [&so2, &no2, &pm10, &co, &o3, &pm25],
        };
        let h = hourly(RuleChoice::Auto, &s);
        assert_eq!(h.len(), 24);
        assert_eq!(h[0].aqi.value, Some(100));
        let days = daily(RuleChoice::Auto, &s);
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].date, d);
        assert_eq!(days[0].value(Pollutant::Pm25), Some(75.0));
        assert_eq!(days[0].value(Pollutant::O3), Some(50.0));
        assert_eq!(days[0].aqi.value, Some(100));
        assert_eq!(days[0].aqi.primary.labels(), "PM2.5");
        let sum = summarize(&days, RuleChoice::Auto.composite_basis(d), &[]);
        assert_eq!(sum.day_counts.valid_days, 1);
        assert_eq!(sum.day_counts.good_days, 1);
        // 10/60 + 40/40 + 100/70 + 1/4 + 50/160 + 75/35
        let want = 10.0 / 60.0 + 1.0 + 100.0 / 70.0 + 0.25 + 50.0 / 160.0 + 75.0 / 35.0;
        assert!((sum.composite.total.unwrap() - want).abs() < 1e-12);
        // Dust: PM drops out of the means, the day stays in the counts.
        let dusty = summarize(&days, RuleChoice::Auto.composite_basis(d), &[d]);
        assert_eq!(dusty.pm25.value, None);
        assert_eq!(dusty.day_counts.valid_days, 1);
    }

    #[test]
    fn rule_choice_by_date() {
        let before = Date::from_ymd_const(2026, 2, 28);
        assert_eq!(RuleChoice::Auto.on(before), RuleSet::Y2012);
        assert_eq!(RuleChoice::Auto.on(before.succ()), RuleSet::Y2026);
        assert_eq!(RuleChoice::Fixed(RuleSet::Y2026).on(before), RuleSet::Y2026);
    }
}

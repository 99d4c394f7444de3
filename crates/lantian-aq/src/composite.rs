//! The composite index (环境空气质量综合指数), good and heavily polluted days, rankings with
//! ties, change against the same period last year, and dust-day exclusion (扣沙).
//!
//! Sources:
//! * Composite index: 城市环境空气质量排名技术规定, commonly cited as 环办监测〔2018〕19号
//!   (document number unverified), STANDARDS.md §3.1: `I_sum = Σ C_i / S_i` over the six
//!   pollutants; SO2, NO2, PM10, PM2.5 use the period mean and the annual Grade II limit, CO the
//!   24 h 95th percentile and the 24 h Grade II limit, O3 the daily max 8 h 90th percentile and
//!   the 8 h Grade II limit (GB 3095 Table 1).
//! * Day counts: 优良天数 = days with daily AQI ≤ 100, 重污染天数 = AQI > 200 (HJ 633 Table 5
//!   levels; STANDARDS.md §3.2).
//! * Ranking: ascending index, equal values ranked as ties (并列) (same document, STANDARDS.md
//!   §3.1); change rate `(本期 − 上年同期)/上年同期 × 100 %`.
//! * Dust: 受沙尘天气过程影响城市空气质量评价补充规定 (环办监测〔2016〕120号, document number
//!   unverified): PM10 and PM2.5 data of dust-affected days are removed from assessment and
//!   ranking statistics.
//!
//! # Decisions where the sources are unverified
//! * **Which limits after 2026-03-01** (\[U\]): [`CompositeBasis::for_phase`] takes the GB 3095
//!   phase in force (2026 transition: PM10 60, PM2.5 30; final: SO2 20, NO2 30, PM10 50,
//!   PM2.5 25). [`CompositeBasis::Gb3095_2012`] stays selectable so that a series crossing
//!   2026-03-01 can be compared on one basis. The index is not comparable across bases.
//! * **Missing inputs**: the total needs all six statistics; with any missing it is `None` with
//!   [`Flag::InsufficientData`] (the single indices that exist are still returned). The weighted
//!   variant claimed by one tool is not implemented (no official text, STANDARDS.md §3.1).
//! * **Period statistics** follow what the peer pipelines do (shared/bench/README.md): means of
//!   the valid daily means, CO P95 and O3-8h P90 by HJ 663 Annex A over the valid days. No
//!   minimum-days rule is imposed on a period here (monthly and annual validity are in
//!   [`crate::gb3095`]); the captures say how many days each statistic used.
//! * **Dust** (\[U\] on details): with [`DustPolicy::Exclude`], PM10 and PM2.5 of dust days are
//!   dropped from the means and hence from the composite index; SO2, NO2, CO and O3 keep every
//!   day. The headline good-day ratio keeps dust days (as the brief for this crate says MEE
//!   publishes it); the summary also carries the MEE bulletin variant "扣除沙尘异常超标天"
//!   (dust days with AQI > 100 removed from the day counts) for comparison.
//! * **Ranking precision**: values are compared after rounding half-up ([`crate::round::half_up`])
//!   to the published precision, so that values equal as published tie.

use crate::hj663::{self, Stat};
use crate::pollutant::Pollutant;
use crate::quality::{Capture, Flag, Flags};
use crate::round;
use crate::rules::Gb3095Phase;
use crate::time::Date;
use serde::Serialize;

/// The set of limits the composite index divides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CompositeBasis {
    /// GB 3095—2012 Grade II: SO2 60, NO2 40, PM10 70, CO 4, O3 160, PM2.5 35.
    Gb3095_2012,
    /// GB 3095—2026 transition Grade II: SO2 60, NO2 40, PM10 60, CO 4, O3 160, PM2.5 30.
    Gb3095_2026Transition,
    /// GB 3095—2026 final Grade II: SO2 20, NO2 30, PM10 50, CO 4, O3 160, PM2.5 25.
    Gb3095_2026Final,
}

impl CompositeBasis {
    /// The basis for the GB 3095 phase in force (decision documented in the module docs).
    pub fn for_phase(phase: Gb3095Phase) -> CompositeBasis {
        match phase {
            Gb3095Phase::Y2012 => CompositeBasis::Gb3095_2012,
            Gb3095Phase::Transition2026 => CompositeBasis::Gb3095_2026Transition,
            Gb3095Phase::Final2031 => CompositeBasis::Gb3095_2026Final,
        }
    }

    /// The GB 3095 phase whose limits this basis uses.
    pub fn phase(self) -> Gb3095Phase {
        match self {
            CompositeBasis::Gb3095_2012 => Gb3095Phase::Y2012,
            CompositeBasis::Gb3095_2026Transition => Gb3095Phase::Transition2026,
            CompositeBasis::Gb3095_2026Final => Gb3095Phase::Final2031,
        }
    }

    /// S_i divisors in [`Pollutant::ALL`] order [SO2, NO2, PM10, CO, O3, PM2.5]: SO2, NO2, PM10
    /// and PM2.5 annual Grade II limits, CO 24 h Grade II, O3 8 h Grade II (GB 3095 Table 1;
    /// equal to [`crate::gb3095::limit`], which the tests check).
    pub fn divisors(self) -> [f64; 6] {
        match self {
            CompositeBasis::Gb3095_2012 => [60.0, 40.0, 70.0, 4.0, 160.0, 35.0],
            CompositeBasis::Gb3095_2026Transition => [60.0, 40.0, 60.0, 4.0, 160.0, 30.0],
            CompositeBasis::Gb3095_2026Final => [20.0, 30.0, 50.0, 4.0, 160.0, 25.0],
        }
    }

    /// Short label for reports.
    pub const fn label(self) -> &'static str {
        match self {
            CompositeBasis::Gb3095_2012 => "GB 3095-2012 Grade II",
            CompositeBasis::Gb3095_2026Transition => "GB 3095-2026 transition Grade II",
            CompositeBasis::Gb3095_2026Final => "GB 3095-2026 final Grade II",
        }
    }
}

/// The six period statistics the composite index is built from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CompositeInputs {
    /// SO2 period mean, µg/m³.
    pub so2: Option<f64>,
    /// NO2 period mean, µg/m³.
    pub no2: Option<f64>,
    /// PM10 period mean, µg/m³.
    pub pm10: Option<f64>,
    /// PM2.5 period mean, µg/m³.
    pub pm25: Option<f64>,
    /// CO 24 h 95th percentile, mg/m³.
    pub co_p95: Option<f64>,
    /// O3 daily max 8 h 90th percentile, µg/m³.
    pub o3_8h_p90: Option<f64>,
}

impl CompositeInputs {
    /// The statistic for `p`.
    pub fn get(&self, p: Pollutant) -> Option<f64> {
        match p {
            Pollutant::So2 => self.so2,
            Pollutant::No2 => self.no2,
            Pollutant::Pm10 => self.pm10,
            Pollutant::Co => self.co_p95,
            Pollutant::O3 => self.o3_8h_p90,
            Pollutant::Pm25 => self.pm25,
        }
    }

    /// As an array in [`Pollutant::ALL`] order.
    pub fn to_array(&self) -> [Option<f64>; 6] {
        Pollutant::ALL.map(|p| self.get(p))
    }
}

/// The composite index and its single indices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CompositeIndex {
    /// I_sum = Σ C_i/S_i, unrounded; `None` when any input is missing.
    pub total: Option<f64>,
    /// I_i = C_i/S_i in [`Pollutant::ALL`] order; `None` where the input is missing.
    pub singles: [Option<f64>; 6],
    /// The pollutant with the largest single index (the first in [`Pollutant::ALL`] order on a
    /// tie); `None` when the total is `None`.
    pub max_single: Option<Pollutant>,
    /// [`Flag::InsufficientData`] when an input is missing, [`Flag::InvalidInput`] when one was
    /// negative or not finite, [`Flag::DustExcluded`] when built from dust-excluded statistics.
    pub flags: Flags,
}

/// The composite index (环办监测〔2018〕19号, number unverified; STANDARDS.md §3.1):
/// `I_sum = Σ C_i / S_i` with the divisors of `basis`.
pub fn composite_index(basis: CompositeBasis, c: &CompositeInputs) -> CompositeIndex {
    let divisors = basis.divisors();
    let mut flags = Flags::EMPTY;
    let mut singles = [None; 6];
    for ((slot, input), s) in singles.iter_mut().zip(c.to_array()).zip(divisors) {
        match input {
            Some(x) if x.is_finite() && x >= 0.0 => *slot = Some(x / s),
            Some(_) => {
                flags.set(Flag::InvalidInput);
                flags.set(Flag::InsufficientData);
            }
            None => flags.set(Flag::InsufficientData),
        }
    }
    let complete = singles.iter().all(Option::is_some);
    let total = complete.then(|| singles.iter().flatten().sum::<f64>());
    let max_single = if complete {
        let mut best: Option<(Pollutant, f64)> = None;
        for (p, v) in Pollutant::ALL.iter().zip(singles.iter()) {
            if let Some(v) = v
                && best.is_none_or(|(_, b)| *v > b)
            {
                best = Some((*p, *v));
            }
        }
        best.map(|(p, _)| p)
    } else {
        None
    };
    CompositeIndex {
        total,
        singles,
        max_single,
        flags,
    }
}

/// Good and polluted day counts of a period (STANDARDS.md §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DayCounts {
    /// Days with a daily AQI.
    pub valid_days: u32,
    /// 优良天数: AQI ≤ 100.
    pub good_days: u32,
    /// 重污染天数: AQI > 200 (重度 + 严重).
    pub heavy_days: u32,
    /// 严重污染天数: AQI > 300.
    pub severe_days: u32,
    /// 优良天数比例 = good / valid × 100, unrounded; `None` without valid days.
    pub good_ratio_percent: Option<f64>,
    /// Valid days against days in the input.
    pub capture: Capture,
    /// [`Flag::InsufficientData`] when there is no valid day.
    pub flags: Flags,
}

/// Count good (AQI ≤ 100), heavy (> 200) and severe (> 300) days among the daily AQIs;
/// `None` = no daily AQI that day (HJ 633 Table 5 levels, STANDARDS.md §3.2).
pub fn day_counts(daily_aqi: &[Option<u32>]) -> DayCounts {
    day_counts_iter(daily_aqi.iter().copied(), daily_aqi.len() as u32)
}

fn day_counts_iter(aqis: impl Iterator<Item = Option<u32>>, days: u32) -> DayCounts {
    let (mut valid, mut good, mut heavy, mut severe) = (0u32, 0u32, 0u32, 0u32);
    for a in aqis.flatten() {
        valid += 1;
        if a <= 100 {
            good += 1;
        }
        if a > 200 {
            heavy += 1;
        }
        if a > 300 {
            severe += 1;
        }
    }
    let good_ratio_percent = (valid > 0).then(|| 100.0 * f64::from(good) / f64::from(valid));
    DayCounts {
        valid_days: valid,
        good_days: good,
        heavy_days: heavy,
        severe_days: severe,
        good_ratio_percent,
        capture: Capture::new(valid, days),
        flags: if valid == 0 {
            Flags::EMPTY.with(Flag::InsufficientData)
        } else {
            Flags::EMPTY
        },
    }
}

/// One day of a city or station: the daily statistics and the daily AQI.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DailyRecord {
    /// The natural day.
    pub date: Date,
    /// SO2 24 h mean, µg/m³.
    pub so2: Option<f64>,
    /// NO2 24 h mean, µg/m³.
    pub no2: Option<f64>,
    /// PM10 24 h mean, µg/m³.
    pub pm10: Option<f64>,
    /// PM2.5 24 h mean, µg/m³.
    pub pm25: Option<f64>,
    /// CO 24 h mean, mg/m³.
    pub co: Option<f64>,
    /// O3 daily max 8 h mean, µg/m³.
    pub o3_8h: Option<f64>,
    /// Daily AQI.
    pub aqi: Option<u32>,
    /// Whether the day is dust-affected (沙尘天气过程影响日), as designated by CNEMC.
    pub dust: bool,
}

impl DailyRecord {
    /// A day with no data, not dust-affected.
    pub const fn empty(date: Date) -> DailyRecord {
        DailyRecord {
            date,
            so2: None,
            no2: None,
            pm10: None,
            pm25: None,
            co: None,
            o3_8h: None,
            aqi: None,
            dust: false,
        }
    }
}

/// Whether dust-affected days are removed from the PM statistics (扣沙).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DustPolicy {
    /// Every day counts (the raw view).
    Keep,
    /// PM10 and PM2.5 of dust days are dropped from the means and the composite index.
    Exclude,
}

/// Statistics of a period (month, quarter, half-year, year, or any range of days).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PeriodSummary {
    /// Limits the composite index used.
    pub basis: CompositeBasis,
    /// Dust policy applied.
    pub dust_policy: DustPolicy,
    /// Days (records) in the period.
    pub days: u32,
    /// Dust-affected days in the period.
    pub dust_days: u32,
    /// SO2 mean of valid daily means.
    pub so2: Stat,
    /// NO2 mean of valid daily means.
    pub no2: Stat,
    /// PM10 mean of valid daily means (without dust days under [`DustPolicy::Exclude`]).
    pub pm10: Stat,
    /// PM2.5 mean of valid daily means (without dust days under [`DustPolicy::Exclude`]).
    pub pm25: Stat,
    /// CO 24 h 95th percentile (HJ 663 Annex A).
    pub co_p95: Stat,
    /// O3 daily max 8 h 90th percentile (HJ 663 Annex A).
    pub o3_8h_p90: Stat,
    /// Composite index of the above.
    pub composite: CompositeIndex,
    /// Day counts over all days (dust days kept).
    pub day_counts: DayCounts,
    /// Under [`DustPolicy::Exclude`]: the day counts with dust days whose AQI exceeds 100 removed
    /// ("扣除沙尘异常超标天", the MEE bulletin variant, \[U\]); `None` under [`DustPolicy::Keep`].
    pub day_counts_without_dust_exceedances: Option<DayCounts>,
    /// Union of the flags of the statistics.
    pub flags: Flags,
}

impl PeriodSummary {
    /// The composite inputs of this summary.
    pub fn inputs(&self) -> CompositeInputs {
        CompositeInputs {
            so2: self.so2.value,
            no2: self.no2.value,
            pm10: self.pm10.value,
            pm25: self.pm25.value,
            co_p95: self.co_p95.value,
            o3_8h_p90: self.o3_8h_p90.value,
        }
    }
}

/// Both views of a period: every day, and dust days excluded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DustViews {
    /// [`DustPolicy::Keep`].
    pub raw: PeriodSummary,
    /// [`DustPolicy::Exclude`].
    pub dust_excluded: PeriodSummary,
}

/// Mean of the valid values; `expected` = days that could have contributed.
fn mean_stat(values: impl Iterator<Item = Option<f64>>, expected: u32) -> Stat {
    let (mut n, mut sum, mut flags) = (0u32, 0.0, Flags::EMPTY);
    for v in values.flatten() {
        if v.is_finite() && v >= 0.0 {
            n += 1;
            sum += v;
        } else {
            flags.set(Flag::InvalidInput);
        }
    }
    let capture = Capture::new(n, expected);
    if n == 0 {
        Stat {
            value: None,
            capture,
            flags: flags.with(Flag::InsufficientData),
        }
    } else {
        Stat {
            value: Some(sum / f64::from(n)),
            capture,
            flags,
        }
    }
}

fn percentile_stat(values: impl Iterator<Item = Option<f64>>, expected: u32, p: f64) -> Stat {
    let mut flags = Flags::EMPTY;
    let mut v: Vec<f64> = Vec::new();
    for x in values.flatten() {
        if x.is_finite() && x >= 0.0 {
            v.push(x);
        } else {
            flags.set(Flag::InvalidInput);
        }
    }
    let capture = Capture::new(v.len() as u32, expected);
    match hj663::percentile(&mut v, p) {
        Some(value) => Stat {
            value: Some(value),
            capture,
            flags,
        },
        None => Stat {
            value: None,
            capture,
            flags: flags.with(Flag::InsufficientData),
        },
    }
}

/// Period statistics, composite index and day counts of `records` (one per day; order does not
/// matter). Means average the valid daily means (GB 3095 §3.11–3.13); CO P95 and O3-8h P90 use
/// HJ 663 Annex A over the valid days. Under [`DustPolicy::Exclude`] the PM10 and PM2.5
/// statistics, and so the composite index, leave out dust days and carry
/// [`Flag::DustExcluded`] when the period has any.
pub fn period_summary(
    basis: CompositeBasis,
    records: &[DailyRecord],
    dust: DustPolicy,
) -> PeriodSummary {
    let days = records.len() as u32;
    let dust_days = records.iter().filter(|r| r.dust).count() as u32;
    let exclude = dust == DustPolicy::Exclude;
    let excluding = exclude && dust_days > 0;
    let keep_pm = |r: &DailyRecord| !(exclude && r.dust);
    let pm_expected = if exclude { days - dust_days } else { days };

    let so2 = mean_stat(records.iter().map(|r| r.so2), days);
    let no2 = mean_stat(records.iter().map(|r| r.no2), days);
    let mut pm10 = mean_stat(
        records.iter().filter(|r| keep_pm(r)).map(|r| r.pm10),
        pm_expected,
    );
    let mut pm25 = mean_stat(
        records.iter().filter(|r| keep_pm(r)).map(|r| r.pm25),
        pm_expected,
    );
    if excluding {
        pm10.flags.set(Flag::DustExcluded);
        pm25.flags.set(Flag::DustExcluded);
    }
    let co_p95 = percentile_stat(records.iter().map(|r| r.co), days, 0.95);
    let o3_8h_p90 = percentile_stat(records.iter().map(|r| r.o3_8h), days, 0.90);

    let inputs = CompositeInputs {
        so2: so2.value,
        no2: no2.value,
        pm10: pm10.value,
        pm25: pm25.value,
        co_p95: co_p95.value,
        o3_8h_p90: o3_8h_p90.value,
    };
    let mut composite = composite_index(basis, &inputs);
    if excluding {
        composite.flags.set(Flag::DustExcluded);
    }
    let day_counts = day_counts_iter(records.iter().map(|r| r.aqi), days);
    let day_counts_without_dust_exceedances = exclude.then(|| {
        let kept = records
            .iter()
            .filter(|r| !(r.dust && r.aqi.is_some_and(|a| a > 100)));
        let n = kept.clone().count() as u32;
        let mut c = day_counts_iter(kept.map(|r| r.aqi), n);
        if excluding {
            c.flags.set(Flag::DustExcluded);
        }
        c
    });
    let flags = [so2, no2, pm10, pm25, co_p95, o3_8h_p90]
        .iter()
        .fold(composite.flags, |acc, s| acc.union(s.flags));
    PeriodSummary {
        basis,
        dust_policy: dust,
        days,
        dust_days,
        so2,
        no2,
        pm10,
        pm25,
        co_p95,
        o3_8h_p90,
        composite,
        day_counts,
        day_counts_without_dust_exceedances,
        flags,
    }
}

/// Both views of a period: [`DustPolicy::Keep`] and [`DustPolicy::Exclude`].
pub fn period_views(basis: CompositeBasis, records: &[DailyRecord]) -> DustViews {
    DustViews {
        raw: period_summary(basis, records, DustPolicy::Keep),
        dust_excluded: period_summary(basis, records, DustPolicy::Exclude),
    }
}

/// Ranking direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Order {
    /// Smallest first (composite index, concentrations).
    Ascending,
    /// Largest first (good-day ratio).
    Descending,
}

/// Largest `decimals` honoured by [`rank_competition`]; an `f64` holds no more.
pub const MAX_RANK_DECIMALS: u32 = 15;

/// Competition ranking ("1, 2, 2, 4"; 并列 ties), comparing values rounded half-up to
/// `decimals` places (the published precision, at most [`MAX_RANK_DECIMALS`]) so that values
/// equal as published tie. `None`, NaN and infinite values are unranked (`None`) and take no
/// rank. Output is aligned with `values`.
pub fn rank_competition(values: &[Option<f64>], order: Order, decimals: u32) -> Vec<Option<u32>> {
    let d = decimals.min(MAX_RANK_DECIMALS);
    let key = |v: f64| {
        let k = round::half_up(v, d);
        if k.is_finite() { k } else { v }
    };
    let mut keyed: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.filter(|x| x.is_finite()).map(|x| (i, key(x))))
        .collect();
    keyed.sort_by(|a, b| match order {
        Order::Ascending => a.1.total_cmp(&b.1),
        Order::Descending => b.1.total_cmp(&a.1),
    });
    let mut ranks = vec![None; values.len()];
    let mut rank = 0u32;
    let mut prev: Option<f64> = None;
    for (pos, (i, k)) in keyed.iter().enumerate() {
        if prev != Some(*k) {
            rank = pos as u32 + 1;
            prev = Some(*k);
        }
        if let Some(slot) = ranks.get_mut(*i) {
            *slot = Some(rank);
        }
    }
    ranks
}

/// 变化率 against the same period last year, in percent: `(current − last_year)/last_year ×
/// 100` (STANDARDS.md §3.1). Positive = higher now (worse, for concentrations and the index).
/// `None` when `last_year ≤ 0` or either value is not finite.
pub fn change_rate_percent(current: f64, last_year: f64) -> Option<f64> {
    if !current.is_finite() || !last_year.is_finite() || last_year <= 0.0 {
        return None;
    }
    Some((current - last_year) / last_year * 100.0)
}

/// Change of a ratio (e.g. the good-day ratio) in percentage points (百分点): `current −
/// last_year`. `None` when either is not finite.
pub fn change_points(current: f64, last_year: f64) -> Option<f64> {
    (current.is_finite() && last_year.is_finite()).then_some(current - last_year)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gb3095::{self, Averaging, Grade};
    use proptest::prelude::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn divisors_match_gb3095() {
        for basis in [
            CompositeBasis::Gb3095_2012,
            CompositeBasis::Gb3095_2026Transition,
            CompositeBasis::Gb3095_2026Final,
        ] {
            let ph = basis.phase();
            assert_eq!(CompositeBasis::for_phase(ph), basis);
            for (p, s) in Pollutant::ALL.iter().zip(basis.divisors()) {
                let avg = match p {
                    Pollutant::Co => Averaging::Day24h,
                    Pollutant::O3 => Averaging::DailyMax8h,
                    _ => Averaging::Annual,
                };
                assert_eq!(
                    gb3095::limit(ph, Grade::II, *p, avg),
                    Some(s),
                    "{basis:?} {p}"
                );
            }
        }
        assert_eq!(
            CompositeBasis::Gb3095_2012.divisors(),
            [60.0, 40.0, 70.0, 4.0, 160.0, 35.0]
        );
    }

    #[test]
    fn composite_2012_hand_worked() {
        let c = CompositeInputs {
            so2: Some(10.0),
            no2: Some(30.0),
            pm10: Some(70.0),
            pm25: Some(35.0),
            co_p95: Some(1.2),
            o3_8h_p90: Some(160.0),
        };
        let i = composite_index(CompositeBasis::Gb3095_2012, &c);
        // 10/60 + 30/40 + 70/70 + 1.2/4 + 160/160 + 35/35
        assert!(close(i.total, 10.0 / 60.0 + 0.75 + 1.0 + 0.3 + 1.0 + 1.0));
        assert!(close(i.singles[0], 10.0 / 60.0));
        assert!(close(i.singles[3], 0.3));
        // PM10, O3 and PM2.5 tie at 1.0: the first in report order is named.
        assert_eq!(i.max_single, Some(Pollutant::Pm10));
        assert!(i.flags.is_empty());
        // The same inputs on the transition basis: PM10/60, PM2.5/30.
        let t = composite_index(CompositeBasis::Gb3095_2026Transition, &c);
        assert!(close(
            t.total,
            10.0 / 60.0 + 0.75 + 70.0 / 60.0 + 0.3 + 1.0 + 35.0 / 30.0
        ));
        // PM10 70/60 and PM2.5 35/30 tie again: PM10 comes first.
        assert_eq!(t.max_single, Some(Pollutant::Pm10));
        let c36 = CompositeInputs {
            pm25: Some(36.0),
            ..c
        };
        let t = composite_index(CompositeBasis::Gb3095_2026Transition, &c36);
        assert_eq!(t.max_single, Some(Pollutant::Pm25));
        let f = composite_index(CompositeBasis::Gb3095_2026Final, &c);
        assert!(close(f.total, 0.5 + 1.0 + 1.4 + 0.3 + 1.0 + 1.4));
    }

    #[test]
    fn composite_missing_input() {
        let c = CompositeInputs {
            so2: Some(10.0),
            no2: Some(30.0),
            ..Default::default()
        };
        let i = composite_index(CompositeBasis::Gb3095_2012, &c);
        assert_eq!(i.total, None);
        assert_eq!(i.max_single, None);
        assert!(i.flags.has(Flag::InsufficientData));
        assert!(close(i.singles[1], 0.75));
        assert_eq!(i.singles[2], None);
        let c = CompositeInputs {
            so2: Some(-1.0),
            no2: Some(30.0),
            pm10: Some(70.0),
            pm25: Some(35.0),
            co_p95: Some(1.2),
            o3_8h_p90: Some(f64::NAN),
        };
        let i = composite_index(CompositeBasis::Gb3095_2012, &c);
        assert_eq!(i.total, None);
        assert!(i.flags.has(Flag::InvalidInput));
    }

    #[test]
    fn day_counting() {
        let a = [
            Some(50),
            Some(100),
            Some(101),
            Some(200),
            Some(201),
            Some(300),
            Some(301),
            None,
        ];
        let c = day_counts(&a);
        assert_eq!(c.valid_days, 7);
        assert_eq!(c.good_days, 2);
        assert_eq!(c.heavy_days, 3);
        assert_eq!(c.severe_days, 1);
        assert!(close(c.good_ratio_percent, 200.0 / 7.0));
        assert_eq!(c.capture, Capture::new(7, 8));
        let c = day_counts(&[None, None]);
        assert_eq!(c.good_ratio_percent, None);
        assert!(c.flags.has(Flag::InsufficientData));
        assert_eq!(day_counts(&[]).valid_days, 0);
    }

    fn rec(day: i32, pm25: f64, pm10: f64, aqi: u32, dust: bool) -> DailyRecord {
        DailyRecord {
            date: Date::from_ymd_const(2025, 3, 1).add_days(day),
            so2: Some(10.0),
            no2: Some(30.0),
            pm10: Some(pm10),
            pm25: Some(pm25),
            co: Some(1.0),
            o3_8h: Some(100.0),
            aqi: Some(aqi),
            dust,
        }
    }

    #[test]
    fn dust_exclusion() {
        let records = [
            rec(0, 30.0, 60.0, 70, false),
            rec(1, 40.0, 80.0, 90, false),
            rec(2, 120.0, 600.0, 500, true),
            rec(3, 50.0, 100.0, 100, false),
        ];
        let v = period_views(CompositeBasis::Gb3095_2012, &records);
        // Raw: every day.
        assert!(close(v.raw.pm25.value, 60.0));
        assert!(close(v.raw.pm10.value, 210.0));
        assert!(!v.raw.flags.has(Flag::DustExcluded));
        assert_eq!(v.raw.day_counts_without_dust_exceedances, None);
        // Excluded: the dust day drops out of PM only.
        let e = v.dust_excluded;
        assert_eq!(e.dust_days, 1);
        assert!(close(e.pm25.value, 40.0));
        assert!(close(e.pm10.value, 80.0));
        assert_eq!(e.pm25.capture, Capture::new(3, 3));
        assert!(e.pm25.flags.has(Flag::DustExcluded));
        assert!(e.composite.flags.has(Flag::DustExcluded));
        assert!(e.flags.has(Flag::DustExcluded));
        assert!(close(e.so2.value, 10.0));
        assert_eq!(e.so2.capture, Capture::new(4, 4));
        // CO P95 and O3 P90 of constant values.
        assert!(close(e.co_p95.value, 1.0));
        assert!(close(e.o3_8h_p90.value, 100.0));
        let expect =
            10.0 / 60.0 + 30.0 / 40.0 + 80.0 / 70.0 + 1.0 / 4.0 + 100.0 / 160.0 + 40.0 / 35.0;
        assert!(close(e.composite.total, expect));
        // Good-day ratio keeps the dust day (3 of 4) ...
        assert_eq!(e.day_counts, v.raw.day_counts);
        assert_eq!(e.day_counts.good_days, 3);
        assert!(close(e.day_counts.good_ratio_percent, 75.0));
        assert_eq!(e.day_counts.heavy_days, 1);
        // ... the bulletin variant removes the dust exceedance day (3 of 3).
        let adj = e.day_counts_without_dust_exceedances.unwrap();
        assert_eq!(adj.valid_days, 3);
        assert!(close(adj.good_ratio_percent, 100.0));
        assert_eq!(adj.heavy_days, 0);
        // No dust day: no flag even under Exclude.
        let clean = period_summary(
            CompositeBasis::Gb3095_2012,
            &records[..2],
            DustPolicy::Exclude,
        );
        assert!(!clean.flags.has(Flag::DustExcluded));
        assert_eq!(
            clean.composite.total,
            period_summary(CompositeBasis::Gb3095_2012, &records[..2], DustPolicy::Keep)
                .composite
                .total
        );
    }

    #[test]
    fn period_percentiles_and_gaps() {
        // CO over 21 days 0.1..2.1 → P95: k = 1 + 20·0.95 = 20 → X(20) = 2.0.
        // O3 over the same days 10..210 → P90: k = 1 + 20·0.9 = 19 → X(19) = 190.
        let mut records: Vec<DailyRecord> = (0..21)
            .map(|i| DailyRecord {
                co: Some(f64::from(i + 1) / 10.0),
                o3_8h: Some(f64::from(i + 1) * 10.0),
                ..DailyRecord::empty(Date::from_ymd_const(2025, 1, 1).add_days(i))
            })
            .collect();
        records[0].so2 = Some(12.0);
        records[1].so2 = Some(f64::INFINITY);
        let s = period_summary(CompositeBasis::Gb3095_2012, &records, DustPolicy::Keep);
        assert!(close(s.co_p95.value, 2.0));
        assert!(close(s.o3_8h_p90.value, 190.0));
        assert!(close(s.so2.value, 12.0));
        assert_eq!(s.so2.capture, Capture::new(1, 21));
        assert!(s.so2.flags.has(Flag::InvalidInput));
        assert_eq!(s.pm25.value, None);
        assert_eq!(s.composite.total, None);
        assert!(s.flags.has(Flag::InsufficientData));
        assert_eq!(s.inputs().co_p95, s.co_p95.value);
        // Empty period.
        let s = period_summary(CompositeBasis::Gb3095_2012, &[], DustPolicy::Exclude);
        assert_eq!(s.composite.total, None);
        assert_eq!(s.day_counts.valid_days, 0);
    }

    #[test]
    fn ranking_ties() {
        let r = rank_competition(
            &[Some(3.1), Some(4.2), Some(4.2), Some(5.0)],
            Order::Ascending,
            2,
        );
        assert_eq!(r, vec![Some(1), Some(2), Some(2), Some(4)]);
        let r = rank_competition(
            &[Some(3.1), Some(4.2), Some(4.2), Some(5.0)],
            Order::Descending,
            2,
        );
        assert_eq!(r, vec![Some(4), Some(2), Some(2), Some(1)]);
        // 45.004 and 44.996 are both 45 at 0 (and 2) decimals: tie; at 3 decimals they differ.
        let v = [Some(45.004), Some(44.996), Some(50.0)];
        assert_eq!(
            rank_competition(&v, Order::Ascending, 0),
            vec![Some(1), Some(1), Some(3)]
        );
        assert_eq!(
            rank_competition(&v, Order::Ascending, 2),
            vec![Some(1), Some(1), Some(3)]
        );
        assert_eq!(
            rank_competition(&v, Order::Ascending, 3),
            vec![Some(2), Some(1), Some(3)]
        );
        // Half-up at the published precision: 4.125 → 4.13 ties with 4.13.
        let v = [Some(4.125), Some(4.13), Some(4.12)];
        assert_eq!(
            rank_competition(&v, Order::Ascending, 2),
            vec![Some(2), Some(2), Some(1)]
        );
        // Missing values are unranked and do not take a rank.
        let v = [None, Some(2.0), Some(f64::NAN), Some(1.0)];
        assert_eq!(
            rank_competition(&v, Order::Ascending, 2),
            vec![None, Some(2), None, Some(1)]
        );
        assert!(rank_competition(&[], Order::Ascending, 2).is_empty());
        // Absurd precision does not break ties of equal values.
        assert_eq!(
            rank_competition(&[Some(1.0), Some(1.0)], Order::Ascending, 400),
            vec![Some(1), Some(1)]
        );
    }

    #[test]
    fn change_rates() {
        assert!(close(change_rate_percent(4.4, 4.0), 10.0));
        assert!(close(change_rate_percent(3.0, 4.0), -25.0));
        assert_eq!(change_rate_percent(3.0, 0.0), None);
        assert_eq!(change_rate_percent(3.0, -1.0), None);
        assert_eq!(change_rate_percent(f64::NAN, 1.0), None);
        assert!(close(change_points(80.5, 78.0), 2.5));
    }

    proptest! {
        /// Values equal at the published precision get equal ranks; ranks lie in 1..=count of
        /// ranked values; a rank r has exactly r − 1 strictly better values.
        #[test]
        fn ranking_properties(
            vals in proptest::collection::vec(proptest::option::of(0.0f64..100.0), 0..40),
            dec in 0u32..3,
            asc in any::<bool>(),
        ) {
            let order = if asc { Order::Ascending } else { Order::Descending };
            let r = rank_competition(&vals, order, dec);
            prop_assert_eq!(r.len(), vals.len());
            let ranked = vals.iter().flatten().count() as u32;
            for (i, (vi, ri)) in vals.iter().zip(&r).enumerate() {
                prop_assert_eq!(vi.is_some(), ri.is_some());
                let (Some(vi), Some(ri)) = (vi, ri) else { continue };
                prop_assert!(*ri >= 1 && *ri <= ranked);
                let ki = round::half_up(*vi, dec);
                let better = vals.iter().flatten().filter(|v| {
                    let k = round::half_up(**v, dec);
                    if asc { k < ki } else { k > ki }
                }).count() as u32;
                prop_assert_eq!(*ri, better + 1);
                for (j, vj) in vals.iter().enumerate() {
                    if vj.is_some_and(|vj| round::half_up(vj, dec) == ki) {
                        prop_assert_eq!(r[j], Some(*ri), "{} {}", i, j);
                    }
                }
            }
        }

        /// The total is the sum of the singles and grows with every input.
        #[test]
        fn composite_is_sum(xs in proptest::array::uniform6(0.0f64..300.0), bump in 0.0f64..50.0, which in 0usize..6) {
            let mk = |a: [f64; 6]| CompositeInputs {
                so2: Some(a[0]), no2: Some(a[1]), pm10: Some(a[2]),
                co_p95: Some(a[3] / 50.0), o3_8h_p90: Some(a[4]), pm25: Some(a[5]),
            };
            let i = composite_index(CompositeBasis::Gb3095_2012, &mk(xs));
            let s: f64 = i.singles.iter().flatten().sum();
            prop_assert!(close(i.total, s));
            let mut ys = xs;
            ys[which] += bump;
            let j = composite_index(CompositeBasis::Gb3095_2012, &mk(ys));
            prop_assert!(j.total.unwrap_or(0.0) >= i.total.unwrap_or(0.0) - 1e-12);
        }

        /// severe ≤ heavy ≤ valid − good, good ≤ valid.
        #[test]
        fn day_count_bounds(a in proptest::collection::vec(proptest::option::of(0u32..600), 0..60)) {
            let c = day_counts(&a);
            prop_assert!(c.good_days <= c.valid_days);
            prop_assert!(c.severe_days <= c.heavy_days);
            prop_assert!(c.heavy_days <= c.valid_days - c.good_days);
        }
    }
}

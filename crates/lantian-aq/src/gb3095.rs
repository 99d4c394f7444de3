//! GB 3095 concentration limits, annual data validity and annual attainment (年评价).
//!
//! * Limits: GB 3095—2012 Table 1/Table 2 and GB 3095—2026 Table 1/Table 2 with the
//!   transition (2026-03-01 … 2030-12-31) and final (from 2031-01-01) phases of GB 3095—2026
//!   §4.4 (STANDARDS.md §3.3). Values for the basic six are µg/m³, CO mg/m³; Table 2 items are
//!   µg/m³.
//! * Annual validity: GB 3095—2026 Table 4 (GB 3095—2012 Table 4 has the same rule, \[U\]):
//!   ≥ 324 daily values a year and ≥ 27 a month (February ≥ 25).
//! * Annual evaluation: HJ 663—2013 "年评价" statistics (STANDARDS.md §2.3): annual mean for
//!   SO2, NO2, PM10, PM2.5; the 98th (SO2, NO2), 95th (PM10, PM2.5, CO) or 90th (O3 daily max
//!   8 h) percentile of the daily values, by HJ 663—2013 Annex A ([`crate::hj663::percentile`]).
//!
//! # Decisions where the standards are unverified
//! * **Attainment needs both statistics** (STANDARDS.md §2.3, \[U\]): a pollutant attains when its
//!   annual mean (where one exists) is ≤ the annual limit *and* its percentile value is ≤ the
//!   24 h limit (O3: the 8 h limit). Equal to the limit attains ("≤", GB 3095 limits are maxima).
//! * **Comparison method** (\[U\]): HJ 663 cites GB/T 8170, whose default when a standard does not
//!   say otherwise is the full-value comparison (全数值比较法, GB/T 8170—2008 §4.3). `attained`
//!   therefore compares unrounded values. Because bulletins publish rounded values, the result
//!   also carries `attained_at_reported_precision`: the rounded-value comparison (修约值比较法)
//!   with the value rounded per GB/T 8170 (half to even) to the reporting precision
//!   ([`Pollutant::report_decimals`]). They differ only within half a unit of a limit.
//! * **Validity of the CO and O3 percentiles** (\[U\]): GB 3095 Table 4 states the 324/27 rule for
//!   the annual means of SO2, NO2, PM10 and PM2.5; it is applied here to every annual statistic
//!   of the six pollutants, CO and O3 percentiles included (a percentile of a year is a
//!   statistic of that year).
//! * **Insufficient data**: when the validity rule fails, the statistics come back with
//!   `value: None` and [`Flag::InsufficientData`] (the convention of [`Stat`]), and `attained` is
//!   `None`.
//! * **GB 3095—2012 Table 2** values are from memory (\[U\]); they equal the GB 3095—2026 Table 2
//!   transition column, which is what the transition is for.

use crate::hj663::{self, Stat};
use crate::pollutant::Pollutant;
use crate::quality::{Capture, Flag, Flags};
use crate::round;
use crate::rules::Gb3095Phase;
use crate::time::{days_in_month, days_in_year};
use serde::Serialize;

/// Grade of limit (GB 3095 §4.1–4.2): Grade I (一级) applies to 一类区 (nature reserves, scenic
/// areas), Grade II (二级) to 二类区 (residential, commercial, industrial, rural). A district
/// government assesses against Grade II.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Grade {
    /// 一级浓度限值.
    I,
    /// 二级浓度限值.
    II,
}

impl Grade {
    const fn col(self) -> usize {
        match self {
            Grade::I => 0,
            Grade::II => 1,
        }
    }
}

/// Averaging time of a limit (GB 3095 Table 1 / Table 2 "平均时间").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Averaging {
    /// 年平均.
    Annual,
    /// 季平均 (Pb only, Table 2).
    Quarterly,
    /// 24 小时平均.
    Day24h,
    /// 日最大 8 小时平均 (O3).
    DailyMax8h,
    /// 1 小时平均.
    Hour1,
}

/// The items of GB 3095 Table 2 (其他项目). Kept apart from [`Pollutant`], which stays the six
/// basic items of Table 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum OtherItem {
    /// 总悬浮颗粒物 TSP, µg/m³.
    Tsp,
    /// 氮氧化物 NOx, µg/m³.
    Nox,
    /// 铅 Pb, µg/m³.
    Pb,
    /// 苯并\[a\]芘 BaP, µg/m³.
    Bap,
}

/// `[Grade I, Grade II]` for GB 3095—2012, the 2026 transition phase and the 2026 final phase.
type PhaseRow = ([f64; 2], [f64; 2], [f64; 2]);

fn pick(row: PhaseRow, phase: Gb3095Phase, grade: Grade) -> f64 {
    let cols = match phase {
        Gb3095Phase::Y2012 => row.0,
        Gb3095Phase::Transition2026 => row.1,
        Gb3095Phase::Final2031 => row.2,
    };
    cols[grade.col()]
}

/// Concentration limit of a basic pollutant (µg/m³; CO mg/m³), `None` where GB 3095 sets none
/// (e.g. CO annual, O3 24 h, PM 1 h).
///
/// GB 3095—2012 Table 1; GB 3095—2026 Table 1 with the transition limits (to 2030-12-31) and
/// final limits (from 2031-01-01) of §4.4. Values: STANDARDS.md §3.3.
pub fn limit(phase: Gb3095Phase, grade: Grade, p: Pollutant, avg: Averaging) -> Option<f64> {
    use Averaging as A;
    use Pollutant as P;
    //                                   2012           2026 transition   2026 final
    let row: PhaseRow = match (p, avg) {
        (P::So2, A::Annual) => ([20.0, 60.0], [20.0, 60.0], [20.0, 20.0]),
        (P::So2, A::Day24h) => ([50.0, 150.0], [50.0, 150.0], [50.0, 50.0]),
        (P::So2, A::Hour1) => ([150.0, 500.0], [150.0, 500.0], [150.0, 150.0]),
        (P::No2, A::Annual) => ([40.0, 40.0], [40.0, 40.0], [30.0, 30.0]),
        (P::No2, A::Day24h) => ([80.0, 80.0], [80.0, 80.0], [50.0, 50.0]),
        (P::No2, A::Hour1) => ([200.0, 200.0], [200.0, 200.0], [200.0, 200.0]),
        (P::Co, A::Day24h) => ([4.0, 4.0], [4.0, 4.0], [4.0, 4.0]),
        (P::Co, A::Hour1) => ([10.0, 10.0], [10.0, 10.0], [10.0, 10.0]),
        (P::O3, A::DailyMax8h) => ([100.0, 160.0], [100.0, 160.0], [100.0, 160.0]),
        (P::O3, A::Hour1) => ([160.0, 200.0], [160.0, 200.0], [160.0, 200.0]),
        (P::Pm10, A::Annual) => ([40.0, 70.0], [40.0, 60.0], [20.0, 50.0]),
        (P::Pm10, A::Day24h) => ([50.0, 150.0], [50.0, 120.0], [50.0, 100.0]),
        (P::Pm25, A::Annual) => ([15.0, 35.0], [15.0, 30.0], [10.0, 25.0]),
        (P::Pm25, A::Day24h) => ([35.0, 75.0], [35.0, 60.0], [25.0, 50.0]),
        _ => return None,
    };
    Some(pick(row, phase, grade))
}

/// Concentration limit of a GB 3095 Table 2 item (µg/m³), `None` where none is set.
///
/// GB 3095—2026 Table 2 (STANDARDS.md §3.3): NOx annual 40 and 24 h 70 from 2031, with the
/// transition values 50 and 100 to 2030-12-31; TSP, Pb and BaP unchanged. GB 3095—2012 Table 2
/// (\[U\], from memory) equals the transition column. Grades I and II are equal except for TSP.
pub fn other_limit(
    phase: Gb3095Phase,
    grade: Grade,
    item: OtherItem,
    avg: Averaging,
) -> Option<f64> {
    use Averaging as A;
    use OtherItem as O;
    let row: PhaseRow = match (item, avg) {
        (O::Tsp, A::Annual) => ([80.0, 200.0], [80.0, 200.0], [80.0, 200.0]),
        (O::Tsp, A::Day24h) => ([120.0, 300.0], [120.0, 300.0], [120.0, 300.0]),
        (O::Nox, A::Annual) => ([50.0, 50.0], [50.0, 50.0], [40.0, 40.0]),
        (O::Nox, A::Day24h) => ([100.0, 100.0], [100.0, 100.0], [70.0, 70.0]),
        (O::Nox, A::Hour1) => ([250.0, 250.0], [250.0, 250.0], [250.0, 250.0]),
        (O::Pb, A::Annual) => ([0.5, 0.5], [0.5, 0.5], [0.5, 0.5]),
        (O::Pb, A::Quarterly) => ([1.0, 1.0], [1.0, 1.0], [1.0, 1.0]),
        (O::Bap, A::Annual) => ([0.001, 0.001], [0.001, 0.001], [0.001, 0.001]),
        (O::Bap, A::Day24h) => ([0.0025, 0.0025], [0.0025, 0.0025], [0.0025, 0.0025]),
        _ => return None,
    };
    Some(pick(row, phase, grade))
}

/// 超标倍数: `(value − limit) / limit` when `value > limit`; `None` when the value does not
/// exceed the limit, or either number is not finite, or the limit is not positive.
pub fn exceedance_multiple(value: f64, limit: f64) -> Option<f64> {
    if !value.is_finite() || !limit.is_finite() || limit <= 0.0 || value <= limit {
        return None;
    }
    Some((value - limit) / limit)
}

/// Minimum valid daily values in a year for an annual statistic (GB 3095 Table 4).
pub const ANNUAL_MIN_DAYS: u32 = 324;
/// Minimum valid daily values in each month (GB 3095 Table 4), February excepted.
pub const MONTH_MIN_DAYS: u32 = 27;
/// Minimum valid daily values in February (GB 3095 Table 4 "二月至少有25个").
pub const FEBRUARY_MIN_DAYS: u32 = 25;

/// Whether a month has enough valid daily values for the annual statistics (GB 3095 Table 4:
/// ≥ 27, February ≥ 25, in common and leap years alike). `false` for an invalid month or a
/// count larger than the month has days (impossible data).
pub fn month_valid(year: i32, month: u32, valid_days: u32) -> bool {
    let dim = days_in_month(year, month);
    if dim == 0 || valid_days > dim {
        return false;
    }
    let min = if month == 2 {
        FEBRUARY_MIN_DAYS
    } else {
        MONTH_MIN_DAYS
    };
    valid_days >= min
}

/// Data validity of an annual statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Validity {
    /// Whether every checked rule holds.
    pub valid: bool,
    /// Valid daily values against the days of the year (or of the series given).
    pub capture: Capture,
    /// Days required in the year ([`ANNUAL_MIN_DAYS`]).
    pub required_days: u32,
    /// Per month (January first), whether the month rule holds; `None` when the months were not
    /// known (a series without dates) and only the yearly count was checked.
    pub months_ok: Option<[bool; 12]>,
    /// [`Flag::InsufficientData`] when not valid.
    pub flags: Flags,
}

/// Annual validity from the valid daily values of each month (GB 3095—2026 Table 4; GB 3095—2012
/// Table 4): ≥ 324 in the year and ≥ 27 in every month (February ≥ 25).
pub fn annual_validity(year: i32, valid_days_per_month: &[u32; 12]) -> Validity {
    let mut months_ok = [false; 12];
    let mut total = 0u32;
    for (i, (&n, ok)) in valid_days_per_month
        .iter()
        .zip(months_ok.iter_mut())
        .enumerate()
    {
        let month = i as u32 + 1;
        *ok = month_valid(year, month, n);
        total = total.saturating_add(n.min(days_in_month(year, month)));
    }
    let valid = total >= ANNUAL_MIN_DAYS && months_ok.iter().all(|&ok| ok);
    Validity {
        valid,
        capture: Capture::new(total, days_in_year(year)),
        required_days: ANNUAL_MIN_DAYS,
        months_ok: Some(months_ok),
        flags: if valid {
            Flags::EMPTY
        } else {
            Flags::EMPTY.with(Flag::InsufficientData)
        },
    }
}

/// The percentile HJ 663 evaluates for a year (STANDARDS.md §2.3): 0.98 for SO2 and NO2, 0.95
/// for PM10, PM2.5 and CO (24 h values), 0.90 for O3 (daily max 8 h values).
pub const fn annual_percentile(p: Pollutant) -> f64 {
    match p {
        Pollutant::So2 | Pollutant::No2 => 0.98,
        Pollutant::Pm10 | Pollutant::Pm25 | Pollutant::Co => 0.95,
        Pollutant::O3 => 0.90,
    }
}

/// The averaging time whose limit the annual percentile is compared with: 24 h, or the daily
/// max 8 h for O3 (HJ 663—2013 年评价).
pub const fn percentile_averaging(p: Pollutant) -> Averaging {
    match p {
        Pollutant::O3 => Averaging::DailyMax8h,
        _ => Averaging::Day24h,
    }
}

/// Whether HJ 663 evaluates an annual mean for the pollutant (SO2, NO2, PM10, PM2.5).
pub const fn has_annual_mean(p: Pollutant) -> bool {
    matches!(
        p,
        Pollutant::So2 | Pollutant::No2 | Pollutant::Pm10 | Pollutant::Pm25
    )
}

/// Result of the annual evaluation of one pollutant (HJ 663—2013 年评价).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AnnualEvaluation {
    /// The pollutant.
    pub pollutant: Pollutant,
    /// Limits used.
    pub phase: Gb3095Phase,
    /// Grade used.
    pub grade: Grade,
    /// Data validity of the year.
    pub validity: Validity,
    /// Annual mean (SO2, NO2, PM10, PM2.5); `None` for CO and O3, which have no annual mean.
    pub mean: Option<Stat>,
    /// The percentile value of the daily values (O3: of the daily max 8 h values).
    pub percentile: Stat,
    /// The percentile evaluated, as a fraction (0.98, 0.95 or 0.90).
    pub percentile_p: f64,
    /// Annual limit, where one exists.
    pub mean_limit: Option<f64>,
    /// 24 h limit (O3: 8 h limit) the percentile is compared with.
    pub percentile_limit: Option<f64>,
    /// 超标倍数 of the mean, when it exceeds.
    pub mean_exceedance: Option<f64>,
    /// 超标倍数 of the percentile value, when it exceeds.
    pub percentile_exceedance: Option<f64>,
    /// Attains: mean ≤ annual limit (where one exists) and percentile ≤ short-term limit,
    /// compared on unrounded values (GB/T 8170 全数值比较法). `None` when data are insufficient.
    pub attained: Option<bool>,
    /// The same judgement on values rounded per GB/T 8170 to the reporting precision
    /// (修约值比较法), as a reader of the published numbers would make it.
    pub attained_at_reported_precision: Option<bool>,
    /// Union of the flags of the parts.
    pub flags: Flags,
}

fn valid_value(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
}

/// Annual evaluation (HJ 663—2013 年评价) of pollutant `p` from its daily values of one year:
/// 24 h means, or for O3 the daily max 8 h values; `None` = no valid value that day.
///
/// Without dates only the yearly count of GB 3095 Table 4 (≥ 324) can be checked; use
/// [`annual_evaluation_for_year`] to apply the monthly rule as well. Negative or non-finite
/// values are ignored ([`Flag::InvalidInput`]).
pub fn annual_evaluation(
    phase: Gb3095Phase,
    grade: Grade,
    p: Pollutant,
    daily: &[Option<f64>],
) -> AnnualEvaluation {
    let n = daily.iter().filter(|v| valid_value(**v).is_some()).count() as u32;
    let valid = n >= ANNUAL_MIN_DAYS;
    let validity = Validity {
        valid,
        capture: Capture::new(n, daily.len() as u32),
        required_days: ANNUAL_MIN_DAYS,
        months_ok: None,
        flags: if valid {
            Flags::EMPTY
        } else {
            Flags::EMPTY.with(Flag::InsufficientData)
        },
    };
    evaluate(phase, grade, p, daily, validity)
}

/// Annual evaluation with the full validity rule of GB 3095 Table 4: `daily[i]` is the value of
/// day `i + 1` of `year` (index 0 = 1 January). Entries beyond the year's last day are ignored
/// and flagged [`Flag::InvalidInput`]; a shorter slice means the remaining days are missing.
pub fn annual_evaluation_for_year(
    phase: Gb3095Phase,
    grade: Grade,
    p: Pollutant,
    year: i32,
    daily: &[Option<f64>],
) -> AnnualEvaluation {
    let ndays = days_in_year(year) as usize;
    let in_year = daily.get(..ndays).unwrap_or(daily);
    let mut per_month = [0u32; 12];
    let mut idx = 0usize;
    for (m, slot) in per_month.iter_mut().enumerate() {
        let dim = days_in_month(year, m as u32 + 1) as usize;
        let end = (idx + dim).min(in_year.len());
        let start = idx.min(end);
        *slot = in_year.get(start..end).map_or(0, |s| {
            s.iter().filter(|v| valid_value(**v).is_some()).count() as u32
        });
        idx += dim;
    }
    let validity = annual_validity(year, &per_month);
    let mut ev = evaluate(phase, grade, p, in_year, validity);
    if daily.len() > ndays {
        ev.flags.set(Flag::InvalidInput);
    }
    ev
}

fn evaluate(
    phase: Gb3095Phase,
    grade: Grade,
    p: Pollutant,
    daily: &[Option<f64>],
    validity: Validity,
) -> AnnualEvaluation {
    let mut input_flags = Flags::EMPTY;
    let mut values: Vec<f64> = Vec::with_capacity(daily.len());
    for v in daily.iter().flatten() {
        if v.is_finite() && *v >= 0.0 {
            values.push(*v);
        } else {
            input_flags.set(Flag::InvalidInput);
        }
    }
    let n = values.len() as u32;
    let capture = Capture::new(n, validity.capture.expected);
    let base = input_flags.union(validity.flags);
    let pp = annual_percentile(p);

    let mean = has_annual_mean(p).then(|| {
        let value = if validity.valid && n > 0 {
            Some(values.iter().sum::<f64>() / f64::from(n))
        } else {
            None
        };
        Stat {
            value,
            capture,
            flags: base,
        }
    });
    let pct_value = if validity.valid {
        hj663::percentile(&mut values, pp)
    } else {
        None
    };
    let percentile = Stat {
        value: pct_value,
        capture,
        flags: if validity.valid && pct_value.is_none() {
            base.with(Flag::InsufficientData)
        } else {
            base
        },
    };

    let mean_limit = if has_annual_mean(p) {
        limit(phase, grade, p, Averaging::Annual)
    } else {
        None
    };
    let percentile_limit = limit(phase, grade, p, percentile_averaging(p));

    let decimals = p.report_decimals();
    let judge = |rounded: bool| -> Option<bool> {
        let cmp = |v: f64, lim: f64| {
            let v = if rounded {
                round::half_even(v, decimals)
            } else {
                v
            };
            v <= lim
        };
        let pct_ok = cmp(percentile.value?, percentile_limit?);
        let mean_ok = match (&mean, mean_limit) {
            (Some(m), Some(lim)) => cmp(m.value?, lim),
            _ => true,
        };
        Some(pct_ok && mean_ok)
    };
    let attained = judge(false);
    let attained_at_reported_precision = judge(true);

    let mean_exceedance = mean.and_then(|m| exceedance_multiple(m.value?, mean_limit?));
    let percentile_exceedance = percentile
        .value
        .and_then(|v| exceedance_multiple(v, percentile_limit?));

    let flags = mean
        .map_or(Flags::EMPTY, |m| m.flags)
        .union(percentile.flags);
    AnnualEvaluation {
        pollutant: p,
        phase,
        grade,
        validity,
        mean,
        percentile,
        percentile_p: pp,
        mean_limit,
        percentile_limit,
        mean_exceedance,
        percentile_exceedance,
        attained,
        attained_at_reported_precision,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PHASES: [Gb3095Phase; 3] = [
        Gb3095Phase::Y2012,
        Gb3095Phase::Transition2026,
        Gb3095Phase::Final2031,
    ];
    const AVGS: [Averaging; 5] = [
        Averaging::Annual,
        Averaging::Quarterly,
        Averaging::Day24h,
        Averaging::DailyMax8h,
        Averaging::Hour1,
    ];

    /// STANDARDS.md §3.3 Table 1, transcribed independently of `limit`: pollutant, averaging,
    /// then I/II for 2012, 2026 transition, 2026 final.
    const TABLE1: [(Pollutant, Averaging, [f64; 6]); 14] = [
        (
            Pollutant::So2,
            Averaging::Annual,
            [20., 60., 20., 60., 20., 20.],
        ),
        (
            Pollutant::So2,
            Averaging::Day24h,
            [50., 150., 50., 150., 50., 50.],
        ),
        (
            Pollutant::So2,
            Averaging::Hour1,
            [150., 500., 150., 500., 150., 150.],
        ),
        (
            Pollutant::No2,
            Averaging::Annual,
            [40., 40., 40., 40., 30., 30.],
        ),
        (
            Pollutant::No2,
            Averaging::Day24h,
            [80., 80., 80., 80., 50., 50.],
        ),
        (
            Pollutant::No2,
            Averaging::Hour1,
            [200., 200., 200., 200., 200., 200.],
        ),
        (Pollutant::Co, Averaging::Day24h, [4., 4., 4., 4., 4., 4.]),
        (
            Pollutant::Co,
            Averaging::Hour1,
            [10., 10., 10., 10., 10., 10.],
        ),
        (
            Pollutant::O3,
            Averaging::DailyMax8h,
            [100., 160., 100., 160., 100., 160.],
        ),
        (
            Pollutant::O3,
            Averaging::Hour1,
            [160., 200., 160., 200., 160., 200.],
        ),
        (
            Pollutant::Pm10,
            Averaging::Annual,
            [40., 70., 40., 60., 20., 50.],
        ),
        (
            Pollutant::Pm10,
            Averaging::Day24h,
            [50., 150., 50., 120., 50., 100.],
        ),
        (
            Pollutant::Pm25,
            Averaging::Annual,
            [15., 35., 15., 30., 10., 25.],
        ),
        (
            Pollutant::Pm25,
            Averaging::Day24h,
            [35., 75., 35., 60., 25., 50.],
        ),
    ];

    #[test]
    fn every_table1_limit_of_every_phase() {
        let mut checked = 0;
        for (p, avg, v) in TABLE1 {
            for (pi, phase) in PHASES.iter().enumerate() {
                assert_eq!(
                    limit(*phase, Grade::I, p, avg),
                    Some(v[2 * pi]),
                    "{p} {avg:?} {phase:?} I"
                );
                assert_eq!(
                    limit(*phase, Grade::II, p, avg),
                    Some(v[2 * pi + 1]),
                    "{p} {avg:?} {phase:?} II"
                );
                checked += 2;
            }
        }
        assert_eq!(checked, 84);
        // Every other combination has no limit.
        for p in Pollutant::ALL {
            for avg in AVGS {
                if TABLE1.iter().any(|(q, a, _)| *q == p && *a == avg) {
                    continue;
                }
                for phase in PHASES {
                    for g in [Grade::I, Grade::II] {
                        assert_eq!(limit(phase, g, p, avg), None, "{p} {avg:?}");
                    }
                }
            }
        }
        assert_eq!(
            limit(
                Gb3095Phase::Y2012,
                Grade::II,
                Pollutant::Co,
                Averaging::Annual
            ),
            None
        );
    }

    #[test]
    fn table2_limits() {
        use OtherItem as O;
        let g2 = Grade::II;
        for phase in PHASES {
            assert_eq!(
                other_limit(phase, Grade::I, O::Tsp, Averaging::Annual),
                Some(80.0)
            );
            assert_eq!(
                other_limit(phase, g2, O::Tsp, Averaging::Annual),
                Some(200.0)
            );
            assert_eq!(
                other_limit(phase, Grade::I, O::Tsp, Averaging::Day24h),
                Some(120.0)
            );
            assert_eq!(
                other_limit(phase, g2, O::Tsp, Averaging::Day24h),
                Some(300.0)
            );
            assert_eq!(
                other_limit(phase, g2, O::Nox, Averaging::Hour1),
                Some(250.0)
            );
            assert_eq!(other_limit(phase, g2, O::Pb, Averaging::Annual), Some(0.5));
            assert_eq!(
                other_limit(phase, g2, O::Pb, Averaging::Quarterly),
                Some(1.0)
            );
            assert_eq!(
                other_limit(phase, g2, O::Bap, Averaging::Annual),
                Some(0.001)
            );
            assert_eq!(
                other_limit(phase, g2, O::Bap, Averaging::Day24h),
                Some(0.0025)
            );
            assert_eq!(other_limit(phase, g2, O::Pb, Averaging::Day24h), None);
            assert_eq!(other_limit(phase, g2, O::Tsp, Averaging::Hour1), None);
        }
        let tr = Gb3095Phase::Transition2026;
        let fi = Gb3095Phase::Final2031;
        assert_eq!(
            other_limit(tr, Grade::I, O::Nox, Averaging::Annual),
            Some(50.0)
        );
        assert_eq!(other_limit(tr, g2, O::Nox, Averaging::Day24h), Some(100.0));
        assert_eq!(
            other_limit(fi, Grade::I, O::Nox, Averaging::Annual),
            Some(40.0)
        );
        assert_eq!(other_limit(fi, g2, O::Nox, Averaging::Annual), Some(40.0));
        assert_eq!(other_limit(fi, g2, O::Nox, Averaging::Day24h), Some(70.0));
        assert_eq!(
            other_limit(Gb3095Phase::Y2012, g2, O::Nox, Averaging::Annual),
            Some(50.0)
        );
    }

    #[test]
    fn exceedance_multiples() {
        assert_eq!(exceedance_multiple(52.5, 35.0), Some(0.5));
        assert_eq!(exceedance_multiple(70.0, 35.0), Some(1.0));
        assert_eq!(exceedance_multiple(35.0, 35.0), None);
        assert_eq!(exceedance_multiple(20.0, 35.0), None);
        assert_eq!(exceedance_multiple(20.0, 0.0), None);
        assert_eq!(exceedance_multiple(f64::NAN, 35.0), None);
    }

    #[test]
    fn month_rule() {
        assert!(month_valid(2025, 1, 27));
        assert!(!month_valid(2025, 1, 26));
        assert!(month_valid(2025, 2, 25));
        assert!(!month_valid(2025, 2, 24));
        assert!(month_valid(2024, 2, 25));
        assert!(!month_valid(2025, 2, 29)); // more than February has
        assert!(month_valid(2024, 2, 29));
        assert!(!month_valid(2025, 13, 30));
        assert!(!month_valid(2025, 0, 30));
        assert!(month_valid(2025, 4, 30));
        assert!(!month_valid(2025, 4, 31));
    }

    #[test]
    fn annual_rule() {
        // 27 per month except 25 in February: 11·27 + 25 = 322 < 324.
        let mut m = [27u32; 12];
        m[1] = 25;
        let v = annual_validity(2025, &m);
        assert!(!v.valid);
        assert_eq!(v.capture, Capture::new(322, 365));
        assert!(v.flags.has(Flag::InsufficientData));
        assert_eq!(v.months_ok, Some([true; 12]));
        m[0] = 29;
        assert!(annual_validity(2025, &m).valid); // 324
        // A full year with one short month is invalid.
        let mut full = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        assert!(annual_validity(2025, &full).valid);
        full[5] = 26;
        let v = annual_validity(2025, &full);
        assert!(!v.valid);
        assert_eq!(v.months_ok.map(|m| m[5]), Some(false));
        // Impossible counts are clamped and rejected.
        assert!(!annual_validity(2025, &[40; 12]).valid);
    }

    #[test]
    fn percentiles_hand_worked() {
        // 365 days 1..=365 (shuffled order does not matter).
        let daily: Vec<Option<f64>> = (1..=365).rev().map(|i| Some(f64::from(i))).collect();
        let g = Grade::II;
        let ph = Gb3095Phase::Y2012;
        // P98: k = 1 + 364·0.98 = 357.72 → 357 + 0.72·1
        let e = annual_evaluation(ph, g, Pollutant::So2, &daily);
        assert!((e.percentile.value.unwrap() - 357.72).abs() < 1e-9);
        assert_eq!(e.percentile_p, 0.98);
        assert!((e.mean.unwrap().value.unwrap() - 183.0).abs() < 1e-12);
        // P95: k = 1 + 364·0.95 = 346.8
        let e = annual_evaluation(ph, g, Pollutant::Pm25, &daily);
        assert!((e.percentile.value.unwrap() - 346.8).abs() < 1e-9);
        let e = annual_evaluation(ph, g, Pollutant::Co, &daily);
        assert!((e.percentile.value.unwrap() - 346.8).abs() < 1e-9);
        assert!(e.mean.is_none());
        // P90: k = 1 + 364·0.9 = 328.6
        let e = annual_evaluation(ph, g, Pollutant::O3, &daily);
        assert!((e.percentile.value.unwrap() - 328.6).abs() < 1e-9);
        assert_eq!(e.percentile_limit, Some(160.0));
        assert_eq!(e.attained, Some(false));
        assert!((e.percentile_exceedance.unwrap() - (328.6 - 160.0) / 160.0).abs() < 1e-12);
    }

    fn year_of(values: &[f64]) -> Vec<Option<f64>> {
        values.iter().map(|v| Some(*v)).collect()
    }

    #[test]
    fn exactly_at_limit_attains() {
        let ph = Gb3095Phase::Y2012;
        // PM2.5: every day 35 → mean 35 = annual limit, P95 35 ≤ 75.
        let e = annual_evaluation(ph, Grade::II, Pollutant::Pm25, &year_of(&[35.0; 365]));
        assert_eq!(e.attained, Some(true));
        assert_eq!(e.mean_exceedance, None);
        // Just above.
        let e = annual_evaluation(ph, Grade::II, Pollutant::Pm25, &year_of(&[35.01; 365]));
        assert_eq!(e.attained, Some(false));
        // ... but 35.01 publishes as 35, which reads as attaining.
        assert_eq!(e.attained_at_reported_precision, Some(true));
        assert!((e.mean_exceedance.unwrap() - 0.01 / 35.0).abs() < 1e-9);
        // 35.5 rounds half-even to 36: fails both ways.
        let e = annual_evaluation(ph, Grade::II, Pollutant::Pm25, &year_of(&[35.5; 365]));
        assert_eq!(e.attained_at_reported_precision, Some(false));
        // Transition phase: PM2.5 annual limit 30.
        let e = annual_evaluation(
            Gb3095Phase::Transition2026,
            Grade::II,
            Pollutant::Pm25,
            &year_of(&[30.0; 365]),
        );
        assert_eq!(e.attained, Some(true));
        assert_eq!(e.mean_limit, Some(30.0));
        // CO: P95 exactly 4.0 attains; CO has no annual mean.
        let e = annual_evaluation(ph, Grade::II, Pollutant::Co, &year_of(&[4.0; 330]));
        assert_eq!(e.attained, Some(true));
        assert_eq!(e.mean_limit, None);
        // O3 8 h P90 exactly 160.
        let e = annual_evaluation(ph, Grade::II, Pollutant::O3, &year_of(&[160.0; 365]));
        assert_eq!(e.attained, Some(true));
    }

    #[test]
    fn both_statistics_must_attain() {
        // PM10 2012 Grade II: annual 70, 24 h 150. Mean fine, P95 high.
        let mut v = vec![50.0; 365];
        for x in v.iter_mut().take(30) {
            *x = 200.0;
        }
        // mean = (335·50 + 30·200)/365 = 62.3; P95 = 200.
        let e = annual_evaluation(Gb3095Phase::Y2012, Grade::II, Pollutant::Pm10, &year_of(&v));
        assert!(e.mean.unwrap().value.unwrap() < 70.0);
        assert_eq!(e.percentile.value, Some(200.0));
        assert_eq!(e.attained, Some(false));
        // Mean high, P95 fine: every day 80 → mean 80 > 70, P95 80 ≤ 150.
        let e = annual_evaluation(
            Gb3095Phase::Y2012,
            Grade::II,
            Pollutant::Pm10,
            &year_of(&[80.0; 365]),
        );
        assert_eq!(e.attained, Some(false));
        assert!((e.mean_exceedance.unwrap() - 10.0 / 70.0).abs() < 1e-12);
        assert_eq!(e.percentile_exceedance, None);
    }

    #[test]
    fn insufficient_data() {
        let mut v = year_of(&[10.0; 365]);
        for x in v.iter_mut().take(42) {
            *x = None; // 323 valid
        }
        let e = annual_evaluation(Gb3095Phase::Y2012, Grade::II, Pollutant::So2, &v);
        assert_eq!(e.attained, None);
        assert_eq!(e.mean.unwrap().value, None);
        assert_eq!(e.percentile.value, None);
        assert!(e.flags.has(Flag::InsufficientData));
        assert_eq!(e.percentile.capture, Capture::new(323, 365));
        // 324 valid is enough without dates ...
        v[0] = Some(10.0);
        let e = annual_evaluation(Gb3095Phase::Y2012, Grade::II, Pollutant::So2, &v);
        assert_eq!(e.attained, Some(true));
        // ... but the first 41 days missing leaves January with none: invalid by month rule.
        let e = annual_evaluation_for_year(Gb3095Phase::Y2012, Grade::II, Pollutant::So2, 2025, &v);
        assert_eq!(e.attained, None);
        assert!(!e.validity.valid);
        assert_eq!(e.validity.months_ok.map(|m| m[0]), Some(false));
        // A full dated year is valid; extra entries are flagged.
        let mut full = year_of(&[10.0; 366]);
        let e =
            annual_evaluation_for_year(Gb3095Phase::Y2012, Grade::II, Pollutant::So2, 2024, &full);
        assert_eq!(e.attained, Some(true));
        assert!(e.flags.is_empty());
        full.push(Some(1.0));
        let e =
            annual_evaluation_for_year(Gb3095Phase::Y2012, Grade::II, Pollutant::So2, 2024, &full);
        assert!(e.flags.has(Flag::InvalidInput));
        assert_eq!(e.validity.capture, Capture::new(366, 366));
        // Negative and NaN values are ignored and flagged.
        let mut w = year_of(&[10.0; 365]);
        w[3] = Some(-1.0);
        w[4] = Some(f64::NAN);
        let e = annual_evaluation(Gb3095Phase::Y2012, Grade::II, Pollutant::No2, &w);
        assert!(e.flags.has(Flag::InvalidInput));
        assert_eq!(e.mean.unwrap().capture.valid, 363);
        assert_eq!(e.attained, Some(true));
        // Empty input never panics.
        let e = annual_evaluation(Gb3095Phase::Y2012, Grade::II, Pollutant::O3, &[]);
        assert_eq!(e.attained, None);
        let e = annual_evaluation_for_year(Gb3095Phase::Y2012, Grade::II, Pollutant::O3, 2025, &[]);
        assert_eq!(e.attained, None);
    }

    proptest! {
        /// With enough days, CO/O3 attain exactly when the percentile is within the limit, and
        /// a year whose every value is within the short-term limit always attains.
        #[test]
        fn all_days_within_limit_attain(vals in proptest::collection::vec(0.0f64..=160.0, 324..370)) {
            let daily: Vec<Option<f64>> = vals.iter().map(|v| Some(*v)).collect();
            let e = annual_evaluation(Gb3095Phase::Final2031, Grade::II, Pollutant::O3, &daily);
            prop_assert_eq!(e.attained, Some(true));
            let co: Vec<Option<f64>> = vals.iter().map(|v| Some(v / 40.0)).collect();
            let e = annual_evaluation(Gb3095Phase::Final2031, Grade::II, Pollutant::Co, &co);
            prop_assert_eq!(e.attained, Some(true));
        }

        /// The exceedance multiple is positive exactly when value > limit.
        #[test]
        fn exceedance_sign(v in 0.0f64..1000.0, l in 0.1f64..500.0) {
            match exceedance_multiple(v, l) {
                Some(m) => prop_assert!(v > l && m > 0.0),
                None => prop_assert!(v <= l),
            }
        }
    }
}

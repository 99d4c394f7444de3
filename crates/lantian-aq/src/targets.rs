//! Target arithmetic for the rest of the year: the remaining-days control value
//! (年剩余日控制值), good days still needed, heavy days still allowed (STANDARDS.md §7).
//!
//! The control value is the mean the remaining days must not exceed for the annual mean to meet
//! the target. Briefings publish it daily; the formula
//! `control = (T·N − C_ytd·n) / (N − n)` reproduces every published figure found (STANDARDS.md
//! §7, \[D\] on four numbers), with C_ytd **unrounded** and only the displayed control value
//! rounded half-up to an integer ([`crate::round::half_up`]).
//!
//! # Decisions
//! * **Invalid days** (\[U\]): the annual mean is the mean of the valid daily values (GB 3095
//!   §3.13), so with `v` valid days so far out of `n` elapsed and `r = N − n` days left (all
//!   assumed valid) the exact condition is `(C·v + X·r)/(v + r) ≤ T`, i.e.
//!   `X = (T·(v + r) − C·v)/r`. When every day so far is valid (`v = n`) this is the published
//!   formula. [`ControlQuery::valid_days`] defaults to the days elapsed.
//! * **HJ 663 capture**: the annual mean needs ≥ 324 valid days (GB 3095 Table 4); when
//!   `v + r < 324` the result carries [`Flag::InsufficientData`] and
//!   `valid_days_reachable = false` (the monthly rule is not checked here; see
//!   [`crate::gb3095::annual_validity`]).
//! * **Out of reach**: a control value below zero, or below the caller's "lowest plausible daily
//!   mean" floor, is reported as [`TargetStatus::OutOfReach`] with [`Flag::OutOfReach`] rather
//!   than as a bare number. With a caller's ceiling (e.g. the highest daily mean ever seen), a
//!   control value at or above it means the target is [`TargetStatus::AlreadySecured`].
//! * **Good-day ratio targets** (\[U\] on how the ratio is rounded when judged): by default the
//!   exact ratio must reach the target; optionally the ratio as published (rounded half-up to
//!   `d` decimals) may be what is judged.

use crate::gb3095::ANNUAL_MIN_DAYS;
use crate::quality::{Flag, Flags};
use crate::round;
use crate::time::{Date, days_in_year};
use serde::Serialize;

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TargetStatus {
    /// Can still be met, and is not yet certain.
    Achievable,
    /// Can no longer be met (or only by values below the plausible floor).
    OutOfReach,
    /// Met whatever the rest of the year brings (within the caller's ceiling).
    AlreadySecured,
    /// No days remain; compare the year's value with the target directly.
    YearOver,
    /// The inputs were invalid (non-finite or negative target or mean).
    Undetermined,
}

/// Day of the year, 1 January = 1 (the `n` of STANDARDS.md §7, "counting 1 January").
pub fn day_of_year(date: Date) -> u32 {
    let first = Date::from_ymd_const(date.year(), 1, 1);
    (date.days() - first.days() + 1).max(0) as u32
}

/// Days of the year after `date` (`N − n`).
pub fn days_left_in_year(date: Date) -> u32 {
    days_in_year(date.year()).saturating_sub(day_of_year(date))
}

/// Inputs of the remaining-days control value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ControlQuery {
    /// T: the annual target (µg/m³; CO mg/m³).
    pub target: f64,
    /// C_ytd: the unrounded mean of the valid daily values so far.
    pub ytd_mean: f64,
    /// N: days in the year.
    pub days_in_year: u32,
    /// n: days elapsed, 1 January included.
    pub days_elapsed: u32,
    /// Valid daily values so far (≤ `days_elapsed`); the weight of `ytd_mean`.
    pub valid_days: u32,
    /// Lowest plausible daily mean for the rest of the year: a control value below it is out of
    /// reach.
    pub floor: Option<f64>,
    /// Highest plausible daily mean: a control value at or above it means already secured.
    pub ceiling: Option<f64>,
}

impl ControlQuery {
    /// A query with every elapsed day valid and no floor or ceiling.
    pub const fn new(target: f64, ytd_mean: f64, days_in_year: u32, days_elapsed: u32) -> Self {
        ControlQuery {
            target,
            ytd_mean,
            days_in_year,
            days_elapsed,
            valid_days: days_elapsed,
            floor: None,
            ceiling: None,
        }
    }

    /// A query as of the end of `date` (that day counted as elapsed), every day valid.
    pub fn as_of(date: Date, target: f64, ytd_mean: f64) -> Self {
        ControlQuery::new(
            target,
            ytd_mean,
            days_in_year(date.year()),
            day_of_year(date),
        )
    }

    /// With the number of valid days so far.
    pub const fn with_valid_days(mut self, valid_days: u32) -> Self {
        self.valid_days = valid_days;
        self
    }

    /// With a plausible floor.
    pub const fn with_floor(mut self, floor: f64) -> Self {
        self.floor = Some(floor);
        self
    }

    /// With a plausible ceiling.
    pub const fn with_ceiling(mut self, ceiling: f64) -> Self {
        self.ceiling = Some(ceiling);
        self
    }
}

/// The remaining-days control value (年剩余日控制值).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ControlValue {
    /// Unrounded control value; `None` when no day remains or inputs are invalid.
    pub raw: Option<f64>,
    /// The value as briefings display it: rounded half-up to an integer.
    pub displayed: Option<i64>,
    /// Where the target stands.
    pub status: TargetStatus,
    /// Days left in the year (N − n).
    pub remaining_days: u32,
    /// Whether ≥ 324 valid days are still possible this year (GB 3095 Table 4).
    pub valid_days_reachable: bool,
    /// [`Flag::OutOfReach`], [`Flag::InsufficientData`] (324 days out of reach),
    /// [`Flag::InvalidInput`].
    pub flags: Flags,
}

/// The remaining-days control value `X = (T·(v + r) − C·v)/r` (STANDARDS.md §7; equals
/// `(T·N − C·n)/(N − n)` when every elapsed day is valid), with its status.
pub fn remaining_day_control(q: &ControlQuery) -> ControlValue {
    let mut flags = Flags::EMPTY;
    let remaining = q.days_in_year.saturating_sub(q.days_elapsed);
    let mut v = q.valid_days;
    if v > q.days_elapsed {
        flags.set(Flag::InvalidInput);
        v = q.days_elapsed;
    }
    let valid_days_reachable = u64::from(v) + u64::from(remaining) >= u64::from(ANNUAL_MIN_DAYS);
    if !valid_days_reachable {
        flags.set(Flag::InsufficientData);
    }
    let mut out = ControlValue {
        raw: None,
        displayed: None,
        status: TargetStatus::YearOver,
        remaining_days: remaining,
        valid_days_reachable,
        flags,
    };
    let target_ok = q.target.is_finite() && q.target >= 0.0;
    let ytd_ok = v == 0 || (q.ytd_mean.is_finite() && q.ytd_mean >= 0.0);
    if !target_ok || !ytd_ok {
        out.flags.set(Flag::InvalidInput);
        out.status = TargetStatus::Undetermined;
        return out;
    }
    if remaining == 0 {
        return out;
    }
    let (vf, rf) = (f64::from(v), f64::from(remaining));
    let ytd_sum = if v == 0 { 0.0 } else { q.ytd_mean * vf };
    let raw = (q.target * (vf + rf) - ytd_sum) / rf;
    out.raw = Some(raw);
    out.displayed = Some(round::half_up(raw, 0) as i64);
    out.status = if raw < 0.0 || q.floor.is_some_and(|f| raw < f) {
        out.flags.set(Flag::OutOfReach);
        TargetStatus::OutOfReach
    } else if q.ceiling.is_some_and(|c| raw >= c) {
        TargetStatus::AlreadySecured
    } else {
        TargetStatus::Achievable
    };
    out
}

/// Progress towards a good-day (优良天数) target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GoodDaysProgress {
    /// Target good days for the year.
    pub target: u32,
    /// Good days so far.
    pub good_so_far: u32,
    /// Days left in the year.
    pub days_remaining: u32,
    /// Good days still needed (差 … 天): `target − good_so_far`, at least 0.
    pub still_needed: u32,
    /// Non-good days the rest of the year can afford: `days_remaining − still_needed`;
    /// negative = the shortfall when out of reach.
    pub affordable_non_good_days: i64,
    /// [`TargetStatus::AlreadySecured`] when nothing is needed, [`TargetStatus::OutOfReach`]
    /// when more are needed than days remain.
    pub status: TargetStatus,
    /// [`Flag::OutOfReach`] when out of reach.
    pub flags: Flags,
}

/// Good days still needed and non-good days still affordable (STANDARDS.md §7: 127 so far,
/// "差 85 天" → target 212).
pub fn good_days_progress(target: u32, good_so_far: u32, days_remaining: u32) -> GoodDaysProgress {
    let still_needed = target.saturating_sub(good_so_far);
    let affordable = i64::from(days_remaining) - i64::from(still_needed);
    let (status, flags) = if still_needed == 0 {
        (TargetStatus::AlreadySecured, Flags::EMPTY)
    } else if affordable < 0 {
        (
            TargetStatus::OutOfReach,
            Flags::EMPTY.with(Flag::OutOfReach),
        )
    } else {
        (TargetStatus::Achievable, Flags::EMPTY)
    };
    GoodDaysProgress {
        target,
        good_so_far,
        days_remaining,
        still_needed,
        affordable_non_good_days: affordable,
        status,
        flags,
    }
}

/// The fewest good days out of `expected_valid_days` that meet a good-day ratio target
/// (`ratio_percent`, e.g. 71.0). With `published_decimals = None` the exact ratio must reach the
/// target (`⌈ratio·V/100⌉`); with `Some(d)` the ratio rounded half-up to `d` decimals must.
/// `None` when the target is not a percentage in 0..=100, there are no expected days, or no
/// count reaches it.
pub fn good_days_for_ratio(
    ratio_percent: f64,
    expected_valid_days: u32,
    published_decimals: Option<u32>,
) -> Option<u32> {
    if !ratio_percent.is_finite()
        || !(0.0..=100.0).contains(&ratio_percent)
        || expected_valid_days == 0
    {
        return None;
    }
    let v = f64::from(expected_valid_days);
    match published_decimals {
        None => {
            let g = round::ceil_index(ratio_percent * v / 100.0);
            (g <= v).then_some(g as u32)
        }
        Some(d) => {
            let d = d.min(15); // f64 holds no more
            (0..=expected_valid_days)
                .find(|g| round::half_up(100.0 * f64::from(*g) / v, d) >= ratio_percent - 1e-9)
        }
    }
}

/// Progress towards a good-day ratio target: converts the ratio to a day count with
/// [`good_days_for_ratio`] and applies [`good_days_progress`]. `None` when the ratio cannot be
/// converted.
pub fn good_ratio_progress(
    ratio_percent: f64,
    expected_valid_days: u32,
    good_so_far: u32,
    days_remaining: u32,
    published_decimals: Option<u32>,
) -> Option<GoodDaysProgress> {
    let target = good_days_for_ratio(ratio_percent, expected_valid_days, published_decimals)?;
    Some(good_days_progress(target, good_so_far, days_remaining))
}

/// Progress against a cap on heavily polluted days (重污染天数).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeavyDaysProgress {
    /// The cap for the year.
    pub cap: u32,
    /// Heavy days so far.
    pub heavy_so_far: u32,
    /// Days left in the year.
    pub days_remaining: u32,
    /// `cap − heavy_so_far` ("需控制在 … 天内"): 0 = no more heavy day allowed, negative = the
    /// cap is already exceeded by that many days.
    pub still_allowed: i64,
    /// [`TargetStatus::OutOfReach`] once exceeded; [`TargetStatus::AlreadySecured`] when even
    /// all remaining days heavy would stay within the cap.
    pub status: TargetStatus,
    /// [`Flag::OutOfReach`] once exceeded.
    pub flags: Flags,
}

/// Heavy days still allowed under a cap (STANDARDS.md §7: 12 so far, "需控制在7天内" → cap 19).
pub fn heavy_days_progress(cap: u32, heavy_so_far: u32, days_remaining: u32) -> HeavyDaysProgress {
    let still_allowed = i64::from(cap) - i64::from(heavy_so_far);
    let (status, flags) = if still_allowed < 0 {
        (
            TargetStatus::OutOfReach,
            Flags::EMPTY.with(Flag::OutOfReach),
        )
    } else if still_allowed >= i64::from(days_remaining) {
        (TargetStatus::AlreadySecured, Flags::EMPTY)
    } else {
        (TargetStatus::Achievable, Flags::EMPTY)
    };
    HeavyDaysProgress {
        cap,
        heavy_so_far,
        days_remaining,
        still_allowed,
        status,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::from_ymd_const(y, m, day)
    }

    #[test]
    fn calendar_helpers() {
        assert_eq!(day_of_year(d(2020, 1, 1)), 1);
        assert_eq!(day_of_year(d(2020, 7, 27)), 209);
        assert_eq!(days_left_in_year(d(2020, 7, 27)), 157);
        assert_eq!(day_of_year(d(2020, 12, 13)), 348);
        assert_eq!(days_left_in_year(d(2020, 12, 13)), 18);
        assert_eq!(day_of_year(d(2015, 10, 31)), 304);
        assert_eq!(days_left_in_year(d(2015, 10, 31)), 61);
        assert_eq!(days_left_in_year(d(2025, 12, 31)), 0);
    }

    /// 威县 2020-07-27: 209 days elapsed, 157 left (2020 is a leap year), T = 57, published YTD
    /// PM2.5 58 (so unrounded in [57.5, 58.5)), published control 56. Every unrounded YTD in
    /// [57.5, 58.126] gives 56.
    #[test]
    fn weixian_2020_07_27() {
        for c in [57.5, 57.8, 58.0, 58.1, 58.126] {
            let r = remaining_day_control(&ControlQuery::as_of(d(2020, 7, 27), 57.0, c));
            assert_eq!(r.displayed, Some(56), "ytd {c}");
            assert_eq!(r.status, TargetStatus::Achievable);
            assert_eq!(r.remaining_days, 157);
        }
        let r = remaining_day_control(&ControlQuery::as_of(d(2020, 7, 27), 57.0, 58.0));
        assert!((r.raw.unwrap() - 8740.0 / 157.0).abs() < 1e-9); // 55.67
        // Outside the interval the display changes: the figure pins the unrounded YTD.
        let r = remaining_day_control(&ControlQuery::as_of(d(2020, 7, 27), 57.0, 58.2));
        assert_eq!(r.displayed, Some(55));
    }

    /// 威县 2020-12-13: 348 elapsed, 18 left, T = 57, published YTD 55, control 95. Only an
    /// unrounded YTD in (55.009, 55.060] gives 95; the rounded 55 would give 96.
    #[test]
    fn weixian_2020_12_13() {
        let q = |c| ControlQuery::as_of(d(2020, 12, 13), 57.0, c);
        for c in [55.0091, 55.02, 55.04, 55.06] {
            let r = remaining_day_control(&q(c));
            assert_eq!(r.displayed, Some(95), "ytd {c}");
            assert_eq!(r.remaining_days, 18);
        }
        assert_eq!(remaining_day_control(&q(55.0)).displayed, Some(96));
        assert_eq!(remaining_day_control(&q(55.008)).displayed, Some(96));
        assert_eq!(remaining_day_control(&q(55.07)).displayed, Some(94));
    }

    /// 郑州 2015, Jan–Oct (304 days, 61 left): PM2.5 T = 85, YTD 91 → 55.10 → 55; PM10 T = 157,
    /// YTD 162 → 132.08 → 132.
    #[test]
    fn zhengzhou_2015() {
        let r = remaining_day_control(&ControlQuery::as_of(d(2015, 10, 31), 85.0, 91.0));
        assert!((r.raw.unwrap() - 3361.0 / 61.0).abs() < 1e-9);
        assert_eq!(r.displayed, Some(55));
        let r = remaining_day_control(&ControlQuery::as_of(d(2015, 10, 31), 157.0, 162.0));
        assert!((r.raw.unwrap() - 8057.0 / 61.0).abs() < 1e-9);
        assert_eq!(r.displayed, Some(132));
        assert_eq!(
            r,
            remaining_day_control(&ControlQuery::new(157.0, 162.0, 365, 304))
        );
    }

    #[test]
    fn control_statuses() {
        // Far above target late in the year: negative → out of reach.
        let r = remaining_day_control(&ControlQuery::as_of(d(2025, 12, 20), 35.0, 60.0));
        assert!(r.raw.unwrap() < 0.0);
        assert_eq!(r.status, TargetStatus::OutOfReach);
        assert!(r.flags.has(Flag::OutOfReach));
        // Positive but below a plausible floor.
        let q = ControlQuery::as_of(d(2020, 12, 13), 57.0, 55.04).with_floor(100.0);
        assert_eq!(remaining_day_control(&q).status, TargetStatus::OutOfReach);
        // Above a ceiling → secured.
        let q = ControlQuery::as_of(d(2020, 12, 13), 57.0, 55.04).with_ceiling(90.0);
        assert_eq!(
            remaining_day_control(&q).status,
            TargetStatus::AlreadySecured
        );
        // Year over.
        let r = remaining_day_control(&ControlQuery::as_of(d(2025, 12, 31), 35.0, 30.0));
        assert_eq!(r.status, TargetStatus::YearOver);
        assert_eq!(r.raw, None);
        assert_eq!(r.remaining_days, 0);
        // No valid day yet: the control value is the target.
        let q = ControlQuery::new(35.0, f64::NAN, 365, 10).with_valid_days(0);
        let r = remaining_day_control(&q);
        assert_eq!(r.raw, Some(35.0));
        // Invalid target.
        let r = remaining_day_control(&ControlQuery::new(f64::NAN, 30.0, 365, 10));
        assert_eq!(r.status, TargetStatus::Undetermined);
        assert!(r.flags.has(Flag::InvalidInput));
        // More valid days than elapsed is clamped and flagged.
        let r = remaining_day_control(&ControlQuery::new(35.0, 30.0, 365, 10).with_valid_days(11));
        assert!(r.flags.has(Flag::InvalidInput));
        assert_eq!(
            r.raw,
            remaining_day_control(&ControlQuery::new(35.0, 30.0, 365, 10)).raw
        );
    }

    #[test]
    fn invalid_days_and_324() {
        // 300 elapsed with 260 valid, 65 left: 260 + 65 = 325 ≥ 324, still reachable.
        let q = ControlQuery::new(35.0, 40.0, 365, 300).with_valid_days(260);
        let r = remaining_day_control(&q);
        assert!(r.valid_days_reachable);
        // X = (35·325 − 40·260)/65
        assert!((r.raw.unwrap() - (35.0 * 325.0 - 40.0 * 260.0) / 65.0).abs() < 1e-9);
        // 258 valid: 323 < 324 → flagged.
        let r = remaining_day_control(&q.with_valid_days(258));
        assert!(!r.valid_days_reachable);
        assert!(r.flags.has(Flag::InsufficientData));
        // The published formula is the all-valid case.
        let r = remaining_day_control(&ControlQuery::new(35.0, 40.0, 365, 300));
        assert!((r.raw.unwrap() - (35.0 * 365.0 - 40.0 * 300.0) / 65.0).abs() < 1e-9);
    }

    #[test]
    fn good_and_heavy_days() {
        // 威县: 127 good days so far, "差 85 天" → target 212.
        let g = good_days_progress(212, 127, 157);
        assert_eq!(g.still_needed, 85);
        assert_eq!(g.affordable_non_good_days, 72);
        assert_eq!(g.status, TargetStatus::Achievable);
        let g = good_days_progress(212, 127, 80);
        assert_eq!(g.status, TargetStatus::OutOfReach);
        assert_eq!(g.affordable_non_good_days, -5);
        assert!(g.flags.has(Flag::OutOfReach));
        let g = good_days_progress(212, 215, 10);
        assert_eq!(
            (g.still_needed, g.status),
            (0, TargetStatus::AlreadySecured)
        );
        let g = good_days_progress(212, 127, 85);
        assert_eq!(
            (g.affordable_non_good_days, g.status),
            (0, TargetStatus::Achievable)
        );
        // 12 heavy days so far, "需控制在7天内" → cap 19.
        let h = heavy_days_progress(19, 12, 157);
        assert_eq!(h.still_allowed, 7);
        assert_eq!(h.status, TargetStatus::Achievable);
        let h = heavy_days_progress(19, 19, 20);
        assert_eq!((h.still_allowed, h.status), (0, TargetStatus::Achievable));
        let h = heavy_days_progress(19, 21, 20);
        assert_eq!((h.still_allowed, h.status), (-2, TargetStatus::OutOfReach));
        assert!(h.flags.has(Flag::OutOfReach));
        let h = heavy_days_progress(19, 12, 5);
        assert_eq!(h.status, TargetStatus::AlreadySecured);
    }

    #[test]
    fn ratio_targets() {
        // 71.0 % of 365 = 259.15 → 260 good days exactly; 259/365 = 70.96 % publishes as 71.0.
        assert_eq!(good_days_for_ratio(71.0, 365, None), Some(260));
        assert_eq!(good_days_for_ratio(71.0, 365, Some(1)), Some(259));
        // 80 % of 365 = 292 exactly.
        assert_eq!(good_days_for_ratio(80.0, 365, None), Some(292));
        assert_eq!(good_days_for_ratio(100.0, 365, None), Some(365));
        assert_eq!(good_days_for_ratio(0.0, 365, None), Some(0));
        assert_eq!(good_days_for_ratio(100.1, 365, None), None);
        assert_eq!(good_days_for_ratio(50.0, 0, None), None);
        assert_eq!(good_days_for_ratio(f64::NAN, 365, Some(1)), None);
        let p = good_ratio_progress(71.0, 365, 200, 100, None).unwrap();
        assert_eq!(
            (p.target, p.still_needed, p.affordable_non_good_days),
            (260, 60, 40)
        );
    }

    proptest! {
        /// The control value grows with the target, and a rest of the year at exactly the
        /// control value gives an annual mean equal to the target.
        #[test]
        fn control_monotone_and_consistent(
            t1 in 0.0f64..200.0, dt in 0.0f64..50.0, c in 0.0f64..300.0,
            n in 1u32..365, vfrac in 0.5f64..=1.0,
        ) {
            let v = ((f64::from(n) * vfrac) as u32).min(n);
            let q1 = ControlQuery::new(t1, c, 365, n).with_valid_days(v);
            let q2 = ControlQuery { target: t1 + dt, ..q1 };
            let (a, b) = (remaining_day_control(&q1), remaining_day_control(&q2));
            let (Some(x1), Some(x2)) = (a.raw, b.raw) else {
                return Err(TestCaseError::fail("no raw value"));
            };
            prop_assert!(x2 >= x1 - 1e-9);
            let r = f64::from(365 - n);
            let annual = (c * f64::from(v) + x1 * r) / (f64::from(v) + r);
            prop_assert!((annual - t1).abs() < 1e-6 * (1.0 + t1.abs() + c));
            // Displayed is the half-up rounding of raw.
            prop_assert!((a.displayed.unwrap_or(0) as f64 - x1).abs() <= 0.5 + 1e-9);
        }

        /// The exact good-day count is the least count whose ratio reaches the target.
        #[test]
        fn ratio_count_is_minimal(tenths in 0u32..=1000, days in 1u32..=366) {
            let ratio = f64::from(tenths) / 10.0;
            let g = good_days_for_ratio(ratio, days, None).unwrap_or(u32::MAX);
            prop_assert!(g <= days);
            prop_assert!(100.0 * f64::from(g) / f64::from(days) >= ratio - 1e-9);
            if g > 0 {
                prop_assert!(100.0 * f64::from(g - 1) / f64::from(days) < ratio + 1e-9);
            }
            let p = good_days_for_ratio(ratio, days, Some(1)).unwrap_or(u32::MAX);
            prop_assert!(p <= g);
        }
    }
}

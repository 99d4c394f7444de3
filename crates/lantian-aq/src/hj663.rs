//! HJ 663 statistics: validity, daily means, 8 h moving means, O3 daily max 8 h, percentiles.
//!
//! Validity thresholds are GB 3095—2012/—2026 Table 4 ("污染物浓度数据有效性的最低要求"),
//! which HJ 663—2013 and HJ 663—2026 §6 apply; the two versions agree on every threshold used
//! here, so functions take the [`RuleSet`](crate::RuleSet) only where a rule differs.

use crate::quality::{Capture, Flag, Flags};

/// A computed statistic: the value when valid, its data capture, and flags.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Stat {
    /// The value, `None` when the validity rule is not met.
    pub value: Option<f64>,
    /// What it was built from.
    pub capture: Capture,
    /// Why it is missing, or how it was obtained.
    pub flags: Flags,
}

impl Stat {
    /// An invalid statistic.
    pub fn invalid(capture: Capture) -> Stat {
        Stat {
            value: None,
            capture,
            flags: Flags::EMPTY.with(Flag::InsufficientData),
        }
    }
}

/// Minimum valid hours for a daily (24 h) mean of SO2, NO2, CO, PM10, PM2.5, NOx
/// (GB 3095—2026 Table 4; GB 3095—2012 Table 4: "每日至少有20个日平均浓度值或采样时间").
pub const DAILY_MIN_HOURS: u32 = 20;

/// Minimum valid hours in an 8 h window (GB 3095 Table 4: "每8小时至少有6小时平均浓度值").
pub const WINDOW_8H_MIN_HOURS: u32 = 6;

/// Minimum valid 8 h means among the 17 windows ending 08:00..24:00 for the O3 daily max 8 h
/// (HJ 663—2013 §6.1.2; HJ 663—2026 §6.1.2), unless the maximum already exceeds the limit.
pub const O3_8H_MIN_WINDOWS: u32 = 14;

/// The O3 8 h Grade II limit that makes a short day valid anyway (GB 3095 Table 1: 160 µg/m³,
/// the same in 2012 and 2026).
pub const O3_8H_LIMIT: f64 = 160.0;

fn valid(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
}

/// Daily mean (日平均) of the hours labelled 01..24 of one natural day (GB 3095—2026 §3.10):
/// the arithmetic mean of the valid hourly values, valid with ≥ 20 of them (Table 4).
/// `hours` holds the day's hourly values in label order; fewer than 24 entries means the
/// rest are missing.
pub fn daily_mean(hours: &[Option<f64>]) -> Stat {
    daily_mean_nan(hours.iter().take(24).map(|v| v.unwrap_or(f64::NAN)))
}

/// [`daily_mean`] over NaN-coded values (NaN = missing) — how dense hourly series are held.
/// A negative or infinite value is ignored and flagged [`Flag::InvalidInput`].
pub fn daily_mean_nan(hours: impl IntoIterator<Item = f64>) -> Stat {
    let mut n = 0u32;
    let mut sum = 0.0;
    let mut flags = Flags::EMPTY;
    for x in hours.into_iter().take(24) {
        if x.is_finite() && x >= 0.0 {
            n += 1;
            sum += x;
        } else if !x.is_nan() {
            flags.set(Flag::InvalidInput);
        }
    }
    let capture = Capture::new(n, 24);
    if n >= DAILY_MIN_HOURS {
        Stat {
            value: Some(sum / f64::from(n)),
            capture,
            flags,
        }
    } else {
        Stat {
            value: None,
            capture,
            flags: flags.with(Flag::InsufficientData),
        }
    }
}

/// [`daily_mean_nan`] of one whole day, the same `Stat` bit for bit. It runs for every
/// station-day and pollutant, so it has no branch on the data: an invalid hour adds −0.0, the
/// exact identity of IEEE addition (a sum that starts at +0.0 never becomes −0.0), and counts
/// nothing.
pub fn daily_mean_of_day(day: &[f64; 24]) -> Stat {
    let mut n = 0u32;
    let mut sum = 0.0;
    let mut odd = false;
    for &x in day {
        let ok = x.is_finite() && x >= 0.0;
        n += u32::from(ok);
        sum += if ok { x } else { -0.0 };
        odd |= !ok && !x.is_nan();
    }
    let flags = if odd {
        Flags::EMPTY.with(Flag::InvalidInput)
    } else {
        Flags::EMPTY
    };
    let capture = Capture::new(n, 24);
    if n >= DAILY_MIN_HOURS {
        Stat {
            value: Some(sum / f64::from(n)),
            capture,
            flags,
        }
    } else {
        Stat {
            value: None,
            capture,
            flags: flags.with(Flag::InsufficientData),
        }
    }
}

/// [`daily_max_1h_nan`] of one whole day, without branches on the data (an invalid hour
/// counts nothing and offers −∞, which never wins a `max`).
pub fn daily_max_1h_of_day(day: &[f64; 24]) -> Stat {
    let mut n = 0u32;
    let mut max = f64::NEG_INFINITY;
    for &x in day {
        let ok = x.is_finite() && x >= 0.0;
        n += u32::from(ok);
        max = max.max(if ok { x } else { f64::NEG_INFINITY });
    }
    let capture = Capture::new(n, 24);
    if n >= DAILY_MIN_HOURS {
        Stat {
            value: Some(max),
            capture,
            flags: Flags::EMPTY,
        }
    } else {
        Stat::invalid(capture)
    }
}

/// O3 daily maximum 1 h value: the largest valid hourly value of the day, valid with ≥ 20
/// hourly values (the daily rule of GB 3095 Table 4, as the peers apply it).
pub fn daily_max_1h(hours: &[Option<f64>]) -> Stat {
    daily_max_1h_nan(hours.iter().take(24).map(|v| v.unwrap_or(f64::NAN)))
}

/// [`daily_max_1h`] over NaN-coded values.
pub fn daily_max_1h_nan(hours: impl IntoIterator<Item = f64>) -> Stat {
    let mut n = 0u32;
    let mut max = f64::NEG_INFINITY;
    for x in hours
        .into_iter()
        .take(24)
        .filter(|x| x.is_finite() && *x >= 0.0)
    {
        n += 1;
        max = max.max(x);
    }
    let capture = Capture::new(n, 24);
    if n >= DAILY_MIN_HOURS {
        Stat {
            value: Some(max),
            capture,
            flags: Flags::EMPTY,
        }
    } else {
        Stat::invalid(capture)
    }
}

/// 8 h moving means (8小时滑动平均, GB 3095—2026 §3.8): `out[i]` is the mean of
/// `series[i-7..=i]` when at least 6 of those 8 hours are valid, else `None`; `None` for
/// `i < 7`. `series` must be a gap-free hourly series (missing hours as `None`).
pub fn moving_means_8h(series: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut out = vec![None; series.len()];
    let mut n = 0u32;
    for i in 0..series.len() {
        if valid(series[i]).is_some() {
            n += 1;
        }
        if i >= 8 && valid(series[i - 8]).is_some() {
            n -= 1;
        }
        if i >= 7 && n >= WINDOW_8H_MIN_HOURS {
            // Sum the window afresh rather than keep a running sum: a running sum drifts in
            // the last bits, and these means are compared with limits at ties.
            let s: f64 = series[i - 7..=i].iter().filter_map(|v| valid(*v)).sum();
            out[i] = Some(s / f64::from(n));
        }
    }
    out
}

/// The 8 h moving mean ending at index `i` of the NaN-coded hourly series `v`: what
/// [`moving_means_8h`] gives at `i` (the same sum in the same order), `None` outside the
/// series or for `i < 7`. For callers that need a few windows rather than every hour.
pub fn mean_8h_ending(v: &[f64], i: i64) -> Option<f64> {
    let i = usize::try_from(i).ok().filter(|i| *i >= 7)?;
    let window = v.get(i - 7..=i)?;
    let ok = |x: &f64| x.is_finite() && *x >= 0.0;
    let n = window.iter().filter(|x| ok(x)).count() as u32;
    (n >= WINDOW_8H_MIN_HOURS)
        .then(|| window.iter().copied().filter(ok).sum::<f64>() / f64::from(n))
}

/// The 17 8 h means whose windows end at 08:00 … 24:00 of a day (HJ 663 §6.1.2), from the
/// day's hourly values 01..24 (NaN-coded): [`mean_8h_ending`] at each of those hours, which all
/// lie inside the day. Runs for every station-day, so it is branch-free: an invalid hour adds
/// −0.0, the exact identity of IEEE addition, which keeps each sum bit for bit the one of the
/// valid values alone (summed from −0.0, as `Iterator::sum` does).
pub fn windows_8h_of_day(day: &[f64; 24]) -> [Option<f64>; 17] {
    let ok = day.map(|x| x.is_finite() && x >= 0.0);
    let vals: [f64; 24] = std::array::from_fn(|i| if ok[i] { day[i] } else { -0.0 });
    std::array::from_fn(|k| {
        let n = ok[k..k + 8].iter().filter(|v| **v).count() as u32;
        let sum = vals[k..k + 8].iter().fold(-0.0, |s, x| s + x);
        (n >= WINDOW_8H_MIN_HOURS).then(|| sum / f64::from(n))
    })
}

/// O3 daily maximum 8 h mean (日最大8小时平均, GB 3095—2026 §3.9) from the 17 8 h means whose
/// windows end at 08:00 … 24:00 of the day (HJ 663 §6.1.2). Valid with ≥ 14 valid windows;
/// with fewer it is still valid when the maximum exceeds 160 µg/m³ (flag
/// [`Flag::ValidByExceedance`]).
pub fn o3_daily_max_8h(windows: &[Option<f64>]) -> Stat {
    let mut n = 0u32;
    let mut max = f64::NEG_INFINITY;
    for x in windows.iter().take(17).filter_map(|v| valid(*v)) {
        n += 1;
        max = max.max(x);
    }
    let capture = Capture::new(n, 17);
    if n >= O3_8H_MIN_WINDOWS {
        Stat {
            value: Some(max),
            capture,
            flags: Flags::EMPTY,
        }
    } else if n > 0 && max > O3_8H_LIMIT {
        Stat {
            value: Some(max),
            capture,
            flags: Flags::EMPTY.with(Flag::ValidByExceedance),
        }
    } else {
        Stat::invalid(capture)
    }
}

/// Percentile by HJ 663—2013 Annex A (kept in HJ 663—2026): sort ascending, `k = 1 + (n−1)p`,
/// `s = ⌊k⌋`, `m = X(s) + (X(s+1) − X(s))(k − s)` (1-based). The same as numpy `linear`,
/// R type 7, Excel `PERCENTILE.INC`. Non-finite values are ignored; `None` when empty or `p`
/// is outside [0, 1]. Sorts `values` in place.
pub fn percentile(values: &mut Vec<f64>, p: f64) -> Option<f64> {
    values.retain(|x| x.is_finite());
    if values.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let k = 1.0 + (n as f64 - 1.0) * p;
    let s = k.floor() as usize; // 1-based, 1..=n
    if s >= n {
        return Some(values[n - 1]);
    }
    let lo = values[s - 1];
    let hi = values[s];
    Some(lo + (hi - lo) * (k - s as f64))
}

/// Mean of the valid daily values of a period (GB 3095 §3.11–3.13: monthly, quarterly and
/// annual means are the arithmetic mean of the daily means). Validity of the period is a
/// separate question, see the month/year rules.
pub fn period_mean(daily: &[Option<f64>]) -> Stat {
    let mut n = 0u32;
    let mut sum = 0.0;
    for x in daily.iter().filter_map(|v| valid(*v)) {
        n += 1;
        sum += x;
    }
    let capture = Capture::new(n, daily.len() as u32);
    if n == 0 {
        Stat::invalid(capture)
    } else {
        Stat {
            value: Some(sum / f64::from(n)),
            capture,
            flags: Flags::EMPTY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_hand_worked() {
        // n = 365, p = 0.90 → k = 328.6 → X(328) + 0.6 (X(329) − X(328)) (STANDARDS.md §2.4).
        let mut v: Vec<f64> = (1..=365).map(|i| f64::from(i) * 2.0).collect();
        assert!((percentile(&mut v, 0.90).unwrap() - (656.0 + 0.6 * 2.0)).abs() < 1e-9);
        let mut v = vec![3.0, 1.0, 2.0, 4.0];
        // k = 1 + 3·0.95 = 3.85 → 3 + 0.85·(4 − 3)
        assert!((percentile(&mut v, 0.95).unwrap() - 3.85).abs() < 1e-12);
        let mut v = vec![5.0];
        assert_eq!(percentile(&mut v, 0.98), Some(5.0));
        assert_eq!(percentile(&mut Vec::new(), 0.5), None);
        let mut v = vec![1.0, 2.0, 3.0];
        assert_eq!(percentile(&mut v, 0.5), Some(2.0));
        assert_eq!(percentile(&mut v, 1.0), Some(3.0));
        assert_eq!(percentile(&mut v, 0.0), Some(1.0));
    }

    #[test]
    fn daily_mean_needs_20_hours() {
        let mut h = vec![Some(10.0); 20];
        h.extend([None; 4]);
        assert_eq!(daily_mean(&h).value, Some(10.0));
        h[0] = None;
        let s = daily_mean(&h);
        assert_eq!(s.value, None);
        assert_eq!(s.capture, Capture::new(19, 24));
        assert!(s.flags.has(Flag::InsufficientData));
    }

    #[test]
    fn moving_mean_needs_6_of_8() {
        let mut s = vec![Some(8.0); 12];
        s[2] = None;
        s[3] = None;
        let m = moving_means_8h(&s);
        assert_eq!(m[6], None);
        assert_eq!(m[7], Some(8.0));
        s[4] = None;
        let m = moving_means_8h(&s);
        assert_eq!(m[7], None);
        assert_eq!(m[9], None); // window 2..=9: hours 2, 3, 4 missing → 5 valid
        assert_eq!(m[11], Some(8.0)); // window 4..=11: 7 valid
    }

    #[test]
    fn mean_8h_ending_is_the_moving_mean() {
        // Gaps, negatives and NaN in a deterministic pattern; every index, and past both ends.
        let v: Vec<f64> = (0..200u32)
            .map(|i| match (i * 7919) % 11 {
                0 | 1 => f64::NAN,
                2 => -1.0,
                k => f64::from(i % 37) * 1.1 + f64::from(k) / 3.0,
            })
            .collect();
        let m = moving_means_8h(&v.iter().map(|x| Some(*x)).collect::<Vec<_>>());
        assert!(m.iter().filter(|x| x.is_some()).count() > 50);
        for i in -3..210i64 {
            let want = usize::try_from(i)
                .ok()
                .and_then(|i| m.get(i).copied().flatten());
            assert_eq!(mean_8h_ending(&v, i), want, "{i}");
        }
        // A day's 17 windows, at every offset; -0.0 keeps its sign through the sums.
        let mut v = v;
        v[40..48].fill(-0.0);
        for a in 0..v.len() - 24 {
            let day: [f64; 24] = v[a..a + 24].try_into().unwrap();
            let got = windows_8h_of_day(&day);
            for (k, g) in got.iter().enumerate() {
                let want = mean_8h_ending(&v, (a + 7 + k) as i64);
                assert_eq!(g.map(f64::to_bits), want.map(f64::to_bits), "{a} {k}");
            }
        }
    }

    #[test]
    fn whole_day_stats_are_the_general_ones() {
        let pick = |i: u32| match i.wrapping_mul(2_654_435_761) % 13 {
            0 => f64::NAN,
            1 => -2.0,
            2 => -0.0,
            3 => f64::INFINITY,
            4 => 0.0,
            k => f64::from(i % 97) * 0.7 + f64::from(k),
        };
        for start in 0..400u32 {
            // Days from mostly missing to whole, so both sides of the 20-hour rule occur.
            let day: [f64; 24] = std::array::from_fn(|h| {
                let i = start * 24 + h as u32;
                if (h as u32) < start % 9 {
                    pick(i)
                } else {
                    1.5 + f64::from(i % 300)
                }
            });
            let bits = |s: Stat| (s.value.map(f64::to_bits), s.capture, s.flags);
            assert_eq!(
                bits(daily_mean_of_day(&day)),
                bits(daily_mean_nan(day)),
                "{start}"
            );
            assert_eq!(
                bits(daily_max_1h_of_day(&day)),
                bits(daily_max_1h_nan(day)),
                "{start}"
            );
        }
    }

    #[test]
    fn o3_max_8h_rules() {
        let mut w = vec![Some(100.0); 14];
        w.extend([None; 3]);
        assert_eq!(o3_daily_max_8h(&w).value, Some(100.0));
        w[0] = None;
        assert_eq!(o3_daily_max_8h(&w).value, None);
        w[1] = Some(161.0);
        let s = o3_daily_max_8h(&w);
        assert_eq!(s.value, Some(161.0));
        assert!(s.flags.has(Flag::ValidByExceedance));
    }
}

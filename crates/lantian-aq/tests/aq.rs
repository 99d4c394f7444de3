//! Integration tests of the science crate: the official golden vectors and the properties the
//! AQI must have under both versions.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use lantian_aq::aqi::{HourlyInputs, IAQI_STEPS, IaqiTable, hourly_aqi, iaqi};
use lantian_aq::{Level, RuleSet};
use proptest::prelude::*;

/// The 300 station-hours of `data/cnemc/derived` (200 random + 100 with AQI > 150) carry the
/// AQI CNEMC published; HJ 633 real-time rule, 2012 table (STANDARDS.md §6).
#[test]
fn official_vectors_300_of_300() {
    let path = lantian_testkit::fixture("cnemc/official_hourly_aqi_vectors_2025Q1.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (so2, no2, co, o3, pm10, pm25, so2_24, off, prim) = (
        col("SO2_1h"),
        col("NO2_1h"),
        col("CO_1h"),
        col("O3_1h"),
        col("PM10_1h"),
        col("PM2.5_1h"),
        col("SO2_24h"),
        col("official_AQI"),
        col("recomputed_primary"),
    );
    let mut n = 0;
    for line in lines.filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().ok();
        let h = HourlyInputs {
            so2: num(so2),
            no2: num(no2),
            pm10: num(pm10),
            co: num(co),
            o3: num(o3),
            pm25: num(pm25),
            so2_24h: num(so2_24),
        };
        let a = hourly_aqi(RuleSet::Y2012, &h);
        let official: u32 = f[off].parse().unwrap();
        assert_eq!(a.value, Some(official), "{line}");
        if official > 50 {
            assert_eq!(a.primary.labels(), f[prim].replace('|', ","), "{line}");
        }
        n += 1;
    }
    assert_eq!(n, 300);
}

fn tables() -> impl Strategy<Value = (RuleSet, IaqiTable)> {
    (
        prop_oneof![Just(RuleSet::Y2012), Just(RuleSet::Y2026)],
        proptest::sample::select(IaqiTable::ALL.to_vec()),
    )
}

/// The top of the defined range: beyond it the special cases and the 500 cap take over.
fn top(r: RuleSet, t: IaqiTable) -> f64 {
    *t.breakpoints(r).last().unwrap()
}

proptest! {
    /// IAQI never decreases as the concentration rises (within the table).
    #[test]
    fn iaqi_monotone((r, t) in tables(), a in 0.0f64..1.0, b in 0.0f64..1.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let (lo, hi) = (lo * top(r, t), hi * top(r, t));
        prop_assert!(iaqi(r, t, lo).value <= iaqi(r, t, hi).value);
    }

    /// Formula (1) is continuous: at every breakpoint the segments meet, so the raw IAQI just
    /// below and just above differ by no more than the steeper slope allows.
    #[test]
    fn iaqi_continuous_at_breakpoints((_, t) in tables(), i in 1usize..7, eps in 1e-9f64..1e-3) {
        let r = RuleSet::Y2012; // 2026 rounds inputs first, which makes it a step function.
        let bp = t.breakpoints(r);
        prop_assume!(i < bp.len() - 1);
        let at = bp[i];
        let below = iaqi(r, t, at - eps).raw.unwrap();
        let above = iaqi(r, t, at + eps).raw.unwrap();
        let slope = |k: usize| (IAQI_STEPS[k] - IAQI_STEPS[k - 1]) / (bp[k] - bp[k - 1]);
        let bound = eps * slope(i).max(slope(i + 1)) * 1.000_001 + 1e-9;
        prop_assert!((below - IAQI_STEPS[i]).abs() <= bound);
        prop_assert!((above - IAQI_STEPS[i]).abs() <= bound);
        prop_assert_eq!(iaqi(r, t, at).value, Some(IAQI_STEPS[i] as u32));
    }

    /// Every IAQI is within 0..=500, whatever the input, and never panics.
    #[test]
    fn iaqi_bounded((r, t) in tables(), c in proptest::num::f64::ANY) {
        let v = iaqi(r, t, c);
        if let Some(x) = v.value { prop_assert!(x <= 500); }
        if !(c.is_finite() && c >= 0.0) { prop_assert_eq!(v.value, None); }
    }

    /// The hourly AQI is the largest IAQI, its level is the level of that value, and with
    /// AQI > 50 there is a primary pollutant.
    #[test]
    fn aqi_is_max_iaqi(r in prop_oneof![Just(RuleSet::Y2012), Just(RuleSet::Y2026)],
                       v in proptest::collection::vec(0.0f64..900.0, 6)) {
        let h = HourlyInputs { so2: Some(v[0]), no2: Some(v[1]), pm10: Some(v[2]), co: Some(v[3] / 20.0), o3: Some(v[4]), pm25: Some(v[5]), so2_24h: Some(v[0] / 2.0) };
        let a = hourly_aqi(r, &h);
        let max = a.iaqi.iter().flatten().max().copied();
        prop_assert_eq!(a.value, max);
        let aqi = a.value.unwrap();
        prop_assert_eq!(a.level(), Some(Level::of(aqi)));
        prop_assert_eq!(aqi > 50, !a.primary.is_empty());
    }
}

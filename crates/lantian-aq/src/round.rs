//! Rounding as the standards and CNEMC do it.
//!
//! Concentrations arrive as decimal strings and are held as `f64`, so a value printed as
//! `1.15` may be stored as 1.149999…; every rule here first decides whether the value is a tie
//! *in decimal*, with a tolerance far below any reported precision, then applies its rule.

/// Tolerance for deciding that a scaled value is a tie or an integer. Concentrations carry at
/// most 3 decimals, so anything closer than 1e-9 to a tie is a tie written in decimal.
const EPS: f64 = 1e-9;

/// GB/T 8170 "四舍六入五成双": round half to even, to `decimals` decimal places.
///
/// HJ 633—2026 §4.2.2/§4.2.3 require it for the AQI input concentrations (µg/m³ to integers,
/// CO to one decimal); STANDARDS.md §2.6 found CNEMC's 24 h means follow it.
pub fn half_even(x: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    let y = x * scale;
    let fl = y.floor();
    let frac = y - fl;
    let r = if (frac - 0.5).abs() < EPS {
        if fl.rem_euclid(2.0) == 0.0 {
            fl
        } else {
            fl + 1.0
        }
    } else {
        y.round()
    };
    r / scale
}

/// Round half up (away from zero for the non-negative values concentrations are), to
/// `decimals` places: how CNEMC rounds city values (data/README.md) and how briefings round the
/// remaining-days control value (STANDARDS.md §7).
pub fn half_up(x: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    let y = x * scale;
    let fl = y.floor();
    let r = if y - fl >= 0.5 - EPS { fl + 1.0 } else { fl };
    r / scale
}

/// "全部进位取整" — ceil to an integer, as HJ 633—2012 §6.2 and HJ 633—2026 §4.2.6 require
/// for IAQI and AQI. A value within 1e-9 of an integer is that integer (floating-point noise
/// in formula (1) must not turn an exact 100 into 101).
pub fn ceil_index(x: f64) -> f64 {
    let r = x.round();
    if (x - r).abs() < EPS { r } else { x.ceil() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbt8170_examples() {
        assert_eq!(half_even(80.5, 0), 80.0);
        assert_eq!(half_even(81.5, 0), 82.0);
        assert_eq!(half_even(50.9, 0), 51.0);
        assert_eq!(half_even(1.15, 1), 1.2);
        assert_eq!(half_even(1.25, 1), 1.2);
        assert_eq!(half_even(1.251, 1), 1.3);
        assert_eq!(half_even(0.05, 1), 0.0);
        assert_eq!(half_even(2.45, 1), 2.4);
    }

    #[test]
    fn half_up_examples() {
        assert_eq!(half_up(52.5, 0), 53.0);
        assert_eq!(half_up(55.67, 0), 56.0);
        assert_eq!(half_up(28.35, 1), 28.4);
        assert_eq!(half_up(1.005, 2), 1.01);
        assert_eq!(half_up(28.349, 1), 28.3);
    }

    #[test]
    fn ceil_examples() {
        assert_eq!(ceil_index(51.25), 52.0);
        assert_eq!(ceil_index(100.0), 100.0);
        assert_eq!(ceil_index(100.000_000_000_01), 100.0);
        assert_eq!(ceil_index(99.999_999_999_99), 100.0);
        assert_eq!(ceil_index(100.001), 101.0);
    }
}

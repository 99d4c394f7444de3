//! Readings and their quality: what arrives from a sensor or a file, and the checks applied on
//! ingest (negative or out of range, PM2.5 > PM10 倒挂, flat line, spike).
//!
//! Checks never drop a value: a flagged value is kept with its flags, excluded from aggregates,
//! and counted (issue #3).

use crate::ids::StationCode;
use crate::time::Timestamp;
use lantian_aq::Pollutant;
use serde::{Deserialize, Serialize};

/// Where a reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A CNEMC or other file import.
    File,
    /// An MQTT message.
    Mqtt,
    /// An HTTP batch.
    Http,
    /// An HJ 212 packet.
    Hj212,
    /// Generated for the demo district.
    Demo,
}

impl Origin {
    /// Stable code for storage.
    pub const fn code(self) -> &'static str {
        match self {
            Origin::File => "file",
            Origin::Mqtt => "mqtt",
            Origin::Http => "http",
            Origin::Hj212 => "hj212",
            Origin::Demo => "demo",
        }
    }

    /// From [`Origin::code`].
    pub fn parse(s: &str) -> Option<Origin> {
        [
            Origin::File,
            Origin::Mqtt,
            Origin::Http,
            Origin::Hj212,
            Origin::Demo,
        ]
        .into_iter()
        .find(|o| o.code() == s)
    }
}

/// One measured value as received: a station, a pollutant, the end of its averaging period,
/// the value in the pollutant's unit (µg/m³; CO mg/m³).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawReading {
    /// The station.
    pub station: StationCode,
    /// The pollutant.
    pub pollutant: Pollutant,
    /// End of the averaging period.
    pub ts: Timestamp,
    /// The value.
    pub value: f64,
}

/// A quality flag on one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum QualityFlag {
    /// Below zero.
    Negative = 1,
    /// Above the plausible maximum for the pollutant.
    OutOfRange = 1 << 1,
    /// PM2.5 greater than PM10 in the same hour (倒挂).
    Inverted = 1 << 2,
    /// The same value for too many hours in a row (gases ≥ 6 h, PM ≥ 4 h).
    FlatLine = 1 << 3,
    /// A jump far above both neighbours.
    Spike = 1 << 4,
    /// Excluded by a person (with a reason in the log).
    Manual = 1 << 5,
}

impl QualityFlag {
    /// All flags.
    pub const ALL: [QualityFlag; 6] = [
        QualityFlag::Negative,
        QualityFlag::OutOfRange,
        QualityFlag::Inverted,
        QualityFlag::FlatLine,
        QualityFlag::Spike,
        QualityFlag::Manual,
    ];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            QualityFlag::Negative => "negative",
            QualityFlag::OutOfRange => "out_of_range",
            QualityFlag::Inverted => "pm25_gt_pm10",
            QualityFlag::FlatLine => "flat_line",
            QualityFlag::Spike => "spike",
            QualityFlag::Manual => "manual",
        }
    }
}

/// A set of [`QualityFlag`]s; empty means valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QualityFlags(pub u8);

impl QualityFlags {
    /// Valid.
    pub const OK: QualityFlags = QualityFlags(0);

    /// With `f` added.
    pub fn with(self, f: QualityFlag) -> QualityFlags {
        QualityFlags(self.0 | f as u8)
    }

    /// Whether `f` is set.
    pub fn has(self, f: QualityFlag) -> bool {
        self.0 & f as u8 != 0
    }

    /// Whether the value may enter aggregates.
    pub fn is_valid(self) -> bool {
        self.0 == 0
    }

    /// Codes of the flags set.
    pub fn codes(self) -> Vec<&'static str> {
        QualityFlag::ALL
            .into_iter()
            .filter(|f| self.has(*f))
            .map(QualityFlag::code)
            .collect()
    }
}

/// Thresholds of the automatic checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityRules {
    /// Plausible maximum of a 1 h value, per pollutant ([`Pollutant::ALL`] order). Defaults
    /// sit above the top of HJ 633's 1 h scales and the highest values CNEMC has published
    /// (PM10 in dust storms reaches several thousand µg/m³).
    pub max: [f64; 6],
    /// Hours of an unchanged value that make a flat line: gases.
    pub flat_hours_gas: usize,
    /// Hours of an unchanged value that make a flat line: PM.
    pub flat_hours_pm: usize,
    /// Values at or below these ([`Pollutant::ALL`] order) are not checked for flat lines:
    /// near the instruments' resolution (1 µg/m³; CO 0.1 mg/m³) a clean air mass reads the
    /// same value for hours, and CNEMC's validated national data shows it — flagging them
    /// would drop good data.
    pub flat_min: [f64; 6],
    /// A spike: a value at least this many times both neighbours …
    pub spike_ratio: f64,
    /// … and at least this much above the larger neighbour (in the pollutant's unit × 1 for
    /// µg/m³; CO uses a tenth of it).
    pub spike_min_jump: f64,
}

impl Default for QualityRules {
    fn default() -> QualityRules {
        QualityRules {
            // SO2, NO2, PM10, CO, O3, PM2.5
            max: [10_000.0, 4_000.0, 10_000.0, 150.0, 1_500.0, 5_000.0],
            flat_hours_gas: 6,
            flat_hours_pm: 4,
            // SO2, NO2, PM10, CO, O3, PM2.5
            flat_min: [10.0, 10.0, 10.0, 1.0, 10.0, 10.0],
            spike_ratio: 4.0,
            spike_min_jump: 200.0,
        }
    }
}

/// Flags of one value on its own (sign and range).
pub fn check_value(rules: &QualityRules, p: Pollutant, v: f64) -> QualityFlags {
    let mut f = QualityFlags::OK;
    if v < 0.0 || !v.is_finite() {
        f = f.with(QualityFlag::Negative);
    } else if v > rules.max[p.index()] {
        f = f.with(QualityFlag::OutOfRange);
    }
    f
}

/// Flags over one station's hourly series of one pollutant (`None` = missing hour): value
/// checks, flat lines and spikes. Returns one flag set per hour.
pub fn check_series(
    rules: &QualityRules,
    p: Pollutant,
    series: &[Option<f64>],
) -> Vec<QualityFlags> {
    let mut out: Vec<QualityFlags> = series
        .iter()
        .map(|v| v.map_or(QualityFlags::OK, |v| check_value(rules, p, v)))
        .collect();
    // Flat line: a run of identical values over consecutive present hours.
    let need = if matches!(p, Pollutant::Pm10 | Pollutant::Pm25) {
        rules.flat_hours_pm
    } else {
        rules.flat_hours_gas
    };
    let mut i = 0;
    while i < series.len() {
        let Some(v) = series[i].filter(|v| *v > rules.flat_min[p.index()]) else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < series.len() && series[j] == Some(v) {
            j += 1;
        }
        if j - i >= need.max(2) {
            for f in &mut out[i..j] {
                *f = f.with(QualityFlag::FlatLine);
            }
        }
        i = j;
    }
    // Spike: far above both neighbours.
    let jump = if p == Pollutant::Co {
        rules.spike_min_jump / 10.0
    } else {
        rules.spike_min_jump
    };
    for k in 1..series.len().saturating_sub(1) {
        if let (Some(a), Some(v), Some(b)) = (series[k - 1], series[k], series[k + 1]) {
            let hi = a.max(b);
            if v >= rules.spike_ratio * hi.max(1e-9) && v - hi >= jump {
                out[k] = out[k].with(QualityFlag::Spike);
            }
        }
    }
    out
}

/// PM2.5 greater than PM10 in the same hour (倒挂): both values are flagged. A small
/// tolerance absorbs the instruments' rounding.
pub fn inverted_pm(pm25: f64, pm10: f64) -> bool {
    pm25 > pm10 + 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_checks() {
        let r = QualityRules::default();
        assert!(check_value(&r, Pollutant::Pm25, -1.0).has(QualityFlag::Negative));
        assert!(check_value(&r, Pollutant::Co, 200.0).has(QualityFlag::OutOfRange));
        assert!(check_value(&r, Pollutant::Pm10, 9_000.0).is_valid());
    }

    #[test]
    fn flat_lines_by_kind() {
        let r = QualityRules::default();
        let s: Vec<Option<f64>> = [15.0, 17.0, 17.0, 17.0, 17.0, 18.0]
            .iter()
            .map(|v| Some(*v))
            .collect();
        let pm = check_series(&r, Pollutant::Pm25, &s);
        assert_eq!(
            pm.iter().filter(|f| f.has(QualityFlag::FlatLine)).count(),
            4
        );
        let gas = check_series(&r, Pollutant::No2, &s);
        assert!(gas.iter().all(|f| !f.has(QualityFlag::FlatLine)));
        let mut s6 = vec![Some(17.0); 6];
        s6.push(None);
        assert_eq!(
            check_series(&r, Pollutant::No2, &s6)
                .iter()
                .filter(|f| f.has(QualityFlag::FlatLine))
                .count(),
            6
        );
        // At the instrument's resolution a constant value is clean air, not a stuck sensor.
        let low = vec![Some(0.4); 8];
        assert!(
            check_series(&r, Pollutant::Co, &low)
                .iter()
                .all(|f| f.is_valid())
        );
    }

    #[test]
    fn spikes() {
        let r = QualityRules::default();
        let s = vec![Some(40.0), Some(400.0), Some(50.0)];
        assert!(check_series(&r, Pollutant::Pm10, &s)[1].has(QualityFlag::Spike));
        let s = vec![Some(40.0), Some(100.0), Some(50.0)];
        assert!(check_series(&r, Pollutant::Pm10, &s)[1].is_valid());
        assert!(inverted_pm(80.0, 60.0));
        assert!(!inverted_pm(60.5, 60.0));
    }
}

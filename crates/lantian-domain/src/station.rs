//! Monitoring stations: national (国控), provincial (省控) and micro-stations (微站).

use crate::geo::Point;
use crate::ids::{RegionCode, StationCode};
use crate::time::Timestamp;
use lantian_aq::Pollutant;
use serde::{Deserialize, Serialize};

/// The network a station belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    /// 国控: national network (CNEMC).
    National,
    /// 省控: provincial network.
    Provincial,
    /// 微站: a low-cost micro-station of the district.
    Micro,
}

impl StationKind {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            StationKind::National => "national",
            StationKind::Provincial => "provincial",
            StationKind::Micro => "micro",
        }
    }

    /// From [`StationKind::code`].
    pub fn parse(s: &str) -> Option<StationKind> {
        [
            StationKind::National,
            StationKind::Provincial,
            StationKind::Micro,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }
}

/// A linear calibration of a micro-station's pollutant against a reference station:
/// `corrected = slope · raw + offset`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The pollutant.
    pub pollutant: Pollutant,
    /// Slope.
    pub slope: f64,
    /// Offset.
    pub offset: f64,
    /// When it was determined.
    pub since: Timestamp,
}

impl Calibration {
    /// The corrected value of `raw`.
    pub fn apply(&self, raw: f64) -> f64 {
        self.slope * raw + self.offset
    }
}

/// A station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Station {
    /// Code.
    pub code: StationCode,
    /// Name.
    pub name: String,
    /// Network.
    pub kind: StationKind,
    /// Position, when known.
    pub location: Option<Point>,
    /// The grid it stands in (placed by point-in-polygon on import).
    pub grid: Option<RegionCode>,
    /// The CNEMC city it reports under (for national stations).
    pub city: Option<String>,
    /// 对照点: a control (background) station, excluded from area values (HJ 663).
    pub control: bool,
    /// Pollutants it measures.
    pub pollutants: Vec<Pollutant>,
    /// Calibrations (micro-stations), latest per pollutant applies.
    pub calibrations: Vec<Calibration>,
}

impl Station {
    /// The calibration in force for `p`, if any.
    pub fn calibration(&self, p: Pollutant) -> Option<&Calibration> {
        self.calibrations
            .iter()
            .filter(|c| c.pollutant == p)
            .max_by_key(|c| c.since)
    }
}

//! The reading types the store keeps and returns, and the filter of source queries.

use lantian_aq::{Date, Pollutant};
use lantian_domain::reading::{Origin, QualityFlags};
use lantian_domain::source::SourceKind;
use lantian_domain::{RegionCode, StationCode, Timestamp, UnitCode};
use serde::{Deserialize, Serialize};

/// One hourly value of one station and pollutant, with its raw, corrected and validated
/// values side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourlyValue {
    /// The station.
    pub station: StationCode,
    /// The pollutant.
    pub pollutant: Pollutant,
    /// The END of the hour (a whole hour: the value labelled 16:00 is the mean of 15:00–16:00).
    pub hour: Timestamp,
    /// The value as measured (for sub-hourly data: the mean of the valid readings).
    pub raw: Option<f64>,
    /// The value after calibration (micro-stations), if any.
    pub corrected: Option<f64>,
    /// The value that enters aggregates; `None` when flagged, missing, or short of capture.
    pub validated: Option<f64>,
    /// Quality flags; any flag excludes the value from aggregates.
    pub flags: QualityFlags,
    /// Where it came from.
    pub origin: Origin,
    /// Data capture: (valid, expected) sub-hourly readings; `(1, 1)` for a value that arrived
    /// hourly.
    pub capture: (u16, u16),
}

impl HourlyValue {
    /// An hourly value as received hourly (a CNEMC file, an hourly MQTT message): `raw` as
    /// given, validated equal to it when there are no flags, capture `(1, 1)`.
    pub fn hourly(
        station: StationCode,
        pollutant: Pollutant,
        hour: Timestamp,
        raw: f64,
        flags: QualityFlags,
        origin: Origin,
    ) -> HourlyValue {
        HourlyValue {
            station,
            pollutant,
            hour,
            raw: Some(raw),
            corrected: None,
            validated: flags.is_valid().then_some(raw),
            flags,
            origin,
            capture: (1, 1),
        }
    }
}

/// The latest hourly value of a station and pollutant, kept on write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestValue {
    /// The station.
    pub station: StationCode,
    /// The pollutant.
    pub pollutant: Pollutant,
    /// The END of the latest hour stored for it.
    pub hour: Timestamp,
    /// Raw value of that hour.
    pub raw: Option<f64>,
    /// Corrected value of that hour.
    pub corrected: Option<f64>,
    /// Validated value of that hour.
    pub validated: Option<f64>,
    /// Flags of that hour.
    pub flags: QualityFlags,
    /// Origin of that hour's value.
    pub origin: Origin,
}

/// The validated hourly values of one station, pollutant and Asia/Shanghai day (hours
/// labelled 01..24), kept on write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyRollup {
    /// The station.
    pub station: StationCode,
    /// The pollutant.
    pub pollutant: Pollutant,
    /// The local day.
    pub day: Date,
    /// Hours of the day with a stored row (valid or not), 0..=24.
    pub n_hours: u8,
    /// Hours with a validated value, 0..=24.
    pub n_valid: u8,
    /// Sum of the validated values.
    pub sum: f64,
    /// Smallest validated value.
    pub min: Option<f64>,
    /// Largest validated value.
    pub max: Option<f64>,
}

impl DailyRollup {
    /// Mean of the validated values, `None` without any. Whether the day has enough hours for a
    /// daily value (HJ 663: 20) is for `lantian-aq` to decide.
    pub fn mean(&self) -> Option<f64> {
        (self.n_valid > 0).then(|| self.sum / f64::from(self.n_valid))
    }
}

/// Which sources to list; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceFilter {
    /// Only sources in this grid.
    pub grid: Option<RegionCode>,
    /// Only sources of this kind.
    pub kind: Option<SourceKind>,
    /// Only sources this unit is responsible for.
    pub unit: Option<UnitCode>,
}

/// What a published city value is of: the city's hourly AQI or the 1 h concentration of one
/// pollutant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CityItem {
    /// The city's real-time AQI as CNEMC published it.
    Aqi,
    /// The 1 h concentration of a pollutant (µg/m³; CO mg/m³).
    Pollutant(Pollutant),
}

/// A value CNEMC published for a city (a `china_cities` file). Kept beside the station values
/// and never mixed into them: a city's own value is computed from its stations by
/// `lantian-aq`, and these are what it is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CityValue {
    /// The city's name as the file spells it (`焦作`).
    pub city: String,
    /// The END of the hour.
    pub hour: Timestamp,
    /// Which value.
    pub item: CityItem,
    /// The value as published.
    pub value: f64,
}

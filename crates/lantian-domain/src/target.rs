//! Annual targets (年度目标) per area and indicator.

use crate::ids::RegionCode;
use serde::{Deserialize, Serialize};

/// What a target is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetIndicator {
    /// Annual mean PM2.5 ≤ value (µg/m³).
    Pm25,
    /// Annual mean PM10 ≤ value (µg/m³).
    Pm10,
    /// Good days (优良天数) ≥ value.
    GoodDays,
    /// Good-day ratio ≥ value (%).
    GoodDayRatio,
    /// Heavy-pollution days ≤ value.
    HeavyDays,
    /// Composite index ≤ value.
    CompositeIndex,
    /// Annual mean NO2 ≤ value.
    No2,
    /// O3 daily max 8 h P90 ≤ value.
    O3P90,
}

impl TargetIndicator {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            TargetIndicator::Pm25 => "pm25",
            TargetIndicator::Pm10 => "pm10",
            TargetIndicator::GoodDays => "good_days",
            TargetIndicator::GoodDayRatio => "good_day_ratio",
            TargetIndicator::HeavyDays => "heavy_days",
            TargetIndicator::CompositeIndex => "composite_index",
            TargetIndicator::No2 => "no2",
            TargetIndicator::O3P90 => "o3_p90",
        }
    }

    /// From [`TargetIndicator::code`].
    pub fn parse(s: &str) -> Option<TargetIndicator> {
        use TargetIndicator::*;
        [
            Pm25,
            Pm10,
            GoodDays,
            GoodDayRatio,
            HeavyDays,
            CompositeIndex,
            No2,
            O3P90,
        ]
        .into_iter()
        .find(|t| t.code() == s)
    }

    /// Whether meeting it means staying at or below the value (else at or above).
    pub const fn is_ceiling(self) -> bool {
        !matches!(
            self,
            TargetIndicator::GoodDays | TargetIndicator::GoodDayRatio
        )
    }
}

/// A target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Year.
    pub year: i32,
    /// Area (the district, a town).
    pub area: RegionCode,
    /// Indicator.
    pub indicator: TargetIndicator,
    /// Value.
    pub value: f64,
}

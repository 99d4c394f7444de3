//! The six basic pollutants of GB 3095 Table 1 and their units.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A basic pollutant (GB 3095—2012 / —2026 Table 1). Order is the CNEMC column order used in
/// reports: SO2, NO2, PM10, CO, O3, PM2.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pollutant {
    /// 二氧化硫, µg/m³.
    So2,
    /// 二氧化氮, µg/m³.
    No2,
    /// 可吸入颗粒物, µg/m³.
    Pm10,
    /// 一氧化碳, mg/m³.
    Co,
    /// 臭氧, µg/m³.
    O3,
    /// 细颗粒物, µg/m³.
    Pm25,
}

impl Pollutant {
    /// All six, in report order.
    pub const ALL: [Pollutant; 6] = [
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Pm10,
        Pollutant::Co,
        Pollutant::O3,
        Pollutant::Pm25,
    ];

    /// The five evaluated by their daily (24 h) mean; O3 is evaluated by its daily max 8 h
    /// (GB 3095 Table 1; HJ 633 daily report).
    pub const DAILY_MEAN: [Pollutant; 5] = [
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Pm10,
        Pollutant::Co,
        Pollutant::Pm25,
    ];

    /// Dense index 0..6 in [`Pollutant::ALL`] order.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The code CNEMC files and reports use (`PM2.5`, `SO2`, …).
    pub const fn code(self) -> &'static str {
        match self {
            Pollutant::So2 => "SO2",
            Pollutant::No2 => "NO2",
            Pollutant::Pm10 => "PM10",
            Pollutant::Co => "CO",
            Pollutant::O3 => "O3",
            Pollutant::Pm25 => "PM2.5",
        }
    }

    /// Parse a CNEMC code (`PM2.5`, `pm25`, `SO2`, …).
    pub fn parse(s: &str) -> Option<Pollutant> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "SO2" => Pollutant::So2,
            "NO2" => Pollutant::No2,
            "PM10" => Pollutant::Pm10,
            "CO" => Pollutant::Co,
            "O3" => Pollutant::O3,
            "PM2.5" | "PM25" | "PM2_5" => Pollutant::Pm25,
            _ => return None,
        })
    }

    /// Chinese name as used in bulletins.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Pollutant::So2 => "二氧化硫",
            Pollutant::No2 => "二氧化氮",
            Pollutant::Pm10 => "可吸入颗粒物",
            Pollutant::Co => "一氧化碳",
            Pollutant::O3 => "臭氧",
            Pollutant::Pm25 => "细颗粒物",
        }
    }

    /// Unit: mg/m³ for CO, µg/m³ for the rest (GB 3095 Table 1).
    pub const fn unit(self) -> &'static str {
        match self {
            Pollutant::Co => "mg/m³",
            _ => "µg/m³",
        }
    }

    /// Decimals of a reported concentration: CO to 1 decimal, the rest integers
    /// (HJ 633—2026 §4.2.2; GB/T 8170 rounding).
    pub const fn report_decimals(self) -> u32 {
        match self {
            Pollutant::Co => 1,
            _ => 0,
        }
    }
}

/// Serialized as its CNEMC code (`"PM2.5"`).
impl Serialize for Pollutant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// Deserialized with [`Pollutant::parse`] (`"PM2.5"`, `"pm25"`, …).
impl<'de> Deserialize<'de> for Pollutant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pollutant, D::Error> {
        let s = String::deserialize(d)?;
        Pollutant::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown pollutant {s:?} (SO2, NO2, PM10, CO, O3, PM2.5)"
            ))
        })
    }
}

impl std::fmt::Display for Pollutant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

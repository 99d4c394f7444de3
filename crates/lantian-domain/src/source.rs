//! Pollution sources (污染源) by kind, and the indicators each kind drives.

use crate::geo::Point;
use crate::ids::{RegionCode, SourceId, UnitCode};
use lantian_aq::Pollutant;
use serde::{Deserialize, Serialize};

/// The kind of a source (PRODUCT.md; the seed's 工地, 道路, 涉气企业, 餐饮油烟, 燃煤散烧).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// 工地: construction site.
    Construction,
    /// 道路: road segment.
    Road,
    /// 涉气企业: emitting enterprise.
    Enterprise,
    /// 餐饮: restaurant (cooking fumes).
    Restaurant,
    /// 燃煤散烧: loose coal burning point.
    CoalBurning,
    /// Anything else.
    Other,
}

impl SourceKind {
    /// All kinds.
    pub const ALL: [SourceKind; 6] = [
        SourceKind::Construction,
        SourceKind::Road,
        SourceKind::Enterprise,
        SourceKind::Restaurant,
        SourceKind::CoalBurning,
        SourceKind::Other,
    ];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            SourceKind::Construction => "construction",
            SourceKind::Road => "road",
            SourceKind::Enterprise => "enterprise",
            SourceKind::Restaurant => "restaurant",
            SourceKind::CoalBurning => "coal_burning",
            SourceKind::Other => "other",
        }
    }

    /// From the code or the Chinese name used in registries.
    pub fn parse(s: &str) -> Option<SourceKind> {
        let s = s.trim();
        SourceKind::ALL
            .into_iter()
            .find(|k| k.code() == s || k.name_zh() == s)
            .or(match s {
                "建筑工地" | "施工工地" => Some(SourceKind::Construction),
                "企业" | "工业企业" => Some(SourceKind::Enterprise),
                "餐饮油烟" | "饭店" => Some(SourceKind::Restaurant),
                "散煤" | "燃煤" => Some(SourceKind::CoalBurning),
                _ => None,
            })
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            SourceKind::Construction => "工地",
            SourceKind::Road => "道路",
            SourceKind::Enterprise => "涉气企业",
            SourceKind::Restaurant => "餐饮",
            SourceKind::CoalBurning => "燃煤散烧",
            SourceKind::Other => "其他",
        }
    }
}

/// An indicator a source kind drives (the seed: 围绕PM10 … 围绕PM2.5 … NOx/CO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Driven {
    /// A pollutant.
    Pollutant(Pollutant),
    /// VOCs (precursors of O3 and PM2.5).
    Vocs,
    /// NOx (combustion).
    Nox,
}

/// A registered source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Identifier.
    pub id: SourceId,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: SourceKind,
    /// Position.
    pub location: Option<Point>,
    /// The grid it is in.
    pub grid: Option<RegionCode>,
    /// The unit responsible for it (城管中心 for roads and restaurants, 科工中心 for
    /// enterprises …).
    pub unit: Option<UnitCode>,
    /// Active, suspended, closed (free text of the registry, e.g. 在建 / 停工 / 关停).
    pub status: String,
    /// Enterprises: handles VOCs (涉VOCs).
    pub vocs: bool,
    /// Enterprises: industry.
    pub industry: Option<String>,
}

impl Source {
    /// The indicators this source drives: PM10 ← sites and roads; PM2.5 ← enterprises, cooking,
    /// coal, VOCs; NOx/CO ← combustion (enterprises, coal).
    pub fn drives(&self) -> Vec<Driven> {
        use Driven::{Nox, Pollutant as P, Vocs};
        let mut d = match self.kind {
            SourceKind::Construction | SourceKind::Road => vec![P(Pollutant::Pm10)],
            SourceKind::Enterprise => vec![P(Pollutant::Pm25), Nox, P(Pollutant::Co)],
            SourceKind::Restaurant => vec![P(Pollutant::Pm25)],
            SourceKind::CoalBurning => {
                vec![P(Pollutant::Pm25), P(Pollutant::So2), Nox, P(Pollutant::Co)]
            }
            SourceKind::Other => vec![],
        };
        if self.vocs {
            d.extend([Vocs, P(Pollutant::O3), P(Pollutant::Pm25)]);
            d.dedup();
        }
        d
    }
}

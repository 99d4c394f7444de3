//! Coverage gaps (网格防控有疏漏): grids with no one responsible, no station, sources with no
//! responsible unit — shown, never hidden.

use crate::ids::{RegionCode, SourceId};
use crate::region::{Duty, RegionLevel, RegionTree, Responsibility};
use crate::source::Source;
use crate::station::Station;
use serde::Serialize;
use std::collections::HashSet;

/// One gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gap {
    /// A grid with no grid chief and no grid worker.
    NoOneResponsible {
        /// The grid.
        grid: RegionCode,
    },
    /// A grid with workers but no grid chief (网格长).
    NoGridChief {
        /// The grid.
        grid: RegionCode,
    },
    /// A grid with no station of any network inside it.
    NoStation {
        /// The grid.
        grid: RegionCode,
    },
    /// A grid without a boundary, so nothing can be placed in it.
    NoBoundary {
        /// The grid.
        grid: RegionCode,
    },
    /// A registered source with no responsible unit.
    SourceWithoutUnit {
        /// The source.
        source: SourceId,
    },
    /// A registered source not placed in any grid.
    SourceOutsideGrids {
        /// The source.
        source: SourceId,
    },
}

impl Gap {
    /// Chinese description for lists and briefings.
    pub fn describe_zh(&self) -> String {
        match self {
            Gap::NoOneResponsible { grid } => format!("网格 {grid} 无网格长、无网格员"),
            Gap::NoGridChief { grid } => format!("网格 {grid} 未明确网格长"),
            Gap::NoStation { grid } => format!("网格 {grid} 无监测站点"),
            Gap::NoBoundary { grid } => format!("网格 {grid} 无边界"),
            Gap::SourceWithoutUnit { source } => format!("污染源 {source} 无责任单位"),
            Gap::SourceOutsideGrids { source } => format!("污染源 {source} 未落入任何网格"),
        }
    }
}

/// All coverage gaps of a district, grids in tree order, then sources in the order given.
pub fn coverage_gaps(
    tree: &RegionTree,
    duties: &[Responsibility],
    stations: &[Station],
    sources: &[Source],
) -> Vec<Gap> {
    let with_station: HashSet<&RegionCode> =
        stations.iter().filter_map(|s| s.grid.as_ref()).collect();
    let mut out = Vec::new();
    for g in tree.nodes().iter().filter(|r| r.level == RegionLevel::Grid) {
        let d: Vec<Duty> = duties
            .iter()
            .filter(|r| r.region == g.code)
            .map(|r| r.duty)
            .collect();
        if !d
            .iter()
            .any(|x| matches!(x, Duty::GridChief | Duty::GridWorker))
        {
            out.push(Gap::NoOneResponsible {
                grid: g.code.clone(),
            });
        } else if !d.contains(&Duty::GridChief) {
            out.push(Gap::NoGridChief {
                grid: g.code.clone(),
            });
        }
        if !with_station.contains(&g.code) {
            out.push(Gap::NoStation {
                grid: g.code.clone(),
            });
        }
        if g.area.is_none() {
            out.push(Gap::NoBoundary {
                grid: g.code.clone(),
            });
        }
    }
    for s in sources {
        if s.unit.is_none() {
            out.push(Gap::SourceWithoutUnit {
                source: s.id.clone(),
            });
        }
        if s.grid.is_none() {
            out.push(Gap::SourceOutsideGrids {
                source: s.id.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::{Area, Point, Polygon};
    use crate::ids::{PersonId, StationCode, UnitCode};
    use crate::region::Region;
    use crate::source::SourceKind;
    use crate::station::StationKind;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn square(x: f64, y: f64) -> Area {
        let ring = [
            (x, y),
            (x + 1.0, y),
            (x + 1.0, y + 1.0),
            (x, y + 1.0),
            (x, y),
        ]
        .iter()
        .map(|&(lon, lat)| Point { lon, lat })
        .collect();
        Area(vec![Polygon::new(vec![ring]).unwrap()])
    }

    fn tree() -> RegionTree {
        let r = |c: &str, level, parent: Option<&str>, area| Region {
            code: code(c),
            name: c.into(),
            level,
            parent: parent.map(code),
            area,
        };
        RegionTree::new(vec![
            r("D", RegionLevel::District, None, None),
            r("T", RegionLevel::Town, Some("D"), None),
            r("V", RegionLevel::Village, Some("T"), None),
            r("G1", RegionLevel::Grid, Some("V"), Some(square(0.0, 0.0))),
            r("G2", RegionLevel::Grid, Some("V"), Some(square(1.0, 0.0))),
            r("G3", RegionLevel::Grid, Some("V"), None),
        ])
        .unwrap()
    }

    #[test]
    fn tree_rules() {
        let t = tree();
        assert_eq!(
            t.grid_at(Point { lon: 1.5, lat: 0.5 }).unwrap().code,
            code("G2")
        );
        assert!(t.grid_at(Point { lon: 5.0, lat: 0.5 }).is_none());
        assert_eq!(t.town_of(&code("G1")).unwrap().code, code("T"));
        let bad = RegionTree::new(vec![Region {
            code: code("G"),
            name: "g".into(),
            level: RegionLevel::Grid,
            parent: Some(code("X")),
            area: None,
        }]);
        assert!(matches!(
            bad,
            Err(crate::region::TreeError::MissingParent { .. })
        ));
    }

    #[test]
    fn gaps_are_listed() {
        let t = tree();
        let duties = vec![
            Responsibility {
                region: code("G1"),
                person: PersonId::parse("p1").unwrap(),
                duty: Duty::GridChief,
            },
            Responsibility {
                region: code("G2"),
                person: PersonId::parse("p2").unwrap(),
                duty: Duty::GridWorker,
            },
        ];
        let st = Station {
            code: StationCode::parse("M1").unwrap(),
            name: "m".into(),
            kind: StationKind::Micro,
            location: None,
            grid: Some(code("G1")),
            city: None,
            control: false,
            pollutants: vec![],
            calibrations: vec![],
        };
        let src = Source {
            id: SourceId::parse("S1").unwrap(),
            name: "工地".into(),
            kind: SourceKind::Construction,
            location: None,
            grid: Some(code("G2")),
            unit: None,
            status: "在建".into(),
            vocs: false,
            industry: None,
        };
        let gaps = coverage_gaps(&t, &duties, &[st], &[src]);
        assert_eq!(
            gaps,
            vec![
                Gap::NoGridChief { grid: code("G2") },
                Gap::NoStation { grid: code("G2") },
                Gap::NoOneResponsible { grid: code("G3") },
                Gap::NoStation { grid: code("G3") },
                Gap::NoBoundary { grid: code("G3") },
                Gap::SourceWithoutUnit {
                    source: SourceId::parse("S1").unwrap()
                },
            ]
        );
        assert_eq!(gaps[0].describe_zh(), "网格 G2 未明确网格长");
        let _ = UnitCode::parse("u");
    }
}

//! The region tree: district → town / sub-district (镇/街道) → village / community (村/社区) →
//! grid (网格), and who is responsible for each node.

use crate::geo::{Area, Point};
use crate::ids::{PersonId, RegionCode};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The level of a region node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 区 / 县.
    District,
    /// 镇 / 街道 (town or sub-district).
    Town,
    /// 村 / 社区 (village or community).
    Village,
    /// 网格.
    Grid,
}

impl RegionLevel {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            RegionLevel::District => "district",
            RegionLevel::Town => "town",
            RegionLevel::Village => "village",
            RegionLevel::Grid => "grid",
        }
    }

    /// From [`RegionLevel::code`] or the Chinese name.
    pub fn parse(s: &str) -> Option<RegionLevel> {
        Some(match s.trim() {
            "district" | "区" | "县" => RegionLevel::District,
            "town" | "镇" | "街道" | "乡" => RegionLevel::Town,
            "village" | "村" | "社区" => RegionLevel::Village,
            "grid" | "网格" => RegionLevel::Grid,
            _ => return None,
        })
    }

    /// The level a child of this level has.
    pub const fn child(self) -> Option<RegionLevel> {
        match self {
            RegionLevel::District => Some(RegionLevel::Town),
            RegionLevel::Town => Some(RegionLevel::Village),
            RegionLevel::Village => Some(RegionLevel::Grid),
            RegionLevel::Grid => None,
        }
    }
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Code.
    pub code: RegionCode,
    /// Name (李万街道, 第三网格 …).
    pub name: String,
    /// Level.
    pub level: RegionLevel,
    /// Parent (none for the district).
    pub parent: Option<RegionCode>,
    /// Boundary, when known (GeoJSON Polygon/MultiPolygon on import).
    pub area: Option<Area>,
}

/// A role a person holds for a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 网格长.
    GridChief,
    /// 网格员.
    GridWorker,
    /// 包村干部 (the cadre in charge of a village).
    CadreInCharge,
}

impl Duty {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Duty::GridChief => "grid_chief",
            Duty::GridWorker => "grid_worker",
            Duty::CadreInCharge => "cadre_in_charge",
        }
    }

    /// From [`Duty::code`].
    pub fn parse(s: &str) -> Option<Duty> {
        [Duty::GridChief, Duty::GridWorker, Duty::CadreInCharge]
            .into_iter()
            .find(|d| d.code() == s)
    }
}

/// A person's duty for a region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Responsibility {
    /// The region.
    pub region: RegionCode,
    /// The person.
    pub person: PersonId,
    /// The duty.
    pub duty: Duty,
}

/// Why a set of regions is not a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// Two nodes with one code.
    #[error("region {0} appears twice")]
    Duplicate(RegionCode),
    /// A parent that does not exist.
    #[error("region {child}: parent {parent} does not exist")]
    MissingParent {
        /// The node.
        child: RegionCode,
        /// Its missing parent.
        parent: RegionCode,
    },
    /// A child not one level below its parent.
    #[error("region {child} ({child_level}) cannot be under {parent} ({parent_level})")]
    WrongLevel {
        /// The node.
        child: RegionCode,
        /// Its level.
        child_level: &'static str,
        /// Its parent.
        parent: RegionCode,
        /// The parent's level.
        parent_level: &'static str,
    },
    /// A node other than a district without a parent.
    #[error("region {0} has no parent but is not a district")]
    Orphan(RegionCode),
}

/// A checked region tree.
#[derive(Debug, Clone, Default)]
pub struct RegionTree {
    nodes: Vec<Region>,
    index: HashMap<RegionCode, usize>,
}

impl RegionTree {
    /// Check that `regions` form a tree: unique codes, existing parents, each child exactly one
    /// level below its parent, only districts at the root.
    pub fn new(regions: Vec<Region>) -> Result<RegionTree, TreeError> {
        let mut index = HashMap::with_capacity(regions.len());
        for (i, r) in regions.iter().enumerate() {
            if index.insert(r.code.clone(), i).is_some() {
                return Err(TreeError::Duplicate(r.code.clone()));
            }
        }
        for r in &regions {
            match &r.parent {
                None if r.level != RegionLevel::District => {
                    return Err(TreeError::Orphan(r.code.clone()));
                }
                None => {}
                Some(p) => {
                    let Some(&pi) = index.get(p) else {
                        return Err(TreeError::MissingParent {
                            child: r.code.clone(),
                            parent: p.clone(),
                        });
                    };
                    let parent = &regions[pi];
                    if parent.level.child() != Some(r.level) {
                        return Err(TreeError::WrongLevel {
                            child: r.code.clone(),
                            child_level: r.level.code(),
                            parent: p.clone(),
                            parent_level: parent.level.code(),
                        });
                    }
                }
            }
        }
        Ok(RegionTree {
            nodes: regions,
            index,
        })
    }

    /// All nodes, in the order given.
    pub fn nodes(&self) -> &[Region] {
        &self.nodes
    }

    /// A node by code.
    pub fn get(&self, code: &RegionCode) -> Option<&Region> {
        self.index.get(code).map(|&i| &self.nodes[i])
    }

    /// The children of `code`.
    pub fn children<'a>(&'a self, code: &'a RegionCode) -> impl Iterator<Item = &'a Region> + 'a {
        self.nodes
            .iter()
            .filter(move |r| r.parent.as_ref() == Some(code))
    }

    /// `code` and its ancestors up to the district.
    pub fn ancestry(&self, code: &RegionCode) -> Vec<&Region> {
        let mut out = Vec::new();
        let mut cur = self.get(code);
        while let Some(r) = cur {
            out.push(r);
            cur = r.parent.as_ref().and_then(|p| self.get(p));
            if out.len() > 8 {
                break; // a tree has at most four levels; never loop on bad data
            }
        }
        out
    }

    /// The grid whose boundary contains `p` (the first in tree order, for shared edges).
    pub fn grid_at(&self, p: Point) -> Option<&Region> {
        self.nodes
            .iter()
            .filter(|r| r.level == RegionLevel::Grid)
            .find(|r| r.area.as_ref().is_some_and(|a| a.contains(p)))
    }

    /// The town (镇/街道) a region belongs to, if any.
    pub fn town_of(&self, code: &RegionCode) -> Option<&Region> {
        self.ancestry(code)
            .into_iter()
            .find(|r| r.level == RegionLevel::Town)
    }
}

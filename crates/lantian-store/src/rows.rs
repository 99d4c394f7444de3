//! Rows of the metadata tables, as both backends read them, and their decoding into domain
//! values. The SQL differs between SQLite and PostgreSQL (placeholders, integer widths); the
//! columns and what they mean do not, so the decoding is written once, here.

use crate::StoreError;
use crate::codec::{decode, decode_id};
use lantian_domain::geo::Point;
use lantian_domain::org::{Person, Role, Unit, UnitKind};
use lantian_domain::region::{Duty, Region, RegionLevel, Responsibility};
use lantian_domain::source::{Source, SourceKind};
use lantian_domain::target::{Target, TargetIndicator};
use lantian_domain::{PersonId, RegionCode, SourceId, UnitCode};

/// A position from nullable columns: both or none.
pub fn point(lon: Option<f64>, lat: Option<f64>) -> Option<Point> {
    Some(Point {
        lon: lon?,
        lat: lat?,
    })
}

/// A nullable identifier column.
pub fn opt_id<T, E>(
    what: &'static str,
    s: Option<String>,
    parse: fn(&str) -> Result<T, E>,
) -> Result<Option<T>, StoreError> {
    s.map(|s| decode_id(what, &s, parse)).transpose()
}

/// `regions`: code, name, level, parent, area (GeoJSON).
pub type RegionRow = (String, String, String, Option<String>, Option<String>);

/// A region from its row.
pub fn region((code, name, level, parent, area): RegionRow) -> Result<Region, StoreError> {
    Ok(Region {
        code: decode_id("region code", &code, RegionCode::parse)?,
        name,
        level: decode("region level", &level, RegionLevel::parse)?,
        parent: opt_id("region code", parent, RegionCode::parse)?,
        area: area
            .map(|a| crate::codec::area_from_geojson(&a))
            .transpose()?,
    })
}

/// A duty from its row: region, person, duty.
pub fn responsibility(
    (region, person, duty): (String, String, String),
) -> Result<Responsibility, StoreError> {
    Ok(Responsibility {
        region: decode_id("region code", &region, RegionCode::parse)?,
        person: decode_id("person id", &person, PersonId::parse)?,
        duty: decode("duty", &duty, Duty::parse)?,
    })
}

/// `units`: code, name, kind, region.
pub type UnitRow = (String, String, String, Option<String>);

/// A unit from its row.
pub fn unit((code, name, kind, region): UnitRow) -> Result<Unit, StoreError> {
    Ok(Unit {
        code: decode_id("unit code", &code, UnitCode::parse)?,
        name,
        kind: decode("unit kind", &kind, UnitKind::parse)?,
        region: opt_id("region code", region, RegionCode::parse)?,
    })
}

/// `people`: id, name, unit, role, phone.
pub type PersonRow = (String, String, String, String, Option<String>);

/// A person from its row.
pub fn person((id, name, unit, role, phone): PersonRow) -> Result<Person, StoreError> {
    Ok(Person {
        id: decode_id("person id", &id, PersonId::parse)?,
        name,
        unit: decode_id("unit code", &unit, UnitCode::parse)?,
        role: decode("role", &role, Role::parse)?,
        phone,
    })
}

/// `sources`: id, name, kind, lon, lat, grid, unit, status, vocs, industry.
pub type SourceRow = (
    String,
    String,
    String,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Option<String>,
    String,
    bool,
    Option<String>,
);

/// A source from its row.
pub fn source(
    (id, name, kind, lon, lat, grid, unit, status, vocs, industry): SourceRow,
) -> Result<Source, StoreError> {
    Ok(Source {
        id: decode_id("source id", &id, SourceId::parse)?,
        name,
        kind: decode("source kind", &kind, SourceKind::parse)?,
        location: point(lon, lat),
        grid: opt_id("region code", grid, RegionCode::parse)?,
        unit: opt_id("unit code", unit, UnitCode::parse)?,
        status,
        vocs,
        industry,
    })
}

/// A target from its row: year, area, indicator, value.
pub fn target(
    (year, area, indicator, value): (i32, String, String, f64),
) -> Result<Target, StoreError> {
    Ok(Target {
        year,
        area: decode_id("region code", &area, RegionCode::parse)?,
        indicator: decode("target indicator", &indicator, TargetIndicator::parse)?,
        value,
    })
}

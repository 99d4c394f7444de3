//! GeoJSON in and out for the region tree (`lantian import grids FILE.geojson`).
//!
//! A FeatureCollection; each Feature is one region node with `properties`:
//! `code` (required), `name` (required), `level` (`district|town|village|grid` or
//! 区/镇/街道/村/社区/网格, required), `parent` (code; required except for a district), and a
//! `Polygon` or `MultiPolygon` geometry (optional: a node without a boundary is allowed and
//! shows as a coverage gap). Coordinates are WGS 84 `[lon, lat]`.
//!
//! Errors name the file, the feature (index and code) and the field; JSON syntax errors name
//! the line and column.

use crate::error::{ReadError, ReadErrorKind};
use lantian_domain::RegionCode;
use lantian_domain::geo::{Area, Point, Polygon};
use lantian_domain::region::{Region, RegionLevel, RegionTree};
use serde_json::{Value, json};
use std::path::Path;

fn err(path: &Path, what: String) -> ReadError {
    ReadError::file(path, ReadErrorKind::BadHeader(what))
}

/// Parse a FeatureCollection of regions. The result is checked as a tree
/// ([`RegionTree::new`]) only by the caller, who may merge it with regions already stored.
pub fn parse_regions(path: &Path, text: &str) -> Result<Vec<Region>, ReadError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| ReadError {
        path: path.to_owned(),
        line: Some(e.line() as u64),
        column: Some((e.column(), "json".into())),
        kind: ReadErrorKind::BadHeader(format!("not valid JSON: {e}")),
    })?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(err(path, "expected a GeoJSON FeatureCollection".into()));
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| err(path, "FeatureCollection without a `features` array".into()))?;
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let props = f.get("properties").and_then(Value::as_object);
        let code_text = props
            .and_then(|p| p.get("code"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let at = |field: &str, why: String| {
            err(
                path,
                format!("feature {i} (code {code_text:?}): `{field}`: {why}"),
            )
        };
        let Some(props) = props else {
            return Err(at("properties", "missing".into()));
        };
        let text = |k: &str| {
            props
                .get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let code = RegionCode::parse(text("code").ok_or_else(|| at("code", "missing".into()))?)
            .map_err(|e| at("code", e.to_string()))?;
        let name = text("name")
            .ok_or_else(|| at("name", "missing".into()))?
            .to_owned();
        let level_s = text("level").ok_or_else(|| at("level", "missing".into()))?;
        let level = RegionLevel::parse(level_s)
            .ok_or_else(|| at("level", format!("unknown level {level_s:?}")))?;
        let parent = match text("parent") {
            Some(p) => Some(RegionCode::parse(p).map_err(|e| at("parent", e.to_string()))?),
            None => None,
        };
        let area = match f.get("geometry") {
            None | Some(Value::Null) => None,
            Some(g) => Some(area(g).map_err(|why| at("geometry", why))?),
        };
        out.push(Region {
            code,
            name,
            level,
            parent,
            area,
        });
    }
    Ok(out)
}

fn ring(v: &Value) -> Result<Vec<Point>, String> {
    let pts = v.as_array().ok_or("a ring must be an array of positions")?;
    pts.iter()
        .map(|p| {
            let a = p
                .as_array()
                .filter(|a| a.len() >= 2)
                .ok_or("a position must be [lon, lat]")?;
            let (Some(lon), Some(lat)) = (a[0].as_f64(), a[1].as_f64()) else {
                return Err("a position must be two numbers".to_owned());
            };
            Point::new(lon, lat).map_err(|e| e.to_string())
        })
        .collect()
}

fn polygon(v: &Value) -> Result<Polygon, String> {
    let rings = v
        .as_array()
        .ok_or("Polygon coordinates must be an array of rings")?;
    let rings = rings.iter().map(ring).collect::<Result<Vec<_>, _>>()?;
    Polygon::new(rings).map_err(|e| e.to_string())
}

fn area(g: &Value) -> Result<Area, String> {
    let coords = g.get("coordinates").ok_or("missing `coordinates`")?;
    match g.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(Area(vec![polygon(coords)?])),
        Some("MultiPolygon") => {
            let polys = coords
                .as_array()
                .ok_or("MultiPolygon coordinates must be an array")?;
            Ok(Area(polys.iter().map(polygon).collect::<Result<_, _>>()?))
        }
        other => Err(format!(
            "geometry type {other:?} is not Polygon or MultiPolygon"
        )),
    }
}

/// Check that `regions` form a tree, naming the file on failure.
pub fn check_tree(path: &Path, regions: Vec<Region>) -> Result<RegionTree, ReadError> {
    RegionTree::new(regions).map_err(|e| err(path, e.to_string()))
}

/// Write regions as a FeatureCollection (the format [`parse_regions`] reads). Nodes without a
/// boundary get a `null` geometry.
pub fn regions_to_geojson(regions: &[Region]) -> String {
    let features: Vec<Value> = regions
        .iter()
        .map(|r| {
            let geometry = r.area.as_ref().map_or(Value::Null, |a| {
                let poly = |p: &Polygon| -> Value {
                    Value::Array(
                        p.rings()
                            .iter()
                            .map(|ring| Value::Array(ring.iter().map(|pt| json!([pt.lon, pt.lat])).collect()))
                            .collect(),
                    )
                };
                if a.0.len() == 1 {
                    json!({"type": "Polygon", "coordinates": poly(&a.0[0])})
                } else {
                    json!({"type": "MultiPolygon", "coordinates": a.0.iter().map(poly).collect::<Vec<_>>()})
                }
            });
            json!({
                "type": "Feature",
                "properties": {
                    "code": r.code.as_str(),
                    "name": r.name,
                    "level": r.level.code(),
                    "parent": r.parent.as_ref().map(|p| p.as_str()),
                },
                "geometry": geometry,
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({"type": "FeatureCollection", "features": features}))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"code":"D","name":"区","level":"district"},"geometry":null},
      {"type":"Feature","properties":{"code":"T","name":"李万街道","level":"街道","parent":"D"},"geometry":null},
      {"type":"Feature","properties":{"code":"V","name":"村","level":"village","parent":"T"},"geometry":null},
      {"type":"Feature","properties":{"code":"G1","name":"第一网格","level":"网格","parent":"V"},
       "geometry":{"type":"Polygon","coordinates":[[[113.2,35.1],[113.3,35.1],[113.3,35.2],[113.2,35.2],[113.2,35.1]]]}}
    ]}"#;

    #[test]
    fn reads_and_round_trips() {
        let p = Path::new("g.geojson");
        let regions = parse_regions(p, DOC).unwrap();
        assert_eq!(regions.len(), 4);
        assert_eq!(regions[1].level, RegionLevel::Town);
        let tree = check_tree(p, regions.clone()).unwrap();
        assert_eq!(
            tree.grid_at(Point {
                lon: 113.25,
                lat: 35.15
            })
            .unwrap()
            .name,
            "第一网格"
        );
        let again = parse_regions(p, &regions_to_geojson(&regions)).unwrap();
        assert_eq!(again, regions);
    }

    #[test]
    fn errors_name_feature_and_field() {
        let p = Path::new("g.geojson");
        let bad = DOC.replace("\"网格\"", "\"block\"");
        assert_eq!(
            parse_regions(p, &bad).unwrap_err().to_string(),
            "g.geojson: bad header: feature 3 (code \"G1\"): `level`: unknown level \"block\""
        );
        let bad = DOC.replace("[113.2,35.1]]]", "[113.2,35.15]]]");
        assert!(
            parse_regions(p, &bad)
                .unwrap_err()
                .to_string()
                .contains("`geometry`: ring 0 is not a closed ring")
        );
        let e =
            parse_regions(p, "{\"type\": \"FeatureCollection\",\n \"features\": [").unwrap_err();
        assert_eq!(e.line, Some(2));
        let orphan = DOC.replace(",\"parent\":\"V\"", "");
        let regions = parse_regions(p, &orphan).unwrap();
        assert!(
            check_tree(p, regions)
                .unwrap_err()
                .to_string()
                .contains("has no parent but is not a district")
        );
    }
}

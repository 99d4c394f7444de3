//! How domain values become column values, identically on every backend: small integers for
//! the hot reading tables, stable `code()` text for enums elsewhere, GeoJSON for areas.
//!
//! The integer codes are part of the stored format: they are written out here by hand rather
//! than derived from enum order, so reordering an enum can never reinterpret stored rows.

use crate::StoreError;
use lantian_aq::Pollutant;
use lantian_domain::geo::{Area, Point, Polygon};
use lantian_domain::reading::Origin;
use serde_json::{Value, json};

/// The stored code of a pollutant.
pub const fn pollutant_id(p: Pollutant) -> i16 {
    match p {
        Pollutant::So2 => 0,
        Pollutant::No2 => 1,
        Pollutant::Pm10 => 2,
        Pollutant::Co => 3,
        Pollutant::O3 => 4,
        Pollutant::Pm25 => 5,
    }
}

/// The pollutant of a stored code.
pub fn pollutant_from_id(id: i64) -> Result<Pollutant, StoreError> {
    Ok(match id {
        0 => Pollutant::So2,
        1 => Pollutant::No2,
        2 => Pollutant::Pm10,
        3 => Pollutant::Co,
        4 => Pollutant::O3,
        5 => Pollutant::Pm25,
        _ => return Err(corrupt("pollutant", &id.to_string())),
    })
}

/// The stored code of a published city item: the pollutant's code, or 10 for the AQI.
pub const fn city_item_id(i: crate::CityItem) -> i16 {
    match i {
        crate::CityItem::Aqi => 10,
        crate::CityItem::Pollutant(p) => pollutant_id(p),
    }
}

/// The published city item of a stored code.
pub fn city_item_from_id(id: i64) -> Result<crate::CityItem, StoreError> {
    if id == 10 {
        Ok(crate::CityItem::Aqi)
    } else {
        pollutant_from_id(id).map(crate::CityItem::Pollutant)
    }
}

/// The stored code of an origin.
pub const fn origin_id(o: Origin) -> i16 {
    match o {
        Origin::File => 1,
        Origin::Mqtt => 2,
        Origin::Http => 3,
        Origin::Hj212 => 4,
        Origin::Demo => 5,
    }
}

/// The origin of a stored code.
pub fn origin_from_id(id: i64) -> Result<Origin, StoreError> {
    Ok(match id {
        1 => Origin::File,
        2 => Origin::Mqtt,
        3 => Origin::Http,
        4 => Origin::Hj212,
        5 => Origin::Demo,
        _ => return Err(corrupt("origin", &id.to_string())),
    })
}

/// A list of pollutants as stored: their CNEMC codes joined by commas (`SO2,NO2,PM2.5`).
pub fn pollutants_to_text(ps: &[Pollutant]) -> String {
    ps.iter().map(|p| p.code()).collect::<Vec<_>>().join(",")
}

/// The list of pollutants of [`pollutants_to_text`].
pub fn pollutants_from_text(s: &str) -> Result<Vec<Pollutant>, StoreError> {
    s.split(',')
        .filter(|c| !c.is_empty())
        .map(|c| Pollutant::parse(c).ok_or_else(|| corrupt("pollutant", c)))
        .collect()
}

/// Decode a stored enum code with its `parse` function.
pub fn decode<T>(
    what: &'static str,
    s: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(s).ok_or_else(|| corrupt(what, s))
}

/// Decode a stored identifier (any `parse` returning a `Result`).
pub fn decode_id<T, E>(
    what: &'static str,
    s: &str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(s).map_err(|_| corrupt(what, s))
}

/// The error for a stored value this version cannot read (a newer writer, a hand edit).
pub fn corrupt(what: &'static str, value: &str) -> StoreError {
    StoreError::Backend(format!("stored {what} {value:?} is not readable"))
}

/// An area as GeoJSON geometry text: a `Polygon` for one polygon, else a `MultiPolygon`.
/// GeoJSON rather than the domain's serde form, so the server can hand it to a map as it is.
pub fn area_to_geojson(a: &Area) -> String {
    let poly = |p: &Polygon| -> Value {
        Value::Array(
            p.rings()
                .iter()
                .map(|r| r.iter().map(|pt| json!([pt.lon, pt.lat])).collect())
                .collect(),
        )
    };
    let v = if a.0.len() == 1 {
        json!({ "type": "Polygon", "coordinates": poly(&a.0[0]) })
    } else {
        json!({ "type": "MultiPolygon", "coordinates": a.0.iter().map(poly).collect::<Vec<_>>() })
    };
    v.to_string()
}

/// The area of GeoJSON geometry text (`Polygon` or `MultiPolygon`).
pub fn area_from_geojson(s: &str) -> Result<Area, StoreError> {
    let bad = || corrupt("GeoJSON area", &s.chars().take(80).collect::<String>());
    let v: Value = serde_json::from_str(s).map_err(|_| bad())?;
    let ring = |r: &Value| -> Option<Vec<Point>> {
        r.as_array()?
            .iter()
            .map(|p| {
                let p = p.as_array()?;
                Some(Point {
                    lon: p.first()?.as_f64()?,
                    lat: p.get(1)?.as_f64()?,
                })
            })
            .collect()
    };
    let polygon = |p: &Value| -> Option<Polygon> {
        let rings = p.as_array()?.iter().map(ring).collect::<Option<Vec<_>>>()?;
        Polygon::new(rings).ok()
    };
    let coords = v.get("coordinates").ok_or_else(bad)?;
    let polys = match v.get("type").and_then(Value::as_str) {
        Some("Polygon") => vec![polygon(coords).ok_or_else(bad)?],
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(polygon)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    Ok(Area(polys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for p in Pollutant::ALL {
            assert_eq!(pollutant_from_id(pollutant_id(p).into()).unwrap(), p);
        }
        for o in [
            Origin::File,
            Origin::Mqtt,
            Origin::Http,
            Origin::Hj212,
            Origin::Demo,
        ] {
            assert_eq!(origin_from_id(origin_id(o).into()).unwrap(), o);
        }
        assert!(pollutant_from_id(9).is_err());
        let ps = [Pollutant::So2, Pollutant::Pm25];
        assert_eq!(pollutants_to_text(&ps), "SO2,PM2.5");
        assert_eq!(pollutants_from_text("SO2,PM2.5").unwrap(), ps);
        assert_eq!(pollutants_from_text("").unwrap(), vec![]);
    }

    #[test]
    fn areas_round_trip_as_geojson() {
        let sq = |x: f64| {
            [(x, 35.0), (x + 0.1, 35.0), (x + 0.1, 35.1), (x, 35.0)]
                .iter()
                .map(|&(lon, lat)| Point { lon, lat })
                .collect::<Vec<_>>()
        };
        let one = Area(vec![Polygon::new(vec![sq(113.0)]).unwrap()]);
        let text = area_to_geojson(&one);
        assert!(text.contains("\"Polygon\""));
        assert_eq!(area_from_geojson(&text).unwrap(), one);
        let two = Area(vec![
            Polygon::new(vec![sq(113.0)]).unwrap(),
            Polygon::new(vec![sq(114.0)]).unwrap(),
        ]);
        assert_eq!(area_from_geojson(&area_to_geojson(&two)).unwrap(), two);
        assert!(area_from_geojson("{\"type\":\"Point\",\"coordinates\":[1,2]}").is_err());
    }
}

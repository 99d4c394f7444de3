//! Points and polygons (WGS 84 longitude/latitude), and which polygon a point is in.
//!
//! Grids are a few hundred metres across, so planar geometry on degrees is exact enough for
//! point-in-polygon; distances use the haversine formula.

use serde::{Deserialize, Serialize};

/// A WGS 84 position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Longitude, degrees east.
    pub lon: f64,
    /// Latitude, degrees north.
    pub lat: f64,
}

/// Why a position or shape was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    /// Outside −180..180 / −90..90 or not finite.
    #[error("position ({lon}, {lat}) is not a valid longitude/latitude")]
    BadPosition {
        /// Longitude given.
        lon: f64,
        /// Latitude given.
        lat: f64,
    },
    /// A ring with fewer than 4 positions or not closed.
    #[error("ring {0} is not a closed ring of at least 4 positions")]
    BadRing(usize),
    /// A polygon without rings.
    #[error("polygon has no exterior ring")]
    Empty,
}

impl Point {
    /// A checked position.
    pub fn new(lon: f64, lat: f64) -> Result<Point, GeoError> {
        if lon.is_finite()
            && lat.is_finite()
            && (-180.0..=180.0).contains(&lon)
            && (-90.0..=90.0).contains(&lat)
        {
            Ok(Point { lon, lat })
        } else {
            Err(GeoError::BadPosition { lon, lat })
        }
    }

    /// Great-circle distance in metres (haversine, mean Earth radius).
    pub fn distance_m(self, o: Point) -> f64 {
        const R: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), o.lat.to_radians());
        let dp = p2 - p1;
        let dl = (o.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * a.sqrt().asin()
    }

    /// Initial bearing from `self` to `o`, degrees clockwise from north (0..360).
    pub fn bearing_deg(self, o: Point) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), o.lat.to_radians());
        let dl = (o.lon - self.lon).to_radians();
        let y = dl.sin() * p2.cos();
        let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
        y.atan2(x).to_degrees().rem_euclid(360.0)
    }
}

/// A polygon: an exterior ring and optional holes, each closed (first = last position).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Polygon {
    rings: Vec<Vec<Point>>,
}

impl Polygon {
    /// Build from rings (exterior first), checking each is closed with ≥ 4 positions.
    pub fn new(rings: Vec<Vec<Point>>) -> Result<Polygon, GeoError> {
        if rings.is_empty() {
            return Err(GeoError::Empty);
        }
        for (i, r) in rings.iter().enumerate() {
            if r.len() < 4 || r.first() != r.last() {
                return Err(GeoError::BadRing(i));
            }
        }
        Ok(Polygon { rings })
    }

    /// The rings, exterior first.
    pub fn rings(&self) -> &[Vec<Point>] {
        &self.rings
    }

    /// Whether `p` is inside (even-odd rule over all rings, so holes are excluded). A point
    /// exactly on an edge may fall either way; grids share edges, and placement takes the
    /// first grid that contains a point.
    pub fn contains(&self, p: Point) -> bool {
        let mut inside = false;
        for ring in &self.rings {
            for w in ring.windows(2) {
                let (a, b) = (w[0], w[1]);
                if (a.lat > p.lat) != (b.lat > p.lat) {
                    let x = a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon);
                    if p.lon < x {
                        inside = !inside;
                    }
                }
            }
        }
        inside
    }

    /// Bounding box (min lon, min lat, max lon, max lat).
    pub fn bbox(&self) -> (f64, f64, f64, f64) {
        let mut b = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for p in self.rings.iter().flatten() {
            b = (
                b.0.min(p.lon),
                b.1.min(p.lat),
                b.2.max(p.lon),
                b.3.max(p.lat),
            );
        }
        b
    }

    /// Centroid of the exterior ring (shoelace formula); the vertex mean for a degenerate ring.
    pub fn centroid(&self) -> Point {
        let ring = &self.rings[0];
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for w in ring.windows(2) {
            let cross = w[0].lon * w[1].lat - w[1].lon * w[0].lat;
            a += cross;
            cx += (w[0].lon + w[1].lon) * cross;
            cy += (w[0].lat + w[1].lat) * cross;
        }
        if a.abs() < 1e-18 {
            let n = (ring.len() - 1).max(1) as f64;
            let s = ring
                .iter()
                .take(ring.len() - 1)
                .fold((0.0, 0.0), |s, p| (s.0 + p.lon, s.1 + p.lat));
            return Point {
                lon: s.0 / n,
                lat: s.1 / n,
            };
        }
        Point {
            lon: cx / (3.0 * a),
            lat: cy / (3.0 * a),
        }
    }
}

/// One or more polygons (GeoJSON Polygon or MultiPolygon).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area(pub Vec<Polygon>);

impl Area {
    /// Whether any of its polygons contains `p`.
    pub fn contains(&self, p: Point) -> bool {
        self.0.iter().any(|poly| poly.contains(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, s: f64) -> Vec<Point> {
        [
            (x0, y0),
            (x0 + s, y0),
            (x0 + s, y0 + s),
            (x0, y0 + s),
            (x0, y0),
        ]
        .iter()
        .map(|&(lon, lat)| Point { lon, lat })
        .collect()
    }

    #[test]
    fn contains_with_holes() {
        let p = Polygon::new(vec![square(113.0, 35.0, 1.0), square(113.25, 35.25, 0.5)]).unwrap();
        assert!(p.contains(Point {
            lon: 113.1,
            lat: 35.1
        }));
        assert!(!p.contains(Point {
            lon: 113.5,
            lat: 35.5
        })); // in the hole
        assert!(!p.contains(Point {
            lon: 114.5,
            lat: 35.5
        }));
        let c = Polygon::new(vec![square(0.0, 0.0, 2.0)])
            .unwrap()
            .centroid();
        assert!((c.lon - 1.0).abs() < 1e-12 && (c.lat - 1.0).abs() < 1e-12);
    }

    #[test]
    fn refuses_bad_shapes() {
        assert_eq!(Polygon::new(vec![]), Err(GeoError::Empty));
        let mut open = square(0.0, 0.0, 1.0);
        open.pop();
        assert_eq!(Polygon::new(vec![open]), Err(GeoError::BadRing(0)));
        assert!(Point::new(200.0, 0.0).is_err());
    }

    #[test]
    fn distances() {
        let a = Point {
            lon: 113.2,
            lat: 35.2,
        };
        let b = Point {
            lon: 113.2,
            lat: 35.3,
        };
        assert!((a.distance_m(b) - 11_119.5).abs() < 5.0);
        assert!((a.bearing_deg(b) - 0.0).abs() < 1e-9);
    }
}

//! The demo scaled up for load benchmarks: the demo district ([`crate::build`]) with extra
//! micro-stations placed in its grids, and hourly series for a whole year.
//!
//! How the year's series derive, deterministically, from the real January 2025 hours of the
//! Jiaozuo national stations (the only real hours compiled in):
//!
//! - **National stations.** Day `n` of the year (0-based) replays real January day
//!   `n mod 31 + 1`, hour for hour (end-of-hour labels 01..24), times a seasonal factor per
//!   month and pollutant ([`SEASON`]: particulates, SO2, NO2 and CO fall towards summer, O3
//!   rises) and, outside January, a regional "weather" factor per day drawn from the seed (one
//!   for all stations, as weather is regional; O3 moves against it). January itself is the
//!   real data unchanged, so the scaled demo of 2025 starts exactly like the small one. The
//!   seasonal factors are a model of the Henan annual cycle's shape, not measured values.
//! - **Micro-stations** (the demo's 30 and the extra ones): the nearest national station with
//!   data times a little noise, plus the local effects of the sources within 600 m (daytime dust
//!   near construction sites, meal-time peaks near restaurants, night emissions near
//!   enterprises) and the sensor's bias (slope and offset, undone by the station's calibration
//!   record), with about 1 % of hours dropped — as in the small demo, but drawn from a
//!   generator seeded per (station, day), so any day can be made alone and the result does not
//!   depend on the order of work.
//!
//! # Invariant
//! Deterministic and pure like the crate: same seed, station count and year, same values.

use crate::{Demo, LAT0, LON0, RealHour, Rng, build, code, real_series};
use lantian_aq::time::days_in_year;
use lantian_aq::{Date, HourStamp, Pollutant};
use lantian_domain::geo::Point;
use lantian_domain::region::{RegionLevel, RegionTree};
use lantian_domain::source::SourceKind;
use lantian_domain::station::{Calibration, Station, StationKind};
use lantian_domain::{StationCode, Timestamp};
use std::collections::HashMap;

/// Seasonal factor relative to January, by month (index 0 = January) and pollutant
/// ([`Pollutant::ALL`] order: SO2, NO2, PM10, CO, O3, PM2.5). A model of the shape of the
/// annual cycle in northern Henan, not data.
pub const SEASON: [[f64; 6]; 12] = [
    [1.00, 1.00, 1.00, 1.00, 1.00, 1.00],
    [0.85, 0.85, 0.90, 0.90, 1.40, 0.85],
    [0.70, 0.80, 0.85, 0.75, 2.00, 0.65],
    [0.60, 0.70, 0.80, 0.65, 2.60, 0.50],
    [0.55, 0.60, 0.70, 0.60, 3.10, 0.42],
    [0.50, 0.55, 0.55, 0.55, 3.50, 0.38],
    [0.45, 0.50, 0.45, 0.55, 3.30, 0.35],
    [0.45, 0.52, 0.45, 0.55, 3.10, 0.36],
    [0.50, 0.65, 0.55, 0.60, 2.70, 0.42],
    [0.60, 0.80, 0.70, 0.70, 2.00, 0.55],
    [0.80, 0.95, 0.85, 0.85, 1.40, 0.75],
    [0.95, 1.00, 0.95, 0.95, 1.05, 0.95],
];

/// The pollutants micro-stations measure.
const MICRO: [Pollutant; 5] = [
    Pollutant::Pm25,
    Pollutant::Pm10,
    Pollutant::No2,
    Pollutant::Co,
    Pollutant::O3,
];

/// Why a scaled demo cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScaleError {
    /// Fewer stations asked for than the demo district already has.
    TooFewStations {
        /// Asked for.
        asked: usize,
        /// The demo's own.
        minimum: usize,
    },
    /// A year outside 2000..=2100.
    Year(i32),
}

impl std::fmt::Display for ScaleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScaleError::TooFewStations { asked, minimum } => write!(
                f,
                "{asked} stations asked for; the demo district alone has {minimum}"
            ),
            ScaleError::Year(y) => write!(f, "year {y} is outside 2000..=2100"),
        }
    }
}

impl std::error::Error for ScaleError {}

/// The scaled demo: the district with all its stations, and a year of hourly values per
/// station as dense series.
#[derive(Debug, Clone)]
pub struct ScaledDemo {
    /// The district (regions, people, units, sources, targets of `year`) with every station;
    /// its `hourly` is empty — the values are in `series`.
    pub demo: Demo,
    /// The year.
    pub year: i32,
    /// The hour labelled 01:00 of 1 January: index 0 of every series.
    pub start: HourStamp,
    /// Hours in the year (24 × days).
    pub hours: usize,
    /// Per station (in `demo.stations` order), per pollutant ([`Pollutant::ALL`] order), the
    /// value each hour as the station reported it (micro-stations: before calibration); NaN
    /// when missing or not measured.
    pub series: Vec<[Vec<f32>; 6]>,
}

impl ScaledDemo {
    /// The end instant of hour `i` of the series.
    pub fn hour(&self, i: usize) -> Timestamp {
        Timestamp::from_hour_stamp(self.start.add_hours(i as i64))
    }

    /// The value of station `station` (index into `demo.stations`), pollutant `p`, hour `i`,
    /// exactly as reported (the series keep `f32`; every value was rounded to its reporting
    /// precision, so rounding again recovers it).
    pub fn value(&self, station: usize, p: Pollutant, i: usize) -> Option<f64> {
        let v = *self.series.get(station)?[p.index()].get(i)?;
        (!v.is_nan()).then(|| round(p, f64::from(v)))
    }

    /// How many values the series hold.
    pub fn value_count(&self) -> usize {
        self.series
            .iter()
            .flat_map(|s| s.iter())
            .map(|v| v.iter().filter(|x| !x.is_nan()).count())
            .sum()
    }
}

/// The local situation of a micro-station: what it follows and what is around it.
struct Profile {
    reference: usize,
    sites: f64,
    food: f64,
    plants: f64,
    slope: f64,
    offset: f64,
}

fn mix(seed: u64, a: u64, b: u64) -> Rng {
    let mut r =
        Rng(seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03));
    r.next();
    r
}

/// Build the demo scaled to `stations` stations in all (the demo's own 38 plus extra
/// micro-stations spread round the grids) with hourly series for the whole of `year`.
pub fn scaled(seed: u64, stations: usize, year: i32) -> Result<ScaledDemo, ScaleError> {
    if !(2000..=2100).contains(&year) {
        return Err(ScaleError::Year(year));
    }
    let mut demo = build(seed);
    demo.hourly = Vec::new();
    let minimum = demo.stations.len();
    if stations < minimum {
        return Err(ScaleError::TooFewStations {
            asked: stations,
            minimum,
        });
    }
    for t in &mut demo.targets {
        t.year = year;
    }
    let tree = RegionTree::new(demo.regions.clone()).unwrap_or_else(|e| panic!("demo tree: {e}"));
    let grids: Vec<_> = demo
        .regions
        .iter()
        .filter(|r| r.level == RegionLevel::Grid)
        .cloned()
        .collect();

    // Extra micro-stations: round the grids, near each grid's centre.
    let mut rng = mix(seed, 0x005C_A1ED, 0);
    let since = Timestamp::from_hour_stamp(HourStamp::new(Date::from_ymd_const(year, 1, 1), 1))
        .plus_seconds(-30 * 86_400);
    for k in 0..stations - minimum {
        let g = &grids[k % grids.len()];
        let c = g.area.as_ref().map(|a| a.0[0].centroid()).unwrap_or(Point {
            lon: LON0,
            lat: LAT0,
        });
        let p = Point {
            lon: c.lon + rng.range(-0.006, 0.006),
            lat: c.lat + rng.range(-0.006, 0.006),
        };
        let grid = tree
            .grid_at(p)
            .map(|r| r.code.clone())
            .unwrap_or_else(|| g.code.clone());
        let slope = rng.range(1.05, 1.25);
        let offset = rng.range(0.0, 6.0);
        demo.stations.push(Station {
            code: code(&format!("GX-S{:04}", k + 1)),
            name: format!("{}微站{}", g.name, k / grids.len() + 2),
            kind: StationKind::Micro,
            location: Some(p),
            grid: Some(grid),
            city: Some("焦作".into()),
            control: false,
            pollutants: MICRO.to_vec(),
            calibrations: [Pollutant::Pm25, Pollutant::Pm10]
                .iter()
                .map(|&pol| Calibration {
                    pollutant: pol,
                    slope: 1.0 / slope,
                    offset: -offset / slope,
                    since,
                })
                .collect(),
        });
    }

    let days = days_in_year(year) as usize;
    let hours = days * 24;
    let start = HourStamp::new(Date::from_ymd_const(year, 1, 1), 1);
    let real = real_series();
    let series_of = |real: &[RealHour]| -> HashMap<HourStamp, [Option<f64>; 6]> {
        real.iter().copied().collect()
    };
    let nan = || -> [Vec<f32>; 6] { std::array::from_fn(|_| vec![f32::NAN; hours]) };
    let mut series: Vec<[Vec<f32>; 6]> = Vec::with_capacity(demo.stations.len());

    // Regional weather per day, outside January (January stays the real data).
    let weather: Vec<f64> = (0..days)
        .map(|n| {
            let d = start.day().add_days(n as i32);
            if d.month() == 1 {
                1.0
            } else {
                mix(seed, 0x0057_EA7E, n as u64).range(0.7, 1.35)
            }
        })
        .collect();
    let jan1 = Date::from_ymd_const(2025, 1, 1);
    for st in &demo.stations {
        let mut out = nan();
        if st.kind == StationKind::National
            && let Some(r) = real.get(st.code.as_str())
        {
            let by_hour = series_of(r);
            for (n, w) in weather.iter().enumerate() {
                let d = start.day().add_days(n as i32);
                let src_day = jan1.add_days((n % 31) as i32);
                let m = d.month() as usize - 1;
                for h in 1..=24u32 {
                    let Some(vals) = by_hour.get(&HourStamp::new(src_day, h)) else {
                        continue;
                    };
                    let i = n * 24 + h as usize - 1;
                    for p in Pollutant::ALL {
                        if let Some(v) = vals[p.index()] {
                            let f = if p == Pollutant::O3 {
                                1.0 / w.sqrt()
                            } else {
                                *w
                            };
                            out[p.index()][i] = round(p, v * SEASON[m][p.index()] * f) as f32;
                        }
                    }
                }
            }
        }
        series.push(out);
    }

    // Micro-stations follow the nearest national station with data.
    let references: Vec<(usize, Point)> = demo
        .stations
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.kind == StationKind::National && !s.control && real.contains_key(s.code.as_str())
        })
        .filter_map(|(i, s)| s.location.map(|l| (i, l)))
        .collect();
    for (si, st) in demo.stations.iter().enumerate() {
        if st.kind != StationKind::Micro {
            continue;
        }
        let Some(loc) = st.location else { continue };
        let Some(&(reference, _)) = references
            .iter()
            .min_by(|a, b| loc.distance_m(a.1).total_cmp(&loc.distance_m(b.1)))
        else {
            continue;
        };
        let near = |k: SourceKind| {
            demo.sources
                .iter()
                .filter(|s| s.kind == k && s.location.is_some_and(|l| l.distance_m(loc) < 600.0))
                .count() as f64
        };
        // The bias the calibration record undoes: corrected = raw / slope − offset / slope.
        let (slope, offset) = st
            .calibration(Pollutant::Pm25)
            .map(|c| (1.0 / c.slope, -c.offset / c.slope))
            .unwrap_or((1.0, 0.0));
        let prof = Profile {
            reference,
            sites: near(SourceKind::Construction),
            food: near(SourceKind::Restaurant),
            plants: near(SourceKind::Enterprise),
            slope,
            offset,
        };
        let mut out = nan();
        for n in 0..days {
            let mut r = mix(seed, si as u64 + 1, n as u64);
            for h in 1..=24u32 {
                let i = n * 24 + h as usize - 1;
                if r.unit() < 0.01 {
                    continue; // a dropped packet now and then
                }
                for pol in MICRO {
                    let base = f64::from(series[prof.reference][pol.index()][i]);
                    if base.is_nan() {
                        continue;
                    }
                    out[pol.index()][i] = micro_value(&prof, &mut r, pol, h, base) as f32;
                }
            }
        }
        series[si] = out;
    }
    Ok(ScaledDemo {
        demo,
        year,
        start,
        hours,
        series,
    })
}

/// One micro-station value: the reference's value with noise, local effects and the sensor's
/// bias (the same model as the small demo's micro-stations).
fn micro_value(p: &Profile, r: &mut Rng, pol: Pollutant, hour: u32, base: f64) -> f64 {
    let day = (8..=18).contains(&hour);
    let meal = (11..=13).contains(&hour) || (17..=20).contains(&hour);
    let night = hour >= 22 || hour <= 5;
    let mut v = base * r.range(0.92, 1.08);
    match pol {
        Pollutant::Pm10 if day => v += p.sites * r.range(25.0, 70.0),
        Pollutant::Pm25 if meal => v += p.food * r.range(4.0, 12.0),
        Pollutant::Pm25 if night => v += p.plants * r.range(2.0, 6.0),
        Pollutant::No2 if night => v += p.plants * r.range(3.0, 8.0),
        _ => {}
    }
    if pol == Pollutant::Pm25 && day {
        v += p.sites * r.range(3.0, 10.0);
    }
    if matches!(pol, Pollutant::Pm25 | Pollutant::Pm10) {
        v = v * p.slope + p.offset;
    }
    round(pol, v).max(0.0)
}

/// As stations report: CO to 0.1 mg/m³, the others to 1 µg/m³.
fn round(p: Pollutant, v: f64) -> f64 {
    if p == Pollutant::Co {
        (v * 10.0).round() / 10.0
    } else {
        v.round()
    }
}

/// The station codes of the scaled demo, in order (for callers that index the series).
pub fn codes(d: &ScaledDemo) -> Vec<StationCode> {
    d.demo.stations.iter().map(|s| s.code.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SEED;

    #[test]
    fn deterministic_with_the_counts_asked_for() {
        let a = scaled(SEED, 60, 2025).unwrap();
        let b = scaled(SEED, 60, 2025).unwrap();
        assert_eq!(a.demo.stations.len(), 60);
        assert_eq!(a.series.len(), 60);
        assert_eq!(a.hours, 365 * 24);
        for (x, y) in a.series.iter().zip(&b.series) {
            for p in 0..6 {
                // Bitwise, NaN included.
                let bx: Vec<u32> = x[p].iter().map(|v| v.to_bits()).collect();
                let by: Vec<u32> = y[p].iter().map(|v| v.to_bits()).collect();
                assert_eq!(bx, by);
            }
        }
        assert_eq!(a.demo.stations, b.demo.stations);
        let extra: Vec<&Station> = a
            .demo
            .stations
            .iter()
            .filter(|s| s.code.as_str().starts_with("GX-S"))
            .collect();
        assert_eq!(extra.len(), 22);
        // Each extra station is placed in a grid that exists, and codes are unique.
        let tree = RegionTree::new(a.demo.regions.clone()).unwrap();
        for s in &extra {
            let g = s.grid.as_ref().unwrap();
            assert!(tree.get(g).is_some_and(|r| r.level == RegionLevel::Grid));
        }
        let codes: std::collections::HashSet<_> = codes(&a).into_iter().collect();
        assert_eq!(codes.len(), 60);
        // A different seed gives different micro-station values.
        let c = scaled(SEED + 1, 60, 2025).unwrap();
        assert_ne!(
            a.series[59][Pollutant::Pm25.index()][..48],
            c.series[59][Pollutant::Pm25.index()][..48]
        );
        // Volume: national stations with data carry six series, micro-stations five, over the
        // whole year, with few gaps.
        let n = a.value_count();
        assert!(n > 52 * 5 * 8760 * 9 / 10, "{n}");
        assert!(n < 60 * 6 * 8760, "{n}");
        assert_eq!(
            scaled(SEED, 10, 2025).unwrap_err(),
            ScaleError::TooFewStations {
                asked: 10,
                minimum: 38
            }
        );
        assert_eq!(scaled(SEED, 38, 2024).unwrap().hours, 366 * 24);
    }

    #[test]
    fn january_is_the_real_data_and_summer_follows_the_season() {
        let small = build(SEED);
        let s = scaled(SEED, 38, 2025).unwrap();
        let i1828 = s
            .demo
            .stations
            .iter()
            .position(|x| x.code.as_str() == "1828A")
            .unwrap();
        // Every real January value of 1828A is in the scaled series unchanged.
        let mut checked = 0;
        for h in small
            .hourly
            .iter()
            .filter(|h| h.station.as_str() == "1828A")
        {
            let i = (h.hour.hour_label().hours() - s.start.hours()) as usize;
            if i < 31 * 24 {
                assert_eq!(
                    s.value(i1828, h.pollutant, i),
                    Some(h.value),
                    "{:?} {}",
                    h.pollutant,
                    h.hour
                );
                checked += 1;
            }
        }
        assert!(checked > 3000, "{checked}");
        // July: PM2.5 well below January, O3 well above.
        let mean = |p: Pollutant, from: usize, to: usize| {
            let v: Vec<f64> = s.series[i1828][p.index()][from..to]
                .iter()
                .filter(|x| !x.is_nan())
                .map(|x| f64::from(*x))
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let jan = 0..31 * 24;
        let jul = 181 * 24..212 * 24;
        assert!(
            mean(Pollutant::Pm25, jul.start, jul.end)
                < 0.6 * mean(Pollutant::Pm25, jan.start, jan.end)
        );
        assert!(
            mean(Pollutant::O3, jul.start, jul.end) > 2.0 * mean(Pollutant::O3, jan.start, jan.end)
        );
        // Targets are of the year asked for.
        assert!(
            scaled(SEED, 38, 2026)
                .unwrap()
                .demo
                .targets
                .iter()
                .all(|t| t.year == 2026)
        );
    }
}

//! End-to-end tests of `lantian`: real CNEMC data in, the Ministry's numbers out.
//!
//! Tests that need the whole of January 2025 read `../shared/data` (see `lantian-testkit`);
//! the rest run on the Henan fixtures committed under `tests/fixtures/`.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use clap::Parser;
use lantian_aq::aqi::{HourlyInputs, IndexRounding, hourly_aqi, hourly_aqi_rounded};
use lantian_aq::assess::{self, RuleChoice, Series};
use lantian_aq::{Pollutant, RuleSet};
use lantian_ingest::cnemc::{RowType, RowTypes, read_hourly};
use lantian_ingest::places;
use lantian_testkit::{fixture, shared_data};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(args: &[&str]) -> String {
    let mut v = vec!["lantian"];
    v.extend_from_slice(args);
    let cli = lantian_cli::Cli::try_parse_from(&v).unwrap();
    String::from_utf8(lantian_cli::run(&cli).unwrap()).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Official hourly AQI: every station-hour of January 2025 with all six 1 h values.

struct HourlyCheck {
    compared: u64,
    equal: u64,
    /// Mismatches explained by the published concentrations being rounded: some value within
    /// the rounding interval of a published concentration gives the official AQI.
    explained_by_rounding: u64,
    /// The official AQI is the AQI of five pollutants: it was published before the sixth
    /// value arrived or was revised (STANDARDS.md §6).
    explained_by_late_value: u64,
    /// SO2 1 h > 800: CNEMC published SO2 IAQI 200 where HJ 633—2012's note 2 says to index
    /// the 24 h mean (the 2026 text adopts 200).
    so2_over_800_published_as_200: u64,
    unexplained: Vec<String>,
}

fn check_hourly(dir: &Path) -> HourlyCheck {
    let d = read_hourly(
        &[dir.to_owned()],
        RowTypes::HOURLY_POLLUTANTS.with(RowType::Aqi),
        2,
    )
    .unwrap();
    let mut c = HourlyCheck {
        compared: 0,
        equal: 0,
        explained_by_rounding: 0,
        explained_by_late_value: 0,
        so2_over_800_published_as_200: 0,
        unexplained: Vec::new(),
    };
    for col in 0..d.columns.len() {
        let s = |p: Pollutant| d.series(RowType::hourly(p), col).unwrap();
        let values = Pollutant::ALL.map(s);
        let series = Series {
            start: d.start,
            values: values.each_ref().map(Vec::as_slice),
        };
        let official = d.series(RowType::Aqi, col).unwrap();
        for rec in assess::hourly(RuleChoice::Fixed(RuleSet::Y2012), &series) {
            let i = (rec.hour.hours() - d.start.hours()) as usize;
            if rec.conc.iter().any(Option::is_none) || !official[i].is_finite() {
                continue;
            }
            c.compared += 1;
            let off = official[i] as u32;
            if rec.aqi.value == Some(off) {
                c.equal += 1;
                continue;
            }
            // Try each pollutant anywhere in its rounding interval [v − ½, v + ½) of the last
            // published digit (CO: ± 0.05).
            let explained = Pollutant::ALL.iter().any(|&p| {
                let v = rec.conc[p.index()].unwrap();
                let half = if p == Pollutant::Co { 0.05 } else { 0.5 };
                (0..=100).any(|k| {
                    let mut h = HourlyInputs::default();
                    for q in Pollutant::ALL {
                        h.set(q, rec.conc[q.index()]);
                    }
                    h.set(
                        p,
                        Some((v - half + 2.0 * half * f64::from(k) / 100.0).max(0.0)),
                    );
                    hourly_aqi(RuleSet::Y2012, &h).value == Some(off)
                })
            });
            let without_one = Pollutant::ALL.iter().any(|&p| {
                let mut h = HourlyInputs::default();
                for q in Pollutant::ALL.into_iter().filter(|q| *q != p) {
                    h.set(q, rec.conc[q.index()]);
                }
                hourly_aqi(RuleSet::Y2012, &h).value == Some(off)
            });
            let so2_200 = rec.conc[Pollutant::So2.index()].is_some_and(|v| v > 800.0) && {
                let mut h = HourlyInputs::default();
                for q in Pollutant::ALL.into_iter().filter(|q| *q != Pollutant::So2) {
                    h.set(q, rec.conc[q.index()]);
                }
                off == hourly_aqi(RuleSet::Y2012, &h).value.unwrap_or(0).max(200)
            };
            if explained {
                c.explained_by_rounding += 1;
            } else if without_one {
                c.explained_by_late_value += 1;
            } else if so2_200 {
                c.so2_over_800_published_as_200 += 1;
            } else {
                c.unexplained.push(format!(
                    "{} {} official {off} ours {:?} {:?}",
                    d.columns[col], rec.hour, rec.aqi.value, rec.conc
                ));
            }
        }
    }
    c
}

/// Issue requirement: ≥ 99.97 % of complete station-hours equal the official AQI.
#[test]
fn january_hourly_aqi_matches_official() {
    let Some(dir) = shared_data("cnemc/china_sites") else {
        return;
    };
    let c = check_hourly(&dir);
    let rate = c.equal as f64 / c.compared as f64;
    eprintln!(
        "hourly AQI, January 2025: {}/{} = {:.4} % equal; {} differ: {} explained by the rounding of \
         published concentrations, {} by a value that arrived after publication, {} SO2 > 800 \
         hours published as 200; unexplained: {:?}",
        c.equal,
        c.compared,
        100.0 * rate,
        c.compared - c.equal,
        c.explained_by_rounding,
        c.explained_by_late_value,
        c.so2_over_800_published_as_200,
        c.unexplained
    );
    assert!(c.compared > 1_000_000, "{}", c.compared);
    assert!(rate >= 0.9997, "{rate}");
    assert!(c.unexplained.is_empty(), "{:?}", c.unexplained);
}

#[test]
fn henan_fixture_hourly_aqi_matches_official() {
    let c = check_hourly(&fixture("cnemc/henan_sites"));
    assert!(c.compared > 60_000, "{}", c.compared);
    assert!(
        c.equal as f64 / c.compared as f64 >= 0.9997,
        "{}/{}",
        c.equal,
        c.compared
    );
    assert!(c.unexplained.is_empty(), "{:?}", c.unexplained);
}

// ---------------------------------------------------------------------------------------------
// City values from station files against the published china_cities values.

struct CityCheck {
    city_hours: u64,
    equal: u64,
    diffs: Vec<String>,
}

fn check_cities(sites: &Path, cities: &Path) -> CityCheck {
    let s = read_hourly(&[sites.to_owned()], RowTypes::HOURLY_POLLUTANTS, 2).unwrap();
    let keep = RowTypes::HOURLY_POLLUTANTS.with(RowType::Aqi);
    let c = read_hourly(&[cities.to_owned()], keep, 2).unwrap();
    let stations = places::embedded_stations();
    let mut by_city: HashMap<&str, Vec<usize>> = HashMap::new();
    for st in stations.iter().filter(|st| !st.control) {
        if let Some(col) = s.column(&st.code) {
            by_city.entry(st.city.as_str()).or_default().push(col);
        }
    }
    let mut out = CityCheck {
        city_hours: 0,
        equal: 0,
        diffs: Vec::new(),
    };
    for (ci, city) in c.columns.iter().enumerate() {
        let Some(cols) = by_city.get(city.as_str()) else {
            continue;
        };
        for h in 0..c.hours {
            let hour = c.hour_at(h);
            let Some(sh) = usize::try_from(hour.hours() - s.start.hours())
                .ok()
                .filter(|i| *i < s.hours)
            else {
                continue;
            };
            let published_aqi = c.value(RowType::Aqi, ci, h).unwrap();
            let mut ok = true;
            let mut any = false;
            let mut conc = HourlyInputs::default();
            for p in Pollutant::ALL {
                let published = c.value(RowType::hourly(p), ci, h).unwrap();
                let values = || {
                    cols.iter()
                        .map(|&col| s.value(RowType::hourly(p), col, sh).unwrap())
                };
                let ours = if p == Pollutant::Co {
                    assess::area_hourly_mean(values())
                } else {
                    assess::area_hourly_value(p, values())
                };
                conc.set(p, assess::area_hourly_value(p, values()));
                if published.is_finite() {
                    any = true;
                    // CO: CNEMC averages unrounded station CO, which the station files give to
                    // 0.1 only; equal means our mean lies within half a unit of the published
                    // 0.01 (data/README.md).
                    let tol = if p == Pollutant::Co {
                        0.005 + 1e-9
                    } else {
                        1e-9
                    };
                    if ours.is_none_or(|o| (o - published).abs() > tol) {
                        ok = false;
                        out.diffs.push(format!(
                            "{city} {hour} {p}: published {published} ours {ours:?}"
                        ));
                    }
                }
            }
            if published_aqi.is_finite() {
                any = true;
                let ours = hourly_aqi_rounded(RuleSet::Y2012, &conc, IndexRounding::HalfUp).value;
                if ours != Some(published_aqi as u32) {
                    ok = false;
                    out.diffs.push(format!(
                        "{city} {hour} AQI: published {published_aqi} ours {ours:?}"
                    ));
                }
            }
            if any {
                out.city_hours += 1;
                if ok {
                    out.equal += 1;
                }
            }
        }
    }
    out
}

/// Issue requirement: ≥ 99.9 % of city-hours of January 2025 equal the published values.
#[test]
fn january_city_values_match_published() {
    let (Some(sites), Some(cities)) = (
        shared_data("cnemc/china_sites"),
        shared_data("cnemc/china_cities_2025"),
    ) else {
        return;
    };
    // The city directory holds Jan..Jul; read January only.
    let jan: Vec<PathBuf> = (1..=31)
        .map(|d| cities.join(format!("china_cities_202501{d:02}.csv")))
        .collect();
    let tmp = tempdir("cities-jan");
    for f in &jan {
        std::fs::copy(f, tmp.join(f.file_name().unwrap())).unwrap();
    }
    let c = check_cities(&sites, &tmp);
    let rate = c.equal as f64 / c.city_hours as f64;
    eprintln!(
        "city values, January 2025: {}/{} city-hours = {:.4} % equal; first differences: {:?}",
        c.equal,
        c.city_hours,
        100.0 * rate,
        &c.diffs[..c.diffs.len().min(20)]
    );
    assert!(c.city_hours > 200_000, "{}", c.city_hours);
    assert!(rate >= 0.999, "{rate}");
}

#[test]
fn henan_fixture_city_values_match_published() {
    let c = check_cities(
        &fixture("cnemc/henan_sites"),
        &fixture("cnemc/henan_cities"),
    );
    assert!(c.city_hours > 12_000, "{}", c.city_hours);
    assert!(
        c.equal as f64 / c.city_hours as f64 >= 0.999,
        "{}/{} {:?}",
        c.equal,
        c.city_hours,
        &c.diffs[..c.diffs.len().min(10)]
    );
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.0.join(p)
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("lantian-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

// ---------------------------------------------------------------------------------------------
// The Ministry's January 2025 figures.

struct Figures {
    n: usize,
    mean: HashMap<&'static str, f64>,
    rows: Vec<HashMap<String, String>>,
}

fn january_figures(sites: &Path, day_hours: &str, cities: &str) -> Figures {
    let out = run(&[
        "rank",
        "--period",
        "2025-01",
        p(sites),
        "--format",
        "csv",
        "--lang",
        "en",
        "--day-hours",
        day_hours,
        "--cities",
        cities,
    ]);
    let rows = csv_rows(&out);
    let mut mean = HashMap::new();
    for k in ["PM2.5", "PM10", "SO2", "NO2"] {
        let v: Vec<f64> = rows.iter().filter_map(|r| r[k].parse().ok()).collect();
        mean.insert(k, v.iter().sum::<f64>() / v.len() as f64);
    }
    Figures {
        n: rows.len(),
        mean,
        rows,
    }
}

fn city(f: &Figures, name: &str, k: &str) -> f64 {
    f.rows.iter().find(|r| r["city"] == name).unwrap()[k]
        .parse()
        .unwrap()
}

fn zhejiang(f: &Figures, k: &str) -> f64 {
    let v: Vec<f64> = f
        .rows
        .iter()
        .filter(|r| r["province"] == "浙江")
        .map(|r| r[k].parse().unwrap())
        .collect();
    assert_eq!(v.len(), 11);
    v.iter().sum::<f64>() / 11.0
}

fn at(v: f64, decimals: u32) -> f64 {
    lantian_aq::round::half_up(v, decimals)
}

/// Published (MEE, January 2025): 339 cities PM2.5 53.1, SO2 10, NO2 30; Beijing PM2.5 28.3;
/// Zhejiang's 11 cities PM2.5/PM10/NO2/SO2 45/72/36/7.
///
/// With the standard's day (hours 01..24) and the 339 prefecture-level cities, every
/// integer figure is reproduced and the two one-decimal figures come out 0.1 away
/// (53.0, 28.4); with calendar days (00..23) over every city reporting, all eight are
/// reproduced to the digit. Both are asserted, so a change in either shows.
#[test]
fn ministry_january_2025_figures() {
    let Some(sites) = shared_data("cnemc/china_sites") else {
        return;
    };
    let std = january_figures(&sites, "01-24", "prefecture");
    assert_eq!(std.n, 339);
    eprintln!(
        "standard day, 339 cities: PM2.5 {:.3} SO2 {:.3} NO2 {:.3}; Beijing {:.3}; Zhejiang {:.3}/{:.3}/{:.3}/{:.3}",
        std.mean["PM2.5"],
        std.mean["SO2"],
        std.mean["NO2"],
        city(&std, "北京", "PM2.5"),
        zhejiang(&std, "PM2.5"),
        zhejiang(&std, "PM10"),
        zhejiang(&std, "NO2"),
        zhejiang(&std, "SO2")
    );
    assert_eq!(at(std.mean["SO2"], 0), 10.0);
    assert_eq!(at(std.mean["NO2"], 0), 30.0);
    assert_eq!(at(zhejiang(&std, "PM2.5"), 0), 45.0);
    assert_eq!(at(zhejiang(&std, "PM10"), 0), 72.0);
    assert_eq!(at(zhejiang(&std, "NO2"), 0), 36.0);
    assert_eq!(at(zhejiang(&std, "SO2"), 0), 7.0);
    assert!((at(std.mean["PM2.5"], 1) - 53.1).abs() <= 0.1 + 1e-9);
    assert!((at(city(&std, "北京", "PM2.5"), 1) - 28.3).abs() <= 0.1 + 1e-9);

    let cal = january_figures(&sites, "00-23", "all");
    assert_eq!(cal.n, 342);
    assert_eq!(at(cal.mean["PM2.5"], 1), 53.1);
    assert_eq!(at(cal.mean["SO2"], 0), 10.0);
    assert_eq!(at(cal.mean["NO2"], 0), 30.0);
    assert_eq!(at(city(&cal, "北京", "PM2.5"), 1), 28.3);
    assert_eq!(at(zhejiang(&cal, "PM2.5"), 0), 45.0);
    assert_eq!(at(zhejiang(&cal, "PM10"), 0), 72.0);
    assert_eq!(at(zhejiang(&cal, "NO2"), 0), 36.0);
    assert_eq!(at(zhejiang(&cal, "SO2"), 0), 7.0);
}

// ---------------------------------------------------------------------------------------------
// Equality with the peer pipeline (shared/bench/peer_polars.py).

const PEER_COLS: [&str; 10] = [
    "SO2",
    "NO2",
    "PM10",
    "PM2.5",
    "CO_P95",
    "O3_8h_P90",
    "valid_days",
    "good_days",
    "heavy_days",
    "composite",
];

/// Compare `assess --rules 2012` with the peer's output, column by column, to 1e-3.
/// Returns the stations that differ.
fn compare_with_peer(sites: &Path, peer_csv: &Path) -> (usize, Vec<String>) {
    let ours = csv_rows(&run(&[
        "assess",
        p(sites),
        "--rules",
        "2012",
        "--format",
        "csv",
        "--lang",
        "en",
    ]));
    let ours: HashMap<String, HashMap<String, String>> = ours
        .into_iter()
        .map(|r| (r["station"].clone(), r))
        .collect();
    let peer = csv_rows(&std::fs::read_to_string(peer_csv).unwrap());
    let mut differ = Vec::new();
    for r in &peer {
        let o = &ours[&r["station"]];
        let same = PEER_COLS
            .iter()
            .all(|c| match (r[*c].as_str(), o[*c].as_str()) {
                ("", "") => true,
                (a, b) => match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(a), Ok(b)) => (a - b).abs() <= 1e-3,
                    _ => false,
                },
            });
        if !same {
            differ.push(r["station"].clone());
        }
    }
    (peer.len(), differ)
}

/// The one rule where Lantian and the peers part: the peers build each station's hourly
/// grid only up to its last observation, so the 8 h windows that end after it — valid under
/// GB 3095 Table 4 when ≥ 6 of their 8 hours are valid — are missing, and a day can lose its
/// O3 daily max 8 h. Truncating our series the same way must reproduce the peer exactly.
fn explained_by_peer_edge(sites: &Path, station: &str, peer_csv: &Path) -> bool {
    let d = read_hourly(&[sites.to_owned()], RowTypes::HOURLY_POLLUTANTS, 2).unwrap();
    let col = d.column(station).unwrap();
    let values = Pollutant::ALL.map(|p| d.series(RowType::hourly(p), col).unwrap());
    let s = |p: Pollutant| values[p.index()].as_slice();
    let last = (0..d.hours)
        .rev()
        .find(|&i| Pollutant::ALL.iter().any(|&q| s(q)[i].is_finite()))
        .unwrap();
    let trunc = Series {
        start: d.start,
        values: Pollutant::ALL.map(|q| &s(q)[..=last]),
    };
    let full = Series {
        start: d.start,
        values: Pollutant::ALL.map(s),
    };
    let basis = RuleChoice::Fixed(RuleSet::Y2012).composite_basis(d.start.day());
    let t = assess::summarize(
        &assess::daily(RuleChoice::Fixed(RuleSet::Y2012), &trunc),
        basis,
        &[],
    );
    let f = assess::summarize(
        &assess::daily(RuleChoice::Fixed(RuleSet::Y2012), &full),
        basis,
        &[],
    );
    let peer = csv_rows(&std::fs::read_to_string(peer_csv).unwrap());
    let r = peer.iter().find(|r| r["station"] == station).unwrap();
    let close = |k: &str, v: Option<f64>| {
        v.is_some_and(|v| (r[k].parse::<f64>().unwrap() - v).abs() <= 1e-3)
    };
    last + 1 < d.hours
        && close("O3_8h_P90", t.o3_8h_p90.value)
        && close("composite", t.composite.total)
        && close("valid_days", Some(f64::from(t.day_counts.valid_days)))
        && (f.o3_8h_p90.value != t.o3_8h_p90.value
            || f.day_counts.valid_days != t.day_counts.valid_days)
}

#[test]
fn january_equals_peer_polars() {
    let Some(sites) = shared_data("cnemc/china_sites") else {
        return;
    };
    let golden = fixture("peer/polars_china_sites_2025-01.csv");
    let (n, differ) = compare_with_peer(&sites, &golden);
    eprintln!(
        "peer_polars, January 2025: {} of {n} stations equal on every column; differ: {differ:?}",
        n - differ.len()
    );
    assert_eq!(n, 1678);
    for st in &differ {
        assert!(
            explained_by_peer_edge(&sites, st, &golden),
            "{st} differs from the peer for an unexplained reason"
        );
    }
    assert!(differ.len() <= 1, "{differ:?}");
}

#[test]
fn henan_fixture_equals_peer_polars() {
    let (n, differ) = compare_with_peer(
        &fixture("cnemc/henan_sites"),
        &fixture("peer/polars_henan_sites_2025-01.csv"),
    );
    assert_eq!(n, 97);
    assert!(differ.is_empty(), "{differ:?}");
}

// ---------------------------------------------------------------------------------------------
// Reports: snapshots of what officials read.

#[test]
fn jiaozuo_summary_snapshot() {
    let out = run(&["assess", p(&fixture("cnemc/henan_sites")), "--city", "焦作"]);
    insta::assert_snapshot!("jiaozuo_summary_zh", out);
    let out = run(&[
        "assess",
        p(&fixture("cnemc/henan_sites")),
        "--city",
        "焦作",
        "--by",
        "city",
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    insta::assert_snapshot!("jiaozuo_city_json", out);
}

#[test]
fn daily_and_hourly_snapshot() {
    let sites = fixture("cnemc/henan_sites");
    let out = run(&[
        "assess",
        p(&sites),
        "--station",
        "1828A",
        "--daily",
        "--from",
        "2025-01-01",
        "--to",
        "2025-01-07",
    ]);
    insta::assert_snapshot!("jiaozuo_1828a_daily", out);
    let out = run(&[
        "assess",
        p(&sites),
        "--station",
        "1828A",
        "--hourly",
        "--from",
        "2025-01-05",
        "--to",
        "2025-01-05",
        "--lang",
        "en",
    ]);
    insta::assert_snapshot!("jiaozuo_1828a_hourly_en", out);
}

#[test]
fn henan_rank_snapshot() {
    let out = run(&[
        "rank",
        "--period",
        "2025-01",
        p(&fixture("cnemc/henan_sites")),
    ]);
    insta::assert_snapshot!("henan_rank_2025_01", out);
    // The same ranking from the published city files.
    let out = run(&[
        "rank",
        "--period",
        "2025-01",
        p(&fixture("cnemc/henan_cities")),
        "--lang",
        "en",
    ]);
    insta::assert_snapshot!("henan_rank_2025_01_from_city_files", out);
}

#[test]
fn rules_2026_change_the_numbers() {
    let sites = fixture("cnemc/henan_sites");
    let y12 = csv_rows(&run(&[
        "assess",
        p(&sites),
        "--station",
        "1828A",
        "--rules",
        "2012",
        "--format",
        "csv",
        "--lang",
        "en",
    ]));
    let y26 = csv_rows(&run(&[
        "assess",
        p(&sites),
        "--station",
        "1828A",
        "--rules",
        "2026",
        "--format",
        "csv",
        "--lang",
        "en",
    ]));
    // The 2026 PM breakpoints push days above 100 (STANDARDS.md §3.2).
    let good = |r: &HashMap<String, String>| r["good_days"].parse::<u32>().unwrap();
    assert!(
        good(&y26[0]) < good(&y12[0]),
        "{} vs {}",
        good(&y26[0]),
        good(&y12[0])
    );
    // The composite index divides by the 2026 transition limits (PM2.5 30, PM10 60).
    let c = |r: &HashMap<String, String>| r["composite"].parse::<f64>().unwrap();
    assert!(c(&y26[0]) > c(&y12[0]));
}

// ---------------------------------------------------------------------------------------------
// Bad input: named file, line and column; exit code 2; no output file.

fn lantian() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lantian"))
}

fn bad_input_case(name: &str, content: &str, expect: &str) {
    let dir = tempdir(&format!("bad-{name}"));
    let good =
        std::fs::read_to_string(fixture("cnemc/henan_sites/china_sites_20250101.csv")).unwrap();
    std::fs::write(dir.join("china_sites_20250101.csv"), good).unwrap();
    std::fs::write(dir.join("china_sites_20250102.csv"), content).unwrap();
    let out_file = dir.join("out.csv");
    let o = lantian()
        .args(["assess", p(&dir), "--format", "csv", "-o", p(&out_file)])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
    assert!(
        stderr.contains(expect),
        "{name}: expected {expect:?} in {stderr}"
    );
    assert!(
        !out_file.exists(),
        "{name}: a partial output file was written"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&*dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "{name}: temporary files left: {leftovers:?}"
    );
}

#[test]
fn bad_input_is_named_and_nothing_is_written() {
    let good =
        std::fs::read_to_string(fixture("cnemc/henan_sites/china_sites_20250102.csv")).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    // A truncated file: cut in the middle of line 100.
    let truncated = format!(
        "{}\n{}",
        lines[..99].join("\n"),
        &lines[99][..lines[99].len() / 2]
    );
    bad_input_case(
        "truncated",
        &truncated,
        "china_sites_20250102.csv:100: expected 117 fields",
    );
    // A wrong header.
    bad_input_case(
        "header",
        &good.replacen("date,hour,type", "datum,hour,type", 1),
        "china_sites_20250102.csv:1: bad header",
    );
    // A non-numeric cell: line 5, fourth column.
    let mut l: Vec<String> = lines.iter().map(|s| (*s).to_owned()).collect();
    let mut f: Vec<String> = l[4].split(',').map(str::to_owned).collect();
    f[3] = "12a".into();
    l[4] = f.join(",");
    bad_input_case(
        "number",
        &(l.join("\n") + "\n"),
        "china_sites_20250102.csv:5: column 4 (",
    );
    // A duplicated hour: line 3 again at the end.
    bad_input_case(
        "duplicate",
        &format!("{good}{}\n", lines[2]),
        "duplicated row 20250102 0",
    );
    // An unknown row type.
    bad_input_case(
        "type",
        &good.replacen(",PM10,", ",PM11,", 1),
        "unknown type \"PM11\"",
    );
    // An unknown station code in the header.
    let with_xyz: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.insert(3, if i == 0 { "XYZ" } else { "" });
            f.join(",")
        })
        .collect();
    bad_input_case(
        "code",
        &(with_xyz.join("\n") + "\n"),
        "column 4 (XYZ): unknown code \"XYZ\"",
    );
    // The same hour in two files.
    bad_input_case(
        "cross-file",
        &std::fs::read_to_string(fixture("cnemc/henan_sites/china_sites_20250101.csv")).unwrap(),
        "first seen at",
    );
}

#[test]
fn unknown_station_and_existing_output_untouched() {
    let dir = tempdir("unknown-station");
    let out_file = dir.join("out.csv");
    std::fs::write(&out_file, "keep me").unwrap();
    let o = lantian()
        .args([
            "assess",
            p(&fixture("cnemc/henan_sites")),
            "--station",
            "9999Z",
            "-o",
            p(&out_file),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown station code \"9999Z\""));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "keep me");
    // And a good run replaces it whole.
    let o = lantian()
        .args([
            "assess",
            p(&fixture("cnemc/henan_sites")),
            "--station",
            "1828A",
            "--format",
            "csv",
            "-o",
            p(&out_file),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        std::fs::read_to_string(&out_file)
            .unwrap()
            .contains("1828A")
    );
}

// ---------------------------------------------------------------------------------------------
// Import into the store (SQLite here; the store's own conformance suite covers PostgreSQL).

mod import {
    use super::*;
    use lantian_store::Store;
    use lantian_store_sqlite::SqliteStore;
    use std::time::Duration;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Everything stored, as one comparable digest: (rows, hash of every hourly row).
    async fn digest(db: &Path) -> (u64, u64) {
        use std::hash::{Hash, Hasher};
        let s = SqliteStore::open(db).await.unwrap();
        let n = s.count_hourly().await.unwrap();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut stations: Vec<_> = s
            .stations()
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.code)
            .collect();
        stations.sort();
        let (from, to) = (
            lantian_domain::Timestamp(0),
            lantian_domain::Timestamp(i64::MAX / 2),
        );
        for st in &stations {
            for p in Pollutant::ALL {
                for v in s.hourly(st, p, from, to).await.unwrap() {
                    (
                        st.as_str(),
                        p.code(),
                        v.hour.0,
                        v.raw.map(f64::to_bits),
                        v.validated.map(f64::to_bits),
                        v.flags.0,
                    )
                        .hash(&mut h);
                }
            }
        }
        s.close().await;
        (n, h.finish())
    }

    fn import(db: &Path, paths: &[&Path]) -> std::process::Output {
        let mut c = lantian();
        c.args(["import", "cnemc"])
            .args(paths)
            .args(["--db", p(db)]);
        c.output().unwrap()
    }

    #[test]
    fn reimport_changes_nothing() {
        let dir = tempdir("reimport");
        let db = dir.join("a.sqlite");
        let sites = fixture("cnemc/henan_sites");
        let o = import(&db, &[&sites]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("403630 values"));
        let first = rt().block_on(digest(&db));
        assert_eq!(first.0, 403_630);
        let o = import(&db, &[&sites]);
        assert!(o.status.success());
        assert_eq!(rt().block_on(digest(&db)), first);
    }

    /// City files are stored as published city values, beside (never inside) the station values;
    /// a directory may hold both kinds; importing again changes nothing.
    #[test]
    fn city_files_are_kept_as_published() {
        use lantian_store::CityItem;
        let dir = tempdir("cities");
        let db = dir.join("c.sqlite");
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        for (kind, d) in [
            ("sites", "20250101"),
            ("cities", "20250101"),
            ("cities", "20250102"),
        ] {
            let f = format!("china_{kind}_{d}.csv");
            std::fs::copy(
                fixture(&format!("cnemc/henan_{kind}")).join(&f),
                data.join(&f),
            )
            .unwrap();
        }
        // The file's own figures for 焦作 at 20250101 hour 0 (= 2024-12-31 24:00 local).
        let text = std::fs::read_to_string(data.join("china_cities_20250101.csv")).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let col = header.iter().position(|c| *c == "焦作").unwrap();
        let cell = |ty: &str| -> f64 {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("20250101,0,{ty},")))
                .unwrap();
            line.split(',').nth(col).unwrap().parse().unwrap()
        };
        let expected_cells: usize = text
            .lines()
            .skip(1)
            .filter(|l| {
                let ty = l.split(',').nth(2).unwrap();
                ["AQI", "PM2.5", "PM10", "SO2", "NO2", "O3", "CO"].contains(&ty)
            })
            .map(|l| l.split(',').skip(3).filter(|c| !c.is_empty()).count())
            .sum();
        for _ in 0..2 {
            let o = import(&db, &[&data]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let out = String::from_utf8_lossy(&o.stdout).to_string();
            assert!(out.contains("cnemc cities: 2 files"), "{out}");
            assert!(out.contains("cnemc: 1 files"), "{out}");
        }
        rt().block_on(async {
            let s = SqliteStore::open(&db).await.unwrap();
            let hour = lantian_domain::Timestamp::from_hour_stamp(lantian_aq::HourStamp::new(
                lantian_aq::Date::parse("2025-01-01").unwrap(),
                0,
            ));
            for (ty, item) in [
                ("AQI", CityItem::Aqi),
                ("PM2.5", CityItem::Pollutant(Pollutant::Pm25)),
                ("CO", CityItem::Pollutant(Pollutant::Co)),
            ] {
                let got = s.city_values("焦作", item, hour, hour).await.unwrap();
                assert_eq!(got.len(), 1, "{ty}");
                assert_eq!(got[0].value, cell(ty), "{ty}");
            }
            // Two days of 17 cities: every non-empty cell of the kept rows, once.
            let day2 = std::fs::read_to_string(data.join("china_cities_20250102.csv")).unwrap();
            let cells2: usize = day2
                .lines()
                .skip(1)
                .filter(|l| {
                    let ty = l.split(',').nth(2).unwrap();
                    ["AQI", "PM2.5", "PM10", "SO2", "NO2", "O3", "CO"].contains(&ty)
                })
                .map(|l| l.split(',').skip(3).filter(|c| !c.is_empty()).count())
                .sum();
            assert_eq!(
                s.count_city_values().await.unwrap(),
                (expected_cells + cells2) as u64
            );
            s.close().await;
        });
    }

    #[test]
    fn a_bad_file_writes_nothing() {
        let dir = tempdir("import-bad");
        let db = dir.join("b.sqlite");
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        for d in ["20250101", "20250102"] {
            let f = format!("china_sites_{d}.csv");
            std::fs::copy(fixture("cnemc/henan_sites").join(&f), data.join(&f)).unwrap();
        }
        let bad = std::fs::read_to_string(data.join("china_sites_20250102.csv"))
            .unwrap()
            .replacen(",PM10,", ",PM11,", 1);
        std::fs::write(data.join("china_sites_20250102.csv"), bad).unwrap();
        let o = import(&db, &[&data]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("china_sites_20250102.csv"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            rt().block_on(digest(&db)).0,
            0,
            "nothing may be written from a run with a bad file"
        );
    }

    /// SIGKILL part-way through, re-run: exactly the rows of one clean import.
    #[test]
    fn killed_import_rerun_equals_clean_import() {
        let dir = tempdir("kill");
        let sites = fixture("cnemc/henan_sites");
        let clean = dir.join("clean.sqlite");
        assert!(import(&clean, &[&sites]).status.success());
        let want = rt().block_on(digest(&clean));

        let db = dir.join("killed.sqlite");
        let mut child = lantian()
            .args(["import", "cnemc", p(&sites), "--db", p(&db)])
            .spawn()
            .unwrap();
        // Kill once some, but not all, batches are committed.
        let rt = rt();
        let mut seen = 0;
        // Poll for at most 60 s (4000 × 15 ms): a bound on the wait, not a timing.
        for _ in 0..4000 {
            std::thread::sleep(Duration::from_millis(15));
            if db.exists() {
                seen = rt.block_on(async {
                    match SqliteStore::open(&db).await {
                        Ok(s) => {
                            let n = s.count_hourly().await.unwrap_or(0);
                            s.close().await;
                            n
                        }
                        Err(_) => 0,
                    }
                });
                if seen > 0 {
                    break;
                }
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(
            seen > 0 && seen < want.0,
            "the kill must land mid-import (saw {seen} of {} rows, {status:?})",
            want.0
        );
        let o = import(&db, &[&sites]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(rt.block_on(digest(&db)), want);
    }

    #[test]
    fn demo_init_builds_the_district() {
        let dir = tempdir("demo");
        let db = dir.join("demo.sqlite");
        let o = lantian()
            .args(["demo", "init", "--db", p(&db)])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains("200 sources") && out.contains("38 stations"),
            "{out}"
        );
        // A second init refuses to overwrite without --force.
        let o = lantian()
            .args(["demo", "init", "--db", p(&db)])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        rt().block_on(async {
            let s = SqliteStore::open(&db).await.unwrap();
            let grids = s
                .regions()
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.level == lantian_domain::region::RegionLevel::Grid)
                .count();
            assert_eq!(grids, 40);
            let micro = lantian_domain::StationCode::parse("GX-M01").unwrap();
            let latest = s.latest(&micro).await.unwrap();
            assert!(!latest.is_empty());
            // Micro-stations' PM is calibrated: corrected differs from raw.
            let pm = latest
                .iter()
                .find(|l| l.pollutant == Pollutant::Pm25)
                .unwrap();
            assert_ne!(pm.corrected, pm.raw);
            s.close().await;
        });
    }

    #[test]
    fn grids_and_sources_import_with_placement() {
        let dir = tempdir("grids");
        let db = dir.join("g.sqlite");
        let demo = lantian_demo::build(lantian_demo::SEED);
        let geo = dir.join("grids.geojson");
        std::fs::write(
            &geo,
            lantian_ingest::geojson::regions_to_geojson(&demo.regions),
        )
        .unwrap();
        let o = lantian()
            .args(["import", "grids", p(&geo), "--db", p(&db)])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // Stations placed by point-in-polygon: 1829A 高新区政府 falls in a grid.
        let o = lantian()
            .args(["import", "stations", "--db", p(&db)])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("2026 upserted, 3 placed in grids"),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
        // Sources: a bad row refuses the file; --skip-bad imports the rest and names the row.
        let csv = dir.join("sources.csv");
        std::fs::write(&csv, "编号,名称,类型,经度,纬度,责任单位\nS1,李万住宅项目,工地,113.21,35.15,\nS2,坏行,火山,113.25,35.18,\n").unwrap();
        let o = lantian()
            .args(["import", "sources", p(&csv), "--db", p(&db)])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("sources.csv:3: column 3 (kind)"));
        let o = lantian()
            .args(["import", "sources", p(&csv), "--db", p(&db), "--skip-bad"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("skipped: "));
        rt().block_on(async {
            let s = SqliteStore::open(&db).await.unwrap();
            let src = s
                .sources(&lantian_store::SourceFilter::default())
                .await
                .unwrap();
            assert_eq!(src.len(), 1);
            assert!(src[0].grid.is_some(), "placed by its position");
            s.close().await;
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts: `lantian admin create-user` (the first admin).

#[test]
fn admin_create_user_hashes_the_password_and_refuses_bad_input() {
    use lantian_store::AccountStore;
    let dir = tempdir("admin");
    let db = dir.join("a.sqlite");
    let create = |login: &str, role: &str, pw: &str| {
        lantian()
            .args([
                "admin",
                "create-user",
                "--db",
                p(&db),
                "--login",
                login,
                "--role",
                role,
            ])
            .args(["--name", "指挥部 管理员"])
            .env("LANTIAN_PASSWORD", pw)
            .output()
            .unwrap()
    };
    let o = create("Root", "admin", "a long password");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("created user root"));
    let o = create("root", "admin", "a long password");
    assert_eq!(o.status.code(), Some(1), "a taken login is a conflict");
    let o = create("other", "emperor", "a long password");
    assert_eq!(o.status.code(), Some(2), "unknown role is bad input");
    assert!(String::from_utf8_lossy(&o.stderr).contains("role"));
    let o = create("other", "admin", "short");
    assert_eq!(o.status.code(), Some(2));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = lantian_server::Db::open(p(&db)).await.unwrap();
        let users = store.users().await.unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].display_name, "指挥部 管理员");
        assert!(users[0].password_hash.starts_with("$argon2id$"));
        assert!(lantian_server::auth::verify_password(
            "a long password",
            &users[0].password_hash
        ));
        store.close().await;
    });
}

#[test]
fn openapi_command_writes_the_servers_document() {
    let out = run(&["openapi"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc,
        serde_json::to_value(lantian_server::openapi()).unwrap()
    );
}

// ---------------------------------------------------------------------------------------------
// The audit log and the ledger's scheduler, end to end on SQLite (the tamper tests of both
// backends are in the store's conformance suite).

mod audit {
    use super::*;
    use lantian_store_sqlite::SqliteStore;

    fn fails(args: &[&str]) -> String {
        let mut v = vec!["lantian"];
        v.extend_from_slice(args);
        let cli = lantian_cli::Cli::try_parse_from(&v).unwrap();
        format!("{:#}", lantian_cli::run(&cli).unwrap_err())
    }

    #[test]
    fn verify_anchor_escalate_and_a_tampered_entry() {
        let dir = tempdir("audit");
        let db = dir.0.join("ledger.sqlite");
        let db = p(&db);
        let out = run(&[
            "bench",
            "ledger",
            "--db",
            db,
            "--problems",
            "40",
            "--log",
            "300",
            "--queries",
            "5",
        ]);
        assert!(out.contains("chain holds"), "{out}");
        let ok = run(&["audit", "verify", "--db", db]);
        assert!(ok.starts_with("audit log OK: "), "{ok}");
        assert!(ok.contains(" records verified in "), "{ok}");
        let anchor = run(&["audit", "anchor", "--day", "2025-03-01", "--db", db]);
        assert!(anchor.starts_with("2025-03-01 entries="), "{anchor}");
        assert!(anchor.trim_end().len() > 64, "{anchor}");
        // The scheduler at a fixed instant: everything still open is long overdue by then.
        let esc = run(&[
            "ledger",
            "escalate",
            "--now",
            "2026-03-02T09:00:00+08:00",
            "--db",
            db,
        ]);
        assert!(esc.starts_with("escalation at 2026-03-02"), "{esc}");
        assert!(esc.contains("→ 问责"), "{esc}");
        let again = run(&[
            "ledger",
            "escalate",
            "--now",
            "2026-03-02T09:00:00+08:00",
            "--db",
            db,
        ]);
        assert!(again.contains(", 0 escalated"), "{again}");
        assert!(run(&["audit", "verify", "--db", db]).starts_with("audit log OK: "));
        // Someone with the file edits entry 17: verify fails (exit 1) and names it.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let s = SqliteStore::open(db).await.unwrap();
            sqlx::raw_sql(
                "DROP TRIGGER audit_log_no_update; \
                 UPDATE audit_log SET actor = 'mallory' WHERE seq = 17",
            )
            .execute(s.pool())
            .await
            .unwrap();
            s.close().await;
        });
        let e = fails(&["audit", "verify", "--db", db]);
        assert!(e.contains("log entry 17 does not match its hash"), "{e}");
        let code = lantian_cli::main_with_args(["lantian", "audit", "verify", "--db", db]);
        assert_eq!(code, std::process::ExitCode::FAILURE);
    }
}

// ---------------------------------------------------------------------------------------------
// `lantian export`: a ledger from the store, read back as a workbook and as CSV.

mod export {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use lantian_domain::calendar::Calendar;
    use lantian_domain::enforcement::CaseDraft;
    use lantian_domain::ledger::{Action, Actor, Finding, Mode};
    use lantian_domain::org::{Person, Role, Unit, UnitKind};
    use lantian_domain::{PersonId, SourceId, Timestamp, UnitCode};
    use lantian_store::Store;
    use lantian_store::ledger::{LedgerStore, NewProblem};
    use lantian_store::records::RecordStore;
    use lantian_store_sqlite::SqliteStore;

    fn who(p: &str, u: &str, role: Role) -> Actor {
        Actor {
            person: PersonId::parse(p).unwrap(),
            unit: UnitCode::parse(u).unwrap(),
            role,
            grids: vec![],
        }
    }

    /// A store with one problem assigned to 阳庙镇 (张三) and one case filed on it.
    async fn seed(path: &Path) {
        let s = SqliteStore::open(path).await.unwrap();
        let unit = |c: &str, n: &str| Unit {
            code: UnitCode::parse(c).unwrap(),
            name: n.into(),
            kind: UnitKind::Town,
            region: None,
        };
        s.upsert_units(&[
            unit("T1", "阳庙镇人民政府"),
            unit("ZFJ", "综合执法局"),
            unit("DCK", "督查科"),
        ])
        .await
        .unwrap();
        let person = |id: &str, name: &str, u: &str, role| Person {
            id: PersonId::parse(id).unwrap(),
            name: name.into(),
            unit: UnitCode::parse(u).unwrap(),
            role,
            phone: None,
        };
        s.upsert_people(&[
            person("w1", "张三", "T1", Role::UnitStaff),
            person("z1", "李四", "ZFJ", Role::EnforcementOfficer),
        ])
        .await
        .unwrap();
        let t = Timestamp::parse("2025-09-26T10:00:00+08:00").unwrap();
        let p = s
            .create_problem(
                &NewProblem {
                    campaign: "air".into(),
                    category: "工地扬尘".into(),
                    description: "世纪路工地未覆盖".into(),
                    finding: Finding::Inspection,
                    found_at: t,
                    grid: None,
                    source: Some(SourceId::parse("S001").unwrap()),
                    unit: None,
                    mode: Mode::Immediate { hours: 24 },
                },
                &who("i1", "DCK", Role::Inspector),
                t,
            )
            .await
            .unwrap();
        let assign = Action::Assign {
            unit: UnitCode::parse("T1").unwrap(),
            assignee: PersonId::parse("w1").unwrap(),
        };
        let d = who("d1", "SHJZX", Role::Dispatcher);
        s.apply(p.id, None, assign, &d, t, &Calendar::china())
            .await
            .unwrap();
        let draft = CaseDraft {
            id: 0,
            title: "工地扬尘污染".into(),
            party: "某建筑公司".into(),
            sources: vec![SourceId::parse("S001").unwrap()],
            problems: vec![p.id],
        };
        s.file_case(&draft, &who("z1", "ZFJ", Role::EnforcementOfficer), t)
            .await
            .unwrap();
        inspect(&s, t).await;
        s.close().await;
    }

    /// Plan 1 (世纪路工地检查, inspector i1 of 督查科) dispatched and carried out: record 1,
    /// whose finding is problem 2.
    async fn inspect(s: &SqliteStore, t: Timestamp) {
        use lantian_domain::ContentHash;
        use lantian_domain::campaign::Catalog;
        use lantian_domain::geo::Point;
        use lantian_domain::inspection::*;
        use lantian_store::inspections::{FileContext, InspectionStore};
        let i1 = who("i1", "DCK", Role::Inspector);
        let target = Target {
            kind: TargetKind::Source,
            code: "S001".into(),
            name: "世纪路工地".into(),
            location: Some(Point::new(113.30, 35.20).unwrap()),
            grid: None,
            unit: Some(UnitCode::parse("T1").unwrap()),
        };
        let draft = PlanDraft {
            id: 0,
            campaign: "air".into(),
            mode: InspectionMode::Routine,
            title: "世纪路工地检查".into(),
            planned_for: t,
            team: vec![Inspector::from(&i1)],
            targets: vec![target.clone()],
            problem: None,
        };
        let d = who("d1", "SHJZX", Role::Dispatcher);
        let (plan, _) = s.create_plan(&draft, &d, None, t).await.unwrap();
        s.dispatch_plan(plan.id, None, &d, t).await.unwrap();
        let photo = s
            .put_evidence(b"jpeg", "image/jpeg", &i1.person, t)
            .await
            .unwrap();
        let record = InspectionRecord {
            id: 0,
            plan: Some(plan.id),
            campaign: "air".into(),
            mode: InspectionMode::Routine,
            inspectors: vec![Inspector::from(&i1)],
            target,
            check_in: CheckIn {
                at: t,
                position: Point::new(113.30, 35.2005).unwrap(),
            },
            results: vec![],
            findings: vec![FindingDraft {
                category: "site_dust".into(),
                description: "裸土未覆盖".into(),
                evidence: vec![ContentHash::parse(&photo).unwrap()],
                mode: None,
            }],
            evidence: vec![],
            reinspection: None,
        };
        let catalog = Catalog::embedded().unwrap();
        let cal = Calendar::china();
        let ctx = FileContext {
            campaign: catalog.get("air").unwrap(),
            policy: CheckInPolicy::default(),
            grid: None,
            calendar: &cal,
        };
        let f = s.file_record(&record, ctx, &i1, t).await.unwrap();
        assert_eq!(f.problems, vec![2]);
    }

    fn col(r: &calamine::Range<Data>, header: &str) -> u32 {
        (0..r.width() as u32)
            .find(|c| r.get_value((0, *c)) == Some(&Data::String(header.into())))
            .unwrap_or_else(|| panic!("no column {header}"))
    }

    #[test]
    fn ledgers_export_to_xlsx_and_csv_with_names() {
        let dir = tempdir("export");
        let db = dir.0.join("ledger.sqlite");
        tokio::runtime::Runtime::new().unwrap().block_on(seed(&db));
        let xlsx = dir.0.join("问题台账.xlsx");
        let out = run(&["export", "problems", "--db", p(&db), "-o", p(&xlsx)]);
        assert_eq!(out, "");
        let mut wb = Xlsx::new(std::io::Cursor::new(std::fs::read(&xlsx).unwrap())).unwrap();
        assert_eq!(wb.sheet_names(), ["问题台账"]);
        let r = wb.worksheet_range("问题台账").unwrap();
        assert_eq!(
            r.height(),
            3,
            "a header, the problem and the inspection's finding"
        );
        assert_eq!(r.get_value((0, 0)), Some(&Data::String("序号".into())));
        let cell = |h: &str| r.get_value((1, col(&r, h))).cloned().unwrap();
        assert_eq!(cell("问题描述"), Data::String("世纪路工地未覆盖".into()));
        assert_eq!(cell("责任单位"), Data::String("阳庙镇人民政府".into()));
        assert_eq!(cell("责任人"), Data::String("张三".into()));
        assert_eq!(cell("发现时间"), Data::String("2025-09-26 10:00".into()));
        let csv = dir.0.join("cases.csv");
        run(&[
            "export",
            "cases",
            "--format",
            "csv",
            "--lang",
            "en",
            "--db",
            p(&db),
            "-o",
            p(&csv),
        ]);
        let text = std::fs::read_to_string(&csv).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap().trim_start_matches('\u{feff}');
        assert!(header.starts_with("No.,Case ID,Cause,Party"), "{header}");
        let row = lines.next().unwrap();
        assert!(
            row.contains("工地扬尘污染") && row.contains("综合执法局"),
            "{row}"
        );
        assert_eq!(lines.next(), None);
        let csv = dir.0.join("检查台账.csv");
        run(&[
            "export",
            "inspections",
            "--format",
            "csv",
            "--db",
            p(&db),
            "-o",
            p(&csv),
        ]);
        let text = std::fs::read_to_string(&csv).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap().trim_start_matches('\u{feff}');
        assert!(
            header.starts_with("序号,检查编号,检查名称,专项行动,检查方式"),
            "{header}"
        );
        assert_eq!(
            lines.next().unwrap(),
            "1,1,世纪路工地检查,大气污染防治攻坚,日常检查,世纪路工地,,阳庙镇人民政府,i1,督查科,\
             2025-09-26 10:00,\"113.300000,35.200500\",56,否,否,0,1,2,1,,"
        );
        assert_eq!(lines.next(), None);
        // No temporary files left beside the outputs.
        let left: Vec<_> = std::fs::read_dir(&dir.0)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty());
    }
}

//! The demo district: a district modelled on 焦作高新区 (Jiaozuo High-tech Zone, Henan), the
//! district of the seed page, built in memory.
//!
//! - Four towns and sub-districts (李万街道, 文苑街道, 阳庙镇, 待王街道), three villages or
//!   communities each, 40 grids with polygons on a lattice over the district's real area around
//!   the 高新区政府 station (1829A). The boundaries are a model, not the official ones.
//! - The eight real Jiaozuo national stations with their real January 2025 hourly data
//!   (`data/jiaozuo_2025-01.csv`, cut from CNEMC's files by `tests/fixtures/make_fixtures.py`).
//! - 30 micro-stations whose series follow the nearest national station, plus local effects
//!   of the sources around them: daytime dust near construction sites, meal-time cooking
//!   peaks near restaurants, night-time emissions near enterprises; each reads a little high,
//!   with a calibration record that corrects it.
//! - About 200 sources of every kind, the responsible units, people in every role, and the
//!   2025 targets (PM2.5 43, PM10 76, ≥ 245 good days, ≤ 5 heavy days: STANDARDS.md §7).
//! - A few deliberate coverage gaps (grids without a chief or without anyone, sources without
//!   a unit), because a real district has them and the dashboard must show them.
//!
//! # Invariant
//! Deterministic: the same seed gives the same district, value for value (its own SplitMix64
//! generator; no clock, no I/O — the real data is compiled in).

use lantian_aq::{Date, HourStamp, Pollutant};
use lantian_domain::geo::{Area, Point, Polygon};
use lantian_domain::org::{Person, Role, Unit, UnitKind};
use lantian_domain::region::{Duty, Region, RegionLevel, RegionTree, Responsibility};
use lantian_domain::source::{Source, SourceKind};
use lantian_domain::station::{Calibration, Station, StationKind};
use lantian_domain::target::{Target, TargetIndicator};
use lantian_domain::{PersonId, RegionCode, StationCode, Timestamp};

pub mod scaled;

const JIAOZUO: &str = include_str!("../data/jiaozuo_2025-01.csv");

/// The district's code (焦作高新区's administrative division code).
pub const DISTRICT_CODE: &str = "410871";

/// The default seed.
pub const SEED: u64 = 20_251_228;

/// One hourly value of the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoHourly {
    /// Station.
    pub station: StationCode,
    /// Pollutant.
    pub pollutant: Pollutant,
    /// End of the hour.
    pub hour: Timestamp,
    /// The value as the station reported it (micro-stations: before calibration).
    pub value: f64,
}

/// The whole demo district.
#[derive(Debug, Clone)]
pub struct Demo {
    /// Region tree: district, towns, villages, grids.
    pub regions: Vec<Region>,
    /// Grid chiefs and workers, cadres in charge.
    pub duties: Vec<Responsibility>,
    /// Responsible units.
    pub units: Vec<Unit>,
    /// People.
    pub people: Vec<Person>,
    /// Stations.
    pub stations: Vec<Station>,
    /// Sources.
    pub sources: Vec<Source>,
    /// 2025 targets.
    pub targets: Vec<Target>,
    /// Hourly values: real for national stations, simulated for micro-stations.
    pub hourly: Vec<DemoHourly>,
}

/// One hour of a real station: its label and the six values ([`Pollutant::ALL`] order).
type RealHour = (HourStamp, [Option<f64>; 6]);

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
}

// The district's model area: a lattice of COLS × ROWS grids.
const LON0: f64 = 113.20;
const LAT0: f64 = 35.14;
const LON1: f64 = 113.32;
const LAT1: f64 = 35.22;
const COLS: usize = 8;
const ROWS: usize = 5;

const TOWNS: [(&str, &str); 4] = [
    ("LW", "李万街道"),
    ("WY", "文苑街道"),
    ("YM", "阳庙镇"),
    ("DW", "待王街道"),
];

fn code<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    // Demo codes are written here and always valid; a bad one is a bug in this file.
    s.parse()
        .unwrap_or_else(|e| panic!("demo code {s:?}: {e:?}"))
}

fn cell(col: usize, row: usize) -> Area {
    let w = (LON1 - LON0) / COLS as f64;
    let h = (LAT1 - LAT0) / ROWS as f64;
    let (x, y) = (LON0 + w * col as f64, LAT0 + h * row as f64);
    let ring = vec![
        Point { lon: x, lat: y },
        Point { lon: x + w, lat: y },
        Point {
            lon: x + w,
            lat: y + h,
        },
        Point { lon: x, lat: y + h },
        Point { lon: x, lat: y },
    ];
    Area(vec![
        Polygon::new(vec![ring]).unwrap_or_else(|e| panic!("demo cell: {e}")),
    ])
}

fn union_box(cols: std::ops::Range<usize>, rows: std::ops::Range<usize>) -> Area {
    let w = (LON1 - LON0) / COLS as f64;
    let h = (LAT1 - LAT0) / ROWS as f64;
    let (x0, x1) = (LON0 + w * cols.start as f64, LON0 + w * cols.end as f64);
    let (y0, y1) = (LAT0 + h * rows.start as f64, LAT0 + h * rows.end as f64);
    let ring = vec![
        Point { lon: x0, lat: y0 },
        Point { lon: x1, lat: y0 },
        Point { lon: x1, lat: y1 },
        Point { lon: x0, lat: y1 },
        Point { lon: x0, lat: y0 },
    ];
    Area(vec![
        Polygon::new(vec![ring]).unwrap_or_else(|e| panic!("demo box: {e}")),
    ])
}

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢",
];
const GIVEN: [&str; 30] = [
    "伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "华", "丽", "建国", "国强", "志刚", "海燕", "晓东", "红梅", "建华", "玉兰", "文博",
    "子涵", "浩然", "思远",
];

fn regions() -> Vec<Region> {
    let district: RegionCode = code(DISTRICT_CODE);
    let mut out = vec![Region {
        code: district.clone(),
        name: "焦作高新区".into(),
        level: RegionLevel::District,
        parent: None,
        area: Some(union_box(0..COLS, 0..ROWS)),
    }];
    let bands: [(std::ops::Range<usize>, &str); 3] = [(0..2, "村"), (2..4, "社区"), (4..5, "村")];
    let village_names = [
        ["东于村", "李万社区", "北朱村"],
        ["文苑社区", "新城社区", "恩村"],
        ["阳庙村", "南王庄社区", "桑园村"],
        ["待王村", "中星社区", "西王封村"],
    ];
    for (t, (tc, tn)) in TOWNS.iter().enumerate() {
        let town: RegionCode = code(&format!("{DISTRICT_CODE}-{tc}"));
        let cols = 2 * t..2 * t + 2;
        out.push(Region {
            code: town.clone(),
            name: (*tn).into(),
            level: RegionLevel::Town,
            parent: Some(district.clone()),
            area: Some(union_box(cols.clone(), 0..ROWS)),
        });
        for (v, (rows, _)) in bands.iter().enumerate() {
            let village: RegionCode = code(&format!("{DISTRICT_CODE}-{tc}-V{}", v + 1));
            out.push(Region {
                code: village.clone(),
                name: village_names[t][v].into(),
                level: RegionLevel::Village,
                parent: Some(town.clone()),
                area: Some(union_box(cols.clone(), rows.clone())),
            });
            for row in rows.clone() {
                for col in cols.clone() {
                    let n = row * 2 + (col - cols.start) + 1;
                    out.push(Region {
                        code: code(&format!("{DISTRICT_CODE}-{tc}-G{n:02}")),
                        name: format!("{}第{}网格", tn, n),
                        level: RegionLevel::Grid,
                        parent: Some(village.clone()),
                        area: Some(cell(col, row)),
                    });
                }
            }
        }
    }
    out
}

fn units() -> Vec<Unit> {
    let dept = |c: &str, n: &str, kind| Unit {
        code: code(c),
        name: n.into(),
        kind,
        region: None,
    };
    let mut u = vec![
        dept("ZHB", "大气污染防治攻坚指挥部", UnitKind::Command),
        dept("SHJZX", "生态环境中心", UnitKind::Department),
        dept("CGZX", "城管中心", UnitKind::Department),
        dept("KGZX", "科工中心", UnitKind::Department),
        dept("NYNCZX", "农业农村中心", UnitKind::Department),
        dept("CGAIZX", "城改中心", UnitKind::Department),
        dept("YJZX", "应急中心", UnitKind::Department),
        dept("ZJJ", "住房和城乡建设局", UnitKind::Department),
    ];
    for (tc, tn) in TOWNS {
        u.push(Unit {
            code: code(&format!("T-{tc}")),
            name: format!("{tn}办事处"),
            kind: UnitKind::Town,
            region: Some(code(&format!("{DISTRICT_CODE}-{tc}"))),
        });
    }
    u
}

/// The real January 2025 series of the Jiaozuo national stations (compiled in), by station
/// code, in file order.
fn real_series() -> std::collections::HashMap<String, Vec<RealHour>> {
    let mut real: std::collections::HashMap<String, Vec<RealHour>> = Default::default();
    for line in JIAOZUO.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(d), Some(h)) = (
            f.get(1).and_then(|d| Date::parse(d)),
            f.get(2).and_then(|h| h.parse::<u32>().ok()),
        ) else {
            continue;
        };
        let vals: [Option<f64>; 6] =
            std::array::from_fn(|i| f.get(3 + i).and_then(|v| v.parse().ok()));
        real.entry(f[0].to_owned())
            .or_default()
            .push((HourStamp::new(d, h), vals));
    }
    real
}

/// Build the demo district from `seed`.
pub fn build(seed: u64) -> Demo {
    let mut rng = Rng(seed);
    let regions = regions();
    let tree = RegionTree::new(regions.clone()).unwrap_or_else(|e| panic!("demo tree: {e}"));
    let units = units();

    // People: every role; grid chiefs and workers for all grids but a few (the gaps).
    let mut people = Vec::new();
    let mut duties = Vec::new();
    let name = |rng: &mut Rng| format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN));
    let person = |rng: &mut Rng, id: String, unit: &str, role: Role, people: &mut Vec<Person>| {
        let pid: PersonId = code(&id);
        people.push(Person {
            id: pid.clone(),
            name: name(rng),
            unit: code(unit),
            role,
            phone: Some(format!("139{:08}", rng.next() % 100_000_000)),
        });
        pid
    };
    person(&mut rng, "admin".into(), "ZHB", Role::Admin, &mut people);
    person(&mut rng, "leader".into(), "ZHB", Role::Leader, &mut people);
    person(
        &mut rng,
        "dispatcher".into(),
        "SHJZX",
        Role::Dispatcher,
        &mut people,
    );
    for (i, u) in ["SHJZX", "CGZX", "KGZX", "NYNCZX", "CGAIZX", "YJZX", "ZJJ"]
        .iter()
        .enumerate()
    {
        person(
            &mut rng,
            format!("head-{}", u.to_lowercase()),
            u,
            Role::UnitHead,
            &mut people,
        );
        person(
            &mut rng,
            format!("staff-{}", u.to_lowercase()),
            u,
            Role::UnitStaff,
            &mut people,
        );
        if i < 3 {
            person(
                &mut rng,
                format!("inspector-{}", u.to_lowercase()),
                u,
                Role::Inspector,
                &mut people,
            );
        }
    }
    person(
        &mut rng,
        "enforcer-1".into(),
        "SHJZX",
        Role::EnforcementOfficer,
        &mut people,
    );
    person(
        &mut rng,
        "enforcer-2".into(),
        "SHJZX",
        Role::EnforcementOfficer,
        &mut people,
    );
    for (tc, _) in TOWNS {
        let unit = format!("T-{tc}");
        person(
            &mut rng,
            format!("head-{}", tc.to_lowercase()),
            &unit,
            Role::UnitHead,
            &mut people,
        );
        person(
            &mut rng,
            format!("staff-{}", tc.to_lowercase()),
            &unit,
            Role::UnitStaff,
            &mut people,
        );
    }
    let grids: Vec<&Region> = regions
        .iter()
        .filter(|r| r.level == RegionLevel::Grid)
        .collect();
    for (i, g) in grids.iter().enumerate() {
        let town = g.code.as_str().split('-').nth(1).unwrap_or("LW").to_owned();
        let unit = format!("T-{town}");
        // Gaps: grid 7 has no one; grids 18 and 33 have workers but no chief.
        if i == 7 {
            continue;
        }
        if i != 18 && i != 33 {
            let chief = person(
                &mut rng,
                format!("chief-{:02}", i + 1),
                &unit,
                Role::GridChief,
                &mut people,
            );
            duties.push(Responsibility {
                region: g.code.clone(),
                person: chief,
                duty: Duty::GridChief,
            });
        }
        for w in 0..(1 + (i % 2)) {
            let worker = person(
                &mut rng,
                format!("worker-{:02}-{}", i + 1, w + 1),
                &unit,
                Role::GridWorker,
                &mut people,
            );
            duties.push(Responsibility {
                region: g.code.clone(),
                person: worker,
                duty: Duty::GridWorker,
            });
        }
    }
    for v in regions.iter().filter(|r| r.level == RegionLevel::Village) {
        let town = v.code.as_str().split('-').nth(1).unwrap_or("LW").to_owned();
        let cadre = person(
            &mut rng,
            format!("cadre-{}", v.code.as_str().to_lowercase()),
            &format!("T-{town}"),
            Role::UnitStaff,
            &mut people,
        );
        duties.push(Responsibility {
            region: v.code.clone(),
            person: cadre,
            duty: Duty::CadreInCharge,
        });
    }

    // Sources.
    let plan: [(SourceKind, usize, &str, &[&str]); 6] = [
        (
            SourceKind::Construction,
            40,
            "CGAIZX",
            &["在建", "在建", "在建", "停工"],
        ),
        (SourceKind::Road, 30, "CGZX", &["正常"]),
        (
            SourceKind::Enterprise,
            40,
            "KGZX",
            &["生产", "生产", "生产", "限产", "停产"],
        ),
        (SourceKind::Restaurant, 60, "CGZX", &["营业"]),
        (SourceKind::CoalBurning, 20, "NYNCZX", &["在用", "已取缔"]),
        (SourceKind::Other, 10, "SHJZX", &["正常"]),
    ];
    let industries = [
        "化工",
        "建材",
        "机械制造",
        "印刷",
        "家具",
        "汽修",
        "食品加工",
    ];
    let site_names = [
        "住宅项目",
        "道路改造工程",
        "学校建设项目",
        "厂房项目",
        "安置房项目",
    ];
    let road_names = [
        "山阳路",
        "世纪路",
        "神州路",
        "迎宾路",
        "待王大道",
        "文苑路",
        "李万路",
        "阳庙路",
        "中原路",
        "丰收路",
    ];
    let mut sources = Vec::new();
    let mut n = 0;
    for (kind, count, unit, statuses) in plan {
        for k in 0..count {
            n += 1;
            let p = Point {
                lon: rng.range(LON0 + 0.002, LON1 - 0.002),
                lat: rng.range(LAT0 + 0.002, LAT1 - 0.002),
            };
            let grid = tree.grid_at(p).map(|g| g.code.clone());
            let town = grid
                .as_ref()
                .and_then(|g| tree.town_of(g))
                .map(|t| t.name.clone())
                .unwrap_or_default();
            let name = match kind {
                SourceKind::Construction => format!("{town}{}{}", rng.pick(&site_names), k + 1),
                SourceKind::Road => format!("{}（{}段）", rng.pick(&road_names), town),
                SourceKind::Enterprise => format!("焦作{}{}有限公司", rng.pick(&industries), k + 1),
                SourceKind::Restaurant => format!("{}{}家菜馆", town, rng.pick(&SURNAMES)),
                SourceKind::CoalBurning => format!("{town}散煤燃烧点{}", k + 1),
                SourceKind::Other => format!("{town}其他源{}", k + 1),
            };
            let vocs = kind == SourceKind::Enterprise && k % 8 < 3;
            sources.push(Source {
                id: code(&format!("SRC-{n:04}")),
                name,
                kind,
                location: Some(p),
                grid,
                // Two sources without a responsible unit: gaps the dashboard must show.
                unit: if n == 57 || n == 133 {
                    None
                } else {
                    Some(code(unit))
                },
                status: (*rng.pick(statuses)).into(),
                vocs,
                industry: (kind == SourceKind::Enterprise)
                    .then(|| (*rng.pick(&industries)).to_owned()),
            });
        }
    }

    // Stations: the real national ones, then micro-stations.
    let national: Vec<(&str, &str, f64, f64, bool)> = vec![
        ("1827A", "市监测站", 113.261, 35.235, false),
        ("1828A", "市环保局", 113.2269, 35.2127, false),
        ("1829A", "高新区政府", 113.2467, 35.176, false),
        ("1830A", "影视城(对照点)", 113.1987, 35.2703, true),
        ("3169A", "太极体育中心", 113.2725, 35.2071, false),
        ("3335A", "马村街道办", 113.3137, 35.2641, false),
        ("3336A", "焦作技师学院", 113.2465, 35.2373, false),
        ("3477A", "中站许衡医院", 113.1656, 35.2539, false),
    ];
    let mut stations: Vec<Station> = national
        .iter()
        .map(|&(c, n, lon, lat, control)| {
            let p = Point { lon, lat };
            Station {
                code: code(c),
                name: n.into(),
                kind: StationKind::National,
                location: Some(p),
                grid: tree.grid_at(p).map(|g| g.code.clone()),
                city: Some("焦作".into()),
                control,
                pollutants: Pollutant::ALL.to_vec(),
                calibrations: vec![],
            }
        })
        .collect();

    // The real series, by station.
    let real = real_series();
    let mut hourly = Vec::new();
    for (st, series) in &real {
        for (h, vals) in series {
            for p in Pollutant::ALL {
                if let Some(v) = vals[p.index()] {
                    hourly.push(DemoHourly {
                        station: code(st),
                        pollutant: p,
                        hour: Timestamp::from_hour_stamp(*h),
                        value: v,
                    });
                }
            }
        }
    }
    // Micro-stations: in 30 of the grids, following the nearest national station with data.
    let with_data: Vec<&(&str, &str, f64, f64, bool)> = national
        .iter()
        .filter(|s| real.contains_key(s.0) && !s.4)
        .collect();
    let calib_since =
        Timestamp::from_hour_stamp(HourStamp::new(Date::from_ymd_const(2024, 12, 15), 12));
    for (m, g) in grids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 != 3)
        .take(30)
    {
        let c = g.area.as_ref().map(|a| a.0[0].centroid()).unwrap_or(Point {
            lon: LON0,
            lat: LAT0,
        });
        let p = Point {
            lon: c.lon + rng.range(-0.003, 0.003),
            lat: c.lat + rng.range(-0.003, 0.003),
        };
        let code_s = format!("GX-M{:02}", m + 1);
        let nearest = with_data
            .iter()
            .min_by(|a, b| {
                let da = p.distance_m(Point { lon: a.2, lat: a.3 });
                let db = p.distance_m(Point { lon: b.2, lat: b.3 });
                da.total_cmp(&db)
            })
            .map(|s| s.0)
            .unwrap_or("1828A");
        // Sources within 600 m shape the local effects.
        let near = |k: SourceKind| {
            sources
                .iter()
                .filter(|s| s.kind == k && s.location.is_some_and(|l| l.distance_m(p) < 600.0))
                .count() as f64
        };
        let (sites, food, plants) = (
            near(SourceKind::Construction),
            near(SourceKind::Restaurant),
            near(SourceKind::Enterprise),
        );
        let slope = rng.range(1.05, 1.25);
        let offset = rng.range(0.0, 6.0);
        stations.push(Station {
            code: code(&code_s),
            name: format!("{}微站", g.name),
            kind: StationKind::Micro,
            location: Some(p),
            grid: Some(g.code.clone()),
            city: Some("焦作".into()),
            control: false,
            pollutants: vec![
                Pollutant::Pm25,
                Pollutant::Pm10,
                Pollutant::No2,
                Pollutant::Co,
                Pollutant::O3,
            ],
            // corrected = raw / slope − offset / slope undoes how this sensor reads high.
            calibrations: [Pollutant::Pm25, Pollutant::Pm10]
                .iter()
                .map(|&pol| Calibration {
                    pollutant: pol,
                    slope: 1.0 / slope,
                    offset: -offset / slope,
                    since: calib_since,
                })
                .collect(),
        });
        for (h, vals) in real.get(nearest).into_iter().flatten() {
            let hour = h.hour_of_day(); // 1..=24, the end of the hour
            let day = (8..=18).contains(&hour);
            let meal = (11..=13).contains(&hour) || (17..=20).contains(&hour);
            let night = hour >= 22 || hour <= 5;
            if rng.unit() < 0.01 {
                continue; // a dropped packet now and then
            }
            for pol in [
                Pollutant::Pm25,
                Pollutant::Pm10,
                Pollutant::No2,
                Pollutant::Co,
                Pollutant::O3,
            ] {
                let Some(base) = vals[pol.index()] else {
                    continue;
                };
                let noise = rng.range(0.92, 1.08);
                let mut v = base * noise;
                match pol {
                    Pollutant::Pm10 if day => v += sites * rng.range(25.0, 70.0),
                    Pollutant::Pm25 if meal => v += food * rng.range(4.0, 12.0),
                    Pollutant::Pm25 if night => v += plants * rng.range(2.0, 6.0),
                    Pollutant::No2 if night => v += plants * rng.range(3.0, 8.0),
                    _ => {}
                }
                // Dust is mostly coarse; its fine share shows in PM2.5 too.
                if pol == Pollutant::Pm25 && day {
                    v += sites * rng.range(3.0, 10.0);
                }
                if matches!(pol, Pollutant::Pm25 | Pollutant::Pm10) {
                    v = v * slope + offset; // the sensor reads high
                }
                let v = if pol == Pollutant::Co {
                    (v * 10.0).round() / 10.0
                } else {
                    v.round()
                };
                hourly.push(DemoHourly {
                    station: code(&code_s),
                    pollutant: pol,
                    hour: Timestamp::from_hour_stamp(*h),
                    value: v.max(0.0),
                });
            }
        }
    }
    hourly
        .sort_by(|a, b| (a.hour, &a.station, a.pollutant).cmp(&(b.hour, &b.station, b.pollutant)));

    let district: RegionCode = code(DISTRICT_CODE);
    let t = |indicator, value| Target {
        year: 2025,
        area: district.clone(),
        indicator,
        value,
    };
    let targets = vec![
        t(TargetIndicator::Pm25, 43.0),
        t(TargetIndicator::Pm10, 76.0),
        t(TargetIndicator::GoodDays, 245.0),
        t(TargetIndicator::HeavyDays, 5.0),
    ];
    Demo {
        regions,
        duties,
        units,
        people,
        stations,
        sources,
        targets,
        hourly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantian_domain::coverage::{Gap, coverage_gaps};

    #[test]
    fn deterministic_and_whole() {
        let a = build(SEED);
        let b = build(SEED);
        assert_eq!(a.hourly, b.hourly);
        assert_eq!(a.sources, b.sources);
        assert_eq!(
            a.regions
                .iter()
                .filter(|r| r.level == RegionLevel::Grid)
                .count(),
            40
        );
        assert_eq!(
            a.regions
                .iter()
                .filter(|r| r.level == RegionLevel::Town)
                .count(),
            4
        );
        assert_eq!(a.sources.len(), 200);
        assert_eq!(
            a.stations
                .iter()
                .filter(|s| s.kind == StationKind::Micro)
                .count(),
            30
        );
        assert_eq!(
            a.stations
                .iter()
                .filter(|s| s.kind == StationKind::National)
                .count(),
            8
        );
        for k in SourceKind::ALL {
            assert!(a.sources.iter().any(|s| s.kind == k), "{k:?}");
        }
        // Every source and micro-station is inside a grid.
        assert!(a.sources.iter().all(|s| s.grid.is_some()));
        // The real series are there: 1828A at 2025-01-05 16:00 (file row) has PM2.5.
        let h = Timestamp::from_hour_stamp(HourStamp::new(Date::from_ymd_const(2025, 1, 5), 16));
        assert!(a.hourly.iter().any(|v| v.station.as_str() == "1828A"
            && v.hour == h
            && v.pollutant == Pollutant::Pm25));
        assert!(a.hourly.len() > 100_000, "{}", a.hourly.len());
        // Everyone's unit exists; every role is present.
        for p in &a.people {
            assert!(a.units.iter().any(|u| u.code == p.unit), "{:?}", p.unit);
        }
        for r in Role::ALL {
            assert!(a.people.iter().any(|p| p.role == r), "{r:?}");
        }
        let ids: std::collections::HashSet<_> = a.people.iter().map(|p| &p.id).collect();
        assert_eq!(ids.len(), a.people.len(), "person ids are unique");
    }

    #[test]
    fn the_deliberate_gaps_show() {
        let d = build(SEED);
        let tree = RegionTree::new(d.regions.clone()).unwrap();
        let gaps = coverage_gaps(&tree, &d.duties, &d.stations, &d.sources);
        assert!(
            gaps.iter()
                .any(|g| matches!(g, Gap::NoOneResponsible { .. }))
        );
        assert_eq!(
            gaps.iter()
                .filter(|g| matches!(g, Gap::NoGridChief { .. }))
                .count(),
            2
        );
        assert_eq!(
            gaps.iter()
                .filter(|g| matches!(g, Gap::SourceWithoutUnit { .. }))
                .count(),
            2
        );
    }

    #[test]
    fn micro_stations_show_local_effects() {
        let d = build(SEED);
        // A micro-station near construction sites reads more PM10 by day than its national
        // reference does.
        let mean = |st: &str, pol: Pollutant, day: bool| {
            let v: Vec<f64> = d
                .hourly
                .iter()
                .filter(|h| h.station.as_str() == st && h.pollutant == pol)
                .filter(|h| {
                    let hod = h.hour.hour_label().hour_of_day();
                    (8..=18).contains(&hod) == day
                })
                .map(|h| h.value)
                .collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        let micro: Vec<&Station> = d
            .stations
            .iter()
            .filter(|s| s.kind == StationKind::Micro)
            .collect();
        let dusty = micro
            .iter()
            .map(|s| {
                mean(s.code.as_str(), Pollutant::Pm10, true)
                    - mean(s.code.as_str(), Pollutant::Pm10, false)
            })
            .fold(f64::MIN, f64::max);
        assert!(dusty > 30.0, "{dusty}");
    }
}

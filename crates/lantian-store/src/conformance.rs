//! The conformance suite: what every backend must do, written once against [`Store`].
//!
//! Each test is a `pub async fn name<S: Store>(store: &S)` that expects a FRESH, empty store
//! and panics on failure. A backend's integration test runs them all with
//! [`conformance_tests!`](crate::conformance_tests), giving a harness that makes a fresh store,
//! runs one test against it and cleans up:
//!
//! ```ignore
//! async fn harness(name: &str, test: impl AsyncFnOnce(&SqliteStore)) { … }
//! lantian_store::conformance_tests!(harness);
//! ```
//!
//! The fixtures model a small district: one district, one town, one village, two grids, two
//! units, two people, a national station and a calibrated micro-station.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // test code: a panic is the report

use crate::{CityItem, CityValue, DailyRollup, HourlyValue, SourceFilter, Store, StoreError};
use lantian_aq::{Date, HourStamp, Pollutant};
use lantian_domain::geo::{Area, Point, Polygon};
use lantian_domain::org::{Person, Role, Unit, UnitKind};
use lantian_domain::reading::{Origin, QualityFlag, QualityFlags, RawReading};
use lantian_domain::region::{Duty, Region, RegionLevel, Responsibility};
use lantian_domain::source::{Source, SourceKind};
use lantian_domain::station::{Calibration, Station, StationKind};
use lantian_domain::target::{Target, TargetIndicator};
use lantian_domain::{PersonId, RegionCode, SourceId, StationCode, Timestamp, UnitCode};

/// Generate one `#[tokio::test]` per conformance test, each calling
/// `$harness(test_name, async |store| conformance::test(store).await)`. The calling crate needs
/// `tokio` (features `macros`, `rt`) as a dev-dependency.
#[macro_export]
macro_rules! conformance_tests {
    ($harness:path) => {
        $crate::conformance_tests!(@each $harness;
            regions_round_trip,
            responsibilities_round_trip,
            units_and_people_round_trip,
            stations_round_trip,
            sources_round_trip_and_filter,
            targets_round_trip,
            metadata_batch_with_dangling_reference_fails_whole,
            hourly_round_trip,
            hourly_reupsert_is_idempotent,
            hourly_upsert_updates_values,
            flagged_values_are_not_validated_nor_aggregated,
            latest_is_maintained_and_never_goes_backwards,
            daily_rollup_matches_hand_computation,
            daily_rollup_follows_corrections,
            raw_readings_aggregate_to_hourly_with_capture,
            raw_readings_are_idempotent,
            hourly_batch_with_unknown_station_fails_whole,
            hourly_batch_with_invalid_value_fails_whole,
            raw_batch_with_invalid_value_fails_whole,
            big_import_matches_a_recount,
            data_revision_moves_with_every_data_write,
            city_values_round_trip_and_reupsert,
            city_batch_with_invalid_value_fails_whole,
            accounts_users_round_trip,
            accounts_lockout_counts_and_clears,
            accounts_sessions_live_expire_and_revoke
        );
    };
    (@each $harness:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                $harness(stringify!($name), async |s| $crate::conformance::$name(s).await).await;
            }
        )*
    };
}

mod accounts;
pub use accounts::{
    accounts_lockout_counts_and_clears, accounts_sessions_live_expire_and_revoke,
    accounts_users_round_trip,
};

// ---- fixtures --------------------------------------------------------------------------------

fn rc(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}
fn uc(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}
fn pc(s: &str) -> PersonId {
    PersonId::parse(s).unwrap()
}
/// A station code.
pub fn sc(s: &str) -> StationCode {
    StationCode::parse(s).unwrap()
}

fn square(x: f64, y: f64, s: f64) -> Polygon {
    let ring = [(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]
        .iter()
        .map(|&(lon, lat)| Point { lon, lat })
        .collect();
    Polygon::new(vec![ring]).unwrap()
}

/// District 410871 → town T1 → village V1 → grids G1, G2 (G2 with two polygons).
pub fn fixture_regions() -> Vec<Region> {
    let r = |code: &str, name: &str, level, parent: Option<&str>, area| Region {
        code: rc(code),
        name: name.into(),
        level,
        parent: parent.map(rc),
        area,
    };
    vec![
        // Children first on purpose: a batch may name parents that come later in it.
        r(
            "410871-G1",
            "第一网格",
            RegionLevel::Grid,
            Some("410871-V1"),
            Some(Area(vec![square(113.20, 35.20, 0.01)])),
        ),
        r(
            "410871-G2",
            "第二网格",
            RegionLevel::Grid,
            Some("410871-V1"),
            Some(Area(vec![
                square(113.21, 35.20, 0.01),
                square(113.25, 35.25, 0.005),
            ])),
        ),
        r(
            "410871-V1",
            "阳庙村",
            RegionLevel::Village,
            Some("410871-T1"),
            None,
        ),
        r(
            "410871-T1",
            "阳庙镇",
            RegionLevel::Town,
            Some("410871"),
            None,
        ),
        r(
            "410871",
            "焦作高新区",
            RegionLevel::District,
            None,
            Some(Area(vec![square(113.0, 35.0, 1.0)])),
        ),
    ]
}

/// A department and a town government.
pub fn fixture_units() -> Vec<Unit> {
    vec![
        Unit {
            code: uc("SHJZX"),
            name: "生态环境中心".into(),
            kind: UnitKind::Department,
            region: None,
        },
        Unit {
            code: uc("T1"),
            name: "阳庙镇人民政府".into(),
            kind: UnitKind::Town,
            region: Some(rc("410871-T1")),
        },
    ]
}

/// A grid chief and a dispatcher.
pub fn fixture_people() -> Vec<Person> {
    vec![
        Person {
            id: pc("p001"),
            name: "张三".into(),
            unit: uc("T1"),
            role: Role::GridChief,
            phone: Some("13800000000".into()),
        },
        Person {
            id: pc("p002"),
            name: "李四".into(),
            unit: uc("SHJZX"),
            role: Role::Dispatcher,
            phone: None,
        },
    ]
}

/// The national station 1828A and the calibrated micro-station JZGX-M01 in grid G1.
pub fn fixture_stations() -> Vec<Station> {
    vec![
        Station {
            code: sc("1828A"),
            name: "市监测站".into(),
            kind: StationKind::National,
            location: Some(Point {
                lon: 113.2419,
                lat: 35.2164,
            }),
            grid: None,
            city: Some("焦作".into()),
            control: false,
            pollutants: Pollutant::ALL.to_vec(),
            calibrations: vec![],
        },
        Station {
            code: sc("JZGX-M01"),
            name: "阳庙镇微站1".into(),
            kind: StationKind::Micro,
            location: Some(Point {
                lon: 113.205,
                lat: 35.205,
            }),
            grid: Some(rc("410871-G1")),
            city: None,
            control: true,
            pollutants: vec![Pollutant::Pm10, Pollutant::Pm25],
            calibrations: vec![
                Calibration {
                    pollutant: Pollutant::Pm25,
                    slope: 0.5,
                    offset: 2.0,
                    since: Timestamp(1_700_000_000),
                },
                Calibration {
                    pollutant: Pollutant::Pm10,
                    slope: 0.8,
                    offset: 0.0,
                    since: Timestamp(1_700_000_000),
                },
            ],
        },
    ]
}

async fn seed<S: Store>(s: &S) {
    s.upsert_regions(&fixture_regions()).await.unwrap();
    s.upsert_units(&fixture_units()).await.unwrap();
    s.upsert_people(&fixture_people()).await.unwrap();
    s.upsert_stations(&fixture_stations()).await.unwrap();
}

/// 2025-01-05, the day most reading tests use.
pub const DAY: Date = Date::from_ymd_const(2025, 1, 5);

/// The end of the hour labelled `h` (1..=24) of `DAY` + `day_offset`.
pub fn hour(day_offset: i32, h: u32) -> Timestamp {
    Timestamp::from_hour_stamp(HourStamp::new(DAY.add_days(day_offset), h))
}

fn hv(st: &str, p: Pollutant, t: Timestamp, raw: f64) -> HourlyValue {
    HourlyValue::hourly(sc(st), p, t, raw, QualityFlags::OK, Origin::File)
}

fn sorted<T: Clone, K: Ord>(v: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort_by_key(key);
    v
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

/// Everything a reading write may change for the fixture stations, to compare before/after.
/// Rollup sums are compared to 12 significant digits: a store may add in another order.
async fn reading_state<S: Store>(s: &S) -> (u64, String) {
    let mut text = String::new();
    for st in ["1828A", "JZGX-M01"] {
        text += &format!("{:?}", s.latest(&sc(st)).await.unwrap());
        for p in Pollutant::ALL {
            let h = s
                .hourly(&sc(st), p, hour(-3, 1), hour(3, 24))
                .await
                .unwrap();
            text += &format!("{h:?}");
            for mut d in s
                .daily(&sc(st), p, DAY.add_days(-3), DAY.add_days(3))
                .await
                .unwrap()
            {
                let sum = format!("{:.11e}", d.sum);
                d.sum = 0.0;
                text += &format!("{d:?}{sum}");
            }
        }
    }
    (s.count_hourly().await.unwrap(), text)
}

// ---- metadata --------------------------------------------------------------------------------

/// Regions come back whole (areas included), parents first; re-upserting changes nothing and
/// an upsert replaces a row.
pub async fn regions_round_trip<S: Store>(s: &S) {
    assert_eq!(s.regions().await.unwrap(), vec![]);
    let regions = fixture_regions();
    s.upsert_regions(&regions).await.unwrap();
    s.upsert_regions(&regions).await.unwrap();
    let got = s.regions().await.unwrap();
    assert_eq!(got, sorted(&regions, |r| (r.level, r.code.clone())));
    let tree = lantian_domain::region::RegionTree::new(got).unwrap();
    assert_eq!(
        tree.grid_at(Point {
            lon: 113.2525,
            lat: 35.2525
        })
        .map(|r| r.code.as_str()),
        Some("410871-G2")
    );
    let mut renamed = regions[0].clone();
    renamed.name = "一网格".into();
    renamed.area = None;
    s.upsert_regions(&[renamed.clone()]).await.unwrap();
    let got = s.regions().await.unwrap();
    assert_eq!(got.len(), regions.len());
    assert_eq!(got.iter().find(|r| r.code == renamed.code), Some(&renamed));
}

/// Duties are a set.
pub async fn responsibilities_round_trip<S: Store>(s: &S) {
    seed(s).await;
    let duties = vec![
        Responsibility {
            region: rc("410871-G1"),
            person: pc("p001"),
            duty: Duty::GridChief,
        },
        Responsibility {
            region: rc("410871-G1"),
            person: pc("p002"),
            duty: Duty::GridWorker,
        },
        Responsibility {
            region: rc("410871-V1"),
            person: pc("p001"),
            duty: Duty::CadreInCharge,
        },
    ];
    s.upsert_responsibilities(&duties).await.unwrap();
    s.upsert_responsibilities(&duties[..1]).await.unwrap();
    let got = s.responsibilities().await.unwrap();
    assert_eq!(
        got,
        sorted(&duties, |d| (
            d.region.clone(),
            d.person.clone(),
            d.duty.code()
        ))
    );
    let bad = Responsibility {
        region: rc("410871-G9"),
        person: pc("p001"),
        duty: Duty::GridChief,
    };
    let e = s
        .upsert_responsibilities(&[duties[0].clone(), bad])
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    assert_eq!(s.responsibilities().await.unwrap().len(), 3);
}

/// Units and people round-trip and update.
pub async fn units_and_people_round_trip<S: Store>(s: &S) {
    s.upsert_regions(&fixture_regions()).await.unwrap();
    let units = fixture_units();
    s.upsert_units(&units).await.unwrap();
    s.upsert_units(&units).await.unwrap();
    assert_eq!(s.units().await.unwrap(), sorted(&units, |u| u.code.clone()));
    let people = fixture_people();
    s.upsert_people(&people).await.unwrap();
    s.upsert_people(&people).await.unwrap();
    assert_eq!(s.people().await.unwrap(), sorted(&people, |p| p.id.clone()));
    let mut moved = people[1].clone();
    moved.unit = uc("T1");
    moved.role = Role::UnitHead;
    moved.phone = Some("0391-1234567".into());
    s.upsert_people(&[moved.clone()]).await.unwrap();
    let got = s.people().await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1], moved);
}

/// Stations round-trip with calibrations; an upsert replaces the calibrations.
pub async fn stations_round_trip<S: Store>(s: &S) {
    s.upsert_regions(&fixture_regions()).await.unwrap();
    let stations = fixture_stations();
    s.upsert_stations(&stations).await.unwrap();
    s.upsert_stations(&stations).await.unwrap();
    assert_eq!(
        s.stations().await.unwrap(),
        sorted(&stations, |s| s.code.clone())
    );
    assert_eq!(
        s.station(&sc("JZGX-M01")).await.unwrap().as_ref(),
        Some(&stations[1])
    );
    assert_eq!(s.station(&sc("NOPE")).await.unwrap(), None);
    let mut m = stations[1].clone();
    m.calibrations = vec![Calibration {
        pollutant: Pollutant::Pm25,
        slope: 0.9,
        offset: -1.5,
        since: Timestamp(1_735_000_000),
    }];
    m.location = None;
    m.pollutants = vec![Pollutant::Pm25];
    s.upsert_stations(&[m.clone()]).await.unwrap();
    assert_eq!(s.station(&m.code).await.unwrap(), Some(m));
    assert_eq!(s.stations().await.unwrap().len(), 2);
}

/// Sources round-trip and filter by grid, kind and unit.
pub async fn sources_round_trip_and_filter<S: Store>(s: &S) {
    seed(s).await;
    let src = |id: &str, kind, grid: Option<&str>, unit: Option<&str>| Source {
        id: SourceId::parse(id).unwrap(),
        name: format!("源{id}"),
        kind,
        location: Some(Point {
            lon: 113.205,
            lat: 35.205,
        }),
        grid: grid.map(rc),
        unit: unit.map(uc),
        status: "在建".into(),
        vocs: kind == SourceKind::Enterprise,
        industry: (kind == SourceKind::Enterprise).then(|| "化工".into()),
    };
    let all = vec![
        src(
            "S1",
            SourceKind::Construction,
            Some("410871-G1"),
            Some("T1"),
        ),
        src(
            "S2",
            SourceKind::Enterprise,
            Some("410871-G1"),
            Some("SHJZX"),
        ),
        src("S3", SourceKind::Restaurant, Some("410871-G2"), Some("T1")),
        src("S4", SourceKind::Other, None, None),
    ];
    s.upsert_sources(&all).await.unwrap();
    s.upsert_sources(&all).await.unwrap();
    let ids = |v: Vec<Source>| v.into_iter().map(|s| s.id.to_string()).collect::<Vec<_>>();
    assert_eq!(s.sources(&SourceFilter::default()).await.unwrap(), all);
    let f = SourceFilter {
        grid: Some(rc("410871-G1")),
        ..Default::default()
    };
    assert_eq!(ids(s.sources(&f).await.unwrap()), ["S1", "S2"]);
    let f = SourceFilter {
        kind: Some(SourceKind::Restaurant),
        ..Default::default()
    };
    assert_eq!(ids(s.sources(&f).await.unwrap()), ["S3"]);
    let f = SourceFilter {
        unit: Some(uc("T1")),
        grid: Some(rc("410871-G1")),
        kind: None,
    };
    assert_eq!(ids(s.sources(&f).await.unwrap()), ["S1"]);
    let mut closed = all[0].clone();
    closed.status = "停工".into();
    closed.location = None;
    s.upsert_sources(&[closed.clone()]).await.unwrap();
    let f = SourceFilter {
        kind: Some(SourceKind::Construction),
        ..Default::default()
    };
    assert_eq!(s.sources(&f).await.unwrap(), vec![closed]);
}

/// Targets are keyed by year, area and indicator.
pub async fn targets_round_trip<S: Store>(s: &S) {
    s.upsert_regions(&fixture_regions()).await.unwrap();
    let t = |year, area: &str, indicator, value| Target {
        year,
        area: rc(area),
        indicator,
        value,
    };
    let all = vec![
        t(2025, "410871", TargetIndicator::Pm25, 42.0),
        t(2025, "410871", TargetIndicator::GoodDayRatio, 65.5),
        t(2025, "410871-T1", TargetIndicator::Pm10, 70.0),
        t(2024, "410871", TargetIndicator::Pm25, 45.0),
    ];
    s.upsert_targets(&all).await.unwrap();
    s.upsert_targets(&all).await.unwrap();
    assert_eq!(
        s.targets(2025).await.unwrap(),
        vec![all[1].clone(), all[0].clone(), all[2].clone()]
    );
    s.upsert_targets(&[t(2025, "410871", TargetIndicator::Pm25, 40.0)])
        .await
        .unwrap();
    let got = s.targets(2025).await.unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].value, 40.0);
    assert_eq!(s.targets(2023).await.unwrap(), vec![]);
}

/// A metadata batch with one dangling reference is refused whole, naming the entity, and
/// leaves the store as it was.
pub async fn metadata_batch_with_dangling_reference_fails_whole<S: Store>(s: &S) {
    seed(s).await;
    let before = (
        s.people().await.unwrap(),
        s.stations().await.unwrap(),
        s.regions().await.unwrap(),
    );
    let mut people = fixture_people();
    people[0].name = "改名".into();
    people.push(Person {
        id: pc("p003"),
        name: "王五".into(),
        unit: uc("NOUNIT"),
        role: Role::Inspector,
        phone: None,
    });
    let e = s.upsert_people(&people).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Conflict {
                entity: "people",
                ..
            }
        ),
        "{e:?}"
    );
    let mut stations = fixture_stations();
    stations[0].name = "改名".into();
    stations[1].grid = Some(rc("410871-G9"));
    let e = s.upsert_stations(&stations).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Conflict {
                entity: "stations",
                ..
            }
        ),
        "{e:?}"
    );
    let mut regions = fixture_regions();
    regions[0].name = "改名".into();
    regions.push(Region {
        code: rc("X-G"),
        name: "孤儿".into(),
        level: RegionLevel::Grid,
        parent: Some(rc("X-V")),
        area: None,
    });
    let e = s.upsert_regions(&regions).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Conflict {
                entity: "regions",
                ..
            }
        ),
        "{e:?}"
    );
    let after = (
        s.people().await.unwrap(),
        s.stations().await.unwrap(),
        s.regions().await.unwrap(),
    );
    assert_eq!(before, after);
}

// ---- readings --------------------------------------------------------------------------------

/// Hourly values come back whole, for the asked station, pollutant and inclusive range only.
pub async fn hourly_round_trip<S: Store>(s: &S) {
    seed(s).await;
    assert_eq!(s.count_hourly().await.unwrap(), 0);
    let mut batch = Vec::new();
    for h in 1..=24 {
        batch.push(hv(
            "1828A",
            Pollutant::Pm25,
            hour(0, h),
            f64::from(h) + 0.25,
        ));
        batch.push(hv("1828A", Pollutant::So2, hour(0, h), 7.0));
        batch.push(hv("JZGX-M01", Pollutant::Pm25, hour(0, h), 99.0));
    }
    let mut odd = hv("JZGX-M01", Pollutant::Pm10, hour(1, 3), 55.5);
    odd.corrected = Some(44.4);
    odd.validated = Some(44.4);
    odd.origin = Origin::Mqtt;
    odd.capture = (50, 60);
    batch.push(odd.clone());
    assert_eq!(s.upsert_hourly(&batch).await.unwrap(), 73);
    assert_eq!(s.count_hourly().await.unwrap(), 73);
    let got = s
        .hourly(&sc("1828A"), Pollutant::Pm25, hour(0, 5), hour(0, 8))
        .await
        .unwrap();
    assert_eq!(
        got,
        batch
            .iter()
            .filter(|v| v.pollutant == Pollutant::Pm25 && v.station == sc("1828A"))
            .skip(4)
            .take(4)
            .cloned()
            .collect::<Vec<_>>()
    );
    let got = s
        .hourly(&sc("JZGX-M01"), Pollutant::Pm10, hour(-10, 1), hour(10, 1))
        .await
        .unwrap();
    assert_eq!(got, vec![odd]);
    // Unaligned bounds still select the whole hours inside them.
    let got = s
        .hourly(
            &sc("1828A"),
            Pollutant::So2,
            hour(0, 1).plus_seconds(-1),
            hour(0, 2).plus_seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        s.hourly(&sc("1828A"), Pollutant::O3, hour(0, 1), hour(0, 24))
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(
        s.hourly(&sc("NOPE"), Pollutant::O3, hour(0, 1), hour(0, 24))
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(
        s.hourly(&sc("1828A"), Pollutant::Pm25, hour(0, 9), hour(0, 8))
            .await
            .unwrap(),
        vec![]
    );
}

/// The same batch twice: same count, same values, same rollups, same latest.
pub async fn hourly_reupsert_is_idempotent<S: Store>(s: &S) {
    seed(s).await;
    let batch: Vec<_> = (1..=30)
        .map(|h| {
            hv(
                "1828A",
                Pollutant::No2,
                hour(0, 1).plus_seconds((h - 1) * 3600),
                h as f64,
            )
        })
        .collect();
    s.upsert_hourly(&batch).await.unwrap();
    let once = reading_state(s).await;
    s.upsert_hourly(&batch).await.unwrap();
    assert_eq!(reading_state(s).await, once);
    s.import_hourly(&batch).await.unwrap();
    assert_eq!(reading_state(s).await, once);
    assert_eq!(once.0, 30);
    // A batch repeating a value keeps the last one.
    let dup = vec![
        hv("1828A", Pollutant::No2, hour(0, 1), 500.0),
        hv("1828A", Pollutant::No2, hour(0, 1), 1.0),
    ];
    assert_eq!(s.upsert_hourly(&dup).await.unwrap(), 1);
    assert_eq!(reading_state(s).await, once);
}

/// An upsert replaces every field of a stored value.
pub async fn hourly_upsert_updates_values<S: Store>(s: &S) {
    seed(s).await;
    s.upsert_hourly(&[hv("JZGX-M01", Pollutant::Pm25, hour(0, 10), 80.0)])
        .await
        .unwrap();
    let new = HourlyValue {
        station: sc("JZGX-M01"),
        pollutant: Pollutant::Pm25,
        hour: hour(0, 10),
        raw: Some(81.5),
        corrected: Some(42.75),
        validated: Some(42.75),
        flags: QualityFlags::OK,
        origin: Origin::Http,
        capture: (58, 60),
    };
    s.import_hourly(std::slice::from_ref(&new)).await.unwrap();
    assert_eq!(
        s.hourly(&new.station, new.pollutant, new.hour, new.hour)
            .await
            .unwrap(),
        vec![new.clone()]
    );
    let d = s
        .daily(&new.station, new.pollutant, DAY, DAY)
        .await
        .unwrap();
    assert_eq!((d[0].n_valid, d[0].sum), (1, 42.75));
    assert_eq!(
        s.latest(&new.station).await.unwrap()[0].validated,
        Some(42.75)
    );
    assert_eq!(s.count_hourly().await.unwrap(), 1);
}

/// A flagged value is stored with its flags and raw value, never validated, never in a rollup
/// — even when the caller passed a validated value.
pub async fn flagged_values_are_not_validated_nor_aggregated<S: Store>(s: &S) {
    seed(s).await;
    let mut bad = hv("1828A", Pollutant::Pm25, hour(0, 2), 900.0);
    bad.flags = QualityFlags::OK
        .with(QualityFlag::Spike)
        .with(QualityFlag::Inverted);
    assert_eq!(bad.validated, Some(900.0)); // a careless caller: the store must not aggregate it
    let good = hv("1828A", Pollutant::Pm25, hour(0, 1), 30.0);
    s.upsert_hourly(&[good, bad.clone()]).await.unwrap();
    let got = s
        .hourly(&sc("1828A"), Pollutant::Pm25, hour(0, 2), hour(0, 2))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].raw, Some(900.0));
    assert_eq!(got[0].validated, None);
    assert_eq!(got[0].flags, bad.flags);
    let d = s
        .daily(&sc("1828A"), Pollutant::Pm25, DAY, DAY)
        .await
        .unwrap();
    assert_eq!(
        (d[0].n_hours, d[0].n_valid, d[0].sum, d[0].max),
        (2, 1, 30.0, Some(30.0))
    );
    // Flagging a value later removes it from the rollup.
    let mut later = hv("1828A", Pollutant::Pm25, hour(0, 1), 30.0);
    later.flags = QualityFlags::OK.with(QualityFlag::Manual);
    s.upsert_hourly(&[later]).await.unwrap();
    let d = s
        .daily(&sc("1828A"), Pollutant::Pm25, DAY, DAY)
        .await
        .unwrap();
    assert_eq!(
        (d[0].n_hours, d[0].n_valid, d[0].sum, d[0].min, d[0].mean()),
        (2, 0, 0.0, None, None)
    );
}

/// The latest value per station and pollutant follows the newest hour, including its
/// corrections, and never goes back when an older hour arrives.
pub async fn latest_is_maintained_and_never_goes_backwards<S: Store>(s: &S) {
    seed(s).await;
    assert_eq!(s.latest(&sc("1828A")).await.unwrap(), vec![]);
    s.upsert_hourly(&[
        hv("1828A", Pollutant::Pm25, hour(0, 10), 10.0),
        hv("1828A", Pollutant::Pm25, hour(0, 12), 12.0),
        hv("1828A", Pollutant::Pm25, hour(0, 11), 11.0),
        hv("1828A", Pollutant::So2, hour(0, 9), 9.0),
        hv("JZGX-M01", Pollutant::Pm25, hour(0, 20), 20.0),
    ])
    .await
    .unwrap();
    let l = s.latest(&sc("1828A")).await.unwrap();
    let brief = |l: &[crate::LatestValue]| {
        l.iter()
            .map(|v| (v.pollutant, v.hour, v.raw))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        brief(&l),
        vec![
            (Pollutant::So2, hour(0, 9), Some(9.0)),
            (Pollutant::Pm25, hour(0, 12), Some(12.0))
        ]
    );
    assert_eq!(l[1].station, sc("1828A"));
    assert_eq!(l[1].validated, Some(12.0));
    assert_eq!(l[1].origin, Origin::File);
    // An older hour arrives later: latest stays.
    s.upsert_hourly(&[hv("1828A", Pollutant::Pm25, hour(0, 3), 3.0)])
        .await
        .unwrap();
    s.import_hourly(&[hv("1828A", Pollutant::Pm25, hour(-1, 3), 3.0)])
        .await
        .unwrap();
    assert_eq!(
        brief(&s.latest(&sc("1828A")).await.unwrap())[1],
        (Pollutant::Pm25, hour(0, 12), Some(12.0))
    );
    // A correction of the latest hour is followed.
    let mut fix = hv("1828A", Pollutant::Pm25, hour(0, 12), 12.0);
    fix.flags = QualityFlags::OK.with(QualityFlag::FlatLine);
    s.upsert_hourly(&[fix]).await.unwrap();
    let l = s.latest(&sc("1828A")).await.unwrap();
    assert_eq!(
        (
            l[1].hour,
            l[1].validated,
            l[1].flags.has(QualityFlag::FlatLine)
        ),
        (hour(0, 12), None, true)
    );
    // A newer hour moves it on.
    s.upsert_hourly(&[hv("1828A", Pollutant::Pm25, hour(1, 1), 1.5)])
        .await
        .unwrap();
    assert_eq!(
        brief(&s.latest(&sc("1828A")).await.unwrap())[1],
        (Pollutant::Pm25, hour(1, 1), Some(1.5))
    );
    assert_eq!(s.latest(&sc("JZGX-M01")).await.unwrap().len(), 1);
}

/// Daily rollups against a hand computation: day D is hours 01..24, so the hour ending at
/// local midnight belongs to the day before; the hour 01 of D+1 to D+1.
pub async fn daily_rollup_matches_hand_computation<S: Store>(s: &S) {
    seed(s).await;
    let p = Pollutant::Pm10;
    let mut batch = vec![
        hv("1828A", p, hour(-1, 24), 5.0), // 2025-01-05 00:00 → day 01-04
        hv("1828A", p, hour(0, 1), 10.0),  // 01:00 → 01-05
        hv("1828A", p, hour(0, 2), 20.0),
        hv("1828A", p, hour(0, 13), 31.5),
        hv("1828A", p, hour(0, 24), 40.0), // 2025-01-06 00:00 → still 01-05
        hv("1828A", p, hour(1, 1), 100.0), // 2025-01-06 01:00 → 01-06
    ];
    let mut flagged = hv("1828A", p, hour(0, 14), 5000.0);
    flagged.flags = QualityFlags::OK.with(QualityFlag::OutOfRange);
    batch.push(flagged);
    let mut missing = hv("1828A", p, hour(0, 15), 0.0);
    missing.raw = None;
    missing.validated = None;
    batch.push(missing);
    s.upsert_hourly(&batch).await.unwrap();
    let got = s
        .daily(&sc("1828A"), p, DAY.add_days(-1), DAY.add_days(1))
        .await
        .unwrap();
    let r = |day: Date, n_hours, n_valid, sum, min: f64, max: f64| DailyRollup {
        station: sc("1828A"),
        pollutant: p,
        day,
        n_hours,
        n_valid,
        sum,
        min: Some(min),
        max: Some(max),
    };
    assert_eq!(
        got,
        vec![
            r(DAY.add_days(-1), 1, 1, 5.0, 5.0, 5.0),
            r(DAY, 6, 4, 101.5, 10.0, 40.0),
            r(DAY.add_days(1), 1, 1, 100.0, 100.0, 100.0),
        ]
    );
    assert_eq!(got[1].mean(), Some(25.375));
    assert_eq!(
        s.daily(&sc("1828A"), p, DAY, DAY).await.unwrap(),
        vec![got[1].clone()]
    );
    assert_eq!(
        s.daily(&sc("1828A"), Pollutant::O3, DAY, DAY)
            .await
            .unwrap(),
        vec![]
    );
    // A second batch adding new hours to the same day merges.
    s.upsert_hourly(&[hv("1828A", p, hour(0, 3), 8.5)])
        .await
        .unwrap();
    let d = s.daily(&sc("1828A"), p, DAY, DAY).await.unwrap();
    assert_eq!(
        (d[0].n_hours, d[0].n_valid, d[0].sum, d[0].min),
        (7, 5, 110.0, Some(8.5))
    );
}

/// Re-writing hours already counted (corrections, re-imports) recomputes the rollup, including
/// min and max moving back.
pub async fn daily_rollup_follows_corrections<S: Store>(s: &S) {
    seed(s).await;
    let p = Pollutant::Co;
    let batch: Vec<_> = (1..=24)
        .map(|h| hv("1828A", p, hour(0, h), f64::from(h) / 10.0))
        .collect();
    s.upsert_hourly(&batch[..12]).await.unwrap();
    s.import_hourly(&batch[12..]).await.unwrap();
    let d = &s.daily(&sc("1828A"), p, DAY, DAY).await.unwrap()[0];
    assert_eq!(
        (d.n_hours, d.n_valid, d.min, d.max),
        (24, 24, Some(0.1), Some(2.4))
    );
    assert!(approx(d.sum, 30.0), "{}", d.sum);
    // Correct the maximum down and the minimum up, in a batch that also adds a new day.
    s.upsert_hourly(&[
        hv("1828A", p, hour(0, 24), 1.0),
        hv("1828A", p, hour(0, 1), 0.5),
        hv("1828A", p, hour(1, 1), 3.0),
    ])
    .await
    .unwrap();
    let d = s
        .daily(&sc("1828A"), p, DAY, DAY.add_days(1))
        .await
        .unwrap();
    assert_eq!(
        (d[0].n_hours, d[0].n_valid, d[0].min, d[0].max),
        (24, 24, Some(0.2), Some(2.3))
    );
    assert!(
        approx(d[0].sum, 30.0 - 2.4 + 1.0 - 0.1 + 0.5),
        "{}",
        d[0].sum
    );
    assert_eq!((d[1].n_valid, d[1].sum), (1, 3.0));
    // Re-import the whole day: nothing changes.
    let before = reading_state(s).await;
    let mut again: Vec<_> = s
        .hourly(&sc("1828A"), p, hour(0, 1), hour(1, 1))
        .await
        .unwrap();
    again.reverse();
    s.import_hourly(&again).await.unwrap();
    assert_eq!(reading_state(s).await, before);
}

fn raw(st: &str, p: Pollutant, ts: Timestamp, value: f64) -> RawReading {
    RawReading {
        station: sc(st),
        pollutant: p,
        ts,
        value,
    }
}

/// Minute readings of a micro-station become hourly values: mean of the valid readings,
/// capture valid/expected, the calibration applied, short hours not validated; the latest value
/// and rollups follow.
pub async fn raw_readings_aggregate_to_hourly_with_capture<S: Store>(s: &S) {
    seed(s).await;
    let p = Pollutant::Pm25;
    let h10 = hour(0, 10);
    let mut readings = Vec::new();
    // Hour 10: 50 minutes of 40.0, one negative (flagged, excluded), 9 minutes missing.
    for m in 0..50 {
        readings.push(raw(
            "JZGX-M01",
            p,
            h10.plus_seconds(-3600 + 60 * (m + 1)),
            40.0,
        ));
    }
    readings.push(raw("JZGX-M01", p, h10.plus_seconds(-60 * 5), -3.0));
    // Hour 11: only 30 minutes of 20.0 and 60.0 alternating (mean 40) — not enough for 45 min.
    for m in 0..30 {
        let v = if m % 2 == 0 { 20.0 } else { 60.0 };
        readings.push(raw("JZGX-M01", p, h10.plus_seconds(60 * (m + 1)), v));
    }
    assert_eq!(s.upsert_raw(&readings, Origin::Mqtt, 60).await.unwrap(), 2);
    let got = s
        .hourly(&sc("JZGX-M01"), p, h10, h10.plus_seconds(3600))
        .await
        .unwrap();
    // Calibration PM2.5: 0.5 · raw + 2.
    assert_eq!(
        got,
        vec![
            HourlyValue {
                station: sc("JZGX-M01"),
                pollutant: p,
                hour: h10,
                raw: Some(40.0),
                corrected: Some(22.0),
                validated: Some(22.0),
                flags: QualityFlags::OK,
                origin: Origin::Mqtt,
                capture: (50, 60),
            },
            HourlyValue {
                station: sc("JZGX-M01"),
                pollutant: p,
                hour: h10.plus_seconds(3600),
                raw: Some(40.0),
                corrected: Some(22.0),
                validated: None,
                flags: QualityFlags::OK,
                origin: Origin::Mqtt,
                capture: (30, 60),
            },
        ]
    );
    let d = s.daily(&sc("JZGX-M01"), p, DAY, DAY).await.unwrap();
    assert_eq!((d[0].n_hours, d[0].n_valid, d[0].sum), (2, 1, 22.0));
    assert_eq!(
        s.latest(&sc("JZGX-M01")).await.unwrap()[0].hour,
        h10.plus_seconds(3600)
    );
    // More minutes of hour 11 arrive: the hour is recomputed from all its readings.
    let more: Vec<_> = (30..60)
        .map(|m| raw("JZGX-M01", p, h10.plus_seconds(60 * (m + 1)), 40.0))
        .collect();
    assert_eq!(s.upsert_raw(&more, Origin::Mqtt, 60).await.unwrap(), 1);
    let h11 = &s
        .hourly(
            &sc("JZGX-M01"),
            p,
            h10.plus_seconds(3600),
            h10.plus_seconds(3600),
        )
        .await
        .unwrap()[0];
    assert_eq!(
        (h11.raw, h11.validated, h11.capture),
        (Some(40.0), Some(22.0), (60, 60))
    );
    let d = s.daily(&sc("JZGX-M01"), p, DAY, DAY).await.unwrap();
    assert_eq!((d[0].n_hours, d[0].n_valid, d[0].sum), (2, 2, 44.0));
    // Only negative readings in an hour: the hour is flagged, with no value.
    s.upsert_raw(
        &[raw("JZGX-M01", Pollutant::Pm10, hour(0, 5), -1.0)],
        Origin::Mqtt,
        300,
    )
    .await
    .unwrap();
    let h = &s
        .hourly(&sc("JZGX-M01"), Pollutant::Pm10, hour(0, 5), hour(0, 5))
        .await
        .unwrap()[0];
    assert_eq!((h.raw, h.validated, h.capture), (None, None, (0, 12)));
    assert!(h.flags.has(QualityFlag::Negative));
}

/// The same readings twice (an MQTT redelivery) change nothing.
pub async fn raw_readings_are_idempotent<S: Store>(s: &S) {
    seed(s).await;
    let readings: Vec<_> = (1..=12)
        .map(|i| {
            raw(
                "JZGX-M01",
                Pollutant::Pm10,
                hour(0, 7).plus_seconds(-3600 + 300 * i),
                50.0 + i as f64,
            )
        })
        .collect();
    s.upsert_raw(&readings, Origin::Mqtt, 300).await.unwrap();
    let once = reading_state(s).await;
    s.upsert_raw(&readings, Origin::Mqtt, 300).await.unwrap();
    s.upsert_raw(&readings[3..5], Origin::Mqtt, 300)
        .await
        .unwrap();
    assert_eq!(reading_state(s).await, once);
    let h = &s
        .hourly(&sc("JZGX-M01"), Pollutant::Pm10, hour(0, 7), hour(0, 7))
        .await
        .unwrap()[0];
    assert_eq!(
        (h.raw, h.corrected, h.capture),
        (Some(56.5), Some(56.5 * 0.8), (12, 12))
    );
    assert_eq!(once.0, 1);
}

/// The data revision moves with every write of hourly values (upsert, import, raw readings)
/// and of regions, stations and targets; reads, other writes and refused batches leave it.
pub async fn data_revision_moves_with_every_data_write<S: Store>(s: &S) {
    let r0 = s.data_revision().await.unwrap();
    seed(s).await; // regions, stations, units and people move it
    let mut last = s.data_revision().await.unwrap();
    assert!(last > r0, "{last} > {r0}");
    let mut moved = async |what: &str| {
        let now = s.data_revision().await.unwrap();
        assert!(now > last, "{what}: {now} > {last}");
        last = now;
    };
    s.upsert_hourly(&[hv("1828A", Pollutant::O3, hour(0, 1), 50.0)])
        .await
        .unwrap();
    moved("upsert_hourly").await;
    s.import_hourly(&[hv("1828A", Pollutant::O3, hour(0, 2), 51.0)])
        .await
        .unwrap();
    moved("import_hourly").await;
    s.upsert_raw(
        &[raw("JZGX-M01", Pollutant::Pm10, hour(0, 7), 40.0)],
        Origin::Mqtt,
        3600,
    )
    .await
    .unwrap();
    moved("upsert_raw").await;
    s.upsert_targets(&[Target {
        year: 2025,
        area: rc("410871"),
        indicator: TargetIndicator::Pm25,
        value: 43.0,
    }])
    .await
    .unwrap();
    moved("upsert_targets").await;
    // Units and people too: every ledger page names them from the per-revision cache.
    let units = s.units().await.unwrap();
    s.upsert_units(&units).await.unwrap();
    moved("upsert_units").await;
    let people = s.people().await.unwrap();
    s.upsert_people(&people).await.unwrap();
    moved("upsert_people").await;
    // Reads and a refused batch leave it where it is.
    let before = s.data_revision().await.unwrap();
    s.latest(&sc("1828A")).await.unwrap();
    s.hourly(&sc("1828A"), Pollutant::O3, hour(0, 1), hour(0, 2))
        .await
        .unwrap();
    assert!(
        s.upsert_hourly(&[hv("9999Z", Pollutant::O3, hour(0, 3), 1.0)])
            .await
            .is_err()
    );
    assert_eq!(s.data_revision().await.unwrap(), before);
}

/// A batch with one value of an unknown station is refused whole, naming the station.
pub async fn hourly_batch_with_unknown_station_fails_whole<S: Store>(s: &S) {
    seed(s).await;
    s.upsert_hourly(&[hv("1828A", Pollutant::O3, hour(0, 1), 50.0)])
        .await
        .unwrap();
    let before = reading_state(s).await;
    let batch = vec![
        hv("1828A", Pollutant::O3, hour(0, 1), 51.0),
        hv("1828A", Pollutant::O3, hour(0, 2), 52.0),
        hv("9999Z", Pollutant::O3, hour(0, 2), 52.0),
    ];
    for r in [s.upsert_hourly(&batch).await, s.import_hourly(&batch).await] {
        let e = r.unwrap_err();
        assert_eq!(
            e,
            StoreError::NotFound {
                entity: "station",
                key: "9999Z".into()
            }
        );
        assert!(e.to_string().contains("9999Z"));
    }
    assert_eq!(reading_state(s).await, before);
}

/// A batch with one value the schema forbids (NaN, infinity, an hour that is not whole, a
/// capture above what was expected) is refused whole.
pub async fn hourly_batch_with_invalid_value_fails_whole<S: Store>(s: &S) {
    seed(s).await;
    s.upsert_hourly(&[hv("1828A", Pollutant::O3, hour(0, 1), 50.0)])
        .await
        .unwrap();
    let before = reading_state(s).await;
    let good = hv("1828A", Pollutant::O3, hour(0, 1), 51.0);
    let mut nan = hv("1828A", Pollutant::O3, hour(0, 2), f64::NAN);
    nan.validated = Some(1.0);
    let mut inf = hv("JZGX-M01", Pollutant::Pm25, hour(0, 2), 1.0);
    inf.corrected = Some(f64::INFINITY);
    let unaligned = hv("1828A", Pollutant::O3, hour(0, 2).plus_seconds(60), 5.0);
    let mut capture = hv("1828A", Pollutant::O3, hour(0, 3), 5.0);
    capture.capture = (61, 60);
    for bad in [nan, inf, unaligned, capture] {
        let batch = vec![good.clone(), bad];
        for r in [s.upsert_hourly(&batch).await, s.import_hourly(&batch).await] {
            let e = r.unwrap_err();
            assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
            assert!(e.to_string().contains("station"), "{e}");
        }
    }
    assert_eq!(reading_state(s).await, before);
}

fn cv(city: &str, item: CityItem, t: Timestamp, value: f64) -> CityValue {
    CityValue {
        city: city.into(),
        hour: t,
        item,
        value,
    }
}

/// Published city values come back per city and item in time order; writing them again
/// changes nothing; a later batch replaces a value; a repeated key in one batch keeps the last.
pub async fn city_values_round_trip_and_reupsert<S: Store>(s: &S) {
    let pm = CityItem::Pollutant(Pollutant::Pm25);
    let batch = vec![
        cv("焦作", pm, hour(0, 2), 61.0),
        cv("焦作", pm, hour(0, 1), 60.0),
        cv("焦作", CityItem::Aqi, hour(0, 1), 82.0),
        cv("郑州", pm, hour(0, 1), 70.0),
    ];
    assert_eq!(s.upsert_city_values(&batch).await.unwrap(), 4);
    assert_eq!(s.upsert_city_values(&batch).await.unwrap(), 4);
    assert_eq!(s.count_city_values().await.unwrap(), 4);
    let got = s
        .city_values("焦作", pm, hour(0, 1), hour(0, 24))
        .await
        .unwrap();
    assert_eq!(got, vec![batch[1].clone(), batch[0].clone()]);
    let aqi = s
        .city_values("焦作", CityItem::Aqi, hour(0, 1), hour(0, 1))
        .await
        .unwrap();
    assert_eq!(aqi, vec![batch[2].clone()]);
    // Out of the span: nothing.
    assert!(
        s.city_values("焦作", pm, hour(1, 1), hour(1, 24))
            .await
            .unwrap()
            .is_empty()
    );
    s.upsert_city_values(&[
        cv("焦作", pm, hour(0, 1), 65.0),
        cv("焦作", pm, hour(0, 1), 66.0),
    ])
    .await
    .unwrap();
    let got = s
        .city_values("焦作", pm, hour(0, 1), hour(0, 1))
        .await
        .unwrap();
    assert_eq!(got[0].value, 66.0);
    assert_eq!(s.count_city_values().await.unwrap(), 4);
}

/// A city batch with one bad value (not finite, negative, not a whole hour, no city name) is
/// refused whole, naming the value; nothing of it is stored.
pub async fn city_batch_with_invalid_value_fails_whole<S: Store>(s: &S) {
    let pm = CityItem::Pollutant(Pollutant::Pm25);
    let good = cv("焦作", pm, hour(0, 1), 60.0);
    for bad in [
        cv("焦作", pm, hour(0, 2), f64::NAN),
        cv("焦作", pm, hour(0, 2), -1.0),
        cv("焦作", pm, hour(0, 2).plus_seconds(60), 1.0),
        cv(" ", pm, hour(0, 2), 1.0),
    ] {
        let e = s
            .upsert_city_values(&[good.clone(), bad])
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
        assert!(e.to_string().contains("city value"), "{e}");
    }
    assert_eq!(s.count_city_values().await.unwrap(), 0);
}

/// A raw batch with a NaN or an unknown station is refused whole; a bad interval too.
pub async fn raw_batch_with_invalid_value_fails_whole<S: Store>(s: &S) {
    seed(s).await;
    let p = Pollutant::Pm25;
    s.upsert_raw(&[raw("JZGX-M01", p, hour(0, 1), 10.0)], Origin::Mqtt, 60)
        .await
        .unwrap();
    let before = reading_state(s).await;
    let good = raw("JZGX-M01", p, hour(0, 1).plus_seconds(-60), 12.0);
    let e = s
        .upsert_raw(
            &[good.clone(), raw("JZGX-M01", p, hour(0, 2), f64::NAN)],
            Origin::Mqtt,
            60,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
    let e = s
        .upsert_raw(
            &[good.clone(), raw("NOPE", p, hour(0, 2), 1.0)],
            Origin::Mqtt,
            60,
        )
        .await
        .unwrap_err();
    assert_eq!(
        e,
        StoreError::NotFound {
            entity: "station",
            key: "NOPE".into()
        }
    );
    let e = s
        .upsert_raw(std::slice::from_ref(&good), Origin::Mqtt, 7)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
    assert_eq!(reading_state(s).await, before);
}

/// Synthetic stations `S0000`.. for bulk tests and benchmarks.
pub fn synthetic_stations(n: usize) -> Vec<Station> {
    (0..n)
        .map(|i| Station {
            code: sc(&format!("S{i:04}")),
            name: format!("合成站{i}"),
            kind: StationKind::National,
            location: None,
            grid: None,
            city: None,
            control: false,
            pollutants: Pollutant::ALL.to_vec(),
            calibrations: vec![],
        })
        .collect()
}

/// Synthetic hourly values of `stations` × six pollutants × `hours` consecutive hours from
/// `first`, in arrival order (hour by hour, as a file import delivers them), about 1 % flagged
/// and 2 % missing (absent). Deterministic.
pub fn synthetic_hourly(stations: &[Station], first: Timestamp, hours: usize) -> Vec<HourlyValue> {
    let mut out = Vec::with_capacity(stations.len() * hours * 6);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for h in 0..hours {
        let t = first.plus_seconds(3600 * h as i64);
        for st in stations {
            for p in Pollutant::ALL {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let r = x % 1000;
                if r < 20 {
                    continue;
                }
                let v = ((x >> 20) % 200_000) as f64 / 1000.0;
                let flags = if r < 30 {
                    QualityFlags::OK.with(QualityFlag::Spike)
                } else {
                    QualityFlags::OK
                };
                out.push(HourlyValue::hourly(
                    st.code.clone(),
                    p,
                    t,
                    v,
                    flags,
                    Origin::File,
                ));
            }
        }
    }
    out
}

/// 50 000 values imported in batches: the count, the values, the latest values and every
/// daily rollup match a recount in Rust; importing again changes nothing.
pub async fn big_import_matches_a_recount<S: Store>(s: &S) {
    let stations = synthetic_stations(40);
    s.upsert_stations(&stations).await.unwrap();
    // Start mid-day, so the first and last days are partial and batches split days.
    let values = synthetic_hourly(&stations, hour(0, 13), 220);
    assert!(values.len() > 50_000, "{}", values.len());
    let half = values.len() / 2;
    for chunk in values[..half].chunks(9_999) {
        s.import_hourly(chunk).await.unwrap();
    }
    s.upsert_hourly(&values[half..]).await.unwrap();
    assert_eq!(s.count_hourly().await.unwrap(), values.len() as u64);
    // Recount.
    use std::collections::BTreeMap;
    // (station, pollutant, day) → (hours, valid, sum, min, max)
    type Recount = BTreeMap<(String, usize, i32), (u8, u8, f64, f64, f64)>;
    let mut days = Recount::new();
    for v in &values {
        let day = crate::backend::day_of_hour(v.hour.0);
        let e = days
            .entry((v.station.to_string(), v.pollutant.index(), day))
            .or_insert((0, 0, 0.0, f64::MAX, f64::MIN));
        e.0 += 1;
        if let Some(x) = v.validated {
            e.1 += 1;
            e.2 += x;
            e.3 = e.3.min(x);
            e.4 = e.4.max(x);
        }
    }
    let (first, last) = (
        crate::backend::day_of_hour(values[0].hour.0),
        crate::backend::day_of_hour(values[values.len() - 1].hour.0),
    );
    let check = async || {
        for st in stations.iter().step_by(7) {
            for p in Pollutant::ALL {
                let got = s
                    .daily(&st.code, p, Date::from_days(first), Date::from_days(last))
                    .await
                    .unwrap();
                let want: Vec<_> = days
                    .range(
                        (st.code.to_string(), p.index(), i32::MIN)
                            ..=(st.code.to_string(), p.index(), i32::MAX),
                    )
                    .collect();
                assert_eq!(got.len(), want.len());
                for (g, ((_, _, day), w)) in got.iter().zip(want) {
                    assert_eq!((g.day.days(), g.n_hours, g.n_valid), (*day, w.0, w.1));
                    assert!(approx(g.sum, w.2), "{} vs {}", g.sum, w.2);
                    if w.1 > 0 {
                        assert_eq!((g.min, g.max), (Some(w.3), Some(w.4)));
                    }
                }
                let series = s
                    .hourly(&st.code, p, values[0].hour, values[values.len() - 1].hour)
                    .await
                    .unwrap();
                let want: Vec<_> = values
                    .iter()
                    .filter(|v| v.station == st.code && v.pollutant == p)
                    .cloned()
                    .collect();
                assert_eq!(series, want);
            }
            let latest = s.latest(&st.code).await.unwrap();
            assert_eq!(latest.len(), 6);
            for l in latest {
                let want = values
                    .iter()
                    .rev()
                    .find(|v| v.station == st.code && v.pollutant == l.pollutant)
                    .unwrap();
                assert_eq!(
                    (l.hour, l.raw, l.validated),
                    (want.hour, want.raw, want.validated)
                );
            }
        }
    };
    check().await;
    // Importing everything again, in other batch boundaries, changes nothing.
    for chunk in values.chunks(20_000) {
        s.import_hourly(chunk).await.unwrap();
    }
    assert_eq!(s.count_hourly().await.unwrap(), values.len() as u64);
    check().await;
}

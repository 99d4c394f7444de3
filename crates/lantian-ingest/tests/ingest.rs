//! Integration tests of the readers on real CNEMC files.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use lantian_aq::{Date, HourStamp};
use lantian_ingest::cnemc::{FileKind, RowType, RowTypes, read_hourly};
use lantian_testkit::{fixture, shared_data};

fn count_values(d: &lantian_ingest::cnemc::HourlyData, t: RowType) -> usize {
    (0..d.columns.len())
        .map(|c| {
            d.series(t, c)
                .unwrap()
                .iter()
                .filter(|v| v.is_finite())
                .count()
        })
        .sum()
}

#[test]
fn henan_fixture_reads_whole() {
    let d = read_hourly(
        &[fixture("cnemc/henan_sites")],
        RowTypes::HOURLY_POLLUTANTS,
        2,
    )
    .unwrap();
    assert_eq!(d.kind, FileKind::Sites);
    assert_eq!(d.columns.len(), 114);
    assert_eq!(d.files.len(), 31);
    // 2025-01-01 00:00 … 2025-01-31 23:00.
    assert_eq!(d.start, HourStamp::new(Date::from_ymd_const(2025, 1, 1), 0));
    assert_eq!(d.hours, 744);
    assert!(!d.has(RowType::Aqi));
    let jz = d.column("1828A").unwrap();
    let pm25 = d.series(RowType::Pm25, jz).unwrap();
    // The first row of china_sites_20250101.csv for 1828A.
    assert!(pm25[0].is_finite());
    let cities = read_hourly(
        &[fixture("cnemc/henan_cities")],
        RowTypes::HOURLY_POLLUTANTS,
        1,
    )
    .unwrap();
    assert_eq!(cities.kind, FileKind::Cities);
    assert!(cities.column("焦作").is_some());
}

/// January 2025, all stations: about 7.1 M values of the six pollutants (issue #3's figure).
#[test]
fn january_national_reads_whole() {
    let Some(dir) = shared_data("cnemc/china_sites") else {
        return;
    };
    let d = read_hourly(&[dir], RowTypes::HOURLY_POLLUTANTS, 2).unwrap();
    assert_eq!(d.columns.len(), 2026);
    assert_eq!(d.hours, 744);
    let total: usize = RowTypes::HOURLY_POLLUTANTS
        .iter()
        .map(|t| count_values(&d, t))
        .sum();
    eprintln!("January 2025: {total} values of the six pollutants");
    assert!((7_000_000..7_300_000).contains(&total), "{total}");
}

#[test]
fn mixing_station_and_city_files_is_refused() {
    let e = read_hourly(
        &[
            fixture("cnemc/henan_sites/china_sites_20250101.csv"),
            fixture("cnemc/henan_cities/china_cities_20250102.csv"),
        ],
        RowTypes::HOURLY_POLLUTANTS,
        1,
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot be mixed"), "{e}");
}

#[test]
fn a_missing_path_is_named() {
    let e = read_hourly(&[fixture("cnemc/nope")], RowTypes::HOURLY_POLLUTANTS, 1).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
}

//! Backend support: the checks, the batch preparation and the arithmetic both backends share,
//! so the SQLite and PostgreSQL stores differ only in SQL. Not for callers of [`crate::Store`].
//!
//! A batch of hourly values becomes a [`PreparedHourly`]: rows checked, normalised (flags win
//! over `validated`), de-duplicated (last wins) and sorted in primary-key order (hour, station,
//! pollutant), plus one [`DayPartial`] per touched (day, station, pollutant) and the newest row
//! per (station, pollutant). The backend writes the rows, merges the partials into the daily
//! rollups and the newest rows into the latest values, in one transaction.
//!
//! Daily rollups are merged, not recomputed, because recomputing them from the hourly table
//! for every batch would read back about as many rows as the batch writes. A rollup keeps the
//! bitmask of the hours it has counted (rows are never deleted, so a counted hour stays):
//! - a partial whose hours include every counted hour (a re-import of whole days) replaces it;
//! - a partial whose hours are all new is added (count, sum, min, max merge exactly);
//! - any other overlap (a correction of some hours) marks the rollup dirty, and the backend
//!   recomputes the dirty rollups from the hourly table before committing.
//!
//! Sums agree with a recomputation up to floating-point rounding (the order of additions
//! differs), not always to the last bit.

use crate::{HourlyValue, StoreError};
use lantian_domain::reading::{Origin, QualityFlags, QualityRules, check_value};
use lantian_domain::station::Calibration;
use lantian_domain::time::SHANGHAI_OFFSET_S;
use lantian_domain::{StationCode, Timestamp};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A fast hasher for the small integer keys of batch preparation (the multiply-rotate of
/// rustc's FxHasher): SipHash costs more than the rest of the per-row work, and these keys
/// come from the store itself, not from an adversary.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_i16(&mut self, n: i16) {
        self.write_u64(n as u64);
    }
    fn write_i32(&mut self, n: i32) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Seconds in an hour.
pub const HOUR_S: i64 = 3600;
/// Seconds in a day.
pub const DAY_S: i64 = 86_400;
/// SQLite's limit on bound parameters in one statement (`SQLITE_MAX_VARIABLE_NUMBER`).
pub const SQLITE_MAX_BINDS: usize = 32_766;

/// The local day (days since 1970-01-01, Asia/Shanghai) an hour ending at `hour_end` belongs
/// to: the hour ending at local midnight is the 24th hour of the day before.
pub const fn day_of_hour(hour_end: i64) -> i32 {
    (hour_end - 1 + SHANGHAI_OFFSET_S).div_euclid(DAY_S) as i32
}

/// Which hour of its day (0 for the hour labelled 01, 23 for the one labelled 24).
pub const fn hour_index(hour_end: i64) -> u32 {
    ((hour_end - 1 + SHANGHAI_OFFSET_S).rem_euclid(DAY_S) / HOUR_S) as u32
}

/// The end instant of the `k`-th hour (0-based) of local `day`.
pub const fn hour_end_of_day(day: i32, k: u32) -> i64 {
    day as i64 * DAY_S - SHANGHAI_OFFSET_S + (k as i64 + 1) * HOUR_S
}

/// The end of the hour containing the instant `ts` (a reading ending at 15:30 or at 16:00
/// belongs to the hour ending at 16:00).
pub const fn hour_containing(ts: i64) -> i64 {
    (ts + HOUR_S - 1).div_euclid(HOUR_S) * HOUR_S
}

/// One hourly value in column form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourRow {
    /// End of the hour, Unix seconds.
    pub ts: i64,
    /// The station's internal id.
    pub station: i32,
    /// [`crate::codec::pollutant_id`].
    pub pollutant: i16,
    /// Raw value.
    pub raw: Option<f64>,
    /// Corrected value.
    pub corrected: Option<f64>,
    /// Validated value (`None` whenever `flags != 0`).
    pub validated: Option<f64>,
    /// [`QualityFlags`] bits.
    pub flags: i16,
    /// [`crate::codec::origin_id`].
    pub origin: i16,
    /// Valid sub-hourly readings.
    pub capture_valid: i32,
    /// Expected sub-hourly readings.
    pub capture_expected: i32,
}

impl HourRow {
    /// The column form of a checked value of the station with id `station`; `validated` is
    /// cleared when there are flags.
    pub fn new(v: &HourlyValue, station: i32) -> Result<HourRow, StoreError> {
        check_hourly(v)?;
        let flags = i16::from(v.flags.0);
        Ok(HourRow {
            ts: v.hour.0,
            station,
            pollutant: crate::codec::pollutant_id(v.pollutant),
            raw: v.raw,
            corrected: v.corrected,
            validated: if flags == 0 { v.validated } else { None },
            flags,
            origin: crate::codec::origin_id(v.origin),
            capture_valid: i32::from(v.capture.0),
            capture_expected: i32::from(v.capture.1),
        })
    }

    /// The primary key (hour, station, pollutant), the order rows are written in.
    pub fn key(&self) -> (i64, i32, i16) {
        (self.ts, self.station, self.pollutant)
    }
}

/// What one batch adds to one daily rollup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayPartial {
    /// Local day, days since 1970-01-01.
    pub day: i32,
    /// Station id.
    pub station: i32,
    /// Pollutant code.
    pub pollutant: i16,
    /// Bit `k` set: the batch has the `k`-th hour of the day ([`hour_index`]).
    pub hours: i32,
    /// Validated values in the batch for that day.
    pub n_valid: i32,
    /// Their sum.
    pub sum: f64,
    /// Their minimum.
    pub min: Option<f64>,
    /// Their maximum.
    pub max: Option<f64>,
}

/// A checked batch of hourly values, ready to write.
#[derive(Debug, Clone, Default)]
pub struct PreparedHourly {
    /// Distinct rows, in (ts, station, pollutant) order.
    pub rows: Vec<HourRow>,
    /// One partial per touched (day, station, pollutant), in that order.
    pub days: Vec<DayPartial>,
    /// The newest row per (station, pollutant), in that order.
    pub latest: Vec<LatestRow>,
}

/// The newest row of one (station, pollutant) in a batch, and the oldest hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatestRow {
    /// End of the oldest hour of the batch for this (station, pollutant).
    pub first_ts: i64,
    /// The newest row.
    pub row: HourRow,
}

/// Refuse a published city value the store will not keep (checked for the whole batch before
/// anything is written): the city named, the hour whole, the value finite and not negative.
pub fn check_city_value(v: &crate::CityValue) -> Result<(), StoreError> {
    let what = || format!("city value {} {:?} at {}", v.city, v.item, v.hour);
    if v.city.trim().is_empty() {
        return Err(StoreError::Invalid(format!("{}: empty city name", what())));
    }
    if v.hour.0.rem_euclid(HOUR_S) != 0 {
        return Err(StoreError::Invalid(format!(
            "{}: the hour does not end on a whole hour",
            what()
        )));
    }
    if !v.value.is_finite() || v.value < 0.0 {
        return Err(StoreError::Invalid(format!(
            "{}: value {} is not a finite non-negative number",
            what(),
            v.value
        )));
    }
    Ok(())
}

/// Refuse a value the store will not keep; the message names the value.
pub fn check_hourly(v: &HourlyValue) -> Result<(), StoreError> {
    let what = || {
        format!(
            "hourly value of station {} {} at {}",
            v.station,
            v.pollutant.code(),
            v.hour
        )
    };
    if v.hour.0.rem_euclid(HOUR_S) != 0 {
        return Err(StoreError::Invalid(format!(
            "{}: the hour does not end on a whole hour",
            what()
        )));
    }
    for (name, x) in [
        ("raw", v.raw),
        ("corrected", v.corrected),
        ("validated", v.validated),
    ] {
        if let Some(x) = x
            && !x.is_finite()
        {
            return Err(StoreError::Invalid(format!(
                "{}: {name} is not a finite number ({x})",
                what()
            )));
        }
    }
    if v.capture.1 == 0 || v.capture.0 > v.capture.1 {
        return Err(StoreError::Invalid(format!(
            "{}: capture {}/{} is not valid/expected with 0 < expected",
            what(),
            v.capture.0,
            v.capture.1
        )));
    }
    Ok(())
}

/// Check, normalise, de-duplicate and sort a batch; `station_id` maps every code of the batch
/// to its id (an unknown code is [`StoreError::NotFound`]).
pub fn prepare_hourly(
    values: &[HourlyValue],
    station_id: impl Fn(&StationCode) -> Option<i32>,
) -> Result<PreparedHourly, StoreError> {
    let rows = prepare_rows(values, station_id)?;
    let mut derived = Derived::new(&rows);
    for r in &rows {
        // Sorted and de-duplicated, so every row is newer than the last of its series.
        let _in_order = derived.add(r);
    }
    let (days, latest) = derived.finish();
    Ok(PreparedHourly { rows, days, latest })
}

/// The first half of [`prepare_hourly`]: the rows, checked, normalised, de-duplicated (last
/// wins) and sorted; a backend may then feed them to [`Derived`] while it writes them.
pub fn prepare_rows(
    values: &[HourlyValue],
    station_id: impl Fn(&StationCode) -> Option<i32>,
) -> Result<Vec<HourRow>, StoreError> {
    let mut rows = Vec::with_capacity(values.len());
    // Values of one station usually come together (its pollutants): look a code up once.
    let mut last: Option<(&StationCode, i32)> = None;
    for v in values {
        let station = match last {
            Some((code, id)) if code == &v.station => id,
            _ => {
                let id = station_id(&v.station).ok_or_else(|| StoreError::NotFound {
                    entity: "station",
                    key: v.station.to_string(),
                })?;
                last = Some((&v.station, id));
                id
            }
        };
        rows.push(HourRow::new(v, station)?);
    }
    // Stable sort, then keep the LAST of equal keys: a batch may repeat a value (an MQTT
    // redelivery inside one flush) and PostgreSQL refuses to upsert one row twice per statement.
    if !rows.is_sorted_by_key(HourRow::key) {
        rows.sort_by_key(HourRow::key);
    }
    rows.dedup_by(|later, kept| {
        if later.key() == kept.key() {
            *kept = *later;
            true
        } else {
            false
        }
    });
    Ok(rows)
}

/// One (station, pollutant) series of a batch while its derived rows are built.
#[derive(Debug)]
struct Series {
    day: i32,
    partial: usize,
    latest: LatestRow,
}

/// The second half of [`prepare_hourly`]: the day partials and latest rows of sorted rows,
/// fed one row at a time in order.
///
/// A series' rows come in time order, so its days do too: a row either adds to the series'
/// current day or opens its next one, and the first and last rows seen are its oldest and
/// newest. Series are found by a dense index when station ids are small (always, in
/// practice), else by a hash map.
#[derive(Debug)]
pub struct Derived {
    dense: bool,
    slot_of: Vec<u32>,
    slot_map: FxMap<(i32, i16), u32>,
    series: Vec<Series>,
    days: Vec<DayPartial>,
}

impl Derived {
    /// Ready for `rows` (only their station ids are looked at here).
    pub fn new(rows: &[HourRow]) -> Derived {
        Derived::with_max_station(rows.iter().map(|r| r.station).max().unwrap_or(0))
    }

    /// Ready for rows whose station ids are at most `max_station`.
    pub fn with_max_station(max_station: i32) -> Derived {
        let dense = (0..=1 << 20).contains(&max_station);
        Derived {
            dense,
            slot_of: if dense {
                vec![u32::MAX; (max_station as usize + 1) * 8]
            } else {
                vec![]
            },
            slot_map: FxMap::default(),
            series: Vec::new(),
            days: Vec::new(),
        }
    }

    /// Account for the next row. Each series' rows must come in strictly increasing time (any
    /// order across series): a row not newer than the last one of its series is refused with
    /// `false` and not counted — the caller then sorts and de-duplicates the batch.
    pub fn add(&mut self, r: &HourRow) -> bool {
        let day = day_of_hour(r.ts);
        let slot = if self.dense {
            &mut self.slot_of[r.station as usize * 8 + (r.pollutant as usize & 7)]
        } else {
            self.slot_map
                .entry((r.station, r.pollutant))
                .or_insert(u32::MAX)
        };
        if *slot == u32::MAX {
            *slot = self.series.len() as u32;
            self.series.push(Series {
                day: i32::MIN,
                partial: 0,
                latest: LatestRow {
                    first_ts: r.ts,
                    row: *r,
                },
            });
        }
        let s = &mut self.series[*slot as usize];
        if s.day != i32::MIN && r.ts <= s.latest.row.ts {
            return false;
        }
        if s.day != day {
            s.day = day;
            s.partial = self.days.len();
            self.days.push(DayPartial {
                day,
                station: r.station,
                pollutant: r.pollutant,
                hours: 0,
                n_valid: 0,
                sum: 0.0,
                min: None,
                max: None,
            });
        }
        s.latest.row = *r;
        let d = &mut self.days[s.partial];
        d.hours |= 1 << hour_index(r.ts);
        if let Some(x) = r.validated {
            d.n_valid += 1;
            d.sum += x;
            d.min = Some(d.min.map_or(x, |m| m.min(x)));
            d.max = Some(d.max.map_or(x, |m| m.max(x)));
        }
        true
    }

    /// The partials in (day, station, pollutant) order and the latest rows in (station,
    /// pollutant) order.
    pub fn finish(self) -> (Vec<DayPartial>, Vec<LatestRow>) {
        let mut days = self.days;
        days.sort_unstable_by_key(|d| (d.day, d.station, d.pollutant));
        let mut latest: Vec<LatestRow> = self.series.into_iter().map(|s| s.latest).collect();
        latest.sort_unstable_by_key(|l| (l.row.station, l.row.pollutant));
        (days, latest)
    }
}

/// Refuse an interval that does not divide the hour.
pub fn check_interval(interval_s: u32) -> Result<(), StoreError> {
    if interval_s == 0 || interval_s > 3600 || 3600 % interval_s != 0 {
        return Err(StoreError::Invalid(format!(
            "raw readings: interval {interval_s} s does not divide the hour"
        )));
    }
    Ok(())
}

/// Refuse a raw reading whose value is not a number (a negative or out-of-range value is
/// kept and flagged; a NaN or infinity is not a measurement).
pub fn check_raw(r: &lantian_domain::reading::RawReading) -> Result<(), StoreError> {
    if !r.value.is_finite() {
        return Err(StoreError::Invalid(format!(
            "raw reading of station {} {} at {}: value is not a finite number ({})",
            r.station,
            r.pollutant.code(),
            r.ts,
            r.value
        )));
    }
    Ok(())
}

/// The hourly value of one hour from the sub-hourly readings stored for it (`values`, each
/// over `interval_s` seconds), with the station's calibration for the pollutant if any:
///
/// - each reading is checked on its own (`check_value`, default [`QualityRules`]); flagged
///   readings are kept in the raw table but not averaged;
/// - `raw` = mean of the valid readings; `capture` = (valid readings, 3600 / interval);
/// - `corrected` = the calibration in force at the hour applied to `raw`;
/// - `validated` = `corrected`, else `raw`, when at least 45 minutes of the hour are covered
///   by valid readings (GB 3095 / HJ 663: an hourly mean needs 45 min of sampling), else `None`;
/// - `flags` = the union of the readings' flags when no reading is valid, else none.
#[allow(clippy::too_many_arguments)] // one value's whole identity; a struct would only rename them
pub fn hour_from_raw(
    station: &StationCode,
    pollutant: lantian_aq::Pollutant,
    hour: Timestamp,
    values: &[f64],
    interval_s: u32,
    calibration: Option<&Calibration>,
    origin: Origin,
) -> HourlyValue {
    let rules = QualityRules::default();
    let expected = (3600 / interval_s.max(1)) as usize;
    let (mut n, mut sum, mut union) = (0usize, 0.0, QualityFlags::OK);
    for &v in values {
        let f = check_value(&rules, pollutant, v);
        if f.is_valid() {
            n += 1;
            sum += v;
        } else {
            union = QualityFlags(union.0 | f.0);
        }
    }
    let n = n.min(expected);
    let raw = (n > 0).then(|| sum / n as f64);
    let flags = if n > 0 { QualityFlags::OK } else { union };
    let corrected = match (raw, calibration) {
        (Some(x), Some(c)) if c.since <= hour => Some(c.apply(x)),
        _ => None,
    };
    let enough = n as u64 * u64::from(interval_s) >= 45 * 60;
    HourlyValue {
        station: station.clone(),
        pollutant,
        hour,
        raw,
        corrected,
        validated: if enough && flags.is_valid() {
            corrected.or(raw)
        } else {
            None
        },
        flags,
        origin,
        capture: (n as u16, expected as u16),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantian_aq::Pollutant;

    #[test]
    fn hours_belong_to_days_labelled_01_to_24() {
        // 2025-01-05 local: days since epoch 20093; local midnight = 2025-01-04T16:00Z.
        let day = 20_093;
        let midnight = i64::from(day) * DAY_S - SHANGHAI_OFFSET_S;
        assert_eq!(day_of_hour(midnight), day - 1); // 24:00 of the day before
        assert_eq!(hour_index(midnight), 23);
        assert_eq!(day_of_hour(midnight + 3600), day); // 01:00
        assert_eq!(hour_index(midnight + 3600), 0);
        assert_eq!(hour_end_of_day(day, 0), midnight + 3600);
        assert_eq!(hour_end_of_day(day, 23), midnight + DAY_S);
        assert_eq!(day_of_hour(hour_end_of_day(day, 23)), day);
        assert_eq!(hour_containing(midnight + 1), midnight + 3600);
        assert_eq!(hour_containing(midnight + 3600), midnight + 3600);
    }

    fn v(st: &str, h: i64, raw: f64) -> HourlyValue {
        HourlyValue::hourly(
            StationCode::parse(st).unwrap(),
            Pollutant::Pm25,
            Timestamp(h * 3600),
            raw,
            QualityFlags::OK,
            Origin::File,
        )
    }

    #[test]
    fn prepare_dedups_last_wins_and_sorts() {
        let batch = vec![
            v("B", 2, 1.0),
            v("A", 1, 2.0),
            v("B", 2, 3.0),
            v("A", 2, 4.0),
        ];
        let p = prepare_hourly(&batch, |c| Some(if c.as_str() == "A" { 1 } else { 2 })).unwrap();
        let got: Vec<_> = p
            .rows
            .iter()
            .map(|r| (r.ts / 3600, r.station, r.raw))
            .collect();
        assert_eq!(
            got,
            vec![(1, 1, Some(2.0)), (2, 1, Some(4.0)), (2, 2, Some(3.0))]
        );
        assert_eq!(p.latest.len(), 2);
        assert_eq!(p.latest[0].row.raw, Some(4.0));
        assert_eq!(p.latest[0].first_ts, 3600);
        let e = prepare_hourly(&batch, |_| None).unwrap_err();
        assert_eq!(e.to_string(), "station \"B\" not found");
    }

    #[test]
    fn hour_from_raw_capture_and_calibration() {
        let st = StationCode::parse("M1").unwrap();
        let mut vals = vec![10.0; 50];
        vals.push(-5.0);
        let cal = Calibration {
            pollutant: Pollutant::Pm25,
            slope: 2.0,
            offset: 1.0,
            since: Timestamp(0),
        };
        let h = hour_from_raw(
            &st,
            Pollutant::Pm25,
            Timestamp(7200),
            &vals,
            60,
            Some(&cal),
            Origin::Mqtt,
        );
        assert_eq!(h.capture, (50, 60));
        assert_eq!(h.raw, Some(10.0));
        assert_eq!(h.corrected, Some(21.0));
        assert_eq!(h.validated, Some(21.0));
        let few = hour_from_raw(
            &st,
            Pollutant::Pm25,
            Timestamp(7200),
            &vals[..44],
            60,
            None,
            Origin::Mqtt,
        );
        assert_eq!(
            (few.raw, few.validated, few.capture),
            (Some(10.0), None, (44, 60))
        );
        let bad = hour_from_raw(
            &st,
            Pollutant::Pm25,
            Timestamp(7200),
            &[-1.0],
            3600,
            None,
            Origin::Mqtt,
        );
        assert!(!bad.flags.is_valid());
        assert_eq!((bad.raw, bad.validated, bad.capture), (None, None, (0, 1)));
    }
}

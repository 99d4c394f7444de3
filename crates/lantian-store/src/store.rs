//! The [`Store`] trait: every method a backend provides, grouped by concern.

use crate::{CityItem, CityValue, DailyRollup, HourlyValue, LatestValue, SourceFilter, StoreError};
use lantian_aq::{Date, Pollutant};
use lantian_domain::org::{Person, Unit};
use lantian_domain::reading::{Origin, RawReading};
use lantian_domain::region::{Region, Responsibility};
use lantian_domain::source::Source;
use lantian_domain::station::Station;
use lantian_domain::target::Target;
use lantian_domain::{StationCode, Timestamp};
use std::future::Future;

/// Lantian's persistence: regions, organisation, stations, sources, targets and readings.
///
/// Every write is one transaction (see the crate invariant). Upserts are keyed by the entity's
/// code or id and replace the whole row, so writing the same batch twice changes nothing.
/// References must exist before they are used: regions (parents may come in the same batch),
/// then units, people, stations and sources, then responsibilities and targets; a batch with a
/// dangling reference fails with [`StoreError::Conflict`].
pub trait Store: Send + Sync {
    // ---- regions -------------------------------------------------------------------------

    /// Insert or replace regions (keyed by code); the area is kept as GeoJSON. Parents may be
    /// anywhere in the batch or already stored.
    fn upsert_regions(
        &self,
        regions: &[Region],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// All regions, parents before children (by level, then code), so the result can be given
    /// to `RegionTree::new` as it is.
    fn regions(&self) -> impl Future<Output = Result<Vec<Region>, StoreError>> + Send;

    /// Record duties of people for regions (a set: writing one twice keeps one).
    fn upsert_responsibilities(
        &self,
        responsibilities: &[Responsibility],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// All duties, ordered by region, person, duty.
    fn responsibilities(
        &self,
    ) -> impl Future<Output = Result<Vec<Responsibility>, StoreError>> + Send;

    // ---- organisation --------------------------------------------------------------------

    /// Insert or replace responsible units (keyed by code).
    fn upsert_units(&self, units: &[Unit]) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// All units, by code.
    fn units(&self) -> impl Future<Output = Result<Vec<Unit>, StoreError>> + Send;

    /// Insert or replace people (keyed by id); their unit must exist.
    fn upsert_people(
        &self,
        people: &[Person],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// All people, by id.
    fn people(&self) -> impl Future<Output = Result<Vec<Person>, StoreError>> + Send;

    // ---- stations ------------------------------------------------------------------------

    /// Insert or replace stations (keyed by code), with their calibrations (the batch's list
    /// replaces the stored one). A station keeps its internal numeric id across upserts.
    fn upsert_stations(
        &self,
        stations: &[Station],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// All stations, by code.
    fn stations(&self) -> impl Future<Output = Result<Vec<Station>, StoreError>> + Send;

    /// One station.
    fn station(
        &self,
        code: &StationCode,
    ) -> impl Future<Output = Result<Option<Station>, StoreError>> + Send;

    // ---- sources -------------------------------------------------------------------------

    /// Insert or replace sources (keyed by id).
    fn upsert_sources(
        &self,
        sources: &[Source],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The sources matching `filter`, by id.
    fn sources(
        &self,
        filter: &SourceFilter,
    ) -> impl Future<Output = Result<Vec<Source>, StoreError>> + Send;

    // ---- targets -------------------------------------------------------------------------

    /// Insert or replace targets (keyed by year, area, indicator).
    fn upsert_targets(
        &self,
        targets: &[Target],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The targets of one year, by area then indicator code.
    fn targets(&self, year: i32) -> impl Future<Output = Result<Vec<Target>, StoreError>> + Send;

    // ---- readings ------------------------------------------------------------------------

    /// Insert or replace hourly values (keyed by station, pollutant, hour), and in the same
    /// transaction update the latest value per station and pollutant (never backwards) and
    /// the daily rollups of every day the batch touches. A value appearing twice in the batch:
    /// the last one wins. Returns the number of distinct values written.
    fn upsert_hourly(
        &self,
        values: &[HourlyValue],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The same contract as [`Store::upsert_hourly`], on the backend's fastest path for file
    /// imports (PostgreSQL: `COPY`). Each call is one transaction, so an interrupted import
    /// loses at most the batch in flight and re-running it is idempotent.
    ///
    /// Batch size decides speed: every call also writes one rollup partial per touched (station,
    /// pollutant, day) and one latest value per series, so pass whole days at least (a CNEMC daily
    /// file, ~230 000 values), better a week or the whole import if memory allows (~150 B per value
    /// in flight). Measured on 2 M synthetic values (2 000 stations): SQLite 0.66 / 0.90–1.0 /
    /// 1.26–1.44 M values/s and PostgreSQL 0.17 / 0.25–0.30 / 0.39–0.44 M values/s for batches of
    /// 100 000 / one day / everything. Batches that start at the hour labelled 01 of a day also
    /// make a re-import cheap (a batch holding every hour of a day replaces its rollup instead of
    /// recomputing it from the hourly table). Values in time order per station and pollutant,
    /// without repeats, take the streaming path on SQLite; any order is correct.
    fn import_hourly(
        &self,
        values: &[HourlyValue],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Store sub-hourly readings measured over `interval_s` seconds (a divisor of 3600), each
    /// keyed by (station, pollutant, end instant, interval), and recompute the hourly values
    /// of the hours they fall in from all stored readings of that interval
    /// ([`crate::backend::hour_from_raw`]), all in one transaction. Returns the number of hourly
    /// values recomputed.
    fn upsert_raw(
        &self,
        readings: &[RawReading],
        origin: Origin,
        interval_s: u32,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The hourly values of one station and pollutant whose hour ends in `from..=to`, in time
    /// order.
    fn hourly(
        &self,
        station: &StationCode,
        pollutant: Pollutant,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<HourlyValue>, StoreError>> + Send;

    /// The latest value of each pollutant of a station, in pollutant order.
    fn latest(
        &self,
        station: &StationCode,
    ) -> impl Future<Output = Result<Vec<LatestValue>, StoreError>> + Send;

    /// The daily rollups of one station and pollutant for the local days `from..=to`, in day
    /// order (days without any stored hour are absent).
    fn daily(
        &self,
        station: &StationCode,
        pollutant: Pollutant,
        from: Date,
        to: Date,
    ) -> impl Future<Output = Result<Vec<DailyRollup>, StoreError>> + Send;

    /// How many hourly values are stored.
    fn count_hourly(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The data revision: a counter that every write of hourly values (`upsert_hourly`,
    /// `import_hourly`, `upsert_raw`) and of regions, stations and targets increases inside its
    /// own transaction, so it becomes visible together with the data. While it is unchanged,
    /// none of those changed: figures computed from them (a year of daily records, the
    /// overview) may be cached keyed by it. Read it BEFORE reading the data a cached figure is
    /// computed from, so the figure is never older than the revision it is stored under.
    fn data_revision(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    // ---- published city values -----------------------------------------------------------

    /// Insert or replace values CNEMC published for cities (keyed by city, item, hour), in one
    /// transaction; a value that is not finite or an hour that is not whole fails the whole
    /// batch with [`StoreError::Invalid`]. Returns the number of values in the batch.
    fn upsert_city_values(
        &self,
        values: &[CityValue],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The published values of one city and item whose hour ends in `from..=to`, in time order.
    fn city_values(
        &self,
        city: &str,
        item: CityItem,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<CityValue>, StoreError>> + Send;

    /// How many published city values are stored.
    fn count_city_values(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

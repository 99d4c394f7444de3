//! `lantian-store` — what Lantian keeps, behind one trait ([`Store`]), with no database code:
//! the SQLite backend (`lantian-store-sqlite`, the default: one file) and the PostgreSQL
//! backend (`lantian-store-postgres`, a URL) implement it, and both pass one conformance suite
//! (module `conformance`, cargo feature `conformance`).
//!
//! # Invariant
//! Every write method is one transaction: a batch is applied whole or not at all, and a batch
//! that fails leaves the store exactly as it was. Writing hourly values keeps the derived
//! tables — the latest value per station and pollutant, and the daily rollups — up to date in
//! that same transaction, so readers never compute them per request and never see them out of
//! step with the hourly values (issue #3, "kept up to date on write").
//!
//! The problem ledger and the audit log ([`ledger::LedgerStore`], a trait of its own) add: a
//! problem's row changes only through `apply`, which runs the domain's one transition function
//! and writes the row and its log entry in one transaction (optimistically: the row's `seq` must
//! still be the one read); the log is append-only and hash-chained, and every record carries the
//! hash of the entry that last wrote it, so `ledger::verify` names the first entry or record that
//! was edited, deleted or reordered behind the store's back.
//!
//! Enforcement cases and accountability records ([`records::RecordStore`]) are record kinds of
//! the same log: a case is filed and moved only through the domain's `file`/one `transition`,
//! an accountability record only through `AccountabilityRecord::new` with existing problems, each
//! write one transaction with its entry; a refusal writes nothing.
//!
//! Inspection plans and records ([`inspections::InspectionStore`]) are two more record kinds:
//! plans made and dispatched only through the domain (a sealed 四不两直 list is never stored,
//! only its hash), records filed only after the domain's checks, with the problems their
//! findings raise written in the same transaction.
//!
//! # Conventions shared by the backends
//! - Instants are `BIGINT` Unix seconds ([`Timestamp`]); an hourly value is keyed by the END of
//!   its hour, which must be a whole hour (`hour % 3600 == 0`).
//! - Day `D` (Asia/Shanghai) is made of the hours labelled 01..24, i.e. the hours ending in
//!   `(D 00:00, D+1 00:00]` local time: [`backend::day_of_hour`]. Days are stored as days since
//!   1970-01-01 ([`lantian_aq::Date::days`]).
//! - `validated` is what enters aggregates. A value with any quality flag is stored with
//!   `validated = NULL` whatever the caller passed: flags win (the schema checks it too).
//! - Pollutants, origins and flags are stored as small integers ([`codec`]); enums of the
//!   domain as their stable `code()` text.
//!
//!
//! # Schema (both backends; `migrations/` of each backend crate)
//! - `regions`, `units`, `people`, `responsibilities`, `stations` (integer `id` + unique `code`),
//!   `calibrations`, `sources`, `targets`: keyed by their codes; references checked at commit.
//! - `hourly (ts, station, pollutant)` — raw, corrected, validated, flags, origin, capture —
//!   key in arrival order; reads of one series probe the key hour by hour.
//! - `latest_value (station, pollutant)` — the newest hour and its values, and the oldest hour.
//! - `daily_rollup (day, station, pollutant)` — hours present (bit mask), n valid, sum, min,
//!   max, and a `dirty` flag that is only ever set inside a write transaction.
//! - `raw_readings (station, pollutant, interval_s, ts)` — sub-hourly readings.
//! - `city_hourly (city, item, ts)` — values CNEMC published for cities (`china_cities` files),
//!   kept for comparison with what Lantian computes from the stations, never mixed into them.
//! - `cases`, `accountability` — record kinds of the log ([`records`]): body, derived columns,
//!   `log_seq`/`log_hash`.
//! - `inspection_plans`, `inspection_records` — record kinds of the log ([`inspections`]):
//!   body, derived columns (campaign, mode, target units and grids framed `|a|`, plan, time),
//!   `log_seq`/`log_hash`. A sealed plan's body holds the seal only, never the list.
//! - `users`, `sessions` — accounts ([`accounts`], trait [`AccountStore`]): argon2id PHC
//!   hashes and SHA-256 hashes of tokens, never a password or a token.
//!
//! # Decisions beyond the design brief
//! - Rollups are merged from Rust-computed partials (replace / add / recompute, see [`backend`])
//!   rather than recomputed with `INSERT … SELECT … GROUP BY` per batch: the recomputation read
//!   back whole days and cost more than the insert itself.
//! - [`Store::upsert_raw`] computes hours in Rust ([`backend::hour_from_raw`]): the calibration
//!   in force is applied (`corrected`), and an hour is validated only with 45 minutes of valid
//!   readings (GB 3095 / HJ 663); readings failing the sign/range checks are kept raw but not
//!   averaged.
//! - `hourly.station` has no foreign key: codes are resolved to ids before any write, and an
//!   unknown code fails the whole batch with [`StoreError::NotFound`].
//! - Areas are stored as GeoJSON geometry text (serde_json with `float_roundtrip`, so they read
//!   back bit for bit).
//!
//! [`Timestamp`]: lantian_domain::Timestamp

pub mod accounts;
pub mod backend;
pub mod codec;
#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(feature = "conformance")]
pub mod conformance_inspections;
#[cfg(feature = "conformance")]
pub mod conformance_ledger;
#[cfg(feature = "conformance")]
pub mod conformance_records;
mod error;
pub mod inspections;
pub mod ledger;
mod model;
pub mod records;
pub mod rows;
mod store;

pub use accounts::AccountStore;
pub use error::StoreError;
pub use inspections::InspectionStore;
pub use model::{CityItem, CityValue, DailyRollup, HourlyValue, LatestValue, SourceFilter};
pub use records::RecordStore;
pub use store::Store;

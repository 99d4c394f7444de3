//! `lantian-ingest` — readers for the data Lantian takes in.
//!
//! So far: the CNEMC wide hourly files (`china_sites_*.csv`, `china_cities_*.csv`), the CNEMC
//! station list (站点列表), and the city → province table. Later: GeoJSON grids, HTTP batches,
//! MQTT and HJ 212.
//!
//! # Invariant
//! A reader either returns everything a file holds or an error naming the file, the line and
//! the column (or field) that is wrong; it never returns part of a bad file. Reading has no
//! side effects beyond reading the named files.

pub mod cnemc;
pub mod error;
pub mod places;

pub use error::{ReadError, ReadErrorKind};

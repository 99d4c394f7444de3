//! `lantian-ingest` — readers for the data Lantian takes in.
//!
//! The CNEMC wide hourly files (`china_sites_*.csv`, `china_cities_*.csv`), the CNEMC station
//! list (站点列表) and the city → province table; GeoJSON region trees (`geojson`); the source
//! registry (`sources`); micro-station readings over MQTT (`mqtt`). Later: HTTP batches and HJ
//! 212.
//!
//! # Invariant
//! A reader either returns everything a file holds or an error naming the file, the line and
//! the column (or field) that is wrong; it never returns part of a bad file. Reading has no
//! side effects beyond reading the named files.

pub mod cnemc;
pub mod error;
pub mod geojson;
pub mod mqtt;
pub mod places;
pub mod sources;

pub use error::{ReadError, ReadErrorKind};

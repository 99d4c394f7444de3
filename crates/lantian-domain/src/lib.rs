//! `lantian-domain` — the district Lantian works for: its regions and grids (网格), the units and
//! people responsible, its monitoring stations and their readings, its pollution sources and its
//! targets.
//!
//! # Invariant
//! Pure: no I/O, no async, no clock. Time comes in as a value ([`time::Timestamp`]) or through
//! the [`time::Clock`] trait; the binary supplies the wall clock, tests supply a fixed one.
//! Every identifier is a newtype with a parse constructor, so a value that exists is valid
//! ("parse, don't validate").

pub mod calendar;
pub mod coverage;
pub mod geo;
pub mod ids;
pub mod ledger;
pub mod org;
pub mod reading;
pub mod region;
pub mod source;
pub mod station;
pub mod target;
pub mod time;

pub use ids::{PersonId, RegionCode, SourceId, StationCode, UnitCode};
pub use time::{Clock, FixedClock, Timestamp};

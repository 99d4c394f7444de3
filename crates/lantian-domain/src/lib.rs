//! `lantian-domain` — the district Lantian works for: its regions and grids (网格), the units and
//! people responsible, its monitoring stations and their readings, its pollution sources and its
//! targets — and the closed loop run on them: campaigns (专项行动) as configuration, inspections,
//! the problem ledger, enforcement cases, accountability records and scorecard figures.
//!
//! # Invariant
//! Pure: no I/O, no async, no clock, no randomness. Time comes in as a value
//! ([`time::Timestamp`]) or through the [`time::Clock`] trait; the binary supplies the wall clock,
//! tests supply a fixed one; nonces for sealed lists come from the caller. Data files (holiday
//! calendar, campaign templates) are embedded with `include_str!` and checked by tests.
//! Every identifier is a newtype with a parse constructor, so a value that exists is valid
//! ("parse, don't validate"). Every state (problem, enforcement case) changes through ONE
//! transition function that checks role and rules and returns the event for the log; an
//! inspector never inspects or verifies their own unit's work.

pub mod accountability;
pub mod calendar;
pub mod campaign;
pub mod coverage;
pub mod enforcement;
pub mod geo;
pub mod hash;
pub mod ids;
pub mod inspection;
pub mod ledger;
pub mod org;
pub mod reading;
pub mod region;
pub mod scorecard;
pub mod source;
pub mod station;
pub mod target;
pub mod time;

pub use hash::ContentHash;
pub use ids::{PersonId, RegionCode, SourceId, StationCode, UnitCode};
pub use time::{Clock, FixedClock, Timestamp};

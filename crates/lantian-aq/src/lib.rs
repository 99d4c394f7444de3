//! `lantian-aq` — the air-quality science of Lantian.
//!
//! Every number an official compares with the Ministry's is computed here: HJ 633 IAQI/AQI,
//! HJ 663 validity and statistics, GB 3095 limits and attainment, the composite index
//! (综合指数), good-day ratio, rankings and the target arithmetic (年剩余日控制值).
//!
//! # Invariant
//! Pure: no I/O, no async, no clock, no global state. Functions never panic on data; a value
//! that cannot be computed comes back as `None` together with its data capture and quality
//! flags. Both rule sets (HJ 633—2012 / HJ 663—2013 / GB 3095—2012 and the 2026 versions) are
//! implemented; [`RuleSet::for_date`] chooses by the date of the data, callers may pin one.

pub mod aqi;
pub mod assess;
pub mod composite;
pub mod gb3095;
pub mod hj663;
pub mod pollutant;
pub mod quality;
pub mod round;
pub mod rules;
pub mod targets;
pub mod time;

pub use aqi::{Aqi, Iaqi, IaqiTable, Level};
pub use pollutant::Pollutant;
pub use quality::{Capture, Flag, Flags};
pub use rules::{Gb3095Phase, RuleSet};
pub use time::{Date, HourStamp};

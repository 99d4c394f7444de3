//! Instants and the clock.
//!
//! Instants are UTC seconds since the Unix epoch (the storage format on both backends).
//! Asia/Shanghai is UTC+8 with no daylight saving since 1991, so local civil time is a fixed
//! offset and needs no time-zone database.

use lantian_aq::{Date, HourStamp};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds east of UTC of Asia/Shanghai.
pub const SHANGHAI_OFFSET_S: i64 = 8 * 3600;

/// An instant: UTC seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The instant at which the hour labelled `h` (Asia/Shanghai, end-of-hour label) ends.
    pub fn from_hour_stamp(h: HourStamp) -> Timestamp {
        Timestamp(h.hours() * 3600 - SHANGHAI_OFFSET_S)
    }

    /// The Asia/Shanghai hour label of the hour ending at or after this instant (an instant
    /// inside 15:00–16:00 belongs to the hour labelled 16:00).
    pub fn hour_label(self) -> HourStamp {
        let local = self.0 + SHANGHAI_OFFSET_S;
        HourStamp::from_hours((local + 3599).div_euclid(3600))
    }

    /// The Asia/Shanghai civil date of this instant.
    pub fn local_date(self) -> Date {
        Date::from_days((self.0 + SHANGHAI_OFFSET_S).div_euclid(86_400) as i32)
    }

    /// Seconds since local midnight (Asia/Shanghai).
    pub fn local_seconds_of_day(self) -> u32 {
        (self.0 + SHANGHAI_OFFSET_S).rem_euclid(86_400) as u32
    }

    /// `s` seconds later.
    pub fn plus_seconds(self, s: i64) -> Timestamp {
        Timestamp(self.0 + s)
    }

    /// Parse RFC 3339 with an explicit offset (`2025-01-05T16:00:00+08:00`, `…Z`), or a plain
    /// integer of Unix seconds.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Some(Timestamp(n));
        }
        let b = s.as_bytes();
        if b.len() < 20 || b[10] != b'T' && b[10] != b' ' {
            return None;
        }
        let date = Date::parse(&s[..10])?;
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
        let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if b[13] != b':' || b[16] != b':' || h > 23 || m > 59 || sec > 60 {
            return None;
        }
        let mut rest = &s[19..];
        if let Some(r) = rest.strip_prefix('.') {
            rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        let offset = match rest {
            "Z" | "z" => 0,
            r if r.len() == 6 && (r.starts_with('+') || r.starts_with('-')) && &r[3..4] == ":" => {
                let oh: i64 = r[1..3].parse().ok()?;
                let om: i64 = r[4..6].parse().ok()?;
                let o = oh * 3600 + om * 60;
                if r.starts_with('-') { -o } else { o }
            }
            _ => return None,
        };
        Some(Timestamp(
            i64::from(date.days()) * 86_400 + h * 3600 + m * 60 + sec - offset,
        ))
    }
}

impl std::fmt::Display for Timestamp {
    /// RFC 3339 in Asia/Shanghai time.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.local_date();
        let s = self.local_seconds_of_day();
        write!(
            f,
            "{d}T{:02}:{:02}:{:02}+08:00",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

/// Where "now" comes from. The domain never reads the wall clock; the binary passes a
/// system clock, tests a [`FixedClock`].
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// A clock that says what it is told: for tests and for replaying history.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock stopped at `t`.
    pub fn at(t: Timestamp) -> FixedClock {
        FixedClock(AtomicI64::new(t.0))
    }

    /// Move it to `t`.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
    }

    /// Move it forward by `s` seconds.
    pub fn advance(&self, s: i64) {
        self.0.fetch_add(s, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_labels_are_hour_ends_in_shanghai() {
        let t = Timestamp::parse("2025-01-05T16:00:00+08:00").unwrap();
        assert_eq!(t, Timestamp::parse("2025-01-05T08:00:00Z").unwrap());
        let label = HourStamp::new(Date::from_ymd_const(2025, 1, 5), 16);
        assert_eq!(t.hour_label(), label);
        assert_eq!(Timestamp::from_hour_stamp(label), t);
        // 15:30 belongs to the hour labelled 16:00.
        assert_eq!(t.plus_seconds(-1800).hour_label(), label);
        assert_eq!(t.plus_seconds(1).hour_label(), label.add_hours(1));
        assert_eq!(t.to_string(), "2025-01-05T16:00:00+08:00");
        assert_eq!(
            Timestamp::parse("1736064000"),
            Some(Timestamp(1_736_064_000))
        );
        assert_eq!(Timestamp::parse("2025-01-05 16:00:00.5+08:00"), Some(t));
        assert_eq!(Timestamp::parse("2025-01-05T16:00:00"), None);
        assert_eq!(Timestamp::parse("2025-02-30T16:00:00Z"), None);
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let c = FixedClock::at(Timestamp(100));
        assert_eq!(c.now(), Timestamp(100));
        c.advance(50);
        assert_eq!(c.now(), Timestamp(150));
    }
}

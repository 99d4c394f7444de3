//! Civil dates and hour labels, without a clock.
//!
//! Everything here is local civil time (Asia/Shanghai, UTC+8 with no DST since 1991), which is
//! how CNEMC labels its data. An hourly value is labelled by the END of its hour: the value
//! labelled 16:00 is the mean over 15:00–16:00 (STANDARDS.md §2.2, CNEMC's publication note).
//! Day D is therefore made of the hours labelled 01:00 … 24:00 of D, where 24:00 of D is
//! 00:00 of D+1 (GB 3095—2026 §3.10 "自然日").

use serde::{Serialize, Serializer};
use std::fmt;

/// A civil date, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(i32);

impl Date {
    /// Build from year, month, day; `None` if the date does not exist.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || !(1..=9999).contains(&y) {
            return None;
        }
        Some(Date::from_ymd_const(y, m, d))
    }

    /// Build from a date known to be valid (for constants). An invalid date gives a wrong but
    /// harmless day number; use [`Date::from_ymd`] for data.
    pub const fn from_ymd_const(y: i32, m: u32, d: u32) -> Date {
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = (y - era * 400) as i64;
        let mp = (m as i64 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Date((era as i64 * 146_097 + doe - 719_468) as i32)
    }

    /// Days since 1970-01-01.
    pub const fn days(self) -> i32 {
        self.0
    }

    /// From days since 1970-01-01.
    pub const fn from_days(days: i32) -> Date {
        Date(days)
    }

    /// (year, month, day).
    pub const fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 as i64 + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
    }

    /// Year.
    pub const fn year(self) -> i32 {
        self.ymd().0
    }

    /// Month 1..=12.
    pub const fn month(self) -> u32 {
        self.ymd().1
    }

    /// The day after.
    pub const fn succ(self) -> Date {
        Date(self.0 + 1)
    }

    /// `n` days later (or earlier when negative).
    pub const fn add_days(self, n: i32) -> Date {
        Date(self.0 + n)
    }

    /// Day of week, Monday = 1 … Sunday = 7.
    pub const fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (4).
        ((self.0 as i64 + 3).rem_euclid(7) + 1) as u32
    }

    /// Parse `YYYYMMDD` or `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if s.len() == 10 && (s.as_bytes()[4] != b'-' || s.as_bytes()[7] != b'-') {
            return None;
        }
        if s.len() != 8 && s.len() != 10 {
            return None;
        }
        let y = digits[0..4].parse().ok()?;
        let m = digits[4..6].parse().ok()?;
        let d = digits[6..8].parse().ok()?;
        Date::from_ymd(y, m, d)
    }

    /// The first day of this date's month.
    pub fn first_of_month(self) -> Date {
        let (y, m, _) = self.ymd();
        Date::from_ymd_const(y, m, 1)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a date: {s:?}")))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Whether `y` is a Gregorian leap year.
pub const fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1..=12) of year `y`; 0 for an invalid month.
pub const fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
        _ => 0,
    }
}

/// Days in year `y`.
pub const fn days_in_year(y: i32) -> u32 {
    if is_leap(y) { 366 } else { 365 }
}

/// An hour, labelled by its END, as hours since 1970-01-01 00:00 local time.
///
/// `HourStamp::new(d, 16)` is the hour 15:00–16:00 of `d`; `HourStamp::new(d, 24)` equals
/// `HourStamp::new(d.succ(), 0)` and belongs to day `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HourStamp(i64);

impl HourStamp {
    /// The hour ending at `hour`:00 (0..=24) of `date`.
    pub const fn new(date: Date, hour: u32) -> HourStamp {
        HourStamp(date.0 as i64 * 24 + hour as i64)
    }

    /// Hours since the epoch label.
    pub const fn hours(self) -> i64 {
        self.0
    }

    /// From hours since the epoch label.
    pub const fn from_hours(h: i64) -> HourStamp {
        HourStamp(h)
    }

    /// The natural day this hour belongs to (hours 01..24 make day D).
    pub const fn day(self) -> Date {
        Date((self.0 - 1).div_euclid(24) as i32)
    }

    /// The label within its day, 1..=24.
    pub const fn hour_of_day(self) -> u32 {
        ((self.0 - 1).rem_euclid(24) + 1) as u32
    }

    /// The calendar date and clock hour 0..=23 as printed in files (24:00 prints as 00:00 of the
    /// next day).
    pub const fn calendar(self) -> (Date, u32) {
        (
            Date(self.0.div_euclid(24) as i32),
            self.0.rem_euclid(24) as u32,
        )
    }

    /// The hour `n` hours later.
    pub const fn add_hours(self, n: i64) -> HourStamp {
        HourStamp(self.0 + n)
    }
}

impl fmt::Display for HourStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, h) = self.calendar();
        write!(f, "{d} {h:02}:00")
    }
}

impl Serialize for HourStamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_roundtrip() {
        for days in -719_162..800_000 {
            let d = Date::from_days(days);
            let (y, m, dd) = d.ymd();
            assert_eq!(Date::from_ymd(y, m, dd), Some(d), "{days}");
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(Date::from_ymd_const(1970, 1, 1).days(), 0);
        assert_eq!(
            Date::parse("20250101").map(|d| d.to_string()),
            Some("2025-01-01".into())
        );
        assert_eq!(
            Date::parse("2026-03-01"),
            Some(Date::from_ymd_const(2026, 3, 1))
        );
        assert_eq!(Date::parse("20250230"), None);
        assert_eq!(Date::parse("2025-1-01"), None);
        assert_eq!(Date::from_ymd_const(2025, 1, 1).weekday(), 3);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_year(2100), 365);
    }

    #[test]
    fn hour_labels_end_of_hour() {
        let d = Date::from_ymd_const(2025, 1, 1);
        let h24 = HourStamp::new(d, 24);
        assert_eq!(h24, HourStamp::new(d.succ(), 0));
        assert_eq!(h24.day(), d);
        assert_eq!(h24.hour_of_day(), 24);
        assert_eq!(HourStamp::new(d, 0).day(), d.add_days(-1));
        assert_eq!(HourStamp::new(d, 1).hour_of_day(), 1);
        assert_eq!(h24.to_string(), "2025-01-02 00:00");
    }
}

//! The working-day calendar (工作日): Chinese public holidays and make-up working days.
//!
//! Rule (data/calendar/README.md): a date is a working day if it is Monday–Friday and not
//! listed as a holiday, or if it is listed as a make-up working day (调休上班). The State
//! Council's notices for 2025 and 2026 are embedded (`data/cn_holidays.csv`, checked against
//! two independent machine-readable sources); more years are added with [`Calendar::parse`]
//! and [`Calendar::merge`]. A date outside the covered years follows the ordinary week, and
//! [`Calendar::covers`] says whether it is covered.

use lantian_aq::Date;
use std::collections::BTreeMap;

const EMBEDDED: &str = include_str!("../data/cn_holidays.csv");

/// What the notices say about a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// A day off inside a holiday period (放假).
    Holiday,
    /// A weekend day that is a working day (调休上班).
    MakeUpWorkday,
}

/// A working-day calendar.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: BTreeMap<Date, (DayKind, String)>,
    years: Vec<i32>,
}

/// A bad line in a calendar file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("calendar line {line}: {why}")]
pub struct CalendarError {
    /// 1-based line.
    pub line: usize,
    /// Why.
    pub why: String,
}

impl Calendar {
    /// The embedded 2025–2026 calendar.
    pub fn china() -> Calendar {
        // The embedded file is checked by a test.
        Calendar::parse(EMBEDDED).unwrap_or_default()
    }

    /// Parse `date,kind,name` lines (kind `holiday` or `workday`). The years covered are the
    /// years that appear in the file.
    pub fn parse(text: &str) -> Result<Calendar, CalendarError> {
        let mut cal = Calendar::default();
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let err = |why: String| CalendarError { line: i + 1, why };
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 2 {
                return Err(err(format!("expected date,kind,name, found {line:?}")));
            }
            let d = Date::parse(f[0]).ok_or_else(|| err(format!("bad date {:?}", f[0])))?;
            let kind = match f[1].trim() {
                "holiday" => DayKind::Holiday,
                "workday" => DayKind::MakeUpWorkday,
                k => return Err(err(format!("kind must be holiday or workday, found {k:?}"))),
            };
            cal.days
                .insert(d, (kind, f.get(2).unwrap_or(&"").trim().to_owned()));
            if !cal.years.contains(&d.year()) {
                cal.years.push(d.year());
            }
        }
        cal.years.sort_unstable();
        Ok(cal)
    }

    /// Add another calendar's dates (a later notice wins).
    pub fn merge(&mut self, other: Calendar) {
        self.days.extend(other.days);
        self.years.extend(other.years);
        self.years.sort_unstable();
        self.years.dedup();
    }

    /// Whether the notices for `d`'s year are in this calendar.
    pub fn covers(&self, d: Date) -> bool {
        self.years.contains(&d.year())
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: Date) -> bool {
        match self.days.get(&d) {
            Some((DayKind::Holiday, _)) => false,
            Some((DayKind::MakeUpWorkday, _)) => true,
            None => d.weekday() <= 5,
        }
    }

    /// The holiday's name when `d` is in a holiday period or is its make-up day.
    pub fn name(&self, d: Date) -> Option<&str> {
        self.days.get(&d).map(|(_, n)| n.as_str())
    }

    /// The `n`-th working day after `d` (n ≥ 1; `d` itself does not count).
    pub fn add_working_days(&self, d: Date, n: u32) -> Date {
        let mut cur = d;
        let mut left = n;
        while left > 0 {
            cur = cur.succ();
            if self.is_working_day(cur) {
                left -= 1;
            }
        }
        cur
    }

    /// Working days strictly after `a` up to and including `b` (0 when `b ≤ a`).
    pub fn working_days_between(&self, a: Date, b: Date) -> u32 {
        let mut n = 0;
        let mut cur = a;
        while cur < b {
            cur = cur.succ();
            if self.is_working_day(cur) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> Date {
        Date::from_ymd_const(y, m, dd)
    }

    #[test]
    fn embedded_counts_and_rules() {
        let c = Calendar::china();
        for y in [2025, 2026] {
            let n = (1..=lantian_aq::time::days_in_year(y) as i32)
                .filter(|&k| c.is_working_day(d(y, 1, 1).add_days(k - 1)))
                .count();
            assert_eq!(n, 248, "{y}"); // data/calendar/README.md: 248 working days each year
        }
        assert!(!c.is_working_day(d(2025, 1, 28))); // 春节 (a Tuesday)
        assert!(c.is_working_day(d(2025, 1, 26))); // make-up Sunday
        assert!(!c.is_working_day(d(2025, 1, 25))); // an ordinary Saturday
        assert_eq!(c.name(d(2026, 10, 1)), Some("国庆节"));
        assert!(c.covers(d(2026, 5, 1)) && !c.covers(d(2027, 1, 1)));
    }

    #[test]
    fn working_day_arithmetic_across_the_spring_festival() {
        let c = Calendar::china();
        // From Fri 2025-01-24: Sat 25 off, Sun 26 make-up (1), Mon 27 (2), 28 Jan – 4 Feb off,
        // Wed 5 Feb (3).
        assert_eq!(c.add_working_days(d(2025, 1, 24), 1), d(2025, 1, 26));
        assert_eq!(c.add_working_days(d(2025, 1, 24), 3), d(2025, 2, 5));
        assert_eq!(c.working_days_between(d(2025, 1, 24), d(2025, 2, 5)), 3);
        assert_eq!(c.working_days_between(d(2025, 2, 5), d(2025, 1, 24)), 0);
    }
}

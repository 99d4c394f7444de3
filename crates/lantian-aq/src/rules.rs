//! Which version of the standards applies.
//!
//! GB 3095—2026, HJ 633—2026 and HJ 663—2026 all took effect on 2026-03-01 (STANDARDS.md §0).
//! Data dated before that day is assessed under GB 3095—2012, HJ 633—2012 and HJ 663—2013.

use crate::time::Date;
use serde::Serialize;

/// The rule set: the generation of HJ 633 / HJ 663 / GB 3095 used for a computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RuleSet {
    /// HJ 633—2012, HJ 663—2013, GB 3095—2012 (with its 2018 amendment).
    Y2012,
    /// HJ 633—2026, HJ 663—2026, GB 3095—2026.
    Y2026,
}

/// First day of the 2026 standards (GB 3095—2026 §1; HJ 633—2026 foreword).
pub const SWITCH_2026: Date = Date::from_ymd_const(2026, 3, 1);

impl RuleSet {
    /// The rule set in force on `date` (the date of the data, not of the computation).
    pub fn for_date(date: Date) -> RuleSet {
        if date < SWITCH_2026 {
            RuleSet::Y2012
        } else {
            RuleSet::Y2026
        }
    }

    /// Parse `2012`, `2013` or `2026`.
    pub fn parse(s: &str) -> Option<RuleSet> {
        match s.trim() {
            "2012" | "2013" => Some(RuleSet::Y2012),
            "2026" => Some(RuleSet::Y2026),
            _ => None,
        }
    }

    /// Short label for reports.
    pub const fn label(self) -> &'static str {
        match self {
            RuleSet::Y2012 => "HJ 633-2012 / HJ 663-2013 / GB 3095-2012",
            RuleSet::Y2026 => "HJ 633-2026 / HJ 663-2026 / GB 3095-2026",
        }
    }
}

/// The phase of GB 3095 limits (GB 3095—2026 §4.4: transition limits to 2030-12-31, final
/// limits from 2031-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Gb3095Phase {
    /// GB 3095—2012 Table 1.
    Y2012,
    /// GB 3095—2026 transition limits, 2026-03-01 .. 2030-12-31.
    Transition2026,
    /// GB 3095—2026 final limits, from 2031-01-01.
    Final2031,
}

/// First day of GB 3095—2026's final limits (§4.4).
pub const FINAL_2031: Date = Date::from_ymd_const(2031, 1, 1);

impl Gb3095Phase {
    /// The phase in force on `date`.
    pub fn for_date(date: Date) -> Gb3095Phase {
        if date < SWITCH_2026 {
            Gb3095Phase::Y2012
        } else if date < FINAL_2031 {
            Gb3095Phase::Transition2026
        } else {
            Gb3095Phase::Final2031
        }
    }

    /// The rule set this phase belongs to.
    pub fn rules(self) -> RuleSet {
        match self {
            Gb3095Phase::Y2012 => RuleSet::Y2012,
            _ => RuleSet::Y2026,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_dates() {
        assert_eq!(
            RuleSet::for_date(Date::from_ymd_const(2026, 2, 28)),
            RuleSet::Y2012
        );
        assert_eq!(
            RuleSet::for_date(Date::from_ymd_const(2026, 3, 1)),
            RuleSet::Y2026
        );
        assert_eq!(
            Gb3095Phase::for_date(Date::from_ymd_const(2030, 12, 31)),
            Gb3095Phase::Transition2026
        );
        assert_eq!(
            Gb3095Phase::for_date(Date::from_ymd_const(2031, 1, 1)),
            Gb3095Phase::Final2031
        );
        assert_eq!(
            Gb3095Phase::for_date(Date::from_ymd_const(2025, 1, 1)),
            Gb3095Phase::Y2012
        );
    }
}

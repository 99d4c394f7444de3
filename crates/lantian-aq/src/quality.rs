//! Data capture and quality flags carried by every result.
//!
//! A statistic that cannot be computed is not an error: it comes back as `None` with the flags
//! that say why, and with how many values it was built from (`Capture`).

use serde::Serialize;

/// How many values a result was built from, against how many the period has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Capture {
    /// Valid input values used.
    pub valid: u32,
    /// Values the period should have (24 for a day, 8 for an 8 h window, …).
    pub expected: u32,
}

impl Capture {
    /// Build one.
    pub const fn new(valid: u32, expected: u32) -> Capture {
        Capture { valid, expected }
    }

    /// valid / expected as a percentage (0 when nothing was expected).
    pub fn percent(self) -> f64 {
        if self.expected == 0 {
            0.0
        } else {
            100.0 * f64::from(self.valid) / f64::from(self.expected)
        }
    }
}

/// One quality flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[repr(u16)]
pub enum Flag {
    /// Fewer valid inputs than the validity rule requires (GB 3095 Table 4 / HJ 663 §6).
    InsufficientData = 1,
    /// Some pollutant was missing; the AQI is from the remaining ones (HJ 633—2026 §5.3.1).
    MissingPollutant = 1 << 1,
    /// A value above the top breakpoint; IAQI capped at 500 (CNEMC practice).
    Capped = 1 << 2,
    /// SO2 1 h > 800 µg/m³: special case of HJ 633 Table 1 note 2 was applied.
    So2SpecialCase = 1 << 3,
    /// O3 8 h > 800 µg/m³: special case of HJ 633 Table 1 note 3 was applied.
    O3SpecialCase = 1 << 4,
    /// HJ 633—2026 §5.3.1: with pollutants missing and AQI ≤ 100 the AQI is not published.
    NotPublishable = 1 << 5,
    /// A negative or non-finite input was ignored.
    InvalidInput = 1 << 6,
    /// The O3 daily max 8 h is valid only because it already exceeds the limit (HJ 663 §6.1.2).
    ValidByExceedance = 1 << 7,
    /// Dust-affected days were excluded (扣沙).
    DustExcluded = 1 << 8,
    /// The target can no longer be met.
    OutOfReach = 1 << 9,
}

impl Flag {
    /// Every flag, in bit order.
    pub const ALL: [Flag; 10] = [
        Flag::InsufficientData,
        Flag::MissingPollutant,
        Flag::Capped,
        Flag::So2SpecialCase,
        Flag::O3SpecialCase,
        Flag::NotPublishable,
        Flag::InvalidInput,
        Flag::ValidByExceedance,
        Flag::DustExcluded,
        Flag::OutOfReach,
    ];

    /// Stable code for reports and JSON.
    pub const fn code(self) -> &'static str {
        match self {
            Flag::InsufficientData => "insufficient_data",
            Flag::MissingPollutant => "missing_pollutant",
            Flag::Capped => "capped_500",
            Flag::So2SpecialCase => "so2_gt_800",
            Flag::O3SpecialCase => "o3_8h_gt_800",
            Flag::NotPublishable => "not_publishable",
            Flag::InvalidInput => "invalid_input",
            Flag::ValidByExceedance => "valid_by_exceedance",
            Flag::DustExcluded => "dust_excluded",
            Flag::OutOfReach => "out_of_reach",
        }
    }
}

/// A set of [`Flag`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Flags(u16);

impl Flags {
    /// No flags.
    pub const EMPTY: Flags = Flags(0);

    /// Add a flag.
    pub fn set(&mut self, f: Flag) {
        self.0 |= f as u16;
    }

    /// With a flag added.
    pub fn with(mut self, f: Flag) -> Flags {
        self.set(f);
        self
    }

    /// Whether `f` is set.
    pub const fn has(self, f: Flag) -> bool {
        self.0 & f as u16 != 0
    }

    /// Union.
    pub const fn union(self, o: Flags) -> Flags {
        Flags(self.0 | o.0)
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags that are set.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| self.has(*f))
    }
}

impl Serialize for Flags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Flag::code))
    }
}

impl std::fmt::Display for Flags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for fl in self.iter() {
            if !first {
                f.write_str("|")?;
            }
            first = false;
            f.write_str(fl.code())?;
        }
        Ok(())
    }
}

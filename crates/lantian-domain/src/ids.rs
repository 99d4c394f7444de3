//! Identifiers: newtypes with parse constructors, so a value that exists is well-formed.
//!
//! The text is shared (`Arc<str>`): an import clones a station's code into every one of its
//! values (7 M per month of national data), and a shared clone is a counter increment where a
//! `String` clone was an allocation and a copy.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?}: {why}")]
pub struct IdError {
    /// Which kind of identifier.
    pub kind: &'static str,
    /// The refused text.
    pub value: String,
    /// Why.
    pub why: &'static str,
}

macro_rules! code_newtype {
    ($(#[$m:meta])* $name:ident, $kind:literal, $max:literal, $check:expr, $why:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Arc<str>);

        impl $name {
            /// Parse: trimmed, 1..=
            #[doc = stringify!($max)]
            /// characters, and the kind's own rule.
            pub fn parse(s: &str) -> Result<$name, IdError> {
                let s = s.trim();
                let err = |why| IdError { kind: $kind, value: s.to_owned(), why };
                if s.is_empty() {
                    return Err(err("empty"));
                }
                if s.chars().count() > $max {
                    return Err(err("too long"));
                }
                let check: fn(&str) -> bool = $check;
                if !check(s) {
                    return Err(err($why));
                }
                Ok($name(Arc::from(s)))
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0.to_string()
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $name::parse(s)
            }
        }
    };
}

fn code_chars(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

code_newtype!(
    /// A station code: CNEMC's `1828A`, or a district's own for micro-stations (`JZGX-M01`).
    StationCode, "station code", 32, code_chars, "only letters, digits, - _ ."
);
code_newtype!(
    /// A region code (district, town, village, grid): administrative division codes or the
    /// district's own, e.g. `410871`, `410871-LW-G03`.
    RegionCode, "region code", 40, code_chars, "only letters, digits, - _ ."
);
code_newtype!(
    /// A responsible unit's code (`SHJZX` 生态环境中心, or a town's region code).
    UnitCode, "unit code", 40, code_chars, "only letters, digits, - _ ."
);
code_newtype!(
    /// A pollution source's identifier in the registry.
    SourceId, "source id", 40, code_chars, "only letters, digits, - _ ."
);
code_newtype!(
    /// A person's identifier (staff number or login name).
    PersonId, "person id", 40, code_chars, "only letters, digits, - _ ."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_or_say_why() {
        assert_eq!(StationCode::parse(" 1828A ").unwrap().as_str(), "1828A");
        assert_eq!(StationCode::parse("").unwrap_err().why, "empty");
        assert_eq!(
            StationCode::parse("18 28A").unwrap_err().to_string(),
            "station code \"18 28A\": only letters, digits, - _ ."
        );
        assert!(RegionCode::parse("410871-LW-G03").is_ok());
        let j: StationCode = serde_json::from_str("\"1828A\"").unwrap();
        assert_eq!(j.to_string(), "1828A");
        assert!(serde_json::from_str::<StationCode>("\"bad code\"").is_err());
    }
}

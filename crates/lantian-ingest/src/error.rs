//! The one error type of the readers: where (file, line, column) and what.

use std::fmt;
use std::path::PathBuf;

/// What went wrong in a file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadErrorKind {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// The file is empty or has no header.
    #[error("empty file (no header line)")]
    Empty,
    /// Not UTF-8 where text was expected.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// The header is not what this reader expects.
    #[error("bad header: {0}")]
    BadHeader(String),
    /// A line has a different number of fields than the header (a truncated or damaged file).
    #[error(
        "expected {expected} fields as in the header, found {found} (truncated or damaged line)"
    )]
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields on this line.
        found: usize,
    },
    /// A date that does not parse or does not exist.
    #[error("bad date {0:?} (expected YYYYMMDD)")]
    BadDate(String),
    /// An hour outside 0..=23.
    #[error("bad hour {0:?} (expected 0..23)")]
    BadHour(String),
    /// A row type this reader does not know.
    #[error("unknown type {0:?} (expected one of AQI, PM2.5, PM2.5_24h, PM10, … CO_24h)")]
    UnknownType(String),
    /// A cell that is neither empty nor a number.
    #[error("not a number: {0:?}")]
    BadNumber(String),
    /// The same date, hour and type twice.
    #[error("duplicated row {what}, first seen at {first}")]
    Duplicate {
        /// Which row.
        what: String,
        /// `file:line` of the first occurrence.
        first: String,
    },
    /// A code (station, city, pollutant) this reader does not know.
    #[error("unknown code {0:?}")]
    UnknownCode(String),
}

/// An error in an input file, with its place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ReadError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the error is on a line.
    pub line: Option<u64>,
    /// The column: 1-based index and header name, when the error is in a cell.
    pub column: Option<(usize, String)>,
    /// What.
    pub kind: ReadErrorKind,
}

impl ReadError {
    /// An error about the whole file.
    pub fn file(path: impl Into<PathBuf>, kind: ReadErrorKind) -> ReadError {
        ReadError {
            path: path.into(),
            line: None,
            column: None,
            kind,
        }
    }

    /// An error on a line.
    pub fn line(path: impl Into<PathBuf>, line: u64, kind: ReadErrorKind) -> ReadError {
        ReadError {
            path: path.into(),
            line: Some(line),
            column: None,
            kind,
        }
    }

    /// An error in a cell.
    pub fn cell(
        path: impl Into<PathBuf>,
        line: u64,
        col: usize,
        name: &str,
        kind: ReadErrorKind,
    ) -> ReadError {
        ReadError {
            path: path.into(),
            line: Some(line),
            column: Some((col, name.to_owned())),
            kind,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some((c, name)) = &self.column {
            write!(f, ": column {c} ({name})")?;
        }
        write!(f, ": {}", self.kind)
    }
}

//! CNEMC wide hourly files: `china_sites_YYYYMMDD.csv` and `china_cities_YYYYMMDD.csv`.
//!
//! Format (STANDARDS.md §5.1): header `date,hour,type,<codes…>`; one row per hour (0..23) and
//! type (15 types: `AQI, PM2.5, PM2.5_24h, …, CO, CO_24h`); empty cell = missing; µg/m³, CO
//! mg/m³. `hour` h labels the hour ENDING at h:00, so hour 0 of the file for D+1 is hour 24
//! of day D.
//!
//! The reader is strict: a wrong header, a line with the wrong number of fields (a truncated
//! file), a bad date or hour, an unknown type, a cell that is not a number, or a row that
//! appears twice (in one file or across files) is an error naming file, line and column.
//!
//! It is also fast — a month of national data is 59 MB, 22 M cells, of which `lantian
//! assess` keeps 9 M — so it scans bytes itself instead of going through a general CSV parser
//! (the format has no quoting to handle). The design, by where the time went:
//!
//! - **Two passes, no merge** ([`read_hourly`]). The first, parallel over files, reads each
//!   file and indexes its lines (date, hour, type; [`memchr`] for the line ends), which fixes
//!   the columns and the hour axis. The second, parallel over row *types*, lets one thread own
//!   each type's `[column][hour]` matrix and parse that type's rows of every file straight into
//!   it (through a per-thread staging buffer, transposed a file at a time). Rows used to be
//!   parsed into per-file vectors and merged afterwards: 72 MB allocated, then copied.
//! - **16-bit storage** (`MISSING`). A cell is kept as its digits and its number of
//!   decimals and decoded with the same division parsing makes, so every `f64` is bit for bit
//!   what parsing gives; the month is 19 MB instead of 75 MB of `f64`, and the kernel zeroing
//!   the pages on first touch had cost as much as parsing.
//! - **Word-at-a-time cells** (`parse_plain_cells`). Commas are found 64 bytes at a time as
//!   a bit mask and each cell (0–5 bytes) is converted as one 8-byte word (SWAR), with no
//!   branch on its length. Rows not kept are only checked, by a loop the compiler vectorises
//!   (`scan_plain`). Anything unusual falls back to a byte-by-byte parse that names the cell.
//!
//! Measured on the 2-core build machine (January 2025, all stations, `lantian assess
//! --threads 1`, CPU time, best of 7 interleaved runs): 377 ms for the whole command before
//! this design, 243 ms after; of what remains the cells' pass is about a third, reading the
//! files a tenth, the daily statistics a tenth.

use crate::error::{ReadError, ReadErrorKind};
use lantian_aq::{Date, HourStamp, Pollutant};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The 15 row types, in CNEMC order.
#[allow(non_camel_case_types)] // the names mirror the file's own labels
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowType {
    /// Real-time AQI as published.
    Aqi,
    /// PM2.5 1 h.
    Pm25,
    /// PM2.5 trailing 24 h mean.
    Pm25_24h,
    /// PM10 1 h.
    Pm10,
    /// PM10 trailing 24 h mean.
    Pm10_24h,
    /// SO2 1 h.
    So2,
    /// SO2 trailing 24 h mean.
    So2_24h,
    /// NO2 1 h.
    No2,
    /// NO2 trailing 24 h mean.
    No2_24h,
    /// O3 1 h.
    O3,
    /// Always empty in the published files.
    O3_24h,
    /// Labelled `O3_8h`: actually the running daily max of the 8 h means (STANDARDS.md §5.1).
    O3_8h,
    /// Labelled `O3_8h_24h`: actually the 8 h moving mean.
    O3_8h_24h,
    /// CO 1 h.
    Co,
    /// CO trailing 24 h mean.
    Co_24h,
}

impl RowType {
    /// All, in file order.
    pub const ALL: [RowType; 15] = [
        RowType::Aqi,
        RowType::Pm25,
        RowType::Pm25_24h,
        RowType::Pm10,
        RowType::Pm10_24h,
        RowType::So2,
        RowType::So2_24h,
        RowType::No2,
        RowType::No2_24h,
        RowType::O3,
        RowType::O3_24h,
        RowType::O3_8h,
        RowType::O3_8h_24h,
        RowType::Co,
        RowType::Co_24h,
    ];

    /// The label in the file.
    pub const fn label(self) -> &'static str {
        match self {
            RowType::Aqi => "AQI",
            RowType::Pm25 => "PM2.5",
            RowType::Pm25_24h => "PM2.5_24h",
            RowType::Pm10 => "PM10",
            RowType::Pm10_24h => "PM10_24h",
            RowType::So2 => "SO2",
            RowType::So2_24h => "SO2_24h",
            RowType::No2 => "NO2",
            RowType::No2_24h => "NO2_24h",
            RowType::O3 => "O3",
            RowType::O3_24h => "O3_24h",
            RowType::O3_8h => "O3_8h",
            RowType::O3_8h_24h => "O3_8h_24h",
            RowType::Co => "CO",
            RowType::Co_24h => "CO_24h",
        }
    }

    fn parse(b: &[u8]) -> Option<RowType> {
        RowType::ALL.into_iter().find(|t| t.label().as_bytes() == b)
    }

    /// The row carrying the 1 h value of `p`.
    pub const fn hourly(p: Pollutant) -> RowType {
        match p {
            Pollutant::So2 => RowType::So2,
            Pollutant::No2 => RowType::No2,
            Pollutant::Pm10 => RowType::Pm10,
            Pollutant::Co => RowType::Co,
            Pollutant::O3 => RowType::O3,
            Pollutant::Pm25 => RowType::Pm25,
        }
    }

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of row types to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowTypes(u16);

impl RowTypes {
    /// The six 1 h pollutant rows.
    pub const HOURLY_POLLUTANTS: RowTypes = RowTypes(
        RowType::Pm25.bit()
            | RowType::Pm10.bit()
            | RowType::So2.bit()
            | RowType::No2.bit()
            | RowType::O3.bit()
            | RowType::Co.bit(),
    );

    /// With `t` added.
    pub const fn with(self, t: RowType) -> RowTypes {
        RowTypes(self.0 | t.bit())
    }

    /// Whether `t` is in the set.
    pub const fn contains(self, t: RowType) -> bool {
        self.0 & t.bit() != 0
    }

    /// Members in file order.
    pub fn iter(self) -> impl Iterator<Item = RowType> {
        RowType::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

/// Station files or city files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `china_sites_*`: columns are station codes (`1001A`).
    Sites,
    /// `china_cities_*`: columns are city names (`北京`).
    Cities,
}

/// One parsed file: the kept rows, with values per column (NaN = missing).
#[derive(Debug, Clone)]
pub struct WideFile {
    /// Where it came from.
    pub path: PathBuf,
    /// Column codes (station codes or city names), in header order.
    pub columns: Vec<String>,
    /// Kept rows.
    pub rows: Vec<WideRow>,
}

/// One kept row.
#[derive(Debug, Clone)]
pub struct WideRow {
    /// The hour (labelled by its end).
    pub hour: HourStamp,
    /// Which type.
    pub ty: RowType,
    /// 1-based line in the file.
    pub line: u64,
    /// One value per column; NaN where the cell is empty.
    pub values: Vec<f64>,
}

/// Whether `code` looks like a CNEMC station code (`1001A`: four digits and a capital letter).
pub fn is_station_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4].is_ascii_uppercase()
}

/// Parse one decimal cell: `-`? digits (`.` digits)?. Returns `None` if it is not a number.
/// Exact for up to 15 significant digits (mantissa and power of ten are exact in f64, and one
/// division rounds correctly), which is what `str::parse` would give, at a fraction of the cost.
fn parse_number(b: &[u8]) -> Option<f64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let mut mant: u64 = 0;
    let mut frac_digits = 0i32;
    let mut seen_dot = false;
    let mut n_digits = 0;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                if n_digits >= 15 {
                    // Too long for the exact path: fall back to the standard parser.
                    return std::str::from_utf8(b).ok()?.parse().ok();
                }
                mant = mant * 10 + u64::from(c - b'0');
                n_digits += 1;
                if seen_dot {
                    frac_digits += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    if n_digits == 0 {
        return None;
    }
    let v = mant as f64 / POW10[frac_digits as usize];
    Some(if neg { -v } else { v })
}

/// Powers of ten exact in f64 (up to 10^22), for [`parse_number`]'s ≤ 15 digits.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Whether every byte of `b` can appear in a row of numbers (`0-9 . , -`), and how many commas
/// it holds. Every byte of every row goes through this check (59 MB a month), so it is written
/// as a loop over bounded chunks with byte-wide counters and no table lookup, which the compiler
/// turns into vector instructions.
fn scan_plain(b: &[u8]) -> (bool, usize) {
    let mut plain = true;
    let mut commas = 0usize;
    // 255 bytes at most per chunk, so the u8 counter cannot overflow.
    for chunk in b.chunks(255) {
        let (mut n, mut odd) = (0u8, 0u8);
        for &c in chunk {
            n += u8::from(c == b',');
            // `,` … `9` is 0x2C..=0x39; of those, only `/` may not appear.
            odd |= u8::from(c.wrapping_sub(b',') > b'9' - b',') | u8::from(c == b'/');
        }
        commas += usize::from(n);
        plain &= odd == 0;
    }
    (plain, commas)
}

/// `0x01` in every byte.
const ONES: u64 = 0x0101_0101_0101_0101;

/// The 8 bytes of `b` from `pos` as a word, padded with commas past the end.
#[inline(always)]
fn word_at(b: &[u8], pos: usize) -> u64 {
    let mut w = [b','; 8];
    match b.get(pos..pos + 8) {
        Some(s) => w.copy_from_slice(s),
        None => {
            let tail = b.get(pos..).unwrap_or_default();
            w[..tail.len()].copy_from_slice(tail);
        }
    }
    u64::from_le_bytes(w)
}

/// A mask of the low `n` bytes, `n` ≤ 7.
#[inline(always)]
const fn low_bytes(n: usize) -> u64 {
    (1u64 << (8 * n)) - 1
}

/// The digits of a cell of 1..=7 bytes held in the low bytes of `w`, from a row that
/// [`scan_plain`] accepted, as (integer, number of decimals); `None` for what this fast path
/// leaves to [`parse_number`] (a sign, two dots, a lone dot). The digits, with the dot taken
/// out, are combined into one integer with three multiplies (SWAR). The cell's value is that
/// integer divided by the power of ten of the decimals ([`digits_value`]): the operations, hence
/// the `f64`, of [`parse_number`] and `str::parse` for ≤ 15 digits.
#[inline(always)]
fn word_digits(w: u64, len: usize) -> Option<(u64, usize)> {
    let cell = w & low_bytes(len);
    // Within a cell of such a row a byte is a digit (0x30..=0x39), `.` (0x2E) or `-` (0x2D):
    // a digit exactly when its bit 4 is set. So one mask tells an integer (no such byte,
    // most cells) from a decimal (one such byte, a dot) from the rest (the slow path).
    let odd = !cell & (ONES << 4) & low_bytes(len);
    let (digits, n, frac) = if odd == 0 {
        (cell, len, 0)
    } else if odd & (odd - 1) == 0 {
        let dot = odd.trailing_zeros() as usize / 8;
        if (cell >> (8 * dot)) & 0xFF != u64::from(b'.') {
            return None;
        }
        let below = low_bytes(dot);
        (
            (cell & below) | ((cell >> 8) & !below),
            len - 1,
            len - 1 - dot,
        )
    } else {
        return None;
    };
    if n == 0 {
        return None;
    }
    // One digit 0..9 per byte, the last digit in the top byte (leading zero bytes below).
    let d = (digits - (0x3030_3030_3030_3030 & low_bytes(n))) << (8 * (8 - n));
    // Pairs, then groups of four, then all eight: 10·a + b in each 16-bit lane, 100·ab + cd
    // in each 32-bit lane, 10000·abcd + efgh. No lane overflows (99, 9999, 99 999 999).
    let d = (d * 10 + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let d = (d * 100 + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
    let d = (d.wrapping_mul(10_000) + (d >> 32)) & 0xFFFF_FFFF;
    Some((d, frac))
}

/// The value of `mant` with `frac` decimals, as [`parse_number`] computes it. Integers, most
/// cells, skip the division (dividing by 1 gives the same value but costs a dozen cycles).
#[inline(always)]
fn digits_value(mant: u64, frac: usize) -> f64 {
    if frac == 0 {
        mant as f64
    } else {
        mant as f64 / POW10[frac]
    }
}

/// How a value is stored in the series: 16 bits, a quarter of an `f64`. The month's series are
/// 9 M values; as `f64` they were 75 MB, whose first touch (the kernel zeroing each page) cost
/// as much as parsing them. A cell is kept as it was written — its digits as an integer below
/// 2^14 and its number of decimals (0..=3) in the top two bits — and [`decode`] recomputes the
/// value with the same division [`parse_number`] makes, so the `f64` is bit for bit the one
/// parsing gives. [`MISSING`] is an empty cell; anything else (more digits, a sign, more
/// decimals) is [`ELSEWHERE`] and its `f64` is kept beside the series.
const MISSING: u16 = u16::MAX;
/// See [`MISSING`].
const ELSEWHERE: u16 = u16::MAX - 1;

/// The code of `mant` with `frac` decimals, if it fits (see [`MISSING`]).
#[inline(always)]
fn encode(mant: u64, frac: usize) -> Option<u16> {
    let code = (frac as u64) << 14 | mant;
    (frac <= 3 && mant < 1 << 14 && code < u64::from(ELSEWHERE)).then_some(code as u16)
}

/// The value of a code other than [`ELSEWHERE`] (NaN for [`MISSING`]).
fn decode(code: u16) -> f64 {
    if code == MISSING {
        f64::NAN
    } else {
        digits_value(u64::from(code & 0x3FFF), usize::from(code >> 14))
    }
}

/// [`decode`] of every code (NaN for [`ELSEWHERE`]), built once: 512 KB, of which a month of
/// data reads a few cache lines (small integers, CO's one-decimal values). Decoding a series
/// is then one load per value, with no branch on missing hours.
fn decode_table() -> &'static [f64] {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=u16::MAX)
            .map(|c| if c == ELSEWHERE { f64::NAN } else { decode(c) })
            .collect()
    })
}

/// Bit `j` set where byte `j` of `block` (up to 64 bytes) is a comma. Eight bytes at a time:
/// an exact per-byte zero test of `word ^ ",,,,,,,,"`, whose eight high bits one multiply
/// gathers into a byte (the movemask of SIMD, in plain integer arithmetic).
#[inline(always)]
fn comma_mask(block: &[u8]) -> u64 {
    let mut m = 0u64;
    for (i, c) in block.chunks(8).enumerate() {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        let x = u64::from_le_bytes(w) ^ (ONES * u64::from(b','));
        // High bit of each byte set iff the byte is zero; no carry crosses bytes.
        let zero = !(((x & !(ONES << 7)) + !(ONES << 7)) | x) & (ONES << 7);
        m |= ((zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    m
}

/// The code of the cell `rest[start..end]` (see [`MISSING`]) and, for [`ELSEWHERE`], its
/// value: by the fast path, or [`parse_number`]. `None` if it is not a number.
#[inline(always)]
fn cell_code(rest: &[u8], start: usize, end: usize) -> Option<(u16, f64)> {
    let len = end - start;
    if len == 0 {
        return Some((MISSING, f64::NAN));
    }
    if len < 8
        && let Some((mant, frac)) = word_digits(word_at(rest, start), len)
    {
        return Some(match encode(mant, frac) {
            Some(code) => (code, 0.0),
            None => (ELSEWHERE, digits_value(mant, frac)),
        });
    }
    parse_number(rest.get(start..end)?).map(|v| (ELSEWHERE, v))
}

/// Where one row's parsed cells go: one code per column, and the values of the cells coded
/// [`ELSEWHERE`] as (column, value).
struct RowOut<'a> {
    codes: &'a mut [u16],
    elsewhere: &'a mut Vec<(usize, f64)>,
}

impl RowOut<'_> {
    #[inline(always)]
    fn set(&mut self, k: usize, (code, value): (u16, f64)) -> Result<(), usize> {
        *self.codes.get_mut(k).ok_or(k)? = code;
        if code == ELSEWHERE {
            self.elsewhere.push((k, value));
        }
        Ok(())
    }
}

/// Parse the cells of a row that [`scan_plain`] accepted with the right number of commas.
/// The commas are found 64 bytes at a time as a bit mask ([`comma_mask`]), so each cell's
/// bounds come from the next set bit, not from a byte loop whose exit mispredicts on every
/// cell; cells are 0–5 bytes and each is converted as one 8-byte word ([`word_digits`]).
/// Independent of one another, the cells' conversions overlap in the CPU. If a cell is not a
/// number, its index is returned.
fn parse_plain_cells(rest: &[u8], out: &mut RowOut<'_>) -> Result<(), usize> {
    let mut k = 0;
    let mut start = 0;
    for (b, block) in rest.chunks(64).enumerate() {
        let mut m = comma_mask(block);
        while m != 0 {
            let end = b * 64 + m.trailing_zeros() as usize;
            m &= m - 1;
            out.set(k, cell_code(rest, start, end).ok_or(k)?)?;
            k += 1;
            start = end + 1;
        }
    }
    out.set(k, cell_code(rest, start, rest.len()).ok_or(k)?)
}

/// Parse the comma-separated cells of `rest` one byte at a time (at most `max` are looked at;
/// the count returned may exceed it), writing values to `out` when given. The careful path:
/// it runs only for a row that [`scan_plain`] or [`parse_plain_cells`] refused, to find the
/// exact cell to blame. A cell that is not a number is returned as `Err((index, cell))`.
fn parse_cells<'a>(
    rest: &'a [u8],
    max: usize,
    mut out: Option<&mut [f64]>,
) -> Result<usize, (usize, &'a [u8])> {
    let mut k = 0;
    let mut cell_start = 0;
    let (mut mant, mut digits, mut frac, mut dot, mut odd) = (0u64, 0u32, 0usize, false, false);
    for i in 0..=rest.len() {
        let c = rest.get(i).copied().unwrap_or(b',');
        match c {
            b'0'..=b'9' => {
                mant = mant.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                digits += 1;
                frac += usize::from(dot);
            }
            b'.' if !dot => dot = true,
            b',' => {
                if k < max {
                    let cell = &rest[cell_start..i];
                    let v = if !odd && digits > 0 && digits <= 15 {
                        mant as i64 as f64 / POW10[frac]
                    } else if cell.is_empty() {
                        f64::NAN
                    } else {
                        // Anything unusual (a sign, a second dot, > 15 digits) decides here.
                        parse_number(cell).ok_or((k, cell))?
                    };
                    if let Some(o) = out.as_deref_mut().and_then(|o| o.get_mut(k)) {
                        *o = v;
                    }
                }
                k += 1;
                cell_start = i + 1;
                (mant, digits, frac, dot, odd) = (0, 0, 0, false, false);
            }
            _ => odd = true,
        }
    }
    Ok(k)
}

/// The lines of `bytes` from offset `from`: 1-based number, start, end (before any `\r`).
fn line_spans(bytes: &[u8], from: usize) -> impl Iterator<Item = (u64, usize, usize)> + '_ {
    let tail = bytes.get(from..).unwrap_or_default();
    memchr::memchr_iter(b'\n', tail)
        .map(move |e| e + from)
        .chain(std::iter::once(bytes.len()))
        .scan(from, |start, end| {
            let s = *start;
            *start = end + 1;
            Some((s, end))
        })
        .enumerate()
        .map(move |(i, (s, e))| {
            let e = if e > s && bytes[e - 1] == b'\r' {
                e - 1
            } else {
                e
            };
            (i as u64 + 1, s, e)
        })
}

/// One data line as the index pass found it: where it is and what it holds. Its cells are
/// looked at later, by whoever handles its row type.
#[derive(Debug, Clone, Copy)]
struct Line {
    /// 1-based line number.
    lno: u64,
    /// The hour (labelled by its end), as [`HourStamp::hours`].
    hour: i64,
    ty: RowType,
    /// Byte offsets in the file: the line's start, its cells' start (after the third comma)
    /// and its end (before any `\r`).
    start: usize,
    cells: usize,
    end: usize,
}

/// A file's header and data lines, checked up to the cells: the first pass over a file.
#[derive(Debug, Default)]
struct FileIndex {
    /// Column codes, in header order.
    columns: Vec<String>,
    /// The data lines before the first error, in file order.
    lines: Vec<Line>,
    /// The first error of this pass (header, field count, date, hour, type, a row twice).
    error: Option<ReadError>,
}

/// The first pass over a file: the header, then each line's date, hour and type, and no
/// (hour, type) twice. Stops at the first error, keeping the lines before it.
fn index_file(path: &Path, bytes: &[u8]) -> FileIndex {
    let mut ix = FileIndex::default();
    if let Err(e) = index_lines(path, bytes, &mut ix) {
        ix.error = Some(e);
    }
    ix
}

fn index_lines(path: &Path, bytes: &[u8], ix: &mut FileIndex) -> Result<(), ReadError> {
    let from = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut it = line_spans(bytes, from);
    let header = match it.next() {
        Some((_, s, e)) if e > s => &bytes[s..e],
        _ => return Err(ReadError::file(path, ReadErrorKind::Empty)),
    };
    let header = std::str::from_utf8(header)
        .map_err(|_| ReadError::line(path, 1, ReadErrorKind::NotUtf8))?;
    let names: Vec<&str> = header.split(',').collect();
    if names.len() < 4 || names[0] != "date" || names[1] != "hour" || names[2] != "type" {
        return Err(ReadError::line(
            path,
            1,
            ReadErrorKind::BadHeader(format!(
                "expected `date,hour,type,<codes…>`, found `{}`",
                names.iter().take(4).copied().collect::<Vec<_>>().join(",")
            )),
        ));
    }
    ix.columns = names[3..].iter().map(|s| s.trim().to_owned()).collect();
    let columns = &ix.columns;
    let mut seen_cols: HashMap<&str, usize> = HashMap::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        if c.is_empty() {
            return Err(ReadError::cell(
                path,
                1,
                i + 4,
                c,
                ReadErrorKind::BadHeader("empty column name".into()),
            ));
        }
        if let Some(first) = seen_cols.insert(c, i) {
            return Err(ReadError::cell(
                path,
                1,
                i + 4,
                c,
                ReadErrorKind::BadHeader(format!("column {c:?} repeats column {}", first + 4)),
            ));
        }
    }
    let expected = columns.len() + 3;
    let mut seen: HashMap<(i64, u8), u64> = HashMap::new();
    let mut last_date: Option<(&[u8], Date)> = None;
    for (lno, start, end) in it {
        let line = &bytes[start..end];
        if line.is_empty() {
            continue; // the final newline, or a blank line
        }
        let mut fields = line.split(|&b| b == b',');
        let (Some(d), Some(h), Some(t)) = (fields.next(), fields.next(), fields.next()) else {
            let found = line.split(|&b| b == b',').count();
            return Err(ReadError::line(
                path,
                lno,
                ReadErrorKind::FieldCount { expected, found },
            ));
        };
        // A damaged line is reported as such, not as whatever its first bad field is.
        let damaged = |e: ReadError| damaged(path, lno, line, expected, e);
        let date = match last_date {
            Some((raw, date)) if raw == d => date,
            _ => {
                let s = String::from_utf8_lossy(d);
                let date = std::str::from_utf8(d)
                    .ok()
                    .filter(|s| s.len() == 8)
                    .and_then(Date::parse)
                    .ok_or_else(|| {
                        ReadError::cell(
                            path,
                            lno,
                            1,
                            "date",
                            ReadErrorKind::BadDate(s.into_owned()),
                        )
                    })
                    .map_err(damaged)?;
                last_date = Some((d, date));
                date
            }
        };
        let hour = std::str::from_utf8(h)
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|h| *h <= 23)
            .ok_or_else(|| {
                ReadError::cell(
                    path,
                    lno,
                    2,
                    "hour",
                    ReadErrorKind::BadHour(String::from_utf8_lossy(h).into_owned()),
                )
            })
            .map_err(damaged)?;
        let ty = RowType::parse(t)
            .ok_or_else(|| {
                ReadError::cell(
                    path,
                    lno,
                    3,
                    "type",
                    ReadErrorKind::UnknownType(String::from_utf8_lossy(t).into_owned()),
                )
            })
            .map_err(damaged)?;
        let stamp = HourStamp::new(date, hour);
        if let Some(first) = seen.insert((stamp.hours(), ty as u8), lno) {
            return Err(ReadError::line(
                path,
                lno,
                ReadErrorKind::Duplicate {
                    what: format!("{} {hour} {}", String::from_utf8_lossy(d), ty.label()),
                    first: format!("{}:{first}", path.display()),
                },
            ));
        }
        // The cells start after the third comma (none when the line stops at the type).
        let cells = (start + d.len() + h.len() + t.len() + 3).min(end);
        ix.lines.push(Line {
            lno,
            hour: stamp.hours(),
            ty,
            start,
            cells,
            end,
        });
    }
    Ok(())
}

/// `e`, unless the line has the wrong number of fields: then that, which is what is wrong.
fn damaged(path: &Path, lno: u64, line: &[u8], expected: usize, e: ReadError) -> ReadError {
    let found = line.split(|&b| b == b',').count();
    if found == expected {
        e
    } else {
        ReadError::line(path, lno, ReadErrorKind::FieldCount { expected, found })
    }
}

/// The second pass over one line: check its cells and, when `out` is given, parse them into
/// it. Rows the command does not use are only checked — their characters and their field
/// count, with [`scan_plain`] — and rows it uses go through [`parse_plain_cells`]. Anything
/// those refuse is parsed again byte by byte, so that the error names the exact cell (or the
/// field count, if the line is damaged).
fn line_cells(
    path: &Path,
    bytes: &[u8],
    columns: &[String],
    line: &Line,
    mut out: Option<RowOut<'_>>,
) -> Result<(), ReadError> {
    let rest = &bytes[line.cells..line.end];
    let ncol = columns.len();
    let (plain, commas) = scan_plain(rest);
    if plain && commas + 1 == ncol {
        match out.as_mut() {
            None => return Ok(()),
            Some(o) => {
                let before = o.elsewhere.len();
                if parse_plain_cells(rest, o).is_ok() {
                    return Ok(());
                }
                o.elsewhere.truncate(before);
            }
        }
    }
    let expected = ncol + 3;
    let whole = &bytes[line.start..line.end];
    let mut values = vec![f64::NAN; if out.is_some() { ncol } else { 0 }];
    let n = match parse_cells(rest, ncol, out.is_some().then_some(&mut values[..])) {
        Ok(cells) => 3 + cells,
        Err((k, cell)) => {
            return Err(damaged(
                path,
                line.lno,
                whole,
                expected,
                ReadError::cell(
                    path,
                    line.lno,
                    k + 4,
                    &columns[k],
                    ReadErrorKind::BadNumber(String::from_utf8_lossy(cell).into_owned()),
                ),
            ));
        }
    };
    if n != expected {
        let found = whole.split(|&b| b == b',').count();
        return Err(ReadError::line(
            path,
            line.lno,
            ReadErrorKind::FieldCount { expected, found },
        ));
    }
    // Not reached for rows of digits, dots and signs, which the fast path takes; kept so
    // that whatever this path accepts is stored as it parsed it.
    if let Some(o) = out.as_mut() {
        for (k, v) in values.into_iter().enumerate() {
            let code = if v.is_nan() { MISSING } else { ELSEWHERE };
            o.set(k, (code, v)).map_err(|_| {
                ReadError::line(
                    path,
                    line.lno,
                    ReadErrorKind::FieldCount { expected, found: n },
                )
            })?;
        }
    }
    Ok(())
}

/// Parse one wide file's bytes, keeping the rows in `keep`: the file on its own, as a list of
/// rows ([`read_hourly`] lays many files out as series instead). Every line is checked, kept
/// or not; the first error in line order is returned.
pub fn parse_wide(path: &Path, bytes: &[u8], keep: RowTypes) -> Result<WideFile, ReadError> {
    let ix = index_file(path, bytes);
    let mut rows = Vec::new();
    let mut codes = vec![MISSING; ix.columns.len()];
    let mut elsewhere = Vec::new();
    for line in &ix.lines {
        if keep.contains(line.ty) {
            elsewhere.clear();
            let out = RowOut {
                codes: &mut codes,
                elsewhere: &mut elsewhere,
            };
            line_cells(path, bytes, &ix.columns, line, Some(out))?;
            let mut values: Vec<f64> = codes.iter().map(|&c| decode(c)).collect();
            for &(k, v) in &elsewhere {
                values[k] = v;
            }
            rows.push(WideRow {
                hour: HourStamp::from_hours(line.hour),
                ty: line.ty,
                line: line.lno,
                values,
            });
        } else {
            line_cells(path, bytes, &ix.columns, line, None)?;
        }
    }
    if let Some(e) = ix.error {
        return Err(e);
    }
    Ok(WideFile {
        path: path.to_owned(),
        columns: ix.columns,
        rows,
    })
}

/// Hourly data from many files, as dense per-column series on one hour axis.
#[derive(Debug, Clone)]
pub struct HourlyData {
    /// Station files or city files.
    pub kind: FileKind,
    /// Column codes, in first-seen order.
    pub columns: Vec<String>,
    /// The first hour on the axis.
    pub start: HourStamp,
    /// Hours on the axis.
    pub hours: usize,
    /// The files read, sorted.
    pub files: Vec<PathBuf>,
    types: RowTypes,
    /// One matrix per kept type (file order of [`RowType::ALL`]).
    data: Vec<Option<Matrix>>,
}

/// One row type's values: `[col * hours + h]` as codes (see [`MISSING`]), and the values of
/// the cells coded [`ELSEWHERE`] by position (none in the published files).
#[derive(Debug, Clone, Default)]
struct Matrix {
    codes: Vec<u16>,
    elsewhere: HashMap<usize, f64>,
}

impl HourlyData {
    /// The values of `col` for row type `ty` at axis positions `range` (NaN = missing), written
    /// over `out`. False, with `out` empty, if `ty` was not read or `range` is not on the axis.
    /// Hot loops reuse `out`; each value is the `f64` parsing its cell gives.
    pub fn series_into(
        &self,
        ty: RowType,
        col: usize,
        range: std::ops::Range<usize>,
        out: &mut Vec<f64>,
    ) -> bool {
        out.clear();
        let Some(m) = self.data.get(ty as usize).and_then(Option::as_ref) else {
            return false;
        };
        if range.start > range.end || range.end > self.hours {
            return false;
        }
        let first = col * self.hours + range.start;
        let Some(codes) = m.codes.get(first..first + range.len()) else {
            return false;
        };
        let table = decode_table();
        out.extend(codes.iter().map(|&c| table[usize::from(c)]));
        if !m.elsewhere.is_empty() {
            for (i, (o, &c)) in out.iter_mut().zip(codes).enumerate() {
                if c == ELSEWHERE {
                    *o = m.elsewhere.get(&(first + i)).copied().unwrap_or(f64::NAN);
                }
            }
        }
        true
    }

    /// The whole series of `col` for row type `ty` (NaN = missing), or `None` if `ty` was not
    /// read.
    pub fn series(&self, ty: RowType, col: usize) -> Option<Vec<f64>> {
        let mut v = Vec::new();
        self.series_into(ty, col, 0..self.hours, &mut v)
            .then_some(v)
    }

    /// The value of `col` for row type `ty` at axis position `h` (NaN = missing), or `None` if
    /// `ty` was not read or `h` is not on the axis.
    pub fn value(&self, ty: RowType, col: usize, h: usize) -> Option<f64> {
        let m = self.data.get(ty as usize)?.as_ref()?;
        if h >= self.hours {
            return None;
        }
        let at = col * self.hours + h;
        match *m.codes.get(at)? {
            ELSEWHERE => Some(m.elsewhere.get(&at).copied().unwrap_or(f64::NAN)),
            c => Some(decode(c)),
        }
    }

    /// Whether `ty` was read.
    pub fn has(&self, ty: RowType) -> bool {
        self.types.contains(ty)
    }

    /// The index of column `code`.
    pub fn column(&self, code: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == code)
    }

    /// The hour at axis position `i`.
    pub fn hour_at(&self, i: usize) -> HourStamp {
        self.start.add_hours(i as i64)
    }
}

/// List the CNEMC files named by `paths`: files as given, directories expanded to their
/// `china_sites_*.csv` / `china_cities_*.csv` files. Sorted, deduplicated.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| ReadError::file(p, ReadErrorKind::Io(e.to_string())))?;
        if meta.is_dir() {
            let rd = std::fs::read_dir(p)
                .map_err(|e| ReadError::file(p, ReadErrorKind::Io(e.to_string())))?;
            for e in rd {
                let e = e.map_err(|e| ReadError::file(p, ReadErrorKind::Io(e.to_string())))?;
                let name = e.file_name().to_string_lossy().into_owned();
                if (name.starts_with("china_sites_") || name.starts_with("china_cities_"))
                    && name.ends_with(".csv")
                {
                    out.push(e.path());
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn kind_of(path: &Path, columns: &[String]) -> FileKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.starts_with("china_cities_") {
        FileKind::Cities
    } else if name.starts_with("china_sites_") || columns.iter().all(|c| is_station_code(c)) {
        FileKind::Sites
    } else {
        FileKind::Cities
    }
}

/// Read and merge files (see [`expand_paths`]) on `threads` threads, keeping `keep` rows.
/// All files must be of one kind. A row (hour, type) present in two files is an error, as is
/// a station-file column that is not a station code.
///
/// Two passes, each parallel. The first reads each file and indexes its lines (date, hour,
/// type; `index_file`) — which fixes the column set and the hour axis. The second goes row
/// type by row type (`fill_type`): a thread takes a type and checks, parses and lays out
/// that type's rows of every file straight into its `[column][hour]` matrix. Splitting by type
/// rather than by file is what lets each thread own its matrices outright, so no per-file
/// copy of the values is ever made and nothing is merged afterwards.
pub fn read_hourly(
    paths: &[PathBuf],
    keep: RowTypes,
    threads: usize,
) -> Result<HourlyData, ReadError> {
    let files = expand_paths(paths)?;
    if files.is_empty() {
        let p = paths.first().cloned().unwrap_or_default();
        return Err(ReadError::file(
            p,
            ReadErrorKind::Io("no china_sites_*.csv or china_cities_*.csv files".into()),
        ));
    }
    let threads = threads.max(1);
    let read = read_and_index(&files, threads);
    let layout = Layout::new(&read, keep);
    let filled = fill_all(&read, &layout, keep, threads);
    // The first error in file and line order, as a one-file-at-a-time reader would meet it:
    // the index pass's before the cell pass's on the same line.
    let first_error = read
        .iter()
        .enumerate()
        .filter_map(|(fi, f)| {
            let e = f.ix.error.as_ref()?;
            Some(((fi, e.line.unwrap_or(0), 0), e))
        })
        .chain(
            filled
                .iter()
                .filter_map(|r| r.error.as_ref().map(|(fi, lno, e)| ((*fi, *lno, 1), e))),
        )
        .min_by_key(|(at, _)| *at);
    if let Some((_, e)) = first_error {
        return Err(e.clone());
    }
    layout.check(&read)?;
    let mut data: Vec<Option<Matrix>> = vec![None; RowType::ALL.len()];
    for r in filled {
        if let Some(m) = r.matrix {
            data[r.ty as usize] = Some(m);
        }
    }
    Ok(HourlyData {
        kind: layout.kind,
        columns: layout.columns,
        start: HourStamp::from_hours(layout.lo),
        hours: layout.hours,
        files,
        types: keep,
        data,
    })
}

/// A file read and indexed by the first pass.
struct ReadFile<'a> {
    path: &'a Path,
    bytes: Vec<u8>,
    ix: FileIndex,
}

/// The first pass, in parallel over files: read each and index its lines. An unreadable file
/// is indexed as empty with its I/O error.
fn read_and_index(files: &[PathBuf], threads: usize) -> Vec<ReadFile<'_>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = files.get(i) else { break };
            let (bytes, ix) = match std::fs::read(path) {
                Ok(bytes) => {
                    let ix = index_file(path, &bytes);
                    (bytes, ix)
                }
                Err(e) => (
                    Vec::new(),
                    FileIndex {
                        error: Some(ReadError::file(path, ReadErrorKind::Io(e.to_string()))),
                        ..FileIndex::default()
                    },
                ),
            };
            done.push((i, ReadFile { path, bytes, ix }));
        }
        done
    };
    let mut all: Vec<(usize, ReadFile<'_>)> = Vec::with_capacity(files.len());
    std::thread::scope(|s| {
        let others: Vec<_> = (1..threads.min(files.len()))
            .map(|_| s.spawn(work))
            .collect();
        all.extend(work());
        for h in others {
            // A panic in a worker is a bug; propagate it rather than return partial data.
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
    });
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, f)| f).collect()
}

/// Where everything goes: the union of the files' columns (first-seen order), each file's
/// column → union index map, and the hour axis spanned by the kept rows.
struct Layout {
    keep: RowTypes,
    kind: FileKind,
    columns: Vec<String>,
    maps: Vec<Vec<usize>>,
    lo: i64,
    hours: usize,
}

impl Layout {
    fn new(read: &[ReadFile<'_>], keep: RowTypes) -> Layout {
        let kind = read
            .first()
            .map_or(FileKind::Sites, |f| kind_of(f.path, &f.ix.columns));
        let mut columns: Vec<String> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut maps = Vec::with_capacity(read.len());
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for (i, f) in read.iter().enumerate() {
            // Daily files of one network usually repeat the header: then the map does too.
            let map = match i.checked_sub(1).map(|p| (&read[p], &maps[p])) {
                Some((prev, map)) if prev.ix.columns == f.ix.columns => Vec::clone(map),
                _ => {
                    f.ix.columns
                        .iter()
                        .map(|c| {
                            *index.entry(c).or_insert_with(|| {
                                columns.push(c.clone());
                                columns.len() - 1
                            })
                        })
                        .collect()
                }
            };
            maps.push(map);
            for l in f.ix.lines.iter().filter(|l| keep.contains(l.ty)) {
                lo = lo.min(l.hour);
                hi = hi.max(l.hour);
            }
        }
        let (lo, hours) = if lo > hi {
            (0, 0)
        } else {
            (lo, (hi - lo + 1) as usize)
        };
        Layout {
            keep,
            kind,
            columns,
            maps,
            lo,
            hours,
        }
    }

    /// What can only be judged across files, in file order: one kind of file, station codes
    /// in station files, and no kept row (hour, type) in two files.
    fn check(&self, read: &[ReadFile<'_>]) -> Result<(), ReadError> {
        let mut seen: HashMap<(i64, RowType), (usize, u64)> = HashMap::new();
        for (fi, f) in read.iter().enumerate() {
            if kind_of(f.path, &f.ix.columns) != self.kind {
                return Err(ReadError::file(
                    f.path,
                    ReadErrorKind::BadHeader(
                        "station files and city files cannot be mixed in one run".into(),
                    ),
                ));
            }
            if self.kind == FileKind::Sites
                && let Some((ci, c)) =
                    f.ix.columns
                        .iter()
                        .enumerate()
                        .find(|(_, c)| !is_station_code(c))
            {
                return Err(ReadError::cell(
                    f.path,
                    1,
                    ci + 4,
                    c,
                    ReadErrorKind::UnknownCode(c.clone()),
                ));
            }
            for l in f.ix.lines.iter().filter(|l| self.keep.contains(l.ty)) {
                if let Some((pf, pl)) = seen.insert((l.hour, l.ty), (fi, l.lno)) {
                    return Err(ReadError::line(
                        f.path,
                        l.lno,
                        ReadErrorKind::Duplicate {
                            what: format!("{} {}", HourStamp::from_hours(l.hour), l.ty.label()),
                            first: format!("{}:{pl}", read[pf].path.display()),
                        },
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One row type after the second pass: its matrix if kept, or the first error among its rows
/// (file index, line, error).
struct Filled {
    ty: RowType,
    matrix: Option<Matrix>,
    error: Option<(usize, u64, ReadError)>,
}

/// The second pass, in parallel over row types: each thread takes the next type (kept types
/// first, they cost the most) and [`fill_type`]s it.
fn fill_all(read: &[ReadFile<'_>], layout: &Layout, keep: RowTypes, threads: usize) -> Vec<Filled> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let order: Vec<RowType> = keep
        .iter()
        .chain(RowType::ALL.into_iter().filter(|t| !keep.contains(*t)))
        .collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        // One staging buffer per thread, reused for every type and file.
        let mut stage = Stage::default();
        while let Some(&ty) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push(fill_type(read, layout, ty, keep.contains(ty), &mut stage));
        }
        done
    };
    std::thread::scope(|s| {
        let others: Vec<_> = (1..threads.min(order.len()))
            .map(|_| s.spawn(work))
            .collect();
        let mut all = work();
        for h in others {
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        all
    })
}

/// One file's rows of one type, parsed, before they are laid out: row-major codes (one row
/// per kept line, one code per file column), each row's axis index, and the cells coded
/// [`ELSEWHERE`] as (row, column, value).
#[derive(Default)]
struct Stage {
    codes: Vec<u16>,
    at: Vec<usize>,
    elsewhere: Vec<(usize, usize, f64)>,
    /// The row being parsed's [`ELSEWHERE`] cells, before they join `elsewhere`.
    row: Vec<(usize, f64)>,
}

/// Check every row of type `ty` in every file; if `kept`, parse them into a `[column][hour]`
/// matrix. A file's rows are parsed into `stage` first and then copied column by column, so
/// that both the parsing and the writes into each column's series are sequential (writing
/// each value straight to its column would touch a page per value).
fn fill_type(
    read: &[ReadFile<'_>],
    layout: &Layout,
    ty: RowType,
    kept: bool,
    stage: &mut Stage,
) -> Filled {
    let hours = layout.hours;
    let mut matrix = Matrix::default();
    if kept {
        matrix.codes = vec![MISSING; layout.columns.len() * hours];
    }
    for (fi, (f, map)) in read.iter().zip(&layout.maps).enumerate() {
        let n = f.ix.columns.len();
        stage.codes.clear();
        stage.at.clear();
        stage.elsewhere.clear();
        for line in f.ix.lines.iter().filter(|l| l.ty == ty) {
            let r = if kept {
                let s = stage.codes.len();
                stage.codes.resize(s + n, MISSING);
                stage.row.clear();
                let out = RowOut {
                    codes: &mut stage.codes[s..],
                    elsewhere: &mut stage.row,
                };
                let r = line_cells(f.path, &f.bytes, &f.ix.columns, line, Some(out));
                let row = stage.at.len();
                stage
                    .elsewhere
                    .extend(stage.row.iter().map(|&(k, v)| (row, k, v)));
                stage.at.push((line.hour - layout.lo) as usize);
                r
            } else {
                line_cells(f.path, &f.bytes, &f.ix.columns, line, None)
            };
            if let Err(e) = r {
                return Filled {
                    ty,
                    matrix: None,
                    error: Some((fi, line.lno, e)),
                };
            }
        }
        if !kept {
            continue;
        }
        for (ci, &dst) in map.iter().enumerate() {
            let series = &mut matrix.codes[dst * hours..(dst + 1) * hours];
            for (&h, row) in stage.at.iter().zip(stage.codes.chunks_exact(n)) {
                series[h] = row[ci];
            }
        }
        for &(row, k, v) in &stage.elsewhere {
            matrix.elsewhere.insert(map[k] * hours + stage.at[row], v);
        }
    }
    Filled {
        ty,
        matrix: kept.then_some(matrix),
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "date,hour,type,1001A,1002A\n20250101,0,AQI,62,\n20250101,0,PM2.5,31,1.5\n20250101,1,PM2.5,,7\n";

    fn p() -> &'static Path {
        Path::new("china_sites_20250101.csv")
    }

    #[test]
    fn parses_and_keeps() {
        let f = parse_wide(p(), OK.as_bytes(), RowTypes::HOURLY_POLLUTANTS).unwrap();
        assert_eq!(f.columns, vec!["1001A", "1002A"]);
        assert_eq!(f.rows.len(), 2);
        assert_eq!(f.rows[0].values[0], 31.0);
        assert_eq!(f.rows[0].values[1], 1.5);
        assert!(f.rows[1].values[0].is_nan());
        assert_eq!(f.rows[1].line, 4);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"1.1"), Some(1.1));
        assert_eq!(parse_number(b"0.35"), Some(0.35));
        assert_eq!(parse_number(b"-3"), Some(-3.0));
        assert_eq!(parse_number(b"12."), Some(12.0));
        assert_eq!(parse_number(b"1e3"), None);
        assert_eq!(parse_number(b"NA"), None);
        assert_eq!(parse_number(b"."), None);
        assert_eq!(parse_number(b"1.2.3"), None);
        for s in ["0.1", "2.675", "1005", "0.05", "123.456"] {
            assert_eq!(parse_number(s.as_bytes()), s.parse().ok(), "{s}");
        }
    }

    /// The word-at-a-time parser gives, bit for bit, what `parse_number` gives (and refuses
    /// what it refuses): every cell of up to 5 characters over `0 1 5 9 . -`, long cells, each
    /// alone and all of them in rows (cells straddle the 64-byte blocks at many offsets).
    #[test]
    fn fast_cells_agree_with_parse_number() {
        let mut cells: Vec<Vec<u8>> = vec![Vec::new()];
        let mut last: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|c| {
                    b"0159.-"
                        .iter()
                        .map(move |&x| [c.as_slice(), &[x]].concat())
                })
                .collect();
            cells.extend(last.iter().cloned());
        }
        for long in [
            "1234567",
            "12345678",
            "123.4567",
            "0.000001",
            "99999999999",
            "-12.5",
            "16383",
            "16384",
            "1.6381",
            "0.0001",
        ] {
            cells.push(long.as_bytes().to_vec());
        }
        let want = |c: &[u8]| {
            if c.is_empty() {
                Some(f64::NAN)
            } else {
                parse_number(c)
            }
        };
        // Parse a row of cells; decode as the series do.
        let parse = |row: &[u8], n: usize| -> Result<Vec<f64>, usize> {
            let mut codes = vec![0u16; n];
            let mut elsewhere = Vec::new();
            let mut out = RowOut {
                codes: &mut codes,
                elsewhere: &mut elsewhere,
            };
            parse_plain_cells(row, &mut out)?;
            let mut v: Vec<f64> = codes.iter().map(|&c| decode(c)).collect();
            for (k, x) in elsewhere {
                assert_eq!(codes[k], ELSEWHERE);
                v[k] = x;
            }
            Ok(v)
        };
        for c in &cells {
            match want(c) {
                Some(w) => {
                    let got = parse(c, 1).unwrap();
                    assert_eq!(got[0].to_bits(), w.to_bits(), "{c:?}");
                }
                None => assert_eq!(parse(c, 1), Err(0), "{c:?}"),
            }
        }
        let good: Vec<&Vec<u8>> = cells.iter().filter(|c| want(c).is_some()).collect();
        for chunk in good.chunks(97) {
            let row = chunk
                .iter()
                .map(|c| c.as_slice())
                .collect::<Vec<_>>()
                .join(&b","[..]);
            let got = parse(&row, chunk.len()).unwrap();
            for (c, o) in chunk.iter().zip(&got) {
                assert_eq!(o.to_bits(), want(c).unwrap().to_bits(), "{c:?}");
            }
        }
        // Codes: what fits is stored as written, the rest elsewhere.
        assert_eq!(encode(16383, 2), Some(0xBFFF));
        assert_eq!(encode(16381, 3), Some(0xFFFD));
        assert_eq!(encode(16382, 3), None);
        assert_eq!(encode(16384, 0), None);
        assert_eq!(encode(5, 4), None);
        assert_eq!(decode(encode(7, 1).unwrap()).to_bits(), 0.7f64.to_bits());
    }

    fn err(text: &str) -> String {
        parse_wide(p(), text.as_bytes(), RowTypes::HOURLY_POLLUTANTS)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(
            err("date,hour,type,1001A,1002A\n20250101,0,PM2.5,3x,1\n"),
            "china_sites_20250101.csv:2: column 4 (1001A): not a number: \"3x\""
        );
        assert!(
            err("date,hour,type,1001A,1002A\n20250101,0,PM2.5,3\n")
                .contains(":2: expected 5 fields")
        );
        assert!(
            err("date,hour,type,1001A,1002A\n20250101,0,PM2.5,3,4,5\n")
                .contains(":2: expected 5 fields")
        );
        assert!(
            err("date,hour,type,1001A,1002A\n20250101,0,PM2\n").contains(":2: expected 5 fields")
        );
        assert!(
            err("date,hour,type,1001A,1002A\n20250101,0,PM3,3,4\n")
                .contains(":2: column 3 (type): unknown type")
        );
        assert!(
            err("date,hour,type,1001A,1002A\n20250132,0,PM2.5,3,4\n")
                .contains("column 1 (date): bad date")
        );
        assert!(
            err("date,hour,type,1001A,1002A\n20250101,24,PM2.5,3,4\n")
                .contains("column 2 (hour): bad hour")
        );
        assert!(
            err("date,hour,type,1001A,1002A\n20250101,0,PM2.5,3,4\n20250101,0,PM2.5,3,4\n")
                .contains(
                    ":3: duplicated row 20250101 0 PM2.5, first seen at china_sites_20250101.csv:2"
                )
        );
        assert!(err("datum,hour,type,1001A\n").contains(":1: bad header"));
        assert!(err("date,hour,type,1001A,1001A\n").contains("repeats column 4"));
        assert!(err("").contains("empty file"));
        // An unwanted row is checked as strictly as a kept one.
        assert!(err("date,hour,type,1001A,1002A\n20250101,0,AQI,x,4\n").contains("not a number"));
    }
}

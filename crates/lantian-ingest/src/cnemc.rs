//! CNEMC wide hourly files: `china_sites_YYYYMMDD.csv` and `china_cities_YYYYMMDD.csv`.
//!
//! Format (STANDARDS.md §5.1): header `date,hour,type,<codes…>`; one row per hour (0..23) and
//! type (15 types: `AQI, PM2.5, PM2.5_24h, …, CO, CO_24h`); empty cell = missing; µg/m³, CO
//! mg/m³. `hour` h labels the hour ENDING at h:00, so hour 0 of the file for D+1 is hour 24
//! of day D.
//!
//! The reader is strict: a wrong header, a line with the wrong number of fields (a truncated
//! file), a bad date or hour, an unknown type, a cell that is not a number, or a row that
//! appears twice (in one file or across files) is an error naming file, line and column. It
//! is also fast — a month of national data is 59 MB — so it scans bytes itself instead of
//! going through a general CSV parser; the format has no quoting to handle.

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

/// 1 for a byte that cannot appear in a row of numbers (anything but `0-9 . , -`).
const NOT_NUMERIC: [u8; 256] = {
    let mut t = [1u8; 256];
    let mut c = b'0';
    while c <= b'9' {
        t[c as usize] = 0;
        c += 1;
    }
    t[b'.' as usize] = 0;
    t[b',' as usize] = 0;
    t[b'-' as usize] = 0;
    t
};

/// Parse the comma-separated cells of `rest` (at most `max` are looked at; the count returned
/// may exceed it), pushing values to `out` when given. One pass over the bytes, splitting and
/// converting at once: cells are 0–5 bytes, so searching for the next comma costs more than
/// it saves. A cell that is not a number is returned as `Err((index, cell))`.
fn parse_cells<'a>(
    rest: &'a [u8],
    max: usize,
    mut out: Option<&mut Vec<f64>>,
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
                        // ≤ 15 digits fit in i64, whose conversion is one instruction;
                        // integers (most cells) need no division.
                        if frac == 0 {
                            mant as i64 as f64
                        } else {
                            mant as i64 as f64 / POW10[frac]
                        }
                    } else if cell.is_empty() {
                        f64::NAN
                    } else {
                        // Anything unusual (a sign, a second dot, > 15 digits) decides here.
                        parse_number(cell).ok_or((k, cell))?
                    };
                    if let Some(o) = out.as_deref_mut() {
                        o.push(v);
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

fn lines(bytes: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.strip_suffix(b"\r").unwrap_or(l)))
}

/// Parse one wide file's bytes, keeping the rows in `keep`.
pub fn parse_wide(path: &Path, bytes: &[u8], keep: RowTypes) -> Result<WideFile, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut it = lines(bytes);
    let header = match it.next() {
        Some((_, h)) if !h.is_empty() => h,
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
    let columns: Vec<String> = names[3..].iter().map(|s| s.trim().to_owned()).collect();
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
    let ncol = columns.len();
    let expected = ncol + 3;
    let mut rows = Vec::new();
    let mut seen: HashMap<(i64, u8), u64> = HashMap::new();
    let mut last_date: Option<(&[u8], Date)> = None;
    for (lno, line) in it {
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
        let damaged = |e: ReadError| {
            let found = line.split(|&b| b == b',').count();
            if found == expected {
                e
            } else {
                ReadError::line(path, lno, ReadErrorKind::FieldCount { expected, found })
            }
        };
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
        let want = keep.contains(ty);
        let mut values = if want {
            Vec::with_capacity(ncol)
        } else {
            Vec::new()
        };
        // The cells start after the third comma; the three fields before are d, h and t.
        let rest = line
            .get(d.len() + h.len() + t.len() + 3..)
            .unwrap_or_default();
        // Rows this command does not use are only checked for their characters and their
        // field count: a branch-free scan, because a month of files is 22 M cells. Rows it
        // uses are parsed cell by cell, and any row with a bad character is parsed that way
        // too, so that the error names the exact cell.
        let (odd, commas) = if want {
            (1, 0)
        } else {
            rest.iter().fold((0u8, 0usize), |(odd, n), &c| {
                (odd | NOT_NUMERIC[c as usize], n + usize::from(c == b','))
            })
        };
        let n = if odd == 0 {
            3 + 1 + commas
        } else {
            match parse_cells(
                rest,
                expected - 3,
                if want { Some(&mut values) } else { None },
            ) {
                Ok(cells) => 3 + cells,
                Err((k, cell)) => {
                    return Err(damaged(ReadError::cell(
                        path,
                        lno,
                        k + 4,
                        &columns[k],
                        ReadErrorKind::BadNumber(String::from_utf8_lossy(cell).into_owned()),
                    )));
                }
            }
        };
        if n != expected {
            let found = line.split(|&b| b == b',').count();
            return Err(ReadError::line(
                path,
                lno,
                ReadErrorKind::FieldCount { expected, found },
            ));
        }
        if want {
            rows.push(WideRow {
                hour: stamp,
                ty,
                line: lno,
                values,
            });
        }
    }
    Ok(WideFile {
        path: path.to_owned(),
        columns,
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
    /// One matrix per kept type (file order of [`RowType::ALL`]): `[col * hours + h]`, NaN
    /// where missing.
    data: Vec<Option<Vec<f64>>>,
}

impl HourlyData {
    /// The series of `col` for row type `ty` (NaN = missing), or `None` if `ty` was not read.
    pub fn series(&self, ty: RowType, col: usize) -> Option<&[f64]> {
        let m = self.data.get(ty as usize)?.as_ref()?;
        m.get(col * self.hours..(col + 1) * self.hours)
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
    let parsed = parse_all(&files, keep, threads.max(1))?;
    merge(files, parsed, keep)
}

fn parse_all(
    files: &[PathBuf],
    keep: RowTypes,
    threads: usize,
) -> Result<Vec<WideFile>, ReadError> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<WideFile, ReadError>>>> =
        Mutex::new(vec![None; files.len()]);
    std::thread::scope(|s| {
        for _ in 0..threads.min(files.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let r = std::fs::read(path)
                        .map_err(|e| ReadError::file(path, ReadErrorKind::Io(e.to_string())))
                        .and_then(|bytes| parse_wide(path, &bytes, keep));
                    let failed = r.is_err();
                    if let Ok(mut g) = results.lock() {
                        g[i] = Some(r);
                    }
                    if failed {
                        // Stop handing out work; the first error in file order is reported.
                        next.store(usize::MAX / 2, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let mut out = Vec::with_capacity(files.len());
    for r in results {
        match r {
            Some(Ok(f)) => out.push(f),
            Some(Err(e)) => return Err(e),
            None => {} // not reached because an earlier file failed; its error follows
        }
    }
    if out.len() != files.len() {
        // Unreachable unless a worker panicked; report rather than return partial data.
        return Err(ReadError::file(
            &files[0],
            ReadErrorKind::Io("a reader thread failed".into()),
        ));
    }
    Ok(out)
}

fn merge(
    files: Vec<PathBuf>,
    parsed: Vec<WideFile>,
    keep: RowTypes,
) -> Result<HourlyData, ReadError> {
    let kind = kind_of(&parsed[0].path, &parsed[0].columns);
    let mut columns: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut maps: Vec<Vec<usize>> = Vec::with_capacity(parsed.len());
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    let mut seen: HashMap<(i64, RowType), (usize, u64)> = HashMap::new();
    for (fi, f) in parsed.iter().enumerate() {
        let k = kind_of(&f.path, &f.columns);
        if k != kind {
            return Err(ReadError::file(
                &f.path,
                ReadErrorKind::BadHeader(
                    "station files and city files cannot be mixed in one run".into(),
                ),
            ));
        }
        let mut map = Vec::with_capacity(f.columns.len());
        for (ci, c) in f.columns.iter().enumerate() {
            if kind == FileKind::Sites && !is_station_code(c) {
                return Err(ReadError::cell(
                    &f.path,
                    1,
                    ci + 4,
                    c,
                    ReadErrorKind::UnknownCode(c.clone()),
                ));
            }
            let idx = *index.entry(c.clone()).or_insert_with(|| {
                columns.push(c.clone());
                columns.len() - 1
            });
            map.push(idx);
        }
        maps.push(map);
        for r in &f.rows {
            if let Some((pf, pl)) = seen.insert((r.hour.hours(), r.ty), (fi, r.line)) {
                return Err(ReadError::line(
                    &f.path,
                    r.line,
                    ReadErrorKind::Duplicate {
                        what: format!("{} {}", r.hour, r.ty.label()),
                        first: format!("{}:{pl}", parsed[pf].path.display()),
                    },
                ));
            }
            lo = lo.min(r.hour.hours());
            hi = hi.max(r.hour.hours());
        }
    }
    let hours = if lo > hi { 0 } else { (hi - lo + 1) as usize };
    let start = HourStamp::from_hours(if lo > hi { 0 } else { lo });
    let ncol = columns.len();
    // One dense matrix per kept type, filled on its own thread (the types are independent).
    let types: Vec<RowType> = keep.iter().collect();
    let fill = |t: RowType| -> Vec<f64> {
        let mut m = vec![f64::NAN; ncol * hours];
        for (f, map) in parsed.iter().zip(&maps) {
            let rows: Vec<(usize, &[f64])> = f
                .rows
                .iter()
                .filter(|r| r.ty == t)
                .map(|r| ((r.hour.hours() - lo) as usize, r.values.as_slice()))
                .collect();
            // Column by column, so that the writes into each column's series are contiguous
            // (the rows of one file stay in cache while they are read across).
            for (ci, &dst) in map.iter().enumerate() {
                let base = dst * hours;
                for &(h, vals) in &rows {
                    m[base + h] = vals[ci];
                }
            }
        }
        m
    };
    let filled: Vec<(RowType, Vec<f64>)> = std::thread::scope(|s| {
        let half = types.len().div_ceil(2);
        let (a, b) = types.split_at(half);
        let other = s.spawn(|| b.iter().map(|&t| (t, fill(t))).collect::<Vec<_>>());
        let mut out: Vec<(RowType, Vec<f64>)> = a.iter().map(|&t| (t, fill(t))).collect();
        out.extend(
            other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        );
        out
    });
    drop(parsed);
    let mut data: Vec<Option<Vec<f64>>> = vec![None; RowType::ALL.len()];
    for (t, m) in filled {
        data[t as usize] = Some(m);
    }
    Ok(HourlyData {
        kind,
        columns,
        start,
        hours,
        files,
        types: keep,
        data,
    })
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

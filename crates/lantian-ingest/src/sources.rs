//! The source registry (污染源台账) from CSV (`lantian import sources FILE.csv`).
//!
//! Header names may be English or the Chinese ones registries use:
//! `id`/`编号`, `name`/`名称`, `kind`/`类型`, `lon`/`经度`, `lat`/`纬度`, `unit`/`责任单位`,
//! `status`/`状态`, `vocs`/`涉VOCs`, `industry`/`行业`, `grid`/`网格`. Required: id, name, kind.
//! A source without `grid` is placed by its position (point in polygon) by the importer.
//!
//! Files saved by Chinese Excel are often GB18030, not UTF-8: they are decoded as such when
//! they are not valid UTF-8. Every bad row is reported with its line and column; the caller
//! decides whether a file with bad rows is refused whole (the default) or imported without
//! them (`--skip-bad`).

use crate::error::{ReadError, ReadErrorKind};
use lantian_domain::geo::Point;
use lantian_domain::source::{Source, SourceKind};
use lantian_domain::{RegionCode, SourceId, UnitCode};
use std::path::Path;

/// Decode bytes as UTF-8 (BOM stripped), or as GB18030 when they are not UTF-8.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

const COLS: [(&str, &str); 10] = [
    ("id", "编号"),
    ("name", "名称"),
    ("kind", "类型"),
    ("lon", "经度"),
    ("lat", "纬度"),
    ("unit", "责任单位"),
    ("status", "状态"),
    ("vocs", "涉VOCs"),
    ("industry", "行业"),
    ("grid", "网格"),
];

/// Rows read and rows refused.
#[derive(Debug, Default)]
pub struct SourceRows {
    /// Good rows with their line numbers.
    pub rows: Vec<(u64, Source)>,
    /// One error per bad row.
    pub bad: Vec<ReadError>,
}

/// Parse a source registry from CSV or, when `path` ends in `.xlsx`, from the first sheet of
/// an Excel workbook. A wrong header is an error for the whole file; bad rows are collected in
/// [`SourceRows::bad`].
pub fn parse_sources(path: &Path, bytes: &[u8]) -> Result<SourceRows, ReadError> {
    let is_xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let table = if is_xlsx {
        xlsx_table(path, bytes)?
    } else {
        csv_table(path, bytes)?
    };
    parse_table(path, table)
}

/// A table as text: the header and the rows with their 1-based line (row) numbers.
type Table = (Vec<String>, Vec<(u64, Result<Vec<String>, String>)>);

fn csv_table(path: &Path, bytes: &[u8]) -> Result<Table, ReadError> {
    let text = decode_text(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .map_err(|e| ReadError::line(path, 1, ReadErrorKind::BadHeader(e.to_string())))?
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = rdr
        .records()
        .enumerate()
        .map(|(n, r)| {
            (
                n as u64 + 2,
                r.map(|r| r.iter().map(str::to_owned).collect())
                    .map_err(|e| e.to_string()),
            )
        })
        .collect();
    Ok((header, rows))
}

fn xlsx_table(path: &Path, bytes: &[u8]) -> Result<Table, ReadError> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| {
        ReadError::file(
            path,
            ReadErrorKind::BadHeader(format!("not a readable .xlsx workbook: {e}")),
        )
    })?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| ReadError::file(path, ReadErrorKind::Empty))?
        .map_err(|e| {
            ReadError::file(path, ReadErrorKind::BadHeader(format!("first sheet: {e}")))
        })?;
    let text = |d: &Data| match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Integral numbers (ids, codes typed as numbers) print without ".0".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    };
    let mut rows = range.rows();
    let header = rows
        .next()
        .map(|r| r.iter().map(text).collect())
        .ok_or_else(|| ReadError::file(path, ReadErrorKind::Empty))?;
    let first = range.start().map_or(0, |(r, _)| u64::from(r));
    let rows = rows
        .enumerate()
        .map(|(n, r)| (first + n as u64 + 2, Ok(r.iter().map(text).collect())))
        .collect();
    Ok((header, rows))
}

fn parse_table(path: &Path, (header, records): Table) -> Result<SourceRows, ReadError> {
    let mut idx = [None; 10];
    for (i, h) in header.iter().enumerate() {
        let h = h.trim();
        if let Some(k) = COLS
            .iter()
            .position(|(en, zh)| h.eq_ignore_ascii_case(en) || h == *zh)
        {
            idx[k] = Some(i);
        }
    }
    for k in 0..3 {
        if idx[k].is_none() {
            return Err(ReadError::line(
                path,
                1,
                ReadErrorKind::BadHeader(format!("missing column `{}` ({})", COLS[k].0, COLS[k].1)),
            ));
        }
    }
    let mut out = SourceRows::default();
    for (line, rec) in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.bad
                    .push(ReadError::line(path, line, ReadErrorKind::BadHeader(e)));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue; // blank rows at the end of a sheet
        }
        let get = |k: usize| {
            idx[k]
                .and_then(|i| rec.get(i))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let cell_err = |k: usize, kind| {
            ReadError::cell(path, line, idx[k].map_or(0, |i| i + 1), COLS[k].0, kind)
        };
        let row = (|| -> Result<Source, ReadError> {
            let id = SourceId::parse(get(0).unwrap_or(""))
                .map_err(|e| cell_err(0, ReadErrorKind::UnknownCode(e.to_string())))?;
            let name = get(1)
                .ok_or_else(|| cell_err(1, ReadErrorKind::BadHeader("empty".into())))?
                .to_owned();
            let kind_s = get(2).unwrap_or("");
            let kind = SourceKind::parse(kind_s)
                .ok_or_else(|| cell_err(2, ReadErrorKind::UnknownCode(kind_s.into())))?;
            let num = |k: usize| -> Result<Option<f64>, ReadError> {
                get(k)
                    .map(|v| {
                        v.parse::<f64>()
                            .map_err(|_| cell_err(k, ReadErrorKind::BadNumber(v.into())))
                    })
                    .transpose()
            };
            let location = match (num(3)?, num(4)?) {
                (Some(lon), Some(lat)) => Some(
                    Point::new(lon, lat)
                        .map_err(|e| cell_err(3, ReadErrorKind::BadNumber(e.to_string())))?,
                ),
                (None, None) => None,
                _ => {
                    return Err(cell_err(
                        4,
                        ReadErrorKind::BadHeader(
                            "give both longitude and latitude, or neither".into(),
                        ),
                    ));
                }
            };
            let unit = get(5)
                .map(UnitCode::parse)
                .transpose()
                .map_err(|e| cell_err(5, ReadErrorKind::UnknownCode(e.to_string())))?;
            let vocs = match get(7) {
                None => false,
                Some("1" | "是" | "Y" | "y" | "true" | "yes") => true,
                Some("0" | "否" | "N" | "n" | "false" | "no") => false,
                Some(other) => {
                    return Err(cell_err(
                        7,
                        ReadErrorKind::BadHeader(format!("expected 是/否, found {other:?}")),
                    ));
                }
            };
            let grid = get(9)
                .map(RegionCode::parse)
                .transpose()
                .map_err(|e| cell_err(9, ReadErrorKind::UnknownCode(e.to_string())))?;
            Ok(Source {
                id,
                name,
                kind,
                location,
                grid,
                unit,
                status: get(6).unwrap_or("").to_owned(),
                vocs,
                industry: get(8).map(str::to_owned),
            })
        })();
        match row {
            Ok(s) => out.rows.push((line, s)),
            Err(e) => out.bad.push(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_headers_and_bad_rows() {
        let csv = "编号,名称,类型,经度,纬度,责任单位,状态,涉VOCs,行业\n\
                   S1,李万住宅项目,工地,113.25,35.18,CGAIZX,在建,否,\n\
                   S2,焦作化工,涉气企业,113.26,35.19,KGZX,生产,是,化工\n\
                   S3,坏行,火山,113.26,35.19,KGZX,生产,否,\n\
                   S4,坏坐标,餐饮,abc,35.19,CGZX,营业,否,\n";
        let r = parse_sources(Path::new("s.csv"), csv.as_bytes()).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert!(r.rows[1].1.vocs);
        assert_eq!(r.rows[1].1.kind, SourceKind::Enterprise);
        assert_eq!(r.bad.len(), 2);
        assert_eq!(
            r.bad[0].to_string(),
            "s.csv:4: column 3 (kind): unknown code \"火山\""
        );
        assert_eq!(
            r.bad[1].to_string(),
            "s.csv:5: column 4 (lon): not a number: \"abc\""
        );
    }

    #[test]
    fn xlsx_first_sheet() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["编号", "名称", "类型", "经度", "纬度", "责任单位"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "S1").unwrap();
        ws.write_string(1, 1, "阳庙散煤点").unwrap();
        ws.write_string(1, 2, "燃煤散烧").unwrap();
        ws.write_number(1, 3, 113.3).unwrap();
        ws.write_number(1, 4, 35.16).unwrap();
        ws.write_string(1, 5, "NYNCZX").unwrap();
        ws.write_number(2, 0, 1002.0).unwrap(); // an id typed as a number
        ws.write_string(2, 1, "坏类型").unwrap();
        ws.write_string(2, 2, "???").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let r = parse_sources(Path::new("s.xlsx"), &bytes).unwrap();
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.rows[0].1.kind, SourceKind::CoalBurning);
        assert_eq!(
            r.rows[0].1.location,
            Some(Point {
                lon: 113.3,
                lat: 35.16
            })
        );
        assert_eq!(
            r.bad[0].to_string(),
            "s.xlsx:3: column 3 (kind): unknown code \"???\""
        );
        assert!(parse_sources(Path::new("s.xlsx"), b"not a zip").is_err());
    }

    #[test]
    fn gb18030_and_missing_columns() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("编号,名称,类型\nS1,文苑餐馆,餐饮\n");
        let r = parse_sources(Path::new("s.csv"), &bytes).unwrap();
        assert_eq!(r.rows[0].1.name, "文苑餐馆");
        let e = parse_sources(Path::new("s.csv"), "编号,名称\nS1,x\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("missing column `kind` (类型)"));
    }
}

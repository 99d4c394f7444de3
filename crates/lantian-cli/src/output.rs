//! Rendering tables as aligned text, CSV or JSON, and writing files atomically.

use crate::cli::{Format, Lang};
use std::io::Write;
use std::path::Path;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    /// A number and the decimals it is published with (used by the table format).
    Num(f64, u32),
    Int(i64),
    Empty,
}

impl Cell {
    pub(crate) fn opt(v: Option<f64>, decimals: u32) -> Cell {
        v.map_or(Cell::Empty, |v| Cell::Num(v, decimals))
    }

    pub(crate) fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
}

/// A column: its JSON/English key and its labels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

pub(crate) const fn col(key: &'static str, zh: &'static str, en: &'static str) -> Col {
    Col { key, zh, en }
}

/// A table to render.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub cols: Vec<Col>,
    pub rows: Vec<Vec<Cell>>,
    /// Lines printed after the table (table format only), e.g. totals.
    pub notes: Vec<String>,
}

/// Display width: CJK and full-width characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

/// Numbers in the table format are rounded the way they are published: half up at the
/// published precision (CNEMC city values, bulletin figures).
fn fmt_table(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Num(v, d) => format!("{:.*}", *d as usize, lantian_aq::round::half_up(*v, *d)),
        Cell::Int(i) => i.to_string(),
        Cell::Empty => "—".into(),
    }
}

/// CSV and JSON carry full precision (4 decimals, like the peers' output).
fn fmt_full(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Num(v, _) => {
            let s = format!("{v:.4}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".into() } else { s.to_owned() }
        }
        Cell::Int(i) => i.to_string(),
        Cell::Empty => String::new(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

impl Table {
    pub(crate) fn render(&self, format: Format, lang: Lang) -> Vec<u8> {
        let label = |c: &Col| match lang {
            Lang::Zh => c.zh,
            Lang::En => c.en,
        };
        let mut out = Vec::new();
        match format {
            Format::Table => {
                let cells: Vec<Vec<String>> = self
                    .rows
                    .iter()
                    .map(|r| r.iter().map(fmt_table).collect())
                    .collect();
                let mut w: Vec<usize> = self.cols.iter().map(|c| width(label(c))).collect();
                for r in &cells {
                    for (i, s) in r.iter().enumerate() {
                        w[i] = w[i].max(width(s));
                    }
                }
                let line =
                    |out: &mut Vec<u8>, items: &mut dyn Iterator<Item = (usize, &str, bool)>| {
                        let mut s = String::new();
                        for (i, t, right) in items {
                            if i > 0 {
                                s.push_str("  ");
                            }
                            let pad = " ".repeat(w[i] - width(t));
                            if right {
                                s.push_str(&pad);
                                s.push_str(t);
                            } else {
                                s.push_str(t);
                                s.push_str(&pad);
                            }
                        }
                        let _ = writeln!(out, "{}", s.trim_end());
                    };
                line(
                    &mut out,
                    &mut self
                        .cols
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (i, label(c), false)),
                );
                for (r, row) in cells.iter().zip(&self.rows) {
                    line(
                        &mut out,
                        &mut r
                            .iter()
                            .enumerate()
                            .map(|(i, s)| (i, s.as_str(), !matches!(row[i], Cell::Text(_)))),
                    );
                }
                for n in &self.notes {
                    let _ = writeln!(out, "{n}");
                }
            }
            Format::Csv => {
                // A BOM so that Excel, which most officials open CSV with, reads UTF-8 Chinese.
                out.extend_from_slice(b"\xEF\xBB\xBF");
                let hdr: Vec<String> = self.cols.iter().map(|c| csv_field(label(c))).collect();
                let _ = writeln!(out, "{}", hdr.join(","));
                for r in &self.rows {
                    let f: Vec<String> = r.iter().map(|c| csv_field(&fmt_full(c))).collect();
                    let _ = writeln!(out, "{}", f.join(","));
                }
            }
            Format::Json => {
                let arr: Vec<serde_json::Value> = self
                    .rows
                    .iter()
                    .map(|r| {
                        let mut m = serde_json::Map::new();
                        for (c, v) in self.cols.iter().zip(r) {
                            let j = match v {
                                Cell::Text(s) => serde_json::Value::String(s.clone()),
                                Cell::Num(x, _) => fmt_full(v)
                                    .parse::<f64>()
                                    .ok()
                                    .and_then(serde_json::Number::from_f64)
                                    .map_or(serde_json::Value::Null, |n| {
                                        let _ = x;
                                        serde_json::Value::Number(n)
                                    }),
                                Cell::Int(i) => serde_json::Value::from(*i),
                                Cell::Empty => serde_json::Value::Null,
                            };
                            m.insert(c.key.to_owned(), j);
                        }
                        serde_json::Value::Object(m)
                    })
                    .collect();
                let _ = serde_json::to_writer_pretty(&mut out, &arr);
                out.push(b'\n');
            }
        }
        out
    }
}

/// Write `bytes` to `path` atomically: a temporary file beside it, synced, then renamed over
/// it. On any failure the temporary file is removed and `path` is untouched.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = Table {
            cols: vec![col("city", "城市", "City"), col("pm25", "PM2.5", "PM2.5")],
            rows: vec![
                vec![Cell::text("焦作"), Cell::Num(52.5, 0)],
                vec![Cell::text("a,b"), Cell::Empty],
            ],
            notes: vec![],
        };
        let s = String::from_utf8(t.render(Format::Table, Lang::Zh)).unwrap();
        assert_eq!(s, "城市  PM2.5\n焦作     53\na,b       —\n");
        let s = String::from_utf8(t.render(Format::Csv, Lang::En)).unwrap();
        assert_eq!(s, "\u{feff}City,PM2.5\n焦作,52.5\n\"a,b\",\n");
        let s = String::from_utf8(t.render(Format::Json, Lang::En)).unwrap();
        assert!(s.contains("\"pm25\": 52.5"), "{s}");
        assert!(s.contains("\"pm25\": null"), "{s}");
    }
}

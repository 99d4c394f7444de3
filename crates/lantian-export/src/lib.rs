//! `lantian-export` — the ledgers as the files officials share (PRODUCT.md: "Excel (.xlsx)
//! export of every ledger and table: it is how this user base shares 台账"): the problem ledger
//! (问题台账), inspections (检查台账), enforcement cases (执法案件台账) and accountability
//! records (问责台账), each to Excel .xlsx and to CSV.
//!
//! Each ledger first becomes a [`Table`] (headers and typed cells, in the columns officials
//! use: 序号, 问题描述, 责任单位, 责任人, 发现时间, 整改时限, 整改状态, 核查人, 销号时间 …);
//! [`to_csv`] and [`to_xlsx`] render tables. Names, not codes: units, people, grids, sources and
//! campaign categories are looked up in [`Names`] (a code with no name is shown as the code).
//! Times are Asia/Shanghai `YYYY-MM-DD HH:MM`. Headers and labels in Chinese or English
//! ([`Lang`]).
//!
//! # Invariant
//! Pure functions from domain rows to bytes: no store, no I/O, no clock (the "as of" instant
//! that decides 是否超期 is a parameter). The same rows give the same bytes, except for the
//! timestamp rust_xlsxwriter writes into the workbook's document properties, which is fixed
//! here to the "as of" instant so an .xlsx is reproducible too.

mod tables;

pub use tables::{
    InspectionRow, accountability_table, cases_table, inspections_table, problems_table,
};

use lantian_domain::campaign::Catalog;
use lantian_domain::enforcement::Fen;
use lantian_domain::{PersonId, RegionCode, SourceId, Timestamp, UnitCode};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook};
use std::collections::BTreeMap;

/// Language of headers and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文 (the default for officials).
    Zh,
    /// English.
    En,
}

/// Names to show instead of codes.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Units.
    pub units: BTreeMap<UnitCode, String>,
    /// People.
    pub people: BTreeMap<PersonId, String>,
    /// Regions and grids.
    pub regions: BTreeMap<RegionCode, String>,
    /// Sources.
    pub sources: BTreeMap<SourceId, String>,
    /// Campaigns, for campaign and category names.
    pub campaigns: Catalog,
}

impl Names {
    /// A unit's name, or its code.
    pub fn unit(&self, u: &UnitCode) -> String {
        self.units.get(u).cloned().unwrap_or_else(|| u.to_string())
    }

    /// A person's name, or their id.
    pub fn person(&self, p: &PersonId) -> String {
        self.people.get(p).cloned().unwrap_or_else(|| p.to_string())
    }

    /// A region's name, or its code.
    pub fn region(&self, r: &RegionCode) -> String {
        self.regions
            .get(r)
            .cloned()
            .unwrap_or_else(|| r.to_string())
    }

    /// A source's name, or its id.
    pub fn source(&self, s: &SourceId) -> String {
        self.sources
            .get(s)
            .cloned()
            .unwrap_or_else(|| s.to_string())
    }

    /// A campaign's name, or its code.
    pub fn campaign(&self, code: &str, lang: Lang) -> String {
        self.campaigns.get(code).map_or_else(
            || code.to_owned(),
            |c| match lang {
                Lang::Zh => c.name_zh.clone(),
                Lang::En => c.name_en.clone(),
            },
        )
    }

    /// A category's name within its campaign, or the text stored.
    pub fn category(&self, campaign: &str, category: &str, lang: Lang) -> String {
        self.campaigns
            .get(campaign)
            .and_then(|c| c.category(category))
            .map_or_else(
                || category.to_owned(),
                |c| match lang {
                    Lang::Zh => c.name_zh.clone(),
                    Lang::En => c.name_en.clone(),
                },
            )
    }
}

/// A typed cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// A whole number (序号, counts, metres).
    Int(i64),
    /// Money: written as yuan with two decimals.
    Money(Fen),
}

/// One ledger as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name (≤ 31 characters, as Excel requires).
    pub sheet: &'static str,
    /// Column headers.
    pub headers: Vec<&'static str>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<Cell>>,
}

/// Why an export failed (only the workbook writer can fail).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The workbook writer refused.
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The CSV writer refused.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
}

/// Asia/Shanghai `YYYY-MM-DD HH:MM`.
pub fn local_minute(t: Timestamp) -> String {
    let s = t.local_seconds_of_day();
    format!("{} {:02}:{:02}", t.local_date(), s / 3600, s / 60 % 60)
}

/// The UTF-8 byte-order mark: without it Excel opens a UTF-8 CSV as the local ANSI code page
/// (GBK on Chinese Windows) and shows Chinese as mojibake (STACK.md pitfall 17).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A text cell that Excel would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is
/// prefixed with `'` — CSV injection (OWASP): descriptions come from public reports.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The table as CSV: UTF-8 with a BOM, CRLF line ends (RFC 4180), a header row.
pub fn to_csv(t: &Table) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    w.write_record(&t.headers)?;
    for r in &t.rows {
        w.write_record(r.iter().map(|c| match c {
            Cell::Empty => String::new(),
            Cell::Text(s) => csv_text(s),
            Cell::Int(n) => n.to_string(),
            Cell::Money(f) => f.to_string(),
        }))?;
    }
    w.into_inner()
        .map_err(|e| ExportError::Csv(csv::Error::from(e.into_error())))
}

/// Display width for column sizing: CJK and full-width characters count double.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

/// The tables as one workbook, one sheet each: bold header row frozen with a filter, columns
/// sized to their content, money as numbers formatted `0.00`. `as_of` is written as the
/// workbook's creation time so the same rows give the same bytes.
pub fn to_xlsx(tables: &[Table], as_of: Timestamp) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    // The document properties hold UTC: shift back by the offset and read the "local" date.
    let utc = as_of.plus_seconds(-lantian_domain::time::SHANGHAI_OFFSET_S);
    let (y, m, d) = utc.local_date().ymd();
    let secs = utc.local_seconds_of_day();
    let created = ExcelDateTime::from_ymd(u16::try_from(y).unwrap_or(1900), m as u8, d as u8)?
        .and_hms((secs / 3600) as u16, (secs / 60 % 60) as u8, secs % 60)?;
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let head = Format::new()
        .set_bold()
        .set_background_color("D9E1F2")
        .set_border(FormatBorder::Thin);
    let money = Format::new().set_num_format("0.00");
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(t.sheet)?;
        let mut widths: Vec<usize> = t.headers.iter().map(|h| width(h)).collect();
        for (c, h) in t.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &head)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                let w = match cell {
                    Cell::Empty => 0,
                    Cell::Text(s) => {
                        ws.write_string(r, col, s)?;
                        width(s)
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, col, *n as f64)?;
                        n.to_string().len()
                    }
                    Cell::Money(f) => {
                        ws.write_number_with_format(r, col, f.fen() as f64 / 100.0, &money)?;
                        f.to_string().len()
                    }
                };
                if let Some(m) = widths.get_mut(c) {
                    *m = (*m).max(w);
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w).clamp(4, 60) as f64 + 2.0)?;
        }
        ws.set_freeze_panes(1, 0)?;
        if !t.headers.is_empty() {
            ws.autofilter(0, 0, t.rows.len() as u32, t.headers.len() as u16 - 1)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

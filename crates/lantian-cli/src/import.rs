//! `lantian import …`: the station list, CNEMC hourly files, GeoJSON grids and the source
//! registry, into the store.
//!
//! Every importer reads and checks its whole input before it writes anything: a file with an
//! error is refused whole (unless `--skip-bad` where rows are independent), naming file, line
//! and field. Writes are idempotent upserts in transactions, so re-importing the same files
//! changes nothing, and a killed import re-run leaves exactly the rows of one clean import.

use crate::cli::UsageError;
use anyhow::Context;
use lantian_aq::Pollutant;
use lantian_domain::reading::{
    Origin, QualityFlag, QualityFlags, QualityRules, check_series, inverted_pm,
};
use lantian_domain::region::RegionTree;
use lantian_domain::{StationCode, Timestamp};
use lantian_ingest::cnemc::{FileKind, HourlyData, RowType, RowTypes, expand_paths, read_hourly};
use lantian_ingest::places;
use lantian_store::{CityItem, CityValue, HourlyValue, SourceFilter, Store};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

async fn tree<S: Store>(s: &S) -> anyhow::Result<Option<RegionTree>> {
    let regions = s.regions().await?;
    if regions.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        RegionTree::new(regions).context("the stored regions do not form a tree")?,
    ))
}

/// The CNEMC station list (default: the embedded 2022-02-13 list), placed into grids when
/// grids are loaded.
pub(crate) async fn stations<S: Store>(s: &S, file: Option<&Path>) -> anyhow::Result<String> {
    let list = match file {
        Some(p) => {
            let text = std::fs::read(p).map_err(|e| {
                lantian_ingest::ReadError::file(p, lantian_ingest::ReadErrorKind::Io(e.to_string()))
            })?;
            places::parse_station_list(p, &lantian_ingest::sources::decode_text(&text))?
        }
        None => places::embedded_stations(),
    };
    let tree = tree(s).await?;
    let mut out = Vec::with_capacity(list.len());
    for st in &list {
        let mut d = st
            .to_domain()
            .with_context(|| format!("station {}", st.code))?;
        d.grid = d
            .location
            .and_then(|p| tree.as_ref()?.grid_at(p))
            .map(|g| g.code.clone());
        out.push(d);
    }
    s.upsert_stations(&out).await?;
    let placed = out.iter().filter(|s| s.grid.is_some()).count();
    Ok(format!(
        "stations: {} upserted, {placed} placed in grids\n",
        out.len()
    ))
}

/// Natural days per transaction. The store keeps daily rollups on write; a batch holding
/// whole days (hours labelled 01..24) replaces their rollups outright, and bigger batches
/// amortise the per-batch rollup and latest-value work. Eight days of a month's national data
/// are 2026 stations × 192 h × 6 ≈ 2.3 M values: about 660 MB peak for the whole import (one
/// batch written while the next is built), and
/// 1.1–1.2 M values/s into SQLite where four-day batches gave 0.9 M/s (bench/import.sh).
const BATCH_DAYS: i32 = 8;

/// CNEMC files: `china_sites` files are station values (checked, stored as hourly values);
/// `china_cities` files are what CNEMC published for cities (stored as published city values,
/// for comparison, never mixed into the station values). A directory may hold both.
pub(crate) async fn cnemc<S: Store>(
    s: &S,
    paths: &[PathBuf],
    threads: usize,
    skip_bad: bool,
) -> anyhow::Result<String> {
    let files = expand_paths(paths)?;
    let (cities, sites): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("china_cities_"))
    });
    // Every file is read and checked before anything is written: city files first (they are
    // only read here), then the station files are read, checked and written.
    let city_data = if cities.is_empty() {
        None
    } else {
        Some(read_hourly(
            &cities,
            RowTypes::HOURLY_POLLUTANTS.with(RowType::Aqi),
            threads,
        )?)
    };
    let mut report = String::new();
    if !sites.is_empty() || cities.is_empty() {
        // (With no file at all, the reader names the path that had none.)
        let given: &[PathBuf] = if sites.is_empty() { paths } else { &sites };
        report.push_str(&cnemc_sites(s, given, threads, skip_bad).await?);
    }
    if let Some(data) = city_data {
        report.push_str(&cnemc_cities(s, &data).await?);
    }
    Ok(report)
}

/// `china_cities` files: the published city AQI and 1 h concentrations, one transaction per
/// [`BATCH_DAYS`] days. Nothing is checked beyond the file's own format: these are published
/// figures, kept as published.
async fn cnemc_cities<S: Store>(s: &S, data: &HourlyData) -> anyhow::Result<String> {
    if data.kind != FileKind::Cities {
        return Err(UsageError(format!(
            "{}: named china_cities_* but its columns are station codes",
            data.files
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ))
        .into());
    }
    let items: Vec<(RowType, CityItem)> = std::iter::once((RowType::Aqi, CityItem::Aqi))
        .chain(Pollutant::ALL.map(|p| (RowType::hourly(p), CityItem::Pollutant(p))))
        .collect();
    let mut written = 0u64;
    let mut batch = Vec::new();
    let mut h0 = 0;
    while h0 < data.hours {
        let first_day = data.hour_at(h0).day();
        let mut h1 = h0;
        while h1 < data.hours && data.hour_at(h1).day().days() < first_day.days() + BATCH_DAYS {
            h1 += 1;
        }
        batch.clear();
        for (col, city) in data.columns.iter().enumerate() {
            for &(ty, item) in &items {
                let Some(series) = data.series(ty, col) else {
                    continue;
                };
                for h in h0..h1 {
                    if let Some(&v) = series.get(h).filter(|v| v.is_finite()) {
                        batch.push(CityValue {
                            city: city.clone(),
                            hour: Timestamp::from_hour_stamp(data.hour_at(h)),
                            item,
                            value: v,
                        });
                    }
                }
            }
        }
        written += s.upsert_city_values(&batch).await?;
        h0 = h1;
    }
    Ok(format!(
        "cnemc cities: {} files, {} cities, {written} published values\n",
        data.files.len(),
        data.columns.len()
    ))
}

/// CNEMC `china_sites` files. Quality checks run over each station's whole series before
/// anything is written (flat lines and spikes need the neighbouring hours).
#[allow(clippy::needless_range_loop)] // an hour index addresses several parallel series
async fn cnemc_sites<S: Store>(
    s: &S,
    paths: &[PathBuf],
    threads: usize,
    skip_bad: bool,
) -> anyhow::Result<String> {
    let data = read_hourly(paths, RowTypes::HOURLY_POLLUTANTS, threads)?;
    if data.kind != FileKind::Sites {
        return Err(UsageError(format!(
            "{}: its columns are city names, not station codes; city files are imported as published city values only when named china_cities_*",
            data.files.first().map(|p| p.display().to_string()).unwrap_or_default()
        ))
        .into());
    }
    // Stations: known to the store, or national stations of the embedded list (added now).
    let known: HashMap<String, lantian_domain::station::Station> = s
        .stations()
        .await?
        .into_iter()
        .map(|st| (st.code.to_string(), st))
        .collect();
    let list: HashMap<String, places::Station> = places::embedded_stations()
        .into_iter()
        .map(|st| (st.code.clone(), st))
        .collect();
    let tree = tree(s).await?;
    let mut new_stations = Vec::new();
    let mut unknown = Vec::new();
    let mut cols: Vec<(usize, StationCode)> = Vec::new();
    for (i, code) in data.columns.iter().enumerate() {
        if known.contains_key(code) {
            cols.push((i, StationCode::parse(code)?));
        } else if let Some(st) = list.get(code) {
            let mut d = st.to_domain()?;
            d.grid = d
                .location
                .and_then(|p| tree.as_ref()?.grid_at(p))
                .map(|g| g.code.clone());
            cols.push((i, d.code.clone()));
            new_stations.push(d);
        } else {
            unknown.push(code.clone());
        }
    }
    if !unknown.is_empty() && !skip_bad {
        return Err(UsageError(format!(
            "unknown station code(s) {} in {}: not in the store nor the CNEMC station list (import them with `lantian import stations FILE`, or pass --skip-bad)",
            unknown.join(", "),
            data.files.first().map(|p| p.display().to_string()).unwrap_or_default()
        ))
        .into());
    }
    if !new_stations.is_empty() {
        s.upsert_stations(&new_stations).await?;
    }
    // Flags per station, pollutant and hour.
    let rules = QualityRules::default();
    let hours = data.hours;
    let mut flags: Vec<[Vec<QualityFlags>; 6]> = Vec::with_capacity(cols.len());
    let mut flagged = 0usize;
    for &(col, _) in &cols {
        let series = |p: Pollutant| -> Vec<Option<f64>> {
            data.series(RowType::hourly(p), col)
                .map_or_else(Vec::new, |v| {
                    v.into_iter().map(|x| x.is_finite().then_some(x)).collect()
                })
        };
        let all: [Vec<Option<f64>>; 6] = Pollutant::ALL.map(series);
        let mut f: [Vec<QualityFlags>; 6] =
            std::array::from_fn(|k| check_series(&rules, Pollutant::ALL[k], &all[k]));
        let (i25, i10) = (Pollutant::Pm25.index(), Pollutant::Pm10.index());
        for h in 0..hours {
            if let (Some(a), Some(b)) = (
                all[i25].get(h).copied().flatten(),
                all[i10].get(h).copied().flatten(),
            ) && inverted_pm(a, b)
            {
                f[i25][h] = f[i25][h].with(QualityFlag::Inverted);
                f[i10][h] = f[i10][h].with(QualityFlag::Inverted);
            }
        }
        flagged += f.iter().flatten().filter(|x| !x.is_valid()).count();
        flags.push(f);
    }
    // Write, one transaction per BATCH_DAYS natural days (the first batch also takes the
    // leading 00:00 row, which is hour 24 of the day before). A producer thread builds the next
    // batch while the store writes this one: building 2.3 M values is about a third of a second
    // of one core, during which the database thread used to sit idle. Emptied batches go back
    // to the producer, so the pages of a 2.3 M-value vector are faulted in once, not per batch.
    let mut spans = Vec::new();
    let mut h0 = 0;
    while h0 < hours {
        let first_day = data.hour_at(h0).day();
        let mut h1 = h0;
        while h1 < hours && data.hour_at(h1).day().days() < first_day.days() + BATCH_DAYS {
            h1 += 1;
        }
        spans.push((h0, h1));
        h0 = h1;
    }
    let (n_files, n_stations) = (data.files.len(), cols.len());
    let (full_tx, mut full_rx) = tokio::sync::mpsc::channel::<Vec<HourlyValue>>(1);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<HourlyValue>>();
    let producer = std::thread::spawn(move || {
        for (h0, h1) in spans {
            let mut batch = empty_rx.try_recv().unwrap_or_default();
            batch.clear();
            for h in h0..h1 {
                let ts = Timestamp::from_hour_stamp(data.hour_at(h));
                for (k, (col, code)) in cols.iter().enumerate() {
                    for p in Pollutant::ALL {
                        let Some(v) = data
                            .value(RowType::hourly(p), *col, h)
                            .filter(|v| v.is_finite())
                        else {
                            continue;
                        };
                        batch.push(HourlyValue::hourly(
                            code.clone(),
                            p,
                            ts,
                            v,
                            flags[k][p.index()][h],
                            Origin::File,
                        ));
                    }
                }
            }
            // The receiver is gone only when a write failed: stop building.
            if full_tx.blocking_send(batch).is_err() {
                break;
            }
        }
    });
    let mut written = 0u64;
    while let Some(batch) = full_rx.recv().await {
        written += s.import_hourly(&batch).await?;
        // The producer may have finished (nothing more to build): the batch is then dropped.
        let _ = empty_tx.send(batch);
    }
    if producer.join().is_err() {
        anyhow::bail!("the batch builder of `import cnemc` panicked");
    }
    let mut report = String::new();
    let _ = writeln!(
        report,
        "cnemc: {} files, {} stations ({} new), {written} values, {flagged} flagged",
        n_files,
        n_stations,
        new_stations.len()
    );
    if !unknown.is_empty() {
        let _ = writeln!(
            report,
            "skipped unknown station code(s): {}",
            unknown.join(", ")
        );
    }
    Ok(report)
}

/// A GeoJSON region tree, merged with the regions already stored; stations and sources with
/// a position are placed again into the grids.
pub(crate) async fn grids<S: Store>(s: &S, file: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        lantian_ingest::ReadError::file(file, lantian_ingest::ReadErrorKind::Io(e.to_string()))
    })?;
    let incoming = lantian_ingest::geojson::parse_regions(file, &text)?;
    let mut all: HashMap<String, lantian_domain::region::Region> = s
        .regions()
        .await?
        .into_iter()
        .map(|r| (r.code.to_string(), r))
        .collect();
    for r in &incoming {
        all.insert(r.code.to_string(), r.clone());
    }
    let mut merged: Vec<_> = all.into_values().collect();
    // Parents before children, so the tree reads top-down in lists.
    merged.sort_by(|a, b| (a.level, a.code.as_str()).cmp(&(b.level, b.code.as_str())));
    let tree = lantian_ingest::geojson::check_tree(file, merged)?;
    s.upsert_regions(tree.nodes()).await?;
    let mut stations = s.stations().await?;
    for st in &mut stations {
        st.grid = st
            .location
            .and_then(|p| tree.grid_at(p))
            .map(|g| g.code.clone())
            .or(st.grid.take());
    }
    s.upsert_stations(&stations).await?;
    let mut sources = s.sources(&SourceFilter::default()).await?;
    for src in &mut sources {
        src.grid = src
            .location
            .and_then(|p| tree.grid_at(p))
            .map(|g| g.code.clone())
            .or(src.grid.take());
    }
    s.upsert_sources(&sources).await?;
    let grids = tree
        .nodes()
        .iter()
        .filter(|r| r.level == lantian_domain::region::RegionLevel::Grid)
        .count();
    Ok(format!(
        "grids: {} regions read, {} in the tree ({grids} grids); {} stations and {} sources placed again\n",
        incoming.len(),
        tree.nodes().len(),
        stations.len(),
        sources.len()
    ))
}

/// The source registry (CSV or .xlsx). Rows without a grid are placed by position.
pub(crate) async fn sources<S: Store>(
    s: &S,
    file: &Path,
    skip_bad: bool,
) -> anyhow::Result<String> {
    let bytes = std::fs::read(file).map_err(|e| {
        lantian_ingest::ReadError::file(file, lantian_ingest::ReadErrorKind::Io(e.to_string()))
    })?;
    let rows = lantian_ingest::sources::parse_sources(file, &bytes)?;
    if !rows.bad.is_empty() && !skip_bad {
        let list: Vec<String> = rows.bad.iter().map(ToString::to_string).collect();
        return Err(UsageError(format!(
            "{} bad row(s), nothing imported (pass --skip-bad to import the others):\n{}",
            rows.bad.len(),
            list.join("\n")
        ))
        .into());
    }
    let tree = tree(s).await?;
    let mut out: Vec<_> = rows.rows.into_iter().map(|(_, src)| src).collect();
    for src in &mut out {
        if src.grid.is_none() {
            src.grid = src
                .location
                .and_then(|p| tree.as_ref()?.grid_at(p))
                .map(|g| g.code.clone());
        }
    }
    s.upsert_sources(&out).await?;
    let mut report = format!("sources: {} upserted\n", out.len());
    for e in &rows.bad {
        let _ = writeln!(report, "skipped: {e}");
    }
    Ok(report)
}

//! Loading inputs and choosing what to assess: stations, or cities built from stations.

use crate::cli::{By, SelectArgs, UsageError};
use lantian_aq::assess::{DayBoundary, Series};
use lantian_aq::{Date, HourStamp, Pollutant};
use lantian_ingest::cnemc::{self, FileKind, HourlyData, RowType, RowTypes};
use lantian_ingest::places::{self, City, Station};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Everything read for one command.
pub(crate) struct Loaded {
    pub data: HourlyData,
    pub stations: HashMap<String, Station>,
    pub cities: HashMap<String, City>,
}

/// Read the files and the station list.
pub(crate) fn load(
    paths: &[PathBuf],
    station_list: Option<&Path>,
    threads: Option<usize>,
) -> anyhow::Result<Loaded> {
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let data = cnemc::read_hourly(paths, RowTypes::HOURLY_POLLUTANTS, threads)?;
    let list = match station_list {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                lantian_ingest::ReadError::file(p, lantian_ingest::ReadErrorKind::Io(e.to_string()))
            })?;
            places::parse_station_list(p, &text)?
        }
        None => places::embedded_stations(),
    };
    let stations = list.into_iter().map(|s| (s.code.clone(), s)).collect();
    Ok(Loaded {
        data,
        stations,
        cities: places::embedded_cities(),
    })
}

/// What one output row is about.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// Station code, or city name.
    pub code: String,
    /// Station name (empty for a city).
    pub name: String,
    pub city: String,
    pub province: String,
    /// Data columns: one for a station or a city column; the evaluation stations of a city
    /// built from station files.
    pub columns: Vec<usize>,
    /// Whether `columns` are stations to be averaged into an area.
    pub is_area: bool,
}

impl Loaded {
    fn province_of(&self, city: &str) -> String {
        self.cities
            .get(city)
            .map(|c| c.province.clone())
            .unwrap_or_default()
    }

    /// The units selected by `sel`, in column order (cities: by their first station).
    pub(crate) fn select(&self, sel: &SelectArgs, by: By) -> anyhow::Result<Vec<Unit>> {
        let d = &self.data;
        if let Some(p) = &sel.province
            && !self.cities.values().any(|c| &c.province == p)
        {
            return Err(UsageError(format!(
                "unknown province {p:?} (use the short name, e.g. 河南)"
            ))
            .into());
        }
        for c in &sel.city {
            if !self.cities.contains_key(c) {
                return Err(UsageError(format!(
                    "unknown city {c:?} (use the CNEMC name, e.g. 焦作)"
                ))
                .into());
            }
        }
        let city_ok = |city: &str| {
            (sel.city.is_empty() || sel.city.iter().any(|c| c == city))
                && sel
                    .province
                    .as_ref()
                    .is_none_or(|p| self.cities.get(city).is_some_and(|c| &c.province == p))
        };
        let mut units = Vec::new();
        match d.kind {
            FileKind::Cities => {
                if !sel.station.is_empty() {
                    return Err(UsageError(
                        "--station needs china_sites files; these are china_cities files".into(),
                    )
                    .into());
                }
                for (i, c) in d.columns.iter().enumerate() {
                    if city_ok(c) {
                        units.push(Unit {
                            code: c.clone(),
                            name: String::new(),
                            city: c.clone(),
                            province: self.province_of(c),
                            columns: vec![i],
                            is_area: false,
                        });
                    }
                }
            }
            FileKind::Sites => {
                for code in &sel.station {
                    if d.column(code).is_none() {
                        return Err(UsageError(format!(
                            "unknown station code {code:?}: not in the {} files read",
                            d.files.len()
                        ))
                        .into());
                    }
                }
                let mut by_city: Vec<(String, Vec<usize>)> = Vec::new();
                for (i, code) in d.columns.iter().enumerate() {
                    let st = self.stations.get(code);
                    let city = st.map(|s| s.city.clone()).unwrap_or_default();
                    if !sel.station.is_empty() && !sel.station.contains(code) {
                        continue;
                    }
                    if !city_ok(&city) {
                        continue;
                    }
                    match by {
                        By::Station => units.push(Unit {
                            code: code.clone(),
                            name: st.map(|s| s.name.clone()).unwrap_or_default(),
                            province: self.province_of(&city),
                            city,
                            columns: vec![i],
                            is_area: false,
                        }),
                        By::City => {
                            // Areas average evaluation stations only; control stations (对照点)
                            // and stations missing from the list are left out (HJ 663 §5).
                            if st.is_none_or(|s| s.control) {
                                continue;
                            }
                            match by_city.iter_mut().find(|(c, _)| *c == city) {
                                Some((_, cols)) => cols.push(i),
                                None => by_city.push((city, vec![i])),
                            }
                        }
                    }
                }
                for (city, columns) in by_city {
                    units.push(Unit {
                        code: city.clone(),
                        name: String::new(),
                        province: self.province_of(&city),
                        city,
                        columns,
                        is_area: true,
                    });
                }
            }
        }
        if units.is_empty() {
            return Err(
                UsageError("the selection matches nothing in the files read".into()).into(),
            );
        }
        Ok(units)
    }

    /// The hour-axis window [i0, i1) for days `from..=to`. Without `from`, days start at the
    /// first file's date: its 00:00 row is hour 24 of the day before, which that file alone
    /// cannot make a day of. Without `to`, up to the last hour read.
    pub(crate) fn window(
        &self,
        from: Option<Date>,
        to: Option<Date>,
        b: DayBoundary,
    ) -> (usize, usize) {
        let d = &self.data;
        let start = d.start.hours();
        let clip = |h: i64| (h - start).clamp(0, d.hours as i64) as usize;
        let first_hour = match b {
            DayBoundary::HourEnding01To24 => 1,
            DayBoundary::Calendar00To23 => 0,
        };
        let from = from.unwrap_or_else(|| d.start.calendar().0);
        let i0 = clip(HourStamp::new(from, first_hour).hours());
        let i1 = to.map_or(d.hours, |t| {
            clip(HourStamp::new(t, first_hour + 23).hours() + 1)
        });
        (i0, i1.max(i0))
    }

    /// The six series of column `col` over the window, decoded from the stored codes.
    pub(crate) fn series(&self, col: usize, (i0, i1): (usize, usize)) -> SeriesBuf {
        let mut values: [Vec<f64>; 6] = Default::default();
        for p in Pollutant::ALL {
            self.data
                .series_into(RowType::hourly(p), col, i0..i1, &mut values[p.index()]);
        }
        SeriesBuf {
            start: self.data.hour_at(i0),
            values,
        }
    }
}

/// The six hourly series of one column over a window, owned; [`SeriesBuf::view`] is what
/// `lantian_aq::assess` takes.
pub(crate) struct SeriesBuf {
    start: HourStamp,
    values: [Vec<f64>; 6],
}

impl SeriesBuf {
    /// As the science crate takes it.
    pub(crate) fn view(&self) -> Series<'_> {
        Series {
            start: self.start,
            values: self.values.each_ref().map(Vec::as_slice),
        }
    }
}

//! Places: the CNEMC station list (站点列表) and the city → province table.
//!
//! The 2022-02-13 station list (the one that matches the 2025 data columns) and the table of
//! the 375 CNEMC cities are embedded, so `lantian assess` works with nothing but its inputs.

use crate::error::{ReadError, ReadErrorKind};
use std::collections::HashMap;
use std::path::Path;

/// A monitoring station of the national network.
#[derive(Debug, Clone, PartialEq)]
pub struct Station {
    /// 监测点编码, e.g. `1001A`.
    pub code: String,
    /// 监测点名称.
    pub name: String,
    /// 城市 as CNEMC names it (matches the `china_cities` columns).
    pub city: String,
    /// Longitude; the list leaves it blank (or `-`) for a few retired stations.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// 对照点: a control (background) station, excluded from area values (HJ 663 §5).
    pub control: bool,
}

/// The administrative level of a CNEMC city, which decides the Ministry's city sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CityLevel {
    /// 直辖市.
    Municipality,
    /// 地级市, 地区, 自治州, 盟 (and 雄安新区).
    Prefecture,
    /// County-level city monitored separately (no data since the 2010s).
    County,
    /// 新疆生产建设兵团 city (石河子, 五家渠): counted among the Ministry's cities.
    Bingtuan,
    /// National new area that is not prefecture-level (兰州新区, 赣江新区, 西咸新区).
    NewArea,
}

/// A CNEMC city.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    /// Name as in the files.
    pub name: String,
    /// Province-level division (short name: 河南, 浙江, …).
    pub province: String,
    /// Level.
    pub level: CityLevel,
}

impl City {
    /// Whether the Ministry counts it among the "地级及以上城市" (339 in 2025): municipalities,
    /// prefecture-level units and the two Bingtuan cities; not county-level cities or the
    /// national new areas. With the January 2025 data this gives exactly 339 cities with data.
    pub fn is_prefecture_or_above(&self) -> bool {
        matches!(
            self.level,
            CityLevel::Municipality | CityLevel::Prefecture | CityLevel::Bingtuan
        )
    }
}

impl Station {
    /// As a domain station of the national network (国控), measuring the six pollutants.
    pub fn to_domain(
        &self,
    ) -> Result<lantian_domain::station::Station, lantian_domain::ids::IdError> {
        use lantian_domain::geo::Point;
        use lantian_domain::station::{Station as S, StationKind};
        Ok(S {
            code: lantian_domain::StationCode::parse(&self.code)?,
            name: self.name.clone(),
            kind: StationKind::National,
            location: match (self.lon, self.lat) {
                (Some(lon), Some(lat)) => Point::new(lon, lat).ok(),
                _ => None,
            },
            grid: None,
            city: Some(self.city.clone()),
            control: self.control,
            pollutants: lantian_aq::Pollutant::ALL.to_vec(),
            calibrations: Vec::new(),
        })
    }
}

const STATIONS_2022: &str = include_str!("../data/stations-2022-02-13.csv");
const EMBEDDED_STATIONS_NAME: &str = "stations-2022-02-13.csv";
const CITIES: &str = include_str!("../data/city_province.csv");

/// Parse a station list (`监测点编码,监测点名称,城市,经度,纬度,对照点`).
pub fn parse_station_list(path: &Path, text: &str) -> Result<Vec<Station>, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, h)| h.trim()).unwrap_or_default();
    if header != "监测点编码,监测点名称,城市,经度,纬度,对照点" {
        return Err(ReadError::line(
            path,
            1,
            ReadErrorKind::BadHeader(format!(
                "expected `监测点编码,监测点名称,城市,经度,纬度,对照点`, found `{header}`"
            )),
        ));
    }
    const NAMES: [&str; 6] = ["监测点编码", "监测点名称", "城市", "经度", "纬度", "对照点"];
    let mut out = Vec::new();
    for (i, line) in lines {
        let lno = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 6 {
            return Err(ReadError::line(
                path,
                lno,
                ReadErrorKind::FieldCount {
                    expected: 6,
                    found: f.len(),
                },
            ));
        }
        let num = |c: usize| -> Result<Option<f64>, ReadError> {
            if f[c].is_empty() || f[c] == "-" {
                return Ok(None);
            }
            f[c].parse().map(Some).map_err(|_| {
                ReadError::cell(
                    path,
                    lno,
                    c + 1,
                    NAMES[c],
                    ReadErrorKind::BadNumber(f[c].into()),
                )
            })
        };
        let control = match f[5] {
            "Y" => true,
            "N" => false,
            other => {
                return Err(ReadError::cell(
                    path,
                    lno,
                    6,
                    NAMES[5],
                    ReadErrorKind::BadHeader(format!("expected Y or N, found {other:?}")),
                ));
            }
        };
        out.push(Station {
            code: f[0].to_owned(),
            name: f[1].to_owned(),
            city: f[2].to_owned(),
            lon: num(3)?,
            lat: num(4)?,
            control,
        });
    }
    Ok(out)
}

/// The embedded 2022-02-13 station list.
pub fn embedded_stations() -> Vec<Station> {
    // The embedded file is checked by a test, so this cannot fail at run time.
    parse_station_list(Path::new(EMBEDDED_STATIONS_NAME), STATIONS_2022).unwrap_or_default()
}

/// The embedded city table (`city,province,level`).
pub fn embedded_cities() -> HashMap<String, City> {
    let mut out = HashMap::new();
    for line in CITIES.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 3 {
            continue;
        }
        let level = match f[2] {
            "municipality" => CityLevel::Municipality,
            "prefecture" => CityLevel::Prefecture,
            "county" => CityLevel::County,
            "bingtuan" => CityLevel::Bingtuan,
            _ => CityLevel::NewArea,
        };
        out.insert(
            f[0].to_owned(),
            City {
                name: f[0].to_owned(),
                province: f[1].to_owned(),
                level,
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_are_whole() {
        let st = parse_station_list(Path::new(EMBEDDED_STATIONS_NAME), STATIONS_2022).unwrap();
        assert_eq!(st.len(), 2026);
        assert_eq!(st.iter().filter(|s| s.control).count(), 250);
        let cities = embedded_cities();
        assert_eq!(cities.len(), 375);
        for s in &st {
            assert!(cities.contains_key(&s.city), "{}", s.city);
        }
        let zj: Vec<_> = cities
            .values()
            .filter(|c| c.province == "浙江" && c.is_prefecture_or_above())
            .collect();
        assert_eq!(zj.len(), 11);
        assert_eq!(cities["焦作"].province, "河南");
        for line in CITIES.lines().skip(1) {
            assert!(
                [
                    "municipality",
                    "prefecture",
                    "county",
                    "bingtuan",
                    "new_area"
                ]
                .contains(&line.split(',').nth(2).unwrap_or("")),
                "{line}"
            );
        }
    }

    #[test]
    fn station_list_errors() {
        let e = parse_station_list(
            Path::new("s.csv"),
            "监测点编码,监测点名称,城市,经度,纬度,对照点\n1001A,万寿西宫,北京,abc,39.8,N\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.csv:2: column 4 (经度): not a number: \"abc\""
        );
    }
}

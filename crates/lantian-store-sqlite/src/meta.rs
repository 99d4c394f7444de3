//! Regions, organisation, stations, sources and targets: small tables, one statement per row
//! inside one transaction per batch.

use crate::SqliteStore;
use crate::error::db;
use lantian_domain::org::{Person, Unit};
use lantian_domain::region::{Region, Responsibility};
use lantian_domain::source::{Source, SourceKind};
use lantian_domain::station::{Calibration, Station, StationKind};
use lantian_domain::target::Target;
use lantian_domain::{RegionCode, StationCode, Timestamp, UnitCode};
use lantian_store::codec::{self, decode, decode_id};
use lantian_store::rows;
use lantian_store::{SourceFilter, StoreError};
use std::collections::HashMap;

pub(crate) async fn upsert_regions(st: &SqliteStore, regions: &[Region]) -> Result<(), StoreError> {
    const E: &str = "regions";
    let mut tx = st.begin(E).await?;
    for r in regions {
        sqlx::query(
            "INSERT INTO regions (code, name, level, parent, area) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, \
             parent = excluded.parent, area = excluded.area",
        )
        .bind(r.code.as_str())
        .bind(&r.name)
        .bind(r.level.code())
        .bind(r.parent.as_ref().map(RegionCode::as_str))
        .bind(r.area.as_ref().map(codec::area_to_geojson))
        .execute(&mut *tx)
        .await
        .map_err(db(E))?;
    }
    crate::bump_revision(&mut tx).await.map_err(db(E))?;
    tx.commit().await.map_err(db(E))
}

pub(crate) async fn regions(st: &SqliteStore) -> Result<Vec<Region>, StoreError> {
    let rows: Vec<rows::RegionRow> =
        sqlx::query_as("SELECT code, name, level, parent, area FROM regions")
            .fetch_all(&st.pool)
            .await
            .map_err(db("regions"))?;
    let mut out = rows
        .into_iter()
        .map(rows::region)
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.sort_by(|a, b| (a.level, &a.code).cmp(&(b.level, &b.code)));
    Ok(out)
}

pub(crate) async fn upsert_responsibilities(
    st: &SqliteStore,
    rs: &[Responsibility],
) -> Result<(), StoreError> {
    const E: &str = "responsibilities";
    let mut tx = st.begin(E).await?;
    for r in rs {
        sqlx::query(
            "INSERT INTO responsibilities (region, person, duty) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(r.region.as_str())
        .bind(r.person.as_str())
        .bind(r.duty.code())
        .execute(&mut *tx)
        .await
        .map_err(db(E))?;
    }
    tx.commit().await.map_err(db(E))
}

pub(crate) async fn responsibilities(st: &SqliteStore) -> Result<Vec<Responsibility>, StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT region, person, duty FROM responsibilities ORDER BY region, person, duty",
    )
    .fetch_all(&st.pool)
    .await
    .map_err(db("responsibilities"))?;
    rows.into_iter().map(rows::responsibility).collect()
}

pub(crate) async fn upsert_units(st: &SqliteStore, units: &[Unit]) -> Result<(), StoreError> {
    const E: &str = "units";
    let mut tx = st.begin(E).await?;
    for u in units {
        sqlx::query(
            "INSERT INTO units (code, name, kind, region) VALUES (?, ?, ?, ?) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
             region = excluded.region",
        )
        .bind(u.code.as_str())
        .bind(&u.name)
        .bind(u.kind.code())
        .bind(u.region.as_ref().map(RegionCode::as_str))
        .execute(&mut *tx)
        .await
        .map_err(db(E))?;
    }
    crate::bump_revision(&mut tx).await.map_err(db(E))?;
    tx.commit().await.map_err(db(E))
}

pub(crate) async fn units(st: &SqliteStore) -> Result<Vec<Unit>, StoreError> {
    let rows: Vec<rows::UnitRow> =
        sqlx::query_as("SELECT code, name, kind, region FROM units ORDER BY code")
            .fetch_all(&st.pool)
            .await
            .map_err(db("units"))?;
    rows.into_iter().map(rows::unit).collect()
}

pub(crate) async fn upsert_people(st: &SqliteStore, people: &[Person]) -> Result<(), StoreError> {
    const E: &str = "people";
    let mut tx = st.begin(E).await?;
    for p in people {
        sqlx::query(
            "INSERT INTO people (id, name, unit, role, phone) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, unit = excluded.unit, \
             role = excluded.role, phone = excluded.phone",
        )
        .bind(p.id.as_str())
        .bind(&p.name)
        .bind(p.unit.as_str())
        .bind(p.role.code())
        .bind(p.phone.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(db(E))?;
    }
    crate::bump_revision(&mut tx).await.map_err(db(E))?;
    tx.commit().await.map_err(db(E))
}

pub(crate) async fn people(st: &SqliteStore) -> Result<Vec<Person>, StoreError> {
    let rows: Vec<rows::PersonRow> =
        sqlx::query_as("SELECT id, name, unit, role, phone FROM people ORDER BY id")
            .fetch_all(&st.pool)
            .await
            .map_err(db("people"))?;
    rows.into_iter().map(rows::person).collect()
}

pub(crate) async fn upsert_stations(
    st: &SqliteStore,
    stations: &[Station],
) -> Result<(), StoreError> {
    const E: &str = "stations";
    for s in stations {
        for c in &s.calibrations {
            if !(c.slope.is_finite() && c.offset.is_finite()) {
                return Err(StoreError::Invalid(format!(
                    "station {}: calibration of {} is not finite",
                    s.code,
                    c.pollutant.code()
                )));
            }
        }
    }
    let mut tx = st.begin(E).await?;
    for s in stations {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO stations (code, name, kind, lon, lat, grid, city, control, pollutants) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
             lon = excluded.lon, lat = excluded.lat, grid = excluded.grid, city = excluded.city, \
             control = excluded.control, pollutants = excluded.pollutants RETURNING id",
        )
        .bind(s.code.as_str())
        .bind(&s.name)
        .bind(s.kind.code())
        .bind(s.location.map(|p| p.lon))
        .bind(s.location.map(|p| p.lat))
        .bind(s.grid.as_ref().map(RegionCode::as_str))
        .bind(s.city.as_deref())
        .bind(s.control)
        .bind(codec::pollutants_to_text(&s.pollutants))
        .fetch_one(&mut *tx)
        .await
        .map_err(db(E))?;
        sqlx::query("DELETE FROM calibrations WHERE station = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db(E))?;
        for (seq, c) in s.calibrations.iter().enumerate() {
            sqlx::query(
                "INSERT INTO calibrations (station, seq, pollutant, since, slope, intercept) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(seq as i64)
            .bind(codec::pollutant_id(c.pollutant))
            .bind(c.since.0)
            .bind(c.slope)
            .bind(c.offset)
            .execute(&mut *tx)
            .await
            .map_err(db(E))?;
        }
    }
    crate::bump_revision(&mut tx).await.map_err(db(E))?;
    tx.commit().await.map_err(db(E))
}

type StationRow = (
    i64,
    String,
    String,
    String,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Option<String>,
    bool,
    String,
);

/// All stations, or the one with `code`.
pub(crate) async fn stations(
    st: &SqliteStore,
    code: Option<&StationCode>,
) -> Result<Vec<Station>, StoreError> {
    const E: &str = "stations";
    let rows: Vec<StationRow> = sqlx::query_as(
        "SELECT id, code, name, kind, lon, lat, grid, city, control, pollutants FROM stations \
         WHERE ?1 IS NULL OR code = ?1 ORDER BY code",
    )
    .bind(code.map(StationCode::as_str))
    .fetch_all(&st.pool)
    .await
    .map_err(db(E))?;
    let cals: Vec<(i64, i64, i64, f64, f64)> = sqlx::query_as(
        "SELECT c.station, c.pollutant, c.since, c.slope, c.intercept FROM calibrations c \
         JOIN stations s ON s.id = c.station WHERE ?1 IS NULL OR s.code = ?1 \
         ORDER BY c.station, c.seq",
    )
    .bind(code.map(StationCode::as_str))
    .fetch_all(&st.pool)
    .await
    .map_err(db(E))?;
    let mut by_station: HashMap<i64, Vec<Calibration>> = HashMap::new();
    for (station, pollutant, since, slope, offset) in cals {
        by_station.entry(station).or_default().push(Calibration {
            pollutant: codec::pollutant_from_id(pollutant)?,
            slope,
            offset,
            since: Timestamp(since),
        });
    }
    rows.into_iter()
        .map(
            |(id, code, name, kind, lon, lat, grid, city, control, pollutants)| {
                Ok(Station {
                    code: decode_id("station code", &code, StationCode::parse)?,
                    name,
                    kind: decode("station kind", &kind, StationKind::parse)?,
                    location: rows::point(lon, lat),
                    grid: rows::opt_id("region code", grid, RegionCode::parse)?,
                    city,
                    control,
                    pollutants: codec::pollutants_from_text(&pollutants)?,
                    calibrations: by_station.remove(&id).unwrap_or_default(),
                })
            },
        )
        .collect()
}

pub(crate) async fn upsert_sources(st: &SqliteStore, sources: &[Source]) -> Result<(), StoreError> {
    const E: &str = "sources";
    let mut tx = st.begin(E).await?;
    for s in sources {
        sqlx::query(
            "INSERT INTO sources (id, name, kind, lon, lat, grid, unit, status, vocs, industry) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
             lon = excluded.lon, lat = excluded.lat, grid = excluded.grid, unit = excluded.unit, \
             status = excluded.status, vocs = excluded.vocs, industry = excluded.industry",
        )
        .bind(s.id.as_str())
        .bind(&s.name)
        .bind(s.kind.code())
        .bind(s.location.map(|p| p.lon))
        .bind(s.location.map(|p| p.lat))
        .bind(s.grid.as_ref().map(RegionCode::as_str))
        .bind(s.unit.as_ref().map(UnitCode::as_str))
        .bind(&s.status)
        .bind(s.vocs)
        .bind(s.industry.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(db(E))?;
    }
    tx.commit().await.map_err(db(E))
}

pub(crate) async fn sources(st: &SqliteStore, f: &SourceFilter) -> Result<Vec<Source>, StoreError> {
    let rows: Vec<rows::SourceRow> = sqlx::query_as(
        "SELECT id, name, kind, lon, lat, grid, unit, status, vocs, industry FROM sources \
         WHERE (?1 IS NULL OR grid = ?1) AND (?2 IS NULL OR kind = ?2) \
         AND (?3 IS NULL OR unit = ?3) ORDER BY id",
    )
    .bind(f.grid.as_ref().map(RegionCode::as_str))
    .bind(f.kind.map(SourceKind::code))
    .bind(f.unit.as_ref().map(UnitCode::as_str))
    .fetch_all(&st.pool)
    .await
    .map_err(db("sources"))?;
    rows.into_iter().map(rows::source).collect()
}

pub(crate) async fn upsert_targets(st: &SqliteStore, targets: &[Target]) -> Result<(), StoreError> {
    const E: &str = "targets";
    if let Some(t) = targets.iter().find(|t| !t.value.is_finite()) {
        return Err(StoreError::Invalid(format!(
            "target {} {} {}: value is not finite",
            t.year,
            t.area,
            t.indicator.code()
        )));
    }
    let mut tx = st.begin(E).await?;
    for t in targets {
        sqlx::query(
            "INSERT INTO targets (year, area, indicator, value) VALUES (?, ?, ?, ?) \
             ON CONFLICT (year, area, indicator) DO UPDATE SET value = excluded.value",
        )
        .bind(t.year)
        .bind(t.area.as_str())
        .bind(t.indicator.code())
        .bind(t.value)
        .execute(&mut *tx)
        .await
        .map_err(db(E))?;
    }
    crate::bump_revision(&mut tx).await.map_err(db(E))?;
    tx.commit().await.map_err(db(E))
}

pub(crate) async fn targets(st: &SqliteStore, year: i32) -> Result<Vec<Target>, StoreError> {
    let rows: Vec<(i32, String, String, f64)> = sqlx::query_as(
        "SELECT year, area, indicator, value FROM targets WHERE year = ? ORDER BY area, indicator",
    )
    .bind(year)
    .fetch_all(&st.pool)
    .await
    .map_err(db("targets"))?;
    rows.into_iter().map(rows::target).collect()
}

//! Figures computed from a year of hours, cached per data revision.
//!
//! The overview and `GET /targets` need the district's daily records of the whole year so far
//! (every hour of every evaluation station through `lantian-aq`) and the newest hour across
//! all stations: hundreds of thousands of rows per request. They change only when readings,
//! stations, regions or targets are written, and every such write moves the store's data
//! revision (`Store::data_revision`, migration `0007_revisions.sql`) in its own transaction —
//! also when another process (an import, `lantian ingest mqtt`) writes the same database.
//!
//! So each request reads the revision first (one one-row query), then looks up the figure
//! under that revision: a hit costs nothing more, a miss computes it once (concurrent requests
//! for a missing figure wait for the one computing it instead of all recomputing) and keeps it
//! until the revision moves. Reading the revision BEFORE the data means a figure is never
//! older than the revision it is stored under; at worst it is newer, which the next revision
//! replaces.
//!
//! # Invariant
//! A cached value was computed from data at least as new as the revision it is kept under, and
//! nothing is served under a revision other than the one the request read.

use crate::air;
use crate::error::ApiError;
use crate::state::App;
use lantian_aq::Date;
use lantian_aq::assess::DayRecord;
use lantian_domain::org::{Person, Unit};
use lantian_domain::region::Region;
use lantian_domain::station::Station;
use lantian_domain::target::Target;
use lantian_domain::{StationCode, Timestamp};
use lantian_store::Store;
use minijinja::Value;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// At most this many entries per kind: keys come from requests (`as_of`, scopes), so the
/// maps are bounded; a full map is emptied, which only costs recomputation.
const MAX_ENTRIES: usize = 256;

/// The daily records of an area (its stations) over `from..=to`.
type AreaKey = (Vec<StationCode>, Date, Date);

/// The overview's figures for one scope and language.
#[derive(Debug, Clone)]
pub struct OverviewFigures {
    /// The page's context without the per-request parts (user, CSRF token, staleness).
    pub ctx: Value,
    /// The newest hour the figures are of (the staleness notice is computed per request).
    pub newest: Option<Timestamp>,
}

#[derive(Default)]
struct Inner {
    rev: u64,
    regions: Option<Arc<Vec<Region>>>,
    stations: Option<Arc<Vec<Station>>>,
    units: Option<Arc<Vec<Unit>>>,
    people: Option<Arc<Vec<Person>>>,
    targets: HashMap<i32, Arc<Vec<Target>>>,
    area_days: HashMap<AreaKey, Arc<Vec<DayRecord>>>,
    newest: Option<Option<Timestamp>>,
    overview: HashMap<(String, &'static str), Arc<OverviewFigures>>,
}

/// The cache: one generation of figures, all of the same data revision.
#[derive(Default)]
pub struct FigureCache {
    inner: Mutex<Inner>,
    /// Held while a missing figure of each kind is computed, so fifty clients arriving after a
    /// write compute it once, not fifty times. One lock per kind, always taken in the order
    /// overview → area days / newest hour → metadata (a computation only asks for kinds after
    /// its own), so none waits on itself.
    computing_area: tokio::sync::Mutex<()>,
    computing_newest: tokio::sync::Mutex<()>,
    computing_overview: tokio::sync::Mutex<()>,
    computing_meta: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for FigureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = self.lock();
        f.debug_struct("FigureCache")
            .field("rev", &g.rev)
            .field("area_days", &g.area_days.len())
            .field("overview", &g.overview.len())
            .finish()
    }
}

impl FigureCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The generation for `rev`: a newer revision drops everything older. `None` when `rev` is
    /// older than what is cached (a request that read the revision before a write committed):
    /// it computes for itself and stores nothing.
    fn with<T>(&self, rev: u64, f: impl FnOnce(&mut Inner) -> T) -> Option<T> {
        let mut g = self.lock();
        if rev > g.rev {
            *g = Inner {
                rev,
                ..Inner::default()
            };
        }
        (rev == g.rev).then(|| f(&mut g))
    }

    /// Look up with `get`; on a miss, compute once (under the compute lock, looking again
    /// first) and keep the result with `put`.
    async fn get_or_compute<T: Clone, F: Future<Output = Result<T, ApiError>>>(
        &self,
        lock: &tokio::sync::Mutex<()>,
        rev: u64,
        get: impl Fn(&mut Inner) -> Option<T>,
        put: impl FnOnce(&mut Inner, T),
        compute: impl FnOnce() -> F,
    ) -> Result<T, ApiError> {
        if let Some(Some(v)) = self.with(rev, &get) {
            return Ok(v);
        }
        let _one = lock.lock().await;
        if let Some(Some(v)) = self.with(rev, &get) {
            return Ok(v);
        }
        let v = compute().await?;
        self.with(rev, |g| put(g, v.clone()));
        Ok(v)
    }

    /// Entries held (area days, overview figures), for tests and the debug view.
    pub fn len(&self) -> (usize, usize) {
        let g = self.lock();
        (g.area_days.len(), g.overview.len())
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }
}

fn bounded_insert<K: Eq + Hash, V>(m: &mut HashMap<K, V>, k: K, v: V) {
    if m.len() >= MAX_ENTRIES {
        m.clear();
    }
    m.insert(k, v);
}

/// The area's daily records over `from..=to` under revision `rev` ([`air::area_days`]).
pub async fn area_days(
    app: &App,
    rev: u64,
    stations: &[StationCode],
    from: Date,
    to: Date,
) -> Result<Arc<Vec<DayRecord>>, ApiError> {
    let key: AreaKey = (stations.to_vec(), from, to);
    app.figures
        .get_or_compute(
            &app.figures.computing_area,
            rev,
            |g| g.area_days.get(&key).cloned(),
            |g, v| bounded_insert(&mut g.area_days, key.clone(), v),
            || async { Ok(Arc::new(air::area_days(&app.db, stations, from, to).await?)) },
        )
        .await
}

/// All regions under revision `rev` (region writes move it), parsed once per revision rather
/// than per request (their GeoJSON areas cost the most of the metadata).
pub async fn regions(app: &App, rev: u64) -> Result<Arc<Vec<Region>>, ApiError> {
    app.figures
        .get_or_compute(
            &app.figures.computing_meta,
            rev,
            |g| g.regions.clone(),
            |g, v| g.regions = Some(v),
            || async { Ok(Arc::new(app.db.regions().await?)) },
        )
        .await
}

/// All units under revision `rev` (unit writes move it): every ledger page names them.
pub async fn units(app: &App, rev: u64) -> Result<Arc<Vec<Unit>>, ApiError> {
    app.figures
        .get_or_compute(
            &app.figures.computing_meta,
            rev,
            |g| g.units.clone(),
            |g, v| g.units = Some(v),
            || async { Ok(Arc::new(app.db.units().await?)) },
        )
        .await
}

/// All people under revision `rev` (people writes move it).
pub async fn people(app: &App, rev: u64) -> Result<Arc<Vec<Person>>, ApiError> {
    app.figures
        .get_or_compute(
            &app.figures.computing_meta,
            rev,
            |g| g.people.clone(),
            |g, v| g.people = Some(v),
            || async { Ok(Arc::new(app.db.people().await?)) },
        )
        .await
}

/// All stations under revision `rev` (station writes move it).
pub async fn stations(app: &App, rev: u64) -> Result<Arc<Vec<Station>>, ApiError> {
    app.figures
        .get_or_compute(
            &app.figures.computing_meta,
            rev,
            |g| g.stations.clone(),
            |g, v| g.stations = Some(v),
            || async { Ok(Arc::new(app.db.stations().await?)) },
        )
        .await
}

/// The targets of `year` under revision `rev` (target writes move it).
pub async fn targets(app: &App, rev: u64, year: i32) -> Result<Arc<Vec<Target>>, ApiError> {
    app.figures
        .get_or_compute(
            &app.figures.computing_meta,
            rev,
            |g| g.targets.get(&year).cloned(),
            |g, v| bounded_insert(&mut g.targets, year, v),
            || async { Ok(Arc::new(app.db.targets(year).await?)) },
        )
        .await
}

/// The newest hour stored across all stations under revision `rev` ([`air::newest_hour`]).
pub async fn newest_hour(app: &App, rev: u64) -> Result<Option<Timestamp>, ApiError> {
    app.figures
        .get_or_compute(
            &app.figures.computing_newest,
            rev,
            |g| g.newest,
            |g, v| g.newest = Some(v),
            || async {
                let stations = stations(app, rev).await?;
                air::newest_hour(&app.db, &stations).await
            },
        )
        .await
}

/// The overview's figures for `scope` (a key naming what the caller sees) and `lang` under
/// revision `rev`, computed by `compute` on a miss.
pub async fn overview<F>(
    app: &App,
    rev: u64,
    scope: String,
    lang: &'static str,
    compute: impl FnOnce() -> F,
) -> Result<Arc<OverviewFigures>, ApiError>
where
    F: Future<Output = Result<OverviewFigures, ApiError>>,
{
    let key = (scope, lang);
    app.figures
        .get_or_compute(
            &app.figures.computing_overview,
            rev,
            |g| g.overview.get(&key).cloned(),
            |g, v| bounded_insert(&mut g.overview, key.clone(), v),
            || async { Ok(Arc::new(compute().await?)) },
        )
        .await
}

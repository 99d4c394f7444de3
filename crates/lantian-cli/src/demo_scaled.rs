//! `lantian demo init --stations N --year Y`: the demo scaled for load benchmarks.
//!
//! The district and its year of hourly series come from `lantian_demo::scaled` (pure,
//! deterministic); here they go through the same quality checks and calibration as the small
//! demo and into the store by its bulk path (`Store::import_hourly`, a week of hours across
//! all stations per call, in time order so SQLite appends). Then a ledger in proportion:
//! problems of the air campaign found through the year in the district's real grids, assigned
//! to its real units, each advanced by the domain's `transition` (so every row and log entry is
//! one the ledger could have written) and bulk-loaded through `LedgerStore::import_history`,
//! as `lantian bench ledger` does.

#![allow(clippy::disallowed_methods)] // reports how long the load took (wall time)

use lantian_aq::{Date, Pollutant};
use lantian_demo::scaled::ScaledDemo;
use lantian_domain::calendar::Calendar;
use lantian_domain::campaign::Catalog;
use lantian_domain::ledger::{
    Action, Actor, Escalation, Finding, Mode, Problem, State, transition,
};
use lantian_domain::org::{Person, Role};
use lantian_domain::reading::{Origin, QualityFlags, QualityRules, check_series};
use lantian_domain::region::RegionLevel;
use lantian_domain::station::StationKind;
use lantian_domain::{SourceId, Timestamp};
use lantian_store::ledger::{self, ImportStep, ImportedProblem, LedgerStore, NewProblem};
use lantian_store::{HourlyValue, Store};
use std::time::Instant;

/// Hours per `import_hourly` call: a week across all stations (~0.4 M values at 500
/// stations), big enough for the bulk path's speed, small enough for memory.
const HOURS_PER_BATCH: usize = 7 * 24;

/// Write the scaled demo's district and its year of hourly values into `s`; say what was
/// written and how long it took.
pub(crate) async fn init<S: Store>(
    s: &S,
    seed: u64,
    stations: usize,
    year: i32,
) -> anyhow::Result<String> {
    let t0 = Instant::now();
    let d = lantian_demo::scaled::scaled(seed, stations, year)
        .map_err(|e| crate::cli::UsageError(e.to_string()))?;
    let made = t0.elapsed();
    let demo = &d.demo;
    s.upsert_regions(&demo.regions).await?;
    s.upsert_units(&demo.units).await?;
    s.upsert_people(&demo.people).await?;
    s.upsert_responsibilities(&demo.duties).await?;
    s.upsert_stations(&demo.stations).await?;
    s.upsert_sources(&demo.sources).await?;
    s.upsert_targets(&demo.targets).await?;

    let t1 = Instant::now();
    let flags = quality_flags(&d);
    let mut written = 0u64;
    let mut batch = Vec::new();
    for first in (0..d.hours).step_by(HOURS_PER_BATCH) {
        batch.clear();
        // `i` indexes the hour of every station's series at once, not one slice.
        #[allow(clippy::needless_range_loop)]
        for i in first..(first + HOURS_PER_BATCH).min(d.hours) {
            let hour = d.hour(i);
            for (si, st) in demo.stations.iter().enumerate() {
                let micro = st.kind == StationKind::Micro;
                for p in Pollutant::ALL {
                    let Some(raw) = d.value(si, p, i) else {
                        continue;
                    };
                    let f = flags[si][p.index()][i];
                    let mut v = HourlyValue::hourly(
                        st.code.clone(),
                        p,
                        hour,
                        raw,
                        f,
                        if micro { Origin::Demo } else { Origin::File },
                    );
                    if let Some(c) = st.calibration(p) {
                        let corrected = (c.apply(raw) * 10.0).round() / 10.0;
                        v.corrected = Some(corrected);
                        v.validated = f.is_valid().then_some(corrected);
                    }
                    batch.push(v);
                }
            }
        }
        written += s.import_hourly(&batch).await?;
    }
    let stored = t1.elapsed();
    Ok(format!(
        "scaled demo 焦作高新区 {year}: {} stations ({} micro), {} regions, {} people, {} sources, {} targets, {written} hourly values \
         (generated in {:.1} s, checked and stored in {:.1} s: {:.0} values/s)\n",
        demo.stations.len(),
        demo.stations
            .iter()
            .filter(|s| s.kind == StationKind::Micro)
            .count(),
        demo.regions.len(),
        demo.people.len(),
        demo.sources.len(),
        demo.targets.len(),
        made.as_secs_f64(),
        stored.as_secs_f64(),
        written as f64 / stored.as_secs_f64().max(1e-9),
    ))
}

/// The value checks of every series over the whole year (flat line and spike need the
/// neighbours), per station and pollutant.
fn quality_flags(d: &ScaledDemo) -> Vec<[Vec<QualityFlags>; 6]> {
    let rules = QualityRules::default();
    (0..d.series.len())
        .map(|si| {
            std::array::from_fn(|k| {
                let p = Pollutant::ALL[k];
                let series: Vec<Option<f64>> = (0..d.hours).map(|i| d.value(si, p, i)).collect();
                check_series(&rules, p, &series)
            })
        })
        .collect()
}

/// splitmix64 for the ledger's choices (deterministic per seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn actor(p: &Person) -> Actor {
    Actor {
        person: p.id.clone(),
        unit: p.unit.clone(),
        role: p.role,
        grids: Vec::new(),
    }
}

/// Write `n` problems of the air campaign found through `year` (after the demo ledger, whose
/// ids they follow) with their histories; say how many and how long it took.
pub(crate) async fn seed_ledger(
    db: &lantian_server::Db,
    seed: u64,
    n: u64,
    year: i32,
) -> anyhow::Result<String> {
    let t0 = Instant::now();
    let cal = Calendar::china();
    let catalog = Catalog::embedded().map_err(|e| anyhow::anyhow!("campaigns: {e}"))?;
    let air = catalog
        .default_campaign()
        .ok_or_else(|| anyhow::anyhow!("no default campaign"))?;
    let people = db.people().await?;
    let regions = db.regions().await?;
    let sources = db.sources(&Default::default()).await?;
    let grids: Vec<_> = regions
        .iter()
        .filter(|r| r.level == RegionLevel::Grid)
        .map(|r| r.code.clone())
        .collect();
    let find = |role: Role| people.iter().filter(move |p| p.role == role);
    let dispatcher = find(Role::Dispatcher)
        .next()
        .ok_or_else(|| anyhow::anyhow!("the demo has no dispatcher"))?;
    let inspectors: Vec<&Person> = find(Role::Inspector).collect();
    // Rectifying staff: each unit's staff member, who works the problems assigned to the unit.
    let staff: Vec<&Person> = find(Role::UnitStaff)
        .filter(|p| {
            people
                .iter()
                .any(|h| h.role == Role::UnitHead && h.unit == p.unit)
        })
        .collect();
    anyhow::ensure!(
        !grids.is_empty() && !inspectors.is_empty() && !staff.is_empty(),
        "the demo district lacks grids, inspectors or unit staff"
    );
    let disp = actor(dispatcher);
    let (head, _) = db.log_head().await?;
    let photo = db
        .put_evidence(
            SCALED_PHOTO.as_bytes(),
            "image/svg+xml",
            &dispatcher.id,
            Timestamp::from_hour_stamp(lantian_aq::HourStamp::new(
                Date::from_ymd_const(year, 1, 1),
                1,
            )),
        )
        .await?;
    let first_id = db
        .problems(&Default::default(), ledger::Page::default())
        .await?
        .total
        + 1;
    let start = Timestamp::from_hour_stamp(lantian_aq::HourStamp::new(
        Date::from_ymd_const(year, 1, 1),
        1,
    ));
    let days = lantian_aq::time::days_in_year(year) as i64;
    let end = start.plus_seconds(days * 86_400 - 3600);
    let mut r = Rng(seed ^ 0x001E_D6E5);
    let mut written = 0u64;
    let mut batch = Vec::new();
    for id in first_id..first_id + n {
        let cat = &air.categories[r.below(air.categories.len() as u64) as usize];
        let found = start.plus_seconds(r.below((days as u64 - 3) * 86_400) as i64);
        let grid = grids[r.below(grids.len() as u64) as usize].clone();
        let source: Option<SourceId> = {
            let here: Vec<_> = sources
                .iter()
                .filter(|s| s.grid.as_ref() == Some(&grid))
                .collect();
            (!here.is_empty() && r.chance(70))
                .then(|| here[r.below(here.len() as u64) as usize].id.clone())
        };
        let mode = if r.chance(50) {
            Mode::Immediate {
                hours: 24 + r.below(48) as u32,
            }
        } else {
            Mode::TimeBound {
                working_days: 5 + r.below(16) as u32,
                milestones: vec![],
            }
        };
        let finding = [Finding::Inspection, Finding::Sensor, Finding::Public][r.below(3) as usize];
        let np = NewProblem {
            campaign: air.code.clone(),
            category: cat.code.clone(),
            description: format!("{}（规模演示 {id}）", cat.name_zh),
            finding,
            found_at: found,
            grid: Some(grid),
            source,
            unit: None,
            mode,
        };
        let mut p = ledger::new_problem(id, &np);
        let mut steps = vec![ImportStep {
            at: found,
            actor: disp.person.as_str().to_owned(),
            action: "create".into(),
            payload: br#"{"action":"create"}"#.to_vec(),
            body: ledger::problem_body(&p)?,
        }];
        // Problems found late in the year are earlier in their story.
        let max_steps = 1 + r.below(9);
        let mut t = found;
        while (steps.len() as u64) < max_steps {
            t = t.plus_seconds(3600 + r.below(48 * 3600) as i64);
            if t > end {
                break;
            }
            let Some((who, action)) = next_step(&p, &mut r, &disp, &staff, &inspectors, &photo)
            else {
                break;
            };
            let Ok((np, ev)) = transition(&p, &who, action, t, &cal) else {
                break;
            };
            p = np;
            steps.push(ImportStep {
                at: t,
                actor: who.person.as_str().to_owned(),
                action: ev.action.code().into(),
                payload: ledger::event_payload(&ev)?,
                body: ledger::problem_body(&p)?,
            });
        }
        batch.push(ImportedProblem { problem: p, steps });
        if batch.len() == 2000 {
            written += db.import_history(&batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        written += db.import_history(&batch).await?;
    }
    let (head2, _) = db.log_head().await?;
    Ok(format!(
        "scaled ledger: {written} problems (ids {first_id}..), {} log entries, in {:.1} s\n",
        head2 - head,
        t0.elapsed().as_secs_f64()
    ))
}

/// The demo's evidence photo for the scaled ledger's rectifications and verifications.
const SCALED_PHOTO: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"160\" height=\"120\">\
    <rect width=\"160\" height=\"120\" fill=\"#3a7d5c\"/>\
    <text x=\"12\" y=\"66\" font-size=\"18\" fill=\"#fff\">整改照片</text></svg>";

/// The next plausible step of `p`, or `None` when its story ends here.
fn next_step(
    p: &Problem,
    r: &mut Rng,
    disp: &Actor,
    staff: &[&Person],
    inspectors: &[&Person],
    photo: &str,
) -> Option<(Actor, Action)> {
    let worker = || {
        p.unit
            .as_ref()
            .and_then(|u| staff.iter().find(|s| &s.unit == u))
            .map(|s| actor(s))
    };
    match p.state {
        State::New | State::Reopened => {
            if p.state == State::New && r.chance(3) {
                return Some((
                    disp.clone(),
                    Action::Cancel {
                        reason: "经核实不属于本专项".into(),
                    },
                ));
            }
            let s = staff[r.below(staff.len() as u64) as usize];
            Some((
                disp.clone(),
                Action::Assign {
                    unit: s.unit.clone(),
                    assignee: s.id.clone(),
                },
            ))
        }
        State::Assigned => Some((worker()?, Action::Start)),
        State::Rectifying => {
            if p.escalation == Escalation::None && r.chance(10) {
                return Some((
                    disp.clone(),
                    Action::Escalate {
                        to: Escalation::Supervised,
                    },
                ));
            }
            if r.chance(3) {
                return Some((
                    disp.clone(),
                    Action::Suspend {
                        reason: "等待施工许可".into(),
                    },
                ));
            }
            Some((
                worker()?,
                Action::Submit {
                    evidence: vec![photo.to_owned()],
                    note: "已整改，见照片".into(),
                },
            ))
        }
        State::Submitted => {
            let unit = p.unit.as_ref()?;
            let insp = inspectors.iter().find(|i| &i.unit != unit)?;
            if r.chance(25) {
                Some((
                    actor(insp),
                    Action::Reject {
                        reason: "整改不到位".into(),
                    },
                ))
            } else {
                Some((
                    actor(insp),
                    Action::Approve {
                        evidence: vec![photo.to_owned()],
                    },
                ))
            }
        }
        State::Closed if r.chance(8) => Some((
            disp.clone(),
            Action::Reopen {
                reason: "回头看发现反弹".into(),
            },
        )),
        State::Suspended => Some((disp.clone(), Action::Resume)),
        _ => None,
    }
}

//! `lantian bench ledger`: fill a store with problems whose histories are produced by the
//! domain's transition function (so every row and entry is one the ledger could have written),
//! bulk-loaded through `LedgerStore::import_history`; then time the filtered ledger list (first
//! page of 50 and the total, random combinations of unit, state, overdue and campaign) and
//! `audit verify`. A benchmark, not a test: it prints figures and asserts nothing about speed.

#![allow(clippy::disallowed_methods)] // a benchmark measures wall time

use lantian_domain::calendar::Calendar;
use lantian_domain::ledger::{
    Action, Actor, Escalation, Finding, Milestone, Mode, Problem, State, transition,
};
use lantian_domain::org::Role;
use lantian_domain::{PersonId, RegionCode, SourceId, Timestamp, UnitCode};
use lantian_store::ledger::{
    self, ImportStep, ImportedProblem, LedgerStore, NewProblem, Page, ProblemFilter,
};
use std::fmt::Write;
use std::time::Instant;

/// What to do.
pub(crate) struct Opts {
    pub(crate) problems: u64,
    pub(crate) log: u64,
    pub(crate) queries: usize,
    pub(crate) fill: bool,
    pub(crate) seed: u64,
}

const UNITS: u64 = 100;
const GRIDS: u64 = 400;
const SOURCES: u64 = 20_000;
const CAMPAIGNS: [&str; 5] = ["air", "safety", "audit", "nursing", "wheat"];
const BATCH: u64 = 10_000;
/// 2025-01-01T00:00:00+08:00.
const YEAR_START: i64 = 1_735_660_800;

/// splitmix64: deterministic, no dependency.
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

fn unit(k: u64) -> UnitCode {
    UnitCode::parse(&format!("U{k:03}")).unwrap_or_else(|_| unreachable!("a valid code"))
}

fn person(s: &str) -> PersonId {
    PersonId::parse(s).unwrap_or_else(|_| unreachable!("a valid id"))
}

struct Cast {
    dispatcher: Actor,
    inspector: Actor,
}

fn worker(u: &UnitCode) -> Actor {
    Actor {
        person: person(&format!("W{}", u.as_str())),
        unit: u.clone(),
        role: Role::UnitStaff,
        grids: Vec::new(),
    }
}

fn next_level(e: Escalation) -> Option<Escalation> {
    match e {
        Escalation::None => Some(Escalation::Warned),
        Escalation::Warned => Some(Escalation::Reminded),
        Escalation::Reminded => Some(Escalation::Supervised),
        Escalation::Supervised => Some(Escalation::Listed),
        Escalation::Listed => Some(Escalation::Accountability),
        Escalation::Accountability => None,
    }
}

/// The one evidence file every synthetic step names (stored once after the fill, so `audit
/// verify`'s evidence check finds it).
const BENCH_EVIDENCE: &[u8] = b"lantian bench ledger: synthetic evidence";

/// The next action a plausible actor takes on `p`, or `None` when its story ends.
fn pick(p: &Problem, r: &mut Rng, c: &Cast) -> Option<(Actor, Action)> {
    let evidence = || vec![ledger::hex(&ledger::sha256(BENCH_EVIDENCE))];
    let escalate = |r: &mut Rng| {
        next_level(p.escalation)
            .filter(|_| r.chance(15))
            .map(|to| (c.dispatcher.clone(), Action::Escalate { to }))
    };
    let w = || worker(p.unit.as_ref().unwrap_or(&c.dispatcher.unit));
    match p.state {
        State::New | State::Reopened => {
            if p.state == State::New && r.chance(3) {
                return Some((
                    c.dispatcher.clone(),
                    Action::Cancel {
                        reason: "误报".into(),
                    },
                ));
            }
            let u = unit(r.below(UNITS));
            let assignee = worker(&u).person;
            Some((c.dispatcher.clone(), Action::Assign { unit: u, assignee }))
        }
        State::Assigned => escalate(r).or_else(|| Some((w(), Action::Start))),
        State::Rectifying => {
            if let Some(e) = escalate(r) {
                return Some(e);
            }
            if r.chance(4) {
                return Some((
                    c.dispatcher.clone(),
                    Action::Suspend {
                        reason: "等待审批".into(),
                    },
                ));
            }
            if let Mode::TimeBound { milestones, .. } = &p.mode
                && let Some(index) = milestones.iter().position(|m| m.done_at.is_none())
            {
                return Some((
                    w(),
                    Action::CompleteMilestone {
                        index,
                        evidence: evidence(),
                    },
                ));
            }
            Some((
                w(),
                Action::Submit {
                    evidence: evidence(),
                    note: "已整改".into(),
                },
            ))
        }
        State::Submitted => {
            if r.chance(30) {
                Some((
                    c.inspector.clone(),
                    Action::Reject {
                        reason: "整改不到位".into(),
                    },
                ))
            } else {
                Some((
                    c.inspector.clone(),
                    Action::Approve {
                        evidence: evidence(),
                    },
                ))
            }
        }
        State::Closed => Some((
            c.inspector.clone(),
            Action::Reopen {
                reason: "回头看发现反弹".into(),
            },
        )),
        State::Suspended => Some((c.dispatcher.clone(), Action::Resume)),
        State::Duplicate | State::Cancelled => None,
    }
}

/// Problems `first..first+n` with their histories (deterministic per batch).
fn generate(first: u64, n: u64, avg_steps: u64, seed: u64, cal: &Calendar) -> Vec<ImportedProblem> {
    let mut r = Rng(seed ^ first.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let c = Cast {
        dispatcher: Actor {
            person: person("D001"),
            unit: UnitCode::parse("SHJZX").unwrap_or_else(|_| unreachable!("a valid code")),
            role: Role::Dispatcher,
            grids: Vec::new(),
        },
        inspector: Actor {
            person: person("I001"),
            unit: UnitCode::parse("DCK").unwrap_or_else(|_| unreachable!("a valid code")),
            role: Role::Inspector,
            grids: Vec::new(),
        },
    };
    let mut out = Vec::with_capacity(n as usize);
    for id in first..first + n {
        let found_at = Timestamp(YEAR_START + r.below(330 * 86_400) as i64);
        let mode = if r.chance(40) {
            Mode::Immediate {
                hours: 24 + r.below(216) as u32,
            }
        } else {
            let k = r.below(3);
            Mode::TimeBound {
                working_days: 5 + r.below(25) as u32,
                milestones: (0..k)
                    .map(|i| Milestone {
                        title: format!("阶段{}", i + 1),
                        due: found_at.plus_seconds((i as i64 + 1) * 5 * 86_400),
                        done_at: None,
                    })
                    .collect(),
            }
        };
        let np = NewProblem {
            campaign: CAMPAIGNS[r.below(CAMPAIGNS.len() as u64) as usize].into(),
            category: "工地扬尘".into(),
            description: format!("问题{id}：施工现场裸土未覆盖"),
            finding: Finding::Inspection,
            found_at,
            grid: RegionCode::parse(&format!("410871-G{:03}", r.below(GRIDS))).ok(),
            source: r
                .chance(80)
                .then(|| SourceId::parse(&format!("S{:05}", r.below(SOURCES))).ok())
                .flatten(),
            unit: None,
            mode,
        };
        let mut p = ledger::new_problem(id, &np);
        let target = 1 + r.below(2 * avg_steps.max(1) - 1);
        let body = ledger::problem_body(&p).unwrap_or_default();
        let mut steps = vec![ImportStep {
            at: found_at,
            actor: c.inspector.person.as_str().to_owned(),
            action: "create".into(),
            payload: br#"{"action":"create"}"#.to_vec(),
            body,
        }];
        let mut t = found_at;
        while (steps.len() as u64) < target {
            t = t.plus_seconds(3600 + r.below(72 * 3600) as i64);
            let Some((actor, action)) = pick(&p, &mut r, &c) else {
                break;
            };
            let Ok((n, ev)) = transition(&p, &actor, action, t, cal) else {
                break;
            };
            p = n;
            steps.push(ImportStep {
                at: t,
                actor: actor.person.as_str().to_owned(),
                action: ev.action.code().into(),
                payload: ledger::event_payload(&ev).unwrap_or_default(),
                body: ledger::problem_body(&p).unwrap_or_default(),
            });
        }
        out.push(ImportedProblem { problem: p, steps });
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let k = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

fn random_filter(r: &mut Rng) -> ProblemFilter {
    const STATES: [State; 6] = [
        State::Assigned,
        State::Rectifying,
        State::Submitted,
        State::Closed,
        State::Reopened,
        State::New,
    ];
    loop {
        let mut f = ProblemFilter::default();
        if r.chance(50) {
            f.unit = Some(unit(r.below(UNITS)));
        }
        if r.chance(50) {
            let n = 1 + r.below(2);
            f.states = (0..n)
                .map(|_| STATES[r.below(STATES.len() as u64) as usize])
                .collect();
            f.states.dedup();
        }
        if r.chance(40) {
            f.overdue_at = Some(Timestamp(YEAR_START + r.below(365 * 86_400) as i64));
        }
        if r.chance(50) {
            f.campaign = Some(CAMPAIGNS[r.below(CAMPAIGNS.len() as u64) as usize].into());
        }
        if f != ProblemFilter::default() {
            return f;
        }
    }
}

fn describe(f: &ProblemFilter) -> String {
    let mut parts = Vec::new();
    if let Some(u) = &f.unit {
        parts.push(format!("unit={u}"));
    }
    if !f.states.is_empty() {
        let s: Vec<&str> = f.states.iter().map(|s| s.code()).collect();
        parts.push(format!("state={}", s.join("|")));
    }
    if let Some(t) = f.overdue_at {
        parts.push(format!("overdue_at={t}"));
    }
    if let Some(c) = &f.campaign {
        parts.push(format!("campaign={c}"));
    }
    parts.join(" ")
}

/// Fill (unless told not to), then measure.
pub(crate) async fn run<S: LedgerStore>(s: &S, o: &Opts) -> anyhow::Result<String> {
    let mut out = String::new();
    if o.fill {
        let (head, _) = s.log_head().await?;
        anyhow::ensure!(
            head == 0,
            "the store already has {head} log entries; bench a fresh store or pass --no-fill"
        );
        let avg = (o.log / o.problems.max(1)).max(1);
        let t = Instant::now();
        let mut first = 1;
        let mut pending = {
            let (n, seed) = (BATCH.min(o.problems), o.seed);
            tokio::task::spawn_blocking(move || generate(1, n, avg, seed, &Calendar::china()))
        };
        let mut gen_wait = 0.0;
        while first <= o.problems {
            let w = Instant::now();
            let batch = pending.await?;
            gen_wait += w.elapsed().as_secs_f64();
            let next_first = first + batch.len() as u64;
            let n = BATCH.min((o.problems + 1).saturating_sub(next_first));
            let seed = o.seed;
            pending = tokio::task::spawn_blocking(move || {
                generate(next_first, n, avg, seed, &Calendar::china())
            });
            s.import_history(&batch).await?;
            first = next_first;
            if first % 100_000 == 1 {
                eprintln!(
                    "  filled {} problems in {:.0} s",
                    first - 1,
                    t.elapsed().as_secs_f64()
                );
            }
        }
        s.put_evidence(
            BENCH_EVIDENCE,
            "application/octet-stream",
            &ledger::system_actor().person,
            Timestamp(0),
        )
        .await?;
        let (entries, _) = s.log_head().await?;
        let secs = t.elapsed().as_secs_f64();
        let m = Instant::now();
        s.maintain().await?;
        writeln!(
            out,
            "statistics (maintain): {:.1} s",
            m.elapsed().as_secs_f64()
        )?;
        writeln!(
            out,
            "fill: {} problems, {entries} log entries in {secs:.1} s ({:.0} entries/s; {gen_wait:.1} s \
             waiting for the generator)",
            o.problems,
            entries as f64 / secs
        )?;
    }
    let (entries, _) = s.log_head().await?;
    // Warm-up (caches, prepared statements), not counted.
    let mut r = Rng(o.seed ^ 0xfeed);
    for _ in 0..20 {
        s.problems(&random_filter(&mut r), Page::default()).await?;
    }
    let mut times = Vec::with_capacity(o.queries);
    let mut worst: Vec<(f64, String, u64)> = Vec::new();
    for _ in 0..o.queries {
        let f = random_filter(&mut r);
        let t = Instant::now();
        let page = s.problems(&f, Page::default()).await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        times.push(ms);
        worst.push((ms, describe(&f), page.total));
    }
    times.sort_by(f64::total_cmp);
    worst.sort_by(|a, b| b.0.total_cmp(&a.0));
    writeln!(
        out,
        "ledger list (first page of 50 + total), {} random filters over {entries} entries: \
         p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.last().copied().unwrap_or(f64::NAN)
    )?;
    for (ms, f, total) in worst.iter().take(5) {
        writeln!(out, "  slowest: {ms:.2} ms  {f}  (total {total})")?;
    }
    let t = Instant::now();
    let unfiltered = s
        .problems(&ProblemFilter::default(), Page::default())
        .await?;
    writeln!(
        out,
        "ledger list without any filter: {:.2} ms (total {})",
        t.elapsed().as_secs_f64() * 1000.0,
        unfiltered.total
    )?;
    // Reading alone, to tell the database's part from the hashing.
    let t = Instant::now();
    let (mut after, mut read) = (0, 0u64);
    loop {
        let chunk = s.log_entries(after, 500).await?;
        let Some(last) = chunk.last() else { break };
        after = last.seq;
        read += chunk.len() as u64;
    }
    let secs = t.elapsed().as_secs_f64();
    writeln!(
        out,
        "log read alone: {read} entries in {secs:.2} s = {:.0} entries/s",
        read as f64 / secs
    )?;
    let t = Instant::now();
    let v = ledger::verify(s, ledger::VERIFY_CHUNK).await?;
    let secs = t.elapsed().as_secs_f64();
    writeln!(
        out,
        "audit verify: {} entries + {} records in {secs:.2} s = {:.0} entries/s ({})",
        v.entries,
        v.records,
        v.entries as f64 / secs,
        v.tamper.map_or("chain holds".to_owned(), |t| t.to_string())
    )?;
    Ok(out)
}

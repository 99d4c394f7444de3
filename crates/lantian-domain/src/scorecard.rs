//! Scorecard figures per responsible unit (严督实考), from the problems as they stand at an
//! instant: on-time closure rate, overdue count, rebound count. Rankings (a versioned formula)
//! are built on these later; every figure keeps the problem ids behind it so it drills down.
//!
//! Counting rules:
//! - A problem counts for the unit it is assigned to (`Problem::unit`); unassigned problems,
//!   duplicates and cancelled ones count for no one.
//! - Closed on time: closed at or before its deadline with the suspended time added (the clock
//!   stops while suspended, as in `Problem::effective_deadline`). A closed problem without a
//!   deadline counts as closed but not in the rate's denominator.
//! - Overdue: open and past its effective deadline at `now` (`Problem::is_overdue`).
//! - Rebounds: the sum of `Problem::rebounds` (反弹 after a failed 回头看), whatever the state.

use crate::ids::UnitCode;
use crate::ledger::{Problem, State};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One unit's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitScore {
    /// The unit.
    pub unit: UnitCode,
    /// Problems counted (assigned to it, neither duplicate nor cancelled).
    pub total: u32,
    /// Still open.
    pub open: u32,
    /// Closed (销号).
    pub closed: u32,
    /// Closed with a deadline: the rate's denominator.
    pub closed_with_deadline: u32,
    /// Of those, closed on time.
    pub closed_on_time: u32,
    /// Open and overdue at the instant.
    pub overdue: u32,
    /// Rebounds (反弹).
    pub rebounds: u32,
    /// The overdue problems' ids.
    pub overdue_ids: Vec<u64>,
    /// The rebounded problems' ids.
    pub rebound_ids: Vec<u64>,
}

impl UnitScore {
    /// On-time closure rate, 0..=1; `None` when nothing with a deadline has closed.
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.closed_with_deadline > 0)
            .then(|| f64::from(self.closed_on_time) / f64::from(self.closed_with_deadline))
    }
}

/// Whether a closed problem was closed on time (deadline plus suspended time).
pub fn closed_on_time(p: &Problem) -> Option<bool> {
    let closed = p.closed_at?;
    let dl = p.deadline?;
    Some(closed <= dl.plus_seconds(p.suspended_secs))
}

/// Figures per unit at `now`, in unit-code order.
pub fn scorecards<'a>(
    problems: impl IntoIterator<Item = &'a Problem>,
    now: Timestamp,
) -> Vec<UnitScore> {
    let mut by: BTreeMap<&UnitCode, UnitScore> = BTreeMap::new();
    for p in problems {
        let Some(u) = p.unit.as_ref() else { continue };
        if matches!(p.state, State::Duplicate | State::Cancelled) {
            continue;
        }
        let s = by.entry(u).or_insert_with(|| UnitScore {
            unit: u.clone(),
            total: 0,
            open: 0,
            closed: 0,
            closed_with_deadline: 0,
            closed_on_time: 0,
            overdue: 0,
            rebounds: 0,
            overdue_ids: vec![],
            rebound_ids: vec![],
        });
        s.total += 1;
        if p.state.is_open() || p.state == State::Suspended {
            s.open += 1;
        }
        if p.state == State::Closed {
            s.closed += 1;
            if let Some(on_time) = closed_on_time(p) {
                s.closed_with_deadline += 1;
                s.closed_on_time += u32::from(on_time);
            }
        }
        if p.is_overdue(now) {
            s.overdue += 1;
            s.overdue_ids.push(p.id);
        }
        if p.rebounds > 0 {
            s.rebounds += p.rebounds;
            s.rebound_ids.push(p.id);
        }
    }
    by.into_values().collect()
}

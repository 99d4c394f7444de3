//! The four ledgers as tables: which columns, in which order, with which labels.

use crate::{Cell, Lang, Names, Table, local_minute};
use lantian_domain::Timestamp;
use lantian_domain::accountability::{AccountabilityRecord, Subject};
use lantian_domain::enforcement::EnforcementCase;
use lantian_domain::inspection::{InspectionRecord, NightWindow, Outcome, ReinspectionOutcome};
use lantian_domain::ledger::{Escalation, Finding, Mode, Problem, State};

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn headers(lang: Lang, cols: &[(&'static str, &'static str)]) -> Vec<&'static str> {
    cols.iter().map(|(zh, en)| pick(lang, zh, en)).collect()
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn time(t: Option<Timestamp>) -> Cell {
    t.map_or(Cell::Empty, |t| Cell::Text(local_minute(t)))
}

fn ids(v: &[u64]) -> Cell {
    if v.is_empty() {
        return Cell::Empty;
    }
    text(v.iter().map(u64::to_string).collect::<Vec<_>>().join("、"))
}

fn state_label(s: State, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => s.name_zh(),
        Lang::En => match s {
            State::New => "New",
            State::Assigned => "Assigned",
            State::Rectifying => "Rectifying",
            State::Submitted => "Awaiting verification",
            State::Closed => "Closed",
            State::Suspended => "Suspended",
            State::Reopened => "Reopened (rebound)",
            State::Duplicate => "Duplicate",
            State::Cancelled => "Cancelled",
        },
    }
}

fn escalation_label(e: Escalation, lang: Lang) -> &'static str {
    match (lang, e) {
        (Lang::Zh, e) => e.name_zh(),
        (Lang::En, Escalation::None) => "—",
        (Lang::En, Escalation::Warned) => "Due soon",
        (Lang::En, Escalation::Reminded) => "Reminded",
        (Lang::En, Escalation::Supervised) => "Supervised",
        (Lang::En, Escalation::Listed) => "Listed for supervision",
        (Lang::En, Escalation::Accountability) => "Accountability",
    }
}

fn finding_label(f: Finding, lang: Lang) -> &'static str {
    match f {
        Finding::Inspection => pick(lang, "督查检查", "Inspection"),
        Finding::Sensor => pick(lang, "监测预警", "Sensor alert"),
        Finding::Audit => pick(lang, "审计发现", "Audit"),
        Finding::Public => pick(lang, "群众举报", "Public report"),
    }
}

fn mode_label(m: &Mode, lang: Lang) -> String {
    match (m, lang) {
        (Mode::Immediate { hours }, Lang::Zh) => format!("立行立改（{hours}小时）"),
        (Mode::Immediate { hours }, Lang::En) => format!("Immediate ({hours} h)"),
        (Mode::TimeBound { working_days, .. }, Lang::Zh) => {
            format!("限时整改（{working_days}个工作日）")
        }
        (Mode::TimeBound { working_days, .. }, Lang::En) => {
            format!("Time-bound ({working_days} working days)")
        }
    }
}

fn yes_no(b: bool, lang: Lang) -> Cell {
    text(match (b, lang) {
        (true, Lang::Zh) => "是",
        (false, Lang::Zh) => "否",
        (true, Lang::En) => "yes",
        (false, Lang::En) => "no",
    })
}

const PROBLEM_COLS: [(&str, &str); 19] = [
    ("序号", "No."),
    ("问题编号", "Problem ID"),
    ("问题描述", "Description"),
    ("问题类别", "Category"),
    ("所属专项", "Campaign"),
    ("网格", "Grid"),
    ("责任单位", "Responsible unit"),
    ("责任人", "Responsible person"),
    ("发现方式", "Found by"),
    ("发现时间", "Found at"),
    ("整改方式", "Rectification mode"),
    ("整改时限", "Deadline"),
    ("整改状态", "Status"),
    ("是否超期", "Overdue"),
    ("督办等级", "Escalation"),
    ("核查人", "Verified by"),
    ("核查单位", "Verifying unit"),
    ("销号时间", "Closed at"),
    ("反弹次数", "Rebounds"),
];

/// The problem ledger (问题台账). 整改时限 is the deadline with the suspended time added so
/// far (the clock stops while suspended); 是否超期 is judged at `as_of`.
pub fn problems_table(rows: &[Problem], names: &Names, lang: Lang, as_of: Timestamp) -> Table {
    Table {
        sheet: pick(lang, "问题台账", "Problems"),
        headers: headers(lang, &PROBLEM_COLS),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let v = p.verification.as_ref();
                vec![
                    Cell::Int(i as i64 + 1),
                    Cell::Int(p.id as i64),
                    text(p.description.clone()),
                    text(names.category(&p.campaign, &p.category, lang)),
                    text(names.campaign(&p.campaign, lang)),
                    p.grid
                        .as_ref()
                        .map_or(Cell::Empty, |g| text(names.region(g))),
                    p.unit.as_ref().map_or(Cell::Empty, |u| text(names.unit(u))),
                    p.assignee
                        .as_ref()
                        .map_or(Cell::Empty, |a| text(names.person(a))),
                    text(finding_label(p.finding, lang)),
                    time(Some(p.found_at)),
                    text(mode_label(&p.mode, lang)),
                    time(p.deadline.map(|d| d.plus_seconds(p.suspended_secs))),
                    text(state_label(p.state, lang)),
                    yes_no(p.is_overdue(as_of), lang),
                    text(escalation_label(p.escalation, lang)),
                    v.map_or(Cell::Empty, |v| text(names.person(&v.by))),
                    v.map_or(Cell::Empty, |v| text(names.unit(&v.unit))),
                    time(p.closed_at),
                    Cell::Int(i64::from(p.rebounds)),
                ]
            })
            .collect(),
    }
}

const INSPECTION_COLS: [(&str, &str); 21] = [
    ("序号", "No."),
    ("检查编号", "Inspection ID"),
    ("检查名称", "Inspection"),
    ("专项行动", "Campaign"),
    ("检查方式", "Mode"),
    ("检查对象", "Target"),
    ("网格", "Grid"),
    ("被检查单位", "Inspected unit"),
    ("检查人", "Inspectors"),
    ("检查人单位", "Inspectors' units"),
    ("检查时间", "Inspected at"),
    ("签到位置", "Check-in position"),
    ("距检查对象（米）", "Distance to target (m)"),
    ("位置异常", "Position flagged"),
    ("是否夜查", "At night"),
    ("不合格项数", "Items failed"),
    ("发现问题数", "Problems found"),
    ("问题编号", "Problem IDs"),
    ("证据数", "Evidence files"),
    ("回头看问题编号", "Re-inspected problem"),
    ("回头看结论", "Re-inspection outcome"),
];

/// One row of the inspections ledger: the record, the title of the plan it carried out (检查
/// 名称; none for a visit without a plan), the problems its findings created, and whether its
/// check-in was flagged as too far from the target.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectionRow {
    /// The record.
    pub record: InspectionRecord,
    /// Its plan's title.
    pub title: Option<String>,
    /// Problems created by its findings.
    pub problems: Vec<u64>,
    /// The check-in was flagged (too far, or nothing to compare with).
    pub too_far: bool,
}

/// Inspections (检查台账). Night is judged by `night` on the check-in's local time; the
/// distance is to the target's registered point (blank when it has none). 检查名称 is the plan's
/// title, else "<mode> · <target>".
pub fn inspections_table(
    rows: &[InspectionRow],
    names: &Names,
    lang: Lang,
    night: &NightWindow,
) -> Table {
    Table {
        sheet: pick(lang, "检查台账", "Inspections"),
        headers: headers(lang, &INSPECTION_COLS),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let r = &row.record;
                let mut units: Vec<String> =
                    r.inspectors.iter().map(|m| names.unit(&m.unit)).collect();
                units.dedup();
                let pos = r.check_in.position;
                let evidence =
                    r.evidence.len() + r.findings.iter().map(|f| f.evidence.len()).sum::<usize>();
                let mode = match lang {
                    Lang::Zh => r.mode.name_zh(),
                    Lang::En => r.mode.name_en(),
                };
                vec![
                    Cell::Int(i as i64 + 1),
                    Cell::Int(r.id as i64),
                    text(
                        row.title
                            .clone()
                            .unwrap_or_else(|| format!("{mode} · {}", r.target.name)),
                    ),
                    text(names.campaign(&r.campaign, lang)),
                    text(mode),
                    text(r.target.name.clone()),
                    r.target
                        .grid
                        .as_ref()
                        .map_or(Cell::Empty, |g| text(names.region(g))),
                    r.target
                        .unit
                        .as_ref()
                        .map_or(Cell::Empty, |u| text(names.unit(u))),
                    text(
                        r.inspectors
                            .iter()
                            .map(|m| names.person(&m.person))
                            .collect::<Vec<_>>()
                            .join("、"),
                    ),
                    text(units.join("、")),
                    time(Some(r.check_in.at)),
                    text(format!("{:.6},{:.6}", pos.lon, pos.lat)),
                    r.target
                        .location
                        .map_or(Cell::Empty, |t| Cell::Int(pos.distance_m(t).round() as i64)),
                    yes_no(row.too_far, lang),
                    yes_no(night.contains(r.check_in.at), lang),
                    Cell::Int(
                        r.results
                            .iter()
                            .filter(|x| x.outcome == Outcome::Fail)
                            .count() as i64,
                    ),
                    Cell::Int(r.findings.len() as i64),
                    ids(&row.problems),
                    Cell::Int(evidence as i64),
                    r.reinspection
                        .as_ref()
                        .map_or(Cell::Empty, |x| Cell::Int(x.problem as i64)),
                    r.reinspection
                        .as_ref()
                        .map_or(Cell::Empty, |x| match (&x.outcome, lang) {
                            (ReinspectionOutcome::Held, Lang::Zh) => text("整改到位"),
                            (ReinspectionOutcome::Held, Lang::En) => text("Held"),
                            (ReinspectionOutcome::Rebounded { reason }, Lang::Zh) => {
                                text(format!("反弹：{reason}"))
                            }
                            (ReinspectionOutcome::Rebounded { reason }, Lang::En) => {
                                text(format!("Rebounded: {reason}"))
                            }
                        }),
                ]
            })
            .collect(),
    }
}

const CASE_COLS: [(&str, &str); 17] = [
    ("序号", "No."),
    ("案件编号", "Case ID"),
    ("案由", "Cause"),
    ("当事人", "Party"),
    ("关联污染源", "Sources"),
    ("关联问题", "Problems"),
    ("承办单位", "Handling unit"),
    ("承办人", "Officers"),
    ("立案时间", "Filed at"),
    ("案件状态", "Status"),
    ("告知书文号", "Notice no."),
    ("拟罚款金额（元）", "Proposed penalty (yuan)"),
    ("处罚决定书文号", "Decision no."),
    ("罚款金额（元）", "Penalty (yuan)"),
    ("决定时间", "Decided at"),
    ("执行时间", "Executed at"),
    ("结案时间", "Closed at"),
];

/// Enforcement cases (执法案件台账).
pub fn cases_table(rows: &[EnforcementCase], names: &Names, lang: Lang) -> Table {
    let opt = |s: &Option<String>| s.as_ref().map_or(Cell::Empty, |s| text(s.clone()));
    Table {
        sheet: pick(lang, "执法案件台账", "Enforcement cases"),
        headers: headers(lang, &CASE_COLS),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    Cell::Int(i as i64 + 1),
                    Cell::Int(c.id as i64),
                    text(c.title.clone()),
                    text(c.party.clone()),
                    text(
                        c.sources
                            .iter()
                            .map(|s| names.source(s))
                            .collect::<Vec<_>>()
                            .join("、"),
                    ),
                    ids(&c.problems),
                    text(names.unit(&c.unit)),
                    text(
                        c.officers
                            .iter()
                            .map(|p| names.person(p))
                            .collect::<Vec<_>>()
                            .join("、"),
                    ),
                    time(Some(c.filed_at)),
                    text(match lang {
                        Lang::Zh => c.state.name_zh(),
                        Lang::En => c.state.name_en(),
                    }),
                    opt(&c.notice_no),
                    c.proposed.map_or(Cell::Empty, Cell::Money),
                    opt(&c.decision_no),
                    c.penalty.map_or(Cell::Empty, Cell::Money),
                    time(c.decided_at),
                    time(c.executed_at),
                    time(c.closed_at),
                ]
            })
            .collect(),
    }
}

const ACCOUNTABILITY_COLS: [(&str, &str); 10] = [
    ("序号", "No."),
    ("问责编号", "Record ID"),
    ("问责对象", "Subject"),
    ("对象类型", "Subject type"),
    ("所属单位", "Unit"),
    ("问责方式", "Kind"),
    ("问责事由", "Reason"),
    ("关联问题", "Problems"),
    ("决定人", "Decided by"),
    ("决定时间", "Decided at"),
];

/// Accountability records (问责台账).
pub fn accountability_table(rows: &[AccountabilityRecord], names: &Names, lang: Lang) -> Table {
    Table {
        sheet: pick(lang, "问责台账", "Accountability"),
        headers: headers(lang, &ACCOUNTABILITY_COLS),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let (who, kind) = match &a.subject {
                    Subject::Unit { unit } => (names.unit(unit), pick(lang, "单位", "Unit")),
                    Subject::Person { person, .. } => {
                        (names.person(person), pick(lang, "个人", "Person"))
                    }
                };
                vec![
                    Cell::Int(i as i64 + 1),
                    Cell::Int(a.id as i64),
                    text(who),
                    text(kind),
                    text(names.unit(a.subject.unit())),
                    text(match lang {
                        Lang::Zh => a.kind.name_zh(),
                        Lang::En => a.kind.name_en(),
                    }),
                    text(a.reason.clone()),
                    ids(&a.problems),
                    text(names.person(&a.decided_by)),
                    time(Some(a.decided_at)),
                ]
            })
            .collect(),
    }
}

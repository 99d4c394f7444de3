//! Integration tests of the exports: CSV content as insta snapshots (Chinese and English), the
//! .xlsx read back with calamine and its cells checked, names shown instead of codes.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use calamine::{Data, Reader, Xlsx};
use lantian_domain::accountability::*;
use lantian_domain::calendar::Calendar;
use lantian_domain::campaign::Catalog;
use lantian_domain::enforcement::{self, CaseAction, CaseDraft, EnforcementCase, Fen};
use lantian_domain::geo::Point;
use lantian_domain::inspection::*;
use lantian_domain::ledger::*;
use lantian_domain::org::Role;
use lantian_domain::{ContentHash, PersonId, RegionCode, SourceId, Timestamp, UnitCode};
use lantian_export::*;

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn actor(person: &str, unit: &str, role: Role) -> Actor {
    Actor {
        person: PersonId::parse(person).unwrap(),
        unit: UnitCode::parse(unit).unwrap(),
        role,
        grids: vec![],
    }
}

fn names() -> Names {
    let u = |c: &str| UnitCode::parse(c).unwrap();
    let p = |c: &str| PersonId::parse(c).unwrap();
    Names {
        units: [
            (u("CGZX"), "城管中心"),
            (u("KGZX"), "科工中心"),
            (u("SHJZX"), "生态环境中心"),
            (u("ZFJ"), "综合执法局"),
            (u("ZJJ"), "住房和城乡建设局"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect(),
        people: [
            (p("staff-cgzx"), "王强"),
            (p("inspector-kgzx"), "李敏"),
            (p("officer-1"), "赵刚"),
            (p("officer-2"), "孙丽"),
            (p("admin"), "周书记"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect(),
        regions: [(
            RegionCode::parse("G1").unwrap(),
            "李万街道第1网格".to_owned(),
        )]
        .into(),
        sources: [(SourceId::parse("S-0042").unwrap(), "鑫汇兴包装".to_owned())].into(),
        campaigns: Catalog::embedded().unwrap(),
    }
}

/// Four problems through the real ledger: closed on time, overdue while rectifying, rebounded,
/// and one whose category is not in its campaign (shown as stored).
fn problems() -> Vec<Problem> {
    let cal = Calendar::china();
    let dispatcher = actor("dispatcher", "SHJZX", Role::Dispatcher);
    let staff = actor("staff-cgzx", "CGZX", Role::UnitStaff);
    let inspector = actor("inspector-kgzx", "KGZX", Role::Inspector);
    let assign = Action::Assign {
        unit: UnitCode::parse("CGZX").unwrap(),
        assignee: PersonId::parse("staff-cgzx").unwrap(),
    };
    let ev = |s: &str| vec![ContentHash::of(s.as_bytes()).to_string()];
    let step = |p: Problem, a: &Actor, act: Action, t: &str| {
        transition(&p, a, act, at(t), &cal).unwrap().0
    };
    let new = |id, cat: &str, desc: &str, mode| {
        let mut p = Problem::new(
            id,
            "air",
            cat,
            desc,
            Finding::Inspection,
            at("2025-12-22T21:40:00+08:00"),
            mode,
        );
        p.grid = Some(RegionCode::parse("G1").unwrap());
        p
    };
    let mut p1 = new(
        1,
        "site_dust",
        "工地裸土未覆盖",
        Mode::Immediate { hours: 24 },
    );
    p1 = step(p1, &dispatcher, assign.clone(), "2025-12-22T22:00:00+08:00");
    p1 = step(p1, &staff, Action::Start, "2025-12-22T22:30:00+08:00");
    p1 = step(
        p1,
        &staff,
        Action::Submit {
            evidence: ev("after"),
            note: "已覆盖".into(),
        },
        "2025-12-23T09:00:00+08:00",
    );
    p1 = step(
        p1,
        &inspector,
        Action::Approve {
            evidence: ev("check"),
        },
        "2025-12-23T15:05:00+08:00",
    );

    let mut p2 = new(
        2,
        "voc_leaks",
        "有机废气收集设施未运行",
        Mode::TimeBound {
            working_days: 2,
            milestones: vec![],
        },
    );
    p2.finding = Finding::Sensor;
    p2 = step(p2, &dispatcher, assign.clone(), "2025-12-22T22:00:00+08:00");
    p2 = step(p2, &staff, Action::Start, "2025-12-23T08:00:00+08:00");

    let mut p3 = new(
        3,
        "road_cleaning",
        "=HYPERLINK(\"http://x\")世纪路积尘",
        Mode::Immediate { hours: 4 },
    );
    p3 = step(p3, &dispatcher, assign, "2025-12-22T22:00:00+08:00");
    p3 = step(p3, &staff, Action::Start, "2025-12-22T22:10:00+08:00");
    p3 = step(
        p3,
        &staff,
        Action::Submit {
            evidence: ev("after3"),
            note: "已清扫".into(),
        },
        "2025-12-22T23:00:00+08:00",
    );
    p3 = step(
        p3,
        &inspector,
        Action::Approve {
            evidence: ev("check3"),
        },
        "2025-12-23T08:00:00+08:00",
    );
    p3 = step(
        p3,
        &inspector,
        Action::Reopen {
            reason: "回头看发现积尘，含逗号,和引号\"".into(),
        },
        "2025-12-30T23:00:00+08:00",
    );

    let mut p4 = Problem::new(
        4,
        "air",
        "噪声扰民",
        "夜间施工噪声",
        Finding::Public,
        at("2025-12-24T07:59:00+08:00"),
        Mode::Immediate { hours: 12 },
    );
    p4.escalation = Escalation::None;
    vec![p1, p2, p3, p4]
}

fn inspections() -> Vec<InspectionRow> {
    let team = vec![Inspector::from(&actor(
        "inspector-kgzx",
        "KGZX",
        Role::Inspector,
    ))];
    let target = Target {
        kind: TargetKind::Source,
        code: "S-0042".into(),
        name: "鑫汇兴包装".into(),
        location: Some(Point::new(113.30, 35.20).unwrap()),
        grid: Some(RegionCode::parse("G1").unwrap()),
        unit: Some(UnitCode::parse("ZJJ").unwrap()),
    };
    let night = InspectionRecord {
        id: 11,
        plan: Some(7),
        campaign: "air".into(),
        mode: InspectionMode::Unannounced,
        inspectors: team.clone(),
        target: target.clone(),
        check_in: CheckIn {
            at: at("2025-12-23T22:15:00+08:00"),
            position: Point::new(113.30, 35.201).unwrap(),
        },
        results: vec![
            ChecklistResult {
                item: "capture".into(),
                outcome: Outcome::Fail,
                note: "".into(),
            },
            ChecklistResult {
                item: "ldar".into(),
                outcome: Outcome::Pass,
                note: "".into(),
            },
        ],
        findings: vec![FindingDraft {
            category: "voc_leaks".into(),
            description: "有机废气收集设施未运行".into(),
            evidence: vec![ContentHash::of(b"p1"), ContentHash::of(b"p2")],
            mode: None,
        }],
        evidence: vec![ContentHash::of(b"p0")],
        reinspection: None,
    };
    let back = InspectionRecord {
        id: 12,
        plan: None,
        mode: InspectionMode::Reinspection,
        check_in: CheckIn {
            at: at("2025-12-30T23:00:00+08:00"),
            position: Point::new(113.30, 35.20).unwrap(),
        },
        results: vec![],
        findings: vec![],
        evidence: vec![ContentHash::of(b"p3")],
        reinspection: Some(Reinspection {
            problem: 3,
            outcome: ReinspectionOutcome::Rebounded {
                reason: "路面积尘".into(),
            },
        }),
        ..night.clone()
    };
    vec![
        InspectionRow {
            record: night,
            title: Some("夜间暗访涉VOCs企业".into()),
            problems: vec![5],
            too_far: false,
        },
        InspectionRow {
            record: back,
            title: None,
            problems: vec![],
            too_far: true,
        },
    ]
}

fn cases() -> Vec<EnforcementCase> {
    let o1 = actor("officer-1", "ZFJ", Role::EnforcementOfficer);
    let admin = actor("admin", "ZHB", Role::Admin);
    let t = at("2025-12-24T10:00:00+08:00");
    let (c, _) = enforcement::file(
        CaseDraft {
            id: 21,
            title: "未按规定使用VOCs治理设施".into(),
            party: "焦作市鑫汇兴包装有限公司".into(),
            sources: vec![SourceId::parse("S-0042").unwrap()],
            problems: vec![2],
        },
        &o1,
        t,
    )
    .unwrap();
    let mut open = c.clone();
    open.id = 22;
    let steps = [
        (
            o1.clone(),
            CaseAction::Investigate {
                officers: vec![o1.person.clone(), PersonId::parse("officer-2").unwrap()],
                findings: "设施未运行".into(),
                evidence: vec![ContentHash::of(b"r")],
            },
            "2025-12-25T10:00:00+08:00",
        ),
        (
            o1.clone(),
            CaseAction::Notify {
                notice_no: "焦高环罚告〔2025〕21号".into(),
                proposed: Fen::parse_yuan("50000").unwrap(),
            },
            "2025-12-26T10:00:00+08:00",
        ),
        (
            admin,
            CaseAction::DecidePenalty {
                decision_no: "焦高环罚〔2025〕21号".into(),
                amount: Fen::parse_yuan("42500.50").unwrap(),
            },
            "2025-12-29T10:00:00+08:00",
        ),
    ];
    let mut c = c;
    for (a, act, when) in steps {
        c = enforcement::transition(&c, &a, act, at(when)).unwrap().0;
    }
    vec![c, open]
}

fn accountability() -> Vec<AccountabilityRecord> {
    let admin = actor("admin", "ZHB", Role::Admin);
    vec![
        AccountabilityRecord::new(
            AccountabilityDraft {
                id: 31,
                subject: Subject::Unit {
                    unit: UnitCode::parse("CGZX").unwrap(),
                },
                kind: AccountabilityKind::Interview,
                reason: "道路保洁问题反弹".into(),
                problems: vec![3],
            },
            &admin,
            at("2025-12-31T09:00:00+08:00"),
        )
        .unwrap(),
        AccountabilityRecord::new(
            AccountabilityDraft {
                id: 32,
                subject: Subject::Person {
                    person: PersonId::parse("staff-cgzx").unwrap(),
                    unit: UnitCode::parse("CGZX").unwrap(),
                },
                kind: AccountabilityKind::Admonishment,
                reason: "".into(),
                problems: vec![2, 3],
            },
            &admin,
            at("2025-12-31T09:30:00+08:00"),
        )
        .unwrap(),
    ]
}

fn as_of() -> Timestamp {
    at("2025-12-31T18:00:00+08:00")
}

fn all_tables(lang: Lang) -> Vec<Table> {
    let n = names();
    vec![
        problems_table(&problems(), &n, lang, as_of()),
        inspections_table(&inspections(), &n, lang, &NightWindow::default()),
        cases_table(&cases(), &n, lang),
        accountability_table(&accountability(), &n, lang),
    ]
}

fn csv_text(t: &Table) -> String {
    let bytes = to_csv(t).unwrap();
    assert!(
        bytes.starts_with(BOM),
        "a CSV for Excel starts with the UTF-8 BOM"
    );
    String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap()
}

#[test]
fn csv_snapshots_zh() {
    let [p, i, c, a]: [Table; 4] = all_tables(Lang::Zh).try_into().unwrap();
    insta::assert_snapshot!("problems_zh", csv_text(&p));
    insta::assert_snapshot!("inspections_zh", csv_text(&i));
    insta::assert_snapshot!("cases_zh", csv_text(&c));
    insta::assert_snapshot!("accountability_zh", csv_text(&a));
}

#[test]
fn csv_snapshots_en() {
    let [p, i, c, a]: [Table; 4] = all_tables(Lang::En).try_into().unwrap();
    insta::assert_snapshot!("problems_en", csv_text(&p));
    insta::assert_snapshot!("inspections_en", csv_text(&i));
    insta::assert_snapshot!("cases_en", csv_text(&c));
    insta::assert_snapshot!("accountability_en", csv_text(&a));
}

#[test]
fn csv_defuses_formulas_and_quotes() {
    let t = problems_table(&problems(), &names(), Lang::Zh, as_of());
    let text = csv_text(&t);
    assert!(
        text.contains("'=HYPERLINK(\"\"http://x\"\")世纪路积尘"),
        "{text}"
    );
    assert!(text.lines().count() == 5 && text.ends_with("\r\n"));
}

fn cell(r: &calamine::Range<Data>, row: u32, col: u32) -> Data {
    r.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

fn s(v: &str) -> Data {
    Data::String(v.to_owned())
}

#[test]
fn xlsx_reads_back() {
    let bytes = to_xlsx(&all_tables(Lang::Zh), as_of()).unwrap();
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["问题台账", "检查台账", "执法案件台账", "问责台账"]
    );

    let p = wb.worksheet_range("问题台账").unwrap();
    assert_eq!(p.height(), 5);
    let header: Vec<Data> = (0..19).map(|c| cell(&p, 0, c)).collect();
    let expected = [
        "序号",
        "问题编号",
        "问题描述",
        "问题类别",
        "所属专项",
        "网格",
        "责任单位",
        "责任人",
        "发现方式",
        "发现时间",
        "整改方式",
        "整改时限",
        "整改状态",
        "是否超期",
        "督办等级",
        "核查人",
        "核查单位",
        "销号时间",
        "反弹次数",
    ];
    assert_eq!(header, expected.map(s));
    // Row 1: the closed problem, with names, not codes.
    assert_eq!(cell(&p, 1, 0), Data::Float(1.0));
    assert_eq!(cell(&p, 1, 2), s("工地裸土未覆盖"));
    assert_eq!(cell(&p, 1, 3), s("工地扬尘"));
    assert_eq!(cell(&p, 1, 4), s("大气污染防治攻坚"));
    assert_eq!(cell(&p, 1, 5), s("李万街道第1网格"));
    assert_eq!(cell(&p, 1, 6), s("城管中心"));
    assert_eq!(cell(&p, 1, 7), s("王强"));
    assert_eq!(cell(&p, 1, 9), s("2025-12-22 21:40"));
    assert_eq!(cell(&p, 1, 10), s("立行立改（24小时）"));
    assert_eq!(cell(&p, 1, 11), s("2025-12-23 22:00"));
    assert_eq!(cell(&p, 1, 12), s("已销号"));
    assert_eq!(cell(&p, 1, 13), s("否"));
    assert_eq!(cell(&p, 1, 15), s("李敏"));
    assert_eq!(cell(&p, 1, 16), s("科工中心"));
    assert_eq!(cell(&p, 1, 17), s("2025-12-23 15:05"));
    assert_eq!(cell(&p, 1, 18), Data::Float(0.0));
    // Row 2 overdue while rectifying; row 3 rebounded once, the formula kept as plain text.
    assert_eq!((cell(&p, 2, 12), cell(&p, 2, 13)), (s("整改中"), s("是")));
    assert_eq!(cell(&p, 2, 8), s("监测预警"));
    assert_eq!(cell(&p, 3, 2), s("=HYPERLINK(\"http://x\")世纪路积尘"));
    assert_eq!(
        (cell(&p, 3, 12), cell(&p, 3, 18)),
        (s("反弹"), Data::Float(1.0))
    );
    // Row 4: unassigned, a category not in the campaign shown as stored.
    assert_eq!(
        (cell(&p, 4, 3), cell(&p, 4, 6)),
        (s("噪声扰民"), Data::Empty)
    );

    let i = wb.worksheet_range("检查台账").unwrap();
    assert_eq!(cell(&i, 1, 2), s("夜间暗访涉VOCs企业"));
    assert_eq!(cell(&i, 1, 4), s("四不两直暗访"));
    assert_eq!(cell(&i, 1, 8), s("李敏"));
    assert_eq!(cell(&i, 1, 12), Data::Float(111.0));
    assert_eq!((cell(&i, 1, 13), cell(&i, 1, 14)), (s("否"), s("是")));
    assert_eq!(
        (cell(&i, 1, 15), cell(&i, 1, 16), cell(&i, 1, 17)),
        (Data::Float(1.0), Data::Float(1.0), s("5"))
    );
    assert_eq!(cell(&i, 1, 18), Data::Float(3.0));
    assert_eq!(cell(&i, 2, 2), s("回头看 · 鑫汇兴包装"));
    assert_eq!(cell(&i, 2, 13), s("是"));
    assert_eq!(
        (cell(&i, 2, 19), cell(&i, 2, 20)),
        (Data::Float(3.0), s("反弹：路面积尘"))
    );

    let c = wb.worksheet_range("执法案件台账").unwrap();
    assert_eq!(cell(&c, 1, 4), s("鑫汇兴包装"));
    assert_eq!(cell(&c, 1, 7), s("赵刚、孙丽"));
    assert_eq!(cell(&c, 1, 9), s("已作出处罚决定"));
    assert_eq!(cell(&c, 1, 11), Data::Float(50000.0));
    assert_eq!(cell(&c, 1, 13), Data::Float(42500.5));
    assert_eq!(
        (cell(&c, 2, 9), cell(&c, 2, 13)),
        (s("已立案"), Data::Empty)
    );

    let a = wb.worksheet_range("问责台账").unwrap();
    assert_eq!(
        (cell(&a, 1, 2), cell(&a, 1, 3), cell(&a, 1, 5)),
        (s("城管中心"), s("单位"), s("约谈"))
    );
    assert_eq!(
        (cell(&a, 2, 2), cell(&a, 2, 4), cell(&a, 2, 7)),
        (s("王强"), s("城管中心"), s("2、3"))
    );
    assert_eq!(cell(&a, 2, 8), s("周书记"));

    // Same rows, same bytes.
    assert_eq!(to_xlsx(&all_tables(Lang::Zh), as_of()).unwrap(), bytes);
    // English sheet names and headers.
    let en = to_xlsx(&all_tables(Lang::En), as_of()).unwrap();
    let mut wb = Xlsx::new(std::io::Cursor::new(en)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Problems",
            "Inspections",
            "Enforcement cases",
            "Accountability"
        ]
    );
    let p = wb.worksheet_range("Problems").unwrap();
    assert_eq!(
        (cell(&p, 0, 2), cell(&p, 1, 12)),
        (s("Description"), s("Closed"))
    );
}

//! The 污染源, 执法, 问责 and 排名 pages over HTTP (SQLite, and PostgreSQL under CI=true): a case
//! filed and moved through its forms (with a photo and a refusal shown on the page), an
//! accountability decision through its form, sources scoped by unit and grid with their
//! problem history, and rankings whose town figures match the API's assessment.

use crate::harness::{Client, Resp, Server};
use crate::ledger_pages::PNG;
use lantian_domain::org::Role;
use lantian_domain::region::RegionLevel;
use lantian_store::Store;
use serde_json::json;

fn config() -> lantian_server::Config {
    lantian_server::Config::default()
}

fn location(r: &Resp) -> String {
    r.header("location").unwrap_or_default().to_owned()
}

async fn act(c: &mut Client, id: u64, fields: &[(&str, &str)]) -> Resp {
    c.post_form(&format!("/cases/{id}/act"), fields).await
}

async fn a_case_through_its_forms(s: &Server) {
    let mut dispatcher = s.login(Role::Dispatcher).await;
    let problem = dispatcher
        .post_json(
            "/api/v1/problems",
            &json!({"category": "site_dust", "description": "夜间违规施工", "grid": s.fx.own_grid}),
        )
        .await
        .json()["id"]
        .as_u64()
        .unwrap();
    let mut officer = s.login(Role::EnforcementOfficer).await;
    let me = officer.get("/api/v1/me").await.json()["user"]["person"]
        .as_str()
        .unwrap()
        .to_owned();
    let people = s.app.db.people().await.unwrap();
    let partner = people.last().unwrap().id.as_str().to_owned();
    // The list offers the filing form to an officer; a refused filing shows the reason.
    let list = officer.get("/cases").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("action=\"/cases\""), "{}", list.body);
    let r = officer
        .post_form(
            "/cases",
            &[
                ("title", "无关联"),
                ("party", "某公司"),
                ("sources", ""),
                ("problems", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"refused\""));
    let problem_s = problem.to_string();
    let r = officer
        .post_form(
            "/cases",
            &[
                ("title", "<script>alert(9)</script>夜间施工"),
                ("party", "某建设公司"),
                ("problems", &problem_s),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = location(&r);
    let id: u64 = loc
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = officer.get(&loc).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"done\""));
    assert!(page.body.contains("&lt;script&gt;alert(9)"));
    assert!(!page.body.contains("<script>alert(9)"));
    assert!(page.body.contains(&format!("href=\"/problems/{problem}\"")));
    assert!(page.body.contains("id=\"act-investigate\""));
    assert!(!page.body.contains("id=\"act-notify\""));
    // A photo for the investigation, then the step with two officers.
    let up = officer
        .request(
            "POST",
            &format!("/cases/{id}/evidence"),
            Some("image/png"),
            &PNG,
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    let hash = up.json()["hash"].as_str().unwrap().to_owned();
    let officers = format!("{me},{partner}");
    let r = act(
        &mut officer,
        id,
        &[
            ("action", "investigate"),
            ("seq", "1"),
            ("officers", &me),
            ("findings", "现场夜间施工"),
            ("evidence", &hash),
        ],
    )
    .await;
    assert_eq!(r.status, 422, "one officer is refused: {}", r.body);
    assert!(r.body.contains("id=\"refused\""));
    let r = act(
        &mut officer,
        id,
        &[
            ("action", "investigate"),
            ("seq", "1"),
            ("officers", &officers),
            ("findings", "现场夜间施工"),
            ("evidence", &hash),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get(&format!("/cases/{id}")).await.body;
    assert!(page.contains("已调查取证") && page.contains("现场夜间施工"));
    assert!(page.contains(&format!("/cases/{id}/evidence/{hash}")));
    assert_eq!(
        officer
            .get(&format!("/cases/{id}/evidence/{hash}"))
            .await
            .status,
        200
    );
    let r = act(
        &mut officer,
        id,
        &[
            ("action", "notify"),
            ("seq", "2"),
            ("notice_no", "焦高环罚告〔2025〕9号"),
            ("proposed", "20,000"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The officer is not offered the decision; the command is, and above the notice is refused.
    let page = officer.get(&format!("/cases/{id}")).await.body;
    assert!(!page.contains("id=\"act-decide_penalty\""));
    let mut admin = s.login(Role::Admin).await;
    let page = admin.get(&format!("/cases/{id}")).await.body;
    assert!(page.contains("id=\"act-decide_penalty\""), "{page}");
    let r = act(
        &mut admin,
        id,
        &[
            ("action", "decide_penalty"),
            ("seq", "3"),
            ("decision_no", "焦高环罚〔2025〕9号"),
            ("amount", "25000"),
        ],
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = act(
        &mut admin,
        id,
        &[
            ("action", "decide_penalty"),
            ("seq", "3"),
            ("decision_no", "焦高环罚〔2025〕9号"),
            ("amount", "18000.50"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // A stale form.
    let r = act(
        &mut officer,
        id,
        &[
            ("action", "execute"),
            ("seq", "3"),
            ("collected", "18000.50"),
            ("evidence", &hash),
        ],
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let page = admin.get(&format!("/cases/{id}")).await.body;
    assert!(page.contains("18000.50") && page.contains("已作出处罚决定"));
    // The list filters by state and links the case; another unit's staff does not see it.
    let list = admin.get("/cases?state=penalty_decided").await.body;
    assert!(list.contains(&format!("href=\"/cases/{id}\"")), "{list}");
    assert!(
        !admin
            .get("/cases?state=closed")
            .await
            .body
            .contains(&format!("href=\"/cases/{id}\""))
    );
    let mut staff = s.login(Role::UnitStaff).await;
    let r = staff.get(&format!("/cases/{id}")).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("out_of_scope"));
    let mut worker = s.login(Role::GridWorker).await;
    assert_eq!(worker.get("/cases").await.status, 403);
    // CSRF: a form without the token is refused before any handler.
    officer.csrf = None;
    let r = act(
        &mut officer,
        id,
        &[("action", "close"), ("seq", "4"), ("summary", "x")],
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (403, "csrf_failed"));
}

async fn accountability_through_its_form(s: &Server) {
    let mut leader = s.login(Role::Leader).await;
    let page = leader.get("/accountability").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"decide\""));
    let r = leader
        .post_form(
            "/accountability",
            &[
                ("unit", &s.fx.unit),
                ("person", ""),
                ("kind", "admonishment"),
                ("reason", "r"),
                ("problems", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "诫勉 is for people: {}", r.body);
    assert!(r.body.contains("id=\"refused\""));
    let r = leader
        .post_form(
            "/accountability",
            &[
                ("unit", &s.fx.unit),
                ("person", ""),
                ("kind", "public_criticism"),
                ("reason", "<i>整改不力</i>，超期三次"),
                ("problems", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = leader.get("/accountability?msg=done").await.body;
    assert!(page.contains("通报批评") && page.contains("&lt;i&gt;整改不力"));
    let mut staff = s.login(Role::UnitStaff).await;
    let mine = staff.get("/accountability").await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains("整改不力"));
    assert!(!mine.body.contains("id=\"decide\""), "staff do not decide");
    let r = staff
        .post_form(
            "/accountability",
            &[("unit", &s.fx.unit), ("kind", "interview"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, 403);
    let mut worker = s.login(Role::GridWorker).await;
    assert_eq!(worker.get("/accountability").await.status, 403);
}

async fn sources_follow_the_scope(s: &Server) {
    let sources = s.app.db.sources(&Default::default()).await.unwrap();
    let own = sources
        .iter()
        .find(|x| x.grid.as_ref().is_some_and(|g| g.as_str() == s.fx.own_grid))
        .unwrap();
    let foreign = sources
        .iter()
        .find(|x| {
            x.grid
                .as_ref()
                .is_some_and(|g| g.as_str() == s.fx.foreign_grid)
        })
        .unwrap();
    // A problem of the own source: its history shows it.
    let mut dispatcher = s.login(Role::Dispatcher).await;
    let p = dispatcher
        .post_json(
            "/api/v1/problems",
            &json!({"category": "site_dust", "description": "<b>黄土裸露</b>",
                    "grid": s.fx.own_grid, "source": own.id.as_str()}),
        )
        .await
        .json()["id"]
        .as_u64()
        .unwrap();
    let mut worker = s.login(Role::GridWorker).await;
    let list = worker.get("/sources").await.body;
    assert!(list.contains(&format!("href=\"/sources/{}\"", own.id.as_str())));
    assert!(!list.contains(&format!("href=\"/sources/{}\"", foreign.id.as_str())));
    let one = worker.get(&format!("/sources/{}", own.id.as_str())).await;
    assert_eq!(one.status, 200);
    assert!(one.body.contains(&format!("href=\"/problems/{p}\"")));
    assert!(one.body.contains("&lt;b&gt;黄土裸露"));
    assert!(
        !one.body.contains("id=\"cases\""),
        "grid roles do not read cases"
    );
    let r = worker
        .get(&format!("/sources/{}", foreign.id.as_str()))
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("out_of_scope"));
    // Filters: by kind, for the district.
    let mut admin = s.login(Role::Admin).await;
    let kind = own.kind.code();
    let by_kind = admin.get(&format!("/sources?kind={kind}")).await.body;
    let n = sources.iter().filter(|x| x.kind == own.kind).count();
    assert!(
        by_kind.contains(&format!("<span id=\"total\">{n}</span>")),
        "{by_kind}"
    );
    let all = admin.get("/sources").await.body;
    assert!(all.contains("<span id=\"total\">200</span>"));
    assert!(
        all.contains("id=\"next\""),
        "200 sources are more than a page"
    );
    assert_eq!(admin.get("/sources?kind=volcano").await.status, 400);
    let one = admin
        .get(&format!("/sources/{}", own.id.as_str()))
        .await
        .body;
    assert!(one.contains("id=\"cases\""));
    assert_eq!(admin.get("/sources/NOPE").await.status, 404);
    // A unit's staff: only their unit's sources.
    let mut staff = s.login(Role::UnitStaff).await;
    let mine = staff.get("/sources").await.body;
    let n = sources
        .iter()
        .filter(|x| x.unit.as_ref().is_some_and(|u| u.as_str() == s.fx.unit))
        .count();
    assert!(
        mine.contains(&format!("<span id=\"total\">{n}</span>")),
        "{mine}"
    );
}

async fn rankings_agree_with_the_assessment(s: &Server) {
    // One unit with an overdue problem.
    let mut dispatcher = s.login(Role::Dispatcher).await;
    let id = dispatcher
        .post_json(
            "/api/v1/problems",
            &json!({"category": "site_dust", "description": "排名", "grid": s.fx.own_grid,
                    "mode": {"mode": "immediate", "hours": 1}}),
        )
        .await
        .json()["id"]
        .as_u64()
        .unwrap();
    let people = s.app.db.people().await.unwrap();
    let assignee = people
        .iter()
        .find(|p| p.unit.as_str() == s.fx.unit)
        .unwrap();
    let r = dispatcher
        .post_json(
            &format!("/api/v1/problems/{id}/transitions"),
            &json!({"expected_seq": 0, "action": "assign", "unit": s.fx.unit,
                    "assignee": assignee.id.as_str()}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.clock.set(crate::harness::START.plus_seconds(7 * 86_400));
    let mut leader = s.login(Role::Leader).await;
    let page = leader.get("/rankings?from=2025-01-01&to=2025-01-31").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let units = s.app.db.units().await.unwrap();
    let unit_name = &units
        .iter()
        .find(|u| u.code.as_str() == s.fx.unit)
        .unwrap()
        .name;
    let row = page
        .body
        .split("<tr>")
        .find(|r| r.contains(unit_name.as_str()))
        .unwrap_or_else(|| panic!("no row for {unit_name}: {}", page.body));
    assert!(row.contains("<td>1</td>"), "one overdue: {row}");
    // Towns: the figures are the API's area assessment at published precision.
    let regions = s.app.db.regions().await.unwrap();
    let mut with_data = 0;
    for town in regions.iter().filter(|r| r.level == RegionLevel::Town) {
        assert!(page.body.contains(&town.name), "{}", town.name);
        let a = leader
            .get(&format!(
                "/api/v1/aqi?area={}&from=2025-01-01&to=2025-01-31",
                town.code.as_str()
            ))
            .await
            .json();
        if let Some(pm) = a["stats"]["PM2.5"].as_f64() {
            with_data += 1;
            let shown = format!("<td>{:.0}</td>", lantian_aq::round::half_up(pm, 0));
            let row = page
                .body
                .split("<tr>")
                .find(|r| r.contains(&town.name))
                .unwrap();
            assert!(row.contains(&shown), "{} {shown}: {row}", town.name);
        }
    }
    assert!(with_data >= 1, "the seeded micro-stations lie in a town");
    let mut worker = s.login(Role::GridWorker).await;
    assert_eq!(worker.get("/rankings").await.status, 403);
    let mut staff = s.login(Role::UnitStaff).await;
    assert_eq!(staff.get("/rankings").await.status, 200);
    assert_eq!(
        leader
            .get("/rankings?from=2025-02-01&to=2025-01-01")
            .await
            .status,
        400
    );
}

async fn the_demo_has_cases_and_accountability(s: &Server) {
    use lantian_server::demo_ledger::{
        DEMO_ACCOUNTABILITY, DEMO_CASES, DEMO_LEDGER_AT, DEMO_PROBLEMS, seed,
    };
    assert_eq!(
        seed(&s.app.db, DEMO_LEDGER_AT).await.unwrap(),
        DEMO_PROBLEMS
    );
    let mut leader = s.login(Role::Leader).await;
    let cases = leader.get("/api/v1/cases").await.json();
    assert_eq!(cases["total"].as_u64(), Some(DEMO_CASES), "{cases}");
    let mut states: Vec<&str> = cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    states.sort_unstable();
    assert_eq!(states, ["closed", "filed", "noticed", "penalty_decided"]);
    let acc = leader.get("/api/v1/accountability").await.json();
    assert_eq!(acc["total"].as_u64(), Some(DEMO_ACCOUNTABILITY), "{acc}");
    let kinds: Vec<&str> = acc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["interview", "public_criticism", "admonishment"]);
    // The pages show them, and a case's source shows its problem and the case.
    let page = leader.get("/cases").await.body;
    assert!(
        page.contains("已结案") && page.contains("未落实扬尘污染防治措施"),
        "{page}"
    );
    let closed = &cases["items"][0];
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["penalty_yuan"], "50000.00");
    let src = closed["sources"][0].as_str().unwrap();
    let problem = closed["problems"][0].as_u64().unwrap();
    let page = leader.get(&format!("/sources/{src}")).await.body;
    assert!(
        page.contains(&format!("href=\"/problems/{problem}\"")),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"/cases/{}\"", closed["id"])));
    let page = leader.get("/accountability").await.body;
    assert!(page.contains("诫勉谈话") && page.contains("回头看发现问题反弹"));
    let page = leader.get("/rankings").await.body;
    assert!(page.contains("按期销号率"));
    let v = leader.get("/api/v1/audit/verify").await.json();
    assert_eq!(v["ok"], true, "{v}");
}

crate::both_backends!(
    the_demo_has_cases_and_accountability,
    a_case_through_its_forms,
    accountability_through_its_form,
    sources_follow_the_scope,
    rankings_agree_with_the_assessment
);

//! Enforcement cases, accountability records and exports over HTTP; the audit trail of logouts
//! and token changes; the responsible unit named when a problem is created.

use crate::harness::{Client, Resp, Server};
use crate::ledger_api::{PNG, user};
use lantian_domain::org::Role;
use lantian_store::Store;
use lantian_store::ledger::LedgerStore;
use serde_json::{Value, json};

fn config() -> lantian_server::Config {
    lantian_server::Config::default()
}

/// The `auth` entries after `seq`: (action, entity).
async fn auth_entries(s: &Server, after: u64) -> Vec<(String, String, Value)> {
    s.app
        .db
        .log_entries(after, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "auth")
        .map(|e| {
            (
                e.action,
                e.entity,
                serde_json::from_slice(&e.payload).unwrap(),
            )
        })
        .collect()
}

async fn logouts_and_token_changes_are_in_the_audit_log(s: &Server) {
    let mut staff = s.login(Role::UnitStaff).await;
    let login = s.fx.logins[&Role::UnitStaff].clone();
    let (before, _) = s.app.db.log_head().await.unwrap();
    let t = staff
        .post_json(
            "/api/v1/tokens",
            &json!({"label": "整改上报", "scopes": ["read", "ledger"]}),
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.body);
    let id = t.json()["info"]["id"].as_i64().unwrap();
    let r = staff.delete(&format!("/api/v1/tokens/{id}")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    // An admin revoking someone else's token is named as the actor, the owner in the payload.
    let t2 = staff
        .post_json("/api/v1/tokens", &json!({"label": "b", "scopes": ["read"]}))
        .await
        .json()["info"]["id"]
        .as_i64()
        .unwrap();
    let mut admin = s.login(Role::Admin).await;
    let admin_login = s.fx.logins[&Role::Admin].clone();
    assert_eq!(
        admin.delete(&format!("/api/v1/tokens/{t2}")).await.status,
        204
    );
    let r = staff
        .request("POST", "/api/v1/auth/logout", None, b"")
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    // The page's logout form, too.
    let mut page_user = s.login(Role::Leader).await;
    let csrf = page_user.csrf.clone().unwrap();
    page_user.csrf = None;
    let r = page_user.post_form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let got: Vec<(String, String)> = auth_entries(s, before)
        .await
        .into_iter()
        .map(|(a, e, _)| (a, e))
        .collect();
    let leader = s.fx.logins[&Role::Leader].clone();
    let want: Vec<(String, String)> = [
        ("token_created", &login),
        ("token_revoked", &login),
        ("token_created", &login),
        ("login", &admin_login),
        ("token_revoked", &admin_login),
        ("logout", &login),
        ("login", &leader),
        ("logout", &leader),
    ]
    .iter()
    .map(|(a, e)| ((*a).to_owned(), (*e).to_owned()))
    .collect();
    assert_eq!(got, want);
    let entries = auth_entries(s, before).await;
    assert_eq!(entries[0].2["token"], id);
    assert_eq!(entries[0].2["scopes"], json!(["read", "ledger"]));
    assert_eq!(entries[4].2["token"], t2);
    // The session really ended, and the chain still holds.
    assert_eq!(staff.get("/api/v1/me").await.status, 401);
    let v = admin.get("/api/v1/audit/verify").await.json();
    assert_eq!(v["ok"], true, "{v}");
}

async fn a_new_problem_keeps_the_unit_named(s: &Server) {
    let mut dispatcher = s.login(Role::Dispatcher).await;
    let body = |unit: &str| {
        json!({"category": "site_dust", "description": "围挡破损", "grid": s.fx.own_grid,
               "unit": unit})
    };
    let r = dispatcher
        .post_json("/api/v1/problems", &body(&s.fx.unit))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = r.json();
    assert_eq!(p["unit"], s.fx.unit.as_str());
    assert_eq!(p["state"], "new");
    let id = p["id"].as_u64().unwrap();
    // Stored, so the unit's own people see it in their list.
    let stored = s.app.db.problem(id).await.unwrap().unwrap();
    assert_eq!(stored.unit.unwrap().as_str(), s.fx.unit);
    let mut staff = s.login(Role::UnitStaff).await;
    let mine = staff.get("/api/v1/problems?state=new").await.json();
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id),
        "{mine}"
    );
    // An unknown unit is a bad parameter, not a silent drop.
    let r = dispatcher
        .post_json("/api/v1/problems", &body("no-such-unit"))
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    // A grid worker names only their own unit (their person's unit here).
    let mut worker = s.login(Role::GridWorker).await;
    let me = worker.get("/api/v1/me").await.json();
    let people = s.app.db.people().await.unwrap();
    let own_unit = people
        .iter()
        .find(|p| p.id.as_str() == me["user"]["person"].as_str().unwrap())
        .unwrap()
        .unit
        .as_str()
        .to_owned();
    assert_ne!(own_unit, s.fx.unit);
    let before = s
        .app
        .db
        .problems(&Default::default(), Default::default())
        .await
        .unwrap()
        .total;
    let r = worker
        .post_json("/api/v1/problems", &body(&s.fx.unit))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "out_of_scope"),
        "{}",
        r.body
    );
    let after = s
        .app
        .db
        .problems(&Default::default(), Default::default())
        .await
        .unwrap()
        .total;
    assert_eq!(before, after, "a refused creation writes nothing");
    let r = worker.post_json("/api/v1/problems", &body(&own_unit)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["unit"], own_unit.as_str());
}

async fn upload(c: &mut Client, bytes: &[u8]) -> String {
    let r = c
        .request("POST", "/api/v1/evidence", Some("image/png"), bytes)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["hash"].as_str().unwrap().to_owned()
}

async fn step(c: &mut Client, id: u64, body: Value) -> Resp {
    c.post_json(&format!("/api/v1/cases/{id}/transition"), &body)
        .await
}

async fn a_case_from_filing_to_closing(s: &Server) {
    let mut dispatcher = s.login(Role::Dispatcher).await;
    let problem = dispatcher
        .post_json(
            "/api/v1/problems",
            &json!({"category": "site_dust", "description": "工地未覆盖", "grid": s.fx.own_grid}),
        )
        .await
        .json()["id"]
        .as_u64()
        .unwrap();
    let source = dispatcher.get("/api/v1/sources?per_page=1").await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut officer = s.login(Role::EnforcementOfficer).await;
    let me = officer.get("/api/v1/me").await.json();
    let me_person = me["user"]["person"].as_str().unwrap().to_owned();
    let people = s.app.db.people().await.unwrap();
    let partner = people.last().unwrap();
    let mut officer2 = user(s, "officer-2", Role::EnforcementOfficer, None, &partner.id).await;
    // Filing: a leader may not; an unknown source is 400; a missing problem 404.
    let mut leader = s.login(Role::Leader).await;
    let draft = json!({"title": "未落实扬尘防治措施", "party": "<b>某建筑公司</b>",
                       "sources": [source], "problems": [problem]});
    let r = leader.post_json("/api/v1/cases", &draft).await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = officer
        .post_json(
            "/api/v1/cases",
            &json!({"title": "x", "party": "y", "sources": ["NOPE"]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = officer
        .post_json(
            "/api/v1/cases",
            &json!({"title": "x", "party": "y", "problems": [999_999]}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = officer
        .post_json("/api/v1/cases", &json!({"title": "x", "party": "y"}))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "transition_refused"),
        "{}",
        r.body
    );
    let r = officer.post_json("/api/v1/cases", &draft).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = r.json();
    let id = c["id"].as_u64().unwrap();
    assert_eq!(c["state"], "filed");
    assert_eq!(c["state_zh"], "已立案");
    assert_eq!(c["filed_by"], me_person.as_str());
    let unit = c["unit"].as_str().unwrap().to_owned();
    // Lists and filters.
    let l = leader.get("/api/v1/cases").await.json();
    assert_eq!(l["total"], 1);
    assert_eq!(l["items"][0]["party"], "<b>某建筑公司</b>");
    assert_eq!(
        leader
            .get(&format!(
                "/api/v1/cases?source={source}&state=filed&problem={problem}"
            ))
            .await
            .json()["total"],
        1
    );
    assert_eq!(
        leader.get("/api/v1/cases?state=closed").await.json()["total"],
        0
    );
    assert_eq!(leader.get("/api/v1/cases?state=bogus").await.status, 400);
    // Another unit's staff sees none of it; grid roles none at all.
    let mut staff = s.login(Role::UnitStaff).await;
    assert_ne!(unit, s.fx.unit);
    assert_eq!(staff.get("/api/v1/cases").await.json()["total"], 0);
    assert_eq!(
        staff
            .get(&format!("/api/v1/cases?unit={unit}"))
            .await
            .json()["total"],
        0
    );
    let r = staff.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!((r.status, r.code().as_str()), (403, "out_of_scope"));
    let mut worker = s.login(Role::GridWorker).await;
    assert_eq!(worker.get("/api/v1/cases").await.status, 403);
    // Investigation: two officers, with evidence that was uploaded.
    let ev = upload(&mut officer, PNG).await;
    let missing = "ab".repeat(32);
    let inv = |ev: &str| {
        json!({"expected_seq": 1, "action": "investigate",
               "officers": [me_person, partner.id.as_str()],
               "findings": "现场裸土未覆盖", "evidence": [ev]})
    };
    assert_eq!(step(&mut officer, id, inv(&missing)).await.status, 404);
    let r = step(
        &mut officer,
        id,
        json!({"expected_seq": 1, "action": "investigate", "officers": [me_person],
               "findings": "f", "evidence": [ev]}),
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "transition_refused"),
        "one officer is not enough: {}",
        r.body
    );
    // The dispatcher files but does not move cases.
    let r = step(&mut dispatcher, id, inv(&ev)).await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = step(&mut officer, id, inv(&ev)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "investigated");
    // A stale version.
    let r = step(
        &mut officer2,
        id,
        json!({"expected_seq": 1, "action": "notify", "notice_no": "焦高环罚告〔2025〕1号", "proposed": 5_000_000}),
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (409, "conflict"));
    let r = step(
        &mut officer2,
        id,
        json!({"expected_seq": 2, "action": "notify", "notice_no": "焦高环罚告〔2025〕1号", "proposed": 5_000_000}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["proposed_yuan"], "50000.00");
    // The decision is the command's, and not above the notice.
    let mut admin = s.login(Role::Admin).await;
    let r = step(
        &mut officer,
        id,
        json!({"expected_seq": 3, "action": "decide_penalty", "decision_no": "d", "amount": 100}),
    )
    .await;
    assert_eq!(r.code(), "transition_refused");
    let r = step(
        &mut admin,
        id,
        json!({"expected_seq": 3, "action": "decide_penalty", "decision_no": "焦高环罚〔2025〕1号", "amount": 6_000_000}),
    )
    .await;
    assert_eq!(r.code(), "transition_refused", "{}", r.body);
    let r = step(
        &mut admin,
        id,
        json!({"expected_seq": 3, "action": "decide_penalty", "decision_no": "焦高环罚〔2025〕1号", "amount": 4_000_000}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = step(
        &mut officer,
        id,
        json!({"expected_seq": 4, "action": "execute", "collected": 4_000_000, "evidence": [ev]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = step(
        &mut officer,
        id,
        json!({"expected_seq": 5, "action": "close", "summary": "罚款已缴纳, 现场已整改"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = officer.get(&format!("/api/v1/cases/{id}")).await.json();
    assert_eq!(c["state"], "closed");
    assert_eq!(c["penalty_yuan"], "40000.00");
    assert_eq!(c["seq"], 6);
    // Nothing more after closing.
    let r = step(
        &mut officer,
        id,
        json!({"expected_seq": 6, "action": "close", "summary": "again"}),
    )
    .await;
    assert_eq!(r.code(), "transition_refused");
    // Every step is in the log and the chain holds.
    let v = admin.get("/api/v1/audit/verify").await.json();
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["records"].as_u64().unwrap() >= 2, "{v}");
}

async fn accountability_is_decided_by_leaders(s: &Server) {
    let mut dispatcher = s.login(Role::Dispatcher).await;
    let problem = dispatcher
        .post_json(
            "/api/v1/problems",
            &json!({"category": "site_dust", "description": "反复出现", "grid": s.fx.own_grid}),
        )
        .await
        .json()["id"]
        .as_u64()
        .unwrap();
    let unit = s.fx.unit.clone();
    let rec = json!({"subject": {"kind": "unit", "unit": unit}, "kind": "interview",
                     "reason": "整改超期 <script>x</script>", "problems": [problem]});
    let r = dispatcher.post_json("/api/v1/accountability", &rec).await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let mut leader = s.login(Role::Leader).await;
    let r = leader.post_json("/api/v1/accountability", &rec).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = r.json();
    assert_eq!(a["kind"], "interview");
    assert_eq!(a["kind_zh"], "约谈");
    // A kind for people only, against a unit: refused by the domain.
    let r = leader
        .post_json(
            "/api/v1/accountability",
            &json!({"subject": {"kind": "unit", "unit": unit}, "kind": "诫勉谈话", "reason": "r"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = leader
        .post_json(
            "/api/v1/accountability",
            &json!({"subject": {"kind": "unit", "unit": "nowhere"}, "kind": "interview", "reason": "r"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = leader
        .post_json(
            "/api/v1/accountability",
            &json!({"subject": {"kind": "unit", "unit": unit}, "kind": "interview", "problems": [999_999]}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    // Lists: by kind and problem; the unit sees its own, another unit's staff would not.
    assert_eq!(
        leader
            .get(&format!(
                "/api/v1/accountability?state=interview&problem={problem}"
            ))
            .await
            .json()["total"],
        1
    );
    assert_eq!(
        leader
            .get("/api/v1/accountability?state=disciplinary")
            .await
            .json()["total"],
        0
    );
    let mut staff = s.login(Role::UnitStaff).await;
    let mine = staff.get("/api/v1/accountability").await.json();
    assert_eq!(mine["total"], 1, "{mine}");
    assert_eq!(mine["items"][0]["reason"], "整改超期 <script>x</script>");
    let mut worker = s.login(Role::GridWorker).await;
    assert_eq!(worker.get("/api/v1/accountability").await.status, 403);
}

async fn ledgers_export_as_xlsx_and_csv(s: &Server) {
    let mut dispatcher = s.login(Role::Dispatcher).await;
    dispatcher
        .post_json(
            "/api/v1/problems",
            &json!({"category": "site_dust", "description": "=HYPERLINK(\"x\")", "grid": s.fx.own_grid}),
        )
        .await;
    let mut leader = s.login(Role::Leader).await;
    let x = leader.get("/api/v1/exports/problems").await;
    assert_eq!(x.status, 200);
    assert!(x.body.starts_with("PK"), "an xlsx is a zip");
    assert_eq!(
        x.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let c = leader.get("/api/v1/exports/problems?format=csv").await;
    assert_eq!(c.status, 200);
    assert!(c.body.starts_with('\u{feff}'), "UTF-8 with BOM");
    assert!(c.body.contains("序号"), "{}", c.body);
    assert!(
        c.body.contains("'=HYPERLINK"),
        "formulas defused: {}",
        c.body
    );
    let e = leader.get("/api/v1/exports/cases?format=csv&lang=en").await;
    assert_eq!(e.status, 200, "{}", e.body);
    assert!(e.body.lines().count() == 1, "only the header: {}", e.body);
    let a = leader
        .get("/api/v1/exports/accountability?format=csv")
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(leader.get("/api/v1/exports/users").await.status, 400);
    assert_eq!(
        leader
            .get("/api/v1/exports/problems?format=pdf")
            .await
            .status,
        400
    );
    let mut worker = s.login(Role::GridWorker).await;
    assert_eq!(worker.get("/api/v1/exports/cases").await.status, 403);
    // A grid worker's problem export holds their grids' problems only.
    let mine = worker.get("/api/v1/exports/problems?format=csv").await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains("HYPERLINK"));
}

crate::both_backends!(
    logouts_and_token_changes_are_in_the_audit_log,
    a_new_problem_keeps_the_unit_named,
    a_case_from_filing_to_closing,
    accountability_is_decided_by_leaders,
    ledgers_export_as_xlsx_and_csv
);

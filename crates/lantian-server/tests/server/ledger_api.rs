//! The ledger over HTTP: the whole closed loop (find → assign → start → submit with uploaded
//! evidence → verify by an inspector of another unit → closed), the same unit's inspector
//! refused, stale versions, the timeline, evidence round trips, filters and scopes, and the audit
//! trail of logins and denials with the chain check still passing.

use crate::harness::{Client, PASSWORD, Server};
use lantian_domain::org::{Person, Role};
use lantian_domain::{PersonId, UnitCode};
use lantian_server::Config;
use lantian_store::accounts::NewUser;
use lantian_store::ledger::LedgerStore;
use lantian_store::{AccountStore, Store};
use serde_json::{Value, json};

fn config() -> Config {
    Config::default()
}

/// A tiny valid PNG header (the upload checks the magic bytes, not the image).
pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR evidence photo";

/// Create a user with `role`, `unit` and `person`, and log in as them.
pub(crate) async fn user(
    s: &Server,
    login: &str,
    role: Role,
    unit: Option<&str>,
    person: &PersonId,
) -> Client {
    s.app
        .db
        .create_user(
            &NewUser {
                login: login.to_owned(),
                display_name: login.to_owned(),
                person: Some(person.clone()),
                role,
                unit: unit.map(|u| UnitCode::parse(u).unwrap()),
                grids: vec![],
                password_hash: lantian_server::auth::hash_password(PASSWORD).unwrap(),
            },
            crate::harness::START,
        )
        .await
        .unwrap();
    let mut c = s.client();
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": login, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    c.csrf = Some(r.json()["csrf_token"].as_str().unwrap().to_owned());
    c
}

async fn transition(c: &mut Client, id: u64, body: Value) -> crate::harness::Resp {
    c.post_json(&format!("/api/v1/problems/{id}/transitions"), &body)
        .await
}

async fn upload(c: &mut Client, bytes: &[u8]) -> String {
    let r = c
        .request("POST", "/api/v1/evidence", Some("image/png"), bytes)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["hash"].as_str().unwrap().to_owned()
}

async fn the_closed_loop_over_http(s: &Server) {
    // A person of the rectifying unit who is an inspector.
    let same_unit_person = Person {
        id: PersonId::parse("insp-same-unit").unwrap(),
        name: "同单位督查员".into(),
        unit: UnitCode::parse(&s.fx.unit).unwrap(),
        role: Role::Inspector,
        phone: None,
    };
    s.app
        .db
        .upsert_people(std::slice::from_ref(&same_unit_person))
        .await
        .unwrap();
    let mut finder = s.login(Role::Inspector).await;
    let mut dispatcher = s.login(Role::Dispatcher).await;
    let mut staff = s.login(Role::UnitStaff).await;
    let staff_person = staff.get("/api/v1/me").await.json()["user"]["person"]
        .as_str()
        .unwrap()
        .to_owned();
    // An inspector OF THE SAME UNIT as the one that rectifies.
    let mut same_unit_inspector = user(
        s,
        "t-inspector-same-unit",
        Role::Inspector,
        Some(&s.fx.unit),
        &same_unit_person.id,
    )
    .await;

    // Found: by an inspector, in the grid, with the category's default mode.
    let r = finder
        .post_json(
            "/api/v1/problems",
            &json!({"campaign": "air", "category": "site_dust", "description": "工地裸土未覆盖",
                    "grid": s.fx.own_grid}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = r.json();
    let id = p["id"].as_u64().unwrap();
    assert_eq!(
        (p["state"].as_str(), p["seq"].as_u64()),
        (Some("new"), Some(0))
    );
    assert_eq!(p["mode"]["mode"], "immediate");
    // Unknown categories and campaigns are named.
    let r = finder
        .post_json(
            "/api/v1/problems",
            &json!({"category": "no_such", "description": "x"}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    assert!(r.body.contains("category"), "{}", r.body);

    // Assign (派发) by the dispatcher.
    let r = transition(
        &mut dispatcher,
        id,
        json!({"expected_seq": 0, "action": "assign", "unit": s.fx.unit, "assignee": staff_person}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "assigned");
    // A stale version is a conflict, and writes nothing.
    let r = transition(
        &mut staff,
        id,
        json!({"expected_seq": 0, "action": "start"}),
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "conflict"),
        "{}",
        r.body
    );
    // The assignee is notified.
    let n = staff.get("/api/v1/notifications").await.json();
    assert!(
        n.as_array()
            .unwrap()
            .iter()
            .any(|x| x["problem"] == id && x["kind"] == "assigned"),
        "{n}"
    );
    let r = transition(
        &mut staff,
        id,
        json!({"expected_seq": 1, "action": "start"}),
    )
    .await;
    assert_eq!(r.json()["state"], "rectifying", "{}", r.body);

    // Submit with evidence uploaded first; evidence not uploaded is refused.
    let photo = upload(&mut staff, PNG).await;
    assert_eq!(photo.len(), 64);
    let got = staff.get(&format!("/api/v1/evidence/{photo}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(
        got.header("content-length"),
        Some(PNG.len().to_string().as_str())
    );
    assert!(got.body.ends_with("IHDR evidence photo"));
    let r = transition(
        &mut staff,
        id,
        json!({"expected_seq": 2, "action": "submit", "evidence": ["ab".repeat(32)], "note": "覆盖完成"}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = transition(
        &mut staff,
        id,
        json!({"expected_seq": 2, "action": "submit", "evidence": [photo], "note": "覆盖完成"}),
    )
    .await;
    assert_eq!(r.json()["state"], "submitted", "{}", r.body);

    // The same unit's inspector may not verify: 422, nothing written.
    let site = upload(&mut same_unit_inspector, b"\x89PNG\r\n\x1a\nsite visit").await;
    let r = transition(
        &mut same_unit_inspector,
        id,
        json!({"expected_seq": 3, "action": "approve", "evidence": [site]}),
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "transition_refused"),
        "{}",
        r.body
    );
    // An inspector of another unit verifies → closed (销号).
    let r = transition(
        &mut finder,
        id,
        json!({"expected_seq": 3, "action": "approve", "evidence": [site]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let closed = r.json();
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["seq"], 4);
    assert!(closed["closed_at"].is_number() || closed["closed_at"].is_string());

    // One timeline entry per step, in order, hashes given, payloads decoded.
    let tl = finder
        .get(&format!("/api/v1/problems/{id}/timeline"))
        .await
        .json();
    let actions: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["create", "assign", "start", "submit", "approve"],
        "{tl}"
    );
    assert!(
        tl.as_array()
            .unwrap()
            .iter()
            .all(|e| e["hash"].as_str().unwrap().len() == 64)
    );
    assert_eq!(tl[4]["payload"]["to"], "closed", "{tl}");
    assert_eq!(tl[3]["actor"], staff_person.as_str());

    // Filters.
    let l = finder.get("/api/v1/problems?state=closed").await.json();
    assert_eq!(l["total"], 1, "{l}");
    assert_eq!(l["items"][0]["id"], id);
    let l = finder
        .get("/api/v1/problems?state=new,assigned")
        .await
        .json();
    assert_eq!(l["total"], 0, "{l}");
    let l = finder
        .get(&format!(
            "/api/v1/problems?campaign=air&grid={}",
            s.fx.own_grid
        ))
        .await
        .json();
    assert_eq!(l["total"], 1, "{l}");
    let r = finder.get("/api/v1/problems?state=bogus").await;
    assert_eq!(r.code(), "invalid_parameter");

    // The chain holds, and the day's anchor counts the entries.
    let mut admin = s.login(Role::Admin).await;
    let v = admin.get("/api/v1/audit/verify").await.json();
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["entries"].as_u64().unwrap() >= 5, "{v}");
    let a = admin
        .get("/api/v1/audit/anchor?day=2025-02-01")
        .await
        .json();
    assert_eq!(a["last_seq"], v["head_seq"], "{a} {v}");
    let r = admin.get("/api/v1/audit/anchor?day=Feb").await;
    assert_eq!(r.code(), "invalid_parameter");
}

async fn lists_paginate_and_follow_the_scope(s: &Server) {
    let mut finder = s.login(Role::Inspector).await;
    let mut ids = Vec::new();
    for (i, grid) in [
        &s.fx.own_grid,
        &s.fx.foreign_grid,
        &s.fx.own_grid,
        &s.fx.foreign_grid,
        &s.fx.own_grid,
    ]
    .into_iter()
    .enumerate()
    {
        let r = finder
            .post_json(
                "/api/v1/problems",
                &json!({"category": "road_cleaning", "description": format!("道路积尘 {i}"), "grid": grid}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        ids.push(r.json()["id"].as_u64().unwrap());
    }
    let p1 = finder.get("/api/v1/problems?per_page=2").await.json();
    assert_eq!(p1["total"], 5);
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let next = p1["next"].as_u64().unwrap();
    let p2 = finder
        .get(&format!("/api/v1/problems?per_page=2&after={next}"))
        .await
        .json();
    let p2b = finder
        .get("/api/v1/problems?per_page=2&page=2")
        .await
        .json();
    assert_eq!(p2["items"], p2b["items"]);
    assert_eq!(p2["items"][0]["id"], ids[2]);
    let p3 = finder
        .get("/api/v1/problems?per_page=2&page=3")
        .await
        .json();
    assert_eq!(p3["items"].as_array().unwrap().len(), 1);
    assert!(p3["next"].is_null());

    // Grid roles: their grid's problems only, listed and by id.
    let mut worker = s.login(Role::GridWorker).await;
    let l = worker.get("/api/v1/problems?per_page=2").await.json();
    assert_eq!(l["total"], 3, "{l}");
    assert!(
        l["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["grid"] == s.fx.own_grid.as_str())
    );
    let l2 = worker
        .get(&format!("/api/v1/problems?per_page=2&after={}", l["next"]))
        .await
        .json();
    assert_eq!(l2["items"][0]["id"], ids[4], "{l2}");
    let r = worker.get(&format!("/api/v1/problems/{}", ids[1])).await;
    assert_eq!((r.status, r.code().as_str()), (403, "out_of_scope"));
    // …and they record findings only in their grids.
    let r = worker
        .post_json(
            "/api/v1/problems",
            &json!({"category": "road_cleaning", "description": "x", "grid": s.fx.foreign_grid}),
        )
        .await;
    assert_eq!(r.code(), "out_of_scope");
    // Unit roles: their unit's problems (none assigned yet).
    let mut head = s.login(Role::UnitHead).await;
    assert_eq!(head.get("/api/v1/problems").await.json()["total"], 0);

    // Evidence: type and content are checked; the size is bounded.
    let r = finder
        .request("POST", "/api/v1/evidence", Some("text/html"), b"<script>")
        .await;
    assert_eq!(r.code(), "invalid_parameter");
    let r = finder
        .request("POST", "/api/v1/evidence", Some("application/pdf"), PNG)
        .await;
    assert_eq!(r.code(), "invalid_parameter", "a PNG sent as a PDF");
    let big = [b"%PDF-".as_slice(), &vec![b'x'; 10 * 1024 * 1024]].concat();
    let r = finder
        .request("POST", "/api/v1/evidence", Some("application/pdf"), &big)
        .await;
    assert_eq!(r.code(), "invalid_parameter");
    let r = finder
        .get(&format!("/api/v1/evidence/{}", "0".repeat(64)))
        .await;
    assert_eq!(r.status, 404);
}

async fn logins_and_denials_are_in_the_audit_log(s: &Server) {
    let before = s.app.db.log_head().await.unwrap().0;
    let mut c = s.client();
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": s.fx.logins[&Role::Leader], "password": "wrong"}),
        )
        .await;
    assert_eq!(r.status, 401);
    let mut leader = s.login(Role::Leader).await;
    let r = leader
        .post_json(
            "/api/v1/problems",
            &json!({"category": "site_dust", "description": "x"}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let entries = s.app.db.log_entries(before, 100).await.unwrap();
    let got: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e.kind.as_str(), e.action.as_str(), e.entity.as_str()))
        .collect();
    let login = s.fx.logins[&Role::Leader].as_str();
    assert_eq!(
        got,
        [
            ("auth", "login_failed", login),
            ("auth", "login", login),
            ("auth", "denied", login)
        ],
        "{entries:?}"
    );
    let denied: Value = serde_json::from_slice(&entries[2].payload).unwrap();
    assert_eq!(denied["path"], "/api/v1/problems");
    assert_eq!(denied["code"], "forbidden");
    // The leader may run the chain check; it still holds with the auth entries in it.
    let v = leader.get("/api/v1/audit/verify").await.json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["entries"].as_u64().unwrap(), before + 3);
}

crate::both_backends!(
    the_closed_loop_over_http,
    lists_paginate_and_follow_the_scope,
    logins_and_denials_are_in_the_audit_log
);

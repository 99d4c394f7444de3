//! Inspections over HTTP: the campaign list; a sealed 四不两直 plan whose list is answered once
//! and never shown before dispatch, refused with a tampered list and revealed with the right
//! one; a record filed by the team's inspector whose finding becomes a problem of the ledger;
//! the own-unit rule as 422 `transition_refused`; a 夜查 checked in by day refused; grid roles
//! seeing only their grids' plans; and the chain check passing at the end.

use crate::harness::Server;
use lantian_domain::org::Role;
use lantian_server::Config;
use lantian_store::ledger::LedgerStore;
use lantian_store::{SourceFilter, Store};
use serde_json::{Value, json};

fn config() -> Config {
    Config::default()
}

async fn campaigns_are_listed(s: &Server) {
    let mut c = s.login(Role::GridWorker).await;
    let r = c.get("/api/v1/campaigns").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for code in ["air", "safety", "audit", "nursing_home", "wheat_field"] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    let air = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "air")
        .unwrap();
    assert_eq!(air["default"], true);
    assert!(
        air["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["code"] == "site_dust" && !k["checklist"].as_array().unwrap().is_empty())
    );
}

async fn sealed_plan_dispatch_record_and_problem(s: &Server) {
    let people = s.app.db.people().await.unwrap();
    let me = s
        .login(Role::Inspector)
        .await
        .get("/api/v1/me")
        .await
        .json();
    let inspector = me["user"]["person"].as_str().unwrap().to_owned();
    let insp_unit = people
        .iter()
        .find(|p| p.id.as_str() == inspector)
        .unwrap()
        .unit
        .clone();
    // Two sources of the own grid whose unit is not the inspector's.
    let sources: Vec<_> = s
        .app
        .db
        .sources(&SourceFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|x| x.unit.as_ref().is_some_and(|u| *u != insp_unit) && x.location.is_some())
        .filter(|x| x.grid.as_ref().is_some_and(|g| g.as_str() == s.fx.own_grid))
        .take(2)
        .collect();
    assert_eq!(sources.len(), 2, "the demo has sources in the grid");
    let mut d = s.login(Role::Dispatcher).await;
    let plan = json!({
        "mode": "unannounced",
        "title": "夜间暗访涉气企业",
        "planned_for": "2025-01-31T21:00:00+08:00",
        "team": [inspector],
        "targets": sources.iter().map(|x| json!({"kind": "source", "code": x.id.as_str()}))
            .collect::<Vec<_>>(),
    });
    let r = d.post_json("/api/v1/inspections", &plan).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let created = r.json();
    let id = created["plan"]["id"].as_u64().unwrap();
    assert_eq!(created["plan"]["sealed"], true);
    assert_eq!(created["plan"]["visible_targets"], Value::Null);
    let list = created["sealed_list"].clone();
    assert_eq!(list["targets"].as_array().unwrap().len(), 2);
    let secret = sources[0].name.clone();
    // Before dispatch no one sees the targets: not the dispatcher, not the list.
    for path in [
        format!("/api/v1/inspections/{id}"),
        "/api/v1/inspections".to_owned(),
    ] {
        let body = d.get(&path).await.body;
        assert!(!body.contains(&secret), "{path}: {body}");
        assert!(!body.contains(sources[0].id.as_str()), "{path}: {body}");
    }
    // A grid worker does not see a sealed plan at all before dispatch.
    let mut w = s.login(Role::GridWorker).await;
    assert_eq!(
        w.get(&format!("/api/v1/inspections/{id}")).await.code(),
        "out_of_scope"
    );
    // The inspector may not dispatch; a tampered list is refused; the right one reveals.
    let mut i = s.login(Role::Inspector).await;
    let r = i
        .post_json(
            &format!("/api/v1/inspections/{id}/dispatch"),
            &json!({"sealed_list": list}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let mut tampered = list.clone();
    tampered["targets"].as_array_mut().unwrap().reverse();
    let r = d
        .post_json(
            &format!("/api/v1/inspections/{id}/dispatch"),
            &json!({"sealed_list": tampered}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "transition_refused"));
    let r = d
        .post_json(
            &format!("/api/v1/inspections/{id}/dispatch"),
            &json!({"sealed_list": list}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["visible_targets"][0]["name"], secret.as_str());
    // The grid worker now sees it (a target in their grid).
    assert_eq!(
        w.get(&format!("/api/v1/inspections/{id}")).await.status,
        200
    );
    // The inspector files a record with a finding and its photo.
    let photo = i
        .request(
            "POST",
            "/api/v1/evidence",
            Some("image/png"),
            crate::ledger_api::PNG,
        )
        .await
        .json()["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = sources[0].location.unwrap();
    let record = json!({
        "target": sources[0].id.as_str(),
        "lon": p.lon, "lat": p.lat,
        "results": [{"item": "cover", "outcome": "fail", "note": "未覆盖"}],
        "findings": [{"category": "site_dust", "description": "物料堆放未覆盖",
                      "evidence": [photo]}],
    });
    let r = i
        .post_json(&format!("/api/v1/inspections/{id}/records"), &record)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let filed = r.json();
    assert_eq!(filed["check"]["too_far"], false);
    let pid = filed["problems"][0].as_u64().unwrap();
    let prob = i.get(&format!("/api/v1/problems/{pid}")).await.json();
    assert_eq!(prob["state"], "new");
    assert_eq!(prob["finding"], "inspection");
    assert_eq!(prob["source"], sources[0].id.as_str());
    let detail = d.get(&format!("/api/v1/inspections/{id}")).await.json();
    assert_eq!(detail["records"].as_array().unwrap().len(), 1);
    assert_eq!(detail["problems"][0]["id"], pid);
    // A target not in the plan, or the dispatcher filing as if on the team: refused.
    let mut bad = record.clone();
    bad["target"] = json!("S-NOPE");
    let r = i
        .post_json(&format!("/api/v1/inspections/{id}/records"), &bad)
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = d
        .post_json(&format!("/api/v1/inspections/{id}/records"), &record)
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "transition_refused"));
    // Filters.
    let n = |v: Value| v["total"].as_u64().unwrap();
    assert_eq!(
        n(d.get("/api/v1/inspections?mode=unannounced").await.json()),
        1
    );
    assert_eq!(n(d.get("/api/v1/inspections?mode=night").await.json()), 0);
    assert_eq!(
        n(d.get("/api/v1/inspections?from=2025-01-31&to=2025-01-31")
            .await
            .json()),
        1
    );
    assert_eq!(
        n(d.get("/api/v1/inspections?from=2025-02-01").await.json()),
        0
    );
    assert_eq!(
        d.get("/api/v1/inspections?mode=sideways").await.code(),
        "invalid_parameter"
    );
    let mut admin = s.login(Role::Admin).await;
    let v = admin.get("/api/v1/audit/verify").await.json();
    assert_eq!(v["ok"], true, "{v}");
}

async fn own_unit_and_night_rules_are_the_domains(s: &Server) {
    let people = s.app.db.people().await.unwrap();
    let me = s
        .login(Role::Inspector)
        .await
        .get("/api/v1/me")
        .await
        .json();
    let inspector = me["user"]["person"].as_str().unwrap().to_owned();
    let insp_unit = people
        .iter()
        .find(|p| p.id.as_str() == inspector)
        .unwrap()
        .unit
        .as_str()
        .to_owned();
    let mut d = s.login(Role::Dispatcher).await;
    let plan = |mode: &str, unit: &str| {
        json!({
            "mode": mode,
            "title": "检查",
            "planned_for": "2025-01-31T09:00:00+08:00",
            "team": [inspector],
            "targets": [{"kind": "grid", "code": s.fx.own_grid, "unit": unit}],
        })
    };
    // The inspector's own unit as the target: 422 from the domain, nothing written.
    let r = d
        .post_json("/api/v1/inspections", &plan("routine", &insp_unit))
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "transition_refused"));
    assert!(r.body.contains("own unit"), "{}", r.body);
    assert_eq!(
        d.get("/api/v1/inspections").await.json()["total"],
        0,
        "nothing written"
    );
    // A 夜查 plan, checked against the server's clock: at 00:00 local (the test clock's start)
    // the record counts as night; at 10:00 it is refused.
    let r = d
        .post_json("/api/v1/inspections", &plan("night", &s.fx.unit))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.json()["plan"]["id"].as_u64().unwrap();
    let r = d
        .post_json(&format!("/api/v1/inspections/{id}/dispatch"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut i = s.login(Role::Inspector).await;
    let at_site = json!({"target": s.fx.own_grid, "lon": 113.3, "lat": 35.2});
    let r = i
        .post_json(&format!("/api/v1/inspections/{id}/records"), &at_site)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["check"]["night"], true);
    s.clock.advance(10 * 3600);
    let r = i
        .post_json(&format!("/api/v1/inspections/{id}/records"), &at_site)
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "transition_refused"));
    assert!(r.body.contains("night"), "{}", r.body);
    // Unit staff may not file at all.
    let mut staff = s.login(Role::UnitStaff).await;
    let r = staff
        .post_json(
            &format!("/api/v1/inspections/{id}/records"),
            &json!({"target": s.fx.own_grid, "lon": 113.3, "lat": 35.2}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
}

/// The 检查 pages: the list and a plan with its record and the problem it raised; a sealed
/// plan shows its seal, not its targets; a grid worker sees only their grids' plans.
async fn pages_show_plans_records_and_problems(s: &Server) {
    let me = s
        .login(Role::Inspector)
        .await
        .get("/api/v1/me")
        .await
        .json();
    let inspector = me["user"]["person"].as_str().unwrap().to_owned();
    let people = s.app.db.people().await.unwrap();
    let insp_unit = people
        .iter()
        .find(|p| p.id.as_str() == inspector)
        .unwrap()
        .unit
        .clone();
    let src = s
        .app
        .db
        .sources(&SourceFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|x| {
            x.unit.as_ref().is_some_and(|u| *u != insp_unit)
                && x.location.is_some()
                && x.grid.as_ref().is_some_and(|g| g.as_str() == s.fx.own_grid)
        })
        .unwrap();
    let mut d = s.login(Role::Dispatcher).await;
    let mk = |mode: &str, title: &str, target: Value| {
        json!({"mode": mode, "title": title, "planned_for": "2025-01-31T21:00:00+08:00",
               "team": [inspector], "targets": [target]})
    };
    let source = json!({"kind": "source", "code": src.id.as_str()});
    let r = d
        .post_json(
            "/api/v1/inspections",
            &mk("routine", "<i>工地</i>检查", source.clone()),
        )
        .await;
    let id = r.json()["plan"]["id"].as_u64().unwrap();
    d.post_json(&format!("/api/v1/inspections/{id}/dispatch"), &json!({}))
        .await;
    let foreign = json!({"kind": "grid", "code": s.fx.foreign_grid, "unit": s.fx.unit});
    let r = d
        .post_json("/api/v1/inspections", &mk("routine", "外网格检查", foreign))
        .await;
    let foreign_id = r.json()["plan"]["id"].as_u64().unwrap();
    d.post_json(
        &format!("/api/v1/inspections/{foreign_id}/dispatch"),
        &json!({}),
    )
    .await;
    let r = d
        .post_json("/api/v1/inspections", &mk("unannounced", "暗访", source))
        .await;
    let sealed_id = r.json()["plan"]["id"].as_u64().unwrap();
    let mut i = s.login(Role::Inspector).await;
    let photo = i
        .request(
            "POST",
            "/api/v1/evidence",
            Some("image/png"),
            crate::ledger_api::PNG,
        )
        .await
        .json()["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = src.location.unwrap();
    let r = i
        .post_json(
            &format!("/api/v1/inspections/{id}/records"),
            &json!({"target": src.id.as_str(), "lon": p.lon, "lat": p.lat,
                    "findings": [{"category": "site_dust", "description": "围挡破损",
                                  "evidence": [photo]}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pid = r.json()["problems"][0].as_u64().unwrap();
    let list = d.get("/inspections").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("&lt;i&gt;工地&lt;&#x2f;i&gt;检查"),
        "{}",
        list.body
    );
    assert!(list.body.contains("外网格检查") && list.body.contains("已封存"));
    let detail = d.get(&format!("/inspections/{id}")).await;
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains(&src.name), "{}", detail.body);
    assert!(detail.body.contains(&format!("href=\"/problems/{pid}\"")));
    assert!(detail.body.contains("围挡破损"));
    let sealed = d.get(&format!("/inspections/{sealed_id}")).await;
    assert!(sealed.body.contains("id=\"sealed\""));
    assert!(!sealed.body.contains(&src.name), "{}", sealed.body);
    let en = d.get(&format!("/inspections/{id}?lang=en")).await;
    assert!(en.body.contains("Problems raised"));
    // The grid worker: the own-grid plan only.
    let mut w = s.login(Role::GridWorker).await;
    let list = w.get("/inspections?mode=routine").await;
    assert!(list.body.contains("工地") && !list.body.contains("外网格检查"));
    assert_eq!(w.get(&format!("/inspections/{id}")).await.status, 200);
    let r = w.get(&format!("/inspections/{foreign_id}")).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("out_of_scope"));
}

/// The demo's inspections: every mode, written through the store, shown by the pages, and the
/// chain (with their evidence) verifies.
async fn demo_inspections_fill_the_pages(s: &Server) {
    use lantian_server::demo_ledger::{DEMO_LEDGER_AT, seed, seed_inspections};
    seed(&s.app.db, DEMO_LEDGER_AT).await.unwrap();
    let before = s
        .app
        .db
        .problems(&Default::default(), Default::default())
        .await
        .unwrap()
        .total;
    let (plans, records) = seed_inspections(&s.app.db, DEMO_LEDGER_AT).await.unwrap();
    assert_eq!((plans, records), (6, 5));
    let after = s
        .app
        .db
        .problems(&Default::default(), Default::default())
        .await
        .unwrap()
        .total;
    assert_eq!(after, before + 3, "three findings became problems");
    let mut admin = s.login(Role::Admin).await;
    let list = admin.get("/api/v1/inspections?per_page=100").await.json();
    let modes: std::collections::BTreeSet<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes.len(), 5, "{modes:?}");
    let night = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["mode"] == "night")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let detail = admin
        .get(&format!("/api/v1/inspections/{night}"))
        .await
        .json();
    assert_eq!(detail["records"][0]["check"]["night"], true);
    let page = admin.get("/inspections").await.body;
    assert!(
        page.contains("涉气企业夜查") && page.contains("已封存"),
        "{page}"
    );
    let v = admin.get("/api/v1/audit/verify").await.json();
    assert_eq!(v["ok"], true, "{v}");
}

crate::both_backends!(
    demo_inspections_fill_the_pages,
    pages_show_plans_records_and_problems,
    campaigns_are_listed,
    sealed_plan_dispatch_record_and_problem,
    own_unit_and_night_rules_are_the_domains
);

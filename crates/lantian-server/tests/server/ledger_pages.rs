//! The ledger pages over HTTP on port 0 (SQLite, and PostgreSQL under CI=true): the demo
//! ledger seeded through the store, the whole loop (upload, submit with GPS, approve by an
//! inspector of another unit) through the forms, refusals shown on the page, object-level
//! scope, CSRF, and escaping of a problem description.

use crate::both_backends;
use crate::harness::{Client, PASSWORD, Server};
use lantian_domain::ledger::{Actor, Finding, Mode, State};
use lantian_domain::org::Role;
use lantian_domain::{PersonId, RegionCode};
use lantian_server::Config;
use lantian_server::demo_ledger::{DEMO_LEDGER_AT, DEMO_PROBLEMS, field_worker, seed};
use lantian_store::accounts::NewUser;
use lantian_store::ledger::{LedgerStore, NewProblem, Page, ProblemFilter};
use lantian_store::{AccountStore, Store};

fn config() -> Config {
    Config::default()
}

/// A 1×1 PNG.
pub(crate) const PNG: [u8; 70] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 96, 248, 95, 15, 0, 2,
    135, 1, 128, 235, 71, 186, 146, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// The demo ledger plus accounts linked to people: the field worker (who has a rectifying
/// task), an inspector of another unit, and an inspector of the worker's own unit if any.
pub(crate) struct Linked {
    pub(crate) worker: String,
    pub(crate) inspector: String,
    pub(crate) task: u64,
    pub(crate) grid: RegionCode,
    pub(crate) worker_person: PersonId,
}

pub(crate) async fn seed_linked(s: &Server) -> Linked {
    let db = &s.app.db;
    assert_eq!(seed(db, DEMO_LEDGER_AT).await.unwrap(), DEMO_PROBLEMS);
    let (fw, grids) = field_worker(db).await.unwrap().unwrap();
    let people = db.people().await.unwrap();
    let insp = people
        .iter()
        .find(|p| p.role == Role::Inspector && p.unit != fw.unit)
        .unwrap();
    for (login, p, role, g) in [
        ("field-worker", &fw, Role::GridWorker, grids.clone()),
        ("other-inspector", insp, Role::Inspector, vec![]),
    ] {
        db.create_user(
            &NewUser {
                login: login.into(),
                display_name: p.name.clone(),
                person: Some(p.id.clone()),
                role,
                unit: Some(p.unit.clone()),
                grids: g,
                password_hash: lantian_server::auth::hash_password(PASSWORD).unwrap(),
            },
            crate::harness::START,
        )
        .await
        .unwrap();
    }
    let f = ProblemFilter {
        grid: Some(grids[0].clone()),
        states: vec![State::Rectifying],
        ..ProblemFilter::default()
    };
    let task = db
        .problems(&f, Page::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|p| p.assignee.as_ref() == Some(&fw.id))
        .expect("the demo ledger gives the field worker a rectifying task");
    Linked {
        worker: "field-worker".into(),
        inspector: "other-inspector".into(),
        task: task.id,
        grid: grids[0].clone(),
        worker_person: fw.id,
    }
}

async fn login_as(s: &Server, login: &str) -> Client {
    let mut c = s.client();
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"login": login, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    c.csrf = Some(r.json()["csrf_token"].as_str().unwrap().to_owned());
    c
}

async fn demo_ledger_has_every_state_and_the_field_task(s: &Server) {
    let l = seed_linked(s).await;
    let db = &s.app.db;
    let all = db
        .problems(
            &ProblemFilter::default(),
            Page {
                after: None,
                limit: 1000,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.total, DEMO_PROBLEMS);
    for st in [
        State::New,
        State::Assigned,
        State::Rectifying,
        State::Submitted,
        State::Closed,
        State::Reopened,
        State::Suspended,
        State::Cancelled,
    ] {
        assert!(all.items.iter().any(|p| p.state == st), "{st:?}");
    }
    let now = s.app.now();
    assert!(all.items.iter().any(|p| p.is_overdue(now)));
    assert!(
        all.items
            .iter()
            .any(|p| p.escalation > lantian_domain::ledger::Escalation::None)
    );
    let t = db.problem(l.task).await.unwrap().unwrap();
    assert_eq!(t.assignee, Some(l.worker_person));
    assert_eq!(t.grid, Some(l.grid));
    // Every step is in the log.
    assert_eq!(db.timeline(l.task).await.unwrap().len(), 3);
}

async fn the_loop_through_the_forms(s: &Server) {
    let l = seed_linked(s).await;
    let id = l.task;
    let mut w = login_as(s, &l.worker).await;
    let field = w.get("/field").await;
    assert_eq!(field.status, 200);
    assert!(
        field.body.contains(&format!("id=\"act-{id}-submit\"")),
        "{}",
        field.body
    );
    assert!(field.body.contains("capture=\"environment\""));
    // Submitting without evidence is refused by the domain and shown on the page.
    let r = w
        .post_form(
            &format!("/problems/{id}/act"),
            &[("action", "submit"), ("note", "done"), ("back", "/field")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"refused\"") && r.body.contains("evidence"));
    // Not a photo type.
    let r = w
        .request(
            "POST",
            &format!("/problems/{id}/evidence"),
            Some("text/html"),
            b"<script>",
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = w
        .request(
            "POST",
            &format!("/problems/{id}/evidence"),
            Some("image/png"),
            &PNG,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let hash = r.json()["hash"].as_str().unwrap().to_owned();
    let r = w
        .post_form(
            &format!("/problems/{id}/act"),
            &[
                ("action", "submit"),
                ("note", "围挡已修复"),
                ("evidence", &hash),
                ("lat", "35.2"),
                ("lon", "113.2"),
                ("back", "/field"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some(&*format!("/field?done={id}")));
    let p = s.app.db.problem(id).await.unwrap().unwrap();
    assert_eq!(p.state, State::Submitted);
    // The worker may not verify their own work: no approve form for them.
    let page = w.get(&format!("/problems/{id}")).await;
    assert!(!page.body.contains("id=\"act-approve\""));
    // The inspector of another unit verifies with evidence; a stale form is refused.
    let mut i = login_as(s, &l.inspector).await;
    let page = i.get(&format!("/problems/{id}")).await;
    assert!(page.body.contains("id=\"act-approve\""), "{}", page.body);
    assert!(page.body.contains("GPS 35.20000,113.20000"));
    let r = i
        .request(
            "POST",
            &format!("/problems/{id}/evidence"),
            Some("image/png"),
            &PNG[..60],
        )
        .await;
    let h2 = r.json()["hash"].as_str().unwrap().to_owned();
    let stale = i
        .post_form(
            &format!("/problems/{id}/act"),
            &[("action", "approve"), ("evidence", &h2), ("seq", "1")],
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    let seq = p.seq.to_string();
    let r = i
        .post_form(
            &format!("/problems/{id}/act"),
            &[("action", "approve"), ("evidence", &h2), ("seq", &seq)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = i.get(&format!("/problems/{id}?msg=done")).await;
    assert!(page.body.contains("已销号"), "{}", page.body);
    for a in ["发现登记", "派发", "开始整改", "提交整改", "核查通过"] {
        assert!(page.body.contains(a), "timeline lacks {a}");
    }
    assert!(page.body.contains(&format!("/problems/{id}/evidence/{h2}")));
    // Evidence is served to those who see the problem, sandboxed.
    let e = i.get(&format!("/problems/{id}/evidence/{hash}")).await;
    assert_eq!(e.status, 200);
    assert_eq!(e.header("content-type"), Some("image/png"));
    assert!(
        e.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    // A hash the problem does not name is not served through it.
    let other = s
        .app
        .db
        .put_evidence(b"secret", "image/png", &l.worker_person, s.app.now())
        .await
        .unwrap();
    assert_eq!(
        i.get(&format!("/problems/{id}/evidence/{other}"))
            .await
            .status,
        404
    );
    assert_eq!(
        i.get(&format!("/problems/{id}/evidence/x")).await.status,
        400
    );
}

async fn scope_csrf_and_escaping(s: &Server) {
    let l = seed_linked(s).await;
    let db = &s.app.db;
    // A problem with markup in its description, in a grid the field worker does not have.
    let disp = Actor {
        person: PersonId::parse("P-DISPATCH").unwrap(),
        unit: lantian_domain::UnitCode::parse("U-X").unwrap(),
        role: Role::Dispatcher,
        grids: vec![],
    };
    let foreign_grid = RegionCode::parse(&s.fx.foreign_grid).unwrap();
    assert_ne!(foreign_grid, l.grid);
    let p = db
        .create_problem(
            &NewProblem {
                campaign: "air".into(),
                category: "site_dust".into(),
                description: "<script>alert(9)</script>围挡".into(),
                finding: Finding::Public,
                found_at: s.app.now(),
                grid: Some(foreign_grid),
                source: None,
                unit: None,
                mode: Mode::Immediate { hours: 24 },
            },
            &disp,
            s.app.now(),
        )
        .await
        .unwrap();
    let mut admin = s.login(Role::Admin).await;
    let page = admin.get(&format!("/problems/{}", p.id)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("&lt;script&gt;alert(9)&lt;"));
    assert!(!page.body.contains("<script>alert(9)"));
    // Unlinked account: can read, gets no forms, and a POST is refused.
    assert!(page.body.contains("此账号未关联人员") && !page.body.contains("id=\"act-"));
    let ledger = admin.get("/ledger?state=new").await;
    assert!(ledger.body.contains(&format!("/problems/{}", p.id)));
    assert!(ledger.body.contains("&lt;script&gt;alert(9)&lt;"));
    // The grid worker sees neither the foreign problem nor it in the ledger.
    let mut w = login_as(s, &l.worker).await;
    let r = w.get(&format!("/problems/{}", p.id)).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("out_of_scope"));
    let r = w
        .get(&format!("/problems/{}/evidence/{}", p.id, "0".repeat(64)))
        .await;
    assert_eq!(r.status, 403);
    let ledger = w.get("/ledger").await;
    assert_eq!(ledger.status, 200);
    assert!(
        !ledger
            .body
            .contains(&format!("href=\"/problems/{}\"", p.id))
    );
    assert!(
        ledger
            .body
            .contains(&format!("href=\"/problems/{}\"", l.task))
    );
    let r = w
        .post_form(
            &format!("/problems/{}/act", p.id),
            &[("action", "cancel"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, 403);
    // CSRF: the form without the token is refused before any handler.
    w.csrf = None;
    let r = w
        .post_form(&format!("/problems/{}/act", l.task), &[("action", "start")])
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "csrf_failed");
    let r = w
        .request(
            "POST",
            &format!("/problems/{}/evidence", l.task),
            Some("image/png"),
            &PNG,
        )
        .await;
    assert_eq!(r.code(), "csrf_failed");
    // No session: pages redirect to the login page.
    let mut anon = s.client();
    let r = anon.get("/ledger").await;
    assert_eq!(r.status, 303);
    assert_eq!(anon.get("/field").await.header("location"), Some("/login"));
    // Filters are checked: an unknown state is a clear error.
    let mut disp_c = s.login(Role::Dispatcher).await;
    let r = disp_c.get("/ledger?state=bogus").await;
    assert_eq!(r.status, 400);
    let r = disp_c.get("/ledger?overdue=1").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("badge-overdue"));
    assert!(r.body.contains("href=\"/ledger/export.xlsx?overdue=1\""));
    // The Excel export: a workbook (zip) of the scoped ledger.
    let x = disp_c.get("/ledger/export.xlsx").await;
    assert_eq!(x.status, 200);
    assert!(x.header("content-type").unwrap().contains("spreadsheetml"));
    assert!(x.body.starts_with("PK"));
    assert_eq!(anon.get("/ledger/export.xlsx").await.status, 303);
}

both_backends!(
    demo_ledger_has_every_state_and_the_field_task,
    the_loop_through_the_forms,
    scope_csrf_and_escaping,
);

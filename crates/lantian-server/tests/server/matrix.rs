//! The authorization matrix: every role (and no login) against every endpoint and page built
//! so far, including objects outside the caller's scope, asserted against the table below.

use crate::harness::Server;
use lantian_domain::org::Role;
use lantian_server::Config;
use serde_json::json;

fn config() -> Config {
    Config::default()
}

/// Expected outcome for a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Every role allowed.
    All,
    /// Allowed for these roles, 403 for the others.
    Only(&'static [Role]),
    /// Everyone allowed except the grid roles, who get 403 `out_of_scope`.
    NotGridRoles,
    /// Refused for every role (403).
    Nobody,
    /// Allowed for these roles, 403 `forbidden` for the others; but a foreign object: the unit
    /// and grid roles among them get 403 `out_of_scope`.
    Scoped(&'static [Role]),
}

const GRID: [Role; 2] = [Role::GridChief, Role::GridWorker];
const ADMIN: &[Role] = &[Role::Admin];
const INGESTERS: &[Role] = &[Role::Admin, Role::Dispatcher];
const UNIT: [Role; 2] = [Role::UnitHead, Role::UnitStaff];
const AUDITORS: &[Role] = &[Role::Admin, Role::Leader];
const CREATORS: &[Role] = &lantian_server::api_ledger::CREATORS;
/// Case and accountability readers: everyone but the grid roles.
const READERS: &[Role] = &[
    Role::Admin,
    Role::Dispatcher,
    Role::UnitHead,
    Role::UnitStaff,
    Role::Inspector,
    Role::EnforcementOfficer,
    Role::Leader,
];
/// Who makes and dispatches inspection plans.
const PLANNERS: &[Role] = &[Role::Admin, Role::Dispatcher];
/// Who may be on an inspection team (not the inspected units).
const INSP_FILERS: &[Role] = &[
    Role::Admin,
    Role::Dispatcher,
    Role::GridChief,
    Role::GridWorker,
    Role::Inspector,
    Role::EnforcementOfficer,
    Role::Leader,
];
/// Who files a case.
const FILERS: &[Role] = &[Role::Admin, Role::Dispatcher, Role::EnforcementOfficer];
/// Who moves a case.
const CASE_ACTORS: &[Role] = &[Role::Admin, Role::EnforcementOfficer];
/// Who records accountability.
const DECIDERS: &[Role] = &[Role::Admin, Role::Leader];
/// Everyone but the read-only leader.
const ACTORS: &[Role] = &[
    Role::Admin,
    Role::Dispatcher,
    Role::UnitHead,
    Role::UnitStaff,
    Role::GridChief,
    Role::GridWorker,
    Role::Inspector,
    Role::EnforcementOfficer,
];

/// (method, path template, JSON body, success status, expected). `{own}`/`{foreign}` are
/// stations in / outside the grid roles' grid, `{own_grid}`/`{foreign_grid}` the grids,
/// `{district}` the district, `{national}` a national station, `{token}` a token of another
/// user, `{problem}`/`{foreign_problem}` a problem in the own grid assigned to the unit roles'
/// unit / in the other grid assigned to another unit (both `assigned`, seq 1), `{evidence}` a
/// stored evidence file, `{case}` a case filed by an officer of another unit than the unit
/// roles', `{source}` a source in the own grid, `{unit}` the unit roles' unit. Method `UPLOAD`
/// posts a PNG to `/evidence`. The transitions asked for (`approve` of an assigned problem,
/// `close` of a filed case) are refused by the domain's rules: 422 means the caller got past
/// authorization and scope.
const MATRIX: &[(&str, &str, Option<&str>, u16, Want)] = &[
    ("GET", "/api/v1/me", None, 200, Want::All),
    ("GET", "/api/v1/regions", None, 200, Want::All),
    ("GET", "/api/v1/regions?level=grid", None, 200, Want::All),
    ("GET", "/api/v1/regions/{own_grid}", None, 200, Want::All),
    (
        "GET",
        "/api/v1/regions/{foreign_grid}",
        None,
        200,
        Want::NotGridRoles,
    ),
    ("GET", "/api/v1/stations", None, 200, Want::All),
    ("GET", "/api/v1/stations/{own}", None, 200, Want::All),
    (
        "GET",
        "/api/v1/stations/{foreign}",
        None,
        200,
        Want::NotGridRoles,
    ),
    ("GET", "/api/v1/stations/{own}/latest", None, 200, Want::All),
    (
        "GET",
        "/api/v1/stations/{foreign}/latest",
        None,
        200,
        Want::NotGridRoles,
    ),
    (
        "GET",
        "/api/v1/readings?station={own}&pollutant=PM2.5&from=2025-01-31T00:00:00Z&to=2025-02-01T00:00:00Z",
        None,
        200,
        Want::All,
    ),
    (
        "GET",
        "/api/v1/readings?station={foreign}&pollutant=PM2.5&from=2025-01-31T00:00:00Z&to=2025-02-01T00:00:00Z",
        None,
        200,
        Want::NotGridRoles,
    ),
    (
        "GET",
        "/api/v1/aqi?station={own}&from=2025-01-30&to=2025-01-31",
        None,
        200,
        Want::All,
    ),
    (
        "GET",
        "/api/v1/aqi?station={foreign}&from=2025-01-30&to=2025-01-31",
        None,
        200,
        Want::NotGridRoles,
    ),
    (
        "GET",
        "/api/v1/aqi?area={own_grid}&from=2025-01-30&to=2025-01-31",
        None,
        200,
        Want::All,
    ),
    (
        "GET",
        "/api/v1/aqi?area={district}&from=2025-01-30&to=2025-01-31",
        None,
        200,
        Want::NotGridRoles,
    ),
    ("GET", "/api/v1/targets?year=2025", None, 200, Want::All),
    ("GET", "/api/v1/sources", None, 200, Want::All),
    ("GET", "/api/v1/users", None, 200, Want::Only(ADMIN)),
    (
        "POST",
        "/api/v1/users",
        Some(
            r#"{"login":"new-{role}","display_name":"n","password":"long enough","role":"leader"}"#,
        ),
        200,
        Want::Only(ADMIN),
    ),
    ("GET", "/api/v1/tokens", None, 200, Want::All),
    (
        "POST",
        "/api/v1/tokens",
        Some(r#"{"label":"r","scopes":["read"]}"#),
        200,
        Want::All,
    ),
    (
        "POST",
        "/api/v1/tokens",
        Some(r#"{"label":"i","scopes":["ingest"]}"#),
        200,
        Want::Only(INGESTERS),
    ),
    (
        "POST",
        "/api/v1/tokens",
        Some(r#"{"label":"a","scopes":["admin"]}"#),
        200,
        Want::Only(ADMIN),
    ),
    (
        "DELETE",
        "/api/v1/tokens/{token}",
        None,
        204,
        Want::Only(ADMIN),
    ),
    // Browser sessions never ingest: that is for device tokens.
    (
        "POST",
        "/api/v1/readings",
        Some(r#"{"readings":[]}"#),
        200,
        Want::Nobody,
    ),
    ("GET", "/api/v1/problems", None, 200, Want::All),
    (
        "GET",
        "/api/v1/problems?state=assigned&overdue=true&campaign=air&escalation=warned",
        None,
        200,
        Want::All,
    ),
    ("GET", "/api/v1/problems/{problem}", None, 200, Want::All),
    (
        "GET",
        "/api/v1/problems/{foreign_problem}",
        None,
        200,
        Want::Scoped(&Role::ALL),
    ),
    (
        "GET",
        "/api/v1/problems/{problem}/timeline",
        None,
        200,
        Want::All,
    ),
    (
        "GET",
        "/api/v1/problems/{foreign_problem}/timeline",
        None,
        200,
        Want::Scoped(&Role::ALL),
    ),
    (
        "POST",
        "/api/v1/problems",
        Some(r#"{"category":"site_dust","description":"matrix {role}","grid":"{own_grid}"}"#),
        200,
        Want::Only(CREATORS),
    ),
    (
        "POST",
        "/api/v1/problems/{problem}/transitions",
        Some(r#"{"expected_seq":1,"action":"approve","evidence":["{evidence}"]}"#),
        422,
        Want::Only(ACTORS),
    ),
    (
        "POST",
        "/api/v1/problems/{foreign_problem}/transitions",
        Some(r#"{"expected_seq":1,"action":"approve","evidence":["{evidence}"]}"#),
        422,
        Want::Scoped(ACTORS),
    ),
    ("UPLOAD", "/api/v1/evidence", None, 200, Want::Only(ACTORS)),
    ("GET", "/api/v1/evidence/{evidence}", None, 200, Want::All),
    (
        "GET",
        "/api/v1/audit/verify",
        None,
        200,
        Want::Only(AUDITORS),
    ),
    (
        "GET",
        "/api/v1/audit/anchor?day=2025-02-01",
        None,
        200,
        Want::Only(AUDITORS),
    ),
    ("GET", "/api/v1/notifications", None, 200, Want::All),
    ("GET", "/api/v1/cases", None, 200, Want::Only(READERS)),
    (
        "GET",
        "/api/v1/cases?state=filed&source={source}&unit={unit}",
        None,
        200,
        Want::Only(READERS),
    ),
    (
        "GET",
        "/api/v1/cases/{case}",
        None,
        200,
        Want::Scoped(READERS),
    ),
    (
        "POST",
        "/api/v1/cases",
        Some(r#"{"title":"matrix {role}","party":"p","problems":[{problem}]}"#),
        200,
        Want::Only(FILERS),
    ),
    // Closing a filed case is refused by the domain (wrong state): 422 = past authorization.
    (
        "POST",
        "/api/v1/cases/{case}/transition",
        Some(r#"{"expected_seq":1,"action":"close","summary":"s"}"#),
        422,
        Want::Only(CASE_ACTORS),
    ),
    (
        "GET",
        "/api/v1/accountability",
        None,
        200,
        Want::Only(READERS),
    ),
    (
        "POST",
        "/api/v1/accountability",
        Some(
            r#"{"subject":{"kind":"unit","unit":"{unit}"},"kind":"interview","reason":"matrix","problems":[{problem}]}"#,
        ),
        200,
        Want::Only(DECIDERS),
    ),
    ("GET", "/api/v1/exports/problems", None, 200, Want::All),
    (
        "GET",
        "/api/v1/exports/problems?format=csv",
        None,
        200,
        Want::All,
    ),
    ("GET", "/api/v1/campaigns", None, 200, Want::All),
    ("GET", "/api/v1/inspections", None, 200, Want::All),
    (
        "GET",
        "/api/v1/inspections?campaign=air&mode=routine&from=2025-01-01&to=2025-12-31",
        None,
        200,
        Want::All,
    ),
    (
        "GET",
        "/api/v1/exports/cases?format=csv",
        None,
        200,
        Want::Only(READERS),
    ),
    (
        "GET",
        "/api/v1/exports/accountability",
        None,
        200,
        Want::Only(READERS),
    ),
    ("GET", "/api/v1/inspections/{plan}", None, 200, Want::All),
    (
        "GET",
        "/api/v1/inspections/{foreign_plan}",
        None,
        200,
        Want::Scoped(&Role::ALL),
    ),
    (
        "POST",
        "/api/v1/inspections",
        Some(
            r#"{"mode":"routine","title":"matrix {role}","planned_for":"2025-02-01T09:00:00+08:00","team":["{inspector}"],"targets":[{"kind":"grid","code":"{own_grid}","unit":"{unit}"}]}"#,
        ),
        200,
        Want::Only(PLANNERS),
    ),
    // Both plans are dispatched already: the domain refuses a second dispatch (422).
    (
        "POST",
        "/api/v1/inspections/{plan}/dispatch",
        Some(r#"{}"#),
        422,
        Want::Only(PLANNERS),
    ),
    // The callers are not on the plans' teams: the domain refuses (422) those allowed to file.
    (
        "POST",
        "/api/v1/inspections/{plan}/records",
        Some(r#"{"target":"{own_grid}","lon":113.3,"lat":35.2}"#),
        422,
        Want::Only(INSP_FILERS),
    ),
    (
        "POST",
        "/api/v1/inspections/{foreign_plan}/records",
        Some(r#"{"target":"{foreign_grid}","lon":113.3,"lat":35.2}"#),
        422,
        Want::Scoped(INSP_FILERS),
    ),
    ("GET", "/", None, 200, Want::All),
    ("GET", "/map", None, 200, Want::All),
    ("GET", "/map?p=PM2.5", None, 200, Want::All),
    ("GET", "/stations/{own}", None, 200, Want::All),
    (
        "GET",
        "/stations/{own}?days=30&lang=en",
        None,
        200,
        Want::All,
    ),
    ("GET", "/stations/{foreign}", None, 200, Want::NotGridRoles),
    ("GET", "/sources", None, 200, Want::All),
    ("GET", "/sources?kind=construction", None, 200, Want::All),
    ("GET", "/cases", None, 200, Want::Only(READERS)),
    ("GET", "/cases/{case}", None, 200, Want::Scoped(READERS)),
    ("GET", "/accountability", None, 200, Want::Only(READERS)),
    ("GET", "/rankings", None, 200, Want::Only(READERS)),
    ("GET", "/inspections", None, 200, Want::All),
    (
        "GET",
        "/inspections?mode=routine&from=2025-01-01",
        None,
        200,
        Want::All,
    ),
    ("GET", "/inspections/{plan}", None, 200, Want::All),
    (
        "GET",
        "/inspections/{foreign_plan}",
        None,
        200,
        Want::Scoped(&Role::ALL),
    ),
];

/// Ledger objects of the matrix: own problem, foreign problem, evidence hash, a case filed by
/// an enforcement officer of another unit than the unit roles', a source.
struct Objects {
    problem: u64,
    foreign_problem: u64,
    evidence: String,
    case: u64,
    source: String,
    insp: Inspections,
}

/// Inspection objects of the matrix: a dispatched plan on the own grid (target of the unit
/// roles' unit), one on the foreign grid (another unit), and an inspector person of another
/// unit (`{inspector}`).
#[derive(Debug, Clone)]
struct Inspections {
    plan: u64,
    foreign_plan: u64,
    inspector: String,
}

async fn inspection_objects(s: &Server) -> Inspections {
    use lantian_domain::inspection::{InspectionMode, Inspector, PlanDraft, Target, TargetKind};
    use lantian_domain::{RegionCode, UnitCode};
    use lantian_store::Store;
    use lantian_store::inspections::InspectionStore;
    use lantian_store::ledger::system_actor;
    let sys = system_actor();
    let people = s.app.db.people().await.unwrap();
    let inspector = people
        .iter()
        .find(|p| p.role == Role::Inspector && p.unit.as_str() != s.fx.unit)
        .unwrap();
    let other_unit = people
        .iter()
        .find(|p| p.unit.as_str() != s.fx.unit && p.unit != inspector.unit)
        .unwrap()
        .unit
        .clone();
    let mut ids = Vec::new();
    for (grid, unit) in [
        (&s.fx.own_grid, UnitCode::parse(&s.fx.unit).unwrap()),
        (&s.fx.foreign_grid, other_unit),
    ] {
        let draft = PlanDraft {
            id: 0,
            campaign: "air".into(),
            mode: InspectionMode::Routine,
            title: "matrix".into(),
            planned_for: s.app.now(),
            team: vec![Inspector {
                person: inspector.id.clone(),
                unit: inspector.unit.clone(),
                role: Role::Inspector,
            }],
            targets: vec![Target {
                kind: TargetKind::Grid,
                code: grid.clone(),
                name: grid.clone(),
                location: None,
                grid: Some(RegionCode::parse(grid).unwrap()),
                unit: Some(unit),
            }],
            problem: None,
        };
        let (p, _) = s
            .app
            .db
            .create_plan(&draft, &sys, None, s.app.now())
            .await
            .unwrap();
        s.app
            .db
            .dispatch_plan(p.id, None, &sys, s.app.now())
            .await
            .unwrap();
        ids.push(p.id);
    }
    Inspections {
        plan: ids[0],
        foreign_plan: ids[1],
        inspector: inspector.id.as_str().to_owned(),
    }
}

/// Two assigned problems (own grid and unit / foreign grid and another unit) and an evidence
/// file, written through the store as the system.
async fn ledger_objects(s: &Server) -> Objects {
    use lantian_domain::ledger::{Action, Finding, Mode};
    use lantian_domain::{PersonId, RegionCode, UnitCode};
    use lantian_store::Store;
    use lantian_store::ledger::{LedgerStore, NewProblem, system_actor};
    use lantian_store::records::RecordStore;
    let cal = lantian_domain::calendar::Calendar::china();
    let sys = system_actor();
    let people = s.app.db.people().await.unwrap();
    let mut ids = Vec::new();
    for (grid, same_unit) in [(&s.fx.own_grid, true), (&s.fx.foreign_grid, false)] {
        let person = people
            .iter()
            .find(|p| (p.unit.as_str() == s.fx.unit) == same_unit)
            .unwrap();
        let p = s
            .app
            .db
            .create_problem(
                &NewProblem {
                    campaign: "air".into(),
                    category: "site_dust".into(),
                    description: "matrix".into(),
                    finding: Finding::Inspection,
                    found_at: s.app.now(),
                    grid: Some(RegionCode::parse(grid).unwrap()),
                    source: None,
                    unit: None,
                    mode: Mode::Immediate { hours: 24 },
                },
                &sys,
                s.app.now(),
            )
            .await
            .unwrap();
        s.app
            .db
            .apply(
                p.id,
                Some(0),
                Action::Assign {
                    unit: UnitCode::parse(person.unit.as_str()).unwrap(),
                    assignee: PersonId::parse(person.id.as_str()).unwrap(),
                },
                &sys,
                s.app.now(),
                &cal,
            )
            .await
            .unwrap();
        ids.push(p.id);
    }
    let ev = s
        .app
        .db
        .put_evidence(
            crate::ledger_api::PNG,
            "image/png",
            &sys.person,
            s.app.now(),
        )
        .await
        .unwrap();
    let officer = people
        .iter()
        .find(|p| p.unit.as_str() != s.fx.unit)
        .unwrap();
    let case = s
        .app
        .db
        .file_case(
            &lantian_domain::enforcement::CaseDraft {
                id: 0,
                title: "matrix case".into(),
                party: "p".into(),
                sources: vec![],
                problems: vec![ids[1]],
            },
            &lantian_domain::ledger::Actor {
                person: officer.id.clone(),
                unit: officer.unit.clone(),
                role: lantian_domain::org::Role::EnforcementOfficer,
                grids: vec![],
            },
            s.app.now(),
        )
        .await
        .unwrap();
    let source = s
        .app
        .db
        .sources(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.grid.as_ref().is_some_and(|g| g.as_str() == s.fx.own_grid))
        .unwrap()
        .id
        .as_str()
        .to_owned();
    Objects {
        problem: ids[0],
        foreign_problem: ids[1],
        evidence: ev,
        case: case.id,
        source,
        insp: inspection_objects(s).await,
    }
}

fn fill(s: &Server, t: &str, role: &str, token: i64, o: &Objects) -> String {
    t.replace("{foreign_problem}", &o.foreign_problem.to_string())
        .replace("{problem}", &o.problem.to_string())
        .replace("{evidence}", &o.evidence)
        .replace("{case}", &o.case.to_string())
        .replace("{source}", &o.source)
        .replace("{foreign_plan}", &o.insp.foreign_plan.to_string())
        .replace("{plan}", &o.insp.plan.to_string())
        .replace("{inspector}", &o.insp.inspector)
        .replace("{unit}", &s.fx.unit)
        .replace("{own_grid}", &s.fx.own_grid)
        .replace("{foreign_grid}", &s.fx.foreign_grid)
        .replace("{own}", &s.fx.own_station)
        .replace("{foreign}", &s.fx.foreign_station)
        .replace("{district}", &s.fx.district)
        .replace("{national}", &s.fx.national_station)
        .replace("{token}", &token.to_string())
        .replace("{role}", role)
}

async fn every_role_against_every_endpoint(s: &Server) {
    // A token owned by the leader: the "foreign object" of the token endpoints.
    let mut owner = s.login(Role::Leader).await;
    let foreign_token = owner
        .post_json(
            "/api/v1/tokens",
            &json!({"label": "theirs", "scopes": ["read"]}),
        )
        .await
        .json()["info"]["id"]
        .as_i64()
        .unwrap();
    let objects = ledger_objects(s).await;
    let mut failures = Vec::new();
    for role in Role::ALL {
        let mut c = s.login(role).await;
        for &(method, path, body, ok, want) in MATRIX {
            let path = fill(
                s,
                path,
                &role.code().replace('_', "-"),
                foreign_token,
                &objects,
            );
            let r = match (method, body) {
                ("GET", _) => c.get(&path).await,
                ("UPLOAD", _) => {
                    c.request("POST", &path, Some("image/png"), crate::ledger_api::PNG)
                        .await
                }
                ("DELETE", _) => c.delete(&path).await,
                (_, Some(b)) => {
                    let b = fill(
                        s,
                        b,
                        &role.code().replace('_', "-"),
                        foreign_token,
                        &objects,
                    );
                    c.post_json(&path, &serde_json::from_str(&b).unwrap()).await
                }
                _ => unreachable!(),
            };
            let (status, code) = match want {
                Want::All => (ok, None),
                Want::Only(roles) if roles.contains(&role) => (ok, None),
                // The leader owns the foreign token: revoking one's own is allowed.
                Want::Only(_) if path.starts_with("/api/v1/tokens/") && role == Role::Leader => {
                    (ok, None)
                }
                Want::Only(_) if path.starts_with("/api/v1/tokens/") => (403, Some("out_of_scope")),
                Want::Only(_) | Want::Nobody => (403, Some("forbidden")),
                Want::NotGridRoles if GRID.contains(&role) => (403, Some("out_of_scope")),
                Want::NotGridRoles => (ok, None),
                Want::Scoped(roles) if !roles.contains(&role) => (403, Some("forbidden")),
                Want::Scoped(_) if GRID.contains(&role) || UNIT.contains(&role) => {
                    (403, Some("out_of_scope"))
                }
                Want::Scoped(_) => (ok, None),
            };
            let api = path.starts_with("/api/");
            let got_code = if api && r.status >= 400 {
                Some(r.code())
            } else {
                None
            };
            let code_ok = match (code, &got_code) {
                (Some(want), Some(got)) => want == got,
                (Some(_), None) => !api && r.body.contains(code.unwrap_or("")),
                (None, _) => true,
            };
            if r.status != status || !code_ok {
                failures.push(format!(
                    "{role:?} {method} {path}: want {status} {code:?}, got {} {}",
                    r.status,
                    &r.body[..r.body.len().min(200)]
                ));
            }
        }
    }
    // Nobody logged in: 401 everywhere on the API, the login page for pages.
    let mut anon = s.client();
    for &(method, path, body, _, _) in MATRIX {
        let path = fill(s, path, "anon", foreign_token, &objects);
        let r = match (method, body) {
            ("GET", _) => anon.get(&path).await,
            ("UPLOAD", _) => {
                anon.request("POST", &path, Some("image/png"), crate::ledger_api::PNG)
                    .await
            }
            ("DELETE", _) => anon.delete(&path).await,
            (_, Some(b)) => {
                let b = fill(s, b, "anon", foreign_token, &objects);
                anon.post_json(&path, &serde_json::from_str(&b).unwrap())
                    .await
            }
            _ => unreachable!(),
        };
        let ok = if path.starts_with("/api/") {
            r.status == 401 && r.code() == "unauthenticated"
        } else {
            r.status == 303 && r.header("location") == Some("/login")
        };
        if !ok {
            failures.push(format!(
                "anonymous {method} {path}: got {} {}",
                r.status, r.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Lists are filtered by scope, not only single objects refused.
async fn lists_show_only_what_the_scope_allows(s: &Server) {
    let mut worker = s.login(Role::GridWorker).await;
    let st = worker.get("/api/v1/stations?per_page=1000").await.json();
    let items = st["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|i| i["grid"] == s.fx.own_grid.as_str()),
        "{st}"
    );
    let src = worker.get("/api/v1/sources?per_page=1000").await.json();
    assert!(
        src["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["grid"] == s.fx.own_grid.as_str())
    );
    assert!(src["total"].as_u64().unwrap() < 200);
    let regions = worker.get("/api/v1/regions?level=grid").await.json();
    let grids: Vec<_> = regions["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].clone())
        .collect();
    assert_eq!(grids, vec![json!(s.fx.own_grid)]);
    // The district's targets are public figures for every role.
    assert!(
        !worker
            .get("/api/v1/targets?year=2025")
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let mut staff = s.login(Role::UnitStaff).await;
    let src = staff.get("/api/v1/sources?per_page=1000").await.json();
    let items = src["items"].as_array().unwrap();
    assert!(
        items.iter().all(|i| i["unit"] == s.fx.unit.as_str()),
        "{src}"
    );
    let mut admin = s.login(Role::Admin).await;
    assert_eq!(
        admin.get("/api/v1/sources?per_page=1000").await.json()["total"],
        200
    );
    let all = admin.get("/api/v1/stations").await.json();
    assert_eq!(all["total"], 38);
}

crate::both_backends!(
    every_role_against_every_endpoint,
    lists_show_only_what_the_scope_allows
);

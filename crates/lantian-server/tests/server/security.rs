//! Accounts and security over HTTP: login/logout, lockout, rate limiting, CSRF, session
//! fixation, bearer tokens (scope, revocation), SQL injection in filters, XSS escaping.

use crate::harness::{PASSWORD, Server};
use lantian_domain::org::Role;
use lantian_server::Config;
use lantian_store::{AccountStore, Store};
use serde_json::json;

fn config() -> Config {
    Config {
        max_failures: 3,
        lock_s: 600,
        login_per_minute: 30,
        ..Config::default()
    }
}

async fn login_sets_a_safe_cookie_and_logout_revokes_it(s: &Server) {
    let mut c = s.client();
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "t-admin", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("sid="))
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let sid = c.cookies["sid"].clone();
    assert_eq!(sid.len(), 64);
    // Only the hash is stored.
    let users = s.app.db.users().await.unwrap();
    let admin = users.iter().find(|u| u.login == "t-admin").unwrap();
    let sessions = s.app.db.sessions_of(admin.id).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_ne!(sessions[0].token_hash, sid);
    assert_eq!(
        sessions[0].token_hash,
        lantian_server::auth::token_hash(&sid)
    );
    assert_eq!(c.get("/api/v1/me").await.json()["user"]["login"], "t-admin");
    // Logout needs the CSRF token.
    assert_eq!(
        c.post_json("/api/v1/auth/logout", &json!({})).await.code(),
        "csrf_failed"
    );
    c.csrf = Some(r.json()["csrf_token"].as_str().unwrap().to_owned());
    assert_eq!(
        c.post_json("/api/v1/auth/logout", &json!({})).await.status,
        204
    );
    let mut replay = s.client();
    replay.cookies.insert("sid".into(), sid);
    let r = replay.get("/api/v1/me").await;
    assert_eq!((r.status, r.code().as_str()), (401, "unauthenticated"));
    // Pages redirect to the login page.
    let r = replay.get("/").await;
    assert_eq!((r.status, r.header("location")), (303, Some("/login")));
}

async fn wrong_passwords_lock_the_account_until_the_lock_expires(s: &Server) {
    let mut c = s.client();
    let try_login = |pw: &'static str| json!({"login": "t-leader", "password": pw});
    let r = c.post_json("/api/v1/auth/login", &try_login("nope")).await;
    assert_eq!((r.status, r.code().as_str()), (401, "bad_credentials"));
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "nobody", "password": "x"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "bad_credentials"),
        "same answer for no such user"
    );
    assert_eq!(
        c.post_json("/api/v1/auth/login", &try_login("nope"))
            .await
            .status,
        401
    );
    let r = c.post_json("/api/v1/auth/login", &try_login("nope")).await;
    assert_eq!((r.status, r.code().as_str()), (423, "account_locked"));
    // Even the right password is refused while locked.
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "t-leader", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.code(), "account_locked");
    s.clock.advance(601);
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "t-leader", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Another user was never affected.
    let mut d = s.client();
    let r = d
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "t-admin", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200);
}

async fn login_attempts_are_rate_limited_per_client(s: &Server) {
    let mut c = s.client();
    let mut codes = Vec::new();
    for _ in 0..31 {
        let r = c
            .post_json(
                "/api/v1/auth/login",
                &json!({"login": "nobody", "password": "x"}),
            )
            .await;
        codes.push(r.status);
    }
    assert!(codes[..30].iter().all(|&c| c == 401), "{codes:?}");
    assert_eq!(codes[30], 429);
    // The next minute is a new window.
    s.clock.advance(60);
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "t-admin", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200);
}

async fn state_changes_without_the_csrf_token_are_refused(s: &Server) {
    let mut c = s.login(Role::Admin).await;
    let token = c.csrf.take().unwrap();
    let body = json!({"label": "x", "scopes": ["read"]});
    let r = c.post_json("/api/v1/tokens", &body).await;
    assert_eq!((r.status, r.code().as_str()), (403, "csrf_failed"));
    c.csrf = Some("0".repeat(64));
    assert_eq!(
        c.post_json("/api/v1/tokens", &body).await.code(),
        "csrf_failed"
    );
    c.csrf = Some(token.clone());
    assert_eq!(c.post_json("/api/v1/tokens", &body).await.status, 200);
    // Forms: the field, not the header.
    c.csrf = None;
    let r = c.post_form("/logout", &[("csrf", "wrong")]).await;
    assert_eq!(r.code(), "csrf_failed");
    assert_eq!(c.get("/api/v1/me").await.status, 200, "still logged in");
    let r = c.post_form("/logout", &[("csrf", &token)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(c.get("/api/v1/me").await.status, 401);
    // The login form: double submit cookie.
    let mut b = s.client();
    let r = b
        .post_form(
            "/login",
            &[("csrf", "x"), ("login", "t-admin"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.code(), "csrf_failed", "no lt_csrf cookie");
    let page = b.get("/login").await;
    assert_eq!(page.status, 200);
    let field = page.body.split("name=\"csrf\" value=\"").nth(1).unwrap()[..64].to_owned();
    assert_eq!(b.cookies["lt_csrf"], field);
    let r = b
        .post_form(
            "/login",
            &[("csrf", "y"), ("login", "t-admin"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.code(), "csrf_failed", "field differs from cookie");
    let r = b
        .post_form(
            "/login",
            &[
                ("csrf", &field),
                ("login", "t-admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!((r.status, r.header("location")), (303, Some("/")));
    assert_eq!(b.get("/").await.status, 200);
}

async fn login_always_issues_a_new_session_id(s: &Server) {
    // A planted, never-issued id.
    let mut victim = s.client();
    let planted = "ab".repeat(32);
    victim.cookies.insert("sid".into(), planted.clone());
    let r = victim
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "t-dispatcher", "password": PASSWORD}),
        )
        .await;
    // The planted cookie is a (dead) session cookie, so the JSON login needs the CSRF header
    // for it, which the attacker cannot give the victim; a real browser posts the form.
    assert_eq!(r.code(), "csrf_failed");
    let mut victim = s.client();
    victim.cookies.insert("sid".into(), planted.clone());
    let page = victim.get("/login").await;
    let field = page.body.split("name=\"csrf\" value=\"").nth(1).unwrap()[..64].to_owned();
    let expected = lantian_server::auth::csrf_for(&planted);
    // The form's CSRF check is session-bound when a sid cookie is present.
    let r = victim
        .post_form(
            "/login",
            &[
                ("csrf", &expected),
                ("login", "t-dispatcher"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_ne!(
        victim.cookies["sid"], planted,
        "session id must change on login"
    );
    let _ = field;
    // A valid session id known to an attacker (their own login) is revoked by the victim's login.
    let attacker = s.login(Role::Dispatcher).await;
    let known = attacker.cookies["sid"].clone();
    let mut victim = s.client();
    victim.cookies.insert("sid".into(), known.clone());
    victim.csrf = Some(lantian_server::auth::csrf_for(&known));
    let r = victim
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "t-admin", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200);
    let new = victim.cookies["sid"].clone();
    assert_ne!(new, known);
    let mut a = s.client();
    a.cookies.insert("sid".into(), known);
    assert_eq!(
        a.get("/api/v1/me").await.status,
        401,
        "the fixed id is dead"
    );
    assert_eq!(
        victim.get("/api/v1/me").await.json()["user"]["login"],
        "t-admin"
    );
}

async fn bearer_tokens_are_scoped_hashed_and_revocable(s: &Server) {
    let mut admin = s.login(Role::Admin).await;
    let read = admin
        .post_json(
            "/api/v1/tokens",
            &json!({"label": "dashboard wall", "scopes": ["read"], "days": 30}),
        )
        .await
        .json();
    let ingest = admin
        .post_json(
            "/api/v1/tokens",
            &json!({"label": "logger", "scopes": ["ingest"]}),
        )
        .await
        .json();
    let (read_tok, ingest_tok) = (
        read["token"].as_str().unwrap().to_owned(),
        ingest["token"].as_str().unwrap().to_owned(),
    );
    let list = admin.get("/api/v1/tokens").await.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        !list.to_string().contains(&read_tok),
        "secrets are never listed"
    );
    let mut dev = s.client();
    dev.bearer = Some(read_tok.clone());
    assert_eq!(dev.get("/api/v1/stations").await.status, 200);
    let batch = json!({"readings": [
        {"station": s.fx.own_station, "pollutant": "PM2.5", "hour": "2025-02-01T01:00:00+08:00", "value": 55.0},
        {"station": s.fx.own_station, "pollutant": "PM10", "hour": "2025-02-01T01:00:00+08:00", "value": 90.0}
    ]});
    let r = dev.post_json("/api/v1/readings", &batch).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "forbidden"),
        "read scope cannot ingest"
    );
    // A token cannot mint tokens.
    let r = dev
        .post_json("/api/v1/tokens", &json!({"label": "x", "scopes": ["read"]}))
        .await;
    assert_eq!(r.status, 403);
    let mut logger = s.client();
    logger.bearer = Some(ingest_tok.clone());
    assert_eq!(
        logger.get("/api/v1/stations").await.status,
        403,
        "ingest scope cannot read"
    );
    let r = logger.post_json("/api/v1/readings", &batch).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["written"], 2);
    let before = s.app.db.count_hourly().await.unwrap();
    let r = logger.post_json("/api/v1/readings", &batch).await;
    assert_eq!(r.json()["written"], 2);
    assert_eq!(s.app.db.count_hourly().await.unwrap(), before, "idempotent");
    let q = format!(
        "/api/v1/readings?station={}&pollutant=PM2.5&from=2025-02-01T01:00:00%2B08:00&to=2025-02-01T01:00:00%2B08:00",
        s.fx.own_station
    );
    let got = dev.get(&q).await.json();
    assert_eq!(got["items"][0]["raw"], 55.0);
    assert_eq!(got["items"][0]["origin"], "http");
    // A bad row refuses the whole batch.
    let bad = json!({"readings": [
        {"station": s.fx.own_station, "pollutant": "PM2.5", "hour": "2025-02-01T02:00:00+08:00", "value": 1.0},
        {"station": "NOPE", "pollutant": "PM2.5", "hour": "2025-02-01T02:00:00+08:00", "value": 1.0}
    ]});
    let r = logger.post_json("/api/v1/readings", &bad).await;
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    assert!(r.body.contains("readings[1].station"), "{}", r.body);
    assert_eq!(s.app.db.count_hourly().await.unwrap(), before);
    // Cookie-less bearer calls need no CSRF token; revocation kills the token at once.
    let id = ingest["info"]["id"].as_i64().unwrap();
    assert_eq!(
        admin.delete(&format!("/api/v1/tokens/{id}")).await.status,
        204
    );
    let r = logger.post_json("/api/v1/readings", &batch).await;
    assert_eq!((r.status, r.code().as_str()), (401, "unauthenticated"));
    // A bearer token in the cookie is not a session.
    let mut sneaky = s.client();
    sneaky.cookies.insert("sid".into(), read_tok);
    assert_eq!(sneaky.get("/api/v1/me").await.status, 401);
    // Scopes a role may not hold.
    let mut worker = s.login(Role::GridWorker).await;
    let r = worker
        .post_json(
            "/api/v1/tokens",
            &json!({"label": "x", "scopes": ["ingest"]}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = worker
        .post_json("/api/v1/tokens", &json!({"label": "x", "scopes": ["root"]}))
        .await;
    assert_eq!(r.code(), "invalid_parameter");
}

async fn injection_attempts_in_filters_are_plain_bad_input(s: &Server) {
    let mut c = s.login(Role::Admin).await;
    for q in [
        "/api/v1/sources?grid=%27%20OR%201%3D1--",
        "/api/v1/sources?unit=x%27%3B%20DROP%20TABLE%20users%3B--",
        "/api/v1/sources?kind=%27%20OR%20%271%27%3D%271",
        "/api/v1/stations?grid=%27%20OR%20%271%27%3D%271",
        "/api/v1/readings?station=1%27%20OR%201%3D1--&pollutant=PM2.5&from=0&to=3600",
        "/api/v1/readings?station=X&pollutant=PM2.5%27--&from=0&to=3600",
        "/api/v1/aqi?area=%27%3BDELETE%20FROM%20sessions&from=2025-01-01&to=2025-01-02",
        "/api/v1/stations?page=1%20OR%201%3D1",
    ] {
        let r = c.get(q).await;
        assert!(
            matches!(r.status, 400 | 404),
            "{q}: {} {}",
            r.status,
            r.body
        );
        assert!(!r.code().is_empty(), "{q}: envelope");
    }
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "t-admin' --", "password": "x' OR '1'='1"}),
        )
        .await;
    assert_eq!(r.status, 401);
    // Everything is still there and the session still works.
    assert_eq!(s.app.db.users().await.unwrap().len(), 9);
    assert_eq!(c.get("/api/v1/me").await.status, 200);
    assert_eq!(
        c.get("/api/v1/sources?per_page=1000").await.json()["total"],
        200
    );
}

async fn names_are_escaped_in_pages(s: &Server) {
    let mut st = s
        .app
        .db
        .station(&lantian_domain::StationCode::parse(&s.fx.national_station).unwrap())
        .await
        .unwrap()
        .unwrap();
    st.name = "<img src=x onerror=alert(1)>".into();
    s.app.db.upsert_stations(&[st]).await.unwrap();
    let mut admin = s.login(Role::Admin).await;
    let r = admin
        .post_json(
            "/api/v1/users",
            &json!({"login": "xss", "display_name": "<script>alert('x')</script>",
                    "password": PASSWORD, "role": "leader"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut c = s.client();
    let r = c
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "xss", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200);
    for path in [
        "/".to_owned(),
        format!("/stations/{}", s.fx.national_station),
        "/map".into(),
    ] {
        let page = c.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains("<script>alert"), "{path}");
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(page.body.contains("&lt;script&gt;alert("), "{path}");
        assert!(
            page.header("content-security-policy")
                .unwrap()
                .contains("script-src 'self'")
        );
    }
    let page = c.get("/").await;
    assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

crate::both_backends!(
    login_sets_a_safe_cookie_and_logout_revokes_it,
    wrong_passwords_lock_the_account_until_the_lock_expires,
    login_attempts_are_rate_limited_per_client,
    state_changes_without_the_csrf_token_are_refused,
    login_always_issues_a_new_session_id,
    bearer_tokens_are_scoped_hashed_and_revocable,
    injection_attempts_in_filters_are_plain_bad_input,
    names_are_escaped_in_pages,
);

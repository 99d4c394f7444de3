//! The browser test of issue #5 in headless Chromium (Debian's chromium + chromedriver, driven
//! by `lantian_testkit::webdriver`): a grid worker on a 390×844 phone window checks in with
//! GPS, uploads a photo and submits the rectification on the field page; an inspector of
//! another unit verifies it with evidence on a 1920×1080 screen; the problem shows 已销号 with
//! its timeline. Screenshots of the main pages go to `$LANTIAN_ARTIFACTS` or
//! `target/screenshots/` (CI artifacts). Without chromium the test says it is skipped; under
//! CI=true that is a failure.

use crate::harness::{Backend, PASSWORD, start};
use crate::ledger_pages::{PNG, seed_linked};
use lantian_domain::ledger::State;
use lantian_store::Store;
use lantian_store::ledger::LedgerStore;
use lantian_testkit::webdriver::Browser;
use std::path::PathBuf;

fn artifacts() -> PathBuf {
    std::env::var_os("LANTIAN_ARTIFACTS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"),
        PathBuf::from,
    )
}

fn browser(w: u32, h: u32) -> Option<Browser> {
    match Browser::start(w, h).unwrap() {
        Some(b) => Some(b),
        None if lantian_testkit::is_ci() => {
            panic!("CI=true: chromium and chromedriver must be installed (.ci/run does it)")
        }
        None => {
            eprintln!(
                "SKIPPED: the browser test needs /usr/bin/chromium and /usr/bin/chromedriver"
            );
            None
        }
    }
}

fn login(b: &Browser, base: &str, login: &str) {
    b.goto(&format!("{base}/login")).unwrap();
    b.type_into(&b.find("input[name=login]").unwrap(), login)
        .unwrap();
    b.type_into(&b.find("input[name=password]").unwrap(), PASSWORD)
        .unwrap();
    b.click(
        &b.find("form.login button[type=submit], main button[type=submit]")
            .unwrap(),
    )
    .unwrap();
    // The overview after the redirect.
    b.find("nav.nav").unwrap();
}

/// Wait until a JS expression is truthy (the browser is asynchronous: fetch, geolocation).
fn wait_for(b: &Browser, js: &str, what: &str) {
    for _ in 0..100 {
        if b.script(&format!("return !!({js});")).unwrap() == serde_json::json!(true) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!(
        "timed out waiting for {what}; page: {}",
        b.page_text().unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_worker_submits_and_an_inspector_of_another_unit_closes() {
    let Some(phone) = browser(390, 844) else {
        return;
    };
    let s = start(Backend::Sqlite, lantian_server::Config::default())
        .await
        .unwrap();
    let l = seed_linked(&s).await;
    let id = l.task;
    let base = format!("http://{}", s.addr);
    let dir = artifacts();
    let photo = std::env::temp_dir().join(format!("lantian-photo-{}.png", std::process::id()));
    std::fs::write(&photo, PNG).unwrap();
    // Near the task's grid: one of its stations.
    let stations = s.app.db.stations().await.unwrap();
    let loc = stations
        .iter()
        .filter(|st| st.grid.as_ref() == Some(&l.grid))
        .find_map(|st| st.location)
        .map_or((35.2, 113.2), |p| (p.lat + 0.0005, p.lon + 0.0005));

    // The grid worker, on a phone.
    login(&phone, &base, &l.worker);
    phone.set_geolocation(loc.0, loc.1).unwrap();
    phone.goto(&format!("{base}/field")).unwrap();
    let form = format!("#act-{id}-submit");
    phone.find(&form).unwrap();
    phone.screenshot(&dir.join("field.png")).unwrap();
    phone
        .click(&phone.find(&format!("{form} [data-checkin]")).unwrap())
        .unwrap();
    wait_for(
        &phone,
        &format!("document.querySelector('{form} input[name=lat]').value"),
        "the GPS check-in",
    );
    phone
        .type_into(
            &phone.find(&format!("{form} input[type=file]")).unwrap(),
            photo.to_str().unwrap(),
        )
        .unwrap();
    wait_for(
        &phone,
        &format!("document.querySelector('{form} input[name=evidence]').value.length == 64"),
        "the photo upload",
    );
    phone
        .type_into(
            &phone.find(&format!("{form} input[name=note]")).unwrap(),
            "围挡已修复",
        )
        .unwrap();
    phone
        .screenshot(&dir.join("field-before-submit.png"))
        .unwrap();
    phone
        .click(&phone.find(&format!("{form} button[type=submit]")).unwrap())
        .unwrap();
    phone.find("#done").unwrap();
    drop(phone);
    let p = s.app.db.problem(id).await.unwrap().unwrap();
    assert_eq!(p.state, State::Submitted);
    let tl = s.app.db.timeline(id).await.unwrap();
    let submit = String::from_utf8_lossy(&tl.last().unwrap().payload).into_owned();
    assert!(
        submit.contains(&format!("GPS {:.5},{:.5}", loc.0, loc.1)),
        "{submit}"
    );

    // An inspector of another unit, on the command room's screen.
    let Some(wall) = browser(1920, 1080) else {
        return;
    };
    login(&wall, &base, &l.inspector);
    wall.screenshot(&dir.join("overview.png")).unwrap();
    wall.goto(&format!("{base}/map")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    wall.screenshot(&dir.join("map.png")).unwrap();
    wall.goto(&format!("{base}/stations/{}", s.fx.national_station))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    wall.screenshot(&dir.join("station.png")).unwrap();
    wall.goto(&format!("{base}/ledger")).unwrap();
    wall.find("#ledger").unwrap();
    wall.screenshot(&dir.join("ledger.png")).unwrap();
    // The record pages with the demo's cases and accountability records.
    for (path, sel, file) in [
        ("/sources", "#sources", "sources.png"),
        ("/cases", "#case-list", "cases.png"),
        ("/cases/1", "#case", "case.png"),
        ("/accountability", "#acc-list", "accountability.png"),
        ("/rankings", "#units", "rankings.png"),
    ] {
        wall.goto(&format!("{base}{path}")).unwrap();
        wall.find(sel).unwrap();
        wall.screenshot(&dir.join(file)).unwrap();
    }
    wall.goto(&format!("{base}/problems/{id}")).unwrap();
    wall.find("#act-approve").unwrap();
    wall.type_into(
        &wall.find("#act-approve input[type=file]").unwrap(),
        photo.to_str().unwrap(),
    )
    .unwrap();
    wait_for(
        &wall,
        "document.querySelector('#act-approve input[name=evidence]').value.length == 64",
        "the inspector's photo upload",
    );
    wall.click(&wall.find("#act-approve button[type=submit]").unwrap())
        .unwrap();
    wall.find("#done").unwrap();
    let state = wall.text(&wall.find("#state").unwrap()).unwrap();
    assert_eq!(state, "已销号");
    let timeline = wall.text(&wall.find("#timeline").unwrap()).unwrap();
    for step in [
        "发现登记",
        "派发",
        "开始整改",
        "提交整改",
        "核查通过（销号）",
    ] {
        assert!(timeline.contains(step), "timeline lacks {step}: {timeline}");
    }
    assert!(timeline.contains("围挡已修复"));
    // The evidence thumbnails load (same origin, served by the problem's route).
    wait_for(
        &wall,
        "Array.from(document.querySelectorAll('.thumbs img')).every(i => i.complete && i.naturalWidth > 0)",
        "the evidence thumbnails",
    );
    wall.screenshot(&dir.join("problem.png")).unwrap();
    wall.goto(&format!("{base}/problems/{id}?lang=en")).unwrap();
    assert_eq!(wall.text(&wall.find("#state").unwrap()).unwrap(), "Closed");
    drop(wall);
    let p = s.app.db.problem(id).await.unwrap().unwrap();
    assert_eq!(p.state, State::Closed);
    let _ = std::fs::remove_file(&photo);
    s.stop().await;
}

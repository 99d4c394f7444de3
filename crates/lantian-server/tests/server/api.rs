//! The API's contract: the OpenAPI document (snapshot), the error envelope, pagination, and
//! the figures of the read side against the seeded data.

use crate::harness::Server;
use lantian_domain::org::Role;
use lantian_server::Config;

fn config() -> Config {
    Config::default()
}

#[test]
fn openapi_document_is_3_1_and_stable() {
    let doc = serde_json::to_value(lantian_server::openapi()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    insta::assert_json_snapshot!("openapi", doc);
}

async fn errors_share_one_envelope_and_lists_paginate(s: &Server) {
    let mut c = s.login(Role::Admin).await;
    let r = c.get("/api/v1/no-such-thing").await;
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    let r = c.get("/api/v1/stations?page=abc").await;
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    let r = c.get("/api/v1/stations?per_page=1001").await;
    assert_eq!(r.code(), "invalid_parameter");
    let r = c.get("/api/v1/stations/NOPE").await;
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    let r = c
        .post_json("/api/v1/users", &serde_json::json!({"login": 1}))
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    let p1 = c.get("/api/v1/stations?per_page=5&page=1").await.json();
    let p2 = c.get("/api/v1/stations?per_page=5&page=2").await.json();
    assert_eq!(
        (p1["total"].as_u64(), p1["items"].as_array().unwrap().len()),
        (Some(38), 5)
    );
    assert_ne!(p1["items"][0]["code"], p2["items"][0]["code"]);
    let last = c.get("/api/v1/stations?per_page=5&page=8").await.json();
    assert_eq!(last["items"].as_array().unwrap().len(), 3);
    let src = c
        .get("/api/v1/sources?per_page=7&kind=construction")
        .await
        .json();
    assert!(src["items"].as_array().unwrap().len() <= 7);
    assert!(
        src["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["kind"] == "construction")
    );
    let doc = c.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.json()["paths"]["/stations"].is_object());
    let ui = c.get("/api/docs/").await;
    assert_eq!(ui.status, 200, "Swagger UI is served from the binary");
}

async fn figures_come_from_the_science_crate(s: &Server) {
    let mut c = s.login(Role::Dispatcher).await;
    // Latest hour: PM2.5 = 40 + 47 = 87 µg/m³, PM10 = 127: IAQI(PM2.5 87, 1 h) under the 2012
    // rules = 115 (75..115 → 100..150: 100 + 50·12/40 = 115).
    let now = c
        .get(&format!(
            "/api/v1/stations/{}/latest",
            s.fx.national_station
        ))
        .await
        .json();
    assert_eq!(now["hour"], "2025-02-01T00:00:00+08:00");
    assert_eq!(now["values"]["PM2.5"], 87.0);
    assert_eq!(now["aqi"], 115);
    assert_eq!(now["level"], 3);
    assert_eq!(now["color"], "#FF7E00");
    assert_eq!(now["primary"], "PM2.5");
    // A full day (2025-01-31: hours 01..24 = values 64..87 → mean 75.5).
    let a = c
        .get(&format!(
            "/api/v1/aqi?station={}&from=2025-01-31&to=2025-01-31",
            s.fx.national_station
        ))
        .await
        .json();
    assert_eq!(a["days"][0]["values"]["PM2.5"], 75.5);
    assert_eq!(a["valid_days"], 1);
    // Regions as GeoJSON.
    let g = c.get("/api/v1/regions?level=grid").await.json();
    assert_eq!(g["type"], "FeatureCollection");
    assert_eq!(g["features"][0]["type"], "Feature");
    assert!(g["features"][0]["geometry"]["coordinates"].is_array());
    // Targets with the remaining-days control value.
    let t = c.get("/api/v1/targets?year=2025").await.json();
    let pm25 = t
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["indicator"] == "pm25")
        .unwrap();
    // The newest hour is labelled 2025-02-01 00:00, i.e. 24:00 of 2025-01-31: it is the last
    // hour of 31 January (STANDARDS.md §2.2, day D = hours 01..24), so the year to date runs
    // to 31 January — not to 1 February, whose first hour has not come yet — and 365 − 31 days
    // remain.
    assert_eq!(pm25["as_of"], "2025-01-31");
    assert!(pm25["control_value"].is_i64(), "{pm25}");
    assert_eq!(pm25["remaining_days"], 334);
    // The overview page shows the district and the control value.
    let page = c.get("/").await;
    assert!(page.body.contains("年剩余日控制值"));
    assert!(page.body.contains(&format!(">{}<", pm25["control_value"])));
    let en = c.get("/?lang=en").await;
    assert!(en.body.contains("remaining-days control value"));
    assert!(c.cookies.get("lang").is_some_and(|l| l == "en"));
    assert!(
        c.get("/").await.body.contains("Overview"),
        "the language is remembered"
    );
}

/// The overview and the targets are cached per data revision: repeated requests are served
/// from the cache, and any write of hourly values — here straight into the store, as an import
/// or the MQTT ingester in another process would — shows on the next request.
async fn the_overview_follows_every_write(s: &Server) {
    use lantian_aq::Pollutant;
    use lantian_domain::reading::{Origin, QualityFlags};
    use lantian_domain::{StationCode, Timestamp};
    use lantian_store::{HourlyValue, Store};
    let mut c = s.login(Role::Dispatcher).await;
    let first = c.get("/").await;
    assert_eq!(first.status, 200);
    assert!(first.body.contains("2025-02-01T00:00:00+08:00"), "as of");
    let (_, overviews) = s.app.figures.len();
    assert_eq!(overviews, 1, "the overview's figures are kept");
    let rev = s.app.db.data_revision().await.unwrap();
    let again = c.get("/").await;
    assert_eq!(again.body, first.body, "served from the cache");
    assert_eq!(s.app.db.data_revision().await.unwrap(), rev);
    let t = c.get("/api/v1/targets?year=2025").await.json();
    assert_eq!(t[0]["as_of"], "2025-01-31");

    // One newer hour: 2025-02-01 01:00 is the first hour of 1 February.
    let hour = Timestamp::parse("2025-02-01T01:00:00+08:00").unwrap();
    let code = StationCode::parse(&s.fx.national_station).unwrap();
    let values: Vec<HourlyValue> = Pollutant::ALL
        .iter()
        .map(|&p| HourlyValue::hourly(code.clone(), p, hour, 420.0, QualityFlags::OK, Origin::Http))
        .collect();
    s.app.db.upsert_hourly(&values).await.unwrap();
    assert!(s.app.db.data_revision().await.unwrap() > rev);
    let after = c.get("/").await;
    assert_eq!(after.status, 200);
    assert!(
        after.body.contains("2025-02-01T01:00:00+08:00"),
        "the new hour shows at once"
    );
    assert_ne!(after.body, first.body);
    let t = c.get("/api/v1/targets?year=2025").await.json();
    assert_eq!(t[0]["as_of"], "2025-02-01", "the day of the new hour");
    // The English page is its own cache entry, computed from the new data too.
    let page = c.get("/?lang=en").await;
    assert!(page.body.contains("2025-02-01T01:00:00+08:00"));
}

crate::both_backends!(
    errors_share_one_envelope_and_lists_paginate,
    figures_come_from_the_science_crate,
    the_overview_follows_every_write
);

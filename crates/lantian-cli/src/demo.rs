//! `lantian demo init`: write the demo district (crate `lantian-demo`) into a store, then the
//! demo ledger (`lantian_server::demo_ledger`).

use lantian_aq::Pollutant;
use lantian_domain::reading::{Origin, QualityRules, check_series};
use lantian_domain::station::StationKind;
use lantian_store::{HourlyValue, Store};
use std::collections::HashMap;

/// Write the demo district built from `seed` into `s` and say what was written.
pub(crate) async fn init<S: Store>(s: &S, seed: u64) -> anyhow::Result<String> {
    let d = lantian_demo::build(seed);
    // Parents first: units refer to their regions, people to units, duties to both.
    s.upsert_regions(&d.regions).await?;
    s.upsert_units(&d.units).await?;
    s.upsert_people(&d.people).await?;
    s.upsert_responsibilities(&d.duties).await?;
    s.upsert_stations(&d.stations).await?;
    s.upsert_sources(&d.sources).await?;
    s.upsert_targets(&d.targets).await?;

    // Quality checks per station and pollutant over the whole series, then calibration for
    // micro-stations: corrected = slope · raw + offset; validated = corrected when unflagged.
    let stations: HashMap<&str, &lantian_domain::station::Station> =
        d.stations.iter().map(|s| (s.code.as_str(), s)).collect();
    let mut by_series: HashMap<(&str, Pollutant), Vec<&lantian_demo::DemoHourly>> = HashMap::new();
    for h in &d.hourly {
        by_series
            .entry((h.station.as_str(), h.pollutant))
            .or_default()
            .push(h);
    }
    let rules = QualityRules::default();
    let mut values = Vec::with_capacity(d.hourly.len());
    for ((code, p), mut hs) in by_series {
        hs.sort_by_key(|h| h.hour);
        // A gap-free series for the flat-line and spike checks.
        let (first, last) = (hs[0].hour.0, hs[hs.len() - 1].hour.0);
        let mut series = vec![None; ((last - first) / 3600 + 1) as usize];
        for h in &hs {
            series[((h.hour.0 - first) / 3600) as usize] = Some(h.value);
        }
        let flags = check_series(&rules, p, &series);
        let st = stations.get(code).copied();
        let micro = st.is_some_and(|s| s.kind == StationKind::Micro);
        for h in hs {
            let f = flags[((h.hour.0 - first) / 3600) as usize];
            let mut v = HourlyValue::hourly(
                h.station.clone(),
                p,
                h.hour,
                h.value,
                f,
                if micro { Origin::Demo } else { Origin::File },
            );
            if let Some(c) = st.and_then(|s| s.calibration(p)) {
                let corrected = (c.apply(h.value) * 10.0).round() / 10.0;
                v.corrected = Some(corrected);
                v.validated = f.is_valid().then_some(corrected);
            }
            values.push(v);
        }
    }
    values.sort_by(|a, b| {
        (a.hour, a.station.as_str(), a.pollutant).cmp(&(b.hour, b.station.as_str(), b.pollutant))
    });
    let mut written = 0;
    for chunk in values.chunks(200_000) {
        written += s.import_hourly(chunk).await?;
    }
    Ok(format!(
        "demo district 焦作高新区: {} regions, {} units, {} people, {} stations, {} sources, {} targets, {written} hourly values\n",
        d.regions.len(),
        d.units.len(),
        d.people.len(),
        d.stations.len(),
        d.sources.len(),
        d.targets.len()
    ))
}

/// Write the demo ledger (about 60 problems in every state, at the fixed demo clock) and its
/// inspections, and say how many were written.
pub(crate) async fn seed_ledger(db: &lantian_server::Db) -> anyhow::Result<String> {
    use lantian_server::demo_ledger::{DEMO_LEDGER_AT, seed, seed_inspections};
    let n = seed(db, DEMO_LEDGER_AT).await?;
    let (plans, records) = seed_inspections(db, DEMO_LEDGER_AT).await?;
    Ok(format!(
        "demo ledger: {n} problems of the air campaign (clock fixed at {DEMO_LEDGER_AT})\n\
         demo inspections: {plans} plans, {records} records (routine, night, unannounced, \
         resident, re-inspection)\n"
    ))
}

//! `lantian ingest mqtt`: micro-stations' MQTT messages into the store (docs/MQTT.md).

use lantian_domain::reading::{Origin, QualityRules, check_value};
use lantian_domain::station::Station;
use lantian_ingest::mqtt::{
    IngestStats, Message, ReadingSink, SinkError, SubscriberConfig, run_subscriber,
};
use lantian_store::{HourlyValue, Store};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A sink writing to the store: hourly messages as hourly values (quality-checked, calibrated
/// for micro-stations), sub-hourly ones as raw readings aggregated by the store. Messages of a
/// station the store does not know are dropped with a warning and counted — retrying them
/// would block the queue forever.
pub(crate) struct StoreSink<S> {
    store: S,
    stations: RwLock<HashMap<String, Station>>,
    /// Messages dropped for an unknown station.
    pub(crate) unknown_station: std::sync::atomic::AtomicU64,
}

impl<S: Store> StoreSink<S> {
    pub(crate) async fn new(store: S) -> Result<StoreSink<S>, lantian_store::StoreError> {
        let stations = store
            .stations()
            .await?
            .into_iter()
            .map(|s| (s.code.to_string(), s))
            .collect();
        Ok(StoreSink {
            store,
            stations: RwLock::new(stations),
            unknown_station: Default::default(),
        })
    }

    async fn refresh(&self) -> Result<(), SinkError> {
        let fresh: HashMap<String, Station> = self
            .store
            .stations()
            .await
            .map_err(|e| SinkError::new(e.to_string()))?
            .into_iter()
            .map(|s| (s.code.to_string(), s))
            .collect();
        if let Ok(mut g) = self.stations.write() {
            *g = fresh;
        }
        Ok(())
    }
}

impl<S: Store> ReadingSink for StoreSink<S> {
    async fn write(&self, msgs: &[Message]) -> Result<usize, SinkError> {
        let missing = {
            let known = self
                .stations
                .read()
                .map_err(|_| SinkError::new("station cache poisoned"))?;
            msgs.iter().any(|m| !known.contains_key(m.station.as_str()))
        };
        if missing {
            self.refresh().await?;
        }
        let rules = QualityRules::default();
        let mut hourly = Vec::new();
        let mut raw: HashMap<u32, Vec<lantian_domain::reading::RawReading>> = HashMap::new();
        {
            let known = self
                .stations
                .read()
                .map_err(|_| SinkError::new("station cache poisoned"))?;
            for m in msgs {
                let Some(st) = known.get(m.station.as_str()) else {
                    self.unknown_station
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(station = %m.station, "message for a station the store does not know: dropped");
                    continue;
                };
                if m.interval_s == 3600 {
                    for r in &m.readings {
                        let f = check_value(&rules, r.pollutant, r.value);
                        let mut v = HourlyValue::hourly(
                            r.station.clone(),
                            r.pollutant,
                            r.ts,
                            r.value,
                            f,
                            Origin::Mqtt,
                        );
                        if let Some(c) = st.calibration(r.pollutant) {
                            v.corrected = Some(c.apply(r.value));
                            v.validated = f.is_valid().then(|| c.apply(r.value));
                        }
                        hourly.push(v);
                    }
                } else {
                    raw.entry(m.interval_s)
                        .or_default()
                        .extend(m.readings.iter().cloned());
                }
            }
        }
        let mut n = 0;
        if !hourly.is_empty() {
            n += self
                .store
                .upsert_hourly(&hourly)
                .await
                .map_err(|e| SinkError::new(e.to_string()))? as usize;
        }
        for (interval, rs) in raw {
            n += self
                .store
                .upsert_raw(&rs, Origin::Mqtt, interval)
                .await
                .map_err(|e| SinkError::new(e.to_string()))? as usize;
        }
        Ok(n)
    }
}

/// Subscribe until Ctrl-C, then report the counters.
pub(crate) async fn run<S: Store + 'static>(
    store: S,
    cfg: SubscriberConfig,
) -> anyhow::Result<String> {
    let sink = Arc::new(StoreSink::new(store).await?);
    let stats = Arc::new(IngestStats::default());
    let (tx, rx) = tokio::sync::watch::channel(false);
    let sub = tokio::spawn(run_subscriber(cfg, sink.clone(), stats.clone(), rx));
    tokio::signal::ctrl_c().await?;
    let _ = tx.send(true);
    sub.await??;
    let snap = stats.snapshot();
    Ok(format!(
        "{}\nunknown_station: {}\n",
        serde_json::to_string_pretty(&snap)?,
        sink.unknown_station
            .load(std::sync::atomic::Ordering::Relaxed)
    ))
}

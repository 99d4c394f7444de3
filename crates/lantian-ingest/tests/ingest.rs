//! Integration tests of the readers on real CNEMC files.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use lantian_aq::{Date, HourStamp};
use lantian_ingest::cnemc::{FileKind, RowType, RowTypes, read_hourly};
use lantian_testkit::{fixture, shared_data};

fn count_values(d: &lantian_ingest::cnemc::HourlyData, t: RowType) -> usize {
    (0..d.columns.len())
        .map(|c| {
            d.series(t, c)
                .unwrap()
                .iter()
                .filter(|v| v.is_finite())
                .count()
        })
        .sum()
}

#[test]
fn henan_fixture_reads_whole() {
    let d = read_hourly(
        &[fixture("cnemc/henan_sites")],
        RowTypes::HOURLY_POLLUTANTS,
        2,
    )
    .unwrap();
    assert_eq!(d.kind, FileKind::Sites);
    assert_eq!(d.columns.len(), 114);
    assert_eq!(d.files.len(), 31);
    // 2025-01-01 00:00 … 2025-01-31 23:00.
    assert_eq!(d.start, HourStamp::new(Date::from_ymd_const(2025, 1, 1), 0));
    assert_eq!(d.hours, 744);
    assert!(!d.has(RowType::Aqi));
    let jz = d.column("1828A").unwrap();
    let pm25 = d.series(RowType::Pm25, jz).unwrap();
    // The first row of china_sites_20250101.csv for 1828A.
    assert!(pm25[0].is_finite());
    let cities = read_hourly(
        &[fixture("cnemc/henan_cities")],
        RowTypes::HOURLY_POLLUTANTS,
        1,
    )
    .unwrap();
    assert_eq!(cities.kind, FileKind::Cities);
    assert!(cities.column("焦作").is_some());
}

/// January 2025, all stations: about 7.1 M values of the six pollutants (issue #3's figure).
#[test]
fn january_national_reads_whole() {
    let Some(dir) = shared_data("cnemc/china_sites") else {
        return;
    };
    let d = read_hourly(&[dir], RowTypes::HOURLY_POLLUTANTS, 2).unwrap();
    assert_eq!(d.columns.len(), 2026);
    assert_eq!(d.hours, 744);
    let total: usize = RowTypes::HOURLY_POLLUTANTS
        .iter()
        .map(|t| count_values(&d, t))
        .sum();
    eprintln!("January 2025: {total} values of the six pollutants");
    assert!((7_000_000..7_300_000).contains(&total), "{total}");
}

#[test]
fn mixing_station_and_city_files_is_refused() {
    let e = read_hourly(
        &[
            fixture("cnemc/henan_sites/china_sites_20250101.csv"),
            fixture("cnemc/henan_cities/china_cities_20250102.csv"),
        ],
        RowTypes::HOURLY_POLLUTANTS,
        1,
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot be mixed"), "{e}");
}

#[test]
fn a_missing_path_is_named() {
    let e = read_hourly(&[fixture("cnemc/nope")], RowTypes::HOURLY_POLLUTANTS, 1).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
}

// =============================================================================================
// MQTT ingestion (`lantian_ingest::mqtt`) against the real Mosquitto broker on 127.0.0.1:1883
// (or `LANTIAN_TEST_MQTT=mqtt://host:port`). Without a broker these tests print "SKIPPED: …"
// and pass, except under CI=true, where they fail.
// =============================================================================================
mod mqtt {
    use lantian_aq::Pollutant;
    use lantian_domain::{StationCode, Timestamp};
    use lantian_ingest::mqtt::{
        IngestStats, IngestStatsSnapshot, MemorySink, Message, MqttError, ReadingKey, ReadingSink,
        SinkError, SubscriberConfig, bench_throughput, forget_session, parse_broker_url,
        run_subscriber,
    };
    use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
    use std::net::{TcpStream, ToSocketAddrs};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;
    use tokio::sync::watch;
    use tokio::task::JoinHandle;

    /// Every wait in these tests gives up after this long.
    const LIMIT: Duration = Duration::from_secs(30);
    /// 2025-01-01T01:00:00+08:00.
    const T0: i64 = 1_735_664_400;

    /// The broker's address when it answers; otherwise skip (or fail under CI=true).
    fn broker() -> Option<String> {
        let url = std::env::var("LANTIAN_TEST_MQTT")
            .unwrap_or_else(|_| "mqtt://127.0.0.1:1883".to_owned());
        let (host, port) = parse_broker_url(&url).unwrap();
        let reachable = (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
        if reachable {
            return Some(url);
        }
        let msg = format!(
            "the MQTT broker at {url} is not reachable; these tests need Mosquitto \
             (`mosquitto -d -c /etc/mosquitto/mosquitto.conf`, or LANTIAN_TEST_MQTT=mqtt://host:port)"
        );
        if lantian_testkit::is_ci() {
            panic!("{msg}; CI=true, so this is a failure, not a skip");
        }
        eprintln!("SKIPPED: {msg}");
        None
    }

    /// A station code, its topic and a subscriber client id unique to this process and call,
    /// so parallel tests and other runs on the same broker never see each other's messages.
    fn names(test: &str) -> (StationCode, String, String) {
        static N: AtomicU64 = AtomicU64::new(0);
        let tag = format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let station = StationCode::parse(&format!("T{tag}-{test}")).unwrap();
        let topic = format!("lantian/v1/stations/{station}/readings");
        (station, topic, format!("lantian-test-{tag}-{test}"))
    }

    fn payload(i: i64) -> String {
        format!(
            r#"{{"ts": {}, "values": {{"PM2.5": {}, "PM10": {}, "NO2": 20, "CO": 0.6}}, "interval_s": 3600, "seq": {i}}}"#,
            T0 + i * 3600,
            i as f64 + 0.5,
            2 * i + 1,
        )
    }

    fn key(station: &StationCode, p: Pollutant, i: i64) -> ReadingKey {
        ReadingKey {
            station: station.clone(),
            pollutant: p,
            ts: Timestamp(T0 + i * 3600),
            interval_s: 3600,
        }
    }

    /// Poll `done` every 10 ms until it holds; panic naming `what` after [`LIMIT`].
    async fn wait_until(what: &str, stats: &IngestStats, mut done: impl FnMut() -> bool) {
        let mut waited = Duration::ZERO;
        while !done() {
            assert!(
                waited < LIMIT,
                "timed out waiting for {what}; stats: {:?}",
                stats.snapshot()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
            waited += Duration::from_millis(10);
        }
    }

    /// A subscriber running in a task, stopped through its watch channel.
    struct Running {
        stop: watch::Sender<bool>,
        task: JoinHandle<Result<(), MqttError>>,
        stats: Arc<IngestStats>,
    }

    async fn start(
        broker: &str,
        client_id: &str,
        topic: &str,
        sink: Arc<impl ReadingSink + 'static>,
    ) -> Running {
        let cfg = SubscriberConfig {
            client_id: client_id.to_owned(),
            topic_filter: topic.to_owned(),
            ..SubscriberConfig::new(broker)
        };
        let stats = Arc::new(IngestStats::new());
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(run_subscriber(cfg, sink, stats.clone(), rx));
        wait_until("the subscription", &stats, || {
            stats.snapshot().subscriptions > 0
        })
        .await;
        Running { stop, task, stats }
    }

    impl Running {
        async fn stop(self) -> IngestStatsSnapshot {
            self.stop.send(true).unwrap();
            tokio::time::timeout(LIMIT, self.task)
                .await
                .expect("subscriber stops")
                .unwrap()
                .unwrap();
            self.stats.snapshot()
        }
    }

    /// A QoS 1 publisher that counts the broker's PUBACKs.
    struct Publisher {
        client: AsyncClient,
        acked: Arc<AtomicU64>,
        sent: u64,
        task: JoinHandle<()>,
    }

    impl Publisher {
        fn new(broker: &str, id: &str) -> Publisher {
            let (host, port) = parse_broker_url(broker).unwrap();
            let (client, mut eventloop) =
                AsyncClient::new(MqttOptions::new(format!("{id}-pub"), host, port), 100);
            let acked = Arc::new(AtomicU64::new(0));
            let count = acked.clone();
            let task = tokio::spawn(async move {
                loop {
                    match eventloop.poll().await {
                        Ok(Event::Incoming(Packet::PubAck(_))) => {
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(Event::Outgoing(Outgoing::Disconnect)) => return,
                        Ok(_) => {}
                        Err(e) => panic!("test publisher: {e}"),
                    }
                }
            });
            Publisher {
                client,
                acked,
                sent: 0,
                task,
            }
        }

        async fn publish(&mut self, topic: &str, payload: impl Into<Vec<u8>>) {
            self.client
                .publish(topic, QoS::AtLeastOnce, false, payload)
                .await
                .unwrap();
            self.sent += 1;
        }

        /// Wait until the broker acknowledged everything, then disconnect.
        async fn finish(self) {
            let stats = IngestStats::new();
            wait_until("the broker's PUBACKs", &stats, || {
                self.acked.load(Ordering::SeqCst) >= self.sent
            })
            .await;
            self.client.disconnect().await.unwrap();
            tokio::time::timeout(LIMIT, self.task)
                .await
                .expect("publisher stops")
                .unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn n_published_n_stored() {
        let Some(broker) = broker() else { return };
        const N: i64 = 1000;
        let (station, topic, id) = names("n");
        let sink = Arc::new(MemorySink::new());
        let sub = start(&broker, &id, &topic, sink.clone()).await;
        let mut publisher = Publisher::new(&broker, &id);
        for i in 0..N {
            publisher.publish(&topic, payload(i)).await;
        }
        publisher.finish().await;
        wait_until("N messages stored", &sub.stats, || {
            sub.stats.snapshot().accepted_messages >= N as u64
        })
        .await;
        let s = sub.stop().await;
        forget_session(&broker, &id).await.unwrap();
        eprintln!(
            "{N} messages: {} sink writes, largest {} messages",
            s.batches, s.largest_batch
        );
        assert_eq!(
            (s.received, s.accepted_messages, s.accepted_values),
            (N as u64, N as u64, 4 * N as u64)
        );
        assert_eq!((s.rejected_total, s.sink_errors), (0, 0));
        let stored = sink.snapshot();
        assert_eq!(stored.len(), 4 * N as usize);
        for i in 0..N {
            assert_eq!(stored[&key(&station, Pollutant::Pm25, i)], i as f64 + 0.5);
            assert_eq!(
                stored[&key(&station, Pollutant::Pm10, i)],
                (2 * i + 1) as f64
            );
            assert_eq!(stored[&key(&station, Pollutant::Co, i)], 0.6);
        }
    }

    /// The same message published twice is stored once. `accepted_messages` counts both
    /// deliveries (it counts what the sink was given, not what it changed).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_duplicate_is_stored_once() {
        let Some(broker) = broker() else { return };
        let (station, topic, id) = names("dup");
        let sink = Arc::new(MemorySink::new());
        let sub = start(&broker, &id, &topic, sink.clone()).await;
        let mut publisher = Publisher::new(&broker, &id);
        publisher.publish(&topic, payload(7)).await;
        publisher.publish(&topic, payload(7)).await;
        publisher.finish().await;
        wait_until("both deliveries", &sub.stats, || {
            sub.stats.snapshot().accepted_messages >= 2
        })
        .await;
        let s = sub.stop().await;
        forget_session(&broker, &id).await.unwrap();
        assert_eq!(
            (s.received, s.accepted_messages, s.accepted_values),
            (2, 2, 8)
        );
        assert_eq!(sink.len(), 4);
        assert_eq!(sink.get(&key(&station, Pollutant::Pm25, 7)), Some(7.5));
    }

    /// Stores, then fails: a crash after the write and before the acknowledgement.
    struct StoreThenFail(Arc<MemorySink>);

    impl ReadingSink for StoreThenFail {
        async fn write(&self, msgs: &[Message]) -> Result<usize, SinkError> {
            self.0.write(msgs).await?;
            Err(SinkError::new("simulated crash after the write"))
        }
    }

    /// A real redelivery: the first subscriber stores the message but never acknowledges it;
    /// the broker delivers it again to the next subscriber of the same persistent session,
    /// which stores it again (the same key: one value) and acknowledges it, after which the
    /// broker has nothing left for a third.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_redelivery_is_stored_once_and_acked() {
        let Some(broker) = broker() else { return };
        let (station, topic, id) = names("redo");
        let sink = Arc::new(MemorySink::new());

        let first = start(&broker, &id, &topic, Arc::new(StoreThenFail(sink.clone()))).await;
        let mut publisher = Publisher::new(&broker, &id);
        publisher.publish(&topic, payload(3)).await;
        publisher.finish().await;
        wait_until("the failed write", &first.stats, || {
            first.stats.snapshot().sink_errors >= 1
        })
        .await;
        let s = first.stop().await;
        assert_eq!((s.received, s.accepted_messages), (1, 0));
        assert_eq!(sink.len(), 4);
        let calls_before = sink.write_calls();

        let second = start(&broker, &id, &topic, sink.clone()).await;
        wait_until("the redelivery", &second.stats, || {
            second.stats.snapshot().accepted_messages >= 1
        })
        .await;
        let s = second.stop().await;
        assert_eq!((s.received, s.accepted_messages, s.sink_errors), (1, 1, 0));
        assert!(sink.write_calls() > calls_before);
        assert_eq!(sink.len(), 4);
        assert_eq!(sink.get(&key(&station, Pollutant::Pm10, 3)), Some(7.0));

        // Acknowledged: nothing comes back.
        let third_sink = Arc::new(MemorySink::new());
        let third = start(&broker, &id, &topic, third_sink.clone()).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let s = third.stop().await;
        forget_session(&broker, &id).await.unwrap();
        assert_eq!(s.received, 0, "an acknowledged message came back");
        assert!(third_sink.is_empty());
    }

    /// Malformed messages are counted under their reason, nothing of them is stored (not even
    /// the valid values of a message with one bad key), and the subscriber goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_malformed_message_is_counted_and_skipped() {
        let Some(broker) = broker() else { return };
        let (station, topic, id) = names("bad");
        let sink = Arc::new(MemorySink::new());
        let sub = start(&broker, &id, &topic, sink.clone()).await;
        let mut publisher = Publisher::new(&broker, &id);
        publisher.publish(&topic, "PM2.5=35;PM10=61").await;
        let half_good = format!(
            r#"{{"ts": {}, "values": {{"PM2.5": 35, "PM1": 20}}}}"#,
            T0 + 3600
        );
        publisher.publish(&topic, half_good).await;
        publisher.publish(&topic, payload(2)).await;
        publisher.finish().await;
        wait_until("the good message", &sub.stats, || {
            sub.stats.snapshot().accepted_messages >= 1
        })
        .await;
        let s = sub.stop().await;
        forget_session(&broker, &id).await.unwrap();
        assert_eq!(
            (s.received, s.accepted_messages, s.rejected_total),
            (3, 1, 2)
        );
        assert_eq!(
            (s.rejected("not_json"), s.rejected("unknown_pollutant")),
            (1, 1)
        );
        assert_eq!(sink.len(), 4);
        assert_eq!(sink.get(&key(&station, Pollutant::Pm25, 1)), None);
        assert_eq!(sink.get(&key(&station, Pollutant::Pm25, 2)), Some(2.5));
    }

    /// A failing sink: the batch is not acknowledged, it is retried with backoff, and in the
    /// end everything is stored exactly once per key.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sink_errors_are_retried() {
        let Some(broker) = broker() else { return };
        let (_, topic, id) = names("retry");
        let sink = Arc::new(MemorySink::new());
        sink.fail_next(2);
        let sub = start(&broker, &id, &topic, sink.clone()).await;
        let mut publisher = Publisher::new(&broker, &id);
        for i in 0..10 {
            publisher.publish(&topic, payload(i)).await;
        }
        publisher.finish().await;
        wait_until("all ten", &sub.stats, || {
            sub.stats.snapshot().accepted_messages >= 10
        })
        .await;
        let s = sub.stop().await;
        forget_session(&broker, &id).await.unwrap();
        assert_eq!(
            (s.sink_errors, s.accepted_messages, s.rejected_total),
            (2, 10, 0)
        );
        assert_eq!(sink.len(), 40);
    }

    /// No broker at all: the subscriber keeps retrying with backoff, counts the failures,
    /// and still stops promptly when told. A bad address is refused before anything runs.
    /// (Needs no broker.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_broker_means_retries_and_a_clean_stop() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener); // nothing listens there now
        let cfg = SubscriberConfig {
            client_id: "lantian-test-nobroker".to_owned(),
            ..SubscriberConfig::new(format!("mqtt://127.0.0.1:{port}"))
        };
        let stats = Arc::new(IngestStats::new());
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(run_subscriber(
            cfg,
            Arc::new(MemorySink::new()),
            stats.clone(),
            rx,
        ));
        wait_until("two failed connection attempts", &stats, || {
            stats.snapshot().connection_errors >= 2
        })
        .await;
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(stats.snapshot().connects, 0);

        let (_, rx) = watch::channel(false);
        let bad = SubscriberConfig::new("tcp://127.0.0.1:1883");
        let e = run_subscriber(
            bad,
            Arc::new(MemorySink::new()),
            Arc::new(IngestStats::new()),
            rx,
        )
        .await
        .unwrap_err();
        assert!(matches!(e, MqttError::BadBroker { .. }), "{e}");
        let (_, rx) = watch::channel(false);
        let empty_id = SubscriberConfig {
            client_id: String::new(),
            ..SubscriberConfig::new("mqtt://h")
        };
        let e = run_subscriber(
            empty_id,
            Arc::new(MemorySink::new()),
            Arc::new(IngestStats::new()),
            rx,
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("client id"), "{e}");
    }

    /// `cargo test -p lantian-ingest --test ingest -- --ignored --nocapture bench_mqtt`
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a benchmark, not a test: run it with --ignored"]
    async fn bench_mqtt_throughput() {
        let Some(broker) = broker() else { return };
        let n = std::env::var("LANTIAN_BENCH_MESSAGES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        let r = bench_throughput(&broker, n).await.unwrap();
        eprintln!("{}", serde_json::to_string_pretty(&r).unwrap());
        assert_eq!((r.lost, r.rejected, r.stored), (0, 0, n));
    }
}

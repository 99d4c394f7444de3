//! MQTT ingestion: micro-stations publish one JSON message per station and instant to
//! `lantian/v1/stations/{code}/readings`; [`run_subscriber`] validates each message
//! ([`parse_message`]), writes accepted ones in batches to a [`ReadingSink`] and only then
//! acknowledges them. The payload contract is in `docs/MQTT.md`.
//!
//! # Invariants
//! - **Never half a message.** A message is either accepted whole (every value in it) or
//!   rejected whole with one [`Reject`] reason; rejected messages are counted per reason in
//!   [`IngestStats`], logged with `tracing::warn!` and acknowledged, so they are not redelivered
//!   forever.
//! - **At least once.** The session is persistent (`clean_session = false`), the subscription is
//!   QoS 1 and acknowledgements are manual: a publish is acknowledged only after the batch that
//!   holds it was written by the sink. A crash (or a sink error) before the acknowledgement means
//!   the broker delivers the message again, which the sink absorbs because its writes are
//!   idempotent upserts keyed by [`ReadingKey`].
//! - Acknowledgements go out in the order the publishes arrived (MQTT 3.1.1 §4.6): batches are
//!   written one at a time and a failed batch is retried before the next one is written.

use lantian_aq::Pollutant;
use lantian_domain::reading::RawReading;
use lantian_domain::{StationCode, Timestamp};
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, Publish, QoS, SubscribeReasonCode,
};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Sleep;

/// The topic filter that matches every station's readings.
pub const DEFAULT_TOPIC_FILTER: &str = "lantian/v1/stations/+/readings";

/// Largest accepted payload, in bytes (64 KiB). A station-instant needs about 100 bytes.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// Averaging period assumed when `interval_s` is absent: one hour.
pub const DEFAULT_INTERVAL_S: u32 = 3600;

/// Allowed averaging periods, in seconds: one minute to one day.
pub const INTERVAL_RANGE_S: std::ops::RangeInclusive<u32> = 60..=86_400;

/// Earliest accepted `ts`: 2000-01-01T00:00:00Z. Earlier instants are almost always a clock
/// that was never set.
const TS_MIN: i64 = 946_684_800;
/// First refused `ts`: 2100-01-01T00:00:00Z. Later "instants" are almost always milliseconds
/// sent where seconds were expected.
const TS_END: i64 = 4_102_444_800;

/// The MQTT maximum packet size (remaining length 268 435 455 + 5 bytes of fixed header).
/// The subscriber accepts packets up to this size so that an oversized message is read,
/// rejected (`too_large`) and acknowledged, instead of breaking the connection and coming back
/// after every reconnect.
const MQTT_MAX_PACKET: usize = 268_435_460;

// ---------------------------------------------------------------------------------------------
// Messages and why they are refused
// ---------------------------------------------------------------------------------------------

/// One accepted message: the values of one station at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// The station, from the topic.
    pub station: StationCode,
    /// End of the averaging period.
    pub ts: Timestamp,
    /// Length of the averaging period, in seconds (60..=86400; 3600 when absent).
    pub interval_s: u32,
    /// One reading per pollutant present, in [`Pollutant::ALL`] order; never empty.
    pub readings: Vec<RawReading>,
    /// The publisher's `seq`, as text, for logs only.
    pub seq: Option<String>,
}

impl Message {
    /// The sink keys and values of this message, one per reading.
    pub fn entries(&self) -> impl Iterator<Item = (ReadingKey, f64)> + '_ {
        self.readings.iter().map(|r| {
            let key = ReadingKey {
                station: self.station.clone(),
                pollutant: r.pollutant,
                ts: self.ts,
                interval_s: self.interval_s,
            };
            (key, r.value)
        })
    }
}

/// Why a message was refused. [`Reject::code`] is stable (logs, counters, docs); `Display` says
/// it in plain words.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Reject {
    /// The topic is not `lantian/v1/stations/{code}/readings`.
    #[error("topic {topic:?} is not lantian/v1/stations/{{code}}/readings")]
    BadTopic {
        /// The topic received.
        topic: String,
    },
    /// The station code in the topic is not a valid code.
    #[error("station code {code:?} in the topic is invalid: {why}")]
    BadStation {
        /// The topic segment.
        code: String,
        /// Why it is invalid.
        why: &'static str,
    },
    /// The payload is larger than [`MAX_PAYLOAD_BYTES`].
    #[error("payload of {bytes} bytes is larger than the limit of 65536 bytes")]
    TooLarge {
        /// Payload size.
        bytes: usize,
    },
    /// The payload is not JSON (or not UTF-8).
    #[error("payload is not JSON: {error}")]
    NotJson {
        /// The parser's message.
        error: String,
    },
    /// The payload is JSON but not an object.
    #[error("payload is {found}, not a JSON object")]
    NotObject {
        /// What it is instead.
        found: String,
    },
    /// A top-level field appears twice.
    #[error("field {key:?} appears twice")]
    DuplicateKey {
        /// The field.
        key: String,
    },
    /// A top-level field that the contract does not define (a typo such as `interval` would
    /// otherwise silently mean "hourly").
    #[error("unknown field {field:?} (the fields are ts, values, interval_s, seq)")]
    UnknownField {
        /// The field.
        field: String,
    },
    /// `ts` is absent or null.
    #[error("field \"ts\" is missing")]
    MissingTs,
    /// `ts` is neither RFC 3339 with an offset nor integer Unix seconds, or is implausible.
    #[error("ts {value} is {why}")]
    BadTs {
        /// The value received, abbreviated.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// `values` is absent, null or `{}`.
    #[error("field \"values\" is missing or empty")]
    MissingValues,
    /// `values` is not an object.
    #[error("field \"values\" is {found}, not an object of pollutant codes to numbers")]
    BadValues {
        /// What it is instead.
        found: String,
    },
    /// A key of `values` is not one of the six pollutants.
    #[error("unknown pollutant {name:?} (expected SO2, NO2, PM10, CO, O3, PM2.5)")]
    UnknownPollutant {
        /// The key.
        name: String,
    },
    /// Two keys of `values` name the same pollutant (`"PM2.5"` and `"pm25"`, or one key twice).
    #[error("pollutant {pollutant} appears twice in \"values\"")]
    DuplicatePollutant {
        /// The pollutant.
        pollutant: Pollutant,
    },
    /// A value is not a finite JSON number (a string, null, …).
    #[error("the value of {pollutant} is {found}, not a finite number")]
    BadValue {
        /// The pollutant.
        pollutant: Pollutant,
        /// What it is instead.
        found: String,
    },
    /// `interval_s` is not an integer in 60..=86400.
    #[error("interval_s {value} is not an integer number of seconds in 60..=86400")]
    BadInterval {
        /// The value received, abbreviated.
        value: String,
    },
    /// `seq` is neither a string nor a number.
    #[error("seq is {found}, not a string or a number")]
    BadSeq {
        /// What it is instead.
        found: String,
    },
}

impl Reject {
    /// Every [`Reject::code`], in declaration order.
    pub const CODES: [&'static str; 16] = [
        "bad_topic",
        "bad_station",
        "too_large",
        "not_json",
        "not_object",
        "duplicate_key",
        "unknown_field",
        "missing_ts",
        "bad_ts",
        "missing_values",
        "bad_values",
        "unknown_pollutant",
        "duplicate_pollutant",
        "bad_value",
        "bad_interval",
        "bad_seq",
    ];

    /// Position of this reason in [`Reject::CODES`].
    pub const fn index(&self) -> usize {
        match self {
            Reject::BadTopic { .. } => 0,
            Reject::BadStation { .. } => 1,
            Reject::TooLarge { .. } => 2,
            Reject::NotJson { .. } => 3,
            Reject::NotObject { .. } => 4,
            Reject::DuplicateKey { .. } => 5,
            Reject::UnknownField { .. } => 6,
            Reject::MissingTs => 7,
            Reject::BadTs { .. } => 8,
            Reject::MissingValues => 9,
            Reject::BadValues { .. } => 10,
            Reject::UnknownPollutant { .. } => 11,
            Reject::DuplicatePollutant { .. } => 12,
            Reject::BadValue { .. } => 13,
            Reject::BadInterval { .. } => 14,
            Reject::BadSeq { .. } => 15,
        }
    }

    /// Stable code of the reason (`unknown_pollutant`, …): the key of the reject counters.
    pub const fn code(&self) -> &'static str {
        Reject::CODES[self.index()]
    }
}

/// Parse the station code out of `lantian/v1/stations/{code}/readings`.
pub fn parse_topic(topic: &str) -> Result<StationCode, Reject> {
    let bad = || Reject::BadTopic {
        topic: abbreviate(topic, 120),
    };
    let code = topic
        .strip_prefix("lantian/v1/stations/")
        .and_then(|rest| rest.strip_suffix("/readings"))
        .ok_or_else(bad)?;
    if code.contains('/') {
        return Err(bad());
    }
    match StationCode::parse(code) {
        // `StationCode::parse` trims; a topic segment with spaces is not the code.
        Ok(s) if s.as_str() == code => Ok(s),
        Ok(_) => Err(Reject::BadStation {
            code: abbreviate(code, 40),
            why: "surrounding spaces",
        }),
        Err(e) => Err(Reject::BadStation {
            code: abbreviate(code, 40),
            why: e.why,
        }),
    }
}

/// Validate one message: the topic names the station, the payload holds the instant and the
/// values. Either the whole message or one reason to refuse it; nothing in between.
pub fn parse_message(topic: &str, payload: &[u8]) -> Result<Message, Reject> {
    let station = parse_topic(topic)?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(Reject::TooLarge {
            bytes: payload.len(),
        });
    }
    let json: Json = serde_json::from_slice(payload).map_err(|e| Reject::NotJson {
        error: e.to_string(),
    })?;
    let fields = match json {
        Json::Obj(fields) => fields,
        other => {
            return Err(Reject::NotObject {
                found: other.describe(),
            });
        }
    };
    let (mut ts, mut values, mut interval, mut seq) = (None, None, None, None);
    for (key, value) in fields {
        let slot = match key.as_str() {
            "ts" => &mut ts,
            "values" => &mut values,
            "interval_s" => &mut interval,
            "seq" => &mut seq,
            _ => {
                return Err(Reject::UnknownField {
                    field: abbreviate(&key, 40),
                });
            }
        };
        if slot.is_some() {
            return Err(Reject::DuplicateKey { key });
        }
        *slot = Some(value);
    }

    let ts = match ts {
        None | Some(Json::Null) => return Err(Reject::MissingTs),
        Some(v) => parse_ts(&v)?,
    };

    let entries = match values {
        None | Some(Json::Null) => return Err(Reject::MissingValues),
        Some(Json::Obj(e)) if e.is_empty() => return Err(Reject::MissingValues),
        Some(Json::Obj(e)) => e,
        Some(other) => {
            return Err(Reject::BadValues {
                found: other.describe(),
            });
        }
    };
    let mut by_pollutant: [Option<f64>; 6] = [None; 6];
    for (name, value) in entries {
        let pollutant = Pollutant::parse(&name).ok_or_else(|| Reject::UnknownPollutant {
            name: abbreviate(&name, 40),
        })?;
        let number = match value {
            Json::Int(n) => n as f64,
            Json::Float(f) if f.is_finite() => f,
            other => {
                return Err(Reject::BadValue {
                    pollutant,
                    found: other.describe(),
                });
            }
        };
        let slot = &mut by_pollutant[pollutant.index()];
        if slot.is_some() {
            return Err(Reject::DuplicatePollutant { pollutant });
        }
        *slot = Some(number);
    }

    let interval_s = match interval {
        None | Some(Json::Null) => DEFAULT_INTERVAL_S,
        Some(Json::Int(n)) if u32::try_from(n).is_ok_and(|n| INTERVAL_RANGE_S.contains(&n)) => {
            n as u32
        }
        Some(other) => {
            return Err(Reject::BadInterval {
                value: other.describe(),
            });
        }
    };

    let seq = match seq {
        None | Some(Json::Null) => None,
        Some(Json::Str(s)) => Some(abbreviate(&s, 64)),
        Some(Json::Int(n)) => Some(n.to_string()),
        Some(Json::Float(f)) => Some(f.to_string()),
        Some(other) => {
            return Err(Reject::BadSeq {
                found: other.describe(),
            });
        }
    };

    let readings = Pollutant::ALL
        .into_iter()
        .filter_map(|p| {
            by_pollutant[p.index()].map(|value| RawReading {
                station: station.clone(),
                pollutant: p,
                ts,
                value,
            })
        })
        .collect();
    Ok(Message {
        station,
        ts,
        interval_s,
        readings,
        seq,
    })
}

fn parse_ts(v: &Json) -> Result<Timestamp, Reject> {
    let ts = match v {
        Json::Int(n) => i64::try_from(*n).ok().map(Timestamp),
        Json::Str(s) => Timestamp::parse(s),
        _ => None,
    };
    let Some(ts) = ts else {
        return Err(Reject::BadTs {
            value: v.describe(),
            why: "neither RFC 3339 with an offset (2025-01-05T16:00:00+08:00) nor integer Unix seconds",
        });
    };
    if !(TS_MIN..TS_END).contains(&ts.0) {
        return Err(Reject::BadTs {
            value: v.describe(),
            why: "outside 2000-01-01 .. 2100-01-01 (milliseconds instead of seconds?)",
        });
    }
    Ok(ts)
}

/// `s` cut to at most `max` characters, with `…` when cut.
fn abbreviate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The start of a payload, for a log line: lossy UTF-8, control characters escaped.
fn excerpt(payload: &[u8]) -> String {
    let head = &payload[..payload.len().min(200)];
    let text: String = String::from_utf8_lossy(head).escape_debug().collect();
    if payload.len() > head.len() {
        format!("{text}… ({} bytes)", payload.len())
    } else {
        text
    }
}

/// A JSON tree that keeps object fields in order and with their duplicates, so a repeated key
/// is refused instead of silently keeping the last one (what `serde_json::Value` does).
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Arr,
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// How to name this value in a reason: the value itself when short, else its kind.
    fn describe(&self) -> String {
        match self {
            Json::Null => "null".to_owned(),
            Json::Bool(b) => b.to_string(),
            Json::Int(n) => n.to_string(),
            Json::Float(f) => f.to_string(),
            Json::Str(s) => format!("{:?}", abbreviate(s, 40)),
            Json::Arr => "an array".to_owned(),
            Json::Obj(_) => "an object".to_owned(),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
                Json::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Int(i128::from(n)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Int(i128::from(n)))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Json, E> {
                Ok(Json::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::Str(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Json, E> {
                Ok(Json::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                while seq.next_element::<Json>()?.is_some() {}
                Ok(Json::Arr)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(4).min(16));
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    fields.push((k, v));
                }
                Ok(Json::Obj(fields))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// The sink
// ---------------------------------------------------------------------------------------------

/// The identity of one stored value: writing the same key twice is one value (an upsert).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ReadingKey {
    /// The station.
    pub station: StationCode,
    /// The pollutant.
    pub pollutant: Pollutant,
    /// End of the averaging period.
    pub ts: Timestamp,
    /// Length of the averaging period, in seconds.
    pub interval_s: u32,
}

/// Why a sink could not write a batch. The subscriber does not acknowledge the batch, counts
/// the error and retries with backoff.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl SinkError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> SinkError {
        SinkError {
            message: message.into(),
            source: None,
        }
    }

    /// An error with a message and the error that caused it.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> SinkError {
        SinkError {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// Where accepted messages go (the store implements it).
///
/// # Contract
/// - `write` is an **idempotent upsert** keyed by [`ReadingKey`] (station, pollutant, `ts`,
///   `interval_s`): writing a message again — a redelivery after a crash, or a publisher that
///   sent it twice — leaves one value per key (the last written). MQTT delivery is at least
///   once, so the same message *will* arrive more than once.
/// - `write` is **all or nothing**: on `Err` nothing of the batch may be visible (one
///   transaction); the subscriber writes the same batch again later.
/// - `Ok(n)`: `n` is the number of values in the batch that were written (inserted or
///   replaced), i.e. the sum of `readings.len()`.
/// - A batch may hold the same key twice (a redelivery inside one batch); the later one wins.
pub trait ReadingSink: Send + Sync {
    /// Upsert every reading of `msgs` (see the trait's contract).
    fn write(&self, msgs: &[Message]) -> impl Future<Output = Result<usize, SinkError>> + Send;
}

/// An in-memory sink for tests: a map key → value, a count of write calls, and injectable
/// failures.
#[derive(Debug, Default)]
pub struct MemorySink {
    values: Mutex<BTreeMap<ReadingKey, f64>>,
    write_calls: AtomicU64,
    fail_next: AtomicUsize,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// Number of stored values (distinct keys).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The stored value of `key`.
    pub fn get(&self, key: &ReadingKey) -> Option<f64> {
        self.lock().get(key).copied()
    }

    /// A copy of everything stored.
    pub fn snapshot(&self) -> BTreeMap<ReadingKey, f64> {
        self.lock().clone()
    }

    /// Number of calls to [`ReadingSink::write`] so far, failed ones included.
    pub fn write_calls(&self) -> u64 {
        self.write_calls.load(Ordering::SeqCst)
    }

    /// Make the next `n` writes fail without storing anything.
    pub fn fail_next(&self, n: usize) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<ReadingKey, f64>> {
        self.values.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ReadingSink for MemorySink {
    async fn write(&self, msgs: &[Message]) -> Result<usize, SinkError> {
        self.write_calls.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(SinkError::new("MemorySink: injected failure"));
        }
        let mut map = self.lock();
        let mut n = 0;
        for (key, value) in msgs.iter().flat_map(Message::entries) {
            map.insert(key, value);
            n += 1;
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------------------------

/// Counters of one subscriber, safe to read while it runs ([`IngestStats::snapshot`]).
#[derive(Debug, Default)]
pub struct IngestStats {
    received: AtomicU64,
    accepted_messages: AtomicU64,
    accepted_values: AtomicU64,
    rejected_total: AtomicU64,
    rejected: [AtomicU64; Reject::CODES.len()],
    sink_errors: AtomicU64,
    batches: AtomicU64,
    largest_batch: AtomicU64,
    connects: AtomicU64,
    connection_errors: AtomicU64,
    subscriptions: AtomicU64,
}

/// A copy of [`IngestStats`] at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IngestStatsSnapshot {
    /// Publishes received (redeliveries included).
    pub received: u64,
    /// Messages accepted and written by the sink. A message delivered twice (a redelivery or
    /// a publisher's duplicate) counts twice here but is stored once.
    pub accepted_messages: u64,
    /// Values in the accepted messages (counted like `accepted_messages`).
    pub accepted_values: u64,
    /// Messages rejected, all reasons.
    pub rejected_total: u64,
    /// Messages rejected, by [`Reject::code`]; every code is present, zeros included.
    pub rejected: BTreeMap<String, u64>,
    /// Failed sink writes (each retried).
    pub sink_errors: u64,
    /// Successful sink writes.
    pub batches: u64,
    /// Most messages in one successful sink write.
    pub largest_batch: u64,
    /// Connections established (the first one included).
    pub connects: u64,
    /// Failed connection attempts and lost connections.
    pub connection_errors: u64,
    /// Subscriptions the broker granted (one per connection).
    pub subscriptions: u64,
}

impl IngestStats {
    /// All counters at zero.
    pub fn new() -> IngestStats {
        IngestStats::default()
    }

    /// Read every counter.
    pub fn snapshot(&self) -> IngestStatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        IngestStatsSnapshot {
            received: get(&self.received),
            accepted_messages: get(&self.accepted_messages),
            accepted_values: get(&self.accepted_values),
            rejected_total: get(&self.rejected_total),
            rejected: Reject::CODES
                .iter()
                .zip(&self.rejected)
                .map(|(c, n)| ((*c).to_owned(), get(n)))
                .collect(),
            sink_errors: get(&self.sink_errors),
            batches: get(&self.batches),
            largest_batch: get(&self.largest_batch),
            connects: get(&self.connects),
            connection_errors: get(&self.connection_errors),
            subscriptions: get(&self.subscriptions),
        }
    }

    /// Count one rejected message.
    pub fn record_reject(&self, r: &Reject) {
        self.rejected_total.fetch_add(1, Ordering::SeqCst);
        self.rejected[r.index()].fetch_add(1, Ordering::SeqCst);
    }

    fn record_batch(&self, msgs: &[Message]) {
        let values: usize = msgs.iter().map(|m| m.readings.len()).sum();
        self.accepted_messages
            .fetch_add(msgs.len() as u64, Ordering::SeqCst);
        self.accepted_values
            .fetch_add(values as u64, Ordering::SeqCst);
        self.batches.fetch_add(1, Ordering::SeqCst);
        self.largest_batch
            .fetch_max(msgs.len() as u64, Ordering::SeqCst);
    }
}

impl IngestStatsSnapshot {
    /// Rejections under `code` (0 for an unknown code).
    pub fn rejected(&self, code: &str) -> u64 {
        self.rejected.get(code).copied().unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------------
// The subscriber
// ---------------------------------------------------------------------------------------------

/// Why the subscriber (or the benchmark) stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    /// The broker address is not `mqtt://host[:port]`.
    #[error(
        "bad broker address {url:?}: {why} (expected mqtt://host:port; the port defaults to 1883)"
    )]
    BadBroker {
        /// The address given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// A setting of [`SubscriberConfig`] is unusable.
    #[error("bad MQTT subscriber setting: {0}")]
    Config(String),
    /// The broker could not be reached or closed the connection (benchmark and session tools;
    /// the subscriber itself reconnects).
    #[error("MQTT connection: {0}")]
    Connection(Box<rumqttc::ConnectionError>),
    /// The MQTT client's request queue failed (its event loop is gone).
    #[error("MQTT client: {0}")]
    Client(Box<rumqttc::ClientError>),
    /// The broker refused the subscription (an ACL?).
    #[error("the broker refused the subscription to {0:?}")]
    SubscribeRefused(String),
    /// The sink panicked; its batch was not acknowledged and will be redelivered.
    #[error("the reading sink panicked: {0}")]
    SinkPanicked(String),
    /// Something did not happen in time.
    #[error("timed out: {0}")]
    Timeout(String),
}

impl From<rumqttc::ConnectionError> for MqttError {
    fn from(e: rumqttc::ConnectionError) -> MqttError {
        MqttError::Connection(Box::new(e))
    }
}

impl From<rumqttc::ClientError> for MqttError {
    fn from(e: rumqttc::ClientError) -> MqttError {
        MqttError::Client(Box::new(e))
    }
}

/// Settings of [`run_subscriber`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberConfig {
    /// `mqtt://host:port` (port 1883 when absent). Plain TCP only.
    pub broker: String,
    /// MQTT client id. It names the broker-side persistent session: unacknowledged messages
    /// wait there for the next connection with the same id. Keep it stable across restarts
    /// and unique among running subscribers (a second connection with the same id takes the
    /// session over).
    pub client_id: String,
    /// Topic filter to subscribe to (QoS 1), [`DEFAULT_TOPIC_FILTER`] by default.
    pub topic_filter: String,
    /// Most messages per sink write.
    pub batch_max: usize,
    /// Linger: how long a received message may wait for more before its batch is written,
    /// in milliseconds. 0 (the default) writes as soon as the sink is free; batches still grow
    /// under load, from what arrives while the previous write runs ("group commit"). The
    /// broker only sends so many unacknowledged messages (Mosquitto: `max_inflight_messages`,
    /// 20, before the first acknowledgements), so a long linger can stall on it and mostly
    /// adds latency.
    pub batch_wait_ms: u64,
}

impl SubscriberConfig {
    /// Defaults for a broker: client id `lantian-ingest`, every station, batches of at most
    /// 500, no linger.
    pub fn new(broker: impl Into<String>) -> SubscriberConfig {
        SubscriberConfig {
            broker: broker.into(),
            client_id: "lantian-ingest".to_owned(),
            topic_filter: DEFAULT_TOPIC_FILTER.to_owned(),
            batch_max: 500,
            batch_wait_ms: 0,
        }
    }

    fn check(&self) -> Result<(), MqttError> {
        if self.client_id.is_empty() {
            return Err(MqttError::Config(
                "the client id must not be empty (it names the persistent session)".into(),
            ));
        }
        if self.topic_filter.is_empty() {
            return Err(MqttError::Config(
                "the topic filter must not be empty".into(),
            ));
        }
        if self.batch_max == 0 {
            return Err(MqttError::Config("batch_max must be at least 1".into()));
        }
        Ok(())
    }
}

/// Parse `mqtt://host[:port]` (IPv6 as `mqtt://[::1]:1883`) into host and port.
pub fn parse_broker_url(url: &str) -> Result<(String, u16), MqttError> {
    let bad = |why: &str| MqttError::BadBroker {
        url: url.to_owned(),
        why: why.to_owned(),
    };
    let trimmed = url.trim();
    let Some(rest) = trimmed.strip_prefix("mqtt://") else {
        if trimmed.starts_with("mqtts://") || trimmed.starts_with("ssl://") {
            return Err(bad("TLS is not supported by this build (plain TCP only)"));
        }
        return Err(bad("it must start with mqtt://"));
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('@') {
        return Err(bad(
            "user names and passwords in the address are not supported",
        ));
    }
    if rest.contains(['/', '?', '#']) {
        return Err(bad("an address has no path or query"));
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("unclosed '[' in an IPv6 host"))?;
        match after {
            "" => (host, None),
            p => (
                host,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| bad("junk after the IPv6 host"))?,
                ),
            ),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(bad("the host is missing"));
    }
    let port = match port {
        None => 1883,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(bad("the port must be a number in 1..=65535")),
        },
    };
    Ok((host.to_owned(), port))
}

const RECONNECT_MIN: Duration = Duration::from_millis(200);
const RECONNECT_MAX: Duration = Duration::from_secs(30);
const SINK_RETRY_MIN: Duration = Duration::from_millis(100);
const SINK_RETRY_MAX: Duration = Duration::from_secs(30);
/// How long shutdown waits for the DISCONNECT to reach the broker.
const DISCONNECT_WAIT: Duration = Duration::from_secs(5);

/// What the event-loop task tells the subscriber.
enum FromBroker {
    Connected { session_present: bool },
    SubAck { granted: bool },
    Publish(Publish),
}

/// A received publish waiting for its acknowledgement, and the connection it came on.
struct Held {
    publish: Publish,
    generation: u64,
}

/// A received publish with its parse result (`None`: rejected, acknowledged with its batch).
struct Item {
    held: Held,
    msg: Option<Message>,
}

type WriteTask = JoinHandle<(Vec<Message>, Result<usize, SinkError>)>;

/// Run the subscriber until `shutdown` becomes `true` (or its sender is dropped): connect with
/// a persistent session, subscribe to `cfg.topic_filter` at QoS 1, validate every publish,
/// write accepted messages in batches to `sink`, and acknowledge each batch's publishes only
/// after the sink wrote it.
///
/// - Rejected messages are counted under their [`Reject::code`], logged (`warn`: topic,
///   reason, payload excerpt) and acknowledged with their batch.
/// - A sink error is counted and logged; the batch is not acknowledged and is written again
///   with exponential backoff (100 ms … 30 s) before anything after it.
/// - Connection errors are counted and logged; the client reconnects with backoff
///   (200 ms … 30 s) forever. Publishes received on a connection that was lost are still
///   written but not acknowledged: the broker redelivers them on the new connection.
/// - On shutdown the write in flight, the batch awaiting a retry and the received messages
///   are written (one attempt each, in order, stopping at the first failure), acknowledged,
///   and the client disconnects. Anything not acknowledged stays in the broker's session.
///
/// Returns an error for a bad address or setting, a refused subscription or a panicking sink.
pub async fn run_subscriber(
    cfg: SubscriberConfig,
    sink: Arc<impl ReadingSink + 'static>,
    stats: Arc<IngestStats>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), MqttError> {
    let (host, port) = parse_broker_url(&cfg.broker)?;
    cfg.check()?;
    let mut opts = MqttOptions::new(cfg.client_id.clone(), host, port);
    opts.set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(MQTT_MAX_PACKET, 64 * 1024);
    let (client, eventloop) = AsyncClient::new(opts, cfg.batch_max.saturating_add(64));
    let (tx, rx) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let connected = Arc::new(AtomicBool::new(false));
    let poller = tokio::spawn(poll_broker(
        eventloop,
        tx,
        stop_rx,
        stats.clone(),
        connected.clone(),
        cfg.broker.clone(),
    ));
    tracing::info!(broker = %cfg.broker, client_id = %cfg.client_id, topic = %cfg.topic_filter, "MQTT subscriber starting");

    let mut sub = Subscriber {
        linger_over: cfg.batch_wait_ms == 0,
        cfg,
        client,
        sink,
        stats,
        rx,
        generation: 0,
        pending: VecDeque::new(),
        writing: None,
        retry: None,
        retry_sleep: None,
        retry_delay: SINK_RETRY_MIN,
        linger: None,
    };
    let mut result = sub.run(&mut shutdown).await;
    if result.is_ok() {
        result = sub.finish().await;
    }
    // DISCONNECT is queued after the last acknowledgements, so they reach the broker first.
    if connected.load(Ordering::SeqCst) && sub.client.try_disconnect().is_ok() {
        let mut poller = poller;
        if tokio::time::timeout(DISCONNECT_WAIT, &mut poller)
            .await
            .is_err()
        {
            tracing::warn!("MQTT broker did not take the DISCONNECT in time; closing anyway");
            let _ = stop_tx.send(true);
            let _ = poller.await;
        }
    } else {
        let _ = stop_tx.send(true);
        let _ = poller.await;
    }
    tracing::info!(stats = ?sub.stats.snapshot(), "MQTT subscriber stopped");
    result
}

/// Drive the MQTT event loop, reconnecting with backoff. It is never blocked by the subscriber
/// (so keep-alives and acknowledgements keep flowing): the channel is unbounded, and what it
/// holds is bounded by what the broker sends without acknowledgements (its in-flight window
/// plus what it releases from its per-client queue, at most `max_queued_messages`).
async fn poll_broker(
    mut eventloop: EventLoop,
    tx: mpsc::UnboundedSender<FromBroker>,
    mut stop: watch::Receiver<bool>,
    stats: Arc<IngestStats>,
    connected: Arc<AtomicBool>,
    broker: String,
) {
    let mut backoff = RECONNECT_MIN;
    loop {
        let event = tokio::select! {
            biased;
            _ = stop.changed() => return,
            e = eventloop.poll() => e,
        };
        let forward = match event {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff = RECONNECT_MIN;
                connected.store(true, Ordering::SeqCst);
                FromBroker::Connected {
                    session_present: ack.session_present,
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => FromBroker::Publish(p),
            Ok(Event::Incoming(Packet::SubAck(ack))) => FromBroker::SubAck {
                granted: ack
                    .return_codes
                    .iter()
                    .all(|c| *c != SubscribeReasonCode::Failure),
            },
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                connected.store(false, Ordering::SeqCst);
                return;
            }
            Ok(_) => continue,
            Err(e) => {
                connected.store(false, Ordering::SeqCst);
                stats.connection_errors.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(broker = %broker, error = %e, retry_in_ms = backoff.as_millis() as u64, "MQTT connection failed or lost; reconnecting");
                tokio::select! {
                    biased;
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(RECONNECT_MAX);
                continue;
            }
        };
        if tx.send(forward).is_err() {
            return;
        }
    }
}

struct Subscriber<S> {
    cfg: SubscriberConfig,
    client: AsyncClient,
    sink: Arc<S>,
    stats: Arc<IngestStats>,
    rx: mpsc::UnboundedReceiver<FromBroker>,
    /// Number of the current connection; a publish is acknowledged only on the connection it
    /// came on (its packet id means nothing on another one).
    generation: u64,
    /// Received, not yet handed to the sink, in arrival order.
    pending: VecDeque<Item>,
    /// The sink write in flight and the publishes it will acknowledge.
    writing: Option<(WriteTask, Vec<Held>)>,
    /// A batch whose write failed, waiting for `retry_sleep`.
    retry: Option<(Vec<Message>, Vec<Held>)>,
    retry_sleep: Option<Pin<Box<Sleep>>>,
    retry_delay: Duration,
    /// Running while the oldest pending message lingers.
    linger: Option<Pin<Box<Sleep>>>,
    linger_over: bool,
}

/// Wait for `s`, or forever when there is none.
async fn sleep_opt(s: &mut Option<Pin<Box<Sleep>>>) {
    match s {
        Some(s) => s.as_mut().await,
        None => std::future::pending().await,
    }
}

/// Wait for the write in flight, or forever when there is none.
async fn join_write(
    w: &mut Option<(WriteTask, Vec<Held>)>,
) -> Result<(Vec<Message>, Result<usize, SinkError>), tokio::task::JoinError> {
    match w {
        Some((task, _)) => task.await,
        None => std::future::pending().await,
    }
}

impl<S: ReadingSink + 'static> Subscriber<S> {
    async fn run(&mut self, shutdown: &mut watch::Receiver<bool>) -> Result<(), MqttError> {
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            // Take what has already arrived.
            while self.pending.len() < self.cfg.batch_max {
                match self.rx.try_recv() {
                    Ok(ev) => self.on_event(ev).await?,
                    Err(_) => break,
                }
            }
            if self.writing.is_none() {
                if self.retry.is_some() {
                    if self.retry_sleep.is_none()
                        && let Some((msgs, acks)) = self.retry.take()
                    {
                        self.spawn_write(msgs, acks);
                    }
                } else if !self.pending.is_empty()
                    && (self.linger_over || self.pending.len() >= self.cfg.batch_max)
                {
                    self.start_batch().await?;
                    continue;
                }
            }
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                }
                done = join_write(&mut self.writing) => self.on_written(done).await?,
                () = sleep_opt(&mut self.retry_sleep) => self.retry_sleep = None,
                () = sleep_opt(&mut self.linger) => {
                    self.linger = None;
                    self.linger_over = true;
                }
                ev = self.rx.recv() => match ev {
                    Some(ev) => self.on_event(ev).await?,
                    None => return Err(MqttError::Timeout("the MQTT event loop stopped".into())),
                },
            }
        }
    }

    async fn on_event(&mut self, ev: FromBroker) -> Result<(), MqttError> {
        match ev {
            FromBroker::Connected { session_present } => {
                self.generation += 1;
                self.stats.connects.fetch_add(1, Ordering::SeqCst);
                let unacked = self.pending.len()
                    + self.writing.as_ref().map_or(0, |w| w.1.len())
                    + self.retry.as_ref().map_or(0, |r| r.1.len());
                if unacked > 0 && !session_present {
                    tracing::warn!(
                        unacked,
                        "the broker kept no session: messages received before the reconnect are written but cannot be acknowledged"
                    );
                }
                tracing::info!(broker = %self.cfg.broker, session_present, "MQTT connected");
                // Subscribing again on a resumed session is harmless and covers a changed
                // filter or a broker that lost its sessions.
                self.client
                    .subscribe(self.cfg.topic_filter.clone(), QoS::AtLeastOnce)
                    .await?;
            }
            FromBroker::SubAck { granted } => {
                if !granted {
                    return Err(MqttError::SubscribeRefused(self.cfg.topic_filter.clone()));
                }
                self.stats.subscriptions.fetch_add(1, Ordering::SeqCst);
                tracing::info!(topic = %self.cfg.topic_filter, "MQTT subscription granted");
            }
            FromBroker::Publish(publish) => {
                self.stats.received.fetch_add(1, Ordering::SeqCst);
                let msg = match parse_message(&publish.topic, &publish.payload) {
                    Ok(m) => {
                        if publish.dup {
                            tracing::debug!(topic = %publish.topic, seq = ?m.seq, "MQTT redelivery");
                        }
                        Some(m)
                    }
                    Err(r) => {
                        self.stats.record_reject(&r);
                        tracing::warn!(
                            topic = %abbreviate(&publish.topic, 120),
                            reason = r.code(),
                            detail = %r,
                            payload = %excerpt(&publish.payload),
                            "MQTT message rejected"
                        );
                        None
                    }
                };
                if self.pending.is_empty() && self.cfg.batch_wait_ms > 0 {
                    self.linger_over = false;
                    self.linger = Some(Box::pin(tokio::time::sleep(Duration::from_millis(
                        self.cfg.batch_wait_ms,
                    ))));
                }
                let held = Held {
                    publish,
                    generation: self.generation,
                };
                self.pending.push_back(Item { held, msg });
            }
        }
        Ok(())
    }

    /// Hand the oldest pending messages (up to `batch_max`) to the sink; a batch of rejects
    /// only is acknowledged at once.
    async fn start_batch(&mut self) -> Result<(), MqttError> {
        let (msgs, acks) = self.take_batch();
        if msgs.is_empty() {
            return self.ack(acks).await;
        }
        self.spawn_write(msgs, acks);
        Ok(())
    }

    fn take_batch(&mut self) -> (Vec<Message>, Vec<Held>) {
        let n = self.pending.len().min(self.cfg.batch_max);
        let mut msgs = Vec::with_capacity(n);
        let mut acks = Vec::with_capacity(n);
        for item in self.pending.drain(..n) {
            msgs.extend(item.msg);
            acks.push(item.held);
        }
        if self.pending.is_empty() {
            self.linger = None;
            self.linger_over = self.cfg.batch_wait_ms == 0;
        }
        (msgs, acks)
    }

    fn spawn_write(&mut self, msgs: Vec<Message>, acks: Vec<Held>) {
        let sink = self.sink.clone();
        let task = tokio::spawn(async move {
            let r = sink.write(&msgs).await;
            (msgs, r)
        });
        self.writing = Some((task, acks));
    }

    async fn on_written(
        &mut self,
        done: Result<(Vec<Message>, Result<usize, SinkError>), tokio::task::JoinError>,
    ) -> Result<(), MqttError> {
        let Some((_, acks)) = self.writing.take() else {
            return Ok(());
        };
        let (msgs, result) = done.map_err(|e| MqttError::SinkPanicked(e.to_string()))?;
        match result {
            Ok(_) => {
                self.stats.record_batch(&msgs);
                self.retry_delay = SINK_RETRY_MIN;
                self.ack(acks).await
            }
            Err(e) => {
                self.stats.sink_errors.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(
                    error = %e,
                    messages = msgs.len(),
                    retry_in_ms = self.retry_delay.as_millis() as u64,
                    "sink write failed; the batch is not acknowledged and will be retried"
                );
                self.retry = Some((msgs, acks));
                self.retry_sleep = Some(Box::pin(tokio::time::sleep(self.retry_delay)));
                self.retry_delay = (self.retry_delay * 2).min(SINK_RETRY_MAX);
                Ok(())
            }
        }
    }

    /// Acknowledge, in order, the publishes received on the current connection.
    async fn ack(&mut self, acks: Vec<Held>) -> Result<(), MqttError> {
        let mut stale = 0usize;
        for h in acks {
            if h.generation == self.generation {
                self.client.ack(&h.publish).await?;
            } else {
                stale += 1;
            }
        }
        if stale > 0 {
            tracing::debug!(
                stale,
                "not acknowledging publishes of a lost connection; the broker redelivers them"
            );
        }
        Ok(())
    }

    /// Shutdown: the write in flight, the batch awaiting a retry, then what was received —
    /// one attempt each, in order, stopping at the first failure.
    async fn finish(&mut self) -> Result<(), MqttError> {
        if self.writing.is_some() {
            let done = join_write(&mut self.writing).await;
            self.on_written(done).await?;
        }
        if let Some((msgs, acks)) = self.retry.take()
            && !self.write_now(msgs, acks).await?
        {
            return Ok(());
        }
        while !self.pending.is_empty() {
            let (msgs, acks) = self.take_batch();
            if !self.write_now(msgs, acks).await? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Write and acknowledge one batch now; `false` when the sink failed.
    async fn write_now(&mut self, msgs: Vec<Message>, acks: Vec<Held>) -> Result<bool, MqttError> {
        if !msgs.is_empty() {
            if let Err(e) = self.sink.write(&msgs).await {
                self.stats.sink_errors.fetch_add(1, Ordering::SeqCst);
                let left = acks.len() + self.pending.len();
                tracing::warn!(error = %e, unacknowledged = left, "sink write failed at shutdown; the broker keeps these messages for the next run");
                return Ok(false);
            }
            self.stats.record_batch(&msgs);
        }
        self.ack(acks).await?;
        Ok(true)
    }
}

/// Discard the broker's persistent session of `client_id` (connect with a clean session, then
/// disconnect): its subscription and any messages waiting for it are dropped. For tests,
/// benchmarks, and retiring a subscriber's id.
pub async fn forget_session(broker: &str, client_id: &str) -> Result<(), MqttError> {
    let (host, port) = parse_broker_url(broker)?;
    let opts = MqttOptions::new(client_id, host, port); // clean_session = true
    let (client, mut eventloop) = AsyncClient::new(opts, 10);
    let run = async {
        loop {
            match eventloop.poll().await? {
                Event::Incoming(Packet::ConnAck(_)) => client.disconnect().await?,
                Event::Outgoing(Outgoing::Disconnect) => return Ok(()),
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .map_err(|_| MqttError::Timeout(format!("forgetting the session of {client_id:?}")))?
}

// ---------------------------------------------------------------------------------------------
// Throughput measurement
// ---------------------------------------------------------------------------------------------

/// What [`bench_throughput`] measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// Messages published (QoS 1).
    pub messages: usize,
    /// Distinct messages the sink received.
    pub stored: usize,
    /// Messages published but never stored (must be 0).
    pub lost: usize,
    /// Messages written more than once (redeliveries).
    pub duplicates: u64,
    /// Messages rejected (must be 0: the benchmark publishes valid messages).
    pub rejected: u64,
    /// Values stored (four per message).
    pub values: u64,
    /// From the first publish to the last message stored.
    #[serde(rename = "elapsed_s", serialize_with = "secs")]
    pub elapsed: Duration,
    /// Messages stored per second.
    pub messages_per_s: f64,
    /// Values stored per second.
    pub values_per_s: f64,
    /// Sink writes.
    pub batches: u64,
    /// Most messages in one sink write.
    pub largest_batch: u64,
}

fn secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// A sink that only counts distinct messages (station, ts, interval) and writes.
#[derive(Default)]
struct CountingSink {
    seen: Mutex<HashSet<(StationCode, Timestamp, u32)>>,
    distinct: AtomicUsize,
}

impl ReadingSink for CountingSink {
    async fn write(&self, msgs: &[Message]) -> Result<usize, SinkError> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        for m in msgs {
            seen.insert((m.station.clone(), m.ts, m.interval_s));
        }
        self.distinct.store(seen.len(), Ordering::SeqCst);
        Ok(msgs.iter().map(|m| m.readings.len()).sum())
    }
}

/// Publishes that may be outstanding (published, not yet stored) during the benchmark. The
/// broker queues at most `max_queued_messages` (Mosquitto: 1000) per subscriber beyond its
/// in-flight window and drops the rest, so an unpaced publisher measures the broker's queue
/// limit, not the ingest path.
const BENCH_WINDOW: usize = 500;

static BENCH_RUN: AtomicU64 = AtomicU64::new(0);

/// Measure sustained MQTT ingest on loopback: a [`run_subscriber`] with a counting sink and a
/// QoS 1 publisher of `messages` valid messages (one station, hourly instants, four values
/// each), paced to at most 500 messages outstanding. Uses its own topic and client ids and
/// forgets the subscriber's session afterwards. For `lantian bench mqtt`; not a test.
#[allow(clippy::disallowed_methods)] // a benchmark needs a timer
pub async fn bench_throughput(broker: &str, messages: usize) -> Result<BenchResult, MqttError> {
    let (host, port) = parse_broker_url(broker)?;
    let tag = format!(
        "{}-{}",
        std::process::id(),
        BENCH_RUN.fetch_add(1, Ordering::SeqCst)
    );
    let station = format!("BENCH-{tag}");
    let topic = format!("lantian/v1/stations/{station}/readings");
    let sub_id = format!("lantian-bench-sub-{tag}");
    forget_session(broker, &sub_id).await?;

    let sink = Arc::new(CountingSink::default());
    let stats = Arc::new(IngestStats::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let cfg = SubscriberConfig {
        client_id: sub_id.clone(),
        topic_filter: topic.clone(),
        ..SubscriberConfig::new(broker)
    };
    let mut subscriber = tokio::spawn(run_subscriber(cfg, sink.clone(), stats.clone(), stop_rx));

    let outcome = async {
        // The subscription must be live before the first publish.
        let mut waited = Duration::ZERO;
        while stats.snapshot().subscriptions == 0 {
            if subscriber.is_finished() || waited > Duration::from_secs(10) {
                return Err(MqttError::Timeout("the benchmark subscriber did not subscribe".into()));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            waited += Duration::from_millis(5);
        }

        let mut opts = MqttOptions::new(format!("lantian-bench-pub-{tag}"), host, port);
        opts.set_inflight(200);
        let (client, mut eventloop) = AsyncClient::new(opts, 1024);
        let publisher_loop = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Outgoing(Outgoing::Disconnect)) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(MqttError::from(e)),
                }
            }
        });

        let start = std::time::Instant::now();
        let t0 = 1_735_664_400_i64; // 2025-01-01T01:00:00+08:00
        for i in 0..messages {
            while i.saturating_sub(sink.distinct.load(Ordering::SeqCst)) >= BENCH_WINDOW {
                if publisher_loop.is_finished() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let v = (i % 97) as f64;
            let payload = format!(
                r#"{{"ts":{},"values":{{"PM2.5":{},"PM10":{},"NO2":{},"CO":{:.1}}},"interval_s":3600,"seq":{i}}}"#,
                t0 + i as i64 * 3600,
                v + 10.5,
                v * 1.7 + 20.0,
                v / 2.0 + 5.0,
                v / 50.0 + 0.3,
            );
            client.publish(topic.as_str(), QoS::AtLeastOnce, false, payload).await?;
        }
        // Wait for the last message, or for progress to stop for 10 s.
        let (mut last, mut idle) = (usize::MAX, Duration::ZERO);
        loop {
            let stored = sink.distinct.load(Ordering::SeqCst);
            if stored >= messages || idle > Duration::from_secs(10) {
                break;
            }
            if stored == last {
                idle += Duration::from_millis(1);
            } else {
                (last, idle) = (stored, Duration::ZERO);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let elapsed = start.elapsed();
        client.disconnect().await?;
        match tokio::time::timeout(Duration::from_secs(5), publisher_loop).await {
            Ok(Ok(r)) => r?,
            Ok(Err(e)) => return Err(MqttError::Timeout(format!("benchmark publisher: {e}"))),
            Err(_) => return Err(MqttError::Timeout("the benchmark publisher hung".into())),
        }
        Ok(elapsed)
    }
    .await;

    let _ = stop_tx.send(true);
    let stopped = tokio::time::timeout(Duration::from_secs(10), &mut subscriber).await;
    let forgot = forget_session(broker, &sub_id).await;
    let elapsed = outcome?;
    match stopped {
        Ok(Ok(r)) => r?,
        Ok(Err(e)) => return Err(MqttError::SinkPanicked(e.to_string())),
        Err(_) => {
            return Err(MqttError::Timeout(
                "the benchmark subscriber did not stop".into(),
            ));
        }
    }
    forgot?;

    let s = stats.snapshot();
    let stored = sink.distinct.load(Ordering::SeqCst);
    let secs = elapsed.as_secs_f64().max(1e-9);
    Ok(BenchResult {
        messages,
        stored,
        lost: messages.saturating_sub(stored),
        duplicates: s.accepted_messages.saturating_sub(stored as u64),
        rejected: s.rejected_total,
        values: s.accepted_values,
        elapsed,
        messages_per_s: stored as f64 / secs,
        values_per_s: s.accepted_values as f64 / secs,
        batches: s.batches,
        largest_batch: s.largest_batch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: &str = "lantian/v1/stations/JZGX-M01/readings";

    fn reject(topic: &str, payload: &str) -> Reject {
        parse_message(topic, payload.as_bytes()).unwrap_err()
    }

    fn code(payload: &str) -> &'static str {
        reject(TOPIC, payload).code()
    }

    #[test]
    fn a_good_message_parses_whole() {
        let m = parse_message(
            TOPIC,
            br#"{"ts": "2025-01-05T16:00:00+08:00", "values": {"PM2.5": 35.2, "PM10": 61, "NO2": 20, "CO": 0.6}, "interval_s": 3600, "seq": 17}"#,
        )
        .unwrap();
        assert_eq!(m.station.as_str(), "JZGX-M01");
        assert_eq!(m.ts, Timestamp::parse("2025-01-05T08:00:00Z").unwrap());
        assert_eq!(m.interval_s, 3600);
        assert_eq!(m.seq.as_deref(), Some("17"));
        let got: Vec<(Pollutant, f64)> =
            m.readings.iter().map(|r| (r.pollutant, r.value)).collect();
        // Pollutant::ALL order: SO2, NO2, PM10, CO, O3, PM2.5.
        assert_eq!(
            got,
            [
                (Pollutant::No2, 20.0),
                (Pollutant::Pm10, 61.0),
                (Pollutant::Co, 0.6),
                (Pollutant::Pm25, 35.2)
            ]
        );
        assert!(
            m.readings
                .iter()
                .all(|r| r.station == m.station && r.ts == m.ts)
        );
        assert_eq!(m.entries().count(), 4);
    }

    #[test]
    fn defaults_and_spellings() {
        let m = parse_message(
            TOPIC,
            br#"{"ts": 1736064000, "values": {"pm25": 1, " so2 ": -2.5}}"#,
        )
        .unwrap();
        assert_eq!(m.ts, Timestamp(1_736_064_000));
        assert_eq!(m.interval_s, DEFAULT_INTERVAL_S);
        assert_eq!(m.seq, None);
        assert_eq!(m.readings[0].pollutant, Pollutant::So2);
        // Negative values are accepted here; quality checks flag them downstream.
        assert_eq!(m.readings[0].value, -2.5);
        let m = parse_message(
            TOPIC,
            br#"{"ts": "2025-01-05T08:00:00Z", "values": {"O3": 80}, "interval_s": 60, "seq": "a-1", "x": 1}"#,
        );
        assert_eq!(m.unwrap_err().code(), "unknown_field");
        let m = parse_message(
            TOPIC,
            br#"{"ts": "1736064000", "values": {"O3": 80}, "interval_s": null, "seq": "a-1"}"#,
        )
        .unwrap();
        assert_eq!((m.interval_s, m.seq.as_deref()), (3600, Some("a-1")));
    }

    #[test]
    fn every_reason_has_its_code() {
        let ok_values = r#""values": {"PM10": 1}"#;
        let ts = r#""ts": 1736064000"#;
        assert_eq!(
            reject("lantian/v1/stations/A/other", "{}").code(),
            "bad_topic"
        );
        assert_eq!(
            reject("lantian/v1/stations/a/b/readings", "{}").code(),
            "bad_topic"
        );
        assert_eq!(
            reject("lantian/v2/stations/A/readings", "{}").code(),
            "bad_topic"
        );
        assert_eq!(
            reject("lantian/v1/stations//readings", "{}").code(),
            "bad_station"
        );
        assert_eq!(
            reject("lantian/v1/stations/A B/readings", "{}").code(),
            "bad_station"
        );
        assert_eq!(
            reject("lantian/v1/stations/ A/readings", "{}").code(),
            "bad_station"
        );
        let big = format!(
            r#"{{{ts}, {ok_values}, "seq": "{}"}}"#,
            "x".repeat(MAX_PAYLOAD_BYTES)
        );
        assert_eq!(code(&big), "too_large");
        assert_eq!(code("PM2.5=35"), "not_json");
        assert_eq!(code(""), "not_json");
        assert_eq!(
            code(r#"{"ts": 1736064000, "values": {"PM10": 1}"#),
            "not_json"
        );
        assert_eq!(
            reject(TOPIC, "[1, 2]").to_string(),
            "payload is an array, not a JSON object"
        );
        assert_eq!(code("42"), "not_object");
        assert_eq!(
            code(&format!(r#"{{{ts}, {ts}, {ok_values}}}"#)),
            "duplicate_key"
        );
        assert_eq!(
            code(&format!(r#"{{{ts}, {ok_values}, "interval": 60}}"#)),
            "unknown_field"
        );
        assert_eq!(code(&format!(r#"{{{ok_values}}}"#)), "missing_ts");
        assert_eq!(
            code(&format!(r#"{{"ts": null, {ok_values}}}"#)),
            "missing_ts"
        );
        for bad in [
            r#""2025-01-05T16:00:00""#, // no offset
            r#""2025-02-30T16:00:00Z""#,
            r#""yesterday""#,
            "1736064000.5",
            "1736064000000", // milliseconds
            "0",
            "true",
        ] {
            assert_eq!(
                code(&format!(r#"{{"ts": {bad}, {ok_values}}}"#)),
                "bad_ts",
                "{bad}"
            );
        }
        assert_eq!(code(&format!("{{{ts}}}")), "missing_values");
        assert_eq!(
            code(&format!(r#"{{{ts}, "values": {{}}}}"#)),
            "missing_values"
        );
        assert_eq!(
            code(&format!(r#"{{{ts}, "values": null}}"#)),
            "missing_values"
        );
        assert_eq!(code(&format!(r#"{{{ts}, "values": [35]}}"#)), "bad_values");
        let r = reject(
            TOPIC,
            &format!(r#"{{{ts}, "values": {{"PM2.5": 35, "PM1": 20}}}}"#),
        );
        assert_eq!(r.code(), "unknown_pollutant");
        assert_eq!(
            r.to_string(),
            "unknown pollutant \"PM1\" (expected SO2, NO2, PM10, CO, O3, PM2.5)"
        );
        for dup in [r#"{"PM2.5": 1, "pm25": 2}"#, r#"{"CO": 1, "CO": 1}"#] {
            assert_eq!(
                code(&format!(r#"{{{ts}, "values": {dup}}}"#)),
                "duplicate_pollutant"
            );
        }
        for bad in [r#""35""#, "null", "true", "{}", "[1]"] {
            let p = format!(r#"{{{ts}, "values": {{"PM10": 1, "NO2": {bad}}}}}"#);
            assert_eq!(code(&p), "bad_value", "{bad}");
        }
        for bad in ["59", "86401", "3600.5", "3600.0", r#""3600""#, "-60"] {
            let p = format!(r#"{{{ts}, {ok_values}, "interval_s": {bad}}}"#);
            assert_eq!(code(&p), "bad_interval", "{bad}");
        }
        assert_eq!(
            code(&format!(r#"{{{ts}, {ok_values}, "seq": [1]}}"#)),
            "bad_seq"
        );
    }

    /// The examples of docs/MQTT.md do what the document says.
    #[test]
    fn documented_examples_behave_as_documented() {
        let doc = include_str!("../../../docs/MQTT.md");
        let (mut accepted, mut rejected) = (0, 0);
        for line in doc.lines().filter(|l| l.starts_with(r#"{"ts""#)) {
            match line.find("   [") {
                None => {
                    parse_message(TOPIC, line.as_bytes()).unwrap();
                    accepted += 1;
                }
                Some(i) => {
                    let want = line[i..].trim().trim_start_matches('[');
                    let want = want.split([':', ']']).next().unwrap();
                    assert_eq!(code(line[..i].trim()), want, "{line}");
                    rejected += 1;
                }
            }
        }
        assert_eq!((accepted, rejected), (4, 6));
        for c in Reject::CODES {
            assert!(
                doc.contains(&format!("| `{c}` |")),
                "{c} is not in the reasons table"
            );
        }
    }

    #[test]
    fn codes_are_distinct_and_indexed() {
        let mut seen = HashSet::new();
        assert!(Reject::CODES.iter().all(|c| seen.insert(*c)));
        let r = Reject::BadSeq { found: "x".into() };
        assert_eq!(Reject::CODES[r.index()], r.code());
        let stats = IngestStats::new();
        stats.record_reject(&Reject::MissingTs);
        let s = stats.snapshot();
        assert_eq!(s.rejected.len(), Reject::CODES.len());
        assert_eq!(
            (
                s.rejected_total,
                s.rejected("missing_ts"),
                s.rejected("bad_ts")
            ),
            (1, 1, 0)
        );
        assert!(
            serde_json::to_string(&s)
                .unwrap()
                .contains("\"missing_ts\":1")
        );
    }

    #[test]
    fn broker_addresses() {
        let ok = |s: &str| parse_broker_url(s).unwrap();
        assert_eq!(ok("mqtt://127.0.0.1:1883"), ("127.0.0.1".into(), 1883));
        assert_eq!(ok("mqtt://broker.local"), ("broker.local".into(), 1883));
        assert_eq!(
            ok("mqtt://broker.local:8883/"),
            ("broker.local".into(), 8883)
        );
        assert_eq!(ok("mqtt://[::1]:1884"), ("::1".into(), 1884));
        assert_eq!(ok("mqtt://[::1]"), ("::1".into(), 1883));
        for bad in [
            "127.0.0.1:1883",
            "tcp://h:1",
            "mqtts://h:8883",
            "mqtt://",
            "mqtt://:1883",
            "mqtt://h:0",
            "mqtt://h:99999",
            "mqtt://h:x",
            "mqtt://u:p@h:1883",
            "mqtt://h:1883/topic",
            "mqtt://[::1",
        ] {
            let e = parse_broker_url(bad).unwrap_err();
            assert!(
                e.to_string().contains("expected mqtt://host:port"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        assert_eq!(excerpt(b"{\"a\":\n1}"), "{\\\"a\\\":\\n1}");
        let long = vec![b'x'; 1000];
        assert!(excerpt(&long).ends_with("… (1000 bytes)"));
        assert_eq!(abbreviate("焦作高新区", 2), "焦作…");
    }

    #[tokio::test]
    async fn memory_sink_upserts_and_fails_on_request() {
        let m = parse_message(
            TOPIC,
            br#"{"ts": 1736064000, "values": {"PM10": 1, "CO": 0.5}}"#,
        )
        .unwrap();
        let mut later = m.clone();
        later.readings[0].value = 2.0;
        let sink = MemorySink::new();
        assert_eq!(sink.write(&[m.clone(), m.clone()]).await.unwrap(), 4);
        assert_eq!(sink.len(), 2);
        sink.fail_next(1);
        assert!(sink.write(&[later.clone()]).await.is_err());
        assert_eq!(sink.len(), 2);
        sink.write(&[later]).await.unwrap();
        assert_eq!(sink.len(), 2);
        let key = m.entries().next().unwrap().0;
        assert_eq!(sink.get(&key), Some(2.0));
        assert_eq!(sink.write_calls(), 3);
    }
}

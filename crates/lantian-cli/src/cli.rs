//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use lantian_aq::Date;
use lantian_aq::assess::RuleChoice;
use std::path::PathBuf;

/// Lantian (蓝天): air-quality assessment and the closed loop of a district's campaign.
#[derive(Debug, Parser)]
#[command(name = "lantian", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Assess stations or cities from CNEMC china_sites / china_cities files: hourly and daily
    /// AQI, period means, percentiles, good and heavy days, composite index (评价).
    Assess(AssessArgs),
    /// Rank cities by composite index and by PM2.5 for a period, ties shared (城市排名).
    Rank(RankArgs),
    /// Import into the store: station list, CNEMC hourly files, GeoJSON grids, sources (导入).
    Import(ImportArgs),
    /// Take in live data: micro-stations over MQTT (接入).
    Ingest(IngestArgs),
    /// The demo: `lantian demo` builds the demo district into a fresh SQLite file, creates one
    /// account per role and serves the dashboard on http://127.0.0.1:8080 (演示).
    Demo(DemoArgs),
    /// Serve the REST API and the dashboard (服务).
    Serve(ServeArgs),
    /// Accounts administration (账号管理).
    Admin(AdminArgs),
    /// Write the API's OpenAPI 3.1 document (for clients and API fuzzers).
    Openapi {
        /// Write to this file (atomically) instead of stdout.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// The tamper-evident log: verify the chain, print a daily anchor (审计).
    Audit(AuditArgs),
    /// The problem ledger: the escalation scheduler (问题台账).
    Ledger(LedgerArgs),
    /// Benchmarks (not tests): figures for the closing notes.
    Bench(BenchArgs),
    /// A ledger as the .xlsx or CSV officials share (导出台账).
    Export(ExportArgs),
}

/// `lantian export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Which ledger.
    #[arg(value_enum)]
    pub what: ExportWhat,
    /// File format.
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: ExportFormat,
    /// Language of headers and labels.
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: Lang,
    /// Write to this file (atomically: nothing is written if anything fails).
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
}

/// The ledgers `lantian export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportWhat {
    /// 问题台账.
    Problems,
    /// 检查台账: inspection records with their plans' titles and the problems they raised.
    Inspections,
    /// 执法案件台账.
    Cases,
    /// 问责台账.
    Accountability,
}

/// `lantian export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Excel workbook.
    Xlsx,
    /// CSV.
    Csv,
}

/// `lantian audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub what: AuditWhat,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Audit actions.
#[derive(Debug, Clone, Subcommand)]
pub enum AuditWhat {
    /// Walk the whole hash chain and every record; exit 1 naming the first entry or record that
    /// does not hold.
    Verify {
        /// Entries (and records) read per query; several reads are in flight, each checked on
        /// its own thread.
        #[arg(long, default_value_t = lantian_store::ledger::VERIFY_CHUNK)]
        chunk: u32,
    },
    /// The anchor of a day (Asia/Shanghai): its entry count and the hash of its last entry, to
    /// publish in the daily briefing.
    Anchor {
        /// The day, YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        day: Date,
    },
}

/// `lantian ledger`.
#[derive(Debug, Clone, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub what: LedgerWhat,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Ledger actions.
#[derive(Debug, Clone, Subcommand)]
pub enum LedgerWhat {
    /// Advance every due problem's escalation (提醒 → 督办 → 挂牌督办 → 问责) at `--now`, through
    /// the transition function (logged, notified). Run it from cron.
    Escalate {
        /// The instant (RFC 3339 with offset, or Unix seconds); default: the system clock.
        #[arg(long)]
        now: Option<String>,
        /// Warn when this many working days or fewer remain.
        #[arg(long, default_value_t = 1)]
        warn_before: u32,
        /// 督办 after this many working days overdue.
        #[arg(long, default_value_t = 1)]
        supervise_after: u32,
        /// 挂牌督办 after this many.
        #[arg(long, default_value_t = 3)]
        list_after: u32,
        /// 问责 after this many.
        #[arg(long, default_value_t = 5)]
        accountability_after: u32,
    },
}

/// `lantian bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

/// What to measure.
#[derive(Debug, Clone, Subcommand)]
pub enum BenchWhat {
    /// Sustained MQTT ingest on loopback: QoS 1 publisher, the real subscriber, zero loss.
    Mqtt {
        /// The broker.
        #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
        broker: String,
        /// Messages to publish.
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
    },
    /// The problem ledger: fill a store with problems and their logged histories, then time
    /// the filtered ledger list (first page of 50 + total) and `audit verify`.
    Ledger {
        #[command(flatten)]
        db: DbArgs,
        /// Problems to create.
        #[arg(long, default_value_t = 1_000_000)]
        problems: u64,
        /// Log entries to aim at (problem histories average log/problems steps).
        #[arg(long, default_value_t = 10_000_000)]
        log: u64,
        /// Random filter combinations to time.
        #[arg(long, default_value_t = 400)]
        queries: usize,
        /// Reuse the store as it is (filled by an earlier run).
        #[arg(long)]
        no_fill: bool,
        /// Seed of the generator.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Load a running server: keep-alive clients requesting the paths in turn for a while;
    /// prints requests/s and p50/p95/p99 per path and the non-2xx count.
    Http {
        /// The server.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Concurrent clients (one connection each).
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// How long to run.
        #[arg(long, default_value_t = 20.0)]
        seconds: f64,
        /// A path to request (repeat for several: `--path / --path /ledger`).
        #[arg(long = "path", required = true)]
        paths: Vec<String>,
        /// Log in first as `user:password` (one session shared by all clients).
        #[arg(long)]
        login: Option<String>,
    },
    /// Batch ingest over HTTP (`POST /api/v1/readings` with a device token): prints
    /// readings/s.
    IngestHttp {
        /// The server.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// A bearer token with scope `ingest`.
        #[arg(long)]
        token: Option<String>,
        /// Or log in as `user:password` (admin or dispatcher) and create one.
        #[arg(long)]
        login: Option<String>,
        /// Readings per batch (the server takes up to 100 000).
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// Batches to post.
        #[arg(long, default_value_t = 40)]
        batches: usize,
        /// Batches in flight at once.
        #[arg(long, default_value_t = 2)]
        clients: usize,
        /// The first hour to write (RFC 3339 or Unix seconds, a whole hour); later hours follow.
        #[arg(long, default_value = "2026-01-01T01:00:00+08:00")]
        from: String,
    },
}

/// The store: a SQLite file path (default) or a `postgres://` URL.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// SQLite file (created if missing) or postgres://user@host/db.
    #[arg(
        long,
        global = true,
        default_value = "lantian.sqlite",
        env = "LANTIAN_DB"
    )]
    pub db: String,
}

/// `lantian import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub what: ImportWhat,
    #[command(flatten)]
    pub db: DbArgs,
}

/// What to import.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportWhat {
    /// The CNEMC station list (监测点编码,监测点名称,城市,经度,纬度,对照点); default: the
    /// embedded 2022-02-13 list.
    Stations {
        /// The list; omitted: the embedded one.
        file: Option<PathBuf>,
    },
    /// CNEMC china_sites_*.csv files (hourly values of national stations, checked and stored)
    /// and china_cities_*.csv files (the published city values, kept for comparison), or
    /// directories holding them.
    Cnemc {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Import the other stations when some station codes are unknown.
        #[arg(long)]
        skip_bad: bool,
        /// Reader threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// A GeoJSON FeatureCollection of regions and grids (properties code, name, level, parent).
    Grids {
        /// The .geojson file.
        file: PathBuf,
    },
    /// The source registry (污染源台账), .csv or .xlsx.
    Sources {
        /// The file.
        file: PathBuf,
        /// Import the good rows of a file with bad ones (each skipped row is reported).
        #[arg(long)]
        skip_bad: bool,
    },
}

/// `lantian ingest`.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    #[command(subcommand)]
    pub what: IngestWhat,
    #[command(flatten)]
    pub db: DbArgs,
}

/// What to take in.
#[derive(Debug, Clone, Subcommand)]
pub enum IngestWhat {
    /// Subscribe to micro-stations' readings (docs/MQTT.md) until Ctrl-C.
    Mqtt {
        /// The broker.
        #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
        broker: String,
        /// MQTT client id (the persistent session's name: keep it stable).
        #[arg(long, default_value = "lantian-ingest")]
        client_id: String,
        /// Topic filter.
        #[arg(long, default_value = "lantian/v1/stations/+/readings")]
        topic: String,
    },
}

/// `lantian demo`: with no subcommand, the whole demo (fresh file, accounts, server).
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub what: Option<DemoWhat>,
    /// The demo's SQLite file (replaced on every run).
    #[arg(long, default_value = "lantian-demo.sqlite")]
    pub file: PathBuf,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
}

/// `lantian serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Mark cookies Secure (when a TLS proxy is in front).
    #[arg(long)]
    pub secure_cookies: bool,
}

/// `lantian admin`.
#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub what: AdminWhat,
}

/// Administration actions.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminWhat {
    /// Create a user (the first admin: `lantian admin create-user --login admin --role admin`).
    /// The password is read from the first line of stdin, or from `$LANTIAN_PASSWORD`.
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        /// Login (a-z 0-9 . _ -).
        #[arg(long)]
        login: String,
        /// Display name (default: the login).
        #[arg(long)]
        name: Option<String>,
        /// Role: admin, dispatcher, unit_head, unit_staff, grid_chief, grid_worker, inspector,
        /// enforcement_officer, leader.
        #[arg(long)]
        role: String,
        /// Unit code (unit roles).
        #[arg(long)]
        unit: Option<String>,
        /// Grid codes (grid roles), comma-separated.
        #[arg(long, value_delimiter = ',')]
        grids: Vec<String>,
        /// Person id in the organisation.
        #[arg(long)]
        person: Option<String>,
    },
}

/// Demo actions.
#[derive(Debug, Clone, Subcommand)]
pub enum DemoWhat {
    /// Build the demo district (焦作高新区) into a fresh store.
    Init {
        #[command(flatten)]
        db: DbArgs,
        /// Replace an existing SQLite file.
        #[arg(long)]
        force: bool,
        /// Seed of the simulated parts.
        #[arg(long, default_value_t = lantian_demo::SEED)]
        seed: u64,
        /// Scale the demo for load benchmarks: this many stations in all (the demo's 38 plus
        /// extra micro-stations in the grids), with hourly data for all of `--year` and a
        /// ledger in proportion.
        #[arg(long)]
        stations: Option<usize>,
        /// The year of the scaled demo's data and targets.
        #[arg(long, default_value_t = 2025, requires = "stations")]
        year: i32,
        /// Problems in the scaled demo's ledger (besides the demo's 60); default 10 per station.
        #[arg(long, requires = "stations")]
        problems: Option<u64>,
        /// Also create one account per role (printed with their passwords), as `lantian demo`.
        #[arg(long)]
        accounts: bool,
    },
}

/// `--rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesArg {
    /// HJ 633-2012 / HJ 663-2013 / GB 3095-2012.
    #[value(name = "2012")]
    Y2012,
    /// HJ 633-2026 / HJ 663-2026 / GB 3095-2026.
    #[value(name = "2026")]
    Y2026,
    /// By the date of the data (2026 rules from 2026-03-01).
    Auto,
}

impl RulesArg {
    /// As the science crate's choice.
    pub fn choice(self) -> RuleChoice {
        match self {
            RulesArg::Y2012 => RuleChoice::Fixed(lantian_aq::RuleSet::Y2012),
            RulesArg::Y2026 => RuleChoice::Fixed(lantian_aq::RuleSet::Y2026),
            RulesArg::Auto => RuleChoice::Auto,
        }
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, values at published precision.
    Table,
    /// CSV (UTF-8 with BOM so Excel reads Chinese), full precision.
    Csv,
    /// JSON array of objects, full precision, English keys.
    Json,
}

/// `--lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

/// `--day-hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DayHours {
    /// The standard's natural day: hours labelled 01..24 (HJ 663; GB 3095 §3.10).
    #[value(name = "01-24")]
    Standard,
    /// Calendar rows 00..23 of each date (not the standard; for comparing with sources that
    /// count this way).
    #[value(name = "00-23")]
    Calendar,
}

impl DayHours {
    /// As the science crate's boundary.
    pub fn boundary(self) -> lantian_aq::assess::DayBoundary {
        match self {
            DayHours::Standard => lantian_aq::assess::DayBoundary::HourEnding01To24,
            DayHours::Calendar => lantian_aq::assess::DayBoundary::Calendar00To23,
        }
    }
}

/// `--by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// One row per station (or per city column of china_cities files).
    Station,
    /// Station files grouped into cities (evaluation stations only).
    City,
}

/// Output options shared by commands.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Language of headers and labels.
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: Lang,
    /// Write to this file (atomically: nothing is written if anything fails) instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

/// How the data are read and assessed, shared by commands.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Rule set.
    #[arg(long, value_enum, default_value = "auto")]
    pub rules: RulesArg,
    /// Which hours make a day.
    #[arg(long, value_enum, default_value = "01-24")]
    pub day_hours: DayHours,
    /// Station list CSV (监测点编码,监测点名称,城市,经度,纬度,对照点); default: the embedded
    /// 2022-02-13 list.
    #[arg(long)]
    pub stations: Option<PathBuf>,
    /// Dust-affected days to exclude from PM statistics and the composite index (扣沙),
    /// comma-separated dates.
    #[arg(long, value_delimiter = ',', value_parser = parse_date)]
    pub dust_days: Vec<Date>,
    /// Reader threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Selection of places and days.
#[derive(Debug, Clone, Default, Args)]
pub struct SelectArgs {
    /// Station codes (comma-separated or repeated), e.g. 1828A,3169A.
    #[arg(long, value_delimiter = ',')]
    pub station: Vec<String>,
    /// Cities (comma-separated or repeated), e.g. 焦作.
    #[arg(long, value_delimiter = ',')]
    pub city: Vec<String>,
    /// Province, e.g. 河南.
    #[arg(long)]
    pub province: Option<String>,
    /// First day (YYYY-MM-DD or YYYYMMDD), inclusive; days are hours 01..24.
    #[arg(long, value_parser = parse_date)]
    pub from: Option<Date>,
    /// Last day, inclusive.
    #[arg(long, value_parser = parse_date)]
    pub to: Option<Date>,
}

/// `lantian assess`.
#[derive(Debug, Clone, Args)]
pub struct AssessArgs {
    /// china_sites_*.csv / china_cities_*.csv files or directories holding them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub common: CommonArgs,
    /// One row per hour: the real-time AQI, level and primary pollutant(s).
    #[arg(long, conflicts_with = "daily")]
    pub hourly: bool,
    /// One row per day: daily means, O3 max 8 h, daily AQI, level, primary pollutant(s).
    #[arg(long)]
    pub daily: bool,
    /// Rows per station, or per city.
    #[arg(long, value_enum, default_value = "station")]
    pub by: By,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `lantian rank`.
#[derive(Debug, Clone, Args)]
pub struct RankArgs {
    /// The period: YYYY-MM (a month), YYYY-Qn (a quarter) or YYYY (a year).
    #[arg(long, value_parser = parse_period)]
    pub period: Period,
    /// china_sites_*.csv / china_cities_*.csv files or directories holding them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Only cities of this province.
    #[arg(long)]
    pub province: Option<String>,
    /// Only prefecture-level and above cities (the Ministry's 339), or every city with data.
    #[arg(long, value_enum, default_value = "prefecture")]
    pub cities: CitySet,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `--cities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CitySet {
    /// 地级及以上城市: municipalities, prefecture-level units, the Bingtuan cities.
    Prefecture,
    /// Every city column with data, including the national new areas.
    All,
}

/// A reporting period: inclusive first and last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// As written.
    pub label: &'static str,
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD or YYYYMMDD)"))
}

/// Parse `YYYY-MM`, `YYYY-Qn` or `YYYY`.
pub(crate) fn parse_period(s: &str) -> Result<Period, String> {
    let bad = || format!("{s:?} is not a period (YYYY-MM, YYYY-Qn or YYYY)");
    let s = s.trim();
    let year: i32 = s.get(0..4).and_then(|y| y.parse().ok()).ok_or_else(bad)?;
    let rest = &s[4..];
    let (m0, m1, label) = if rest.is_empty() {
        (1, 12, "year")
    } else if let Some(q) = rest.strip_prefix("-Q").or_else(|| rest.strip_prefix("-q")) {
        let q: u32 = q
            .parse()
            .ok()
            .filter(|q| (1..=4).contains(q))
            .ok_or_else(bad)?;
        (3 * q - 2, 3 * q, "quarter")
    } else if let Some(m) = rest.strip_prefix('-') {
        let m: u32 = m
            .parse()
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or_else(bad)?;
        (m, m, "month")
    } else {
        return Err(bad());
    };
    let from = Date::from_ymd(year, m0, 1).ok_or_else(bad)?;
    let to = Date::from_ymd(year, m1, lantian_aq::time::days_in_month(year, m1)).ok_or_else(bad)?;
    Ok(Period { from, to, label })
}

/// A usage error found after parsing (an unknown station code, an empty selection).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let p = parse_period("2025-01").unwrap();
        assert_eq!(
            (p.from.to_string(), p.to.to_string()),
            ("2025-01-01".into(), "2025-01-31".into())
        );
        let p = parse_period("2024-Q1").unwrap();
        assert_eq!(p.to.to_string(), "2024-03-31");
        assert_eq!(parse_period("2025").unwrap().to.to_string(), "2025-12-31");
        assert!(parse_period("2025-13").is_err());
        assert!(parse_period("25-01").is_err());
    }
}

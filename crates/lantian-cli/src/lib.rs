//! `lantian-cli` — the one `lantian` binary, as a library so tests drive it in-process.
//!
//! Commands so far: `assess` (AQI and assessment statistics from CNEMC files) and `rank`
//! (the Ministry's monthly city ranking). Each command reads everything, computes, renders
//! its whole output in memory and only then writes it — to stdout, or atomically to
//! `--output` (temporary file + rename) — so a bad input never leaves a partial output file.
//!
//! # Invariant
//! No science here: every number comes from `lantian-aq`; this crate chooses inputs,
//! groups stations into areas and formats. Errors are `anyhow` with the reader's file, line
//! and column; the exit code is 2 for bad input or usage, 1 for anything else.

mod assess;
mod bench_http;
mod bench_ledger;
mod cli;
mod data;
mod db;
mod demo;
mod demo_scaled;
mod export_cmd;
mod import;
mod ingest_cmd;
mod ledger_cmd;
mod output;
mod rank;
mod serve;

pub use cli::{Cli, Command};

use cli::{DemoWhat, ImportWhat, IngestWhat};
use db::{Db, with_store};

use anyhow::Context;
use clap::Parser;
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

/// Exit status for bad input (a file that does not parse, an unknown code).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Run with the process arguments; prints errors to stderr.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_BAD_INPUT } else { 0 });
        }
    };
    match run(&cli) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(&out).and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                // A closed pipe (`| head`) is not an error worth a message.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("lantian: cannot write output: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("lantian: error: {e:#}");
            let bad_input = e.downcast_ref::<lantian_ingest::ReadError>().is_some()
                || e.downcast_ref::<cli::UsageError>().is_some();
            ExitCode::from(if bad_input { EXIT_BAD_INPUT } else { 1 })
        }
    }
}

/// Run a parsed command. Returns what goes to stdout (empty when `--output` took it).
pub fn run(cli: &Cli) -> anyhow::Result<Vec<u8>> {
    let (bytes, target) = match &cli.command {
        Command::Assess(a) => (assess::run(a)?, a.output.output.clone()),
        Command::Rank(r) => (rank::run(r)?, r.output.output.clone()),
        Command::Import(i) => (runtime()?.block_on(run_import(i))?.into_bytes(), None),
        Command::Ingest(i) => (runtime()?.block_on(run_ingest(i))?.into_bytes(), None),
        Command::Demo(d) => (runtime()?.block_on(run_demo(d))?.into_bytes(), None),
        Command::Serve(a) => (runtime()?.block_on(run_serve(a))?.into_bytes(), None),
        Command::Admin(a) => (runtime()?.block_on(run_admin(a))?.into_bytes(), None),
        Command::Openapi { output } => (
            format!("{}\n", lantian_server::openapi().to_pretty_json()?).into_bytes(),
            output.clone(),
        ),
        Command::Audit(a) => (
            runtime()?.block_on(ledger_cmd::audit(a))?.into_bytes(),
            None,
        ),
        Command::Ledger(l) => (
            runtime()?.block_on(ledger_cmd::ledger(l))?.into_bytes(),
            None,
        ),
        Command::Bench(b) => (runtime()?.block_on(run_bench(b))?.into_bytes(), None),
        Command::Export(e) => (
            runtime()?.block_on(export_cmd::export(e))?,
            Some(e.output.clone()),
        ),
    };
    match target {
        Some(path) => {
            output::write_atomic(&path, &bytes)?;
            Ok(Vec::new())
        }
        None => Ok(bytes),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

async fn run_import(a: &cli::ImportArgs) -> anyhow::Result<String> {
    let db = Db::open(&a.db.db).await?;
    let out = with_store!(&db, |s| match &a.what {
        ImportWhat::Stations { file } => import::stations(s, file.as_deref()).await,
        ImportWhat::Cnemc {
            paths,
            skip_bad,
            threads: t,
        } => import::cnemc(s, paths, threads(*t), *skip_bad).await,
        ImportWhat::Grids { file } => import::grids(s, file).await,
        ImportWhat::Sources { file, skip_bad } => import::sources(s, file, *skip_bad).await,
    });
    db.close().await;
    out
}

async fn run_ingest(a: &cli::IngestArgs) -> anyhow::Result<String> {
    let IngestWhat::Mqtt {
        broker,
        client_id,
        topic,
    } = &a.what;
    let mut cfg = lantian_ingest::mqtt::SubscriberConfig::new(broker.clone());
    cfg.client_id = client_id.clone();
    cfg.topic_filter = topic.clone();
    match Db::open(&a.db.db).await? {
        Db::Sqlite(s) => ingest_cmd::run(s, cfg).await,
        Db::Postgres(s) => ingest_cmd::run(s, cfg).await,
    }
}

async fn run_serve(a: &cli::ServeArgs) -> anyhow::Result<String> {
    let db = lantian_server::Db::open(&a.db.db)
        .await
        .with_context(|| format!("cannot open {}", a.db.db))?;
    let config = lantian_server::Config {
        secure_cookies: a.secure_cookies,
        ..lantian_server::Config::default()
    };
    serve::serve(db, &a.addr, config, "").await
}

async fn run_admin(a: &cli::AdminArgs) -> anyhow::Result<String> {
    let cli::AdminWhat::CreateUser {
        db,
        login,
        name,
        role,
        unit,
        grids,
        person,
    } = &a.what;
    let store = lantian_server::Db::open(&db.db)
        .await
        .with_context(|| format!("cannot open {}", db.db))?;
    let out = serve::create_user(
        &store,
        login,
        name.as_deref(),
        role,
        unit.as_deref(),
        grids,
        person.as_deref(),
    )
    .await;
    store.close().await;
    out
}

/// `lantian demo` with no subcommand: the demo district into a fresh SQLite file, one account
/// per role (printed), then the server.
async fn run_full_demo(d: &cli::DemoArgs) -> anyhow::Result<String> {
    let path = d.file.to_string_lossy().into_owned();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let db = lantian_server::Db::open(&path)
        .await
        .with_context(|| format!("cannot create {path}"))?;
    let mut banner = demo::init(&db, lantian_demo::SEED).await?;
    banner.push_str(&demo::seed_ledger(&db).await?);
    let accounts = serve::create_demo_accounts(&db).await?;
    banner.push_str(&serve::accounts_table(&accounts));
    serve::serve(db, &d.addr, lantian_server::Config::default(), &banner).await
}

async fn run_demo(d: &cli::DemoArgs) -> anyhow::Result<String> {
    let Some(DemoWhat::Init {
        db,
        force,
        seed,
        stations,
        year,
        problems,
        accounts,
    }) = &d.what
    else {
        return run_full_demo(d).await;
    };
    let is_pg = db.db.starts_with("postgres://") || db.db.starts_with("postgresql://");
    if !is_pg && std::path::Path::new(&db.db).exists() {
        if !force {
            return Err(
                cli::UsageError(format!("{} exists; pass --force to replace it", db.db)).into(),
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.db));
        }
    }
    let store = Db::open(&db.db).await?;
    let out = match stations {
        None => with_store!(&store, |s| demo::init(s, *seed).await),
        Some(n) => with_store!(&store, |s| demo_scaled::init(s, *seed, *n, *year).await),
    };
    let store = match store {
        Db::Sqlite(s) => lantian_server::Db::Sqlite(s),
        Db::Postgres(s) => lantian_server::Db::Postgres(s),
    };
    let out = async {
        let mut o = out?;
        o.push_str(&demo::seed_ledger(&store).await?);
        if let Some(n) = stations {
            let problems = problems.unwrap_or(*n as u64 * 10);
            o.push_str(&demo_scaled::seed_ledger(&store, *seed, problems, *year).await?);
        }
        if *accounts {
            let a = serve::create_demo_accounts(&store).await?;
            o.push_str(&serve::accounts_table(&a));
        }
        Ok(o)
    }
    .await;
    store.close().await;
    out
}

async fn run_bench(b: &cli::BenchArgs) -> anyhow::Result<String> {
    match &b.what {
        cli::BenchWhat::Mqtt { broker, messages } => {
            let r = lantian_ingest::mqtt::bench_throughput(broker, *messages).await?;
            Ok(format!("{}\n", serde_json::to_string_pretty(&r)?))
        }
        cli::BenchWhat::Ledger {
            db,
            problems,
            log,
            queries,
            no_fill,
            seed,
        } => {
            let opts = bench_ledger::Opts {
                problems: *problems,
                log: *log,
                queries: *queries,
                fill: !*no_fill,
                seed: *seed,
            };
            let store = Db::open(&db.db).await?;
            let out = with_store!(&store, |s| bench_ledger::run(s, &opts).await);
            store.close().await;
            out
        }
        cli::BenchWhat::Http {
            url,
            clients,
            seconds,
            paths,
            login,
        } => {
            let opts = bench_http::HttpOpts {
                url: url.clone(),
                clients: *clients,
                seconds: *seconds,
                paths: paths.clone(),
                login: login.as_deref().map(bench_http::split_login).transpose()?,
            };
            Ok(bench_http::run_http(&opts).await?.render())
        }
        cli::BenchWhat::IngestHttp {
            url,
            token,
            login,
            batch,
            batches,
            clients,
            from,
        } => {
            let from = lantian_domain::Timestamp::parse(from)
                .ok_or_else(|| cli::UsageError(format!("--from {from:?}: not an instant")))?;
            let opts = bench_http::IngestOpts {
                url: url.clone(),
                token: token.clone(),
                login: login.as_deref().map(bench_http::split_login).transpose()?,
                batch: *batch,
                batches: *batches,
                clients: *clients,
                from: from.0,
            };
            Ok(bench_http::run_ingest(&opts).await?.render())
        }
    }
}

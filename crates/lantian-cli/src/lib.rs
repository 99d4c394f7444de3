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
mod cli;
mod data;
mod output;
mod rank;

pub use cli::{Cli, Command};

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
    };
    match target {
        Some(path) => {
            output::write_atomic(&path, &bytes)?;
            Ok(Vec::new())
        }
        None => Ok(bytes),
    }
}

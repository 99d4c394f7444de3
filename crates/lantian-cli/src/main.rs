//! The `lantian` binary: parses arguments and hands over to `lantian_cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    lantian_cli::main_with_args(std::env::args_os())
}

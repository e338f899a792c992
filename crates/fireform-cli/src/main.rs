//! The `fireform` binary: arguments, wiring, printing and exit codes.
//!
//! Each subcommand lives in `commands/<name>.rs` and returns an [`ExitStatus`]; this file
//! parses arguments, runs the command, and turns errors into `error: …` / `caused by: …` /
//! `hint: …` lines on stderr. Only this crate prints; library crates return values and
//! diagnostics.

mod commands;
mod exit;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::ExitStatus;
use crate::output::{ColorChoice, Output};

const AFTER_HELP: &str = "\
Exit status:
  0  success (for `plan --detailed-exitcode`: no changes)
  1  error: invalid manifests, a failed API call, a refused plan
  2  changes present (only with `plan --detailed-exitcode`)

Environment:
  NO_COLOR  when set (to anything but an empty string), never colour output";

/// Manage Fireworks AI deployments, LoRA addons, datasets and fine-tuning jobs as code.
///
/// fireform reads YAML manifests (every `*.yaml`/`*.yml` file below a directory), checks them,
/// and links them into a dependency graph. Start with `fireform validate`.
#[derive(Debug, Parser)]
#[command(
    name = "fireform",
    version,
    after_help = AFTER_HELP,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// When to colour diagnostics: `auto` (when stderr is a terminal and `NO_COLOR` is
    /// unset), `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // The help text of each command is the doc comment of its `Args`.
    Validate(commands::validate::Args),
    Graph(commands::graph::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let output = Output::new(cli.color);
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(&args, &output),
        Command::Graph(args) => commands::graph::run(&args, &output),
    };
    match result {
        Ok(status) => status.into(),
        Err(error) if output::is_broken_pipe(&error) => ExitStatus::Success.into(),
        Err(error) => {
            output.error(&error);
            ExitStatus::Error.into()
        }
    }
}

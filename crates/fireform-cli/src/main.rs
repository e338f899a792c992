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
  0    success (for `plan --detailed-exitcode`: no changes)
  1    error: invalid manifests, a failed API call, a refused plan
  2    changes present (only with `plan --detailed-exitcode`)
  130  interrupted by Ctrl-C (state is saved)

Environment:
  FIREWORKS_API_KEY     the API key (never printed)
  FIREWORKS_ACCOUNT_ID  the account (discovered from the key when unset)
  FIREWORKS_BASE_URL    the API endpoint, or `local` for the embedded local control plane
  NO_COLOR              when set (to anything but an empty string), never colour output

Project file: `.fireform.yaml` in the project directory may set `endpoint`, `account` and `state`.";

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
    Plan(commands::plan::Args),
    Apply(commands::apply::Args),
    Destroy(commands::destroy::Args),
    Refresh(commands::refresh::Args),
    Import(commands::import::Args),
    State(commands::state::Args),
    ForceUnlock(commands::force_unlock::Args),
    Local(commands::local::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let output = Output::new(cli.color);
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(&args, &output),
        Command::Graph(args) => commands::graph::run(&args, &output),
        Command::Plan(args) => commands::plan::run(&args, &output),
        Command::Apply(args) => commands::apply::run(&args, &output),
        Command::Destroy(args) => commands::destroy::run(&args, &output),
        Command::Refresh(args) => commands::refresh::run(&args, &output),
        Command::Import(args) => commands::import::run(&args, &output),
        Command::State(args) => commands::state::run(&args, &output),
        Command::ForceUnlock(args) => commands::force_unlock::run(&args, &output),
        Command::Local(args) => commands::local::run(&args, &output),
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

//! The `fireform` binary: arguments, configuration, wiring, printing and exit codes.

use clap::Parser;

/// Manage your Fireworks AI account as code.
#[derive(Debug, Parser)]
#[command(name = "fireform", version)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}

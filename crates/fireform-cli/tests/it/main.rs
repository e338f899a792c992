//! Integration tests of the `fireform` binary: one test binary, one module per subcommand.
//! Every test runs the real binary and snapshots its exit code, stdout and stderr.

#![allow(clippy::unwrap_used, reason = "helpers of tests fail loudly, as the tests do")]

mod apply;
mod crash;
mod destroy;
mod engine_support;
mod graph;
mod lock;
mod outputs;
mod ownership_prop;
mod plan;
mod remote_state;
mod safety;
mod semantics;
mod state;
mod validate;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: tests run the binary from there so that printed paths are stable.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Runs `fireform` with `args` in `dir`, with colour off, and renders the outcome for a
/// snapshot.
fn run_in(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_fireform"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    format!(
        "exit_code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        output.status.code().map_or_else(|| "signal".to_owned(), |code| code.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    )
}

/// Runs `fireform` from the workspace root.
fn run(args: &[&str]) -> String {
    run_in(&root(), args)
}

/// Replaces a temporary directory in output with `[TEMP_DIR]`.
fn filter_temp(text: &str, temp: &Path) -> String {
    let real = temp.canonicalize().unwrap();
    text.replace(&real.display().to_string(), "[TEMP_DIR]")
        .replace(&temp.display().to_string(), "[TEMP_DIR]")
}

//! Integration tests of fireform-state through its public API: the local backend on a real
//! temporary directory, locks between threads and processes, and crashes.
//!
//! Child processes are this test binary re-executed with [`CHILD_ENV`] set, running one test
//! that plays the child's part; they never touch the network.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "test helpers and test children should fail loudly, like the tests"
)]

mod crash;
mod local;
mod lock;
mod store;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use fireform_core::ResourceAddr;
use fireform_state::{LocalBackend, ResourceState, StateDocument, default_state_path};
use serde_json::json;

/// Set in a re-executed child to the role it plays; the test directory is in [`DIR_ENV`].
const CHILD_ENV: &str = "FIREFORM_STATE_TEST_CHILD";
const DIR_ENV: &str = "FIREFORM_STATE_TEST_DIR";
/// What a child prints once it holds the lock. libtest may print on the same line first.
const LOCKED: &str = "<child holds the lock>";

/// A fresh project directory and a backend on its default state path.
fn project() -> (tempfile::TempDir, LocalBackend) {
    let project = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(default_state_path(project.path()));
    (project, backend)
}

fn addr(text: &str) -> ResourceAddr {
    text.parse().unwrap()
}

/// A dataset record named `name` whose spec carries `payload`.
fn dataset(name: &str, payload: &str) -> ResourceState {
    let spec = json!({"format": "CHAT", "payload": payload});
    ResourceState::new(
        addr(&format!("dataset/{name}")),
        name,
        format!("accounts/acme/datasets/{name}"),
        spec.as_object().unwrap().clone(),
    )
}

/// A new document with one change recorded.
fn document_with(names: &[&str]) -> StateDocument {
    let mut document = StateDocument::new();
    for name in names {
        document.upsert(dataset(name, "rows"));
    }
    document.bump_serial();
    document
}

/// Polls `condition` until it holds or a minute passes.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Re-executes this test binary to run `test` (its full path) as a child playing `role` on the
/// project in `dir`.
fn child(test: &str, role: &str, dir: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, role)
        .env(DIR_ENV, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    command
}

/// Waits until the child `process` says it holds the lock; returns its stdout, to be kept open
/// until the child exits.
fn wait_for_lock(process: &mut Child) -> BufReader<ChildStdout> {
    let mut stdout = BufReader::new(process.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains(LOCKED) {
        line.clear();
        let read = stdout.read_line(&mut line).unwrap();
        assert!(read > 0, "the child exited without taking the lock");
    }
    stdout
}

/// The role and project directory when running as a child.
fn child_role() -> Option<(String, PathBuf)> {
    let role = std::env::var(CHILD_ENV).ok()?;
    let dir = std::env::var_os(DIR_ENV).map(PathBuf::from)?;
    Some((role, dir))
}

/// Unix permission bits of `path`.
#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

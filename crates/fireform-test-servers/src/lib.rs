//! Real servers on loopback for the state-backend tests (issue 12): a throwaway PostgreSQL cluster
//! ([`Postgres`]) and an S3-compatible server, LocalStack or moto ([`S3Server`], [`S3Kind`]).
//!
//! Every start makes a fresh server in its own temporary directory on a free `127.0.0.1` port, so
//! any number of tests may start servers in parallel; dropping the handle stops the server and
//! removes the directory. Each server is watched by a small shell process reading a pipe from the
//! test process, so a test binary that dies (even by `kill -9`) still takes its servers with it.
//!
//! The binaries come from the project's own setup scripts, never from the network at test time:
//! `.ci/setup.d/postgres.sh` (PostgreSQL server binaries, the `fireform-pg` user) and
//! `.ci/setup.d/s3.sh` (LocalStack and moto in `target/s3-venv`). A missing server is a panic
//! naming the script to run, never a skipped test.
//!
//! This crate is for tests only: it panics on every failure, with the server's log in the message.

mod http;
mod postgres;
mod s3;
mod watch;

pub use http::Response;
pub use postgres::Postgres;
pub use s3::{S3Kind, S3Server};

use std::net::TcpListener;
use std::path::PathBuf;

/// How many times a start is tried when its port turns out to be taken: ports are chosen by
/// binding `127.0.0.1:0` and released before the server binds them, so another process may win.
const START_ATTEMPTS: u32 = 3;

/// A port on `127.0.0.1` that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("binding 127.0.0.1:0 to find a free port")
        .port()
}

/// Whether a server's log says its port was taken, so that the start is worth another try.
fn port_was_taken(log: &str) -> bool {
    log.contains("Address already in use") || log.contains("could not bind")
}

/// The repository root (the workspace), which relative paths in `FIREFORM_*` variables start from.
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether this process runs as root (`/proc/self` belongs to the effective user).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0)
}

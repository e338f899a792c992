//! Integration tests of the emulator: handler tests without a socket (`router().oneshot`) and
//! tests over a real loopback socket with reqwest, one module per area.

#![allow(clippy::unwrap_used, reason = "test helpers should fail loudly, like the tests")]

mod handlers;
mod lifecycle;
mod lists;
mod persistence;
mod support;
mod trouble;
mod uploads;

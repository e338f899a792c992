//! Integration tests of `fireform-client` against the emulator on a random loopback port, with
//! its trouble knobs switched on where a test is about trouble. One binary, a module per area.

#![allow(clippy::unwrap_used, reason = "test helpers should fail loudly, like the tests")]

mod accounts;
mod datasets;
mod deployed_models;
mod deployments;
mod jobs;
mod mangled;
mod pagination;
mod secrets;
mod support;
mod trouble;
mod waits;

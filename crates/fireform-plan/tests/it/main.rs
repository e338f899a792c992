//! Engine tests: real manifests on disk, real state files, an in-memory provider.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly, which is what a test wants")]

mod engine;
mod fake;

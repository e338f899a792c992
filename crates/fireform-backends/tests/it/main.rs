//! The remote backends against real servers on loopback: a throwaway PostgreSQL cluster,
//! LocalStack and moto (started by `fireform-test-servers`; a missing one fails, never skips).

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod proxy;
mod store;

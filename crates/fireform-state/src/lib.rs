//! fireform's state: the versioned JSON document recording what fireform manages, saved
//! atomically and locked against concurrent runs.
//!
//! - [`StateDocument`] and [`ResourceState`]: the document and its records; the format is
//!   described in [`format`](mod@format) (`FORMAT.md` in this crate).
//! - [`Backend`]: where state lives and how it is locked; [`LocalBackend`] is the state file
//!   `.fireform/state.json` ([`default_state_path`]) with its backup and lock file.
//! - [`StateStore`]: a run's locked state, updated from many threads, saved after every change.
//! - [`LockInfo`]: who holds a lock, shown when another run finds the state locked.
//!
//! This crate performs no network I/O and knows nothing about manifests, plans or the Fireworks
//! API: specs and values are opaque JSON to it.

mod backend;
mod document;
mod error;
mod local;
mod lock;
mod store;
mod time;

pub use backend::{Backend, LockGuard};
pub use document::{FORMAT_VERSION, ResourceState, StateDocument};
pub use error::{DocumentError, Error};
pub use local::{LocalBackend, STATE_DIR, STATE_FILE, default_state_path};
pub use lock::{Holder, LockInfo, hostname, random_id};
pub use store::{Saving, StateStore};
pub use time::{format_rfc3339, now_rfc3339, parse_rfc3339};

/// The version of fireform, recorded in state documents and locks.
pub const FIREFORM_VERSION: &str = env!("CARGO_PKG_VERSION");

#[doc = include_str!("../FORMAT.md")]
pub mod format {}

//! Shared vocabulary of fireform: the kinds of resource it manages, their addresses, and the
//! attribute values that flow between manifests, plans and state.
//!
//! This crate performs no I/O and knows nothing about YAML, HTTP or the state file; every other
//! fireform crate may depend on it.

mod addr;
mod kind;
mod lifecycle;
mod value;

pub use addr::{AddrParseError, ResourceAddr, is_valid_id};
pub use kind::ResourceKind;
pub use lifecycle::{Lifecycle, Timeouts};
pub use value::{Reference, Value};

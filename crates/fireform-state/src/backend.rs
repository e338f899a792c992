//! The storage interface: where a state document lives and how it is locked.
//!
//! [`Backend`] is deliberately small so that a shared backend (object storage, an HTTP service)
//! can be added beside [`crate::LocalBackend`] without touching the plan engine. It says nothing
//! about how a backend achieves atomicity or mutual exclusion, only what callers may rely on.

use std::fmt;
use std::time::Duration;

use crate::document::StateDocument;
use crate::error::Error;
use crate::lock::LockInfo;

/// A place where state is stored and locked.
///
/// Callers take the lock before they save; [`crate::StateStore`] does both.
pub trait Backend: Send + Sync + fmt::Debug {
    /// Reads the stored document, or `None` when no state has been saved yet.
    fn load(&self) -> Result<Option<StateDocument>, Error>;

    /// Stores `document`, atomically: a reader sees the previous document or this one, never a
    /// mix, whatever happens mid-save. The document's serial must be greater than the stored
    /// one's and its lineage the same, or the save is refused ([`Error::SerialConflict`],
    /// [`Error::LineageConflict`]).
    fn save(&self, document: &StateDocument) -> Result<(), Error>;

    /// Takes the lock for the holder `info`. Fails at once with [`Error::Locked`] when another
    /// holder has it and `timeout` is zero; otherwise retries with back-off until it is free or
    /// `timeout` has passed. A lock known to be left behind by a dead process fails at once,
    /// whatever the timeout. The lock is released when the guard is dropped or released.
    fn lock(&self, info: LockInfo, timeout: Duration) -> Result<Box<dyn LockGuard>, Error>;

    /// Removes the lock if, and only if, its id is `lock_id`, returning who held it. For locks
    /// left behind by runs that died.
    fn force_unlock(&self, lock_id: &str) -> Result<LockInfo, Error>;

    /// Where the state lives, for messages, e.g. ``local state file `.fireform/state.json` ``.
    fn describe(&self) -> String;
}

/// A held state lock. Dropping it releases the lock, ignoring errors;
/// [`release`](LockGuard::release) reports them.
pub trait LockGuard: Send + Sync + fmt::Debug {
    /// The description this lock was taken with.
    fn info(&self) -> &LockInfo;

    /// Releases the lock. Fails with [`Error::LockLost`] when the lock was force-unlocked (and
    /// perhaps taken by another run) while it was held; the other run's lock is left alone.
    fn release(self: Box<Self>) -> Result<(), Error>;
}

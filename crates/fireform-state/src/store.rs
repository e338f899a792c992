//! [`StateStore`]: the locked, in-memory state of one run, saved after every change.
//!
//! The plan engine applies resources in parallel and records state after each operation, so the
//! store is `Send + Sync`: changes are applied one at a time under a mutex and saved by whoever
//! gets to the backend next. Changes that arrive while a save is in flight are written together
//! by the next save (a group commit), so a burst of parallel updates costs far fewer writes than
//! updates, yet no [`StateStore::update`] returns before a save that includes its change has
//! succeeded. The store does not know what the changes mean; that is the engine's business.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::backend::{Backend, LockGuard};
use crate::document::StateDocument;
use crate::error::Error;
use crate::lock::LockInfo;

/// The state of one run: the backend, the lock held on it for the store's whole life, and the
/// current document.
#[derive(Debug)]
pub struct StateStore {
    // Declared before `lock` so the backend outlives nothing it needs; the lock is released
    // when the store is dropped or closed.
    backend: Box<dyn Backend>,
    lock: Box<dyn LockGuard>,
    // The current document; shared with an in-flight save, copied on write.
    document: Mutex<Arc<StateDocument>>,
    // The highest serial known to be saved (or loaded). Held for the duration of a save, so
    // saves are serialised.
    saved: Mutex<u64>,
}

impl StateStore {
    /// Locks the state for `lock` (waiting up to `timeout`, see [`Backend::lock`]) and loads it;
    /// a backend with no state yet gives an empty document, saved on the first update.
    pub fn open(
        backend: Box<dyn Backend>,
        lock: LockInfo,
        timeout: Duration,
    ) -> Result<StateStore, Error> {
        let guard = backend.lock(lock, timeout)?;
        // On a load error the guard is dropped here, releasing the lock.
        let document = backend.load()?.unwrap_or_default();
        let saved = document.serial();
        Ok(StateStore {
            backend,
            lock: guard,
            document: Mutex::new(Arc::new(document)),
            saved: Mutex::new(saved),
        })
    }

    /// The current document. Cheap: it shares the document until the next update.
    pub fn snapshot(&self) -> Arc<StateDocument> {
        Arc::clone(&lock(&self.document))
    }

    /// Applies `change` to the document, increments the serial and saves, returning what
    /// `change` returned once a save including the change has succeeded.
    ///
    /// Safe to call from many threads at once. If the save fails the change stays in memory
    /// and the error is returned; the next successful update saves it too. A panic inside
    /// `change` leaves whatever it had changed in memory, to be saved with the next update.
    pub fn update<R>(&self, change: impl FnOnce(&mut StateDocument) -> R) -> Result<R, Error> {
        let (result, serial) = {
            let mut shared = lock(&self.document);
            let document = Arc::make_mut(&mut shared);
            let result = change(document);
            document.bump_serial();
            (result, document.serial())
        };
        self.persist(serial)?;
        Ok(result)
    }

    /// Saves the current document unless a save that included serial `serial` has already
    /// succeeded.
    fn persist(&self, serial: u64) -> Result<(), Error> {
        let mut saved = lock(&self.saved);
        if *saved >= serial {
            return Ok(());
        }
        let snapshot = self.snapshot();
        self.backend.save(&snapshot)?;
        *saved = snapshot.serial();
        Ok(())
    }

    /// The description the lock was taken with.
    pub fn lock_info(&self) -> &LockInfo {
        self.lock.info()
    }

    /// The backend the state lives in.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// Releases the lock, reporting a failure to do so (dropping the store releases it too,
    /// silently).
    pub fn close(self) -> Result<(), Error> {
        self.lock.release()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

//! [`StateStore`]: the locked, in-memory state of one run, saved after every change.
//!
//! The plan engine applies resources in parallel and records state after each operation, so the
//! store is `Send + Sync`: changes are applied one at a time under a mutex, in memory, and a
//! saver thread owned by the store writes them to the backend. Changes that arrive while a save
//! is in flight are written together by the next save (a group commit), so a burst of parallel
//! changes costs far fewer writes than changes. A change is only reported done once a save that
//! includes it has succeeded: [`StateStore::update`] blocks the calling thread until then, and
//! [`StateStore::update_async`] returns a future, so that an async caller keeps its other work
//! moving while the file is written and synced. Dropping or closing the store saves whatever is
//! still unsaved before the lock is released.
//!
//! The store does not know what the changes mean; that is the engine's business. It needs no
//! async runtime: the future is woken by the saver thread through a plain [`Waker`].

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::backend::{Backend, LockGuard};
use crate::document::StateDocument;
use crate::error::Error;
use crate::lock::LockInfo;

/// The state of one run: the backend, the lock held on it for the store's whole life, the
/// current document and the thread that saves it.
#[derive(Debug)]
pub struct StateStore {
    shared: Arc<Shared>,
    saver: Option<JoinHandle<()>>,
    // Released after the saver has written the last change (see `Drop`).
    lock: Option<Box<dyn LockGuard>>,
}

#[derive(Debug)]
struct Shared {
    backend: Box<dyn Backend>,
    // The current document; shared with an in-flight save, copied on write.
    document: Mutex<Arc<StateDocument>>,
    progress: Mutex<Progress>,
    // Signalled when a change wants saving, or when the store shuts down.
    wanted: Condvar,
    // Signalled when a save ends, for blocked `update` callers.
    finished: Condvar,
}

// Invariant: `saved <= tried`, and `failed` is `None` whenever `saved == tried`.
#[derive(Debug)]
struct Progress {
    // The highest serial a caller has asked to be saved.
    wanted: u64,
    // The highest serial known to be saved (or loaded).
    saved: u64,
    // The last failed save: the serial it tried to write and why it failed. Changes up to that
    // serial that are not saved yet fail with it.
    failed: Option<(u64, Arc<Error>)>,
    // The serial of the last save tried, successful or not.
    tried: u64,
    // Futures waiting for a save.
    wakers: Vec<Waker>,
    shutdown: bool,
}

impl Progress {
    /// Whether the change with `serial` is saved (`Ok`), failed to save (`Err`), or neither yet.
    fn outcome(&self, serial: u64) -> Option<Result<(), Arc<Error>>> {
        if self.saved >= serial {
            return Some(Ok(()));
        }
        match &self.failed {
            Some((tried, error)) if *tried >= serial => Some(Err(Arc::clone(error))),
            _ => None,
        }
    }
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
        let shared = Arc::new(Shared {
            backend,
            document: Mutex::new(Arc::new(document)),
            progress: Mutex::new(Progress {
                wanted: saved,
                saved,
                failed: None,
                tried: saved,
                wakers: Vec::new(),
                shutdown: false,
            }),
            wanted: Condvar::new(),
            finished: Condvar::new(),
        });
        let saver = std::thread::Builder::new()
            .name("fireform-state-saver".to_owned())
            .spawn({
                let shared = Arc::clone(&shared);
                move || shared.run_saver()
            })
            .map_err(Error::Saver)?;
        Ok(StateStore { shared, saver: Some(saver), lock: Some(guard) })
    }

    /// The current document. Cheap: it shares the document until the next update.
    pub fn snapshot(&self) -> Arc<StateDocument> {
        Arc::clone(&lock(&self.shared.document))
    }

    /// Applies `change` to the document, increments the serial and saves, returning what
    /// `change` returned once a save including the change has succeeded. Blocks the calling
    /// thread meanwhile; async code uses [`StateStore::update_async`].
    ///
    /// Safe to call from many threads at once. If the save fails the change stays in memory
    /// and the error is returned; the next successful save includes it too. A panic inside
    /// `change` leaves whatever it had changed in memory, to be saved with the next update.
    pub fn update<R>(&self, change: impl FnOnce(&mut StateDocument) -> R) -> Result<R, Error> {
        let (result, serial) = self.change(change);
        let mut progress = lock(&self.shared.progress);
        loop {
            if let Some(outcome) = progress.outcome(serial) {
                return outcome.map(|()| result).map_err(Error::Save);
            }
            progress = self.shared.finished.wait(progress).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Applies `change` to the document at once, increments the serial, and returns a future
    /// that resolves to what `change` returned once a save including the change has succeeded
    /// (or to the save's error). The change is visible to [`StateStore::snapshot`] immediately
    /// and is saved whether or not the future is awaited.
    pub fn update_async<R>(&self, change: impl FnOnce(&mut StateDocument) -> R) -> Saving<'_, R> {
        let (result, serial) = self.change(change);
        Saving { shared: &self.shared, serial, result: Some(result) }
    }

    fn change<R>(&self, change: impl FnOnce(&mut StateDocument) -> R) -> (R, u64) {
        let (result, serial) = {
            let mut current = lock(&self.shared.document);
            let document = Arc::make_mut(&mut current);
            let result = change(document);
            document.bump_serial();
            (result, document.serial())
        };
        let mut progress = lock(&self.shared.progress);
        if serial > progress.wanted {
            progress.wanted = serial;
            self.shared.wanted.notify_one();
        }
        (result, serial)
    }

    /// The description the lock was taken with.
    pub fn lock_info(&self) -> &LockInfo {
        self.lock.as_ref().expect("the lock is held until the store is dropped").info()
    }

    /// The backend the state lives in.
    pub fn backend(&self) -> &dyn Backend {
        self.shared.backend.as_ref()
    }

    /// Saves what is still unsaved, then releases the lock, reporting a failure of either
    /// (dropping the store does both too, silently).
    pub fn close(mut self) -> Result<(), Error> {
        self.stop_saver();
        let unsaved = {
            let progress = lock(&self.shared.progress);
            match &progress.failed {
                _ if progress.saved >= progress.wanted => None,
                Some((_, error)) => Some(Arc::clone(error)),
                None => Some(Arc::new(Error::SavePanicked("the state saver stopped".to_owned()))),
            }
        };
        let released = match self.lock.take() {
            Some(guard) => guard.release(),
            None => Ok(()),
        };
        match unsaved {
            Some(error) => Err(Error::Save(error)),
            None => released,
        }
    }

    /// Asks the saver to write what is left and waits for it to finish.
    fn stop_saver(&mut self) {
        let Some(saver) = self.saver.take() else { return };
        lock(&self.shared.progress).shutdown = true;
        self.shared.wanted.notify_one();
        // The saver only panics if the backend does; its changes are then lost either way.
        let _ = saver.join();
    }
}

impl Drop for StateStore {
    fn drop(&mut self) {
        self.stop_saver();
        // `lock` is dropped after this, releasing the lock once everything is saved.
    }
}

impl Shared {
    /// The saver thread: saves the current document whenever a change wants saving, so changes
    /// made during a save are written together by the next one.
    fn run_saver(&self) {
        let mut progress = lock(&self.progress);
        loop {
            while progress.wanted <= progress.tried && !progress.shutdown {
                progress = self.wanted.wait(progress).unwrap_or_else(PoisonError::into_inner);
            }
            // Shutting down with nothing new to save; after a failure, one last attempt.
            if progress.wanted <= progress.tried && progress.saved >= progress.wanted {
                return;
            }
            let last_attempt = progress.shutdown;
            drop(progress);

            let snapshot = Arc::clone(&lock(&self.document));
            let serial = snapshot.serial();
            // A backend that panics fails this save; it must not leave callers waiting forever.
            let result = panic::catch_unwind(AssertUnwindSafe(|| self.backend.save(&snapshot)))
                .unwrap_or_else(|payload| Err(Error::SavePanicked(panic_message(&*payload))));

            progress = lock(&self.progress);
            progress.tried = serial;
            match result {
                Ok(()) => {
                    progress.saved = serial;
                    progress.failed = None;
                }
                Err(error) => progress.failed = Some((serial, Arc::new(error))),
            }
            let wakers = std::mem::take(&mut progress.wakers);
            let finished = last_attempt && progress.wanted <= progress.tried;
            // Woken without the lock held: an executor may poll the future at once.
            drop(progress);
            wakers.into_iter().for_each(Waker::wake);
            self.finished.notify_all();
            if finished {
                return;
            }
            progress = lock(&self.progress);
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

/// The future of [`StateStore::update_async`]: resolves once a save including the change has
/// succeeded or failed.
#[derive(Debug)]
#[must_use = "the change is saved anyway, but only awaiting this tells whether it was"]
pub struct Saving<'a, R> {
    shared: &'a Shared,
    serial: u64,
    result: Option<R>,
}

// `Saving` holds no self-references; `R` is only moved out.
impl<R> Unpin for Saving<'_, R> {}

impl<R> Future for Saving<'_, R> {
    type Output = Result<R, Error>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let mut progress = lock(&self.shared.progress);
        match progress.outcome(self.serial) {
            Some(outcome) => {
                drop(progress);
                let result = self.result.take().expect("a finished `Saving` is not polled again");
                Poll::Ready(outcome.map(|()| result).map_err(Error::Save))
            }
            None => {
                if !progress.wakers.iter().any(|waker| waker.will_wake(context.waker())) {
                    progress.wakers.push(context.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

//! `StateStore`: a run's locked state, updated from many threads.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Duration;

use fireform_state::{
    Backend, Error, LocalBackend, LockGuard, LockInfo, StateDocument, StateStore,
};
use serde_json::json;

use crate::{addr, dataset, project};

fn open(backend: &LocalBackend) -> Result<StateStore, Error> {
    let backend = LocalBackend::new(backend.path());
    StateStore::open(Box::new(backend), LockInfo::new("fireform apply"), Duration::ZERO)
}

#[test]
fn a_new_store_is_empty_and_writes_on_the_first_update() {
    let (_project, backend) = project();
    let store = open(&backend).unwrap();
    assert_eq!(store.snapshot().serial(), 0);
    assert!(!backend.path().exists());
    store.update(|state| state.upsert(dataset("chats", "rows"))).unwrap();
    let saved = backend.load().unwrap().unwrap();
    assert_eq!(saved.serial(), 1);
    assert_eq!(saved.lineage(), store.snapshot().lineage());
    store.close().unwrap();
}

#[test]
fn every_update_increments_the_serial_and_is_saved() {
    let (_project, backend) = project();
    let store = open(&backend).unwrap();
    for round in 1..=5u64 {
        store
            .update(|state| {
                let record = state.resource_mut(&addr("dataset/chats"));
                match record {
                    Some(record) => {
                        record.values.insert("round".to_owned(), json!(round));
                    }
                    None => {
                        state.upsert(dataset("chats", "rows"));
                    }
                }
            })
            .unwrap();
        assert_eq!(backend.load().unwrap().unwrap().serial(), round);
    }
    drop(store);
    let reopened = open(&backend).unwrap();
    let state = reopened.snapshot();
    assert_eq!(state.serial(), 5);
    assert_eq!(state.resource(&addr("dataset/chats")).unwrap().values["round"], json!(5));
}

#[test]
fn a_second_store_on_locked_state_is_refused() {
    let (_project, backend) = project();
    let store = open(&backend).unwrap();
    let error = open(&backend).unwrap_err();
    let Error::Locked { holder, .. } = &error else { panic!("{error:?}") };
    assert_eq!(**holder, *store.lock_info());
    store.close().unwrap();
    open(&backend).unwrap().close().unwrap();
}

#[test]
fn parallel_updates_lose_nothing() {
    const THREADS: usize = 8;
    const UPDATES: usize = 50;
    let (_project, backend) = project();
    let store = Arc::new(open(&backend).unwrap());
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let store = Arc::clone(&store);
            let path = backend.path().to_path_buf();
            std::thread::spawn(move || {
                for update in 0..UPDATES {
                    let name = format!("t{thread}-u{update}");
                    let serial = store
                        .update(|state| {
                            state.upsert(dataset(&name, "rows"));
                            state.serial()
                        })
                        .unwrap();
                    // Once update returns, the change is on disk.
                    let saved = LocalBackend::new(&path).load().unwrap().unwrap();
                    assert!(saved.serial() > serial, "{} <= {serial}", saved.serial());
                    assert!(saved.resource(&addr(&format!("dataset/{name}"))).is_some());
                }
            })
        })
        .collect();
    workers.into_iter().for_each(|worker| worker.join().unwrap());

    let total = (THREADS * UPDATES) as u64;
    assert_eq!(store.snapshot().serial(), total);
    let saved = backend.load().unwrap().unwrap();
    assert_eq!(saved.serial(), total);
    assert_eq!(saved.len() as u64, total);
    assert_eq!(saved, *store.snapshot());
}

#[test]
fn a_failed_save_keeps_the_change_for_the_next_one() {
    let (_project, backend) = project();
    let store = open(&backend).unwrap();
    store.update(|state| state.upsert(dataset("chats", "rows"))).unwrap();
    // Another writer (say, after a force-unlock) moves the state on under the store.
    let intruder = LocalBackend::new(backend.path());
    let mut theirs = intruder.load().unwrap().unwrap();
    theirs.bump_serial();
    theirs.bump_serial();
    intruder.save(&theirs).unwrap();

    let error = store.update(|state| state.upsert(dataset("eval", "rows"))).unwrap_err();
    let cause = error.root();
    assert!(matches!(cause, Error::SerialConflict { on_disk: 3, writing: 2, .. }), "{error:?}");
    assert!(store.snapshot().resource(&addr("dataset/eval")).is_some());
    // The next update is at serial 3 as well: still refused, nothing of theirs is lost.
    let error = store.update(|_| ()).unwrap_err();
    let cause = error.root();
    assert!(matches!(cause, Error::SerialConflict { on_disk: 3, writing: 3, .. }), "{error:?}");
    assert_eq!(backend.load().unwrap().unwrap(), theirs);
}

/// A local backend that counts saves and makes each one take `delay`, like a slow disk.
#[derive(Debug)]
struct SlowBackend {
    inner: LocalBackend,
    delay: Duration,
    saves: Arc<AtomicUsize>,
    // Serials in the order they were saved.
    serials: Arc<Mutex<Vec<u64>>>,
}

impl SlowBackend {
    fn new(backend: &LocalBackend, delay: Duration) -> SlowBackend {
        SlowBackend {
            inner: LocalBackend::new(backend.path()),
            delay,
            saves: Arc::default(),
            serials: Arc::default(),
        }
    }
}

impl Backend for SlowBackend {
    fn load(&self) -> Result<Option<StateDocument>, Error> {
        self.inner.load()
    }

    fn save(&self, document: &StateDocument) -> Result<(), Error> {
        std::thread::sleep(self.delay);
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.serials.lock().unwrap().push(document.serial());
        self.inner.save(document)
    }

    fn lock(&self, info: LockInfo, timeout: Duration) -> Result<Box<dyn LockGuard>, Error> {
        self.inner.lock(info, timeout)
    }

    fn force_unlock(&self, lock_id: &str) -> Result<LockInfo, Error> {
        self.inner.force_unlock(lock_id)
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// Wakes a parked thread: enough of an executor to drive the store's futures.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls every future in turn until all are ready, parking in between.
fn block_on_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    while outputs.iter().any(Option::is_none) {
        for (future, output) in futures.iter_mut().zip(&mut outputs) {
            if output.is_none()
                && let Poll::Ready(value) = future.as_mut().poll(&mut context)
            {
                *output = Some(value);
            }
        }
        if outputs.iter().any(Option::is_none) {
            std::thread::park_timeout(Duration::from_secs(1));
        }
    }
    outputs.into_iter().map(Option::unwrap).collect()
}

#[test]
fn an_async_update_is_visible_at_once_and_resolves_once_saved() {
    let (_project, backend) = project();
    let slow = SlowBackend::new(&backend, Duration::from_millis(200));
    let saves = Arc::clone(&slow.saves);
    let store =
        StateStore::open(Box::new(slow), LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
    let saving = store.update_async(|state| {
        state.upsert(dataset("chats", "rows"));
        "done"
    });
    // In memory at once, whether or not the save has happened.
    assert!(store.snapshot().resource(&addr("dataset/chats")).is_some());
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut saving = pin!(saving);
    // The save takes 200 ms, so the first poll finds it unfinished.
    assert!(saving.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
    let [result] = block_on_all(vec![saving]).try_into().unwrap();
    assert_eq!(result.unwrap(), "done");
    assert_eq!(saves.load(Ordering::SeqCst), 1);
    assert!(backend.load().unwrap().unwrap().resource(&addr("dataset/chats")).is_some());
    store.close().unwrap();
}

#[test]
fn concurrent_async_updates_share_saves() {
    const UPDATES: usize = 40;
    let (_project, backend) = project();
    let slow = SlowBackend::new(&backend, Duration::from_millis(50));
    let saves = Arc::clone(&slow.saves);
    let serials = Arc::clone(&slow.serials);
    let store =
        StateStore::open(Box::new(slow), LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
    let futures: Vec<_> = (0..UPDATES)
        .map(|index| {
            store.update_async(move |state| {
                state.upsert(dataset(&format!("d{index}"), "rows"));
                index
            })
        })
        .collect();
    let results = block_on_all(futures);
    assert_eq!(
        results.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        (0..UPDATES).collect::<Vec<_>>()
    );
    // One save for the first change, one for everything that arrived meanwhile (a little
    // slack for a loaded machine pausing this thread mid-loop); one per change without grouping.
    let saves = saves.load(Ordering::SeqCst);
    assert!(saves <= 4, "{saves} saves for {UPDATES} updates: {:?}", serials.lock().unwrap());
    let saved = backend.load().unwrap().unwrap();
    assert_eq!(saved.serial(), UPDATES as u64);
    assert_eq!(saved.len(), UPDATES);
    store.close().unwrap();
}

#[test]
fn dropping_the_store_saves_what_was_not_awaited() {
    let (_project, backend) = project();
    let slow = SlowBackend::new(&backend, Duration::from_millis(30));
    let store =
        StateStore::open(Box::new(slow), LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
    for index in 0..5 {
        drop(store.update_async(move |state| state.upsert(dataset(&format!("d{index}"), "rows"))));
    }
    drop(store);
    let saved = backend.load().unwrap().unwrap();
    assert_eq!((saved.serial(), saved.len()), (5, 5));
    // The lock was released after the last save: a new store opens at once.
    open(&backend).unwrap().close().unwrap();
}

#[test]
fn a_failed_async_save_reports_to_every_change_it_carried() {
    let (_project, backend) = project();
    let store = open(&backend).unwrap();
    store.update(|state| state.upsert(dataset("chats", "rows"))).unwrap();
    let intruder = LocalBackend::new(backend.path());
    let mut theirs = intruder.load().unwrap().unwrap();
    theirs.bump_serial();
    theirs.bump_serial();
    intruder.save(&theirs).unwrap();

    let first = store.update_async(|state| state.upsert(dataset("a", "rows")));
    let second = store.update_async(|state| state.upsert(dataset("b", "rows")));
    for result in block_on_all(vec![first, second]) {
        let error = result.unwrap_err();
        assert!(matches!(error.root(), Error::SerialConflict { on_disk: 3, .. }), "{error:?}");
    }
    // Closing reports that changes are left unsaved; theirs is untouched.
    let error = store.close().unwrap_err();
    assert!(matches!(error.root(), Error::SerialConflict { .. }), "{error:?}");
    assert_eq!(backend.load().unwrap().unwrap(), theirs);
}

/// A backend whose saves panic, like a bug in a storage driver.
#[derive(Debug)]
struct PanickingBackend(LocalBackend);

impl Backend for PanickingBackend {
    fn load(&self) -> Result<Option<StateDocument>, Error> {
        self.0.load()
    }

    fn save(&self, _document: &StateDocument) -> Result<(), Error> {
        panic!("driver bug")
    }

    fn lock(&self, info: LockInfo, timeout: Duration) -> Result<Box<dyn LockGuard>, Error> {
        self.0.lock(info, timeout)
    }

    fn force_unlock(&self, lock_id: &str) -> Result<LockInfo, Error> {
        self.0.force_unlock(lock_id)
    }

    fn describe(&self) -> String {
        self.0.describe()
    }
}

#[test]
fn a_panicking_backend_fails_the_save_instead_of_hanging() {
    let (_project, backend) = project();
    let panicking = PanickingBackend(LocalBackend::new(backend.path()));
    let store =
        StateStore::open(Box::new(panicking), LockInfo::new("fireform apply"), Duration::ZERO)
            .unwrap();
    let error = store.update(|state| state.upsert(dataset("chats", "rows"))).unwrap_err();
    assert!(
        matches!(error.root(), Error::SavePanicked(message) if message == "driver bug"),
        "{error:?}"
    );
    let [result] = block_on_all(vec![store.update_async(|_| ())]).try_into().unwrap();
    assert!(matches!(result.unwrap_err().root(), Error::SavePanicked(_)));
    // The saver is still there for later changes, and closing says they were not saved.
    let error = store.close().unwrap_err();
    assert!(matches!(error.root(), Error::SavePanicked(_)), "{error:?}");
    assert!(backend.load().unwrap().is_none());
    open(&backend).unwrap().close().unwrap();
}

//! `StateStore`: a run's locked state, updated from many threads.

use std::sync::Arc;
use std::time::Duration;

use fireform_state::{Backend, Error, LocalBackend, LockInfo, StateStore};
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
    assert!(matches!(error, Error::SerialConflict { on_disk: 3, writing: 2, .. }), "{error:?}");
    assert!(store.snapshot().resource(&addr("dataset/eval")).is_some());
    // The next update is at serial 3 as well: still refused, nothing of theirs is lost.
    let error = store.update(|_| ()).unwrap_err();
    assert!(matches!(error, Error::SerialConflict { on_disk: 3, writing: 3, .. }), "{error:?}");
    assert_eq!(backend.load().unwrap().unwrap(), theirs);
}

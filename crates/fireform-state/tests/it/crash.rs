//! A run killed with SIGKILL in the middle of saving leaves valid state, a valid backup, and a
//! lock that the next run reports as left behind by a dead process.

use std::time::Duration;

use fireform_state::{
    Backend, Error, Holder, LocalBackend, LockInfo, StateDocument, StateStore, default_state_path,
};

use crate::{LOCKED, child, child_role, dataset, project, wait_for_lock, wait_until};

const TEST: &str = "crash::a_run_killed_while_saving_leaves_valid_state";

/// The child: saves forever, one new resource per update, with a payload large enough that a
/// save takes a while.
fn save_forever(project: &std::path::Path) {
    let backend = LocalBackend::new(default_state_path(project));
    let store = StateStore::open(
        Box::new(backend),
        LockInfo::new("fireform apply"),
        Duration::from_secs(30),
    )
    .unwrap();
    println!("{LOCKED}");
    let payload = "x".repeat(4096);
    loop {
        store
            .update(|state| {
                let name = format!("r{}", state.serial() + 1);
                state.upsert(dataset(&name, &payload));
            })
            .unwrap();
    }
}

/// Every record was added by one update, so a consistent state has as many as its serial.
fn assert_consistent(document: &StateDocument) {
    assert_eq!(document.len() as u64, document.serial());
}

#[test]
fn a_run_killed_while_saving_leaves_valid_state() {
    if let Some((role, dir)) = child_role() {
        assert_eq!(role, "save-forever");
        save_forever(&dir);
        return;
    }

    let (project, backend) = project();
    let mut last_serial = 0;
    for round in 0..4 {
        let mut saver = child(TEST, "save-forever", project.path()).spawn().unwrap();
        let _stdout = wait_for_lock(&mut saver);
        // Let it get well into its saves, reading the state as it goes: a reader never sees a
        // half-written file.
        let target = last_serial + 25;
        wait_until("the child saved 25 times", || {
            let state = backend.load().unwrap().unwrap_or_default();
            assert_consistent(&state);
            state.serial() >= target
        });
        saver.kill().unwrap();
        saver.wait().unwrap();

        let state = backend.load().unwrap().unwrap();
        assert_consistent(&state);
        assert!(state.serial() >= target, "round {round}: serial went back");
        let backup = LocalBackend::new(backend.backup_path()).load().unwrap().unwrap();
        assert_consistent(&backup);
        assert_eq!(backup.lineage(), state.lineage());
        assert!(backup.serial() + 1 >= state.serial() && backup.serial() <= state.serial());
        last_serial = state.serial();

        // The lock is left behind, and said to be.
        // Waiting would be pointless: it fails at once.
        let start = std::time::Instant::now();
        let timeout = Duration::from_secs(600);
        let error = backend.lock(LockInfo::new("fireform apply"), timeout).unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(60));
        let Error::Locked { holder, liveness, .. } = &error else { panic!("{error:?}") };
        assert_eq!(holder.pid, saver.id());
        assert_eq!(*liveness, Holder::Gone);
        let message = error.to_string();
        assert!(message.contains("no longer exists on this host"), "{message}");
        assert!(message.contains(&format!("fireform force-unlock {}", holder.id)), "{message}");
        backend.force_unlock(&holder.id).unwrap();
    }

    // The next run starts from the last state and clears what the crashes left.
    let store = StateStore::open(
        Box::new(LocalBackend::new(backend.path())),
        LockInfo::new("fireform apply"),
        Duration::ZERO,
    )
    .unwrap();
    store.update(|state| state.upsert(dataset("after", "rows"))).unwrap();
    assert_eq!(store.snapshot().serial(), last_serial + 1);
    let leftovers: Vec<_> = std::fs::read_dir(backend.path().parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}

//! The state lock between threads and processes: exclusion, holder details, timeouts and
//! force-unlock.

use std::io::Write;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use fireform_state::{Backend, Error, Holder, LocalBackend, LockInfo, default_state_path};

use crate::{LOCKED, child, child_role, project, wait_for_lock};

#[test]
fn of_two_threads_racing_for_the_lock_exactly_one_wins() {
    for _ in 0..20 {
        let (_project, backend) = project();
        let backend = Arc::new(backend);
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = ["fireform apply", "fireform destroy"]
            .into_iter()
            .map(|command| {
                let (backend, barrier) = (Arc::clone(&backend), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    let info = LockInfo::new(command);
                    barrier.wait();
                    backend.lock(info, Duration::ZERO)
                })
            })
            .collect();
        let mut results: Vec<_> = racers.into_iter().map(|racer| racer.join().unwrap()).collect();
        results.sort_by_key(Result::is_err);
        let [Ok(winner), Err(error)] = &results[..] else { panic!("{results:?}") };
        let Error::Locked { holder, liveness, waited: None } = error else { panic!("{error:?}") };
        assert_eq!(**holder, *winner.info());
        assert_eq!(*liveness, Holder::Running);
    }
}

#[test]
fn the_refusal_says_who_holds_the_lock_and_what_to_do() {
    let (_project, backend) = project();
    let held = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
    let info = held.info().clone();
    let message = backend.lock(LockInfo::new("fireform plan"), Duration::ZERO).unwrap_err();
    assert_eq!(
        message.to_string(),
        format!(
            "state is locked by pid {} on host `{}` (user `{}`) running `fireform apply` since \
             {}; lock id `{}`; that process is still running: wait for it to finish, or retry \
             with `--lock-timeout`",
            info.pid, info.host, info.user, info.created, info.id
        )
    );
}

#[test]
fn a_released_lock_can_be_taken_again() {
    let (_project, backend) = project();
    let first = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
    first.release().unwrap();
    assert!(!backend.lock_path().exists());
    let second = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
    drop(second);
    assert!(!backend.lock_path().exists(), "dropping the guard releases the lock");
    drop(backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap());
}

#[test]
fn force_unlock_needs_the_holders_id() {
    let (_project, backend) = project();
    let error = backend.force_unlock("nope").unwrap_err();
    assert!(matches!(error, Error::NotLocked { .. }), "{error:?}");

    let held = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
    let error = backend.force_unlock("0000-wrong").unwrap_err();
    let Error::LockIdMismatch { given, holder } = &error else { panic!("{error:?}") };
    assert_eq!(given, "0000-wrong");
    assert_eq!(**holder, *held.info());
    assert!(error.to_string().contains("refusing to unlock"), "{error}");
    assert!(backend.lock_path().exists());

    let removed = backend.force_unlock(&held.info().id).unwrap();
    assert_eq!(removed, *held.info());
    // The run that lost its lock hears about it when it releases, and takes no one else's.
    let next = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
    let error = held.release().unwrap_err();
    assert!(matches!(error, Error::LockLost { .. }), "{error:?}");
    assert!(backend.lock_path().exists(), "the next run's lock is left alone");
    next.release().unwrap();
}

#[test]
fn a_lock_held_by_another_process_is_refused_then_free_once_it_exits() {
    const TEST: &str = "lock::a_lock_held_by_another_process_is_refused_then_free_once_it_exits";
    if let Some((role, dir)) = child_role() {
        assert_eq!(role, "hold-lock");
        let backend = LocalBackend::new(default_state_path(&dir));
        let _lock = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
        println!("{LOCKED}");
        // Hold the lock until the parent closes stdin.
        std::io::stdin().lines().for_each(drop);
        return;
    }

    let (project, backend) = project();
    let mut holder = child(TEST, "hold-lock", project.path()).spawn().unwrap();
    let _stdout = wait_for_lock(&mut holder);

    let error = backend.lock(LockInfo::new("fireform plan"), Duration::ZERO).unwrap_err();
    let Error::Locked { holder: info, liveness, .. } = &error else { panic!("{error:?}") };
    assert_eq!(info.pid, holder.id());
    assert_eq!(*liveness, Holder::Running);
    assert!(error.to_string().contains(&format!("locked by pid {}", holder.id())), "{error}");

    // The parent waits while the child finishes and releases.
    let waiter = std::thread::spawn(move || {
        backend.lock(LockInfo::new("fireform plan"), Duration::from_secs(60))
    });
    holder.stdin.take().unwrap().write_all(b"done\n").unwrap();
    assert!(holder.wait().unwrap().success());
    assert_eq!(waiter.join().unwrap().unwrap().info().command, "fireform plan");
}

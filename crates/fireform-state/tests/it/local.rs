//! The local backend: round trips, backups, file modes, atomicity and refusals.

use std::fs;
use std::time::Duration;

use fireform_state::{Backend, DocumentError, Error, FORMAT_VERSION, StateDocument};

use crate::{document_with, project};

#[test]
fn nothing_saved_loads_as_none_and_creates_nothing() {
    let (project, backend) = project();
    assert!(backend.load().unwrap().is_none());
    assert!(!project.path().join(".fireform").exists());
}

#[test]
fn save_then_load_round_trips() {
    let (_project, backend) = project();
    let document = document_with(&["chats", "eval"]);
    backend.save(&document).unwrap();
    let loaded = backend.load().unwrap().unwrap();
    assert_eq!(loaded, document);
    assert_eq!(fs::read_to_string(backend.path()).unwrap(), document.to_json());
    // Another backend on the same file (another process) reads the same.
    let other = fireform_state::LocalBackend::new(backend.path());
    assert_eq!(other.load().unwrap().unwrap(), document);
}

#[test]
fn every_save_keeps_the_previous_version_as_backup() {
    let (_project, backend) = project();
    let mut document = document_with(&["chats"]);
    backend.save(&document).unwrap();
    assert!(!backend.backup_path().exists(), "nothing to back up on the first save");
    for serial in 2..=4 {
        document.bump_serial();
        backend.save(&document).unwrap();
        let backup =
            StateDocument::from_json(&fs::read_to_string(backend.backup_path()).unwrap()).unwrap();
        assert_eq!(backup.serial(), serial - 1);
        assert_eq!(backend.load().unwrap().unwrap().serial(), serial);
    }
}

#[cfg(unix)]
#[test]
fn state_backup_and_lock_are_private() {
    use crate::mode;

    let (project, backend) = project();
    let lock = backend.lock(fireform_state::LockInfo::new("fireform apply"), Duration::ZERO);
    let lock = lock.unwrap();
    let mut document = document_with(&["chats"]);
    backend.save(&document).unwrap();
    document.bump_serial();
    backend.save(&document).unwrap();
    assert_eq!(mode(&project.path().join(".fireform")), 0o700);
    assert_eq!(mode(backend.path()), 0o600);
    assert_eq!(mode(&backend.backup_path()), 0o600);
    assert_eq!(mode(&backend.lock_path()), 0o600);
    drop(lock);
}

#[test]
fn a_stray_temporary_file_from_a_crashed_save_is_ignored() {
    let (_project, backend) = project();
    let document = document_with(&["chats"]);
    backend.save(&document).unwrap();
    // What a save killed halfway through writing its temporary file leaves behind.
    let stray = backend.path().with_file_name(".state.json.00aa11bb22cc33dd.tmp");
    fs::write(&stray, &document.to_json()[..40]).unwrap();
    assert_eq!(backend.load().unwrap().unwrap(), document);
    let mut next = document.clone();
    next.bump_serial();
    backend.save(&next).unwrap();
    assert_eq!(backend.load().unwrap().unwrap().serial(), 2);
}

#[test]
fn a_corrupt_state_file_is_reported_with_its_backup() {
    let (_project, backend) = project();
    let mut document = document_with(&["chats"]);
    backend.save(&document).unwrap();
    document.bump_serial();
    backend.save(&document).unwrap();
    fs::write(backend.path(), "{\"formatVersion\": 1, \"serial\": 2, \"lin").unwrap();

    let error = backend.load().unwrap_err();
    let Error::Corrupt { source: DocumentError::Json(_), .. } = &error else { panic!("{error:?}") };
    let message = error.to_string();
    let path = backend.path().display().to_string();
    let backup = backend.backup_path().display().to_string();
    assert!(message.starts_with(&format!("state file `{path}` is corrupt")), "{message}");
    assert!(message.contains(&format!("kept in `{backup}`")), "{message}");
    assert!(message.contains(&format!("copy it over `{path}`")), "{message}");
    // The suggested recovery works.
    fs::copy(backend.backup_path(), backend.path()).unwrap();
    assert_eq!(backend.load().unwrap().unwrap().serial(), 1);
}

#[test]
fn a_state_file_of_a_newer_format_is_refused_naming_both_versions() {
    let (_project, backend) = project();
    let future = FORMAT_VERSION + 1;
    fs::create_dir_all(backend.path().parent().unwrap()).unwrap();
    fs::write(backend.path(), format!("{{\"formatVersion\": {future}, \"whatever\": []}}"))
        .unwrap();
    let error = backend.load().unwrap_err();
    assert!(matches!(error, Error::UnsupportedVersion { found, .. } if found == future));
    let message = error.to_string();
    assert!(
        message.contains(&format!("has format version {future}, but this fireform")),
        "{message}"
    );
    assert!(message.contains(&format!("reads format version {FORMAT_VERSION}")), "{message}");
    // Nor is it overwritten.
    let error = backend.save(&document_with(&["chats"])).unwrap_err();
    assert!(matches!(error, Error::UnsupportedVersion { .. }), "{error:?}");
}

#[test]
fn a_deleted_state_file_with_a_backup_left_is_not_taken_for_empty_state() {
    let (_project, backend) = project();
    let mut document = document_with(&["chats"]);
    backend.save(&document).unwrap();
    document.bump_serial();
    backend.save(&document).unwrap();
    fs::remove_file(backend.path()).unwrap();
    let error = backend.load().unwrap_err();
    assert!(matches!(error, Error::MissingWithBackup { .. }), "{error:?}");
    assert!(error.to_string().contains("copy the backup to"), "{error}");
}

#[test]
fn a_save_that_would_undo_another_runs_write_is_refused() {
    let (_project, first) = project();
    first.save(&document_with(&["chats"])).unwrap();
    let second = fireform_state::LocalBackend::new(first.path());

    let mut ours = first.load().unwrap().unwrap();
    let mut theirs = second.load().unwrap().unwrap();
    theirs.bump_serial();
    second.save(&theirs).unwrap();

    ours.bump_serial();
    let error = first.save(&ours).unwrap_err();
    let Error::SerialConflict { on_disk: 2, writing: 2, .. } = error else { panic!("{error:?}") };
    assert_eq!(first.load().unwrap().unwrap(), theirs);

    // Once it has read the newer state, it may write over it.
    let mut reread = first.load().unwrap().unwrap();
    reread.bump_serial();
    first.save(&reread).unwrap();
}

#[test]
fn a_save_of_another_lineage_is_refused() {
    let (_project, backend) = project();
    backend.save(&document_with(&["chats"])).unwrap();
    let stranger = fireform_state::LocalBackend::new(backend.path());
    let mut other = document_with(&["eval"]);
    other.bump_serial();
    let error = stranger.save(&other).unwrap_err();
    assert!(matches!(error, Error::LineageConflict { .. }), "{error:?}");
    assert!(error.to_string().contains("refusing to overwrite"), "{error}");
}

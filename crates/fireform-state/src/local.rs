//! The state file on the local disk: `<project>/.fireform/state.json` by default.
//!
//! # Saving
//!
//! A save writes the whole document to a temporary file in the state's directory
//! (`.state.json.<random>.tmp`, mode 0600), fsyncs it, hard-links the current `state.json` to
//! `state.json.backup` (through a temporary name and a rename, so the backup is always a whole
//! file), renames the temporary file over `state.json`, and fsyncs the directory. Every step
//! before the final rename leaves `state.json` untouched and every rename is atomic, so a crash
//! at any instant leaves a valid `state.json` (old or new) and a valid backup. A crashed save
//! may leave a temporary file; it is ignored on load and removed by the next run that takes the
//! lock.
//!
//! Before overwriting, a save checks that the file is still the one this backend last read or
//! wrote (size, modification time, inode). If not, it reads the file's header and refuses to
//! write a serial that is not greater than the one on disk, or another lineage: a run whose lock
//! was force-unlocked cannot silently undo the next run's work.
//!
//! # Locking
//!
//! The lock is the file `state.json.lock` holding [`LockInfo`] as JSON. Mutual exclusion comes
//! from creating it atomically: the info is written to a private temporary file which is then
//! hard-linked to the lock name, which fails if the name exists (or, where the file system has no
//! hard links, the lock file is created with `O_EXCL` and then written). That works between
//! processes and threads, and on network file systems. The holder also keeps an operating-system
//! advisory lock (`flock`) on the file for as long as it holds it; the kernel drops that lock when
//! the process dies, so a contender on the same host can tell a lock left behind by a crash from a
//! live one, even if the pid was reused, and says so. A dead holder's lock is never taken over
//! silently: removing it takes [`Backend::force_unlock`] with its id, as in Terraform.
//!
//! This module does not decide when to save or lock; see [`crate::StateStore`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::backend::{Backend, LockGuard};
use crate::document::{StateDocument, read_header};
use crate::error::{DocumentError, Error};
use crate::lock::{Holder, LockInfo, hostname, pid_alive, random_id};

/// The directory, inside the project, that holds fireform's local files.
pub const STATE_DIR: &str = ".fireform";

/// The file name of the default state file inside [`STATE_DIR`].
pub const STATE_FILE: &str = "state.json";

/// The first pause between two attempts to take a held lock; it doubles up to
/// [`MAX_LOCK_RETRY`].
const FIRST_LOCK_RETRY: Duration = Duration::from_millis(20);
const MAX_LOCK_RETRY: Duration = Duration::from_millis(500);

/// The default state file of the project in `project_dir`: `<project_dir>/.fireform/state.json`.
pub fn default_state_path(project_dir: &Path) -> PathBuf {
    project_dir.join(STATE_DIR).join(STATE_FILE)
}

/// State kept in one file on the local disk, with a backup and a lock file beside it.
#[derive(Debug)]
pub struct LocalBackend {
    path: PathBuf,
    // What this backend last read or wrote, to notice when someone else changed the file.
    seen: Mutex<Option<Seen>>,
    #[cfg(test)]
    attempts: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
struct Seen {
    fingerprint: Fingerprint,
    serial: u64,
    lineage: String,
}

/// Enough of a file's metadata to tell that it was replaced or rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    inode: Option<(u64, u64)>,
}

impl Fingerprint {
    fn of(metadata: &fs::Metadata) -> Fingerprint {
        #[cfg(unix)]
        let inode = {
            use std::os::unix::fs::MetadataExt;
            Some((metadata.dev(), metadata.ino()))
        };
        #[cfg(not(unix))]
        let inode = None;
        Fingerprint { len: metadata.len(), modified: metadata.modified().ok(), inode }
    }
}

impl LocalBackend {
    /// A backend for the state file at `path` (created on first save, with its directory).
    pub fn new(path: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend {
            path: path.into(),
            seen: Mutex::new(None),
            #[cfg(test)]
            attempts: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The backup of the previous version: `state.json.backup` beside the state file.
    pub fn backup_path(&self) -> PathBuf {
        self.sibling("", ".backup")
    }

    /// The lock file: `state.json.lock` beside the state file.
    pub fn lock_path(&self) -> PathBuf {
        self.sibling("", ".lock")
    }

    /// A file beside the state file named `<prefix><state file name><suffix>`.
    fn sibling(&self, prefix: &str, suffix: &str) -> PathBuf {
        let name = self.path.file_name().unwrap_or(self.path.as_os_str());
        let mut sibling = std::ffi::OsString::from(prefix);
        sibling.push(name);
        sibling.push(suffix);
        self.dir().join(sibling)
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The prefix of this state's temporary files: `.state.json.`.
    fn temp_prefix(&self) -> String {
        let name = self.path.file_name().unwrap_or(self.path.as_os_str());
        format!(".{}.", name.to_string_lossy())
    }

    fn corrupt(&self, source: DocumentError) -> Error {
        match source {
            DocumentError::UnsupportedVersion { found, supported, fireform } => {
                Error::UnsupportedVersion { path: self.path.clone(), found, supported, fireform }
            }
            source => {
                let backup = self.backup_path();
                let backup = backup.exists().then_some(backup);
                Error::Corrupt { path: self.path.clone(), backup, source }
            }
        }
    }

    fn remember(&self, fingerprint: Fingerprint, document: &StateDocument) {
        *lock(&self.seen) = Some(Seen {
            fingerprint,
            serial: document.serial(),
            lineage: document.lineage().to_owned(),
        });
    }

    /// Refuses to overwrite a state file that moved on since this backend last saw it.
    fn check_not_overtaken(
        &self,
        seen: Option<&Seen>,
        document: &StateDocument,
    ) -> Result<(), Error> {
        let metadata = match fs::metadata(&self.path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(io_error("read state file", &self.path, source)),
        };
        let (serial, lineage) = match seen {
            Some(seen) if seen.fingerprint == Fingerprint::of(&metadata) => {
                (seen.serial, seen.lineage.clone())
            }
            _ => {
                let text = fs::read_to_string(&self.path)
                    .map_err(|source| io_error("read state file", &self.path, source))?;
                let header = read_header(&text).map_err(|source| self.corrupt(source))?;
                (header.serial, header.lineage)
            }
        };
        if lineage != document.lineage() {
            return Err(Error::LineageConflict {
                path: self.path.clone(),
                on_disk: lineage,
                writing: document.lineage().to_owned(),
            });
        }
        if serial >= document.serial() {
            return Err(Error::SerialConflict {
                path: self.path.clone(),
                on_disk: serial,
                writing: document.serial(),
            });
        }
        Ok(())
    }

    /// Points `state.json.backup` at the current `state.json`, atomically.
    fn keep_backup(&self, dir: &Path) -> Result<(), Error> {
        let temp = dir.join(format!("{}{}.backup.tmp", self.temp_prefix(), random_suffix()));
        match fs::hard_link(&self.path, &temp) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(_) => {
                // No hard links on this file system: copy, and make the copy durable.
                let copied = fs::copy(&self.path, &temp)
                    .and_then(|_| OpenOptions::new().write(true).open(&temp)?.sync_all());
                if let Err(source) = copied {
                    let _ = fs::remove_file(&temp);
                    return Err(io_error("write state backup", &temp, source));
                }
            }
        }
        let backup = self.backup_path();
        fs::rename(&temp, &backup).map_err(|source| {
            let _ = fs::remove_file(&temp);
            io_error("write state backup", &backup, source)
        })
    }

    /// Removes temporary files left by saves that crashed. Called with the lock held, so no
    /// other save can be in flight.
    fn remove_stray_temps(&self) {
        let prefix = self.temp_prefix();
        let lock_prefix = format!("{prefix}lock.");
        let Ok(entries) = fs::read_dir(self.dir()) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix)
                && !name.starts_with(&lock_prefix)
                && name.ends_with(".tmp")
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// One attempt at taking the lock.
    fn try_lock(&self, info: &LockInfo) -> Result<Attempt, Error> {
        #[cfg(test)]
        self.attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = self.dir();
        ensure_dir(&dir)?;
        let lock_path = self.lock_path();
        let text = lock_text(info);
        let temp = dir.join(format!("{}lock.{}.tmp", self.temp_prefix(), random_suffix()));
        let file = create_private(&temp)
            .and_then(|file| write_locked(file, &text))
            .map_err(|source| io_error("create lock file", &temp, source))?;
        let linked = fs::hard_link(&temp, &lock_path);
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => return self.holder(),
            Err(_) => {
                // No hard links on this file system: create the lock file itself, exclusively.
                // A contender may briefly see it empty, which reads as "unreadable" and is
                // retried.
                drop(file);
                return match create_private(&lock_path) {
                    Ok(file) => {
                        let file = write_locked(file, &text)
                            .map_err(|source| io_error("write lock file", &lock_path, source))?;
                        sync_dir(&dir)?;
                        Ok(Attempt::Acquired(self.guard(info, file)))
                    }
                    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => self.holder(),
                    Err(source) => Err(io_error("create lock file", &lock_path, source)),
                };
            }
        }
        sync_dir(&dir)?;
        Ok(Attempt::Acquired(self.guard(info, file)))
    }

    fn guard(&self, info: &LockInfo, file: File) -> LocalLock {
        LocalLock { path: self.lock_path(), info: info.clone(), file: Some(file) }
    }

    /// Reads who holds the lock, after failing to take it.
    fn holder(&self) -> Result<Attempt, Error> {
        let lock_path = self.lock_path();
        let bytes = match fs::read(&lock_path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Attempt::Vanished),
            Err(source) => return Err(io_error("read lock file", &lock_path, source)),
        };
        match serde_json::from_slice::<LockInfo>(&bytes) {
            Ok(holder) => {
                let liveness = liveness(&lock_path, &holder);
                Ok(Attempt::Held(Box::new(holder), liveness))
            }
            Err(source) => Ok(Attempt::Unreadable(source)),
        }
    }
}

/// The outcome of one attempt at taking the lock.
enum Attempt {
    Acquired(LocalLock),
    Held(Box<LockInfo>, Holder),
    Unreadable(serde_json::Error),
    /// The lock was released between the failed attempt and reading its holder.
    Vanished,
}

impl Backend for LocalBackend {
    fn load(&self) -> Result<Option<StateDocument>, Error> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let backup = self.backup_path();
                if backup.exists() {
                    return Err(Error::MissingWithBackup { path: self.path.clone(), backup });
                }
                return Ok(None);
            }
            Err(source) => return Err(io_error("read state file", &self.path, source)),
        };
        // The fingerprint of the file actually read, taken from the open handle so that a
        // rename between stat and read cannot mix two files up.
        let metadata =
            file.metadata().map_err(|source| io_error("read state file", &self.path, source))?;
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut file, &mut bytes)
            .map_err(|source| io_error("read state file", &self.path, source))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            self.corrupt(DocumentError::Inconsistent("the file is not UTF-8 text".to_owned()))
        })?;
        let document = StateDocument::from_json(&text).map_err(|source| self.corrupt(source))?;
        self.remember(Fingerprint::of(&metadata), &document);
        Ok(Some(document))
    }

    fn save(&self, document: &StateDocument) -> Result<(), Error> {
        let dir = self.dir();
        ensure_dir(&dir)?;
        // Saves through one backend are serialised so the overtaken check sees every write.
        let mut seen = lock(&self.seen);
        self.check_not_overtaken(seen.as_ref(), document)?;

        let temp = dir.join(format!("{}{}.tmp", self.temp_prefix(), random_suffix()));
        let written = create_private(&temp).and_then(|mut file| {
            file.write_all(document.to_json().as_bytes())?;
            file.sync_all()
        });
        if let Err(source) = written {
            let _ = fs::remove_file(&temp);
            return Err(io_error("write state file", &temp, source));
        }
        if let Err(error) = self.keep_backup(&dir) {
            let _ = fs::remove_file(&temp);
            return Err(error);
        }
        if let Err(source) = fs::rename(&temp, &self.path) {
            let _ = fs::remove_file(&temp);
            return Err(io_error("write state file", &self.path, source));
        }
        sync_dir(&dir)?;

        let metadata = fs::metadata(&self.path)
            .map_err(|source| io_error("read state file", &self.path, source))?;
        *seen = Some(Seen {
            fingerprint: Fingerprint::of(&metadata),
            serial: document.serial(),
            lineage: document.lineage().to_owned(),
        });
        Ok(())
    }

    fn lock(&self, info: LockInfo, timeout: Duration) -> Result<Box<dyn LockGuard>, Error> {
        let start = Instant::now();
        let mut pause = FIRST_LOCK_RETRY;
        loop {
            let refusal = match self.try_lock(&info)? {
                Attempt::Acquired(guard) => {
                    self.remove_stray_temps();
                    return Ok(Box::new(guard));
                }
                Attempt::Vanished => continue,
                Attempt::Held(holder, liveness) => Error::Locked { holder, liveness, waited: None },
                Attempt::Unreadable(source) => {
                    Error::LockUnreadable { path: self.lock_path(), source }
                }
            };
            let waited = start.elapsed();
            // A lock left by a dead process is never released by itself: waiting is pointless.
            let abandoned = matches!(refusal, Error::Locked { liveness: Holder::Gone, .. });
            if waited >= timeout || abandoned {
                return Err(match refusal {
                    Error::Locked { holder, liveness, .. } if !timeout.is_zero() && !abandoned => {
                        Error::Locked { holder, liveness, waited: Some(waited) }
                    }
                    refusal => refusal,
                });
            }
            std::thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(MAX_LOCK_RETRY);
        }
    }

    fn force_unlock(&self, lock_id: &str) -> Result<LockInfo, Error> {
        let lock_path = self.lock_path();
        let bytes = match fs::read(&lock_path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NotLocked { path: lock_path });
            }
            Err(source) => return Err(io_error("read lock file", &lock_path, source)),
        };
        let holder: LockInfo = serde_json::from_slice(&bytes)
            .map_err(|source| Error::LockUnreadable { path: lock_path.clone(), source })?;
        if holder.id != lock_id {
            return Err(Error::LockIdMismatch {
                given: lock_id.to_owned(),
                holder: Box::new(holder),
            });
        }
        fs::remove_file(&lock_path)
            .map_err(|source| io_error("remove lock file", &lock_path, source))?;
        Ok(holder)
    }

    fn describe(&self) -> String {
        format!("local state file `{}`", self.path.display())
    }
}

/// A held lock on a local state file: the lock file's name and an open handle carrying the OS
/// advisory lock.
#[derive(Debug)]
struct LocalLock {
    path: PathBuf,
    info: LockInfo,
    // Invariant: `Some` while the lock is held; the handle keeps the OS lock.
    file: Option<File>,
}

impl LocalLock {
    fn release_now(&mut self) -> Result<(), Error> {
        let Some(file) = self.file.take() else { return Ok(()) };
        let result = match fs::read(&self.path) {
            Ok(bytes) => match serde_json::from_slice::<LockInfo>(&bytes) {
                Ok(current) if current.id == self.info.id => fs::remove_file(&self.path)
                    .map_err(|source| io_error("remove lock file", &self.path, source)),
                _ => Err(Error::LockLost { path: self.path.clone() }),
            },
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                Err(Error::LockLost { path: self.path.clone() })
            }
            Err(source) => Err(io_error("read lock file", &self.path, source)),
        };
        // Closing the handle drops the OS lock, only after the lock file is gone.
        drop(file);
        result
    }
}

impl LockGuard for LocalLock {
    fn info(&self) -> &LockInfo {
        &self.info
    }

    fn release(mut self: Box<Self>) -> Result<(), Error> {
        self.release_now()
    }
}

impl Drop for LocalLock {
    fn drop(&mut self) {
        let _ = self.release_now();
    }
}

/// What can be told about the holder of the lock file at `lock_path`.
fn liveness(lock_path: &Path, holder: &LockInfo) -> Holder {
    let same_host = holder.host == hostname();
    match (os_lock_is_free(lock_path), same_host) {
        (Some(false), _) => Holder::Running,
        (Some(true), true) => Holder::Gone,
        (None, true) => match pid_alive(holder.pid) {
            Some(true) => Holder::Running,
            Some(false) => Holder::Gone,
            None => Holder::Unknown,
        },
        // Advisory locks are not reliable across hosts; a free one proves nothing there.
        (_, false) => Holder::Unknown,
    }
}

/// Whether nobody holds the OS lock on `path`; `None` when that cannot be told.
fn os_lock_is_free(path: &Path) -> Option<bool> {
    let file = File::open(path).ok()?;
    match fs4::FileExt::try_lock_shared(&file) {
        Ok(()) => Some(true),
        Err(fs4::TryLockError::WouldBlock) => Some(false),
        Err(fs4::TryLockError::Error(_)) => None,
    }
}

fn lock_text(info: &LockInfo) -> String {
    let mut text =
        serde_json::to_string_pretty(info).expect("lock info always serialises: strings and ints");
    text.push('\n');
    text
}

/// Takes the OS lock on a fresh lock file, then writes and syncs the holder's description.
/// File systems without advisory locks still get the file; liveness then falls back to pids.
fn write_locked(mut file: File, text: &str) -> io::Result<File> {
    let _ = fs4::FileExt::try_lock(&file);
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(file)
}

/// Creates `path`, failing if it exists, readable and writable by its owner only.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Creates `dir` and its missing parents, private to their owner (0700), if it is missing.
fn ensure_dir(dir: &Path) -> Result<(), Error> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| io_error("create state directory", dir, source))
}

/// Makes renames and new names in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|source| io_error("sync state directory", dir, source))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn random_suffix() -> String {
    random_id().replace('-', "")[..16].to_owned()
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> Error {
    Error::Io { action, path: path.to_path_buf(), source }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    use super::*;

    fn backend() -> (tempfile::TempDir, Arc<LocalBackend>) {
        let project = tempfile::tempdir().unwrap();
        let backend = Arc::new(LocalBackend::new(default_state_path(project.path())));
        (project, backend)
    }

    /// Polls `condition` until it holds or ten seconds pass.
    fn wait_until(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn lock_timeout_waits_then_succeeds_when_released() {
        let (_project, backend) = backend();
        let held = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
        assert_eq!(backend.attempts.load(Ordering::SeqCst), 1);
        let waiter = {
            let backend = Arc::clone(&backend);
            std::thread::spawn(move || {
                backend.lock(LockInfo::new("fireform plan"), Duration::from_secs(30))
            })
        };
        // The waiter has failed at least twice, so it is retrying, not done.
        wait_until("the waiter retried", || backend.attempts.load(Ordering::SeqCst) >= 3);
        assert!(!waiter.is_finished());
        held.release().unwrap();
        let acquired = waiter.join().unwrap().unwrap();
        assert_eq!(acquired.info().command, "fireform plan");
    }

    #[test]
    fn lock_timeout_expires_saying_how_long_it_waited() {
        let (_project, backend) = backend();
        let _held = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
        let start = Instant::now();
        let error = backend.lock(LockInfo::new("fireform plan"), Duration::from_millis(150));
        assert!(start.elapsed() >= Duration::from_millis(150));
        let Err(Error::Locked { waited: Some(waited), liveness, .. }) = &error else {
            panic!("{error:?}")
        };
        assert!(*waited >= Duration::from_millis(150));
        assert_eq!(*liveness, Holder::Running);
        let message = error.unwrap_err().to_string();
        assert!(message.starts_with("timed out after 0."), "{message}");
    }

    #[test]
    fn taking_the_lock_removes_temporary_files_of_crashed_saves() {
        let (project, backend) = backend();
        let dir = project.path().join(STATE_DIR);
        fs::create_dir_all(&dir).unwrap();
        let stray = dir.join(".state.json.0123456789abcdef.tmp");
        let stray_backup = dir.join(".state.json.0123456789abcdef.backup.tmp");
        let unrelated = dir.join("notes.tmp");
        for path in [&stray, &stray_backup, &unrelated] {
            fs::write(path, "{\"formatVersion\": 1, \"seri").unwrap();
        }
        let _lock = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
        assert!(!stray.exists() && !stray_backup.exists());
        assert!(unrelated.exists());
    }

    #[test]
    fn the_os_lock_tells_a_live_holder_from_a_dead_one() {
        let (_project, backend) = backend();
        let held = backend.lock(LockInfo::new("fireform apply"), Duration::ZERO).unwrap();
        let mut info = held.info().clone();
        assert_eq!(liveness(&backend.lock_path(), &info), Holder::Running);
        // A lock file nobody holds an OS lock on, claimed by a live pid on this host, is still
        // reported as left behind: the OS lock is the authority, not the (reusable) pid.
        let text = fs::read(backend.lock_path()).unwrap();
        drop(held);
        fs::write(backend.lock_path(), text).unwrap();
        assert_eq!(liveness(&backend.lock_path(), &info), Holder::Gone);
        info.host = "some-other-host".to_owned();
        assert_eq!(liveness(&backend.lock_path(), &info), Holder::Unknown);
    }
}

//! The errors of reading, writing and locking state.
//!
//! [`DocumentError`] is about the text of a state document alone (no file involved);
//! [`Error`] adds where it happened and what to do about it. Messages follow the project style:
//! lowercase, no trailing period, user values in backticks, causes kept as `#[source]`.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::lock::{Holder, LockInfo};

/// Why a text is not a state document this build can use.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The text is not JSON, or does not have the shape of a state document.
    #[error("invalid state document")]
    Json(#[source] serde_json::Error),
    /// The document was written in a format this build does not read.
    #[error(
        "state format version {found} is not supported: this fireform ({fireform}) reads format \
         version {supported}{}",
        if *found > *supported { "; upgrade fireform to use this state" } else { "" }
    )]
    UnsupportedVersion {
        /// The `formatVersion` in the document.
        found: u32,
        /// The format version this build reads and writes.
        supported: u32,
        /// The version of this build.
        fireform: &'static str,
    },
    /// The JSON is well formed but contradicts itself.
    #[error("invalid state document: {0}")]
    Inconsistent(String),
}

/// An error of loading, saving or locking state.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read, written, created or removed.
    #[error("failed to {action} `{}`", path.display())]
    Io {
        /// What was being done, e.g. `write state file`.
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The state file exists but is not a valid state document.
    #[error("{}", corrupt_message(path, backup.as_ref()))]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// The backup of the previous version, when one exists.
        backup: Option<PathBuf>,
        /// What is wrong with it.
        #[source]
        source: DocumentError,
    },
    /// The state file was written by a newer (or unknown) format version.
    #[error("state file `{}` has format version {found}, but this fireform ({fireform}) reads \
             format version {supported}{}", path.display(),
             if *found > *supported { "; upgrade fireform to use this state" } else { "" })]
    UnsupportedVersion {
        /// The state file.
        path: PathBuf,
        /// The `formatVersion` in the file.
        found: u32,
        /// The format version this build reads and writes.
        supported: u32,
        /// The version of this build.
        fireform: &'static str,
    },
    /// The state file is gone but its backup is still there: fireform never leaves that
    /// situation behind, so something removed the file and fireform refuses to start over.
    #[error(
        "state file `{}` is missing but its backup `{}` exists; copy the backup to `{}` to \
         recover, or delete the backup too to start from empty state",
        path.display(), backup.display(), path.display()
    )]
    MissingWithBackup {
        /// The missing state file.
        path: PathBuf,
        /// The backup that still exists.
        backup: PathBuf,
    },
    /// The state on disk changed since this run read it, so saving would lose that change.
    #[error(
        "state file `{}` changed under this run: it is at serial {on_disk} but this run is \
         writing serial {writing}; another run must have written it (was the lock \
         force-unlocked?); rerun to start from the current state",
        path.display()
    )]
    SerialConflict {
        /// The state file.
        path: PathBuf,
        /// The serial now on disk.
        on_disk: u64,
        /// The serial this run tried to write.
        writing: u64,
    },
    /// The state on disk belongs to a different history than the one being written.
    #[error(
        "state file `{}` has lineage `{on_disk}` but this run is writing lineage `{writing}`; \
         they are different states, refusing to overwrite",
        path.display()
    )]
    LineageConflict {
        /// The state file.
        path: PathBuf,
        /// The lineage now on disk.
        on_disk: String,
        /// The lineage this run tried to write.
        writing: String,
    },
    /// A remote store (object storage, a database) failed, or answered what it should not.
    #[error("failed to {action} `{location}`")]
    Remote {
        /// What was being done (`read the state`, `take the lock`, …).
        action: &'static str,
        /// The state location, e.g. `s3://bucket/key`.
        location: String,
        /// What went wrong, credentials left out.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A store that does not honour the conditional writes the lock and the saves rely on.
    #[error(
        "`{location}` does not honour conditional writes ({detail}); fireform refuses to keep \
         state there, since two runs could both believe they hold the lock"
    )]
    Unsafe {
        /// The state location.
        location: String,
        /// What the probe saw.
        detail: String,
    },
    /// A save of the state failed; every change it carried reports the same error.
    #[error(transparent)]
    Save(std::sync::Arc<Error>),
    /// The backend panicked while saving (a bug); the changes stay in memory.
    #[error("saving state crashed: {0}")]
    SavePanicked(String),
    /// The thread that saves state could not be started.
    #[error("could not start the state saver thread")]
    Saver(#[source] io::Error),
    /// Another run holds the state lock.
    #[error("{}", Locked { holder, liveness: *liveness, waited: *waited })]
    Locked {
        /// Who holds it.
        holder: Box<LockInfo>,
        /// Whether that holder is known to be running.
        liveness: Holder,
        /// How long this run waited before giving up, when it waited at all.
        waited: Option<Duration>,
    },
    /// The lock file exists but cannot be understood.
    #[error(
        "state lock file `{}` exists but is unreadable; if no fireform run is active, delete it",
        path.display()
    )]
    LockUnreadable {
        /// The lock file.
        path: PathBuf,
        /// Why it could not be parsed.
        #[source]
        source: serde_json::Error,
    },
    /// `force-unlock` was asked for but the state is not locked.
    #[error("state is not locked (no lock file `{}`)", path.display())]
    NotLocked {
        /// The lock file that does not exist.
        path: PathBuf,
    },
    /// `force-unlock` was given an id that is not the current lock's.
    #[error(
        "lock id `{given}` does not match the current lock `{}` held by pid {} on host `{}`; \
         refusing to unlock",
        holder.id, holder.pid, holder.host
    )]
    LockIdMismatch {
        /// The id that was given.
        given: String,
        /// The lock actually held.
        holder: Box<LockInfo>,
    },
    /// The lock this run held was removed or replaced by someone else while it ran.
    #[error(
        "the state lock `{}` was removed or taken over while this run held it (force-unlocked?)",
        path.display()
    )]
    LockLost {
        /// The lock file.
        path: PathBuf,
    },
}

impl Error {
    /// The error itself, seen through [`Error::Save`]: the failure every change of a failed
    /// save shares.
    pub fn root(&self) -> &Error {
        match self {
            Error::Save(shared) => shared.root(),
            other => other,
        }
    }
}

fn corrupt_message(path: &std::path::Path, backup: Option<&PathBuf>) -> String {
    let mut message = format!("state file `{}` is corrupt", path.display());
    if let Some(backup) = backup {
        message.push_str(&format!(
            "; the previous version is kept in `{}`: if it is valid, copy it over `{}` to recover",
            backup.display(),
            path.display()
        ));
    }
    message
}

/// Renders [`Error::Locked`]: who holds the lock, since when, and what to do.
struct Locked<'a> {
    holder: &'a LockInfo,
    liveness: Holder,
    waited: Option<Duration>,
}

impl fmt::Display for Locked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let holder = self.holder;
        if let Some(waited) = self.waited {
            write!(f, "timed out after {:.1}s waiting for the state lock: ", waited.as_secs_f64())?;
        }
        write!(
            f,
            "state is locked by pid {} on host `{}` (user `{}`) running `{}` since {}; lock id `{}`",
            holder.pid, holder.host, holder.user, holder.command, holder.created, holder.id
        )?;
        match self.liveness {
            Holder::Gone => write!(
                f,
                "; process {} no longer exists on this host, so the lock was left behind by a run \
                 that died: run `fireform force-unlock {}` to remove it",
                holder.pid, holder.id
            ),
            Holder::Running => write!(
                f,
                "; that process is still running: wait for it to finish, or retry with \
                 `--lock-timeout`"
            ),
            Holder::Unknown => {
                write!(f, "; if that process is gone, run `fireform force-unlock {}`", holder.id)
            }
        }
    }
}

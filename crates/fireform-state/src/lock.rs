//! Who holds the state lock: [`LockInfo`], written as JSON into the lock file, and [`Holder`],
//! what can be said about whether that holder is still alive.
//!
//! This module only describes locks; acquiring and releasing them is the backend's job (see
//! [`crate::LocalBackend`]). It never removes a lock on its own: a lock left by a dead process is
//! reported, and removing it takes an explicit `force-unlock`, as in Terraform.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::time::now_rfc3339;

/// The description of a lock holder, stored in the lock file and shown to whoever finds the
/// state locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockInfo {
    /// A random id naming this lock; `force-unlock` must be given it.
    pub id: String,
    /// The process id of the holder.
    pub pid: u32,
    /// The host name of the machine the holder runs on.
    pub host: String,
    /// The user running the holder (`$USER`), or `unknown`.
    pub user: String,
    /// What the holder is doing, e.g. `fireform apply`.
    pub command: String,
    /// When the lock was taken, RFC 3339.
    pub created: String,
    /// The fireform version of the holder.
    pub version: String,
}

impl LockInfo {
    /// Whether the holder is known to be running or gone, as far as this host can tell: only a
    /// holder on this host can be looked up (by pid); any other is [`Holder::Unknown`].
    pub fn liveness_here(&self) -> Holder {
        if self.host != hostname() {
            return Holder::Unknown;
        }
        match pid_alive(self.pid) {
            Some(true) => Holder::Running,
            Some(false) => Holder::Gone,
            None => Holder::Unknown,
        }
    }

    /// Describes a lock about to be taken by this process for `command` (e.g. `fireform apply`),
    /// with a fresh random id, this process's pid, host and user, and the current time.
    pub fn new(command: impl Into<String>) -> LockInfo {
        LockInfo {
            id: random_id(),
            pid: std::process::id(),
            host: hostname(),
            user: username(),
            command: command.into(),
            created: now_rfc3339(),
            version: crate::FIREFORM_VERSION.to_owned(),
        }
    }
}

/// What is known about whether the holder of a lock is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The holder is known to be running: it still holds the operating-system lock on the lock
    /// file, or (same host, no OS lock support) its pid is alive.
    Running,
    /// The holder is known to be gone: it ran on this host and its OS lock was released or its
    /// pid no longer exists. The lock file was left behind by a crash.
    Gone,
    /// Nothing can be said, e.g. the holder runs on another host.
    Unknown,
}

/// A random 128-bit id formatted like a version-4 UUID, e.g.
/// `0b8f2c1e-5d4a-4f3b-9a2e-7c6d5e4f3a2b`. Used for lineages and lock ids.
pub fn random_id() -> String {
    let bits: u128 = rand::random();
    // Set the version (4) and variant (10xx) bits so the id is a well-formed UUID.
    let bits = (bits & !(0xf << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// This machine's host name, read from the kernel (`/proc/sys/kernel/hostname`), then
/// `/etc/hostname`, then `$HOSTNAME`; `unknown` when none is available.
pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .into_iter()
        .filter_map(|path| fs::read_to_string(path).ok())
        .chain(std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn username() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Whether process `pid` exists on this host, when that can be told: `Some` where `/proc` is
/// mounted (Linux), `None` elsewhere.
pub(crate) fn pid_alive(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new(&format!("/proc/{pid}")).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_uuid_shaped_and_distinct() {
        let first = random_id();
        let second = random_id();
        assert_ne!(first, second);
        for id in [&first, &second] {
            let groups: Vec<usize> = id.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
            assert_eq!(&id[14..15], "4", "{id}");
            assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
            assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()), "{id}");
        }
    }

    #[test]
    fn lock_info_describes_this_process() {
        let info = LockInfo::new("fireform apply");
        assert_eq!(info.pid, std::process::id());
        assert_eq!(info.host, hostname());
        assert_eq!(info.command, "fireform apply");
        assert!(!info.host.is_empty() && !info.user.is_empty());
        let json = serde_json::to_string(&info).unwrap();
        assert!(json.starts_with(r#"{"id":""#), "{json}");
        assert_eq!(serde_json::from_str::<LockInfo>(&json).unwrap(), info);
    }

    #[test]
    fn own_pid_is_alive_and_a_reaped_child_is_not() {
        if pid_alive(std::process::id()).is_none() {
            return; // No /proc on this platform; the OS lock covers liveness there.
        }
        assert_eq!(pid_alive(std::process::id()), Some(true));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(pid_alive(pid), Some(false));
    }
}

//! The watchdog of one server: a `sh` process that blocks reading a pipe from the test process and,
//! when the pipe closes (the handle was dropped, or the test process died), runs the server's stop
//! command and removes its directory.
//!
//! It does not start the server; it only guarantees that nothing outlives the test that started it.

use std::io;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

/// A running watchdog; dropping it stops the server it watches and waits for the cleanup.
#[derive(Debug)]
pub(crate) struct Watchdog {
    // Invariant: `Some` until drop; closing it is what tells the watchdog to clean up.
    pipe: Option<ChildStdin>,
    child: Child,
}

impl Watchdog {
    /// Starts a watchdog that, when released, runs `stop` (a program and its arguments, output
    /// discarded) and then removes `dir`.
    pub(crate) fn spawn(stop: &[&std::ffi::OsStr], dir: &Path) -> io::Result<Watchdog> {
        // `read` returns on end of file; the stop command and the removal must not fail the script.
        let script =
            r#"read -r _ || :; "$@" >/dev/null 2>&1 </dev/null; rm -rf -- "$FIREFORM_SERVER_DIR""#;
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(script)
            .arg("fireform-server-watchdog")
            .args(stop)
            .env("FIREFORM_SERVER_DIR", dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so a Ctrl-C meant for the test run does not skip the cleanup.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn()?;
        let pipe = child.stdin.take();
        Ok(Watchdog { pipe, child })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.pipe.take());
        // The stop commands are bounded (`kill`, `pg_ctl stop -m immediate`), so this returns.
        let _ = self.child.wait();
    }
}

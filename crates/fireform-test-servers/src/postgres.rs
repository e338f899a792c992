//! A throwaway PostgreSQL cluster: `initdb` into a fresh temporary directory (trust
//! authentication, superuser `postgres`), `pg_ctl start` on a free `127.0.0.1` port, `pg_ctl stop
//! -m immediate` and removal on drop.
//!
//! As root it runs `initdb` and `pg_ctl` as the unprivileged `fireform-pg` user through `runuser`
//! (initdb refuses root); otherwise as the current user. It does not install PostgreSQL:
//! `.ci/setup.d/postgres.sh` does.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::watch::Watchdog;
use crate::{START_ATTEMPTS, free_port, port_was_taken, repo_root, running_as_root};

const SETUP: &str = ".ci/setup.d/postgres.sh";
/// The system user that owns test clusters when the tests run as root.
const CLUSTER_USER: &str = "fireform-pg";
/// The superuser `initdb -U` creates, and the database every cluster has.
const SUPERUSER: &str = "postgres";
const DEFAULT_BIN: &str = "/usr/lib/postgresql/15/bin";
/// How long `pg_ctl start -w` may wait for the server to accept connections, in seconds.
const START_TIMEOUT_SECS: u32 = 60;

/// A running throwaway PostgreSQL cluster on `127.0.0.1`; dropping it stops the server and removes
/// its directory.
#[derive(Debug)]
pub struct Postgres {
    port: u16,
    bin: PathBuf,
    data_dir: PathBuf,
    run_as: Option<&'static str>,
    started_in: Duration,
    // Dropped before `dir`: it stops the server, then removes the directory, also when the test
    // process dies without dropping anything.
    _watchdog: Watchdog,
    dir: tempfile::TempDir,
}

impl Postgres {
    /// Starts a fresh cluster: superuser `postgres` without password, database `postgres`,
    /// listening on `127.0.0.1` only, with durability settings off (`fsync`,
    /// `synchronous_commit`, `full_page_writes`) since it lives for one test.
    ///
    /// The binaries are read from `FIREFORM_PG_BIN` (default `/usr/lib/postgresql/15/bin`).
    ///
    /// # Panics
    ///
    /// When the binaries or the `fireform-pg` user are missing (naming `.ci/setup.d/postgres.sh`),
    /// or when `initdb` or `pg_ctl start` fails (with their output and the server log).
    pub fn start() -> Postgres {
        let bin = std::env::var_os("FIREFORM_PG_BIN")
            .map(|bin| repo_root().join(bin))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_BIN));
        Postgres::start_with(bin)
    }

    fn start_with(bin: PathBuf) -> Postgres {
        let begin = Instant::now();
        for tool in ["initdb", "pg_ctl", "postgres", "psql"] {
            assert!(
                bin.join(tool).is_file(),
                "PostgreSQL's `{tool}` is missing from `{}`; run `{SETUP}` (as root) to install it",
                bin.display()
            );
        }
        let run_as = running_as_root().then_some(CLUSTER_USER);
        let dir = tempfile::Builder::new()
            .prefix("fireform-pg-")
            .tempdir()
            .expect("creating a temporary directory for a PostgreSQL cluster");
        if run_as.is_some() {
            let (uid, gid) = user_ids(CLUSTER_USER);
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("giving the cluster directory to `fireform-pg`");
        }
        let data_dir = dir.path().join("data");
        let pg_ctl = bin.join("pg_ctl");
        let mut stop = Vec::new();
        if let Some(user) = run_as {
            stop.extend([
                OsStr::new("runuser"),
                OsStr::new("-u"),
                OsStr::new(user),
                OsStr::new("--"),
            ]);
        }
        stop.extend([
            pg_ctl.as_os_str(),
            OsStr::new("stop"),
            OsStr::new("-m"),
            OsStr::new("immediate"),
        ]);
        stop.extend([OsStr::new("-w"), OsStr::new("-D"), data_dir.as_os_str()]);
        let watchdog =
            Watchdog::spawn(&stop, dir.path()).expect("starting the cluster's watchdog (`sh`)");
        let mut postgres = Postgres {
            port: 0,
            bin,
            data_dir,
            run_as,
            started_in: Duration::ZERO,
            _watchdog: watchdog,
            dir,
        };
        postgres.initdb();
        for attempt in 1..=START_ATTEMPTS {
            postgres.port = free_port();
            let output = postgres.pg_ctl_start();
            if output.status.success() {
                postgres.started_in = begin.elapsed();
                return postgres;
            }
            let log = std::fs::read_to_string(postgres.log_path()).unwrap_or_default();
            if attempt < START_ATTEMPTS && port_was_taken(&log) {
                continue;
            }
            panic!(
                "PostgreSQL did not start on 127.0.0.1:{} (`pg_ctl start` {}); is `{SETUP}` \
                 done?\n{}\n--- server log ---\n{log}",
                postgres.port,
                output.status,
                output_text(&output)
            );
        }
        unreachable!("the last attempt returns or panics")
    }

    /// The port the server listens on, on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A libpq-style URL of database `postgres` as superuser `postgres` (no password needed):
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        self.url_for(SUPERUSER)
    }

    /// Like [`Postgres::url`], for another database of this cluster (see
    /// [`Postgres::create_database`]).
    pub fn url_for(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// The superuser's name, `postgres`.
    pub fn user(&self) -> &'static str {
        SUPERUSER
    }

    /// How long [`Postgres::start`] took, initdb included.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// The cluster's data directory (inside a temporary directory removed on drop).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Runs SQL through `psql` as the superuser on database `postgres` and returns its unaligned,
    /// tuples-only output, trimmed (`SELECT 1` gives `"1"`).
    ///
    /// # Panics
    ///
    /// When `psql` fails, with its output.
    pub fn psql(&self, sql: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args(["-p", &self.port.to_string(), "-U", SUPERUSER, "-d", SUPERUSER, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .expect("running psql");
        assert!(output.status.success(), "psql `{sql}` failed: {}", output_text(&output));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Creates database `name` (an identifier, quoted as given).
    ///
    /// # Panics
    ///
    /// When the database cannot be created, for example because it exists.
    pub fn create_database(&self, name: &str) {
        self.psql(&format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\"")));
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// A command for a PostgreSQL tool, run as the cluster's owner.
    fn tool(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        let mut command = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        };
        // The owner may not be able to enter our working directory; libpq settings of the
        // environment must not leak in.
        command
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        command
    }

    fn initdb(&self) {
        let output = self
            .tool("initdb")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C"])
            .args(["--no-sync", "--no-instructions"])
            .output()
            .expect("running initdb");
        assert!(
            output.status.success(),
            "initdb failed ({}); is `{SETUP}` done (it creates the `{CLUSTER_USER}` user)?\n{}",
            output.status,
            output_text(&output)
        );
    }

    fn pg_ctl_start(&self) -> Output {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories='{}' \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        self.tool("pg_ctl")
            .args(["start", "-w", "-t", &START_TIMEOUT_SECS.to_string(), "-D"])
            .arg(&self.data_dir)
            .arg("-l")
            .arg(self.log_path())
            .args(["-o", &options])
            .output()
            .expect("running pg_ctl start")
    }
}

/// The uid and gid of a system user, through `id`.
fn user_ids(user: &str) -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let output = Command::new("id").args([flag, user]).output().expect("running `id`");
        assert!(
            output.status.success(),
            "the system user `{user}` is missing; run `{SETUP}` as root to create it"
        );
        String::from_utf8_lossy(&output.stdout).trim().parse().expect("`id` prints a number")
    };
    (id("-u"), id("-g"))
}

fn output_text(output: &Output) -> String {
    format!(
        "--- stdout ---\n{}--- stderr ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_name_the_setup_script() {
        let missing = PathBuf::from("/nonexistent/postgresql/bin");
        let panic = std::panic::catch_unwind(|| Postgres::start_with(missing)).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains(".ci/setup.d/postgres.sh"), "{message}");
    }
}

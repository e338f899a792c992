//! An S3-compatible server from `target/s3-venv`: LocalStack's runtime in host mode (S3 only, no
//! Docker) or moto's `moto_server`, on a free `127.0.0.1` port, with its data in a temporary
//! directory.
//!
//! Both accept any credentials and do not check signatures; see the crate's README.md for what
//! each does with conditional requests. It does not install the servers: `.ci/setup.d/s3.sh` does.

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http::{self, Response};
use crate::watch::Watchdog;
use crate::{START_ATTEMPTS, free_port, port_was_taken, repo_root};

const SETUP: &str = ".ci/setup.d/s3.sh";
/// How long a server may take to answer its health check.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const REGION: &str = "us-east-1";
const ACCESS_KEY_ID: &str = "test";
const SECRET_ACCESS_KEY: &str = "test";

/// Which S3 implementation an [`S3Server`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum S3Kind {
    /// LocalStack (`localstack-core`): conditional PUT is atomic under contention (a lock per
    /// key); DeleteObject with `If-Match` answers 501.
    LocalStack,
    /// moto's server mode (`moto[server]`): implements conditional DeleteObject; reads without an
    /// `Authorization` header are refused with 403.
    Moto,
}

impl S3Kind {
    /// Every kind, for tests that run against each S3 implementation.
    pub const ALL: [S3Kind; 2] = [S3Kind::LocalStack, S3Kind::Moto];

    /// A short lowercase name: `localstack` or `moto`.
    pub fn name(self) -> &'static str {
        match self {
            S3Kind::LocalStack => "localstack",
            S3Kind::Moto => "moto",
        }
    }
}

/// A running S3-compatible server on `127.0.0.1`; dropping it kills the server and removes its
/// data.
#[derive(Debug)]
pub struct S3Server {
    kind: S3Kind,
    port: u16,
    started_in: Duration,
    log_path: PathBuf,
    process: Child,
    // Invariant: `Some` until drop. Releasing it kills the server's process group and removes
    // `dir`, also when the test process dies without dropping anything.
    watchdog: Option<Watchdog>,
    _dir: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        drop(self.watchdog.take());
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl S3Server {
    /// Starts a fresh server of `kind` and waits (at most 60 s) until it answers its health check.
    ///
    /// The venv is `FIREFORM_S3_VENV` (relative to the repository root) or `target/s3-venv`.
    ///
    /// # Panics
    ///
    /// When the venv is missing (naming `.ci/setup.d/s3.sh`), or the server exits or does not
    /// become healthy in time (with its log).
    pub fn start(kind: S3Kind) -> S3Server {
        S3Server::start_in(kind, &venv())
    }

    fn start_in(kind: S3Kind, venv: &Path) -> S3Server {
        let begin = Instant::now();
        let program = match kind {
            S3Kind::LocalStack => venv.join("bin/python"),
            S3Kind::Moto => venv.join("bin/moto_server"),
        };
        assert!(
            program.is_file(),
            "`{}` is missing or out of reach: the S3 test servers are not installed for this \
             user; run `{SETUP}`",
            program.display()
        );
        for attempt in 1..=START_ATTEMPTS {
            let dir = tempfile::Builder::new()
                .prefix(&format!("fireform-{}-", kind.name()))
                .tempdir()
                .expect("creating a temporary directory for an S3 server");
            let port = free_port();
            let log_path = dir.path().join("server.log");
            let log = File::create(&log_path).expect("creating the S3 server's log file");
            let (process, watchdog) = spawn(kind, &program, port, dir.path(), log);
            let mut server = S3Server {
                kind,
                port,
                started_in: Duration::ZERO,
                log_path,
                process,
                watchdog: Some(watchdog),
                _dir: dir,
            };
            match server.wait_until_healthy(begin) {
                Ok(()) => {
                    server.started_in = begin.elapsed();
                    return server;
                }
                Err(problem) => {
                    let log = server.log();
                    if attempt < START_ATTEMPTS && port_was_taken(&log) {
                        continue;
                    }
                    panic!(
                        "{} did not start on 127.0.0.1:{port}: {problem}; is `{SETUP}` done?\n\
                         --- server log ---\n{log}",
                        kind.name()
                    );
                }
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// Which implementation this is.
    pub fn kind(&self) -> S3Kind {
        self.kind
    }

    /// The endpoint URL, `http://127.0.0.1:PORT`, for path-style requests (`/BUCKET/KEY`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port the server listens on, on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The region buckets are created in, `us-east-1`.
    pub fn region(&self) -> &'static str {
        REGION
    }

    /// An access key id the server accepts (`test`; neither server checks credentials).
    pub fn access_key_id(&self) -> &'static str {
        ACCESS_KEY_ID
    }

    /// The secret access key going with [`S3Server::access_key_id`] (`test`).
    pub fn secret_access_key(&self) -> &'static str {
        SECRET_ACCESS_KEY
    }

    /// The standard AWS environment variables that point a client at this server: credentials,
    /// region and `AWS_ENDPOINT_URL_S3`.
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ENDPOINT_URL_S3", self.endpoint()),
        ]
    }

    /// How long [`S3Server::start`] took until the server was healthy.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// Everything the server printed so far, for panic messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Creates bucket `name` with a plain unsigned path-style `PUT /NAME` (both servers accept
    /// it). S3 bucket names have 3 to 63 characters: lowercase letters, digits, `-` and `.`.
    ///
    /// # Panics
    ///
    /// When the server does not answer 200, with its answer.
    pub fn create_bucket(&self, name: &str) {
        let response = self.request("PUT", &format!("/{name}"), &[], b"");
        assert_eq!(
            response.status,
            200,
            "creating bucket `{name}` on {} failed: {}",
            self.kind.name(),
            response.text()
        );
    }

    /// Sends one raw HTTP request (path-style, unsigned unless `headers` carry an
    /// `Authorization`) and returns the whole response; for looking at or changing objects
    /// behind the back of the code under test. moto refuses reads without an `Authorization`
    /// header (any value passes).
    ///
    /// # Panics
    ///
    /// When the request cannot be sent or the response read (10 s timeout).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        http::request(self.port, method, path, headers, body, Duration::from_secs(10))
            .unwrap_or_else(|error| panic!("{method} {path} to {}: {error}", self.kind.name()))
    }

    fn wait_until_healthy(&mut self, begin: Instant) -> Result<(), String> {
        let path = match self.kind {
            S3Kind::LocalStack => "/_localstack/health",
            S3Kind::Moto => "/moto-api/",
        };
        loop {
            let answer = http::request(self.port, "GET", path, &[], b"", Duration::from_secs(2));
            let healthy = answer.as_ref().is_ok_and(|response| {
                response.status == 200
                    && match self.kind {
                        // The gateway answers before S3 is loaded; EAGER_SERVICE_LOADING makes it
                        // `running` before the health check passes.
                        S3Kind::LocalStack => {
                            let text = response.text().replace(' ', "");
                            text.contains(r#""s3":"running""#)
                                || text.contains(r#""s3":"available""#)
                        }
                        S3Kind::Moto => true,
                    }
            });
            if healthy {
                return Ok(());
            }
            if self.log().contains("Address already in use") {
                return Err("its port was taken".to_owned());
            }
            if let Ok(Some(status)) = self.process.try_wait() {
                return Err(format!("the server exited ({status})"));
            }
            if begin.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "no healthy answer within {START_TIMEOUT:?} (last: {answer:?})"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The venv holding the servers.
fn venv() -> PathBuf {
    std::env::var_os("FIREFORM_S3_VENV")
        .map(|venv| repo_root().join(venv))
        .unwrap_or_else(|| repo_root().join("target/s3-venv"))
}

/// Starts the server in its own process group, under a watchdog that kills the group and removes
/// `dir` when released.
fn spawn(kind: S3Kind, program: &Path, port: u16, dir: &Path, log: File) -> (Child, Watchdog) {
    let listen = format!("127.0.0.1:{port}");
    let mut command = Command::new(program);
    // Only what the server needs: settings of the developer's environment (LocalStack and moto
    // read many variables) must not change the tests.
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TMPDIR", dir)
        .env("LC_ALL", "C.UTF-8")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("sharing the S3 server's log file"))
        .stderr(log);
    match kind {
        S3Kind::LocalStack => {
            command.args(["-m", "localstack.runtime.main"]).envs([
                ("GATEWAY_LISTEN", listen.as_str()),
                ("SERVICES", "s3"),
                ("EAGER_SERVICE_LOADING", "1"),
                // No network: no DNS server, no analytics events, no certificate download.
                ("DNS_ADDRESS", "0"),
                ("DISABLE_EVENTS", "1"),
                ("SKIP_SSL_CERT_DOWNLOAD", "1"),
            ]);
            command.env("FILESYSTEM_ROOT", dir.join("localstack"));
        }
        S3Kind::Moto => {
            command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        }
    }
    command.process_group(0);
    let process = command.spawn().expect("starting the S3 server");
    let group = format!("-{}", process.id());
    // dash's `kill` takes a negative pid (the group) right after the signal, but no `--`.
    let stop = [OsStr::new("kill"), OsStr::new("-KILL"), OsStr::new(&group)];
    let watchdog = Watchdog::spawn(&stop, dir).expect("starting the S3 server's watchdog (`sh`)");
    (process, watchdog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_venv_names_the_setup_script() {
        let missing = Path::new("/nonexistent/fireform-s3-venv");
        for kind in S3Kind::ALL {
            let panic = std::panic::catch_unwind(|| S3Server::start_in(kind, missing)).unwrap_err();
            let message = panic.downcast_ref::<String>().unwrap();
            assert!(message.contains(".ci/setup.d/s3.sh"), "{message}");
        }
    }
}

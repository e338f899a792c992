//! Runs the conformance suite in `tests/conformance` (pytest, the official `fireworks-ai` Python
//! client pinned at 1.2.30) against an emulator started in-process on loopback with instant
//! lifecycles, so that `cargo test` proves the official client cannot tell the emulator from the
//! real control plane on the operations we use.
//!
//! It never skips: when the Python environment is missing it fails and says how to install it
//! (`bash .ci/setup.d/python.sh`). It does not install anything itself, and it does not judge the
//! emulator: every assertion lives in the Python suite, whose output is streamed as it runs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use fireform_emulator::{AccountKey, EmulatorConfig, Timings};

/// The client version the suite and the API reference were written against.
const CLIENT_VERSION: &str = "1.2.30";
/// A whole run takes a few seconds; this only stops a hung run from hanging `cargo test`.
const SUITE_DEADLINE: Duration = Duration::from_secs(300);
/// A second account with its own key, for the cross-account checks.
const OTHER_ACCOUNT: &str = "conformance-other";

/// The checkout this test runs from: `cargo test` sets `CARGO_MANIFEST_DIR` at run time too,
/// which stays right when one target directory serves several checkouts.
fn repo_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../..")
        .canonicalize()
        .expect("the crate lives two levels below the repo root")
}

/// The venv's interpreter: `FIREFORM_CONFORMANCE_VENV` (relative paths from the repo root) or
/// `target/conformance-venv`, where `.ci/setup.d/python.sh` puts it.
fn python(root: &Path) -> PathBuf {
    let venv = std::env::var_os("FIREFORM_CONFORMANCE_VENV")
        .map_or_else(|| PathBuf::from("target/conformance-venv"), PathBuf::from);
    root.join(venv).join("bin/python")
}

/// Fails, naming the fix, unless `python` imports the pinned client and pytest.
fn check_environment(python: &Path, root: &Path) {
    let probe = format!(
        "import fireworks, pytest, httpx; assert fireworks.__version__ == {CLIENT_VERSION:?}, fireworks.__version__"
    );
    let ok = Command::new(python)
        .args(["-c", &probe])
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        ok,
        "the conformance suite's Python environment is missing or stale (`{}` cannot import \
         fireworks-ai {CLIENT_VERSION} and pytest); install it with `bash .ci/setup.d/python.sh`",
        python.display()
    );
}

fn wait_with_deadline(child: &mut std::process::Child, deadline: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("polling the pytest process") {
            return status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the conformance suite did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn official_python_client_conforms() {
    let root = repo_root();
    let python = python(&root);
    check_environment(&python, &root);

    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = EmulatorConfig {
        timings: Timings::instant(),
        extra_accounts: vec![AccountKey {
            account: OTHER_ACCOUNT.to_owned(),
            api_key: "conformance-other-key".to_owned(),
        }],
        ..EmulatorConfig::default()
    };
    let (account, api_key) = (config.account.clone(), config.api_key.clone());
    let server = runtime.block_on(fireform_emulator::start(config)).unwrap();

    let mut child = Command::new(&python)
        .args(["-m", "pytest", "tests/conformance", "-q"])
        .current_dir(&root)
        .env("FIREFORM_CONFORMANCE_BASE_URL", server.url())
        .env("FIREWORKS_API_KEY", &api_key)
        .env("FIREWORKS_ACCOUNT_ID", &account)
        .env("FIREFORM_CONFORMANCE_OTHER_ACCOUNT", OTHER_ACCOUNT)
        .env("FIREFORM_CONFORMANCE_WAIT_SECS", "20")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // The client reads these too; a developer's own settings must not redirect it.
        .env_remove("FIREWORKS_BASE_URL")
        .env_remove("FIREWORKS_CUSTOM_HEADERS")
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run `{}`: {err}", python.display()));
    let status = wait_with_deadline(&mut child, SUITE_DEADLINE);
    runtime.block_on(server.shutdown()).unwrap();
    assert!(status.success(), "the conformance suite failed ({status}); its output is above");
}

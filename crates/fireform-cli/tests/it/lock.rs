//! The state lock end to end: while one apply runs, a second one is refused at once with the
//! holder's pid, host and command; with `--lock-timeout` it waits for the first to finish and
//! then succeeds.

use std::time::{Duration, Instant};

use fireform_emulator::EmulatorConfig;

use crate::engine_support::{TestContext, poll_until, small_timings};

const SLOW_DEPLOYMENT: &str = "\
kind: Deployment
name: slow
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
";

#[test]
fn a_second_apply_is_refused_while_the_first_holds_the_lock() {
    let context = TestContext::with_config(EmulatorConfig {
        timings: fireform_emulator::Timings {
            deployment: Duration::from_secs(3),
            ..small_timings()
        },
        ..EmulatorConfig::default()
    });
    context.write("main.yaml", SLOW_DEPLOYMENT);
    let lock_file = context.dir().join(".fireform/state.json.lock");
    let first = context.spawn(&["apply", "--auto-approve"]);
    poll_until(Duration::from_secs(20), "the first apply to take the lock", || {
        lock_file.exists() && context.audit().iter().any(|entry| entry.method == "POST")
    });

    let started = Instant::now();
    let second = context.apply();
    second.expect(1);
    assert!(started.elapsed() < Duration::from_secs(2), "refused at once, not after waiting");
    let stderr = &second.stderr;
    assert!(stderr.contains(") is locked by another run"), "{stderr}");
    assert!(stderr.contains("the state (local state file `"), "{stderr}");
    assert!(stderr.contains(&format!("pid {}", first.id())), "{stderr}");
    assert!(stderr.contains(&format!("host `{}`", fireform_state::hostname())), "{stderr}");
    assert!(stderr.contains("running `fireform apply`"), "{stderr}");
    assert!(stderr.contains("still running"), "{stderr}");

    // With a lock timeout, the next run waits for the first and then finds nothing to do.
    let waiting = context.fireform(&["apply", "--auto-approve", "--lock-timeout", "60s"]);
    waiting.expect(0);
    assert!(waiting.stdout.contains("No changes."), "{}", waiting.render());
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(!lock_file.exists(), "the lock is released");
    let creates = context.audit().iter().filter(|entry| entry.method == "POST").count();
    assert_eq!(creates, 1, "{:?}", context.audit());
}

/// With `endpoint: local`, each command runs the control plane in-process over the world in
/// `.fireform/local/`. A run waiting for the lock must see the world the holder saved, not
/// the one on disk when it started.
#[test]
fn a_waiting_run_on_the_embedded_control_plane_sees_the_holders_world() {
    let context = TestContext::new();
    // The quickstart, with its `endpoint: local` project file: the addon is created seconds
    // after the deployment, while the second run waits.
    context.copy_from_repo("examples/quickstart");
    let project = context.dir();
    std::fs::write(project.join(".fireform.yaml"), "endpoint: local\n").unwrap();
    let command = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fireform"));
        command.args(args).current_dir(project).env("NO_COLOR", "1");
        crate::engine_support::clear_fireworks_env(&mut command);
        command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        command
    };
    let first = command(&["apply", "--auto-approve"]).spawn().unwrap();
    let lock_file = project.join(".fireform/state.json.lock");
    poll_until(Duration::from_secs(20), "the first apply to take the lock", || lock_file.exists());

    let second = command(&["apply", "--auto-approve", "--lock-timeout", "60s"]).output().unwrap();
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(stdout.contains("No changes."), "the second run saw a stale world:\n{stdout}");

    let plan = command(&["plan", "--detailed-exitcode"]).output().unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", String::from_utf8_lossy(&plan.stdout));
}

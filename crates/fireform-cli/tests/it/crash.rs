//! A run killed with SIGKILL in the middle of an apply: the state it left is valid, the lock it
//! left is reported as left by a dead process and removed with `force-unlock`, and the rerun
//! converges without creating anything twice (checked in the emulator's audit log).

use std::time::Duration;

use fireform_emulator::{EmulatorConfig, Timings};

use crate::engine_support::{TestContext, creations, poll_until};

const PROJECT: &str = "\
kind: Deployment
name: shared-base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  enableAddons: true
---
kind: Deployment
name: second-base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_A100_80GB
  enableAddons: true
---
kind: Dataset
name: chats
spec:
  rows:
    - {messages: [{role: user, content: hi}, {role: assistant, content: hello}]}
---
kind: SupervisedFineTuningJob
name: tune
spec:
  dataset: ${dataset/chats}
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  epochs: 1
---
kind: LoraAddon
name: tune
spec:
  model: ${supervised-fine-tuning-job/tune.outputModel}
  deployment: ${deployment/shared-base}
---
kind: LoraAddon
name: tune-second
spec:
  model: ${supervised-fine-tuning-job/tune.outputModel}
  deployment: ${deployment/second-base}
";

#[test]
fn killed_mid_apply_then_rerun_converges_without_duplicates() {
    let context = TestContext::with_config(EmulatorConfig {
        timings: Timings {
            deployment: Duration::from_millis(1500),
            deployment_update: Duration::from_millis(200),
            deletion: Duration::from_millis(200),
            deployed_model: Duration::from_millis(500),
            job: Duration::from_millis(1500),
            ..Timings::default()
        },
        ..EmulatorConfig::default()
    });
    context.write("main.yaml", PROJECT);
    let mut child = context.spawn(&["apply", "--auto-approve"]);
    poll_until(Duration::from_secs(20), "state to record a resource", || {
        context.state()["resources"].as_object().is_some_and(|resources| !resources.is_empty())
    });
    child.kill().unwrap();
    let killed = child.wait_with_output().unwrap();
    assert_eq!(killed.status.code(), None, "killed by a signal, not finished");
    let recorded = context.state_addrs();
    assert!(!recorded.is_empty() && recorded.len() < 6, "mid-apply: {recorded:?}");

    // The lock of the dead run is reported, not taken over silently.
    let refused = context.apply();
    refused.expect(1);
    assert!(refused.stderr.contains("no longer exists on this host"), "{}", refused.stderr);
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(context.dir().join(".fireform/state.json.lock")).unwrap(),
    )
    .unwrap();
    let lock_id = lock["id"].as_str().unwrap();
    assert!(
        refused.stderr.contains(&format!("fireform force-unlock {lock_id}")),
        "{}",
        refused.stderr
    );
    context.fireform(&["force-unlock", lock_id]).expect(0);

    context.apply_converges();
    let counts = creations(&context);
    for (resource, count) in &counts {
        assert_eq!(*count, 1, "{resource} was created {count} times: {counts:?}");
    }
    let loads = counts.keys().filter(|key| key.starts_with("load:")).count();
    assert_eq!(loads, 2, "{counts:?}");
    assert_eq!(counts.len(), 6, "{counts:?}");
}

/// Ctrl-C (SIGINT) mid-apply: nothing new starts, running operations return, state is saved,
/// exit 130; the rerun converges with nothing created twice.
#[test]
fn interrupted_apply_saves_state_and_exits_130() {
    let context = TestContext::with_config(EmulatorConfig {
        timings: Timings {
            deployment: Duration::from_millis(1500),
            job: Duration::from_millis(1500),
            ..crate::engine_support::small_timings()
        },
        ..EmulatorConfig::default()
    });
    context.write("main.yaml", PROJECT);
    let child = context.spawn(&["apply", "--auto-approve"]);
    poll_until(Duration::from_secs(20), "apply to create something", || {
        context.audit().iter().any(|entry| entry.method == "POST" && entry.status == 200)
    });
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let interrupted = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&interrupted.stderr);
    assert_eq!(interrupted.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    assert!(stderr.contains("Apply interrupted; state is saved."), "{stderr}");
    assert!(!context.dir().join(".fireform/state.json.lock").exists(), "the lock is released");

    context.apply_converges();
    for (resource, count) in creations(&context) {
        assert_eq!(count, 1, "{resource} was created {count} times");
    }
}

/// A second Ctrl-C stops waiting at once: the run exits 130 long before the deployment is
/// ready, with the deployment recorded in state so that the rerun does not create it again.
#[test]
fn second_interrupt_stops_waiting_and_keeps_state() {
    use std::io::BufRead as _;

    let context = TestContext::with_config(EmulatorConfig {
        timings: Timings { deployment: Duration::from_secs(60), ..Timings::instant() },
        ..EmulatorConfig::default()
    });
    context.write(
        "main.yaml",
        "kind: Deployment\nname: slow\nspec:\n  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct\n  acceleratorType: NVIDIA_H100_80GB\n",
    );
    let mut child = context.spawn(&["apply", "--auto-approve"]);
    let (lines, received) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut wait_for = |needle: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !seen.iter().any(|line: &String| line.contains(needle)) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match received.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(_) => panic!("never saw `{needle}`; stderr so far: {seen:#?}"),
            }
        }
    };
    let interrupt = || {
        let status = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    wait_for("deployment/slow: Creating...");
    poll_until(Duration::from_secs(20), "the deployment to be created", || {
        context.state_addrs() == ["deployment/slow"]
    });
    interrupt();
    wait_for("Interrupt received");
    let started = std::time::Instant::now();
    interrupt();
    wait_for("Apply interrupted; state is saved.");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen:#?}");
    assert!(started.elapsed() < Duration::from_secs(10), "stopped waiting at once");
    assert!(seen.iter().any(|line| line.contains("Second interrupt")), "{seen:#?}");

    // The rerun waits for the same deployment instead of creating another.
    let plan = context.fireform(&["plan"]);
    plan.expect(0);
    assert!(!plan.stdout.contains("+ deployment/slow"), "{}", plan.stdout);
    assert_eq!(creations(&context).len(), 1);
}

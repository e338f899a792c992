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

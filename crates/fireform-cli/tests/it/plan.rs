//! `fireform plan` end to end: drift made through the API shows exactly the changed field, each
//! action type renders as expected (snapshots), `--target`/`--exclude` narrow the plan, and
//! `--json` is the versioned plan format.

use serde_json::{Value, json};

use crate::engine_support::{TestContext, creations, fireform_snapshot};

const DEPLOYMENT: &str = "\
kind: Deployment
name: base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  minReplicaCount: 0
  maxReplicaCount: 2
  autoscalingPolicy:
    scaleToZeroWindow: 30m
";

#[test]
fn drift_shows_exactly_the_changed_field_and_apply_restores_it() {
    let context = TestContext::new();
    context.write("main.yaml", DEPLOYMENT);
    context.apply_converges();

    // Someone scales the deployment by hand.
    let (status, body) = context.call(
        "PATCH",
        "/deployments/base?updateMask=maxReplicaCount",
        Some(json!({"maxReplicaCount": 5})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["maxReplicaCount"], 5);

    // Without a refresh, the plan trusts the state and cannot see the drift.
    let trusted = context.fireform(&["plan", "--refresh=false", "--detailed-exitcode"]);
    trusted.expect(0);
    assert!(trusted.stdout.contains("No changes."), "{}", trusted.stdout);

    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r"
    ~ deployment/base
        maxReplicaCount: 5 -> 2

    Plan: 0 to add, 1 to change, 0 to destroy.
    ");

    let apply = context.apply();
    apply.expect(0);
    assert!(
        apply.stderr.contains("Resources: 0 added, 1 changed, 0 destroyed."),
        "{}",
        apply.stderr
    );
    let deployment = context.get("/deployments/base");
    assert_eq!(deployment["maxReplicaCount"], 2);
    // Fields the manifest does not set were left alone by the update.
    assert_eq!(deployment["autoscalingPolicy"]["scaleToZeroWindow"], "1800s");
    context.expect_no_changes();
}

const PHASE_ONE: &str = "\
kind: Deployment
name: shared-base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  maxReplicaCount: 1
  enableAddons: true
---
kind: Dataset
name: chats
spec:
  rows:
    - {messages: [{role: user, content: hi}, {role: assistant, content: hello}]}
---
kind: Dataset
name: old-notes
spec:
  datasetId: old-notes
  rows:
    - {messages: [{role: user, content: old}, {role: assistant, content: notes}]}
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
";

/// Phase two of the project: an update in place, a removal, an adoption, a serverless read.
const PHASE_TWO: &str = "\
kind: Deployment
name: shared-base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  maxReplicaCount: 3
  enableAddons: true
---
kind: Deployment
name: made-by-hand
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_A100_80GB
  maxReplicaCount: 2
lifecycle:
  adopt: true
---
kind: Deployment
name: qwen
spec:
  deploymentType: serverless
  baseModel: accounts/fireworks/models/qwen2p5-72b-instruct
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
";

/// Phase three: immutable fields change, so the deployment and the job are replaced, and the
/// addon on both with them.
const PHASE_THREE: &str = "\
kind: Deployment
name: shared-base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_A100_80GB
  maxReplicaCount: 3
  enableAddons: true
---
kind: Deployment
name: made-by-hand
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_A100_80GB
  maxReplicaCount: 2
lifecycle:
  adopt: true
---
kind: Deployment
name: qwen
spec:
  deploymentType: serverless
  baseModel: accounts/fireworks/models/qwen2p5-72b-instruct
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
  epochs: 2
---
kind: LoraAddon
name: tune
spec:
  model: ${supervised-fine-tuning-job/tune.outputModel}
  deployment: ${deployment/shared-base}
";

#[test]
fn every_action_type_renders_and_applies() {
    let context = TestContext::new();
    context.write("main.yaml", PHASE_ONE);
    let create = context.plan();
    create.expect(2);
    fireform_snapshot!(context, "plan_create", &create.stdout);
    context.apply_converges();

    // A deployment made outside fireform, with the id a new manifest resource will have.
    let (status, body) = context.call(
        "POST",
        "/deployments?deploymentId=made-by-hand",
        Some(json!({
            "baseModel": "accounts/fireworks/models/llama-v3p1-8b-instruct",
            "acceleratorType": "NVIDIA_A100_80GB",
            "maxReplicaCount": 1,
        })),
    );
    assert_eq!(status, 200, "{body}");
    context.write("main.yaml", PHASE_TWO);
    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, "plan_update_remove_adopt_read", &plan.stdout);
    context.apply_converges();
    assert_eq!(context.get("/deployments/shared-base")["maxReplicaCount"], 3);
    assert_eq!(context.get("/deployments/made-by-hand")["maxReplicaCount"], 2);
    let (status, _) = context.call("GET", "/datasets/old-notes", None);
    assert_eq!(status, 404, "the removed dataset is deleted");
    assert!(context.state_addrs().contains(&"deployment/qwen".to_owned()));

    context.write("main.yaml", PHASE_THREE);
    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, "plan_replace", &plan.stdout);
    context.apply_converges();
    assert_eq!(context.get("/deployments/shared-base")["acceleratorType"], "NVIDIA_A100_80GB");
    let job = context.get("/supervisedFineTuningJobs/tune");
    assert_eq!(job["state"], "JOB_STATE_COMPLETED");
    assert_eq!(job["epochs"], 2);
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0]["state"], "DEPLOYED");
    // The adopted deployment was never created by fireform.
    let counts = creations(&context);
    assert_eq!(counts.get("accounts/fireform-local/deployments/made-by-hand"), Some(&1));
}

const TWO_DEPLOYMENTS: &str = "\
kind: Deployment
name: alpha
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
---
kind: Deployment
name: beta
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
";

#[test]
fn target_and_exclude_narrow_the_plan() {
    let context = TestContext::new();
    context.write("main.yaml", TWO_DEPLOYMENTS);
    let plan = context.fireform(&["plan", "--target", "deployment/alpha"]);
    plan.expect(0);
    assert!(plan.stdout.contains("+ deployment/alpha"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("deployment/beta"), "{}", plan.stdout);

    context.fireform(&["apply", "--auto-approve", "--exclude", "deployment/beta"]).expect(0);
    assert_eq!(context.names("deployments"), ["accounts/fireform-local/deployments/alpha"]);
    context.fireform(&["apply", "--auto-approve", "--target", "deployment/beta"]).expect(0);
    assert_eq!(context.names("deployments").len(), 2);
    context.expect_no_changes();
}

#[test]
fn json_plan_is_versioned_and_machine_readable() {
    let context = TestContext::new();
    context.write("main.yaml", TWO_DEPLOYMENTS);
    let plan = context.fireform(&["plan", "--json"]);
    plan.expect(0);
    let document: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(document["formatVersion"], 1);
    assert_eq!(document["mode"], "apply");
    let actions: Vec<(&str, &str)> = document["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| (change["addr"].as_str().unwrap(), change["action"].as_str().unwrap()))
        .collect();
    assert_eq!(actions, [("deployment/alpha", "create"), ("deployment/beta", "create")]);
}

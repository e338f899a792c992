//! End-to-end checks of `load_str`: valid documents become resources; invalid ones produce
//! every diagnostic, rendered rustc-style.

use std::path::Path;

use fireform_core::{ResourceAddr, Value};
use fireform_manifest::{RenderOptions, load_str};

fn errors(text: &str) -> String {
    match load_str(Path::new("main.yaml"), text) {
        Ok(manifest) => panic!("expected errors, loaded {} resources", manifest.resources.len()),
        Err(diagnostics) => diagnostics.render(RenderOptions::default()),
    }
}

const VALID: &str = r"
kind: Deployment
name: shared-base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  enableAddons: true
  autoscalingPolicy: { scaleDownWindow: 10m }
lifecycle:
  ignoreChanges: [minReplicaCount, autoscalingPolicy.scaleDownWindow]
  timeouts: { create: 30m }
---
kind: LoraAddon
name: support-v1
spec:
  model: ${supervised-fine-tuning-job/support-v1.outputModel}
  deployment: ${deployment/shared-base}
---
kind: SupervisedFineTuningJob
name: support-v1
spec:
  dataset: ${dataset/chats}
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  epochs: 2
  learningRate: 1
---
kind: Dataset
name: chats
spec:
  rows:
    - {messages: [{role: user, content: hi}, {role: assistant, content: hello}]}
";

#[test]
fn valid_documents_become_resources() {
    let manifest = load_str(Path::new("main.yaml"), VALID).unwrap();
    let addrs: Vec<String> = manifest.resources.keys().map(ToString::to_string).collect();
    assert_eq!(
        addrs,
        [
            "deployment/shared-base",
            "lora-addon/support-v1",
            "dataset/chats",
            "supervised-fine-tuning-job/support-v1"
        ]
    );
    let base: ResourceAddr = "deployment/shared-base".parse().unwrap();
    let base = &manifest.resources[&base];
    assert_eq!(base.spec["deploymentType"], Value::String("on-demand".into()));
    assert_eq!(base.lifecycle.timeouts.create, Some(std::time::Duration::from_secs(1800)));
    assert_eq!((base.location.line, base.location.column), (2, 1));
    let Value::Map(policy) = &base.spec["autoscalingPolicy"] else { panic!("not a map") };
    assert_eq!(policy["scaleDownWindow"], Value::Duration(std::time::Duration::from_secs(600)));
    let sft: ResourceAddr = "supervised-fine-tuning-job/support-v1".parse().unwrap();
    assert_eq!(manifest.resources[&sft].spec["learningRate"], Value::Float(1.0));
    let addon: ResourceAddr = "lora-addon/support-v1".parse().unwrap();
    let references: Vec<String> = manifest.resources[&addon]
        .references()
        .into_iter()
        .map(|(path, reference)| format!("{path} = {reference}"))
        .collect();
    assert_eq!(
        references,
        [
            "spec.deployment = ${deployment/shared-base}",
            "spec.model = ${supervised-fine-tuning-job/support-v1.outputModel}"
        ]
    );
}

#[test]
fn every_problem_in_one_run() {
    insta::assert_snapshot!(errors(r"
kind: Deployment
name: base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100
  minReplica: 1
  maxReplicaCount: '2'
"), @r"
    error: unknown value `NVIDIA_H100` for `acceleratorType`
     --> main.yaml:6:20
      |
    6 |   acceleratorType: NVIDIA_H100
      |                    ^^^^^^^^^^^
      = help: did you mean `NVIDIA_H100_80GB`?

    error: unknown field `minReplica` in Deployment spec
     --> main.yaml:7:3
      |
    7 |   minReplica: 1
      |   ^^^^^^^^^^
      = help: did you mean `minReplicaCount`?

    error: `maxReplicaCount` expects an integer, found the string `2`
     --> main.yaml:8:20
      |
    8 |   maxReplicaCount: '2'
      |                    ^^^ expected an integer
      = help: remove the quotes: `2`
    ");
}

#[test]
fn lora_addon_needs_enable_addons_and_matching_base() {
    let text = VALID.replace("  enableAddons: true\n", "").replace(
        "  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct\n  epochs",
        "  baseModel: accounts/fireworks/models/qwen3-8b\n  epochs",
    );
    let rendered = errors(&text);
    assert!(
        rendered.contains("needs `deployment/shared-base` to set `enableAddons: true`"),
        "{rendered}"
    );
    assert!(
        rendered.contains("serves a model trained on `accounts/fireworks/models/qwen3-8b`"),
        "{rendered}"
    );
}

#[test]
fn missing_reference_suggests_nearest() {
    let rendered = errors(&VALID.replace("${dataset/chats}", "${dataset/chat}"));
    assert!(rendered.contains("refers to `dataset/chat`, which is not defined"), "{rendered}");
    assert!(rendered.contains("did you mean `dataset/chats`?"), "{rendered}");
}

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

/// Dataset rows, written with keys out of alphabetical order in block and flow style, with
/// nesting, non-ASCII text, floats and a `${…}` string.
const ROWS: &str = r#"
kind: Dataset
name: chats
spec:
  rows:
    - messages:
        - role: user
          content: "héllo ${deployment/base}"
        - {role: assistant, content: 日本語, weight: 0.5}
      z: {b: 1, a: [1e-05, -0.25, ~, true]}
    - {prompt: p, completion: c}
"#;

#[test]
fn inline_rows_keep_written_key_order_on_both_yaml_paths() {
    let expected = serde_json::json!([
        {
            "messages": [
                {"role": "user", "content": "héllo ${deployment/base}"},
                {"role": "assistant", "content": "日本語", "weight": 0.5}
            ],
            "z": {"b": 1, "a": [1e-05, -0.25, null, true]}
        },
        {"prompt": "p", "completion": "c"}
    ]);
    let key_order = |rows: &[serde_json::Value]| -> Vec<Vec<String>> {
        let mut orders = Vec::new();
        let mut stack: Vec<&serde_json::Value> = rows.iter().collect();
        while let Some(value) = stack.pop() {
            match value {
                serde_json::Value::Object(entries) => {
                    orders.push(entries.keys().cloned().collect());
                    stack.extend(entries.values());
                }
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        orders
    };
    // `1e-05` is not a plain decimal, so this text already goes through serde-saphyr; the
    // variant without it takes the fast path. An anchor forces serde-saphyr on the other.
    let fast = ROWS.replace("1e-05", "0.00001");
    let slow = fast.replace("name: chats", "name: &n chats");
    let mut seen = Vec::new();
    for text in [ROWS.to_owned(), fast, slow] {
        let manifest = load_str(Path::new("main.yaml"), &text).unwrap();
        let chats = &manifest.resources[&"dataset/chats".parse::<ResourceAddr>().unwrap()];
        let rows = chats.inline_rows.as_deref().unwrap();
        assert_eq!(serde_json::Value::Array(rows.to_vec()), expected, "{text}");
        // `json!` and the loader both keep insertion order; equality alone ignores it.
        assert_eq!(key_order(rows), key_order(expected.as_array().unwrap()), "{text}");
        assert_eq!(key_order(rows)[0], ["prompt", "completion"]);
        // Rows are data: the `${…}` text is not a reference.
        assert!(chats.references().is_empty());
        // The spec keeps the same rows as sorted maps.
        let Value::List(spec_rows) = &chats.spec["rows"] else { panic!("rows not a list") };
        let Value::Map(second) = &spec_rows[1] else { panic!("row not a map") };
        assert_eq!(second.keys().collect::<Vec<_>>(), ["completion", "prompt"]);
        seen.push(rows.to_vec());
    }
    assert!(seen.windows(2).all(|pair| pair[0] == pair[1]));
}

#[test]
fn only_datasets_with_rows_have_inline_rows() {
    let manifest = load_str(Path::new("main.yaml"), VALID).unwrap();
    for (addr, resource) in &manifest.resources {
        assert_eq!(resource.inline_rows.is_some(), addr.to_string() == "dataset/chats", "{addr}");
    }
}

#[test]
fn rows_reject_numbers_json_cannot_hold() {
    // The YAML layer refuses non-finite floats, so rows are always valid JSON.
    for (text, shown) in [("1e999", "`1e999`"), (".nan", "`.nan`"), ("-.inf", "`-.inf`")] {
        let rendered =
            errors(&format!("kind: Dataset\nname: d\nspec:\n  rows:\n    - {{score: {text}}}\n"));
        assert!(rendered.contains(&format!("non-finite float {shown}")), "{rendered}");
        assert!(rendered.contains("main.yaml:5:15"), "{rendered}");
    }
}

#[test]
fn lifecycle_adopt_is_a_flag() {
    let manifest = load_str(
        Path::new("main.yaml"),
        &VALID.replace("  timeouts:", "  adopt: true\n  timeouts:"),
    )
    .unwrap();
    let base: ResourceAddr = "deployment/shared-base".parse().unwrap();
    assert!(manifest.resources[&base].lifecycle.adopt);
    let sft: ResourceAddr = "supervised-fine-tuning-job/support-v1".parse().unwrap();
    assert!(!manifest.resources[&sft].lifecycle.adopt, "false unless written");

    let text = VALID.replace("  timeouts:", "  adopt: yes\n  adpot: true\n  timeouts:");
    insta::assert_snapshot!(errors(&text), @r"
    error: `adopt` expects `true` or `false`, found the string `yes`
      --> main.yaml:11:10
       |
    11 |   adopt: yes
       |          ^^^ expected `true` or `false`
       = help: write `true`

    error: unknown key `adpot` in `lifecycle`
      --> main.yaml:12:3
       |
    12 |   adpot: true
       |   ^^^^^
       = note: lifecycle keys are `preventDestroy`, `ignoreChanges`, `createBeforeDestroy`, `keepOutputs`, `adopt`, `timeouts`
       = help: did you mean `adopt`?
    ");
}

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

/// Issue 10: renames are declared with `moved` documents, which are not resources.
const MOVED: &str = r"
kind: LoraAddon
name: support
spec:
  model: accounts/my-account/models/support
---
moved:
  from: lora-addon/support-v1
  to: lora-addon/support-v2
---
moved: {from: lora-addon/support-v2, to: lora-addon/support}
---
moved:
  from: dataset/chats-old
  to: dataset/chats
---
kind: Dataset
name: chats
spec:
  rows: [{messages: [{role: user, content: hi}]}]
";

#[test]
fn moved_documents_chain_to_declared_resources() {
    let manifest = load_str(Path::new("main.yaml"), MOVED).unwrap();
    let addr = |text: &str| text.parse::<ResourceAddr>().unwrap();
    assert_eq!(manifest.resources.len(), 2, "moved documents are not resources");
    let moves: Vec<String> = manifest
        .moved
        .iter()
        .map(|moved| {
            let at = &moved.location;
            format!(
                "{} -> {} at {}:{}",
                moved.from, moved.to, at.line, moved.from_span.location.line
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            "lora-addon/support-v1 -> lora-addon/support-v2 at 7:8",
            "lora-addon/support-v2 -> lora-addon/support at 11:11",
            "dataset/chats-old -> dataset/chats at 13:14",
        ]
    );
    let to = |from: &str| manifest.moved_to(&addr(from)).map(ToString::to_string);
    assert_eq!(to("lora-addon/support-v1").as_deref(), Some("lora-addon/support"));
    assert_eq!(to("lora-addon/support-v2").as_deref(), Some("lora-addon/support"));
    assert_eq!(to("dataset/chats-old").as_deref(), Some("dataset/chats"));
    assert_eq!(to("lora-addon/support"), None);
}

#[test]
fn malformed_moved_documents_are_reported_together() {
    insta::assert_snapshot!(errors(r"
moved: lora-addon/a
---
moved:
  from: lora-addon/a
  too: lora-addon/b
kind: LoraAddon
---
moved:
  from: ${lora-addon/a}
  to: LoraAddon/b
---
moved: {from: 3, to: lora-addon/b}
---
moved: {from: lora-addon/a, to: dataset/b}
---
moved: {from: deployment/base-v1, to: deployment/base}
---
moved: {from: supervised-fine-tuning-job/a, to: supervised-fine-tuning-job/b}
"), @r"
    error: `moved` expects a mapping with `from` and `to`, found the string `lora-addon/a`
     --> main.yaml:2:8
      |
    2 | moved: lora-addon/a
      |        ^^^^^^^^^^^^ expected a mapping with `from` and `to`

    error: `moved` has no `to`
     --> main.yaml:4:1
      |
    4 | moved:
      | ^^^^^ no `to` here
      = help: add `to:` with its address now, e.g. `to: lora-addon/support`

    error: unknown key `too` in `moved`
     --> main.yaml:6:3
      |
    6 |   too: lora-addon/b
      |   ^^^
      = note: `moved` has `from` (the old address) and `to` (the new one)
      = help: did you mean `to`?

    error: unknown key `kind` in a `moved` document
     --> main.yaml:7:1
      |
    7 | kind: LoraAddon
      | ^^^^
      = note: a `moved` document has only `moved`, with `from` and `to`
      = help: declare the resource in a document of its own, after `---`

    error: `moved.from` takes an address, not a reference
      --> main.yaml:10:9
       |
    10 |   from: ${lora-addon/a}
       |         ^^^^^^^^^^^^^^^
       = help: write the plain address `lora-addon/a`

    error: invalid address in `moved.to`: unknown resource kind `LoraAddon` in address
      --> main.yaml:11:7
       |
    11 |   to: LoraAddon/b
       |       ^^^^^^^^^^^
       = help: did you mean `lora-addon`?

    error: `from` expects an address such as `lora-addon/support`, found the integer `3`
      --> main.yaml:13:15
       |
    13 | moved: {from: 3, to: lora-addon/b}
       |               ^ expected an address such as `lora-addon/support`

    error: `moved` cannot change the kind: `lora-addon/a` is a LoraAddon, `dataset/b` a Dataset
      --> main.yaml:15:33
       |
    15 | moved: {from: lora-addon/a, to: dataset/b}
       |                                 ^^^^^^^^^ another kind
       |
      ::: main.yaml:15:15
       |
    15 | moved: {from: lora-addon/a, to: dataset/b}
       |               ------------ moved from here
       = help: a rename keeps the kind; remove this `moved` to plan a create and a destroy

    error: a deployment's id is its name, so `moved` cannot rename it in Fireworks
      --> main.yaml:17:39
       |
    17 | moved: {from: deployment/base-v1, to: deployment/base}
       |                                       ^^^^^^^^^^^^^^^ a new name
       |
      ::: main.yaml:17:15
       |
    17 | moved: {from: deployment/base-v1, to: deployment/base}
       |               ------------------ the name it has in Fireworks
       = help: a new name means a new deployment: remove this `moved` to plan it as a create and a destroy, or keep the old name `base-v1`

    error: a supervised fine-tuning job's id is its name, so `moved` cannot rename it in Fireworks
      --> main.yaml:19:49
       |
    19 | moved: {from: supervised-fine-tuning-job/a, to: supervised-fine-tuning-job/b}
       |                                                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ a new name
       |
      ::: main.yaml:19:15
       |
    19 | moved: {from: supervised-fine-tuning-job/a, to: supervised-fine-tuning-job/b}
       |               ---------------------------- the name it has in Fireworks
       = help: a new name means a new supervised fine-tuning job: remove this `moved` to plan it as a create and a destroy, or keep the old name `a`
    ");
}

#[test]
fn moved_documents_must_agree_with_the_manifests() {
    insta::assert_snapshot!(errors(r"
kind: Dataset
name: kept
spec: {rows: [{messages: []}]}
---
moved: {from: dataset/kept, to: dataset/gone}
---
moved: {from: dataset/a, to: dataset/kept}
---
moved: {from: dataset/a, to: dataset/b}
---
moved: {from: dataset/c, to: dataset/kept}
---
moved: {from: dataset/x, to: dataset/y}
---
moved: {from: dataset/y, to: dataset/x}
---
moved: {from: dataset/z, to: dataset/z}
"), @r"
    error: `dataset/kept` is moved to `dataset/gone`, but is still declared
     --> main.yaml:6:15
      |
    6 | moved: {from: dataset/kept, to: dataset/gone}
      |               ^^^^^^^^^^^^ moved from here
      |
     ::: main.yaml:3:7
      |
    3 | name: kept
      |       ---- still declared here
      = help: remove `dataset/kept` from the manifests, it has moved

    error: `dataset/kept` is moved to `dataset/gone`, which is not declared
     --> main.yaml:6:33
      |
    6 | moved: {from: dataset/kept, to: dataset/gone}
      |                                 ^^^^^^^^^^^^ no such resource in these manifests
      = help: declare `dataset/gone` in the manifests
      = help: did you mean `dataset/kept`?

    error: `dataset/a` is moved twice
      --> main.yaml:10:15
       |
    10 | moved: {from: dataset/a, to: dataset/b}
       |               ^^^^^^^^^ moved again here
       |
      ::: main.yaml:8:15
       |
     8 | moved: {from: dataset/a, to: dataset/kept}
       |               --------- first moved here
       = help: an address moves once; for several renames, chain them: `a` to `b`, then `b` to `c`

    error: `dataset/a` is moved to `dataset/b`, which is not declared
      --> main.yaml:10:30
       |
    10 | moved: {from: dataset/a, to: dataset/b}
       |                              ^^^^^^^^^ no such resource in these manifests
       = help: declare `dataset/b` in the manifests
       = help: did you mean `dataset/kept`?

    error: two `moved` documents move to `dataset/kept`
      --> main.yaml:12:30
       |
    12 | moved: {from: dataset/c, to: dataset/kept}
       |                              ^^^^^^^^^^^^ moved to again here
       |
      ::: main.yaml:8:30
       |
     8 | moved: {from: dataset/a, to: dataset/kept}
       |                              ------------ first moved to here
       = help: one resource cannot take the place of two; keep one of them

    error: `moved` documents form a cycle: `dataset/x` → `dataset/y` → `dataset/x`
      --> main.yaml:14:15
       |
    14 | moved: {from: dataset/x, to: dataset/y}
       |               ^^^^^^^^^ moved to `dataset/y`
       |
      ::: main.yaml:16:15
       |
    16 | moved: {from: dataset/y, to: dataset/x}
       |               --------- moved to `dataset/x`
       = help: a rename goes one way: remove the `moved` that leads back to `dataset/x`

    error: `moved` moves `dataset/z` to itself
      --> main.yaml:18:30
       |
    18 | moved: {from: dataset/z, to: dataset/z}
       |                              ^^^^^^^^^ the same address
       = help: remove this `moved`; nothing is renamed
    ");
}

/// Issue 10: two jobs may not write one output; a bare id and a full name ending in it are
/// one model, but the same id in two accounts is two.
#[test]
fn jobs_writing_one_output_are_refused() {
    let job = |name: &str, output: &str| {
        format!(
            "---\nkind: SupervisedFineTuningJob\nname: {name}\nspec:\n  dataset: ${{dataset/chats}}\n  baseModel: accounts/fireworks/models/qwen3-8b\n  outputModel: {output}\n"
        )
    };
    let dataset = "kind: Dataset\nname: chats\nspec: {rows: [{messages: []}]}\n";
    let distinct = format!(
        "{dataset}{}{}",
        job("a", "accounts/team-a/models/support"),
        job("b", "accounts/team-b/models/support")
    );
    assert!(load_str(Path::new("main.yaml"), &distinct).is_ok());
    let shared =
        format!("{dataset}{}{}", job("a", "support"), job("b", "accounts/x/models/support"));
    let rendered = errors(&shared);
    assert!(
        rendered.contains("`supervised-fine-tuning-job/a` and `supervised-fine-tuning-job/b` both write the model `accounts/x/models/support`"),
        "{rendered}"
    );
}

/// Issue 10: `format` must match the rows, inline or in the file.
#[test]
fn dataset_format_must_match_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rows.jsonl"),
        "{\"messages\": []}\n\n{\"prompt\": \"p\", \"completion\": \"c\"}\n",
    )
    .unwrap();
    let text = "kind: Dataset\nname: d\nspec:\n  path: rows.jsonl\n  format: CHAT\n";
    let Err(diagnostics) = load_str(&dir.path().join("main.yaml"), text) else {
        panic!("a CHAT dataset of completions loaded");
    };
    let rendered = diagnostics.render(RenderOptions::default());
    assert!(rendered.contains("but line 3 of `"), "{rendered}");
    assert!(rendered.contains("rows.jsonl` is a prompt/completion pair"), "{rendered}");
    // Rows of neither shape (RL prompts) say nothing about CHAT or COMPLETION.
    let rl = "kind: Dataset\nname: d\nspec:\n  format: COMPLETION\n  rows: [{prompt: p}, {prompt: p, completion: c}]\n";
    assert!(load_str(Path::new("main.yaml"), rl).is_ok());
    let rendered = errors(&rl.replace("{prompt: p}", "{messages: [], prompt: p}"));
    assert!(
        rendered.contains("`format` is COMPLETION, but `rows[0]` has `messages`"),
        "{rendered}"
    );
}

//! Property tests: the loader never panics, whatever the input, and a failed load always
//! renders. Arbitrary bytes exercise the YAML layer; strings assembled from manifest-shaped
//! tokens reach deep into the checker (kinds, fields, references, durations, lifecycle).

use std::path::Path;

use fireform_manifest::{RenderOptions, load_str};
use proptest::prelude::*;

fn check(text: &str) {
    match load_str(Path::new("fuzz.yaml"), text) {
        Ok(manifest) => {
            for resource in manifest.resources.values() {
                let _ = resource.references();
            }
        }
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty(), "a failed load reports at least one diagnostic");
            let rendered = diagnostics.render(RenderOptions::default());
            assert!(rendered.contains("error"), "{rendered}");
        }
    }
}

const TOKENS: &[&str] = &[
    "kind: ",
    "Deployment",
    "LoraAddon",
    "Dataset",
    "SupervisedFineTuningJob",
    "ReinforcementFineTuningJob",
    "BatchInferenceJob",
    "Deploymnet",
    "name: ",
    "shared-base",
    "Bad_Name",
    "spec:",
    "  ",
    "    ",
    "\n",
    "\n---\n",
    "- ",
    ": ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"",
    "'",
    "\t",
    "#",
    "baseModel",
    "accounts/fireworks/models/llama-v3p1-8b-instruct",
    "acceleratorType",
    "NVIDIA_H100_80GB",
    "minReplicaCount",
    "maxReplicaCount",
    "-1",
    "0",
    "2",
    "99999999999999999999",
    "1.5",
    "true",
    "yes",
    "~",
    "enableAddons",
    "deploymentType",
    "serverless",
    "auto",
    "autoscalingPolicy",
    "scaleDownWindow",
    "10m",
    "1h30m",
    "5x",
    "model",
    "deployment",
    "${deployment/shared-base}",
    "${supervised-fine-tuning-job/x.outputModel}",
    "${dataset/x",
    "${",
    "}",
    "dataset",
    "rows",
    "path",
    "existing",
    "x.jsonl",
    "../x.jsonl",
    "dependsOn",
    "dataset/x",
    "lifecycle",
    "timeouts",
    "create",
    "ignoreChanges",
    "preventDestroy",
    "adopt",
    "moved",
    "from",
    "to",
    "lora-addon/a",
    "lora-addon/b",
    "trainingConfig",
    "&a",
    "*a",
    "<<: ",
    "!!str ",
    "|\n",
    ">-\n",
    "é",
    "\u{0}",
];

fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn manifest_shaped_text_never_panics(text in yamlish()) {
        check(&text);
    }
}

#[test]
fn deeply_nested_and_aliased_input_is_refused_not_crashed() {
    check(&"[".repeat(10_000));
    check(&"a: ".repeat(5_000));
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    check(bomb);
}

//! `fireform destroy` end to end: the account is left empty (every collection listed through
//! the API, job output models included), deletions run in reverse dependency order, state is
//! empty, and `preventDestroy` refuses.

use crate::engine_support::{TestContext, fireform_snapshot};

/// Every collection an account holds, as the API lists them.
const COLLECTIONS: [&str; 7] = [
    "deployments",
    "deployedModels",
    "datasets",
    "supervisedFineTuningJobs",
    "reinforcementFineTuningJobs",
    "batchInferenceJobs",
    "models",
];

#[test]
fn destroy_leaves_the_account_and_state_empty() {
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    context.apply_converges();
    assert!(!context.names("models").is_empty(), "the job produced its output model");

    let destroy = context.fireform(&["destroy", "--auto-approve"]);
    destroy.expect(0);
    fireform_snapshot!(context, "destroy_quickstart_plan", &destroy.stdout);
    assert!(
        destroy.stderr.contains("Destroy complete! Resources: 4 destroyed."),
        "{}",
        destroy.stderr
    );
    for collection in COLLECTIONS {
        assert_eq!(context.names(collection), Vec::<String>::new(), "{collection} is not empty");
    }
    assert_eq!(context.state_addrs(), Vec::<String>::new());

    // The addon was unloaded before its deployment was deleted, and the job went before its
    // dataset.
    let deletes: Vec<String> = context
        .audit()
        .into_iter()
        .filter(|entry| entry.method == "DELETE" && entry.status == 200)
        .filter_map(|entry| entry.resource)
        .collect();
    let position = |collection: &str| {
        deletes
            .iter()
            .position(|name| name.contains(&format!("/{collection}/")))
            .unwrap_or_else(|| panic!("no delete of {collection}: {deletes:?}"))
    };
    assert!(position("deployedModels") < position("deployments"), "{deletes:?}");
    assert!(position("supervisedFineTuningJobs") < position("datasets"), "{deletes:?}");

    // Destroying again finds nothing to do; planning again creates everything.
    let again = context.fireform(&["destroy", "--auto-approve"]);
    again.expect(0);
    assert!(again.stdout.contains("No changes. Nothing to destroy."), "{}", again.stdout);
    let plan = context.plan();
    plan.expect(2);
    assert!(plan.stdout.contains("Plan: 4 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
}

/// The `manifests/` layout: RFT and batch jobs (with their output model and dataset), a
/// serverless LoRA, read-only objects (which stay), and `preventDestroy` on the base deployment.
#[test]
fn destroy_of_the_manifests_layout_removes_job_outputs_and_keeps_read_only_objects() {
    let context = TestContext::manifests_project();
    context.apply_converges();
    assert!(
        context
            .names("datasets")
            .contains(&"accounts/acme/datasets/support-v2-eval-results".to_owned())
    );

    // `deployment/shared-base` has `preventDestroy`: nothing is destroyed.
    let refused = context.fireform(&["destroy", "--auto-approve"]);
    refused.expect(1);
    assert!(refused.stderr.contains("deployment/shared-base"), "{}", refused.stderr);
    assert_eq!(context.state_addrs().len(), 10);

    let base = context.dir().join("deployments/base.yaml");
    let text = std::fs::read_to_string(&base).unwrap();
    std::fs::write(&base, text.replace("preventDestroy: true", "preventDestroy: false")).unwrap();
    context.fireform(&["destroy", "--auto-approve"]).expect(0);
    for collection in COLLECTIONS {
        let names = context.names(collection);
        match collection {
            "datasets" => {
                assert_eq!(names, ["accounts/acme/datasets/support-eval-prompts-v3"], "read-only")
            }
            _ => assert_eq!(names, Vec::<String>::new(), "{collection} is not empty"),
        }
    }
    assert_eq!(context.state_addrs(), Vec::<String>::new());
}

#[test]
fn prevent_destroy_refuses_and_changes_nothing() {
    let context = TestContext::new();
    context.write(
        "main.yaml",
        "\
kind: Deployment
name: precious
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
lifecycle:
  preventDestroy: true
",
    );
    context.apply_converges();
    let destroy = context.fireform(&["destroy", "--auto-approve"]);
    destroy.expect(1);
    assert!(destroy.stderr.contains("preventDestroy"), "{}", destroy.stderr);
    assert_eq!(context.names("deployments").len(), 1);
    assert_eq!(context.state_addrs(), ["deployment/precious"]);
}

//! The state commands end to end: `state list|show|rm|mv`, `import` of a LoRA addon (whose id
//! the server picked), `refresh` after an object was deleted behind fireform's back, and
//! `--refresh-only` plans and applies.

use serde_json::json;

use crate::engine_support::{TestContext, creations, fireform_snapshot, poll_until};

const PROJECT: &str = "\
kind: Deployment
name: shared-base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  maxReplicaCount: 2
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
";

fn load_id(context: &TestContext) -> String {
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1, "{loads:?}");
    loads[0]["name"].as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

#[test]
fn import_brings_a_lora_addon_back_into_state() {
    let context = TestContext::new();
    context.write("main.yaml", PROJECT);
    context.apply_converges();
    let id = load_id(&context);

    let list = context.fireform(&["state", "list"]);
    list.expect(0);
    assert_eq!(
        list.stdout,
        "deployment/shared-base\nlora-addon/tune\ndataset/chats\nsupervised-fine-tuning-job/tune\n"
    );
    let removed = context.fireform(&["state", "rm", "lora-addon/tune"]);
    removed.expect(0);
    assert!(removed.stderr.contains("Removed lora-addon/tune from state"), "{}", removed.stderr);
    assert_eq!(context.list("deployedModels").len(), 1, "state rm leaves the account alone");

    // Without state, the plan finds the load of the same model on the same deployment, and
    // does not take it without being told to.
    let plan = context.plan();
    plan.expect(1);
    assert!(
        plan.stderr.contains(&format!("run `fireform import lora-addon/tune {id}`")),
        "{}",
        plan.stderr
    );

    let import = context.fireform(&["import", "lora-addon/tune", &id]);
    import.expect(0);
    let show = context.fireform(&["state", "show", "lora-addon/tune"]);
    show.expect(0);
    let record: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["remoteName"], format!("accounts/fireform-local/deployedModels/{id}"));
    context.expect_no_changes();

    // Importing what is already in state, or what does not exist, is refused.
    context.fireform(&["import", "lora-addon/tune", &id]).expect(1);
    context.fireform(&["state", "rm", "lora-addon/tune"]).expect(0);
    let missing = context.fireform(&["import", "lora-addon/tune", "no-such-load"]);
    missing.expect(1);
    assert!(missing.stderr.contains("no-such-load"), "{}", missing.stderr);
    // Only one load was ever made.
    let loads = creations(&context).into_iter().filter(|(key, _)| key.starts_with("load:")).count();
    assert_eq!(loads, 1);
}

#[test]
fn state_mv_follows_a_rename_in_the_manifests() {
    let context = TestContext::new();
    context.write("main.yaml", PROJECT);
    context.apply_converges();
    let id = load_id(&context);

    context.write(
        "main.yaml",
        &PROJECT.replace("kind: LoraAddon\nname: tune", "kind: LoraAddon\nname: support"),
    );
    // The load is recorded under the old address: never deleted and loaded again.
    let plan = context.plan();
    plan.expect(1);
    assert!(plan.stderr.contains("is recorded in state as `lora-addon/tune`"), "{}", plan.stderr);

    context.fireform(&["state", "mv", "lora-addon/tune", "lora-addon/support"]).expect(0);
    context.expect_no_changes();
    assert_eq!(load_id(&context), id);
    let refused = context.fireform(&["state", "mv", "lora-addon/support", "deployment/support"]);
    refused.expect(1);
    assert!(refused.stderr.contains("the kinds differ"), "{}", refused.stderr);
}

#[test]
fn refresh_forgets_what_was_deleted_behind_fireforms_back() {
    let context = TestContext::new();
    context.write("main.yaml", PROJECT);
    context.apply_converges();
    let id = load_id(&context);

    let (status, body) = context.call("DELETE", &format!("/deployedModels/{id}"), None);
    assert_eq!(status, 200, "{body}");
    poll_until(std::time::Duration::from_secs(10), "the load to go", || {
        context.call("GET", &format!("/deployedModels/{id}"), None).0 == 404
    });

    let refresh = context.fireform(&["refresh"]);
    refresh.expect(0);
    fireform_snapshot!(context, &refresh.stdout, @r"
    x lora-addon/tune (forget)
        id: [GENERATED_ID]
        # it no longer exists in the account

    Refresh: 0 to add, 0 to change, 0 to destroy. (1 state-only)
    ");
    assert!(!context.state_addrs().contains(&"lora-addon/tune".to_owned()));
    assert!(context.list("deployedModels").is_empty(), "refresh changes nothing in the account");

    let plan = context.plan();
    plan.expect(2);
    assert!(plan.stdout.contains("+ lora-addon/tune"), "{}", plan.stdout);
    context.apply_converges();
}

#[test]
fn refresh_only_records_drift_without_changing_the_account() {
    let context = TestContext::new();
    context.write("main.yaml", PROJECT);
    context.apply_converges();
    let (status, body) = context.call(
        "PATCH",
        "/deployments/shared-base?updateMask=maxReplicaCount",
        Some(json!({"maxReplicaCount": 4})),
    );
    assert_eq!(status, 200, "{body}");

    let plan = context.fireform(&["plan", "--refresh-only", "--detailed-exitcode"]);
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r"
    ~ deployment/shared-base (changed outside fireform)
        # changed outside fireform
        maxReplicaCount: 2 -> 4

    Refresh: 0 to add, 1 to change, 0 to destroy.
    ");
    let audit_before = context.audit().len();
    context.fireform(&["apply", "--refresh-only", "--auto-approve"]).expect(0);
    assert_eq!(context.audit().len(), audit_before, "the account must not change");
    assert_eq!(
        context.state()["resources"]["deployment/shared-base"]["spec"]["maxReplicaCount"],
        4
    );
    context.fireform(&["plan", "--refresh-only", "--detailed-exitcode"]).expect(0);
    // The manifests still say 2: a normal plan puts it back.
    let plan = context.plan();
    plan.expect(2);
    assert!(plan.stdout.contains("maxReplicaCount: 4 -> 2"), "{}", plan.stdout);
}

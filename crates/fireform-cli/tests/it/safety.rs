//! Issue 10, "never delete, change or take what it was not told to", end to end against the
//! emulator: `destroy --exclude` and the flags destroy refuses, addresses that name nothing,
//! `state mv` that would lie about an id, two addresses for one object, `moved` documents,
//! objects another project owns, crash recovery that still adopts its own creations, datasets
//! read rather than owned, state locations fireform cannot write, saved plans carried to
//! another checkout, kept job outputs, each command's closing words, replies fireform cannot
//! read, a refresh that finds most of the project gone, and the validation that stops mistakes
//! before they reach the account.
//!
//! Each test asserts exit codes, the account over HTTP, the emulator's audit log, the state
//! file and key phrases of the output; never whole outputs, whose wording is not pinned here.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::engine_support::{LOCAL_ACCOUNT, Outcome, TestContext, creations, poll_until};

const BASE_MODEL: &str = "accounts/fireworks/models/llama-v3p1-8b-instruct";

/// How many requests of `method` the audit log holds after its first `since` entries, whatever
/// their status: an attempt to delete is as much a mistake as a deletion.
fn count(context: &TestContext, since: usize, method: &str) -> usize {
    context.audit()[since..].iter().filter(|entry| entry.method == method).count()
}

/// The audit log after its first `since` entries, as `METHOD path status` lines for messages.
fn audit_since(context: &TestContext, since: usize) -> String {
    context.audit()[since..]
        .iter()
        .map(|entry| format!("{} {} {}", entry.method, entry.path, entry.status))
        .collect::<Vec<_>>()
        .join("\n")
}

fn name(collection: &str, id: &str) -> String {
    format!("accounts/{LOCAL_ACCOUNT}/{collection}/{id}")
}

/// A LoRA model that exists in the account, trained by a job created through the API (fireform
/// neither manages nor owns it), so that addons can serve it without a job in the manifests.
pub(crate) fn existing_lora_model(context: &TestContext, id: &str) -> String {
    let dataset = format!("{id}-chats");
    context.ready_dataset(
        &dataset,
        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}\n",
    );
    let (status, body) = context.call(
        "POST",
        &format!("/supervisedFineTuningJobs?supervisedFineTuningJobId={id}"),
        Some(json!({"dataset": name("datasets", &dataset), "baseModel": BASE_MODEL})),
    );
    assert_eq!(status, 200, "{body}");
    poll_until(Duration::from_secs(20), "the job to complete", || {
        context.get(&format!("/supervisedFineTuningJobs/{id}"))["state"] == "JOB_STATE_COMPLETED"
    });
    let model = context.get(&format!("/supervisedFineTuningJobs/{id}"))["outputModel"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        context.get(&model.replace(&format!("accounts/{LOCAL_ACCOUNT}"), ""))["name"],
        model
    );
    model
}

/// A deployment with addons, an addon serving `model` on it, and a dataset of inline rows.
fn serving_project(model: &str) -> String {
    format!(
        "\
kind: Deployment
name: shared-base
spec:
  baseModel: {BASE_MODEL}
  acceleratorType: NVIDIA_H100_80GB
  enableAddons: true
---
kind: LoraAddon
name: support-v1
spec:
  model: {model}
  deployment: ${{deployment/shared-base}}
---
kind: Dataset
name: chats
spec:
  rows:
    - {{messages: [{{role: user, content: hi}}, {{role: assistant, content: hello}}]}}
"
    )
}

/// One deployment, fireform's own, with an id of its own.
const LEGACY_PROJECT: &str = "\
kind: Deployment
name: legacy-dep
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  maxReplicaCount: 1
---
kind: Dataset
name: a
spec:
  rows:
    - {messages: [{role: user, content: legacy}, {role: assistant, content: kept}]}
";

const SHARED_BASE: &str = "\
kind: Deployment
name: shared-base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  maxReplicaCount: 1
";

fn recorded_remote_name(context: &TestContext, addr: &str) -> String {
    context.state()["resources"][addr]["remoteName"].as_str().unwrap().to_owned()
}

/// A second, empty project directory: its own manifests and state, the same account.
fn other_project() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("fireform-e2e-other-").tempdir().unwrap()
}

fn write_in(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Copies a whole directory, hidden ones (`.fireform/`) included.
fn copy_all(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_all(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// 1. `destroy --exclude`.

#[test]
fn destroy_exclude_leaves_the_excluded_deployment_and_its_addon() {
    let context = TestContext::new();
    let model = existing_lora_model(&context, "support-ft");
    context.write("main.yaml", &serving_project(&model));
    context.apply_converges();
    let dataset = recorded_remote_name(&context, "dataset/chats");
    let load = recorded_remote_name(&context, "lora-addon/support-v1");

    let destroy =
        context.fireform(&["destroy", "--exclude", "deployment/shared-base", "--auto-approve"]);
    destroy.expect(0);
    assert_eq!(context.get("/deployments/shared-base")["state"], "READY", "{}", destroy.render());
    assert!(context.names("deployedModels").contains(&load), "{}", destroy.render());
    assert!(!context.names("datasets").contains(&dataset), "{}", destroy.render());
    assert_eq!(context.state_addrs(), ["deployment/shared-base", "lora-addon/support-v1"]);
}

// 2. Flags destroy does not take.

#[test]
fn destroy_refuses_refresh_only_and_replace_at_the_argument_parser() {
    let context = TestContext::new();
    context.write("main.yaml", LEGACY_PROJECT);
    context.apply_converges();
    let before = context.audit().len();
    for args in [
        &["destroy", "--refresh-only", "--auto-approve"][..],
        &["destroy", "--replace", "deployment/legacy-dep", "--auto-approve"][..],
    ] {
        let refused = context.fireform(args);
        refused.expect(2);
        assert!(
            refused.stderr.contains("unexpected argument")
                || refused.stderr.contains("cannot be used with"),
            "{args:?}: {}",
            refused.render()
        );
    }
    assert_eq!(count(&context, before, "DELETE"), 0, "{}", audit_since(&context, before));
    assert_eq!(context.state_addrs(), ["deployment/legacy-dep", "dataset/a"]);
}

// 3. Addresses that name nothing.

#[test]
fn an_address_that_names_nothing_is_refused_with_a_suggestion() {
    let context = TestContext::new();
    context.write("main.yaml", SHARED_BASE);
    for args in [
        &["plan", "--target", "deployment/nope"][..],
        &["apply", "--target", "deployment/nope", "--auto-approve"][..],
        &["destroy", "--exclude", "deployment/nope"][..],
        &["plan", "--replace", "deployment/nope"][..],
    ] {
        let refused = context.fireform(args);
        refused.expect(1);
        assert!(
            refused.stderr.contains("`deployment/nope` is not in the manifests or the state"),
            "{args:?}: {}",
            refused.render()
        );
    }
    let close = context.fireform(&["plan", "--target", "deployment/shared-bse"]);
    close.expect(1);
    assert!(
        close.stderr.contains("`deployment/shared-bse` is not in the manifests or the state"),
        "{}",
        close.render()
    );
    assert!(close.stderr.contains("did you mean `deployment/shared-base`"), "{}", close.render());
    assert!(context.audit().is_empty(), "nothing was changed");
}

// 4. `state mv` must not make an address disagree with its id.

#[test]
fn state_mv_of_a_deployment_is_refused_as_its_id_is_its_name() {
    let context = TestContext::new();
    context.write("main.yaml", LEGACY_PROJECT);
    context.apply_converges();
    let state_before = std::fs::read_to_string(context.state_path()).unwrap();

    let refused =
        context.fireform(&["state", "mv", "deployment/legacy-dep", "deployment/new-name"]);
    refused.expect(1);
    assert!(refused.stderr.contains("id"), "{}", refused.render());
    assert_eq!(std::fs::read_to_string(context.state_path()).unwrap(), state_before);
    assert!(context.state_addrs().contains(&"deployment/legacy-dep".to_owned()));
}

/// A dataset's id comes from its content, not its name: renaming it is only an address.
#[test]
fn state_mv_of_a_content_addressed_dataset_still_works() {
    let context = TestContext::new();
    context.write("main.yaml", LEGACY_PROJECT);
    context.apply_converges();

    context.write("main.yaml", &LEGACY_PROJECT.replace("name: a\n", "name: b\n"));
    let before = context.audit().len();
    context.fireform(&["state", "mv", "dataset/a", "dataset/b"]).expect(0);
    context.fireform(&["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(context.state_addrs(), ["deployment/legacy-dep", "dataset/b"]);
    assert_eq!(count(&context, before, "POST"), 0, "{}", audit_since(&context, before));
    assert_eq!(count(&context, before, "DELETE"), 0, "{}", audit_since(&context, before));
}

// 5. Two addresses for one object.

#[test]
fn two_addresses_for_one_object_are_refused_and_nothing_is_deleted() {
    let context = TestContext::new();
    context.write("main.yaml", LEGACY_PROJECT);
    context.apply_converges();
    let mut state = context.state();
    let mut copy = state["resources"]["deployment/legacy-dep"].clone();
    copy["addr"] = json!("deployment/other");
    state["resources"]["deployment/other"] = copy;
    std::fs::write(context.state_path(), serde_json::to_string_pretty(&state).unwrap() + "\n")
        .unwrap();
    let before = context.audit().len();

    let plan = context.fireform(&["plan"]);
    plan.expect(1);
    assert!(plan.stderr.contains("deployment/legacy-dep"), "{}", plan.render());
    assert!(plan.stderr.contains("deployment/other"), "{}", plan.render());
    let apply = context.apply();
    apply.expect(1);
    assert_eq!(count(&context, before, "DELETE"), 0, "{}", audit_since(&context, before));
    assert_eq!(context.get("/deployments/legacy-dep")["state"], "READY");
}

// 6. `moved`.

#[test]
fn moved_renames_an_addon_without_touching_the_account() {
    let context = TestContext::new();
    let model = existing_lora_model(&context, "support-ft");
    let project = serving_project(&model);
    context.write("main.yaml", &project);
    context.apply_converges();

    context.write(
        "main.yaml",
        &format!(
            "{}---\nmoved:\n  from: lora-addon/support-v1\n  to: lora-addon/support\n",
            project.replace("name: support-v1\n", "name: support\n")
        ),
    );
    let plan = context.fireform(&["plan"]);
    plan.expect(0);
    assert!(plan.stdout.contains("lora-addon/support"), "{}", plan.render());
    assert!(plan.stdout.contains("moved from lora-addon/support-v1"), "{}", plan.render());

    let before = context.audit().len();
    context.apply().expect(0);
    assert_eq!(count(&context, before, "POST"), 0, "{}", audit_since(&context, before));
    assert_eq!(count(&context, before, "DELETE"), 0, "{}", audit_since(&context, before));
    let addrs = context.state_addrs();
    assert!(addrs.contains(&"lora-addon/support".to_owned()), "{addrs:?}");
    assert!(!addrs.contains(&"lora-addon/support-v1".to_owned()), "{addrs:?}");
    context.fireform(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn moved_refuses_to_rename_a_deployment() {
    let context = TestContext::new();
    context.write(
        "main.yaml",
        &format!(
            "{}---\nmoved:\n  from: deployment/a\n  to: deployment/b\n",
            SHARED_BASE.replace("name: shared-base", "name: b")
        ),
    );
    let validate = context.fireform(&["validate"]);
    validate.expect(1);
    assert!(validate.stderr.contains("cannot rename"), "{}", validate.render());
}

// 7. Objects another project owns.

#[test]
fn a_deployment_another_project_owns_is_neither_adopted_nor_changed() {
    let context = TestContext::new();
    context.write("main.yaml", SHARED_BASE);
    context.apply_converges();

    let other = other_project();
    write_in(
        other.path(),
        "main.yaml",
        &SHARED_BASE.replace("maxReplicaCount: 1", "maxReplicaCount: 2"),
    );
    let before = context.audit().len();
    let plan = context.fireform_in(other.path(), &["plan"]);
    plan.expect(1);
    assert!(plan.stderr.contains("already exists"), "{}", plan.render());
    assert!(
        plan.stderr.contains("fireform import deployment/shared-base shared-base"),
        "{}",
        plan.render()
    );
    let apply = context.fireform_in(other.path(), &["apply", "--auto-approve"]);
    apply.expect(1);
    assert!(context.audit().len() == before, "{}", audit_since(&context, before));

    // Asking to adopt does not take what another fireform project marked as its own.
    write_in(
        other.path(),
        "main.yaml",
        &format!("{SHARED_BASE}lifecycle:\n  adopt: true\n")
            .replace("maxReplicaCount: 1", "maxReplicaCount: 2"),
    );
    let plan = context.fireform_in(other.path(), &["plan"]);
    plan.expect(1);
    assert!(plan.stderr.contains("another fireform project"), "{}", plan.render());
    let apply = context.fireform_in(other.path(), &["apply", "--auto-approve"]);
    apply.expect(1);
    assert!(context.audit().len() == before, "{}", audit_since(&context, before));
    assert_eq!(context.get("/deployments/shared-base")["maxReplicaCount"], 1);
    let other_state =
        std::fs::read_to_string(other.path().join(".fireform/state.json")).unwrap_or_default();
    assert!(!other_state.contains("deployment/shared-base"), "{other_state}");
    context.fireform(&["plan", "--detailed-exitcode"]).expect(0);

    // Taken explicitly, one object by name: the mark is accepted and the project manages it.
    let import =
        context.fireform_in(other.path(), &["import", "deployment/shared-base", "shared-base"]);
    import.expect(0);
    assert!(import.stderr.contains("Import complete!"), "{}", import.render());
    let plan = context.fireform_in(other.path(), &["plan", "--detailed-exitcode"]);
    plan.expect(2);
    assert!(plan.stdout.contains("maxReplicaCount: 1 -> 2"), "{}", plan.render());
}

// 8. Crash recovery still adopts what fireform created.

#[test]
fn a_create_whose_reply_was_lost_is_adopted_without_a_duplicate() {
    let context = TestContext::new();
    // Two deployments, both created under ids fireform chose, so each lost reply is met by a
    // retry that finds the object. (Uploads are not creates: they are left out.)
    context.write(
        "main.yaml",
        &format!(
            "{SHARED_BASE}---\n{}",
            SHARED_BASE.replace("name: shared-base", "name: second-base")
        ),
    );
    let (status, body) = context.put_trouble(json!({"dropAfterCommit": 1.0}));
    assert_eq!(status, 200, "{body}");
    let apply = context.apply();
    let (status, body) = context.put_trouble(json!({}));
    assert_eq!(status, 200, "{body}");
    apply.expect(0);
    assert!(!apply.stderr.contains("already exists"), "{}", apply.render());
    for (resource, count) in creations(&context) {
        assert_eq!(count, 1, "{resource} was created {count} times");
    }
    assert_eq!(
        context.names("deployments"),
        [name("deployments", "second-base"), name("deployments", "shared-base")]
    );
    assert_eq!(context.state_addrs(), ["deployment/second-base", "deployment/shared-base"]);
    context.expect_no_changes();
}

// 9. A content-addressed dataset another project created.

#[test]
fn a_dataset_another_project_created_is_read_not_owned() {
    const ROWS: &str = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}\n";
    let context = TestContext::new();
    context.write("data/chats.jsonl", ROWS);
    context.write(
        "main.yaml",
        "kind: Dataset\nname: chats\nspec:\n  path: data/chats.jsonl\n  format: CHAT\n",
    );
    context.apply_converges();
    let dataset = recorded_remote_name(&context, "dataset/chats");

    let other = other_project();
    write_in(other.path(), "data/chats.jsonl", ROWS);
    write_in(
        other.path(),
        "main.yaml",
        "kind: Dataset\nname: training\nspec:\n  path: data/chats.jsonl\n  format: CHAT\n",
    );
    let apply = context.fireform_in(other.path(), &["apply", "--auto-approve"]);
    apply.expect(0);
    assert!(apply.stdout.contains("<= dataset/training"), "{}", apply.render());
    let destroy = context.fireform_in(other.path(), &["destroy", "--auto-approve"]);
    destroy.expect(0);
    assert!(context.names("datasets").contains(&dataset), "{}", destroy.render());
    context.fireform(&["plan", "--detailed-exitcode"]).expect(0);
}

// 10. State locations fireform cannot write.

#[test]
fn an_unsupported_state_location_is_refused_and_nothing_is_written() {
    let context = TestContext::new();
    context.write("main.yaml", SHARED_BASE);
    // A typo of a scheme is refused with the list of supported ones.
    context.write(".fireform.yaml", "state: s4://bucket/key\n");
    let plan = context.fireform(&["plan"]);
    plan.expect(1);
    assert!(plan.stderr.contains("unsupported state location"), "{}", plan.render());
    assert!(plan.stderr.contains("s3://BUCKET/KEY"), "{}", plan.render());
    assert!(!context.dir().join("s4:").exists(), "a directory `s4:` was created");
    // A supported one without its settings is an error too, never a local file.
    context.write(".fireform.yaml", "state: s3://bucket/key\n");
    let plan = context.fireform(&["plan"]);
    plan.expect(1);
    assert!(plan.stderr.contains("no S3 credentials"), "{}", plan.render());
    assert!(!context.dir().join("s3:").exists(), "a directory `s3:` was created");

    std::fs::remove_file(context.dir().join(".fireform.yaml")).unwrap();
    let plan = context.fireform(&["plan", "--state", "gs://x/y"]);
    plan.expect(1);
    assert!(plan.stderr.contains("unsupported state location"), "{}", plan.render());
    assert!(!context.dir().join("gs:").exists(), "a directory `gs:` was created");
    assert!(context.audit().is_empty());
}

// 11. A saved plan carried to another checkout.

#[test]
fn a_saved_plan_applies_from_another_checkout() {
    let context = TestContext::new();
    let checkout = other_project();
    let first = checkout.path().join("first");
    let second = checkout.path().join("second");
    write_in(
        &first,
        "data/chats.jsonl",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"tonight\"}]}\n",
    );
    write_in(
        &first,
        "main.yaml",
        "kind: Dataset\nname: chats\nspec:\n  path: data/chats.jsonl\n  format: CHAT\n",
    );
    let plan = context.fireform_in(&first, &["plan", "--out", "tonight.plan"]);
    plan.expect(0);
    let saved = std::fs::read_to_string(first.join("tonight.plan")).unwrap();
    for path in [first.clone(), first.canonicalize().unwrap()] {
        let path = path.display().to_string();
        assert!(!saved.contains(&path), "the plan names `{path}`:\n{saved}");
    }

    copy_all(&first, &second);
    std::fs::remove_dir_all(&first).unwrap();
    let apply = context.fireform_in(&second, &["apply", "--plan", "tonight.plan"]);
    apply.expect(0);
    let datasets = context.list("datasets");
    assert_eq!(datasets.len(), 1, "{datasets:?}");
    assert_eq!(datasets[0]["state"], "READY", "{datasets:?}");
    assert!(
        context
            .audit()
            .iter()
            .any(|entry| entry.path.contains(":upload") || entry.path.starts_with("/_upload")),
        "the dataset was uploaded: {}",
        audit_since(&context, 0)
    );
}

// 12. Kept job outputs.

#[test]
fn a_job_whose_outputs_were_kept_is_not_trained_again() {
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    let path = context.dir().join("quickstart.yaml");
    let manifest = std::fs::read_to_string(&path).unwrap();
    let kept =
        manifest.replace("lifecycle:\n  timeouts:", "lifecycle:\n  keepOutputs: true\n  timeouts:");
    assert_ne!(kept, manifest);
    std::fs::write(&path, kept).unwrap();
    context.apply_converges();
    context.fireform(&["destroy", "--auto-approve"]).expect(0);
    let model = name("models", "support-v1");
    assert_eq!(context.names("models"), std::slice::from_ref(&model));

    let before = context.audit().len();
    let apply = context.apply();
    apply.expect(0);
    let trained = context.audit()[before..]
        .iter()
        .filter(|entry| entry.method == "POST" && entry.path.contains("/supervisedFineTuningJobs"))
        .count();
    assert_eq!(trained, 0, "{}", audit_since(&context, before));
    assert_eq!(context.names("models"), [model]);
    context.fireform(&["plan", "--detailed-exitcode"]).expect(0);
}

// 13. Each command ends with its own words.

fn patch_replicas(context: &TestContext, replicas: u32) {
    let (status, body) = context.call(
        "PATCH",
        "/deployments/legacy-dep?updateMask=maxReplicaCount",
        Some(json!({"maxReplicaCount": replicas})),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn refresh_ends_with_its_own_words() {
    let context = TestContext::new();
    context.write("main.yaml", LEGACY_PROJECT);
    context.apply_converges();

    patch_replicas(&context, 3);
    let refresh = context.fireform(&["refresh"]);
    refresh.expect(0);
    assert!(refresh.stderr.contains("Refresh complete:"), "{}", refresh.render());
    assert!(refresh.stderr.contains("changed in state"), "{}", refresh.render());
    assert!(!refresh.stderr.contains("Apply complete"), "{}", refresh.render());

    patch_replicas(&context, 4);
    let refresh_only = context.fireform(&["apply", "--refresh-only", "--auto-approve"]);
    refresh_only.expect(0);
    assert!(refresh_only.stderr.contains("Refresh complete:"), "{}", refresh_only.render());
    assert!(refresh_only.stderr.contains("changed in state"), "{}", refresh_only.render());
    assert!(!refresh_only.stderr.contains("Apply complete"), "{}", refresh_only.render());
}

#[test]
fn import_ends_with_its_own_words() {
    let context = TestContext::new();
    context.write("main.yaml", LEGACY_PROJECT);
    context.apply_converges();
    context.fireform(&["state", "rm", "deployment/legacy-dep"]).expect(0);
    let import = context.fireform(&["import", "deployment/legacy-dep", "legacy-dep"]);
    import.expect(0);
    assert!(import.stderr.contains("Import complete!"), "{}", import.render());
}

#[test]
fn destroy_ends_with_its_own_words() {
    let context = TestContext::new();
    context.write("main.yaml", LEGACY_PROJECT);
    context.apply_converges();
    let destroy = context.fireform(&["destroy", "--auto-approve"]);
    destroy.expect(0);
    assert!(
        destroy.stderr.contains("Destroy complete! Resources: 2 destroyed."),
        "{}",
        destroy.render()
    );
    assert!(!destroy.stderr.contains("Apply complete"), "{}", destroy.render());
}

// 14. Replies fireform cannot read.

/// Switches the emulator's `mangle` trouble on: replies that are empty, lack fields, or carry
/// enum values fireform does not know.
fn mangle(context: &TestContext, mode: &str) {
    let (status, body) = context.put_trouble(json!({"mangle": mode}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["mangle"], mode, "the emulator did not take `mangle`: {body}");
}

/// Runs `fireform args…`, failing when it has not finished after a minute: a reply fireform
/// cannot read must not leave it waiting for a state it will never recognise.
fn fireform_within_a_minute(context: &TestContext, args: &[&str]) -> Outcome {
    let mut child = context.spawn(args);
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "`fireform {}` did not finish within a minute:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn converged_quickstart() -> TestContext {
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    context.apply_converges();
    context
}

#[test]
fn empty_replies_stop_apply_and_refresh_without_harm() {
    let context = converged_quickstart();
    let state_before = std::fs::read_to_string(context.state_path()).unwrap();
    mangle(&context, "emptyBody");
    let before = context.audit().len();
    let apply = fireform_within_a_minute(&context, &["apply", "--auto-approve"]);
    apply.expect(1);
    assert_eq!(count(&context, before, "DELETE"), 0, "{}", audit_since(&context, before));
    assert_eq!(count(&context, before, "POST"), 0, "{}", audit_since(&context, before));
    let refresh = fireform_within_a_minute(&context, &["refresh"]);
    refresh.expect(1);
    assert_eq!(std::fs::read_to_string(context.state_path()).unwrap(), state_before);
}

#[test]
fn replies_missing_fields_plan_no_replacement() {
    let context = converged_quickstart();
    mangle(&context, "stripFields");
    let plan = fireform_within_a_minute(&context, &["plan"]);
    assert!(!plan.stdout.contains("-/+"), "{}", plan.render());
    let before = context.audit().len();
    let apply = fireform_within_a_minute(&context, &["apply", "--auto-approve"]);
    assert_eq!(
        count(&context, before, "DELETE"),
        0,
        "{}\n{}",
        apply.render(),
        audit_since(&context, before)
    );
}

#[test]
fn replies_with_unknown_states_plan_no_replacement() {
    let context = converged_quickstart();
    mangle(&context, "unknownEnums");
    let plan = fireform_within_a_minute(&context, &["plan"]);
    assert!(plan.stdout.to_lowercase().contains("cannot tell"), "{}", plan.render());
    assert!(!plan.stdout.contains("-/+"), "{}", plan.render());
    let before = context.audit().len();
    let apply = fireform_within_a_minute(&context, &["apply", "--auto-approve"]);
    assert_eq!(
        count(&context, before, "DELETE"),
        0,
        "{}\n{}",
        apply.render(),
        audit_since(&context, before)
    );
}

// 15. A refresh that finds most of the project gone.

#[test]
fn apply_refuses_to_recreate_most_of_a_project_without_trust_refresh() {
    let context = converged_quickstart();
    let load = recorded_remote_name(&context, "lora-addon/support-v1");
    let load_path = load.replace(&format!("accounts/{LOCAL_ACCOUNT}"), "");
    for path in [
        load_path.as_str(),
        "/deployments/shared-base?hard=true",
        "/supervisedFineTuningJobs/support-v1",
        "/models/support-v1",
    ] {
        let (status, body) = context.call("DELETE", path, None);
        assert_eq!(status, 200, "DELETE {path}: {body}");
    }
    poll_until(Duration::from_secs(10), "the deletions to finish", || {
        context.call("GET", &load_path, None).0 == 404
            && context.call("GET", "/deployments/shared-base", None).0 == 404
    });

    let before = context.audit().len();
    let apply = context.apply();
    apply.expect(1);
    assert!(apply.stderr.contains("--trust-refresh"), "{}", apply.render());
    assert_eq!(count(&context, before, "POST"), 0, "{}", audit_since(&context, before));
    assert_eq!(count(&context, before, "DELETE"), 0, "{}", audit_since(&context, before));

    context.fireform(&["apply", "--auto-approve", "--trust-refresh"]).expect(0);
    context.expect_no_changes();
}

// 16. Mistakes validate catches.

#[test]
fn validate_refuses_two_jobs_writing_one_output_model() {
    let context = TestContext::new();
    let job = |job_name: &str| {
        format!(
            "kind: SupervisedFineTuningJob\nname: {job_name}\nspec:\n  dataset: ${{dataset/chats}}\n  baseModel: {BASE_MODEL}\n  outputModel: support-model\n"
        )
    };
    context.write(
        "main.yaml",
        &format!(
            "{}---\n{}---\n{}",
            &LEGACY_PROJECT[LEGACY_PROJECT.find("kind: Dataset").unwrap()..]
                .replace("name: a", "name: chats"),
            job("one"),
            job("two")
        ),
    );
    let validate = context.fireform(&["validate"]);
    validate.expect(1);
    assert!(validate.stderr.contains("supervised-fine-tuning-job/one"), "{}", validate.render());
    assert!(validate.stderr.contains("supervised-fine-tuning-job/two"), "{}", validate.render());
}

#[test]
fn validate_refuses_a_base_model_without_its_account() {
    let context = TestContext::new();
    context.write("main.yaml", &SHARED_BASE.replace(BASE_MODEL, "llama-v3p1-8b-instruct"));
    let validate = context.fireform(&["validate"]);
    validate.expect(1);
    assert!(validate.stderr.contains("accounts/fireworks/models/"), "{}", validate.render());
}

#[test]
fn validate_refuses_chat_datasets_of_prompt_completion_rows() {
    let context = TestContext::new();
    context.write(
        "main.yaml",
        "kind: Dataset\nname: chats\nspec:\n  format: CHAT\n  rows:\n    - {prompt: hi, completion: hello}\n",
    );
    context.fireform(&["validate"]).expect(1);
}

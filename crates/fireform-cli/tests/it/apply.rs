//! `fireform apply` end to end against the emulator over loopback: the quickstart and the
//! `manifests/` layout converge (then plan is empty), the embedded local control plane works
//! across processes, saved plans apply and stale ones are refused, a failing resource stops
//! only its dependents, apply refuses to run unattended without `--auto-approve`, and the API
//! key never shows up anywhere.

use fireform_emulator::{EmulatorConfig, Timings};

use crate::engine_support::{
    LOCAL_ACCOUNT, TestContext, clear_fireworks_env, creations, fireform_snapshot,
};

#[test]
fn quickstart_applies_then_plan_is_empty() {
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    let apply = context.apply();
    apply.expect(0);
    fireform_snapshot!(context, "quickstart_apply_plan", &apply.stdout);
    assert!(apply.stderr.contains("Apply complete! Resources: 4 added, 0 changed, 0 destroyed."));
    // Every resource reports its start and its end with a duration.
    for addr in [
        "deployment/shared-base",
        "dataset/support-chats",
        "supervised-fine-tuning-job/support-v1",
        "lora-addon/support-v1",
    ] {
        assert!(apply.stderr.contains(&format!("{addr}: Creating...")), "{}", apply.stderr);
        assert!(apply.stderr.contains(&format!("{addr}: Created after")), "{}", apply.stderr);
    }
    context.expect_no_changes();

    // The account holds exactly what the manifests describe, ready.
    let deployment = context.get("/deployments/shared-base");
    assert_eq!(deployment["state"], "READY");
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1);
    assert_eq!(loads[0]["state"], "DEPLOYED");
    assert_eq!(loads[0]["model"], format!("accounts/{LOCAL_ACCOUNT}/models/support-v1"));
    assert_eq!(context.get("/supervisedFineTuningJobs/support-v1")["state"], "JOB_STATE_COMPLETED");
    assert_eq!(context.state_addrs().len(), 4);
}

#[test]
fn manifests_apply_then_plan_is_empty() {
    let context = TestContext::manifests_project();
    let apply = context.apply();
    apply.expect(0);
    fireform_snapshot!(context, "manifests_apply_plan", &apply.stdout);
    context.expect_no_changes();

    assert_eq!(context.names("deployments"), ["accounts/acme/deployments/shared-base"]);
    assert_eq!(
        context.list("deployedModels").len(),
        2,
        "support-v2 on shared-base, math-reasoner serverless"
    );
    assert_eq!(context.get("/batchInferenceJobs/support-v2-eval")["state"], "JOB_STATE_COMPLETED");
    // Nothing was created twice.
    for (resource, count) in creations(&context) {
        assert_eq!(count, 1, "{resource} was created {count} times");
    }
}

/// README's main job: `endpoint: local` in the project file, no environment, two processes.
#[test]
fn quickstart_runs_on_the_embedded_local_control_plane() {
    let temp = tempfile::tempdir().unwrap();
    let project = temp.path().join("quickstart");
    copy(&crate::root().join("examples/quickstart"), &project);
    let run = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fireform"));
        command.args(args).current_dir(&project).env("NO_COLOR", "1");
        clear_fireworks_env(&mut command);
        command.output().unwrap()
    };
    let apply = run(&["apply", "--auto-approve"]);
    let stderr = String::from_utf8_lossy(&apply.stderr);
    assert_eq!(apply.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Using the local control plane"), "{stderr}");
    assert!(project.join(".fireform/local").is_dir());

    let plan = run(&["plan", "--detailed-exitcode"]);
    let stdout = String::from_utf8_lossy(&plan.stdout);
    assert_eq!(plan.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&plan.stderr));
    assert!(stdout.contains("No changes."), "{stdout}");
}

fn copy(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == ".fireform" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

const ONE_DEPLOYMENT: &str = "\
kind: Deployment
name: base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  maxReplicaCount: 1
";

#[test]
fn saved_plan_applies_and_a_stale_one_is_refused() {
    let context = TestContext::new();
    context.write("main.yaml", ONE_DEPLOYMENT);
    context.fireform(&["plan", "--out", "first.plan"]).expect(0);
    context.fireform(&["plan", "--out", "second.plan"]).expect(0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode =
            std::fs::metadata(context.dir().join("first.plan")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "saved plans are private");
    }

    let apply = context.fireform(&["apply", "--plan", "first.plan"]);
    apply.expect(0);
    assert_eq!(context.get("/deployments/base")["state"], "READY");
    context.expect_no_changes();

    // `second.plan` was made against the empty state; the state has moved on since.
    let stale = context.fireform(&["apply", "--plan", "second.plan"]);
    stale.expect(1);
    fireform_snapshot!(context, &stale.stderr, @r"
    Using `[ENDPOINT]` (account `fireform-local`).
    error: the saved plan is stale: it was made against state serial 0, and the state is now at serial 3; run `fireform plan` again

    hint: make a new plan with `fireform plan --out FILE`
    ");
    // Nothing was created twice.
    assert_eq!(creations(&context).get("accounts/fireform-local/deployments/base"), Some(&1));
}

#[test]
fn unattended_apply_without_auto_approve_is_refused() {
    let context = TestContext::new();
    context.write("main.yaml", ONE_DEPLOYMENT);
    let apply = context.fireform(&["apply"]);
    apply.expect(1);
    assert!(
        apply.stderr.contains("refusing to change the account without confirmation"),
        "{}",
        apply.stderr
    );
    assert!(apply.stderr.contains("--auto-approve"), "{}", apply.stderr);
    assert!(context.names("deployments").is_empty());
    assert!(context.audit().is_empty(), "nothing may change: {:?}", context.audit());
}

const QUICKSTART_SMALL: &str = "\
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

#[test]
fn a_failure_stops_dependents_and_lets_independent_work_finish() {
    let context = TestContext::new();
    context.write("main.yaml", QUICKSTART_SMALL);
    context.add_fail_rule("deployments", "shared-base", "no H100 capacity in US_VIRGINIA_1");

    let apply = context.apply();
    apply.expect(1);
    let stderr = &apply.stderr;
    assert!(stderr.contains("error: deployment/shared-base:"), "{stderr}");
    assert!(stderr.contains("no H100 capacity in US_VIRGINIA_1"), "{stderr}");
    assert!(
        stderr.contains("Not started because something they depend on failed: lora-addon/tune"),
        "{stderr}"
    );
    // The dataset and the job do not depend on the deployment: they finished.
    assert_eq!(context.get(&format!("/datasets/{}", dataset_id(&context)))["state"], "READY");
    assert_eq!(context.get("/supervisedFineTuningJobs/tune")["state"], "JOB_STATE_COMPLETED");
    assert!(context.list("deployedModels").is_empty(), "the addon must not start");

    // The next plan replaces the failed deployment and creates the addon.
    let plan = context.plan();
    plan.expect(2);
    assert!(plan.stdout.contains("-/+ deployment/shared-base (replace)"), "{}", plan.stdout);
    assert!(plan.stdout.contains("+ lora-addon/tune"), "{}", plan.stdout);

    context.clear_fail_rules();
    context.apply_converges();
    assert_eq!(context.get("/deployments/shared-base")["state"], "READY");
    assert_eq!(context.list("deployedModels").len(), 1);
}

fn dataset_id(context: &TestContext) -> String {
    let names = context.names("datasets");
    assert_eq!(names.len(), 1, "{names:?}");
    names[0].rsplit('/').next().unwrap().to_owned()
}

#[test]
fn api_key_never_appears_in_output_state_or_plans() {
    const CANARY: &str = "fw-canary-7f3a91c2e4b8d605";
    let context = TestContext::with_config(EmulatorConfig {
        api_key: CANARY.to_owned(),
        timings: Timings::instant(),
        ..EmulatorConfig::default()
    });
    context.write("main.yaml", QUICKSTART_SMALL);
    let mut outputs = vec![
        context.fireform(&["plan", "--out", "saved.plan"]),
        context.fireform(&["plan", "--json"]),
        context.fireform(&["apply", "--plan", "saved.plan"]),
        context.fireform(&["plan", "--detailed-exitcode"]),
        context.fireform(&["state", "list"]),
        context.fireform(&["state", "show", "deployment/shared-base"]),
        context.fireform(&["refresh"]),
    ];
    context.add_fail_rule("deployments", "broken", "failed");
    context.write(
        "broken.yaml",
        "kind: Deployment\nname: broken\nspec:\n  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct\n  acceleratorType: NVIDIA_H100_80GB\n",
    );
    outputs.push(context.apply());
    outputs.push(context.fireform(&["destroy", "--auto-approve"]));
    // A wrong key: the error must not echo what was sent.
    let wrong = context
        .command(&["plan"])
        .env("FIREWORKS_API_KEY", format!("{CANARY}-wrong"))
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    for outcome in &outputs {
        let text = outcome.render();
        assert!(!text.contains(CANARY), "the key leaked:\n{text}");
    }
    assert!(!String::from_utf8_lossy(&wrong.stderr).contains(CANARY));
    assert!(!String::from_utf8_lossy(&wrong.stdout).contains(CANARY));
    for file in [".fireform/state.json", ".fireform/state.json.backup", "saved.plan"] {
        let text = std::fs::read_to_string(context.dir().join(file)).unwrap();
        assert!(!text.contains(CANARY), "the key leaked into {file}");
    }
}

/// Every example applies against the emulator and then plans empty, so examples cannot rot.
#[test]
fn every_example_applies_then_plans_empty() {
    let examples = crate::root().join("examples");
    let mut names: Vec<String> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.contains(&"quickstart".to_owned()), "{names:?}");
    for name in names {
        let context = TestContext::with_config(EmulatorConfig {
            timings: Timings::instant(),
            ..EmulatorConfig::default()
        });
        context.copy_from_repo(&format!("examples/{name}"));
        let apply = context.apply();
        assert_eq!(apply.code, Some(0), "examples/{name}:\n{}", apply.render());
        let plan = context.plan();
        assert_eq!(plan.code, Some(0), "examples/{name}:\n{}", plan.render());
    }
}

/// New training data: a new content-addressed dataset, so the job and the addon on its output
/// are replaced in order, and the old dataset goes once nothing uses it.
#[test]
fn changed_training_data_replaces_dataset_job_and_addon() {
    let context = TestContext::new();
    context.copy_from_repo("examples/iterate");
    context.apply_converges();
    let old_dataset = context.names("datasets");
    assert_eq!(old_dataset.len(), 1);

    let train = context.dir().join("data/train.jsonl");
    let mut text = std::fs::read_to_string(&train).unwrap();
    text.push_str("{\"messages\": [{\"role\": \"user\", \"content\": \"new\"}, {\"role\": \"assistant\", \"content\": \"row\"}]}\n");
    std::fs::write(&train, text).unwrap();
    let plan = context.plan();
    plan.expect(2);
    assert!(plan.stdout.contains("-/+ dataset/support-faq (replace)"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("-/+ supervised-fine-tuning-job/support-faq-tune (replace)"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("-/+ lora-addon/support-faq (replace)"), "{}", plan.stdout);
    context.apply_converges();
    let datasets = context.names("datasets");
    assert_eq!(datasets.len(), 1, "{datasets:?}");
    assert_ne!(datasets, old_dataset);
    let job = context.get("/supervisedFineTuningJobs/support-faq-tune");
    assert_eq!(job["dataset"], datasets[0].as_str());
    assert_eq!(context.list("deployedModels").len(), 1);
}

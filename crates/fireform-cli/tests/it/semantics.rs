//! The Fireworks semantics of issue 6, end to end against the emulator: a job made to fail, a
//! deployment found FAILED (in the account, or after it failed while serving), RFT and batch
//! jobs, `deploymentType` resolution, immutable fields, addon model changes and base checks, an
//! output model that is not ours, dataset upload failures and COMPLETED jobs that stay done.
//! Each test asserts what a user sees: exit codes, plan lines, the account over HTTP and the
//! emulator's audit log.
//!
//! It deliberately does not repeat what `apply`, `plan` and `destroy` already prove (the
//! quickstart and `manifests/` converging, new training data, drift of a deployment field,
//! every action type rendering).

use std::time::Duration;

use fireform_emulator::AuditEntry;
use serde_json::json;

use crate::engine_support::{LOCAL_ACCOUNT, TestContext, creations, fireform_snapshot, poll_until};

const BASE_MODEL: &str = "accounts/fireworks/models/llama-v3p1-8b-instruct";

/// A base deployment, a pinned dataset, a job, and the addon serving the job's output.
const SERVING_CHAIN: &str = "\
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
  datasetId: chats
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

/// The successful mutating requests of the audit log, as `METHOD resource`, oldest first.
fn mutations(context: &TestContext) -> Vec<String> {
    context
        .audit()
        .into_iter()
        .filter(|entry| entry.status == 200)
        .filter_map(|AuditEntry { method, resource, path, .. }| {
            let resource = resource?;
            let custom = path.split_once(':').map(|(_, verb)| format!(":{verb}"));
            Some(format!("{method} {resource}{}", custom.unwrap_or_default()))
        })
        .collect()
}

/// Where `entry` first appears in `log`, failing when it does not.
#[track_caller]
fn position(log: &[String], entry: &str) -> usize {
    log.iter()
        .position(|line| line == entry)
        .unwrap_or_else(|| panic!("`{entry}` is not in the audit log:\n{}", log.join("\n")))
}

fn name(kind: &str, id: &str) -> String {
    format!("accounts/{LOCAL_ACCOUNT}/{kind}/{id}")
}

#[test]
fn a_failed_job_stops_its_addon_then_plan_replaces_it_and_the_addon_serves_the_new_model() {
    let context = TestContext::new();
    context.write("main.yaml", SERVING_CHAIN);
    context.add_fail_rule("supervisedFineTuningJobs", "tune", "loss diverged at step 12");

    let apply = context.apply();
    apply.expect(1);
    let stderr = &apply.stderr;
    assert!(
        stderr.contains(
            "error: supervised-fine-tuning-job/tune: `accounts/fireform-local/supervisedFineTuningJobs/tune` did not become ready: JOB_STATE_FAILED: loss diverged at step 12"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("Not started because something they depend on failed: lora-addon/tune"),
        "{stderr}"
    );
    assert!(context.list("deployedModels").is_empty(), "the addon must not start");
    // The base deployment did not depend on the job: it is there, ready, and in state.
    assert_eq!(context.get("/deployments/shared-base")["state"], "READY");
    let state = context.state_addrs();
    assert!(state.contains(&"deployment/shared-base".to_owned()), "{state:?}");
    assert_eq!(context.get("/supervisedFineTuningJobs/tune")["state"], "JOB_STATE_FAILED");

    // The rule goes away at run time; the failed job is replaced explicitly, with its reason.
    context.clear_fail_rules();
    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r#"
    + lora-addon/tune
        deployment: "accounts/fireform-local/deployments/shared-base"
        model: "accounts/fireform-local/models/tune"
    -/+ supervised-fine-tuning-job/tune (replace)
        # it is tainted: its creation did not finish
        # it is JOB_STATE_FAILED: loss diverged at step 12

    Plan: 2 to add, 0 to change, 1 to destroy.
    "#);

    context.apply_converges();
    let job = context.get("/supervisedFineTuningJobs/tune");
    assert_eq!(job["state"], "JOB_STATE_COMPLETED");
    assert_eq!(context.get("/models/tune")["name"], name("models", "tune"));
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0]["state"], "DEPLOYED");
    assert_eq!(loads[0]["model"], name("models", "tune"));
    assert_eq!(loads[0]["deployment"], name("deployments", "shared-base"));

    // The job was deleted, then created again under its id; nothing else twice.
    let job_name = name("supervisedFineTuningJobs", "tune");
    let job_log: Vec<String> =
        mutations(&context).into_iter().filter(|line| line.ends_with(&job_name)).collect();
    assert_eq!(
        job_log,
        [format!("POST {job_name}"), format!("DELETE {job_name}"), format!("POST {job_name}")]
    );
    let counts = creations(&context);
    assert_eq!(counts.get(&job_name), Some(&2), "{counts:?}");
    assert_eq!(counts.get(&name("deployments", "shared-base")), Some(&1), "{counts:?}");
}

#[test]
fn a_deployment_found_failed_in_the_account_is_replaced_explicitly_not_adopted() {
    let context = TestContext::new();
    // Someone created it by hand, and it failed.
    context.add_fail_rule("deployments", "base", "no H100 capacity in US_VIRGINIA_1");
    let (status, body) = context.call(
        "POST",
        "/deployments?deploymentId=base",
        Some(json!({"baseModel": BASE_MODEL, "acceleratorType": "NVIDIA_H100_80GB"})),
    );
    assert_eq!(status, 200, "{body}");
    poll_until(Duration::from_secs(10), "the deployment to fail", || {
        context.get("/deployments/base")["state"] == "FAILED"
    });
    context.clear_fail_rules();
    context.write(
        "main.yaml",
        "\
kind: Deployment
name: base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  maxReplicaCount: 1
lifecycle:
  adopt: true
",
    );

    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r"
    -/+ deployment/base (replace)
        # it is FAILED: no H100 capacity in US_VIRGINIA_1

    Plan: 1 to add, 0 to change, 1 to destroy.
    ");
    // Planning changed nothing.
    assert_eq!(mutations(&context).len(), 1, "{:?}", mutations(&context));

    context.apply_converges();
    assert_eq!(context.get("/deployments/base")["state"], "READY");
    let base = name("deployments", "base");
    let log = mutations(&context);
    assert_eq!(log, [format!("POST {base}"), format!("DELETE {base}"), format!("POST {base}")]);
}

#[test]
fn a_deployment_that_fails_while_serving_is_replaced_explicitly_with_its_addon() {
    let context = TestContext::new();
    context.write("main.yaml", SERVING_CHAIN);
    context.apply_converges();
    let converged = mutations(&context).len();

    // The deployment fails during the next update fireform makes.
    context.add_fail_rule("deployments", "shared-base", "node lost");
    context.write("main.yaml", &SERVING_CHAIN.replace("maxReplicaCount: 1", "maxReplicaCount: 2"));
    let apply = context.apply();
    apply.expect(1);
    assert!(
        apply.stderr.contains(
            "error: deployment/shared-base: `accounts/fireform-local/deployments/shared-base` did not become ready: FAILED: node lost"
        ),
        "{}",
        apply.stderr
    );
    assert_eq!(context.get("/deployments/shared-base")["state"], "FAILED");
    // Only the update was sent: no silent delete and create.
    let base = name("deployments", "shared-base");
    assert_eq!(mutations(&context)[converged..], [format!("PATCH {base}")]);

    context.clear_fail_rules();
    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r"
    -/+ deployment/shared-base (replace)
        # it is FAILED: node lost
    -/+ lora-addon/tune (replace)
        # `deployment` refers to `deployment/shared-base`, which is replaced

    Plan: 2 to add, 0 to change, 2 to destroy.
    ");
    context.apply_converges();
    let deployment = context.get("/deployments/shared-base");
    assert_eq!(deployment["state"], "READY");
    assert_eq!(deployment["maxReplicaCount"], 2);
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0]["state"], "DEPLOYED");
    // The addon was unloaded before its deployment went, and loaded after it came back.
    let log = &mutations(&context)[converged + 1..];
    let verbs: Vec<&str> = log
        .iter()
        .map(|line| match line.as_str() {
            line if line.starts_with("DELETE accounts/fireform-local/deployedModels/") => "unload",
            line if line.starts_with("POST accounts/fireform-local/deployedModels/") => "load",
            line if line == format!("DELETE {base}") => "delete base",
            line if line == format!("POST {base}") => "create base",
            _ => "other",
        })
        .collect();
    assert_eq!(verbs, ["unload", "delete base", "create base", "load"], "{log:?}");
}

const RFT: &str = "\
kind: Dataset
name: math
spec:
  format: RL
  rows:
    - {messages: [{role: user, content: \"What is 17 * 23?\"}], ground_truth: \"391\"}
---
kind: ReinforcementFineTuningJob
name: math-reasoner
spec:
  dataset: ${dataset/math}
  evaluator: accounts/fireform-local/evaluators/exact-match
  trainingConfig:
    baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
    outputModel: math-reasoner-v1
    epochs: 2
    learningRate: 0.0001
  inferenceParameters:
    temperature: 1.0
    responseCandidatesCount: 8
---
kind: Deployment
name: base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  maxReplicaCount: 1
  enableAddons: true
---
kind: LoraAddon
name: math
spec:
  model: ${reinforcement-fine-tuning-job/math-reasoner.outputModel}
  deployment: ${deployment/base}
";

#[test]
fn rft_job_with_an_evaluator_records_its_output_model_and_a_parameter_change_replaces_it() {
    let context = TestContext::new();
    let (status, body) = context.call(
        "POST",
        "/evaluators",
        Some(json!({"evaluatorId": "exact-match", "evaluator": {"displayName": "exact match"}})),
    );
    assert_eq!(status, 200, "{body}");
    context.write("main.yaml", RFT);
    context.apply_converges();

    let job = context.get("/reinforcementFineTuningJobs/math-reasoner");
    assert_eq!(job["state"], "JOB_STATE_COMPLETED");
    assert_eq!(job["evaluator"], name("evaluators", "exact-match"));
    assert_eq!(job["inferenceParameters"]["responseCandidatesCount"], 8);
    let output = name("models", "math-reasoner-v1");
    assert_eq!(job["trainingConfig"]["outputModel"], output.as_str());
    assert_eq!(context.get("/models/math-reasoner-v1")["name"], output.as_str());
    let recorded = &context.state()["resources"]["reinforcement-fine-tuning-job/math-reasoner"];
    assert_eq!(recorded["values"]["outputModel"], output.as_str());
    // The addon serves the model the job produced.
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0]["model"], output.as_str());

    context.write("main.yaml", &RFT.replace("epochs: 2", "epochs: 3"));
    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r"
    -/+ lora-addon/math (replace)
        # `model` refers to `reinforcement-fine-tuning-job/math-reasoner`, which is replaced
    -/+ reinforcement-fine-tuning-job/math-reasoner (replace)
        # `trainingConfig.epochs` forces replacement
        trainingConfig.epochs: 2 -> 3  # forces replacement

    Plan: 2 to add, 0 to change, 2 to destroy.
    ");
    context.apply_converges();
    let job = context.get("/reinforcementFineTuningJobs/math-reasoner");
    assert_eq!(job["state"], "JOB_STATE_COMPLETED");
    assert_eq!(job["trainingConfig"]["epochs"], 3);
    let counts = creations(&context);
    assert_eq!(counts.get(&name("reinforcementFineTuningJobs", "math-reasoner")), Some(&2));
    assert_eq!(context.list("deployedModels").len(), 1);
}

const BATCH_CHAIN: &str = "\
kind: Dataset
name: prompts
spec:
  datasetId: prompts
  rows:
    - {messages: [{role: user, content: hi}]}
    - {messages: [{role: user, content: there}]}
---
kind: BatchInferenceJob
name: first-pass
spec:
  model: accounts/fireworks/models/llama-v3p1-8b-instruct
  inputDatasetId: ${dataset/prompts}
---
kind: BatchInferenceJob
name: second-pass
spec:
  model: accounts/fireworks/models/llama-v3p1-8b-instruct
  inputDatasetId: ${batch-inference-job/first-pass.outputDataset}
";

#[test]
fn a_batch_jobs_output_dataset_feeds_another_job_in_order() {
    let context = TestContext::new();
    context.write("main.yaml", BATCH_CHAIN);
    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r#"
    + dataset/prompts
        id: "prompts"
    + batch-inference-job/first-pass
        id: "first-pass"
        inputDatasetId: "accounts/fireform-local/datasets/prompts"
        model: "accounts/fireworks/models/llama-v3p1-8b-instruct"
    + batch-inference-job/second-pass
        id: "second-pass"
        inputDatasetId: (known after apply)
        model: "accounts/fireworks/models/llama-v3p1-8b-instruct"

    Plan: 3 to add, 0 to change, 0 to destroy.
    "#);
    context.apply_converges();

    let first = context.get("/batchInferenceJobs/first-pass");
    let second = context.get("/batchInferenceJobs/second-pass");
    assert_eq!(first["state"], "JOB_STATE_COMPLETED");
    assert_eq!(second["state"], "JOB_STATE_COMPLETED");
    let output = first["outputDatasetId"].as_str().unwrap();
    assert_eq!(second["inputDatasetId"], output, "the value reached the dependent");
    let recorded = &context.state()["resources"]["batch-inference-job/first-pass"];
    assert_eq!(recorded["values"]["outputDataset"], output);
    // The output dataset holds one result per prompt.
    let dataset = context.get(&format!("/datasets/{}", output.rsplit('/').next().unwrap()));
    assert_eq!(
        (dataset["state"].clone(), dataset["exampleCount"].clone()),
        ("READY".into(), "2".into())
    );
    // The second job was created only once the first had written its output.
    let log = mutations(&context);
    let first_created =
        position(&log, &format!("POST {}", name("batchInferenceJobs", "first-pass")));
    let second_created =
        position(&log, &format!("POST {}", name("batchInferenceJobs", "second-pass")));
    assert!(first_created < second_created, "{log:?}");
}

#[test]
fn deployment_type_auto_resolves_both_ways_and_serverless_refuses_an_unserved_model() {
    let context = TestContext::new();
    context.copy_from_repo("examples/auto-serverless");
    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r#"
    Resolved:
      deployment/chat: deploymentType auto resolved to serverless: `accounts/fireworks/models/llama-v3p3-70b-instruct` is served on serverless; nothing to create
      deployment/qwen-dedicated: deploymentType auto resolved to on-demand: `accounts/fireworks/models/qwen2p5-7b-instruct` is not served on serverless

    <= deployment/chat (read)
    + deployment/qwen-dedicated
        id: "qwen-dedicated"
        acceleratorType: "NVIDIA_A100_80GB"
        baseModel: "accounts/fireworks/models/qwen2p5-7b-instruct"
        maxReplicaCount: 1
        minReplicaCount: 0

    Plan: 1 to add, 0 to change, 0 to destroy. (1 state-only)
    "#);
    context.apply_converges();
    // Only the on-demand one exists in the account; the serverless one is only recorded.
    assert_eq!(context.names("deployments"), [name("deployments", "qwen-dedicated")]);
    let mut state = context.state_addrs();
    state.sort();
    assert_eq!(state, ["deployment/chat", "deployment/qwen-dedicated"]);

    // `serverless` on a model the catalog does not serve on serverless is a plan error.
    context.write(
        "bad.yaml",
        "\
kind: Deployment
name: bad
spec:
  deploymentType: serverless
  baseModel: accounts/fireworks/models/qwen2p5-7b-instruct
",
    );
    let before = context.audit().len();
    let plan = context.plan();
    plan.expect(1);
    assert_eq!(plan.stdout, "");
    assert!(
        plan.stderr.contains(
            "deployment/bad: `accounts/fireworks/models/qwen2p5-7b-instruct` is not served on serverless; use `deploymentType: on-demand` (or `auto`) and give the deployment its hardware"
        ),
        "{}",
        plan.stderr
    );
    assert_eq!(context.fireform(&["apply", "--auto-approve"]).code, Some(1));
    assert_eq!(context.audit().len(), before, "a refused plan changes nothing");
}

const CREATE_BEFORE_DESTROY: &str = "\
kind: Deployment
name: base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  maxReplicaCount: 1
lifecycle:
  createBeforeDestroy: true
";

#[test]
fn an_immutable_deployment_field_forces_a_replace_and_create_before_destroy_says_why_not() {
    let context = TestContext::new();
    context.write("main.yaml", CREATE_BEFORE_DESTROY);
    context.apply_converges();
    context
        .write("main.yaml", &CREATE_BEFORE_DESTROY.replace("NVIDIA_H100_80GB", "NVIDIA_A100_80GB"));
    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r#"
    -/+ deployment/base (replace)
        # `acceleratorType` forces replacement
        # `createBeforeDestroy` is not possible: the new object takes the same id
        acceleratorType: "NVIDIA_H100_80GB" -> "NVIDIA_A100_80GB"  # forces replacement

    Plan: 1 to add, 0 to change, 1 to destroy.
    "#);
    context.apply_converges();
    assert_eq!(context.get("/deployments/base")["acceleratorType"], "NVIDIA_A100_80GB");
    // As the plan said: the old one went first, since the new one takes its id.
    let base = name("deployments", "base");
    assert_eq!(
        mutations(&context),
        [format!("POST {base}"), format!("DELETE {base}"), format!("POST {base}")]
    );
}

#[test]
fn an_addon_whose_model_changes_is_unloaded_then_the_new_model_loaded() {
    let context = TestContext::new();
    let project = format!(
        "{SERVING_CHAIN}---
kind: SupervisedFineTuningJob
name: tune-b
spec:
  dataset: ${{dataset/chats}}
  baseModel: {BASE_MODEL}
  epochs: 2
"
    );
    context.write("main.yaml", &project);
    context.apply_converges();
    let converged = mutations(&context).len();
    let old = context.list("deployedModels");
    assert_eq!(old.len(), 1);
    let old = old[0]["name"].as_str().unwrap().to_owned();

    context.write(
        "main.yaml",
        &project.replace(
            "${supervised-fine-tuning-job/tune.outputModel}",
            "${supervised-fine-tuning-job/tune-b.outputModel}",
        ),
    );
    let plan = context.plan();
    plan.expect(2);
    fireform_snapshot!(context, &plan.stdout, @r#"
    -/+ lora-addon/tune (replace)
        # `model` forces replacement
        model: "accounts/fireform-local/models/tune" -> "accounts/fireform-local/models/tune-b"  # forces replacement

    Plan: 1 to add, 0 to change, 1 to destroy.
    "#);
    context.apply_converges();
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0]["model"], name("models", "tune-b"));
    assert_eq!(loads[0]["state"], "DEPLOYED");
    let new = loads[0]["name"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(mutations(&context)[converged..], [format!("DELETE {old}"), format!("POST {new}")]);
    // The jobs and their models were left alone.
    assert_eq!(context.names("models"), [name("models", "tune"), name("models", "tune-b")]);
}

#[test]
fn an_upload_failure_leaves_nothing_in_state_and_a_rerun_converges() {
    let context = TestContext::new();
    context.write(
        "main.yaml",
        "\
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
",
    );
    // The SDK's test vector: these rows hash to this content-addressed id.
    let id = "dataset-520882913-inmemory-jsonl";
    context.add_fail_rule("datasets", id, "file is not valid JSON Lines");

    let apply = context.apply();
    apply.expect(1);
    assert!(
        apply.stderr.contains(&format!(
            "error: dataset/chats: upload `accounts/fireform-local/datasets/{id}` failed: "
        )),
        "{}",
        apply.stderr
    );
    assert!(apply.stderr.contains("400 FAILED_PRECONDITION: file is not valid JSON Lines"));
    assert!(
        apply.stderr.contains(
            "Not started because something they depend on failed: supervised-fine-tuning-job/tune"
        ),
        "{}",
        apply.stderr
    );
    assert_eq!(context.state_addrs(), Vec::<String>::new(), "nothing half-registered in state");
    assert_eq!(context.names("datasets"), Vec::<String>::new(), "nor in the account");
    assert!(context.names("supervisedFineTuningJobs").is_empty());

    context.clear_fail_rules();
    let plan = context.plan();
    plan.expect(2);
    assert!(plan.stdout.contains("Plan: 2 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    context.apply_converges();
    let dataset = context.get(&format!("/datasets/{id}"));
    assert_eq!(dataset["state"], "READY");
    assert_eq!(dataset["exampleCount"], "1");
    assert_eq!(context.get("/supervisedFineTuningJobs/tune")["state"], "JOB_STATE_COMPLETED");
}

#[test]
fn a_completed_job_stays_a_no_op_when_the_accounts_job_list_changes() {
    let context = TestContext::new();
    context.write(
        "main.yaml",
        "\
kind: Dataset
name: chats
spec:
  datasetId: chats
  rows:
    - {messages: [{role: user, content: hi}, {role: assistant, content: hello}]}
---
kind: SupervisedFineTuningJob
name: tune
spec:
  dataset: ${dataset/chats}
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  epochs: 1
",
    );
    context.apply_converges();
    let job = context.get("/supervisedFineTuningJobs/tune");
    assert_eq!(job["state"], "JOB_STATE_COMPLETED");

    // Elsewhere, someone runs other jobs in the same account: one completes, one fails.
    context.add_fail_rule("supervisedFineTuningJobs", "broken", "out of memory");
    for id in ["other", "broken"] {
        let (status, body) = context.call(
            "POST",
            &format!("/supervisedFineTuningJobs?supervisedFineTuningJobId={id}"),
            Some(json!({"dataset": name("datasets", "chats"), "baseModel": BASE_MODEL})),
        );
        assert_eq!(status, 200, "{body}");
    }
    poll_until(Duration::from_secs(10), "the other jobs to finish", || {
        context.get("/supervisedFineTuningJobs/other")["state"] == "JOB_STATE_COMPLETED"
            && context.get("/supervisedFineTuningJobs/broken")["state"] == "JOB_STATE_FAILED"
    });
    let before = context.audit().len();
    context.expect_no_changes();
    let apply = context.apply();
    apply.expect(0);
    assert!(apply.stdout.contains("No changes."), "{}", apply.stdout);
    assert_eq!(context.audit().len(), before, "nothing was sent");
    // Ours is untouched: same object, same output model.
    assert_eq!(context.get("/supervisedFineTuningJobs/tune"), job);
    assert_eq!(context.names("supervisedFineTuningJobs").len(), 3);
}

#[test]
fn an_addon_on_a_base_without_addons_or_of_another_model_is_refused_before_any_change() {
    let context = TestContext::new();
    context.write("main.yaml", &SERVING_CHAIN.replace("  enableAddons: true\n", ""));
    let plan = context.plan();
    plan.expect(1);
    fireform_snapshot!(context, &plan.stderr, @r"
    error: LoRA addon `lora-addon/tune` needs `deployment/shared-base` to set `enableAddons: true`
      --> main.yaml:26:15
       |
    26 |   deployment: ${deployment/shared-base}
       |               ^^^^^^^^^^^^^^^^^^^^^^^^^ loaded onto this deployment
       |
      ::: main.yaml:3:1
       |
     3 | spec:
       | ---- no `enableAddons` in this spec
       = help: add `enableAddons: true` to the spec of `deployment/shared-base`

    error: the manifests are invalid: 1 error

    hint: fix the problems above and run `fireform validate` again
    ");

    let other_base =
        SERVING_CHAIN.replacen(BASE_MODEL, "accounts/fireworks/models/qwen2p5-7b-instruct", 1);
    context.write("main.yaml", &other_base);
    let apply = context.apply();
    apply.expect(1);
    assert!(
        apply.stderr.contains(
            "error: LoRA addon `lora-addon/tune` serves a model trained on `accounts/fireworks/models/llama-v3p1-8b-instruct`, but `deployment/shared-base` runs `accounts/fireworks/models/qwen2p5-7b-instruct`"
        ),
        "{}",
        apply.stderr
    );
    assert!(context.audit().is_empty(), "nothing may change: {:?}", context.audit());
}

#[test]
fn an_output_model_that_exists_and_is_not_ours_is_a_plan_error() {
    let context = TestContext::new();
    // Someone else's job already produced `models/tune`.
    context.ready_dataset("seed", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n");
    let (status, body) = context.call(
        "POST",
        "/supervisedFineTuningJobs?supervisedFineTuningJobId=someone",
        Some(json!({"dataset": name("datasets", "seed"), "baseModel": BASE_MODEL, "outputModel": "tune"})),
    );
    assert_eq!(status, 200, "{body}");
    poll_until(Duration::from_secs(10), "their job to complete", || {
        context.get("/supervisedFineTuningJobs/someone")["state"] == "JOB_STATE_COMPLETED"
    });
    let before = context.audit().len();
    context.write("main.yaml", SERVING_CHAIN);

    let plan = context.plan();
    plan.expect(1);
    assert_eq!(plan.stdout, "");
    assert!(
        plan.stderr.contains(
            "supervised-fine-tuning-job/tune: output model `accounts/fireform-local/models/tune` already exists in the account and this job did not produce it; give the job another `outputModel`, or delete the model"
        ),
        "{}",
        plan.stderr
    );
    context.apply().expect(1);
    assert_eq!(context.audit().len(), before, "nothing may change");
    assert_eq!(
        context.get("/models/tune")["fineTuningJob"],
        name("supervisedFineTuningJobs", "someone")
    );
}

#[test]
fn a_lora_load_made_to_fail_names_the_deployment_and_the_server_message() {
    let context = TestContext::new();
    // A batch job that runs on the addon: a dependent that must not start. The timeout only
    // bounds how long a broken build takes to fail this test.
    context.write(
        "main.yaml",
        &format!(
            "{SERVING_CHAIN}lifecycle:\n  timeouts: {{create: 20s}}\n---
kind: BatchInferenceJob
name: smoke
spec:
  model: ${{supervised-fine-tuning-job/tune.outputModel}}
  inputDatasetId: ${{dataset/chats}}
dependsOn: [lora-addon/tune]
"
        ),
    );
    // The server cannot load the job's output model `tune`.
    context.add_fail_rule("deployedModels", "tune", "adapter weights are corrupt");

    let started = std::time::Instant::now();
    let apply = context.apply();
    apply.expect(1);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a failed load ends the wait at once:\n{}",
        apply.render()
    );
    let stderr = &apply.stderr;
    let error = stderr
        .lines()
        .find(|line| line.starts_with("error: lora-addon/tune:"))
        .unwrap_or_else(|| panic!("no error for the addon:\n{stderr}"));
    assert!(
        error.contains(&format!("deployment `{}`", name("deployments", "shared-base"))),
        "{error}"
    );
    assert!(error.contains("adapter weights are corrupt"), "{error}");
    assert!(
        stderr.contains(
            "Not started because something they depend on failed: batch-inference-job/smoke"
        ),
        "{stderr}"
    );
    assert!(context.names("batchInferenceJobs").is_empty());
    // The base deployment is created, ready and in state.
    assert_eq!(context.get("/deployments/shared-base")["state"], "READY");
    assert!(context.state_addrs().contains(&"deployment/shared-base".to_owned()));

    // Once the server can load it, the failed load is replaced visibly and apply converges.
    context.clear_fail_rules();
    let plan = context.plan();
    plan.expect(2);
    assert!(plan.stdout.contains("-/+ lora-addon/tune (replace)"), "{}", plan.stdout);
    context.apply_converges();
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0]["state"], "DEPLOYED");
}

#[test]
fn an_addon_with_create_before_destroy_loads_the_new_model_before_unloading_the_old() {
    let context = TestContext::new();
    let project = format!(
        "{SERVING_CHAIN}lifecycle:
  createBeforeDestroy: true
---
kind: SupervisedFineTuningJob
name: tune-b
spec:
  dataset: ${{dataset/chats}}
  baseModel: {BASE_MODEL}
  epochs: 2
"
    );
    context.write("main.yaml", &project);
    context.apply_converges();
    let converged = mutations(&context).len();
    let old = context.list("deployedModels")[0]["name"].as_str().unwrap().to_owned();
    context.write(
        "main.yaml",
        &project.replace(
            "${supervised-fine-tuning-job/tune.outputModel}",
            "${supervised-fine-tuning-job/tune-b.outputModel}",
        ),
    );
    let plan = context.plan();
    plan.expect(2);
    // The server picks a new deployed-model id for every load: the ids allow it.
    assert!(!plan.stdout.contains("is not possible"), "{}", plan.stdout);
    context.apply_converges();
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1, "{loads:?}");
    let new = loads[0]["name"].as_str().unwrap();
    assert_eq!(mutations(&context)[converged..], [format!("POST {new}"), format!("DELETE {old}")]);

    // Replacing the job that produces the served model: the new load needs the new model, which
    // exists only after the old load is gone, so the plan says why it cannot create first.
    let retrained = project.replace(
        "${supervised-fine-tuning-job/tune.outputModel}",
        "${supervised-fine-tuning-job/tune-b.outputModel}",
    );
    context.write("main.yaml", &retrained.replace("epochs: 2", "epochs: 3"));
    let plan = context.plan();
    plan.expect(2);
    assert!(
        plan.stdout.contains(
            "`createBeforeDestroy` is not possible: `supervised-fine-tuning-job/tune-b`, which it \
             depends on, is replaced too"
        ),
        "{}",
        plan.stdout
    );
    context.apply_converges();
}

#[test]
fn an_addon_without_a_deployment_is_served_as_serverless_lora() {
    let context = TestContext::new();
    // The chain without its base deployment: the addon names only its model.
    let serverless = SERVING_CHAIN
        .split("\n---\n")
        .filter(|document| !document.contains("kind: Deployment"))
        .map(|document| document.replace("  deployment: ${deployment/shared-base}\n", ""))
        .collect::<Vec<_>>()
        .join("\n---\n");
    assert!(!serverless.contains("deployment/"), "{serverless}");
    context.write("main.yaml", &serverless);
    context.apply_converges();
    let loads = context.list("deployedModels");
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0]["model"], name("models", "tune"));
    assert_eq!(loads[0]["state"], "DEPLOYED");
    assert!(loads[0].get("deployment").is_none_or(|deployment| deployment.is_null()), "{loads:?}");
    assert!(context.names("deployments").is_empty());

    context.fireform(&["destroy", "--auto-approve"]).expect(0);
    assert!(context.list("deployedModels").is_empty());
    assert!(context.names("models").is_empty());
}

//! Plans and applies against [`FakeProvider`]: every action type, ordering, failure handling,
//! drift, adoption, stale plans and destroy.

use std::path::PathBuf;
use std::time::Duration;

use fireform_core::{ResourceAddr, ResourceKind};
use fireform_manifest::Manifest;
use fireform_plan::{
    Action, ApplyOptions, ApplyReport, Interrupt, Plan, PlanError, PlanInput, PlanOptions,
    Provider, apply, check_fresh, kinds_to_refresh, models_to_probe, needs_catalog, plan,
    plan_destroy, probe_models, refresh, render,
};
use fireform_state::{LocalBackend, LockInfo, StateStore};
use serde_json::json;

use crate::fake::FakeProvider;

const QUICKSTART: &str = r#"
kind: Deployment
name: shared-base
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  minReplicaCount: 0
  maxReplicaCount: 2
  enableAddons: true
---
kind: Dataset
name: support-chats
spec:
  path: train.jsonl
---
kind: SupervisedFineTuningJob
name: support-v1
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  dataset: ${dataset/support-chats}
  epochs: 1
---
kind: LoraAddon
name: support-v1
spec:
  model: ${supervised-fine-tuning-job/support-v1.outputModel}
  deployment: ${deployment/shared-base}
"#;

const TRAIN: &str = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n";

struct Project {
    dir: tempfile::TempDir,
    provider: FakeProvider,
}

impl Project {
    fn new(manifest: &str) -> Project {
        let project = Project { dir: tempfile::tempdir().unwrap(), provider: FakeProvider::new() };
        project.write("main.yaml", manifest);
        project.write("train.jsonl", TRAIN);
        project
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }

    fn manifest(&self) -> Manifest {
        fireform_manifest::load(&[self.dir.path().to_path_buf()])
            .unwrap_or_else(|diagnostics| panic!("invalid manifest: {diagnostics:?}"))
    }

    fn store(&self) -> StateStore {
        let path: PathBuf = self.dir.path().join(".fireform/state.json");
        StateStore::open(Box::new(LocalBackend::new(path)), LockInfo::new("test"), Duration::ZERO)
            .unwrap()
    }

    /// Plans as the CLI does: refresh, plan, and plan again once the output models of jobs
    /// about to train have been looked up.
    async fn try_plan_with(&self, options: &PlanOptions) -> Result<Plan, PlanError> {
        let manifest = self.manifest();
        let graph = fireform_graph::build(&manifest).unwrap();
        let store = self.store();
        let state = store.snapshot();
        let mut observed = refresh(
            &self.provider,
            &kinds_to_refresh(Some(&manifest), &state),
            needs_catalog(&manifest),
        )
        .await
        .unwrap();
        let input = PlanInput {
            account: "acme",
            manifest: &manifest,
            graph: &graph,
            state: &state,
            observed: &observed,
        };
        let first = plan(input, options)?;
        let probe = models_to_probe(&first, &observed);
        if probe.is_empty() {
            return Ok(first);
        }
        probe_models(&self.provider, &probe, &mut observed).await.unwrap();
        let input = PlanInput {
            account: "acme",
            manifest: &manifest,
            graph: &graph,
            state: &state,
            observed: &observed,
        };
        plan(input, options)
    }

    async fn plan_with(&self, options: &PlanOptions) -> Plan {
        self.try_plan_with(options).await.unwrap_or_else(|error| panic!("plan failed: {error}"))
    }

    async fn plan(&self) -> Plan {
        self.plan_with(&PlanOptions::default()).await
    }

    async fn apply(&self, plan: &Plan) -> ApplyReport {
        let store = self.store();
        check_fresh(plan, &store.snapshot()).unwrap();
        let options = ApplyOptions {
            poll_min: Duration::from_millis(1),
            project_dir: self.dir.path().to_path_buf(),
            ..ApplyOptions::default()
        };
        apply(&self.provider, plan, &store, &options, &Interrupt::new(), &|_| {}).await
    }

    async fn converge(&self) -> ApplyReport {
        let plan = self.plan().await;
        let report = self.apply(&plan).await;
        assert!(report.is_success(), "apply failed: {:?}", report.errors);
        report
    }
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes.iter().filter(|c| c.is_change()).map(|c| (c.addr.to_string(), c.action)).collect()
}

fn addr(text: &str) -> ResourceAddr {
    text.parse().unwrap()
}

#[tokio::test]
async fn quickstart_applies_in_dependency_order_then_plans_no_changes() {
    let project = Project::new(QUICKSTART);
    let plan = project.plan().await;
    assert_eq!(
        actions(&plan),
        vec![
            ("deployment/shared-base".into(), Action::Create),
            ("lora-addon/support-v1".into(), Action::Create),
            ("dataset/support-chats".into(), Action::Create),
            ("supervised-fine-tuning-job/support-v1".into(), Action::Create),
        ]
    );
    let text = render(&plan);
    assert!(text.contains("Plan: 4 to add, 0 to change, 0 to destroy."), "{text}");
    // The job's output model is derived from the manifest, so the addon's model is known now.
    assert!(text.contains("    model: \"accounts/acme/models/support-v1\""), "{text}");
    assert!(!text.contains("path:"), "manifest-only fields are not wire fields: {text}");

    project.converge().await;
    let log = project.provider.log();
    let position = |entry: &str| {
        log.iter()
            .position(|line| line.starts_with(entry))
            .unwrap_or_else(|| panic!("{entry} missing from {log:?}"))
    };
    assert!(position("create dataset") < position("upload"));
    assert!(position("upload") < position("create supervised-fine-tuning-job"));
    assert!(position("create supervised-fine-tuning-job") < position("create lora-addon"));
    assert!(position("create deployment") < position("create lora-addon"));

    let second = project.plan().await;
    assert!(!second.has_changes(), "{}", render(&second));
    assert!(render(&second).contains("No changes."));
    let state = project.store().snapshot();
    let lora = state.resource(&addr("lora-addon/support-v1")).unwrap();
    assert_eq!(lora.remote_name, "accounts/acme/deployedModels/gen1");
    assert_eq!(lora.spec["model"], json!("accounts/acme/models/support-v1"));
}

#[tokio::test]
async fn drift_is_planned_as_an_in_place_update_with_a_mask() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    project.provider.set_field(
        ResourceKind::Deployment,
        "shared-base",
        "maxReplicaCount",
        json!(5),
    );
    let plan = project.plan().await;
    assert_eq!(actions(&plan), vec![("deployment/shared-base".into(), Action::Update)]);
    insta::assert_snapshot!(render(&plan), @r"
    ~ deployment/shared-base
        maxReplicaCount: 5 -> 2

    Plan: 0 to add, 1 to change, 0 to destroy.
    ");
    project.apply(&plan).await;
    assert_eq!(
        project.provider.log().last().unwrap(),
        "update deployment shared-base [maxReplicaCount]"
    );
    assert!(!project.plan().await.has_changes());
}

#[tokio::test]
async fn immutable_change_replaces_and_cascades_to_dependents() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    project.write("main.yaml", &QUICKSTART.replace("epochs: 1", "epochs: 2"));
    let plan = project.plan().await;
    assert_eq!(
        actions(&plan),
        vec![
            ("lora-addon/support-v1".into(), Action::Replace),
            ("supervised-fine-tuning-job/support-v1".into(), Action::Replace),
        ]
    );
    let text = render(&plan);
    assert!(text.contains("epochs: 1 -> 2  # forces replacement"), "{text}");
    assert!(
        text.contains(
            "`model` refers to `supervised-fine-tuning-job/support-v1`, which is replaced"
        ),
        "{text}"
    );
    project.provider.log.borrow_mut().clear();
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    // The addon goes before the job (and its model) go; the new job completes before the new
    // addon loads.
    assert_eq!(
        project.provider.log(),
        vec![
            "delete lora-addon gen1",
            "delete supervised-fine-tuning-job support-v1",
            "delete model support-v1",
            "create supervised-fine-tuning-job support-v1",
            "create lora-addon gen2",
        ]
    );
    assert!(!project.plan().await.has_changes());
}

#[tokio::test]
async fn changed_dataset_content_means_a_new_dataset_and_replaced_dependents() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    let old_id =
        project.store().snapshot().resource(&addr("dataset/support-chats")).unwrap().id.clone();
    project.write("train.jsonl", &format!("{TRAIN}{TRAIN}"));
    let plan = project.plan().await;
    assert_eq!(
        actions(&plan),
        vec![
            ("lora-addon/support-v1".into(), Action::Replace),
            ("dataset/support-chats".into(), Action::Replace),
            ("supervised-fine-tuning-job/support-v1".into(), Action::Replace),
        ]
    );
    let text = render(&plan);
    assert!(text.contains(&format!("its id changes from `{old_id}`")), "{text}");
    project.provider.log.borrow_mut().clear();
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    let log = project.provider.log();
    let position = |entry: &str| log.iter().position(|line| line.starts_with(entry)).unwrap();
    // The new dataset exists before the new job; the old one goes only after the old job.
    assert!(position("create dataset") < position("create supervised-fine-tuning-job"));
    assert!(
        position("delete supervised-fine-tuning-job")
            < position(&format!("delete dataset {old_id}"))
    );
    assert_eq!(project.provider.count(ResourceKind::Dataset), 1);
    assert!(!project.plan().await.has_changes());
}

#[tokio::test]
async fn removed_resources_are_destroyed_addon_before_deployment() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    project.write("main.yaml", "kind: Dataset\nname: support-chats\nspec:\n  path: train.jsonl\n");
    let plan = project.plan().await;
    assert_eq!(
        actions(&plan),
        vec![
            ("deployment/shared-base".into(), Action::Delete),
            ("lora-addon/support-v1".into(), Action::Delete),
            ("supervised-fine-tuning-job/support-v1".into(), Action::Delete),
        ]
    );
    project.provider.log.borrow_mut().clear();
    project.apply(&plan).await;
    let log = project.provider.log();
    let position = |entry: &str| log.iter().position(|line| line.starts_with(entry)).unwrap();
    assert!(position("delete lora-addon") < position("delete deployment"));
    assert!(position("delete lora-addon") < position("delete supervised-fine-tuning-job"));
    assert_eq!(project.store().snapshot().len(), 1);
}

#[tokio::test]
async fn existing_objects_are_adopted_not_created_twice() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    // Lose the records but keep the intents, as after a crash between create and save.
    project
        .store()
        .update(|state| {
            let recorded: Vec<_> = state
                .resources()
                .map(|recorded| (recorded.addr().clone(), recorded.remote_name.clone()))
                .collect();
            for (addr, name) in recorded {
                state.record_intent(&addr, &name);
                state.remove(&addr);
            }
        })
        .unwrap();
    project.provider.log.borrow_mut().clear();
    let plan = project.plan().await;
    assert!(plan.changes.iter().all(|change| change.action == Action::Adopt), "{}", render(&plan));
    assert!(render(&plan).contains("Plan: 4 to import, 0 to add, 0 to change, 0 to destroy."));
    project.apply(&plan).await;
    assert!(project.provider.log().is_empty(), "{:?}", project.provider.log());
    assert!(!project.plan().await.has_changes());
    assert!(project.store().snapshot().intents().is_empty(), "adopting settles the intents");

    // With the state lost altogether, nothing is known to be this project's own: objects are
    // not taken (the shared dataset is only read), and the plan says how to import them.
    std::fs::remove_dir_all(project.dir.path().join(".fireform")).unwrap();
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err().to_string();
    assert!(error.contains("run `fireform import deployment/shared-base shared-base`"), "{error}");
    assert!(!error.contains("dataset/support-chats"), "{error}");
}

#[tokio::test]
async fn a_failure_stops_its_dependents_and_lets_independent_work_finish() {
    let project = Project::new(QUICKSTART);
    project.provider.fail.borrow_mut().insert("shared-base".into());
    let plan = project.plan().await;
    let report = project.apply(&plan).await;
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].0, addr("deployment/shared-base"));
    let message = report.errors[0].1.to_string();
    assert!(message.contains("FAILED: injected failure"), "{message}");
    assert_eq!(report.skipped, vec![addr("lora-addon/support-v1")]);
    // The independent chain finished and is recorded; the failed deployment is tainted.
    let state = project.store().snapshot();
    assert!(state.resource(&addr("supervised-fine-tuning-job/support-v1")).is_some());
    assert!(state.resource(&addr("deployment/shared-base")).unwrap().tainted);
    // A rerun replaces the failed deployment explicitly, then finishes.
    project.provider.fail.borrow_mut().clear();
    let plan = project.plan().await;
    assert_eq!(
        actions(&plan),
        vec![
            ("deployment/shared-base".into(), Action::Replace),
            ("lora-addon/support-v1".into(), Action::Create)
        ]
    );
    assert!(render(&plan).contains("it is tainted"));
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    assert!(!project.plan().await.has_changes());
}

#[tokio::test]
async fn a_saved_plan_is_refused_once_state_moves_on() {
    let project = Project::new(QUICKSTART);
    let saved = Plan::from_json(&project.plan().await.to_json()).unwrap();
    let other = project.plan().await;
    project.apply(&other).await;
    let error = check_fresh(&saved, &project.store().snapshot()).unwrap_err();
    assert!(error.contains("stale"), "{error}");
}

#[tokio::test]
async fn targets_include_dependencies_and_excludes_drop_dependents() {
    let project = Project::new(QUICKSTART);
    let options = PlanOptions {
        targets: vec![addr("supervised-fine-tuning-job/support-v1")],
        ..PlanOptions::default()
    };
    let plan = project.plan_with(&options).await;
    assert_eq!(
        actions(&plan),
        vec![
            ("dataset/support-chats".into(), Action::Create),
            ("supervised-fine-tuning-job/support-v1".into(), Action::Create),
        ]
    );
    let options =
        PlanOptions { excludes: vec![addr("dataset/support-chats")], ..PlanOptions::default() };
    let plan = project.plan_with(&options).await;
    assert_eq!(actions(&plan), vec![("deployment/shared-base".into(), Action::Create)]);
}

#[tokio::test]
async fn destroy_removes_everything_in_reverse_order() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    let store = project.store();
    let state = store.snapshot();
    let observed =
        refresh(&project.provider, &kinds_to_refresh(None, &state), false).await.unwrap();
    let manifest = project.manifest();
    let plan = plan_destroy("acme", Some(&manifest), &state, &observed, &[], &[]).unwrap();
    assert!(render(&plan).contains("Plan: 0 to add, 0 to change, 4 to destroy."));
    drop(store);
    project.provider.log.borrow_mut().clear();
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    let log = project.provider.log();
    let position = |entry: &str| log.iter().position(|line| line.starts_with(entry)).unwrap();
    assert!(position("delete lora-addon") < position("delete deployment"));
    assert!(position("delete supervised-fine-tuning-job") < position("delete dataset"));
    assert!(project.store().snapshot().is_empty());
    for kind in fireform_core::ResourceKind::ALL {
        assert_eq!(project.provider.count(kind), 0, "{kind}");
    }
    assert!(project.provider.models.borrow().is_empty());
}

#[tokio::test]
async fn prevent_destroy_refuses_a_replacing_plan() {
    let manifest =
        QUICKSTART.replace("  epochs: 1\n", "  epochs: 1\nlifecycle:\n  preventDestroy: true\n");
    let project = Project::new(&manifest);
    project.converge().await;
    project.write("main.yaml", &manifest.replace("epochs: 1", "epochs: 3"));
    let manifest = project.manifest();
    let graph = fireform_graph::build(&manifest).unwrap();
    let state = project.store().snapshot();
    let observed = refresh(&project.provider, &kinds_to_refresh(Some(&manifest), &state), false)
        .await
        .unwrap();
    let input = PlanInput {
        account: "acme",
        manifest: &manifest,
        graph: &graph,
        state: &state,
        observed: &observed,
    };
    let error = plan(input, &PlanOptions::default()).unwrap_err();
    assert!(error.to_string().contains("preventDestroy"), "{error}");
}

#[tokio::test]
async fn deployment_types_resolve_against_the_catalog() {
    let project = Project::new(
        "kind: Deployment\nname: fast\nspec:\n  deploymentType: auto\n  baseModel: accounts/fireworks/models/served\n---\n\
         kind: Deployment\nname: dedicated\nspec:\n  deploymentType: auto\n  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct\n  acceleratorType: NVIDIA_H100_80GB\n",
    );
    let plan = project.plan().await;
    let text = render(&plan);
    assert!(text.contains("deployment/fast: deploymentType auto resolved to serverless"), "{text}");
    assert!(
        text.contains("deployment/dedicated: deploymentType auto resolved to on-demand"),
        "{text}"
    );
    assert_eq!(
        actions(&plan),
        vec![
            ("deployment/dedicated".into(), Action::Create),
            ("deployment/fast".into(), Action::Read)
        ]
    );
    project.apply(&plan).await;
    assert_eq!(project.provider.count(ResourceKind::Deployment), 1);
    assert!(!project.plan().await.has_changes());
}

#[tokio::test]
async fn refresh_reads_each_kind_once() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    project.provider.lists.set(0);
    project.plan().await;
    assert_eq!(project.provider.lists.get(), 4);
}

/// A run that died between creating a dataset and uploading its content leaves it `UPLOADING`;
/// the rerun uploads the content again instead of deleting and creating it a second time.
#[tokio::test]
async fn dataset_left_uploading_gets_its_upload_resumed_not_recreated() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    let state = project.store().snapshot();
    let dataset = state.resource(&addr("dataset/support-chats")).unwrap().id.clone();
    project.provider.set_field(ResourceKind::Dataset, &dataset, "state", json!("UPLOADING"));
    let creates_before = project.provider.log().iter().filter(|l| l.starts_with("create")).count();

    let plan = project.plan().await;
    assert_eq!(actions(&plan), vec![("dataset/support-chats".into(), Action::Update)]);
    assert!(render(&plan).contains("the content is uploaded again"), "{}", render(&plan));
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    let log = project.provider.log();
    assert_eq!(log.iter().filter(|l| l.starts_with("create")).count(), creates_before);
    assert!(!log.iter().any(|l| l.starts_with("delete")), "{log:?}");
    assert_eq!(log.last().unwrap(), &format!("upload {dataset}"));
    assert!(!project.plan().await.has_changes());

    // Found in the account but not in state (the run died before recording it): adopted, and
    // its upload resumed too.
    project.provider.set_field(ResourceKind::Dataset, &dataset, "state", json!("UPLOADING"));
    project
        .store()
        .update(|state| {
            let name = state.remove(&addr("dataset/support-chats")).unwrap().remote_name;
            state.record_intent(&addr("dataset/support-chats"), &name);
        })
        .unwrap();
    let plan = project.plan().await;
    assert_eq!(actions(&plan), vec![("dataset/support-chats".into(), Action::Adopt)]);
    assert!(project.apply(&plan).await.is_success());
    assert_eq!(project.provider.log().last().unwrap(), &format!("upload {dataset}"));
    assert!(!project.plan().await.has_changes());
}

const OUTPUT_MODEL: &str = "accounts/acme/models/support-v1";

#[tokio::test]
async fn a_job_whose_output_model_exists_and_is_not_its_own_is_a_plan_error() {
    let project = Project::new(QUICKSTART);
    project.provider.models.borrow_mut().insert(OUTPUT_MODEL.to_owned());
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "supervised-fine-tuning-job/support-v1: output model `accounts/acme/models/support-v1` \
         already exists in the account and this job did not produce it; give the job another \
         `outputModel`, or delete the model"
    );
    // A plan that trains nothing looks nothing up.
    project.provider.models.borrow_mut().clear();
    project.converge().await;
    let plan = project.plan().await;
    assert_eq!(models_to_probe(&plan, &fireform_plan::Observed::default()).len(), 0);
}

#[tokio::test]
async fn a_job_gone_from_the_account_with_its_model_left_is_replaced_and_the_model_deleted_first() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    // Someone deletes the job, not the model it produced.
    let job = "accounts/acme/supervisedFineTuningJobs/support-v1";
    project.provider.delete(ResourceKind::SupervisedFineTuningJob, job).await.unwrap();
    assert!(project.provider.models.borrow().contains(OUTPUT_MODEL));
    let plan = project.plan().await;
    assert_eq!(
        actions(&plan),
        vec![
            ("lora-addon/support-v1".into(), Action::Replace),
            ("supervised-fine-tuning-job/support-v1".into(), Action::Replace),
        ]
    );
    let text = render(&plan);
    assert!(
        text.contains(
            "the job is gone from the account but its output model \
             `accounts/acme/models/support-v1` is left: the model is deleted and the job runs again"
        ),
        "{text}"
    );
    project.provider.log.borrow_mut().clear();
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    let log = project.provider.log();
    let position = |entry: &str| {
        log.iter().position(|line| line.starts_with(entry)).unwrap_or_else(|| panic!("{log:?}"))
    };
    assert!(position("delete lora-addon") < position("delete model support-v1"), "{log:?}");
    assert!(
        position("delete model support-v1") < position("create supervised-fine-tuning-job"),
        "{log:?}"
    );
    assert!(position("create supervised-fine-tuning-job") < position("create lora-addon"));
    assert!(!project.plan().await.has_changes());
}

const KEEP_OUTPUTS: &str = "  epochs: 1\nlifecycle:\n  keepOutputs: true\n";

#[tokio::test]
async fn keep_outputs_leaves_the_model_when_the_job_is_destroyed() {
    let project = Project::new(&QUICKSTART.replace("  epochs: 1\n", KEEP_OUTPUTS));
    project.converge().await;
    let state = project.store().snapshot();
    let job = state.resource(&addr("supervised-fine-tuning-job/support-v1")).unwrap();
    assert_eq!(job.values["keepOutputs"], json!(true));
    // Removed from the manifests (with its lifecycle): the recorded choice still holds.
    project.write("main.yaml", "kind: Dataset\nname: support-chats\nspec:\n  path: train.jsonl\n");
    let plan = project.plan().await;
    project.provider.log.borrow_mut().clear();
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    let log = project.provider.log();
    assert!(
        log.iter().any(|line| line == "delete supervised-fine-tuning-job support-v1"),
        "{log:?}"
    );
    assert!(!log.iter().any(|line| line.starts_with("delete model")), "{log:?}");
    assert!(project.provider.models.borrow().contains(OUTPUT_MODEL));
    assert!(
        project
            .store()
            .snapshot()
            .resource(&addr("supervised-fine-tuning-job/support-v1"))
            .is_none()
    );
}

#[tokio::test]
async fn without_keep_outputs_destroy_deletes_the_model_too() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    project.write("main.yaml", "kind: Dataset\nname: support-chats\nspec:\n  path: train.jsonl\n");
    let plan = project.plan().await;
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    assert!(project.provider.log().iter().any(|line| line == "delete model support-v1"));
    assert!(!project.provider.models.borrow().contains(OUTPUT_MODEL));
}

#[tokio::test]
async fn keep_outputs_refuses_a_replacement_that_would_write_the_same_model() {
    let manifest = QUICKSTART.replace("  epochs: 1\n", KEEP_OUTPUTS);
    let project = Project::new(&manifest);
    project.converge().await;
    project.write("main.yaml", &manifest.replace("epochs: 1", "epochs: 2"));
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err();
    assert!(
        error.to_string().contains(
            "`lifecycle.keepOutputs` keeps output model `accounts/acme/models/support-v1` of the \
             job being replaced"
        ),
        "{error}"
    );
    // With a new output model the old one is kept and the new job trains beside it.
    let renamed = manifest.replace("epochs: 1", "epochs: 2\n  outputModel: support-v2");
    project.write("main.yaml", &renamed);
    let plan = project.plan().await;
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    let models = project.provider.models.borrow().clone();
    assert!(
        models.contains(OUTPUT_MODEL) && models.contains("accounts/acme/models/support-v2"),
        "{models:?}"
    );
}

#[tokio::test]
async fn auto_resolved_to_on_demand_needs_hardware() {
    let project = Project::new(
        "kind: Deployment\nname: dedicated\nspec:\n  deploymentType: auto\n  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct\n",
    );
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "deployment/dedicated: deploymentType auto resolved to on-demand \
         (`accounts/fireworks/models/llama-v3p1-8b-instruct` is not served on serverless), and an \
         on-demand deployment needs `acceleratorType` (or a `deploymentShape`)"
    );
}

#[tokio::test]
async fn keep_outputs_added_to_a_completed_job_is_recorded_and_honoured_on_removal() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    project.write("main.yaml", &QUICKSTART.replace("  epochs: 1\n", KEEP_OUTPUTS));
    let plan = project.plan().await;
    assert_eq!(
        actions(&plan),
        vec![("supervised-fine-tuning-job/support-v1".into(), Action::Update)]
    );
    insta::assert_snapshot!(render(&plan), @r"
    ~ supervised-fine-tuning-job/support-v1
        lifecycle.keepOutputs: false -> true

    Plan: 0 to add, 1 to change, 0 to destroy.
    ");
    project.provider.log.borrow_mut().clear();
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    assert!(project.provider.log().is_empty(), "state alone changes: {:?}", project.provider.log());
    assert!(!project.plan().await.has_changes());
    // Removed from the manifests: the recorded choice keeps the model.
    project.write("main.yaml", "kind: Dataset\nname: support-chats\nspec:\n  path: train.jsonl\n");
    let plan = project.plan().await;
    assert!(project.apply(&plan).await.is_success());
    assert!(project.provider.models.borrow().contains(OUTPUT_MODEL));
}

#[tokio::test]
async fn an_output_model_in_another_account_is_refused() {
    let project = Project::new(&QUICKSTART.replace(
        "  epochs: 1\n",
        "  epochs: 1\n  outputModel: accounts/other/models/support-v1\n",
    ));
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("output model `accounts/other/models/support-v1` is not in account `acme`"),
        "{error}"
    );
}

#[tokio::test]
async fn an_old_object_left_by_a_stopped_create_first_replacement_is_deleted_by_the_next_run() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    let old_dataset = project
        .store()
        .snapshot()
        .resource(&addr("dataset/support-chats"))
        .unwrap()
        .remote_name
        .clone();
    // New content: a new dataset is created before the old one is deleted. One step at a time
    // (the new dataset comes first), and Ctrl-C as soon as it exists, so nothing else starts.
    project.write("train.jsonl", &format!("{TRAIN}{TRAIN}"));
    let plan = project.plan().await;
    let interrupt = Interrupt::new();
    let stop = |event: fireform_plan::Event| {
        if let fireform_plan::Event::Finished { addr, .. } = &event
            && addr.to_string() == "dataset/support-chats"
        {
            interrupt.raise();
        }
    };
    let options = ApplyOptions {
        parallelism: 1,
        poll_min: Duration::from_millis(1),
        project_dir: project.dir.path().to_path_buf(),
        ..ApplyOptions::default()
    };
    let report = {
        let store = project.store();
        apply(&project.provider, &plan, &store, &options, &interrupt, &stop).await
    };
    assert!(report.interrupted);
    let state = project.store().snapshot();
    let dataset = state.resource(&addr("dataset/support-chats")).unwrap();
    assert_ne!(dataset.remote_name, old_dataset);
    assert_eq!(dataset.values["deposed"], json!([old_dataset]));
    assert_eq!(project.provider.count(ResourceKind::Dataset), 2);
    assert_eq!(project.provider.log().last().unwrap(), &format!("upload {}", dataset.id));

    // The next plan deletes the old dataset once the job that used it has moved to the new one.
    let plan = project.plan().await;
    let text = render(&plan);
    assert!(text.contains("- dataset/support-chats (deposed)"), "{text}");
    assert!(text.contains("to destroy."), "{text}");
    project.provider.log.borrow_mut().clear();
    let report = project.apply(&plan).await;
    assert!(report.is_success(), "{:?}", report.errors);
    let log = project.provider.log();
    let old_id = old_dataset.rsplit('/').next().unwrap();
    let position = |entry: &str| {
        log.iter().position(|line| line == entry).unwrap_or_else(|| panic!("{entry}: {log:?}"))
    };
    // The old job, which used the old dataset, goes and is trained again on the new one first.
    assert!(
        position("delete supervised-fine-tuning-job support-v1")
            < position("create supervised-fine-tuning-job support-v1"),
        "{log:?}"
    );
    assert!(
        position("create supervised-fine-tuning-job support-v1")
            < position(&format!("delete dataset {old_id}")),
        "{log:?}"
    );
    assert_eq!(project.provider.count(ResourceKind::Dataset), 1);
    let state = project.store().snapshot();
    assert!(
        !state.resource(&addr("dataset/support-chats")).unwrap().values.contains_key("deposed")
    );
    assert!(!project.plan().await.has_changes());
}

#[tokio::test]
async fn two_jobs_writing_the_same_output_model_are_refused() {
    let second = "---\nkind: SupervisedFineTuningJob\nname: support-v2\nspec:\n  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct\n  dataset: ${dataset/support-chats}\n  outputModel: support-v1\n";
    let project = Project::new(&format!("{QUICKSTART}{second}"));
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "supervised-fine-tuning-job/support-v2: `supervised-fine-tuning-job/support-v1` writes \
         `accounts/acme/models/support-v1` too; give each job its own output"
    );
}

#[tokio::test]
async fn what_the_account_does_not_say_never_replaces() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    // An enum value this version does not know, and an immutable field the reply lacks.
    project.provider.set_field(
        ResourceKind::Deployment,
        "shared-base",
        "acceleratorType",
        json!("NVIDIA_FROM_THE_FUTURE"),
    );
    project.provider.set_field(
        ResourceKind::Deployment,
        "shared-base",
        "baseModel",
        serde_json::Value::Null,
    );
    let plan = project.plan().await;
    assert!(!plan.has_changes(), "{}", render(&plan));
    let change = plan.change(&addr("deployment/shared-base")).unwrap();
    assert_eq!(change.cannot_tell.len(), 2, "{:?}", change.cannot_tell);
    let text = render(&plan);
    assert!(
        text.contains("`acceleratorType`: the account reported `NVIDIA_FROM_THE_FUTURE`"),
        "{text}"
    );
    assert!(text.contains("No changes."), "{text}");
}

#[tokio::test]
async fn an_object_created_by_someone_else_between_plan_and_apply_is_not_taken() {
    let project = Project::new(QUICKSTART);
    let plan = project.plan().await;
    // Someone else creates the deployment after the plan was made.
    let mut body = serde_json::Map::new();
    body.insert("baseModel".into(), json!("accounts/fireworks/models/llama-v3p1-8b-instruct"));
    project.provider.create(ResourceKind::Deployment, Some("shared-base"), body).await.unwrap();

    let report = project.apply(&plan).await;
    let (addr_failed, error) = &report.errors[0];
    assert_eq!(addr_failed, &addr("deployment/shared-base"));
    assert!(error.to_string().contains("fireform did not create it"), "{error}");
    // Nothing is recorded for it, not even the intent, so the next plan does not take it.
    let state = project.store().snapshot();
    assert!(state.resource(&addr("deployment/shared-base")).is_none());
    assert!(state.intent(&addr("deployment/shared-base")).is_none());
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err().to_string();
    assert!(error.contains("run `fireform import deployment/shared-base shared-base`"), "{error}");
}

#[tokio::test]
async fn one_object_claimed_by_two_addresses_is_refused() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    project
        .store()
        .update(|state| {
            let copy = state.resource(&addr("deployment/shared-base")).unwrap().clone();
            state.upsert(copy.readdressed(addr("deployment/other")));
        })
        .unwrap();
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err().to_string();
    assert!(
        error.contains("is claimed by this address and by `deployment/shared-base`"),
        "{error}"
    );
    assert!(error.starts_with("deployment/other:"), "{error}");
}

#[tokio::test]
async fn a_create_interrupted_before_its_record_is_cleaned_up_once_nothing_declares_it() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    // A run created `deployment/orphan` and died before recording it; another never got its
    // create out. The manifests declare neither any more.
    let mut body = serde_json::Map::new();
    body.insert("baseModel".into(), json!("accounts/fireworks/models/llama-v3p1-8b-instruct"));
    project.provider.create(ResourceKind::Deployment, Some("orphan"), body).await.unwrap();
    project
        .store()
        .update(|state| {
            state.record_intent(&addr("deployment/orphan"), "accounts/acme/deployments/orphan");
            state.record_intent(&addr("deployment/never"), "accounts/acme/deployments/never");
        })
        .unwrap();
    let plan = project.plan().await;
    assert_eq!(
        actions(&plan),
        vec![
            ("deployment/never".into(), Action::Forget),
            ("deployment/orphan".into(), Action::Delete)
        ]
    );
    assert!(project.apply(&plan).await.is_success());
    assert_eq!(project.provider.count(ResourceKind::Deployment), 1, "only shared-base is left");
    assert!(project.store().snapshot().intents().is_empty());
    assert!(!project.plan().await.has_changes());
}

#[tokio::test]
async fn a_kept_output_survives_its_job_going_outside_fireform_and_is_taken_back() {
    let project = Project::new(&QUICKSTART.replace("  epochs: 1\n", KEEP_OUTPUTS));
    project.converge().await;
    // The job goes behind fireform's back (or a run stopped right after deleting it).
    project
        .provider
        .delete(
            ResourceKind::SupervisedFineTuningJob,
            "accounts/acme/supervisedFineTuningJobs/support-v1",
        )
        .await
        .unwrap();
    let destroy = plan_destroy_of(&project).await;
    assert!(project.apply(&destroy).await.is_success());
    assert!(project.provider.models.borrow().contains(OUTPUT_MODEL), "kept");
    let state = project.store().snapshot();
    assert_eq!(
        state.kept_output(OUTPUT_MODEL),
        Some(addr("supervised-fine-tuning-job/support-v1"))
    );
    // Applied again: the kept model is the job's own, read rather than trained over.
    project.provider.log.borrow_mut().clear();
    let plan = project.plan().await;
    let change = plan.change(&addr("supervised-fine-tuning-job/support-v1")).unwrap();
    assert_eq!(change.action, Action::Read, "{}", render(&plan));
    assert!(project.apply(&plan).await.is_success());
    let log = project.provider.log();
    assert!(
        !log.iter()
            .any(|line| line.contains("supervised-fine-tuning-job") && line.starts_with("create")),
        "{log:?}"
    );
    assert!(!project.plan().await.has_changes(), "{}", render(&project.plan().await));
    assert_eq!(project.store().snapshot().kept_output(OUTPUT_MODEL), None);
}

async fn plan_destroy_of(project: &Project) -> Plan {
    let manifest = project.manifest();
    let state = project.store().snapshot();
    let observed = refresh(&project.provider, &kinds_to_refresh(Some(&manifest), &state), false)
        .await
        .unwrap();
    plan_destroy("acme", Some(&manifest), &state, &observed, &[], &[]).unwrap()
}

#[tokio::test]
async fn an_edited_immutable_field_is_replaced_even_when_the_account_does_not_say() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    project.provider.set_field(
        ResourceKind::Deployment,
        "shared-base",
        "acceleratorType",
        json!("NVIDIA_FROM_THE_FUTURE"),
    );
    project.write(
        "main.yaml",
        &QUICKSTART
            .replace("acceleratorType: NVIDIA_H100_80GB", "acceleratorType: NVIDIA_A100_80GB"),
    );
    let plan = project.plan().await;
    let change = plan.change(&addr("deployment/shared-base")).unwrap();
    assert_eq!(change.action, Action::Replace, "{}", render(&plan));
    assert!(change.cannot_tell.is_empty());
    assert!(!change.drift, "the manifests asked for it");
}

#[tokio::test]
async fn an_object_older_than_the_intent_is_not_taken_for_its_create() {
    let project = Project::new(QUICKSTART);
    let mut body = serde_json::Map::new();
    body.insert("baseModel".into(), json!("accounts/fireworks/models/llama-v3p1-8b-instruct"));
    body.insert("createTime".into(), json!("2020-01-01T00:00:00Z"));
    project.provider.create(ResourceKind::Deployment, Some("shared-base"), body).await.unwrap();
    project.provider.set_field(
        ResourceKind::Deployment,
        "shared-base",
        "createTime",
        json!("2020-01-01T00:00:00Z"),
    );
    project
        .store()
        .update(|state| {
            state.record_intent(
                &addr("deployment/shared-base"),
                "accounts/acme/deployments/shared-base",
            );
        })
        .unwrap();
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err().to_string();
    assert!(error.contains("fireform import deployment/shared-base shared-base"), "{error}");
}

#[tokio::test]
async fn moves_follow_chains_and_refuse_two_records_for_one_address() {
    let project = Project::new(QUICKSTART);
    project.converge().await;
    let renamed =
        QUICKSTART.replace("name: support-v1\nspec:\n  model:", "name: support\nspec:\n  model:");
    assert_ne!(renamed, QUICKSTART);
    project.write(
        "main.yaml",
        &format!(
            "{renamed}---\nmoved:\n  from: lora-addon/support-v1\n  to: lora-addon/middle\n---\n\
             moved:\n  from: lora-addon/middle\n  to: lora-addon/support\n"
        ),
    );
    let plan = project.plan().await;
    let change = plan.change(&addr("lora-addon/support")).unwrap();
    assert_eq!(change.moved_from, Some(addr("lora-addon/support-v1")));
    assert_eq!(change.action, Action::NoOp);
    assert!(render(&plan).contains("lora-addon/support (moved from lora-addon/support-v1)"));
    // Destroy excluding the new address keeps the load recorded under the old one.
    let manifest = project.manifest();
    let state = project.store().snapshot();
    let observed = refresh(&project.provider, &kinds_to_refresh(Some(&manifest), &state), false)
        .await
        .unwrap();
    let destroy = plan_destroy(
        "acme",
        Some(&manifest),
        &state,
        &observed,
        &[],
        &[addr("lora-addon/support")],
    )
    .unwrap();
    assert!(destroy.changes.iter().all(|c| c.addr.to_string() != "lora-addon/support-v1"));
    assert!(destroy.changes.iter().all(|c| c.addr.kind != ResourceKind::Deployment));
    // Both old addresses recorded and both moved to one: refused.
    project
        .store()
        .update(|state| {
            let copy = state.resource(&addr("lora-addon/support-v1")).unwrap().clone();
            state.upsert(copy.readdressed(addr("lora-addon/middle")));
        })
        .unwrap();
    let error = project.try_plan_with(&PlanOptions::default()).await.unwrap_err().to_string();
    assert!(error.contains("`moved` documents move both"), "{error}");
}

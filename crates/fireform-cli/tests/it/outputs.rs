//! What fine-tuning jobs produce, end to end against the emulator: an output model that exists
//! and is not the job's own is refused at plan time, one left behind by a job deleted outside
//! fireform is deleted and the job run again, and `lifecycle.keepOutputs` keeps the model when
//! the job is destroyed.

use crate::engine_support::{LOCAL_ACCOUNT, TestContext};

const OUTPUT_MODEL: &str = "support-v1";

fn model_name() -> String {
    format!("accounts/{LOCAL_ACCOUNT}/models/{OUTPUT_MODEL}")
}

#[test]
fn an_output_model_that_is_not_the_jobs_own_is_refused_at_plan_time() {
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    context.apply_converges();

    // A second job that would write the first job's model.
    let manifest = std::fs::read_to_string(context.dir().join("quickstart.yaml")).unwrap();
    let second = manifest
        .split("\n---\n")
        .find(|document| document.contains("kind: SupervisedFineTuningJob"))
        .unwrap()
        .replace("name: support-v1", "name: support-v2")
        .replace("  epochs: 3\n", "  epochs: 3\n  outputModel: support-v1\n");
    context.write("second.yaml", &second);
    let before = context.audit().len();
    let plan = context.plan();
    plan.expect(1);
    assert!(
        plan.stderr.contains(&format!(
            "supervised-fine-tuning-job/support-v2: output model `{}` is already the output of \
             `supervised-fine-tuning-job/support-v1`; give this job another `outputModel`",
            model_name()
        )),
        "{}",
        plan.render()
    );
    let apply = context.apply();
    apply.expect(1);
    assert_eq!(context.audit().len(), before, "a refused plan changes nothing");

    // With the state lost, the first job is not known to be this project's own: it is not
    // taken silently, and nothing changes.
    std::fs::remove_dir_all(context.dir().join(".fireform")).unwrap();
    let plan = context.plan();
    plan.expect(1);
    assert!(
        plan.stderr.contains(
            "supervised-fine-tuning-job/support-v1: `accounts/fireform-local/supervisedFineTuningJobs/support-v1` already exists in the account, and fireform did not create it"
        ),
        "{}",
        plan.render()
    );
    assert!(
        plan.stderr.contains("fireform import supervised-fine-tuning-job/support-v1 support-v1"),
        "{}",
        plan.render()
    );
    let apply = context.apply();
    apply.expect(1);
    assert_eq!(context.audit().len(), before, "a refused plan changes nothing");
}

#[test]
fn a_job_deleted_outside_fireform_is_run_again_after_its_leftover_model_is_deleted() {
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    context.apply_converges();

    // Someone deletes the job through the API; the model it produced stays.
    let (status, body) = context.call("DELETE", "/supervisedFineTuningJobs/support-v1", None);
    assert_eq!(status, 200, "{body}");
    assert!(context.names("models").contains(&model_name()));

    let plan = context.plan();
    plan.expect(2);
    assert!(
        plan.stdout.contains("-/+ supervised-fine-tuning-job/support-v1 (replace)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(&format!(
            "the job is gone from the account but its output model `{}` is left",
            model_name()
        )),
        "{}",
        plan.stdout
    );
    // The addon serving the model is unloaded before the model goes, and loaded again after.
    assert!(plan.stdout.contains("-/+ lora-addon/support-v1 (replace)"), "{}", plan.stdout);

    let before = context.audit().len();
    context.apply_converges();
    let changes: Vec<(String, String)> = context.audit()[before..]
        .iter()
        .filter(|entry| entry.status == 200)
        .map(|entry| (entry.method.clone(), entry.path.clone()))
        .collect();
    let position = |method: &str, fragment: &str| {
        changes
            .iter()
            .position(|(m, path)| m == method && path.contains(fragment))
            .unwrap_or_else(|| panic!("no {method} of {fragment}: {changes:?}"))
    };
    assert!(position("DELETE", "/deployedModels/") < position("DELETE", "/models/support-v1"));
    assert!(
        position("DELETE", "/models/support-v1") < position("POST", "/supervisedFineTuningJobs")
    );
    assert!(position("POST", "/supervisedFineTuningJobs") < position("POST", "/deployedModels"));
    let job = context.get("/supervisedFineTuningJobs/support-v1");
    assert_eq!(job["state"], "JOB_STATE_COMPLETED");
    assert_eq!(context.list("deployedModels").len(), 1);
}

#[test]
fn keep_outputs_leaves_the_model_when_the_job_is_destroyed() {
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    let path = context.dir().join("quickstart.yaml");
    let manifest = std::fs::read_to_string(&path).unwrap();
    let kept =
        manifest.replace("lifecycle:\n  timeouts:", "lifecycle:\n  keepOutputs: true\n  timeouts:");
    assert_ne!(kept, manifest);
    std::fs::write(&path, kept).unwrap();
    context.apply_converges();

    let destroy = context.fireform(&["destroy", "--auto-approve"]);
    destroy.expect(0);
    assert_eq!(context.names("supervisedFineTuningJobs"), Vec::<String>::new());
    assert_eq!(context.names("deployedModels"), Vec::<String>::new());
    assert_eq!(context.names("models"), vec![model_name()], "the output model is kept");
    assert_eq!(context.state_addrs(), Vec::<String>::new());

    // Without it, destroy takes the model too.
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    context.apply_converges();
    context.fireform(&["destroy", "--auto-approve"]).expect(0);
    assert_eq!(context.names("models"), Vec::<String>::new());
}

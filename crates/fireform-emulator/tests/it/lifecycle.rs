//! State machines and rules over a real socket: deployments, deployed models, jobs and their
//! output models, quotas, immutable fields and fail rules.

use fireform_emulator::{EmulatorConfig, FailRule, Timings};
use reqwest::Method;
use serde_json::json;

use crate::support::*;

const BASE: &str = "accounts/fireworks/models/llama-v3p1-8b-instruct";

#[tokio::test]
async fn deployment_lifecycle_with_soft_and_hard_delete() {
    let emulator = emulator(instant()).await;
    let (status, created) = post(
        &emulator,
        "/deployments?deploymentId=base",
        json!({"baseModel": BASE, "enableAddons": true}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["state"], "CREATING");
    assert_eq!(created["name"], "accounts/fireform-local/deployments/base");
    wait_for(&emulator, "/deployments/base", "state", "READY").await;

    let (status, headers, body) = call(
        &emulator,
        Method::POST,
        "/deployments?deploymentId=base",
        Some(json!({"baseModel": BASE})),
    )
    .await;
    assert_eq!((status, body["code"].clone()), (409, json!(6)));
    assert_eq!(headers["x-should-retry"], "false");

    let (status, _, patched) = call(
        &emulator,
        Method::PATCH,
        "/deployments/base?updateMask=max_replica_count",
        Some(json!({"baseModel": BASE, "maxReplicaCount": 3, "description": "ignored"})),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        (patched["state"].clone(), patched["maxReplicaCount"].clone()),
        (json!("UPDATING"), json!(3))
    );
    assert!(patched.get("description").is_none());
    wait_for(&emulator, "/deployments/base", "state", "READY").await;

    let (status, _, body) = call(
        &emulator,
        Method::PATCH,
        "/deployments/base",
        Some(json!({"baseModel": "accounts/fireworks/models/qwen3-8b"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("`baseModel` is immutable"));

    let (status, _, _) =
        call(&emulator, Method::PATCH, "/deployments/base:scale", Some(json!({"replicaCount": 2})))
            .await;
    assert_eq!(status, 200);
    let ready = wait_for(&emulator, "/deployments/base", "state", "READY").await;
    assert_eq!(ready["replicaCount"], 2);

    let (status, _, _) = call(&emulator, Method::DELETE, "/deployments/base", None).await;
    assert_eq!(status, 200);
    wait_for(&emulator, "/deployments/base", "state", "DELETED").await;
    let (_, listed) = get(&emulator, "/deployments").await;
    assert_eq!(listed["deployments"], json!([]));
    let (_, listed) = get(&emulator, "/deployments?showDeleted=true").await;
    assert_eq!(listed["deployments"][0]["state"], "DELETED");
    let (status, _) =
        post(&emulator, "/deployments?deploymentId=base", json!({"baseModel": BASE})).await;
    assert_eq!(status, 409, "a soft-deleted id stays taken");
    let (status, restored) = post(&emulator, "/deployments/base:undelete", json!({})).await;
    assert_eq!(status, 200, "{restored}");
    wait_for(&emulator, "/deployments/base", "state", "READY").await;

    let (status, _, _) = call(&emulator, Method::DELETE, "/deployments/base?hard=true", None).await;
    assert_eq!(status, 200);
    wait_for(&emulator, "/deployments/base", "state", "<gone>").await;
}

#[tokio::test]
async fn gpu_quota_refuses_deployments_beyond_it() {
    let emulator = emulator(EmulatorConfig { gpu_quota: 4, ..instant() }).await;
    let body = json!({"baseModel": BASE, "acceleratorType": "NVIDIA_H100_80GB", "acceleratorCount": 2, "maxReplicaCount": 2});
    assert_eq!(post(&emulator, "/deployments?deploymentId=a", body.clone()).await.0, 200);
    let (status, headers, error) =
        call(&emulator, Method::POST, "/deployments?deploymentId=b", Some(body)).await;
    assert_eq!((status, error["code"].clone()), (429, json!(8)), "{error}");
    assert_eq!(headers["x-should-retry"], "false");
    let other_type =
        json!({"baseModel": BASE, "acceleratorType": "NVIDIA_A100_80GB", "acceleratorCount": 4});
    assert_eq!(post(&emulator, "/deployments?deploymentId=c", other_type).await.0, 200);
}

#[tokio::test]
async fn sft_job_completes_and_its_addon_loads_on_a_matching_deployment() {
    let emulator = emulator(instant()).await;
    let (status, error) = post(
        &emulator,
        "/supervisedFineTuningJobs?supervisedFineTuningJobId=early",
        json!({"dataset": "accounts/fireform-local/datasets/chats", "baseModel": BASE}),
    )
    .await;
    assert_eq!(status, 400, "a job needs an existing READY dataset: {error}");
    ready_dataset(&emulator, "chats", "{\"messages\": []}\n{\"messages\": []}\n").await;

    let (status, job) = post(&emulator, "/supervisedFineTuningJobs?supervisedFineTuningJobId=tune", json!({"dataset": "accounts/fireform-local/datasets/chats", "baseModel": BASE, "outputModel": "support-lora", "loraRank": 16})).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["state"], "JOB_STATE_PENDING");
    wait_for(&emulator, "/supervisedFineTuningJobs/tune", "state", "JOB_STATE_COMPLETED").await;
    let (status, model) = get(&emulator, "/models/support-lora").await;
    assert_eq!(status, 200);
    assert_eq!(model["kind"], "HF_PEFT_ADDON");
    assert_eq!(model["peftDetails"]["baseModel"], BASE);
    assert_eq!(model["fineTuningJob"], "accounts/fireform-local/supervisedFineTuningJobs/tune");

    let (status, _) = post(&emulator, "/supervisedFineTuningJobs?supervisedFineTuningJobId=again", json!({"dataset": "accounts/fireform-local/datasets/chats", "baseModel": BASE, "outputModel": "support-lora"})).await;
    assert_eq!(status, 409, "an existing output model is refused");

    post(&emulator, "/deployments?deploymentId=no-addons", json!({"baseModel": BASE})).await;
    post(
        &emulator,
        "/deployments?deploymentId=other-base",
        json!({"baseModel": "accounts/fireworks/models/qwen3-8b", "enableAddons": true}),
    )
    .await;
    post(
        &emulator,
        "/deployments?deploymentId=shared",
        json!({"baseModel": BASE, "enableAddons": true}),
    )
    .await;
    let model_name = "accounts/fireform-local/models/support-lora";
    for deployment in ["no-addons", "other-base"] {
        let (status, error) = post(&emulator, "/deployedModels", json!({"model": model_name, "deployment": format!("accounts/fireform-local/deployments/{deployment}")})).await;
        assert_eq!((status, error["code"].clone()), (400, json!(9)), "{deployment}: {error}");
    }
    let (status, loaded) = post(
        &emulator,
        "/deployedModels",
        json!({"model": model_name, "deployment": "accounts/fireform-local/deployments/shared"}),
    )
    .await;
    assert_eq!(status, 200, "{loaded}");
    assert_eq!(loaded["state"], "DEPLOYING");
    let id = loaded["name"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    wait_for(&emulator, &format!("/deployedModels/{id}"), "state", "DEPLOYED").await;
    let (_, listed) =
        get(&emulator, &format!("/deployedModels?filter=model=%22{model_name}%22")).await;
    assert_eq!(listed["deployedModels"].as_array().unwrap().len(), 1);
    let (_, model) = get(&emulator, "/models/support-lora").await;
    assert_eq!(model["deployedModelRefs"][0]["state"], "DEPLOYED");
    let (status, _, _) =
        call(&emulator, Method::DELETE, &format!("/deployedModels/{id}"), None).await;
    assert_eq!(status, 200);
    wait_for(&emulator, &format!("/deployedModels/{id}"), "state", "<gone>").await;
}

#[tokio::test]
async fn fail_rules_fail_matching_resources() {
    let rule: FailRule = "deployments:broken-*=out of capacity".parse().unwrap();
    let emulator = emulator(EmulatorConfig { fail_rules: vec![rule], ..instant() }).await;
    post(&emulator, "/deployments?deploymentId=broken-1", json!({"baseModel": BASE})).await;
    let failed = wait_for(&emulator, "/deployments/broken-1", "state", "FAILED").await;
    assert_eq!(failed["status"]["message"], "out of capacity");
    post(&emulator, "/deployments?deploymentId=fine", json!({"baseModel": BASE})).await;
    wait_for(&emulator, "/deployments/fine", "state", "READY").await;

    emulator.add_fail_rule("supervisedFineTuningJobs:*".parse().unwrap());
    ready_dataset(&emulator, "rows", "{}\n").await;
    post(
        &emulator,
        "/supervisedFineTuningJobs?supervisedFineTuningJobId=doomed",
        json!({"dataset": "accounts/fireform-local/datasets/rows", "baseModel": BASE}),
    )
    .await;
    wait_for(&emulator, "/supervisedFineTuningJobs/doomed", "state", "JOB_STATE_FAILED").await;
    let (status, _) = get(&emulator, "/models/doomed").await;
    assert_eq!(status, 404, "a failed job leaves no model");
    let (status, resumed) =
        post(&emulator, "/supervisedFineTuningJobs/doomed:resume", json!({})).await;
    assert_eq!((status, resumed["state"].clone()), (200, json!("JOB_STATE_PENDING")));
}

#[tokio::test]
async fn a_fail_rule_added_at_run_time_fails_a_serving_deployment_at_its_next_change() {
    let emulator = emulator(instant()).await;
    for id in ["patched", "scaled", "untouched"] {
        let body = json!({"baseModel": BASE, "maxReplicaCount": 2});
        post(&emulator, &format!("/deployments?deploymentId={id}"), body).await;
        wait_for(&emulator, &format!("/deployments/{id}"), "state", "READY").await;
    }
    emulator.add_fail_rule("deployments:*ed=node lost".parse().unwrap());

    let (status, _, patched) = call(
        &emulator,
        Method::PATCH,
        "/deployments/patched?updateMask=maxReplicaCount",
        Some(json!({"maxReplicaCount": 1})),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    let failed = wait_for(&emulator, "/deployments/patched", "state", "FAILED").await;
    assert_eq!(failed["status"]["message"], "node lost");

    let (status, _) =
        post(&emulator, "/deployments/scaled:scale", json!({"replicaCount": 1})).await;
    assert_eq!(status, 200);
    let failed = wait_for(&emulator, "/deployments/scaled", "state", "FAILED").await;
    assert_eq!(failed["status"]["message"], "node lost");

    // A rule alone changes nothing: only a change makes the deployment fail.
    let (_, untouched) = get(&emulator, "/deployments/untouched").await;
    assert_eq!(untouched["state"], "READY", "{untouched}");
}

#[tokio::test]
async fn jobs_progress_through_states_and_cancel() {
    let timings = Timings { job: std::time::Duration::from_secs(600), ..Timings::instant() };
    let emulator = emulator(EmulatorConfig { timings, ..EmulatorConfig::default() }).await;
    ready_dataset(&emulator, "prompts", "{\"q\": 1}\n").await;
    let (status, job) = post(
        &emulator,
        "/batchInferenceJobs?batchInferenceJobId=slow",
        json!({"model": BASE, "inputDatasetId": "accounts/fireform-local/datasets/prompts"}),
    )
    .await;
    assert_eq!((status, job["state"].clone()), (200, json!("JOB_STATE_PENDING")), "{job}");
    let (status, _) = post(&emulator, "/batchInferenceJobs/slow:cancel", json!({})).await;
    assert_eq!(status, 200);
    let (_, job) = get(&emulator, "/batchInferenceJobs/slow").await;
    assert_eq!(job["state"], "JOB_STATE_CANCELLED");
    let (status, _) = post(&emulator, "/batchInferenceJobs/slow:cancel", json!({})).await;
    assert_eq!(status, 400);
    let (status, _, _) = call(&emulator, Method::DELETE, "/batchInferenceJobs/slow", None).await;
    assert_eq!(status, 200);
    assert_eq!(get(&emulator, "/batchInferenceJobs/slow").await.0, 404);
}

#[tokio::test]
async fn batch_job_writes_its_output_dataset_and_rft_needs_an_evaluator() {
    let emulator = emulator(instant()).await;
    ready_dataset(&emulator, "prompts", "{\"q\": 1}\n{\"q\": 2}\n").await;
    post(&emulator, "/batchInferenceJobs?batchInferenceJobId=nightly", json!({"model": BASE, "inputDatasetId": "accounts/fireform-local/datasets/prompts", "outputDatasetId": "accounts/fireform-local/datasets/answers"})).await;
    wait_for(&emulator, "/batchInferenceJobs/nightly", "state", "JOB_STATE_COMPLETED").await;
    let (status, output) = get(&emulator, "/datasets/answers").await;
    assert_eq!(
        (status, output["state"].clone(), output["exampleCount"].clone()),
        (200, json!("READY"), json!("2"))
    );

    let rft = json!({"dataset": "accounts/fireform-local/datasets/prompts", "evaluator": "accounts/fireform-local/evaluators/exact", "trainingConfig": {"baseModel": BASE, "outputModel": "math"}});
    assert_eq!(
        post(
            &emulator,
            "/reinforcementFineTuningJobs?reinforcementFineTuningJobId=rl",
            rft.clone()
        )
        .await
        .0,
        400
    );
    let (status, evaluator) = post(
        &emulator,
        "/evaluatorsV2",
        json!({"evaluatorId": "exact", "evaluator": {"displayName": "exact"}}),
    )
    .await;
    assert_eq!((status, evaluator["state"].clone()), (200, json!("ACTIVE")));
    assert_eq!(
        post(&emulator, "/evaluators", json!({"evaluatorId": "exact", "evaluator": {}})).await.0,
        409
    );
    assert_eq!(
        post(&emulator, "/reinforcementFineTuningJobs?reinforcementFineTuningJobId=rl", rft)
            .await
            .0,
        200
    );
    wait_for(&emulator, "/reinforcementFineTuningJobs/rl", "state", "JOB_STATE_COMPLETED").await;
    let (_, model) = get(&emulator, "/models/math").await;
    assert_eq!(model["peftDetails"]["baseModel"], BASE);
    let (_, evaluators) = get(&emulator, "/evaluators").await;
    assert_eq!(evaluators["evaluators"].as_array().unwrap().len(), 1);
    assert_eq!(call(&emulator, Method::DELETE, "/evaluators/exact", None).await.0, 200);
}

/// Multi-step schedules advance step by step in a world much bigger than what is due: the next
/// step of a resource is indexed when the previous one is applied, and a rescheduled resource
/// follows its new schedule only.
#[tokio::test]
async fn multi_step_transitions_advance_in_a_big_world() {
    use std::time::Duration;
    let timings = Timings {
        deployment: Duration::from_millis(100),
        deployment_update: Duration::from_millis(100),
        deletion: Duration::from_millis(100),
        soft_delete_retention: Duration::from_millis(200),
        job: Duration::from_millis(300),
        ..Timings::instant()
    };
    let emulator = emulator(EmulatorConfig { timings, ..EmulatorConfig::default() }).await;
    for index in 0..300 {
        let (status, _) = post(
            &emulator,
            "/datasets",
            json!({"datasetId": format!("filler-{index}"), "dataset": {}}),
        )
        .await;
        assert_eq!(status, 200);
    }
    ready_dataset(&emulator, "chats", "{\"messages\": []}\n").await;
    let (status, _) = post(
        &emulator,
        "/supervisedFineTuningJobs?supervisedFineTuningJobId=tune",
        json!({"dataset": "accounts/fireform-local/datasets/chats", "baseModel": BASE}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) =
        post(&emulator, "/deployments?deploymentId=soft", json!({"baseModel": BASE})).await;
    assert_eq!(status, 200);
    wait_for(&emulator, "/supervisedFineTuningJobs/tune", "state", "JOB_STATE_RUNNING").await;
    wait_for(&emulator, "/supervisedFineTuningJobs/tune", "state", "JOB_STATE_COMPLETED").await;

    wait_for(&emulator, "/deployments/soft", "state", "READY").await;
    let (status, _, _) = call(&emulator, Method::DELETE, "/deployments/soft", None).await;
    assert_eq!(status, 200);
    wait_for(&emulator, "/deployments/soft", "state", "DELETED").await;
    wait_for(&emulator, "/deployments/soft", "state", "<gone>").await;

    // Undeleting replaces the purge with a return to READY, which then stays.
    let (status, _) =
        post(&emulator, "/deployments?deploymentId=back", json!({"baseModel": BASE})).await;
    assert_eq!(status, 200);
    wait_for(&emulator, "/deployments/back", "state", "READY").await;
    call(&emulator, Method::DELETE, "/deployments/back", None).await;
    wait_for(&emulator, "/deployments/back", "state", "DELETED").await;
    let (status, _) = post(&emulator, "/deployments/back:undelete", json!({})).await;
    assert_eq!(status, 200);
    wait_for(&emulator, "/deployments/back", "state", "READY").await;
    let deadline = std::time::Instant::now() + Duration::from_millis(400);
    while std::time::Instant::now() < deadline {
        assert_eq!(get(&emulator, "/deployments/back").await.1["state"], "READY");
        tokio::task::yield_now().await;
    }
}

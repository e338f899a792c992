//! Golden fixtures: realistic bodies with the documented JSON names, parsed into the wire types
//! and written back. A renamed field lands in `extra` (and fails `unknown_fields`), a lost field
//! changes the written JSON; either fails here.
//!
//! These tests pin names and encodings only; server behaviour is tested in the emulator.

#![allow(clippy::unwrap_used, reason = "test helpers should fail loudly, like the tests")]

use std::fmt::Debug;
use std::path::Path;
use std::time::Duration;

use fireform_api::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Parses a fixture as `T`, checks it writes back to the same JSON, and returns it with the paths
/// of fields `T` did not know.
fn round_trip<T>(fixture: &str) -> (T, Vec<String>)
where
    T: DeserializeOwned + Serialize + UnknownFields + Debug,
{
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture);
    let text = std::fs::read_to_string(&path).unwrap();
    let original: serde_json::Value = serde_json::from_str(&text).unwrap();
    let typed: T = serde_json::from_str(&text).unwrap();
    let written = serde_json::to_value(&typed).unwrap();
    assert_eq!(written, original, "{fixture} did not round-trip");
    let unknown = typed.unknown_fields();
    (typed, unknown)
}

/// Like [`round_trip`], and every field must be known.
fn known<T>(fixture: &str) -> T
where
    T: DeserializeOwned + Serialize + UnknownFields + Debug,
{
    let (typed, unknown) = round_trip::<T>(fixture);
    assert_eq!(unknown, Vec::<String>::new(), "{fixture} has fields the types do not know");
    typed
}

#[test]
fn deployment() {
    let deployment: Deployment = known("deployment.json");
    assert_eq!(deployment.state, Some(DeploymentState::Ready));
    assert_eq!(deployment.accelerator_type, Some(AcceleratorType::NvidiaH100_80Gb));
    let policy = deployment.autoscaling_policy.unwrap();
    assert_eq!(policy.scale_down_window, Some(ProtoDuration(Duration::from_secs(600))));
    assert_eq!(policy.load_targets.unwrap()["tokens_generated_per_second"], 150.5);
    assert_eq!(deployment.placement.unwrap().multi_region, Some(MultiRegion::Us));
    assert_eq!(deployment.replica_stats.unwrap().ready_replica_count, Some(1));
    assert_eq!(deployment.status.unwrap().code, Some(Code::Ok));
}

#[test]
fn unknown_fields_and_enum_values_survive() {
    let (deployment, unknown) = round_trip::<Deployment>("deployment_unknown_fields.json");
    assert_eq!(unknown, ["hibernationPolicy", "forTraining"]);
    assert_eq!(deployment.state, Some(DeploymentState::Unknown("HIBERNATING".to_owned())));
    assert_eq!(
        deployment.accelerator_type,
        Some(AcceleratorType::Unknown("NVIDIA_X999_1TB".to_owned()))
    );
    let mut cleared = deployment.clone();
    cleared.clear_unknown();
    assert!(cleared.unknown_fields().is_empty());
    assert_eq!(cleared.base_model, deployment.base_model);
}

#[test]
fn snake_case_input_is_accepted() {
    let deployment: Deployment = serde_json::from_str(
        r#"{"base_model": "m", "min_replica_count": 1,
            "autoscaling_policy": {"scale_up_window": "1s"}}"#,
    )
    .unwrap();
    assert_eq!(deployment.base_model.as_deref(), Some("m"));
    assert_eq!(deployment.min_replica_count, Some(1));
    assert!(deployment.unknown_fields().is_empty());
    let written = serde_json::to_string(&deployment).unwrap();
    assert_eq!(
        written,
        r#"{"baseModel":"m","minReplicaCount":1,"autoscalingPolicy":{"scaleUpWindow":"1s"}}"#
    );
}

#[test]
fn deployed_model() {
    let deployed_model: DeployedModel = known("deployed_model.json");
    assert_eq!(deployed_model.state, Some(DeployedModelState::Deployed));
    assert_eq!(deployed_model.default, Some(true));
}

#[test]
fn models() {
    let base: Model = known("model_base.json");
    assert_eq!(base.kind, Some(ModelKind::HfBaseModel));
    assert_eq!(base.base_model_details.unwrap().parameter_count, Some(8_030_261_248));
    let refs = base.deployed_model_refs.unwrap();
    assert_eq!(refs[0].state, Some(DeployedModelState::Deployed));
    assert_eq!(base.deprecation_date.unwrap().year, Some(2026));
    let peft: Model = known("model_peft.json");
    assert_eq!(
        peft.peft_details.unwrap().base_model.as_deref(),
        Some("accounts/fireworks/models/llama-v3p1-8b-instruct")
    );
    let request: CreateModelRequest = known("model_create_request.json");
    assert_eq!(request.model_id.as_deref(), Some("my-upload"));
}

#[test]
fn datasets_and_upload_bodies() {
    let dataset: Dataset = known("dataset.json");
    assert_eq!(dataset.example_count, Some(1000));
    assert_eq!(dataset.state, Some(DatasetState::Ready));
    assert!(dataset.user_uploaded.is_some());
    let request: CreateDatasetRequest = known("create_dataset_request.json");
    assert_eq!(request.dataset.unwrap().example_count, Some(1000));
    let endpoint: GetUploadEndpointRequest = known("get_upload_endpoint_request.json");
    assert_eq!(endpoint.filename_to_size.unwrap()["train.jsonl"], 1_048_576);
    let urls: GetUploadEndpointResponse = known("get_upload_endpoint_response.json");
    assert_eq!(urls.filename_to_signed_urls.unwrap().len(), 1);
    let upload: UploadResponse = known("upload_response.json");
    assert_eq!(upload.created_at, Some(1_748_768_400));
    let download: GetDownloadEndpointResponse = known("get_download_endpoint_response.json");
    assert!(download.filename_to_signed_urls.unwrap().contains_key("train.jsonl"));
}

#[test]
fn jobs() {
    let sft: SupervisedFineTuningJob = known("sft_job.json");
    assert_eq!(sft.state, Some(JobState::Completed));
    assert_eq!(sft.estimated_cost.unwrap().units, Some(12));
    let rft: ReinforcementFineTuningJob = known("rft_job.json");
    assert_eq!(rft.training_config.unwrap().output_model.as_deref(), Some("math-lora"));
    assert_eq!(rft.loss_config.unwrap().method, Some(LossMethod::Grpo));
    assert_eq!(rft.accelerator_seconds.unwrap()["NVIDIA_H100_80GB"], 7200);
    let batch: BatchInferenceJob = known("batch_job.json");
    assert_eq!(batch.job_progress.unwrap().failed_requests, Some(2));
    assert_eq!(batch.inference_parameters.unwrap().max_tokens, Some(512));
}

#[test]
fn evaluators_and_accounts() {
    let evaluator: Evaluator = known("evaluator.json");
    assert_eq!(evaluator.state, Some(EvaluatorState::Active));
    let criteria = evaluator.criteria.unwrap();
    assert_eq!(criteria[0].r#type, Some(CriterionType::CodeSnippets));
    let request: CreateEvaluatorRequest = known("create_evaluator_request.json");
    assert_eq!(request.evaluator_id.as_deref(), Some("exact-match"));
    let account: Account = known("account.json");
    assert_eq!(account.account_type, Some(AccountType::Enterprise));
}

#[test]
fn list_pages() {
    let page: ListDeploymentsResponse = round_trip_plain("list_deployments.json");
    assert_eq!(page.items().len(), 2);
    assert_eq!(page.next_page_token(), Some("b2Zmc2V0PTI"));
    assert_eq!(page.total_size, Some(5));
    let page: ListDeployedModelsResponse = round_trip_plain("list_deployed_models.json");
    assert_eq!(page.next_page_token(), None);
    assert_eq!(page.deployed_models[0].state, Some(DeployedModelState::Deploying));
}

#[test]
fn error_and_scale_bodies() {
    let error: ErrorBody = round_trip_plain("error.json");
    assert_eq!(error.code(), Code::NotFound);
    let scale: ScaleRequest = known("scale_request.json");
    assert_eq!(scale.replica_count, Some(2));
}

/// Round trip for bodies without unknown-field tracking (list pages, errors).
fn round_trip_plain<T: DeserializeOwned + Serialize>(fixture: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture);
    let text = std::fs::read_to_string(&path).unwrap();
    let original: serde_json::Value = serde_json::from_str(&text).unwrap();
    let typed: T = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), original, "{fixture} did not round-trip");
    typed
}

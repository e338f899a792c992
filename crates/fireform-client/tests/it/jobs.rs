//! SFT, RFT and batch inference jobs: create with the id in the query, get, list, cancel,
//! resume, delete.

use std::time::Duration;

use fireform_api::{
    BatchInferenceJob, Evaluator, JobState, ReinforcementFineTuningJob, SupervisedFineTuningJob,
    TrainingConfig,
};
use fireform_client::{ListOptions, WaitOptions};
use fireform_emulator::{EmulatorConfig, Timings};

use crate::support::{BASE_MODEL, emulator_config, ready_dataset, setup_with};

fn slow_jobs() -> EmulatorConfig {
    EmulatorConfig {
        timings: Timings { job: Duration::from_secs(600), ..Timings::instant() },
        ..emulator_config()
    }
}

#[tokio::test]
async fn sft_jobs_cancel_resume_delete() {
    let setup = setup_with(slow_jobs()).await;
    let client = &setup.client;
    ready_dataset(client, "train").await;
    let job = SupervisedFineTuningJob {
        dataset: Some("train".to_owned()),
        base_model: Some(BASE_MODEL.to_owned()),
        epochs: Some(2),
        ..SupervisedFineTuningJob::default()
    };
    let created = client.create_sft_job("sft-1", &job).await.unwrap();
    assert_eq!(
        created.name.as_deref(),
        Some("accounts/fireform-local/supervisedFineTuningJobs/sft-1")
    );
    assert!(setup.emulator.audit_log().iter().any(|entry| {
        entry.path.ends_with("supervisedFineTuningJobs?supervisedFineTuningJobId=sft-1")
    }));
    assert_eq!(client.get_sft_job("sft-1").await.unwrap().epochs, Some(2));
    assert_eq!(
        client.list_all::<SupervisedFineTuningJob>(&ListOptions::default()).await.unwrap().len(),
        1
    );

    client.cancel_job::<SupervisedFineTuningJob>("sft-1").await.unwrap();
    assert_eq!(client.get_sft_job("sft-1").await.unwrap().state, Some(JobState::Cancelled));
    let resumed: SupervisedFineTuningJob = client.resume_job("sft-1").await.unwrap();
    assert!(resumed.state.unwrap().is_in_progress());
    client.delete_sft_job("sft-1").await.unwrap();
    client.wait_gone::<SupervisedFineTuningJob>("sft-1", &WaitOptions::default()).await.unwrap();
}

#[tokio::test]
async fn rft_and_batch_jobs() {
    let setup = setup_with(slow_jobs()).await;
    let client = &setup.client;
    ready_dataset(client, "prompts").await;
    client.create_evaluator("judge", &Evaluator::default()).await.unwrap();
    let rft = ReinforcementFineTuningJob {
        dataset: Some("prompts".to_owned()),
        evaluator: Some("judge".to_owned()),
        training_config: Some(TrainingConfig {
            base_model: Some(BASE_MODEL.to_owned()),
            output_model: Some("rl-out".to_owned()),
            ..TrainingConfig::default()
        }),
        ..ReinforcementFineTuningJob::default()
    };
    client.create_rft_job("rft-1", &rft).await.unwrap();
    let read = client.get_rft_job("rft-1").await.unwrap();
    assert_eq!(read.evaluator.as_deref(), Some("accounts/fireform-local/evaluators/judge"));
    assert_eq!(
        client.list_all::<ReinforcementFineTuningJob>(&ListOptions::default()).await.unwrap().len(),
        1
    );
    client.cancel_job::<ReinforcementFineTuningJob>("rft-1").await.unwrap();
    client.resume_job::<ReinforcementFineTuningJob>("rft-1").await.unwrap();
    client.delete_rft_job("rft-1").await.unwrap();
    assert!(client.get_rft_job("rft-1").await.unwrap_err().is_not_found());

    let batch = BatchInferenceJob {
        model: Some(BASE_MODEL.to_owned()),
        input_dataset_id: Some("accounts/fireform-local/datasets/prompts".to_owned()),
        ..BatchInferenceJob::default()
    };
    client.create_batch_job("batch-1", &batch).await.unwrap();
    let read = client.get_batch_job("batch-1").await.unwrap();
    assert_eq!(
        read.output_dataset_id.as_deref(),
        Some("accounts/fireform-local/datasets/batch-1-output")
    );
    assert_eq!(
        client.list_all::<BatchInferenceJob>(&ListOptions::default()).await.unwrap().len(),
        1
    );
    client.delete_batch_job("batch-1").await.unwrap();
    assert!(client.get_batch_job("batch-1").await.unwrap_err().is_not_found());
}

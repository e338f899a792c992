//! Fine-tuning and batch inference jobs (§5, §6, §9 of the API reference): create with the id
//! in the query, get, list, delete; cancel and resume where the API has them (SFT and RFT;
//! batch inference jobs have neither).
//!
//! Jobs have no update endpoint: a changed job is replaced by the plan, not patched here.

use fireform_api::{
    BatchInferenceJob, ReinforcementFineTuningJob, Resource, SupervisedFineTuningJob,
};
use reqwest::Method;

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::pagination::{ListOptions, Pages};
use crate::wait::Waitable;

/// A job kind with `:cancel` and `:resume`.
pub trait ControllableJob: Waitable {}

impl ControllableJob for SupervisedFineTuningJob {}
impl ControllableJob for ReinforcementFineTuningJob {}

impl Client {
    /// `POST .../{jobs}?{job}Id=`; never creates twice.
    pub async fn create_job<J: Resource>(&self, id: &str, job: &J) -> Result<J, Error> {
        self.create(id, job, Vec::new()).await
    }

    /// `POST .../{jobs}/{id}:cancel`. A retry refused because the job is already cancelling
    /// or cancelled (an earlier attempt got through) counts as success.
    pub async fn cancel_job<J: ControllableJob>(&self, id: &str) -> Result<(), Error> {
        let body = serde_json::json!({});
        let result =
            self.custom_unread(Method::POST, J::COLLECTION, id, "cancel", Some(&body)).await;
        match result {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == ErrorKind::FailedPrecondition && error.attempts() > 1 => {
                let job: J = self.get(id).await?;
                let state = job.state_name().unwrap_or_default();
                if matches!(state.as_str(), "JOB_STATE_CANCELLING" | "JOB_STATE_CANCELLED") {
                    Ok(())
                } else {
                    Err(error)
                }
            }
            Err(error) => Err(error),
        }
    }

    /// `POST .../{jobs}/{id}:resume`; returns the job.
    pub async fn resume_job<J: ControllableJob>(&self, id: &str) -> Result<J, Error> {
        let body = serde_json::json!({});
        self.custom(Method::POST, J::COLLECTION, id, "resume", Some(&body)).await
    }

    /// `POST .../supervisedFineTuningJobs?supervisedFineTuningJobId=`.
    pub async fn create_sft_job(
        &self,
        id: &str,
        job: &SupervisedFineTuningJob,
    ) -> Result<SupervisedFineTuningJob, Error> {
        self.create_job(id, job).await
    }

    /// `GET .../supervisedFineTuningJobs/{id}`.
    pub async fn get_sft_job(&self, id: &str) -> Result<SupervisedFineTuningJob, Error> {
        self.get(id).await
    }

    /// `GET .../supervisedFineTuningJobs`, page by page.
    pub fn list_sft_jobs(&self, options: &ListOptions) -> Pages<SupervisedFineTuningJob> {
        self.list(options)
    }

    /// `DELETE .../supervisedFineTuningJobs/{id}`.
    pub async fn delete_sft_job(&self, id: &str) -> Result<(), Error> {
        self.delete::<SupervisedFineTuningJob>(id).await
    }

    /// `POST .../reinforcementFineTuningJobs?reinforcementFineTuningJobId=`.
    pub async fn create_rft_job(
        &self,
        id: &str,
        job: &ReinforcementFineTuningJob,
    ) -> Result<ReinforcementFineTuningJob, Error> {
        self.create_job(id, job).await
    }

    /// `GET .../reinforcementFineTuningJobs/{id}`.
    pub async fn get_rft_job(&self, id: &str) -> Result<ReinforcementFineTuningJob, Error> {
        self.get(id).await
    }

    /// `GET .../reinforcementFineTuningJobs`, page by page.
    pub fn list_rft_jobs(&self, options: &ListOptions) -> Pages<ReinforcementFineTuningJob> {
        self.list(options)
    }

    /// `DELETE .../reinforcementFineTuningJobs/{id}`.
    pub async fn delete_rft_job(&self, id: &str) -> Result<(), Error> {
        self.delete::<ReinforcementFineTuningJob>(id).await
    }

    /// `POST .../batchInferenceJobs?batchInferenceJobId=`.
    pub async fn create_batch_job(
        &self,
        id: &str,
        job: &BatchInferenceJob,
    ) -> Result<BatchInferenceJob, Error> {
        self.create_job(id, job).await
    }

    /// `GET .../batchInferenceJobs/{id}`.
    pub async fn get_batch_job(&self, id: &str) -> Result<BatchInferenceJob, Error> {
        self.get(id).await
    }

    /// `GET .../batchInferenceJobs`, page by page.
    pub fn list_batch_jobs(&self, options: &ListOptions) -> Pages<BatchInferenceJob> {
        self.list(options)
    }

    /// `DELETE .../batchInferenceJobs/{id}`.
    pub async fn delete_batch_job(&self, id: &str) -> Result<(), Error> {
        self.delete::<BatchInferenceJob>(id).await
    }
}

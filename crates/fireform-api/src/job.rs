//! Jobs: supervised fine-tuning (§5), reinforcement fine-tuning (§6) and batch inference (§9),
//! with the messages they share (§13).
//!
//! Job states and their classification live in [`crate::JobState`]; this module only names the
//! bodies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{JobState, LossMethod, Precision, Status, UnknownFields, collect_extra};

/// A supervised fine-tuning job (`accounts/{a}/supervisedFineTuningJobs/{id}`); no update endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupervisedFineTuningJob {
    /// Resource name (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "display_name")]
    pub display_name: Option<String>,
    /// Resource name of the training dataset (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Base model to train from (exactly one of this and `warmStartFrom`).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "base_model")]
    pub base_model: Option<String>,
    /// PEFT addon to continue training from.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "warm_start_from")]
    pub warm_start_from: Option<String>,
    /// Id (or resource name) of the model to create; defaults to the job id.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "output_model")]
    pub output_model: Option<String>,
    /// Training epochs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<i32>,
    /// LoRA rank.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "lora_rank")]
    pub lora_rank: Option<i32>,
    /// Maximum context length.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "max_context_length")]
    pub max_context_length: Option<i32>,
    /// Maximum packed tokens per batch.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "batch_size")]
    pub batch_size: Option<i32>,
    /// Samples per batch.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "batch_size_samples")]
    pub batch_size_samples: Option<i32>,
    /// Gradient accumulation steps.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "gradient_accumulation_steps"
    )]
    pub gradient_accumulation_steps: Option<i32>,
    /// Warm-up steps.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "learning_rate_warmup_steps"
    )]
    pub learning_rate_warmup_steps: Option<i32>,
    /// Training nodes (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<i32>,
    /// MTP draft tokens (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "mtp_num_draft_tokens")]
    pub mtp_num_draft_tokens: Option<i32>,
    /// Checkpoint interval.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "sampler_checkpoint_save_interval_steps"
    )]
    pub sampler_checkpoint_save_interval_steps: Option<i32>,
    /// Learning rate.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "learning_rate")]
    pub learning_rate: Option<f64>,
    /// Weight decay.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "optimizer_weight_decay")]
    pub optimizer_weight_decay: Option<f64>,
    /// Stop early when evaluation loss stops improving.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "early_stop")]
    pub early_stop: Option<bool>,
    /// Turbo mode.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "is_turbo")]
    pub is_turbo: Option<bool>,
    /// Carve an evaluation set out of the dataset.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "eval_auto_carveout")]
    pub eval_auto_carveout: Option<bool>,
    /// Train MTP heads.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "mtp_enabled")]
    pub mtp_enabled: Option<bool>,
    /// Freeze the base model while training MTP heads.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "mtp_freeze_base_model")]
    pub mtp_freeze_base_model: Option<bool>,
    /// Run on reserved capacity.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "use_reservation")]
    pub use_reservation: Option<bool>,
    /// Chat template override.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "jinja_template")]
    pub jinja_template: Option<String>,
    /// Resource name of the evaluation dataset.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "evaluation_dataset")]
    pub evaluation_dataset: Option<String>,
    /// Where metrics are written.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "metrics_file_signed_url")]
    pub metrics_file_signed_url: Option<String>,
    /// Renderer repository.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "renderer_hugging_face_repo_id"
    )]
    pub renderer_hugging_face_repo_id: Option<String>,
    /// Reservation to use.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "reservation_target")]
    pub reservation_target: Option<String>,
    /// Purpose (`pilot`).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "use_purpose")]
    pub use_purpose: Option<String>,
    /// Purpose enum of newer servers (`PURPOSE_PILOT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Region (an open string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Weights & Biases reporting.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "wandb_config")]
    pub wandb_config: Option<WandbConfig>,
    /// AWS access for the job.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "aws_s3_config")]
    pub aws_s3_config: Option<AwsS3Config>,
    /// Azure access for the job.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "azure_blob_storage_config")]
    pub azure_blob_storage_config: Option<AzureBlobStorageConfig>,
    /// Lifecycle state (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<JobState>,
    /// Detail of the last operation or failure (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Creator's email (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "created_by")]
    pub created_by: Option<String>,
    /// Creation time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "create_time")]
    pub create_time: Option<String>,
    /// Last update time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "update_time")]
    pub update_time: Option<String>,
    /// Completion time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "completed_time")]
    pub completed_time: Option<String>,
    /// Progress (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "job_progress")]
    pub job_progress: Option<JobProgress>,
    /// Estimated cost (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "estimated_cost")]
    pub estimated_cost: Option<Money>,
    /// Trainer logs (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "trainer_logs_signed_url")]
    pub trainer_logs_signed_url: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for SupervisedFineTuningJob {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.wandb_config {
            nested.collect_unknown(&format!("{prefix}wandbConfig."), out);
        }
        if let Some(nested) = &self.aws_s3_config {
            nested.collect_unknown(&format!("{prefix}awsS3Config."), out);
        }
        if let Some(nested) = &self.azure_blob_storage_config {
            nested.collect_unknown(&format!("{prefix}azureBlobStorageConfig."), out);
        }
        if let Some(nested) = &self.status {
            nested.collect_unknown(&format!("{prefix}status."), out);
        }
        if let Some(nested) = &self.job_progress {
            nested.collect_unknown(&format!("{prefix}jobProgress."), out);
        }
        if let Some(nested) = &self.estimated_cost {
            nested.collect_unknown(&format!("{prefix}estimatedCost."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.wandb_config {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.aws_s3_config {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.azure_blob_storage_config {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.status {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.job_progress {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.estimated_cost {
            nested.clear_unknown();
        }
    }
}

/// A reinforcement fine-tuning job (`accounts/{a}/reinforcementFineTuningJobs/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReinforcementFineTuningJob {
    /// Resource name (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "display_name")]
    pub display_name: Option<String>,
    /// Resource name of the training dataset (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Resource name of the evaluator (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator: Option<String>,
    /// Resource name of the evaluation dataset.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "evaluation_dataset")]
    pub evaluation_dataset: Option<String>,
    /// Carve an evaluation set out of the dataset.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "eval_auto_carveout")]
    pub eval_auto_carveout: Option<bool>,
    /// Base model, output model and hyper-parameters.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "training_config")]
    pub training_config: Option<TrainingConfig>,
    /// Rollout sampling parameters.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "inference_parameters")]
    pub inference_parameters: Option<InferenceParameters>,
    /// Loss function.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "loss_config")]
    pub loss_config: Option<LossConfig>,
    /// Rollout chunk size.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "chunk_size")]
    pub chunk_size: Option<i32>,
    /// MCP server for rollouts.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "mcp_server")]
    pub mcp_server: Option<String>,
    /// Reservation to use.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "reservation_target")]
    pub reservation_target: Option<String>,
    /// Rollout concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "max_concurrent_rollouts")]
    pub max_concurrent_rollouts: Option<i32>,
    /// Evaluation concurrency.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "max_concurrent_evaluations"
    )]
    pub max_concurrent_evaluations: Option<i32>,
    /// Inference replicas.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "max_inference_replica_count"
    )]
    pub max_inference_replica_count: Option<i32>,
    /// Training nodes (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "node_count")]
    pub node_count: Option<i32>,
    /// Weights & Biases reporting.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "wandb_config")]
    pub wandb_config: Option<WandbConfig>,
    /// AWS access for the job.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "aws_s3_config")]
    pub aws_s3_config: Option<AwsS3Config>,
    /// Azure access for the job.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "azure_blob_storage_config")]
    pub azure_blob_storage_config: Option<AzureBlobStorageConfig>,
    /// Lifecycle state (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<JobState>,
    /// Detail of the last operation or failure (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Creator's email (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "created_by")]
    pub created_by: Option<String>,
    /// Creation time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "create_time")]
    pub create_time: Option<String>,
    /// Last update time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "update_time")]
    pub update_time: Option<String>,
    /// Completion time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "completed_time")]
    pub completed_time: Option<String>,
    /// Progress (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "job_progress")]
    pub job_progress: Option<JobProgress>,
    /// Output statistics (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "output_stats")]
    pub output_stats: Option<serde_json::Value>,
    /// Output metrics (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "output_metrics")]
    pub output_metrics: Option<serde_json::Value>,
    /// Trainer logs (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "trainer_logs_signed_url")]
    pub trainer_logs_signed_url: Option<String>,
    /// GPU seconds by accelerator type (output only).
    #[serde(
        default,
        with = "crate::int64::map",
        skip_serializing_if = "Option::is_none",
        alias = "accelerator_seconds"
    )]
    pub accelerator_seconds: Option<BTreeMap<String, i64>>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for ReinforcementFineTuningJob {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.training_config {
            nested.collect_unknown(&format!("{prefix}trainingConfig."), out);
        }
        if let Some(nested) = &self.inference_parameters {
            nested.collect_unknown(&format!("{prefix}inferenceParameters."), out);
        }
        if let Some(nested) = &self.loss_config {
            nested.collect_unknown(&format!("{prefix}lossConfig."), out);
        }
        if let Some(nested) = &self.wandb_config {
            nested.collect_unknown(&format!("{prefix}wandbConfig."), out);
        }
        if let Some(nested) = &self.aws_s3_config {
            nested.collect_unknown(&format!("{prefix}awsS3Config."), out);
        }
        if let Some(nested) = &self.azure_blob_storage_config {
            nested.collect_unknown(&format!("{prefix}azureBlobStorageConfig."), out);
        }
        if let Some(nested) = &self.status {
            nested.collect_unknown(&format!("{prefix}status."), out);
        }
        if let Some(nested) = &self.job_progress {
            nested.collect_unknown(&format!("{prefix}jobProgress."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.training_config {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.inference_parameters {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.loss_config {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.wandb_config {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.aws_s3_config {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.azure_blob_storage_config {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.status {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.job_progress {
            nested.clear_unknown();
        }
    }
}

/// A batch inference job (`accounts/{a}/batchInferenceJobs/{id}`); no update, cancel or resume in the public API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInferenceJob {
    /// Resource name (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "display_name")]
    pub display_name: Option<String>,
    /// Model to run (required unless continuing a job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Resource name (despite the name) of the input dataset.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "input_dataset_id")]
    pub input_dataset_id: Option<String>,
    /// Resource name of the dataset the results are written to.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "output_dataset_id")]
    pub output_dataset_id: Option<String>,
    /// Sampling parameters.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "inference_parameters")]
    pub inference_parameters: Option<BatchInferenceParameters>,
    /// Serving precision; unset lets the server pick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// Job this one continues.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "continued_from_job_name")]
    pub continued_from_job_name: Option<String>,
    /// Lifecycle state (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<JobState>,
    /// Detail of the last operation or failure (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Creator's email (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "created_by")]
    pub created_by: Option<String>,
    /// Creation time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "create_time")]
    pub create_time: Option<String>,
    /// Last update time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "update_time")]
    pub update_time: Option<String>,
    /// Progress (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "job_progress")]
    pub job_progress: Option<JobProgress>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for BatchInferenceJob {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.inference_parameters {
            nested.collect_unknown(&format!("{prefix}inferenceParameters."), out);
        }
        if let Some(nested) = &self.status {
            nested.collect_unknown(&format!("{prefix}status."), out);
        }
        if let Some(nested) = &self.job_progress {
            nested.collect_unknown(&format!("{prefix}jobProgress."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.inference_parameters {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.status {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.job_progress {
            nested.clear_unknown();
        }
    }
}

/// Training settings shared by RFT, DPO and RLOR jobs (§13.4).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingConfig {
    /// Base model (exactly one of this and `warmStartFrom`).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "base_model")]
    pub base_model: Option<String>,
    /// PEFT addon to continue from.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "warm_start_from")]
    pub warm_start_from: Option<String>,
    /// Id of the model to create; defaults to the job id.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "output_model")]
    pub output_model: Option<String>,
    /// Training epochs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<i32>,
    /// Learning rate.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "learning_rate")]
    pub learning_rate: Option<f64>,
    /// Warm-up steps.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "learning_rate_warmup_steps"
    )]
    pub learning_rate_warmup_steps: Option<i32>,
    /// Maximum packed tokens per batch.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "batch_size")]
    pub batch_size: Option<i32>,
    /// Samples per batch.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "batch_size_samples")]
    pub batch_size_samples: Option<i32>,
    /// Gradient accumulation steps.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "gradient_accumulation_steps"
    )]
    pub gradient_accumulation_steps: Option<i32>,
    /// LoRA rank; 0 means full-parameter.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "lora_rank")]
    pub lora_rank: Option<i32>,
    /// Maximum context length.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "max_context_length")]
    pub max_context_length: Option<i32>,
    /// Weight decay.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "optimizer_weight_decay")]
    pub optimizer_weight_decay: Option<f64>,
    /// Chat template override.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "jinja_template")]
    pub jinja_template: Option<String>,
    /// Region (an open string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Checkpoint interval.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "sampler_checkpoint_save_interval_steps"
    )]
    pub sampler_checkpoint_save_interval_steps: Option<i32>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for TrainingConfig {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Rollout sampling parameters of an RFT job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceParameters {
    /// Maximum tokens per completion.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "max_output_tokens")]
    pub max_output_tokens: Option<i32>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "top_p")]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "top_k")]
    pub top_k: Option<i32>,
    /// Completions per prompt.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "response_candidates_count")]
    pub response_candidates_count: Option<i32>,
    /// Extra request body, as a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "extra_body")]
    pub extra_body: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for InferenceParameters {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Sampling parameters of a batch inference job (names differ from RFT's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInferenceParameters {
    /// Maximum tokens per completion.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "max_tokens")]
    pub max_tokens: Option<i32>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "top_p")]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "top_k")]
    pub top_k: Option<i32>,
    /// Completions per prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<i32>,
    /// Extra request body, as a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "extra_body")]
    pub extra_body: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for BatchInferenceParameters {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Loss function of an RL or preference job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LossConfig {
    /// The loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<LossMethod>,
    /// KL penalty.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "kl_beta")]
    pub kl_beta: Option<f64>,
    /// DPO settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpo: Option<DpoConfig>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for LossConfig {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.dpo {
            nested.collect_unknown(&format!("{prefix}dpo."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.dpo {
            nested.clear_unknown();
        }
    }
}

/// DPO settings of a [`LossConfig`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DpoConfig {
    /// Beta, between 0 and 0.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// Reference cache concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "ref_cache_concurrency")]
    pub ref_cache_concurrency: Option<i32>,
    /// Reference cache batch size.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "ref_cache_batch_size")]
    pub ref_cache_batch_size: Option<i32>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for DpoConfig {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Progress of a job (§13.2, output only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    /// Percent done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<i32>,
    /// Current epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<i32>,
    /// Requests in the input.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "total_input_requests")]
    pub total_input_requests: Option<i32>,
    /// Requests processed.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "total_processed_requests")]
    pub total_processed_requests: Option<i32>,
    /// Requests that succeeded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "successfully_processed_requests"
    )]
    pub successfully_processed_requests: Option<i32>,
    /// Requests that failed.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "failed_requests")]
    pub failed_requests: Option<i32>,
    /// Rows written.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "output_rows")]
    pub output_rows: Option<i32>,
    /// Input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "input_tokens")]
    pub input_tokens: Option<i32>,
    /// Output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "output_tokens")]
    pub output_tokens: Option<i32>,
    /// Cached input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "cached_input_token_count")]
    pub cached_input_token_count: Option<i32>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for JobProgress {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Weights & Biases reporting of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WandbConfig {
    /// Whether reporting is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// W&B API key (a secret; input only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "api_key")]
    pub api_key: Option<String>,
    /// W&B project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// W&B entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// W&B run id.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "run_id")]
    pub run_id: Option<String>,
    /// Run URL (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for WandbConfig {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// AWS access of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsS3Config {
    /// Secret holding the credentials.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "credentials_secret")]
    pub credentials_secret: Option<String>,
    /// IAM role to assume.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "iam_role_arn")]
    pub iam_role_arn: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for AwsS3Config {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Azure access of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureBlobStorageConfig {
    /// Secret holding the credentials (`accounts/{a}/secrets/{s}`).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "credentials_secret")]
    pub credentials_secret: Option<String>,
    /// Managed identity.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "managed_identity_client_id"
    )]
    pub managed_identity_client_id: Option<String>,
    /// Tenant.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "tenant_id")]
    pub tenant_id: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for AzureBlobStorageConfig {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// An amount of money (`google.type.Money`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    /// ISO 4217 code.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "currency_code")]
    pub currency_code: Option<String>,
    /// Whole units.
    #[serde(default, with = "crate::int64::option", skip_serializing_if = "Option::is_none")]
    pub units: Option<i64>,
    /// Nano units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nanos: Option<i32>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Money {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

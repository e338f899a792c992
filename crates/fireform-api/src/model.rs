//! Models (§3): base models, PEFT addons and the rest, with their nested details, the reverse
//! links to deployed models and the create request body.
//!
//! Which details are required for which [`ModelKind`] is checked by the server, not here.

use serde::{Deserialize, Serialize};

use crate::{
    CheckpointFormat, DeployedModelState, ModelKind, ModelState, Precision, Status, UnknownFields,
    collect_extra,
};

/// A model (`accounts/{a}/models/{id}`); public models live under account `fireworks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// Resource name `accounts/{a}/models/{id}` (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable name, fewer than 64 characters.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "display_name")]
    pub display_name: Option<String>,
    /// Free text, fewer than 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What the model is (immutable; `HF_PEFT_ADDON` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ModelKind>,
    /// Details of a base model (kind `HF_BASE_MODEL`).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "base_model_details")]
    pub base_model_details: Option<BaseModelDetails>,
    /// Details of a PEFT addon (kind `HF_PEFT_ADDON` / `HF_TEFT_ADDON`).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "peft_details")]
    pub peft_details: Option<PeftDetails>,
    /// Details of a TEFT addon.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "teft_details")]
    pub teft_details: Option<serde_json::Value>,
    /// Chat template settings.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "conversation_config")]
    pub conversation_config: Option<ConversationConfig>,
    /// Context length.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "context_length")]
    pub context_length: Option<i32>,
    /// Context length used in training.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "training_context_length")]
    pub training_context_length: Option<i32>,
    /// Source repository.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "github_url")]
    pub github_url: Option<String>,
    /// Hugging Face page.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "hugging_face_url")]
    pub hugging_face_url: Option<String>,
    /// Whether the model is public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// Accepts images.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "supports_image_input")]
    pub supports_image_input: Option<bool>,
    /// Supports tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "supports_tools")]
    pub supports_tools: Option<bool>,
    /// Accepts LoRA addons.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "supports_lora")]
    pub supports_lora: Option<bool>,
    /// Uses the Hugging Face chat template.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "use_hf_apply_chat_template"
    )]
    pub use_hf_apply_chat_template: Option<bool>,
    /// Default speculative-decoding draft model.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "default_draft_model")]
    pub default_draft_model: Option<String>,
    /// Default draft token count.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "default_draft_token_count")]
    pub default_draft_token_count: Option<i32>,
    /// Serverless takedown date.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "deprecation_date")]
    pub deprecation_date: Option<Date>,
    /// `FULL_SNAPSHOT` or `INCREMENTAL_SNAPSHOT`.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "snapshot_type")]
    pub snapshot_type: Option<String>,
    /// Lifecycle state (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ModelState>,
    /// Detail of the last operation (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Creation time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "create_time")]
    pub create_time: Option<String>,
    /// Last update time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "update_time")]
    pub update_time: Option<String>,
    /// Creator's email (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "created_by")]
    pub created_by: Option<String>,
    /// Source of an imported model (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "imported_from")]
    pub imported_from: Option<String>,
    /// Resource name of the job that produced this model (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "fine_tuning_job")]
    pub fine_tuning_job: Option<String>,
    /// BYOC cluster (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Whether FP8 calibration ran (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibrated: Option<bool>,
    /// Whether it can be fine-tuned (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunable: Option<bool>,
    /// Whether it can be RL-tuned (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "rl_tunable")]
    pub rl_tunable: Option<bool>,
    /// Whether LoRA SFT is supported (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "supervised_lora_tunable")]
    pub supervised_lora_tunable: Option<bool>,
    /// Whether full-parameter SFT is supported (output only).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "supervised_full_parameter_tunable"
    )]
    pub supervised_full_parameter_tunable: Option<bool>,
    /// Whether LoRA RL is supported (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "rl_lora_tunable")]
    pub rl_lora_tunable: Option<bool>,
    /// Whether full-parameter RL is supported (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "rl_full_parameter_tunable")]
    pub rl_full_parameter_tunable: Option<bool>,
    /// Whether it can be served serverless (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "supports_serverless")]
    pub supports_serverless: Option<bool>,
    /// Where the model is deployed (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "deployed_model_refs")]
    pub deployed_model_refs: Option<Vec<DeployedModelRef>>,
    /// Default sampling parameters (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "default_sampling_params")]
    pub default_sampling_params: Option<serde_json::Value>,
    /// Precisions it can be served in (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "supported_precisions")]
    pub supported_precisions: Option<Vec<Precision>>,
    /// Precisions available after calibration (output only).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "supported_precisions_with_calibration"
    )]
    pub supported_precisions_with_calibration: Option<Vec<Precision>>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Model {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.base_model_details {
            nested.collect_unknown(&format!("{prefix}baseModelDetails."), out);
        }
        if let Some(nested) = &self.peft_details {
            nested.collect_unknown(&format!("{prefix}peftDetails."), out);
        }
        if let Some(nested) = &self.conversation_config {
            nested.collect_unknown(&format!("{prefix}conversationConfig."), out);
        }
        if let Some(nested) = &self.deprecation_date {
            nested.collect_unknown(&format!("{prefix}deprecationDate."), out);
        }
        if let Some(nested) = &self.status {
            nested.collect_unknown(&format!("{prefix}status."), out);
        }
        for (index, item) in self.deployed_model_refs.iter().flatten().enumerate() {
            item.collect_unknown(&format!("{prefix}deployedModelRefs[{index}]."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.base_model_details {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.peft_details {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.conversation_config {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.deprecation_date {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.status {
            nested.clear_unknown();
        }
        self.deployed_model_refs.iter_mut().flatten().for_each(UnknownFields::clear_unknown);
    }
}

/// Details of a base model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseModelDetails {
    /// Default number of GPUs.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "world_size")]
    pub world_size: Option<i32>,
    /// Checkpoint format.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "checkpoint_format")]
    pub checkpoint_format: Option<CheckpointFormat>,
    /// Number of parameters.
    #[serde(
        default,
        with = "crate::int64::option",
        skip_serializing_if = "Option::is_none",
        alias = "parameter_count"
    )]
    pub parameter_count: Option<i64>,
    /// Mixture of experts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moe: Option<bool>,
    /// Fine-tunable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunable: Option<bool>,
    /// Architecture, e.g. `llama`.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "model_type")]
    pub model_type: Option<String>,
    /// Served by FireAttention.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "supports_fireattention")]
    pub supports_fireattention: Option<bool>,
    /// Default serving precision.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "default_precision")]
    pub default_precision: Option<Precision>,
    /// Multi-token prediction.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "supports_mtp")]
    pub supports_mtp: Option<bool>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for BaseModelDetails {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Details of a PEFT (LoRA) addon.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeftDetails {
    /// Resource name of the base model the addon applies to (required).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "base_model")]
    pub base_model: Option<String>,
    /// LoRA rank, 4 to 64 (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<i32>,
    /// Modules the adapter targets (required).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "target_modules")]
    pub target_modules: Option<Vec<String>>,
    /// Architecture of the base model (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "base_model_type")]
    pub base_model_type: Option<String>,
    /// Addon model this one was merged from.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "merge_addon_model_name")]
    pub merge_addon_model_name: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for PeftDetails {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Chat template settings of a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationConfig {
    /// Template style (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Default system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Jinja template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for ConversationConfig {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// A calendar date (`{"year": 2026, "month": 1, "day": 31}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Date {
    /// Year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Month, 1 to 12.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<i32>,
    /// Day of the month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<i32>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Date {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Reverse link from a model to a deployed model serving it (output only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployedModelRef {
    /// Resource name of the deployed model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Resource name of the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// State of the deployed model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<DeployedModelState>,
    /// Whether it is the model's default target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// Whether it is publicly reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for DeployedModelRef {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Body of `POST .../models`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateModelRequest {
    /// Id of the new model (required).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "model_id")]
    pub model_id: Option<String>,
    /// The model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Model>,
    /// BYOC cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for CreateModelRequest {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.model {
            nested.collect_unknown(&format!("{prefix}model."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.model {
            nested.clear_unknown();
        }
    }
}

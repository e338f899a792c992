//! Deployments (§1) and deployed models, i.e. LoRA loads (§2): the resources, their nested
//! messages and the `:scale` request body.
//!
//! Every field is optional and unknown fields are kept in `extra`; which fields are settable,
//! immutable or output-only is the emulator's and the reconciler's business, not this module's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    AcceleratorType, DeployedModelState, DeploymentState, DirectRouteType, HotLoadBucketType,
    MultiRegion, Precision, ProtoDuration, Status, UnknownFields, collect_extra,
};

/// A dedicated deployment of a base model on GPUs (`accounts/{a}/deployments/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// Resource name `accounts/{a}/deployments/{id}` (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable name, fewer than 64 characters.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "display_name")]
    pub display_name: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Model resource name served by the deployment (required, immutable).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "base_model")]
    pub base_model: Option<String>,
    /// GPU type.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "accelerator_type")]
    pub accelerator_type: Option<AcceleratorType>,
    /// GPUs per replica.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "accelerator_count")]
    pub accelerator_count: Option<i32>,
    /// Serving precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// Lower bound of the autoscaler (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "min_replica_count")]
    pub min_replica_count: Option<i32>,
    /// Upper bound of the autoscaler (default `max(minReplicaCount, 1)`).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "max_replica_count")]
    pub max_replica_count: Option<i32>,
    /// Upper bound including revocable capacity.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "max_with_revocable_replica_count"
    )]
    pub max_with_revocable_replica_count: Option<i32>,
    /// How replicas follow load.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "autoscaling_policy")]
    pub autoscaling_policy: Option<AutoscalingPolicy>,
    /// Automatic tuning hints (oneof with `deploymentTemplate`).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "auto_tune")]
    pub auto_tune: Option<AutoTune>,
    /// Enterprise deployment template.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "deployment_template")]
    pub deployment_template: Option<String>,
    /// Shape name (or `default`); the server rewrites it to a shape version.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "deployment_shape")]
    pub deployment_shape: Option<String>,
    /// Where replicas may run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Region the deployment actually runs in (output only; an open string, see §13.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Speculative-decoding draft model.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "draft_model")]
    pub draft_model: Option<String>,
    /// Draft tokens per step.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "draft_token_count")]
    pub draft_token_count: Option<i32>,
    /// N-gram speculation length.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "ngram_speculation_length")]
    pub ngram_speculation_length: Option<i32>,
    /// Whether LoRA addons (deployed models) can be loaded.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "enable_addons")]
    pub enable_addons: Option<bool>,
    /// Whether weights can be hot-loaded.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "enable_hot_load")]
    pub enable_hot_load: Option<bool>,
    /// Keep at most one addon, merged into the base.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "enable_hot_reload_latest_addon"
    )]
    pub enable_hot_reload_latest_addon: Option<bool>,
    /// Storage type for hot-loaded weights.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "hot_load_bucket_type")]
    pub hot_load_bucket_type: Option<HotLoadBucketType>,
    /// Bucket URL for hot-loaded weights.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "hot_load_bucket_url")]
    pub hot_load_bucket_url: Option<String>,
    /// Trainer job whose bucket to use.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "hot_load_trainer_job")]
    pub hot_load_trainer_job: Option<String>,
    /// Multi-token prediction.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "enable_mtp")]
    pub enable_mtp: Option<bool>,
    /// Sticky routing by the `user` field.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "enable_session_affinity")]
    pub enable_session_affinity: Option<bool>,
    /// Direct route exposure.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "direct_route_type")]
    pub direct_route_type: Option<DirectRouteType>,
    /// API keys accepted on the direct route.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "direct_route_api_keys")]
    pub direct_route_api_keys: Option<Vec<String>>,
    /// Host name of the direct route (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "direct_route_handle")]
    pub direct_route_handle: Option<String>,
    /// Skip the size check.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "disable_deployment_size_validation"
    )]
    pub disable_deployment_size_validation: Option<bool>,
    /// Context length; 0 means the model default.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "max_context_length")]
    pub max_context_length: Option<i32>,
    /// Deprecated; no effect (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "expire_time")]
    pub expire_time: Option<String>,
    /// Model version currently serving.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "active_model_version")]
    pub active_model_version: Option<String>,
    /// Model version being rolled out.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "target_model_version")]
    pub target_model_version: Option<String>,
    /// Pricing plan.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "pricing_plan_id")]
    pub pricing_plan_id: Option<String>,
    /// Free-form key/value annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Lifecycle state (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<DeploymentState>,
    /// Detail of the last operation or failure (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Current replicas (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "replica_count")]
    pub replica_count: Option<i32>,
    /// Autoscaler target (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "desired_replica_count")]
    pub desired_replica_count: Option<i32>,
    /// Replica counts by phase (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "replica_stats")]
    pub replica_stats: Option<ReplicaStats>,
    /// PEFT addons cached per device (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "num_peft_device_cached")]
    pub num_peft_device_cached: Option<i32>,
    /// BYOC cluster (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Creation time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "create_time")]
    pub create_time: Option<String>,
    /// Last update time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "update_time")]
    pub update_time: Option<String>,
    /// When soft deletion happens or happened, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "delete_time")]
    pub delete_time: Option<String>,
    /// When a soft-deleted record is hard-deleted, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "purge_time")]
    pub purge_time: Option<String>,
    /// Creator's email (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "created_by")]
    pub created_by: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Deployment {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.autoscaling_policy {
            nested.collect_unknown(&format!("{prefix}autoscalingPolicy."), out);
        }
        if let Some(nested) = &self.auto_tune {
            nested.collect_unknown(&format!("{prefix}autoTune."), out);
        }
        if let Some(nested) = &self.placement {
            nested.collect_unknown(&format!("{prefix}placement."), out);
        }
        if let Some(nested) = &self.status {
            nested.collect_unknown(&format!("{prefix}status."), out);
        }
        if let Some(nested) = &self.replica_stats {
            nested.collect_unknown(&format!("{prefix}replicaStats."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.autoscaling_policy {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.auto_tune {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.placement {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.status {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.replica_stats {
            nested.clear_unknown();
        }
    }
}

/// How a deployment's replica count follows load (§1.3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalingPolicy {
    /// Wait before scaling up (default 30s, at most 1h).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "scale_up_window")]
    pub scale_up_window: Option<ProtoDuration>,
    /// Wait before scaling down (default 10m, at most 1h).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "scale_down_window")]
    pub scale_down_window: Option<ProtoDuration>,
    /// Idle time before scaling to zero (at least 5m; only with `minReplicaCount` 0).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "scale_to_zero_window")]
    pub scale_to_zero_window: Option<ProtoDuration>,
    /// Load targets by metric (`default`, `tokens_generated_per_second`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "load_targets")]
    pub load_targets: Option<BTreeMap<String, f64>>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for AutoscalingPolicy {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Where a deployment's replicas may run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// One region (an open string, see §13.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A group of regions.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "multi_region")]
    pub multi_region: Option<MultiRegion>,
    /// An explicit list of regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Placement {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// A deployment's replicas counted by phase (output only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaStats {
    /// Replicas waiting for capacity.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "pending_scheduling_replica_count"
    )]
    pub pending_scheduling_replica_count: Option<i32>,
    /// Replicas downloading weights.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "downloading_model_replica_count"
    )]
    pub downloading_model_replica_count: Option<i32>,
    /// Replicas starting up.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "initializing_replica_count"
    )]
    pub initializing_replica_count: Option<i32>,
    /// Replicas serving.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "ready_replica_count")]
    pub ready_replica_count: Option<i32>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for ReplicaStats {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Automatic tuning hints of a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoTune {
    /// Optimise for long prompts.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "long_prompt")]
    pub long_prompt: Option<bool>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for AutoTune {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Body of `PATCH .../deployments/{id}:scale`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleRequest {
    /// The replica count to scale to.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "replica_count")]
    pub replica_count: Option<i32>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for ScaleRequest {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// A model served on a deployment: a LoRA load (`accounts/{a}/deployedModels/{id}`).
/// The server always generates the id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployedModel {
    /// Resource name `accounts/{a}/deployedModels/{id}` (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "display_name")]
    pub display_name: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Resource name of the model being served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Resource name of the deployment; absent for serverless LoRA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// Whether this is the default target when the model is called without `#deployment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// Whether the underlying deployment is Fireworks-managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless: Option<bool>,
    /// Whether it is publicly reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// Lifecycle state (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<DeployedModelState>,
    /// Load or unload details (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Creation time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "create_time")]
    pub create_time: Option<String>,
    /// Last update time, RFC 3339 (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "update_time")]
    pub update_time: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for DeployedModel {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.status {
            nested.collect_unknown(&format!("{prefix}status."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.status {
            nested.clear_unknown();
        }
    }
}

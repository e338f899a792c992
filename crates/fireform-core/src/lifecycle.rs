//! Per-resource lifecycle settings: how the plan engine may treat a resource.

use std::time::Duration;

/// The `lifecycle` block of a manifest document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// Refuse any plan that destroys (or replaces) this resource.
    pub prevent_destroy: bool,
    /// Attribute paths (`autoscalingPolicy.scaleDownWindow`, `minReplicaCount`) whose
    /// differences the plan ignores.
    pub ignore_changes: Vec<String>,
    /// On replace, create the new resource before destroying the old one, where ids allow.
    pub create_before_destroy: bool,
    /// For jobs: keep what the job produced (a fine-tuning job's output model, a batch job's
    /// output dataset) when the job is destroyed, instead of deleting it with the job.
    pub keep_outputs: bool,
    /// Take an object that already exists in the account under this address without
    /// `fireform import` (fireform otherwise refuses to manage an object it did not create).
    pub adopt: bool,
    /// Per-action time limits; `None` means the kind's default.
    pub timeouts: Timeouts,
}

/// How long each action may take before it is reported as failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Limit for create (including waiting until ready).
    pub create: Option<Duration>,
    /// Limit for an in-place update (including waiting until ready).
    pub update: Option<Duration>,
    /// Limit for delete (including waiting until gone).
    pub delete: Option<Duration>,
}

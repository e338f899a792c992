//! The [`Plan`]: what `apply` will do, resource by resource, and why.
//!
//! A plan is data. `plan --json` prints it, `plan -out FILE` saves it, and `apply FILE` runs
//! it exactly, after checking that the state it was made against has not moved on. The JSON
//! format is versioned by [`PLAN_FORMAT_VERSION`]; a newer major version is refused. This
//! module neither computes plans ([`crate::planner`]) nor runs them ([`crate::apply`]).

use std::collections::BTreeMap;
use std::time::Duration;

use fireform_core::{ResourceAddr, ResourceKind};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::kinds::{Ownership, PendingRef, Upload};
use crate::provider::Object;

/// The version of the plan format this build reads and writes.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// What a plan was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PlanMode {
    /// Make the account match the manifests.
    Apply,
    /// Delete everything fireform manages (or the targeted part of it).
    Destroy,
    /// Record in state what changed in the account, changing nothing there.
    RefreshOnly,
}

/// The action planned for one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Nothing changes (apply may still wait for it to become ready).
    NoOp,
    /// Create it.
    Create,
    /// Take an object that already exists in the account into state (and update the fields
    /// that differ, if any), instead of creating it twice.
    Adopt,
    /// Update fields in place.
    Update,
    /// Destroy and create again (or create first, then destroy, where ids allow).
    Replace,
    /// Destroy it.
    Delete,
    /// Read an object fireform does not own (a serverless model, an existing dataset) and
    /// record it in state.
    Read,
    /// Drop it from state without touching the account.
    Forget,
    /// Record in state what changed in the account (`--refresh-only`).
    Refresh,
}

impl Action {
    /// The marker printed before the address: `+`, `~`, `-/+`, `-`, `<=`, ….
    pub fn marker(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Adopt => "=>",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Read => "<=",
            Action::Forget => "x",
            Action::Refresh => "~",
        }
    }
}

/// The state a plan was made against; `apply` refuses a plan whose state has moved on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateRef {
    /// The state's lineage (empty when there was no state yet).
    pub lineage: String,
    /// The state's serial (0 when there was no state yet).
    pub serial: u64,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// [`PLAN_FORMAT_VERSION`] of the build that wrote it.
    pub format_version: u32,
    /// What the plan is for.
    pub mode: PlanMode,
    /// The account it applies to.
    pub account: String,
    /// The state it was made against.
    pub state: StateRef,
    /// One entry per resource considered, ordered by address.
    pub changes: Vec<ResourceChange>,
}

/// The planned action for one resource, with everything `apply` needs to carry it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceChange {
    /// The resource.
    pub addr: ResourceAddr,
    /// What happens to it.
    pub action: Action,
    /// Why, where it is not obvious (`` `baseModel` forces replacement ``).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// How the resource resolved (deployment types), for the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Field-level changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The object as it is now (state and account), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<Prior>,
    /// The object as apply will make it, if it will exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned: Option<Planned>,
    /// Older objects of this resource left by a replacement that created first and was stopped
    /// before it deleted them; apply deletes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Prior>,
    /// Whether the change comes from what the account reported (an object gone, failed or
    /// changed outside fireform) rather than from the manifests or the flags.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drift: bool,
    /// Immutable fields whose live value fireform cannot tell (the account reported none, or
    /// an enum value this version does not know): left as they are, never a replacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cannot_tell: Vec<String>,
    /// The address state records it under, when a `moved` document renames it: apply moves
    /// the record first, and nothing in the account changes for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<ResourceAddr>,
}

impl ResourceChange {
    /// A change of `addr` with nothing else said yet: no reasons, fields or objects.
    pub fn new(addr: ResourceAddr, action: Action) -> ResourceChange {
        ResourceChange {
            addr,
            action,
            reasons: Vec::new(),
            note: None,
            fields: Vec::new(),
            prior: None,
            planned: None,
            deposed: Vec::new(),
            drift: false,
            cannot_tell: Vec::new(),
            moved_from: None,
        }
    }

    /// Whether this entry changes the account or the state.
    pub fn is_change(&self) -> bool {
        self.action != Action::NoOp || !self.deposed.is_empty() || self.moved_from.is_some()
    }
}

/// One field that changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// Dotted path inside the spec, e.g. `autoscalingPolicy.scaleDownWindow`.
    pub path: String,
    /// The current value; absent for a create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Json>,
    /// The new value; absent when it is known only after apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Json>,
    /// Whether this change alone forces a replace.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forces_replace: bool,
}

/// The object that exists now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prior {
    /// Its Fireworks id.
    pub id: String,
    /// Its full name.
    pub remote_name: String,
    /// Whether fireform owns it (a read-only object is forgotten, never deleted).
    pub ownership: Ownership,
    /// For jobs: the model it produced, which destroy removes too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_model: Option<String>,
    /// For batch inference jobs: the dataset it wrote, which destroy removes too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_dataset: Option<String>,
    /// For jobs applied with `lifecycle.keepOutputs`: destroy leaves the output model or
    /// dataset in the account.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_outputs: bool,
}

/// The object apply will create or update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Planned {
    /// Its Fireworks id, or absent where the server picks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its full name, when the id is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_name: Option<String>,
    /// The wire body to create (or, for an update, to take the masked fields from).
    pub body: Object,
    /// For an update: the top-level fields to change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mask: Vec<String>,
    /// References resolved at apply time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingRef>,
    /// Dataset content to upload on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<Upload>,
    /// The dataset content's id, checked again at apply so a file edited after the plan is not
    /// uploaded under a stale id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    /// Whether fireform owns it.
    pub ownership: Ownership,
    /// What it depends on (references and `dependsOn`); apply starts it when they are ready.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<ResourceAddr>,
    /// Create the replacement before destroying the old object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// For jobs: leave the output model or dataset in the account when the job is destroyed
    /// (`lifecycle.keepOutputs`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_outputs: bool,
    /// Wait until it is ready (READY, DEPLOYED, COMPLETED) before dependents start.
    pub wait: bool,
    /// Whether an object found at create time (409) may be taken as this resource although no
    /// earlier run recorded the intent to create it: the manifest says `lifecycle.adopt`, or
    /// `fireform import` asked. Either way one marked by another project is refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub may_adopt: bool,
    /// Time limits, in seconds.
    pub timeouts: PlannedTimeouts,
}

/// Time limits for each action, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedTimeouts {
    /// Create, including waiting until ready.
    pub create: u64,
    /// Update, including waiting until ready.
    pub update: u64,
    /// Delete, including waiting until gone.
    pub delete: u64,
}

impl PlannedTimeouts {
    /// The kind's defaults, overridden by the manifest's `lifecycle.timeouts`.
    pub fn for_kind(kind: ResourceKind, lifecycle: &fireform_core::Timeouts) -> PlannedTimeouts {
        let (create, update, delete) = match kind {
            ResourceKind::Deployment => (3600, 3600, 1800),
            ResourceKind::LoraAddon => (1800, 1800, 1800),
            ResourceKind::Dataset => (1800, 600, 600),
            ResourceKind::SupervisedFineTuningJob
            | ResourceKind::ReinforcementFineTuningJob
            | ResourceKind::BatchInferenceJob => (7 * 86_400, 600, 1800),
        };
        let seconds =
            |limit: Option<Duration>, default: u64| limit.map_or(default, |d| d.as_secs().max(1));
        PlannedTimeouts {
            create: seconds(lifecycle.create, create),
            update: seconds(lifecycle.update, update),
            delete: seconds(lifecycle.delete, delete),
        }
    }
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Objects adopted into state.
    pub import: usize,
    /// Objects created (replacements count here too).
    pub add: usize,
    /// Objects updated in place.
    pub change: usize,
    /// Objects destroyed (replacements count here too).
    pub destroy: usize,
}

impl Plan {
    /// The recorded resources this plan would replace, create again or drop from state only
    /// because of what the account reported (gone, failed, changed outside fireform), not
    /// because the manifests or the flags ask for it.
    pub fn drift_losses(&self) -> Vec<&ResourceAddr> {
        self.changes
            .iter()
            .filter(|change| {
                change.drift
                    && matches!(change.action, Action::Create | Action::Replace | Action::Forget)
            })
            .map(|change| &change.addr)
            .collect()
    }

    /// Whether applying the plan changes anything (account or state).
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(ResourceChange::is_change)
    }

    /// Counts of each sort of change.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.add += 1,
                Action::Adopt => {
                    summary.import += 1;
                    if !change.fields.is_empty() {
                        summary.change += 1;
                    }
                }
                Action::Update | Action::Refresh => summary.change += 1,
                Action::Replace => {
                    summary.add += 1;
                    summary.destroy += 1;
                }
                Action::Delete => summary.destroy += 1,
                Action::NoOp | Action::Read | Action::Forget => {}
            }
            summary.destroy += change.deposed.len();
        }
        summary
    }

    /// The plan as pretty JSON (the `plan --json` and `plan -out` format).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plans serialise: keys are strings")
    }

    /// Reads a plan written by [`Plan::to_json`].
    pub fn from_json(text: &str) -> Result<Plan, PlanFileError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Header {
            format_version: u32,
        }
        let header: Header = serde_json::from_str(text).map_err(PlanFileError::Invalid)?;
        if header.format_version > PLAN_FORMAT_VERSION {
            return Err(PlanFileError::Newer {
                found: header.format_version,
                supported: PLAN_FORMAT_VERSION,
            });
        }
        serde_json::from_str(text).map_err(PlanFileError::Invalid)
    }

    /// The change for `addr`.
    pub fn change(&self, addr: &ResourceAddr) -> Option<&ResourceChange> {
        self.changes.iter().find(|change| &change.addr == addr)
    }

    /// Changes indexed by address.
    pub fn by_addr(&self) -> BTreeMap<&ResourceAddr, &ResourceChange> {
        self.changes.iter().map(|change| (&change.addr, change)).collect()
    }
}

/// Why a saved plan cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// Not a plan.
    #[error("not a fireform plan")]
    Invalid(#[source] serde_json::Error),
    /// Written by a newer fireform.
    #[error("plan format version {found} is newer than this build reads ({supported})")]
    Newer {
        /// The version in the file.
        found: u32,
        /// The newest this build reads.
        supported: u32,
    },
}

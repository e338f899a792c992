//! The closed set of resource kinds a manifest can declare.
//!
//! Each kind knows its three spellings: the manifest `kind:` value (`LoraAddon`), the address
//! prefix used in plans, state and references (`lora-addon`), and the Fireworks REST collection
//! it lives in (`deployedModels`). It does not know the fields of each kind.

use std::fmt;

/// A kind of Fireworks resource that fireform manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    /// A dedicated (on-demand) deployment, or a serverless model resolved from one.
    Deployment,
    /// A LoRA addon loaded onto a deployment (a Fireworks deployed model).
    LoraAddon,
    /// A dataset uploaded from a file, inline rows, or an existing id.
    Dataset,
    /// A supervised fine-tuning job.
    SupervisedFineTuningJob,
    /// A reinforcement fine-tuning job.
    ReinforcementFineTuningJob,
    /// A batch inference job.
    BatchInferenceJob,
}

impl ResourceKind {
    /// Every kind, in the order used for stable output.
    pub const ALL: [ResourceKind; 6] = [
        ResourceKind::Deployment,
        ResourceKind::LoraAddon,
        ResourceKind::Dataset,
        ResourceKind::SupervisedFineTuningJob,
        ResourceKind::ReinforcementFineTuningJob,
        ResourceKind::BatchInferenceJob,
    ];

    /// The value of `kind:` in a manifest document, e.g. `LoraAddon`.
    pub fn manifest_name(self) -> &'static str {
        match self {
            ResourceKind::Deployment => "Deployment",
            ResourceKind::LoraAddon => "LoraAddon",
            ResourceKind::Dataset => "Dataset",
            ResourceKind::SupervisedFineTuningJob => "SupervisedFineTuningJob",
            ResourceKind::ReinforcementFineTuningJob => "ReinforcementFineTuningJob",
            ResourceKind::BatchInferenceJob => "BatchInferenceJob",
        }
    }

    /// The kebab-case prefix of addresses, e.g. `lora-addon` in `lora-addon/support-v1`.
    pub fn addr_prefix(self) -> &'static str {
        match self {
            ResourceKind::Deployment => "deployment",
            ResourceKind::LoraAddon => "lora-addon",
            ResourceKind::Dataset => "dataset",
            ResourceKind::SupervisedFineTuningJob => "supervised-fine-tuning-job",
            ResourceKind::ReinforcementFineTuningJob => "reinforcement-fine-tuning-job",
            ResourceKind::BatchInferenceJob => "batch-inference-job",
        }
    }

    /// The Fireworks REST collection, e.g. `deployedModels`.
    pub fn collection(self) -> &'static str {
        match self {
            ResourceKind::Deployment => "deployments",
            ResourceKind::LoraAddon => "deployedModels",
            ResourceKind::Dataset => "datasets",
            ResourceKind::SupervisedFineTuningJob => "supervisedFineTuningJobs",
            ResourceKind::ReinforcementFineTuningJob => "reinforcementFineTuningJobs",
            ResourceKind::BatchInferenceJob => "batchInferenceJobs",
        }
    }

    /// Whether the Fireworks id of a resource of this kind is its manifest name, so that a new
    /// name means a new object: the API cannot rename it. False for a Dataset (its id is
    /// content-addressed, or pinned by `datasetId`) and a LoRA addon (the server picks its id).
    pub fn id_is_name(self) -> bool {
        match self {
            ResourceKind::Deployment
            | ResourceKind::SupervisedFineTuningJob
            | ResourceKind::ReinforcementFineTuningJob
            | ResourceKind::BatchInferenceJob => true,
            ResourceKind::LoraAddon | ResourceKind::Dataset => false,
        }
    }

    /// Looks a kind up by its manifest name (`LoraAddon`), exactly.
    pub fn from_manifest_name(name: &str) -> Option<ResourceKind> {
        ResourceKind::ALL.into_iter().find(|kind| kind.manifest_name() == name)
    }

    /// Looks a kind up by its address prefix (`lora-addon`), exactly.
    pub fn from_addr_prefix(prefix: &str) -> Option<ResourceKind> {
        ResourceKind::ALL.into_iter().find(|kind| kind.addr_prefix() == prefix)
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.manifest_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for kind in ResourceKind::ALL {
            assert_eq!(ResourceKind::from_manifest_name(kind.manifest_name()), Some(kind));
            assert_eq!(ResourceKind::from_addr_prefix(kind.addr_prefix()), Some(kind));
        }
        assert_eq!(ResourceKind::from_manifest_name("Deploymnet"), None);
    }

    #[test]
    fn only_datasets_and_addons_have_ids_apart_from_their_names() {
        let renamable: Vec<ResourceKind> =
            ResourceKind::ALL.into_iter().filter(|kind| !kind.id_is_name()).collect();
        assert_eq!(renamable, [ResourceKind::LoraAddon, ResourceKind::Dataset]);
    }
}

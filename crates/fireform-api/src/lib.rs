//! Wire types of the Fireworks control-plane REST API, shared by fireform's client and its
//! emulator: request and response bodies, the error body, list pages, resource names and paths.
//!
//! Conventions (see `fireworks-control-plane.md` §0.2):
//! - JSON names are camelCase; snake_case input is accepted through serde aliases.
//! - 64-bit integers travel as JSON strings ([`int64`]); durations as `"30s"` ([`ProtoDuration`]).
//! - Enums are open: a value this version does not know is kept as `Unknown(String)` and written
//!   back verbatim.
//! - Every field is an `Option`, omitted when `None`; resources keep fields this version does not
//!   know in `extra`, so nothing a newer server sends is lost on a read-modify-write.
//!
//! This crate performs no I/O and holds no behaviour beyond parsing, formatting and
//! classification; the golden fixtures in `tests/fixtures` pin the JSON names.

mod dataset;
mod deployment;
mod duration;
mod enums;
mod evaluator;
pub mod int64;
mod job;
mod list;
mod model;
mod path;
mod status;

use serde::{Deserialize, Serialize};

pub use dataset::{
    CreateDatasetRequest, Dataset, EvaluationResult, GetDownloadEndpointResponse,
    GetUploadEndpointRequest, GetUploadEndpointResponse, Splitted, Transformed, UploadResponse,
    ValidateUploadResponse,
};
pub use deployment::{
    AutoTune, AutoscalingPolicy, DeployedModel, Deployment, Placement, ReplicaStats, ScaleRequest,
};
pub use duration::{DurationParseError, ProtoDuration};
pub use enums::{
    AcceleratorType, AccountType, CheckpointFormat, Code, CriterionType, DatasetFormat,
    DatasetState, DeployedModelState, DeploymentState, DirectRouteType, EvaluatorSourceType,
    EvaluatorState, HotLoadBucketType, JobClass, JobState, LossMethod, ModelKind, ModelState,
    MultiRegion, Precision, UploadState,
};
pub use evaluator::{
    Account, CodeSnippets, CreateEvaluatorRequest, Criterion, Evaluator, EvaluatorSource,
};
pub use job::{
    AwsS3Config, AzureBlobStorageConfig, BatchInferenceJob, BatchInferenceParameters, DpoConfig,
    InferenceParameters, JobProgress, LossConfig, Money, ReinforcementFineTuningJob,
    SupervisedFineTuningJob, TrainingConfig, WandbConfig,
};
pub use list::{
    DEFAULT_PAGE_SIZE, ListAccountsResponse, ListBatchInferenceJobsResponse, ListDatasetsResponse,
    ListDeployedModelsResponse, ListDeploymentsResponse, ListEvaluatorsResponse,
    ListModelsResponse, ListPage, ListQuery, ListReinforcementFineTuningJobsResponse,
    ListSupervisedFineTuningJobsResponse, MAX_PAGE_SIZE,
};
pub use model::{
    BaseModelDetails, ConversationConfig, CreateModelRequest, Date, DeployedModelRef, Model,
    PeftDetails,
};
pub use path::{
    API_PREFIX, Collection, CreateId, NameParseError, PUBLIC_ACCOUNT, ResourceName, account_name,
    collection_path, model_name,
};
pub use status::{ErrorBody, Status};

/// An empty message: `{}` (`google.protobuf.Empty`, and empty oneof markers such as
/// `userUploaded`). Unknown fields are kept so they round-trip.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Empty {
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Empty {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Access to the fields a body carried that this version does not know (kept in `extra` at every
/// level), so a server can ignore them and a test can prove none were expected.
pub trait UnknownFields {
    /// Appends the dotted paths of unknown fields, at any depth, each prefixed with `prefix`.
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>);

    /// Drops every unknown field, at any depth.
    fn clear_unknown(&mut self);

    /// The dotted paths of unknown fields at any depth, e.g. `autoscalingPolicy.scaleUpWindw`.
    fn unknown_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_unknown("", &mut out);
        out
    }
}

fn collect_extra(
    extra: &serde_json::Map<String, serde_json::Value>,
    prefix: &str,
    out: &mut Vec<String>,
) {
    out.extend(extra.keys().map(|key| format!("{prefix}{key}")));
}

impl UnknownFields for Status {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// A resource of a [`Collection`]: lets generic code (paging, waiting, the emulator's store) find
/// the collection and the name of any resource body.
pub trait Resource: Serialize + for<'de> Deserialize<'de> + Clone + UnknownFields {
    /// The collection the resource lives in.
    const COLLECTION: Collection;

    /// The resource name (`accounts/{a}/{collection}/{id}`), if the body carries one.
    fn name(&self) -> Option<&str>;

    /// The fields this version does not know.
    fn extra(&self) -> &serde_json::Map<String, serde_json::Value>;
}

macro_rules! impl_resource {
    ($($type:ty => $collection:ident),+ $(,)?) => {
        $(
            impl Resource for $type {
                const COLLECTION: Collection = Collection::$collection;

                fn name(&self) -> Option<&str> {
                    self.name.as_deref()
                }

                fn extra(&self) -> &serde_json::Map<String, serde_json::Value> {
                    &self.extra
                }
            }
        )+
    };
}

impl_resource!(
    Deployment => Deployments,
    DeployedModel => DeployedModels,
    Model => Models,
    Dataset => Datasets,
    SupervisedFineTuningJob => SupervisedFineTuningJobs,
    ReinforcementFineTuningJob => ReinforcementFineTuningJobs,
    BatchInferenceJob => BatchInferenceJobs,
    Evaluator => Evaluators,
);

//! Open enums of the API: each known wire value is a variant, and any other value survives as
//! `Unknown(String)` so a newer server's states round-trip instead of failing to parse.
//!
//! The enums hold no behaviour beyond classification helpers ([`JobState::class`] and friends);
//! what a state means for a plan is decided by the client and the reconciler.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares an open enum: one variant per known wire string plus `Unknown(String)`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($variant:ident => $wire:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                #[doc = concat!("`", $wire, "`")]
                $variant,
            )+
            /// A value this version does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const KNOWN: &[$name] = &[$($name::$variant),+];

            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(text) => text,
                }
            }

            /// Parses a wire value; never fails, unknown values become `Unknown`.
            pub fn from_wire(text: &str) -> Self {
                match text {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::from_wire(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
                Ok(Self::from_wire(&text))
            }
        }
    };
}

open_enum! {
    /// State of a deployment (§1.4).
    pub enum DeploymentState {
        Unspecified => "STATE_UNSPECIFIED",
        Creating => "CREATING",
        Ready => "READY",
        Deleting => "DELETING",
        Failed => "FAILED",
        Updating => "UPDATING",
        Deleted => "DELETED",
    }
}

impl DeploymentState {
    /// True for the states a waiter must give up on: `FAILED`, `DELETING`, `DELETED`.
    pub fn is_terminal_bad(&self) -> bool {
        matches!(self, Self::Failed | Self::Deleting | Self::Deleted)
    }
}

open_enum! {
    /// GPU type of a deployment (§1.4).
    pub enum AcceleratorType {
        Unspecified => "ACCELERATOR_TYPE_UNSPECIFIED",
        NvidiaA100_80Gb => "NVIDIA_A100_80GB",
        NvidiaH100_80Gb => "NVIDIA_H100_80GB",
        AmdMi300X192Gb => "AMD_MI300X_192GB",
        NvidiaA10G24Gb => "NVIDIA_A10G_24GB",
        NvidiaA100_40Gb => "NVIDIA_A100_40GB",
        NvidiaL4_24Gb => "NVIDIA_L4_24GB",
        NvidiaH200_141Gb => "NVIDIA_H200_141GB",
        NvidiaB200_180Gb => "NVIDIA_B200_180GB",
        AmdMi325X256Gb => "AMD_MI325X_256GB",
        AmdMi350X288Gb => "AMD_MI350X_288GB",
        NvidiaB300_288Gb => "NVIDIA_B300_288GB",
    }
}

open_enum! {
    /// Serving precision (§1.4).
    pub enum Precision {
        Unspecified => "PRECISION_UNSPECIFIED",
        Fp16 => "FP16",
        Fp8 => "FP8",
        Fp8Mm => "FP8_MM",
        Fp8Ar => "FP8_AR",
        Fp8MmKvAttn => "FP8_MM_KV_ATTN",
        Fp8Kv => "FP8_KV",
        Fp8MmV2 => "FP8_MM_V2",
        Fp8V2 => "FP8_V2",
        Fp8MmKvAttnV2 => "FP8_MM_KV_ATTN_V2",
        Nf4 => "NF4",
        Fp4 => "FP4",
        Bf16 => "BF16",
        Fp4BlockscaledMm => "FP4_BLOCKSCALED_MM",
        Fp4MxMoe => "FP4_MX_MOE",
    }
}

open_enum! {
    /// How a deployment's direct route is exposed (§1.4).
    pub enum DirectRouteType {
        Unspecified => "DIRECT_ROUTE_TYPE_UNSPECIFIED",
        Internet => "INTERNET",
        GcpPrivateServiceConnect => "GCP_PRIVATE_SERVICE_CONNECT",
        AwsPrivatelink => "AWS_PRIVATELINK",
    }
}

open_enum! {
    /// Storage behind hot-loaded weights (§1.4).
    pub enum HotLoadBucketType {
        Unspecified => "BUCKET_TYPE_UNSPECIFIED",
        Minio => "MINIO",
        S3 => "S3",
        Nebius => "NEBIUS",
        FwHosted => "FW_HOSTED",
    }
}

open_enum! {
    /// A group of regions a deployment may be placed in (§1.4).
    pub enum MultiRegion {
        Unspecified => "MULTI_REGION_UNSPECIFIED",
        Global => "GLOBAL",
        Us => "US",
        Europe => "EUROPE",
        Apac => "APAC",
    }
}

open_enum! {
    /// State of a deployed model, i.e. a LoRA load (§2).
    pub enum DeployedModelState {
        Unspecified => "STATE_UNSPECIFIED",
        Undeploying => "UNDEPLOYING",
        Deploying => "DEPLOYING",
        Deployed => "DEPLOYED",
        Updating => "UPDATING",
    }
}

open_enum! {
    /// Kind of a model (§3).
    pub enum ModelKind {
        Unspecified => "KIND_UNSPECIFIED",
        HfBaseModel => "HF_BASE_MODEL",
        HfPeftAddon => "HF_PEFT_ADDON",
        HfTeftAddon => "HF_TEFT_ADDON",
        FluminaBaseModel => "FLUMINA_BASE_MODEL",
        FluminaAddon => "FLUMINA_ADDON",
        DraftAddon => "DRAFT_ADDON",
        FireAgent => "FIRE_AGENT",
        LiveMerge => "LIVE_MERGE",
        CustomModel => "CUSTOM_MODEL",
        EmbeddingModel => "EMBEDDING_MODEL",
        SnapshotModel => "SNAPSHOT_MODEL",
    }
}

open_enum! {
    /// State of a model or a dataset: both use the same three values (§3, §4.2).
    pub enum UploadState {
        Unspecified => "STATE_UNSPECIFIED",
        Uploading => "UPLOADING",
        Ready => "READY",
    }
}

/// State of a model (§3).
pub type ModelState = UploadState;

/// State of a dataset (§4.2).
pub type DatasetState = UploadState;

open_enum! {
    /// Checkpoint format of a base model (§3).
    pub enum CheckpointFormat {
        Unspecified => "CHECKPOINT_FORMAT_UNSPECIFIED",
        Native => "NATIVE",
        Huggingface => "HUGGINGFACE",
        Uninitialized => "UNINITIALIZED",
    }
}

open_enum! {
    /// Row format of a dataset (§4.2).
    pub enum DatasetFormat {
        Unspecified => "FORMAT_UNSPECIFIED",
        Chat => "CHAT",
        Completion => "COMPLETION",
        Rl => "RL",
    }
}

open_enum! {
    /// State of every job kind (§13.1), with the values seen in any source.
    pub enum JobState {
        Unspecified => "JOB_STATE_UNSPECIFIED",
        Creating => "JOB_STATE_CREATING",
        Running => "JOB_STATE_RUNNING",
        Completed => "JOB_STATE_COMPLETED",
        Failed => "JOB_STATE_FAILED",
        Cancelled => "JOB_STATE_CANCELLED",
        Deleting => "JOB_STATE_DELETING",
        WritingResults => "JOB_STATE_WRITING_RESULTS",
        Validating => "JOB_STATE_VALIDATING",
        DeletingCleaningUp => "JOB_STATE_DELETING_CLEANING_UP",
        Pending => "JOB_STATE_PENDING",
        Expired => "JOB_STATE_EXPIRED",
        ReQueueing => "JOB_STATE_RE_QUEUEING",
        CreatingInputDataset => "JOB_STATE_CREATING_INPUT_DATASET",
        Idle => "JOB_STATE_IDLE",
        Cancelling => "JOB_STATE_CANCELLING",
        EarlyStopped => "JOB_STATE_EARLY_STOPPED",
        Paused => "JOB_STATE_PAUSED",
        Deleted => "JOB_STATE_DELETED",
        Archived => "JOB_STATE_ARCHIVED",
        Rollout => "JOB_STATE_ROLLOUT",
        Evaluation => "JOB_STATE_EVALUATION",
        FailedCleaningUp => "JOB_STATE_FAILED_CLEANING_UP",
        PolicyUpdate => "JOB_STATE_POLICY_UPDATE",
        ExpiredCleaningUp => "JOB_STATE_EXPIRED_CLEANING_UP",
        CreatingDependencies => "JOB_STATE_CREATING_DEPENDENCIES",
    }
}

/// The coarse meaning of a [`JobState`], as §13.1 suggests for the reconciler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobClass {
    /// Still working towards a result; keep polling.
    InProgress,
    /// Finished with a result (the output model or dataset exists).
    Succeeded,
    /// Stopped without a result: failed, cancelled or expired.
    Failed,
    /// Being deleted or a tombstone; the id cannot be reused.
    GoingAway,
    /// `JOB_STATE_UNSPECIFIED` or a value this version does not know.
    Unknown,
}

impl JobState {
    /// Classifies the state per §13.1.
    pub fn class(&self) -> JobClass {
        match self {
            Self::Creating
            | Self::Pending
            | Self::Validating
            | Self::Running
            | Self::WritingResults
            | Self::ReQueueing
            | Self::CreatingInputDataset
            | Self::Idle
            | Self::Cancelling
            | Self::Rollout
            | Self::Evaluation
            | Self::PolicyUpdate
            | Self::CreatingDependencies
            | Self::Paused => JobClass::InProgress,
            Self::Completed | Self::EarlyStopped => JobClass::Succeeded,
            Self::Failed
            | Self::FailedCleaningUp
            | Self::Cancelled
            | Self::Expired
            | Self::ExpiredCleaningUp => JobClass::Failed,
            Self::Deleting | Self::DeletingCleaningUp | Self::Deleted | Self::Archived => {
                JobClass::GoingAway
            }
            Self::Unspecified | Self::Unknown(_) => JobClass::Unknown,
        }
    }

    /// True while the job is still working.
    pub fn is_in_progress(&self) -> bool {
        self.class() == JobClass::InProgress
    }

    /// True once the job has produced its result.
    pub fn is_succeeded(&self) -> bool {
        self.class() == JobClass::Succeeded
    }

    /// True once the job stopped without a result.
    pub fn is_failed(&self) -> bool {
        self.class() == JobClass::Failed
    }

    /// True while the job is being deleted or is a tombstone.
    pub fn is_going_away(&self) -> bool {
        self.class() == JobClass::GoingAway
    }
}

open_enum! {
    /// Loss of an RL or preference job (§6).
    pub enum LossMethod {
        Unspecified => "METHOD_UNSPECIFIED",
        Grpo => "GRPO",
        Dapo => "DAPO",
        Dpo => "DPO",
        Orpo => "ORPO",
        GspoToken => "GSPO_TOKEN",
    }
}

open_enum! {
    /// State of an evaluator (§10.1).
    pub enum EvaluatorState {
        Unspecified => "STATE_UNSPECIFIED",
        Active => "ACTIVE",
        Building => "BUILDING",
        BuildFailed => "BUILD_FAILED",
    }
}

open_enum! {
    /// Type of an evaluator criterion (§10.1).
    pub enum CriterionType {
        Unspecified => "TYPE_UNSPECIFIED",
        CodeSnippets => "CODE_SNIPPETS",
    }
}

open_enum! {
    /// Where an evaluator's code comes from (§10.1).
    pub enum EvaluatorSourceType {
        Unspecified => "TYPE_UNSPECIFIED",
        Upload => "TYPE_UPLOAD",
        Github => "TYPE_GITHUB",
        Temporary => "TYPE_TEMPORARY",
    }
}

open_enum! {
    /// Type of an account (§12).
    pub enum AccountType {
        Unspecified => "ACCOUNT_TYPE_UNSPECIFIED",
        Enterprise => "ENTERPRISE",
    }
}

open_enum! {
    /// The google.rpc code names, as they appear inside a resource's `status` (§13.5).
    ///
    /// Error bodies carry the numeric form; see [`Code::number`] and [`Code::from_number`].
    pub enum Code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        UnknownError => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

impl Code {
    /// The numeric google.rpc code (`NOT_FOUND` is 5); `None` for an unknown name.
    pub fn number(&self) -> Option<i32> {
        Some(match self {
            Self::Ok => 0,
            Self::Cancelled => 1,
            Self::UnknownError => 2,
            Self::InvalidArgument => 3,
            Self::DeadlineExceeded => 4,
            Self::NotFound => 5,
            Self::AlreadyExists => 6,
            Self::PermissionDenied => 7,
            Self::ResourceExhausted => 8,
            Self::FailedPrecondition => 9,
            Self::Aborted => 10,
            Self::OutOfRange => 11,
            Self::Unimplemented => 12,
            Self::Internal => 13,
            Self::Unavailable => 14,
            Self::DataLoss => 15,
            Self::Unauthenticated => 16,
            Self::Unknown(_) => return None,
        })
    }

    /// The code with this number; numbers outside 0..=16 become `Unknown("<n>")`.
    pub fn from_number(number: i64) -> Self {
        Self::KNOWN
            .iter()
            .find(|code| code.number().map(i64::from) == Some(number))
            .cloned()
            .unwrap_or_else(|| Self::Unknown(number.to_string()))
    }

    /// The HTTP status the grpc-gateway mapping gives this code (§0.6).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Ok => 200,
            Self::InvalidArgument | Self::FailedPrecondition | Self::OutOfRange => 400,
            Self::Unauthenticated => 401,
            Self::PermissionDenied => 403,
            Self::NotFound => 404,
            Self::AlreadyExists | Self::Aborted => 409,
            Self::ResourceExhausted => 429,
            Self::Cancelled => 499,
            Self::Unimplemented => 501,
            Self::Unavailable => 503,
            Self::DeadlineExceeded => 504,
            Self::Internal | Self::UnknownError | Self::DataLoss | Self::Unknown(_) => 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_round_trip() {
        let state: DeploymentState = serde_json::from_str(r#""HIBERNATING""#).unwrap();
        assert_eq!(state, DeploymentState::Unknown("HIBERNATING".to_owned()));
        assert_eq!(serde_json::to_string(&state).unwrap(), r#""HIBERNATING""#);
        let known: DeploymentState = serde_json::from_str(r#""READY""#).unwrap();
        assert_eq!(known, DeploymentState::Ready);
    }

    #[test]
    fn every_known_value_round_trips() {
        for state in JobState::KNOWN {
            assert_eq!(&JobState::from_wire(state.as_str()), state);
        }
        for code in Code::KNOWN {
            let number = code.number().unwrap();
            assert_eq!(&Code::from_number(number.into()), code);
        }
    }

    #[test]
    fn job_states_classify_per_reference() {
        assert_eq!(JobState::Pending.class(), JobClass::InProgress);
        assert_eq!(JobState::EarlyStopped.class(), JobClass::Succeeded);
        assert_eq!(JobState::Cancelled.class(), JobClass::Failed);
        assert_eq!(JobState::Archived.class(), JobClass::GoingAway);
        assert_eq!(JobState::from_wire("JOB_STATE_NEW").class(), JobClass::Unknown);
        assert!(JobState::Completed.is_succeeded());
    }

    #[test]
    fn codes_map_to_http_statuses() {
        assert_eq!(Code::from_number(5).http_status(), 404);
        assert_eq!(Code::FailedPrecondition.http_status(), 400);
        assert_eq!(Code::AlreadyExists.http_status(), 409);
        assert_eq!(Code::from_number(99), Code::Unknown("99".to_owned()));
    }
}

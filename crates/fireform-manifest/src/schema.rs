//! The declarative schema of every manifest kind: which `spec` fields exist, their types,
//! whether they are required, which values an enum takes, which fields cannot change after
//! create, and which attributes other resources may reference.
//!
//! This table is the single source of truth for the checker in this crate, for the plan
//! engine (immutable fields plan a replace) and for the JSON Schema of manifests. Field names
//! and enum values follow the Fireworks REST API (camelCase, create-time fields only); output-only
//! wire fields are not spec fields. Cross-field rules (exactly one dataset source, serverless
//! deployments without hardware fields, …) live in the checker, not here.

use fireform_core::ResourceKind;

/// The schema of one kind: its spec fields and its referenceable attributes.
#[derive(Debug)]
pub struct KindSchema {
    /// The kind described.
    pub kind: ResourceKind,
    /// One line on what a resource of this kind is.
    pub doc: &'static str,
    /// The fields of `spec`, in documentation order.
    pub fields: &'static [FieldSchema],
    /// What `${kind/name.attribute}` may name for this kind. Always contains `name` (the full
    /// Fireworks resource name, also what `${kind/name}` means) and `id`.
    pub attributes: &'static [AttributeSchema],
}

impl KindSchema {
    /// The spec field called `name`, if there is one.
    pub fn field(&self, name: &str) -> Option<&'static FieldSchema> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The referenceable attribute called `name`, if there is one.
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeSchema> {
        self.attributes.iter().find(|attribute| attribute.name == name)
    }

    /// The field at a dotted path such as `autoscalingPolicy.scaleDownWindow`, descending
    /// into objects.
    pub fn field_at(&self, path: &str) -> Option<&'static FieldSchema> {
        let mut segments = path.split('.');
        let mut field = self.field(segments.next()?)?;
        for segment in segments {
            let FieldType::Object(fields) = field.ty else { return None };
            field = fields.iter().find(|field| field.name == segment)?;
        }
        Some(field)
    }

    /// Whether a change to the field at `path` (dotted) forces a replace: the field itself or
    /// any object it sits in is immutable after create.
    pub fn is_immutable(&self, path: &str) -> bool {
        let mut fields = self.fields;
        for segment in path.split('.') {
            let Some(field) = fields.iter().find(|field| field.name == segment) else {
                return false;
            };
            if field.immutable {
                return true;
            }
            match field.ty {
                FieldType::Object(children) => fields = children,
                _ => return false,
            }
        }
        false
    }
}

/// One field of a spec (or of an object inside it).
#[derive(Debug)]
pub struct FieldSchema {
    /// camelCase name, as in the Fireworks REST API.
    pub name: &'static str,
    /// The type of its value.
    pub ty: FieldType,
    /// Whether the field must be present.
    pub required: bool,
    /// Whether changing it after create needs a replace rather than an in-place update.
    pub immutable: bool,
    /// Whether the field is fireform's own and never sent to the API (`deploymentType`).
    pub manifest_only: bool,
    /// Whether a literal value must be a full name (`accounts/{a}/models/{id}`) rather than a
    /// bare id: the models a resource serves or trains from live in `accounts/fireworks` as
    /// often as in one's own account, so a bare id would leave fireform to guess which.
    pub full_name: bool,
    /// One line for documentation and the JSON Schema.
    pub doc: &'static str,
}

impl FieldSchema {
    const fn new(name: &'static str, ty: FieldType, doc: &'static str) -> FieldSchema {
        FieldSchema {
            name,
            ty,
            required: false,
            immutable: false,
            manifest_only: false,
            full_name: false,
            doc,
        }
    }

    const fn required(self) -> FieldSchema {
        FieldSchema { required: true, ..self }
    }

    const fn immutable(self) -> FieldSchema {
        FieldSchema { immutable: true, ..self }
    }

    const fn manifest_only(self) -> FieldSchema {
        FieldSchema { manifest_only: true, ..self }
    }

    const fn full_name(self) -> FieldSchema {
        FieldSchema { full_name: true, ..self }
    }
}

/// The type of a field's value.
#[derive(Debug)]
pub enum FieldType {
    /// Free text. A `${…}` reference is allowed and resolves to a string.
    String {
        /// Longest allowed value in characters, if limited.
        max_len: Option<usize>,
    },
    /// A resource id (`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`); no references.
    Id,
    /// `true` or `false`.
    Bool,
    /// A whole number in `min..=max`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A number in `min..=max`; whole numbers are accepted.
    Float {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// A duration written `30s`, `10m`, `1h`, `1.5s` or `1h30m`.
    Duration {
        /// Shortest allowed duration in seconds, if limited.
        min_secs: Option<u64>,
        /// Longest allowed duration in seconds, if limited.
        max_secs: Option<u64>,
    },
    /// One of a list of strings.
    Enum {
        /// The known values.
        values: &'static [&'static str],
        /// Whether other values are accepted with a warning (the API grows the list, e.g.
        /// regions) rather than rejected.
        open: bool,
    },
    /// A Fireworks resource name (`accounts/{a}/{collection}/{id}`) or bare id, or a reference
    /// to a manifest resource attribute that names the same sort of thing.
    Name(NameOf),
    /// A nested object with its own fields.
    Object(&'static [FieldSchema]),
    /// A mapping from string keys to values of one type.
    Map {
        /// The allowed keys, or `None` for any key.
        keys: Option<&'static [&'static str]>,
        /// The type of every value.
        values: &'static FieldType,
    },
    /// A list of values of one type.
    List(&'static FieldType),
    /// A path to a local `.jsonl` file, relative to the manifest file.
    Path,
    /// Inline dataset rows: a list of JSON objects, kept as data (no references).
    Rows,
}

impl FieldType {
    /// A short description for messages, e.g. `an integer` or `a duration`.
    pub fn describe(&self) -> String {
        match self {
            FieldType::String { .. } => "a string".to_owned(),
            FieldType::Id => "a resource id".to_owned(),
            FieldType::Bool => "`true` or `false`".to_owned(),
            FieldType::Int { .. } => "an integer".to_owned(),
            FieldType::Float { .. } => "a number".to_owned(),
            FieldType::Duration { .. } => "a duration such as `30s`, `10m` or `1h`".to_owned(),
            FieldType::Enum { .. } => "one of the listed values".to_owned(),
            FieldType::Name(name_of) => format!("{} name or a reference", name_of.describe()),
            FieldType::Object(_) => "a mapping".to_owned(),
            FieldType::Map { .. } => "a mapping".to_owned(),
            FieldType::List(_) => "a list".to_owned(),
            FieldType::Path => "a path to a `.jsonl` file".to_owned(),
            FieldType::Rows => "a list of rows (JSON objects)".to_owned(),
        }
    }
}

/// What sort of Fireworks object a name field or attribute names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameOf {
    /// A resource of a manifest kind (`accounts/{a}/deployments/{id}`, …).
    Resource(ResourceKind),
    /// A model (`accounts/{a}/models/{id}`), e.g. a base model or a job's output model.
    Model,
    /// An evaluator (`accounts/{a}/evaluators/{id}`); not a manifest kind yet.
    Evaluator,
}

impl NameOf {
    /// The REST collection the name lives in, e.g. `models`.
    pub fn collection(self) -> &'static str {
        match self {
            NameOf::Resource(kind) => kind.collection(),
            NameOf::Model => "models",
            NameOf::Evaluator => "evaluators",
        }
    }

    /// A description with an article, e.g. `a model`.
    pub fn describe(self) -> &'static str {
        match self {
            NameOf::Resource(ResourceKind::Deployment) => "a deployment",
            NameOf::Resource(ResourceKind::LoraAddon) => "a deployed model",
            NameOf::Resource(ResourceKind::Dataset) => "a dataset",
            NameOf::Resource(ResourceKind::SupervisedFineTuningJob) => {
                "a supervised fine-tuning job"
            }
            NameOf::Resource(ResourceKind::ReinforcementFineTuningJob) => {
                "a reinforcement fine-tuning job"
            }
            NameOf::Resource(ResourceKind::BatchInferenceJob) => "a batch inference job",
            NameOf::Model => "a model",
            NameOf::Evaluator => "an evaluator",
        }
    }
}

/// An attribute of a resource that others may reference as `${kind/name.attribute}`.
#[derive(Debug)]
pub struct AttributeSchema {
    /// The attribute name, e.g. `outputModel`.
    pub name: &'static str,
    /// What the value names, or `None` for a plain string (such as `id`).
    pub names: Option<NameOf>,
    /// Whether the value is known only after apply (`name` of a deployed model, whose id the
    /// server picks) rather than derivable from the manifest.
    pub known_after_apply: bool,
    /// One line for documentation.
    pub doc: &'static str,
}

const fn attribute(
    name: &'static str,
    names: Option<NameOf>,
    doc: &'static str,
) -> AttributeSchema {
    AttributeSchema { name, names, known_after_apply: false, doc }
}

const fn attribute_after_apply(
    name: &'static str,
    names: Option<NameOf>,
    doc: &'static str,
) -> AttributeSchema {
    AttributeSchema { name, names, known_after_apply: true, doc }
}

/// The schema of `kind`.
pub fn kind_schema(kind: ResourceKind) -> &'static KindSchema {
    match kind {
        ResourceKind::Deployment => &DEPLOYMENT,
        ResourceKind::LoraAddon => &LORA_ADDON,
        ResourceKind::Dataset => &DATASET,
        ResourceKind::SupervisedFineTuningJob => &SUPERVISED_FINE_TUNING_JOB,
        ResourceKind::ReinforcementFineTuningJob => &REINFORCEMENT_FINE_TUNING_JOB,
        ResourceKind::BatchInferenceJob => &BATCH_INFERENCE_JOB,
    }
}

/// The keys a manifest document may have at its top level: a resource's, or `moved` alone.
pub const DOCUMENT_KEYS: &[&str] = &["kind", "name", "spec", "dependsOn", "lifecycle", "moved"];

/// The keys of a `moved` document's `moved` mapping.
pub const MOVED_KEYS: &[&str] = &["from", "to"];

/// The keys of a `lifecycle` block.
pub const LIFECYCLE_KEYS: &[&str] =
    &["preventDestroy", "ignoreChanges", "createBeforeDestroy", "keepOutputs", "adopt", "timeouts"];

/// The keys of `lifecycle.timeouts`.
pub const TIMEOUT_KEYS: &[&str] = &["create", "update", "delete"];

/// `deploymentType` values, as in the Build SDK.
pub const DEPLOYMENT_TYPES: &[&str] = &["on-demand", "auto", "serverless"];

/// The default `deploymentType`.
pub const DEFAULT_DEPLOYMENT_TYPE: &str = "on-demand";

/// Deployment spec fields that mean something for a serverless deployment; every other field
/// configures dedicated hardware and is rejected there.
pub const SERVERLESS_DEPLOYMENT_FIELDS: &[&str] =
    &["deploymentType", "baseModel", "displayName", "description"];

/// Accelerator types (`ACCELERATOR_TYPE_UNSPECIFIED` is written by omitting the field).
pub const ACCELERATOR_TYPES: &[&str] = &[
    "NVIDIA_A100_80GB",
    "NVIDIA_H100_80GB",
    "AMD_MI300X_192GB",
    "NVIDIA_A10G_24GB",
    "NVIDIA_A100_40GB",
    "NVIDIA_L4_24GB",
    "NVIDIA_H200_141GB",
    "NVIDIA_B200_180GB",
    "AMD_MI325X_256GB",
    "AMD_MI350X_288GB",
    "NVIDIA_B300_288GB",
];

/// Serving precisions.
pub const PRECISIONS: &[&str] = &[
    "FP16",
    "FP8",
    "FP8_MM",
    "FP8_AR",
    "FP8_MM_KV_ATTN",
    "FP8_KV",
    "FP8_MM_V2",
    "FP8_V2",
    "FP8_MM_KV_ATTN_V2",
    "NF4",
    "FP4",
    "BF16",
    "FP4_BLOCKSCALED_MM",
    "FP4_MX_MOE",
];

/// Direct route types.
pub const DIRECT_ROUTE_TYPES: &[&str] =
    &["INTERNET", "GCP_PRIVATE_SERVICE_CONNECT", "AWS_PRIVATELINK"];

/// Hot-load bucket types.
pub const BUCKET_TYPES: &[&str] = &["MINIO", "S3", "NEBIUS", "FW_HOSTED"];

/// Multi-region placements.
pub const MULTI_REGIONS: &[&str] = &["GLOBAL", "US", "EUROPE", "APAC"];

/// Regions known today. The API adds regions over time, so this list is open: other values
/// are accepted with a warning.
pub const REGIONS: &[&str] = &[
    "US_IOWA_1",
    "US_VIRGINIA_1",
    "US_VIRGINIA_2",
    "US_ILLINOIS_1",
    "AP_TOKYO_1",
    "EU_LONDON_1",
    "US_ARIZONA_1",
    "US_TEXAS_1",
    "US_ILLINOIS_2",
    "EU_FRANKFURT_1",
    "US_TEXAS_2",
    "EU_PARIS_1",
    "EU_HELSINKI_1",
    "US_NEVADA_1",
    "EU_ICELAND_1",
    "EU_ICELAND_2",
    "US_WASHINGTON_1",
    "US_WASHINGTON_2",
    "EU_ICELAND_DEV_1",
    "US_WASHINGTON_3",
    "US_ARIZONA_2",
    "AP_TOKYO_2",
    "US_CALIFORNIA_1",
    "US_MISSOURI_1",
    "US_UTAH_1",
    "US_TEXAS_3",
    "US_ARIZONA_3",
    "US_GEORGIA_1",
    "US_GEORGIA_2",
    "US_WASHINGTON_4",
    "US_GEORGIA_3",
    "NA_BRITISHCOLUMBIA_1",
    "US_GEORGIA_4",
    "EU_ICELAND_3",
    "US_OHIO_1",
    "US_NEWYORK_1",
    "EU_NETHERLANDS_1",
    "US_WASHINGTON_5",
    "US_MINNESOTA_1",
    "US_CALIFORNIA_2",
    "AP_MALAYSIA_1",
    "US_OHIO_2",
];

/// Dataset formats.
pub const DATASET_FORMATS: &[&str] = &["CHAT", "COMPLETION", "RL"];

/// Reinforcement fine-tuning loss methods.
pub const LOSS_METHODS: &[&str] = &["GRPO", "DAPO", "DPO", "ORPO", "GSPO_TOKEN"];

/// Keys of `autoscalingPolicy.loadTargets`.
pub const LOAD_TARGET_KEYS: &[&str] = &[
    "default",
    "tokens_generated_per_second",
    "prompt_tokens_per_second",
    "requests_per_second",
    "concurrent_requests",
];

const I32_MAX: i64 = i32::MAX as i64;
const TEXT: FieldType = FieldType::String { max_len: None };
const DISPLAY_NAME: FieldType = FieldType::String { max_len: Some(63) };
const COUNT: FieldType = FieldType::Int { min: 0, max: I32_MAX };
const POSITIVE: FieldType = FieldType::Int { min: 1, max: I32_MAX };
const NON_NEGATIVE_FLOAT: FieldType = FieldType::Float { min: 0.0, max: f64::MAX };
const UNIT_FLOAT: FieldType = FieldType::Float { min: 0.0, max: 1.0 };
const MODEL: FieldType = FieldType::Name(NameOf::Model);
const DATASET_NAME: FieldType = FieldType::Name(NameOf::Resource(ResourceKind::Dataset));
const REGION: FieldType = FieldType::Enum { values: REGIONS, open: true };

static AUTOSCALING_POLICY: [FieldSchema; 4] = [
    FieldSchema::new(
        "scaleUpWindow",
        FieldType::Duration { min_secs: None, max_secs: Some(3600) },
        "how long load must stay high before scaling up (default 30s, at most 1h)",
    ),
    FieldSchema::new(
        "scaleDownWindow",
        FieldType::Duration { min_secs: None, max_secs: Some(3600) },
        "how long load must stay low before scaling down (default 10m, at most 1h)",
    ),
    FieldSchema::new(
        "scaleToZeroWindow",
        FieldType::Duration { min_secs: Some(300), max_secs: None },
        "idle time before scaling to zero when minReplicaCount is 0 (default 1h, at least 5m)",
    ),
    FieldSchema::new(
        "loadTargets",
        FieldType::Map { keys: Some(LOAD_TARGET_KEYS), values: &NON_NEGATIVE_FLOAT },
        "target load per replica by metric; `default` is a utilisation between 0 and 1",
    ),
];

static AUTO_TUNE: [FieldSchema; 1] =
    [FieldSchema::new("longPrompt", FieldType::Bool, "optimise for long prompts")];

static PLACEMENT: [FieldSchema; 3] = [
    FieldSchema::new("region", REGION, "run in this region"),
    FieldSchema::new(
        "multiRegion",
        FieldType::Enum { values: MULTI_REGIONS, open: false },
        "run anywhere in this multi-region (default GLOBAL)",
    ),
    FieldSchema::new("regions", FieldType::List(&REGION), "run in any of these regions"),
];

static DEPLOYMENT_FIELDS: [FieldSchema; 29] = [
    FieldSchema::new(
        "deploymentType",
        FieldType::Enum { values: DEPLOYMENT_TYPES, open: false },
        "on-demand (default): dedicated hardware; serverless: use the shared serverless model, nothing is created; auto: serverless when available, otherwise on-demand",
    )
    .immutable()
    .manifest_only(),
    FieldSchema::new("baseModel", MODEL, "the model to serve, e.g. `accounts/fireworks/models/llama-v3p1-8b-instruct`")
        .required()
        .immutable()
        .full_name(),
    FieldSchema::new("displayName", DISPLAY_NAME, "human-readable name (under 64 characters)"),
    FieldSchema::new("description", TEXT, "free-form description"),
    FieldSchema::new(
        "acceleratorType",
        FieldType::Enum { values: ACCELERATOR_TYPES, open: false },
        "the GPU type; cannot change on an existing deployment",
    )
    .immutable(),
    FieldSchema::new("acceleratorCount", POSITIVE, "GPUs per replica (default: the minimum the model needs)"),
    FieldSchema::new(
        "precision",
        FieldType::Enum { values: PRECISIONS, open: false },
        "serving precision",
    ),
    FieldSchema::new("minReplicaCount", COUNT, "fewest replicas (default 0: scale to zero)"),
    FieldSchema::new("maxReplicaCount", COUNT, "most replicas (default max(minReplicaCount, 1))"),
    FieldSchema::new(
        "maxWithRevocableReplicaCount",
        COUNT,
        "most replicas including revocable capacity",
    ),
    FieldSchema::new("autoscalingPolicy", FieldType::Object(&AUTOSCALING_POLICY), "how the deployment scales"),
    FieldSchema::new("autoTune", FieldType::Object(&AUTO_TUNE), "automatic tuning settings"),
    FieldSchema::new("deploymentTemplate", TEXT, "deployment template (enterprise only)"),
    FieldSchema::new("deploymentShape", TEXT, "deployment shape name, or `default`; the shape then owns the hardware fields"),
    FieldSchema::new("placement", FieldType::Object(&PLACEMENT), "where replicas may run (default multi-region GLOBAL)")
        .immutable(),
    FieldSchema::new("draftModel", MODEL, "draft model for speculative decoding").full_name(),
    FieldSchema::new("draftTokenCount", COUNT, "tokens drafted per speculative step"),
    FieldSchema::new("ngramSpeculationLength", COUNT, "n-gram speculation length"),
    FieldSchema::new("enableAddons", FieldType::Bool, "allow LoRA addons to be loaded (needed by every LoraAddon on this deployment)"),
    FieldSchema::new("enableHotLoad", FieldType::Bool, "hot-load weights from a bucket"),
    FieldSchema::new("enableHotReloadLatestAddon", FieldType::Bool, "keep at most one addon, merged into the base"),
    FieldSchema::new(
        "hotLoadBucketType",
        FieldType::Enum { values: BUCKET_TYPES, open: false },
        "bucket type for hot loading",
    ),
    FieldSchema::new("hotLoadBucketUrl", TEXT, "bucket URL for hot loading, e.g. `s3://…`"),
    FieldSchema::new("enableMtp", FieldType::Bool, "enable multi-token prediction"),
    FieldSchema::new("enableSessionAffinity", FieldType::Bool, "route requests with the same `user` to the same replica"),
    FieldSchema::new(
        "directRouteType",
        FieldType::Enum { values: DIRECT_ROUTE_TYPES, open: false },
        "direct route type",
    ),
    FieldSchema::new("directRouteApiKeys", FieldType::List(&TEXT), "API keys accepted on the direct route"),
    FieldSchema::new("maxContextLength", COUNT, "context length limit (0: the model's default)"),
    FieldSchema::new(
        "annotations",
        FieldType::Map { keys: None, values: &TEXT },
        "free-form string annotations",
    ),
];

static DEPLOYMENT: KindSchema = KindSchema {
    kind: ResourceKind::Deployment,
    doc: "a deployment of a base model: dedicated (on-demand) hardware, or a serverless model",
    fields: &DEPLOYMENT_FIELDS,
    attributes: &[
        attribute(
            "name",
            Some(NameOf::Resource(ResourceKind::Deployment)),
            "full name `accounts/{a}/deployments/{id}`",
        ),
        attribute("id", None, "the deployment id (the manifest name)"),
        attribute("baseModel", Some(NameOf::Model), "the model it serves"),
    ],
};

static LORA_ADDON_FIELDS: [FieldSchema; 6] = [
    FieldSchema::new("model", MODEL, "the PEFT model to serve, e.g. `${supervised-fine-tuning-job/x.outputModel}`")
        .required()
        .immutable()
        .full_name(),
    FieldSchema::new(
        "deployment",
        FieldType::Name(NameOf::Resource(ResourceKind::Deployment)),
        "the base deployment (with `enableAddons: true`), e.g. `${deployment/shared-base}`; omit for serverless LoRA",
    )
    .immutable(),
    FieldSchema::new("displayName", DISPLAY_NAME, "human-readable name (under 64 characters)"),
    FieldSchema::new("description", TEXT, "free-form description"),
    FieldSchema::new("public", FieldType::Bool, "publicly reachable"),
    FieldSchema::new("default", FieldType::Bool, "the default target when the model is called without a deployment"),
];

static LORA_ADDON: KindSchema = KindSchema {
    kind: ResourceKind::LoraAddon,
    doc: "a LoRA addon served on a base deployment (a Fireworks deployed model), or serverless LoRA",
    fields: &LORA_ADDON_FIELDS,
    attributes: &[
        attribute_after_apply(
            "name",
            Some(NameOf::Resource(ResourceKind::LoraAddon)),
            "full name `accounts/{a}/deployedModels/{id}`; the server picks the id",
        ),
        attribute_after_apply("id", None, "the deployed-model id the server picked"),
        attribute("model", Some(NameOf::Model), "the model it serves"),
    ],
};

static DATASET_FIELDS: [FieldSchema; 6] = [
    FieldSchema::new(
        "path",
        FieldType::Path,
        "a local `.jsonl` file, relative to this manifest file",
    )
    .immutable(),
    FieldSchema::new(
        "rows",
        FieldType::Rows,
        "inline rows, each a JSON object such as `{messages: [...]}`",
    )
    .immutable(),
    FieldSchema::new(
        "existing",
        DATASET_NAME,
        "an existing dataset to adopt, by id or full name; nothing is uploaded",
    )
    .immutable(),
    FieldSchema::new(
        "datasetId",
        FieldType::Id,
        "pin the dataset id instead of the content-addressed `dataset-{hash}-{file}`",
    )
    .immutable(),
    FieldSchema::new("displayName", DISPLAY_NAME, "human-readable name (under 64 characters)"),
    FieldSchema::new(
        "format",
        FieldType::Enum { values: DATASET_FORMATS, open: false },
        "row format (default: detected from the first row)",
    )
    .immutable(),
];

static DATASET: KindSchema = KindSchema {
    kind: ResourceKind::Dataset,
    doc: "a dataset uploaded from a local JSONL file or inline rows, or an existing dataset",
    fields: &DATASET_FIELDS,
    attributes: &[
        attribute(
            "name",
            Some(NameOf::Resource(ResourceKind::Dataset)),
            "full name `accounts/{a}/datasets/{id}`",
        ),
        attribute("id", None, "the dataset id (content-addressed unless `datasetId` is set)"),
    ],
};

static WANDB_CONFIG: [FieldSchema; 5] = [
    FieldSchema::new("enabled", FieldType::Bool, "log to Weights & Biases"),
    FieldSchema::new("apiKey", TEXT, "Weights & Biases API key"),
    FieldSchema::new("project", TEXT, "project"),
    FieldSchema::new("entity", TEXT, "entity"),
    FieldSchema::new("runId", TEXT, "run id"),
];

static AWS_S3_CONFIG: [FieldSchema; 2] = [
    FieldSchema::new("credentialsSecret", TEXT, "secret name `accounts/{a}/secrets/{s}`"),
    FieldSchema::new("iamRoleArn", TEXT, "IAM role ARN to assume"),
];

static AZURE_BLOB_STORAGE_CONFIG: [FieldSchema; 3] = [
    FieldSchema::new("credentialsSecret", TEXT, "secret name `accounts/{a}/secrets/{s}`"),
    FieldSchema::new("managedIdentityClientId", TEXT, "managed identity client id"),
    FieldSchema::new("tenantId", TEXT, "tenant id"),
];

/// Jobs have no update endpoint: every field is immutable, so any change plans a replace.
static SUPERVISED_FINE_TUNING_JOB_FIELDS: [FieldSchema; 32] = [
    FieldSchema::new(
        "dataset",
        DATASET_NAME,
        "the training dataset, e.g. `${dataset/support-chats}`",
    )
    .required()
    .immutable(),
    FieldSchema::new(
        "baseModel",
        MODEL,
        "the model to fine-tune (exactly one of baseModel, warmStartFrom)",
    )
    .immutable()
    .full_name(),
    FieldSchema::new("warmStartFrom", MODEL, "a PEFT addon to continue training from")
        .immutable()
        .full_name(),
    FieldSchema::new("outputModel", MODEL, "the id of the resulting model (default: the job id)")
        .immutable(),
    FieldSchema::new("displayName", DISPLAY_NAME, "human-readable name (under 64 characters)")
        .immutable(),
    FieldSchema::new("epochs", POSITIVE, "passes over the dataset").immutable(),
    FieldSchema::new("loraRank", COUNT, "LoRA rank (0: full-parameter)").immutable(),
    FieldSchema::new("maxContextLength", COUNT, "longest training example in tokens").immutable(),
    FieldSchema::new("batchSize", POSITIVE, "most packed tokens per batch").immutable(),
    FieldSchema::new("batchSizeSamples", POSITIVE, "examples per batch").immutable(),
    FieldSchema::new("gradientAccumulationSteps", POSITIVE, "gradient accumulation steps")
        .immutable(),
    FieldSchema::new("learningRateWarmupSteps", COUNT, "learning-rate warm-up steps").immutable(),
    FieldSchema::new("nodes", POSITIVE, "training nodes (deprecated)").immutable(),
    FieldSchema::new("mtpNumDraftTokens", COUNT, "multi-token prediction draft tokens").immutable(),
    FieldSchema::new(
        "samplerCheckpointSaveIntervalSteps",
        COUNT,
        "steps between sampler checkpoints",
    )
    .immutable(),
    FieldSchema::new("learningRate", NON_NEGATIVE_FLOAT, "learning rate, e.g. 0.0001").immutable(),
    FieldSchema::new("optimizerWeightDecay", NON_NEGATIVE_FLOAT, "optimizer weight decay")
        .immutable(),
    FieldSchema::new(
        "earlyStop",
        FieldType::Bool,
        "stop early when evaluation loss stops improving",
    )
    .immutable(),
    FieldSchema::new("isTurbo", FieldType::Bool, "turbo training").immutable(),
    FieldSchema::new(
        "evalAutoCarveout",
        FieldType::Bool,
        "carve an evaluation set out of the dataset",
    )
    .immutable(),
    FieldSchema::new("mtpEnabled", FieldType::Bool, "train multi-token prediction heads")
        .immutable(),
    FieldSchema::new(
        "mtpFreezeBaseModel",
        FieldType::Bool,
        "freeze the base model while training MTP heads",
    )
    .immutable(),
    FieldSchema::new("useReservation", FieldType::Bool, "run on reserved capacity").immutable(),
    FieldSchema::new("jinjaTemplate", TEXT, "chat template override").immutable(),
    FieldSchema::new("evaluationDataset", DATASET_NAME, "a separate evaluation dataset")
        .immutable(),
    FieldSchema::new("rendererHuggingFaceRepoId", TEXT, "Hugging Face repo whose renderer to use")
        .immutable(),
    FieldSchema::new("reservationTarget", TEXT, "reservation to run on").immutable(),
    FieldSchema::new(
        "usePurpose",
        FieldType::Enum { values: &["pilot"], open: false },
        "job purpose",
    )
    .immutable(),
    FieldSchema::new("region", REGION, "region to train in").immutable(),
    FieldSchema::new("wandbConfig", FieldType::Object(&WANDB_CONFIG), "Weights & Biases logging")
        .immutable(),
    FieldSchema::new("awsS3Config", FieldType::Object(&AWS_S3_CONFIG), "access to an S3 bucket")
        .immutable(),
    FieldSchema::new(
        "azureBlobStorageConfig",
        FieldType::Object(&AZURE_BLOB_STORAGE_CONFIG),
        "access to Azure blob storage",
    )
    .immutable(),
];

static SUPERVISED_FINE_TUNING_JOB: KindSchema = KindSchema {
    kind: ResourceKind::SupervisedFineTuningJob,
    doc: "a supervised fine-tuning job; its name is the job id",
    fields: &SUPERVISED_FINE_TUNING_JOB_FIELDS,
    attributes: &[
        attribute(
            "name",
            Some(NameOf::Resource(ResourceKind::SupervisedFineTuningJob)),
            "full name `accounts/{a}/supervisedFineTuningJobs/{id}`",
        ),
        attribute("id", None, "the job id (the manifest name)"),
        attribute(
            "outputModel",
            Some(NameOf::Model),
            "the trained model `accounts/{a}/models/{outputModel}`",
        ),
        attribute("baseModel", Some(NameOf::Model), "the model it fine-tunes"),
    ],
};

static TRAINING_CONFIG: [FieldSchema; 14] = [
    FieldSchema::new(
        "baseModel",
        MODEL,
        "the model to fine-tune (exactly one of baseModel, warmStartFrom)",
    )
    .full_name(),
    FieldSchema::new("warmStartFrom", MODEL, "a PEFT addon to continue training from").full_name(),
    FieldSchema::new("outputModel", MODEL, "the id of the resulting model (default: the job id)"),
    FieldSchema::new("epochs", POSITIVE, "passes over the dataset"),
    FieldSchema::new("learningRate", NON_NEGATIVE_FLOAT, "learning rate"),
    FieldSchema::new("learningRateWarmupSteps", COUNT, "learning-rate warm-up steps"),
    FieldSchema::new("batchSize", POSITIVE, "most packed tokens per batch"),
    FieldSchema::new("batchSizeSamples", POSITIVE, "examples per batch"),
    FieldSchema::new("gradientAccumulationSteps", POSITIVE, "gradient accumulation steps"),
    FieldSchema::new("loraRank", COUNT, "LoRA rank (0: full-parameter)"),
    FieldSchema::new("maxContextLength", COUNT, "longest example in tokens"),
    FieldSchema::new("optimizerWeightDecay", NON_NEGATIVE_FLOAT, "optimizer weight decay"),
    FieldSchema::new("jinjaTemplate", TEXT, "chat template override"),
    FieldSchema::new("region", REGION, "region to train in"),
];

static RFT_INFERENCE_PARAMETERS: [FieldSchema; 6] = [
    FieldSchema::new("maxOutputTokens", POSITIVE, "most tokens per rollout"),
    FieldSchema::new("temperature", NON_NEGATIVE_FLOAT, "sampling temperature"),
    FieldSchema::new("topP", UNIT_FLOAT, "nucleus sampling probability"),
    FieldSchema::new("topK", COUNT, "top-k sampling"),
    FieldSchema::new("responseCandidatesCount", POSITIVE, "rollouts per prompt"),
    FieldSchema::new("extraBody", TEXT, "extra request body, as a JSON string"),
];

static DPO_CONFIG: [FieldSchema; 3] = [
    FieldSchema::new(
        "beta",
        FieldType::Float { min: 0.0, max: 0.5 },
        "DPO beta, between 0 and 0.5",
    ),
    FieldSchema::new("refCacheConcurrency", POSITIVE, "reference cache concurrency"),
    FieldSchema::new("refCacheBatchSize", POSITIVE, "reference cache batch size"),
];

static LOSS_CONFIG: [FieldSchema; 3] = [
    FieldSchema::new(
        "method",
        FieldType::Enum { values: LOSS_METHODS, open: false },
        "loss method",
    ),
    FieldSchema::new("klBeta", NON_NEGATIVE_FLOAT, "KL penalty coefficient"),
    FieldSchema::new("dpo", FieldType::Object(&DPO_CONFIG), "DPO settings"),
];

static REINFORCEMENT_FINE_TUNING_JOB_FIELDS: [FieldSchema; 19] = [
    FieldSchema::new("dataset", DATASET_NAME, "the prompt dataset, e.g. `${dataset/math-prompts}`")
        .required()
        .immutable(),
    FieldSchema::new(
        "evaluator",
        FieldType::Name(NameOf::Evaluator),
        "the evaluator (reward function), e.g. `accounts/my-account/evaluators/exact-match`",
    )
    .required()
    .immutable(),
    FieldSchema::new(
        "trainingConfig",
        FieldType::Object(&TRAINING_CONFIG),
        "base model, output model and hyper-parameters",
    )
    .required()
    .immutable(),
    FieldSchema::new(
        "inferenceParameters",
        FieldType::Object(&RFT_INFERENCE_PARAMETERS),
        "rollout sampling",
    )
    .immutable(),
    FieldSchema::new("lossConfig", FieldType::Object(&LOSS_CONFIG), "loss settings").immutable(),
    FieldSchema::new(
        "chunkSize",
        FieldType::Int { min: 1, max: 10_000 },
        "rollout chunk size (1 to 10000)",
    )
    .immutable(),
    FieldSchema::new("evaluationDataset", DATASET_NAME, "a separate evaluation dataset")
        .immutable(),
    FieldSchema::new(
        "evalAutoCarveout",
        FieldType::Bool,
        "carve an evaluation set out of the dataset",
    )
    .immutable(),
    FieldSchema::new("displayName", DISPLAY_NAME, "human-readable name (under 64 characters)")
        .immutable(),
    FieldSchema::new("mcpServer", TEXT, "MCP server for tool use during rollouts").immutable(),
    FieldSchema::new("reservationTarget", TEXT, "reservation to run on").immutable(),
    FieldSchema::new("maxConcurrentRollouts", POSITIVE, "most rollouts in flight").immutable(),
    FieldSchema::new("maxConcurrentEvaluations", POSITIVE, "most evaluations in flight")
        .immutable(),
    FieldSchema::new("maxInferenceReplicaCount", POSITIVE, "most inference replicas").immutable(),
    FieldSchema::new("nodeCount", POSITIVE, "training nodes (default 1)").immutable(),
    FieldSchema::new("wandbConfig", FieldType::Object(&WANDB_CONFIG), "Weights & Biases logging")
        .immutable(),
    FieldSchema::new("awsS3Config", FieldType::Object(&AWS_S3_CONFIG), "access to an S3 bucket")
        .immutable(),
    FieldSchema::new(
        "azureBlobStorageConfig",
        FieldType::Object(&AZURE_BLOB_STORAGE_CONFIG),
        "access to Azure blob storage",
    )
    .immutable(),
    FieldSchema::new(
        "usePurpose",
        FieldType::Enum { values: &["pilot"], open: false },
        "job purpose",
    )
    .immutable(),
];

static REINFORCEMENT_FINE_TUNING_JOB: KindSchema = KindSchema {
    kind: ResourceKind::ReinforcementFineTuningJob,
    doc: "a reinforcement fine-tuning job; its name is the job id",
    fields: &REINFORCEMENT_FINE_TUNING_JOB_FIELDS,
    attributes: &[
        attribute(
            "name",
            Some(NameOf::Resource(ResourceKind::ReinforcementFineTuningJob)),
            "full name `accounts/{a}/reinforcementFineTuningJobs/{id}`",
        ),
        attribute("id", None, "the job id (the manifest name)"),
        attribute(
            "outputModel",
            Some(NameOf::Model),
            "the trained model `accounts/{a}/models/{outputModel}`",
        ),
    ],
};

static BATCH_INFERENCE_PARAMETERS: [FieldSchema; 6] = [
    FieldSchema::new("maxTokens", POSITIVE, "most tokens per response"),
    FieldSchema::new("temperature", NON_NEGATIVE_FLOAT, "sampling temperature"),
    FieldSchema::new("topP", UNIT_FLOAT, "nucleus sampling probability"),
    FieldSchema::new("topK", COUNT, "top-k sampling"),
    FieldSchema::new("n", POSITIVE, "responses per request"),
    FieldSchema::new("extraBody", TEXT, "extra request body, as a JSON string"),
];

static BATCH_INFERENCE_JOB_FIELDS: [FieldSchema; 7] = [
    FieldSchema::new("model", MODEL, "the model to run (required unless continuedFromJobName)")
        .immutable()
        .full_name(),
    FieldSchema::new(
        "inputDatasetId",
        DATASET_NAME,
        "the input dataset, e.g. `${dataset/eval-prompts}` (required unless continuedFromJobName)",
    )
    .immutable(),
    FieldSchema::new(
        "outputDatasetId",
        DATASET_NAME,
        "the dataset the results are written to (default: chosen by the server)",
    )
    .immutable(),
    FieldSchema::new(
        "inferenceParameters",
        FieldType::Object(&BATCH_INFERENCE_PARAMETERS),
        "sampling settings",
    )
    .immutable(),
    FieldSchema::new(
        "precision",
        FieldType::Enum { values: PRECISIONS, open: false },
        "serving precision (default: chosen by the server)",
    )
    .immutable(),
    FieldSchema::new("displayName", DISPLAY_NAME, "human-readable name (under 64 characters)")
        .immutable(),
    FieldSchema::new(
        "continuedFromJobName",
        FieldType::Name(NameOf::Resource(ResourceKind::BatchInferenceJob)),
        "continue the unfinished work of an earlier batch job",
    )
    .immutable(),
];

static BATCH_INFERENCE_JOB: KindSchema = KindSchema {
    kind: ResourceKind::BatchInferenceJob,
    doc: "a batch inference job over a dataset; its name is the job id",
    fields: &BATCH_INFERENCE_JOB_FIELDS,
    attributes: &[
        attribute(
            "name",
            Some(NameOf::Resource(ResourceKind::BatchInferenceJob)),
            "full name `accounts/{a}/batchInferenceJobs/{id}`",
        ),
        attribute("id", None, "the job id (the manifest name)"),
        attribute_after_apply(
            "outputDataset",
            Some(NameOf::Resource(ResourceKind::Dataset)),
            "the dataset the results are written to",
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_name_and_id_attributes() {
        for kind in ResourceKind::ALL {
            let schema = kind_schema(kind);
            assert_eq!(schema.kind, kind);
            assert!(schema.attribute("name").is_some(), "{kind}");
            assert!(schema.attribute("id").is_some(), "{kind}");
        }
    }

    #[test]
    fn field_names_are_unique_camel_case() {
        fn check(fields: &[FieldSchema], owner: &str) {
            let mut seen = std::collections::BTreeSet::new();
            for field in fields {
                assert!(seen.insert(field.name), "duplicate `{}` in {owner}", field.name);
                assert!(
                    field.name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                        && field.name.chars().all(|c| c.is_ascii_alphanumeric()),
                    "`{}` in {owner} is not camelCase",
                    field.name
                );
                if let FieldType::Object(children) = field.ty {
                    check(children, field.name);
                }
            }
        }
        for kind in ResourceKind::ALL {
            check(kind_schema(kind).fields, kind.manifest_name());
        }
    }

    #[test]
    fn models_served_or_trained_from_need_full_names() {
        let mut found = Vec::new();
        fn collect(fields: &[FieldSchema], prefix: &str, found: &mut Vec<String>) {
            for field in fields {
                if field.full_name {
                    assert!(matches!(field.ty, FieldType::Name(NameOf::Model)), "{}", field.name);
                    found.push(format!("{prefix}{}", field.name));
                }
                if let FieldType::Object(children) = field.ty {
                    collect(children, &format!("{prefix}{}.", field.name), found);
                }
            }
        }
        for kind in ResourceKind::ALL {
            collect(kind_schema(kind).fields, &format!("{}.", kind.manifest_name()), &mut found);
        }
        assert_eq!(
            found,
            [
                "Deployment.baseModel",
                "Deployment.draftModel",
                "LoraAddon.model",
                "SupervisedFineTuningJob.baseModel",
                "SupervisedFineTuningJob.warmStartFrom",
                "ReinforcementFineTuningJob.trainingConfig.baseModel",
                "ReinforcementFineTuningJob.trainingConfig.warmStartFrom",
                "BatchInferenceJob.model",
            ]
        );
    }

    #[test]
    fn immutability_follows_nesting() {
        let deployment = kind_schema(ResourceKind::Deployment);
        assert!(deployment.is_immutable("baseModel"));
        assert!(deployment.is_immutable("placement.region"));
        assert!(!deployment.is_immutable("minReplicaCount"));
        assert!(!deployment.is_immutable("autoscalingPolicy.scaleDownWindow"));
        assert!(deployment.field_at("autoscalingPolicy.scaleDownWindow").is_some());
        let job = kind_schema(ResourceKind::SupervisedFineTuningJob);
        assert!(job.fields.iter().all(|field| field.immutable), "jobs have no update endpoint");
    }

    #[test]
    fn unspecified_enum_values_are_not_offered() {
        for values in [ACCELERATOR_TYPES, PRECISIONS, REGIONS, DATASET_FORMATS] {
            assert!(values.iter().all(|value| !value.ends_with("UNSPECIFIED")));
        }
    }
}

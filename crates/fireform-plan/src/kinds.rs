//! What each Fireworks kind means to the engine: how a manifest resource becomes the wire
//! object to create, how it is identified in the account, when it is ready, and which values
//! other resources can reference.
//!
//! Everything here is a pure function of the manifest, the recorded state and observed
//! objects; the one exception is that a dataset's local file is read to hash and count it.
//! Nothing here talks to the account or decides actions: that is [`crate::planner`].

use std::collections::BTreeSet;
use std::path::Path;

use fireform_core::{Reference, ResourceKind, Value};
use fireform_manifest::Resource;
use fireform_manifest::schema::kind_schema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::dataset;
use crate::plan::Planned;
use crate::provider::Object;

/// How a reference resolved at plan time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    /// The value is known now.
    Known(Json),
    /// The value is known only once the target has been applied.
    Unknown,
}

/// A reference left in a body until apply, because its value is not known at plan time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingRef {
    /// Dotted path of the body field (`model`, `trainingConfig.warmStartFrom`).
    pub path: String,
    /// Address of the referenced resource.
    pub target: String,
    /// The referenced attribute (`name` when the reference names the resource itself).
    pub attribute: String,
}

/// Whether fireform creates and owns the object, or only reads an object that exists anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Ownership {
    /// fireform creates, updates and deletes it.
    Managed,
    /// fireform reads it and never changes it: a serverless model, an existing dataset.
    ReadOnly,
}

/// Content to upload when a dataset is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upload {
    /// The file name the content is uploaded under.
    pub file_name: String,
    /// Where the bytes come from.
    pub source: UploadSource,
}

/// Where dataset bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum UploadSource {
    /// A local file, re-read at apply and checked against the planned content id.
    File {
        /// The file's path relative to the project directory (absolute only for a file
        /// outside it).
        path: String,
    },
    /// Inline rows, already serialised.
    Inline {
        /// The content.
        content: String,
    },
}

/// A manifest resource turned into what the account should hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Desired {
    /// The Fireworks id, or `None` where the server picks it (deployed models).
    pub id: Option<String>,
    /// The full name `accounts/{a}/{collection}/{id}`, when the id is known.
    pub remote_name: Option<String>,
    /// The wire-shaped object to create; references not known yet are `null` here and listed
    /// in `pending`.
    pub body: Object,
    /// The top-level body fields the manifest set (only these are diffed).
    pub diff_fields: BTreeSet<String>,
    /// References to fill in at apply.
    pub pending: Vec<PendingRef>,
    /// Whether fireform owns the object.
    pub ownership: Ownership,
    /// Dataset content to upload on create.
    pub upload: Option<Upload>,
    /// A line for the plan explaining a resolution (`deploymentType: auto` → serverless, …).
    pub note: Option<String>,
    /// For uploaded datasets: the content-addressed id of the content, checked again at apply.
    pub content_id: Option<String>,
}

/// Why a manifest resource cannot be turned into a desired object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DesiredError {
    /// A dataset file could not be read.
    #[error("cannot read dataset file `{path}`: {message}")]
    DatasetFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// `deploymentType: serverless` on a model the catalog does not serve on serverless.
    #[error(
        "`{model}` is not served on serverless; use `deploymentType: on-demand` (or `auto`) and give the deployment its hardware"
    )]
    NotServerless {
        /// The model.
        model: String,
    },
    /// `deploymentType: auto` resolved to on-demand, and the spec chooses no hardware.
    #[error(
        "deploymentType auto resolved to on-demand (`{model}` is not served on serverless), and an on-demand deployment needs `acceleratorType` (or a `deploymentShape`)"
    )]
    OnDemandNeedsHardware {
        /// The model.
        model: String,
    },
}

/// The public catalog, reduced to what deployment types need.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    /// Full names of models served on serverless.
    pub serverless: BTreeSet<String>,
    /// Whether the catalog was read at all.
    pub loaded: bool,
}

impl Catalog {
    /// Builds the catalog from listed `accounts/fireworks` models, with the Build SDK's rule:
    /// a model is on serverless when one of its `deployedModelRefs` is `DEPLOYED` on a
    /// Fireworks-owned deployment.
    pub(crate) fn from_models(models: &[Object]) -> Catalog {
        const OWNERS: [&str; 3] =
            ["accounts/fireworks/", "accounts/yi-01-ai/", "accounts/sentientfoundation/"];
        let serverless = models
            .iter()
            .filter(|model| {
                model.get("deployedModelRefs").and_then(Json::as_array).is_some_and(|refs| {
                    refs.iter().any(|reference| {
                        reference.get("state").and_then(Json::as_str) == Some("DEPLOYED")
                            && reference
                                .get("deployment")
                                .and_then(Json::as_str)
                                .is_some_and(|d| OWNERS.iter().any(|owner| d.starts_with(owner)))
                    })
                })
            })
            .filter_map(|model| model.get("name").and_then(Json::as_str).map(str::to_owned))
            .collect();
        Catalog { serverless, loaded: true }
    }

    fn serves(&self, model: &str) -> bool {
        let full = if model.contains('/') {
            model.to_owned()
        } else {
            format!("accounts/fireworks/models/{model}")
        };
        self.serverless.contains(&full)
    }
}

/// The annotation with which fireform marks the deployments it creates: the lineage of the
/// state that manages them. An object marked by another lineage belongs to another project.
pub(crate) const LINEAGE_ANNOTATION: &str = "fireform.dev/state-lineage";

/// Whether objects of `kind` carry annotations, where fireform marks what it creates.
pub(crate) fn takes_lineage_mark(kind: ResourceKind) -> bool {
    kind == ResourceKind::Deployment
}

/// Marks a body to create with the state's lineage.
pub(crate) fn mark_lineage(body: &mut Object, lineage: &str) {
    let annotations = body.entry("annotations").or_insert_with(|| Json::Object(Object::new()));
    if let Json::Object(annotations) = annotations {
        annotations.insert(LINEAGE_ANNOTATION.to_owned(), Json::String(lineage.to_owned()));
    }
}

/// The lineage another project marked `object` with, if it is not `lineage`.
pub(crate) fn foreign_lineage<'a>(object: &'a Object, lineage: &str) -> Option<&'a str> {
    let mark = object.get("annotations")?.get(LINEAGE_ANNOTATION)?.as_str()?;
    (mark != lineage).then_some(mark)
}

/// How much earlier than its create's intent an object may say it was created and still be
/// that create's: the server's and this machine's clocks differ.
const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(300);

/// Whether `object`, found where `addr` would be, is the one a create recorded in state's
/// intents made: the intent names it (or, for a LoRA load, whose id the server picks, names
/// nothing), and the object was not created well before the intent was recorded.
pub(crate) fn created_by_intent(
    state: &fireform_state::StateDocument,
    addr: &fireform_core::ResourceAddr,
    object: &Object,
) -> bool {
    state
        .intent(addr)
        .is_some_and(|intent| intent_covers(&intent, state.intent_since(addr).as_deref(), object))
}

/// Whether an intent to create `intent` (a full name, empty where the server picks the id),
/// recorded at `since`, accounts for `object`; see [`created_by_intent`].
pub(crate) fn intent_covers(intent: &str, since: Option<&str>, object: &Object) -> bool {
    let name = object.get("name").and_then(Json::as_str).unwrap_or_default();
    if !intent.is_empty() && intent != name {
        return false;
    }
    let since = since.and_then(fireform_state::parse_rfc3339);
    let created =
        object.get("createTime").and_then(Json::as_str).and_then(fireform_state::parse_rfc3339);
    match (since, created) {
        (Some(since), Some(created)) => created + CLOCK_SKEW >= since,
        _ => true,
    }
}

/// The full name of an object of `kind` with `id`.
pub(crate) fn remote_name(account: &str, kind: ResourceKind, id: &str) -> String {
    format!("accounts/{account}/{}/{id}", kind.collection())
}

/// The last segment of a full name.
pub(crate) fn id_of(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Turns a manifest resource into its desired object. `resolve` answers references.
pub(crate) fn desired(
    resource: &Resource,
    account: &str,
    project_dir: &Path,
    catalog: &Catalog,
    resolve: &dyn Fn(&Reference) -> Resolved,
) -> Result<Desired, DesiredError> {
    let schema = kind_schema(resource.addr.kind);
    let mut body = Object::new();
    let mut pending = Vec::new();
    let mut diff_fields = BTreeSet::new();
    for (field, value) in &resource.spec {
        if schema.field(field).is_some_and(|field| field.manifest_only) {
            continue;
        }
        diff_fields.insert(field.clone());
        body.insert(field.clone(), to_json(field, value, resolve, &mut pending));
    }
    let kind = resource.addr.kind;
    let name = &resource.addr.name;
    let mut desired = Desired {
        id: Some(name.clone()),
        remote_name: Some(remote_name(account, kind, name)),
        body,
        diff_fields,
        pending,
        ownership: Ownership::Managed,
        upload: None,
        note: None,
        content_id: None,
    };
    match kind {
        ResourceKind::Deployment => deployment(resource, catalog, &mut desired)?,
        ResourceKind::LoraAddon => {
            desired.id = None;
            desired.remote_name = None;
        }
        ResourceKind::Dataset => dataset(resource, account, project_dir, &mut desired)?,
        ResourceKind::SupervisedFineTuningJob
        | ResourceKind::ReinforcementFineTuningJob
        | ResourceKind::BatchInferenceJob => {}
    }
    Ok(desired)
}

fn deployment(
    resource: &Resource,
    catalog: &Catalog,
    desired: &mut Desired,
) -> Result<(), DesiredError> {
    let deployment_type = match resource.spec.get("deploymentType") {
        Some(Value::String(text)) => text.as_str(),
        _ => "on-demand",
    };
    let model = match resource.spec.get("baseModel") {
        Some(Value::String(model)) => model.clone(),
        _ => String::new(),
    };
    match deployment_type {
        "serverless" => {
            if catalog.loaded && !catalog.serves(&model) {
                return Err(DesiredError::NotServerless { model });
            }
            desired.ownership = Ownership::ReadOnly;
            desired.note = Some(format!(
                "deploymentType serverless: `{model}` is served on serverless; nothing to create"
            ));
        }
        "auto" if catalog.serves(&model) => {
            desired.ownership = Ownership::ReadOnly;
            desired.note = Some(format!(
                "deploymentType auto resolved to serverless: `{model}` is served on serverless; nothing to create"
            ));
        }
        "auto" => {
            let has_hardware = ["acceleratorType", "deploymentShape"]
                .iter()
                .any(|field| resource.spec.contains_key(*field));
            if !has_hardware {
                return Err(DesiredError::OnDemandNeedsHardware { model });
            }
            desired.note = Some(format!(
                "deploymentType auto resolved to on-demand: `{model}` is not served on serverless"
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Dataset fields that choose where the content comes from; fireform's own, never sent.
const DATASET_SOURCE_FIELDS: [&str; 4] = ["path", "rows", "existing", "datasetId"];

fn dataset(
    resource: &Resource,
    account: &str,
    project_dir: &Path,
    desired: &mut Desired,
) -> Result<(), DesiredError> {
    for field in DATASET_SOURCE_FIELDS {
        desired.body.remove(field);
        desired.diff_fields.remove(field);
    }
    let pinned = match resource.spec.get("datasetId") {
        Some(Value::String(id)) => Some(id.clone()),
        _ => None,
    };
    let (content, file_name, source) = match (resource.spec.get("path"), &resource.inline_rows) {
        (Some(Value::String(path)), _) => {
            let absolute = project_dir.join(path);
            let content = std::fs::read(&absolute).map_err(|error| DesiredError::DatasetFile {
                path: absolute.display().to_string(),
                message: error.to_string(),
            })?;
            let file_name = absolute
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.clone());
            // Relative to the project directory (as the manifest stores it), so that a saved
            // plan applies from another checkout.
            let source = UploadSource::File { path: path.clone() };
            (content, file_name, source)
        }
        (_, Some(rows)) => {
            // The written key order, not the spec's sorted maps: the SDK hashes that order.
            let content = dataset::rows_content(rows);
            let source =
                UploadSource::Inline { content: String::from_utf8_lossy(&content).into_owned() };
            (content, dataset::INMEMORY_FILE_NAME.to_owned(), source)
        }
        _ => {
            // `existing`: adopt a dataset by id or full name, read-only.
            let existing = match resource.spec.get("existing") {
                Some(Value::String(existing)) => existing.clone(),
                _ => resource.addr.name.clone(),
            };
            let id = id_of(&existing).to_owned();
            let name = if existing.contains('/') {
                existing
            } else {
                remote_name(account, ResourceKind::Dataset, &id)
            };
            desired.id = Some(id);
            desired.remote_name = Some(name);
            desired.ownership = Ownership::ReadOnly;
            desired.diff_fields.clear();
            return Ok(());
        }
    };
    let content_id = dataset::content_dataset_id(&content, &file_name);
    desired.content_id = Some(content_id.clone());
    let id = pinned.unwrap_or(content_id);
    desired.remote_name = Some(remote_name(account, ResourceKind::Dataset, &id));
    desired.id = Some(id);
    let format = match resource.spec.get("format") {
        Some(Value::String(format)) => format.clone(),
        _ => dataset::detect_format(&content).to_owned(),
    };
    desired.body.insert("format".to_owned(), Json::String(format));
    desired.body.insert(
        "exampleCount".to_owned(),
        Json::String(dataset::example_count(&content).to_string()),
    );
    desired.body.insert("userUploaded".to_owned(), Json::Object(Object::new()));
    desired.upload = Some(Upload { file_name, source });
    Ok(())
}

/// Converts a spec value to wire JSON; references resolve through `resolve`, and unknown
/// ones become `null` with a [`PendingRef`].
fn to_json(
    path: &str,
    value: &Value,
    resolve: &dyn Fn(&Reference) -> Resolved,
    pending: &mut Vec<PendingRef>,
) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Int(number) => Json::from(*number),
        Value::Float(number) => {
            serde_json::Number::from_f64(*number).map_or(Json::Null, Json::Number)
        }
        Value::String(text) => Json::String(text.clone()),
        Value::Duration(duration) => Json::String(dataset::format_duration(*duration)),
        Value::List(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| to_json(&format!("{path}.{index}"), item, resolve, pending))
                .collect(),
        ),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, item)| {
                    (key.clone(), to_json(&format!("{path}.{key}"), item, resolve, pending))
                })
                .collect(),
        ),
        Value::Ref(reference) => match resolve(reference) {
            Resolved::Known(json) => json,
            Resolved::Unknown => {
                pending.push(PendingRef {
                    path: path.to_owned(),
                    target: reference.target.to_string(),
                    attribute: reference.attribute.clone().unwrap_or_else(|| "name".to_owned()),
                });
                Json::Null
            }
        },
    }
}

/// Sets the value at a dotted `path` (object keys and list indices) inside `body`.
pub(crate) fn set_path(body: &mut Object, path: &str, value: Json) -> bool {
    let mut segments = path.split('.');
    let Some(first) = segments.next() else { return false };
    let mut current = match body.get_mut(first) {
        Some(current) => current,
        None => return false,
    };
    for segment in segments {
        current = match current {
            Json::Object(map) => match map.get_mut(segment) {
                Some(next) => next,
                None => return false,
            },
            Json::Array(items) => {
                match segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    Some(next) => next,
                    None => return false,
                }
            }
            _ => return false,
        };
    }
    *current = value;
    true
}

/// Where an observed object stands, for planning and waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Readiness {
    /// Ready to be used by dependents (READY, DEPLOYED, COMPLETED).
    Ready,
    /// Still getting there.
    InProgress(String),
    /// Failed, cancelled, expired or going away: it will not become ready by waiting.
    Failed(String),
}

/// Fields the API wants in every update body of `kind` even when they do not change (the
/// mask keeps them from counting as changes): a deployment PATCH must carry `baseModel`.
pub(crate) fn sent_on_every_update(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::Deployment => &["baseModel"],
        _ => &[],
    }
}

/// Classifies an observed object of `kind`.
pub(crate) fn readiness(kind: ResourceKind, object: &Object) -> Readiness {
    let state = object.get("state").and_then(Json::as_str).unwrap_or("STATE_UNSPECIFIED");
    let message = || {
        let detail = object
            .get("status")
            .and_then(|status| status.get("message"))
            .and_then(Json::as_str)
            .filter(|message| !message.is_empty());
        match detail {
            Some(detail) => format!("{state}: {detail}"),
            None => state.to_owned(),
        }
    };
    match kind {
        ResourceKind::Deployment => match state {
            "READY" => Readiness::Ready,
            "FAILED" | "DELETING" | "DELETED" => Readiness::Failed(message()),
            _ => Readiness::InProgress(state.to_owned()),
        },
        // The SDK reads `STATE_UNSPECIFIED` while waiting as "failed to deploy" (§14.3). A
        // missing state with no error (an object taken from state, without a refresh) is not
        // known to have failed.
        ResourceKind::LoraAddon => match state {
            "DEPLOYED" => Readiness::Ready,
            "STATE_UNSPECIFIED" if !object.contains_key("state") && !has_error_status(object) => {
                Readiness::InProgress(state.to_owned())
            }
            "UNDEPLOYING" | "STATE_UNSPECIFIED" => {
                let place = match object.get("deployment").and_then(Json::as_str) {
                    Some(deployment) => format!("on deployment `{deployment}`"),
                    None => "on serverless".to_owned(),
                };
                Readiness::Failed(format!("{} (the load failed {place})", message()))
            }
            _ => Readiness::InProgress(state.to_owned()),
        },
        ResourceKind::Dataset => match state {
            "READY" => Readiness::Ready,
            _ => Readiness::InProgress(state.to_owned()),
        },
        ResourceKind::SupervisedFineTuningJob
        | ResourceKind::ReinforcementFineTuningJob
        | ResourceKind::BatchInferenceJob => match state.trim_start_matches("JOB_STATE_") {
            "COMPLETED" | "EARLY_STOPPED" => Readiness::Ready,
            "FAILED"
            | "FAILED_CLEANING_UP"
            | "CANCELLED"
            | "EXPIRED"
            | "EXPIRED_CLEANING_UP"
            | "DELETING"
            | "DELETING_CLEANING_UP"
            | "DELETED"
            | "ARCHIVED" => Readiness::Failed(message()),
            _ => Readiness::InProgress(state.to_owned()),
        },
    }
}

/// Whether `object` carries a `status` reporting an error (a code other than OK, or a message).
fn has_error_status(object: &Object) -> bool {
    let Some(status) = object.get("status") else { return false };
    let code_is_error = match status.get("code") {
        Some(Json::String(code)) => !code.is_empty() && code != "OK",
        Some(Json::Number(code)) => code.as_u64() != Some(0),
        _ => false,
    };
    let has_message =
        status.get("message").and_then(Json::as_str).is_some_and(|message| !message.is_empty());
    code_is_error || has_message
}

/// The value of `attribute` of a resource, from what is known of it: the desired object
/// (`desired`, when the resource is in the manifest) and the applied or observed object.
pub(crate) fn attribute(
    kind: ResourceKind,
    account: &str,
    attribute: &str,
    desired: Option<Known<'_>>,
    applied: Option<&Object>,
) -> Resolved {
    let from_body = |field: &str| -> Option<Json> {
        desired.and_then(|desired| lookup(desired.body, field)).filter(|json| !json.is_null())
    };
    let from_applied = |field: &str| -> Option<Json> {
        applied.and_then(|applied| lookup(applied, field)).filter(|json| !json.is_null())
    };
    let model_name = |id: Json| -> Json {
        match id.as_str() {
            Some(text) if !text.contains('/') => {
                Json::String(format!("accounts/{account}/models/{text}"))
            }
            _ => id,
        }
    };
    let known = match (kind, attribute) {
        (_, "name") => desired
            .and_then(|desired| desired.remote_name.map(str::to_owned))
            .map(Json::String)
            .or_else(|| from_applied("name")),
        (_, "id") => desired
            .and_then(|desired| desired.id.map(str::to_owned))
            .map(Json::String)
            .or_else(|| {
                from_applied("name")
                    .and_then(|name| name.as_str().map(|n| Json::String(id_of(n).to_owned())))
            }),
        (ResourceKind::SupervisedFineTuningJob, "outputModel") => from_body("outputModel")
            .or_else(|| desired.and_then(|desired| desired.id.map(str::to_owned)).map(Json::String))
            .or_else(|| from_applied("outputModel"))
            .map(model_name),
        (ResourceKind::ReinforcementFineTuningJob, "outputModel") => {
            from_body("trainingConfig.outputModel")
                .or_else(|| {
                    desired.and_then(|desired| desired.id.map(str::to_owned)).map(Json::String)
                })
                .or_else(|| from_applied("trainingConfig.outputModel"))
                .map(model_name)
        }
        (ResourceKind::ReinforcementFineTuningJob, "baseModel") => {
            from_body("trainingConfig.baseModel")
                .or_else(|| from_applied("trainingConfig.baseModel"))
        }
        (ResourceKind::BatchInferenceJob, "outputDataset") => from_body("outputDatasetId")
            .or_else(|| from_applied("outputDatasetId"))
            .map(|id| match id.as_str() {
                Some(text) if !text.contains('/') => {
                    Json::String(remote_name(account, ResourceKind::Dataset, text))
                }
                _ => id,
            }),
        (_, field) => from_body(field).or_else(|| from_applied(field)),
    };
    known.map_or(Resolved::Unknown, Resolved::Known)
}

/// The full name of what a planned job will write: a fine-tuning job's output model, a batch
/// job's output dataset. `None` for other kinds, or where the server picks it.
pub(crate) fn planned_output(
    kind: ResourceKind,
    account: &str,
    planned: &Planned,
) -> Option<String> {
    let attribute_name = match kind {
        ResourceKind::SupervisedFineTuningJob | ResourceKind::ReinforcementFineTuningJob => {
            "outputModel"
        }
        ResourceKind::BatchInferenceJob => "outputDataset",
        _ => return None,
    };
    // Named by a reference resolved only at apply: not known yet.
    let field = match kind {
        ResourceKind::ReinforcementFineTuningJob => "trainingConfig.outputModel",
        ResourceKind::BatchInferenceJob => "outputDatasetId",
        _ => "outputModel",
    };
    if planned.pending.iter().any(|pending| pending.path == field) {
        return None;
    }
    let known = Known {
        id: planned.id.as_deref(),
        remote_name: planned.remote_name.as_deref(),
        body: &planned.body,
    };
    match attribute(kind, account, attribute_name, Some(known), None) {
        Resolved::Known(Json::String(name)) => Some(name),
        _ => None,
    }
}

/// What is known of a resource before it is applied: its id, full name and body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Known<'a> {
    pub id: Option<&'a str>,
    pub remote_name: Option<&'a str>,
    pub body: &'a Object,
}

impl Desired {
    pub(crate) fn known(&self) -> Known<'_> {
        Known { id: self.id.as_deref(), remote_name: self.remote_name.as_deref(), body: &self.body }
    }
}

/// The values of every referenceable attribute of a resource, to record in state.
pub(crate) fn attribute_values(
    kind: ResourceKind,
    account: &str,
    known: Option<Known<'_>>,
    applied: Option<&Object>,
) -> std::collections::BTreeMap<String, Json> {
    kind_schema(kind)
        .attributes
        .iter()
        .filter_map(|schema| match attribute(kind, account, schema.name, known, applied) {
            Resolved::Known(value) => Some((schema.name.to_owned(), value)),
            Resolved::Unknown => None,
        })
        .collect()
}

/// The value at a dotted path inside an object.
pub(crate) fn lookup(object: &Object, path: &str) -> Option<Json> {
    let mut segments = path.split('.');
    let mut current = object.get(segments.next()?)?;
    for segment in segments {
        current = current.get(segment)?;
    }
    Some(current.clone())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Json) -> Object {
        match value {
            Json::Object(object) => object,
            _ => unreachable!("tests pass objects"),
        }
    }

    #[test]
    fn classifies_states() {
        let failed = object(
            json!({"state": "FAILED", "status": {"code": "INTERNAL", "message": "no capacity"}}),
        );
        assert_eq!(
            readiness(ResourceKind::Deployment, &failed),
            Readiness::Failed("FAILED: no capacity".into())
        );
        let job = object(json!({"state": "JOB_STATE_RUNNING"}));
        assert!(matches!(
            readiness(ResourceKind::SupervisedFineTuningJob, &job),
            Readiness::InProgress(_)
        ));
        let done = object(json!({"state": "JOB_STATE_COMPLETED"}));
        assert_eq!(readiness(ResourceKind::SupervisedFineTuningJob, &done), Readiness::Ready);
    }

    #[test]
    fn a_lora_load_without_a_state_has_failed_only_when_the_server_says_so() {
        let deployment = "accounts/a/deployments/base";
        let explicit = object(json!({"state": "STATE_UNSPECIFIED", "deployment": deployment}));
        assert_eq!(
            readiness(ResourceKind::LoraAddon, &explicit),
            Readiness::Failed(format!(
                "STATE_UNSPECIFIED (the load failed on deployment `{deployment}`)"
            ))
        );
        // Proto3 JSON may leave the default enum value out: the error status still tells.
        let omitted = object(json!({
            "deployment": deployment,
            "status": {"code": "FAILED_PRECONDITION", "message": "bad weights"},
        }));
        assert_eq!(
            readiness(ResourceKind::LoraAddon, &omitted),
            Readiness::Failed(format!(
                "STATE_UNSPECIFIED: bad weights (the load failed on deployment `{deployment}`)"
            ))
        );
        // An object taken from state (no refresh) carries neither: not known to have failed.
        let recorded = object(json!({"model": "accounts/a/models/m", "deployment": deployment}));
        assert!(matches!(readiness(ResourceKind::LoraAddon, &recorded), Readiness::InProgress(_)));
        let ok = object(json!({"deployment": deployment, "status": {"code": "OK"}}));
        assert!(matches!(readiness(ResourceKind::LoraAddon, &ok), Readiness::InProgress(_)));
    }

    #[test]
    fn catalog_follows_the_sdk_rule() {
        let models = [
            object(
                json!({"name": "accounts/fireworks/models/a", "deployedModelRefs": [{"state": "DEPLOYED", "deployment": "accounts/fireworks/deployments/x"}]}),
            ),
            object(
                json!({"name": "accounts/fireworks/models/b", "deployedModelRefs": [{"state": "DEPLOYING", "deployment": "accounts/fireworks/deployments/y"}]}),
            ),
            object(json!({"name": "accounts/fireworks/models/c"})),
        ];
        let catalog = Catalog::from_models(&models);
        assert!(catalog.serves("accounts/fireworks/models/a"));
        assert!(catalog.serves("a"));
        assert!(!catalog.serves("b"));
        assert!(!catalog.serves("accounts/fireworks/models/c"));
    }

    #[test]
    fn sets_nested_paths() {
        let mut body =
            object(json!({"trainingConfig": {"warmStartFrom": null}, "keys": ["a", null]}));
        assert!(set_path(&mut body, "trainingConfig.warmStartFrom", json!("m")));
        assert!(set_path(&mut body, "keys.1", json!("b")));
        assert!(!set_path(&mut body, "missing.field", json!(1)));
        assert_eq!(
            Json::Object(body),
            json!({"trainingConfig": {"warmStartFrom": "m"}, "keys": ["a", "b"]})
        );
    }
}

//! Datasets (§4): the resource, the create request and the bodies of the upload and download
//! custom methods.
//!
//! The upload protocol itself (signed URLs, headers) is implemented by the client and the
//! emulator; this module only names the JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{DatasetFormat, DatasetState, Empty, Status, UnknownFields, collect_extra};

/// A dataset of JSONL rows (`accounts/{a}/datasets/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dataset {
    /// Resource name `accounts/{a}/datasets/{id}` (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "display_name")]
    pub display_name: Option<String>,
    /// Row format (immutable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<DatasetFormat>,
    /// Number of rows.
    #[serde(
        default,
        with = "crate::int64::option",
        skip_serializing_if = "Option::is_none",
        alias = "example_count"
    )]
    pub example_count: Option<i64>,
    /// External location, e.g. `gs://bucket/path.jsonl`.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "external_url")]
    pub external_url: Option<String>,
    /// Data source: uploaded by the user (oneof).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "user_uploaded")]
    pub user_uploaded: Option<Empty>,
    /// Data source: produced by an evaluation job (oneof).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "evaluation_result")]
    pub evaluation_result: Option<EvaluationResult>,
    /// Data source: transformed from another dataset (oneof).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transformed: Option<Transformed>,
    /// Data source: split from another dataset (oneof).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub splitted: Option<Splitted>,
    /// Evaluation protocol.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "eval_protocol")]
    pub eval_protocol: Option<serde_json::Value>,
    /// Lineage, e.g. the batch job that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "source_job_name")]
    pub source_job_name: Option<String>,
    /// Lifecycle state (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<DatasetState>,
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
    /// Estimated tokens (output only).
    #[serde(
        default,
        with = "crate::int64::option",
        skip_serializing_if = "Option::is_none",
        alias = "estimated_token_count"
    )]
    pub estimated_token_count: Option<i64>,
    /// Average turns per row (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "average_turn_count")]
    pub average_turn_count: Option<f64>,
    /// Encryption state; empty or `ENCRYPTION_STATE_PLAINTEXT` for plaintext (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "encryption_state")]
    pub encryption_state: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Dataset {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.evaluation_result {
            nested.collect_unknown(&format!("{prefix}evaluationResult."), out);
        }
        if let Some(nested) = &self.transformed {
            nested.collect_unknown(&format!("{prefix}transformed."), out);
        }
        if let Some(nested) = &self.splitted {
            nested.collect_unknown(&format!("{prefix}splitted."), out);
        }
        if let Some(nested) = &self.status {
            nested.collect_unknown(&format!("{prefix}status."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.evaluation_result {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.transformed {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.splitted {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.status {
            nested.clear_unknown();
        }
    }
}

/// Dataset source: an evaluation job's output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationResult {
    /// The evaluation job (required).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "evaluation_job_id")]
    pub evaluation_job_id: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for EvaluationResult {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Dataset source: a transformation of another dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transformed {
    /// The source dataset (required).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "source_dataset_id")]
    pub source_dataset_id: Option<String>,
    /// The source's format.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "original_format")]
    pub original_format: Option<DatasetFormat>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Transformed {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Dataset source: a split of another dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Splitted {
    /// The source dataset (required).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "source_dataset_id")]
    pub source_dataset_id: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Splitted {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Body of `POST .../datasets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetRequest {
    /// Id of the new dataset (required).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "dataset_id")]
    pub dataset_id: Option<String>,
    /// The dataset (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<Dataset>,
    /// Derive the dataset from this one.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "source_dataset_id")]
    pub source_dataset_id: Option<String>,
    /// SQL-like filter applied to the source dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for CreateDatasetRequest {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.dataset {
            nested.collect_unknown(&format!("{prefix}dataset."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.dataset {
            nested.clear_unknown();
        }
    }
}

/// Body of `POST .../datasets/{id}:getUploadEndpoint`: every file at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUploadEndpointRequest {
    /// File name to size in bytes (required).
    #[serde(
        default,
        with = "crate::int64::map",
        skip_serializing_if = "Option::is_none",
        alias = "filename_to_size"
    )]
    pub filename_to_size: Option<BTreeMap<String, i64>>,
    /// Models only: ask for resumable uploads.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "enable_resumable_upload")]
    pub enable_resumable_upload: Option<bool>,
    /// Field mask of the response.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "read_mask")]
    pub read_mask: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for GetUploadEndpointRequest {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Response of `:getUploadEndpoint`: a signed URL per file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUploadEndpointResponse {
    /// File name to the URL to `PUT` the bytes to.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "filename_to_signed_urls")]
    pub filename_to_signed_urls: Option<BTreeMap<String, String>>,
    /// File name to the storage URI (models only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "filename_to_unsigned_uris")]
    pub filename_to_unsigned_uris: Option<BTreeMap<String, String>>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for GetUploadEndpointResponse {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Response of `:getDownloadEndpoint`: a signed URL per file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDownloadEndpointResponse {
    /// File name to the URL to `GET` the bytes from.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "filename_to_signed_urls")]
    pub filename_to_signed_urls: Option<BTreeMap<String, String>>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for GetDownloadEndpointResponse {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Response of a model's `:validateUpload` (a dataset's answers `{}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateUploadResponse {
    /// Non-fatal findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for ValidateUploadResponse {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Response of `POST .../datasets/{id}:upload`: an OpenAI-file-like object whose field names are
/// snake_case on the wire, unlike every other body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// Id of the stored file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Always `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<i64>,
    /// Upload time, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Name of the uploaded file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Purpose, e.g. `fine-tune`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for UploadResponse {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

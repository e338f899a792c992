//! Evaluators (§10.1), which reinforcement fine-tuning jobs reference, and accounts (§12), which
//! key discovery lists.
//!
//! Evaluator code upload and builds are out of scope: only the resource bodies are here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    AccountType, CriterionType, EvaluatorSourceType, EvaluatorState, Status, UnknownFields,
    collect_extra,
};

/// An evaluator (reward function) of RL jobs (`accounts/{a}/evaluators/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluator {
    /// Resource name (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "display_name")]
    pub display_name: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `requirements.txt` contents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<String>,
    /// Entry point of the code.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "entry_point")]
    pub entry_point: Option<String>,
    /// Commit of the code.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "commit_hash")]
    pub commit_hash: Option<String>,
    /// Default dataset.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "default_dataset")]
    pub default_dataset: Option<String>,
    /// What it scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<Vec<Criterion>>,
    /// Where the code comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<EvaluatorSource>,
    /// Lifecycle state (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<EvaluatorState>,
    /// Detail of the last build (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Creator's email (output only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "created_by")]
    pub created_by: Option<String>,
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

impl UnknownFields for Evaluator {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        for (index, item) in self.criteria.iter().flatten().enumerate() {
            item.collect_unknown(&format!("{prefix}criteria[{index}]."), out);
        }
        if let Some(nested) = &self.source {
            nested.collect_unknown(&format!("{prefix}source."), out);
        }
        if let Some(nested) = &self.status {
            nested.collect_unknown(&format!("{prefix}status."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        self.criteria.iter_mut().flatten().for_each(UnknownFields::clear_unknown);
        if let Some(nested) = &mut self.source {
            nested.clear_unknown();
        }
        if let Some(nested) = &mut self.status {
            nested.clear_unknown();
        }
    }
}

/// One criterion of an evaluator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Criterion {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Kind of criterion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<CriterionType>,
    /// Code that scores it.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "code_snippets")]
    pub code_snippets: Option<CodeSnippets>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for Criterion {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.code_snippets {
            nested.collect_unknown(&format!("{prefix}codeSnippets."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.code_snippets {
            nested.clear_unknown();
        }
    }
}

/// Code of a criterion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeSnippets {
    /// Programming language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// File holding the entry function.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "entry_file")]
    pub entry_file: Option<String>,
    /// Entry function.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "entry_func")]
    pub entry_func: Option<String>,
    /// File path to contents.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "file_contents")]
    pub file_contents: Option<BTreeMap<String, String>>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for CodeSnippets {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Where an evaluator's code comes from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluatorSource {
    /// Source type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<EvaluatorSourceType>,
    /// Repository, for `TYPE_GITHUB`.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "github_repository_name")]
    pub github_repository_name: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for EvaluatorSource {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
    }
}

/// Body of `POST .../evaluatorsV2` (and the legacy `.../evaluators`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateEvaluatorRequest {
    /// The evaluator (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator: Option<Evaluator>,
    /// Id of the new evaluator.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "evaluator_id")]
    pub evaluator_id: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UnknownFields for CreateEvaluatorRequest {
    fn collect_unknown(&self, prefix: &str, out: &mut Vec<String>) {
        collect_extra(&self.extra, prefix, out);
        if let Some(nested) = &self.evaluator {
            nested.collect_unknown(&format!("{prefix}evaluator."), out);
        }
    }

    fn clear_unknown(&mut self) {
        self.extra.clear();
        if let Some(nested) = &mut self.evaluator {
            nested.clear_unknown();
        }
    }
}

/// An account the API key can see (`accounts/{a}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Resource name `accounts/{a}` (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Contact email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "display_name")]
    pub display_name: Option<String>,
    /// Account type.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "account_type")]
    pub account_type: Option<AccountType>,
    /// Account state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Why the account is suspended, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "suspend_state")]
    pub suspend_state: Option<String>,
    /// Detail (output only).
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

impl UnknownFields for Account {
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

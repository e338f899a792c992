//! [`Provider`]: what the engine needs from a Fireworks account, as JSON objects.
//!
//! The engine never speaks HTTP. It asks a provider to list, create, update and delete objects
//! of a collection, and to upload dataset bytes; `fireform-cli` implements this over
//! `fireform-client`, and tests implement it in memory. Bodies are wire-shaped JSON objects
//! (camelCase fields, as in the Fireworks REST API), so the provider does not interpret specs.
//! The trait does not know about plans, state or manifests.

use std::fmt;
use std::time::Duration;

use fireform_core::ResourceKind;

/// A JSON object as the Fireworks API sends and receives it.
pub type Object = serde_json::Map<String, serde_json::Value>;

/// The account operations the engine performs.
///
/// Every method may be called concurrently with others (the engine keeps up to
/// `--parallelism` operations in flight on one task). Errors carry the provider's own error as
/// their source, so the CLI can print its full chain.
#[expect(async_fn_in_trait, reason = "the engine polls these futures on one task; no Send needed")]
pub trait Provider {
    /// The account resources are created in, e.g. `my-team`.
    fn account(&self) -> &str;

    /// Every live object of `kind`'s collection in the account, all pages.
    async fn list(&self, kind: ResourceKind) -> Result<Vec<Object>, ProviderError>;

    /// Every model of the public catalog (`accounts/fireworks/models`), with their
    /// `deployedModelRefs`, all pages. Used to resolve `deploymentType: auto` and `serverless`.
    async fn list_catalog(&self) -> Result<Vec<Object>, ProviderError>;

    /// One object by full name, or `None` when it does not exist.
    async fn get(&self, kind: ResourceKind, name: &str) -> Result<Option<Object>, ProviderError>;

    /// Creates an object. `id` is the client-chosen id (`None` where the server picks one,
    /// e.g. deployed models); `body` is the resource, not a wrapper: the provider wraps it
    /// where the API wants `{datasetId, dataset}`. Returns the created object.
    async fn create(
        &self,
        kind: ResourceKind,
        id: Option<&str>,
        body: Object,
    ) -> Result<Object, ProviderError>;

    /// Updates the fields listed in `mask` (camelCase top-level field names) to the values in
    /// `body`. Returns the updated object. `body` also carries the fields the API wants on every
    /// update of the kind (a deployment's `baseModel`), outside the mask.
    async fn update(
        &self,
        kind: ResourceKind,
        name: &str,
        body: Object,
        mask: &[String],
    ) -> Result<Object, ProviderError>;

    /// Deletes an object (deployments hard). Deleting what is already gone succeeds.
    async fn delete(&self, kind: ResourceKind, name: &str) -> Result<(), ProviderError>;

    /// Deletes a model (a job's output), by full name. Deleting what is already gone succeeds.
    async fn delete_model(&self, name: &str) -> Result<(), ProviderError>;

    /// Whether a model exists, by full name.
    async fn model_exists(&self, name: &str) -> Result<bool, ProviderError>;

    /// Uploads the content of a dataset created in state `UPLOADING` and validates it.
    async fn upload_dataset(
        &self,
        name: &str,
        file_name: &str,
        content: Vec<u8>,
    ) -> Result<(), ProviderError>;

    /// Waits `duration`; the engine's only clock (polling, progress lines).
    async fn sleep(&self, duration: Duration);
}

/// What kind of failure a [`ProviderError`] is, where the engine treats it specially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderErrorKind {
    /// The object does not exist.
    NotFound,
    /// An object with that id already exists.
    AlreadyExists,
    /// The account answered that it did not do it (a client error such as 400 or 403):
    /// nothing was created or changed.
    Refused,
    /// Anything else.
    Other,
}

/// A failed provider operation.
#[derive(Debug)]
pub struct ProviderError {
    kind: ProviderErrorKind,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl ProviderError {
    /// Wraps a provider's own error.
    pub fn new(
        kind: ProviderErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> ProviderError {
        ProviderError { kind, source: source.into() }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ProviderErrorKind {
        self.kind
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl std::error::Error for ProviderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

//! Resource names and URL paths: [`Collection`] (the collections in scope, with their list keys
//! and create-id parameters) and [`ResourceName`] (`accounts/{a}/{collection}/{id}`), plus the
//! URL path builders shared by client and server.
//!
//! Id syntax rules (what the server accepts) are not checked here beyond refusing empty and
//! slash-containing segments; that is validation, not naming.

use std::fmt;
use std::str::FromStr;

/// The API version prefix of every control-plane path.
pub const API_PREFIX: &str = "/v1";

/// The account that owns the public model catalog.
pub const PUBLIC_ACCOUNT: &str = "fireworks";

/// A collection of resources under an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collection {
    /// `deployments`
    Deployments,
    /// `deployedModels`
    DeployedModels,
    /// `models`
    Models,
    /// `datasets`
    Datasets,
    /// `supervisedFineTuningJobs`
    SupervisedFineTuningJobs,
    /// `reinforcementFineTuningJobs`
    ReinforcementFineTuningJobs,
    /// `batchInferenceJobs`
    BatchInferenceJobs,
    /// `evaluators`
    Evaluators,
}

/// Where the id of a new resource goes on create (§0.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateId {
    /// A query parameter of this name; the body is the resource.
    Query(&'static str),
    /// A body field of this name; the body wraps the resource.
    Body(&'static str),
    /// The server always generates the id.
    ServerGenerated,
}

impl Collection {
    /// Every collection, in declaration order.
    pub const ALL: [Collection; 8] = [
        Self::Deployments,
        Self::DeployedModels,
        Self::Models,
        Self::Datasets,
        Self::SupervisedFineTuningJobs,
        Self::ReinforcementFineTuningJobs,
        Self::BatchInferenceJobs,
        Self::Evaluators,
    ];

    /// The path segment, which is also the list key of its list response.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployments => "deployments",
            Self::DeployedModels => "deployedModels",
            Self::Models => "models",
            Self::Datasets => "datasets",
            Self::SupervisedFineTuningJobs => "supervisedFineTuningJobs",
            Self::ReinforcementFineTuningJobs => "reinforcementFineTuningJobs",
            Self::BatchInferenceJobs => "batchInferenceJobs",
            Self::Evaluators => "evaluators",
        }
    }

    /// The list key of its list response (the same as [`Collection::as_str`]).
    pub fn list_key(self) -> &'static str {
        self.as_str()
    }

    /// Where the id of a new resource goes on create.
    pub fn create_id(self) -> CreateId {
        match self {
            Self::Deployments => CreateId::Query("deploymentId"),
            Self::SupervisedFineTuningJobs => CreateId::Query("supervisedFineTuningJobId"),
            Self::ReinforcementFineTuningJobs => CreateId::Query("reinforcementFineTuningJobId"),
            Self::BatchInferenceJobs => CreateId::Query("batchInferenceJobId"),
            Self::Datasets => CreateId::Body("datasetId"),
            Self::Models => CreateId::Body("modelId"),
            Self::Evaluators => CreateId::Body("evaluatorId"),
            Self::DeployedModels => CreateId::ServerGenerated,
        }
    }
}

impl fmt::Display for Collection {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Collection {
    type Err = NameParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|collection| collection.as_str() == text)
            .ok_or_else(|| NameParseError { text: text.to_owned() })
    }
}

/// A string that is not a resource name of a collection in scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a resource name like `accounts/my-account/deployments/my-id`")]
pub struct NameParseError {
    text: String,
}

/// A resource name: `accounts/{account}/{collection}/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceName {
    /// The account id (not `accounts/...`).
    pub account: String,
    /// The collection.
    pub collection: Collection,
    /// The resource id.
    pub id: String,
}

impl ResourceName {
    /// A name from its parts.
    pub fn new(account: impl Into<String>, collection: Collection, id: impl Into<String>) -> Self {
        Self { account: account.into(), collection, id: id.into() }
    }

    /// The URL path of the resource: `/v1/accounts/{a}/{collection}/{id}`.
    pub fn path(&self) -> String {
        format!("{API_PREFIX}/{self}")
    }

    /// The URL path of a custom method: `/v1/accounts/{a}/{collection}/{id}:{method}`.
    pub fn method_path(&self, method: &str) -> String {
        format!("{API_PREFIX}/{self}:{method}")
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "accounts/{}/{}/{}", self.account, self.collection, self.id)
    }
}

impl FromStr for ResourceName {
    type Err = NameParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || NameParseError { text: text.to_owned() };
        let mut parts = text.split('/');
        let (Some("accounts"), Some(account), Some(collection), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(error());
        };
        if account.is_empty() || id.is_empty() {
            return Err(error());
        }
        let collection = collection.parse().map_err(|_| error())?;
        Ok(Self::new(account, collection, id))
    }
}

/// The resource name of an account: `accounts/{account}`.
pub fn account_name(account: &str) -> String {
    format!("accounts/{account}")
}

/// The URL path of a collection: `/v1/accounts/{a}/{collection}`.
pub fn collection_path(account: &str, collection: Collection) -> String {
    format!("{API_PREFIX}/accounts/{account}/{collection}")
}

/// Turns a model reference into a full name: a bare id becomes `accounts/{account}/models/{id}`,
/// anything starting with `accounts/` passes through.
pub fn model_name(account: &str, model: &str) -> String {
    if model.starts_with("accounts/") {
        model.to_owned()
    } else {
        ResourceName::new(account, Collection::Models, model).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let name: ResourceName = "accounts/acme/deployments/shared-base".parse().unwrap();
        assert_eq!(name, ResourceName::new("acme", Collection::Deployments, "shared-base"));
        assert_eq!(name.to_string(), "accounts/acme/deployments/shared-base");
        assert_eq!(name.path(), "/v1/accounts/acme/deployments/shared-base");
        assert_eq!(name.method_path("scale"), "/v1/accounts/acme/deployments/shared-base:scale");
    }

    #[test]
    fn refuses_malformed_names() {
        for text in [
            "",
            "accounts/acme",
            "accounts//models/x",
            "accounts/a/models/",
            "accounts/a/widgets/x",
            "accounts/a/models/x/y",
            "users/a/models/x",
        ] {
            let error = text.parse::<ResourceName>().unwrap_err();
            assert!(error.to_string().contains(&format!("`{text}`")), "{error}");
        }
    }

    #[test]
    fn collections_know_their_create_id() {
        assert_eq!(Collection::Deployments.create_id(), CreateId::Query("deploymentId"));
        assert_eq!(Collection::Datasets.create_id(), CreateId::Body("datasetId"));
        assert_eq!(Collection::DeployedModels.create_id(), CreateId::ServerGenerated);
        for collection in Collection::ALL {
            assert_eq!(collection.as_str().parse::<Collection>().unwrap(), collection);
        }
        assert_eq!(collection_path("a", Collection::Models), "/v1/accounts/a/models");
        assert_eq!(model_name("a", "m"), "accounts/a/models/m");
        assert_eq!(model_name("a", "accounts/fireworks/models/m"), "accounts/fireworks/models/m");
    }
}

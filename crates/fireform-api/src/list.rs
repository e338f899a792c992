//! List responses (one per collection, each with its own list key), the shared list query
//! parameters and the [`ListPage`] trait that lets a client page through any collection.
//!
//! Paging itself (following `nextPageToken`) is the client's job; this module only names the
//! JSON and the query string.

use serde::{Deserialize, Serialize};

use crate::{
    Account, BatchInferenceJob, Dataset, DeployedModel, Deployment, Evaluator, Model,
    ReinforcementFineTuningJob, SupervisedFineTuningJob,
};

/// One page of a list response, whatever its list key.
pub trait ListPage {
    /// The resource listed.
    type Item;

    /// The items of this page.
    fn items(&self) -> &[Self::Item];

    /// Takes the items out of this page.
    fn into_items(self) -> Vec<Self::Item>;

    /// The token of the next page; `None` (or empty on the wire) on the last page.
    fn next_page_token(&self) -> Option<&str>;
}

macro_rules! list_response {
    ($(#[$meta:meta])* $name:ident, $item:ty, $field:ident, $key:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            #[doc = concat!("The items of this page (JSON key `", $key, "`).")]
            #[serde(rename = $key, default)]
            pub $field: Vec<$item>,
            /// Token of the next page; absent or empty on the last page.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub next_page_token: Option<String>,
            /// Total number of matching items across all pages.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub total_size: Option<i32>,
        }

        impl ListPage for $name {
            type Item = $item;

            fn items(&self) -> &[$item] {
                &self.$field
            }

            fn into_items(self) -> Vec<$item> {
                self.$field
            }

            fn next_page_token(&self) -> Option<&str> {
                self.next_page_token.as_deref().filter(|token| !token.is_empty())
            }
        }
    };
}

list_response!(
    /// Response of `GET .../deployments`.
    ListDeploymentsResponse, Deployment, deployments, "deployments"
);
list_response!(
    /// Response of `GET .../deployedModels`.
    ListDeployedModelsResponse, DeployedModel, deployed_models, "deployedModels"
);
list_response!(
    /// Response of `GET .../models`.
    ListModelsResponse, Model, models, "models"
);
list_response!(
    /// Response of `GET .../datasets`.
    ListDatasetsResponse, Dataset, datasets, "datasets"
);
list_response!(
    /// Response of `GET .../supervisedFineTuningJobs`.
    ListSupervisedFineTuningJobsResponse,
    SupervisedFineTuningJob,
    supervised_fine_tuning_jobs,
    "supervisedFineTuningJobs"
);
list_response!(
    /// Response of `GET .../reinforcementFineTuningJobs`.
    ListReinforcementFineTuningJobsResponse,
    ReinforcementFineTuningJob,
    reinforcement_fine_tuning_jobs,
    "reinforcementFineTuningJobs"
);
list_response!(
    /// Response of `GET .../batchInferenceJobs`.
    ListBatchInferenceJobsResponse, BatchInferenceJob, batch_inference_jobs, "batchInferenceJobs"
);
list_response!(
    /// Response of `GET .../evaluators`.
    ListEvaluatorsResponse, Evaluator, evaluators, "evaluators"
);
list_response!(
    /// Response of `GET /v1/accounts`.
    ListAccountsResponse, Account, accounts, "accounts"
);

/// The query parameters every list method accepts (§0.4), serialized camelCase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Items per page; default 50, values over 200 are coerced to 200.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "page_size")]
    pub page_size: Option<i32>,
    /// Token from the previous page; other parameters must repeat unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "page_token")]
    pub page_token: Option<String>,
    /// AIP-160 filter, e.g. `display_name="x" AND base_model="accounts/fireworks/models/y"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Comma-separated fields, each optionally followed by ` desc`.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "order_by")]
    pub order_by: Option<String>,
    /// Field mask of the items; empty or `*` means all fields.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "read_mask")]
    pub read_mask: Option<String>,
    /// Deployments only: include soft-deleted deployments.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "show_deleted")]
    pub show_deleted: Option<bool>,
}

/// Default page size of every list method.
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// Largest page size; larger requests are coerced to it.
pub const MAX_PAGE_SIZE: usize = 200;

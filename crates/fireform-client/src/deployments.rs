//! Deployments (§1 of the API reference): create (with `validateOnly`), get, list, update with
//! a mask, soft or hard delete, scale and undelete.
//!
//! Waiting for a deployment to become READY or gone is in `wait`; choosing what to change is
//! the plan's job.

use fireform_api::{Collection, Deployment, ScaleRequest};
use reqwest::Method;

use crate::client::Client;
use crate::error::Error;
use crate::pagination::{ListOptions, Pages};

/// Query flags of a deployment create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateDeploymentOptions {
    /// Dry run: nothing is created; the would-be deployment comes back.
    pub validate_only: bool,
    /// Allow a shape version that has not been validated.
    pub skip_shape_validation: bool,
    /// Do not also deploy the base model onto the new deployment.
    pub disable_auto_deploy: bool,
    /// Ignore the base model's default draft-model settings.
    pub disable_speculative_decoding: bool,
}

/// Query flags of a deployment delete.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeleteDeploymentOptions {
    /// Hard delete (the id becomes reusable) instead of soft delete (`DELETED`, undeletable).
    pub hard: bool,
    /// Delete even if the deployment is in use.
    pub ignore_checks: bool,
}

impl Client {
    /// `POST .../deployments?deploymentId=`; never creates twice (a 409 met by a retry adopts
    /// the matching deployment an earlier attempt created; see the crate docs).
    pub async fn create_deployment(
        &self,
        id: &str,
        deployment: &Deployment,
        options: &CreateDeploymentOptions,
    ) -> Result<Deployment, Error> {
        let mut query = Vec::new();
        let flags = [
            ("validateOnly", options.validate_only),
            ("skipShapeValidation", options.skip_shape_validation),
            ("disableAutoDeploy", options.disable_auto_deploy),
            ("disableSpeculativeDecoding", options.disable_speculative_decoding),
        ];
        for (name, set) in flags {
            if set {
                query.push((name, "true".to_owned()));
            }
        }
        self.create(id, deployment, query).await
    }

    /// `GET .../deployments/{id}`.
    pub async fn get_deployment(&self, id: &str) -> Result<Deployment, Error> {
        self.get(id).await
    }

    /// `GET .../deployments`, page by page.
    pub fn list_deployments(&self, options: &ListOptions) -> Pages<Deployment> {
        self.list(options)
    }

    /// `PATCH .../deployments/{id}?updateMask=` changing exactly `fields`.
    pub async fn update_deployment(
        &self,
        id: &str,
        deployment: &Deployment,
        fields: &[&str],
    ) -> Result<Deployment, Error> {
        self.update(id, deployment, fields).await
    }

    /// `DELETE .../deployments/{id}` (soft unless `hard`).
    pub async fn delete_deployment(
        &self,
        id: &str,
        options: DeleteDeploymentOptions,
    ) -> Result<(), Error> {
        let mut query = Vec::new();
        if options.hard {
            query.push(("hard", "true".to_owned()));
        }
        if options.ignore_checks {
            query.push(("ignoreChecks", "true".to_owned()));
        }
        self.delete_with::<Deployment>(id, query).await
    }

    /// `PATCH .../deployments/{id}:scale` to `replica_count` replicas.
    pub async fn scale_deployment(&self, id: &str, replica_count: i32) -> Result<(), Error> {
        let body = serde_json::to_value(ScaleRequest {
            replica_count: Some(replica_count),
            ..ScaleRequest::default()
        })
        .map_err(|error| Error::InvalidRequest(error.to_string()))?;
        self.custom_unread(Method::PATCH, Collection::Deployments, id, "scale", Some(&body)).await
    }

    /// `POST .../deployments/{id}:undelete`: restores a soft-deleted deployment.
    pub async fn undelete_deployment(&self, id: &str) -> Result<Deployment, Error> {
        let body = serde_json::json!({});
        self.custom(Method::POST, Collection::Deployments, id, "undelete", Some(&body)).await
    }
}

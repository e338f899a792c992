//! Deployed models (§2 of the API reference): loading a model (usually a LoRA addon) onto a
//! deployment, reading, listing, updating and unloading loads.
//!
//! The server chooses a load's id, so a load whose reply was lost cannot be recognised by id.
//! Before retrying after such an ambiguous failure, and on a 409 at a retry, the client lists
//! the loads of the model (`filter=model="…"`) and adopts one on the same deployment instead
//! of loading the model a second time.

use fireform_api::{Collection, DeployedModel, DeployedModelState};
use reqwest::Method;

use crate::client::{Client, to_json};
use crate::error::Error;
use crate::pagination::{ListOptions, Pages};
use crate::retry::RetryState;
use crate::transport::Call;

/// Query flags of a load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Required for hot-reload deployments: merge the new addon, unmerging the old one.
    pub replace_merged_addon: bool,
}

impl Client {
    /// `POST .../deployedModels`: loads `load.model` onto `load.deployment`, never twice.
    pub async fn load_model(
        &self,
        load: &DeployedModel,
        options: LoadOptions,
    ) -> Result<DeployedModel, Error> {
        let Some(model) = load.model.as_deref() else {
            return Err(Error::InvalidRequest("a load needs a `model`".to_owned()));
        };
        let mut call = Call::new(Method::POST, self.collection_path(Collection::DeployedModels))
            .json(&to_json(load)?)?;
        if options.replace_merged_addon {
            call = call.query("replaceMergedAddon", "true");
        }
        let transport = self.transport();
        let mut retry = RetryState::new(transport.retry_policy());
        let mut maybe_loaded = false;
        loop {
            if maybe_loaded
                && let Some(existing) = self.find_load(model, load.deployment.as_deref()).await?
            {
                tracing::info!(model, "adopted the load an earlier attempt created");
                return Ok(existing);
            }
            let attempt = retry.begin_attempt();
            let failure = match transport.attempt(&call, retry.remaining()).await {
                Ok(reply) => return self.decode(&call, &reply),
                Err(failure) => failure,
            };
            maybe_loaded |= failure.is_ambiguous();
            if let Some(delay) = transport.retry_delay(&retry, &failure) {
                transport.pause(&call, attempt, delay, &failure).await;
                continue;
            }
            let error = transport.error(&call, failure, attempt);
            // A 409 at a retry, or a last failure that may have loaded it: look once more.
            if (maybe_loaded || (error.is_already_exists() && attempt > 1))
                && let Some(existing) = self.find_load(model, load.deployment.as_deref()).await?
            {
                tracing::info!(model, "adopted the load an earlier attempt created");
                return Ok(existing);
            }
            return Err(error);
        }
    }

    /// The live load of `model` on `deployment` (full resource names; `None` for serverless),
    /// if any: found with one filtered list. Loads being unloaded do not count.
    pub async fn find_load(
        &self,
        model: &str,
        deployment: Option<&str>,
    ) -> Result<Option<DeployedModel>, Error> {
        let filter = format!("model=\"{}\"", model.replace('\\', "\\\\").replace('"', "\\\""));
        let loads =
            self.list_all::<DeployedModel>(&ListOptions::default().with_filter(filter)).await?;
        Ok(loads.into_iter().find(|load| {
            load.model.as_deref() == Some(model)
                && load.deployment.as_deref() == deployment
                && load.state != Some(DeployedModelState::Undeploying)
        }))
    }

    /// `GET .../deployedModels/{id}`.
    pub async fn get_deployed_model(&self, id: &str) -> Result<DeployedModel, Error> {
        self.get(id).await
    }

    /// `GET .../deployedModels`, page by page; filter by model with
    /// `ListOptions::default().with_filter("model=\"accounts/a/models/m\"")`.
    pub fn list_deployed_models(&self, options: &ListOptions) -> Pages<DeployedModel> {
        self.list(options)
    }

    /// `PATCH .../deployedModels/{id}?updateMask=` changing exactly `fields`.
    pub async fn update_deployed_model(
        &self,
        id: &str,
        load: &DeployedModel,
        fields: &[&str],
    ) -> Result<DeployedModel, Error> {
        self.update(id, load, fields).await
    }

    /// `DELETE .../deployedModels/{id}`: unloads the model.
    pub async fn unload_model(&self, id: &str) -> Result<(), Error> {
        self.delete::<DeployedModel>(id).await
    }
}

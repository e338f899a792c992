//! The Fireworks provider: [`fireform_plan::Provider`] implemented over
//! [`fireform_client::Client`].
//!
//! It translates the engine's JSON objects to and from the client's typed wire structs (which
//! keep unknown fields, so nothing is lost), picks the typed operation for each kind, and maps
//! client errors onto [`ProviderErrorKind`]. It holds no policy: retries, rate limits and
//! never-create-twice are the client's; what to change is the engine's.

use std::time::Duration;

use bytes::Bytes;
use fireform_api::{
    BatchInferenceJob, Dataset, DeployedModel, Deployment, Model, ReinforcementFineTuningJob,
    SupervisedFineTuningJob,
};
use fireform_client::{
    Client, ClientConfig, CreateDeploymentOptions, DeleteDeploymentOptions, Error, ListOptions,
    LoadOptions, UploadMethod, id_of,
};
use fireform_core::ResourceKind;
use fireform_plan::{Object, Provider, ProviderError, ProviderErrorKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

/// The account that owns the public model catalog.
pub const CATALOG_ACCOUNT: &str = "fireworks";

/// A Fireworks account, as the plan engine sees it.
#[derive(Debug, Clone)]
pub struct FireworksProvider {
    client: Client,
    catalog: Client,
}

impl FireworksProvider {
    /// A provider over `client`; `config` is the client's configuration, reused (with the
    /// account set to [`CATALOG_ACCOUNT`]) to read the public catalog.
    pub fn new(client: Client, config: &ClientConfig) -> Result<FireworksProvider, Error> {
        let catalog = Client::new(config.clone().with_account_id(CATALOG_ACCOUNT)?)?;
        Ok(FireworksProvider { client, catalog })
    }

    /// The client behind this provider.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn id<'a>(&self, name: &'a str) -> &'a str {
        id_of(name)
    }
}

fn to_object<T: Serialize>(value: &T) -> Result<Object, ProviderError> {
    match serde_json::to_value(value) {
        Ok(Json::Object(object)) => Ok(object),
        Ok(other) => Err(other_error(format!("expected an object, got `{other}`"))),
        Err(error) => Err(ProviderError::new(ProviderErrorKind::Other, error)),
    }
}

fn from_object<T: DeserializeOwned>(object: Object) -> Result<T, ProviderError> {
    serde_json::from_value(Json::Object(object))
        .map_err(|error| ProviderError::new(ProviderErrorKind::Other, error))
}

fn other_error(message: String) -> ProviderError {
    ProviderError::new(ProviderErrorKind::Other, message)
}

fn map_error(error: Error) -> ProviderError {
    let kind = if error.is_not_found() {
        ProviderErrorKind::NotFound
    } else if error.is_already_exists() {
        ProviderErrorKind::AlreadyExists
    } else if matches!(&error, Error::Request(_))
        && error.status().is_some_and(|status| {
            (400..500).contains(&status) && !matches!(status, 404 | 408 | 409 | 429)
        })
    {
        ProviderErrorKind::Refused
    } else {
        ProviderErrorKind::Other
    };
    ProviderError::new(kind, error)
}

fn objects<T: Serialize>(items: Vec<T>) -> Result<Vec<Object>, ProviderError> {
    items.iter().map(to_object).collect()
}

fn absent_if_not_found<T>(result: Result<T, Error>) -> Result<Option<T>, ProviderError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(map_error(error)),
    }
}

fn gone_is_fine(result: Result<(), Error>) -> Result<(), ProviderError> {
    match result {
        Err(error) if !error.is_not_found() => Err(map_error(error)),
        _ => Ok(()),
    }
}

fn required_id(kind: ResourceKind, id: Option<&str>) -> Result<&str, ProviderError> {
    id.ok_or_else(|| other_error(format!("creating a {kind} needs an id")))
}

impl Provider for FireworksProvider {
    fn account(&self) -> &str {
        self.client.account_id()
    }

    async fn list(&self, kind: ResourceKind) -> Result<Vec<Object>, ProviderError> {
        let options = ListOptions::default();
        let client = &self.client;
        match kind {
            ResourceKind::Deployment => {
                objects(client.list_all::<Deployment>(&options).await.map_err(map_error)?)
            }
            ResourceKind::LoraAddon => {
                objects(client.list_all::<DeployedModel>(&options).await.map_err(map_error)?)
            }
            ResourceKind::Dataset => {
                objects(client.list_all::<Dataset>(&options).await.map_err(map_error)?)
            }
            ResourceKind::SupervisedFineTuningJob => objects(
                client.list_all::<SupervisedFineTuningJob>(&options).await.map_err(map_error)?,
            ),
            ResourceKind::ReinforcementFineTuningJob => objects(
                client.list_all::<ReinforcementFineTuningJob>(&options).await.map_err(map_error)?,
            ),
            ResourceKind::BatchInferenceJob => {
                objects(client.list_all::<BatchInferenceJob>(&options).await.map_err(map_error)?)
            }
        }
    }

    async fn list_catalog(&self) -> Result<Vec<Object>, ProviderError> {
        objects(self.catalog.list_all::<Model>(&ListOptions::default()).await.map_err(map_error)?)
    }

    async fn get(&self, kind: ResourceKind, name: &str) -> Result<Option<Object>, ProviderError> {
        let id = self.id(name);
        let client = &self.client;
        match kind {
            ResourceKind::Deployment => absent_if_not_found(client.get_deployment(id).await)?
                .as_ref()
                .map(to_object)
                .transpose(),
            ResourceKind::LoraAddon => absent_if_not_found(client.get_deployed_model(id).await)?
                .as_ref()
                .map(to_object)
                .transpose(),
            ResourceKind::Dataset => absent_if_not_found(client.get_dataset(id).await)?
                .as_ref()
                .map(to_object)
                .transpose(),
            ResourceKind::SupervisedFineTuningJob => {
                absent_if_not_found(client.get_sft_job(id).await)?
                    .as_ref()
                    .map(to_object)
                    .transpose()
            }
            ResourceKind::ReinforcementFineTuningJob => {
                absent_if_not_found(client.get_rft_job(id).await)?
                    .as_ref()
                    .map(to_object)
                    .transpose()
            }
            ResourceKind::BatchInferenceJob => absent_if_not_found(client.get_batch_job(id).await)?
                .as_ref()
                .map(to_object)
                .transpose(),
        }
    }

    async fn create(
        &self,
        kind: ResourceKind,
        id: Option<&str>,
        body: Object,
    ) -> Result<Object, ProviderError> {
        let client = &self.client;
        match kind {
            ResourceKind::Deployment => {
                let deployment: Deployment = from_object(body)?;
                let options = CreateDeploymentOptions::default();
                let created = client
                    .create_deployment(required_id(kind, id)?, &deployment, &options)
                    .await
                    .map_err(map_error)?;
                to_object(&created)
            }
            ResourceKind::LoraAddon => {
                let load: DeployedModel = from_object(body)?;
                to_object(
                    &client.load_model(&load, LoadOptions::default()).await.map_err(map_error)?,
                )
            }
            ResourceKind::Dataset => {
                let dataset: Dataset = from_object(body)?;
                to_object(
                    &client
                        .create_dataset(required_id(kind, id)?, &dataset)
                        .await
                        .map_err(map_error)?,
                )
            }
            ResourceKind::SupervisedFineTuningJob => {
                let job: SupervisedFineTuningJob = from_object(body)?;
                to_object(
                    &client
                        .create_sft_job(required_id(kind, id)?, &job)
                        .await
                        .map_err(map_error)?,
                )
            }
            ResourceKind::ReinforcementFineTuningJob => {
                let job: ReinforcementFineTuningJob = from_object(body)?;
                to_object(
                    &client
                        .create_rft_job(required_id(kind, id)?, &job)
                        .await
                        .map_err(map_error)?,
                )
            }
            ResourceKind::BatchInferenceJob => {
                let job: BatchInferenceJob = from_object(body)?;
                to_object(
                    &client
                        .create_batch_job(required_id(kind, id)?, &job)
                        .await
                        .map_err(map_error)?,
                )
            }
        }
    }

    async fn update(
        &self,
        kind: ResourceKind,
        name: &str,
        body: Object,
        mask: &[String],
    ) -> Result<Object, ProviderError> {
        let id = self.id(name);
        let fields: Vec<&str> = mask.iter().map(String::as_str).collect();
        let client = &self.client;
        match kind {
            ResourceKind::Deployment => {
                // The engine sends `baseModel`, which the API wants on every deployment PATCH.
                let deployment: Deployment = from_object(body)?;
                to_object(
                    &client.update_deployment(id, &deployment, &fields).await.map_err(map_error)?,
                )
            }
            ResourceKind::LoraAddon => {
                let load: DeployedModel = from_object(body)?;
                to_object(
                    &client.update_deployed_model(id, &load, &fields).await.map_err(map_error)?,
                )
            }
            ResourceKind::Dataset => {
                let dataset: Dataset = from_object(body)?;
                to_object(&client.update_dataset(id, &dataset, &fields).await.map_err(map_error)?)
            }
            ResourceKind::SupervisedFineTuningJob
            | ResourceKind::ReinforcementFineTuningJob
            | ResourceKind::BatchInferenceJob => {
                Err(other_error(format!("{kind} has no update endpoint; it can only be replaced")))
            }
        }
    }

    async fn delete(&self, kind: ResourceKind, name: &str) -> Result<(), ProviderError> {
        let id = self.id(name);
        let client = &self.client;
        gone_is_fine(match kind {
            ResourceKind::Deployment => {
                client
                    .delete_deployment(
                        id,
                        DeleteDeploymentOptions { hard: true, ignore_checks: false },
                    )
                    .await
            }
            ResourceKind::LoraAddon => client.unload_model(id).await,
            ResourceKind::Dataset => client.delete_dataset(id).await,
            ResourceKind::SupervisedFineTuningJob => client.delete_sft_job(id).await,
            ResourceKind::ReinforcementFineTuningJob => client.delete_rft_job(id).await,
            ResourceKind::BatchInferenceJob => client.delete_batch_job(id).await,
        })
    }

    async fn delete_model(&self, name: &str) -> Result<(), ProviderError> {
        if !name.starts_with(&format!("accounts/{}/", self.client.account_id())) {
            return Err(other_error(format!(
                "model `{name}` belongs to another account; fireform does not delete it"
            )));
        }
        gone_is_fine(self.client.delete_model(self.id(name)).await)
    }

    async fn model_exists(&self, name: &str) -> Result<bool, ProviderError> {
        let owner = name.strip_prefix("accounts/").and_then(|rest| rest.split('/').next());
        let client = if owner == Some(CATALOG_ACCOUNT) { &self.catalog } else { &self.client };
        Ok(absent_if_not_found(client.get_model(self.id(name)).await)?.is_some())
    }

    async fn upload_dataset(
        &self,
        name: &str,
        file_name: &str,
        content: Vec<u8>,
    ) -> Result<(), ProviderError> {
        self.client
            .upload_dataset_file(self.id(name), file_name, Bytes::from(content), UploadMethod::Auto)
            .await
            .map_err(map_error)
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

#[cfg(test)]
mod tests {
    //! Issue 10 at the provider: what a misbehaving proxy sends reaches the engine as an error
    //! (an empty body) or as objects whose absent fields are absent and whose unknown enum
    //! values are their raw strings, never as "nothing is there" or as zero values.

    use fireform_api::{AcceleratorType, Precision};
    use fireform_client::{ApiKey, RetryPolicy};
    use fireform_emulator::{EmulatorConfig, EmulatorHandle, Mangle, Timings, Trouble};

    use super::*;

    /// An emulator holding one deployment and one dataset, and a provider over it.
    async fn converged() -> (EmulatorHandle, FireworksProvider) {
        let config = EmulatorConfig { timings: Timings::instant(), ..EmulatorConfig::default() };
        let api_key = config.api_key.clone();
        let emulator = fireform_emulator::start(config).await.expect("the emulator starts");
        let retry = RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        };
        let config = ClientConfig::new(ApiKey::new(api_key))
            .with_base_url(&emulator.url())
            .expect("a loopback URL")
            .with_retry_policy(retry);
        let client = Client::connect(config.clone()).await.expect("the client connects");
        let provider = FireworksProvider::new(client, &config).expect("the provider builds");
        let deployment = Deployment {
            base_model: Some("accounts/fireworks/models/llama-v3p1-8b-instruct".to_owned()),
            accelerator_type: Some(AcceleratorType::NvidiaH100_80Gb),
            precision: Some(Precision::Fp8),
            min_replica_count: Some(0),
            max_replica_count: Some(1),
            ..Deployment::default()
        };
        provider
            .create(ResourceKind::Deployment, Some("served"), to_object(&deployment).unwrap())
            .await
            .expect("the deployment is created");
        (emulator, provider)
    }

    fn mangle(emulator: &EmulatorHandle, mangle: Mangle) {
        emulator.set_trouble(Trouble { mangle: Some(mangle), ..Trouble::default() });
    }

    #[tokio::test]
    async fn an_empty_body_is_an_error_not_an_empty_account() {
        let (emulator, provider) = converged().await;
        mangle(&emulator, Mangle::EmptyBody);
        let listed = provider.list(ResourceKind::Deployment).await;
        let error = listed.expect_err("an empty body is no list");
        assert_eq!(error.kind(), ProviderErrorKind::Other);
        assert!(error.to_string().contains("the response body was empty"), "{error}");
        let read = provider.get(ResourceKind::Deployment, "served").await;
        assert!(read.is_err(), "not `Ok(None)`: the object is not gone");
        assert!(provider.list_catalog().await.is_err());
    }

    #[tokio::test]
    async fn stripped_objects_reach_the_engine_without_the_missing_fields() {
        let (emulator, provider) = converged().await;
        mangle(&emulator, Mangle::StripFields);
        let listed = provider.list(ResourceKind::Deployment).await.unwrap();
        let object = &listed[0];
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert!(
            keys.iter()
                .all(|key| ["createTime", "name", "state", "status", "updateTime"].contains(key)),
            "absent fields stay absent, not zero values: {keys:?}"
        );
        assert_eq!(object["state"], "READY");
        let read = provider.get(ResourceKind::Deployment, "served").await.unwrap().unwrap();
        assert!(read.get("baseModel").is_none() && read.get("minReplicaCount").is_none());
    }

    #[tokio::test]
    async fn a_create_the_account_refuses_is_refused_and_one_that_collides_already_exists() {
        let (_emulator, provider) = converged().await;
        // No base model: the API answers 400, so nothing was created.
        let refused = provider.create(ResourceKind::Deployment, Some("bad"), Object::new()).await;
        assert_eq!(refused.expect_err("a 400").kind(), ProviderErrorKind::Refused);
        assert!(provider.get(ResourceKind::Deployment, "bad").await.unwrap().is_none());
        let deployment = Deployment {
            base_model: Some("accounts/fireworks/models/llama-v3p1-8b-instruct".to_owned()),
            accelerator_type: Some(AcceleratorType::NvidiaA100_80Gb),
            ..Deployment::default()
        };
        let again = provider
            .create(ResourceKind::Deployment, Some("served"), to_object(&deployment).unwrap())
            .await;
        assert_eq!(again.expect_err("a 409").kind(), ProviderErrorKind::AlreadyExists);
    }

    #[tokio::test]
    async fn unknown_enum_values_reach_the_engine_as_their_raw_strings() {
        let (emulator, provider) = converged().await;
        mangle(&emulator, Mangle::UnknownEnums);
        let listed = provider.list(ResourceKind::Deployment).await.unwrap();
        assert_eq!(listed[0]["acceleratorType"], "ACCELERATOR_TYPE_FROM_THE_FUTURE");
        assert_eq!(listed[0]["precision"], "PRECISION_FROM_THE_FUTURE");
        assert_eq!(listed[0]["state"], "READY");
        assert_eq!(listed[0]["minReplicaCount"], 0);
    }

    #[test]
    fn conversion_keeps_absent_fields_absent_and_unknown_values_verbatim() {
        let wire = serde_json::json!({
            "name": "accounts/a/datasets/d",
            "format": "FORMAT_FROM_THE_FUTURE",
            "state": "READY",
            "somethingNew": {"nested": true},
        });
        let Json::Object(wire) = wire else { unreachable!("a JSON object literal") };
        let dataset: Dataset = from_object(wire.clone()).unwrap();
        assert_eq!(to_object(&dataset).unwrap(), wire);
        let empty = to_object(&Deployment::default()).unwrap();
        assert!(empty.is_empty(), "a default struct has no fields, not zero values: {empty:?}");
    }
}

//! [`Client`]: one Fireworks account behind one connection pool, and the generic operations
//! every resource shares (get, create with adoption, update with a mask, delete, custom methods).
//!
//! The typed per-resource operations (`create_deployment`, `load_model`, ...) live in the
//! resource modules and are thin wrappers over these. This module does not page (see
//! `pagination`) and does not wait (see `wait`).

use std::sync::Arc;

use fireform_api::{Collection, CreateId, Resource, ResourceName, collection_path};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::adopt::echoes;
use crate::config::{ClientConfig, ConfigError};
use crate::error::Error;
use crate::mask::{prune_to_fields, update_mask};
use crate::transport::{Call, Expect, Reply, Transport};

/// A client for one Fireworks account. Cheap to clone; clones share the connection pool, the
/// rate limit and the concurrency limit.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    account_id: String,
}

impl Client {
    /// Builds a client; when the configuration names no account, discovers it with
    /// `GET /v1/accounts?pageSize=2` and takes the first account the key can see.
    pub async fn connect(config: ClientConfig) -> Result<Client, Error> {
        let transport = Transport::new(&config)?;
        let account_id = match config.account_id {
            Some(account_id) => account_id,
            None => crate::accounts::discover_account(&transport).await?,
        };
        Ok(Client { inner: Arc::new(Inner { transport, account_id }) })
    }

    /// Builds a client for the account the configuration names, without any request.
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        let transport = Transport::new(&config)?;
        let account_id = config.account_id.ok_or(ConfigError::InvalidSetting {
            setting: "account_id",
            reason: "no account given; use `Client::connect` to discover it".to_owned(),
        })?;
        Ok(Client { inner: Arc::new(Inner { transport, account_id }) })
    }

    /// The account this client works in.
    pub fn account_id(&self) -> &str {
        &self.inner.account_id
    }

    /// HTTP attempts this client (and its clones) sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.inner.transport.attempts_sent()
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The resource name of `id` in `collection` of this account.
    pub fn resource_name(&self, collection: Collection, id: &str) -> ResourceName {
        ResourceName::new(self.account_id(), collection, id)
    }

    /// `/v1/accounts/{a}/{collection}`.
    pub(crate) fn collection_path(&self, collection: Collection) -> String {
        collection_path(self.account_id(), collection)
    }

    pub(crate) async fn send<T: DeserializeOwned>(&self, call: &Call) -> Result<T, Error> {
        let reply = self.transport().execute(call).await?;
        self.decode(call, &reply)
    }

    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        call: &Call,
        reply: &Reply,
    ) -> Result<T, Error> {
        self.transport().decode(call, reply)
    }

    /// `GET` one resource by id.
    pub async fn get<R: Resource>(&self, id: &str) -> Result<R, Error> {
        check_id(id)?;
        let call = Call::new(Method::GET, self.resource_name(R::COLLECTION, id).path());
        self.send(&call).await
    }

    /// Creates a resource with a client-chosen id, never twice.
    ///
    /// A create whose reply was lost (dropped connection, timeout, 5xx) is retried. When a
    /// retry then meets 409 ALREADY_EXISTS, the earlier attempt probably succeeded: the client
    /// reads the resource and adopts it if it **matches** what was asked, i.e. every field the
    /// request set that the server echoes back has the same value (see [`crate::adopt`] for the
    /// exact rule). Otherwise, or on a 409 at the first attempt, the result is
    /// [`ErrorKind::AlreadyExists`].
    pub(crate) async fn create<R: Resource>(
        &self,
        id: &str,
        resource: &R,
        query: Vec<(&'static str, String)>,
    ) -> Result<R, Error> {
        check_id(id)?;
        let collection = R::COLLECTION;
        let resource_json = to_json(resource)?;
        let mut call = Call::new(Method::POST, self.collection_path(collection));
        match collection.create_id() {
            CreateId::Query(parameter) => {
                call = call.query(parameter, id).json(&resource_json)?;
            }
            CreateId::Body(parameter) => {
                let field = parameter.strip_suffix("Id").unwrap_or(parameter);
                let body = serde_json::json!({ parameter: id, field: resource_json });
                call = call.json(&body)?;
            }
            CreateId::ServerGenerated => {
                return Err(Error::InvalidRequest(format!(
                    "`{collection}` ids are chosen by the server; no id can be given"
                )));
            }
        }
        for (name, value) in query {
            call = call.query(name, value);
        }
        match self.send::<R>(&call).await {
            Err(error) if error.is_already_exists() && error.attempts() > 1 => {
                let existing: R = self.get(id).await?;
                if echoes(&resource_json, &to_json(&existing)?) {
                    tracing::info!(
                        collection = collection.as_str(),
                        id,
                        "adopted the resource an earlier attempt created"
                    );
                    Ok(existing)
                } else {
                    Err(error)
                }
            }
            result => result,
        }
    }

    /// `PATCH` a resource, changing exactly `fields` (camelCase JSON names, dotted for nested
    /// fields: `minReplicaCount`, `autoscalingPolicy.scaleUpWindow`).
    ///
    /// Sends `updateMask=<snake_case paths>` and a body holding only the named top-level
    /// fields. A field named but unset in `resource` is cleared on the server.
    pub async fn update<R: Resource>(
        &self,
        id: &str,
        resource: &R,
        fields: &[&str],
    ) -> Result<R, Error> {
        check_id(id)?;
        let mask = update_mask(fields)?;
        let resource_json = to_json(resource)?;
        // The SDK always sends a deployment's `baseModel` (the schema requires it); the mask
        // keeps the server from treating it as a change.
        let base_model = match R::COLLECTION {
            Collection::Deployments => resource_json.get("baseModel").cloned(),
            _ => None,
        };
        let mut body = prune_to_fields(resource_json, fields);
        if let (Some(base_model), serde_json::Value::Object(object)) = (base_model, &mut body) {
            object.insert("baseModel".to_owned(), base_model);
        }
        let call = Call::new(Method::PATCH, self.resource_name(R::COLLECTION, id).path())
            .query("updateMask", mask)
            .json(&body)?;
        self.send(&call).await
    }

    /// `DELETE` a resource. A 404 on a retry means an earlier attempt deleted it: success.
    pub(crate) async fn delete_with<R: Resource>(
        &self,
        id: &str,
        query: Vec<(&'static str, String)>,
    ) -> Result<(), Error> {
        check_id(id)?;
        let mut call = Call::new(Method::DELETE, self.resource_name(R::COLLECTION, id).path())
            .expect(Expect::Status);
        for (name, value) in query {
            call = call.query(name, value);
        }
        match self.transport().execute(&call).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() && error.attempts() > 1 => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// `DELETE` a resource by id.
    pub async fn delete<R: Resource>(&self, id: &str) -> Result<(), Error> {
        self.delete_with::<R>(id, Vec::new()).await
    }

    /// Calls a custom method (`POST .../{id}:undelete`) with a JSON body; its answer must be
    /// a JSON object.
    pub(crate) async fn custom<T: DeserializeOwned>(
        &self,
        method: Method,
        collection: Collection,
        id: &str,
        custom_method: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, Error> {
        let call = self.custom_call(method, collection, id, custom_method, body)?;
        self.send(&call).await
    }

    /// Calls a custom method whose answer (`google.protobuf.Empty`, or a message fireform does
    /// not read) is not looked at: the success status is the answer (`:scale`, `:cancel`,
    /// `:validateUpload`).
    pub(crate) async fn custom_unread(
        &self,
        method: Method,
        collection: Collection,
        id: &str,
        custom_method: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(), Error> {
        let call =
            self.custom_call(method, collection, id, custom_method, body)?.expect(Expect::Status);
        self.transport().execute(&call).await?;
        Ok(())
    }

    fn custom_call(
        &self,
        method: Method,
        collection: Collection,
        id: &str,
        custom_method: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Call, Error> {
        check_id(id)?;
        let mut call =
            Call::new(method, self.resource_name(collection, id).method_path(custom_method));
        if let Some(body) = body {
            call = call.json(body)?;
        }
        Ok(call)
    }
}

pub(crate) fn to_json(value: &impl serde::Serialize) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value)
        .map_err(|error| Error::InvalidRequest(format!("cannot serialise the body: {error}")))
}

/// Refuses ids that would change the URL's meaning; the server judges the rest.
pub(crate) fn check_id(id: &str) -> Result<(), Error> {
    if id.is_empty()
        || id.contains(['/', '?', '#', ':', '%'])
        || id.chars().any(char::is_whitespace)
    {
        return Err(Error::InvalidRequest(format!("`{id}` is not a resource id")));
    }
    Ok(())
}

/// The id at the end of a resource name (`accounts/a/deployments/x` → `x`); a bare id passes.
pub fn id_of(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_would_break_the_url_are_refused() {
        for id in ["", "a/b", "a:scale", "a?b", "a b", "%2F"] {
            assert!(check_id(id).is_err(), "{id}");
        }
        assert!(check_id("shared-base-1").is_ok());
        assert_eq!(id_of("accounts/a/deployments/x"), "x");
        assert_eq!(id_of("x"), "x");
    }
}

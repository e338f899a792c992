//! Models (§3 of the API reference): create, get, list, update with a mask, delete.
//!
//! Model file uploads (`:getUploadEndpoint` for models) are not used by fireform yet and are
//! not offered.

use fireform_api::Model;

use crate::client::Client;
use crate::error::Error;
use crate::pagination::{ListOptions, Pages};

impl Client {
    /// `POST .../models` with `{modelId, model}`; never creates twice.
    pub async fn create_model(&self, id: &str, model: &Model) -> Result<Model, Error> {
        self.create(id, model, Vec::new()).await
    }

    /// `GET .../models/{id}`.
    pub async fn get_model(&self, id: &str) -> Result<Model, Error> {
        self.get(id).await
    }

    /// `GET .../models`, page by page.
    pub fn list_models(&self, options: &ListOptions) -> Pages<Model> {
        self.list(options)
    }

    /// `PATCH .../models/{id}?updateMask=` changing exactly `fields`.
    pub async fn update_model(
        &self,
        id: &str,
        model: &Model,
        fields: &[&str],
    ) -> Result<Model, Error> {
        self.update(id, model, fields).await
    }

    /// `DELETE .../models/{id}`.
    pub async fn delete_model(&self, id: &str) -> Result<(), Error> {
        self.delete::<Model>(id).await
    }
}

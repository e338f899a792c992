//! Models (§3 of the API reference): get, list, update with a mask, delete.
//!
//! fireform never creates models directly (fine-tuning jobs create their output models), so
//! model create and model file uploads are not offered.

use fireform_api::Model;

use crate::client::Client;
use crate::error::Error;
use crate::pagination::{ListOptions, Pages};

impl Client {
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

//! Evaluators (§10.1 of the API reference): create, get, list, delete.
//!
//! Code upload for evaluators is not offered yet; fireform creates evaluators from inline
//! criteria.

use fireform_api::Evaluator;

use crate::client::Client;
use crate::error::Error;
use crate::pagination::{ListOptions, Pages};

impl Client {
    /// `POST .../evaluators` with `{evaluatorId, evaluator}`; never creates twice.
    pub async fn create_evaluator(
        &self,
        id: &str,
        evaluator: &Evaluator,
    ) -> Result<Evaluator, Error> {
        self.create(id, evaluator, Vec::new()).await
    }

    /// `GET .../evaluators/{id}`.
    pub async fn get_evaluator(&self, id: &str) -> Result<Evaluator, Error> {
        self.get(id).await
    }

    /// `GET .../evaluators`, page by page.
    pub fn list_evaluators(&self, options: &ListOptions) -> Pages<Evaluator> {
        self.list(options)
    }

    /// `DELETE .../evaluators/{id}`.
    pub async fn delete_evaluator(&self, id: &str) -> Result<(), Error> {
        self.delete::<Evaluator>(id).await
    }
}

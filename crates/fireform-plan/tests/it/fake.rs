//! An in-memory [`Provider`] for engine tests: objects per collection, immediate readiness,
//! failures on demand, and a log of every mutating call so tests can assert order and count.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use fireform_core::ResourceKind;
use fireform_plan::{Object, Provider, ProviderError, ProviderErrorKind};
use serde_json::{Value as Json, json};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct FakeError(pub String);

pub(crate) struct FakeProvider {
    account: String,
    objects: RefCell<BTreeMap<ResourceKind, BTreeMap<String, Object>>>,
    pub(crate) models: RefCell<BTreeSet<String>>,
    pub(crate) log: RefCell<Vec<String>>,
    /// Ids whose create ends in a failed state.
    pub(crate) fail: RefCell<BTreeSet<String>>,
    /// How many list calls were made.
    pub(crate) lists: Cell<usize>,
    catalog: Vec<Object>,
    next_id: Cell<u32>,
}

pub(crate) fn object(value: Json) -> Object {
    match value {
        Json::Object(object) => object,
        _ => panic!("not an object: {value}"),
    }
}

impl FakeProvider {
    pub(crate) fn new() -> FakeProvider {
        FakeProvider {
            account: "acme".to_owned(),
            objects: RefCell::default(),
            models: RefCell::default(),
            log: RefCell::default(),
            fail: RefCell::default(),
            lists: Cell::new(0),
            catalog: vec![
                object(
                    json!({"name": "accounts/fireworks/models/served", "deployedModelRefs": [{"state": "DEPLOYED", "deployment": "accounts/fireworks/deployments/s"}]}),
                ),
                object(json!({"name": "accounts/fireworks/models/llama-v3p1-8b-instruct"})),
            ],
            next_id: Cell::new(1),
        }
    }

    pub(crate) fn set_field(&self, kind: ResourceKind, id: &str, field: &str, value: Json) {
        let name = format!("accounts/acme/{}/{id}", kind.collection());
        let mut objects = self.objects.borrow_mut();
        let object = objects
            .get_mut(&kind)
            .and_then(|objects| objects.get_mut(&name))
            .expect("object exists");
        object.insert(field.to_owned(), value);
    }

    pub(crate) fn count(&self, kind: ResourceKind) -> usize {
        self.objects.borrow().get(&kind).map_or(0, BTreeMap::len)
    }

    pub(crate) fn log(&self) -> Vec<String> {
        self.log.borrow().clone()
    }
}

fn ready_state(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Deployment => "READY",
        ResourceKind::LoraAddon => "DEPLOYED",
        ResourceKind::Dataset => "UPLOADING",
        _ => "JOB_STATE_COMPLETED",
    }
}

fn failed_state(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Deployment => "FAILED",
        ResourceKind::LoraAddon => "UNDEPLOYING",
        ResourceKind::Dataset => "UPLOADING",
        _ => "JOB_STATE_FAILED",
    }
}

impl Provider for FakeProvider {
    fn account(&self) -> &str {
        &self.account
    }

    async fn list(&self, kind: ResourceKind) -> Result<Vec<Object>, ProviderError> {
        self.lists.set(self.lists.get() + 1);
        Ok(self
            .objects
            .borrow()
            .get(&kind)
            .map(|objects| objects.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn list_catalog(&self) -> Result<Vec<Object>, ProviderError> {
        Ok(self.catalog.clone())
    }

    async fn get(&self, kind: ResourceKind, name: &str) -> Result<Option<Object>, ProviderError> {
        Ok(self.objects.borrow().get(&kind).and_then(|objects| objects.get(name)).cloned())
    }

    async fn create(
        &self,
        kind: ResourceKind,
        id: Option<&str>,
        body: Object,
    ) -> Result<Object, ProviderError> {
        let id = id.map_or_else(
            || {
                let next = self.next_id.get();
                self.next_id.set(next + 1);
                format!("gen{next}")
            },
            str::to_owned,
        );
        let name = format!("accounts/acme/{}/{id}", kind.collection());
        if self.objects.borrow().get(&kind).is_some_and(|objects| objects.contains_key(&name)) {
            return Err(ProviderError::new(
                ProviderErrorKind::AlreadyExists,
                FakeError(format!("{name} exists")),
            ));
        }
        if kind == ResourceKind::LoraAddon {
            let model = body.get("model").and_then(Json::as_str).unwrap_or_default();
            if !self.models.borrow().contains(model) {
                return Err(ProviderError::new(
                    ProviderErrorKind::Other,
                    FakeError(format!("model `{model}` not found")),
                ));
            }
        }
        let mut object = body;
        object.insert("name".to_owned(), Json::String(name.clone()));
        let failed = self.fail.borrow().contains(&id);
        let state = if failed { failed_state(kind) } else { ready_state(kind) };
        object.insert("state".to_owned(), Json::String(state.to_owned()));
        if failed {
            object.insert(
                "status".to_owned(),
                json!({"code": "INTERNAL", "message": "injected failure"}),
            );
        }
        if kind == ResourceKind::SupervisedFineTuningJob && !failed {
            let output = object.get("outputModel").and_then(Json::as_str).unwrap_or(&id).to_owned();
            let model = if output.contains('/') {
                output
            } else {
                format!("accounts/acme/models/{output}")
            };
            self.models.borrow_mut().insert(model.clone());
            object.insert("outputModel".to_owned(), Json::String(model));
        }
        self.log.borrow_mut().push(format!("create {} {id}", kind.addr_prefix()));
        self.objects.borrow_mut().entry(kind).or_default().insert(name, object.clone());
        Ok(object)
    }

    async fn update(
        &self,
        kind: ResourceKind,
        name: &str,
        body: Object,
        mask: &[String],
    ) -> Result<Object, ProviderError> {
        let mut objects = self.objects.borrow_mut();
        let object =
            objects.get_mut(&kind).and_then(|objects| objects.get_mut(name)).ok_or_else(|| {
                ProviderError::new(
                    ProviderErrorKind::NotFound,
                    FakeError(format!("{name} not found")),
                )
            })?;
        for field in mask {
            match body.get(field) {
                Some(value) => object.insert(field.clone(), value.clone()),
                None => object.remove(field),
            };
        }
        self.log.borrow_mut().push(format!(
            "update {} {} [{}]",
            kind.addr_prefix(),
            name.rsplit('/').next().unwrap_or(name),
            mask.join(",")
        ));
        Ok(object.clone())
    }

    async fn delete(&self, kind: ResourceKind, name: &str) -> Result<(), ProviderError> {
        if self
            .objects
            .borrow_mut()
            .get_mut(&kind)
            .and_then(|objects| objects.remove(name))
            .is_some()
        {
            self.log.borrow_mut().push(format!(
                "delete {} {}",
                kind.addr_prefix(),
                name.rsplit('/').next().unwrap_or(name)
            ));
        }
        Ok(())
    }

    async fn delete_model(&self, name: &str) -> Result<(), ProviderError> {
        if self.models.borrow_mut().remove(name) {
            self.log
                .borrow_mut()
                .push(format!("delete model {}", name.rsplit('/').next().unwrap_or(name)));
        }
        Ok(())
    }

    async fn model_exists(&self, name: &str) -> Result<bool, ProviderError> {
        Ok(self.models.borrow().contains(name))
    }

    async fn upload_dataset(
        &self,
        name: &str,
        _file_name: &str,
        content: Vec<u8>,
    ) -> Result<(), ProviderError> {
        if content.is_empty() {
            return Err(ProviderError::new(
                ProviderErrorKind::Other,
                FakeError("empty file".into()),
            ));
        }
        let mut objects = self.objects.borrow_mut();
        let object = objects
            .get_mut(&ResourceKind::Dataset)
            .and_then(|objects| objects.get_mut(name))
            .ok_or_else(|| {
                ProviderError::new(
                    ProviderErrorKind::NotFound,
                    FakeError(format!("{name} not found")),
                )
            })?;
        object.insert("state".to_owned(), Json::String("READY".to_owned()));
        self.log.borrow_mut().push(format!("upload {}", name.rsplit('/').next().unwrap_or(name)));
        Ok(())
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration.min(Duration::from_millis(2))).await;
    }
}

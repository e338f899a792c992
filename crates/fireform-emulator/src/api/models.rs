//! Models: get, list, patch and delete. The public catalog (`accounts/fireworks/models`) is
//! readable by every key and writable by none; a user model's `deployedModelRefs` are computed
//! from the deployed models that serve it.
//!
//! Models are created by fine-tuning jobs (see `lifecycle`); model upload is out of scope.

use axum::http::Method;
use fireform_api::{Code, DeployedModelRef, Model, PUBLIC_ACCOUNT};

use super::patch::Rules;
use super::{Reply, Request, list, patch_resource};
use crate::clock::{now_ms, rfc3339};
use crate::error::ApiError;
use crate::world::World;

const RULES: Rules<'static> = Rules {
    immutable: &["kind", "baseModelDetails", "peftDetails", "teftDetails"],
    output_only: &[
        "name",
        "state",
        "status",
        "createTime",
        "updateTime",
        "createdBy",
        "importedFrom",
        "fineTuningJob",
        "cluster",
        "calibrated",
        "tunable",
        "rlTunable",
        "supportsServerless",
        "deployedModelRefs",
        "defaultSamplingParams",
        "supportedPrecisions",
        "supportedPrecisionsWithCalibration",
    ],
};

pub(crate) fn collection(request: &Request) -> Result<Reply, ApiError> {
    match request.method {
        Method::GET => {
            let world = request.state.world();
            let prefix = format!("accounts/{}/models/", request.account);
            let models: Vec<Model> = list::with_prefix(&world.models, &prefix)
                .map(|(_, tracked)| with_refs(&world, &tracked.resource))
                .collect();
            list::page(request, "models", models.iter().collect(), "name")
        }
        _ => Err(request.method_not_allowed("models")),
    }
}

pub(crate) fn item(request: &Request, id: &str, custom: Option<&str>) -> Result<Reply, ApiError> {
    if let Some(custom) = custom {
        return Err(ApiError::new(
            Code::NotFound,
            format!("custom method `{custom}` not found on models"),
        ));
    }
    let name = request.name("models", id);
    let state = &request.state;
    if request.account == PUBLIC_ACCOUNT && request.method != Method::GET {
        return Err(ApiError::new(Code::PermissionDenied, "the public model catalog is read-only"));
    }
    match request.method {
        Method::GET => {
            let world = state.world();
            let tracked =
                world.models.get(&name).ok_or_else(|| ApiError::not_found("model", &name))?;
            Reply::read(request, &with_refs(&world, &tracked.resource))
        }
        Method::PATCH => {
            let mut world = state.world();
            let tracked =
                world.models.get_mut(&name).ok_or_else(|| ApiError::not_found("model", &name))?;
            let mut updated = patch_resource(request, &tracked.resource, &RULES)?;
            updated.update_time = Some(rfc3339(now_ms()));
            tracked.resource = updated.clone();
            world.dirty = true;
            Reply::json(&updated, Some(name))
        }
        Method::DELETE => {
            let mut world = state.world();
            world.models.remove(&name).ok_or_else(|| ApiError::not_found("model", &name))?;
            world.dirty = true;
            Ok(Reply::empty(Some(name)))
        }
        _ => Err(request.method_not_allowed("this model")),
    }
}

/// The model with `deployedModelRefs` from the deployed models serving it (catalog models keep
/// their seeded references).
fn with_refs(world: &World, model: &Model) -> Model {
    let name = model.name.as_deref().unwrap_or_default();
    if name.starts_with(&format!("accounts/{PUBLIC_ACCOUNT}/")) {
        return model.clone();
    }
    let refs: Vec<DeployedModelRef> = world
        .deployed_models
        .values()
        .filter(|tracked| tracked.resource.model.as_deref() == Some(name))
        .map(|tracked| DeployedModelRef {
            name: tracked.resource.name.clone(),
            deployment: tracked.resource.deployment.clone(),
            state: tracked.resource.state.clone(),
            default: tracked.resource.default,
            public: tracked.resource.public,
            ..DeployedModelRef::default()
        })
        .collect();
    Model { deployed_model_refs: (!refs.is_empty()).then_some(refs), ..model.clone() }
}

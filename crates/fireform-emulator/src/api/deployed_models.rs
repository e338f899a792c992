//! Deployed models (LoRA load and unload): create with a server-generated id, get, list (with
//! `filter=model="..."`), patch and delete, enforcing that the deployment has `enableAddons` and
//! the same base model as the addon.
//!
//! Serverless LoRA (no `deployment`) is accepted when the addon's base is served on serverless
//! in the public catalog.

use axum::http::Method;
use fireform_api::{
    Code, Collection, DeployedModel, DeployedModelState, DeploymentState, ModelKind,
};

use super::patch::Rules;
use super::{Reply, Request, generate_id, list, patch_resource};
use crate::clock::{ms, now_ms, rfc3339};
use crate::error::ApiError;
use crate::world::{Phase, Step, Tracked};

const RULES: Rules<'static> = Rules {
    // A load binds one model to one deployment; another binding is another load.
    immutable: &["model", "deployment"],
    output_only: &["name", "state", "status", "createTime", "updateTime"],
};

pub(crate) fn collection(request: &Request) -> Result<Reply, ApiError> {
    match request.method {
        Method::POST => create(request),
        Method::GET => {
            let world = request.state.world();
            let prefix = format!("accounts/{}/", request.account);
            let items = list::with_prefix(&world.deployed_models, &prefix)
                .map(|(_, tracked)| &tracked.resource)
                .collect();
            list::page(request, "deployedModels", items, "create_time")
        }
        _ => Err(request.method_not_allowed("deployedModels")),
    }
}

pub(crate) fn item(request: &Request, id: &str, custom: Option<&str>) -> Result<Reply, ApiError> {
    if let Some(custom) = custom {
        return Err(ApiError::new(
            Code::NotFound,
            format!("custom method `{custom}` not found on deployedModels"),
        ));
    }
    let name = request.name("deployedModels", id);
    let state = &request.state;
    match request.method {
        Method::GET => {
            let world = state.world();
            let tracked = world
                .deployed_models
                .get(&name)
                .ok_or_else(|| ApiError::not_found("deployed model", &name))?;
            Reply::read(request, &tracked.resource)
        }
        Method::PATCH => {
            let mut world = state.world();
            let tracked = world
                .deployed_models
                .get_mut(&name)
                .ok_or_else(|| ApiError::not_found("deployed model", &name))?;
            let mut updated = patch_resource(request, &tracked.resource, &RULES)?;
            updated.update_time = Some(rfc3339(now_ms()));
            tracked.resource = updated.clone();
            world.dirty = true;
            Reply::json(&updated, Some(name))
        }
        Method::DELETE => {
            let gone_at = now_ms() + ms(state.config().timings.deletion);
            let mut world = state.world();
            let tracked = world
                .deployed_models
                .get_mut(&name)
                .ok_or_else(|| ApiError::not_found("deployed model", &name))?;
            tracked.resource.state = Some(DeployedModelState::Undeploying);
            tracked.resource.update_time = Some(rfc3339(now_ms()));
            let due = tracked.schedule(vec![Step::at(gone_at, Phase::Gone)]);
            world.track(Collection::DeployedModels, &name, due);
            world.dirty = true;
            Ok(Reply::empty(Some(name)))
        }
        _ => Err(request.method_not_allowed("this deployed model")),
    }
}

fn create(request: &Request) -> Result<Reply, ApiError> {
    let state = &request.state;
    let mut deployed_model: DeployedModel = request.body()?;
    let model_name = deployed_model
        .model
        .clone()
        .filter(|model| !model.is_empty())
        .ok_or_else(|| ApiError::invalid("`model` is required"))?;
    let mut world = state.world();
    let model = world
        .models
        .get(&model_name)
        .ok_or_else(|| ApiError::invalid(format!("model `{model_name}` not found")))?;
    if model.resource.kind != Some(ModelKind::HfPeftAddon) {
        return Err(ApiError::precondition(format!(
            "model `{model_name}` is not a PEFT addon: deploy a base model with a deployment instead"
        )));
    }
    let addon_base = model
        .resource
        .peft_details
        .as_ref()
        .and_then(|peft| peft.base_model.clone())
        .unwrap_or_default();
    let now = now_ms();
    let mut ready_at = now + ms(state.config().timings.deployed_model);
    match deployed_model.deployment.clone().filter(|deployment| !deployment.is_empty()) {
        Some(deployment_name) => {
            let deployment = world
                .deployments
                .get(&deployment_name)
                .filter(|_| deployment_name.starts_with(&format!("accounts/{}/", request.account)))
                .ok_or_else(|| {
                    ApiError::precondition(format!("deployment `{deployment_name}` not found"))
                })?;
            match deployment.resource.state {
                Some(
                    DeploymentState::Deleting | DeploymentState::Deleted | DeploymentState::Failed,
                ) => {
                    return Err(ApiError::precondition(format!(
                        "deployment `{deployment_name}` is {} and cannot load addons",
                        deployment
                            .resource
                            .state
                            .as_ref()
                            .map(|state| state.as_str())
                            .unwrap_or_default()
                    )));
                }
                Some(DeploymentState::Creating) => {
                    // The load finishes after the deployment is up.
                    if let Some(step) = deployment.steps.first() {
                        ready_at =
                            ready_at.max(step.at_ms + ms(state.config().timings.deployed_model));
                    }
                }
                _ => {}
            }
            if deployment.resource.enable_addons != Some(true) {
                return Err(ApiError::precondition(format!(
                    "deployment `{deployment_name}` does not have `enableAddons: true`, so it cannot load LoRA addons"
                )));
            }
            let deployment_base = deployment.resource.base_model.clone().unwrap_or_default();
            if deployment_base != addon_base {
                return Err(ApiError::precondition(format!(
                    "addon `{model_name}` is trained on `{addon_base}` but deployment `{deployment_name}` serves `{deployment_base}`"
                )));
            }
            let duplicate = world.deployed_models.values().any(|other| {
                other.resource.model.as_deref() == Some(&model_name)
                    && other.resource.deployment.as_deref() == Some(&deployment_name)
                    && other.resource.state != Some(DeployedModelState::Undeploying)
            });
            if duplicate {
                return Err(ApiError::already_exists(
                    "deployed model of",
                    &format!("{model_name}` on `{deployment_name}"),
                ));
            }
        }
        None => {
            let serverless_base = world
                .models
                .get(&addon_base)
                .is_some_and(|base| base.resource.supports_serverless == Some(true));
            if !serverless_base {
                return Err(ApiError::precondition(format!(
                    "base model `{addon_base}` of `{model_name}` is not served on serverless: give a `deployment`"
                )));
            }
            deployed_model.serverless = Some(true);
        }
    }
    let model_id = model_name.rsplit('/').next().unwrap_or("addon");
    let id = generate_id(state, model_id);
    let name = request.name("deployedModels", &id);
    let first_load = !world
        .deployed_models
        .values()
        .any(|other| other.resource.model.as_deref() == Some(&model_name));
    deployed_model.name = Some(name.clone());
    deployed_model.state = Some(DeployedModelState::Deploying);
    deployed_model.status = None;
    deployed_model.default.get_or_insert(first_load);
    deployed_model.create_time = Some(rfc3339(now));
    deployed_model.update_time = Some(rfc3339(now));
    let phase = match state
        .failure_for(Collection::DeployedModels, &id)
        .or_else(|| state.failure_for(Collection::DeployedModels, model_id))
    {
        Some(message) => Phase::Failed { message },
        None => Phase::Ready,
    };
    let mut tracked = Tracked::new(deployed_model.clone(), now);
    let due = tracked.schedule(vec![Step::at(ready_at, phase)]);
    world.deployed_models.insert(name.clone(), tracked);
    world.track(Collection::DeployedModels, &name, due);
    world.dirty = true;
    Reply::json(&deployed_model, Some(name))
}

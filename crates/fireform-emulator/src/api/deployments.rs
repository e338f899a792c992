//! Deployments: create (`deploymentId`, `validateOnly`), get, list (`showDeleted`), patch, delete
//! (soft by default, `hard=true`), `:scale` and `:undelete`, with the GPU quota and fail rules.
//! A fail rule fails a matching deployment when it is created, and also when a settled one is
//! later updated or scaled (a rule added at run time fails a serving deployment at its next
//! change, as a real one can fail while it updates).
//!
//! Lifecycle timing is scheduled here and applied by `lifecycle`; nothing here waits.

use fireform_api::{AcceleratorType, Code, Collection, Deployment, DeploymentState, ScaleRequest};

use super::patch::Rules;
use super::{Reply, Request, check_id, generate_id, list, patch_resource};
use crate::clock::{ms, now_ms, rfc3339};
use crate::error::ApiError;
use crate::world::{Due, Phase, Step, Tracked, World};
use axum::http::Method;

const RULES: Rules<'static> = Rules {
    // §15 stance: these would need a new deployment; the planner replaces instead of patching.
    immutable: &["baseModel", "placement", "acceleratorType"],
    output_only: &[
        "name",
        "state",
        "status",
        "replicaCount",
        "desiredReplicaCount",
        "replicaStats",
        "numPeftDeviceCached",
        "cluster",
        "createTime",
        "updateTime",
        "deleteTime",
        "purgeTime",
        "createdBy",
        "region",
        "directRouteHandle",
    ],
};

/// The accelerator type counted against the quota when a deployment names none.
const DEFAULT_ACCELERATOR: AcceleratorType = AcceleratorType::NvidiaH100_80Gb;

pub(crate) fn collection(request: &Request) -> Result<Reply, ApiError> {
    match request.method {
        Method::POST => create(request),
        Method::GET => {
            let world = request.state.world();
            let show_deleted = request.flag("showDeleted");
            let prefix = format!("accounts/{}/", request.account);
            let items = list::with_prefix(&world.deployments, &prefix)
                .filter(|(_, tracked)| {
                    show_deleted || tracked.resource.state != Some(DeploymentState::Deleted)
                })
                .map(|(_, tracked)| &tracked.resource)
                .collect();
            list::page(request, "deployments", items, "create_time")
        }
        _ => Err(request.method_not_allowed("deployments")),
    }
}

pub(crate) fn item(request: &Request, id: &str, custom: Option<&str>) -> Result<Reply, ApiError> {
    let name = request.name("deployments", id);
    match (custom, &request.method) {
        (None, &Method::GET) => {
            let world = request.state.world();
            let tracked = world
                .deployments
                .get(&name)
                .ok_or_else(|| ApiError::not_found("deployment", &name))?;
            Reply::read(request, &tracked.resource)
        }
        (None, &Method::PATCH) => update(request, &name),
        (None, &Method::DELETE) => delete(request, &name),
        (Some("scale"), &Method::PATCH | &Method::POST) => scale(request, &name),
        (Some("undelete"), &Method::POST) => undelete(request, &name),
        (Some(other), _) if !matches!(other, "scale" | "undelete") => Err(ApiError::new(
            Code::NotFound,
            format!("custom method `{other}` not found on deployments"),
        )),
        _ => Err(request.method_not_allowed("this deployment path")),
    }
}

fn create(request: &Request) -> Result<Reply, ApiError> {
    let state = &request.state;
    let mut deployment: Deployment = request.body()?;
    let base_model = deployment
        .base_model
        .clone()
        .filter(|model| !model.is_empty())
        .ok_or_else(|| ApiError::invalid("`baseModel` is required"))?;
    let id = match request.param("deploymentId").filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => generate_id(state, base_model.rsplit('/').next().unwrap_or("deployment")),
    };
    check_id("deployment", &id)?;
    let name = request.name("deployments", &id);
    for field in RULES.output_only {
        clear_output_field(&mut deployment, field);
    }
    let mut world = state.world();
    if !world.models.contains_key(&base_model) {
        return Err(ApiError::invalid(format!("base model `{base_model}` not found")));
    }
    if world.deployments.contains_key(&name) {
        // Soft-deleted ids stay taken until purged (§15 stance).
        return Err(ApiError::already_exists("deployment", &name));
    }
    if let Some(display_name) = &deployment.display_name
        && display_name.chars().count() >= 64
    {
        return Err(ApiError::invalid("`displayName` must be fewer than 64 characters"));
    }
    deployment.accelerator_type.get_or_insert(DEFAULT_ACCELERATOR);
    deployment.accelerator_count.get_or_insert(1);
    let min = deployment.min_replica_count.unwrap_or(0);
    let max = *deployment.max_replica_count.get_or_insert(min.max(1));
    if min < 0 || max < min {
        return Err(ApiError::invalid(format!(
            "invalid replica bounds: minReplicaCount {min}, maxReplicaCount {max}"
        )));
    }
    check_quota(&world, &request.account, &name, &deployment, state.config().gpu_quota)?;

    let now = now_ms();
    deployment.name = Some(name.clone());
    deployment.state = Some(DeploymentState::Creating);
    deployment.desired_replica_count = Some(initial_replicas(min, max));
    deployment.replica_count = Some(0);
    deployment.create_time = Some(rfc3339(now));
    deployment.update_time = Some(rfc3339(now));
    deployment.created_by = Some(format!("{}@fireform.local", request.account));
    if request.flag("validateOnly") {
        deployment.state = None;
        return Reply::json(&deployment, None);
    }
    let ready_at = now + ms(state.config().timings.deployment);
    let phase = match state.failure_for(Collection::Deployments, &id) {
        Some(message) => Phase::Failed { message },
        None => Phase::Ready,
    };
    let mut tracked = Tracked::new(deployment.clone(), now);
    let due = tracked.schedule(vec![Step::at(ready_at, phase)]);
    world.deployments.insert(name.clone(), tracked);
    world.track(Collection::Deployments, &name, due);
    world.dirty = true;
    Reply::json(&deployment, Some(name))
}

fn update(request: &Request, name: &str) -> Result<Reply, ApiError> {
    let state = &request.state;
    let mut world = state.world();
    let tracked =
        world.deployments.get(name).ok_or_else(|| ApiError::not_found("deployment", name))?;
    check_alive(&tracked.resource, name)?;
    let mut updated = patch_resource(request, &tracked.resource, &RULES)?;
    let min = updated.min_replica_count.unwrap_or(0);
    let max = updated.max_replica_count.unwrap_or(min.max(1));
    if min < 0 || max < min {
        return Err(ApiError::invalid(format!(
            "invalid replica bounds: minReplicaCount {min}, maxReplicaCount {max}"
        )));
    }
    check_quota(&world, &request.account, name, &updated, state.config().gpu_quota)?;
    let now = now_ms();
    let desired = updated.desired_replica_count.unwrap_or(0).clamp(min, max);
    updated.desired_replica_count = Some(desired);
    updated.update_time = Some(rfc3339(now));
    let update_delay = ms(state.config().timings.deployment_update);
    let end = update_end(state, name);
    let tracked =
        world.deployments.get_mut(name).ok_or_else(|| ApiError::not_found("deployment", name))?;
    let due = start_update(tracked, &mut updated, Step::at(now + update_delay, end));
    tracked.resource = updated.clone();
    world.track(Collection::Deployments, name, due);
    world.dirty = true;
    Reply::json(&updated, Some(name.to_owned()))
}

/// How an update or scale of deployment `name` ends: READY, or FAILED when a fail rule in force
/// now matches it.
fn update_end(state: &crate::state::EmulatorState, name: &str) -> Phase {
    let id = name.rsplit('/').next().unwrap_or(name);
    match state.failure_for(Collection::Deployments, id) {
        Some(message) => Phase::Failed { message },
        None => Phase::Ready,
    }
}

/// A settled deployment goes UPDATING until `end`; one still creating keeps its schedule.
fn start_update(tracked: &mut Tracked<Deployment>, deployment: &mut Deployment, end: Step) -> Due {
    if matches!(deployment.state, Some(DeploymentState::Ready | DeploymentState::Updating)) {
        deployment.state = Some(DeploymentState::Updating);
        tracked.schedule(vec![end])
    } else {
        tracked.due()
    }
}

fn scale(request: &Request, name: &str) -> Result<Reply, ApiError> {
    let scale: ScaleRequest = request.body()?;
    let replicas = scale.replica_count.unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::invalid(format!("invalid replicaCount {replicas}")));
    }
    let state = &request.state;
    let mut world = state.world();
    let update_delay = ms(state.config().timings.deployment_update);
    let end = update_end(state, name);
    let tracked =
        world.deployments.get_mut(name).ok_or_else(|| ApiError::not_found("deployment", name))?;
    check_alive(&tracked.resource, name)?;
    let max = tracked.resource.max_replica_count.unwrap_or(1);
    if replicas > max {
        return Err(ApiError::invalid(format!(
            "replicaCount {replicas} exceeds maxReplicaCount {max}"
        )));
    }
    let now = now_ms();
    let mut deployment = tracked.resource.clone();
    deployment.desired_replica_count = Some(replicas);
    deployment.update_time = Some(rfc3339(now));
    let due = start_update(tracked, &mut deployment, Step::at(now + update_delay, end));
    tracked.resource = deployment;
    world.track(Collection::Deployments, name, due);
    world.dirty = true;
    Ok(Reply::empty(Some(name.to_owned())))
}

fn delete(request: &Request, name: &str) -> Result<Reply, ApiError> {
    let state = &request.state;
    let timings = state.config().timings;
    let mut world = state.world();
    let tracked =
        world.deployments.get_mut(name).ok_or_else(|| ApiError::not_found("deployment", name))?;
    let now = now_ms();
    let gone_at = now + ms(timings.deletion);
    let deployment = &mut tracked.resource;
    let due = if request.flag("hard") {
        if deployment.state != Some(DeploymentState::Deleted) {
            deployment.state = Some(DeploymentState::Deleting);
        }
        tracked.schedule(vec![Step::at(gone_at, Phase::Gone)])
    } else if matches!(deployment.state, Some(DeploymentState::Deleted | DeploymentState::Deleting))
    {
        // Already on its way out: deleting again changes nothing.
        tracked.due()
    } else {
        let purge_at = gone_at + ms(timings.soft_delete_retention);
        deployment.state = Some(DeploymentState::Deleting);
        deployment.delete_time = Some(rfc3339(gone_at));
        deployment.purge_time = Some(rfc3339(purge_at));
        tracked
            .schedule(vec![Step::at(gone_at, Phase::SoftDeleted), Step::at(purge_at, Phase::Gone)])
    };
    tracked.resource.update_time = Some(rfc3339(now));
    world.track(Collection::Deployments, name, due);
    world.dirty = true;
    Ok(Reply::empty(Some(name.to_owned())))
}

fn undelete(request: &Request, name: &str) -> Result<Reply, ApiError> {
    let state = &request.state;
    let update_delay = ms(state.config().timings.deployment_update);
    let mut world = state.world();
    let tracked =
        world.deployments.get_mut(name).ok_or_else(|| ApiError::not_found("deployment", name))?;
    let soft_deleted = tracked.resource.state == Some(DeploymentState::Deleted)
        || (tracked.resource.state == Some(DeploymentState::Deleting)
            && tracked.steps.iter().any(|step| step.to == Phase::SoftDeleted));
    if !soft_deleted {
        return Err(ApiError::precondition(format!("deployment `{name}` is not soft-deleted")));
    }
    let now = now_ms();
    let deployment = &mut tracked.resource;
    deployment.state = Some(DeploymentState::Updating);
    deployment.delete_time = None;
    deployment.purge_time = None;
    deployment.update_time = Some(rfc3339(now));
    let due = tracked.schedule(vec![Step::at(now + update_delay, Phase::Ready)]);
    let deployment = tracked.resource.clone();
    world.track(Collection::Deployments, name, due);
    world.dirty = true;
    Reply::json(&deployment, Some(name.to_owned()))
}

fn check_alive(deployment: &Deployment, name: &str) -> Result<(), ApiError> {
    if matches!(deployment.state, Some(DeploymentState::Deleting | DeploymentState::Deleted)) {
        return Err(ApiError::precondition(format!("deployment `{name}` is being deleted")));
    }
    Ok(())
}

fn initial_replicas(min: i32, max: i32) -> i32 {
    min.max(1).min(max)
}

/// GPUs a deployment may hold: `acceleratorCount` x `maxReplicaCount`.
fn gpus(deployment: &Deployment) -> i64 {
    let count = i64::from(deployment.accelerator_count.unwrap_or(1).max(0));
    let replicas = i64::from(deployment.max_replica_count.unwrap_or(1).max(0));
    count * replicas
}

/// Refuses a deployment that would take the account past its GPU quota for its accelerator type
/// (soft-deleted and deleting deployments hold none).
fn check_quota(
    world: &World,
    account: &str,
    name: &str,
    deployment: &Deployment,
    quota: u32,
) -> Result<(), ApiError> {
    let accelerator = deployment.accelerator_type.clone().unwrap_or(DEFAULT_ACCELERATOR);
    let prefix = format!("accounts/{account}/deployments/");
    let used: i64 = world
        .deployments
        .iter()
        .filter(|(other, tracked)| {
            other.starts_with(&prefix)
                && other.as_str() != name
                && tracked.resource.accelerator_type.clone().unwrap_or(DEFAULT_ACCELERATOR)
                    == accelerator
                && !matches!(
                    tracked.resource.state,
                    Some(
                        DeploymentState::Deleted
                            | DeploymentState::Deleting
                            | DeploymentState::Failed
                    )
                )
        })
        .map(|(_, tracked)| gpus(&tracked.resource))
        .sum();
    let wanted = gpus(deployment);
    if used + wanted > i64::from(quota) {
        let mut error = ApiError::new(
            Code::ResourceExhausted,
            format!(
                "GPU quota exceeded for `{accelerator}`: {used} of {quota} in use, this deployment needs {wanted} (acceleratorCount x maxReplicaCount)"
            ),
        );
        // Waiting does not free quota: tell the SDK not to retry.
        error.should_retry = Some(false);
        return Err(error);
    }
    Ok(())
}

fn clear_output_field(deployment: &mut Deployment, field: &str) {
    match field {
        "name" => deployment.name = None,
        "state" => deployment.state = None,
        "status" => deployment.status = None,
        "replicaCount" => deployment.replica_count = None,
        "desiredReplicaCount" => deployment.desired_replica_count = None,
        "replicaStats" => deployment.replica_stats = None,
        "numPeftDeviceCached" => deployment.num_peft_device_cached = None,
        "cluster" => deployment.cluster = None,
        "createTime" => deployment.create_time = None,
        "updateTime" => deployment.update_time = None,
        "deleteTime" => deployment.delete_time = None,
        "purgeTime" => deployment.purge_time = None,
        "createdBy" => deployment.created_by = None,
        "region" => deployment.region = None,
        "directRouteHandle" => deployment.direct_route_handle = None,
        _ => {}
    }
}

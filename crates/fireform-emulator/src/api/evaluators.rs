//! Evaluators: create (through `evaluators` and `evaluatorsV2`, body `{evaluatorId, evaluator}`),
//! get, list and delete: enough for reinforcement fine-tuning jobs to reference them.
//!
//! Code upload and builds are not emulated: a new evaluator is `ACTIVE` at once.

use axum::http::Method;
use fireform_api::{Code, CreateEvaluatorRequest, EvaluatorState};

use super::{Reply, Request, check_id, generate_id, list};
use crate::clock::{now_ms, rfc3339};
use crate::error::ApiError;
use crate::world::Tracked;

pub(crate) fn collection(request: &Request) -> Result<Reply, ApiError> {
    match request.method {
        Method::POST => {
            let create: CreateEvaluatorRequest = request.body()?;
            let mut evaluator =
                create.evaluator.ok_or_else(|| ApiError::invalid("`evaluator` is required"))?;
            let id = match create.evaluator_id.filter(|id| !id.is_empty()) {
                Some(id) => id,
                None => generate_id(&request.state, "evaluator"),
            };
            check_id("evaluator", &id)?;
            let name = request.name("evaluators", &id);
            let mut world = request.state.world();
            if world.evaluators.contains_key(&name) {
                return Err(ApiError::already_exists("evaluator", &name));
            }
            let now = now_ms();
            evaluator.name = Some(name.clone());
            evaluator.state = Some(EvaluatorState::Active);
            evaluator.status = None;
            evaluator.create_time = Some(rfc3339(now));
            evaluator.update_time = Some(rfc3339(now));
            evaluator.created_by = Some(format!("{}@fireform.local", request.account));
            world.evaluators.insert(name.clone(), Tracked::new(evaluator.clone(), now));
            world.dirty = true;
            Reply::json(&evaluator, Some(name))
        }
        Method::GET => {
            let world = request.state.world();
            let prefix = format!("accounts/{}/", request.account);
            let items = list::with_prefix(&world.evaluators, &prefix)
                .map(|(_, tracked)| &tracked.resource)
                .collect();
            list::page(request, "evaluators", items, "create_time")
        }
        _ => Err(request.method_not_allowed("evaluators")),
    }
}

pub(crate) fn item(request: &Request, id: &str, custom: Option<&str>) -> Result<Reply, ApiError> {
    if let Some(custom) = custom {
        return Err(ApiError::new(
            Code::NotFound,
            format!("custom method `{custom}` not found on evaluators"),
        ));
    }
    let name = request.name("evaluators", id);
    let mut world = request.state.world();
    match request.method {
        Method::GET => {
            let tracked = world
                .evaluators
                .get(&name)
                .ok_or_else(|| ApiError::not_found("evaluator", &name))?;
            Reply::read(request, &tracked.resource)
        }
        Method::DELETE => {
            world
                .evaluators
                .remove(&name)
                .ok_or_else(|| ApiError::not_found("evaluator", &name))?;
            world.dirty = true;
            Ok(Reply::empty(Some(name)))
        }
        _ => Err(request.method_not_allowed("this evaluator")),
    }
}

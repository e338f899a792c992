//! Jobs (supervised fine-tuning, reinforcement fine-tuning, batch inference): create with the
//! client id in the query, get, list, delete, `:cancel` and `:resume`, behind one generic
//! implementation; each kind brings its own create-time checks (a READY dataset, an existing base
//! model and evaluator, an output model or dataset that does not exist yet).
//!
//! What happens when a job completes (the output model or dataset appears) is `lifecycle`'s.

use std::collections::BTreeMap;

use axum::http::Method;
use fireform_api::{
    BatchInferenceJob, Code, Collection, DatasetState, JobState, ReinforcementFineTuningJob,
    Status, SupervisedFineTuningJob, UnknownFields,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Reply, Request, check_id, list};
use crate::clock::{ms, now_ms, rfc3339};
use crate::error::ApiError;
use crate::lifecycle::JobFields;
use crate::world::{Phase, Step, Tracked, World};

/// One job collection.
pub(crate) trait JobKind {
    type Job: Serialize
        + DeserializeOwned
        + Default
        + UnknownFields
        + JobFields
        + Clone
        + list::Listed;
    const COLLECTION: Collection;
    const WHAT: &'static str;
    const ID_PARAM: &'static str;
    fn jobs(world: &mut World) -> &mut BTreeMap<String, Tracked<Self::Job>>;
    /// Checks references and resolves defaults; `name` is the new job's resource name.
    fn prepare(
        request: &Request,
        world: &World,
        job: &mut Self::Job,
        name: &str,
    ) -> Result<(), ApiError>;
    fn clear_output_fields(job: &mut Self::Job);
}

pub(crate) struct Sft;
pub(crate) struct Rft;
pub(crate) struct Batch;

pub(crate) fn collection<K: JobKind>(request: &Request) -> Result<Reply, ApiError> {
    match request.method {
        Method::POST => create::<K>(request),
        Method::GET => {
            let mut world = request.state.world();
            let prefix = format!("accounts/{}/", request.account);
            let items = list::with_prefix(K::jobs(&mut world), &prefix)
                .map(|(_, tracked)| &tracked.resource)
                .collect();
            list::page(request, K::COLLECTION.list_key(), items, "create_time")
        }
        _ => Err(request.method_not_allowed(K::COLLECTION.as_str())),
    }
}

pub(crate) fn item<K: JobKind>(
    request: &Request,
    id: &str,
    custom: Option<&str>,
) -> Result<Reply, ApiError> {
    let name = request.name(K::COLLECTION.as_str(), id);
    let state = &request.state;
    let mut world = state.world();
    let now = now_ms();
    let job_duration = ms(state.config().timings.job);
    let tracked =
        K::jobs(&mut world).get_mut(&name).ok_or_else(|| ApiError::not_found(K::WHAT, &name))?;
    let reply = match (custom, &request.method) {
        (None, &Method::GET) => {
            return Reply::read(request, &tracked.resource);
        }
        (None, &Method::DELETE) => {
            K::jobs(&mut world).remove(&name);
            Reply::empty(Some(name))
        }
        (Some("cancel"), &Method::POST) => {
            if !tracked.resource.job_state().is_in_progress() {
                return Err(ApiError::precondition(format!(
                    "{} `{name}` is {} and cannot be cancelled",
                    K::WHAT,
                    tracked.resource.job_state()
                )));
            }
            tracked.resource.set_job_state(JobState::Cancelled, now);
            tracked
                .resource
                .set_job_status(Some(Status::new(Code::Cancelled, "cancelled by the user")));
            // Nothing left to apply: a stale index entry for the old steps is harmless.
            let _nothing_due = tracked.schedule(Vec::new());
            Reply::empty(Some(name))
        }
        (Some("resume"), &Method::POST) => {
            let job_state = tracked.resource.job_state();
            if !matches!(job_state, JobState::Cancelled | JobState::Failed | JobState::Paused) {
                return Err(ApiError::precondition(format!(
                    "{} `{name}` is {job_state} and cannot be resumed",
                    K::WHAT
                )));
            }
            tracked.resource.set_job_state(JobState::Pending, now);
            tracked.resource.set_job_status(None);
            tracked.resource.set_progress(0);
            let id = name.rsplit('/').next().unwrap_or_default().to_owned();
            let due = tracked.schedule(job_steps(request, K::COLLECTION, &id, now, job_duration));
            let reply = Reply::json(&tracked.resource, Some(name.clone()))?;
            world.track(K::COLLECTION, &name, due);
            reply
        }
        (Some(other), _) if !matches!(other, "cancel" | "resume") => {
            return Err(ApiError::new(
                Code::NotFound,
                format!("custom method `{other}` not found on {}", K::COLLECTION),
            ));
        }
        _ => return Err(request.method_not_allowed(&format!("this {}", K::WHAT))),
    };
    world.dirty = true;
    Ok(reply)
}

fn create<K: JobKind>(request: &Request) -> Result<Reply, ApiError> {
    let state = &request.state;
    let mut job: K::Job = request.body()?;
    K::clear_output_fields(&mut job);
    let id = match request.param(K::ID_PARAM).filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => uuid_like(state),
    };
    check_id(K::WHAT, &id)?;
    let name = request.name(K::COLLECTION.as_str(), &id);
    let mut world = state.world();
    if K::jobs(&mut world).contains_key(&name) {
        return Err(ApiError::already_exists(K::WHAT, &name));
    }
    K::prepare(request, &world, &mut job, &name)?;
    let now = now_ms();
    let mut value = serde_json::to_value(&job)
        .map_err(|error| ApiError::new(Code::Internal, error.to_string()))?;
    if let Some(object) = value.as_object_mut() {
        object.insert("name".to_owned(), name.clone().into());
        object.insert("createTime".to_owned(), rfc3339(now).into());
        object.insert("createdBy".to_owned(), format!("{}@fireform.local", request.account).into());
    }
    let mut job: K::Job = serde_json::from_value(value)
        .map_err(|error| ApiError::new(Code::Internal, error.to_string()))?;
    job.set_job_state(JobState::Pending, now);
    job.set_progress(0);
    let mut tracked = Tracked::new(job.clone(), now);
    let due = tracked.schedule(job_steps(
        request,
        K::COLLECTION,
        &id,
        now,
        ms(state.config().timings.job),
    ));
    K::jobs(&mut world).insert(name.clone(), tracked);
    world.track(K::COLLECTION, &name, due);
    world.dirty = true;
    Reply::json(&job, Some(name))
}

/// PENDING for the first third, RUNNING until the end, then COMPLETED (or FAILED by a rule).
fn job_steps(
    request: &Request,
    collection: Collection,
    id: &str,
    now: u64,
    duration: u64,
) -> Vec<Step> {
    let end = match request.state.failure_for(collection, id) {
        Some(message) => Phase::Failed { message },
        None => Phase::Completed,
    };
    vec![Step::at(now + duration / 3, Phase::Running), Step::at(now + duration, end)]
}

fn uuid_like(state: &crate::state::EmulatorState) -> String {
    let hex = state.random_hex(32);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// A READY dataset in the caller's account.
fn require_ready_dataset(
    request: &Request,
    world: &World,
    field: &str,
    dataset: Option<&str>,
) -> Result<String, ApiError> {
    let dataset = dataset
        .filter(|dataset| !dataset.is_empty())
        .ok_or_else(|| ApiError::invalid(format!("`{field}` is required")))?;
    let name =
        fireform_api::model_name(&request.account, dataset).replace("/models/", "/datasets/");
    let tracked = world
        .datasets
        .get(&name)
        .ok_or_else(|| ApiError::precondition(format!("dataset `{name}` not found")))?;
    if tracked.resource.state != Some(DatasetState::Ready) {
        return Err(ApiError::precondition(format!(
            "dataset `{name}` is not READY: upload its files and call `:validateUpload`"
        )));
    }
    Ok(name)
}

/// An existing model, own or public.
fn require_model(
    request: &Request,
    world: &World,
    field: &str,
    model: &str,
) -> Result<String, ApiError> {
    let name = fireform_api::model_name(&request.account, model);
    if !world.models.contains_key(&name) {
        return Err(ApiError::invalid(format!("{field} `{name}` not found")));
    }
    Ok(name)
}

/// Resolves the output model name (default: the job id) and refuses one that exists or that
/// another running job will write.
fn resolve_output_model(
    request: &Request,
    world: &World,
    output: Option<&str>,
    job_name: &str,
) -> Result<String, ApiError> {
    let job_id = job_name.rsplit('/').next().unwrap_or_default();
    let output = output.filter(|output| !output.is_empty()).unwrap_or(job_id);
    let name = fireform_api::model_name(&request.account, output);
    if !name.starts_with(&format!("accounts/{}/models/", request.account)) {
        return Err(ApiError::invalid(format!(
            "output model `{name}` must be in account `{}`",
            request.account
        )));
    }
    check_id("output model", name.rsplit('/').next().unwrap_or_default())?;
    if world.models.contains_key(&name) {
        return Err(ApiError::already_exists("output model", &name));
    }
    let pending = world.supervised_fine_tuning_jobs.values().any(|tracked| {
        tracked.resource.output_model.as_deref() == Some(&name)
            && !tracked.resource.job_state().is_failed()
    }) || world.reinforcement_fine_tuning_jobs.values().any(|tracked| {
        tracked.resource.training_config.as_ref().and_then(|config| config.output_model.as_deref())
            == Some(&name)
            && !tracked.resource.job_state().is_failed()
    });
    if pending {
        return Err(ApiError::already_exists("output model", &name));
    }
    Ok(name)
}

fn check_base(
    request: &Request,
    world: &World,
    base: Option<&str>,
    warm: Option<&str>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    match (base.filter(|b| !b.is_empty()), warm.filter(|w| !w.is_empty())) {
        (Some(base), None) => Ok((Some(require_model(request, world, "base model", base)?), None)),
        (None, Some(warm)) => {
            Ok((None, Some(require_model(request, world, "warm-start model", warm)?)))
        }
        (Some(_), Some(_)) => {
            Err(ApiError::invalid("give exactly one of `baseModel` and `warmStartFrom`"))
        }
        (None, None) => Err(ApiError::invalid("`baseModel` or `warmStartFrom` is required")),
    }
}

impl JobKind for Sft {
    type Job = SupervisedFineTuningJob;
    const COLLECTION: Collection = Collection::SupervisedFineTuningJobs;
    const WHAT: &'static str = "supervised fine-tuning job";
    const ID_PARAM: &'static str = "supervisedFineTuningJobId";

    fn jobs(world: &mut World) -> &mut BTreeMap<String, Tracked<Self::Job>> {
        &mut world.supervised_fine_tuning_jobs
    }

    fn prepare(
        request: &Request,
        world: &World,
        job: &mut Self::Job,
        name: &str,
    ) -> Result<(), ApiError> {
        job.dataset =
            Some(require_ready_dataset(request, world, "dataset", job.dataset.as_deref())?);
        if let Some(evaluation) =
            job.evaluation_dataset.clone().filter(|dataset| !dataset.is_empty())
        {
            job.evaluation_dataset = Some(require_ready_dataset(
                request,
                world,
                "evaluationDataset",
                Some(&evaluation),
            )?);
        }
        let (base, warm) =
            check_base(request, world, job.base_model.as_deref(), job.warm_start_from.as_deref())?;
        job.base_model = base;
        job.warm_start_from = warm;
        job.output_model =
            Some(resolve_output_model(request, world, job.output_model.as_deref(), name)?);
        Ok(())
    }

    fn clear_output_fields(job: &mut Self::Job) {
        job.name = None;
        job.state = None;
        job.status = None;
        job.created_by = None;
        job.create_time = None;
        job.update_time = None;
        job.completed_time = None;
        job.job_progress = None;
        job.estimated_cost = None;
        job.trainer_logs_signed_url = None;
    }
}

impl JobKind for Rft {
    type Job = ReinforcementFineTuningJob;
    const COLLECTION: Collection = Collection::ReinforcementFineTuningJobs;
    const WHAT: &'static str = "reinforcement fine-tuning job";
    const ID_PARAM: &'static str = "reinforcementFineTuningJobId";

    fn jobs(world: &mut World) -> &mut BTreeMap<String, Tracked<Self::Job>> {
        &mut world.reinforcement_fine_tuning_jobs
    }

    fn prepare(
        request: &Request,
        world: &World,
        job: &mut Self::Job,
        name: &str,
    ) -> Result<(), ApiError> {
        job.dataset =
            Some(require_ready_dataset(request, world, "dataset", job.dataset.as_deref())?);
        let evaluator = job
            .evaluator
            .clone()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| ApiError::invalid("`evaluator` is required"))?;
        let evaluator = if evaluator.starts_with("accounts/") {
            evaluator
        } else {
            request.name("evaluators", &evaluator)
        };
        if !world.evaluators.contains_key(&evaluator) {
            return Err(ApiError::precondition(format!("evaluator `{evaluator}` not found")));
        }
        job.evaluator = Some(evaluator);
        let mut config = job.training_config.clone().unwrap_or_default();
        let (base, warm) = check_base(
            request,
            world,
            config.base_model.as_deref(),
            config.warm_start_from.as_deref(),
        )?;
        config.base_model = base;
        config.warm_start_from = warm;
        config.output_model =
            Some(resolve_output_model(request, world, config.output_model.as_deref(), name)?);
        job.training_config = Some(config);
        Ok(())
    }

    fn clear_output_fields(job: &mut Self::Job) {
        job.name = None;
        job.state = None;
        job.status = None;
        job.created_by = None;
        job.create_time = None;
        job.update_time = None;
        job.completed_time = None;
        job.job_progress = None;
        job.output_stats = None;
        job.output_metrics = None;
        job.trainer_logs_signed_url = None;
        job.accelerator_seconds = None;
    }
}

impl JobKind for Batch {
    type Job = BatchInferenceJob;
    const COLLECTION: Collection = Collection::BatchInferenceJobs;
    const WHAT: &'static str = "batch inference job";
    const ID_PARAM: &'static str = "batchInferenceJobId";

    fn jobs(world: &mut World) -> &mut BTreeMap<String, Tracked<Self::Job>> {
        &mut world.batch_inference_jobs
    }

    fn prepare(
        request: &Request,
        world: &World,
        job: &mut Self::Job,
        name: &str,
    ) -> Result<(), ApiError> {
        let model = job
            .model
            .clone()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| ApiError::invalid("`model` is required"))?;
        job.model = Some(require_model(request, world, "model", &model)?);
        job.input_dataset_id = Some(require_ready_dataset(
            request,
            world,
            "inputDatasetId",
            job.input_dataset_id.as_deref(),
        )?);
        let job_id = name.rsplit('/').next().unwrap_or_default();
        let output = job
            .output_dataset_id
            .clone()
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| format!("{job_id}-output"));
        let output = if output.starts_with("accounts/") {
            output
        } else {
            request.name("datasets", &output)
        };
        if world.datasets.contains_key(&output) {
            return Err(ApiError::already_exists("output dataset", &output));
        }
        job.output_dataset_id = Some(output);
        Ok(())
    }

    fn clear_output_fields(job: &mut Self::Job) {
        job.name = None;
        job.state = None;
        job.status = None;
        job.created_by = None;
        job.create_time = None;
        job.update_time = None;
        job.job_progress = None;
    }
}

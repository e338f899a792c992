//! Lifecycles derived from timestamps: every resource stores the instants of the transitions
//! ahead of it, and [`advance`] applies the ones that are due, with their side effects (a
//! completed fine-tuning job creates its output model, a batch job writes its output dataset, a
//! deployment that goes away takes its deployed models with it).
//!
//! There is no background loop: the world advances when a request locks it, so a stopped and
//! restarted emulator picks up exactly where the clock says it should be. Only resources the
//! world's index of pending transitions names are visited, never the whole world.

use std::collections::BTreeMap;

use bytes::Bytes;
use fireform_api::{
    BatchInferenceJob, Code, Collection, Dataset, DatasetFormat, DatasetState, DeployedModelState,
    DeploymentState, Empty, JobProgress, JobState, Model, ModelKind, ModelState, PeftDetails,
    ReinforcementFineTuningJob, ReplicaStats, Status, SupervisedFineTuningJob,
};

use crate::clock::rfc3339;
use crate::world::{Blobs, DatasetFile, Phase, Tracked, World};

/// Applies every transition due at `now`: only the resources the world's index of pending
/// transitions names, so the work depends on what is due, not on the size of the world.
pub(crate) fn advance(world: &mut World, now: u64, blobs: &Blobs) {
    let mut due = Due::default();
    for (collection, name) in world.take_due(now) {
        match collection {
            Collection::Deployments => due.deployments.push(name),
            Collection::DeployedModels => due.deployed_models.push(name),
            Collection::SupervisedFineTuningJobs => due.supervised.push(name),
            Collection::ReinforcementFineTuningJobs => due.reinforcement.push(name),
            Collection::BatchInferenceJobs => due.batch.push(name),
            // No transitions are ever scheduled for these.
            _ => {}
        }
    }
    advance_deployments(world, now, &due.deployments);
    advance_deployed_models(world, now, &due.deployed_models);
    advance_jobs(world, now, blobs, &due);
    world.dirty = true;
}

/// Names with a transition due, per collection, each list sorted by name.
#[derive(Default)]
struct Due {
    deployments: Vec<String>,
    deployed_models: Vec<String>,
    supervised: Vec<String>,
    reinforcement: Vec<String>,
    batch: Vec<String>,
}

fn advance_deployments(world: &mut World, now: u64, names: &[String]) {
    let mut gone = Vec::new();
    for name in names {
        let Some(tracked) = world.deployments.get_mut(name) else { continue };
        for phase in tracked.take_due(now) {
            let deployment = &mut tracked.resource;
            deployment.update_time = Some(rfc3339(now));
            match phase {
                Phase::Ready => {
                    deployment.state = Some(DeploymentState::Ready);
                    deployment.status = None;
                    let replicas = deployment.desired_replica_count.unwrap_or(0);
                    deployment.replica_count = Some(replicas);
                    deployment.replica_stats = Some(ReplicaStats {
                        ready_replica_count: Some(replicas),
                        ..ReplicaStats::default()
                    });
                }
                Phase::Failed { message } => {
                    deployment.state = Some(DeploymentState::Failed);
                    deployment.status = Some(Status::new(Code::FailedPrecondition, message));
                    deployment.replica_count = Some(0);
                    deployment.replica_stats = None;
                }
                Phase::SoftDeleted => {
                    deployment.state = Some(DeploymentState::Deleted);
                    deployment.replica_count = Some(0);
                    deployment.replica_stats = None;
                }
                Phase::Gone => gone.push(name.clone()),
                Phase::Running | Phase::Completed => {}
            }
        }
        let next = tracked.due();
        world.track(Collection::Deployments, name, next);
    }
    for name in gone {
        world.deployments.remove(&name);
        // Deployed models cannot outlive their deployment.
        world
            .deployed_models
            .retain(|_, tracked| tracked.resource.deployment.as_deref() != Some(&name));
    }
}

fn advance_deployed_models(world: &mut World, now: u64, names: &[String]) {
    let mut gone = Vec::new();
    for name in names {
        let Some(tracked) = world.deployed_models.get_mut(name) else { continue };
        for phase in tracked.take_due(now) {
            let deployed_model = &mut tracked.resource;
            deployed_model.update_time = Some(rfc3339(now));
            match phase {
                Phase::Ready => {
                    deployed_model.state = Some(DeployedModelState::Deployed);
                    deployed_model.status = None;
                }
                Phase::Failed { message } => {
                    // There is no FAILED state for deployed models; clients treat
                    // STATE_UNSPECIFIED while waiting as "failed to deploy".
                    deployed_model.state = Some(DeployedModelState::Unspecified);
                    deployed_model.status = Some(Status::new(Code::FailedPrecondition, message));
                }
                Phase::Gone => gone.push(name.clone()),
                Phase::SoftDeleted | Phase::Running | Phase::Completed => {}
            }
        }
        let next = tracked.due();
        world.track(Collection::DeployedModels, name, next);
    }
    for name in gone {
        world.deployed_models.remove(&name);
    }
}

/// The fields every job kind shares, so one lifecycle serves all three.
pub(crate) trait JobFields {
    fn job_name(&self) -> &str;
    fn job_state(&self) -> JobState;
    fn set_job_state(&mut self, state: JobState, now: u64);
    fn set_job_status(&mut self, status: Option<Status>);
    fn set_progress(&mut self, percent: i32);
}

macro_rules! job_fields {
    ($type:ty, completed_time: $completed:tt) => {
        impl JobFields for $type {
            fn job_name(&self) -> &str {
                self.name.as_deref().unwrap_or_default()
            }

            fn job_state(&self) -> JobState {
                self.state.clone().unwrap_or(JobState::Unspecified)
            }

            fn set_job_state(&mut self, state: JobState, now: u64) {
                let finished = !state.is_in_progress();
                self.state = Some(state);
                self.update_time = Some(rfc3339(now));
                job_fields!(@completed self, finished, now, $completed);
            }

            fn set_job_status(&mut self, status: Option<Status>) {
                self.status = status;
            }

            fn set_progress(&mut self, percent: i32) {
                let progress = self.job_progress.get_or_insert_with(JobProgress::default);
                progress.percent = Some(percent);
            }
        }
    };
    (@completed $self:ident, $finished:ident, $now:ident, true) => {
        $self.completed_time = if $finished { Some(rfc3339($now)) } else { None };
    };
    (@completed $self:ident, $finished:ident, $now:ident, false) => {
        let _ = ($finished, $now);
    };
}

job_fields!(SupervisedFineTuningJob, completed_time: true);
job_fields!(ReinforcementFineTuningJob, completed_time: true);
job_fields!(BatchInferenceJob, completed_time: false);

/// Applies the due phases of one job; returns true when it just completed.
fn advance_job<T: JobFields>(tracked: &mut Tracked<T>, now: u64) -> bool {
    let mut completed = false;
    for phase in tracked.take_due(now) {
        let job = &mut tracked.resource;
        match phase {
            Phase::Running => {
                job.set_job_state(JobState::Running, now);
                job.set_progress(50);
            }
            Phase::Completed => {
                job.set_job_state(JobState::Completed, now);
                job.set_progress(100);
                completed = true;
            }
            Phase::Failed { message } => {
                job.set_job_state(JobState::Failed, now);
                job.set_job_status(Some(Status::new(Code::FailedPrecondition, message)));
            }
            Phase::Gone => {}
            Phase::Ready | Phase::SoftDeleted => {}
        }
    }
    completed
}

fn advance_jobs(world: &mut World, now: u64, blobs: &Blobs, due: &Due) {
    let mut new_models = Vec::new();
    for name in &due.supervised {
        let Some(tracked) = world.supervised_fine_tuning_jobs.get_mut(name) else { continue };
        let completed = advance_job(tracked, now);
        let next = tracked.due();
        if completed {
            let job = &tracked.resource;
            new_models.push(OutputModel {
                name: job.output_model.clone().unwrap_or_default(),
                base_model: job.base_model.clone(),
                warm_start_from: job.warm_start_from.clone(),
                rank: job.lora_rank,
                display_name: job.display_name.clone(),
                job: job.job_name().to_owned(),
            });
        }
        world.track(Collection::SupervisedFineTuningJobs, name, next);
    }
    for name in &due.reinforcement {
        let Some(tracked) = world.reinforcement_fine_tuning_jobs.get_mut(name) else { continue };
        let completed = advance_job(tracked, now);
        let next = tracked.due();
        if completed {
            let job = &tracked.resource;
            let config = job.training_config.clone().unwrap_or_default();
            new_models.push(OutputModel {
                name: config.output_model.unwrap_or_default(),
                base_model: config.base_model,
                warm_start_from: config.warm_start_from,
                rank: config.lora_rank,
                display_name: job.display_name.clone(),
                job: job.job_name().to_owned(),
            });
        }
        world.track(Collection::ReinforcementFineTuningJobs, name, next);
    }
    for output in new_models {
        create_output_model(world, output, now);
    }
    let mut finished_batches = Vec::new();
    for name in &due.batch {
        let Some(tracked) = world.batch_inference_jobs.get_mut(name) else { continue };
        if advance_job(tracked, now) {
            finished_batches.push(tracked.resource.clone());
        }
        let next = tracked.due();
        world.track(Collection::BatchInferenceJobs, name, next);
    }
    for job in finished_batches {
        write_batch_output(world, &job, now, blobs);
    }
}

/// What a completed fine-tuning job leaves behind.
struct OutputModel {
    /// Full model name (the handler resolved the id at create time).
    name: String,
    base_model: Option<String>,
    warm_start_from: Option<String>,
    rank: Option<i32>,
    display_name: Option<String>,
    job: String,
}

fn create_output_model(world: &mut World, output: OutputModel, now: u64) {
    if output.name.is_empty() || world.models.contains_key(&output.name) {
        return;
    }
    // Continuing from an addon trains on that addon's base.
    let base_model = output.base_model.or_else(|| {
        let addon = world.models.get(output.warm_start_from.as_deref()?)?;
        addon.resource.peft_details.as_ref()?.base_model.clone()
    });
    let model = Model {
        name: Some(output.name.clone()),
        display_name: output.display_name,
        kind: Some(ModelKind::HfPeftAddon),
        peft_details: Some(PeftDetails {
            base_model,
            r: Some(output.rank.filter(|rank| *rank > 0).unwrap_or(8)),
            target_modules: Some(vec![
                "q_proj".to_owned(),
                "k_proj".to_owned(),
                "v_proj".to_owned(),
                "o_proj".to_owned(),
            ]),
            ..PeftDetails::default()
        }),
        state: Some(ModelState::Ready),
        fine_tuning_job: Some(output.job),
        create_time: Some(rfc3339(now)),
        update_time: Some(rfc3339(now)),
        ..Model::default()
    };
    world.models.insert(output.name, Tracked::new(model, now));
}

/// Writes a batch job's results: one JSON line per input row, into its output dataset.
fn write_batch_output(world: &mut World, job: &BatchInferenceJob, now: u64, blobs: &Blobs) {
    let Some(output_name) = job.output_dataset_id.clone() else { return };
    if world.datasets.contains_key(&output_name) {
        return;
    }
    let input_name = job.input_dataset_id.clone().unwrap_or_default();
    let mut rows = Vec::new();
    for filename in world.dataset_files.get(&input_name).map(BTreeMap::keys).into_iter().flatten() {
        // An unreadable input blob yields no rows rather than a stuck job.
        if let Ok(Some(bytes)) = blobs.get(&Blobs::key(&input_name, filename)) {
            rows.extend(
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .filter(|line| !line.trim().is_empty())
                    .map(str::to_owned),
            );
        }
    }
    let model = job.model.clone().unwrap_or_default();
    let mut results = String::new();
    for (index, row) in rows.iter().enumerate() {
        let request: serde_json::Value =
            serde_json::from_str(row).unwrap_or_else(|_| serde_json::Value::String(row.clone()));
        let line = serde_json::json!({
            "index": index,
            "request": request,
            "response": {
                "model": model,
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": format!("emulated response {index}")},
                    "finish_reason": "stop"
                }]
            }
        });
        results.push_str(&line.to_string());
        results.push('\n');
    }
    let filename = "results.jsonl".to_owned();
    let size = u64::try_from(results.len()).unwrap_or(u64::MAX);
    if blobs.put(&Blobs::key(&output_name, &filename), Bytes::from(results)).is_err() {
        return;
    }
    world
        .dataset_files
        .entry(output_name.clone())
        .or_default()
        .insert(filename, DatasetFile { expected_size: size, stored_size: Some(size) });
    let dataset = Dataset {
        name: Some(output_name.clone()),
        display_name: job.display_name.as_ref().map(|name| format!("{name} results")),
        format: Some(DatasetFormat::Chat),
        example_count: Some(i64::try_from(rows.len()).unwrap_or(i64::MAX)),
        user_uploaded: Some(Empty::default()),
        source_job_name: job.name.clone(),
        state: Some(DatasetState::Ready),
        create_time: Some(rfc3339(now)),
        update_time: Some(rfc3339(now)),
        ..Dataset::default()
    };
    world.datasets.insert(output_name, Tracked::new(dataset, now));
}

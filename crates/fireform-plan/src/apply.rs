//! Apply: carrying out a [`Plan`] through a [`Provider`], recording state after every step.
//!
//! The plan becomes a graph of steps: one "apply" step per resource that is created, updated,
//! adopted, read or waited for, and one "delete" step per object that goes away. Apply steps
//! follow the steps of what they depend on; deletes follow the deletes of what depended on the
//! object; a replace deletes then creates (or creates then deletes, where the ids differ). Up
//! to `parallelism` steps run at once, each starting as soon as its own prerequisites are done,
//! not when a whole level is. A failure skips the steps that follow from it and lets the rest
//! finish. Every step saves state as soon as the account changes, so a crash loses nothing a
//! rerun cannot find again. This module prints nothing: it reports [`Event`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::pin::pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use fireform_core::{ResourceAddr, ResourceKind};
use fireform_state::{ResourceState, Saving, StateDocument, StateStore};
use futures_util::future::{Either, select};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::Value as Json;

use crate::dataset;
use crate::kinds::{self, Known, Ownership, Readiness, UploadSource};
use crate::plan::{Action, Plan, Planned, Prior, ResourceChange};
use crate::provider::{Object, Provider, ProviderError, ProviderErrorKind};

/// How apply runs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// How many steps may run at once (`--parallelism`).
    pub parallelism: usize,
    /// How often a "still creating…" event is reported for a long step.
    pub progress_every: Duration,
    /// The shortest poll interval while waiting; the interval is a tenth of the time waited so
    /// far, within `poll_min..=poll_max`.
    pub poll_min: Duration,
    /// The longest poll interval while waiting.
    pub poll_max: Duration,
    /// The project directory, which dataset file paths in a plan are relative to (so that a
    /// plan saved in one checkout applies in another whose files hash the same).
    pub project_dir: std::path::PathBuf,
}

impl Default for ApplyOptions {
    fn default() -> ApplyOptions {
        ApplyOptions {
            parallelism: 10,
            progress_every: Duration::from_secs(10),
            poll_min: Duration::from_millis(200),
            poll_max: Duration::from_secs(5),
            project_dir: std::path::PathBuf::from("."),
        }
    }
}

/// Ctrl-C, as the engine sees it: raised once, apply starts nothing new and lets running steps
/// finish; raised twice, it stops waiting at once. State is saved either way.
#[derive(Debug, Default)]
pub struct Interrupt {
    level: AtomicU8,
}

impl Interrupt {
    /// A fresh, unraised interrupt.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Raises the level by one and returns the new level.
    pub fn raise(&self) -> u8 {
        self.level.fetch_add(1, Ordering::SeqCst).saturating_add(1)
    }

    /// The current level: 0 none, 1 stop starting, 2 stop waiting.
    pub fn level(&self) -> u8 {
        self.level.load(Ordering::SeqCst)
    }
}

/// What a step does, for progress lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// Creating an object (and waiting until ready).
    Creating,
    /// Adopting an existing object.
    Adopting,
    /// Updating in place.
    Updating,
    /// Reading an object fireform does not own.
    Reading,
    /// Waiting for an object to become ready.
    Waiting,
    /// Destroying an object.
    Destroying,
    /// Dropping from state.
    Forgetting,
    /// Recording drift into state.
    Refreshing,
}

impl Verb {
    /// The lower-case progress word (`creating`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Creating => "creating",
            Verb::Adopting => "adopting",
            Verb::Updating => "updating",
            Verb::Reading => "reading",
            Verb::Waiting => "waiting",
            Verb::Destroying => "destroying",
            Verb::Forgetting => "forgetting",
            Verb::Refreshing => "refreshing",
        }
    }

    /// The past participle for completion lines (`created`).
    pub fn done(self) -> &'static str {
        match self {
            Verb::Creating => "created",
            Verb::Adopting => "adopted",
            Verb::Updating => "updated",
            Verb::Reading => "read",
            Verb::Waiting => "ready",
            Verb::Destroying => "destroyed",
            Verb::Forgetting => "forgotten",
            Verb::Refreshing => "refreshed",
        }
    }
}

/// Progress of apply, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A step started.
    Started {
        /// The resource.
        addr: ResourceAddr,
        /// What it does.
        verb: Verb,
    },
    /// A step is still running.
    StillRunning {
        /// The resource.
        addr: ResourceAddr,
        /// What it does.
        verb: Verb,
        /// Time since it started.
        elapsed: Duration,
    },
    /// A step finished.
    Finished {
        /// The resource.
        addr: ResourceAddr,
        /// What it did.
        verb: Verb,
        /// How long it took.
        elapsed: Duration,
        /// The object's id, where one is known.
        id: Option<String>,
    },
    /// A step failed.
    Failed {
        /// The resource.
        addr: ResourceAddr,
        /// What it was doing.
        verb: Verb,
        /// How long it ran.
        elapsed: Duration,
    },
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The account refused or could not be reached.
    #[error("{doing} `{name}` failed")]
    Provider {
        /// What was being done (`create`, `update`, …).
        doing: &'static str,
        /// The object's name (or id).
        name: String,
        /// The provider's error.
        #[source]
        source: ProviderError,
    },
    /// It ended in a bad state while being waited for.
    #[error("`{name}` did not become ready: {message}")]
    Failed {
        /// The object's name.
        name: String,
        /// The state and the server's status message.
        message: String,
    },
    /// It vanished while being waited for.
    #[error("`{name}` disappeared while fireform was waiting for it")]
    Vanished {
        /// The object's name.
        name: String,
    },
    /// Waiting took longer than allowed.
    #[error("timed out after {}s waiting for `{name}` (last state: {last}); raise `lifecycle.timeouts` if it needs longer", limit.as_secs())]
    Timeout {
        /// The object's name.
        name: String,
        /// The limit.
        limit: Duration,
        /// The last state seen.
        last: String,
    },
    /// A reference's value was not recorded by the step that should have produced it.
    #[error("the value of `${{{target}.{attribute}}}` is not known")]
    Unresolved {
        /// The referenced resource.
        target: String,
        /// The attribute.
        attribute: String,
    },
    /// A dataset file changed between plan and apply.
    #[error(
        "dataset content changed since the plan (planned `{planned}`, now `{actual}`); run plan again"
    )]
    ContentChanged {
        /// The id the plan computed.
        planned: String,
        /// The id of the content now.
        actual: String,
    },
    /// The object to create exists already, and neither an earlier run of this project
    /// created it nor does the manifest say `lifecycle.adopt`.
    #[error(
        "`{name}` already exists in the account, and fireform did not create it for this project; run `fireform import` to manage it here"
    )]
    NotOurs {
        /// The object's name.
        name: String,
    },
    /// A dataset file could not be read.
    #[error("cannot read dataset file `{path}`")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// State could not be saved.
    #[error("could not save state")]
    State(#[source] fireform_state::Error),
    /// The step waits on steps that wait on it (a cycle between replacements).
    #[error(
        "could not be ordered against the rest of the plan (its steps wait on each other); \
         apply it on its own with `--target`"
    )]
    Unordered,
    /// Stopped by a second Ctrl-C.
    #[error("interrupted")]
    Interrupted,
}

/// What apply did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Steps that finished, in completion order.
    pub done: Vec<(ResourceAddr, Verb)>,
    /// Steps that failed, with why, in completion order.
    pub errors: Vec<(ResourceAddr, StepError)>,
    /// Resources not started because something they follow failed.
    pub skipped: Vec<ResourceAddr>,
    /// Resources not started because apply was interrupted.
    pub not_started: Vec<ResourceAddr>,
    /// Whether Ctrl-C stopped apply early.
    pub interrupted: bool,
}

impl ApplyReport {
    /// Whether every step succeeded.
    pub fn is_success(&self) -> bool {
        self.errors.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Delete,
    Apply,
    /// Deleting the resource's deposed objects (older objects a replacement left behind).
    DeleteDeposed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Step {
    change: usize,
    phase: Phase,
}

struct Schedule {
    prerequisites: BTreeMap<Step, usize>,
    successors: BTreeMap<Step, BTreeSet<Step>>,
}

impl Schedule {
    fn new(plan: &Plan, state: &StateDocument) -> Schedule {
        let mut steps = BTreeSet::new();
        let mut by_addr: BTreeMap<&ResourceAddr, usize> = BTreeMap::new();
        for (index, change) in plan.changes.iter().enumerate() {
            by_addr.insert(&change.addr, index);
            let wait = change.planned.as_ref().is_some_and(|planned| planned.wait);
            let (apply, delete) = match change.action {
                Action::NoOp => (wait || change.moved_from.is_some(), false),
                Action::Create
                | Action::Adopt
                | Action::Update
                | Action::Read
                | Action::Refresh => (true, false),
                Action::Replace => (true, true),
                Action::Delete | Action::Forget => (false, true),
            };
            if apply {
                steps.insert(Step { change: index, phase: Phase::Apply });
            }
            if !change.deposed.is_empty() {
                steps.insert(Step { change: index, phase: Phase::DeleteDeposed });
            }
            if delete {
                steps.insert(Step { change: index, phase: Phase::Delete });
            }
        }
        let mut edges: BTreeSet<(Step, Step)> = BTreeSet::new();
        let recorded_deps = |addr: &ResourceAddr| -> BTreeSet<ResourceAddr> {
            state.resource(addr).map(|recorded| recorded.dependencies.clone()).unwrap_or_default()
        };
        for (index, change) in plan.changes.iter().enumerate() {
            let apply = Step { change: index, phase: Phase::Apply };
            let delete = Step { change: index, phase: Phase::Delete };
            let cbd = change.planned.as_ref().is_some_and(|planned| planned.create_before_destroy);
            if steps.contains(&apply) {
                for dependency in change.planned.iter().flat_map(|planned| &planned.dependencies) {
                    if let Some(&other) = by_addr.get(dependency) {
                        let before = Step { change: other, phase: Phase::Apply };
                        if steps.contains(&before) {
                            edges.insert((before, apply));
                        }
                    }
                }
                if steps.contains(&delete) {
                    edges.insert(if cbd { (apply, delete) } else { (delete, apply) });
                }
            }
            // Deposed objects go once their successor exists and whatever used them has moved
            // away or gone; nothing waits for them.
            let deposed = Step { change: index, phase: Phase::DeleteDeposed };
            if steps.contains(&deposed) {
                if steps.contains(&apply) {
                    edges.insert((apply, deposed));
                }
                for (other_index, other) in plan.changes.iter().enumerate() {
                    if other_index == index || !recorded_deps(&other.addr).contains(&change.addr) {
                        continue;
                    }
                    for phase in [Phase::Delete, Phase::Apply] {
                        let other_step = Step { change: other_index, phase };
                        if steps.contains(&other_step) {
                            edges.insert((other_step, deposed));
                        }
                    }
                }
            }
            if steps.contains(&delete) {
                // Whatever depended on this object goes (or moves away) first.
                for (other_index, other) in plan.changes.iter().enumerate() {
                    if other_index == index {
                        continue;
                    }
                    let recorded = recorded_deps(&other.addr).contains(&change.addr);
                    let planned = other
                        .planned
                        .as_ref()
                        .is_some_and(|planned| planned.dependencies.contains(&change.addr));
                    let other_delete = Step { change: other_index, phase: Phase::Delete };
                    if recorded && steps.contains(&other_delete) {
                        edges.insert((other_delete, delete));
                    }
                    // A dependent's new version moves away from the old object before it goes,
                    // unless the old object must go before this one's replacement exists.
                    let other_apply = Step { change: other_index, phase: Phase::Apply };
                    let replaced_in_place = change.action == Action::Replace && !cbd;
                    if (recorded || planned) && !replaced_in_place && steps.contains(&other_apply) {
                        edges.insert((other_apply, delete));
                    }
                }
            }
        }
        let mut prerequisites: BTreeMap<Step, usize> =
            steps.iter().map(|step| (*step, 0)).collect();
        let mut successors: BTreeMap<Step, BTreeSet<Step>> = BTreeMap::new();
        for (before, after) in edges {
            if successors.entry(before).or_default().insert(after) {
                *prerequisites.entry(after).or_default() += 1;
            }
        }
        Schedule { prerequisites, successors }
    }
}

struct Context<'a, P> {
    provider: &'a P,
    plan: &'a Plan,
    store: &'a StateStore,
    options: &'a ApplyOptions,
    interrupt: &'a Interrupt,
}

/// Checks that `plan` was made against the state `store` holds now.
pub fn check_fresh(plan: &Plan, state: &StateDocument) -> Result<(), String> {
    let current_serial = state.serial();
    let same = plan.state.serial == current_serial
        && (plan.state.serial == 0 || plan.state.lineage == state.lineage());
    if same {
        Ok(())
    } else {
        Err(format!(
            "the saved plan is stale: it was made against state serial {}, and the state is now at serial {current_serial}; run `fireform plan` again",
            plan.state.serial
        ))
    }
}

/// Carries out `plan`, recording state in `store` after every step.
pub async fn apply<P: Provider>(
    provider: &P,
    plan: &Plan,
    store: &StateStore,
    options: &ApplyOptions,
    interrupt: &Interrupt,
    events: &dyn Fn(Event),
) -> ApplyReport {
    let schedule = Schedule::new(plan, &store.snapshot());
    let context = Context { provider, plan, store, options, interrupt };
    let mut remaining = schedule.prerequisites.clone();
    let mut ready: BTreeSet<(ResourceAddr, Step)> = remaining
        .iter()
        .filter(|(_, count)| **count == 0)
        .map(|(step, _)| (plan.changes[step.change].addr.clone(), *step))
        .collect();
    let mut running: BTreeMap<Step, (Instant, Verb, u32)> = BTreeMap::new();
    let mut in_flight = FuturesUnordered::new();
    let mut report = ApplyReport::default();
    let mut blocked: BTreeSet<Step> = BTreeSet::new();
    let parallelism = options.parallelism.max(1);

    loop {
        if interrupt.level() == 0 {
            while in_flight.len() < parallelism {
                let Some((_, step)) = ready.pop_first() else { break };
                let verb = verb_of(&plan.changes[step.change], step.phase);
                events(Event::Started { addr: plan.changes[step.change].addr.clone(), verb });
                running.insert(step, (Instant::now(), verb, 0));
                in_flight.push(run_step(&context, step));
            }
        }
        if in_flight.is_empty() {
            break;
        }
        if interrupt.level() >= 2 {
            report.interrupted = true;
            for step in running.keys() {
                report
                    .errors
                    .push((plan.changes[step.change].addr.clone(), StepError::Interrupted));
            }
            break;
        }
        let tick = provider.sleep(Duration::from_millis(100));
        let outcome = {
            let next = pin!(in_flight.next());
            let tick = pin!(tick);
            match select(next, tick).await {
                Either::Left((outcome, _)) => outcome,
                Either::Right(((), _)) => None,
            }
        };
        match outcome {
            Some((step, result)) => {
                let Some((started, verb, _)) = running.remove(&step) else { continue };
                let change = &plan.changes[step.change];
                let elapsed = started.elapsed();
                match result {
                    Ok(id) => {
                        events(Event::Finished { addr: change.addr.clone(), verb, elapsed, id });
                        report.done.push((change.addr.clone(), verb));
                        for next in schedule.successors.get(&step).into_iter().flatten() {
                            if blocked.contains(next) {
                                continue;
                            }
                            let count = remaining.entry(*next).or_default();
                            *count = count.saturating_sub(1);
                            if *count == 0 {
                                ready.insert((plan.changes[next.change].addr.clone(), *next));
                            }
                        }
                    }
                    Err(error) => {
                        events(Event::Failed { addr: change.addr.clone(), verb, elapsed });
                        report.errors.push((change.addr.clone(), error));
                        let mut frontier: Vec<Step> =
                            schedule.successors.get(&step).into_iter().flatten().copied().collect();
                        while let Some(next) = frontier.pop() {
                            if blocked.insert(next) {
                                frontier
                                    .extend(schedule.successors.get(&next).into_iter().flatten());
                            }
                        }
                    }
                }
            }
            None => {
                for (step, (started, verb, reported)) in &mut running {
                    let elapsed = started.elapsed();
                    let due = options.progress_every.as_secs_f64().max(0.001);
                    let ticks = (elapsed.as_secs_f64() / due) as u32;
                    if ticks > *reported {
                        *reported = ticks;
                        events(Event::StillRunning {
                            addr: plan.changes[step.change].addr.clone(),
                            verb: *verb,
                            elapsed,
                        });
                    }
                }
            }
        }
    }
    drop(in_flight);
    for step in &blocked {
        let addr = plan.changes[step.change].addr.clone();
        if !report.skipped.contains(&addr) {
            report.skipped.push(addr);
        }
    }
    if interrupt.level() == 0 {
        // Steps still waiting for a prerequisite that can never finish: the plan's steps form a
        // cycle. Never report such a plan as applied.
        for (step, count) in &remaining {
            let addr = &plan.changes[step.change].addr;
            if *count > 0
                && !blocked.contains(step)
                && !report.errors.iter().any(|(failed, _)| failed == addr)
            {
                report.errors.push((addr.clone(), StepError::Unordered));
            }
        }
    }
    if interrupt.level() > 0 {
        report.interrupted = true;
        for (addr, step) in ready {
            if !blocked.contains(&step) && !report.not_started.contains(&addr) {
                report.not_started.push(addr);
            }
        }
        for (step, count) in &remaining {
            let addr = &plan.changes[step.change].addr;
            if *count > 0 && !blocked.contains(step) && !report.not_started.contains(addr) {
                report.not_started.push(addr.clone());
            }
        }
    }
    report
}

fn verb_of(change: &ResourceChange, phase: Phase) -> Verb {
    match (change.action, phase) {
        (Action::Forget, _) => Verb::Forgetting,
        (_, Phase::Delete | Phase::DeleteDeposed) => Verb::Destroying,
        (Action::Create | Action::Replace, Phase::Apply) => Verb::Creating,
        (Action::Adopt, Phase::Apply) => Verb::Adopting,
        (Action::Update, Phase::Apply) => Verb::Updating,
        (Action::Read, Phase::Apply) => Verb::Reading,
        (Action::Refresh, Phase::Apply) => Verb::Refreshing,
        (Action::NoOp | Action::Delete, Phase::Apply) => Verb::Waiting,
    }
}

async fn run_step<P: Provider>(
    context: &Context<'_, P>,
    step: Step,
) -> (Step, Result<Option<String>, StepError>) {
    let change = &context.plan.changes[step.change];
    let result = match step.phase {
        Phase::Delete => delete(context, change)
            .await
            .map(|()| change.prior.as_ref().map(|prior| prior.id.clone())),
        Phase::Apply => apply_one(context, change).await,
        Phase::DeleteDeposed => delete_deposed(context, change).await.map(|()| None),
    };
    (step, result)
}

async fn apply_one<P: Provider>(
    context: &Context<'_, P>,
    change: &ResourceChange,
) -> Result<Option<String>, StepError> {
    if let Some(from) = &change.moved_from {
        // A declared rename: the record moves; the account is not touched for it.
        let to = change.addr.clone();
        context
            .store
            .update_async(|state| {
                if state.resource(&to).is_none()
                    && let Some(recorded) = state.remove(from)
                {
                    state.upsert(recorded.readdressed(to));
                }
            })
            .await
            .map_err(StepError::State)?;
    }
    let Some(planned) = &change.planned else {
        return refresh_record(context, change).await.map(|()| None);
    };
    let kind = change.addr.kind;
    match change.action {
        Action::Create | Action::Replace => create(context, change, planned).await.map(Some),
        Action::Adopt => {
            let prior = change.prior.as_ref();
            let name = prior.map(|prior| prior.remote_name.clone()).unwrap_or_default();
            let object = read_existing(context, kind, &name).await?;
            let body = resolve_body(context, planned)?;
            record(context, change, planned, &body, &object, false).await?;
            if !planned.mask.is_empty() {
                update(context, change, planned, &name).await?;
            }
            resume_upload(context, change, planned, &name).await?;
            if planned.wait {
                wait_ready(context, kind, &name, planned.timeouts.update).await?;
            }
            Ok(Some(kinds::id_of(&name).to_owned()))
        }
        Action::Update => {
            let name =
                change.prior.as_ref().map(|prior| prior.remote_name.clone()).unwrap_or_default();
            if !planned.mask.is_empty() {
                update(context, change, planned, &name).await?;
            }
            record_keep_outputs(context, change, planned).await?;
            resume_upload(context, change, planned, &name).await?;
            if planned.wait {
                wait_ready(context, kind, &name, planned.timeouts.update).await?;
            }
            Ok(Some(kinds::id_of(&name).to_owned()))
        }
        Action::Read => {
            let body = resolve_body(context, planned)?;
            let object = match (&planned.remote_name, kind) {
                (Some(name), ResourceKind::Dataset) => read_existing(context, kind, name).await?,
                _ => Object::new(),
            };
            let read_only = planned.ownership == Ownership::ReadOnly;
            record(context, change, planned, &body, &object, read_only).await?;
            Ok(planned.id.clone())
        }
        Action::NoOp => {
            let name = planned
                .remote_name
                .clone()
                .or_else(|| change.prior.as_ref().map(|prior| prior.remote_name.clone()))
                .unwrap_or_default();
            wait_ready(context, kind, &name, planned.timeouts.create).await?;
            Ok(None)
        }
        Action::Refresh | Action::Delete | Action::Forget => Ok(None),
    }
}

/// Fills the references left for apply from the values recorded by earlier steps.
fn resolve_body<P>(context: &Context<'_, P>, planned: &Planned) -> Result<Object, StepError> {
    let mut body = planned.body.clone();
    if planned.pending.is_empty() {
        return Ok(body);
    }
    let state = context.store.snapshot();
    for pending in &planned.pending {
        let value = pending
            .target
            .parse::<ResourceAddr>()
            .ok()
            .and_then(|target| {
                state
                    .resource(&target)
                    .and_then(|recorded| recorded.values.get(&pending.attribute).cloned())
            })
            .ok_or_else(|| StepError::Unresolved {
                target: pending.target.clone(),
                attribute: pending.attribute.clone(),
            })?;
        kinds::set_path(&mut body, &pending.path, value);
    }
    Ok(body)
}

async fn create<P: Provider>(
    context: &Context<'_, P>,
    change: &ResourceChange,
    planned: &Planned,
) -> Result<String, StepError> {
    let kind = change.addr.kind;
    let body = resolve_body(context, planned)?;
    let content = upload_content(context, planned)?;
    let display = planned.remote_name.clone().unwrap_or_else(|| change.addr.to_string());
    // The intent goes to state before the create leaves: if the response is lost or the run
    // dies before the object is recorded, the next plan knows the object is its own.
    let intent = planned.remote_name.clone().unwrap_or_default();
    let mut earlier: Option<(String, Option<String>)> = None;
    context
        .store
        .update_async(|state| {
            earlier = state
                .intent(&change.addr)
                .map(|recorded| (recorded, state.intent_since(&change.addr)));
            state.record_intent(&change.addr, &intent);
        })
        .await
        .map_err(StepError::State)?;
    let lineage = context.store.snapshot().lineage().to_owned();
    let mut sent = body.clone();
    if kinds::takes_lineage_mark(kind) {
        kinds::mark_lineage(&mut sent, &lineage);
    }
    let created = match context.provider.create(kind, planned.id.as_deref(), sent).await {
        Ok(created) => created,
        Err(error) if error.kind() == ProviderErrorKind::AlreadyExists => {
            // It exists although the plan did not see it (made without a refresh, or created
            // since). It is taken only if an earlier run of this project created it, or the
            // manifest or `import` says so and no other project marked it as its own.
            let found = match &planned.remote_name {
                Some(name) => context.provider.get(kind, name).await,
                // A LoRA load (the server picks its id): the load of this model on this
                // deployment.
                None => context.provider.list(kind).await.map(|loads| {
                    loads.into_iter().find(|load| {
                        load.get("model") == body.get("model")
                            && load.get("deployment") == body.get("deployment")
                    })
                }),
            };
            let found = found
                .map_err(|source| StepError::Provider {
                    doing: "read",
                    name: display.clone(),
                    source,
                })?
                .ok_or(StepError::Provider {
                    doing: "create",
                    name: display.clone(),
                    source: error,
                })?;
            let name = found.get("name").and_then(Json::as_str).unwrap_or_default().to_owned();
            let ours = earlier.as_ref().is_some_and(|(intent, since)| {
                kinds::intent_covers(intent, since.as_deref(), &found)
            });
            let foreign = kinds::foreign_lineage(&found, &lineage).is_some();
            if !ours && (!planned.may_adopt || foreign) {
                // This run created nothing: its intent must not make the next plan take it.
                clear_intent(context, &change.addr).await?;
                if kind == ResourceKind::Dataset && planned.upload.is_some() && !foreign {
                    // The same content, uploaded by someone else: read it, never own it.
                    record(context, change, planned, &body, &found, true).await?;
                    if planned.wait {
                        wait_ready(context, kind, &name, planned.timeouts.create).await?;
                    }
                    return Ok(kinds::id_of(&name).to_owned());
                }
                return Err(StepError::NotOurs { name: display });
            }
            found
        }
        Err(source) => {
            if source.kind() == ProviderErrorKind::Refused {
                // Nothing was created: the intent must not make a later plan take an object
                // somebody else creates under this id.
                clear_intent(context, &change.addr).await?;
            }
            return Err(StepError::Provider { doing: "create", name: display, source });
        }
    };
    let name = created
        .get("name")
        .and_then(Json::as_str)
        .map(str::to_owned)
        .or_else(|| planned.remote_name.clone())
        .unwrap_or_default();
    let id = kinds::id_of(&name).to_owned();
    // Saved while the step goes on; every way out below awaits a save that includes it.
    let created_saved = record_later(context, change, planned, &body, &created, false);
    if let Some((file_name, content)) = content
        && created.get("state").and_then(Json::as_str) != Some("READY")
        && let Err(source) = context.provider.upload_dataset(&name, &file_name, content).await
    {
        // No half-registered dataset: remove it from the account and from state.
        let _ = context.provider.delete(kind, &name).await;
        forget(context, &change.addr, &name).await?;
        return Err(StepError::Provider { doing: "upload", name, source });
    }
    if !planned.wait {
        created_saved.await.map_err(StepError::State)?;
        return Ok(id);
    }
    match wait_ready(context, kind, &name, planned.timeouts.create).await {
        Ok(object) => record(context, change, planned, &body, &object, false).await?,
        Err(StepError::Interrupted) => {
            created_saved.await.map_err(StepError::State)?;
            return Err(StepError::Interrupted);
        }
        Err(error) => {
            taint(context, &change.addr).await?;
            return Err(error);
        }
    }
    Ok(id)
}

/// The dataset content to upload, checked against the content id the plan computed.
fn upload_content<P>(
    context: &Context<'_, P>,
    planned: &Planned,
) -> Result<Option<(String, Vec<u8>)>, StepError> {
    let Some(upload) = &planned.upload else { return Ok(None) };
    let content = match &upload.source {
        UploadSource::File { path } => {
            let file = context.options.project_dir.join(path);
            std::fs::read(&file)
                .map_err(|source| StepError::Read { path: file.display().to_string(), source })?
        }
        UploadSource::Inline { content } => content.clone().into_bytes(),
    };
    let actual = dataset::content_dataset_id(&content, &upload.file_name);
    if let Some(planned_id) = &planned.content_id
        && planned_id != &actual
    {
        return Err(StepError::ContentChanged { planned: planned_id.clone(), actual });
    }
    Ok(Some((upload.file_name.clone(), content)))
}

/// Uploads a dataset's content again when an earlier run created the dataset but died before
/// its upload was validated (it is still `UPLOADING`).
async fn resume_upload<P: Provider>(
    context: &Context<'_, P>,
    change: &ResourceChange,
    planned: &Planned,
    name: &str,
) -> Result<(), StepError> {
    let kind = change.addr.kind;
    if kind != ResourceKind::Dataset || planned.upload.is_none() {
        return Ok(());
    }
    let current = read_existing(context, kind, name).await?;
    if current.get("state").and_then(Json::as_str) != Some("UPLOADING") {
        return Ok(());
    }
    let Some((file_name, content)) = upload_content(context, planned)? else { return Ok(()) };
    context
        .provider
        .upload_dataset(name, &file_name, content)
        .await
        .map_err(|source| StepError::Provider { doing: "upload", name: name.to_owned(), source })
}

/// Reads an object that must exist; its absence is [`StepError::Vanished`].
async fn read_existing<P: Provider>(
    context: &Context<'_, P>,
    kind: ResourceKind,
    name: &str,
) -> Result<Object, StepError> {
    context
        .provider
        .get(kind, name)
        .await
        .map_err(|source| StepError::Provider { doing: "read", name: name.to_owned(), source })?
        .ok_or_else(|| StepError::Vanished { name: name.to_owned() })
}

async fn update<P: Provider>(
    context: &Context<'_, P>,
    change: &ResourceChange,
    planned: &Planned,
    name: &str,
) -> Result<(), StepError> {
    let kind = change.addr.kind;
    let desired = resolve_body(context, planned)?;
    // Nested objects are sent whole under a top-level mask: start from what the server holds
    // so that fields the manifest leaves out keep their values.
    let current = read_existing(context, kind, name).await?;
    let mut body = Object::new();
    for field in &planned.mask {
        let Some(value) = desired.get(field) else { continue };
        let merged = match (current.get(field), value) {
            (Some(Json::Object(current)), Json::Object(value)) => {
                let mut merged = current.clone();
                merged.extend(value.clone());
                Json::Object(merged)
            }
            _ => value.clone(),
        };
        body.insert(field.clone(), merged);
    }
    for field in kinds::sent_on_every_update(kind) {
        if let Some(value) = current.get(*field).or_else(|| desired.get(*field)) {
            body.entry(*field).or_insert_with(|| value.clone());
        }
    }
    let updated =
        context.provider.update(kind, name, body, &planned.mask).await.map_err(|source| {
            StepError::Provider { doing: "update", name: name.to_owned(), source }
        })?;
    record(context, change, planned, &desired, &updated, false).await
}

async fn delete<P: Provider>(
    context: &Context<'_, P>,
    change: &ResourceChange,
) -> Result<(), StepError> {
    let Some(prior) = &change.prior else { return Ok(()) };
    if change.action == Action::Forget || prior.ownership == Ownership::ReadOnly {
        if prior.ownership == Ownership::Managed && keeps_outputs(change, prior) {
            // The job went without fireform (or a run stopped after deleting it): what it kept
            // is still its own.
            record_kept_outputs(context, change, prior).await?;
        }
        return forget(context, &change.addr, &prior.remote_name).await;
    }
    delete_object(context, change, prior).await
}

async fn delete_deposed<P: Provider>(
    context: &Context<'_, P>,
    change: &ResourceChange,
) -> Result<(), StepError> {
    for prior in &change.deposed {
        delete_object(context, change, prior).await?;
    }
    Ok(())
}

/// Deletes `prior` (an object of `change`'s resource), waits until it is gone, removes what it
/// produced unless told to keep it, and drops it from state.
async fn delete_object<P: Provider>(
    context: &Context<'_, P>,
    change: &ResourceChange,
    prior: &Prior,
) -> Result<(), StepError> {
    let kind = change.addr.kind;
    let name = &prior.remote_name;
    let keep_outputs = keeps_outputs(change, prior);
    if keep_outputs {
        // Remembered before the job goes, so that a run stopped in between still knows.
        record_kept_outputs(context, change, prior).await?;
    }
    context.provider.delete(kind, name).await.map_err(|source| StepError::Provider {
        doing: "delete",
        name: name.clone(),
        source,
    })?;
    let timeout = change.planned.as_ref().map_or(1800, |planned| planned.timeouts.delete);
    wait_gone(context, kind, name, timeout).await?;
    if keep_outputs {
        return forget(context, &change.addr, name).await;
    }
    if let Some(model) = &prior.output_model {
        context.provider.delete_model(model).await.map_err(|source| StepError::Provider {
            doing: "delete model",
            name: model.clone(),
            source,
        })?;
    }
    // A batch job's output dataset was created by the job, so it goes with it (a replacement
    // could not be created while it exists). One in another account is not ours to delete.
    if let Some(output) = &prior.output_dataset
        && output.starts_with(&format!("accounts/{}/datasets/", context.plan.account))
    {
        context.provider.delete(ResourceKind::Dataset, output).await.map_err(|source| {
            StepError::Provider { doing: "delete output dataset", name: output.clone(), source }
        })?;
    }
    forget(context, &change.addr, name).await
}

/// The manifest's `keepOutputs` when the resource is still in it, else the one applied.
fn keeps_outputs(change: &ResourceChange, prior: &Prior) -> bool {
    change.planned.as_ref().map_or(prior.keep_outputs, |planned| planned.keep_outputs)
}

/// Remembers the outputs a job destroyed with `keepOutputs` leaves, so that applying the job
/// again takes them as its own.
async fn record_kept_outputs<P>(
    context: &Context<'_, P>,
    change: &ResourceChange,
    prior: &Prior,
) -> Result<(), StepError> {
    let kept: Vec<&String> = prior.output_model.iter().chain(&prior.output_dataset).collect();
    if kept.is_empty() {
        return Ok(());
    }
    context
        .store
        .update_async(|state| {
            for output in kept {
                state.record_kept_output(output, &change.addr);
            }
        })
        .await
        .map_err(StepError::State)
}

async fn record<P>(
    context: &Context<'_, P>,
    change: &ResourceChange,
    planned: &Planned,
    body: &Object,
    object: &Object,
    read_only: bool,
) -> Result<(), StepError> {
    record_later(context, change, planned, body, object, read_only).await.map_err(StepError::State)
}

/// Records the object in state at once and returns the save, to be awaited later: a step
/// keeps working (uploading, waiting) while its first record is written, and awaits a save
/// that includes it before it ends.
fn record_later<'a, P>(
    context: &'a Context<'_, P>,
    change: &ResourceChange,
    planned: &Planned,
    body: &Object,
    object: &Object,
    read_only: bool,
) -> Saving<'a, ()> {
    let kind = change.addr.kind;
    let account = &context.plan.account;
    let name = object
        .get("name")
        .and_then(Json::as_str)
        .map(str::to_owned)
        .or_else(|| planned.remote_name.clone())
        .unwrap_or_default();
    let id = if name.is_empty() {
        planned.id.clone().unwrap_or_default()
    } else {
        kinds::id_of(&name).to_owned()
    };
    let known = Known { id: Some(&id), remote_name: Some(&name), body };
    let mut values = kinds::attribute_values(kind, account, Some(known), Some(object));
    if read_only {
        values.insert("readOnly".to_owned(), Json::Bool(true));
    }
    if let Some(content_id) = &planned.content_id {
        values.insert("contentId".to_owned(), Json::String(content_id.clone()));
    }
    if planned.keep_outputs {
        values.insert("keepOutputs".to_owned(), Json::Bool(true));
    }
    // A job read rather than run: its output was kept when it was destroyed, and is its own.
    let outputs: Vec<String> = ["outputModel", "outputDataset"]
        .iter()
        .filter_map(|field| values.get(*field)?.as_str().map(str::to_owned))
        .collect();
    // Taken over (by `import`) from another project's state: the mark it carries is accepted.
    let lineage = context.store.snapshot().lineage().to_owned();
    if let Some(mark) = kinds::foreign_lineage(object, &lineage) {
        values.insert("adoptedMark".to_owned(), Json::String(mark.to_owned()));
    }
    let output_kept = change.action == Action::Read && !read_only;
    if output_kept {
        values.insert("outputKept".to_owned(), Json::Bool(true));
    }
    let mut resource = ResourceState::new(change.addr.clone(), id, name, body.clone());
    resource.values = values;
    resource.dependencies = planned.dependencies.iter().cloned().collect();
    let created_first = change.action == Action::Replace && planned.create_before_destroy;
    context.store.update_async(move |state| {
        // Older objects this record replaces before they are deleted stay known as deposed,
        // so that a run stopped before their delete leaves a rerun something to delete.
        if let Some(previous) = state.resource(resource.addr()) {
            let mut deposed: Vec<Json> = match previous.values.get("deposed") {
                Some(Json::Array(names)) => names.clone(),
                _ => Vec::new(),
            };
            let old = Json::String(previous.remote_name.clone());
            if created_first && !deposed.contains(&old) {
                deposed.push(old);
            }
            deposed.retain(|name| name.as_str() != Some(&resource.remote_name));
            if !deposed.is_empty() {
                resource.values.insert("deposed".to_owned(), Json::Array(deposed));
            }
        }
        state.clear_intent(resource.addr());
        if output_kept {
            for output in &outputs {
                state.clear_kept_output(output);
            }
        }
        state.upsert(resource);
    })
}

/// Records a changed `lifecycle.keepOutputs` of a job that stays as it is (an update of state
/// alone), so that destroy honours it even once the manifest is gone.
async fn record_keep_outputs<P>(
    context: &Context<'_, P>,
    change: &ResourceChange,
    planned: &Planned,
) -> Result<(), StepError> {
    let keep = planned.keep_outputs;
    let recorded = context
        .store
        .snapshot()
        .resource(&change.addr)
        .map(|recorded| recorded.values.get("keepOutputs") == Some(&Json::Bool(true)));
    if recorded.is_none_or(|recorded| recorded == keep) {
        return Ok(());
    }
    change_record(context, &change.addr, |recorded| {
        if keep {
            recorded.values.insert("keepOutputs".to_owned(), Json::Bool(true));
        } else {
            recorded.values.remove("keepOutputs");
        }
    })
    .await
}

async fn refresh_record<P>(
    context: &Context<'_, P>,
    change: &ResourceChange,
) -> Result<(), StepError> {
    change_record(context, &change.addr, |recorded| {
        for field in &change.fields {
            let top = field.path.split('.').next().unwrap_or(&field.path);
            if field.path == top {
                match &field.after {
                    Some(value) => {
                        recorded.spec.insert(top.to_owned(), value.clone());
                    }
                    None => {
                        recorded.spec.remove(top);
                    }
                }
            } else if let Some(value) = &field.after {
                kinds::set_path(&mut recorded.spec, &field.path, value.clone());
            }
        }
    })
    .await
}

/// Changes the record of `addr`, if there is one, and awaits the save.
async fn change_record<P>(
    context: &Context<'_, P>,
    addr: &ResourceAddr,
    change: impl FnOnce(&mut ResourceState),
) -> Result<(), StepError> {
    context
        .store
        .update_async(|state| {
            if let Some(recorded) = state.resource_mut(addr) {
                change(recorded);
                recorded.touch();
            }
        })
        .await
        .map_err(StepError::State)
}

async fn forget<P>(
    context: &Context<'_, P>,
    addr: &ResourceAddr,
    name: &str,
) -> Result<(), StepError> {
    context
        .store
        .update_async(|state| {
            state.clear_intent(addr);
            // A replacement created first may already hold the address: keep it, and strike
            // the old object from its deposed list.
            if state.resource(addr).is_some_and(|recorded| recorded.remote_name == name) {
                state.remove(addr);
            } else if let Some(recorded) = state.resource_mut(addr) {
                if let Some(Json::Array(deposed)) = recorded.values.get_mut("deposed") {
                    deposed.retain(|deposed| deposed.as_str() != Some(name));
                    if deposed.is_empty() {
                        recorded.values.remove("deposed");
                    }
                }
                recorded.touch();
            }
        })
        .await
        .map_err(StepError::State)
}

/// Drops the intent of `addr`: this run's create made nothing under it.
async fn clear_intent<P>(context: &Context<'_, P>, addr: &ResourceAddr) -> Result<(), StepError> {
    context.store.update_async(|state| state.clear_intent(addr)).await.map_err(StepError::State)
}

async fn taint<P>(context: &Context<'_, P>, addr: &ResourceAddr) -> Result<(), StepError> {
    change_record(context, addr, |recorded| recorded.tainted = true).await
}

/// How long to wait before the next poll: a tenth of the time waited so far, within
/// `poll_min..=poll_max`. A wait therefore ends at most about 10% (plus one round trip) after
/// the object is ready, whatever its length, while long waits are still polled rarely.
fn poll_interval(options: &ApplyOptions, waited: Duration) -> Duration {
    (waited / 10).clamp(options.poll_min, options.poll_max.max(options.poll_min))
}

/// What one look at an object being waited for found.
enum Look<T> {
    /// The wait is over.
    Done(T),
    /// Still on its way, in this state.
    Waiting(String),
}

/// Polls `name` until `look` says it is done or fails, within `limit_secs`. A second Ctrl-C
/// stops the wait.
async fn poll<P: Provider, T>(
    context: &Context<'_, P>,
    kind: ResourceKind,
    name: &str,
    limit_secs: u64,
    look: impl Fn(Option<Object>) -> Result<Look<T>, StepError>,
) -> Result<T, StepError> {
    let limit = Duration::from_secs(limit_secs);
    let started = Instant::now();
    loop {
        if context.interrupt.level() >= 2 {
            return Err(StepError::Interrupted);
        }
        let object = context.provider.get(kind, name).await.map_err(|source| {
            StepError::Provider { doing: "read", name: name.to_owned(), source }
        })?;
        let last = match look(object)? {
            Look::Done(done) => return Ok(done),
            Look::Waiting(state) => state,
        };
        if started.elapsed() >= limit {
            return Err(StepError::Timeout { name: name.to_owned(), limit, last });
        }
        let interval = poll_interval(context.options, started.elapsed());
        context.provider.sleep(interval.min(limit.saturating_sub(started.elapsed()))).await;
    }
}

async fn wait_ready<P: Provider>(
    context: &Context<'_, P>,
    kind: ResourceKind,
    name: &str,
    limit_secs: u64,
) -> Result<Object, StepError> {
    poll(context, kind, name, limit_secs, |object| {
        let object = object.ok_or_else(|| StepError::Vanished { name: name.to_owned() })?;
        match kinds::readiness(kind, &object) {
            Readiness::Ready => Ok(Look::Done(object)),
            Readiness::Failed(message) => Err(StepError::Failed { name: name.to_owned(), message }),
            Readiness::InProgress(state) => Ok(Look::Waiting(state)),
        }
    })
    .await
}

async fn wait_gone<P: Provider>(
    context: &Context<'_, P>,
    kind: ResourceKind,
    name: &str,
    limit_secs: u64,
) -> Result<(), StepError> {
    poll(context, kind, name, limit_secs, |object| {
        let state = object
            .as_ref()
            .map(|object| object.get("state").and_then(Json::as_str).unwrap_or_default());
        Ok(match state {
            None | Some("DELETED" | "JOB_STATE_DELETED") => Look::Done(()),
            Some(state) => Look::Waiting(state.to_owned()),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_a_tenth_of_the_time_waited_within_bounds() {
        let options = ApplyOptions::default();
        assert_eq!(poll_interval(&options, Duration::ZERO), options.poll_min);
        assert_eq!(poll_interval(&options, Duration::from_secs(3)), Duration::from_millis(300));
        assert_eq!(poll_interval(&options, Duration::from_secs(600)), options.poll_max);
    }
}

//! Waiting for resources to settle: [`Client::wait_until`] polls one resource with a deadline
//! and an interval that grows to a cap; [`Waiter`] serves many waits on one kind with one
//! paginated list per poll instead of one GET each.
//!
//! Both end at once on a state the wanted one cannot follow (deployment FAILED / DELETING /
//! DELETED while waiting for READY, a load in STATE_UNSPECIFIED, a job FAILED / CANCELLED /
//! EXPIRED, an evaluator BUILD_FAILED), carrying the server's `status.message`. Deciding *what*
//! to wait for (and how long) is the caller's business.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fireform_api::{
    BatchInferenceJob, Code, Dataset, DeployedModel, DeployedModelState, Deployment,
    DeploymentState, Evaluator, EvaluatorState, JobClass, JobState, Model,
    ReinforcementFineTuningJob, Status, SupervisedFineTuningJob, UploadState,
};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::client::{Client, check_id, id_of};
use crate::error::{Error, WaitError, WaitFailure};
use crate::pagination::{ListOptions, Listable};

/// What to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Goal {
    /// The kind's settled good state: deployment READY, load DEPLOYED, dataset or model READY,
    /// evaluator ACTIVE, job COMPLETED (or EARLY_STOPPED).
    Ready,
    /// The resource is gone: 404, or a deployment / job in DELETED.
    Gone,
}

impl Goal {
    fn describe(self) -> &'static str {
        match self {
            Goal::Ready => "ready",
            Goal::Gone => "gone",
        }
    }
}

/// Where a resource stands relative to a [`Goal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The goal is reached.
    Done,
    /// Not yet; keep polling.
    Pending,
    /// The goal cannot be reached from here.
    Failed {
        /// The state reached.
        state: String,
        /// The server's `status.message`.
        message: Option<String>,
    },
}

/// A resource whose state can be waited on.
pub trait Waitable: Listable + Send + Sync + 'static {
    /// The state's wire name, for messages.
    fn state_name(&self) -> Option<String>;

    /// Where the resource stands relative to `goal`.
    fn progress(&self, goal: Goal) -> Progress;
}

fn failed(state: Option<String>, status: Option<&Status>) -> Progress {
    Progress::Failed {
        state: state.unwrap_or_else(|| "STATE_UNSPECIFIED".to_owned()),
        message: status.and_then(|status| status.message.clone()).filter(|m| !m.is_empty()),
    }
}

fn status_failed(status: Option<&Status>) -> bool {
    status.and_then(|status| status.code.as_ref()).is_some_and(|code| *code != Code::Ok)
}

impl Waitable for Deployment {
    fn state_name(&self) -> Option<String> {
        self.state.as_ref().map(|state| state.as_str().to_owned())
    }

    fn progress(&self, goal: Goal) -> Progress {
        let state = self.state.clone().unwrap_or(DeploymentState::Unspecified);
        match goal {
            Goal::Ready if state == DeploymentState::Ready => Progress::Done,
            Goal::Ready if state.is_terminal_bad() => {
                failed(self.state_name(), self.status.as_ref())
            }
            Goal::Gone if state == DeploymentState::Deleted => Progress::Done,
            _ => Progress::Pending,
        }
    }
}

impl Waitable for DeployedModel {
    fn state_name(&self) -> Option<String> {
        self.state.as_ref().map(|state| state.as_str().to_owned())
    }

    fn progress(&self, goal: Goal) -> Progress {
        let state = self.state.clone().unwrap_or(DeployedModelState::Unspecified);
        match (goal, state) {
            (Goal::Ready, DeployedModelState::Deployed) => Progress::Done,
            // The SDK reads STATE_UNSPECIFIED while loading as "failed to deploy".
            (Goal::Ready, DeployedModelState::Unspecified | DeployedModelState::Undeploying) => {
                failed(self.state_name(), self.status.as_ref())
            }
            _ => Progress::Pending,
        }
    }
}

fn upload_progress(state: Option<&UploadState>, status: Option<&Status>, goal: Goal) -> Progress {
    match goal {
        Goal::Ready if state == Some(&UploadState::Ready) => Progress::Done,
        Goal::Ready if status_failed(status) => {
            failed(state.map(|state| state.as_str().to_owned()), status)
        }
        _ => Progress::Pending,
    }
}

impl Waitable for Dataset {
    fn state_name(&self) -> Option<String> {
        self.state.as_ref().map(|state| state.as_str().to_owned())
    }

    fn progress(&self, goal: Goal) -> Progress {
        upload_progress(self.state.as_ref(), self.status.as_ref(), goal)
    }
}

impl Waitable for Model {
    fn state_name(&self) -> Option<String> {
        self.state.as_ref().map(|state| state.as_str().to_owned())
    }

    fn progress(&self, goal: Goal) -> Progress {
        upload_progress(self.state.as_ref(), self.status.as_ref(), goal)
    }
}

impl Waitable for Evaluator {
    fn state_name(&self) -> Option<String> {
        self.state.as_ref().map(|state| state.as_str().to_owned())
    }

    fn progress(&self, goal: Goal) -> Progress {
        match (goal, self.state.as_ref()) {
            (Goal::Ready, Some(EvaluatorState::Active)) => Progress::Done,
            (Goal::Ready, Some(EvaluatorState::BuildFailed)) => {
                failed(self.state_name(), self.status.as_ref())
            }
            _ => Progress::Pending,
        }
    }
}

fn job_progress(state: Option<&JobState>, status: Option<&Status>, goal: Goal) -> Progress {
    let class = state.map_or(JobClass::Unknown, JobState::class);
    let name = || state.map(|state| state.as_str().to_owned());
    match (goal, class) {
        (Goal::Ready, JobClass::Succeeded) => Progress::Done,
        (Goal::Ready, JobClass::Failed | JobClass::GoingAway) => failed(name(), status),
        (Goal::Gone, _) if matches!(state, Some(JobState::Deleted | JobState::Archived)) => {
            Progress::Done
        }
        _ => Progress::Pending,
    }
}

macro_rules! waitable_job {
    ($($job:ty),+) => {
        $(impl Waitable for $job {
            fn state_name(&self) -> Option<String> {
                self.state.as_ref().map(|state| state.as_str().to_owned())
            }

            fn progress(&self, goal: Goal) -> Progress {
                job_progress(self.state.as_ref(), self.status.as_ref(), goal)
            }
        })+
    };
}

waitable_job!(SupervisedFineTuningJob, ReinforcementFineTuningJob, BatchInferenceJob);

/// How long and how often to poll.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    /// Give up after this long (default 30 min).
    pub timeout: Duration,
    /// First interval between polls (default 1 s).
    pub initial_interval: Duration,
    /// Largest interval between polls (default 15 s).
    pub max_interval: Duration,
    /// Growth of the interval per poll (default 1.5).
    pub multiplier: f64,
}

impl Default for WaitOptions {
    fn default() -> WaitOptions {
        WaitOptions {
            timeout: Duration::from_secs(30 * 60),
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(15),
            multiplier: 1.5,
        }
    }
}

impl WaitOptions {
    /// These options with another timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> WaitOptions {
        self.timeout = timeout;
        self
    }

    fn grow(&self, interval: Duration) -> Duration {
        let multiplier = if self.multiplier.is_finite() && self.multiplier >= 1.0 {
            self.multiplier
        } else {
            1.0
        };
        interval.mul_f64(multiplier).min(self.max_interval)
    }
}

fn wait_error(
    client: &Client,
    collection: &str,
    id: &str,
    goal: Goal,
    reason: WaitFailure,
) -> Error {
    Error::from(WaitError {
        resource: format!("accounts/{}/{collection}/{id}", client.account_id()),
        wanted: goal.describe().to_owned(),
        reason,
    })
}

impl Client {
    /// Polls resource `id` until it reaches `goal`: returns it (`None` for [`Goal::Gone`] once
    /// it is 404), or fails at once on a state the goal cannot follow, on disappearance while
    /// waiting for [`Goal::Ready`], or at the deadline. Transient read errors (already retried
    /// by the transport) do not end the wait; other errors do.
    pub async fn wait_until<R: Waitable>(
        &self,
        id: &str,
        goal: Goal,
        options: &WaitOptions,
    ) -> Result<Option<R>, Error> {
        check_id(id)?;
        let collection = R::COLLECTION.as_str();
        let deadline = Instant::now() + options.timeout;
        let mut interval = options.initial_interval;
        let mut last_state = None;
        loop {
            match self.get::<R>(id).await {
                Ok(resource) => match resource.progress(goal) {
                    Progress::Done => return Ok(Some(resource)),
                    Progress::Failed { state, message } => {
                        let reason = WaitFailure::BadState { state, message };
                        return Err(wait_error(self, collection, id, goal, reason));
                    }
                    Progress::Pending => last_state = resource.state_name(),
                },
                Err(error) if error.is_not_found() => {
                    return match goal {
                        Goal::Gone => Ok(None),
                        Goal::Ready => {
                            Err(wait_error(self, collection, id, goal, WaitFailure::Vanished))
                        }
                    };
                }
                Err(error) if error.is_transient() => {
                    tracing::warn!(collection, id, %error, "reading a waited-for resource failed");
                }
                Err(error) => return Err(error),
            }
            let now = Instant::now();
            if now >= deadline {
                let reason = WaitFailure::DeadlineExceeded { last_state };
                return Err(wait_error(self, collection, id, goal, reason));
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = options.grow(interval);
        }
    }

    /// Waits until deployment `id` is READY.
    pub async fn wait_deployment_ready(
        &self,
        id: &str,
        options: &WaitOptions,
    ) -> Result<Deployment, Error> {
        self.wait_ready(id, options).await
    }

    /// Waits until resource `id` reaches [`Goal::Ready`].
    pub async fn wait_ready<R: Waitable>(
        &self,
        id: &str,
        options: &WaitOptions,
    ) -> Result<R, Error> {
        match self.wait_until::<R>(id, Goal::Ready, options).await? {
            Some(resource) => Ok(resource),
            None => Err(wait_error(
                self,
                R::COLLECTION.as_str(),
                id,
                Goal::Ready,
                WaitFailure::Vanished,
            )),
        }
    }

    /// Waits until resource `id` is gone.
    pub async fn wait_gone<R: Waitable>(
        &self,
        id: &str,
        options: &WaitOptions,
    ) -> Result<(), Error> {
        self.wait_until::<R>(id, Goal::Gone, options).await.map(|_| ())
    }
}

/// Many waits on one kind of resource, served by one paginated list per poll.
///
/// Any number of tasks call [`Waiter::wait`] concurrently; a single background poller lists
/// the collection (ceil(n/200) calls for n resources), settles every registered wait it can,
/// sleeps with a growing interval and stops when nobody waits. A resource missing from the list
/// while waited on for [`Goal::Ready`] is confirmed with one GET before the wait fails, so a
/// list that lags behind a create does not end a wait early.
#[derive(Debug, Clone)]
pub struct Waiter<R: Waitable> {
    shared: Arc<Shared<R>>,
}

#[derive(Debug)]
struct Shared<R: Waitable> {
    client: Client,
    options: WaitOptions,
    state: Mutex<WaiterState<R>>,
}

#[derive(Debug)]
struct WaiterState<R> {
    pending: Vec<Registration<R>>,
    // Invariant: true exactly while a poller task runs; only changed under the lock.
    polling: bool,
    polls: u64,
}

#[derive(Debug)]
struct Registration<R> {
    id: String,
    goal: Goal,
    deadline: Instant,
    last_state: Option<String>,
    reply: oneshot::Sender<Result<Option<R>, Error>>,
}

impl<R: Waitable> Waiter<R> {
    /// A waiter polling with `options`; each wait's deadline is `options.timeout` from its
    /// registration.
    pub fn new(client: &Client, options: WaitOptions) -> Waiter<R> {
        Waiter {
            shared: Arc::new(Shared {
                client: client.clone(),
                options,
                state: Mutex::new(WaiterState { pending: Vec::new(), polling: false, polls: 0 }),
            }),
        }
    }

    /// Waits until resource `id` reaches `goal`; same results as [`Client::wait_until`].
    pub async fn wait(&self, id: &str, goal: Goal) -> Result<Option<R>, Error> {
        check_id(id)?;
        let (reply, answer) = oneshot::channel();
        let registration = Registration {
            id: id.to_owned(),
            goal,
            deadline: Instant::now() + self.shared.options.timeout,
            last_state: None,
            reply,
        };
        let start_poller = {
            let mut state = self.shared.lock();
            state.pending.push(registration);
            !std::mem::replace(&mut state.polling, true)
        };
        if start_poller {
            tokio::spawn(poll(Arc::clone(&self.shared)));
        }
        answer.await.unwrap_or_else(|_| {
            Err(Error::UnexpectedReply("the waiter's poller stopped unexpectedly".to_owned()))
        })
    }

    /// List passes made so far (each is ceil(n/200) list calls).
    pub fn polls(&self) -> u64 {
        self.shared.lock().polls
    }
}

impl<R: Waitable> Shared<R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, WaiterState<R>> {
        // The state is a list of registrations and counters; a panic elsewhere leaves it usable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The poller: list, settle, sleep, until nobody waits.
async fn poll<R: Waitable>(shared: Arc<Shared<R>>) {
    let client = &shared.client;
    let collection = R::COLLECTION.as_str();
    let options = ListOptions::default().with_show_deleted(true);
    let mut interval = shared.options.initial_interval;
    loop {
        let listed = client.list_all::<R>(&options).await;
        let registrations = {
            let mut state = shared.lock();
            state.polls += 1;
            std::mem::take(&mut state.pending)
        };
        let mut remaining = Vec::new();
        match listed {
            Ok(resources) => {
                let by_id: HashMap<&str, &R> = resources
                    .iter()
                    .filter_map(|resource| Some((id_of(resource.name()?), resource)))
                    .collect();
                for mut registration in registrations {
                    let settled = match by_id.get(registration.id.as_str()) {
                        Some(resource) => settle(client, collection, &mut registration, resource),
                        None => confirm_absent(client, collection, &mut registration).await,
                    };
                    match settled {
                        Some(result) => {
                            // The waiting task may have given up; nobody to tell then.
                            let _ = registration.reply.send(result);
                        }
                        None => remaining.push(registration),
                    }
                }
            }
            Err(error) if error.is_transient() => {
                tracing::warn!(collection, %error, "listing waited-for resources failed");
                remaining = registrations;
            }
            Err(error) => {
                for registration in registrations {
                    let reason =
                        WaitFailure::PollFailed { kind: error.kind(), message: error.to_string() };
                    let error =
                        wait_error(client, collection, &registration.id, registration.goal, reason);
                    let _ = registration.reply.send(Err(error));
                }
            }
        }
        let now = Instant::now();
        let (expired, mut remaining): (Vec<_>, Vec<_>) =
            remaining.into_iter().partition(|registration| now >= registration.deadline);
        for registration in expired {
            let reason = WaitFailure::DeadlineExceeded { last_state: registration.last_state };
            let error = wait_error(client, collection, &registration.id, registration.goal, reason);
            let _ = registration.reply.send(Err(error));
        }
        let next_deadline = remaining.iter().map(|registration| registration.deadline).min();
        {
            let mut state = shared.lock();
            state.pending.append(&mut remaining);
            if state.pending.is_empty() {
                state.polling = false;
                return;
            }
        }
        let sleep = next_deadline.map_or(interval, |deadline| interval.min(deadline - now));
        tokio::time::sleep(sleep).await;
        interval = shared.options.grow(interval);
    }
}

fn settle<R: Waitable>(
    client: &Client,
    collection: &str,
    registration: &mut Registration<R>,
    resource: &R,
) -> Option<Result<Option<R>, Error>> {
    match resource.progress(registration.goal) {
        Progress::Done => Some(Ok(Some(resource.clone()))),
        Progress::Failed { state, message } => {
            let reason = WaitFailure::BadState { state, message };
            Some(Err(wait_error(client, collection, &registration.id, registration.goal, reason)))
        }
        Progress::Pending => {
            registration.last_state = resource.state_name();
            None
        }
    }
}

/// A waited-for resource missing from the list: gone for [`Goal::Gone`]; for [`Goal::Ready`],
/// one GET decides (the list may lag behind a create).
async fn confirm_absent<R: Waitable>(
    client: &Client,
    collection: &str,
    registration: &mut Registration<R>,
) -> Option<Result<Option<R>, Error>> {
    if registration.goal == Goal::Gone {
        return Some(Ok(None));
    }
    match client.get::<R>(&registration.id).await {
        Ok(resource) => settle(client, collection, registration, &resource),
        Err(error) if error.is_not_found() => Some(Err(wait_error(
            client,
            collection,
            &registration.id,
            registration.goal,
            WaitFailure::Vanished,
        ))),
        Err(error) if error.is_transient() => None,
        Err(error) => Some(Err(error)),
    }
}

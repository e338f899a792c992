//! The Fireworks control-plane client: typed operations for every endpoint fireform uses,
//! patient with trouble and never creating twice.
//!
//! - [`ClientConfig`] reads `FIREWORKS_API_KEY`, `FIREWORKS_ACCOUNT_ID` and
//!   `FIREWORKS_BASE_URL` through a lookup function; [`Client::connect`] discovers the account
//!   when none is given. The [`ApiKey`] never reaches Display, Debug, errors, URLs or traces.
//! - One reqwest connection pool (rustls with the ring provider, HTTP/2 where offered), a
//!   client-side request-rate limit and concurrency limit, and retries with full-jitter
//!   exponential back-off that honour `Retry-After`, `retry-after-ms` and `x-should-retry`.
//! - Creates with client-chosen ids are retried after a lost reply and never create twice: a 409
//!   ALREADY_EXISTS met by a *retry* is resolved by reading the resource and adopting it when
//!   it matches the request (every field the request set that the server echoes is equal;
//!   `deploymentShape` is skipped because the server rewrites it, and a bare-id reference
//!   matches its full name). Loads (server-chosen ids) are looked up by model and deployment
//!   (`filter=model="…"`) before any retry that follows an ambiguous failure.
//! - Lists are [`Pages`] (200 per page) with [`Pages::into_stream`] and [`Client::list_all`];
//!   updates always send `updateMask` ([`update_mask`]).
//! - A success whose body cannot be the answer (empty, not JSON, not a JSON object, not a list
//!   page) is retried like a 5xx, then reported as [`Error::UnusableBody`]: it is never read as
//!   an empty list or a default object. `{}` is still an empty list (proto3 JSON omits it).
//! - [`Client::wait_until`] and the batched [`Waiter`] wait for states with a deadline.
//!
//! The client knows the API, not fireform's plans: it never decides what to change.

mod accounts;
mod adopt;
mod client;
mod config;
mod datasets;
mod deployed_models;
mod deployments;
mod error;
mod evaluators;
mod jobs;
mod limit;
mod mask;
mod models;
mod pagination;
mod retry;
mod transport;
mod wait;

pub use client::{Client, id_of};
pub use config::{
    ApiKey, ClientConfig, ConfigError, DEFAULT_BASE_URL, ENV_ACCOUNT_ID, ENV_API_KEY, ENV_BASE_URL,
    RateLimit,
};
pub use datasets::{MULTIPART_UPLOAD_LIMIT, MULTIPART_UPLOAD_MAX, UploadMethod};
pub use deployed_models::LoadOptions;
pub use deployments::{CreateDeploymentOptions, DeleteDeploymentOptions};
pub use error::{
    BodyProblem, Error, ErrorKind, RequestError, UnusableBody, WaitError, WaitFailure,
};
pub use jobs::ControllableJob;
pub use mask::update_mask;
pub use pagination::{ListOptions, Listable, Pages};
pub use retry::RetryPolicy;
pub use wait::{Goal, Progress, WaitOptions, Waitable, Waiter};

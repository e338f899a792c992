//! The reconciler engine: diff what the manifests want against what state recorded and the
//! account holds, produce a [`Plan`], and apply it.
//!
//! - [`refresh()`] reads the account through a [`Provider`] (one paginated list per kind).
//! - [`plan()`], [`plan_destroy`] and [`plan_refresh_only`] decide, per resource, what to do
//!   and why; they are pure.
//! - [`apply()`] carries a plan out with bounded parallelism, recording state in a
//!   [`fireform_state::StateStore`] after every step.
//! - [`render()`] turns a plan into text; [`Plan::to_json`] into the versioned JSON format.
//!
//! Fireworks semantics (deployment types, content-addressed datasets, job replacement rules)
//! live in the private `kinds` module. This crate performs no network I/O of its own: it only
//! sees [`Provider`], so its tests use an in-memory fake. It never prints.

mod apply;
pub mod dataset;
mod diff;
mod kinds;
mod plan;
mod planner;
mod provider;
mod refresh;
mod render;

pub use apply::{ApplyOptions, ApplyReport, Event, Interrupt, StepError, Verb, apply, check_fresh};
pub use kinds::{DesiredError, Ownership, PendingRef, Upload, UploadSource};
pub use plan::{
    Action, FieldChange, PLAN_FORMAT_VERSION, Plan, PlanFileError, PlanMode, Planned,
    PlannedTimeouts, Prior, ResourceChange, StateRef, Summary,
};
pub use planner::{PlanError, PlanInput, PlanOptions, plan, plan_destroy, plan_refresh_only};
pub use provider::{Object, Provider, ProviderError, ProviderErrorKind};
pub use refresh::{
    Observed, catalog_only, kinds_to_refresh, models_to_probe, needs_catalog, probe_models, refresh,
};
pub use render::render;

//! fireform's local control plane: an HTTP server that speaks the Fireworks control-plane REST
//! API (paths, JSON, errors, pagination, state machines) closely enough that fireform and the
//! official clients cannot tell the difference on the operations fireform uses.
//!
//! Entry points: [`start`] (in-process on `127.0.0.1:0`, returns an [`EmulatorHandle`]),
//! [`serve`] / [`serve_until`] (on a listener you bound), [`router`] (for socket-free tests) and
//! [`ServeOptions`] (what `fireform local serve` fills from its flags). With no settings it serves
//! account [`DEFAULT_ACCOUNT`] with API key [`DEFAULT_API_KEY`], in memory.
//!
//! It deliberately does not run models, bill, or emulate anything outside the resources fireform
//! manages (deployments, deployed models, models, datasets, SFT/RFT/batch jobs, evaluators,
//! accounts). States are derived from stored timestamps, never from background loops.

mod api;
mod catalog;
mod clock;
mod config;
mod error;
mod lifecycle;
mod mangle;
mod server;
mod state;
mod world;

pub use config::{
    AccountKey, ConfigParseError, DEFAULT_ACCOUNT, DEFAULT_API_KEY, DEFAULT_GPU_QUOTA,
    DEFAULT_LISTEN, EmulatorConfig, FailRule, Mangle, PatchMode, RateLimit, ServeOptions, Timings,
    Trouble,
};
pub use error::EmulatorError;
pub use server::{EmulatorHandle, router, serve, serve_until, start};
pub use state::EmulatorState;
pub use world::AuditEntry;

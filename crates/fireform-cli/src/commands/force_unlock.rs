//! `fireform force-unlock`: remove a state lock left by a run that died.

use crate::commands::engine::{EngineArgs, Project};
use crate::exit::ExitStatus;
use crate::output::Output;

/// Remove the state lock with LOCK_ID, left by a run that died.
///
/// The id is printed in the error of a command that found the state locked. Only use this when
/// the run holding the lock is gone: two runs changing the same account at once can create
/// duplicates or lose state.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The lock id.
    lock_id: String,

    /// The project directory (where `.fireform/` lives).
    #[arg(long, value_name = "DIR", default_value = ".")]
    project: std::path::PathBuf,

    #[command(flatten)]
    engine: EngineArgs,
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let project = Project::new(&args.project, &args.engine)?;
    project.backend()?.force_unlock(&args.lock_id)?;
    output.message(&format!("Removed the state lock `{}`.\n", args.lock_id));
    Ok(ExitStatus::Success)
}

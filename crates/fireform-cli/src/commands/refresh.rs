//! `fireform refresh`: record in state what changed in the account, changing nothing there.

use fireform_plan::{Provider as _, plan_refresh_only};

use crate::commands::apply::{Run, RunArgs, execute};
use crate::commands::engine::{EngineArgs, Project, runtime};
use crate::commands::plan::observe;
use crate::commands::{ManifestArgs, load};
use crate::exit::ExitStatus;
use crate::output::Output;

/// Update the state from the live account.
///
/// Objects deleted outside fireform are dropped from state and fields changed outside fireform
/// are recorded, so that the next plan starts from the account as it is. The account is never
/// changed. The same as `fireform apply --refresh-only --auto-approve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    manifests: ManifestArgs,
    #[command(flatten)]
    engine: EngineArgs,

    /// Record what the account reports even when it says most of the project is gone (by
    /// default that needs a typed "yes": it may be a misbehaving proxy or an outage).
    #[arg(long)]
    trust_refresh: bool,
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let (manifest, _graph) = load(&args.manifests, output)?;
    let project = Project::new(&manifest.project_dir, &args.engine)?;
    runtime()?.block_on(async {
        // Lock before connecting, as `apply` does (see there).
        let store = project.open_state("refresh")?;
        let connection = project.connect().await?;
        let state = store.snapshot();
        let observed = observe(&connection.provider, None, &state, true).await?;
        let plan = plan_refresh_only(connection.provider.account(), &state, &observed);
        let run =
            RunArgs { auto_approve: true, parallelism: 10, trust_refresh: args.trust_refresh };
        let provider = &connection.provider;
        execute(provider, &plan, &store, &run, Run::Refresh, &manifest.project_dir, output).await
    })
}

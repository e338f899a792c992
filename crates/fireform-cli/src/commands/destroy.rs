//! `fireform destroy`: delete everything fireform manages, in reverse dependency order.

use crate::commands::apply::{Run, RunArgs, execute};
use crate::commands::engine::{EngineArgs, Project, runtime};
use crate::commands::plan::{Goal, PlanFlags, SelectFlags, make_plan};
use crate::commands::{ManifestArgs, load};
use crate::exit::ExitStatus;
use crate::output::Output;

/// Delete everything fireform manages in this project.
///
/// Deletes in reverse dependency order: LoRA addons are unloaded before their deployment, jobs
/// go before their datasets, and the models jobs produced go with them. Deployments are deleted
/// hard. Objects fireform only reads (serverless models, existing datasets) are dropped from
/// state, never deleted. Refuses resources with `lifecycle.preventDestroy`. With `--target`,
/// destroys the target and whatever depends on it; with `--exclude`, keeps the excluded
/// resource, whatever depends on it and whatever it needs.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  fireform destroy\n  fireform destroy --target lora-addon/support-v1 --auto-approve"
)]
pub(crate) struct Args {
    #[command(flatten)]
    manifests: ManifestArgs,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    select: SelectFlags,
    #[command(flatten)]
    run: RunArgs,
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let (manifest, graph) = load(&args.manifests, output)?;
    let project = Project::new(&manifest.project_dir, &args.engine)?;
    runtime()?.block_on(async {
        // Lock first: with `endpoint: local`, the embedded control plane loads its world when
        // it starts, so it must not start until the run holding the lock has saved it.
        let store = project.open_state("destroy")?;
        let connection = project.connect().await?;
        output.message(&format!("Using {}.\n", connection.description));
        let state = store.snapshot();
        let flags = PlanFlags::destroying(&args.select);
        let plan =
            make_plan(&connection.provider, &manifest, &graph, &state, &flags, Goal::Destroy)
                .await?;
        let provider = &connection.provider;
        execute(provider, &plan, &store, &args.run, Run::Destroy, &manifest.project_dir, output)
            .await
    })
}

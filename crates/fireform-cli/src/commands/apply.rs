//! `fireform apply`: make the account match the manifests, in dependency order, waiting until
//! everything is ready; and the executor that `destroy` and `refresh` share.

use std::path::PathBuf;

use anyhow::Context as _;
use fireform_plan::{
    Action, ApplyOptions, Interrupt, Plan, Provider, StepError, apply, check_fresh, render,
};
use fireform_state::StateStore;

use crate::commands::engine::{EngineArgs, Progress, Project, confirm, runtime};
use crate::commands::plan::{Goal, PlanFlags, make_plan};
use crate::commands::{ManifestArgs, load};
use crate::exit::ExitStatus;
use crate::output::{Hinted, Output};

/// Make the account match the manifests.
///
/// Plans (as `fireform plan` does), shows the plan, asks for confirmation, then creates,
/// updates and deletes in dependency order with up to `--parallelism` operations at once. Each
/// resource starts as soon as what it depends on is ready (deployment READY, dataset READY, job
/// COMPLETED). State is saved after every operation. A failure stops only what depends on it;
/// rerunning continues from there. Ctrl-C stops starting new work and saves state (exit 130);
/// a second Ctrl-C stops waiting.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  fireform apply\n  fireform apply --auto-approve examples/quickstart\n  fireform apply --plan tonight.plan"
)]
pub(crate) struct Args {
    #[command(flatten)]
    manifests: ManifestArgs,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    flags: PlanFlags,
    #[command(flatten)]
    run: RunArgs,

    /// Carry out exactly this saved plan (from `fireform plan --out FILE`); refused when the
    /// state has changed since it was made.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["targets", "excludes", "replace", "refresh_only"])]
    plan: Option<PathBuf>,
}

/// How changes are carried out.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RunArgs {
    /// Do not ask for confirmation. Without a terminal, fireform refuses to change anything
    /// unless this is given.
    #[arg(long)]
    pub(crate) auto_approve: bool,

    /// How many operations may run at once.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) parallelism: u16,
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let (manifest, graph) = load(&args.manifests, output)?;
    let project = Project::new(&manifest.project_dir, &args.engine)?;
    runtime()?.block_on(async {
        // Lock first: with `endpoint: local`, the embedded control plane loads its world when
        // it starts, so it must not start until the run holding the lock has saved it.
        let store = project.open_state("apply")?;
        let connection = project.connect().await?;
        output.message(&format!("Using {}.\n", connection.description));
        let plan = match &args.plan {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("failed to read the plan `{}`", path.display()))?;
                let plan = Plan::from_json(&text)
                    .with_context(|| format!("failed to read the plan `{}`", path.display()))?;
                if plan.account != connection.provider.account() {
                    anyhow::bail!(
                        "the plan was made for account `{}`, not `{}`",
                        plan.account,
                        connection.provider.account()
                    );
                }
                check_fresh(&plan, &store.snapshot()).map_err(|message| Hinted {
                    message,
                    hints: vec!["make a new plan with `fireform plan --out FILE`".to_owned()],
                })?;
                plan
            }
            None => {
                let state = store.snapshot();
                make_plan(&connection.provider, &manifest, &graph, &state, &args.flags, Goal::Apply)
                    .await?
            }
        };
        let approved = args.run.auto_approve || args.plan.is_some();
        execute(&connection.provider, &plan, &store, &args.run, approved, output).await
    })
}

/// Shows `plan`, asks for confirmation unless `approved`, carries it out and reports.
pub(crate) async fn execute<P: Provider>(
    provider: &P,
    plan: &Plan,
    store: &StateStore,
    run: &RunArgs,
    approved: bool,
    output: &Output,
) -> anyhow::Result<ExitStatus> {
    output.result(&render(plan)).context("failed to write to stdout")?;
    let waits = plan.changes.iter().any(|change| {
        change.action == Action::NoOp && change.planned.as_ref().is_some_and(|p| p.wait)
    });
    if !plan.has_changes() && !waits {
        return Ok(ExitStatus::Success);
    }
    if plan.has_changes()
        && !approved
        && !confirm(output, "\nDo you want to perform these actions?")?
    {
        output.message("Apply cancelled.\n");
        return Ok(ExitStatus::Error);
    }
    output.message("\n");

    let interrupt = Interrupt::new();
    let progress = Progress::new(output);
    let options = ApplyOptions {
        parallelism: usize::from(run.parallelism),
        progress_every: progress.interval(),
        ..ApplyOptions::default()
    };
    let events = |event| progress.handle(event);
    let ctrl_c = async {
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            match interrupt.raise() {
                1 => output.message(
                    "\nInterrupt received: starting nothing new, waiting for running operations to return. Press Ctrl-C again to stop waiting.\n",
                ),
                _ => output.message("\nSecond interrupt: no longer waiting; saving state.\n"),
            }
        }
    };
    let report = {
        let work = std::pin::pin!(apply(provider, plan, store, &options, &interrupt, &events));
        let ctrl_c = std::pin::pin!(ctrl_c);
        // The Ctrl-C listener is polled first so that its handler is installed before the first
        // request leaves; otherwise an early Ctrl-C would kill the process outright.
        match futures_util::future::select(ctrl_c, work).await {
            futures_util::future::Either::Right((report, _)) => report,
            futures_util::future::Either::Left(((), _)) => {
                unreachable!("the Ctrl-C loop never ends")
            }
        }
    };
    progress.finish();

    for (addr, error) in &report.errors {
        output.error(&step_error(addr, error));
    }
    if !report.skipped.is_empty() {
        let skipped: Vec<String> = report.skipped.iter().map(ToString::to_string).collect();
        output.message(&format!(
            "\nNot started because something they depend on failed: {}\n",
            skipped.join(", ")
        ));
    }
    if !report.not_started.is_empty() {
        let waiting: Vec<String> = report.not_started.iter().map(ToString::to_string).collect();
        output
            .message(&format!("\nNot started because of the interrupt: {}\n", waiting.join(", ")));
    }
    let summary = plan.summary();
    if report.interrupted {
        output.message(
            "\nApply interrupted; state is saved. Run the same command again to continue.\n",
        );
        return Ok(ExitStatus::Interrupted);
    }
    if !report.is_success() {
        output.message(&format!(
            "\nApply failed: {} error{}. State is saved; fix the cause and run the same command again to continue.\n",
            report.errors.len(),
            if report.errors.len() == 1 { "" } else { "s" }
        ));
        return Ok(ExitStatus::Error);
    }
    output.message(&format!(
        "\nApply complete! Resources: {} added, {} changed, {} destroyed.\n",
        summary.add + summary.import,
        summary.change,
        summary.destroy
    ));
    Ok(ExitStatus::Success)
}

fn step_error(addr: &fireform_core::ResourceAddr, error: &StepError) -> anyhow::Error {
    // Keep the whole chain: the client's error says method, URL, status and the API's message.
    let mut chain = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        chain.push(current.to_string());
        source = current.source();
    }
    chain.dedup();
    anyhow::anyhow!("{addr}: {}", chain.join(": "))
}

//! `fireform apply`: make the account match the manifests, in dependency order, waiting until
//! everything is ready; and the executor that `destroy` and `refresh` share.

use std::path::PathBuf;

use anyhow::Context as _;
use fireform_plan::{
    Action, ApplyOptions, Interrupt, Plan, PlanMode, Provider, StepError, apply, check_fresh,
    render,
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
    #[arg(long, value_name = "FILE", conflicts_with_all = ["targets", "excludes", "replace", "refresh_only", "refresh"])]
    plan: Option<PathBuf>,

    /// Carry out a plan that replaces, recreates or forgets most of the project only because
    /// of what the account reported. Without it such a plan needs a typed "yes", even with
    /// `--auto-approve`: one odd reply must not tear a project down.
    #[arg(long)]
    trust_refresh: bool,
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

    /// Set by the commands that take `--trust-refresh` (apply, refresh).
    #[arg(skip)]
    pub(crate) trust_refresh: bool,
}

/// The command a plan is carried out for, which decides its closing words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    Apply,
    Destroy,
    Refresh,
    Import,
}

impl Run {
    /// The plan's own command: its mode, for apply and destroy.
    pub(crate) fn of(plan: &Plan) -> Run {
        match plan.mode {
            PlanMode::Apply => Run::Apply,
            PlanMode::Destroy => Run::Destroy,
            PlanMode::RefreshOnly => Run::Refresh,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Run::Apply => "Apply",
            Run::Destroy => "Destroy",
            Run::Refresh => "Refresh",
            Run::Import => "Import",
        }
    }
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
        // A saved plan was reviewed when it was saved.
        let run = RunArgs {
            auto_approve: args.run.auto_approve || args.plan.is_some(),
            trust_refresh: args.trust_refresh,
            ..args.run.clone()
        };
        let provider = &connection.provider;
        execute(provider, &plan, &store, &run, Run::of(&plan), &manifest.project_dir, output).await
    })
}

/// Shows `plan`, asks for confirmation unless `run.auto_approve`, carries it out and reports
/// in `command`'s words.
pub(crate) async fn execute<P: Provider>(
    provider: &P,
    plan: &Plan,
    store: &StateStore,
    run: &RunArgs,
    command: Run,
    project_dir: &std::path::Path,
    output: &Output,
) -> anyhow::Result<ExitStatus> {
    let approved = run.auto_approve;
    output.result(&render(plan)).context("failed to write to stdout")?;
    check_drift_losses(plan, &store.snapshot(), run, output)?;
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
        output.message(&format!("{} cancelled.\n", command.name()));
        return Ok(ExitStatus::Error);
    }
    output.message("\n");

    let interrupt = Interrupt::new();
    let progress = Progress::new(output);
    let options = ApplyOptions {
        parallelism: usize::from(run.parallelism),
        progress_every: progress.interval(),
        project_dir: project_dir.to_path_buf(),
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
        output.message(&format!(
            "\n{} interrupted; state is saved. Run the same command again to continue.\n",
            command.name()
        ));
        return Ok(ExitStatus::Interrupted);
    }
    if !report.is_success() {
        output.message(&format!(
            "\n{} failed: {} error{}. State is saved; fix the cause and run the same command again to continue.\n",
            command.name(),
            report.errors.len(),
            if report.errors.len() == 1 { "" } else { "s" }
        ));
        return Ok(ExitStatus::Error);
    }
    output.message(&match command {
        Run::Apply => format!(
            "\nApply complete! Resources: {} added, {} changed, {} destroyed.\n",
            summary.add + summary.import,
            summary.change,
            summary.destroy
        ),
        Run::Destroy => format!("\nDestroy complete! Resources: {} destroyed.\n", summary.destroy),
        Run::Refresh => format!(
            "\nRefresh complete: {} changed in state.\n",
            plan.changes.iter().filter(|change| change.is_change()).count()
        ),
        Run::Import => {
            let addrs: Vec<String> = plan.changes.iter().map(|c| c.addr.to_string()).collect();
            format!("\nImport complete! Imported {}; the account is unchanged.\n", addrs.join(", "))
        }
    });
    Ok(ExitStatus::Success)
}

/// Refuses, without a typed "yes" or `--trust-refresh`, a plan that would replace, create again
/// or forget most of the project only because of what one refresh of the account returned: a
/// misbehaving proxy or a partial outage must not tear a project down.
fn check_drift_losses(
    plan: &Plan,
    state: &fireform_state::StateDocument,
    run: &RunArgs,
    output: &Output,
) -> anyhow::Result<()> {
    let losses = plan.drift_losses();
    let recorded = state.len();
    if run.trust_refresh || plan.mode == PlanMode::Destroy || losses.len() < 2 {
        return Ok(());
    }
    if losses.len() * 2 <= recorded {
        return Ok(());
    }
    let named: Vec<String> = losses.iter().map(ToString::to_string).collect();
    let message = format!(
        "the account reported {} of the {recorded} recorded resources gone, failed or changed so that they must be replaced, created again or forgotten ({}); that is most of the project, and may be a misbehaving proxy or an outage rather than the truth",
        losses.len(),
        named.join(", ")
    );
    let hints = vec![
        "check the account (e.g. the Fireworks console) and run the plan again".to_owned(),
        "if the account really is like that, pass `--trust-refresh`".to_owned(),
    ];
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Hinted { message: format!("refusing to continue: {message}"), hints }.into());
    }
    output.message(&format!("\nwarning: {message}\n"));
    if !confirm(output, "Do you really want to perform these actions?")? {
        anyhow::bail!(Hinted { message: "cancelled".to_owned(), hints });
    }
    Ok(())
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

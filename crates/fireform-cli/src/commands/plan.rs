//! `fireform plan`: show what apply would change, without changing anything.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::ArgAction;
use fireform_core::ResourceAddr;
use fireform_graph::Graph;
use fireform_manifest::Manifest;
use fireform_plan::{
    Observed, Plan, PlanInput, PlanOptions, Provider, catalog_only, kinds_to_refresh,
    models_to_probe, needs_catalog, plan_destroy, plan_refresh_only, probe_models, refresh, render,
};
use fireform_state::StateDocument;

use crate::commands::engine::{EngineArgs, Project, parse_addr, runtime};
use crate::commands::{ManifestArgs, load};
use crate::exit::ExitStatus;
use crate::output::{Hinted, Output};

/// Which part of the project a command acts on, and whether it reads the account first: the
/// flags `plan`, `apply` and `destroy` share.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct SelectFlags {
    /// Read the live account before planning (`--refresh=false` trusts the state instead).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set, require_equals = true, num_args = 0..=1, default_missing_value = "true")]
    pub(crate) refresh: bool,

    /// Act only on this resource and what it needs (repeatable), e.g.
    /// `--target deployment/shared-base`. With `destroy`: this resource and what depends on it.
    #[arg(long = "target", value_name = "ADDR", value_parser = parse_addr)]
    pub(crate) targets: Vec<ResourceAddr>,

    /// Leave this resource and what depends on it alone (repeatable). With `destroy`, what it
    /// needs is kept too.
    #[arg(long = "exclude", value_name = "ADDR", value_parser = parse_addr)]
    pub(crate) excludes: Vec<ResourceAddr>,
}

/// How a plan is made: the flags `plan` and `apply` share.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PlanFlags {
    #[command(flatten)]
    pub(crate) select: SelectFlags,

    /// Replace this resource even if nothing changed (repeatable).
    #[arg(long = "replace", value_name = "ADDR", value_parser = parse_addr)]
    pub(crate) replace: Vec<ResourceAddr>,

    /// Only record in state what changed in the account; change nothing there.
    #[arg(long, conflicts_with_all = ["targets", "excludes", "replace"])]
    pub(crate) refresh_only: bool,
}

impl PlanFlags {
    /// The flags of `destroy`, which takes no `--replace` or `--refresh-only`.
    pub(crate) fn destroying(select: &SelectFlags) -> PlanFlags {
        PlanFlags { select: select.clone(), replace: Vec::new(), refresh_only: false }
    }
}

/// Show what `apply` would change, and why.
///
/// Reads the manifests, the state and the live account (one paginated list per kind), then
/// prints one block per resource that would change: `+` create, `~` update in place, `-/+`
/// replace (with the field that forces it), `-` destroy, `<=` read, `=>` adopt an object that
/// already exists. Nothing is changed. With `--detailed-exitcode`, exits 2 when there are
/// changes (for CI drift checks).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  fireform plan\n  fireform plan --detailed-exitcode\n  fireform plan --out tonight.plan && fireform apply --plan tonight.plan\n  fireform plan --json | jq .changes"
)]
pub(crate) struct Args {
    #[command(flatten)]
    manifests: ManifestArgs,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    flags: PlanFlags,

    /// Plan destroying everything fireform manages (or the targets and their dependents).
    #[arg(long, conflicts_with_all = ["refresh_only", "replace"])]
    destroy: bool,

    /// Save the plan to FILE; `fireform apply --plan FILE` then carries out exactly it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Print the plan as JSON (the versioned format of `--out` files) instead of text.
    #[arg(long)]
    json: bool,

    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    detailed_exitcode: bool,

    /// Take the state lock while planning (`--lock=false` plans from the state as it is,
    /// e.g. in a pull request while an apply holds the lock; the plan can then be stale).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set, require_equals = true, num_args = 0..=1, default_missing_value = "true")]
    lock: bool,
}

/// What a plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Goal {
    Apply,
    Destroy,
}

/// Makes a plan for `goal` against the state in `state`.
pub(crate) async fn make_plan<P: Provider>(
    provider: &P,
    manifest: &Manifest,
    graph: &Graph,
    state: &StateDocument,
    flags: &PlanFlags,
    goal: Goal,
) -> anyhow::Result<Plan> {
    check_addresses(manifest, state, flags)?;
    let select = &flags.select;
    let mut observed = observe(provider, Some(manifest), state, select.refresh).await?;
    let account = provider.account();
    let plan = match (goal, flags.refresh_only) {
        (Goal::Destroy, _) => plan_destroy(
            account,
            Some(manifest),
            state,
            &observed,
            &select.targets,
            &select.excludes,
        ),
        (Goal::Apply, true) => Ok(plan_refresh_only(account, state, &observed)),
        (Goal::Apply, false) => {
            let options = PlanOptions {
                targets: select.targets.clone(),
                excludes: select.excludes.clone(),
                replace: flags.replace.clone(),
                adopt: Vec::new(),
            };
            let input = PlanInput { account, manifest, graph, state, observed: &observed };
            let mut plan = fireform_plan::plan(input, &options);
            // Jobs about to train must not write over a model that is there already: look up
            // their output models and plan again knowing which exist, until a plan trains
            // nothing that was not looked up (each round only adds names, so this ends).
            loop {
                let probe = match &plan {
                    Ok(plan) if select.refresh => models_to_probe(plan, &observed),
                    _ => BTreeSet::new(),
                };
                if probe.is_empty() {
                    break plan;
                }
                probe_models(provider, &probe, &mut observed)
                    .await
                    .context("failed to read the account")?;
                let input = PlanInput { account, manifest, graph, state, observed: &observed };
                plan = fireform_plan::plan(input, &options);
            }
        }
    };
    plan.map_err(|error| {
        Hinted {
            message: format!("cannot plan:\n  {}", error.to_string().replace('\n', "\n  ")),
            hints: vec!["fix the manifests (or the account) and plan again".to_owned()],
        }
        .into()
    })
}

/// Refuses an address given to `--target`, `--exclude` or `--replace` that is neither declared
/// nor recorded: a typo must not plan "no changes" (or everything).
fn check_addresses(
    manifest: &Manifest,
    state: &StateDocument,
    flags: &PlanFlags,
) -> anyhow::Result<()> {
    let given = [
        ("--target", &flags.select.targets),
        ("--exclude", &flags.select.excludes),
        ("--replace", &flags.replace),
    ];
    let known: BTreeSet<&ResourceAddr> = manifest
        .resources
        .keys()
        .chain(state.resources().map(fireform_state::ResourceState::addr))
        .collect();
    let mut problems = Vec::new();
    let mut hints = Vec::new();
    for (flag, addrs) in given {
        for addr in addrs.iter().filter(|addr| !known.contains(addr)) {
            problems.push(format!("{flag} `{addr}` is not in the manifests or the state"));
            let candidates: Vec<String> = known.iter().map(ToString::to_string).collect();
            match fireform_manifest::did_you_mean(
                &addr.to_string(),
                candidates.iter().map(String::as_str),
            ) {
                Some(suggestion) => hints.push(suggestion),
                None => hints.push(format!(
                    "`fireform state list` shows the recorded addresses; `{flag}` takes `kind/name`"
                )),
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Hinted { message: problems.join("\n"), hints }.into())
}

/// Reads what planning needs from the account.
pub(crate) async fn observe<P: Provider>(
    provider: &P,
    manifest: Option<&Manifest>,
    state: &StateDocument,
    refresh_account: bool,
) -> anyhow::Result<Observed> {
    let with_catalog = manifest.is_some_and(needs_catalog);
    let observed = if refresh_account {
        refresh(provider, &kinds_to_refresh(manifest, state), with_catalog).await
    } else if with_catalog {
        catalog_only(provider, state).await
    } else {
        Ok(Observed::from_state(state))
    };
    observed.context("failed to read the account")
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let (manifest, graph) = load(&args.manifests, output)?;
    let project = Project::new(&manifest.project_dir, &args.engine)?;
    let plan = runtime()?.block_on(async {
        // Lock first: with `endpoint: local`, the embedded control plane loads its world when
        // it starts, so it must not start until the run holding the lock has saved it.
        // Without the lock (`--lock=false`, a pull request's plan while an apply runs) the
        // state is read as it is; nothing is written either way.
        let (store, state) = if args.lock {
            let store = project.open_state("plan")?;
            let state = store.snapshot();
            (Some(store), state)
        } else {
            (None, std::sync::Arc::new(project.read_state()?))
        };
        let connection = project.connect().await?;
        output.message(&format!("Using {}.\n", connection.description));
        let _store = store;
        let goal = if args.destroy { Goal::Destroy } else { Goal::Apply };
        make_plan(&connection.provider, &manifest, &graph, &state, &args.flags, goal).await
    })?;
    if let Some(path) = &args.out {
        write_private(path, plan.to_json().as_bytes())
            .with_context(|| format!("failed to write the plan to `{}`", path.display()))?;
    }
    if args.json {
        output.result(&format!("{}\n", plan.to_json())).context("failed to write to stdout")?;
    } else {
        output.result(&render(&plan)).context("failed to write to stdout")?;
        if let Some(path) = &args.out {
            output.message(&format!(
                "\nSaved the plan to `{}`. Apply exactly it with:\n  fireform apply --plan {}\n",
                path.display(),
                path.display()
            ));
        }
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// Writes a saved plan readable only by the user, as the state is: it holds dataset rows and
/// everything the manifests say.
fn write_private(path: &std::path::Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // `mode` applies only to a new file; an existing one is made private too.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(content)?;
    file.sync_all()
}

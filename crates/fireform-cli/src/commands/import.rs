//! `fireform import`: take an object that already exists in the account into state.

use anyhow::bail;
use fireform_core::ResourceAddr;
use fireform_plan::{Action, Plan, PlanInput, PlanOptions, Provider};

use crate::commands::apply::{Run, RunArgs, execute};
use crate::commands::engine::{EngineArgs, Project, parse_addr, runtime};
use crate::commands::plan::observe;
use crate::commands::{ManifestArgs, load};
use crate::exit::ExitStatus;
use crate::output::{Hinted, Output};

/// Record an existing object as the resource ADDR of the manifests.
///
/// The resource must be declared in the manifests and the object must be the one it
/// describes: for most kinds the id is the manifest name (or, for datasets, the content id);
/// for a LoRA addon, ID is the deployed-model id the server chose. Nothing in the account
/// changes; the next plan shows any fields that differ. fireform never takes an object it did
/// not create on its own: import is how to manage one made by hand, one whose state was lost,
/// or (explicitly) a deployment marked as another fireform project's.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  fireform import deployment/shared-base shared-base\n  fireform import lora-addon/support-v1 support-v1-3fa2b9c1"
)]
pub(crate) struct Args {
    /// The manifest resource, e.g. `lora-addon/support-v1`.
    #[arg(value_parser = parse_addr)]
    addr: ResourceAddr,
    /// The Fireworks id of the existing object.
    id: String,
    #[command(flatten)]
    manifests: ManifestArgs,
    #[command(flatten)]
    engine: EngineArgs,
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let (manifest, graph) = load(&args.manifests, output)?;
    if manifest.get(&args.addr).is_none() {
        bail!(Hinted {
            message: format!("`{}` is not declared in the manifests", args.addr),
            hints: vec!["declare the resource first, then import the object into it".to_owned()],
        });
    }
    let project = Project::new(&manifest.project_dir, &args.engine)?;
    runtime()?.block_on(async {
        // Lock before connecting, as `apply` does (see there).
        let store = project.open_state("import")?;
        let connection = project.connect().await?;
        let provider = &connection.provider;
        let state = store.snapshot();
        if state.resource(&args.addr).is_some() {
            bail!(
                "`{}` is already in state; use `fireform state rm` first to import another object",
                args.addr
            );
        }
        let name =
            format!("accounts/{}/{}/{}", provider.account(), args.addr.kind.collection(), args.id);
        if provider.get(args.addr.kind, &name).await?.is_none() {
            bail!("there is no `{name}` in the account");
        }
        let observed = observe(provider, Some(&manifest), &state, true).await?;
        let options = PlanOptions {
            targets: vec![args.addr.clone()],
            adopt: vec![args.addr.clone()],
            ..PlanOptions::default()
        };
        let input = PlanInput {
            account: provider.account(),
            manifest: &manifest,
            graph: &graph,
            state: &state,
            observed: &observed,
        };
        let plan = fireform_plan::plan(input, &options)
            .map_err(|error| anyhow::anyhow!("cannot plan: {error}"))?;
        let Some(mut change) = plan.change(&args.addr).cloned() else {
            bail!("`{}` was not planned", args.addr);
        };
        let matches = change.prior.as_ref().is_some_and(|prior| prior.remote_name == name);
        if change.action != Action::Adopt || !matches {
            bail!(Hinted {
                message: format!("`{name}` is not the object `{}` describes", args.addr),
                hints: vec![match change
                    .planned
                    .as_ref()
                    .and_then(|planned| planned.remote_name.clone())
                {
                    Some(expected) => format!("the manifests describe `{expected}`"),
                    None => "check its model and deployment against the manifest".to_owned(),
                }],
            });
        }
        // Import records; it never changes the account.
        change.fields.clear();
        if let Some(planned) = change.planned.as_mut() {
            planned.mask.clear();
            planned.wait = false;
        }
        let plan = Plan { changes: vec![change], ..plan };
        let run = RunArgs { auto_approve: true, parallelism: 1, trust_refresh: false };
        execute(provider, &plan, &store, &run, Run::Import, &manifest.project_dir, output).await
    })
}

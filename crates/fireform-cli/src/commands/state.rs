//! `fireform state`: look at and edit the recorded state.

use anyhow::{Context as _, bail};
use fireform_core::ResourceAddr;

use crate::commands::engine::{EngineArgs, Project, parse_addr};
use crate::exit::ExitStatus;
use crate::output::{Hinted, Output};

/// Look at or edit what fireform has recorded about the resources it manages.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: StateCommand,

    /// The project directory (where `.fireform/` lives).
    #[arg(long, value_name = "DIR", default_value = ".", global = true)]
    project: std::path::PathBuf,

    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Debug, clap::Subcommand)]
enum StateCommand {
    /// List the addresses in state, one per line.
    List,
    /// Print what state records about one resource, as JSON.
    Show {
        /// The resource, e.g. `deployment/shared-base`.
        #[arg(value_parser = parse_addr)]
        addr: ResourceAddr,
    },
    /// Forget resources without touching the account (fireform no longer manages them).
    Rm {
        /// The resources to forget.
        #[arg(value_parser = parse_addr, required = true)]
        addrs: Vec<ResourceAddr>,
    },
    /// Move a resource to another address (after renaming it in the manifests). Only for kinds
    /// whose id is not their name (datasets, LoRA addons); a `moved` document does the same
    /// reviewably.
    Mv {
        /// The current address.
        #[arg(value_parser = parse_addr)]
        from: ResourceAddr,
        /// The new address, of the same kind.
        #[arg(value_parser = parse_addr)]
        to: ResourceAddr,
    },
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let project_dir =
        std::path::absolute(&args.project).context("failed to resolve the project directory")?;
    let project = Project::new(&project_dir, &args.engine)?;
    match &args.command {
        StateCommand::List => {
            let store = project.open_state("state list")?;
            let state = store.snapshot();
            let mut text = String::new();
            for resource in state.resources() {
                text.push_str(&format!("{}\n", resource.addr()));
            }
            output.result(&text).context("failed to write to stdout")?;
        }
        StateCommand::Show { addr } => {
            let store = project.open_state("state show")?;
            let state = store.snapshot();
            if state.resource(addr).is_none() {
                bail!("`{addr}` is not in state");
            }
            let document: serde_json::Value =
                serde_json::from_str(&state.to_json()).context("state is JSON")?;
            let record =
                document.get("resources").and_then(|resources| resources.get(addr.to_string()));
            let text = serde_json::to_string_pretty(record.unwrap_or(&serde_json::Value::Null))
                .context("state is JSON")?;
            output.result(&format!("{text}\n")).context("failed to write to stdout")?;
        }
        StateCommand::Rm { addrs } => {
            let store = project.open_state("state rm")?;
            let state = store.snapshot();
            for addr in addrs {
                if state.resource(addr).is_none() {
                    bail!("`{addr}` is not in state; nothing was removed");
                }
            }
            store.update(|state| {
                for addr in addrs {
                    state.remove(addr);
                }
            })?;
            for addr in addrs {
                output.message(&format!("Removed {addr} from state; the account is unchanged.\n"));
            }
        }
        StateCommand::Mv { from, to } => {
            if from.kind != to.kind {
                bail!("cannot move `{from}` to `{to}`: the kinds differ");
            }
            let store = project.open_state("state mv")?;
            let state = store.snapshot();
            if state.resource(from).is_none() {
                bail!("`{from}` is not in state");
            }
            if state.resource(to).is_some() {
                bail!("`{to}` is already in state");
            }
            if let Some(recorded) = state.resource(from)
                && to.kind.id_is_name()
                && recorded.id != to.name
            {
                let kind = to.kind.manifest_name();
                bail!(Hinted {
                    message: format!(
                        "cannot move `{from}` to `{to}`: a {kind}'s Fireworks id is its name, so `{to}` would be another object than `{}`, which cannot be renamed",
                        recorded.remote_name
                    ),
                    hints: vec![
                        format!(
                            "to keep managing `{}`, keep the name `{}` in the manifests",
                            recorded.remote_name, recorded.id
                        ),
                        format!(
                            "to have a new {kind} instead, rename it in the manifests: the plan then creates `{to}` and destroys `{from}`, visibly"
                        ),
                    ],
                });
            }
            store.update(|state| {
                if let Some(resource) = state.remove(from) {
                    state.upsert(resource.readdressed(to.clone()));
                }
            })?;
            output.message(&format!("Moved {from} to {to}.\n"));
        }
    }
    Ok(ExitStatus::Success)
}

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
    /// Print the current state document (JSON) without locking it.
    Pull,
    /// Replace the state with the document in FILE (`-` for standard input), under the lock.
    ///
    /// Refused when FILE has another lineage than a state that exists, or a serial lower than
    /// the stored one (it would undo newer changes) unless `--force`.
    Push {
        /// The state document to push.
        file: std::path::PathBuf,
        /// Push a document with a lower serial over the stored one (never another lineage).
        #[arg(long)]
        force: bool,
    },
    /// Copy the state to another location (a file, `s3://…`, `postgres://…`), under both locks.
    ///
    /// Refused when the target already holds a state of another lineage. The source is left as
    /// it was; point `--state`, `FIREFORM_STATE` or the project file's `state` at the target
    /// afterwards.
    Migrate {
        /// The target location.
        #[arg(long = "to", value_name = "LOCATION")]
        to: String,
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
        StateCommand::Pull => {
            let document = project.read_state()?;
            output.result(&document.to_json()).context("failed to write to stdout")?;
        }
        StateCommand::Push { file, force } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .context("failed to read standard input")?
            } else {
                std::fs::read_to_string(file)
                    .with_context(|| format!("failed to read `{}`", file.display()))?
            };
            let pushed = fireform_state::StateDocument::from_json(&text)
                .with_context(|| format!("`{}` is not a state document", file.display()))?;
            let store = project.open_state("state push")?;
            let current = store.snapshot();
            check_replaceable(&current, &pushed, *force, "push")?;
            let (lineage, count) = (pushed.lineage().to_owned(), pushed.len());
            store.update(|state| state.replace_with(pushed))?;
            output.message(&format!("Pushed state of lineage `{lineage}` ({count} resources).\n"));
        }
        StateCommand::Migrate { to } => {
            let source = project.open_state("state migrate")?;
            let document = source.snapshot();
            let target_location = fireform_backends::Location::parse(to, std::path::Path::new(""))
                .map_err(|error| anyhow::anyhow!("{error} (from --to)"))?;
            if target_location == project.state_location()? {
                bail!("`{to}` is where the state is already");
            }
            let backend = target_location
                .open(&|name| std::env::var(name).ok())
                .map_err(|error| anyhow::anyhow!("cannot use `{to}`: {error}"))?;
            let described = backend.describe();
            let target = fireform_state::StateStore::open(
                backend,
                fireform_state::LockInfo::new("fireform state migrate"),
                args.engine.lock_timeout,
            )
            .with_context(|| format!("failed to open the target state ({described})"))?;
            check_replaceable(&target.snapshot(), &document, false, "migrate")?;
            let copy = (*document).clone();
            target.update(|state| state.replace_with(copy))?;
            target
                .close()
                .with_context(|| format!("failed to close the target state ({described})"))?;
            output.message(&format!(
                "Copied the state ({} resources, lineage `{}`) to {described}.\nPoint `--state`, \
                 `FIREFORM_STATE` or the project file's `state` at `{to}` to use it; the old \
                 state is left as it was.\n",
                document.len(),
                document.lineage()
            ));
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

/// Whether `incoming` may replace `current`: a state that exists (serial above 0) is replaced
/// only by its own lineage, and, unless `force`, not by an older serial.
fn check_replaceable(
    current: &fireform_state::StateDocument,
    incoming: &fireform_state::StateDocument,
    force: bool,
    verb: &str,
) -> anyhow::Result<()> {
    if current.serial() == 0 {
        return Ok(());
    }
    if current.lineage() != incoming.lineage() {
        bail!(Hinted {
            message: format!(
                "cannot {verb}: the target holds a state of lineage `{}` (serial {}), not `{}`; \
                 they are different states",
                current.lineage(),
                current.serial(),
                incoming.lineage()
            ),
            hints: vec!["choose an empty location, or the state this one came from".to_owned()],
        });
    }
    if incoming.serial() < current.serial() && !force {
        bail!(Hinted {
            message: format!(
                "cannot {verb}: the stored state is at serial {}, newer than {}; it would undo \
                 changes",
                current.serial(),
                incoming.serial()
            ),
            hints: vec![
                "pull the current state first, or pass `--force` if you mean it".to_owned()
            ],
        });
    }
    Ok(())
}

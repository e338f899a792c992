//! `fireform graph`: print the dependency graph of the manifests in Graphviz DOT.

use anyhow::Context as _;

use crate::commands::{ManifestArgs, load};
use crate::exit::ExitStatus;
use crate::output::Output;

/// Print the dependency graph of the manifests in Graphviz DOT.
///
/// One node per resource (its address), one edge from each resource to each resource it
/// depends on, labelled with the fields that make the dependency (`spec.dataset`,
/// `dependsOn`, …). The output is deterministic: nodes and edges in address order. The
/// manifests are validated first; invalid manifests print diagnostics and exit 1.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  fireform graph examples/quickstart\n  fireform graph manifests | dot -Tsvg > graph.svg"
)]
pub(crate) struct Args {
    #[command(flatten)]
    manifests: ManifestArgs,
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let (_manifest, graph) = load(&args.manifests, output)?;
    output.result(&graph.to_dot()).context("failed to write the graph to stdout")?;
    Ok(ExitStatus::Success)
}

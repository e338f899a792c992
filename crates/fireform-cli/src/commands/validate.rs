//! `fireform validate`: check manifests and their dependency graph without contacting
//! Fireworks. It never writes anything.

use anyhow::Context as _;

use crate::commands::{ManifestArgs, load};
use crate::exit::ExitStatus;
use crate::output::Output;

/// Check manifests without contacting Fireworks.
///
/// Reports every problem at once, each with its file, line and column: YAML syntax, duplicate
/// keys, unknown kinds and fields, wrong types, missing required fields, invalid enum values,
/// durations and ids, addresses defined twice, references to undefined resources, dependency
/// cycles, and rules between resources (a LoRA addon needs a deployment with
/// `enableAddons: true`). Exits 0 when the manifests are valid, 1 otherwise.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  fireform validate\n  fireform validate examples/quickstart\n  fireform validate manifests/base.yaml manifests/jobs.yaml"
)]
pub(crate) struct Args {
    #[command(flatten)]
    manifests: ManifestArgs,
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let (manifest, graph) = load(&args.manifests, output)?;
    let resources = graph.len();
    let files = manifest.files.len();
    let plural = |count: usize| if count == 1 { "" } else { "s" };
    output
        .result(&format!(
            "The manifests are valid: {resources} resource{} in {files} file{}.\n",
            plural(resources),
            plural(files)
        ))
        .context("failed to write to stdout")?;
    Ok(ExitStatus::Success)
}

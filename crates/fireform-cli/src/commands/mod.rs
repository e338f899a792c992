//! One module per subcommand. Each has an `Args` (clap derive) and a `run` returning the
//! [`crate::exit::ExitStatus`]. Commands that read manifests share [`ManifestArgs`] and
//! [`load`], so they all take manifests the same way.

pub(crate) mod apply;
pub(crate) mod destroy;
pub(crate) mod engine;
pub(crate) mod force_unlock;
pub(crate) mod graph;
pub(crate) mod import;
pub(crate) mod local;
pub(crate) mod plan;
pub(crate) mod refresh;
pub(crate) mod state;
pub(crate) mod validate;

use std::path::PathBuf;

use fireform_graph::Graph;
use fireform_manifest::Manifest;

use crate::output::{Hinted, Output};

/// Where the manifests are: how every manifest-reading command takes them.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ManifestArgs {
    /// Manifest files or directories. Directories are searched recursively for `*.yaml` and
    /// `*.yml` files (hidden directories such as `.fireform/` are skipped); a file may hold
    /// several documents separated by `---`. The first directory given (or the current
    /// directory) is the project directory.
    #[arg(value_name = "PATH", default_value = ".")]
    pub(crate) paths: Vec<PathBuf>,
}

/// Loads, validates and links the manifests; prints warnings, or every diagnostic and a
/// summary error when they are invalid.
pub(crate) fn load(args: &ManifestArgs, output: &Output) -> anyhow::Result<(Manifest, Graph)> {
    let manifest = match fireform_manifest::load(&args.paths) {
        Ok(manifest) => manifest,
        Err(diagnostics) => {
            output.diagnostics(&diagnostics);
            return Err(invalid(diagnostics.error_count(), diagnostics.warning_count()));
        }
    };
    let warnings = manifest.warning_diagnostics();
    let graph = match fireform_graph::build(&manifest) {
        Ok(graph) => graph,
        Err(diagnostics) => {
            let mut all: Vec<_> = warnings.iter().cloned().collect();
            all.extend(diagnostics.iter().cloned());
            let all = fireform_manifest::Diagnostics::new(all, manifest.sources.clone());
            output.diagnostics(&all);
            return Err(invalid(all.error_count(), all.warning_count()));
        }
    };
    if !warnings.is_empty() {
        output.diagnostics(&warnings);
    }
    Ok((manifest, graph))
}

fn invalid(errors: usize, warnings: usize) -> anyhow::Error {
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    let mut message = format!("the manifests are invalid: {}", plural(errors, "error"));
    if warnings > 0 {
        message.push_str(&format!(", {}", plural(warnings, "warning")));
    }
    Hinted {
        message,
        hints: vec!["fix the problems above and run `fireform validate` again".to_owned()],
    }
    .into()
}

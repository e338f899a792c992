//! Manifests in, validated resources out: reads YAML manifest files, checks every document
//! against the declarative [`schema`], and returns a [`Manifest`] of resources keyed by
//! address, or every problem found as [`Diagnostics`] with `file:line:col`.
//!
//! The entry point is [`load`] (files and directories) or [`load_str`] (one text, for tests).
//! The manifest language is:
//!
//! ```yaml
//! kind: Deployment            # one of the six kinds
//! name: shared-base           # the resource id
//! spec:                       # kind-specific fields, camelCase as in the Fireworks API
//!   baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
//!   acceleratorType: NVIDIA_H100_80GB
//!   enableAddons: true
//! dependsOn: [dataset/support-chats]   # extra ordering edges (addresses)
//! lifecycle: { preventDestroy: true, timeouts: { create: 30m } }
//! ```
//!
//! A document may instead record a rename, as Terraform's `moved` block does, so that the plan
//! carries the recorded object over to its new address rather than destroying and creating:
//!
//! ```yaml
//! moved:
//!   from: lora-addon/support-v1   # the address in state
//!   to: lora-addon/support        # declared in the manifests (or moved on again)
//! ```
//!
//! A string value that is exactly `${kind/name}` refers to another resource (its full
//! Fireworks name); `${kind/name.attribute}` to one of its attributes (see
//! [`schema::KindSchema::attributes`]). This crate reads files (manifests and dataset JSONL
//! files, to check them) but never writes, never touches the network, and never prints.

mod check;
mod diagnostic;
mod duration;
mod load;
mod reference;
mod resolve;
pub mod schema;
mod suggest;

pub use suggest::did_you_mean;
mod yaml;
mod yaml_fast;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fireform_core::{Lifecycle, Reference, ResourceAddr, Value};

pub use diagnostic::{
    Diagnostic, Diagnostics, Label, RenderOptions, Severity, SourceLocation, SourceSpan, Sources,
};
pub use duration::{DurationError, parse_duration};
pub use load::{load, load_str};

/// Every resource the manifests declare, validated.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The resources, keyed (and so ordered) by address.
    pub resources: BTreeMap<ResourceAddr, Resource>,
    /// The project directory (absolute): the directory given, or the current directory. It
    /// later also holds `.fireform/`. Dataset `path` values are relative to it.
    pub project_dir: PathBuf,
    /// The manifest files read, as displayed, in load order.
    pub files: Vec<PathBuf>,
    /// The texts of those files, for rendering later diagnostics (e.g. graph cycles).
    pub sources: Sources,
    /// Warnings found while loading (unknown regions, …); errors make [`load`] fail instead.
    pub warnings: Vec<Diagnostic>,
    /// The `moved` documents, in file order. Validated: every `from` is undeclared and moved
    /// once, every `to` is declared or the `from` of another move (a chain), no cycles, and
    /// only kinds whose Fireworks id is not their name ([`ResourceKind::id_is_name`]).
    ///
    /// [`ResourceKind::id_is_name`]: fireform_core::ResourceKind::id_is_name
    pub moved: Vec<Moved>,
}

impl Manifest {
    /// The absolute path of a Dataset's `path` value (stored relative to
    /// [`Manifest::project_dir`], or absolute when the file lies outside it).
    pub fn resolve_path(&self, stored: &str) -> PathBuf {
        self.project_dir.join(stored)
    }

    /// The resource at `addr`, if declared.
    pub fn get(&self, addr: &ResourceAddr) -> Option<&Resource> {
        self.resources.get(addr)
    }

    /// The declared address that the resource once at `from` has moved to, following chains
    /// of [`Moved`] (`a → b`, `b → c` gives `c` for `a`), or `None` when `from` has not moved.
    pub fn moved_to(&self, from: &ResourceAddr) -> Option<&ResourceAddr> {
        let mut current = self.moved.iter().find(|moved| &moved.from == from)?;
        // Validation refuses cycles; the bound only keeps a hand-built manifest from looping.
        for _ in 0..self.moved.len() {
            match self.moved.iter().find(|next| next.from == current.to) {
                Some(next) => current = next,
                None => return Some(&current.to),
            }
        }
        None
    }

    /// The warnings wrapped with their sources, ready to render.
    pub fn warning_diagnostics(&self) -> Diagnostics {
        Diagnostics::new(self.warnings.clone(), self.sources.clone())
    }
}

/// One validated resource: one manifest document.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// `kind/name`.
    pub addr: ResourceAddr,
    /// The spec: camelCase field → typed value. Nested objects are [`Value::Map`], references
    /// [`Value::Ref`], durations [`Value::Duration`]. Fields the manifest leaves out are
    /// absent (so unset fields are never diffed), except Deployment `deploymentType`, which
    /// is always present (default `on-demand`). Dataset `path` is stored relative to the
    /// project directory with `/` separators (see [`Manifest::resolve_path`]); `rows` is a
    /// list of maps (keys sorted, like every [`Value::Map`]: see [`Resource::inline_rows`]).
    pub spec: BTreeMap<String, Value>,
    /// A Dataset's inline `rows` as plain JSON, every mapping's keys in the order the manifest
    /// writes them; `None` for other kinds and sources. The Build SDK hashes and uploads rows
    /// with their keys in written order (`{"role": …, "content": …}`), which the spec's
    /// sorted [`Value::Map`]s cannot express, so dataset content is built from these. Rows are
    /// data: a `${…}` string in them is text, not a reference, and NaN and infinities are
    /// rejected at load (JSON cannot hold them). Maps keep insertion order because the
    /// workspace builds `serde_json` with `preserve_order`.
    pub inline_rows: Option<Vec<serde_json::Value>>,
    /// The explicit `dependsOn` addresses, in manifest order, without duplicates.
    pub depends_on: Vec<ResourceAddr>,
    /// The `lifecycle` block; `ignoreChanges` paths are spec field paths without `spec.`.
    pub lifecycle: Lifecycle,
    /// Where the document starts.
    pub location: SourceLocation,
    /// Where each part of the document is, by path: `kind`, `name`, `spec`,
    /// `spec.baseModel`, `spec.autoscalingPolicy.scaleDownWindow`, `spec.regions[0]`,
    /// `dependsOn`, `dependsOn[0]`, `lifecycle.timeouts.create`, …
    pub locations: BTreeMap<String, FieldLocation>,
}

/// A `moved` document: the resource declared at [`Moved::from`] until now is declared at
/// [`Moved::to`], as Terraform's `moved` block says, so a rename is declared and reviewable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The address the resource had (in state); no longer declared.
    pub from: ResourceAddr,
    /// The address it has now: declared in the manifests, or the `from` of another move.
    pub to: ResourceAddr,
    /// Where the document starts (its `moved` key).
    pub location: SourceLocation,
    /// Where the `from` address is written.
    pub from_span: SourceSpan,
    /// Where the `to` address is written.
    pub to_span: SourceSpan,
}

/// Where a field's key and value are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldLocation {
    /// The key (`minReplicaCount` in `minReplicaCount: 1`); for list items, the item.
    pub key: SourceSpan,
    /// The value.
    pub value: SourceSpan,
}

impl Resource {
    /// Every reference in the spec with the path of the field holding it (`spec.dataset`,
    /// `spec.trainingConfig.warmStartFrom`, `spec.directRouteApiKeys[0]`), in path order.
    pub fn references(&self) -> Vec<(String, &Reference)> {
        let mut found = Vec::new();
        // One buffer for every path walked; a `String` is only made for a reference found.
        let mut path = String::from("spec.");
        for (field, value) in &self.spec {
            path.truncate("spec.".len());
            path.push_str(field);
            collect_references(&mut path, value, &mut found);
        }
        found
    }

    /// The span of the value at `path` (see [`Resource::locations`]), or of the document
    /// when the path is unknown.
    pub fn value_span(&self, path: &str) -> SourceSpan {
        self.locations.get(path).map_or_else(
            || SourceSpan::new(self.location.clone(), 1),
            |location| location.value.clone(),
        )
    }

    /// The span of the key at `path`, or of the document when the path is unknown.
    pub fn key_span(&self, path: &str) -> SourceSpan {
        self.locations.get(path).map_or_else(
            || SourceSpan::new(self.location.clone(), 1),
            |location| location.key.clone(),
        )
    }

    /// The file the resource is declared in.
    pub fn file(&self) -> &Path {
        &self.location.file
    }
}

fn collect_references<'a>(
    path: &mut String,
    value: &'a Value,
    found: &mut Vec<(String, &'a Reference)>,
) {
    match value {
        Value::Ref(reference) => found.push((path.clone(), reference)),
        Value::List(items) => {
            let len = path.len();
            for (index, item) in items.iter().enumerate() {
                let _ = write!(path, "[{index}]");
                collect_references(path, item, found);
                path.truncate(len);
            }
        }
        Value::Map(entries) => {
            let len = path.len();
            for (key, item) in entries {
                path.push('.');
                path.push_str(key);
                collect_references(path, item, found);
                path.truncate(len);
            }
        }
        Value::Null
        | Value::Bool(_)
        | Value::Int(_)
        | Value::Float(_)
        | Value::String(_)
        | Value::Duration(_) => {}
    }
}

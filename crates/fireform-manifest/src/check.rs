//! One manifest document → one [`Resource`] (or one [`Moved`]), checked against the schema, with
//! a diagnostic for every problem found (not just the first).
//!
//! This covers everything that can be judged from the document alone: its shape, the kind,
//! the name, every spec field (type, range, enum, duration, reference syntax and attribute),
//! `dependsOn` syntax, `lifecycle`, and the kind's own cross-field rules. Whether references
//! point at resources that exist, and rules that involve two resources, are
//! [`crate::resolve`]'s job.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use fireform_core::{Lifecycle, Reference, ResourceAddr, ResourceKind, Value, is_valid_id};
use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, SourceLocation, SourceSpan, display_path};
use crate::duration::{format_duration, parse_duration};
use crate::reference::{self, Parsed};
use crate::schema::{self, FieldSchema, FieldType, KindSchema, NameOf};
use crate::suggest::{did_you_mean, id_from, one_of};
use crate::yaml::{Key, Node, NodeValue, shorten};
use crate::{FieldLocation, Moved, Resource};

/// A name in backticks for messages, formatted only when a message is made.
#[derive(Clone, Copy)]
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.0)
    }
}

/// Where a document comes from, for spans and for resolving dataset paths.
pub(crate) struct Context<'a> {
    /// The file as displayed.
    pub(crate) file: Arc<Path>,
    /// The absolute directory of the file: dataset paths are relative to it.
    pub(crate) file_dir: &'a Path,
    /// The absolute project directory: dataset paths are stored relative to it.
    pub(crate) project_dir: &'a Path,
    /// The current directory, for displaying paths.
    pub(crate) current_dir: Option<&'a Path>,
    /// Dataset files already checked during this load, shared by every file.
    pub(crate) dataset_files: &'a DatasetFiles,
}

/// The verdict on each dataset file checked during one load, by normalized absolute path:
/// projects point many datasets at one file, which is then read and checked once.
pub(crate) type DatasetFiles = Mutex<HashMap<PathBuf, DatasetFile>>;

/// What checking one dataset file found.
#[derive(Clone)]
pub(crate) enum DatasetFile {
    /// Usable, with the first line (1-based) of each row format, to check `format` against.
    Fine(RowFormats<usize>),
    /// Not a readable file: `does not exist` or `is not a file`.
    Missing(&'static str),
    /// A file with bad content (see [`jsonl_problem`]).
    Problem(String),
}

impl DatasetFile {
    fn check(path: &Path) -> DatasetFile {
        if !path.is_file() {
            return DatasetFile::Missing(if path.exists() {
                "is not a file"
            } else {
                "does not exist"
            });
        }
        read_jsonl(path).map_or_else(DatasetFile::Problem, DatasetFile::Fine)
    }
}

/// The first row of each format in a dataset: a row with `messages` is CHAT, one with
/// `prompt` and `completion` (and no `messages`) is COMPLETION. `At` says where a row is: a
/// file's line number, or an inline row's index and span.
#[derive(Clone, Debug)]
pub(crate) struct RowFormats<At> {
    chat: Option<At>,
    completion: Option<At>,
}

impl<At> Default for RowFormats<At> {
    fn default() -> Self {
        RowFormats { chat: None, completion: None }
    }
}

impl<At> RowFormats<At> {
    /// Notes `row` at `at` unless a row of its format came earlier.
    fn add(&mut self, row: &serde_json::Map<String, Json>, at: impl FnOnce() -> At) {
        let slot = if row.contains_key("messages") {
            &mut self.chat
        } else if row.contains_key("prompt") && row.contains_key("completion") {
            &mut self.completion
        } else {
            return;
        };
        if slot.is_none() {
            *slot = Some(at());
        }
    }
}

/// Where the rows of the Dataset being checked are, to point at one that contradicts
/// `format`.
enum DatasetRows {
    /// Inline `rows`: index and span of the first row of each format.
    Inline(RowFormats<(usize, SourceSpan)>),
    /// A JSONL file as displayed, with the first line of each format.
    File(PathBuf, RowFormats<usize>),
}

/// What one manifest document declares.
pub(crate) enum Document {
    /// A resource (`kind`, `name`, `spec`).
    Resource(Resource),
    /// A `moved` document: a resource's change of address.
    Moved(Moved),
}

/// Checks one document; returns the resource when kind and name are usable (even if the spec
/// had errors, so that references to it do not also fail), or the move when it is valid on
/// its own.
pub(crate) fn check_document(
    context: &Context<'_>,
    document: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Document> {
    let mut checker = Checker {
        context,
        diagnostics,
        locations: BTreeMap::new(),
        inline_rows: None,
        dataset_rows: None,
    };
    checker.document(document)
}

struct Checker<'a, 'b> {
    context: &'a Context<'b>,
    diagnostics: &'a mut Vec<Diagnostic>,
    locations: BTreeMap<String, FieldLocation>,
    /// A Dataset's `rows` in written key order, for [`Resource::inline_rows`].
    inline_rows: Option<Vec<Json>>,
    /// A Dataset's row formats, from `rows` or the file at `path`, to check `format`.
    dataset_rows: Option<DatasetRows>,
}

impl Checker<'_, '_> {
    fn location(&self, line: u32, column: u32) -> SourceLocation {
        SourceLocation { file: self.context.file.clone(), line: line.max(1), column: column.max(1) }
    }

    fn node_span(&self, node: &Node) -> SourceSpan {
        let len = match node.value {
            NodeValue::Map(_) | NodeValue::Seq(_) => 1,
            _ => node.len.max(1),
        };
        SourceSpan::new(self.location(node.line, node.column), len)
    }

    fn key_span(&self, key: &Key) -> SourceSpan {
        SourceSpan::new(self.location(key.line, key.column), key.len.max(1))
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn remember(&mut self, path: &str, key: &Key, value: &Node) {
        let location = FieldLocation { key: self.key_span(key), value: self.node_span(value) };
        self.locations.insert(path.to_owned(), location);
    }

    /// The entries of a mapping, each key once: duplicates are reported (both places) and
    /// only the first occurrence is used.
    fn entries<'n>(
        &mut self,
        entries: &'n [(Key, Node)],
        owner: impl fmt::Display,
    ) -> Vec<&'n (Key, Node)> {
        let mut unique: Vec<&'n (Key, Node)> = Vec::with_capacity(entries.len());
        // Mappings are small: a scan of the keys kept so far beats building an index, up to
        // a point.
        let mut index: Option<HashMap<&'n str, &'n Key>> = None;
        for entry in entries {
            let text = entry.0.text.as_str();
            let first = match &mut index {
                Some(index) => index.get(text).copied(),
                None => unique.iter().find(|(key, _)| key.text == text).map(|(key, _)| key),
            };
            match first {
                Some(first) => {
                    let diagnostic =
                        Diagnostic::error(format!("duplicate key `{}` in {owner}", entry.0.text))
                            .with_primary(self.key_span(&entry.0), "defined again here")
                            .with_secondary(self.key_span(first), "first defined here")
                            .with_help("remove one of them; YAML keys must be unique");
                    self.error(diagnostic);
                }
                None => {
                    unique.push(entry);
                    if let Some(index) = &mut index {
                        index.insert(text, &entry.0);
                    } else if unique.len() > 32 {
                        index =
                            Some(unique.iter().map(|(key, _)| (key.text.as_str(), key)).collect());
                    }
                }
            }
        }
        unique
    }

    fn type_error(&mut self, what: &str, expected: &str, node: &Node) {
        let mut diagnostic = Diagnostic::error(format!(
            "{what} expects {expected}, found {}",
            node.value.describe()
        ))
        .with_primary(self.node_span(node), format!("expected {expected}"));
        if let NodeValue::String(text) = &node.value {
            let numeric = (expected == "an integer" && text.trim().parse::<i64>().is_ok())
                || (expected == "a number" && text.trim().parse::<f64>().is_ok());
            if numeric {
                diagnostic = diagnostic.with_help(format!("remove the quotes: `{}`", text.trim()));
            } else if expected.starts_with("`true`") {
                let lowered = text.to_ascii_lowercase();
                if ["yes", "on", "y"].contains(&lowered.as_str()) {
                    diagnostic = diagnostic.with_help("write `true`");
                } else if ["no", "off", "n"].contains(&lowered.as_str()) {
                    diagnostic = diagnostic.with_help("write `false`");
                }
            }
        }
        if matches!(node.value, NodeValue::Null) {
            diagnostic = diagnostic.with_help("give it a value, or remove the line");
        }
        if expected == "a string"
            && matches!(node.value, NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Bool(_))
        {
            diagnostic = diagnostic.with_help("put it in quotes to make it a string");
        }
        self.error(diagnostic);
    }

    fn document(&mut self, document: &Node) -> Option<Document> {
        let NodeValue::Map(entries) = &document.value else {
            let diagnostic = Diagnostic::error(format!(
                "a manifest document must be a mapping with `kind`, `name` and `spec`, found {}",
                document.value.describe()
            ))
            .with_primary(self.node_span(document), "expected a mapping");
            self.error(diagnostic);
            return None;
        };
        let entries = self.entries(entries, "the document");
        if entries.iter().any(|(key, _)| key.text == "moved") {
            return self.moved(&entries).map(Document::Moved);
        }
        let document_location = entries
            .first()
            .map(|(key, _)| self.location(key.line, key.column))
            .unwrap_or_else(|| self.location(document.line, document.column));

        let mut kind_entry = None;
        let mut name_entry = None;
        let mut spec_entry = None;
        let mut depends_on_entry = None;
        let mut lifecycle_entry = None;
        let mut unknown = Vec::new();
        for entry in entries {
            match entry.0.text.as_str() {
                "kind" => kind_entry = Some(entry),
                "name" => name_entry = Some(entry),
                "spec" => spec_entry = Some(entry),
                "dependsOn" => depends_on_entry = Some(entry),
                "lifecycle" => lifecycle_entry = Some(entry),
                _ => unknown.push(entry),
            }
        }

        let kind = self.kind(kind_entry, &document_location);
        let name = self.name(name_entry, &document_location);

        for (key, _) in unknown {
            let mut diagnostic = Diagnostic::error(format!(
                "unknown key `{}` in a manifest document",
                key.text
            ))
            .with_primary(self.key_span(key), "")
            .with_note(
                "a document has `kind`, `name`, `spec`, and optionally `dependsOn` and `lifecycle` (a `moved` document has only `moved`)",
            );
            let belongs_in_spec =
                kind.is_some_and(|kind| schema::kind_schema(kind).field(&key.text).is_some());
            diagnostic = if belongs_in_spec {
                diagnostic
                    .with_help(format!("`{}` is a spec field; move it under `spec:`", key.text))
            } else {
                diagnostic
                    .with_help_opt(did_you_mean(&key.text, schema::DOCUMENT_KEYS.iter().copied()))
            };
            self.error(diagnostic);
        }

        let mut spec = BTreeMap::new();
        if let Some(kind) = kind {
            let kind_schema = schema::kind_schema(kind);
            match spec_entry {
                None => {
                    let diagnostic = Diagnostic::error(format!(
                        "{kind} `{}` has no `spec`",
                        name.as_deref().unwrap_or("?")
                    ))
                    .with_primary(SourceSpan::new(document_location.clone(), 1), "this document")
                    .with_help(format!("add a `spec:` mapping with the {kind} fields"));
                    self.error(diagnostic);
                }
                Some((key, node)) => {
                    self.remember("spec", key, node);
                    if let NodeValue::Map(fields) = &node.value {
                        spec = self.object(
                            kind_schema.fields,
                            fields,
                            node,
                            "spec",
                            &format!("{kind} spec"),
                            Some(key),
                        );
                        self.kind_rules(kind_schema, &mut spec, key);
                    } else {
                        self.type_error("`spec`", "a mapping", node);
                    }
                }
            }
        } else if let Some((key, node)) = spec_entry {
            self.remember("spec", key, node);
        }

        let depends_on = depends_on_entry.map(|entry| self.depends_on(entry)).unwrap_or_default();
        let lifecycle = lifecycle_entry
            .map(|entry| self.lifecycle(entry, kind.map(schema::kind_schema)))
            .unwrap_or_default();

        let (kind, name) = (kind?, name?);
        Some(Document::Resource(Resource {
            addr: ResourceAddr::new(kind, name),
            spec,
            depends_on,
            lifecycle,
            location: document_location,
            locations: std::mem::take(&mut self.locations),
            inline_rows: self.inline_rows.take(),
        }))
    }

    /// A `moved` document: exactly `moved: {from: kind/name, to: kind/name}`, of one kind
    /// whose Fireworks id is not its name. Whether the addresses are declared is
    /// [`crate::resolve`]'s job.
    fn moved(&mut self, entries: &[&(Key, Node)]) -> Option<Moved> {
        let mut moved_entry = None;
        for entry in entries {
            let key = &entry.0;
            if key.text == "moved" {
                moved_entry = Some(*entry);
                continue;
            }
            let resource_key = ["kind", "name", "spec", "dependsOn", "lifecycle"];
            let diagnostic =
                Diagnostic::error(format!("unknown key `{}` in a `moved` document", key.text))
                    .with_primary(self.key_span(key), "")
                    .with_note("a `moved` document has only `moved`, with `from` and `to`")
                    .with_help_opt(resource_key.contains(&key.text.as_str()).then(|| {
                        "declare the resource in a document of its own, after `---`".to_owned()
                    }));
            self.error(diagnostic);
        }
        let (moved_key, node) = moved_entry?;
        let NodeValue::Map(fields) = &node.value else {
            self.type_error("`moved`", "a mapping with `from` and `to`", node);
            return None;
        };
        let mut from_entry = None;
        let mut to_entry = None;
        for entry in self.entries(fields, "`moved`") {
            match entry.0.text.as_str() {
                "from" => from_entry = Some(entry),
                "to" => to_entry = Some(entry),
                _ => {
                    let diagnostic =
                        Diagnostic::error(format!("unknown key `{}` in `moved`", entry.0.text))
                            .with_primary(self.key_span(&entry.0), "")
                            .with_help_opt(did_you_mean(
                                &entry.0.text,
                                schema::MOVED_KEYS.iter().copied(),
                            ))
                            .with_note(
                                "`moved` has `from` (the old address) and `to` (the new one)",
                            );
                    self.error(diagnostic);
                }
            }
        }
        let from = self.moved_addr("from", from_entry, moved_key);
        let to = self.moved_addr("to", to_entry, moved_key);
        let ((from, from_span), (to, to_span)) = (from?, to?);
        if from.kind != to.kind {
            let diagnostic = Diagnostic::error(format!(
                "`moved` cannot change the kind: `{from}` is a {}, `{to}` a {}",
                from.kind, to.kind
            ))
            .with_primary(to_span, "another kind")
            .with_secondary(from_span, "moved from here")
            .with_help(
                "a rename keeps the kind; remove this `moved` to plan a create and a destroy",
            );
            self.error(diagnostic);
            return None;
        }
        if from.kind.id_is_name() {
            let noun = kind_noun(from.kind);
            let diagnostic = Diagnostic::error(format!(
                "a {noun}'s id is its name, so `moved` cannot rename it in Fireworks"
            ))
            .with_primary(to_span, "a new name")
            .with_secondary(from_span, "the name it has in Fireworks")
            .with_help(format!(
                "a new name means a new {noun}: remove this `moved` to plan it as a create and a \
                 destroy, or keep the old name `{}`",
                from.name
            ));
            self.error(diagnostic);
            return None;
        }
        Some(Moved {
            from,
            to,
            location: self.location(moved_key.line, moved_key.column),
            from_span,
            to_span,
        })
    }

    /// The address at `moved.from` or `moved.to`, with the span of its value.
    fn moved_addr(
        &mut self,
        field: &str,
        entry: Option<&(Key, Node)>,
        moved_key: &Key,
    ) -> Option<(ResourceAddr, SourceSpan)> {
        let Some((_, node)) = entry else {
            let (what, example) = match field {
                "from" => ("the address it had", "lora-addon/support-v1"),
                _ => ("its address now", "lora-addon/support"),
            };
            let diagnostic = Diagnostic::error(format!("`moved` has no `{field}`"))
                .with_primary(self.key_span(moved_key), format!("no `{field}` here"))
                .with_help(format!("add `{field}:` with {what}, e.g. `{field}: {example}`"));
            self.error(diagnostic);
            return None;
        };
        let NodeValue::String(text) = &node.value else {
            self.type_error(&format!("`{field}`"), "an address such as `lora-addon/support`", node);
            return None;
        };
        let span = self.node_span(node);
        match text.parse::<ResourceAddr>() {
            Ok(addr) => Some((addr, span)),
            Err(error) => {
                let message = if text.starts_with("${") {
                    format!("`moved.{field}` takes an address, not a reference")
                } else {
                    format!("invalid address in `moved.{field}`: {error}")
                };
                let diagnostic = Diagnostic::error(message)
                    .with_primary(span, "")
                    .with_help_opt(address_help(text));
                self.error(diagnostic);
                None
            }
        }
    }

    fn kind(
        &mut self,
        entry: Option<&(Key, Node)>,
        document: &SourceLocation,
    ) -> Option<ResourceKind> {
        let kinds = || ResourceKind::ALL.iter().map(|kind| kind.manifest_name());
        let Some((key, node)) = entry else {
            let diagnostic = Diagnostic::error("missing `kind`")
                .with_primary(SourceSpan::new(document.clone(), 1), "this document has no `kind`")
                .with_help(format!(
                    "add `kind:` with one of {}",
                    one_of(&kinds().collect::<Vec<_>>(), 6)
                ));
            self.error(diagnostic);
            return None;
        };
        self.remember("kind", key, node);
        let NodeValue::String(text) = &node.value else {
            self.type_error("`kind`", "a string", node);
            return None;
        };
        if let Some(kind) = ResourceKind::from_manifest_name(text) {
            return Some(kind);
        }
        let suggestion = ResourceKind::from_addr_prefix(text)
            .map(|kind| format!("did you mean `{}`?", kind.manifest_name()))
            .or_else(|| did_you_mean(text, kinds()));
        let diagnostic = Diagnostic::error(format!("unknown kind `{}`", shorten(text)))
            .with_primary(self.node_span(node), "not a resource kind")
            .with_help_opt(suggestion)
            .with_note(format!("kinds are {}", one_of(&kinds().collect::<Vec<_>>(), 6)));
        self.error(diagnostic);
        None
    }

    fn name(&mut self, entry: Option<&(Key, Node)>, document: &SourceLocation) -> Option<String> {
        let Some((key, node)) = entry else {
            let diagnostic = Diagnostic::error("missing `name`")
                .with_primary(SourceSpan::new(document.clone(), 1), "this document has no `name`")
                .with_help("add `name:` with the resource id, e.g. `name: support-chats`");
            self.error(diagnostic);
            return None;
        };
        self.remember("name", key, node);
        let NodeValue::String(text) = &node.value else {
            self.type_error("`name`", "a string", node);
            return None;
        };
        if is_valid_id(text) {
            return Some(text.clone());
        }
        let diagnostic = Diagnostic::error(format!("invalid name `{}`", shorten(text)))
            .with_primary(self.node_span(node), "not a valid resource id")
            .with_note("names are 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit")
            .with_help_opt(id_from(text).map(|id| format!("try `{id}`")));
        self.error(diagnostic);
        None
    }

    /// Checks the fields of an object against `fields`; `path` is the dotted field path
    /// (`spec`, `spec.autoscalingPolicy`), `owner` how messages name the object.
    fn object(
        &mut self,
        fields: &'static [FieldSchema],
        entries: &[(Key, Node)],
        node: &Node,
        path: &str,
        owner: &str,
        owner_key: Option<&Key>,
    ) -> BTreeMap<String, Value> {
        let entries = self.entries(entries, Quoted(path));
        let mut values = BTreeMap::new();
        for (key, value) in entries {
            let Some(field) = fields.iter().find(|field| field.name == key.text) else {
                let suggestion = did_you_mean(&key.text, fields.iter().map(|field| field.name));
                let mut diagnostic =
                    Diagnostic::error(format!("unknown field `{}` in {owner}", key.text))
                        .with_primary(self.key_span(key), "");
                diagnostic = match suggestion {
                    Some(suggestion) => diagnostic.with_help(suggestion),
                    None => diagnostic.with_note(format!(
                        "fields are {}",
                        one_of(&fields.iter().map(|field| field.name).collect::<Vec<_>>(), 12)
                    )),
                };
                self.error(diagnostic);
                continue;
            };
            let field_path = format!("{path}.{}", field.name);
            self.remember(&field_path, key, value);
            let node = value;
            if let Some(value) = self.value(&field.ty, node, &field_path, field.name) {
                if field.full_name
                    && let Value::String(text) = &value
                    && !text.starts_with("accounts/")
                {
                    self.bare_model_id(field.name, text, node);
                }
                values.insert(field.name.to_owned(), value);
            }
        }
        for field in fields.iter().filter(|field| field.required) {
            if !values.contains_key(field.name) && !entries_has(node, field.name) {
                let span = match owner_key {
                    Some(key) => self.key_span(key),
                    None => self.node_span(node),
                };
                let diagnostic = Diagnostic::error(format!(
                    "missing required field `{}` in {owner}",
                    field.name
                ))
                .with_primary(span, format!("`{}` is required here", field.name))
                .with_note(format!("`{}`: {}", field.name, field.doc));
                self.error(diagnostic);
            }
        }
        values
    }

    /// Checks one value against its type; `what` names it in messages.
    fn value(
        &mut self,
        ty: &'static FieldType,
        node: &Node,
        path: &str,
        what: &str,
    ) -> Option<Value> {
        // Only formatted into messages, so never allocated for a valid value.
        let quoted = Quoted(what);
        match (ty, &node.value) {
            (FieldType::String { max_len }, NodeValue::String(text)) => {
                let value = self.string_or_reference(text, node, quoted, None)?;
                if let (Some(max_len), Value::String(text)) = (max_len, &value)
                    && text.chars().count() > *max_len
                {
                    let diagnostic = Diagnostic::error(format!(
                        "{quoted} is too long: {} characters, at most {max_len} allowed",
                        text.chars().count()
                    ))
                    .with_primary(self.node_span(node), "");
                    self.error(diagnostic);
                    return None;
                }
                Some(value)
            }
            (FieldType::Id, NodeValue::String(text)) => {
                if is_valid_id(text) {
                    return Some(Value::String(text.clone()));
                }
                let diagnostic = Diagnostic::error(format!("{quoted} is not a valid id: `{}`", shorten(text)))
                    .with_primary(self.node_span(node), "")
                    .with_note("ids are 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit")
                    .with_help_opt(id_from(text).map(|id| format!("try `{id}`")));
                self.error(diagnostic);
                None
            }
            (FieldType::Bool, NodeValue::Bool(value)) => Some(Value::Bool(*value)),
            (FieldType::Int { min, max }, NodeValue::Int(value)) => {
                if value < min || value > max {
                    let bound = if value < min {
                        format!("at least {min}")
                    } else {
                        format!("at most {max}")
                    };
                    let diagnostic =
                        Diagnostic::error(format!("{quoted} must be {bound}, found `{value}`"))
                            .with_primary(self.node_span(node), "out of range");
                    self.error(diagnostic);
                    return None;
                }
                Some(Value::Int(*value))
            }
            (FieldType::Float { min, max }, NodeValue::Int(_) | NodeValue::Float(_)) => {
                #[expect(clippy::cast_precision_loss, reason = "YAML integers in a float field")]
                let value = match node.value {
                    NodeValue::Int(value) => value as f64,
                    NodeValue::Float(value) => value,
                    _ => return None,
                };
                if !value.is_finite() || value < *min || value > *max {
                    let bound = if *max == f64::MAX {
                        format!("a number of at least {min}")
                    } else {
                        format!("a number between {min} and {max}")
                    };
                    let diagnostic =
                        Diagnostic::error(format!("{quoted} must be {bound}, found `{value}`"))
                            .with_primary(self.node_span(node), "out of range");
                    self.error(diagnostic);
                    return None;
                }
                Some(Value::Float(value))
            }
            (FieldType::Duration { min_secs, max_secs }, NodeValue::String(text)) => {
                let duration = match parse_duration(text) {
                    Ok(duration) => duration,
                    Err(error) => {
                        let diagnostic = Diagnostic::error(format!(
                            "invalid duration `{}` for {quoted}: {}",
                            shorten(text),
                            error.0
                        ))
                        .with_primary(
                            self.node_span(node),
                            "expected a duration such as `30s`, `10m` or `1h`",
                        );
                        self.error(diagnostic);
                        return None;
                    }
                };
                let too_short = min_secs.is_some_and(|min| duration.as_secs_f64() < min as f64);
                let too_long = max_secs.is_some_and(|max| duration.as_secs_f64() > max as f64);
                if too_short || too_long {
                    let bound = match (too_short, min_secs, max_secs) {
                        (true, Some(min), _) => format!(
                            "at least {}",
                            format_duration(std::time::Duration::from_secs(*min))
                        ),
                        (_, _, Some(max)) => format!(
                            "at most {}",
                            format_duration(std::time::Duration::from_secs(*max))
                        ),
                        _ => "in range".to_owned(),
                    };
                    let diagnostic =
                        Diagnostic::error(format!("{quoted} must be {bound}, found `{text}`"))
                            .with_primary(self.node_span(node), "out of range");
                    self.error(diagnostic);
                    return None;
                }
                Some(Value::Duration(duration))
            }
            (FieldType::Duration { .. }, NodeValue::Int(number)) => {
                let diagnostic = Diagnostic::error(format!(
                    "{quoted} expects a duration with a unit, found the integer `{number}`"
                ))
                .with_primary(self.node_span(node), "no unit")
                .with_help(format!("write `{number}s` for seconds (or `m`, `h`)"));
                self.error(diagnostic);
                None
            }
            (FieldType::Enum { values, open }, NodeValue::String(text)) => {
                if values.contains(&text.as_str()) {
                    return Some(Value::String(text.clone()));
                }
                let suggestion = did_you_mean(text, values.iter().copied());
                let message = format!("unknown value `{}` for {quoted}", shorten(text));
                let diagnostic =
                    if *open { Diagnostic::warning(message) } else { Diagnostic::error(message) };
                let mut diagnostic = diagnostic.with_primary(self.node_span(node), "");
                diagnostic = match suggestion {
                    Some(suggestion) => diagnostic.with_help(suggestion),
                    None => diagnostic.with_note(format!("expected one of {}", one_of(values, 8))),
                };
                if *open {
                    diagnostic = diagnostic.with_note(
                        "the list of known values is open; the value is sent as written",
                    );
                    self.error(diagnostic);
                    return Some(Value::String(text.clone()));
                }
                self.error(diagnostic);
                None
            }
            (FieldType::Name(name_of), NodeValue::String(text)) => {
                self.string_or_reference(text, node, quoted, Some(*name_of))
            }
            (FieldType::Object(fields), NodeValue::Map(entries)) => {
                let values = self.object(fields, entries, node, path, &format!("`{what}`"), None);
                Some(Value::Map(values))
            }
            (FieldType::Map { keys, values: value_type }, NodeValue::Map(entries)) => {
                let entries = self.entries(entries, Quoted(path));
                let mut map = BTreeMap::new();
                for (key, value) in entries {
                    if let Some(keys) = keys
                        && !keys.contains(&key.text.as_str())
                    {
                        let diagnostic =
                            Diagnostic::error(format!("unknown key `{}` in {quoted}", key.text))
                                .with_primary(self.key_span(key), "")
                                .with_help_opt(did_you_mean(&key.text, keys.iter().copied()))
                                .with_note(format!("keys are {}", one_of(keys, 8)));
                        self.error(diagnostic);
                        continue;
                    }
                    let entry_path = format!("{path}.{}", key.text);
                    self.remember(&entry_path, key, value);
                    if let Some(value) = self.value(value_type, value, &entry_path, &key.text) {
                        map.insert(key.text.clone(), value);
                    }
                }
                Some(Value::Map(map))
            }
            (FieldType::List(item_type), NodeValue::Seq(items)) => {
                let mut list = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{index}]");
                    let span = self.node_span(item);
                    self.locations.insert(
                        item_path.clone(),
                        FieldLocation { key: span.clone(), value: span },
                    );
                    if let Some(value) =
                        self.value(item_type, item, &item_path, &format!("{what}[{index}]"))
                    {
                        list.push(value);
                    }
                }
                Some(Value::List(list))
            }
            (FieldType::Path, NodeValue::String(text)) => self.dataset_path(text, node),
            (FieldType::Rows, NodeValue::Seq(items)) => {
                if items.is_empty() {
                    let diagnostic = Diagnostic::error("`rows` is empty")
                        .with_primary(self.node_span(node), "")
                        .with_help("add at least one row, e.g. `- {messages: [{role: user, content: hi}]}`");
                    self.error(diagnostic);
                    return None;
                }
                let mut rows = Vec::with_capacity(items.len());
                let mut ordered = Vec::with_capacity(items.len());
                let mut formats = RowFormats::default();
                for (index, item) in items.iter().enumerate() {
                    if let NodeValue::Map(_) = item.value {
                        let row = self.data(item);
                        if let Json::Object(entries) = &row {
                            formats.add(entries, || (index, self.node_span(item)));
                        }
                        rows.push(spec_value(&row));
                        ordered.push(row);
                    } else {
                        self.type_error(
                            &format!("row {index} of `rows`"),
                            "a mapping (a JSON object)",
                            item,
                        );
                    }
                }
                self.inline_rows = Some(ordered);
                self.dataset_rows = Some(DatasetRows::Inline(formats));
                Some(Value::List(rows))
            }
            (
                FieldType::List(_) | FieldType::Rows,
                NodeValue::String(_) | NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Bool(_),
            ) => {
                let diagnostic = Diagnostic::error(format!(
                    "{quoted} expects a list, found {}",
                    node.value.describe()
                ))
                .with_primary(self.node_span(node), "expected a list")
                .with_help("write a list, e.g. `[value]` or one `- value` per line");
                self.error(diagnostic);
                None
            }
            (ty, _) => {
                let expected = match ty {
                    FieldType::Enum { values, .. } => format!("one of {}", one_of(values, 4)),
                    other => other.describe(),
                };
                self.type_error(&quoted.to_string(), &expected, node);
                None
            }
        }
    }

    /// Plain YAML data (dataset rows) as JSON, mapping keys in written order: strings stay
    /// text (never references) and duplicate keys are reported. The YAML layer already
    /// refuses NaN and infinities; should one get here, it is an error, not a silent `null`.
    fn data(&mut self, node: &Node) -> Json {
        match &node.value {
            NodeValue::Null => Json::Null,
            NodeValue::Bool(value) => Json::Bool(*value),
            NodeValue::Int(value) => Json::from(*value),
            NodeValue::Float(value) => match serde_json::Number::from_f64(*value) {
                Some(number) => Json::Number(number),
                None => {
                    let diagnostic =
                        Diagnostic::error(format!("`{value}` in `rows` has no JSON form"))
                            .with_primary(self.node_span(node), "not a JSON number")
                            .with_help("JSON has no NaN or infinity; quote it to upload a string");
                    self.error(diagnostic);
                    Json::Null
                }
            },
            NodeValue::String(text) => Json::String(text.clone()),
            NodeValue::Seq(items) => {
                Json::Array(items.iter().map(|item| self.data(item)).collect())
            }
            NodeValue::Map(entries) => {
                let entries = self.entries(entries, "a row");
                Json::Object(
                    entries
                        .into_iter()
                        .map(|(key, value)| (key.text.clone(), self.data(value)))
                        .collect(),
                )
            }
        }
    }

    /// A string that may be a reference. `name_of` is set for fields that name a Fireworks
    /// object: then a reference must name the same sort of object, and a literal must look
    /// like such a name.
    fn string_or_reference(
        &mut self,
        text: &str,
        node: &Node,
        quoted: Quoted<'_>,
        name_of: Option<NameOf>,
    ) -> Option<Value> {
        match reference::parse(text) {
            Parsed::Plain => {
                if let Some(name_of) = name_of {
                    self.literal_name(text, node, quoted, name_of)?;
                }
                Some(Value::String(text.to_owned()))
            }
            Parsed::Malformed(why) => {
                let diagnostic = Diagnostic::error(format!("malformed reference in {quoted}: {why}"))
                    .with_primary(self.node_span(node), "")
                    .with_note("references are written `${kind/name}` or `${kind/name.attribute}`, e.g. `${supervised-fine-tuning-job/support-v1.outputModel}`");
                self.error(diagnostic);
                None
            }
            Parsed::Reference(reference) => {
                self.check_reference(&reference, node, quoted, name_of)?;
                Some(Value::Ref(reference))
            }
        }
    }

    fn check_reference(
        &mut self,
        reference: &Reference,
        node: &Node,
        quoted: Quoted<'_>,
        name_of: Option<NameOf>,
    ) -> Option<()> {
        let target_schema = schema::kind_schema(reference.target.kind);
        let attribute_name = reference.attribute.as_deref().unwrap_or("name");
        let Some(attribute) = target_schema.attribute(attribute_name) else {
            let names: Vec<&str> =
                target_schema.attributes.iter().map(|attribute| attribute.name).collect();
            let diagnostic = Diagnostic::error(format!(
                "{} has no attribute `{attribute_name}` to reference",
                reference.target.kind
            ))
            .with_primary(self.node_span(node), "")
            .with_help_opt(did_you_mean(attribute_name, names.iter().copied()))
            .with_note(format!(
                "{} attributes are {}",
                reference.target.kind,
                one_of(&names, 8)
            ));
            self.error(diagnostic);
            return None;
        };
        let Some(expected) = name_of else { return Some(()) };
        if attribute.names == Some(expected) {
            return Some(());
        }
        let found = match attribute.names {
            Some(names) => names.describe().to_owned(),
            None => "a bare id".to_owned(),
        };
        let better = target_schema
            .attributes
            .iter()
            .find(|candidate| candidate.names == Some(expected))
            .map(|candidate| {
                let written = if candidate.name == "name" {
                    format!("${{{}}}", reference.target)
                } else {
                    format!("${{{}.{}}}", reference.target, candidate.name)
                };
                format!("did you mean `{written}`?")
            });
        let diagnostic = Diagnostic::error(format!(
            "{quoted} expects {} name, but `{reference}` is {found}",
            expected.describe()
        ))
        .with_primary(self.node_span(node), format!("expected {}", expected.describe()))
        .with_help_opt(better);
        self.error(diagnostic);
        None
    }

    fn literal_name(
        &mut self,
        text: &str,
        node: &Node,
        quoted: Quoted<'_>,
        name_of: NameOf,
    ) -> Option<()> {
        let collection = name_of.collection();
        let well_formed = if let Some(rest) = text.strip_prefix("accounts/") {
            let parts: Vec<&str> = rest.split('/').collect();
            parts.len() == 3
                && !parts[0].is_empty()
                && parts[1] == collection
                && !parts[2].is_empty()
        } else {
            !text.is_empty() && !text.contains('/') && !text.chars().any(char::is_whitespace)
        };
        if well_formed {
            return Some(());
        }
        let example = match name_of {
            NameOf::Model => "`accounts/fireworks/models/llama-v3p1-8b-instruct`".to_owned(),
            other => format!("`accounts/my-account/{}/my-id`", other.collection()),
        };
        let diagnostic = Diagnostic::error(format!(
            "{quoted} expects {} name, found `{}`",
            name_of.describe(),
            shorten(text)
        ))
        .with_primary(
            self.node_span(node),
            format!(
                "expected `accounts/{{account}}/{collection}/{{id}}`, a bare id, or a reference"
            ),
        )
        .with_note(format!("for example {example}"));
        self.error(diagnostic);
        None
    }

    /// A model to serve or train from written as a bare id: which account it is in is
    /// anyone's guess.
    fn bare_model_id(&mut self, field: &str, id: &str, node: &Node) {
        let diagnostic = Diagnostic::error(format!(
            "`{field}` needs a full model name, found the bare id `{}`",
            shorten(id)
        ))
        .with_primary(self.node_span(node), "expected `accounts/{account}/models/{id}`")
        .with_note("a bare id does not say which account the model is in: Fireworks' public models are in `accounts/fireworks`, yours in your own account")
        .with_help(format!("write the full name, e.g. `accounts/fireworks/models/{}`", shorten(id)));
        self.error(diagnostic);
    }

    fn dataset_path(&mut self, text: &str, node: &Node) -> Option<Value> {
        if !text.ends_with(".jsonl") {
            let diagnostic = Diagnostic::error(format!(
                "dataset file `{}` is not a `.jsonl` file",
                shorten(text)
            ))
            .with_primary(self.node_span(node), "expected a path ending in `.jsonl`")
            .with_note("datasets are uploaded as JSON Lines: one JSON object per line");
            self.error(diagnostic);
            return None;
        }
        let resolved = normalize(&self.context.file_dir.join(text));
        let known = self
            .context
            .dataset_files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&resolved)
            .cloned();
        // Checked outside the lock; two threads may check one file at once, which is harmless.
        let verdict = known.unwrap_or_else(|| {
            let verdict = DatasetFile::check(&resolved);
            self.context
                .dataset_files
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(resolved.clone(), verdict.clone());
            verdict
        });
        match verdict {
            DatasetFile::Fine(formats) => {
                let shown = display_path(&resolved, self.context.current_dir);
                self.dataset_rows = Some(DatasetRows::File(shown, formats));
            }
            DatasetFile::Missing(what) => {
                let shown = display_path(&resolved, self.context.current_dir);
                let diagnostic =
                    Diagnostic::error(format!("dataset file `{}` {what}", shown.display()))
                        .with_primary(self.node_span(node), "")
                        .with_note("the path is relative to the directory of this manifest file");
                self.error(diagnostic);
                return None;
            }
            DatasetFile::Problem(problem) => {
                let shown = display_path(&resolved, self.context.current_dir);
                let diagnostic =
                    Diagnostic::error(format!("dataset file `{}` {problem}", shown.display()))
                        .with_primary(self.node_span(node), "");
                self.error(diagnostic);
                return None;
            }
        }
        let stored = match resolved.strip_prefix(self.context.project_dir) {
            Ok(relative) => relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => resolved.to_string_lossy().into_owned(),
        };
        Some(Value::String(stored))
    }

    fn depends_on(&mut self, (key, node): &(Key, Node)) -> Vec<ResourceAddr> {
        self.remember("dependsOn", key, node);
        let NodeValue::Seq(items) = &node.value else {
            self.type_error(
                "`dependsOn`",
                "a list of addresses such as `dataset/support-chats`",
                node,
            );
            return Vec::new();
        };
        let mut addrs: Vec<ResourceAddr> = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let NodeValue::String(text) = &item.value else {
                self.type_error(
                    &format!("`dependsOn[{index}]`"),
                    "an address such as `dataset/support-chats`",
                    item,
                );
                continue;
            };
            let span = self.node_span(item);
            let unwrapped = text.strip_prefix("${").and_then(|inner| inner.strip_suffix('}'));
            match text.parse::<ResourceAddr>() {
                Ok(addr) => {
                    if addrs.contains(&addr) {
                        let diagnostic =
                            Diagnostic::warning(format!("`{addr}` is listed twice in `dependsOn`"))
                                .with_primary(span, "");
                        self.error(diagnostic);
                        continue;
                    }
                    self.locations.insert(
                        format!("dependsOn[{}]", addrs.len()),
                        FieldLocation { key: span.clone(), value: span },
                    );
                    addrs.push(addr);
                }
                Err(error) => {
                    let message = if text.starts_with("${") {
                        "`dependsOn` takes addresses, not references".to_owned()
                    } else {
                        format!("invalid address in `dependsOn`: {error}")
                    };
                    let help = match unwrapped {
                        Some(inner) if inner.parse::<ResourceAddr>().is_ok() => {
                            Some(format!("`dependsOn` takes plain addresses: write `{inner}`"))
                        }
                        _ => address_help(text),
                    };
                    let diagnostic =
                        Diagnostic::error(message).with_primary(span, "").with_help_opt(help);
                    self.error(diagnostic);
                }
            }
        }
        addrs
    }

    fn lifecycle(
        &mut self,
        (key, node): &(Key, Node),
        kind_schema: Option<&'static KindSchema>,
    ) -> Lifecycle {
        self.remember("lifecycle", key, node);
        let mut lifecycle = Lifecycle::default();
        let NodeValue::Map(entries) = &node.value else {
            self.type_error("`lifecycle`", "a mapping", node);
            return lifecycle;
        };
        for (key, value) in self.entries(entries, "`lifecycle`") {
            let path = format!("lifecycle.{}", key.text);
            match key.text.as_str() {
                "preventDestroy" | "createBeforeDestroy" | "keepOutputs" | "adopt" => {
                    self.remember(&path, key, value);
                    let NodeValue::Bool(flag) = value.value else {
                        self.type_error(&format!("`{}`", key.text), "`true` or `false`", value);
                        continue;
                    };
                    match key.text.as_str() {
                        "preventDestroy" => lifecycle.prevent_destroy = flag,
                        "createBeforeDestroy" => lifecycle.create_before_destroy = flag,
                        "adopt" => lifecycle.adopt = flag,
                        _ => {
                            let job = kind_schema.is_none_or(|schema| {
                                matches!(
                                    schema.kind,
                                    ResourceKind::SupervisedFineTuningJob
                                        | ResourceKind::ReinforcementFineTuningJob
                                        | ResourceKind::BatchInferenceJob
                                )
                            });
                            if job {
                                lifecycle.keep_outputs = flag;
                            } else {
                                let diagnostic = Diagnostic::error(
                                    "`keepOutputs` only applies to jobs, which produce models and \
                                     datasets",
                                )
                                .with_primary(self.key_span(key), "")
                                .with_help_opt(Some(
                                    "remove it: only jobs leave outputs behind".to_owned(),
                                ));
                                self.error(diagnostic);
                            }
                        }
                    }
                }
                "ignoreChanges" => {
                    self.remember(&path, key, value);
                    let NodeValue::Seq(items) = &value.value else {
                        self.type_error("`ignoreChanges`", "a list of spec field paths", value);
                        continue;
                    };
                    for item in items {
                        let NodeValue::String(field_path) = &item.value else {
                            self.type_error(
                                "an `ignoreChanges` entry",
                                "a spec field path such as `minReplicaCount`",
                                item,
                            );
                            continue;
                        };
                        let field_path = field_path.strip_prefix("spec.").unwrap_or(field_path);
                        if let Some(kind_schema) = kind_schema
                            && kind_schema.field_at(field_path).is_none()
                        {
                            let last_known = field_path.rsplit_once('.').map(|(parent, _)| parent);
                            let candidates: Vec<&str> = match last_known
                                .and_then(|parent| kind_schema.field_at(parent))
                            {
                                Some(FieldSchema { ty: FieldType::Object(fields), .. }) => {
                                    fields.iter().map(|field| field.name).collect()
                                }
                                _ => kind_schema.fields.iter().map(|field| field.name).collect(),
                            };
                            let last = field_path.rsplit('.').next().unwrap_or(field_path);
                            let diagnostic = Diagnostic::error(format!(
                                "`ignoreChanges` names `{}`, which is not a {} spec field",
                                shorten(field_path),
                                kind_schema.kind
                            ))
                            .with_primary(self.node_span(item), "")
                            .with_help_opt(did_you_mean(last, candidates.iter().copied()));
                            self.error(diagnostic);
                            continue;
                        }
                        lifecycle.ignore_changes.push(field_path.to_owned());
                    }
                }
                "timeouts" => {
                    self.remember(&path, key, value);
                    let NodeValue::Map(timeouts) = &value.value else {
                        self.type_error(
                            "`timeouts`",
                            "a mapping with `create`, `update` and `delete`",
                            value,
                        );
                        continue;
                    };
                    for (key, value) in self.entries(timeouts, "`timeouts`") {
                        let slot = match key.text.as_str() {
                            "create" => &mut lifecycle.timeouts.create,
                            "update" => &mut lifecycle.timeouts.update,
                            "delete" => &mut lifecycle.timeouts.delete,
                            _ => {
                                let diagnostic = Diagnostic::error(format!(
                                    "unknown key `{}` in `timeouts`",
                                    key.text
                                ))
                                .with_primary(self.key_span(key), "")
                                .with_help_opt(did_you_mean(
                                    &key.text,
                                    schema::TIMEOUT_KEYS.iter().copied(),
                                ))
                                .with_note("timeouts are `create`, `update` and `delete`");
                                self.error(diagnostic);
                                continue;
                            }
                        };
                        const TIMEOUT: FieldType =
                            FieldType::Duration { min_secs: None, max_secs: None };
                        let timeout_path = format!("lifecycle.timeouts.{}", key.text);
                        if let Some(Value::Duration(duration)) = self.value(
                            &TIMEOUT,
                            value,
                            &timeout_path,
                            &format!("timeouts.{}", key.text),
                        ) {
                            *slot = Some(duration);
                        }
                    }
                }
                _ => {
                    let diagnostic =
                        Diagnostic::error(format!("unknown key `{}` in `lifecycle`", key.text))
                            .with_primary(self.key_span(key), "")
                            .with_help_opt(did_you_mean(
                                &key.text,
                                schema::LIFECYCLE_KEYS.iter().copied(),
                            ))
                            .with_note(format!(
                                "lifecycle keys are {}",
                                one_of(schema::LIFECYCLE_KEYS, schema::LIFECYCLE_KEYS.len())
                            ));
                    self.error(diagnostic);
                }
            }
        }
        lifecycle
    }

    /// Rules between fields of one spec.
    fn kind_rules(
        &mut self,
        kind_schema: &KindSchema,
        spec: &mut BTreeMap<String, Value>,
        spec_key: &Key,
    ) {
        let spec_span = self.key_span(spec_key);
        match kind_schema.kind {
            ResourceKind::Deployment => self.deployment_rules(spec, spec_span),
            ResourceKind::Dataset => {
                let sources: Vec<&str> = ["path", "rows", "existing"]
                    .into_iter()
                    .filter(|source| self.locations.contains_key(&format!("spec.{source}")))
                    .collect();
                match sources.as_slice() {
                    [] => {
                        let diagnostic = Diagnostic::error("a Dataset needs a source: one of `path`, `rows` or `existing`")
                            .with_primary(spec_span.clone(), "no source in this spec")
                            .with_help("add `path: data/train.jsonl` (relative to this file), inline `rows:`, or `existing: <dataset id>`");
                        self.error(diagnostic);
                    }
                    [_] => {}
                    [first, rest @ ..] => {
                        let mut diagnostic = Diagnostic::error(format!(
                            "a Dataset takes exactly one source, found {}",
                            one_of(&sources, 3)
                        ));
                        for other in rest {
                            let span = self.field_key_span(&format!("spec.{other}"), &spec_span);
                            diagnostic = diagnostic.with_primary(span, "second source");
                        }
                        let span = self.field_key_span(&format!("spec.{first}"), &spec_span);
                        diagnostic = diagnostic
                            .with_secondary(span, "first source")
                            .with_help("keep one of them");
                        self.error(diagnostic);
                    }
                }
                self.dataset_format_rule(spec, &spec_span);
                if sources == ["existing"] {
                    for field in ["datasetId", "format"] {
                        if self.locations.contains_key(&format!("spec.{field}")) {
                            let span = self.field_key_span(&format!("spec.{field}"), &spec_span);
                            let diagnostic = Diagnostic::error(format!(
                                "`{field}` has no effect on an `existing` dataset"
                            ))
                            .with_primary(span, "")
                            .with_help(format!(
                                "remove `{field}`; an existing dataset is adopted as it is"
                            ));
                            self.error(diagnostic);
                        }
                    }
                }
            }
            ResourceKind::SupervisedFineTuningJob => {
                self.exactly_one_base("spec", "SupervisedFineTuningJob spec", &spec_span);
            }
            ResourceKind::ReinforcementFineTuningJob => {
                if self.locations.contains_key("spec.trainingConfig") {
                    let span = self.field_key_span("spec.trainingConfig", &spec_span);
                    self.exactly_one_base("spec.trainingConfig", "`trainingConfig`", &span);
                }
            }
            ResourceKind::BatchInferenceJob => {
                if !self.locations.contains_key("spec.continuedFromJobName") {
                    for field in ["model", "inputDatasetId"] {
                        if !self.locations.contains_key(&format!("spec.{field}")) {
                            let diagnostic = Diagnostic::error(format!(
                                "missing required field `{field}` in BatchInferenceJob spec"
                            ))
                            .with_primary(spec_span.clone(), format!("`{field}` is required here"))
                            .with_note(
                                "only a job that sets `continuedFromJobName` may leave it out",
                            );
                            self.error(diagnostic);
                        }
                    }
                }
            }
            ResourceKind::LoraAddon => {}
        }
    }

    /// A Dataset's `format` against its rows: CHAT rows have `messages`, COMPLETION rows
    /// `prompt` and `completion`.
    fn dataset_format_rule(&mut self, spec: &BTreeMap<String, Value>, spec_span: &SourceSpan) {
        let Some(Value::String(format)) = spec.get("format") else { return };
        let Some(rows) = self.dataset_rows.take() else { return };
        let (expects, other) = match format.as_str() {
            "CHAT" => ("have `messages`", "is a prompt/completion pair"),
            "COMPLETION" => ("have `prompt` and `completion`", "has `messages`"),
            _ => return,
        };
        let chat = format == "CHAT";
        let (row, row_span) = match &rows {
            DatasetRows::Inline(formats) => {
                let found = if chat { &formats.completion } else { &formats.chat };
                let Some((index, span)) = found else { return };
                (format!("`rows[{index}]`"), Some(span.clone()))
            }
            DatasetRows::File(shown, formats) => {
                let found = if chat { formats.completion } else { formats.chat };
                let Some(line) = found else { return };
                (format!("line {line} of `{}`", shown.display()), None)
            }
        };
        let format_span = self.field_value_span("spec.format", spec_span);
        let mut diagnostic = Diagnostic::error(format!("`format` is {format}, but {row} {other}"))
            .with_primary(format_span, format!("{format} rows {expects}"));
        if let Some(span) = row_span {
            diagnostic = diagnostic.with_secondary(span, format!("this row {other}"));
        }
        self.error(diagnostic.with_help(
            "rows with `messages` are CHAT; rows with `prompt` and `completion` are COMPLETION",
        ));
    }

    fn deployment_rules(&mut self, spec: &mut BTreeMap<String, Value>, spec_span: SourceSpan) {
        let deployment_type = match spec.get("deploymentType") {
            Some(Value::String(text)) => text.clone(),
            _ if self.locations.contains_key("spec.deploymentType") => return,
            _ => {
                spec.insert(
                    "deploymentType".to_owned(),
                    Value::String(schema::DEFAULT_DEPLOYMENT_TYPE.to_owned()),
                );
                schema::DEFAULT_DEPLOYMENT_TYPE.to_owned()
            }
        };
        match deployment_type.as_str() {
            "serverless" => {
                let extra: Vec<String> = self
                    .locations
                    .keys()
                    .filter_map(|path| path.strip_prefix("spec."))
                    .filter(|field| !field.contains('.') && !field.contains('['))
                    .filter(|field| !schema::SERVERLESS_DEPLOYMENT_FIELDS.contains(field))
                    .map(str::to_owned)
                    .collect();
                for field in extra {
                    let span = self.field_key_span(&format!("spec.{field}"), &spec_span);
                    let type_span = self.field_key_span("spec.deploymentType", &spec_span);
                    let diagnostic = Diagnostic::error(format!("`{field}` cannot be set on a serverless deployment"))
                        .with_primary(span, "only for on-demand deployments")
                        .with_secondary(type_span, "serverless here")
                        .with_note("a serverless deployment uses Fireworks' shared hardware; fireform creates nothing for it")
                        .with_help("remove the field, or use `deploymentType: on-demand` (or `auto`)");
                    self.error(diagnostic);
                }
            }
            "on-demand"
                if !spec.contains_key("acceleratorType")
                    && !self.locations.contains_key("spec.acceleratorType")
                    && !self.locations.contains_key("spec.deploymentShape") =>
            {
                let diagnostic = Diagnostic::error("an on-demand deployment needs `acceleratorType` (or a `deploymentShape`)")
                        .with_primary(spec_span.clone(), "no hardware chosen in this spec")
                        .with_help("add e.g. `acceleratorType: NVIDIA_H100_80GB`, or set `deploymentType: serverless` to use the shared serverless model");
                self.error(diagnostic);
            }
            _ => {}
        }
        if let (Some(Value::Int(min)), Some(Value::Int(max))) =
            (spec.get("minReplicaCount"), spec.get("maxReplicaCount"))
            && min > max
            && *max != 0
        {
            let min_span = self.field_value_span("spec.minReplicaCount", &spec_span);
            let max_span = self.field_value_span("spec.maxReplicaCount", &spec_span);
            let diagnostic = Diagnostic::error(format!(
                "`minReplicaCount` ({min}) is greater than `maxReplicaCount` ({max})"
            ))
            .with_primary(min_span, "")
            .with_secondary(max_span, "maximum set here")
            .with_help("raise `maxReplicaCount` or lower `minReplicaCount`");
            self.error(diagnostic);
        }
    }

    fn exactly_one_base(&mut self, object_path: &str, owner: &str, fallback: &SourceSpan) {
        let base = format!("{object_path}.baseModel");
        let warm = format!("{object_path}.warmStartFrom");
        match (self.locations.contains_key(&base), self.locations.contains_key(&warm)) {
            (true, true) => {
                let diagnostic = Diagnostic::error(format!("{owner} sets both `baseModel` and `warmStartFrom`"))
                    .with_primary(self.field_key_span(&warm, fallback), "")
                    .with_secondary(self.field_key_span(&base, fallback), "`baseModel` set here")
                    .with_help("keep `baseModel` to train a new addon, or `warmStartFrom` to continue from an existing one");
                self.error(diagnostic);
            }
            (false, false) => {
                let diagnostic = Diagnostic::error(format!(
                    "{owner} needs `baseModel` or `warmStartFrom`"
                ))
                .with_primary(fallback.clone(), "neither is set")
                .with_help(
                    "add e.g. `baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct`",
                );
                self.error(diagnostic);
            }
            _ => {}
        }
    }

    fn field_key_span(&self, path: &str, fallback: &SourceSpan) -> SourceSpan {
        self.locations.get(path).map_or_else(|| fallback.clone(), |location| location.key.clone())
    }

    fn field_value_span(&self, path: &str, fallback: &SourceSpan) -> SourceSpan {
        self.locations.get(path).map_or_else(|| fallback.clone(), |location| location.value.clone())
    }
}

/// A fix for a string that is not an address: the address inside `${…}`, or the kind prefix
/// meant.
fn address_help(text: &str) -> Option<String> {
    let unwrapped = text.strip_prefix("${").and_then(|inner| inner.strip_suffix('}'));
    if let Some(inner) = unwrapped.filter(|inner| inner.parse::<ResourceAddr>().is_ok()) {
        return Some(format!("write the plain address `{inner}`"));
    }
    let (prefix, _) = text.split_once('/')?;
    let prefixes = ResourceKind::ALL.map(ResourceKind::addr_prefix);
    ResourceKind::from_manifest_name(prefix)
        .map(|kind| format!("did you mean `{}`?", kind.addr_prefix()))
        .or_else(|| did_you_mean(prefix, prefixes))
}

/// A kind in prose without its article: `deployment`, `supervised fine-tuning job`.
fn kind_noun(kind: ResourceKind) -> &'static str {
    let described = NameOf::Resource(kind).describe();
    described.strip_prefix("an ").or_else(|| described.strip_prefix("a ")).unwrap_or(described)
}

/// A row as a spec value: the same data, with the map keys sorted as [`Value::Map`] keeps them.
fn spec_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(value) => Value::Bool(*value),
        Json::Number(number) => match number.as_i64() {
            Some(value) if !number.is_f64() => Value::Int(value),
            _ => Value::Float(number.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(text) => Value::String(text.clone()),
        Json::Array(items) => Value::List(items.iter().map(spec_value).collect()),
        Json::Object(entries) => Value::Map(
            entries.iter().map(|(key, value)| (key.clone(), spec_value(value))).collect(),
        ),
    }
}

fn entries_has(node: &Node, name: &str) -> bool {
    matches!(&node.value, NodeValue::Map(entries) if entries.iter().any(|(key, _)| key.text == name))
}

/// Removes `.` and resolves `..` lexically, without touching the file system.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !normalized.pop() {
                    normalized.push(component);
                }
            }
            other => normalized.push(other),
        }
    }
    normalized
}

/// Reads a JSONL file: the first line of each row format, or what is wrong with its content
/// (empty, unreadable, or a line that is not a JSON object).
fn read_jsonl(path: &Path) -> Result<RowFormats<usize>, String> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => return Err(format!("cannot be read: {error}")),
    };
    let Ok(text) = std::str::from_utf8(&text) else {
        return Err("is not UTF-8 text".to_owned());
    };
    if text.trim().is_empty() {
        return Err("is empty; the API refuses empty datasets".to_owned());
    }
    let mut formats = RowFormats::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(row)) => formats.add(&row, || index + 1),
            Ok(_) => {
                return Err(format!("has a line that is not a JSON object (line {})", index + 1));
            }
            Err(error) => return Err(format!("has invalid JSON on line {}: {error}", index + 1)),
        }
    }
    Ok(formats)
}

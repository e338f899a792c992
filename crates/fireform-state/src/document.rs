//! The state document: what fireform manages, as recorded after each resource operation.
//!
//! [`StateDocument`] holds the header (format version, serial, lineage, writer version) and one
//! [`ResourceState`] per managed resource, keyed by address. It converts to and from the JSON
//! described in `FORMAT.md` with deterministic output (sorted keys, two-space indentation). It
//! does not touch files or locks: that is [`crate::Backend`]'s job.

use std::collections::{BTreeMap, BTreeSet};

use fireform_core::{ResourceAddr, ResourceKind};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::error::DocumentError;
use crate::lock::random_id;
use crate::time::now_rfc3339;

/// The version of the state format this build reads and writes. It changes only for changes an
/// older fireform could not read correctly; adding an optional field keeps it, and older builds
/// keep fields they do not know when they rewrite the file.
pub const FORMAT_VERSION: u32 = 1;

/// The top-level field of creates started and not yet recorded (see
/// [`StateDocument::intents`]).
const INTENTS: &str = "creating";
/// The top-level field of outputs kept by destroyed jobs (see [`StateDocument::kept_output`]).
const KEPT_OUTPUTS: &str = "keptOutputs";

/// The whole recorded state of one project.
#[derive(Debug, Clone, PartialEq)]
pub struct StateDocument {
    serial: u64,
    lineage: String,
    fireform_version: String,
    // Invariant: every key equals its record's address.
    resources: BTreeMap<ResourceAddr, ResourceState>,
    // Top-level fields written by a newer minor revision of the format, kept verbatim.
    extra: BTreeMap<String, Value>,
}

/// What fireform recorded about one resource the last time it applied it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceState {
    addr: ResourceAddr,
    /// The Fireworks resource id (the last segment of [`remote_name`](Self::remote_name)).
    pub id: String,
    /// The full Fireworks name, e.g. `accounts/acme/deployments/shared-base`.
    pub remote_name: String,
    /// The spec last applied, resolved (references replaced by values) and wire-shaped.
    pub spec: Map<String, Value>,
    /// Values learned at apply time: server-generated ids, output models, content hashes.
    pub values: BTreeMap<String, Value>,
    /// The resources this one depended on when it was applied; used to order deletions once the
    /// manifest that declared them is gone.
    pub dependencies: BTreeSet<ResourceAddr>,
    /// Whether the resource exists but its creation did not finish (e.g. it never became
    /// ready): the next plan replaces it, as Terraform does with tainted resources.
    pub tainted: bool,
    /// When this record last changed, RFC 3339.
    pub updated_at: String,
    // Fields written by a newer minor revision of the format, kept verbatim.
    extra: BTreeMap<String, Value>,
}

impl ResourceState {
    /// A record for `addr` with its Fireworks id, full name and the spec just applied; no
    /// values, no dependencies, not tainted, updated now.
    pub fn new(
        addr: ResourceAddr,
        id: impl Into<String>,
        remote_name: impl Into<String>,
        spec: Map<String, Value>,
    ) -> ResourceState {
        ResourceState {
            addr,
            id: id.into(),
            remote_name: remote_name.into(),
            spec,
            values: BTreeMap::new(),
            dependencies: BTreeSet::new(),
            tainted: false,
            updated_at: now_rfc3339(),
            extra: BTreeMap::new(),
        }
    }

    /// The address of the resource; the key of this record in [`StateDocument`].
    pub fn addr(&self) -> &ResourceAddr {
        &self.addr
    }

    /// The kind of the resource, from its address.
    pub fn kind(&self) -> ResourceKind {
        self.addr.kind
    }

    /// The same record under another address (`state mv`). The caller checks that the kinds
    /// agree.
    pub fn readdressed(self, addr: ResourceAddr) -> ResourceState {
        ResourceState { addr, ..self }
    }

    /// Sets [`updated_at`](Self::updated_at) to now.
    pub fn touch(&mut self) {
        self.updated_at = now_rfc3339();
    }
}

impl Default for StateDocument {
    fn default() -> StateDocument {
        StateDocument::new()
    }
}

impl StateDocument {
    /// An empty state with a fresh random lineage and serial 0 (never saved).
    pub fn new() -> StateDocument {
        StateDocument {
            serial: 0,
            lineage: random_id(),
            fireform_version: crate::FIREFORM_VERSION.to_owned(),
            resources: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }

    /// The format version of this document: always [`FORMAT_VERSION`], since older and newer
    /// ones are refused on load.
    pub fn format_version(&self) -> u32 {
        FORMAT_VERSION
    }

    /// How many changes this state has seen: 0 when new, one more for every
    /// [`bump_serial`](Self::bump_serial). A saved plan records it to detect a stale state.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The random id fixed when this state was first created; it never changes, so two states
    /// with different lineages are different histories, not versions of one.
    pub fn lineage(&self) -> &str {
        &self.lineage
    }

    /// The fireform version that last wrote this document.
    pub fn fireform_version(&self) -> &str {
        &self.fireform_version
    }

    /// Records one more change: increments the serial and stamps this build's version. Call it
    /// once per change before saving ([`crate::StateStore::update`] does).
    pub fn bump_serial(&mut self) {
        self.serial = self.serial.saturating_add(1);
        crate::FIREFORM_VERSION.clone_into(&mut self.fireform_version);
    }

    /// Takes everything from `other` (lineage, resources, intents) but keeps the serial going
    /// up from the greater of the two, so that the next save is accepted where either was
    /// stored: for `state push` and `state migrate`, which the caller checks first.
    pub fn replace_with(&mut self, other: StateDocument) {
        let serial = self.serial.max(other.serial);
        *self = other;
        self.serial = serial;
    }

    /// The record of the resource at `addr`, if it is managed.
    pub fn resource(&self, addr: &ResourceAddr) -> Option<&ResourceState> {
        self.resources.get(addr)
    }

    /// The record of the resource at `addr`, to change it in place.
    pub fn resource_mut(&mut self, addr: &ResourceAddr) -> Option<&mut ResourceState> {
        self.resources.get_mut(addr)
    }

    /// Every managed resource, in address order.
    pub fn resources(&self) -> impl ExactSizeIterator<Item = &ResourceState> {
        self.resources.values()
    }

    /// How many resources are managed.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether no resource is managed.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// Adds or replaces the record of `resource`'s address, returning the replaced one.
    pub fn upsert(&mut self, resource: ResourceState) -> Option<ResourceState> {
        self.resources.insert(resource.addr.clone(), resource)
    }

    /// Forgets the resource at `addr`, returning its record.
    pub fn remove(&mut self, addr: &ResourceAddr) -> Option<ResourceState> {
        self.resources.remove(addr)
    }

    /// The creates started and not yet recorded, by address: the full name the object will
    /// have (empty where the server picks the id). An object found in the account that is not
    /// in state is fireform's own only when its create was recorded here first.
    pub fn intents(&self) -> BTreeMap<ResourceAddr, String> {
        self.section(INTENTS)
            .filter_map(|(addr, entry)| {
                let name = entry.get("remoteName").and_then(Value::as_str).unwrap_or_default();
                Some((addr.parse().ok()?, name.to_owned()))
            })
            .collect()
    }

    /// The intent recorded for `addr`, if any: see [`intents`](Self::intents).
    pub fn intent(&self, addr: &ResourceAddr) -> Option<String> {
        let entry = self.extra.get(INTENTS)?.get(addr.to_string())?;
        Some(entry.get("remoteName").and_then(Value::as_str).unwrap_or_default().to_owned())
    }

    /// When the intent of `addr` was recorded (RFC 3339), if it was.
    pub fn intent_since(&self, addr: &ResourceAddr) -> Option<String> {
        let entry = self.extra.get(INTENTS)?.get(addr.to_string())?;
        entry.get("since").and_then(Value::as_str).map(str::to_owned)
    }

    /// Records that `addr` is about to be created as `remote_name` (empty where the server
    /// picks the id). Save it before sending the create.
    pub fn record_intent(&mut self, addr: &ResourceAddr, remote_name: &str) {
        let entry = serde_json::json!({"remoteName": remote_name, "since": now_rfc3339()});
        self.section_mut(INTENTS).insert(addr.to_string(), entry);
    }

    /// Drops the intent of `addr` (its object is recorded, or was never created).
    pub fn clear_intent(&mut self, addr: &ResourceAddr) {
        self.remove_from_section(INTENTS, &addr.to_string());
    }

    /// The output (a model or dataset, by full name) that a job destroyed with
    /// `lifecycle.keepOutputs` left in the account, and the job's address: the job's own output
    /// when it is applied again.
    pub fn kept_output(&self, name: &str) -> Option<ResourceAddr> {
        self.extra.get(KEPT_OUTPUTS)?.get(name)?.as_str()?.parse().ok()
    }

    /// Records that destroying `addr` kept its output `name` in the account.
    pub fn record_kept_output(&mut self, name: &str, addr: &ResourceAddr) {
        self.section_mut(KEPT_OUTPUTS).insert(name.to_owned(), Value::String(addr.to_string()));
    }

    /// Forgets a kept output (applied again as its job's output, or deleted).
    pub fn clear_kept_output(&mut self, name: &str) {
        self.remove_from_section(KEPT_OUTPUTS, name);
    }

    fn section(&self, key: &str) -> impl Iterator<Item = (&String, &Value)> {
        self.extra.get(key).and_then(Value::as_object).into_iter().flatten()
    }

    fn section_mut(&mut self, key: &str) -> &mut Map<String, Value> {
        let entry = self.extra.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        entry.as_object_mut().expect("made an object just above")
    }

    fn remove_from_section(&mut self, key: &str, entry: &str) {
        if let Some(Value::Object(map)) = self.extra.get_mut(key) {
            map.remove(entry);
            if map.is_empty() {
                self.extra.remove(key);
            }
        }
    }

    /// Parses a state document, refusing other format versions before looking at anything
    /// else, so that a newer format gets a version error rather than a confusing parse error.
    pub fn from_json(text: &str) -> Result<StateDocument, DocumentError> {
        check_format_version(text)?;
        let raw: RawDocument = serde_json::from_str(text).map_err(DocumentError::Json)?;
        raw.validate()
    }

    /// The document as pretty JSON with a trailing newline: fields in the documented order,
    /// resources in address order, keys inside `spec` and `values` sorted. Equal documents give
    /// identical bytes.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .expect("a state document always serialises: string keys, finite JSON values");
        text.push('\n');
        text
    }
}

/// Reads the header of a state document (serial and lineage), refusing other format versions
/// like [`StateDocument::from_json`], without building the resources.
pub(crate) fn read_header(text: &str) -> Result<Header, DocumentError> {
    check_format_version(text)?;
    serde_json::from_str(text).map_err(DocumentError::Json)
}

/// Refuses a document whose `formatVersion` is not [`FORMAT_VERSION`]. A missing one is left for
/// the full parse to report.
fn check_format_version(text: &str) -> Result<(), DocumentError> {
    match format_version_of(text)? {
        Some(found) if found != FORMAT_VERSION => Err(DocumentError::UnsupportedVersion {
            found,
            supported: FORMAT_VERSION,
            fireform: crate::FIREFORM_VERSION,
        }),
        _ => Ok(()),
    }
}

/// Reads only `formatVersion`, skipping everything else without building it.
fn format_version_of(text: &str) -> Result<Option<u32>, DocumentError> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "formatVersion")]
        format_version: Option<u32>,
    }
    let probe: Probe = serde_json::from_str(text).map_err(DocumentError::Json)?;
    Ok(probe.format_version)
}

/// The header fields, read without the resources: what the local backend compares before
/// overwriting a file.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Header {
    pub(crate) serial: u64,
    pub(crate) lineage: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDocument {
    #[serde(rename = "formatVersion")]
    _format_version: u32,
    serial: u64,
    lineage: String,
    fireform_version: String,
    #[serde(default)]
    resources: BTreeMap<String, RawResource>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResource {
    addr: ResourceAddr,
    kind: String,
    id: String,
    remote_name: String,
    spec: Map<String, Value>,
    #[serde(default)]
    values: BTreeMap<String, Value>,
    #[serde(default)]
    dependencies: BTreeSet<ResourceAddr>,
    #[serde(default)]
    tainted: bool,
    updated_at: String,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

impl RawDocument {
    fn validate(self) -> Result<StateDocument, DocumentError> {
        if self.lineage.is_empty() {
            return Err(DocumentError::Inconsistent("`lineage` is empty".to_owned()));
        }
        let mut resources = BTreeMap::new();
        for (key, raw) in self.resources {
            if key != raw.addr.to_string() {
                return Err(DocumentError::Inconsistent(format!(
                    "resource `{key}` records address `{}`",
                    raw.addr
                )));
            }
            if raw.kind != raw.addr.kind.manifest_name() {
                return Err(DocumentError::Inconsistent(format!(
                    "resource `{key}` has kind `{}`, expected `{}`",
                    raw.kind,
                    raw.addr.kind.manifest_name()
                )));
            }
            let resource = ResourceState {
                addr: raw.addr,
                id: raw.id,
                remote_name: raw.remote_name,
                spec: raw.spec,
                values: raw.values,
                dependencies: raw.dependencies,
                tainted: raw.tainted,
                updated_at: raw.updated_at,
                extra: raw.extra,
            };
            resources.insert(resource.addr.clone(), resource);
        }
        Ok(StateDocument {
            serial: self.serial,
            lineage: self.lineage,
            fireform_version: self.fireform_version,
            resources,
            extra: self.extra,
        })
    }
}

impl Serialize for StateDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("formatVersion", &FORMAT_VERSION)?;
        map.serialize_entry("serial", &self.serial)?;
        map.serialize_entry("lineage", &self.lineage)?;
        map.serialize_entry("fireformVersion", &self.fireform_version)?;
        map.serialize_entry("resources", &Resources(&self.resources))?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, &Canonical(value))?;
        }
        map.end()
    }
}

struct Resources<'a>(&'a BTreeMap<ResourceAddr, ResourceState>);

impl Serialize for Resources<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (addr, resource) in self.0 {
            map.serialize_entry(&addr.to_string(), resource)?;
        }
        map.end()
    }
}

impl Serialize for ResourceState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("addr", &self.addr)?;
        map.serialize_entry("kind", self.addr.kind.manifest_name())?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("remoteName", &self.remote_name)?;
        map.serialize_entry("spec", &CanonicalMap(self.spec.iter()))?;
        if !self.values.is_empty() {
            map.serialize_entry("values", &CanonicalMap(self.values.iter()))?;
        }
        if !self.dependencies.is_empty() {
            map.serialize_entry("dependencies", &self.dependencies)?;
        }
        if self.tainted {
            map.serialize_entry("tainted", &true)?;
        }
        map.serialize_entry("updatedAt", &self.updated_at)?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, &Canonical(value))?;
        }
        map.end()
    }
}

/// Serialises a JSON value with every object's keys sorted, whatever order it was built in.
struct Canonical<'a>(&'a Value);

impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(object) => CanonicalMap(object.iter()).serialize(serializer),
            Value::Array(items) => serializer.collect_seq(items.iter().map(Canonical)),
            scalar => scalar.serialize(serializer),
        }
    }
}

/// Serialises map entries sorted by key, values canonical.
struct CanonicalMap<I>(I);

impl<'a, I> Serialize for CanonicalMap<I>
where
    I: Iterator<Item = (&'a String, &'a Value)> + Clone,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(&String, &Value)> = self.0.clone().collect();
        entries.sort_unstable_by(|left, right| left.0.cmp(right.0));
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (key, value) in entries {
            map.serialize_entry(key, &Canonical(value))?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn addr(text: &str) -> ResourceAddr {
        text.parse().unwrap()
    }

    fn sample() -> StateDocument {
        let mut document = StateDocument::new();
        let spec = json!({"minReplicaCount": 0, "baseModel": "accounts/fireworks/models/m",
                          "autoscaling": {"window": "600s", "cooldown": "60s"}});
        let mut deployment = ResourceState::new(
            addr("deployment/shared-base"),
            "shared-base",
            "accounts/acme/deployments/shared-base",
            spec.as_object().unwrap().clone(),
        );
        deployment.updated_at = "2026-01-02T03:04:05Z".to_owned();
        let mut job = ResourceState::new(
            addr("supervised-fine-tuning-job/ft"),
            "ft",
            "accounts/acme/supervisedFineTuningJobs/ft",
            Map::new(),
        );
        job.values.insert("outputModel".to_owned(), json!("accounts/acme/models/ft"));
        job.dependencies.insert(addr("dataset/chats"));
        job.tainted = true;
        job.updated_at = "2026-01-02T03:04:06Z".to_owned();
        document.upsert(job);
        document.upsert(deployment);
        document.bump_serial();
        document
    }

    #[test]
    fn round_trips_through_json() {
        let document = sample();
        let text = document.to_json();
        let back = StateDocument::from_json(&text).unwrap();
        assert_eq!(back, document);
        assert_eq!(back.to_json(), text);
        assert_eq!(back.serial(), 1);
        assert_eq!(back.lineage(), document.lineage());
    }

    #[test]
    fn writes_fields_in_documented_order_with_sorted_spec_keys() {
        let document = sample();
        let text = document.to_json().replace(document.lineage(), "LINEAGE");
        let expected = format!(
            r#"{{
  "formatVersion": 1,
  "serial": 1,
  "lineage": "LINEAGE",
  "fireformVersion": "{}",
  "resources": {{
    "deployment/shared-base": {{
      "addr": "deployment/shared-base",
      "kind": "Deployment",
      "id": "shared-base",
      "remoteName": "accounts/acme/deployments/shared-base",
      "spec": {{
        "autoscaling": {{
          "cooldown": "60s",
          "window": "600s"
        }},
        "baseModel": "accounts/fireworks/models/m",
        "minReplicaCount": 0
      }},
      "updatedAt": "2026-01-02T03:04:05Z"
    }},
    "supervised-fine-tuning-job/ft": {{
      "addr": "supervised-fine-tuning-job/ft",
      "kind": "SupervisedFineTuningJob",
      "id": "ft",
      "remoteName": "accounts/acme/supervisedFineTuningJobs/ft",
      "spec": {{}},
      "values": {{
        "outputModel": "accounts/acme/models/ft"
      }},
      "dependencies": [
        "dataset/chats"
      ],
      "tainted": true,
      "updatedAt": "2026-01-02T03:04:06Z"
    }}
  }}
}}
"#,
            crate::FIREFORM_VERSION
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn newer_format_version_is_refused_naming_both_versions() {
        // A future format may change anything but `formatVersion`; the version error wins.
        let error =
            StateDocument::from_json(r#"{"formatVersion": 2, "resources": [1, 2]}"#).unwrap_err();
        assert!(
            matches!(error, DocumentError::UnsupportedVersion { found: 2, supported: 1, .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("state format version 2"), "{message}");
        assert!(message.contains("reads format version 1"), "{message}");
        assert!(message.contains("upgrade fireform"), "{message}");
    }

    #[test]
    fn missing_format_version_is_a_parse_error() {
        let error = StateDocument::from_json(r#"{"serial": 1}"#).unwrap_err();
        let DocumentError::Json(source) = error else { panic!("{error:?}") };
        assert!(source.to_string().contains("formatVersion"), "{source}");
    }

    #[test]
    fn unknown_fields_survive_a_rewrite() {
        let mut value: Value = serde_json::from_str(&sample().to_json()).unwrap();
        value["futureTopLevel"] = json!({"b": 1, "a": [true]});
        value["resources"]["deployment/shared-base"]["futureField"] = json!("kept");
        let document = StateDocument::from_json(&value.to_string()).unwrap();
        let rewritten: Value = serde_json::from_str(&document.to_json()).unwrap();
        assert_eq!(rewritten["futureTopLevel"], json!({"a": [true], "b": 1}));
        assert_eq!(rewritten["resources"]["deployment/shared-base"]["futureField"], "kept");
    }

    #[test]
    fn contradictions_are_refused() {
        let text = sample().to_json();
        for (from, to, expected) in [
            (
                r#""kind": "Deployment""#,
                r#""kind": "Dataset""#,
                "has kind `Dataset`, expected `Deployment`",
            ),
            (
                r#""addr": "deployment/shared-base""#,
                r#""addr": "deployment/other""#,
                "resource `deployment/shared-base` records address `deployment/other`",
            ),
        ] {
            let error = StateDocument::from_json(&text.replacen(from, to, 1)).unwrap_err();
            assert!(error.to_string().contains(expected), "{error}");
        }
        let error = StateDocument::from_json(&text.replacen(r#""spec": {}"#, r#""spec": 3"#, 1))
            .unwrap_err();
        assert!(matches!(error, DocumentError::Json(_)), "{error:?}");
    }

    #[test]
    fn upsert_remove_and_readdress() {
        let mut document = sample();
        let from = addr("deployment/shared-base");
        let to = addr("deployment/renamed");
        let record = document.remove(&from).unwrap();
        assert!(document.upsert(record.readdressed(to.clone())).is_none());
        assert!(document.resource(&from).is_none());
        assert_eq!(document.resource(&to).unwrap().id, "shared-base");
        let addrs: Vec<String> = document.resources().map(|r| r.addr().to_string()).collect();
        assert_eq!(addrs, ["deployment/renamed", "supervised-fine-tuning-job/ft"]);
    }

    #[test]
    fn the_example_in_format_md_is_a_valid_document() {
        let format = include_str!("../FORMAT.md");
        let start = format.find("```json\n").unwrap() + "```json\n".len();
        let end = start + format[start..].find("```").unwrap();
        let example = &format[start..end];
        let document = StateDocument::from_json(example).unwrap();
        assert_eq!(document.serial(), 12);
        assert_eq!(document.len(), 4);
        // The example is written exactly as fireform writes it.
        assert_eq!(document.to_json(), example);
    }
}

//! The world: every resource the emulator holds, with the instants of their pending lifecycle
//! transitions, the dataset files, the upload/download tokens and the audit log; and how it is
//! kept on disk (one JSON document written atomically, plus one file per uploaded blob).
//!
//! The world is plain data. It does not decide what a request means (that is `api`) nor when a
//! transition is due (that is `lifecycle`).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use fireform_api::{
    BatchInferenceJob, Collection, Dataset, DeployedModel, Deployment, Evaluator, Model,
    ReinforcementFineTuningJob, SupervisedFineTuningJob,
};
use serde::{Deserialize, Serialize};

use crate::error::EmulatorError;

/// Version of the world document; a newer one is refused rather than misread.
const WORLD_VERSION: u32 = 1;

/// File name of the world document inside the data directory.
pub(crate) const WORLD_FILE: &str = "world.json";

/// The audit log keeps at most this many entries (the oldest are dropped).
const AUDIT_CAPACITY: usize = 100_000;

/// A resource with the lifecycle transitions still ahead of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tracked<T> {
    pub(crate) resource: T,
    pub(crate) created_ms: u64,
    /// Future transitions in ascending `at_ms` order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) steps: Vec<Step>,
}

impl<T> Tracked<T> {
    pub(crate) fn new(resource: T, created_ms: u64) -> Self {
        Self { resource, created_ms, steps: Vec::new() }
    }

    /// Removes and returns the transitions due at `now`.
    pub(crate) fn take_due(&mut self, now: u64) -> Vec<Phase> {
        let due = self.steps.iter().take_while(|step| step.at_ms <= now).count();
        self.steps.drain(..due).map(|step| step.to).collect()
    }

    /// Replaces the pending transitions. The answer must go to [`World::track`] once the
    /// resource is in the world, so the transitions are applied when due.
    pub(crate) fn schedule(&mut self, steps: Vec<Step>) -> Due {
        self.steps = steps;
        self.due()
    }

    /// When the next transition is due, for [`World::track`].
    pub(crate) fn due(&self) -> Due {
        Due(self.steps.first().map(|step| step.at_ms))
    }
}

/// The instant of a resource's next transition, as [`Tracked::schedule`] reports it. It must be
/// handed to [`World::track`]: a transition the world does not index is never applied.
#[must_use = "hand it to `World::track`, or the transition is never applied"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Due(Option<u64>);

/// One pending transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Step {
    pub(crate) at_ms: u64,
    pub(crate) to: Phase,
}

impl Step {
    pub(crate) fn at(at_ms: u64, to: Phase) -> Self {
        Self { at_ms, to }
    }
}

/// Where a transition leads; each resource kind uses the phases that make sense for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "camelCase")]
pub(crate) enum Phase {
    /// Deployment `READY` / deployed model `DEPLOYED`.
    Ready,
    /// Deployment `FAILED`, deployed model failed load, job `JOB_STATE_FAILED`.
    Failed { message: String },
    /// Deployment soft-deleted: `DELETED`.
    SoftDeleted,
    /// The record disappears (hard delete, purge, unload).
    Gone,
    /// Job `JOB_STATE_RUNNING`.
    Running,
    /// Job `JOB_STATE_COMPLETED`, with its side effects.
    Completed,
}

/// A file registered for a dataset by `:getUploadEndpoint` or stored by `:upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DatasetFile {
    /// The size announced when the upload URL was handed out.
    pub(crate) expected_size: u64,
    /// The size actually stored; `None` while the upload is pending.
    pub(crate) stored_size: Option<u64>,
}

/// Where a handed-out upload URL writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UploadTarget {
    pub(crate) dataset: String,
    pub(crate) filename: String,
    pub(crate) size: u64,
}

/// Where a handed-out download URL reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DownloadTarget {
    pub(crate) dataset: String,
    pub(crate) filename: String,
}

/// One mutating request, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub sequence: u64,
    /// When the response was sent, RFC 3339.
    pub time: String,
    /// HTTP method.
    pub method: String,
    /// Path and query as received.
    pub path: String,
    /// Resource name the request created, changed or deleted, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// HTTP status of the response.
    pub status: u16,
}

/// Everything the emulator holds.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct World {
    pub(crate) version: u32,
    pub(crate) deployments: BTreeMap<String, Tracked<Deployment>>,
    pub(crate) deployed_models: BTreeMap<String, Tracked<DeployedModel>>,
    pub(crate) models: BTreeMap<String, Tracked<Model>>,
    pub(crate) datasets: BTreeMap<String, Tracked<Dataset>>,
    pub(crate) supervised_fine_tuning_jobs: BTreeMap<String, Tracked<SupervisedFineTuningJob>>,
    pub(crate) reinforcement_fine_tuning_jobs:
        BTreeMap<String, Tracked<ReinforcementFineTuningJob>>,
    pub(crate) batch_inference_jobs: BTreeMap<String, Tracked<BatchInferenceJob>>,
    pub(crate) evaluators: BTreeMap<String, Tracked<Evaluator>>,
    /// Dataset name -> file name -> file.
    pub(crate) dataset_files: BTreeMap<String, BTreeMap<String, DatasetFile>>,
    pub(crate) upload_tokens: BTreeMap<String, UploadTarget>,
    pub(crate) download_tokens: BTreeMap<String, DownloadTarget>,
    /// Oldest first, at most [`AUDIT_CAPACITY`] entries.
    pub(crate) audit: VecDeque<AuditEntry>,
    pub(crate) audit_sequence: u64,
    /// Counter mixed into generated ids and tokens.
    pub(crate) sequence: u64,
    /// Set by every change; cleared when the request that made it commits.
    #[serde(skip)]
    pub(crate) dirty: bool,
    /// Counts committed requests that changed the world, for group commit.
    #[serde(skip)]
    pub(crate) generation: u64,
    /// Pending transitions by instant: `(at_ms, collection, name)`.
    // Invariant: every resource with pending steps has the entry of its first step here. Entries
    // may be stale (the resource was rescheduled or removed since); applying one whose resource
    // has nothing due is a no-op, so stale entries only cost a lookup when their time comes.
    #[serde(skip)]
    due: BTreeSet<(u64, Collection, String)>,
}

impl World {
    pub(crate) fn empty() -> Self {
        Self { version: WORLD_VERSION, ..Self::default() }
    }

    pub(crate) fn record_audit(&mut self, mut entry: AuditEntry) {
        self.audit_sequence += 1;
        entry.sequence = self.audit_sequence;
        while self.audit.len() >= AUDIT_CAPACITY {
            self.audit.pop_front();
        }
        self.audit.push_back(entry);
        self.dirty = true;
    }

    /// Indexes the next transition of the resource `name` of `collection`, as
    /// [`Tracked::schedule`] or [`Tracked::due`] reported it.
    pub(crate) fn track(&mut self, collection: Collection, name: &str, due: Due) {
        if let Due(Some(at_ms)) = due {
            self.due.insert((at_ms, collection, name.to_owned()));
        }
    }

    /// The earliest pending transition of any resource, to skip sweeps when nothing is due.
    /// Constant work whatever the size of the world.
    pub(crate) fn next_due_ms(&self) -> Option<u64> {
        self.due.first().map(|(at_ms, _, _)| *at_ms)
    }

    /// Removes and returns the resources with a transition due at `now`, ordered by collection
    /// then name and without repeats. Some may since have been rescheduled or removed.
    pub(crate) fn take_due(&mut self, now: u64) -> Vec<(Collection, String)> {
        let mut due = Vec::new();
        while let Some(first) = self.due.first()
            && first.0 <= now
        {
            if let Some((_, collection, name)) = self.due.pop_first() {
                due.push((collection, name));
            }
        }
        due.sort_unstable();
        due.dedup();
        due
    }

    /// Rebuilds the index of pending transitions from the resources (after loading).
    fn index_due(&mut self) {
        fn index<T>(
            due: &mut BTreeSet<(u64, Collection, String)>,
            collection: Collection,
            map: &BTreeMap<String, Tracked<T>>,
        ) {
            for (name, tracked) in map {
                if let Due(Some(at_ms)) = tracked.due() {
                    due.insert((at_ms, collection, name.clone()));
                }
            }
        }
        let due = &mut self.due;
        due.clear();
        index(due, Collection::Deployments, &self.deployments);
        index(due, Collection::DeployedModels, &self.deployed_models);
        index(due, Collection::SupervisedFineTuningJobs, &self.supervised_fine_tuning_jobs);
        index(due, Collection::ReinforcementFineTuningJobs, &self.reinforcement_fine_tuning_jobs);
        index(due, Collection::BatchInferenceJobs, &self.batch_inference_jobs);
    }

    /// Reads the world saved in `data_dir`, or `None` when there is none yet.
    pub(crate) fn load(data_dir: &Path) -> Result<Option<Self>, EmulatorError> {
        let path = data_dir.join(WORLD_FILE);
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(EmulatorError::Read { path, source }),
        };
        let mut world: Self = serde_json::from_slice(&text)
            .map_err(|source| EmulatorError::Corrupt { path: path.clone(), source })?;
        if world.version > WORLD_VERSION {
            let source = serde::de::Error::custom(format!(
                "world version {} is newer than {WORLD_VERSION}",
                world.version
            ));
            return Err(EmulatorError::Corrupt { path, source });
        }
        world.index_due();
        Ok(Some(world))
    }

    /// Writes the world to `data_dir` atomically (temporary file, fsync, rename).
    pub(crate) fn save(&self, data_dir: &Path) -> Result<(), EmulatorError> {
        write_atomically(&data_dir.join(WORLD_FILE), &self.document(data_dir)?)
    }

    /// The world document's text, as [`World::save`] writes it.
    pub(crate) fn document(&self, data_dir: &Path) -> Result<Vec<u8>, EmulatorError> {
        serde_json::to_vec(self)
            .map_err(|source| EmulatorError::Corrupt { path: data_dir.join(WORLD_FILE), source })
    }
}

/// Writes `bytes` to `path` through a temporary sibling, fsyncs it, renames it into place and
/// fsyncs the directory, so a crash leaves either the old or the new file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), EmulatorError> {
    let write_error = |source| EmulatorError::Write { path: path.to_owned(), source };
    let directory = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(directory).map_err(write_error)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let mut file = fs::File::create(&temporary).map_err(write_error)?;
    file.write_all(bytes).map_err(write_error)?;
    file.sync_all().map_err(write_error)?;
    drop(file);
    fs::rename(&temporary, path).map_err(write_error)?;
    if let Ok(directory) = fs::File::open(directory) {
        // Persisting the rename; not every platform can fsync a directory, so failure is benign.
        let _ = directory.sync_all();
    }
    Ok(())
}

/// Uploaded file contents: in memory, or one file per blob under `<data dir>/blobs`.
#[derive(Debug)]
pub(crate) enum Blobs {
    Memory(Mutex<HashMap<String, Bytes>>),
    Disk(PathBuf),
}

impl Blobs {
    pub(crate) fn new(data_dir: Option<&Path>) -> Self {
        match data_dir {
            Some(directory) => Self::Disk(directory.join("blobs")),
            None => Self::Memory(Mutex::new(HashMap::new())),
        }
    }

    pub(crate) fn key(dataset: &str, filename: &str) -> String {
        format!("{dataset}/{filename}")
    }

    pub(crate) fn put(&self, key: &str, bytes: Bytes) -> Result<(), EmulatorError> {
        match self {
            Self::Memory(blobs) => {
                blobs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(key.to_owned(), bytes);
                Ok(())
            }
            Self::Disk(directory) => write_atomically(&directory.join(escape(key)), &bytes),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Result<Option<Bytes>, EmulatorError> {
        match self {
            Self::Memory(blobs) => Ok(blobs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(key)
                .cloned()),
            Self::Disk(directory) => {
                let path = directory.join(escape(key));
                match fs::read(&path) {
                    Ok(bytes) => Ok(Some(Bytes::from(bytes))),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(EmulatorError::Read { path, source }),
                }
            }
        }
    }

    pub(crate) fn remove_prefix(&self, prefix: &str) {
        match self {
            Self::Memory(blobs) => blobs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .retain(|key, _| !key.starts_with(prefix)),
            Self::Disk(directory) => {
                let escaped = escape(prefix);
                if let Ok(entries) = fs::read_dir(directory) {
                    for entry in entries.flatten() {
                        if entry.file_name().to_string_lossy().starts_with(&escaped) {
                            // A leftover blob is harmless: nothing references it any more.
                            let _ = fs::remove_file(entry.path());
                        }
                    }
                }
            }
        }
    }
}

/// A file-name-safe spelling of a blob key: `[A-Za-z0-9._-]` kept, everything else `%XX`.
fn escape(key: &str) -> String {
    let mut escaped = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_atomically() {
        let directory = tempfile::tempdir().unwrap();
        assert!(World::load(directory.path()).unwrap().is_none());
        let mut world = World::empty();
        world.sequence = 42;
        world.save(directory.path()).unwrap();
        let loaded = World::load(directory.path()).unwrap().unwrap();
        assert_eq!(loaded.sequence, 42);
        let leftovers: Vec<_> = fs::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(leftovers, [WORLD_FILE]);
    }

    fn entry(path: &str) -> AuditEntry {
        AuditEntry {
            sequence: 0,
            time: "2025-01-01T00:00:00.000Z".to_owned(),
            method: "POST".to_owned(),
            path: path.to_owned(),
            resource: None,
            status: 200,
        }
    }

    #[test]
    fn the_audit_log_keeps_the_newest_entries_up_to_its_capacity() {
        let mut world = World::empty();
        for index in 0..AUDIT_CAPACITY + 5 {
            world.record_audit(entry(&format!("/{index}")));
        }
        assert_eq!(world.audit.len(), AUDIT_CAPACITY);
        assert_eq!(world.audit.front().map(|entry| entry.sequence), Some(6));
        assert_eq!(world.audit.back().map(|entry| entry.path.as_str()), Some("/100004"));
        assert_eq!(world.audit_sequence, u64::try_from(AUDIT_CAPACITY + 5).unwrap());
    }

    #[test]
    fn the_due_index_yields_each_due_resource_once_in_collection_then_name_order() {
        let mut world = World::empty();
        assert_eq!(world.next_due_ms(), None);
        let mut tracked = Tracked::new(Deployment::default(), 0);
        let due = tracked.schedule(vec![Step::at(30, Phase::Ready), Step::at(90, Phase::Gone)]);
        world.deployments.insert("d".to_owned(), tracked);
        world.track(Collection::Deployments, "d", due);
        world.track(Collection::Deployments, "d", Due(Some(30)));
        world.track(Collection::DeployedModels, "m", Due(Some(10)));
        world.track(Collection::Deployments, "c", Due(Some(20)));
        world.track(Collection::Deployments, "late", Due(Some(1000)));
        world.track(Collection::Deployments, "never", Due(None));
        assert_eq!(world.next_due_ms(), Some(10));
        assert_eq!(
            world.take_due(50),
            [
                (Collection::Deployments, "c".to_owned()),
                (Collection::Deployments, "d".to_owned()),
                (Collection::DeployedModels, "m".to_owned()),
            ]
        );
        assert_eq!(world.next_due_ms(), Some(1000));
        assert!(world.take_due(50).is_empty());
    }

    #[test]
    fn a_loaded_world_indexes_its_pending_transitions() {
        let directory = tempfile::tempdir().unwrap();
        let mut world = World::empty();
        let mut tracked = Tracked::new(Deployment::default(), 0);
        let due = tracked.schedule(vec![Step::at(77, Phase::Ready)]);
        world.deployments.insert("accounts/a/deployments/d".to_owned(), tracked);
        world.track(Collection::Deployments, "accounts/a/deployments/d", due);
        world.save(directory.path()).unwrap();
        let mut loaded = World::load(directory.path()).unwrap().unwrap();
        assert_eq!(loaded.next_due_ms(), Some(77));
        assert_eq!(
            loaded.take_due(77),
            [(Collection::Deployments, "accounts/a/deployments/d".to_owned())]
        );
    }

    #[test]
    fn refuses_a_newer_world() {
        let directory = tempfile::tempdir().unwrap();
        fs::write(directory.path().join(WORLD_FILE), r#"{"version": 99}"#).unwrap();
        let error = World::load(directory.path()).unwrap_err();
        assert!(error.to_string().contains("is not a world this emulator can read"), "{error}");
    }

    #[test]
    fn disk_blobs_round_trip() {
        let directory = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(Some(directory.path()));
        let key = Blobs::key("accounts/a/datasets/d", "train data.jsonl");
        blobs.put(&key, Bytes::from_static(b"{}\n")).unwrap();
        assert_eq!(blobs.get(&key).unwrap().unwrap(), Bytes::from_static(b"{}\n"));
        blobs.remove_prefix("accounts/a/datasets/d/");
        assert_eq!(blobs.get(&key).unwrap(), None);
    }
}

//! State in an S3-compatible object store (AWS S3, Cloudflare R2, MinIO, GCS's S3 API).
//!
//! # Protocol
//!
//! The state is the object `KEY`; every write is a compare-and-swap: `If-Match` with the ETag
//! this run last read or wrote, or `If-None-Match: *` for the first. A write that loses the race
//! gets 412 and fails loudly, losing nothing; a 412 met by a retry whose earlier attempt did land
//! (the store answered, the answer was lost) is recognised by reading the object back.
//!
//! The lock is the object `KEY.lock`, created with `If-None-Match: *`: it holds the
//! [`LockInfo`] and an owner token only this run knows, so a 412 on a retried lock PUT that
//! finds this run's token means it holds the lock (a lock is never leaked by a lost response).
//! Release and `force-unlock` delete it with `If-Match: <etag>`, so a newer lock is never
//! deleted; a store that answers 501 to conditional deletes gets a read-compare-delete instead,
//! said once. Before the first lock a probe checks that the store refuses a second
//! `If-None-Match: *` PUT: some S3-compatible stores silently ignore conditions, and locking
//! there would be a lie.
//!
//! 409 `ConditionalRequestConflict`, 5xx, 429 and transport errors are retried with back-off.
//! Credentials and signatures never appear in errors or logs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use fireform_state::{Backend, Error, LockGuard, LockInfo, StateDocument};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use crate::LocationError;
use crate::aws::Settings;
use crate::sigv4::{self, Request};
use crate::worker::Worker;

/// How many times one request is tried.
const ATTEMPTS: u32 = 6;
/// The first pause between attempts (doubling).
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// The longest pause between two attempts to take a held lock.
const MAX_LOCK_RETRY: Duration = Duration::from_millis(500);

/// `s3://BUCKET/KEY`, and whether to address the bucket path-style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The state object's key.
    pub key: String,
    /// `?path_style=true|false`, when the location says.
    pub path_style: Option<bool>,
}

impl S3Location {
    /// Parses `s3://BUCKET/KEY[?path_style=true|false]`.
    pub fn parse(text: &str) -> Result<S3Location, LocationError> {
        let rest = text.strip_prefix("s3://").ok_or_else(|| LocationError::Malformed {
            location: text.to_owned(),
            expected: "s3://BUCKET/KEY",
        })?;
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
        if !valid_bucket || key.is_empty() || key.ends_with('/') {
            return Err(LocationError::Malformed {
                location: text.to_owned(),
                expected: "s3://BUCKET/KEY (a bucket name of 3 to 63 lower-case letters, digits, `-` or `.`, and an object key)",
            });
        }
        let path_style = match query {
            None => None,
            Some("path_style=true") => Some(true),
            Some("path_style=false") => Some(false),
            Some(other) => {
                return Err(LocationError::Settings(format!(
                    "unknown option `{other}` in `{text}`: the only one is `path_style=true|false`"
                )));
            }
        };
        Ok(S3Location { bucket: bucket.to_owned(), key: key.to_owned(), path_style })
    }

    fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// State kept in an S3-compatible object store.
#[derive(Debug)]
pub struct S3Backend {
    shared: Arc<Shared>,
    worker: Worker,
}

#[derive(Debug)]
struct Shared {
    location: S3Location,
    settings: Settings,
    http: reqwest::Client,
    /// The ETag and header of the state object as this run last read or wrote it; `None` when
    /// it did not exist.
    seen: Mutex<Option<Seen>>,
    probed: AtomicBool,
    said_no_conditional_delete: AtomicBool,
}

#[derive(Debug, Clone)]
struct Seen {
    etag: String,
    serial: u64,
    lineage: String,
}

/// The body of the lock object.
#[derive(Debug, Serialize, Deserialize)]
struct LockBody {
    #[serde(flatten)]
    info: LockInfo,
    /// Known only to the run that wrote it: tells its own lock from another run's.
    owner: String,
}

/// One answer of the store.
struct Reply {
    status: StatusCode,
    etag: Option<String>,
    /// `x-amz-meta-fireform-lock`: the lock's body, hex, so that reading a lock is a `HEAD`.
    lock_meta: Option<String>,
    body: Vec<u8>,
}

/// The metadata header that carries a lock's body (hex JSON).
const LOCK_META: &str = "x-amz-meta-fireform-lock";

impl S3Backend {
    /// A backend for `location`, with settings from the AWS environment (`lookup` reads a
    /// variable).
    pub fn new(
        location: S3Location,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<S3Backend, LocationError> {
        let settings = Settings::from_env(lookup, location.path_style)?;
        let http = crate::http_client().map_err(LocationError::Settings)?;
        let worker = Worker::new("fireform-s3").map_err(|error| {
            LocationError::Settings(format!("cannot start the S3 client: {error}"))
        })?;
        Ok(S3Backend {
            shared: Arc::new(Shared {
                location,
                settings,
                http,
                seen: Mutex::new(None),
                probed: AtomicBool::new(false),
                said_no_conditional_delete: AtomicBool::new(false),
            }),
            worker,
        })
    }

    fn run<T: Send + 'static>(
        &self,
        action: &'static str,
        work: impl std::future::Future<Output = Result<T, Error>> + Send + 'static,
    ) -> Result<T, Error> {
        self.worker.run(work).unwrap_or_else(|| {
            Err(Error::Remote {
                action,
                location: self.shared.location.url(),
                source: "the S3 client stopped".into(),
            })
        })
    }
}

impl Backend for S3Backend {
    fn load(&self) -> Result<Option<StateDocument>, Error> {
        let shared = Arc::clone(&self.shared);
        self.run("read the state", async move { shared.load().await })
    }

    fn save(&self, document: &StateDocument) -> Result<(), Error> {
        let shared = Arc::clone(&self.shared);
        let (text, serial, lineage) =
            (document.to_json(), document.serial(), document.lineage().to_owned());
        self.run("write the state", async move { shared.save(text, serial, lineage).await })
    }

    fn lock(&self, info: LockInfo, timeout: Duration) -> Result<Box<dyn LockGuard>, Error> {
        let shared = Arc::clone(&self.shared);
        let held = self.run("take the state lock", {
            let info = info.clone();
            async move { shared.lock(info, timeout).await }
        })?;
        Ok(Box::new(S3Lock {
            shared: Arc::clone(&self.shared),
            worker: Worker::new("fireform-s3-lock").map_err(|error| Error::Remote {
                action: "hold the state lock",
                location: self.shared.location.url(),
                source: Box::new(error),
            })?,
            info,
            etag: held,
            released: false,
        }))
    }

    fn force_unlock(&self, lock_id: &str) -> Result<LockInfo, Error> {
        let shared = Arc::clone(&self.shared);
        let lock_id = lock_id.to_owned();
        self.run("remove the state lock", async move { shared.force_unlock(&lock_id).await })
    }

    fn describe(&self) -> String {
        let settings = &self.shared.settings;
        match &settings.endpoint {
            Some(endpoint) => format!(
                "S3 state `{}` (endpoint `{}://{endpoint}`)",
                self.shared.location.url(),
                settings.scheme
            ),
            None => {
                format!("S3 state `{}` (region `{}`)", self.shared.location.url(), settings.region)
            }
        }
    }
}

/// The lock this run holds.
#[derive(Debug)]
struct S3Lock {
    shared: Arc<Shared>,
    /// Its own runtime: the guard may outlive the backend's.
    worker: Worker,
    info: LockInfo,
    etag: String,
    released: bool,
}

impl S3Lock {
    fn release_now(&mut self) -> Result<(), Error> {
        self.released = true;
        let shared = Arc::clone(&self.shared);
        let etag = self.etag.clone();
        let owner = self.info.id.clone();
        self.worker.run(async move { shared.release(&etag, &owner).await }).unwrap_or_else(|| {
            Err(Error::Remote {
                action: "release the state lock",
                location: self.shared.location.url(),
                source: "the S3 client stopped".into(),
            })
        })
    }
}

impl LockGuard for S3Lock {
    fn info(&self) -> &LockInfo {
        &self.info
    }

    fn release(mut self: Box<Self>) -> Result<(), Error> {
        self.release_now()
    }
}

impl Drop for S3Lock {
    fn drop(&mut self) {
        if !self.released {
            let _ = self.release_now();
        }
    }
}

impl Shared {
    fn lock_key(&self) -> String {
        format!("{}.lock", self.location.key)
    }

    fn remote(
        &self,
        action: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Remote { action, location: self.location.url(), source: source.into() }
    }

    fn path_of(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(self.location.url())
    }

    /// Sends one request, retrying what is worth retrying. Answers with any status the caller
    /// must judge (2xx, 304, 404, 412, 501, other 4xx).
    async fn send(
        &self,
        action: &'static str,
        method: Method,
        key: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Reply, Error> {
        let (host, prefix) = self.settings.host_and_prefix(&self.location.bucket);
        let path = format!("{prefix}/{}", sigv4::uri_encode(key, false));
        let url = format!("{}://{host}{path}", self.settings.scheme);
        let payload_sha256 = sigv4::sha256_hex(&body);
        let mut pause = FIRST_RETRY;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let amz_date = amz_date(SystemTime::now());
            let request = Request {
                method: method.as_str(),
                host: &host,
                path: &path,
                query: &[],
                headers,
                payload_sha256: &payload_sha256,
            };
            let signed =
                sigv4::sign(&request, &self.settings.credentials, &self.settings.region, &amz_date);
            let mut builder =
                self.http.request(method.clone(), &url).timeout(Duration::from_secs(10));
            // The signed headers include the caller's (`If-Match`, …): each is sent once.
            for (name, value) in &signed {
                builder = builder.header(name.as_str(), value.as_str());
            }
            let outcome = match builder.body(body.clone()).send().await {
                Ok(response) => {
                    let status = response.status();
                    let header = |name| {
                        response
                            .headers()
                            .get(name)
                            .and_then(|value| value.to_str().ok())
                            .map(str::to_owned)
                    };
                    let etag = header(reqwest::header::ETAG.as_str());
                    let lock_meta = header(LOCK_META);
                    match response.bytes().await {
                        Ok(bytes) => Ok(Reply { status, etag, lock_meta, body: bytes.to_vec() }),
                        Err(error) => Err(transport_error(error)),
                    }
                }
                Err(error) => Err(transport_error(error)),
            };
            let retry = match &outcome {
                Ok(reply) => {
                    reply.status.is_server_error() && reply.status != StatusCode::NOT_IMPLEMENTED
                        || reply.status == StatusCode::TOO_MANY_REQUESTS
                        || reply.status == StatusCode::CONFLICT
                        || reply.status == StatusCode::REQUEST_TIMEOUT
                }
                Err(_) => true,
            };
            if !retry || attempt >= ATTEMPTS {
                return match outcome {
                    Ok(reply) if retry => {
                        Err(self.remote(action, describe_reply(&method, key, &reply)))
                    }
                    Ok(reply) => Ok(reply),
                    Err(message) => {
                        Err(self.remote(action, format!("{method} `{key}`: {message}")))
                    }
                };
            }
            tracing::debug!(key, attempt, "retrying an S3 request");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(3));
        }
    }

    fn remember(&self, seen: Option<Seen>) {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = seen;
    }

    fn seen(&self) -> Option<Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Reads the state object: its document (`None` when absent) and ETag.
    async fn read_state(&self) -> Result<Option<(StateDocument, String)>, Error> {
        let key = self.location.key.clone();
        let reply = self.send("read the state", Method::GET, &key, &[], Vec::new()).await?;
        match reply.status {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => {
                let etag = reply.etag.clone().ok_or_else(|| {
                    self.remote("read the state", "the store sent no ETag, which every write needs")
                })?;
                let text = String::from_utf8(reply.body).map_err(|error| Error::Corrupt {
                    path: self.path_of(),
                    backup: None,
                    source: fireform_state::DocumentError::Inconsistent(error.to_string()),
                })?;
                let document = StateDocument::from_json(&text).map_err(|source| {
                    Error::Corrupt { path: self.path_of(), backup: None, source }
                })?;
                Ok(Some((document, etag)))
            }
            _ => Err(self.remote("read the state", describe_reply(&Method::GET, &key, &reply))),
        }
    }

    async fn load(&self) -> Result<Option<StateDocument>, Error> {
        let read = self.read_state().await?;
        self.remember(read.as_ref().map(|(document, etag)| Seen {
            etag: etag.clone(),
            serial: document.serial(),
            lineage: document.lineage().to_owned(),
        }));
        Ok(read.map(|(document, _)| document))
    }

    async fn save(&self, text: String, serial: u64, lineage: String) -> Result<(), Error> {
        let seen = self.seen();
        if let Some(seen) = &seen {
            if seen.lineage != lineage {
                return Err(Error::LineageConflict {
                    path: self.path_of(),
                    on_disk: seen.lineage.clone(),
                    writing: lineage,
                });
            }
            if seen.serial >= serial {
                return Err(Error::SerialConflict {
                    path: self.path_of(),
                    on_disk: seen.serial,
                    writing: serial,
                });
            }
        }
        let condition = match &seen {
            Some(seen) => ("if-match", seen.etag.clone()),
            None => ("if-none-match", "*".to_owned()),
        };
        let headers = [(condition.0, condition.1.as_str()), ("content-type", "application/json")];
        let key = self.location.key.clone();
        let body = text.clone().into_bytes();
        let reply = self.send("write the state", Method::PUT, &key, &headers, body).await?;
        let etag = match reply.status {
            status if status.is_success() => reply.etag.clone(),
            StatusCode::PRECONDITION_FAILED => {
                // Lost the race, or an earlier attempt of this very write landed and its answer
                // was lost: only the stored bytes can tell.
                match self.read_state().await? {
                    Some((stored, etag)) if stored.to_json() == text => Some(etag),
                    Some((stored, _)) if stored.lineage() != lineage => {
                        return Err(Error::LineageConflict {
                            path: self.path_of(),
                            on_disk: stored.lineage().to_owned(),
                            writing: lineage,
                        });
                    }
                    Some((stored, _)) => {
                        return Err(Error::SerialConflict {
                            path: self.path_of(),
                            on_disk: stored.serial(),
                            writing: serial,
                        });
                    }
                    None => {
                        return Err(self.remote(
                            "write the state",
                            "the state object vanished while this run held the lock",
                        ));
                    }
                }
            }
            _ => {
                return Err(
                    self.remote("write the state", describe_reply(&Method::PUT, &key, &reply))
                );
            }
        };
        let etag = match etag {
            Some(etag) => etag,
            // A store that sends no ETag on PUT: read it back.
            None => match self.read_state().await? {
                Some((_, etag)) => etag,
                None => {
                    return Err(
                        self.remote("write the state", "the state object is missing after a write")
                    );
                }
            },
        };
        self.remember(Some(Seen { etag, serial, lineage }));
        Ok(())
    }

    /// Checks once that the store refuses a second create-only PUT of one key.
    async fn probe(&self) -> Result<(), Error> {
        if self.probed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let key = format!("{}.probe-{}", self.location.key, fireform_state::random_id());
        let create_only = [("if-none-match", "*")];
        let first = self
            .send("check the store", Method::PUT, &key, &create_only, b"probe".to_vec())
            .await?;
        if !first.status.is_success() {
            return Err(self.remote("check the store", describe_reply(&Method::PUT, &key, &first)));
        }
        let second = self
            .send("check the store", Method::PUT, &key, &create_only, b"again".to_vec())
            .await?;
        let _ = self.send("check the store", Method::DELETE, &key, &[], Vec::new()).await;
        if second.status != StatusCode::PRECONDITION_FAILED {
            return Err(Error::Unsafe {
                location: self.location.url(),
                detail: format!(
                    "a second `If-None-Match: *` PUT of one key answered {} instead of 412",
                    second.status.as_u16()
                ),
            });
        }
        self.probed.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Takes the lock, returning the lock object's ETag.
    async fn lock(&self, info: LockInfo, timeout: Duration) -> Result<String, Error> {
        self.probe().await?;
        let key = self.lock_key();
        let owner = fireform_state::random_id();
        let body = serde_json::to_vec(&LockBody { info: info.clone(), owner: owner.clone() })
            .map_err(|error| self.remote("take the state lock", error))?;
        let meta = sigv4::hex(&body);
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let reply = self
                .send(
                    "take the state lock",
                    Method::PUT,
                    &key,
                    &[
                        ("if-none-match", "*"),
                        ("content-type", "application/json"),
                        (LOCK_META, &meta),
                    ],
                    body.clone(),
                )
                .await?;
            if reply.status.is_success() {
                if let Some(etag) = reply.etag {
                    return Ok(etag);
                }
                let (held, etag) = self.read_lock().await?.ok_or_else(|| {
                    self.remote(
                        "take the state lock",
                        "the lock object vanished right after it was written",
                    )
                })?;
                if held.owner == owner {
                    return Ok(etag);
                }
            } else if reply.status != StatusCode::PRECONDITION_FAILED {
                return Err(
                    self.remote("take the state lock", describe_reply(&Method::PUT, &key, &reply))
                );
            }
            // Held: by this run (an earlier attempt landed and its answer was lost), or another.
            let Some((held, etag)) = self.read_lock().await? else {
                continue; // Released in between: try again at once.
            };
            if held.owner == owner {
                return Ok(etag);
            }
            let liveness = held.info.liveness_here();
            if liveness == fireform_state::Holder::Gone {
                // A holder on this host releases its lock before it exits: if the lock is still
                // there once the process is gone, it was left behind; if not, it was released
                // between the two reads, and the lock is worth another try.
                match self.read_lock().await? {
                    Some((again, again_etag))
                        if again.owner == held.owner && again_etag == etag => {}
                    _ => continue,
                }
            }
            let waited = started.elapsed();
            if liveness == fireform_state::Holder::Gone || waited >= timeout {
                return Err(Error::Locked {
                    holder: Box::new(held.info),
                    liveness,
                    waited: (!timeout.is_zero()).then_some(waited),
                });
            }
            tokio::time::sleep(pause.min(timeout.saturating_sub(waited))).await;
            pause = (pause * 2).min(MAX_LOCK_RETRY);
        }
    }

    /// Reads the lock: a `HEAD` that finds its body in the metadata (a `GET` streaming an
    /// object that another run deletes at that moment is what small stores get wrong), or a
    /// `GET` for a lock written without it.
    async fn read_lock(&self) -> Result<Option<(LockBody, String)>, Error> {
        let key = self.lock_key();
        let head = self.send("read the state lock", Method::HEAD, &key, &[], Vec::new()).await?;
        let bytes = match head.status {
            StatusCode::NOT_FOUND => return Ok(None),
            status if status.is_success() => match head.lock_meta.as_deref().and_then(hex_decode) {
                Some(bytes) => Some((bytes, head.etag.clone().unwrap_or_default())),
                None => None,
            },
            _ => {
                return Err(
                    self.remote("read the state lock", describe_reply(&Method::HEAD, &key, &head))
                );
            }
        };
        let (bytes, etag) = match bytes {
            Some(found) => found,
            None => {
                let reply =
                    self.send("read the state lock", Method::GET, &key, &[], Vec::new()).await?;
                match reply.status {
                    StatusCode::NOT_FOUND => return Ok(None),
                    status if status.is_success() => (reply.body, reply.etag.unwrap_or_default()),
                    _ => {
                        return Err(self.remote(
                            "read the state lock",
                            describe_reply(&Method::GET, &key, &reply),
                        ));
                    }
                }
            }
        };
        let body: LockBody =
            serde_json::from_slice(&bytes).map_err(|source| Error::LockUnreadable {
                path: std::path::PathBuf::from(format!("s3://{}/{key}", self.location.bucket)),
                source,
            })?;
        Ok(Some((body, etag)))
    }

    /// Deletes the lock object if it is still the one with `etag` (and, where the store cannot
    /// delete conditionally, still holds `lock_id`). `Ok(false)` when it is not.
    async fn delete_lock(&self, etag: &str, lock_id: &str) -> Result<bool, Error> {
        let key = self.lock_key();
        let reply = self
            .send("release the state lock", Method::DELETE, &key, &[("if-match", etag)], Vec::new())
            .await?;
        match reply.status {
            status if status.is_success() => Ok(true),
            StatusCode::PRECONDITION_FAILED | StatusCode::NOT_FOUND => Ok(false),
            StatusCode::NOT_IMPLEMENTED => {
                if !self.said_no_conditional_delete.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        location = %self.location.url(),
                        "the store does not delete conditionally; the lock is read, compared and then deleted"
                    );
                }
                match self.read_lock().await? {
                    Some((held, _)) if held.info.id == lock_id => {
                        let reply = self
                            .send("release the state lock", Method::DELETE, &key, &[], Vec::new())
                            .await?;
                        Ok(reply.status.is_success() || reply.status == StatusCode::NOT_FOUND)
                    }
                    _ => Ok(false),
                }
            }
            _ => Err(self
                .remote("release the state lock", describe_reply(&Method::DELETE, &key, &reply))),
        }
    }

    async fn release(&self, etag: &str, lock_id: &str) -> Result<(), Error> {
        if self.delete_lock(etag, lock_id).await? {
            Ok(())
        } else {
            Err(Error::LockLost {
                path: std::path::PathBuf::from(format!(
                    "s3://{}/{}",
                    self.location.bucket,
                    self.lock_key()
                )),
            })
        }
    }

    async fn force_unlock(&self, lock_id: &str) -> Result<LockInfo, Error> {
        let lock_path =
            std::path::PathBuf::from(format!("s3://{}/{}", self.location.bucket, self.lock_key()));
        let Some((held, etag)) = self.read_lock().await? else {
            return Err(Error::NotLocked { path: lock_path });
        };
        if held.info.id != lock_id {
            return Err(Error::LockIdMismatch {
                given: lock_id.to_owned(),
                holder: Box::new(held.info),
            });
        }
        if self.delete_lock(&etag, lock_id).await? {
            Ok(held.info)
        } else {
            Err(self.remote(
                "remove the state lock",
                "the lock changed while it was being removed; look again",
            ))
        }
    }
}

/// A transport failure with its causes (connection refused, reset, timed out), never the URL's
/// query or a header.
fn transport_error(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// `YYYYMMDDTHHMMSSZ`.
fn amz_date(time: SystemTime) -> String {
    fireform_state::format_rfc3339(time).replace(['-', ':'], "")
}

/// A failed answer, for an error message: the method, the key, the status and the store's
/// error code, never a header.
fn describe_reply(method: &Method, key: &str, reply: &Reply) -> String {
    let text = String::from_utf8_lossy(&reply.body);
    let code = text
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| format!(" ({code})"))
        .unwrap_or_default();
    format!("{method} `{key}` answered {}{code}", reply.status.as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_bad_ones_are_refused() {
        let location = S3Location::parse("s3://team-state/prod/fireform.json").unwrap();
        assert_eq!(location.bucket, "team-state");
        assert_eq!(location.key, "prod/fireform.json");
        assert_eq!(location.path_style, None);
        assert_eq!(S3Location::parse("s3://b12/k?path_style=true").unwrap().path_style, Some(true));
        for bad in
            ["s3://", "s3://bucket", "s3://bucket/", "s3://B/key", "s3://ab/k", "s3://bucket/k?x=1"]
        {
            assert!(S3Location::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amz_dates_are_compact() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600);
        assert_eq!(amz_date(time), "20130524T000000Z");
    }
}

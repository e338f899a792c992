//! [`TestContext`]: a temporary project directory, an in-process emulator on `127.0.0.1:0`, and
//! the real `fireform` binary pointed at it; plus helpers that read the emulator through its
//! REST API (as a person changing the account behind fireform's back would) and filters that
//! make output stable for snapshots.
//!
//! It deliberately does not reach into the emulator's memory to change the account: every
//! change behind fireform's back goes through HTTP.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use fireform_emulator::{
    AuditEntry, DEFAULT_ACCOUNT, EmulatorConfig, EmulatorHandle, FailRule, Timings,
};
use serde_json::{Value, json};

use crate::root;

/// Lifecycles fast enough for tests but not instant, so that apply's waits are exercised.
pub(crate) fn small_timings() -> Timings {
    Timings {
        deployment: Duration::from_millis(200),
        deployment_update: Duration::from_millis(100),
        deletion: Duration::from_millis(100),
        deployed_model: Duration::from_millis(100),
        job: Duration::from_millis(300),
        ..Timings::default()
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Outcome {
    pub(crate) fn from_output(output: &Output) -> Outcome {
        Outcome {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub(crate) fn expect(&self, code: i32) -> &Outcome {
        assert_eq!(self.code, Some(code), "unexpected exit code; output:\n{}", self.render());
        self
    }

    /// Exit code, stdout and stderr, as snapshots show them.
    pub(crate) fn render(&self) -> String {
        format!(
            "exit_code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code.map_or_else(|| "signal".to_owned(), |code| code.to_string()),
            self.stdout,
            self.stderr
        )
    }
}

/// A project directory and an emulator of its own.
pub(crate) struct TestContext {
    // Invariant: declared before `runtime`, so the emulator stops before its runtime goes.
    emulator: EmulatorHandle,
    runtime: tokio::runtime::Runtime,
    temp: tempfile::TempDir,
    pub(crate) account: String,
    api_key: String,
    http: reqwest::Client,
}

impl TestContext {
    /// An empty project and an emulator with [`small_timings`].
    pub(crate) fn new() -> TestContext {
        TestContext::with_config(EmulatorConfig {
            timings: small_timings(),
            ..EmulatorConfig::default()
        })
    }

    /// An empty project and an emulator with `config`.
    pub(crate) fn with_config(config: EmulatorConfig) -> TestContext {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let account = config.account.clone();
        let api_key = config.api_key.clone();
        let emulator = runtime.block_on(fireform_emulator::start(config)).unwrap();
        let temp = tempfile::Builder::new().prefix("fireform-e2e-").tempdir().unwrap();
        TestContext { emulator, runtime, temp, account, api_key, http: reqwest::Client::new() }
    }

    /// The repository's `manifests/` layout in account `acme`, with the dataset and evaluator
    /// it names as existing ones created through the API (fireform only reads them).
    pub(crate) fn manifests_project() -> TestContext {
        let context = TestContext::with_config(EmulatorConfig {
            account: "acme".to_owned(),
            api_key: "acme-key".to_owned(),
            timings: small_timings(),
            ..EmulatorConfig::default()
        });
        // Applied exactly as written.
        context.copy_from_repo("manifests");
        context.ready_dataset(
            "support-eval-prompts-v3",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n",
        );
        let (status, body) = context.call(
            "POST",
            "/evaluators",
            Some(
                json!({"evaluatorId": "exact-match", "evaluator": {"displayName": "exact match"}}),
            ),
        );
        assert_eq!(status, 200, "{body}");
        context
    }

    /// The project directory.
    pub(crate) fn dir(&self) -> &Path {
        self.temp.path()
    }

    /// The emulator's base URL.
    pub(crate) fn url(&self) -> String {
        self.emulator.url()
    }

    /// Writes `text` to `relative` in the project, creating directories.
    pub(crate) fn write(&self, relative: &str, text: &str) {
        let path = self.dir().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Copies a directory of the repository (e.g. `examples/quickstart`) into the project,
    /// leaving out the project file (its `endpoint: local` would hide the test emulator).
    pub(crate) fn copy_from_repo(&self, relative: &str) {
        copy_dir(&root().join(relative), self.dir());
        let _ = std::fs::remove_file(self.dir().join(".fireform.yaml"));
    }

    /// The command for `fireform args…` in the project, against this emulator.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fireform"));
        command.args(args).current_dir(self.dir());
        clear_fireworks_env(&mut command);
        command
            .env("FIREWORKS_BASE_URL", self.url())
            .env("FIREWORKS_API_KEY", &self.api_key)
            .env("FIREWORKS_ACCOUNT_ID", &self.account)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }

    /// Runs `fireform args…` to the end.
    pub(crate) fn fireform(&self, args: &[&str]) -> Outcome {
        Outcome::from_output(&self.command(args).output().unwrap())
    }

    /// Starts `fireform args…` without waiting, output captured.
    pub(crate) fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    pub(crate) fn apply(&self) -> Outcome {
        self.fireform(&["apply", "--auto-approve"])
    }

    pub(crate) fn plan(&self) -> Outcome {
        self.fireform(&["plan", "--detailed-exitcode"])
    }

    /// Applies, then checks that a plan finds nothing to do.
    #[track_caller]
    pub(crate) fn apply_converges(&self) {
        self.apply().expect(0);
        self.expect_no_changes();
    }

    #[track_caller]
    pub(crate) fn expect_no_changes(&self) {
        let plan = self.plan();
        plan.expect(0);
        assert!(plan.stdout.contains("No changes."), "{}", plan.render());
    }

    /// The state file, parsed (`Null` when there is none).
    pub(crate) fn state(&self) -> Value {
        match std::fs::read_to_string(self.state_path()) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => Value::Null,
        }
    }

    pub(crate) fn state_path(&self) -> PathBuf {
        self.dir().join(".fireform/state.json")
    }

    /// The addresses recorded in state.
    pub(crate) fn state_addrs(&self) -> Vec<String> {
        self.state()["resources"]
            .as_object()
            .map(|resources| resources.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Filters for snapshots: temp dir, endpoint, elapsed times, generated ids, lock details.
    pub(crate) fn filters(&self) -> Vec<(String, String)> {
        let mut filters = Vec::new();
        for dir in [self.dir().canonicalize().unwrap(), self.dir().to_path_buf()] {
            filters.push((regex_escape(&dir.display().to_string()), "[TEMP_DIR]".to_owned()));
        }
        filters.push((regex_escape(&self.url()), "[ENDPOINT]".to_owned()));
        filters.extend(
            [
                (r"after \d+s", "after [ELAPSED]"),
                (r"\[\d+s elapsed\]", "[[ELAPSED] elapsed]"),
                (r"\d+(\.\d+)?(ms|s) elapsed", "[ELAPSED] elapsed"),
                // Deployed-model ids are picked by the server.
                (r"(deployedModels/|id=|id: )[a-z0-9-]+-[0-9a-f]{8}\b", "$1[GENERATED_ID]"),
            ]
            .map(|(pattern, replacement)| (pattern.to_owned(), replacement.to_owned())),
        );
        filters
    }

    /// Runs a future on the context's runtime.
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// One API call with the account's key: (status, JSON body or `Null`). `path` is below
    /// `/v1/accounts/{account}`.
    pub(crate) fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/v1/accounts/{}{path}", self.url(), self.account);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.block_on(async {
            let mut request = self.http.request(method, url).bearer_auth(&self.api_key);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }

    #[track_caller]
    pub(crate) fn get(&self, path: &str) -> Value {
        let (status, body) = self.call("GET", path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Every object of a collection (all pages).
    pub(crate) fn list(&self, collection: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut token = String::new();
        loop {
            let page = self.get(&format!("/{collection}?pageSize=200&pageToken={token}"));
            items.extend(page[collection].as_array().cloned().unwrap_or_default());
            match page["nextPageToken"].as_str() {
                Some(next) if !next.is_empty() => token = next.to_owned(),
                _ => return items,
            }
        }
    }

    /// The names of every object of a collection.
    pub(crate) fn names(&self, collection: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .list(collection)
            .iter()
            .filter_map(|item| item["name"].as_str().map(str::to_owned))
            .collect();
        names.sort();
        names
    }

    /// Creates a READY dataset through the REST API (create, multipart upload, validate).
    pub(crate) fn ready_dataset(&self, id: &str, rows: &str) {
        let (status, body) = self.call(
            "POST",
            "/datasets",
            Some(json!({"datasetId": id, "dataset": {"displayName": id, "format": "CHAT"}})),
        );
        assert_eq!(status, 200, "{body}");
        let url = format!("{}/v1/accounts/{}/datasets/{id}:upload", self.url(), self.account);
        let status = self.block_on(async {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(rows.as_bytes().to_vec()).file_name("rows.jsonl"),
            );
            let response = self
                .http
                .post(url)
                .bearer_auth(&self.api_key)
                .multipart(form)
                .send()
                .await
                .unwrap();
            response.status().as_u16()
        });
        assert_eq!(status, 200);
        let (status, body) =
            self.call("POST", &format!("/datasets/{id}:validateUpload"), Some(json!({})));
        assert_eq!(status, 200, "{body}");
    }

    /// Every mutating request the emulator answered, oldest first.
    pub(crate) fn audit(&self) -> Vec<AuditEntry> {
        self.emulator.audit_log()
    }

    pub(crate) fn add_fail_rule(&self, collection: &str, pattern: &str, message: &str) {
        self.emulator.add_fail_rule(FailRule {
            collection: collection.to_owned(),
            pattern: pattern.to_owned(),
            message: Some(message.to_owned()),
        });
    }

    pub(crate) fn clear_fail_rules(&self) {
        self.emulator.state().clear_fail_rules();
    }
}

/// Successful creations in the audit log, counted per created resource. A LoRA load is keyed
/// by `model@deployment` (the server picks its id), read from the created object.
pub(crate) fn creations(context: &TestContext) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for entry in context.audit() {
        if entry.method != "POST" || entry.status != 200 || entry.path.contains(':') {
            continue;
        }
        let Some(resource) = entry.resource else { continue };
        let key = if resource.contains("/deployedModels/") {
            let (_, object) = context.call("GET", resource_path(&context.account, &resource), None);
            format!(
                "load:{}@{}",
                object["model"].as_str().unwrap_or("?"),
                object["deployment"].as_str().unwrap_or("?")
            )
        } else {
            resource
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

fn resource_path<'a>(account: &str, name: &'a str) -> &'a str {
    let prefix_len = format!("accounts/{account}").len();
    &name[prefix_len..]
}

/// Polls `condition` every 10 ms until it holds, failing after `limit`.
#[track_caller]
pub(crate) fn poll_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Removes every `FIREWORKS_*` variable the test process inherited.
pub(crate) fn clear_fireworks_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FIREWORKS_") {
            command.env_remove(name);
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() == ".fireform" {
                continue;
            }
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn regex_escape(text: &str) -> String {
    let mut escaped = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The default emulator account.
pub(crate) const LOCAL_ACCOUNT: &str = DEFAULT_ACCOUNT;

/// Snapshots text (usually [`Outcome::render`]) with the context's filters.
macro_rules! fireform_snapshot {
    ($context:expr, $text:expr, @$snapshot:literal) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $context.filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings.bind(|| insta::assert_snapshot!($text, @$snapshot));
    }};
    ($context:expr, $name:expr, $text:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $context.filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings.bind(|| insta::assert_snapshot!($name, $text));
    }};
}
pub(crate) use fireform_snapshot;

impl TestContext {
    /// Runs `fireform args…` to the end in another project directory `dir`, against this
    /// context's emulator and account: a second project sharing one account.
    pub(crate) fn fireform_in(&self, dir: &Path, args: &[&str]) -> Outcome {
        Outcome::from_output(&self.command(args).current_dir(dir).output().unwrap())
    }

    /// Replaces the emulator's trouble with the JSON `trouble` through its admin route
    /// `PUT /_emulator/trouble`, as an operator would: (status, JSON body or `Null`).
    pub(crate) fn put_trouble(&self, trouble: Value) -> (u16, Value) {
        let url = format!("{}/_emulator/trouble", self.url());
        self.block_on(async {
            let response =
                self.http.put(url).bearer_auth(&self.api_key).json(&trouble).send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }
}

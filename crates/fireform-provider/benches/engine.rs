//! Benchmark of the reconciler engine over the real provider, client and emulator (loopback),
//! with 50 ms of latency injected into every API request:
//!
//! 1. a no-change plan of 1,000 and 5,000 resources (datasets, deployments, fine-tuning jobs
//!    and LoRA addons): wall time and API calls of refresh + plan against the lower bound of one
//!    list call per 200 resources per kind (kinds are listed in parallel, pages one after the
//!    other, so the wall-time bound is the largest kind's page count times the latency), and the
//!    same plan with `--refresh=false`;
//! 2. apply of a layered graph (chains dataset → fine-tuning job → LoRA addon → batch inference
//!    job, the addons on one shared deployment) with fixed emulator lifecycle timings, against
//!    its critical path: the longest chain's lifecycle durations plus one round trip per call
//!    its steps need (counted in a calibration run).
//!
//! Setup (applying the 1,000 and 5,000 resources, calibration) runs with latency off and is not
//! measured; it keeps state in memory, because the engine saves the whole state file after every
//! step. The measured plans read state from a real state file. The client's rate limit (90/s)
//! and concurrency (16) are raised for setup only; the measured runs use the CLI's defaults,
//! except where a row says otherwise.
//!
//! Run with `cargo bench -p fireform-provider --bench engine` (a few minutes). It prints a table
//! and fails loudly if a "no-change" plan has changes or an apply fails. It is not a statistical
//! harness: each figure is the median of a few runs on a shared machine.

#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly, like a test")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fireform_client::{ApiKey, Client, ClientConfig, RateLimit};
use fireform_core::ResourceKind;
use fireform_emulator::{EmulatorConfig, EmulatorHandle, Timings, Trouble};
use fireform_manifest::Manifest;
use fireform_plan::{
    ApplyOptions, Event, Interrupt, Observed, Plan, PlanInput, PlanOptions, Provider, apply,
    kinds_to_refresh, needs_catalog, plan, refresh, render,
};
use fireform_provider::FireworksProvider;
use fireform_state::{
    Backend, Error as StateError, LocalBackend, LockGuard, LockInfo, StateDocument, StateStore,
};

const LATENCY_MS: u64 = 50;
const PAGE_SIZE: usize = 200;
const PLAN_SIZES: [usize; 2] = [1_000, 5_000];
const PLAN_REPEATS: usize = 3;
const BASE_MODEL: &str = "accounts/fireworks/models/llama-v3p1-8b-instruct";
/// Chains in the layered graph.
const CHAINS: usize = 20;
const APPLY_REPEATS: usize = 3;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut report = String::new();
    runtime.block_on(async {
        for size in PLAN_SIZES {
            no_change_plan(size, &mut report).await;
        }
        layered_apply(&mut report).await;
    });
    println!("\n{report}");
}

fn latency() -> Duration {
    Duration::from_millis(LATENCY_MS)
}

fn with_latency() -> Trouble {
    Trouble { latency_ms: LATENCY_MS, ..Trouble::default() }
}

/// The client settings of the CLI (default rate limit and concurrency) against `emulator`.
fn default_config(emulator: &EmulatorHandle) -> ClientConfig {
    ClientConfig::new(ApiKey::new(fireform_emulator::DEFAULT_API_KEY))
        .with_base_url(&emulator.url())
        .unwrap()
        .with_account_id(fireform_emulator::DEFAULT_ACCOUNT)
        .unwrap()
}

/// Limits high enough never to be what a run waits on.
fn unlimited(config: ClientConfig) -> ClientConfig {
    config
        .with_rate_limit(RateLimit { requests_per_second: 100_000.0, burst: 1_000 })
        .with_max_concurrency(256)
}

fn provider(config: &ClientConfig) -> FireworksProvider {
    FireworksProvider::new(Client::new(config.clone()).unwrap(), config).unwrap()
}

fn manifest(dir: &Path) -> Manifest {
    fireform_manifest::load(&[dir.to_path_buf()])
        .unwrap_or_else(|diagnostics| panic!("invalid manifest: {diagnostics:?}"))
}

async fn make_plan(
    provider: &FireworksProvider,
    manifest: &Manifest,
    state: &StateDocument,
) -> Plan {
    let graph = fireform_graph::build(manifest).unwrap();
    let observed =
        refresh(provider, &kinds_to_refresh(Some(manifest), state), needs_catalog(manifest))
            .await
            .unwrap();
    plan_from(provider, manifest, &graph, state, &observed)
}

fn plan_from(
    provider: &FireworksProvider,
    manifest: &Manifest,
    graph: &fireform_graph::Graph,
    state: &StateDocument,
    observed: &Observed,
) -> Plan {
    let input = PlanInput { account: provider.account(), manifest, graph, state, observed };
    plan(input, &PlanOptions::default()).unwrap_or_else(|error| panic!("plan failed: {error}"))
}

/// State kept in memory only, for the unmeasured setup: the engine saves after every step, and
/// at 5,000 resources writing the whole file each time would dominate the setup.
#[derive(Debug, Default)]
struct MemoryBackend;

#[derive(Debug)]
struct MemoryLock(LockInfo);

impl Backend for MemoryBackend {
    fn load(&self) -> Result<Option<StateDocument>, StateError> {
        Ok(None)
    }

    fn save(&self, _document: &StateDocument) -> Result<(), StateError> {
        // The store keeps the current document; nothing to persist.
        Ok(())
    }

    fn lock(&self, info: LockInfo, _timeout: Duration) -> Result<Box<dyn LockGuard>, StateError> {
        Ok(Box::new(MemoryLock(info)))
    }

    fn force_unlock(&self, _lock_id: &str) -> Result<LockInfo, StateError> {
        Ok(LockInfo::new("bench"))
    }

    fn describe(&self) -> String {
        "in-memory state".to_owned()
    }
}

impl LockGuard for MemoryLock {
    fn info(&self) -> &LockInfo {
        &self.0
    }

    fn release(self: Box<Self>) -> Result<(), StateError> {
        Ok(())
    }
}

/// A backend that times the saves of another: the engine saves after every step, on the task
/// that runs every step, so time spent saving delays every step in flight.
#[derive(Debug)]
struct TimedBackend {
    inner: Box<dyn Backend>,
    saves: Arc<SaveTally>,
}

#[derive(Debug, Default)]
struct SaveTally {
    count: AtomicU64,
    nanos: AtomicU64,
}

impl SaveTally {
    fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    fn total(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

impl Backend for TimedBackend {
    fn load(&self) -> Result<Option<StateDocument>, StateError> {
        self.inner.load()
    }

    fn save(&self, document: &StateDocument) -> Result<(), StateError> {
        let started = Instant::now();
        let result = self.inner.save(document);
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap();
        self.saves.count.fetch_add(1, Ordering::SeqCst);
        self.saves.nanos.fetch_add(nanos, Ordering::SeqCst);
        result
    }

    fn lock(&self, info: LockInfo, timeout: Duration) -> Result<Box<dyn LockGuard>, StateError> {
        self.inner.lock(info, timeout)
    }

    fn force_unlock(&self, lock_id: &str) -> Result<LockInfo, StateError> {
        self.inner.force_unlock(lock_id)
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

fn local_store(path: PathBuf) -> StateStore {
    StateStore::open(Box::new(LocalBackend::new(path)), LockInfo::new("bench"), Duration::ZERO)
        .unwrap()
}

/// How many resources of each kind a project of `size` holds: per 10 resources, 3 datasets,
/// 2 deployments (one taking addons), 3 fine-tuning jobs and 2 LoRA addons.
fn mix(size: usize) -> BTreeMap<ResourceKind, usize> {
    let units = size / 10;
    BTreeMap::from([
        (ResourceKind::Dataset, units * 3),
        (ResourceKind::Deployment, units * 2),
        (ResourceKind::SupervisedFineTuningJob, units * 3),
        (ResourceKind::LoraAddon, units * 2),
    ])
}

/// Writes the manifests of `size` resources into `dir`, 100 documents per file.
fn write_project(dir: &Path, size: usize) {
    assert_eq!(size % 10, 0, "the mix comes in units of 10");
    let mut documents = Vec::new();
    for unit in 0..size / 10 {
        for index in 0..3 {
            let n = unit * 3 + index;
            documents.push(format!(
                "kind: Dataset\nname: ds-{n:05}\nspec:\n  format: CHAT\n  rows:\n    - {{messages: [{{role: user, content: \"question {n}\"}}, {{role: assistant, content: \"answer {n}\"}}]}}\n"
            ));
            documents.push(format!(
                "kind: SupervisedFineTuningJob\nname: sft-{n:05}\nspec:\n  dataset: ${{dataset/ds-{n:05}}}\n  baseModel: {BASE_MODEL}\n  epochs: 1\n  loraRank: 8\n"
            ));
        }
        for index in 0..2 {
            documents.push(format!(
                "kind: Deployment\nname: dep-{unit:05}-{index}\nspec:\n  deploymentType: on-demand\n  baseModel: {BASE_MODEL}\n  acceleratorType: NVIDIA_H100_80GB\n  minReplicaCount: 0\n  maxReplicaCount: 1\n  enableAddons: {}\n",
                index == 0
            ));
            let job = unit * 3 + index;
            documents.push(format!(
                "kind: LoraAddon\nname: lora-{job:05}\nspec:\n  model: ${{supervised-fine-tuning-job/sft-{job:05}.outputModel}}\n  deployment: ${{deployment/dep-{unit:05}-0}}\n"
            ));
        }
    }
    for (file, chunk) in documents.chunks(100).enumerate() {
        std::fs::write(dir.join(format!("part-{file:03}.yaml")), chunk.join("---\n")).unwrap();
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn secs(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

async fn no_change_plan(size: usize, report: &mut String) {
    let emulator = fireform_emulator::start(EmulatorConfig {
        timings: Timings::instant(),
        gpu_quota: 1_000_000,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let project = tempfile::tempdir().unwrap();
    write_project(project.path(), size);

    // Setup: apply everything, latency off, state in memory.
    let started = Instant::now();
    let loaded = Instant::now();
    let manifest = manifest(project.path());
    let load_manifest = loaded.elapsed();
    assert_eq!(manifest.resources.len(), size);
    let setup_provider = provider(&unlimited(default_config(&emulator)));
    let memory =
        StateStore::open(Box::new(MemoryBackend), LockInfo::new("bench"), Duration::ZERO).unwrap();
    let initial = make_plan(&setup_provider, &manifest, &memory.snapshot()).await;
    let options = ApplyOptions {
        parallelism: 64,
        poll_min: Duration::from_millis(1),
        ..ApplyOptions::default()
    };
    let applied =
        apply(&setup_provider, &initial, &memory, &options, &Interrupt::new(), &|_| {}).await;
    assert!(applied.is_success(), "setup apply failed: {:?}", applied.errors.first());
    let state_path = project.path().join(".fireform/state.json");
    std::fs::create_dir_all(state_path.parent().unwrap()).unwrap();
    // What one save costs at this size: apply saves the whole document after every step.
    let backend = LocalBackend::new(&state_path);
    let mut document = StateDocument::clone(&memory.snapshot());
    drop(memory);
    let mut state_saves = Vec::new();
    for _ in 0..PLAN_REPEATS {
        document.bump_serial();
        let started = Instant::now();
        backend.save(&document).unwrap();
        state_saves.push(started.elapsed());
    }
    let state_bytes = std::fs::metadata(&state_path).unwrap().len();
    println!(
        "setup: applied {size} resources in {:.1} s (latency off, state in memory)",
        started.elapsed().as_secs_f64()
    );

    // Measured: the CLI's client settings, 50 ms per request.
    emulator.set_trouble(with_latency());
    let provider = provider(&default_config(&emulator));
    let client = provider.client();
    let mut state_loads = Vec::new();
    let mut graphs = Vec::new();
    let mut refreshes = Vec::new();
    let mut plans = Vec::new();
    let mut totals = Vec::new();
    let mut no_refresh = Vec::new();
    let mut calls = Vec::new();
    for _ in 0..PLAN_REPEATS {
        let total = Instant::now();
        let started = Instant::now();
        let store = local_store(state_path.clone());
        let state = store.snapshot();
        state_loads.push(started.elapsed());
        assert_eq!(state.len(), size);

        let started = Instant::now();
        let graph = fireform_graph::build(&manifest).unwrap();
        graphs.push(started.elapsed());

        let before = client.requests_sent();
        let started = Instant::now();
        let observed = refresh(
            &provider,
            &kinds_to_refresh(Some(&manifest), &state),
            needs_catalog(&manifest),
        )
        .await
        .unwrap();
        refreshes.push(started.elapsed());
        calls.push(client.requests_sent() - before);

        let started = Instant::now();
        let planned = plan_from(&provider, &manifest, &graph, &state, &observed);
        plans.push(started.elapsed());
        totals.push(total.elapsed());
        assert_no_changes(&planned);

        let before = client.requests_sent();
        let started = Instant::now();
        let observed = Observed::from_state(&state);
        let planned = plan_from(&provider, &manifest, &graph, &state, &observed);
        no_refresh.push(started.elapsed());
        assert_eq!(client.requests_sent(), before, "--refresh=false makes no call");
        assert_no_changes(&planned);
    }
    assert!(calls.iter().all(|count| *count == calls[0]), "calls vary: {calls:?}");

    let per_kind = mix(size);
    let bound_calls: usize = per_kind.values().map(|count| count.div_ceil(PAGE_SIZE)).sum();
    let bound_pages = per_kind.values().map(|count| count.div_ceil(PAGE_SIZE)).max().unwrap();
    let bound_time = latency() * u32::try_from(bound_pages).unwrap();
    let refresh = median(refreshes);
    let mix_text = per_kind
        .iter()
        .map(|(kind, count)| format!("{count} {kind}"))
        .collect::<Vec<_>>()
        .join(", ");
    writeln!(report, "No-change plan of {size} resources ({mix_text}), {LATENCY_MS} ms latency, median of {PLAN_REPEATS}:").unwrap();
    writeln!(report, "  | measure | figure | lower bound | ratio |").unwrap();
    writeln!(report, "  | --- | --- | --- | --- |").unwrap();
    writeln!(
        report,
        "  | refresh API calls | {} | {bound_calls} (sum over kinds of ceil(n/200)) | {:.2} |",
        calls[0],
        calls[0] as f64 / bound_calls as f64
    )
    .unwrap();
    writeln!(
        report,
        "  | refresh wall time | {} | {} ({bound_pages} pages x {LATENCY_MS} ms) | {:.2} |",
        secs(refresh),
        secs(bound_time),
        refresh.as_secs_f64() / bound_time.as_secs_f64()
    )
    .unwrap();
    writeln!(report, "  | diff (plan, after refresh) | {} | | |", secs(median(plans))).unwrap();
    writeln!(report, "  | state load (local file) | {} | | |", secs(median(state_loads))).unwrap();
    writeln!(
        report,
        "  | one state save ({:.1} MB file; apply saves after every step) | {} | | |",
        state_bytes as f64 / 1e6,
        secs(median(state_saves))
    )
    .unwrap();
    writeln!(report, "  | dependency graph | {} | | |", secs(median(graphs))).unwrap();
    writeln!(report, "  | manifest load (once) | {} | | |", secs(load_manifest)).unwrap();
    writeln!(report, "  | total: state + graph + refresh + plan | {} | | |", secs(median(totals)))
        .unwrap();
    writeln!(report, "  | `--refresh=false` plan (0 calls) | {} | | |", secs(median(no_refresh)))
        .unwrap();
    writeln!(report).unwrap();
    emulator.shutdown().await.unwrap();
}

fn assert_no_changes(plan: &Plan) {
    if plan.has_changes() {
        let text = render(plan);
        let head: String = text.lines().take(40).collect::<Vec<_>>().join("\n");
        panic!("a no-change plan has changes ({:?}):\n{head}", plan.summary());
    }
}

/// Emulator lifecycle durations for the layered apply.
fn layered_timings() -> Timings {
    Timings {
        deployment: Duration::from_millis(1_000),
        deployed_model: Duration::from_millis(500),
        job: Duration::from_millis(1_500),
        ..Timings::instant()
    }
}

/// `chains` chains dataset → SFT job → LoRA addon (on one shared deployment) → batch inference
/// job of the fine-tuned model, which waits for the addon.
fn write_layered(dir: &Path, chains: usize) {
    let mut documents = vec![format!(
        "kind: Deployment\nname: shared-base\nspec:\n  deploymentType: on-demand\n  baseModel: {BASE_MODEL}\n  acceleratorType: NVIDIA_H100_80GB\n  minReplicaCount: 1\n  maxReplicaCount: 1\n  enableAddons: true\n"
    )];
    for n in 0..chains {
        documents.push(format!(
            "kind: Dataset\nname: data-{n:02}\nspec:\n  format: CHAT\n  rows:\n    - {{messages: [{{role: user, content: \"chain {n}\"}}, {{role: assistant, content: \"ok\"}}]}}\n"
        ));
        documents.push(format!(
            "kind: SupervisedFineTuningJob\nname: tune-{n:02}\nspec:\n  dataset: ${{dataset/data-{n:02}}}\n  baseModel: {BASE_MODEL}\n  epochs: 1\n"
        ));
        documents.push(format!(
            "kind: LoraAddon\nname: serve-{n:02}\nspec:\n  model: ${{supervised-fine-tuning-job/tune-{n:02}.outputModel}}\n  deployment: ${{deployment/shared-base}}\n"
        ));
        documents.push(format!(
            "kind: BatchInferenceJob\nname: eval-{n:02}\nspec:\n  model: ${{supervised-fine-tuning-job/tune-{n:02}.outputModel}}\n  inputDatasetId: ${{dataset/data-{n:02}}}\n  outputDatasetId: eval-{n:02}-results\ndependsOn: [lora-addon/serve-{n:02}]\n"
        ));
    }
    std::fs::write(dir.join("main.yaml"), documents.join("---\n")).unwrap();
}

/// What one apply of the layered graph did.
struct ApplyRun {
    wall: Duration,
    calls: u64,
    /// State saves, and the time they took.
    saves: u64,
    save_time: Duration,
    /// Per kind: the durations of its steps.
    steps: BTreeMap<ResourceKind, Vec<Duration>>,
}

/// Applies the layered graph of `chains` chains on a fresh emulator and a state file.
async fn apply_layered(
    chains: usize,
    timings: Timings,
    trouble: Trouble,
    config: impl Fn(ClientConfig) -> ClientConfig,
    options: &ApplyOptions,
    state_file: bool,
) -> ApplyRun {
    let emulator = fireform_emulator::start(EmulatorConfig {
        timings,
        gpu_quota: 1_000_000,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let project = tempfile::tempdir().unwrap();
    write_layered(project.path(), chains);
    let manifest = manifest(project.path());
    let provider = provider(&config(default_config(&emulator)));
    let tally = Arc::new(SaveTally::default());
    let inner: Box<dyn Backend> = if state_file {
        Box::new(LocalBackend::new(project.path().join(".fireform/state.json")))
    } else {
        Box::new(MemoryBackend)
    };
    let backend = TimedBackend { inner, saves: Arc::clone(&tally) };
    let store =
        StateStore::open(Box::new(backend), LockInfo::new("bench"), Duration::ZERO).unwrap();
    emulator.set_trouble(trouble);
    let planned = make_plan(&provider, &manifest, &store.snapshot()).await;
    assert_eq!(planned.summary().add, chains * 4 + 1);

    let events: Mutex<Vec<Event>> = Mutex::new(Vec::new());
    let before = provider.client().requests_sent();
    let started = Instant::now();
    let applied = apply(&provider, &planned, &store, options, &Interrupt::new(), &|event| {
        events.lock().unwrap().push(event);
    })
    .await;
    let wall = started.elapsed();
    let calls = provider.client().requests_sent() - before;
    assert!(applied.is_success(), "apply failed: {:?}", applied.errors.first());
    let mut steps: BTreeMap<ResourceKind, Vec<Duration>> = BTreeMap::new();
    for event in events.into_inner().unwrap() {
        if let Event::Finished { addr, elapsed, .. } = event {
            steps.entry(addr.kind).or_default().push(elapsed);
        }
    }
    emulator.shutdown().await.unwrap();
    ApplyRun { wall, calls, saves: tally.count(), save_time: tally.total(), steps }
}

async fn layered_apply(report: &mut String) {
    // Calibration: one chain, one step at a time, instant lifecycles, no latency: the calls each
    // step needs at the least (its requests, plus the one read that finds it ready).
    let calibration = {
        let emulator = fireform_emulator::start(EmulatorConfig {
            timings: Timings::instant(),
            gpu_quota: 1_000_000,
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        let project = tempfile::tempdir().unwrap();
        write_layered(project.path(), 1);
        let manifest = manifest(project.path());
        let provider = provider(&default_config(&emulator));
        let store = local_store(project.path().join(".fireform/state.json"));
        let planned = make_plan(&provider, &manifest, &store.snapshot()).await;
        let client = provider.client().clone();
        let counts: Mutex<(u64, BTreeMap<ResourceKind, u64>)> = Mutex::new((0, BTreeMap::new()));
        let options = ApplyOptions { parallelism: 1, ..ApplyOptions::default() };
        let applied = apply(&provider, &planned, &store, &options, &Interrupt::new(), &|event| {
            let mut counts = counts.lock().unwrap();
            match event {
                Event::Started { .. } => counts.0 = client.requests_sent(),
                Event::Finished { addr, .. } => {
                    let calls = client.requests_sent() - counts.0;
                    counts.1.insert(addr.kind, calls);
                }
                _ => {}
            }
        })
        .await;
        assert!(applied.is_success(), "calibration failed: {:?}", applied.errors.first());
        emulator.shutdown().await.unwrap();
        counts.into_inner().unwrap().1
    };

    let timings = layered_timings();
    let lifecycle = |kind: ResourceKind| match kind {
        ResourceKind::Deployment => timings.deployment,
        ResourceKind::LoraAddon => timings.deployed_model,
        ResourceKind::SupervisedFineTuningJob
        | ResourceKind::ReinforcementFineTuningJob
        | ResourceKind::BatchInferenceJob => timings.job,
        ResourceKind::Dataset => Duration::ZERO,
    };
    let minimum = |kind: ResourceKind| {
        lifecycle(kind) + latency() * u32::try_from(calibration[&kind]).unwrap()
    };
    let chain = [
        ResourceKind::Dataset,
        ResourceKind::SupervisedFineTuningJob,
        ResourceKind::LoraAddon,
        ResourceKind::BatchInferenceJob,
    ];
    let through_data: Duration = chain.iter().map(|kind| minimum(*kind)).sum();
    let through_deployment: Duration =
        chain[2..].iter().map(|kind| minimum(*kind)).sum::<Duration>()
            + minimum(ResourceKind::Deployment);
    let critical = through_data.max(through_deployment);
    let round_trips: u64 = chain.iter().map(|kind| calibration[kind]).sum();
    // The emulator adds its latency before handling a request, so the read that finds a step
    // ready may be sent up to one latency before the lifecycle ends: the strict bound counts
    // one round trip fewer for each step that waits for a lifecycle.
    let waits = chain.iter().filter(|kind| !lifecycle(**kind).is_zero()).count();
    let strict = critical - latency() * u32::try_from(waits).unwrap();

    let defaults = ApplyOptions::default();
    let wide = ApplyOptions { parallelism: 100, ..ApplyOptions::default() };
    let tuned = ApplyOptions {
        parallelism: 100,
        poll_max: Duration::from_millis(250),
        ..ApplyOptions::default()
    };
    let tight = ApplyOptions {
        parallelism: 100,
        poll_min: Duration::from_millis(50),
        poll_max: Duration::from_millis(100),
        ..ApplyOptions::default()
    };
    // (label, options, client limits raised, state in a file)
    let runs: [(&str, &ApplyOptions, bool, bool); 8] = [
        (
            "defaults: parallelism 10, poll a tenth of the wait, 200 ms to 5 s",
            &defaults,
            false,
            true,
        ),
        ("parallelism 100", &wide, false, true),
        ("parallelism 100, client limits raised", &wide, true, true),
        ("parallelism 100, client limits raised, state in memory", &wide, true, false),
        ("parallelism 100, poll_max 250 ms, client limits raised", &tuned, true, true),
        (
            "parallelism 100, poll_max 250 ms, client limits raised, state in memory",
            &tuned,
            true,
            false,
        ),
        ("parallelism 100, poll 50 ms up to 100 ms, client limits raised", &tight, true, true),
        (
            "parallelism 100, poll 50 ms up to 100 ms, client limits raised, state in memory",
            &tight,
            true,
            false,
        ),
    ];

    writeln!(
        report,
        "Apply of a layered graph: {CHAINS} chains dataset -> SFT job -> LoRA addon -> batch job, addons on one shared deployment ({} resources); lifecycles: deployment {} ms, job {} ms, deployed model {} ms; {LATENCY_MS} ms latency.",
        CHAINS * 4 + 1,
        timings.deployment.as_millis(),
        timings.job.as_millis(),
        timings.deployed_model.as_millis(),
    )
    .unwrap();
    let calls_text = calibration
        .iter()
        .map(|(kind, calls)| format!("{kind} {calls}"))
        .collect::<Vec<_>>()
        .join(", ");
    writeln!(report, "  Calls per step at the least (calibration): {calls_text}.").unwrap();
    writeln!(
        report,
        "  Critical path: {} = lifecycles {} + {round_trips} round trips x {LATENCY_MS} ms (through the deployment: {}); strict lower bound {} (the final read of each of the {waits} waits overlapping its lifecycle).",
        secs(critical),
        secs(chain.iter().map(|kind| lifecycle(*kind)).sum()),
        secs(through_deployment),
        secs(strict),
    )
    .unwrap();
    writeln!(report, "  | options | wall (median of {APPLY_REPEATS}) | over critical path (over strict bound) | API calls | state saves (time) | mean step time per kind, s (minimum) |").unwrap();
    writeln!(report, "  | --- | --- | --- | --- | --- | --- |").unwrap();
    for (label, options, raised, state_file) in runs {
        let mut walls = Vec::new();
        let mut last = None;
        for _ in 0..APPLY_REPEATS {
            let run = if raised {
                apply_layered(CHAINS, timings, with_latency(), unlimited, options, state_file).await
            } else {
                let same = |config| config;
                apply_layered(CHAINS, timings, with_latency(), same, options, state_file).await
            };
            println!("apply ({label}): {}", secs(run.wall));
            walls.push(run.wall);
            last = Some(run);
        }
        let last = last.unwrap();
        let wall = median(walls);
        let steps = last
            .steps
            .iter()
            .map(|(kind, durations)| {
                let mean =
                    durations.iter().sum::<Duration>() / u32::try_from(durations.len()).unwrap();
                format!("{kind} {:.2} ({:.2})", mean.as_secs_f64(), minimum(*kind).as_secs_f64())
            })
            .collect::<Vec<_>>()
            .join("; ");
        writeln!(
            report,
            "  | {label} | {} | {:+.1}% ({:+.1}%) | {} | {} ({}) | {steps} |",
            secs(wall),
            (wall.as_secs_f64() / critical.as_secs_f64() - 1.0) * 100.0,
            (wall.as_secs_f64() / strict.as_secs_f64() - 1.0) * 100.0,
            last.calls,
            last.saves,
            secs(last.save_time),
        )
        .unwrap();
    }
}

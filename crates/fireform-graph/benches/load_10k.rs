//! Benchmark: load, validate and build the graph of a generated project of 10,000 resources.
//!
//! Writes 100 manifest files of 100 documents each (every kind, references within and across
//! files, a few datasets from a JSONL file) into a temporary directory, then times
//! `fireform_manifest::load` + `fireform_graph::build` over several runs (`FIREFORM_BENCH_RUNS`,
//! default 7) and reports the fastest and median run, the CPU time per run, and the peak
//! resident memory (`VmHWM`). Freeing the result is timed separately: it is not loading. Goal: under 0.3 s and
//! under 200 MB. Run with `cargo bench -p fireform-graph`.
#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const GROUPS: usize = 1_000;
const GROUPS_PER_FILE: usize = 10;
/// Runs measured unless `FIREFORM_BENCH_RUNS` says otherwise (1 is handy under a profiler).
const RUNS: usize = 7;

fn main() {
    let temp = tempfile::tempdir().expect("create a temporary directory");
    // `FIREFORM_BENCH_DIR` keeps the generated project for inspection or profiling.
    let dir = std::env::var_os("FIREFORM_BENCH_DIR")
        .map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let resources = generate(&dir);
    let paths = [dir.clone()];

    let runs = std::env::var("FIREFORM_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse::<usize>().ok())
        .filter(|&runs| runs > 0)
        .unwrap_or(RUNS);
    let mut times = Vec::with_capacity(runs);
    let mut drops = Vec::with_capacity(runs);
    let cpu_before = cpu_time();
    for _ in 0..runs {
        let started = Instant::now();
        let (manifest, graph) = run(&paths);
        times.push(started.elapsed());
        assert!(graph.edges().len() > resources, "the generated project has references");
        // Freeing the result is not part of loading it; it is timed on its own.
        let started = Instant::now();
        drop((manifest, graph));
        drops.push(started.elapsed());
    }
    let cpu_per_run =
        cpu_time().zip(cpu_before).map(|(after, before)| (after - before) / runs as u32);
    times.sort();
    let median = times[runs / 2];
    let fastest = times[0];
    println!(
        "load + validate + graph, {resources} resources in {} files:",
        GROUPS / GROUPS_PER_FILE
    );
    println!("  fastest {:>8.1} ms", millis(fastest));
    println!("  median  {:>8.1} ms   (goal < 300 ms)", millis(median));
    if let Some(cpu) = cpu_per_run {
        println!("  CPU     {:>8.1} ms per run (all threads, freeing included)", millis(cpu));
    }
    drops.sort();
    println!("  freeing {:>8.1} ms median (not in the times above)", millis(drops[runs / 2]));
    match peak_rss_kib() {
        Some(kib) => println!("  peak RSS {:>7.1} MB   (goal < 200 MB)", kib as f64 / 1024.0),
        None => println!("  peak RSS unavailable (no /proc/self/status)"),
    }
}

fn run(paths: &[PathBuf]) -> (fireform_manifest::Manifest, fireform_graph::Graph) {
    let manifest = match fireform_manifest::load(paths) {
        Ok(manifest) => manifest,
        Err(diagnostics) => {
            panic!("generated project is invalid:\n{}", diagnostics.render(Default::default()))
        }
    };
    let graph = fireform_graph::build(&manifest).expect("generated project has no cycles");
    (manifest, graph)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// CPU time of the whole process so far (user + system), from `/proc/self/stat`.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports clock ticks of 1/100 s (USER_HZ) on every supported architecture.
    Some(Duration::from_millis(ticks * 10))
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Writes the project; returns how many resources it declares.
fn generate(dir: &Path) -> usize {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("create data dir");
    let mut rows = String::new();
    for index in 0..20 {
        let _ = writeln!(
            rows,
            r#"{{"messages": [{{"role": "user", "content": "question {index}"}}, {{"role": "assistant", "content": "answer {index}"}}]}}"#
        );
    }
    std::fs::write(data.join("chats.jsonl"), rows).expect("write jsonl");

    let mut count = 0;
    for file in 0..GROUPS / GROUPS_PER_FILE {
        let mut text = String::new();
        for group in file * GROUPS_PER_FILE..(file + 1) * GROUPS_PER_FILE {
            // Reference the previous group's deployment to make edges cross files.
            let base = if group == 0 { 0 } else { group - 1 };
            let source = match group % 3 {
                0 => "path: data/chats.jsonl".to_owned(),
                1 => "rows:\n    - {messages: [{role: user, content: hi}, {role: assistant, content: hello}]}".to_owned(),
                _ => format!("existing: shared-{group}"),
            };
            let _ = write!(
                text,
                r"kind: Deployment
name: base-{group}
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  minReplicaCount: 0
  maxReplicaCount: 2
  enableAddons: true
  autoscalingPolicy: {{scaleDownWindow: 10m, scaleToZeroWindow: 1h}}
lifecycle: {{preventDestroy: true, timeouts: {{create: 30m}}}}
---
kind: Dataset
name: chats-{group}
spec:
  {source}
---
kind: Dataset
name: eval-{group}
spec:
  rows:
    - {{messages: [{{role: user, content: ping}}]}}
---
kind: SupervisedFineTuningJob
name: tune-{group}
spec:
  dataset: ${{dataset/chats-{group}}}
  evaluationDataset: ${{dataset/eval-{group}}}
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  epochs: 2
  learningRate: 0.0001
---
kind: SupervisedFineTuningJob
name: tune-more-{group}
spec:
  dataset: ${{dataset/chats-{group}}}
  warmStartFrom: ${{supervised-fine-tuning-job/tune-{group}.outputModel}}
---
kind: LoraAddon
name: addon-{group}
spec:
  model: ${{supervised-fine-tuning-job/tune-{group}.outputModel}}
  deployment: ${{deployment/base-{group}}}
---
kind: LoraAddon
name: addon-prev-{group}
spec:
  model: ${{supervised-fine-tuning-job/tune-{group}.outputModel}}
  deployment: ${{deployment/base-{base}}}
dependsOn: [lora-addon/addon-{group}]
---
kind: ReinforcementFineTuningJob
name: rft-{group}
spec:
  dataset: ${{dataset/chats-{group}}}
  evaluator: accounts/my-account/evaluators/exact-match
  trainingConfig: {{baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct, epochs: 1}}
---
kind: BatchInferenceJob
name: batch-{group}
spec:
  model: ${{supervised-fine-tuning-job/tune-{group}.outputModel}}
  inputDatasetId: ${{dataset/eval-{group}}}
---
kind: BatchInferenceJob
name: batch-next-{group}
spec:
  continuedFromJobName: ${{batch-inference-job/batch-{group}}}
---
"
            );
            count += 10;
        }
        std::fs::write(dir.join(format!("group-{file:03}.yaml")), text).expect("write manifest");
    }
    count
}

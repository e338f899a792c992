//! What each state backend costs a run, side by side in one run: the local file, PostgreSQL,
//! LocalStack and moto, all on loopback, for states of 1,000 and 5,000 resources shaped like the
//! engine benchmark's (deployments, datasets, jobs, LoRA addons with specs and values).
//!
//! Per backend and size: taking and releasing the lock, loading the state, saving it (one more
//! serial), medians of `FIREFORM_BENCH_RUNS` (default 7). A no-change plan pays lock + load +
//! release; an apply adds saves. The goal: a remote load + save adds at most 150 ms at 5,000
//! resources over the local file.
//!
//! `cargo bench -p fireform-backends --bench backends` (needs `.ci/setup.d/*.sh` run first).

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "a benchmark binary that prints")]

use std::time::{Duration, Instant};

use fireform_backends::Location;
use fireform_core::ResourceAddr;
use fireform_state::{Backend, LockInfo, ResourceState, StateDocument};
use fireform_test_servers::{Postgres, S3Kind, S3Server};
use serde_json::json;

fn document(resources: usize) -> StateDocument {
    let mut document = StateDocument::new();
    for index in 0..resources {
        let (kind, spec) = match index % 10 {
            0..=2 => {
                ("dataset", json!({"format": "CHAT", "exampleCount": "100", "userUploaded": {}}))
            }
            3 | 4 => (
                "deployment",
                json!({"baseModel": "accounts/fireworks/models/llama-v3p1-8b-instruct",
                       "acceleratorType": "NVIDIA_H100_80GB", "minReplicaCount": 0,
                       "maxReplicaCount": 1, "enableAddons": true}),
            ),
            5..=7 => (
                "supervised-fine-tuning-job",
                json!({"dataset": format!("accounts/acme/datasets/ds-{index:05}"),
                       "baseModel": "accounts/fireworks/models/llama-v3p1-8b-instruct",
                       "epochs": 1, "loraRank": 8}),
            ),
            _ => (
                "lora-addon",
                json!({"model": format!("accounts/acme/models/sft-{index:05}"),
                       "deployment": "accounts/acme/deployments/dep-00000-0"}),
            ),
        };
        let addr: ResourceAddr = format!("{kind}/r-{index:05}").parse().unwrap();
        let mut record = ResourceState::new(
            addr,
            format!("r-{index:05}"),
            format!("accounts/acme/things/r-{index:05}"),
            spec.as_object().unwrap().clone(),
        );
        record
            .values
            .insert("name".to_owned(), json!(format!("accounts/acme/things/r-{index:05}")));
        document.upsert(record);
    }
    document.bump_serial();
    document
}

/// A backend to measure: its name, its location and the environment it reads.
type Target = (&'static str, String, Vec<(&'static str, String)>);

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

struct Figures {
    lock: Duration,
    load: Duration,
    save: Duration,
}

fn measure(backend: &dyn Backend, mut document: StateDocument, runs: usize) -> Figures {
    backend.save(&document).unwrap();
    let (mut lock, mut load, mut save) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let started = Instant::now();
        let guard = backend.lock(LockInfo::new("bench"), Duration::ZERO).unwrap();
        let locked = started.elapsed();
        let started = Instant::now();
        let loaded = backend.load().unwrap().unwrap();
        load.push(started.elapsed());
        assert_eq!(loaded.len(), document.len());
        document.bump_serial();
        let started = Instant::now();
        backend.save(&document).unwrap();
        save.push(started.elapsed());
        let started = Instant::now();
        guard.release().unwrap();
        lock.push(locked + started.elapsed());
    }
    Figures { lock: median(lock), load: median(load), save: median(save) }
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn main() {
    let runs: usize =
        std::env::var("FIREFORM_BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(7);
    let postgres = Postgres::start();
    let localstack = S3Server::start(S3Kind::LocalStack);
    let moto = S3Server::start(S3Kind::Moto);
    for server in [&localstack, &moto] {
        server.create_bucket("bench-state");
    }
    let dir = tempfile::tempdir().unwrap();
    println!("State backends on loopback, median of {runs} (lock = take + release):");
    println!(
        "| resources | backend | file size | lock | load | save | load + save over the file |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for size in [1_000, 5_000] {
        let document = document(size);
        let bytes = document.to_json().len();
        let mut file_cost = Duration::ZERO;
        let targets: Vec<Target> = vec![
            (
                "local file",
                dir.path().join(format!("state-{size}.json")).display().to_string(),
                Vec::new(),
            ),
            ("PostgreSQL", format!("{}?name=bench-{size}", postgres.url()), Vec::new()),
            ("LocalStack", format!("s3://bench-state/state-{size}.json"), localstack.aws_env()),
            ("moto", format!("s3://bench-state/state-{size}.json"), moto.aws_env()),
        ];
        for (name, location, env) in targets {
            let backend = Location::parse(&location, std::path::Path::new(""))
                .unwrap()
                .open(&move |key| env.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()))
                .unwrap();
            // A fresh lineage per backend: each starts from an empty location.
            let mut fresh = StateDocument::new();
            fresh.replace_with(document.clone());
            let figures = measure(backend.as_ref(), fresh, runs);
            let cost = figures.load + figures.save;
            if name == "local file" {
                file_cost = cost;
            }
            println!(
                "| {size} | {name} | {:.1} MB | {} | {} | {} | {} |",
                bytes as f64 / 1e6,
                ms(figures.lock),
                ms(figures.load),
                ms(figures.save),
                if name == "local file" {
                    "—".to_owned()
                } else {
                    format!("+{}", ms(cost.saturating_sub(file_cost)))
                }
            );
        }
    }
}

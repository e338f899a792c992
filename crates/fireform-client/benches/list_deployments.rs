//! Benchmark: reading 5,000 deployments through the emulator with 50 ms injected latency per
//! request. Paging (200 per page) needs ceil(5000/200) = 25 round trips; reading each resource
//! by GET would need 5,000. Reports calls and wall time for both (the GET-each figure is
//! measured on a sample and scaled, to keep the run short).
//!
//! Run with `cargo bench -p fireform-client --bench list_deployments`. The deployments are
//! seeded with latency off; latency is switched on only for the measured reads.

#![allow(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly, like a test")]

use std::time::{Duration, Instant};

use fireform_api::Deployment;
use fireform_client::{ApiKey, Client, ClientConfig, ListOptions, RateLimit};
use fireform_emulator::{EmulatorConfig, Timings, Trouble};

const DEPLOYMENTS: usize = 5_000;
const LATENCY_MS: u64 = 50;
const GET_SAMPLE: usize = 320;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let emulator = fireform_emulator::start(EmulatorConfig {
        timings: Timings::instant(),
        gpu_quota: 1_000_000,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let config = ClientConfig::new(ApiKey::new(fireform_emulator::DEFAULT_API_KEY))
        .with_base_url(&emulator.url())
        .unwrap()
        .with_account_id(fireform_emulator::DEFAULT_ACCOUNT)
        .unwrap()
        // The default (90/s, under the documented 6,000/min) would make seeding take a minute;
        // it does not affect the 25 list calls measured.
        .with_rate_limit(RateLimit { requests_per_second: 100_000.0, burst: 1_000 });
    let client = Client::new(config).unwrap();

    let seeding = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..DEPLOYMENTS {
        let client = client.clone();
        tasks.spawn(async move {
            let deployment = Deployment {
                base_model: Some("accounts/fireworks/models/llama-v3p1-8b-instruct".to_owned()),
                max_replica_count: Some(1),
                ..Deployment::default()
            };
            client
                .create_deployment(&format!("bench-{index:05}"), &deployment, &Default::default())
                .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    println!("seeded {DEPLOYMENTS} deployments in {:.2?} (latency off)", seeding.elapsed());

    emulator.set_trouble(Trouble { latency_ms: LATENCY_MS, ..Trouble::default() });

    let before = client.requests_sent();
    let started = Instant::now();
    let all = client.list_all::<Deployment>(&ListOptions::default()).await.unwrap();
    let paged_time = started.elapsed();
    let paged_calls = client.requests_sent() - before;
    assert_eq!(all.len(), DEPLOYMENTS);
    let lower_bound = Duration::from_millis(LATENCY_MS) * u32::try_from(paged_calls).unwrap();

    let before = client.requests_sent();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..GET_SAMPLE {
        let client = client.clone();
        tasks.spawn(async move { client.get_deployment(&format!("bench-{index:05}")).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let sample_time = started.elapsed();
    let sample_calls = client.requests_sent() - before;
    let scale = DEPLOYMENTS as f64 / GET_SAMPLE as f64;

    println!("read {DEPLOYMENTS} deployments with {LATENCY_MS} ms latency per request:");
    println!(
        "  paged list (pageSize 200): {paged_calls} calls, {paged_time:.2?} \
         (lower bound {paged_calls} x {LATENCY_MS} ms = {lower_bound:.2?})"
    );
    println!(
        "  GET each (16 in flight):   {sample_calls} calls for {GET_SAMPLE} in {sample_time:.2?}; \
         scaled to {DEPLOYMENTS}: {:.0} calls, {:.2?}",
        sample_calls as f64 * scale,
        sample_time.mul_f64(scale)
    );
    emulator.shutdown().await.unwrap();
}

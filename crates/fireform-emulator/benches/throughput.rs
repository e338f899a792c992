//! Server throughput of the emulator over loopback: a closed-loop load generator with a fixed
//! number of keep-alive connections drives simple GETs, list pages and creates against an
//! in-process emulator (memory only, no trouble injected, instant state transitions), and prints
//! requests per second and latency percentiles per phase.
//!
//! Run with `cargo bench -p fireform-emulator --bench throughput`. Client and server share this
//! process and the machine's cores, so the figures are a floor for the server alone. It talks only
//! to 127.0.0.1. It deliberately does not use criterion: what matters here is sustained throughput
//! under concurrency and tail latency, not the time of one call.
//!
//! Settings (environment): `BENCH_CONNECTIONS` (default 32), `BENCH_SECS` per phase (default 4),
//! `BENCH_DATA_DIR=1` to run the server with a fresh temporary data directory (every mutation
//! durably saved before its response) instead of in memory.
//! Exits non-zero if any request fails, so a broken server cannot produce a figure.

#![allow(clippy::print_stdout, reason = "a bench binary reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a bench binary fails loudly")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fireform_emulator::{EmulatorConfig, EmulatorHandle, Timings, Trouble};
use reqwest::{Client, Method};

/// Throughput goal from the issue, and the p99 latency goal.
const GOAL_RPS: f64 = 10_000.0;
const GOAL_P99: Duration = Duration::from_millis(5);

/// One request a phase sends; `n` is unique across the whole phase (for create ids).
type MakeRequest = Arc<dyn Fn(&Client, u64) -> reqwest::RequestBuilder + Send + Sync>;

struct Phase {
    name: &'static str,
    make: MakeRequest,
    /// The status every request must get.
    expect: u16,
}

struct Outcome {
    requests: usize,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs `phase` on `connections` concurrent closed loops for `secs`; each loop owns one keep-alive
/// connection in the client's pool and sends its next request as soon as the previous answer is
/// read completely.
async fn run_phase(client: &Client, phase: &Phase, connections: usize, secs: f64) -> Outcome {
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut loops = Vec::with_capacity(connections);
    for _ in 0..connections {
        let client = client.clone();
        let make = phase.make.clone();
        let counter = counter.clone();
        let errors = errors.clone();
        let first_error = first_error.clone();
        let expect = phase.expect;
        loops.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(64 * 1024);
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let result = make(&client, n).send().await;
                let failure = match result {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        match response.bytes().await {
                            Ok(_) if status == expect => None,
                            Ok(body) => {
                                Some(format!("status {status}: {}", String::from_utf8_lossy(&body)))
                            }
                            Err(err) => Some(format!("reading body: {err}")),
                        }
                    }
                    Err(err) => Some(format!("sending: {err}")),
                };
                latencies.push(sent.elapsed());
                if let Some(message) = failure {
                    errors.fetch_add(1, Ordering::Relaxed);
                    first_error.lock().unwrap().get_or_insert(message);
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for handle in loops {
        latencies.extend(handle.await.unwrap());
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let first_error = first_error.lock().unwrap().take();
    Outcome {
        requests: latencies.len(),
        errors: errors.load(Ordering::Relaxed),
        first_error,
        elapsed,
        latencies,
    }
}

/// CPU time this process (client and server together) has used, from `/proc/self/stat`
/// (`utime` + `stime`, in clock ticks of 10 ms); `None` off Linux.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let connections: usize = env_or("BENCH_CONNECTIONS", 32);
    let secs: f64 = env_or("BENCH_SECS", 4.0);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let failed = runtime.block_on(bench(connections, secs));
    if failed {
        std::process::exit(1);
    }
}

/// The emulator as the benchmark wants it: memory only (or in `data_dir`), calm, instant
/// lifecycles.
async fn start_server(data_dir: Option<&std::path::Path>) -> (EmulatorHandle, String, String) {
    let config = EmulatorConfig {
        data_dir: data_dir.map(std::path::Path::to_owned),
        trouble: Trouble::default(),
        timings: Timings::instant(),
        ..EmulatorConfig::default()
    };
    let (key, account) = (config.api_key.clone(), config.account.clone());
    (fireform_emulator::start(config).await.unwrap(), key, account)
}

async fn bench(connections: usize, secs: f64) -> bool {
    let data_dir = (env_or("BENCH_DATA_DIR", 0u8) == 1).then(|| tempfile::tempdir().unwrap());
    let (server, key, account) = start_server(data_dir.as_ref().map(|dir| dir.path())).await;
    let base = server.url();
    // reqwest needs a TLS provider even for plain http; loopback never uses it.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = Client::builder()
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .http1_only()
        .build()
        .unwrap();
    let acct = format!("{base}/v1/accounts/{account}");

    // A few resources for the GET and list phases to read.
    for i in 0..20 {
        let response = client
            .post(format!("{acct}/datasets"))
            .bearer_auth(&key)
            .json(&serde_json::json!({
                "datasetId": format!("seed-{i}"),
                "dataset": {"userUploaded": {}, "exampleCount": "10", "displayName": "seed"},
            }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "seeding dataset {i}: {}", response.status());
    }

    let get_url = format!("{acct}/datasets/seed-7");
    let list_url = format!("{acct}/datasets?pageSize=10");
    let create_url = format!("{acct}/datasets");
    let auth = format!("Bearer {key}");
    let phases = [
        Phase {
            name: "GET dataset",
            make: {
                let (url, auth) = (get_url.clone(), auth.clone());
                Arc::new(move |c: &Client, _| {
                    c.request(Method::GET, &url).header("authorization", &auth)
                })
            },
            expect: 200,
        },
        Phase {
            name: "LIST datasets (page of 10)",
            make: {
                let (url, auth) = (list_url, auth.clone());
                Arc::new(move |c: &Client, _| {
                    c.request(Method::GET, &url).header("authorization", &auth)
                })
            },
            expect: 200,
        },
        Phase {
            name: "POST create dataset",
            make: {
                let (url, auth) = (create_url, auth.clone());
                Arc::new(move |c: &Client, n| {
                    let body = format!(
                        r#"{{"datasetId":"bench-{n}","dataset":{{"userUploaded":{{}},"exampleCount":"1"}}}}"#
                    );
                    c.request(Method::POST, &url)
                        .header("authorization", &auth)
                        .header("content-type", "application/json")
                        .body(body)
                })
            },
            expect: 200,
        },
        Phase {
            name: "GET dataset (bigger world)",
            make: {
                let (url, auth) = (get_url.clone(), auth.clone());
                Arc::new(move |c: &Client, _| {
                    c.request(Method::GET, &url).header("authorization", &auth)
                })
            },
            expect: 200,
        },
    ];

    // Warm up connections and allocator on the GET path; not reported.
    let _ = run_phase(&client, &phases[0], connections, 0.5).await;

    println!(
        "emulator throughput over loopback: {connections} keep-alive connections, {secs} s per phase, \
         client and server in one process sharing {} cores, world {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if data_dir.is_some() { "saved in a data directory" } else { "in memory" }
    );
    println!(
        "{:<28} {:>9} {:>10} {:>9} {:>9} {:>9} {:>10}  goal",
        "phase", "requests", "req/s", "p50", "p99", "max", "cpu/req"
    );
    let mut failed = false;
    for phase in &phases {
        let cpu_before = process_cpu();
        let out = run_phase(&client, phase, connections, secs).await;
        let cpu = match (cpu_before, process_cpu()) {
            (Some(before), Some(after)) if out.requests > 0 => {
                format!("{:.0} us", (after - before).as_secs_f64() * 1e6 / out.requests as f64)
            }
            _ => "-".to_owned(),
        };
        let rps = out.requests as f64 / out.elapsed.as_secs_f64();
        let (p50, p99) = (percentile(&out.latencies, 50.0), percentile(&out.latencies, 99.0));
        let max = out.latencies.last().copied().unwrap_or_default();
        let goal = if rps >= GOAL_RPS && p99 < GOAL_P99 { "met" } else { "MISSED" };
        println!(
            "{:<28} {:>9} {:>10.0} {:>9} {:>9} {:>9} {cpu:>10}  {goal}",
            phase.name,
            out.requests,
            rps,
            ms(p50),
            ms(p99),
            ms(max)
        );
        if out.errors > 0 {
            println!(
                "  {} of {} requests failed; first: {}",
                out.errors,
                out.requests,
                out.first_error.unwrap_or_default()
            );
            failed = true;
        }
    }
    println!(
        "goal: >= {GOAL_RPS} req/s with p99 < {}; cpu/req is client + server CPU per request, \
         so ~{} us/req is what 2 idle cores need to reach the goal",
        ms(GOAL_P99),
        2e6 / GOAL_RPS
    );
    server.shutdown().await.unwrap();
    failed
}

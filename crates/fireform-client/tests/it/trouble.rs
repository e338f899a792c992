//! Trouble: 503s and 429 bursts, lost replies after a commit, Retry-After, `x-should-retry`,
//! and the client-side rate limit, all against the emulator.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use fireform_api::{DeployedModel, Deployment};
use fireform_client::{
    Client, ErrorKind, ListOptions, LoadOptions, RateLimit, RetryPolicy, UploadMethod, WaitOptions,
};
use fireform_emulator::{EmulatorConfig, RateLimit as ServerRateLimit, Trouble};

use crate::support::{
    JSONL, Loss, LossyProxy, client_config, created, dataset, deployment, emulator_config, setup,
    setup_with,
};

/// Every operation of a resource's life, for one id.
async fn life_of(client: Client, index: usize) {
    let id = format!("rough-{index}");
    client.create_deployment(&id, &deployment(), &Default::default()).await.unwrap();
    client.get_deployment(&id).await.unwrap();
    let change = Deployment { max_replica_count: Some(2), ..deployment() };
    client.update_deployment(&id, &change, &["maxReplicaCount"]).await.unwrap();
    client.scale_deployment(&id, 1).await.unwrap();
    client.list_all::<Deployment>(&ListOptions::default()).await.unwrap();
    client.delete_deployment(&id, Default::default()).await.unwrap();
    client.create_dataset(&id, &dataset()).await.unwrap();
    let bytes = Bytes::from_static(JSONL.as_bytes());
    client.upload_dataset_file(&id, "train.jsonl", bytes, UploadMethod::SignedUrl).await.unwrap();
    client.get_dataset(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_survives_503s_and_429_bursts_and_creates_once() {
    let setup = setup().await;
    setup.emulator.set_trouble(Trouble {
        error_503: 0.3,
        error_429: 0.05,
        retry_after_secs: 1,
        // Bursts: the client may send 5,000/s; the server takes 60 per second, then 429s.
        rate_limit: Some(ServerRateLimit { requests: 60, per_secs: 1 }),
        ..Trouble::default()
    });
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..8 {
        tasks.spawn(life_of(setup.client.clone(), index));
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
    let deployments = created(&setup.emulator, "deployments");
    let datasets = created(&setup.emulator, "datasets");
    assert_eq!(deployments.len(), 8, "{deployments:?}");
    assert_eq!(datasets.len(), 8, "{datasets:?}");
    let distinct: std::collections::BTreeSet<_> = deployments.iter().chain(&datasets).collect();
    assert_eq!(distinct.len(), 16, "each resource created exactly once");
    let refused = setup.emulator.audit_log().iter().filter(|entry| entry.status >= 400).count();
    assert_eq!(refused, 0, "trouble is injected before handlers; no handler refused anything");
}

#[tokio::test]
async fn a_create_whose_reply_is_lost_is_adopted_not_duplicated() {
    let setup = setup().await;
    let proxy = LossyProxy::start(&setup.emulator.url()).await;
    let client = Client::connect(client_config(proxy.url(), fireform_emulator::DEFAULT_API_KEY))
        .await
        .unwrap();

    proxy.lose("POST", "/deployments", Loss::Drop, 1);
    let adopted =
        client.create_deployment("lost", &deployment(), &Default::default()).await.unwrap();
    assert_eq!(adopted.name.as_deref(), Some("accounts/fireform-local/deployments/lost"));

    proxy.lose("POST", "/datasets", Loss::Unavailable, 1);
    client.create_dataset("lost", &dataset()).await.unwrap();

    let creates: Vec<_> = setup
        .emulator
        .audit_log()
        .into_iter()
        .filter(|entry| entry.method == "POST")
        .map(|entry| (entry.path.split('?').next().unwrap_or_default().to_owned(), entry.status))
        .collect();
    let deployment_creates: Vec<_> = creates
        .iter()
        .filter(|(path, _)| path.ends_with("/deployments"))
        .map(|(_, status)| *status)
        .collect();
    assert_eq!(deployment_creates, [200, 409], "committed once, the retry met 409 and adopted");
    let dataset_creates: Vec<_> = creates
        .iter()
        .filter(|(path, _)| path.ends_with("/datasets"))
        .map(|(_, status)| *status)
        .collect();
    assert_eq!(dataset_creates, [200, 409]);
    assert_eq!(created(&setup.emulator, "deployments").len(), 1);
}

#[tokio::test]
async fn a_lost_reply_does_not_adopt_a_different_resource() {
    let setup = setup().await;
    let proxy = LossyProxy::start(&setup.emulator.url()).await;
    let client = Client::connect(client_config(proxy.url(), fireform_emulator::DEFAULT_API_KEY))
        .await
        .unwrap();
    client.create_deployment("someone-elses", &deployment(), &Default::default()).await.unwrap();
    // Our create's first reply (a 409 from the emulator) is replaced by a 503; the retry meets
    // 409 again, reads the deployment and finds it is not what we asked for.
    proxy.lose("POST", "/deployments", Loss::Unavailable, 1);
    let ours = Deployment { max_replica_count: Some(4), ..deployment() };
    let error =
        client.create_deployment("someone-elses", &ours, &Default::default()).await.unwrap_err();
    assert!(error.is_already_exists(), "{error}");
    assert_eq!(error.attempts(), 2);
}

#[tokio::test]
async fn a_load_whose_reply_is_lost_is_found_not_loaded_twice() {
    let setup = setup().await;
    let client = &setup.client;
    crate::support::ready_dataset(client, "train").await;
    let job = fireform_api::SupervisedFineTuningJob {
        dataset: Some("train".to_owned()),
        base_model: Some(crate::support::BASE_MODEL.to_owned()),
        output_model: Some("addon".to_owned()),
        ..Default::default()
    };
    client.create_sft_job("tune", &job).await.unwrap();
    client
        .wait_ready::<fireform_api::SupervisedFineTuningJob>("tune", &WaitOptions::default())
        .await
        .unwrap();
    let base = Deployment { enable_addons: Some(true), ..deployment() };
    client.create_deployment("base", &base, &Default::default()).await.unwrap();

    let proxy = LossyProxy::start(&setup.emulator.url()).await;
    let lossy = Client::connect(client_config(proxy.url(), fireform_emulator::DEFAULT_API_KEY))
        .await
        .unwrap();
    proxy.lose("POST", "/deployedModels", Loss::Drop, 1);
    let load = DeployedModel {
        model: Some("accounts/fireform-local/models/addon".to_owned()),
        deployment: Some("accounts/fireform-local/deployments/base".to_owned()),
        ..DeployedModel::default()
    };
    let loaded = lossy.load_model(&load, LoadOptions::default()).await.unwrap();
    assert!(loaded.name.is_some());
    assert_eq!(created(&setup.emulator, "deployedModels").len(), 1, "loaded exactly once");
    let posts = setup
        .emulator
        .audit_log()
        .iter()
        .filter(|entry| entry.path.ends_with("/deployedModels"))
        .count();
    assert_eq!(posts, 1, "the lookup found the load, so no second POST went out");
}

#[tokio::test]
async fn retry_after_is_honoured_and_attempts_are_bounded() {
    let setup = setup().await;
    setup.emulator.set_trouble(Trouble {
        error_429: 1.0,
        retry_after_secs: 1,
        ..Trouble::default()
    });
    let policy = RetryPolicy { max_attempts: 2, ..crate::support::fast_retries() };
    let client = Client::new(
        client_config(&setup.emulator.url(), fireform_emulator::DEFAULT_API_KEY)
            .with_account_id("fireform-local")
            .unwrap()
            .with_retry_policy(policy),
    )
    .unwrap();
    let started = Instant::now();
    let error = client.get_deployment("any").await.unwrap_err();
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert!(error.is_rate_limited(), "{error}");
    assert_eq!(error.attempts(), 2);

    setup.emulator.set_trouble(Trouble { error_503: 1.0, ..Trouble::default() });
    let error = client.get_deployment("any").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert_eq!(error.attempts(), 2);
    assert!(error.to_string().contains("after 2 attempts"), "{error}");

    setup.emulator.set_trouble(Trouble { drop: 1.0, ..Trouble::default() });
    let error = client.get_deployment("any").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
}

#[tokio::test]
async fn should_retry_false_stops_retries() {
    // The emulator answers a quota breach with 429 and `x-should-retry: false`.
    let setup = setup_with(EmulatorConfig { gpu_quota: 1, ..emulator_config() }).await;
    let big = Deployment { max_replica_count: Some(4), ..deployment() };
    let error = setup.client.create_deployment("big", &big, &Default::default()).await.unwrap_err();
    assert!(error.is_rate_limited(), "{error}");
    assert_eq!(error.attempts(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_holds_the_request_rate() {
    let setup = setup().await;
    let limited = Client::new(
        client_config(&setup.emulator.url(), fireform_emulator::DEFAULT_API_KEY)
            .with_account_id("fireform-local")
            .unwrap()
            .with_rate_limit(RateLimit { requests_per_second: 40.0, burst: 1 }),
    )
    .unwrap();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..60 {
        let client = limited.clone();
        tasks.spawn(async move { client.create_dataset(&format!("r-{index}"), &dataset()).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1_450), "60 requests at 40/s took {elapsed:?}");

    // The server's view: no one-second window holds more than 40 (+1 burst) creates.
    let millis: Vec<u64> = setup
        .emulator
        .audit_log()
        .iter()
        .filter(|entry| entry.method == "POST")
        .map(|entry| timestamp_millis(&entry.time))
        .collect();
    assert_eq!(millis.len(), 60);
    let busiest = millis
        .iter()
        .map(|start| {
            millis.iter().filter(|time| **time >= *start && **time < start + 1_000).count()
        })
        .max()
        .unwrap();
    // 40 per second plus the burst of 1, plus 1 for reply-time jitter at the window's edges.
    assert!(busiest <= 42, "{busiest} requests within one second");
}

/// Milliseconds since midnight of an RFC 3339 `…THH:MM:SS.mmmZ` time (tests run well within a day
/// or cross midnight only by the width of one test, which this ignores).
fn timestamp_millis(time: &str) -> u64 {
    let clock = time.split('T').nth(1).unwrap().trim_end_matches('Z');
    let mut parts = clock.split(':');
    let hours: u64 = parts.next().unwrap().parse().unwrap();
    let minutes: u64 = parts.next().unwrap().parse().unwrap();
    let seconds: f64 = parts.next().unwrap().parse().unwrap();
    (hours * 3600 + minutes * 60) * 1000 + (seconds * 1000.0).round() as u64
}

#[tokio::test]
async fn a_cancel_whose_reply_is_lost_still_succeeds() {
    let slow_jobs = EmulatorConfig {
        timings: fireform_emulator::Timings {
            job: Duration::from_secs(600),
            ..fireform_emulator::Timings::instant()
        },
        ..emulator_config()
    };
    let setup = setup_with(slow_jobs).await;
    crate::support::ready_dataset(&setup.client, "train").await;
    let job = fireform_api::SupervisedFineTuningJob {
        dataset: Some("train".to_owned()),
        base_model: Some(crate::support::BASE_MODEL.to_owned()),
        ..Default::default()
    };
    setup.client.create_sft_job("to-cancel", &job).await.unwrap();
    let proxy = LossyProxy::start(&setup.emulator.url()).await;
    let lossy = Client::connect(client_config(proxy.url(), fireform_emulator::DEFAULT_API_KEY))
        .await
        .unwrap();
    proxy.lose("POST", ":cancel", Loss::Drop, 1);
    lossy.cancel_job::<fireform_api::SupervisedFineTuningJob>("to-cancel").await.unwrap();
    let cancels: Vec<u16> = setup
        .emulator
        .audit_log()
        .iter()
        .filter(|entry| entry.path.ends_with(":cancel"))
        .map(|entry| entry.status)
        .collect();
    assert_eq!(
        cancels,
        [200, 400],
        "the retry was refused as already cancelled, and that is success"
    );
}

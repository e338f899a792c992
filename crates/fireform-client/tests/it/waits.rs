//! Waiting: prompt exit with the server's message on failure, deadlines, and the batched
//! waiter serving many waits with one list per poll.

use std::time::{Duration, Instant};

use fireform_api::{Deployment, DeploymentState, SupervisedFineTuningJob};
use fireform_client::{ErrorKind, Goal, WaitFailure, WaitOptions, Waiter};
use fireform_emulator::{EmulatorConfig, FailRule, Timings};

use crate::support::{BASE_MODEL, deployment, emulator_config, ready_dataset, setup_with};

fn timed(deployment_ready: Duration) -> EmulatorConfig {
    EmulatorConfig {
        timings: Timings { deployment: deployment_ready, ..Timings::instant() },
        ..emulator_config()
    }
}

fn quick_polls() -> WaitOptions {
    WaitOptions {
        timeout: Duration::from_secs(60),
        initial_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(100),
        multiplier: 1.5,
    }
}

#[tokio::test]
async fn a_failing_deployment_ends_the_wait_with_the_server_message() {
    let setup = setup_with(timed(Duration::from_millis(300))).await;
    setup.emulator.add_fail_rule(FailRule {
        collection: "deployments".to_owned(),
        pattern: "doomed-*".to_owned(),
        message: Some("out of H100 capacity in US_IOWA_1".to_owned()),
    });
    let client = &setup.client;
    client.create_deployment("doomed-1", &deployment(), &Default::default()).await.unwrap();
    let started = Instant::now();
    let error = client.wait_deployment_ready("doomed-1", &quick_polls()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(error.kind(), ErrorKind::Failed, "{error}");
    assert_eq!(error.api_message(), Some("out of H100 capacity in US_IOWA_1"));
    assert_eq!(
        error.to_string(),
        "`accounts/fireform-local/deployments/doomed-1` reached state FAILED while waiting for \
         ready: out of H100 capacity in US_IOWA_1"
    );
}

#[tokio::test]
async fn a_failing_job_ends_the_wait_with_the_server_message() {
    let setup = setup_with(emulator_config()).await;
    setup.emulator.add_fail_rule(FailRule {
        collection: "supervisedFineTuningJobs".to_owned(),
        pattern: "bad-*".to_owned(),
        message: Some("loss went to NaN".to_owned()),
    });
    let client = &setup.client;
    ready_dataset(client, "train").await;
    let job = SupervisedFineTuningJob {
        dataset: Some("train".to_owned()),
        base_model: Some(BASE_MODEL.to_owned()),
        ..SupervisedFineTuningJob::default()
    };
    client.create_sft_job("bad-1", &job).await.unwrap();
    let error =
        client.wait_ready::<SupervisedFineTuningJob>("bad-1", &quick_polls()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Failed, "{error}");
    assert_eq!(error.api_message(), Some("loss went to NaN"));
}

#[tokio::test]
async fn a_wait_ends_at_its_deadline_and_on_disappearance() {
    let setup = setup_with(timed(Duration::from_secs(600))).await;
    let client = &setup.client;
    client.create_deployment("slow", &deployment(), &Default::default()).await.unwrap();
    let short = WaitOptions { timeout: Duration::from_millis(200), ..quick_polls() };
    let error = client.wait_deployment_ready("slow", &short).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    match error {
        fireform_client::Error::Wait(wait) => assert_eq!(
            wait.reason(),
            &WaitFailure::DeadlineExceeded { last_state: Some("CREATING".to_owned()) }
        ),
        other => panic!("expected a wait error, got {other}"),
    }
    let error = client.wait_deployment_ready("never-created", &short).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

#[tokio::test]
async fn one_list_per_poll_serves_many_waits() {
    let setup = setup_with(timed(Duration::from_millis(400))).await;
    setup.emulator.add_fail_rule(FailRule {
        collection: "deployments".to_owned(),
        pattern: "doomed-*".to_owned(),
        message: Some("no capacity".to_owned()),
    });
    let client = &setup.client;
    let ids: Vec<String> = (0..20).map(|index| format!("fleet-{index}")).collect();
    for id in &ids {
        client.create_deployment(id, &deployment(), &Default::default()).await.unwrap();
    }
    client.create_deployment("doomed-1", &deployment(), &Default::default()).await.unwrap();

    let waiter = Waiter::<Deployment>::new(client, quick_polls());
    let sent_before = client.requests_sent();
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids.iter().cloned().chain(["doomed-1".to_owned()]) {
        let waiter = waiter.clone();
        tasks.spawn(async move { (id.clone(), waiter.wait(&id, Goal::Ready).await) });
    }
    let mut ready = 0;
    while let Some(joined) = tasks.join_next().await {
        let (id, result) = joined.unwrap();
        if id == "doomed-1" {
            let error = result.unwrap_err();
            assert_eq!(error.api_message(), Some("no capacity"), "{error}");
        } else {
            assert_eq!(result.unwrap().unwrap().state, Some(DeploymentState::Ready));
            ready += 1;
        }
    }
    assert_eq!(ready, 20);
    let polls = waiter.polls();
    let sent = client.requests_sent() - sent_before;
    // 21 resources fit one page: every poll is exactly one list call, never 21 GETs.
    assert_eq!(sent, polls, "{sent} requests for {polls} polls");
    assert!(polls < 21, "{polls} polls");
}

//! Persistence: two emulators using the same data directory one after the other see the same
//! world, uploaded bytes included, and lifecycles keep progressing across the restart.

use std::time::Duration;

use fireform_emulator::{EmulatorConfig, Timings};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_restart_sees_the_same_world() {
    let directory = tempfile::tempdir().unwrap();
    let config = EmulatorConfig {
        data_dir: Some(directory.path().to_owned()),
        timings: Timings { deployment: Duration::from_millis(300), ..Timings::instant() },
        ..EmulatorConfig::default()
    };
    let first = emulator(config.clone()).await;
    let (status, created) = post(
        &first,
        "/deployments?deploymentId=kept",
        json!({"baseModel": "accounts/fireworks/models/qwen3-8b"}),
    )
    .await;
    assert_eq!((status, created["state"].clone()), (200, json!("CREATING")));
    ready_dataset(&first, "rows", "{\"a\": 1}\n").await;
    first.shutdown().await.unwrap();

    let second = emulator(config).await;
    let ready = wait_for(&second, "/deployments/kept", "state", "READY").await;
    assert_eq!(ready["createTime"], created["createTime"]);
    let (_, download) = get(&second, "/datasets/rows:getDownloadEndpoint").await;
    let url = download["filenameToSignedUrls"]["train.jsonl"].as_str().unwrap();
    assert_eq!(client().get(url).send().await.unwrap().text().await.unwrap(), "{\"a\": 1}\n");
    assert!(
        second
            .audit_log()
            .iter()
            .any(|entry| entry.resource.as_deref()
                == Some("accounts/fireform-local/deployments/kept"))
    );
    assert_eq!(
        post(
            &second,
            "/deployments?deploymentId=kept",
            json!({"baseModel": "accounts/fireworks/models/qwen3-8b"})
        )
        .await
        .0,
        409
    );
}

/// Concurrent mutations share writes of the world document (group commit), yet every answered
/// mutation is on disk: a restart after they all returned sees each one, and its audit entry.
#[tokio::test]
async fn every_answered_concurrent_mutation_survives_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let config = EmulatorConfig {
        data_dir: Some(directory.path().to_owned()),
        timings: Timings::instant(),
        ..EmulatorConfig::default()
    };
    let first = emulator(config.clone()).await;
    let creates = (0..24).map(|index| {
        let first = &first;
        async move {
            post(first, "/datasets", json!({"datasetId": format!("d{index}"), "dataset": {}})).await
        }
    });
    for (status, body) in futures_util::future::join_all(creates).await {
        assert_eq!(status, 200, "{body}");
    }
    // Dropping the handle stops the server without any final flush: what is on disk is what
    // each response waited for.
    drop(first);

    let second = emulator(config).await;
    let (status, page) = get(&second, "/datasets?pageSize=100").await;
    assert_eq!((status, page["totalSize"].clone()), (200, json!(24)));
    let audited = second.audit_log().iter().filter(|entry| entry.status == 200).count();
    assert_eq!(audited, 24);
}

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

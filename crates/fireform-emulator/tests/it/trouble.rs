//! Trouble on demand: injected 503s, 429s with Retry-After, dropped connections, the rate limit,
//! and the admin routes that turn them on and off (never affected themselves).

use fireform_emulator::{DEFAULT_API_KEY, Mangle, RateLimit, Trouble};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn full_503_then_calm_again_through_the_admin_route() {
    let emulator = emulator(instant()).await;
    emulator.set_trouble(Trouble { error_503: 1.0, ..Trouble::default() });
    for _ in 0..5 {
        assert_eq!(get(&emulator, "/deployments").await.0, 503);
    }
    let admin = format!("{}/_emulator/trouble", emulator.url());
    let response =
        client().put(&admin).bearer_auth(DEFAULT_API_KEY).json(&json!({})).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(get(&emulator, "/deployments").await.0, 200);
    let unauthenticated = client().put(&admin).json(&json!({})).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

#[tokio::test]
async fn injected_429_carries_retry_after_and_rate_limit_applies() {
    let emulator = emulator(instant()).await;
    emulator.set_trouble(Trouble { error_429: 1.0, retry_after_secs: 3, ..Trouble::default() });
    let (status, headers, _) = call(&emulator, reqwest::Method::GET, "/deployments", None).await;
    assert_eq!((status, headers["retry-after"].to_str().unwrap()), (429, "3"));
    emulator.set_trouble(Trouble {
        rate_limit: Some(RateLimit { requests: 3, per_secs: 60 }),
        ..Trouble::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(&emulator, "/deployments").await.0);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let health = client()
        .get(format!("{}/_emulator/health", emulator.url()))
        .bearer_auth(DEFAULT_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "admin routes never see trouble");
}

#[tokio::test]
async fn dropped_connections_reach_the_client_as_errors() {
    let emulator = emulator(instant()).await;
    emulator.set_trouble(Trouble { drop: 1.0, ..Trouble::default() });
    let result = client()
        .get(format!("{}/v1/accounts/{ACCOUNT}/deployments", emulator.url()))
        .bearer_auth(DEFAULT_API_KEY)
        .send()
        .await;
    let error = match result {
        Ok(response) => response.text().await.unwrap_err(),
        Err(error) => error,
    };
    assert!(error.is_request() || error.is_body() || error.is_connect(), "{error:?}");
}

#[tokio::test]
async fn audit_log_records_mutations_once() {
    let emulator = emulator(instant()).await;
    post(
        &emulator,
        "/deployments?deploymentId=once",
        json!({"baseModel": "accounts/fireworks/models/qwen3-8b"}),
    )
    .await;
    post(
        &emulator,
        "/deployments?deploymentId=once",
        json!({"baseModel": "accounts/fireworks/models/qwen3-8b"}),
    )
    .await;
    get(&emulator, "/deployments").await;
    let audit: serde_json::Value = client()
        .get(format!("{}/_emulator/audit", emulator.url()))
        .bearer_auth(DEFAULT_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0]["status"].clone(), entries[1]["status"].clone()),
        (json!(200), json!(409))
    );
    assert_eq!(entries[0]["resource"], "accounts/fireform-local/deployments/once");
}

#[tokio::test]
async fn drop_after_commit_applies_and_audits_the_change_but_loses_the_answer() {
    let emulator = emulator(instant()).await;
    let admin = format!("{}/_emulator/trouble", emulator.url());
    let response = client()
        .put(&admin)
        .bearer_auth(DEFAULT_API_KEY)
        .json(&json!({"dropAfterCommit": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let trouble: Trouble = client()
        .get(&admin)
        .bearer_auth(DEFAULT_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(trouble, Trouble { drop_after_commit: 1.0, ..Trouble::default() });

    let create = || {
        client()
            .post(format!("{}/v1/accounts/{ACCOUNT}/datasets", emulator.url()))
            .bearer_auth(DEFAULT_API_KEY)
            .json(&json!({"datasetId": "once", "dataset": {"displayName": "once"}}))
            .send()
    };
    let error = match create().await {
        Ok(response) => response.text().await.unwrap_err(),
        Err(error) => error,
    };
    assert!(error.is_request() || error.is_body() || error.is_connect(), "{error:?}");
    // The change was committed: reads see it, and a blind retry is refused, not applied twice.
    let (status, body) = get(&emulator, "/datasets/once").await;
    assert_eq!((status, body["displayName"].clone()), (200, json!("once")));
    assert_eq!(create().await.unwrap().status(), 409, "a refused retry is not dropped");
    let statuses: Vec<(u16, Option<String>)> =
        emulator.audit_log().into_iter().map(|entry| (entry.status, entry.resource)).collect();
    let name = Some(format!("accounts/{ACCOUNT}/datasets/once"));
    assert_eq!(statuses, [(200, name), (409, None)]);

    let invalid = client()
        .put(&admin)
        .bearer_auth(DEFAULT_API_KEY)
        .json(&json!({"dropAfterCommit": 1.5}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 400);
}

#[tokio::test]
async fn drop_after_commit_spares_reads() {
    let emulator = emulator(instant()).await;
    emulator.set_trouble(Trouble { drop_after_commit: 1.0, ..Trouble::default() });
    for _ in 0..3 {
        assert_eq!(get(&emulator, "/datasets").await.0, 200);
    }
}

/// Switches trouble through the admin route, as a test of a converged world would.
async fn put_trouble(emulator: &fireform_emulator::EmulatorHandle, trouble: serde_json::Value) {
    let response = client()
        .put(format!("{}/_emulator/trouble", emulator.url()))
        .bearer_auth(DEFAULT_API_KEY)
        .json(&trouble)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// The raw bytes of an API GET with the default key.
async fn raw_get(emulator: &fireform_emulator::EmulatorHandle, path: &str) -> (u16, String) {
    let response = client()
        .get(format!("{}{path}", emulator.url()))
        .bearer_auth(DEFAULT_API_KEY)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

// Issue 10: a reply that does not make sense is not evidence that things are gone.
#[tokio::test]
async fn mangle_empty_body_empties_successful_api_gets_only() {
    let emulator = emulator(instant()).await;
    ready_dataset(&emulator, "chats", "{\"messages\":[]}\n").await;
    put_trouble(&emulator, json!({"mangle": "emptyBody"})).await;
    let deployments = format!("/v1/accounts/{ACCOUNT}/deployments");
    let dataset = format!("/v1/accounts/{ACCOUNT}/datasets/chats");
    assert_eq!(raw_get(&emulator, &deployments).await, (200, String::new()));
    assert_eq!(raw_get(&emulator, &dataset).await, (200, String::new()));
    assert_eq!(raw_get(&emulator, "/v1/accounts").await, (200, String::new()));
    let (status, missing) = raw_get(&emulator, &format!("{dataset}-missing")).await;
    assert_eq!(status, 404, "errors are not mangled");
    assert!(missing.contains("not found"), "{missing}");
    let (status, created) = post(
        &emulator,
        "/deployments?deploymentId=fresh",
        json!({"baseModel": "accounts/fireworks/models/qwen3-8b"}),
    )
    .await;
    assert_eq!(
        (status, created["name"].as_str()),
        (200, Some("accounts/fireform-local/deployments/fresh"))
    );
    // The admin routes are never mangled: the trouble set reads back whole.
    let (status, trouble) = raw_get(&emulator, "/_emulator/trouble").await;
    assert_eq!(status, 200);
    let trouble: Trouble = serde_json::from_str(&trouble).unwrap();
    assert_eq!(trouble.mangle, Some(Mangle::EmptyBody));
    let (status, health) = raw_get(&emulator, "/_emulator/health").await;
    assert_eq!((status, health.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, audit) = raw_get(&emulator, "/_emulator/audit").await;
    assert!(status == 200 && audit.contains("entries"), "{audit}");
    put_trouble(&emulator, json!({})).await;
    let (status, listed) = get(&emulator, "/deployments").await;
    assert_eq!((status, listed["deployments"].as_array().map(Vec::len)), (200, Some(1)));
}

#[tokio::test]
async fn mangle_strip_fields_and_unknown_enums_garble_resources_but_not_states() {
    let emulator = emulator(instant()).await;
    let dataset = json!({"datasetId": "chats", "dataset": {"format": "CHAT", "userUploaded": {}}});
    assert_eq!(post(&emulator, "/datasets", dataset).await.0, 200);
    let (status, _) = post(
        &emulator,
        "/deployments?deploymentId=d",
        json!({
            "baseModel": "accounts/fireworks/models/qwen3-8b",
            "acceleratorType": "NVIDIA_H100_80GB",
            "precision": "FP8",
            "minReplicaCount": 0,
        }),
    )
    .await;
    assert_eq!(status, 200);
    wait_for(&emulator, "/deployments/d", "state", "READY").await;

    emulator.set_trouble(Trouble { mangle: Some(Mangle::StripFields), ..Trouble::default() });
    let (_, listed) = get(&emulator, "/deployments").await;
    let item = listed["deployments"][0].as_object().unwrap();
    let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert!(
        keys.iter()
            .all(|key| ["createTime", "name", "state", "status", "updateTime"].contains(key)),
        "{keys:?}"
    );
    assert_eq!(item["state"], "READY");
    let (_, dataset) = get(&emulator, "/datasets/chats").await;
    assert_eq!(dataset["format"], serde_json::Value::Null, "{dataset}");
    assert_eq!(dataset["name"], "accounts/fireform-local/datasets/chats");

    put_trouble(&emulator, json!({"mangle": "unknownEnums"})).await;
    let (_, deployment) = get(&emulator, "/deployments/d").await;
    assert_eq!(deployment["acceleratorType"], "ACCELERATOR_TYPE_FROM_THE_FUTURE");
    assert_eq!(deployment["precision"], "PRECISION_FROM_THE_FUTURE");
    assert_eq!(deployment["state"], "READY");
    assert_eq!(deployment["baseModel"], "accounts/fireworks/models/qwen3-8b");
    let (_, datasets) = get(&emulator, "/datasets").await;
    assert_eq!(datasets["datasets"][0]["format"], "FORMAT_FROM_THE_FUTURE");
    assert_eq!(datasets["datasets"][0]["state"], "UPLOADING");
}

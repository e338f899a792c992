//! Trouble on demand: injected 503s, 429s with Retry-After, dropped connections, the rate limit,
//! and the admin routes that turn them on and off (never affected themselves).

use fireform_emulator::{DEFAULT_API_KEY, RateLimit, Trouble};
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

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

//! Handler tests without a socket: auth, account checks, errors and their bodies.

use axum::body::Body;
use axum::http::Request;
use fireform_emulator::{AccountKey, DEFAULT_API_KEY, EmulatorConfig, EmulatorState, router};
use serde_json::Value;
use tower::ServiceExt;

fn app(config: EmulatorConfig) -> axum::Router {
    router(EmulatorState::new(config).unwrap())
}

async fn send(
    app: &axum::Router,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (u16, axum::http::HeaderMap, Value) {
    let app = app.clone();
    let mut request =
        Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let response = app.oneshot(request.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn requests_without_or_with_a_wrong_key_are_401() {
    let (status, _, body) = send(
        &app(EmulatorConfig::default()),
        "GET",
        "/v1/accounts/fireform-local/deployments",
        None,
        "",
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], 16);
    assert_eq!(body["details"], serde_json::json!([]));
    let (status, _, body) = send(
        &app(EmulatorConfig::default()),
        "GET",
        "/v1/accounts/fireform-local/deployments",
        Some("nope"),
        "",
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["message"], "invalid API key");
}

#[tokio::test]
async fn another_account_is_403_but_the_public_catalog_is_readable() {
    let config = app(EmulatorConfig {
        extra_accounts: vec![AccountKey {
            account: "other".to_owned(),
            api_key: "other-key".to_owned(),
        }],
        ..EmulatorConfig::default()
    });
    let (status, _, body) =
        send(&config, "GET", "/v1/accounts/other/deployments", Some(DEFAULT_API_KEY), "").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], 7);
    let (status, _, _) =
        send(&config, "GET", "/v1/accounts/other/deployments", Some("other-key"), "").await;
    assert_eq!(status, 200);
    let (status, _, body) = send(
        &config,
        "GET",
        "/v1/accounts/fireworks/models/llama-v3p1-8b-instruct",
        Some("other-key"),
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["kind"], "HF_BASE_MODEL");
    let (status, _, _) = send(
        &config,
        "DELETE",
        "/v1/accounts/fireworks/models/llama-v3p1-8b-instruct",
        Some("other-key"),
        "",
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn accounts_list_the_keys_own_account() {
    let (status, _, body) = send(
        &app(EmulatorConfig::default()),
        "GET",
        "/v1/accounts?pageSize=2",
        Some(DEFAULT_API_KEY),
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["accounts"][0]["name"], "accounts/fireform-local");
}

#[tokio::test]
async fn errors_use_the_documented_body_and_mapping() {
    let config = app(EmulatorConfig::default());
    let path = "/v1/accounts/fireform-local/deployments";
    let (status, _, body) =
        send(&config, "GET", &format!("{path}/missing"), Some(DEFAULT_API_KEY), "").await;
    assert_eq!((status, body["code"].clone()), (404, Value::from(5)));
    assert_eq!(
        body["message"],
        "deployment `accounts/fireform-local/deployments/missing` not found"
    );
    let (status, _, body) = send(
        &config,
        "POST",
        &format!("{path}?deploymentId=Bad_Id"),
        Some(DEFAULT_API_KEY),
        r#"{"baseModel": "accounts/fireworks/models/qwen3-8b"}"#,
    )
    .await;
    assert_eq!((status, body["code"].clone()), (400, Value::from(3)));
    let (status, _, _) = send(&config, "POST", path, Some(DEFAULT_API_KEY), "{not json").await;
    assert_eq!(status, 400);
    let (status, _, _) = send(
        &config,
        "POST",
        &format!("{path}?deploymentId=x"),
        Some(DEFAULT_API_KEY),
        r#"{"baseModel": "accounts/fireworks/models/nope"}"#,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, body) = send(&config, "GET", "/v2/whatever", Some(DEFAULT_API_KEY), "").await;
    assert_eq!((status, body["code"].clone()), (404, Value::from(5)));
}

#[tokio::test]
async fn validate_only_creates_nothing_and_unknown_fields_are_ignored() {
    let config = app(EmulatorConfig::default());
    let path = "/v1/accounts/fireform-local/deployments";
    let body = r#"{"baseModel": "accounts/fireworks/models/qwen3-8b", "someFutureField": 1, "min_replica_count": 1}"#;
    let (status, _, created) = send(
        &config,
        "POST",
        &format!("{path}?deploymentId=dry&validateOnly=true"),
        Some(DEFAULT_API_KEY),
        body,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["minReplicaCount"], 1);
    assert!(created.get("someFutureField").is_none());
    let (status, _, _) =
        send(&config, "GET", &format!("{path}/dry"), Some(DEFAULT_API_KEY), "").await;
    assert_eq!(status, 404);
}

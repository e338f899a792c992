//! Shared helpers: start an emulator, call it with the default key, poll with a deadline.

use std::time::{Duration, Instant};

use fireform_emulator::{DEFAULT_API_KEY, EmulatorConfig, EmulatorHandle, Timings, start};
use serde_json::Value;

pub(crate) const ACCOUNT: &str = "fireform-local";

pub(crate) async fn emulator(config: EmulatorConfig) -> EmulatorHandle {
    start(config).await.unwrap()
}

pub(crate) fn instant() -> EmulatorConfig {
    EmulatorConfig { timings: Timings::instant(), ..EmulatorConfig::default() }
}

pub(crate) fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// One API call with the default key: (status, headers, JSON body or Null).
pub(crate) async fn call(
    emulator: &EmulatorHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let url = format!("{}/v1/accounts/{ACCOUNT}{path}", emulator.url());
    let mut request = client().request(method, url).bearer_auth(DEFAULT_API_KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) async fn get(emulator: &EmulatorHandle, path: &str) -> (u16, Value) {
    let (status, _, body) = call(emulator, reqwest::Method::GET, path, None).await;
    (status, body)
}

pub(crate) async fn post(emulator: &EmulatorHandle, path: &str, body: Value) -> (u16, Value) {
    let (status, _, body) = call(emulator, reqwest::Method::POST, path, Some(body)).await;
    (status, body)
}

/// Polls `path` until `field` equals `expected` (or the resource is gone when `expected` is
/// `"<gone>"`), failing after 10 seconds.
pub(crate) async fn wait_for(
    emulator: &EmulatorHandle,
    path: &str,
    field: &str,
    expected: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = get(emulator, path).await;
        if expected == "<gone>" && status == 404 {
            return body;
        }
        if status == 200 && body[field] == expected {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{path}: {field} never became {expected}; last: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates a READY dataset with these JSONL bytes through the multipart upload.
pub(crate) async fn ready_dataset(emulator: &EmulatorHandle, id: &str, rows: &str) {
    let (status, _) = post(
        emulator,
        "/datasets",
        serde_json::json!({"datasetId": id, "dataset": {"displayName": id}}),
    )
    .await;
    assert_eq!(status, 200);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(rows.as_bytes().to_vec()).file_name("train.jsonl"),
    );
    let response = client()
        .post(format!("{}/v1/accounts/{ACCOUNT}/datasets/{id}:upload", emulator.url()))
        .bearer_auth(DEFAULT_API_KEY)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, body) =
        post(emulator, &format!("/datasets/{id}:validateUpload"), serde_json::json!({})).await;
    assert_eq!(status, 200, "{body}");
}

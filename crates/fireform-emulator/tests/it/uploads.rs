//! The dataset upload flows: signed-URL PUT with the documented headers, multipart `:upload`,
//! `:validateUpload` refusing empty files, and `:getDownloadEndpoint` serving the bytes back.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn signed_url_upload_then_download() {
    let emulator = emulator(instant()).await;
    let rows = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n";
    let (status, dataset) = post(
        &emulator,
        "/datasets",
        json!({"datasetId": "chats", "dataset": {"exampleCount": "1", "userUploaded": {}}}),
    )
    .await;
    assert_eq!((status, dataset["state"].clone()), (200, json!("UPLOADING")));
    let (status, urls) = post(
        &emulator,
        "/datasets/chats:getUploadEndpoint",
        json!({"filenameToSize": {"train.jsonl": rows.len().to_string()}}),
    )
    .await;
    assert_eq!(status, 200, "{urls}");
    let url = urls["filenameToSignedUrls"]["train.jsonl"].as_str().unwrap().to_owned();

    let wrong = client()
        .put(&url)
        .header("content-type", "text/plain")
        .header("x-goog-content-length-range", format!("{0},{0}", rows.len()))
        .body(rows)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let (status, _) = post(&emulator, "/datasets/chats:validateUpload", json!({})).await;
    assert_eq!(status, 400, "files still landing");
    let put = client()
        .put(&url)
        .header("content-type", "application/octet-stream")
        .header("x-goog-content-length-range", format!("{0},{0}", rows.len()))
        .body(rows)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(post(&emulator, "/datasets/chats:validateUpload", json!({})).await.0, 200);
    wait_for(&emulator, "/datasets/chats", "state", "READY").await;

    let (status, download) = get(&emulator, "/datasets/chats:getDownloadEndpoint").await;
    assert_eq!(status, 200);
    let url = download["filenameToSignedUrls"]["train.jsonl"].as_str().unwrap();
    assert_eq!(client().get(url).send().await.unwrap().text().await.unwrap(), rows);
    let audit = emulator.audit_log();
    assert!(audit.iter().any(|entry| entry.method == "PUT"
        && entry.status == 200
        && entry.resource.as_deref() == Some("accounts/fireform-local/datasets/chats")));
}

#[tokio::test]
async fn empty_files_are_refused_and_datasets_patch_and_delete() {
    let emulator = emulator(instant()).await;
    post(&emulator, "/datasets", json!({"datasetId": "empty", "dataset": {}})).await;
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(Vec::new()).file_name("e.jsonl"));
    let response = client()
        .post(format!("{}/v1/accounts/{ACCOUNT}/datasets/empty:upload", emulator.url()))
        .bearer_auth(fireform_emulator::DEFAULT_API_KEY)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["object"], "file");
    let (status, error) = post(&emulator, "/datasets/empty:validateUpload", json!({})).await;
    assert_eq!(status, 400);
    assert!(error["message"].as_str().unwrap().contains("is empty"), "{error}");

    let (status, _, patched) = call(
        &emulator,
        reqwest::Method::PATCH,
        "/datasets/empty?updateMask=displayName",
        Some(json!({"displayName": "renamed"})),
    )
    .await;
    assert_eq!((status, patched["displayName"].clone()), (200, json!("renamed")));
    assert_eq!(
        post(&emulator, "/datasets", json!({"datasetId": "empty", "dataset": {}})).await.0,
        409
    );
    assert_eq!(call(&emulator, reqwest::Method::DELETE, "/datasets/empty", None).await.0, 200);
    assert_eq!(get(&emulator, "/datasets/empty").await.0, 404);
}

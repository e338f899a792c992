//! Datasets: create, both upload paths, validate, download, update, list, delete.

use axum::body::Bytes;
use fireform_api::{Dataset, DatasetState};
use fireform_client::{ErrorKind, ListOptions, UploadMethod};

use crate::support::{JSONL, dataset, plain_http, setup};

#[tokio::test]
async fn signed_url_upload_validates_and_downloads_back() {
    let setup = setup().await;
    let client = &setup.client;
    client.create_dataset("chats", &dataset()).await.unwrap();
    let bytes = Bytes::from_static(JSONL.as_bytes());
    client
        .upload_dataset_file("chats", "train.jsonl", bytes, UploadMethod::SignedUrl)
        .await
        .unwrap();
    let ready = client.get_dataset("chats").await.unwrap();
    assert_eq!(ready.state, Some(DatasetState::Ready));

    let uploads: Vec<_> =
        setup.emulator.audit_log().into_iter().filter(|entry| entry.method == "PUT").collect();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].status, 200, "the signed PUT carried exactly the signed headers");

    let download = client.get_dataset_download_endpoint("chats").await.unwrap();
    let url = download.filename_to_signed_urls.unwrap().into_values().next().unwrap();
    let body = plain_http().get(url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(body, JSONL.as_bytes());
}

#[tokio::test]
async fn multipart_upload_update_list_delete() {
    let setup = setup().await;
    let client = &setup.client;
    client.create_dataset("small", &dataset()).await.unwrap();
    let bytes = Bytes::from_static(JSONL.as_bytes());
    client.upload_dataset_file("small", "small.jsonl", bytes, UploadMethod::Auto).await.unwrap();
    assert!(
        setup
            .emulator
            .audit_log()
            .iter()
            .any(|entry| entry.path.ends_with("/datasets/small:upload"))
    );
    assert_eq!(client.get_dataset("small").await.unwrap().state, Some(DatasetState::Ready));

    let renamed = Dataset { display_name: Some("renamed".to_owned()), ..Dataset::default() };
    let updated = client.update_dataset("small", &renamed, &["displayName"]).await.unwrap();
    assert_eq!(updated.display_name.as_deref(), Some("renamed"));
    assert_eq!(updated.example_count, Some(2), "fields outside the mask are kept");

    let listed = client.list_all::<Dataset>(&ListOptions::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    client.delete_dataset("small").await.unwrap();
    assert!(client.get_dataset("small").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn empty_files_are_refused_before_sending() {
    let setup = setup().await;
    let client = &setup.client;
    client.create_dataset("empty", &dataset()).await.unwrap();
    let sent = client.requests_sent();
    let error = client
        .upload_dataset_file("empty", "empty.jsonl", Bytes::new(), UploadMethod::Auto)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(client.requests_sent(), sent);
}

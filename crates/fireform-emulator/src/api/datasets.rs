//! Datasets: create (`{datasetId, dataset}`), get, list, patch, delete, and the upload protocol:
//! `:getUploadEndpoint` hands out URLs on this server (`/_upload/{token}`) that accept a `PUT`
//! with `Content-Type: application/octet-stream` and a matching `X-Goog-Content-Length-Range`
//! (no API key, like a signed URL); `:upload` takes a multipart `file` of at most 150 MB;
//! `:validateUpload` makes the dataset READY (refusing empty or missing files);
//! `:getDownloadEndpoint` hands out `/_download/{token}` URLs serving the bytes back.
//!
//! The URLs are plain `http` on loopback: the official SDK's upload helper, which insists on
//! `https`, cannot use them (the raw REST calls work).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use fireform_api::{
    Code, Collection, CreateDatasetRequest, DatasetState, Empty, GetDownloadEndpointResponse,
    GetUploadEndpointRequest, GetUploadEndpointResponse, UploadResponse,
};

use super::patch::Rules;
use super::{AuditResource, Reply, Request, check_id, list, patch_resource};
use crate::clock::{now_ms, rfc3339};
use crate::error::ApiError;
use crate::state::EmulatorState;
use crate::world::{Blobs, DatasetFile, DownloadTarget, Tracked, UploadTarget};

/// Largest file `:upload` accepts.
pub(crate) const MAX_UPLOAD_BYTES: usize = 150 * 1024 * 1024;

const RULES: Rules<'static> = Rules {
    immutable: &["format"],
    output_only: &[
        "name",
        "state",
        "status",
        "createTime",
        "updateTime",
        "createdBy",
        "estimatedTokenCount",
        "averageTurnCount",
        "encryptionState",
    ],
};

pub(crate) fn collection(request: &Request) -> Result<Reply, ApiError> {
    match request.method {
        Method::POST => create(request),
        Method::GET => {
            let world = request.state.world();
            let prefix = format!("accounts/{}/datasets/", request.account);
            let items = list::with_prefix(&world.datasets, &prefix)
                .map(|(_, tracked)| &tracked.resource)
                .collect();
            list::page(request, "datasets", items, "create_time")
        }
        _ => Err(request.method_not_allowed("datasets")),
    }
}

pub(crate) fn item(request: &Request, id: &str, custom: Option<&str>) -> Result<Reply, ApiError> {
    let name = request.name("datasets", id);
    let state = &request.state;
    match (custom, &request.method) {
        (None, &Method::GET) => {
            let world = state.world();
            let tracked =
                world.datasets.get(&name).ok_or_else(|| ApiError::not_found("dataset", &name))?;
            Reply::read(request, &tracked.resource)
        }
        (None, &Method::PATCH) => {
            let mut world = state.world();
            let tracked = world
                .datasets
                .get_mut(&name)
                .ok_or_else(|| ApiError::not_found("dataset", &name))?;
            let mut updated = patch_resource(request, &tracked.resource, &RULES)?;
            updated.update_time = Some(rfc3339(now_ms()));
            tracked.resource = updated.clone();
            world.dirty = true;
            Reply::json(&updated, Some(name))
        }
        (None, &Method::DELETE) => {
            let mut world = state.world();
            world.datasets.remove(&name).ok_or_else(|| ApiError::not_found("dataset", &name))?;
            world.dataset_files.remove(&name);
            world.upload_tokens.retain(|_, target| target.dataset != name);
            world.download_tokens.retain(|_, target| target.dataset != name);
            world.dirty = true;
            state.inner.blobs.remove_prefix(&format!("{name}/"));
            Ok(Reply::empty(Some(name)))
        }
        (Some("getUploadEndpoint"), &Method::POST) => upload_endpoint(request, &name),
        (Some("upload"), &Method::POST) => upload_multipart(request, &name),
        (Some("validateUpload"), &Method::POST) => validate(request, &name, id),
        (Some("getDownloadEndpoint"), &Method::GET) => download_endpoint(request, &name),
        (Some(other), _)
            if !matches!(
                other,
                "getUploadEndpoint" | "upload" | "validateUpload" | "getDownloadEndpoint"
            ) =>
        {
            Err(ApiError::new(
                Code::NotFound,
                format!("custom method `{other}` not found on datasets"),
            ))
        }
        _ => Err(request.method_not_allowed("this dataset path")),
    }
}

fn create(request: &Request) -> Result<Reply, ApiError> {
    let create: CreateDatasetRequest = request.body()?;
    let id = create
        .dataset_id
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::invalid("`datasetId` is required"))?;
    check_id("dataset", &id)?;
    let mut dataset = create.dataset.ok_or_else(|| ApiError::invalid("`dataset` is required"))?;
    let name = request.name("datasets", &id);
    let state = &request.state;
    let mut world = state.world();
    if world.datasets.contains_key(&name) {
        return Err(ApiError::already_exists("dataset", &name));
    }
    let now = now_ms();
    dataset.name = Some(name.clone());
    dataset.state = Some(DatasetState::Uploading);
    dataset.status = None;
    dataset.create_time = Some(rfc3339(now));
    dataset.update_time = Some(rfc3339(now));
    dataset.created_by = Some(format!("{}@fireform.local", request.account));
    if dataset.user_uploaded.is_none()
        && dataset.external_url.is_none()
        && dataset.transformed.is_none()
    {
        dataset.user_uploaded = Some(Empty::default());
    }
    if let Some(source_id) = create.source_dataset_id.filter(|source| !source.is_empty()) {
        // A derived dataset copies its source's files and is ready at once.
        let source_name = fireform_api::ResourceName::new(
            &request.account,
            Collection::Datasets,
            source_id.rsplit('/').next().unwrap_or_default(),
        )
        .to_string();
        let source = world.datasets.get(&source_name).ok_or_else(|| {
            ApiError::precondition(format!("source dataset `{source_name}` not found"))
        })?;
        if source.resource.state != Some(DatasetState::Ready) {
            return Err(ApiError::precondition(format!(
                "source dataset `{source_name}` is not READY"
            )));
        }
        dataset.example_count = dataset.example_count.or(source.resource.example_count);
        let files = world.dataset_files.get(&source_name).cloned().unwrap_or_default();
        for filename in files.keys() {
            if let Ok(Some(bytes)) = state.inner.blobs.get(&Blobs::key(&source_name, filename)) {
                state.inner.blobs.put(&Blobs::key(&name, filename), bytes).map_err(internal)?;
            }
        }
        world.dataset_files.insert(name.clone(), files);
        dataset.state = Some(DatasetState::Ready);
    }
    world.datasets.insert(name.clone(), Tracked::new(dataset.clone(), now));
    world.dirty = true;
    Reply::json(&dataset, Some(name))
}

fn upload_endpoint(request: &Request, name: &str) -> Result<Reply, ApiError> {
    let body: GetUploadEndpointRequest = request.body()?;
    let files = body
        .filename_to_size
        .filter(|files| !files.is_empty())
        .ok_or_else(|| ApiError::invalid("`filenameToSize` is required"))?;
    let state = &request.state;
    let mut world = state.world();
    let dataset = world.datasets.get(name).ok_or_else(|| ApiError::not_found("dataset", name))?;
    if dataset.resource.state == Some(DatasetState::Ready) {
        return Err(ApiError::precondition(format!(
            "dataset `{name}` is READY; its files cannot change"
        )));
    }
    let mut registered = BTreeMap::new();
    let mut urls = BTreeMap::new();
    // Each call replaces the registered file set.
    world.upload_tokens.retain(|_, target| target.dataset != name);
    for (filename, size) in files {
        if filename.is_empty() || filename.contains('/') {
            return Err(ApiError::invalid(format!("invalid file name `{filename}`")));
        }
        let size = u64::try_from(size)
            .map_err(|_| ApiError::invalid(format!("invalid size {size} for `{filename}`")))?;
        let token = state.random_hex(32);
        urls.insert(filename.clone(), format!("{}/_upload/{token}", request.base_url()));
        world.upload_tokens.insert(
            token,
            UploadTarget { dataset: name.to_owned(), filename: filename.clone(), size },
        );
        registered.insert(filename, DatasetFile { expected_size: size, stored_size: None });
    }
    world.dataset_files.insert(name.to_owned(), registered);
    world.dirty = true;
    let response =
        GetUploadEndpointResponse { filename_to_signed_urls: Some(urls), ..Default::default() };
    Reply::json(&response, Some(name.to_owned()))
}

fn upload_multipart(request: &Request, name: &str) -> Result<Reply, ApiError> {
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("boundary="))
        .map(|boundary| boundary.trim_matches('"'))
        .filter(|_| content_type.starts_with("multipart/form-data"))
        .ok_or_else(|| {
            ApiError::invalid("`:upload` needs a multipart/form-data body with a `file` part")
        })?;
    let (filename, bytes) = multipart_file(&request.body, boundary)
        .ok_or_else(|| ApiError::invalid("multipart body has no `file` part"))?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ApiError::invalid(format!(
            "file `{filename}` is {} bytes; `:upload` takes at most 150 MB",
            bytes.len()
        )));
    }
    let state = &request.state;
    let mut world = state.world();
    let dataset = world.datasets.get(name).ok_or_else(|| ApiError::not_found("dataset", name))?;
    if dataset.resource.state == Some(DatasetState::Ready) {
        return Err(ApiError::precondition(format!(
            "dataset `{name}` is READY; its files cannot change"
        )));
    }
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    state.inner.blobs.put(&Blobs::key(name, &filename), bytes).map_err(internal)?;
    world
        .dataset_files
        .entry(name.to_owned())
        .or_default()
        .insert(filename.clone(), DatasetFile { expected_size: size, stored_size: Some(size) });
    world.dirty = true;
    let now = now_ms();
    let response = UploadResponse {
        id: Some(format!("file-{}", state.random_hex(24))),
        object: Some("file".to_owned()),
        bytes: Some(i64::try_from(size).unwrap_or(i64::MAX)),
        created_at: Some(i64::try_from(now / 1000).unwrap_or(i64::MAX)),
        filename: Some(filename),
        purpose: Some("fine-tune".to_owned()),
        ..UploadResponse::default()
    };
    Reply::json(&response, Some(name.to_owned()))
}

fn validate(request: &Request, name: &str, id: &str) -> Result<Reply, ApiError> {
    let state = &request.state;
    let mut world = state.world();
    let files = world.dataset_files.get(name).cloned().unwrap_or_default();
    let dataset = world.datasets.get(name).ok_or_else(|| ApiError::not_found("dataset", name))?;
    if dataset.resource.state == Some(DatasetState::Ready) {
        return Ok(Reply::empty(Some(name.to_owned())));
    }
    if files.is_empty() {
        return Err(ApiError::precondition(format!("dataset `{name}` has no uploaded files")));
    }
    let mut lines = 0i64;
    for (filename, file) in &files {
        match file.stored_size {
            None => {
                return Err(ApiError::precondition(format!(
                    "file `{filename}` of dataset `{name}` has not been uploaded yet"
                )));
            }
            Some(0) => {
                return Err(ApiError::precondition(format!(
                    "file `{filename}` of dataset `{name}` is empty"
                )));
            }
            Some(_) => {}
        }
        let bytes = state
            .inner
            .blobs
            .get(&Blobs::key(name, filename))
            .map_err(internal)?
            .unwrap_or_default();
        lines += i64::try_from(
            String::from_utf8_lossy(&bytes).lines().filter(|line| !line.trim().is_empty()).count(),
        )
        .unwrap_or(i64::MAX);
    }
    if let Some(message) = state.failure_for(Collection::Datasets, id) {
        return Err(ApiError::precondition(message));
    }
    let now = now_ms();
    let dataset = &mut world
        .datasets
        .get_mut(name)
        .ok_or_else(|| ApiError::not_found("dataset", name))?
        .resource;
    dataset.state = Some(DatasetState::Ready);
    dataset.example_count = dataset.example_count.or(Some(lines));
    dataset.update_time = Some(rfc3339(now));
    world.dirty = true;
    Ok(Reply::empty(Some(name.to_owned())))
}

fn download_endpoint(request: &Request, name: &str) -> Result<Reply, ApiError> {
    let state = &request.state;
    let mut world = state.world();
    if !world.datasets.contains_key(name) {
        return Err(ApiError::not_found("dataset", name));
    }
    let filenames: Vec<String> = world
        .dataset_files
        .get(name)
        .map(|files| {
            files
                .iter()
                .filter(|(_, file)| file.stored_size.is_some())
                .map(|(filename, _)| filename.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut urls = BTreeMap::new();
    for filename in filenames {
        let token = state.random_hex(32);
        urls.insert(filename.clone(), format!("{}/_download/{token}", request.base_url()));
        world.download_tokens.insert(token, DownloadTarget { dataset: name.to_owned(), filename });
    }
    world.dirty = true;
    Reply::json(
        &GetDownloadEndpointResponse { filename_to_signed_urls: Some(urls), ..Default::default() },
        None,
    )
}

/// `PUT /_upload/{token}`: the signed-URL upload. Refuses a wrong content type, a missing or
/// wrong `X-Goog-Content-Length-Range`, or a body of another size.
pub(crate) async fn upload_put(
    State(state): State<EmulatorState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = (|| {
        let mut world = state.world();
        let target = world.upload_tokens.get(&token).cloned().ok_or_else(|| {
            ApiError::new(Code::PermissionDenied, "upload URL is unknown or was replaced")
        })?;
        let content_type =
            headers.get("content-type").and_then(|value| value.to_str().ok()).unwrap_or_default();
        if content_type != "application/octet-stream" {
            return Err(ApiError::invalid(format!(
                "upload needs `Content-Type: application/octet-stream`, got `{content_type}`"
            )));
        }
        let expected = format!("{0},{0}", target.size);
        let range = headers
            .get("x-goog-content-length-range")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if range.replace(' ', "") != expected {
            return Err(ApiError::invalid(format!(
                "upload needs `X-Goog-Content-Length-Range: {expected}`, got `{range}`"
            )));
        }
        if u64::try_from(body.len()).ok() != Some(target.size) {
            return Err(ApiError::invalid(format!(
                "upload of `{}` is {} bytes, expected {}",
                target.filename,
                body.len(),
                target.size
            )));
        }
        state
            .inner
            .blobs
            .put(&Blobs::key(&target.dataset, &target.filename), body)
            .map_err(internal)?;
        if let Some(file) = world
            .dataset_files
            .get_mut(&target.dataset)
            .and_then(|files| files.get_mut(&target.filename))
        {
            file.stored_size = Some(target.size);
        }
        world.dirty = true;
        Ok(target.dataset)
    })();
    match result {
        Ok(dataset) => {
            let mut response = StatusCode::OK.into_response();
            response.extensions_mut().insert(AuditResource(dataset));
            response
        }
        Err(error) => error.into_response(),
    }
}

/// `GET /_download/{token}`: the bytes of one dataset file.
pub(crate) async fn download(
    State(state): State<EmulatorState>,
    Path(token): Path<String>,
) -> Response {
    let target = state.world().download_tokens.get(&token).cloned();
    let Some(target) = target else {
        return ApiError::new(Code::NotFound, "download URL is unknown").into_response();
    };
    match state.inner.blobs.get(&Blobs::key(&target.dataset, &target.filename)) {
        Ok(Some(bytes)) => ([("content-type", "application/octet-stream")], bytes).into_response(),
        Ok(None) => ApiError::new(Code::NotFound, format!("file `{}` not found", target.filename))
            .into_response(),
        Err(error) => internal(error).into_response(),
    }
}

fn internal(error: crate::error::EmulatorError) -> ApiError {
    ApiError::new(Code::Internal, error.to_string())
}

/// Finds the part named `file` in a multipart body: its file name and contents.
fn multipart_file(body: &[u8], boundary: &str) -> Option<(String, Bytes)> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut rest = body;
    while let Some(start) = find(rest, delimiter) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            return None;
        }
        let headers_end = find(rest, b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&rest[..headers_end]).into_owned();
        let content = &rest[headers_end + 4..];
        let end = find(content, delimiter)?;
        let content = content[..end].strip_suffix(b"\r\n").unwrap_or(&content[..end]);
        let disposition = headers
            .lines()
            .find(|line| line.to_ascii_lowercase().starts_with("content-disposition"))
            .unwrap_or_default();
        if disposition.contains("name=\"file\"") {
            let filename = disposition
                .split(';')
                .map(str::trim)
                .find_map(|part| part.strip_prefix("filename="))
                .map(|filename| filename.trim_matches('"').to_owned())
                .filter(|filename| !filename.is_empty())
                .unwrap_or_else(|| "upload.jsonl".to_owned());
            return Some((filename, Bytes::copy_from_slice(content)));
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_file_part() {
        let body = b"--XYZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"train.jsonl\"\r\nContent-Type: application/octet-stream\r\n\r\n{\"a\":1}\n\r\n--XYZ--\r\n";
        let (filename, bytes) = multipart_file(body, "XYZ").unwrap();
        assert_eq!(filename, "train.jsonl");
        assert_eq!(&bytes[..], b"{\"a\":1}\n");
        assert_eq!(multipart_file(b"--XYZ--\r\n", "XYZ"), None);
    }
}

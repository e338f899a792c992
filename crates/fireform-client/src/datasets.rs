//! Datasets (§4 of the API reference): create, get, list, update, delete, and the upload
//! flow: `:getUploadEndpoint` then a PUT of the bytes to the signed URL (or one multipart
//! `:upload` for small files), then `:validateUpload`; plus the download endpoint.
//!
//! File content rules (JSONL, content-addressed ids) belong to the manifest and plan crates;
//! this module moves the bytes it is given.

use std::collections::BTreeMap;

use bytes::Bytes;
use fireform_api::{
    Collection, Dataset, GetDownloadEndpointResponse, GetUploadEndpointRequest,
    GetUploadEndpointResponse, UploadResponse,
};
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::client::{Client, to_json};
use crate::error::Error;
use crate::pagination::{ListOptions, Pages};
use crate::transport::{Body, Call, Expect, Target};

/// Files up to this size go through one multipart `:upload` with [`UploadMethod::Auto`].
pub const MULTIPART_UPLOAD_LIMIT: usize = 8 * 1024 * 1024;

/// The largest file the multipart `:upload` accepts.
pub const MULTIPART_UPLOAD_MAX: usize = 150 * 1024 * 1024;

/// How [`Client::upload_dataset_file`] sends the bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UploadMethod {
    /// Multipart up to [`MULTIPART_UPLOAD_LIMIT`], signed URL above.
    #[default]
    Auto,
    /// `:getUploadEndpoint`, then PUT to the signed URL.
    SignedUrl,
    /// One multipart `:upload` (at most [`MULTIPART_UPLOAD_MAX`]).
    Multipart,
}

impl Client {
    /// `POST .../datasets` with `{datasetId, dataset}`; never creates twice.
    pub async fn create_dataset(&self, id: &str, dataset: &Dataset) -> Result<Dataset, Error> {
        self.create(id, dataset, Vec::new()).await
    }

    /// `GET .../datasets/{id}`.
    pub async fn get_dataset(&self, id: &str) -> Result<Dataset, Error> {
        self.get(id).await
    }

    /// `GET .../datasets`, page by page.
    pub fn list_datasets(&self, options: &ListOptions) -> Pages<Dataset> {
        self.list(options)
    }

    /// `PATCH .../datasets/{id}?updateMask=` changing exactly `fields`.
    pub async fn update_dataset(
        &self,
        id: &str,
        dataset: &Dataset,
        fields: &[&str],
    ) -> Result<Dataset, Error> {
        self.update(id, dataset, fields).await
    }

    /// `DELETE .../datasets/{id}`.
    pub async fn delete_dataset(&self, id: &str) -> Result<(), Error> {
        self.delete::<Dataset>(id).await
    }

    /// `POST .../datasets/{id}:getUploadEndpoint` for all files at once (each call replaces
    /// the registered file set).
    pub async fn get_dataset_upload_endpoint(
        &self,
        id: &str,
        files: &BTreeMap<String, i64>,
    ) -> Result<GetUploadEndpointResponse, Error> {
        let request = GetUploadEndpointRequest {
            filename_to_size: Some(files.clone()),
            ..GetUploadEndpointRequest::default()
        };
        let body = to_json(&request)?;
        self.custom(Method::POST, Collection::Datasets, id, "getUploadEndpoint", Some(&body)).await
    }

    /// PUTs `bytes` to a signed URL with exactly the signed headers
    /// (`Content-Type: application/octet-stream`, `X-Goog-Content-Length-Range: n,n`) and no
    /// Fireworks credentials.
    pub async fn put_signed_url(&self, signed_url: &str, bytes: Bytes) -> Result<(), Error> {
        let url = Url::parse(signed_url)
            .map_err(|error| Error::UnexpectedReply(format!("unusable upload URL: {error}")))?;
        self.transport().check_external(&url)?;
        let call = signed_upload_call(url, bytes);
        self.transport().execute(&call).await?;
        Ok(())
    }

    /// `POST .../datasets/{id}:upload`: one multipart form with the file as part `file`.
    pub async fn upload_dataset_multipart(
        &self,
        id: &str,
        file_name: &str,
        bytes: Bytes,
    ) -> Result<UploadResponse, Error> {
        if bytes.len() > MULTIPART_UPLOAD_MAX {
            return Err(Error::InvalidRequest(format!(
                "`{file_name}` is larger than the {MULTIPART_UPLOAD_MAX} bytes a multipart upload takes"
            )));
        }
        let mut call = Call::new(
            Method::POST,
            self.resource_name(Collection::Datasets, id).method_path("upload"),
        );
        call.body = Body::Multipart { field: "file", file_name: file_name.to_owned(), bytes };
        self.send(&call).await
    }

    /// `POST .../datasets/{id}:validateUpload`: the dataset becomes READY.
    pub async fn validate_dataset_upload(&self, id: &str) -> Result<(), Error> {
        let body = serde_json::json!({});
        self.custom_unread(Method::POST, Collection::Datasets, id, "validateUpload", Some(&body))
            .await
    }

    /// `GET .../datasets/{id}:getDownloadEndpoint`.
    pub async fn get_dataset_download_endpoint(
        &self,
        id: &str,
    ) -> Result<GetDownloadEndpointResponse, Error> {
        self.custom(Method::GET, Collection::Datasets, id, "getDownloadEndpoint", None).await
    }

    /// Uploads one file into dataset `id` (created with `userUploaded: {}`) and validates the
    /// upload. Empty files are refused, as the API refuses them.
    pub async fn upload_dataset_file(
        &self,
        id: &str,
        file_name: &str,
        bytes: Bytes,
        method: UploadMethod,
    ) -> Result<(), Error> {
        if bytes.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "`{file_name}` is empty; datasets refuse empty files"
            )));
        }
        let multipart = match method {
            UploadMethod::Auto => bytes.len() <= MULTIPART_UPLOAD_LIMIT,
            UploadMethod::SignedUrl => false,
            UploadMethod::Multipart => true,
        };
        if multipart {
            self.upload_dataset_multipart(id, file_name, bytes).await?;
        } else {
            let size = i64::try_from(bytes.len())
                .map_err(|_| Error::InvalidRequest(format!("`{file_name}` is too large")))?;
            let files = BTreeMap::from([(file_name.to_owned(), size)]);
            let endpoint = self.get_dataset_upload_endpoint(id, &files).await?;
            let signed_url = endpoint
                .filename_to_signed_urls
                .as_ref()
                .and_then(|urls| urls.get(file_name))
                .ok_or_else(|| {
                    Error::UnexpectedReply(format!("no upload URL for `{file_name}`"))
                })?;
            self.put_signed_url(signed_url, bytes).await?;
        }
        self.validate_dataset_upload(id).await
    }
}

/// The PUT of a signed-URL upload: exactly the two signed headers, no credentials (the
/// transport adds the API key only to API targets).
fn signed_upload_call(url: Url, bytes: Bytes) -> Call {
    let size = bytes.len();
    let range = HeaderValue::from_str(&format!("{size},{size}"))
        .expect("two decimal numbers and a comma are a valid header value");
    Call {
        method: Method::PUT,
        target: Target::External(url),
        query: Vec::new(),
        headers: vec![
            (CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
            (HeaderName::from_static("x-goog-content-length-range"), range),
        ],
        body: Body::Raw(bytes),
        expect: Expect::Status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ApiKey, ClientConfig};
    use crate::transport::Transport;

    #[test]
    fn signed_uploads_send_the_signed_headers_and_no_credentials() {
        let config =
            ClientConfig::new(ApiKey::new("secret")).with_base_url("http://127.0.0.1:9").unwrap();
        let transport = Transport::new(&config).unwrap();
        let url = Url::parse("https://storage.example/b/train.jsonl?X-Goog-Signature=s").unwrap();
        let request =
            transport.build(&signed_upload_call(url, Bytes::from_static(b"12345"))).unwrap();
        let headers = request.headers();
        assert_eq!(headers.get("content-type").unwrap(), "application/octet-stream");
        assert_eq!(headers.get("x-goog-content-length-range").unwrap(), "5,5");
        assert!(headers.get("authorization").is_none());
        assert_eq!(request.url().query(), Some("X-Goog-Signature=s"));

        let api = transport.build(&Call::new(Method::GET, "/v1/accounts")).unwrap();
        let authorization = api.headers().get("authorization").unwrap();
        assert!(authorization.is_sensitive(), "marked sensitive so no layer logs it");
    }
}

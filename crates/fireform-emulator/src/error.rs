//! Errors: [`ApiError`], an API error answered with the documented body and status mapping, and
//! [`EmulatorError`], what can go wrong starting the emulator or saving its world.
//!
//! Deciding which error a request deserves is the handlers' job; this module only renders them.

use std::path::PathBuf;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fireform_api::{Code, ErrorBody};

/// An error answered to an API request: `{code, message, details: []}` with the grpc-gateway
/// HTTP status of its code.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) code: Code,
    pub(crate) message: String,
    /// `Retry-After` seconds, for 429s.
    pub(crate) retry_after: Option<u64>,
    /// `x-should-retry`, which the official SDK obeys over its own retry policy.
    pub(crate) should_retry: Option<bool>,
}

impl ApiError {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        let should_retry = (code == Code::AlreadyExists).then_some(false);
        Self { code, message: message.into(), retry_after: None, should_retry }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidArgument, message)
    }

    pub(crate) fn precondition(message: impl Into<String>) -> Self {
        Self::new(Code::FailedPrecondition, message)
    }

    pub(crate) fn not_found(what: &str, name: &str) -> Self {
        Self::new(Code::NotFound, format!("{what} `{name}` not found"))
    }

    pub(crate) fn already_exists(what: &str, name: &str) -> Self {
        Self::new(Code::AlreadyExists, format!("{what} `{name}` already exists"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody::new(&self.code, self.message);
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(seconds));
        }
        if let Some(should_retry) = self.should_retry {
            let value = if should_retry { "true" } else { "false" };
            headers.insert("x-should-retry", HeaderValue::from_static(value));
        }
        response
    }
}

/// What can go wrong starting the emulator or keeping its world on disk.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listen address could not be bound.
    #[error("failed to listen on `{address}`")]
    Bind {
        /// The address.
        address: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file of the data directory could not be read.
    #[error("failed to read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file of the data directory could not be written.
    #[error("failed to write `{}`", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The saved world is not one this version can read.
    #[error("`{}` is not a world this emulator can read", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// Serving stopped with an I/O error.
    #[error("the emulator stopped serving")]
    Serve(#[source] std::io::Error),
}

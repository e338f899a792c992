//! The client's one error type, the parsing of the API's error bodies, and the mapping from
//! HTTP status and gRPC code to an [`ErrorKind`].
//!
//! Errors keep the method, the URL (never the API key; signed upload URLs lose their query,
//! which carries the signature), the status and the API's own code and message. This module
//! does not decide about retries: see `retry`.

use std::fmt;

use reqwest::Method;

use crate::config::ConfigError;

/// How many bytes of an unparseable body an error keeps.
pub(crate) const BODY_EXCERPT_LEN: usize = 500;

/// What went wrong, coarsely, so callers can branch without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 404 / NOT_FOUND, or a resource that vanished while being waited for.
    NotFound,
    /// 409 / ALREADY_EXISTS: the id is taken by a resource that is not the one asked for.
    AlreadyExists,
    /// 409 / ABORTED: a concurrent change got in the way.
    Conflict,
    /// 403 / PERMISSION_DENIED.
    PermissionDenied,
    /// 401 / UNAUTHENTICATED: the key is missing, wrong or revoked.
    Unauthenticated,
    /// 400 / INVALID_ARGUMENT or OUT_OF_RANGE, and 422.
    InvalidArgument,
    /// 400 / FAILED_PRECONDITION: the request is valid but the resource is not in a state for it.
    FailedPrecondition,
    /// 429 / RESOURCE_EXHAUSTED, still there after every retry.
    RateLimited,
    /// 502, 503 / UNAVAILABLE, still there after every retry.
    Unavailable,
    /// 500 / INTERNAL, UNKNOWN, DATA_LOSS.
    Internal,
    /// 408, 504 / DEADLINE_EXCEEDED, an attempt's time limit, a call's deadline or a wait's.
    Timeout,
    /// The connection could not be made or broke before a reply arrived.
    Connection,
    /// The reply could not be decoded into the expected type.
    Decode,
    /// A success status came with a body that cannot be the answer asked for (empty, not JSON,
    /// not a JSON object, not a list page), at every attempt: see [`UnusableBody`].
    UnusableBody,
    /// A waited-for resource reached a state it cannot leave towards the wanted one.
    Failed,
    /// The configuration is unusable.
    Config,
    /// The caller asked for something the client refuses before sending (e.g. an empty update).
    InvalidRequest,
    /// Any other HTTP status.
    Other,
}

/// An error from the Fireworks client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is unusable; nothing was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The caller's request was refused before sending.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// An HTTP call failed.
    #[error(transparent)]
    Request(Box<RequestError>),
    /// A success status came with a body that makes no sense for the call (empty, not JSON,
    /// not a JSON object, not a list page), at every attempt. Never read as "no objects".
    #[error(transparent)]
    UnusableBody(Box<UnusableBody>),
    /// The API answered successfully but with something unusable.
    #[error("unexpected reply from the API: {0}")]
    UnexpectedReply(String),
    /// A wait ended without reaching the wanted state.
    #[error(transparent)]
    Wait(Box<WaitError>),
}

impl Error {
    /// The coarse kind of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::InvalidRequest(_) => ErrorKind::InvalidRequest,
            Error::Request(request) => request.kind,
            Error::UnusableBody(_) => ErrorKind::UnusableBody,
            Error::UnexpectedReply(_) => ErrorKind::Decode,
            Error::Wait(wait) => wait.kind(),
        }
    }

    /// The HTTP status of the last attempt, if a reply arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Request(request) => request.status,
            Error::UnusableBody(unusable) => Some(unusable.status),
            _ => None,
        }
    }

    /// The API's message (from the error body), or the server's `status.message` for a failed
    /// wait.
    pub fn api_message(&self) -> Option<&str> {
        match self {
            Error::Request(request) => request.message.as_deref(),
            Error::Wait(wait) => match &wait.reason {
                WaitFailure::BadState { message, .. } => message.as_deref(),
                _ => None,
            },
            _ => None,
        }
    }

    /// 404 or a vanished resource.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// 409 ALREADY_EXISTS.
    pub fn is_already_exists(&self) -> bool {
        self.kind() == ErrorKind::AlreadyExists
    }

    /// 401 or 403.
    pub fn is_auth(&self) -> bool {
        matches!(self.kind(), ErrorKind::Unauthenticated | ErrorKind::PermissionDenied)
    }

    /// 400 INVALID_ARGUMENT / FAILED_PRECONDITION / 422.
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self.kind(), ErrorKind::InvalidArgument | ErrorKind::FailedPrecondition)
    }

    /// 429 after every retry.
    pub fn is_rate_limited(&self) -> bool {
        self.kind() == ErrorKind::RateLimited
    }

    /// Unavailable, internal, timeout or connection trouble, or an unusable body (a proxy's
    /// hiccup): worth trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::RateLimited
                | ErrorKind::Unavailable
                | ErrorKind::Internal
                | ErrorKind::Timeout
                | ErrorKind::Connection
                | ErrorKind::UnusableBody
        )
    }

    /// How many HTTP attempts were made before giving up (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Request(request) => request.attempts,
            Error::UnusableBody(unusable) => unusable.attempts,
            _ => 0,
        }
    }
}

impl From<RequestError> for Error {
    fn from(error: RequestError) -> Error {
        Error::Request(Box::new(error))
    }
}

impl From<UnusableBody> for Error {
    fn from(error: UnusableBody) -> Error {
        Error::UnusableBody(Box::new(error))
    }
}

impl From<WaitError> for Error {
    fn from(error: WaitError) -> Error {
        Error::Wait(Box::new(error))
    }
}

/// A failed HTTP call: the last attempt's outcome plus where it went.
#[derive(Debug)]
pub struct RequestError {
    pub(crate) kind: ErrorKind,
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) status: Option<u16>,
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) attempts: u32,
    pub(crate) source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl RequestError {
    /// The coarse kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL (signed URLs without their query).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The HTTP status, if a reply arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The API's error code name (`NOT_FOUND`), when the body carried one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The API's message, or the first bytes of an unparseable body.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The number of attempts made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{} {}` failed", self.method, self.url)?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        match self.status {
            Some(status) => {
                write!(f, " with status {status}")?;
                if let Some(code) = &self.code {
                    write!(f, " {code}")?;
                }
            }
            None => write!(f, ": {}", describe_kind(self.kind))?,
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// What was wrong with the body of a successful reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyProblem {
    /// The body was empty (or only whitespace).
    Empty,
    /// The body is not JSON.
    NotJson {
        /// Its first bytes.
        excerpt: String,
    },
    /// The body is JSON but not an object.
    NotAnObject {
        /// What it is instead: `null`, `an array`, `a string`, `a number`, `a boolean`.
        found: &'static str,
    },
    /// The body is a non-empty JSON object with none of the fields of the list response
    /// expected.
    NotAListPage {
        /// The list key expected (`deployments`).
        list_key: &'static str,
    },
}

impl fmt::Display for BodyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyProblem::Empty => f.write_str("the response body was empty"),
            BodyProblem::NotJson { excerpt } => {
                write!(f, "the response body is not JSON: `{excerpt}`")
            }
            BodyProblem::NotAnObject { found } => {
                write!(f, "the response body is {found}, not a JSON object")
            }
            BodyProblem::NotAListPage { list_key } => write!(
                f,
                "the response body has none of the fields of a list response \
                 (`{list_key}`, `nextPageToken`, `totalSize`)"
            ),
        }
    }
}

/// A call whose every attempt got a success status with a body that cannot be its answer: what
/// a misbehaving proxy sends. Retried like a 5xx, then reported, never read as an empty list or
/// a default object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusableBody {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) status: u16,
    pub(crate) problem: BodyProblem,
    pub(crate) attempts: u32,
}

impl UnusableBody {
    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL (signed URLs without their query).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The success status of the last attempt.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// What was wrong with the last attempt's body.
    pub fn problem(&self) -> &BodyProblem {
        &self.problem
    }

    /// The number of attempts made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for UnusableBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{} {}` answered {} with an unusable body", self.method, self.url, self.status)?;
        if self.attempts > 1 {
            write!(f, " {} times", self.attempts)?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for UnusableBody {}

fn describe_kind(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Timeout => "timed out",
        ErrorKind::Connection => "connection error",
        ErrorKind::Decode => "could not decode the reply",
        ErrorKind::UnusableBody => "the reply's body was unusable",
        _ => "request error",
    }
}

/// Why a wait ended without the wanted state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFailure {
    /// The resource reached a state from which the wanted one cannot follow.
    BadState {
        /// The state reached, e.g. `FAILED`.
        state: String,
        /// The server's `status.message`, if any.
        message: Option<String>,
    },
    /// The resource disappeared (404).
    Vanished,
    /// The deadline passed first.
    DeadlineExceeded {
        /// The last state seen, if any.
        last_state: Option<String>,
    },
    /// Reading the resource failed with an error that waiting will not cure.
    PollFailed {
        /// The kind of the read error.
        kind: ErrorKind,
        /// The read error, as text.
        message: String,
    },
}

/// A wait for a resource's state that ended without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitError {
    pub(crate) resource: String,
    pub(crate) wanted: String,
    pub(crate) reason: WaitFailure,
}

impl WaitError {
    /// The resource name (`accounts/a/deployments/x`).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// What was waited for (`READY`, `gone`).
    pub fn wanted(&self) -> &str {
        &self.wanted
    }

    /// Why the wait ended.
    pub fn reason(&self) -> &WaitFailure {
        &self.reason
    }

    fn kind(&self) -> ErrorKind {
        match self.reason {
            WaitFailure::BadState { .. } => ErrorKind::Failed,
            WaitFailure::Vanished => ErrorKind::NotFound,
            WaitFailure::DeadlineExceeded { .. } => ErrorKind::Timeout,
            WaitFailure::PollFailed { kind, .. } => kind,
        }
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let WaitError { resource, wanted, reason } = self;
        match reason {
            WaitFailure::BadState { state, message } => {
                write!(f, "`{resource}` reached state {state} while waiting for {wanted}")?;
                if let Some(message) = message {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            WaitFailure::Vanished => {
                write!(f, "`{resource}` disappeared while waiting for {wanted}")
            }
            WaitFailure::DeadlineExceeded { last_state } => {
                write!(f, "timed out waiting for `{resource}` to be {wanted}")?;
                if let Some(state) = last_state {
                    write!(f, " (last state {state})")?;
                }
                Ok(())
            }
            WaitFailure::PollFailed { message, .. } => {
                write!(f, "stopped waiting for `{resource}` to be {wanted}: {message}")
            }
        }
    }
}

impl std::error::Error for WaitError {}

/// The API's error code name and message from an error body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
}

/// Parses `{code, message, details}` (grpc-gateway) or `{error: {message, code, status}}`;
/// anything else becomes an excerpt of the body as the message.
pub(crate) fn parse_error_body(body: &[u8]) -> ErrorBody {
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(body) {
        let (holder, code_keys) = match object.get("error") {
            Some(serde_json::Value::Object(inner)) => (inner, &["status", "code"][..]),
            Some(serde_json::Value::String(message)) => {
                return ErrorBody { code: None, message: Some(message.clone()) };
            }
            _ => (&object, &["code", "status"][..]),
        };
        let code = code_keys.iter().find_map(|key| code_name(holder.get(*key)?));
        let message = holder
            .get("message")
            .and_then(serde_json::Value::as_str)
            .filter(|message| !message.is_empty())
            .map(str::to_owned);
        if code.is_some() || message.is_some() {
            return ErrorBody { code, message };
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return ErrorBody::default();
    }
    ErrorBody { code: None, message: Some(excerpt(text, BODY_EXCERPT_LEN)) }
}

/// The first `max` bytes of `text`, cut at a character boundary, with `…` if cut.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A gRPC code as its name: numbers are mapped, strings kept when they look like code names.
fn code_name(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Number(number) => {
            let name = match number.as_u64()? {
                0 => "OK",
                1 => "CANCELLED",
                2 => "UNKNOWN",
                3 => "INVALID_ARGUMENT",
                4 => "DEADLINE_EXCEEDED",
                5 => "NOT_FOUND",
                6 => "ALREADY_EXISTS",
                7 => "PERMISSION_DENIED",
                8 => "RESOURCE_EXHAUSTED",
                9 => "FAILED_PRECONDITION",
                10 => "ABORTED",
                11 => "OUT_OF_RANGE",
                12 => "UNIMPLEMENTED",
                13 => "INTERNAL",
                14 => "UNAVAILABLE",
                15 => "DATA_LOSS",
                16 => "UNAUTHENTICATED",
                _ => return None,
            };
            Some(name.to_owned())
        }
        serde_json::Value::String(name)
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_') =>
        {
            Some(name.clone())
        }
        _ => None,
    }
}

/// The kind of a reply with this status and (optional) gRPC code name.
pub(crate) fn kind_for(status: u16, code: Option<&str>) -> ErrorKind {
    match code {
        Some("NOT_FOUND") => return ErrorKind::NotFound,
        Some("ALREADY_EXISTS") => return ErrorKind::AlreadyExists,
        Some("ABORTED") => return ErrorKind::Conflict,
        Some("PERMISSION_DENIED") => return ErrorKind::PermissionDenied,
        Some("UNAUTHENTICATED") => return ErrorKind::Unauthenticated,
        Some("INVALID_ARGUMENT" | "OUT_OF_RANGE") => return ErrorKind::InvalidArgument,
        Some("FAILED_PRECONDITION") => return ErrorKind::FailedPrecondition,
        Some("RESOURCE_EXHAUSTED") => return ErrorKind::RateLimited,
        Some("UNAVAILABLE") => return ErrorKind::Unavailable,
        Some("DEADLINE_EXCEEDED") => return ErrorKind::Timeout,
        Some("INTERNAL" | "UNKNOWN" | "DATA_LOSS") if status >= 500 => return ErrorKind::Internal,
        _ => {}
    }
    match status {
        400 | 422 => ErrorKind::InvalidArgument,
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::AlreadyExists,
        408 | 504 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimited,
        502 | 503 => ErrorKind::Unavailable,
        500..=599 => ErrorKind::Internal,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(body: &str) -> (Option<String>, Option<String>) {
        let ErrorBody { code, message } = parse_error_body(body.as_bytes());
        (code, message)
    }

    #[test]
    fn parses_grpc_gateway_bodies() {
        assert_eq!(
            parsed(r#"{"code": 5, "message": "deployment not found", "details": []}"#),
            (Some("NOT_FOUND".to_owned()), Some("deployment not found".to_owned()))
        );
    }

    #[test]
    fn parses_wrapped_error_bodies() {
        assert_eq!(
            parsed(r#"{"error": {"message": "slow down", "status": "RESOURCE_EXHAUSTED"}}"#),
            (Some("RESOURCE_EXHAUSTED".to_owned()), Some("slow down".to_owned()))
        );
        assert_eq!(parsed(r#"{"error": "bad"}"#), (None, Some("bad".to_owned())));
    }

    #[test]
    fn falls_back_to_an_excerpt_of_the_body() {
        assert_eq!(
            parsed("<html>502 Bad Gateway</html>"),
            (None, Some("<html>502 Bad Gateway</html>".to_owned()))
        );
        let long = "é".repeat(400);
        let (_, message) = parsed(&long);
        let message = message.unwrap();
        assert!(message.len() <= BODY_EXCERPT_LEN + "…".len());
        assert!(message.ends_with('…'));
        assert_eq!(parsed("   "), (None, None));
    }

    #[test]
    fn maps_codes_before_statuses() {
        assert_eq!(kind_for(400, Some("FAILED_PRECONDITION")), ErrorKind::FailedPrecondition);
        assert_eq!(kind_for(409, Some("ABORTED")), ErrorKind::Conflict);
        assert_eq!(kind_for(409, None), ErrorKind::AlreadyExists);
        assert_eq!(kind_for(503, None), ErrorKind::Unavailable);
        assert_eq!(kind_for(418, None), ErrorKind::Other);
    }

    #[test]
    fn request_errors_read_well() {
        let error = Error::from(RequestError {
            kind: ErrorKind::NotFound,
            method: Method::GET,
            url: "http://127.0.0.1:1/v1/accounts/a/deployments/x".to_owned(),
            status: Some(404),
            code: Some("NOT_FOUND".to_owned()),
            message: Some("deployment `x` not found".to_owned()),
            attempts: 1,
            source: None,
        });
        assert!(error.is_not_found());
        assert_eq!(
            error.to_string(),
            "`GET http://127.0.0.1:1/v1/accounts/a/deployments/x` failed with status 404 \
             NOT_FOUND: deployment `x` not found"
        );
    }
}

//! The request executor: one pooled reqwest client (rustls with the ring provider, HTTP/2 where
//! the server offers it), the rate limit and concurrency limit, retries and tracing.
//!
//! It moves bytes: callers hand it a [`Call`] with an already-serialised body and get the raw
//! reply back; typed decoding, `updateMask` building and create adoption live in `ops`. The API
//! key only ever goes into the `Authorization` header, marked sensitive, and never onto
//! requests to signed upload URLs.
//!
//! A success status is not enough: the body must be the kind of answer the call [`Expect`]s
//! (a JSON object, or a list page), or the attempt fails and is retried like a 5xx. A body that
//! is empty or not a JSON object is never read as "no objects" (issue 10).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::de::IgnoredAny;
use tokio::sync::Semaphore;

use crate::config::{ClientConfig, ConfigError, check_scheme};
use crate::error::{
    BODY_EXCERPT_LEN, BodyProblem, Error, ErrorKind, RequestError, UnusableBody, excerpt, kind_for,
    parse_error_body,
};
use crate::limit::RateLimiter;
use crate::retry::{
    RetryPolicy, RetryState, is_retryable_status, retry_after, should_retry_header,
};

/// The body of a request, kept as bytes so that every attempt can send it again.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    /// A `multipart/form-data` form with one file part.
    Multipart {
        field: &'static str,
        file_name: String,
        bytes: Bytes,
    },
    /// Raw bytes with the call's own headers (signed-URL uploads).
    Raw(Bytes),
}

/// Where a call goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A path under the base URL (`/v1/accounts/a/deployments`), with the API key.
    Api(String),
    /// An absolute URL handed out by the API (a signed upload URL), without the API key and
    /// outside the request-rate limit.
    External(Url),
}

/// What the body of a successful reply must be for the call to have succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Anything: only the status carries the answer (deletes, signed-URL uploads, methods that
    /// answer `google.protobuf.Empty` and whose answer is not read).
    Status,
    /// A JSON object: a resource or a response message. An empty body, `null`, `[]` or a
    /// string is not one.
    Object,
    /// A list page: a JSON object that is either `{}` (proto3 JSON omits an empty list) or
    /// holds at least one of its fields: this list key, `nextPageToken`, `totalSize`.
    Page(&'static str),
}

impl Expect {
    /// Checks a successful reply's body against the expectation.
    pub(crate) fn check(self, body: &[u8]) -> Result<(), BodyProblem> {
        if self == Expect::Status {
            return Ok(());
        }
        let not_json = || BodyProblem::NotJson {
            excerpt: excerpt(String::from_utf8_lossy(body).trim(), BODY_EXCERPT_LEN),
        };
        match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
            None => return Err(BodyProblem::Empty),
            // The usual case: only the top-level keys are kept, the values are skipped (the
            // typed decoding reads them afterwards).
            Some(b'{') => {
                let object: BTreeMap<String, IgnoredAny> =
                    serde_json::from_slice(body).map_err(|_| not_json())?;
                return match self {
                    Expect::Page(list_key)
                        if !object.is_empty()
                            && ![list_key, "nextPageToken", "totalSize"]
                                .iter()
                                .any(|field| object.contains_key(*field)) =>
                    {
                        Err(BodyProblem::NotAListPage { list_key })
                    }
                    _ => Ok(()),
                };
            }
            Some(_) => {}
        }
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| not_json())?;
        match value {
            serde_json::Value::Object(_) => Ok(()),
            serde_json::Value::Null => Err(BodyProblem::NotAnObject { found: "null" }),
            serde_json::Value::Bool(_) => Err(BodyProblem::NotAnObject { found: "a boolean" }),
            serde_json::Value::Number(_) => Err(BodyProblem::NotAnObject { found: "a number" }),
            serde_json::Value::String(_) => Err(BodyProblem::NotAnObject { found: "a string" }),
            serde_json::Value::Array(_) => Err(BodyProblem::NotAnObject { found: "an array" }),
        }
    }
}

/// One logical request, retried as a whole.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) target: Target,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Body,
    /// What a successful reply's body must be; [`Expect::Object`] unless set.
    pub(crate) expect: Expect,
}

impl Call {
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Call {
        Call {
            method,
            target: Target::Api(path.into()),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            expect: Expect::Object,
        }
    }

    /// Sets what a successful reply's body must be.
    pub(crate) fn expect(mut self, expect: Expect) -> Call {
        self.expect = expect;
        self
    }

    pub(crate) fn query(mut self, name: &'static str, value: impl Into<String>) -> Call {
        self.query.push((name, value.into()));
        self
    }

    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Result<Call, Error> {
        let bytes = serde_json::to_vec(body).map_err(|error| {
            Error::InvalidRequest(format!("cannot serialise the body: {error}"))
        })?;
        self.body = Body::Json(Bytes::from(bytes));
        Ok(self)
    }

    /// The path for traces: never a query (signatures) nor a host.
    pub(crate) fn path(&self) -> &str {
        match &self.target {
            Target::Api(path) => path,
            Target::External(url) => url.path(),
        }
    }
}

/// A successful reply.
#[derive(Debug)]
pub(crate) struct Reply {
    // Invariant: passed the call's `Expect` (only `Transport::attempt` makes replies).
    pub(crate) body: Bytes,
}

/// One failed attempt.
#[derive(Debug)]
pub(crate) enum AttemptFailure {
    /// The server answered with a non-success status.
    Status { status: u16, headers: HeaderMap, body: Bytes },
    /// A success status whose body is not what the call expects (empty, not JSON, ...): a
    /// proxy's hiccup, never an answer.
    UnusableBody { status: u16, problem: BodyProblem },
    /// No (complete) reply: connection refused, reset, timed out.
    Transport {
        kind: ErrorKind,
        /// Whether the server may have received and acted on the request.
        ambiguous: bool,
        source: reqwest::Error,
    },
}

impl AttemptFailure {
    /// Whether the server may have committed the request although we saw no success: the
    /// reply was lost, a 5xx came back, or a success came back with an unusable body.
    pub(crate) fn is_ambiguous(&self) -> bool {
        match self {
            AttemptFailure::Status { status, .. } => *status >= 500,
            AttemptFailure::UnusableBody { .. } => true,
            AttemptFailure::Transport { ambiguous, .. } => *ambiguous,
        }
    }

    fn reason(&self) -> String {
        match self {
            AttemptFailure::Status { status, .. } => format!("status {status}"),
            AttemptFailure::UnusableBody { status, problem } => {
                format!("status {status} with an unusable body: {problem}")
            }
            AttemptFailure::Transport { kind: ErrorKind::Timeout, .. } => "timeout".to_owned(),
            AttemptFailure::Transport { .. } => "connection error".to_owned(),
        }
    }
}

/// Sends calls for one client; shared by all clones of it.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: Url,
    // Invariant: marked sensitive; only ever attached to `Target::Api` requests.
    authorization: HeaderValue,
    retry: RetryPolicy,
    limiter: RateLimiter,
    in_flight: Arc<Semaphore>,
    allow_insecure_http: bool,
    request_timeout: Duration,
    attempts_sent: AtomicU64,
}

/// The user agent sent on every request.
pub(crate) fn user_agent() -> String {
    format!("fireform/{}", env!("CARGO_PKG_VERSION"))
}

fn build_http(config: &ClientConfig) -> Result<reqwest::Client, ConfigError> {
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ConfigError::Http(error.to_string()))?
        .with_platform_verifier()
        .map_err(|error| ConfigError::Http(error.to_string()))?
        .with_no_client_auth();
    // reqwest leaves ALPN alone for a preconfigured TLS config: offer HTTP/2 first.
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(user_agent())
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        // The API never redirects; following one could carry the key somewhere unexpected.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| ConfigError::Http(error.without_url().to_string()))
}

impl Transport {
    pub(crate) fn new(config: &ClientConfig) -> Result<Transport, ConfigError> {
        config.validate()?;
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", config.api_key.expose()))
                .map_err(|_| ConfigError::InvalidApiKey)?;
        authorization.set_sensitive(true);
        Ok(Transport {
            http: build_http(config)?,
            base_url: config.base_url.clone(),
            authorization,
            retry: config.retry.clone(),
            limiter: RateLimiter::new(config.rate_limit),
            in_flight: Arc::new(Semaphore::new(config.max_concurrency)),
            allow_insecure_http: config.allow_insecure_http,
            request_timeout: config.request_timeout,
            attempts_sent: AtomicU64::new(0),
        })
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// HTTP attempts sent so far by this client (retries included).
    pub(crate) fn attempts_sent(&self) -> u64 {
        self.attempts_sent.load(Ordering::Relaxed)
    }

    /// Sends a call, retrying trouble per the policy.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Reply, Error> {
        let mut retry = RetryState::new(&self.retry);
        loop {
            let attempt = retry.begin_attempt();
            match self.attempt(call, retry.remaining()).await {
                Ok(reply) => return Ok(reply),
                Err(failure) => match self.retry_delay(&retry, &failure) {
                    Some(delay) => self.pause(call, attempt, delay, &failure).await,
                    None => return Err(self.error(call, failure, attempt)),
                },
            }
        }
    }

    /// Decodes a reply's JSON body. The attempt that got the reply has checked it against the
    /// call's [`Expect`], so an empty body, `null` or `[]` never gets here to be read as a
    /// default value.
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(
        &self,
        call: &Call,
        reply: &Reply,
    ) -> Result<T, Error> {
        serde_json::from_slice(&reply.body).map_err(|error| {
            Error::from(RequestError {
                kind: ErrorKind::Decode,
                method: call.method.clone(),
                url: self.display_url(call),
                status: None,
                code: None,
                message: Some(error.to_string()),
                attempts: 1,
                source: Some(Box::new(error)),
            })
        })
    }

    /// The delay before retrying after `failure`, or `None` to give up.
    pub(crate) fn retry_delay(
        &self,
        retry: &RetryState<'_>,
        failure: &AttemptFailure,
    ) -> Option<Duration> {
        match failure {
            AttemptFailure::Status { status, headers, .. } => {
                let retryable =
                    should_retry_header(headers).unwrap_or_else(|| is_retryable_status(*status));
                if !retryable {
                    return None;
                }
                retry.next_delay(retry_after(headers, SystemTime::now()))
            }
            AttemptFailure::UnusableBody { .. } => retry.next_delay(None),
            AttemptFailure::Transport { kind: ErrorKind::InvalidRequest, .. } => None,
            AttemptFailure::Transport { .. } => retry.next_delay(None),
        }
    }

    /// Traces a retry and sleeps before it.
    pub(crate) async fn pause(
        &self,
        call: &Call,
        attempt: u32,
        delay: Duration,
        failure: &AttemptFailure,
    ) {
        tracing::warn!(
            method = %call.method,
            path = call.path(),
            attempt,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            reason = %failure.reason(),
            "retrying request"
        );
        tokio::time::sleep(delay).await;
    }

    /// One attempt: waits for the limits, sends, reads the whole reply.
    pub(crate) async fn attempt(
        &self,
        call: &Call,
        remaining: Duration,
    ) -> Result<Reply, AttemptFailure> {
        // The permit first, the token second: a request that waited for a permit must not
        // spend a token it reserved long ago, or freed permits would release a burst.
        let _permit = self
            .in_flight
            .acquire()
            .await
            .expect("the semaphore lives as long as the transport and is never closed");
        if let Target::Api(_) = call.target {
            self.limiter.acquire().await;
        }
        self.attempts_sent.fetch_add(1, Ordering::Relaxed);
        let timeout = self.request_timeout.min(remaining.max(Duration::from_millis(1)));
        let request = self.request(call).timeout(timeout);
        let response = request.send().await.map_err(transport_failure)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport_failure)?;
        tracing::debug!(method = %call.method, path = call.path(), status, "request");
        if (200..300).contains(&status) {
            match call.expect.check(&body) {
                Ok(()) => Ok(Reply { body }),
                Err(problem) => Err(AttemptFailure::UnusableBody { status, problem }),
            }
        } else {
            Err(AttemptFailure::Status { status, headers, body })
        }
    }

    /// The request a call becomes, without sending it (for tests of what goes on the wire).
    #[cfg(test)]
    pub(crate) fn build(&self, call: &Call) -> Result<reqwest::Request, reqwest::Error> {
        self.request(call).build()
    }

    fn request(&self, call: &Call) -> reqwest::RequestBuilder {
        let url = self.url(call);
        let mut request = self.http.request(call.method.clone(), url);
        if let Target::Api(_) = call.target {
            request = request.header(AUTHORIZATION, self.authorization.clone());
        }
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        match &call.body {
            Body::Empty => request,
            Body::Json(bytes) => {
                request.header(CONTENT_TYPE, "application/json").body(bytes.clone())
            }
            Body::Raw(bytes) => request.body(bytes.clone()),
            Body::Multipart { field, file_name, bytes } => {
                let part =
                    reqwest::multipart::Part::stream(bytes.clone()).file_name(file_name.clone());
                let part = part
                    .mime_str("application/octet-stream")
                    .expect("`application/octet-stream` is a valid MIME type");
                request.multipart(reqwest::multipart::Form::new().part(*field, part))
            }
        }
    }

    /// The full URL of a call, query included.
    pub(crate) fn url(&self, call: &Call) -> Url {
        let mut url = match &call.target {
            Target::Api(path) => {
                let mut url = self.base_url.clone();
                let prefix = url.path().trim_end_matches('/').to_owned();
                url.set_path(&format!("{prefix}{path}"));
                url
            }
            Target::External(url) => url.clone(),
        };
        if !call.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &call.query {
                pairs.append_pair(name, value);
            }
        }
        url
    }

    /// The URL as errors show it: API URLs whole, signed URLs without their query (which
    /// carries the signature).
    pub(crate) fn display_url(&self, call: &Call) -> String {
        match &call.target {
            Target::Api(_) => self.url(call).to_string(),
            Target::External(url) => {
                let mut url = url.clone();
                url.set_query(None);
                url.to_string()
            }
        }
    }

    /// Checks that an external URL (signed upload) may be used.
    pub(crate) fn check_external(&self, url: &Url) -> Result<(), Error> {
        check_scheme(url, self.allow_insecure_http)?;
        Ok(())
    }

    /// The error for a call that gave up after `attempts` attempts.
    pub(crate) fn error(&self, call: &Call, failure: AttemptFailure, attempts: u32) -> Error {
        let url = self.display_url(call);
        let error = match failure {
            AttemptFailure::Status { status, body, .. } => {
                let parsed = parse_error_body(&body);
                RequestError {
                    kind: kind_for(status, parsed.code.as_deref()),
                    method: call.method.clone(),
                    url,
                    status: Some(status),
                    code: parsed.code,
                    message: parsed.message,
                    attempts,
                    source: None,
                }
            }
            AttemptFailure::UnusableBody { status, problem } => {
                return Error::from(UnusableBody {
                    method: call.method.clone(),
                    url,
                    status,
                    problem,
                    attempts,
                });
            }
            AttemptFailure::Transport { kind, source, .. } => RequestError {
                kind,
                method: call.method.clone(),
                url,
                status: None,
                code: None,
                message: None,
                attempts,
                source: Some(Box::new(source.without_url())),
            },
        };
        Error::from(error)
    }
}

fn transport_failure(error: reqwest::Error) -> AttemptFailure {
    if error.is_timeout() {
        AttemptFailure::Transport { kind: ErrorKind::Timeout, ambiguous: true, source: error }
    } else if error.is_connect() {
        // The connection was never made: the server cannot have seen the request.
        AttemptFailure::Transport { kind: ErrorKind::Connection, ambiguous: false, source: error }
    } else if error.is_builder() {
        AttemptFailure::Transport {
            kind: ErrorKind::InvalidRequest,
            ambiguous: false,
            source: error,
        }
    } else {
        AttemptFailure::Transport { kind: ErrorKind::Connection, ambiguous: true, source: error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ApiKey;

    fn transport(base_url: &str) -> Transport {
        let config = ClientConfig::new(ApiKey::new("k")).with_base_url(base_url).unwrap();
        Transport::new(&config).unwrap()
    }

    #[test]
    fn builds_for_https_with_the_ring_provider() {
        let transport = transport("https://api.fireworks.ai");
        let call = Call::new(Method::GET, "/v1/accounts/a/deployments/x:scale")
            .query("filter", "model=\"accounts/a/models/m\"")
            .query("pageSize", "200");
        assert_eq!(
            transport.url(&call).as_str(),
            "https://api.fireworks.ai/v1/accounts/a/deployments/x:scale?\
             filter=model%3D%22accounts%2Fa%2Fmodels%2Fm%22&pageSize=200"
        );
    }

    #[test]
    fn keeps_a_path_prefix_of_the_base_url() {
        let transport = transport("http://127.0.0.1:9/prefix/");
        let call = Call::new(Method::GET, "/v1/accounts");
        assert_eq!(transport.url(&call).as_str(), "http://127.0.0.1:9/prefix/v1/accounts");
    }

    #[test]
    fn errors_drop_the_query_of_signed_urls() {
        let transport = transport("http://127.0.0.1:9");
        let url = Url::parse("https://storage.example/b/f?X-Goog-Signature=secret").unwrap();
        let call = Call {
            method: Method::PUT,
            target: Target::External(url),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Raw(Bytes::from_static(b"x")),
            expect: Expect::Status,
        };
        let failure = AttemptFailure::Status {
            status: 403,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"SignatureDoesNotMatch"),
        };
        let error = transport.error(&call, failure, 1);
        assert!(!error.to_string().contains("secret"), "{error}");
        assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    }

    // Issue 10: a reply that does not make sense is not evidence that things are gone.
    #[test]
    fn bodies_that_cannot_be_the_answer_are_refused() {
        let page = Expect::Page("deployments");
        for body in ["{}", r#"{"deployments": []}"#, r#"{"nextPageToken": "t"}"#, " {} "] {
            assert_eq!(page.check(body.as_bytes()), Ok(()), "{body}");
        }
        assert_eq!(page.check(b""), Err(BodyProblem::Empty));
        assert_eq!(page.check(b" \n"), Err(BodyProblem::Empty));
        assert_eq!(page.check(b"null"), Err(BodyProblem::NotAnObject { found: "null" }));
        assert_eq!(page.check(b"[]"), Err(BodyProblem::NotAnObject { found: "an array" }));
        assert_eq!(
            page.check(br#"{"status": "ok"}"#),
            Err(BodyProblem::NotAListPage { list_key: "deployments" })
        );
        assert_eq!(
            page.check(b"<html>ok</html>"),
            Err(BodyProblem::NotJson { excerpt: "<html>ok</html>".to_owned() })
        );
        let object = Expect::Object;
        assert_eq!(object.check(br#"{"name": "accounts/a/deployments/d"}"#), Ok(()));
        assert_eq!(object.check(b"{}"), Ok(()), "a message with every field at its default");
        assert_eq!(object.check(b""), Err(BodyProblem::Empty));
        assert_eq!(object.check(b"\"x\""), Err(BodyProblem::NotAnObject { found: "a string" }));
        assert_eq!(Expect::Status.check(b""), Ok(()));
        assert_eq!(Expect::Status.check(b"<html>"), Ok(()));
    }

    #[test]
    fn unusable_bodies_are_retried_as_ambiguous_then_reported() {
        let transport = transport("http://127.0.0.1:9");
        let call = Call::new(Method::GET, "/v1/accounts/a/deployments")
            .expect(Expect::Page("deployments"));
        let failure = AttemptFailure::UnusableBody { status: 200, problem: BodyProblem::Empty };
        assert!(failure.is_ambiguous());
        let policy = RetryPolicy::default();
        let mut retry = RetryState::new(&policy);
        retry.begin_attempt();
        assert!(transport.retry_delay(&retry, &failure).is_some());
        let error = transport.error(&call, failure, 5);
        assert_eq!(error.kind(), ErrorKind::UnusableBody);
        assert!(error.is_transient());
        assert_eq!((error.status(), error.attempts()), (Some(200), 5));
        assert_eq!(
            error.to_string(),
            "`GET http://127.0.0.1:9/v1/accounts/a/deployments` answered 200 with an unusable \
             body 5 times: the response body was empty"
        );
    }

    #[test]
    fn user_agent_names_fireform() {
        assert!(user_agent().starts_with("fireform/"));
    }
}

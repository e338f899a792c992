//! The HTTP server: [`router`] (API under `/v1`, signed-URL uploads and downloads under
//! `/_upload` and `/_download`, admin under `/_emulator`), the trouble and audit layers, and the
//! ways to run it: [`serve`], [`serve_until`] and [`start`] with its [`EmulatorHandle`].
//!
//! Trouble (the `mangle` of GET answers included) applies to `/v1` only; the audit layer records
//! mutating requests that reached a handler and, with a data directory, holds every response
//! until the world it reflects is on disk (one write serves every request waiting at the time:
//! group commit).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, put};
use fireform_api::Code;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::{self, AuditResource};
use crate::clock::{now_ms, rfc3339};
use crate::config::{EmulatorConfig, FailRule, Trouble};
use crate::error::{ApiError, EmulatorError};
use crate::mangle::mangle_response;
use crate::state::EmulatorState;
use crate::world::AuditEntry;

/// The router over `state`, for `serve` or for socket-free tests with
/// `tower::ServiceExt::oneshot`.
pub fn router(state: EmulatorState) -> Router {
    let v1 = Router::new()
        .route("/v1/accounts", get(api::list_accounts))
        .route("/v1/accounts/{account}", get(api::get_account))
        .route("/v1/accounts/{account}/{collection}", any(api::collection_route))
        .route("/v1/accounts/{account}/{collection}/{id}", any(api::item_route))
        .layer(middleware::from_fn_with_state(state.clone(), audit))
        .layer(middleware::from_fn_with_state(state.clone(), trouble));
    let uploads = Router::new()
        .route("/_upload/{token}", put(api::upload_put))
        .route("/_download/{token}", get(api::download))
        .layer(middleware::from_fn_with_state(state.clone(), audit));
    let admin = Router::new()
        .route("/_emulator/trouble", get(get_trouble).put(put_trouble))
        .route(
            "/_emulator/fail-rules",
            get(get_fail_rules).post(post_fail_rule).delete(delete_fail_rules),
        )
        .route("/_emulator/audit", get(get_audit))
        .route("/_emulator/health", get(health))
        .layer(middleware::from_fn_with_state(state.clone(), admin_auth));
    Router::new()
        .merge(v1)
        .merge(uploads)
        .merge(admin)
        .fallback(api::not_found)
        // `:upload` takes files up to 150 MB, plus multipart framing.
        .layer(DefaultBodyLimit::max(api::MAX_UPLOAD_BYTES + 1024 * 1024))
        .with_state(state)
}

/// Injects the configured trouble: latency, dropped connections, 429/500/503, the rate limit,
/// responses dropped after their change was committed, and garbled answers to GETs.
async fn trouble(State(state): State<EmulatorState>, request: Request, next: Next) -> Response {
    let trouble = state.trouble();
    if trouble.is_calm() {
        return next.run(request).await;
    }
    let delay = trouble.latency_ms
        + (state.random_fraction() * (trouble.jitter_ms as f64 + 1.0)).floor() as u64;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if state.random_fraction() < trouble.drop {
        return dropped_connection();
    }
    if state.random_fraction() < trouble.error_429 {
        let mut error =
            ApiError::new(Code::ResourceExhausted, "injected by the emulator: too many requests");
        error.retry_after = Some(trouble.retry_after_secs.max(1));
        return error.into_response();
    }
    if state.random_fraction() < trouble.error_500 {
        return ApiError::new(Code::Internal, "injected by the emulator: internal error")
            .into_response();
    }
    if state.random_fraction() < trouble.error_503 {
        return ApiError::new(Code::Unavailable, "injected by the emulator: service unavailable")
            .into_response();
    }
    if trouble.rate_limit.is_some() {
        let key = request
            .headers()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(|key| state.account_of_key(key.trim()))
            .map(str::to_owned);
        // Unauthenticated requests are refused by the handler anyway; only accounts are limited.
        if let Some(account) = key
            && let Err(retry_after) = state.take_rate(&account, &trouble)
        {
            let mut error = ApiError::new(
                Code::ResourceExhausted,
                format!("request rate limit of account `{account}` exceeded"),
            );
            error.retry_after = Some(retry_after);
            return error.into_response();
        }
    }
    let mutating = is_mutating(request.method());
    let mangle = trouble.mangle.filter(|_| request.method() == Method::GET);
    let path = mangle.map(|_| request.uri().path().to_owned());
    let response = next.run(request).await;
    // The inner audit layer has recorded and saved the change by now: only the answer is lost.
    if mutating
        && trouble.drop_after_commit > 0.0
        && response.status().is_success()
        && state.random_fraction() < trouble.drop_after_commit
    {
        return dropped_connection();
    }
    match (mangle, path) {
        (Some(mangle), Some(path)) if response.status().is_success() => {
            mangle_response(mangle, &path, response).await
        }
        _ => response,
    }
}

fn is_mutating(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// A response whose body fails before anything is written, so the server closes the connection
/// without sending a status line: the client sees a dropped connection.
fn dropped_connection() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "dropped by the emulator",
        ))
    });
    Response::new(Body::from_stream(stream))
}

/// Records mutating requests and saves the world after any request that changed it, before the
/// response leaves.
async fn audit(State(state): State<EmulatorState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let mutating = is_mutating(&method);
    let path = if mutating {
        request.uri().path_and_query().map(ToString::to_string).unwrap_or_default()
    } else {
        String::new()
    };
    let response = next.run(request).await;
    if !mutating && state.config().data_dir.is_none() {
        // Nothing to record, and nothing to save in memory: skip the world lock. (A read may
        // still have changed the world, e.g. by advancing lifecycles or handing out download
        // URLs; with a data directory that change is saved below.)
        return response;
    }
    let committed = {
        let mut world = state.world();
        if mutating {
            world.record_audit(AuditEntry {
                sequence: 0,
                time: rfc3339(now_ms()),
                method: method.to_string(),
                path,
                resource: response
                    .extensions()
                    .get::<AuditResource>()
                    .map(|resource| resource.0.clone()),
                status: response.status().as_u16(),
            });
        }
        state.commit(&mut world)
    };
    let Some(generation) = committed.filter(|generation| !state.is_persisted(*generation)) else {
        return response;
    };
    // Durable before the response leaves: this request's changes and any it observed. Writes
    // are batched across concurrent requests and run off the async workers.
    let persisting = state.clone();
    let saved =
        match tokio::task::spawn_blocking(move || persisting.persist_through(generation)).await {
            Ok(saved) => saved.map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        };
    match saved {
        Ok(()) => response,
        Err(error) => ApiError::new(Code::Internal, format!("failed to save the world: {error}"))
            .into_response(),
    }
}

/// Admin routes take the main API key.
async fn admin_auth(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let key = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    if key.is_some_and(|key| state.account_of_key(key) == Some(state.config().account.as_str())) {
        next.run(request).await
    } else {
        ApiError::new(
            Code::Unauthenticated,
            "admin routes need `Authorization: Bearer <main API key>`",
        )
        .into_response()
    }
}

async fn get_trouble(State(state): State<EmulatorState>) -> Response {
    axum::Json(state.trouble()).into_response()
}

async fn put_trouble(State(state): State<EmulatorState>, body: Bytes) -> Response {
    match serde_json::from_slice::<Trouble>(&body) {
        Ok(trouble) => {
            let fractions = [
                trouble.error_429,
                trouble.error_500,
                trouble.error_503,
                trouble.drop,
                trouble.drop_after_commit,
            ];
            if fractions.iter().any(|fraction| !(0.0..=1.0).contains(fraction)) {
                return ApiError::invalid("trouble fractions must be between 0 and 1")
                    .into_response();
            }
            state.set_trouble(trouble.clone());
            axum::Json(trouble).into_response()
        }
        Err(error) => ApiError::invalid(format!("invalid trouble: {error}")).into_response(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailRules {
    fail_rules: Vec<FailRule>,
}

async fn get_fail_rules(State(state): State<EmulatorState>) -> Response {
    axum::Json(FailRules { fail_rules: state.fail_rules() }).into_response()
}

async fn post_fail_rule(State(state): State<EmulatorState>, body: Bytes) -> Response {
    match serde_json::from_slice::<FailRule>(&body) {
        Ok(rule)
            if rule.collection.parse::<fireform_api::Collection>().is_ok()
                && !rule.pattern.is_empty() =>
        {
            state.add_fail_rule(rule);
            (StatusCode::CREATED, axum::Json(FailRules { fail_rules: state.fail_rules() }))
                .into_response()
        }
        Ok(rule) => {
            ApiError::invalid(format!("invalid fail rule for collection `{}`", rule.collection))
                .into_response()
        }
        Err(error) => ApiError::invalid(format!("invalid fail rule: {error}")).into_response(),
    }
}

async fn delete_fail_rules(State(state): State<EmulatorState>) -> Response {
    state.clear_fail_rules();
    axum::Json(FailRules { fail_rules: Vec::new() }).into_response()
}

#[derive(Serialize)]
struct Audit {
    entries: Vec<AuditEntry>,
}

async fn get_audit(State(state): State<EmulatorState>) -> Response {
    axum::Json(Audit { entries: state.audit_log() }).into_response()
}

async fn health() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// Serves the API on `listener` until the process ends.
pub async fn serve(listener: TcpListener, config: EmulatorConfig) -> Result<(), EmulatorError> {
    serve_until(listener, config, std::future::pending()).await
}

/// Serves the API on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve_until(
    listener: TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), EmulatorError> {
    let state = EmulatorState::new(config)?;
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(EmulatorError::Serve)
}

/// Starts the emulator in-process on `127.0.0.1:0` (a free port). Must be called inside a Tokio
/// runtime; the server stops when the handle is dropped or [`EmulatorHandle::shutdown`] is
/// awaited.
pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, EmulatorError> {
    let address = "127.0.0.1:0";
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| EmulatorError::Bind { address: address.to_owned(), source })?;
    let local = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind { address: address.to_owned(), source })?;
    let state = EmulatorState::new(config)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                // A dropped sender also means stop.
                let _ = stopped.await;
            })
            .await
            .map_err(EmulatorError::Serve)
    });
    Ok(EmulatorHandle { address: local, state, stop: Some(stop), task: Some(task) })
}

/// A running in-process emulator: its URL and runtime knobs. Dropping it stops the server.
#[derive(Debug)]
pub struct EmulatorHandle {
    address: SocketAddr,
    state: EmulatorState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), EmulatorError>>>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT`, the base URL clients use (without `/v1`).
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The shared state, for every runtime knob.
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// Replaces the trouble injected into API requests.
    pub fn set_trouble(&self, trouble: Trouble) {
        self.state.set_trouble(trouble);
    }

    /// Adds a fail rule for resources created from now on.
    pub fn add_fail_rule(&self, rule: FailRule) {
        self.state.add_fail_rule(rule);
    }

    /// Every mutating request so far, oldest first.
    pub fn audit_log(&self) -> Vec<AuditEntry> {
        self.state.audit_log()
    }

    /// Stops accepting, finishes in-flight requests and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), EmulatorError> {
        if let Some(stop) = self.stop.take() {
            // The server may already be gone; then there is nothing to stop.
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The server may already be gone; then there is nothing to stop.
            let _ = stop.send(());
        }
    }
}

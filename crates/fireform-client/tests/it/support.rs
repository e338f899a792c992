//! Test support: an emulator on a random loopback port with a client pointed at it, the
//! resources most tests need, and a lossy proxy that forwards to the emulator but loses chosen
//! replies after the emulator has committed them (the emulator's own `drop` trouble hits before
//! its handlers run, so it cannot lose a committed reply).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use fireform_api::{Dataset, DatasetFormat, Deployment, Empty};
use fireform_client::{ApiKey, Client, ClientConfig, RateLimit, RetryPolicy};
use fireform_emulator::{EmulatorConfig, EmulatorHandle, Timings};

pub(crate) const BASE_MODEL: &str = "accounts/fireworks/models/llama-v3p1-8b-instruct";

/// A running emulator and a client for its account.
pub(crate) struct Setup {
    pub(crate) emulator: EmulatorHandle,
    pub(crate) client: Client,
}

/// Instant lifecycles and a quota big enough for any test.
pub(crate) fn emulator_config() -> EmulatorConfig {
    EmulatorConfig {
        timings: Timings::instant(),
        gpu_quota: 1_000_000,
        ..EmulatorConfig::default()
    }
}

/// Retries fast and often: the tests inject a lot of trouble.
pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 12,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        call_deadline: Duration::from_secs(60),
    }
}

pub(crate) fn client_config(url: &str, api_key: &str) -> ClientConfig {
    ClientConfig::new(ApiKey::new(api_key))
        .with_base_url(url)
        .unwrap()
        .with_retry_policy(fast_retries())
        .with_rate_limit(RateLimit { requests_per_second: 5_000.0, burst: 500 })
        .with_request_timeout(Duration::from_secs(10))
}

pub(crate) async fn setup() -> Setup {
    setup_with(emulator_config()).await
}

pub(crate) async fn setup_with(config: EmulatorConfig) -> Setup {
    let api_key = config.api_key.clone();
    let emulator = fireform_emulator::start(config).await.unwrap();
    let client = Client::connect(client_config(&emulator.url(), &api_key)).await.unwrap();
    Setup { emulator, client }
}

pub(crate) fn deployment() -> Deployment {
    Deployment {
        base_model: Some(BASE_MODEL.to_owned()),
        display_name: Some("test deployment".to_owned()),
        min_replica_count: Some(0),
        max_replica_count: Some(1),
        ..Deployment::default()
    }
}

pub(crate) fn dataset() -> Dataset {
    Dataset {
        display_name: Some("chats".to_owned()),
        format: Some(DatasetFormat::Chat),
        example_count: Some(2),
        user_uploaded: Some(Empty::default()),
        ..Dataset::default()
    }
}

pub(crate) const JSONL: &str = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n\
                         {\"messages\":[{\"role\":\"user\",\"content\":\"yo\"}]}\n";

/// Creates dataset `id`, uploads two lines and validates: READY afterwards.
pub(crate) async fn ready_dataset(client: &Client, id: &str) {
    client.create_dataset(id, &dataset()).await.unwrap();
    client
        .upload_dataset_file(
            id,
            "train.jsonl",
            Bytes::from_static(JSONL.as_bytes()),
            Default::default(),
        )
        .await
        .unwrap();
}

/// Audit entries of successful creates (POST to a collection) of `collection`, by resource.
pub(crate) fn created(emulator: &EmulatorHandle, collection: &str) -> Vec<String> {
    emulator
        .audit_log()
        .into_iter()
        .filter(|entry| {
            entry.method == "POST"
                && entry.status == 200
                && entry
                    .path
                    .split('?')
                    .next()
                    .is_some_and(|path| path.ends_with(&format!("/{collection}")))
        })
        .filter_map(|entry| entry.resource)
        .collect()
}

/// A plain reqwest client for the tests' own requests (the proxy, downloads). reqwest is built
/// without a default crypto provider, so the tests install ring as the process default.
pub(crate) fn plain_http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// What the proxy does to a matching reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loss {
    /// Close the connection without a reply.
    Drop,
    /// Answer 503 instead.
    Unavailable,
}

#[derive(Debug)]
struct Rule {
    method: &'static str,
    path_suffix: &'static str,
    loss: Loss,
    remaining: usize,
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    rules: Arc<Mutex<Vec<Rule>>>,
}

/// A forwarding proxy in front of the emulator that loses chosen replies after the emulator
/// handled the request.
pub(crate) struct LossyProxy {
    url: String,
    rules: Arc<Mutex<Vec<Rule>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl LossyProxy {
    pub(crate) async fn start(upstream: &str) -> LossyProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let rules = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            upstream: upstream.to_owned(),
            http: plain_http(),
            rules: Arc::clone(&rules),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        LossyProxy { url, rules, _server: server }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Loses the next `times` replies to `method` requests whose path ends with `path_suffix`.
    pub(crate) fn lose(
        &self,
        method: &'static str,
        path_suffix: &'static str,
        loss: Loss,
        times: usize,
    ) {
        self.rules.lock().unwrap().push(Rule { method, path_suffix, loss, remaining: times });
    }
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let method = request.method().clone();
    let path_and_query =
        request.uri().path_and_query().map(ToString::to_string).unwrap_or_default();
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let body = axum::body::to_bytes(request.into_body(), usize::MAX).await.unwrap();
    let mut upstream =
        state.http.request(method.clone(), format!("{}{path_and_query}", state.upstream));
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let reply = upstream.body(body).send().await.unwrap();
    let status = reply.status();
    let reply_headers = reply.headers().clone();
    let reply_body = reply.bytes().await.unwrap();
    let loss = {
        let mut rules = state.rules.lock().unwrap();
        rules
            .iter_mut()
            .find(|rule| {
                rule.remaining > 0
                    && rule.method == method.as_str()
                    && path.ends_with(rule.path_suffix)
            })
            .map(|rule| {
                rule.remaining -= 1;
                rule.loss
            })
    };
    match loss {
        Some(Loss::Drop) => {
            let stream = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("reply lost by the proxy"))
            });
            Response::new(Body::from_stream(stream))
        }
        Some(Loss::Unavailable) => Response::builder()
            .status(503)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"code": 14, "message": "lost by the proxy", "details": []}"#))
            .unwrap(),
        None => {
            let mut response = Response::builder().status(status);
            for (name, value) in &reply_headers {
                if name != "content-length" && name != "transfer-encoding" {
                    response = response.header(name, value);
                }
            }
            response.body(Body::from(reply_body)).unwrap()
        }
    }
}

//! Client configuration: the API key, the account, the endpoint and the knobs of the transport
//! (retries, rate limit, concurrency, timeouts).
//!
//! Settings are read the way the official Fireworks SDKs read them (`FIREWORKS_API_KEY`,
//! `FIREWORKS_ACCOUNT_ID`, `FIREWORKS_BASE_URL`), but through a lookup function so that callers
//! and tests decide where values come from. This module does not touch the network: account
//! discovery happens in [`Client::connect`](crate::Client::connect).

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use crate::retry::RetryPolicy;

/// The default endpoint of the Fireworks control plane.
pub const DEFAULT_BASE_URL: &str = "https://api.fireworks.ai";

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "FIREWORKS_API_KEY";
/// Environment variable holding the account id.
pub const ENV_ACCOUNT_ID: &str = "FIREWORKS_ACCOUNT_ID";
/// Environment variable holding the endpoint.
pub const ENV_BASE_URL: &str = "FIREWORKS_BASE_URL";

/// A Fireworks API key.
///
/// The key is a secret: `Debug` and `Display` print `ApiKey(****)`, and the client only ever
/// puts it in the `Authorization` header (marked sensitive), never in URLs, errors or traces.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace (a trailing newline from a file) is dropped.
    pub fn new(key: impl Into<String>) -> ApiKey {
        let key: String = key.into();
        ApiKey(key.trim().to_owned())
    }

    /// The key itself, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(****)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(****)")
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No API key was given.
    #[error("no API key: set `{ENV_API_KEY}`")]
    MissingApiKey,
    /// The API key contains characters that cannot be sent in an HTTP header.
    #[error("the API key contains characters that cannot be sent in an HTTP header")]
    InvalidApiKey,
    /// The account id is not a plain Fireworks id.
    #[error("account id `{0}` is not a plain id (expected e.g. `my-account`, not `accounts/…`)")]
    InvalidAccountId(String),
    /// The endpoint is not a usable URL.
    #[error("base URL `{url}` is invalid: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Plain `http://` to a host that is not loopback, without explicit permission.
    #[error(
        "refusing plain http to non-loopback host `{host}`: use https, or allow insecure http \
         explicitly"
    )]
    InsecureHttp {
        /// The host that would receive the API key in clear text.
        host: String,
    },
    /// A transport setting is out of range.
    #[error("invalid client setting `{setting}`: {reason}")]
    InvalidSetting {
        /// The setting's name.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No account was configured and the key sees none.
    #[error("the API key sees no account; set `{ENV_ACCOUNT_ID}`")]
    NoAccount,
    /// The HTTP client could not be built (TLS roots, ...).
    #[error("failed to build the HTTP client: {0}")]
    Http(String),
}

/// Client-side request-rate limit: a token bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub requests_per_second: f64,
    /// Requests that may go out back to back before the sustained rate applies.
    pub burst: u32,
}

impl Default for RateLimit {
    /// A little under the documented account-wide 6,000 requests per minute (100/s).
    fn default() -> RateLimit {
        RateLimit { requests_per_second: 90.0, burst: 10 }
    }
}

/// Everything [`Client`](crate::Client) needs to talk to one Fireworks account.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) api_key: ApiKey,
    pub(crate) account_id: Option<String>,
    pub(crate) base_url: Url,
    pub(crate) allow_insecure_http: bool,
    pub(crate) retry: RetryPolicy,
    pub(crate) rate_limit: RateLimit,
    pub(crate) max_concurrency: usize,
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
}

impl ClientConfig {
    /// A configuration for the default endpoint with default transport settings; the account is
    /// discovered on [`Client::connect`](crate::Client::connect) unless set.
    pub fn new(api_key: ApiKey) -> ClientConfig {
        ClientConfig {
            api_key,
            account_id: None,
            base_url: Url::parse(DEFAULT_BASE_URL).expect("the default base URL is valid"),
            allow_insecure_http: false,
            retry: RetryPolicy::default(),
            rate_limit: RateLimit::default(),
            max_concurrency: 16,
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// Reads `FIREWORKS_API_KEY`, `FIREWORKS_ACCOUNT_ID` and `FIREWORKS_BASE_URL` through
    /// `lookup` (e.g. `|name| std::env::var(name).ok()`). Empty values count as unset.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientConfig, ConfigError> {
        let read = |name: &str| {
            lookup(name).map(|value| value.trim().to_owned()).filter(|v| !v.is_empty())
        };
        let api_key = read(ENV_API_KEY).ok_or(ConfigError::MissingApiKey)?;
        let mut config = ClientConfig::new(ApiKey::new(api_key));
        if let Some(account_id) = read(ENV_ACCOUNT_ID) {
            config = config.with_account_id(account_id)?;
        }
        if let Some(base_url) = read(ENV_BASE_URL) {
            config = config.with_base_url(&base_url)?;
        }
        Ok(config)
    }

    /// Uses this account instead of discovering one. Accepts `my-acct` or `accounts/my-acct`.
    pub fn with_account_id(
        mut self,
        account_id: impl Into<String>,
    ) -> Result<ClientConfig, ConfigError> {
        let account_id: String = account_id.into();
        let plain = account_id.strip_prefix("accounts/").unwrap_or(&account_id);
        if plain.is_empty() || plain.contains(['/', ':', '?', '#', ' ']) {
            return Err(ConfigError::InvalidAccountId(account_id));
        }
        self.account_id = Some(plain.to_owned());
        Ok(self)
    }

    /// Talks to this endpoint (scheme, host, optional port and path prefix).
    pub fn with_base_url(mut self, base_url: &str) -> Result<ClientConfig, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
            url: base_url.to_owned(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(base_url).map_err(|error| invalid(&error.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be `https` or `http`"));
        }
        if url.host().is_none() {
            return Err(invalid("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("credentials belong in the API key, not the URL"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it must not have a query or fragment"));
        }
        self.base_url = url;
        Ok(self)
    }

    /// Allows plain `http://` to hosts that are not loopback. Off by default: the API key would
    /// travel in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> ClientConfig {
        self.allow_insecure_http = allow;
        self
    }

    /// Replaces the retry policy.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> ClientConfig {
        self.retry = retry;
        self
    }

    /// Replaces the client-side request-rate limit.
    pub fn with_rate_limit(mut self, rate_limit: RateLimit) -> ClientConfig {
        self.rate_limit = rate_limit;
        self
    }

    /// At most this many requests in flight at once (default 16).
    pub fn with_max_concurrency(mut self, max_concurrency: usize) -> ClientConfig {
        self.max_concurrency = max_concurrency;
        self
    }

    /// Time limit of one HTTP attempt, from sending to the last byte of the reply (default 60 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.request_timeout = timeout;
        self
    }

    /// Time limit of establishing one connection (default 10 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.connect_timeout = timeout;
        self
    }

    /// The account id, if given.
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// The endpoint.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Checks the settings that depend on each other; called by the client before use.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.api_key.expose().is_empty() {
            return Err(ConfigError::MissingApiKey);
        }
        if reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.api_key.expose()))
            .is_err()
        {
            return Err(ConfigError::InvalidApiKey);
        }
        check_scheme(&self.base_url, self.allow_insecure_http)?;
        if self.max_concurrency == 0 {
            return Err(ConfigError::InvalidSetting {
                setting: "max_concurrency",
                reason: "must be at least 1".to_owned(),
            });
        }
        let rate = self.rate_limit.requests_per_second;
        if !(rate.is_finite() && rate > 0.0) || self.rate_limit.burst == 0 {
            return Err(ConfigError::InvalidSetting {
                setting: "rate_limit",
                reason: "needs a positive finite rate and a burst of at least 1".to_owned(),
            });
        }
        self.retry.validate()
    }
}

/// Refuses `http://` to a non-loopback host unless `allow_insecure_http`.
pub(crate) fn check_scheme(url: &Url, allow_insecure_http: bool) -> Result<(), ConfigError> {
    if url.scheme() == "https" || allow_insecure_http || is_loopback(url) {
        return Ok(());
    }
    Err(ConfigError::InsecureHttp { host: url.host_str().unwrap_or_default().to_owned() })
}

/// Whether the URL's host is 127.0.0.0/8, `::1` or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    let domain = host.trim_end_matches('.').to_ascii_lowercase();
    domain == "localhost" || domain.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<ClientConfig, ConfigError> {
        let vars: Vec<(String, String)> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        ClientConfig::from_lookup(|name| {
            vars.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone())
        })
    }

    #[test]
    fn reads_the_sdk_variables() {
        let config = config(&[
            (ENV_API_KEY, "fw-secret\n"),
            (ENV_ACCOUNT_ID, "accounts/acme"),
            (ENV_BASE_URL, "http://127.0.0.1:8080"),
        ])
        .unwrap();
        assert_eq!(config.account_id(), Some("acme"));
        assert_eq!(config.base_url().as_str(), "http://127.0.0.1:8080/");
        assert_eq!(config.api_key.expose(), "fw-secret");
        config.validate().unwrap();
    }

    #[test]
    fn defaults_to_the_public_endpoint_and_discovery() {
        let config = config(&[(ENV_API_KEY, "k"), (ENV_ACCOUNT_ID, "  ")]).unwrap();
        assert_eq!(config.base_url().as_str(), "https://api.fireworks.ai/");
        assert_eq!(config.account_id(), None);
    }

    #[test]
    fn missing_key_is_an_error() {
        assert_eq!(
            config(&[(ENV_BASE_URL, DEFAULT_BASE_URL)]).unwrap_err(),
            ConfigError::MissingApiKey
        );
    }

    #[test]
    fn plain_http_only_for_loopback_unless_allowed() {
        for url in
            ["http://127.0.0.1:1", "http://127.8.9.1", "http://[::1]:9", "http://localhost:3"]
        {
            let config = ClientConfig::new(ApiKey::new("k")).with_base_url(url).unwrap();
            assert_eq!(config.validate(), Ok(()), "{url}");
        }
        let remote =
            ClientConfig::new(ApiKey::new("k")).with_base_url("http://api.example.com").unwrap();
        assert_eq!(
            remote.validate(),
            Err(ConfigError::InsecureHttp { host: "api.example.com".to_owned() })
        );
        assert_eq!(remote.allow_insecure_http(true).validate(), Ok(()));
    }

    #[test]
    fn rejects_unusable_urls_and_accounts() {
        for url in ["ftp://x", "not a url", "https://user:pw@host", "https://h/?q=1"] {
            assert!(ClientConfig::new(ApiKey::new("k")).with_base_url(url).is_err(), "{url}");
        }
        for account in ["", "a/b", "accounts/"] {
            assert!(
                ClientConfig::new(ApiKey::new("k")).with_account_id(account).is_err(),
                "{account}"
            );
        }
    }

    #[test]
    fn key_is_never_printed() {
        let key = ApiKey::new("fw-canary-123");
        assert_eq!(format!("{key}"), "ApiKey(****)");
        assert_eq!(format!("{key:?}"), "ApiKey(****)");
        let config = ClientConfig::new(key);
        assert!(!format!("{config:?}").contains("canary"));
    }
}

//! When and how long to wait before trying a request again.
//!
//! Exponential back-off with full jitter, bounded by a number of attempts and a total deadline
//! per call; the server's `Retry-After` / `retry-after-ms` win over the computed delay and its
//! `x-should-retry` over the status-based decision. This module only decides: sending and
//! sleeping happen in `transport`.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::config::ConfigError;

/// How a call is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (default 5).
    pub max_attempts: u32,
    /// Upper bound of the first back-off (default 500 ms); doubles per retry.
    pub initial_backoff: Duration,
    /// Upper bound of any computed back-off (default 8 s).
    pub max_backoff: Duration,
    /// Total time a call may take, retries and waits included (default 120 s).
    pub call_deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            call_deadline: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> RetryPolicy {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_attempts == 0 {
            return Err(ConfigError::InvalidSetting {
                setting: "retry.max_attempts",
                reason: "must be at least 1".to_owned(),
            });
        }
        if self.initial_backoff > self.max_backoff {
            return Err(ConfigError::InvalidSetting {
                setting: "retry.initial_backoff",
                reason: "must not exceed retry.max_backoff".to_owned(),
            });
        }
        Ok(())
    }

    /// The full-jitter back-off before retry number `retry` (1 = the first retry): a uniform
    /// random duration between zero and `min(max_backoff, initial_backoff * 2^(retry-1))`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = self.initial_backoff.saturating_mul(1 << exponent).min(self.max_backoff);
        let ceiling_nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::random_range(0..=ceiling_nanos))
    }
}

/// Statuses worth another attempt: request timeout, rate limit and server trouble.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The server's own retry verdict from `x-should-retry`, if it gave one.
pub(crate) fn should_retry_header(headers: &HeaderMap) -> Option<bool> {
    let value = headers.get("x-should-retry")?.to_str().ok()?.trim();
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// How long the server asked us to wait: `retry-after-ms` (milliseconds), else `Retry-After`
/// as seconds or as an HTTP date (relative to `now`).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header =
        |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    if let Some(millis) = header("retry-after-ms").and_then(|value| value.parse::<f64>().ok())
        && millis.is_finite()
        && millis >= 0.0
    {
        return Some(Duration::from_secs_f64(millis / 1000.0));
    }
    let value = header("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The attempts of one call: counts them and decides on the delay before the next.
#[derive(Debug)]
pub(crate) struct RetryState<'a> {
    policy: &'a RetryPolicy,
    started: Instant,
    attempt: u32,
}

impl<'a> RetryState<'a> {
    pub(crate) fn new(policy: &'a RetryPolicy) -> RetryState<'a> {
        RetryState { policy, started: Instant::now(), attempt: 0 }
    }

    /// Starts the next attempt and returns its number (1 for the first).
    pub(crate) fn begin_attempt(&mut self) -> u32 {
        self.attempt += 1;
        self.attempt
    }

    /// Time left before the call's deadline.
    pub(crate) fn remaining(&self) -> Duration {
        self.policy.call_deadline.saturating_sub(self.started.elapsed())
    }

    /// The delay before the next attempt, or `None` when the call must give up: attempts used
    /// up, or the wait would cross the deadline. `server_delay` is the server's Retry-After.
    pub(crate) fn next_delay(&self, server_delay: Option<Duration>) -> Option<Duration> {
        if self.attempt >= self.policy.max_attempts {
            return None;
        }
        let delay = match server_delay {
            Some(delay) => delay,
            None => self.policy.backoff(self.attempt),
        };
        (delay < self.remaining()).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn backoff_is_jittered_below_an_exponential_ceiling() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(3) <= Duration::from_millis(400));
            assert!(policy.backoff(40) <= Duration::from_millis(700));
        }
        let distinct: std::collections::BTreeSet<_> = (0..50).map(|_| policy.backoff(3)).collect();
        assert!(distinct.len() > 10, "full jitter spreads the delays");
    }

    #[test]
    fn reads_retry_after_in_every_form() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250"), ("retry-after", "9")]), now),
            Some(Duration::from_millis(250))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(7))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(retry_after(&headers(&[("retry-after", &past)]), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")]), now), None);
    }

    #[test]
    fn reads_the_should_retry_verdict() {
        assert_eq!(should_retry_header(&headers(&[("x-should-retry", "false")])), Some(false));
        assert_eq!(should_retry_header(&headers(&[("x-should-retry", "TRUE")])), Some(true));
        assert_eq!(should_retry_header(&headers(&[("x-should-retry", "maybe")])), None);
        assert_eq!(should_retry_header(&HeaderMap::new()), None);
    }

    #[test]
    fn gives_up_after_the_attempts_or_past_the_deadline() {
        let policy = RetryPolicy { max_attempts: 2, ..RetryPolicy::default() };
        let mut state = RetryState::new(&policy);
        state.begin_attempt();
        assert!(state.next_delay(Some(Duration::from_millis(1))).is_some());
        assert_eq!(state.next_delay(Some(Duration::from_secs(500))), None, "past the deadline");
        state.begin_attempt();
        assert_eq!(state.next_delay(None), None, "attempts used up");
    }

    #[test]
    fn only_trouble_statuses_are_retried() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(status));
        }
        for status in [400, 401, 403, 404, 409, 422, 501] {
            assert!(!is_retryable_status(status));
        }
    }
}

//! Client-side limits: a token bucket for the request rate and a semaphore for the number of
//! requests in flight.
//!
//! The bucket hands out reservations: a caller that finds it empty takes a token on credit and
//! sleeps until its token would have been refilled, so waiters leave in arrival order and the
//! rate holds without a background task. Neither limit knows about retries; every attempt
//! passes through both.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RateLimit;

/// A token bucket limiting the request rate of one client (all clones share it).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate_per_second: f64,
    burst: f64,
    // Invariant: `tokens` is at most `burst`; negative values are reservations not yet due.
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> RateLimiter {
        let burst = f64::from(limit.burst.max(1));
        RateLimiter {
            rate_per_second: limit.requests_per_second,
            burst,
            bucket: Mutex::new(Bucket { tokens: burst, refilled_at: Instant::now() }),
        }
    }

    /// Waits until one request may go out.
    pub(crate) async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes one token (possibly on credit) and returns how long to wait before using it.
    fn reserve(&self, now: Instant) -> Duration {
        // A poisoned lock only means another task panicked mid-update of two plain numbers;
        // the numbers are still usable.
        let mut bucket = self.bucket.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let elapsed = now.saturating_duration_since(bucket.refilled_at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate_per_second).min(self.burst);
        bucket.refilled_at = now;
        bucket.tokens -= 1.0;
        if bucket.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-bucket.tokens / self.rate_per_second)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_free_then_the_rate_applies() {
        let limiter = RateLimiter::new(RateLimit { requests_per_second: 10.0, burst: 3 });
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.reserve(start), Duration::ZERO);
        }
        // The next ones are spaced 100 ms apart, in arrival order.
        let waits: Vec<u128> = (0..3).map(|_| limiter.reserve(start).as_millis()).collect();
        assert_eq!(waits, [100, 200, 300]);
        // After a quiet second the bucket is full again (but never above the burst).
        let later = start + Duration::from_secs(10);
        for _ in 0..3 {
            assert_eq!(limiter.reserve(later), Duration::ZERO);
        }
        assert!(limiter.reserve(later) > Duration::ZERO);
    }

    #[tokio::test]
    async fn n_requests_take_at_least_n_over_rate() {
        let limiter = RateLimiter::new(RateLimit { requests_per_second: 200.0, burst: 1 });
        let start = Instant::now();
        for _ in 0..21 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(100));
    }
}

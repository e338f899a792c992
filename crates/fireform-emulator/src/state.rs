//! [`EmulatorState`]: the shared state behind the router (configuration, the world under a lock,
//! runtime trouble and fail rules, blob storage, rate windows) and the knobs tests turn at run
//! time.
//!
//! Request semantics live in `api`; this module only owns the state and its persistence hooks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use fireform_api::Collection;

use crate::catalog;
use crate::clock::now_ms;
use crate::config::{EmulatorConfig, FailRule, Trouble};
use crate::error::EmulatorError;
use crate::lifecycle;
use crate::world::{AuditEntry, Blobs, World};

/// The emulator's shared state; cheap to clone (an `Arc`). Build it with [`EmulatorState::new`]
/// and hand it to [`crate::router`].
#[derive(Clone, Debug)]
pub struct EmulatorState {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: EmulatorConfig,
    world: Mutex<World>,
    trouble: Mutex<Trouble>,
    fail_rules: Mutex<Vec<FailRule>>,
    /// Account -> (window start, requests in the window).
    rate_windows: Mutex<HashMap<String, (u64, u32)>>,
    pub(crate) blobs: Blobs,
    random: AtomicU64,
    /// The generation of the world last written to the data directory.
    // Invariant: only changed while holding `store`, and never decreases. Lock order: `store`
    // before `world`; the world lock is never held while waiting for `store`.
    saved_generation: AtomicU64,
    /// Serialises writes of the world document.
    store: Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking handler cannot leave the world half-changed in a way later requests would trip
    // over more than the panic itself did, so a poisoned lock is still used.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EmulatorState {
    /// Builds the state: loads the world from `config.data_dir` when one was saved there, seeds
    /// the public model catalog, and saves it back.
    pub fn new(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let mut world = match &config.data_dir {
            Some(directory) => World::load(directory)?.unwrap_or_else(World::empty),
            None => World::empty(),
        };
        catalog::seed(&mut world);
        if let Some(directory) = &config.data_dir {
            world.save(directory)?;
            world.dirty = false;
        }
        let seed = now_ms() ^ u64::from(std::process::id()).rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15;
        Ok(Self {
            inner: Arc::new(Inner {
                blobs: Blobs::new(config.data_dir.as_deref()),
                trouble: Mutex::new(config.trouble.clone()),
                fail_rules: Mutex::new(config.fail_rules.clone()),
                rate_windows: Mutex::new(HashMap::new()),
                world: Mutex::new(world),
                random: AtomicU64::new(seed),
                saved_generation: AtomicU64::new(0),
                store: Mutex::new(()),
                config,
            }),
        })
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// Replaces the trouble injected into API requests.
    pub fn set_trouble(&self, trouble: Trouble) {
        *lock(&self.inner.trouble) = trouble;
        lock(&self.inner.rate_windows).clear();
    }

    /// The trouble currently injected.
    pub fn trouble(&self) -> Trouble {
        lock(&self.inner.trouble).clone()
    }

    /// Adds a fail rule; it applies to resources created from now on.
    pub fn add_fail_rule(&self, rule: FailRule) {
        lock(&self.inner.fail_rules).push(rule);
    }

    /// Removes every fail rule.
    pub fn clear_fail_rules(&self) {
        lock(&self.inner.fail_rules).clear();
    }

    /// The fail rules in force.
    pub fn fail_rules(&self) -> Vec<FailRule> {
        lock(&self.inner.fail_rules).clone()
    }

    /// Every mutating request so far, oldest first.
    pub fn audit_log(&self) -> Vec<AuditEntry> {
        lock(&self.inner.world).audit.iter().cloned().collect()
    }

    /// The failure message for a new resource, when a fail rule matches it.
    pub(crate) fn failure_for(&self, collection: Collection, id: &str) -> Option<String> {
        lock(&self.inner.fail_rules)
            .iter()
            .find(|rule| rule.matches(collection, id))
            .map(FailRule::failure_message)
    }

    /// Locks the world after advancing every lifecycle to now.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        let mut world = lock(&self.inner.world);
        let now = now_ms();
        if world.next_due_ms().is_some_and(|due| due <= now) {
            lifecycle::advance(&mut world, now, &self.inner.blobs);
        }
        world
    }

    /// Closes the changes a request made to the world (under its lock): with a data directory,
    /// the generation [`EmulatorState::persist_through`] must reach before the response may leave
    /// (the request's own changes and any it may have observed); in memory, `None`.
    pub(crate) fn commit(&self, world: &mut World) -> Option<u64> {
        if world.dirty {
            world.dirty = false;
            world.generation += 1;
        }
        self.inner.config.data_dir.is_some().then_some(world.generation)
    }

    /// True when the world as of `generation` or later is already on disk (or there is no data
    /// directory), so a response waiting for it may leave without a hop to a blocking thread.
    pub(crate) fn is_persisted(&self, generation: u64) -> bool {
        self.inner.config.data_dir.is_none()
            || self.inner.saved_generation.load(Ordering::Acquire) >= generation
    }

    /// Makes sure the world as of `generation` or later is on disk (group commit): when another
    /// request's write already covered it this returns at once; otherwise it writes the current
    /// world once for every request waiting. Blocks on file I/O: call it off the async workers.
    pub(crate) fn persist_through(&self, generation: u64) -> Result<(), EmulatorError> {
        let Some(directory) = &self.inner.config.data_dir else { return Ok(()) };
        if self.is_persisted(generation) {
            return Ok(());
        }
        let _store = lock(&self.inner.store);
        if self.is_persisted(generation) {
            return Ok(());
        }
        let (document, saved) = {
            let world = lock(&self.inner.world);
            (world.document(directory)?, world.generation)
        };
        crate::world::write_atomically(&directory.join(crate::world::WORLD_FILE), &document)?;
        self.inner.saved_generation.store(saved, Ordering::Release);
        Ok(())
    }

    /// The account an API key belongs to.
    pub(crate) fn account_of_key(&self, key: &str) -> Option<&str> {
        let config = &self.inner.config;
        if constant_time_eq(key, &config.api_key) {
            return Some(&config.account);
        }
        config
            .extra_accounts
            .iter()
            .find(|extra| constant_time_eq(key, &extra.api_key))
            .map(|extra| extra.account.as_str())
    }

    /// Counts a request against the account's rate limit; `Err(retry_after_secs)` when over it.
    pub(crate) fn take_rate(&self, account: &str, trouble: &Trouble) -> Result<(), u64> {
        let Some(limit) = trouble.rate_limit else { return Ok(()) };
        let now = now_ms();
        let window = limit.per_secs.max(1) * 1000;
        let mut windows = lock(&self.inner.rate_windows);
        let (start, count) = windows.entry(account.to_owned()).or_insert((now, 0));
        if now >= *start + window {
            *start = now;
            *count = 0;
        }
        if *count >= limit.requests {
            return Err((*start + window - now).div_ceil(1000).max(1));
        }
        *count += 1;
        Ok(())
    }

    /// A uniformly distributed number in 0..1 (SplitMix64; not for secrets).
    pub(crate) fn random_fraction(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "53 random bits fit an f64 exactly")]
        let fraction = (self.random_u64() >> 11) as f64 / (1u64 << 53) as f64;
        fraction
    }

    /// A random 64-bit number (SplitMix64; ids and tokens only need to be unique).
    pub(crate) fn random_u64(&self) -> u64 {
        let mut z = self.inner.random.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A random lowercase hex string of `length` characters.
    pub(crate) fn random_hex(&self, length: usize) -> String {
        let mut text = String::with_capacity(length + 16);
        while text.len() < length {
            text.push_str(&format!("{:016x}", self.random_u64()));
        }
        text.truncate(length);
        text
    }
}

fn constant_time_eq(left: &str, right: &str) -> bool {
    left.len() == right.len()
        && left.bytes().zip(right.bytes()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

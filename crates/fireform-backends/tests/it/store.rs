//! What every backend promises: one holder of the lock at a time, a serial that only grows, no
//! lost write, no state of another lineage written over, `force-unlock` by id only.

use std::sync::Arc;
use std::time::Duration;

use fireform_backends::Location;
use fireform_core::ResourceAddr;
use fireform_state::{Backend, Error, Holder, LockInfo, ResourceState, StateDocument, StateStore};
use fireform_test_servers::{Postgres, S3Kind, S3Server};

/// A started server and the location of one state on it.
pub(crate) struct Target {
    pub(crate) location: Location,
    pub(crate) env: Vec<(&'static str, String)>,
    _postgres: Option<Postgres>,
    _s3: Option<S3Server>,
}

impl Target {
    pub(crate) fn postgres() -> Target {
        let postgres = Postgres::start();
        let url = format!("{}?name=test", postgres.url());
        Target {
            location: Location::parse(&url, std::path::Path::new("")).unwrap(),
            env: Vec::new(),
            _postgres: Some(postgres),
            _s3: None,
        }
    }

    pub(crate) fn s3(kind: S3Kind) -> Target {
        let server = S3Server::start(kind);
        server.create_bucket("team-state");
        Target {
            location: Location::parse("s3://team-state/prod/state.json", std::path::Path::new(""))
                .unwrap(),
            env: server.aws_env(),
            _postgres: None,
            _s3: Some(server),
        }
    }

    pub(crate) fn all() -> Vec<(&'static str, Target)> {
        vec![
            ("postgres", Target::postgres()),
            ("localstack", Target::s3(S3Kind::LocalStack)),
            ("moto", Target::s3(S3Kind::Moto)),
        ]
    }

    pub(crate) fn backend(&self) -> Box<dyn Backend> {
        let env = self.env.clone();
        self.location
            .open(&move |name| {
                env.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone())
            })
            .unwrap()
    }

    pub(crate) fn store(&self, command: &str, timeout: Duration) -> Result<StateStore, Error> {
        StateStore::open(self.backend(), LockInfo::new(command), timeout)
    }
}

fn addr(name: &str) -> ResourceAddr {
    format!("deployment/{name}").parse().unwrap()
}

fn record(name: &str) -> ResourceState {
    let spec = serde_json::json!({"maxReplicaCount": 1}).as_object().unwrap().clone();
    ResourceState::new(addr(name), name, format!("accounts/a/deployments/{name}"), spec)
}

#[test]
fn sixteen_contenders_take_turns_and_lose_nothing() {
    for (name, target) in Target::all() {
        let target = Arc::new(target);
        let threads: Vec<_> = (0..16)
            .map(|index| {
                let target = Arc::clone(&target);
                std::thread::spawn(move || {
                    let store = target.store("contender", Duration::from_secs(120)).unwrap();
                    let before = store.snapshot().serial();
                    store.update(|state| state.upsert(record(&format!("d{index}")))).unwrap();
                    assert!(store.snapshot().serial() > before);
                    store.close().unwrap();
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let state = target.backend().load().unwrap().unwrap();
        assert_eq!(state.len(), 16, "{name}: every contender's change is there");
        assert_eq!(state.serial(), 16, "{name}: one save per change, none lost or repeated");
        // Nobody holds the lock any more.
        target.store("after", Duration::ZERO).unwrap().close().unwrap();
    }
}

#[test]
fn a_held_lock_names_its_holder_and_only_its_id_removes_it() {
    for (name, target) in Target::all() {
        let holder = target.store("fireform apply", Duration::ZERO).unwrap();
        let held_id = holder.lock_info().id.clone();
        let refused = target.store("fireform plan", Duration::ZERO).unwrap_err();
        let Error::Locked { holder: info, liveness, .. } = &refused else {
            panic!("{name}: {refused}")
        };
        assert_eq!(info.id, held_id, "{name}");
        assert_eq!(info.command, "fireform apply", "{name}");
        assert_eq!(*liveness, Holder::Running, "{name}: {refused}");
        // Waiting gives up after the timeout, still naming the holder.
        let waited = target.store("fireform plan", Duration::from_millis(300)).unwrap_err();
        assert!(waited.to_string().contains("timed out after"), "{name}: {waited}");

        let backend = target.backend();
        let wrong = backend.force_unlock("not-the-id").unwrap_err();
        assert!(matches!(wrong, Error::LockIdMismatch { .. }), "{name}: {wrong}");
        let removed = backend.force_unlock(&held_id).unwrap();
        assert_eq!(removed.id, held_id, "{name}");
        // The next run takes the lock; the one that lost it cannot release another's lock.
        let next = target.store("fireform apply", Duration::ZERO).unwrap();
        let lost = holder.close();
        assert!(lost.is_err(), "{name}: releasing a force-unlocked lock must say it was lost");
        next.close().unwrap();
        target.store("fireform apply", Duration::ZERO).unwrap().close().unwrap();
    }
}

#[test]
fn a_write_that_lost_the_race_or_has_another_lineage_changes_nothing() {
    for (name, target) in Target::all() {
        let store = target.store("first", Duration::ZERO).unwrap();
        store.update(|state| state.upsert(record("kept"))).unwrap();
        let lineage = store.snapshot().lineage().to_owned();
        store.close().unwrap();

        // A backend that read serial 1 while another run went on to serial 2.
        let stale = target.backend();
        let mut document = stale.load().unwrap().unwrap();
        let newer = target.store("second", Duration::ZERO).unwrap();
        newer.update(|state| state.upsert(record("newer"))).unwrap();
        newer.close().unwrap();
        document.bump_serial();
        let lost = stale.save(&document).unwrap_err();
        assert!(matches!(lost, Error::SerialConflict { .. }), "{name}: {lost}");

        // A document of another lineage is never written over this one.
        let other = target.backend();
        other.load().unwrap();
        let mut foreign = StateDocument::new();
        for _ in 0..5 {
            foreign.bump_serial();
        }
        let refused = other.save(&foreign).unwrap_err();
        assert!(matches!(refused, Error::LineageConflict { .. }), "{name}: {refused}");

        let state = target.backend().load().unwrap().unwrap();
        assert_eq!(state.lineage(), lineage, "{name}");
        assert_eq!(state.serial(), 2, "{name}");
        assert!(state.resource(&addr("newer")).is_some(), "{name}");
    }
}

#[test]
fn a_store_that_ignores_conditions_is_refused() {
    // moto honours conditions and LocalStack too; a proxy that strips them plays the store that
    // silently ignores them.
    let server = S3Server::start(S3Kind::Moto);
    server.create_bucket("team-state");
    let proxy =
        crate::proxy::Proxy::start(&server.endpoint(), crate::proxy::Fault::StripConditions);
    let mut env = server.aws_env();
    for (key, value) in &mut env {
        if *key == "AWS_ENDPOINT_URL_S3" {
            *value = proxy.endpoint();
        }
    }
    let location = Location::parse("s3://team-state/k", std::path::Path::new("")).unwrap();
    let backend = location
        .open(&move |name| env.iter().find(|(key, _)| *key == name).map(|(_, v)| v.clone()))
        .unwrap();
    let error = StateStore::open(backend, LockInfo::new("t"), Duration::ZERO).unwrap_err();
    assert!(matches!(error, Error::Unsafe { .. }), "{error}");
    assert!(error.to_string().contains("does not honour conditional writes"), "{error}");
}

/// A backend of `server` reached through `proxy`.
fn through(server: &S3Server, proxy: &crate::proxy::Proxy) -> Box<dyn Backend> {
    let mut env = server.aws_env();
    for (key, value) in &mut env {
        if *key == "AWS_ENDPOINT_URL_S3" {
            *value = proxy.endpoint();
        }
    }
    Location::parse("s3://team-state/prod/state.json", std::path::Path::new(""))
        .unwrap()
        .open(&move |name| env.iter().find(|(key, _)| *key == name).map(|(_, v)| v.clone()))
        .unwrap()
}

#[test]
fn a_lost_reply_to_the_lock_or_a_save_leaks_no_lock_and_loses_no_write() {
    use crate::proxy::{Fault, Proxy};
    for kind in S3Kind::ALL {
        let name = kind.name();
        let server = S3Server::start(kind);
        server.create_bucket("team-state");

        // The lock PUT lands, its reply is lost: the retry finds this run's own lock.
        let proxy = Proxy::start(
            &server.endpoint(),
            Fault::DropReply { method: "PUT", suffix: "state.json.lock".to_owned(), times: 1 },
        );
        let store = StateStore::open(through(&server, &proxy), LockInfo::new("t"), Duration::ZERO)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(
            proxy.dropped.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "{name}: one lost, one passed"
        );
        store.update(|state| state.upsert(record("a"))).unwrap();
        store.close().unwrap_or_else(|error| panic!("{name}: {error}"));
        let lock = server.request(
            "GET",
            "/team-state/prod/state.json.lock",
            &[("authorization", LOOKING_SIGNED)],
            &[],
        );
        assert_eq!(lock.status, 404, "{name}: the lock was released, not leaked");

        // A state PUT lands, its reply is lost: the retry meets 412, reads the object back and
        // finds its own write.
        let proxy = Proxy::start(
            &server.endpoint(),
            Fault::DropReply { method: "PUT", suffix: "prod/state.json".to_owned(), times: 1 },
        );
        let store = StateStore::open(through(&server, &proxy), LockInfo::new("t"), Duration::ZERO)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        store
            .update(|state| state.upsert(record("b")))
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        store
            .update(|state| state.upsert(record("c")))
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        store.close().unwrap_or_else(|error| panic!("{name}: {error}"));
        let direct = Target {
            location: Location::parse("s3://team-state/prod/state.json", std::path::Path::new(""))
                .unwrap(),
            env: server.aws_env(),
            _postgres: None,
            _s3: None,
        };
        let state = direct.backend().load().unwrap().unwrap();
        assert_eq!(state.serial(), 3, "{name}");
        for kept in ["a", "b", "c"] {
            assert!(state.resource(&addr(kept)).is_some(), "{name}: `{kept}` was lost");
        }
        let lock = server.request(
            "GET",
            "/team-state/prod/state.json.lock",
            &[("authorization", LOOKING_SIGNED)],
            &[],
        );
        assert_eq!(lock.status, 404, "{name}");
    }
}

/// An `Authorization` header moto accepts for a read (it does not check signatures).
const LOOKING_SIGNED: &str = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, \
                              SignedHeaders=host, Signature=0";

#[test]
fn postgres_speaks_tls_when_sslmode_asks_and_falls_back_only_when_it_may() {
    let postgres = Postgres::start();
    // The throwaway cluster has no certificate: `require` must fail rather than talk in clear,
    // and the default `prefer` goes on without TLS.
    let required = format!("{}?sslmode=require&name=tls", postgres.url());
    let backend =
        Location::parse(&required, std::path::Path::new("")).unwrap().open(&|_| None).unwrap();
    let error = StateStore::open(backend, LockInfo::new("t"), Duration::ZERO).unwrap_err();
    let text = format!(
        "{error}: {}",
        std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default()
    );
    assert!(text.to_lowercase().contains("tls") || text.to_lowercase().contains("ssl"), "{text}");
    let preferred = format!("{}?name=tls", postgres.url());
    let backend =
        Location::parse(&preferred, std::path::Path::new("")).unwrap().open(&|_| None).unwrap();
    StateStore::open(backend, LockInfo::new("t"), Duration::ZERO).unwrap().close().unwrap();
}

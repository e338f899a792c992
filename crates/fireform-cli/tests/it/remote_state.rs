//! Team state end to end (issue 12): the real binary against its emulator, with state in a
//! throwaway PostgreSQL cluster, LocalStack and moto, from several working directories at once
//! as CI runners would, killed while holding the lock.

use std::path::Path;
use std::time::Duration;

use fireform_emulator::EmulatorConfig;
use fireform_test_servers::{Postgres, S3Kind, S3Server};
use serde_json::json;

use crate::engine_support::{Outcome, TestContext, creations, poll_until, small_timings};

/// A state location on a started server, and the environment a run needs to reach it.
struct Remote {
    name: &'static str,
    location: String,
    env: Vec<(&'static str, String)>,
    _postgres: Option<Postgres>,
    _s3: Option<S3Server>,
}

impl Remote {
    fn all() -> Vec<Remote> {
        let postgres = Postgres::start();
        let mut remotes = vec![Remote {
            name: "postgres",
            location: format!("{}?name=quickstart", postgres.url()),
            env: Vec::new(),
            _postgres: Some(postgres),
            _s3: None,
        }];
        for kind in S3Kind::ALL {
            let server = S3Server::start(kind);
            server.create_bucket("team-state");
            remotes.push(Remote {
                name: kind.name(),
                location: "s3://team-state/quickstart/state.json".to_owned(),
                env: server.aws_env(),
                _postgres: None,
                _s3: Some(server),
            });
        }
        remotes
    }

    /// Runs `fireform args… --state LOCATION` in `dir`.
    fn run(&self, context: &TestContext, dir: &Path, args: &[&str]) -> Outcome {
        Outcome::from_output(&self.command(context, dir, args).output().unwrap())
    }

    fn command(&self, context: &TestContext, dir: &Path, args: &[&str]) -> std::process::Command {
        let mut command = context.command(args);
        command.current_dir(dir).arg("--state").arg(&self.location);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }
}

fn checkout(context: &TestContext) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("fireform-e2e-runner-").tempdir().unwrap();
    for file in ["quickstart.yaml", "data/support-chats.jsonl"] {
        let from = context.dir().join(file);
        if from.exists() {
            let to = dir.path().join(file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(from, to).unwrap();
        }
    }
    dir
}

#[test]
fn two_runners_share_the_state_and_a_drift_check_sees_a_change_made_behind_their_back() {
    for remote in Remote::all() {
        let context = TestContext::new();
        context.copy_from_repo("examples/quickstart");
        let first = checkout(&context);
        let second = checkout(&context);
        let name = remote.name;

        let apply = remote.run(&context, first.path(), &["apply", "--auto-approve"]);
        assert_eq!(apply.code, Some(0), "{name}: {}", apply.render());
        assert!(
            apply.stderr.contains("Apply complete! Resources: 4 added"),
            "{name}: {}",
            apply.render()
        );
        // Nothing was written beside the manifests: the state is remote.
        assert!(!first.path().join(".fireform/state.json").exists(), "{name}");

        let drift = remote.run(&context, second.path(), &["plan", "--detailed-exitcode"]);
        assert_eq!(
            drift.code,
            Some(0),
            "{name}: the second runner sees the same state\n{}",
            drift.render()
        );

        let (status, body) = context.call(
            "PATCH",
            "/deployments/shared-base?updateMask=maxReplicaCount",
            Some(json!({"maxReplicaCount": 2})),
        );
        assert_eq!(status, 200, "{body}");
        let drift = remote.run(&context, second.path(), &["plan", "--detailed-exitcode"]);
        assert_eq!(drift.code, Some(2), "{name}: {}", drift.render());
        assert!(drift.stdout.contains("maxReplicaCount"), "{name}: {}", drift.render());
    }
}

#[test]
fn sixteen_concurrent_applies_take_turns_and_create_each_object_once() {
    for remote in Remote::all() {
        let context = TestContext::new();
        context.copy_from_repo("examples/quickstart");
        let name = remote.name;
        let runners: Vec<_> = (0..16)
            .map(|_| {
                let dir = checkout(&context);
                let child = remote
                    .command(
                        &context,
                        dir.path(),
                        &["apply", "--auto-approve", "--lock-timeout", "300s"],
                    )
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                (dir, child)
            })
            .collect();
        for (_dir, child) in runners {
            let output = child.wait_with_output().unwrap();
            if output.status.code() != Some(0)
                && let Some(server) = &remote._s3
            {
                // The store's side of it, for whoever reads the failure.
                let log = server.log();
                let tail: Vec<&str> = log.lines().rev().take(60).collect();
                eprintln!(
                    "store log, last lines:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            assert_eq!(
                output.status.code(),
                Some(0),
                "{name}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        for (resource, count) in creations(&context) {
            assert_eq!(count, 1, "{name}: {resource} was created {count} times");
        }
        let pulled = remote.run(&context, context.dir(), &["state", "pull"]);
        assert_eq!(pulled.code, Some(0), "{name}: {}", pulled.render());
        let state: serde_json::Value = serde_json::from_str(&pulled.stdout).unwrap();
        assert_eq!(state["resources"].as_object().unwrap().len(), 4, "{name}");
        let check = remote.run(&context, context.dir(), &["plan", "--detailed-exitcode"]);
        assert_eq!(check.code, Some(0), "{name}: {}", check.render());
    }
}

#[test]
fn a_run_killed_while_holding_the_lock_is_named_and_only_its_id_unlocks() {
    for remote in Remote::all() {
        let context = TestContext::with_config(EmulatorConfig {
            timings: fireform_emulator::Timings {
                deployment: Duration::from_secs(60),
                ..small_timings()
            },
            ..EmulatorConfig::default()
        });
        context.write(
            "main.yaml",
            "kind: Deployment\nname: slow\nspec:\n  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct\n  acceleratorType: NVIDIA_H100_80GB\n",
        );
        let name = remote.name;
        let mut holder = remote
            .command(&context, context.dir(), &["apply", "--auto-approve"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        poll_until(Duration::from_secs(30), "the apply to create the deployment", || {
            context.audit().iter().any(|entry| entry.method == "POST")
        });
        // A pull request's plan does not wait for the lock an apply holds.
        let plan = remote.run(&context, context.dir(), &["plan", "--lock=false"]);
        assert!(matches!(plan.code, Some(0 | 2)), "{name}: {}", plan.render());
        assert!(!plan.stderr.contains("locked"), "{name}: {}", plan.render());
        let locked = remote.run(&context, context.dir(), &["plan"]);
        assert_eq!(locked.code, Some(1), "{name}: {}", locked.render());
        holder.kill().unwrap();
        holder.wait().unwrap();

        let next = remote.run(&context, context.dir(), &["apply", "--auto-approve"]);
        assert_eq!(next.code, Some(1), "{name}: {}", next.render());
        assert!(next.stderr.contains("is locked by another run"), "{name}: {}", next.render());
        assert!(
            next.stderr.contains("died"),
            "{name}: the dead holder is named\n{}",
            next.render()
        );
        let id = next
            .stderr
            .split("lock id `")
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .unwrap_or_else(|| panic!("{name}: no lock id in {}", next.render()))
            .to_owned();

        let wrong = remote.run(
            &context,
            context.dir(),
            &["force-unlock", "00000000-0000-4000-8000-000000000000"],
        );
        assert_eq!(wrong.code, Some(1), "{name}: {}", wrong.render());
        let unlocked = remote.run(&context, context.dir(), &["force-unlock", &id]);
        assert_eq!(unlocked.code, Some(0), "{name}: {}", unlocked.render());

        // The rerun's plan finds the killed run's deployment as its own (recorded, or adopted
        // through the intent recorded before the create): never created twice or refused.
        let plan = remote.run(&context, context.dir(), &["plan"]);
        assert_eq!(plan.code, Some(0), "{name}: {}", plan.render());
        assert!(!plan.stdout.contains("+ deployment/slow"), "{name}: {}", plan.render());
        for (resource, count) in creations(&context) {
            assert_eq!(count, 1, "{name}: {resource} was created {count} times");
        }
    }
}

#[test]
fn state_migrates_between_a_file_postgres_and_s3_and_never_over_another_lineage() {
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    context.apply_converges();
    let postgres = Postgres::start();
    let moto = S3Server::start(S3Kind::Moto);
    moto.create_bucket("team-state");
    let pg = format!("{}?name=migrated", postgres.url());
    let s3 = "s3://team-state/migrated.json";
    let with_s3 = |args: &[&str]| -> Outcome {
        let mut command = context.command(args);
        for (key, value) in moto.aws_env() {
            command.env(key, value);
        }
        Outcome::from_output(&command.output().unwrap())
    };

    // File -> PostgreSQL -> S3 -> a new file: each one plans no changes.
    let moved = context.fireform(&["state", "migrate", "--to", &pg]);
    moved.expect(0);
    context.fireform(&["plan", "--detailed-exitcode", "--state", &pg]).expect(0);
    // `FIREFORM_STATE` is read (an empty state there knows none of the account's objects).
    let from_env = context
        .command(&["plan", "--detailed-exitcode"])
        .env("FIREFORM_STATE", format!("{}?name=empty", postgres.url()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&from_env.stderr);
    assert_eq!(from_env.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("already exists in the account"), "{stderr}");
    with_s3(&["state", "migrate", "--state", &pg, "--to", s3]).expect(0);
    with_s3(&["plan", "--detailed-exitcode", "--state", s3]).expect(0);
    let back = context.dir().join("back.json");
    let back = back.to_str().unwrap();
    with_s3(&["state", "migrate", "--state", s3, "--to", back]).expect(0);
    context.fireform(&["plan", "--detailed-exitcode", "--state", back]).expect(0);

    // Another project's state is never migrated over this one.
    let other = tempfile::Builder::new().prefix("fireform-e2e-other-").tempdir().unwrap();
    std::fs::write(
        other.path().join("main.yaml"),
        "kind: Dataset\nname: rows\nspec:\n  format: CHAT\n  rows:\n    - {messages: [{role: user, content: hi}]}\n",
    )
    .unwrap();
    let output =
        context.command(&["apply", "--auto-approve"]).current_dir(other.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let refused = context
        .command(&["state", "migrate", "--to", &pg])
        .current_dir(other.path())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("they are different states"));
    context.fireform(&["plan", "--detailed-exitcode", "--state", &pg]).expect(0);

    // push: an older document only with --force, another lineage never.
    let pulled = context.fireform(&["state", "pull"]);
    pulled.expect(0);
    let old = context.dir().join("old.json");
    std::fs::write(&old, &pulled.stdout).unwrap();
    context.fireform(&["state", "push", old.to_str().unwrap()]).expect(0);
    let newer = context.fireform(&["state", "pull"]);
    assert!(newer.stdout != pulled.stdout);
    let stale = context.fireform(&["state", "push", old.to_str().unwrap()]);
    stale.expect(1);
    assert!(stale.stderr.contains("would undo"), "{}", stale.render());
    context.fireform(&["state", "push", "--force", old.to_str().unwrap()]).expect(0);
    let foreign = other.path().join(".fireform/state.json");
    let pushed = context.fireform(&["state", "push", foreign.to_str().unwrap()]);
    pushed.expect(1);
    assert!(pushed.stderr.contains("they are different states"), "{}", pushed.render());
    context.expect_no_changes();
}

#[test]
fn store_credentials_appear_nowhere() {
    let context = TestContext::new();
    context.copy_from_repo("examples/quickstart");
    let moto = S3Server::start(S3Kind::Moto);
    moto.create_bucket("team-state");
    let canary = "canary-secret-0123456789abcdef";
    let run = |args: &[&str]| {
        let mut command = context.command(args);
        for (key, value) in moto.aws_env() {
            command.env(key, value);
        }
        // moto does not check secrets: a canary goes through and must show up nowhere.
        command.env("AWS_SECRET_ACCESS_KEY", canary).env("RUST_LOG", "debug");
        command.arg("--state").arg("s3://team-state/canary.json");
        let output = command.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!text.contains(canary), "the secret was printed:\n{text}");
        (output.status.code(), text)
    };
    assert_eq!(run(&["apply", "--auto-approve"]).0, Some(0));
    let (code, state) = run(&["state", "pull"]);
    assert_eq!(code, Some(0));
    assert!(state.contains("\"resources\""), "{state}");
}

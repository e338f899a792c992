//! A property of issue 10 ("never delete, change or take what it was not told to"): whatever a
//! user does to the state and the manifests (`state mv`, `state rm`, `import`, renaming a
//! resource with or without a `moved` document, `apply`), no apply deletes an object the
//! manifests declare at the time of that apply. Commands may fail; none may panic.
//!
//! The project is small and has no jobs, so that a case runs in seconds: two datasets of inline
//! rows (content-addressed), a deployment, and a LoRA addon serving a model that already exists.
//! What the manifests declare is known without asking fireform: a deployment's remote name is
//! its manifest name, a dataset's comes from its content, and an addon is the load of its model
//! on its deployment, whatever id the server gave it.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::engine_support::{LOCAL_ACCOUNT, Outcome, TestContext};
use crate::safety::existing_lora_model;

/// The resources of the project, by slot.
const KINDS: [&str; 4] = ["dataset", "dataset", "deployment", "lora-addon"];
const DEPLOYMENT: usize = 2;
const ADDON: usize = 3;

/// The names each slot may take; `state mv` picks among the names of the same kind.
const NAMES: [[&str; 3]; 4] = [
    ["chats", "chats-v2", "train"],
    ["evals", "evals-v2", "holdout"],
    ["base", "base-v2", "shared"],
    ["support", "support-v2", "helper"],
];

/// The rows of the two datasets: different, so their content ids differ.
const ROWS: [&str; 2] = [
    "    - {messages: [{role: user, content: hi}, {role: assistant, content: hello}]}\n",
    "    - {messages: [{role: user, content: bye}, {role: assistant, content: goodbye}]}\n",
];

#[derive(Debug, Clone)]
enum Op {
    /// `state mv` of the `from`-th recorded address to the `to`-th name of its kind.
    StateMv {
        from: usize,
        to: usize,
    },
    /// `state rm` of the `addr`-th recorded address.
    StateRm {
        addr: usize,
    },
    /// `import` of the declared resource in `slot` with its id in the account.
    Import {
        slot: usize,
    },
    /// Renames the resource in `slot` in the manifests, with a `moved` document when `moved`
    /// (never for a deployment, whose id is its name).
    Rename {
        slot: usize,
        name: usize,
        moved: bool,
    },
    Apply,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..8usize, 0..6usize).prop_map(|(from, to)| Op::StateMv { from, to }),
        (0..8usize).prop_map(|addr| Op::StateRm { addr }),
        (0..4usize).prop_map(|slot| Op::Import { slot }),
        (0..4usize, 0..3usize, any::<bool>()).prop_map(|(slot, name, moved)| Op::Rename {
            slot,
            name,
            moved
        }),
        Just(Op::Apply),
    ]
}

/// The manifests as the user has them now.
struct Project {
    names: [String; 4],
    moved: Vec<(String, String)>,
    model: String,
}

impl Project {
    fn addr(&self, slot: usize) -> String {
        format!("{}/{}", KINDS[slot], self.names[slot])
    }

    fn text(&self) -> String {
        let [first, second, deployment, addon] = &self.names;
        let mut text = format!(
            "\
kind: Dataset
name: {first}
spec:
  rows:
{}---
kind: Dataset
name: {second}
spec:
  rows:
{}---
kind: Deployment
name: {deployment}
spec:
  baseModel: accounts/fireworks/models/llama-v3p1-8b-instruct
  acceleratorType: NVIDIA_H100_80GB
  enableAddons: true
---
kind: LoraAddon
name: {addon}
spec:
  model: {}
  deployment: ${{deployment/{deployment}}}
",
            ROWS[0], ROWS[1], self.model
        );
        for (from, to) in &self.moved {
            text.push_str(&format!("---\nmoved:\n  from: {from}\n  to: {to}\n"));
        }
        text
    }

    fn deployment_name(&self) -> String {
        format!("accounts/{LOCAL_ACCOUNT}/deployments/{}", self.names[DEPLOYMENT])
    }
}

/// The full name a mutating request targets, from its path.
fn target(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let path = path.split(':').next().unwrap_or_default();
    path.trim_start_matches("/v1/").to_owned()
}

/// Every load in the account: full name → (model, deployment).
fn loads(context: &TestContext) -> BTreeMap<String, (String, String)> {
    context
        .list("deployedModels")
        .iter()
        .map(|load| {
            let field = |key: &str| load[key].as_str().unwrap_or_default().to_owned();
            (field("name"), (field("model"), field("deployment")))
        })
        .collect()
}

#[track_caller]
fn check_no_panic(what: &str, outcome: &Outcome) {
    assert!(
        outcome.code.is_some() && outcome.code != Some(101),
        "{what} crashed:\n{}",
        outcome.render()
    );
}

/// Runs `ops` on a fresh project and account and checks the invariant after every step.
fn run_case(ops: &[Op]) {
    let context = TestContext::new();
    let model = existing_lora_model(&context, "prop-ft");
    let mut project = Project {
        names: NAMES.map(|names| names[0].to_owned()),
        moved: Vec::new(),
        model: model.clone(),
    };
    context.write("main.yaml", &project.text());
    context.apply().expect(0);
    // Content-addressed: the datasets' remote names never change with their manifest names.
    let datasets: Vec<String> = (0..2)
        .map(|slot| {
            context.state()["resources"][project.addr(slot)]["remoteName"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

    let mut log = Vec::new();
    for op in ops {
        log.push(format!("{op:?}"));
        let before = context.audit().len();
        let loads_before = loads(&context);
        // What the manifests declare now.
        let mut declared: BTreeSet<String> = datasets.iter().cloned().collect();
        declared.insert(project.deployment_name());
        let declared_load = (model.clone(), project.deployment_name());

        let outcome = match op {
            Op::StateMv { from, to } => {
                let addrs = context.state_addrs();
                if addrs.is_empty() {
                    continue;
                }
                let from = &addrs[from % addrs.len()];
                let kind = from.split('/').next().unwrap();
                let names: Vec<&str> = (0..4)
                    .filter(|slot| KINDS[*slot] == kind)
                    .flat_map(|slot| NAMES[slot])
                    .collect();
                let to = format!("{kind}/{}", names[to % names.len()]);
                log.push(format!("  state mv {from} {to}"));
                context.fireform(&["state", "mv", from, &to])
            }
            Op::StateRm { addr } => {
                let addrs = context.state_addrs();
                if addrs.is_empty() {
                    continue;
                }
                let addr = &addrs[addr % addrs.len()];
                log.push(format!("  state rm {addr}"));
                context.fireform(&["state", "rm", addr])
            }
            Op::Import { slot } => {
                let id = match *slot {
                    DEPLOYMENT => project.names[DEPLOYMENT].clone(),
                    ADDON => loads_before
                        .iter()
                        .find(|(_, binding)| **binding == declared_load)
                        .map_or("missing-load", |(name, _)| name.rsplit('/').next().unwrap())
                        .to_owned(),
                    dataset => datasets[dataset].rsplit('/').next().unwrap().to_owned(),
                };
                let addr = project.addr(*slot);
                log.push(format!("  import {addr} {id}"));
                context.fireform(&["import", &addr, &id])
            }
            Op::Rename { slot, name, moved } => {
                let old = project.addr(*slot);
                let new_name = NAMES[*slot][*name].to_owned();
                if new_name == project.names[*slot]
                    || (KINDS[*slot] == "dataset" && project.names.contains(&new_name))
                {
                    continue;
                }
                project.names[*slot] = new_name;
                if *moved && *slot != DEPLOYMENT {
                    project.moved.push((old.clone(), project.addr(*slot)));
                }
                log.push(format!("  rename {old} -> {}", project.addr(*slot)));
                context.write("main.yaml", &project.text());
                continue;
            }
            Op::Apply => {
                let outcome = context.apply();
                // The user drops the `moved` documents once they are applied.
                project.moved.clear();
                context.write("main.yaml", &project.text());
                outcome
            }
        };
        check_no_panic(log.last().unwrap(), &outcome);
        log.push(format!("  exit {:?}", outcome.code));

        for entry in &context.audit()[before..] {
            if entry.method != "DELETE" {
                continue;
            }
            let deleted = target(&entry.path);
            let loaded = loads_before.get(&deleted);
            assert!(
                !declared.contains(&deleted) && loaded != Some(&declared_load),
                "DELETE of `{deleted}` ({loaded:?}), which the manifests declare:\n{}\n\
                 manifests:\n{}\noutput:\n{}",
                log.join("\n"),
                project.text(),
                outcome.render()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 16,
        max_shrink_iters: 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_apply_deletes_what_the_manifests_declare(ops in proptest::collection::vec(op(), 1..=6)) {
        run_case(&ops);
    }
}

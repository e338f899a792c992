//! Planning: desired (manifest), recorded (state) and observed (account) in, a [`Plan`] out.
//!
//! Resources are planned in dependency order, so that when a resource is planned everything it
//! references already has its outcome: a reference to something being created or replaced is
//! known after apply where its value cannot be derived from the manifest, and a replacement of
//! something a resource references through an immutable field replaces that resource too.
//! Reading the account is [`crate::refresh`]'s job; this module performs no I/O besides reading
//! dataset files.

use std::collections::{BTreeMap, BTreeSet};

use fireform_core::{Reference, ResourceAddr, ResourceKind};
use fireform_graph::Graph;
use fireform_manifest::schema::kind_schema;
use fireform_manifest::{Manifest, Resource};
use fireform_state::{ResourceState, StateDocument};
use serde_json::Value as Json;

use crate::diff;
use crate::kinds::{self, Desired, Ownership, Readiness, Resolved};
use crate::plan::{
    Action, FieldChange, PLAN_FORMAT_VERSION, Plan, PlanMode, Planned, PlannedTimeouts, Prior,
    ResourceChange, StateRef,
};
use crate::provider::Object;
use crate::refresh::Observed;

/// Choices that shape a plan (the `plan`/`apply`/`destroy` flags).
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Only these resources and what they depend on (`--target`); empty means all.
    pub targets: Vec<ResourceAddr>,
    /// Leave these and what depends on them alone (`--exclude`).
    pub excludes: Vec<ResourceAddr>,
    /// Replace these even if nothing changed (`--replace`).
    pub replace: Vec<ResourceAddr>,
    /// Take the objects these resources describe even though fireform did not create them
    /// (`fireform import`), as `lifecycle.adopt` does.
    pub adopt: Vec<ResourceAddr>,
}

/// Everything planning needs.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// The account.
    pub account: &'a str,
    /// The validated manifests.
    pub manifest: &'a Manifest,
    /// Their dependency graph.
    pub graph: &'a Graph,
    /// The recorded state.
    pub state: &'a StateDocument,
    /// The account as observed by a refresh.
    pub observed: &'a Observed,
}

/// Why no plan could be made. Every problem is listed, not just the first.
#[derive(Debug, thiserror::Error)]
#[error("{}", problems.iter().map(|(addr, message)| format!("{addr}: {message}")).collect::<Vec<_>>().join("\n"))]
pub struct PlanError {
    /// Each problem, with the resource it concerns.
    pub problems: Vec<(ResourceAddr, String)>,
}

/// What planning found out about one manifest resource, for the resources planned after it.
struct Outcome {
    desired: Desired,
    action: Action,
    /// The object as it is now (observed or, without a refresh, recorded).
    current: Option<Object>,
}

/// Plans making the account match the manifests.
pub fn plan(input: PlanInput<'_>, options: &PlanOptions) -> Result<Plan, PlanError> {
    let moves = pending_moves(input.manifest, input.state)?;
    if moves.is_empty() {
        return plan_moved(input, options);
    }
    // Plan against the state as it is once the declared moves are made; apply makes them.
    let mut state = input.state.clone();
    for (from, to) in &moves {
        if let Some(recorded) = state.remove(from) {
            state.upsert(recorded.readdressed(to.clone()));
        }
    }
    let mut plan = plan_moved(PlanInput { state: &state, ..input }, options)?;
    for change in &mut plan.changes {
        if let Some((from, _)) = moves.iter().find(|(_, to)| *to == change.addr) {
            change.moved_from = Some(from.clone());
        }
    }
    Ok(plan)
}

/// The declared moves (`moved` documents, chains followed) that state still has to make: the
/// recorded address, and the address it moves to.
fn pending_moves(
    manifest: &Manifest,
    state: &StateDocument,
) -> Result<Vec<(ResourceAddr, ResourceAddr)>, PlanError> {
    let next: BTreeMap<&ResourceAddr, &ResourceAddr> =
        manifest.moved.iter().map(|moved| (&moved.from, &moved.to)).collect();
    let mut moves = Vec::new();
    let mut problems = Vec::new();
    for recorded in state.resources() {
        let from = recorded.addr();
        let mut to = from;
        // Validation refuses cycles; the bound keeps a bad input from looping.
        for _ in 0..=next.len() {
            match next.get(to) {
                Some(target) => to = target,
                None => break,
            }
        }
        if to == from {
            continue;
        }
        if state.resource(to).is_some() {
            problems.push((
                to.clone(),
                format!(
                    "a `moved` document moves `{from}` here, but both are recorded in state; \
                     remove one with `fireform state rm`"
                ),
            ));
            continue;
        }
        if let Some((other, _)) = moves.iter().find(|(_, target)| target == to) {
            problems.push((
                to.clone(),
                format!(
                    "`moved` documents move both `{other}` and `{from}` here, and both are \
                     recorded in state; one object has one address: remove one with \
                     `fireform state rm`"
                ),
            ));
            continue;
        }
        moves.push((from.clone(), to.clone()));
    }
    if problems.is_empty() { Ok(moves) } else { Err(PlanError { problems }) }
}

fn plan_moved(input: PlanInput<'_>, options: &PlanOptions) -> Result<Plan, PlanError> {
    let selected = selection(input.graph, options);
    let catalog = input.observed.catalog();
    let mut outcomes: BTreeMap<ResourceAddr, Outcome> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut problems = Vec::new();

    for addr in input.graph.order() {
        let Some(resource) = input.manifest.get(addr) else { continue };
        let resolve =
            |reference: &Reference| resolve(input.account, &outcomes, input.state, reference);
        let desired = match kinds::desired(
            resource,
            input.account,
            &input.manifest.project_dir,
            &catalog,
            &resolve,
        ) {
            Ok(desired) => desired,
            Err(error) => {
                problems.push((addr.clone(), error.to_string()));
                continue;
            }
        };
        let recorded = input.state.resource(addr);
        let current = find_current(input, resource, &desired, recorded);
        let mut change = if selected.contains(addr) {
            match plan_resource(
                input,
                resource,
                &desired,
                recorded,
                current.as_ref(),
                &outcomes,
                options,
            ) {
                Ok(change) => change,
                Err(message) => {
                    problems.push((addr.clone(), message));
                    continue;
                }
            }
        } else {
            ResourceChange::new(addr.clone(), Action::NoOp)
        };
        if selected.contains(addr) {
            change.deposed = recorded.map(deposed_of).unwrap_or_default();
        }
        if let Err(message) = reconcile_outputs(input, resource, recorded, &mut change) {
            problems.push((addr.clone(), message));
        }
        if let Err(message) = check_prevent_destroy(resource, &change) {
            problems.push((addr.clone(), message));
        }
        if change.action == Action::Create
            && desired.ownership == Ownership::ReadOnly
            && resource.addr.kind == ResourceKind::Dataset
            && input.observed.refreshed
        {
            problems.push((
                addr.clone(),
                format!(
                    "existing dataset `{}` was not found in the account",
                    desired.remote_name.as_deref().unwrap_or_default()
                ),
            ));
        }
        change.note.clone_from(&desired.note);
        outcomes.insert(addr.clone(), Outcome { desired, action: change.action, current });
        changes.push(change);
    }

    // Two jobs about to train must not write the same output.
    let mut writers: BTreeMap<String, &ResourceAddr> = BTreeMap::new();
    for change in &changes {
        let Some(planned) = &change.planned else { continue };
        if !matches!(change.action, Action::Create | Action::Replace) {
            continue;
        }
        let Some(output) = kinds::planned_output(change.addr.kind, input.account, planned) else {
            continue;
        };
        if let Some(first) = writers.insert(output.clone(), &change.addr) {
            problems.push((
                change.addr.clone(),
                format!("`{first}` writes `{output}` too; give each job its own output"),
            ));
        }
    }

    // Resources recorded in state but gone from the manifests.
    for recorded in input.state.resources() {
        let addr = recorded.addr();
        if input.manifest.get(addr).is_some()
            || !selected_for_removal(addr, &options.targets, &options.excludes)
        {
            continue;
        }
        changes.push(removal(recorded, input.observed));
    }
    // Creates interrupted before their object was recorded, for resources gone since.
    changes.extend(leftover_intents(input.state, input.observed, |addr| {
        input.manifest.get(addr).is_none()
            && selected_for_removal(addr, &options.targets, &options.excludes)
    }));

    problems.extend(shared_objects(&changes, input.state));
    problems.extend(foreign_marks(&changes, input.observed, input.state, &options.adopt));
    if !problems.is_empty() {
        return Err(PlanError { problems });
    }
    changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: PlanMode::Apply,
        account: input.account.to_owned(),
        state: state_ref(input.state),
        changes,
    })
}

/// Plans destroying everything in state (or the targets and what depends on them), leaving
/// alone the excludes, what depends on them and what they need.
pub fn plan_destroy(
    account: &str,
    manifest: Option<&Manifest>,
    state: &StateDocument,
    observed: &Observed,
    targets: &[ResourceAddr],
    excludes: &[ResourceAddr],
) -> Result<Plan, PlanError> {
    // Addresses given as the manifests name them, where a `moved` document renames one that
    // state still records under its old address.
    let moves = match manifest {
        Some(manifest) => pending_moves(manifest, state)?,
        None => Vec::new(),
    };
    let recorded_as = |addr: &ResourceAddr| -> ResourceAddr {
        moves
            .iter()
            .find(|(_, to)| to == addr)
            .map_or_else(|| addr.clone(), |(from, _)| from.clone())
    };
    let targets: Vec<ResourceAddr> = targets.iter().map(recorded_as).collect();
    let excludes: Vec<ResourceAddr> = excludes.iter().map(recorded_as).collect();
    let (targets, excludes) = (targets.as_slice(), excludes.as_slice());
    // Dependencies as recorded, and as the manifests declare them now.
    let mut needs: BTreeMap<&ResourceAddr, BTreeSet<&ResourceAddr>> = BTreeMap::new();
    for resource in state.resources() {
        needs.entry(resource.addr()).or_default().extend(resource.dependencies.iter());
    }
    if let Some(manifest) = manifest {
        for resource in manifest.resources.values() {
            let entry = needs.entry(&resource.addr).or_default();
            entry.extend(resource.references().into_iter().map(|(_, reference)| &reference.target));
            entry.extend(resource.depends_on.iter());
        }
    }
    let dependents_of = |addr: &ResourceAddr| -> Vec<ResourceAddr> {
        needs
            .iter()
            .filter(|(_, needed)| needed.contains(addr))
            .map(|(addr, _)| (*addr).clone())
            .collect()
    };
    let dependencies_of = |addr: &ResourceAddr| -> Vec<ResourceAddr> {
        needs
            .get(addr)
            .map(|needed| needed.iter().map(|&a| a.clone()).collect())
            .unwrap_or_default()
    };
    let mut selected: BTreeSet<ResourceAddr> = if targets.is_empty() {
        state.resources().map(|resource| resource.addr().clone()).collect()
    } else {
        // A target and everything depending on it, transitively.
        reach(targets.iter().cloned(), dependents_of)
    };
    if !excludes.is_empty() {
        // What is kept keeps what depends on it (left alone) and what it needs (still used).
        let kept = reach(excludes.iter().cloned(), dependents_of);
        let needed = reach(kept, dependencies_of);
        selected.retain(|addr| !needed.contains(addr));
    }
    selected.retain(|addr| state.resource(addr).is_some());
    let mut problems = Vec::new();
    let mut changes = Vec::new();
    for addr in &selected {
        let Some(recorded) = state.resource(addr) else { continue };
        let resource = manifest.and_then(|manifest| manifest.get(addr));
        if resource.is_some_and(|resource| resource.lifecycle.prevent_destroy) {
            problems.push((
                addr.clone(),
                "`lifecycle.preventDestroy` is set; remove it from the manifest to destroy this resource".to_owned(),
            ));
        }
        let mut change = removal(recorded, observed);
        // The manifest's `keepOutputs` counts as it is now, like `preventDestroy`.
        if let (Some(resource), Some(prior)) = (resource, change.prior.as_mut()) {
            prior.keep_outputs = resource.lifecycle.keep_outputs;
        }
        changes.push(change);
    }
    changes.extend(leftover_intents(state, observed, |addr| {
        selected_for_removal(addr, targets, excludes)
    }));
    problems.extend(foreign_marks(&changes, observed, state, &[]));
    if !problems.is_empty() {
        return Err(PlanError { problems });
    }
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: PlanMode::Destroy,
        account: account.to_owned(),
        state: state_ref(state),
        changes,
    })
}

/// The intents of creates that a run started and never recorded, for addresses `selected`
/// and not recorded: an object that exists is this project's own and is deleted; one that does
/// not is only dropped from state. Without a refresh nothing can be told, so nothing is planned.
fn leftover_intents(
    state: &StateDocument,
    observed: &Observed,
    selected: impl Fn(&ResourceAddr) -> bool,
) -> Vec<ResourceChange> {
    if !observed.refreshed {
        return Vec::new();
    }
    let mut changes = Vec::new();
    for (addr, name) in state.intents() {
        if state.resource(&addr).is_some() || !selected(&addr) {
            continue;
        }
        let object = (!name.is_empty())
            .then(|| observed.find(addr.kind, &name))
            .flatten()
            .filter(|object| kinds::created_by_intent(state, &addr, object));
        let (action, reason, prior) = match object {
            Some(object) => (
                Action::Delete,
                "a run created it and stopped before recording it; nothing declares it now",
                prior_from_object(addr.kind, object),
            ),
            None => (
                Action::Forget,
                "a create was started and did not reach the account (an object of that name, if \
                 any, is older and not this project's); only its note in state goes",
                managed_prior(&name),
            ),
        };
        changes.push(ResourceChange {
            reasons: vec![reason.to_owned()],
            prior: Some(prior),
            ..ResourceChange::new(addr, action)
        });
    }
    changes
}

/// One remote object has at most one address: the objects that two addresses claim (one
/// adopting what another deletes, two managing one object), among the plan's changes and the
/// recorded state. Objects only read (a shared dataset, a public model) may be read by several.
fn shared_objects(
    changes: &[ResourceChange],
    state: &StateDocument,
) -> Vec<(ResourceAddr, String)> {
    let mut claims: BTreeMap<&str, BTreeMap<&ResourceAddr, bool>> = BTreeMap::new();
    for recorded in state.resources() {
        if !recorded.remote_name.is_empty() {
            let managed = !is_read_only(recorded);
            *claims
                .entry(&recorded.remote_name)
                .or_default()
                .entry(recorded.addr())
                .or_default() |= managed;
        }
    }
    for change in changes {
        let planned = change.planned.as_ref().and_then(|planned| {
            Some((planned.remote_name.as_deref()?, planned.ownership == Ownership::Managed))
        });
        let prior = change
            .prior
            .as_ref()
            .map(|prior| (prior.remote_name.as_str(), prior.ownership == Ownership::Managed));
        for (name, managed) in planned.into_iter().chain(prior) {
            if !name.is_empty() {
                *claims.entry(name).or_default().entry(&change.addr).or_default() |= managed;
            }
        }
    }
    let mut problems = Vec::new();
    for (name, addrs) in claims {
        if addrs.len() < 2 || !addrs.values().any(|managed| *managed) {
            continue;
        }
        let mut addrs = addrs.into_keys();
        let Some(first) = addrs.next() else { continue };
        let others: Vec<String> = addrs.map(|addr| format!("`{addr}`")).collect();
        problems.push((
            first.clone(),
            format!(
                "`{name}` is claimed by this address and by {}: one object has one address. \
                 If it was renamed, declare `moved` (from the old address to the new) or use \
                 `fireform state rm` on the address that should let it go; nothing was changed",
                others.join(" and ")
            ),
        ));
    }
    problems
}

/// The changes that would change or delete an object another fireform project marked as its
/// own (deployments carry the lineage of the state that created them).
/// An object `import`ed (`imported`) is taken with its mark, which its record then keeps as
/// accepted (`values.adoptedMark`).
fn foreign_marks(
    changes: &[ResourceChange],
    observed: &Observed,
    state: &StateDocument,
    imported: &[ResourceAddr],
) -> Vec<(ResourceAddr, String)> {
    let mut problems = Vec::new();
    for change in changes.iter().filter(|change| !imported.contains(&change.addr)) {
        let accepted = state
            .resource(&change.addr)
            .and_then(|recorded| recorded.values.get("adoptedMark"))
            .and_then(Json::as_str);
        if !matches!(
            change.action,
            Action::Update | Action::Replace | Action::Adopt | Action::Delete
        ) {
            continue;
        }
        let priors = change.prior.iter().chain(&change.deposed);
        for prior in priors.filter(|prior| prior.ownership == Ownership::Managed) {
            let Some(object) = observed.find(change.addr.kind, &prior.remote_name) else {
                continue;
            };
            if let Some(mark) = kinds::foreign_lineage(object, state.lineage())
                && accepted != Some(mark)
            {
                problems.push((
                    change.addr.clone(),
                    format!(
                        "`{}` belongs to another fireform project: it is marked with that \
                         project's state lineage `{mark}` (annotation `{}`), and this state's \
                         lineage is `{}`; fireform will not change, adopt or delete it. If it \
                         is this project's own (its state was lost), or that project let it \
                         go, take it explicitly with `fireform import {} {}`",
                        prior.remote_name,
                        kinds::LINEAGE_ANNOTATION,
                        state.lineage(),
                        change.addr,
                        prior.id
                    ),
                ));
            }
        }
    }
    problems
}

/// Every address reachable from `start` through `next`, `start` included.
fn reach(
    start: impl IntoIterator<Item = ResourceAddr>,
    next: impl Fn(&ResourceAddr) -> Vec<ResourceAddr>,
) -> BTreeSet<ResourceAddr> {
    let mut found = BTreeSet::new();
    let mut frontier: Vec<ResourceAddr> = start.into_iter().collect();
    while let Some(addr) = frontier.pop() {
        if !found.contains(&addr) {
            frontier.extend(next(&addr));
            found.insert(addr);
        }
    }
    found
}

/// Plans recording drift into state: objects gone from the account are forgotten, fields
/// changed outside fireform are recorded, and the account is not changed.
pub fn plan_refresh_only(account: &str, state: &StateDocument, observed: &Observed) -> Plan {
    let mut changes = Vec::new();
    for recorded in state.resources() {
        if is_read_only(recorded) {
            continue;
        }
        let prior = prior_of(recorded);
        match observed.find(recorded.kind(), &recorded.remote_name) {
            None => changes.push(ResourceChange {
                reasons: vec!["it no longer exists in the account".to_owned()],
                prior: Some(prior),
                drift: true,
                ..ResourceChange::new(recorded.addr().clone(), Action::Forget)
            }),
            Some(object) => {
                let fields: Vec<String> = recorded.spec.keys().cloned().collect();
                let mut differences = diff::differences(&recorded.spec, object, &fields, &[]);
                // A field the account leaves out is unknown, not gone: state keeps its value.
                differences
                    .retain(|difference| !matches!(difference.before, None | Some(Json::Null)));
                if differences.is_empty() {
                    continue;
                }
                changes.push(ResourceChange {
                    reasons: vec!["changed outside fireform".to_owned()],
                    fields: differences
                        .into_iter()
                        .map(|difference| FieldChange {
                            // Recorded value before, observed value after.
                            before: Some(difference.after),
                            after: difference.before,
                            path: difference.path,
                            forces_replace: false,
                        })
                        .collect(),
                    prior: Some(prior),
                    ..ResourceChange::new(recorded.addr().clone(), Action::Refresh)
                });
            }
        }
    }
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: PlanMode::RefreshOnly,
        account: account.to_owned(),
        state: state_ref(state),
        changes,
    }
}

fn state_ref(state: &StateDocument) -> StateRef {
    if state.serial() == 0 {
        StateRef { lineage: String::new(), serial: 0 }
    } else {
        StateRef { lineage: state.lineage().to_owned(), serial: state.serial() }
    }
}

/// The manifest resources a plan acts on: targets and their dependencies, minus excludes and
/// their dependents.
fn selection(graph: &Graph, options: &PlanOptions) -> BTreeSet<ResourceAddr> {
    let mut selected: BTreeSet<ResourceAddr> = if options.targets.is_empty() {
        graph.order().iter().cloned().collect()
    } else {
        let mut selected = BTreeSet::new();
        for target in options.targets.iter().filter(|target| graph.contains(target)) {
            selected.insert(target.clone());
            selected.extend(graph.all_dependencies(target).into_iter().cloned());
        }
        selected
    };
    for exclude in options.excludes.iter().filter(|exclude| graph.contains(exclude)) {
        selected.remove(exclude);
        for dependent in graph.all_dependents(exclude) {
            selected.remove(dependent);
        }
    }
    selected
}

fn selected_for_removal(
    addr: &ResourceAddr,
    targets: &[ResourceAddr],
    excludes: &[ResourceAddr],
) -> bool {
    (targets.is_empty() || targets.contains(addr)) && !excludes.contains(addr)
}

fn resolve(
    account: &str,
    outcomes: &BTreeMap<ResourceAddr, Outcome>,
    state: &StateDocument,
    reference: &Reference,
) -> Resolved {
    let attribute = reference.attribute.as_deref().unwrap_or("name");
    let Some(outcome) = outcomes.get(&reference.target) else {
        // Planned later (impossible in dependency order) or failed to plan: fall back on state.
        return state
            .resource(&reference.target)
            .and_then(|recorded| recorded.values.get(attribute).cloned())
            .map_or(Resolved::Unknown, Resolved::Known);
    };
    let kind = reference.target.kind;
    let after_apply = matches!(outcome.action, Action::Create | Action::Replace);
    // A value read from the current object is stale when the object is about to be replaced.
    let current = if after_apply { None } else { outcome.current.as_ref() };
    match kinds::attribute(kind, account, attribute, Some(outcome.desired.known()), current) {
        Resolved::Known(value) => Resolved::Known(value),
        Resolved::Unknown if after_apply => Resolved::Unknown,
        Resolved::Unknown => state
            .resource(&reference.target)
            .and_then(|recorded| recorded.values.get(attribute).cloned())
            .map_or(Resolved::Unknown, Resolved::Known),
    }
}

/// The object in the account this manifest resource corresponds to, if any.
fn find_current(
    input: PlanInput<'_>,
    resource: &Resource,
    desired: &Desired,
    recorded: Option<&ResourceState>,
) -> Option<Object> {
    let kind = resource.addr.kind;
    if let Some(name) = &desired.remote_name {
        return input.observed.find(kind, name).cloned();
    }
    // Deployed models: the server picks the id. Look for the recorded one first, then for a
    // load of the same model on the same deployment.
    if let Some(found) =
        recorded.and_then(|recorded| input.observed.find(kind, &recorded.remote_name))
    {
        return Some(found.clone());
    }
    let model = desired.body.get("model").filter(|model| !model.is_null())?;
    let deployment = desired.body.get("deployment").cloned().unwrap_or(Json::Null);
    if desired.pending.iter().any(|pending| pending.path == "deployment") {
        return None;
    }
    input
        .observed
        .objects(kind)
        .iter()
        .find(|object| {
            object.get("model") == Some(model)
                && diff::equivalent(&deployment, object.get("deployment"))
                && !matches!(kinds::readiness(kind, object), Readiness::Failed(_))
        })
        .cloned()
}

fn plan_resource(
    input: PlanInput<'_>,
    resource: &Resource,
    desired: &Desired,
    recorded: Option<&ResourceState>,
    current: Option<&Object>,
    outcomes: &BTreeMap<ResourceAddr, Outcome>,
    options: &PlanOptions,
) -> Result<ResourceChange, String> {
    let addr = &resource.addr;
    let mut change = ResourceChange {
        prior: recorded
            .map(prior_of)
            .or_else(|| current.map(|object| prior_from_object(addr.kind, object))),
        ..ResourceChange::new(addr.clone(), Action::NoOp)
    };
    let mut planned = planned_of(input.graph, resource, desired);
    let intent = input.state.intent(addr);
    let adopt = resource.lifecycle.adopt || options.adopt.contains(addr);
    planned.may_adopt = adopt;

    if desired.ownership == Ownership::ReadOnly
        || (recorded.is_some_and(is_read_only) && current.is_some())
    {
        let known = recorded.is_some();
        change.action = if known { Action::NoOp } else { Action::Read };
        if addr.kind == ResourceKind::Dataset && current.is_none() && input.observed.refreshed {
            change.action = Action::Create; // reported as an error by the caller
        }
        planned.wait = false;
        planned.ownership = Ownership::ReadOnly;
        change.planned = Some(planned);
        return Ok(change);
    }

    let schema = kind_schema(addr.kind);
    if current.is_none()
        && let Some(recorded) = recorded
        && recorded.values.get("outputKept") == Some(&Json::Bool(true))
        && !options.replace.contains(addr)
        && diff::differences(&desired.body, &recorded.spec, &desired.diff_fields, &[]).is_empty()
        && desired.pending.is_empty()
    {
        // A job read from its kept output (see `reconcile_outputs`): nothing to run.
        change.note = Some("its output was kept when the job was destroyed".to_owned());
        planned.wait = false;
        change.planned = Some(planned);
        return Ok(change);
    }
    let Some(current) = current else {
        change.action = match recorded {
            Some(recorded)
                if Some(&recorded.remote_name) != desired.remote_name.as_ref()
                    && desired.remote_name.is_some() =>
            {
                // A new id (new dataset content): create the new object, then delete the old.
                planned.create_before_destroy = true;
                change.reasons.push(format!(
                    "its id changes from `{}` to `{}`",
                    recorded.id,
                    desired.id.as_deref().unwrap_or_default()
                ));
                Action::Replace
            }
            Some(_) => {
                change.reasons.push("it no longer exists in the account".to_owned());
                change.prior = None;
                change.drift = true;
                Action::Create
            }
            None => Action::Create,
        };
        change.fields = creation_fields(desired);
        change.planned = Some(planned);
        return Ok(change);
    };

    // An object that is not in state is fireform's own only if it recorded the create first.
    if recorded.is_none() {
        let name = current.get("name").and_then(Json::as_str).unwrap_or_default();
        let created_here = kinds::created_by_intent(input.state, addr, current);
        if !created_here && !adopt {
            if addr.kind == ResourceKind::Dataset && desired.upload.is_some() {
                // The same content, uploaded by someone else: the same dataset, shared.
                change.action = Action::Read;
                change.reasons.push(
                    "a dataset with this content already exists and fireform did not create it: \
                     it is read, and never deleted"
                        .to_owned(),
                );
                change.prior = None;
                planned.wait = false;
                planned.ownership = Ownership::ReadOnly;
                change.planned = Some(planned);
                return Ok(change);
            }
            return Err(not_ours(addr, name, input.state));
        }
    }

    // The object exists. Compare what the manifest sets with what is there.
    let pending_fields: BTreeSet<&str> =
        desired.pending.iter().map(|pending| top_field(&pending.path)).collect();
    let compared: Vec<String> = desired
        .diff_fields
        .iter()
        .filter(|field| !pending_fields.contains(field.as_str()))
        .cloned()
        .collect();
    let differences =
        diff::differences(&desired.body, current, &compared, &resource.lifecycle.ignore_changes);
    let mut fields: Vec<FieldChange> = differences
        .into_iter()
        .map(|difference| FieldChange {
            forces_replace: schema.is_immutable(&difference.path),
            path: difference.path,
            before: difference.before,
            after: Some(difference.after),
        })
        .collect();
    for field in &pending_fields {
        if resource.lifecycle.ignore_changes.iter().any(|ignored| ignored == field) {
            continue;
        }
        fields.push(FieldChange {
            path: (*field).to_owned(),
            before: current.get(*field).cloned(),
            after: None,
            forces_replace: schema.is_immutable(field),
        });
    }

    // What the account does not say, or says in words this version does not know, is not a
    // reason to replace anything: such immutable fields are left as they are, and shown.
    fields.retain(|field| {
        if !field.forces_replace {
            return true;
        }
        // A value the manifest changed since the last apply is a replacement asked for,
        // whatever the account says now.
        let applied = recorded.and_then(|recorded| kinds::lookup(&recorded.spec, &field.path));
        let edited = recorded.is_some()
            && field.after.as_ref().is_none_or(|after| !diff::equivalent(after, applied.as_ref()));
        if edited {
            return true;
        }
        let unknown = match &field.before {
            None | Some(Json::Null) => Some("the account reported no value".to_owned()),
            Some(Json::String(value)) if is_unknown_enum(schema, &field.path, value) => {
                Some(format!("the account reported `{value}`, a value this version does not know"))
            }
            Some(_) => None,
        };
        match unknown {
            Some(why) => {
                change.cannot_tell.push(format!("`{}`: {why}", field.path));
                false
            }
            None => true,
        }
    });

    let mut replace_reasons = Vec::new();
    // Whether the manifests (or the flags) ask for the replacement, as opposed to what the
    // account reported: an edited immutable field, `--replace`, a replaced reference.
    let mut asked = false;
    if options.replace.contains(addr) {
        replace_reasons.push("replacement requested with `--replace`".to_owned());
        asked = true;
    }
    if recorded.is_some_and(|recorded| recorded.tainted) {
        replace_reasons.push("it is tainted: its creation did not finish".to_owned());
        asked = true;
    }
    if let Readiness::Failed(message) = kinds::readiness(addr.kind, current) {
        replace_reasons.push(format!("it is {message}"));
    }
    // A dataset whose upload never finished (a run died between creating it and validating its
    // upload) gets its content uploaded again: it has the same content-addressed id, so
    // deleting and creating it again would only create it twice.
    let resume_upload = addr.kind == ResourceKind::Dataset
        && current.get("state").and_then(Json::as_str) == Some("UPLOADING");
    if resume_upload && desired.upload.is_none() {
        replace_reasons.push("its upload never finished (state UPLOADING)".to_owned());
    }
    for field in fields.iter().filter(|field| field.forces_replace) {
        replace_reasons.push(format!("`{}` forces replacement", field.path));
        let applied = recorded.and_then(|recorded| kinds::lookup(&recorded.spec, &field.path));
        asked |=
            field.after.as_ref().is_none_or(|after| !diff::equivalent(after, applied.as_ref()));
    }
    for (path, reference) in resource.references() {
        let field = path.trim_start_matches("spec.");
        let replaced = outcomes
            .get(&reference.target)
            .is_some_and(|outcome| outcome.action == Action::Replace);
        if replaced && schema.is_immutable(top_field(field)) {
            replace_reasons
                .push(format!("`{field}` refers to `{}`, which is replaced", reference.target));
            asked = true;
        }
    }
    replace_reasons.dedup();

    if !replace_reasons.is_empty() {
        change.action = Action::Replace;
        change.reasons = replace_reasons;
        change.drift = !asked;
        if resource.lifecycle.create_before_destroy {
            let replaced_dependency = input.graph.dependencies(addr).into_iter().find(|target| {
                outcomes.get(*target).is_some_and(|outcome| outcome.action == Action::Replace)
            });
            let refusal = match replaced_dependency {
                // Its new version needs the dependency's, which comes after the old dependency
                // (and so this old object) is gone.
                Some(target) => Some(format!("`{target}`, which it depends on, is replaced too")),
                None => create_before_destroy_refusal(desired, current).map(str::to_owned),
            };
            match refusal {
                None => planned.create_before_destroy = true,
                Some(why) => {
                    change.reasons.push(format!("`createBeforeDestroy` is not possible: {why}"))
                }
            }
        }
        change.fields = fields;
        change.planned = Some(planned);
        return Ok(change);
    }

    let mut mask: Vec<String> =
        fields.iter().map(|field| top_field(&field.path).to_owned()).collect();
    mask.sort();
    mask.dedup();
    change.action = match recorded {
        None => Action::Adopt,
        Some(_) if !fields.is_empty() || resume_upload => Action::Update,
        Some(_) => Action::NoOp,
    };
    if change.action == Action::Adopt {
        change.reasons.push(if options.adopt.contains(addr) {
            "it is imported".to_owned()
        } else if resource.lifecycle.adopt && intent.is_none() {
            "it already exists in the account and `lifecycle.adopt` is set: it is adopted"
                .to_owned()
        } else {
            "an earlier run created it and stopped before recording it: it is adopted, not \
             created again"
                .to_owned()
        });
    }
    if resume_upload {
        change.reasons.push(
            "its upload never finished (state UPLOADING); the content is uploaded again".to_owned(),
        );
    }
    planned.mask = mask;
    // Apply waits for objects that are not ready yet, even when nothing changes.
    planned.wait = change.action != Action::NoOp
        || !matches!(kinds::readiness(addr.kind, current), Readiness::Ready);
    change.fields = fields;
    change.planned = Some(planned);
    Ok(change)
}

/// Whether `value` at `path` is outside the values an enum field is known to take.
fn is_unknown_enum(
    schema: &fireform_manifest::schema::KindSchema,
    path: &str,
    value: &str,
) -> bool {
    matches!(
        schema.field_at(path).map(|field| &field.ty),
        Some(fireform_manifest::schema::FieldType::Enum { values, .. }) if !values.contains(&value)
    )
}

/// The refusal to take an object fireform did not create and was not told to manage.
fn not_ours(addr: &ResourceAddr, name: &str, state: &StateDocument) -> String {
    let id = kinds::id_of(name);
    if let Some(other) = state.resources().find(|recorded| recorded.remote_name == name) {
        let other = other.addr();
        return format!(
            "`{name}` is recorded in state as `{other}`, and one object has one address: if \
             `{other}` was renamed to `{addr}`, declare it with a `moved` document (from: \
             {other}, to: {addr}) or run `fireform state mv {other} {addr}`; nothing changed"
        );
    }
    format!(
        "`{name}` already exists in the account, and fireform did not create it for this \
         project: run `fireform import {addr} {id}` to manage it here (or set \
         `lifecycle.adopt: true` on the resource), or give the resource another name"
    )
}

/// Why the replacement of `current` cannot exist beside it, if it cannot: an object whose id
/// the manifest decides takes the same id; a LoRA load (the server picks its id) can, unless it
/// loads the same model on the same deployment again.
fn create_before_destroy_refusal(desired: &Desired, current: &Object) -> Option<&'static str> {
    if desired.remote_name.is_some() {
        return Some("the new object takes the same id");
    }
    let same = |field: &str| {
        desired.pending.iter().all(|pending| pending.path != field)
            && diff::equivalent(desired.body.get(field).unwrap_or(&Json::Null), current.get(field))
    };
    if same("model") && same("deployment") {
        return Some("the same model cannot be loaded twice on one deployment");
    }
    None
}

fn top_field(path: &str) -> &str {
    path.split('.').next().unwrap_or(path)
}

fn creation_fields(desired: &Desired) -> Vec<FieldChange> {
    let pending: BTreeSet<&str> =
        desired.pending.iter().map(|pending| pending.path.as_str()).collect();
    desired
        .body
        .iter()
        .filter(|(field, _)| desired.diff_fields.contains(*field))
        .map(|(field, value)| FieldChange {
            path: field.clone(),
            before: None,
            after: if pending.iter().any(|path| top_field(path) == field) {
                None
            } else {
                Some(value.clone())
            },
            forces_replace: false,
        })
        .collect()
}

fn planned_of(graph: &Graph, resource: &Resource, desired: &Desired) -> Planned {
    let content_id = desired.content_id.clone();
    Planned {
        id: desired.id.clone(),
        remote_name: desired.remote_name.clone(),
        body: desired.body.clone(),
        mask: Vec::new(),
        pending: desired.pending.clone(),
        upload: desired.upload.clone(),
        content_id,
        ownership: desired.ownership.clone(),
        dependencies: graph.dependencies(&resource.addr).into_iter().cloned().collect(),
        create_before_destroy: false,
        keep_outputs: resource.lifecycle.keep_outputs,
        wait: true,
        may_adopt: false,
        timeouts: PlannedTimeouts::for_kind(resource.addr.kind, &resource.lifecycle.timeouts),
    }
}

/// What a job about to be created or replaced will write must not be there already, unless it
/// is this job's own earlier output: then a create becomes a replace, so the old output goes
/// first. A job whose `lifecycle.keepOutputs` changed records the new choice in state.
fn reconcile_outputs(
    input: PlanInput<'_>,
    resource: &Resource,
    recorded: Option<&ResourceState>,
    change: &mut ResourceChange,
) -> Result<(), String> {
    let kind = resource.addr.kind;
    let Some(planned) = &mut change.planned else { return Ok(()) };
    let recorded_keep = recorded
        .is_some_and(|recorded| recorded.values.get("keepOutputs") == Some(&Json::Bool(true)));
    if change.action == Action::NoOp && recorded.is_some() && recorded_keep != planned.keep_outputs
    {
        // Only state changes: destroy must know the choice even once the manifest is gone.
        change.action = Action::Update;
        planned.mask.clear();
        planned.wait = false;
        change.fields.push(FieldChange {
            path: "lifecycle.keepOutputs".to_owned(),
            before: Some(Json::Bool(recorded_keep)),
            after: Some(Json::Bool(planned.keep_outputs)),
            forces_replace: false,
        });
        return Ok(());
    }
    let planned = &*planned;
    if !matches!(change.action, Action::Create | Action::Replace) {
        return Ok(());
    }
    let recorded_output =
        |field: &str| recorded.and_then(|recorded| recorded.values.get(field)?.as_str());
    if kind == ResourceKind::BatchInferenceJob {
        let output = kinds::planned_output(kind, input.account, planned);
        if planned.keep_outputs
            && change.action == Action::Replace
            && output.is_some()
            && output.as_deref() == recorded_output("outputDataset")
        {
            return Err(format!(
                "`lifecycle.keepOutputs` keeps output dataset `{}` of the job being replaced, \
                 and the new job would write the same dataset; give it another `outputDatasetId`",
                output.unwrap_or_default()
            ));
        }
        return Ok(());
    }
    let Some(model) = kinds::planned_output(kind, input.account, planned) else { return Ok(()) };
    if !model.starts_with(&format!("accounts/{}/models/", input.account)) {
        return Err(format!(
            "output model `{model}` is not in account `{}`: a job writes its output model to \
             its own account",
            input.account
        ));
    }
    if input.observed.model_exists(&model) != Some(true) {
        return Ok(());
    }
    if change.action == Action::Create
        && input.state.kept_output(&model).as_ref() == Some(&resource.addr)
    {
        // Destroyed earlier with `keepOutputs`: the model is this job's own, and it stays.
        change.action = Action::Read;
        change.reasons = vec![format!(
            "its output model `{model}` was kept when the job was destroyed \
             (`lifecycle.keepOutputs`): it is recorded as this job's output, and the job is \
             not run again (to train it again, delete the model or give the job another \
             `outputModel`)"
        )];
        if let Some(planned) = change.planned.as_mut() {
            planned.wait = false;
        }
        return Ok(());
    }
    if recorded_output("outputModel") == Some(model.as_str()) {
        if planned.keep_outputs {
            return Err(format!(
                "`lifecycle.keepOutputs` keeps output model `{model}` of the job being replaced, \
                 and the new job would write the same model; give it another `outputModel`"
            ));
        }
        if change.action == Action::Create {
            change.action = Action::Replace;
            change.drift = true;
            change.prior = recorded.map(prior_of);
            change.reasons = vec![format!(
                "the job is gone from the account but its output model `{model}` is left: the \
                 model is deleted and the job runs again"
            )];
        }
        return Ok(());
    }
    let owner = input.state.resources().find(|other| {
        other.addr() != &resource.addr
            && other.values.get("outputModel").and_then(Json::as_str) == Some(model.as_str())
    });
    Err(match owner {
        Some(owner) => format!(
            "output model `{model}` is already the output of `{}`; give this job another \
             `outputModel`",
            owner.addr()
        ),
        None => format!(
            "output model `{model}` already exists in the account and this job did not produce \
             it; give the job another `outputModel`, or delete the model"
        ),
    })
}

fn check_prevent_destroy(resource: &Resource, change: &ResourceChange) -> Result<(), String> {
    if resource.lifecycle.prevent_destroy
        && matches!(change.action, Action::Replace | Action::Delete)
    {
        return Err(format!(
            "`lifecycle.preventDestroy` is set, but the plan must {} it ({})",
            if change.action == Action::Replace { "replace" } else { "destroy" },
            change.reasons.join("; ")
        ));
    }
    Ok(())
}

/// A recorded resource marks read-only objects with `values.readOnly`.
pub(crate) fn is_read_only(recorded: &ResourceState) -> bool {
    recorded.values.get("readOnly") == Some(&Json::Bool(true))
}

fn prior_of(recorded: &ResourceState) -> Prior {
    Prior {
        id: recorded.id.clone(),
        remote_name: recorded.remote_name.clone(),
        ownership: if is_read_only(recorded) { Ownership::ReadOnly } else { Ownership::Managed },
        output_model: recorded.values.get("outputModel").and_then(Json::as_str).map(str::to_owned),
        output_dataset: match recorded.kind() {
            ResourceKind::BatchInferenceJob => {
                recorded.values.get("outputDataset").and_then(Json::as_str).map(str::to_owned)
            }
            _ => None,
        },
        keep_outputs: recorded.values.get("keepOutputs") == Some(&Json::Bool(true)),
    }
}

/// A managed object known only by its full name (a deposed object, an interrupted create).
fn managed_prior(name: &str) -> Prior {
    Prior {
        id: kinds::id_of(name).to_owned(),
        remote_name: name.to_owned(),
        ownership: Ownership::Managed,
        output_model: None,
        output_dataset: None,
        keep_outputs: false,
    }
}

fn prior_from_object(kind: ResourceKind, object: &Object) -> Prior {
    let name = object.get("name").and_then(Json::as_str).unwrap_or_default().to_owned();
    Prior {
        id: kinds::id_of(&name).to_owned(),
        remote_name: name,
        ownership: Ownership::Managed,
        output_model: match kind {
            ResourceKind::SupervisedFineTuningJob => {
                object.get("outputModel").and_then(Json::as_str).map(str::to_owned)
            }
            ResourceKind::ReinforcementFineTuningJob => object
                .get("trainingConfig")
                .and_then(|config| config.get("outputModel"))
                .and_then(Json::as_str)
                .map(str::to_owned),
            _ => None,
        },
        output_dataset: match kind {
            ResourceKind::BatchInferenceJob => {
                object.get("outputDatasetId").and_then(Json::as_str).map(str::to_owned)
            }
            _ => None,
        },
        keep_outputs: false,
    }
}

fn removal(recorded: &ResourceState, observed: &Observed) -> ResourceChange {
    let read_only = is_read_only(recorded);
    let gone =
        observed.refreshed && observed.find(recorded.kind(), &recorded.remote_name).is_none();
    let (action, reasons) = if read_only {
        (Action::Forget, vec!["fireform does not own it; it is only dropped from state".to_owned()])
    } else if gone {
        (Action::Forget, vec!["it no longer exists in the account".to_owned()])
    } else {
        (Action::Delete, Vec::new())
    };
    ResourceChange {
        reasons,
        prior: Some(prior_of(recorded)),
        deposed: deposed_of(recorded),
        drift: gone && !read_only,
        ..ResourceChange::new(recorded.addr().clone(), action)
    }
}

/// The older objects a recorded resource still owes a delete (`values.deposed`, written when a
/// replacement created first was stopped before it deleted them).
fn deposed_of(recorded: &ResourceState) -> Vec<Prior> {
    let Some(Json::Array(names)) = recorded.values.get("deposed") else { return Vec::new() };
    names.iter().filter_map(Json::as_str).map(managed_prior).collect()
}

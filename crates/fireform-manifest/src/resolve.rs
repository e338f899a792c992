//! Rules that involve more than one resource: unique addresses, references and `dependsOn`
//! entries that point at resources that exist, the semantic rules between a LoRA addon and its
//! base deployment, and `moved` documents against what the manifests declare.
//!
//! Cycles are not checked here: they are a property of the dependency graph and are reported
//! by `fireform-graph`.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use fireform_core::{Reference, ResourceAddr, ResourceKind, Value};

use crate::diagnostic::{Diagnostic, SourceSpan};
use crate::suggest::nearest;
use crate::{Moved, Resource};

/// Adds `resource` to `resources`, reporting a second definition of an address.
pub(crate) fn insert(
    resources: &mut BTreeMap<ResourceAddr, Resource>,
    resource: Resource,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(first) = resources.get(&resource.addr) {
        let diagnostic =
            Diagnostic::error(format!("`{}` is defined more than once", resource.addr))
                .with_primary(name_span(&resource), "defined again here")
                .with_secondary(name_span(first), "first defined here")
                .with_help("rename one of them; an address (`kind/name`) identifies one resource");
        diagnostics.push(diagnostic);
        return;
    }
    resources.insert(resource.addr.clone(), resource);
}

fn name_span(resource: &Resource) -> SourceSpan {
    resource.locations.get("name").map_or_else(
        || SourceSpan::new(resource.location.clone(), 1),
        |location| location.value.clone(),
    )
}

/// Checks every reference and `dependsOn` entry, and the rules between resources.
pub(crate) fn check(
    resources: &BTreeMap<ResourceAddr, Resource>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for resource in resources.values() {
        for (path, reference) in resource.references() {
            if !resources.contains_key(&reference.target) {
                let span = resource.value_span(&path);
                diagnostics.push(missing(
                    resources,
                    &reference.target,
                    span,
                    &format!("`{reference}` refers to"),
                ));
            }
        }
        for (index, target) in resource.depends_on.iter().enumerate() {
            if !resources.contains_key(target) {
                let span = resource.value_span(&format!("dependsOn[{index}]"));
                diagnostics.push(missing(resources, target, span, "`dependsOn` names"));
            }
        }
        if resource.addr.kind == ResourceKind::LoraAddon {
            lora_addon_rules(resources, resource, diagnostics);
        }
    }
    shared_outputs(resources, diagnostics);
}

/// The field that names what a job writes, literally: an output model or output dataset.
fn output_path(kind: ResourceKind) -> Option<(&'static str, &'static str)> {
    match kind {
        ResourceKind::SupervisedFineTuningJob => Some(("spec.outputModel", "model")),
        ResourceKind::ReinforcementFineTuningJob => {
            Some(("spec.trainingConfig.outputModel", "model"))
        }
        ResourceKind::BatchInferenceJob => Some(("spec.outputDatasetId", "dataset")),
        ResourceKind::Deployment | ResourceKind::LoraAddon | ResourceKind::Dataset => None,
    }
}

/// Two jobs that name the same output literally: the second would write over (or fail on)
/// what the first produces. Model names compare as [`same_model`] does; datasets likewise.
fn shared_outputs(resources: &BTreeMap<ResourceAddr, Resource>, diagnostics: &mut Vec<Diagnostic>) {
    // By what is written (`model` or `dataset`) and the id (the last segment of the name).
    let mut written: HashMap<(&str, &str), Vec<Output<'_>>> = HashMap::new();
    for resource in resources.values() {
        let Some((path, what)) = output_path(resource.addr.kind) else { continue };
        let field = path.rsplit('.').next().unwrap_or(path);
        let value = match resource.addr.kind {
            ResourceKind::ReinforcementFineTuningJob => match resource.spec.get("trainingConfig") {
                Some(Value::Map(config)) => config.get(field),
                _ => None,
            },
            _ => resource.spec.get(field),
        };
        let Some(Value::String(name)) = value else { continue };
        let id = name.rsplit('/').next().unwrap_or(name);
        let same = written.entry((what, id)).or_default();
        if let Some(first) = same.iter().find(|earlier| same_model(earlier.name, name)) {
            let shown = if name.len() >= first.name.len() { name.as_str() } else { first.name };
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{}` and `{}` both write the {what} `{shown}`",
                    first.job.addr, resource.addr
                ))
                .with_primary(resource.value_span(path), "written again here")
                .with_secondary(first.job.value_span(first.path), "first written here")
                .with_help(format!(
                    "give each job its own `{field}`: the second would fail, or write over the first's {what}"
                )),
            );
            continue;
        }
        same.push(Output { job: resource, path, name });
    }
}

/// A job's literal output name, where it is written.
struct Output<'a> {
    job: &'a Resource,
    path: &'static str,
    name: &'a str,
}

/// Checks the `moved` documents against the resources and each other: every `from` moves once
/// and is no longer declared, every `to` is moved to once and is declared (or moves on, as a
/// chain), and no chain comes back on itself.
pub(crate) fn check_moved(
    resources: &BTreeMap<ResourceAddr, Resource>,
    moved: &[Moved],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut by_from: HashMap<&ResourceAddr, &Moved> = HashMap::new();
    let mut by_to: HashMap<&ResourceAddr, &Moved> = HashMap::new();
    for rename in moved {
        match by_from.entry(&rename.from) {
            Entry::Occupied(first) => diagnostics.push(
                Diagnostic::error(format!("`{}` is moved twice", rename.from))
                    .with_primary(rename.from_span.clone(), "moved again here")
                    .with_secondary(first.get().from_span.clone(), "first moved here")
                    .with_help("an address moves once; for several renames, chain them: `a` to `b`, then `b` to `c`"),
            ),
            Entry::Vacant(vacant) => {
                vacant.insert(rename);
            }
        }
        match by_to.entry(&rename.to) {
            Entry::Occupied(first) => diagnostics.push(
                Diagnostic::error(format!("two `moved` documents move to `{}`", rename.to))
                    .with_primary(rename.to_span.clone(), "moved to again here")
                    .with_secondary(first.get().to_span.clone(), "first moved to here")
                    .with_help("one resource cannot take the place of two; keep one of them"),
            ),
            Entry::Vacant(vacant) => {
                vacant.insert(rename);
            }
        }
    }

    let mut in_cycle: HashSet<&ResourceAddr> = HashSet::new();
    for rename in moved {
        if in_cycle.contains(&rename.from)
            || !by_from.get(&rename.from).is_some_and(|first| std::ptr::eq(*first, rename))
        {
            continue;
        }
        let mut path = vec![rename];
        let mut closed = false;
        while let Some(last) = path.last() {
            if last.to == rename.from {
                closed = true;
                break;
            }
            match by_from.get(&last.to) {
                // A loop that does not pass through `rename` is reported from one of its own.
                Some(next) if !path.iter().any(|seen| std::ptr::eq(*seen, *next)) => {
                    path.push(next);
                }
                _ => break,
            }
        }
        if !closed {
            continue;
        }
        in_cycle.extend(path.iter().map(|member| &member.from));
        diagnostics.push(cycle(&path));
    }

    for rename in moved.iter().filter(|rename| !in_cycle.contains(&rename.from)) {
        if let Some(resource) = resources.get(&rename.from) {
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{}` is moved to `{}`, but is still declared",
                    rename.from, rename.to
                ))
                .with_primary(rename.from_span.clone(), "moved from here")
                .with_secondary(name_span(resource), "still declared here")
                .with_help(format!("remove `{}` from the manifests, it has moved", rename.from)),
            );
        }
        if !resources.contains_key(&rename.to) && !by_from.contains_key(&rename.to) {
            let texts: Vec<String> = resources.keys().map(ToString::to_string).collect();
            let wanted = rename.to.to_string();
            let suggestion = nearest(&wanted, texts.iter().map(String::as_str))
                .map(|addr| format!("did you mean `{addr}`?"));
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{}` is moved to `{}`, which is not declared",
                    rename.from, rename.to
                ))
                .with_primary(rename.to_span.clone(), "no such resource in these manifests")
                .with_help(format!("declare `{}` in the manifests", rename.to))
                .with_help_opt(suggestion),
            );
        }
    }
}

/// The diagnostic for moves that lead back to where they started, `path` in chain order.
fn cycle(path: &[&Moved]) -> Diagnostic {
    let [first, rest @ ..] = path else {
        return Diagnostic::error("`moved` documents form a cycle");
    };
    if rest.is_empty() {
        return Diagnostic::error(format!("`moved` moves `{}` to itself", first.from))
            .with_primary(first.to_span.clone(), "the same address")
            .with_help("remove this `moved`; nothing is renamed");
    }
    let mut chain: Vec<String> = path.iter().map(|rename| format!("`{}`", rename.from)).collect();
    chain.push(format!("`{}`", first.from));
    let mut diagnostic =
        Diagnostic::error(format!("`moved` documents form a cycle: {}", chain.join(" → ")))
            .with_primary(first.from_span.clone(), format!("moved to `{}`", first.to));
    for rename in rest {
        diagnostic = diagnostic
            .with_secondary(rename.from_span.clone(), format!("moved to `{}`", rename.to));
    }
    diagnostic.with_help(format!(
        "a rename goes one way: remove the `moved` that leads back to `{}`",
        first.from
    ))
}

fn missing(
    resources: &BTreeMap<ResourceAddr, Resource>,
    target: &ResourceAddr,
    span: SourceSpan,
    what: &str,
) -> Diagnostic {
    let same_name = resources.keys().find(|addr| addr.name == target.name);
    let texts: Vec<String> = resources.keys().map(ToString::to_string).collect();
    let wanted = target.to_string();
    let suggestion = match same_name {
        Some(addr) => Some(addr.to_string()),
        None => nearest(&wanted, texts.iter().map(String::as_str)).map(str::to_owned),
    };
    Diagnostic::error(format!("{what} `{target}`, which is not defined"))
        .with_primary(span, "no such resource in these manifests")
        .with_help_opt(suggestion.map(|addr| format!("did you mean `{addr}`?")))
}

/// A LoRA addon on a deployment of these manifests: the deployment must take addons and must
/// serve the addon's base model (when both are statically known).
fn lora_addon_rules(
    resources: &BTreeMap<ResourceAddr, Resource>,
    addon: &Resource,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(Value::Ref(reference)) = addon.spec.get("deployment") else { return };
    let Some(deployment) = resources.get(&reference.target) else { return };
    if deployment.addr.kind != ResourceKind::Deployment {
        return;
    }
    let addon_span = addon.value_span("spec.deployment");
    if let Some(Value::String(deployment_type)) = deployment.spec.get("deploymentType")
        && deployment_type == "serverless"
    {
        let diagnostic = Diagnostic::error(format!(
                "LoRA addon `{}` is loaded onto `{}`, which is a serverless deployment",
                addon.addr, deployment.addr
            ))
            .with_primary(addon_span, "")
            .with_secondary(deployment.value_span("spec.deploymentType"), "serverless here")
            .with_help("remove `deployment` to use serverless LoRA, or make the deployment on-demand with `enableAddons: true`");
        diagnostics.push(diagnostic);
        return;
    }
    if deployment.spec.get("enableAddons") != Some(&Value::Bool(true)) {
        let mut diagnostic = Diagnostic::error(format!(
            "LoRA addon `{}` needs `{}` to set `enableAddons: true`",
            addon.addr, deployment.addr
        ))
        .with_primary(addon_span.clone(), "loaded onto this deployment");
        diagnostic = match deployment.locations.get("spec.enableAddons") {
            Some(location) => {
                diagnostic.with_secondary(location.value.clone(), "addons disabled here")
            }
            None => diagnostic
                .with_secondary(deployment.key_span("spec"), "no `enableAddons` in this spec"),
        };
        diagnostics.push(
            diagnostic.with_help(format!(
                "add `enableAddons: true` to the spec of `{}`",
                deployment.addr
            )),
        );
    }
    let Some(Value::String(deployment_base)) = deployment.spec.get("baseModel") else { return };
    let Some((trained_on, job)) = addon_base_model(resources, addon) else { return };
    if !same_model(trained_on, deployment_base) {
        let diagnostic = Diagnostic::error(format!(
            "LoRA addon `{}` serves a model trained on `{trained_on}`, but `{}` runs `{deployment_base}`",
            addon.addr, deployment.addr
        ))
        .with_primary(addon.value_span("spec.model"), format!("trained on `{trained_on}`"))
        .with_secondary(job.value_span(base_model_path(job)), "base model of the job")
        .with_secondary(deployment.value_span("spec.baseModel"), "base model of the deployment")
        .with_help("an addon can only be loaded onto a deployment of the model it was trained on");
        diagnostics.push(diagnostic);
    }
}

fn base_model_path(job: &Resource) -> &'static str {
    match job.addr.kind {
        ResourceKind::ReinforcementFineTuningJob => "spec.trainingConfig.baseModel",
        _ => "spec.baseModel",
    }
}

/// The base model of the addon's model, when the model is a fine-tuning job's output and the
/// job names its base model literally.
fn addon_base_model<'a>(
    resources: &'a BTreeMap<ResourceAddr, Resource>,
    addon: &Resource,
) -> Option<(&'a str, &'a Resource)> {
    let Some(Value::Ref(Reference { target, attribute })) = addon.spec.get("model") else {
        return None;
    };
    if attribute.as_deref() != Some("outputModel") {
        return None;
    }
    let job = resources.get(target)?;
    let base = match job.addr.kind {
        ResourceKind::SupervisedFineTuningJob => job.spec.get("baseModel"),
        ResourceKind::ReinforcementFineTuningJob => match job.spec.get("trainingConfig") {
            Some(Value::Map(config)) => config.get("baseModel"),
            _ => None,
        },
        _ => None,
    };
    match base {
        Some(Value::String(base)) => Some((base.as_str(), job)),
        _ => None,
    }
}

/// Whether two model (or dataset) names denote the same object: equal, or a bare id equal to
/// the last segment of a full name.
fn same_model(left: &str, right: &str) -> bool {
    let id = |name: &str| name.rsplit('/').next().map(str::to_owned).unwrap_or_default();
    left == right || (!(left.contains('/') && right.contains('/')) && id(left) == id(right))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names() {
        assert!(same_model("accounts/fireworks/models/a", "accounts/fireworks/models/a"));
        assert!(same_model("a", "accounts/fireworks/models/a"));
        assert!(!same_model("accounts/x/models/a", "accounts/fireworks/models/a"));
        assert!(!same_model("accounts/fireworks/models/a", "accounts/fireworks/models/b"));
    }
}

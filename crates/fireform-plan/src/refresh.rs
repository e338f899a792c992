//! Refresh: reading the live account into [`Observed`] with one paginated list per kind, all
//! kinds in parallel, rather than one read per resource.
//!
//! Without a refresh (`--refresh=false`), [`Observed::from_state`] stands in: the recorded
//! objects are taken to be what the account holds. This module decides nothing.

use std::collections::{BTreeMap, BTreeSet};

use fireform_core::ResourceKind;
use fireform_manifest::Manifest;
use fireform_state::StateDocument;
use futures_util::future::join_all;
use serde_json::Value as Json;

use crate::kinds::{self, Catalog};
use crate::plan::{Action, Plan};
use crate::provider::{Object, Provider, ProviderError};

/// The account as read by a refresh: objects per kind, indexed by full name.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    objects: BTreeMap<ResourceKind, Vec<Object>>,
    index: BTreeMap<ResourceKind, BTreeMap<String, usize>>,
    catalog: Option<Catalog>,
    // Models looked up by name (see `probe_models`): whether each exists.
    models: BTreeMap<String, bool>,
    /// Whether this came from the account (`false`: from state, `--refresh=false`).
    pub refreshed: bool,
    /// How many list calls the refresh made (for benchmarks and `--json` diagnostics).
    pub list_calls: usize,
}

impl Observed {
    /// Observations from listed objects.
    pub fn new(
        objects: BTreeMap<ResourceKind, Vec<Object>>,
        catalog: Option<&[Object]>,
    ) -> Observed {
        let index = objects
            .iter()
            .map(|(kind, objects)| {
                let names = objects
                    .iter()
                    .enumerate()
                    .filter_map(|(position, object)| {
                        object
                            .get("name")
                            .and_then(Json::as_str)
                            .map(|name| (name.to_owned(), position))
                    })
                    .collect();
                (*kind, names)
            })
            .collect();
        Observed {
            objects,
            index,
            catalog: catalog.map(Catalog::from_models),
            models: BTreeMap::new(),
            refreshed: true,
            list_calls: 0,
        }
    }

    /// Observations taken from state: each recorded object as last applied, ready.
    pub fn from_state(state: &StateDocument) -> Observed {
        let mut objects: BTreeMap<ResourceKind, Vec<Object>> = BTreeMap::new();
        for recorded in state.resources() {
            let mut object = recorded.spec.clone();
            object.insert("name".to_owned(), Json::String(recorded.remote_name.clone()));
            objects.entry(recorded.kind()).or_default().push(object);
        }
        Observed { refreshed: false, ..Observed::new(objects, None) }
    }

    /// The object of `kind` called `name`.
    pub fn find(&self, kind: ResourceKind, name: &str) -> Option<&Object> {
        let position = *self.index.get(&kind)?.get(name)?;
        self.objects.get(&kind)?.get(position)
    }

    /// Every object of `kind`.
    pub fn objects(&self, kind: ResourceKind) -> &[Object] {
        self.objects.get(&kind).map(Vec::as_slice).unwrap_or_default()
    }

    /// Whether the model `name` exists, if it was looked up.
    pub fn model_exists(&self, name: &str) -> Option<bool> {
        self.models.get(name).copied()
    }

    pub(crate) fn catalog(&self) -> Catalog {
        self.catalog.clone().unwrap_or_default()
    }
}

/// Which kinds to read: those in the manifests or the state.
pub fn kinds_to_refresh(
    manifest: Option<&Manifest>,
    state: &StateDocument,
) -> BTreeSet<ResourceKind> {
    let mut kinds: BTreeSet<ResourceKind> =
        state.resources().map(|resource| resource.kind()).collect();
    // An interrupted create's object may exist although nothing declares or records it.
    kinds.extend(state.intents().keys().map(|addr| addr.kind));
    if let Some(manifest) = manifest {
        kinds.extend(manifest.resources.keys().map(|addr| addr.kind));
    }
    kinds
}

/// Whether resolving the manifests needs the public catalog (`deploymentType` auto or
/// serverless).
pub fn needs_catalog(manifest: &Manifest) -> bool {
    manifest.resources.values().any(|resource| {
        resource.addr.kind == ResourceKind::Deployment
            && matches!(
                resource.spec.get("deploymentType"),
                Some(fireform_core::Value::String(text)) if text != "on-demand"
            )
    })
}

/// Reads every object of `kinds` (one paginated list each, in parallel) and, if asked, the
/// public catalog.
pub async fn refresh<P: Provider>(
    provider: &P,
    kinds: &BTreeSet<ResourceKind>,
    with_catalog: bool,
) -> Result<Observed, ProviderError> {
    let lists =
        join_all(kinds.iter().map(|kind| async move { (*kind, provider.list(*kind).await) }));
    let catalog = async { if with_catalog { Some(provider.list_catalog().await) } else { None } };
    let (lists, catalog) = futures_util::future::join(lists, catalog).await;
    let mut objects = BTreeMap::new();
    for (kind, list) in lists {
        objects.insert(kind, list?);
    }
    let catalog = catalog.transpose()?;
    let mut observed = Observed::new(objects, catalog.as_deref());
    observed.list_calls = kinds.len() + usize::from(with_catalog);
    Ok(observed)
}

/// Only the catalog, for plans made without a refresh.
pub async fn catalog_only<P: Provider>(
    provider: &P,
    state: &StateDocument,
) -> Result<Observed, ProviderError> {
    let catalog = provider.list_catalog().await?;
    let mut observed = Observed::from_state(state);
    observed.catalog = Some(Catalog::from_models(&catalog));
    Ok(observed)
}

/// The output models of the jobs `plan` creates or replaces that were not looked up yet: a job
/// must not write over a model that exists and is not its own, so the plan is made again once
/// [`probe_models`] has looked them up. Empty when nothing new is trained, as in a plan with no
/// changes.
pub fn models_to_probe(plan: &Plan, observed: &Observed) -> BTreeSet<String> {
    plan.changes
        .iter()
        .filter(|change| matches!(change.action, Action::Create | Action::Replace))
        .filter_map(|change| {
            kinds::planned_output(change.addr.kind, &plan.account, change.planned.as_ref()?)
        })
        .filter(|name| name.contains("/models/") && observed.model_exists(name).is_none())
        .collect()
}

/// Looks up each model in `names` (one read each, in parallel) and records whether it exists.
pub async fn probe_models<P: Provider>(
    provider: &P,
    names: &BTreeSet<String>,
    observed: &mut Observed,
) -> Result<(), ProviderError> {
    let found =
        join_all(names.iter().map(|name| async move { (name, provider.model_exists(name).await) }))
            .await;
    for (name, exists) in found {
        observed.models.insert(name.clone(), exists?);
    }
    Ok(())
}

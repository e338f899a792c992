//! The dependency graph of a [`Manifest`]: every reference and every `dependsOn` entry is an
//! edge from the resource that needs something to the resource it needs, labelled with the
//! field that made it.
//!
//! [`build`] refuses cycles, reporting each one as a whole path with the location of every
//! edge. A built [`Graph`] answers what the plan engine asks: a deterministic topological
//! order (dependencies first, ties broken by address), the reverse order for destroy, and the
//! direct or transitive dependencies and dependents of a resource. [`Graph::to_dot`] renders
//! it for `fireform graph`. This crate does no I/O and knows nothing about YAML or the API.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt::Write as _;

use fireform_core::ResourceAddr;
use fireform_manifest::{Diagnostic, Diagnostics, Manifest, Resource, SourceSpan};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// Why one resource depends on another: the field that holds the reference (`spec.dataset`,
/// `spec.trainingConfig.warmStartFrom`) or `dependsOn`, and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeCause {
    /// `spec.<field path>` of the reference, or `dependsOn`.
    pub field: String,
    /// Where the reference or `dependsOn` entry is written.
    pub span: SourceSpan,
}

/// One edge: `from` needs `to` (so `to` is created first and destroyed last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The dependent resource.
    pub from: ResourceAddr,
    /// The resource it depends on.
    pub to: ResourceAddr,
    /// Every field that makes the dependency, in field order (at least one).
    pub causes: Vec<EdgeCause>,
}

impl Edge {
    /// The causes' fields joined with `, `, e.g. `spec.dataset, dependsOn`.
    pub fn label(&self) -> String {
        self.causes.iter().map(|cause| cause.field.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// The acyclic dependency graph of a manifest.
#[derive(Debug, Clone)]
pub struct Graph {
    // Invariant: `graph` is acyclic, its node weights are exactly the keys of `index` in
    // address order (node index order is address order), and its edges were added in
    // (from, to) order.
    graph: DiGraph<ResourceAddr, Edge>,
    index: BTreeMap<ResourceAddr, NodeIndex>,
    // Invariant: every address once, each after everything it depends on.
    order: Vec<ResourceAddr>,
}

/// Builds the graph of `manifest`, or reports every cycle (and any edge to an undeclared
/// resource, which a loaded manifest never has).
pub fn build(manifest: &Manifest) -> Result<Graph, Diagnostics> {
    // Nodes are added in address order, so comparing node indices compares addresses: edges,
    // ties in the topological order and cycle reports all order by index without touching a
    // string.
    let mut graph = DiGraph::with_capacity(manifest.resources.len(), manifest.resources.len());
    let index: BTreeMap<ResourceAddr, NodeIndex> = manifest
        .resources
        .keys()
        .map(|addr| (addr.clone(), graph.add_node(addr.clone())))
        .collect();
    // Edges are found per resource, on every core for large projects, and added in
    // resource order.
    let resources: Vec<&Resource> = manifest.resources.values().collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
    let threads = if resources.len() < PARALLEL_FROM { 1 } else { threads };
    let chunk = resources.len().div_ceil(threads).max(1);
    let found: Vec<Found> = if threads == 1 {
        vec![edges_of(&index, &resources, 0)]
    } else {
        std::thread::scope(|scope| {
            let index = &index;
            let workers: Vec<_> = resources
                .chunks(chunk)
                .enumerate()
                .skip(1)
                .map(|(position, part)| {
                    scope.spawn(move || edges_of(index, part, position * chunk))
                })
                .collect();
            let mut found = vec![edges_of(index, &resources[..chunk.min(resources.len())], 0)];
            for worker in workers {
                match worker.join() {
                    Ok(part) => found.push(part),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            found
        })
    };
    let mut diagnostics = Vec::new();
    for part in found {
        for (from, to, edge) in part.edges {
            graph.add_edge(from, to, edge);
        }
        diagnostics.extend(part.diagnostics);
    }
    diagnostics.extend(cycles(&graph));
    if !diagnostics.is_empty() {
        return Err(Diagnostics::new(diagnostics, manifest.sources.clone()));
    }
    let order = topological_order(&graph);
    Ok(Graph { graph, index, order })
}

/// Projects from this many resources find their edges on several threads.
const PARALLEL_FROM: usize = 2_000;

/// The edges of some resources, in (from, to) order, and the references to undeclared
/// resources among them.
struct Found {
    edges: Vec<(NodeIndex, NodeIndex, Edge)>,
    diagnostics: Vec<Diagnostic>,
}

/// The edges of `resources`, whose first one is node `first`.
fn edges_of(
    index: &BTreeMap<ResourceAddr, NodeIndex>,
    resources: &[&Resource],
    first: usize,
) -> Found {
    let mut found = Found { edges: Vec::new(), diagnostics: Vec::new() };
    // The targets of one resource: (target node, target, cause) in field order, then grouped.
    let mut targets: Vec<(NodeIndex, &ResourceAddr, EdgeCause)> = Vec::new();
    for (position, resource) in resources.iter().enumerate() {
        let from = NodeIndex::new(first + position);
        targets.clear();
        let references = resource.references().into_iter().map(|(path, reference)| {
            let span = resource.value_span(&path);
            (path, &reference.target, span)
        });
        let depends_on = resource.depends_on.iter().enumerate().map(|(position, target)| {
            let span = resource.value_span(&format!("dependsOn[{position}]"));
            ("dependsOn".to_owned(), target, span)
        });
        for (field, target, span) in references.chain(depends_on) {
            match index.get_key_value(target) {
                Some((target, &to)) => targets.push((to, target, EdgeCause { field, span })),
                None => found.diagnostics.push(
                    Diagnostic::error(format!(
                        "`{}` depends on `{target}`, which is not defined",
                        resource.addr
                    ))
                    .with_primary(span, ""),
                ),
            }
        }
        // Stable: the causes of one edge keep their field order.
        targets.sort_by_key(|(to, _, _)| *to);
        let mut pending = targets.drain(..).peekable();
        while let Some((to, target, cause)) = pending.next() {
            let mut causes = vec![cause];
            while let Some((_, _, cause)) = pending.next_if(|(next, _, _)| *next == to) {
                causes.push(cause);
            }
            let edge = Edge { from: resource.addr.clone(), to: target.clone(), causes };
            found.edges.push((from, to, edge));
        }
    }
    found
}

/// Kahn's algorithm over dependencies-first, always taking the smallest ready address (the
/// smallest node index, as nodes are in address order).
fn topological_order(graph: &DiGraph<ResourceAddr, Edge>) -> Vec<ResourceAddr> {
    let mut waiting: Vec<usize> = graph
        .node_indices()
        .map(|node| graph.neighbors_directed(node, petgraph::Direction::Outgoing).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<NodeIndex>> =
        graph.node_indices().filter(|node| waiting[node.index()] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(graph.node_count());
    while let Some(Reverse(node)) = ready.pop() {
        for dependent in graph.neighbors_directed(node, petgraph::Direction::Incoming) {
            let count = &mut waiting[dependent.index()];
            *count -= 1;
            if *count == 0 {
                ready.push(Reverse(dependent));
            }
        }
        order.push(graph[node].clone());
    }
    order
}

/// One diagnostic per strongly connected component that holds a cycle, with the cycle written
/// out from its smallest address.
fn cycles(graph: &DiGraph<ResourceAddr, Edge>) -> Vec<Diagnostic> {
    let mut components: Vec<Vec<NodeIndex>> = tarjan_scc(graph)
        .into_iter()
        .filter(|component| {
            component.len() > 1 || graph.find_edge(component[0], component[0]).is_some()
        })
        .collect();
    for component in &mut components {
        component.sort_by(|left, right| graph[*left].cmp(&graph[*right]));
    }
    components.sort_by(|left, right| graph[left[0]].cmp(&graph[right[0]]));
    components.iter().map(|component| cycle_diagnostic(graph, component)).collect()
}

fn cycle_diagnostic(graph: &DiGraph<ResourceAddr, Edge>, component: &[NodeIndex]) -> Diagnostic {
    let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
    let start = component[0];
    let path = cycle_path(graph, start, &members);
    let mut names: Vec<String> = path.iter().map(|node| graph[*node].to_string()).collect();
    names.push(graph[start].to_string());
    let mut diagnostic = Diagnostic::error(format!("dependency cycle: {}", names.join(" -> ")));
    let mut hops = path.clone();
    hops.push(start);
    for (position, pair) in hops.windows(2).enumerate() {
        let Some(edge) = graph.find_edge(pair[0], pair[1]) else { continue };
        let edge = &graph[edge];
        let cause = &edge.causes[0];
        let message = format!("`{}` needs `{}` here ({})", edge.from, edge.to, cause.field);
        diagnostic = if position == 0 {
            diagnostic.with_primary(cause.span.clone(), message)
        } else {
            diagnostic.with_secondary(cause.span.clone(), message)
        };
    }
    if component.len() > path.len() {
        diagnostic = diagnostic.with_note(format!(
            "{} resources are tangled in this cycle; breaking this path may leave another",
            component.len()
        ));
    }
    diagnostic.with_help(
        "remove one of these references or `dependsOn` entries; resources must be creatable in some order",
    )
}

/// A shortest cycle through `start` inside the component (breadth-first, smallest addresses
/// first), as the list of nodes from `start` up to the one that closes the cycle.
fn cycle_path(
    graph: &DiGraph<ResourceAddr, Edge>,
    start: NodeIndex,
    members: &BTreeSet<NodeIndex>,
) -> Vec<NodeIndex> {
    let mut parent: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let sorted_successors = |node: NodeIndex| {
        let mut successors: Vec<NodeIndex> = graph
            .neighbors_directed(node, petgraph::Direction::Outgoing)
            .filter(|next| members.contains(next))
            .collect();
        successors.sort_by(|left, right| graph[*left].cmp(&graph[*right]));
        successors.dedup();
        successors
    };
    while let Some(node) = queue.pop_front() {
        for next in sorted_successors(node) {
            if next == start {
                let mut path = vec![node];
                let mut current = node;
                while let Some(&previous) = parent.get(&current) {
                    path.push(previous);
                    current = previous;
                }
                path.reverse();
                return path;
            }
            if next != start && !parent.contains_key(&next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    vec![start]
}

impl Graph {
    /// Every address, dependencies before dependents; among resources free to go at the same
    /// time, the smaller address first. This is the create order.
    pub fn order(&self) -> &[ResourceAddr] {
        &self.order
    }

    /// The destroy order: dependents before what they depend on (the reverse of
    /// [`Graph::order`]).
    pub fn destroy_order(&self) -> Vec<ResourceAddr> {
        self.order.iter().rev().cloned().collect()
    }

    /// How many resources the graph holds.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Whether `addr` is in the graph.
    pub fn contains(&self, addr: &ResourceAddr) -> bool {
        self.index.contains_key(addr)
    }

    /// Every edge, ordered by (from, to).
    pub fn edges(&self) -> Vec<&Edge> {
        // `build` adds the edges in (from, to) order and never removes one.
        self.graph.edge_weights().collect()
    }

    /// The resources `addr` depends on directly, by address.
    pub fn dependencies(&self, addr: &ResourceAddr) -> BTreeSet<&ResourceAddr> {
        self.neighbors(addr, petgraph::Direction::Outgoing)
    }

    /// The resources that depend on `addr` directly, by address.
    pub fn dependents(&self, addr: &ResourceAddr) -> BTreeSet<&ResourceAddr> {
        self.neighbors(addr, petgraph::Direction::Incoming)
    }

    /// Everything `addr` depends on, directly or through others.
    pub fn all_dependencies(&self, addr: &ResourceAddr) -> BTreeSet<&ResourceAddr> {
        self.reachable(addr, petgraph::Direction::Outgoing)
    }

    /// Everything that depends on `addr`, directly or through others: what a failure of
    /// `addr` stops, and what must go before `addr` is destroyed.
    pub fn all_dependents(&self, addr: &ResourceAddr) -> BTreeSet<&ResourceAddr> {
        self.reachable(addr, petgraph::Direction::Incoming)
    }

    /// The edge from `from` to `to`, if `from` depends on `to` directly.
    pub fn edge(&self, from: &ResourceAddr, to: &ResourceAddr) -> Option<&Edge> {
        let edge = self.graph.find_edge(*self.index.get(from)?, *self.index.get(to)?)?;
        Some(&self.graph[edge])
    }

    fn neighbors(
        &self,
        addr: &ResourceAddr,
        direction: petgraph::Direction,
    ) -> BTreeSet<&ResourceAddr> {
        let Some(&node) = self.index.get(addr) else { return BTreeSet::new() };
        self.graph.neighbors_directed(node, direction).map(|next| &self.graph[next]).collect()
    }

    fn reachable(
        &self,
        addr: &ResourceAddr,
        direction: petgraph::Direction,
    ) -> BTreeSet<&ResourceAddr> {
        let mut found = BTreeSet::new();
        let Some(&node) = self.index.get(addr) else { return found };
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            for next in self.graph.neighbors_directed(node, direction) {
                if found.insert(&self.graph[next]) {
                    stack.push(next);
                }
            }
        }
        found
    }

    /// The graph in Graphviz DOT: one node per resource in address order, one edge per
    /// dependency from dependent to dependency, labelled with the fields that make it.
    pub fn to_dot(&self) -> String {
        let mut dot =
            String::from("digraph fireform {\n  rankdir = \"LR\";\n  node [shape = \"box\"];\n");
        for addr in self.index.keys() {
            let _ = writeln!(dot, "  \"{addr}\";");
        }
        for edge in self.edges() {
            let _ = writeln!(
                dot,
                "  \"{}\" -> \"{}\" [label = \"{}\"];",
                edge.from,
                edge.to,
                edge.label()
            );
        }
        dot.push_str("}\n");
        dot
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use fireform_manifest::{RenderOptions, load_str};

    use super::*;

    fn graph(text: &str) -> Result<Graph, String> {
        let manifest = load_str(Path::new("main.yaml"), text)
            .map_err(|diagnostics| diagnostics.render(RenderOptions::default()))?;
        build(&manifest).map_err(|diagnostics| diagnostics.render(RenderOptions::default()))
    }

    fn dataset(name: &str, depends_on: &[&str]) -> String {
        format!(
            "kind: Dataset\nname: {name}\nspec:\n  existing: {name}\ndependsOn: [{}]\n---\n",
            depends_on.join(", ")
        )
    }

    fn addr(text: &str) -> ResourceAddr {
        text.parse().unwrap()
    }

    #[test]
    fn order_is_topological_with_ties_by_address() {
        let text = [
            dataset("d", &["dataset/b"]),
            dataset("c", &[]),
            dataset("b", &[]),
            dataset("a", &["dataset/d"]),
        ]
        .concat();
        let graph = graph(&text).unwrap();
        let order: Vec<String> = graph.order().iter().map(ToString::to_string).collect();
        assert_eq!(order, ["dataset/b", "dataset/c", "dataset/d", "dataset/a"]);
        let destroy: Vec<String> = graph.destroy_order().iter().map(ToString::to_string).collect();
        assert_eq!(destroy, ["dataset/a", "dataset/d", "dataset/c", "dataset/b"]);
        assert_eq!(graph.dependencies(&addr("dataset/a")), BTreeSet::from([&addr("dataset/d")]));
        assert_eq!(
            graph.all_dependencies(&addr("dataset/a")),
            BTreeSet::from([&addr("dataset/d"), &addr("dataset/b")])
        );
        assert_eq!(
            graph.all_dependents(&addr("dataset/b")),
            BTreeSet::from([&addr("dataset/d"), &addr("dataset/a")])
        );
        assert!(graph.dependents(&addr("dataset/c")).is_empty());
    }

    #[test]
    fn cycles_are_reported_as_paths() {
        let text = [
            dataset("a", &["dataset/b"]),
            dataset("b", &["dataset/c"]),
            dataset("c", &["dataset/a"]),
            dataset("self", &["dataset/self"]),
        ]
        .concat();
        let rendered = graph(&text).unwrap_err();
        assert!(
            rendered.contains(
                "error: dependency cycle: dataset/a -> dataset/b -> dataset/c -> dataset/a"
            ),
            "{rendered}"
        );
        assert!(
            rendered.contains("error: dependency cycle: dataset/self -> dataset/self"),
            "{rendered}"
        );
    }

    /// Builds the graph of the documents, written 500 to a file (a file holds at most 1024).
    fn graph_of_files(documents: &[String]) -> Result<Graph, String> {
        let dir = tempfile::tempdir().unwrap();
        for (number, part) in documents.chunks(500).enumerate() {
            std::fs::write(dir.path().join(format!("part-{number:03}.yaml")), part.concat())
                .unwrap();
        }
        let manifest = fireform_manifest::load(&[dir.path().to_path_buf()])
            .map_err(|diagnostics| diagnostics.render(RenderOptions::default()))?;
        build(&manifest).map_err(|diagnostics| diagnostics.render(RenderOptions::default()))
    }

    #[test]
    fn large_graphs_are_built_in_parallel_with_the_same_result() {
        let count = PARALLEL_FROM + 500;
        let name = |index: usize| format!("d{index:05}");
        let mut chain: Vec<String> = (0..count)
            .map(|index| match index {
                0 => dataset(&name(index), &[]),
                _ => dataset(&name(index), &[&format!("dataset/{}", name(index - 1))]),
            })
            .collect();
        let built = graph_of_files(&chain).unwrap();
        assert_eq!(built.len(), count);
        let edges = built.edges();
        assert_eq!(edges.len(), count - 1);
        assert!(
            edges
                .windows(2)
                .all(|pair| (&pair[0].from, &pair[0].to) < (&pair[1].from, &pair[1].to))
        );
        let order: Vec<String> = built.order().iter().map(|addr| addr.name.clone()).collect();
        assert_eq!(order, (0..count).map(name).collect::<Vec<_>>());

        // A cycle through resources found on different threads is still one whole path.
        chain[0] = dataset(&name(0), &[&format!("dataset/{}", name(count - 1))]);
        let rendered = graph_of_files(&chain).unwrap_err();
        let path = format!(
            "error: dependency cycle: dataset/d00000 -> dataset/{} -> dataset/{} -> ",
            name(count - 1),
            name(count - 2)
        );
        assert!(rendered.contains(&path), "{}", &rendered[..300]);
        assert!(rendered.contains("-> dataset/d00001 -> dataset/d00000\n"));
    }

    #[test]
    fn dot_is_deterministic_and_labelled() {
        let text = "kind: Dataset\nname: chats\nspec: {rows: [{a: 1}]}\n---\nkind: SupervisedFineTuningJob\nname: tune\nspec:\n  dataset: ${dataset/chats}\n  evaluationDataset: ${dataset/chats}\n  baseModel: accounts/fireworks/models/m\ndependsOn: [dataset/chats]\n";
        insta::assert_snapshot!(graph(text).unwrap().to_dot(), @r#"
        digraph fireform {
          rankdir = "LR";
          node [shape = "box"];
          "dataset/chats";
          "supervised-fine-tuning-job/tune";
          "supervised-fine-tuning-job/tune" -> "dataset/chats" [label = "spec.dataset, spec.evaluationDataset, dependsOn"];
        }
        "#);
    }
}

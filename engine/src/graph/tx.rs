//! A read-your-writes transaction over a graph snapshot.
//!
//! The snapshot is shared until the first write, which takes a private copy. At the end,
//! [`Tx::finish`] diffs the touched entities against the snapshot: that diff is both the commit
//! payload and the statistics, so `stats` follow the TCK's observability rules by construction
//! (a change that a later query cannot observe is not counted).
use super::{Graph, IndexDef, NodeData, NodeId, Properties, RelData, RelId, Value};
use std::collections::BTreeSet;
use std::fmt;
use std::rc::Rc;

/// What a committed query changed, as the HTTP contract reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub nodes_created: u64,
    pub nodes_deleted: u64,
    pub relationships_created: u64,
    pub relationships_deleted: u64,
    pub labels_added: u64,
    pub labels_removed: u64,
    pub properties_set: u64,
    pub properties_removed: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TxError {
    /// `DELETE` of a node that still has relationships.
    NodeHasRelationships(NodeId),
    /// A value that cannot be a property (a map, a node, a mixed list).
    InvalidProperty { key: String, type_name: &'static str },
    /// Two nodes hold equal values under a uniqueness constraint.
    Uniqueness { constraint: String, label: String, property: String, nodes: (NodeId, NodeId) },
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxError::NodeHasRelationships(id) => {
                write!(f, "cannot delete node {id} because it still has relationships; use DETACH DELETE")
            }
            TxError::InvalidProperty { key, type_name } => {
                write!(f, "property `{key}` cannot hold a value of type {type_name}")
            }
            TxError::Uniqueness { constraint, label, property, nodes } => write!(
                f,
                "nodes {} and {} both have label `{label}` and the same `{property}`, which constraint `{constraint}` requires to be unique",
                nodes.0, nodes.1
            ),
        }
    }
}

pub struct Tx {
    base: Rc<Graph>,
    graph: Rc<Graph>,
    touched_nodes: BTreeSet<NodeId>,
    touched_rels: BTreeSet<RelId>,
    touched_schema: BTreeSet<String>,
}

/// The outcome of a transaction: what to commit (nothing for a read-only one) and its effects.
pub struct Finished {
    pub payload: Option<Vec<u8>>,
    /// The graph after the transaction: the snapshot itself when nothing was written (no copy).
    pub graph: Rc<Graph>,
    pub stats: Stats,
}

impl Tx {
    pub fn new(base: Rc<Graph>) -> Self {
        Tx {
            graph: base.clone(),
            base,
            touched_nodes: BTreeSet::new(),
            touched_rels: BTreeSet::new(),
            touched_schema: BTreeSet::new(),
        }
    }

    /// The graph as this transaction sees it.
    /// The graph as it was when the transaction began.
    pub fn base(&self) -> &Graph {
        &self.base
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    fn write(&mut self) -> &mut Graph {
        Rc::make_mut(&mut self.graph)
    }

    pub fn create_node(&mut self, labels: BTreeSet<String>, props: Properties) -> Result<NodeId, TxError> {
        let props = storable(props)?;
        let g = self.write();
        let id = g.allocate_node();
        g.put_node(id, Some(NodeData { labels, props }));
        self.touched_nodes.insert(id);
        Ok(id)
    }

    pub fn create_rel(
        &mut self,
        rel_type: &str,
        start: NodeId,
        end: NodeId,
        props: Properties,
    ) -> Result<RelId, TxError> {
        let props = storable(props)?;
        let g = self.write();
        let id = g.allocate_rel();
        g.put_rel(id, Some(RelData { rel_type: rel_type.to_string(), start, end, props }));
        self.touched_rels.insert(id);
        Ok(id)
    }

    /// Sets (or with `Value::Null` removes) a property of a live node; deleted nodes are ignored.
    pub fn set_node_property(&mut self, id: NodeId, key: &str, value: Value) -> Result<(), TxError> {
        check_storable(key, &value)?;
        let Some(mut data) = self.graph.node(id).cloned() else {
            return Ok(());
        };
        set_or_remove(&mut data.props, key, value);
        self.write().put_node(id, Some(data));
        self.touched_nodes.insert(id);
        Ok(())
    }

    pub fn set_rel_property(&mut self, id: RelId, key: &str, value: Value) -> Result<(), TxError> {
        check_storable(key, &value)?;
        let Some(mut data) = self.graph.rel(id).cloned() else {
            return Ok(());
        };
        set_or_remove(&mut data.props, key, value);
        self.write().put_rel(id, Some(data));
        self.touched_rels.insert(id);
        Ok(())
    }

    pub fn set_labels(&mut self, id: NodeId, labels: &[String], add: bool) {
        let Some(mut data) = self.graph.node(id).cloned() else {
            return;
        };
        for l in labels {
            if add {
                data.labels.insert(l.clone());
            } else {
                data.labels.remove(l);
            }
        }
        self.write().put_node(id, Some(data));
        self.touched_nodes.insert(id);
    }

    pub fn delete_rel(&mut self, id: RelId) {
        if self.graph.rel(id).is_some() {
            self.write().put_rel(id, None);
            self.touched_rels.insert(id);
        }
    }

    /// Deletes a node; with `detach` its relationships go too. Without, relationships are
    /// left for the same query to delete: [`Tx::check`] rejects any still dangling at the end.
    pub fn delete_node(&mut self, id: NodeId, detach: bool) {
        if detach {
            let rels: Vec<RelId> = self.graph.outgoing(id).chain(self.graph.incoming(id)).collect();
            rels.into_iter().for_each(|r| self.delete_rel(r));
        }
        if self.graph.node(id).is_some() {
            self.write().put_node(id, None);
            self.touched_nodes.insert(id);
        }
    }

    /// Creates (`Some`) or drops (`None`) index `name`; a new one indexes the nodes already there.
    pub fn set_index(&mut self, name: &str, def: Option<IndexDef>) {
        self.write().put_schema(name, def);
        self.touched_schema.insert(name.to_string());
    }

    /// The end-of-query invariants: no deleted node keeps a relationship, and no two nodes
    /// break a uniqueness constraint (checked for the nodes this transaction touched, and for
    /// every node of a constraint it created).
    pub fn check(&self) -> Result<(), TxError> {
        if let Some(&n) = self.touched_nodes.iter().find(|&&n| self.graph.node(n).is_none() && self.graph.degree(n) > 0)
        {
            return Err(TxError::NodeHasRelationships(n));
        }
        let g = &self.graph;
        for (name, def) in g.schema().iter().filter(|(_, d)| d.unique) {
            let new = self.touched_schema.contains(name);
            let nodes: Vec<NodeId> = if new {
                g.nodes_with_label(&def.label).collect()
            } else {
                self.touched_nodes.iter().copied().collect()
            };
            for id in nodes {
                let Some(value) =
                    g.node(id).filter(|n| n.labels.contains(&def.label)).and_then(|n| n.props.get(&def.property))
                else {
                    continue;
                };
                let clash = g.index_candidates(name, value).into_iter().find(|&other| {
                    other != id
                        && g.node(other).and_then(|o| o.props.get(&def.property)).and_then(|v| v.cypher_eq(value))
                            == Some(true)
                });
                if let Some(other) = clash {
                    return Err(TxError::Uniqueness {
                        constraint: name.clone(),
                        label: def.label.clone(),
                        property: def.property.clone(),
                        nodes: (id.min(other), id.max(other)),
                    });
                }
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Finished {
        let (base, graph) = (&self.base, &self.graph);
        let mut stats = Stats::default();
        let mut labels_before = BTreeSet::new();
        let mut labels_after = BTreeSet::new();
        for &id in &self.touched_nodes {
            let (before, after) = (base.node(id), graph.node(id));
            match (before, after) {
                (None, Some(_)) => stats.nodes_created += 1,
                (Some(_), None) => stats.nodes_deleted += 1,
                _ => {}
            }
            let (pb, pa) = (before.map(|n| &n.props), after.map(|n| &n.props));
            count_props(&mut stats, pb, pa);
            before.into_iter().for_each(|n| labels_before.extend(n.labels.iter()));
            after.into_iter().for_each(|n| labels_after.extend(n.labels.iter()));
        }
        stats.labels_added = labels_after.iter().filter(|l| !base.label_in_use(l)).count() as u64;
        stats.labels_removed = labels_before.iter().filter(|l| !graph.label_in_use(l)).count() as u64;
        for &id in &self.touched_rels {
            let (before, after) = (base.rel(id), graph.rel(id));
            match (before, after) {
                (None, Some(_)) => stats.relationships_created += 1,
                (Some(_), None) => stats.relationships_deleted += 1,
                _ => {}
            }
            count_props(&mut stats, before.map(|r| &r.props), after.map(|r| &r.props));
        }
        let wrote = !self.touched_nodes.is_empty() || !self.touched_rels.is_empty() || !self.touched_schema.is_empty();
        let payload = wrote
            .then(|| graph.encode(self.touched_nodes.iter(), self.touched_rels.iter(), self.touched_schema.iter()));
        Finished { payload, graph: self.graph, stats }
    }
}

/// Properties are (entity, key, value) triples: a changed value is one removal and one set.
fn count_props(stats: &mut Stats, before: Option<&Properties>, after: Option<&Properties>) {
    let empty = Properties::new();
    let (b, a) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
    stats.properties_set += a.iter().filter(|(k, v)| b.get(*k) != Some(*v)).count() as u64;
    stats.properties_removed += b.iter().filter(|(k, v)| a.get(*k) != Some(*v)).count() as u64;
}

fn set_or_remove(props: &mut Properties, key: &str, value: Value) {
    if value.is_null() {
        props.remove(key);
    } else {
        props.insert(key.to_string(), value);
    }
}

fn check_storable(key: &str, value: &Value) -> Result<(), TxError> {
    if value.is_storable() {
        Ok(())
    } else {
        Err(TxError::InvalidProperty { key: key.to_string(), type_name: value.type_name() })
    }
}

/// Drops null-valued entries (a null property is an absent one) and rejects unstorable values.
fn storable(props: Properties) -> Result<Properties, TxError> {
    props.iter().try_for_each(|(k, v)| check_storable(k, v))?;
    Ok(props.into_iter().filter(|(_, v)| !v.is_null()).collect())
}

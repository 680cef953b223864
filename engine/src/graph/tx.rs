//! A read-your-writes transaction over a version's state.
//!
//! Writes go into a layer of entries over the state (nothing is copied), each node or
//! relationship together with the label, adjacency and index entries derived from it. At the
//! end, the touched entities are diffed against the state: that diff is both the statistics
//! ([`Tx::stats`]), so they follow the TCK's observability rules by construction (a change that
//! a later query cannot observe is not counted), and the commit payload ([`Tx::commit`]).
//!
//! Invariant: the entries a transaction commits are exactly those every replica works out
//! from its payload ([`GraphModel::changes`](super::GraphModel)). When each entity was written
//! once (and no index), the live writes are that already: each was one diff of the entity's
//! state in the base against its final state, by the same code a replica runs.
use super::{
    kv, Change, Decoded, Graph, IndexDef, NodeData, NodeId, Properties, RelData, RelId, Schema, Touched, Value,
};
use crate::storage::codec::Writer;
use crate::storage::{Layer, Reads, State};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

/// A key and its value (`None`: deleted), as a [`Layer`] holds them.
type Entry = (Vec<u8>, Option<Vec<u8>>);

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

pub struct Tx<'a> {
    state: &'a State,
    reads: &'a Reads,
    /// Every entry this transaction set or deleted, over `state`, but those still in `log`.
    writes: Layer,
    /// The entries of entities created since the writes were last read, none of whose keys
    /// is in `writes`: moved in together before anything reads the writes ([`Tx::graph`]), so
    /// that a bulk load sorts its entries once instead of searching `writes` for each. By
    /// their keys' first byte (their kind: nodes, labels, index entries, …), in the order they
    /// were written, which within a kind is mostly key order (ids grow): sorting them is then
    /// little more than checking that.
    log: BTreeMap<u8, Vec<Entry>>,
    base_schema: Schema,
    schema: Schema,
    base_counters: (NodeId, RelId),
    next_node: NodeId,
    next_rel: RelId,
    /// The nodes and relationships written, in their current states.
    touched: Touched,
    touched_schema: BTreeSet<String>,
    /// Whether an entity was written more than once, or an index at all: then the live
    /// writes may hold intermediate states' entries (e.g. the tombstones of a node created and
    /// deleted), and what to commit is worked out again from the net changes.
    rewrote: bool,
    decoded: Decoded,
}

/// What a transaction that wrote commits.
pub struct Commit {
    pub payload: Vec<u8>,
    /// The entries the payload changes: exactly what [`GraphModel::changes`] works out from it,
    /// so every handle that applies the record holds the same entries.
    ///
    /// [`GraphModel::changes`]: super::GraphModel
    pub entries: Layer,
}

impl<'a> Tx<'a> {
    pub fn new(state: &'a State, reads: &'a Reads) -> Self {
        let schema = super::read_schema(state, reads);
        let counters = Graph::new(state, reads, None, &schema).counters();
        Tx {
            state,
            reads,
            writes: Layer::new(),
            log: BTreeMap::new(),
            base_schema: schema.clone(),
            schema,
            base_counters: counters,
            next_node: counters.0,
            next_rel: counters.1,
            touched: Touched::default(),
            touched_schema: BTreeSet::new(),
            rewrote: false,
            decoded: Decoded::default(),
        }
    }

    /// Whether a read so far met a block not in memory: then the run is thrown away and
    /// run again once the blocks are fetched ([`Reads::incomplete`]).
    pub fn incomplete(&self) -> bool {
        self.reads.incomplete()
    }

    /// The graph as it was when the transaction began.
    pub fn base(&self) -> Graph<'_> {
        Graph::new(self.state, self.reads, None, &self.base_schema).with_decoded(&self.decoded)
    }

    /// The graph as this transaction sees it.
    pub fn graph(&mut self) -> Graph<'_> {
        self.settle();
        self.view()
    }

    /// The graph as this transaction sees it, and as it was when it began ([`Tx::base`]).
    pub fn graphs(&mut self) -> (Graph<'_>, Graph<'_>) {
        self.settle();
        (self.view(), self.base())
    }

    /// The graph as this transaction sees it, provided the log is settled.
    fn view(&self) -> Graph<'_> {
        Graph::new(self.state, self.reads, Some(&self.writes), &self.schema)
            .with_decoded(&self.decoded)
            .with_touched(&self.touched)
    }

    /// Moves the log into the writes: one by one if they are many more, else sorted at once
    /// (and merged in one pass), so that settling often costs no more than inserting each.
    fn settle(&mut self) {
        let logged: usize = self.log.values().map(Vec::len).sum();
        let kinds = std::mem::take(&mut self.log).into_values();
        if logged < self.writes.len() / 16 {
            kinds.flatten().for_each(|(k, v)| drop(self.writes.insert(k, v)));
        } else if logged > 0 {
            let mut sorted = Vec::with_capacity(logged);
            for mut kind in kinds {
                kind.sort_by(|a, b| a.0.cmp(&b.0));
                sorted.append(&mut kind);
            }
            self.writes.append(&mut sorted.into_iter().collect());
        }
    }

    /// Adds a new entity's entries to the log.
    fn log(&mut self, entries: Vec<Entry>) {
        for (k, v) in entries {
            self.log.entry(k.first().copied().unwrap_or_default()).or_default().push((k, v));
        }
    }

    fn write(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.writes.insert(key, value);
    }

    /// Sets a node's state (`None` deletes it) with its label and index entries.
    fn put_node(&mut self, id: NodeId, new: Option<Rc<NodeData>>) {
        let known_absent = id > self.base_counters.0 && !self.touched.nodes.contains_key(&id);
        let old = if known_absent { None } else { self.graph().node(id) };
        let (old, new_ref) = (old.as_deref(), new.as_deref());
        let (old_labels, new_labels) = (old.map(|n| &n.labels), new_ref.map(|n| &n.labels));
        let mut entries = Vec::new();
        for l in old_labels.into_iter().flatten().filter(|l| !new_labels.is_some_and(|s| s.contains(*l))) {
            entries.push((kv::label_key(l, id), None));
        }
        for l in new_labels.into_iter().flatten().filter(|l| !old_labels.is_some_and(|s| s.contains(*l))) {
            entries.push((kv::label_key(l, id), Some(Vec::new())));
        }
        for (name, def) in &self.schema {
            let (before, after) = (index_entry(name, def, id, old), index_entry(name, def, id, new_ref));
            if before != after {
                entries.extend(before.map(|k| (k, None)));
                entries.extend(after.map(|k| (k, Some(Vec::new()))));
            }
        }
        entries.push((kv::node_key(id), new_ref.map(kv::node_value)));
        // A new node's keys all hold its id, which no entry written before holds.
        match known_absent {
            true => self.log(entries),
            false => entries.into_iter().for_each(|(k, v)| self.write(k, v)),
        }
        self.next_node = self.next_node.max(id);
        self.rewrote |= self.touched.nodes.insert(id, new).is_some();
    }

    /// Sets a relationship's state (`None` deletes it) with its adjacency entries.
    fn put_rel(&mut self, id: RelId, new: Option<Rc<RelData>>) {
        let known_absent = id > self.base_counters.1 && !self.touched.rels.contains_key(&id);
        let old = if known_absent { None } else { self.graph().rel(id) };
        // A relationship's type and endpoints never change, so only its creation and its
        // deletion touch adjacency.
        let mut entries = Vec::with_capacity(3);
        match (old.as_deref(), new.as_deref()) {
            (None, Some(r)) => {
                for outgoing in [true, false] {
                    let (k, v) = kv::adjacency(outgoing, id, r);
                    entries.push((k, Some(v)));
                }
            }
            (Some(r), None) => {
                for outgoing in [true, false] {
                    entries.push((kv::adjacency(outgoing, id, r).0, None));
                }
            }
            _ => {}
        }
        entries.push((kv::rel_key(id), new.as_deref().map(kv::rel_value)));
        // A new relationship's keys all hold its id, which no entry written before holds.
        match known_absent {
            true => self.log(entries),
            false => entries.into_iter().for_each(|(k, v)| self.write(k, v)),
        }
        self.next_rel = self.next_rel.max(id);
        self.rewrote |= self.touched.rels.insert(id, new).is_some();
    }

    /// Creates (`Some`) or drops (`None`) index `name`; a new one indexes the nodes already there.
    fn put_schema(&mut self, name: &str, def: Option<IndexDef>) {
        self.settle();
        let stale = self.view().scan(&kv::index_prefix(name));
        stale.into_iter().for_each(|(k, _)| self.write(k, None));
        self.schema.remove(name);
        self.write(kv::schema_key(name), def.as_ref().map(kv::schema_value));
        if let Some(def) = def {
            let g = self.view();
            let entries: Vec<Vec<u8>> = g
                .nodes_with_label(&def.label)
                .into_iter()
                .filter_map(|id| index_entry(name, &def, id, g.node(id).as_deref()))
                .collect();
            entries.into_iter().for_each(|k| self.write(k, Some(Vec::new())));
            self.schema.insert(name.to_string(), def);
        }
        self.touched_schema.insert(name.to_string());
        self.rewrote = true;
    }

    /// Applies a commit payload's changes (what a replica does with a record).
    pub(crate) fn apply_payload(&mut self, payload: &[u8]) -> Result<(), crate::storage::Error> {
        let (next_node, next_rel, changes) = super::decode_payload(payload)?;
        for change in changes {
            match change {
                Change::Node(id, data) => self.put_node(id, data.map(Rc::new)),
                Change::Rel(id, data) => self.put_rel(id, data.map(Rc::new)),
                Change::Index(name, def) => self.put_schema(&name, def),
            }
        }
        self.next_node = self.next_node.max(next_node);
        self.next_rel = self.next_rel.max(next_rel);
        Ok(())
    }

    /// The entries written, with the counters if they moved.
    pub(crate) fn into_writes(mut self) -> Layer {
        self.settle();
        if (self.next_node, self.next_rel) != self.base_counters {
            self.writes.insert(kv::counters_key(), Some(kv::counters_value(self.next_node, self.next_rel)));
        }
        self.writes
    }

    pub fn create_node(&mut self, labels: BTreeSet<String>, props: Properties) -> Result<NodeId, TxError> {
        let props = storable(props)?;
        let id = self.next_node + 1;
        self.put_node(id, Some(Rc::new(NodeData { labels, props })));
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
        let id = self.next_rel + 1;
        self.put_rel(id, Some(Rc::new(RelData { rel_type: rel_type.to_string(), start, end, props })));
        Ok(id)
    }

    /// Sets (or with `Value::Null` removes) a property of a live node; deleted nodes are ignored.
    pub fn set_node_property(&mut self, id: NodeId, key: &str, value: Value) -> Result<(), TxError> {
        check_storable(key, &value)?;
        let Some(mut data) = self.graph().node(id).map(Rc::unwrap_or_clone) else {
            return Ok(());
        };
        set_or_remove(&mut data.props, key, value);
        self.put_node(id, Some(Rc::new(data)));
        Ok(())
    }

    pub fn set_rel_property(&mut self, id: RelId, key: &str, value: Value) -> Result<(), TxError> {
        check_storable(key, &value)?;
        let Some(mut data) = self.graph().rel(id).map(Rc::unwrap_or_clone) else {
            return Ok(());
        };
        set_or_remove(&mut data.props, key, value);
        self.put_rel(id, Some(Rc::new(data)));
        Ok(())
    }

    pub fn set_labels(&mut self, id: NodeId, labels: &[String], add: bool) {
        let Some(mut data) = self.graph().node(id).map(Rc::unwrap_or_clone) else {
            return;
        };
        for l in labels {
            if add {
                data.labels.insert(l.clone());
            } else {
                data.labels.remove(l);
            }
        }
        self.put_node(id, Some(Rc::new(data)));
    }

    pub fn delete_rel(&mut self, id: RelId) {
        if self.graph().rel(id).is_some() {
            self.put_rel(id, None);
        }
    }

    /// Deletes a node; with `detach` its relationships go too. Without, relationships are
    /// left for the same query to delete: [`Tx::check`] rejects any still dangling at the end.
    pub fn delete_node(&mut self, id: NodeId, detach: bool) {
        if detach {
            let g = self.graph();
            let rels: Vec<RelId> = g.outgoing(id).into_iter().chain(g.incoming(id)).collect();
            rels.into_iter().for_each(|r| self.delete_rel(r));
        }
        if self.graph().node(id).is_some() {
            self.put_node(id, None);
        }
    }

    /// Creates (`Some`) or drops (`None`) index `name`; a new one indexes the nodes already there.
    pub fn set_index(&mut self, name: &str, def: Option<IndexDef>) {
        self.put_schema(name, def);
    }

    /// The end-of-query invariants: no deleted node keeps a relationship, and no two nodes
    /// break a uniqueness constraint (checked for the nodes this transaction touched, and for
    /// every node of a constraint it created).
    pub fn check(&mut self) -> Result<(), TxError> {
        self.settle();
        let g = self.view();
        let deleted = self.touched.nodes.iter().filter(|(_, n)| n.is_none()).map(|(&id, _)| id);
        if let Some(n) = deleted.into_iter().find(|&n| g.degree(n) > 0) {
            return Err(TxError::NodeHasRelationships(n));
        }
        for (name, def) in g.schema().iter().filter(|(_, d)| d.unique) {
            let new = self.touched_schema.contains(name);
            let nodes: Vec<NodeId> =
                if new { g.nodes_with_label(&def.label) } else { self.touched.nodes.keys().copied().collect() };
            for id in nodes {
                let Some(value) = g
                    .node(id)
                    .filter(|n| n.labels.contains(&def.label))
                    .and_then(|n| n.props.get(&def.property).cloned())
                else {
                    continue;
                };
                let clash = g.index_candidates(name, &value).into_iter().find(|&other| {
                    other != id
                        && g.node(other).and_then(|o| o.props.get(&def.property).and_then(|v| v.cypher_eq(&value)))
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

    /// What the transaction changed, as the response reports it.
    pub fn stats(&mut self) -> Stats {
        self.settle();
        let base = self.base();
        let mut stats = Stats::default();
        let mut labels_before: BTreeSet<String> = BTreeSet::new();
        let mut labels_after: BTreeSet<&str> = BTreeSet::new();
        for (&id, after) in &self.touched.nodes {
            let before = if id > self.base_counters.0 { None } else { base.node(id) };
            match (&before, after) {
                (None, Some(_)) => stats.nodes_created += 1,
                (Some(_), None) => stats.nodes_deleted += 1,
                _ => {}
            }
            count_props(&mut stats, before.as_ref().map(|n| &n.props), after.as_ref().map(|n| &n.props));
            before.into_iter().for_each(|n| labels_before.extend(n.labels.iter().cloned()));
            after.iter().for_each(|n| labels_after.extend(n.labels.iter().map(String::as_str)));
        }
        let graph = self.view();
        stats.labels_added = labels_after.iter().filter(|l| !base.label_in_use(l)).count() as u64;
        stats.labels_removed = labels_before.iter().filter(|l| !graph.label_in_use(l)).count() as u64;
        for (&id, after) in &self.touched.rels {
            let before = if id > self.base_counters.1 { None } else { base.rel(id) };
            match (&before, after) {
                (None, Some(_)) => stats.relationships_created += 1,
                (Some(_), None) => stats.relationships_deleted += 1,
                _ => {}
            }
            count_props(&mut stats, before.as_ref().map(|r| &r.props), after.as_ref().map(|r| &r.props));
        }
        stats
    }

    /// The commit payload and its entries; `None` if the transaction wrote nothing. The live
    /// writes are the entries when they already are what replicas work out (the storage
    /// engine copies them into one block, [`crate::storage::Database::commit`]).
    pub fn commit(self) -> Option<Commit> {
        let wrote = !self.touched.nodes.is_empty() || !self.touched.rels.is_empty() || !self.touched_schema.is_empty();
        if !wrote {
            return None;
        }
        let payload = self.encode_payload();
        let entries = if self.rewrote { self.replayed() } else { self.into_writes() };
        Some(Commit { payload, entries })
    }

    /// The entries a replica works out from this transaction's payload: its net changes
    /// applied to the state it began on, as [`Tx::apply_payload`] applies them (the live writes
    /// may differ by tombstones, e.g. of a node created and deleted in one transaction).
    fn replayed(&self) -> Layer {
        let mut replica = Tx::new(self.state, self.reads);
        for name in &self.touched_schema {
            replica.put_schema(name, self.schema.get(name).cloned());
        }
        for (&id, node) in &self.touched.nodes {
            replica.put_node(id, node.clone());
        }
        for (&id, rel) in &self.touched.rels {
            replica.put_rel(id, rel.clone());
        }
        replica.next_node = replica.next_node.max(self.next_node);
        replica.next_rel = replica.next_rel.max(self.next_rel);
        replica.into_writes()
    }

    /// The payload: counters, then the touched indexes', nodes' and relationships' final states.
    fn encode_payload(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.varint(self.next_node);
        w.varint(self.next_rel);
        for name in &self.touched_schema {
            super::encode_index(&mut w, name, self.schema.get(name));
        }
        for (&id, node) in &self.touched.nodes {
            super::encode_node(&mut w, id, node.as_deref());
        }
        for (&id, rel) in &self.touched.rels {
            super::encode_rel(&mut w, id, rel.as_deref());
        }
        w.buf
    }
}

/// Node `id`'s entry in index `name`, if in its state `node` it has one.
fn index_entry(name: &str, def: &IndexDef, id: NodeId, node: Option<&NodeData>) -> Option<Vec<u8>> {
    let value = node.filter(|n| n.labels.contains(&def.label)).and_then(|n| n.props.get(&def.property))?;
    kv::index_value(value).map(|v| kv::index_key(name, &v, id))
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
fn storable(mut props: Properties) -> Result<Properties, TxError> {
    props.iter().try_for_each(|(k, v)| check_storable(k, v))?;
    props.retain(|_, v| !v.is_null());
    Ok(props)
}

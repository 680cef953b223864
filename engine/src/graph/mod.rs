//! The property-graph model and its encoding onto the storage log.
//!
//! A [`Graph`] is the [`StateMachine`] the storage engine replicates. A commit payload is the
//! *net effect* of a transaction: the final state of every node and relationship it touched
//! (or its deletion) plus the id counters, so applying it is idempotent and `CREATE (n)
//! DELETE n` leaves nothing but a consumed id. Snapshots use the same encoding.
//!
//! Invariants: ids are never reused (counters only grow); every relationship's endpoints
//! exist; a node is deleted only when it has no relationships left.
pub mod duration;
mod kv;
pub mod temporal;
pub mod tx;
pub mod value;
pub mod zones;
mod zones_data;

use crate::storage::codec::{Reader, Writer};
use crate::storage::{Entry, Error, StateMachine};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use temporal::{Date, DateTime, LocalDateTime, LocalTime, Offset, Time};
pub use tx::{Stats, Tx, TxError};
pub use value::{NodeId, Path, RelId, Value};

pub type Properties = BTreeMap<String, Value>;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeData {
    pub labels: BTreeSet<String>,
    pub props: Properties,
}

/// An index on one property of the nodes with one label. A `unique` index is also a
/// uniqueness constraint: no two such nodes hold equal values of the property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexDef {
    pub label: String,
    pub property: String,
    pub unique: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RelData {
    pub rel_type: String,
    pub start: NodeId,
    pub end: NodeId,
    pub props: Properties,
}

/// The whole graph of a namespace, with label and adjacency indexes.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: BTreeMap<NodeId, NodeData>,
    rels: BTreeMap<RelId, RelData>,
    by_label: BTreeMap<String, BTreeSet<NodeId>>,
    /// Relationships by endpoint: `outgoing[start]` and `incoming[end]`.
    outgoing: BTreeMap<NodeId, BTreeSet<RelId>>,
    incoming: BTreeMap<NodeId, BTreeSet<RelId>>,
    next_node: NodeId,
    next_rel: RelId,
    /// Indexes by name, and per index the nodes by their value's equivalence hint (derived:
    /// rebuilt from the nodes when an index is created or loaded; callers verify candidates).
    schema: BTreeMap<String, IndexDef>,
    index_data: BTreeMap<String, HashMap<u64, BTreeSet<NodeId>>>,
}

impl Graph {
    pub fn node(&self, id: NodeId) -> Option<&NodeData> {
        self.nodes.get(&id)
    }

    pub fn rel(&self, id: RelId) -> Option<&RelData> {
        self.rels.get(&id)
    }

    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes.keys().copied()
    }

    pub fn rel_ids(&self) -> impl Iterator<Item = RelId> + '_ {
        self.rels.keys().copied()
    }

    pub fn nodes_with_label<'a>(&'a self, label: &str) -> impl Iterator<Item = NodeId> + 'a {
        self.by_label.get(label).into_iter().flatten().copied()
    }

    pub fn schema(&self) -> &BTreeMap<String, IndexDef> {
        &self.schema
    }

    /// The index on `label`.`property`, if there is one (a unique one first).
    pub fn index_on(&self, label: &str, property: &str) -> Option<(&str, &IndexDef)> {
        self.schema.iter().find(|(_, d)| d.label == label && d.property == property).map(|(n, d)| (n.as_str(), d))
    }

    /// Nodes of index `name` whose value may equal `value` (a superset: verify each).
    pub fn index_candidates(&self, name: &str, value: &Value) -> Vec<NodeId> {
        let bucket = self.index_data.get(name).and_then(|d| d.get(&value.equivalence_hint()));
        bucket.into_iter().flatten().copied().collect()
    }

    /// Nodes of index `name` whose value may lie within the bounds (a superset: verify each).
    ///
    /// Here: the label's nodes whose value compares within the bounds by Cypher's ordering
    /// comparison ([`Value::cypher_cmp`]), so values of another type, NaN and null bounds
    /// match nothing, and integers and floats compare by value.
    pub fn index_range(
        &self,
        name: &str,
        lower: std::ops::Bound<&Value>,
        upper: std::ops::Bound<&Value>,
    ) -> Vec<NodeId> {
        use std::cmp::Ordering::{Greater, Less};
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let Some(def) = self.schema.get(name) else {
            return Vec::new();
        };
        let holds = |bound: std::ops::Bound<&Value>, v: &Value, side| match bound {
            Included(b) => v.cypher_cmp(b).is_some_and(|o| o == side || o.is_eq()),
            Excluded(b) => v.cypher_cmp(b) == Some(side),
            Unbounded => true,
        };
        let within = |v: &Value| holds(lower, v, Greater) && holds(upper, v, Less);
        let value = |id: &NodeId| self.nodes.get(id).and_then(|n| n.props.get(&def.property));
        self.nodes_with_label(&def.label).filter(|id| value(id).is_some_and(within)).collect()
    }

    /// Sets (`None`: drops) an index; a new one is built from the nodes already there.
    fn put_schema(&mut self, name: &str, def: Option<IndexDef>) {
        self.index_data.remove(name);
        match def {
            Some(def) => {
                let mut data: HashMap<u64, BTreeSet<NodeId>> = HashMap::new();
                for id in self.nodes_with_label(&def.label) {
                    if let Some(v) = self.nodes.get(&id).and_then(|n| n.props.get(&def.property)) {
                        data.entry(v.equivalence_hint()).or_default().insert(id);
                    }
                }
                self.index_data.insert(name.to_string(), data);
                self.schema.insert(name.to_string(), def);
            }
            None => {
                self.schema.remove(name);
            }
        }
    }

    /// Moves node `id` in every index from its old state to its new one.
    fn reindex(&mut self, id: NodeId, old: Option<&NodeData>, new: Option<&NodeData>) {
        let indexed = |n: Option<&NodeData>, d: &IndexDef| {
            n.filter(|n| n.labels.contains(&d.label))
                .and_then(|n| n.props.get(&d.property))
                .map(Value::equivalence_hint)
        };
        for (name, def) in &self.schema {
            let (before, after) = (indexed(old, def), indexed(new, def));
            if before == after {
                continue;
            }
            let Some(data) = self.index_data.get_mut(name) else { continue };
            if let Some(h) = before {
                if let Some(set) = data.get_mut(&h) {
                    set.remove(&id);
                    if set.is_empty() {
                        data.remove(&h);
                    }
                }
            }
            if let Some(h) = after {
                data.entry(h).or_default().insert(id);
            }
        }
    }

    pub fn label_in_use(&self, label: &str) -> bool {
        self.by_label.get(label).is_some_and(|s| !s.is_empty())
    }

    pub fn outgoing(&self, node: NodeId) -> impl Iterator<Item = RelId> + '_ {
        self.outgoing.get(&node).into_iter().flatten().copied()
    }

    pub fn incoming(&self, node: NodeId) -> impl Iterator<Item = RelId> + '_ {
        self.incoming.get(&node).into_iter().flatten().copied()
    }

    pub fn degree(&self, node: NodeId) -> usize {
        self.outgoing.get(&node).map_or(0, BTreeSet::len) + self.incoming.get(&node).map_or(0, BTreeSet::len)
    }

    fn allocate_node(&mut self) -> NodeId {
        self.next_node += 1;
        self.next_node
    }

    fn allocate_rel(&mut self) -> RelId {
        self.next_rel += 1;
        self.next_rel
    }

    /// Sets a node's state (`None` deletes it), keeping the label index in step.
    fn put_node(&mut self, id: NodeId, data: Option<NodeData>) {
        let old = self.nodes.remove(&id);
        if !self.schema.is_empty() {
            self.reindex(id, old.as_ref(), data.as_ref());
        }
        if let Some(old) = old {
            for label in &old.labels {
                if let Some(set) = self.by_label.get_mut(label) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.by_label.remove(label);
                    }
                }
            }
        }
        if let Some(data) = data {
            for label in &data.labels {
                self.by_label.entry(label.clone()).or_default().insert(id);
            }
            self.nodes.insert(id, data);
        }
        self.next_node = self.next_node.max(id);
    }

    /// Sets a relationship's state (`None` deletes it), keeping adjacency in step.
    fn put_rel(&mut self, id: RelId, data: Option<RelData>) {
        if let Some(old) = self.rels.remove(&id) {
            remove_adjacent(&mut self.outgoing, old.start, id);
            remove_adjacent(&mut self.incoming, old.end, id);
        }
        if let Some(data) = data {
            self.outgoing.entry(data.start).or_default().insert(id);
            self.incoming.entry(data.end).or_default().insert(id);
            self.rels.insert(id, data);
        }
        self.next_rel = self.next_rel.max(id);
    }

    /// Encodes the given entities' and indexes' current states (absent ones as deletions).
    fn encode<'a>(
        &self,
        nodes: impl Iterator<Item = &'a NodeId>,
        rels: impl Iterator<Item = &'a RelId>,
        schema: impl Iterator<Item = &'a String>,
    ) -> Vec<u8> {
        let mut w = Writer::new();
        w.varint(self.next_node);
        w.varint(self.next_rel);
        for name in schema {
            match self.schema.get(name) {
                Some(d) => {
                    w.u8(TAG_INDEX);
                    w.str(name);
                    w.str(&d.label);
                    w.str(&d.property);
                    w.u8(u8::from(d.unique));
                }
                None => {
                    w.u8(TAG_INDEX_DROPPED);
                    w.str(name);
                }
            }
        }
        for &id in nodes {
            match self.nodes.get(&id) {
                Some(n) => {
                    w.u8(TAG_NODE);
                    w.varint(id);
                    w.varint(n.labels.len() as u64);
                    n.labels.iter().for_each(|l| w.str(l));
                    encode_props(&mut w, &n.props);
                }
                None => {
                    w.u8(TAG_NODE_DELETED);
                    w.varint(id);
                }
            }
        }
        for &id in rels {
            match self.rels.get(&id) {
                Some(r) => {
                    w.u8(TAG_REL);
                    w.varint(id);
                    w.str(&r.rel_type);
                    w.varint(r.start);
                    w.varint(r.end);
                    encode_props(&mut w, &r.props);
                }
                None => {
                    w.u8(TAG_REL_DELETED);
                    w.varint(id);
                }
            }
        }
        w.buf
    }
}

fn remove_adjacent(index: &mut BTreeMap<NodeId, BTreeSet<RelId>>, node: NodeId, rel: RelId) {
    if let Some(set) = index.get_mut(&node) {
        set.remove(&rel);
        if set.is_empty() {
            index.remove(&node);
        }
    }
}

const TAG_NODE: u8 = 1;
const TAG_NODE_DELETED: u8 = 2;
const TAG_REL: u8 = 3;
const TAG_REL_DELETED: u8 = 4;
const TAG_INDEX: u8 = 5;
const TAG_INDEX_DROPPED: u8 = 6;

const V_NULL: u8 = 0;
const V_FALSE: u8 = 1;
const V_TRUE: u8 = 2;
const V_INT: u8 = 3;
const V_FLOAT: u8 = 4;
const V_STRING: u8 = 5;
const V_LIST: u8 = 6;
const V_DATE: u8 = 7;
const V_LOCALTIME: u8 = 8;
const V_TIME: u8 = 9;
const V_LOCALDATETIME: u8 = 10;
const V_DATETIME: u8 = 11;
const V_DURATION: u8 = 12;

fn encode_props(w: &mut Writer, props: &Properties) {
    w.varint(props.len() as u64);
    for (k, v) in props {
        w.str(k);
        encode_value(w, v);
    }
}

/// Property values only ([`Value::is_storable`]); anything else is written as null, which the
/// transaction layer never lets through.
fn encode_value(w: &mut Writer, v: &Value) {
    match v {
        Value::Bool(false) => w.u8(V_FALSE),
        Value::Bool(true) => w.u8(V_TRUE),
        Value::Int(i) => {
            w.u8(V_INT);
            w.ivarint(*i);
        }
        Value::Float(f) => {
            w.u8(V_FLOAT);
            w.f64(*f);
        }
        Value::String(s) => {
            w.u8(V_STRING);
            w.str(s);
        }
        Value::List(items) => {
            w.u8(V_LIST);
            w.varint(items.len() as u64);
            items.iter().for_each(|i| encode_value(w, i));
        }
        Value::Date(d) => {
            w.u8(V_DATE);
            w.ivarint(d.epoch_days());
        }
        Value::LocalTime(t) => {
            w.u8(V_LOCALTIME);
            w.varint(t.nanos_of_day());
        }
        Value::Time(t) => {
            w.u8(V_TIME);
            w.varint(t.time.nanos_of_day());
            w.ivarint(i64::from(t.offset.seconds()));
        }
        Value::LocalDateTime(t) => {
            w.u8(V_LOCALDATETIME);
            w.ivarint(t.date.epoch_days());
            w.varint(t.time.nanos_of_day());
        }
        Value::DateTime(t) => {
            // The trailing string is the zone id slot: "" is a fixed offset, else an IANA name.
            w.u8(V_DATETIME);
            w.ivarint(t.local.date.epoch_days());
            w.varint(t.local.time.nanos_of_day());
            w.ivarint(i64::from(t.offset.seconds()));
            w.str(t.zone.map_or("", zones::ZoneId::name));
        }
        Value::Duration(d) => {
            w.u8(V_DURATION);
            w.ivarint(d.months());
            w.ivarint(d.days());
            w.ivarint(d.seconds());
            w.ivarint(d.nanos());
        }
        _ => w.u8(V_NULL),
    }
}

fn decode_props(r: &mut Reader) -> Result<Properties, Error> {
    let n = r.len()?;
    let mut props = Properties::new();
    for _ in 0..n {
        let k = r.str()?.to_string();
        props.insert(k, decode_value(r, 0)?);
    }
    Ok(props)
}

fn decode_value(r: &mut Reader, depth: u32) -> Result<Value, Error> {
    Ok(match r.u8()? {
        V_NULL => Value::Null,
        V_FALSE => Value::Bool(false),
        V_TRUE => Value::Bool(true),
        V_INT => Value::Int(r.ivarint()?),
        V_FLOAT => Value::Float(r.f64()?),
        V_STRING => Value::String(r.str()?.to_string()),
        V_LIST if depth == 0 => {
            let n = r.len()?;
            (0..n).map(|_| decode_value(r, depth + 1)).collect::<Result<_, _>>().map(Value::List)?
        }
        V_DATE => Value::Date(corrupt(Date::from_days(r.ivarint()?))?),
        V_LOCALTIME => Value::LocalTime(corrupt(LocalTime::from_nanos(r.varint()?))?),
        V_TIME => {
            let time = corrupt(LocalTime::from_nanos(r.varint()?))?;
            Value::Time(Time { time, offset: corrupt(Offset::from_seconds(r.ivarint()?))? })
        }
        V_LOCALDATETIME => Value::LocalDateTime(local_date_time(r)?),
        V_DATETIME => {
            let local = local_date_time(r)?;
            let offset = corrupt(Offset::from_seconds(r.ivarint()?))?;
            let zone = match r.str()? {
                "" => None,
                name => Some(
                    zones::ZoneId::find(name)
                        .ok_or_else(|| Error::Corrupt(format!("unknown time zone id {name:?}")))?,
                ),
            };
            Value::DateTime(DateTime { local, offset, zone })
        }
        V_DURATION => Value::Duration(decode_duration(r)?),
        t => return Err(Error::Corrupt(format!("unknown value tag {t}"))),
    })
}

/// Months, days, seconds, then the sub-second nanos (which must be `0..1e9`).
fn decode_duration(r: &mut Reader) -> Result<duration::Duration, Error> {
    let (months, days, seconds, nanos) = (r.ivarint()?, r.ivarint()?, r.ivarint()?, r.ivarint()?);
    if !(0..1_000_000_000).contains(&nanos) {
        return Err(Error::Corrupt(format!("bad duration nanoseconds {nanos}")));
    }
    let total = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
    corrupt(duration::Duration::from_parts(i128::from(months), i128::from(days), total))
}

fn local_date_time(r: &mut Reader) -> Result<LocalDateTime, Error> {
    let date = corrupt(Date::from_days(r.ivarint()?))?;
    Ok(LocalDateTime { date, time: corrupt(LocalTime::from_nanos(r.varint()?))? })
}

fn corrupt<T>(v: Result<T, temporal::TemporalError>) -> Result<T, Error> {
    v.map_err(|e| Error::Corrupt(format!("bad temporal value: {e}")))
}

/// One entity's new state in a commit payload (`None`: deleted).
enum Change {
    Node(NodeId, Option<NodeData>),
    Rel(RelId, Option<RelData>),
    Index(String, Option<IndexDef>),
}

/// Decodes a payload: the id counters, then every entity it sets or deletes.
fn decode_payload(payload: &[u8]) -> Result<(NodeId, RelId, Vec<Change>), Error> {
    let mut r = Reader::new(payload);
    let (next_node, next_rel) = (r.varint()?, r.varint()?);
    let mut changes = Vec::new();
    while !r.is_empty() {
        changes.push(match r.u8()? {
            TAG_NODE => {
                let id = r.varint()?;
                let n = r.len()?;
                let labels = (0..n).map(|_| r.str().map(str::to_string)).collect::<Result<_, _>>()?;
                let props = decode_props(&mut r)?;
                Change::Node(id, Some(NodeData { labels, props }))
            }
            TAG_NODE_DELETED => Change::Node(r.varint()?, None),
            TAG_REL => {
                let id = r.varint()?;
                let rel_type = r.str()?.to_string();
                let (start, end) = (r.varint()?, r.varint()?);
                let props = decode_props(&mut r)?;
                Change::Rel(id, Some(RelData { rel_type, start, end, props }))
            }
            TAG_REL_DELETED => Change::Rel(r.varint()?, None),
            TAG_INDEX => {
                let name = r.str()?.to_string();
                let (label, property) = (r.str()?.to_string(), r.str()?.to_string());
                Change::Index(name, Some(IndexDef { label, property, unique: r.u8()? != 0 }))
            }
            TAG_INDEX_DROPPED => Change::Index(r.str()?.to_string(), None),
            t => return Err(Error::Corrupt(format!("unknown record tag {t}"))),
        });
    }
    Ok((next_node, next_rel, changes))
}

impl StateMachine for Graph {
    fn apply(&mut self, payload: &[u8]) -> Result<Vec<Entry>, Error> {
        let (next_node, next_rel, changes) = decode_payload(payload)?;
        let mut entries = Vec::new();
        for change in changes {
            kv::change_entries(self, &change, &mut entries);
            match change {
                Change::Node(id, data) => self.put_node(id, data),
                Change::Rel(id, data) => self.put_rel(id, data),
                Change::Index(name, def) => self.put_schema(&name, def),
            }
        }
        self.next_node = self.next_node.max(next_node);
        self.next_rel = self.next_rel.max(next_rel);
        entries.push(kv::counters(self.next_node, self.next_rel));
        Ok(entries)
    }

    fn changes(&self, payload: &[u8]) -> Result<Vec<Entry>, Error> {
        let (next_node, next_rel, changes) = decode_payload(payload)?;
        let mut entries = Vec::new();
        for change in &changes {
            kv::change_entries(self, change, &mut entries);
        }
        entries.push(kv::counters(self.next_node.max(next_node), self.next_rel.max(next_rel)));
        Ok(entries)
    }

    fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        kv::all_entries(self)
    }

    fn load(entries: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), Error>>) -> Result<Self, Error> {
        kv::load(entries)
    }

    fn restore(snapshot: &[u8]) -> Result<Self, Error> {
        let mut g = Graph::default();
        g.apply(snapshot)?;
        Ok(g)
    }
}

#[cfg(test)]
mod tests;

//! The property-graph model over the storage engine's key-value state.
//!
//! [`GraphModel`] is the [`StateMachine`] the storage engine replicates. A commit payload is
//! the *net effect* of a transaction: the final state of every node and relationship it touched
//! (or its deletion), the indexes it created or dropped, and the id counters, so applying it is
//! idempotent and `CREATE (n) DELETE n` leaves nothing but a consumed id. The state itself is
//! the key-value entries of [`kv`], read lazily through a [`Graph`] view: nothing loads the
//! whole graph.
//!
//! Invariants: ids are never reused (counters only grow); every relationship's endpoints
//! exist; a node is deleted only when it has no relationships left; the label, adjacency and
//! index entries always match the nodes and relationships (the transaction writes them
//! together, [`tx`]).
pub mod duration;
pub mod kv;
pub mod temporal;
pub mod tx;
pub mod value;
pub mod zones;
mod zones_data;

use crate::storage::codec::{Reader, Writer};
use crate::storage::view::prefix_end;
use crate::storage::view::{Block, FastHasher, LiveRef, Stored};
use crate::storage::{Error, Layer, Reads, State, StateMachine};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasherDefault;
use std::ops::Bound;
use std::rc::Rc;
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

/// Indexes by name.
pub type Schema = BTreeMap<String, IndexDef>;

#[derive(Clone, Debug, PartialEq)]
pub struct RelData {
    pub rel_type: String,
    pub start: NodeId,
    pub end: NodeId,
    pub props: Properties,
}

/// One relationship as seen from one of its nodes (its type is the one asked for, or read
/// from the relationship).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adjacent {
    pub rel: RelId,
    /// The node at the other end.
    pub other: NodeId,
}

/// The property graph as the storage engine's state machine.
#[derive(Debug)]
pub struct GraphModel;

impl StateMachine for GraphModel {
    fn changes(state: &State, reads: &Reads, payload: &[u8]) -> Result<Layer, Error> {
        let mut tx = Tx::new(state, reads);
        tx.apply_payload(payload)?;
        Ok(tx.into_writes())
    }

    /// The id counters and the index definitions: every transaction reads them.
    const RESIDENT: &'static [(&'static [u8], &'static [u8])] = &[(b"C", b"D"), (b"S", b"T")];
}

/// A read-only view of the graph: a version's state, with a transaction's uncommitted writes
/// over it. Reads that need a block not in memory are recorded in `reads` (see
/// [`crate::storage::view`]) and answer as if it were empty; so does data that fails to
/// decode, reported through [`Reads::fail`].
#[derive(Clone, Copy)]
pub struct Graph<'a> {
    state: &'a State,
    reads: &'a Reads,
    writes: Option<&'a Layer>,
    schema: &'a Schema,
    decoded: Option<&'a Decoded>,
    touched: Option<&'a Touched>,
}

/// The nodes and relationships a transaction wrote, in their current states (`None`:
/// deleted): what its view reads them from, and what it commits.
#[derive(Debug, Default)]
pub struct Touched {
    nodes: BTreeMap<NodeId, Option<Rc<NodeData>>>,
    rels: BTreeMap<RelId, Option<Rc<RelData>>>,
}

/// Nodes and relationships decoded from a state (never from a transaction's writes, which
/// change), kept for the rest of a run so that reading a node's properties again costs a
/// lookup, not a decoding. Bounded: when full it starts over.
#[derive(Debug, Default)]
pub struct Decoded {
    nodes: RefCell<IdMap<Rc<NodeData>>>,
    rels: RefCell<IdMap<Rc<RelData>>>,
    /// Nodes' stored bytes, as [`Graph::with_node`] read them: the cache's copies only (a
    /// read in place in a block, as a label's nodes are read in key order, is not repeated).
    stored: RefCell<IdMap<Stored>>,
    /// The node [`Graph::with_node`] read last: a row's pattern, filters and projections read
    /// the same node a few times in a row.
    last: RefCell<Option<(NodeId, Stored)>>,
    /// The adjacency lists read ahead ([`AdjacencyWindow`]), and which lists were asked for.
    window: RefCell<Option<Rc<AdjacencyWindow>>>,
    adjacent_order: InOrder,
    /// The nodes read ahead from the state, and which node was read from the state (or a
    /// window) last: nodes read again from the run's copies (a Post's tags) do not count.
    node_window: RefCell<Option<NodeWindow>>,
    node_order: InOrder,
}

/// Ids one read ahead gets: those in `[k * WINDOW, (k + 1) * WINDOW)`, so that the same
/// window has the same key range (and the block cache keeps it across requests).
const WINDOW: NodeId = 64;

/// The window of ids `id` is in, `[first, end)`.
fn window_of(id: NodeId) -> Option<(NodeId, NodeId)> {
    let first = id - id % WINDOW;
    Some((first, first.checked_add(WINDOW)?))
}

/// Bytes of nodes a window copies at most ([`State::range_block`]).
const NODE_WINDOW_BYTES: usize = 64 << 10;

/// The nodes with ids in `[first, first + WINDOW)` as the state holds them, copied into one
/// block (`None`: too many bytes to copy, read them one by one).
#[derive(Debug)]
struct NodeWindow {
    first: NodeId,
    block: Option<Rc<Block>>,
    /// For each id of the window, 1 + its entry in the block (0: no such node).
    slots: [u8; WINDOW as usize],
}

impl NodeWindow {
    fn new(first: NodeId, block: Option<Rc<Block>>) -> Self {
        let mut slots = [0; WINDOW as usize];
        let keys = block.iter().flat_map(|b| (0..b.len()).map(|at| b.key(at)));
        for (at, key) in keys.enumerate() {
            let slot = kv::trailing_id(key).and_then(|id| id.checked_sub(first)).and_then(|s| usize::try_from(s).ok());
            if let (Some(slot), Ok(entry)) = (slot.and_then(|s| slots.get_mut(s)), u8::try_from(at + 1)) {
                *slot = entry;
            }
        }
        NodeWindow { first, block, slots }
    }

    fn slot(&self, id: NodeId) -> Option<&u8> {
        self.slots.get(usize::try_from(id.checked_sub(self.first)?).ok()?)
    }
}

/// Tells reads in id order (a label's nodes, some dropped by a filter) from reads that only
/// happen to land near each other (a popular node's neighbours): ids each at most
/// [`InOrder::GAP`] past the one before, [`InOrder::RUN`] of them in a row.
#[derive(Debug, Default)]
struct InOrder {
    last: Cell<Option<NodeId>>,
    /// How many ids in a row, up to the last one, each followed the one before.
    run: Cell<u32>,
}

impl InOrder {
    const GAP: NodeId = 8;
    const RUN: u32 = 4;

    /// Whether asking for `id` next would make a run of reads in order.
    fn would_run(&self, id: NodeId) -> bool {
        self.follows(id) && self.run.get() + 1 >= Self::RUN
    }

    fn follows(&self, id: NodeId) -> bool {
        self.last.get().is_some_and(|last| last < id && id - last <= Self::GAP)
    }

    fn record(&self, id: NodeId) {
        self.run.set(if self.follows(id) { self.run.get().saturating_add(1) } else { 0 });
        self.last.set(Some(id));
    }

    /// Records `id` as asked for; whether it makes a run of reads in order.
    fn next(&self, id: NodeId) -> bool {
        let run = self.would_run(id);
        self.record(id);
        run
    }
}

/// The adjacency lists of one direction and type of the nodes in `[first, end)`, read with one
/// range read when a run reads lists in node order (a label's nodes, expanded): one cache
/// probe and one search of the tables for `WINDOW` nodes instead of one for each.
#[derive(Debug)]
pub struct AdjacencyWindow {
    outgoing: bool,
    rel_type: String,
    first: NodeId,
    /// Where the list of each id of the window starts in `lists` (and, one more, where the
    /// last one ends).
    starts: [u32; WINDOW as usize + 1],
    lists: Vec<Adjacent>,
}

impl AdjacencyWindow {
    fn covers(&self, node: NodeId, outgoing: bool, rel_type: &str) -> bool {
        node.checked_sub(self.first).is_some_and(|d| d < WINDOW)
            && self.outgoing == outgoing
            && self.rel_type == rel_type
    }

    /// `node`'s list, as `lists[start..end]`.
    fn list(&self, node: NodeId) -> (u32, u32) {
        let slot = node.checked_sub(self.first).and_then(|s| usize::try_from(s).ok()).unwrap_or(usize::MAX);
        match (self.starts.get(slot), self.starts.get(slot.wrapping_add(1))) {
            (Some(&start), Some(&end)) => (start, end),
            _ => (0, 0),
        }
    }
}

/// A node's relationships of one direction (and of one type, if one was asked for) in key
/// order: a list the block cache keeps, or a part of a window's lists.
#[derive(Clone, Debug)]
pub enum Adjacency {
    List(Rc<Vec<Adjacent>>),
    Window(Rc<AdjacencyWindow>, u32, u32),
}

impl Default for Adjacency {
    fn default() -> Self {
        Adjacency::List(Rc::default())
    }
}

impl std::ops::Deref for Adjacency {
    type Target = [Adjacent];
    fn deref(&self) -> &[Adjacent] {
        match self {
            Adjacency::List(list) => list,
            Adjacency::Window(w, start, end) => w.lists.get(*start as usize..*end as usize).unwrap_or_default(),
        }
    }
}

/// A node as [`Graph::with_node`] finds it: decoded, or the stored bytes of [`kv::node_value`].
#[derive(Clone, Copy)]
pub enum NodeView<'n> {
    Data(&'n NodeData),
    Stored(&'n [u8]),
}

impl NodeView<'_> {
    pub fn has_label(self, label: &str) -> Result<bool, Error> {
        match self {
            NodeView::Data(n) => Ok(n.labels.contains(label)),
            NodeView::Stored(v) => {
                let mut r = Reader::new(v);
                for _ in 0..r.len()? {
                    if r.bytes()? == label.as_bytes() {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }

    pub fn has_labels<'l>(self, mut labels: impl Iterator<Item = &'l str>) -> Result<bool, Error> {
        labels.try_fold(true, |all, l| Ok(all && self.has_label(l)?))
    }

    /// Whether it holds every property of `wanted` with a value `=` finds equal.
    pub fn has_properties<'w>(self, wanted: impl IntoIterator<Item = (&'w str, &'w Value)>) -> Result<bool, Error> {
        for (key, value) in wanted {
            if self.property(key)?.and_then(|v| v.cypher_eq(value)) != Some(true) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The value of property `key`, decoding no other.
    pub fn property(self, key: &str) -> Result<Option<Value>, Error> {
        match self {
            NodeView::Data(n) => Ok(n.props.get(key).cloned()),
            NodeView::Stored(v) => {
                let mut r = Reader::new(v);
                for _ in 0..r.len()? {
                    r.bytes()?;
                }
                for _ in 0..r.len()? {
                    if r.bytes()? == key.as_bytes() {
                        return decode_value(&mut r, 0).map(Some);
                    }
                    skip_value(&mut r)?;
                }
                Ok(None)
            }
        }
    }
}

/// A map by entity id, with a cheap hash (SipHash showed in profiles).
pub(crate) type IdMap<T> = HashMap<u64, T, BuildHasherDefault<FastHasher>>;

/// Entities a [`Decoded`] keeps of each kind at most.
const DECODED_MAX: usize = 1 << 16;

fn remember<T: Clone>(map: &RefCell<IdMap<T>>, id: u64, value: &T) {
    let mut map = map.borrow_mut();
    if map.len() >= DECODED_MAX {
        map.clear();
    }
    map.insert(id, value.clone());
}

impl<'a> Graph<'a> {
    pub fn new(state: &'a State, reads: &'a Reads, writes: Option<&'a Layer>, schema: &'a Schema) -> Self {
        Graph { state, reads, writes, schema, decoded: None, touched: None }
    }

    /// This view, reading the entities `touched` holds from it (they are in `writes` too).
    pub fn with_touched(self, touched: &'a Touched) -> Self {
        Graph { touched: Some(touched), ..self }
    }

    /// This view, keeping what it decodes from the state in `decoded`.
    pub fn with_decoded(self, decoded: &'a Decoded) -> Self {
        Graph { decoded: Some(decoded), ..self }
    }

    /// The remembered value of an entity (which the writes may override: ask them first).
    fn remembered<T: Clone + 'a>(&self, id: u64, memo: impl Fn(&'a Decoded) -> &'a RefCell<IdMap<T>>) -> Option<T> {
        self.decoded.and_then(|d| memo(d).borrow().get(&id).cloned())
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        if let Some(v) = self.written(key) {
            return v.map(<[u8]>::to_vec);
        }
        self.state.get(self.reads, key)
    }

    /// The live entries whose keys start with `prefix`.
    fn scan(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.state.range(self.reads, self.writes, prefix, prefix_end(prefix).as_deref())
    }

    /// The ids at the end of the keys starting with `prefix`; decoded once per checkpoint
    /// and kept in the block cache while nothing newer touches the range.
    fn ids(&self, prefix: &[u8]) -> Vec<u64> {
        let decode = |entries: &[LiveRef]| {
            let ids: Vec<u64> = entries.iter().filter_map(|(k, _)| kv::trailing_id(k)).collect();
            let bytes = 64 + 8 * ids.len();
            Ok((ids, bytes))
        };
        let end = prefix_end(prefix);
        let ids = self.state.range_decoded(self.reads, self.writes, (prefix, end.as_deref()), decode);
        self.decoded(ids).map(|ids| ids.to_vec()).unwrap_or_default()
    }

    fn decoded<T>(&self, r: Result<T, Error>) -> Option<T> {
        r.map_err(|e| self.reads.fail(e)).ok()
    }

    pub fn node(&self, id: NodeId) -> Option<Rc<NodeData>> {
        if let Some(node) = self.touched.and_then(|t| t.nodes.get(&id)) {
            return node.clone();
        }
        // A write to the node overrides what was remembered of it (from the state).
        if let Some(v) = self.written(&kv::node_key_inline(id)) {
            return v.and_then(|v| self.decoded(kv::decode_node(v))).map(Rc::new);
        }
        if let Some(node) = self.remembered(id, |d| &d.nodes) {
            return Some(node);
        }
        let node = Rc::new(self.decoded(kv::decode_node(self.stored_node(id)?.bytes()))?);
        if let Some(d) = self.decoded {
            remember(&d.nodes, id, &node);
        }
        Some(node)
    }

    /// `f` of node `id` read in place: decoded if it was written or is remembered, else its
    /// stored bytes (which the block cache keeps across requests, and the run's [`Decoded`]
    /// for the run), so that a label check or one property decodes nothing else. `None`: no
    /// such node (or `f` failed, reported through [`Reads::fail`]).
    pub fn with_node<R>(&self, id: NodeId, f: impl FnOnce(NodeView) -> Result<R, Error>) -> Option<R> {
        if let Some(node) = self.touched.and_then(|t| t.nodes.get(&id)) {
            return node.as_deref().and_then(|n| self.decoded(f(NodeView::Data(n))));
        }
        if let Some(v) = self.written(&kv::node_key_inline(id)) {
            return v.and_then(|v| self.decoded(f(NodeView::Stored(v))));
        }
        if let Some(node) = self.remembered(id, |d| &d.nodes) {
            return self.decoded(f(NodeView::Data(&node)));
        }
        self.decoded(f(NodeView::Stored(self.stored_node(id)?.bytes())))
    }

    /// The value the writes give `key` (`Some(None)`: deleted), if they hold it.
    fn written(&self, key: &[u8]) -> Option<Option<&'a [u8]>> {
        self.writes.and_then(|w| w.get(key)).map(Option::as_deref)
    }

    /// Node `id`'s bytes in the state (not the writes): remembered for the run, else from the
    /// block cache or the tables.
    fn stored_node(&self, id: NodeId) -> Option<Stored> {
        if let Some(bytes) =
            self.decoded.and_then(|d| d.last.borrow().as_ref().filter(|(last, _)| *last == id).map(|(_, b)| b.clone()))
        {
            return Some(bytes);
        }
        let bytes = match self.read_ahead(id) {
            Some(found) => found?,
            None => match self.remembered(id, |d| &d.stored) {
                Some(bytes) => bytes,
                None => {
                    let bytes = self.state.get_stored(self.reads, &kv::node_key_inline(id))?;
                    if let Some(d) = self.decoded {
                        d.node_order.record(id);
                        if !bytes.in_block() {
                            remember(&d.stored, id, &bytes);
                        }
                    }
                    bytes
                }
            },
        };
        if let Some(d) = self.decoded {
            *d.last.borrow_mut() = Some((id, bytes.clone()));
        }
        Some(bytes)
    }

    /// Node `id`'s bytes in the state from the window of nodes read ahead (`Some(None)`: no
    /// such node), when one covers it: a run that reads nodes from the tables in id order (a
    /// label's nodes) reads the next ones with one range read, which spares a search of the
    /// tables for each. `None`: read it alone.
    fn read_ahead(&self, id: NodeId) -> Option<Option<Stored>> {
        let d = self.decoded?;
        let mut window = d.node_window.borrow_mut();
        if window.as_ref().and_then(|w| w.slot(id)).is_none() {
            if !d.node_order.would_run(id) {
                return None;
            }
            let (first, end) = window_of(id)?;
            let (lo, hi) = (kv::node_key_inline(first), kv::node_key_inline(end));
            *window = Some(NodeWindow::new(first, self.state.range_block(self.reads, &lo, &hi, NODE_WINDOW_BYTES)));
        }
        d.node_order.record(id);
        let w = window.as_ref()?;
        let block = w.block.as_ref()?;
        Some(w.slot(id).and_then(|&s| Stored::entry(block, usize::from(s).checked_sub(1)?)))
    }

    /// The value of property `key` of node `id` (`Null` if it has none); `None`: no such node.
    pub fn node_property(&self, id: NodeId, key: &str) -> Option<Value> {
        self.with_node(id, |n| n.property(key)).map(|v| v.unwrap_or(Value::Null))
    }

    pub fn rel(&self, id: RelId) -> Option<Rc<RelData>> {
        if let Some(rel) = self.touched.and_then(|t| t.rels.get(&id)) {
            return rel.clone();
        }
        // A write to the relationship overrides what was remembered of it (from the state).
        let key = kv::rel_key_inline(id);
        if let Some(v) = self.written(&key) {
            return v.and_then(|v| self.decoded(kv::decode_rel(v))).map(Rc::new);
        }
        if let Some(rel) = self.remembered(id, |d| &d.rels) {
            return Some(rel);
        }
        let rel = self.decoded(self.state.get_decoded(self.reads, &key, kv::decode_rel)?)?;
        if let Some(d) = self.decoded {
            remember(&d.rels, id, &rel);
        }
        Some(rel)
    }

    pub fn node_ids(&self) -> Vec<NodeId> {
        self.ids(&kv::node_prefix())
    }

    pub fn rel_ids(&self) -> Vec<RelId> {
        self.ids(&kv::rel_prefix())
    }

    pub fn nodes_with_label(&self, label: &str) -> Vec<NodeId> {
        self.ids(&kv::label_prefix(label))
    }

    pub fn label_in_use(&self, label: &str) -> bool {
        let prefix = kv::label_prefix(label);
        !self.state.range_first(self.reads, self.writes, &prefix, prefix_end(&prefix).as_deref(), 1).is_empty()
    }

    /// The id counters: the highest node and relationship ids ever allocated.
    pub fn counters(&self) -> (NodeId, RelId) {
        self.get(&kv::counters_key()).and_then(|v| self.decoded(kv::decode_counters(&v))).unwrap_or_default()
    }

    /// The relationships leaving (`outgoing`) or entering `node`, of one type or of any.
    /// Decoded once per checkpoint and kept in the block cache while nothing newer touches it;
    /// read ahead for the next nodes when a run asks for one type's lists in node order.
    pub fn adjacent(&self, node: NodeId, outgoing: bool, rel_type: Option<&str>) -> Adjacency {
        if let (Some(t), Some(d)) = (rel_type, self.decoded) {
            let in_order = d.adjacent_order.next(node);
            let kept = d.window.borrow().as_ref().filter(|w| w.covers(node, outgoing, t)).cloned();
            let window = match kept {
                Some(w) => Some(w),
                None if in_order => {
                    self.window(node, outgoing, t).inspect(|w| *d.window.borrow_mut() = Some(w.clone()))
                }
                None => None,
            };
            // A window holds what the state held; the transaction's writes in its range win.
            if let Some(w) = window.filter(|w| !self.writes_within(w.first, outgoing, t)) {
                let (start, end) = w.list(node);
                return Adjacency::Window(w, start, end);
            }
        }
        let prefix = kv::adjacency_prefix(outgoing, node, rel_type);
        let decode = |entries: &[LiveRef]| {
            let adjacent = |(k, v): &LiveRef| kv::decode_adjacency(k, v).map(|(rel, _, other)| Adjacent { rel, other });
            let list = entries.iter().map(adjacent).collect::<Result<Vec<_>, _>>()?;
            let bytes = std::mem::size_of_val(list.as_slice()) + 64;
            Ok((list, bytes))
        };
        let end = prefix_end(&prefix);
        Adjacency::List(
            self.decoded(self.state.range_decoded(self.reads, self.writes, (&prefix, end.as_deref()), decode))
                .unwrap_or_default(),
        )
    }

    /// The window of `node`'s lists of `rel_type` ([`AdjacencyWindow`]), read from the state
    /// alone (not the writes); `None` past the last window.
    fn window(&self, node: NodeId, outgoing: bool, rel_type: &str) -> Option<Rc<AdjacencyWindow>> {
        let (first, _) = window_of(node)?;
        let (lo, hi) = window_range(first, outgoing, rel_type);
        let decode = |entries: &[LiveRef]| {
            let mut w = AdjacencyWindow {
                outgoing,
                rel_type: rel_type.to_string(),
                first,
                starts: [0; WINDOW as usize + 1],
                lists: Vec::new(),
            };
            // Entries come in node order: each id's list starts where the lists before it end.
            let mut slot = 0;
            for (k, v) in entries {
                let (rel, t, other) = kv::decode_adjacency(k, v)?;
                // (Node `end`'s entries in the range are of types before `rel_type`.)
                let Some(at) = kv::adjacency_node(k).filter(|_| t == rel_type) else { continue };
                let at = at.checked_sub(first).and_then(|a| usize::try_from(a).ok()).unwrap_or(usize::MAX);
                while slot < at.min(WINDOW as usize) {
                    slot += 1;
                    w.starts[slot] = w.lists.len() as u32;
                }
                w.lists.push(Adjacent { rel, other });
            }
            for start in w.starts.iter_mut().skip(slot + 1) {
                *start = w.lists.len() as u32;
            }
            let bytes = std::mem::size_of_val(w.lists.as_slice()) + std::mem::size_of_val(&w.starts) + 64;
            Ok((w, bytes))
        };
        self.decoded(self.state.range_decoded(self.reads, None, (&lo, Some(&hi)), decode))
    }

    /// Whether the writes hold an entry in the range of the window from `first` ([`window_range`]).
    fn writes_within(&self, first: NodeId, outgoing: bool, rel_type: &str) -> bool {
        self.writes.is_some_and(|w| {
            if w.is_empty() {
                return false;
            }
            let (lo, hi) = window_range(first, outgoing, rel_type);
            w.range::<[u8], _>((Bound::Included(lo.as_slice()), Bound::Excluded(hi.as_slice()))).next().is_some()
        })
    }

    pub fn outgoing(&self, node: NodeId) -> Vec<RelId> {
        self.ids(&kv::adjacency_prefix(true, node, None))
    }

    pub fn incoming(&self, node: NodeId) -> Vec<RelId> {
        self.ids(&kv::adjacency_prefix(false, node, None))
    }

    pub fn degree(&self, node: NodeId) -> usize {
        self.outgoing(node).len() + self.incoming(node).len()
    }

    pub fn schema(&self) -> &'a Schema {
        self.schema
    }

    /// The index on `label`.`property`, if there is one.
    pub fn index_on(&self, label: &str, property: &str) -> Option<(&'a str, &'a IndexDef)> {
        self.schema.iter().find(|(_, d)| d.label == label && d.property == property).map(|(n, d)| (n.as_str(), d))
    }

    /// Nodes of index `name` whose value may equal `value` (a superset: verify each).
    pub fn index_candidates(&self, name: &str, value: &Value) -> Vec<NodeId> {
        match kv::index_value(value) {
            Some(v) => self.ids(&kv::index_value_prefix(name, &v)),
            None => Vec::new(),
        }
    }

    /// Nodes of index `name` whose value may lie within the bounds (a superset: verify each).
    /// Bounds that are numbers or strings narrow the range; others leave the whole index.
    pub fn index_range(&self, name: &str, lower: Bound<&Value>, upper: Bound<&Value>) -> Vec<NodeId> {
        let prefix = kv::index_prefix(name);
        let bound = |b: Bound<&Value>| match b {
            Bound::Included(v) | Bound::Excluded(v) => Some(kv::range_value(v)),
            Bound::Unbounded => None,
        };
        let (lo, hi) = (bound(lower), bound(upper));
        // The class (number or string) the bounds select; mixed or other bounds: everything.
        let class = match (&lo, &hi) {
            (Some(Some(a)), Some(Some(b))) if a.first() == b.first() => a.first().copied(),
            (Some(Some(a)), None) | (None, Some(Some(a))) => a.first().copied(),
            _ => None,
        };
        let Some(class) = class else { return self.ids(&prefix) };
        let start = match lo.flatten() {
            Some(v) => kv::index_value_prefix(name, &v),
            None => kv::index_value_prefix(name, &[class]),
        };
        // An upper bound includes every key its value prefixes (the ids after it).
        let end = match hi.flatten() {
            Some(v) => prefix_end(&kv::index_value_prefix(name, &v)),
            None => prefix_end(&kv::index_value_prefix(name, &[class])),
        };
        let entries = self.state.range(self.reads, self.writes, &start, end.as_deref());
        entries.iter().filter_map(|(k, _)| kv::trailing_id(k)).collect()
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

/// The key range a window of the lists of `rel_type` of nodes `[first, end)` (`end` is
/// `first + WINDOW`) reads: from the
/// first node's lists to the last node's, and on into node `end`'s up to its lists of
/// `rel_type` (the window keeps only `rel_type`'s entries, so none of node `end`'s). That end
/// names the type, so each type's window over the same nodes is a range of its own, cached
/// apart.
fn window_range(first: NodeId, outgoing: bool, rel_type: &str) -> (Vec<u8>, Vec<u8>) {
    let end = first.saturating_add(WINDOW);
    (kv::adjacency_prefix(outgoing, first, None), kv::adjacency_prefix(outgoing, end, Some(rel_type)))
}

fn encode_index(w: &mut Writer, name: &str, def: Option<&IndexDef>) {
    match def {
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

fn encode_node(w: &mut Writer, id: NodeId, node: Option<&NodeData>) {
    match node {
        Some(n) => {
            w.u8(TAG_NODE);
            w.varint(id);
            w.varint(n.labels.len() as u64);
            n.labels.iter().for_each(|l| w.str(l));
            encode_props(w, &n.props);
        }
        None => {
            w.u8(TAG_NODE_DELETED);
            w.varint(id);
        }
    }
}

fn encode_rel(w: &mut Writer, id: RelId, rel: Option<&RelData>) {
    match rel {
        Some(r) => {
            w.u8(TAG_REL);
            w.varint(id);
            w.str(&r.rel_type);
            w.varint(r.start);
            w.varint(r.end);
            encode_props(w, &r.props);
        }
        None => {
            w.u8(TAG_REL_DELETED);
            w.varint(id);
        }
    }
}

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

/// Moves `r` past one value: scalars and strings without building them, anything else by
/// decoding it.
fn skip_value(r: &mut Reader) -> Result<(), Error> {
    let mut ahead = r.clone();
    match ahead.u8()? {
        V_NULL | V_FALSE | V_TRUE => {}
        V_INT => drop(ahead.varint()?),
        V_FLOAT => drop(ahead.f64()?),
        V_STRING => drop(ahead.bytes()?),
        _ => return decode_value(r, 0).map(drop),
    }
    *r = ahead;
    Ok(())
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
pub(crate) enum Change {
    Node(NodeId, Option<NodeData>),
    Rel(RelId, Option<RelData>),
    Index(String, Option<IndexDef>),
}

/// Decodes a payload: the id counters, then every entity it sets or deletes.
pub(crate) fn decode_payload(payload: &[u8]) -> Result<(NodeId, RelId, Vec<Change>), Error> {
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

/// Reads every index definition of a state.
pub(crate) fn read_schema(state: &State, reads: &Reads) -> Schema {
    let empty = Schema::new();
    let g = Graph::new(state, reads, None, &empty);
    let defs = g.scan(&kv::schema_prefix());
    defs.iter().filter_map(|(k, v)| g.decoded(kv::decode_schema(k, v))).collect()
}

#[cfg(test)]
mod tests;

//! The graph as sorted key-value entries: what checkpoints write into tables.
//!
//! Keys (integers big-endian, so byte order is numeric order; strings length-prefixed with a
//! u32 so that a label's or type's entries form one contiguous range):
//!
//! | key | value |
//! |---|---|
//! | `C` | id counters: varint next node, varint next relationship |
//! | `N` node | labels (varint count, strings), properties |
//! | `R` rel | type, start node, end node, properties |
//! | `L` label node | empty: the label index (`MATCH (n:Label)` is one range) |
//! | `O` start type rel | end node: outgoing adjacency, by type |
//! | `I` end type rel | start node: incoming adjacency, by type |
//! | `S` name | an index: label, property, unique flag |
//!
//! Invariant: the entries of a graph are a function of the graph alone (`all_entries`), and
//! applying a payload changes exactly the entries `change_entries` reports, so tables built
//! from those changes always describe the graph of their version.
use super::{decode_props, encode_props, Change, Graph, IndexDef, NodeData, NodeId, RelData, RelId};
use crate::storage::codec::{Reader, Writer};
use crate::storage::{Entry, Error};

const COUNTERS: u8 = b'C';
const NODE: u8 = b'N';
const REL: u8 = b'R';
const LABEL: u8 = b'L';
const OUT: u8 = b'O';
const IN: u8 = b'I';
const INDEX: u8 = b'S';

fn key(tag: u8) -> Vec<u8> {
    vec![tag]
}

fn push_str(k: &mut Vec<u8>, s: &str) {
    k.extend_from_slice(&(s.len() as u32).to_be_bytes());
    k.extend_from_slice(s.as_bytes());
}

fn node_key(id: NodeId) -> Vec<u8> {
    let mut k = key(NODE);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn rel_key(id: RelId) -> Vec<u8> {
    let mut k = key(REL);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The label index range of `label`; a node's entry is this plus its id.
fn label_prefix(label: &str) -> Vec<u8> {
    let mut k = key(LABEL);
    push_str(&mut k, label);
    k
}

fn label_key(label: &str, node: NodeId) -> Vec<u8> {
    let mut k = label_prefix(label);
    k.extend_from_slice(&node.to_be_bytes());
    k
}

/// The adjacency range of `node` in one direction, optionally narrowed to one type.
fn adjacency_prefix(outgoing: bool, node: NodeId, rel_type: Option<&str>) -> Vec<u8> {
    let mut k = key(if outgoing { OUT } else { IN });
    k.extend_from_slice(&node.to_be_bytes());
    if let Some(t) = rel_type {
        push_str(&mut k, t);
    }
    k
}

fn adjacency(outgoing: bool, id: RelId, r: &RelData) -> (Vec<u8>, Vec<u8>) {
    let (from, to) = if outgoing { (r.start, r.end) } else { (r.end, r.start) };
    let mut k = adjacency_prefix(outgoing, from, Some(&r.rel_type));
    k.extend_from_slice(&id.to_be_bytes());
    let mut v = Writer::new();
    v.varint(to);
    (k, v.buf)
}

fn node_value(n: &NodeData) -> Vec<u8> {
    let mut w = Writer::new();
    w.varint(n.labels.len() as u64);
    n.labels.iter().for_each(|l| w.str(l));
    encode_props(&mut w, &n.props);
    w.buf
}

fn rel_value(r: &RelData) -> Vec<u8> {
    let mut w = Writer::new();
    w.str(&r.rel_type);
    w.varint(r.start);
    w.varint(r.end);
    encode_props(&mut w, &r.props);
    w.buf
}

pub fn counters(next_node: NodeId, next_rel: RelId) -> Entry {
    let mut w = Writer::new();
    w.varint(next_node);
    w.varint(next_rel);
    (key(COUNTERS), Some(w.buf))
}

fn index_key(name: &str) -> Vec<u8> {
    let mut k = key(INDEX);
    k.extend_from_slice(name.as_bytes());
    k
}

fn index_value(d: &IndexDef) -> Vec<u8> {
    let mut w = Writer::new();
    w.str(&d.label);
    w.str(&d.property);
    w.u8(u8::from(d.unique));
    w.buf
}

/// The entries `change` sets or deletes, given the graph just before it.
pub(super) fn change_entries(g: &Graph, change: &Change, out: &mut Vec<Entry>) {
    match change {
        Change::Index(name, def) => out.push((index_key(name), def.as_ref().map(index_value))),
        Change::Node(id, new) => {
            let old_labels = g.node(*id).map(|n| &n.labels);
            let new_labels = new.as_ref().map(|n| &n.labels);
            for l in old_labels.into_iter().flatten().filter(|l| !new_labels.is_some_and(|s| s.contains(*l))) {
                out.push((label_key(l, *id), None));
            }
            for l in new_labels.into_iter().flatten().filter(|l| !old_labels.is_some_and(|s| s.contains(*l))) {
                out.push((label_key(l, *id), Some(Vec::new())));
            }
            out.push((node_key(*id), new.as_ref().map(node_value)));
        }
        Change::Rel(id, new) => {
            // A relationship's type and endpoints never change, so only its creation and its
            // deletion touch adjacency.
            match (g.rel(*id), new) {
                (None, Some(r)) => {
                    for outgoing in [true, false] {
                        let (k, v) = adjacency(outgoing, *id, r);
                        out.push((k, Some(v)));
                    }
                }
                (Some(r), None) => {
                    for outgoing in [true, false] {
                        out.push((adjacency(outgoing, *id, r).0, None));
                    }
                }
                _ => {}
            }
            out.push((rel_key(*id), new.as_ref().map(rel_value)));
        }
    }
}

/// Every entry of the graph, in key order.
pub(super) fn all_entries(g: &Graph) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    if let (k, Some(v)) = counters(g.next_node, g.next_rel) {
        out.push((k, v));
    }
    for (id, n) in &g.nodes {
        out.push((node_key(*id), node_value(n)));
        out.extend(n.labels.iter().map(|l| (label_key(l, *id), Vec::new())));
    }
    for (id, r) in &g.rels {
        out.push((rel_key(*id), rel_value(r)));
        out.extend([true, false].map(|outgoing| adjacency(outgoing, *id, r)));
    }
    out.extend(g.schema.iter().map(|(name, d)| (index_key(name), index_value(d))));
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out
}

fn id_of(key: &[u8]) -> Result<u64, Error> {
    let bytes: [u8; 8] = key.get(1..9).and_then(|b| b.try_into().ok()).ok_or_else(|| bad_key(key))?;
    Ok(u64::from_be_bytes(bytes))
}

fn bad_key(key: &[u8]) -> Error {
    Error::Corrupt(format!("bad graph key {:?}", String::from_utf8_lossy(key)))
}

/// Rebuilds a graph from its entries. The indexes (`L`, `O`, `I`) are derived data: the
/// in-memory graph rebuilds them from the nodes and relationships.
pub(super) fn load(entries: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), Error>>) -> Result<Graph, Error> {
    let mut g = Graph::default();
    let (mut next_node, mut next_rel) = (0, 0);
    for entry in entries {
        let (k, v) = entry?;
        let mut r = Reader::new(&v);
        match k.first().copied() {
            Some(COUNTERS) => (next_node, next_rel) = (r.varint()?, r.varint()?),
            Some(NODE) => {
                let n = r.len()?;
                let labels = (0..n).map(|_| r.str().map(str::to_string)).collect::<Result<_, _>>()?;
                g.put_node(id_of(&k)?, Some(NodeData { labels, props: decode_props(&mut r)? }));
            }
            Some(REL) => {
                let rel_type = r.str()?.to_string();
                let (start, end) = (r.varint()?, r.varint()?);
                let props = decode_props(&mut r)?;
                g.put_rel(id_of(&k)?, Some(RelData { rel_type, start, end, props }));
            }
            Some(INDEX) => {
                let name = std::str::from_utf8(&k[1..]).map_err(|_| bad_key(&k))?;
                let (label, property) = (r.str()?.to_string(), r.str()?.to_string());
                g.put_schema(name, Some(IndexDef { label, property, unique: r.u8()? != 0 }));
            }
            Some(LABEL | OUT | IN) => {}
            _ => return Err(bad_key(&k)),
        }
    }
    g.next_node = g.next_node.max(next_node);
    g.next_rel = g.next_rel.max(next_rel);
    Ok(g)
}

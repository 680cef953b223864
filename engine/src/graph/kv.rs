//! The graph as sorted key-value entries: what the storage engine keeps, in memory layers and
//! in tables, and what every read of the graph decodes.
//!
//! Keys (integers big-endian, so byte order is numeric order; strings length-prefixed with a
//! u32 so that a label's, type's or index's entries form one contiguous range):
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
//! | `X` name value node | empty: an index entry ([`index_value`] orders values) |
//!
//! Invariant: the entries are a function of the graph alone — the transaction layer writes the
//! label, adjacency and index entries together with the node or relationship they derive from.
use super::{decode_props, encode_props, IndexDef, NodeData, NodeId, RelData, RelId, Value};
use crate::storage::codec::{Reader, Writer};
use crate::storage::Error;

pub const COUNTERS: u8 = b'C';
const NODE: u8 = b'N';
const REL: u8 = b'R';
const LABEL: u8 = b'L';
const OUT: u8 = b'O';
const IN: u8 = b'I';
const SCHEMA: u8 = b'S';
const INDEX: u8 = b'X';

fn push_str(k: &mut Vec<u8>, s: &str) {
    k.extend_from_slice(&(s.len() as u32).to_be_bytes());
    k.extend_from_slice(s.as_bytes());
}

fn with_id(mut k: Vec<u8>, id: u64) -> Vec<u8> {
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The id in a key's last eight bytes.
pub fn trailing_id(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

pub fn counters_key() -> Vec<u8> {
    vec![COUNTERS]
}

pub fn node_prefix() -> Vec<u8> {
    vec![NODE]
}

pub fn node_key(id: NodeId) -> Vec<u8> {
    node_key_inline(id).to_vec()
}

/// [`node_key`] without allocating.
pub fn node_key_inline(id: NodeId) -> [u8; 9] {
    inline_key(NODE, id)
}

/// A one-byte prefix and an id: a node's or a relationship's key.
fn inline_key(prefix: u8, id: u64) -> [u8; 9] {
    let mut k = [prefix; 9];
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

pub fn rel_prefix() -> Vec<u8> {
    vec![REL]
}

pub fn rel_key(id: RelId) -> Vec<u8> {
    rel_key_inline(id).to_vec()
}

/// [`rel_key`] without allocating.
pub fn rel_key_inline(id: RelId) -> [u8; 9] {
    inline_key(REL, id)
}

/// A one-byte tag and a length-prefixed string, with room for `extra` more bytes (the key
/// is built in one allocation).
fn tagged_str(tag: u8, s: &str, extra: usize) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + 4 + s.len() + extra);
    k.push(tag);
    push_str(&mut k, s);
    k
}

/// The label index range of `label`; a node's entry is this plus its id.
pub fn label_prefix(label: &str) -> Vec<u8> {
    tagged_str(LABEL, label, 0)
}

pub fn label_key(label: &str, node: NodeId) -> Vec<u8> {
    with_id(tagged_str(LABEL, label, 8), node)
}

/// The adjacency range of `node` in one direction, optionally narrowed to one type.
pub fn adjacency_prefix(outgoing: bool, node: NodeId, rel_type: Option<&str>) -> Vec<u8> {
    adjacency_prefix_with_room(outgoing, node, rel_type, 0)
}

/// [`adjacency_prefix`] with room for `extra` more bytes.
fn adjacency_prefix_with_room(outgoing: bool, node: NodeId, rel_type: Option<&str>, extra: usize) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + 8 + rel_type.map_or(0, |t| 4 + t.len()) + extra);
    k.push(if outgoing { OUT } else { IN });
    k.extend_from_slice(&node.to_be_bytes());
    if let Some(t) = rel_type {
        push_str(&mut k, t);
    }
    k
}

/// The node an adjacency entry's key belongs to.
pub fn adjacency_node(key: &[u8]) -> Option<NodeId> {
    Some(NodeId::from_be_bytes(key.get(1..9)?.try_into().ok()?))
}

/// A relationship's adjacency entry in one direction: key, and the far node as value.
pub fn adjacency(outgoing: bool, id: RelId, r: &RelData) -> (Vec<u8>, Vec<u8>) {
    let (from, to) = if outgoing { (r.start, r.end) } else { (r.end, r.start) };
    let k = with_id(adjacency_prefix_with_room(outgoing, from, Some(&r.rel_type), 8), id);
    let mut v = Writer::new();
    v.varint(to);
    (k, v.buf)
}

/// An adjacency entry's relationship type (from its key) and far node (its value).
pub fn decode_adjacency<'k>(key: &'k [u8], value: &[u8]) -> Result<(RelId, &'k str, NodeId), Error> {
    let bad = || bad_key(key);
    let len = key.get(9..13).and_then(|b| <[u8; 4]>::try_from(b).ok()).ok_or_else(bad)?;
    let end = 13 + u32::from_be_bytes(len) as usize;
    let rel_type = key.get(13..end).and_then(|t| std::str::from_utf8(t).ok()).ok_or_else(bad)?;
    let rel = trailing_id(key).filter(|_| key.len() == end + 8).ok_or_else(bad)?;
    Ok((rel, rel_type, Reader::new(value).varint()?))
}

pub fn counters_value(next_node: NodeId, next_rel: RelId) -> Vec<u8> {
    let mut w = Writer::new();
    w.varint(next_node);
    w.varint(next_rel);
    w.buf
}

pub fn decode_counters(v: &[u8]) -> Result<(NodeId, RelId), Error> {
    let mut r = Reader::new(v);
    Ok((r.varint()?, r.varint()?))
}

/// Room a value's buffer starts with: most nodes and relationships encode within it, so the
/// buffer is not grown and copied a few times over.
const VALUE_ROOM: usize = 64;

pub fn node_value(n: &NodeData) -> Vec<u8> {
    let mut w = Writer { buf: Vec::with_capacity(VALUE_ROOM) };
    w.varint(n.labels.len() as u64);
    n.labels.iter().for_each(|l| w.str(l));
    encode_props(&mut w, &n.props);
    w.buf
}

pub fn decode_node(v: &[u8]) -> Result<NodeData, Error> {
    let mut r = Reader::new(v);
    let n = r.len()?;
    let labels = (0..n).map(|_| r.str().map(str::to_string)).collect::<Result<_, _>>()?;
    Ok(NodeData { labels, props: decode_props(&mut r)? })
}

pub fn rel_value(r: &RelData) -> Vec<u8> {
    let mut w = Writer { buf: Vec::with_capacity(VALUE_ROOM) };
    w.str(&r.rel_type);
    w.varint(r.start);
    w.varint(r.end);
    encode_props(&mut w, &r.props);
    w.buf
}

pub fn decode_rel(v: &[u8]) -> Result<RelData, Error> {
    let mut r = Reader::new(v);
    let rel_type = r.str()?.to_string();
    let (start, end) = (r.varint()?, r.varint()?);
    Ok(RelData { rel_type, start, end, props: decode_props(&mut r)? })
}

pub fn schema_prefix() -> Vec<u8> {
    vec![SCHEMA]
}

pub fn schema_key(name: &str) -> Vec<u8> {
    let mut k = schema_prefix();
    k.extend_from_slice(name.as_bytes());
    k
}

pub fn schema_value(d: &IndexDef) -> Vec<u8> {
    let mut w = Writer::new();
    w.str(&d.label);
    w.str(&d.property);
    w.u8(u8::from(d.unique));
    w.buf
}

pub fn decode_schema(key: &[u8], v: &[u8]) -> Result<(String, IndexDef), Error> {
    let name = key.get(1..).and_then(|n| std::str::from_utf8(n).ok()).ok_or_else(|| bad_key(key))?;
    let mut r = Reader::new(v);
    let (label, property) = (r.str()?.to_string(), r.str()?.to_string());
    Ok((name.to_string(), IndexDef { label, property, unique: r.u8()? != 0 }))
}

/// The entries of index `name`, all of them.
pub fn index_prefix(name: &str) -> Vec<u8> {
    tagged_str(INDEX, name, 0)
}

/// The entries of index `name` for values that encode to `value` (see [`index_value`]).
pub fn index_value_prefix(name: &str, value: &[u8]) -> Vec<u8> {
    index_value_prefix_with_room(name, value, 0)
}

/// [`index_value_prefix`] with room for `extra` more bytes.
fn index_value_prefix_with_room(name: &str, value: &[u8], extra: usize) -> Vec<u8> {
    let mut k = tagged_str(INDEX, name, value.len() + extra);
    k.extend_from_slice(value);
    k
}

pub fn index_key(name: &str, value: &[u8], node: NodeId) -> Vec<u8> {
    with_id(index_value_prefix_with_room(name, value, 8), node)
}

/// Value classes in index keys, in key order.
const CLASS_BOOL: u8 = 1;
pub const CLASS_NUMBER: u8 = 2;
pub const CLASS_STRING: u8 = 3;
const CLASS_OTHER: u8 = 4;

/// A property value as it sorts in an index: equal values (in Cypher's sense: `1 = 1.0`)
/// encode equally, and numbers and strings encode in their order, so equality is one prefix
/// and a range of numbers or strings one key range. Integers are placed by their nearest
/// float, so distinct large integers may share a key: an index finds a superset, which a
/// caller verifies unless [`index_value_is_exact`]. Other values (lists, temporal values) are
/// placed by their equivalence hint: equality only. `None`: not indexed (null, NaN: equal to
/// nothing).
pub fn index_value(v: &Value) -> Option<Vec<u8>> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => vec![CLASS_BOOL, u8::from(*b)],
        Value::Int(i) => number_key(*i as f64),
        Value::Float(f) if f.is_nan() => return None,
        Value::Float(f) => number_key(*f),
        Value::String(s) => string_key(s, true),
        other => {
            let mut k = vec![CLASS_OTHER];
            k.extend_from_slice(&other.equivalence_hint().to_be_bytes());
            k
        }
    })
}

/// Whether only values equal to `v` share its [`index_value`]: strings, booleans, and numbers
/// below 2^53 in magnitude (every integer there is a float exactly, and larger integers key as
/// floats of at least 2^53); not lists and temporal values (keyed by a hash).
pub fn index_value_is_exact(v: &Value) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match v {
        Value::Bool(_) | Value::String(_) => true,
        Value::Int(i) => i.unsigned_abs() < 1 << 53,
        Value::Float(f) => f.abs() < EXACT,
        _ => false,
    }
}

/// A float's bits flipped so that byte order is numeric order (`-0.0` as `0.0`).
fn number_key(f: f64) -> Vec<u8> {
    let bits = if f == 0.0 { 0u64 } else { f.to_bits() };
    let ordered = if bits >> 63 == 1 { !bits } else { bits | (1 << 63) };
    let mut k = vec![CLASS_NUMBER];
    k.extend_from_slice(&ordered.to_be_bytes());
    k
}

/// A string's bytes with 0 escaped as `0 255`, then (if `terminated`) `0 0`: byte order is
/// string order, and a terminated string is a prefix of no other's key.
pub fn string_key(s: &str, terminated: bool) -> Vec<u8> {
    let mut k = vec![CLASS_STRING];
    for &b in s.as_bytes() {
        k.push(b);
        if b == 0 {
            k.push(u8::MAX);
        }
    }
    if terminated {
        k.extend_from_slice(&[0, 0]);
    }
    k
}

/// The index key bound for a range over `v`: numbers and strings only.
pub fn range_value(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Int(_) | Value::String(_) => index_value(v),
        Value::Float(f) if !f.is_nan() => index_value(v),
        _ => None,
    }
}

fn bad_key(key: &[u8]) -> Error {
    Error::Corrupt(format!("bad graph key {:?}", String::from_utf8_lossy(key)))
}

//! The objects of a namespace: their keys and their encodings (`docs/format.md`).
use super::codec::{frame, unframe, Kind, Reader, Writer};
use super::Error;

/// The object keys of one namespace.
#[derive(Clone, Debug)]
pub struct Layout {
    prefix: String,
}

impl Layout {
    pub fn new(namespace: &str) -> Self {
        Layout { prefix: format!("{namespace}/") }
    }
    pub fn wal(&self, seq: u64) -> String {
        format!("{}wal/{seq:020}", self.prefix)
    }
    pub fn manifest(&self, seq: u64) -> String {
        format!("{}manifest/{seq:020}", self.prefix)
    }
    pub fn snapshot(&self, seq: u64) -> String {
        format!("{}sst/{seq:020}.snap", self.prefix)
    }
    pub fn head(&self) -> String {
        format!("{}head", self.prefix)
    }
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// A decoded commit record.
#[derive(Clone, Debug, PartialEq)]
pub struct WalRecord {
    pub seq: u64,
    pub epoch: u64,
    pub time_ms: u64,
    /// Random per attempt: tells an ambiguous write's own record from a rival's.
    pub txn_id: u64,
    pub payload: Vec<u8>,
}

impl WalRecord {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.varint(self.seq);
        w.varint(self.epoch);
        w.varint(self.time_ms);
        w.varint(self.txn_id);
        w.bytes(&self.payload);
        frame(Kind::WalRecord, &w.buf)
    }

    pub fn decode(data: &[u8]) -> Result<Self, Error> {
        let body = unframe(Kind::WalRecord, data)?;
        let mut r = Reader::new(&body);
        Ok(WalRecord {
            seq: r.varint()?,
            epoch: r.varint()?,
            time_ms: r.varint()?,
            txn_id: r.varint()?,
            payload: r.bytes()?.to_vec(),
        })
    }
}

/// A checkpoint: the state after record `seq`, stored in `snapshot`.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub seq: u64,
    pub epoch: u64,
    pub time_ms: u64,
    pub snapshot: String,
}

impl Manifest {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.varint(self.seq);
        w.varint(self.epoch);
        w.varint(self.time_ms);
        w.str(&self.snapshot);
        frame(Kind::Manifest, &w.buf)
    }

    pub fn decode(data: &[u8]) -> Result<Self, Error> {
        let body = unframe(Kind::Manifest, data)?;
        let mut r = Reader::new(&body);
        Ok(Manifest { seq: r.varint()?, epoch: r.varint()?, time_ms: r.varint()?, snapshot: r.str()?.to_string() })
    }
}

pub fn encode_head(seq: u64) -> Vec<u8> {
    let mut w = Writer::new();
    w.varint(seq);
    frame(Kind::Head, &w.buf)
}

pub fn decode_head(data: &[u8]) -> Result<u64, Error> {
    Reader::new(&unframe(Kind::Head, data)?).varint()
}

/// What a key under the namespace prefix names, for garbage collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectName {
    Wal(u64),
    Manifest(u64),
    Snapshot(u64),
    Head,
    Other,
}

impl Layout {
    /// Classifies a key of this namespace (keys of other namespaces are `Other`).
    pub fn parse(&self, key: &str) -> ObjectName {
        let Some(rest) = key.strip_prefix(self.prefix.as_str()) else { return ObjectName::Other };
        let seq = |s: &str| (s.len() == 20).then(|| s.parse::<u64>().ok()).flatten();
        if rest == "head" {
            return ObjectName::Head;
        }
        if let Some(n) = rest.strip_prefix("wal/").and_then(seq) {
            return ObjectName::Wal(n);
        }
        if let Some(n) = rest.strip_prefix("manifest/").and_then(seq) {
            return ObjectName::Manifest(n);
        }
        match rest.strip_prefix("sst/").and_then(|s| s.strip_suffix(".snap")).and_then(seq) {
            Some(n) => ObjectName::Snapshot(n),
            None => ObjectName::Other,
        }
    }
}

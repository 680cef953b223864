//! The objects of a namespace: their keys and their encodings (`docs/format.md`).
use super::codec::{frame, unframe, Kind, Reader, Writer};
use super::table::TableMeta;
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
    /// A format 1 checkpoint's snapshot (read, never written any more).
    #[cfg(test)]
    pub fn snapshot(&self, seq: u64) -> String {
        format!("{}sst/{seq:020}.snap", self.prefix)
    }
    /// The name (inside the namespace folder) of table `n` written by the checkpoint of
    /// version `seq` built on checkpoint `base`: the three numbers determine the content, so
    /// two writers racing on one name write the same.
    pub fn table_name(seq: u64, base: u64, n: u32) -> String {
        format!("sst/{seq:020}-{base:020}-{n}.sst")
    }
    /// The key of an object named relative to the namespace folder.
    pub fn object(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
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

/// A checkpoint: the state after record `seq`.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub seq: u64,
    pub epoch: u64,
    pub time_ms: u64,
    pub contents: Contents,
}

/// Where a checkpoint's state is.
#[derive(Clone, Debug, PartialEq)]
pub enum Contents {
    /// Format 1: one snapshot object holding the whole state.
    Snapshot(String),
    Tables(Tables),
}

/// The sorted tables holding a state: a key's value is in the first level-0 table (newest
/// first) that has it at or above that table's `from_key`, else in the one level-1 table
/// whose range covers it (level-1 tables are disjoint and in key order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tables {
    pub l0: Vec<Level0>,
    pub l1: Vec<TableMeta>,
}

/// A level-0 table and how much of it compaction has already moved into level 1: its keys
/// below `from_key` are to be ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct Level0 {
    pub table: TableMeta,
    pub from_key: Vec<u8>,
}

impl Tables {
    /// Every table named, level 0 first.
    pub fn all(&self) -> impl Iterator<Item = &TableMeta> {
        self.l0.iter().map(|t| &t.table).chain(&self.l1)
    }
}

fn encode_table(w: &mut Writer, t: &TableMeta) {
    w.str(&t.name);
    w.varint(t.size);
    w.varint(t.index_offset);
    w.varint(t.index_len);
    w.varint(t.entries);
    w.bytes(&t.min_key);
    w.bytes(&t.max_key);
}

fn decode_table(r: &mut Reader) -> Result<TableMeta, Error> {
    Ok(TableMeta {
        name: r.str()?.to_string(),
        size: r.varint()?,
        index_offset: r.varint()?,
        index_len: r.varint()?,
        entries: r.varint()?,
        min_key: r.bytes()?.to_vec(),
        max_key: r.bytes()?.to_vec(),
    })
}

impl Manifest {
    /// Always written as a table manifest; format 1 snapshot manifests are only read.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.varint(self.seq);
        w.varint(self.epoch);
        w.varint(self.time_ms);
        match &self.contents {
            Contents::Snapshot(key) => {
                w.str(key);
                frame(Kind::Manifest, &w.buf)
            }
            Contents::Tables(t) => {
                w.varint(t.l0.len() as u64);
                for l0 in &t.l0 {
                    encode_table(&mut w, &l0.table);
                    w.bytes(&l0.from_key);
                }
                w.varint(t.l1.len() as u64);
                t.l1.iter().for_each(|t| encode_table(&mut w, t));
                frame(Kind::TableManifest, &w.buf)
            }
        }
    }

    pub fn decode(data: &[u8]) -> Result<Self, Error> {
        let tables = data.get(4) == Some(&(Kind::TableManifest as u8));
        let body = unframe(if tables { Kind::TableManifest } else { Kind::Manifest }, data)?;
        let mut r = Reader::new(&body);
        let (seq, epoch, time_ms) = (r.varint()?, r.varint()?, r.varint()?);
        let contents = if tables {
            let n = r.len()?;
            let l0 = (0..n)
                .map(|_| Ok(Level0 { table: decode_table(&mut r)?, from_key: r.bytes()?.to_vec() }))
                .collect::<Result<_, Error>>()?;
            let n = r.len()?;
            let l1 = (0..n).map(|_| decode_table(&mut r)).collect::<Result<_, _>>()?;
            Contents::Tables(Tables { l0, l1 })
        } else {
            Contents::Snapshot(r.str()?.to_string())
        };
        Ok(Manifest { seq, epoch, time_ms, contents })
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
    /// A table, by the version of the checkpoint that wrote it.
    Table(u64),
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
        let Some(file) = rest.strip_prefix("sst/") else { return ObjectName::Other };
        if let Some(n) = file.strip_suffix(".snap").and_then(seq) {
            return ObjectName::Snapshot(n);
        }
        match file.strip_suffix(".sst").and_then(|f| f.get(..20)).and_then(seq) {
            Some(n) => ObjectName::Table(n),
            None => ObjectName::Other,
        }
    }
}

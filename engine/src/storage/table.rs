//! Sorted tables (SSTs): immutable, block-based, checksummed key-value files.
//!
//! Object layout (`docs/format.md` has it byte by byte):
//! `block frame* | index frame | footer`, where every block and the index are independent
//! [`frame`]s (lz4 when it helps, CRC-32 always), so one ranged GET of `(offset, len)` from the
//! index fetches and verifies exactly one block. The footer is 16 bytes: the index's offset
//! (u64 LE), its length (u32 LE) and the magic `NSST`; the manifest repeats both, so a reader
//! that has the manifest never needs the footer (or a HEAD).
//!
//! Invariants: keys are strictly increasing within a table; a value of `None` is a tombstone
//! (the key was deleted since older tables were written); blocks hold about
//! [`BLOCK_BYTES`] of raw entries, so a point lookup reads one block.
use super::codec::{frame, unframe, Kind, Reader, Writer};
use super::view::Block;
use super::Error;

/// Raw (uncompressed) bytes of entries after which a block is closed.
pub const BLOCK_BYTES: usize = 16 * 1024;
const FOOTER_LEN: usize = 16;
const FOOTER_MAGIC: &[u8; 4] = b"NSST";

/// A key and its value; `None` is a deletion (tombstone).
pub type Entry = (Vec<u8>, Option<Vec<u8>>);

/// What a manifest records about one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableMeta {
    /// The object's name inside the namespace folder (`sst/…​.sst`): manifests never name the
    /// namespace, so a copy of the folder under another name still reads.
    pub name: String,
    pub size: u64,
    pub index_offset: u64,
    pub index_len: u64,
    pub entries: u64,
    pub min_key: Vec<u8>,
    pub max_key: Vec<u8>,
}

/// One block's place in the table, and its last key (blocks are found by binary search on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHandle {
    pub last_key: Vec<u8>,
    pub offset: u64,
    pub len: u64,
}

/// Builds a table from entries given in strictly increasing key order.
pub struct TableBuilder {
    out: Vec<u8>,
    block: Writer,
    block_last: Vec<u8>,
    index: Vec<BlockHandle>,
    entries: u64,
    min_key: Option<Vec<u8>>,
}

impl Default for TableBuilder {
    fn default() -> Self {
        TableBuilder {
            out: Vec::new(),
            block: Writer::new(),
            block_last: Vec::new(),
            index: Vec::new(),
            entries: 0,
            min_key: None,
        }
    }
}

impl TableBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one entry. Keys must increase strictly; an out-of-order key is a bug in the
    /// caller and is reported as corruption rather than written.
    pub fn add(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), Error> {
        if self.min_key.is_some() && key <= self.last_key() {
            return Err(Error::Corrupt("table keys out of order".into()));
        }
        // Prefix compression against the previous key of the same block.
        let prev: &[u8] = if self.block.buf.is_empty() { &[] } else { &self.block_last };
        let shared = prev.iter().zip(key).take_while(|(a, b)| a == b).count();
        self.block.varint(shared as u64);
        self.block.bytes(&key[shared..]);
        match value {
            None => self.block.varint(0),
            Some(v) => {
                self.block.varint(v.len() as u64 + 1);
                self.block.buf.extend_from_slice(v);
            }
        }
        self.block_last.clear();
        self.block_last.extend_from_slice(key);
        self.min_key.get_or_insert_with(|| key.to_vec());
        self.entries += 1;
        if self.block.buf.len() >= BLOCK_BYTES {
            self.close_block();
        }
        Ok(())
    }

    /// Appends a stored block of another table whole (`data`, framed as stored, whose last key
    /// is `last_key`): its keys must all follow the entries added so far. Closes the block
    /// being built first, so the copy is a block of its own.
    pub fn add_block(&mut self, data: &[u8], last_key: &[u8]) -> Result<(), Error> {
        let (mut entries, mut first) = (0u64, None);
        visit_block(data, |key, _| {
            entries += 1;
            first.get_or_insert_with(|| key.to_vec());
            Ok(())
        })?;
        let Some(first) = first else { return Err(Error::Corrupt("empty table block".into())) };
        if self.min_key.is_some() && first.as_slice() <= self.last_key() {
            return Err(Error::Corrupt("table keys out of order".into()));
        }
        self.close_block();
        self.index.push(BlockHandle {
            last_key: last_key.to_vec(),
            offset: self.out.len() as u64,
            len: data.len() as u64,
        });
        self.out.extend_from_slice(data);
        self.min_key.get_or_insert(first);
        self.entries += entries;
        Ok(())
    }

    fn last_key(&self) -> &[u8] {
        match self.index.last() {
            Some(b) if self.block.buf.is_empty() => &b.last_key,
            _ => &self.block_last,
        }
    }

    /// Raw bytes added so far (what an output table's size limit is measured in).
    pub fn raw_len(&self) -> usize {
        self.out.len() + self.block.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    fn close_block(&mut self) {
        if self.block.buf.is_empty() {
            return;
        }
        let framed = frame(Kind::Block, &std::mem::take(&mut self.block.buf));
        self.index.push(BlockHandle {
            last_key: self.block_last.clone(),
            offset: self.out.len() as u64,
            len: framed.len() as u64,
        });
        self.out.extend_from_slice(&framed);
    }

    /// The table's bytes, its metadata and its block index (to be stored as `name`).
    pub fn finish(mut self, name: String) -> (Vec<u8>, TableMeta, Vec<BlockHandle>) {
        self.close_block();
        let mut w = Writer::new();
        w.varint(self.index.len() as u64);
        for b in &self.index {
            w.bytes(&b.last_key);
            w.varint(b.offset);
            w.varint(b.len);
        }
        let index = frame(Kind::TableIndex, &w.buf);
        let index_offset = self.out.len() as u64;
        self.out.extend_from_slice(&index);
        self.out.extend_from_slice(&index_offset.to_le_bytes());
        self.out.extend_from_slice(&(index.len() as u32).to_le_bytes());
        self.out.extend_from_slice(FOOTER_MAGIC);
        let meta = TableMeta {
            name,
            size: self.out.len() as u64,
            index_offset,
            index_len: index.len() as u64,
            entries: self.entries,
            min_key: self.min_key.unwrap_or_default(),
            max_key: self.index.last().map(|b| b.last_key.clone()).unwrap_or_default(),
        };
        (self.out, meta, self.index)
    }
}

pub(super) fn decode_index(data: &[u8]) -> Result<Vec<BlockHandle>, Error> {
    let body = unframe(Kind::TableIndex, data)?;
    let mut r = Reader::new(&body);
    let n = r.len()?;
    (0..n).map(|_| Ok(BlockHandle { last_key: r.bytes()?.to_vec(), offset: r.varint()?, len: r.varint()? })).collect()
}

/// Decodes one block's entries.
pub(super) fn decode_block(data: &[u8]) -> Result<Vec<Entry>, Error> {
    let mut out = Vec::new();
    visit_block(data, |key, value| {
        out.push((key.to_vec(), value.map(<[u8]>::to_vec)));
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f` with each of a block's entries in order (the key with its shared prefix
/// restored; `None` for a tombstone), stopping at the first error.
pub(super) fn visit_block(
    data: &[u8],
    mut f: impl FnMut(&[u8], Option<&[u8]>) -> Result<(), Error>,
) -> Result<(), Error> {
    let body = unframe(Kind::Block, data)?;
    let mut r = Reader::new(&body);
    let mut key = Vec::new();
    while !r.is_empty() {
        let shared = usize::try_from(r.varint()?).unwrap_or(usize::MAX);
        if shared > key.len() {
            return Err(Error::Corrupt("block key prefix out of range".into()));
        }
        key.truncate(shared);
        key.extend_from_slice(r.bytes()?);
        let value = match r.varint()? {
            0 => None,
            n => {
                let n = usize::try_from(n - 1).map_err(|_| Error::Corrupt("value too long".into()))?;
                Some(r.bytes_exact(n)?)
            }
        };
        f(&key, value)?;
    }
    Ok(())
}

pub(super) fn slice(data: &[u8], offset: u64, len: u64) -> Result<&[u8], Error> {
    let start = usize::try_from(offset).ok();
    let end = start.zip(usize::try_from(len).ok()).and_then(|(s, l)| s.checked_add(l));
    match (start, end) {
        (Some(s), Some(e)) if e <= data.len() => Ok(&data[s..e]),
        _ => Err(Error::Corrupt("table offset out of range".into())),
    }
}

/// A whole table held in memory (read with one GET), iterated block by block.
pub struct Table {
    data: Vec<u8>,
    index: Vec<BlockHandle>,
}

impl Table {
    /// Checks the footer against the manifest's metadata and decodes the index.
    pub fn from_bytes(data: Vec<u8>, meta: &TableMeta) -> Result<Self, Error> {
        if data.len() as u64 != meta.size || data.len() < FOOTER_LEN {
            return Err(Error::Corrupt(format!("table {} has the wrong size", meta.name)));
        }
        let footer = &data[data.len() - FOOTER_LEN..];
        let mut expect = meta.index_offset.to_le_bytes().to_vec();
        expect.extend_from_slice(&u32::try_from(meta.index_len).unwrap_or(u32::MAX).to_le_bytes());
        expect.extend_from_slice(FOOTER_MAGIC);
        if footer != expect.as_slice() {
            return Err(Error::Corrupt(format!("table {} footer does not match its manifest entry", meta.name)));
        }
        let index = decode_index(slice(&data, meta.index_offset, meta.index_len)?)?;
        Ok(Table { data, index })
    }

    /// Where each block is, in key order.
    pub(super) fn index(&self) -> &[BlockHandle] {
        &self.index
    }

    /// Every entry in key order, decoding one block at a time.
    pub fn iter(&self) -> TableIter<'_> {
        TableIter { table: self, next_block: 0, block: Vec::new().into_iter() }
    }
}

pub struct TableIter<'a> {
    table: &'a Table,
    next_block: usize,
    block: std::vec::IntoIter<Entry>,
}

impl Iterator for TableIter<'_> {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.block.next() {
                return Some(Ok(e));
            }
            let handle = self.table.index.get(self.next_block)?;
            self.next_block += 1;
            match slice(&self.table.data, handle.offset, handle.len).and_then(decode_block) {
                Ok(entries) => self.block = entries.into_iter(),
                Err(e) => {
                    self.next_block = self.table.index.len();
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Walks the entries of tables (disjoint, in key order) at or above `from` and below `below`
/// (if given), decoding one block at a time and lending its entries (no copy per entry).
pub struct Cursor<'a> {
    tables: Vec<&'a Table>,
    table: usize,
    next_block: usize,
    block: Option<Block>,
    at: usize,
    from: &'a [u8],
    below: Option<&'a [u8]>,
}

impl<'a> Cursor<'a> {
    pub fn new(tables: Vec<&'a Table>, from: &'a [u8], below: Option<&'a [u8]>) -> Result<Self, Error> {
        let mut cursor = Cursor { tables, table: 0, next_block: 0, block: None, at: 0, from, below };
        cursor.settle()?;
        Ok(cursor)
    }

    /// The entry at the cursor (`None` for its value: a tombstone); `None` past the end.
    pub fn current(&self) -> Option<(&[u8], Option<&[u8]>)> {
        let block = self.block.as_ref()?;
        let key = block.key(self.at);
        if self.below.is_some_and(|below| key >= below) {
            return None;
        }
        Some((key, block.value(self.at)))
    }

    fn advance(&mut self) -> Result<(), Error> {
        self.at += 1;
        self.settle()
    }

    /// Moves to the first entry at or after the cursor that is at or above `from`, decoding the
    /// next block when this one is done.
    fn settle(&mut self) -> Result<(), Error> {
        loop {
            if self.block.as_ref().is_some_and(|b| self.at < b.len()) {
                return Ok(());
            }
            self.block = None;
            let Some(table) = self.tables.get(self.table) else { return Ok(()) };
            let Some(handle) = table.index.get(self.next_block) else {
                (self.table, self.next_block) = (self.table + 1, 0);
                continue;
            };
            self.next_block += 1;
            if handle.last_key.as_slice() < self.from {
                continue;
            }
            let block = Block::decode(slice(&table.data, handle.offset, handle.len)?)?;
            self.at = block.position(self.from).unwrap_or_else(|at| at);
            self.block = Some(block);
        }
    }
}

/// Merges cursors; where keys are equal, the cursor listed first wins (list the newest
/// first). Tombstones are kept.
pub struct Merge<'a> {
    cursors: Vec<Cursor<'a>>,
    /// The cursor whose entry is the merge's current one.
    winner: Option<usize>,
    /// The other cursors at the winner's key (kept to reuse its allocation).
    same: Vec<usize>,
}

impl<'a> Merge<'a> {
    pub fn new(cursors: Vec<Cursor<'a>>) -> Self {
        let mut merge = Merge { cursors, winner: None, same: Vec::new() };
        merge.settle();
        merge
    }

    /// The merged entry at the merge's position; `None` at the end.
    pub fn current(&self) -> Option<(&[u8], Option<&[u8]>)> {
        self.cursors.get(self.winner?)?.current()
    }

    /// Moves every cursor at the current key past it.
    pub fn advance(&mut self) -> Result<(), Error> {
        let Some(winner) = self.winner else { return Ok(()) };
        let key = self.cursors.get(winner).and_then(Cursor::current).map(|(k, _)| k);
        self.same.clear();
        for (i, c) in self.cursors.iter().enumerate() {
            if i == winner || (key.is_some() && c.current().map(|(k, _)| k) == key) {
                self.same.push(i);
            }
        }
        for &i in &self.same {
            if let Some(c) = self.cursors.get_mut(i) {
                c.advance()?;
            }
        }
        self.settle();
        Ok(())
    }

    /// Finds the smallest key, the first cursor holding it winning.
    fn settle(&mut self) {
        let mut best: Option<(usize, &[u8])> = None;
        for (i, c) in self.cursors.iter().enumerate() {
            if let Some((k, _)) = c.current() {
                if best.is_none_or(|(_, b)| k < b) {
                    best = Some((i, k));
                }
            }
        }
        self.winner = best.map(|(i, _)| i);
    }
}

/// What a merge into the bottom level gives next (see [`IntoBottom`]).
#[derive(Debug, PartialEq)]
pub enum Piece<'a> {
    /// A live entry.
    Entry(&'a [u8], &'a [u8]),
    /// A block of the bottom level that no newer entry falls into, framed as stored, and its
    /// last key: to copy whole ([`TableBuilder::add_block`]).
    Block(&'a [u8], &'a [u8]),
}

/// Merges newer entries (a [`Merge`], tombstones included) into tables of the bottom level
/// (disjoint, in key order, without tombstones), newer entries winning, tombstones dropped.
///
/// A bottom block that no newer entry falls into (none after the previous block's last key
/// and up to its own) comes out whole, undecoded, as [`Piece::Block`]: a bulk load touches few
/// of the bottom level's blocks, and copying the others costs a fraction of re-encoding them.
/// Which blocks come out whole depends only on the inputs, so every merge of the same inputs
/// gives the same pieces (racing checkpoints write identical tables).
pub struct IntoBottom<'a> {
    newer: Merge<'a>,
    bottom: Vec<&'a Table>,
    /// The bottom table and block to look at next.
    table: usize,
    next_block: usize,
    /// The bottom block being merged entry by entry, and the position in it.
    block: Option<Block>,
    at: usize,
    next: Next<'a>,
}

/// Where [`IntoBottom`]'s current piece comes from.
#[derive(Clone, Copy)]
enum Next<'a> {
    End,
    Newer,
    Bottom,
    /// Both at the same key: the newer entry wins, the bottom's is skipped.
    Both,
    Whole(&'a [u8], &'a [u8]),
}

impl<'a> IntoBottom<'a> {
    pub fn new(newer: Merge<'a>, bottom: Vec<&'a Table>) -> Result<Self, Error> {
        let mut merge = IntoBottom { newer, bottom, table: 0, next_block: 0, block: None, at: 0, next: Next::End };
        merge.settle()?;
        Ok(merge)
    }

    /// The piece at the merge's position; `None` at the end.
    pub fn current(&self) -> Option<Piece<'_>> {
        match self.next {
            Next::End => None,
            Next::Newer | Next::Both => self.newer.current().and_then(|(k, v)| Some(Piece::Entry(k, v?))),
            Next::Bottom => {
                let block = self.block.as_ref()?;
                Some(Piece::Entry(block.key(self.at), block.value(self.at)?))
            }
            Next::Whole(data, last_key) => Some(Piece::Block(data, last_key)),
        }
    }

    pub fn advance(&mut self) -> Result<(), Error> {
        self.skip()?;
        self.settle()
    }

    /// Moves past the current piece.
    fn skip(&mut self) -> Result<(), Error> {
        match self.next {
            Next::End => {}
            Next::Newer => self.newer.advance()?,
            Next::Bottom => self.at += 1,
            Next::Both => {
                self.newer.advance()?;
                self.at += 1;
            }
            Next::Whole(..) => self.next_block += 1,
        }
        Ok(())
    }

    /// Finds the next piece: the smaller of the newer and the bottom entry, or a whole bottom
    /// block; skips tombstones (a bottom entry under a newer tombstone with it).
    fn settle(&mut self) -> Result<(), Error> {
        loop {
            let newer = self.newer.current();
            let live = if let Some(block) = self.block.as_ref().filter(|b| self.at < b.len()) {
                let key = block.key(self.at);
                let (next, value) = match newer {
                    Some((k, v)) if k < key => (Next::Newer, v),
                    Some((k, v)) if k == key => (Next::Both, v),
                    _ => (Next::Bottom, block.value(self.at)),
                };
                self.next = next;
                value.is_some()
            } else {
                self.block = None;
                let Some(table) = self.bottom.get(self.table).copied() else {
                    self.next = if newer.is_some() { Next::Newer } else { Next::End };
                    if newer.is_some_and(|(_, v)| v.is_none()) {
                        self.skip()?;
                        continue;
                    }
                    return Ok(());
                };
                let Some(handle) = table.index.get(self.next_block) else {
                    (self.table, self.next_block) = (self.table + 1, 0);
                    continue;
                };
                let data = slice(&table.data, handle.offset, handle.len)?;
                if newer.is_none_or(|(k, _)| k > handle.last_key.as_slice()) {
                    self.next = Next::Whole(data, &handle.last_key);
                    return Ok(());
                }
                (self.block, self.at, self.next_block) = (Some(Block::decode(data)?), 0, self.next_block + 1);
                continue;
            };
            if live {
                return Ok(());
            }
            self.skip()?;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn build(entries: &[(Vec<u8>, Option<Vec<u8>>)]) -> (Vec<u8>, TableMeta) {
        let mut b = TableBuilder::new();
        for (k, v) in entries {
            b.add(k, v.as_deref()).unwrap();
        }
        let (bytes, meta, _) = b.finish("sst/t".into());
        (bytes, meta)
    }

    fn entries(n: u32) -> Vec<Entry> {
        (0..n)
            .map(|i| {
                let key = format!("key-{i:08}").into_bytes();
                let value = (i % 7 != 3).then(|| format!("value {i} {}", "x".repeat((i % 50) as usize)).into_bytes());
                (key, value)
            })
            .collect()
    }

    #[test]
    fn tables_round_trip_across_many_blocks() {
        let all = entries(20_000);
        let (bytes, meta) = build(&all);
        assert_eq!(meta.entries, 20_000);
        assert_eq!(meta.min_key, b"key-00000000");
        assert_eq!(meta.max_key, b"key-00019999");
        let table = Table::from_bytes(bytes, &meta).unwrap();
        assert!(table.index.len() > 20, "many blocks: {}", table.index.len());
        let back: Vec<Entry> = table.iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(back, all);
    }

    #[test]
    fn keys_must_increase() {
        let mut b = TableBuilder::new();
        b.add(b"b", None).unwrap();
        assert!(b.add(b"b", None).is_err());
        assert!(b.add(b"a", Some(b"x")).is_err());
        b.add(b"c", Some(b"")).unwrap();
    }

    #[test]
    fn damage_anywhere_is_detected() {
        let (bytes, meta) = build(&entries(3_000));
        for i in (0..bytes.len()).step_by(97) {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            let read = Table::from_bytes(bad, &meta).and_then(|t| t.iter().collect::<Result<Vec<_>, _>>());
            assert!(read.is_err(), "flip at {i} of {} undetected", bytes.len());
        }
        assert!(Table::from_bytes(bytes[..bytes.len() - 1].to_vec(), &meta).is_err(), "truncation");
    }

    fn table(entries: &[(&str, Option<&str>)]) -> Table {
        let entries: Vec<Entry> =
            entries.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()))).collect();
        let (bytes, meta) = build(&entries);
        Table::from_bytes(bytes, &meta).unwrap()
    }

    fn merged(mut merge: Merge) -> Vec<Entry> {
        let mut out = Vec::new();
        while let Some((k, v)) = merge.current() {
            out.push((k.to_vec(), v.map(<[u8]>::to_vec)));
            merge.advance().unwrap();
        }
        out
    }

    #[test]
    fn merge_prefers_the_first_source_and_keeps_tombstones() {
        let newer = table(&[("a", None), ("c", Some("new"))]);
        let older = table(&[("a", Some("old")), ("b", Some("b")), ("c", Some("old"))]);
        let cursors =
            vec![Cursor::new(vec![&newer], b"", None).unwrap(), Cursor::new(vec![&older], b"", None).unwrap()];
        let entry = |k: &str, v: Option<&str>| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()));
        assert_eq!(merged(Merge::new(cursors)), vec![entry("a", None), entry("b", Some("b")), entry("c", Some("new"))]);
    }

    #[test]
    fn cursors_keep_to_their_bounds_across_blocks_and_tables() {
        let all = entries(6_000);
        let (first, second) = all.split_at(3_000);
        let (a, b) = (build(first), build(second));
        let (a, b) = (Table::from_bytes(a.0, &a.1).unwrap(), Table::from_bytes(b.0, &b.1).unwrap());
        assert!(a.index.len() > 2 && b.index.len() > 2, "several blocks each");
        let (from, below) = (all[1_234].0.clone(), all[4_567].0.clone());
        let cursor = Cursor::new(vec![&a, &b], &from, Some(&below)).unwrap();
        assert_eq!(merged(Merge::new(vec![cursor])), all[1_234..4_567]);
        let cursor = Cursor::new(vec![&a, &b], b"", None).unwrap();
        assert_eq!(merged(Merge::new(vec![cursor])), all);
    }

    /// Merges `newer` into the bottom tables `bottom` as compaction does, building one table
    /// of the pieces: its live entries, and how many blocks were copied whole.
    fn into_bottom(newer: &Table, bottom: &[&Table]) -> (Vec<Entry>, usize) {
        let newer = Merge::new(vec![Cursor::new(vec![newer], b"", None).unwrap()]);
        let mut merge = IntoBottom::new(newer, bottom.to_vec()).unwrap();
        let (mut builder, mut whole) = (TableBuilder::new(), 0);
        while let Some(piece) = merge.current() {
            match piece {
                Piece::Entry(k, v) => builder.add(k, Some(v)).unwrap(),
                Piece::Block(data, last_key) => {
                    whole += 1;
                    builder.add_block(data, last_key).unwrap();
                }
            }
            merge.advance().unwrap();
        }
        let (bytes, meta, _) = builder.finish("sst/out".into());
        let table = Table::from_bytes(bytes, &meta).unwrap();
        let out: Vec<Entry> = table.iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(meta.entries, out.len() as u64);
        assert_eq!((&meta.min_key, &meta.max_key), (&out[0].0, &out[out.len() - 1].0));
        (out, whole)
    }

    #[test]
    fn merging_into_the_bottom_copies_exactly_the_blocks_no_newer_entry_falls_into() {
        let live: Vec<Entry> = entries(8_000).into_iter().filter(|(_, v)| v.is_some()).collect();
        let (first, second) = live.split_at(4_000);
        let (a, b) = (build(first), build(second));
        let (a, b) = (Table::from_bytes(a.0, &a.1).unwrap(), Table::from_bytes(b.0, &b.1).unwrap());
        let blocks = a.index.len() + b.index.len();
        let key = |i: usize| live[i].0.clone();
        // An overwrite, a deletion, an insertion between two keys of one block, a deletion of
        // a key that is not there, and entries after the end.
        let mut changes: Vec<Entry> = vec![
            (key(10), Some(b"new".to_vec())),
            (key(3_000), None),
            ([key(5_000), b"+".to_vec()].concat(), Some(b"between".to_vec())),
            ([key(6_000), b"+".to_vec()].concat(), None),
        ];
        changes.extend((0..500).map(|i| (format!("later-{i:05}").into_bytes(), Some(b"v".to_vec()))));
        let (bytes, meta) = build(&changes);
        let newer = Table::from_bytes(bytes, &meta).unwrap();
        let mut expected: std::collections::BTreeMap<_, _> = live.iter().cloned().collect();
        for (k, v) in &changes {
            match v {
                Some(v) => expected.insert(k.clone(), Some(v.clone())),
                None => expected.remove(k),
            };
        }
        let (out, whole) = into_bottom(&newer, &[&a, &b]);
        assert_eq!(out, expected.into_iter().collect::<Vec<_>>());
        assert_eq!(whole, blocks - 4, "every block but the four that changes fall into is copied");

        // Changes in every block: nothing is copied, and the result is the same as entry by entry.
        let everywhere: Vec<Entry> = live.iter().step_by(50).map(|(k, _)| (k.clone(), Some(b"x".to_vec()))).collect();
        let (bytes, meta) = build(&everywhere);
        let newer = Table::from_bytes(bytes, &meta).unwrap();
        let (out, whole) = into_bottom(&newer, &[&a, &b]);
        assert_eq!(whole, 0);
        assert_eq!(out.len(), live.len());
        assert!(out.iter().step_by(50).all(|(_, v)| v.as_deref() == Some(&b"x"[..])));
    }

    #[test]
    fn copied_blocks_must_follow_the_keys_before_them() {
        let (bytes, meta) = build(&entries(10));
        let table = Table::from_bytes(bytes, &meta).unwrap();
        let h = &table.index[0];
        let data = slice(&table.data, h.offset, h.len).unwrap();
        let mut b = TableBuilder::new();
        b.add(b"key-00000005", Some(b"x")).unwrap();
        assert!(b.add_block(data, &h.last_key).is_err(), "overlaps the keys added");
        let mut b = TableBuilder::new();
        b.add(b"a", None).unwrap();
        b.add_block(data, &h.last_key).unwrap();
        assert!(b.add(&h.last_key, None).is_err(), "the block's keys count as added");
        let mut bad = data.to_vec();
        let mid = bad.len() / 2;
        bad[mid] ^= 1;
        assert!(TableBuilder::new().add_block(&bad, &h.last_key).is_err(), "a damaged block is not copied");
    }
}

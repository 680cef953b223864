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
    /// is `last_key`) unless it holds a tombstone (then returns false): its keys must all follow
    /// the entries added so far. Closes the block being built first, so the copy is a block of
    /// its own.
    pub fn add_block(&mut self, data: &[u8], last_key: &[u8]) -> Result<bool, Error> {
        let (mut entries, mut first, mut tombstones) = (0u64, None, false);
        visit_block(data, |key, value| {
            entries += 1;
            first.get_or_insert_with(|| key.to_vec());
            tombstones |= value.is_none();
            Ok(())
        })?;
        let Some(first) = first else { return Err(Error::Corrupt("empty table block".into())) };
        if self.min_key.is_some() && first.as_slice() <= self.last_key() {
            return Err(Error::Corrupt("table keys out of order".into()));
        }
        if tombstones {
            return Ok(false);
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
        Ok(true)
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

/// One input of an [`IntoBottom`] merge: the entries of tables (disjoint, in key order) at or
/// above `from` and below `below` (if given), walked block by block. A block is decoded only
/// when one of its entries is needed, not when it is copied whole.
pub struct Source<'a> {
    tables: Vec<&'a Table>,
    from: &'a [u8],
    below: Option<&'a [u8]>,
    /// The next block not decoded yet.
    table: usize,
    next_block: usize,
    /// The last key of the block before that one, if known: every key still to come is above.
    after: Option<&'a [u8]>,
    /// The decoded block whose entries come first, and the position in it.
    block: Option<Block>,
    at: usize,
}

impl<'a> Source<'a> {
    pub fn new(tables: Vec<&'a Table>, from: &'a [u8], below: Option<&'a [u8]>) -> Result<Self, Error> {
        let mut source = Source { tables, from, below, table: 0, next_block: 0, after: None, block: None, at: 0 };
        source.settle()?;
        Ok(source)
    }

    /// The entry at the position, if its block is decoded (`None` for its value: a tombstone).
    fn entry(&self) -> Option<(&[u8], Option<&[u8]>)> {
        let block = self.block.as_ref()?;
        Some((block.key(self.at), block.value(self.at)))
    }

    /// The next block, when it is not decoded: its bytes as stored and its last key.
    fn pending(&self) -> Option<(&'a [u8], &'a [u8])> {
        if self.block.is_some() {
            return None;
        }
        let table = *self.tables.get(self.table)?;
        let handle = table.index.get(self.next_block)?;
        Some((slice(&table.data, handle.offset, handle.len).ok()?, &handle.last_key))
    }

    /// Whether the pending block, whose last key is `last_key`, lies within the bounds (so
    /// that it may be copied whole).
    fn within(&self, last_key: &[u8]) -> bool {
        self.within_from() && self.below.is_none_or(|b| last_key < b)
    }

    /// Whether every key still to come is above `key`.
    fn above(&self, key: &[u8]) -> bool {
        match self.entry() {
            Some((k, _)) => k > key,
            None => self.pending().is_none() || self.after.is_some_and(|a| a >= key),
        }
    }

    fn advance(&mut self) -> Result<(), Error> {
        self.at += 1;
        self.settle()
    }

    /// Moves past the pending block (copied whole).
    fn skip_block(&mut self) -> Result<(), Error> {
        if let Some((_, last_key)) = self.pending() {
            (self.after, self.next_block) = (Some(last_key), self.next_block + 1);
        }
        self.settle()
    }

    /// Decodes the pending block.
    fn decode(&mut self) -> Result<(), Error> {
        let Some(table) = self.tables.get(self.table).copied() else { return Ok(()) };
        let Some(handle) = table.index.get(self.next_block) else { return Ok(()) };
        let block = Block::decode(slice(&table.data, handle.offset, handle.len)?)?;
        self.at = if self.within_from() { 0 } else { block.position(self.from).unwrap_or_else(|at| at) };
        (self.block, self.after, self.next_block) =
            (Some(block), Some(handle.last_key.as_slice()), self.next_block + 1);
        self.settle()
    }

    /// Whether every key still to come is at or above `from`.
    fn within_from(&self) -> bool {
        self.from.is_empty() || self.after.is_some_and(|a| a >= self.from)
    }

    /// Moves to a decoded entry within the bounds or to the next block that may hold one;
    /// to the end past `below`.
    fn settle(&mut self) -> Result<(), Error> {
        loop {
            if let Some(block) = &self.block {
                if self.at < block.len() {
                    if self.below.is_some_and(|b| block.key(self.at) >= b) {
                        (self.block, self.table) = (None, self.tables.len());
                    }
                    return Ok(());
                }
                self.block = None;
            }
            let Some(table) = self.tables.get(self.table).copied() else { return Ok(()) };
            let Some(handle) = table.index.get(self.next_block) else {
                (self.table, self.next_block) = (self.table + 1, 0);
                continue;
            };
            if self.after.zip(self.below).is_some_and(|(a, b)| a >= b) {
                self.table = self.tables.len();
            } else if handle.last_key.as_slice() < self.from {
                (self.after, self.next_block) = (Some(handle.last_key.as_slice()), self.next_block + 1);
                continue;
            } else {
                // Checked here so that `pending` gives every block there is.
                slice(&table.data, handle.offset, handle.len)?;
            }
            return Ok(());
        }
    }
}

/// What a merge into the bottom level gives next (see [`IntoBottom`]).
#[derive(Debug, PartialEq)]
pub enum Piece<'a> {
    /// A live entry.
    Entry(&'a [u8], &'a [u8]),
    /// A block that no other source has a key in, framed as stored, and its last key: to copy
    /// whole ([`TableBuilder::add_block`]), or, if it holds a tombstone, to
    /// [`IntoBottom::expand`].
    Block(&'a [u8], &'a [u8]),
}

/// Merges sources (newest first, the bottom level last) into the bottom level: of equal keys
/// the newest source's entry wins, and tombstones are dropped.
///
/// A block of one source that no other source has a key in (from after the source's previous
/// block up to the block's last key) comes out whole, undecoded, as [`Piece::Block`]: a bulk
/// load appends most of its keys, so most blocks of both levels need no decoding, merging,
/// re-encoding and recompressing. Which blocks come out whole depends only on the inputs, so
/// every merge of the same inputs gives the same pieces (racing checkpoints write identical
/// tables).
pub struct IntoBottom<'a> {
    sources: Vec<Source<'a>>,
    next: Next,
}

/// Where [`IntoBottom`]'s current piece comes from.
#[derive(Clone, Copy)]
enum Next {
    End,
    /// The entry of this source (the newest holding the smallest key).
    Entry(usize),
    /// The pending block of this source.
    Whole(usize),
}

impl<'a> IntoBottom<'a> {
    pub fn new(sources: Vec<Source<'a>>) -> Result<Self, Error> {
        let mut merge = IntoBottom { sources, next: Next::End };
        merge.settle()?;
        Ok(merge)
    }

    /// The piece at the merge's position; `None` at the end.
    pub fn current(&self) -> Option<Piece<'_>> {
        match self.next {
            Next::End => None,
            Next::Entry(i) => self.sources.get(i)?.entry().and_then(|(k, v)| Some(Piece::Entry(k, v?))),
            Next::Whole(i) => self.sources.get(i)?.pending().map(|(data, last_key)| Piece::Block(data, last_key)),
        }
    }

    pub fn advance(&mut self) -> Result<(), Error> {
        match self.next {
            Next::End => {}
            Next::Entry(winner) => self.skip_key(winner)?,
            Next::Whole(i) => self.source(i)?.skip_block()?,
        }
        self.settle()
    }

    /// Decodes the block the current piece offers whole, to give its entries one by one.
    pub fn expand(&mut self) -> Result<(), Error> {
        if let Next::Whole(i) = self.next {
            self.source(i)?.decode()?;
        }
        self.settle()
    }

    fn source(&mut self, i: usize) -> Result<&mut Source<'a>, Error> {
        self.sources.get_mut(i).ok_or_else(|| Error::Corrupt("merge source out of range".into()))
    }

    /// Moves every source at the key of source `winner`'s entry past it.
    fn skip_key(&mut self, winner: usize) -> Result<(), Error> {
        let Some(key) = self.sources.get(winner).and_then(Source::entry).map(|(k, _)| k.to_vec()) else {
            return Ok(());
        };
        for source in &mut self.sources {
            if source.entry().is_some_and(|(k, _)| k == key) {
                source.advance()?;
            }
        }
        Ok(())
    }

    /// Finds the next piece: the smallest decoded entry unless a pending block may hold a key
    /// at or below it; then that block whole if no other source has a key up to its last,
    /// else decoded. Skips tombstones.
    fn settle(&mut self) -> Result<(), Error> {
        loop {
            let mut smallest: Option<(usize, &[u8])> = None;
            for (i, s) in self.sources.iter().enumerate() {
                if let Some((k, _)) = s.entry() {
                    if smallest.is_none_or(|(_, m)| k < m) {
                        smallest = Some((i, k));
                    }
                }
            }
            // The pending block that may hold the smallest key still to come (the one
            // starting lowest), if any may come before `smallest`.
            let mut first: Option<usize> = None;
            for (i, s) in self.sources.iter().enumerate() {
                let before = smallest.is_none_or(|(_, m)| s.after.is_none_or(|a| a < m));
                if s.pending().is_some() && before && first.is_none_or(|f| s.after < self.sources[f].after) {
                    first = Some(i);
                }
            }
            match (first, smallest) {
                (None, None) => {
                    self.next = Next::End;
                    return Ok(());
                }
                (None, Some((i, _))) => {
                    self.next = Next::Entry(i);
                    if self.sources[i].entry().is_some_and(|(_, v)| v.is_some()) {
                        return Ok(());
                    }
                    self.skip_key(i)?;
                }
                (Some(i), _) => {
                    let s = &self.sources[i];
                    let whole = s.pending().is_some_and(|(_, last)| {
                        s.within(last) && self.sources.iter().enumerate().all(|(j, o)| j == i || o.above(last))
                    });
                    if whole {
                        self.next = Next::Whole(i);
                        return Ok(());
                    }
                    self.source(i)?.decode()?;
                }
            }
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

    /// Merges `sources` as compaction does, into one table: its entries (checked to read back
    /// with the right metadata), and how many blocks were copied whole.
    fn merged(sources: Vec<Source>) -> (Vec<Entry>, usize) {
        let mut merge = IntoBottom::new(sources).unwrap();
        let (mut builder, mut whole) = (TableBuilder::new(), 0);
        while let Some(piece) = merge.current() {
            match piece {
                Piece::Entry(k, v) => builder.add(k, Some(v)).unwrap(),
                Piece::Block(data, last_key) => {
                    if !builder.add_block(data, last_key).unwrap() {
                        merge.expand().unwrap();
                        continue;
                    }
                    whole += 1;
                }
            }
            merge.advance().unwrap();
        }
        let (bytes, meta, _) = builder.finish("sst/out".into());
        let table = Table::from_bytes(bytes, &meta).unwrap();
        let out: Vec<Entry> = table.iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(meta.entries, out.len() as u64);
        if let (Some(first), Some(last)) = (out.first(), out.last()) {
            assert_eq!((&meta.min_key, &meta.max_key), (&first.0, &last.0));
        }
        (out, whole)
    }

    fn source<'a>(tables: Vec<&'a Table>, from: &'a [u8], below: Option<&'a [u8]>) -> Source<'a> {
        Source::new(tables, from, below).unwrap()
    }

    #[test]
    fn the_newest_source_wins_and_tombstones_are_dropped() {
        let newer = table(&[("a", None), ("c", Some("new"))]);
        let older = table(&[("a", Some("old")), ("b", Some("b")), ("c", Some("old"))]);
        let entry = |k: &str, v: &str| (k.as_bytes().to_vec(), Some(v.as_bytes().to_vec()));
        let (out, whole) = merged(vec![source(vec![&newer], b"", None), source(vec![&older], b"", None)]);
        assert_eq!((out, whole), (vec![entry("b", "b"), entry("c", "new")], 0));
    }

    #[test]
    fn sources_keep_to_their_bounds_across_blocks_and_tables() {
        for with_tombstones in [true, false] {
            let all: Vec<Entry> = entries(6_000).into_iter().filter(|(_, v)| with_tombstones || v.is_some()).collect();
            let (first, second) = all.split_at(3_000);
            let (a, b) = (build(first), build(second));
            let (a, b) = (Table::from_bytes(a.0, &a.1).unwrap(), Table::from_bytes(b.0, &b.1).unwrap());
            let blocks = a.index.len() + b.index.len();
            assert!(a.index.len() > 2 && b.index.len() > 2, "several blocks each");
            let (from, below) = (all[1_234].0.clone(), all[4_567].0.clone());
            let live: Vec<Entry> = all[1_234..4_567].iter().filter(|(_, v)| v.is_some()).cloned().collect();
            let (out, whole) = merged(vec![source(vec![&a, &b], &from, Some(&below))]);
            assert_eq!(out, live);
            // Blocks holding tombstones are never copied; else all but those at the bounds.
            if with_tombstones {
                assert_eq!(whole, 0);
            } else {
                let inside = |t: &Table| t.index.iter().filter(|h| h.last_key > from && h.last_key < below).count();
                assert_eq!(whole, inside(&a) + inside(&b) - 1, "{blocks} blocks");
            }
            let (out, _) = merged(vec![source(vec![&a, &b], b"", None)]);
            assert_eq!(out, all.iter().filter(|(_, v)| v.is_some()).cloned().collect::<Vec<_>>());
        }
    }

    #[test]
    fn merging_copies_exactly_the_blocks_no_other_source_has_a_key_in() {
        let live: Vec<Entry> = entries(8_000).into_iter().filter(|(_, v)| v.is_some()).collect();
        let (first, second) = live.split_at(4_000);
        let (a, b) = (build(first), build(second));
        let (a, b) = (Table::from_bytes(a.0, &a.1).unwrap(), Table::from_bytes(b.0, &b.1).unwrap());
        let blocks = a.index.len() + b.index.len();
        let key = |i: usize| live[i].0.clone();
        // An overwrite, a deletion, an insertion between two keys of one block, a deletion of
        // a key that is not there, and entries after the end (several blocks of them).
        let mut changes: Vec<Entry> = vec![
            (key(10), Some(b"new".to_vec())),
            (key(3_000), None),
            ([key(5_000), b"+".to_vec()].concat(), Some(b"between".to_vec())),
            ([key(6_000), b"+".to_vec()].concat(), None),
        ];
        changes.extend((0..5_000).map(|i| (format!("later-{i:05}").into_bytes(), Some(format!("v{i}").into_bytes()))));
        let (bytes, meta) = build(&changes);
        let newer = Table::from_bytes(bytes, &meta).unwrap();
        assert!(newer.index.len() > 2);
        let mut expected: std::collections::BTreeMap<_, _> = live.iter().cloned().collect();
        for (k, v) in &changes {
            match v {
                Some(v) => expected.insert(k.clone(), Some(v.clone())),
                None => expected.remove(k),
            };
        }
        let (out, whole) = merged(vec![source(vec![&newer], b"", None), source(vec![&a, &b], b"", None)]);
        assert_eq!(out, expected.into_iter().collect::<Vec<_>>());
        // Not the four older blocks the first changes fall into, nor the newer block with them.
        assert_eq!(whole, blocks - 4 + newer.index.len() - 1);

        // Changes in every block: nothing is copied, and the result is the same as entry by entry.
        let everywhere: Vec<Entry> = live.iter().step_by(50).map(|(k, _)| (k.clone(), Some(b"x".to_vec()))).collect();
        let (bytes, meta) = build(&everywhere);
        let newer = Table::from_bytes(bytes, &meta).unwrap();
        let (out, whole) = merged(vec![source(vec![&newer], b"", None), source(vec![&a, &b], b"", None)]);
        assert_eq!(whole, 0);
        assert_eq!(out.len(), live.len());
        assert!(out.iter().step_by(50).all(|(_, v)| v.as_deref() == Some(&b"x"[..])));
    }

    #[test]
    fn copied_blocks_must_follow_the_keys_before_them_and_hold_no_tombstone() {
        let (bytes, meta) = build(&entries(10));
        let table = Table::from_bytes(bytes, &meta).unwrap();
        let h = &table.index[0];
        let data = slice(&table.data, h.offset, h.len).unwrap();
        let mut b = TableBuilder::new();
        b.add(b"key-00000005", Some(b"x")).unwrap();
        assert!(b.add_block(data, &h.last_key).is_err(), "overlaps the keys added");
        let live: Vec<Entry> = entries(10).into_iter().filter(|(_, v)| v.is_some()).collect();
        let (bytes, meta) = build(&live);
        let live = Table::from_bytes(bytes, &meta).unwrap();
        let h = &live.index[0];
        let live_data = slice(&live.data, h.offset, h.len).unwrap();
        let mut b = TableBuilder::new();
        b.add(b"a", None).unwrap();
        assert!(!b.add_block(data, &h.last_key).unwrap(), "entries(10) has a tombstone");
        assert!(b.add_block(live_data, &h.last_key).unwrap());
        assert!(b.add(&h.last_key, None).is_err(), "the block's keys count as added");
        let mut bad = live_data.to_vec();
        let mid = bad.len() / 2;
        bad[mid] ^= 1;
        assert!(TableBuilder::new().add_block(&bad, &h.last_key).is_err(), "a damaged block is not copied");
    }
}

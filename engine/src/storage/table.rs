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

/// Merges sorted entry streams; where keys are equal, the stream listed first wins (list the
/// newest first). Tombstones are kept unless `drop_tombstones` (only for the bottom level).
pub struct Merge<I: Iterator<Item = Result<Entry, Error>>> {
    sources: Vec<std::iter::Peekable<I>>,
    drop_tombstones: bool,
}

impl<I: Iterator<Item = Result<Entry, Error>>> Merge<I> {
    pub fn new(sources: impl IntoIterator<Item = I>, drop_tombstones: bool) -> Self {
        Merge { sources: sources.into_iter().map(Iterator::peekable).collect(), drop_tombstones }
    }
}

impl<I: Iterator<Item = Result<Entry, Error>>> Iterator for Merge<I> {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            // The smallest key at the head of any source; the first source holding it wins.
            let mut best: Option<(usize, &[u8])> = None;
            for (i, s) in self.sources.iter_mut().enumerate() {
                match s.peek() {
                    Some(Err(_)) => return s.next(),
                    Some(Ok((k, _))) if best.is_none_or(|(_, b)| k.as_slice() < b) => best = Some((i, k)),
                    _ => {}
                }
            }
            let winner = best?.0;
            let entry = self.sources.get_mut(winner)?.next()?;
            let Ok((key, value)) = entry else { return Some(entry) };
            // The later sources' entries for the same key are older: shadowed.
            for s in &mut self.sources {
                if matches!(s.peek(), Some(Ok((k, _))) if *k == key) {
                    s.next();
                }
            }
            match value {
                None if self.drop_tombstones => continue,
                value => return Some(Ok((key, value))),
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

    #[test]
    fn merge_prefers_the_first_source_and_drops_tombstones_only_when_asked() {
        let newer: Vec<Result<Entry, Error>> =
            vec![Ok((b"a".to_vec(), None)), Ok((b"c".to_vec(), Some(b"new".to_vec())))];
        let older: Vec<Result<Entry, Error>> = vec![
            Ok((b"a".to_vec(), Some(b"old".to_vec()))),
            Ok((b"b".to_vec(), Some(b"b".to_vec()))),
            Ok((b"c".to_vec(), Some(b"old".to_vec()))),
        ];
        let merged: Vec<Entry> = Merge::new([newer.clone().into_iter(), older.clone().into_iter()], false)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            merged,
            vec![(b"a".to_vec(), None), (b"b".to_vec(), Some(b"b".to_vec())), (b"c".to_vec(), Some(b"new".to_vec()))]
        );
        let bottom: Vec<Entry> =
            Merge::new([newer.into_iter(), older.into_iter()], true).collect::<Result<_, _>>().unwrap();
        assert_eq!(bottom.len(), 2);
        assert_eq!(bottom[0].0, b"b");
    }
}

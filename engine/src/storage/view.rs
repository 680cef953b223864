//! Reading a version's state lazily: sorted in-memory layers (the records since the last
//! checkpoint, newest first) over the checkpoint's tables, whose blocks are fetched only when a
//! read needs them and kept in a byte-bounded cache shared by every request of a process.
//!
//! Reads are synchronous (the query engine is), so a read that needs a block not in memory
//! does not wait for it: it records the block as *missing* in its [`Reads`] and answers as if
//! the block were empty. The caller then fetches every missing block at once
//! ([`super::Database::fetch`]) and runs again; an answer is only used from a run that missed
//! nothing. A run discovers every block its inputs lead to, so a query costs one round of
//! fetches per step of data dependence (a point lookup by index: two), not one per block.
//!
//! Invariants: blocks are immutable (tables are write-once), so a cached block never goes
//! stale; a block a request used stays pinned by that request's [`Reads`] until it ends, so
//! eviction can never make a rerun miss what the previous run fetched; the bytes a request
//! pins are bounded ([`Reads::new`]). A lookup that meets a missing block ends there (an older
//! table may hold a stale value for the key), and what the cache remembers of a table set's
//! reads (values, ranges' decoded forms) comes only from lookups that missed nothing.
use super::table::{self, BlockHandle, TableMeta};
use super::Error;
use crate::storage::records::Tables;
use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::ops::Bound;
use std::rc::Rc;

/// Sorted changes over older state: `None` is a deletion.
pub type Layer = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// One decoded block: its entries' keys and values one after another in one buffer (a block
/// of small entries takes little more memory decoded than raw), in key order.
pub struct Block {
    data: Vec<u8>,
    /// Where each entry's key starts, and its value (ending where the next key starts); a
    /// tombstone's value start has [`TOMBSTONE`] set.
    starts: Vec<(u32, u32)>,
    bytes: usize,
}

/// Marks a tombstone's value start in a [`Block`] (whose data is far below 2 GiB).
const TOMBSTONE: u32 = 1 << 31;

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Block({} entries, {} bytes)", self.starts.len(), self.bytes)
    }
}

impl Block {
    pub(super) fn decode(data: &[u8]) -> Result<Self, Error> {
        let mut block = Block::with_capacity(table::BLOCK_BYTES);
        table::visit_block(data, |key, value| block.push(key, value))?;
        block.finish()
    }

    /// A block of sorted entries held in memory (a record's changes): its keys and values
    /// copied into one buffer, so that it is searched like a table's block, walked in order
    /// without chasing a pointer per entry, and freed at once. Keys must increase strictly.
    pub(super) fn from_entries<'a>(
        entries: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + Clone,
    ) -> Result<Self, Error> {
        let (n, bytes) = entries.clone().fold((0, 0), |(n, b), (k, v)| (n + 1, b + k.len() + v.map_or(0, <[u8]>::len)));
        let mut block = Block::with_capacity(bytes);
        block.starts.reserve_exact(n);
        for (key, value) in entries {
            if !block.is_empty() && key <= block.key(block.len() - 1) {
                return Err(Error::Corrupt("in-memory entries out of order".into()));
            }
            block.push(key, value)?;
        }
        block.finish()
    }

    /// [`Block::from_entries`] of a layer's entries.
    pub(super) fn from_layer(layer: &Layer) -> Result<Self, Error> {
        Block::from_entries(layer.iter().map(|(k, v)| (k.as_slice(), v.as_deref())))
    }

    pub(super) fn with_capacity(bytes: usize) -> Self {
        Block { data: Vec::with_capacity(bytes), starts: Vec::new(), bytes: 0 }
    }

    /// The offset the next byte goes to, as a start (below [`TOMBSTONE`]).
    fn next_offset(&self) -> Result<u32, Error> {
        u32::try_from(self.data.len())
            .ok()
            .filter(|at| at & TOMBSTONE == 0)
            .ok_or_else(|| Error::Corrupt("block too large".into()))
    }

    /// Appends an entry (keys must increase; [`Block::from_entries`] checks, other callers merge
    /// sorted blocks).
    pub(super) fn push(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), Error> {
        let key_at = self.next_offset()?;
        self.data.extend_from_slice(key);
        let value_at = self.next_offset()? | if value.is_some() { 0 } else { TOMBSTONE };
        self.data.extend_from_slice(value.unwrap_or_default());
        self.starts.push((key_at, value_at));
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<Self, Error> {
        self.next_offset()?;
        self.data.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.bytes = self.data.len() + self.starts.len() * std::mem::size_of::<(u32, u32)>() + 64;
        Ok(self)
    }

    /// The keys' and values' bytes.
    pub(super) fn data_len(&self) -> usize {
        self.data.len()
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Where entry `i`'s key starts, its value starts, and it ends; whether it is live.
    fn span(&self, i: usize) -> Option<(usize, usize, usize, bool)> {
        let (key, value) = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).map_or(self.data.len(), |(next, _)| *next as usize);
        Some((key as usize, (value & !TOMBSTONE) as usize, end, value & TOMBSTONE == 0))
    }

    pub fn key(&self, i: usize) -> &[u8] {
        self.starts.get(i).map_or(&[], |&start| self.key_at(start))
    }

    /// The key of the entry starting at `(key, value)` (see [`Block::starts`]).
    fn key_at(&self, (key, value): (u32, u32)) -> &[u8] {
        self.data.get(key as usize..(value & !TOMBSTONE) as usize).unwrap_or_default()
    }

    /// Entry `i`'s value: `None` for a tombstone (or past the end).
    pub(super) fn value(&self, i: usize) -> Option<&[u8]> {
        let (_, value, end, _) = self.span(i).filter(|(.., live)| *live)?;
        self.data.get(value..end)
    }

    /// Whether a key in `[lo, hi)` (`hi` `None`: to the end) may be here: the block's first
    /// and last keys bound it (two compares spare a search of a block that holds other kinds
    /// of keys, e.g. a layer of new relationships asked for index entries).
    fn may_hold(&self, lo: &[u8], hi: Option<&[u8]>) -> bool {
        match self.len().checked_sub(1) {
            Some(last) => self.key(last) >= lo && hi.is_none_or(|hi| self.key(0) < hi),
            None => false,
        }
    }

    /// The position of `key`, or where it would be.
    pub(super) fn position(&self, key: &[u8]) -> Result<usize, usize> {
        self.starts.binary_search_by(|&start| self.key_at(start).cmp(key))
    }

    /// [`Block::position`], searched forward from entry `hint` when `key` is not below it
    /// (reads in key order land just after the last one: a few compares, not a whole search).
    fn position_from(&self, key: &[u8], hint: usize) -> Result<usize, usize> {
        if hint >= self.len() || self.key(hint) > key {
            return self.position(key);
        }
        // Gallop: key(lo) <= key, and key < key(hi) unless hi is the end.
        let (mut lo, mut step) = (hint, 1);
        let hi = loop {
            let probe = lo.saturating_add(step);
            if probe >= self.len() || self.key(probe) > key {
                break probe.min(self.len());
            }
            lo = probe;
            step *= 2;
        };
        let within = self.starts.get(lo..hi).unwrap_or_default();
        match within.binary_search_by(|&start| self.key_at(start).cmp(key)) {
            Ok(i) => Ok(lo + i),
            Err(i) => Err(lo + i),
        }
    }
}

/// A live value as [`State::get_stored`] found it: where it is stored, or a copy of what
/// memory held. Cloning it copies no bytes.
#[derive(Clone, Debug)]
pub struct Stored(Place);

#[derive(Clone, Debug)]
enum Place {
    /// Entry `usize` of the block (live: checked when found).
    InBlock(Rc<Block>, usize),
    Copied(Rc<Vec<u8>>),
}

impl Stored {
    /// Whether the bytes are read in place in a block (else they are a copy).
    pub fn in_block(&self) -> bool {
        matches!(self.0, Place::InBlock(..))
    }

    /// Entry `at` of `block`, if it is live.
    pub fn entry(block: &Rc<Block>, at: usize) -> Option<Stored> {
        block.value(at)?;
        Some(Stored(Place::InBlock(block.clone(), at)))
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.0 {
            Place::InBlock(block, at) => block.value(*at).unwrap_or_default(),
            Place::Copied(bytes) => bytes,
        }
    }
}

/// Approximate bytes of one entry held as two vectors beyond its key and value.
const ENTRY_OVERHEAD: usize = 56;

/// Where a block is: the object key and its byte range.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId {
    pub object: Rc<str>,
    pub offset: u64,
    pub len: u64,
}

/// A cheap hasher for keys no adversary chooses against a table it can see (entity ids, block
/// ids, the cache's keys): SipHash, the default, showed in profiles of warm reads.
///
/// Each word is folded in with a full 64×64→128-bit multiply whose halves are xored, so a
/// difference in any bit of any word reaches every bit of the state. (A plain multiply only
/// carries differences upwards: keys differing in a high bit of one word and a few low bits
/// of the next collided, and the cache's lookups degraded into long probe sequences.)
#[derive(Default)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().unwrap_or_default());
            self.write_u64(word);
        }
        let mut rest = [0u8; 8];
        let tail = chunks.remainder();
        if let Some(head) = rest.get_mut(..tail.len()) {
            head.copy_from_slice(tail);
            // The length keeps a tail of zero bytes apart from a shorter one.
            self.write_u64(u64::from_le_bytes(rest) ^ ((tail.len() as u64) << 59));
        }
    }
    fn write_u64(&mut self, v: u64) {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let m = u128::from(self.0 ^ v ^ K).wrapping_mul(u128::from(K.rotate_left(17) | 1));
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Decoded blocks shared across requests, and what reads found in them (values decoded,
/// ranges' decoded forms: [`TableSet`]s are immutable, so these never
/// go stale). Least recently used evicted beyond `capacity` bytes.
#[derive(Debug)]
pub struct BlockCache {
    capacity: usize,
    inner: RefCell<CacheInner>,
}

/// Items by the hash of their key. A lookup compares the item's own key with the one asked
/// for, so a hash collision is a miss (and an insert replaces the other item): lookups hash
/// borrowed keys and allocate nothing.
#[derive(Debug, Default)]
struct CacheInner {
    items: FastMap<u64, Item>,
    bytes: usize,
    /// Bytes of derived values ([`Cached::Value`]).
    derived: usize,
    clock: u64,
}

impl CacheInner {
    /// Accounts for an item no longer held.
    fn forget(&mut self, item: &Item) {
        self.bytes -= item.bytes;
        if matches!(item.value, Cached::Value(_)) {
            self.derived -= item.bytes;
        }
    }
}

#[derive(Debug)]
struct Item {
    key: CacheKey,
    value: Cached,
    bytes: usize,
    used: u64,
    /// Whether a read used the item since it was cached (false for a block this process
    /// wrote and put in the cache, [`BlockCache::put_written`], until a read uses it).
    read: bool,
}

/// What the cache holds an item for: a block, or a point or range read of a table set.
#[derive(Debug)]
enum CacheKey {
    Block(BlockId),
    Value(u64, KeyBytes),
    Range(u64, TypeId, KeyBytes, Option<KeyBytes>),
}

/// A key's bytes, inline when short (a node's key is 9 bytes, an adjacency list's 20 or so),
/// so comparing an item's key with a probe reads no memory beyond the item.
#[derive(Debug)]
enum KeyBytes {
    Inline(u8, [u8; 22]),
    Heap(Box<[u8]>),
}

impl From<&[u8]> for KeyBytes {
    fn from(bytes: &[u8]) -> Self {
        let mut inline = [0u8; 22];
        match (inline.get_mut(..bytes.len()), u8::try_from(bytes.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(bytes);
                KeyBytes::Inline(len, inline)
            }
            _ => KeyBytes::Heap(bytes.into()),
        }
    }
}

impl std::ops::Deref for KeyBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            KeyBytes::Inline(len, bytes) => bytes.get(..usize::from(*len)).unwrap_or_default(),
            KeyBytes::Heap(bytes) => bytes,
        }
    }
}

/// A [`CacheKey`], borrowed: what lookups hash and compare.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Probe<'a> {
    Block(&'a str, u64, u64),
    /// A table set's value for a key.
    Value(u64, &'a [u8]),
    /// A table set's live entries in `[lo, hi)`, as the type named keeps them.
    Range(u64, TypeId, &'a [u8], Option<&'a [u8]>),
}

impl CacheKey {
    fn probe(&self) -> Probe<'_> {
        match self {
            CacheKey::Block(b) => Probe::Block(&b.object, b.offset, b.len),
            CacheKey::Value(set, key) => Probe::Value(*set, key),
            CacheKey::Range(set, kind, lo, hi) => Probe::Range(*set, *kind, lo, hi.as_deref()),
        }
    }
}

impl Probe<'_> {
    fn hash(&self) -> u64 {
        BuildHasherDefault::<FastHasher>::default().hash_one(self)
    }
}

#[derive(Clone)]
enum Cached {
    Block(Rc<Block>),
    Value(Rc<dyn Any>),
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cached::Block(b) => b.fmt(f),
            Cached::Value(_) => f.write_str("Value"),
        }
    }
}

/// The default cache size: a quarter of a Worker isolate's 128 MB.
pub const DEFAULT_CACHE_BYTES: usize = 32 * 1024 * 1024;

impl Default for BlockCache {
    fn default() -> Self {
        BlockCache::new(DEFAULT_CACHE_BYTES)
    }
}

impl BlockCache {
    pub fn new(capacity: usize) -> Self {
        BlockCache { capacity, inner: RefCell::default() }
    }

    /// Bytes held (estimated for decoded values).
    pub fn bytes(&self) -> usize {
        self.inner.borrow().bytes
    }

    /// Bytes of values derived from blocks (decoded values, ranges), within [`BlockCache::bytes`].
    pub fn derived_bytes(&self) -> usize {
        self.inner.borrow().derived
    }

    fn get(&self, probe: Probe<'_>) -> Option<Cached> {
        let mut inner = self.inner.borrow_mut();
        inner.clock += 1;
        let now = inner.clock;
        let item = inner.items.get_mut(&probe.hash()).filter(|item| item.key.probe() == probe)?;
        item.used = now;
        item.read = true;
        Some(item.value.clone())
    }

    /// The decoded value of type `T` kept for `probe`.
    fn value<T: 'static>(&self, probe: Probe<'_>) -> Option<Rc<T>> {
        match self.get(probe)? {
            Cached::Value(v) => v.downcast::<T>().ok(),
            Cached::Block(_) => None,
        }
    }

    fn insert(&self, key: CacheKey, value: Cached, bytes: usize, read: bool) {
        let mut inner = self.inner.borrow_mut();
        inner.clock += 1;
        let used = inner.clock;
        let derived = matches!(value, Cached::Value(_));
        inner.bytes += bytes;
        inner.derived += if derived { bytes } else { 0 };
        let hash = key.probe().hash();
        if let Some(old) = inner.items.insert(hash, Item { key, value, bytes, used, read }) {
            inner.forget(&old);
        }
        let derived_capacity = self.derived_capacity();
        if inner.bytes > self.capacity || inner.derived > derived_capacity {
            // Evict the least recently used down to three quarters of what is over, so
            // eviction (a sort) is rare; only derived items if only they are over.
            let bytes_target = if inner.bytes > self.capacity { self.capacity / 4 * 3 } else { usize::MAX };
            let derived_target = derived_capacity / 4 * 3;
            let only_derived = bytes_target == usize::MAX;
            let mut by_age: Vec<(u64, u64)> = inner
                .items
                .iter()
                .filter(|(_, item)| !only_derived || matches!(item.value, Cached::Value(_)))
                .map(|(h, item)| (item.used, *h))
                .collect();
            by_age.sort_unstable();
            for (_, hash) in by_age {
                if inner.bytes <= bytes_target && inner.derived <= derived_target {
                    break;
                }
                if let Some(old) = inner.items.remove(&hash) {
                    inner.forget(&old);
                }
            }
        }
    }

    /// What values derived from blocks (decoded values, ranges) may take of the cache: a
    /// quarter. A scan larger than the cache then keeps its blocks, the dense form, rather than
    /// pushing them out with what it derived from them (and fetching them again next time).
    fn derived_capacity(&self) -> usize {
        self.capacity / 4
    }

    /// Makes what only an older table set reads the first to go when room is needed: the
    /// blocks of tables a checkpoint replaced (`gone`: their object keys) and what was derived
    /// from table set `old`. A handle reads neither again, yet a load just used them, so by
    /// recency alone they would outlive the blocks it reads next (each miss of which reruns
    /// a request). Nothing is dropped: a request still on the old version finds them.
    pub(super) fn demote(&self, gone: &[&str], old: u64) {
        let mut inner = self.inner.borrow_mut();
        for item in inner.items.values_mut() {
            let dead = match &item.key {
                CacheKey::Block(id) => gone.contains(&&*id.object),
                CacheKey::Value(set, _) | CacheKey::Range(set, ..) => *set == old,
            };
            if dead {
                item.used = 0;
            }
        }
    }

    fn block(&self, id: &BlockId) -> Option<Rc<Block>> {
        match self.get(Probe::Block(&id.object, id.offset, id.len))? {
            Cached::Block(b) => Some(b),
            Cached::Value(_) => None,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether the block of `object` at `handle` is cached and a read used it since it was
    /// (without counting this as a use).
    pub(super) fn holds_read_block(&self, object: &str, handle: &BlockHandle) -> bool {
        let probe = Probe::Block(object, handle.offset, handle.len);
        let inner = self.inner.borrow();
        inner.items.get(&probe.hash()).is_some_and(|item| item.key.probe() == probe && item.read)
    }

    /// Puts a block this process has just stored (`data`, framed as stored) in the cache if
    /// it takes at most `budget` bytes there, so that the first read of it fetches nothing;
    /// it counts as unread until a read uses it. Returns the bytes it took (0 if it was cached
    /// already), or `None` if it would take more than `budget`.
    pub(super) fn put_written(&self, id: BlockId, data: &[u8], budget: usize) -> Result<Option<usize>, Error> {
        let probe = Probe::Block(&id.object, id.offset, id.len);
        if self.inner.borrow().items.get(&probe.hash()).is_some_and(|item| item.key.probe() == probe) {
            return Ok(Some(0));
        }
        let block = Rc::new(Block::decode(data)?);
        let bytes = block.bytes;
        if bytes > budget {
            return Ok(None);
        }
        self.insert(CacheKey::Block(id), Cached::Block(block), bytes, false);
        Ok(Some(bytes))
    }
}

/// Identifies a [`TableSet`] in the cache for as long as the process lives.
static TABLE_SETS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A fresh table-set id.
pub(super) fn table_set_id() -> u64 {
    TABLE_SETS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// One request's reads: the blocks it used and those it found missing.
#[derive(Debug)]
pub struct Reads {
    cache: Rc<BlockCache>,
    pinned: RefCell<FastMap<BlockId, Rc<Block>>>,
    pinned_bytes: Cell<usize>,
    max_bytes: usize,
    missing: RefCell<BTreeSet<BlockId>>,
    /// Bytes of derived values this request has put in the cache.
    remembered: Cell<usize>,
    /// Whether decoded ranges are kept in the cache ([`Reads::keep_no_ranges`]).
    keeps_ranges: Cell<bool>,
    /// The first stored value that failed to decode.
    failure: RefCell<Option<Error>>,
    /// The blocks the last table reads used, oldest first ([`TableRef::locate`]).
    fingers: RefCell<Vec<Finger>>,
}

/// A table's block a request used recently: reads in key order (a label's nodes, their
/// relationships: a few ranges walked side by side) mostly land in one again, and then need
/// no index search and no cache probe. A finger belongs to one [`TableRef`] (its object's
/// pointer); tables are immutable, so its block number names the same block for good.
#[derive(Debug)]
struct Finger {
    object: Rc<str>,
    number: usize,
    block: Rc<Block>,
    /// Where in the block the last read through this finger ended.
    at: usize,
}

/// Fingers a [`Reads`] keeps (the newest).
const FINGERS: usize = 8;

/// Fingers on a table a point read tries before it probes the cache: the newest ones, where
/// reads in key order land (a label's nodes, next to their adjacency lists), so that reads in
/// no order spend little on them.
const QUICK_FINGERS: usize = 2;

impl Reads {
    /// Reads through `cache`, pinning at most `max_bytes` of blocks (see [`Reads::over_limit`]).
    pub fn new(cache: Rc<BlockCache>, max_bytes: usize) -> Self {
        Reads {
            cache,
            pinned: RefCell::default(),
            pinned_bytes: Cell::new(0),
            max_bytes,
            missing: RefCell::default(),
            remembered: Cell::new(0),
            keeps_ranges: Cell::new(true),
            failure: RefCell::default(),
            fingers: RefCell::default(),
        }
    }

    /// Keeps no decoded range ([`State::range_decoded`]) in the cache, nor looks one up: for
    /// a request that writes, whose reads are mostly each of its own key (a bulk load seeks
    /// every row's nodes by id, once). Keeping those made loading 100k relationships 1.5x
    /// slower, for results no later request reads.
    pub fn keep_no_ranges(&self) {
        self.keeps_ranges.set(false);
    }

    /// Records that stored data failed to decode (the read answers as if it were absent).
    pub fn fail(&self, e: Error) {
        self.failure.borrow_mut().get_or_insert(e);
    }

    /// The first decoding failure since the last call.
    pub fn take_failure(&self) -> Option<Error> {
        self.failure.borrow_mut().take()
    }

    /// Reads that can only see in-memory layers (tests, and states without tables).
    pub fn unbounded() -> Self {
        Reads::new(Rc::new(BlockCache::default()), usize::MAX)
    }

    /// Whether a read since the last [`Reads::take_missing`] needed a block not in memory:
    /// if so, whatever was computed from those reads is incomplete.
    pub fn incomplete(&self) -> bool {
        !self.missing.borrow().is_empty()
    }

    pub fn take_missing(&self) -> Vec<BlockId> {
        std::mem::take(&mut *self.missing.borrow_mut()).into_iter().collect()
    }

    /// Bytes of blocks this request holds.
    pub fn pinned_bytes(&self) -> usize {
        self.pinned_bytes.get()
    }

    /// Whether this request needs more block bytes than it may hold.
    pub fn over_limit(&self) -> bool {
        self.pinned_bytes.get() > self.max_bytes
    }

    /// Decodes a fetched block into the cache and pins it.
    pub(super) fn add(&self, id: BlockId, data: &[u8]) -> Result<(), Error> {
        let block = Rc::new(Block::decode(data)?);
        self.cache.insert(CacheKey::Block(id.clone()), Cached::Block(block.clone()), block.bytes, true);
        self.pin(id, block);
        Ok(())
    }

    /// Keeps a value derived from the tables in the cache, up to a quarter of the cache's
    /// share for derived values per request: a scan that derives more than the cache can
    /// keep then does not churn it (each call evicting what the last one kept).
    fn remember(&self, key: CacheKey, value: Rc<dyn Any>, bytes: usize) {
        self.remember_with(key, bytes, || value);
    }

    /// [`Reads::remember`], making the value only if it is kept.
    fn remember_with(&self, key: CacheKey, bytes: usize, value: impl FnOnce() -> Rc<dyn Any>) {
        let remembered = self.remembered.get().saturating_add(bytes);
        if remembered <= self.cache.derived_capacity() / 4 {
            self.remembered.set(remembered);
            self.cache.insert(key, Cached::Value(value()), bytes, true);
        }
    }

    fn pin(&self, id: BlockId, block: Rc<Block>) {
        self.pinned_bytes.set(self.pinned_bytes.get() + block.bytes);
        self.pinned.borrow_mut().insert(id, block);
    }

    /// The block of `object` one of its `tries` newest fingers points at whose number `fits`,
    /// if there is one: its number, the block, and where the last read in it ended.
    fn finger(
        &self,
        object: &Rc<str>,
        tries: usize,
        fits: impl Fn(usize) -> bool,
    ) -> Option<(usize, Rc<Block>, usize)> {
        let fingers = self.fingers.borrow();
        let mut on_object = fingers.iter().rev().filter(|f| Rc::ptr_eq(&f.object, object)).take(tries);
        let f = on_object.find(|f| fits(f.number))?;
        Some((f.number, f.block.clone(), f.at))
    }

    /// Points a finger at entry `at` of `object`'s block `number`: the one there already, else
    /// a new one (in place of the oldest if all are used).
    fn point(&self, object: &Rc<str>, number: usize, block: &Rc<Block>, at: usize) {
        let mut fingers = self.fingers.borrow_mut();
        if let Some(f) = fingers.iter_mut().rev().find(|f| Rc::ptr_eq(&f.object, object) && f.number == number) {
            f.at = at;
            return;
        }
        if fingers.len() >= FINGERS {
            fingers.remove(0);
        }
        fingers.push(Finger { object: object.clone(), number, block: block.clone(), at });
    }

    fn block(&self, id: BlockId) -> Option<Rc<Block>> {
        if let Some(b) = self.pinned.borrow().get(&id) {
            return Some(b.clone());
        }
        match self.cache.block(&id) {
            Some(b) => {
                self.pin(id, b.clone());
                Some(b)
            }
            None => {
                self.missing.borrow_mut().insert(id);
                None
            }
        }
    }
}

/// A table as a version reads it: its metadata, its block index and its object key.
#[derive(Clone, Debug)]
pub struct TableRef {
    pub meta: TableMeta,
    pub index: Rc<Vec<BlockHandle>>,
    pub object: Rc<str>,
}

impl TableRef {
    /// Where `key`'s entry is in this table: [`Lookup::Missing`] if the block that would hold it
    /// is not in memory (so older tables must not be asked: they may hold a stale value).
    fn find(&self, reads: &Reads, key: &[u8]) -> Lookup {
        if key < self.meta.min_key.as_slice() || key > self.meta.max_key.as_slice() {
            return Lookup::NotHere;
        }
        match self.locate(reads, key) {
            None => Lookup::NotHere,
            Some((_, None)) => Lookup::Missing,
            Some((_, Some((block, at)))) => Lookup::at(block, at),
        }
    }

    /// [`TableRef::find`] if the request has a finger on the block that would hold `key`
    /// (no index search, no cache probe); `None` if it has not.
    fn find_at_finger(&self, reads: &Reads, key: &[u8]) -> Option<Lookup> {
        if key < self.meta.min_key.as_slice() || key > self.meta.max_key.as_slice() {
            return Some(Lookup::NotHere);
        }
        self.at_finger(reads, key, QUICK_FINGERS).map(|(_, (block, at))| Lookup::at(block, at))
    }

    /// The number of the block that would hold `key` (the first whose last key is not below
    /// it; `None` past the last), and if it is in memory (else recorded missing) the block and
    /// `key`'s position in it ([`Block::position`]). The request's [`Finger`] on the block, if
    /// it has one, spares the index search and the cache probe, and starts the search where
    /// the last read in the block ended; the finger is left where this one ends.
    fn locate(&self, reads: &Reads, key: &[u8]) -> Option<(usize, Option<Located>)> {
        if let Some((number, located)) = self.at_finger(reads, key, FINGERS) {
            return Some((number, Some(located)));
        }
        let number = self.index.partition_point(|b| b.last_key.as_slice() < key);
        let block = reads.block(self.block_id(self.index.get(number)?));
        Some((number, block.map(|block| self.search(reads, number, block, key, 0))))
    }

    /// [`TableRef::locate`] through a finger only.
    fn at_finger(&self, reads: &Reads, key: &[u8], tries: usize) -> Option<(usize, Located)> {
        let (number, block, hint) = reads.finger(&self.object, tries, |n| self.block_covers(n, key))?;
        Some((number, self.search(reads, number, block, key, hint)))
    }

    /// `key`'s position in block `number`, searched from `hint`; leaves a finger there.
    fn search(&self, reads: &Reads, number: usize, block: Rc<Block>, key: &[u8], hint: usize) -> Located {
        let at = block.position_from(key, hint);
        reads.point(&self.object, number, &block, at.unwrap_or_else(|i| i));
        (block, at)
    }

    /// Whether block `number` is the one that would hold `key`.
    fn block_covers(&self, number: usize, key: &[u8]) -> bool {
        let last_key = |n: usize| self.index.get(n).map(|b| b.last_key.as_slice());
        last_key(number).is_some_and(|last| key <= last)
            && (number == 0 || last_key(number - 1).is_some_and(|before| before < key))
    }

    fn block_id(&self, h: &BlockHandle) -> BlockId {
        BlockId { object: self.object.clone(), offset: h.offset, len: h.len }
    }

    /// Where this table's entries in `[lo, hi)` are, in key order, at most about `limit` of
    /// them: appended to `out` as blocks and position ranges. Returns how many entries it added.
    fn spans(&self, reads: &Reads, lo: &[u8], hi: Option<&[u8]>, limit: usize, out: &mut Vec<Span>) -> usize {
        if hi.is_some_and(|hi| hi <= self.meta.min_key.as_slice()) || lo > self.meta.max_key.as_slice() {
            return 0;
        }
        let Some((first, located)) = self.locate(reads, lo) else { return 0 };
        let (mut block, mut start) = match located {
            Some((block, at)) => (Some(block), at.unwrap_or_else(|i| i)),
            None => (None, 0),
        };
        let mut added = 0;
        for number in first..self.index.len() {
            if number > first {
                // Block n holds the keys after block n-1's last key.
                if hi.is_some_and(|hi| self.index[number - 1].last_key.as_slice() >= hi) {
                    break;
                }
                block = reads.block(self.block_id(&self.index[number]));
                start = 0;
            }
            let Some(block) = &block else { continue };
            // Walked rather than searched: the caller reads every entry up to the end anyway.
            let mut end = start;
            while end < block.len() && added + (end - start) < limit && hi.is_none_or(|hi| block.key(end) < hi) {
                end += 1;
            }
            added += end - start;
            reads.point(&self.object, number, block, end);
            out.push(Span { block: block.clone(), start, end });
            if added >= limit || end < block.len() {
                break;
            }
        }
        added
    }
}

/// A block and a key's position in it ([`Block::position`]).
type Located = (Rc<Block>, Result<usize, usize>);

/// Entries `start..end` of a block.
struct Span {
    block: Rc<Block>,
    start: usize,
    end: usize,
}

impl Span {
    fn entries(&self) -> impl Iterator<Item = EntryRef<'_>> {
        (self.start..self.end).map(|i| (self.block.key(i), self.block.value(i)))
    }
}

/// A level-0 table: its keys below `from_key` have moved to level 1 and are ignored.
#[derive(Clone, Debug)]
pub struct Level0Ref {
    pub table: TableRef,
    pub from_key: Vec<u8>,
}

/// What a version's checkpoint holds, ready to read.
#[derive(Clone, Debug, Default)]
pub struct TableSet {
    pub l0: Vec<Level0Ref>,
    pub l1: Vec<TableRef>,
    /// Key ranges `[lo, hi)` whose entries (from these tables) are held in `resident`: what
    /// nearly every request reads ([`super::StateMachine::RESIDENT`]), so no request waits
    /// for their blocks.
    pub resident_ranges: Vec<(Vec<u8>, Vec<u8>)>,
    pub resident: Layer,
    /// Names these tables' reads in the cache ([`table_set_id`]; 0: nothing is remembered).
    pub id: u64,
}

impl TableSet {
    /// The manifest's view of these tables.
    pub fn tables(&self) -> Tables {
        Tables {
            l0: self
                .l0
                .iter()
                .map(|t| super::records::Level0 { table: t.table.meta.clone(), from_key: t.from_key.clone() })
                .collect(),
            l1: self.l1.iter().map(|t| t.meta.clone()).collect(),
        }
    }

    /// Every table, level 0 first.
    pub fn all(&self) -> impl Iterator<Item = &TableRef> {
        self.l0.iter().map(|t| &t.table).chain(&self.l1)
    }

    /// Whether `[lo, hi)` lies within a resident range.
    fn resident_covers(&self, lo: &[u8], hi: Option<&[u8]>) -> bool {
        self.resident_ranges.iter().any(|(a, b)| lo >= a.as_slice() && hi.is_some_and(|hi| hi <= b.as_slice()))
    }
}

/// The state of a version: in-memory layers (newest first; each the changes of a record,
/// [`Block::from_entries`]) over its checkpoint's tables.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub(super) layers: Vec<Rc<Block>>,
    pub(super) tables: Rc<TableSet>,
}

impl State {
    /// A state held entirely in memory.
    #[cfg(test)]
    pub fn in_memory(layer: Layer) -> Self {
        State::default().with_layer(&layer).unwrap_or_default()
    }

    /// This state with `layer` over it (newest).
    pub fn with_layer(&self, layer: &Layer) -> Result<Self, Error> {
        let mut layers = vec![Rc::new(Block::from_layer(layer)?)];
        layers.extend(self.layers.iter().cloned());
        Ok(State { layers, tables: self.tables.clone() })
    }

    /// The newest entry for `key` held in memory (a layer, or the resident entries when `key`
    /// is in a resident range): `Some(None)` is a deletion or, in a resident range, absence.
    /// `None`: the tables decide.
    fn held(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        for layer in &self.layers {
            if let Ok(at) = layer.position(key) {
                return Some(layer.value(at));
            }
        }
        let resident = self.tables.resident_ranges.iter().any(|(lo, hi)| key >= lo.as_slice() && key < hi.as_slice());
        resident.then(|| self.tables.resident.get(key).and_then(Option::as_deref))
    }

    /// The block and position of `key`'s newest entry in the tables, if they hold one.
    fn in_tables(&self, reads: &Reads, key: &[u8]) -> Option<(Rc<Block>, usize)> {
        self.search_tables(key, |t| Some(t.find(reads, key))).flatten()
    }

    /// Where `key`'s entry is in the tables, asking each table that may hold it, newest first,
    /// with `find`; `None` if `find` has no answer for one of them.
    fn search_tables(
        &self,
        key: &[u8],
        find: impl Fn(&TableRef) -> Option<Lookup>,
    ) -> Option<Option<(Rc<Block>, usize)>> {
        for t in self.tables.l0.iter().filter(|t| key >= t.from_key.as_slice()) {
            match find(&t.table)? {
                Lookup::Found(block, at) => return Some(Some((block, at))),
                // Recorded as missing: the run is incomplete, and an older table's value for
                // the key may be stale, so none is given.
                Lookup::Missing => return Some(None),
                Lookup::NotHere => {}
            }
        }
        let l1 = &self.tables.l1;
        let at = l1.partition_point(|t| t.meta.max_key.as_slice() < key);
        let Some(table) = l1.get(at) else { return Some(None) };
        Some(match find(table)? {
            Lookup::Found(block, at) => Some((block, at)),
            Lookup::Missing | Lookup::NotHere => None,
        })
    }

    /// The value of `key`, if it is live.
    pub fn get(&self, reads: &Reads, key: &[u8]) -> Option<Vec<u8>> {
        match self.held(key) {
            Some(v) => v.map(<[u8]>::to_vec),
            None => self.in_tables(reads, key).and_then(|(block, at)| block.value(at).map(<[u8]>::to_vec)),
        }
    }

    /// The value of `key`, if it is live, without copying it out of its block: what the
    /// cache remembers of it, else the block's entry (remembered as a copy while the request's
    /// share of the cache allows, like [`State::get_decoded`]'s values).
    pub fn get_stored(&self, reads: &Reads, key: &[u8]) -> Option<Stored> {
        if let Some(v) = self.held(key) {
            return v.map(|v| Stored(Place::Copied(Rc::new(v.to_vec()))));
        }
        // Where the request's fingers are on every table to ask, the blocks answer before the
        // cache is probed: reads in key order (a label's nodes) find each key a step on.
        if let Some(found) = self.search_tables(key, |t| t.find_at_finger(reads, key)) {
            let (block, at) = found?;
            block.value(at)?;
            return Some(Stored(Place::InBlock(block, at)));
        }
        let id = self.tables.id;
        if let Some(v) = (id != 0).then(|| reads.cache.value::<Vec<u8>>(Probe::Value(id, key))).flatten() {
            return Some(Stored(Place::Copied(v)));
        }
        let (block, at) = self.in_tables(reads, key)?;
        let bytes = block.value(at)?;
        if id != 0 {
            let size = 2 * (key.len() + bytes.len()) + ENTRY_OVERHEAD;
            reads.remember_with(CacheKey::Value(id, key.into()), size, || Rc::new(bytes.to_vec()));
        }
        Some(Stored(Place::InBlock(block, at)))
    }

    /// The value of `key` decoded by `decode`, if it is live. A value from a table is decoded
    /// once and kept in the cache (so `decode` must depend on the bytes alone).
    pub fn get_decoded<T: 'static>(
        &self,
        reads: &Reads,
        key: &[u8],
        decode: impl Fn(&[u8]) -> Result<T, Error>,
    ) -> Option<Result<Rc<T>, Error>> {
        if let Some(v) = self.held(key) {
            return v.map(|v| decode(v).map(Rc::new));
        }
        let id = self.tables.id;
        if let Some(v) = (id != 0).then(|| reads.cache.value::<T>(Probe::Value(id, key))).flatten() {
            return Some(Ok(v));
        }
        let (block, at) = self.in_tables(reads, key)?;
        let bytes = block.value(at)?;
        Some(decode(bytes).map(|value| {
            let value = Rc::new(value);
            if id != 0 {
                let size = 2 * (key.len() + bytes.len()) + ENTRY_OVERHEAD;
                reads.remember(CacheKey::Value(id, key.into()), value.clone(), size);
            }
            value
        }))
    }

    /// The live entries with keys in `[lo, hi)` (`hi` `None`: to the end), in key order, with
    /// `writes` (uncommitted changes) over them.
    pub fn range(
        &self,
        reads: &Reads,
        writes: Option<&Layer>,
        lo: &[u8],
        hi: Option<&[u8]>,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.with_live(reads, writes, lo, hi, owned)
    }

    /// `f` of the live entries in `[lo, hi)` with `writes` over them, read in place.
    fn with_live<R>(
        &self,
        reads: &Reads,
        writes: Option<&Layer>,
        lo: &[u8],
        hi: Option<&[u8]>,
        f: impl FnOnce(&[LiveRef]) -> R,
    ) -> R {
        let memory = self.memory_sources(writes, lo, hi, usize::MAX);
        let spans = self.table_spans(reads, lo, hi, usize::MAX);
        f(&merge_live(with_spans(memory, &spans), None))
    }

    /// The live entries in `[lo, hi)`, with `writes` over them, decoded by `decode` into a value
    /// and about the bytes it holds. The entries are read in place (nothing is copied out of a
    /// block). When neither the writes nor a layer holds a key in the range, the tables'
    /// entries are the answer, and its decoded form is kept in the cache like
    /// [`State::get_decoded`]'s (so `decode` must depend on the entries alone).
    pub fn range_decoded<T: 'static>(
        &self,
        reads: &Reads,
        writes: Option<&Layer>,
        (lo, hi): (&[u8], Option<&[u8]>),
        decode: impl FnOnce(&[LiveRef]) -> Result<(T, usize), Error>,
    ) -> Result<Rc<T>, Error> {
        // Each layer is searched once: what it holds is both the test and, if any, the answer's.
        let memory = self.memory_sources(writes, lo, hi, usize::MAX);
        let id = self.tables.id;
        let cached = reads.keeps_ranges.get()
            && id != 0
            && memory.iter().all(Vec::is_empty)
            && !self.tables.resident_covers(lo, hi);
        let probe = Probe::Range(id, TypeId::of::<T>(), lo, hi);
        if let Some(kept) = cached.then(|| reads.cache.value::<T>(probe)).flatten() {
            return Ok(kept);
        }
        let complete = !reads.incomplete();
        let spans = self.table_spans(reads, lo, hi, usize::MAX);
        let (value, size) = decode(&merge_live(with_spans(memory, &spans), None))?;
        let value = Rc::new(value);
        if cached && complete && !reads.incomplete() {
            reads.remember(CacheKey::Range(id, TypeId::of::<T>(), lo.into(), hi.map(Into::into)), value.clone(), size);
        }
        Ok(value)
    }

    /// The live entries in `[lo, hi)` (not a transaction's writes: the state's) copied into
    /// one block, if their keys and values hold at most `max_bytes`: values read ahead, where
    /// [`Stored::entry`] reads them. Not cached (its blocks are).
    pub fn range_block(&self, reads: &Reads, lo: &[u8], hi: &[u8], max_bytes: usize) -> Option<Rc<Block>> {
        self.with_live(reads, None, lo, Some(hi), |live| {
            if live.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > max_bytes {
                return None;
            }
            Block::from_entries(live.iter().map(|(k, v)| (*k, Some(*v)))).ok().map(Rc::new)
        })
    }

    /// The first `n` live entries of [`State::range`] (fewer if there are fewer), reading
    /// only about as much of each source: a source cut short decides only the keys up to its
    /// last one, so the read widens until `n` live entries lie below every cut.
    pub fn range_first(
        &self,
        reads: &Reads,
        writes: Option<&Layer>,
        lo: &[u8],
        hi: Option<&[u8]>,
        n: usize,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut limit = n.max(4);
        loop {
            let memory = self.memory_sources(writes, lo, hi, limit);
            let spans = self.table_spans(reads, lo, hi, limit);
            let sources = with_spans(memory, &spans);
            // The smallest last key of a source that was cut short: keys beyond it are unknown.
            let cut = sources.iter().filter(|s| s.len() >= limit).filter_map(|s| s.last()).map(|(k, _)| *k).min();
            let live = merge_live(sources, cut);
            if live.len() >= n || cut.is_none() || reads.incomplete() {
                return owned(live.get(..n).unwrap_or(&live));
            }
            limit = limit.saturating_mul(4);
        }
    }

    /// Where the checkpoint's entries in `[lo, hi)` are (at most about `limit` per source):
    /// none if a resident range covers it (see [`State::memory_sources`]), else each level-0
    /// table's (newest first) and level 1's.
    fn table_spans(&self, reads: &Reads, lo: &[u8], hi: Option<&[u8]>, limit: usize) -> Vec<Vec<Span>> {
        if self.tables.resident_covers(lo, hi) {
            return Vec::new();
        }
        let mut sources = Vec::new();
        for t in &self.tables.l0 {
            let mut spans = Vec::new();
            t.table.spans(reads, lo.max(t.from_key.as_slice()), hi, limit, &mut spans);
            sources.push(spans);
        }
        let mut l1 = Vec::new();
        let mut found = 0;
        let first = self.tables.l1.partition_point(|t| t.meta.max_key.as_slice() < lo);
        for t in self.tables.l1.iter().skip(first) {
            if hi.is_some_and(|hi| t.meta.min_key.as_slice() >= hi) || found >= limit {
                break;
            }
            found += t.spans(reads, lo, hi, limit - found, &mut l1);
        }
        sources.push(l1);
        sources
    }

    /// The entries in `[lo, hi)` held in memory, newest first: the writes', the layers', and
    /// the resident ones if a resident range covers the range (at most `limit` of each).
    fn memory_sources<'s>(
        &'s self,
        writes: Option<&'s Layer>,
        lo: &[u8],
        hi: Option<&[u8]>,
        limit: usize,
    ) -> Vec<Vec<EntryRef<'s>>> {
        let writes = writes.map(|w| layer_range(w, lo, hi, limit));
        let layers = self.layers.iter().map(|l| block_range(l, lo, hi, limit));
        let resident = self.tables.resident_covers(lo, hi).then(|| layer_range(&self.tables.resident, lo, hi, limit));
        writes.into_iter().chain(layers).chain(resident).collect()
    }
}

/// An entry read in place: its key and value (`None`: a tombstone).
type EntryRef<'a> = (&'a [u8], Option<&'a [u8]>);

/// A live entry read in place: its key and value.
pub type LiveRef<'a> = (&'a [u8], &'a [u8]);

/// `sources` followed by the entries of each table source's spans.
fn with_spans<'a>(mut sources: Vec<Vec<EntryRef<'a>>>, spans: &'a [Vec<Span>]) -> Vec<Vec<EntryRef<'a>>> {
    sources.extend(spans.iter().map(|s| s.iter().flat_map(Span::entries).collect()));
    sources
}

/// Live entries, copied.
fn owned(live: &[LiveRef]) -> Vec<(Vec<u8>, Vec<u8>)> {
    live.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect()
}

/// A layer's entries in `[lo, hi)` (at most `limit`). The tree is searched for `lo` alone and
/// walked up to `hi`: a point or prefix read, which mostly finds nothing in most layers, costs
/// one descent per layer rather than one per bound.
fn layer_range<'a>(layer: &'a Layer, lo: &[u8], hi: Option<&[u8]>, limit: usize) -> Vec<EntryRef<'a>> {
    layer
        .range::<[u8], _>((Bound::Included(lo), Bound::Unbounded))
        .take_while(|(k, _)| hi.is_none_or(|hi| k.as_slice() < hi))
        .take(limit)
        .map(|(k, v)| (k.as_slice(), v.as_deref()))
        .collect()
}

/// An in-memory block's entries in `[lo, hi)` (at most `limit`).
fn block_range<'a>(block: &'a Block, lo: &[u8], hi: Option<&[u8]>, limit: usize) -> Vec<EntryRef<'a>> {
    if !block.may_hold(lo, hi) {
        return Vec::new();
    }
    let start = block.position(lo).unwrap_or_else(|at| at);
    (start..block.len())
        .map(|i| (block.key(i), block.value(i)))
        .take_while(|(k, _)| hi.is_none_or(|hi| *k < hi))
        .take(limit)
        .collect()
}

/// The outcome of looking a key up in one table.
enum Lookup {
    NotHere,
    Missing,
    Found(Rc<Block>, usize),
}

impl Lookup {
    /// What a search of `block` for a key found.
    fn at(block: Rc<Block>, at: Result<usize, usize>) -> Lookup {
        match at {
            Ok(found) => Lookup::Found(block, found),
            Err(_) => Lookup::NotHere,
        }
    }
}

/// The live entries of sorted sources (the first source wins where keys are equal), up to
/// and including key `upto` if given.
fn merge_live<'a>(mut sources: Vec<Vec<EntryRef<'a>>>, upto: Option<&[u8]>) -> Vec<LiveRef<'a>> {
    sources.retain(|s| !s.is_empty());
    let within = |k: &[u8]| upto.is_none_or(|u| k <= u);
    let live = |(k, v): EntryRef<'a>| v.map(|v| (k, v));
    if let [only] = sources.as_slice() {
        return only.iter().take_while(|(k, _)| within(k)).filter_map(|e| live(*e)).collect();
    }
    let mut at = vec![0usize; sources.len()];
    let mut out = Vec::new();
    loop {
        // The first source holding the smallest key at its position wins it.
        let mut best: Option<EntryRef<'a>> = None;
        for (i, s) in sources.iter().enumerate() {
            if let Some(&e) = s.get(at[i]) {
                if best.is_none_or(|(b, _)| e.0 < b) {
                    best = Some(e);
                }
            }
        }
        let Some(entry) = best.filter(|(k, _)| within(k)) else { return out };
        for (i, s) in sources.iter().enumerate() {
            if s.get(at[i]).is_some_and(|(k, _)| *k == entry.0) {
                at[i] += 1;
            }
        }
        out.extend(live(entry));
    }
}

/// The smallest key greater than every key starting with `prefix` (`None`: there is none).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::table::Entry;
    use super::*;

    #[test]
    fn a_decoded_block_keeps_every_entry_and_tells_empty_values_from_tombstones() {
        let entries: Vec<Entry> = vec![
            (b"a".to_vec(), Some(b"1".to_vec())),
            (b"ab".to_vec(), Some(Vec::new())),
            (b"abc".to_vec(), None),
            (b"b".to_vec(), Some(b"xyz".to_vec())),
            (b"c".to_vec(), None),
        ];
        let mut builder = table::TableBuilder::new();
        for (k, v) in &entries {
            builder.add(k, v.as_deref()).unwrap();
        }
        let (bytes, _, index) = builder.finish("t".into());
        let h = &index[0];
        let block = Block::decode(&bytes[h.offset as usize..(h.offset + h.len) as usize]).unwrap();
        let decoded: Vec<Entry> =
            (0..block.len()).map(|i| (block.key(i).to_vec(), block.value(i).map(<[u8]>::to_vec))).collect();
        assert_eq!(decoded, entries);
        assert_eq!(block.position(b"abc"), Ok(2));
        assert_eq!(block.position(b"abd"), Err(3));
        assert_eq!((block.key(5), block.value(5)), (&b""[..], None));
        // The same entries held in memory make the same block.
        let layer: Layer = entries.iter().cloned().collect();
        let held = Block::from_layer(&layer).unwrap();
        assert_eq!((held.data, held.starts), (block.data, block.starts));
        let owned: Vec<Entry> = held_entries(&Block::from_layer(&layer).unwrap());
        assert_eq!(owned, entries);
        let backwards = entries.iter().rev().map(|(k, v)| (k.as_slice(), v.as_deref()));
        assert!(Block::from_entries(backwards).is_err(), "keys must increase");
    }

    fn held_entries(block: &Block) -> Vec<Entry> {
        (0..block.len()).map(|i| (block.key(i).to_vec(), block.value(i).map(<[u8]>::to_vec))).collect()
    }

    #[test]
    fn a_block_may_hold_a_range_exactly_when_a_key_lies_in_it() {
        let layer: Layer = (10..20).map(|i| (key(i * 2), Some(vec![1]))).collect();
        let block = Block::from_layer(&layer).unwrap();
        let empty = Block::from_layer(&Layer::new()).unwrap();
        for lo in 0..45 {
            for hi in (lo..46).map(Some).chain([None]) {
                let (l, h) = (key(lo), hi.map(key));
                let any = (0..block.len())
                    .any(|i| block.key(i) >= l.as_slice() && h.as_deref().is_none_or(|h| block.key(i) < h));
                assert!(!any || block.may_hold(&l, h.as_deref()), "[{lo}, {hi:?}) holds a key");
                assert_eq!(block_range(&block, &l, h.as_deref(), usize::MAX).is_empty(), !any, "[{lo}, {hi:?})");
                assert!(!empty.may_hold(&l, h.as_deref()));
            }
        }
    }

    #[test]
    fn a_search_from_any_hint_finds_what_a_whole_search_finds() {
        let layer: Layer = (0..200).map(|i| (key(i * 2), Some(vec![1]))).collect();
        let block = Block::from_layer(&layer).unwrap();
        for probe in 0..=401 {
            let wanted = block.position(&key(probe));
            for hint in 0..=201 {
                assert_eq!(block.position_from(&key(probe), hint), wanted, "key {probe} from {hint}");
            }
        }
    }

    #[test]
    fn cache_keys_of_nearby_entities_do_not_collide() {
        // Node keys and block ids of a large graph, in the shapes the cache sees them.
        let mut seen = std::collections::HashSet::new();
        for set in 1..4u64 {
            for n in 0..100_000u64 {
                let key = [&b"N"[..], &n.to_be_bytes()].concat();
                assert!(seen.insert(Probe::Value(set, &key).hash()), "set {set} node {n}");
            }
        }
        for offset in (0..4_000_000u64).step_by(16_411) {
            assert!(seen.insert(Probe::Block("sst/00000001.sst", offset, 16_411).hash()));
        }
        let cache = BlockCache::default();
        for n in 0..20_000u64 {
            let key = [&b"N"[..], &n.to_be_bytes()].concat();
            cache.insert(CacheKey::Value(1, key.as_slice().into()), Cached::Value(Rc::new(n)), 16, true);
        }
        let found = (0..20_000u64).filter(|n| {
            let key = [&b"N"[..], &n.to_be_bytes()].concat();
            cache.value::<u64>(Probe::Value(1, &key)).is_some_and(|v| *v == *n)
        });
        assert_eq!(found.count(), 20_000);
    }

    /// What a checkpoint replaced goes first, however recently a read used it.
    #[test]
    fn demoted_items_are_evicted_before_any_other() {
        let cache = BlockCache::new(1000);
        let item = || Cached::Block(Rc::new(Block { data: Vec::new(), starts: Vec::new(), bytes: 100 }));
        let block = |object: &str, i: u64| BlockId { object: object.into(), offset: i, len: 1 };
        (0..4).for_each(|i| cache.insert(CacheKey::Block(block("live", i)), item(), 100, true));
        (0..3).for_each(|i| cache.insert(CacheKey::Value(7, key(i).as_slice().into()), item(), 100, true));
        (0..3).for_each(|i| cache.insert(CacheKey::Block(block("gone", i)), item(), 100, true));
        (0..3).for_each(|i| assert!(cache.block(&block("gone", i)).is_some(), "used last"));
        cache.demote(&["gone"], 7);
        cache.insert(CacheKey::Value(8, key(0).as_slice().into()), item(), 100, true);
        // Over by 100: down to 750 bytes, four of the six demoted items going, none other.
        assert!((0..4).all(|i| cache.block(&block("live", i)).is_some()));
        assert!(cache.get(Probe::Value(8, &key(0))).is_some());
        assert_eq!(cache.bytes(), 700);
    }

    fn key(i: u32) -> Vec<u8> {
        format!("k{i:04}").into_bytes()
    }

    #[test]
    fn eviction_drops_the_least_recently_used_down_to_three_quarters() {
        let cache = BlockCache::new(1000);
        let item = || Cached::Block(Rc::new(Block { data: Vec::new(), starts: Vec::new(), bytes: 100 }));
        let at = |i: u32| CacheKey::Value(1, key(i).as_slice().into());
        let get = |i: u32| cache.get(Probe::Value(1, &key(i)));
        (0..10).for_each(|i| cache.insert(at(i), item(), 100, true));
        assert!(get(0).is_some(), "full, not over");
        cache.insert(at(10), item(), 100, true);
        // 0 was used since: 1 to 4, the oldest, go (down to 750 bytes).
        let kept: Vec<u32> = (0..=10).filter(|&i| get(i).is_some()).collect();
        assert_eq!(kept, [0, 5, 6, 7, 8, 9, 10]);
        assert_eq!(cache.bytes(), 700);
    }

    /// A state whose one table (level 1) holds `k0000`..`k{n}` with values `v{i}` (every
    /// tenth a tombstone), spread over many blocks, all in `reads`' cache.
    fn one_table_state(n: u32, reads: &Reads) -> State {
        let value = |i: u32| (i % 10 != 3).then(|| format!("v{i}").repeat(40).into_bytes());
        let table = cached_table("t", (0..n).map(|i| (key(i), value(i))), reads);
        State {
            layers: vec![],
            tables: Rc::new(TableSet { l1: vec![table], id: table_set_id(), ..TableSet::default() }),
        }
    }

    /// A table of `entries` (`None`: a tombstone) over many blocks, all in `reads`' cache.
    fn cached_table(name: &str, entries: impl Iterator<Item = (Vec<u8>, Option<Vec<u8>>)>, reads: &Reads) -> TableRef {
        let (table, bytes) = built_table(name, entries);
        (0..table.index.len()).for_each(|number| add_block(&table, &bytes, number, reads));
        table
    }

    /// A table of `entries` over many blocks, and its bytes.
    fn built_table(name: &str, entries: impl Iterator<Item = (Vec<u8>, Option<Vec<u8>>)>) -> (TableRef, Vec<u8>) {
        let mut builder = table::TableBuilder::new();
        for (k, v) in entries {
            builder.add(&k, v.as_deref()).unwrap();
        }
        let (bytes, meta, index) = builder.finish(name.into());
        assert!(index.len() > 20, "{} blocks", index.len());
        (TableRef { meta, index: Rc::new(index), object: format!("sst/{name}.sst").into() }, bytes)
    }

    /// Puts block `number` of `table` (whose bytes are `bytes`) in `reads`' cache, as a fetch would.
    fn add_block(table: &TableRef, bytes: &[u8], number: usize, reads: &Reads) {
        let h = &table.index[number];
        reads.add(table.block_id(h), &bytes[h.offset as usize..(h.offset + h.len) as usize]).unwrap();
    }

    /// A block not in memory is asked for (the read is incomplete), and reads walking up to it
    /// and on past it at fingers answer nothing from around it: point reads in its key range
    /// find nothing rather than a neighbour's entry, a range across it is whole once it is in.
    #[test]
    fn a_missing_block_is_asked_for_and_fingers_do_not_read_around_it() {
        let n = 3000;
        let value = |i: u32| format!("v{i}").repeat(40).into_bytes();
        let (table, bytes) = built_table("m", (0..n).map(|i| (key(i), Some(value(i)))));
        let reads = Reads::unbounded();
        let gap = 10;
        (0..table.index.len()).filter(|&b| b != gap).for_each(|b| add_block(&table, &bytes, b, &reads));
        let gap_id = table.block_id(&table.index[gap]);
        let last = |b: usize| table.index[b].last_key.clone();
        let in_gap = |i: u32| key(i) > last(gap - 1) && key(i) <= last(gap);
        let tables = TableSet { l1: vec![table.clone()], id: table_set_id(), ..TableSet::default() };
        let state = State { layers: vec![], tables: Rc::new(tables) };
        let mut gap_keys = 0;
        // In key order, then backwards (fingers on the blocks after the gap).
        for i in (0..n).chain((0..n).rev()) {
            let got = state.get_stored(&reads, &key(i)).map(|s| s.bytes().to_vec());
            if in_gap(i) {
                gap_keys += 1;
                assert_eq!(got, None, "{i}");
                assert_eq!(reads.take_missing(), vec![gap_id.clone()], "{i}");
            } else {
                assert_eq!(got, Some(value(i)), "{i}");
                assert!(!reads.incomplete(), "{i}");
            }
        }
        assert!(gap_keys > 20, "{gap_keys} reads in the missing block");
        // A range from the block before the gap to the one after it.
        let (lo, hi) =
            ((0..n).find(|&i| key(i) > last(gap - 2)).unwrap(), (0..n).find(|&i| key(i) > last(gap + 1)).unwrap());
        let want: Vec<(Vec<u8>, Vec<u8>)> = (lo..hi).map(|i| (key(i), value(i))).collect();
        let partial = state.range(&reads, None, &key(lo), Some(&key(hi)));
        assert_eq!(reads.take_missing(), vec![gap_id]);
        assert!(partial.len() < want.len());
        add_block(&table, &bytes, gap, &reads);
        assert_eq!(state.range(&reads, None, &key(lo), Some(&key(hi))), want);
        assert!(!reads.incomplete());
    }

    /// With fingers on an older table's blocks, a point read still takes a newer table's
    /// value or tombstone for a key: it reads at a finger only when every table it must ask
    /// has one there.
    #[test]
    fn reads_at_fingers_take_the_newest_table() {
        let n = 3000;
        let reads = Reads::unbounded();
        let old = |i: u32| format!("old{i}").repeat(30).into_bytes();
        let l1 = cached_table("l1", (0..n).map(|i| (key(i), Some(old(i)))), &reads);
        // Level 0 rewrites every 7th key and deletes every 11th (of those it does not rewrite).
        let new = |i: u32| i.is_multiple_of(7).then(|| format!("new{i}").repeat(150).into_bytes());
        let l0_entries = (0..n).filter(|i| i.is_multiple_of(7) || i.is_multiple_of(11)).map(|i| (key(i), new(i)));
        let l0 = cached_table("l0", l0_entries, &reads);
        let l0 = vec![Level0Ref { table: l0, from_key: Vec::new() }];
        let tables = TableSet { l0, l1: vec![l1], id: table_set_id(), ..TableSet::default() };
        let state = State { layers: vec![], tables: Rc::new(tables) };
        let expected = |i: u32| match (i % 7, i % 11) {
            (0, _) => new(i),
            (_, 0) => None,
            _ => Some(old(i)),
        };
        // Twice in key order: the second pass finds fingers on both tables' blocks.
        for i in (0..n).chain(0..n) {
            assert_eq!(state.get_stored(&reads, &key(i)).map(|s| s.bytes().to_vec()), expected(i), "{i}");
        }
        assert!(!reads.incomplete());
    }

    #[test]
    fn reads_in_any_order_find_what_the_table_holds() {
        let n = 3000;
        let reads = Reads::unbounded();
        let state = one_table_state(n, &reads);
        let expected = |i: u32| (i < n && i % 10 != 3).then(|| format!("v{i}").repeat(40).into_bytes());
        // In key order (a finger fits), backwards (it fits only within a block), strided across
        // blocks, and alternating between two far-apart places (two fingers).
        let orders: Vec<Vec<u32>> = vec![
            (0..n + 5).collect(),
            (0..n + 5).rev().collect(),
            (0..n).map(|i| (i * 977) % n).collect(),
            (0..n / 2).flat_map(|i| [i, n / 2 + i]).collect(),
        ];
        for order in &orders {
            for &i in order {
                assert_eq!(state.get(&reads, &key(i)), expected(i), "get {i}");
                // In place the first time, then as the copy the cache remembered.
                assert_eq!(state.get_stored(&reads, &key(i)).map(|s| s.bytes().to_vec()), expected(i), "{i}");
            }
        }
        // Ranges walked in order, each starting where a finger points, some across blocks.
        for (lo, hi) in (0..n).step_by(7).map(|lo| (lo, lo + 11)) {
            let got = state.range(&reads, None, &key(lo), Some(&key(hi)));
            let want: Vec<(Vec<u8>, Vec<u8>)> = (lo..hi.min(n)).filter_map(|i| Some((key(i), expected(i)?))).collect();
            assert_eq!(got, want, "range {lo}..{hi}");
        }
        // The first n live entries, read a few at a time across blocks.
        for (lo, count) in [(0, 1), (5, 40), (1000, 300), (2990, 50)] {
            let got = state.range_first(&reads, None, &key(lo), None, count);
            let want: Vec<(Vec<u8>, Vec<u8>)> =
                (lo..n).filter_map(|i| Some((key(i), expected(i)?))).take(count).collect();
            assert_eq!(got, want, "first {count} from {lo}");
        }
        assert!(!reads.incomplete());
    }

    #[test]
    fn range_first_reads_past_newer_tombstones() {
        let older: Layer = (0..100).map(|i| (key(i), Some(vec![1]))).collect();
        let newer: Layer = (0..60).map(|i| (key(i), None)).chain([(key(70), Some(vec![2]))]).collect();
        let state = State::in_memory(older).with_layer(&newer).unwrap();
        let reads = Reads::unbounded();
        let keys = |v: Vec<(Vec<u8>, Vec<u8>)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(keys(state.range_first(&reads, None, b"k", Some(b"l"), 1)), vec![key(60)]);
        assert_eq!(keys(state.range_first(&reads, None, b"k", Some(b"l"), 3)), vec![key(60), key(61), key(62)]);
        let all = state.range(&reads, None, b"k", Some(b"l"));
        assert_eq!(all.len(), 40);
        let keys: Vec<Vec<u8>> = all.iter().map(|(k, _)| k.clone()).collect();
        let keys_of = |e: &[LiveRef]| Ok((e.iter().map(|(k, _)| k.to_vec()).collect::<Vec<_>>(), 0));
        let seen = state.range_decoded(&reads, None, (b"k", Some(b"l")), keys_of).unwrap();
        assert_eq!(*seen, keys, "decoding sees the same tombstones");
        assert_eq!(all.iter().find(|(k, _)| *k == key(70)).unwrap().1, vec![2], "the newer value wins");
        let writes: Layer = (60..100).map(|i| (key(i), None)).collect();
        assert!(state.range_first(&reads, Some(&writes), b"k", Some(b"l"), 1).is_empty(), "all deleted");
    }
}

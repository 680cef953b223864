//! The storage engine: a namespace is a log of write-once commit records plus checkpoints,
//! all objects under `<ns>/` in an object store. It knows nothing of graphs: it replicates any
//! deterministic [`StateMachine`]. `docs/format.md` has the objects byte by byte and the
//! argument for each invariant below.
//!
//! Invariants:
//! - The commit point of transaction `s` is the create-if-absent of `wal/<s>`; exactly one
//!   writer wins each sequence number, so commits are totally ordered.
//! - Records, manifests and snapshots are write-once. The only mutable object, `head`, only
//!   moves forward (compare-and-swap) and is written at most once per checkpoint; checkpoints
//!   are at least [`CHECKPOINT_MIN_INTERVAL_MS`] apart.
//! - Nothing on the read or commit path LISTs; only garbage collection and the recovery of a
//!   copied namespace do.
//! - A handle's state is the fold of every record up to its `seq`. Reading `wal/<seq+1>` and
//!   finding nothing proves the handle current, provided the handle was validated less than
//!   [`MAX_STALL_MS`] ago: garbage collection only deletes records older than
//!   [`GC_MIN_AGE_MS`], so no hole can open in a chain that recent.
//! - A commit whose base is older than [`MAX_STALL_MS`] when its PUT returns is checked against
//!   `head` before it is acknowledged, so a stalled writer re-creating a collected slot is never
//!   acknowledged, and a writer fenced by a newer epoch never commits at all.
mod checkpoint;
pub mod codec;
mod gc;
mod records;
pub mod table;
pub mod view;

use crate::store::{ObjectStore, PutMode, StoreError};
pub use checkpoint::Tuning;
use codec::{unframe, Kind};
pub use gc::GcReport;
use records::{decode_head, encode_head, Contents, Manifest, ObjectName, Tables};
pub use records::{Layout, WalRecord};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
pub use table::Entry;
use table::{Table, TableMeta};
use view::{Block, Level0Ref, TableRef, TableSet};
pub use view::{BlockCache, Layer, Reads, State};

/// Commits between checkpoints: bounds the WAL records a cold open replays.
pub const CHECKPOINT_EVERY: u64 = 32;
/// Bytes of changed entries after which a checkpoint is due even before [`CHECKPOINT_EVERY`]
/// commits: bounds what a version holds in memory over its tables (bulk loads make big commits).
pub const CHECKPOINT_BYTES: usize = 8 << 20;
/// Checkpoints (and so `head` writes) are at least this far apart in host time.
pub const CHECKPOINT_MIN_INTERVAL_MS: u64 = 1_000;
/// A cached version confirmed current less than this long ago may take a write without
/// reading first: the create-if-absent commit itself detects anything newer.
pub const MAX_UNVALIDATED_MS: u64 = 10_000;
/// The longest a version may go unvalidated and still be walked forward record by record, and
/// the longest a commit may take from its base's validation to its PUT's return and still be
/// acknowledged without checking `head`.
pub const MAX_STALL_MS: u64 = 60_000;
/// Garbage collection never deletes an object younger than this; it is far above
/// [`MAX_STALL_MS`] so that clock skew between hosts cannot close the gap.
pub const GC_MIN_AGE_MS: u64 = 3_600_000;
/// Attempts at creating a commit record before reporting its outcome as unknown.
const PUT_ATTEMPTS: u32 = 3;
/// Concurrent GETs a read issues at most (a Worker may have 6 object-store calls in flight).
const PARALLEL_GETS: usize = 6;
/// Attempts at a cold open before giving up because the store is too slow to open consistently.
const OPEN_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The object store failed; for a commit, the outcome may be unknown (see [`CommitOutcome`]).
    Store(StoreError),
    /// An object failed its checksum or does not decode.
    Corrupt(String),
    /// This handle owns writer epoch `mine`, but the namespace has moved on to `current`.
    Fenced { mine: u64, current: u64 },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Store(e) => e.fmt(f),
            Error::Corrupt(m) => write!(f, "corrupt object: {m}"),
            Error::Fenced { mine, current } => {
                write!(f, "this writer (epoch {mine}) was fenced by a newer writer (epoch {current})")
            }
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

/// The replicated state machine: how a commit payload changes the key-value entries that are
/// the state (what checkpoints store in sorted tables). Deterministic: the same payload on the
/// same state always makes the same changes.
pub trait StateMachine {
    /// The entries `payload` sets or deletes in `state`. Reads go through `reads`; if that
    /// reports [`Reads::incomplete`], the result is to be discarded and the call repeated once
    /// the missing blocks are fetched.
    fn changes(state: &State, reads: &Reads, payload: &[u8]) -> Result<Layer, Error>;

    /// Key ranges `[lo, hi)` that nearly every request reads and that stay small (e.g. id
    /// counters, schema): loaded with a checkpoint and kept in memory with it.
    const RESIDENT: &'static [(&'static [u8], &'static [u8])] = &[];
}

/// The host's clock in milliseconds; the engine reads no ambient time. A plain `u64` is a
/// clock stopped at that time (handy in tests).
pub trait Clock {
    fn now_ms(&self) -> u64;
}

impl Clock for u64 {
    fn now_ms(&self) -> u64 {
        *self
    }
}

/// What a handle knows: the state after record `seq`.
#[derive(Clone, Debug, Default)]
pub struct Version {
    pub seq: u64,
    /// The writer epoch of the latest record (0 until someone claims the namespace).
    pub epoch: u64,
    /// The checkpoint whose tables hold the state as of `checkpoint.seq`.
    checkpoint: Rc<Checkpoint>,
    /// The entries the records after `checkpoint.seq` changed, in blocks of consecutive
    /// records ([`push_changes`]), oldest first: read over the tables, and what the next
    /// checkpoint writes.
    unflushed: Rc<Vec<Changes>>,
    /// Host time at which this version was last known to be the latest (0: never).
    validated_ms: u64,
}

/// A checkpoint as a version uses it (`seq` 0: none, no tables).
#[derive(Clone, Debug, Default)]
struct Checkpoint {
    seq: u64,
    time_ms: u64,
    tables: Rc<TableSet>,
}

/// The entries records up to `seq` changed, in one block (see [`Block::from_entries`]): one
/// record's, or several consecutive records' merged ([`push_changes`]), each entry the newest
/// of its key with the record that wrote it, so that a checkpoint can take exactly the
/// changes after any version ([`Changes::entries_after`]).
#[derive(Clone, Debug)]
struct Changes {
    seq: u64,
    entries: Rc<Block>,
    /// The record that wrote each entry; empty: record `seq` wrote them all.
    seqs: Rc<Vec<u64>>,
}

impl Changes {
    fn new(seq: u64, entries: &Layer) -> Result<Self, Error> {
        Ok(Changes { seq, entries: Rc::new(Block::from_layer(entries)?), seqs: Rc::default() })
    }

    /// The keys' and values' bytes.
    fn bytes(&self) -> usize {
        self.entries.data_len()
    }

    fn seq_of(&self, i: usize) -> u64 {
        self.seqs.get(i).copied().unwrap_or(self.seq)
    }

    /// The entries records after `after` wrote, in key order.
    fn entries_after(&self, after: u64) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> + '_ {
        let b = &self.entries;
        (0..b.len()).filter(move |&i| self.seq_of(i) > after).map(|i| (b.key(i), b.value(i)))
    }

    /// `older`'s and `newer`'s entries in one block, `newer`'s where both hold a key.
    fn merge(older: &Changes, newer: &Changes) -> Result<Changes, Error> {
        let (a, b) = (&older.entries, &newer.entries);
        let mut block = Block::with_capacity(a.data_len() + b.data_len());
        let mut seqs = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if j < b.len() && (i == a.len() || b.key(j) <= a.key(i)) {
                i += usize::from(i < a.len() && a.key(i) == b.key(j));
                block.push(b.key(j), b.value(j))?;
                seqs.push(newer.seq_of(j));
                j += 1;
            } else {
                block.push(a.key(i), a.value(i))?;
                seqs.push(older.seq_of(i));
                i += 1;
            }
        }
        Ok(Changes { seq: newer.seq, entries: Rc::new(block.finish()?), seqs: Rc::new(seqs) })
    }
}

/// Adds the newest record's changes to `unflushed`, merging the newest blocks while the
/// older is at most twice the size of the newer (as a binary counter carries): reads search
/// a number of blocks logarithmic in the records since the checkpoint, and each entry is
/// copied a logarithmic number of times. A merge that would not fit a block is skipped.
fn push_changes(unflushed: &mut Vec<Changes>, mut changes: Changes) {
    while let Some(older) = unflushed.last().filter(|o| o.entries.len() <= 2 * changes.entries.len()) {
        let Ok(merged) = Changes::merge(older, &changes) else { break };
        changes = merged;
        unflushed.pop();
    }
    unflushed.push(changes);
}

impl Version {
    /// The state to read: the records since the checkpoint, newest first, over its tables.
    pub fn state(&self) -> State {
        State {
            layers: self.unflushed.iter().rev().map(|c| c.entries.clone()).collect(),
            tables: self.checkpoint.tables.clone(),
        }
    }

    /// Whether this version was ever confirmed to be the latest (a version cached from an
    /// earlier request, as opposed to the empty one nothing is known of).
    pub fn is_validated(&self) -> bool {
        self.validated_ms > 0
    }

    /// Whether a write may run on this version without a freshness read first.
    pub fn is_recent(&self, now_ms: u64) -> bool {
        self.validated_ms > 0 && now_ms.saturating_sub(self.validated_ms) < MAX_UNVALIDATED_MS
    }

    /// How many tables hold this version's checkpoint: (level 0, level 1).
    pub fn table_counts(&self) -> (usize, usize) {
        (self.checkpoint.tables.l0.len(), self.checkpoint.tables.l1.len())
    }

    fn within_stall_bound(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.validated_ms) <= MAX_STALL_MS
    }
}

/// The result of trying to commit on top of a version.
#[derive(Debug, PartialEq)]
pub enum CommitOutcome {
    /// The record is durable and visible at this sequence number.
    Committed(u64),
    /// Another writer took the sequence number first (or our record landed where no reader
    /// will ever look); nothing of ours is visible.
    Lost,
}

/// An open namespace. Cheap to keep warm: it caches the latest version it has seen.
pub struct Database<S, M> {
    store: S,
    layout: Layout,
    current: RefCell<Version>,
    /// The writer epoch this handle claimed, if it is an exclusive writer.
    owner_epoch: Option<u64>,
    tuning: Tuning,
    cache: Rc<BlockCache>,
    model: PhantomData<M>,
}

impl<S: ObjectStore, M: StateMachine> Database<S, M> {
    /// Opens a namespace (an absent one is empty): the checkpoint named by `head`, then the WAL
    /// records after it. A new namespace costs 2 GETs; one with history 3 GETs plus the records
    /// since the last checkpoint (at most [`CHECKPOINT_EVERY`] + 1 when checkpoints keep up).
    pub async fn open(store: S, namespace: &str, clock: &impl Clock) -> Result<Self, Error> {
        Self::open_cached(store, namespace, Rc::default(), clock).await
    }

    /// [`Database::open`], reading blocks through `cache` (see [`Database::with_cache`]).
    pub async fn open_cached(
        store: S,
        namespace: &str,
        cache: Rc<BlockCache>,
        clock: &impl Clock,
    ) -> Result<Self, Error> {
        let db = Self::resume(store, namespace, Version::default()).with_cache(cache);
        db.reload(clock).await?;
        Ok(db)
    }

    /// Rebuilds a handle from a version cached earlier, e.g. across requests of one isolate,
    /// with a store bound to the current request.
    pub fn resume(store: S, namespace: &str, version: Version) -> Self {
        Database {
            store,
            layout: Layout::new(namespace),
            current: RefCell::new(version),
            owner_epoch: None,
            tuning: Tuning::default(),
            cache: Rc::default(),
            model: PhantomData,
        }
    }

    /// Reads blocks through `cache` (e.g. one shared by every handle of a process) instead of
    /// a cache of this handle's own.
    pub fn with_cache(mut self, cache: Rc<BlockCache>) -> Self {
        self.cache = cache;
        self
    }

    /// The block cache this handle reads through (to share it with another handle).
    pub fn cache(&self) -> Rc<BlockCache> {
        self.cache.clone()
    }

    /// A request's reads through this handle's cache, pinning at most `max_bytes` of blocks.
    pub fn reads(&self, max_bytes: usize) -> Reads {
        Reads::new(self.cache.clone(), max_bytes)
    }

    /// Every live entry of `version`, in key order: reads every block of its tables (for tests
    /// and tools; queries read only what they need).
    pub async fn entries(&self, version: &Version) -> Result<Vec<(Vec<u8>, Vec<u8>)>, Error> {
        let (state, reads) = (version.state(), self.reads(usize::MAX));
        loop {
            let entries = state.range(&reads, None, &[], None);
            if !reads.incomplete() {
                return Ok(entries);
            }
            self.fetch(&reads).await?;
        }
    }

    /// Fetches the blocks `reads` found missing ([`PARALLEL_GETS`] at a time) into the cache,
    /// pinned for the rest of the request.
    pub async fn fetch(&self, reads: &Reads) -> Result<(), Error> {
        for chunk in reads.take_missing().chunks(PARALLEL_GETS) {
            let gets = chunk.iter().map(|b| self.store.get_range(&b.object, b.offset, b.len));
            for (id, data) in chunk.iter().zip(futures::future::join_all(gets).await) {
                let data = data?.ok_or_else(|| Error::Corrupt(format!("table {} is missing", id.object)))?;
                reads.add(id.clone(), &data)?;
            }
        }
        Ok(())
    }

    /// Overrides table sizes and compaction triggers (tests use small ones).
    pub fn set_tuning(&mut self, tuning: Tuning) {
        self.tuning = tuning;
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The latest version this handle has seen, without I/O.
    pub fn cached(&self) -> Version {
        self.current.borrow().clone()
    }

    /// Starts over from the latest checkpoint, retrying while the store is too slow for the
    /// result to be trusted (a chain walked over more than [`MAX_STALL_MS`] could have had a
    /// hole collected under it).
    async fn reload(&self, clock: &impl Clock) -> Result<(), Error> {
        for _ in 0..OPEN_ATTEMPTS {
            let started = clock.now_ms();
            let have = self.current.borrow().seq;
            if let Some(checkpoint) = self.load_checkpoint(have).await? {
                *self.current.borrow_mut() = checkpoint;
            }
            self.walk(started).await?;
            if clock.now_ms().saturating_sub(started) <= MAX_STALL_MS {
                return Ok(());
            }
        }
        Err(Error::Store(StoreError("the object store is too slow to open this namespace consistently".into())))
    }

    /// The checkpoint `head` names, unless it is not newer than version `have`. If `head` names
    /// objects that are missing, as in a copy taken while writes went on, falls back to the
    /// newest complete checkpoint found by listing.
    async fn load_checkpoint(&self, have: u64) -> Result<Option<Version>, Error> {
        let head = self.head_seq().await?;
        if head <= have {
            return Ok(None);
        }
        if let Some(v) = self.checkpoint_at(head).await? {
            return Ok(Some(v));
        }
        let mut manifests: Vec<u64> = self
            .store
            .list(&format!("{}manifest/", self.layout.prefix()))
            .await?
            .iter()
            .filter_map(|m| match self.layout.parse(&m.key) {
                ObjectName::Manifest(n) => Some(n),
                _ => None,
            })
            .collect();
        manifests.sort_unstable();
        for seq in manifests.into_iter().rev().filter(|&s| s > have) {
            if let Some(v) = self.checkpoint_at(seq).await? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// The checkpoint at `seq`, or `None` if its manifest or any object it names is missing.
    /// Costs one GET for the manifest and one ranged GET per table for its block index (up to
    /// [`PARALLEL_GETS`] at a time); no block is read until a query needs it.
    async fn checkpoint_at(&self, seq: u64) -> Result<Option<Version>, Error> {
        let Some(manifest) = self.read_manifest(seq).await? else { return Ok(None) };
        let (checkpoint, unflushed) = match manifest.contents {
            Contents::Snapshot(key) => {
                let Some(snapshot) = self.store.get(&key).await? else { return Ok(None) };
                // A format 1 snapshot is a payload applied to nothing; it has no tables, so it
                // stays in memory until the next checkpoint writes everything.
                let payload = unframe(Kind::Snapshot, &snapshot)?;
                let entries = M::changes(&State::default(), &Reads::unbounded(), &payload)?;
                let changes = Changes::new(manifest.seq, &entries)?;
                (Checkpoint { seq: 0, time_ms: manifest.time_ms, tables: Rc::default() }, vec![changes])
            }
            Contents::Tables(tables) => {
                let Some(tables) = self.table_set(&tables, &HashMap::new()).await? else { return Ok(None) };
                let tables = self.with_resident(tables).await?;
                let checkpoint = Checkpoint { seq: manifest.seq, time_ms: manifest.time_ms, tables: Rc::new(tables) };
                (checkpoint, Vec::new())
            }
        };
        Ok(Some(Version {
            seq: manifest.seq,
            epoch: manifest.epoch,
            checkpoint: Rc::new(checkpoint),
            unflushed: Rc::new(unflushed),
            validated_ms: 0,
        }))
    }

    /// `tables` with the entries of the [`StateMachine::RESIDENT`] ranges read into memory
    /// (their blocks fetched together: one round trip at most).
    async fn with_resident(&self, tables: TableSet) -> Result<TableSet, Error> {
        let state = State { layers: Vec::new(), tables: Rc::new(tables.clone()) };
        self.resident_from(tables, &state).await
    }

    /// `tables` with the resident ranges' entries as `state` holds them (the same entries as
    /// the tables', from wherever `state` has them).
    async fn resident_from(&self, mut tables: TableSet, state: &State) -> Result<TableSet, Error> {
        let reads = self.reads(usize::MAX);
        tables.resident = loop {
            let ranges = M::RESIDENT.iter().map(|(lo, hi)| state.range(&reads, None, lo, Some(hi)));
            let entries: Layer = ranges.flatten().map(|(k, v)| (k, Some(v))).collect();
            if !reads.incomplete() {
                break entries;
            }
            self.fetch(&reads).await?;
        };
        tables.resident_ranges = M::RESIDENT.iter().map(|(lo, hi)| (lo.to_vec(), hi.to_vec())).collect();
        Ok(tables)
    }

    /// The tables a manifest lists, ready to read: the block index of each, from `known`
    /// (tables this handle already reads or just wrote) or fetched with one ranged GET;
    /// `None` if a table is missing.
    async fn table_set(&self, tables: &Tables, known: &HashMap<String, TableRef>) -> Result<Option<TableSet>, Error> {
        let mut refs: HashMap<String, TableRef> = HashMap::new();
        let unknown: Vec<&TableMeta> = tables.all().filter(|m| !known.contains_key(&m.name)).collect();
        for chunk in unknown.chunks(PARALLEL_GETS) {
            let keys: Vec<String> = chunk.iter().map(|m| self.layout.object(&m.name)).collect();
            let gets = chunk.iter().zip(&keys).map(|(m, k)| self.store.get_range(k, m.index_offset, m.index_len));
            for ((meta, key), data) in chunk.iter().zip(&keys).zip(futures::future::join_all(gets).await) {
                let Some(data) = data? else { return Ok(None) };
                let index = Rc::new(table::decode_index(&data)?);
                refs.insert(meta.name.clone(), TableRef { meta: (*meta).clone(), index, object: key.as_str().into() });
            }
        }
        let get = |m: &TableMeta| known.get(&m.name).or_else(|| refs.get(&m.name)).cloned();
        let mut set = TableSet { id: view::table_set_id(), ..TableSet::default() };
        for t in &tables.l0 {
            let Some(table) = get(&t.table) else { return Ok(None) };
            set.l0.push(Level0Ref { table, from_key: t.from_key.clone() });
        }
        for m in &tables.l1 {
            let Some(table) = get(m) else { return Ok(None) };
            set.l1.push(table);
        }
        Ok(Some(set))
    }

    async fn read_manifest(&self, seq: u64) -> Result<Option<Manifest>, Error> {
        match self.store.get(&self.layout.manifest(seq)).await? {
            Some(data) => Ok(Some(Manifest::decode(&data)?)),
            None => Ok(None),
        }
    }

    /// Reads whole tables, [`PARALLEL_GETS`] at a time; `None` if any is missing.
    async fn fetch_tables<'a>(&self, metas: impl Iterator<Item = &'a TableMeta>) -> Result<Option<Vec<Table>>, Error> {
        let metas: Vec<&TableMeta> = metas.collect();
        let mut tables = Vec::with_capacity(metas.len());
        for chunk in metas.chunks(PARALLEL_GETS) {
            let keys: Vec<String> = chunk.iter().map(|m| self.layout.object(&m.name)).collect();
            let reads = futures::future::join_all(keys.iter().map(|k| self.store.get(k))).await;
            for (meta, data) in chunk.iter().zip(reads) {
                let Some(data) = data? else { return Ok(None) };
                tables.push(Table::from_bytes(data, meta)?);
            }
        }
        Ok(Some(tables))
    }

    /// Applies records after the cached version until one is absent; stamps the version as
    /// validated at `started` (when the walk began: the conservative end of the interval).
    async fn walk(&self, started: u64) -> Result<Version, Error> {
        loop {
            let next = self.current.borrow().seq + 1;
            let Some(data) = self.store.get(&self.layout.wal(next)).await? else {
                let mut cur = self.current.borrow_mut();
                if cur.seq + 1 == next {
                    cur.validated_ms = cur.validated_ms.max(started);
                }
                return Ok(cur.clone());
            };
            let record = WalRecord::decode(&data)?;
            if record.seq != next {
                return Err(Error::Corrupt(format!("{} holds record {}", self.layout.wal(next), record.seq)));
            }
            self.apply_record(&record).await?;
        }
    }

    /// Catches up with every record committed since the cached version: one GET of an absent
    /// key when nothing changed. A version
    /// unvalidated for longer than [`MAX_STALL_MS`] first asks `head` whether a newer checkpoint
    /// exists (the records before it may be collected).
    pub async fn refresh(&self, clock: &impl Clock) -> Result<Version, Error> {
        let started = clock.now_ms();
        if !self.current.borrow().within_stall_bound(started) {
            self.reload(clock).await?;
            return Ok(self.cached());
        }
        let version = self.walk(started).await?;
        if clock.now_ms().saturating_sub(started) > MAX_STALL_MS {
            self.reload(clock).await?;
            return Ok(self.cached());
        }
        Ok(version)
    }

    /// Folds one record into the cached version if it is the next one (a concurrent request
    /// of the same isolate may have applied it already). Fence records carry no payload.
    /// Working out the record's changes may read blocks of the state it applies to.
    async fn apply_record(&self, record: &WalRecord) -> Result<(), Error> {
        let base = self.cached();
        if record.seq != base.seq + 1 {
            return Ok(());
        }
        if record.epoch < base.epoch {
            return Err(Error::Corrupt(format!("record {} is from fenced epoch {}", record.seq, record.epoch)));
        }
        let changes = match record.payload.is_empty() {
            true => None,
            false => Some(Changes::new(record.seq, &self.changes(&base, &record.payload).await?)?),
        };
        let mut cur = self.current.borrow_mut();
        if cur.seq == base.seq {
            if let Some(changes) = changes {
                push_changes(Rc::make_mut(&mut cur.unflushed), changes);
            }
            cur.seq = record.seq;
            cur.epoch = record.epoch;
        }
        Ok(())
    }

    /// The entries `payload` changes in version `base`, fetching the blocks that takes.
    async fn changes(&self, base: &Version, payload: &[u8]) -> Result<Layer, Error> {
        let (state, reads) = (base.state(), self.reads(usize::MAX));
        loop {
            let entries = M::changes(&state, &reads, payload);
            if !reads.incomplete() {
                return entries;
            }
            self.fetch(&reads).await?;
        }
    }

    /// Tries to commit `payload` as the record after `base`. `entries` are the changes the
    /// payload makes to `base` (the caller worked them out while executing); on success they
    /// become the cached version without being worked out again.
    ///
    /// An ambiguous store error is resolved by reading the slot back: our `txn_id` there means
    /// landed, a rival's means lost; if that read fails too, the error is returned and the
    /// caller must report the outcome as unknown. A record that landed after a stall longer
    /// than [`MAX_STALL_MS`] is checked against `head` before it counts (see the module doc).
    pub async fn commit(
        &self,
        base: &Version,
        payload: Vec<u8>,
        entries: Layer,
        txn_id: u64,
        clock: &impl Clock,
    ) -> Result<CommitOutcome, Error> {
        let epoch = match self.owner_epoch {
            Some(mine) if base.epoch > mine => return Err(Error::Fenced { mine, current: base.epoch }),
            Some(mine) => mine,
            None => base.epoch,
        };
        let seq = base.seq + 1;
        // Worked out before the commit point: once the record is created, nothing may fail.
        let changes = if payload.is_empty() { None } else { Some(Changes::new(seq, &entries)?) };
        drop(entries);
        let record = WalRecord { seq, epoch, time_ms: clock.now_ms(), txn_id, payload };
        let key = self.layout.wal(seq);
        if !self.create_record(&key, &record).await? {
            return Ok(CommitOutcome::Lost);
        }
        let done = clock.now_ms();
        if !base.within_stall_bound(done) && self.head_seq().await? >= seq {
            // The slot had been collected: our record sits below the newest checkpoint, where no
            // reader will ever look. Nothing is visible; the caller re-executes on fresh state.
            return Ok(CommitOutcome::Lost);
        }
        let mut cur = self.current.borrow_mut();
        if cur.seq == base.seq {
            cur.seq = seq;
            cur.epoch = epoch;
            if let Some(changes) = changes {
                push_changes(Rc::make_mut(&mut cur.unflushed), changes);
            }
            // Winning the create proves this is now the latest version.
            cur.validated_ms = cur.validated_ms.max(record.time_ms);
        }
        Ok(CommitOutcome::Committed(seq))
    }

    /// Creates the record's slot; true if our record is there, false if a rival's is.
    ///
    /// A PUT that errors may still land, even later. Re-sending the identical create is
    /// idempotent, so an ambiguous attempt is resolved by reading the slot back and, if it is
    /// still empty, creating it again: whichever attempt lands, the slot holds our `txn_id` and
    /// the outcome becomes known. Only when every attempt fails is the outcome unknown.
    async fn create_record(&self, key: &str, record: &WalRecord) -> Result<bool, Error> {
        let body = record.encode();
        let mut ambiguous = false;
        for _ in 0..PUT_ATTEMPTS {
            let slot_taken = match self.store.put(key, body.clone(), PutMode::Create).await {
                Ok(Some(_)) => return Ok(true),
                // Taken: by a rival, unless one of our earlier attempts landed late.
                Ok(None) if !ambiguous => return Ok(false),
                Ok(None) => true,
                Err(_) => {
                    ambiguous = true;
                    false
                }
            };
            match self.store.get(key).await {
                Ok(Some(data)) => return Ok(WalRecord::decode(&data)?.txn_id == record.txn_id),
                // Taken, then collected: only a stalled writer sees this; nothing of ours is visible.
                Ok(None) if slot_taken => return Ok(false),
                Ok(None) | Err(_) => {}
            }
        }
        Err(Error::Store(StoreError(format!("commit of {key} failed {PUT_ATTEMPTS} times; outcome unknown"))))
    }

    /// Makes this handle the namespace's exclusive writer: commits an empty fence record with
    /// the next writer epoch. Every handle that claimed an older epoch is fenced from then on:
    /// its next commit fails with [`Error::Fenced`] and writes nothing.
    pub async fn claim(&mut self, clock: &impl Clock, txn_id: u64) -> Result<u64, Error> {
        self.owner_epoch = None;
        loop {
            let base = self.refresh(clock).await?;
            let epoch = base.epoch + 1;
            self.owner_epoch = Some(epoch);
            match self.commit(&base, Vec::new(), Layer::new(), txn_id, clock).await? {
                CommitOutcome::Committed(_) => return Ok(epoch),
                CommitOutcome::Lost => self.owner_epoch = None,
            }
        }
    }

    /// The checkpoint `head` names (0 without one).
    async fn head_seq(&self) -> Result<u64, Error> {
        match self.store.get(&self.layout.head()).await? {
            Some(data) => decode_head(&data),
            None => Ok(0),
        }
    }

    /// Moves `head` forward to `seq` with compare-and-swap; never moves it back. Returns
    /// whether `head` is now at `seq` or beyond.
    async fn advance_head(&self, seq: u64) -> Result<bool, Error> {
        let key = self.layout.head();
        let mode = match self.store.head(&key).await? {
            None => PutMode::Create,
            Some(meta) => {
                if self.head_seq().await? >= seq {
                    return Ok(true);
                }
                PutMode::IfMatch(meta.etag)
            }
        };
        Ok(self.store.put(&key, encode_head(seq), mode).await?.is_some())
    }
}

#[cfg(test)]
mod tests;

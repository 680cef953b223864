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

use crate::store::{ObjectStore, PutMode, StoreError};
pub use checkpoint::Tuning;
use codec::{unframe, Kind};
pub use gc::GcReport;
use records::{decode_head, encode_head, Contents, Manifest, ObjectName, Tables};
pub use records::{Layout, WalRecord};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
pub use table::Entry;
use table::{Merge, Table, TableMeta};

/// Commits between checkpoints: bounds the WAL records a cold open replays.
pub const CHECKPOINT_EVERY: u64 = 32;
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

/// The replicated state: a deterministic fold over commit payloads, which is also a set of
/// key-value entries (what checkpoints store in sorted tables).
pub trait StateMachine: Clone + Default {
    /// Applies one commit payload; returns the entries it changed (`None`: deleted).
    fn apply(&mut self, payload: &[u8]) -> Result<Vec<Entry>, Error>;
    /// What [`StateMachine::apply`] would return, without applying.
    fn changes(&self, payload: &[u8]) -> Result<Vec<Entry>, Error>;
    /// Every live entry, in key order.
    fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)>;
    /// Rebuilds a state from its live entries in key order.
    fn load(entries: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), Error>>) -> Result<Self, Error>;
    /// Rebuilds a state from a format 1 snapshot.
    fn restore(snapshot: &[u8]) -> Result<Self, Error>;
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
#[derive(Clone, Debug)]
pub struct Version<M> {
    pub seq: u64,
    /// The writer epoch of the latest record (0 until someone claims the namespace).
    pub epoch: u64,
    pub state: Rc<M>,
    /// The checkpoint whose tables hold the state as of `checkpoint.seq`.
    checkpoint: Rc<Checkpoint>,
    /// The entries each record after `checkpoint.seq` changed, oldest first: what the next
    /// checkpoint writes.
    unflushed: Rc<Vec<Rc<Changes>>>,
    /// Host time at which this version was last known to be the latest.
    validated_ms: u64,
}

/// A checkpoint as a version uses it (`seq` 0: none, no tables).
#[derive(Clone, Debug, Default, PartialEq)]
struct Checkpoint {
    seq: u64,
    time_ms: u64,
    tables: Tables,
}

/// The entries record `seq` changed.
#[derive(Debug)]
struct Changes {
    seq: u64,
    entries: Vec<Entry>,
}

impl<M: Default> Default for Version<M> {
    /// The empty namespace, never validated.
    fn default() -> Self {
        Version {
            seq: 0,
            epoch: 0,
            state: Rc::new(M::default()),
            checkpoint: Rc::default(),
            unflushed: Rc::default(),
            validated_ms: 0,
        }
    }
}

impl<M> Version<M> {
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
    current: RefCell<Version<M>>,
    /// The writer epoch this handle claimed, if it is an exclusive writer.
    owner_epoch: Option<u64>,
    tuning: Tuning,
}

impl<S: ObjectStore, M: StateMachine> Database<S, M> {
    /// Opens a namespace (an absent one is empty): the checkpoint named by `head`, then the WAL
    /// records after it. A new namespace costs 2 GETs; one with history 3 GETs plus the records
    /// since the last checkpoint (at most [`CHECKPOINT_EVERY`] + 1 when checkpoints keep up).
    pub async fn open(store: S, namespace: &str, clock: &impl Clock) -> Result<Self, Error> {
        let db = Self::resume(store, namespace, Version::default());
        db.reload(clock).await?;
        Ok(db)
    }

    /// Rebuilds a handle from a version cached earlier, e.g. across requests of one isolate,
    /// with a store bound to the current request.
    pub fn resume(store: S, namespace: &str, version: Version<M>) -> Self {
        Database {
            store,
            layout: Layout::new(namespace),
            current: RefCell::new(version),
            owner_epoch: None,
            tuning: Tuning::default(),
        }
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
    pub fn cached(&self) -> Version<M> {
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
    async fn load_checkpoint(&self, have: u64) -> Result<Option<Version<M>>, Error> {
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
    /// Costs one GET for the manifest and one per table (up to [`PARALLEL_GETS`] at a time).
    async fn checkpoint_at(&self, seq: u64) -> Result<Option<Version<M>>, Error> {
        let Some(manifest) = self.read_manifest(seq).await? else { return Ok(None) };
        let (state, checkpoint, unflushed) = match manifest.contents {
            Contents::Snapshot(key) => {
                let Some(snapshot) = self.store.get(&key).await? else { return Ok(None) };
                let state = M::restore(&unframe(Kind::Snapshot, &snapshot)?)?;
                // A format 1 checkpoint has no tables: the next checkpoint writes everything.
                let entries = state.entries().into_iter().map(|(k, v)| (k, Some(v))).collect();
                let changes = Rc::new(Changes { seq: manifest.seq, entries });
                let checkpoint = Checkpoint { seq: 0, time_ms: manifest.time_ms, tables: Tables::default() };
                (state, checkpoint, vec![changes])
            }
            Contents::Tables(tables) => {
                let Some(all) = self.fetch_tables(tables.all()).await? else { return Ok(None) };
                let (l0, l1) = all.split_at(tables.l0.len());
                let sources = tables.l0.iter().zip(l0).map(|(t, table)| level0_entries(table, &t.from_key, None));
                let l1_entries: Box<dyn Iterator<Item = _>> = Box::new(l1.iter().flat_map(Table::iter));
                let live =
                    Merge::new(sources.chain([l1_entries]), true).map(|e| e.map(|(k, v)| (k, v.unwrap_or_default())));
                let state = M::load(live)?;
                (state, Checkpoint { seq: manifest.seq, time_ms: manifest.time_ms, tables }, Vec::new())
            }
        };
        Ok(Some(Version {
            seq: manifest.seq,
            epoch: manifest.epoch,
            state: Rc::new(state),
            checkpoint: Rc::new(checkpoint),
            unflushed: Rc::new(unflushed),
            validated_ms: 0,
        }))
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
    async fn walk(&self, started: u64) -> Result<Version<M>, Error> {
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
            self.apply_record(&record)?;
        }
    }

    /// Catches up with every record committed since the cached version: one GET of an absent
    /// key when nothing changed. A version
    /// unvalidated for longer than [`MAX_STALL_MS`] first asks `head` whether a newer checkpoint
    /// exists (the records before it may be collected).
    pub async fn refresh(&self, clock: &impl Clock) -> Result<Version<M>, Error> {
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
    fn apply_record(&self, record: &WalRecord) -> Result<(), Error> {
        let mut cur = self.current.borrow_mut();
        if record.seq != cur.seq + 1 {
            return Ok(());
        }
        if record.epoch < cur.epoch {
            return Err(Error::Corrupt(format!("record {} is from fenced epoch {}", record.seq, record.epoch)));
        }
        if !record.payload.is_empty() {
            let entries = Rc::make_mut(&mut cur.state).apply(&record.payload)?;
            Rc::make_mut(&mut cur.unflushed).push(Rc::new(Changes { seq: record.seq, entries }));
        }
        cur.seq = record.seq;
        cur.epoch = record.epoch;
        Ok(())
    }

    /// Tries to commit `payload` as the record after `base`. `next_state` is the state the
    /// payload produces from `base` (the caller computed it while executing); on success it
    /// becomes the cached version without re-applying.
    ///
    /// An ambiguous store error is resolved by reading the slot back: our `txn_id` there means
    /// landed, a rival's means lost; if that read fails too, the error is returned and the
    /// caller must report the outcome as unknown. A record that landed after a stall longer
    /// than [`MAX_STALL_MS`] is checked against `head` before it counts (see the module doc).
    pub async fn commit(
        &self,
        base: &Version<M>,
        payload: Vec<u8>,
        next_state: M,
        txn_id: u64,
        clock: &impl Clock,
    ) -> Result<CommitOutcome, Error> {
        let epoch = match self.owner_epoch {
            Some(mine) if base.epoch > mine => return Err(Error::Fenced { mine, current: base.epoch }),
            Some(mine) => mine,
            None => base.epoch,
        };
        let seq = base.seq + 1;
        let entries = if payload.is_empty() { Vec::new() } else { base.state.changes(&payload)? };
        let changes = Rc::new(Changes { seq, entries });
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
            cur.state = Rc::new(next_state);
            if !record.payload.is_empty() {
                Rc::make_mut(&mut cur.unflushed).push(changes);
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
            match self.commit(&base, Vec::new(), (*base.state).clone(), txn_id, clock).await? {
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

/// The level-0 table's entries at or above `from_key` (and below `below`, if given).
fn level0_entries<'a>(
    table: &'a Table,
    from_key: &'a [u8],
    below: Option<&'a [u8]>,
) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 'a> {
    Box::new(
        table
            .iter()
            .filter(move |e| e.as_ref().map_or(true, |(k, _)| k.as_slice() >= from_key))
            .take_while(move |e| e.as_ref().map_or(true, |(k, _)| below.is_none_or(|b| k.as_slice() < b))),
    )
}

#[cfg(test)]
mod tests;

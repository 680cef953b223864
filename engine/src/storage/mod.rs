//! The storage engine: a namespace is a log of write-once commit records plus checkpoints,
//! all objects under `<ns>/` in an object store. It knows nothing of graphs: it replicates any
//! deterministic [`StateMachine`] (see `docs/format.md` for the objects byte by byte).
//!
//! Invariants:
//! - The commit point of transaction `s` is the create-if-absent of `wal/<s>`; exactly one
//!   writer wins each sequence number, so commits are totally ordered.
//! - `wal/<s>` objects are never rewritten; checkpoints (`manifest/<s>`, `sst/<s>.snap`) are
//!   write-once too. The only mutable object, `head`, is an advisory hint written at most once
//!   per checkpoint, and checkpoints are at least [`CHECKPOINT_MIN_INTERVAL_MS`] apart.
//! - Nothing on the read or commit path LISTs.
//! - A handle's state is the fold of every record up to its `seq`: reading `wal/<seq+1>` and
//!   finding nothing proves the handle is current (strong consistency with one small GET).
pub mod codec;

use crate::store::{ObjectStore, PutMode, StoreError};
use codec::{frame, unframe, Kind, Reader, Writer};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// Commits between checkpoints: bounds the WAL records a cold open replays.
pub const CHECKPOINT_EVERY: u64 = 32;
/// Checkpoints (and so `head` writes) are at least this far apart in host time.
pub const CHECKPOINT_MIN_INTERVAL_MS: u64 = 1_000;
/// A cached version confirmed current less than this long ago may take a write without
/// reading first (the create-if-absent commit itself detects a newer version). Older ones are
/// refreshed before use, which bounds how stale any writer's view can be.
pub const MAX_UNVALIDATED_MS: u64 = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The object store failed; for a commit, the outcome may be unknown (see [`CommitOutcome`]).
    Store(StoreError),
    /// An object failed its checksum or does not decode.
    Corrupt(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Store(e) => e.fmt(f),
            Error::Corrupt(m) => write!(f, "corrupt object: {m}"),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

/// The replicated state: a deterministic fold over commit payloads.
pub trait StateMachine: Clone + Default {
    fn apply(&mut self, payload: &[u8]) -> Result<(), Error>;
    fn snapshot(&self) -> Vec<u8>;
    fn restore(snapshot: &[u8]) -> Result<Self, Error>;
}

/// The object keys of one namespace.
#[derive(Clone, Debug)]
pub struct Layout {
    prefix: String,
}

impl Layout {
    pub fn new(namespace: &str) -> Self {
        Layout {
            prefix: format!("{namespace}/"),
        }
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
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.varint(self.seq);
        w.varint(self.epoch);
        w.varint(self.time_ms);
        w.varint(self.txn_id);
        w.bytes(&self.payload);
        frame(Kind::WalRecord, &w.buf)
    }

    fn decode(data: &[u8]) -> Result<Self, Error> {
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
struct Manifest {
    seq: u64,
    epoch: u64,
    time_ms: u64,
    snapshot: String,
}

impl Manifest {
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.varint(self.seq);
        w.varint(self.epoch);
        w.varint(self.time_ms);
        w.str(&self.snapshot);
        frame(Kind::Manifest, &w.buf)
    }

    fn decode(data: &[u8]) -> Result<Self, Error> {
        let body = unframe(Kind::Manifest, data)?;
        let mut r = Reader::new(&body);
        Ok(Manifest {
            seq: r.varint()?,
            epoch: r.varint()?,
            time_ms: r.varint()?,
            snapshot: r.str()?.to_string(),
        })
    }
}

fn encode_head(seq: u64) -> Vec<u8> {
    let mut w = Writer::new();
    w.varint(seq);
    frame(Kind::Head, &w.buf)
}

fn decode_head(data: &[u8]) -> Result<u64, Error> {
    Reader::new(&unframe(Kind::Head, data)?).varint()
}

/// What a handle knows: the state after record `seq`.
#[derive(Clone, Debug)]
pub struct Version<M> {
    pub seq: u64,
    pub epoch: u64,
    pub state: Rc<M>,
    checkpoint_seq: u64,
    checkpoint_time_ms: u64,
    /// Host time at which this version was last known to be the latest.
    validated_ms: u64,
}

impl<M> Version<M> {
    /// Whether a write may run on this version without a freshness read first.
    pub fn is_recent(&self, now_ms: u64) -> bool {
        self.validated_ms > 0 && now_ms.saturating_sub(self.validated_ms) < MAX_UNVALIDATED_MS
    }
}

/// The result of trying to commit on top of a version.
#[derive(Debug, PartialEq)]
pub enum CommitOutcome {
    /// The record is durable at this sequence number.
    Committed(u64),
    /// Another writer took the sequence number first; nothing of ours was written.
    Lost,
}

/// An open namespace. Cheap to keep warm: it caches the latest version it has seen.
pub struct Database<S, M> {
    store: S,
    layout: Layout,
    current: RefCell<Version<M>>,
}

impl<S: ObjectStore, M: StateMachine> Database<S, M> {
    /// Opens a namespace (an absent one is empty): the checkpoint named by `head`, then the WAL
    /// records after it. Costs 1 GET for a new namespace, else 3 GETs plus at most
    /// [`CHECKPOINT_EVERY`] + 1 record GETs when checkpoints keep up.
    pub async fn open(store: S, namespace: &str) -> Result<Self, Error> {
        let layout = Layout::new(namespace);
        let mut version = Version {
            seq: 0,
            epoch: 0,
            state: Rc::new(M::default()),
            checkpoint_seq: 0,
            checkpoint_time_ms: 0,
            validated_ms: 0,
        };
        if let Some(head) = store.get(&layout.head()).await? {
            let seq = decode_head(&head)?;
            let manifest = store.get(&layout.manifest(seq)).await?;
            let manifest =
                Manifest::decode(&manifest.ok_or_else(|| missing(&layout.manifest(seq)))?)?;
            let snapshot = store.get(&manifest.snapshot).await?;
            let snapshot = unframe(
                Kind::Snapshot,
                &snapshot.ok_or_else(|| missing(&manifest.snapshot))?,
            )?;
            version = Version {
                seq: manifest.seq,
                epoch: manifest.epoch,
                state: Rc::new(M::restore(&snapshot)?),
                checkpoint_seq: manifest.seq,
                checkpoint_time_ms: manifest.time_ms,
                validated_ms: 0,
            };
        }
        let db = Database {
            store,
            layout,
            current: RefCell::new(version),
        };
        db.refresh(0).await?;
        Ok(db)
    }

    /// Rebuilds a handle from a version cached earlier, e.g. across requests of one isolate,
    /// with a store bound to the current request.
    pub fn resume(store: S, namespace: &str, version: Version<M>) -> Self {
        Database {
            store,
            layout: Layout::new(namespace),
            current: RefCell::new(version),
        }
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

    /// Catches up with every record committed since the cached version. When nothing changed
    /// this costs one GET of an absent key. `now_ms` stamps the result as validated.
    pub async fn refresh(&self, now_ms: u64) -> Result<Version<M>, Error> {
        loop {
            let next = self.current.borrow().seq + 1;
            let Some(data) = self.store.get(&self.layout.wal(next)).await? else {
                let mut cur = self.current.borrow_mut();
                if cur.seq + 1 == next {
                    cur.validated_ms = cur.validated_ms.max(now_ms);
                }
                return Ok(cur.clone());
            };
            self.apply_record(&WalRecord::decode(&data)?)?;
        }
    }

    /// Folds one record into the cached version if it is the next one (a concurrent request
    /// of the same isolate may have applied it already).
    fn apply_record(&self, record: &WalRecord) -> Result<(), Error> {
        let mut cur = self.current.borrow_mut();
        if record.seq != cur.seq + 1 {
            return Ok(());
        }
        Rc::make_mut(&mut cur.state).apply(&record.payload)?;
        cur.seq = record.seq;
        cur.epoch = cur.epoch.max(record.epoch);
        Ok(())
    }

    /// Tries to commit `payload` as the record after `base`. `next_state` is the state the
    /// payload produces from `base` (the caller computed it while executing); on success it
    /// becomes the cached version without re-applying.
    ///
    /// An ambiguous store error is resolved by reading the slot back: our `txn_id` there means
    /// committed, a rival's means lost; if the read fails too the error is returned and the
    /// caller must report the outcome as unknown.
    pub async fn commit(
        &self,
        base: &Version<M>,
        payload: Vec<u8>,
        next_state: M,
        txn_id: u64,
        time_ms: u64,
    ) -> Result<CommitOutcome, Error> {
        let seq = base.seq + 1;
        let record = WalRecord {
            seq,
            epoch: base.epoch,
            time_ms,
            txn_id,
            payload,
        };
        let key = self.layout.wal(seq);
        let landed = match self.store.put(&key, record.encode(), PutMode::Create).await {
            Ok(written) => written.is_some(),
            Err(_) => match self.store.get(&key).await? {
                Some(data) => WalRecord::decode(&data)?.txn_id == txn_id,
                None => {
                    return Err(Error::Store(StoreError(format!(
                        "commit of {key} failed; outcome unknown"
                    ))))
                }
            },
        };
        if !landed {
            return Ok(CommitOutcome::Lost);
        }
        let mut cur = self.current.borrow_mut();
        if cur.seq == base.seq {
            cur.seq = seq;
            cur.state = Rc::new(next_state);
            // Winning the create proves this is now the latest version.
            cur.validated_ms = cur.validated_ms.max(time_ms);
        }
        Ok(CommitOutcome::Committed(seq))
    }

    /// Writes a checkpoint of the cached version when enough commits and time have passed
    /// since the last one. Safe to run concurrently with anything: every object it writes is
    /// create-only and deterministic, and `head` is only a hint. Returns whether it wrote one.
    pub async fn maybe_checkpoint(&self, now_ms: u64) -> Result<bool, Error> {
        let v = self.cached();
        let due = v.seq >= v.checkpoint_seq + CHECKPOINT_EVERY
            && now_ms
                >= v.checkpoint_time_ms
                    .saturating_add(CHECKPOINT_MIN_INTERVAL_MS);
        if !due {
            return Ok(false);
        }
        let snapshot = self.layout.snapshot(v.seq);
        self.store
            .put(
                &snapshot,
                frame(Kind::Snapshot, &v.state.snapshot()),
                PutMode::Create,
            )
            .await?;
        let manifest = Manifest {
            seq: v.seq,
            epoch: v.epoch,
            time_ms: now_ms,
            snapshot,
        };
        self.store
            .put(
                &self.layout.manifest(v.seq),
                manifest.encode(),
                PutMode::Create,
            )
            .await?;
        self.store
            .put(&self.layout.head(), encode_head(v.seq), PutMode::Overwrite)
            .await?;
        let mut cur = self.current.borrow_mut();
        if v.seq > cur.checkpoint_seq {
            cur.checkpoint_seq = v.seq;
            cur.checkpoint_time_ms = now_ms;
        }
        Ok(true)
    }
}

fn missing(key: &str) -> Error {
    Error::Corrupt(format!("{key} is referenced but missing"))
}

#[cfg(test)]
mod tests;

#![allow(clippy::unwrap_used, clippy::panic)]
use super::*;
use crate::store::{MemoryStore, ObjectMeta, StoreResult};
use futures::executor::block_on;
use records::decode_head;
use std::cell::Cell;

/// A state machine that appends bytes: easy to check that every commit is applied once, in
/// order. Byte `i` is stored under `b` + `i` (big-endian), their count under `n`.
struct Bytes;

const COUNT: &[u8] = b"n";

fn byte_key(i: u64) -> Vec<u8> {
    let mut k = b"b".to_vec();
    k.extend_from_slice(&i.to_be_bytes());
    k
}

impl StateMachine for Bytes {
    fn changes(state: &State, reads: &Reads, payload: &[u8]) -> Result<Layer, Error> {
        let at = state.get(reads, COUNT).map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
        let mut out: Layer = payload.iter().zip(at..).map(|(b, i)| (byte_key(i), Some(vec![*b]))).collect();
        out.insert(COUNT.to_vec(), Some((at + payload.len() as u64).to_be_bytes().to_vec()));
        Ok(out)
    }
}

/// The bytes of version `v`, read through `db` (fetching the blocks that takes).
async fn contents<S: ObjectStore>(db: &Database<S, Bytes>, v: &Version) -> Vec<u8> {
    let (state, reads) = (v.state(), db.reads(usize::MAX));
    loop {
        let entries = state.range(&reads, None, b"b", Some(b"c"));
        if !reads.incomplete() {
            return entries.into_iter().flat_map(|(_, v)| v).collect();
        }
        db.fetch(&reads).await.unwrap();
    }
}

/// Counts GETs and PUTs going through it.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    gets: Cell<u32>,
    puts: Cell<u32>,
    lists: Cell<u32>,
}

impl ObjectStore for Counting {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.gets.set(self.gets.get() + 1);
        self.inner.get(key).await
    }
    async fn get_range(&self, key: &str, o: u64, l: u64) -> StoreResult<Option<Vec<u8>>> {
        self.gets.set(self.gets.get() + 1);
        self.inner.get_range(key, o, l).await
    }
    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        self.inner.head(key).await
    }
    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        self.puts.set(self.puts.get() + 1);
        self.inner.put(key, body, mode).await
    }
    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        self.lists.set(self.lists.get() + 1);
        self.inner.list(prefix).await
    }
    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.inner.delete(key).await
    }
}

async fn append(db: &Database<Rc<Counting>, Bytes>, byte: u8, id: u64) -> CommitOutcome {
    let base = db.refresh(&0u64).await.unwrap();
    let entries = db.changes(&base, &[byte]).await.unwrap();
    db.commit(&base, vec![byte], entries, id, &0u64).await.unwrap()
}

#[test]
fn commits_are_durable_and_visible_to_other_handles() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let a: Database<_, Bytes> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        assert_eq!(append(&a, 1, 1).await, CommitOutcome::Committed(1));
        assert_eq!(append(&a, 2, 2).await, CommitOutcome::Committed(2));
        let b: Database<_, Bytes> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        assert_eq!(contents(&b, &b.cached()).await, [1, 2]);
        assert_eq!(append(&b, 3, 3).await, CommitOutcome::Committed(3));
        assert_eq!(
            {
                let v = a.refresh(&0u64).await.unwrap();
                contents(&a, &v).await
            },
            [1, 2, 3]
        );
        let other: Database<_, Bytes> = Database::open(store.clone(), "other", &0u64).await.unwrap();
        assert_eq!(other.cached().seq, 0, "namespaces are separate");
        assert_eq!(store.lists.get(), 0, "no LIST anywhere");
    });
}

#[test]
fn a_warm_commit_is_one_put_and_an_idle_refresh_one_get() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let db: Database<_, Bytes> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        let base = db.refresh(&0u64).await.unwrap();
        let (gets, puts) = (store.gets.get(), store.puts.get());
        db.commit(&base, vec![9], db.changes(&base, &[9]).await.unwrap(), 7, &0u64).await.unwrap();
        assert_eq!((store.gets.get() - gets, store.puts.get() - puts), (0, 1));
        let gets = store.gets.get();
        db.refresh(&0u64).await.unwrap();
        assert_eq!(store.gets.get() - gets, 1);
    });
}

#[test]
fn the_loser_of_a_race_writes_nothing_and_catches_up() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let a: Database<_, Bytes> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        let b: Database<_, Bytes> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        let base_a = a.refresh(&0u64).await.unwrap();
        let base_b = b.refresh(&0u64).await.unwrap();
        assert_eq!(
            a.commit(&base_a, vec![1], a.changes(&base_a, &[1]).await.unwrap(), 1, &0u64).await.unwrap(),
            CommitOutcome::Committed(1)
        );
        assert_eq!(
            b.commit(&base_b, vec![2], b.changes(&base_b, &[2]).await.unwrap(), 2, &0u64).await.unwrap(),
            CommitOutcome::Lost
        );
        assert_eq!(append(&b, 2, 3).await, CommitOutcome::Committed(2));
        assert_eq!(
            {
                let v = a.refresh(&0u64).await.unwrap();
                contents(&a, &v).await
            },
            [1, 2]
        );
    });
}

#[test]
fn checkpoints_bound_the_cost_of_opening() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let db: Database<_, Bytes> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        let total = 3 * CHECKPOINT_EVERY + 5;
        let mut now = 0;
        for i in 0..total {
            append(&db, i as u8, i).await;
            now += 100;
            db.maybe_checkpoint(&now).await.unwrap();
        }
        let gets = store.gets.get();
        let reopened: Database<_, Bytes> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        let cost = store.gets.get() - gets;
        assert_eq!(contents(&reopened, &reopened.cached()).await, (0..total).map(|i| i as u8).collect::<Vec<_>>());
        assert!(u64::from(cost) <= 3 + CHECKPOINT_EVERY + 1, "open cost {cost} GETs");
        assert!(store.inner.head("ns/head").await.unwrap().is_some());
    });
}

#[test]
fn checkpoints_respect_the_minimum_interval() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let db: Database<_, Bytes> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        for i in 0..CHECKPOINT_EVERY {
            append(&db, 0, i).await;
        }
        assert!(!db.maybe_checkpoint(&(CHECKPOINT_MIN_INTERVAL_MS - 1)).await.unwrap());
        assert!(db.maybe_checkpoint(&CHECKPOINT_MIN_INTERVAL_MS).await.unwrap());
        assert!(!db.maybe_checkpoint(&(10 * CHECKPOINT_MIN_INTERVAL_MS)).await.unwrap(), "nothing new");
    });
}

#[test]
fn a_damaged_record_is_an_error_not_a_silent_gap() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let db: Database<_, Bytes> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        append(&db, 1, 1).await;
        let key = db.layout().wal(1);
        let mut data = store.inner.get(&key).await.unwrap().unwrap();
        let last = data.len() - 1;
        data[last] ^= 1;
        store.inner.put(&key, data, PutMode::Overwrite).await.unwrap();
        assert!(matches!(Database::<_, Bytes>::open(store.clone(), "ns", &0u64).await, Err(Error::Corrupt(_))));
    });
}

/// Commits one byte at `now` through `db` (retrying lost races) and checkpoints when due.
async fn write(db: &Database<Rc<Counting>, Bytes>, byte: u8, now: u64) -> u64 {
    loop {
        let base = db.refresh(&now).await.unwrap();
        let entries = db.changes(&base, &[byte]).await.unwrap();
        if let CommitOutcome::Committed(seq) =
            db.commit(&base, vec![byte], entries, now ^ u64::from(byte), &now).await.unwrap()
        {
            db.maybe_checkpoint(&now).await.unwrap();
            return seq;
        }
    }
}

const HOUR: u64 = 3_600_000;

#[test]
fn a_stalled_writer_cannot_revive_a_collected_slot() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let zombie: Database<_, Bytes> = Database::open(store.clone(), "ns", &1_000).await.unwrap();
        write(&zombie, 1, 1_000).await;
        // The zombie prepares its next commit, then stalls for two hours.
        let base = zombie.refresh(&2_000u64).await.unwrap();
        let live: Database<_, Bytes> = Database::open(store.clone(), "ns", &3_000).await.unwrap();
        for i in 0..40 {
            write(&live, 2, 3_000 + i * 1_100).await;
        }
        let report = live.collect_garbage(&(3 * HOUR), HOUR).await.unwrap();
        assert!(report.boundary >= 32 && report.records_deleted >= 32, "{report:?}");
        assert!(store.inner.get("ns/wal/00000000000000000002").await.unwrap().is_none(), "the slot was collected");

        // Its create-if-absent on the collected slot succeeds, but it must not be acknowledged.
        let outcome =
            zombie.commit(&base, vec![9], zombie.changes(&base, &[9]).await.unwrap(), 99, &(3 * HOUR)).await.unwrap();
        assert_eq!(outcome, CommitOutcome::Lost);
        assert!(store.inner.get("ns/wal/00000000000000000002").await.unwrap().is_some(), "the orphan landed");

        // Nobody sees it: not a fresh open, not the zombie once it refreshes, not a stale reader.
        let expected: Vec<u8> = std::iter::once(1).chain(std::iter::repeat_n(2, 40)).collect();
        let fresh: Database<_, Bytes> = Database::open(store.clone(), "ns", &(3 * HOUR)).await.unwrap();
        assert_eq!(contents(&fresh, &fresh.cached()).await, expected);
        assert_eq!(
            {
                let v = zombie.refresh(&(3 * HOUR)).await.unwrap();
                contents(&zombie, &v).await
            },
            expected
        );
        let stale = Database::resume(store.clone(), "ns", base);
        assert_eq!(
            {
                let v = stale.refresh(&(3 * HOUR)).await.unwrap();
                contents(&stale, &v).await
            },
            expected
        );
        // The zombie's next commit goes where it belongs.
        assert_eq!(write(&zombie, 9, 3 * HOUR).await, 42);
    });
}

#[test]
fn a_newer_writer_epoch_fences_the_older_one() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let mut old: Database<_, Bytes> = Database::open(store.clone(), "ns", &1_000).await.unwrap();
        assert_eq!(old.claim(&1_000u64, 1).await.unwrap(), 1);
        write(&old, 1, 1_000).await;
        let base = old.cached();

        let mut new: Database<_, Bytes> = Database::open(store.clone(), "ns", &2_000).await.unwrap();
        assert_eq!(new.claim(&2_000u64, 2).await.unwrap(), 2);
        write(&new, 2, 2_000).await;

        // The old owner's stale commit loses the slot; on the newer state it is fenced.
        assert_eq!(
            old.commit(&base, vec![7], old.changes(&base, &[7]).await.unwrap(), 3, &2_500).await.unwrap(),
            CommitOutcome::Lost
        );
        let fresh = old.refresh(&2_500u64).await.unwrap();
        let err = old.commit(&fresh, vec![7], old.changes(&fresh, &[7]).await.unwrap(), 4, &2_500).await.unwrap_err();
        assert_eq!(err, Error::Fenced { mine: 1, current: 2 });
        let reader: Database<_, Bytes> = Database::open(store.clone(), "ns", &3_000).await.unwrap();
        assert_eq!(contents(&reader, &reader.cached()).await, [1, 2], "nothing of the fenced writer is visible");
        assert_eq!(reader.cached().epoch, 2);
    });
}

#[test]
fn a_copy_taken_during_writes_and_collection_opens_to_a_committed_version() {
    block_on(async {
        // Copies restore to about the version at listing time (70), not to an empty namespace.
        let mut recent = 0;
        for seed in 0..50u64 {
            let store = Rc::new(Counting::default());
            let db: Database<_, Bytes> = Database::open(store.clone(), "ns", &1).await.unwrap();
            let mut now = 1;
            let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut next = || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            for i in 0..70u64 {
                now += 1_500;
                write(&db, (i % 251) as u8, now).await;
            }
            // `aws s3 sync`: list, then copy in random order while writes and GC go on.
            let copy = Rc::new(Counting::default());
            let mut keys: Vec<String> = store.inner.list("ns/").await.unwrap().into_iter().map(|m| m.key).collect();
            let mut i = 70u64;
            while !keys.is_empty() {
                let key = keys.swap_remove((next() % keys.len() as u64) as usize);
                if let Some(data) = store.inner.get(&key).await.unwrap() {
                    copy.inner.put(&key, data, PutMode::Overwrite).await.unwrap();
                }
                if next() % 3 == 0 {
                    now += 1_500;
                    write(&db, (i % 251) as u8, now).await;
                    i += 1;
                }
                if next() % 17 == 0 {
                    now += HOUR;
                    db.collect_garbage(&now, HOUR).await.unwrap();
                }
            }
            let all = {
                let v = db.refresh(&now).await.unwrap();
                contents(&db, &v).await
            };
            let restored: Database<_, Bytes> = Database::open(copy, "ns", &now).await.unwrap();
            let v = restored.cached();
            assert_eq!(
                contents(&restored, &v).await,
                all[..v.seq as usize],
                "seed {seed}: the copy is not a committed version"
            );
            recent += u32::from(v.seq >= 60);
        }
        assert!(recent >= 40, "only {recent} of 50 copies restored a recent version");
    });
}

#[test]
fn a_head_naming_a_missing_checkpoint_falls_back_to_the_newest_complete_one() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let db: Database<_, Bytes> = Database::open(store.clone(), "ns", &1).await.unwrap();
        for i in 0..100u64 {
            write(&db, i as u8, 10_000 + i * 2_000).await;
        }
        let head = decode_head(&store.inner.get("ns/head").await.unwrap().unwrap()).unwrap();
        assert_eq!(head, 96);
        // As in a copy made while a checkpoint was being written: head arrived, its manifest not.
        store.inner.delete(&db.layout().manifest(96)).await.unwrap();
        let lists = store.lists.get();
        let reopened: Database<_, Bytes> = Database::open(store.clone(), "ns", &1).await.unwrap();
        assert_eq!(contents(&reopened, &reopened.cached()).await, (0..100u8).collect::<Vec<_>>());
        assert_eq!(store.lists.get() - lists, 1, "recovered by listing the manifests");
    });
}

/// `docs/format.md`, safety point 5: a checkpoint whose base is more than half of
/// `GC_MIN_AGE_MS` old lists the manifests and builds on the newest, so a `head` update that
/// was lost cannot make it list tables a later checkpoint already compacted away.
#[test]
fn an_old_base_checkpoint_looks_for_a_newer_manifest_than_head() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let t0 = HOUR;
        let a: Database<_, Bytes> = Database::open(store.clone(), "ns", &t0).await.unwrap();
        for i in 0..64u64 {
            write(&a, i as u8, t0 + i * 1_000).await;
        }
        assert_eq!(decode_head(&store.inner.get("ns/head").await.unwrap().unwrap()).unwrap(), 64);
        // The update of `head` to 64 is lost: it still names checkpoint 32.
        store.inner.put("ns/head", records::encode_head(32), PutMode::Overwrite).await.unwrap();
        // Much later, a new handle opens from checkpoint 32 and commits once more.
        let later = t0 + 64_000 + HOUR / 2 + 60_000;
        let c: Database<_, Bytes> = Database::open(store.clone(), "ns", &later).await.unwrap();
        let lists = store.lists.get();
        assert_eq!(write(&c, 64, later).await, 65);
        assert_eq!(store.lists.get(), lists + 1, "one LIST of manifest/ for the old base");
        let keys: Vec<String> = store.inner.list("ns/sst/").await.unwrap().into_iter().map(|m| m.key).collect();
        let name = |base: u64| format!("ns/sst/{:020}-{:020}-0.sst", 65, base);
        assert!(keys.contains(&name(64)) && !keys.contains(&name(32)), "built on manifest 64: {keys:?}");
        let reopened: Database<_, Bytes> = Database::open(store.clone(), "ns", &later).await.unwrap();
        assert_eq!(contents(&reopened, &reopened.cached()).await, (0..=64u8).collect::<Vec<_>>());
        // A fresh base needs no listing.
        let lists = store.lists.get();
        for i in 0..40u64 {
            write(&c, 65 + i as u8, later + (i + 1) * 1_000).await;
        }
        assert_eq!(store.lists.get(), lists);
    });
}

/// Commits `payload` (one byte per entry) through `db` at time 0.
/// A database on a counting in-memory store, checkpointing after every commit (with the
/// rest of `tuning`).
async fn counting_db(tuning: Tuning) -> (Rc<Counting>, Database<Rc<Counting>, Bytes>) {
    let store = Rc::new(Counting::default());
    let mut db = Database::open(store.clone(), "ns", &0u64).await.unwrap();
    db.set_tuning(Tuning { commits_per_checkpoint: 1, ..tuning });
    (store, db)
}

async fn append_all(db: &Database<Rc<Counting>, Bytes>, payload: Vec<u8>, id: u64) {
    let base = db.refresh(&0u64).await.unwrap();
    let entries = db.changes(&base, &payload).await.unwrap();
    assert_eq!(db.commit(&base, payload, entries, id, &0u64).await.unwrap(), CommitOutcome::Committed(base.seq + 1));
}

/// Byte `i` as the latest version of `db` holds it (fetching the blocks that takes).
async fn byte_at<S: ObjectStore>(db: &Database<S, Bytes>, i: u64) -> Option<Vec<u8>> {
    let (state, reads) = (db.cached().state(), db.reads(usize::MAX));
    loop {
        let value = state.get(&reads, &byte_key(i));
        if !reads.incomplete() {
            return value;
        }
        db.fetch(&reads).await.unwrap();
    }
}

#[test]
fn a_checkpoint_keeps_its_new_table_in_the_block_cache_when_the_cache_has_room() {
    block_on(async {
        let (store, db) = counting_db(Tuning::default()).await;
        append_all(&db, vec![7; 20_000], 1).await;
        assert!(db.maybe_checkpoint(&CHECKPOINT_MIN_INTERVAL_MS).await.unwrap());
        assert_eq!(db.cached().table_counts(), (1, 0));
        // What was read from memory until the checkpoint needs no GET after it either.
        let gets = store.gets.get();
        assert_eq!(contents(&db, &db.cached()).await, vec![7; 20_000]);
        assert_eq!(store.gets.get(), gets, "the new table's blocks were all in the cache");
        // The same version through a cache of its own fetches every block.
        let other: Database<_, Bytes> = Database::resume(store.clone(), "ns", db.cached());
        assert_eq!(contents(&other, &other.cached()).await, vec![7; 20_000]);
        assert!(store.gets.get() - gets > 2, "{} GETs", store.gets.get() - gets);

        // A cache without room for a block takes none: it pushes out nothing reads use.
        let small = Rc::new(BlockCache::new(1_024));
        let mut db: Database<_, Bytes> =
            Database::open(store.clone(), "small", &0u64).await.unwrap().with_cache(small.clone());
        db.set_tuning(Tuning { commits_per_checkpoint: 1, ..Tuning::default() });
        append_all(&db, vec![7; 20_000], 1).await;
        assert!(db.maybe_checkpoint(&CHECKPOINT_MIN_INTERVAL_MS).await.unwrap());
        assert_eq!(small.bytes(), 0);
    });
}

#[test]
fn compaction_caches_the_output_blocks_that_replace_blocks_reads_used() {
    block_on(async {
        let (store, db) = counting_db(Tuning { l0_trigger: 2, ..Tuning::default() }).await;
        append_all(&db, vec![1; 20_000], 1).await;
        assert!(db.maybe_checkpoint(&CHECKPOINT_MIN_INTERVAL_MS).await.unwrap());
        // A read uses one block of the first table (held in the cache since its checkpoint).
        let gets = store.gets.get();
        assert_eq!(byte_at(&db, 100).await, Some(vec![1]));
        assert_eq!(store.gets.get(), gets);
        append_all(&db, vec![2; 20_000], 2).await;
        assert!(db.maybe_checkpoint(&(2 * CHECKPOINT_MIN_INTERVAL_MS)).await.unwrap());
        assert_eq!(db.cached().table_counts(), (0, 1), "both level-0 tables were compacted into level 1");
        let gets = store.gets.get();
        assert_eq!(byte_at(&db, 100).await, Some(vec![1]));
        assert_eq!(store.gets.get(), gets, "the block replacing the one read was cached as it was written");
        // Blocks no read used were not: the cache holds what reads use, not all that is written.
        // (Not those past byte 18,000 or so: the first table's last block, which every commit
        // read for the count, spans from there to the count's key.)
        assert_eq!(byte_at(&db, 10_000).await, Some(vec![1]));
        assert_eq!(store.gets.get(), gets + 1);
    });
}

#[test]
fn racing_checkpoints_that_compact_write_identical_tables() {
    block_on(async {
        let tuning = Tuning { commits_per_checkpoint: 1, l0_trigger: 2, table_bytes: 16 << 10, ..Tuning::default() };
        let (store, db) = counting_db(tuning).await;
        let mut now = 0;
        // Level 1 from the first two commits, one level-0 table from the third; the next
        // compaction copies blocks of both levels whole.
        for (id, payload) in [vec![1; 40_000], vec![2; 40_000], vec![3; 20_000]].into_iter().enumerate() {
            append_all(&db, payload, id as u64 + 1).await;
            now += CHECKPOINT_MIN_INTERVAL_MS;
            assert!(db.maybe_checkpoint(&now).await.unwrap());
        }
        append_all(&db, vec![4; 20_000], 4).await;
        // A rival handle at the same version (with a cold block cache) checkpoints the same
        // base: a copy of the store stands for the race it would have on this one.
        let copy = Rc::new(Counting::default());
        for o in store.inner.list("").await.unwrap() {
            copy.inner.put(&o.key, store.inner.get(&o.key).await.unwrap().unwrap(), PutMode::Overwrite).await.unwrap();
        }
        let mut rival: Database<_, Bytes> = Database::resume(copy.clone(), "ns", db.cached());
        rival.set_tuning(tuning);
        now += CHECKPOINT_MIN_INTERVAL_MS;
        assert!(db.maybe_checkpoint(&now).await.unwrap());
        assert!(rival.maybe_checkpoint(&now).await.unwrap());
        let (l0, l1) = db.cached().table_counts();
        assert!(l0 == 0 && l1 > 2, "compacted into several level-1 tables: {l0}, {l1}");
        let tables = |store: Rc<Counting>| async move {
            let mut tables = Vec::new();
            for o in store.inner.list("ns/sst/").await.unwrap() {
                tables.push((o.key.clone(), store.inner.get(&o.key).await.unwrap().unwrap()));
            }
            tables
        };
        let (ours, theirs) = (tables(store).await, tables(copy).await);
        assert!(ours.iter().any(|(k, _)| k.starts_with("ns/sst/00000000000000000004-")), "this checkpoint compacted");
        assert_eq!(ours, theirs);
        assert_eq!(
            contents(&rival, &rival.cached()).await,
            [vec![1; 40_000], vec![2; 40_000], vec![3; 20_000], vec![4; 20_000]].concat()
        );
    });
}

#[test]
fn checkpoints_keep_the_minimum_interval_after_a_rivals_checkpoint() {
    block_on(async {
        let (store, db) = counting_db(Tuning::default()).await;
        append_all(&db, vec![1; 1_000], 1).await;
        let before = db.cached();
        assert!(db.maybe_checkpoint(&CHECKPOINT_MIN_INTERVAL_MS).await.unwrap());
        // A handle that has not seen that checkpoint commits and finds a checkpoint due by its
        // own; `head` names one written half an interval ago, so it writes none yet.
        let mut other: Database<_, Bytes> = Database::resume(store.clone(), "ns", before);
        other.set_tuning(Tuning { commits_per_checkpoint: 1, ..Tuning::default() });
        append_all(&other, vec![2; 1_000], 2).await;
        let puts = store.puts.get();
        assert!(!other.maybe_checkpoint(&(CHECKPOINT_MIN_INTERVAL_MS * 3 / 2)).await.unwrap());
        assert_eq!(store.puts.get(), puts, "no table, manifest or head written");
        assert!(other.maybe_checkpoint(&(CHECKPOINT_MIN_INTERVAL_MS * 2)).await.unwrap());
    });
}

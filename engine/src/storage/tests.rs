#![allow(clippy::unwrap_used, clippy::panic)]
use super::*;
use crate::store::{MemoryStore, ObjectMeta, StoreResult};
use futures::executor::block_on;
use std::cell::Cell;

/// A state machine that appends bytes: easy to check that every commit is applied once, in order.
#[derive(Clone, Default, Debug, PartialEq)]
struct Bytes(Vec<u8>);

impl StateMachine for Bytes {
    fn apply(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.0.extend_from_slice(payload);
        Ok(())
    }
    fn snapshot(&self) -> Vec<u8> {
        self.0.clone()
    }
    fn restore(snapshot: &[u8]) -> Result<Self, Error> {
        Ok(Bytes(snapshot.to_vec()))
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
    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        mode: PutMode,
    ) -> StoreResult<Option<ObjectMeta>> {
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
    let base = db.refresh(0).await.unwrap();
    let mut next = (*base.state).clone();
    next.apply(&[byte]).unwrap();
    db.commit(&base, vec![byte], next, id, 0).await.unwrap()
}

#[test]
fn commits_are_durable_and_visible_to_other_handles() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let a: Database<_, Bytes> = Database::open(store.clone(), "ns").await.unwrap();
        assert_eq!(append(&a, 1, 1).await, CommitOutcome::Committed(1));
        assert_eq!(append(&a, 2, 2).await, CommitOutcome::Committed(2));
        let b: Database<_, Bytes> = Database::open(store.clone(), "ns").await.unwrap();
        assert_eq!(b.cached().state.0, [1, 2]);
        assert_eq!(append(&b, 3, 3).await, CommitOutcome::Committed(3));
        assert_eq!(a.refresh(0).await.unwrap().state.0, [1, 2, 3]);
        let other: Database<_, Bytes> = Database::open(store.clone(), "other").await.unwrap();
        assert_eq!(other.cached().seq, 0, "namespaces are separate");
        assert_eq!(store.lists.get(), 0, "no LIST anywhere");
    });
}

#[test]
fn a_warm_commit_is_one_put_and_an_idle_refresh_one_get() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let db: Database<_, Bytes> = Database::open(store.clone(), "ns").await.unwrap();
        let base = db.refresh(0).await.unwrap();
        let (gets, puts) = (store.gets.get(), store.puts.get());
        db.commit(&base, vec![9], Bytes(vec![9]), 7, 0)
            .await
            .unwrap();
        assert_eq!((store.gets.get() - gets, store.puts.get() - puts), (0, 1));
        let gets = store.gets.get();
        db.refresh(0).await.unwrap();
        assert_eq!(store.gets.get() - gets, 1);
    });
}

#[test]
fn the_loser_of_a_race_writes_nothing_and_catches_up() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let a: Database<_, Bytes> = Database::open(store.clone(), "ns").await.unwrap();
        let b: Database<_, Bytes> = Database::open(store.clone(), "ns").await.unwrap();
        let base_a = a.refresh(0).await.unwrap();
        let base_b = b.refresh(0).await.unwrap();
        assert_eq!(
            a.commit(&base_a, vec![1], Bytes(vec![1]), 1, 0)
                .await
                .unwrap(),
            CommitOutcome::Committed(1)
        );
        assert_eq!(
            b.commit(&base_b, vec![2], Bytes(vec![2]), 2, 0)
                .await
                .unwrap(),
            CommitOutcome::Lost
        );
        assert_eq!(append(&b, 2, 3).await, CommitOutcome::Committed(2));
        assert_eq!(a.refresh(0).await.unwrap().state.0, [1, 2]);
    });
}

#[test]
fn checkpoints_bound_the_cost_of_opening() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let db: Database<_, Bytes> = Database::open(store.clone(), "ns").await.unwrap();
        let total = 3 * CHECKPOINT_EVERY + 5;
        let mut now = 0;
        for i in 0..total {
            append(&db, i as u8, i).await;
            now += 100;
            db.maybe_checkpoint(now).await.unwrap();
        }
        let gets = store.gets.get();
        let reopened: Database<_, Bytes> = Database::open(store.clone(), "ns").await.unwrap();
        let cost = store.gets.get() - gets;
        assert_eq!(
            reopened.cached().state.0,
            (0..total).map(|i| i as u8).collect::<Vec<_>>()
        );
        assert!(
            u64::from(cost) <= 3 + CHECKPOINT_EVERY + 1,
            "open cost {cost} GETs"
        );
        assert!(store.inner.head("ns/head").await.unwrap().is_some());
    });
}

#[test]
fn checkpoints_respect_the_minimum_interval() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let db: Database<_, Bytes> = Database::open(store.clone(), "ns").await.unwrap();
        for i in 0..CHECKPOINT_EVERY {
            append(&db, 0, i).await;
        }
        assert!(!db
            .maybe_checkpoint(CHECKPOINT_MIN_INTERVAL_MS - 1)
            .await
            .unwrap());
        assert!(db
            .maybe_checkpoint(CHECKPOINT_MIN_INTERVAL_MS)
            .await
            .unwrap());
        assert!(
            !db.maybe_checkpoint(10 * CHECKPOINT_MIN_INTERVAL_MS)
                .await
                .unwrap(),
            "nothing new"
        );
    });
}

#[test]
fn a_damaged_record_is_an_error_not_a_silent_gap() {
    block_on(async {
        let store = Rc::new(Counting::default());
        let db: Database<_, Bytes> = Database::open(store.clone(), "ns").await.unwrap();
        append(&db, 1, 1).await;
        let key = db.layout().wal(1);
        let mut data = store.inner.get(&key).await.unwrap().unwrap();
        let last = data.len() - 1;
        data[last] ^= 1;
        store
            .inner
            .put(&key, data, PutMode::Overwrite)
            .await
            .unwrap();
        assert!(matches!(
            Database::<_, Bytes>::open(store.clone(), "ns").await,
            Err(Error::Corrupt(_))
        ));
    });
}

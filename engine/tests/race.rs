//! Racing writers on OS threads, each with its own handle on one shared store (memory and
//! local directory): every acknowledged increment is counted exactly once, and concurrent
//! transfers keep the total balance constant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use engine::api::{execute, parse_request, Host, Request};
use engine::graph::GraphModel;
use engine::procedures::Procedures;
use engine::storage::{Clock, Database};
use engine::store::{DirStore, MemoryStore, ObjectStore};
use futures::executor::block_on;
use std::sync::Arc;

const CLIENTS: u64 = 8;
const INCREMENTS: u64 = 100;

/// Real time and real sleeps, seeded per thread.
struct ThreadHost {
    state: std::cell::Cell<u64>,
}

impl Clock for ThreadHost {
    fn now_ms(&self) -> u64 {
        let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        since_epoch.map_or(0, |d| d.as_millis() as u64)
    }
}

impl Host for ThreadHost {
    fn random(&self) -> u64 {
        let mut z = self.state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.state.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    async fn sleep(&self, ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

fn request(q: &str) -> Request {
    parse_request(format!("{{\"query\": \"{q}\"}}").as_bytes()).unwrap()
}

fn rows(store: impl ObjectStore, q: &str) -> String {
    let db: Database<_, GraphModel> = block_on(Database::open(store, "ns", &0u64)).unwrap();
    let body =
        block_on(execute(&db, &request(q), &ThreadHost { state: 0.into() }, &Procedures::new())).unwrap().body(None);
    body[body.find("\"rows\":").unwrap() + 7..body.find(",\"stats\"").unwrap()].to_string()
}

/// Runs `work(client, db, host)` on one thread per client; returns the executions it took
/// (more than the requests when commit races were lost and retried).
fn on_threads<S>(store: Arc<S>, work: fn(u64, &Database<Arc<S>, GraphModel>, &ThreadHost) -> u32) -> u32
where
    S: ObjectStore + Send + Sync + 'static,
{
    let threads: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let store = store.clone();
            std::thread::spawn(move || {
                let db = block_on(Database::open(store, "ns", &0u64)).unwrap();
                work(client, &db, &ThreadHost { state: (client + 1).into() })
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).sum()
}

fn counter<S: ObjectStore + Send + Sync + 'static>(store: Arc<S>) {
    block_on(async {
        let db: Database<_, GraphModel> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        let host = ThreadHost { state: 0.into() };
        execute(&db, &request("CREATE (:Counter {id: 1, n: 0})"), &host, &Procedures::new()).await.unwrap();
    });
    let attempts = on_threads(store.clone(), |_, db, host| {
        let inc = request("MATCH (c:Counter {id: 1}) SET c.n = c.n + 1");
        (0..INCREMENTS)
            .map(|_| {
                block_on(execute(db, &inc, host, &Procedures::new())).expect("every increment is acknowledged").attempts
            })
            .sum()
    });
    assert_eq!(rows(store, "MATCH (c:Counter) RETURN c.n"), format!("[[{}]]", CLIENTS * INCREMENTS));
    println!("counter: {} increments took {attempts} executions", CLIENTS * INCREMENTS);
    assert!(u64::from(attempts) > CLIENTS * INCREMENTS, "the writers never raced");
}

fn bank<S: ObjectStore + Send + Sync + 'static>(store: Arc<S>) {
    block_on(async {
        let db: Database<_, GraphModel> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        let host = ThreadHost { state: 0.into() };
        execute(
            &db,
            &request("UNWIND range(0, 9) AS i CREATE (:Account {id: i, balance: 100})"),
            &host,
            &Procedures::new(),
        )
        .await
        .unwrap();
    });
    let attempts = on_threads(store.clone(), |client, db, host| {
        let transfer = |i: u64| {
            let (from, to) = ((client + i) % 10, (client * 3 + i * 7 + 1) % 10);
            let q = format!(
                "MATCH (a:Account {{id: {from}}}), (b:Account {{id: {to}}}) \
                 SET a.balance = a.balance - 7 SET b.balance = b.balance + 7"
            );
            block_on(execute(db, &request(&q), host, &Procedures::new()))
                .expect("every transfer is acknowledged")
                .attempts
        };
        (0..25).map(transfer).sum()
    });
    assert!(u64::from(attempts) > CLIENTS * 25, "the writers never raced");
    assert_eq!(rows(store, "MATCH (a:Account) RETURN sum(a.balance), count(a)"), "[[1000,10]]");
}

/// Runs `test` on a directory store in a fresh temporary folder.
fn on_directory(name: &str, test: fn(Arc<DirStore>)) {
    let dir = std::env::temp_dir().join(format!("namidb-race-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    test(Arc::new(DirStore::new(&dir).unwrap()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn counter_on_memory_store() {
    counter(Arc::new(MemoryStore::new()));
}

#[test]
fn counter_on_directory_store() {
    on_directory("counter", counter);
}

#[test]
fn bank_transfers_on_memory_store() {
    bank(Arc::new(MemoryStore::new()));
}

#[test]
fn bank_transfers_on_directory_store() {
    on_directory("bank", bank);
}

/// Eight requests of one isolate interleaving at every I/O point on one thread (as concurrent
/// requests do in a Worker): each has its own handle, all 800 increments are acknowledged.
#[test]
fn interleaved_futures_on_one_thread() {
    use engine::api::ManualHost;
    use engine::store::Yielding;
    use std::rc::Rc;
    let store = Rc::new(Yielding(MemoryStore::new()));
    block_on(async {
        let db: Database<_, GraphModel> = Database::open(store.clone(), "ns", &1u64).await.unwrap();
        execute(&db, &request("CREATE (:Counter {id: 1, n: 0})"), &ManualHost::new(1, 1), &Procedures::new())
            .await
            .unwrap();
        let clients = (0..CLIENTS).map(|c| {
            let store = store.clone();
            async move {
                let host = ManualHost::new(2, c);
                let db: Database<_, GraphModel> = Database::open(store, "ns", &2u64).await.unwrap();
                let inc = request("MATCH (c:Counter {id: 1}) SET c.n = c.n + 1");
                let mut attempts = 0;
                for _ in 0..INCREMENTS {
                    attempts += execute(&db, &inc, &host, &Procedures::new())
                        .await
                        .expect("every increment is acknowledged")
                        .attempts;
                }
                attempts
            }
        });
        let attempts: u32 = futures::future::join_all(clients).await.into_iter().sum();
        assert!(u64::from(attempts) > CLIENTS * INCREMENTS, "the requests never raced");
    });
    assert_eq!(rows(store, "MATCH (c:Counter) RETURN c.n"), format!("[[{}]]", CLIENTS * INCREMENTS));
}

/// As requests of one Worker isolate do: each resumes the isolate's latest version with the
/// isolate's block cache, runs, puts its version back, and checkpoints after its response,
/// all interleaving at every I/O point, with the clock moving.
#[test]
fn interleaved_requests_sharing_versions_cache_and_checkpoints() {
    use engine::api::ManualHost;
    use engine::storage::{BlockCache, Version};
    use engine::store::Yielding;
    use std::cell::RefCell;
    use std::rc::Rc;
    let store = Rc::new(Yielding(MemoryStore::new()));
    let warm: Rc<RefCell<Version>> = Rc::default();
    let cache = Rc::new(BlockCache::default());
    let clock = Rc::new(std::cell::Cell::new(1_000u64));
    /// A host whose backoff lets the other requests run (as a Worker's timer does).
    struct Yields(ManualHost);
    impl engine::storage::Clock for Yields {
        fn now_ms(&self) -> u64 {
            self.0.now_ms()
        }
    }
    impl engine::api::Host for Yields {
        fn random(&self) -> u64 {
            self.0.random()
        }
        async fn sleep(&self, ms: u64) {
            for _ in 0..ms {
                engine::store::yield_now().await;
            }
            self.0.sleep(ms).await;
        }
    }
    let request_on = |q: String, c: u64| {
        let (store, warm, cache, clock) = (store.clone(), warm.clone(), cache.clone(), clock.clone());
        async move {
            clock.set(clock.get() + 150);
            let host = Yields(ManualHost::new(clock.get(), c));
            let version = warm.borrow().clone();
            let db: Database<_, GraphModel> = Database::resume(store.clone(), "ns", version).with_cache(cache);
            let r = match execute(&db, &request(&q), &host, &Procedures::new()).await {
                Ok(r) => r,
                Err(e) => {
                    let v = db.cached();
                    let has = store.0.get(&format!("ns/wal/{:020}", v.seq + 1)).await.unwrap().is_some();
                    let r = db.refresh(&host).await.map(|v| v.seq);
                    panic!(
                        "{e}: at seq {} (warm {}), next slot present {has}, refresh {r:?}, validated {}",
                        v.seq,
                        warm.borrow().seq,
                        v.is_recent(host.now_ms())
                    )
                }
            };
            let keep = |v: Version| {
                let mut w = warm.borrow_mut();
                if v.seq >= w.seq {
                    *w = v;
                }
            };
            keep(db.cached());
            if let Ok(true) = db.maybe_checkpoint(&host).await {
                keep(db.cached());
            }
            r
        }
    };
    block_on(request_on("CREATE (:Counter {id: 1, n: 0})".into(), 99));
    block_on(async {
        let clients = (0..CLIENTS).map(|c| {
            let request_on = &request_on;
            async move {
                for _ in 0..INCREMENTS {
                    request_on("MATCH (c:Counter {id: 1}) SET c.n = c.n + 1".into(), c).await;
                }
            }
        });
        futures::future::join_all(clients).await;
    });
    let body = block_on(request_on("MATCH (c:Counter {id: 1}) RETURN c.n".into(), 100)).body(None);
    assert!(body.contains(&format!("[[{}]]", CLIENTS * INCREMENTS)), "{body}");
}

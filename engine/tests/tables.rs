//! Checkpoints into sorted tables and compaction, end to end on a graph workload: with tiny
//! tables and compaction steps, every checkpoint (level-0 table, compaction step, manifest)
//! must reopen to exactly the writer's graph, level 0 must stay shallow, and garbage
//! collection must delete only tables no manifest names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use engine::api::{execute, parse_request, ManualHost};
use engine::graph::GraphModel;
use engine::procedures::Procedures;
use engine::storage::{Database, Tuning, CHECKPOINT_EVERY};
use engine::store::{MemoryStore, ObjectStore};
use futures::executor::block_on;
use std::rc::Rc;

type Db = Database<Rc<MemoryStore>, GraphModel>;

fn run(db: &Db, query: &str, now: u64) {
    let req = parse_request(format!("{{\"query\": {query:?}}}").as_bytes()).unwrap();
    block_on(execute(db, &req, &ManualHost::new(now, now), &Procedures::new()))
        .unwrap_or_else(|e| panic!("{query}: {e}"));
}

fn open(store: &Rc<MemoryStore>, now: u64) -> Db {
    block_on(Database::open(store.clone(), "ns", &now)).unwrap()
}

/// Both handles hold the same graph; on a difference, names the first differing key.
fn assert_same(cold: &Db, warm: &Db, context: &str) {
    let entries = |db: &Db| block_on(db.entries(&db.cached())).unwrap();
    let (a, b) = (entries(cold), entries(warm));
    if a != b {
        let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        let key = |e: &[(Vec<u8>, Vec<u8>)]| e.get(at).map(|(k, _)| String::from_utf8_lossy(k).into_owned());
        panic!(
            "{context}: reopened graph differs at entry {at}: {:?} vs {:?} ({} vs {} entries)",
            key(&a),
            key(&b),
            a.len(),
            b.len()
        );
    }
}

/// A small deterministic generator (xorshift), so the workload is the same every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn statement(rng: &mut Rng, i: u64) -> String {
    let id = rng.below(i + 1);
    let other = rng.below(i + 1);
    let label = ["A", "B", "C"][rng.below(3) as usize];
    match rng.below(6) {
        0 | 1 => format!("CREATE (:{label} {{i: {i}, text: '{}'}})", "t".repeat(rng.below(40) as usize)),
        2 => format!("MATCH (n) WHERE id(n) = {id} SET n.x = {i}, n:{label}"),
        3 => format!("MATCH (a) WHERE id(a) = {id} MATCH (b) WHERE id(b) = {other} CREATE (a)-[:R {{i: {i}}}]->(b)"),
        4 => format!("MATCH (n) WHERE id(n) = {id} DETACH DELETE n"),
        _ => format!("MATCH (n:{label})-[r]->() WHERE id(n) = {id} DELETE r REMOVE n:{label}"),
    }
}

/// Runs the workload with `tuning`, checking that a cold open after every checkpoint reads the
/// writer's graph; returns the handle, the number of checkpoints and the deepest level 0 and
/// level 1 seen.
fn workload(store: &Rc<MemoryStore>, tuning: Tuning) -> (Db, usize, usize, usize) {
    let mut db = open(store, 0);
    db.set_tuning(tuning);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut checkpoints, mut max_l0, mut max_l1) = (0, 0, 0);
    for i in 0..1_200u64 {
        let now = 1_000 * (i + 1);
        run(&db, &statement(&mut rng, i), now);
        if block_on(db.maybe_checkpoint(&now)).unwrap() {
            checkpoints += 1;
            let (l0, l1) = db.cached().table_counts();
            (max_l0, max_l1) = (max_l0.max(l0), max_l1.max(l1));
            let cold = open(store, now);
            assert_eq!(cold.cached().seq, db.cached().seq);
            assert_same(&cold, &db, &format!("checkpoint {checkpoints}"));
        }
    }
    println!("{tuning:?}: {checkpoints} checkpoints, level 0 at most {max_l0} tables, level 1 at most {max_l1}");
    assert!(checkpoints >= 15, "{checkpoints} checkpoints");
    assert!(max_l1 >= 4, "the graph spans several level-1 tables: {max_l1}");
    (db, checkpoints, max_l0, max_l1)
}

#[test]
fn partial_compaction_steps_leave_level_0_tables_partly_merged_and_still_read_right() {
    // One small step per checkpoint: a level-0 table is merged range by range over several
    // checkpoints, so reads must honour each table's `from_key`.
    let tuning = Tuning {
        commits_per_checkpoint: CHECKPOINT_EVERY,
        table_bytes: 2_048,
        step_bytes: 2_048,
        l0_trigger: 2,
        steps_per_checkpoint: 1,
    };
    let (_, _, max_l0, _) = workload(&Rc::new(MemoryStore::new()), tuning);
    assert!(max_l0 >= 3, "level 0 outgrew the trigger while steps went round: {max_l0}");
}

/// Tiny tables, and enough compaction steps per checkpoint to keep level 0 at its trigger.
fn small_tables() -> Tuning {
    Tuning {
        commits_per_checkpoint: CHECKPOINT_EVERY,
        table_bytes: 2_048,
        step_bytes: 4_096,
        l0_trigger: 2,
        steps_per_checkpoint: 2,
    }
}

#[test]
fn every_checkpoint_and_compaction_step_reopens_to_the_same_graph_and_gc_keeps_it() {
    let store = Rc::new(MemoryStore::new());
    let (db, _, max_l0, _) = workload(&store, small_tables());
    assert!(max_l0 <= 2, "enough steps per checkpoint keep level 0 at the trigger: {max_l0}");

    // Collect everything older than the last checkpoint: superseded tables go, and the
    // namespace still opens to the same graph.
    let later = 10_000_000;
    let before = block_on(store.list("ns/sst/")).unwrap().len();
    let report = block_on(db.collect_garbage(&later, 0)).unwrap();
    let after = block_on(store.list("ns/sst/")).unwrap().len();
    assert!(report.tables_deleted > 0 && after == before - report.tables_deleted as usize, "{report:?}");
    let (l0, l1) = db.cached().table_counts();
    assert_eq!(after, l0 + l1, "exactly the tables of the last checkpoint remain");
    let cold = open(&store, later);
    assert_same(&cold, &db, "after garbage collection");
}

/// Queries read only the blocks they need through the block cache, and a cache far smaller
/// than the graph (which keeps evicting) answers exactly as a handle that holds it all.
#[test]
fn a_cache_smaller_than_the_graph_answers_the_same() {
    use engine::storage::BlockCache;
    let store = Rc::new(MemoryStore::new());
    let (db, _, _, l1) = workload(&store, small_tables());
    assert!(l1 >= 4);
    let capacity = 8_192;
    let stored: u64 = block_on(store.list("ns/sst/")).unwrap().iter().map(|m| m.size).sum();
    assert!(stored > 4 * capacity as u64, "the tables ({stored} bytes) are much larger than the cache");
    let cache = Rc::new(BlockCache::new(capacity));
    let counted = Rc::new(engine::store::Counting::new(store.clone()));
    let small = Database::resume(counted.clone(), "ns", db.cached()).with_cache(cache.clone());
    let queries = [
        "MATCH (n) RETURN count(n), sum(n.i), max(size(n.text))",
        "MATCH (n:A) RETURN n.i ORDER BY n.i",
        "MATCH (a)-[r:R]->(b) RETURN id(a), r.i, id(b) ORDER BY r.i",
        "MATCH (a:B)-[:R]->()-[:R]->(c) RETURN count(DISTINCT c)",
        "MATCH (n) WHERE n.x IS NOT NULL RETURN labels(n), n.x ORDER BY n.x",
    ];
    for round in 0..2 {
        let before = counted.counts().gets;
        for q in queries {
            assert_eq!(query(&small, q), query(&db, q), "{q}");
            assert!(cache.bytes() <= capacity, "the cache holds {} bytes", cache.bytes());
        }
        // Beyond one freshness check per query, the blocks were fetched again: evicted.
        let fetched = counted.counts().gets - before;
        assert!(fetched > 2 * queries.len() as u64, "round {round}: {fetched} GETs");
    }
}

/// The rows and columns of a query's answer.
fn query<S: ObjectStore>(db: &Database<S, GraphModel>, q: &str) -> String {
    let req = parse_request(format!("{{\"query\": {q:?}}}").as_bytes()).unwrap();
    let r: engine::api::Response =
        block_on(execute(db, &req, &ManualHost::new(20_000_000, 1), &Procedures::new())).unwrap();
    let body = r.body(None);
    body[..body.find(",\"meta\"").unwrap()].to_string()
}

/// What a scan derives from blocks (decoded adjacency lists, id lists) is about the blocks'
/// size; a cache that holds the blocks but not that too keeps the blocks, so the scan runs
/// again without fetching them.
#[test]
fn a_scan_keeps_its_blocks_rather_than_what_it_derived_from_them() {
    use engine::storage::BlockCache;
    let store = Rc::new(MemoryStore::new());
    let (db, ..) = workload(&store, small_tables());
    // (Relationships of any type: one adjacency list per node, where one type's lists read
    // in node order are read ahead in windows, much smaller than the blocks.)
    let queries = ["MATCH (n) RETURN count(n), sum(n.i), max(size(n.text))", "MATCH (a)-[r]->(b) RETURN count(r)"];
    let all = Rc::new(BlockCache::new(1 << 30));
    let holding_all = Database::resume(store.clone(), "ns", db.cached()).with_cache(all.clone());
    queries.iter().for_each(|q| drop(query(&holding_all, q)));
    let blocks = all.bytes() - all.derived_bytes();
    // Decoded adjacency lists and id lists, about as large as the blocks (nodes read in key
    // order are read in place, so their bytes are not among them).
    assert!(all.derived_bytes() > blocks / 2, "derived {} bytes from {blocks} of blocks", all.derived_bytes());

    let capacity = 2 * blocks;
    let cache = Rc::new(BlockCache::new(capacity));
    let counted = Rc::new(engine::store::Counting::new(store.clone()));
    let small = Database::resume(counted.clone(), "ns", db.cached()).with_cache(cache.clone());
    for round in 0..3 {
        let before = counted.counts().gets;
        for q in queries {
            assert_eq!(query(&small, q), query(&db, q), "{q}");
        }
        assert!(cache.derived_bytes() <= capacity / 4, "derived values hold {} bytes", cache.derived_bytes());
        let fetched = counted.counts().gets - before;
        if round > 0 {
            // One freshness check per query, no block.
            assert_eq!(fetched, queries.len() as u64, "round {round}");
        }
    }
}

/// A label's id list is read from every table block of its range; a large one (here 40,000
/// ids, 320 KB) is kept decoded too, so the next scan of the label reads no block at all.
#[test]
fn a_large_label_scan_is_remembered() {
    use engine::storage::BlockCache;
    let store = Rc::new(MemoryStore::new());
    let mut db = open(&store, 0);
    db.set_tuning(Tuning { commits_per_checkpoint: 1, ..Tuning::default() });
    for batch in 0..8 {
        run(&db, "UNWIND range(1, 5000) AS i CREATE (:A)", 1_000 * (batch + 1));
    }
    assert!(block_on(db.maybe_checkpoint(&10_000)).unwrap());
    let cache = Rc::new(BlockCache::new(32 << 20));
    let warm = Database::resume(store.clone(), "ns", db.cached()).with_cache(cache.clone());
    assert_eq!(query(&warm, "MATCH (n:A) RETURN count(*)"), query(&db, "MATCH (n:A) RETURN count(*)"));
    assert!(cache.derived_bytes() >= 8 * 40_000, "the id list is kept: {} bytes", cache.derived_bytes());
}

/// A label scan reads its nodes in key order, in place at the request's fingers: what it
/// leaves in the cache for later requests is the nodes' blocks, not a copy of each node's
/// stored bytes (2,000 nodes of ~220 bytes: copies would add over 400 KB).
#[test]
fn a_label_scan_keeps_the_nodes_blocks_not_copies_of_their_bytes() {
    use engine::storage::BlockCache;
    let store = Rc::new(MemoryStore::new());
    let mut db = open(&store, 0);
    db.set_tuning(Tuning { commits_per_checkpoint: 1, ..Tuning::default() });
    let text = "x".repeat(200);
    run(&db, &format!("UNWIND range(1, 2000) AS i CREATE (:A {{i: i, text: '{text}'}})"), 1_000);
    assert!(block_on(db.maybe_checkpoint(&2_000)).unwrap());
    let cache = Rc::new(BlockCache::new(32 << 20));
    let warm = Database::resume(store.clone(), "ns", db.cached()).with_cache(cache.clone());
    assert_eq!(query(&warm, "MATCH (n:A) RETURN sum(n.i)"), query(&db, "MATCH (n:A) RETURN sum(n.i)"));
    // Derived: the label's id list (16 KB of ids), not the nodes' bytes.
    let derived = cache.derived_bytes();
    assert!(derived < 2000 * 200 / 4, "{derived} bytes derived from a scan of 2,000 nodes");
    let blocks = cache.bytes() - derived;
    assert!(blocks > 2000 * 200, "{blocks} bytes of blocks kept");
}

//! Format golden files: `engine/testdata/golden-v1/` holds a namespace written by format
//! version 1 — commit records, a checkpoint (manifest + snapshot) and `head`. Every later
//! build must still read it to exactly the same graph. The objects are checked in; regenerate
//! them only for a new format version, into a new folder:
//! `NAMIDB_WRITE_GOLDEN=1 cargo test -p engine --test golden`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use engine::api::{execute, parse_request, ManualHost};
use engine::graph::Graph;
use engine::procedures::Procedures;
use engine::storage::Database;
use engine::store::{MemoryStore, ObjectStore, PutMode};
use futures::executor::block_on;
use std::path::{Path, PathBuf};
use std::rc::Rc;

const NS: &str = "golden";

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden-v1")
}

fn run(db: &Database<Rc<MemoryStore>, Graph>, q: &str, now: u64) -> String {
    let req = parse_request(format!("{{\"query\": {q:?}}}").as_bytes()).unwrap();
    let body = block_on(execute(db, &req, &ManualHost::new(now, now), &Procedures::new()))
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .body(None);
    body[body.find("\"rows\":").unwrap() + 7..body.find(",\"stats\"").unwrap()].to_string()
}

/// The workload the golden namespace was written with: every property type, labels, parallel
/// relationships, a deletion, and enough commits for a checkpoint with records after it.
fn write_golden(db: &Database<Rc<MemoryStore>, Graph>) {
    let mut now = 1_700_000_000_000;
    let mut step = |q: &str| {
        now += 2_000;
        run(db, q, now);
        block_on(db.maybe_checkpoint(now)).unwrap();
    };
    step("CREATE (:Person:Admin {name: 'Ada', age: 36, score: 1.5, ok: true, tags: ['x', 'y'], big: -9223372036854775808})");
    step("CREATE (:Person {name: 'Bob', nan: 0.0 / 0.0, unicode: 'héllo 😀'})");
    step("MATCH (a {name: 'Ada'}), (b {name: 'Bob'}) CREATE (a)-[:KNOWS {since: 2020}]->(b), (a)-[:KNOWS]->(b)");
    step("CREATE (:Temp)");
    step("MATCH (t:Temp) DELETE t");
    for i in 0..36 {
        step(&format!("CREATE (:Counter {{i: {i}}})"));
    }
    step("MATCH (c:Counter) WHERE c.i % 2 = 0 SET c.even = true");
}

const CHECKS: [(&str, &str); 6] = [
    (
        "MATCH (p:Person) RETURN p.name, labels(p), p.age, p.score, p.ok, p.tags, p.big ORDER BY p.name",
        "[[\"Ada\",[\"Admin\",\"Person\"],36,1.5,true,[\"x\",\"y\"],-9223372036854775808],[\"Bob\",[\"Person\"],null,null,null,null,null]]",
    ),
    ("MATCH (p {name: 'Bob'}) RETURN p.unicode, p.nan <> p.nan", "[[\"héllo 😀\",true]]"),
    ("MATCH (a)-[k:KNOWS]->(b) RETURN a.name, k.since, b.name ORDER BY k.since", "[[\"Ada\",2020,\"Bob\"],[\"Ada\",null,\"Bob\"]]"),
    ("MATCH (t:Temp) RETURN count(t)", "[[0]]"),
    ("MATCH (c:Counter) RETURN count(c), sum(c.i), count(c.even)", "[[36,630,18]]"),
    ("MATCH (n) RETURN max(id(n))", "[[39]]"),
];

#[test]
fn format_v1_golden_files_still_read() {
    let dir = folder();
    if std::env::var("NAMIDB_WRITE_GOLDEN").is_ok() {
        assert!(!dir.exists(), "{} exists: golden files are never rewritten; use a new folder", dir.display());
        let store = Rc::new(MemoryStore::new());
        let db = block_on(Database::open(store.clone(), NS, &0u64)).unwrap();
        write_golden(&db);
        for meta in block_on(store.list("")).unwrap() {
            let path = dir.join(&meta.key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, block_on(store.get(&meta.key)).unwrap().unwrap()).unwrap();
        }
    }
    // Load the checked-in objects into a fresh store and read them back.
    let store = Rc::new(MemoryStore::new());
    let mut files = vec![dir.clone()];
    let mut loaded = 0;
    while let Some(path) = files.pop() {
        for entry in std::fs::read_dir(&path).expect("engine/testdata/golden-v1 exists") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.push(path);
            } else {
                let key = path.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
                block_on(store.put(&key, std::fs::read(&path).unwrap(), PutMode::Create)).unwrap();
                loaded += 1;
            }
        }
    }
    let keys: Vec<String> = block_on(store.list("golden/")).unwrap().into_iter().map(|m| m.key).collect();
    assert!(keys.iter().any(|k| k.starts_with("golden/manifest/")), "a checkpoint: {keys:?}");
    assert!(keys.iter().any(|k| k == "golden/head"));
    assert!(loaded > 40);
    for key in &keys {
        let data = block_on(store.get(key)).unwrap().unwrap();
        assert_eq!((&data[..4], data[5]), (&b"NMDB"[..], 1), "{key}: magic and format version 1");
    }
    let db = block_on(Database::open(store, NS, &0u64)).unwrap();
    assert_eq!(db.cached().seq, 42);
    for (query, expected) in CHECKS {
        assert_eq!(run(&db, query, 1), expected, "{query}");
    }
}

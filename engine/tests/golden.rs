//! Format golden files: `engine/testdata/golden-v1/` holds a namespace written by the first
//! format — commit records, a checkpoint (manifest + snapshot) and `head`;
//! `engine/testdata/golden-v2/` one written with sorted tables (level 0 and level 1, partly
//! merged level-0 tables); `engine/testdata/golden-v3/` temporal properties, including a
//! date-time in a named zone (the zone id slot). Every later build must still read each of
//! them to exactly the same graph.
//! The objects are checked in; write them only for a new format, into a new folder:
//! `NAMIDB_WRITE_GOLDEN=golden-vN cargo test -p engine --test golden`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use engine::api::{execute, parse_request, ManualHost};
use engine::graph::GraphModel;
use engine::procedures::Procedures;
use engine::storage::{Database, Tuning, CHECKPOINT_EVERY};
use engine::store::{MemoryStore, ObjectStore, PutMode};
use futures::executor::block_on;
use std::path::{Path, PathBuf};
use std::rc::Rc;

const NS: &str = "golden";

fn folder(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name)
}

fn run(db: &Database<Rc<MemoryStore>, GraphModel>, q: &str, now: u64) -> String {
    let req = parse_request(format!("{{\"query\": {q:?}}}").as_bytes()).unwrap();
    let body = block_on(execute(db, &req, &ManualHost::new(now, now), &Procedures::new()))
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .body(None);
    body[body.find("\"rows\":").unwrap() + 7..body.find(",\"stats\"").unwrap()].to_string()
}

/// The workload the golden namespace was written with: every property type, labels, parallel
/// relationships, a deletion, and enough commits for a checkpoint with records after it.
fn write_golden(db: &Database<Rc<MemoryStore>, GraphModel>) {
    let mut now = 1_700_000_000_000;
    let mut step = |q: &str| {
        now += 2_000;
        run(db, q, now);
        block_on(db.maybe_checkpoint(&now)).unwrap();
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

/// Format 2 adds sorted tables: the same workload, then enough commits (nodes created and
/// deleted again, so the checks still hold) for level-0 tables, compaction steps and
/// partly merged level-0 tables. Small tables make every part of the format appear.
fn write_golden_v2(db: &mut Database<Rc<MemoryStore>, GraphModel>) {
    db.set_tuning(Tuning {
        commits_per_checkpoint: CHECKPOINT_EVERY,
        table_bytes: 512,
        step_bytes: 512,
        l0_trigger: 2,
        steps_per_checkpoint: 1,
    });
    write_golden(db);
    let mut now = 1_700_000_100_000;
    for i in 0..130 {
        now += 2_000;
        let q = if i % 10 == 9 {
            "MATCH (f:Filler) DETACH DELETE f".to_string()
        } else {
            format!("CREATE (:Filler {{i: {i}}})")
        };
        run(db, &q, now);
        block_on(db.maybe_checkpoint(&now)).unwrap();
    }
}

/// Loads a golden folder into a fresh store (writing it first if `NAMIDB_WRITE_GOLDEN` names
/// it) and returns the store.
fn load_golden(name: &str, write: impl FnOnce(&mut Database<Rc<MemoryStore>, GraphModel>)) -> Rc<MemoryStore> {
    let dir = folder(name);
    if std::env::var("NAMIDB_WRITE_GOLDEN").is_ok_and(|v| v == name) {
        assert!(!dir.exists(), "{} exists: golden files are never rewritten; use a new folder", dir.display());
        let store = Rc::new(MemoryStore::new());
        let mut db = block_on(Database::open(store.clone(), NS, &0u64)).unwrap();
        write(&mut db);
        for meta in block_on(store.list("")).unwrap() {
            let path = dir.join(&meta.key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, block_on(store.get(&meta.key)).unwrap().unwrap()).unwrap();
        }
    }
    let store = Rc::new(MemoryStore::new());
    let mut files = vec![dir.clone()];
    while let Some(path) = files.pop() {
        for entry in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.push(path);
            } else {
                let key = path.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
                block_on(store.put(&key, std::fs::read(&path).unwrap(), PutMode::Create)).unwrap();
            }
        }
    }
    let keys: Vec<String> = block_on(store.list("golden/")).unwrap().into_iter().map(|m| m.key).collect();
    assert!(keys.iter().any(|k| k.starts_with("golden/manifest/")), "a checkpoint: {keys:?}");
    assert!(keys.iter().any(|k| k == "golden/head"));
    for key in &keys {
        let data = block_on(store.get(key)).unwrap().unwrap();
        if key.ends_with(".sst") {
            assert_eq!(&data[data.len() - 4..], b"NSST", "{key}: table footer");
        } else {
            assert_eq!((&data[..4], data[5]), (&b"NMDB"[..], 1), "{key}: magic and frame version 1");
        }
    }
    store
}

fn check(db: &Database<Rc<MemoryStore>, GraphModel>) {
    for (query, expected) in CHECKS {
        assert_eq!(run(db, query, 1), expected, "{query}");
    }
}

#[test]
fn format_v1_golden_files_still_read_and_convert_to_tables() {
    let store = load_golden("golden-v1", |db| write_golden(db));
    let db = block_on(Database::open(store.clone(), NS, &0u64)).unwrap();
    assert_eq!(db.cached().seq, 42);
    check(&db);
    // The next checkpoint writes every entry into a table; the namespace then reads from it.
    let mut now = 1_800_000_000_000;
    for i in 0..32 {
        now += 2_000;
        run(&db, &format!("CREATE (:Filler {{i: {i}}})"), now);
    }
    run(&db, "MATCH (f:Filler) DELETE f", now);
    assert!(block_on(db.maybe_checkpoint(&now)).unwrap());
    assert_eq!(db.cached().table_counts(), (1, 0));
    let reopened = block_on(Database::open(store, NS, &now)).unwrap();
    assert_eq!(reopened.cached().table_counts(), (1, 0));
    check(&reopened);
}

#[test]
fn format_v2_golden_files_still_read() {
    let store = load_golden("golden-v2", write_golden_v2);
    let keys: Vec<String> = block_on(store.list("golden/sst/")).unwrap().into_iter().map(|m| m.key).collect();
    assert!(keys.iter().filter(|k| k.ends_with(".sst")).count() > 10, "{keys:?}");
    let db = block_on(Database::open(store, NS, &0u64)).unwrap();
    assert_eq!(db.cached().seq, 172);
    let (l0, l1) = db.cached().table_counts();
    assert!(l0 >= 1 && l1 >= 2, "both levels: {l0} {l1}");
    check(&db);
}

/// Format 3 fills the date-time zone id slot: temporal properties of every type, one in a
/// named zone, written in a commit record and then in a checkpoint.
fn write_golden_v3(db: &mut Database<Rc<MemoryStore>, GraphModel>) {
    let mut now = 1_700_000_000_000;
    let mut step = |q: &str| {
        now += 2_000;
        run(db, q, now);
        block_on(db.maybe_checkpoint(&now)).unwrap();
    };
    step(TEMPORAL_CREATE);
    for i in 0..CHECKPOINT_EVERY + 2 {
        step(&format!("CREATE (:Filler {{i: {i}}})"));
    }
    step("MATCH (f:Filler) DELETE f");
    step(TEMPORAL_CREATE);
}

const TEMPORAL_CREATE: &str = "CREATE (:T {d: date('1984-10-11'), lt: localtime('12:31:14.645876123'), \
     t: time('10:35-08:00'), ldt: localdatetime('-0001-01-01T01:01'), dt: datetime('2015-07-21T21:40:32.142+02:05:59'), \
     zoned: datetime('1818-07-21T21:40:32.142[Europe/Stockholm]'), dur: duration('P1Y2M3DT-0.5S'), \
     l: [datetime('2017-10-29T02:30+01:00[Europe/Stockholm]')]})";

#[test]
fn format_v3_golden_files_still_read() {
    let store = load_golden("golden-v3", write_golden_v3);
    let db = block_on(Database::open(store, NS, &0u64)).unwrap();
    let one = r#"["1984-10-11","12:31:14.645876123","10:35-08:00","-0001-01-01T01:01","2015-07-21T21:40:32.142+02:05:59","1818-07-21T21:40:32.142+00:53:28[Europe/Stockholm]","P1Y2M3DT-0.5S",["2017-10-29T02:30+01:00[Europe/Stockholm]"]]"#;
    assert_eq!(
        run(&db, "MATCH (n:T) RETURN toString(n.d), toString(n.lt), toString(n.t), toString(n.ldt), toString(n.dt), toString(n.zoned), toString(n.dur), [x IN n.l | toString(x)]", 1),
        format!("[{one},{one}]")
    );
    assert_eq!(run(&db, "MATCH (f:Filler) RETURN count(f)", 1), "[[0]]");
}

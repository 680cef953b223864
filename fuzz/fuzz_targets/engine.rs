//! Bytes → a short sequence of statements from a small Cypher vocabulary (the bytes pick
//! clauses, labels, types, keys and values, so most inputs are valid queries), executed with
//! `api::execute` on a `MemoryStore`. Never panics, and after every statement:
//! - a fresh `Database::open` on the same store yields the same graph snapshot;
//! - a failed statement changed nothing (and a fault-free single-writer store never answers
//!   `Internal`, `Unavailable`, `Conflict` or `Fenced`);
//! - no relationship refers to a missing node.
#![no_main]
use engine::api::{execute, ManualHost, Request};
use engine::error::Code;
use engine::graph::{kv, GraphModel};
use engine::procedures::Procedures;
use engine::storage::{Database, StateMachine, Tuning};
use engine::store::MemoryStore;
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::rc::Rc;

const NS: &str = "fuzz";
/// Enough statements to pass a checkpoint (every 32 commits) now and then.
const MAX_STATEMENTS: usize = 40;

const LABELS: &[&str] = &["A", "B", "C"];
const TYPES: &[&str] = &["R", "S"];
const KEYS: &[&str] = &["k", "v", "name"];
const VALUES: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "'a'",
    "''",
    "null",
    "true",
    "false",
    "1.5",
    "[1, 'a']",
    "[]",
    "{x: 1}",
    "1 / 0",
    "toInteger('3')",
    "9223372036854775807",
    "0.0 / 0.0",
    "date('2024-01-02')",
    "'ü'",
    "size('abc')",
];

/// Reads choices from the input; past its end every choice is 0.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.byte() as usize % from.len()]
    }
    fn small(&mut self) -> u8 {
        self.byte() % 4
    }
}

fn statement(b: &mut Bytes) -> String {
    let (l, l2, t) = (b.pick(LABELS), b.pick(LABELS), b.pick(TYPES));
    let (k, k2) = (b.pick(KEYS), b.pick(KEYS));
    let (v, v2) = (b.pick(VALUES), b.pick(VALUES));
    let n = b.small();
    match b.byte() % 30 {
        0 => format!("CREATE (:{l} {{{k}: {v}}})"),
        1 => format!("CREATE (:{l} {{{k}: {v}}})-[:{t} {{{k2}: {v2}}}]->(:{l2})"),
        2 => format!("MATCH (n:{l}) WHERE n.{k} = {v} SET n.{k2} = {v2}"),
        3 => format!("MATCH (n:{l}) SET n:{l2}"),
        4 => format!("MATCH (n:{l}) REMOVE n.{k}"),
        5 => format!("MATCH (n:{l}) REMOVE n:{l2}"),
        6 => format!("MATCH (n:{l}) DETACH DELETE n"),
        7 => format!("MATCH (n:{l}) DELETE n"),
        8 => format!("MATCH (a:{l}), (b:{l2}) WHERE a.{k} = {v} CREATE (a)-[:{t} {{{k2}: {v2}}}]->(b)"),
        9 => format!("MATCH ()-[r:{t}]->() DELETE r"),
        10 => format!("MATCH (a:{l})-[r]->(b) SET r.{k} = {v}"),
        11 => format!("MERGE (n:{l} {{{k}: {v}}}) ON CREATE SET n.{k2} = {v2} ON MATCH SET n.{k2} = {v2}"),
        12 => format!("MERGE (a:{l} {{{k}: {v}}})-[:{t}]->(b:{l2})"),
        13 => format!("UNWIND range(0, {n}) AS x CREATE (:{l} {{{k}: x}})"),
        14 => format!("MATCH (n:{l}) WITH n ORDER BY n.{k} LIMIT {n} SET n.{k2} = {v2}"),
        15 => format!("MATCH (n) RETURN n.{k}, count(*)"),
        16 => format!("MATCH p = (a:{l})-[*0..2]->(b) RETURN length(p), nodes(p)"),
        17 => format!("MATCH (n:{l}) OPTIONAL MATCH (n)-[r:{t}]->(m) RETURN n, r, m"),
        18 => format!("MATCH (n:{l}) SET n += {{{k}: {v}}}"),
        19 => format!("MATCH (n:{l}) SET n = {{{k}: {v}}}"),
        20 => format!("MATCH (a:{l})-[r:{t}]->(b) DELETE a, r"),
        21 => format!("CREATE (a:{l})-[:{t}]->(a)"),
        22 => format!("MATCH (n:{l}) WITH n, n.{k} AS x DETACH DELETE n RETURN x"),
        23 => format!("FOREACH (x IN [{v}, {v2}] | CREATE (:{l} {{{k}: x}}))"),
        24 => format!("UNWIND [{v}, {v2}] AS x MERGE (:{l} {{{k}: x}})"),
        25 => format!("MATCH (n:{l}) WHERE n.{k} IS NULL DETACH DELETE n CREATE (:{l2} {{{k2}: {v2}}})"),
        26 => format!("MATCH (a:{l}) MATCH (b:{l2}) MERGE (a)-[r:{t}]->(b) ON CREATE SET r.{k} = {v} RETURN r"),
        27 => format!("MATCH (a:{l})-[r:{t}]-(b) SET a.{k} = b.{k2}, r.{k2} = a.{k} RETURN a, r, b"),
        28 => format!("MATCH (n:{l}) WITH collect(n) AS ns UNWIND ns AS m SET m.{k} = size(ns)"),
        _ => format!("MATCH (n:{l}) DETACH DELETE n WITH count(*) AS c CREATE (:{l2} {{{k}: c}})"),
    }
}

type Db = Database<Rc<MemoryStore>, GraphModel>;

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Every entry of the handle's current version (reading every block).
fn entries(db: &Db) -> Entries {
    block_on(db.entries(&db.cached())).expect("read a fault-free store")
}

/// Every relationship's endpoints exist, and so does every adjacency entry's relationship.
fn check_graph(entries: &Entries, query: &str) {
    let ids = |tag: u8| -> std::collections::BTreeSet<u64> {
        entries.iter().filter(|(k, _)| k.first() == Some(&tag)).filter_map(|(k, _)| kv::trailing_id(k)).collect()
    };
    let (nodes, rels) = (ids(b'N'), ids(b'R'));
    for (k, v) in entries.iter().filter(|(k, _)| k.first() == Some(&b'R')) {
        let r = kv::decode_rel(v).unwrap_or_else(|e| panic!("rel {k:?} does not decode after {query:?}: {e}"));
        assert!(nodes.contains(&r.start), "rel {k:?} starts at missing node {} after {query:?}", r.start);
        assert!(nodes.contains(&r.end), "rel {k:?} ends at missing node {} after {query:?}", r.end);
    }
    let adjacent = ids(b'O').into_iter().chain(ids(b'I'));
    for rel in adjacent {
        assert!(rels.contains(&rel), "adjacency names missing rel {rel} after {query:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let store = Rc::new(MemoryStore::new());
    let mut db: Db = block_on(Database::open(store.clone(), NS, &0u64)).expect("open an empty store");
    // Tiny tables and one compaction step per checkpoint: long inputs reach compaction.
    db.set_tuning(Tuning { commits_per_checkpoint: 4, table_bytes: 256, step_bytes: 256, l0_trigger: 2, steps_per_checkpoint: 1 });
    let procedures = Procedures::default();
    let mut step = 0u64;
    while !b.0.is_empty() && (step as usize) < MAX_STATEMENTS {
        step += 1;
        let query = statement(&mut b);
        let before = entries(&db);
        let req = Request { query: query.clone(), params: BTreeMap::new() };
        let host = ManualHost::new(step * 1000, step);
        let outcome = block_on(execute(&db, &req, &host, &procedures));
        let now = entries(&db);
        match &outcome {
            Ok(_) => {}
            Err(e) => {
                assert!(
                    !matches!(e.code, Code::Internal | Code::Unavailable | Code::Conflict | Code::Fenced),
                    "unexpected error on a fault-free store for {query:?}: {e}"
                );
                assert_eq!(before, now, "failed statement {query:?} changed the graph: {e}");
            }
        }
        check_graph(&now, &query);
        block_on(db.maybe_checkpoint(&(step * 1000 + 500))).expect("checkpoint on a fault-free store");
        let reopened: Db = block_on(Database::open(store.clone(), NS, &(step * 1000 + 600))).expect("reopen");
        let again = entries(&reopened);
        assert_eq!(now, again, "reopen differs after {query:?} ({outcome:?})");
        check_graph(&again, &query);
    }
});

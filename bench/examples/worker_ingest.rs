//! The Worker bench's bulk ingest (bench/worker_bench.mjs), natively: CREATE INDEX, 20
//! requests of 5,000 Person nodes, then (unless `nodes`) 20 of 5,000 KNOWS between them, with
//! a checkpoint attempt after each request and 60 ms of host time per request (a manual
//! clock: the same checkpoints every run, so instruction counts compare). For profiling:
//! `cargo build --profile python -p namidb-bench --example worker_ingest`, then
//! `valgrind --tool=cachegrind target/python/examples/worker_ingest [nodes]`.
use engine::api::{self, json, Host, Limits, ManualHost};
use engine::graph::GraphModel;
use engine::procedures::Procedures;
use engine::storage::Database;
use engine::store::MemoryStore;
use futures::executor::block_on;
use std::rc::Rc;
use std::time::Instant;

fn main() -> Result<(), String> {
    let rels = std::env::args().nth(1).as_deref() != Some("nodes");
    let host = ManualHost::new(1_000_000, 7);
    let store = Rc::new(MemoryStore::new());
    let db: Database<_, GraphModel> = block_on(Database::open(store, "ingest", &host)).map_err(|e| e.to_string())?;
    let run = |query: &str, params: String| -> Result<(), String> {
        let mut body = String::from("{\"query\":");
        json::write_str(&mut body, query);
        body.push_str(",\"params\":");
        body.push_str(&params);
        body.push('}');
        let req = api::parse_request(body.as_bytes()).map_err(|e| e.message)?;
        block_on(api::execute_within(&db, &req, &host, &Procedures::new(), &Limits::default()))
            .map_err(|e| e.message)?;
        block_on(host.sleep(60));
        block_on(db.maybe_checkpoint(&host)).map_err(|e| e.to_string())?;
        Ok(())
    };
    run("CREATE INDEX person_id FOR (n:Person) ON (n.id)", "{}".into())?;
    let (batch, requests) = (5000u64, 20u64);
    let nodes = batch * requests;
    let load = |what: &str, query: &str, row: &dyn Fn(u64) -> String| -> Result<(), String> {
        let t = Instant::now();
        for b in 0..requests {
            let rows: Vec<String> = (0..batch).map(|i| row(b * batch + i)).collect();
            run(query, format!("{{\"rows\":[{}]}}", rows.join(",")))?;
        }
        let s = t.elapsed().as_secs_f64();
        eprintln!("{what}: {:.3} s, {:.0} elements/s", s, nodes as f64 / s);
        Ok(())
    };
    load("nodes", "UNWIND $rows AS r CREATE (:Person {id: r[0], name: r[1], age: r[2]})", &|n| {
        format!("[{n},\"p{n}\",{}]", 20 + n % 50)
    })?;
    if rels {
        load(
            "relationships",
            "UNWIND $rows AS r MATCH (a:Person {id: r[0]}), (b:Person {id: r[1]}) CREATE (a)-[:KNOWS {since: r[2]}]->(b)",
            &|n| format!("[{n},{},{}]", (n * 7919 + 13) % nodes, 2000 + n % 25),
        )?;
    }
    Ok(())
}

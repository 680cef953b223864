//! What each kind of request costs in object-store operations, measured with the counting
//! store. The README's cost table is these numbers; this test keeps them true.
//! `cargo test -p engine --test costs -- --nocapture` prints the table.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use engine::api::{execute, parse_request, ManualHost};
use engine::graph::GraphModel;
use engine::procedures::Procedures;
use engine::storage::{Database, CHECKPOINT_EVERY, MAX_UNVALIDATED_MS};
use engine::store::{Counting, Counts, MemoryStore, Yielding};
use futures::executor::block_on;
use std::rc::Rc;

/// `Yielding` makes operations that are issued together overlap, as on a real store, so the
/// round-trip count sees them as one.
type Db = Database<Rc<Counting<Yielding<Rc<MemoryStore>>>>, GraphModel>;

/// Runs `query` on `db` and returns what it cost.
fn cost(db: &Db, query: &str, now_ms: u64) -> Counts {
    let before = db.store().counts();
    let req = parse_request(format!("{{\"query\": \"{query}\"}}").as_bytes()).unwrap();
    block_on(execute(db, &req, &ManualHost::new(now_ms, now_ms), &Procedures::new())).unwrap();
    diff(db.store().counts(), before)
}

fn diff(a: Counts, b: Counts) -> Counts {
    Counts {
        gets: a.gets - b.gets,
        heads: a.heads - b.heads,
        puts: a.puts - b.puts,
        lists: a.lists - b.lists,
        deletes: a.deletes - b.deletes,
        bytes_read: a.bytes_read - b.bytes_read,
        bytes_written: a.bytes_written - b.bytes_written,
        // Round trips are a maximum, not a sum: measure each case on a fresh counter.
        round_trips: a.round_trips,
    }
}

/// A handle opened at `now_ms`.
fn fresh(store: &Rc<MemoryStore>, now_ms: u64) -> Db {
    block_on(Database::open(Rc::new(Counting::new(Yielding(store.clone()))), "ns", &now_ms)).unwrap()
}

fn row(name: &str, c: Counts) -> String {
    format!("| {name} | {} | {} | {} | {} |", c.round_trips, c.gets, c.puts, c.lists)
}

#[test]
fn request_costs() {
    let mut table = vec!["| request | round trips | GETs | PUTs | LISTs |".to_string(), "|---|---|---|---|---|".into()];
    let store = Rc::new(MemoryStore::new());

    // Opening a namespace that does not exist yet: `head` and `wal/1` are both absent.
    let now = 1_000_000;
    let db = fresh(&store, now);
    let open = db.store().counts();
    assert_eq!((open.gets, open.puts, open.lists, open.round_trips), (2, 0, 0, 2));
    table.push(row("open a new namespace", open));

    let c = cost(&db, "CREATE (:A)", now);
    assert_eq!((c.gets, c.puts, c.lists), (0, 1, 0), "the open just validated the version");

    let db2 = fresh(&store, now);
    cost(&db2, "MATCH (n) RETURN count(n)", now);
    let warm = Db::resume(Rc::new(Counting::new(Yielding(store.clone()))), "ns", db2.cached());
    let c = cost(&warm, "MATCH (n) RETURN count(n)", now + 1);
    assert_eq!((c.gets, c.puts, c.lists, c.round_trips), (1, 0, 0, 1));
    table.push(row("read, warm handle, nothing changed", c));

    let mut warm = Db::resume(Rc::new(Counting::new(Yielding(store.clone()))), "ns", warm.cached());
    let c = cost(&warm, "CREATE (:B)", now + 2);
    assert_eq!((c.gets, c.puts, c.lists, c.round_trips), (0, 1, 0, 1));
    table.push(row("write, warm handle (validated < 10 s ago)", c));

    let idle = Db::resume(Rc::new(Counting::new(Yielding(store.clone()))), "ns", warm.cached());
    let c = cost(&idle, "CREATE (:C)", now + 2 + MAX_UNVALIDATED_MS);
    assert_eq!((c.gets, c.puts, c.lists, c.round_trips), (1, 1, 0, 2));
    table.push(row("write, handle idle for 10 s or more", c));

    // Another writer commits; the stale handle's write loses the create, catches up, retries.
    let stale = Db::resume(Rc::new(Counting::new(Yielding(store.clone()))), "ns", idle.cached());
    cost(&fresh(&store, now + 3), "CREATE (:D)", now + 3);
    let c = cost(&stale, "CREATE (:E)", now + 4);
    assert_eq!((c.gets, c.puts, c.lists, c.round_trips), (2, 2, 0, 4));
    table.push(row("write that lost a race to one other commit", c));

    // A long history: checkpoints keep the cold open bounded.
    let mut t = now + 10;
    let (mut checkpoints, mut last_checkpoint) = (Vec::new(), 0);
    for _ in 0..5 * CHECKPOINT_EVERY {
        t += 2_000;
        cost(&warm, "CREATE (:F {x: 'some text'})", t);
        let before = warm.store().counts();
        let fresh_counter = Db::resume(Rc::new(Counting::new(Yielding(store.clone()))), "ns", warm.cached());
        if block_on(fresh_counter.maybe_checkpoint(&t)).unwrap() {
            checkpoints.push(diff(fresh_counter.store().counts(), Counts::default()));
            let warmed = fresh_counter.cached();
            last_checkpoint = warmed.seq;
            warm = Db::resume(Rc::new(Counting::new(Yielding(store.clone()))), "ns", warmed);
        } else {
            assert_eq!(warm.store().counts(), before);
        }
    }
    assert_eq!(checkpoints.len(), 5);
    // The first checkpoints add a level-0 table each; the fourth also runs a compaction step.
    let c = checkpoints[0];
    assert_eq!((c.gets, c.heads, c.puts, c.lists, c.round_trips), (1, 1, 3, 0, 5), "{c:?}");
    table.push(row("checkpoint (every 32 commits, off the response path)", c));
    let c = checkpoints[3];
    assert_eq!((c.gets, c.puts, c.lists), (2 + 4, 4, 0), "{c:?}");
    table.push(row("checkpoint with a compaction step (4 level-0 tables)", c));
    let cold = fresh(&store, t);
    let c = cold.store().counts();
    assert_eq!((c.puts, c.lists), (0, 0));
    // head, manifest, the block indexes of its 2 tables (read together), then the commits
    // after the checkpoint; replaying the first reads the blocks holding the id counters and
    // the index definitions (read together). No other block is read until a query needs it.
    let tail = cold.cached().seq - last_checkpoint;
    assert_eq!((c.gets, c.round_trips), (2 + 2 + 2 + tail + 1, 2 + 1 + 1 + tail + 1), "cold open: {c:?}");
    table.push(row(&format!("open a namespace with {} commits (checkpointed)", cold.cached().seq), c));

    // Reads from tables: a point lookup by an indexed property on a handle that knows the
    // version but has none of its blocks (a new isolate's first request to a namespace another
    // request of it opened, or a cache that evicted them): the freshness check and the index
    // entry's block share the first round trip, the node's block is the second.
    cost(&warm, "CREATE INDEX person_id FOR (p:Person) ON (p.id)", t + 1_000);
    t += 2_000;
    cost(&warm, "UNWIND range(1, 3000) AS i CREATE (:Person {id: i, name: 'person ' + toString(i)})", t);
    for _ in 0..CHECKPOINT_EVERY {
        t += 2_000;
        cost(&warm, "CREATE (:F)", t);
    }
    assert!(block_on(warm.maybe_checkpoint(&t)).unwrap());
    let version = warm.cached();
    let cold_cache = Db::resume(Rc::new(Counting::new(Yielding(store.clone()))), "ns", version.clone());
    let lookup = "MATCH (p:Person {id: 2345}) RETURN p.name";
    let c = cost(&cold_cache, lookup, t + 1);
    assert_eq!((c.gets, c.puts, c.lists, c.round_trips), (3, 0, 0, 2), "{c:?}");
    table.push(row("point lookup by an indexed property, cold block cache", c));
    let warm_cache = Db::resume(Rc::new(Counting::new(Yielding(store.clone()))), "ns", cold_cache.cached())
        .with_cache(cold_cache.cache());
    let c = cost(&warm_cache, lookup, t + 2);
    assert_eq!((c.gets, c.puts, c.lists, c.round_trips), (1, 0, 0, 1), "{c:?}");
    table.push(row("point lookup by an indexed property, warm block cache", c));

    println!("{}", table.join("\n"));
}

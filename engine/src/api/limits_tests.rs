//! Per-query limits (`exec::budget`): each one stops a query that goes over it with
//! `LimitExceeded` naming it, the same query passes under a larger limit, nothing is written,
//! and the next request on the same database runs normally.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::golden::Session;
use super::*;
use crate::exec::QueryLimits;
use futures::executor::block_on;

/// Limits with nothing limited but what `f` sets.
fn only(f: impl FnOnce(&mut QueryLimits)) -> Limits {
    let mut query = QueryLimits::UNLIMITED;
    f(&mut query);
    Limits { max_result_bytes: usize::MAX, query, ..Limits::default() }
}

/// Asserts the query ends with `LimitExceeded` naming `limit` (as `detail` and in the message).
fn assert_exceeded(s: &mut Session, query: &str, limit: &str) {
    let e = s.error(query);
    assert_eq!((e.code, e.detail), (Code::LimitExceeded, Some(limit)), "{query}: {e}");
    assert!(e.message.contains(limit), "{}", e.message);
}

/// 100 nodes `:N {i, s}` where `s` is 1,000 bytes; nothing else.
fn hundred_nodes() -> Session {
    let mut s = Session::new();
    let params = format!("{{\"s\": \"{}\"}}", "x".repeat(1000));
    s.run("UNWIND range(1, 100) AS i CREATE (:N {i: i, s: $s})", &params).unwrap();
    s
}

fn node_count(s: &mut Session) -> String {
    let limits = std::mem::take(&mut s.limits);
    let count = s.rows("MATCH (n) RETURN count(n)");
    s.limits = limits;
    count
}

#[test]
fn result_rows() {
    let mut s = Session::new();
    s.limits = only(|q| q.max_result_rows = 3);
    assert_eq!(s.rows("UNWIND range(1, 3) AS x RETURN x"), "[[1],[2],[3]]");
    assert_exceeded(&mut s, "UNWIND range(1, 4) AS x RETURN x", "max_result_rows");
    // Rows of all UNION parts count; LIMIT keeps a query inside.
    assert_exceeded(&mut s, "RETURN 1 AS x UNION ALL UNWIND range(1, 3) AS x RETURN x", "max_result_rows");
    assert_eq!(s.rows("UNWIND range(1, 1000) AS x RETURN x LIMIT 3"), "[[1],[2],[3]]");
    // A write whose result is too long writes nothing, and the database keeps serving.
    assert_exceeded(&mut s, "UNWIND range(1, 4) AS x CREATE (n) RETURN n", "max_result_rows");
    assert_eq!(node_count(&mut s), "[[0]]");
    s.run("CREATE ()", "{}").unwrap();
    assert_eq!(node_count(&mut s), "[[1]]");
}

#[test]
fn result_bytes_are_counted_exactly() {
    let mut s = Session::new();
    let query = "UNWIND range(1, 50) AS x RETURN 'abcdefghij' + x AS text";
    let body = s.body(query, "{}");
    // The limit covers the JSON up to the end of `rows`.
    let exact = body.find(",\"stats\"").unwrap();
    s.limits = Limits { max_result_bytes: exact, ..Limits::default() };
    s.run(query, "{}").unwrap();
    s.limits.max_result_bytes = exact - 1;
    assert_exceeded(&mut s, query, "max_result_bytes");
    assert_exceeded(
        &mut s,
        "UNWIND range(1, 50) AS x CREATE (n {text: 'abcdefghij' + x}) RETURN n",
        "max_result_bytes",
    );
    assert_eq!(node_count(&mut s), "[[0]]");
}

#[test]
fn memory_for_a_cartesian_product() {
    let mut s = hundred_nodes();
    // A row of up to 11 variables is about 800 bytes (one B-tree node): 100 fit, 10,000 do not.
    s.limits = only(|q| q.max_memory_bytes = 256 * 1024);
    assert_eq!(s.rows("MATCH (a) RETURN count(a)"), "[[100]]");
    // Counting streams the 10,000 rows and holds none; sorting them, or writing (which takes
    // all the rows before it at once), holds them all.
    assert_eq!(s.rows("MATCH (a), (b) RETURN count(*)"), "[[10000]]");
    assert_exceeded(&mut s, "MATCH (a), (b) WITH a, b ORDER BY a.i RETURN count(*)", "max_query_memory_bytes");
    assert_exceeded(&mut s, "MATCH (a), (b) CREATE (:Evil)", "max_query_memory_bytes");
    assert_exceeded(&mut s, "MATCH (a), (b), (c) CREATE (:Evil)", "max_query_memory_bytes");
    assert_eq!(node_count(&mut s), "[[100]]");
}

#[test]
fn memory_for_collect_and_aggregates() {
    let mut s = hundred_nodes();
    // The 100 rows (~80 KB) stream through the aggregates, held by none: only what an aggregate
    // keeps counts, so 100 integers collected fit and 100 KB of strings do not.
    s.limits = only(|q| q.max_memory_bytes = 96 * 1024);
    assert_eq!(s.rows("MATCH (n) RETURN count(*), max(n.i), size(collect(n.i))"), "[[100,100,100]]");
    assert_eq!(s.rows("MATCH (n) RETURN count(DISTINCT n.s), max(n.s) = min(n.s)"), "[[1,true]]");
    // 100 strings of 1,000 bytes collected.
    assert_exceeded(&mut s, "MATCH (n) RETURN size(collect(n.s))", "max_query_memory_bytes");
    assert_exceeded(&mut s, "MATCH (n) WITH n.i % 2 AS k, collect(n.s) AS l RETURN k", "max_query_memory_bytes");
    // A list built in an expression is held as it grows.
    assert_exceeded(&mut s, "MATCH (n) WITH collect(n) AS ns RETURN [x IN ns | x.s + x.s]", "max_query_memory_bytes");
    assert_exceeded(&mut s, "RETURN size(range(1, 100000))", "max_query_memory_bytes");
}

#[test]
fn memory_for_sort_and_distinct_keys() {
    let mut s = hundred_nodes();
    // 200 KB of sort keys do not fit in 160 KB, unless a LIMIT bounds the rows the sort
    // holds (at most 64 here, so about 64 KB of keys).
    s.limits = only(|q| q.max_memory_bytes = 160 * 1024);
    assert_eq!(s.rows("MATCH (n) RETURN n.i ORDER BY n.i LIMIT 1"), "[[1]]");
    assert_exceeded(&mut s, "MATCH (n) RETURN n.i ORDER BY n.s + n.s", "max_query_memory_bytes");
    assert_eq!(s.rows("MATCH (n) RETURN n.i ORDER BY n.s + n.i DESC LIMIT 2"), "[[99],[98]]");
    // Projected strings (~100 KB) stream through in 96 KB; DISTINCT holds them as keys.
    s.limits = only(|q| q.max_memory_bytes = 96 * 1024);
    assert_eq!(s.rows("MATCH (n) WITH n.s + n.i AS s RETURN count(*)"), "[[100]]");
    assert_exceeded(&mut s, "MATCH (n) WITH DISTINCT n.s + n.i AS s RETURN count(*)", "max_query_memory_bytes");
}

#[test]
fn order_by_with_limit_holds_only_the_rows_it_yields() {
    let mut s = Session::new();
    s.limits = only(|q| q.max_memory_bytes = 256 * 1024);
    // 10,000 rows would take about 1 MB held; the top three take a few hundred bytes.
    let rows = "UNWIND range(1, 100) AS a UNWIND range(1, 100) AS b RETURN a * 100 + b AS x ORDER BY -x";
    assert_exceeded(&mut s, rows, "max_query_memory_bytes");
    assert_eq!(s.rows(&format!("{rows} LIMIT 3")), "[[10100],[10099],[10098]]");
    // Ties keep their input order across the partial sorts, and SKIP counts among the kept.
    let ties = "UNWIND range(1, 1000) AS x RETURN x % 7 AS m, x ORDER BY m SKIP 3 LIMIT 3";
    assert_eq!(s.rows(ties), "[[0,28],[0,35],[0,42]]");
    // WITH's WHERE filters the rows LIMIT kept.
    let ties = "UNWIND range(1, 1000) AS x WITH x ORDER BY x % 10 DESC LIMIT 4 WHERE x > 20 RETURN x";
    assert_eq!(s.rows(ties), "[[29],[39]]");
}

#[test]
fn memory_for_variable_length_expansion() {
    let mut s = Session::new();
    // A complete directed graph on 7 nodes: more trails than anyone could hold.
    s.run("UNWIND range(1, 7) AS i CREATE (:K {i: i})", "{}").unwrap();
    s.run("MATCH (a:K), (b:K) WHERE a <> b CREATE (a)-[:E]->(b)", "{}").unwrap();
    s.limits = only(|q| q.max_memory_bytes = 1024 * 1024);
    assert_eq!(s.rows("MATCH p = (:K {i: 1})-[*2]->() RETURN count(p)"), "[[36]]");
    assert_exceeded(&mut s, "MATCH p = (:K)-[*]->() RETURN size(collect(p))", "max_query_memory_bytes");
    assert_exceeded(&mut s, "MATCH p = (:K)-[*]->() CREATE (:Evil)", "max_query_memory_bytes");
    // Counting them holds nothing: the work limit stops it.
    s.limits = only(|q| q.max_work = 100_000);
    assert_exceeded(&mut s, "MATCH p = (:K)-[*]->() RETURN count(p)", "max_query_work");
    assert_eq!(s.rows("MATCH (e:Evil) RETURN count(e)"), "[[0]]");
}

#[test]
fn memory_for_values_written() {
    let mut s = Session::new();
    s.limits = only(|q| q.max_memory_bytes = 64 * 1024);
    let params = format!("{{\"s\": \"{}\"}}", "x".repeat(1000));
    s.run("UNWIND range(1, 10) AS i CREATE (:N {s: $s})", &params).unwrap();
    let e = s.error_with("UNWIND range(1, 100) AS i CREATE (:N {s: $s})", &params);
    assert_eq!(e.detail, Some("max_query_memory_bytes"));
    let e = s.error_with("MATCH (n) UNWIND range(1, 10) AS i SET n.s = n.s + $s", &params);
    assert_eq!(e.detail, Some("max_query_memory_bytes"));
    assert_eq!(node_count(&mut s), "[[10]]");
    assert_eq!(s.rows("MATCH (n) RETURN max(size(n.s))"), "[[1000]]");
}

#[test]
fn work_for_a_counting_cartesian_product() {
    let mut s = hundred_nodes();
    s.limits = only(|q| q.max_work = 5_000);
    assert_eq!(s.rows("MATCH (a) RETURN count(*)"), "[[100]]");
    assert_exceeded(&mut s, "MATCH (a), (b) RETURN count(*)", "max_query_work");
    assert_exceeded(&mut s, "MATCH (a), (b) CREATE (:Evil)", "max_query_work");
    assert_eq!(node_count(&mut s), "[[100]]");
}

#[test]
fn work_grows_with_the_bytes_copied() {
    let mut s = Session::new();
    s.limits = only(|q| q.max_work = 50_000);
    // 3,000 iterations pass; the same loop growing a 30 KB string copies ~45 MB and does not.
    assert_eq!(s.rows("RETURN reduce(n = 0, x IN range(1, 3000) | n + 1)"), "[[3000]]");
    assert_exceeded(&mut s, "RETURN size(reduce(t = '', x IN range(1, 3000) | t + 'abcdefghij'))", "max_query_work");
    // Each row reads (copies) and scans a 10,000-item list parameter, or rebuilds a string.
    let list = format!("{{\"l\": [{}], \"s\": \"{}\"}}", vec!["7"; 10_000].join(","), "x".repeat(10_000));
    assert_eq!(s.rows_with("UNWIND range(1, 1000) AS x RETURN count(x)", &list), "[[1000]]");
    let e = s.error_with("UNWIND range(1, 1000) AS x RETURN count(CASE WHEN x IN $l THEN 1 END)", &list);
    assert_eq!(e.detail, Some("max_query_work"));
    let e = s.error_with("UNWIND range(1, 1000) AS x RETURN count(toUpper($s))", &list);
    assert_eq!(e.detail, Some("max_query_work"));
    // DISTINCT and grouping compare a value only with those sharing its equivalence hint, so
    // 1,000 distinct numbers fit where comparing each with all the others (~500,000) would not.
    assert_eq!(s.rows("UNWIND range(1, 1000) AS x RETURN count(DISTINCT x)"), "[[1000]]");
    assert_eq!(s.rows("UNWIND range(1, 1000) AS x WITH x, count(*) AS c RETURN count(*)"), "[[1000]]");
    // Temporal values hash what they compare, so they group in linear time too.
    let durations = "UNWIND range(1, 1000) AS x RETURN count(DISTINCT duration({days: x % 500}))";
    assert_eq!(s.rows(durations), "[[500]]");
}

#[test]
fn time_is_checked_every_so_often_not_per_row() {
    let mut s = hundred_nodes();
    let req = parse_request(br#"{"query": "MATCH (a), (b) RETURN count(*)"}"#).unwrap();
    let limits = only(|q| q.time_ms = 5);
    // Every read of this clock takes 1 ms; 10,000 rows need dozens of reads, so dozens of ms.
    let host = ManualHost::ticking(1_000, 1, 1);
    let e = block_on(execute_within(&s.db, &req, &host, &s.procedures, &limits)).unwrap_err();
    assert_eq!((e.code, e.detail), (Code::LimitExceeded, Some("query_time_ms")), "{e}");
    assert!(host.now_ms() < 1_000 + 20, "the clock was read {} times", host.now_ms() - 1_000);
    // With time to spare it runs, having read the clock about once per 1,024 units of work
    // (several units a row), never once per row.
    let host = ManualHost::ticking(1_000, 1, 1);
    let limits = only(|q| q.time_ms = 1_000);
    let r = block_on(execute_within(&s.db, &req, &host, &s.procedures, &limits)).unwrap();
    assert!(r.body(None).contains("[[10000]]"));
    let reads = host.now_ms() - 1_000;
    assert!((10..200).contains(&reads), "the clock was read {reads} times for 10,000 rows");
    // A stopped clock never runs out.
    s.limits = only(|q| q.time_ms = 0);
    assert_eq!(s.rows("MATCH (a), (b) RETURN count(*)"), "[[10000]]");
    assert_eq!(node_count(&mut s), "[[100]]");
}

#[test]
fn the_defaults_fit_a_worker_and_let_ordinary_queries_run() {
    let d = Limits::default();
    assert_eq!(d.query.max_memory_bytes, 32 * 1024 * 1024);
    assert_eq!(d.query.time_ms, 10_000);
    let mut s = hundred_nodes();
    assert_eq!(s.rows("MATCH (a), (b) RETURN count(*)"), "[[10000]]");
    assert_eq!(s.rows("UNWIND range(1, 20000) AS x RETURN sum(x)"), "[[200010000]]");
    assert_eq!(s.error("MATCH (a), (b), (c) RETURN a.i, b.i, c.i ORDER BY a.i").code, Code::LimitExceeded);
}

#[test]
fn temporaries_are_released_when_their_scope_ends() {
    let mut s = Session::new();
    s.limits = only(|q| q.max_memory_bytes = 256 * 1024);
    // Each row builds ~14 KB of strings that it drops: 1.4 MB in all, never more than a row's worth live.
    let q = "UNWIND range(1, 100) AS x WITH x WHERE size(reduce(s = '', y IN range(1, 50) | s + 'abcdefghij')) = 500 \
             RETURN count(*)";
    assert_eq!(s.rows(q), "[[100]]");
    // Matches that WHERE drops are never held (300 × 100 found, 300 kept); a sort holds what is
    // kept; counting holds nothing.
    s.run("UNWIND range(1, 100) AS i CREATE (:N {i: i})", "{}").unwrap();
    s.limits = only(|q| q.max_memory_bytes = 1024 * 1024);
    let sorted = "UNWIND range(1, 300) AS x MATCH (n) WHERE n.i = x % 100 + 1 WITH x, n ORDER BY x RETURN count(*)";
    assert_eq!(s.rows(sorted), "[[300]]");
    let all = "UNWIND range(1, 300) AS x MATCH (n) WITH x, n ORDER BY x RETURN count(*)";
    assert_exceeded(&mut s, all, "max_query_memory_bytes");
    assert_eq!(s.rows("UNWIND range(1, 300) AS x MATCH (n) RETURN count(*)"), "[[30000]]");
}

#[test]
fn values_cannot_nest_deep_enough_to_overflow_the_stack() {
    let mut s = Session::new();
    assert_eq!(s.rows("RETURN size(reduce(a = [], x IN range(1, 99) | [a])) AS s"), "[[1]]");
    for q in [
        "RETURN reduce(a = [], x IN range(1, 100) | [a])",
        "RETURN size(reduce(a = [], x IN range(1, 20000) | [a]))",
        "RETURN size(reduce(a = {}, x IN range(1, 20000) | {a: a}))",
        "RETURN size(reduce(a = [], x IN range(1, 20000) | [y IN [1] | a]))",
        "UNWIND range(1, 2) AS i WITH reduce(a = [], x IN range(1, 99) | [a]) AS a RETURN collect(a)",
    ] {
        assert_exceeded(&mut s, q, "max_value_nesting");
    }
}

#[test]
fn stored_data_a_query_reads_is_bounded() {
    let mut s = Session::new();
    for i in 0..40 {
        s.body(&format!("UNWIND range(1, 50) AS x CREATE (:N {{i: {i}, text: 'some text to fill blocks'}})"), "{}");
    }
    // Into tables, then read by a handle whose cache holds none of their blocks.
    assert!(block_on(s.db.maybe_checkpoint(&10_000u64)).unwrap());
    let cold = |s: &Session| Database::<_, GraphModel>::resume(s.store.clone(), "test", s.db.cached());
    let req = parse_request(br#"{"query": "MATCH (n:N) RETURN count(n), sum(n.i)"}"#).unwrap();
    let host = ManualHost::new(10_001, 1);
    let limits = Limits { max_read_bytes: 4_096, ..Limits::default() };
    let e = block_on(execute_within(&cold(&s), &req, &host, &s.procedures, &limits)).unwrap_err();
    assert_eq!((e.code, e.detail), (Code::LimitExceeded, Some("max_read_bytes")), "{e}");
    let r = block_on(execute_within(&cold(&s), &req, &host, &s.procedures, &Limits::default())).unwrap();
    assert!(r.body(None).contains("[[2000,39000]]"), "{}", r.body(None));
}

/// 1,000 nodes `:N {i}`; nothing else.
fn thousand_nodes() -> Session {
    let mut s = Session::new();
    s.run("UNWIND range(1, 1000) AS i CREATE (:N {i: i})", "{}").unwrap();
    s
}

#[test]
fn limit_stops_the_scan_early() {
    let mut s = thousand_nodes();
    // Visiting the 1,000 nodes costs more than 1,000 units (a candidate, a row copied): the
    // scan itself stops once LIMIT rows are taken, through every clause before it.
    s.limits = only(|q| q.max_work = 1_000);
    assert_exceeded(&mut s, "MATCH (n:N) RETURN count(*)", "max_query_work");
    assert_eq!(s.rows("MATCH (n:N) WITH n LIMIT 10 RETURN count(*)"), "[[10]]");
    assert_eq!(s.rows("MATCH (n:N) RETURN n.i LIMIT 0"), "[]");
    assert_eq!(s.rows("MATCH (a:N) MATCH (b:N) WITH a, b LIMIT 5 RETURN count(*)"), "[[5]]");
    assert_eq!(s.rows("MATCH (a:N) UNWIND [1, 2, 3] AS x WITH a, x SKIP 2 LIMIT 3 RETURN count(*)"), "[[3]]");
    // A LIMIT after a grouping stops the groups it yields; later clauses still run.
    assert_eq!(
        s.rows("UNWIND range(1, 10) AS x WITH x % 3 AS k, count(*) AS c LIMIT 2 RETURN count(*), sum(c)"),
        "[[2,7]]"
    );
}

#[test]
fn skip_and_streamed_rows_hold_nothing() {
    let mut s = thousand_nodes();
    // 1,000 rows are ~800 KB: streamed or skipped they are never held; sorted they are.
    s.limits = only(|q| q.max_memory_bytes = 64 * 1024);
    assert_eq!(s.rows("MATCH (n:N) WITH n SKIP 990 RETURN count(*), sum(n.i) > 0"), "[[10,true]]");
    assert_eq!(s.rows("MATCH (n:N) WITH n, n.i * 2 AS d WHERE d > 10 RETURN count(*), max(d)"), "[[995,2000]]");
    assert_exceeded(&mut s, "MATCH (n:N) WITH n ORDER BY n.i SKIP 990 RETURN count(*)", "max_query_memory_bytes");
}

#[test]
fn existence_stops_at_the_first_match() {
    let mut s = thousand_nodes();
    s.run("CREATE (h:Hub) WITH h MATCH (n:N) CREATE (h)-[:R]->(n)", "{}").unwrap();
    // Following the hub's 1,000 relationships would cost more than this.
    s.limits = only(|q| q.max_work = 500);
    assert_eq!(s.rows("MATCH (h:Hub) WHERE (h)-->() RETURN count(h)"), "[[1]]");
    assert_eq!(s.rows("MATCH (h:Hub) WHERE EXISTS { MATCH (h)-->(n) RETURN n } RETURN count(h)"), "[[1]]");
    assert_exceeded(&mut s, "MATCH (h:Hub) RETURN size([(h)-->(n) | n])", "max_query_work");
}

#[test]
fn writes_stay_eager_between_streamed_clauses() {
    let mut s = Session::new();
    // A write gets all the rows before it (so it never sees its own nodes as input), and the
    // clauses after it see all of its effects.
    s.run("UNWIND [1, 2, 3] AS i CREATE (:T {i: i})", "{}").unwrap();
    s.run("MATCH (t:T) CREATE (:T {i: t.i + 10})", "{}").unwrap();
    assert_eq!(s.rows("MATCH (t:T) RETURN count(t)"), "[[6]]");
    assert_eq!(
        s.rows("UNWIND [1, 2] AS i CREATE (:U {i: i}) WITH i MATCH (u:U) RETURN i, count(u) ORDER BY i"),
        "[[1,2],[2,2]]"
    );
    // A LIMIT after a write does not cut the write short.
    assert_eq!(s.rows("MATCH (t:T) CREATE (v:V) RETURN count(*) LIMIT 1"), "[[6]]");
    assert_eq!(s.rows("MATCH (t:T) CREATE (w:W) RETURN w.x LIMIT 1"), "[[null]]");
    assert_eq!(s.rows("MATCH (w:W) RETURN count(w)"), "[[6]]");
}

#[test]
fn counting_200_000_nodes_fits_the_default_limits() {
    let mut s = Session::new();
    for _ in 0..8 {
        s.run("UNWIND range(1, 25000) AS i CREATE ()", "{}").unwrap();
    }
    assert_eq!(s.limits, Limits::default());
    assert_eq!(
        s.rows("MATCH (n) RETURN count(n), count(DISTINCT id(n) % 7), max(id(n)) - min(id(n))"),
        "[[200000,7,199999]]"
    );
    // What is genuinely too large still is: sorting them, writing over them (a write holds all
    // its input), collecting a large value per node, returning them all.
    assert_exceeded(&mut s, "MATCH (n) WITH n ORDER BY id(n) RETURN count(*)", "max_query_memory_bytes");
    assert_exceeded(&mut s, "MATCH (n) SET n.x = 1", "max_query_memory_bytes");
    assert_exceeded(&mut s, "MATCH (n) RETURN size(collect([n, n, n, n, n, n, n, n]))", "max_query_memory_bytes");
    assert_exceeded(&mut s, "MATCH (n) RETURN n", "max_result_rows");
}

#[test]
fn a_long_run_of_streaming_clauses_fits_a_small_stack() {
    // Each clause runs inside the one before it; nine 64-hop walks would nest ~1.6 MiB deep in a
    // debug build, but a buffer cuts the run every 256 levels (`exec/pipeline.rs`), so it fits
    // the stack the parser's tests use: 1 MiB in debug builds, 256 KiB optimized.
    let size = if cfg!(debug_assertions) { 1 << 20 } else { 256 << 10 };
    let run = || {
        let mut s = Session::new();
        s.run("UNWIND range(0, 64) AS i CREATE (:C {i: i})", "{}").unwrap();
        s.run("MATCH (a:C), (b:C) WHERE b.i = a.i + 1 CREATE (a)-[:R]->(b)", "{}").unwrap();
        let walks: String = (0..9).map(|k| format!(" MATCH (s)-[:R*64]->(e{k})")).collect();
        s.rows(&format!("MATCH (s:C {{i: 0}}){walks} RETURN count(*)"))
    };
    let rows = std::thread::Builder::new().stack_size(size).spawn(run).unwrap().join().unwrap();
    assert_eq!(rows, "[[1]]");
}

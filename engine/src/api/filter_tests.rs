//! `WHERE` pushed into `MATCH` (`plan/filter.rs`): a conjunct prunes a partial match as soon
//! as its variables are bound, and answers stay what `WHERE` after the whole match gives.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::golden::Session;

/// 100 `:A {x}` nodes, each with 30 `:R` relationships to its own `:B {y}` nodes, and a
/// `:C` beyond each `:B`.
fn fans() -> Session {
    let mut s = Session::new();
    s.rows(
        "UNWIND range(1, 100) AS x CREATE (a:A {x: x}) WITH a, x \
         UNWIND range(1, 30) AS y CREATE (a)-[:R {w: y}]->(:B {y: y})-[:S]->(:C {z: x * y})",
    );
    s
}

#[test]
fn a_conjunct_on_the_start_node_is_checked_before_expanding() {
    let mut s = fans();
    let queries = [
        ("MATCH (a:A)-[:R]->(b:B) WHERE a.x = 7 RETURN count(b)", "[[30]]"),
        ("MATCH (a:A)-[:R]->(b:B)-[:S]->(c) WHERE a.x = 7 AND b.y < 3 RETURN c.z ORDER BY c.z", "[[7],[14]]"),
        // The conjunct on `b` prunes before the second hop; the one on `c` after it.
        ("MATCH (a:A)-[:R]->(b:B)-[:S]->(c) WHERE a.x < 3 AND b.y = 30 AND c.z > 30 RETURN c.z", "[[60]]"),
        ("MATCH (a:A)-[r:R]->(b) WHERE a.x = 9 AND r.w = 2 RETURN b.y", "[[2]]"),
        ("MATCH (a:A)-[rs:R*1..1]->(b) WHERE a.x = 9 AND rs[0].w = 4 RETURN b.y", "[[4]]"),
    ];
    // 100 starts, then 30 hops from one of them: far under 3,000 units of work; expanding
    // every start (3,000 hops, 6,000 with the second) and filtering after is over it.
    s.limits.query.max_work = 3_000;
    for (q, expected) in queries {
        assert_eq!(s.rows(q), expected, "{q}");
    }
    s.limits.query.max_work = u64::MAX;
    for (q, expected) in queries {
        let written_after = q.replacen(" WHERE ", " WITH * WHERE ", 1);
        assert_eq!(s.rows(&written_after), expected, "{written_after}");
    }
}

#[test]
fn pushed_conjuncts_decide_as_where_does() {
    let mut s = fans();
    // Null rejects as false does; the row of an OPTIONAL MATCH that nothing passes is nulls.
    assert_eq!(s.rows("MATCH (a:A)-[:R]->(b) WHERE a.nope > 1 RETURN count(*)"), "[[0]]");
    assert_eq!(s.rows("MATCH (a:A)-[:R]->(b) WHERE NOT (a.nope > 1) RETURN count(*)"), "[[0]]");
    let optional = "MATCH (a:A {x: 1}) OPTIONAL MATCH (a)-[:R]->(b) WHERE a.x = 2 RETURN a.x, b";
    assert_eq!(s.rows(optional), "[[1,null]]");
    // Conjuncts with their own scope or a pattern are checked at the end, as written.
    let q = "MATCH (a:A)-[:R]->(b) WHERE a.x = 3 AND (b)-[:S]->(:C {z: 6}) AND all(v IN [b.y] WHERE v > 0) RETURN b.y";
    assert_eq!(s.rows(q), "[[2]]");
    // A path variable is bound once its part is matched.
    let q = "MATCH p = (a:A)-[:R]->(b) WHERE a.x = 4 AND length(p) = 1 AND b.y = 5 RETURN b.y";
    assert_eq!(s.rows(q), "[[5]]");
    // Variables bound before the MATCH count as bound from the start.
    let q = "WITH 5 AS k MATCH (a:A)-[:R]->(b) WHERE a.x = k AND b.y = k RETURN a.x * b.y";
    assert_eq!(s.rows(q), "[[25]]");
    // shortestPath parts take WHERE whole, at the end.
    let q = "MATCH (a:A {x: 2}), (c:C {z: 4}) MATCH p = shortestPath((a)-[*..3]->(c)) WHERE a.x = 2 RETURN length(p)";
    assert_eq!(s.rows(q), "[[2]]");
}

#[test]
fn conjuncts_are_checked_in_order() {
    let mut s = fans();
    // The second conjunct would fail on a string; the first rejects first, at the start node
    // or at the end alike.
    let s_ = "{\"s\": \"x\"}";
    assert_eq!(s.rows_with("MATCH (a:A)-[:R]->(b) WHERE a.x > 1000 AND b.y - $s > 1 RETURN count(*)", s_), "[[0]]");
    assert_eq!(s.rows_with("MATCH (a:A)-[:R]->(b) WHERE b.y > 1000 AND a.x - $s > 1 RETURN count(*)", s_), "[[0]]");
    // Once the earlier conjuncts pass, the failing one is reported.
    let e = s.error_with("MATCH (a:A)-[:R]->(b) WHERE b.y = 1 AND a.x - $s > 1 RETURN count(*)", s_);
    assert!(e.message.contains("Subtract"), "{e}");
}

#[test]
fn explain_shows_each_conjunct_where_it_is_checked() {
    let mut s = fans();
    let plan = s.rows("EXPLAIN MATCH (a:A)-[:R]->(b)-[:S]->(c) WHERE a.x = 1 AND c.z = 1 AND b.y = 1 RETURN c");
    let at = |row: &str| plan.find(row).unwrap_or_else(|| panic!("{row} in {plan}"));
    let scan = at(r#""  NodeByLabelScan","(a:A)""#);
    let at_a = at(r#""  Filter","a.x = 1""#);
    let second_hop = at(r#""  Expand","(b)-[:S]->(c)""#);
    let at_c = at(r#""  Filter","c.z = 1""#);
    let at_b = at(r#""  Filter","b.y = 1""#);
    // In order: a's check after its scan, before any hop; c's and then b's (kept after c's)
    // after the second hop.
    assert!(scan < at_a && at_a < second_hop && second_hop < at_c && at_c < at_b, "{plan}");
}

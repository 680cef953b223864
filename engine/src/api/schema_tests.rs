//! Indexes and uniqueness constraints through the whole engine.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::golden::Session;
use super::*;

fn people(n: u32) -> Session {
    let mut s = Session::new();
    s.run(&format!("UNWIND range(1, {n}) AS i CREATE (:P {{id: i, name: 'p' + toString(i)}})"), "{}").unwrap();
    s
}

fn code(e: &Error) -> (Code, Option<&'static str>) {
    (e.code, e.detail)
}

#[test]
fn indexes_are_created_shown_and_dropped() {
    let mut s = people(3);
    assert_eq!(s.rows("CREATE INDEX FOR (p:P) ON (p.id)"), "[]");
    assert_eq!(s.rows("CREATE CONSTRAINT p_name FOR (p:P) REQUIRE p.name IS UNIQUE"), "[]");
    assert_eq!(
        s.table("SHOW INDEXES", "{}"),
        "\"columns\":[\"name\",\"type\",\"label\",\"property\"],\
         \"rows\":[[\"index_P_id\",\"RANGE\",\"P\",\"id\"],[\"p_name\",\"UNIQUENESS\",\"P\",\"name\"]]"
    );
    assert_eq!(s.rows("SHOW CONSTRAINTS"), "[[\"p_name\",\"UNIQUENESS\",\"P\",\"name\"]]");
    // The same again is an error, unless IF NOT EXISTS; so is a second index on :P(id).
    let e = s.error("CREATE INDEX FOR (p:P) ON (p.id)");
    assert_eq!(code(&e), (Code::SemanticError, Some("SchemaRuleAlreadyExists")));
    assert_eq!(s.rows("CREATE INDEX IF NOT EXISTS FOR (p:P) ON (p.id)"), "[]");
    let e = s.error("CREATE INDEX other FOR (x:P) ON (x.id)");
    assert_eq!(code(&e), (Code::SemanticError, Some("EquivalentSchemaRuleAlreadyExists")));
    let e = s.error("DROP INDEX p_name");
    assert_eq!(code(&e), (Code::SemanticError, Some("SchemaKindMismatch")));
    assert_eq!(s.rows("DROP INDEX index_P_id"), "[]");
    assert_eq!(s.error("DROP INDEX index_P_id").detail, Some("SchemaRuleNotFound"));
    assert_eq!(s.rows("DROP INDEX index_P_id IF EXISTS"), "[]");
    assert_eq!(s.rows("DROP CONSTRAINT p_name"), "[]");
    assert_eq!(s.rows("SHOW INDEXES"), "[]");
    // Commands stand alone, and parse back from their canonical form.
    let e = s.error("MATCH (n) CREATE INDEX FOR (p:P) ON (p.id)");
    assert_eq!(code(&e), (Code::SyntaxError, Some("InvalidClauseComposition")));
    for q in [
        "CREATE INDEX i IF NOT EXISTS FOR (p:P) ON (p.id)",
        "CREATE CONSTRAINT FOR (p:`Odd Label`) REQUIRE p.name IS UNIQUE",
        "DROP CONSTRAINT c IF EXISTS",
        "SHOW CONSTRAINTS",
    ] {
        let stmt = crate::cypher::parse(q).unwrap();
        assert_eq!(crate::cypher::print(&stmt), q);
    }
}

#[test]
fn a_property_map_lookup_uses_the_index() {
    let mut s = people(3_000);
    let lookup = "MATCH (p:P {id: 2999}) RETURN p.name";
    // 3,000 candidates do not fit 1,000 units of work; one candidate from the index does.
    s.limits.query.max_work = 1_000;
    assert_eq!(s.error(lookup).detail, Some("max_query_work"));
    s.limits = Limits::default();
    s.rows("CREATE INDEX FOR (p:P) ON (p.id)");
    s.limits.query.max_work = 1_000;
    assert_eq!(s.rows(lookup), "[[\"p2999\"]]");
    // Equal values of another type are found (1 = 1.0), and the index follows writes.
    assert_eq!(s.rows("MATCH (p:P {id: 7.0}) RETURN p.name"), "[[\"p7\"]]");
    s.rows("MATCH (p:P {id: 7}) SET p.id = 70000");
    assert_eq!(s.rows("MATCH (p:P {id: 7}) RETURN p.name"), "[]");
    assert_eq!(s.rows("MATCH (p:P {id: 70000}) RETURN p.name"), "[[\"p7\"]]");
    s.rows("MATCH (p:P {id: 70000}) REMOVE p:P");
    assert_eq!(s.rows("MATCH (p:P {id: 70000}) RETURN p.name"), "[]");
    s.limits = Limits::default();
    assert_eq!(s.rows("MATCH (p {id: 70000}) RETURN p.name"), "[[\"p7\"]]");
    assert_eq!(s.rows("MATCH (p:P {id: null}) RETURN p"), "[]");
    let plan = s.rows("EXPLAIN MATCH (p:P {id: $id}) RETURN p.name");
    assert!(plan.contains("[0,\"  NodeIndexSeek\",\"(p:P {id: $id}) using index_P_id\"]"), "{plan}");
    let plan = s.rows("EXPLAIN MATCH (p:P {name: 'x'}) RETURN p");
    assert!(plan.contains("NodeByLabelScan"), "{plan}");
}

#[test]
fn uniqueness_is_enforced_on_every_write_path_and_nothing_is_written() {
    let mut s = people(3);
    s.rows("CREATE CONSTRAINT FOR (p:P) REQUIRE p.id IS UNIQUE");
    let violation = |s: &mut Session, q: &str| {
        let e = s.error(q);
        assert_eq!(code(&e), (Code::ConstraintVerificationFailed, Some("UniquenessConstraintViolation")), "{q}");
    };
    violation(&mut s, "CREATE (:P {id: 2})");
    violation(&mut s, "CREATE (:P {id: 2.0})");
    violation(&mut s, "MATCH (p:P {id: 3}) SET p.id = 1");
    violation(&mut s, "CREATE (:Q {id: 1}) WITH 1 AS x MATCH (q:Q) SET q:P");
    violation(&mut s, "UNWIND [10, 11, 10] AS i CREATE (:P {id: i})");
    assert_eq!(s.rows("MATCH (n) RETURN count(n)"), "[[3]]", "nothing was written");
    // MERGE finds the existing node; values may move, and other labels are free.
    assert_eq!(s.rows("MERGE (p:P {id: 2}) RETURN p.name"), "[[\"p2\"]]");
    s.rows("MATCH (p:P {id: 3}) SET p.id = 30 WITH 1 AS x CREATE (:P {id: 3})");
    s.rows("CREATE (:Q {id: 1})");
    assert_eq!(s.rows("MATCH (p:P) RETURN count(p)"), "[[4]]");
    // A constraint cannot be created over data that breaks it.
    s.rows("CREATE (:R {k: 1}), (:R {k: 1})");
    violation(&mut s, "CREATE CONSTRAINT FOR (r:R) REQUIRE r.k IS UNIQUE");
    assert_eq!(s.rows("SHOW CONSTRAINTS"), "[[\"constraint_P_id\",\"UNIQUENESS\",\"P\",\"id\"]]");
}

#[test]
fn indexes_survive_reopening_from_the_log_and_from_checkpoint_tables() {
    let mut s = people(50);
    s.rows("CREATE CONSTRAINT FOR (p:P) REQUIRE p.id IS UNIQUE");
    let mut again = s.reopen();
    assert_eq!(again.rows("SHOW CONSTRAINTS"), "[[\"constraint_P_id\",\"UNIQUENESS\",\"P\",\"id\"]]");
    assert_eq!(again.error("CREATE (:P {id: 50})").code, Code::ConstraintVerificationFailed);
    // Enough commits for a checkpoint, then a cold open reads the index from its table.
    for i in 0..40 {
        again.rows(&format!("CREATE (:P {{id: {}}})", 100 + i));
    }
    assert!(futures::executor::block_on(again.db.maybe_checkpoint(&10_000u64)).unwrap());
    let mut cold = again.reopen();
    assert_eq!(cold.db.cached().table_counts().0, 1);
    cold.limits.query.max_work = 1_000;
    assert_eq!(cold.rows("MATCH (p:P {id: 139}) RETURN count(p)"), "[[1]]");
    assert_eq!(cold.error("CREATE (:P {id: 139})").code, Code::ConstraintVerificationFailed);
}

#[test]
fn racing_writers_cannot_both_add_a_unique_value() {
    let mut a = people(1);
    a.rows("CREATE CONSTRAINT FOR (p:P) REQUIRE p.id IS UNIQUE");
    let mut b = a.reopen();
    a.rows("CREATE (:P {id: 5})");
    // b's handle has not seen a's commit: its write runs on the newer state (caught up first,
    // or re-run after losing the commit race) and is refused there.
    let e = b.error("MERGE (p:P {id: 5}) ON CREATE SET p.by = 'b' WITH p CREATE (:P {id: 5})");
    assert_eq!((e.code, e.detail), (Code::ConstraintVerificationFailed, Some("UniquenessConstraintViolation")));
    let r = b.run("CREATE (:P {id: 5})", "{}");
    assert!(r.is_err());
    assert_eq!(a.reopen().rows("MATCH (p:P {id: 5}) RETURN count(p), max(p.by)"), "[[1,null]]");
}

#[test]
fn temporal_values_are_indexed_like_any_other() {
    let mut s = Session::new();
    s.rows("UNWIND range(0, 1999) AS i CREATE (:E {i: i, at: date('2020-01-01') + duration({days: i})})");
    s.rows("CREATE INDEX FOR (e:E) ON (e.at)");
    s.limits.query.max_work = 1_000;
    assert_eq!(s.rows("MATCH (e:E {at: date('2024-06-08')}) RETURN e.i"), "[[1620]]");
    assert_eq!(s.rows("MATCH (e:E {at: date('1999-01-01')}) RETURN e.i"), "[]");
}

#[test]
fn where_equalities_on_a_new_node_seek_the_index() {
    let mut s = people(3_000);
    s.rows("CREATE INDEX FOR (p:P) ON (p.id)");
    s.limits.query.max_work = 2_000;
    assert_eq!(s.rows_with("MATCH (p:P) WHERE p.id = $id RETURN p.name", "{\"id\": 2999}"), "[[\"p2999\"]]");
    assert_eq!(s.rows("MATCH (p:P) WHERE 17 = p.id AND p.name STARTS WITH 'p' RETURN p.name"), "[[\"p17\"]]");
    assert_eq!(s.rows("MATCH (p:P) WHERE p.id = 17 AND p.name = 'nope' RETURN p.name"), "[]", "WHERE still filters");
    assert_eq!(s.rows("MATCH (a:P {id: 5}) MATCH (p:P) WHERE p.id = a.id RETURN p.name"), "[[\"p5\"]]");
    let plan = s.rows("EXPLAIN MATCH (p:P) WHERE p.id = $id RETURN p");
    assert!(plan.contains("NodeIndexSeek"), "{plan}");
    // A value that reads the candidate itself, or chance, cannot seek: a label scan then.
    s.limits = Limits::default();
    let plan = s.rows("EXPLAIN MATCH (p:P) WHERE p.id = rand() RETURN p");
    assert!(plan.contains("NodeByLabelScan"), "{plan}");
    assert_eq!(s.rows("MATCH (p:P) WHERE p.id = p.id + 0 RETURN count(p)"), "[[3000]]");
}

/// Nodes `:R {k, p}` whose `p` covers the orders Cypher compares in (and what it does not):
/// integers, floats (NaN, -0.0), strings, booleans, lists, dates, null; and `:S` nodes, which
/// an index on `:R` does not cover.
fn ranged() -> Session {
    let mut s = Session::new();
    let values = "[-3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 9007199254740993, -0.0, 2.5, 7.0, 9.99, 0.0 / 0.0, \
                  '', 'a', 'ab', 'abc', 'abd', 'ab\u{10FFFF}z', 'b', 'B', '\u{D7FF}x', '\u{E000}', \
                  true, false, [1], [2, 3], [], null, date('2020-01-01'), date('2020-01-11')]";
    s.rows(&format!("WITH {values} AS ps UNWIND range(0, size(ps) - 1) AS k CREATE (:R {{k: k, p: ps[k]}})"));
    s.rows("UNWIND [1, 5, 'ab'] AS p CREATE (:S {k: -1, p: p})");
    s
}

/// An equality seek from a node's map whose key no unequal value shares skips checking the
/// nodes it finds (`pattern::index_seek`); the rest are checked. Each finds what a label scan
/// finds.
#[test]
fn equality_seeks_in_node_maps_find_the_same_rows_with_and_without_an_index() {
    let mut s = ranged();
    let patterns = [
        "(n:R {p: 7})",
        "(n:R {p: 7.0})",
        "(n:R {p: 0})",
        "(n:R {p: -0.0})",
        "(n:R {p: 2.5})",
        "(n:R {p: 9007199254740992})",
        "(n:R {p: 9007199254740993})",
        "(n:R {p: 9007199254740992.0})",
        "(n:R {p: 'ab'})",
        "(n:R {p: ''})",
        "(n:R {p: true})",
        "(n:R {p: [1]})",
        "(n:R {p: date('2020-01-01')})",
        "(n:R {p: null})",
        "(n:R {p: 5, k: 6})",
        "(n:R {p: 5, k: 9})",
        "(n:R:S {p: 5})",
        "(n:R {p: 5, p: 6})",
    ];
    let query = |p: &str| format!("MATCH {p} RETURN n.k ORDER BY n.k");
    let scanned: Vec<String> = patterns.iter().map(|p| s.rows(&query(p))).collect();
    s.rows("CREATE INDEX FOR (n:R) ON (n.p)");
    for (p, expected) in patterns.iter().zip(&scanned) {
        let plan = s.rows(&format!("EXPLAIN {}", query(p)));
        assert!(plan.contains("NodeIndexSeek"), "{p}: {plan}");
        assert_eq!(&s.rows(&query(p)), expected, "{p}");
    }
    assert_eq!(scanned[0], "[[8],[16]]", "7 and 7.0");
    assert_eq!(scanned[6], "[[13]]", "2^53 + 1 alone");
    assert_eq!(scanned[5], "[]", "2^53 shares 2^53 + 1's key, and is not it");
}

#[test]
fn range_predicates_find_the_same_rows_with_and_without_an_index() {
    let mut s = ranged();
    let seeks = [
        "WHERE n.p < 5",
        "WHERE n.p <= 5",
        "WHERE n.p > 5",
        "WHERE n.p >= 5.0",
        "WHERE n.p > 2 AND n.p < 7.5",
        "WHERE n.p >= -0.0 AND n.p <= 7 AND n.p > 1",
        "WHERE 5 < n.p",
        "WHERE 7.0 >= n.p AND 2 <= n.p",
        "WHERE 1 <= n.p < 10",
        "WHERE n.p > 9007199254740992",
        "WHERE n.p >= 'ab'",
        "WHERE n.p < 'b' AND n.p > 'a'",
        "WHERE n.p STARTS WITH 'ab'",
        "WHERE n.p STARTS WITH ''",
        "WHERE n.p STARTS WITH 'ab\u{10FFFF}'",
        "WHERE n.p STARTS WITH '\u{D7FF}'",
        "WHERE n.p STARTS WITH 1",
        "WHERE n.p STARTS WITH 'ab' AND n.p > 'ab'",
        "WHERE n.p > null",
        "WHERE n.p > 1 AND n.p < 'z'",
        "WHERE n.p > 1 AND n.p > 'a'",
        "WHERE n.p > [1]",
        "WHERE n.p >= true",
        "WHERE n.p > $lo AND n.p <= $hi",
        "WHERE n.p > $flo",
        "WHERE n.p STARTS WITH $prefix",
        "WHERE n.p < $none",
        "WHERE n.k <> 'x' AND n.p >= 3 AND n.p < 9",
    ];
    let before = "WITH 4 AS lo, 0.0 / 0.0 AS nan, date('2020-01-05') AS d";
    let seeks_after = ["WHERE n.p > lo", "WHERE n.p < nan", "WHERE n.p >= nan", "WHERE n.p > d", "WHERE n.p < [lo]"];
    let scans = ["WHERE n.p < 2 OR n.p > 9", "WHERE n.p < toInteger('5')", "WHERE n.p < n.k", "WHERE n.p <> 5"];
    let params = "{\"lo\": 2, \"hi\": 8, \"flo\": 8.5, \"prefix\": \"ab\", \"none\": null}";
    let queries: Vec<(String, bool)> = seeks
        .iter()
        .map(|w| (format!("MATCH (n:R) {w}"), true))
        .chain(seeks_after.iter().map(|w| (format!("{before} MATCH (n:R) {w}"), true)))
        .chain(scans.iter().map(|w| (format!("MATCH (n:R) {w}"), false)))
        .map(|(q, seek)| (q + " RETURN n.k ORDER BY n.k", seek))
        .collect();
    let without: Vec<String> = queries.iter().map(|(q, _)| s.rows_with(q, params)).collect();
    for (q, _) in &queries {
        let plan = s.rows_with(&format!("EXPLAIN {q}"), params);
        assert!(plan.contains("NodeByLabelScan") && !plan.contains("NodeIndexSeek"), "{q}: {plan}");
    }
    s.rows("CREATE INDEX FOR (n:R) ON (n.p)");
    for ((q, seek), expected) in queries.iter().zip(&without) {
        assert_eq!(&s.rows_with(q, params), expected, "{q}");
        let plan = s.rows_with(&format!("EXPLAIN {q}"), params);
        assert_eq!(plan.contains("NodeIndexSeekByRange"), *seek, "{q}: {plan}");
    }
    // A few answers spelled out, so that "the same" is also right.
    assert_eq!(s.rows("MATCH (n:R) WHERE 2 < n.p <= 4 RETURN n.p ORDER BY n.p"), "[[2.5],[3],[4]]");
    let q = "MATCH (n:R) WHERE n.p STARTS WITH 'ab' RETURN n.p ORDER BY n.p";
    assert_eq!(s.rows(q), "[[\"ab\"],[\"abc\"],[\"abd\"],[\"ab\u{10FFFF}z\"]]");
    assert_eq!(s.rows("MATCH (n:R) WHERE n.p > 12 RETURN n.p"), "[[9007199254740993]]");
    // A bound read from each input row seeks again for every row.
    let q = "UNWIND [1, 9.5, null, 'abc'] AS x MATCH (n:R) WHERE n.p > x RETURN x, count(n) ORDER BY x";
    assert_eq!(s.rows(q), r#"[["abc",5],[1,14],[9.5,4]]"#);
}

#[test]
fn a_range_seek_reads_only_the_candidates_within_its_bounds() {
    let mut s = people(3_000);
    let queries = [
        ("MATCH (p:P) WHERE p.id > 2990 RETURN count(p)", "[[10]]"),
        ("MATCH (p:P) WHERE p.id > 10 AND p.id < 2000 AND p.id > 1990 RETURN count(p)", "[[9]]"),
        ("MATCH (p:P) WHERE p.id >= 100 AND 110 > p.id AND p.id <> 105 RETURN count(p)", "[[9]]"),
        ("MATCH (p:P) WHERE p.name STARTS WITH 'p299' RETURN count(p)", "[[11]]"),
        ("MATCH (p:P) WHERE p.name >= 'p2998' AND p.name < 'p3' RETURN min(p.id), max(p.id)", "[[2998,2999]]"),
    ];
    // 3,000 candidates do not fit 1,000 units of work; the few an index finds do.
    s.limits.query.max_work = 1_000;
    for (q, _) in queries {
        assert_eq!(s.error(q).detail, Some("max_query_work"), "{q}");
    }
    s.limits = Limits::default();
    s.rows("CREATE INDEX FOR (p:P) ON (p.id)");
    s.rows("CREATE INDEX FOR (p:P) ON (p.name)");
    s.limits.query.max_work = 1_000;
    for (q, expected) in queries {
        assert_eq!(s.rows(q), expected, "{q}");
    }
    // An equality seeks before a range, whichever comes first.
    assert_eq!(s.rows("MATCH (p:P) WHERE p.name STARTS WITH 'p' AND p.id = 5 RETURN p.name"), "[[\"p5\"]]");
    let plan = s.rows("EXPLAIN MATCH (p:P) WHERE p.name >= 'p' AND p.id = 5 RETURN p");
    assert!(plan.contains("[0,\"  NodeIndexSeek\",\"(p:P) using index_P_id\"]"), "{plan}");
    // The details name the index and every bound on its property, as a conjunct on the node.
    let plan = s.rows("EXPLAIN MATCH (p:P) WHERE 1 <= p.id AND p.id < $hi AND p.name <> 'x' RETURN p");
    let seek = "[0,\"  NodeIndexSeekByRange\",\"(p:P) using index_P_id where p.id >= 1 AND p.id < $hi\"]";
    assert!(plan.contains(seek), "{plan}");
    let plan = s.rows("EXPLAIN MATCH (p:P) WHERE p.name STARTS WITH $prefix RETURN p");
    assert!(plan.contains("(p:P) using index_P_name where p.name STARTS WITH $prefix"), "{plan}");
    assert_eq!(s.rows_with("MATCH (p:P) WHERE p.id < $hi RETURN count(p)", "{\"hi\": 3}"), "[[2]]");
    // The index follows writes.
    s.rows("MATCH (p:P) WHERE p.id > 2995 SET p.id = -p.id");
    assert_eq!(s.rows("MATCH (p:P) WHERE p.id > 2990 RETURN count(p)"), "[[5]]");
    assert_eq!(s.rows("MATCH (p:P) WHERE p.id < 0 RETURN min(p.id), max(p.id)"), "[[-3000,-2996]]");
}

/// A pattern part is matched from the end with fewer candidates: a bound variable, then an
/// index seek, then a label. Turning a part round changes nothing but the work.
#[test]
fn a_part_starts_from_its_cheaper_end() {
    let mut s = people(3_000);
    s.rows("CREATE INDEX FOR (p:P) ON (p.id)");
    s.rows("MATCH (a:P) WHERE a.id % 100 = 0 MATCH (b:P {id: a.id + 1}) CREATE (a)-[:K {w: a.id}]->(b)");
    let queries = [
        ("MATCH (f:P)<-[:K]-(p:P {id: 500}) RETURN f.id", "[[501]]"),
        ("MATCH (f:P)-[:K]->(p:P {id: 501}) RETURN f.id", "[[500]]"),
        ("MATCH (f)-[:K]-(p:P {id: 501}) RETURN f.id", "[[500]]"),
        ("MATCH (f:P)<-[k:K {w: 500}]-(p:P) WHERE p.id = 500 RETURN f.id, k.w", "[[501,500]]"),
        ("MATCH (x:P)<-[:K*1..2]-(p:P {id: 900}) RETURN x.id", "[[901]]"),
        ("MATCH (p:P {id: 700}) MATCH (f)<-[:K]-(p) RETURN f.id", "[[701]]"),
        ("MATCH (p:P {id: 700}), (f:P)<-[:K]-(p) RETURN f.id", "[[701]]"),
        ("MATCH (f:P)<-[:K]-(p:P {id: 701}) RETURN f.id", "[]"),
        ("MATCH (a:P)-[:K]->(b:P)-[:K]->(c:P {id: 1001}) RETURN a.id", "[]"),
    ];
    // Written order: 3,000 candidates at the first node do not fit 2,000 units of work.
    s.limits.query.max_work = 2_000;
    for (q, expected) in queries {
        assert_eq!(s.rows(q), expected, "{q}");
    }
    let plan = s.rows("EXPLAIN MATCH (f:P)<-[:K]-(p:P {id: $id}) RETURN f");
    assert!(plan.contains("[0,\"  NodeIndexSeek\",\"(p:P {id: $id}) using index_P_id\"]"), "{plan}");
    assert!(plan.contains("[0,\"  Expand\",\"(p:P {id: $id})-[:K]->(f:P)\"]"), "{plan}");
    // Orders that matter keep the written order: a named path, and a map reading the other end.
    s.limits = Limits::default();
    let path = "MATCH p = (f:P)<-[:K]-(q:P {id: 500}) RETURN [n IN nodes(p) | n.id]";
    assert_eq!(s.rows(path), "[[[501,500]]]");
    assert_eq!(s.rows("MATCH (f:P)<-[:K]-(q:P {id: f.id - 1}) WHERE f.id = 501 RETURN q.id"), "[[500]]");
}

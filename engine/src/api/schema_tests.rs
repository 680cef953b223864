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

//! Golden tests: query text in, response JSON out, through the whole engine on a memory store.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::golden::Session;
use super::*;
use crate::store::MemoryStore;
use futures::executor::block_on;
use std::rc::Rc;

#[test]
fn the_seed_quickstart() {
    let mut s = Session::new();
    let r = s.run("CREATE (a:Person {name: 'Alice', age: 30})", "{}").unwrap();
    assert_eq!((r.stats.nodes_created, r.stats.labels_added, r.stats.properties_set), (1, 1, 2));
    let r = s.run("CREATE (b:Person {name: 'Bob', age: 25})", "{}").unwrap();
    assert_eq!((r.stats.nodes_created, r.stats.labels_added, r.stats.properties_set), (1, 0, 2));
    let r = s
        .run("MATCH (a:Person {name: 'Alice'}), (b:Person {name: 'Bob'}) CREATE (a)-[:KNOWS {since: 2020}]->(b)", "{}")
        .unwrap();
    assert_eq!((r.stats.relationships_created, r.stats.properties_set), (1, 1));
    let r = s.run("MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name, p.age AS age", "{\"min\": 18}").unwrap();
    assert!(
        r.body(None).starts_with("{\"columns\":[\"name\",\"age\"],\"rows\":[[\"Alice\",30],[\"Bob\",25]]"),
        "{}",
        r.body(None)
    );
    assert_eq!(s.rows("MATCH (a)-[k:KNOWS]->(b) RETURN a.name, k.since, b.name"), "[[\"Alice\",2020,\"Bob\"]]");

    let reopened: Database<_, GraphModel> = block_on(Database::open(s.store.clone(), "test", &0u64)).unwrap();
    let nodes = |db: &Database<_, GraphModel>| {
        block_on(db.entries(&db.cached())).unwrap().iter().filter(|(k, _)| k.first() == Some(&b'N')).count()
    };
    assert_eq!(nodes(&reopened), 2, "durable in the store");
    let other: Database<_, GraphModel> = block_on(Database::open(s.store.clone(), "other", &0u64)).unwrap();
    assert_eq!(nodes(&other), 0, "namespaces are separate");
}

#[test]
fn returns_entities_in_the_contract_encoding() {
    let mut s = Session::new();
    let rows = s.rows("CREATE (a:A:B {x: 1})-[r:T {y: 2.5}]->(b) RETURN a, r, b");
    assert_eq!(
        rows,
        "[[{\"$node\":{\"id\":\"1\",\"labels\":[\"A\",\"B\"],\"properties\":{\"x\":1}}},\
         {\"$rel\":{\"id\":\"1\",\"type\":\"T\",\"start\":\"1\",\"end\":\"2\",\"properties\":{\"y\":2.5}}},\
         {\"$node\":{\"id\":\"2\",\"labels\":[],\"properties\":{}}}]]"
    );
    assert_eq!(s.rows("MATCH p = (:A)-->() RETURN length(p)"), "[[1]]");
}

#[test]
fn expressions_and_projections() {
    let mut s = Session::new();
    assert_eq!(s.rows("RETURN 1 + 2 * 3 AS x, 7 / 2 AS d, 7.0 / 2 AS f, 2 ^ 3 AS p"), "[[7,3,3.5,8.0]]");
    assert_eq!(s.rows("RETURN null = null AS a, null OR true AS b, NOT (1 < 2 < 3) AS c"), "[[null,true,false]]");
    assert_eq!(
        s.rows("RETURN [1, 2, 3][1..] AS l, 'abc' STARTS WITH 'a' AS s, 2 IN [1, 2] AS i"),
        "[[[2,3],true,true]]"
    );
    assert_eq!(s.rows("UNWIND [3, 1, 2] AS x RETURN x ORDER BY x DESC SKIP 1 LIMIT 1"), "[[2]]");
    assert_eq!(s.rows("UNWIND [1, 1, 2] AS x RETURN DISTINCT x"), "[[1],[2]]");
    assert_eq!(
        s.rows("UNWIND [1, 2, 3, 4] AS x WITH x % 2 AS k, x RETURN k, count(*) AS c, sum(x) AS s, collect(x) AS l ORDER BY k"),
        "[[0,2,6,[2,4]],[1,2,4,[1,3]]]"
    );
    assert_eq!(s.rows("MATCH (n) RETURN count(*) AS c"), "[[0]]", "aggregation over nothing is one row");
    assert_eq!(s.rows("RETURN [x IN range(1, 3) WHERE x > 1 | x * 10] AS l"), "[[[20,30]]]");
}

#[test]
fn writes_are_visible_within_and_after_the_query() {
    let mut s = Session::new();
    s.run("CREATE (:N {v: 1}), (:N {v: 2})", "{}").unwrap();
    assert_eq!(s.rows("MATCH (n:N) SET n.v = n.v + 10 RETURN n.v ORDER BY n.v"), "[[11],[12]]");
    let r = s.run("MATCH (n:N {v: 11}) DELETE n", "{}").unwrap();
    assert_eq!((r.stats.nodes_deleted, r.stats.properties_removed), (1, 1));
    assert_eq!(s.rows("MATCH (n:N) RETURN n.v"), "[[12]]");
    s.run("MATCH (n:N) CREATE (n)-[:R]->(:M)", "{}").unwrap();
    let e = s.error("MATCH (n:N) DELETE n");
    assert_eq!(e.code, Code::ConstraintVerificationFailed);
    assert_eq!(s.rows("MATCH (n:N) RETURN count(n)"), "[[1]]", "a failed query writes nothing");
    let r = s.run("MATCH (n:N) DETACH DELETE n", "{}").unwrap();
    assert_eq!((r.stats.nodes_deleted, r.stats.relationships_deleted, r.stats.labels_removed), (1, 1, 1));
}

/// A CREATE's properties that read nothing of the graph are worked out without making the
/// entities created so far readable; those that read it see every earlier row's.
#[test]
fn created_properties_see_the_rows_created_before() {
    let mut s = Session::new();
    s.run("CREATE (:H)", "{}").unwrap();
    s.run("MATCH (h:H) UNWIND [1, 2, 3] AS i CREATE (h)-[:R]->(:X {i: i, n: size([(h)-->(m) | m])})", "{}").unwrap();
    assert_eq!(s.rows("MATCH (m:X) RETURN m.i, m.n ORDER BY m.i"), "[[1,0],[2,1],[3,2]]");
    s.run("UNWIND [[1], [2]] AS r CREATE (a:Y {i: r[0]}) CREATE (:Z {j: a['i'], k: a.i, l: [a.i][0]})", "{}").unwrap();
    assert_eq!(s.rows("MATCH (z:Z) RETURN z.j, z.k, z.l ORDER BY z.j"), "[[1,1,1],[2,2,2]]");
    let named = "CREATE p = (:P {i: 1})-[:R]->(:P {i: 2})<-[:S]-(:P {i: 3}) RETURN length(p), [n IN nodes(p) | n.i]";
    assert_eq!(s.rows(named), "[[2,[1,2,3]]]", "a named part's path");
}

/// A request that writes keeps no decoded ranges in the cache (a bulk load's seeks are each
/// of its own key); one that only reads does.
#[test]
fn only_reading_requests_keep_decoded_ranges() {
    let mut s = Session::new();
    s.run("CREATE INDEX p_id FOR (n:P) ON (n.id)", "{}").unwrap();
    s.run("UNWIND range(1, 50) AS i CREATE (:P {id: i})", "{}").unwrap();
    s.db.set_tuning(crate::storage::Tuning { commits_per_checkpoint: 1, ..Default::default() });
    assert!(block_on(s.db.maybe_checkpoint(&10_000u64)).unwrap(), "the index is in a table");
    let cache = s.db.cache();
    let before = cache.derived_bytes();
    s.run("UNWIND range(1, 20) AS i MATCH (a:P {id: i}) CREATE (a)-[:R]->(a)", "{}").unwrap();
    assert_eq!(cache.derived_bytes(), before, "a writing request's seeks");
    assert_eq!(s.rows("UNWIND range(11, 30) AS i MATCH (a:P {id: i}) RETURN count(a)"), "[[20]]");
    assert!(cache.derived_bytes() > before, "a reading request's seeks");
}

#[test]
fn matching_patterns() {
    let mut s = Session::new();
    s.run("CREATE (a:P {n: 'a'})-[:K]->(b:P {n: 'b'})-[:K]->(c:P {n: 'c'}), (a)-[:L]->(c)", "{}").unwrap();
    assert_eq!(s.rows("MATCH (x)-[:K]->(y) RETURN x.n, y.n ORDER BY x.n"), "[[\"a\",\"b\"],[\"b\",\"c\"]]");
    assert_eq!(s.rows("MATCH (x {n: 'b'})--(y) RETURN y.n ORDER BY y.n"), "[[\"a\"],[\"c\"]]");
    assert_eq!(s.rows("MATCH (x {n: 'c'})<-[:K|L]-(y) RETURN y.n ORDER BY y.n"), "[[\"a\"],[\"b\"]]");
    assert_eq!(s.rows("MATCH ({n: 'a'})-[:K*2]->(z) RETURN z.n"), "[[\"c\"]]");
    assert_eq!(s.rows("MATCH ({n: 'a'})-[*1..2]->(z) RETURN count(*)"), "[[3]]");
    // Relationship uniqueness: without it, a-K-b-K-a and a-L-c-L-a would match too.
    assert_eq!(s.rows("MATCH ({n: 'a'})-[r]-(b)-[r2]-(c) RETURN c.n ORDER BY c.n"), "[[\"b\"],[\"c\"]]");
    assert_eq!(s.rows("OPTIONAL MATCH (x:Missing) RETURN x"), "[[null]]");
    // A pattern's property map: a key given twice takes its last value, as in a map.
    assert_eq!(s.rows("MATCH (x {n: 'b', n: 'c'}) RETURN x.n"), "[[\"c\"]]");
    assert_eq!(s.rows("MATCH (x {n: 'c', n: 'b'})-->(y) RETURN y.n"), "[[\"c\"]]");
    assert_eq!(s.rows_with("MATCH (x {n: $a, m: $b}) RETURN count(x)", r#"{"a": "a", "b": null}"#), "[[0]]");
}

#[test]
fn compile_errors_write_nothing_and_point_at_the_problem() {
    let mut s = Session::new();
    let e = s.error("CREATE (a:X)\nRETURN b");
    assert_eq!((e.code, e.detail), (Code::SyntaxError, Some("UndefinedVariable")));
    let p = e.position.unwrap();
    assert_eq!((p.line, p.column), (2, 8));
    assert_eq!(s.rows("MATCH (n) RETURN count(*)"), "[[0]]");
    assert_eq!(s.error("CREATE (a").code, Code::SyntaxError);
    assert!(s.error("CREATE (a").position.is_some());
    assert_eq!(s.error("RETURN $missing").code, Code::ParameterMissing);
    assert_eq!(s.error("RETURN 9223372036854775807 + 1").code, Code::ArithmeticError);
    assert_eq!(s.error("CREATE (a)-[:T|U]->(b)").detail, Some("NoSingleRelationshipType"));
}

#[test]
fn requests_and_namespaces_are_validated() {
    for bad in [&b"not json"[..], b"[]", b"{}", b"{\"query\": 1}", b"{\"query\": \"x\", \"params\": []}", b"\xff"] {
        assert_eq!(parse_request(bad).unwrap_err().code, Code::InvalidRequest, "{bad:?}");
    }
    for ok in ["prod", "a", "tck-0f3e", "a_b", &"x".repeat(63)] {
        assert!(validate_namespace(ok).is_ok(), "{ok}");
    }
    for bad in ["", "Prod", "-a", "a/b", "..", "a.b", "é", &"x".repeat(64), "a%2Fb"] {
        assert_eq!(validate_namespace(bad).unwrap_err().code, Code::InvalidNamespace, "{bad}");
    }
}

#[test]
fn racing_writers_serialize_and_retry() {
    block_on(async {
        let store = Rc::new(crate::store::Yielding(MemoryStore::new()));
        let a: Database<_, GraphModel> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        let b: Database<_, GraphModel> = Database::open(store.clone(), "ns", &0u64).await.unwrap();
        let create = parse_request(b"{\"query\": \"CREATE (:C {n: 0})\"}").unwrap();
        execute(&a, &create, &ManualHost::new(0, 1), &Procedures::new()).await.unwrap();
        let inc = parse_request(b"{\"query\": \"MATCH (c:C) SET c.n = c.n + 1 RETURN c.n\"}").unwrap();
        let (mut attempts, none) = (0, Procedures::new());
        for i in 0..20u64 {
            let (ha, hb) = (ManualHost::new(i, 2 * i), ManualHost::new(i, 2 * i + 1));
            let (x, y) = futures::join!(execute(&a, &inc, &ha, &none), execute(&b, &inc, &hb, &none));
            attempts += x.unwrap().attempts + y.unwrap().attempts;
        }
        assert!(attempts > 40, "the writers never raced ({attempts} attempts)");
        let read = parse_request(b"{\"query\": \"MATCH (c:C) RETURN c.n\"}").unwrap();
        let body = execute(&b, &read, &ManualHost::new(0, 0), &Procedures::new()).await.unwrap().body(None);
        assert!(body.contains("\"rows\":[[40]]"), "every acknowledged increment counted: {body}");
    });
}

/// Planner: compile-time semantic errors, each with its TCK detail.
#[test]
fn semantic_errors_at_compile_time() {
    let mut s = Session::new();
    let cases = [
        ("MATCH ()-[r]-() MATCH (r) RETURN r", "VariableTypeConflict"),
        ("MATCH r = ()-[]-() MATCH (r) RETURN r", "VariableTypeConflict"),
        ("MATCH ()-[r]-(r) RETURN r", "VariableTypeConflict"),
        ("WITH 123 AS n MATCH (n) RETURN n", "VariableTypeConflict"),
        ("MATCH (n) WITH [n] AS users MATCH (users)-->(m) RETURN m", "VariableTypeConflict"),
        ("MATCH (p)-[]-() MATCH p = ()-[]-() RETURN p", "VariableAlreadyBound"),
        ("MATCH p = (p)-[]-() RETURN p", "VariableAlreadyBound"),
        ("WITH true AS p MATCH p = ()-[]-() RETURN p", "VariableAlreadyBound"),
        ("MATCH (a) CREATE (a)", "VariableAlreadyBound"),
        ("MATCH (a)-[r]->()-[r]->(a) RETURN r", "RelationshipUniquenessViolation"),
        ("MATCH (n $p) RETURN n", "InvalidParameterUse"),
        ("RETURN NOT 123", "InvalidArgumentType"),
        ("RETURN true AND [1]", "InvalidArgumentType"),
        ("RETURN {a: 1} XOR false", "InvalidArgumentType"),
        ("MATCH (a) WHERE count(a) > 10 RETURN a", "InvalidAggregation"),
        ("RETURN count(count(1))", "InvalidAggregation"),
        ("MATCH (n) WITH n.a AS foo ORDER BY max(n.b) RETURN foo", "InvalidAggregation"),
        ("MATCH (n) RETURN n.a + n.b, count(*) ORDER BY n.a + n.b + count(*)", "AmbiguousAggregationExpression"),
        ("RETURN nosuchfunction(1)", "UnknownFunction"),
        ("RETURN toString(1, 2)", "InvalidNumberOfArguments"),
        ("MATCH (n) DELETE n:Person", "InvalidDelete"),
        ("MATCH (n) WHERE (n)-[]->(x) RETURN n", "UndefinedVariable"),
        ("MATCH (n) RETURN n LIMIT -1", "NegativeIntegerArgument"),
        ("MATCH p = (n)-->() WHERE p.name = 'x' RETURN p", "InvalidArgumentType"),
    ];
    for (query, detail) in cases {
        let e = s.error(query);
        assert_eq!((e.code, e.detail, e.compile_time), (Code::SyntaxError, Some(detail), true), "{query}: {e}");
    }
    let e = s.error("WITH 123 AS x RETURN x.name");
    assert_eq!((e.code, e.detail), (Code::TypeError, Some("InvalidArgumentType")));
}

/// ORDER BY after aggregation or DISTINCT reads the projected columns; WITH ... WHERE sees
/// the variables from before the projection.
#[test]
fn order_by_and_where_scoping() {
    let mut s = Session::new();
    s.run("CREATE ({name: 'a', v: 1}), ({name: 'a', v: 2}), ({name: 'b', v: 5})", "{}").unwrap();
    assert_eq!(s.rows("MATCH (n) RETURN n.name, count(*) AS c ORDER BY n.name DESC"), "[[\"b\",1],[\"a\",2]]");
    assert_eq!(s.rows("MATCH (n) RETURN n.name, sum(n.v) ORDER BY sum(n.v)"), "[[\"a\",3],[\"b\",5]]");
    assert_eq!(s.rows("MATCH (n) WITH DISTINCT n.name AS name ORDER BY n.name RETURN name"), "[[\"a\"],[\"b\"]]");
    assert_eq!(s.rows("MATCH (n) WITH n.name AS name WHERE n.v > 1 RETURN name ORDER BY name"), "[[\"a\"],[\"b\"]]");
}

/// MERGE matches or creates the whole pattern per row, with ON MATCH / ON CREATE.
#[test]
fn merge_matches_or_creates() {
    let mut s = Session::new();
    let r = s.run("UNWIND [1, 1, 2] AS i MERGE (n:N {v: i}) ON CREATE SET n.new = true RETURN n.v", "{}").unwrap();
    assert_eq!(r.stats.nodes_created, 2);
    assert_eq!(s.rows("MATCH (n:N) RETURN n.v, n.new ORDER BY n.v"), "[[1,true],[2,true]]");
    s.run("MERGE (n:N {v: 1}) ON MATCH SET n.seen = 1", "{}").unwrap();
    assert_eq!(s.rows("MATCH (n:N {v: 1}) RETURN n.seen"), "[[1]]");
    let r = s.run("MATCH (a:N {v: 1}), (b:N {v: 2}) MERGE (a)-[:T]->(b) MERGE (a)-[:T]->(b)", "{}").unwrap();
    assert_eq!(r.stats.relationships_created, 1);
    assert_eq!(s.rows("MATCH (a:N {v: 2}) MERGE (a)-[:T]-(b) RETURN b.v"), "[[1]]");
    let e = s.error("MERGE (n {v: null})");
    assert_eq!((e.code, e.detail), (Code::SemanticError, Some("MergeReadOwnWrites")));
}

/// Pattern predicates, pattern comprehensions, EXISTS and path functions.
#[test]
fn pattern_expressions_and_paths() {
    let mut s = Session::new();
    s.run("CREATE (:A {n: 1})-[:T]->(:B {n: 2})-[:T]->(:C {n: 3})", "{}").unwrap();
    assert_eq!(s.rows("MATCH (n) WHERE (n)-->() RETURN n.n ORDER BY n.n"), "[[1],[2]]");
    assert_eq!(s.rows("MATCH (n) WHERE NOT (n)<--() RETURN n.n"), "[[1]]");
    assert_eq!(s.rows("MATCH (a:A) RETURN [(a)-->(b) | b.n] AS l"), "[[[2]]]");
    assert_eq!(s.rows("MATCH (n) WHERE EXISTS { (n)-->(m) WHERE m.n = 3 } RETURN n.n"), "[[2]]");
    assert_eq!(
        s.rows("MATCH p = (:A)-[*]->(:C) RETURN length(p), [x IN nodes(p) | x.n], size(relationships(p))"),
        "[[2,[1,2,3],2]]"
    );
}

/// Scalar functions and aggregates added for the TCK.
#[test]
fn functions_and_aggregates() {
    let mut s = Session::new();
    assert_eq!(
        s.rows("RETURN tail([1, 2, 3]), toBoolean('TRUE'), left('abc', 2), split('a,b', ',')"),
        "[[[2,3],true,\"ab\",[\"a\",\"b\"]]]"
    );
    assert_eq!(
        s.rows("RETURN rand() < 1.0, sign(-3), substring('hello', 1, 3), toIntegerOrNull('x')"),
        "[[true,-1,\"ell\",null]]"
    );
    assert_eq!(s.rows("UNWIND [1, 2, 3, 4] AS x RETURN percentileDisc(x, 0.5), percentileCont(x, 0.5)"), "[[2,2.5]]");
    assert_eq!(s.rows("UNWIND [2, 4, 4, 4, 5, 5, 7, 9] AS x RETURN stDevP(x)"), "[[2.0]]");
    let e = s.error("RETURN range(1, 2.0)");
    assert_eq!(e.code, Code::ArgumentError);
}

/// Grouping by a node's properties remembers each node's group (`Groups::by_node`): the groups
/// must be those of the keys' values, whichever variables the keys read.
#[test]
fn grouping_by_node_properties() {
    let mut s = Session::new();
    s.rows("CREATE (:T {name: 'a', k: 1}), (:T {name: 'a', k: 2}), (:T {name: 'b', k: 1})");
    // Two nodes with one name are one group.
    assert_eq!(
        s.rows("UNWIND range(1, 3) AS i MATCH (t:T) RETURN t.name AS name, count(*) AS c ORDER BY name"),
        "[[\"a\",6],[\"b\",3]]"
    );
    assert_eq!(
        s.rows("MATCH (t:T) RETURN t.name AS name, t.k AS k, count(*) ORDER BY name, k"),
        "[[\"a\",1,1],[\"a\",2,1],[\"b\",1,1]]"
    );
    // Keys reading two variables: a node of `t` does not decide the group alone.
    assert_eq!(
        s.rows("MATCH (t:T), (u:T) RETURN t.name AS name, u.k AS k, count(*) ORDER BY name, k"),
        "[[\"a\",1,4],[\"a\",2,2],[\"b\",1,2],[\"b\",2,1]]"
    );
    // Keys that are not nodes' properties, and a null in place of a node.
    assert_eq!(s.rows("UNWIND [{a: 1}, {a: 1}, {a: 2}] AS m RETURN m.a AS a, count(*) ORDER BY a"), "[[1,2],[2,1]]");
    assert_eq!(s.rows("OPTIONAL MATCH (x:Missing) RETURN x.name, count(*)"), "[[null,1]]");
    // More nodes than are remembered: the rest are grouped by their keys' values.
    s.rows("UNWIND range(1, 5000) AS i CREATE (:M {g: i % 7})");
    assert_eq!(
        s.rows("MATCH (m:M) UNWIND [1, 2] AS r RETURN m.g AS g, count(*) ORDER BY g"),
        "[[0,1428],[1,1430],[2,1430],[3,1428],[4,1428],[5,1428],[6,1428]]"
    );
}

/// EXISTS with a full subquery, bound var-length lists, NaN ordering, UNION mixing, deleted
/// entity access.
#[test]
fn subqueries_and_corner_cases() {
    let mut s = Session::new();
    s.run("CREATE (a:A {n: 1})-[:T]->(b:B {n: 2})-[:T]->(c:C {n: 3})", "{}").unwrap();
    assert_eq!(
        s.rows("MATCH (n) WHERE EXISTS { MATCH (n)-->(m) WITH m, count(*) AS c WHERE c = 1 RETURN m } RETURN n.n ORDER BY n.n"),
        "[[1],[2]]"
    );
    assert_eq!(
        s.rows("MATCH ()-[r1]->()-[r2]->() WITH [r1, r2] AS rs MATCH (x)-[rs*]->(y) RETURN x.n, y.n"),
        "[[1,3]]"
    );
    assert_eq!(s.rows("RETURN 0.0 / 0.0 > 1, 0.0 / 0.0 <= 1.0"), "[[false,false]]");
    let e = s.error("RETURN 1 AS a UNION RETURN 2 AS a UNION ALL RETURN 3 AS a");
    assert_eq!(e.detail, Some("InvalidClauseComposition"));
    assert_eq!(s.error("MATCH () DELETE 1 + 1").detail, Some("InvalidArgumentType"));
    let e = s.error("MATCH (n:C) DETACH DELETE n RETURN n.n");
    assert_eq!((e.code, e.detail), (Code::EntityNotFound, Some("DeletedEntityAccess")));
}

/// `type()` of a relationship this query deleted still answers (the TCK's Return2 [14]).
#[test]
fn type_of_deleted_relationship() {
    let mut s = Session::new();
    s.run("CREATE ()-[:T]->()", "{}").unwrap();
    assert_eq!(s.rows("MATCH ()-[r]->() DELETE r RETURN type(r)"), "[[\"T\"]]");
}

/// A store on which every create-if-absent loses, as if a rival always committed first.
struct AlwaysOutraced(MemoryStore);

impl ObjectStore for AlwaysOutraced {
    async fn get(&self, key: &str) -> crate::store::StoreResult<Option<Vec<u8>>> {
        self.0.get(key).await
    }
    async fn get_range(&self, key: &str, o: u64, l: u64) -> crate::store::StoreResult<Option<Vec<u8>>> {
        self.0.get_range(key, o, l).await
    }
    async fn head(&self, key: &str) -> crate::store::StoreResult<Option<crate::store::ObjectMeta>> {
        self.0.head(key).await
    }
    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        mode: crate::store::PutMode,
    ) -> crate::store::StoreResult<Option<crate::store::ObjectMeta>> {
        match mode {
            crate::store::PutMode::Create => Ok(None),
            mode => self.0.put(key, body, mode).await,
        }
    }
    async fn list(&self, prefix: &str) -> crate::store::StoreResult<Vec<crate::store::ObjectMeta>> {
        self.0.list(prefix).await
    }
    async fn delete(&self, key: &str) -> crate::store::StoreResult<()> {
        self.0.delete(key).await
    }
}

#[test]
fn a_write_that_keeps_losing_its_race_is_a_conflict_and_writes_nothing() {
    let store = Rc::new(AlwaysOutraced(MemoryStore::new()));
    let db: Database<_, GraphModel> = block_on(Database::open(store.clone(), "ns", &1u64)).unwrap();
    let req = parse_request(b"{\"query\": \"CREATE (:X)\"}").unwrap();
    let host = ManualHost::new(1, 7);
    let e = block_on(execute(&db, &req, &host, &Procedures::new())).unwrap_err();
    assert_eq!(e.code, Code::Conflict);
    assert!(block_on(store.0.list("")).unwrap().is_empty(), "nothing was written");
    assert!(host.now_ms() > 1, "the retries backed off");
}

#[test]
fn parameters_over_their_limit_are_payload_too_large() {
    let limits = Limits { max_params_bytes: 1_000, ..Limits::default() };
    let small = parse_request(br#"{"query": "RETURN $s", "params": {"s": "short"}}"#).unwrap();
    assert!(limits.check_query(&small).is_ok());
    let body = format!(r#"{{"query": "RETURN $l", "params": {{"l": [{}]}}}}"#, vec!["\"abcdefgh\""; 200].join(","));
    let big = parse_request(body.as_bytes()).unwrap();
    let e = limits.check_query(&big).unwrap_err();
    assert_eq!(e.code, Code::PayloadTooLarge);
    assert!(e.message.contains("max_params_bytes"), "{}", e.message);
}

#[test]
fn explain_lists_the_operators_with_how_each_match_finds_its_nodes() {
    let mut s = Session::new();
    let q = "EXPLAIN MATCH (a:Person {name: 'x'})-[:KNOWS*1..2]->(b) WHERE b.age > 3 \
             WITH b, count(*) AS c ORDER BY c DESC LIMIT 3 MATCH (b)-[r]-(o) RETURN b.name, c, o";
    let expected = [
        ["Match", "MATCH (a:Person {name: 'x'})-[:KNOWS*1..2]->(b) WHERE b.age > 3"],
        ["  NodeByLabelScan", "(a:Person {name: 'x'})"],
        ["  VarLengthExpand", "(a:Person {name: 'x'})-[:KNOWS*1..2]->(b)"],
        ["  Filter", "b.age > 3"],
        ["With", "WITH b, count(*) AS c ORDER BY c DESC LIMIT 3"],
        ["  Aggregation", "b, count(*) AS c"],
        ["  Sort", "c DESC"],
        ["  Limit", "3"],
        ["Match", "MATCH (b)-[r]-(o)"],
        ["  Argument", "(b)"],
        ["  Expand", "(b)-[r]-(o)"],
        ["Return", "RETURN b.name, c, o"],
        ["  Projection", "b.name, c, o"],
    ];
    let rows: Vec<String> = expected.iter().map(|[op, d]| format!("[0,{op:?},{d:?}]")).collect();
    assert_eq!(s.rows(q), format!("[{}]", rows.join(",")));
    // It runs nothing: an EXPLAIN of a write writes nothing.
    s.rows("EXPLAIN CREATE (:X)");
    assert_eq!(s.rows("MATCH (x:X) RETURN count(x)"), "[[0]]");
    assert_eq!(s.rows("EXPLAIN MATCH (n) RETURN n"), "[[0,\"Match\",\"MATCH (n)\"],[0,\"  AllNodesScan\",\"(n)\"],[0,\"Return\",\"RETURN n\"],[0,\"  Projection\",\"n\"]]");
}

#[test]
fn shortest_paths_keep_only_the_least_length_per_pair() {
    let mut s = Session::new();
    // a-b-c-d-e in a line, a second route a-x-c, and a shortcut b-e.
    s.rows(
        "CREATE (a:N {n: 'a'})-[:R]->(b:N {n: 'b'})-[:R]->(c:N {n: 'c'})-[:R]->(d:N {n: 'd'})-[:R]->(e:N {n: 'e'}), \
         (a)-[:R]->(x:N {n: 'x'})-[:R]->(c), (b)-[:R]->(e)",
    );
    let q = |kind: &str, to: &str| {
        format!("MATCH (a:N {{n: 'a'}}), (t:N {{n: '{to}'}}) MATCH p = {kind}((a)-[:R*]->(t)) RETURN [n IN nodes(p) | n.n] AS ns ORDER BY ns")
    };
    assert_eq!(s.rows(&q("shortestPath", "e")), "[[[\"a\",\"b\",\"e\"]]]");
    assert_eq!(s.rows(&q("allShortestPaths", "c")), "[[[\"a\",\"b\",\"c\"]],[[\"a\",\"x\",\"c\"]]]");
    assert_eq!(s.rows(&q("shortestPath", "c")).matches("\"c\"").count(), 1, "one of the two");
    assert_eq!(s.rows(&q("shortestPath", "a")), "[]", "no path back");
    // With the end unbound: for each end node, its shortest paths only.
    let all = "MATCH p = allShortestPaths((a:N {n: 'a'})-[:R*]->(t)) RETURN t.n, length(p) ORDER BY t.n";
    assert_eq!(s.rows(all), "[[\"b\",1],[\"c\",2],[\"c\",2],[\"d\",3],[\"d\",3],[\"e\",2],[\"x\",1]]");
    // A relationship the same MATCH uses elsewhere is not on the path: without a->b, a->e
    // goes round by x, c and d.
    let unique = "MATCH (a:N {n: 'a'}), (t:N {n: 'e'}), (a)-[:R]->(:N {n: 'b'}), p = shortestPath((a)-[:R*]->(t)) \
                  RETURN [n IN nodes(p) | n.n]";
    assert_eq!(s.rows(unique), "[[[\"a\",\"x\",\"c\",\"d\",\"e\"]]]");
    // With only the end bound: each start node's own shortest path (the search used to end at
    // the first length that reached the end from any start).
    let to_e = "MATCH (t:N {n: 'e'}) MATCH p = shortestPath((f:N)-[:R*]->(t)) RETURN f.n, length(p) ORDER BY f.n";
    assert_eq!(s.rows(to_e), "[[\"a\",2],[\"b\",1],[\"c\",2],[\"d\",1],[\"x\",3]]");
}

/// Between two bound nodes, shortest paths come from a breadth-first search; with lengths from
/// 0, from the search over each length. On random graphs both give the same paths in the same
/// order, for either kind, any direction and a relationship property map.
#[test]
fn shortest_paths_between_bound_nodes_are_those_of_the_search_by_length() {
    let mut seed = 12_345u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut found = 0;
    // A sparse graph (long paths, few of them) and a dense one (short paths, many ties).
    for (nodes, edges) in [(300, 420), (40, 120)] {
        let mut s = Session::new();
        s.rows(&format!("UNWIND range(0, {}) AS i CREATE (:N {{i: i}})", nodes - 1));
        let edges: Vec<String> = (0..edges).map(|_| format!("[{},{},{}]", next(nodes), next(nodes), next(3))).collect();
        s.rows_with(
            "UNWIND $edges AS e MATCH (a:N {i: e[0]}), (b:N {i: e[1]}) CREATE (a)-[:R {w: e[2]}]->(b)",
            &format!("{{\"edges\": [{}]}}", edges.join(",")),
        );
        for (from, to) in (0..30).map(|_| (next(nodes), next(nodes))).filter(|(a, b)| a != b) {
            for kind in ["shortestPath", "allShortestPaths"] {
                let hops = if nodes > 100 {
                    ["-[r:R*..9]->", "<-[r:R*..9]-", "-[r:R*..7]-", "-[r:R*..9 {w: 1}]-"]
                } else {
                    ["-[r:R*..5]->", "<-[r:R*..5]-", "-[r:R*..3]-", "-[r:R*..4 {w: 1}]-"]
                };
                for hop in hops {
                    let ret = "RETURN [x IN r | id(x)] AS rels, [n IN nodes(p) | n.i] AS nodes";
                    let q = |hop: &str| {
                        format!("MATCH (a:N {{i: {from}}}), (b:N {{i: {to}}}) MATCH p = {kind}((a){hop}(b)) {ret}")
                    };
                    // Lengths from 0 take the search by length (for distinct ends, the same paths).
                    let (bfs, by_length) = (q(hop), q(&hop.replace("*..", "*0..")));
                    let answer = s.rows(&bfs);
                    assert_eq!(answer, s.rows(&by_length), "{bfs}");
                    found += usize::from(answer != "[]");
                }
            }
        }
    }
    assert!(found > 150, "only {found} of the searches found a path");
}

/// A label's nodes expanded in node order read their adjacency lists ahead, a window of nodes
/// at a time (`graph::AdjacencyWindow`), which the block cache keeps by its key range when
/// the lists are in tables: each type over the same nodes must still find its own lists, cold
/// and cached, as a pattern with no type (no read ahead) finds them.
#[test]
fn expansions_in_node_order_find_each_types_own_relationships() {
    let mut s = Session::new();
    s.rows("UNWIND range(0, 299) AS i CREATE (:N {i: i})");
    for (t, m, skip) in [("AB", 7, 3), ("KNOWS", 11, 4), ("KNOWSS", 13, 5), ("ZZZ", 17, 2)] {
        s.rows(&format!(
            "MATCH (a:N), (b:N) WHERE b.i = (a.i * {m} + 3) % 300 AND a.i % {skip} <> 0 CREATE (a)-[:{t}]->(b)"
        ));
    }
    // Enough commits for a checkpoint; a handle opened after it reads the lists from tables.
    for i in 0..32 {
        s.rows(&format!("CREATE (:Other {{i: {i}}})"));
    }
    assert!(block_on(s.db.maybe_checkpoint(&5_000u64)).unwrap());
    let mut tables = s.reopen();
    for session in [&mut s, &mut tables] {
        for _ in 0..2 {
            for t in ["KNOWS", "AB", "ZZZ", "KNOWSS"] {
                for (pattern, filter) in
                    [("(a:N)-[:$]->(b)", ""), ("(b)<-[:$]-(a:N)", ""), ("(a:N)-[r]->(b)", "type(r) = '$'")]
                {
                    let mut q = format!("MATCH {pattern} WHERE a.i % 3 <> 1");
                    if !filter.is_empty() {
                        q = format!("{q} AND {filter}");
                    }
                    let q = format!("{q} RETURN a.i, collect(b.i) ORDER BY a.i").replace('$', t);
                    let rows = session.rows(&q);
                    assert!(rows.len() > 500, "{q}: {rows}");
                    if filter.is_empty() {
                        let unread = format!("MATCH (a:N)-[r]->(b) WHERE a.i % 3 <> 1 AND type(r) = '{t}' RETURN a.i, collect(b.i) ORDER BY a.i");
                        assert_eq!(rows, session.rows(&unread), "{q}");
                    }
                }
            }
        }
    }
}

#[test]
fn big_commits_make_a_checkpoint_due_before_32_of_them() {
    let mut s = super::golden::Session::new();
    s.body(
        "UNWIND range(1, 100) AS i CREATE (:Big {i: i, text: $text})",
        &format!("{{\"text\": \"{}\"}}", "x".repeat(100_000)),
    );
    assert!(!block_on(s.db.maybe_checkpoint(&500u64)).unwrap(), "not within a second of the last one");
    assert!(block_on(s.db.maybe_checkpoint(&2_000u64)).unwrap(), "10 MB of entries in one commit");
    assert_eq!(s.rows("MATCH (b:Big) RETURN count(b), sum(size(b.text))"), "[[100,10000000]]");
}

/// Each aggregate over values, nulls, `DISTINCT`, an empty input and an all-null group; the
/// folds are incremental (`exec/aggregate.rs`) and must give what folding the group at once did.
#[test]
fn aggregates_fold_values_nulls_and_empty_groups() {
    let mut s = Session::new();
    let all = "count(x), count(*), count(DISTINCT x), sum(x), sum(DISTINCT x), avg(x), min(x), max(x), \
               collect(x), collect(DISTINCT x)";
    assert_eq!(
        s.rows(&format!("UNWIND [1, null, 2, 2, 3.5] AS x RETURN {all}")),
        "[[4,5,3,8.5,6.5,2.125,1,3.5,[1,2,2,3.5],[1,2,3.5]]]"
    );
    // No input and no grouping key: one group, with each function's value for nothing.
    let empty = "count(x), count(*), sum(x), avg(x), min(x), max(x), collect(x), stDev(x), stDevP(x), \
                 percentileCont(x, 0.5), percentileDisc(x, 0.5), count(DISTINCT x), collect(DISTINCT x)";
    assert_eq!(s.rows(&format!("UNWIND [] AS x RETURN {empty}")), "[[0,0,0,null,null,null,[],0.0,0.0,null,null,0,[]]]");
    assert_eq!(s.rows(&format!("MATCH (x) RETURN {empty}")), "[[0,0,0,null,null,null,[],0.0,0.0,null,null,0,[]]]");
    // An all-null group folds nothing; with a grouping key, no input is no row.
    assert_eq!(
        s.rows(&format!("UNWIND [null, null] AS x RETURN {empty}")),
        "[[0,2,0,null,null,null,[],0.0,0.0,null,null,0,[]]]"
    );
    assert_eq!(s.rows("UNWIND [] AS x RETURN x, count(*)"), "[]");
    // Null is a grouping key like any other value.
    assert_eq!(s.rows("UNWIND [1, null, 1, null, null] AS x RETURN x, count(*) ORDER BY x"), "[[1,2],[null,3]]");
    // min keeps the first of equal values, max the last; strings order among themselves.
    assert_eq!(s.rows("UNWIND [1, 1.0] AS x RETURN min(x), max(x)"), "[[1,1.0]]");
    assert_eq!(s.rows("UNWIND ['b', 'a', 'c'] AS x RETURN min(x), max(x)"), "[[\"a\",\"c\"]]");
    // Standard deviation of a sample and of the population; one value has none.
    assert_eq!(
        s.rows("UNWIND [2, 4, 4, 4, 5, 5, 7, 9] AS x RETURN stDev(x), stDevP(x), stDev(DISTINCT x)"),
        "[[2.138089935299395,2.0,2.701851217221259]]"
    );
    assert_eq!(s.rows("RETURN stDev(7), stDevP(7)"), "[[0.0,0.0]]");
    assert_eq!(
        s.rows(
            "UNWIND [40, 10, 30, 20, 10] AS x RETURN percentileCont(x, 0.25), percentileDisc(x, 0.25), \
                percentileCont(DISTINCT x, 0.25), percentileDisc(x, 1), percentileCont(x, 0)"
        ),
        "[[10.0,10,17.5,40,10.0]]"
    );
    // The percentile argument is read on the group's first row.
    assert_eq!(s.rows("UNWIND [[1, 0.0], [2, 1.0], [3, 1.0]] AS p RETURN percentileDisc(p[0], p[1])"), "[[1]]");
    // Per group, in the order the groups first appear.
    assert_eq!(
        s.rows("UNWIND [3, 1, 4, 1, 5, 9, 2, 6] AS x RETURN x % 2 AS odd, count(*), sum(x), collect(x)"),
        "[[1,5,19,[3,1,1,5,9]],[0,3,12,[4,2,6]]]"
    );
}

/// Aggregates inside expressions, which may also read the grouping keys (and, through them, the
/// variables of the group's first row), and the errors the folds raise.
#[test]
fn aggregates_in_expressions_and_their_errors() {
    let mut s = Session::new();
    assert_eq!(
        s.rows("UNWIND [1, 2, 3] AS x RETURN count(*) + 1, collect(x)[1], {s: sum(x), m: max(x) - min(x)}"),
        "[[4,2,{\"m\":2,\"s\":6}]]"
    );
    assert_eq!(
        s.rows("UNWIND [{k: 1, v: 2}, {k: 1, v: 3}, {k: 2, v: 5}] AS m RETURN m.k AS k, m.k * 10 + sum(m.v) AS t ORDER BY k"),
        "[[1,15],[2,25]]"
    );
    s.run("CREATE (:P {name: 'a'})-[:R]->(:P {name: 'b'})", "{}").unwrap();
    assert_eq!(
        s.rows("MATCH (a:P) RETURN a.name AS name, count(*) + size([(a)-->() | 1]) AS c ORDER BY name"),
        "[[\"a\",2],[\"b\",1]]"
    );
    assert_eq!(
        s.rows("MATCH (a:P) WITH a, count(*) AS c RETURN a {.name, c} AS m ORDER BY m.name"),
        "[[{\"c\":1,\"name\":\"a\"}],[{\"c\":1,\"name\":\"b\"}]]"
    );
    let errors = [
        ("UNWIND [1, 'a'] AS x RETURN sum(x)", ("TypeError", "InvalidArgumentType")),
        ("UNWIND [1, 'a'] AS x RETURN sum(DISTINCT x)", ("TypeError", "InvalidArgumentType")),
        ("UNWIND [1, 'a'] AS x RETURN avg(x)", ("TypeError", "InvalidArgumentType")),
        ("UNWIND [1, 'a'] AS x RETURN stDev(x)", ("TypeError", "InvalidArgumentType")),
        ("UNWIND [1, 'a'] AS x RETURN percentileCont(x, 0.5)", ("TypeError", "InvalidArgumentType")),
        ("UNWIND [9223372036854775807, 1] AS x RETURN sum(x)", ("ArithmeticError", "IntegerOverflow")),
        ("UNWIND [1, 2] AS x RETURN percentileDisc(x, 1.5)", ("ArgumentError", "NumberOutOfRange")),
        ("UNWIND [1, 'a'] AS x RETURN percentileDisc(x, 1.5)", ("ArgumentError", "NumberOutOfRange")),
        ("UNWIND [1, 2] AS x RETURN percentileDisc(x, 'half')", ("TypeError", "InvalidArgumentType")),
    ];
    for (query, expected) in errors {
        assert_eq!(s.error_kind(query), expected, "{query}");
    }
    // Nulls are skipped, never folded.
    assert_eq!(s.rows("UNWIND [1, null, 2] AS x RETURN sum(x), avg(x)"), "[[3,1.5]]");
}

/// A read on a version cached earlier runs before its freshness check returns; it must still
/// answer from the newest version (read-your-writes across handles), with a warm block cache
/// and with one that has to fetch the blocks the stale version needed.
#[test]
fn a_speculative_read_answers_from_the_newest_version() {
    let store = Rc::new(MemoryStore::new());
    let run = |db: &Database<Rc<MemoryStore>, GraphModel>, q: &str, now: u64| {
        let req = parse_request(format!("{{\"query\": {q:?}}}").as_bytes()).unwrap();
        block_on(execute(db, &req, &ManualHost::new(now, now), &Procedures::new())).unwrap()
    };
    let writer: Database<_, GraphModel> = block_on(Database::open(store.clone(), "ns", &1_000u64)).unwrap();
    run(&writer, "UNWIND range(1, 500) AS i CREATE (:N {i: i, v: 0})", 1_000);
    for i in 0..crate::storage::CHECKPOINT_EVERY {
        run(&writer, "MATCH (n:N {i: 1}) SET n.v = n.v + 1", 2_000 + i);
    }
    assert!(block_on(writer.maybe_checkpoint(&5_000u64)).unwrap(), "the graph is in tables");
    let reader: Database<_, GraphModel> = block_on(Database::open(store.clone(), "ns", &5_001u64)).unwrap();
    let read = "MATCH (n:N {i: 1}) RETURN n.v";
    assert!(run(&reader, read, 5_002).body(None).contains("[[32]]"));
    for (round, cold) in [(0u64, false), (1, true)] {
        let w = run(&writer, "MATCH (n:N {i: 1}) SET n.v = n.v + 100", 6_000 + round);
        let handle = if cold {
            Database::resume(store.clone(), "ns", reader.cached()) // a new cache: every block missing
        } else {
            Database::resume(store.clone(), "ns", reader.cached()).with_cache(reader.cache())
        };
        assert!(handle.cached().is_validated() && handle.cached().seq < w.version, "the cached version is stale");
        let r = run(&handle, read, 6_001 + round);
        let expected = format!("[[{}]]", 32 + 100 * (round + 1));
        assert!(r.body(None).contains(&expected), "cold cache {cold}: {}", r.body(None));
        assert_eq!(r.version, w.version, "answered from the newest version");
    }
}

/// A bulk load's `UNWIND … MATCH … CREATE` on a cold cache: its first run misses the blocks of
/// its seeks and skips its `CREATE` (`exec::run_part`); the rerun writes exactly what a run
/// on a warm cache writes.
#[test]
fn a_create_after_reads_that_missed_blocks_writes_as_a_warm_run_does() {
    let store = Rc::new(MemoryStore::new());
    let run = |db: &Database<Rc<MemoryStore>, GraphModel>, q: &str, now: u64| {
        let req = parse_request(format!("{{\"query\": {q:?}}}").as_bytes()).unwrap();
        block_on(execute(db, &req, &ManualHost::new(now, now), &Procedures::new())).unwrap()
    };
    let mut writer: Database<_, GraphModel> = block_on(Database::open(store.clone(), "ns", &1_000u64)).unwrap();
    writer.set_tuning(crate::storage::Tuning { commits_per_checkpoint: 1, ..Default::default() });
    run(&writer, "CREATE INDEX n_i FOR (n:N) ON (n.i)", 1_000);
    run(&writer, "UNWIND range(1, 3000) AS i CREATE (:N {i: i, pad: 'some bytes to fill blocks'})", 1_001);
    assert!(block_on(writer.maybe_checkpoint(&5_000u64)).unwrap(), "the graph is in tables");
    let load = "UNWIND range(1, 3000, 7) AS i MATCH (a:N {i: i}), (b:N {i: 3001 - i}) \
                CREATE (a)-[:T {i: i}]->(b)<-[:U]-(:M {i: i})";
    let cold: Database<_, GraphModel> = block_on(Database::open(store.clone(), "ns", &5_001u64)).unwrap();
    let r = run(&cold, load, 5_002);
    assert_eq!((r.stats.nodes_created, r.stats.relationships_created, r.stats.properties_set), (429, 858, 858));
    let check = "MATCH (a:N)-[t:T]->(b:N)<-[:U]-(m:M) WHERE a.i = t.i AND m.i = t.i AND b.i = 3001 - t.i \
                 RETURN count(*), sum(t.i)";
    let rows = |db: &Database<Rc<MemoryStore>, GraphModel>, now| {
        let body = run(db, check, now).body(None);
        body[..body.find("\"stats\"").unwrap()].to_string()
    };
    let sum: u64 = (1..=3000).step_by(7).sum();
    assert!(rows(&cold, 5_003).contains(&format!("[[429,{sum}]]")));
    assert_eq!(rows(&writer, 5_004), rows(&cold, 5_005));
}

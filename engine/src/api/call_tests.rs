//! Golden tests for `CALL`: fixture procedures registered from `/tck/procedure` bodies, then
//! query text in, columns and rows (or the error's code and detail) out.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::golden::Session;
use super::*;

/// The TCK's fixtures, as the runner posts them.
const FIXTURES: [&str; 7] = [
    r#"{"signature": "test.doNothing() :: ()", "columns": [], "rows": []}"#,
    r#"{"signature": "test.labels() :: (label :: STRING?)", "columns": ["label"], "rows": [["A"], ["B"], ["C"]]}"#,
    r#"{"signature": "test.my.proc(name :: STRING?, id :: INTEGER?) :: (city :: STRING?, country_code :: INTEGER?)",
        "columns": ["name", "id", "city", "country_code"],
        "rows": [["Andres", 1, "Malmö", 46], ["Stefan", 1, "Berlin", 49], ["Stefan", 2, "München", 49]]}"#,
    r#"{"signature": "test.num(in :: NUMBER?) :: (out :: STRING?)", "columns": ["in", "out"],
        "rows": [[42, "wisdom"], [42.3, "about right"]]}"#,
    r#"{"signature": "test.float(in :: FLOAT?) :: (out :: STRING?)", "columns": ["out", "in"],
        "rows": [["close enough", 42.0]]}"#,
    r#"{"signature": "test.int(in :: INTEGER?) :: (out :: STRING?)", "columns": ["in", "out"], "rows": [[null, "nix"]]}"#,
    r#"{"signature": "test.ab(in :: INTEGER?) :: (a :: INTEGER?, b :: INTEGER?)", "columns": ["in", "a", "b"],
        "rows": [[null, 1, 2]]}"#,
];

/// A session with the TCK's fixtures registered.
fn session() -> Session {
    let mut procedures = Procedures::new();
    for body in FIXTURES {
        procedures.register(parse_procedure(body.as_bytes()).unwrap()).unwrap();
    }
    Session::with_procedures(procedures)
}

/// (code, detail, compile time) of the error the query must end with.
fn error(s: &mut Session, query: &str, params: &str) -> (&'static str, &'static str, bool) {
    let e = s.error_with(query, params);
    (e.code.as_str(), e.detail.unwrap_or_default(), e.compile_time)
}

#[test]
fn standalone_calls_return_every_output() {
    let mut s = session();
    assert_eq!(s.table("CALL test.labels()", "{}"), r#""columns":["label"],"rows":[["A"],["B"],["C"]]"#);
    let berlin = r#""columns":["city","country_code"],"rows":[["Berlin",49]]"#;
    assert_eq!(s.table("CALL test.my.proc('Stefan', 1)", "{}"), berlin);
    assert_eq!(s.table("CALL test.my.proc('Stefan', 1) YIELD *", "{}"), berlin);
    assert_eq!(s.table("CALL test.my.proc", r#"{"name": "Stefan", "id": 1}"#), berlin);
    assert_eq!(s.table("CALL test.doNothing()", "{}"), r#""columns":[],"rows":[]"#);
    assert_eq!(s.table("CALL test.doNothing", "{}"), r#""columns":[],"rows":[]"#);
}

#[test]
fn in_query_calls_bind_what_they_yield() {
    let mut s = session();
    let q = "CALL test.my.proc('Stefan', 1) YIELD city, country_code RETURN city, country_code";
    assert_eq!(s.table(q, "{}"), r#""columns":["city","country_code"],"rows":[["Berlin",49]]"#);
    let q = "CALL test.ab(null) YIELD a AS b, b AS a RETURN b, a";
    assert_eq!(s.table(q, "{}"), r#""columns":["b","a"],"rows":[[1,2]]"#);
    let q = "CALL test.labels() YIELD label WHERE label <> 'B' RETURN label";
    assert_eq!(s.table(q, "{}"), r#""columns":["label"],"rows":[["A"],["C"]]"#);
    let q = "CALL test.labels() YIELD label WITH count(*) AS c CALL test.labels() YIELD label RETURN *";
    assert_eq!(s.table(q, "{}"), r#""columns":["c","label"],"rows":[[3,"A"],[3,"B"],[3,"C"]]"#);
    let q = "UNWIND ['Stefan', 'Andres'] AS n CALL test.my.proc(n, 1) YIELD city RETURN n, city";
    assert_eq!(s.table(q, "{}"), r#""columns":["n","city"],"rows":[["Stefan","Berlin"],["Andres","Malmö"]]"#);
}

#[test]
fn void_procedures_pass_rows_through() {
    let mut s = session();
    s.run("CREATE (:A {name: 'a'}), (:B {name: 'b'})", "{}").unwrap();
    let q = "MATCH (n) CALL test.doNothing() RETURN n.name AS name ORDER BY name";
    assert_eq!(s.table(q, "{}"), r#""columns":["name"],"rows":[["a"],["b"]]"#);
}

#[test]
fn arguments_are_matched_after_widening() {
    let mut s = session();
    assert_eq!(s.table("CALL test.num(42)", "{}"), r#""columns":["out"],"rows":[["wisdom"]]"#);
    assert_eq!(s.table("CALL test.num(42.3)", "{}"), r#""columns":["out"],"rows":[["about right"]]"#);
    assert_eq!(
        s.table("CALL test.float(42) YIELD out RETURN out", "{}"),
        r#""columns":["out"],"rows":[["close enough"]]"#
    );
    assert_eq!(s.table("CALL test.int(null)", "{}"), r#""columns":["out"],"rows":[["nix"]]"#);
    assert_eq!(s.table("CALL test.int(7)", "{}"), r#""columns":["out"],"rows":[]"#);
}

#[test]
fn compile_time_errors() {
    let mut s = session();
    let cases = [
        ("CALL test.my.proc('Dobby')", "{}", "SyntaxError", "InvalidNumberOfArguments"),
        ("CALL test.int(1, 2, 3, 4) YIELD out RETURN out", "{}", "SyntaxError", "InvalidNumberOfArguments"),
        ("CALL test.my.proc", r#"{"name": "Stefan"}"#, "ParameterMissing", "MissingParameter"),
        ("CALL test.int(1) RETURN out", "{}", "SyntaxError", "UndefinedVariable"),
        ("CALL test.nope", "{}", "ProcedureError", "ProcedureNotFound"),
        ("CALL test.missing() YIELD out RETURN out", "{}", "ProcedureError", "ProcedureNotFound"),
        ("WITH 'Hi' AS label CALL test.labels() YIELD label RETURN *", "{}", "SyntaxError", "VariableAlreadyBound"),
        ("MATCH (n) CALL test.int(count(n)) YIELD out RETURN out", "{}", "SyntaxError", "InvalidAggregation"),
        ("CALL test.int YIELD out RETURN out", "{}", "SyntaxError", "InvalidArgumentPassingMode"),
        ("CALL test.int(true)", "{}", "SyntaxError", "InvalidArgumentType"),
        ("CALL test.int(1.5) YIELD out RETURN out", "{}", "SyntaxError", "InvalidArgumentType"),
        ("CALL test.int", r#"{"in": "x"}"#, "SyntaxError", "InvalidArgumentType"),
        ("CALL test.ab(null) YIELD a, b AS a RETURN a", "{}", "SyntaxError", "VariableAlreadyBound"),
        ("CALL test.ab(null) YIELD a AS c, b AS c RETURN c", "{}", "SyntaxError", "VariableAlreadyBound"),
        ("CALL test.ab(null) YIELD z RETURN z", "{}", "SyntaxError", "UndefinedVariable"),
        ("CALL test.my.proc('Stefan', 1) YIELD * RETURN city", "{}", "SyntaxError", "UnexpectedSyntax"),
        ("CALL test.labels() YIELD label WHERE nope RETURN label", "{}", "SyntaxError", "UndefinedVariable"),
    ];
    for (q, params, code, detail) in cases {
        assert_eq!(error(&mut s, q, params), (code, detail, true), "{q}");
    }
}

#[test]
fn arguments_of_unknown_type_are_checked_when_run() {
    let mut s = session();
    let q = "WITH 1.5 AS x CALL test.int(x) YIELD out RETURN out";
    assert_eq!(error(&mut s, q, "{}"), ("TypeError", "InvalidArgumentType", false));
}

#[test]
fn without_procedures_nothing_is_callable() {
    let mut s = Session::new();
    assert_eq!(error(&mut s, "CALL test.labels()", "{}"), ("ProcedureError", "ProcedureNotFound", true));
}

#[test]
fn malformed_registrations_are_invalid_requests() {
    let bodies = [
        "[]",
        r#"{"columns": [], "rows": []}"#,
        r#"{"signature": "t.p() :: ()", "columns": [1], "rows": []}"#,
        r#"{"signature": "t.p() :: ()", "columns": [], "rows": [1]}"#,
        r#"{"signature": "t.p() :: ()", "columns": [], "rows": [], "extra": 1}"#,
        r#"{"signature": "t.p() :: (x :: INTEGER?)", "columns": ["y"], "rows": []}"#,
        r#"{"signature": "t.p() :: (x :: INTEGER?)", "columns": ["x"], "rows": [[1, 2]]}"#,
        r#"{"signature": "t.p( :: ()", "columns": [], "rows": []}"#,
    ];
    for b in bodies {
        assert_eq!(parse_procedure(b.as_bytes()).unwrap_err().code, Code::InvalidRequest, "{b}");
    }
}

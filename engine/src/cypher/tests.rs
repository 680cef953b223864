//! Unit tests of the parser and printer: each clause and expression form, precedence, literals,
//! spans, error messages and positions, the depth guard, and round trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use super::ast::*;
use super::*;

fn parsed(q: &str) -> Statement {
    parse(q).unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn clauses(q: &str) -> Vec<Clause> {
    parsed(q).query.first.clauses
}

fn error(q: &str) -> SyntaxError {
    match parse(q) {
        Ok(s) => panic!("{q}: parsed as {}", print(&s)),
        Err(e) => e,
    }
}

/// The first projected expression of `RETURN {e}`.
fn expr(e: &str) -> Expr {
    match clauses(&format!("RETURN {e}")).remove(0) {
        Clause::Return(mut p) => p.items.remove(0).expr,
        c => panic!("{c:?}"),
    }
}

fn canonical(q: &str) -> String {
    print(&parsed(q))
}

/// The tree's debug form without spans, to compare trees "spans aside".
pub(super) fn shape<T: std::fmt::Debug>(tree: &T) -> String {
    let text = format!("{tree:?}");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("Span {") {
        out.push_str(&rest[..at]);
        rest = rest[at..].split_once('}').map_or("", |(_, after)| after);
    }
    out + rest
}

/// Printing gives text that parses back to the same tree and prints the same again.
fn assert_round_trip(q: &str) {
    let stmt = parsed(q);
    let printed = print(&stmt);
    let again = parse(&printed).unwrap_or_else(|e| panic!("{q}\n=> {printed}\n{e}"));
    assert_eq!(shape(&again), shape(&stmt), "{q}\n=> {printed}");
    assert_eq!(print(&again), printed);
}

/// An S-expression view of operators, to check precedence.
fn sx(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Binary(op, l, r) => {
            format!("({} {} {})", syntax::binary_syntax(*op).0, sx(l), sx(r))
        }
        ExprKind::Unary(op, x) => {
            let op = match op {
                UnaryOp::Not => "NOT",
                UnaryOp::Negate => "-",
                UnaryOp::Plus => "+",
            };
            format!("({op} {})", sx(x))
        }
        ExprKind::Comparison(first, rest) => {
            let rest: Vec<String> =
                rest.iter().map(|(op, x)| format!("{} {}", syntax::compare_text(*op), sx(x))).collect();
            format!("(cmp {} {})", sx(first), rest.join(" "))
        }
        ExprKind::IsNull { expr, negated } => {
            format!("({} {})", if *negated { "IS NOT NULL" } else { "IS NULL" }, sx(expr))
        }
        ExprKind::Property(base, key) => format!("(. {} {})", sx(base), key.name),
        ExprKind::HasLabels(base, labels) => {
            let labels: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
            format!("(: {} {})", sx(base), labels.join(" "))
        }
        _ => print_expr(e),
    }
}

fn sx_of(e: &str) -> String {
    sx(&expr(e))
}

/// Runs `f` on a thread with a small stack: 256 KiB optimized; debug frames are about 3.5 times
/// larger (see `stack_use_per_level`), so debug builds get 1 MiB.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let size = if cfg!(debug_assertions) { 1 << 20 } else { 256 << 10 };
    std::thread::Builder::new().stack_size(size).spawn(f).unwrap().join().unwrap()
}

// ---- Lexer ----

fn tokens(q: &str) -> Vec<(String, &str)> {
    lexer::lex(q).iter().map(|t| (format!("{:?}", t.kind), &q[t.span.start..t.span.end])).collect()
}

#[test]
fn lexer_splits_numbers_ranges_and_arrows() {
    let texts: Vec<&str> =
        tokens("[1..2] .5 1.5e3 a.b<-->-[*..3]-> <>=~+= // c\n/* d */'x'").into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        texts,
        [
            "[", "1", "..", "2", "]", ".5", "1.5e3", "a", ".", "b", "<", "-", "-", ">", "-", "[", "*", "..", "3", "]",
            "-", ">", "<>", "=~", "+=", "'x'"
        ]
    );
}

#[test]
fn punctuation_is_lexed_longest_first() {
    use lexer::Punct;
    let all = Punct::LONGEST_FIRST;
    for (n, p) in all.iter().enumerate() {
        assert!(all[n + 1..].iter().all(|later| later != p && !later.text().starts_with(p.text())), "{p:?}");
        assert_eq!(tokens(p.text()), [(format!("{:?}", lexer::TokenKind::Punct(*p)), p.text())]);
    }
}

// ---- Clauses ----

#[test]
fn match_clause() {
    let Clause::Match(m) = clauses("MATCH (a:A)-[r:T]->(b), (c) WHERE a.x = 1 RETURN a").remove(0) else { panic!() };
    assert!(!m.optional);
    assert_eq!(m.pattern.len(), 2);
    assert_eq!(print_expr(m.where_.as_ref().unwrap()), "a.x = 1");
    assert_eq!(m.span, Span { start: 0, end: 41 });
}

#[test]
fn optional_match() {
    let Clause::Match(m) = clauses("OPTIONAL MATCH (a) RETURN a").remove(0) else { panic!() };
    assert!(m.optional);
    assert_eq!(canonical("optional match (a) return a"), "OPTIONAL MATCH (a) RETURN a");
}

#[test]
fn unwind() {
    let Clause::Unwind(u) = clauses("UNWIND [1, 2] AS x RETURN x").remove(0) else { panic!() };
    assert_eq!(u.var.name, "x");
    assert_eq!(print_expr(&u.expr), "[1, 2]");
}

#[test]
fn with_clause_in_full() {
    let q = "WITH DISTINCT a, b AS c ORDER BY a DESC, c SKIP 1 LIMIT 2 WHERE c > 1 RETURN *";
    let Clause::With(p) = clauses(q).remove(0) else { panic!() };
    assert!(p.distinct && !p.star);
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.items[1].alias.as_ref().unwrap().name, "c");
    assert_eq!(p.order_by.len(), 2);
    assert!(p.order_by[0].descending && !p.order_by[1].descending);
    assert!(p.skip.is_some() && p.limit.is_some() && p.where_.is_some());
    assert_eq!(canonical(q), q);
}

#[test]
fn return_star_and_items() {
    let Clause::Return(p) = clauses("RETURN *, 1 AS x").remove(0) else { panic!() };
    assert!(p.star);
    assert_eq!(p.items.len(), 1);
    assert_eq!(canonical("WITH * RETURN *"), "WITH * RETURN *");
}

#[test]
fn sort_directions() {
    let q = "RETURN a ORDER BY a ASC, b ASCENDING, c DESC, d DESCENDING";
    let Clause::Return(p) = clauses(q).remove(0) else { panic!() };
    let directions: Vec<bool> = p.order_by.iter().map(|s| s.descending).collect();
    assert_eq!(directions, [false, false, true, true]);
    assert_eq!(canonical(q), "RETURN a ORDER BY a, b, c DESC, d DESC");
}

#[test]
fn create() {
    let Clause::Create(c) = clauses("CREATE (a:A {x: 1})-[:T]->(b), (c $props)").remove(0) else { panic!() };
    assert_eq!(c.pattern.len(), 2);
    assert!(matches!(c.pattern[1].element.start.props.as_ref().unwrap().kind, ExprKind::Parameter(_)));
}

#[test]
fn merge_actions_in_any_order() {
    let q = "MERGE (n:A {id: 1}) ON MATCH SET n.seen = true ON CREATE SET n.new = true ON MATCH SET n:B";
    let Clause::Merge(m) = clauses(q).remove(0) else { panic!() };
    assert_eq!(m.on_create.len(), 1);
    assert_eq!(m.on_match.len(), 2);
    assert_eq!(canonical(q), "MERGE (n:A {id: 1}) ON CREATE SET n.new = true ON MATCH SET n.seen = true, n:B");
}

#[test]
fn set_items() {
    let Clause::Set(s) = clauses("SET n.x = 1, (n).y = 2, n = {a: 1}, n += $p, n:A:B, a.b.c = 3").remove(0) else {
        panic!()
    };
    assert!(matches!(&s.items[0], SetItem::Property { key, .. } if key.name == "x"));
    assert!(matches!(&s.items[1], SetItem::Property { target, .. } if target.kind == ExprKind::Variable("n".into())));
    assert!(matches!(&s.items[2], SetItem::Replace { .. }));
    assert!(matches!(&s.items[3], SetItem::Merge { .. }));
    assert!(matches!(&s.items[4], SetItem::Labels { labels, .. } if labels.len() == 2));
    assert!(
        matches!(&s.items[5], SetItem::Property { target, key, .. } if key.name == "c" && print_expr(target) == "a.b")
    );
    assert_eq!(error("SET n[0] = 1").message, "expected a property such as `n.key`");
}

#[test]
fn remove_items() {
    let Clause::Remove(r) = clauses("REMOVE n.x, n:A:B").remove(0) else { panic!() };
    assert!(matches!(&r.items[0], RemoveItem::Property { key, .. } if key.name == "x"));
    assert!(matches!(&r.items[1], RemoveItem::Labels { labels, .. } if labels.len() == 2));
}

#[test]
fn delete() {
    let Clause::Delete(d) = clauses("DETACH DELETE a, b").remove(0) else { panic!() };
    assert!(d.detach);
    assert_eq!(d.exprs.len(), 2);
    let Clause::Delete(d) = clauses("DELETE a").remove(0) else { panic!() };
    assert!(!d.detach);
}

#[test]
fn call_forms() {
    let Clause::Call(c) = clauses("CALL db.labels() YIELD label AS l, x WHERE l = 'A' RETURN l").remove(0) else {
        panic!()
    };
    assert_eq!(c.name.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["db", "labels"]);
    assert_eq!(c.args, Some(Vec::new()));
    let yields = c.yields.unwrap();
    assert_eq!((yields[0].field.name.as_str(), yields[0].alias.as_ref().unwrap().name.as_str()), ("label", "l"));
    assert!(c.where_.is_some());

    let Clause::Call(c) = clauses("CALL test.my.proc").remove(0) else { panic!() };
    assert_eq!((c.args, c.yields, c.yield_star), (None, None, false));
    let Clause::Call(c) = clauses("CALL test.my.proc(1, 'a') YIELD *").remove(0) else { panic!() };
    assert_eq!((c.args.map(|a| a.len()), c.yields, c.yield_star), (Some(2), None, true));
}

#[test]
fn yield_star_only_in_standalone_call() {
    let e = error("CALL p() YIELD * RETURN x");
    assert_eq!((e.detail, e.column), ("UnexpectedSyntax", 1));
    assert!(e.message.contains("standalone"), "{e}");
    assert!(parse("MATCH (n) CALL p() YIELD *").is_err());
}

#[test]
fn union() {
    let q = parsed("RETURN 1 AS a UNION RETURN 2 AS a UNION ALL RETURN 3 AS a").query;
    assert_eq!(q.unions.iter().map(|(all, _)| *all).collect::<Vec<_>>(), [false, true]);
}

#[test]
fn explain_and_semicolon() {
    let s = parsed("EXPLAIN MATCH (n) RETURN n;");
    assert!(s.explain);
    assert_eq!(print(&s), "EXPLAIN MATCH (n) RETURN n");
    assert!(!parsed("RETURN 1").explain);
}

#[test]
fn comments_and_whitespace() {
    let q = "MATCH (n) // to the end of the line\n\t/* a\nblock */ RETURN /**/ n";
    assert_eq!(canonical(q), "MATCH (n) RETURN n");
}

#[test]
fn keywords_are_case_insensitive_names_are_not() {
    assert_eq!(canonical("match (N) where n.x Is Not Null return N"), "MATCH (N) WHERE n.x IS NOT NULL RETURN N");
}

#[test]
fn keywords_as_labels_keys_and_types() {
    let q = "MATCH (n:Match {match: 1})-[:Return]->() RETURN n.count, n.end, {return: 1, null: 2}, n {.as}";
    assert_eq!(canonical(q), q);
}

#[test]
fn reserved_words_cannot_be_variables() {
    let e = error("MATCH (match) RETURN 1");
    assert_eq!((e.line, e.column), (1, 8));
    assert_eq!(
        e.message,
        "expected a variable but found `match`, which is reserved: back-quote it to use it as a name"
    );
    assert!(parse("RETURN 1 AS end").is_err());
    assert!(parse("WITH 1 AS x UNWIND x AS in RETURN 1").is_err());
    assert_eq!(canonical("MATCH (`match`) RETURN `match` AS `end`"), "MATCH (`match`) RETURN `match` AS `end`");
    // Not reserved in openCypher.
    assert_eq!(
        canonical("MATCH (count) RETURN count, any, none, single"),
        "MATCH (count) RETURN count, any, none, single"
    );
}

// ---- Patterns ----

fn rels(q: &str) -> Vec<RelPattern> {
    let Clause::Match(m) = clauses(q).remove(0) else { panic!() };
    m.pattern.into_iter().flat_map(|p| p.element.chain.into_iter().map(|(r, _)| r)).collect()
}

#[test]
fn relationship_directions() {
    let directions: Vec<Direction> =
        rels("MATCH (a)-->(b), (a)<--(b), (a)--(b), (a)<-->(b), (a)-[r]->(b), (a)<-[r]-(b), (a)-[r]-(b)")
            .iter()
            .map(|r| r.direction)
            .collect();
    use Direction::*;
    assert_eq!(directions, [Outgoing, Incoming, Both, Both, Outgoing, Incoming, Both]);
}

#[test]
fn variable_lengths() {
    let lengths: Vec<Option<(Option<u64>, Option<u64>)>> = rels(
        "MATCH (a)-[*]->(), (a)-[*2]->(), (a)-[*2..]->(), (a)-[*..5]->(), (a)-[*2..5]->(), (a)-[*..]->(), (a)-->()",
    )
    .iter()
    .map(|r| r.length.map(|l| (l.min, l.max)))
    .collect();
    assert_eq!(
        lengths,
        [
            Some((None, None)),
            Some((Some(2), Some(2))),
            Some((Some(2), None)),
            Some((None, Some(5))),
            Some((Some(2), Some(5))),
            Some((None, None)),
            None
        ]
    );
}

#[test]
fn relationship_types_and_properties() {
    let r = rels("MATCH (a)-[r:T|:U|V *1..3 {k: 1}]->(b)").remove(0);
    assert_eq!(r.var.unwrap().name, "r");
    assert_eq!(r.types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["T", "U", "V"]);
    assert!(r.props.is_some());
    assert_eq!(canonical("MATCH (a)-[r:T|:U|V *1..3 {k: 1}]->(b)"), "MATCH (a)-[r:T|U|V*1..3 {k: 1}]->(b)");
}

#[test]
fn invalid_relationship_patterns() {
    for q in ["MATCH (a)-[:LIKES..]->(c) RETURN c", "MATCH (a)-[:LIKES*-2]->(c) RETURN c"] {
        assert_eq!(error(q).detail, "InvalidRelationshipPattern", "{q}");
    }
}

#[test]
fn path_variables_and_shortest_paths() {
    let Clause::Match(m) =
        clauses("MATCH p = (a)-->(b), q = shortestPath((a)-[*]-(b)), allShortestPaths((a)-[*]-(b))").remove(0)
    else {
        panic!()
    };
    let parts: Vec<(Option<&str>, Option<ShortestKind>)> =
        m.pattern.iter().map(|p| (p.var.as_ref().map(|v| v.name.as_str()), p.shortest)).collect();
    assert_eq!(
        parts,
        [(Some("p"), None), (Some("q"), Some(ShortestKind::Shortest)), (None, Some(ShortestKind::AllShortest))]
    );
    assert_eq!(m.pattern[1].span, Span { start: 21, end: 50 });
}

#[test]
fn parenthesized_pattern_element() {
    assert_eq!(canonical("MATCH ((a)-->(b)) RETURN a"), "MATCH (a)-->(b) RETURN a");
}

#[test]
fn node_patterns() {
    let q = "MATCH (), (a), (:A), (a:A:B), ({k: 1}), (a {k: 1}), (a:A $p) RETURN a";
    assert_eq!(canonical(q), q);
}

// ---- Expressions and precedence ----

#[test]
fn arithmetic_precedence() {
    assert_eq!(sx_of("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(sx_of("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    assert_eq!(sx_of("1 - 2 - 3"), "(- (- 1 2) 3)");
    assert_eq!(sx_of("2 * 3 % 4 / 5"), "(/ (% (* 2 3) 4) 5)");
    assert_eq!(sx_of("2 ^ 3 ^ 2"), "(^ (^ 2 3) 2)");
}

#[test]
fn unary_minus_binds_tighter_than_power() {
    assert_eq!(sx_of("-2 ^ 2"), "(^ -2 2)");
    assert_eq!(sx_of("-a ^ 2"), "(^ (- a) 2)");
    assert_eq!(sx_of("-(2 ^ 2)"), "(- (^ 2 2))");
    assert_eq!(sx_of("- -a"), "(- (- a))");
    assert_eq!(sx_of("+a * -b"), "(* (+ a) (- b))");
}

#[test]
fn boolean_precedence() {
    assert_eq!(sx_of("NOT a = b"), "(NOT (cmp a = b))");
    assert_eq!(sx_of("a OR b AND c"), "(OR a (AND b c))");
    assert_eq!(sx_of("a OR b XOR c AND d"), "(OR a (XOR b (AND c d)))");
    assert_eq!(sx_of("a AND NOT b OR c"), "(OR (AND a (NOT b)) c)");
    assert_eq!(sx_of("NOT NOT a"), "(NOT (NOT a))");
    assert_eq!(sx_of("a IS NULL AND b"), "(AND (IS NULL a) b)");
}

#[test]
fn comparison_chains() {
    assert_eq!(sx_of("1 < 2 <= 3 <> 4"), "(cmp 1 < 2 <= 3 <> 4)");
    assert_eq!(sx_of("(1 < 2) < 3"), "(cmp (cmp 1 < 2) < 3)");
    assert_eq!(canonical("RETURN (1 < 2) < 3, 1 < (2 < 3)"), "RETURN (1 < 2) < 3, 1 < (2 < 3)");
    assert_eq!(sx_of("a = b >= c > d"), "(cmp a = b >= c > d)");
}

#[test]
fn predicates_bind_tighter_than_comparisons() {
    assert_eq!(sx_of("a + b IN c"), "(IN (+ a b) c)");
    assert_eq!(sx_of("a = b IS NULL"), "(cmp a = (IS NULL b))");
    assert_eq!(sx_of("a STARTS WITH 'x' = true"), "(cmp (STARTS WITH a 'x') = true)");
    assert_eq!(sx_of("a ENDS WITH b CONTAINS c"), "(CONTAINS (ENDS WITH a b) c)");
    assert_eq!(sx_of("a =~ 'x' IS NOT NULL"), "(IS NOT NULL (=~ a 'x'))");
    assert_eq!(sx_of("a IN b IN c"), "(IN (IN a b) c)");
}

#[test]
fn postfix_operators() {
    assert_eq!(sx_of("n.a.b"), "(. (. n a) b)");
    assert_eq!(sx_of("-n.a"), "(- (. n a))");
    assert_eq!(sx_of("n.a:A:B"), "(: (. n a) A B)");
    assert_eq!(sx_of("(n:A).x"), "(. (: n A) x)");
    assert!(matches!(expr("l[0]").kind, ExprKind::Index(..)));
    for (q, from, to) in
        [("l[1..2]", true, true), ("l[..2]", false, true), ("l[1..]", true, false), ("l[..]", false, false)]
    {
        let ExprKind::Slice(_, f, t) = expr(q).kind else { panic!("{q}") };
        assert_eq!((f.is_some(), t.is_some()), (from, to), "{q}");
    }
    assert_eq!(
        canonical("RETURN l[0][1], l[1..][..2], {a: 1}.a, [1, 2][0]"),
        "RETURN l[0][1], l[1..][..2], {a: 1}.a, [1, 2][0]"
    );
}

#[test]
fn printer_adds_only_needed_parentheses() {
    for (q, printed) in [
        ("RETURN ((a)) + (((b * c)))", "RETURN a + b * c"),
        ("RETURN (a + b) * c, a * (b + c), (a * b) + c", "RETURN (a + b) * c, a * (b + c), a * b + c"),
        ("RETURN 1 - (2 - 3), (1 - 2) - 3", "RETURN 1 - (2 - 3), 1 - 2 - 3"),
        ("RETURN 2 ^ (3 ^ 2), (-2) ^ 2", "RETURN 2 ^ (3 ^ 2), -2 ^ 2"),
        ("RETURN NOT (a AND b), (NOT a) AND b", "RETURN NOT (a AND b), NOT a AND b"),
        ("RETURN (a OR b) AND c, -(a + b), (-a).b", "RETURN (a OR b) AND c, -(a + b), (-a).b"),
        ("RETURN (a IS NULL) IS NULL, (a = b) IS NULL", "RETURN a IS NULL IS NULL, (a = b) IS NULL"),
    ] {
        assert_eq!(canonical(q), printed, "{q}");
        assert_round_trip(q);
    }
}

// ---- Literals ----

fn literal(e: &str) -> Literal {
    match expr(e).kind {
        ExprKind::Literal(l) => l,
        k => panic!("{e}: {k:?}"),
    }
}

#[test]
fn null_and_booleans() {
    assert_eq!(literal("null"), Literal::Null);
    assert_eq!(literal("NULL"), Literal::Null);
    assert_eq!(literal("true"), Literal::Boolean(true));
    assert_eq!(literal("False"), Literal::Boolean(false));
    assert_eq!(canonical("RETURN NULL, TRUE, FALSE"), "RETURN null, true, false");
}

#[test]
fn integers() {
    for (text, value) in [
        ("0", 0),
        ("123", 123),
        ("0x1F", 31),
        ("0xff", 255),
        ("0o17", 15),
        ("-5", -5),
        ("9223372036854775807", i64::MAX),
        ("-9223372036854775808", i64::MIN),
        ("-0x8000000000000000", i64::MIN),
        ("-0o1000000000000000000000", i64::MIN),
        ("- 1", -1),
    ] {
        assert_eq!(literal(text), Literal::Integer(value), "{text}");
    }
    assert_eq!(canonical("RETURN 0x10, -9223372036854775808"), "RETURN 16, -9223372036854775808");
}

#[test]
fn integer_overflow() {
    for (q, column) in [
        ("RETURN 9223372036854775808", 8),
        ("RETURN -9223372036854775809", 9),
        ("RETURN 0x8000000000000000", 8),
        ("RETURN -0x8000000000000001", 9),
        ("RETURN 99999999999999999999999", 8),
        ("RETURN -(9223372036854775808)", 10),
    ] {
        let e = error(q);
        assert_eq!((e.detail, e.column), ("IntegerOverflow", column), "{q}: {e}");
    }
}

#[test]
fn negation_of_a_parenthesized_literal_stays_a_negation() {
    assert_eq!(sx_of("-(1)"), "(- 1)");
    assert_eq!(canonical("RETURN -(1), - -1, -(-1.5), --a, -+a"), "RETURN -(1), - -1, - -1.5, - -a, - +a");
    assert_round_trip("RETURN -(1), - -1, -(-1.5), -1 .x");
}

#[test]
fn floats() {
    for (text, value) in [
        ("1.5", 1.5),
        (".5", 0.5),
        ("1e9", 1e9),
        ("1E-3", 1e-3),
        (".1e-5", 0.1e-5),
        ("2.5e+2", 250.0),
        ("-1.5", -1.5),
        ("123456789e300", 123456789e300),
    ] {
        assert_eq!(literal(text), Literal::Float(value), "{text}");
    }
    assert!(matches!(literal("-0.0"), Literal::Float(f) if f == 0.0 && f.is_sign_negative()));
    assert_eq!(canonical("RETURN 1.0, 1e300, .25, -0.0, 1e-7"), "RETURN 1.0, 1e300, 0.25, -0.0, 1e-7");
    assert_eq!(error("RETURN 1.34E999").detail, "FloatingPointOverflow");
}

#[test]
fn invalid_number_literals() {
    for q in ["RETURN 12abc", "RETURN 0x", "RETURN 0xZZ", "RETURN 0o8", "RETURN 1e", "RETURN 0123", "RETURN 1.5x"] {
        assert_eq!(error(q).detail, "InvalidNumberLiteral", "{q}");
    }
    // Where no number can stand, a malformed one is just unexpected.
    assert_eq!(error("RETURN {1B2c3e67: 1}").detail, "UnexpectedSyntax");
}

#[test]
fn strings_and_escapes() {
    let escapes = r#"RETURN 'a\\b\'c\"d\ne\rf\tg\bh\fi\u00e9\U0001F600\N\T'"#;
    assert_eq!(literal(&escapes[7..]), Literal::String("a\\b'c\"d\ne\rf\tg\u{8}h\u{c}ié😀\n\t".into()));
    assert_eq!(literal(r#""it's""#), Literal::String("it's".into()));
    assert_eq!(literal("''"), Literal::String(String::new()));
    assert_eq!(literal(r"'\uD83D\uDE00'"), Literal::String("😀".into()), "a UTF-16 surrogate pair");
    assert_eq!(literal("'multi\nline'"), Literal::String("multi\nline".into()));
    assert_eq!(canonical(escapes), r#"RETURN 'a\\b\'c"d\ne\rf\tg\bh\fié😀\n\t'"#);
    assert_eq!(canonical(r#"RETURN "x'y", '\u0001'"#), r"RETURN 'x\'y', '\u0001'");
}

#[test]
fn invalid_strings() {
    for (q, detail) in [
        (r"RETURN '\uH'", "InvalidUnicodeLiteral"),
        (r"RETURN '\u12'", "InvalidUnicodeLiteral"),
        (r"RETURN '\uD800'", "InvalidUnicodeLiteral"),
        (r"RETURN '\uD800\u0041'", "InvalidUnicodeLiteral"),
        (r"RETURN '\uDE00'", "InvalidUnicodeLiteral"),
        (r"RETURN '\U00110000'", "InvalidUnicodeLiteral"),
        (r"RETURN '\q'", "UnexpectedSyntax"),
        ("RETURN 'open", "UnexpectedSyntax"),
        (r"RETURN 'open\", "UnexpectedSyntax"),
    ] {
        assert_eq!(error(q).detail, detail, "{q}");
    }
    assert_eq!(error("RETURN 'open").message, "unterminated string literal");
}

#[test]
fn unexpected_characters() {
    let e = error("RETURN 42 — 41");
    assert_eq!((e.detail, e.column), ("InvalidUnicodeCharacter", 11));
    assert_eq!(e.message, "unexpected character `—` (U+2014)");
    let e = error("RETURN 9223372#54775808");
    assert_eq!((e.detail, e.message.as_str()), ("UnexpectedSyntax", "unexpected character `#`"));
}

#[test]
fn parameters() {
    assert_eq!(expr("$name").kind, ExprKind::Parameter("name".into()));
    assert_eq!(expr("$0").kind, ExprKind::Parameter("0".into()));
    assert_eq!(expr("$`a b`").kind, ExprKind::Parameter("a b".into()));
    assert_eq!(canonical("RETURN $name, $0, $`a b`"), "RETURN $name, $0, $`a b`");
    assert!(parse("RETURN $").is_err());
}

#[test]
fn quoted_names() {
    assert_eq!(expr("`a``b`").kind, ExprKind::Variable("a`b".into()));
    assert_eq!(
        canonical("MATCH (`a b`:`L-1`) RETURN `a b`.`k k`, `a b`.ok"),
        "MATCH (`a b`:`L-1`) RETURN `a b`.`k k`, `a b`.ok"
    );
    assert_eq!(canonical("RETURN `plain`, `1x`, `é`"), "RETURN plain, `1x`, é");
    assert!(parse("RETURN `open").is_err());
}

#[test]
fn lists_and_maps() {
    assert_eq!(
        canonical("RETURN [], [1, [2, []]], {}, {a: {b: [1]}}, {`a b`: 1}"),
        "RETURN [], [1, [2, []]], {}, {a: {b: [1]}}, {`a b`: 1}"
    );
    for q in
        ["RETURN [, ]", "RETURN [[[]]", "RETURN [1 2]", "RETURN {, }", "RETURN {1}", "RETURN {a}", "RETURN {k1.k: 1}"]
    {
        assert_eq!(error(q).detail, "UnexpectedSyntax", "{q}");
    }
}

#[test]
fn function_calls() {
    let ExprKind::FunctionCall { name, distinct, args } = expr("apoc.coll.sum(DISTINCT [1], 2)").kind else { panic!() };
    assert_eq!(name.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["apoc", "coll", "sum"]);
    assert!(distinct);
    assert_eq!(args.len(), 2);
    assert_eq!(expr("count(*)").kind, ExprKind::CountStar);
    assert!(matches!(expr("COUNT(n)").kind, ExprKind::FunctionCall { .. }));
    assert_eq!(
        canonical("RETURN f(), Exists(n.x), `my fn`(1), date.truncate('day', d), count(DISTINCT n)"),
        "RETURN f(), Exists(n.x), `my fn`(1), date.truncate('day', d), count(DISTINCT n)"
    );
    // Functions named like special forms keep their quotes.
    assert!(matches!(expr("`any`(x IN l)").kind, ExprKind::FunctionCall { .. }));
    let q = "RETURN `any`(x IN l), `reduce`(a = 1, b), any.x(y IN l), `exists`(1)";
    assert_eq!(canonical(q), "RETURN `any`(x IN l), `reduce`(a = 1, b), any.x(y IN l), exists(1)");
    assert_round_trip(q);
}

#[test]
fn case_expressions() {
    let ExprKind::Case { operand, whens, else_ } = expr("CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END").kind
    else {
        panic!()
    };
    assert!(operand.is_some() && else_.is_some());
    assert_eq!(whens.len(), 2);
    let ExprKind::Case { operand, else_, .. } = expr("case when a then 1 end").kind else { panic!() };
    assert!(operand.is_none() && else_.is_none());
    assert!(parse("RETURN CASE x END").is_err());
}

#[test]
fn list_comprehensions() {
    for (q, filter, map) in [
        ("[x IN l]", false, false),
        ("[x IN l WHERE x > 1]", true, false),
        ("[x IN l | x * 2]", false, true),
        ("[x IN l WHERE x > 1 | x * 2]", true, true),
    ] {
        let ExprKind::ListComprehension { filter: f, map: m, .. } = expr(q).kind else { panic!("{q}") };
        assert_eq!((f.is_some(), m.is_some()), (filter, map), "{q}");
        assert_eq!(canonical(&format!("RETURN {q}")), format!("RETURN {q}"));
    }
}

#[test]
fn pattern_comprehensions() {
    let ExprKind::PatternComprehension { var, filter, .. } = expr("[p = (a)-->(b) WHERE b.x | p]").kind else {
        panic!()
    };
    assert!(var.is_some() && filter.is_some());
    assert!(matches!(expr("[(a)-[:T]->(b {k: 1}) | b]").kind, ExprKind::PatternComprehension { var: None, .. }));
    // Lists that merely start like one.
    assert!(matches!(expr("[(a)]").kind, ExprKind::List(_)));
    assert!(matches!(expr("[p = 1]").kind, ExprKind::List(_)));
    assert!(matches!(expr("[(a) - 1]").kind, ExprKind::List(_)));
}

#[test]
fn quantifiers() {
    for (q, kind) in
        [("all", Quantifier::All), ("ANY", Quantifier::Any), ("none", Quantifier::None), ("single", Quantifier::Single)]
    {
        let ExprKind::Quantifier { kind: k, filter, .. } = expr(&format!("{q}(x IN l WHERE x)")).kind else { panic!() };
        assert_eq!(k, kind);
        assert!(filter.is_some());
    }
    assert!(matches!(expr("any(x IN l)").kind, ExprKind::Quantifier { filter: None, .. }));
    // Not quantifiers: a call to a function that happens to be named `any`.
    assert!(matches!(expr("any(1)").kind, ExprKind::FunctionCall { .. }));
}

#[test]
fn reduce() {
    let ExprKind::Reduce { acc, var, .. } = expr("reduce(s = 0, x IN [1, 2] | s + x)").kind else { panic!() };
    assert_eq!((acc.name.as_str(), var.name.as_str()), ("s", "x"));
}

#[test]
fn exists_subqueries() {
    let q = "MATCH (n) WHERE EXISTS { MATCH (n)-->(m) WHERE m.x = 1 RETURN m } RETURN n";
    let Clause::Match(m) = clauses(q).remove(0) else { panic!() };
    let ExprKind::Exists(sub) = m.where_.unwrap().kind else { panic!() };
    assert!(matches!(*sub, ExistsSubquery::Query(_)));
    let Clause::Match(m) = clauses("MATCH (n) WHERE exists { (n)-->(m), (m)-->() WHERE m.x = 1 } RETURN n").remove(0)
    else {
        panic!()
    };
    let ExprKind::Exists(sub) = m.where_.unwrap().kind else { panic!() };
    assert!(matches!(*sub, ExistsSubquery::Pattern { ref pattern, where_: Some(_) } if pattern.len() == 2));
    assert_eq!(canonical(q), q);
}

#[test]
fn pattern_predicates_only_in_where() {
    let Clause::Match(m) = clauses("MATCH (n) WHERE (n)-->() AND NOT (n)<-[:T]-(:A) RETURN n").remove(0) else {
        panic!()
    };
    assert_eq!(sx(m.where_.as_ref().unwrap()), "(AND (n)-->() (NOT (n)<-[:T]-(:A)))");
    for q in
        ["MATCH (n) RETURN (n)-->()", "MATCH (n) WITH (n)-->() AS x RETURN x", "MATCH (n) SET n.x = size((n)-->())"]
    {
        let e = error(q);
        assert_eq!(e.detail, "UnexpectedSyntax", "{q}");
        assert!(e.message.contains("only be used as a predicate in WHERE"), "{e}");
    }
    // A parenthesized expression that merely starts like a pattern.
    assert_eq!(sx_of("(a) - 1"), "(- a 1)");
    assert_eq!(sx_of("(a) < -1"), "(cmp a < -1)");
}

#[test]
fn map_projections() {
    let ExprKind::MapProjection { var, items } = expr("n {.a, b: 1, c, .*}").kind else { panic!() };
    assert_eq!(var.name, "n");
    assert!(matches!(
        items.as_slice(),
        [
            MapProjectionItem::Property(_),
            MapProjectionItem::Literal(..),
            MapProjectionItem::Variable(_),
            MapProjectionItem::AllProperties
        ]
    ));
    assert_eq!(canonical("RETURN n{.a,b:1,c,.*}, n {}"), "RETURN n {.a, b: 1, c, .*}, n {}");
}

#[test]
fn unicode_names() {
    assert_eq!(canonical("MATCH (ñandú:Étiqueta) RETURN ñandú.größe"), "MATCH (ñandú:Étiqueta) RETURN ñandú.größe");
}

// ---- Spans and column names ----

fn column_names(q: &str) -> Vec<String> {
    let Clause::Return(p) = clauses(q).pop().unwrap() else { panic!() };
    p.items.iter().map(|item| q[item.expr.span.start..item.expr.span.end].to_string()).collect()
}

#[test]
fn column_names_are_source_text() {
    assert_eq!(
        column_names(
            "MATCH (n) RETURN count(*), n.name, a + 1, (a + 1), -1, 'x',  a  +  /* c */ 1 , n:A, x[1..2] AS y"
        ),
        ["count(*)", "n.name", "a + 1", "(a + 1)", "-1", "'x'", "a  +  /* c */ 1", "n:A", "x[1..2]"]
    );
    assert_eq!(
        column_names(
            "RETURN CASE WHEN true THEN 1 END, [x IN l | x], n {.a}, exists { (a)-->() }, a IS NOT NULL, NOT a"
        ),
        ["CASE WHEN true THEN 1 END", "[x IN l | x]", "n {.a}", "exists { (a)-->() }", "a IS NOT NULL", "NOT a"]
    );
    assert_eq!(column_names("RETURN\n  a\n    + 1 ,\n `b`"), ["a\n    + 1", "`b`"]);
}

#[test]
fn nested_spans() {
    let e = expr("1 + f(x.y, [2])");
    let ExprKind::Binary(_, _, call) = &e.kind else { panic!() };
    let ExprKind::FunctionCall { args, .. } = &call.kind else { panic!() };
    assert_eq!(
        (e.span, call.span, args[0].span, args[1].span),
        (
            Span { start: 7, end: 22 },
            Span { start: 11, end: 22 },
            Span { start: 13, end: 16 },
            Span { start: 18, end: 21 }
        )
    );
}

// ---- Errors ----

#[test]
fn missing_closing_parenthesis() {
    let e = error("MATCH (a RETURN a");
    assert_eq!(e.message, "expected `)` but found `RETURN`");
    assert_eq!((e.offset, e.line, e.column, e.detail), (9, 1, 10, "UnexpectedSyntax"));
    assert_eq!(e.to_string(), "expected `)` but found `RETURN` (line 1, column 10)");
}

#[test]
fn missing_operand() {
    let e = error("RETURN 1 +");
    assert_eq!(e.message, "expected an expression but found end of input");
    assert_eq!((e.offset, e.column), (10, 11));
}

#[test]
fn unterminated_pattern() {
    let e = error("CREATE (a)-[:T]-(b");
    assert_eq!(e.message, "expected `)` but found end of input");
    assert_eq!(e.column, 19);
}

#[test]
fn unknown_clause() {
    let e = error("MATCH (n)\nFETCH n");
    assert_eq!(e.message, "expected a clause (MATCH, RETURN, CREATE, ...) or end of input but found `FETCH`");
    assert_eq!((e.line, e.column), (2, 1));
    assert_eq!(error("SELECT * FROM t").message, "expected a clause (MATCH, RETURN, CREATE, ...) but found `SELECT`");
    assert_eq!(error("").message, "expected a clause (MATCH, RETURN, CREATE, ...) but found end of input");
}

#[test]
fn error_position_in_multi_line_query() {
    let e = error("MATCH (n)\nWHERE n.name = \n  RETURN n");
    assert_eq!(e.message, "expected an expression but found `RETURN`");
    assert_eq!((e.line, e.column, e.offset), (3, 3, 28));
}

#[test]
fn columns_count_characters() {
    let e = error("RETURN 'é😀', )");
    assert_eq!((e.column, e.offset), (14, 17));
}

#[test]
fn typical_mistakes() {
    for (q, message) in [
        ("UNWIND [1] x RETURN x", "expected `AS` but found `x`"),
        ("MATCH (n) RETURN n ORDER n", "expected `BY` but found `n`"),
        ("MATCH (n) RETURN n.", "expected a property key but found end of input"),
        ("MATCH (n) WHERE RETURN n", "expected an expression but found `RETURN`"),
        ("MATCH (n)-[r:]->(m) RETURN n", "expected a relationship type but found `]`"),
        ("MATCH (n:) RETURN n", "expected a label but found `)`"),
        ("RETURN a STARTS 'x'", "expected `WITH` but found `'x'`"),
        ("RETURN a IS NOT 1", "expected `NULL` but found `1`"),
        ("MERGE (n) ON DELETE SET n.x = 1", "expected `CREATE` or `MATCH` but found `DELETE`"),
        ("RETURN [1, 2", "expected `,` or `]` but found end of input"),
        ("RETURN f(1", "expected `,` or `)` but found end of input"),
        ("MATCH (n) WHERE (n)-[:R]->(m RETURN n", "expected `)` but found `RETURN`"),
        ("MATCH (n) WHERE (n.x = 1 RETURN n", "expected `)` but found `RETURN`"),
        ("RETURN (1, 2)", "expected `)` but found `,`"),
        ("MATCH (a)->(b) RETURN a", "expected `-` but found `>`"),
        ("RETURN CASE WHEN x THEN 1", "expected `END` but found end of input"),
        ("RETURN reduce(a = 0, x IN l)", "expected `|` but found `)`"),
        ("RETURN 1 2", "expected a clause (MATCH, RETURN, CREATE, ...) or end of input but found `2`"),
    ] {
        assert_eq!(error(q).message, message, "{q}");
    }
}

#[test]
fn lexical_errors_point_at_the_bad_token() {
    assert_eq!(error("RETURN 1 /* open").column, 10);
    assert_eq!(error("RETURN `open").message, "unterminated quoted name: missing closing back-quote");
}

// ---- Depth and performance ----

/// A query nesting one construct `n` levels deep.
type Nesting = (&'static str, fn(usize) -> String);

fn wrap(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

const NESTINGS: [Nesting; 19] = [
    ("parentheses", |n| format!("RETURN {}", wrap("(", "1", ")", n))),
    ("lists", |n| format!("RETURN {}", wrap("[", "1", "]", n))),
    ("maps", |n| format!("RETURN {}", wrap("{k: ", "1", "}", n))),
    ("function calls", |n| format!("RETURN {}", wrap("f(", "1", ")", n))),
    ("subscripts", |n| format!("RETURN {}", wrap("x[", "1", "]", n))),
    ("sums", |n| format!("RETURN {}", wrap("1 + (", "1", ")", n))),
    ("CASE", |n| format!("RETURN {}", wrap("CASE WHEN true THEN ", "1", " END", n))),
    ("list comprehensions", |n| format!("RETURN {}", wrap("[x IN ", "l", " | x]", n))),
    ("quantifiers", |n| format!("RETURN {}", wrap("all(x IN ", "l", " WHERE x)", n))),
    ("reduce", |n| format!("RETURN {}", wrap("reduce(a = 0, x IN ", "l", " | a)", n))),
    ("map projections", |n| format!("RETURN {}", wrap("n {k: ", "1", "}", n))),
    ("pattern comprehensions", |n| format!("RETURN {}", wrap("[(a)-->(b {k: ", "1", "}) | b]", n))),
    ("EXISTS", |n| format!("MATCH (a) WHERE {} RETURN a", wrap("EXISTS { MATCH (a) WHERE ", "true", " }", n))),
    ("pattern predicates", |n| format!("MATCH (a) WHERE {} RETURN a", wrap("(a)-->({k: ", "1", "})", n))),
    ("pattern elements", |n| format!("MATCH {} RETURN a", wrap("(", "(a)", ")", n))),
    ("NOT", |n| format!("RETURN {}", wrap("NOT (", "true", ")", n))),
    ("unary minus", |n| format!("RETURN {}", wrap("-", "1", "", n))),
    ("OR chains", |n| format!("RETURN a{}", " OR a".repeat(n))),
    ("property chains", |n| format!("RETURN a{}", ".b".repeat(n))),
];

/// The deepest nesting of a construct that parses.
fn deepest(make: fn(usize) -> String) -> usize {
    (1..=MAX_DEPTH + 1).take_while(|&n| parse(&make(n)).is_ok()).last().unwrap_or(0)
}

#[test]
fn ten_thousand_nested_parentheses_and_lists_fail_fast_without_overflow() {
    for (open, close) in [("(", ")"), ("[", "]")] {
        let q = format!("RETURN {}", wrap(open, "1", close, 10_000));
        let started = Instant::now();
        let e = on_small_stack(move || parse(&q)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
        assert_eq!(e.detail, "NestingTooDeep");
        assert_eq!(e.message, format!("query nested too deeply (more than {MAX_DEPTH} levels)"));
    }
}

#[test]
fn every_construct_is_bounded_and_fits_a_small_stack() {
    on_small_stack(|| {
        for (name, make) in NESTINGS {
            let max = deepest(make);
            assert!(max >= 20, "{name}: only {max} levels");
            // The deepest accepted tree survives printing, reparsing and dropping.
            let stmt = parse(&make(max)).unwrap();
            assert_eq!(shape(&parse(&print(&stmt)).unwrap()), shape(&stmt), "{name}");
            let e = parse(&make(10_000)).unwrap_err();
            assert_eq!(e.detail, "NestingTooDeep", "{name}: {e}");
        }
    });
}

/// Measures the parser's stack use per nesting level of each construct, the figures behind
/// [`MAX_DEPTH`]; optimized builds must stay within 256 KiB at the deepest accepted nesting.
#[test]
fn stack_use_per_level() {
    use super::parser::stack_probe;
    let mut worst = 0;
    for (name, make) in NESTINGS {
        let max = deepest(make);
        let stack_at = |n: usize| {
            stack_probe::take();
            let base = stack_probe::here();
            parse(&make(n)).unwrap();
            base.saturating_sub(stack_probe::take())
        };
        let (half, full) = (stack_at(max / 2), stack_at(max));
        let per_level = full.saturating_sub(half) / (max - max / 2);
        eprintln!("{name:>24}: {max:>3} levels, {per_level:>5} B/level, {full:>6} B at the deepest");
        worst = worst.max(full);
    }
    if !cfg!(debug_assertions) {
        assert!(worst < 256 << 10, "{worst} bytes of stack at the deepest nesting");
    }
}

#[test]
fn long_operator_chains_count_as_depth() {
    assert!(parse(&format!("RETURN a{}", " + a".repeat(MAX_DEPTH - 2))).is_ok());
    assert_eq!(error(&format!("RETURN a{}", " + a".repeat(10_000))).detail, "NestingTooDeep");
}

#[test]
fn backtracking_stays_linear() {
    // Each level is parsed as a pattern first, then as an expression: without memoization the
    // work doubles with every level.
    let shapes: [fn(usize) -> String; 4] = [
        |n| format!("RETURN {}", wrap("(a {k: ", "1", "}) - 1", n)),
        |n| format!("MATCH (a) WHERE {} RETURN a", wrap("(a)-[{k: ", "1", "}] - 1", n)),
        |n| format!("RETURN {}", wrap("[(a {k: ", "1", "}) - 1]", n)),
        |n| format!("RETURN {}", wrap("[p = (a {k: ", "1", "}) - 1]", n)),
    ];
    for make in shapes {
        let q = make(deepest(make));
        let started = Instant::now();
        parse(&q).unwrap();
        assert!(started.elapsed() < Duration::from_millis(500), "{q}: took {:?}", started.elapsed());
    }
}

// ---- Round trips ----

/// Queries covering every clause and expression form.
const CORPUS: [&str; 16] = [
    "MATCH (a:A {x: 1})-[r:T|:U *1..3]->(b) WHERE a.x = 1 AND (a)-->(b) RETURN a, count(*) AS c ORDER BY c DESC SKIP 1 LIMIT 2",
    "OPTIONAL MATCH p = shortestPath((a)-[*..5]-(b)) RETURN nodes(p)",
    "UNWIND $list AS x WITH x, x * 2 AS y WHERE y > 2 RETURN DISTINCT x, y",
    "MERGE (n:A {id: 1}) ON CREATE SET n.created = timestamp() ON MATCH SET n.seen = n.seen + 1 RETURN n",
    "MATCH (n) SET n += {a: 1}, n:B REMOVE n.c, n:C DETACH DELETE n",
    "CALL db.index.fulltext.queryNodes('idx', 'text') YIELD node, score WHERE score > 1 RETURN node",
    "RETURN -9223372036854775808, 0x7FFFFFFFFFFFFFFF, 1.5e-10, 'quote \\' and \\\\ and \\n', \"dq\"",
    "RETURN [x IN range(1, 10) WHERE x % 2 = 0 | x ^ 2], [(a)-->(b) WHERE b.x | b.y], {a: [1, {b: null}]}",
    "RETURN all(x IN l WHERE x > 0), reduce(s = '', x IN l | s + x), CASE WHEN a THEN b ELSE c END",
    "MATCH (n) WHERE n:A:B AND n.name STARTS WITH 'x' AND NOT n.x IN [1, 2] AND n.y =~ '.*' RETURN n {.*, k: 1}",
    "MATCH (n) WHERE EXISTS { MATCH (n)-[:T]->(m:M) WHERE m.x IS NOT NULL } RETURN n.`weird key`",
    "RETURN 1 AS x UNION ALL RETURN 2 AS x UNION RETURN 3 AS x",
    "EXPLAIN CREATE (:A {k: -1})<-[:T {w: 0.5}]-(:B)",
    "RETURN a[1..2][0].b:C, (a + b)[0], -(-a), NOT NOT a, +a",
    "RETURN `a``b`, $`p p`, n.`k``k`, `f.g`(1)",
    "MATCH (a)<-[r*2..]-(b)-[*]-(c)-[:T*..3 {x: $p}]->(d) RETURN a",
];

#[test]
fn round_trips() {
    for q in CORPUS {
        assert_round_trip(q);
    }
}

/// A tiny deterministic pseudo-random generator (no dependencies needed).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize % n
    }
}

/// Parsing never panics, and whatever parses prints back to the same tree.
fn assert_robust(q: &str) {
    if let Ok(stmt) = parse(q) {
        let printed = print(&stmt);
        let again = parse(&printed).unwrap_or_else(|e| panic!("{q:?}\n=> {printed}\n{e}"));
        assert_eq!(shape(&again), shape(&stmt), "{q:?}\n=> {printed}");
    }
}

#[test]
fn mangled_queries_never_panic() {
    for q in CORPUS {
        for (at, c) in q.char_indices() {
            assert_robust(&q[..at]);
            assert_robust(&format!("{}{}", &q[..at], &q[at + c.len_utf8()..]));
        }
    }
}

#[test]
fn token_soup_never_panics() {
    const WORDS: [&str; 60] = [
        "MATCH", "OPTIONAL", "WHERE", "RETURN", "WITH", "UNWIND", "AS", "CREATE", "MERGE", "ON", "SET", "REMOVE",
        "DELETE", "DETACH", "CALL", "YIELD", "UNION", "ALL", "ORDER", "BY", "SKIP", "LIMIT", "AND", "OR", "XOR", "NOT",
        "IN", "IS", "NULL", "STARTS", "ENDS", "CONTAINS", "CASE", "WHEN", "THEN", "ELSE", "END", "EXISTS", "count",
        "reduce", "any", "n", "m", "(", ")", "[", "]", "{", "}", ",", ".", "..", ":", "|", "=", "-", "->", "<-", "*",
        "+",
    ];
    const OTHERS: [&str; 12] = ["1", "-1", "2.5", "'s'", "$p", "`q`", "<", ">", "<>", "^", "%", "=~"];
    let mut rng = Lcg(7);
    for _ in 0..20_000 {
        let len = 1 + rng.below(24);
        let words: Vec<&str> = (0..len)
            .map(|_| if rng.below(5) == 0 { OTHERS[rng.below(OTHERS.len())] } else { WORDS[rng.below(WORDS.len())] })
            .collect();
        assert_robust(&words.join(" "));
    }
}

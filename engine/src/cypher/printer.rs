//! Printer: AST to canonical Cypher.
//!
//! Invariants: the output parses back to the same tree, spans aside. Keywords are upper-case;
//! `null`, `true`, `false` and function-like forms (`count(*)`, `all(..)`, `reduce(..)`,
//! `shortestPath(..)`) keep their conventional spelling; parentheses appear only where
//! precedence needs them; strings are single-quoted and re-escaped; names are back-quoted when
//! they would not lex as one word or, for variables, are reserved. Recursion follows the tree,
//! whose depth the parser bounds.

use std::fmt::Write;

use super::ast::*;
use super::syntax::{binary_syntax, compare_text, is_plain_name, is_reserved, names_special_form, Prec};

pub(super) fn statement(stmt: &Statement) -> String {
    let mut p = Printer::default();
    if stmt.explain {
        p.out.push_str("EXPLAIN ");
    }
    p.query(&stmt.query);
    p.out
}

pub(super) fn clause(c: &Clause) -> String {
    let mut p = Printer::default();
    p.clause(c);
    p.out
}

/// One hop of a pattern: `(a)-[r:T]->(b)`.
pub(super) fn hop(from: &NodePattern, rel: &RelPattern, to: &NodePattern) -> String {
    let mut p = Printer::default();
    p.node(from);
    p.relationship(rel);
    p.node(to);
    p.out
}

pub(super) fn node(n: &NodePattern) -> String {
    let mut p = Printer::default();
    p.node(n);
    p.out
}

pub(super) fn expression(e: &Expr) -> String {
    let mut p = Printer::default();
    p.expr(e);
    p.out
}

#[derive(Default)]
struct Printer {
    out: String,
}

impl Printer {
    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Prints `items` with `f`, separated by `sep`.
    fn list<T>(&mut self, items: &[T], sep: &str, mut f: impl FnMut(&mut Self, &T)) {
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                self.push(sep);
            }
            f(self, item);
        }
    }

    fn query(&mut self, q: &Query) {
        self.single_query(&q.first);
        for (all, single) in &q.unions {
            self.push(if *all { " UNION ALL " } else { " UNION " });
            self.single_query(single);
        }
    }

    fn single_query(&mut self, q: &SingleQuery) {
        self.list(&q.clauses, " ", Self::clause);
    }

    fn clause(&mut self, clause: &Clause) {
        match clause {
            Clause::Match(m) => {
                self.push(if m.optional { "OPTIONAL MATCH " } else { "MATCH " });
                self.pattern(&m.pattern);
                self.where_(m.where_.as_ref());
            }
            Clause::Unwind(u) => {
                self.push("UNWIND ");
                self.expr(&u.expr);
                self.push(" AS ");
                self.variable(&u.var.name);
            }
            Clause::With(p) => self.projection("WITH", p),
            Clause::Return(p) => self.projection("RETURN", p),
            Clause::Create(c) => {
                self.push("CREATE ");
                self.pattern(&c.pattern);
            }
            Clause::Merge(m) => {
                self.push("MERGE ");
                self.pattern_part(&m.pattern);
                for (word, items) in [(" ON CREATE SET ", &m.on_create), (" ON MATCH SET ", &m.on_match)] {
                    if !items.is_empty() {
                        self.push(word);
                        self.list(items, ", ", Self::set_item);
                    }
                }
            }
            Clause::Set(s) => {
                self.push("SET ");
                self.list(&s.items, ", ", Self::set_item);
            }
            Clause::Remove(r) => {
                self.push("REMOVE ");
                self.list(&r.items, ", ", Self::remove_item);
            }
            Clause::Delete(d) => {
                self.push(if d.detach { "DETACH DELETE " } else { "DELETE " });
                self.list(&d.exprs, ", ", Self::expr);
            }
            Clause::Call(c) => self.call(c),
            Clause::Schema(s) => self.schema(&s.command),
        }
    }

    fn schema(&mut self, s: &Schema) {
        match s {
            Schema::Show { constraints } => self.push(if *constraints { "SHOW CONSTRAINTS" } else { "SHOW INDEXES" }),
            Schema::Drop { constraint, name, if_exists } => {
                self.push(if *constraint { "DROP CONSTRAINT " } else { "DROP INDEX " });
                self.schema_name(&name.name);
                if *if_exists {
                    self.push(" IF EXISTS");
                }
            }
            Schema::Create { unique, name, if_not_exists, var, label, property } => {
                self.push(if *unique { "CREATE CONSTRAINT " } else { "CREATE INDEX " });
                if let Some(name) = name {
                    self.schema_name(&name.name);
                    self.push(" ");
                }
                if *if_not_exists {
                    self.push("IF NOT EXISTS ");
                }
                self.push("FOR (");
                self.variable(&var.name);
                self.labels(std::slice::from_ref(label));
                self.push(if *unique { ") REQUIRE " } else { ") ON (" });
                self.variable(&var.name);
                self.push(".");
                self.schema_name(&property.name);
                self.push(if *unique { " IS UNIQUE" } else { ")" });
            }
        }
    }

    fn where_(&mut self, e: Option<&Expr>) {
        if let Some(e) = e {
            self.push(" WHERE ");
            self.expr(e);
        }
    }

    fn projection(&mut self, word: &str, p: &Projection) {
        self.push(word);
        if p.distinct {
            self.push(" DISTINCT");
        }
        self.push(" ");
        if p.star {
            self.push(if p.items.is_empty() { "*" } else { "*, " });
        }
        self.list(&p.items, ", ", |s, item| {
            s.expr(&item.expr);
            if let Some(alias) = &item.alias {
                s.push(" AS ");
                s.variable(&alias.name);
            }
        });
        if !p.order_by.is_empty() {
            self.push(" ORDER BY ");
            self.list(&p.order_by, ", ", |s, item| {
                s.expr(&item.expr);
                if item.descending {
                    s.push(" DESC");
                }
            });
        }
        for (word, e) in [(" SKIP ", &p.skip), (" LIMIT ", &p.limit)] {
            if let Some(e) = e {
                self.push(word);
                self.expr(e);
            }
        }
        self.where_(p.where_.as_ref());
    }

    fn set_item(&mut self, item: &SetItem) {
        match item {
            SetItem::Property { target, key, value } => {
                self.property(target, key);
                self.push(" = ");
                self.expr(value);
            }
            SetItem::Replace { var, value } | SetItem::Merge { var, value } => {
                self.variable(&var.name);
                self.push(if matches!(item, SetItem::Replace { .. }) { " = " } else { " += " });
                self.expr(value);
            }
            SetItem::Labels { var, labels } => {
                self.variable(&var.name);
                self.labels(labels);
            }
        }
    }

    fn remove_item(&mut self, item: &RemoveItem) {
        match item {
            RemoveItem::Property { target, key } => self.property(target, key),
            RemoveItem::Labels { var, labels } => {
                self.variable(&var.name);
                self.labels(labels);
            }
        }
    }

    /// `target.key`
    fn property(&mut self, target: &Expr, key: &Ident) {
        self.expr_at(target, Prec::Postfix);
        self.push(".");
        self.schema_name(&key.name);
    }

    fn call(&mut self, c: &Call) {
        self.push("CALL ");
        self.list(&c.name, ".", |s, part| s.schema_name(&part.name));
        if let Some(args) = &c.args {
            self.push("(");
            self.list(args, ", ", Self::expr);
            self.push(")");
        }
        if c.yield_star {
            self.push(" YIELD *");
        }
        if let Some(items) = &c.yields {
            self.push(" YIELD ");
            self.list(items, ", ", |s, item| {
                s.schema_name(&item.field.name);
                if let Some(alias) = &item.alias {
                    s.push(" AS ");
                    s.variable(&alias.name);
                }
            });
        }
        self.where_(c.where_.as_ref());
    }

    fn pattern(&mut self, parts: &[PatternPart]) {
        self.list(parts, ", ", Self::pattern_part);
    }

    fn pattern_part(&mut self, part: &PatternPart) {
        if let Some(var) = &part.var {
            self.variable(&var.name);
            self.push(" = ");
        }
        let function = part.shortest.map(|kind| match kind {
            ShortestKind::Shortest => "shortestPath(",
            ShortestKind::AllShortest => "allShortestPaths(",
        });
        if let Some(function) = function {
            self.push(function);
        }
        self.pattern_element(&part.element);
        if function.is_some() {
            self.push(")");
        }
    }

    fn pattern_element(&mut self, element: &PatternElement) {
        self.node(&element.start);
        for (rel, node) in &element.chain {
            self.relationship(rel);
            self.node(node);
        }
    }

    fn node(&mut self, node: &NodePattern) {
        self.push("(");
        if let Some(var) = &node.var {
            self.variable(&var.name);
        }
        self.labels(&node.labels);
        if let Some(props) = &node.props {
            if node.var.is_some() || !node.labels.is_empty() {
                self.push(" ");
            }
            self.expr(props);
        }
        self.push(")");
    }

    fn relationship(&mut self, rel: &RelPattern) {
        self.push(if rel.direction == Direction::Incoming { "<-" } else { "-" });
        if rel.var.is_some() || !rel.types.is_empty() || rel.length.is_some() || rel.props.is_some() {
            self.push("[");
            if let Some(var) = &rel.var {
                self.variable(&var.name);
            }
            if !rel.types.is_empty() {
                self.push(":");
                self.list(&rel.types, "|", |s, t| s.schema_name(&t.name));
            }
            if let Some(range) = rel.length {
                self.length(range);
            }
            if let Some(props) = &rel.props {
                self.push(" ");
                self.expr(props);
            }
            self.push("]");
        }
        self.push(if rel.direction == Direction::Outgoing { "->" } else { "-" });
    }

    fn length(&mut self, range: LengthRange) {
        self.push("*");
        let bound = |b: Option<u64>| b.map(|n| n.to_string()).unwrap_or_default();
        match (range.min, range.max) {
            (None, None) => {}
            (Some(min), Some(max)) if min == max => self.push(&min.to_string()),
            (min, max) => {
                let text = format!("{}..{}", bound(min), bound(max));
                self.push(&text);
            }
        }
    }

    fn labels(&mut self, labels: &[Ident]) {
        for label in labels {
            self.push(":");
            self.schema_name(&label.name);
        }
    }

    fn expr(&mut self, e: &Expr) {
        self.expr_at(e, Prec::Or);
    }

    /// Prints `e` where an expression binding at least as tightly as `min` is needed.
    fn expr_at(&mut self, e: &Expr, min: Prec) {
        let parens = prec(e) < min;
        if parens {
            self.push("(");
        }
        self.expr_kind(&e.kind);
        if parens {
            self.push(")");
        }
    }

    fn expr_kind(&mut self, kind: &ExprKind) {
        match kind {
            ExprKind::Literal(literal) => self.literal(literal),
            ExprKind::Parameter(name) => self.parameter(name),
            ExprKind::Variable(name) => self.variable(name),
            ExprKind::Property(base, key) => self.property(base, key),
            ExprKind::List(items) => {
                self.push("[");
                self.list(items, ", ", Self::expr);
                self.push("]");
            }
            ExprKind::Map(entries) => self.map(entries),
            ExprKind::Unary(op, operand) => self.unary(*op, operand),
            ExprKind::Binary(op, lhs, rhs) => {
                let (text, prec) = binary_syntax(*op);
                self.expr_at(lhs, prec);
                self.push(" ");
                self.push(text);
                self.push(" ");
                self.expr_at(rhs, prec.tighter());
            }
            ExprKind::Comparison(first, rest) => {
                self.expr_at(first, Prec::Predicate);
                for (op, operand) in rest {
                    self.push(" ");
                    self.push(compare_text(*op));
                    self.push(" ");
                    self.expr_at(operand, Prec::Predicate);
                }
            }
            ExprKind::IsNull { expr, negated } => {
                self.expr_at(expr, Prec::Predicate);
                self.push(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            ExprKind::HasLabels(expr, labels) => {
                self.expr_at(expr, Prec::Postfix);
                self.labels(labels);
            }
            ExprKind::Index(base, index) => {
                self.expr_at(base, Prec::Postfix);
                self.push("[");
                self.expr(index);
                self.push("]");
            }
            ExprKind::Slice(base, from, to) => {
                self.expr_at(base, Prec::Postfix);
                self.push("[");
                if let Some(from) = from {
                    self.expr(from);
                }
                self.push("..");
                if let Some(to) = to {
                    self.expr(to);
                }
                self.push("]");
            }
            ExprKind::FunctionCall { name, distinct, args } => {
                self.function_name(name);
                self.push(if *distinct { "(DISTINCT " } else { "(" });
                self.list(args, ", ", Self::expr);
                self.push(")");
            }
            ExprKind::CountStar => self.push("count(*)"),
            ExprKind::Case { operand, whens, else_ } => self.case(operand.as_deref(), whens, else_.as_deref()),
            ExprKind::ListComprehension { var, list, filter, map } => {
                self.push("[");
                self.in_list(var, list, filter.as_deref());
                if let Some(map) = map {
                    self.push(" | ");
                    self.expr(map);
                }
                self.push("]");
            }
            ExprKind::Quantifier { kind, var, list, filter } => {
                self.push(match kind {
                    Quantifier::All => "all(",
                    Quantifier::Any => "any(",
                    Quantifier::None => "none(",
                    Quantifier::Single => "single(",
                });
                self.in_list(var, list, filter.as_deref());
                self.push(")");
            }
            ExprKind::Reduce { acc, init, var, list, expr } => {
                self.push("reduce(");
                self.variable(&acc.name);
                self.push(" = ");
                self.expr(init);
                self.push(", ");
                self.in_list(var, list, None);
                self.push(" | ");
                self.expr(expr);
                self.push(")");
            }
            ExprKind::PatternComprehension { var, pattern, filter, map } => {
                self.push("[");
                if let Some(var) = var {
                    self.variable(&var.name);
                    self.push(" = ");
                }
                self.pattern_element(pattern);
                self.where_(filter.as_deref());
                self.push(" | ");
                self.expr(map);
                self.push("]");
            }
            ExprKind::PatternPredicate(element) => self.pattern_element(element),
            ExprKind::Exists(subquery) => {
                self.push("EXISTS { ");
                match subquery.as_ref() {
                    ExistsSubquery::Query(q) => self.query(q),
                    ExistsSubquery::Pattern { pattern, where_ } => {
                        self.pattern(pattern);
                        self.where_(where_.as_ref());
                    }
                }
                self.push(" }");
            }
            ExprKind::MapProjection { var, items } => {
                self.variable(&var.name);
                self.push(" {");
                self.list(items, ", ", Self::map_projection_item);
                self.push("}");
            }
        }
    }

    fn literal(&mut self, literal: &Literal) {
        match literal {
            Literal::Null => self.push("null"),
            Literal::Boolean(b) => self.push(if *b { "true" } else { "false" }),
            Literal::Integer(n) => self.push(&n.to_string()),
            // `{:?}` is the shortest text that reads back as the same float, and always has a `.` or `e`.
            Literal::Float(f) => self.push(&format!("{f:?}")),
            Literal::String(s) => self.string(s),
        }
    }

    fn string(&mut self, s: &str) {
        self.out.push('\'');
        for c in s.chars() {
            match c {
                '\\' => self.push("\\\\"),
                '\'' => self.push("\\'"),
                '\n' => self.push("\\n"),
                '\r' => self.push("\\r"),
                '\t' => self.push("\\t"),
                '\u{8}' => self.push("\\b"),
                '\u{c}' => self.push("\\f"),
                c if c.is_control() => {
                    let _ = write!(self.out, "\\u{:04X}", u32::from(c));
                }
                c => self.out.push(c),
            }
        }
        self.out.push('\'');
    }

    fn map(&mut self, entries: &[(Ident, Expr)]) {
        self.push("{");
        self.list(entries, ", ", |s, (key, value)| {
            s.schema_name(&key.name);
            s.push(": ");
            s.expr(value);
        });
        self.push("}");
    }

    fn unary(&mut self, op: UnaryOp, operand: &Expr) {
        match op {
            UnaryOp::Not => {
                self.push("NOT ");
                self.expr_at(operand, Prec::Not);
            }
            UnaryOp::Negate | UnaryOp::Plus => {
                self.push(if op == UnaryOp::Negate { "-" } else { "+" });
                if op == UnaryOp::Negate && is_number(operand, false) {
                    // `-1` would read back as the literal -1, not as the negation of 1.
                    self.push("(");
                    self.expr(operand);
                    self.push(")");
                } else {
                    if matches!(operand.kind, ExprKind::Unary(UnaryOp::Negate | UnaryOp::Plus, _))
                        || is_number(operand, true)
                    {
                        self.push(" ");
                    }
                    self.expr_at(operand, Prec::Unary);
                }
            }
        }
    }

    fn case(&mut self, operand: Option<&Expr>, whens: &[(Expr, Expr)], else_: Option<&Expr>) {
        self.push("CASE");
        if let Some(operand) = operand {
            self.push(" ");
            self.expr(operand);
        }
        for (when, then) in whens {
            self.push(" WHEN ");
            self.expr(when);
            self.push(" THEN ");
            self.expr(then);
        }
        if let Some(e) = else_ {
            self.push(" ELSE ");
            self.expr(e);
        }
        self.push(" END");
    }

    /// `x IN list [WHERE filter]`
    fn in_list(&mut self, var: &Ident, list: &Expr, filter: Option<&Expr>) {
        self.variable(&var.name);
        self.push(" IN ");
        self.expr(list);
        self.where_(filter);
    }

    fn map_projection_item(&mut self, item: &MapProjectionItem) {
        match item {
            MapProjectionItem::Property(key) => {
                self.push(".");
                self.schema_name(&key.name);
            }
            MapProjectionItem::Literal(key, value) => {
                self.schema_name(&key.name);
                self.push(": ");
                self.expr(value);
            }
            MapProjectionItem::Variable(var) => self.variable(&var.name),
            MapProjectionItem::AllProperties => self.push(".*"),
        }
    }

    /// A function name: its first part as a variable, except that `exists` needs no quotes, and a
    /// lone `any`, `reduce`, ... does, lest `any(x IN l)` read back as a quantifier.
    fn function_name(&mut self, name: &[Ident]) {
        let Some((first, rest)) = name.split_first() else {
            return;
        };
        let word = first.name.as_str();
        let keyword_ok = word.eq_ignore_ascii_case("EXISTS") || !is_reserved(word);
        let form = rest.is_empty() && names_special_form(word);
        self.name(word, is_plain_name(word) && keyword_ok && !form);
        for part in rest {
            self.push(".");
            self.schema_name(&part.name);
        }
    }

    fn variable(&mut self, name: &str) {
        self.name(name, is_plain_name(name) && !is_reserved(name));
    }

    /// A label, relationship type, key or procedure name part: keywords need no quotes.
    fn schema_name(&mut self, name: &str) {
        self.name(name, is_plain_name(name));
    }

    fn parameter(&mut self, name: &str) {
        self.push("$");
        let digits = !name.is_empty() && name.chars().all(|c| c.is_ascii_digit());
        self.name(name, digits || is_plain_name(name));
    }

    fn name(&mut self, name: &str, plain: bool) {
        if plain {
            self.push(name);
        } else {
            self.out.push('`');
            self.push(&name.replace('`', "``"));
            self.out.push('`');
        }
    }
}

/// Whether `e` is a number literal with the given sign.
fn is_number(e: &Expr, negative: bool) -> bool {
    match e.kind {
        ExprKind::Literal(Literal::Integer(n)) => (n < 0) == negative,
        ExprKind::Literal(Literal::Float(f)) => f.is_sign_negative() == negative,
        _ => false,
    }
}

/// How tightly the printed form of `e` binds.
fn prec(e: &Expr) -> Prec {
    match &e.kind {
        ExprKind::Binary(op, ..) => binary_syntax(*op).1,
        ExprKind::Unary(UnaryOp::Not, _) => Prec::Not,
        ExprKind::Unary(..) => Prec::Unary,
        ExprKind::Literal(_) if is_number(e, true) => Prec::Unary,
        ExprKind::Comparison(..) => Prec::Comparison,
        ExprKind::IsNull { .. } => Prec::Predicate,
        ExprKind::HasLabels(..) => Prec::Labels,
        ExprKind::Property(..) | ExprKind::Index(..) | ExprKind::Slice(..) => Prec::Postfix,
        _ => Prec::Atom,
    }
}

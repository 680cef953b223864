//! From a parsed statement to a checked plan: names are bound clause by clause (an undefined
//! variable is a compile-time error, so a bad query writes nothing), projections get their
//! column names, and write clauses are found up front.
//!
//! Invariant: a [`Plan`] only refers to variables that are in scope where they are used.
use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use std::collections::BTreeSet;

/// A checked query, borrowing the statement it was planned from.
#[derive(Debug)]
pub struct Plan<'a> {
    pub text: &'a str,
    pub explain: bool,
    pub parts: Vec<Part<'a>>,
    /// `UNION ALL` (true) or `UNION` between consecutive parts.
    pub union_all: Vec<bool>,
    pub columns: Vec<String>,
    pub writes: bool,
}

/// One single query: its clauses run in order over a stream of rows.
#[derive(Debug)]
pub struct Part<'a> {
    pub steps: Vec<Step<'a>>,
}

#[derive(Debug)]
pub enum Step<'a> {
    Match(&'a Match),
    Unwind(&'a Unwind),
    Create(&'a Create),
    Set(&'a Set),
    Remove(&'a Remove),
    Delete(&'a Delete),
    Project(ProjectionPlan<'a>),
}

#[derive(Debug)]
pub struct ProjectionPlan<'a> {
    pub clause: &'a Projection,
    /// Output columns in order: (name, expression). `*` is expanded here.
    pub items: Vec<(String, Expr)>,
    pub aggregates: bool,
    /// `RETURN` (final) rather than `WITH`.
    pub is_return: bool,
}

const AGGREGATES: [&str; 5] = ["count", "sum", "avg", "min", "max"];

pub fn is_aggregate(name: &[Ident]) -> bool {
    matches!(name, [n] if AGGREGATES.iter().any(|a| n.name.eq_ignore_ascii_case(a)) || n.name.eq_ignore_ascii_case("collect"))
}

/// Whether an expression contains an aggregate call (outside nested scopes).
pub fn contains_aggregate(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        found |= matches!(&x.kind, ExprKind::CountStar)
            || matches!(&x.kind, ExprKind::FunctionCall { name, .. } if is_aggregate(name));
    });
    found
}

/// Visits `e` and every sub-expression.
pub fn walk(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    for c in children(e) {
        walk(c, f);
    }
}

/// The immediate sub-expressions of `e` (pattern internals excluded).
pub fn children(e: &Expr) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = Vec::new();
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Parameter(_) | ExprKind::Variable(_) | ExprKind::CountStar => {}
        ExprKind::PatternPredicate(_) | ExprKind::Exists(_) => {}
        ExprKind::Property(x, _)
        | ExprKind::Unary(_, x)
        | ExprKind::IsNull { expr: x, .. }
        | ExprKind::HasLabels(x, _) => out.push(x),
        ExprKind::List(xs) | ExprKind::FunctionCall { args: xs, .. } => out.extend(xs),
        ExprKind::Map(kv) => out.extend(kv.iter().map(|(_, v)| v)),
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => out.extend([&**a, &**b]),
        ExprKind::Comparison(a, rest) => {
            out.push(a);
            out.extend(rest.iter().map(|(_, x)| x));
        }
        ExprKind::Slice(a, b, c) => {
            out.push(a);
            out.extend(b.iter().chain(c.iter()).map(|x| &**x));
        }
        ExprKind::Case { operand, whens, else_ } => {
            out.extend(operand.iter().map(|x| &**x));
            out.extend(whens.iter().flat_map(|(a, b)| [a, b]));
            out.extend(else_.iter().map(|x| &**x));
        }
        ExprKind::ListComprehension { list, filter, map, .. } => {
            out.push(list);
            out.extend(filter.iter().chain(map.iter()).map(|x| &**x));
        }
        ExprKind::Quantifier { list, filter, .. } => {
            out.push(list);
            out.extend(filter.iter().map(|x| &**x));
        }
        ExprKind::Reduce { init, list, expr, .. } => out.extend([&**init, &**list, &**expr]),
        ExprKind::PatternComprehension { filter, map, .. } => {
            out.extend(filter.iter().map(|x| &**x));
            out.push(map);
        }
        ExprKind::MapProjection { items, .. } => out.extend(items.iter().filter_map(|i| match i {
            MapProjectionItem::Literal(_, x) => Some(x),
            _ => None,
        })),
    }
    out
}

struct Planner<'a> {
    text: &'a str,
    writes: bool,
}

pub fn plan<'a>(text: &'a str, stmt: &'a Statement) -> Result<Plan<'a>> {
    let mut planner = Planner { text, writes: false };
    let mut parts = vec![planner.single(&stmt.query.first)?];
    let mut union_all = Vec::new();
    for (all, q) in &stmt.query.unions {
        union_all.push(*all);
        parts.push(planner.single(q)?);
    }
    let columns_of = |p: &Part| match p.steps.last() {
        Some(Step::Project(pp)) if pp.is_return => pp.items.iter().map(|(n, _)| n.clone()).collect(),
        _ => Vec::new(),
    };
    let columns: Vec<String> = columns_of(&parts[0]);
    if parts.iter().any(|p| columns_of(p) != columns) {
        return Err(Error::compile(
            Code::SyntaxError,
            "DifferentColumnsInUnion",
            "all sub queries in a UNION must have the same return column names",
            text,
            0,
        ));
    }
    Ok(Plan { text, explain: stmt.explain, parts, union_all, columns, writes: planner.writes })
}

impl<'a> Planner<'a> {
    fn undefined(&self, name: &str, span: Span) -> Error {
        Error::compile(
            Code::SyntaxError,
            "UndefinedVariable",
            format!("variable `{name}` not defined"),
            self.text,
            span.start,
        )
    }

    fn single(&mut self, q: &'a SingleQuery) -> Result<Part<'a>> {
        let mut scope: BTreeSet<String> = BTreeSet::new();
        let mut steps = Vec::new();
        let last = q.clauses.len().saturating_sub(1);
        for (i, clause) in q.clauses.iter().enumerate() {
            match clause {
                Clause::Match(m) => {
                    self.bind_patterns(&m.pattern, &mut scope, false)?;
                    m.where_.iter().try_for_each(|w| self.check_expr(w, &scope))?;
                    steps.push(Step::Match(m));
                }
                Clause::Unwind(u) => {
                    self.check_expr(&u.expr, &scope)?;
                    scope.insert(u.var.name.clone());
                    steps.push(Step::Unwind(u));
                }
                Clause::Create(c) => {
                    self.writes = true;
                    self.bind_patterns(&c.pattern, &mut scope, true)?;
                    steps.push(Step::Create(c));
                }
                Clause::Set(s) => {
                    self.writes = true;
                    for item in &s.items {
                        self.check_set_item(item, &scope)?;
                    }
                    steps.push(Step::Set(s));
                }
                Clause::Remove(r) => {
                    self.writes = true;
                    for item in &r.items {
                        match item {
                            RemoveItem::Property { target, .. } => self.check_expr(target, &scope)?,
                            RemoveItem::Labels { var, .. } => self.check_var(var, &scope)?,
                        }
                    }
                    steps.push(Step::Remove(r));
                }
                Clause::Delete(d) => {
                    self.writes = true;
                    d.exprs.iter().try_for_each(|e| self.check_expr(e, &scope))?;
                    steps.push(Step::Delete(d));
                }
                Clause::With(p) | Clause::Return(p) => {
                    let is_return = matches!(clause, Clause::Return(_));
                    if is_return && i != last {
                        return Err(self.unsupported("RETURN must be the last clause", p.span));
                    }
                    let pp = self.projection(p, is_return, &mut scope)?;
                    steps.push(Step::Project(pp));
                }
                Clause::Merge(m) => return Err(self.unsupported("MERGE is not supported yet", m.span)),
                Clause::Call(c) => return Err(self.unsupported("CALL is not supported yet", c.span)),
            }
        }
        match q.clauses.last() {
            Some(Clause::Return(_)) => {}
            Some(Clause::Match(_) | Clause::Unwind(_) | Clause::With(_)) | None => {
                let at = q.clauses.last().map_or(0, clause_end);
                return Err(Error::compile(
                    Code::SyntaxError,
                    "MissingReturn",
                    "query cannot conclude with MATCH, UNWIND or WITH (must be RETURN or an update clause)",
                    self.text,
                    at,
                ));
            }
            Some(_) => {}
        }
        Ok(Part { steps })
    }

    fn unsupported(&self, what: &str, span: Span) -> Error {
        Error::compile(Code::SyntaxError, "UnsupportedFeature", what, self.text, span.start)
    }

    fn check_var(&self, var: &Ident, scope: &BTreeSet<String>) -> Result<()> {
        if scope.contains(&var.name) {
            Ok(())
        } else {
            Err(self.undefined(&var.name, var.span))
        }
    }

    fn check_set_item(&self, item: &SetItem, scope: &BTreeSet<String>) -> Result<()> {
        match item {
            SetItem::Property { target, value, .. } => {
                self.check_expr(target, scope)?;
                self.check_expr(value, scope)
            }
            SetItem::Replace { var, value } | SetItem::Merge { var, value } => {
                self.check_var(var, scope)?;
                self.check_expr(value, scope)
            }
            SetItem::Labels { var, .. } => self.check_var(var, scope),
        }
    }

    /// Binds pattern variables into `scope`, checking property expressions against the scope
    /// as it was before the pattern (plus earlier elements of it).
    fn bind_patterns(&self, parts: &[PatternPart], scope: &mut BTreeSet<String>, create: bool) -> Result<()> {
        for part in parts {
            let nodes = std::iter::once(&part.element.start).chain(part.element.chain.iter().map(|(_, n)| n));
            for node in nodes {
                node.props.iter().try_for_each(|p| self.check_expr(p, scope))?;
                if let Some(v) = &node.var {
                    let bound = scope.contains(&v.name);
                    if create && bound && (!node.labels.is_empty() || node.props.is_some()) {
                        return Err(Error::compile(
                            Code::SyntaxError,
                            "VariableAlreadyBound",
                            format!("variable `{}` already declared", v.name),
                            self.text,
                            v.span.start,
                        ));
                    }
                    scope.insert(v.name.clone());
                }
            }
            for (rel, _) in &part.element.chain {
                rel.props.iter().try_for_each(|p| self.check_expr(p, scope))?;
                if create {
                    self.check_creatable(rel)?;
                }
                if let Some(v) = &rel.var {
                    if scope.contains(&v.name) && create {
                        return Err(Error::compile(
                            Code::SyntaxError,
                            "VariableAlreadyBound",
                            format!("variable `{}` already declared", v.name),
                            self.text,
                            v.span.start,
                        ));
                    }
                    scope.insert(v.name.clone());
                }
            }
            if let Some(v) = &part.var {
                scope.insert(v.name.clone());
            }
        }
        Ok(())
    }

    fn check_creatable(&self, rel: &RelPattern) -> Result<()> {
        let fail = |detail, msg: &str| Err(Error::compile(Code::SyntaxError, detail, msg, self.text, rel.span.start));
        if rel.types.len() != 1 {
            return fail("NoSingleRelationshipType", "a relationship to create needs exactly one type");
        }
        if rel.direction == Direction::Both {
            return fail("RequiresDirectedRelationship", "only directed relationships can be created");
        }
        if rel.length.is_some() {
            return fail("CreatingVarLength", "variable length relationships cannot be created");
        }
        Ok(())
    }

    fn projection(
        &self,
        p: &'a Projection,
        is_return: bool,
        scope: &mut BTreeSet<String>,
    ) -> Result<ProjectionPlan<'a>> {
        let mut items: Vec<(String, Expr)> = Vec::new();
        if p.star {
            if scope.is_empty() {
                return Err(Error::compile(
                    Code::SyntaxError,
                    "NoVariablesInScope",
                    "RETURN * is not allowed when there are no variables in scope",
                    self.text,
                    p.span.start,
                ));
            }
            items.extend(scope.iter().map(|name| (name.clone(), Expr::new(ExprKind::Variable(name.clone()), p.span))));
        }
        for item in &p.items {
            self.check_expr(&item.expr, scope)?;
            let name = match &item.alias {
                Some(a) => a.name.clone(),
                None => match &item.expr.kind {
                    ExprKind::Variable(v) => v.clone(),
                    _ if !is_return => {
                        return Err(Error::compile(
                            Code::SyntaxError,
                            "NoExpressionAlias",
                            "expression in WITH must be aliased (use AS)",
                            self.text,
                            item.expr.span.start,
                        ))
                    }
                    _ => self.text.get(item.expr.span.start..item.expr.span.end).unwrap_or_default().to_string(),
                },
            };
            if items.iter().any(|(n, _)| *n == name) {
                return Err(Error::compile(
                    Code::SyntaxError,
                    "ColumnNameConflict",
                    format!("multiple result columns with the same name `{name}`"),
                    self.text,
                    item.expr.span.start,
                ));
            }
            items.push((name, item.expr.clone()));
        }
        let aggregates = items.iter().any(|(_, e)| contains_aggregate(e));
        // ORDER BY sees the new names and, unless rows were merged, the old ones too.
        let mut order_scope: BTreeSet<String> = items.iter().map(|(n, _)| n.clone()).collect();
        if !aggregates && !p.distinct {
            order_scope.extend(scope.iter().cloned());
        }
        for s in &p.order_by {
            self.check_expr(&s.expr, &order_scope)?;
        }
        let empty = BTreeSet::new();
        for e in p.skip.iter().chain(p.limit.iter()) {
            self.check_expr(e, &empty)?;
        }
        *scope = items.iter().map(|(n, _)| n.clone()).collect();
        if let Some(w) = &p.where_ {
            self.check_expr(w, scope)?;
        }
        Ok(ProjectionPlan { clause: p, items, aggregates, is_return })
    }

    /// Every free variable of `e` must be in scope (comprehensions bind their own).
    fn check_expr(&self, e: &Expr, scope: &BTreeSet<String>) -> Result<()> {
        match &e.kind {
            ExprKind::Variable(v) if !scope.contains(v) => Err(self.undefined(v, e.span)),
            ExprKind::ListComprehension { var, list, filter, map } => {
                self.check_expr(list, scope)?;
                let inner = with(scope, &var.name);
                filter.iter().chain(map.iter()).try_for_each(|x| self.check_expr(x, &inner))
            }
            ExprKind::Quantifier { var, list, filter, .. } => {
                self.check_expr(list, scope)?;
                let inner = with(scope, &var.name);
                filter.iter().try_for_each(|x| self.check_expr(x, &inner))
            }
            ExprKind::Reduce { acc, init, var, list, expr } => {
                self.check_expr(init, scope)?;
                self.check_expr(list, scope)?;
                self.check_expr(expr, &with(&with(scope, &acc.name), &var.name))
            }
            ExprKind::MapProjection { var, items } => {
                self.check_var(var, scope)?;
                items.iter().try_for_each(|i| match i {
                    MapProjectionItem::Literal(_, x) => self.check_expr(x, scope),
                    MapProjectionItem::Variable(v) => self.check_var(v, scope),
                    _ => Ok(()),
                })
            }
            ExprKind::PatternPredicate(_) | ExprKind::Exists(_) | ExprKind::PatternComprehension { .. } => {
                Err(self.unsupported("pattern expressions are not supported yet", e.span))
            }
            _ => children(e).into_iter().try_for_each(|c| self.check_expr(c, scope)),
        }
    }
}

fn with(scope: &BTreeSet<String>, name: &str) -> BTreeSet<String> {
    let mut s = scope.clone();
    s.insert(name.to_string());
    s
}

fn clause_end(c: &Clause) -> usize {
    match c {
        Clause::Match(m) => m.span.end,
        Clause::Unwind(u) => u.span.end,
        Clause::With(p) | Clause::Return(p) => p.span.end,
        Clause::Create(c) => c.span.end,
        Clause::Merge(m) => m.span.end,
        Clause::Set(s) => s.span.end,
        Clause::Remove(r) => r.span.end,
        Clause::Delete(d) => d.span.end,
        Clause::Call(c) => c.span.end,
    }
}

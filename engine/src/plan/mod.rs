//! From a parsed statement to a checked plan: names are bound clause by clause (an undefined
//! variable is a compile-time error, so a bad query writes nothing), projections get their
//! column names, write clauses are found up front, and `CALL` is resolved against the
//! procedures in the [`Context`] (`call.rs`).
//!
//! Invariant: a [`Plan`] only refers to variables that are in scope where they are used.
use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::Value;
use crate::procedures::Procedures;
use std::collections::BTreeMap;
mod bind;
mod call;
pub mod explain;
mod filter;
mod orient;
mod seek;
mod semantics;

pub use call::CallPlan;
pub use filter::Filters;
pub use seek::{index_seek, IndexSeek, RangeOp, Seek, SeekOp};
pub use semantics::{children, contains_aggregate, free_outside_aggregates, is_aggregate, walk, Scope, Ty};
use semantics::{function_arity, replace_projected, static_ty};

/// Plans the body of `EXISTS { ... }`: its free variables come from `outer`; it may end
/// without `RETURN` and may not write.
pub fn subquery<'a>(text: &'a str, q: &'a Query, outer: &Scope) -> Result<Vec<Part<'a>>> {
    let mut planner = Planner { text, writes: false, ctx: Context::EMPTY };
    let mut parts = vec![planner.single_in(&q.first, outer.clone(), false)?];
    for (_, u) in &q.unions {
        parts.push(planner.single_in(u, outer.clone(), false)?);
    }
    if planner.writes {
        return Err(planner.fail("InvalidClauseComposition", "EXISTS subqueries cannot write", Span::default()));
    }
    Ok(parts)
}

/// Whether `name` (lower case) is a function the planner accepts.
pub fn function_known(name: &str) -> bool {
    function_arity(name).is_some()
}

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
    Match(MatchPlan<'a>),
    Unwind(&'a Unwind),
    Create(&'a Create),
    Set(&'a Set),
    Remove(&'a Remove),
    Delete(&'a Delete),
    Merge(&'a Merge),
    Project(ProjectionPlan<'a>),
    Call(CallPlan<'a>),
    Schema(&'a Schema),
}

#[derive(Debug)]
pub struct ProjectionPlan<'a> {
    pub clause: &'a Projection,
    /// Output columns in order: (name, expression). `*` is expanded here.
    pub items: Vec<(String, Expr)>,
    pub aggregates: bool,
    /// `RETURN` (final) rather than `WITH`.
    pub is_return: bool,
    /// Sort keys (descending flag), rewritten to read projected columns where they repeat an item.
    pub order_by: Vec<(Expr, bool)>,
    /// `WITH ... WHERE`, rewritten like the sort keys.
    pub where_: Option<Expr>,
}

/// A `MATCH` and, per pattern part, the conjuncts of its `WHERE` an index could seek for the
/// part's start node ([`Seek`]). `WHERE` still filters every row, so a seek only narrows the
/// candidates.
#[derive(Debug)]
pub struct MatchPlan<'a> {
    pub clause: &'a Match,
    /// The clause's pattern parts as they are matched: each from the end likely to have fewer
    /// candidates ([`orient`]).
    pub parts: Vec<PatternPart>,
    pub seeks: Vec<Vec<Seek<'a>>>,
    /// Where each conjunct of `WHERE` is checked ([`filter`]).
    pub filters: Filters<'a>,
}

impl std::ops::Deref for MatchPlan<'_> {
    type Target = Match;
    fn deref(&self) -> &Match {
        self.clause
    }
}

/// The columns `SHOW INDEXES` and `SHOW CONSTRAINTS` return.
pub const SHOW_COLUMNS: [&str; 4] = ["name", "type", "label", "property"];

/// What a query is planned against besides its text.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// What `CALL` can reach.
    pub procedures: &'a Procedures,
    /// The request's parameters (a standalone `CALL p` takes its arguments from them).
    pub params: &'a BTreeMap<String, Value>,
}

static NO_PROCEDURES: Procedures = Procedures::new();
static NO_PARAMS: BTreeMap<String, Value> = BTreeMap::new();

impl Context<'static> {
    /// No procedures and no parameters.
    pub const EMPTY: Context<'static> = Context { procedures: &NO_PROCEDURES, params: &NO_PARAMS };
}

struct Planner<'a> {
    text: &'a str,
    writes: bool,
    ctx: Context<'a>,
}

pub fn plan<'a>(text: &'a str, stmt: &'a Statement, ctx: Context<'a>) -> Result<Plan<'a>> {
    let mut planner = Planner { text, writes: false, ctx };
    let mut parts = vec![planner.single(&stmt.query.first)?];
    let mut union_all = Vec::new();
    for (all, q) in &stmt.query.unions {
        union_all.push(*all);
        parts.push(planner.single(q)?);
    }
    let columns_of = |p: &Part| match p.steps.last() {
        Some(Step::Project(pp)) if pp.is_return => pp.items.iter().map(|(n, _)| n.clone()).collect(),
        Some(Step::Call(c)) if c.standalone => c.yields.iter().map(|(_, n)| n.clone()).collect(),
        Some(Step::Schema(Schema::Show { .. })) => SHOW_COLUMNS.iter().map(|c| c.to_string()).collect(),
        _ => Vec::new(),
    };
    if union_all.iter().any(|a| *a) && union_all.iter().any(|a| !*a) {
        return Err(Error::compile(
            Code::SyntaxError,
            "InvalidClauseComposition",
            "UNION and UNION ALL cannot be mixed",
            text,
            0,
        ));
    }
    let columns: Vec<String> = parts.first().map(columns_of).unwrap_or_default();
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

    /// A compile-time `SyntaxError` with `detail` at `span`.
    fn fail(&self, detail: &'static str, message: impl Into<String>, span: Span) -> Error {
        Error::compile(Code::SyntaxError, detail, message, self.text, span.start)
    }

    fn single(&mut self, q: &'a SingleQuery) -> Result<Part<'a>> {
        self.single_in(q, Scope::new(), true)
    }

    fn single_in(&mut self, q: &'a SingleQuery, mut scope: Scope, require_return: bool) -> Result<Part<'a>> {
        let mut steps = Vec::new();
        let last = q.clauses.len().saturating_sub(1);
        for (i, clause) in q.clauses.iter().enumerate() {
            if matches!(clause, Clause::Return(_)) && i != last {
                return Err(self.unsupported("RETURN must be the last clause", Span::default()));
            }
            // A query that is one CALL (not an EXISTS body) stands alone: it returns the outputs.
            let standalone = require_return && last == 0;
            steps.push(self.clause(clause, &mut scope, standalone)?);
        }
        match q.clauses.last() {
            Some(Clause::Return(_)) => {}
            Some(_) if !require_return => {}
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

    fn clause(&mut self, clause: &'a Clause, scope: &mut Scope, standalone: bool) -> Result<Step<'a>> {
        Ok(match clause {
            Clause::Match(m) => {
                let parts = orient::parts(&m.pattern, scope, m.where_.as_ref());
                let seeks = seek::seeks(&parts, m.where_.as_ref(), scope);
                let filters = filter::filters(&parts, m.where_.as_ref(), scope);
                self.bind_match(&m.pattern, scope)?;
                m.where_.iter().try_for_each(|w| self.check_predicate(w, scope))?;
                Step::Match(MatchPlan { clause: m, parts, seeks, filters })
            }
            Clause::Unwind(u) => {
                self.check_expr(&u.expr, scope, false)?;
                scope.insert(u.var.name.clone(), Ty::Any);
                Step::Unwind(u)
            }
            Clause::Create(c) => {
                self.writes = true;
                self.bind_create(&c.pattern, scope)?;
                Step::Create(c)
            }
            Clause::Merge(m) => {
                self.writes = true;
                self.bind_merge(m, scope)?;
                Step::Merge(m)
            }
            Clause::Set(s) => {
                self.writes = true;
                s.items.iter().try_for_each(|item| self.check_set_item(item, scope))?;
                Step::Set(s)
            }
            Clause::Remove(r) => {
                self.writes = true;
                for item in &r.items {
                    match item {
                        RemoveItem::Property { target, .. } => self.check_expr(target, scope, false)?,
                        RemoveItem::Labels { var, .. } => self.check_var(var, scope)?,
                    }
                }
                Step::Remove(r)
            }
            Clause::Delete(d) => {
                self.writes = true;
                d.exprs.iter().try_for_each(|e| self.check_delete(e, scope))?;
                Step::Delete(d)
            }
            Clause::With(p) | Clause::Return(p) => {
                let is_return = matches!(clause, Clause::Return(_));
                Step::Project(self.projection(p, is_return, scope)?)
            }
            Clause::Call(c) => Step::Call(self.call(c, scope, standalone)?),
            Clause::Schema(s) => {
                if !standalone {
                    return Err(Error::compile(
                        Code::SyntaxError,
                        "InvalidClauseComposition",
                        "index and constraint commands must stand alone",
                        self.text,
                        s.span.start,
                    ));
                }
                self.writes |= !matches!(s.command, Schema::Show { .. });
                Step::Schema(&s.command)
            }
        })
    }

    fn check_delete(&self, e: &Expr, scope: &Scope) -> Result<()> {
        self.check_expr(e, scope, false)?;
        match (&e.kind, static_ty(e, scope)) {
            (ExprKind::HasLabels(..), _) => {
                Err(self.fail("InvalidDelete", "DELETE needs an entity, not a label", e.span))
            }
            (_, Ty::Bool | Ty::Number | Ty::String | Ty::Map) => {
                Err(self.fail("InvalidArgumentType", "DELETE needs a node, relationship or path", e.span))
            }
            _ => Ok(()),
        }
    }

    fn unsupported(&self, what: &str, span: Span) -> Error {
        Error::compile(Code::SyntaxError, "UnsupportedFeature", what, self.text, span.start)
    }

    fn check_var(&self, var: &Ident, scope: &Scope) -> Result<()> {
        if scope.contains_key(&var.name) {
            Ok(())
        } else {
            Err(self.undefined(&var.name, var.span))
        }
    }

    fn check_set_item(&self, item: &SetItem, scope: &Scope) -> Result<()> {
        match item {
            SetItem::Property { target, value, .. } => {
                self.check_expr(target, scope, false)?;
                self.check_expr(value, scope, false)
            }
            SetItem::Replace { var, value } | SetItem::Merge { var, value } => {
                self.check_var(var, scope)?;
                self.check_expr(value, scope, false)
            }
            SetItem::Labels { var, .. } => self.check_var(var, scope),
        }
    }

    fn projection(&self, p: &'a Projection, is_return: bool, scope: &mut Scope) -> Result<ProjectionPlan<'a>> {
        let mut items: Vec<(String, Expr)> = Vec::new();
        if p.star {
            if scope.is_empty() && is_return {
                return Err(self.fail(
                    "NoVariablesInScope",
                    "RETURN * is not allowed when there are no variables in scope",
                    p.span,
                ));
            }
            items.extend(scope.keys().map(|name| (name.clone(), Expr::new(ExprKind::Variable(name.clone()), p.span))));
        }
        for item in &p.items {
            self.check_expr(&item.expr, scope, true)?;
            let name = match &item.alias {
                Some(a) => a.name.clone(),
                None => match &item.expr.kind {
                    ExprKind::Variable(v) => v.clone(),
                    _ if !is_return => {
                        return Err(self.fail(
                            "NoExpressionAlias",
                            "expression in WITH must be aliased (use AS)",
                            item.expr.span,
                        ))
                    }
                    _ => self.text.get(item.expr.span.start..item.expr.span.end).unwrap_or_default().to_string(),
                },
            };
            if items.iter().any(|(n, _)| *n == name) {
                return Err(self.fail(
                    "ColumnNameConflict",
                    format!("multiple result columns with the same name `{name}`"),
                    item.expr.span,
                ));
            }
            items.push((name, item.expr.clone()));
        }
        let aggregates = items.iter().any(|(_, e)| contains_aggregate(e));
        let projected: Scope = items.iter().map(|(n, e)| (n.clone(), static_ty(e, scope))).collect();
        // ORDER BY and WHERE see the new names and, unless rows were merged, the old ones too.
        let mut order_scope = projected.clone();
        if !aggregates && !p.distinct {
            for (k, t) in scope.iter() {
                order_scope.entry(k.clone()).or_insert(*t);
            }
        }
        let mut order_by = Vec::with_capacity(p.order_by.len());
        for s in &p.order_by {
            let e = if aggregates || p.distinct { replace_projected(&s.expr, &items) } else { s.expr.clone() };
            self.check_expr(&e, &order_scope, false).map_err(|err| self.ambiguous(err, &e, &items))?;
            order_by.push((e, s.descending));
        }
        for e in p.skip.iter().chain(p.limit.iter()) {
            self.check_count(e)?;
        }
        let where_ =
            p.where_.as_ref().map(|w| if aggregates || p.distinct { replace_projected(w, &items) } else { w.clone() });
        if let Some(w) = &where_ {
            self.check_predicate(w, &order_scope)?;
        }
        for (_, e) in items.iter().filter(|(_, e)| contains_aggregate(e)) {
            self.check_grouping(e, &items)?;
        }
        *scope = projected;
        Ok(ProjectionPlan { clause: p, items, aggregates, is_return, order_by, where_ })
    }

    /// An undefined variable in a sort key that a complex grouping key reads is ambiguous.
    fn ambiguous(&self, err: Error, e: &Expr, items: &[(String, Expr)]) -> Error {
        let mut free = Vec::new();
        walk(e, &mut |x| {
            if let ExprKind::Variable(v) = &x.kind {
                free.push(v.clone());
            }
        });
        let mut complex = false;
        for (_, item) in items.iter().filter(|(_, x)| !semantics::is_simple(x)) {
            walk(item, &mut |x| complex |= matches!(&x.kind, ExprKind::Variable(v) if free.contains(v)));
        }
        if err.detail == Some("UndefinedVariable") && complex {
            return self.fail(
                "AmbiguousAggregationExpression",
                "sort key mixes a grouping expression and an aggregate",
                e.span,
            );
        }
        err
    }

    /// A `WHERE` condition: checked like any expression, and it must be able to be a boolean.
    fn check_predicate(&self, w: &Expr, scope: &Scope) -> Result<()> {
        self.check_expr(w, scope, false)?;
        self.check_boolean(w, scope)
    }

    /// An item that aggregates may read other variables only through the grouping keys.
    fn check_grouping(&self, e: &Expr, items: &[(String, Expr)]) -> Result<()> {
        let keys: Vec<(String, Expr)> = items.iter().filter(|(_, x)| !contains_aggregate(x)).cloned().collect();
        let replaced = replace_projected(e, &keys);
        let mut outside = Vec::new();
        semantics::free_outside_aggregates(&replaced, &mut outside);
        match outside.iter().find(|v| !keys.iter().any(|(k, _)| k == *v)) {
            Some(v) => Err(self.fail(
                "AmbiguousAggregationExpression",
                format!("`{v}` is read outside an aggregate but is not a grouping key"),
                e.span,
            )),
            None => Ok(()),
        }
    }

    /// `SKIP` / `LIMIT`: a constant, non-negative integer expression.
    fn check_count(&self, e: &Expr) -> Result<()> {
        let mut variable = false;
        walk(e, &mut |x| variable |= matches!(x.kind, ExprKind::Variable(_) | ExprKind::PatternPredicate(_)));
        if variable {
            return Err(self.fail("NonConstantExpression", "SKIP and LIMIT need a constant expression", e.span));
        }
        self.check_expr(e, &Scope::new(), false)?;
        match &e.kind {
            ExprKind::Literal(Literal::Integer(i)) if *i < 0 => {
                Err(self.fail("NegativeIntegerArgument", "SKIP and LIMIT must not be negative", e.span))
            }
            ExprKind::Literal(Literal::Float(_)) => {
                Err(self.fail("InvalidArgumentType", "SKIP and LIMIT need an integer", e.span))
            }
            _ => Ok(()),
        }
    }

    /// Every free variable of `e` must be in scope (comprehensions bind their own); aggregates
    /// only where `agg` allows them, never nested; operand types checked where known.
    fn check_expr(&self, e: &Expr, scope: &Scope, agg: bool) -> Result<()> {
        match &e.kind {
            ExprKind::Variable(v) if !scope.contains_key(v) => Err(self.undefined(v, e.span)),
            ExprKind::CountStar if !agg => Err(self.misplaced_aggregate(e)),
            ExprKind::FunctionCall { name, args, .. } => self.check_call(e, name, args, scope, agg),
            ExprKind::Unary(UnaryOp::Not, x) => {
                self.check_boolean(x, scope)?;
                self.check_expr(x, scope, agg)
            }
            ExprKind::Binary(BinaryOp::And | BinaryOp::Or | BinaryOp::Xor, a, b) => {
                self.check_boolean(a, scope)?;
                self.check_boolean(b, scope)?;
                self.check_expr(a, scope, agg)?;
                self.check_expr(b, scope, agg)
            }
            ExprKind::Binary(op, a, b) => {
                self.check_operands(*op, a, b, scope)?;
                self.check_expr(a, scope, agg)?;
                self.check_expr(b, scope, agg)
            }
            ExprKind::Property(x, _) => {
                match static_ty(x, scope) {
                    Ty::Path => return Err(self.fail("InvalidArgumentType", "a path has no properties", e.span)),
                    Ty::Bool | Ty::Number | Ty::String | Ty::List => {
                        return Err(Error::compile(
                            Code::TypeError,
                            "InvalidArgumentType",
                            "property access needs a map or an entity",
                            self.text,
                            e.span.start,
                        ))
                    }
                    _ => {}
                }
                self.check_expr(x, scope, agg)
            }
            ExprKind::ListComprehension { var, list, filter, map } => {
                self.check_expr(list, scope, agg)?;
                let inner = with_ty(scope, &var.name, semantics::element_ty(list));
                filter.iter().chain(map.iter()).try_for_each(|x| self.check_expr(x, &inner, false))
            }
            ExprKind::Quantifier { var, list, filter, .. } => {
                self.check_expr(list, scope, agg)?;
                let inner = with_ty(scope, &var.name, semantics::element_ty(list));
                filter.iter().try_for_each(|x| self.check_expr(x, &inner, false))
            }
            ExprKind::Reduce { acc, init, var, list, expr } => {
                self.check_expr(init, scope, agg)?;
                self.check_expr(list, scope, agg)?;
                self.check_expr(expr, &with(&with(scope, &acc.name), &var.name), false)
            }
            ExprKind::MapProjection { var, items } => {
                self.check_var(var, scope)?;
                items.iter().try_for_each(|i| match i {
                    MapProjectionItem::Literal(_, x) => self.check_expr(x, scope, agg),
                    MapProjectionItem::Variable(v) => self.check_var(v, scope),
                    _ => Ok(()),
                })
            }
            ExprKind::PatternPredicate(_) | ExprKind::Exists(_) | ExprKind::PatternComprehension { .. } => {
                self.check_pattern_expr(e, scope)
            }
            _ => children(e).into_iter().try_for_each(|c| self.check_expr(c, scope, agg)),
        }
    }

    fn check_call(&self, e: &Expr, name: &[Ident], args: &[Expr], scope: &Scope, agg: bool) -> Result<()> {
        let full = name.iter().map(|i| i.name.to_ascii_lowercase()).collect::<Vec<_>>().join(".");
        let Some((min, max)) = function_arity(&full) else {
            return Err(self.fail("UnknownFunction", format!("unknown function `{full}`"), e.span));
        };
        if args.len() < min || args.len() > max {
            return Err(self.fail(
                "InvalidNumberOfArguments",
                format!("{full}() does not take {} argument(s)", args.len()),
                e.span,
            ));
        }
        if let (Some(allowed), Some(arg)) = (semantics::argument_types(&full), args.first()) {
            let t = static_ty(arg, scope);
            if t != Ty::Any && !allowed.contains(&t) {
                return Err(self.fail("InvalidArgumentType", format!("{full}() cannot take a {}", t.name()), arg.span));
            }
        }
        if is_aggregate(name) {
            if !agg {
                return Err(self.misplaced_aggregate(e));
            }
            let mut random = false;
            args.iter().for_each(|a| walk(a, &mut |x| random |= matches!(&x.kind, ExprKind::FunctionCall { name, .. } if name.len() == 1 && name.iter().all(|n| n.name.eq_ignore_ascii_case("rand")))));
            if random {
                return Err(self.fail("NonConstantExpression", "an aggregate cannot take a random value", e.span));
            }
            return args.iter().try_for_each(|a| self.check_expr(a, scope, false));
        }
        args.iter().try_for_each(|a| self.check_expr(a, scope, agg))
    }

    /// Operand types that are known to be wrong: arithmetic on non-numbers, `IN` a non-list.
    fn check_operands(&self, op: BinaryOp, a: &Expr, b: &Expr, scope: &Scope) -> Result<()> {
        let (ta, tb) = (static_ty(a, scope), static_ty(b, scope));
        let bad = match op {
            BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo | BinaryOp::Power => {
                [ta, tb].iter().any(|t| !matches!(t, Ty::Number | Ty::Any))
            }
            BinaryOp::In => !matches!(tb, Ty::List | Ty::Any),
            _ => false,
        };
        if bad {
            return Err(self.fail("InvalidArgumentType", format!("{op:?} cannot take these operand types"), a.span));
        }
        Ok(())
    }

    fn misplaced_aggregate(&self, e: &Expr) -> Error {
        self.fail("InvalidAggregation", "aggregation is not allowed here", e.span)
    }

    /// An operand of a boolean operator whose type is known must be a boolean.
    fn check_boolean(&self, x: &Expr, scope: &Scope) -> Result<()> {
        match static_ty(x, scope) {
            Ty::Bool | Ty::Any => Ok(()),
            t => Err(self.fail("InvalidArgumentType", format!("expected a Boolean but got a {}", t.name()), x.span)),
        }
    }
}

fn with(scope: &Scope, name: &str) -> Scope {
    with_ty(scope, name, Ty::Any)
}

fn with_ty(scope: &Scope, name: &str, ty: Ty) -> Scope {
    let mut s = scope.clone();
    s.insert(name.to_string(), ty);
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
        Clause::Schema(s) => s.span.end,
    }
}

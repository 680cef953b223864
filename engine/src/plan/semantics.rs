//! Static facts about expressions: which calls aggregate, what type a variable or literal has
//! when that is known before running, and the tree walks the checks are built on.
use crate::cypher::ast::*;
use std::collections::BTreeMap;

/// What the planner knows about a variable's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Node,
    Rel,
    Path,
    List,
    Map,
    Bool,
    Number,
    String,
    /// Unknown until run time (or null).
    Any,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Node => "Node",
            Ty::Rel => "Relationship",
            Ty::Path => "Path",
            Ty::List => "List",
            Ty::Map => "Map",
            Ty::Bool => "Boolean",
            Ty::Number => "Number",
            Ty::String => "String",
            Ty::Any => "Any",
        }
    }
}

/// Variables in scope with what is known of their types.
pub type Scope = BTreeMap<String, Ty>;

const AGGREGATES: [&str; 10] =
    ["count", "sum", "avg", "min", "max", "collect", "stdev", "stdevp", "percentilecont", "percentiledisc"];

pub fn is_aggregate(name: &[Ident]) -> bool {
    matches!(name, [n] if AGGREGATES.iter().any(|a| n.name.eq_ignore_ascii_case(a)))
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

/// The type of `e` when it is known without running it.
pub fn static_ty(e: &Expr, scope: &Scope) -> Ty {
    match &e.kind {
        ExprKind::Literal(Literal::Null) => Ty::Any,
        ExprKind::Literal(Literal::Boolean(_)) => Ty::Bool,
        ExprKind::Literal(Literal::Integer(_) | Literal::Float(_)) => Ty::Number,
        ExprKind::Literal(Literal::String(_)) => Ty::String,
        ExprKind::Variable(v) => scope.get(v).copied().unwrap_or(Ty::Any),
        ExprKind::List(_) | ExprKind::ListComprehension { .. } | ExprKind::PatternComprehension { .. } => Ty::List,
        ExprKind::Map(_) | ExprKind::MapProjection { .. } => Ty::Map,
        ExprKind::Comparison(..)
        | ExprKind::IsNull { .. }
        | ExprKind::PatternPredicate(_)
        | ExprKind::Exists(_)
        | ExprKind::Quantifier { .. } => Ty::Bool,
        ExprKind::Binary(
            BinaryOp::Add
            | BinaryOp::Subtract
            | BinaryOp::Multiply
            | BinaryOp::Divide
            | BinaryOp::Modulo
            | BinaryOp::Power,
            a,
            b,
        ) if static_ty(a, scope) == Ty::Number && static_ty(b, scope) == Ty::Number => Ty::Number,
        ExprKind::FunctionCall { name, .. } => match name.as_slice() {
            [n] if n.name.eq_ignore_ascii_case("collect") => Ty::List,
            _ => Ty::Any,
        },
        _ => Ty::Any,
    }
}

/// Whether `a` and `b` are the same expression as written (spans aside).
pub fn same_expr(a: &Expr, b: &Expr) -> bool {
    crate::cypher::print_expr(a) == crate::cypher::print_expr(b)
}

/// `e` with every sub-expression that equals one of `items` replaced by that item's column.
/// Only simple items (variables, property reads, aggregates) are reused this way.
pub fn replace_projected(e: &Expr, items: &[(String, Expr)]) -> Expr {
    if let Some((name, _)) = items.iter().find(|(_, x)| (is_simple(x) || contains_aggregate(x)) && same_expr(x, e)) {
        return Expr::new(ExprKind::Variable(name.clone()), e.span);
    }
    let mut out = e.clone();
    map_children(&mut out, &mut |c| *c = replace_projected(c, items));
    out
}

/// A variable or a property of one.
pub fn is_simple(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Variable(_) => true,
        ExprKind::Property(x, _) => is_simple(x),
        _ => false,
    }
}

/// Applies `f` to each immediate sub-expression of `e` that [`children`] lists, except inside
/// scopes that bind their own variables (comprehensions, quantifiers, reduce).
fn map_children(e: &mut Expr, f: &mut impl FnMut(&mut Expr)) {
    match &mut e.kind {
        ExprKind::Property(x, _)
        | ExprKind::Unary(_, x)
        | ExprKind::IsNull { expr: x, .. }
        | ExprKind::HasLabels(x, _) => f(x),
        ExprKind::List(xs) | ExprKind::FunctionCall { args: xs, .. } => xs.iter_mut().for_each(f),
        ExprKind::Map(kv) => kv.iter_mut().for_each(|(_, v)| f(v)),
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
            f(a);
            f(b);
        }
        ExprKind::Comparison(a, rest) => {
            f(a);
            rest.iter_mut().for_each(|(_, x)| f(x));
        }
        ExprKind::Slice(a, b, c) => {
            f(a);
            b.iter_mut().chain(c.iter_mut()).for_each(|x| f(x));
        }
        ExprKind::Case { operand, whens, else_ } => {
            operand.iter_mut().for_each(|x| f(x));
            whens.iter_mut().for_each(|(a, b)| {
                f(a);
                f(b);
            });
            else_.iter_mut().for_each(|x| f(x));
        }
        _ => {}
    }
}

/// `(min, max)` argument counts of the scalar functions the executor knows; `None` if unknown.
pub fn function_arity(name: &str) -> Option<(usize, usize)> {
    const MANY: usize = usize::MAX;
    Some(match name {
        "rand" | "pi" | "e" => (0, 0),
        "coalesce" => (1, MANY),
        "range" | "substring" => (2, 3),
        "round" => (1, 3),
        "left" | "right" | "split" | "percentilecont" | "percentiledisc" => (2, 2),
        "replace" => (3, 3),
        "id" | "elementid" | "labels" | "type" | "keys" | "properties" | "size" | "length" | "nodes"
        | "relationships" | "startnode" | "endnode" | "head" | "last" | "tail" | "reverse" | "tostring"
        | "tointeger" | "tofloat" | "toboolean" | "tostringornull" | "tointegerornull" | "tofloatornull"
        | "tobooleanornull" | "abs" | "sign" | "ceil" | "floor" | "sqrt" | "exp" | "log" | "log10" | "sin" | "cos"
        | "tan" | "asin" | "acos" | "atan" | "cot" | "degrees" | "radians" | "haversin" | "toupper" | "tolower"
        | "trim" | "ltrim" | "rtrim" | "isempty" | "exists" | "count" | "sum" | "avg" | "min" | "max" | "collect"
        | "stdev" | "stdevp" | "duration" => (1, 1),
        "atan2" => (2, 2),
        _ => return temporal_arity(name),
    })
}

/// Argument counts of the temporal functions: `date([x])`, `date.transaction([zone])`,
/// `date.truncate(unit, x[, map])`, `datetime.fromepoch(s, ns)`, `duration.between(a, b)`, ….
fn temporal_arity(name: &str) -> Option<(usize, usize)> {
    let (kind, op) = name.split_once('.').unwrap_or((name, ""));
    if kind == "duration" {
        return matches!(op, "between" | "inmonths" | "indays" | "inseconds").then_some((2, 2));
    }
    if !matches!(kind, "date" | "localtime" | "time" | "localdatetime" | "datetime") {
        return None;
    }
    Some(match (kind, op) {
        (_, "" | "transaction" | "statement" | "realtime") => (0, 1),
        (_, "truncate") => (2, 3),
        ("datetime", "fromepoch") => (2, 2),
        ("datetime", "fromepochmillis") => (1, 1),
        _ => return None,
    })
}

/// Variables read outside any aggregate call in `e` (names bound inside `e` excluded).
pub fn free_outside_aggregates(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Variable(v) => out.push(v.clone()),
        ExprKind::FunctionCall { name, .. } if is_aggregate(name) => {}
        ExprKind::CountStar => {}
        ExprKind::ListComprehension { var, .. } | ExprKind::Quantifier { var, .. } => {
            let mut inner = Vec::new();
            children(e).into_iter().for_each(|c| free_outside_aggregates(c, &mut inner));
            out.extend(inner.into_iter().filter(|v| *v != var.name));
        }
        ExprKind::Reduce { acc, var, .. } => {
            let mut inner = Vec::new();
            children(e).into_iter().for_each(|c| free_outside_aggregates(c, &mut inner));
            out.extend(inner.into_iter().filter(|v| *v != var.name && *v != acc.name));
        }
        ExprKind::MapProjection { var, .. } => {
            out.push(var.name.clone());
            children(e).into_iter().for_each(|c| free_outside_aggregates(c, out));
        }
        _ => children(e).into_iter().for_each(|c| free_outside_aggregates(c, out)),
    }
}

/// The common type of a list literal's elements, when they all have the same known one.
pub fn element_ty(list: &Expr) -> Ty {
    let ExprKind::List(items) = &list.kind else { return Ty::Any };
    let empty = Scope::new();
    let mut tys = items.iter().map(|x| static_ty(x, &empty));
    match tys.next() {
        Some(first) if tys.all(|t| t == first) => first,
        _ => Ty::Any,
    }
}

/// The argument types a function accepts, for functions that check them at compile time.
pub fn argument_types(name: &str) -> Option<&'static [Ty]> {
    Some(match name {
        "labels" => &[Ty::Node],
        "type" | "startnode" | "endnode" => &[Ty::Rel],
        "properties" | "keys" => &[Ty::Node, Ty::Rel, Ty::Map],
        "length" => &[Ty::Path],
        "size" => &[Ty::List, Ty::String],
        "nodes" | "relationships" => &[Ty::Path],
        _ => return None,
    })
}

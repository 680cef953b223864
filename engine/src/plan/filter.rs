//! A `MATCH`'s `WHERE`, pushed into the pattern: each conjunct is checked as soon as the
//! pattern has bound every variable it reads, so a partial match that cannot pass is not
//! extended. `MATCH (m:Post)-[:HAS_TAG]->(t) WHERE m.length > 10` checks each post before
//! expanding it, not each (post, tag) pair after.
//!
//! Invariants: a row passes only if every conjunct is true, as `WHERE` decides (false or null
//! rejects it). Conjuncts keep their order: one is never checked before an earlier one. A
//! conjunct whose variables cannot be read off its text (it holds a pattern or a subquery), or
//! that reads a path variable, is checked when the match is complete, and so is every conjunct
//! after it; so is all of `WHERE` in a `MATCH` with a `shortestPath` part (whose search binds
//! its variables as a whole). When nothing is pushed, `WHERE` is checked as written.
use super::semantics::{free_outside_aggregates, walk};
use super::Scope;
use crate::cypher::ast::*;
use std::collections::BTreeMap;

/// Where a `MATCH` checks the conjuncts of its `WHERE`.
#[derive(Debug, Default)]
pub struct Filters<'a> {
    /// Per pattern part, per step (0: once its start node is bound; `i`: once its `i`-th hop
    /// is), the conjuncts first decidable there, in order.
    pub at: Vec<Vec<Vec<&'a Expr>>>,
    /// What is checked once a match is complete (all of `WHERE` when nothing was pushed).
    pub end: Vec<&'a Expr>,
}

/// Places the conjuncts of `where_` for `parts` (as they are matched), with `before` the
/// variables bound before the `MATCH`.
pub(super) fn filters<'a, 'p>(parts: &'p [PatternPart], where_: Option<&'a Expr>, before: &'p Scope) -> Filters<'a> {
    let mut at: Vec<Vec<Vec<&Expr>>> = parts.iter().map(|p| vec![Vec::new(); p.element.chain.len() + 1]).collect();
    let Some(w) = where_ else { return Filters { at, end: Vec::new() } };
    if parts.iter().any(|p| p.shortest.is_some()) {
        return Filters { at, end: vec![w] };
    }
    // Where each variable is first bound (`None`: only once a match is complete).
    let mut bound: BTreeMap<&'p str, Option<(usize, usize)>> =
        before.keys().map(|v| (v.as_str(), Some((0, 0)))).collect();
    for (p, part) in parts.iter().enumerate() {
        let mut bind = |var: &'p Option<Ident>, point| {
            if let Some(v) = var {
                bound.entry(v.name.as_str()).or_insert(point);
            }
        };
        bind(&part.element.start.var, Some((p, 0)));
        for (s, (rel, node)) in part.element.chain.iter().enumerate() {
            bind(&rel.var, Some((p, s + 1)));
            bind(&node.var, Some((p, s + 1)));
        }
        bind(&part.var, None);
    }
    let mut floor = (0, 0);
    let mut end = Vec::new();
    for c in conjuncts(w) {
        match decidable_at(c, &bound).filter(|_| end.is_empty()) {
            Some(point) => {
                floor = floor.max(point);
                if let Some(slot) = at.get_mut(floor.0).and_then(|steps| steps.get_mut(floor.1)) {
                    slot.push(c);
                }
            }
            None => end.push(c),
        }
    }
    if !at.iter().flatten().any(|c| !c.is_empty()) {
        end = vec![w];
    }
    Filters { at, end }
}

/// The `AND`ed conjuncts of `e`, in order.
pub(super) fn conjuncts(e: &Expr) -> Vec<&Expr> {
    fn collect<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        match &e.kind {
            ExprKind::Binary(BinaryOp::And, l, r) => {
                collect(l, out);
                collect(r, out);
            }
            _ => out.push(e),
        }
    }
    let mut out = Vec::new();
    collect(e, &mut out);
    out
}

/// The first point at which every variable `c` reads is bound, if that can be known.
fn decidable_at(c: &Expr, bound: &BTreeMap<&str, Option<(usize, usize)>>) -> Option<(usize, usize)> {
    let mut opaque = false;
    walk(c, &mut |e| {
        opaque |= matches!(
            e.kind,
            ExprKind::PatternPredicate(_)
                | ExprKind::Exists(_)
                | ExprKind::PatternComprehension { .. }
                | ExprKind::MapProjection { .. }
        )
    });
    if opaque {
        return None;
    }
    let mut vars = Vec::new();
    free_outside_aggregates(c, &mut vars);
    vars.iter().try_fold((0, 0), |point, v| Some(point.max((*bound.get(v.as_str())?)?)))
}

//! Which end of a pattern part `MATCH` starts from. `(a)-[r]->(b)` matched from `b` backwards
//! finds exactly the matches found from `a`, so the planner starts from the end likely to have
//! the fewest candidates, as far as it can tell before running: a variable already bound, then
//! a node an index may seek (a label with a property map, or with a `WHERE` conjunct on it), then
//! a labelled node, then any node. Ties keep the written order.
//!
//! A part is only turned round when nothing depends on its order: it has no path variable, is
//! not a shortest path, binds no variable-length relationship list (that list is in path order),
//! and its property maps read only variables bound before it (a map may not read a node the
//! reversed order has not reached yet).
use super::seek;
use super::semantics::free_outside_aggregates;
use super::Scope;
use crate::cypher::ast::*;
use std::collections::BTreeSet;

/// The parts of a `MATCH` as they are to be matched, each oriented; `before` is the scope
/// before the `MATCH`.
pub(super) fn parts(pattern: &[PatternPart], before: &Scope, where_: Option<&Expr>) -> Vec<PatternPart> {
    let mut bound: BTreeSet<String> = before.keys().cloned().collect();
    pattern
        .iter()
        .map(|part| {
            let oriented = if reversible(part, &bound)
                && cost(last(part), &bound, where_) < cost(&part.element.start, &bound, where_)
            {
                reversed(part)
            } else {
                part.clone()
            };
            bound.extend(variables(part));
            oriented
        })
        .collect()
}

fn last(part: &PatternPart) -> &NodePattern {
    part.element.chain.last().map_or(&part.element.start, |(_, n)| n)
}

/// How many candidates a node pattern may have, as a rank (lower: fewer).
fn cost(node: &NodePattern, bound: &BTreeSet<String>, where_: Option<&Expr>) -> u8 {
    let var = node.var.as_ref().map(|v| v.name.as_str());
    if var.is_some_and(|v| bound.contains(v)) {
        return 0;
    }
    if node.labels.is_empty() {
        return 3;
    }
    let map = matches!(&node.props, Some(Expr { kind: ExprKind::Map(entries), .. }) if !entries.is_empty());
    let seekable = map || var.is_some_and(|v| where_.is_some_and(|w| seek::has_seek(w, v, bound)));
    if seekable {
        1
    } else {
        2
    }
}

fn reversible(part: &PatternPart, bound: &BTreeSet<String>) -> bool {
    let element = &part.element;
    let nodes = std::iter::once(&element.start).chain(element.chain.iter().map(|(_, n)| n));
    let maps = nodes.filter_map(|n| n.props.as_ref()).chain(element.chain.iter().filter_map(|(r, _)| r.props.as_ref()));
    let reads_only_bound = |e: &Expr| {
        let mut free = Vec::new();
        free_outside_aggregates(e, &mut free);
        free.iter().all(|v| bound.contains(v))
    };
    part.var.is_none()
        && part.shortest.is_none()
        && !element.chain.is_empty()
        && element.chain.iter().all(|(r, _)| r.length.is_none() || r.var.is_none())
        && maps.into_iter().all(reads_only_bound)
}

/// The part written from its last node back to its first.
fn reversed(part: &PatternPart) -> PatternPart {
    let element = &part.element;
    let mut nodes: Vec<&NodePattern> =
        std::iter::once(&element.start).chain(element.chain.iter().map(|(_, n)| n)).collect();
    nodes.reverse();
    let flip = |r: &RelPattern| RelPattern {
        direction: match r.direction {
            Direction::Outgoing => Direction::Incoming,
            Direction::Incoming => Direction::Outgoing,
            Direction::Both => Direction::Both,
        },
        ..r.clone()
    };
    let rels = element.chain.iter().rev().map(|(r, _)| flip(r));
    let chain = rels.zip(nodes.iter().skip(1)).map(|(r, n)| (r, (*n).clone())).collect();
    let start = nodes.first().map_or_else(|| element.start.clone(), |n| (*n).clone());
    PatternPart { element: PatternElement { start, chain, span: element.span }, ..part.clone() }
}

/// The variables a part binds.
fn variables(part: &PatternPart) -> impl Iterator<Item = String> + '_ {
    let element = &part.element;
    let nodes =
        std::iter::once(&element.start).chain(element.chain.iter().map(|(_, n)| n)).filter_map(|n| n.var.as_ref());
    let rels = element.chain.iter().filter_map(|(r, _)| r.var.as_ref());
    nodes.chain(rels).chain(part.var.as_ref()).map(|v| v.name.clone())
}

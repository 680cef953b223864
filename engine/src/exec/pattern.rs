//! Pattern matching: extends a row with every way a list of pattern parts matches the graph,
//! pushing each match into a sink as soon as it is found.
//!
//! Invariants: a relationship is used at most once per match of a whole `MATCH` pattern
//! (relationship isomorphism); variables already bound in the row constrain the match; when the
//! sink answers [`STOP`] the search ends at once. Recursion is one level per pattern part and
//! per hop (at most [`MAX_VAR_LENGTH`] for a variable-length relationship).
use super::pipeline::{Flow, Sink, GO, STOP};
use super::{row_bytes, Evaluator, Row};
use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::{kv, Adjacency, Adjacent, NodeId, NodeView, Path, RelId, Value};
use crate::plan::{self, IndexSeek, RangeOp, Seek};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound::{self, Excluded, Included, Unbounded};

/// Upper bound on hops for an unbounded variable-length relationship.
pub(super) const MAX_VAR_LENGTH: u64 = 64;

/// Every match of `parts` extending `row`, held (and charged) in a list.
pub fn match_patterns(ev: &Evaluator, parts: &[PatternPart], row: &Row) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for_each_match(ev, parts, row, |r| {
        ev.budget.charge(row_bytes(&r))?;
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f` with every match of `parts` extending `row`.
fn for_each_match(
    ev: &Evaluator,
    parts: &[PatternPart],
    row: &Row,
    mut f: impl FnMut(Row) -> Result<()>,
) -> Result<()> {
    match_seeking(ev, parts, &[], &[], row, &mut |r| f(r).map(|()| GO)).map(|_| ())
}

/// The conjuncts an index may seek for each part's start node (see `plan::MatchPlan`); missing
/// parts have none.
type Seeks<'s> = &'s [Vec<Seek<'s>>];

/// Per part, per step, the conjuncts of `WHERE` to check there (see `plan::Filters`); missing
/// parts and steps have none.
type Checks<'s> = &'s [Vec<Vec<&'s Expr>>];

/// Pushes each match of `parts` extending `row` into `sink`, narrowing each part's start
/// candidates with its `seeks` where an index covers them, and dropping a partial match as
/// soon as one of its `checks` is not true. [`STOP`] if the sink stopped it.
pub fn match_seeking(
    ev: &Evaluator,
    parts: &[PatternPart],
    seeks: Seeks,
    checks: Checks,
    row: &Row,
    sink: &mut Sink,
) -> Result<Flow> {
    match_from(ev, parts, seeks, checks, row.clone(), &mut Vec::new(), sink)
}

/// Whether every conjunct of `checks` (those of one step, if any) is true for `row`.
pub(super) fn passes<'c>(
    ev: &Evaluator,
    checks: impl IntoIterator<Item = &'c Vec<&'c Expr>>,
    row: &Row,
) -> Result<bool> {
    for c in checks.into_iter().flatten() {
        if !ev.truthy(c, row)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The row an `OPTIONAL MATCH` yields when nothing matched: new variables are null.
pub fn with_nulls(parts: &[PatternPart], mut row: Row) -> Row {
    for part in parts {
        let nodes = std::iter::once(&part.element.start).chain(part.element.chain.iter().map(|(_, n)| n));
        let vars = nodes
            .filter_map(|n| n.var.as_ref())
            .chain(part.element.chain.iter().filter_map(|(r, _)| r.var.as_ref()))
            .chain(part.var.as_ref());
        for v in vars {
            row.insert_absent(&v.name, Value::Null);
        }
    }
    row
}

fn match_from(
    ev: &Evaluator,
    parts: &[PatternPart],
    seeks: Seeks,
    checks: Checks,
    row: Row,
    used: &mut Vec<RelId>,
    sink: &mut Sink,
) -> Result<Flow> {
    let Some((part, rest)) = parts.split_first() else {
        ev.budget.copy_row(&row)?;
        return sink(row);
    };
    if let Some(kind) = part.shortest {
        return shortest(ev, part, kind, rest, row, used, sink);
    }
    // The start node's property map depends only on `row`: evaluated once, at the first
    // candidate that has the labels (so a bad map is reported only when it is used).
    let (seek, rest_seeks) = seeks.split_first().map_or((&[][..], &[][..]), |(s, r)| (s.as_slice(), r));
    let (part_checks, rest_checks) = checks.split_first().map_or((&[][..], &[][..]), |(c, r)| (c.as_slice(), r));
    let mut wanted = None;
    let (starts, fitting) = candidates(ev, &part.element.start, seek, &row)?;
    for start in starts {
        ev.budget.tick(1)?;
        let mut r = row.clone();
        let bound = if fitting {
            bind_var(&part.element.start, start, &mut r)
        } else {
            bind_node(ev, &part.element.start, start, &mut r, &mut wanted)?
        };
        if !bound || !passes(ev, part_checks.first(), &r)? {
            continue;
        }
        // The path is only built for a path variable.
        let path = Path { nodes: part.var.as_ref().map_or_else(Vec::new, |_| vec![start]), rels: vec![] };
        let mut next =
            |ev: &Evaluator, row, used: &mut Vec<RelId>| match_from(ev, rest, rest_seeks, rest_checks, row, used, sink);
        if extend(ev, part, part_checks, 0, start, path, r, used, &mut next)?.is_break() {
            return Ok(STOP);
        }
    }
    Ok(GO)
}

/// The path variable a `shortestPath` part binds while it is searched, when it has none.
const SHORTEST_PATH: &str = " shortest path";

/// `shortestPath(..)` / `allShortestPaths(..)`: iterative deepening over the relationship's
/// length. Lengths are tried from the least up; a (start, end) pair first reached at length
/// `k` keeps its paths of length `k` only (the first one for `shortestPath`) and is ignored at
/// longer lengths. With both end nodes bound there is one pair, so the first length that
/// reaches it ends the search; otherwise it goes to the range's maximum (the work budget bounds
/// it). Between two bound nodes with lengths from 1, [`shortest_between`] searches instead.
fn shortest(
    ev: &Evaluator,
    part: &PatternPart,
    kind: ShortestKind,
    rest: &[PatternPart],
    row: Row,
    used: &mut Vec<RelId>,
    sink: &mut Sink,
) -> Result<Flow> {
    let [(rel, end)] = part.element.chain.as_slice() else {
        return Err(Error::runtime(
            Code::SyntaxError,
            "UnexpectedSyntax",
            "shortestPath needs a pattern of one relationship between two nodes",
        ));
    };
    let range = rel.length.unwrap_or(LengthRange { min: Some(1), max: Some(1) });
    let (min, max) = (range.min.unwrap_or(1), range.max.unwrap_or(MAX_VAR_LENGTH).min(MAX_VAR_LENGTH));
    let bound_node = |n: &NodePattern| match n.var.as_ref().and_then(|v| row.get(&v.name)) {
        Some(Value::Node(id)) => Some(*id),
        _ => None,
    };
    let rel_bound = rel.var.as_ref().is_some_and(|v| row.contains_key(&v.name));
    if let (Some(from), Some(to), 1, false) = (bound_node(&part.element.start), bound_node(end), min, rel_bound) {
        if from != to {
            return shortest_between(ev, part, kind, (from, to), max, rest, row, used, sink);
        }
    }
    // With both ends bound there is one pair: the first length that reaches it ends the search.
    let one_pair = bound_node(&part.element.start).is_some() && bound_node(end).is_some();
    let path_var = part.var.as_ref().map_or(SHORTEST_PATH, |v| v.name.as_str());
    let mut reached: std::collections::BTreeSet<(NodeId, NodeId)> = std::collections::BTreeSet::new();
    for k in min..=max {
        let mut step = part.clone();
        step.shortest = None;
        step.var = Some(Ident { name: path_var.to_string(), span: part.span });
        if let Some((rel, _)) = step.element.chain.first_mut() {
            rel.length = Some(LengthRange { min: Some(k), max: Some(k) });
        }
        // The paths of this length are held (and charged) until the shortest are picked.
        let (mut found, mut held) = (Vec::new(), super::Held::default());
        // This sink never stops the search.
        let _ = match_from(ev, std::slice::from_ref(&step), &[], &[], row.clone(), used, &mut |r| {
            held.charge(ev.budget, row_bytes(&r))?;
            found.push(r);
            Ok(GO)
        })?;
        let mut kept: Vec<Row> = Vec::new();
        let mut new_pairs = std::collections::BTreeSet::new();
        for mut r in found {
            let Some(Value::Path(p)) = r.get(path_var) else { continue };
            let (Some(&from), Some(&to)) = (p.nodes.first(), p.nodes.last()) else { continue };
            let pair = (from, to);
            let first_of_pair = new_pairs.insert(pair);
            if reached.contains(&pair) || (kind == ShortestKind::Shortest && !first_of_pair) {
                continue;
            }
            if part.var.is_none() {
                r.remove(SHORTEST_PATH);
            }
            kept.push(r);
        }
        reached.extend(new_pairs);
        let done = one_pair && !kept.is_empty();
        for r in kept {
            if match_from(ev, rest, &[], &[], r, used, sink)?.is_break() {
                held.release(ev.budget);
                return Ok(STOP);
            }
        }
        held.release(ev.budget);
        if done {
            break;
        }
    }
    Ok(GO)
}

/// `shortestPath` / `allShortestPaths` between two bound nodes `(from, to)` with a length
/// range starting at 1: a breadth-first search from both ends, a level of the side with the
/// smaller frontier at a time, until they meet (each node expanded at most once, and only
/// about the square root of what one side alone would reach). The paths are then read off in
/// the order a depth-first search of that length finds them (neighbours in the order
/// [`neighbours`] gives; the first path for `shortestPath`), following only hops that stay on
/// a shortest path. A shortest path repeats no node, so it is a trail, as Cypher's matching
/// requires.
#[allow(clippy::too_many_arguments)]
fn shortest_between(
    ev: &Evaluator,
    part: &PatternPart,
    kind: ShortestKind,
    (from, to): (NodeId, NodeId),
    max: u64,
    rest: &[PatternPart],
    row: Row,
    used: &mut Vec<RelId>,
    sink: &mut Sink,
) -> Result<Flow> {
    let [(rel, end)] = part.element.chain.as_slice() else { return Ok(GO) };
    let mut r = row.clone();
    if !bind_node(ev, &part.element.start, from, &mut r, &mut None)? || !bind_node(ev, end, to, &mut r, &mut None)? {
        return Ok(GO);
    }
    let props = rel.props.as_ref().map(|p| ev.eval(p, &row)).transpose()?;
    let mut held = super::Held::default();
    let mut search = Bidirectional {
        ev,
        used,
        props: props.as_ref(),
        forward: Side::new(from, rel.clone()),
        backward: Side::new(to, RelPattern { direction: reversed(rel.direction), ..rel.clone() }),
        hops: BTreeMap::new(),
        good: BTreeMap::new(),
    };
    let Some(length) = search.length(max, &mut held)? else {
        held.release(ev.budget);
        return Ok(GO);
    };
    // The paths in depth-first order, each hop staying on a shortest path.
    let mut paths = Vec::new();
    let mut stack: Vec<Path> = vec![Path { nodes: vec![from], rels: vec![] }];
    while let Some(p) = stack.pop() {
        let Some(&at) = p.nodes.last() else { continue };
        if at == to {
            held.charge(ev.budget, 64 + 16 * p.nodes.len())?;
            paths.push(p);
            if kind == ShortestKind::Shortest {
                break;
            }
            continue;
        }
        let depth = p.rels.len() as u64;
        let mut branches = Vec::new();
        for (rid, n) in search.forward_hops(at, &mut held)? {
            if search.on_path(n, depth + 1, length, &mut held)? {
                let mut q = p.clone();
                q.rels.push(rid);
                q.nodes.push(n);
                branches.push(q);
            }
        }
        ev.budget.tick(1 + branches.len() as u64)?;
        stack.extend(branches.into_iter().rev());
    }
    let used = search.used;
    for p in paths {
        let mut out = r.clone();
        if let Some(v) = &rel.var {
            out.insert(&v.name, Value::List(p.rels.iter().map(|&id| Value::Rel(id)).collect()));
        }
        if let Some(v) = &part.var {
            out.insert(&v.name, Value::Path(p));
        }
        if match_from(ev, rest, &[], &[], out, used, sink)?.is_break() {
            held.release(ev.budget);
            return Ok(STOP);
        }
    }
    held.release(ev.budget);
    Ok(GO)
}

fn reversed(d: Direction) -> Direction {
    match d {
        Direction::Outgoing => Direction::Incoming,
        Direction::Incoming => Direction::Outgoing,
        Direction::Both => Direction::Both,
    }
}

/// One end of a bidirectional search: each reached node's distance from that end, the nodes
/// at the deepest level, and the hop pattern as seen from that end.
struct Side {
    distance: BTreeMap<NodeId, u64>,
    frontier: Vec<NodeId>,
    depth: u64,
    rel: RelPattern,
}

impl Side {
    fn new(at: NodeId, rel: RelPattern) -> Self {
        Side { distance: BTreeMap::from([(at, 0)]), frontier: vec![at], depth: 0, rel }
    }
}

struct Bidirectional<'e, 'a, 'u> {
    ev: &'e Evaluator<'a>,
    used: &'u mut Vec<RelId>,
    props: Option<&'e Value>,
    forward: Side,
    backward: Side,
    /// Usable forward hops of the nodes looked at so far.
    hops: BTreeMap<NodeId, Vec<(RelId, NodeId)>>,
    /// Whether a node at its forward distance lies on a shortest path (nodes the backward side
    /// did not reach).
    good: BTreeMap<NodeId, bool>,
}

impl Bidirectional<'_, '_, '_> {
    /// The hops from `at` along `rel` a path may use (not used elsewhere in the `MATCH`, their
    /// properties matching).
    fn usable(&self, at: NodeId, rel: &RelPattern, held: &mut super::Held) -> Result<Vec<(RelId, NodeId)>> {
        let found: Vec<(RelId, NodeId)> = neighbours(self.ev, at, rel)
            .iter()
            .filter(|(rid, _)| !self.used.contains(rid) && rel_props_match(self.ev, *rid, self.props))
            .collect();
        self.ev.budget.tick(1 + found.len() as u64)?;
        held.charge(self.ev.budget, 64 + 32 * found.len())?;
        Ok(found)
    }

    fn forward_hops(&mut self, at: NodeId, held: &mut super::Held) -> Result<Vec<(RelId, NodeId)>> {
        if let Some(h) = self.hops.get(&at) {
            return Ok(h.clone());
        }
        let found = self.usable(at, &self.forward.rel, held)?;
        self.hops.insert(at, found.clone());
        Ok(found)
    }

    /// The length of the shortest paths, if there is one of at most `max` hops: levels of the
    /// side with the smaller frontier until the sides meet.
    fn length(&mut self, max: u64, held: &mut super::Held) -> Result<Option<u64>> {
        while self.forward.depth + self.backward.depth < max {
            let forward = self.forward.frontier.len() <= self.backward.frontier.len();
            let frontier =
                std::mem::take(if forward { &mut self.forward.frontier } else { &mut self.backward.frontier });
            let mut next = Vec::new();
            for at in frontier {
                let found =
                    if forward { self.forward_hops(at, held)? } else { self.usable(at, &self.backward.rel, held)? };
                let side = if forward { &mut self.forward } else { &mut self.backward };
                for (_, n) in found {
                    if let std::collections::btree_map::Entry::Vacant(e) = side.distance.entry(n) {
                        e.insert(side.depth + 1);
                        next.push(n);
                    }
                }
            }
            let (side, other) =
                if forward { (&mut self.forward, &self.backward) } else { (&mut self.backward, &self.forward) };
            side.depth += 1;
            let met = next.iter().filter_map(|n| Some(side.depth + other.distance.get(n)?)).min();
            if met.is_some() {
                return Ok(met);
            }
            if next.is_empty() {
                return Ok(None);
            }
            side.frontier = next;
        }
        Ok(None)
    }

    /// Whether `n`, at `depth` hops from the start, lies on a shortest path of `length` hops:
    /// where the backward side reached, by its distance to the end; before that, by a hop to a
    /// node that does.
    fn on_path(&mut self, n: NodeId, depth: u64, length: u64, held: &mut super::Held) -> Result<bool> {
        let left = length.saturating_sub(depth);
        if depth > length {
            return Ok(false);
        }
        if left <= self.backward.depth {
            return Ok(self.backward.distance.get(&n) == Some(&left));
        }
        if self.forward.distance.get(&n) != Some(&depth) {
            return Ok(false);
        }
        if let Some(&known) = self.good.get(&n) {
            return Ok(known);
        }
        let mut good = false;
        for (_, m) in self.forward_hops(n, held)? {
            if self.on_path(m, depth + 1, length, held)? {
                good = true;
                break;
            }
        }
        self.good.insert(n, good);
        Ok(good)
    }
}

/// What follows a part's last hop: the rest of the pattern, then the sink.
type Next<'c> = dyn FnMut(&Evaluator, Row, &mut Vec<RelId>) -> Result<Flow> + 'c;

#[allow(clippy::too_many_arguments)]
fn extend(
    ev: &Evaluator,
    part: &PatternPart,
    checks: &[Vec<&Expr>],
    step: usize,
    at: NodeId,
    path: Path,
    mut row: Row,
    used: &mut Vec<RelId>,
    k: &mut Next,
) -> Result<Flow> {
    let Some((rel, node)) = part.element.chain.get(step) else {
        if let Some(v) = &part.var {
            row.insert(&v.name, Value::Path(path));
        }
        return k(ev, row, used);
    };
    let props = rel.props.as_ref().map(|p| ev.eval(p, &row)).transpose()?;
    match rel.length {
        None => {
            for (rid, next) in neighbours(ev, at, rel).iter() {
                ev.budget.tick(1)?;
                if used.contains(&rid) || !rel_props_match(ev, rid, props.as_ref()) {
                    continue;
                }
                let mut r = row.clone();
                if let Some(v) = &rel.var {
                    match r.get(&v.name) {
                        Some(Value::Rel(bound)) if *bound != rid => continue,
                        Some(Value::Rel(_)) => {}
                        Some(_) => continue,
                        None => {
                            r.insert(&v.name, Value::Rel(rid));
                        }
                    }
                }
                if !bind_node(ev, node, next, &mut r, &mut None)? || !passes(ev, checks.get(step + 1), &r)? {
                    continue;
                }
                let mut p = path.clone();
                if part.var.is_some() {
                    p.rels.push(rid);
                    p.nodes.push(next);
                }
                used.push(rid);
                let result = extend(ev, part, checks, step + 1, next, p, r, used, k);
                used.pop();
                if result?.is_break() {
                    return Ok(STOP);
                }
            }
            Ok(GO)
        }
        Some(range) => {
            let min = range.min.unwrap_or(1);
            let max = range.max.unwrap_or(MAX_VAR_LENGTH);
            let mut trail = Vec::new();
            var_length(ev, part, checks, step, at, path, &row, used, &mut trail, min, max, props.as_ref(), k)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn var_length(
    ev: &Evaluator,
    part: &PatternPart,
    checks: &[Vec<&Expr>],
    step: usize,
    at: NodeId,
    path: Path,
    row: &Row,
    used: &mut Vec<RelId>,
    trail: &mut Vec<RelId>,
    min: u64,
    max: u64,
    props: Option<&Value>,
    k: &mut Next,
) -> Result<Flow> {
    let Some((rel, node)) = part.element.chain.get(step) else {
        return Ok(GO);
    };
    // A variable already bound to a list of relationships fixes the walk to that list.
    let fixed = match rel.var.as_ref().and_then(|v| row.get(&v.name)) {
        Some(Value::List(l)) => Some(l),
        _ => None,
    };
    let hops = trail.len() as u64;
    let complete = fixed.is_none_or(|l| l.len() == trail.len());
    if hops >= min && complete {
        let mut r = row.clone();
        if bind_node(ev, node, at, &mut r, &mut None)? {
            if let Some(v) = rel.var.as_ref().filter(|_| fixed.is_none()) {
                r.insert(&v.name, Value::List(trail.iter().map(|&id| Value::Rel(id)).collect()));
            }
            if passes(ev, checks.get(step + 1), &r)?
                && extend(ev, part, checks, step + 1, at, path.clone(), r, used, k)?.is_break()
            {
                return Ok(STOP);
            }
        }
    }
    if hops >= max {
        return Ok(GO);
    }
    let wanted = fixed.map(|l| l.get(trail.len()));
    for (rid, next) in neighbours(ev, at, rel).iter() {
        ev.budget.tick(1)?;
        if used.contains(&rid) || !rel_props_match(ev, rid, props) {
            continue;
        }
        if wanted.is_some_and(|w| w != Some(&Value::Rel(rid))) {
            continue;
        }
        let mut p = path.clone();
        if part.var.is_some() {
            p.rels.push(rid);
            p.nodes.push(next);
        }
        used.push(rid);
        trail.push(rid);
        let result = var_length(ev, part, checks, step, next, p, row, used, trail, min, max, props, k);
        trail.pop();
        used.pop();
        if result?.is_break() {
            return Ok(STOP);
        }
    }
    Ok(GO)
}

/// Relationships from a node with their far nodes: one adjacency list as the graph keeps it
/// (not copied), or gathered from several (each direction in id order).
enum Hops {
    Kept(Adjacency),
    Gathered(Vec<Adjacent>),
}

impl Hops {
    fn iter(&self) -> impl Iterator<Item = (RelId, NodeId)> + '_ {
        let list = match self {
            Hops::Kept(list) => list,
            Hops::Gathered(list) => list.as_slice(),
        };
        list.iter().map(|a| (a.rel, a.other))
    }
}

/// Relationships from `at` that fit the pattern's direction and types, with the far node.
fn neighbours(ev: &Evaluator, at: NodeId, rel: &RelPattern) -> Hops {
    let g = ev.graph;
    let one_type = match rel.types.as_slice() {
        [one] => Some(one.name.as_str()),
        _ => None,
    };
    // One type's list in one direction is in id order already (its keys end with the id).
    match (rel.direction, one_type) {
        (Direction::Outgoing, Some(t)) => return Hops::Kept(g.adjacent(at, true, Some(t))),
        (Direction::Incoming, Some(t)) => return Hops::Kept(g.adjacent(at, false, Some(t))),
        _ => {}
    }
    // Each direction's relationships of the wanted types (one adjacency range per type), in
    // id order.
    let side = |outgoing: bool| {
        let mut found: Vec<Adjacent> = if rel.types.is_empty() {
            g.adjacent(at, outgoing, None).to_vec()
        } else {
            let types: std::collections::BTreeSet<&str> = rel.types.iter().map(|t| t.name.as_str()).collect();
            types.into_iter().flat_map(|t| g.adjacent(at, outgoing, Some(t)).to_vec()).collect()
        };
        found.sort_unstable_by_key(|a| (a.rel, a.other));
        found
    };
    let mut out = Vec::new();
    if rel.direction != Direction::Incoming {
        out = side(true);
    }
    if rel.direction != Direction::Outgoing {
        // A self-loop appears in both lists; an undirected pattern still uses it once.
        let seen: Vec<RelId> = out.iter().map(|a| a.rel).collect(); // sorted
        out.extend(side(false).into_iter().filter(|a| seen.binary_search(&a.rel).is_err()));
    }
    Hops::Gathered(out)
}

fn rel_props_match(ev: &Evaluator, rid: RelId, props: Option<&Value>) -> bool {
    let Some(Value::Map(wanted)) = props else {
        return true;
    };
    ev.graph.rel(rid).is_some_and(|r| props_match(&r.props, wanted))
}

fn props_match(have: &BTreeMap<String, Value>, wanted: &BTreeMap<String, Value>) -> bool {
    wanted.iter().all(|(k, v)| have.get(k).and_then(|h| h.cypher_eq(v)) == Some(true))
}

/// Nodes that could stand for `node` given the row: the bound one, an index's, a label's, or
/// all; and whether each is known to fit the pattern's labels and property map (an exact
/// index seek, [`index_seek`]), so that only its variable is left to bind.
fn candidates(ev: &Evaluator, node: &NodePattern, seek: &[Seek], row: &Row) -> Result<(Vec<NodeId>, bool)> {
    if let Some(v) = &node.var {
        match row.get(&v.name) {
            Some(Value::Node(id)) => return Ok((vec![*id], false)),
            Some(Value::Null) => return Ok((vec![], false)),
            Some(other) => {
                return Err(Error::runtime(
                    Code::TypeError,
                    "VariableTypeConflict",
                    format!("`{}` is a {}, not a node", v.name, other.type_name()),
                ))
            }
            None => {}
        }
    }
    if let Some(found) = index_seek(ev, node, seek, row)? {
        return Ok(found);
    }
    let all = match node.labels.first() {
        Some(label) => ev.graph.nodes_with_label(&label.name),
        None => ev.graph.node_ids(),
    };
    Ok((all, false))
}

/// The nodes an index finds for the node pattern, if one covers a label and a property of its
/// map or its `seek` ([`plan::index_seek`]): a superset, which [`bind_node`] and `WHERE` check,
/// unless the seek is exact (the `bool`): the pattern is one label and a map of the one
/// property the index keeps, and the value's index key is its alone
/// ([`kv::index_value_is_exact`]): an index entry is written in the same commit as the node's
/// value, so each node found fits.
fn index_seek(ev: &Evaluator, node: &NodePattern, seek: &[Seek], row: &Row) -> Result<Option<(Vec<NodeId>, bool)>> {
    let g = ev.graph;
    let found = match plan::index_seek(node, seek, |label, property| g.index_on(label, property).map(|(n, _)| n)) {
        None => return Ok(None),
        Some(IndexSeek::Equal { index, value: expr }) => {
            let value = ev.eval(expr, row)?;
            let only_entry = match &node.props {
                Some(Expr { kind: ExprKind::Map(entries), .. }) => {
                    matches!(entries.as_slice(), [(_, e)] if std::ptr::eq(e, expr))
                }
                _ => false,
            };
            let exact = node.labels.len() == 1 && only_entry && kv::index_value_is_exact(&value);
            let found = if value.is_null() { Vec::new() } else { g.index_candidates(index, &value) };
            return Ok(Some((found, exact)));
        }
        Some(IndexSeek::Range { index, bounds }) => {
            let (mut lower, mut upper) = (Unbounded, Unbounded);
            for (op, s) in bounds {
                let Some((low, high)) = range_bounds(op, ev.eval(s.value, row)?) else {
                    return Ok(Some((Vec::new(), false)));
                };
                lower = tighter(lower, low, Ordering::Greater);
                upper = tighter(upper, high, Ordering::Less);
            }
            g.index_range(index, lower.as_ref(), upper.as_ref())
        }
    };
    Ok(Some((found, false)))
}

/// The values `property op value` admits as bounds; `None` when it admits none (a null value,
/// or `STARTS WITH` something other than a string: the conjunct is null then).
fn range_bounds(op: RangeOp, value: Value) -> Option<(Bound<Value>, Bound<Value>)> {
    Some(match (op, value) {
        (_, Value::Null) => return None,
        (RangeOp::Lt, v) => (Unbounded, Excluded(v)),
        (RangeOp::Le, v) => (Unbounded, Included(v)),
        (RangeOp::Gt, v) => (Excluded(v), Unbounded),
        (RangeOp::Ge, v) => (Included(v), Unbounded),
        (RangeOp::StartsWith, Value::String(prefix)) => {
            let end = prefix_end(&prefix).map_or(Unbounded, |end| Excluded(Value::String(end)));
            (Included(Value::String(prefix)), end)
        }
        (RangeOp::StartsWith, _) => return None,
    })
}

/// The least string above every string that starts with `prefix` (none if there is none): its
/// last character that is not `char::MAX` moved to the next one, what follows it dropped.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut end = prefix.trim_end_matches(char::MAX).to_string();
    let last = end.pop()?;
    // `char::from_u32` refuses only the surrogate gap, which the next character skips.
    let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32)?;
    end.push(next);
    Some(end)
}

/// The tighter of two lower (`side` = `Greater`) or upper (`Less`) bounds. Each comes from a
/// conjunct every answer satisfies, so when they do not compare either one is safe.
fn tighter(a: Bound<Value>, b: Bound<Value>, side: Ordering) -> Bound<Value> {
    let order = match (&a, &b) {
        (Included(x) | Excluded(x), Included(y) | Excluded(y)) => y.cypher_cmp(x),
        (Unbounded, _) => return b,
        (_, Unbounded) => return a,
    };
    match order {
        Some(o) if o == side => b,
        Some(Ordering::Equal) if matches!(b, Excluded(_)) => b,
        _ => a,
    }
}

/// A node pattern's property map as evaluated for a row: a map literal's entries (no map is
/// built per row), or the value another expression gave (a map, or null: no constraint).
enum Wanted<'p> {
    Entries(Vec<(&'p str, Value)>),
    Value(Value),
}

impl<'p> Wanted<'p> {
    fn eval(ev: &Evaluator, p: &'p Expr, row: &Row) -> Result<Wanted<'p>> {
        if let ExprKind::Map(entries) = &p.kind {
            // A key given twice keeps its last value, as the map would.
            let once = |(i, (k, _)): (usize, &(Ident, Expr))| entries.iter().skip(i + 1).all(|(l, _)| l.name != k.name);
            if entries.iter().enumerate().all(once) {
                let value = |(k, v): &'p (Ident, Expr)| Ok((k.name.as_str(), ev.eval(v, row)?));
                return Ok(Wanted::Entries(entries.iter().map(value).collect::<Result<_>>()?));
            }
        }
        Ok(Wanted::Value(ev.eval(p, row)?))
    }
}

/// Checks `id` against the node pattern and binds its variable; false if it does not fit.
/// `wanted` caches the evaluated property map across calls with the same row (`&mut None`
/// evaluates it afresh).
fn bind_node<'p>(
    ev: &Evaluator,
    node: &'p NodePattern,
    id: NodeId,
    row: &mut Row,
    wanted: &mut Option<Wanted<'p>>,
) -> Result<bool> {
    let has_labels = |n: NodeView| n.has_labels(node.labels.iter().map(|l| l.name.as_str()));
    if !ev.graph.with_node(id, has_labels).unwrap_or(false) {
        return Ok(false);
    }
    if let Some(p) = &node.props {
        let wanted = match wanted {
            Some(w) => &*w,
            None => wanted.insert(Wanted::eval(ev, p, row)?),
        };
        if let Wanted::Value(v) = wanted {
            if !matches!(v, Value::Map(_) | Value::Null) {
                return Err(Error::runtime(
                    Code::TypeError,
                    "InvalidArgumentType",
                    format!("pattern properties must be a map, got {}", v.type_name()),
                ));
            }
        }
        let has = |n: NodeView| match wanted {
            Wanted::Entries(e) => n.has_properties(e.iter().map(|(k, v)| (*k, v))),
            Wanted::Value(Value::Map(m)) => n.has_properties(m.iter().map(|(k, v)| (k.as_str(), v))),
            Wanted::Value(_) => Ok(true),
        };
        if !ev.graph.with_node(id, has).unwrap_or(false) {
            return Ok(false);
        }
    }
    Ok(bind_var(node, id, row))
}

/// Binds the node pattern's variable to `id`; false if the row binds it to something else.
fn bind_var(node: &NodePattern, id: NodeId, row: &mut Row) -> bool {
    if let Some(v) = &node.var {
        match row.get(&v.name) {
            Some(Value::Node(bound)) => return *bound == id,
            Some(_) => return false,
            None => {
                row.insert(&v.name, Value::Node(id));
            }
        }
    }
    true
}

impl Evaluator<'_> {
    /// Pattern predicates, pattern comprehensions and `EXISTS { pattern [WHERE ...] }`.
    pub(super) fn pattern_expr(&self, e: &Expr, row: &Row) -> Result<Value> {
        let part = |var: Option<&Ident>, element: &PatternElement| PatternPart {
            var: var.cloned(),
            shortest: None,
            element: element.clone(),
            span: element.span,
        };
        // Existence needs one match: the search stops at the first.
        let any = |parts: &[PatternPart], where_: Option<&Expr>| -> Result<Value> {
            let found = match_seeking(self, parts, &[], &[], row, &mut |r| {
                Ok(if where_.map_or(Ok(true), |w| self.truthy(w, &r))? { STOP } else { GO })
            })?;
            Ok(Value::Bool(found.is_break()))
        };
        match &e.kind {
            ExprKind::PatternPredicate(element) => any(&[part(None, element)], None),
            ExprKind::PatternComprehension { var, pattern, filter, map } => {
                let mut out = Vec::new();
                for_each_match(self, &[part(var.as_ref(), pattern)], row, |r| {
                    if filter.as_ref().map_or(Ok(true), |f| self.truthy(f, &r))? {
                        let v = self.eval(map, &r)?;
                        self.budget.charge(super::value_bytes(&v))?;
                        out.push(v);
                    }
                    Ok(())
                })?;
                Ok(Value::List(out))
            }
            ExprKind::Exists(sub) => match &**sub {
                ExistsSubquery::Pattern { pattern, where_ } => any(pattern, where_.as_ref()),
                ExistsSubquery::Query(q) => {
                    let outer: crate::plan::Scope = row.keys().map(|k| (k.to_string(), crate::plan::Ty::Any)).collect();
                    for part in crate::plan::subquery("", q, &outer)? {
                        let mut found = false;
                        super::pipeline::run(&part.steps, [row.clone()], self, &mut |_| {
                            found = true;
                            Ok(STOP)
                        })?;
                        if found {
                            return Ok(Value::Bool(true));
                        }
                    }
                    Ok(Value::Bool(false))
                }
            },
            _ => Ok(Value::Null),
        }
    }
}

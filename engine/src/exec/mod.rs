//! Runs a [`Plan`] against a graph transaction, clause by clause over a list of rows.
//!
//! Invariants: rows only hold variables the planner put in scope; every write goes through the
//! [`Tx`], so reads later in the query see it; nothing here touches the object store.
mod budget;
mod call;
mod eval;
mod functions;
mod merge;
mod pattern;
mod schema;
mod temporal;

use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::{Properties, Tx, TxError, Value};
use crate::plan::{Plan, ProjectionPlan, Step};
pub use budget::{exceeded, value_bytes, Budget, QueryLimits};
use budget::{map_bytes, row_bytes, rows_bytes};
pub use eval::{format_float, Evaluator};
pub use functions::seed_random;
use std::collections::{BTreeMap, BTreeSet};
pub use temporal::set_clock;

/// Variable name → value.
pub type Row = BTreeMap<String, Value>;

/// The rows a query returns, in column order.
#[derive(Debug, Default, PartialEq)]
pub struct Output {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// Runs the plan within `budget`: going over one of its limits ends the query with
/// `LimitExceeded`, before anything is committed.
pub fn run(plan: &Plan, tx: &mut Tx, params: &BTreeMap<String, Value>, budget: &Budget) -> Result<Output> {
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (i, part) in plan.parts.iter().enumerate() {
        // Live from here on: the result rows of earlier parts.
        let floor = budget.held();
        let mut current = vec![Row::new()];
        for step in &part.steps {
            current = run_step(step, current, tx, params, budget)?;
            // The step consumed its input and dropped its temporaries: its output is what is live.
            budget.release_to(floor);
            budget.charge(rows_bytes(&current))?;
        }
        // Every part ends in a RETURN (or is a standalone CALL) with these columns, if any.
        if !plan.columns.is_empty() {
            let max = budget.limits().max_result_rows;
            if rows.len().saturating_add(current.len()) > max {
                return Err(budget::exceeded("max_result_rows", format!("the result has more than {max} rows")));
            }
            let column = |r: &Row, n: &String| r.get(n).cloned().unwrap_or(Value::Null);
            rows.extend(current.iter().map(|r| plan.columns.iter().map(|n| column(r, n)).collect::<Vec<_>>()));
        }
        if i > 0 && !plan.union_all[i - 1] {
            rows = dedup(rows, budget)?;
        }
        budget.release_to(floor);
        budget.charge(rows.iter().flatten().map(value_bytes).fold(0, usize::saturating_add))?;
    }
    tx.check().map_err(tx_error)?;
    Ok(Output { columns: plan.columns.clone(), rows })
}

fn dedup(rows: Vec<Vec<Value>>, budget: &Budget) -> Result<Vec<Vec<Value>>> {
    let mut out: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
    let mut seen = Equivalents::default();
    for r in rows {
        let (found, compared) = seen.find(&r, |i| &out[i]);
        budget.tick(1 + compared as u64)?;
        if found.is_none() {
            seen.add(&r, out.len());
            out.push(r);
        }
    }
    Ok(out)
}

/// Positions of value tuples, found up to [`Value::equivalent`] by comparing a tuple only with
/// those that share its equivalence hint: grouping and `DISTINCT` in about linear time.
#[derive(Default)]
pub(crate) struct Equivalents {
    by_hint: std::collections::HashMap<u64, Vec<usize>>,
}

impl Equivalents {
    fn hint(key: &[Value]) -> u64 {
        key.iter().fold(key.len() as u64, |h, v| h.rotate_left(5) ^ v.equivalence_hint())
    }

    /// The position of a tuple equivalent to `key` (`at` gives the tuple at a position), and
    /// how many tuples were compared.
    pub(crate) fn find<'a>(&self, key: &[Value], at: impl Fn(usize) -> &'a [Value]) -> (Option<usize>, usize) {
        let candidates = self.by_hint.get(&Self::hint(key)).map_or(&[][..], Vec::as_slice);
        let equal = |i: &&usize| {
            let other = at(**i);
            other.len() == key.len() && other.iter().zip(key).all(|(a, b)| a.equivalent(b))
        };
        (candidates.iter().find(equal).copied(), candidates.len())
    }

    pub(crate) fn add(&mut self, key: &[Value], position: usize) {
        self.by_hint.entry(Self::hint(key)).or_default().push(position);
    }
}

/// The evaluator for expressions of a clause that may write: it reads the transaction's graph.
fn evaluator<'a>(tx: &'a Tx, params: &'a BTreeMap<String, Value>, budget: &'a Budget<'a>) -> Evaluator<'a> {
    Evaluator { graph: tx.graph(), params, before: Some(tx.base()), budget }
}

pub(crate) fn tx_error(e: TxError) -> Error {
    match e {
        TxError::NodeHasRelationships(_) => {
            Error::runtime(Code::ConstraintVerificationFailed, "DeleteConnectedNode", e.to_string())
        }
        TxError::InvalidProperty { .. } => Error::runtime(Code::TypeError, "InvalidPropertyType", e.to_string()),
        TxError::Uniqueness { .. } => {
            Error::runtime(Code::ConstraintVerificationFailed, "UniquenessConstraintViolation", e.to_string())
        }
    }
}

/// The clauses that only read: `MATCH`, `UNWIND`, `WITH` / `RETURN`, `CALL` (also run inside `EXISTS`).
pub(crate) fn read_step(step: &Step, rows: Vec<Row>, ev: &Evaluator) -> Result<Vec<Row>> {
    match step {
        Step::Match(m) => {
            let mut out = Vec::new();
            for row in rows {
                ev.budget.tick(1)?;
                // The matches are charged as they are found; those WHERE drops are released.
                let mark = ev.budget.held();
                let matches = pattern::match_seeking(ev, &m.pattern, &m.seeks, &row)?;
                ev.budget.release_to(mark);
                let mut any = false;
                for r in matches {
                    if m.where_.as_ref().map_or(Ok(true), |w| ev.truthy(w, &r))? {
                        any = true;
                        ev.budget.charge(row_bytes(&r))?;
                        out.push(r);
                    }
                }
                if m.optional && !any {
                    out.push(pattern::with_nulls(&m.pattern, row));
                }
            }
            Ok(out)
        }
        Step::Unwind(u) => {
            let mut out = Vec::new();
            for row in rows {
                let items = match ev.eval(&u.expr, &row)? {
                    Value::List(l) => l,
                    Value::Null => vec![],
                    v => vec![v],
                };
                for item in items {
                    let mut r = row.clone();
                    r.insert(u.var.name.clone(), item);
                    ev.budget.row(&r)?;
                    out.push(r);
                }
            }
            Ok(out)
        }
        Step::Project(p) => project(p, rows, ev),
        Step::Call(c) => call::run(c, rows, ev),
        _ => Err(Error::runtime(Code::SyntaxError, "InvalidClauseComposition", "this clause cannot run here")),
    }
}

fn run_step(
    step: &Step,
    rows: Vec<Row>,
    tx: &mut Tx,
    params: &BTreeMap<String, Value>,
    budget: &Budget,
) -> Result<Vec<Row>> {
    match step {
        Step::Match(_) | Step::Unwind(_) | Step::Project(_) | Step::Call(_) => {
            read_step(step, rows, &evaluator(tx, params, budget))
        }
        Step::Schema(cmd) => schema::run(cmd, tx),
        Step::Create(c) => {
            let mut out = Vec::with_capacity(rows.len());
            for mut row in rows {
                budget.tick(1)?;
                for part in &c.pattern {
                    create_part(part, &mut row, tx, params, budget)?;
                }
                out.push(row);
            }
            Ok(out)
        }
        Step::Set(s) => {
            for row in &rows {
                budget.tick(1)?;
                for item in &s.items {
                    set_item(item, row, tx, params, budget)?;
                }
            }
            Ok(rows)
        }
        Step::Remove(r) => {
            for row in &rows {
                budget.tick(1)?;
                for item in &r.items {
                    match item {
                        RemoveItem::Property { target, key } => {
                            let target = evaluator(tx, params, budget).eval(target, row)?;
                            set_property(tx, &target, &key.name, Value::Null, budget)?;
                        }
                        RemoveItem::Labels { var, labels } => {
                            if let Some(Value::Node(id)) = row.get(&var.name) {
                                let names: Vec<String> = labels.iter().map(|l| l.name.clone()).collect();
                                tx.set_labels(*id, &names, false);
                            }
                        }
                    }
                }
            }
            Ok(rows)
        }
        Step::Delete(d) => {
            for row in &rows {
                budget.tick(1)?;
                for e in &d.exprs {
                    let v = evaluator(tx, params, budget).eval(e, row)?;
                    delete_value(tx, v, d.detach)?;
                }
            }
            Ok(rows)
        }
        Step::Merge(m) => merge::run(m, rows, tx, params, budget),
    }
}

fn delete_value(tx: &mut Tx, v: Value, detach: bool) -> Result<()> {
    match v {
        Value::Null => {}
        Value::Node(id) => tx.delete_node(id, detach),
        Value::Rel(id) => tx.delete_rel(id),
        Value::Path(p) => {
            p.rels.iter().for_each(|&r| tx.delete_rel(r));
            p.nodes.iter().for_each(|&n| tx.delete_node(n, detach));
        }
        v => {
            return Err(Error::runtime(
                Code::TypeError,
                "InvalidArgumentType",
                format!("DELETE needs a node, relationship or path, got {}", v.type_name()),
            ))
        }
    }
    Ok(())
}

fn eval_props(ev: &Evaluator, props: Option<&Expr>, row: &Row) -> Result<Properties> {
    match props.map(|p| ev.eval(p, row)).transpose()? {
        None | Some(Value::Null) => Ok(Properties::new()),
        Some(Value::Map(m)) => Ok(m),
        Some(v) => Err(Error::runtime(
            Code::TypeError,
            "InvalidArgumentType",
            format!("properties must be a map, got {}", v.type_name()),
        )),
    }
}

/// Approximate bytes of a node or relationship beyond its properties (ids, labels or type, the
/// adjacency entries), kept for the rest of the request once created.
const ENTITY_BYTES: usize = 128;

fn create_node(
    node: &NodePattern,
    row: &mut Row,
    tx: &mut Tx,
    params: &BTreeMap<String, Value>,
    budget: &Budget,
) -> Result<u64> {
    if let Some(&Value::Node(id)) = node.var.as_ref().and_then(|v| row.get(&v.name)) {
        return Ok(id);
    }
    let props = eval_props(&evaluator(tx, params, budget), node.props.as_ref(), row)?;
    budget.keep(ENTITY_BYTES + map_bytes(&props))?;
    let labels: BTreeSet<String> = node.labels.iter().map(|l| l.name.clone()).collect();
    let id = tx.create_node(labels, props).map_err(tx_error)?;
    if let Some(v) = &node.var {
        row.insert(v.name.clone(), Value::Node(id));
    }
    Ok(id)
}

pub(super) fn create_part(
    part: &PatternPart,
    row: &mut Row,
    tx: &mut Tx,
    params: &BTreeMap<String, Value>,
    budget: &Budget,
) -> Result<()> {
    let mut prev = create_node(&part.element.start, row, tx, params, budget)?;
    let mut path = crate::graph::Path { nodes: vec![prev], rels: vec![] };
    for (rel, node) in &part.element.chain {
        let next = create_node(node, row, tx, params, budget)?;
        let props = eval_props(&evaluator(tx, params, budget), rel.props.as_ref(), row)?;
        budget.keep(ENTITY_BYTES + map_bytes(&props))?;
        let (start, end) = if rel.direction == Direction::Incoming { (next, prev) } else { (prev, next) };
        let rel_type = rel.types.first().map(|t| t.name.as_str()).unwrap_or_default();
        let id = tx.create_rel(rel_type, start, end, props).map_err(tx_error)?;
        if let Some(v) = &rel.var {
            row.insert(v.name.clone(), Value::Rel(id));
        }
        path.rels.push(id);
        path.nodes.push(next);
        prev = next;
    }
    if let Some(v) = &part.var {
        row.insert(v.name.clone(), Value::Path(path));
    }
    Ok(())
}

fn set_property(tx: &mut Tx, target: &Value, key: &str, value: Value, budget: &Budget) -> Result<()> {
    budget.keep(value_bytes(&value))?;
    match target {
        Value::Null => Ok(()),
        Value::Node(id) => tx.set_node_property(*id, key, value).map_err(tx_error),
        Value::Rel(id) => tx.set_rel_property(*id, key, value).map_err(tx_error),
        v => Err(Error::runtime(
            Code::TypeError,
            "InvalidArgumentType",
            format!("cannot set a property on a {}", v.type_name()),
        )),
    }
}

pub(super) fn set_item(
    item: &SetItem,
    row: &Row,
    tx: &mut Tx,
    params: &BTreeMap<String, Value>,
    budget: &Budget,
) -> Result<()> {
    let ev = evaluator(tx, params, budget);
    match item {
        SetItem::Property { target, key, value } => {
            let (target, value) = (ev.eval(target, row)?, ev.eval(value, row)?);
            set_property(tx, &target, &key.name, value, budget)
        }
        SetItem::Replace { var, value } | SetItem::Merge { var, value } => {
            let target = row.get(&var.name).cloned().unwrap_or(Value::Null);
            let new = match ev.eval(value, row)? {
                Value::Map(m) => m,
                Value::Node(id) => tx.graph().node(id).map(|n| n.props.clone()).unwrap_or_default(),
                Value::Rel(id) => tx.graph().rel(id).map(|r| r.props.clone()).unwrap_or_default(),
                Value::Null => Properties::new(),
                v => {
                    return Err(Error::runtime(
                        Code::TypeError,
                        "InvalidArgumentType",
                        format!("SET needs a map, got {}", v.type_name()),
                    ))
                }
            };
            if matches!(item, SetItem::Replace { .. }) {
                let old: Vec<String> = match &target {
                    Value::Node(id) => tx.graph().node(*id).map(|n| n.props.keys().cloned().collect()),
                    Value::Rel(id) => tx.graph().rel(*id).map(|r| r.props.keys().cloned().collect()),
                    _ => None,
                }
                .unwrap_or_default();
                for k in old.into_iter().filter(|k| !new.contains_key(k)) {
                    set_property(tx, &target, &k, Value::Null, budget)?;
                }
            }
            new.into_iter().try_for_each(|(k, v)| set_property(tx, &target, &k, v, budget))
        }
        SetItem::Labels { var, labels } => {
            if let Some(Value::Node(id)) = row.get(&var.name) {
                let names: Vec<String> = labels.iter().map(|l| l.name.clone()).collect();
                tx.set_labels(*id, &names, true);
            }
            Ok(())
        }
    }
}

fn count_value(ev: &Evaluator, e: Option<&Expr>, what: &str) -> Result<Option<usize>> {
    let Some(e) = e else { return Ok(None) };
    match ev.eval(e, &Row::new())? {
        Value::Int(i) if i >= 0 => Ok(Some(usize::try_from(i).unwrap_or(usize::MAX))),
        v => Err(Error::runtime(
            Code::SyntaxError,
            "InvalidArgumentType",
            format!("{what} must be a non-negative integer, got {}", v),
        )),
    }
}

/// `WITH` / `RETURN`: grouping and aggregation, `DISTINCT`, `ORDER BY`, `SKIP`, `LIMIT`, `WHERE`.
fn project(p: &ProjectionPlan, rows: Vec<Row>, ev: &Evaluator) -> Result<Vec<Row>> {
    let clause = p.clause;
    let budget = ev.budget;
    // Each output row keeps its input row so ORDER BY can see variables that were not projected.
    let mut out: Vec<(Row, Row)> = Vec::new();
    if p.aggregates {
        let keys: Vec<&(String, Expr)> = p.items.iter().filter(|(_, e)| !crate::plan::contains_aggregate(e)).collect();
        let mut groups: Vec<(Vec<Value>, Vec<Row>)> = Vec::new();
        let mut index = Equivalents::default();
        for row in rows {
            let key = keys.iter().map(|(_, e)| ev.eval(e, &row)).collect::<Result<Vec<_>>>()?;
            let (found, compared) = index.find(&key, |i| &groups[i].0);
            budget.tick(1 + compared as u64)?;
            match found.and_then(|i| groups.get_mut(i)) {
                Some((_, members)) => members.push(row),
                None => {
                    budget.charge(key.iter().map(value_bytes).fold(0, usize::saturating_add))?;
                    index.add(&key, groups.len());
                    groups.push((key, vec![row]))
                }
            }
        }
        if groups.is_empty() && keys.is_empty() {
            groups.push((vec![], vec![]));
        }
        for (_, members) in groups {
            let first = members.first().cloned().unwrap_or_default();
            let mut projected = Row::new();
            for (name, e) in &p.items {
                projected.insert(name.clone(), ev.eval_group(e, &first, &members)?);
            }
            budget.row(&projected)?;
            out.push((projected, Row::new()));
        }
    } else {
        for row in rows {
            let mut projected = Row::new();
            for (name, e) in &p.items {
                projected.insert(name.clone(), ev.eval(e, &row)?);
            }
            budget.row(&projected)?;
            out.push((projected, row));
        }
    }
    if clause.distinct {
        let (mut seen, mut index) = (Vec::<Vec<Value>>::new(), Equivalents::default());
        let mut kept = Vec::with_capacity(out.len());
        for (r, source) in out {
            let key: Vec<Value> = p.items.iter().map(|(n, _)| r.get(n).cloned().unwrap_or(Value::Null)).collect();
            let (found, compared) = index.find(&key, |i| &seen[i]);
            budget.tick(1 + compared as u64)?;
            if found.is_none() {
                budget.charge(key.iter().map(value_bytes).fold(0, usize::saturating_add))?;
                index.add(&key, seen.len());
                seen.push(key);
                kept.push((r, source));
            }
        }
        out = kept;
    }
    if !p.order_by.is_empty() {
        let mut keyed = Vec::with_capacity(out.len());
        for (projected, source) in out {
            budget.tick(1)?;
            let scope = merged(&source, &projected);
            let key = p.order_by.iter().map(|(e, _)| ev.eval(e, &scope)).collect::<Result<Vec<_>>>()?;
            budget.charge(key.iter().map(value_bytes).fold(0, usize::saturating_add))?;
            keyed.push((key, (projected, source)));
        }
        // About n log n comparisons.
        let n = keyed.len() as u64;
        budget.tick(n.saturating_mul(u64::from(n.max(1).ilog2() + 1)))?;
        keyed.sort_by(|(a, _), (b, _)| {
            a.iter()
                .zip(b)
                .zip(&p.order_by)
                .map(|((x, y), (_, desc))| if *desc { y.order(x) } else { x.order(y) })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        out = keyed.into_iter().map(|(_, r)| r).collect();
    }
    let skip = count_value(ev, clause.skip.as_ref(), "SKIP")?.unwrap_or(0);
    let limit = count_value(ev, clause.limit.as_ref(), "LIMIT")?.unwrap_or(usize::MAX);
    let mut result = Vec::new();
    for (projected, source) in out.into_iter().skip(skip).take(limit) {
        budget.tick(1)?;
        let keep = match &p.where_ {
            Some(w) => ev.truthy(w, &merged(&source, &projected))?,
            None => true,
        };
        if keep {
            result.push(projected);
        }
    }
    Ok(result)
}

/// The row ORDER BY and WHERE see: the input row overlaid with the projected columns.
fn merged(source: &Row, projected: &Row) -> Row {
    let mut scope = source.clone();
    scope.extend(projected.iter().map(|(k, v)| (k.clone(), v.clone())));
    scope
}

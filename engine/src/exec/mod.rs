//! Runs a [`Plan`] against a graph transaction. The reading clauses of a query part run as a
//! push pipeline (`pipeline.rs`): a row goes from clause to clause as soon as it is made, and
//! only grouping and `ORDER BY` hold rows. Write clauses keep Cypher's eager semantics: a write
//! clause gets all the rows of the clauses before it at once, and the clauses after it start
//! only once it has run over all of them, so they see all of its effects.
//!
//! Invariants: rows only hold variables the planner put in scope; every write goes through the
//! [`Tx`], so reads later in the query see it; nothing here touches the object store.
mod aggregate;
mod budget;
mod call;
mod eval;
mod functions;
mod merge;
mod pattern;
mod pipeline;
mod project;
mod row;
mod schema;
mod temporal;

use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::{Properties, Tx, TxError, Value};
use crate::plan::{Plan, Step};
use crate::storage::view::FastHasher;
pub use budget::{exceeded, value_bytes, Budget, QueryLimits};
use budget::{map_bytes, row_bytes, Held};
pub use eval::{format_float, Evaluator};
pub use functions::seed_random;
use pipeline::{Rows, GO};
use std::collections::{BTreeMap, BTreeSet};
pub use temporal::set_clock;

pub use row::Row;

/// The rows a query returns, in column order.
#[derive(Debug, Default, PartialEq)]
pub struct Output {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// Runs the plan within `budget`: going over one of its limits ends the query with
/// `LimitExceeded`, before anything is committed.
pub fn run(plan: &Plan, tx: &mut Tx, params: &BTreeMap<String, Value>, budget: &Budget) -> Result<Output> {
    let mut out = Output { columns: plan.columns.clone(), rows: Vec::new() };
    // `UNION` (never mixed with `UNION ALL`) returns each row once: the rows so far are indexed.
    let union = plan.union_all.iter().any(|all| !all);
    let mut seen = Equivalents::default();
    let max = budget.limits().max_result_rows;
    let (floor, mut result_bytes) = (budget.held(), 0usize);
    for part in &plan.parts {
        run_part(&part.steps, tx, params, budget, &mut |mut row| {
            // Every part ends in a RETURN (or is a standalone CALL) with these columns, if any.
            if out.columns.is_empty() {
                return Ok(GO);
            }
            let values: Vec<Value> = out.columns.iter().map(|n| row.remove(n).unwrap_or(Value::Null)).collect();
            if union {
                let rows = &out.rows;
                let (found, compared) = seen.find(&values, |i| rows.get(i).map_or(&[][..], Vec::as_slice));
                budget.tick(1 + compared as u64)?;
                if found.is_some() {
                    return Ok(GO);
                }
                seen.add(&values, out.rows.len());
            }
            if out.rows.len() >= max {
                return Err(budget::exceeded("max_result_rows", format!("the result has more than {max} rows")));
            }
            let bytes = values.iter().map(value_bytes).fold(0, usize::saturating_add);
            result_bytes = result_bytes.saturating_add(bytes);
            budget.charge(bytes)?;
            out.rows.push(values);
            Ok(GO)
        })?;
        // The part's clauses hold nothing any more: only the result is live.
        budget.release_to(floor);
        budget.charge(result_bytes)?;
    }
    tx.check().map_err(tx_error)?;
    Ok(out)
}

/// Runs one single query's clauses, pushing the rows of its last clause into `out`: runs of
/// reading clauses as pipelines, each write clause over all the rows of the run before it.
fn run_part(
    steps: &[Step],
    tx: &mut Tx,
    params: &BTreeMap<String, Value>,
    budget: &Budget,
    out: &mut pipeline::Sink,
) -> Result<()> {
    let mut input = Rows::new(vec![Row::new()], budget)?;
    let mut steps = steps;
    loop {
        let reads = steps.iter().position(|s| !pipeline::reads(s)).unwrap_or(steps.len());
        let (run, rest) = steps.split_at_checked(reads).unwrap_or((steps, &[]));
        let Some((write, after)) = rest.split_first() else {
            return input.run(run, &evaluator(tx, params, budget), out);
        };
        let mut gathered = Rows::default();
        input.run(run, &evaluator(tx, params, budget), &mut |r| {
            gathered.push(r, budget)?;
            Ok(GO)
        })?;
        // A run that missed blocks is thrown away and run again once they are fetched. A
        // last `CREATE` makes new entities only, whose writes read nothing the rerun needs
        // fetched: skipping it spares an incomplete run (e.g. a bulk load's) half its work.
        if matches!(write, Step::Create(_)) && after.is_empty() && tx.incomplete() {
            return Ok(());
        }
        input = gathered.write(budget, |rows| write_step(write, rows, tx, params, budget))?;
        steps = after;
    }
}

/// Distinct tuples of values, up to [`Value::equivalent`], in the order they were first
/// inserted: `DISTINCT` rows and the values of a `DISTINCT` aggregate. The tuples are stored
/// flat, so a set of single values allocates nothing per value.
struct Distinct {
    width: usize,
    values: Vec<Value>,
    count: usize,
    index: Equivalents,
}

impl Distinct {
    fn new(width: usize) -> Self {
        Distinct { width, values: Vec::new(), count: 0, index: Equivalents::default() }
    }

    /// Adds `key` (of the set's width) unless an equivalent tuple is in; whether it was added.
    /// What is added is charged to `held`.
    fn insert(&mut self, key: Vec<Value>, budget: &Budget, held: &mut Held) -> Result<bool> {
        let (width, values) = (self.width, &self.values);
        let at = |i: usize| values.get(i * width..(i + 1) * width).unwrap_or(&[]);
        let (found, compared) = self.index.find(&key, at);
        budget.tick(1 + compared as u64)?;
        if found.is_some() {
            return Ok(false);
        }
        held.charge(budget, key.iter().map(value_bytes).fold(0, usize::saturating_add))?;
        self.index.add(&key, self.count);
        self.count += 1;
        self.values.extend(key);
        Ok(true)
    }

    /// The values of the tuples, in order.
    fn into_values(self) -> Vec<Value> {
        self.values
    }
}

/// Positions of value tuples, found up to [`Value::equivalent`] by comparing a tuple only with
/// those that share its equivalence hint: grouping and `DISTINCT` in about linear time.
#[derive(Default)]
pub(crate) struct Equivalents {
    by_hint: std::collections::HashMap<u64, Vec<usize>, std::hash::BuildHasherDefault<FastHasher>>,
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
fn evaluator<'a>(tx: &'a mut Tx, params: &'a BTreeMap<String, Value>, budget: &'a Budget<'a>) -> Evaluator<'a> {
    let (graph, before) = tx.graphs();
    Evaluator { graph, params, before: Some(before), budget }
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

/// A write clause (or a schema command) over all the rows of the clauses before it.
fn write_step(
    step: &Step,
    rows: Vec<Row>,
    tx: &mut Tx,
    params: &BTreeMap<String, Value>,
    budget: &Budget,
) -> Result<Vec<Row>> {
    match step {
        Step::Match(_) | Step::Unwind(_) | Step::Project(_) | Step::Call(_) => {
            Err(Error::new(Code::Internal, "a reading clause ran as a write clause"))
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

/// A created entity's properties. An expression that reads nothing of the graph (a bulk
/// load's `{id: r[0]}`) is evaluated over the graph the transaction began with: its value is
/// the same, and the entities created so far need not be made readable ([`Tx::graph`]).
fn eval_props(
    tx: &mut Tx,
    props: Option<&Expr>,
    row: &Row,
    params: &BTreeMap<String, Value>,
    budget: &Budget,
) -> Result<Properties> {
    let Some(props) = props else { return Ok(Properties::new()) };
    let value = match reads_graph(props) {
        true => evaluator(tx, params, budget).eval(props, row)?,
        false => Evaluator { graph: tx.base(), params, before: None, budget }.eval(props, row)?,
    };
    match value {
        Value::Null => Ok(Properties::new()),
        Value::Map(m) => Ok(m),
        v => Err(Error::runtime(
            Code::TypeError,
            "InvalidArgumentType",
            format!("properties must be a map, got {}", v.type_name()),
        )),
    }
}

/// Whether evaluating `e` may read the graph: anything but literals, parameters, variables,
/// and lists, maps, operators, slices and integer indexes of those (`n['key']` reads a
/// property).
fn reads_graph(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Parameter(_) | ExprKind::Variable(_) => false,
        ExprKind::List(items) => items.iter().any(reads_graph),
        ExprKind::Map(entries) => entries.iter().any(|(_, v)| reads_graph(v)),
        ExprKind::Unary(_, x) | ExprKind::IsNull { expr: x, .. } => reads_graph(x),
        ExprKind::Binary(_, a, b) => reads_graph(a) || reads_graph(b),
        ExprKind::Comparison(first, rest) => reads_graph(first) || rest.iter().any(|(_, x)| reads_graph(x)),
        ExprKind::Index(list, index) => {
            reads_graph(list) || !matches!(index.kind, ExprKind::Literal(Literal::Integer(_)))
        }
        ExprKind::Slice(list, from, to) => reads_graph(list) || from.iter().chain(to).any(|x| reads_graph(x)),
        _ => true,
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
    let props = eval_props(tx, node.props.as_ref(), row, params, budget)?;
    budget.keep(ENTITY_BYTES + map_bytes(&props))?;
    let labels: BTreeSet<String> = node.labels.iter().map(|l| l.name.clone()).collect();
    let id = tx.create_node(labels, props).map_err(tx_error)?;
    if let Some(v) = &node.var {
        row.insert(&v.name, Value::Node(id));
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
    // Only a named part (`p = (a)-[:R]->(b)`) needs its path (a bulk load's parts are not).
    let mut path = part.var.as_ref().map(|_| crate::graph::Path { nodes: vec![prev], rels: vec![] });
    for (rel, node) in &part.element.chain {
        let next = create_node(node, row, tx, params, budget)?;
        let props = eval_props(tx, rel.props.as_ref(), row, params, budget)?;
        budget.keep(ENTITY_BYTES + map_bytes(&props))?;
        let (start, end) = if rel.direction == Direction::Incoming { (next, prev) } else { (prev, next) };
        let rel_type = rel.types.first().map(|t| t.name.as_str()).unwrap_or_default();
        let id = tx.create_rel(rel_type, start, end, props).map_err(tx_error)?;
        if let Some(v) = &rel.var {
            row.insert(&v.name, Value::Rel(id));
        }
        if let Some(path) = &mut path {
            path.rels.push(id);
            path.nodes.push(next);
        }
        prev = next;
    }
    if let (Some(v), Some(path)) = (&part.var, path) {
        row.insert(&v.name, Value::Path(path));
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

//! Runs a [`Plan`] against a graph transaction, clause by clause over a list of rows.
//!
//! Invariants: rows only hold variables the planner put in scope; every write goes through the
//! [`Tx`], so reads later in the query see it; nothing here touches the object store.
mod call;
mod eval;
mod functions;
mod merge;
mod pattern;
mod temporal;

use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::{Properties, Tx, TxError, Value};
use crate::plan::{Plan, ProjectionPlan, Step};
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

pub fn run(plan: &Plan, tx: &mut Tx, params: &BTreeMap<String, Value>) -> Result<Output> {
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (i, part) in plan.parts.iter().enumerate() {
        let mut current = vec![Row::new()];
        for step in &part.steps {
            current = run_step(step, current, tx, params)?;
        }
        // Every part ends in a RETURN (or is a standalone CALL) with these columns, if any.
        if !plan.columns.is_empty() {
            let column = |r: &Row, n: &String| r.get(n).cloned().unwrap_or(Value::Null);
            rows.extend(current.iter().map(|r| plan.columns.iter().map(|n| column(r, n)).collect::<Vec<_>>()));
        }
        if i > 0 && !plan.union_all[i - 1] {
            rows = dedup(rows);
        }
    }
    tx.check().map_err(tx_error)?;
    Ok(Output { columns: plan.columns.clone(), rows })
}

fn dedup(rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
    for r in rows {
        if !out.iter().any(|o| o.len() == r.len() && o.iter().zip(&r).all(|(a, b)| a.equivalent(b))) {
            out.push(r);
        }
    }
    out
}

pub(crate) fn tx_error(e: TxError) -> Error {
    match e {
        TxError::NodeHasRelationships(_) => {
            Error::runtime(Code::ConstraintVerificationFailed, "DeleteConnectedNode", e.to_string())
        }
        TxError::InvalidProperty { .. } => Error::runtime(Code::TypeError, "InvalidPropertyType", e.to_string()),
    }
}

/// The clauses that only read: `MATCH`, `UNWIND`, `WITH` / `RETURN`, `CALL` (also run inside `EXISTS`).
pub(crate) fn read_step(step: &Step, rows: Vec<Row>, ev: &Evaluator) -> Result<Vec<Row>> {
    match step {
        Step::Match(m) => {
            let mut out = Vec::new();
            for row in rows {
                let matches = pattern::match_patterns(ev, &m.pattern, &row)?;
                let mut any = false;
                for r in matches {
                    if m.where_.as_ref().map_or(Ok(true), |w| ev.truthy(w, &r))? {
                        any = true;
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

fn run_step(step: &Step, rows: Vec<Row>, tx: &mut Tx, params: &BTreeMap<String, Value>) -> Result<Vec<Row>> {
    match step {
        Step::Match(_) | Step::Unwind(_) | Step::Project(_) | Step::Call(_) => {
            read_step(step, rows, &Evaluator { graph: tx.graph(), params, before: Some(tx.base()) })
        }
        Step::Create(c) => {
            let mut out = Vec::with_capacity(rows.len());
            for mut row in rows {
                for part in &c.pattern {
                    create_part(part, &mut row, tx, params)?;
                }
                out.push(row);
            }
            Ok(out)
        }
        Step::Set(s) => {
            for row in &rows {
                for item in &s.items {
                    set_item(item, row, tx, params)?;
                }
            }
            Ok(rows)
        }
        Step::Remove(r) => {
            for row in &rows {
                for item in &r.items {
                    match item {
                        RemoveItem::Property { target, key } => {
                            let target =
                                Evaluator { graph: tx.graph(), params, before: Some(tx.base()) }.eval(target, row)?;
                            set_property(tx, &target, &key.name, Value::Null)?;
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
                for e in &d.exprs {
                    let v = Evaluator { graph: tx.graph(), params, before: Some(tx.base()) }.eval(e, row)?;
                    delete_value(tx, v, d.detach)?;
                }
            }
            Ok(rows)
        }
        Step::Merge(m) => merge::run(m, rows, tx, params),
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

fn create_node(node: &NodePattern, row: &mut Row, tx: &mut Tx, params: &BTreeMap<String, Value>) -> Result<u64> {
    if let Some(&Value::Node(id)) = node.var.as_ref().and_then(|v| row.get(&v.name)) {
        return Ok(id);
    }
    let props =
        eval_props(&Evaluator { graph: tx.graph(), params, before: Some(tx.base()) }, node.props.as_ref(), row)?;
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
) -> Result<()> {
    let mut prev = create_node(&part.element.start, row, tx, params)?;
    let mut path = crate::graph::Path { nodes: vec![prev], rels: vec![] };
    for (rel, node) in &part.element.chain {
        let next = create_node(node, row, tx, params)?;
        let props =
            eval_props(&Evaluator { graph: tx.graph(), params, before: Some(tx.base()) }, rel.props.as_ref(), row)?;
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

fn set_property(tx: &mut Tx, target: &Value, key: &str, value: Value) -> Result<()> {
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

pub(super) fn set_item(item: &SetItem, row: &Row, tx: &mut Tx, params: &BTreeMap<String, Value>) -> Result<()> {
    let ev = Evaluator { graph: tx.graph(), params, before: Some(tx.base()) };
    match item {
        SetItem::Property { target, key, value } => {
            let (target, value) = (ev.eval(target, row)?, ev.eval(value, row)?);
            set_property(tx, &target, &key.name, value)
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
                    set_property(tx, &target, &k, Value::Null)?;
                }
            }
            new.into_iter().try_for_each(|(k, v)| set_property(tx, &target, &k, v))
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
    // Each output row keeps its input row so ORDER BY can see variables that were not projected.
    let mut out: Vec<(Row, Row)> = Vec::new();
    if p.aggregates {
        let keys: Vec<&(String, Expr)> = p.items.iter().filter(|(_, e)| !crate::plan::contains_aggregate(e)).collect();
        let mut groups: Vec<(Vec<Value>, Vec<Row>)> = Vec::new();
        for row in rows {
            let key = keys.iter().map(|(_, e)| ev.eval(e, &row)).collect::<Result<Vec<_>>>()?;
            match groups.iter_mut().find(|(k, _)| k.iter().zip(&key).all(|(a, b)| a.equivalent(b))) {
                Some((_, members)) => members.push(row),
                None => groups.push((key, vec![row])),
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
            out.push((projected, Row::new()));
        }
    } else {
        for row in rows {
            let mut projected = Row::new();
            for (name, e) in &p.items {
                projected.insert(name.clone(), ev.eval(e, &row)?);
            }
            out.push((projected, row));
        }
    }
    if clause.distinct {
        let mut seen: Vec<Vec<Value>> = Vec::new();
        out.retain(|(r, _)| {
            let key: Vec<Value> = p.items.iter().map(|(n, _)| r.get(n).cloned().unwrap_or(Value::Null)).collect();
            let dup = seen.iter().any(|s| s.iter().zip(&key).all(|(a, b)| a.equivalent(b)));
            if !dup {
                seen.push(key);
            }
            !dup
        });
    }
    if !p.order_by.is_empty() {
        let mut keyed = Vec::with_capacity(out.len());
        for (projected, source) in out {
            let scope = merged(&source, &projected);
            let key = p.order_by.iter().map(|(e, _)| ev.eval(e, &scope)).collect::<Result<Vec<_>>>()?;
            keyed.push((key, (projected, source)));
        }
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

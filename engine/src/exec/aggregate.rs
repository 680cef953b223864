//! Grouping and the aggregate functions, folded one row at a time. A group holds its key, one
//! accumulator per aggregate call, and the few variables its aggregating items read outside
//! their calls (from the group's first row); never the group's rows.
//!
//! Invariants:
//! - An accumulator yields what folding the whole group at once would: the same arithmetic in
//!   the same order, so the same values and the same errors (types, overflow). The one
//!   exception is `stDev` / `stDevP`, folded with Welford's running mean instead of two passes
//!   over held values: equal to within the last bit or so of rounding.
//! - `DISTINCT` calls hold their distinct values and fold them when the group ends; `collect`
//!   and the percentiles hold their values; `min` / `max` hold the best value so far. All of it,
//!   the keys and the kept variables are charged to the budget until the groups are yielded.
//! - With no grouping key, no input still makes one group (`count(*)` is 0).
use super::budget::{row_bytes, value_bytes, Held};
use super::eval::{binary, numeric, type_error};
use super::pipeline::Sink;
use super::{Distinct, Equivalents, Evaluator, Row};
use crate::cypher::ast::{BinaryOp, Expr, ExprKind, MapProjectionItem};
use crate::error::{Code, Error, Result};
use crate::graph::{IdMap, Value};
use crate::plan::{children, contains_aggregate, free_outside_aggregates, is_aggregate};
use std::collections::BTreeSet;

/// The groups of one `WITH` / `RETURN` that aggregates.
pub(super) struct Groups<'p> {
    items: &'p [(String, Expr)],
    /// Per item: whether it aggregates; the others are the grouping keys, in order.
    aggregating: Vec<bool>,
    /// The aggregate calls of the aggregating items.
    calls: Vec<Call<'p>>,
    /// The variables the aggregating items read outside their calls (`None`: every variable).
    context: Option<BTreeSet<String>>,
    groups: Vec<Group>,
    index: Equivalents,
    held: Held,
    /// The key of the row being added (kept between rows, so finding a group allocates none).
    key: Vec<Value>,
    /// The one variable every grouping key reads, if each is it or one of its properties
    /// (`t.name`): for a node, the key is a function of the node's id while a pipeline runs
    /// (it only reads), so `by_node` remembers each node's group and the key is evaluated
    /// once per node, not once per row.
    key_var: Option<&'p str>,
    by_node: IdMap<usize>,
}

/// Nodes [`Groups::by_node`] remembers at most (a memo: past this, keys are evaluated).
const BY_NODE_MAX: usize = 1 << 12;

struct Group {
    key: Vec<Value>,
    /// The [`Groups::context`] variables of the group's first row.
    context: Row,
    accumulators: Vec<Accumulator>,
}

/// One aggregate call as written.
struct Call<'p> {
    expr: &'p Expr,
    function: Function,
    distinct: bool,
    /// The value folded (none for `count(*)`).
    arg: Option<&'p Expr>,
    /// The percentile of `percentileCont` / `percentileDisc`.
    percentile: Option<&'p Expr>,
}

#[derive(Clone, Copy, PartialEq)]
enum Function {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Collect,
    StDev { sample: bool },
    Percentile { discrete: bool },
}

/// The values of a group's aggregate calls, each found by the call's address: the calls are
/// borrowed from the plan for the whole run, so an address names one call.
pub struct Aggregated<'p>(Vec<(&'p Expr, Value)>);

impl Aggregated<'_> {
    pub(super) fn get(&self, call: &Expr) -> Option<&Value> {
        self.0.iter().find(|(c, _)| std::ptr::eq(*c, call)).map(|(_, v)| v)
    }
}

impl<'p> Groups<'p> {
    pub(super) fn new(items: &'p [(String, Expr)]) -> Result<Self> {
        let aggregating: Vec<bool> = items.iter().map(|(_, e)| contains_aggregate(e)).collect();
        let mut calls = Vec::new();
        let aggregating_items = || items.iter().zip(&aggregating).filter(|(_, a)| **a).map(|((_, e), _)| e);
        for e in aggregating_items() {
            collect_calls(e, &mut calls)?;
        }
        let context = if aggregating_items().any(needs_whole_row) {
            None
        } else {
            let mut vars = Vec::new();
            aggregating_items().for_each(|e| free_outside_aggregates(e, &mut vars));
            Some(vars.into_iter().collect())
        };
        Ok(Groups {
            items,
            key_var: key_var(items, &aggregating),
            aggregating,
            calls,
            context,
            groups: Vec::new(),
            index: Equivalents::default(),
            held: Held::default(),
            key: Vec::new(),
            by_node: IdMap::default(),
        })
    }

    /// Folds `row` into its group, opening the group if it is the first of its key.
    pub(super) fn add(&mut self, row: Row, ev: &Evaluator) -> Result<()> {
        let node = match self.key_var.and_then(|v| row.get(v)) {
            Some(Value::Node(id)) => Some(*id),
            _ => None,
        };
        let i = match node.and_then(|id| self.by_node.get(&id)) {
            Some(&i) => {
                ev.budget.tick(1)?;
                i
            }
            None => {
                let i = self.group_of(&row, ev)?;
                if let Some(id) = node.filter(|_| self.by_node.len() < BY_NODE_MAX) {
                    self.by_node.insert(id, i);
                }
                i
            }
        };
        if let Some(group) = self.groups.get_mut(i) {
            for (call, acc) in self.calls.iter().zip(&mut group.accumulators) {
                acc.add(call, &row, ev, &mut self.held)?;
            }
        }
        Ok(())
    }

    /// The position of `row`'s group, opened if it is the first of its key.
    fn group_of(&mut self, row: &Row, ev: &Evaluator) -> Result<usize> {
        self.key.clear();
        for ((_, e), _) in self.items.iter().zip(&self.aggregating).filter(|(_, a)| !**a) {
            self.key.push(ev.eval(e, row)?);
        }
        let groups = &self.groups;
        let (found, compared) = self.index.find(&self.key, |i| groups.get(i).map_or(&[][..], |g| g.key.as_slice()));
        ev.budget.tick(1 + compared as u64)?;
        if let Some(i) = found {
            return Ok(i);
        }
        let key = std::mem::take(&mut self.key);
        let group = self.open(key, Some(row), ev)?;
        self.index.add(&group.key, self.groups.len());
        self.groups.push(group);
        Ok(self.groups.len() - 1)
    }

    fn open(&mut self, key: Vec<Value>, first: Option<&Row>, ev: &Evaluator) -> Result<Group> {
        let context: Row = match (&self.context, first) {
            (_, None) => Row::new(),
            (None, Some(row)) => row.clone(),
            (Some(vars), Some(row)) => vars.iter().filter_map(|v| Some((v.as_str(), row.get(v)?.clone()))).collect(),
        };
        let accumulators =
            self.calls.iter().map(|c| Accumulator::new(c, first, ev)).collect::<Result<Vec<Accumulator>>>()?;
        let fixed = std::mem::size_of::<Group>() + accumulators.len() * std::mem::size_of::<Accumulator>();
        let bytes = key.iter().map(value_bytes).fold(row_bytes(&context).saturating_add(fixed), usize::saturating_add);
        self.held.charge(ev.budget, bytes)?;
        Ok(Group { key, context, accumulators })
    }

    /// The input has ended: pushes one projected row per group into `emit`, in the order the
    /// groups were opened, until it answers stop.
    pub(super) fn finish(mut self, ev: &Evaluator, emit: &mut Sink) -> Result<()> {
        if self.groups.is_empty() && self.aggregating.iter().all(|a| *a) {
            let group = self.open(Vec::new(), None, ev)?;
            self.groups.push(group);
        }
        for group in std::mem::take(&mut self.groups) {
            let mut values = Vec::with_capacity(self.calls.len());
            for (call, acc) in self.calls.iter().zip(group.accumulators) {
                values.push((call.expr, acc.finish(call, ev)?));
            }
            let aggregated = Aggregated(values);
            let mut keys = group.key.into_iter();
            let mut projected = Row::new();
            for ((name, e), aggregating) in self.items.iter().zip(&self.aggregating) {
                let v = if *aggregating {
                    ev.eval_group(e, &group.context, &aggregated)?
                } else {
                    keys.next().unwrap_or(Value::Null)
                };
                projected.insert(name, v);
            }
            ev.budget.copy_row(&projected)?;
            if emit(projected)?.is_break() {
                break;
            }
        }
        self.held.release(ev.budget);
        Ok(())
    }
}

/// The aggregate calls in `e`, in the order a walk meets them (none nests in another).
fn collect_calls<'p>(e: &'p Expr, out: &mut Vec<Call<'p>>) -> Result<()> {
    match &e.kind {
        ExprKind::CountStar => {
            out.push(Call { expr: e, function: Function::CountStar, distinct: false, arg: None, percentile: None });
            Ok(())
        }
        ExprKind::FunctionCall { name, distinct, args } if is_aggregate(name) => {
            let written = name.first().map_or("", |n| n.name.as_str());
            let function = match written.to_ascii_lowercase().as_str() {
                "count" => Function::Count,
                "sum" => Function::Sum,
                "avg" => Function::Avg,
                "min" => Function::Min,
                "max" => Function::Max,
                "collect" => Function::Collect,
                "stdev" => Function::StDev { sample: true },
                "stdevp" => Function::StDev { sample: false },
                "percentilecont" => Function::Percentile { discrete: false },
                "percentiledisc" => Function::Percentile { discrete: true },
                _ => return Err(Error::new(Code::Internal, format!("unknown aggregate {written}"))),
            };
            let arg = args.first().ok_or_else(|| {
                Error::runtime(Code::SyntaxError, "InvalidNumberOfArguments", format!("{written}() needs an argument"))
            })?;
            let percentile = if matches!(function, Function::Percentile { .. }) { args.get(1) } else { None };
            out.push(Call { expr: e, function, distinct: *distinct, arg: Some(arg), percentile });
            Ok(())
        }
        _ => children(e).into_iter().try_for_each(|c| collect_calls(c, out)),
    }
}

/// Whether `e` reads, outside its aggregate calls, variables that [`free_outside_aggregates`]
/// does not list (in a pattern, or a map projection's `{v}`): the group then keeps its whole
/// first row.
fn needs_whole_row(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::CountStar => false,
        ExprKind::FunctionCall { name, .. } if is_aggregate(name) => false,
        ExprKind::PatternPredicate(_) | ExprKind::Exists(_) | ExprKind::PatternComprehension { .. } => true,
        ExprKind::MapProjection { items, .. } if items.iter().any(|i| matches!(i, MapProjectionItem::Variable(_))) => {
            true
        }
        _ => children(e).into_iter().any(needs_whole_row),
    }
}

/// One aggregate call's state in one group.
struct Accumulator {
    /// `DISTINCT`: the distinct values so far, folded when the group ends.
    distinct: Option<Distinct>,
    fold: Fold,
    /// The percentile argument, read from the group's first row.
    percentile: Option<Value>,
}

impl Accumulator {
    fn new(call: &Call, first: Option<&Row>, ev: &Evaluator) -> Result<Self> {
        let percentile = match call.percentile {
            Some(p) => Some(ev.eval(p, first.unwrap_or(&Row::new()))?),
            None => None,
        };
        Ok(Accumulator {
            distinct: call.distinct.then(|| Distinct::new(1)),
            fold: Fold::new(call.function),
            percentile,
        })
    }

    fn add(&mut self, call: &Call, row: &Row, ev: &Evaluator, held: &mut Held) -> Result<()> {
        let Some(arg) = call.arg else {
            ev.budget.tick(1)?;
            return self.fold.add(Value::Null, ev, held);
        };
        let v = ev.eval(arg, row)?;
        if v.is_null() {
            return ev.budget.tick(1);
        }
        match &mut self.distinct {
            Some(distinct) => distinct.insert(vec![v], ev.budget, held).map(|_| ()),
            None => {
                ev.budget.tick(1)?;
                self.fold.add(v, ev, held)
            }
        }
    }

    fn finish(mut self, call: &Call, ev: &Evaluator) -> Result<Value> {
        if let Some(distinct) = self.distinct.take() {
            let mut held = Held::default();
            for v in distinct.into_values() {
                self.fold.add(v, ev, &mut held)?;
            }
            held.release(ev.budget);
        }
        let percentile = match (self.percentile, call.percentile) {
            (Some(p), _) => p,
            // Not opened by a row (no input, no key): read on an empty row.
            (None, Some(p)) => ev.eval(p, &Row::new())?,
            (None, None) => Value::Null,
        };
        self.fold.finish(&percentile)
    }
}

/// The variable every grouping key of `items` reads, if there are keys and each is that
/// variable or one of its properties.
fn key_var<'p>(items: &'p [(String, Expr)], aggregating: &[bool]) -> Option<&'p str> {
    let read = |e: &'p Expr| match &e.kind {
        ExprKind::Variable(v) => Some(v.as_str()),
        ExprKind::Property(target, _) => match &target.kind {
            ExprKind::Variable(v) => Some(v.as_str()),
            _ => None,
        },
        _ => None,
    };
    let mut keys = items.iter().zip(aggregating).filter(|(_, a)| !**a).map(|((_, e), _)| read(e));
    let first = keys.next()??;
    keys.all(|v| v == Some(first)).then_some(first)
}

/// The running value of one aggregate function.
enum Fold {
    Count(i64),
    Sum(Value),
    Avg {
        total: f64,
        n: u64,
    },
    /// `min` (`max: false`) or `max`, with the bytes charged for the best value so far.
    Best {
        best: Option<Value>,
        max: bool,
        charged: usize,
    },
    Collect(Vec<Value>),
    /// Welford's running mean and sum of squared deviations.
    StDev {
        sample: bool,
        n: u64,
        mean: f64,
        m2: f64,
    },
    Percentile {
        discrete: bool,
        values: Vec<Value>,
    },
}

impl Fold {
    fn new(function: Function) -> Fold {
        match function {
            Function::CountStar | Function::Count => Fold::Count(0),
            Function::Sum => Fold::Sum(Value::Int(0)),
            Function::Avg => Fold::Avg { total: 0.0, n: 0 },
            Function::Min => Fold::Best { best: None, max: false, charged: 0 },
            Function::Max => Fold::Best { best: None, max: true, charged: 0 },
            Function::Collect => Fold::Collect(Vec::new()),
            Function::StDev { sample } => Fold::StDev { sample, n: 0, mean: 0.0, m2: 0.0 },
            Function::Percentile { discrete } => Fold::Percentile { discrete, values: Vec::new() },
        }
    }

    /// Folds in a non-null value (anything, for `count(*)`); what is kept is charged to `held`.
    fn add(&mut self, v: Value, ev: &Evaluator, held: &mut Held) -> Result<()> {
        match self {
            Fold::Count(n) => *n = n.saturating_add(1),
            Fold::Sum(total) => *total = binary(BinaryOp::Add, std::mem::replace(total, Value::Null), numeric(v)?)?,
            Fold::Avg { total, n } => {
                *total += float(&numeric(v)?);
                *n += 1;
            }
            Fold::Best { best, max, charged } => {
                // The first least value, or the last greatest (as `min_by` / `max_by` keep).
                let better = best.as_ref().is_none_or(|b| match v.order(b) {
                    std::cmp::Ordering::Less => !*max,
                    _ => *max,
                });
                if better {
                    // Charged for the largest value it has held.
                    let bytes = value_bytes(&v);
                    if bytes > *charged {
                        held.charge(ev.budget, bytes - *charged)?;
                        *charged = bytes;
                    }
                    *best = Some(v);
                }
            }
            Fold::Collect(values) | Fold::Percentile { values, .. } => {
                held.charge(ev.budget, value_bytes(&v))?;
                values.push(v);
            }
            Fold::StDev { n, mean, m2, .. } => {
                let x = float(&numeric(v)?);
                *n += 1;
                let delta = x - *mean;
                *mean += delta / *n as f64;
                *m2 += delta * (x - *mean);
            }
        }
        Ok(())
    }

    fn finish(self, percentile_arg: &Value) -> Result<Value> {
        Ok(match self {
            Fold::Count(n) => Value::Int(n),
            Fold::Sum(total) => total,
            Fold::Avg { n: 0, .. } => Value::Null,
            Fold::Avg { total, n } => Value::Float(total / n as f64),
            Fold::Best { best, .. } => best.unwrap_or(Value::Null),
            Fold::Collect(values) => Value::List(values),
            Fold::StDev { sample, n, m2, .. } => {
                // Of a sample or a population; 0 for fewer than two values.
                let denominator = if sample { n as f64 - 1.0 } else { n as f64 };
                Value::Float(if denominator <= 0.0 { 0.0 } else { (m2 / denominator).sqrt() })
            }
            Fold::Percentile { discrete, values } => percentile(values, percentile_arg, discrete)?,
        })
    }
}

fn float(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

/// `percentileCont` (interpolated) and `percentileDisc` (nearest value at or above).
fn percentile(values: Vec<Value>, p: &Value, discrete: bool) -> Result<Value> {
    let p = match p {
        Value::Int(_) | Value::Float(_) => float(p),
        v => return Err(type_error(format!("percentile needs a number, got {}", v.type_name()))),
    };
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::runtime(Code::ArgumentError, "NumberOutOfRange", "percentile must be between 0.0 and 1.0"));
    }
    let mut xs = values.into_iter().map(numeric).collect::<Result<Vec<Value>>>()?;
    xs.sort_by(|a, b| a.order(b));
    let Some(last) = xs.len().checked_sub(1) else {
        return Ok(Value::Null);
    };
    if discrete {
        let i = ((p * xs.len() as f64).ceil() as usize).saturating_sub(1).min(last);
        return Ok(xs.get(i).cloned().unwrap_or(Value::Null));
    }
    let pos = p * last as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let (a, b) = (xs.get(lo).map_or(f64::NAN, float), xs.get(hi).map_or(f64::NAN, float));
    Ok(Value::Float(a + (b - a) * (pos - lo as f64)))
}

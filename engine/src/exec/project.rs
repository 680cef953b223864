//! `WITH` / `RETURN` as a pipeline op. A row goes through, in order: projection (or grouping,
//! `aggregate.rs`), `DISTINCT`, `ORDER BY`, then `SKIP`, `LIMIT` and `WHERE`.
//!
//! Invariants: a projection that neither groups nor sorts streams. Each row goes on as soon as
//! it is projected; `DISTINCT` holds only the keys it has seen; `SKIP` only counts; and once
//! `LIMIT` rows have been taken it answers [`STOP`], so upstream stops. A projection that groups
//! or sorts holds what it needs (the groups, or each row with its sort key) until its input
//! ends, then yields its rows through the same `SKIP` / `LIMIT` / `WHERE` ([`Projection::finish`]);
//! with `LIMIT`, a sort holds at most about twice `SKIP + LIMIT` rows (top-k).
use super::aggregate::Groups;
use super::budget::{row_bytes, value_bytes, Held};
use super::pipeline::{Flow, Sink, GO, STOP};
use super::{Distinct, Evaluator, Row};
use crate::cypher::ast::Expr;
use crate::error::{Code, Error, Result};
use crate::graph::Value;
use crate::plan::ProjectionPlan;

pub(super) struct Projection<'p> {
    plan: &'p ProjectionPlan<'p>,
    groups: Option<Groups<'p>>,
    distinct: Option<Distinct>,
    sorted: Option<Vec<Sorted>>,
    /// The `DISTINCT` keys and the sorted rows.
    held: Held,
    skip: usize,
    limit: usize,
    skipped: usize,
    taken: usize,
}

/// A row of an `ORDER BY`: its sort key, the projected row, when `WHERE` needs it its input
/// row, and the bytes it holds.
type Sorted = (Vec<Value>, Row, Row, usize);

impl<'p> Projection<'p> {
    /// Evaluates `SKIP` and `LIMIT`, which are constant.
    pub(super) fn new(plan: &'p ProjectionPlan<'p>, ev: &Evaluator) -> Result<Self> {
        let clause = plan.clause;
        let skip = count_value(ev, clause.skip.as_ref(), "SKIP")?.unwrap_or(0);
        let limit = count_value(ev, clause.limit.as_ref(), "LIMIT")?.unwrap_or(usize::MAX);
        let groups = if plan.aggregates { Some(Groups::new(&plan.items)?) } else { None };
        Ok(Projection {
            plan,
            groups,
            distinct: clause.distinct.then(|| Distinct::new(plan.items.len())),
            sorted: (!plan.order_by.is_empty()).then(Vec::new),
            held: Held::default(),
            skip,
            limit,
            skipped: 0,
            taken: 0,
        })
    }

    /// Whether it holds its input until the input ends (it groups or sorts).
    pub(super) fn holds(&self) -> bool {
        self.groups.is_some() || self.sorted.is_some()
    }

    pub(super) fn push(&mut self, row: Row, ev: &Evaluator, next: &mut Sink) -> Result<Flow> {
        if let Some(groups) = &mut self.groups {
            groups.add(row, ev)?;
            return Ok(GO);
        }
        let mut projected = Row::new();
        for (name, e) in &self.plan.items {
            projected.insert(name, ev.eval(e, &row)?);
        }
        ev.budget.copy_row(&projected)?;
        self.emit(projected, row, ev, next)
    }

    /// The input has ended: yields the groups, then the sorted rows.
    pub(super) fn finish(&mut self, ev: &Evaluator, next: &mut Sink) -> Result<()> {
        if let Some(groups) = self.groups.take() {
            groups.finish(ev, &mut |projected| self.emit(projected, Row::new(), ev, next))?;
        }
        if let Some(mut entries) = self.sorted.take() {
            self.sort(&mut entries, ev)?;
            for (_, projected, source, _) in entries {
                if self.tail(projected, source, ev, next)?.is_break() {
                    break;
                }
            }
        }
        self.distinct = None;
        self.held.release(ev.budget);
        Ok(())
    }

    /// A projected row (`source` is the row it was projected from, empty after grouping):
    /// `DISTINCT`, then `ORDER BY` or straight on.
    fn emit(&mut self, projected: Row, source: Row, ev: &Evaluator, next: &mut Sink) -> Result<Flow> {
        if let Some(distinct) = &mut self.distinct {
            let key = self.plan.items.iter().map(|(n, _)| projected.get(n).cloned().unwrap_or(Value::Null));
            if !distinct.insert(key.collect(), ev.budget, &mut self.held)? {
                return Ok(GO);
            }
        }
        let Some(sorted) = &mut self.sorted else {
            return self.tail(projected, source, ev, next);
        };
        ev.budget.tick(1)?;
        let scope = merged(&source, &projected);
        let key = self.plan.order_by.iter().map(|(e, _)| ev.eval(e, &scope)).collect::<Result<Vec<_>>>()?;
        // Only `WHERE` reads the input row once the key is known.
        let source = if self.plan.where_.is_some() { source } else { Row::new() };
        let key_bytes = key.iter().map(value_bytes).fold(0, usize::saturating_add);
        let bytes = key_bytes.saturating_add(row_bytes(&projected)).saturating_add(row_bytes(&source));
        self.held.charge(ev.budget, bytes)?;
        sorted.push((key, projected, source, bytes));
        // Only the first `SKIP + LIMIT` rows in order can be yielded: once twice as many are
        // held, sort and keep those (a stable sort keeps ties in arrival order, as sorting
        // everything at the end would).
        let wanted = self.skip.saturating_add(self.limit);
        if sorted.len() >= wanted.saturating_mul(2).max(64) {
            let mut entries = std::mem::take(sorted);
            self.sort(&mut entries, ev)?;
            let dropped = entries.drain(wanted.min(entries.len())..).map(|(.., bytes)| bytes).sum();
            self.held.release_some(ev.budget, dropped);
            self.sorted = Some(entries);
        }
        Ok(GO)
    }

    /// Sorts rows by their `ORDER BY` keys, stably.
    fn sort(&self, entries: &mut [Sorted], ev: &Evaluator) -> Result<()> {
        // About n log n comparisons.
        let n = entries.len() as u64;
        ev.budget.tick(n.saturating_mul(u64::from(n.max(1).ilog2() + 1)))?;
        let order_by = &self.plan.order_by;
        entries.sort_by(|(a, ..), (b, ..)| {
            a.iter()
                .zip(b)
                .zip(order_by)
                .map(|((x, y), (_, desc))| if *desc { y.order(x) } else { x.order(y) })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(())
    }

    /// `SKIP`, `LIMIT`, then `WHERE` (which sees the input row under the projected columns).
    fn tail(&mut self, projected: Row, source: Row, ev: &Evaluator, next: &mut Sink) -> Result<Flow> {
        if self.taken >= self.limit {
            return Ok(STOP);
        }
        if self.skipped < self.skip {
            self.skipped += 1;
            return Ok(GO);
        }
        self.taken += 1;
        ev.budget.tick(1)?;
        let keep = match &self.plan.where_ {
            Some(w) => ev.truthy(w, &merged(&source, &projected))?,
            None => true,
        };
        let flow = if keep { next(projected)? } else { GO };
        Ok(if self.taken >= self.limit { STOP } else { flow })
    }
}

/// `SKIP` / `LIMIT`: a non-negative integer.
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

/// The row ORDER BY and WHERE see: the input row overlaid with the projected columns.
fn merged(source: &Row, projected: &Row) -> Row {
    source.overlaid(projected)
}

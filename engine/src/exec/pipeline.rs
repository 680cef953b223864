//! The reading clauses as a push pipeline: `MATCH`, `UNWIND`, `CALL` and `WITH` / `RETURN`
//! become ops, and every row an op makes is pushed straight into the next op, and from the
//! last one into a sink.
//!
//! Invariants:
//! - Rows are held only where an op must see all of its input before it can yield a row: a
//!   projection that groups or sorts ([`Projection::holds`]), and the [`Rows`] that gather a
//!   write clause's input (`exec::run`) or cut a deep run of ops (below). Each holder charges
//!   what it holds to the budget and releases it when it lets go; a streamed row costs the work
//!   of copying it and no memory.
//! - A sink answers [`STOP`] when it wants no more rows (a `LIMIT` reached, an `EXISTS`
//!   answered). Everything upstream of it stops making rows, up to the nearest holder, which
//!   takes all of its input regardless; ops downstream of the sink are still finished, so a
//!   later grouping still yields its groups.
//! - Rows come out in the order clause-at-a-time execution would produce them: each input row
//!   in turn, with all the rows an op makes of it in order.
//! - Stack: a streaming op runs the next op's push inside its own (a `MATCH` one level deeper
//!   per pattern part and hop), so a run of streaming ops deeper than [`MAX_STREAM_DEPTH`]
//!   levels is cut by a buffer; a holder starts a new run.
use super::budget::{row_bytes, Budget, Held};
use super::project::Projection;
use super::{call, pattern, Evaluator, Row};
use crate::cypher::ast::Unwind;
use crate::error::{Code, Error, Result};
use crate::graph::Value;
use crate::plan::{CallPlan, MatchPlan, Step};
use std::ops::ControlFlow;

/// What a sink answers to a row: [`GO`] on, or [`STOP`] (it wants no more rows).
pub(super) type Flow = ControlFlow<()>;
pub(super) const GO: Flow = ControlFlow::Continue(());
pub(super) const STOP: Flow = ControlFlow::Break(());

/// Where an op pushes the rows it makes.
pub(super) type Sink<'s> = dyn FnMut(Row) -> Result<Flow> + 's;

/// Stack levels a run of streaming ops may nest before a buffer cuts it: a clause is a level,
/// and a `MATCH` one more per pattern part and per hop (a variable-length hop counts as its
/// greatest length). Measured natively on chained 64-hop walks: about 0.55 KiB a level
/// optimized (so 256 levels take ~140 KiB of wasm32's 1 MiB stack, leaving the rest to the
/// evaluator) and 2.7 KiB in debug builds (see the test
/// `a_long_run_of_streaming_clauses_fits_a_small_stack`).
const MAX_STREAM_DEPTH: usize = 256;

/// Whether `step` only reads, so it can be an op of a pipeline.
pub(super) fn reads(step: &Step) -> bool {
    matches!(step, Step::Match(_) | Step::Unwind(_) | Step::Project(_) | Step::Call(_))
}

/// Runs the reading `steps` over `input`, pushing what the last one yields into `sink`.
pub(super) fn run(steps: &[Step], input: impl IntoIterator<Item = Row>, ev: &Evaluator, sink: &mut Sink) -> Result<()> {
    let mut ops = build(steps, ev)?;
    for row in input {
        if push(&mut ops, row, ev, sink)?.is_break() {
            break;
        }
    }
    finish(&mut ops, ev, sink)
}

enum Op<'p> {
    Match(&'p MatchPlan<'p>),
    Unwind(&'p Unwind),
    Call(&'p CallPlan<'p>),
    Project(Box<Projection<'p>>),
    /// Holds rows to cut a deep run of streaming ops.
    Buffer(Rows),
}

fn build<'p>(steps: &'p [Step<'p>], ev: &Evaluator) -> Result<Vec<Op<'p>>> {
    let mut ops = Vec::with_capacity(steps.len());
    let mut depth = 0usize;
    for step in steps {
        let levels = stack_levels(step);
        if depth > 0 && depth.saturating_add(levels) > MAX_STREAM_DEPTH {
            ops.push(Op::Buffer(Rows::default()));
            depth = 0;
        }
        let op = match step {
            Step::Match(m) => Op::Match(m),
            Step::Unwind(u) => Op::Unwind(u),
            Step::Call(c) => Op::Call(c),
            Step::Project(p) => Op::Project(Box::new(Projection::new(p, ev)?)),
            _ => {
                return Err(Error::runtime(
                    Code::SyntaxError,
                    "InvalidClauseComposition",
                    "this clause cannot run here",
                ))
            }
        };
        depth = match &op {
            Op::Project(p) if p.holds() => 0,
            _ => depth.saturating_add(levels),
        };
        ops.push(op);
    }
    Ok(ops)
}

/// The stack levels a step's push nests (see [`MAX_STREAM_DEPTH`]).
fn stack_levels(step: &Step) -> usize {
    let Step::Match(m) = step else { return 1 };
    let hop = |length: Option<crate::cypher::ast::LengthRange>| match length {
        None => 1,
        Some(r) => {
            let max = r.max.unwrap_or(pattern::MAX_VAR_LENGTH).min(pattern::MAX_VAR_LENGTH);
            usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1)
        }
    };
    m.parts
        .iter()
        .map(|part| part.element.chain.iter().map(|(rel, _)| hop(rel.length)).fold(1, usize::saturating_add))
        .fold(1, usize::saturating_add)
}

/// Pushes `row` into the first op, whose rows go on to the rest and then to `sink`.
fn push(ops: &mut [Op], row: Row, ev: &Evaluator, sink: &mut Sink) -> Result<Flow> {
    let Some((op, rest)) = ops.split_first_mut() else {
        return sink(row);
    };
    let next = &mut |r: Row| push(rest, r, ev, sink);
    match op {
        Op::Match(m) => match_row(m, row, ev, next),
        Op::Unwind(u) => unwind(u, row, ev, next),
        Op::Call(c) => call::push(c, row, ev, next),
        Op::Project(p) => p.push(row, ev, next),
        Op::Buffer(rows) => {
            rows.push(row, ev.budget)?;
            Ok(GO)
        }
    }
}

/// The input has ended: each op in turn yields what it holds to the ops after it.
fn finish(mut ops: &mut [Op], ev: &Evaluator, sink: &mut Sink) -> Result<()> {
    while let Some((op, rest)) = ops.split_first_mut() {
        let next = &mut |r: Row| push(rest, r, ev, sink);
        match op {
            Op::Project(p) => p.finish(ev, next)?,
            Op::Buffer(rows) => std::mem::take(rows).run(&[], ev, next)?,
            Op::Match(_) | Op::Unwind(_) | Op::Call(_) => {}
        }
        ops = rest;
    }
    Ok(())
}

/// `MATCH` / `OPTIONAL MATCH` of one row: each match that passes `WHERE`, or else (optional)
/// the row with the pattern's new variables null.
fn match_row(m: &MatchPlan, row: Row, ev: &Evaluator, next: &mut Sink) -> Result<Flow> {
    ev.budget.tick(1)?;
    let mut any = false;
    let flow = pattern::match_seeking(ev, &m.parts, &m.seeks, &m.filters.at, &row, &mut |r| {
        if !pattern::passes(ev, [&m.filters.end], &r)? {
            return Ok(GO);
        }
        any = true;
        next(r)
    })?;
    if m.optional && !any {
        return next(pattern::with_nulls(&m.parts, row));
    }
    Ok(flow)
}

/// `UNWIND` of one row: a row per item, the list held (and charged) meanwhile.
fn unwind(u: &Unwind, row: Row, ev: &Evaluator, next: &mut Sink) -> Result<Flow> {
    let items = match ev.eval(&u.expr, &row)? {
        Value::List(l) => l,
        Value::Null => vec![],
        v => vec![v],
    };
    let mut held = Held::default();
    held.charge(ev.budget, items.iter().map(super::value_bytes).fold(0, usize::saturating_add))?;
    let mut flow = GO;
    for item in items {
        let mut r = row.clone();
        r.insert(&u.var.name, item);
        ev.budget.copy_row(&r)?;
        flow = next(r)?;
        if flow.is_break() {
            break;
        }
    }
    held.release(ev.budget);
    Ok(flow)
}

/// Rows held between clauses (a write clause's input or output, a buffer), charged while held.
#[derive(Default)]
pub(super) struct Rows {
    rows: Vec<Row>,
    held: Held,
}

impl Rows {
    pub(super) fn new(rows: Vec<Row>, budget: &Budget) -> Result<Rows> {
        let mut held = Held::default();
        held.charge(budget, rows.iter().map(row_bytes).fold(0, usize::saturating_add))?;
        Ok(Rows { rows, held })
    }

    pub(super) fn push(&mut self, row: Row, budget: &Budget) -> Result<()> {
        self.held.charge(budget, row_bytes(&row))?;
        self.rows.push(row);
        Ok(())
    }

    /// Runs the reading `steps` over these rows (see [`run`]), then lets go of them.
    pub(super) fn run(mut self, steps: &[Step], ev: &Evaluator, sink: &mut Sink) -> Result<()> {
        run(steps, std::mem::take(&mut self.rows), ev, sink)?;
        self.held.release(ev.budget);
        Ok(())
    }

    /// The rows `write` makes of these (a write clause runs over all of them at once); the input
    /// is held until it is done, and its temporaries are released.
    pub(super) fn write(mut self, budget: &Budget, write: impl FnOnce(Vec<Row>) -> Result<Vec<Row>>) -> Result<Rows> {
        let mark = budget.held();
        let rows = write(std::mem::take(&mut self.rows))?;
        // Nothing that outlives the write charged since `mark`: its own rows are charged below.
        budget.release_to(mark);
        self.held.release(budget);
        Rows::new(rows, budget)
    }
}

//! Running a planned `CALL`: per input row, the arguments are evaluated and type-checked, and
//! each procedure row they match extends the input row with the yielded outputs.
//!
//! Invariants: a `VOID` procedure passes each input row through once; a call that yields
//! nothing keeps the input rows (once per matching procedure row) without binding anything.
use super::pipeline::{Flow, Sink, GO, STOP};
use super::{Evaluator, Row};
use crate::error::{Code, Error, Result};
use crate::graph::Value;
use crate::plan::CallPlan;

/// The call for one input row: pushes a row per procedure row that its arguments match.
pub(super) fn push(c: &CallPlan, row: Row, ev: &Evaluator, next: &mut Sink) -> Result<Flow> {
    let args = arguments(c, &row, ev)?;
    ev.budget.tick(1)?;
    if c.procedure.outputs.is_empty() {
        return next(row);
    }
    for outputs in c.procedure.call(&args) {
        let mut r = row.clone();
        for (i, var) in &c.yields {
            r.insert(var, outputs.get(*i).cloned().unwrap_or(Value::Null));
        }
        ev.budget.tick(1)?;
        if c.clause.where_.as_ref().map_or(Ok(true), |w| ev.truthy(w, &r))? {
            ev.budget.copy_row(&r)?;
            if next(r)?.is_break() {
                return Ok(STOP);
            }
        }
    }
    Ok(GO)
}

/// The argument values as the procedure's inputs accept them (integers widened to floats).
fn arguments(c: &CallPlan, row: &Row, ev: &Evaluator) -> Result<Vec<Value>> {
    c.args
        .iter()
        .zip(&c.procedure.inputs)
        .map(|(e, field)| {
            let v = ev.eval(e, row)?;
            let type_name = v.type_name();
            field.accept(v).ok_or_else(|| {
                Error::runtime(
                    Code::TypeError,
                    "InvalidArgumentType",
                    format!("argument `{}` of `{}` cannot be {type_name}", field.name, c.procedure.name),
                )
            })
        })
        .collect()
}

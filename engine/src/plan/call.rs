//! Planning `CALL proc(args) [YIELD ...] [WHERE ...]` against the host's procedures.
//!
//! Invariants of a [`CallPlan`]: the procedure exists; there is one argument expression per
//! declared input, none of them aggregates; every yielded output exists and is bound to a
//! variable that was not in scope before (nor bound twice). Arguments whose types are known
//! here are checked here; the rest are checked when the call runs.
use super::semantics::{static_ty, Scope, Ty};
use super::Planner;
use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::Value;
use crate::procedures::{Field, FieldType, Procedure};

#[derive(Debug)]
pub struct CallPlan<'a> {
    pub clause: &'a Call,
    pub procedure: &'a Procedure,
    /// One expression per input: as written, or `$input` when called without parentheses.
    pub args: Vec<Expr>,
    /// (output index, variable) for each yielded output, in the order they are bound.
    pub yields: Vec<(usize, String)>,
    /// The whole query is this clause: its yields are the result columns.
    pub standalone: bool,
}

impl<'a> Planner<'a> {
    /// Checks a `CALL` and binds what it yields into `scope`.
    pub(super) fn call(&self, c: &'a Call, scope: &mut Scope, standalone: bool) -> Result<CallPlan<'a>> {
        let name = c.name.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(".");
        let procedure = self.ctx.procedures.get(&name).ok_or_else(|| {
            Error::compile(
                Code::ProcedureError,
                "ProcedureNotFound",
                format!("there is no procedure `{name}`"),
                self.text,
                c.span.start,
            )
        })?;
        let args = match &c.args {
            Some(args) => self.explicit_args(c, procedure, args, scope)?,
            None => self.implicit_args(c, procedure, standalone)?,
        };
        let yields = self.yields(c, procedure, scope, standalone)?;
        for (_, var) in &yields {
            scope.insert(var.clone(), Ty::Any);
        }
        if let Some(w) = &c.where_ {
            self.check_predicate(w, scope)?;
        }
        Ok(CallPlan { clause: c, procedure, args, yields, standalone })
    }

    fn explicit_args(&self, c: &Call, p: &Procedure, args: &[Expr], scope: &Scope) -> Result<Vec<Expr>> {
        if args.len() != p.inputs.len() {
            return Err(self.fail(
                "InvalidNumberOfArguments",
                format!("`{}` takes {} argument(s), not {}", p.name, p.inputs.len(), args.len()),
                c.span,
            ));
        }
        for (arg, field) in args.iter().zip(&p.inputs) {
            self.check_expr(arg, scope, false)?;
            if !may_fit(field, arg, scope) {
                return Err(self.wrong_type(field, arg.span));
            }
        }
        Ok(args.to_vec())
    }

    /// `CALL p` without parentheses: each input is the parameter of the same name. Only a
    /// standalone call (or one of a procedure without inputs) may pass arguments this way.
    fn implicit_args(&self, c: &Call, p: &Procedure, standalone: bool) -> Result<Vec<Expr>> {
        if !standalone && !p.inputs.is_empty() {
            return Err(self.fail(
                "InvalidArgumentPassingMode",
                format!("`{}` needs its arguments in parentheses inside a larger query", p.name),
                c.span,
            ));
        }
        let mut args = Vec::with_capacity(p.inputs.len());
        for field in &p.inputs {
            let Some(value) = self.ctx.params.get(&field.name) else {
                return Err(Error::compile(
                    Code::ParameterMissing,
                    "MissingParameter",
                    format!("expected parameter `${}` for `{}`", field.name, p.name),
                    self.text,
                    c.span.start,
                ));
            };
            if field.accept(value.clone()).is_none() {
                return Err(self.wrong_type(field, c.span));
            }
            args.push(Expr::new(ExprKind::Parameter(field.name.clone()), c.span));
        }
        Ok(args)
    }

    /// What the call binds: the named outputs, or every output when it stands alone.
    fn yields(&self, c: &Call, p: &Procedure, scope: &Scope, standalone: bool) -> Result<Vec<(usize, String)>> {
        let Some(items) = &c.yields else {
            let all = c.yield_star || standalone;
            return Ok(if all {
                p.outputs.iter().enumerate().map(|(i, f)| (i, f.name.clone())).collect()
            } else {
                vec![]
            });
        };
        let mut yields: Vec<(usize, String)> = Vec::with_capacity(items.len());
        for item in items {
            let Some(index) = p.outputs.iter().position(|f| f.name == item.field.name) else {
                return Err(self.fail(
                    "UndefinedVariable",
                    format!("`{}` has no output `{}`", p.name, item.field.name),
                    item.field.span,
                ));
            };
            let var = item.alias.as_ref().unwrap_or(&item.field);
            if scope.contains_key(&var.name) || yields.iter().any(|(_, v)| *v == var.name) {
                return Err(self.fail(
                    "VariableAlreadyBound",
                    format!("variable `{}` is already bound", var.name),
                    var.span,
                ));
            }
            yields.push((index, var.name.clone()));
        }
        Ok(yields)
    }

    fn wrong_type(&self, field: &Field, span: Span) -> Error {
        self.fail("InvalidArgumentType", format!("argument `{}` must be {:?}", field.name, field.ty), span)
    }
}

/// Whether `arg` may be a value `field` accepts, as far as is known before running: literal
/// numbers exactly, other expressions by their static type.
fn may_fit(field: &Field, arg: &Expr, scope: &Scope) -> bool {
    let literal = match &arg.kind {
        ExprKind::Literal(Literal::Integer(i)) => Value::Int(*i),
        ExprKind::Literal(Literal::Float(f)) => Value::Float(*f),
        ExprKind::Literal(Literal::Null) => Value::Null,
        _ => return ty_may_fit(field.ty, static_ty(arg, scope)),
    };
    field.accept(literal).is_some()
}

fn ty_may_fit(field: FieldType, ty: Ty) -> bool {
    matches!(
        (field, ty),
        (FieldType::Any, _)
            | (_, Ty::Any)
            | (FieldType::Integer | FieldType::Float | FieldType::Number, Ty::Number)
            | (FieldType::Boolean, Ty::Bool)
            | (FieldType::String, Ty::String)
            | (FieldType::Map, Ty::Map)
            | (FieldType::List, Ty::List)
            | (FieldType::Node, Ty::Node)
            | (FieldType::Relationship, Ty::Rel)
            | (FieldType::Path, Ty::Path)
    )
}

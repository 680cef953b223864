//! Expression evaluation with Cypher's semantics: three-valued logic, null propagation,
//! checked integer arithmetic; an aggregate call reads the value its group folded
//! (`aggregate.rs`).
use super::aggregate::Aggregated;
use super::budget::{check_nesting, value_bytes, Budget};
use super::Row;
use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::duration::{Amount, Duration};
use crate::graph::temporal::{Component, TemporalError};
use crate::graph::{Graph, NodeView, Value};
use crate::plan::is_aggregate;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Deepest expression nesting evaluated; the parser bounds nesting below this, so reaching it
/// means a bug, reported as an error rather than a stack overflow.
const MAX_EVAL_DEPTH: u32 = 512;

pub struct Evaluator<'a> {
    pub graph: Graph<'a>,
    pub params: &'a BTreeMap<String, Value>,
    /// The graph as it was before this query, to read the type of a relationship it deleted.
    pub before: Option<Graph<'a>>,
    /// What the query may still spend (work, time, memory).
    pub budget: &'a Budget<'a>,
}

/// `d.year`, `t.timezone`, …: a component of a temporal value; an unknown one is an error.
fn temporal_component(v: &Value, key: &str) -> Result<Value> {
    let c = match v {
        Value::Date(d) => d.component(key),
        Value::LocalTime(t) => t.component(key),
        Value::Time(t) => t.component(key),
        Value::LocalDateTime(t) => t.component(key),
        Value::DateTime(t) => t.component(key),
        _ => None,
    };
    match c {
        Some(Component::Int(i)) => Ok(Value::Int(i)),
        Some(Component::Text(s)) => Ok(Value::String(s)),
        None => Err(Error::runtime(
            Code::ArgumentError,
            "InvalidArgumentValue",
            format!("{} has no component `{key}`", v.type_name()),
        )),
    }
}

/// `d.months`, `d.hours`, …: a component of a duration; an unknown one is an error.
fn duration_component(d: Duration, key: &str) -> Result<Value> {
    match d.component(key) {
        Some(i) => Ok(Value::Int(i)),
        None => Err(Error::runtime(
            Code::ArgumentError,
            "InvalidArgumentValue",
            format!("DURATION has no component `{key}` (or it overflows an integer)"),
        )),
    }
}

/// A temporal result out of range (an overflow of the value's representation).
fn temporal_overflow(e: TemporalError) -> Error {
    Error::runtime(Code::ArithmeticError, "TemporalOverflow", e.0)
}

/// Arithmetic with durations: temporal ± duration, duration ± duration, duration × / ÷ number;
/// `None` when neither operand is a duration.
fn duration_arithmetic(op: BinaryOp, a: &Value, b: &Value) -> Option<Result<Value>> {
    use Value::*;
    let number = |v: &Value| match v {
        Int(i) => Some(Amount::Int(*i)),
        Float(f) => Some(Amount::Float(*f)),
        _ => None,
    };
    let result = match (op, a, b) {
        (BinaryOp::Add, Duration(x), Duration(y)) => x.checked_add(*y).map(Duration),
        (BinaryOp::Subtract, Duration(x), Duration(y)) => x.checked_sub(*y).map(Duration),
        (BinaryOp::Add, t, Duration(d)) | (BinaryOp::Add, Duration(d), t) if t.is_temporal() => plus(t, *d),
        (BinaryOp::Subtract, t, Duration(d)) if t.is_temporal() => d.checked_neg().and_then(|n| plus(t, n)),
        (BinaryOp::Multiply, Duration(d), n) | (BinaryOp::Multiply, n, Duration(d)) => {
            d.checked_mul(number(n)?).map(Duration)
        }
        (BinaryOp::Divide, Duration(d), n) => {
            let n = number(n)?;
            if matches!(n, Amount::Int(0)) || matches!(n, Amount::Float(f) if f == 0.0) {
                return Some(Err(Error::runtime(Code::ArithmeticError, "DivisionByZero", "/ by zero")));
            }
            d.checked_div(n).map(Duration)
        }
        _ => return None,
    };
    Some(result.map_err(temporal_overflow))
}

/// `t + d` for a temporal value `t`.
fn plus(t: &Value, d: Duration) -> std::result::Result<Value, TemporalError> {
    Ok(match t {
        Value::Date(x) => Value::Date(x.plus(d)?),
        Value::LocalTime(x) => Value::LocalTime(x.plus(d)?),
        Value::Time(x) => Value::Time(x.plus(d)?),
        Value::LocalDateTime(x) => Value::LocalDateTime(x.plus(d)?),
        Value::DateTime(x) => Value::DateTime(x.plus(d)?),
        v => return Err(TemporalError(format!("cannot add a duration to {}", v.type_name()))),
    })
}

pub(super) fn type_error(message: String) -> Error {
    Error::runtime(Code::TypeError, "InvalidArgumentType", message)
}

/// Reading a property or label of an entity this query deleted.
pub(super) fn deleted() -> Error {
    Error::runtime(Code::EntityNotFound, "DeletedEntityAccess", "the entity was deleted in this query")
}

pub(super) fn overflow() -> Error {
    Error::runtime(Code::ArithmeticError, "IntegerOverflow", "integer overflow")
}

impl<'a> Evaluator<'a> {
    /// Evaluates `e` against `row`. Temporaries charged to the budget are released on return;
    /// whoever keeps the value charges it.
    pub fn eval(&self, e: &Expr, row: &Row) -> Result<Value> {
        let mark = self.budget.held();
        let v = self.eval_in(e, row, None, 0);
        self.budget.release_to(mark);
        v
    }

    /// Evaluates `e` for a group: aggregate calls read what the group folded, anything else
    /// reads `row` (what the group kept of its first row).
    pub(super) fn eval_group(&self, e: &Expr, row: &Row, group: &Aggregated) -> Result<Value> {
        let mark = self.budget.held();
        let v = self.eval_in(e, row, Some(group), 0);
        self.budget.release_to(mark);
        v
    }

    /// A value read (copied) from a variable, parameter or property: whatever is done with a
    /// large value next scans it, so its size is paid for here.
    fn read(&self, v: Value) -> Result<Value> {
        self.budget.copied(&v)?;
        Ok(v)
    }

    /// Spends the work of one item of a list loop that copies `row` per item, and returns a
    /// mark releasing the item's temporaries.
    fn item_work(&self, row: &Row) -> Result<usize> {
        self.budget.copy_row(row)?;
        Ok(self.budget.held())
    }

    pub fn truthy(&self, e: &Expr, row: &Row) -> Result<bool> {
        match self.eval(e, row)? {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(false),
            v => Err(type_error(format!("expected a boolean but got {}", v.type_name()))),
        }
    }

    /// The leaves (literals, parameters, variables, a variable's property) here, the rest in
    /// [`Evaluator::compound`]: most evaluations are leaves, and they stay small.
    fn eval_in(&self, e: &Expr, row: &Row, group: Option<&Aggregated>, depth: u32) -> Result<Value> {
        if depth > MAX_EVAL_DEPTH {
            return Err(Error::runtime(Code::SyntaxError, "ExpressionTooDeep", "expression nested too deeply"));
        }
        self.budget.tick(1)?;
        Ok(match &e.kind {
            ExprKind::Literal(l) => match l {
                Literal::Null => Value::Null,
                Literal::Boolean(b) => Value::Bool(*b),
                Literal::Integer(i) => Value::Int(*i),
                Literal::Float(f) => Value::Float(*f),
                Literal::String(s) => Value::String(s.clone()),
            },
            ExprKind::Parameter(name) => self.read(self.params.get(name).cloned().ok_or_else(|| {
                Error::runtime(Code::ParameterMissing, "MissingParameter", format!("expected parameter `${name}`"))
            })?)?,
            ExprKind::Variable(name) => self.read(row.get(name).cloned().unwrap_or(Value::Null))?,
            // A variable's property is read where the row holds it (the entity is not copied).
            ExprKind::Property(target, key) => {
                let value = match &target.kind {
                    ExprKind::Variable(name) => {
                        self.budget.tick(1)?;
                        self.property(row.get(name).unwrap_or(&Value::Null), &key.name)?
                    }
                    _ => self.property(&self.eval_in(target, row, group, depth + 1)?, &key.name)?,
                };
                self.read(value)?
            }
            _ => self.compound(e, row, group, depth)?,
        })
    }

    #[inline(never)]
    fn compound(&self, e: &Expr, row: &Row, group: Option<&Aggregated>, depth: u32) -> Result<Value> {
        let ev = |x: &Expr| self.eval_in(x, row, group, depth + 1);
        let v = match &e.kind {
            // Answered by `eval_in` before it gets here.
            ExprKind::Literal(_) | ExprKind::Parameter(_) | ExprKind::Variable(_) | ExprKind::Property(..) => {
                self.eval_in(e, row, group, depth)?
            }
            ExprKind::List(items) => Value::List(items.iter().map(ev).collect::<Result<_>>()?),
            ExprKind::Map(entries) => {
                Value::Map(entries.iter().map(|(k, v)| Ok((k.name.clone(), ev(v)?))).collect::<Result<_>>()?)
            }
            ExprKind::Unary(op, x) => unary(*op, ev(x)?)?,
            ExprKind::Binary(BinaryOp::And, a, b) => logic(ev(a)?, || ev(b), false)?,
            ExprKind::Binary(BinaryOp::Or, a, b) => logic(ev(a)?, || ev(b), true)?,
            ExprKind::Binary(op, a, b) => {
                let v = binary(*op, ev(a)?, ev(b)?)?;
                if matches!(v, Value::String(_) | Value::List(_)) {
                    self.budget.built(&v)?;
                }
                v
            }
            ExprKind::Comparison(first, rest) => {
                let mut left = ev(first)?;
                let mut result = Value::Bool(true);
                for (op, x) in rest {
                    let right = ev(x)?;
                    result = and3(&result, &compare(*op, &left, &right));
                    left = right;
                }
                result
            }
            ExprKind::IsNull { expr, negated } => Value::Bool(ev(expr)?.is_null() != *negated),
            ExprKind::HasLabels(x, labels) => match ev(x)? {
                Value::Null => Value::Null,
                Value::Node(id) => {
                    let has = |n: NodeView| n.has_labels(labels.iter().map(|l| l.name.as_str()));
                    Value::Bool(self.graph.with_node(id, has).unwrap_or(false))
                }
                v => return Err(type_error(format!("label check needs a node, got {}", v.type_name()))),
            },
            ExprKind::Index(list, index) => {
                // A variable is indexed where the row holds it: one item is copied, not the list.
                let evaluated;
                let target = match &list.kind {
                    ExprKind::Variable(name) => row.get(name).unwrap_or(&Value::Null),
                    _ => {
                        evaluated = ev(list)?;
                        &evaluated
                    }
                };
                match (target, ev(index)?) {
                    (target @ (Value::Node(_) | Value::Rel(_)), Value::String(key)) => self.property(target, &key)?,
                    (l, i) => self.read(index_value(l, i)?)?,
                }
            }
            ExprKind::Slice(list, from, to) => {
                let from = from.as_deref().map(ev).transpose()?;
                let to = to.as_deref().map(ev).transpose()?;
                slice(ev(list)?, from, to)?
            }
            ExprKind::CountStar => self.aggregated(e, group)?,
            ExprKind::FunctionCall { name, .. } if is_aggregate(name) => self.aggregated(e, group)?,
            ExprKind::FunctionCall { name, args, .. } => {
                let values = args.iter().map(ev).collect::<Result<Vec<_>>>()?;
                self.function(name, values)?
            }
            ExprKind::Case { operand, whens, else_ } => {
                let subject = operand.as_deref().map(ev).transpose()?;
                for (when, then) in whens {
                    let hit = match &subject {
                        Some(s) => s.cypher_eq(&ev(when)?) == Some(true),
                        None => ev(when)? == Value::Bool(true),
                    };
                    if hit {
                        return ev(then);
                    }
                }
                else_.as_deref().map(ev).transpose()?.unwrap_or(Value::Null)
            }
            ExprKind::ListComprehension { var, list, filter, map } => {
                let Some(items) = list_or_null(ev(list)?)? else {
                    return Ok(Value::Null);
                };
                let mut out = Vec::new();
                for item in items {
                    let mark = self.item_work(row)?;
                    let mut inner = row.clone();
                    inner.insert(&var.name, item.clone());
                    let keep = match filter {
                        Some(f) => self.eval_in(f, &inner, group, depth + 1)? == Value::Bool(true),
                        None => true,
                    };
                    let kept = match (keep, map) {
                        (false, _) => None,
                        (true, Some(m)) => Some(self.eval_in(m, &inner, group, depth + 1)?),
                        (true, None) => Some(item),
                    };
                    self.budget.release_to(mark);
                    if let Some(v) = kept {
                        self.budget.charge(value_bytes(&v))?;
                        out.push(v);
                    }
                }
                Value::List(out)
            }
            ExprKind::Quantifier { kind, var, list, filter } => {
                let Some(items) = list_or_null(ev(list)?)? else {
                    return Ok(Value::Null);
                };
                let (mut trues, mut nulls) = (0usize, 0usize);
                for item in &items {
                    let mark = self.item_work(row)?;
                    let mut inner = row.clone();
                    inner.insert(&var.name, item.clone());
                    match filter {
                        Some(f) => match self.eval_in(f, &inner, group, depth + 1)? {
                            Value::Bool(true) => trues += 1,
                            Value::Null => nulls += 1,
                            _ => {}
                        },
                        None => trues += 1,
                    }
                    self.budget.release_to(mark);
                }
                let falses = items.len() - trues - nulls;
                match kind {
                    Quantifier::All if falses > 0 => Value::Bool(false),
                    Quantifier::All if nulls > 0 => Value::Null,
                    Quantifier::All => Value::Bool(true),
                    Quantifier::Any if trues > 0 => Value::Bool(true),
                    Quantifier::Any if nulls > 0 => Value::Null,
                    Quantifier::Any => Value::Bool(false),
                    Quantifier::None if trues > 0 => Value::Bool(false),
                    Quantifier::None if nulls > 0 => Value::Null,
                    Quantifier::None => Value::Bool(true),
                    Quantifier::Single if trues > 1 => Value::Bool(false),
                    Quantifier::Single if nulls > 0 => Value::Null,
                    Quantifier::Single => Value::Bool(trues == 1),
                }
            }
            ExprKind::Reduce { acc, init, var, list, expr } => {
                let mut value = ev(init)?;
                let Some(items) = list_or_null(ev(list)?)? else {
                    return Ok(Value::Null);
                };
                let start = self.budget.held();
                for item in items {
                    self.item_work(row)?;
                    let mut inner = row.clone();
                    inner.insert(&acc.name, value);
                    inner.insert(&var.name, item);
                    value = self.eval_in(expr, &inner, group, depth + 1)?;
                    // Of each iteration only the accumulator stays.
                    self.budget.release_to(start);
                    self.budget.charge(value_bytes(&value))?;
                }
                value
            }
            ExprKind::MapProjection { var, items } => {
                let subject = row.get(&var.name).cloned().unwrap_or(Value::Null);
                if subject.is_null() {
                    return Ok(Value::Null);
                }
                let mut out = BTreeMap::new();
                for item in items {
                    match item {
                        MapProjectionItem::Property(k) => {
                            out.insert(k.name.clone(), self.property(&subject, &k.name)?);
                        }
                        MapProjectionItem::Literal(k, x) => {
                            out.insert(k.name.clone(), ev(x)?);
                        }
                        MapProjectionItem::Variable(v) => {
                            out.insert(v.name.clone(), row.get(&v.name).cloned().unwrap_or(Value::Null));
                        }
                        MapProjectionItem::AllProperties => out.extend(self.properties(&subject)?),
                    }
                }
                Value::Map(out)
            }
            ExprKind::PatternPredicate(_) | ExprKind::Exists(_) | ExprKind::PatternComprehension { .. } => {
                self.pattern_expr(e, row)?
            }
        };
        // The expressions that wrap values in a new list or map (`collect` among the calls).
        if matches!(
            e.kind,
            ExprKind::List(_)
                | ExprKind::Map(_)
                | ExprKind::MapProjection { .. }
                | ExprKind::ListComprehension { .. }
                | ExprKind::PatternComprehension { .. }
                | ExprKind::FunctionCall { .. }
        ) {
            check_nesting(&v)?;
        }
        Ok(v)
    }

    fn property(&self, target: &Value, key: &str) -> Result<Value> {
        Ok(match target {
            Value::Null => Value::Null,
            Value::Node(id) => self.graph.node_property(*id, key).ok_or_else(deleted)?,
            Value::Rel(id) => self.graph.rel(*id).ok_or_else(deleted)?.props.get(key).cloned().unwrap_or(Value::Null),
            Value::Map(m) => m.get(key).cloned().unwrap_or(Value::Null),
            v if v.is_temporal() => temporal_component(v, key)?,
            Value::Duration(d) => duration_component(*d, key)?,
            v => {
                return Err(type_error(format!(
                    "type mismatch: expected a map, node or relationship but got {}",
                    v.type_name()
                )))
            }
        })
    }

    pub(super) fn properties(&self, target: &Value) -> Result<BTreeMap<String, Value>> {
        Ok(match target {
            Value::Node(id) => self.graph.node(*id).map(|n| n.props.clone()).unwrap_or_default(),
            Value::Rel(id) => self.graph.rel(*id).map(|r| r.props.clone()).unwrap_or_default(),
            Value::Map(m) => m.clone(),
            v => return Err(type_error(format!("expected a map, node or relationship but got {}", v.type_name()))),
        })
    }

    /// The value the group folded for the aggregate call `e`.
    fn aggregated(&self, e: &Expr, group: Option<&Aggregated>) -> Result<Value> {
        match group.map(|g| g.get(e)) {
            Some(Some(v)) => self.read(v.clone()),
            Some(None) => Err(Error::new(Code::Internal, "an aggregate call was not folded")),
            None => Err(misplaced_aggregate(e)),
        }
    }
}

fn misplaced_aggregate(e: &Expr) -> Error {
    Error {
        position: None,
        ..Error::runtime(
            Code::SyntaxError,
            "InvalidAggregation",
            format!("aggregation is not allowed here (at offset {})", e.span.start),
        )
    }
}

fn list_or_null(v: Value) -> Result<Option<Vec<Value>>> {
    match v {
        Value::List(l) => Ok(Some(l)),
        Value::Null => Ok(None),
        v => Err(type_error(format!("expected a list but got {}", v.type_name()))),
    }
}

pub(super) fn numeric(v: Value) -> Result<Value> {
    match v {
        Value::Int(_) | Value::Float(_) => Ok(v),
        v => Err(type_error(format!("expected a number but got {}", v.type_name()))),
    }
}

/// `AND` (`short = false`) and `OR` (`short = true`) with null as unknown.
fn logic(a: Value, b: impl FnOnce() -> Result<Value>, short: bool) -> Result<Value> {
    let a = boolean(a)?;
    if a == Some(short) {
        return Ok(Value::Bool(short));
    }
    let b = boolean(b()?)?;
    Ok(match (a, b) {
        (_, Some(x)) if x == short => Value::Bool(short),
        (Some(_), Some(_)) => Value::Bool(!short),
        _ => Value::Null,
    })
}

fn boolean(v: Value) -> Result<Option<bool>> {
    match v {
        Value::Bool(b) => Ok(Some(b)),
        Value::Null => Ok(None),
        v => Err(type_error(format!("expected a boolean but got {}", v.type_name()))),
    }
}

fn and3(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
        (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
        _ => Value::Null,
    }
}

fn compare(op: CompareOp, a: &Value, b: &Value) -> Value {
    let result = match op {
        CompareOp::Eq => a.cypher_eq(b),
        CompareOp::Ne => a.cypher_eq(b).map(|x| !x),
        // NaN is unordered against every number: each ordering comparison is false.
        _ if is_nan(a) && matches!(b, Value::Int(_) | Value::Float(_)) => Some(false),
        _ if is_nan(b) && matches!(a, Value::Int(_) | Value::Float(_)) => Some(false),
        _ => a.cypher_cmp(b).map(|o| match op {
            CompareOp::Lt => o == Ordering::Less,
            CompareOp::Le => o != Ordering::Greater,
            CompareOp::Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        }),
    };
    result.map_or(Value::Null, Value::Bool)
}

fn is_nan(v: &Value) -> bool {
    matches!(v, Value::Float(f) if f.is_nan())
}

fn unary(op: UnaryOp, v: Value) -> Result<Value> {
    Ok(match (op, v) {
        (_, Value::Null) => Value::Null,
        (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
        (UnaryOp::Negate, Value::Int(i)) => Value::Int(i.checked_neg().ok_or_else(overflow)?),
        (UnaryOp::Negate, Value::Float(f)) => Value::Float(-f),
        (UnaryOp::Negate, Value::Duration(d)) => Value::Duration(d.checked_neg().map_err(temporal_overflow)?),
        (UnaryOp::Plus, v @ (Value::Int(_) | Value::Float(_))) => v,
        (op, v) => return Err(type_error(format!("cannot apply {op:?} to {}", v.type_name()))),
    })
}

pub(crate) fn binary(op: BinaryOp, a: Value, b: Value) -> Result<Value> {
    use Value::*;
    if op == BinaryOp::Xor {
        return Ok(match (boolean(a)?, boolean(b)?) {
            (Some(x), Some(y)) => Bool(x != y),
            _ => Null,
        });
    }
    if op == BinaryOp::In {
        let Some(items) = list_or_null(b)? else {
            return Ok(Null);
        };
        let mut unknown = false;
        for item in &items {
            match a.cypher_eq(item) {
                Some(true) => return Ok(Bool(true)),
                None => unknown = true,
                Some(false) => {}
            }
        }
        return Ok(if unknown { Null } else { Bool(false) });
    }
    if a.is_null() || b.is_null() {
        return Ok(Null);
    }
    if let Some(result) = duration_arithmetic(op, &a, &b) {
        return result;
    }
    let int_op = |x: i64, y: i64| -> Result<Value> {
        let r = match op {
            BinaryOp::Add => x.checked_add(y),
            BinaryOp::Subtract => x.checked_sub(y),
            BinaryOp::Multiply => x.checked_mul(y),
            BinaryOp::Divide if y == 0 => {
                return Err(Error::runtime(Code::ArithmeticError, "DivisionByZero", "/ by zero"))
            }
            BinaryOp::Divide => x.checked_div(y),
            BinaryOp::Modulo if y == 0 => {
                return Err(Error::runtime(Code::ArithmeticError, "DivisionByZero", "% by zero"))
            }
            BinaryOp::Modulo => x.checked_rem(y),
            BinaryOp::Power => return Ok(Float((x as f64).powf(y as f64))),
            _ => None,
        };
        r.map(Int).ok_or_else(overflow)
    };
    let float_op = |x: f64, y: f64| {
        Float(match op {
            BinaryOp::Add => x + y,
            BinaryOp::Subtract => x - y,
            BinaryOp::Multiply => x * y,
            BinaryOp::Divide => x / y,
            BinaryOp::Modulo => x % y,
            _ => x.powf(y),
        })
    };
    let arithmetic = matches!(
        op,
        BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo | BinaryOp::Power
    );
    Ok(match (a, b) {
        (Int(x), Int(y)) if arithmetic => int_op(x, y)?,
        (Int(x), Float(y)) if arithmetic => float_op(x as f64, y),
        (Float(x), Int(y)) if arithmetic => float_op(x, y as f64),
        (Float(x), Float(y)) if arithmetic => float_op(x, y),
        (String(x), String(y)) => match op {
            BinaryOp::Add => String(x + &y),
            BinaryOp::StartsWith => Bool(x.starts_with(&y)),
            BinaryOp::EndsWith => Bool(x.ends_with(&y)),
            BinaryOp::Contains => Bool(x.contains(&y)),
            _ => return Err(type_error(format!("cannot apply {op:?} to strings"))),
        },
        (_, _) if matches!(op, BinaryOp::StartsWith | BinaryOp::EndsWith | BinaryOp::Contains) => Null,
        (List(mut x), List(y)) if op == BinaryOp::Add => {
            x.extend(y);
            List(x)
        }
        (List(mut x), y) if op == BinaryOp::Add => {
            x.push(y);
            List(x)
        }
        (x, List(mut y)) if op == BinaryOp::Add => {
            y.insert(0, x);
            List(y)
        }
        (String(x), y @ (Int(_) | Float(_))) if op == BinaryOp::Add => String(x + &display_number(&y)),
        (x @ (Int(_) | Float(_)), String(y)) if op == BinaryOp::Add => String(display_number(&x) + &y),
        (x, y) => return Err(type_error(format!("cannot apply {op:?} to {} and {}", x.type_name(), y.type_name()))),
    })
}

fn display_number(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float(*f),
        _ => String::new(),
    }
}

/// Cypher's float text: always with a `.` or an exponent.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{f:?}")
    }
}

fn index_value(list: &Value, index: Value) -> Result<Value> {
    Ok(match (list, index) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::List(l), Value::Int(i)) => {
            let len = l.len() as i64;
            let i = if i < 0 { len + i } else { i };
            usize::try_from(i).ok().and_then(|i| l.get(i)).cloned().unwrap_or(Value::Null)
        }
        (Value::Map(m), Value::String(k)) => m.get(&k).cloned().unwrap_or(Value::Null),
        (l, i) => return Err(type_error(format!("cannot index {} with {}", l.type_name(), i.type_name()))),
    })
}

fn slice(list: Value, from: Option<Value>, to: Option<Value>) -> Result<Value> {
    let Some(items) = list_or_null(list)? else {
        return Ok(Value::Null);
    };
    let len = items.len() as i64;
    let bound = |v: Option<Value>, default: i64| -> Result<Option<i64>> {
        match v {
            None => Ok(Some(default)),
            Some(Value::Null) => Ok(None),
            Some(Value::Int(i)) => Ok(Some(if i < 0 { (len + i).max(0) } else { i.min(len) })),
            Some(v) => Err(type_error(format!("slice bounds must be integers, got {}", v.type_name()))),
        }
    };
    let (Some(from), Some(to)) = (bound(from, 0)?, bound(to, len)?) else {
        return Ok(Value::Null);
    };
    Ok(Value::List(items.into_iter().skip(from as usize).take((to - from).max(0) as usize).collect()))
}

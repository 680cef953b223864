//! Expression evaluation with Cypher's semantics: three-valued logic, null propagation,
//! checked integer arithmetic, and aggregates evaluated over a group of rows.
use super::Row;
use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::{Graph, Value};
use crate::plan::is_aggregate;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Deepest expression nesting evaluated; the parser bounds nesting below this, so reaching it
/// means a bug, reported as an error rather than a stack overflow.
const MAX_EVAL_DEPTH: u32 = 512;

pub struct Evaluator<'a> {
    pub graph: &'a Graph,
    pub params: &'a BTreeMap<String, Value>,
}

fn type_error(message: String) -> Error {
    Error::runtime(Code::TypeError, "InvalidArgumentType", message)
}

fn overflow() -> Error {
    Error::runtime(Code::ArithmeticError, "IntegerOverflow", "integer overflow")
}

impl<'a> Evaluator<'a> {
    pub fn eval(&self, e: &Expr, row: &Row) -> Result<Value> {
        self.eval_in(e, row, None, 0)
    }

    /// Evaluates `e` for a group: aggregate calls fold over `group`, anything else reads `row`
    /// (the group's first row, which holds the grouping keys).
    pub fn eval_group(&self, e: &Expr, row: &Row, group: &[Row]) -> Result<Value> {
        self.eval_in(e, row, Some(group), 0)
    }

    pub fn truthy(&self, e: &Expr, row: &Row) -> Result<bool> {
        match self.eval(e, row)? {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(false),
            v => Err(type_error(format!("expected a boolean but got {}", v.type_name()))),
        }
    }

    fn eval_in(&self, e: &Expr, row: &Row, group: Option<&[Row]>, depth: u32) -> Result<Value> {
        if depth > MAX_EVAL_DEPTH {
            return Err(Error::runtime(Code::SyntaxError, "ExpressionTooDeep", "expression nested too deeply"));
        }
        let ev = |x: &Expr| self.eval_in(x, row, group, depth + 1);
        Ok(match &e.kind {
            ExprKind::Literal(l) => match l {
                Literal::Null => Value::Null,
                Literal::Boolean(b) => Value::Bool(*b),
                Literal::Integer(i) => Value::Int(*i),
                Literal::Float(f) => Value::Float(*f),
                Literal::String(s) => Value::String(s.clone()),
            },
            ExprKind::Parameter(name) => self.params.get(name).cloned().ok_or_else(|| {
                Error::runtime(Code::ParameterMissing, "MissingParameter", format!("expected parameter `${name}`"))
            })?,
            ExprKind::Variable(name) => row.get(name).cloned().unwrap_or(Value::Null),
            ExprKind::Property(target, key) => self.property(&ev(target)?, &key.name)?,
            ExprKind::List(items) => Value::List(items.iter().map(ev).collect::<Result<_>>()?),
            ExprKind::Map(entries) => {
                Value::Map(entries.iter().map(|(k, v)| Ok((k.name.clone(), ev(v)?))).collect::<Result<_>>()?)
            }
            ExprKind::Unary(op, x) => unary(*op, ev(x)?)?,
            ExprKind::Binary(BinaryOp::And, a, b) => logic(ev(a)?, || ev(b), false)?,
            ExprKind::Binary(BinaryOp::Or, a, b) => logic(ev(a)?, || ev(b), true)?,
            ExprKind::Binary(op, a, b) => binary(*op, ev(a)?, ev(b)?)?,
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
                    Value::Bool(self.graph.node(id).is_some_and(|n| labels.iter().all(|l| n.labels.contains(&l.name))))
                }
                v => return Err(type_error(format!("label check needs a node, got {}", v.type_name()))),
            },
            ExprKind::Index(list, index) => index_value(ev(list)?, ev(index)?)?,
            ExprKind::Slice(list, from, to) => {
                let from = from.as_deref().map(ev).transpose()?;
                let to = to.as_deref().map(ev).transpose()?;
                slice(ev(list)?, from, to)?
            }
            ExprKind::CountStar => match group {
                Some(rows) => Value::Int(rows.len() as i64),
                None => return Err(misplaced_aggregate(e)),
            },
            ExprKind::FunctionCall { name, distinct, args } if is_aggregate(name) => match group {
                Some(rows) => self.aggregate(&name[0].name, *distinct, args, rows, depth)?,
                None => return Err(misplaced_aggregate(e)),
            },
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
                    let mut inner = row.clone();
                    inner.insert(var.name.clone(), item.clone());
                    let keep = match filter {
                        Some(f) => self.eval_in(f, &inner, group, depth + 1)? == Value::Bool(true),
                        None => true,
                    };
                    if keep {
                        out.push(match map {
                            Some(m) => self.eval_in(m, &inner, group, depth + 1)?,
                            None => item,
                        });
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
                    let mut inner = row.clone();
                    inner.insert(var.name.clone(), item.clone());
                    match filter {
                        Some(f) => match self.eval_in(f, &inner, group, depth + 1)? {
                            Value::Bool(true) => trues += 1,
                            Value::Null => nulls += 1,
                            _ => {}
                        },
                        None => trues += 1,
                    }
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
                for item in items {
                    let mut inner = row.clone();
                    inner.insert(acc.name.clone(), value);
                    inner.insert(var.name.clone(), item);
                    value = self.eval_in(expr, &inner, group, depth + 1)?;
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
                return Err(Error::runtime(
                    Code::SyntaxError,
                    "UnsupportedFeature",
                    "pattern expressions are not supported yet",
                ))
            }
        })
    }

    fn property(&self, target: &Value, key: &str) -> Result<Value> {
        Ok(match target {
            Value::Null => Value::Null,
            Value::Node(id) => self.graph.node(*id).and_then(|n| n.props.get(key)).cloned().unwrap_or(Value::Null),
            Value::Rel(id) => self.graph.rel(*id).and_then(|r| r.props.get(key)).cloned().unwrap_or(Value::Null),
            Value::Map(m) => m.get(key).cloned().unwrap_or(Value::Null),
            v => {
                return Err(type_error(format!(
                    "type mismatch: expected a map, node or relationship but got {}",
                    v.type_name()
                )))
            }
        })
    }

    fn properties(&self, target: &Value) -> Result<BTreeMap<String, Value>> {
        Ok(match target {
            Value::Node(id) => self.graph.node(*id).map(|n| n.props.clone()).unwrap_or_default(),
            Value::Rel(id) => self.graph.rel(*id).map(|r| r.props.clone()).unwrap_or_default(),
            Value::Map(m) => m.clone(),
            v => return Err(type_error(format!("expected a map, node or relationship but got {}", v.type_name()))),
        })
    }

    fn aggregate(&self, name: &str, distinct: bool, args: &[Expr], rows: &[Row], depth: u32) -> Result<Value> {
        let arg = args.first().ok_or_else(|| {
            Error::runtime(Code::SyntaxError, "InvalidNumberOfArguments", format!("{name}() needs an argument"))
        })?;
        let mut values = Vec::with_capacity(rows.len());
        for r in rows {
            let v = self.eval_in(arg, r, None, depth + 1)?;
            let seen = distinct && values.iter().any(|x: &Value| x.equivalent(&v));
            if !v.is_null() && !seen {
                values.push(v);
            }
        }
        let lower = name.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "count" => Value::Int(values.len() as i64),
            "collect" => Value::List(values),
            "min" => values.into_iter().min_by(|a, b| a.order(b)).unwrap_or(Value::Null),
            "max" => values.into_iter().max_by(|a, b| a.order(b)).unwrap_or(Value::Null),
            "sum" => values.into_iter().try_fold(Value::Int(0), |acc, v| binary(BinaryOp::Add, acc, numeric(v)?))?,
            "avg" => {
                if values.is_empty() {
                    return Ok(Value::Null);
                }
                let n = values.len() as f64;
                let mut total = 0.0;
                for v in values {
                    total += match numeric(v)? {
                        Value::Int(i) => i as f64,
                        Value::Float(f) => f,
                        _ => 0.0,
                    };
                }
                Value::Float(total / n)
            }
            _ => return Err(Error::new(Code::Internal, format!("unknown aggregate {name}"))),
        })
    }

    fn function(&self, name: &[Ident], args: Vec<Value>) -> Result<Value> {
        let full = name.iter().map(|i| i.name.to_ascii_lowercase()).collect::<Vec<_>>().join(".");
        let arity = |n: usize| -> Result<()> {
            if args.len() == n {
                Ok(())
            } else {
                Err(Error::runtime(
                    Code::SyntaxError,
                    "InvalidNumberOfArguments",
                    format!("{full}() takes {n} argument(s), got {}", args.len()),
                ))
            }
        };
        let first = args.first().cloned().unwrap_or(Value::Null);
        match full.as_str() {
            "coalesce" => return Ok(args.into_iter().find(|v| !v.is_null()).unwrap_or(Value::Null)),
            "range" => return range(&args),
            _ => arity(1)?,
        }
        if first.is_null() {
            return Ok(Value::Null);
        }
        Ok(match (full.as_str(), first) {
            ("id", Value::Node(id) | Value::Rel(id)) => Value::Int(id as i64),
            ("elementid", Value::Node(id) | Value::Rel(id)) => Value::String(id.to_string()),
            ("labels", Value::Node(id)) => Value::List(
                self.graph.node(id).map(|n| n.labels.iter().cloned().map(Value::String).collect()).unwrap_or_default(),
            ),
            ("type", Value::Rel(id)) => self.graph.rel(id).map_or(Value::Null, |r| Value::String(r.rel_type.clone())),
            ("keys", v @ (Value::Node(_) | Value::Rel(_) | Value::Map(_))) => {
                Value::List(self.properties(&v)?.into_keys().map(Value::String).collect())
            }
            ("properties", v @ (Value::Node(_) | Value::Rel(_) | Value::Map(_))) => Value::Map(self.properties(&v)?),
            ("size", Value::List(l)) => Value::Int(l.len() as i64),
            ("size", Value::String(s)) => Value::Int(s.chars().count() as i64),
            ("length", Value::Path(p)) => Value::Int(p.rels.len() as i64),
            ("tostring", v) => to_string(v)?,
            ("tointeger", v) => to_integer(v)?,
            ("tofloat", v) => to_float(v)?,
            ("abs", Value::Int(i)) => Value::Int(i.checked_abs().ok_or_else(overflow)?),
            ("abs", Value::Float(f)) => Value::Float(f.abs()),
            ("toupper", Value::String(s)) => Value::String(s.to_uppercase()),
            ("tolower", Value::String(s)) => Value::String(s.to_lowercase()),
            ("head", Value::List(l)) => l.into_iter().next().unwrap_or(Value::Null),
            ("last", Value::List(l)) => l.into_iter().last().unwrap_or(Value::Null),
            ("reverse", Value::List(mut l)) => {
                l.reverse();
                Value::List(l)
            }
            ("reverse", Value::String(s)) => Value::String(s.chars().rev().collect()),
            (
                "id" | "elementid" | "labels" | "type" | "keys" | "properties" | "size" | "length" | "abs" | "toupper"
                | "tolower" | "head" | "last" | "reverse",
                v,
            ) => return Err(type_error(format!("{full}() cannot take a {}", v.type_name()))),
            _ => {
                return Err(Error::compile(
                    Code::SyntaxError,
                    "UnknownFunction",
                    format!("unknown function `{full}`"),
                    "",
                    0,
                ))
            }
        })
    }
}

/// Most elements `range()` may produce (a list this long is already ~100 MB in a Worker).
const MAX_RANGE: i64 = 10_000_000;

/// `range(start, end[, step])`, both ends inclusive.
fn range(args: &[Value]) -> Result<Value> {
    let ints: Vec<i64> = args
        .iter()
        .map(|v| match v {
            Value::Int(i) => Ok(*i),
            v => Err(type_error(format!("range() takes integers, got {}", v.type_name()))),
        })
        .collect::<Result<_>>()?;
    let (start, end, step) = match ints[..] {
        [s, e] => (s, e, 1),
        [s, e, st] => (s, e, st),
        _ => {
            return Err(Error::runtime(Code::SyntaxError, "InvalidNumberOfArguments", "range() takes 2 or 3 arguments"))
        }
    };
    if step == 0 {
        return Err(Error::runtime(Code::ArgumentError, "NumberOutOfRange", "range() step must not be zero"));
    }
    let count = ((i128::from(end) - i128::from(start)) / i128::from(step) + 1).max(0);
    if count > i128::from(MAX_RANGE) {
        return Err(Error::new(Code::LimitExceeded, format!("range() would produce {count} elements")));
    }
    Ok(Value::List((0..count as i64).map(|i| Value::Int(start + i * step)).collect()))
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

fn numeric(v: Value) -> Result<Value> {
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
        _ => a.cypher_cmp(b).map(|o| match op {
            CompareOp::Lt => o == Ordering::Less,
            CompareOp::Le => o != Ordering::Greater,
            CompareOp::Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        }),
    };
    result.map_or(Value::Null, Value::Bool)
}

fn unary(op: UnaryOp, v: Value) -> Result<Value> {
    Ok(match (op, v) {
        (_, Value::Null) => Value::Null,
        (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
        (UnaryOp::Negate, Value::Int(i)) => Value::Int(i.checked_neg().ok_or_else(overflow)?),
        (UnaryOp::Negate, Value::Float(f)) => Value::Float(-f),
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

fn index_value(list: Value, index: Value) -> Result<Value> {
    Ok(match (list, index) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::List(l), Value::Int(i)) => {
            let len = l.len() as i64;
            let i = if i < 0 { len + i } else { i };
            usize::try_from(i).ok().and_then(|i| l.into_iter().nth(i)).unwrap_or(Value::Null)
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

fn to_string(v: Value) -> Result<Value> {
    Ok(Value::String(match v {
        Value::String(s) => s,
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float(f),
        Value::Bool(b) => b.to_string(),
        v => return Err(type_error(format!("toString() cannot take a {}", v.type_name()))),
    }))
}

fn to_integer(v: Value) -> Result<Value> {
    Ok(match v {
        Value::Int(i) => Value::Int(i),
        Value::Float(f) if f.is_finite() && f.trunc() >= i64::MIN as f64 && f.trunc() < i64::MAX as f64 => {
            Value::Int(f.trunc() as i64)
        }
        Value::Float(_) => Value::Null,
        Value::String(s) => match s.trim().parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => match to_integer(Value::Float(s.trim().parse::<f64>().unwrap_or(f64::NAN)))? {
                Value::Int(i) => Value::Int(i),
                _ => Value::Null,
            },
        },
        Value::Bool(b) => Value::Int(i64::from(b)),
        v => return Err(type_error(format!("toInteger() cannot take a {}", v.type_name()))),
    })
}

fn to_float(v: Value) -> Result<Value> {
    Ok(match v {
        Value::Int(i) => Value::Float(i as f64),
        Value::Float(f) => Value::Float(f),
        Value::String(s) => s.trim().parse::<f64>().map_or(Value::Null, Value::Float),
        v => return Err(type_error(format!("toFloat() cannot take a {}", v.type_name()))),
    })
}

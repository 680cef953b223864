//! Scalar functions: `function()` dispatches by lower-cased name; null in gives null out for
//! every function but `coalesce` and `exists`.
use super::budget::Budget;
use super::eval::{deleted, format_float, overflow, type_error};
use super::Evaluator;
use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::Value;
use std::cell::Cell;

impl Evaluator<'_> {
    pub(super) fn function(&self, name: &[Ident], args: Vec<Value>) -> Result<Value> {
        let full = name.iter().map(|i| i.name.to_ascii_lowercase()).collect::<Vec<_>>().join(".");
        if let Some(result) = super::temporal::call(&full, &args) {
            return result;
        }
        match full.as_str() {
            "coalesce" => return Ok(args.into_iter().find(|v| !v.is_null()).unwrap_or(Value::Null)),
            "range" => return range(&args, self.budget),
            "rand" => return Ok(Value::Float(rand())),
            "pi" => return Ok(Value::Float(std::f64::consts::PI)),
            "e" => return Ok(Value::Float(std::f64::consts::E)),
            "exists" => return Ok(Value::Bool(args.first().is_some_and(|v| !v.is_null()))),
            _ => {}
        }
        let lenient = full.ends_with("ornull");
        let base = full.strip_suffix("ornull").unwrap_or(&full);
        let result = match args.as_slice() {
            [Value::Null, ..] => Ok(Value::Null),
            [v] => self.unary(base, v.clone()),
            _ => multi(base, args.clone()),
        };
        let v = match result {
            Err(e) if lenient && e.code == Code::TypeError => Value::Null,
            r => r?,
        };
        // Strings and lists built here (`replace`, `split`, `keys`, ...) are temporaries.
        if matches!(v, Value::String(_) | Value::List(_) | Value::Map(_)) {
            self.budget.built(&v)?;
        }
        Ok(v)
    }

    fn unary(&self, full: &str, first: Value) -> Result<Value> {
        if let Some(v) = math(full, &first)? {
            return Ok(v);
        }
        Ok(match (full, first) {
            ("id", Value::Node(id) | Value::Rel(id)) => Value::Int(id as i64),
            ("elementid", Value::Node(id) | Value::Rel(id)) => Value::String(id.to_string()),
            ("labels", Value::Node(id)) => Value::List(
                self.graph.node(id).ok_or_else(deleted)?.labels.iter().cloned().map(Value::String).collect(),
            ),
            ("type", Value::Rel(id)) => {
                let rel = self.graph.rel(id).or_else(|| self.before.and_then(|g| g.rel(id)));
                rel.map_or(Value::Null, |r| Value::String(r.rel_type.clone()))
            }
            ("keys", v @ (Value::Node(_) | Value::Rel(_) | Value::Map(_))) => {
                Value::List(self.properties(&v)?.into_keys().map(Value::String).collect())
            }
            ("properties", v @ (Value::Node(_) | Value::Rel(_) | Value::Map(_))) => Value::Map(self.properties(&v)?),
            ("size", Value::List(l)) => Value::Int(l.len() as i64),
            ("size", Value::String(s)) => Value::Int(s.chars().count() as i64),
            ("length", Value::Path(p)) => Value::Int(p.rels.len() as i64),
            ("nodes", Value::Path(p)) => Value::List(p.nodes.into_iter().map(Value::Node).collect()),
            ("relationships", Value::Path(p)) => Value::List(p.rels.into_iter().map(Value::Rel).collect()),
            ("startnode", Value::Rel(id)) => self.graph.rel(id).map_or(Value::Null, |r| Value::Node(r.start)),
            ("endnode", Value::Rel(id)) => self.graph.rel(id).map_or(Value::Null, |r| Value::Node(r.end)),
            ("tostring", v) if v.is_temporal() || matches!(v, Value::Duration(_)) => {
                Value::String(super::temporal::text(&v))
            }
            ("tostring", v) => to_string(v)?,
            ("tointeger", v) => to_integer(v)?,
            ("tofloat", v) => to_float(v)?,
            ("toboolean", v) => to_boolean(v)?,
            ("toupper", Value::String(s)) => Value::String(s.to_uppercase()),
            ("tolower", Value::String(s)) => Value::String(s.to_lowercase()),
            ("trim", Value::String(s)) => Value::String(s.trim().to_string()),
            ("ltrim", Value::String(s)) => Value::String(s.trim_start().to_string()),
            ("rtrim", Value::String(s)) => Value::String(s.trim_end().to_string()),
            ("isempty", Value::List(l)) => Value::Bool(l.is_empty()),
            ("isempty", Value::String(s)) => Value::Bool(s.is_empty()),
            ("isempty", Value::Map(m)) => Value::Bool(m.is_empty()),
            ("head", Value::List(l)) => l.into_iter().next().unwrap_or(Value::Null),
            ("last", Value::List(l)) => l.into_iter().last().unwrap_or(Value::Null),
            ("tail", Value::List(l)) => Value::List(l.into_iter().skip(1).collect()),
            ("reverse", Value::List(mut l)) => {
                l.reverse();
                Value::List(l)
            }
            ("reverse", Value::String(s)) => Value::String(s.chars().rev().collect()),
            (name, v) if crate::plan::function_known(name) => {
                return Err(type_error(format!("{name}() cannot take a {}", v.type_name())))
            }
            (name, _) => return Err(arity_error(name)),
        })
    }
}

fn arity_error(name: &str) -> Error {
    Error::runtime(Code::SyntaxError, "InvalidNumberOfArguments", format!("wrong number of arguments for {name}()"))
}

fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// One-argument numeric functions; `None` if `name` is not one of them.
fn math(name: &str, v: &Value) -> Result<Option<Value>> {
    let f: fn(f64) -> f64 = match name {
        "abs" => {
            return Ok(Some(match v {
                Value::Int(i) => Value::Int(i.checked_abs().ok_or_else(overflow)?),
                Value::Float(f) => Value::Float(f.abs()),
                v => return Err(type_error(format!("abs() cannot take a {}", v.type_name()))),
            }))
        }
        "sign" => {
            return Ok(Some(match v {
                Value::Int(i) => Value::Int(i.signum()),
                Value::Float(f) if *f == 0.0 || f.is_nan() => Value::Int(0),
                Value::Float(f) => Value::Int(if *f > 0.0 { 1 } else { -1 }),
                v => return Err(type_error(format!("sign() cannot take a {}", v.type_name()))),
            }))
        }
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "round" => round_half_up,
        "sqrt" => f64::sqrt,
        "exp" => f64::exp,
        "log" => f64::ln,
        "log10" => f64::log10,
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "cot" => |x: f64| 1.0 / x.tan(),
        "degrees" => f64::to_degrees,
        "radians" => f64::to_radians,
        "haversin" => |x: f64| (1.0 - x.cos()) / 2.0,
        _ => return Ok(None),
    };
    match float_of(v) {
        Some(x) => Ok(Some(Value::Float(f(x)))),
        None => Err(type_error(format!("{name}() needs a number, got {}", v.type_name()))),
    }
}

fn round_half_up(x: f64) -> f64 {
    (x + 0.5).floor()
}

fn int_arg(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        v => Err(type_error(format!("{name}() needs an integer, got {}", v.type_name()))),
    }
}

fn str_arg<'v>(name: &str, v: &'v Value) -> Result<&'v str> {
    match v {
        Value::String(s) => Ok(s),
        v => Err(type_error(format!("{name}() needs a string, got {}", v.type_name()))),
    }
}

/// Functions of two or three arguments (the first one is not null).
fn multi(name: &str, args: Vec<Value>) -> Result<Value> {
    if args.iter().skip(1).any(Value::is_null) {
        return Ok(Value::Null);
    }
    let null = Value::Null;
    let arg = |i: usize| args.get(i).unwrap_or(&null);
    let chars = |v: &Value| -> Result<Vec<char>> { Ok(str_arg(name, v)?.chars().collect()) };
    let count = |v: &Value| -> Result<usize> {
        let n = int_arg(name, v)?;
        usize::try_from(n).map_err(|_| {
            Error::runtime(
                Code::ArgumentError,
                "NegativeIntegerArgument",
                format!("{name}() needs a non-negative length"),
            )
        })
    };
    Ok(match (name, args.len()) {
        ("left", 2) => Value::String(chars(arg(0))?.into_iter().take(count(arg(1))?).collect()),
        ("right", 2) => {
            let c = chars(arg(0))?;
            let n = count(arg(1))?.min(c.len());
            Value::String(c.get(c.len() - n..).unwrap_or_default().iter().collect())
        }
        ("substring", 2 | 3) => {
            let c = chars(arg(0))?;
            let start = count(arg(1))?;
            let len = if args.len() == 3 { count(arg(2))? } else { usize::MAX };
            Value::String(c.into_iter().skip(start).take(len).collect())
        }
        ("replace", 3) => {
            let (s, from, to) = (str_arg(name, arg(0))?, str_arg(name, arg(1))?, str_arg(name, arg(2))?);
            Value::String(s.replace(from, to))
        }
        ("split", 2) => {
            let (s, sep) = (str_arg(name, arg(0))?, str_arg(name, arg(1))?);
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep).map(|p| Value::String(p.to_string())).collect()
            };
            Value::List(parts)
        }
        ("atan2", 2) => match (float_of(arg(0)), float_of(arg(1))) {
            (Some(y), Some(x)) => Value::Float(y.atan2(x)),
            _ => return Err(type_error("atan2() needs numbers".into())),
        },
        ("round", 2 | 3) => {
            let (Some(x), Ok(p)) = (float_of(arg(0)), int_arg(name, arg(1))) else {
                return Err(type_error("round() needs a number and an integer precision".into()));
            };
            let scale = 10f64.powi(i32::try_from(p.clamp(-300, 300)).unwrap_or(0));
            Value::Float(round_half_up(x * scale) / scale)
        }
        _ => return Err(arity_error(name)),
    })
}

thread_local! {
    static SEED: Cell<u64> = const { Cell::new(0x9E37_79B9_7F4A_7C15) };
}

/// Seeds `rand()` from the host's entropy; the engine reads none of its own. Called once per
/// query execution.
pub fn seed_random(seed: u64) {
    SEED.with(|s| s.set(seed | 1));
}

/// A pseudo-random float in `[0, 1)` (xorshift over the host-supplied seed).
fn rand() -> f64 {
    SEED.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

fn to_boolean(v: Value) -> Result<Value> {
    Ok(match v {
        Value::Bool(b) => Value::Bool(b),
        Value::Int(i) => Value::Bool(i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Null,
        },
        v => return Err(type_error(format!("toBoolean() cannot take a {}", v.type_name()))),
    })
}

/// Most elements `range()` may produce (a list this long is already ~100 MB in a Worker).
const MAX_RANGE: i64 = 10_000_000;

/// `range(start, end[, step])`, both ends inclusive; its bytes are charged before it is built.
fn range(args: &[Value], budget: &Budget) -> Result<Value> {
    let ints: Vec<i64> = args
        .iter()
        .map(|v| match v {
            Value::Int(i) => Ok(*i),
            v => Err(Error::runtime(
                Code::ArgumentError,
                "InvalidArgumentType",
                format!("range() takes integers, got {}", v.type_name()),
            )),
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
    let span = i128::from(end) - i128::from(start);
    let count = if span != 0 && (span > 0) != (step > 0) { 0 } else { span / i128::from(step) + 1 };
    if count > i128::from(MAX_RANGE) {
        return Err(Error::new(Code::LimitExceeded, format!("range() would produce {count} elements")));
    }
    budget.charge(usize::try_from(count).unwrap_or(usize::MAX).saturating_mul(std::mem::size_of::<Value>()))?;
    Ok(Value::List((0..count as i64).map(|i| Value::Int(start + i * step)).collect()))
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

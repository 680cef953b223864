//! Procedures that `CALL` can run. They are data the host hands to [`crate::api::execute`]:
//! a signature plus a fixed table of rows (the openCypher TCK's fixture procedures). The
//! engine holds no registry of its own, so a host without procedures simply passes an empty one.
//!
//! Invariants: a [`Procedure`]'s input and output names are each unique, and every one of its
//! rows has exactly one value per input and one per output, in declaration order.
use crate::error::{Code, Error, Result};
use crate::graph::Value;
use std::collections::BTreeMap;

/// Most procedures one registry holds (it is filled over HTTP by tests; keep it bounded).
pub const MAX_PROCEDURES: usize = 256;

/// The declared type of an argument or output (`INTEGER?`, `NUMBER?`, `ANY?`...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    Any,
    Boolean,
    Integer,
    Float,
    Number,
    String,
    Map,
    List,
    Node,
    Relationship,
    Path,
}

impl FieldType {
    /// Parses a type name without its `?` (case-insensitive; `LIST OF X` is a list).
    fn parse(text: &str) -> Option<Self> {
        let upper = text.trim().to_ascii_uppercase();
        Some(match upper.as_str() {
            "ANY" => FieldType::Any,
            "BOOLEAN" => FieldType::Boolean,
            "INTEGER" => FieldType::Integer,
            "FLOAT" => FieldType::Float,
            "NUMBER" => FieldType::Number,
            "STRING" => FieldType::String,
            "MAP" => FieldType::Map,
            "NODE" => FieldType::Node,
            "RELATIONSHIP" => FieldType::Relationship,
            "PATH" => FieldType::Path,
            u if u == "LIST" || u.starts_with("LIST OF ") || u.starts_with("LIST<") => FieldType::List,
            _ => return None,
        })
    }
}

/// A named, typed argument or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    /// Declared with `?`: null is a valid value.
    pub nullable: bool,
}

impl Field {
    /// The value as this field receives it: an INTEGER becomes a FLOAT where a FLOAT is
    /// declared; `None` when the value does not fit the type.
    pub fn accept(&self, v: Value) -> Option<Value> {
        let fits = match (&v, self.ty) {
            (Value::Null, _) => self.nullable,
            (Value::Int(i), FieldType::Float) => return Some(Value::Float(*i as f64)),
            (_, FieldType::Any)
            | (Value::Bool(_), FieldType::Boolean)
            | (Value::Int(_), FieldType::Integer | FieldType::Number)
            | (Value::Float(_), FieldType::Float | FieldType::Number)
            | (Value::String(_), FieldType::String)
            | (Value::Map(_), FieldType::Map)
            | (Value::List(_), FieldType::List)
            | (Value::Node(_), FieldType::Node)
            | (Value::Rel(_), FieldType::Relationship)
            | (Value::Path(_), FieldType::Path) => true,
            _ => false,
        };
        fits.then_some(v)
    }
}

/// One row of a procedure's table.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    inputs: Vec<Value>,
    outputs: Vec<Value>,
}

/// A procedure: its signature and the rows it answers with.
#[derive(Clone, Debug, PartialEq)]
pub struct Procedure {
    /// The dotted name as declared, e.g. `test.my.proc`.
    pub name: String,
    pub inputs: Vec<Field>,
    /// Empty for a `VOID` procedure (`:: ()`).
    pub outputs: Vec<Field>,
    rows: Vec<Row>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidRequest, message)
}

impl Procedure {
    /// A procedure from its signature, its table's column names (each input and output once,
    /// in any order) and the table's rows (values in column order).
    pub fn new(signature: &str, columns: &[String], rows: Vec<Vec<Value>>) -> Result<Self> {
        let (name, inputs, outputs) = parse_signature(signature)?;
        let fields: Vec<&Field> = inputs.iter().chain(&outputs).collect();
        if columns.len() != fields.len() {
            return Err(invalid(format!("{} columns given for {} declared fields", columns.len(), fields.len())));
        }
        // For each field, the column that holds it.
        let mut column_of = Vec::with_capacity(fields.len());
        for f in &fields {
            let i = columns.iter().position(|c| *c == f.name);
            column_of.push(i.ok_or_else(|| invalid(format!("no column for field `{}`", f.name)))?);
        }
        let rows = rows.into_iter().map(|r| table_row(r, &column_of, inputs.len())).collect::<Result<_>>()?;
        Ok(Procedure { name, inputs, outputs, rows })
    }

    /// The outputs of every row whose inputs equal `args` (already accepted by the inputs).
    pub fn call<'s>(&'s self, args: &'s [Value]) -> impl Iterator<Item = &'s [Value]> + 's {
        self.rows
            .iter()
            .filter(move |r| r.inputs.len() == args.len() && r.inputs.iter().zip(args).all(|(a, b)| a.equivalent(b)))
            .map(|r| r.outputs.as_slice())
    }
}

/// Reorders one table row from column order to field order, split into inputs and outputs.
fn table_row(values: Vec<Value>, column_of: &[usize], inputs: usize) -> Result<Row> {
    if values.len() != column_of.len() {
        return Err(invalid(format!("a row has {} values for {} columns", values.len(), column_of.len())));
    }
    let mut ordered: Vec<Value> =
        column_of.iter().map(|&c| values.get(c).cloned().unwrap_or(Value::Null)).collect::<Vec<_>>();
    let outputs = ordered.split_off(inputs.min(ordered.len()));
    Ok(Row { inputs: ordered, outputs })
}

/// Parses `ns.name(arg :: TYPE?, ...) :: (out :: TYPE?, ...)`; `:: ()` or `:: VOID` declares no
/// outputs. Returns the name, the inputs and the outputs.
pub fn parse_signature(text: &str) -> Result<(String, Vec<Field>, Vec<Field>)> {
    let bad = |why: &str| invalid(format!("bad procedure signature `{text}`: {why}"));
    let (name, rest) = text.split_once('(').ok_or_else(|| bad("expected `(` after the name"))?;
    let name = name.trim();
    if name.is_empty() || name.split('.').any(|part| !is_identifier(part.trim())) {
        return Err(bad("the name must be dotted identifiers"));
    }
    let (inputs, rest) = rest.split_once(')').ok_or_else(|| bad("expected `)` after the arguments"))?;
    let rest = rest.trim().strip_prefix("::").ok_or_else(|| bad("expected `::` before the outputs"))?.trim();
    let outputs = if rest.eq_ignore_ascii_case("VOID") {
        ""
    } else {
        rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).ok_or_else(|| bad("outputs must be `(...)`"))?
    };
    let inputs = parse_fields(inputs).map_err(|why| bad(&why))?;
    let outputs = parse_fields(outputs).map_err(|why| bad(&why))?;
    Ok((name.split('.').map(str::trim).collect::<Vec<_>>().join("."), inputs, outputs))
}

/// `a :: INTEGER?, b :: STRING` (or nothing) into fields with unique names.
fn parse_fields(text: &str) -> std::result::Result<Vec<Field>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut fields: Vec<Field> = Vec::new();
    for item in text.split(',') {
        let (name, ty) = item.split_once("::").ok_or_else(|| format!("`{}` needs `name :: TYPE`", item.trim()))?;
        let name = name.trim();
        if !is_identifier(name) || fields.iter().any(|f| f.name == name) {
            return Err(format!("`{name}` is not a new field name"));
        }
        let ty = ty.trim();
        let (ty, nullable) = match ty.strip_suffix('?') {
            Some(t) => (t, true),
            None => (ty, false),
        };
        let ty = FieldType::parse(ty).ok_or_else(|| format!("unknown type `{ty}`"))?;
        fields.push(Field { name: name.to_string(), ty, nullable });
    }
    Ok(fields)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// The procedures one query may call, by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Procedures {
    by_name: BTreeMap<String, Procedure>,
}

impl Procedures {
    /// No procedures (what production hosts pass).
    pub const fn new() -> Self {
        Procedures { by_name: BTreeMap::new() }
    }

    /// Adds `p`, replacing a procedure of the same name; at most [`MAX_PROCEDURES`] names.
    pub fn register(&mut self, p: Procedure) -> Result<()> {
        if self.by_name.len() >= MAX_PROCEDURES && !self.by_name.contains_key(&p.name) {
            return Err(Error::new(Code::LimitExceeded, format!("at most {MAX_PROCEDURES} procedures")));
        }
        self.by_name.insert(p.name.clone(), p);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Procedure> {
        self.by_name.get(name)
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn field(name: &str, ty: FieldType) -> Field {
        Field { name: name.into(), ty, nullable: true }
    }

    #[test]
    fn signatures_parse() {
        let (name, inputs, outputs) =
            parse_signature("test.my.proc(name :: STRING?, id :: INTEGER?) :: (city :: STRING?, n :: NUMBER?)")
                .unwrap();
        assert_eq!(name, "test.my.proc");
        assert_eq!(inputs, vec![field("name", FieldType::String), field("id", FieldType::Integer)]);
        assert_eq!(outputs, vec![field("city", FieldType::String), field("n", FieldType::Number)]);
        let (name, inputs, outputs) = parse_signature("test.doNothing() :: ()").unwrap();
        assert_eq!((name.as_str(), inputs.len(), outputs.len()), ("test.doNothing", 0, 0));
        assert!(parse_signature("test.v() :: VOID").unwrap().2.is_empty());
        assert!(!parse_signature("t.p(x :: LIST OF INTEGER) :: (y :: ANY?)").unwrap().1[0].nullable);
    }

    #[test]
    fn bad_signatures_are_invalid_requests() {
        for s in [
            "",
            "p",
            "p(",
            "p() ::",
            "p() :: (",
            "p(x INTEGER) :: ()",
            "p(x :: WHAT) :: ()",
            "p(x :: INTEGER, x :: INTEGER) :: ()",
            "a..b() :: ()",
            "p() (x :: INTEGER)",
        ] {
            assert_eq!(parse_signature(s).unwrap_err().code, Code::InvalidRequest, "{s}");
        }
    }

    #[test]
    fn integers_widen_to_floats_only() {
        let float = field("x", FieldType::Float);
        assert_eq!(float.accept(Value::Int(42)), Some(Value::Float(42.0)));
        assert_eq!(field("x", FieldType::Number).accept(Value::Int(42)), Some(Value::Int(42)));
        assert_eq!(field("x", FieldType::Integer).accept(Value::Float(1.0)), None);
        assert_eq!(field("x", FieldType::Integer).accept(Value::Bool(true)), None);
        assert_eq!(float.accept(Value::Null), Some(Value::Null));
        assert_eq!(Field { nullable: false, ..float }.accept(Value::Null), None);
    }

    #[test]
    fn rows_are_matched_by_inputs_in_column_order() {
        let columns: Vec<String> = ["out", "in"].map(String::from).to_vec();
        let rows = vec![vec![Value::String("a".into()), Value::Int(1)], vec![Value::String("b".into()), Value::Int(2)]];
        let p = Procedure::new("t.p(in :: INTEGER?) :: (out :: STRING?)", &columns, rows).unwrap();
        let args = [Value::Int(2)];
        assert_eq!(p.call(&args).collect::<Vec<_>>(), vec![&[Value::String("b".into())][..]]);
        assert!(Procedure::new("t.p(in :: INTEGER?) :: (out :: STRING?)", &columns[..1], vec![]).is_err());
        assert!(Procedure::new("t.p(in :: INTEGER?) :: (out :: STRING?)", &columns, vec![vec![]]).is_err());
    }

    #[test]
    fn the_registry_is_bounded() {
        let mut r = Procedures::new();
        for i in 0..MAX_PROCEDURES {
            r.register(Procedure::new(&format!("t.p{i}() :: ()"), &[], vec![]).unwrap()).unwrap();
        }
        assert_eq!(
            r.register(Procedure::new("t.more() :: ()", &[], vec![]).unwrap()).unwrap_err().code,
            Code::LimitExceeded
        );
        assert!(r.register(Procedure::new("t.p0() :: ()", &[], vec![]).unwrap()).is_ok());
    }
}

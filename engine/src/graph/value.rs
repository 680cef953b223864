//! Cypher values and their comparison rules.
//!
//! Entities are held by id: their labels and properties are read from the transaction that
//! is current when they are used, so `SET` is visible to later expressions of the same query.
use super::duration::Duration;
use super::temporal::{Date, DateTime, LocalDateTime, LocalTime, Time};
use std::cmp::Ordering;
use std::collections::BTreeMap;

pub type NodeId = u64;
pub type RelId = u64;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Node(NodeId),
    Rel(RelId),
    Path(Path),
    Date(Date),
    LocalTime(LocalTime),
    Time(Time),
    LocalDateTime(LocalDateTime),
    DateTime(DateTime),
    Duration(Duration),
}

/// Alternating nodes and relationships: `nodes.len() == rels.len() + 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub nodes: Vec<NodeId>,
    pub rels: Vec<RelId>,
}

/// Cypher-literal text for messages: `null`, `1`, `1.0`, `'text'`, `[1, 2]`, `{k: 1}`; entities
/// by id.
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn list<T: std::fmt::Display>(
            f: &mut std::fmt::Formatter<'_>,
            items: impl Iterator<Item = T>,
        ) -> std::fmt::Result {
            for (i, item) in items.enumerate() {
                write!(f, "{}{item}", if i > 0 { ", " } else { "" })?;
            }
            Ok(())
        }
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) if x.is_finite() => write!(f, "{x:?}"),
            Value::Float(x) => f.write_str(if x.is_nan() {
                "NaN"
            } else if *x > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            }),
            Value::String(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Value::List(items) => {
                f.write_str("[")?;
                list(f, items.iter())?;
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                list(f, m.iter().map(|(k, v)| format!("{k}: {v}")))?;
                f.write_str("}")
            }
            Value::Node(id) => write!(f, "node({id})"),
            Value::Rel(id) => write!(f, "relationship({id})"),
            Value::Path(p) => write!(f, "path(length {})", p.rels.len()),
            Value::Date(d) => write!(f, "date('{d}')"),
            Value::LocalTime(t) => write!(f, "localtime('{t}')"),
            Value::Time(t) => write!(f, "time('{t}')"),
            Value::LocalDateTime(t) => write!(f, "localdatetime('{t}')"),
            Value::DateTime(t) => write!(f, "datetime('{t}')"),
            Value::Duration(d) => write!(f, "duration('{d}')"),
        }
    }
}

/// Three-valued AND of pairwise equality: false wins, then unknown (null), else true.
fn all_equal<'a>(pairs: impl Iterator<Item = (&'a Value, &'a Value)>) -> Option<bool> {
    let mut unknown = false;
    for (x, y) in pairs {
        match x.cypher_eq(y) {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    (!unknown).then_some(true)
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "BOOLEAN",
            Value::Int(_) => "INTEGER",
            Value::Float(_) => "FLOAT",
            Value::String(_) => "STRING",
            Value::List(_) => "LIST",
            Value::Map(_) => "MAP",
            Value::Node(_) => "NODE",
            Value::Rel(_) => "RELATIONSHIP",
            Value::Path(_) => "PATH",
            Value::Date(_) => "DATE",
            Value::LocalTime(_) => "LOCAL TIME",
            Value::Time(_) => "ZONED TIME",
            Value::LocalDateTime(_) => "LOCAL DATETIME",
            Value::DateTime(_) => "ZONED DATETIME",
            Value::Duration(_) => "DURATION",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether the value is a date, time or date-time of any kind.
    pub fn is_temporal(&self) -> bool {
        matches!(
            self,
            Value::Date(_) | Value::LocalTime(_) | Value::Time(_) | Value::LocalDateTime(_) | Value::DateTime(_)
        )
    }

    /// Whether the value may be stored as a property (no entities, lists of one scalar type).
    pub fn is_storable(&self) -> bool {
        let scalar = |v: &Value| {
            matches!(v, Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::String(_) | Value::Duration(_))
                || v.is_temporal()
        };
        match self {
            Value::Null => true,
            Value::List(items) => items.iter().all(scalar),
            v => scalar(v),
        }
    }

    /// Cypher equality (`=`): `None` is `null` (unknown), e.g. when either side is null.
    pub fn cypher_eq(&self, other: &Value) -> Option<bool> {
        match (self, other) {
            (Value::Null, _) | (_, Value::Null) => None,
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => Some((*a as f64) == *b),
            (Value::List(a), Value::List(b)) if a.len() == b.len() => all_equal(a.iter().zip(b)),
            (Value::Map(a), Value::Map(b)) if a.len() == b.len() && a.keys().eq(b.keys()) => {
                all_equal(a.values().zip(b.values()))
            }
            (Value::List(_), Value::List(_)) | (Value::Map(_), Value::Map(_)) => Some(false),
            (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => Some(a == b),
            _ => Some(false),
        }
    }

    /// Cypher inequality comparison (`<` etc.): `None` when the values are not comparable.
    pub fn cypher_cmp(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Float(a), Value::Float(b)) => a.partial_cmp(b),
            (Value::Int(a), Value::Float(b)) => (*a as f64).partial_cmp(b),
            (Value::Float(a), Value::Int(b)) => a.partial_cmp(&(*b as f64)),
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (a, b) if a.is_temporal() => temporal_cmp(a, b),
            (Value::List(a), Value::List(b)) => {
                for (x, y) in a.iter().zip(b) {
                    match x.cypher_cmp(y)? {
                        Ordering::Equal => {}
                        o => return Some(o),
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            _ => None,
        }
    }

    /// The total order of `ORDER BY` (and grouping): maps < nodes < rels < lists < paths <
    /// datetimes < local datetimes < dates < times < local times < durations < strings <
    /// booleans < numbers < null (the openCypher orderability order), numbers compared by value
    /// with NaN last, zoned temporals by instant, durations by approximate length
    /// ([`Duration`]'s `Ord`).
    pub fn order(&self, other: &Value) -> Ordering {
        fn rank(v: &Value) -> u8 {
            match v {
                Value::Map(_) => 0,
                Value::Node(_) => 1,
                Value::Rel(_) => 2,
                Value::List(_) => 3,
                Value::Path(_) => 4,
                Value::DateTime(_) => 5,
                Value::LocalDateTime(_) => 6,
                Value::Date(_) => 7,
                Value::Time(_) => 8,
                Value::LocalTime(_) => 9,
                Value::Duration(_) => 10,
                Value::String(_) => 11,
                Value::Bool(_) => 12,
                Value::Int(_) | Value::Float(_) => 13,
                Value::Null => 14,
            }
        }
        fn num(v: &Value) -> f64 {
            match v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => 0.0,
            }
        }
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (a @ (Value::Int(_) | Value::Float(_)), b @ (Value::Int(_) | Value::Float(_))) => {
                let (x, y) = (num(a), num(b));
                match (x.is_nan(), y.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    // Equal as floats but distinct integers/floats: keep a stable order.
                    _ => x
                        .partial_cmp(&y)
                        .unwrap_or(Ordering::Equal)
                        .then_with(|| matches!(a, Value::Float(_)).cmp(&matches!(b, Value::Float(_)))),
                }
            }
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Node(a), Value::Node(b)) | (Value::Rel(a), Value::Rel(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) => {
                a.iter().zip(b).map(|(x, y)| x.order(y)).find(|o| o.is_ne()).unwrap_or(a.len().cmp(&b.len()))
            }
            (Value::Map(a), Value::Map(b)) => a
                .iter()
                .zip(b)
                .map(|((ka, va), (kb, vb))| ka.cmp(kb).then_with(|| va.order(vb)))
                .find(|o| o.is_ne())
                .unwrap_or(a.len().cmp(&b.len())),
            (Value::Path(a), Value::Path(b)) => a.nodes.cmp(&b.nodes).then_with(|| a.rels.cmp(&b.rels)),
            (Value::Duration(a), Value::Duration(b)) => a.cmp(b),
            (a, b) => temporal_cmp(a, b).unwrap_or_else(|| rank(a).cmp(&rank(b))),
        }
    }

    /// Equivalence for grouping and `DISTINCT`: like `=` but null equals null and NaN equals NaN.
    /// A hash that equivalent values share ([`Value::equivalent`] implies equal hints), so
    /// grouping and `DISTINCT` compare a value only with the few that share its hint. Numbers
    /// hash their `f64` value (so `1` and `1.0` agree).
    pub fn equivalence_hint(&self) -> u64 {
        use std::hash::Hasher;
        let mut h = crate::storage::view::FastHasher::default();
        self.hint_into(&mut h);
        h.finish()
    }

    fn hint_into(&self, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        let number = |f: f64, h: &mut dyn std::hash::Hasher| {
            let canonical = if f.is_nan() {
                f64::NAN
            } else if f == 0.0 {
                0.0
            } else {
                f
            };
            h.write_u64(canonical.to_bits());
        };
        match self {
            Value::Int(i) => number(*i as f64, h),
            Value::Float(f) => number(*f, h),
            Value::Null => h.write_u8(0),
            Value::Bool(b) => b.hash(h),
            Value::String(s) => s.hash(h),
            Value::Node(id) => (1u8, id).hash(h),
            Value::Rel(id) => (2u8, id).hash(h),
            Value::Path(p) => (&p.nodes, &p.rels).hash(h),
            Value::List(items) => {
                h.write_usize(items.len());
                items.iter().for_each(|v| v.hint_into(h));
            }
            Value::Map(m) => {
                h.write_usize(m.len());
                for (k, v) in m {
                    k.hash(h);
                    v.hint_into(h);
                }
            }
            // Temporal values are equivalent when equal, and their types hash what they compare.
            Value::Date(t) => t.hash(h),
            Value::LocalTime(t) => t.hash(h),
            Value::Time(t) => t.hash(h),
            Value::LocalDateTime(t) => t.hash(h),
            Value::DateTime(t) => t.hash(h),
            Value::Duration(d) => d.hash(h),
        }
    }

    pub fn equivalent(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => (*a as f64) == *b,
            (Value::Float(a), Value::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Value::List(a), Value::List(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equivalent(y)),
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && va.equivalent(vb))
            }
            (a, b) => a == b,
        }
    }
}

/// The order of two temporal values of the same type; `None` for anything else.
fn temporal_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    Some(match (a, b) {
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::LocalTime(x), Value::LocalTime(y)) => x.cmp(y),
        (Value::Time(x), Value::Time(y)) => x.cmp(y),
        (Value::LocalDateTime(x), Value::LocalDateTime(y)) => x.cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => x.cmp(y),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::Value::*;
    use std::cmp::Ordering;

    #[test]
    fn equivalent_values_share_their_hint() {
        let pairs = [
            (Int(1), Float(1.0)),
            (Float(f64::NAN), Float(-f64::NAN)),
            (Float(0.0), Float(-0.0)),
            (Int(0), Float(-0.0)),
            (List(vec![Int(1), Float(2.0), Null]), List(vec![Float(1.0), Int(2), Null])),
            (
                Map([("a".to_string(), Int(3))].into_iter().collect()),
                Map([("a".to_string(), Float(3.0))].into_iter().collect()),
            ),
            (String("x".into()), String("x".into())),
        ];
        for (a, b) in pairs {
            assert!(a.equivalent(&b), "{a:?} ~ {b:?}");
            assert_eq!(a.equivalence_hint(), b.equivalence_hint(), "{a:?} ~ {b:?}");
        }
        assert_ne!(Int(1).equivalence_hint(), Int(2).equivalence_hint());
        assert_ne!(String("1".into()).equivalence_hint(), Int(1).equivalence_hint());
    }

    #[test]
    fn equality_is_three_valued() {
        assert_eq!(Int(1).cypher_eq(&Float(1.0)), Some(true));
        assert_eq!(Int(1).cypher_eq(&Null), None);
        assert_eq!(List(vec![Int(1), Null]).cypher_eq(&List(vec![Int(1), Null])), None);
        assert_eq!(List(vec![Int(2), Null]).cypher_eq(&List(vec![Int(1), Null])), Some(false));
        assert_eq!(String("a".into()).cypher_eq(&Int(1)), Some(false));
    }

    #[test]
    fn comparison_is_undefined_across_types() {
        assert_eq!(Int(1).cypher_cmp(&Float(1.5)), Some(Ordering::Less));
        assert_eq!(Int(1).cypher_cmp(&String("a".into())), None);
        assert_eq!(Float(f64::NAN).cypher_cmp(&Float(1.0)), None);
    }

    #[test]
    fn displays_as_cypher_literals() {
        let m = Map([("k".to_string(), List(vec![Int(1), Float(2.0), String("it's".into()), Null]))].into());
        assert_eq!(m.to_string(), "{k: [1, 2.0, 'it\\'s', null]}");
        assert_eq!(Float(f64::NEG_INFINITY).to_string(), "-Infinity");
    }

    #[test]
    fn ordering_is_total() {
        let mut v = [Null, Int(2), String("b".into()), Float(1.5), Bool(true), List(vec![]), Float(f64::NAN)];
        v.sort_by(|a, b| a.order(b));
        assert_eq!(v[0], List(vec![]));
        assert_eq!(v[1], String("b".into()));
        assert_eq!(v[2], Bool(true));
        assert_eq!(v[3], Float(1.5));
        assert_eq!(v[4], Int(2));
        assert!(matches!(v[5], Float(f) if f.is_nan()));
        assert_eq!(v[6], Null);
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn durations_compare_for_equality_and_sort_before_strings() {
        use crate::graph::duration::Duration as D;
        let month = Duration(D::parse("P1M").unwrap());
        let days = Duration(D::parse("P30D").unwrap());
        assert_eq!(month.cypher_eq(&days), Some(false));
        assert_eq!(month.cypher_eq(&Duration(D::parse("P1M").unwrap())), Some(true));
        assert_eq!(month.cypher_cmp(&days), None);
        assert_eq!(days.order(&month), Ordering::Less);
        assert_eq!(month.order(&String("a".into())), Ordering::Less);
        assert!(month.is_storable());
    }
}

//! A query row: the values of the variables in scope, by name.
//!
//! Rows are made and copied for every match of every pattern hop, so they are built to be
//! cheap to copy: a vector of (name, value) pairs in name order (a row holds a handful of
//! variables, so a short search beats a map's, and a copy is one allocation), with names of up
//! to [`INLINE`] bytes held in place (copying a name never allocates).
//!
//! Invariant: names are unique and in byte order (which is `str` order), so rows compare,
//! iterate and collect like the `BTreeMap<String, Value>` they replace.
use crate::graph::Value;
use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

/// The longest name held in place.
const INLINE: usize = 22;

/// Room a copied row keeps for the variables the next hop binds, so binding them does not
/// grow the vector again.
const SPARE: usize = 2;

/// A variable's name: in place when short, shared when long; cloning never allocates.
#[derive(Clone)]
pub enum Name {
    Inline(u8, [u8; INLINE]),
    Shared(Rc<str>),
}

impl Name {
    fn bytes(&self) -> &[u8] {
        match self {
            Name::Inline(len, bytes) => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Name::Shared(s) => s.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Built from a `&str` cut at its own length, so always valid.
            Name::Inline(..) => std::str::from_utf8(self.bytes()).unwrap_or_default(),
            Name::Shared(s) => s,
        }
    }

    /// The bytes of the name's own heap (none when inline).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Name::Inline(..) => 0,
            Name::Shared(s) => s.len(),
        }
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        let mut bytes = [0u8; INLINE];
        match bytes.get_mut(..s.len()) {
            Some(head) => {
                head.copy_from_slice(s.as_bytes());
                Name::Inline(s.len() as u8, bytes)
            }
            None => Name::Shared(s.into()),
        }
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name::from(s.as_str())
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name::from(s.as_str())
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.bytes() == other.bytes()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Variable name → value.
#[derive(Default, PartialEq)]
pub struct Row(Vec<(Name, Value)>);

impl Clone for Row {
    fn clone(&self) -> Row {
        let mut vars = Vec::with_capacity(self.0.len() + SPARE);
        vars.extend(self.0.iter().cloned());
        Row(vars)
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Row {
    pub fn new() -> Row {
        Row(Vec::new())
    }

    /// Where `name` is, or where it would go.
    fn find(&self, name: &str) -> Result<usize, usize> {
        let name = name.as_bytes();
        for (i, (n, _)) in self.0.iter().enumerate() {
            match n.bytes().cmp(name) {
                Ordering::Less => {}
                Ordering::Equal => return Ok(i),
                Ordering::Greater => return Err(i),
            }
        }
        Err(self.0.len())
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        let i = self.find(name).ok()?;
        self.0.get(i).map(|(_, v)| v)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Binds `name` to `value`; the value it had, if any.
    pub fn insert(&mut self, name: impl AsRef<str>, value: Value) -> Option<Value> {
        self.set(Name::from(name.as_ref()), value)
    }

    fn set(&mut self, name: Name, value: Value) -> Option<Value> {
        match self.find(name.as_str()) {
            Ok(i) => self.0.get_mut(i).map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    /// Binds `name` to `value` unless it is bound already.
    pub fn insert_absent(&mut self, name: &str, value: Value) {
        if let Err(i) = self.find(name) {
            self.0.insert(i, (Name::from(name), value));
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.find(name).ok()?;
        Some(self.0.remove(i).1)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The pairs themselves, for what sizes a row.
    pub fn entries(&self) -> &[(Name, Value)] {
        &self.0
    }

    /// The vector's room, in pairs (what the row's allocation holds).
    pub fn capacity(&self) -> usize {
        self.0.capacity()
    }

    /// `self` with `over`'s variables bound over it.
    pub fn overlaid(&self, over: &Row) -> Row {
        let mut row = Row(Vec::with_capacity(self.0.len() + over.0.len()));
        let (mut a, mut b) = (self.0.iter().peekable(), over.0.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some((x, _)), Some((y, _))) => match x.bytes().cmp(y.bytes()) {
                    Ordering::Less => a.next(),
                    Ordering::Equal => {
                        a.next();
                        b.next()
                    }
                    Ordering::Greater => b.next(),
                },
                (Some(_), None) => a.next(),
                (None, _) => b.next(),
            };
            match next {
                Some(pair) => row.0.push(pair.clone()),
                None => return row,
            }
        }
    }
}

impl<N: Into<Name>> FromIterator<(N, Value)> for Row {
    /// Like a map's: a later pair replaces an earlier one of the same name.
    fn from_iter<I: IntoIterator<Item = (N, Value)>>(pairs: I) -> Row {
        let mut row = Row::new();
        for (name, value) in pairs {
            row.set(name.into(), value);
        }
        row
    }
}

impl IntoIterator for Row {
    type Item = (Name, Value);
    type IntoIter = std::vec::IntoIter<(Name, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A row behaves like the map it replaces under any sequence of inserts and removals,
    /// with names short, long (shared) and sharing prefixes.
    #[test]
    fn a_row_is_a_map_from_names() {
        let names = ["b", "a", "ab", "", "a_name_longer_than_twenty_two_bytes", "a_name_longer_than_twenty", "é", "z"];
        let mut row = Row::new();
        let mut model: BTreeMap<String, Value> = BTreeMap::new();
        let mut seed = 7u64;
        for step in 0..400i64 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let name = names[(seed >> 33) as usize % names.len()];
            match (seed >> 20) % 3 {
                0 => assert_eq!(row.remove(name), model.remove(name), "step {step}"),
                _ => assert_eq!(row.insert(name, Value::Int(step)), model.insert(name.to_string(), Value::Int(step))),
            }
            let copy = row.clone();
            assert_eq!(copy, row);
            assert!(copy.iter().eq(model.iter().map(|(k, v)| (k.as_str(), v))), "step {step}");
            for n in names {
                assert_eq!(row.get(n), model.get(n));
                assert_eq!(row.contains_key(n), model.contains_key(n));
            }
        }
    }

    #[test]
    fn overlaying_and_collecting_keep_the_later_binding() {
        let under: Row = [("a", Value::Int(1)), ("c", Value::Int(3)), ("a", Value::Int(0))].into_iter().collect();
        assert_eq!(under.get("a"), Some(&Value::Int(0)));
        let over: Row = [("b", Value::Int(20)), ("c", Value::Int(30))].into_iter().collect();
        let both = under.overlaid(&over);
        let pairs: Vec<(&str, &Value)> = both.iter().collect();
        assert_eq!(pairs, vec![("a", &Value::Int(0)), ("b", &Value::Int(20)), ("c", &Value::Int(30))]);
        let mut row = under.clone();
        row.insert_absent("a", Value::Null);
        row.insert_absent("d", Value::Null);
        assert_eq!(row.get("a"), Some(&Value::Int(0)));
        assert_eq!(row.get("d"), Some(&Value::Null));
    }
}

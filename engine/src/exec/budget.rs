//! Per-query budgets, checked while a query runs: work, time, memory and result rows. Going
//! over one ends the query with `LimitExceeded` (422) naming the limit in `detail`; the
//! transaction is then never committed, so nothing is written.
//!
//! - Work ([`QueryLimits::max_work`]): one unit per expression node evaluated and per iteration
//!   of the executor's loops (a candidate node, a relationship followed, a row unwound,
//!   projected, grouped or compared, a list item folded), plus copying in proportion to size:
//!   one unit per 64 bytes of a row built (B-tree nodes, keys, values), one per 256 bytes of a
//!   string, list or map built, or read from a variable, parameter or property (what comes
//!   next, `IN`, `size()`, a comparison, scans at most what was copied). Deterministic, and the
//!   budget that holds on a deployed Worker, whose clocks stand still while code runs.
//! - Time ([`QueryLimits::time_ms`]): the host clock is read every [`CLOCK_EVERY`] units of
//!   work, never per row. Natively and on local workerd it bounds wall time; on a deployed
//!   Worker `Date.now()` only advances across I/O, so there it only bounds time spent waiting.
//! - Memory ([`QueryLimits::max_memory_bytes`]): an approximate count of the bytes of values
//!   the query holds ([`value_bytes`], [`row_bytes`]): rows between clauses and rows a clause
//!   has produced so far (so matches, var-length paths and cartesian products), grouping, sort
//!   and `DISTINCT` keys, aggregated values (`collect`), list items being built, strings and
//!   lists built by `+` and functions, `range()` before it allocates, and property values
//!   written. A scope releases what it charged when it ends (an expression's temporaries when it
//!   returns), and a holder (a buffer, a group table, a sort) releases exactly what it charged
//!   ([`Held`]) when it lets go, so the count follows what is live. Rows streamed from clause
//!   to clause are never held, so they are not charged; copying them costs work.
//! - Result rows ([`QueryLimits::max_result_rows`]): counted as the final rows are gathered.
use super::row::{Name, Row};
use crate::error::{Code, Error, Result};
use crate::graph::Value;
use crate::storage::Clock;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::mem::size_of;

/// Units of work between two reads of the clock.
pub const CLOCK_EVERY: u64 = 1024;

/// Bytes of a string or list built per unit of work (copied in one piece).
const VALUE_BYTES_PER_UNIT: usize = 256;

/// Bytes of a row built per unit of work (B-tree nodes and cloned keys and values).
const ROW_BYTES_PER_UNIT: usize = 64;

/// What one query may spend. Hosts configure these (the Worker from `wrangler.toml` `[vars]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    pub max_result_rows: usize,
    pub max_memory_bytes: usize,
    pub max_work: u64,
    pub time_ms: u64,
}

impl Default for QueryLimits {
    /// Sized for a Worker: 128 MB per isolate (several requests may share it) and a paid
    /// plan's 30 s of CPU per request by default. See the README's Limits table.
    fn default() -> Self {
        QueryLimits {
            max_result_rows: 100_000,
            max_memory_bytes: 32 * 1024 * 1024,
            max_work: 50_000_000,
            time_ms: 10_000,
        }
    }
}

impl QueryLimits {
    /// No limit at all (for tools and tests that must not be stopped).
    pub const UNLIMITED: QueryLimits = QueryLimits {
        max_result_rows: usize::MAX,
        max_memory_bytes: usize::MAX,
        max_work: u64::MAX,
        time_ms: u64::MAX,
    };
}

/// `LimitExceeded` naming the limit (`detail` is its name, as in the README's table).
pub fn exceeded(limit: &'static str, what: String) -> Error {
    Error::runtime(Code::LimitExceeded, limit, format!("{what} ({limit}); nothing was written"))
}

/// The spending of one request (all its attempts): interior mutability, so every part of the
/// executor can charge it through a shared reference.
pub struct Budget<'c> {
    limits: QueryLimits,
    clock: &'c dyn Clock,
    deadline_ms: u64,
    work: Cell<u64>,
    /// Approximate bytes of values live now (released as scopes end).
    live: Cell<usize>,
    /// Approximate bytes written into the transaction (held until the request ends).
    kept: Cell<usize>,
}

impl<'c> Budget<'c> {
    /// Starts the clock: the deadline is `time_ms` from now.
    pub fn new(limits: QueryLimits, clock: &'c dyn Clock) -> Self {
        let deadline_ms = clock.now_ms().saturating_add(limits.time_ms);
        Budget { limits, clock, deadline_ms, work: Cell::new(0), live: Cell::new(0), kept: Cell::new(0) }
    }

    pub fn limits(&self) -> &QueryLimits {
        &self.limits
    }

    /// Spends `units` of work; reads the clock whenever a multiple of [`CLOCK_EVERY`] is crossed.
    #[inline]
    pub fn tick(&self, units: u64) -> Result<()> {
        let before = self.work.get();
        let after = before.saturating_add(units);
        self.work.set(after);
        if after > self.limits.max_work || before / CLOCK_EVERY != after / CLOCK_EVERY {
            return self.check_work(after);
        }
        Ok(())
    }

    #[cold]
    fn check_work(&self, work: u64) -> Result<()> {
        if work > self.limits.max_work {
            return Err(exceeded(
                "max_query_work",
                format!("the query needed more than {} units of work", self.limits.max_work),
            ));
        }
        self.check_time()
    }

    /// A value was just built (a string, list or map made by `+` or a function): its bytes are
    /// held, and copying them costs work.
    pub fn built(&self, v: &Value) -> Result<()> {
        let bytes = value_bytes(v);
        self.tick(1 + (bytes / VALUE_BYTES_PER_UNIT) as u64)?;
        self.charge(bytes)
    }

    /// The work of copying `v` (nothing extra for a scalar).
    pub fn copied(&self, v: &Value) -> Result<()> {
        match v {
            Value::String(_) | Value::List(_) | Value::Map(_) | Value::Path(_) => {
                self.tick((value_bytes(v) / VALUE_BYTES_PER_UNIT) as u64)
            }
            _ => Ok(()),
        }
    }

    /// A row was just built (a match, an unwound or projected row): its bytes are held, and
    /// copying them costs work.
    pub fn row(&self, row: &Row) -> Result<()> {
        let bytes = self.copy_row(row)?;
        self.charge(bytes)
    }

    /// The work of copying `row`; returns its bytes.
    pub fn copy_row(&self, row: &Row) -> Result<usize> {
        let bytes = row_bytes(row);
        self.tick(1 + (bytes / ROW_BYTES_PER_UNIT) as u64)?;
        Ok(bytes)
    }

    fn check_time(&self) -> Result<()> {
        if self.clock.now_ms() > self.deadline_ms {
            return Err(exceeded("query_time_ms", format!("the query ran for more than {} ms", self.limits.time_ms)));
        }
        Ok(())
    }

    /// Holds `bytes` more until released.
    pub fn charge(&self, bytes: usize) -> Result<()> {
        self.live.set(self.live.get().saturating_add(bytes));
        self.check_memory()
    }

    /// Holds `bytes` more for the rest of the request (values written to the graph).
    pub fn keep(&self, bytes: usize) -> Result<()> {
        self.kept.set(self.kept.get().saturating_add(bytes));
        self.check_memory()
    }

    fn check_memory(&self) -> Result<()> {
        if self.live.get().saturating_add(self.kept.get()) > self.limits.max_memory_bytes {
            return Err(exceeded(
                "max_query_memory_bytes",
                format!("the query held more than {} bytes of intermediate results", self.limits.max_memory_bytes),
            ));
        }
        Ok(())
    }

    /// The live bytes now: a mark to [`Budget::release_to`] when the scope that starts here ends.
    pub fn held(&self) -> usize {
        self.live.get()
    }

    /// Releases everything charged since `mark` was taken. Only for scopes that nothing charged
    /// inside of outlives (an expression's temporaries); holders use [`Held`].
    pub fn release_to(&self, mark: usize) {
        self.live.set(self.live.get().min(mark));
    }

    /// Releases `bytes` charged earlier (see [`Held`]).
    fn release(&self, bytes: usize) {
        self.live.set(self.live.get().saturating_sub(bytes));
    }

    /// Forgets live bytes and the transaction's writes (a new attempt starts from scratch);
    /// work and the deadline carry over, as they are the request's.
    pub fn restart(&self) {
        self.live.set(0);
        self.kept.set(0);
    }

    /// Starts a run again because the last one read data that was not in memory yet: its
    /// work is forgotten too, as it was the engine's, not the query's (the deadline stays).
    pub fn rerun(&self) {
        self.restart();
        self.work.set(0);
    }
}

/// The bytes one holder of values (a buffer of rows, a group table, a sort, a `DISTINCT` set)
/// has charged, released together when it lets go of them. Unlike [`Budget::release_to`] this
/// leaves what others charged meanwhile alone, so holders may come and go in any order.
#[derive(Debug, Default)]
pub struct Held(usize);

impl Held {
    /// Holds `bytes` more.
    pub fn charge(&mut self, budget: &Budget, bytes: usize) -> Result<()> {
        self.0 = self.0.saturating_add(bytes);
        budget.charge(bytes)
    }

    /// Releases `bytes` of what this holder has charged.
    pub fn release_some(&mut self, budget: &Budget, bytes: usize) {
        let bytes = bytes.min(self.0);
        self.0 -= bytes;
        budget.release(bytes);
    }

    /// Releases all this holder has charged.
    pub fn release(&mut self, budget: &Budget) {
        budget.release(std::mem::take(&mut self.0));
    }
}

/// Deepest nesting of lists and maps a query may build. Dropping, cloning, comparing and
/// encoding a value recurse once per level, and the wasm stack is small: a list nested 20,000
/// deep (`reduce(a = [], x IN range(1, 20000) | [a])`) overflowed it and killed the isolate.
pub const MAX_VALUE_NESTING: usize = 100;

/// `LimitExceeded` (`max_value_nesting`) if `v` nests lists and maps deeper than
/// [`MAX_VALUE_NESTING`]. Checked where a list or map is built, so no deeper value can exist.
pub fn check_nesting(v: &Value) -> Result<()> {
    let nested = |v: &&Value| matches!(v, Value::List(_) | Value::Map(_));
    let mut todo: Vec<(&Value, usize)> = vec![(v, 1)];
    while let Some((v, depth)) = todo.pop() {
        if depth > MAX_VALUE_NESTING {
            return Err(exceeded(
                "max_value_nesting",
                format!("a list or map would be nested more than {MAX_VALUE_NESTING} levels deep"),
            ));
        }
        match v {
            Value::List(items) => todo.extend(items.iter().filter(nested).map(|i| (i, depth + 1))),
            Value::Map(m) => todo.extend(m.values().filter(nested).map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// One node of a `BTreeMap<String, Value>` (a map value): room for 11 keys and 11 values
/// plus a header, allocated whole however few entries it holds (so even a one-entry map costs
/// about 800 bytes).
const NODE_BYTES: usize = 16 + 11 * (size_of::<String>() + size_of::<Value>());

/// The nodes of a map of `n` entries: one up to 11; beyond, nodes split and hold about six.
fn nodes_bytes(n: usize) -> usize {
    NODE_BYTES
        * match n {
            0 => 0,
            1..=11 => 1,
            _ => 1 + n / 6,
        }
}

/// Approximate bytes of a value: `size_of::<Value>()` for the value itself plus the heap it
/// owns ([`heap_bytes`]).
pub fn value_bytes(v: &Value) -> usize {
    size_of::<Value>().saturating_add(heap_bytes(v))
}

/// The heap a value owns: string bytes, list slots, map nodes and keys, a path's ids, and
/// recursively what its items own. Allocator slack and spare capacity are not counted.
/// Iterative, so a deeply nested value cannot overflow the stack here.
fn heap_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        // A list of items that hold no others (a row of a batch, mostly): no stack to keep.
        Value::List(items) if !items.iter().any(holds_values) => {
            items.iter().map(own_heap_bytes).fold(own_heap_bytes(v), usize::saturating_add)
        }
        Value::List(_) | Value::Map(_) => nested_heap_bytes(v),
        _ => own_heap_bytes(v),
    }
}

fn holds_values(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::Map(_))
}

/// [`heap_bytes`] of any value, walking what it holds with a stack of its own.
fn nested_heap_bytes(v: &Value) -> usize {
    let mut total = 0usize;
    let mut todo = vec![v];
    while let Some(v) = todo.pop() {
        match v {
            Value::List(items) => todo.extend(items),
            Value::Map(m) => todo.extend(m.values()),
            _ => {}
        }
        total = total.saturating_add(own_heap_bytes(v));
    }
    total
}

/// The heap a value owns itself, not counting what the values it holds own.
fn own_heap_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::List(items) => items.len() * size_of::<Value>(),
        Value::Map(m) => nodes_bytes(m.len()) + m.keys().map(String::len).sum::<usize>(),
        Value::Path(p) => (p.nodes.len() + p.rels.len()) * size_of::<u64>(),
        _ => 0,
    }
}

/// Approximate bytes of a row: its vector of pairs (which hold the values themselves), long
/// names' text and whatever the values own.
pub fn row_bytes(row: &Row) -> usize {
    let pairs = row.capacity() * size_of::<(Name, Value)>();
    row.entries().iter().map(|(n, v)| n.heap_bytes().saturating_add(heap_bytes(v))).fold(pairs, usize::saturating_add)
}

/// Approximate bytes of a map's heap: its nodes (which hold the values themselves), its keys'
/// text and whatever the values own.
pub fn map_bytes(m: &BTreeMap<String, Value>) -> usize {
    m.iter().map(|(k, v)| k.len().saturating_add(heap_bytes(v))).fold(nodes_bytes(m.len()), usize::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Path;

    /// The shortcut for lists of items that hold no others counts what the walk counts.
    #[test]
    fn a_flat_list_is_counted_as_the_walk_counts_it() {
        let s = |t: &str| Value::String(t.to_string());
        let path = Value::Path(Path { nodes: vec![1, 2], rels: vec![3] });
        let map = Value::Map([("k".to_string(), s("vvv"))].into_iter().collect());
        let values = [
            Value::List(vec![]),
            Value::List(vec![Value::Int(1), s("abc"), Value::Null, path.clone()]),
            Value::List(vec![s("x"), Value::List(vec![s("yy"), map.clone()])]),
            map,
            path,
            s("hello"),
            Value::Int(7),
        ];
        for v in &values {
            assert_eq!(heap_bytes(v), nested_heap_bytes(v), "{v:?}");
        }
        let flat = Value::List(vec![Value::Int(1), s("abc")]);
        assert_eq!(heap_bytes(&flat), 2 * size_of::<Value>() + 3);
    }
}

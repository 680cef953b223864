//! The HTTP contract (`shared/API.md`) minus HTTP: request bodies in, response bodies out,
//! one request = one transaction. Every host (the Worker, native tools) calls [`execute`].
//!
//! Invariants: a query is parsed and planned before anything is read, so a compile-time error
//! writes nothing; a write that loses its commit race is re-executed on the new state, up to
//! [`MAX_ATTEMPTS`] times, then answered with `Conflict` having written nothing.
pub mod json;

use crate::cypher;
use crate::error::{Code, Error, Position, Result};
use crate::exec::{self, Output};
use crate::graph::{read_schema, Graph, GraphModel, Schema, Stats, Tx, Value};
use crate::plan;
use crate::procedures::{Procedure, Procedures};
use crate::storage::{Clock, CommitOutcome, Database, Error as StorageError, Layer, Reads, State, Version};
use crate::store::{Counts, ObjectStore};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Commit attempts per request before answering `Conflict`.
pub const MAX_ATTEMPTS: u32 = 32;

#[derive(Debug, PartialEq)]
pub struct Request {
    pub query: String,
    pub params: BTreeMap<String, Value>,
}

/// Limits on a request. Body and query size are checked before any work is done (413
/// `PayloadTooLarge`); `max_result_bytes` (the JSON of `columns` and `rows`, counted exactly
/// as it is written) and `query` while the query runs (422 `LimitExceeded`). Hosts may
/// configure them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_query_bytes: usize,
    /// The parameters' size once decoded (estimated as the query engine counts values).
    pub max_params_bytes: usize,
    pub max_result_bytes: usize,
    /// Bytes of decoded table blocks one request may hold: what a query reads from storage.
    pub max_read_bytes: usize,
    pub query: exec::QueryLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 8 * 1024 * 1024,
            max_query_bytes: 256 * 1024,
            max_params_bytes: 4 * 1024 * 1024,
            max_result_bytes: 8 * 1024 * 1024,
            max_read_bytes: 48 * 1024 * 1024,
            query: exec::QueryLimits::default(),
        }
    }
}

impl Limits {
    /// `PayloadTooLarge` naming the limit when a body of `len` bytes is over it.
    pub fn check_body(&self, len: usize) -> Result<()> {
        over("max_body_bytes", len, self.max_body_bytes)
    }

    /// The query text's and the parameters' limits.
    pub fn check_query(&self, req: &Request) -> Result<()> {
        over("max_query_bytes", req.query.len(), self.max_query_bytes)?;
        let params: usize = req.params.iter().map(|(k, v)| k.len() + exec::value_bytes(v)).sum();
        over("max_params_bytes", params, self.max_params_bytes)
    }
}

fn over(limit: &str, len: usize, max: usize) -> Result<()> {
    if len <= max {
        Ok(())
    } else {
        Err(Error::new(Code::PayloadTooLarge, format!("{len} bytes is over the {limit} limit of {max}")))
    }
}

/// Parses a `/cypher` request body: `{"query": "...", "params": {...}}`.
pub fn parse_request(body: &[u8]) -> Result<Request> {
    let text =
        std::str::from_utf8(body).map_err(|_| Error::new(Code::InvalidRequest, "the body is not valid UTF-8"))?;
    let (json::Json::Object(mut fields), params) = json::parse_request_body(text)? else {
        return Err(Error::new(Code::InvalidRequest, "the body must be a JSON object"));
    };
    let query = match fields.remove("query") {
        Some(json::Json::String(q)) => q,
        _ => return Err(Error::new(Code::InvalidRequest, "`query` must be a string")),
    };
    let params = match fields.remove("params") {
        None => params.unwrap_or_default(),
        Some(json::Json::Null) => BTreeMap::new(),
        Some(p @ json::Json::Object(_)) => match json::to_value(p)? {
            Value::Map(m) => m,
            _ => return Err(Error::new(Code::InvalidRequest, "`params` must be an object")),
        },
        Some(_) => return Err(Error::new(Code::InvalidRequest, "`params` must be an object")),
    };
    if let Some(unknown) = fields.keys().next() {
        return Err(Error::new(Code::InvalidRequest, format!("unknown field `{unknown}`")));
    }
    Ok(Request { query, params })
}

/// Parses a `/tck/procedure` body: `{"signature": "...", "columns": [...], "rows": [[...]]}`.
pub fn parse_procedure(body: &[u8]) -> Result<Procedure> {
    let text =
        std::str::from_utf8(body).map_err(|_| Error::new(Code::InvalidRequest, "the body is not valid UTF-8"))?;
    let json::Json::Object(mut fields) = json::parse(text)? else {
        return Err(Error::new(Code::InvalidRequest, "the body must be a JSON object"));
    };
    let invalid = |what: &str| Error::new(Code::InvalidRequest, format!("`{what}` is missing or malformed"));
    let Some(json::Json::String(signature)) = fields.remove("signature") else { return Err(invalid("signature")) };
    let columns = match fields.remove("columns") {
        Some(json::Json::Array(cs)) => cs
            .into_iter()
            .map(|c| match c {
                json::Json::String(s) => Ok(s),
                _ => Err(invalid("columns")),
            })
            .collect::<Result<Vec<_>>>()?,
        _ => return Err(invalid("columns")),
    };
    let rows = match fields.remove("rows") {
        Some(json::Json::Array(rows)) => rows.into_iter().map(procedure_row).collect::<Result<Vec<_>>>()?,
        _ => return Err(invalid("rows")),
    };
    if let Some(unknown) = fields.keys().next() {
        return Err(Error::new(Code::InvalidRequest, format!("unknown field `{unknown}`")));
    }
    Procedure::new(&signature, &columns, rows)
}

fn procedure_row(row: json::Json) -> Result<Vec<Value>> {
    match row {
        json::Json::Array(values) => values.into_iter().map(json::to_value).collect(),
        _ => Err(Error::new(Code::InvalidRequest, "each of `rows` must be an array")),
    }
}

/// 1–63 characters of `a-z0-9-_`, starting with a letter or digit.
pub fn validate_namespace(ns: &str) -> Result<()> {
    let ok = (1..=63).contains(&ns.len())
        && ns.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && ns.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            Code::InvalidNamespace,
            "namespace must be 1-63 characters of a-z, 0-9, '-', '_', starting with a letter or digit",
        ))
    }
}

/// What the host supplies: the engine reads no clock, entropy or timer of its own
/// (`SystemTime::now` panics on wasm32, and tests need determinism).
#[allow(async_fn_in_trait)]
pub trait Host: Clock {
    /// Fresh random bits on every call.
    fn random(&self) -> u64;
    /// Waits before retrying a lost commit race.
    async fn sleep(&self, ms: u64);
}

/// A deterministic host: a manual clock and a seeded generator; `sleep` advances the clock.
#[derive(Debug, Default)]
pub struct ManualHost {
    now_ms: std::cell::Cell<u64>,
    state: std::cell::Cell<u64>,
    /// Added to the clock after each read (0: it only moves on `sleep`).
    step_ms: u64,
}

impl ManualHost {
    pub fn new(now_ms: u64, seed: u64) -> Self {
        ManualHost { now_ms: std::cell::Cell::new(now_ms), state: std::cell::Cell::new(seed), step_ms: 0 }
    }

    /// A clock that moves `step_ms` forward each time it is read, as if every look at it
    /// took that long: time passes exactly as often as the engine checks it.
    pub fn ticking(now_ms: u64, seed: u64, step_ms: u64) -> Self {
        ManualHost { step_ms, ..ManualHost::new(now_ms, seed) }
    }
}

impl Clock for ManualHost {
    fn now_ms(&self) -> u64 {
        let now = self.now_ms.get();
        self.now_ms.set(now.saturating_add(self.step_ms));
        now
    }
}

impl Host for ManualHost {
    fn random(&self) -> u64 {
        let next = self.state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.state.set(next);
        mix(next)
    }
    async fn sleep(&self, ms: u64) {
        self.now_ms.set(self.now_ms.get() + ms);
    }
}

/// Jittered exponential backoff after losing `attempt` commit races: uniform in
/// `[0, min(2^attempt, 256))` ms, so racing writers spread out instead of colliding again.
fn backoff_ms(attempt: u32, random: u64) -> u64 {
    let cap = 1u64 << attempt.min(8);
    random % cap
}

/// A successful response and what the request did.
#[derive(Debug)]
pub struct Response {
    /// The body up to (not including) `meta`: columns, rows and stats.
    results: String,
    pub stats: Stats,
    /// The version read (or committed).
    pub version: u64,
    /// Executions of the query (more than one when a commit race was lost).
    pub attempts: u32,
}

impl Response {
    /// The whole body; `meta` carries the version, attempts and, when the host counted them,
    /// the object-store operations the request cost.
    pub fn body(&self, store: Option<Counts>) -> String {
        let mut out = self.results.clone();
        let _ = write!(out, ",\"meta\":{{\"version\":{},\"attempts\":{}", self.version, self.attempts);
        if let Some(c) = store {
            let _ = write!(
                out,
                ",\"store\":{{\"gets\":{},\"heads\":{},\"puts\":{},\"lists\":{},\"deletes\":{},\
                 \"bytes_read\":{},\"bytes_written\":{},\"round_trips\":{}}}",
                c.gets, c.heads, c.puts, c.lists, c.deletes, c.bytes_read, c.bytes_written, c.round_trips
            );
        }
        out.push_str("}}");
        out
    }
}

fn storage_error(e: StorageError) -> Error {
    match e {
        StorageError::Store(e) => Error::new(Code::Unavailable, e.to_string()),
        // Damaged data is the store's failure as far as a client can tell (a read may well
        // succeed again), and never a half-answer.
        StorageError::Corrupt(m) => Error::new(Code::Unavailable, format!("stored data failed to decode: {m}")),
        e @ StorageError::Fenced { .. } => Error::new(Code::Fenced, e.to_string()),
    }
}

pub fn syntax_error(text: &str, e: cypher::SyntaxError) -> Error {
    Error {
        code: Code::SyntaxError,
        message: e.message,
        detail: Some(e.detail),
        compile_time: true,
        position: Some(Position::in_text(text, e.offset)),
    }
}

/// Runs one request as one transaction against a namespace; `CALL` can reach `procedures`.
/// The per-query limits are the defaults ([`Limits::default`]).
pub async fn execute<S: ObjectStore>(
    db: &Database<S, GraphModel>,
    req: &Request,
    host: &impl Host,
    procedures: &Procedures,
) -> Result<Response> {
    execute_within(db, req, host, procedures, &Limits::default()).await
}

/// [`execute`] within `limits`: over one of them the query ends with `LimitExceeded`, and as
/// the transaction is then not committed, nothing is written. The time budget starts now and
/// covers every attempt.
pub async fn execute_within<S: ObjectStore>(
    db: &Database<S, GraphModel>,
    req: &Request,
    host: &impl Host,
    procedures: &Procedures,
    limits: &Limits,
) -> Result<Response> {
    execute_gated(db, req, host, procedures, limits, |_| Ok(())).await
}

/// [`execute_within`], asking `gate` first whether a query may run, given whether it writes
/// (contains `CREATE`, `MERGE`, `SET`, `REMOVE` or `DELETE`, even under `EXPLAIN`): the query
/// is parsed and planned once, and a refusal comes before anything is read.
pub async fn execute_gated<S: ObjectStore>(
    db: &Database<S, GraphModel>,
    req: &Request,
    host: &impl Host,
    procedures: &Procedures,
    limits: &Limits,
    gate: impl FnOnce(bool) -> Result<()>,
) -> Result<Response> {
    // Parse and plan before touching storage: a compile-time error writes nothing.
    let stmt = cypher::parse(&req.query).map_err(|e| syntax_error(&req.query, e))?;
    let plan = plan::plan(&req.query, &stmt, plan::Context { procedures, params: &req.params })?;
    gate(plan.writes)?;
    let reads = db.reads(limits.max_read_bytes);
    if plan.writes {
        reads.keep_no_ranges();
    }
    if plan.explain {
        // The current version's schema says which indexes the plan would seek.
        let mut base = db.refresh(host).await.map_err(storage_error)?;
        let schema = complete(db, &reads, host, &mut base, false, |state| Ok(read_schema(state, &reads))).await?;
        return Ok(Response {
            results: explain_results(&plan, &schema)?,
            stats: Stats::default(),
            version: base.seq,
            attempts: 0,
        });
    }
    let budget = exec::Budget::new(limits.query, host);
    let mut races_lost = 0;
    for attempt in 1..=MAX_ATTEMPTS {
        if races_lost > 0 {
            host.sleep(backoff_ms(races_lost, host.random())).await;
        }
        // A write on a recently validated version goes straight to its commit: the
        // create-if-absent fails if anything newer exists. Everything else reads first.
        let cached = db.cached();
        let optimistic = plan.writes && attempt == 1 && cached.is_recent(host.now_ms());
        // A read on a version validated before runs at once while its freshness is checked:
        // the check shares a round trip with the first blocks the query needs.
        let speculative = !plan.writes && attempt == 1 && cached.is_validated();
        let mut base =
            if optimistic || speculative { cached } else { db.refresh(host).await.map_err(storage_error)? };
        budget.restart();
        let (results, stats, commit) = complete(db, &reads, host, &mut base, speculative, |state| {
            budget.rerun();
            exec::seed_random(host.random());
            exec::set_clock(host.now_ms());
            run_once(&plan, state, &reads, &req.params, &budget, limits.max_result_bytes)
        })
        .await?;
        let Some((payload, entries)) = commit else {
            // Writing nothing proves nothing about freshness: read, and rerun if we were behind.
            if optimistic && db.refresh(host).await.map_err(storage_error)?.seq != base.seq {
                continue;
            }
            return Ok(Response { results, stats, version: base.seq, attempts: attempt });
        };
        match db.commit(&base, payload, entries, host.random(), host).await.map_err(storage_error)? {
            CommitOutcome::Committed(seq) => return Ok(Response { results, stats, version: seq, attempts: attempt }),
            CommitOutcome::Lost => races_lost += 1,
        }
    }
    Err(Error::new(
        Code::Conflict,
        format!("the write lost its commit race {MAX_ATTEMPTS} times; nothing was written, retry later"),
    ))
}

/// Runs `run` on `base` until it reads nothing that is not in memory, fetching what it missed
/// in between (see [`crate::storage::view`]): its answer, or its error, is only taken from a
/// complete run. With `unchecked`, `base` has not been checked for freshness yet: the check
/// runs together with the first fetch (or after a first run that missed nothing), and a newer
/// version found replaces `base` and runs again. Terminates: every round pins blocks no
/// earlier round had, and a request may pin at most [`Limits::max_read_bytes`].
async fn complete<S: ObjectStore, T>(
    db: &Database<S, GraphModel>,
    reads: &Reads,
    clock: &impl Clock,
    base: &mut Version,
    mut unchecked: bool,
    mut run: impl FnMut(&State) -> Result<T>,
) -> Result<T> {
    let mut state = base.state();
    loop {
        let outcome = run(&state);
        if reads.over_limit() {
            return Err(exec::exceeded(
                "max_read_bytes",
                format!("the query needs more than {} bytes of stored data at once", reads.pinned_bytes()),
            ));
        }
        if let Some(e) = reads.take_failure() {
            return Err(storage_error(e));
        }
        let incomplete = reads.incomplete();
        if unchecked {
            unchecked = false;
            let fresh = if incomplete {
                let (fresh, fetched) = futures::join!(db.refresh(clock), db.fetch(reads));
                fetched.map_err(storage_error)?;
                fresh
            } else {
                db.refresh(clock).await
            };
            let fresh = fresh.map_err(storage_error)?;
            if fresh.seq != base.seq {
                *base = fresh;
                state = base.state();
                continue;
            }
        } else if incomplete {
            db.fetch(reads).await.map_err(storage_error)?;
        }
        if !incomplete {
            return outcome;
        }
    }
}

/// What one run of a query produced: the response's results and stats, and what to commit.
type RunOutcome = (String, Stats, Option<(Vec<u8>, Layer)>);

/// One run of the query as one transaction over `state`, up to the point of committing.
fn run_once(
    plan: &plan::Plan,
    state: &State,
    reads: &Reads,
    params: &BTreeMap<String, Value>,
    budget: &exec::Budget,
    max_result_bytes: usize,
) -> Result<RunOutcome> {
    let mut tx = Tx::new(state, reads);
    let output = exec::run(plan, &mut tx, params, budget)?;
    let stats = tx.stats();
    let results = results(&output, &stats, tx.graph(), max_result_bytes)?;
    // A run that missed blocks is thrown away and run again ([`complete`]): nothing to commit.
    let commit = if reads.incomplete() { None } else { tx.commit() };
    Ok((results, stats, commit.map(|c| (c.payload, c.entries))))
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `columns`, `rows` and `stats` of the body; `LimitExceeded` as soon as the JSON up to the end
/// of `rows` is longer than `max_bytes`.
fn results(output: &Output, stats: &Stats, graph: Graph, max_bytes: usize) -> Result<String> {
    let mut out = String::from("{\"columns\":[");
    for (i, c) in output.columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_str(&mut out, c);
    }
    out.push_str("],\"rows\":[");
    for (i, row) in output.rows.iter().enumerate() {
        out.push_str(if i > 0 { ",[" } else { "[" });
        for (j, v) in row.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            json::write_value(&mut out, v, &graph);
        }
        out.push(']');
        // Counting the `]` that will close `rows`.
        if out.len() + 1 > max_bytes {
            return Err(exec::exceeded("max_result_bytes", format!("the result is larger than {max_bytes} bytes")));
        }
    }
    let _ = write!(
        out,
        "],\"stats\":{{\"nodes_created\":{},\"nodes_deleted\":{},\"relationships_created\":{},\
         \"relationships_deleted\":{},\"labels_added\":{},\"labels_removed\":{},\"properties_set\":{},\
         \"properties_removed\":{}}}",
        stats.nodes_created,
        stats.nodes_deleted,
        stats.relationships_created,
        stats.relationships_deleted,
        stats.labels_added,
        stats.labels_removed,
        stats.properties_set,
        stats.properties_removed,
    );
    Ok(out)
}

/// `EXPLAIN`: one row per operator of the plan ([`plan::explain`]).
fn explain_results(plan: &plan::Plan, schema: &Schema) -> Result<String> {
    let (state, reads) = (State::default(), Reads::unbounded());
    let graph = Graph::new(&state, &reads, None, schema);
    let index = |label: &str, property: &str| graph.index_on(label, property).map(|(name, _)| name.to_string());
    let rows: Vec<Vec<Value>> = plan::explain::operators(plan, &index)
        .into_iter()
        .map(|o| vec![Value::Int(o.part as i64), Value::String(o.operator.into()), Value::String(o.details)])
        .collect();
    let output = Output { columns: vec!["part".into(), "operator".into(), "details".into()], rows };
    results(&output, &Stats::default(), graph, usize::MAX)
}

/// The contract's error body.
pub fn error_body(e: &Error) -> String {
    let mut out = String::from("{\"error\":{\"code\":");
    json::write_str(&mut out, e.code.as_str());
    out.push_str(",\"message\":");
    json::write_str(&mut out, &e.message);
    if let Some(d) = e.detail {
        out.push_str(",\"detail\":");
        json::write_str(&mut out, d);
    }
    if e.detail.is_some() {
        out.push_str(if e.compile_time { ",\"phase\":\"compile time\"" } else { ",\"phase\":\"runtime\"" });
    }
    if let Some(p) = e.position {
        let _ = write!(out, ",\"position\":{{\"offset\":{},\"line\":{},\"column\":{}}}", p.offset, p.line, p.column);
    }
    out.push_str("}}");
    out
}

#[cfg(test)]
mod call_tests;
#[cfg(test)]
mod duration_tests;
#[cfg(test)]
mod filter_tests;
#[cfg(test)]
mod golden;
#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod schema_tests;
#[cfg(test)]
mod temporal_tests;
#[cfg(test)]
mod tests;

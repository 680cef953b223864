//! The harness of the engine's golden tests: a namespace on a memory store, queries in, the
//! response's parts out. Shared by every `*_tests.rs` of this module.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::*;
use crate::store::MemoryStore;
use futures::executor::block_on;
use std::rc::Rc;

pub struct Session {
    pub db: Database<Rc<MemoryStore>, GraphModel>,
    pub store: Rc<MemoryStore>,
    pub procedures: Procedures,
    /// The limits every request runs within (the defaults unless a test sets them).
    pub limits: Limits,
    /// Advances per request: the host clock and seed of the next one.
    n: u64,
}

impl Session {
    pub fn new() -> Self {
        Self::with_procedures(Procedures::new())
    }

    pub fn with_procedures(procedures: Procedures) -> Self {
        let store = Rc::new(MemoryStore::new());
        let db = block_on(Database::open(store.clone(), "test", &0u64)).unwrap();
        Session { db, store, procedures, limits: Limits::default(), n: 0 }
    }

    /// A second session over the same store: reads what the first one committed.
    pub fn reopen(&self) -> Self {
        let db = block_on(Database::open(self.store.clone(), "test", &0u64)).unwrap();
        Session {
            db,
            store: self.store.clone(),
            procedures: self.procedures.clone(),
            limits: self.limits,
            n: self.n + 100,
        }
    }

    pub fn run(&mut self, query: &str, params: &str) -> Result<Response> {
        self.n += 1;
        let mut body = String::from("{\"query\": ");
        json::write_str(&mut body, query);
        body.push_str(&format!(", \"params\": {params}}}"));
        let req = parse_request(body.as_bytes())?;
        block_on(execute_within(&self.db, &req, &ManualHost::new(self.n, self.n), &self.procedures, &self.limits))
    }

    /// The response body of a query that must succeed.
    pub fn body(&mut self, query: &str, params: &str) -> String {
        self.run(query, params).unwrap_or_else(|e| panic!("{query}: {e}")).body(None)
    }

    /// `"columns":[...],"rows":[...]` of the response.
    pub fn table(&mut self, query: &str, params: &str) -> String {
        let body = self.body(query, params);
        body[1..body.find(",\"stats\"").unwrap()].to_string()
    }

    /// The `rows` part of the response.
    pub fn rows_with(&mut self, query: &str, params: &str) -> String {
        let body = self.body(query, params);
        body[body.find("\"rows\":").unwrap() + 7..body.find(",\"stats\"").unwrap()].to_string()
    }

    pub fn rows(&mut self, query: &str) -> String {
        self.rows_with(query, "{}")
    }

    /// The error a query must end with.
    pub fn error_with(&mut self, query: &str, params: &str) -> Error {
        match self.run(query, params) {
            Ok(r) => panic!("{query} succeeded: {}", r.body(None)),
            Err(e) => e,
        }
    }

    pub fn error(&mut self, query: &str) -> Error {
        self.error_with(query, "{}")
    }

    /// (code, detail) of the error a query must end with.
    pub fn error_kind(&mut self, query: &str) -> (&'static str, &'static str) {
        let e = self.error(query);
        (e.code.as_str(), e.detail.unwrap_or_default())
    }
}

/// Stores `values` as properties of one node and checks they come back equal through a commit
/// payload replayed on a replica and through the entries that store them.
pub fn assert_properties_round_trip(values: &[Value]) {
    use crate::graph::{GraphModel, Schema, Tx};
    use crate::storage::{Reads, State, StateMachine};
    let props: crate::graph::Properties =
        values.iter().enumerate().map(|(i, v)| (format!("p{i}"), v.clone())).collect();
    let (state, reads, schema) = (State::default(), Reads::unbounded(), Schema::new());
    let mut tx = Tx::new(&state, &reads);
    let id = tx.create_node(Default::default(), props.clone()).unwrap();
    let payload = tx.commit().unwrap().payload;
    let replica = state.with_layer(&GraphModel::changes(&state, &reads, &payload).unwrap()).unwrap();
    assert_eq!(Graph::new(&replica, &reads, None, &schema).node(id).unwrap().props, props);
}

//! NamiDB-edge engine: a Cypher graph database whose only durable home is an object store.
//!
//! Layers, each depending only on the ones above it in this list:
//! - [`cypher`]: lexer/parser/AST/printer for the Cypher language (depends on nothing).
//! - [`store`]: the one async object-store trait and its native implementations.
//! - [`storage`]: commits, WAL, checkpoints over a [`store::ObjectStore`] (knows nothing of graphs).
//! - [`error`]: the contract's error codes and positions, shared by the layers below.
//! - [`graph`]: values, the property-graph model and its encoding onto storage.
//! - [`procedures`]: the procedures a host makes callable with `CALL` (signatures and rows).
//! - [`plan`]: binding and semantic checks from AST to a logical plan.
//! - [`exec`]: runs plans against a graph transaction.
//! - [`api`]: the HTTP contract's request/response shapes and JSON encoding, shared by every host.
pub mod api;
pub mod cypher;
pub mod error;
pub mod exec;
pub mod graph;
pub mod plan;
pub mod procedures;
pub mod storage;
pub mod store;

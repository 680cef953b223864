//! `namidb._native`: the engine in-process, for `namidb.Client` with `s3://`, `file://` and
//! `memory://` URIs. It speaks the HTTP contract's JSON bodies, so the Python side decodes
//! results and errors exactly as it does for a Worker's answers.
//!
//! A session is bound to the thread that opened it (`unsendable`): the engine's handles are
//! single-threaded by design, as in a Worker isolate; open one client per thread.
use engine::api::error_body;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

#[pyclass(unsendable)]
struct Session {
    inner: namidb::Session,
}

#[pymethods]
impl Session {
    /// Opens the namespace a URI names; raises `RuntimeError(error_json)` with the contract's
    /// error body when the URI is bad or the store cannot be read.
    #[new]
    fn new(uri: &str) -> PyResult<Self> {
        namidb::Session::open(uri).map(|inner| Session { inner }).map_err(|e| PyRuntimeError::new_err(error_body(&e)))
    }

    /// Runs one request body (`{"query": …, "params": …}`) as one transaction; returns
    /// `(True, response_json)` or `(False, error_json)`.
    fn request(&self, body: &[u8]) -> (bool, String) {
        match self.inner.request(body) {
            Ok(response) => (true, response),
            Err(e) => (false, error_body(&e)),
        }
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Session>()
}

//! The Worker: routing, auth, the R2 store adapter, and the one place where errors become
//! HTTP statuses ([`status`]). No storage or query logic lives here: requests go to
//! [`engine::api::execute`].
//!
//! Per isolate, the latest version of each recently used namespace is kept warm, so a request
//! on a warm namespace costs one freshness GET before it runs.
//!
//! With the variable `NAMIDB_TEST_PROCEDURES = "1"` (tests only), `POST /tck/procedure`
//! registers fixture procedures, kept per namespace in the isolate; otherwise that path is 404
//! and every query runs with no procedures.
mod auth;
mod console;
mod r2;
mod recent;
mod sha256;
mod tokens;

use engine::api::{self, Host};
use engine::error::{Code, Error};
use engine::exec::QueryLimits;
use engine::graph::GraphModel;
use engine::procedures::Procedures;
use engine::storage::{BlockCache, Clock, Database, Version, GC_MIN_AGE_MS};
use engine::store::Counting;
use r2::R2Store;
use recent::Recent;
use std::cell::RefCell;
use std::rc::Rc;
use worker::*;

thread_local! {
    /// The latest version of recently used namespaces.
    static WARM: RefCell<Recent<Version>> = const { RefCell::new(Recent::new(32)) };
    /// Test procedures registered per namespace (only with `NAMIDB_TEST_PROCEDURES = "1"`).
    static PROCEDURES: RefCell<Recent<Rc<Procedures>>> = const { RefCell::new(Recent::new(64)) };
    /// Table blocks read by any request of this isolate (immutable, so shared by all), at the
    /// engine's default size, a quarter of the isolate's 128 MB (requests pin what they read on
    /// top of it, up to `NAMIDB_MAX_READ_BYTES` each).
    static BLOCKS: Rc<BlockCache> = Rc::default();
}

/// The test procedures registered for `ns` (none unless `/tck/procedure` was used).
fn procedures_get(ns: &str) -> Rc<Procedures> {
    PROCEDURES.with(|p| p.borrow().get(ns)).unwrap_or_default()
}

/// Adds `procedure` to the namespace's registry.
fn procedures_register(ns: &str, procedure: engine::procedures::Procedure) -> std::result::Result<(), Error> {
    PROCEDURES.with(|p| {
        p.borrow_mut().update(ns, |old| {
            let mut registry = old.map(Rc::unwrap_or_clone).unwrap_or_default();
            let result = registry.register(procedure);
            (Rc::new(registry), result)
        })
    })
}

/// Whether the test-only `/tck/procedure` endpoint exists.
fn test_procedures(env: &Env) -> bool {
    env.var("NAMIDB_TEST_PROCEDURES").is_ok_and(|v| v.to_string() == "1")
}

fn warm_get(ns: &str) -> Option<Version> {
    WARM.with(|w| w.borrow().get(ns))
}

/// Keeps `version` unless a newer one is cached.
fn warm_put(ns: &str, version: Version) {
    WARM.with(|w| {
        w.borrow_mut().update(ns, |old| (old.filter(|o| o.seq > version.seq).unwrap_or(version), ()));
    });
}

/// The HTTP status of each contract error code.
fn status(code: Code) -> u16 {
    match code {
        Code::SyntaxError
        | Code::SemanticError
        | Code::TypeError
        | Code::ArgumentError
        | Code::ParameterMissing
        | Code::EntityNotFound
        | Code::ConstraintVerificationFailed
        | Code::ProcedureError
        | Code::ArithmeticError
        | Code::InvalidRequest
        | Code::InvalidNamespace => 400,
        Code::Unauthorized => 401,
        Code::Forbidden => 403,
        Code::NotFound => 404,
        Code::MethodNotAllowed => 405,
        Code::Conflict | Code::Fenced => 409,
        Code::PayloadTooLarge => 413,
        Code::LimitExceeded => 422,
        Code::Internal => 500,
        Code::Unavailable => 503,
    }
}

fn json(status: u16, body: String) -> Result<Response> {
    let mut resp = Response::ok(body)?.with_status(status);
    resp.headers_mut().set("content-type", "application/json")?;
    Ok(resp)
}

fn error_response(e: &Error) -> Result<Response> {
    json(status(e.code), api::error_body(e))
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    match route(req, &env, &ctx).await {
        Ok(resp) => Ok(resp),
        Err(e) => error_response(&e),
    }
}

async fn route(mut req: Request, env: &Env, ctx: &Context) -> std::result::Result<Response, Error> {
    let internal = |e: worker::Error| Error::new(Code::Internal, e.to_string());
    let path = req.path();
    match (path.as_str(), req.method()) {
        ("/", Method::Get) => console::page().map_err(internal),
        ("/health", Method::Get) => json(200, "{\"ok\":true}".into()).map_err(internal),
        ("/cypher", Method::Post) => {
            let principal = auth::authenticate(&req, env)?;
            let ns = namespace(&req)?;
            auth::authorize(&principal, &ns, auth::Need::Read)?;
            let limits = limits(env);
            let json_body = req.headers().get("content-type").ok().flatten().is_some_and(|t| {
                t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
            if !json_body {
                return Err(Error::new(Code::InvalidRequest, "the body must be JSON (Content-Type: application/json)"));
            }
            let body = read_body(&mut req, &limits).await?;
            let request = api::parse_request(&body)?;
            limits.check_query(&request)?;
            // A read-only caller is refused a query that writes before anything is read.
            let gate = |writes: bool| match writes && !principal.may_write(&ns) {
                true => auth::authorize(&principal, &ns, auth::Need::Write),
                false => Ok(()),
            };
            cypher(env, ctx, &ns, &request, &limits, gate).await
        }
        ("/cypher", Method::Delete) => {
            let principal = auth::authenticate(&req, env)?;
            let ns = namespace(&req)?;
            auth::authorize(&principal, &ns, auth::Need::Admin)?;
            drop_namespace(env, &ns).await
        }
        ("/gc", Method::Post) => {
            let principal = auth::authenticate(&req, env)?;
            let ns = namespace(&req)?;
            auth::authorize(&principal, &ns, auth::Need::Admin)?;
            collect_garbage(env, &ns).await
        }
        ("/tck/procedure", Method::Post) if test_procedures(env) => {
            let principal = auth::authenticate(&req, env)?;
            let ns = namespace(&req)?;
            auth::authorize(&principal, &ns, auth::Need::Write)?;
            let body = read_body(&mut req, &limits(env)).await?;
            procedures_register(&ns, api::parse_procedure(&body)?)?;
            json(200, "{\"ok\":true}".into()).map_err(internal)
        }
        ("/tck/procedure", _) if test_procedures(env) => {
            Err(Error::new(Code::MethodNotAllowed, format!("{} {path} is not allowed", req.method())))
        }
        ("/health" | "/cypher" | "/gc", _) => {
            Err(Error::new(Code::MethodNotAllowed, format!("{} {path} is not allowed", req.method())))
        }
        _ => Err(Error::new(Code::NotFound, format!("no such path: {path}"))),
    }
}

/// Reads the body, keeping at most the body limit in memory. An oversized body is still read
/// to the end (and dropped), so the client gets the 413 instead of a reset connection.
async fn read_body(req: &mut Request, limits: &api::Limits) -> std::result::Result<Vec<u8>, Error> {
    use futures::StreamExt;
    let invalid = |e: worker::Error| Error::new(Code::InvalidRequest, e.to_string());
    let mut body = Vec::new();
    let mut total = 0usize;
    let Ok(mut stream) = req.stream() else { return Ok(body) }; // no body at all
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(invalid)?;
        total = total.saturating_add(chunk.len());
        if total <= limits.max_body_bytes {
            body.extend_from_slice(&chunk);
        }
    }
    limits.check_body(total)?;
    Ok(body)
}

/// The engine's default limits, overridden by `[vars]` where set (a value that is not a
/// non-negative integer is logged and ignored).
fn limits(env: &Env) -> api::Limits {
    let d = api::Limits::default();
    api::Limits {
        max_body_bytes: var(env, "NAMIDB_MAX_BODY_BYTES", d.max_body_bytes),
        max_query_bytes: var(env, "NAMIDB_MAX_QUERY_BYTES", d.max_query_bytes),
        max_params_bytes: var(env, "NAMIDB_MAX_PARAMS_BYTES", d.max_params_bytes),
        max_result_bytes: var(env, "NAMIDB_MAX_RESULT_BYTES", d.max_result_bytes),
        max_read_bytes: var(env, "NAMIDB_MAX_READ_BYTES", d.max_read_bytes),
        query: QueryLimits {
            max_result_rows: var(env, "NAMIDB_MAX_RESULT_ROWS", d.query.max_result_rows),
            max_memory_bytes: var(env, "NAMIDB_MAX_QUERY_MEMORY_BYTES", d.query.max_memory_bytes),
            max_work: var(env, "NAMIDB_MAX_QUERY_WORK", d.query.max_work),
            time_ms: var(env, "NAMIDB_QUERY_TIME_MS", d.query.time_ms),
        },
    }
}

fn var<T: std::str::FromStr>(env: &Env, name: &str, default: T) -> T {
    let Ok(text) = env.var(name).map(|v| v.to_string()) else { return default };
    text.trim().parse().unwrap_or_else(|_| {
        console_error!("{name} is not a non-negative integer; using the default");
        default
    })
}

fn namespace(req: &Request) -> std::result::Result<String, Error> {
    let url = req.url().map_err(|e| Error::new(Code::InvalidRequest, e.to_string()))?;
    let ns = url.query_pairs().find(|(k, _)| k == "ns").map(|(_, v)| v.into_owned()).unwrap_or_default();
    api::validate_namespace(&ns)?;
    Ok(ns)
}

fn bucket(env: &Env) -> std::result::Result<R2Store, Error> {
    env.bucket("BUCKET")
        .map(R2Store::new)
        .map_err(|e| Error::new(Code::Internal, format!("R2 binding BUCKET is missing: {e}")))
}

/// The Worker's clock, entropy and timer, handed to the engine.
struct WorkerHost;

impl Clock for WorkerHost {
    fn now_ms(&self) -> u64 {
        Date::now().as_millis()
    }
}

impl Host for WorkerHost {
    fn random(&self) -> u64 {
        let half = || (js_sys::Math::random() * f64::from(u32::MAX)) as u64;
        (half() << 32) | half()
    }
    async fn sleep(&self, ms: u64) {
        Delay::from(std::time::Duration::from_millis(ms)).await;
    }
}

async fn cypher(
    env: &Env,
    ctx: &Context,
    ns: &str,
    request: &api::Request,
    limits: &api::Limits,
    gate: impl FnOnce(bool) -> std::result::Result<(), Error>,
) -> std::result::Result<Response, Error> {
    let store = Counting::new(bucket(env)?);
    // A namespace this isolate has not seen yet starts from the empty version, which the
    // request's own freshness check opens (one read of the log's next slot, not two).
    let version = warm_get(ns).unwrap_or_default();
    let db = Database::resume(store, ns, version).with_cache(BLOCKS.with(Rc::clone));
    let result = api::execute_gated(&db, request, &WorkerHost, &procedures_get(ns), limits, gate).await;
    warm_put(ns, db.cached());
    let body = result?.body(Some(db.store().counts()));
    // Checkpoints are off the response path (no I/O unless one is due); a failure here only
    // delays the next one.
    let ns = ns.to_string();
    ctx.wait_until(async move {
        if let Ok(true) = db.maybe_checkpoint(&WorkerHost).await {
            warm_put(&ns, db.cached());
        }
    });
    json(200, body).map_err(|e| Error::new(Code::Internal, e.to_string()))
}

/// `POST /gc?ns=`: an explicit admin request, because collection LISTs the namespace (billed
/// like a write) and is never needed on the request path.
async fn collect_garbage(env: &Env, ns: &str) -> std::result::Result<Response, Error> {
    let db: Database<_, GraphModel> = Database::resume(bucket(env)?, ns, Version::default());
    let report = db
        .collect_garbage(&WorkerHost, GC_MIN_AGE_MS)
        .await
        .map_err(|e| Error::new(Code::Unavailable, e.to_string()))?;
    let body = format!(
        "{{\"boundary\":{},\"records_deleted\":{},\"checkpoints_deleted\":{},\"tables_deleted\":{}}}",
        report.boundary, report.records_deleted, report.checkpoints_deleted, report.tables_deleted
    );
    json(200, body).map_err(|e| Error::new(Code::Internal, e.to_string()))
}

async fn drop_namespace(env: &Env, ns: &str) -> std::result::Result<Response, Error> {
    use engine::store::ObjectStore;
    let store = bucket(env)?;
    let unavailable = |e: engine::store::StoreError| Error::new(Code::Unavailable, e.to_string());
    for object in store.list(&format!("{ns}/")).await.map_err(unavailable)? {
        store.delete(&object.key).await.map_err(unavailable)?;
    }
    WARM.with(|w| w.borrow_mut().remove(ns));
    PROCEDURES.with(|p| p.borrow_mut().remove(ns));
    json(200, "{\"columns\":[],\"rows\":[],\"stats\":{},\"meta\":{}}".into())
        .map_err(|e| Error::new(Code::Internal, e.to_string()))
}

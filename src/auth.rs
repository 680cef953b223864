//! Bearer-token authentication and authorization against the Worker secrets
//! `NAMIDB_ADMIN_TOKEN` and `NAMIDB_TOKENS`; the model itself is in [`crate::tokens`].
//!
//! Fails closed: with no secret configured every request is refused, and a malformed
//! `NAMIDB_TOKENS` refuses every non-admin token. Tokens are compared in constant time (as
//! SHA-256 digests) and never echoed or logged. Authorization looks only at the token, never
//! at storage, so a 403 is the same whether or not the namespace exists.
//!
//! The secrets are parsed once per isolate and kept while their text is unchanged; token
//! expiry is checked against `Date.now()` at each request.
use crate::tokens::{Cache, Denied};
pub use crate::tokens::{Need, Principal};
use engine::error::{Code, Error};
use std::cell::RefCell;
use worker::{Date, Env, Request};

thread_local! {
    static CONFIG: RefCell<Cache> = RefCell::new(Cache::default());
}

/// Who is calling, from the `Authorization` header; 401 `Unauthorized` otherwise.
pub fn authenticate(req: &Request, env: &Env) -> Result<Principal, Error> {
    let secret = |name: &str| env.secret(name).ok().map(|s| s.to_string());
    let (admin, tokens) = (secret("NAMIDB_ADMIN_TOKEN"), secret("NAMIDB_TOKENS"));
    let (config, fresh) = CONFIG.with(|c| c.borrow_mut().get(admin.as_deref(), tokens.as_deref()));
    if let Some(why) = config.tokens_error().filter(|_| fresh) {
        // Once per isolate and secret text; names the entry and field, never a value.
        worker::console_error!("NAMIDB_TOKENS is malformed, every non-admin token is refused: {why}");
    }
    let header = req.headers().get("authorization").ok().flatten();
    config.authenticate(header.as_deref(), Date::now().as_millis()).map_err(denied)
}

/// 403 `Forbidden` unless `principal` may do what `need` says on `ns`.
pub fn authorize(principal: &Principal, ns: &str, need: Need) -> Result<(), Error> {
    principal.authorize(ns, need).map_err(denied)
}

fn denied(d: Denied) -> Error {
    match d {
        Denied::Unauthorized(m) => Error::new(Code::Unauthorized, m),
        Denied::Forbidden(m) => Error::new(Code::Forbidden, m),
    }
}

//! Bearer-token authentication against the `NAMIDB_ADMIN_TOKEN` Worker secret.
//!
//! Fails closed: with no token configured every request is refused. Tokens are compared in
//! constant time and never echoed.
use engine::error::{Code, Error};
use worker::{Env, Request};

pub fn check(req: &Request, env: &Env) -> Result<(), Error> {
    let unauthorized = |m: &str| Error::new(Code::Unauthorized, m);
    let expected = env
        .secret("NAMIDB_ADMIN_TOKEN")
        .map(|s| s.to_string())
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("this deployment has no token configured; it refuses every request"))?;
    let header = req.headers().get("authorization").ok().flatten().unwrap_or_default();
    let given =
        header.strip_prefix("Bearer ").ok_or_else(|| unauthorized("missing `Authorization: Bearer <token>`"))?;
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(unauthorized("invalid token"))
    }
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

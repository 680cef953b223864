//! The Worker: routing, auth, the R2 store adapter and the mapping of errors to HTTP statuses.
use worker::*;

#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    match (req.method(), req.path().as_str()) {
        (Method::Get, "/health") => json(200, "{\"ok\":true}"),
        _ => json(404, "{\"error\":{\"code\":\"NotFound\",\"message\":\"no such path\"}}"),
    }
}

fn json(status: u16, body: &str) -> Result<Response> {
    let mut resp = Response::ok(body)?.with_status(status);
    resp.headers_mut().set("content-type", "application/json")?;
    Ok(resp)
}

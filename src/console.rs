//! `GET /`: the browser console, one self-contained page (`src/console.html`, compiled into the
//! Worker). Its Content-Security-Policy allows exactly that page's inline `<script>` and
//! `<style>` (by SHA-256 hash) and requests to the Worker's own origin: no other script, style,
//! font, frame or fetch can run, whatever a query result contains.
use crate::sha256::sha256;
use worker::{Response, Result};

const PAGE: &str = include_str!("console.html");

pub fn page() -> Result<Response> {
    let mut resp = Response::ok(PAGE)?;
    let headers = resp.headers_mut();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("content-security-policy", &policy(PAGE))?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("cache-control", "no-cache")?;
    Ok(resp)
}

/// The policy for `page`: its inline script and style by hash, fetches to 'self' only.
fn policy(page: &str) -> String {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; connect-src 'self'; img-src data:; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hash(inline(page, "script")),
        hash(inline(page, "style"))
    )
}

/// The text between the first `<tag>` and the next `</tag>` ("" if there is none).
fn inline<'a>(page: &'a str, tag: &str) -> &'a str {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    page.split_once(&open).and_then(|(_, rest)| rest.split_once(&close)).map_or("", |(body, _)| body)
}

/// A CSP hash source: `sha256-<base64 of the digest>`.
fn hash(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::from("sha256-");
    for chunk in sha256(text.as_bytes()).chunks(3) {
        let b = [chunk.first(), chunk.get(1), chunk.get(2)].map(|x| x.copied().unwrap_or(0));
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    while out.len() % 4 != 3 {
        out.push('=');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_the_csp_sha256_source() {
        // printf %s 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(hash("alert(1)"), "sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=");
        assert_eq!(hash(""), "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }

    #[test]
    fn the_policy_names_the_pages_own_script_and_style() {
        let page = "<style>a{}</style><script>go()</script>";
        let csp = policy(page);
        assert!(csp.contains(&format!("script-src '{}'", hash("go()"))), "{csp}");
        assert!(csp.contains(&format!("style-src '{}'", hash("a{}"))), "{csp}");
        assert!(csp.starts_with("default-src 'none';") && csp.contains("connect-src 'self';"), "{csp}");
        assert!(!inline(PAGE, "script").is_empty() && !inline(PAGE, "style").is_empty());
    }
}

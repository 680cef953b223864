//! The engine's object-store contract over the S3 API (AWS S3, R2, MinIO, moto…), natively.
//!
//! Each call is one blocking HTTPS request on its own thread, so the engine's concurrent
//! reads (`join_all`) really overlap while the engine itself stays runtime-free. Conditional
//! writes map onto `If-None-Match: *` (create-if-absent) and `If-Match` (compare-and-swap):
//! 412, and 404 for `If-Match` on a missing key, mean the condition failed (`Ok(None)`);
//! 409 `ConditionalRequestConflict` and 429/503 throttling are retried with jittered backoff.
//! A write that fails any other way is reported as an error: its outcome is unknown, which
//! the storage engine resolves itself.
use crate::sigv4::{amz_date, authorization, sha256_hex, uri_encode, Credentials, Signing};
use engine::store::{ObjectMeta, ObjectStore, PutMode, StoreError, StoreResult};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Attempts for a request that the store throttles or asks to retry.
const ATTEMPTS: u32 = 5;

/// Where the bucket is and how to sign for it.
#[derive(Clone, Debug)]
pub struct S3Config {
    pub bucket: String,
    /// Folder inside the bucket (no leading or trailing `/`), or empty.
    pub prefix: String,
    pub region: String,
    /// `https://host[:port]` for S3-compatible stores (path-style addressing); `None` for AWS
    /// (virtual-hosted: `https://<bucket>.s3.<region>.amazonaws.com`).
    pub endpoint: Option<String>,
    pub credentials: Credentials,
}

#[derive(Clone)]
pub struct S3Store {
    inner: Arc<Inner>,
}

struct Inner {
    config: S3Config,
    agent: ureq::Agent,
    /// Scheme and host (with port) requests go to, and the path before the key.
    base: String,
    host: String,
    path_prefix: String,
}

/// An HTTP answer: status, the headers we use, and the body.
struct Answer {
    status: u16,
    etag: Option<String>,
    length: Option<u64>,
    body: Vec<u8>,
}

fn err(what: impl std::fmt::Display) -> StoreError {
    StoreError(format!("s3: {what}"))
}

impl S3Store {
    pub fn new(config: S3Config) -> StoreResult<Self> {
        let (base, host, path_prefix) = match &config.endpoint {
            Some(endpoint) => {
                let endpoint = endpoint.trim_end_matches('/');
                let host = endpoint.split_once("://").map(|(_, h)| h).ok_or_else(|| err("endpoint needs a scheme"))?;
                (endpoint.to_string(), host.to_string(), format!("/{}", uri_encode(&config.bucket, false)))
            }
            None => {
                let host = format!("{}.s3.{}.amazonaws.com", config.bucket, config.region);
                (format!("https://{host}"), host, String::new())
            }
        };
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
        Ok(S3Store { inner: Arc::new(Inner { config, agent, base, host, path_prefix }) })
    }

    fn object_key(&self, key: &str) -> String {
        match self.inner.config.prefix.as_str() {
            "" => key.to_string(),
            prefix => format!("{prefix}/{key}"),
        }
    }

    /// Runs one request (with retries) on its own thread.
    async fn request(&self, req: Req) -> StoreResult<Answer> {
        let inner = self.inner.clone();
        let (tx, rx) = futures::channel::oneshot::channel();
        std::thread::spawn(move || {
            let _ = tx.send(inner.send_with_retries(&req));
        });
        rx.await.map_err(|_| err("request thread ended without an answer"))?
    }
}

/// One S3 request before signing.
struct Req {
    method: &'static str,
    /// Object key (encoded here), or `None` for the bucket itself.
    key: Option<String>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Inner {
    fn send_with_retries(&self, req: &Req) -> StoreResult<Answer> {
        let mut delay_ms = 50u64;
        for attempt in 1..=ATTEMPTS {
            let answer = self.send(req);
            let retry = match &answer {
                Ok(a) => a.status == 429 || a.status == 503 || (a.status == 409 && req.method == "PUT"),
                // Reads and deletes are idempotent; a failed write's outcome is for the engine.
                Err(_) => req.method != "PUT",
            };
            if !retry || attempt == ATTEMPTS {
                return answer;
            }
            let mut jitter = [0u8; 8];
            let _ = getrandom::fill(&mut jitter);
            std::thread::sleep(Duration::from_millis(delay_ms + u64::from_le_bytes(jitter) % delay_ms));
            delay_ms *= 2;
        }
        Err(err("unreachable retry state"))
    }

    fn send(&self, req: &Req) -> StoreResult<Answer> {
        let path = match &req.key {
            Some(key) => format!("{}/{}", self.path_prefix, uri_encode(key, true)),
            None if self.path_prefix.is_empty() => "/".to_string(),
            None => self.path_prefix.clone(),
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(err)?.as_millis() as u64;
        let date = amz_date(now);
        let payload_hash = sha256_hex(&req.body);
        let mut headers = req.headers.clone();
        headers.push(("host".into(), self.host.clone()));
        headers.push(("x-amz-date".into(), date.clone()));
        headers.push(("x-amz-content-sha256".into(), payload_hash.clone()));
        if let Some(token) = &self.config.credentials.session_token {
            headers.push(("x-amz-security-token".into(), token.clone()));
        }
        let auth = authorization(
            &self.config.credentials,
            &Signing {
                method: req.method,
                path: &path,
                query: &req.query,
                headers: &headers,
                payload_hash: &payload_hash,
                amz_date: &date,
                region: &self.config.region,
            },
        );
        let query: Vec<String> =
            req.query.iter().map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false))).collect();
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{}", self.base, query.join("&"))
        };
        let mut request = self.agent.request(req.method, &url).set("authorization", &auth);
        for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
            request = request.set(k, v);
        }
        let response = match request.send_bytes(&req.body) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(err(e)),
        };
        let status = response.status();
        let etag = response.header("etag").map(|e| e.trim_matches('"').to_string());
        let length = response.header("content-length").and_then(|l| l.parse().ok());
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut body).map_err(err)?;
        Ok(Answer { status, etag, length, body })
    }
}

fn unexpected(what: &str, key: &str, a: &Answer) -> StoreError {
    let code = xml_text(&a.body, "Code").unwrap_or_default();
    err(format!("{what} {key}: HTTP {} {code}", a.status))
}

impl ObjectStore for S3Store {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let key = self.object_key(key);
        let a = self
            .request(Req { method: "GET", key: Some(key.clone()), query: vec![], headers: vec![], body: vec![] })
            .await?;
        match a.status {
            200 => Ok(Some(a.body)),
            404 => Ok(None),
            _ => Err(unexpected("GET", &key, &a)),
        }
    }

    async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        if len == 0 {
            return Ok(self.head(key).await?.map(|_| Vec::new()));
        }
        let key = self.object_key(key);
        let range = format!("bytes={offset}-{}", offset.saturating_add(len - 1));
        let headers = vec![("range".to_string(), range)];
        let a =
            self.request(Req { method: "GET", key: Some(key.clone()), query: vec![], headers, body: vec![] }).await?;
        match a.status {
            200 | 206 => Ok(Some(a.body)),
            404 => Ok(None),
            // The range starts past the end: clipped, that is nothing.
            416 => Ok(Some(Vec::new())),
            _ => Err(unexpected("GET", &key, &a)),
        }
    }

    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        let full = self.object_key(key);
        let a = self
            .request(Req { method: "HEAD", key: Some(full.clone()), query: vec![], headers: vec![], body: vec![] })
            .await?;
        match a.status {
            200 => Ok(Some(ObjectMeta {
                key: key.to_string(),
                size: a.length.unwrap_or(0),
                etag: a.etag.unwrap_or_default(),
            })),
            404 => Ok(None),
            _ => Err(unexpected("HEAD", &full, &a)),
        }
    }

    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        let full = self.object_key(key);
        let headers = match &mode {
            PutMode::Overwrite => vec![],
            PutMode::Create => vec![("if-none-match".to_string(), "*".to_string())],
            PutMode::IfMatch(etag) => vec![("if-match".to_string(), format!("\"{etag}\""))],
        };
        let size = body.len() as u64;
        let a = self.request(Req { method: "PUT", key: Some(full.clone()), query: vec![], headers, body }).await?;
        match a.status {
            200 => Ok(Some(ObjectMeta { key: key.to_string(), size, etag: a.etag.unwrap_or_default() })),
            412 => Ok(None),
            404 if matches!(mode, PutMode::IfMatch(_)) => Ok(None),
            _ => Err(unexpected("PUT", &full, &a)),
        }
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        let strip = self.object_key("");
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query =
                vec![("list-type".to_string(), "2".to_string()), ("prefix".to_string(), self.object_key(prefix))];
            if let Some(t) = &token {
                query.push(("continuation-token".to_string(), t.clone()));
            }
            let a = self.request(Req { method: "GET", key: None, query, headers: vec![], body: vec![] }).await?;
            if a.status != 200 {
                return Err(unexpected("LIST", prefix, &a));
            }
            for item in xml_values(&a.body, "Contents") {
                let field = |name: &str| xml_text(item.as_bytes(), name).unwrap_or_default();
                let key = field("Key");
                let Some(key) = key.strip_prefix(&strip) else { continue };
                out.push(ObjectMeta {
                    key: key.to_string(),
                    size: field("Size").parse().unwrap_or(0),
                    etag: field("ETag").trim_matches('"').to_string(),
                });
            }
            let truncated = xml_text(&a.body, "IsTruncated").is_some_and(|t| t == "true");
            token = xml_text(&a.body, "NextContinuationToken");
            if !truncated || token.is_none() {
                break;
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let full = self.object_key(key);
        let a = self
            .request(Req { method: "DELETE", key: Some(full.clone()), query: vec![], headers: vec![], body: vec![] })
            .await?;
        match a.status {
            200 | 204 | 404 => Ok(()),
            _ => Err(unexpected("DELETE", &full, &a)),
        }
    }
}

/// The first `<tag>…</tag>` element's text, entities decoded.
fn xml_text(xml: &[u8], tag: &str) -> Option<String> {
    xml_values(xml, tag).first().map(|raw| unescape(raw))
}

/// The raw content of every `<tag>…</tag>` element. S3's list answers are flat enough that
/// this is all the XML the store needs.
fn xml_values(xml: &[u8], tag: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(xml);
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(after[..end].to_string());
        rest = &after[end + close.len()..];
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let Some(semi) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn list_answers_parse_with_entities() {
        let xml = b"<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>p/a&amp;b</Key>\
                    <Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents><Contents><Key>p/&#233;</Key>\
                    </Contents><NextContinuationToken>t+1</NextContinuationToken></ListBucketResult>";
        let items = xml_values(xml, "Contents");
        assert_eq!(items.len(), 2);
        assert_eq!(xml_text(items[0].as_bytes(), "Key").unwrap(), "p/a&b");
        assert_eq!(xml_text(items[0].as_bytes(), "ETag").unwrap(), "\"abc\"");
        assert_eq!(xml_text(items[1].as_bytes(), "Key").unwrap(), "p/é");
        assert_eq!(xml_text(xml, "NextContinuationToken").unwrap(), "t+1");
        assert_eq!(xml_text(b"<Key>&amp;lt;</Key>", "Key").unwrap(), "&lt;", "decoded once");
        assert_eq!(unescape("a &unknown; b &"), "a &unknown; b &");
    }
}

//! Store URIs, one parser for the CLI and Python:
//!
//! - `s3://bucket[/prefix]?ns=NAME[&region=R][&endpoint=URL]`: credentials from
//!   `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optional `AWS_SESSION_TOKEN`; the region
//!   from the URI, else `AWS_REGION`, else `AWS_DEFAULT_REGION`; an endpoint means an
//!   S3-compatible store (R2, MinIO…) addressed path-style.
//! - `file:///abs/dir?ns=NAME` (or `file://./rel/dir?ns=NAME`): a local folder.
//! - `memory://NAME`: a store in this process's memory; the name is the namespace.
//!
//! A namespace is the folder `<prefix>/<ns>/` — with no prefix, exactly where the Worker
//! keeps it in its R2 bucket, so the same bucket can be opened from both. Errors name the part
//! of the URI that is wrong and never contain a secret.
use crate::s3::S3Config;
use crate::sigv4::Credentials;
use std::fmt;
use std::path::PathBuf;

/// Where a namespace lives.
#[derive(Debug)]
pub enum Location {
    S3(S3Config),
    File(PathBuf),
    Memory,
}

#[derive(Debug)]
pub struct Target {
    pub location: Location,
    pub namespace: String,
}

#[derive(Debug, PartialEq, Eq)]
pub struct UriError(pub String);

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(msg: impl Into<String>) -> UriError {
    UriError(msg.into())
}

/// Parses `uri`, reading credentials and default region through `env` (pass
/// `|k| std::env::var(k).ok()`; tests pass their own).
pub fn parse(uri: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Target, UriError> {
    let (scheme, rest) =
        uri.split_once("://").ok_or_else(|| bad(format!("{uri:?} is not a URI: use s3://, file:// or memory://")))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut params = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v).ok_or_else(|| bad(format!("query parameter `{k}` is not valid percent-encoding")))?;
        params.push((k.to_string(), v));
    }
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let allow = |allowed: &[&str]| match params.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        Some((k, _)) => {
            Err(bad(format!("unknown query parameter `{k}` for {scheme}:// (allowed: {})", allowed.join(", "))))
        }
        None => Ok(()),
    };
    let namespace = |given: Option<String>| -> Result<String, UriError> {
        let ns = given.ok_or_else(|| bad(format!("{scheme}:// needs the namespace: add ?ns=NAME")))?;
        engine::api::validate_namespace(&ns).map_err(|e| bad(format!("namespace {ns:?}: {}", e.message)))?;
        Ok(ns)
    };
    match scheme {
        "memory" => {
            allow(&[])?;
            Ok(Target { location: Location::Memory, namespace: namespace(Some(path.to_string()))? })
        }
        "file" => {
            allow(&["ns"])?;
            if path.is_empty() {
                return Err(bad("file:// needs a folder: file:///abs/dir?ns=NAME or file://./rel?ns=NAME"));
            }
            let dir = percent_decode(path).ok_or_else(|| bad("the folder is not valid percent-encoding"))?;
            Ok(Target { location: Location::File(PathBuf::from(dir)), namespace: namespace(param("ns"))? })
        }
        "s3" => {
            allow(&["ns", "region", "endpoint"])?;
            let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
            if !valid_bucket {
                return Err(bad(format!("bucket {bucket:?}: 3-63 characters of a-z, 0-9, '-', '.'")));
            }
            let prefix = prefix.trim_matches('/').to_string();
            if prefix.split('/').any(|s| s == "." || s == "..") {
                return Err(bad(format!("prefix {prefix:?} must not contain . or .. segments")));
            }
            let endpoint = param("endpoint");
            if let Some(e) = &endpoint {
                if !(e.starts_with("https://") || e.starts_with("http://")) || e.len() <= "https://".len() {
                    return Err(bad(format!("endpoint {e:?} must be an http:// or https:// URL")));
                }
            }
            let region = param("region")
                .or_else(|| env("AWS_REGION"))
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .ok_or_else(|| bad("s3:// needs a region: add &region=R or set AWS_REGION"))?;
            let key = |name: &str| env(name).filter(|v| !v.is_empty());
            let credentials = Credentials {
                access_key: key("AWS_ACCESS_KEY_ID")
                    .ok_or_else(|| bad("s3:// needs AWS_ACCESS_KEY_ID in the environment"))?,
                secret_key: key("AWS_SECRET_ACCESS_KEY")
                    .ok_or_else(|| bad("s3:// needs AWS_SECRET_ACCESS_KEY in the environment"))?,
                session_token: key("AWS_SESSION_TOKEN"),
            };
            let namespace = namespace(param("ns"))?;
            let config = S3Config { bucket: bucket.to_string(), prefix, region, endpoint, credentials };
            Ok(Target { location: Location::S3(config), namespace })
        }
        other => Err(bad(format!("unsupported scheme {other}://: use s3://, file:// or memory://"))),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "AWS_ACCESS_KEY_ID" => Some("AKIDEXAMPLE".into()),
            "AWS_SECRET_ACCESS_KEY" => Some("TOPSECRET".into()),
            "AWS_REGION" => Some("eu-west-1".into()),
            _ => None,
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn s3_uris() {
        let t = parse("s3://my-bucket/data/x?ns=prod&region=us-east-1", &env).unwrap();
        let Location::S3(c) = t.location else { unreachable!() };
        assert_eq!((c.bucket.as_str(), c.prefix.as_str(), c.region.as_str()), ("my-bucket", "data/x", "us-east-1"));
        assert_eq!((t.namespace.as_str(), c.endpoint), ("prod", None));
        let r2 = "s3://b-1?ns=prod&endpoint=https%3A%2F%2Facct.r2.cloudflarestorage.com&region=auto";
        let Ok(Target { location: Location::S3(c), .. }) = parse(r2, &env) else { unreachable!() };
        assert_eq!(c.endpoint.as_deref(), Some("https://acct.r2.cloudflarestorage.com"));
        assert_eq!((c.region.as_str(), c.prefix.as_str()), ("auto", ""));
        let Ok(Target { location: Location::S3(c), .. }) = parse("s3://bkt?ns=a", &env) else { unreachable!() };
        assert_eq!(c.region, "eu-west-1", "region from the environment");
    }

    #[test]
    fn errors_name_the_bad_part_and_never_a_secret() {
        let cases = [
            ("s3://bkt?region=x", "needs the namespace"),
            ("s3://bkt?ns=Prod&region=x", "namespace \"Prod\""),
            ("s3://bkt?ns=../x&region=x", "namespace \"../x\""),
            ("s3://B?ns=a&region=x", "bucket \"B\""),
            ("s3://bkt/../x?ns=a&region=x", "prefix"),
            ("s3://bkt?ns=a&region=x&endpoint=ftp://h", "endpoint \"ftp://h\""),
            ("s3://bkt?ns=a&regoin=x", "unknown query parameter `regoin`"),
            ("s3://bkt?ns=a&region=%zz", "`region` is not valid percent-encoding"),
            ("gs://bkt?ns=a", "unsupported scheme gs://"),
            ("file://?ns=a", "needs a folder"),
            ("memory://", "namespace \"\""),
            ("prod", "not a URI"),
        ];
        for (uri, expected) in cases {
            let e = parse(uri, &env).err().map(|e| e.0).unwrap_or_default();
            assert!(e.contains(expected), "{uri}: {e:?} should mention {expected:?}");
            assert!(!e.contains("TOPSECRET") && !e.contains("AKIDEXAMPLE"), "{uri}: {e}");
        }
        let e = parse("s3://bkt?ns=a&region=x", &no_env).err().map(|e| e.0).unwrap_or_default();
        assert!(e.contains("AWS_ACCESS_KEY_ID"), "{e}");
    }

    #[test]
    fn file_and_memory_uris() {
        let Ok(t) = parse("file:///tmp/nami%20db?ns=prod", &no_env) else { unreachable!() };
        assert!(matches!(&t.location, Location::File(p) if p.to_str() == Some("/tmp/nami db")));
        let Ok(t) = parse("file://./rel?ns=prod", &no_env) else { unreachable!() };
        assert!(matches!(&t.location, Location::File(p) if p.to_str() == Some("./rel")));
        let Ok(t) = parse("memory://scratch", &no_env) else { unreachable!() };
        assert!(matches!(t.location, Location::Memory));
        assert_eq!(t.namespace, "scratch");
    }
}

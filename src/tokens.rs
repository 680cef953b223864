//! The token model, free of Worker types so it is unit-tested natively
//! (`cargo test -p namidb-worker`). `auth.rs` feeds it the secrets and the header.
//!
//! - `NAMIDB_ADMIN_TOKEN`: the admin token (every namespace, read and write, admin routes).
//! - `NAMIDB_TOKENS`: a JSON list of scoped tokens, stored as SHA-256 hashes, never as tokens:
//!   `[{"sha256": "<64 hex>", "namespace": "prod", "role": "read"},
//!     {"sha256": "<64 hex>", "prefix": "team-a-", "role": "write", "name": "ci"}]`.
//!   Each entry has exactly one of `namespace` (exact match) or `prefix` (namespaces starting
//!   with it), a `role` (`read` or `write`), an optional `name` (a label for operators) and an
//!   optional `expires`: an RFC 3339 UTC instant, exactly `YYYY-MM-DDTHH:MM:SSZ`, from which on
//!   the entry grants nothing (an expired token gets the same 401 as an unknown one).
//!   A token listed several times holds the union of its unexpired entries' grants.
//!
//! Parsing happens once per isolate and secret text: [`Cache`] keeps the last parsed
//! [`Config`], keyed by a SHA-256 of the secrets' text, so a changed secret is parsed anew.
//!
//! Fails closed: a malformed `NAMIDB_TOKENS` refuses every non-admin token; no secrets at all
//! refuses everything. The presented token is hashed and compared with the admin token's hash
//! and with every entry, in constant time and without stopping at a match. Messages never
//! contain a token, a hash or any part of the secrets.
use crate::sha256::sha256;
use engine::api::json::{self, Json};
use std::rc::Rc;

/// What a scoped token may do inside its namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Read,
    Write,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Namespace(String),
    Prefix(String),
}

impl Scope {
    fn covers(&self, ns: &str) -> bool {
        match self {
            Scope::Namespace(n) => n == ns,
            Scope::Prefix(p) => ns.starts_with(p.as_str()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub scope: Scope,
    pub role: Role,
}

struct Entry {
    hash: [u8; 32],
    grant: Grant,
    /// Milliseconds since the Unix epoch from which on the entry grants nothing.
    expires_ms: Option<u64>,
}

/// Who the caller is, once authenticated.
#[derive(Debug, PartialEq, Eq)]
pub enum Principal {
    Admin,
    /// Never empty: a token matching no entry is refused before this is built.
    Scoped(Vec<Grant>),
}

/// What a request needs on its namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
    Admin,
}

/// Why a request is refused: 401 (who are you?) or 403 (not allowed). The messages are fixed
/// strings, identical whether or not the namespace exists.
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    Unauthorized(&'static str),
    Forbidden(&'static str),
}

pub const NO_TOKEN_CONFIGURED: &str = "this deployment has no token configured; it refuses every request";
pub const MISSING_HEADER: &str = "missing `Authorization: Bearer <token>`";
pub const INVALID_TOKEN: &str = "invalid token";
pub const NO_ACCESS: &str = "this token has no access to this namespace";
pub const READ_ONLY: &str = "this token may only read this namespace";
pub const ADMIN_ONLY: &str = "this request needs the admin token";

/// The secrets of one request, parsed.
pub struct Config {
    admin: Option<[u8; 32]>,
    /// `Err` (a message naming no secret) when `NAMIDB_TOKENS` is malformed.
    tokens: Result<Vec<Entry>, String>,
    tokens_configured: bool,
}

impl Config {
    /// `admin` and `tokens` are the secrets' values (`None` when not set; an empty admin
    /// token counts as not set).
    pub fn new(admin: Option<&str>, tokens: Option<&str>) -> Config {
        Config {
            admin: admin.filter(|a| !a.is_empty()).map(|a| sha256(a.as_bytes())),
            tokens: tokens.map_or(Ok(Vec::new()), parse),
            tokens_configured: tokens.is_some(),
        }
    }

    /// Why `NAMIDB_TOKENS` was refused, if it was (safe to log: names entries by position and
    /// fields by name, never their values).
    pub fn tokens_error(&self) -> Option<&str> {
        self.tokens.as_ref().err().map(String::as_str)
    }

    /// Authenticates an `Authorization` header value at `now_ms` (milliseconds since the Unix
    /// epoch). Only `Bearer <token>` is accepted, exactly (case-sensitive scheme, one space, no
    /// trimming of the token).
    pub fn authenticate(&self, header: Option<&str>, now_ms: u64) -> Result<Principal, Denied> {
        if self.admin.is_none() && !self.tokens_configured {
            return Err(Denied::Unauthorized(NO_TOKEN_CONFIGURED));
        }
        let given = header.and_then(|h| h.strip_prefix("Bearer ")).filter(|t| !t.is_empty());
        let given = given.ok_or(Denied::Unauthorized(MISSING_HEADER))?;
        let hash = sha256(given.as_bytes());
        // Every comparison runs; the results are only looked at afterwards.
        let is_admin = self.admin.is_some_and(|a| ct_eq(&a, &hash));
        let entries = self.tokens.as_deref().unwrap_or(&[]);
        let matches: Vec<bool> = entries.iter().map(|e| ct_eq(&e.hash, &hash)).collect();
        if is_admin {
            return Ok(Principal::Admin);
        }
        let live = |e: &Entry| e.expires_ms.is_none_or(|x| now_ms < x);
        let grants: Vec<Grant> =
            entries.iter().zip(matches).filter(|(e, m)| *m && live(e)).map(|(e, _)| e.grant.clone()).collect();
        if grants.is_empty() {
            Err(Denied::Unauthorized(INVALID_TOKEN))
        } else {
            Ok(Principal::Scoped(grants))
        }
    }
}

impl Principal {
    /// Whether this caller may do what `need` says on `ns`. Looks at nothing but the token's
    /// grants, so the answer is the same whether or not `ns` exists.
    pub fn authorize(&self, ns: &str, need: Need) -> Result<(), Denied> {
        let grants = match self {
            Principal::Admin => return Ok(()),
            Principal::Scoped(grants) => grants,
        };
        if need == Need::Admin {
            return Err(Denied::Forbidden(ADMIN_ONLY));
        }
        let mut covering = grants.iter().filter(|g| g.scope.covers(ns)).peekable();
        if covering.peek().is_none() {
            return Err(Denied::Forbidden(NO_ACCESS));
        }
        if need == Need::Write && !covering.any(|g| g.role == Role::Write) {
            return Err(Denied::Forbidden(READ_ONLY));
        }
        Ok(())
    }

    /// Whether this caller may write `ns` (admin, or a `write` grant covering it).
    pub fn may_write(&self, ns: &str) -> bool {
        self.authorize(ns, Need::Write).is_ok()
    }
}

/// Equality of two digests without an early exit.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Parses `NAMIDB_TOKENS`. Error messages name entries by position, never by content.
fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let Ok(Json::Array(items)) = json::parse(text) else {
        return Err("NAMIDB_TOKENS must be a JSON list of objects".into());
    };
    items.into_iter().enumerate().map(|(i, item)| entry(item).map_err(|what| format!("entry {i}: {what}"))).collect()
}

fn entry(item: Json) -> Result<Entry, &'static str> {
    let Json::Object(mut fields) = item else { return Err("not a JSON object") };
    let Some(Json::String(hex)) = fields.remove("sha256") else {
        return Err("`sha256` must be a string of 64 hex digits");
    };
    let hash = decode_hex(&hex).ok_or("`sha256` must be a string of 64 hex digits")?;
    let scope = match (fields.remove("namespace"), fields.remove("prefix")) {
        (Some(Json::String(ns)), None) if engine::api::validate_namespace(&ns).is_ok() => Scope::Namespace(ns),
        (None, Some(Json::String(p))) if engine::api::validate_namespace(&p).is_ok() => Scope::Prefix(p),
        (Some(_), Some(_)) | (None, None) => return Err("needs exactly one of `namespace` and `prefix`"),
        _ => return Err("`namespace` or `prefix` must be 1-63 characters of a-z, 0-9, '-', '_'"),
    };
    let role = match fields.remove("role") {
        Some(Json::String(r)) if r == "read" => Role::Read,
        Some(Json::String(r)) if r == "write" => Role::Write,
        _ => return Err("`role` must be \"read\" or \"write\""),
    };
    match fields.remove("name") {
        None | Some(Json::String(_)) => {}
        Some(_) => return Err("`name` must be a string"),
    }
    let expires_ms = match fields.remove("expires") {
        None => None,
        Some(Json::String(t)) => Some(rfc3339_utc_ms(&t).ok_or("`expires` must be a UTC time YYYY-MM-DDTHH:MM:SSZ")?),
        Some(_) => return Err("`expires` must be a UTC time YYYY-MM-DDTHH:MM:SSZ"),
    };
    if !fields.is_empty() {
        return Err("unknown field (allowed: sha256, namespace, prefix, role, name, expires)");
    }
    Ok(Entry { hash, grant: Grant { scope, role }, expires_ms })
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC, whole seconds, years 1970-9999) as milliseconds
/// since the Unix epoch; `None` for anything else.
fn rfc3339_utc_ms(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let num = |from: usize, to: usize| text.get(from..to).and_then(|d| d.parse::<i64>().ok());
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let date = engine::graph::temporal::Date::from_ymd(num(0, 4)?, num(5, 7)?, num(8, 10)?).ok()?;
    let seconds = date.epoch_days() * 86_400 + hour * 3_600 + minute * 60 + second;
    u64::try_from(seconds).ok().map(|s| s * 1000)
}

/// The last parsed secrets of this isolate, reused while their text is unchanged.
#[derive(Default)]
pub struct Cache {
    last: Option<([u8; 32], Rc<Config>)>,
}

impl Cache {
    /// The [`Config`] of these secrets, and whether it was parsed just now (rather than reused).
    pub fn get(&mut self, admin: Option<&str>, tokens: Option<&str>) -> (Rc<Config>, bool) {
        let key = secrets_key(admin, tokens);
        if let Some((k, config)) = &self.last {
            if *k == key {
                return (config.clone(), false);
            }
        }
        let config = Rc::new(Config::new(admin, tokens));
        self.last = Some((key, config.clone()));
        (config, true)
    }
}

/// A SHA-256 of both secrets' text, each length-prefixed (and marked absent or present), so
/// different secrets never share a key.
fn secrets_key(admin: Option<&str>, tokens: Option<&str>) -> [u8; 32] {
    let mut text = Vec::new();
    for secret in [admin, tokens] {
        match secret {
            None => text.push(0),
            Some(s) => {
                text.push(1);
                text.extend_from_slice(&(s.len() as u64).to_le_bytes());
                text.extend_from_slice(s.as_bytes());
            }
        }
    }
    sha256(&text)
}

fn decode_hex(hex: &str) -> Option<[u8; 32]> {
    let digits = hex.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let &[hi, lo] = pair else { return None };
        *byte = (nibble(hi)? << 4) | nibble(lo)?;
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn hex(token: &str) -> String {
        sha256(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    fn tokens_json() -> String {
        format!(
            r#"[{{"sha256": "{}", "namespace": "prod", "role": "read"}},
                {{"sha256": "{}", "prefix": "team-a-", "role": "write", "name": "team a"}},
                {{"sha256": "{}", "namespace": "prod", "role": "write"}},
                {{"sha256": "{}", "namespace": "staging", "role": "read"}},
                {{"sha256": "{}", "namespace": "dev", "role": "write"}}]"#,
            hex("reader"),
            hex("team-a"),
            hex("writer"),
            hex("writer"),
            hex("writer").to_uppercase(),
        )
    }

    fn config() -> Config {
        Config::new(Some("admin-secret"), Some(&tokens_json()))
    }

    /// The request time of these tests: 2026-11-24T05:20:58Z.
    const NOW: u64 = 1_795_497_658_000;

    fn auth(c: &Config, header: &str) -> Result<Principal, Denied> {
        c.authenticate(Some(header), NOW)
    }

    #[test]
    fn parses_a_valid_list() {
        let c = config();
        assert_eq!(c.tokens_error(), None);
        assert_eq!(c.tokens.as_ref().map(Vec::len), Ok(5));
        assert_eq!(Config::new(None, Some("[]")).tokens_error(), None);
        assert_eq!(Config::new(None, Some(" [ ] ")).tokens_error(), None);
    }

    #[test]
    fn rejects_malformed_lists_without_echoing_them() {
        let h = hex("x");
        let cases = [
            "".to_string(),
            "not json".into(),
            "{}".into(),
            "null".into(),
            format!(r#"["{h}"]"#),
            r#"[{"namespace": "prod", "role": "read"}]"#.into(),
            format!(r#"[{{"sha256": "{}", "namespace": "prod", "role": "read"}}]"#, &h[..63]),
            format!(r#"[{{"sha256": "{h}0", "namespace": "prod", "role": "read"}}]"#),
            format!(r#"[{{"sha256": "{}g", "namespace": "prod", "role": "read"}}]"#, &h[..63]),
            format!(r#"[{{"sha256": "{}é", "namespace": "prod", "role": "read"}}]"#, &h[..62]),
            r#"[{"sha256": 7, "namespace": "prod", "role": "read"}]"#.into(),
            format!(r#"[{{"sha256": "{h}", "role": "read"}}]"#),
            format!(r#"[{{"sha256": "{h}", "namespace": "prod", "prefix": "p", "role": "read"}}]"#),
            format!(r#"[{{"sha256": "{h}", "namespace": "Prod", "role": "read"}}]"#),
            format!(r#"[{{"sha256": "{h}", "namespace": "", "role": "read"}}]"#),
            format!(r#"[{{"sha256": "{h}", "prefix": "", "role": "write"}}]"#),
            format!(r#"[{{"sha256": "{h}", "prefix": 1, "role": "write"}}]"#),
            format!(r#"[{{"sha256": "{h}", "namespace": "prod"}}]"#),
            format!(r#"[{{"sha256": "{h}", "namespace": "prod", "role": "admin"}}]"#),
            format!(r#"[{{"sha256": "{h}", "namespace": "prod", "role": "Read"}}]"#),
            format!(r#"[{{"sha256": "{h}", "namespace": "prod", "role": "read", "name": 3}}]"#),
            format!(r#"[{{"sha256": "{h}", "namespace": "prod", "role": "read", "extra": "{h}"}}]"#),
            // One bad entry poisons the whole list.
            format!(
                r#"[{{"sha256": "{h}", "namespace": "prod", "role": "read"}}, {{"sha256": "{h}", "role": "read"}}]"#
            ),
        ];
        for case in cases {
            let c = Config::new(Some("admin-secret"), Some(&case));
            let err = c.tokens_error().unwrap_or_else(|| panic!("accepted {case}"));
            assert!(!err.contains(&h[..16]) && !err.contains("admin-secret"), "{err} echoes a secret");
            // Fails closed for every non-admin token, the admin still works.
            assert_eq!(auth(&c, "Bearer x"), Err(Denied::Unauthorized(INVALID_TOKEN)), "{case}");
            assert_eq!(auth(&c, "Bearer admin-secret"), Ok(Principal::Admin));
        }
    }

    #[test]
    fn no_secrets_refuse_everything() {
        for c in [Config::new(None, None), Config::new(Some(""), None)] {
            for header in [None, Some("Bearer "), Some("Bearer admin-secret"), Some("Bearer dev-token")] {
                assert_eq!(c.authenticate(header, NOW), Err(Denied::Unauthorized(NO_TOKEN_CONFIGURED)));
            }
        }
        // An empty list configured but no admin: every token is unknown.
        assert_eq!(auth(&Config::new(None, Some("[]")), "Bearer x"), Err(Denied::Unauthorized(INVALID_TOKEN)));
    }

    #[test]
    fn header_must_be_exactly_bearer_and_a_token() {
        let c = config();
        assert_eq!(c.authenticate(None, NOW), Err(Denied::Unauthorized(MISSING_HEADER)));
        for header in ["", "Bearer", "Bearer ", "bearer admin-secret", "BEARER admin-secret", "admin-secret", "Basic x"]
        {
            assert_eq!(auth(&c, header), Err(Denied::Unauthorized(MISSING_HEADER)), "{header:?}");
        }
        for header in [
            "Bearer admin-secret ",
            "Bearer  admin-secret",
            "Bearer admin-secre",
            "Bearer admin-secretx",
            "Bearer admin-secret\t",
            "Bearer reader ",
            "Bearer Reader",
        ] {
            assert_eq!(auth(&c, header), Err(Denied::Unauthorized(INVALID_TOKEN)), "{header:?}");
        }
    }

    #[test]
    fn admin_may_do_everything() {
        let p = auth(&config(), "Bearer admin-secret");
        assert_eq!(p, Ok(Principal::Admin));
        let p = Principal::Admin;
        for need in [Need::Read, Need::Write, Need::Admin] {
            assert_eq!(p.authorize("anything", need), Ok(()));
        }
    }

    #[test]
    fn read_token_reads_only_its_namespace() {
        let Ok(p) = auth(&config(), "Bearer reader") else { panic!("reader refused") };
        assert_eq!(p.authorize("prod", Need::Read), Ok(()));
        assert_eq!(p.authorize("prod", Need::Write), Err(Denied::Forbidden(READ_ONLY)));
        assert!(!p.may_write("prod"));
        for ns in ["prod2", "pro", "staging", "team-a-x"] {
            assert_eq!(p.authorize(ns, Need::Read), Err(Denied::Forbidden(NO_ACCESS)), "{ns}");
            assert_eq!(p.authorize(ns, Need::Write), Err(Denied::Forbidden(NO_ACCESS)), "{ns}");
        }
        assert_eq!(p.authorize("prod", Need::Admin), Err(Denied::Forbidden(ADMIN_ONLY)));
    }

    #[test]
    fn prefix_token_covers_its_prefix_only() {
        let Ok(p) = auth(&config(), "Bearer team-a") else { panic!("team-a refused") };
        for ns in ["team-a-x", "team-a-", "team-a-b-c"] {
            assert_eq!(p.authorize(ns, Need::Write), Ok(()), "{ns}");
        }
        for ns in ["team-b", "team-a", "team-ab", "xteam-a-x", "prod"] {
            assert_eq!(p.authorize(ns, Need::Read), Err(Denied::Forbidden(NO_ACCESS)), "{ns}");
        }
        assert_eq!(p.authorize("team-a-x", Need::Admin), Err(Denied::Forbidden(ADMIN_ONLY)));
    }

    #[test]
    fn a_token_listed_twice_holds_both_grants() {
        let Ok(p) = auth(&config(), "Bearer writer") else { panic!("writer refused") };
        assert_eq!(p.authorize("prod", Need::Write), Ok(()));
        assert_eq!(p.authorize("staging", Need::Read), Ok(()));
        assert_eq!(p.authorize("staging", Need::Write), Err(Denied::Forbidden(READ_ONLY)));
        // Upper-case hex is accepted.
        assert_eq!(p.authorize("dev", Need::Write), Ok(()));
        assert_eq!(p.authorize("other", Need::Read), Err(Denied::Forbidden(NO_ACCESS)));
    }

    #[test]
    fn scoped_tokens_work_without_an_admin_token() {
        let c = Config::new(None, Some(&tokens_json()));
        assert!(matches!(auth(&c, "Bearer reader"), Ok(Principal::Scoped(_))));
        assert_eq!(auth(&c, "Bearer admin-secret"), Err(Denied::Unauthorized(INVALID_TOKEN)));
        // A malformed list with no admin refuses everyone.
        let c = Config::new(None, Some("[{}]"));
        assert_eq!(auth(&c, "Bearer reader"), Err(Denied::Unauthorized(INVALID_TOKEN)));
    }

    #[test]
    fn an_expired_entry_grants_nothing_and_says_nothing() {
        let tokens = format!(
            r#"[{{"sha256": "{}", "namespace": "prod", "role": "write", "expires": "2026-11-24T05:20:59Z"}},
                {{"sha256": "{}", "namespace": "prod", "role": "write", "expires": "2026-11-24T05:20:58Z"}},
                {{"sha256": "{}", "namespace": "prod", "role": "read"}},
                {{"sha256": "{}", "namespace": "staging", "role": "write", "expires": "2020-01-01T00:00:00Z"}}]"#,
            hex("fresh"),
            hex("stale"),
            hex("mixed"),
            hex("mixed"),
        );
        let c = Config::new(None, Some(&tokens));
        assert_eq!(c.tokens_error(), None);
        // Valid until the second before `expires`, refused from it on, like an unknown token.
        assert!(c.authenticate(Some("Bearer fresh"), NOW + 999).is_ok());
        assert_eq!(c.authenticate(Some("Bearer fresh"), NOW + 1000), Err(Denied::Unauthorized(INVALID_TOKEN)));
        assert_eq!(auth(&c, "Bearer stale"), Err(Denied::Unauthorized(INVALID_TOKEN)));
        assert_eq!(c.authenticate(Some("Bearer stale"), NOW - 1), Ok(Principal::Scoped(vec![prod_write()])));
        // A token listed twice keeps only its unexpired grant.
        let Ok(p) = auth(&c, "Bearer mixed") else { panic!("mixed refused") };
        assert_eq!(p.authorize("prod", Need::Read), Ok(()));
        assert_eq!(p.authorize("staging", Need::Read), Err(Denied::Forbidden(NO_ACCESS)));
    }

    fn prod_write() -> Grant {
        Grant { scope: Scope::Namespace("prod".into()), role: Role::Write }
    }

    #[test]
    fn expires_is_a_strict_rfc3339_utc_instant() {
        assert_eq!(rfc3339_utc_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_utc_ms("2026-11-24T05:20:58Z"), Some(NOW));
        assert_eq!(rfc3339_utc_ms("2000-02-29T12:34:56Z"), Some(951_827_696_000));
        assert_eq!(rfc3339_utc_ms("9999-12-31T23:59:59Z"), Some(253_402_300_799_000));
        for bad in [
            "",
            "2026-11-24",
            "2026-11-24T05:20:58",
            "2026-11-24T05:20:58z",
            "2026-11-24T05:20:58+00:00",
            "2026-11-24T05:20:58.5Z",
            "2026-11-24 05:20:58Z",
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T05:60:00Z",
            "2026-11-24T05:20:60Z",
            "1969-12-31T23:59:59Z",
            "+026-11-24T05:20:58Z",
            "2026-11-2٤T05:20:58Z",
        ] {
            assert_eq!(rfc3339_utc_ms(bad), None, "{bad}");
        }
        // A malformed `expires` anywhere refuses the whole list, without echoing it.
        for bad in [r#""2026-11-24""#, "1795497658", "null"] {
            let list =
                format!(r#"[{{"sha256": "{}", "namespace": "prod", "role": "read", "expires": {bad}}}]"#, hex("x"));
            let c = Config::new(Some("admin-secret"), Some(&list));
            let err = c.tokens_error().unwrap_or_else(|| panic!("accepted {bad}"));
            assert!(err.contains("`expires`") && !err.contains("2026"), "{err}");
            assert_eq!(auth(&c, "Bearer x"), Err(Denied::Unauthorized(INVALID_TOKEN)));
        }
    }

    #[test]
    fn the_cache_parses_each_secret_text_once() {
        let mut cache = Cache::default();
        let list = tokens_json();
        let (first, fresh) = cache.get(Some("admin-secret"), Some(&list));
        assert!(fresh);
        let (again, fresh) = cache.get(Some("admin-secret"), Some(&list));
        assert!(!fresh && Rc::ptr_eq(&first, &again), "the same text is parsed once");
        assert!(again.authenticate(Some("Bearer reader"), NOW).is_ok());
        // Any change to either secret is parsed anew (and takes effect at once).
        let (revoked, fresh) = cache.get(Some("admin-secret"), Some("[]"));
        assert!(fresh);
        assert_eq!(revoked.authenticate(Some("Bearer reader"), NOW), Err(Denied::Unauthorized(INVALID_TOKEN)));
        for (admin, tokens) in [(Some("admin-secreT"), Some("[]")), (None, Some("[]")), (None, None), (Some(""), None)]
        {
            assert!(cache.get(admin, tokens).1, "{admin:?} {tokens:?}");
        }
        // Moving text from one secret to the other is a different key.
        assert_ne!(secrets_key(Some("ab"), Some("c")), secrets_key(Some("a"), Some("bc")));
        assert_ne!(secrets_key(Some(""), None), secrets_key(None, Some("")));
    }

    #[test]
    fn hex_decoding() {
        assert_eq!(decode_hex(&"00".repeat(32)), Some([0; 32]));
        assert_eq!(decode_hex(&"fF".repeat(32)), Some([0xff; 32]));
        assert_eq!(decode_hex(&"0".repeat(63)), None);
        assert_eq!(decode_hex(&"0".repeat(65)), None);
        assert_eq!(decode_hex(&format!("{}+1", "0".repeat(62))), None);
        assert_eq!(decode_hex(&format!("{}é", "0".repeat(62))), None);
    }
}

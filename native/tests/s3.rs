//! The S3 store, URIs, sessions and the CLI against a real S3-compatible server: moto's
//! (`moto_server`, installed by `scripts/test.sh` into `.py-venv`). moto answers conditional
//! writes correctly one request at a time, which is all these tests need; racing writers are
//! tested on the engine's own stores.
//!
//! Without moto the tests say so and pass, unless `NAMIDB_REQUIRE_S3=1` (set by `npm test`),
//! which makes a missing server a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use engine::store::{ObjectStore, PutMode};
use futures::executor::block_on;
use namidb::s3::{S3Config, S3Store};
use namidb::sigv4::Credentials;
use namidb::Session;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Starts moto on a free port and creates `bucket`; `None` when moto is not installed.
fn moto(bucket: &str) -> Option<Moto> {
    let binary = std::env::var_os("NAMIDB_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".py-venv/bin/moto_server"));
    if !binary.exists() {
        assert!(
            std::env::var("NAMIDB_REQUIRE_S3").is_err(),
            "NAMIDB_REQUIRE_S3 is set but {} does not exist (npm test installs it)",
            binary.display()
        );
        eprintln!("skipped: {} not found (npm test installs it)", binary.display());
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(&binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let endpoint = format!("http://127.0.0.1:{port}");
    let moto = Moto { child, endpoint };
    let started = Instant::now();
    while ureq::get(&moto.endpoint).call().is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    ureq::put(&format!("{}/{bucket}", moto.endpoint)).call().expect("create the bucket");
    Some(moto)
}

const ACCESS_KEY: &str = "AKIATESTEXAMPLE";
const SECRET_KEY: &str = "test-secret-never-printed";

fn config(moto: &Moto, bucket: &str, prefix: &str) -> S3Config {
    S3Config {
        bucket: bucket.into(),
        prefix: prefix.into(),
        region: "us-east-1".into(),
        endpoint: Some(moto.endpoint.clone()),
        credentials: Credentials { access_key: ACCESS_KEY.into(), secret_key: SECRET_KEY.into(), session_token: None },
    }
}

fn set_credentials() {
    // The tests of this file agree on these values, so setting them from several threads is benign.
    std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
}

fn rows(body: &str) -> &str {
    &body[body.find("\"rows\":").unwrap() + 7..body.find(",\"stats\"").unwrap()]
}

#[test]
fn the_s3_store_keeps_the_object_store_contract() {
    let Some(moto) = moto("contract") else { return };
    for prefix in ["", "some/prefix"] {
        let store = S3Store::new(config(&moto, "contract", prefix)).unwrap();
        block_on(engine::store::conformance::check(&store));
    }
    // Keys that need encoding survive the round trip, and listing strips the prefix.
    let store = S3Store::new(config(&moto, "contract", "p")).unwrap();
    block_on(store.put("ns/a b+c%é", b"x".to_vec(), PutMode::Create)).unwrap().unwrap();
    let keys: Vec<String> = block_on(store.list("ns/")).unwrap().into_iter().map(|m| m.key).collect();
    assert_eq!(keys, ["ns/a b+c%é"]);
    assert_eq!(block_on(store.get("ns/a b+c%é")).unwrap().unwrap(), b"x");
}

#[test]
fn the_quickstart_through_an_s3_uri_survives_a_new_session_and_checkpoints() {
    let Some(moto) = moto("graphs") else { return };
    set_credentials();
    let uri = format!("s3://graphs/tenants?ns=prod&region=us-east-1&endpoint={}", moto.endpoint);
    let session = Session::open(&uri).unwrap();
    for q in [
        "CREATE (a:Person {name: 'Alice', age: 30})",
        "CREATE (b:Person {name: 'Bob', age: 25})",
        "MATCH (a:Person {name: 'Alice'}), (b:Person {name: 'Bob'}) CREATE (a)-[:KNOWS {since: 2020}]->(b)",
    ] {
        session.request(format!("{{\"query\": {q:?}}}").as_bytes()).unwrap();
    }
    // Enough commits for a checkpoint: the next session opens from a table.
    for i in 0..40 {
        session.request(format!("{{\"query\": \"CREATE (:Filler {{i: {i}}})\"}}").as_bytes()).unwrap();
    }
    session.request(b"{\"query\": \"MATCH (f:Filler) DELETE f\"}").unwrap();
    let again = Session::open(&uri).unwrap();
    let info = again.info().unwrap();
    assert_eq!(info.version, 44);
    assert!(info.tables.0 >= 1, "opened from a checkpoint: {info:?}");
    assert!(info.objects.iter().any(|(kind, n, _)| kind == "sst" && *n >= 1), "{info:?}");
    let body = again
        .request(
            b"{\"query\": \"MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name, p.age AS age ORDER BY name\", \
              \"params\": {\"min\": 18}}",
        )
        .unwrap();
    assert_eq!(rows(&body), "[[\"Alice\",30],[\"Bob\",25]]");
    // The namespace is the folder tenants/prod/ of the bucket, as the Worker lays it out.
    let raw = S3Store::new(config(&moto, "graphs", "")).unwrap();
    let keys: Vec<String> = block_on(raw.list("")).unwrap().into_iter().map(|m| m.key).collect();
    assert!(keys.iter().all(|k| k.starts_with("tenants/prod/")), "{keys:?}");
    assert!(keys.contains(&"tenants/prod/wal/00000000000000000001".to_string()));
}

#[test]
fn golden_files_written_by_the_engine_read_back_through_s3() {
    let Some(moto) = moto("golden") else { return };
    set_credentials();
    let store = S3Store::new(config(&moto, "golden", "")).unwrap();
    let dir = repo().join("engine/testdata/golden-v2");
    let mut folders = vec![dir.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let key = path.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
                block_on(store.put(&key, std::fs::read(&path).unwrap(), PutMode::Create)).unwrap().unwrap();
            }
        }
    }
    let session = Session::open(&format!("s3://golden?ns=golden&region=auto&endpoint={}", moto.endpoint)).unwrap();
    let body = session.request(b"{\"query\": \"MATCH (c:Counter) RETURN count(c), sum(c.i), count(c.even)\"}").unwrap();
    assert_eq!(rows(&body), "[[36,630,18]]");
}

#[test]
fn the_cli_queries_and_describes_an_s3_namespace() {
    let Some(moto) = moto("cli") else { return };
    let uri = format!("s3://cli?ns=prod&region=us-east-1&endpoint={}", moto.endpoint);
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_namidb"))
            .args(args)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .output()
            .unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!stdout.contains(SECRET_KEY) && !stderr.contains(SECRET_KEY));
        (out.status.code(), stdout.into_owned(), stderr.into_owned())
    };
    let (code, out, _) =
        cli(&["query", &uri, "CREATE (:Person {name: 'Alice', age: 30}), (:Person {name: 'Bob', age: 25})"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("(0 rows), labels added: 1, nodes created: 2, properties set: 4"), "{out}");
    let (code, out, _) = cli(&[
        "query",
        &uri,
        "MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name ORDER BY name",
        "--param",
        "min=18",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(out, "| name  |\n|-------|\n| Alice |\n| Bob   |\n(2 rows)\n");
    let (code, _, err) = cli(&["query", &uri, "MATCH (p:Person) RETURN q"]);
    assert_eq!(code, Some(1));
    assert_eq!(err, "SyntaxError: variable `q` not defined (line 1, column 25)\n");
    let (code, out, _) = cli(&["info", &uri]);
    assert_eq!(code, Some(0));
    assert!(out.contains("version   1\n") && out.contains("wal       1 object"), "{out}");
    // The shell: statements end with `;` and may span lines; history goes to $HOME.
    let home = std::env::temp_dir().join(format!("namidb-shell-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut shell = Command::new(env!("CARGO_BIN_EXE_namidb"))
        .args(["shell", &uri])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        shell.stdin.as_mut().unwrap(),
        b"MATCH (p:Person)\nRETURN count(p) AS people;\nRETURN nope;\n:quit\n",
    )
    .unwrap();
    let out = shell.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("| people |\n|--------|\n| 2      |\n(1 row)"), "{stdout}");
    assert!(stderr.contains("SyntaxError: variable `nope` not defined"), "{stderr}");
    let history = std::fs::read_to_string(home.join(".namidb_history")).unwrap_or_default();
    assert!(history.contains("RETURN nope;"), "{history:?}");
    std::fs::remove_dir_all(&home).unwrap();
    let (code, _, err) = cli(&["query", "s3://cli?ns=prod", "RETURN 1"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("region"), "{err}");
}

/// A fault-injecting proxy in front of moto: it answers the first `fail` requests with `status`
/// and an S3 error body naming `code`, then forwards requests to `upstream`. One request per
/// connection (it answers `Connection: close`). Returns its endpoint and its request counter.
fn faulty_proxy(upstream: &str, status: u16, code: &'static str, fail: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_string();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let Some((head, body)) = read_message(&mut conn, false) else { continue };
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            let reply = if n <= fail {
                let xml = format!("<Error><Code>{code}</Code></Error>");
                format!("HTTP/1.1 {status} Injected\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}", xml.len())
                    .into_bytes()
            } else {
                let mut up = TcpStream::connect(&upstream).unwrap();
                up.write_all(&head).unwrap();
                up.write_all(&body).unwrap();
                let is_head = head.starts_with(b"HEAD ");
                let (rhead, rbody) = read_message(&mut up, is_head).unwrap();
                let text = String::from_utf8_lossy(&rhead).into_owned();
                let mut lines: Vec<&str> =
                    text.split("\r\n").filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).collect();
                lines.retain(|l| !l.is_empty());
                let mut out = format!("{}\r\nConnection: close\r\n\r\n", lines.join("\r\n")).into_bytes();
                out.extend_from_slice(&rbody);
                out
            };
            let _ = conn.write_all(&reply);
        }
    });
    (endpoint, seen)
}

/// Reads one HTTP message: its head (through the blank line) and a `Content-Length` body.
fn read_message(stream: &mut TcpStream, head_only: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let len = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; if head_only { 0 } else { len }];
    stream.read_exact(&mut body).ok()?;
    Some((head, body))
}

#[test]
fn throttling_and_conditional_conflicts_are_retried_and_ambiguous_failures_are_not() {
    let Some(moto) = moto("faults") else { return };
    let store_via = |endpoint: &str| {
        let mut c = config(&moto, "faults", "");
        c.endpoint = Some(endpoint.to_string());
        S3Store::new(c).unwrap()
    };
    // 503 SlowDown twice, then the PUT goes through: three requests in all.
    let (endpoint, seen) = faulty_proxy(&moto.endpoint, 503, "SlowDown", 2);
    let store = store_via(&endpoint);
    assert!(block_on(store.put("ns/a", b"1".to_vec(), PutMode::Create)).unwrap().is_some());
    assert_eq!(seen.load(Ordering::SeqCst), 3);
    // 409 ConditionalRequestConflict on a conditional PUT is retried; the condition then holds.
    let (endpoint, seen) = faulty_proxy(&moto.endpoint, 409, "ConditionalRequestConflict", 1);
    let store = store_via(&endpoint);
    assert_eq!(block_on(store.put("ns/a", b"2".to_vec(), PutMode::Create)).unwrap(), None, "exists");
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    // 429 on a read is retried.
    let (endpoint, seen) = faulty_proxy(&moto.endpoint, 429, "TooManyRequests", 1);
    assert_eq!(block_on(store_via(&endpoint).get("ns/a")).unwrap().unwrap(), b"1");
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    // Throttled for good: a bounded number of attempts, then an error naming the status.
    let (endpoint, seen) = faulty_proxy(&moto.endpoint, 503, "SlowDown", usize::MAX);
    let e = block_on(store_via(&endpoint).get("ns/a")).unwrap_err();
    assert!(e.0.contains("HTTP 503 SlowDown"), "{e}");
    assert_eq!(seen.load(Ordering::SeqCst), 5);
    // A 500 on a PUT may have landed: not retried, reported, for the engine to resolve.
    let (endpoint, seen) = faulty_proxy(&moto.endpoint, 500, "InternalError", 1);
    assert!(block_on(store_via(&endpoint).put("ns/b", b"1".to_vec(), PutMode::Create)).is_err());
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

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
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

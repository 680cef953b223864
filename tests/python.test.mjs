// The Python client (python/) against the real Worker: installs the package with pip into
// out/python-namidb (the interpreter is the .py-venv that scripts/test.sh makes, with pandas),
// runs the seed's Python quickstart unchanged except for its URL and prints its DataFrame, then
// runs tests/python/test_client.py (value round trips, errors, retries) with unittest.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import net from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startWorker, TOKEN, ROOT } from "./harness.mjs";

const run = promisify(execFile);
const PYTHON = path.join(ROOT, ".py-venv", "bin", "python");
const TARGET = path.join(ROOT, "out", "python-namidb");
const SEED_URL = "http://127.0.0.1:8787?ns=prod";

let w;
before(async () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing (npm test makes it)`);
  // npm test builds the package once (scripts/build-python.sh) and says so; run alone, this
  // file builds it itself (a few minutes cold: the engine extension compiles).
  if (process.env.NAMIDB_PYTHON_BUILT !== "1") {
    await run("bash", [path.join(ROOT, "scripts", "build-python.sh")], { timeout: 1_200_000 });
  }
  assert.ok(existsSync(path.join(TARGET, "namidb")), `${TARGET} has no namidb package`);
  w = await startWorker();
  // A corrupt commit record: every request on namespace "pysick" is a real 503 Unavailable.
  await (await w.bucket()).put("pysick/wal/00000000000000000001", "not a commit record");
});
after(async () => { await w?.close(); });

/** Runs python with the installed package (from a directory where ./python is not importable). */
function python(args, env = {}) {
  return run(PYTHON, args, { cwd: tmpdir(), timeout: 110_000, env: { ...process.env, PYTHONPATH: TARGET, ...env } })
    .catch((e) => { throw new Error(`python ${args.join(" ")} failed (${e.code}):\n${e.stdout}\n${e.stderr}`); });
}

test("python: the seed quickstart, unchanged but for the URL, prints the DataFrame", async () => {
  const seed = readFileSync(path.join(ROOT, "tests", "python", "quickstart.py"), "utf8");
  assert.equal(seed.split(SEED_URL).length, 2, `the quickstart must contain ${SEED_URL} once`);
  const { stdout } = await python(["-c", seed.replace(SEED_URL, `${w.url}?ns=prod`)]);
  console.log(stdout);
  const lines = stdout.trim().split("\n").map((l) => l.trim().split(/\s+/));
  assert.deepEqual(lines[0], ["name", "age"]);
  assert.deepEqual(lines.slice(1).map((l) => l.slice(1)).sort(), [["Alice", "30"], ["Bob", "25"]]);
});

test("python: value round trips, errors and retries (tests/python/test_client.py)", async () => {
  const { stderr } = await python(["-m", "unittest", "discover", "-v", "-s", path.join(ROOT, "tests", "python"), "-p", "test_client.py"],
    { NAMIDB_URL: w.url, NAMIDB_TOKEN: TOKEN });
  console.log(stderr);
  const ran = /^Ran (\d+) tests? in/m.exec(stderr);
  assert.ok(ran && Number(ran[1]) >= 14, `expected at least 14 Python tests:\n${stderr}`);
  assert.match(stderr, /^OK$/m);
});

test("python: in-process file:// and memory:// clients (tests/python/test_native.py)", async () => {
  const { stderr } = await python(["-m", "unittest", "discover", "-v", "-s", path.join(ROOT, "tests", "python"), "-p", "test_native.py"]);
  console.log(stderr);
  assert.match(stderr, /^Ran 3 tests in/m);
  assert.match(stderr, /^OK$/m);
});

test("python: the seed's s3:// notebook quickstart against a local S3 server, then a new process reads it back", async () => {
  const moto = path.join(ROOT, ".py-venv", "bin", "moto_server");
  assert.ok(existsSync(moto), `${moto} is missing (npm test installs it)`);
  const port = await new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
  const server = spawn(moto, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  try {
    const endpoint = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try { await fetch(endpoint); break; } catch (e) { if (i > 300) throw e; await new Promise((r) => setTimeout(r, 100)); }
    }
    assert.equal((await fetch(`${endpoint}/my-bucket`, { method: "PUT" })).status, 200);
    const env = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "example-secret" };
    const URI = "s3://my-bucket/data?ns=prod&region=us-east-1";
    const seed = readFileSync(path.join(ROOT, "tests", "python", "quickstart_s3.py"), "utf8");
    assert.equal(seed.split(URI).length, 2, `the quickstart must contain ${URI} once`);
    const uri = `${URI}&endpoint=${endpoint}`;
    const { stdout } = await python(["-c", seed.replace(URI, uri)], env);
    console.log(stdout);
    const lines = stdout.trim().split("\n").map((l) => l.trim().split(/\s+/));
    assert.deepEqual(lines[0], ["name", "age"]);
    assert.deepEqual(lines.slice(1).map((l) => l.slice(1)).sort(), [["Alice", "30"], ["Bob", "25"]]);
    // A new process on the same URI: the graph is in the bucket, under data/prod/.
    const again = await python(["-c", `import namidb as tg
r = tg.Client(${JSON.stringify(uri)}).cypher("MATCH (a:Person)-[k:KNOWS]->(b) RETURN a.name, k.since, b.name")
print(r.rows)`], env);
    assert.equal(again.stdout.trim(), "[['Alice', 2020, 'Bob']]");
    const list = await (await fetch(`${endpoint}/my-bucket?list-type=2&prefix=data/prod/wal/`)).text();
    assert.match(list, /<Key>data\/prod\/wal\/00000000000000000003<\/Key>/);
  } finally {
    server.kill();
  }
});

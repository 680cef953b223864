// The Python client (python/) against the real Worker: installs the package with pip into
// out/python-namidb (the interpreter is the .py-venv that scripts/test.sh makes, with pandas),
// runs the seed's Python quickstart unchanged except for its URL and prints its DataFrame, then
// runs tests/python/test_client.py (value round trips, errors, retries) with unittest.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
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
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing: run scripts/setup.sh (npm test does)`);
  rmSync(TARGET, { recursive: true, force: true });
  // setup.sh put setuptools in the venv, so this builds offline.
  await run(PYTHON, ["-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-build-isolation", "--no-deps",
    "--target", TARGET, path.join(ROOT, "python")], { timeout: 120_000 });
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

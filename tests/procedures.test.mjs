// The test-only fixture endpoint POST /tck/procedure: a procedure registered over HTTP is
// callable from /cypher in that namespace only, and the path does not exist in production.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createTestHarness } from "wrangler";
import { startWorker, assertOk, assertError, parseResponse, ROOT, TOKEN } from "./harness.mjs";

const MY_PROC = {
  signature: "test.my.proc(name :: STRING?, id :: INTEGER?) :: (city :: STRING?, country_code :: INTEGER?)",
  columns: ["name", "id", "city", "country_code"],
  rows: [["Stefan", 1, "Berlin", 49], ["Stefan", 2, "München", 49], ["Petra", 1, "London", 44]],
};

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

const register = (ns, proc, opts) => w.post(`/tck/procedure?ns=${ns}`, JSON.stringify(proc), opts);

test("a registered procedure is callable standalone, in a query and with implicit arguments", async () => {
  const ns = `proc-${Date.now()}`;
  const reg = await register(ns, MY_PROC);
  assert.equal(reg.status, 200, reg.text);

  const standalone = assertOk(await w.cypher(ns, "CALL test.my.proc('Stefan', 1)"));
  assert.deepEqual(standalone.columns, ["city", "country_code"]);
  assert.deepEqual(standalone.rows, [["Berlin", 49]]);

  const inQuery = assertOk(await w.cypher(ns,
    "UNWIND [1, 2] AS id CALL test.my.proc('Stefan', id) YIELD city AS c RETURN id, c ORDER BY id"));
  assert.deepEqual(inQuery.rows, [[1, "Berlin"], [2, "München"]]);

  const implicit = assertOk(await w.cypher(ns, "CALL test.my.proc", { name: "Petra", id: 1 }));
  assert.deepEqual(implicit.rows, [["London", 44]]);

  const err = assertError(await w.cypher(ns, "CALL test.my.proc('Stefan')"), 400, "SyntaxError");
  assert.equal(err.detail, "InvalidNumberOfArguments");
});

test("procedures belong to their namespace", async () => {
  const ns = `proc-a-${Date.now()}`;
  assert.equal((await register(ns, MY_PROC)).status, 200);
  const err = assertError(await w.cypher(`proc-b-${Date.now()}`, "CALL test.my.proc('Stefan', 1)"), 400,
    "ProcedureError");
  assert.equal(err.detail, "ProcedureNotFound");
});

test("the endpoint needs the bearer token and a well-formed body", async () => {
  assertError(await register("proc-auth", MY_PROC, { token: null }), 401, "Unauthorized");
  assertError(await register("proc-bad", { ...MY_PROC, signature: "test.my.proc(" }), 400, "InvalidRequest");
  assertError(await register("proc-bad", { ...MY_PROC, rows: [["Stefan"]] }), 400, "InvalidRequest");
});

test("without NAMIDB_TEST_PROCEDURES=1 the endpoint is 404", async () => {
  const server = createTestHarness({
    root: ROOT,
    workers: [{ configPath: "./wrangler.toml", prebuiltWorkerDir: "./dist",
                vars: { NAMIDB_TEST_PROCEDURES: "0" }, secrets: { NAMIDB_ADMIN_TOKEN: TOKEN } }],
  });
  const { url } = await server.listen();
  try {
    const res = await parseResponse(await fetch(`${String(url).replace(/\/$/, "")}/tck/procedure?ns=prod`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(MY_PROC),
    }));
    assertError(res, 404, "NotFound");
  } finally {
    await server.close();
  }
});

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, parseResponse, assertOk, assertError } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

const query = JSON.stringify({ query: "RETURN 1 AS one" });

test("missing token -> 401 Unauthorized", async () => {
  assertError(await w.post("/cypher?ns=prod", query, { token: null }), 401, "Unauthorized");
});

test("wrong token -> 401 Unauthorized", async () => {
  assertError(await w.post("/cypher?ns=prod", query, { token: "not-the-token" }), 401, "Unauthorized");
});

for (const [name, path] of [
  ["uppercase", "/cypher?ns=Bad"],
  ["slash", "/cypher?ns=a/b"],
  ["dot-dot", "/cypher?ns=.."],
  ["missing", "/cypher"],
  ["empty", "/cypher?ns="],
  ["64 chars", `/cypher?ns=${"a".repeat(64)}`],
  ["leading dash", "/cypher?ns=-abc"],
]) {
  test(`bad namespace (${name}) -> 400 InvalidNamespace`, async () => {
    assertError(await w.post(path, query), 400, "InvalidNamespace");
  });
}

test("a 63-character namespace is fine", async () => {
  assertOk(await w.post(`/cypher?ns=${"a".repeat(63)}`, query));
});

test("malformed JSON body -> 400 InvalidRequest", async () => {
  assertError(await w.post("/cypher?ns=prod", '{"query": "RETURN 1'), 400, "InvalidRequest");
});

test("syntax error -> 400 SyntaxError with a position", async () => {
  const err = assertError(await w.cypher("prod", "CREATE (a"), 400, "SyntaxError");
  assert.equal(typeof err.position, "object", JSON.stringify(err));
  for (const k of ["offset", "line", "column"]) assert.ok(Number.isInteger(err.position?.[k]), `position.${k}: ${JSON.stringify(err)}`);
});

test("unknown path -> 404 NotFound", async () => {
  assertError(await parseResponse(await w.fetch("/no/such/path")), 404, "NotFound");
});

test("GET /cypher -> 405 MethodNotAllowed", async () => {
  assertError(await w.post("/cypher?ns=prod", "", { method: "GET" }), 405, "MethodNotAllowed");
});

test("after all the errors, a normal query on the same Worker still succeeds", async () => {
  const res = assertOk(await w.post("/cypher?ns=prod", query));
  assert.deepEqual(res.columns, ["one"]);
  assert.deepEqual(res.rows, [[1]]);
});

// Hostile and malformed requests: each gets the contract's JSON error with the right status,
// nothing is written, and the Worker keeps serving (no panic, no "Worker hung" 500).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, assertOk, assertError, parseResponse, TOKEN } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

const NS = "hostile";

async function raw(body, headers = {}) {
  const res = await fetch(`${w.url}/cypher?ns=${NS}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
    body,
  });
  return parseResponse(res);
}

const CASES = [
  ["empty body", () => raw(""), 400, "InvalidRequest"],
  ["JSON of the wrong shape (array)", () => raw("[1, 2]"), 400, "InvalidRequest"],
  ["query is not a string", () => raw('{"query": 42}'), 400, "InvalidRequest"],
  ["params is not an object", () => raw('{"query": "RETURN 1", "params": [1]}'), 400, "InvalidRequest"],
  ["unknown field", () => raw('{"query": "RETURN 1", "paramz": {}}'), 400, "InvalidRequest"],
  ["invalid UTF-8", () => raw(Buffer.from([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x7d])), 400, "InvalidRequest"],
  ["integer beyond 64 bits in params", () => raw('{"query": "RETURN $x", "params": {"x": 9223372036854775808}}'), 400, "InvalidRequest"],
  ["non-JSON content type", () => raw('{"query": "RETURN 1"}', { "content-type": "text/plain" }), 400, "InvalidRequest"],
  ["a 10 MB body", () => raw(JSON.stringify({ query: "RETURN 1", params: { pad: "x".repeat(10 * 1024 * 1024) } })), 413, "PayloadTooLarge"],
  ["a 1 MB query", () => raw(JSON.stringify({ query: "RETURN 1 " + "+ 1 ".repeat(256 * 1024) })), 413, "PayloadTooLarge"],
  ["10,000 nested parentheses", () => raw(JSON.stringify({ query: "RETURN " + "(".repeat(10000) + "1" + ")".repeat(10000) })), 400, "SyntaxError"],
  ["10,000 nested lists", () => raw(JSON.stringify({ query: "RETURN " + "[".repeat(10000) + "]".repeat(10000) })), 400, "SyntaxError"],
  ["JSON nested 100,000 deep", () => raw('{"query": "RETURN 1", "params": {"p": ' + "[".repeat(100000) + "]".repeat(100000) + "}}"), 400, "InvalidRequest"],
  ["missing parameter", () => raw('{"query": "RETURN $nope"}'), 400, "ParameterMissing"],
  ["undefined variable in a write", () => raw('{"query": "CREATE (a) SET b.x = 1"}'), 400, "SyntaxError"],
  // Built at run time, a list nested 20,000 deep used to overflow the wasm stack and kill the isolate.
  ["a list nested 20,000 deep", () => raw(JSON.stringify({ query: "CREATE (:Evil) RETURN size(reduce(a = [], x IN range(1, 20000) | [a]))" })),
    422, "LimitExceeded"],
];

for (const [name, send, status, code] of CASES) {
  test(`${name} -> ${status} ${code}`, async () => {
    assertError(await send(), status, code);
  });
}

test("a 100,000-element parameter list is handled", async () => {
  const list = Array.from({ length: 100000 }, (_, i) => i);
  const res = assertOk(await w.cypher(NS, "RETURN size($l) AS n, $l[99999] AS last", { l: list }));
  assert.deepEqual(res.rows, [[100000, 99999]]);
});

test("nothing was written by any of the failures, and the Worker still serves", async () => {
  const res = assertOk(await w.cypher(NS, "MATCH (n) RETURN count(n) AS c"));
  assert.deepEqual(res.rows, [[0]]);
  assertOk(await w.cypher(NS, "CREATE (:Alive)"));
});

// The JS client (js/, built to js/dist by `tsc -p js`, a step of npm test) against the real
// Worker on workerd with local R2: the seed quickstart, every value type of the contract both
// ways, errors, a real 503 Unavailable retried, and racing writers. Only the last group is a
// unit test of the retry loop with a scripted fetcher, and says so.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { startWorker, QUICKSTART, TOKEN } from "./harness.mjs";

let namidb;
try {
  namidb = await import("../js/dist/index.js");
} catch (e) {
  throw new Error(`js/dist is missing: build the client with \`npx tsc -p js\` (npm test does): ${e.message}`);
}
const { Client, NamiDBError, Node, Relationship, Path, Temporal, float, date, time, localtime, datetime, localdatetime, duration } = namidb;

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

const client = (ns, options = {}) => new Client({ url: w.url, token: TOKEN, namespace: ns, ...options });

test("the seed quickstart through Client.fromUrl", async () => {
  const db = Client.fromUrl(`${w.url}/?ns=prod`, { token: TOKEN });
  const [alice, bob, knows, people] = QUICKSTART;
  const r1 = await db.cypher(alice.query);
  assert.equal(r1.stats.nodes_created, 1);
  assert.equal(r1.stats.properties_set, 2);
  assert.equal((await db.cypher(bob.query)).stats.nodes_created, 1);
  assert.equal((await db.cypher(knows.query)).stats.relationships_created, 1);

  const result = await db.cypher(people.query, people.params);
  assert.deepEqual(result.columns, ["name", "age"]);
  const byName = (a, b) => (a.name < b.name ? -1 : 1);
  assert.deepEqual(result.records().sort(byName), [{ name: "Alice", age: 30 }, { name: "Bob", age: 25 }]);
  assert.deepEqual([...result.rows].sort((a, b) => (a[0] < b[0] ? -1 : 1)), [["Alice", 30], ["Bob", 25]]);
  assert.equal(result.stats.nodes_created, 0);
  assert.equal(result.meta.version, 3, JSON.stringify(result.meta)); // three commits so far
  assert.equal(result.attempts, 1);
});

test("nodes, relationships and paths come back as Node, Relationship and Path", async () => {
  const db = client("prod");
  const [row] = (await db.cypher("MATCH p = (a:Person)-[k:KNOWS]->(b:Person) RETURN a, k, b, p")).rows;
  const [a, k, b, p] = row;
  assert.ok(a instanceof Node && b instanceof Node && k instanceof Relationship && p instanceof Path);
  assert.deepEqual([a.labels, a.properties], [["Person"], { name: "Alice", age: 30 }]);
  assert.deepEqual([b.labels, b.properties], [["Person"], { name: "Bob", age: 25 }]);
  assert.equal(typeof a.id, "string");
  assert.deepEqual([k.type, k.start, k.end, k.properties], ["KNOWS", a.id, b.id, { since: 2020 }]);
  assert.deepEqual(p.nodes.map((n) => n.id), [a.id, b.id]);
  assert.deepEqual(p.relationships.map((r) => r.id), [k.id]);
  assert.equal(p.length, 1);
  assert.equal(p.start.id, a.id);
  assert.equal(p.end.id, b.id);

  // A path walked against a relationship's direction: the relationship keeps its own start/end.
  const [[back]] = (await db.cypher("MATCH p = (b:Person {name: 'Bob'})<-[:KNOWS]-(a) RETURN p")).rows;
  assert.deepEqual(back.nodes.map((n) => n.properties.name), ["Bob", "Alice"]);
  assert.equal(back.relationships[0].start, back.nodes[1].id);
});

test("a service binding: any object with fetch(), here one that forwards to the Worker", async () => {
  const seen = [];
  const binding = {
    fetch(input, init) {
      const u = new URL(input);
      seen.push(u.pathname + u.search);
      return fetch(w.url + u.pathname + u.search, init);
    },
  };
  const db = new Client({ fetcher: binding, token: TOKEN, namespace: "prod" });
  const { rows } = await db.cypher("MATCH (p:Person) RETURN count(p) AS n");
  assert.deepEqual(rows, [[2]]);
  assert.deepEqual(seen, ["/cypher?ns=prod"]);
});

// Every value type of the contract, sent as a parameter and returned by the server as it was.
// With integers: "bigint", INTEGER comes back as bigint and FLOAT as number: the distinction is total.
const ROUND_TRIPS = [
  ["null", null, null],
  ["true", true, true],
  ["false", false, false],
  ["string", "héllo \"wörld\"\n\t\\ 🌊", "héllo \"wörld\"\n\t\\ 🌊"],
  ["integer 0", 0, 0n],
  ["integer -42", -42, -42n],
  ["integer 2^53+1 (bigint)", 9007199254740993n, 9007199254740993n],
  ["integer max", 9223372036854775807n, 9223372036854775807n],
  ["integer min", -9223372036854775808n, -9223372036854775808n],
  ["float 1.5", 1.5, 1.5],
  ["float 1.0 (float(1))", float(1), 1],
  ["float -0.0", -0, -0],
  ["float 1e300", 1e300, 1e300],
  ["float 5e-324", 5e-324, 5e-324],
  ["float NaN", NaN, NaN],
  ["float Infinity", Infinity, Infinity],
  ["float -Infinity", -Infinity, -Infinity],
  ["list", [1, 2.5, "a", null, [true]], [1n, 2.5, "a", null, [true]]],
  ["map", { a: 1, b: { c: [float(2)] }, "odd key": "x" }, { a: 1n, b: { c: [2] }, "odd key": "x" }],
  ["date", date("1984-10-11"), date("1984-10-11")],
  ["time", time("12:00+01:00"), time("12:00+01:00")],
  ["localtime", localtime("12:34:56.123456789"), localtime("12:34:56.123456789")],
  ["datetime", datetime("2015-07-21T21:40:32.142+01:00"), datetime("2015-07-21T21:40:32.142+01:00")],
  ["localdatetime", localdatetime("2015-07-21T21:40:32.142"), localdatetime("2015-07-21T21:40:32.142")],
  ["duration", duration("P1Y2M10DT12H45M30.25S"), duration("P1Y2M10DT12H45M30.25S")],
];

for (const [name, sent, expected] of ROUND_TRIPS) {
  test(`round trip: ${name}`, async () => {
    const db = client("values", { integers: "bigint" });
    const { rows } = await db.cypher("RETURN $x AS x", { x: sent });
    assert.deepEqual(rows, [[expected]]);
    if (Object.is(expected, -0)) assert.ok(Object.is(rows[0][0], -0), "-0.0 came back as +0");
  });
}

test("round trip: a property stored and read back keeps INTEGER vs FLOAT", async () => {
  const db = client("values", { integers: "bigint" });
  await db.cypher("CREATE (:V {i: $i, f: $f, big: $big})", { i: 1, f: float(1), big: 2n ** 62n });
  const { rows } = await db.cypher("MATCH (v:V) RETURN v.i AS i, v.f AS f, v.big AS big, toString(v.f) AS fs, toString(v.i) AS istr");
  assert.deepEqual(rows, [[1n, 1, 2n ** 62n, "1.0", "1"]]);
});

test("integers: 'auto' gives a number when exact and a bigint beyond 2^53", async () => {
  const db = client("values");
  const { rows } = await db.cypher("RETURN 42 AS small, 9007199254740991 AS edge, 9007199254740993 AS big, -9223372036854775808 AS min, 2.0 AS f");
  assert.deepEqual(rows, [[42, 9007199254740991, 9007199254740993n, -9223372036854775808n, 2]]);
  assert.equal(typeof rows[0][0], "number");
  assert.equal(typeof rows[0][2], "bigint");
});

test("temporals: server-computed values decode, and a JS Date is sent as a DATETIME", async () => {
  const db = client("values");
  const { rows: [[d, dt, dur]] } = await db.cypher(
    "RETURN date('2020-02-29') + duration('P1D') AS d, $when AS dt, duration({hours: 36}) AS dur",
    { when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)) });
  assert.ok(d instanceof Temporal && dt instanceof Temporal && dur instanceof Temporal);
  assert.deepEqual([d.kind, d.text], ["date", "2020-03-01"]);
  assert.equal(dt.kind, "datetime");
  assert.equal(dt.toDate().toISOString(), "2024-01-02T03:04:05.678Z");
  assert.equal(d.toDate().toISOString(), "2020-03-01T00:00:00.000Z");
  assert.deepEqual([dur.kind, dur.text], ["duration", "PT36H"]);
});

test("a bigint outside 64 bits is refused before sending", async () => {
  await assert.rejects(client("values").cypher("RETURN $x", { x: 2n ** 63n }), RangeError);
});

test("SyntaxError: NamiDBError with code, status and position", async () => {
  const err = await client("prod").cypher("MATCH (n) RETURN x").catch((e) => e);
  assert.ok(err instanceof NamiDBError && err instanceof Error, String(err));
  assert.equal(err.code, "SyntaxError");
  assert.equal(err.status, 400);
  assert.equal(err.detail, "UndefinedVariable");
  assert.deepEqual(err.position, { offset: 17, line: 1, column: 18 });
  assert.equal(err.retryable, false);
  assert.equal(err.attempts, 1);
  assert.match(err.message, /x/);
});

for (const [name, make, query, status, code] of [
  ["wrong token", () => new Client({ url: w.url, token: "nope", namespace: "prod" }), "RETURN 1", 401, "Unauthorized"],
  ["no token", () => new Client({ url: w.url, namespace: "prod" }), "RETURN 1", 401, "Unauthorized"],
  ["bad namespace", () => client("Not-Allowed"), "RETURN 1", 400, "InvalidNamespace"],
  ["missing parameter", () => client("prod"), "RETURN $nope", 400, "ParameterMissing"],
  ["a node as a parameter", () => client("prod"), "RETURN $n", 400, "InvalidRequest"],
  ["integer overflow", () => client("prod"), "RETURN 9223372036854775807 + 1", 400, "ArithmeticError"],
]) {
  test(`error: ${name} -> ${status} ${code}, not retried`, async () => {
    const params = name === "a node as a parameter" ? { n: new Node("1", ["X"], {}) } : undefined;
    const err = await make().cypher(query, params).catch((e) => e);
    assert.ok(err instanceof NamiDBError, String(err));
    assert.equal(err.status, status, err.message);
    assert.equal(err.code, code, err.message);
    assert.equal(err.attempts, 1);
  });
}

test("ConnectionError: nothing listening; not retried (a write may have landed)", async () => {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
  const retries = [];
  const db = new Client({ url: `http://127.0.0.1:${port}`, namespace: "prod", onRetry: (i) => retries.push(i) });
  const err = await db.cypher("RETURN 1").catch((e) => e);
  assert.ok(err instanceof NamiDBError, String(err));
  assert.deepEqual([err.code, err.status, err.attempts, retries.length], ["ConnectionError", 0, 1, 0]);
});

// A real Unavailable: a corrupt commit record planted in the namespace makes the Worker's open
// fail with 503 Unavailable. The client retries; the first retry's hook removes the object.
const CORRUPT = (ns) => `${ns}/wal/00000000000000000001`;

test("Unavailable (real 503) is retried with backoff, and the write lands once", async () => {
  const bucket = await w.bucket();
  await bucket.put(CORRUPT("sick"), "not a commit record");
  const retries = [];
  const db = client("sick", {
    retry: { baseMs: 20 },
    onRetry: async (info) => { retries.push(info); await bucket.delete(CORRUPT("sick")); },
  });
  const result = await db.cypher("CREATE (:Patient {name: 'Ann'})");
  assert.equal(result.attempts, 2);
  assert.equal(retries.length, 1);
  assert.equal(retries[0].error.code, "Unavailable");
  assert.equal(retries[0].error.status, 503);
  assert.ok(retries[0].delayMs >= 0 && retries[0].delayMs < 20, `first backoff ${retries[0].delayMs} not in [0, 20)`);
  assert.deepEqual((await db.cypher("MATCH (p:Patient) RETURN p.name AS name")).rows, [["Ann"]]);
});

test("Unavailable that persists: bounded retries, then the error with its attempt count", async () => {
  const bucket = await w.bucket();
  await bucket.put(CORRUPT("sicker"), "not a commit record");
  const delays = [];
  const db = client("sicker", { retry: { attempts: 4, baseMs: 10, maxMs: 25 }, onRetry: (i) => delays.push(i.delayMs) });
  const t0 = Date.now();
  const err = await db.cypher("CREATE ()").catch((e) => e);
  assert.ok(err instanceof NamiDBError, String(err));
  assert.deepEqual([err.code, err.status, err.attempts], ["Unavailable", 503, 4]);
  assert.equal(delays.length, 3);
  delays.forEach((d, i) => assert.ok(d >= 0 && d < Math.min(25, 10 * 2 ** i), `backoff ${i + 1} = ${d}`));
  assert.ok(Date.now() - t0 < 5000);
});

test("racing clients: every increment acknowledged and counted once (commit races are real)", async () => {
  const CLIENTS = 6, EACH = 30;
  await client("race").cypher("CREATE (:Counter {n: 0})");
  const attempts = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const db = client("race");
    const seen = [];
    for (let i = 0; i < EACH; i++) seen.push((await db.cypher("MATCH (c:Counter) SET c.n = c.n + 1")).meta.attempts);
    return seen;
  }));
  const { rows } = await client("race").cypher("MATCH (c:Counter) RETURN c.n AS n");
  assert.deepEqual(rows, [[CLIENTS * EACH]]);
  const executions = attempts.flat().reduce((a, b) => a + b, 0);
  assert.ok(executions > CLIENTS * EACH, "the clients never raced, so this proves nothing");
});

// ---- Unit tests of the retry loop: a scripted fetcher stands in for the server (a real Conflict
// needs a write to lose its commit race 32 times in a row inside the Worker, which no test can
// arrange reliably). The loop, the codes it retries and the backoff bounds are what is tested.
const answer = (status, body) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const failure = (status, code) => answer(status, { error: { code, message: `scripted ${code}` } });
const success = answer.bind(null, 200, { columns: ["x"], rows: [[1]], stats: {}, meta: {} });

function scripted(responses) {
  const calls = [];
  return { calls, fetch: async (input, init) => { calls.push({ input, init }); return responses.shift()(); } };
}

test("unit (retry loop, scripted fetcher): Conflict twice then success; full-jitter delays", async () => {
  const fetcher = scripted([() => failure(409, "Conflict"), () => failure(409, "Conflict"), success]);
  const slept = [];
  const db = new Client({ fetcher, namespace: "n", retry: { baseMs: 100, maxMs: 150 }, random: () => 0.999,
                          sleep: async (ms) => { slept.push(ms); } });
  const result = await db.cypher("RETURN 1 AS x");
  assert.deepEqual(result.rows, [[1]]);
  assert.equal(result.attempts, 3);
  assert.equal(fetcher.calls.length, 3);
  assert.deepEqual(slept, [99, 149]); // < baseMs, then < min(maxMs, 2 * baseMs)
  assert.equal(fetcher.calls[0].init.body, fetcher.calls[2].init.body);
});

test("unit (retry loop, scripted fetcher): only Conflict and Unavailable are retried", async () => {
  for (const [status, code] of [[409, "Fenced"], [500, "Internal"], [400, "SyntaxError"], [422, "LimitExceeded"]]) {
    const fetcher = scripted([() => failure(status, code), success]);
    const db = new Client({ fetcher, namespace: "n", sleep: async () => {} });
    const err = await db.cypher("RETURN 1").catch((e) => e);
    assert.equal(err.code, code);
    assert.equal(fetcher.calls.length, 1, `${code} must not be retried`);
  }
  const fetcher = scripted([() => failure(503, "Unavailable"), success]);
  const db = new Client({ fetcher, namespace: "n", sleep: async () => {} });
  assert.equal((await db.cypher("RETURN 1")).attempts, 2);
});

test("unit (retry loop, scripted fetcher): attempts: 1 never retries; a non-JSON answer is BadResponse", async () => {
  const once = scripted([() => failure(409, "Conflict"), success]);
  const err = await new Client({ fetcher: once, namespace: "n", retry: { attempts: 1 } }).cypher("RETURN 1").catch((e) => e);
  assert.deepEqual([err.code, err.attempts, once.calls.length], ["Conflict", 1, 1]);
  const html = scripted([() => new Response("<html>bad gateway</html>", { status: 502 })]);
  const bad = await new Client({ fetcher: html, namespace: "n" }).cypher("RETURN 1").catch((e) => e);
  assert.deepEqual([bad.code, bad.status], ["BadResponse", 502]);
});

// Concurrent writers through the Worker on workerd's local R2: commits race on create-if-absent
// of the next WAL record, losers re-execute, and the result is serializable.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, assertOk } from "./harness.mjs";

const CLIENTS = 8;

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

/** Runs `perClient(client)` for every client at once; returns the responses' meta.attempts. */
async function concurrently(perClient) {
  return (await Promise.all(Array.from({ length: CLIENTS }, (_, c) => perClient(c)))).flat();
}

test("8 clients x 100 increments: every one acknowledged and counted once", async () => {
  assertOk(await w.cypher("counter", "CREATE (:Counter {id: 1, n: 0})"));
  const attempts = await concurrently(async () => {
    const seen = [];
    for (let i = 0; i < 100; i++) {
      const res = await w.cypher("counter", "MATCH (c:Counter {id: 1}) SET c.n = c.n + 1");
      seen.push(assertOk(res).meta.attempts);
    }
    return seen;
  });
  const res = assertOk(await w.cypher("counter", "MATCH (c:Counter {id: 1}) RETURN c.n AS n"));
  assert.deepEqual(res.rows, [[CLIENTS * 100]]);
  const executions = attempts.reduce((a, b) => a + b, 0);
  console.log(`counter: ${CLIENTS * 100} increments took ${executions} executions`);
  assert.ok(executions > CLIENTS * 100, "the clients never raced, so the test proves nothing");
});

test("concurrent transfers keep the total balance", async () => {
  assertOk(await w.cypher("bank", "UNWIND range(0, 9) AS i CREATE (:Account {id: i, balance: 100})"));
  await concurrently(async (c) => {
    for (let i = 0; i < 25; i++) {
      const from = (c + i) % 10, to = (c * 3 + i * 7 + 1) % 10;
      assertOk(await w.cypher("bank",
        "MATCH (a:Account {id: $from}), (b:Account {id: $to}) SET a.balance = a.balance - $x SET b.balance = b.balance + $x",
        { from, to, x: 7 }));
    }
  });
  const res = assertOk(await w.cypher("bank", "MATCH (a:Account) RETURN sum(a.balance) AS total, count(a) AS n"));
  assert.deepEqual(res.rows, [[1000, 10]]);
});

test("a warm write costs one PUT and one round trip; an idle read one GET and no LIST", async () => {
  assertOk(await w.cypher("budget", "CREATE (:X)"));
  // The warm handle was validated by the first write, so the commit is the create-if-absent
  // PUT alone: it fails if anything newer exists.
  const write = assertOk(await w.cypher("budget", "CREATE (:Y)")).meta.store;
  assert.deepEqual([write.gets, write.puts, write.lists, write.round_trips], [0, 1, 0, 1], JSON.stringify(write));
  const read = assertOk(await w.cypher("budget", "MATCH (n) RETURN count(n)")).meta.store;
  assert.deepEqual([read.gets, read.puts, read.lists], [1, 0, 0], JSON.stringify(read));
});

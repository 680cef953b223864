import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, QUICKSTART, assertOk } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

test("writes in ns=prod only create objects under prod/, including a WAL record", async () => {
  for (const { query } of QUICKSTART.slice(0, 3)) assertOk(await w.cypher("prod", query));
  const keys = await w.listKeys();
  assert.ok(keys.length > 0, "the bucket is empty after three writes");
  for (const key of keys) assert.ok(key.startsWith("prod/"), `object outside the namespace: ${key}`);
  assert.ok(keys.some((k) => k.startsWith("prod/wal/")), `no prod/wal/ object in ${JSON.stringify(keys)}`);
});

test("every 32 commits a checkpoint writes a sorted table and a manifest listing it, after the response", async () => {
  for (let i = 0; i < 32; i++) assertOk(await w.cypher("tables", `CREATE (:N {i: ${i}})`));
  let keys = [];
  for (let tries = 0; tries < 50 && !keys.some((k) => k.startsWith("tables/manifest/")); tries++) {
    await new Promise((r) => setTimeout(r, 100));
    keys = await w.listKeys("tables/");
  }
  assert.ok(keys.includes("tables/manifest/00000000000000000032"), JSON.stringify(keys));
  assert.ok(keys.includes("tables/sst/00000000000000000032-00000000000000000000-0.sst"), JSON.stringify(keys));
  assert.ok(keys.includes("tables/head"), JSON.stringify(keys));
  const count = assertOk(await w.cypher("tables", "MATCH (n:N) RETURN count(n)"));
  assert.deepEqual(count.rows, [[32]]);
});

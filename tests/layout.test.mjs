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

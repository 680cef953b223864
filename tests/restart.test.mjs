import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startWorker, QUICKSTART, assertOk, sortRows } from "./harness.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "namidb-restart-"));
let w;
after(async () => {
  await w?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the graph survives a full stop and a new Worker on the same R2 state", async () => {
  w = await startWorker({ persistTo: dir });
  for (const { query } of QUICKSTART.slice(0, 3)) assertOk(await w.cypher("prod", query));
  // Enough commits for a checkpoint (every 32, written after the response): the restarted
  // Worker opens from its table instead of replaying every commit record.
  for (let i = 0; i < 40; i++) assertOk(await w.cypher("prod", `CREATE (:Filler {i: ${i}})`));
  assertOk(await w.cypher("prod", "MATCH (f:Filler) DELETE f"));
  await w.close();
  w = undefined;
  assert.ok(fs.existsSync(path.join(dir, "v3", "r2")), "R2 state should be persisted under the temp dir");

  w = await startWorker({ persistTo: dir });
  const { query, params } = QUICKSTART[3];
  const people = assertOk(await w.cypher("prod", query, params));
  assert.deepEqual(sortRows(people.rows), [["Alice", 30], ["Bob", 25]]);
  // 44 commits: replaying them all would be 47 GETs; from the checkpoint at 32 it is head,
  // manifest, the block index of its one table, that table's one block (read for the id
  // counters and index definitions kept in memory; it holds the people too), records
  // 33..44, and the absent wal/45, once: the request's freshness check is the open.
  assert.equal(people.meta.version, 44);
  assert.equal(people.meta.store.gets, 2 + 1 + 1 + 12 + 1, JSON.stringify(people.meta));
  const rel = assertOk(await w.cypher("prod", "MATCH (a)-[k:KNOWS]->(b) RETURN a.name, k.since, b.name"));
  assert.deepEqual(rel.rows, [["Alice", 2020, "Bob"]]);
});

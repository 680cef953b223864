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
  await w.close();
  w = undefined;
  assert.ok(fs.existsSync(path.join(dir, "v3", "r2")), "R2 state should be persisted under the temp dir");

  w = await startWorker({ persistTo: dir });
  const { query, params } = QUICKSTART[3];
  const people = assertOk(await w.cypher("prod", query, params));
  assert.deepEqual(sortRows(people.rows), [["Alice", 30], ["Bob", 25]]);
  const rel = assertOk(await w.cypher("prod", "MATCH (a)-[k:KNOWS]->(b) RETURN a.name, k.since, b.name"));
  assert.deepEqual(rel.rows, [["Alice", 2020, "Bob"]]);
});

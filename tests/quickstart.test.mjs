import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, QUICKSTART, assertOk, assertStats, sortRows } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

test("quickstart: four statements, one request each, with exact stats", async () => {
  const [alice, bob, knows, people] = QUICKSTART;
  assertStats(assertOk(await w.cypher("prod", alice.query)), { nodes_created: 1, properties_set: 2, labels_added: 1 });
  // the label Person already exists, so no label is added to the graph
  assertStats(assertOk(await w.cypher("prod", bob.query)), { nodes_created: 1, properties_set: 2, labels_added: 0 });
  assertStats(assertOk(await w.cypher("prod", knows.query)), { relationships_created: 1, properties_set: 1 });

  const res = assertOk(await w.cypher("prod", people.query, people.params));
  assert.deepEqual(res.columns, ["name", "age"]);
  assert.deepEqual(sortRows(res.rows), [["Alice", 30], ["Bob", 25]]);
  assertStats(res, {});
});

test("quickstart: the relationship reads back", async () => {
  const res = assertOk(await w.cypher("prod", "MATCH (a)-[k:KNOWS]->(b) RETURN a.name, k.since, b.name"));
  assert.deepEqual(res.columns, ["a.name", "k.since", "b.name"]);
  assert.deepEqual(res.rows, [["Alice", 2020, "Bob"]]);
});

test("namespaces are separate: ns=other is empty", async () => {
  const other = assertOk(await w.cypher("other", "MATCH (n) RETURN count(*) AS c"));
  assert.deepEqual(other.columns, ["c"]);
  assert.deepEqual(other.rows, [[0]]);
  const prod = assertOk(await w.cypher("prod", "MATCH (n) RETURN count(*) AS c"));
  assert.deepEqual(prod.rows, [[2]]);
});

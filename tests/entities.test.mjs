import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, assertOk } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

test("whole nodes and relationships are returned as $node / $rel", async () => {
  const body = assertOk(await w.cypher("ents",
    "CREATE (a:Person {name:'A'})-[r:KNOWS {since: 1}]->(b:Person {name:'B'}) RETURN a, r, b"));
  assert.deepEqual(body.columns, ["a", "r", "b"]);
  assert.equal(body.rows.length, 1);
  const [a, r, b] = body.rows[0];
  for (const [v, tag] of [[a, "$node"], [r, "$rel"], [b, "$node"]]) {
    assert.deepEqual(Object.keys(v), [tag], `expected {"${tag}": ...}, got ${JSON.stringify(v)}`);
  }
  const [na, rel, nb] = [a.$node, r.$rel, b.$node];
  for (const id of [na.id, rel.id, nb.id]) assert.equal(typeof id, "string", "ids are strings");
  assert.notEqual(na.id, nb.id);
  assert.deepEqual(na.labels, ["Person"]);
  assert.deepEqual(na.properties, { name: "A" });
  assert.deepEqual(nb.labels, ["Person"]);
  assert.deepEqual(nb.properties, { name: "B" });
  assert.equal(rel.type, "KNOWS");
  assert.equal(rel.start, na.id);
  assert.equal(rel.end, nb.id);
  assert.deepEqual(rel.properties, { since: 1 });
});

// The format golden files (engine/testdata/golden-v*, written by the native engine) read by
// the Worker's wasm build from R2: the same bytes open to the same graph in both builds.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { startWorker, assertOk, ROOT } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

/** Every file under dir, as [key relative to dir, bytes]. */
function files(dir, prefix = "") {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full, `${prefix}${name}/`) : [[`${prefix}${name}`, readFileSync(full)]];
  });
}

// v1 under its own name (its manifests hold full keys); v2 copied under another name, which
// its manifests allow (table names are relative to the namespace folder).
for (const [version, ns] of [["golden-v1", "golden"], ["golden-v2", "golden-copy"]]) {
  test(`${version} (written natively) reads back through the Worker, as namespace ${ns}`, async () => {
    const bucket = await w.bucket();
    const objects = files(path.join(ROOT, "engine", "testdata", version));
    assert.ok(objects.length > 40);
    for (const [key, bytes] of objects) await bucket.put(key.replace(/^golden\//, `${ns}/`), bytes);
    const people = assertOk(await w.cypher(ns, "MATCH (p:Person) RETURN p.name, labels(p), p.age, p.tags ORDER BY p.name"));
    assert.deepEqual(people.rows, [["Ada", ["Admin", "Person"], 36, ["x", "y"]], ["Bob", ["Person"], null, null]]);
    // Opened from the checkpoint (head, manifest, its objects, the commits after it), not by
    // replaying every commit record.
    assert.ok(people.meta.store.gets < 30, JSON.stringify(people.meta));
    const counters = assertOk(await w.cypher(ns, "MATCH (c:Counter) RETURN count(c), sum(c.i), count(c.even)"));
    assert.deepEqual(counters.rows, [[36, 630, 18]]);
    const knows = assertOk(await w.cypher(ns, "MATCH (a)-[k:KNOWS]->(b) RETURN a.name, k.since, b.name ORDER BY k.since"));
    assert.deepEqual(knows.rows, [["Ada", 2020, "Bob"], ["Ada", null, "Bob"]]);
    // And the Worker keeps writing on top of it.
    assertOk(await w.cypher(ns, "MATCH (p:Person {name: 'Bob'}) SET p.age = 26"));
    assert.deepEqual(assertOk(await w.cypher(ns, "MATCH (p {name: 'Bob'}) RETURN p.age")).rows, [[26]]);
  });
}

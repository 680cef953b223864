import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, assertOk } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

test("value encoding: integers, floats, -0.0, string, null, boolean, list, map", async () => {
  const res = await w.cypher("vals",
    "RETURN 1 AS i, 1.0 AS f, -0.0 AS nz, 'x' AS s, null AS n, true AS b, [1, 2.5, 'a'] AS l, {k: 1} AS m");
  const body = assertOk(res);
  assert.deepEqual(body.columns, ["i", "f", "nz", "s", "n", "b", "l", "m"]);
  assert.deepEqual(body.rows, [[1, 1, -0, "x", null, true, [1, 2.5, "a"], { k: 1 }]]); // -0 is checked too

  // JSON.parse loses 1 vs 1.0: check the number tokens as they appear in the raw response text.
  const [i, f, nz, , , , l, m] = res.raw.rows[0];
  const isInt = (x) => /^-?\d+$/.test(x.num);
  const isFloat = (x) => /[.eE]/.test(x.num);
  assert.ok(isInt(i), `INTEGER 1 sent as ${i.num}`);
  assert.ok(isFloat(f), `FLOAT 1.0 sent as ${f.num}`);
  assert.ok(isFloat(nz) && nz.num.startsWith("-"), `FLOAT -0.0 sent as ${nz.num}`);
  assert.ok(isInt(l[0]) && isFloat(l[1]), `list sent as ${JSON.stringify(l)}`);
  assert.ok(isInt(m.k), `map value sent as ${m.k.num}`);
});

test("64-bit integers round-trip exactly through params and results", async () => {
  const res = await w.post("/cypher?ns=vals",
    '{"query": "RETURN $big AS big, $small AS small", "params": {"big": 9223372036854775807, "small": -9223372036854775808}}');
  const body = assertOk(res);
  assert.deepEqual(body.columns, ["big", "small"]);
  assert.deepEqual(res.raw.rows[0].map((x) => x.num), ["9223372036854775807", "-9223372036854775808"]);
});

// Per-query limits through the built Worker (README "Security and limits"): runaway queries
// (variable-length expansion on a dense graph, cartesian products) are stopped by the limits
// with 422 LimitExceeded naming the limit, not by the platform killing the isolate; nothing is
// written; and the next normal request on the same Worker succeeds.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, assertOk, assertError } from "./harness.mjs";

const NS = "limits";

/** Asserts a 422 LimitExceeded whose detail and message name `limit`. */
function assertLimit(res, limit) {
  const e = assertError(res, 422, "LimitExceeded");
  assert.equal(e.detail, limit, res.text);
  assert.ok(e.message.includes(limit), res.text);
}

const count = async (w, pattern) => assertOk(await w.cypher(NS, `MATCH ${pattern} RETURN count(*) AS c`)).rows[0][0];

/** Runs `body` against a Worker started with these [vars]. */
function withWorker(name, vars, body) {
  describe(name, () => {
    const ctx = {};
    before(async () => { ctx.w = await startWorker({ vars }); });
    after(async () => { await ctx.w?.close(); });
    body(ctx);
  });
}

// A complete directed graph on 8 nodes: its trails number in the billions.
async function completeGraph(w) {
  assertOk(await w.cypher(NS, "UNWIND range(1, 8) AS i CREATE (:K {i: i})"));
  assertOk(await w.cypher(NS, "MATCH (a:K), (b:K) WHERE a <> b CREATE (a)-[:E]->(b)"));
  assert.equal(await count(w, "(:K)-[:E]->(:K)"), 56);
}

withWorker("NAMIDB_MAX_QUERY_MEMORY_BYTES = 1 MiB", { NAMIDB_MAX_QUERY_MEMORY_BYTES: "1048576" }, (ctx) => {
  before(async () => completeGraph(ctx.w));

  test("variable-length expansion on a dense graph is stopped by the memory limit", async () => {
    const w = ctx.w;
    // Collected paths are held; counted ones stream and are held by nothing, so the work
    // limit is what stops counting the billions of trails.
    assertLimit(await w.cypher(NS, "MATCH p = (:K)-[*]->() RETURN collect(p)"), "max_query_memory_bytes");
    assertLimit(await w.cypher(NS, "MATCH p = (:K)-[*]->() RETURN count(p)"), "max_query_work");
    // A bounded expansion fits; sorting 20,000 rows (about 16 MB held) fits the default but
    // not 1 MiB, while counting them holds nothing, and so does a sort that keeps the top row.
    assert.deepEqual(assertOk(await w.cypher(NS, "MATCH p = (:K {i: 1})-[*2]->() RETURN count(p) AS c")).rows, [[49]]);
    assertLimit(await w.cypher(NS, "UNWIND range(1, 20000) AS x RETURN x ORDER BY x DESC"), "max_query_memory_bytes");
    assert.deepEqual(assertOk(await w.cypher(NS, "UNWIND range(1, 20000) AS x RETURN count(*) AS c")).rows, [[20000]]);
    assert.deepEqual(assertOk(await w.cypher(NS, "UNWIND range(1, 20000) AS x RETURN x ORDER BY x DESC LIMIT 1")).rows, [[20000]]);
  });

  test("a write that hits it writes nothing, and the Worker keeps serving", async () => {
    const w = ctx.w;
    assertLimit(await w.cypher(NS, "CREATE (:Evil) WITH 1 AS x MATCH p = (:K)-[*]->() CREATE (:Evil)"), "max_query_memory_bytes");
    assert.equal(await count(w, "(e:Evil)"), 0);
    assertOk(await w.cypher(NS, "CREATE (:Alive)"));
    assert.equal(await count(w, "(a:Alive)"), 1);
  });
});

withWorker("NAMIDB_MAX_QUERY_WORK = 200,000", { NAMIDB_MAX_QUERY_WORK: "200000" }, (ctx) => {
  before(async () => { assertOk(await ctx.w.cypher(NS, "UNWIND range(1, 30) AS i CREATE (:N {i: i})")); });

  test("a counting cartesian product is stopped by the work limit", async () => {
    const w = ctx.w;
    assert.equal(await count(w, "(a), (b)"), 900);
    // 27,000 rows fit the default budget, not this one.
    assertLimit(await w.cypher(NS, "MATCH (a), (b), (c) RETURN count(*)"), "max_query_work");
    assertLimit(await w.cypher(NS, "MATCH (a), (b), (c), (d) RETURN count(*)"), "max_query_work");
    assertLimit(await w.cypher(NS, "MATCH (a), (b), (c), (d) CREATE (:Evil)"), "max_query_work");
    assert.equal(await count(w, "(e:Evil)"), 0);
    assert.equal(await count(w, "(n:N)"), 30);
  });
});

withWorker("NAMIDB_QUERY_TIME_MS = 300", { NAMIDB_QUERY_TIME_MS: "300", NAMIDB_MAX_QUERY_WORK: "1000000000000" }, (ctx) => {
  // Local workerd's clock advances while code runs; a deployed Worker's does not (it only
  // moves across I/O), which is why the work limit exists. This checks the time budget itself.
  test("a long computation is stopped by the time limit, and the Worker keeps serving", async () => {
    const w = ctx.w;
    const t0 = Date.now();
    const res = await w.cypher(NS, "UNWIND range(1, 1000) AS x CREATE (:Evil {n: reduce(n = 0, y IN range(1, 100000) | n + y)})");
    assertLimit(res, "query_time_ms");
    assert.ok(Date.now() - t0 < 5000, "stopped long before the work (or the default 10 s) would have been done");
    assert.equal(await count(w, "(e:Evil)"), 0);
    assert.deepEqual(assertOk(await w.cypher(NS, "RETURN reduce(n = 0, y IN range(1, 1000) | n + y) AS s")).rows, [[500500]]);
  });
});

withWorker("NAMIDB_MAX_RESULT_ROWS = 100, NAMIDB_MAX_RESULT_BYTES = 10,000",
  { NAMIDB_MAX_RESULT_ROWS: "100", NAMIDB_MAX_RESULT_BYTES: "10000" }, (ctx) => {
    test("results over the row or byte limit are refused and write nothing", async () => {
      const w = ctx.w;
      assert.equal(assertOk(await w.cypher(NS, "UNWIND range(1, 100) AS x RETURN x")).rows.length, 100);
      assertLimit(await w.cypher(NS, "UNWIND range(1, 101) AS x RETURN x"), "max_result_rows");
      assertLimit(await w.cypher(NS, "UNWIND range(1, 101) AS x CREATE (n:Evil) RETURN n"), "max_result_rows");
      const wide = "UNWIND range(1, 50) AS x RETURN x, $pad AS pad";
      assertOk(await w.cypher(NS, wide, { pad: "p".repeat(100) }));
      assertLimit(await w.cypher(NS, wide, { pad: "p".repeat(300) }), "max_result_bytes");
      assertLimit(await w.cypher(NS, "UNWIND range(1, 50) AS x CREATE (n:Evil {pad: $pad}) RETURN n", { pad: "p".repeat(300) }),
        "max_result_bytes");
      assert.equal(await count(w, "(e:Evil)"), 0);
    });
  });

withWorker("the default limits", {}, (ctx) => {
  test("a four-way cartesian product over 100 nodes is stopped, not the isolate", async () => {
    const w = ctx.w;
    assertOk(await w.cypher(NS, "UNWIND range(1, 100) AS i CREATE (:N {i: i})"));
    const res = await w.cypher(NS, "MATCH (a), (b), (c), (d) RETURN count(*)");
    assertError(res, 422, "LimitExceeded");
    assert.match(res.body.error.detail, /^(max_query_memory_bytes|max_query_work|query_time_ms)$/);
    assertError(await w.cypher(NS, "MATCH (a), (b), (c), (d) CREATE (:Evil)"), 422, "LimitExceeded");
    assert.equal(await count(w, "(e:Evil)"), 0);
    assert.equal(await count(w, "(a), (b)"), 10000);
  });
});

withWorker("NAMIDB_MAX_PARAMS_BYTES = 64 KiB", { NAMIDB_MAX_PARAMS_BYTES: "65536" }, (ctx) => {
  test("parameters over the limit are refused before the query runs, and nothing is written", async () => {
    const w = ctx.w;
    const big = { rows: Array.from({ length: 2000 }, (_, i) => ({ i, name: `person ${i} ${"x".repeat(20)}` })) };
    const e = assertError(await w.cypher(NS, "UNWIND $rows AS r CREATE (:P {name: r.name})", big), 413, "PayloadTooLarge");
    assert.ok(e.message.includes("max_params_bytes"), JSON.stringify(e));
    assert.equal(await count(w, "(p:P)"), 0);
    // About 1.3 MB decoded (maps count their tree nodes), under the 4 MiB default; 20 rows fit here.
    big.rows.length = 20;
    assertOk(await w.cypher(NS, "UNWIND $rows AS r CREATE (:P {name: r.name})", big));
    assert.equal(await count(w, "(p:P)"), 20);
  });
});

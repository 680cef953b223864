// Worker side of the benchmark: the bundle size (dist/*.js + *.wasm, gzip -9, as npm test
// reports it), and through the Worker on local workerd (tests/harness.mjs) the wall time of the
// README's quickstart statements and of a bulk ingest through /cypher into local R2 (nodes,
// then relationships between them).
// Usage: node bench/worker_bench.mjs [out/bench/worker.json]. Without dist/ it records why it
// skipped instead (build it with `npm run bundle`).
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { ROOT, QUICKSTART, startWorker } from "../tests/harness.mjs";

const out = process.argv[2] ?? path.join(ROOT, "out/bench/worker.json");
const dist = path.join(ROOT, "dist");
const write = (o) => { fs.mkdirSync(path.dirname(out), { recursive: true }); fs.writeFileSync(out, JSON.stringify(o, null, 1)); };
if (!fs.existsSync(path.join(dist, "index.js"))) {
  const skipped = "dist/ is missing: run `npm run bundle` first";
  console.error(`worker bench: skipped, ${skipped}`);
  write({ skipped });
  process.exit(0);
}
let gz = 0, raw = 0;
// The entry and the modules it imports: `npm run bundle` leaves older builds' wasm in dist/.
const entry = fs.readFileSync(path.join(dist, "index.js"), "utf8");
const shipped = (f) => f === "index.js" || (f.endsWith(".wasm") && entry.includes(f));
for (const f of fs.readdirSync(dist).filter(shipped)) {
  const data = fs.readFileSync(path.join(dist, f));
  raw += data.length;
  gz += zlib.gzipSync(data, { level: 9 }).length;
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const worker = await startWorker();
try {
  const timed = async (ns, query, params) => {
    const t = performance.now();
    const res = await worker.cypher(ns, query, params);
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${res.text}`);
    return ms;
  };
  // The quickstart on fresh namespaces, 5 times; the very first request also starts the isolate.
  const runs = QUICKSTART.map(() => []);
  let first;
  for (let r = 0; r < 5; r++) {
    for (const [i, s] of QUICKSTART.entries()) {
      const ms = await timed(`qs${r}`, s.query, s.params);
      if (first === undefined) first = ms; else runs[i].push(ms);
    }
  }
  // Bulk ingest: 20 requests of 5,000 nodes each, as the native loader batches them; then 20
  // of 5,000 relationships between them, each end found through the index on `id`.
  const batch = 5000, requests = 20, nodes = batch * requests;
  await timed("ingest", "CREATE INDEX person_id FOR (n:Person) ON (n.id)");
  const load = async (statement, row) => {
    const t = performance.now();
    for (let b = 0; b < requests; b++) {
      await timed("ingest", statement, { rows: Array.from({ length: batch }, (_, i) => row(b * batch + i)) });
    }
    const seconds = (performance.now() - t) / 1000;
    return { elements: batch * requests, requests, seconds: Number(seconds.toFixed(2)), elements_per_second: Math.round((batch * requests) / seconds) };
  };
  const ingest = await load("UNWIND $rows AS r CREATE (:Person {id: r[0], name: r[1], age: r[2]})", (n) => [n, `p${n}`, 20 + (n % 50)]);
  const ingestRelationships = await load(
    "UNWIND $rows AS r MATCH (a:Person {id: r[0]}), (b:Person {id: r[1]}) CREATE (a)-[:KNOWS {since: r[2]}]->(b)",
    (n) => [n, (n * 7919 + 13) % nodes, 2000 + (n % 25)],
  );
  const result = {
    bundle_gzip_bytes: gz,
    bundle_raw_bytes: raw,
    first_request_ms: Number(first.toFixed(1)),
    quickstart_ms: runs.map((xs) => Number(median(xs).toFixed(2))),
    quickstart_statements: QUICKSTART.map((s) => s.query),
    ingest,
    ingest_relationships: ingestRelationships,
  };
  console.error(`worker bench: ${JSON.stringify(result)}`);
  write(result);
} finally {
  await worker.close();
}

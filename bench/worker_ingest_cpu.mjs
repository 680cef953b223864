// The Worker bench's bulk ingest (bench/worker_bench.mjs: 20 requests of 5,000 Person nodes,
// then 20 of 5,000 KNOWS between them), reporting with each rate the CPU seconds the workerd
// processes spent on it (from /proc, so Linux only). On a shared machine wall times of the same
// bundle moved by 30% from run to run, the CPU seconds by a few percent: compare bundles with
// them, alternating. Usage: node bench/worker_ingest_cpu.mjs (after `npm run bundle`).
import fs from "node:fs";
import { startWorker } from "../tests/harness.mjs";
const kids = (pid) => { try { return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; } };
const all = (pid) => kids(pid).flatMap((k) => [k, ...all(k)]);
const cpu = () => all(process.pid).filter((p) => { try { return fs.readFileSync(`/proc/${p}/comm`, "utf8").includes("workerd"); } catch { return false; } })
  .reduce((s, p) => { const f = fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" "); return s + Number(f[11]) + Number(f[12]); }, 0) / 100;
const worker = await startWorker();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  const batch = 5000, requests = 20, nodes = batch * requests;
  await worker.cypher("ingest", "CREATE INDEX person_id FOR (n:Person) ON (n.id)");
  const load = async (statement, row) => {
    const bodies = Array.from({ length: requests }, (_, b) => ({ rows: Array.from({ length: batch }, (_, i) => row(b * batch + i)) }));
    await sleep(200);
    const c0 = cpu(), t0 = performance.now();
    for (const p of bodies) { const r = await worker.cypher("ingest", statement, p); if (r.status !== 200) throw new Error(r.text); }
    const wall = (performance.now() - t0) / 1000;
    await sleep(300);
    const c = cpu() - c0;
    return `${Math.round(nodes / wall)}/s wall, ${c.toFixed(2)} cpu-s`;
  };
  const n = await load("UNWIND $rows AS r CREATE (:Person {id: r[0], name: r[1], age: r[2]})", (n) => [n, `p${n}`, 20 + (n % 50)]);
  const r = await load("UNWIND $rows AS r MATCH (a:Person {id: r[0]}), (b:Person {id: r[1]}) CREATE (a)-[:KNOWS {since: r[2]}]->(b)", (n) => [n, (n * 7919 + 13) % nodes, 2000 + (n % 25)]);
  console.log(`nodes ${n} | rels ${r}`);
} finally { await worker.close(); }

// Shared end-to-end helper: runs the prebuilt Worker (dist/, from `npm run bundle`) on a local
// workerd with a local R2 simulator, and talks to it over real HTTP on 127.0.0.1.
import path from "node:path";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createTestHarness, unstable_readConfig, unstable_startWorker } from "wrangler";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const TOKEN = "dev-token";
// Passed explicitly (createTestHarness also reads .dev.vars, but tests should not depend on it).
const VARS = { NAMIDB_TEST_PROCEDURES: "1" };
const SECRETS = { NAMIDB_ADMIN_TOKEN: TOKEN };

// The README's quickstart, one statement per request.
export const QUICKSTART = [
  { query: "CREATE (a:Person {name: 'Alice', age: 30})" },
  { query: "CREATE (b:Person {name: 'Bob', age: 25})" },
  { query: "MATCH (a:Person {name: 'Alice'}), (b:Person {name: 'Bob'}) CREATE (a)-[:KNOWS {since: 2020}]->(b)" },
  { query: "MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name, p.age AS age", params: { min: 18 } },
];

/**
 * Starts the Worker. Without options R2 is ephemeral (wrangler's createTestHarness).
 * With `persistTo: DIR` R2 state lives in DIR and survives a close() + startWorker() on the same
 * DIR. createTestHarness hard-codes `persist: false`, so that mode uses wrangler's lower-level
 * unstable_startWorker with the same prebuilt-dist config rewrite the harness does.
 * `vars` are added to the default variables. `secrets`, when given, replaces the default secrets
 * entirely (`{}` = no secret at all); that mode also uses unstable_startWorker, told to read no
 * .dev.vars, so the Worker sees exactly these secrets (and has no env.BUCKET for listKeys).
 */
export async function startWorker({ persistTo, vars = {}, secrets } = {}) {
  let url, close, getEnv;
  const VARS_ = { ...VARS, ...vars };
  const SECRETS_ = secrets ?? SECRETS;
  if (persistTo === undefined && secrets === undefined) {
    const server = createTestHarness({
      root: ROOT,
      workers: [{ configPath: "./wrangler.toml", prebuiltWorkerDir: "./dist", vars: VARS_, secrets: SECRETS_ }],
    });
    ({ url } = await server.listen());
    close = () => server.close();
    getEnv = () => server.getWorker().getEnv();
  } else {
    const config = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") });
    const dist = path.join(ROOT, "dist");
    const worker = await unstable_startWorker({
      config: { ...config, main: path.join(dist, "index.js"), base_dir: dist, no_bundle: true,
                find_additional_modules: true, build: { ...config.build, command: undefined } },
      bindings: {
        ...Object.fromEntries(Object.entries(VARS_).map(([k, v]) => [k, { type: "plain_text", value: v }])),
        ...Object.fromEntries(Object.entries(SECRETS_).map(([k, v]) => [k, { type: "secret_text", value: v }])),
      },
      // A named env file that does not exist: wrangler then skips .dev.vars (and its dev token).
      ...(secrets === undefined ? {} : { envFiles: [".no-such-env-file"] }),
      dev: { persist: persistTo === undefined ? false : path.resolve(persistTo), server: { hostname: "127.0.0.1", port: 0 },
             inspector: false, watch: false, logLevel: "none" },
    });
    await worker.ready;
    url = await worker.url;
    close = () => worker.dispose();
    getEnv = () => { throw new Error("env.BUCKET is only available in the default mode (createTestHarness)"); };
  }
  const base = String(url).replace(/\/$/, "");
  return {
    url: base,
    close,
    fetch: (p, init) => fetch(base + p, init),
    /** POST /cypher?ns=NS with {query, params}. `token: null` sends no Authorization header. */
    cypher(ns, query, params, opts = {}) {
      return this.post(`/cypher?ns=${ns}`, JSON.stringify(params === undefined ? { query } : { query, params }), opts);
    },
    /** POST a raw body text; returns {status, text, body (parsed JSON or undefined), raw (numbers as source text)}. */
    async post(p, bodyText, { token = TOKEN, method = "POST" } = {}) {
      const headers = { "content-type": "application/json" };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const res = await fetch(base + p, { method, headers, body: method === "GET" ? undefined : bodyText });
      return parseResponse(res);
    },
    /** The Worker's R2 bucket binding itself (ephemeral mode), to plant or remove objects. */
    bucket: async () => (await getEnv()).BUCKET,
    /** All object keys in the R2 bucket (ephemeral mode). */
    async listKeys(prefix) {
      const bucket = (await getEnv()).BUCKET;
      const keys = [];
      let cursor;
      do {
        const page = await bucket.list({ prefix, cursor });
        keys.push(...page.objects.map((o) => o.key));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return keys;
    },
  };
}

export async function parseResponse(res) {
  const text = await res.text();
  let body, raw;
  try {
    body = JSON.parse(text);
    raw = parseRaw(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, body, raw };
}

/** JSON.parse, but every number becomes {num: "<its source text>"} (JS numbers lose 1 vs 1.0 and 2^63-1). */
export function parseRaw(text) {
  return JSON.parse(text, (_k, v, ctx) => (typeof v === "number" ? { num: ctx.source } : v));
}

/** Asserts a 2xx success body; on failure the message shows the whole response. */
export function assertOk(res) {
  assert.ok(res.status >= 200 && res.status < 300 && res.body && !res.body.error,
    `expected success, got ${res.status}: ${res.text}`);
  assert.ok(Array.isArray(res.body.columns) && Array.isArray(res.body.rows), `bad success body: ${res.text}`);
  return res.body;
}

/** Asserts the error contract: status, JSON {"error": {"code", "message", ...}}. */
export function assertError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.ok(res.body?.error, `error body must be JSON {"error": {...}}, got: ${res.text}`);
  assert.equal(res.body.error.code, code, res.text);
  assert.equal(typeof res.body.error.message, "string", res.text);
  return res.body.error;
}

const STAT_KEYS = ["nodes_created", "nodes_deleted", "relationships_created", "relationships_deleted",
  "labels_added", "labels_removed", "properties_set", "properties_removed"];

/** Compares `stats` with the expected counters; keys not given are expected to be 0. */
export function assertStats(body, expected) {
  assert.equal(typeof body.stats, "object", `no stats in ${JSON.stringify(body)}`);
  const norm = (s) => Object.fromEntries(STAT_KEYS.map((k) => [k, s[k] ?? 0]));
  assert.deepEqual(norm(body.stats), norm(expected));
}

/** Sorts rows so "any order" comparisons are deterministic. */
export const sortRows = (rows) => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

// Tokens, scopes and roles (README "Security and limits"): tries to get past them.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { createHash } from "node:crypto";
import { startWorker, assertOk, assertError } from "./harness.mjs";

const sha256 = (token) => createHash("sha256").update(token, "utf8").digest("hex");

const ADMIN = "admin-token-for-auth-tests";
const READER = "reader-of-prod";
const WRITER = "writer-of-prod";
const TEAM_A = "team-a-writer";
const TENANT_A = "tenant-a-writer";
const EXPIRED = "expired-writer-of-prod";
const UNTIL_2999 = "writer-of-prod-until-2999";
const TOKENS = JSON.stringify([
  { sha256: sha256(READER), namespace: "prod", role: "read" },
  { sha256: sha256(WRITER), namespace: "prod", role: "write", name: "prod writer" },
  { sha256: sha256(TEAM_A), prefix: "team-a-", role: "write" },
  { sha256: sha256(TENANT_A), namespace: "tenant-a", role: "write" },
  { sha256: sha256(EXPIRED), namespace: "prod", role: "write", expires: "2020-01-01T00:00:00Z" },
  { sha256: sha256(UNTIL_2999), namespace: "prod", role: "write", expires: "2999-12-31T23:59:59Z" },
]);
const SECRETS = { NAMIDB_ADMIN_TOKEN: ADMIN, NAMIDB_TOKENS: TOKENS };
const SCOPED = [READER, WRITER, TEAM_A, TENANT_A, EXPIRED, UNTIL_2999];
const ALL_SECRET_TEXT = [ADMIN, ...SCOPED, ...SCOPED.map(sha256)];

/** No response may contain a token or a hash. */
function assertNoSecrets(res) {
  for (const s of ALL_SECRET_TEXT) assert.ok(!res.text.includes(s), `response echoes a secret: ${res.text}`);
}

function denied(res, status, code) {
  assertNoSecrets(res);
  return assertError(res, status, code);
}

const count = async (w, ns) => assertOk(await w.cypher(ns, "MATCH (n) RETURN count(n) AS c", undefined, { token: ADMIN })).rows[0][0];

/** Sends raw HTTP bytes (fetch would normalize the header), returns {status, text}. */
function rawPost(base, path, headerLines) {
  const u = new URL(base);
  const body = JSON.stringify({ query: "RETURN 1 AS one" });
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n${headerLines}`
        + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    let out = "";
    s.on("data", (d) => (out += d));
    s.on("error", reject);
    s.on("end", () => {
      const [head, ...rest] = out.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), text: rest.join("\r\n\r\n") });
    });
  });
}

describe("with an admin token and scoped tokens", () => {
  let w;
  before(async () => {
    w = await startWorker({ secrets: SECRETS });
    for (const ns of ["prod", "tenant-a", "tenant-b", "team-a-x", "team-b"]) {
      assertOk(await w.cypher(ns, "CREATE (:Seed {ns: $ns})", { ns }, { token: ADMIN }));
    }
  });
  after(async () => { await w?.close(); });

  test("admin reads and writes every namespace, drops, collects garbage, registers procedures", async () => {
    for (const ns of ["prod", "tenant-b", "team-b"]) {
      assertOk(await w.cypher(ns, "MATCH (s:Seed) RETURN count(s) AS c", undefined, { token: ADMIN }));
    }
    for (const ns of ["admin-x", "fresh-ns"]) {
      assertOk(await w.cypher(ns, "CREATE (:A) RETURN 1 AS x", undefined, { token: ADMIN }));
      assert.equal(await count(w, ns), 1);
    }
    const gc = await w.post("/gc?ns=fresh-ns", "", { token: ADMIN });
    assert.equal(gc.status, 200, gc.text);
    const proc = { signature: "test.auth() :: (x :: INTEGER?)", columns: ["x"], rows: [[1]] };
    assert.equal((await w.post("/tck/procedure?ns=fresh-ns", JSON.stringify(proc), { token: ADMIN })).status, 200);
    assertOk(await w.post("/cypher?ns=fresh-ns", "", { token: ADMIN, method: "DELETE" }));
    assert.equal(await count(w, "fresh-ns"), 0);
  });

  test("a read token reads its namespace (and gets its own compile errors)", async () => {
    const res = assertOk(await w.cypher("prod", "MATCH (s:Seed) RETURN s.ns AS ns", undefined, { token: READER }));
    assert.deepEqual(res.rows, [["prod"]]);
    denied(await w.cypher("prod", "CREATE (a", undefined, { token: READER }), 400, "SyntaxError");
  });

  for (const query of [
    "CREATE (:Evil)",
    "MERGE (:Evil {x: 1})",
    "MATCH (s:Seed) SET s.evil = true",
    "MATCH (s:Seed) SET s:Evil",
    "MATCH (s:Seed) REMOVE s.ns",
    "MATCH (s:Seed) DELETE s",
    "MATCH (s:Seed) DETACH DELETE s",
    "MATCH (s:Seed) WITH s MATCH (t:Seed) DELETE t RETURN 1 AS x",
    "MATCH (s:Seed) RETURN s UNION MATCH (s:Seed) CREATE (e:Evil) RETURN e AS s",
    "UNWIND [1, 2] AS i CREATE (:Evil {i: i})",
    "EXPLAIN CREATE (:Evil)",
  ]) {
    test(`a read token cannot write: ${query}`, async () => {
      const before = assertOk(await w.cypher("prod", "MATCH (n) RETURN n", undefined, { token: ADMIN }));
      const res = await w.cypher("prod", query, undefined, { token: READER });
      assert.equal(denied(res, 403, "Forbidden").message, "this token may only read this namespace");
      const after = assertOk(await w.cypher("prod", "MATCH (n) RETURN n", undefined, { token: ADMIN }));
      assert.deepEqual(after.rows, before.rows, "a refused query changed the graph");
    });
  }

  test("a read token's write with parameters is refused before the parameters matter", async () => {
    const res = await w.cypher("prod", "CREATE (:Evil {x: $x})", { x: 1 }, { token: READER });
    denied(res, 403, "Forbidden");
    assert.equal(await count(w, "prod"), 1);
  });

  test("a read token cannot drop, collect garbage or register procedures", async () => {
    denied(await w.post("/cypher?ns=prod", "", { token: READER, method: "DELETE" }), 403, "Forbidden");
    denied(await w.post("/gc?ns=prod", "", { token: READER }), 403, "Forbidden");
    const proc = { signature: "test.evil() :: (x :: INTEGER?)", columns: ["x"], rows: [[1]] };
    denied(await w.post("/tck/procedure?ns=prod", JSON.stringify(proc), { token: READER }), 403, "Forbidden");
    assert.equal(await count(w, "prod"), 1);
  });

  test("a write token writes its namespace, and only it", async () => {
    assertOk(await w.cypher("prod", "CREATE (:W {k: 1})", undefined, { token: WRITER }));
    assertOk(await w.cypher("prod", "MATCH (w:W) SET w.k = 2", undefined, { token: WRITER }));
    const res = assertOk(await w.cypher("prod", "MATCH (w:W) RETURN w.k AS k", undefined, { token: READER }));
    assert.deepEqual(res.rows, [[2]]);
    assertOk(await w.cypher("prod", "MATCH (w:W) DELETE w", undefined, { token: WRITER }));
    for (const ns of ["prod2", "pro", "tenant-a", "staging"]) {
      denied(await w.cypher(ns, "RETURN 1 AS x", undefined, { token: WRITER }), 403, "Forbidden");
      denied(await w.cypher(ns, "CREATE (:Evil)", undefined, { token: WRITER }), 403, "Forbidden");
    }
    // Admin routes stay admin-only.
    denied(await w.post("/cypher?ns=prod", "", { token: WRITER, method: "DELETE" }), 403, "Forbidden");
    denied(await w.post("/gc?ns=prod", "", { token: WRITER }), 403, "Forbidden");
    assert.equal(await count(w, "prod"), 1);
  });

  test("a write token may register test procedures in its namespace", async () => {
    const proc = { signature: "test.prodproc() :: (x :: INTEGER?)", columns: ["x"], rows: [[7]] };
    assert.equal((await w.post("/tck/procedure?ns=prod", JSON.stringify(proc), { token: WRITER })).status, 200);
    const res = assertOk(await w.cypher("prod", "CALL test.prodproc()", undefined, { token: READER }));
    assert.deepEqual(res.rows, [[7]]);
    denied(await w.post("/tck/procedure?ns=tenant-b", JSON.stringify(proc), { token: WRITER }), 403, "Forbidden");
  });

  test("a prefix token covers team-a-x but not team-b (nor team-a itself)", async () => {
    assertOk(await w.cypher("team-a-x", "CREATE (:T)", undefined, { token: TEAM_A }));
    assertOk(await w.cypher("team-a-new", "CREATE (:T)", undefined, { token: TEAM_A }));
    assert.equal(await count(w, "team-a-x"), 2);
    for (const ns of ["team-b", "team-a", "team-ab", "xteam-a-x"]) {
      denied(await w.cypher(ns, "MATCH (n) RETURN count(n) AS c", undefined, { token: TEAM_A }), 403, "Forbidden");
      denied(await w.cypher(ns, "CREATE (:Evil)", undefined, { token: TEAM_A }), 403, "Forbidden");
    }
    assert.equal(await count(w, "team-b"), 1);
  });

  test("tenant A gets the identical 403 for an existing and a non-existing namespace", async () => {
    assert.equal(await count(w, "tenant-b"), 1); // exists
    const requests = [
      (ns) => w.cypher(ns, "MATCH (n) RETURN n", undefined, { token: TENANT_A }),
      (ns) => w.cypher(ns, "CREATE (:Evil)", undefined, { token: TENANT_A }),
      (ns) => w.cypher(ns, "this is not cypher", undefined, { token: TENANT_A }),
      (ns) => w.post(`/cypher?ns=${ns}`, "not even json", { token: TENANT_A }),
      (ns) => w.post(`/cypher?ns=${ns}`, "", { token: TENANT_A, method: "DELETE" }),
      (ns) => w.post(`/gc?ns=${ns}`, "", { token: TENANT_A }),
      (ns) => w.post(`/tck/procedure?ns=${ns}`, "{}", { token: TENANT_A }),
    ];
    for (const send of requests) {
      const existing = await send("tenant-b");
      const missing = await send("tenant-never-created");
      denied(existing, 403, "Forbidden");
      assert.equal(existing.status, missing.status);
      assert.equal(existing.text, missing.text, "the 403 differs between an existing and a missing namespace");
    }
    assert.equal(await count(w, "tenant-b"), 1);
    assert.equal(await count(w, "tenant-never-created"), 0);
    assertOk(await w.cypher("tenant-a", "MATCH (n) RETURN count(n) AS c", undefined, { token: TENANT_A }));
  });

  for (const [name, token] of [
    ["wrong token", "not-a-token"],
    ["a hash instead of the token", sha256(READER)],
    ["the admin token, truncated", ADMIN.slice(0, -1)],
    ["the admin token, extended", `${ADMIN}x`],
    ["a scoped token in upper case", READER.toUpperCase()],
    ["an empty token (`Bearer `)", ""],
    ["a token after two spaces", ` ${ADMIN}`],
  ]) {
    test(`${name} -> 401`, async () => {
      for (const path of ["/cypher?ns=prod", "/gc?ns=prod"]) {
        denied(await w.post(path, JSON.stringify({ query: "RETURN 1 AS x" }), { token }), 401, "Unauthorized");
      }
    });
  }

  test("an expired token -> 401, exactly the answer an unknown token gets; an unexpired one works", async () => {
    const unknown = await w.cypher("prod", "RETURN 1 AS x", undefined, { token: "no-such-token" });
    for (const query of ["RETURN 1 AS x", "CREATE (:Evil)"]) {
      const res = await w.cypher("prod", query, undefined, { token: EXPIRED });
      denied(res, 401, "Unauthorized");
      assert.equal(res.text, unknown.text, "the 401 hints that the token was once valid");
    }
    denied(await w.post("/cypher?ns=prod", "", { token: EXPIRED, method: "DELETE" }), 401, "Unauthorized");
    assertOk(await w.cypher("prod", "CREATE (u:Until2999) DELETE u", undefined, { token: UNTIL_2999 }));
    assert.equal(await count(w, "prod"), 1);
  });

  test("missing header, lowercase `bearer`, other schemes -> 401", async () => {
    denied(await w.cypher("prod", "RETURN 1 AS x", undefined, { token: null }), 401, "Unauthorized");
    for (const header of [`bearer ${ADMIN}`, `BEARER ${ADMIN}`, ADMIN, `Basic ${ADMIN}`, `Token ${ADMIN}`, "Bearer"]) {
      const res = await w.fetch("/cypher?ns=prod", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: header },
        body: JSON.stringify({ query: "RETURN 1 AS x" }),
      });
      const text = await res.text();
      assert.equal(res.status, 401, `${header}: ${text}`);
      assert.ok(!text.includes(ADMIN), text);
    }
  });

  test("a trailing space: inside the token it is refused; on the wire HTTP strips it", async () => {
    // The Worker refuses "<token> " (unit test tokens::header_must_be_exactly_bearer_and_a_token),
    // but HTTP/1.1 (RFC 9110 5.5) strips whitespace around a field value before the Worker sees
    // it, so on the wire a trailing space authenticates as the token without it -- never as more.
    for (const ws of [" ", "\t"]) {
      assert.equal((await rawPost(w.url, "/cypher?ns=prod", `Authorization: Bearer ${ADMIN}${ws}\r\n`)).status, 200);
      const r = await rawPost(w.url, "/cypher?ns=prod", `Authorization: Bearer ${READER.slice(0, -1)}${ws}\r\n`);
      assert.equal(r.status, 401, r.text);
    }
    // A space that is not at the edge is part of the token.
    for (const header of [`Bearer ${ADMIN} x`, `Bearer  ${ADMIN}`, `Bearer ${ADMIN.slice(0, 5)} ${ADMIN.slice(6)}`]) {
      const r = await rawPost(w.url, "/cypher?ns=prod", `Authorization: ${header}\r\n`);
      assert.equal(r.status, 401, `${header}: ${r.text}`);
    }
    // An empty token on the wire.
    assert.equal((await rawPost(w.url, "/cypher?ns=prod", "Authorization: Bearer \r\n")).status, 401);
  });
});

describe("with a malformed NAMIDB_TOKENS", () => {
  for (const [name, tokens] of [
    ["not JSON", "this is not json"],
    ["one bad entry", JSON.stringify([
      { sha256: sha256(READER), namespace: "prod", role: "read" },
      { sha256: sha256(WRITER), namespace: "prod", role: "owner" },
    ])],
    ["a token instead of a hash", JSON.stringify([{ sha256: WRITER, namespace: "prod", role: "write" }])],
  ]) {
    test(`${name}: every non-admin token is refused, the admin still works`, async () => {
      const w = await startWorker({ secrets: { NAMIDB_ADMIN_TOKEN: ADMIN, NAMIDB_TOKENS: tokens } });
      try {
        for (const token of [READER, WRITER, "anything"]) {
          denied(await w.cypher("prod", "RETURN 1 AS x", undefined, { token }), 401, "Unauthorized");
          denied(await w.cypher("prod", "CREATE (:Evil)", undefined, { token }), 401, "Unauthorized");
        }
        assertOk(await w.cypher("prod", "CREATE (:Ok)", undefined, { token: ADMIN }));
        assert.equal(await count(w, "prod"), 1);
      } finally {
        await w.close();
      }
    });
  }

  test("a malformed list with no admin token refuses everyone", async () => {
    const w = await startWorker({ secrets: { NAMIDB_TOKENS: "[{}]" } });
    try {
      for (const token of [READER, ADMIN, "dev-token"]) {
        denied(await w.cypher("prod", "RETURN 1 AS x", undefined, { token }), 401, "Unauthorized");
      }
    } finally {
      await w.close();
    }
  });
});

describe("with no secret at all", () => {
  let w;
  before(async () => { w = await startWorker({ secrets: {} }); });
  after(async () => { await w?.close(); });

  test("every /cypher request is 401, whatever the token (dev-token from .dev.vars included)", async () => {
    for (const token of [null, "", "dev-token", ADMIN, READER]) {
      for (const query of ["RETURN 1 AS x", "CREATE (:Evil)"]) {
        denied(await w.cypher("prod", query, undefined, { token }), 401, "Unauthorized");
      }
      denied(await w.post("/cypher?ns=prod", "", { token, method: "DELETE" }), 401, "Unauthorized");
      denied(await w.post("/gc?ns=prod", "", { token }), 401, "Unauthorized");
    }
  });

  test("/health still answers", async () => {
    assert.equal((await w.fetch("/health")).status, 200);
  });
});

// Type-level tests of the client's public API, checked by `tsc -p js/test` in npm test (no
// output, nothing runs): how an edge app uses it compiles, and misuse is a type error (the
// check fails when a line marked with an expect-error directive stops being an error).
import { Client, NamiDBError, Node, Path, Relationship, Temporal, date, float, type Value } from "namidb";

interface Env {
  NAMIDB: { fetch(input: string, init: RequestInit): Promise<Response> }; // a service binding
}

// An edge Worker that reads from NamiDB through a service binding.
export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const db = new Client({ fetcher: env.NAMIDB, namespace: "prod" });
    try {
      const result = await db.cypher<{ name: string; age: number }>(
        "MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name, p.age AS age",
        { min: 18, since: date("2020-01-01"), ratio: float(1), big: 2n ** 62n, at: new Date(), tags: ["a", null] },
      );
      const names: string[] = result.records().map((r) => r.name);
      const version: number | undefined = result.meta.version;
      const created: number = result.stats.nodes_created;
      return Response.json({ names, version, created, attempts: result.attempts });
    } catch (e) {
      if (e instanceof NamiDBError) {
        const where = e.position ? `${e.position.line}:${e.position.column}` : "";
        return Response.json({ code: e.code, where, retryable: e.retryable }, { status: e.status || 502 });
      }
      throw e;
    }
  },
};

export function describe(v: Value): string {
  if (v instanceof Node) return v.labels.join(":") + v.id;
  if (v instanceof Relationship) return `${v.start}-[:${v.type}]->${v.end}`;
  if (v instanceof Path) return `path of ${v.length}`;
  if (v instanceof Temporal) return `${v.kind} ${v.text}`;
  if (typeof v === "bigint") return v.toString();
  return String(v);
}

export const fromUrl = Client.fromUrl("https://db.example/?ns=prod", { token: "t", retry: { attempts: 3 } });

// @ts-expect-error: a namespace is required
export const noNamespace = new Client({ url: "https://db.example" });

// @ts-expect-error: parameters are Cypher values, not functions or symbols
void fromUrl.cypher("RETURN $f", { f: () => 1 });

// @ts-expect-error: a Node's fields are read-only
new Node("1", [], {}).id = "2";

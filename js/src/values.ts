// Cypher values in JS, and their encoding in the `/cypher` contract (shared/API.md):
//
//   INTEGER   -> number when it fits exactly (|n| <= 2^53 - 1), bigint beyond (or always,
//                with `integers: "bigint"`); a bigint param is sent as an exact integer
//   FLOAT     -> number; NaN and infinities travel as {"$float": "NaN"} etc.; to send an
//                integral float (1.0) from JS wrap it: `float(1)`
//   NODE, RELATIONSHIP, PATH -> Node, Relationship, Path
//   DATE, TIME, LOCALTIME, DATETIME, LOCALDATETIME, DURATION -> Temporal (kind + canonical text)
//   LIST, MAP -> array, plain object
import { floatText, type Json } from "./json.js";

export type TemporalKind = "date" | "time" | "localtime" | "datetime" | "localdatetime" | "duration";
const TEMPORAL_KINDS: readonly TemporalKind[] = ["date", "time", "localtime", "datetime", "localdatetime", "duration"];

/** A Cypher value as this client returns it. */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Node
  | Relationship
  | Path
  | Temporal
  | Value[]
  | { [key: string]: Value };

/** What a parameter may be: any `Value`, plus `Float`, `undefined` (as null) and JS `Date` (as a DATETIME). */
export type Param = Value | Float | Date | undefined | Param[] | { [key: string]: Param };

export class Node {
  constructor(
    readonly id: string,
    readonly labels: string[],
    readonly properties: { [key: string]: Value },
  ) {}
}

export class Relationship {
  constructor(
    readonly id: string,
    readonly type: string,
    /** The id of the start node. */
    readonly start: string,
    /** The id of the end node. */
    readonly end: string,
    readonly properties: { [key: string]: Value },
  ) {}
}

export class Path {
  /** The relationships in walk order; `relationships[i]` joins `nodes[i]` and `nodes[i + 1]`. */
  readonly relationships: Relationship[];
  constructor(
    readonly nodes: Node[],
    relationships: Relationship[],
  ) {
    this.relationships = relationships;
  }
  get start(): Node | undefined {
    return this.nodes[0];
  }
  get end(): Node | undefined {
    return this.nodes[this.nodes.length - 1];
  }
  /** The number of relationships. */
  get length(): number {
    return this.relationships.length;
  }
}

/** A temporal value, kept as the canonical Cypher text the server sent (nanoseconds and zone ids intact). */
export class Temporal {
  constructor(
    readonly kind: TemporalKind,
    readonly text: string,
  ) {}
  toString(): string {
    return this.text;
  }
  /** A JS Date for `date`, `datetime` and `localdatetime` (local ones read as UTC; below-millisecond digits dropped). */
  toDate(): Date {
    if (this.kind !== "date" && this.kind !== "datetime" && this.kind !== "localdatetime") {
      throw new TypeError(`a ${this.kind} has no JS Date`);
    }
    const iso = this.text.replace(/\[.*\]$/, "").replace(/(\.\d{3})\d+/, "$1");
    return new Date(this.kind === "datetime" ? iso : `${iso}${this.kind === "date" ? "T00:00:00" : ""}Z`);
  }
}

export const date = (text: string) => new Temporal("date", text);
export const time = (text: string) => new Temporal("time", text);
export const localtime = (text: string) => new Temporal("localtime", text);
export const datetime = (text: string) => new Temporal("datetime", text);
export const localdatetime = (text: string) => new Temporal("localdatetime", text);
export const duration = (text: string) => new Temporal("duration", text);

/** A number to be sent as a FLOAT even when it is integral (`float(1)` is sent as `1.0`). */
export class Float {
  constructor(readonly value: number) {}
}
export const float = (value: number) => new Float(value);

export type IntegerMode = "auto" | "bigint";

const isObject = (j: Json): j is { [key: string]: Json } =>
  typeof j === "object" && j !== null && !Array.isArray(j);

const entries = (j: Json | undefined): { [key: string]: Json } => (j !== undefined && isObject(j) ? j : {});
const str = (j: Json | undefined): string => (typeof j === "string" ? j : String(j));

/** Turns a parsed response value into a `Value`. */
export function decode(j: Json, integers: IntegerMode): Value {
  if (typeof j === "bigint") {
    return integers === "auto" && j >= -9007199254740991n && j <= 9007199254740991n ? Number(j) : j;
  }
  if (Array.isArray(j)) return j.map((x) => decode(x, integers));
  if (!isObject(j)) return j;
  const keys = Object.keys(j);
  if (keys.length === 1) {
    const tag = keys[0]!;
    const inner = j[tag]!;
    if (tag === "$node") return decodeNode(inner, integers);
    if (tag === "$rel") return decodeRel(inner, integers);
    if (tag === "$path" && Array.isArray(inner)) {
      const items = inner.map((x) => decode(x, integers));
      return new Path(
        items.filter((x): x is Node => x instanceof Node),
        items.filter((x): x is Relationship => x instanceof Relationship),
      );
    }
    if (tag === "$float" && typeof inner === "string") return Number(inner); // "NaN", "Infinity", "-Infinity"
    const kind = tag.slice(1) as TemporalKind;
    if (tag.startsWith("$") && TEMPORAL_KINDS.includes(kind) && typeof inner === "string") return new Temporal(kind, inner);
  }
  const out: { [key: string]: Value } = {};
  for (const k of keys) {
    Object.defineProperty(out, k, { value: decode(j[k]!, integers), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function decodeProps(j: Json | undefined, integers: IntegerMode): { [key: string]: Value } {
  const props = decode(entries(j), integers);
  return props as { [key: string]: Value };
}

function decodeNode(j: Json, integers: IntegerMode): Node {
  const n = entries(j);
  const labels = Array.isArray(n.labels) ? n.labels.map(str) : [];
  return new Node(str(n.id), labels, decodeProps(n.properties, integers));
}

function decodeRel(j: Json, integers: IntegerMode): Relationship {
  const r = entries(j);
  return new Relationship(str(r.id), str(r.type), str(r.start), str(r.end), decodeProps(r.properties, integers));
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** The JSON text of a parameter value. */
export function encode(v: Param): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") {
    if (v > INT64_MAX || v < INT64_MIN) throw new RangeError(`${v} is outside the 64-bit INTEGER range`);
    return v.toString();
  }
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return `{"$float":${JSON.stringify(String(v))}}`; // NaN, Infinity, -Infinity
    // An integral number is an INTEGER when it is one exactly within the 64-bit range.
    if (Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < 2 ** 63) return BigInt(v).toString();
    return floatText(v);
  }
  if (v instanceof Float) return Number.isFinite(v.value) ? floatText(v.value) : encode(v.value);
  if (v instanceof Temporal) return `{${JSON.stringify(`$${v.kind}`)}:${JSON.stringify(v.text)}}`;
  if (v instanceof Date) return `{"$datetime":${JSON.stringify(v.toISOString())}}`;
  if (v instanceof Node) {
    return `{"$node":{"id":${JSON.stringify(v.id)},"labels":${JSON.stringify(v.labels)},"properties":${encode(v.properties)}}}`;
  }
  if (v instanceof Relationship) {
    return `{"$rel":{"id":${JSON.stringify(v.id)},"type":${JSON.stringify(v.type)},"start":${JSON.stringify(v.start)},` +
      `"end":${JSON.stringify(v.end)},"properties":${encode(v.properties)}}}`;
  }
  if (v instanceof Path) {
    const items: Param[] = [];
    v.nodes.forEach((n, i) => {
      if (i > 0) items.push(v.relationships[i - 1]!);
      items.push(n);
    });
    return `{"$path":${encode(items)}}`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => encode(x)).join(",")}]`;
  const fields = Object.entries(v).filter(([, x]) => x !== undefined);
  return `{${fields.map(([k, x]) => `${JSON.stringify(k)}:${encode(x)}`).join(",")}}`;
}

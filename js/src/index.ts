/**
 * NamiDB-edge client for edge apps and Node: Cypher over HTTP (`POST /cypher`, shared/API.md).
 *
 * ```ts
 * import { Client } from "namidb";
 * const db = Client.fromUrl("https://namidb.example.workers.dev/?ns=prod", { token });
 * const { rows } = await db.cypher("MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name", { min: 18 });
 * ```
 */
export { Client, Result, type ClientOptions, type Fetcher, type Meta, type RetryOptions, type Stats } from "./client.js";
export { NamiDBError, type ErrorCode, type Position } from "./errors.js";
export { parseJson, type Json } from "./json.js";
export {
  Float, Node, Path, Relationship, Temporal, date, datetime, duration, encode, decode, float, localdatetime,
  localtime, time, type IntegerMode, type Param, type TemporalKind, type Value,
} from "./values.js";

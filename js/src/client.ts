// The client: one `cypher()` call is one POST /cypher (one transaction), retried with jittered
// exponential backoff only when the server answers `Conflict` or `Unavailable`, the two codes
// that the contract says wrote nothing.
import { NamiDBError, type Position } from "./errors.js";
import { parseJson, type Json } from "./json.js";
import { decode, encode, type IntegerMode, type Param, type Value } from "./values.js";

/** Anything with a `fetch` method: a service binding (`env.NAMIDB`), `globalThis`, a test double. */
export interface Fetcher {
  fetch(input: string, init: RequestInit): Promise<Response>;
}

export interface RetryOptions {
  /** Total HTTP requests per `cypher()` call, the first included (default 5; 1 = never retry). */
  attempts?: number;
  /** The first backoff's upper bound in ms (default 50); it doubles on every retry. */
  baseMs?: number;
  /** The cap on one backoff in ms (default 2000). */
  maxMs?: number;
}

export interface ClientOptions {
  /** The Worker's base URL (`https://namidb.example.workers.dev`); optional with `fetcher`. */
  url?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** The namespace (`?ns=`). */
  namespace: string;
  /** Called instead of the global `fetch`: a service binding such as `env.NAMIDB`. */
  fetcher?: Fetcher;
  /** `"auto"` (default): integers as number when exact, else bigint. `"bigint"`: every integer as bigint. */
  integers?: IntegerMode;
  retry?: RetryOptions;
  /** Called before each retry's wait (for logging). */
  onRetry?: (info: { attempt: number; error: NamiDBError; delayMs: number }) => void | Promise<void>;
  /** Backoff sleep and jitter source; replaceable for tests of the retry policy. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface Stats {
  nodes_created: number;
  nodes_deleted: number;
  relationships_created: number;
  relationships_deleted: number;
  labels_added: number;
  labels_removed: number;
  properties_set: number;
  properties_removed: number;
  [key: string]: number;
}

/** `meta` as the server sends it; `version` and `attempts` (server-side executions) are NamiDB-edge's. */
export interface Meta {
  version?: number;
  attempts?: number;
  store?: { [key: string]: number };
  [key: string]: unknown;
}

export class Result<R extends { [column: string]: Value } = { [column: string]: Value }> {
  constructor(
    readonly columns: string[],
    readonly rows: Value[][],
    readonly stats: Stats,
    readonly meta: Meta,
    /** HTTP requests this result took (1 unless a Conflict/Unavailable was retried). */
    readonly attempts: number,
  ) {}

  /** The rows as objects keyed by column name. */
  records(): R[] {
    return this.rows.map((row) => {
      const rec: { [column: string]: Value } = {};
      this.columns.forEach((c, i) => {
        Object.defineProperty(rec, c, { value: row[i] ?? null, enumerable: true, writable: true, configurable: true });
      });
      return rec as R;
    });
  }
}

const DEFAULT_HOST = "https://namidb"; // any URL works for a service binding; only the path matters

export class Client {
  readonly namespace: string;
  readonly #endpoint: string;
  readonly #token: string | undefined;
  readonly #fetcher: Fetcher;
  readonly #integers: IntegerMode;
  readonly #retry: Required<RetryOptions>;
  readonly #onRetry: ClientOptions["onRetry"];
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(options: ClientOptions) {
    if (!options.url && !options.fetcher) throw new TypeError("give `url`, `fetcher`, or both");
    if (!options.namespace) throw new TypeError("`namespace` is required");
    const base = (options.url ?? DEFAULT_HOST).replace(/\/+$/, "").replace(/\/cypher$/, "");
    this.namespace = options.namespace;
    this.#endpoint = `${base}/cypher?ns=${encodeURIComponent(options.namespace)}`;
    this.#token = options.token;
    this.#fetcher = options.fetcher ?? { fetch: (input, init) => fetch(input, init) };
    this.#integers = options.integers ?? "auto";
    this.#retry = { attempts: 5, baseMs: 50, maxMs: 2000, ...options.retry };
    if (!(this.#retry.attempts >= 1)) throw new RangeError("retry.attempts must be at least 1");
    this.#onRetry = options.onRetry;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
  }

  /** A client from a URL carrying the namespace: `Client.fromUrl("https://db.example/?ns=prod", { token })`. */
  static fromUrl(url: string, options: Omit<ClientOptions, "url" | "namespace"> & { namespace?: string } = {}): Client {
    const u = new URL(url);
    const namespace = options.namespace ?? u.searchParams.get("ns");
    if (!namespace) throw new TypeError(`no namespace: add ?ns=<namespace> to ${url}`);
    return new Client({ ...options, url: `${u.origin}${u.pathname}`, namespace });
  }

  /** Runs one query as one transaction. Throws `NamiDBError`. */
  async cypher<R extends { [column: string]: Value } = { [column: string]: Value }>(
    query: string,
    params?: { [name: string]: Param },
    options: { signal?: AbortSignal } = {},
  ): Promise<Result<R>> {
    const body = params === undefined ? `{"query":${JSON.stringify(query)}}`
      : `{"query":${JSON.stringify(query)},"params":${encode(params)}}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#send<R>(body, attempt, options.signal);
      } catch (e) {
        if (!(e instanceof NamiDBError) || !e.retryable || attempt >= this.#retry.attempts) throw e;
        const delayMs = this.backoff(attempt);
        await this.#onRetry?.({ attempt, error: e, delayMs });
        await this.#sleep(delayMs);
      }
    }
  }

  /**
   * The wait before retry number `attempt` (1-based): "full jitter", a uniform draw from
   * [0, min(maxMs, baseMs * 2^(attempt-1))), so racing clients spread out instead of colliding again.
   */
  backoff(attempt: number): number {
    const cap = Math.min(this.#retry.maxMs, this.#retry.baseMs * 2 ** (attempt - 1));
    return Math.floor(this.#random() * cap);
  }

  async #send<R extends { [column: string]: Value }>(body: string, attempt: number, signal?: AbortSignal): Promise<Result<R>> {
    const headers: { [name: string]: string } = { "content-type": "application/json", accept: "application/json" };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const init: RequestInit = { method: "POST", headers, body };
    if (signal) init.signal = signal;
    let res: Response, text: string;
    try {
      res = await this.#fetcher.fetch(this.#endpoint, init);
      text = await res.text();
    } catch (cause) {
      const message = `no answer from ${this.#endpoint}: ${cause instanceof Error ? cause.message : String(cause)}`;
      throw new NamiDBError({ code: "ConnectionError", message, status: 0, attempts: attempt }, { cause });
    }
    let json: Json;
    try {
      json = parseJson(text);
    } catch (cause) {
      throw new NamiDBError({ code: "BadResponse", status: res.status, attempts: attempt,
        message: `HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}` }, { cause });
    }
    const obj = isObject(json) ? json : {};
    if (res.status >= 400 || obj.error !== undefined) {
      const err = isObject(obj.error) ? obj.error : {};
      const pos = isObject(err.position) ? err.position : undefined;
      const position: Position | undefined = pos
        ? { offset: Number(pos.offset), line: Number(pos.line), column: Number(pos.column) } : undefined;
      throw new NamiDBError({
        code: typeof err.code === "string" ? err.code : "BadResponse",
        message: typeof err.message === "string" ? err.message : `HTTP ${res.status}: ${text.slice(0, 200)}`,
        status: res.status,
        detail: typeof err.detail === "string" ? err.detail : undefined,
        phase: typeof err.phase === "string" ? err.phase : undefined,
        position,
        attempts: attempt,
      });
    }
    if (!Array.isArray(obj.columns) || !Array.isArray(obj.rows)) {
      throw new NamiDBError({ code: "BadResponse", status: res.status, attempts: attempt,
        message: `HTTP ${res.status} without columns and rows: ${text.slice(0, 200)}` });
    }
    const columns = obj.columns.map(String);
    const rows = obj.rows.map((row) => (Array.isArray(row) ? row.map((v) => decode(v, this.#integers)) : []));
    return new Result<R>(columns, rows, plainNumbers(obj.stats ?? {}) as Stats, plainNumbers(obj.meta ?? {}) as Meta, attempt);
  }
}

function isObject(j: Json | undefined): j is { [key: string]: Json } {
  return typeof j === "object" && j !== null && !Array.isArray(j);
}

/** `stats` and `meta` are small counters: plain numbers, nested maps kept. */
function plainNumbers(j: Json): unknown {
  if (typeof j === "bigint") return Number(j);
  if (Array.isArray(j)) return j.map(plainNumbers);
  if (isObject(j)) return Object.fromEntries(Object.entries(j).map(([k, v]) => [k, plainNumbers(v)]));
  return j;
}

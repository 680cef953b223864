// Errors: every failure of `client.cypher` is a NamiDBError carrying the contract's `code`.

/** Where in the query an error is (given for syntax errors and undefined variables). */
export interface Position {
  /** 0-based offset in characters. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

/**
 * The error codes of shared/API.md, plus two of this client's own: `ConnectionError` (no HTTP
 * answer: network failure or abort; a write may or may not have committed, so it is not retried)
 * and `BadResponse` (an answer that is not the contract's JSON, e.g. from a proxy).
 */
export type ErrorCode =
  | "SyntaxError" | "SemanticError" | "TypeError" | "ArgumentError" | "ParameterMissing"
  | "EntityNotFound" | "ConstraintVerificationFailed" | "ProcedureError" | "ArithmeticError"
  | "InvalidRequest" | "InvalidNamespace" | "Unauthorized" | "Forbidden" | "NotFound"
  | "MethodNotAllowed" | "PayloadTooLarge" | "LimitExceeded" | "Conflict" | "Fenced"
  | "Unavailable" | "Internal" | "ConnectionError" | "BadResponse";

export class NamiDBError extends Error {
  override readonly name = "NamiDBError";
  /** The contract's code (a string: a newer server may send codes this client does not list). */
  readonly code: ErrorCode | (string & {});
  /** The HTTP status, 0 when there was no HTTP answer. */
  readonly status: number;
  /** A finer kind, e.g. `UndefinedVariable`. */
  readonly detail: string | undefined;
  /** `compile time` or `runtime`, when the server says. */
  readonly phase: string | undefined;
  readonly position: Position | undefined;
  /** How many HTTP requests were made before giving up (retries + 1). */
  readonly attempts: number;

  constructor(
    fields: { code: string; message: string; status: number; detail?: string | undefined; phase?: string | undefined;
              position?: Position | undefined; attempts?: number },
    options?: { cause?: unknown },
  ) {
    super(fields.message, options);
    this.code = fields.code;
    this.status = fields.status;
    this.detail = fields.detail;
    this.phase = fields.phase;
    this.position = fields.position;
    this.attempts = fields.attempts ?? 1;
  }

  /** Whether the contract says the request wrote nothing and may be sent again. */
  get retryable(): boolean {
    return this.code === "Conflict" || this.code === "Unavailable";
  }
}

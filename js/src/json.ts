// JSON text <-> JS values with the contract's integer/float distinction kept exact.
//
// `JSON.parse` turns `1` and `1.0` into the same number and rounds 9223372036854775807, so
// responses are read by the small parser below: an integer literal (no `.`, `e` or `E`)
// becomes a `bigint`, any other number a `number`. Everything else is plain JSON.

/** A parsed JSON value: integers as `bigint`, floats as `number`. */
export type Json = null | boolean | string | number | bigint | Json[] | { [key: string]: Json };

/** Parses JSON text; throws `SyntaxError` on malformed input. */
export function parseJson(text: string): Json {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${i} of the response`);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const literal = (word: string, value: Json): Json => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail("unexpected token");
  };
  const string = (): string => {
    i++; // the opening quote
    let out = "";
    for (;;) {
      const start = i;
      while (i < text.length && text[i] !== '"' && text[i] !== "\\") i++;
      out += text.slice(start, i);
      if (i >= text.length) fail("unterminated string");
      if (text[i] === '"') {
        i++;
        return out;
      }
      const esc = text[i + 1];
      i += 2;
      switch (esc) {
        case '"': out += '"'; break;
        case "\\": out += "\\"; break;
        case "/": out += "/"; break;
        case "b": out += "\b"; break;
        case "f": out += "\f"; break;
        case "n": out += "\n"; break;
        case "r": out += "\r"; break;
        case "t": out += "\t"; break;
        case "u": {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default: fail("bad escape");
      }
    }
  };
  const number = (): number | bigint => {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail("bad number");
    i += m[0].length;
    return m[1] === undefined && m[2] === undefined ? BigInt(m[0]) : Number(m[0]);
  };
  const value = (depth: number): Json => {
    if (depth > 512) fail("nesting too deep");
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: { [key: string]: Json } = {};
      space();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail("expected a key");
        const key = string();
        space();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        space();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return obj; }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: Json[] = [];
      space();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        space();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return arr; }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === "t") return literal("true", true);
    if (c === "f") return literal("false", false);
    if (c === "n") return literal("null", null);
    return number();
  };
  const result = value(0);
  space();
  if (i !== text.length) fail("trailing characters");
  return result;
}

/** A JSON number text for a float: always with `.` or an exponent, so the server reads a FLOAT. */
export function floatText(n: number): string {
  if (Object.is(n, -0)) return "-0.0";
  const s = String(n);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/**
 * Canonical JSON in the spirit of RFC 8785 (JCS): object keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers exactly as ECMAScript `JSON.stringify` writes them (which is
 * what JCS prescribes). Anything that has no single JSON form is refused rather than guessed:
 * `undefined`, functions, symbols, bigints, NaN/±Infinity, lone surrogates, non-plain objects.
 * Hash the UTF-8 bytes of the result.
 */
import { InternalError } from "../errors/index.js";

export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

function write(value: unknown, at: string): string {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(at, String(value));
    return JSON.stringify(value);
  }
  if (typeof value === "string") {
    // JCS requires well-formed Unicode; a lone surrogate has no UTF-8 encoding.
    if (LONE_SURROGATE.test(value)) fail(at, "a string with a lone surrogate");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => write(item, `${at}[${i}]`)).join(",")}]`;
  }
  if (typeof value === "object" && isPlain(value)) {
    const entries = Object.entries(value).sort(([a], [b]) => byCodeUnits(a, b));
    const members = entries.map(
      ([key, item]) => `${write(key, at)}:${write(item, `${at}.${key}`)}`,
    );
    return `{${members.join(",")}}`;
  }
  return fail(at, value === undefined ? "undefined" : describe(value));
}

// With the `u` flag a surrogate pair is one code point, so only unpaired halves match.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === "object" && value !== null)
    return `an instance of ${value.constructor?.name ?? "?"}`;
  return `a ${typeof value}`;
}

function fail(at: string, found: string): never {
  throw new InternalError(`canonical JSON: ${at} is ${found}, which has no canonical JSON form`);
}

/** Orders strings by UTF-16 code units, as RFC 8785 §3.2.3 does; never locale-dependent. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

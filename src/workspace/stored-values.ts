/**
 * The JSON columns: written as canonical JSON (so both databases hold the same bytes and a
 * round trip is stable), read back through shape checks rather than casts. What is read was
 * written by this module from values the service validated, so the checks guard against a
 * damaged or foreign database, not against users.
 */
import { InternalError } from "../errors/index.js";
import { canonicalJson } from "../definition/canonical-json.js";
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";
import { isDefinitionShape, isLockShape, isRecord } from "../definition/model-shape.js";
import { TOKEN_SCOPES } from "./model.js";
import type { UrlCredential } from "./url-credentials.js";
import type { TokenScope } from "./model.js";
import { isTokenScope } from "./validation.js";

/** Canonical JSON of a model value; optional properties left `undefined` are dropped. */
export function encodeJson(value: unknown): string {
  return canonicalJson(withoutUndefined(value));
}

export function decodeDefinition(text: string): Definition {
  const value = parse(text, "definition");
  if (!isDefinitionShape(value)) throw damaged("definition");
  return value;
}

export function decodeLock(text: string | null): Lock | undefined {
  if (text === null) return undefined;
  const value = parse(text, "lock");
  if (!isLockShape(value)) throw damaged("lock");
  return value;
}

export function decodeUrlCredentials(text: string | undefined): UrlCredential[] {
  if (text === undefined) return [];
  const value = parse(text, "url credentials");
  if (!Array.isArray(value)) throw damaged("url credentials");
  return value.map((item: unknown) => {
    if (!isRecord(item) || typeof item.key !== "string" || typeof item.value !== "string")
      throw damaged("url credentials");
    return { key: item.key, value: item.value };
  });
}

export function decodeStringRecord(text: string, column: string): Record<string, string> {
  const value = parse(text, column);
  if (!isRecord(value)) throw damaged(column);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") throw damaged(column);
    out[key] = item;
  }
  return out;
}

export function decodeScopes(text: string): TokenScope[] {
  const value = parse(text, "scopes");
  if (!Array.isArray(value)) throw damaged("scopes");
  return TOKEN_SCOPES.filter((scope) => value.includes(scope)).filter(isTokenScope);
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => [key, withoutUndefined(item)]),
    );
  }
  return value;
}

function parse(text: string, column: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw damaged(column, error);
  }
}

function damaged(column: string, cause?: unknown): InternalError {
  return new InternalError(`store: the stored ${column} is not what envforge wrote`, { cause });
}

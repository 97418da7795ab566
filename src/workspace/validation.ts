/**
 * Checks on what callers pass to the service. Each adds problems to a collector so one call can
 * report every mistake at once; the service throws before it opens a transaction, so bad input
 * never writes anything.
 */
import type { ProblemCollector } from "../errors/index.js";
import { LATEST_LABEL, RESERVED_PREFIX, TOKEN_SCOPES } from "./model.js";
import type { TokenScope } from "./model.js";

/** Azure ML's limit (255) and a start that cannot be confused with an option or a path. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const NAME_ALLOWED = "1 to 255 letters, digits, '.', '_' or '-', starting with a letter or digit";

export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const LABEL_ALLOWED = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";

/** PostgreSQL INTEGER, which both schemas use for version numbers. */
export const MAX_VERSION = 2_147_483_647;
export const MAX_DESCRIPTION_LENGTH = 4096;
export const MAX_TAGS = 100;
export const MAX_TAG_KEY_LENGTH = 256;
export const MAX_TAG_VALUE_LENGTH = 4096;
export const MAX_PAGE_SIZE = 1000;

export function isReservedName(name: string): boolean {
  return name.toLowerCase().startsWith(RESERVED_PREFIX);
}

export function checkName(
  problems: ProblemCollector,
  value: unknown,
  options: { readonly key: string; readonly what: string },
): void {
  if (typeof value !== "string" || !NAME_PATTERN.test(value)) {
    problems.add({
      key: options.key,
      message: `not a valid ${options.what} name`,
      found: describe(value),
      allowed: NAME_ALLOWED,
    });
  }
}

/** A name the user may register: valid and outside the curated prefix. */
export function checkEnvironmentName(problems: ProblemCollector, value: unknown): void {
  checkName(problems, value, { key: "name", what: "environment" });
  if (typeof value === "string" && isReservedName(value)) {
    problems.add({
      key: "name",
      message: `the prefix "${RESERVED_PREFIX}" is reserved for curated environments`,
      found: JSON.stringify(value),
      allowed: `a name that does not start with "${RESERVED_PREFIX}"`,
    });
  }
}

export function checkVersionNumber(
  problems: ProblemCollector,
  value: unknown,
  key = "version",
): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_VERSION) {
    problems.add({
      key,
      message: "not a valid version number",
      found: describe(value),
      allowed: `an integer from 1 to ${MAX_VERSION}`,
    });
  }
}

export function checkLabel(problems: ProblemCollector, value: unknown): void {
  if (typeof value !== "string" || !LABEL_PATTERN.test(value)) {
    problems.add({
      key: "label",
      message: "not a valid label",
      found: describe(value),
      allowed: LABEL_ALLOWED,
    });
  } else if (value === LATEST_LABEL) {
    problems.add({
      key: "label",
      message: `the label "${LATEST_LABEL}" is managed by envforge: it always names the newest unarchived version`,
      found: JSON.stringify(value),
      allowed: `any other label, e.g. "prod" or "staging"`,
    });
  }
}

export function checkDescription(problems: ProblemCollector, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "string" || value.length > MAX_DESCRIPTION_LENGTH) {
    problems.add({
      key: "description",
      message: "not a valid description",
      found: typeof value === "string" ? `${value.length} characters` : describe(value),
      allowed: `text of at most ${MAX_DESCRIPTION_LENGTH} characters`,
    });
  }
}

export function checkTags(problems: ProblemCollector, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.add({
      key: "tags",
      message: "tags must be a map of text to text",
      found: describe(value),
      allowed: 'e.g. { "team": "vision" }',
    });
    return;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_TAGS) {
    problems.add({
      key: "tags",
      message: "too many tags",
      found: String(entries.length),
      allowed: `at most ${MAX_TAGS}`,
    });
  }
  for (const [key, tag] of entries) {
    if (key.trim() === "" || key.length > MAX_TAG_KEY_LENGTH) {
      problems.add({
        key: "tags",
        message: "not a valid tag key",
        found: JSON.stringify(key),
        allowed: `non-blank text of at most ${MAX_TAG_KEY_LENGTH} characters`,
      });
    }
    if (typeof tag !== "string" || tag.length > MAX_TAG_VALUE_LENGTH) {
      problems.add({
        key: `tags.${key}`,
        message: "not a valid tag value",
        found: typeof tag === "string" ? `${tag.length} characters` : describe(tag),
        allowed: `text of at most ${MAX_TAG_VALUE_LENGTH} characters`,
      });
    }
  }
}

export function checkLimit(problems: ProblemCollector, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    problems.add({
      key: "limit",
      message: "not a valid page size",
      found: describe(value),
      allowed: `an integer from 1 to ${MAX_PAGE_SIZE}`,
    });
  }
}

export function checkScopes(problems: ProblemCollector, value: unknown): void {
  const allowed = `one or more of ${TOKEN_SCOPES.join(", ")}`;
  if (!Array.isArray(value) || value.length === 0) {
    problems.add({ key: "scopes", message: "no scopes given", found: describe(value), allowed });
    return;
  }
  for (const scope of value) {
    if (!isTokenScope(scope)) {
      problems.add({
        key: "scopes",
        message: "not a token scope",
        found: describe(scope),
        allowed,
      });
    }
  }
}

export function isTokenScope(value: unknown): value is TokenScope {
  return TOKEN_SCOPES.some((scope) => scope === value);
}

export function checkTokenName(problems: ProblemCollector, value: unknown): void {
  if (
    typeof value !== "string" ||
    value.trim() === "" ||
    value.length > 100 ||
    /\p{Cc}/u.test(value)
  ) {
    problems.add({
      key: "name",
      message: "not a valid token name",
      found: describe(value),
      allowed: "1 to 100 characters without control characters",
    });
  }
}

/** A short, safe rendering of what the caller passed, for `found`. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  }
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return String(value);
  }
  return Array.isArray(value) ? "a list" : `a ${typeof value}`;
}

/**
 * Shape checks for a Definition or Lock that envforge itself wrote earlier (a store row, a
 * server's answer). They are not validation of user input — parsers do that — only a guard
 * that what comes back is the model and not something damaged, so nothing is cast blindly.
 */
import type { Definition } from "./definition.js";
import { DEFINITION_KINDS } from "./definition.js";
import type { Lock } from "./lock.js";
import { LOCK_VERSION } from "./lock.js";

const KINDS: ReadonlySet<string> = new Set(DEFINITION_KINDS);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isDefinitionShape(value: unknown): value is Definition {
  return (
    isRecord(value) &&
    typeof value.kind === "string" &&
    KINDS.has(value.kind) &&
    isRecord(value.base) &&
    typeof value.base.kind === "string" &&
    isRecord(value.tags) &&
    Array.isArray(value.apt) &&
    isRecord(value.variables) &&
    typeof value.platform === "string" &&
    isRecord(value.python)
  );
}

export function isLockShape(value: unknown): value is Lock {
  return (
    isRecord(value) &&
    (value.version === 1 || value.version === LOCK_VERSION) &&
    typeof value.definitionHash === "string" &&
    (value.resolution === undefined || isRecord(value.resolution)) &&
    Array.isArray(value.channels) &&
    Array.isArray(value.platforms)
  );
}

/**
 * Does a lock still stand for a definition? Answered without solving: what the lock was
 * resolved from (its resolution hash and inputs; the definition hash for version 1 locks), the
 * channel URLs (as configured now) and the platforms must be those the definition asks for.
 */
import type { Problem } from "../errors/index.js";
import type { Definition } from "../definition/definition.js";
import type { LockContent } from "../definition/lock.js";
import { lockKeyProblems } from "../definition/lock-binding.js";

export interface LockExpectation {
  readonly definition: Definition;
  /** Channel URLs in priority order, without credentials. */
  readonly channels: readonly string[];
  readonly platforms: readonly string[];
}

/** Every way the lock differs from what the definition asks for; empty when it still fits. */
export function lockMismatches(
  lock: LockContent,
  expected: LockExpectation,
  file: string,
): Problem[] {
  const problems = lockKeyProblems(lock, expected.definition, file);
  if (lock.channels.join("\n") !== expected.channels.join("\n")) {
    problems.push({
      file,
      key: "channels",
      message: "the lock was made from other channels",
      found: lock.channels.join(", ") || "none",
      allowed: expected.channels.join(", ") || "none",
    });
  }
  const locked = lock.platforms.map((p) => p.platform).sort();
  const wanted = [...new Set(expected.platforms)].sort();
  if (locked.join("\n") !== wanted.join("\n")) {
    problems.push({
      file,
      key: "platforms",
      message: "the lock was made for other platforms",
      found: locked.join(", ") || "none",
      allowed: wanted.join(", "),
    });
  }
  return problems;
}

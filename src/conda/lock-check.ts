/**
 * Does a lock still stand for a definition? Answered without solving: the definition hash, the
 * channel URLs (as configured now) and the platforms must be those the lock was made for.
 */
import type { Problem } from "../errors/index.js";
import type { Lock } from "../definition/lock.js";

export interface LockExpectation {
  readonly definitionHash: string;
  /** Channel URLs in priority order, without credentials. */
  readonly channels: readonly string[];
  readonly platforms: readonly string[];
}

/** Every way the lock differs from what the definition asks for; empty when it still fits. */
export function lockMismatches(lock: Lock, expected: LockExpectation, file: string): Problem[] {
  const problems: Problem[] = [];
  if (lock.definitionHash !== expected.definitionHash) {
    problems.push({
      file,
      key: "definitionHash",
      message: "the lock was made from another definition",
      found: lock.definitionHash,
      allowed: expected.definitionHash,
    });
  }
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

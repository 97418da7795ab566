/**
 * Whether a lock (as a file holds it) was resolved from what a definition asks for, and the lock
 * bound to that definition when it was. Pure: the key is the resolution hash (version 2 locks)
 * or the definition hash (version 1 locks).
 */
import { ValidationError } from "../errors/index.js";
import type { Problem } from "../errors/index.js";
import { definitionHash } from "./definition-hash.js";
import type { Definition } from "./definition.js";
import type { Lock, LockContent } from "./lock.js";
import { resolutionChanges, resolutionKey } from "./resolution-hash.js";
import { vcsPinChanges } from "./vcs-pins.js";

/**
 * The lock as used with this definition (recipe, registration, image hash), when it was
 * resolved from what the definition asks for; a ValidationError naming each change otherwise.
 * A change of variables or metadata alone keeps a version 2 lock.
 */
export function bindLock(lock: LockContent, definition: Definition, file?: string): Lock {
  const problems = lockKeyProblems(lock, definition, file);
  if (problems.length > 0) throw new ValidationError(problems);
  return { ...lock, definitionHash: definitionHash(definition) };
}

/**
 * Each way the lock's key differs from the definition's: one problem per changed input. A lock
 * whose key fits must also pin every VCS requirement of the definition to a commit, and no other.
 */
export function lockKeyProblems(
  lock: LockContent,
  definition: Definition,
  file?: string,
): Problem[] {
  const problems = keyProblems(lock, definition, file);
  if (problems.length > 0) return problems;
  return vcsPinChanges(definition, lock).map((change) => ({
    ...(file === undefined ? {} : { file }),
    key: "vcs",
    message: `the lock does not fit the definition's VCS requirements: ${change}`,
    allowed: "a lock made for this definition (envforge lock pins every VCS requirement)",
  }));
}

function keyProblems(lock: LockContent, definition: Definition, file?: string): Problem[] {
  const wanted = resolutionKey(definition);
  if (lock.resolution === undefined) {
    // A version 1 lock knows only the whole definition it was made from.
    const hash = definitionHash(definition);
    return lock.definitionHash === hash
      ? []
      : [
          {
            ...(file === undefined ? {} : { file }),
            key: "definitionHash",
            message: "the lock was resolved from another definition",
            found: lock.definitionHash ?? "none",
            allowed: hash,
          },
        ];
  }
  if (lock.resolution.hash === wanted.hash) return [];
  const changes = resolutionChanges(lock.resolution.from, wanted.from);
  if (changes.length === 0) {
    // Inputs equal but hashes not: the file was edited or written by another hash version.
    return [
      {
        ...(file === undefined ? {} : { file }),
        key: "resolutionHash",
        message: "the lock's resolution hash does not match what it says it was resolved from",
        found: lock.resolution.hash,
        allowed: wanted.hash,
      },
    ];
  }
  return changes.map((change) => ({
    ...(file === undefined ? {} : { file }),
    key: "resolvedFrom",
    message: `the lock was resolved from another definition: ${change}`,
  }));
}

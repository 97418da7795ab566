import type { Definition } from "../definition/definition.js";
import type { Problem } from "../errors/index.js";

/**
 * Conda packages are linked from the lock; building without one would give an image whose name
 * (image hash without a lock) does not say what it holds. Such a request is invalid input (exit
 * 2, HTTP 422) before any build is queued, not an engine failure.
 */
export function missingLockProblem(definition: Definition, lock: unknown): Problem | undefined {
  const hasConda = definition.conda !== undefined && !definition.python.userManagedDependencies;
  if (!hasConda || lock !== undefined) return undefined;
  return {
    key: "lock",
    message: "a definition with conda packages is built from its lock; resolve it first",
    found: "no lock",
    allowed: "a lock made by `envforge lock` or at registration",
  };
}

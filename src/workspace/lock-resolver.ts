/**
 * The port registration resolves a lock through. The service does not know about channels or
 * solvers: a composition root injects an adapter (channel-lock-resolver.ts) or none.
 */
import type { Problem } from "../errors/index.js";
import type { Definition } from "../spec/definition.js";
import type { Lock } from "../spec/lock.js";

/**
 * `locked`: the lock of the definition. `unavailable`: the channels could not be reached (or are
 * not configured here); registration goes on without a lock and tells the user why.
 * A spec that cannot be solved is not a resolution: the resolver throws a ValidationError.
 */
export type LockResolution =
  | { readonly kind: "locked"; readonly lock: Lock }
  | { readonly kind: "unavailable"; readonly reason: string };

export type ResolveLock = (
  definition: Definition,
  definitionHash: string,
) => Promise<LockResolution>;

/** Whether registering this definition needs a conda lock at all. */
export function needsCondaLock(definition: Definition): boolean {
  return definition.conda !== undefined && !definition.python.userManagedDependencies;
}

/** What the user is told when a conda definition was registered without its lock. */
export function unlockedWarning(reason: string): Problem {
  return {
    key: "lock",
    message:
      `registered without a lock: ${reason}; \`envforge env build\` will need one: ` +
      "make the channels reachable (ENVFORGE_CHANNEL_URLS) and run `envforge env create` again, " +
      "or run `envforge lock FILE` where they are and `envforge env create --lock envforge.lock`",
  };
}

/** The queue of the embedded SQLite workspace: workers live in the process that queues. */
import type { BuildQueue } from "./build-queue.js";

export function inProcessQueue(): BuildQueue {
  const listeners = new Set<(buildId: string) => void>();
  return {
    kind: "in-process",
    notify: async (buildId) => {
      for (const listener of listeners) listener(buildId);
    },
    listen: async (onWake) => {
      listeners.add(onWake);
    },
    // In memory: ready while the process runs.
    ready: async () => undefined,
    close: async () => listeners.clear(),
  };
}

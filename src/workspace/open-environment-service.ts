/**
 * What a surface's composition root needs in one call: the store chosen from the environment,
 * and the service over it with the shipped curated catalog parsed with the configured settings.
 */
import { readConfig } from "../host/config.js";
import type { Clock, NewId } from "./clock.js";
import { randomId, systemClock } from "./clock.js";
import { shippedCuratedCatalog } from "./curated-catalog.js";
import type { EnvironmentService } from "./environment-service.js";
import { createEnvironmentService } from "./environment-service.js";
import { openWorkspaceStore } from "./open-workspace-store.js";
import type { WorkspaceStore } from "./store.js";

export interface OpenedEnvironmentService {
  readonly service: EnvironmentService;
  readonly store: WorkspaceStore;
  close(): Promise<void>;
}

export async function openEnvironmentService(
  options: {
    readonly env?: NodeJS.ProcessEnv;
    readonly clock?: Clock;
    readonly newId?: NewId;
  } = {},
): Promise<OpenedEnvironmentService> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const store = await openWorkspaceStore({ env, clock });
  const service = createEnvironmentService({
    store,
    clock,
    newId: options.newId ?? randomId,
    curated: shippedCuratedCatalog({ settings: readConfig(env).parse }),
  });
  return { service, store, close: () => store.close() };
}

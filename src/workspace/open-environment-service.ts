/**
 * What a surface's composition root needs in one call: the store its settings name, and the
 * service over it with the shipped curated catalog parsed with the configured settings.
 */
import type { ParseSettings } from "../definition/definition.js";
import type { Clock, NewId } from "./clock.js";
import { randomId, systemClock } from "./clock.js";
import { shippedCuratedCatalog } from "./curated-catalog.js";
import type { EnvironmentService } from "./environment-service.js";
import { createEnvironmentService } from "./environment-service.js";
import type { StoreSettings } from "./open-workspace-store.js";
import { openWorkspaceStore } from "./open-workspace-store.js";
import type { WorkspaceStore } from "./store.js";

export interface OpenedEnvironmentService {
  readonly service: EnvironmentService;
  readonly store: WorkspaceStore;
  close(): Promise<void>;
}

export async function openEnvironmentService(options: {
  /** From the surface's configuration (host/config.ts's EnvforgeConfig has these). */
  readonly settings: StoreSettings & { readonly parse: ParseSettings };
  readonly clock?: Clock;
  readonly newId?: NewId;
}): Promise<OpenedEnvironmentService> {
  const clock = options.clock ?? systemClock;
  const store = await openWorkspaceStore({ settings: options.settings, clock });
  const service = createEnvironmentService({
    store,
    clock,
    newId: options.newId ?? randomId,
    curated: shippedCuratedCatalog({ settings: options.settings.parse }),
  });
  return { service, store, close: () => store.close() };
}

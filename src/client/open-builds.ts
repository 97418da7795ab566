/**
 * The local adapters for builds, wired from the surface's configuration: the store, the build
 * service and the queue (pg-boss on PostgreSQL, in-process on SQLite). The image builders, with
 * the Docker client, are in open-image-builder.ts: a cache hit (cache-probe.ts) needs neither.
 */
import { join } from "node:path";
import { nativeBuildProblems } from "../builders/native/native-support.js";
import { makeRecipe } from "../recipe/index.js";
import type { BuildRequest } from "../builders/image-builder.js";
import type { BuildQueue } from "../builders/queue/build-queue.js";
import { inProcessQueue } from "../builders/queue/in-process-queue.js";
import type { Problem } from "../errors/index.js";
import type { EnvforgeConfig, SurfaceSettings } from "../host/config.js";
import { lazyLockResolver, localBuildService } from "./local-build-service.js";
import type { BuildService } from "../workspace/build-api.js";
import type { EnvironmentService, WorkspaceStore } from "../workspace/index.js";
import {
  createEnvironmentService,
  DATABASE_URL_VARIABLE,
  openWorkspaceStore,
  shippedCuratedCatalog,
} from "../workspace/index.js";

export interface OpenedBuilds {
  /** The surface's configuration, as openBuilds was given it. */
  readonly settings: SurfaceSettings;
  readonly store: WorkspaceStore;
  readonly environments: EnvironmentService;
  readonly builds: BuildService;
  readonly queue: BuildQueue;
  close(): Promise<void>;
}

/** The local workspace's build service and queue, from the surface's configuration. */
export async function openBuilds(
  settings: SurfaceSettings,
  options: { readonly maintainQueue?: boolean } = {},
): Promise<OpenedBuilds> {
  const { config, env } = settings;
  const store = await openWorkspaceStore({ settings: config });
  try {
    const environments = createEnvironmentService({
      store,
      curated: shippedCuratedCatalog({ settings: config.parse }),
    });
    const accepts = builderAccepts(settings);
    // Bases registration could not pin are pinned at the first build (local-build-service.ts).
    const pinner = lazyLockResolver(settings);
    const builds = localBuildService({
      store,
      versions: environments,
      locks: pinner,
      ...(accepts === undefined ? {} : { accepts }),
    });
    const url = env[DATABASE_URL_VARIABLE]?.trim();
    const queue =
      store.kind === "postgres" && url !== undefined
        ? await (
            await import("../builders/queue/pg-boss-queue.js")
          ).openPgBossQueue({ url, maintain: options.maintainQueue ?? false })
        : inProcessQueue();
    return {
      settings,
      store,
      environments,
      builds,
      queue,
      close: async () => {
        await pinner.close();
        await queue.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * The refusal a named native builder gives before a build is queued: what it cannot build is
 * named (field, and the Docker builder to use instead), never left to fail in a worker.
 */
export function builderAccepts(
  settings: SurfaceSettings,
):
  | ((request: Pick<BuildRequest, "definition" | "definitionHash" | "lock">) => Problem[])
  | undefined {
  if (settings.config.builder !== "native") return undefined;
  return (request) =>
    nativeBuildProblems(
      request.definition,
      request.lock,
      makeRecipe(request.definition, {
        definitionHash: request.definitionHash,
        ...(request.lock === undefined ? {} : { lock: request.lock }),
      }),
    );
}

/** Where builds keep their temporary contexts (what `envforge gc` cleans). */
export function buildWorkDir(home: string): string {
  return join(home, "build-contexts");
}

/**
 * The registry to push to: --registry, else the configured one. None: images stay in the local
 * Docker engine (a SQLite workspace only; the build service refuses it on PostgreSQL).
 */
export function registryOf(config: EnvforgeConfig, flag: string | undefined): string | undefined {
  const registry = flag?.trim() || config.registry?.trim();
  return registry === undefined || registry === "" ? undefined : registry;
}

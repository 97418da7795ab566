/**
 * The one composition of the local surfaces' build service and lock resolver. Every in-process
 * build service (env build, run, the SDK, envforge worker, and the in-process workspace client's
 * image details) is made here, so each pins at the first build the bases registration could not
 * (workspace/build-service.ts, pinnedVersion), and registration and pinning share one resolver.
 *
 * The resolver loads lazily: the solver, the registry client and the Docker client load only when
 * a registration locks or a build has a base to pin, never for a cache hit (bench/cli.bench.ts
 * times it).
 */
import type { SurfaceSettings } from "../host/config.js";
import type { BuildService, BuildServiceOptions } from "../workspace/build-api.js";
import { createBuildService } from "../workspace/build-api.js";
import type { ChannelLockResolver } from "../workspace/channel-lock-resolver.js";
import type { EnvironmentService, WorkspaceStore } from "../workspace/index.js";
import { leftToPinAtBuild } from "../workspace/lock-resolver.js";

export type LocalLockResolver = Pick<ChannelLockResolver, "resolveLock" | "pinBases" | "close">;

/** The channel lock resolver of the settings, loaded on the first lock or pin it is asked for. */
export function lazyLockResolver(settings: SurfaceSettings): LocalLockResolver {
  let loaded: Promise<ChannelLockResolver> | undefined;
  const load = (): Promise<ChannelLockResolver> =>
    (loaded ??= import("./local-lock-resolver.js").then((module) =>
      module.localLockResolver(settings),
    ));
  return {
    resolveLock: async (definition, definitionHash) =>
      (await load()).resolveLock(definition, definitionHash),
    pinBases: async (version) =>
      // Nothing left to pin (the common case): answered without loading the resolver.
      leftToPinAtBuild(version.definition, version.lock).length === 0
        ? undefined
        : (await load()).pinBases(version),
    close: async () => {
      if (loaded !== undefined) await (await loaded).close();
    },
  };
}

/** The local build service: the store's, with the pinner of `locks`. */
export function localBuildService(options: {
  readonly store: WorkspaceStore;
  readonly versions: EnvironmentService;
  readonly locks: Pick<LocalLockResolver, "pinBases">;
  readonly accepts?: BuildServiceOptions["accepts"];
}): BuildService {
  return createBuildService({
    store: options.store,
    versions: options.versions,
    pinBases: options.locks.pinBases,
    ...(options.accepts === undefined ? {} : { accepts: options.accepts }),
  });
}

/**
 * Opens a surface's clients on the endpoint endpoint.ts chooses: a server when `--server URL` or
 * ENVFORGE_SERVER is given (with ENVFORGE_TOKEN), else the local workspace (SQLite under
 * ENVFORGE_HOME, or PostgreSQL with ENVFORGE_DATABASE_URL). The CLI and the SDK open their
 * workspace and build clients here (builds: open-builds-client.ts, re-exported), so both
 * adapters answer the same calls the same way.
 */
import type { SurfaceSettings } from "../host/config.js";
import type { OpenClientOptions } from "./endpoint.js";
import { chooseEndpoint } from "./endpoint.js";
import { nonEmpty } from "../host/non-empty.js";
import { createEnvironmentService, openWorkspaceStore } from "../workspace/index.js";
import type { FindSbom } from "../workspace/image-details.js";
import { httpJobsClient } from "./http-jobs-client.js";
import type { JobsClient, ServerJobsClient } from "./jobs-client.js";
import { localJobsClient } from "./local-jobs-client.js";
import type { HttpClientOptions } from "./http-workspace-client.js";
import { httpWorkspaceClient } from "./http-workspace-client.js";
import { lazyLockResolver, localBuildService } from "./local-build-service.js";
import { localWorkspaceClient } from "./local-workspace-client.js";
import type { WorkspaceClient } from "./workspace-client.js";
import { homeCacheDir } from "../host/home-caches.js";

export { chooseEndpoint, REGISTRY_VARIABLE, SERVER_VARIABLE, TOKEN_VARIABLE } from "./endpoint.js";
export type { Endpoint, OpenClientOptions } from "./endpoint.js";
export { openBuildsClient } from "./open-builds-client.js";
export type { OpenBuildsClientOptions } from "./open-builds-client.js";

/** The workspace client for environments, versions, labels, workspaces and tokens. */
export async function openClient(
  settings: SurfaceSettings,
  options: OpenClientOptions = {},
): Promise<WorkspaceClient> {
  const endpoint = chooseEndpoint(settings, options);
  return endpoint.kind === "server" ? openServerClient(endpoint) : openLocalClient(settings);
}

/** A workspace client on an envforge server (`Workspace.connect`, `--server`). */
export function openServerClient(options: HttpClientOptions): WorkspaceClient {
  return httpWorkspaceClient(options);
}

/** A workspace client on the local store, whatever ENVFORGE_SERVER says (`Workspace.open`). */
export async function openLocalClient(settings: SurfaceSettings): Promise<WorkspaceClient> {
  const { config } = settings;
  const store = await openWorkspaceStore({ settings: config });
  const registry = nonEmpty(config.registry);
  // Loaded lazily: only a registration that locks, or a base to pin, loads the resolver.
  const locks = lazyLockResolver(settings);
  const service = createEnvironmentService({ store, resolveLock: locks.resolveLock });
  const builds = localBuildService({ store, versions: service, locks });
  let finder: Promise<FindSbom> | undefined;
  return localWorkspaceClient({
    store,
    settings: config.parse,
    service,
    lockResolver: locks,
    findBuiltImage: async (hash) => (await builds.builtImage(hash))?.image,
    ...(registry === undefined ? {} : { registry }),
    // The registry client loads only when details of a pushed image are asked for; answers are
    // kept by image digest under the home's cache, so later reads ask the registry nothing.
    findSbom: async (image, digest) => {
      finder ??= import("../image/index.js").then(({ openRegistry, sbomFinder }) =>
        sbomFinder(openRegistry({ env: settings.env, timeoutMs: config.networkTimeoutMs }), {
          cacheDir: homeCacheDir(config.home, "sboms"),
        }),
      );
      return (await finder)(image, digest);
    },
  });
}

/**
 * The jobs client, on the same endpoint openClient would choose. On a server it also submits
 * jobs (`kind: "server"`); locally `envforge run` runs them itself.
 */
export async function openJobsClient(
  settings: SurfaceSettings,
  options: OpenClientOptions = {},
): Promise<
  | { readonly kind: "server"; readonly client: ServerJobsClient }
  | { readonly kind: "local"; readonly client: JobsClient }
> {
  const endpoint = chooseEndpoint(settings, options);
  if (endpoint.kind === "server") return { kind: "server", client: httpJobsClient(endpoint) };
  const store = await openWorkspaceStore({ settings: settings.config });
  return { kind: "local", client: localJobsClient(store, `${store.kind} ${store.location}`) };
}

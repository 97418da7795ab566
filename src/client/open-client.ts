/**
 * The one place that decides where a surface's calls go: a server when `--server URL` or
 * ENVFORGE_SERVER is given (with ENVFORGE_TOKEN), else the local workspace (SQLite under
 * ENVFORGE_HOME, or PostgreSQL with ENVFORGE_DATABASE_URL). The CLI and the SDK open their
 * workspace and build clients here, so both adapters answer the same calls the same way.
 */
import { join } from "node:path";
import type { NativeOutputs } from "../builders/native/native-builder.js";
import { ValidationError } from "../errors/index.js";
import type { SurfaceSettings } from "../host/config.js";
import { createEnvironmentService, openWorkspaceStore } from "../workspace/index.js";
import type { FindSbom } from "../workspace/image-details.js";
import type { BuildsClient } from "./builds-client.js";
import { httpJobsClient } from "./http-jobs-client.js";
import type { JobsClient, ServerJobsClient } from "./jobs-client.js";
import { localJobsClient } from "./local-jobs-client.js";
import { httpBuildsClient } from "./http-builds-client.js";
import type { HttpClientOptions } from "./http-workspace-client.js";
import { httpWorkspaceClient } from "./http-workspace-client.js";
import type { LocalBuildsClient, LocalBuildsOptions } from "./local-builds-client.js";
import { lazyLockResolver, localBuildService } from "./local-build-service.js";
import { localWorkspaceClient } from "./local-workspace-client.js";
import type { WorkspaceClient } from "./workspace-client.js";

export const SERVER_VARIABLE = "ENVFORGE_SERVER";
export const TOKEN_VARIABLE = "ENVFORGE_TOKEN";
export const REGISTRY_VARIABLE = "ENVFORGE_REGISTRY";

/** Where the calls go: an envforge server, or this process on the local workspace. */
export type Endpoint =
  | { readonly kind: "server"; readonly url: string; readonly token?: string }
  | { readonly kind: "local" };

export interface OpenClientOptions {
  /** `--server`; wins over ENVFORGE_SERVER. */
  readonly server?: string;
}

/** Chooses the endpoint: the flag, else ENVFORGE_SERVER, else local. */
export function chooseEndpoint(
  settings: SurfaceSettings,
  options: OpenClientOptions = {},
): Endpoint {
  const { env } = settings;
  const server = nonEmpty(options.server) ?? nonEmpty(env[SERVER_VARIABLE]);
  if (server === undefined) return { kind: "local" };
  if (!/^https?:\/\/[^\s/]+/.test(server)) {
    throw ValidationError.single({
      key: "--server",
      message: "not an http(s) URL",
      found: JSON.stringify(server),
      allowed: "e.g. http://127.0.0.1:8080",
    });
  }
  const token = nonEmpty(env[TOKEN_VARIABLE]);
  return { kind: "server", url: server, ...(token === undefined ? {} : { token }) };
}

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
          cacheDir: join(config.home, "cache", "sboms"),
        }),
      );
      return (await finder)(image, digest);
    },
  });
}

export interface OpenBuildsClientOptions extends OpenClientOptions {
  /** `--registry`: where a local build pushes (a server pushes to its own). */
  readonly registry?: string;
  /** Lines of a build this process runs itself (SQLite has no other worker). */
  readonly report?: (line: string) => void;
  /** Progress of a build this process runs itself, for a terminal display. */
  readonly onProgress?: LocalBuildsOptions["onProgress"];
  /** `--output`: where a local native build also writes the image (not with a server). */
  readonly outputs?: NativeOutputs;
}

/** The builds client, on the same endpoint openClient would choose. */
export async function openBuildsClient(
  settings: SurfaceSettings,
  options: OpenBuildsClientOptions = {},
): Promise<BuildsClient & Partial<LocalBuildsClient>> {
  const endpoint = chooseEndpoint(settings, options);
  if (endpoint.kind === "server") {
    if (options.outputs !== undefined) {
      throw ValidationError.single({
        key: "--output",
        message: "a server's workers build on their own machines, so they cannot write here",
        found: "--output with --server",
        allowed: "--output without --server",
      });
    }
    if (options.registry !== undefined) {
      throw ValidationError.single({
        key: "--registry",
        message: "a server pushes to its own registry",
        found: JSON.stringify(options.registry),
        allowed: "--registry without --server, or set ENVFORGE_REGISTRY where the server runs",
      });
    }
    return httpBuildsClient(endpoint);
  }
  // Loaded here, not above: the builder, the queue and the Docker client are what a local build
  // needs and no other command does (bench/cli.bench.ts times start-up).
  const [{ localBuildsClient }, { openBuilds }] = await Promise.all([
    import("./local-builds-client.js"),
    import("./open-builds.js"),
  ]);
  return localBuildsClient(await openBuilds(settings), {
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(options.report === undefined ? {} : { report: options.report }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.outputs === undefined ? {} : { outputs: options.outputs }),
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

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

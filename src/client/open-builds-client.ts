/**
 * The builds client, on the endpoint endpoint.ts chooses: the server's over HTTP, or the local
 * workspace's, where on SQLite this process is also the worker. Each adapter loads when it is
 * chosen, so `env build` on the local workspace loads no HTTP client and no API schemas.
 */
import type { NativeOutputs } from "../builders/native/native-builder.js";
import { ValidationError } from "../errors/index.js";
import type { SurfaceSettings } from "../host/config.js";
import type { BuildsClient } from "./builds-client.js";
import type { OpenClientOptions } from "./endpoint.js";
import { chooseEndpoint } from "./endpoint.js";
import type { LocalBuildsClient, LocalBuildsOptions } from "./local-builds-client.js";

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
    return (await import("./http-builds-client.js")).httpBuildsClient(endpoint);
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

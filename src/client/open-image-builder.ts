/**
 * The image builder a surface's settings name (native, docker or auto), with the Docker client,
 * the registry client and the package cache it builds with. Apart from open-builds.ts so that
 * what only opens the workspace (and a cache hit, cache-probe.ts) loads none of them.
 */
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { DockerEngineBuilder } from "../builders/docker-engine-builder.js";
import type Docker from "dockerode";
import type { ImageBuilder } from "../builders/image-builder.js";
import { AutoBuilder } from "../builders/native/auto-builder.js";
import { dockerLocalEngine } from "../builders/native/docker-local-engine.js";
import { NativeBuilder } from "../builders/native/native-builder.js";
import type { NativeOutputs } from "../builders/native/native-builder.js";
import { PackageCache } from "../conda/package-cache.js";
import { ValidationError } from "../errors/index.js";
import type { SurfaceSettings } from "../host/config.js";
import { BUILDER_NAMES, isBuilderName } from "../host/config.js";
import { dockerConfigCredentials, openRegistry } from "../image/index.js";
import { dockerFromHost } from "../jobs/docker-endpoint.js";
import { buildWorkDir } from "./open-builds.js";
import { homeCacheDir } from "../host/home-caches.js";

/**
 * The builder the settings name: `native`, `docker`, or `auto` (unset): native for every
 * definition it can build, docker for the rest. readConfig refuses any other name at start.
 */
export function openImageBuilder(
  settings: SurfaceSettings,
  options: { readonly outputs?: NativeOutputs } = {},
): ImageBuilder {
  const { config, env } = settings;
  if (!isBuilderName(config.builder)) {
    throw ValidationError.single({
      key: "ENVFORGE_BUILDER",
      message: "unknown image builder",
      found: JSON.stringify(config.builder),
      allowed: BUILDER_NAMES.join(", "),
    });
  }
  mkdirSync(buildWorkDir(config.home), { recursive: true });
  const registry = openRegistry({ env, timeoutMs: config.networkTimeoutMs });
  const packageCache = new PackageCache({
    dir: homeCacheDir(config.home, "pkgs"),
    connectTimeoutMs: config.networkTimeoutMs,
    idleTimeoutMs: config.networkTimeoutMs,
  });
  // Made now, not on first use: a bad endpoint setting (an unknown docker context) is refused as
  // input before a build is queued, whichever builder runs. Making the client connects nowhere.
  const docker: Docker = dockerFromHost(config.dockerHost, env);
  const engine = (): Docker => docker;
  const dockerBuilder = (): ImageBuilder =>
    new DockerEngineBuilder({
      docker: engine(),
      registry,
      credentials: dockerConfigCredentials({ env, homedir: homedir() }),
      packageCache,
      workDir: buildWorkDir(config.home),
    });
  if (config.builder === "docker") return dockerBuilder();
  const native = new NativeBuilder({
    registry,
    packageCache,
    workDir: buildWorkDir(config.home),
    sourceDateEpoch: config.sourceDateEpoch,
    localEngine: dockerLocalEngine(engine),
    ...(options.outputs === undefined ? {} : { outputs: options.outputs }),
  });
  if (config.builder === "native") return native;
  return new AutoBuilder({ native, docker: dockerBuilder });
}

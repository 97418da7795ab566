/**
 * The BuildsClient on the local workspace, where on SQLite this process is also the worker
 * (open-client.ts decides between it and the server's).
 */
import { createBuildWorker } from "../builders/worker.js";
import { ValidationError } from "../errors/index.js";
import { missingLockProblem } from "../recipe/needs-lock.js";
import { setTimeout as sleep } from "node:timers/promises";
import { createBuildLeases, isFinished } from "../workspace/build-api.js";
import type { BuildProgress } from "../builders/image-builder.js";
import type { BuildsClient } from "./builds-client.js";
import type { NativeOutputs } from "../builders/native/native-builder.js";
import type { OpenedBuilds } from "./open-builds.js";
import { registryOf } from "./open-builds.js";
import type { SurfaceSettings } from "../host/config.js";
import type { ImageBuilder } from "../builders/image-builder.js";
import { readDockerEndpoint } from "../jobs/docker-endpoint-read.js";
import { probeFirstBuilder } from "./cache-probe.js";

/** How often a follower on SQLite checks whether the build's holder died. */
const TAKE_OVER_POLL_MS = 1000;

export interface LocalBuildsClient extends BuildsClient {
  /** Runs the build in this process when it has no other worker (SQLite). */
  runHere(id: string): Promise<unknown>;
}

export interface LocalBuildsOptions {
  /** `--registry`; default: the configured one. */
  readonly registry?: string;
  /** Where the lines of a build run here go (default: nowhere). */
  readonly report?: (line: string) => void;
  /** Progress of a build run here (downloads, extraction, linking, push), for a display. */
  readonly onProgress?: (progress: BuildProgress) => void;
  /** `--output`: where a native build run here also writes the image. */
  readonly outputs?: NativeOutputs;
}

export function localBuildsClient(
  opened: OpenedBuilds,
  options: LocalBuildsOptions = {},
): LocalBuildsClient {
  const { builds, store, queue } = opened;
  const leases = createBuildLeases({ store });
  return {
    location: `${store.kind} ${store.location}`,
    buildsHere: store.kind === "sqlite",
    async requestBuild(input) {
      const registry = registryOf(opened.settings.config, options.registry);
      // SQLite has no standing workers: a build whose process died is taken up by the next one.
      if (store.kind === "sqlite") await leases.expireLeases();
      await refuseUnlocked(opened, input);
      const result = await builds.requestBuild({
        ...input,
        ...(registry === undefined ? {} : { registry }),
      });
      if (result.created) await queue.notify(result.build.id);
      return result;
    },
    getBuild: (input) => builds.getBuild(input),
    listBuilds: (input) => builds.listBuilds(input),
    cancelBuild: (input) => builds.cancelBuild(input),
    readBuildLog: (input) => builds.readBuildLog(input),
    followBuild: (input) => builds.followBuild(input),
    async runHere(id) {
      if (store.kind !== "sqlite") return undefined;
      const worker = createBuildWorker({
        leases,
        builder: await cacheProbing(opened.settings, options.outputs),
        report: options.report ?? (() => undefined),
        ...(options.onProgress === undefined
          ? {}
          : {
              onProgress: (_id: string, progress: BuildProgress) => options.onProgress?.(progress),
            }),
      });
      // Another process may hold it; if that process dies, its lease runs out and we take over.
      for (;;) {
        const ran = await worker.runOnce(id);
        if (ran !== undefined) return ran;
        const record = await store.read((tx) => tx.getBuild(id));
        if (record === undefined || isFinished(record.state)) return undefined;
        await sleep(TAKE_OVER_POLL_MS);
        await leases.expireLeases();
      }
    },
    close: () => opened.close(),
  };
}

/**
 * A conda version without a lock cannot be built (docker-engine-builder.ts refuses it): that is
 * invalid input, said before anything is queued (exit 2), not a failed build (exit 5).
 */
async function refuseUnlocked(
  opened: OpenedBuilds,
  input: Parameters<BuildsClient["requestBuild"]>[0],
): Promise<void> {
  const version = await opened.environments.getEnvironmentVersion({
    ...(input.workspace === undefined ? {} : { workspace: input.workspace }),
    name: input.name,
    ...(input.version === undefined ? {} : { version: input.version }),
    ...(input.label === undefined ? {} : { label: input.label }),
  });
  const problem = missingLockProblem(version.definition, version.lock);
  if (problem !== undefined) {
    throw ValidationError.single({
      ...problem,
      message: `${version.name} version ${version.version}: ${problem.message}`,
    });
  }
}

/**
 * The configured builder behind a one-request cache check (cache-probe.ts): a cache hit loads
 * neither the builders nor the Docker client. An endpoint setting the probe cannot read (an
 * unknown docker context) or an endpoint it does not speak to (TLS, ssh) makes the full builder
 * now, as before, which refuses a bad setting before the build runs.
 */
async function cacheProbing(
  settings: SurfaceSettings,
  outputs: NativeOutputs | undefined,
): Promise<ImageBuilder> {
  const full = async (): Promise<ImageBuilder> =>
    (await import("./open-image-builder.js")).openImageBuilder(
      settings,
      outputs === undefined ? {} : { outputs },
    );
  let endpoint;
  try {
    endpoint = readDockerEndpoint({ ...settings.env, DOCKER_HOST: settings.config.dockerHost });
  } catch {
    return full();
  }
  // TLS files and ssh keys are read (and refused) when the client is made: made now, as before.
  const { transport } = endpoint;
  if (transport.kind === "ssh" || (transport.kind === "tcp" && transport.tls !== undefined)) {
    return full();
  }
  return probeFirstBuilder({ settings, endpoint, outputs: outputs !== undefined, full });
}

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
import { openImageBuilder, registryOf } from "./open-builds.js";

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
        builder: openImageBuilder(
          opened.settings,
          options.outputs === undefined ? {} : { outputs: options.outputs },
        ),
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

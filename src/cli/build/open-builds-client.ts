/**
 * Which builds a command talks to: a server's (`--server` or ENVFORGE_SERVER, token from
 * ENVFORGE_TOKEN), or the local workspace's, where on SQLite this process is also the worker.
 */
import { createBuildWorker } from "../../builders/worker.js";
import { ValidationError } from "../../errors/index.js";
import { setTimeout as sleep } from "node:timers/promises";
import { createBuildLeases, isFinished } from "../../workspace/build-api.js";
import type { CliIo } from "../context.js";
import type { BuildsClient } from "./builds-client.js";
import { httpBuildsClient } from "./http-builds-client.js";
import type { OpenedBuilds } from "./open-builds.js";
import { configuredEnv, openBuilds, openImageBuilder, registryOf } from "./open-builds.js";

/** How often a follower on SQLite checks whether the build's holder died. */
const TAKE_OVER_POLL_MS = 1000;

export interface LocalBuildsClient extends BuildsClient {
  /** Runs the build in this process when it has no other worker (SQLite). */
  runHere(id: string): Promise<unknown>;
}

export async function openBuildsClient(
  io: CliIo,
  options: { readonly server?: string; readonly registry?: string },
): Promise<BuildsClient & Partial<LocalBuildsClient>> {
  const env = await configuredEnv(io);
  const server = nonEmpty(options.server) ?? nonEmpty(env.ENVFORGE_SERVER);
  if (server !== undefined) {
    if (!/^https?:\/\/[^\s/]+/.test(server)) {
      throw ValidationError.single({
        key: "--server",
        message: "not an http(s) URL",
        found: JSON.stringify(server),
        allowed: "e.g. http://127.0.0.1:8080",
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
    const token = nonEmpty(env.ENVFORGE_TOKEN);
    return httpBuildsClient({ url: server, ...(token === undefined ? {} : { token }) });
  }
  return localBuildsClient(io, await openBuilds(io), options.registry);
}

export function localBuildsClient(
  io: CliIo,
  opened: OpenedBuilds,
  registryFlag: string | undefined,
): LocalBuildsClient {
  const { builds, store, queue } = opened;
  const leases = createBuildLeases({ store });
  return {
    location: `${store.kind} ${store.location}`,
    buildsHere: store.kind === "sqlite",
    async requestBuild(input) {
      const registry = registryOf(opened.env, registryFlag);
      // SQLite has no standing workers: a build whose process died is taken up by the next one.
      if (store.kind === "sqlite") await leases.expireLeases();
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
        builder: openImageBuilder(opened.env),
        report: (line) => io.stderr.write(`${line}\n`),
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

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * `envforge env build NAME[@VERSION|:LABEL]`: request a build (or join the one under way for the
 * same image) and follow its log to the end. On SQLite this process is the worker; on
 * PostgreSQL `envforge worker` processes take it from the queue.
 */
import { z } from "zod";
import { createBuildWorker } from "../../build/worker.js";
import { ExternalError, ValidationError } from "../../errors/index.js";
import type { Build } from "../../workspace/build-api.js";
import { createBuildLeases } from "../../workspace/build-api.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { buildLines, printEvents } from "./build-format.js";
import { parseEnvironmentRef } from "./environment-ref.js";
import type { OpenedBuilds } from "./open-builds.js";
import { openBuilds, openImageBuilder, registryOf } from "./open-builds.js";

const Options = z.object({
  workspace: z.string().optional(),
  registry: z.string().optional(),
  timeout: z.string().optional(),
  follow: z.boolean().optional(),
  json: z.boolean().optional(),
});

export async function runEnvBuild(io: CliIo, reference: string, raw: unknown): Promise<void> {
  const options = Options.parse(raw);
  const ref = parseEnvironmentRef(reference);
  const timeoutMs = secondsOption(options.timeout, "--timeout");
  const opened = await openBuilds(io);
  try {
    const build = await buildImage(io, opened, {
      ...ref,
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
      registry: registryOf(opened.env, options.registry),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      follow: options.follow !== false,
      json: options.json === true,
    });
    if (options.json === true) writeJson(io, build);
    else writeLine(io, buildLines(build));
    if (build.state === "failed" || build.state === "canceled") {
      throw new ExternalError(
        `build ${build.id} ${build.state}: ${build.reason ?? "no reason given"}`,
      );
    }
  } finally {
    await opened.close();
  }
}

export interface BuildImageInput {
  readonly workspace?: string;
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
  readonly registry: string;
  readonly timeoutMs?: number;
  readonly follow: boolean;
  readonly json: boolean;
}

/** Requests the build and, when following, runs or waits for it; returns the last state seen. */
export async function buildImage(
  io: CliIo,
  opened: OpenedBuilds,
  input: BuildImageInput,
): Promise<Build> {
  const { builds, store, queue } = opened;
  const leases = createBuildLeases({ store });
  // SQLite has no standing workers: a build whose process died is taken up by the next command.
  if (store.kind === "sqlite") await leases.expireLeases();
  const { follow, json, ...request } = input;
  const { build, created } = await builds.requestBuild(request);
  if (created) await queue.notify(build.id);
  io.stderr.write(
    `${created ? "queued" : "joined"} build ${build.id}: ${build.name}@${build.version} as ${build.image.name}\n`,
  );
  if (!follow) return build;

  const events = builds.followBuild({
    ...(input.workspace === undefined ? {} : { workspace: input.workspace }),
    id: build.id,
  });
  let working: Promise<unknown> = Promise.resolve();
  if (store.kind === "sqlite") {
    const worker = createBuildWorker({
      leases,
      builder: openImageBuilder(opened.env),
      report: (line) => io.stderr.write(`${line}\n`),
    });
    working = worker.runOnce(build.id);
  } else if (build.state === "queued") {
    io.stderr.write("waiting for a worker to take it (start one with `envforge worker`)\n");
  }
  const [final] = await Promise.all([printEvents(io, events, { json }), working]);
  return (
    final ??
    (await builds.getBuild({
      id: build.id,
      ...(input.workspace === undefined ? {} : { workspace: input.workspace }),
    }))
  );
}

export function secondsOption(text: string | undefined, key: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,7}(\.[0-9]{1,3})?$/.test(text) || Number(text) <= 0) {
    throw ValidationError.single({
      key,
      message: "not a number of seconds",
      found: JSON.stringify(text),
      allowed: "a positive number such as 600",
    });
  }
  return Math.round(Number(text) * 1000);
}

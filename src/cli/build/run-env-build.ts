/**
 * `envforge env build NAME[@VERSION|:LABEL]`: request a build (or join the one under way for the
 * same image) and follow its log to the end. On SQLite this process is the worker; on
 * PostgreSQL `envforge worker` processes take it from the queue; with `--server` the server's
 * workers do, and the log arrives as Server-Sent Events.
 */
import { z } from "zod";
import { ExternalError, ValidationError } from "../../errors/index.js";
import type { Build } from "../../workspace/build-api.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { buildLines, printEvents } from "./build-format.js";
import { parseOutputs, withBuilder } from "./build-outputs.js";
import type { BuildsClient } from "../../client/builds-client.js";
import { parseEnvironmentRef } from "../../client/environment-ref.js";
import type { LocalBuildsClient } from "../../client/local-builds-client.js";
import { localBuildsClient } from "../../client/local-builds-client.js";
import { openBuildsClient } from "../../client/open-client.js";
import type { OpenedBuilds } from "../../client/open-builds.js";

const Options = z.object({
  workspace: z.string().optional(),
  server: z.string().optional(),
  registry: z.string().optional(),
  timeout: z.string().optional(),
  follow: z.boolean().optional(),
  json: z.boolean().optional(),
  builder: z.string().optional(),
  output: z.array(z.string()).optional(),
});

export async function runEnvBuild(io: CliIo, reference: string, raw: unknown): Promise<void> {
  const options = Options.parse(raw);
  const ref = parseEnvironmentRef(reference);
  const timeoutMs = secondsOption(options.timeout, "--timeout");
  const outputs = parseOutputs(options.output ?? [], io.cwd);
  const settings = withBuilder(io, options.builder, outputs);
  const client = await openBuildsClient(settings, {
    ...(options.server === undefined ? {} : { server: options.server }),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(outputs === undefined ? {} : { outputs }),
    report: (line) => io.stderr.write(`${line}\n`),
  });
  try {
    const build = await buildWith(io, client, {
      ...ref,
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
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
    await client.close();
  }
}

export interface BuildImageInput {
  readonly workspace?: string;
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
  readonly timeoutMs?: number;
  readonly follow: boolean;
  /** Log to stderr (stdout is for JSON or a job's output). */
  readonly json: boolean;
}

/** For `envforge run`: build with the local workspace it already opened. */
export function buildImage(
  io: CliIo,
  opened: OpenedBuilds,
  input: BuildImageInput & { readonly registry?: string },
): Promise<Build> {
  const { registry, ...rest } = input;
  return buildWith(
    io,
    localBuildsClient(opened, {
      ...(registry === undefined ? {} : { registry }),
      report: (line) => io.stderr.write(`${line}\n`),
    }),
    rest,
  );
}

/** Requests the build and, when following, runs or waits for it; returns the last state seen. */
async function buildWith(
  io: CliIo,
  client: BuildsClient & Partial<LocalBuildsClient>,
  input: BuildImageInput,
): Promise<Build> {
  const { follow, json, ...request } = input;
  const { build, created } = await client.requestBuild(request);
  io.stderr.write(
    `${created ? "queued" : "joined"} build ${build.id}: ${build.name}@${build.version} as ${build.image.name}\n`,
  );
  if (!follow) return build;
  const key = {
    id: build.id,
    ...(input.workspace === undefined ? {} : { workspace: input.workspace }),
  };
  const working = client.buildsHere === true ? client.runHere?.(build.id) : undefined;
  if (client.buildsHere !== true && build.state === "queued") {
    io.stderr.write("waiting for a worker to take it (start one with `envforge worker`)\n");
  }
  const [final] = await Promise.all([printEvents(io, client.followBuild(key), { json }), working]);
  return final ?? (await client.getBuild(key));
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

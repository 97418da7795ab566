/**
 * `envforge env build NAME[@VERSION|:LABEL]`: request a build (or join the one under way for the
 * same image) and follow its log to the end. On SQLite this process is the worker; on
 * PostgreSQL `envforge worker` processes take it from the queue; with `--server` the server's
 * workers do, and the log arrives as Server-Sent Events.
 */
import * as z from "zod";
import { ExternalError, ValidationError } from "../../errors/index.js";
import type { Build, BuildEvent } from "../../workspace/build-api.js";
import type { CliIo } from "../context.js";
import { AlreadyReported, writeJson, writeLine } from "../context.js";
import { buildLines, printEvents } from "./build-format.js";
import { stderrDisplay } from "../progress/progress-display.js";
import { parseOutputs, withBuilder } from "./build-outputs.js";
import type { BuildsClient } from "../../client/builds-client.js";
import { parseEnvironmentRef } from "../../client/environment-ref.js";
import type { LocalBuildsClient } from "../../client/local-builds-client.js";
import { localBuildsClient } from "../../client/local-builds-client.js";
import { openBuildsClient } from "../../client/open-builds-client.js";
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
  const quiet = quietAbout();
  const display = stderrDisplay(io);
  // On a terminal the bars' library loads while the client opens; both are awaited here.
  const loading = display.progress.ready;
  const outputs = parseOutputs(options.output ?? [], io.cwd);
  const settings = withBuilder(io, options.builder, outputs);
  const client = await openBuildsClient(settings, {
    ...(options.server === undefined ? {} : { server: options.server }),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(outputs === undefined ? {} : { outputs }),
    report: quiet.report(io),
    onProgress: display.progress.onProgress,
  });
  await loading;
  try {
    const build = await buildWith(io, client, {
      ...ref,
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      follow: options.follow !== false,
      json: options.json === true,
      holdFailure: options.json !== true,
      onBuild: quiet.build,
      display,
    });
    const ended = build.state === "failed" || build.state === "canceled";
    if (options.json === true) writeJson(io, build);
    // A failed build's log ends with its reason; the summary would only say it again.
    else if (!ended) writeLine(io, buildLines(build));
    if (ended) {
      const error = new ExternalError(
        `build ${build.id} ${build.state}: ${build.reason ?? "no reason given"}`,
      );
      // The error line says why (the log's own failure line was held back for it); with --json
      // the object printed holds the reason and a second JSON document would break it.
      throw options.json === true ? new AlreadyReported(error) : error;
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
  /** Leave out the log's failure line: the caller's error line will say it (once). */
  readonly holdFailure: boolean;
  /** Told the build's id as soon as it is known. */
  readonly onBuild?: (id: string) => void;
  /** Where the log and the progress of a build run here are drawn. */
  readonly display?: ReturnType<typeof stderrDisplay>;
}

/** For `envforge run`: build with the local workspace it already opened. */
export function buildImage(
  io: CliIo,
  opened: OpenedBuilds,
  input: BuildImageInput & { readonly registry?: string },
): Promise<Build> {
  const { registry, ...rest } = input;
  const quiet = quietAbout();
  const display = stderrDisplay(io);
  return buildWith(
    io,
    localBuildsClient(opened, {
      ...(registry === undefined ? {} : { registry }),
      report: quiet.report(io),
      onProgress: display.progress.onProgress,
    }),
    { ...rest, onBuild: quiet.build, display },
  );
}

/** Requests the build and, when following, runs or waits for it; returns the last state seen. */
async function buildWith(
  io: CliIo,
  client: BuildsClient & Partial<LocalBuildsClient>,
  input: BuildImageInput,
): Promise<Build> {
  const { follow, json, holdFailure, onBuild, display, ...request } = input;
  const { build, created } = await client.requestBuild(request);
  onBuild?.(build.id);
  // Followed, the log's first line says it was queued (with the id); joining is news.
  if (!created || !follow) {
    io.stderr.write(
      `${created ? "queued" : "joined"} build ${build.id}: ${build.name}@${build.version} as ${build.image.name}\n`,
    );
  }
  if (!follow) return build;
  const key = {
    id: build.id,
    ...(input.workspace === undefined ? {} : { workspace: input.workspace }),
  };
  const working = client.buildsHere === true ? client.runHere?.(build.id) : undefined;
  // A server's own worker may take it at once: say that none has only when none did.
  const waiting =
    client.buildsHere !== true && build.state === "queued"
      ? setTimeout(() => {
          io.stderr.write("waiting for a worker to take it (start one with `envforge worker`)\n");
        }, WORKER_NOTICE_MS)
      : undefined;
  try {
    const events = noticeProgress(client.followBuild(key), () => clearTimeout(waiting));
    const [final] = await Promise.all([
      printEvents(io, events, {
        json,
        holdFailure,
        ...(display === undefined ? {} : { display }),
      }),
      working,
    ]);
    return final ?? (await client.getBuild(key));
  } finally {
    clearTimeout(waiting);
  }
}

/** How long a queued build may wait before the CLI says that no worker has taken it. */
const WORKER_NOTICE_MS = 5_000;

/** Passes `events` on, calling `taken` once the build left the queue (a worker has it). */
async function* noticeProgress(
  events: AsyncIterable<BuildEvent>,
  taken: () => void,
): AsyncIterable<BuildEvent> {
  for await (const event of events) {
    if (
      event.kind === "log"
        ? /taken by worker/.test(event.chunk.text)
        : event.build.state !== "queued"
    ) {
      taken();
    }
    yield event;
  }
}

/**
 * The in-process worker reports each build it starts and ends; for the build this command
 * follows, its log says so already. Other reports (a failing lease renewal) still show.
 */
function quietAbout(): {
  readonly build: (id: string) => void;
  readonly report: (io: CliIo) => (line: string) => void;
} {
  let followed: string | undefined;
  return {
    build: (id) => {
      followed = id;
    },
    report: (io) => (line) => {
      if (
        followed !== undefined &&
        / building | (succeeded|failed|canceled)\b/.test(line) &&
        line.includes(followed)
      )
        return;
      io.stderr.write(`${line}\n`);
    },
  };
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

/** `envforge build list | show | logs | cancel`: builds by id, locally or on a server. */
import * as z from "zod";
import type { CliIo } from "../context.js";
import { writeEvent, writeJson, writeLine } from "../context.js";
import { buildLines, buildsTable, writeChunk } from "./build-format.js";
import type { LogChunk } from "../../workspace/build-api.js";
import type { BuildsClient } from "../../client/builds-client.js";
import { openBuildsClient } from "../../client/open-builds-client.js";

const Common = z.object({
  workspace: z.string().optional(),
  server: z.string().optional(),
  json: z.boolean().optional(),
});

export async function runBuildList(io: CliIo, raw: unknown): Promise<void> {
  const options = Common.extend({
    name: z.string().optional(),
    limit: z.string().optional(),
    cursor: z.string().optional(),
  }).parse(raw);
  const page = await withBuilds(io, options, (client) =>
    client.listBuilds({
      ...workspaceOf(options),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.limit === undefined ? {} : { limit: Number(options.limit) }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    }),
  );
  if (options.json === true) return writeJson(io, page);
  writeLine(io, page.items.length === 0 ? "no builds" : buildsTable(page.items));
  if (page.nextCursor !== undefined) writeLine(io, `more: --cursor ${page.nextCursor}`);
}

export async function runBuildShow(io: CliIo, id: string, raw: unknown): Promise<void> {
  const options = Common.parse(raw);
  const build = await withBuilds(io, options, (client) =>
    client.getBuild({ id, ...workspaceOf(options) }),
  );
  if (options.json === true) writeJson(io, build);
  else writeLine(io, buildLines(build));
}

export async function runBuildCancel(io: CliIo, id: string, raw: unknown): Promise<void> {
  const options = Common.parse(raw);
  const build = await withBuilds(io, options, (client) =>
    client.cancelBuild({ id, ...workspaceOf(options) }),
  );
  if (options.json === true) return writeJson(io, build);
  writeLine(
    io,
    build.state === "canceled"
      ? `build ${id} canceled`
      : build.cancelRequested
        ? `build ${id} is ${build.state}; its worker was asked to stop`
        : `build ${id} already ${build.state}`,
  );
}

/** A build's log; with `--json`, NDJSON: one `log` object per chunk (and the build's states). */
export async function runBuildLogs(io: CliIo, id: string, raw: unknown): Promise<void> {
  const options = Common.extend({ follow: z.boolean().optional() }).parse(raw);
  const json = options.json === true;
  const print = (chunk: LogChunk): void => {
    if (json) writeEvent(io, { event: "log", ...chunk });
    else writeChunk(io, chunk, io.stdout);
  };
  await withBuilds(io, options, async (client) => {
    if (options.follow === true) {
      for await (const event of client.followBuild({ id, ...workspaceOf(options) })) {
        if (event.kind === "log") print(event.chunk);
        else if (json) writeEvent(io, { event: "build", build: event.build });
      }
      return;
    }
    let afterSeq = 0;
    for (;;) {
      const chunks = await client.readBuildLog({ id, afterSeq, ...workspaceOf(options) });
      for (const chunk of chunks) print(chunk);
      const last = chunks.at(-1);
      if (last === undefined) return;
      afterSeq = last.seq;
    }
  });
}

async function withBuilds<T>(
  io: CliIo,
  options: { readonly server?: string | undefined },
  work: (client: BuildsClient) => Promise<T>,
): Promise<T> {
  const client = await openBuildsClient(io, {
    ...(options.server === undefined ? {} : { server: options.server }),
    report: (line) => io.stderr.write(`${line}\n`),
  });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

function workspaceOf(options: { readonly workspace?: string | undefined }): {
  readonly workspace?: string;
} {
  return options.workspace === undefined ? {} : { workspace: options.workspace };
}

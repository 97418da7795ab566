/**
 * `envforge job list | show | logs`: the jobs `envforge run` kept, in the local workspace or on a
 * server (`--server`, ENVFORGE_SERVER), through the jobs client either way.
 */
import type { Command } from "commander";
import * as z from "zod";
import type { JobsClient } from "../../client/jobs-client.js";
import { openJobsClient } from "../../client/open-client.js";
import type { Job, LogChunk } from "../../workspace/build-api.js";
import { withExamples } from "../help.js";
import type { CliIo } from "../context.js";
import { writeEvent, writeJson, writeLine } from "../context.js";
import { formatTable } from "../remote/table.js";

const Common = z.object({
  workspace: z.string().optional(),
  server: z.string().optional(),
  json: z.boolean().optional(),
});

export function registerJobCommand(program: Command, io: CliIo): void {
  const job = program.command("job").description("Jobs run with `envforge run`: list, show, logs");
  withExamples(
    common(
      job
        .command("list")
        .description("Jobs, newest first")
        .option("--limit <n>", "page size (default 100)")
        .option("--cursor <cursor>", "continue after a previous page"),
    ),
    "envforge job list",
    "envforge job list --server http://127.0.0.1:8080 --json",
  ).action((raw: unknown) => runJobList(io, raw));
  withExamples(
    common(job.command("show").description("One job").argument("<id>", "job id")),
    "envforge job show 6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b",
  ).action((id: string, raw: unknown) => runJobShow(io, id, raw));
  withExamples(
    common(
      job
        .command("logs")
        .description("A job's output (stderr to stderr)")
        .argument("<id>", "job id")
        .option("-f, --follow", "keep printing until the job ends"),
    ),
    "envforge job logs 6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b",
    "envforge job logs 6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b --follow --server http://127.0.0.1:8080",
  ).action((id: string, raw: unknown) => runJobLogs(io, id, raw));
}

function common(command: Command): Command {
  return command
    .option(
      "--server <url>",
      "talk to an envforge server (default: $ENVFORGE_SERVER; token from $ENVFORGE_TOKEN)",
    )
    .option("-w, --workspace <name>", "the workspace (default: default)")
    .option("--json", "print JSON for scripts");
}

async function runJobList(io: CliIo, raw: unknown): Promise<void> {
  const options = Common.extend({
    limit: z.string().optional(),
    cursor: z.string().optional(),
  }).parse(raw);
  const page = await withJobs(io, options, (jobs) =>
    jobs.listJobs({
      ...workspaceOf(options),
      ...(options.limit === undefined ? {} : { limit: Number(options.limit) }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    }),
  );
  if (options.json === true) return writeJson(io, page);
  writeLine(
    io,
    page.items.length === 0
      ? "no jobs"
      : formatTable(
          ["ID", "ENVIRONMENT", "STATE", "EXIT", "CREATED", "COMMAND"],
          page.items.map((j) => [
            j.id,
            `${j.name}@${j.version}`,
            j.state,
            j.exitCode === null ? "-" : String(j.exitCode),
            j.createdAt,
            j.command.join(" "),
          ]),
        ),
  );
  if (page.nextCursor !== undefined) writeLine(io, `more: --cursor ${page.nextCursor}`);
}

async function runJobShow(io: CliIo, id: string, raw: unknown): Promise<void> {
  const options = Common.parse(raw);
  const job = await withJobs(io, options, (jobs) => jobs.getJob({ id, ...workspaceOf(options) }));
  if (options.json === true) return writeJson(io, job);
  writeLine(io, jobLines(job));
}

async function runJobLogs(io: CliIo, id: string, raw: unknown): Promise<void> {
  const options = Common.extend({ follow: z.boolean().optional() }).parse(raw);
  const print = (chunk: LogChunk): void => {
    // --json: NDJSON, one `log` object per chunk, on stdout whatever its stream.
    if (options.json === true) writeEvent(io, { event: "log", ...chunk });
    else (chunk.stream === "stderr" ? io.stderr : io.stdout).write(chunk.text);
  };
  await withJobs(io, options, async (jobs) => {
    if (options.follow === true) {
      for await (const event of jobs.followJob({ id, ...workspaceOf(options) })) {
        if (event.kind === "log") print(event.chunk);
      }
      return;
    }
    let afterSeq = 0;
    for (;;) {
      const chunks = await jobs.readJobLog({ id, afterSeq, ...workspaceOf(options) });
      for (const chunk of chunks) print(chunk);
      const last = chunks.at(-1);
      if (last === undefined) return;
      afterSeq = last.seq;
    }
  });
}

function jobLines(job: Job): string {
  const rows: [string, string | number | null][] = [
    ["id", job.id],
    ["environment", `${job.name}@${job.version} (workspace ${job.workspace})`],
    ["command", job.command.join(" ")],
    ["image", job.imageName],
    ["state", job.state],
    ["exit code", job.exitCode],
    ["reason", job.reason],
    ["network", job.network],
    ["variables", job.envKeys.length === 0 ? null : job.envKeys.join(", ")],
    ["folder", job.workingDir],
    ["created", job.createdAt],
    ["started", job.startedAt],
    ["finished", job.finishedAt],
  ];
  return rows
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${`${key}:`.padEnd(13)}${String(value)}`)
    .join("\n");
}

async function withJobs<T>(
  io: CliIo,
  options: { readonly server?: string | undefined },
  work: (jobs: JobsClient) => Promise<T>,
): Promise<T> {
  const { client } = await openJobsClient(
    io,
    options.server === undefined ? {} : { server: options.server },
  );
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

/**
 * JobsClient over HTTP: the job routes (src/api/routes/jobs-routes.ts). A submitted job runs on
 * the server's engine; its output and its end arrive as Server-Sent Events.
 */
import { jobSchema, logChunkSchema, logPageSchema, pageOf } from "../api/routes/builds-schemas.js";
import { ExternalError } from "../errors/index.js";
import type { JobEvent } from "../workspace/build-api.js";
import type { ServerEvent } from "./http-transport.js";
import { httpTransport } from "./http-transport.js";
import type { ServerJobsClient } from "./jobs-client.js";

const jobPage = pageOf(jobSchema);

export function httpJobsClient(options: {
  readonly url: string;
  readonly token?: string;
}): ServerJobsClient {
  const http = httpTransport(options);
  const ws = (workspace: string | undefined): string => http.workspacePath(workspace);
  const jobPath = (workspace: string | undefined, id: string): string =>
    `${ws(workspace)}/jobs/${encodeURIComponent(id)}`;

  return {
    location: http.base,
    async submitJob(input) {
      const { value } = await http.json(
        jobSchema,
        "POST",
        `${ws(input.workspace)}/environments/${encodeURIComponent(input.name)}/jobs`,
        {
          ...(input.version === undefined ? {} : { version: input.version }),
          ...(input.label === undefined ? {} : { label: input.label }),
          command: input.command,
          ...(input.env === undefined ? {} : { env: input.env }),
          ...(input.network === undefined ? {} : { network: input.network }),
        },
      );
      return value;
    },
    getJob: async (input) =>
      (await http.json(jobSchema, "GET", jobPath(input.workspace, input.id))).value,
    async listJobs(input = {}) {
      const query = new URLSearchParams();
      if (input.limit !== undefined) query.set("limit", String(input.limit));
      if (input.cursor !== undefined) query.set("cursor", input.cursor);
      const { items, nextCursor } = (
        await http.json(jobPage, "GET", `${ws(input.workspace)}/jobs?${query.toString()}`)
      ).value;
      return nextCursor === undefined ? { items } : { items, nextCursor };
    },
    readJobLog: async (input) =>
      (
        await http.json(
          logPageSchema,
          "GET",
          `${jobPath(input.workspace, input.id)}/logs?after=${input.afterSeq ?? 0}`,
        )
      ).value.items,
    async *followJob(input) {
      const path = `${jobPath(input.workspace, input.id)}/logs/stream?after=${input.afterSeq ?? 0}`;
      for await (const event of http.events(path)) {
        const read = jobEventOf(event, path);
        if (read !== undefined) yield read;
      }
    },
    close: async () => undefined,
  };
}

function jobEventOf({ event, data }: ServerEvent, path: string): JobEvent | undefined {
  if (event !== "log" && event !== "state") return undefined;
  const value: unknown = data === "" ? undefined : JSON.parse(data);
  if (event === "log") {
    const chunk = logChunkSchema.safeParse(value);
    if (chunk.success) return { kind: "log", chunk: chunk.data };
  } else {
    const job = jobSchema.safeParse(value);
    if (job.success) return { kind: "state", job: job.data };
  }
  throw new ExternalError(`GET ${path}: the server sent a ${event} event envforge cannot read`);
}

/**
 * BuildsClient over HTTP: the build routes, answers checked with the routes' own schemas, the
 * live log read as Server-Sent Events. Problem bodies become the envforge error of their kind.
 */
import {
  buildSchema,
  logChunkSchema,
  logPageSchema,
  pageOf,
} from "../api/routes/builds-schemas.js";
import { ExternalError } from "../errors/index.js";
import type { BuildEvent } from "../workspace/build-api.js";
import type { BuildsClient } from "./builds-client.js";
import type { ServerEvent } from "./http-transport.js";
import { httpTransport } from "./http-transport.js";

const buildPage = pageOf(buildSchema);

export function httpBuildsClient(options: {
  readonly url: string;
  readonly token?: string;
}): BuildsClient {
  const http = httpTransport(options);
  const ws = (workspace: string | undefined): string => http.workspacePath(workspace);

  return {
    location: http.base,
    buildsHere: false,
    async requestBuild(input) {
      const { value, status } = await http.json(
        buildSchema,
        "POST",
        `${ws(input.workspace)}/environments/${encodeURIComponent(input.name)}/builds`,
        {
          ...(input.version === undefined ? {} : { version: input.version }),
          ...(input.label === undefined ? {} : { label: input.label }),
          ...(input.timeoutMs === undefined ? {} : { timeoutSeconds: input.timeoutMs / 1000 }),
        },
      );
      return { build: value, created: status === 201 };
    },
    getBuild: async (input) =>
      (
        await http.json(
          buildSchema,
          "GET",
          `${ws(input.workspace)}/builds/${encodeURIComponent(input.id)}`,
        )
      ).value,
    async listBuilds(input = {}) {
      const query = new URLSearchParams();
      if (input.name !== undefined) query.set("name", input.name);
      if (input.limit !== undefined) query.set("limit", String(input.limit));
      if (input.cursor !== undefined) query.set("cursor", input.cursor);
      const { items, nextCursor } = (
        await http.json(buildPage, "GET", `${ws(input.workspace)}/builds?${query.toString()}`)
      ).value;
      return nextCursor === undefined ? { items } : { items, nextCursor };
    },
    cancelBuild: async (input) =>
      (
        await http.json(
          buildSchema,
          "POST",
          `${ws(input.workspace)}/builds/${encodeURIComponent(input.id)}/cancel`,
        )
      ).value,
    readBuildLog: async (input) =>
      (
        await http.json(
          logPageSchema,
          "GET",
          `${ws(input.workspace)}/builds/${encodeURIComponent(input.id)}/logs?after=${input.afterSeq ?? 0}`,
        )
      ).value.items,
    async *followBuild(input) {
      const path = `${ws(input.workspace)}/builds/${encodeURIComponent(input.id)}/logs/stream`;
      for await (const event of http.events(path)) {
        const read = eventOf(event, path);
        if (read !== undefined) yield read;
      }
    },
    close: async () => undefined,
  };
}

function eventOf({ event: name, data }: ServerEvent, path: string): BuildEvent | undefined {
  if (name !== "log" && name !== "state") return undefined;
  const value: unknown = data === "" ? undefined : JSON.parse(data);
  if (name === "log") {
    const chunk = logChunkSchema.safeParse(value);
    if (chunk.success) return { kind: "log", chunk: chunk.data };
  } else {
    const build = buildSchema.safeParse(value);
    if (build.success) return { kind: "state", build: build.data };
  }
  throw new ExternalError(`GET ${path}: the server sent a ${name} event envforge cannot read`);
}

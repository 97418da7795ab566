/**
 * BuildsClient over HTTP: the build routes, answers checked with the routes' own schemas, the
 * live log read as Server-Sent Events. Problem bodies become the envforge error of their kind.
 */
import type { z } from "zod";
import { errorFrom } from "./http-workspace-client.js";
import {
  buildSchema,
  logChunkSchema,
  logPageSchema,
  pageOf,
} from "../api/routes/builds-schemas.js";
import { ExternalError } from "../errors/index.js";
import type { BuildEvent } from "../workspace/build-api.js";
import { DEFAULT_WORKSPACE } from "../workspace/index.js";
import type { BuildsClient } from "./builds-client.js";

const buildPage = pageOf(buildSchema);

export function httpBuildsClient(options: {
  readonly url: string;
  readonly token?: string;
}): BuildsClient {
  const base = options.url.replace(/\/+$/, "");
  const ws = (workspace: string | undefined): string =>
    `/v1/workspaces/${encodeURIComponent(workspace ?? DEFAULT_WORKSPACE)}`;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    accept = "application/json",
  ): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (options.token !== undefined && options.token !== "") {
      headers.authorization = `Bearer ${options.token}`;
    }
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ExternalError(
        `cannot reach the envforge server at ${base}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (!response.ok) {
      throw errorFrom(response.status, await response.text(), `${method} ${path.split("?")[0]}`);
    }
    return response;
  }

  async function json<T extends z.ZodType>(
    schema: T,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ readonly value: z.output<T>; readonly status: number }> {
    const response = await call(method, path, body);
    const parsed = schema.safeParse(await response.json());
    if (!parsed.success) {
      throw new ExternalError(
        `${method} ${path}: the server's answer is not a ${schemaName(schema)}`,
      );
    }
    return { value: parsed.data, status: response.status };
  }

  return {
    location: base,
    buildsHere: false,
    async requestBuild(input) {
      const { value, status } = await json(
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
        await json(
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
        await json(buildPage, "GET", `${ws(input.workspace)}/builds?${query.toString()}`)
      ).value;
      return nextCursor === undefined ? { items } : { items, nextCursor };
    },
    cancelBuild: async (input) =>
      (
        await json(
          buildSchema,
          "POST",
          `${ws(input.workspace)}/builds/${encodeURIComponent(input.id)}/cancel`,
        )
      ).value,
    readBuildLog: async (input) =>
      (
        await json(
          logPageSchema,
          "GET",
          `${ws(input.workspace)}/builds/${encodeURIComponent(input.id)}/logs?after=${input.afterSeq ?? 0}`,
        )
      ).value.items,
    followBuild(input) {
      return follow(`${ws(input.workspace)}/builds/${encodeURIComponent(input.id)}/logs/stream`);
    },
    close: async () => undefined,
  };

  async function* follow(path: string): AsyncGenerator<BuildEvent> {
    const response = await call("GET", path, undefined, "text/event-stream");
    if (response.body === null) return;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const bytes of response.body) {
      buffer += decoder.decode(bytes, { stream: true });
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end < 0) break;
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = eventOf(block, path);
        if (event !== undefined) yield event;
      }
    }
  }
}

function eventOf(block: string, path: string): BuildEvent | undefined {
  let name = "";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  const value: unknown = data === "" ? undefined : JSON.parse(data);
  if (name === "log") {
    const chunk = logChunkSchema.safeParse(value);
    if (chunk.success) return { kind: "log", chunk: chunk.data };
  } else if (name === "state") {
    const build = buildSchema.safeParse(value);
    if (build.success) return { kind: "state", build: build.data };
  } else if (name === "error") {
    throw new ExternalError(`GET ${path}: the server stopped the stream: ${data}`);
  } else {
    return undefined;
  }
  throw new ExternalError(`GET ${path}: the server sent a ${name} event envforge cannot read`);
}

function schemaName(schema: z.ZodType): string {
  const id = schema.meta()?.id;
  return typeof id === "string" ? id : "known answer";
}

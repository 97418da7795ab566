/**
 * Calls to an envforge server for the builds and jobs clients: JSON answers checked with the
 * routes' own schemas, Server-Sent Events read block by block, problem bodies turned into the
 * envforge error of their kind (errorFrom), the token in the Authorization header only.
 */
import type * as z from "zod";
import { ExternalError } from "../errors/index.js";
import { DEFAULT_WORKSPACE } from "../workspace/index.js";
import { errorFrom } from "./http-workspace-client.js";

export interface ServerEvent {
  readonly event: string;
  readonly data: string;
}

export interface HttpTransport {
  readonly base: string;
  /** `/v1/workspaces/<workspace>` */
  workspacePath(workspace: string | undefined): string;
  json<T extends z.ZodType>(
    schema: T,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ readonly value: z.output<T>; readonly status: number }>;
  events(path: string): AsyncGenerator<ServerEvent>;
}

export function httpTransport(options: {
  readonly url: string;
  readonly token?: string;
}): HttpTransport {
  const base = options.url.replace(/\/+$/, "");

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

  return {
    base,
    workspacePath: (workspace) =>
      `/v1/workspaces/${encodeURIComponent(workspace ?? DEFAULT_WORKSPACE)}`,
    async json(schema, method, path, body) {
      const response = await call(method, path, body);
      const parsed = schema.safeParse(await response.json());
      if (!parsed.success) {
        throw new ExternalError(
          `${method} ${path}: the server's answer is not a ${schemaName(schema)}`,
        );
      }
      return { value: parsed.data, status: response.status };
    },
    async *events(path) {
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
          let event = "";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (event === "error") {
            throw new ExternalError(`GET ${path}: the server stopped the stream: ${data}`);
          }
          if (event !== "") yield { event, data };
        }
      }
    },
  };
}

function schemaName(schema: z.ZodType): string {
  const id = schema.meta()?.id;
  return typeof id === "string" ? id : "known answer";
}

/**
 * The WorkspaceClient over HTTP, for `--server` / ENVFORGE_SERVER and `Workspace.connect`.
 * Problem bodies become the envforge error of the same kind, so the CLI exits with the code and
 * message it would give in-process. The token goes in the Authorization header only.
 */
import type * as z from "zod";
import type { Problem } from "../errors/index.js";
import {
  ConflictError,
  ExternalError,
  ForbiddenError,
  InternalError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from "../errors/index.js";
import { DEFAULT_WORKSPACE } from "../workspace/index.js";
import {
  createdTokenResponse,
  imageDetailsResponse,
  problemResponse,
  registerResponse,
  summaryPageResponse,
  tokenResponse,
  tokensResponse,
  versionPageResponse,
  versionResponse,
  versionsResponse,
  workspaceResponse,
  workspacesResponse,
} from "./response-schemas.js";
import { uploadFromFiles } from "../api/upload/upload-schema.js";
import { errorUnder } from "./display-root.js";
import type { WorkspaceClient } from "./workspace-client.js";

export interface HttpClientOptions {
  /** e.g. `http://127.0.0.1:8080` */
  readonly url: string;
  readonly token?: string;
  readonly fetch?: typeof fetch;
}

type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export function httpWorkspaceClient(options: HttpClientOptions): WorkspaceClient {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;

  async function send(
    method: string,
    path: string,
    request: { readonly query?: Query; readonly body?: unknown } = {},
  ): Promise<{ readonly text: string; readonly where: string }> {
    const url = new URL(`${base}${path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.token !== undefined && options.token !== "") {
      headers.authorization = `Bearer ${options.token}`;
    }
    if (request.body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      });
    } catch (error) {
      throw new ExternalError(`cannot reach the envforge server at ${base}: ${reason(error)}`, {
        cause: error,
      });
    }
    const text = await response.text();
    const where = `${method} ${url.pathname}`;
    if (!response.ok) throw errorFrom(response.status, text, where);
    return { text, where };
  }

  async function call<T extends z.ZodType>(
    method: string,
    path: string,
    schema: T,
    request: { readonly query?: Query; readonly body?: unknown } = {},
  ): Promise<z.output<T>> {
    const { text, where } = await send(method, path, request);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ExternalError(
        `the server at ${base} answered ${where} with something that is not JSON`,
        { cause: error },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ExternalError(
        `the server at ${base} answered ${where} in an unexpected form (is it an envforge server of this version?)`,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }

  const ws = (workspace: string | undefined): string =>
    `/v1/workspaces/${encodeURIComponent(workspace ?? DEFAULT_WORKSPACE)}`;
  const env = (workspace: string | undefined, name: string): string =>
    `${ws(workspace)}/environments/${encodeURIComponent(name)}`;
  const page = (input: {
    readonly limit?: number;
    readonly cursor?: string;
    readonly includeArchived?: boolean;
  }): Query => ({
    limit: input.limit,
    cursor: input.cursor,
    includeArchived: input.includeArchived,
  });
  const versionPath = (input: {
    readonly workspace?: string;
    readonly name: string;
    readonly version?: number;
    readonly label?: string;
  }): string =>
    input.version !== undefined
      ? `${env(input.workspace, input.name)}/versions/${encodeURIComponent(String(input.version))}`
      : `${env(input.workspace, input.name)}/labels/${encodeURIComponent(input.label ?? "latest")}`;

  return {
    location: base,
    createWorkspace: (input) => call("POST", "/v1/workspaces", workspaceResponse, { body: input }),
    getWorkspace: (input) => call("GET", ws(input.name), workspaceResponse),
    listWorkspaces: async () => (await call("GET", "/v1/workspaces", workspacesResponse)).items,
    registerFiles: async (input) => {
      if (input.lock !== undefined) {
        throw ValidationError.single({
          key: "--lock",
          message:
            "a lock cannot be sent to a server yet; the server resolves the lock from its own channels",
          allowed: "envforge env create without --lock when --server or ENVFORGE_SERVER is set",
        });
      }
      return call("POST", `${env(input.workspace, input.name)}/versions`, registerResponse, {
        body: {
          ...uploadFromFiles(input.files),
          ...(input.version === undefined ? {} : { version: input.version }),
          ...(input.description === undefined ? {} : { description: input.description }),
          ...(input.tags === undefined ? {} : { tags: input.tags }),
          ...(input.requireLock === undefined ? {} : { requireLock: input.requireLock }),
        },
      }).catch((error: unknown) => {
        throw errorUnder(error, input.displayRoot);
      });
    },
    registerDefinition: async (input) => {
      if (input.lock !== undefined) {
        throw ValidationError.single({
          key: "lock",
          message: "a lock cannot be sent to a server yet; register without it and lock there",
        });
      }
      return call("POST", `${env(input.workspace, input.name)}/versions`, registerResponse, {
        body: {
          ...(await (await import("./definition-upload.js")).definitionUpload(input.definition)),
          ...(input.version === undefined ? {} : { version: input.version }),
          ...(input.description === undefined ? {} : { description: input.description }),
          ...(input.tags === undefined ? {} : { tags: input.tags }),
          ...(input.requireLock === undefined ? {} : { requireLock: input.requireLock }),
        },
      });
    },
    getEnvironmentVersion: (input) => {
      if (input.version !== undefined && input.label !== undefined) {
        throw ValidationError.single({
          key: "label",
          message: "give a version or a label, not both",
          found: `version ${input.version} and label "${input.label}"`,
        });
      }
      return call("GET", versionPath(input), versionResponse);
    },
    getImageDetails: (input) =>
      call("GET", `${versionPath(input)}/image-details`, imageDetailsResponse),
    listEnvironments: (input = {}) =>
      call("GET", `${ws(input.workspace)}/environments`, summaryPageResponse, {
        query: page(input),
      }),
    listVersions: (input) =>
      call("GET", `${env(input.workspace, input.name)}/versions`, versionPageResponse, {
        query: page(input),
      }),
    listCurated: async (input = {}) =>
      (await call("GET", `${ws(input.workspace)}/curated`, versionsResponse)).items,
    updateVersion: (input) =>
      call("PATCH", versionPath(input), versionResponse, { body: input.changes }),
    setLabel: (input) =>
      call(
        "PUT",
        `${env(input.workspace, input.name)}/labels/${encodeURIComponent(input.label)}`,
        versionResponse,
        { body: { version: input.version } },
      ),
    removeLabel: async (input) => {
      await send(
        "DELETE",
        `${env(input.workspace, input.name)}/labels/${encodeURIComponent(input.label)}`,
      );
    },
    archive: async (input) => {
      const path =
        input.version === undefined ? env(input.workspace, input.name) : versionPath(input);
      await send("POST", `${path}/archive`);
    },
    restore: async (input) => {
      const path =
        input.version === undefined ? env(input.workspace, input.name) : versionPath(input);
      await send("POST", `${path}/restore`);
    },
    createToken: (input) =>
      call("POST", `${ws(input.workspace)}/tokens`, createdTokenResponse, {
        body: { name: input.name, scopes: input.scopes },
      }),
    listTokens: async (input = {}) =>
      (await call("GET", `${ws(input.workspace)}/tokens`, tokensResponse)).items,
    revokeToken: (input) =>
      call(
        "DELETE",
        `${ws(input.workspace)}/tokens/${encodeURIComponent(input.id)}`,
        tokenResponse,
      ),
    close: async () => undefined,
  };
}

/** The envforge error a problem body stands for. */
export function errorFrom(status: number, text: string, what: string): Error {
  let body: z.output<typeof problemResponse> | undefined;
  try {
    const parsed = problemResponse.safeParse(JSON.parse(text));
    if (parsed.success) body = parsed.data;
  } catch {
    body = undefined;
  }
  if (body === undefined) {
    return new ExternalError(`${what}: the server answered ${status} ${text.slice(0, 200)}`);
  }
  const problems: Problem[] = body.problems ?? [];
  switch (body.error) {
    case "validation":
    case "bad-request":
      return problems.length > 0
        ? new ValidationError(problems)
        : ValidationError.single({ message: body.detail });
    case "not-found":
      return new NotFoundError(body.detail);
    case "conflict":
      return new ConflictError(body.detail);
    case "unauthorized":
      return new UnauthorizedError(body.detail);
    case "forbidden":
      return new ForbiddenError(body.detail);
    case "external":
      return new ExternalError(body.detail);
    default:
      return new InternalError(`the server failed (${status}): ${body.detail}`);
  }
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

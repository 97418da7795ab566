/**
 * A real envforge server on 127.0.0.1 (port 0) over a real store, for the API tests: SQLite in
 * a temp folder or a fresh PostgreSQL database. Log lines are kept so tests can read them.
 */
import { Writable } from "node:stream";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";
import type { RunningApiServer } from "../../src/api/serve.js";
import { startApiServer } from "../../src/api/serve.js";
import type { EnvironmentService, WorkspaceStore } from "../../src/workspace/index.js";
import { createEnvironmentService, NO_CURATED } from "../../src/workspace/index.js";
import { localLockResolver } from "../../src/client/local-lock-resolver.js";
import { surfaceSettings } from "../../src/host/config.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import type { StoreHarness } from "../workspace/fixtures.js";
import { openHarness } from "../workspace/fixtures.js";

export interface ApiHarness {
  readonly url: string;
  readonly server: RunningApiServer;
  readonly store: WorkspaceStore;
  readonly service: EnvironmentService;
  readonly kind: "sqlite" | "postgres";
  /** Everything the server logged so far. */
  logs(): string;
  close(): Promise<void>;
}

export async function startApiHarness(options: {
  readonly kind: "sqlite" | "postgres";
  readonly adminUrl: string | undefined;
  readonly auth?: boolean;
  readonly bodyLimit?: number;
  readonly publicHosts?: readonly string[];
  /** Where registration bodies are read (default: the server's own thresholds). */
  readonly parsing?: { readonly threads?: number; readonly registrationBytes?: number };
  readonly curated?: boolean;
  /** Channel and index settings of the server's lock resolver, over the loopback defaults. */
  readonly env?: NodeJS.ProcessEnv;
}): Promise<ApiHarness> {
  const harness: StoreHarness = await openHarness(options.kind, options.adminUrl);
  const store = await harness.open({ clock: () => new Date() });
  // As `envforge serve` does. Unless the test maps them, channel names and pip's index go to a
  // closed loopback port, so conda versions get no lock (and no public host is ever asked).
  const locks = localLockResolver(surfaceSettings(withLoopbackDefaults(options.env)));
  const service = createEnvironmentService({
    store,
    resolveLock: locks.resolveLock,
    ...(options.curated === true ? {} : { curated: NO_CURATED }),
  });
  let logged = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString("utf8");
      done();
    },
  });
  const server = await startApiServer({
    host: "127.0.0.1",
    port: 0,
    service,
    storeKind: store.kind,
    auth: options.auth ?? false,
    settings: DEFAULT_PARSE_SETTINGS,
    registry: "127.0.0.1:5000/envforge",
    log: { stream, level: "info" },
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.publicHosts === undefined ? {} : { publicHosts: options.publicHosts }),
    ...(options.parsing === undefined ? {} : { parsing: options.parsing }),
  });
  return {
    url: server.url,
    server,
    store,
    service,
    kind: options.kind,
    logs: () => logged,
    close: async () => {
      await server.close();
      await locks.close();
      await store.close();
      await harness.dispose();
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: unknown;
}

/** One request with real fetch; the body is parsed when it is JSON. */
export async function request(
  url: string,
  options: {
    readonly method?: string;
    readonly body?: unknown;
    readonly token?: string;
    readonly raw?: string;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined || options.raw !== undefined)
    headers["content-type"] = "application/json";
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, {
    method:
      options.method ?? (options.body === undefined && options.raw === undefined ? "GET" : "POST"),
    headers,
    ...(options.raw !== undefined
      ? { body: options.raw }
      : options.body === undefined
        ? {}
        : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const contentType = response.headers.get("content-type") ?? "";
  return {
    status: response.status,
    contentType,
    body: contentType.includes("json") && text !== "" ? JSON.parse(text) : text,
  };
}

/** A conda environment.yml upload; different `packages` give different definitions. */
export function condaUpload(packages: readonly string[]): {
  entry: string;
  files: Record<string, string>;
} {
  const lines = [
    "channels:",
    "  - defaults",
    "dependencies:",
    "  - python=3.10",
    ...packages.map((p) => `  - ${p}`),
  ];
  return { entry: "environment.yml", files: { "environment.yml": `${lines.join("\n")}\n` } };
}

export function versionsUrl(url: string, workspace: string, name: string): string {
  return `${url}/v1/workspaces/${workspace}/environments/${name}/versions`;
}

/** Reads a field of a JSON answer without casting. */
export function field(body: unknown, ...path: (string | number)[]): unknown {
  let value: unknown = body;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = Reflect.get(value, key);
  }
  return value;
}

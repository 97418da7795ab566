/**
 * A separate process that registers environments into a SQLite store, so the concurrency tests
 * have real writers on separate connections. Protocol: argv is one JSON job; the worker opens
 * the store, prints `ready`, waits for a line on stdin, fires every registration at once, and
 * prints one JSON line with the results.
 */
import { createInterface } from "node:readline";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";
import { definitionWith } from "./fixtures.js";

export interface RegisterJob {
  readonly path: string;
  readonly workspace: string;
  readonly name: string;
  /** One registration per entry: the extra packages of its definition. */
  readonly packages: readonly (readonly string[])[];
}

export interface RegisterOutcome {
  readonly version: number;
  readonly created: boolean;
}

const job = parseJob(process.argv[2] ?? "");
const store = await openSqliteStore({ path: job.path, clock: () => new Date() });
const service = createEnvironmentService({ store });
process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once("line", () => resolve()));
lines.close();
const results = await Promise.all(
  job.packages.map((packages) =>
    service.registerEnvironment({
      workspace: job.workspace,
      name: job.name,
      definition: definitionWith(packages),
    }),
  ),
);
await store.close();
const outcomes: RegisterOutcome[] = results.map((r) => ({
  version: r.version.version,
  created: r.created,
}));
process.stdout.write(`${JSON.stringify(outcomes)}\n`);

function parseJob(text: string): RegisterJob {
  const value: unknown = JSON.parse(text);
  if (
    typeof value === "object" &&
    value !== null &&
    "path" in value &&
    typeof value.path === "string" &&
    "workspace" in value &&
    typeof value.workspace === "string" &&
    "name" in value &&
    typeof value.name === "string" &&
    "packages" in value &&
    Array.isArray(value.packages) &&
    value.packages.every(
      (p: unknown) => Array.isArray(p) && p.every((item: unknown) => typeof item === "string"),
    )
  ) {
    return {
      path: value.path,
      workspace: value.workspace,
      name: value.name,
      packages: value.packages,
    };
  }
  throw new Error(`register-worker: not a job: ${text}`);
}

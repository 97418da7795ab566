/**
 * HTTP API throughput and latency on each store, on loopback, with autocannon:
 * - register: POST a changed conda environment.yml each request (every answer a new version);
 * - get: GET one version by number.
 * Auth is on (every request verifies a token, as a team server does); --no-auth turns it off.
 *
 *   npx tsx bench/api.bench.ts [--duration 5] [--connections 10] [--no-auth] [--json]
 *
 * PostgreSQL is measured when scripts/ci/postgres.sh's server answers (ENVFORGE_TEST_DATABASE_URL
 * to use another), in a fresh database dropped afterwards; SQLite in a temp folder.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import type { Result } from "autocannon";
import { startApiServer } from "../src/api/serve.js";
import { DEFAULT_PARSE_SETTINGS } from "../src/definition/definition.js";
import type { WorkspaceStore } from "../src/workspace/index.js";
import {
  createEnvironmentService,
  NO_CURATED,
  openPostgresStore,
  openSqliteStore,
} from "../src/workspace/index.js";
import { createTestDatabase, probePostgres } from "../test/support/postgres.js";

const args = process.argv.slice(2);
const numberArg = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const duration = numberArg("--duration", 5);
const connections = numberArg("--connections", 10);
const auth = !args.includes("--no-auth");
const json = args.includes("--json");

interface StoreResult {
  readonly store: string;
  readonly registrationsPerSecond: number;
  readonly registerP50Ms: number;
  readonly registerP99Ms: number;
  readonly versionsCreated: number;
  readonly getPerSecond: number;
  readonly getMeanMs: number;
  readonly getP50Ms: number;
  readonly getP99Ms: number;
  readonly errors: number;
}

function upload(i: number): string {
  const text = `channels: [defaults]\ndependencies:\n  - python=3.10\n  - pkg-${i}\n`;
  return JSON.stringify({ entry: "environment.yml", files: { "environment.yml": text } });
}

async function measure(store: WorkspaceStore): Promise<StoreResult> {
  const service = createEnvironmentService({ store, curated: NO_CURATED });
  const { secret } = await service.createToken({ name: "bench", scopes: ["write"] });
  const server = await startApiServer({
    host: "127.0.0.1",
    port: 0,
    auth,
    service,
    storeKind: store.kind,
    settings: DEFAULT_PARSE_SETTINGS,
  });
  const headers = {
    "content-type": "application/json",
    ...(auth ? { authorization: `Bearer ${secret}` } : {}),
  };
  const path = "/v1/workspaces/default/environments/bench/versions";
  try {
    let counter = 0;
    const register = await autocannon({
      url: server.url,
      duration,
      connections,
      requests: [
        {
          method: "POST",
          path,
          headers,
          setupRequest: (request) => ({ ...request, body: upload(counter++) }),
        },
      ],
    });
    const versionsCreated = (await store.read((tx) => tx.countRows())).versions;
    const get = await autocannon({
      url: server.url,
      duration,
      connections,
      requests: [{ method: "GET", path: `${path}/1`, headers }],
    });
    const errors = nonOk(register) + nonOk(get);
    return {
      store: store.kind,
      registrationsPerSecond: round(register["2xx"] / duration),
      registerP50Ms: register.latency.p50,
      registerP99Ms: register.latency.p99,
      versionsCreated,
      getPerSecond: round(get["2xx"] / duration),
      // autocannon's percentiles are whole milliseconds; the mean keeps the fraction.
      getMeanMs: round(get.latency.average),
      getP50Ms: get.latency.p50,
      getP99Ms: get.latency.p99,
      errors,
    };
  } finally {
    await server.close();
  }
}

function nonOk(result: Result): number {
  return result.non2xx + result.errors + result.timeouts;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

const results: StoreResult[] = [];
const folder = await mkdtemp(join(tmpdir(), "envforge-api-bench-"));
try {
  const sqlite = await openSqliteStore({
    path: join(folder, "envforge.db"),
    clock: () => new Date(),
  });
  try {
    results.push(await measure(sqlite));
  } finally {
    await sqlite.close();
  }
  const probe = await probePostgres();
  if (probe.available) {
    const database = await createTestDatabase(probe.adminUrl);
    const postgres = await openPostgresStore({ url: database.url, clock: () => new Date() });
    try {
      results.push(await measure(postgres));
    } finally {
      await postgres.close();
      await database.drop().catch((error: unknown) => {
        console.error(`could not drop ${database.name}: ${String(error)}`);
      });
    }
  } else {
    console.error(`PostgreSQL skipped: ${probe.reason}`);
  }
} finally {
  await rm(folder, { recursive: true, force: true });
}

const [first, second] = results;
const ratios =
  first !== undefined && second !== undefined
    ? {
        [`registrations/s ${second.store}/${first.store}`]: round(
          second.registrationsPerSecond / first.registrationsPerSecond,
        ),
        [`GET mean latency ${second.store}/${first.store}`]: round(
          second.getMeanMs / Math.max(first.getMeanMs, 0.1),
        ),
        [`GET p99 ${second.store}/${first.store}`]: round(
          second.getP99Ms / Math.max(first.getP99Ms, 0.1),
        ),
      }
    : {};

if (json) {
  console.log(JSON.stringify({ duration, connections, auth, results, ratios }, null, 2));
} else {
  console.log(
    `api bench: ${duration} s per case, ${connections} connections, auth ${auth ? "on" : "off"}, loopback`,
  );
  console.table(results);
  if (Object.keys(ratios).length > 0) console.table(ratios);
  console.log("rerun: npx tsx bench/api.bench.ts --duration 5 --connections 10");
}
if (results.some((r) => r.errors > 0)) process.exitCode = 1;

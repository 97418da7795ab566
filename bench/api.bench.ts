/**
 * HTTP API throughput and latency on each store, on loopback, with autocannon:
 * - register: POST a changed conda environment.yml each request (every answer a new version);
 * - get: GET one version by number.
 * Auth is on (every request verifies a token, as a team server does); --no-auth turns it off.
 *
 *   npx tsx bench/api.bench.ts [--duration 5] [--connections 10] [--no-auth] [--json]
 *
 * - max bodies: 10 clients send maximum-size bodies while one more client asks /healthz; its p99
 *   must stay within 50 ms (issue 13). Two bodies: a requirements.txt at the definition limits
 *   (1,000 requirements with markers, just under 256 KiB: read whole, then answered with the
 *   version it already has) and a 15 MiB one (a file over the limit: parsed off the event loop,
 *   refused with 422). Load and probe run in autocannon's worker threads, so their own work does
 *   not share the server's event loop.
 *
 * PostgreSQL is measured when scripts/ci/postgres.sh's server answers (ENVFORGE_TEST_DATABASE_URL
 * to use another), in a fresh database dropped afterwards; SQLite in a temp folder.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import type { Result } from "autocannon";
import { startApiServer } from "../src/api/serve.js";
import { DEFAULT_PARSE_SETTINGS } from "../src/definition/definition.js";
import { INPUT_LIMITS } from "../src/definition/input-limits.js";
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

interface MaxBodyResult {
  readonly store: string;
  readonly body: string;
  readonly bodyBytes: number;
  readonly requestsPerSecond: number;
  readonly expectedStatus: number;
  readonly unexpected: number;
  readonly healthzAnswers: number;
  readonly healthzP50Ms: number;
  readonly healthzP99Ms: number;
  readonly healthzMaxMs: number;
}

/** Bodies at the limits: one a definition just inside them, one a file far over them. */
function maxBodies(): { name: string; body: string; status: number }[] {
  const lines: string[] = [];
  for (let i = 0; lines.length < INPUT_LIMITS.listItems; i++) {
    lines.push(
      `package-${String(i).padStart(4, "0")}[extra-a,extra-b]>=1.0.${i},<2 ; python_version >= "3.8" and (sys_platform == "linux" or os_name != "nt") and platform_machine != "armv7l" # ${"x".repeat(60)}`,
    );
  }
  let text = lines.join("\n");
  while (Buffer.byteLength(text) > INPUT_LIMITS.fileBytes)
    text = text.slice(0, text.lastIndexOf("\n"));
  const definition = JSON.stringify({
    entry: "requirements.txt",
    files: { "requirements.txt": text },
  });
  const big = JSON.stringify({
    entry: "requirements.txt",
    files: { "requirements.txt": "a".repeat(15 * 1024 * 1024) },
  });
  return [
    { name: `requirements.txt, ${text.split("\n").length} lines`, body: definition, status: 201 },
    { name: "a 15 MiB file", body: big, status: 422 },
  ];
}

async function measureMaxBodies(
  store: WorkspaceStore,
  url: string,
  headers: Record<string, string>,
): Promise<MaxBodyResult[]> {
  const path = "/v1/workspaces/default/environments/bench-max/versions";
  const results: MaxBodyResult[] = [];
  for (const { name, body, status } of maxBodies()) {
    // The first answer creates the version (201); every later one returns it (200).
    const [load, health] = await Promise.all([
      autocannon({
        url,
        duration,
        connections: 10,
        workers: 1,
        requests: [{ method: "POST", path, headers, body }],
      }),
      autocannon({
        url,
        duration,
        connections: 1,
        workers: 1,
        requests: [{ method: "GET", path: "/healthz" }],
      }),
    ]);
    const expected = status === 201 ? load["2xx"] : load["4xx"];
    results.push({
      store: store.kind,
      body: name,
      bodyBytes: Buffer.byteLength(body),
      requestsPerSecond: round(load.requests.total / duration),
      expectedStatus: status,
      unexpected: load.requests.total - expected + load.errors + load.timeouts,
      healthzAnswers: health["2xx"],
      healthzP50Ms: health.latency.p50,
      healthzP99Ms: health.latency.p99,
      healthzMaxMs: health.latency.max,
    });
  }
  return results;
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
    maxBodyResults.push(...(await measureMaxBodies(store, server.url, headers)));
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
const maxBodyResults: MaxBodyResult[] = [];
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
  console.log(
    JSON.stringify({ duration, connections, auth, results, ratios, maxBodyResults }, null, 2),
  );
} else {
  console.log(
    `api bench: ${duration} s per case, ${connections} connections, auth ${auth ? "on" : "off"}, loopback`,
  );
  console.table(results);
  if (Object.keys(ratios).length > 0) console.table(ratios);
  console.log("max bodies: 10 clients, /healthz asked alongside (target p99 <= 50 ms)");
  console.table(maxBodyResults);
  console.log(
    `load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(" ")}`,
  );
  console.log("rerun: npx tsx bench/api.bench.ts --duration 5 --connections 10");
}
if (results.some((r) => r.errors > 0)) process.exitCode = 1;
if (maxBodyResults.some((r) => r.unexpected > 0)) process.exitCode = 1;

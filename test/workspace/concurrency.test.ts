/**
 * Version allocation under real concurrency. PostgreSQL: 50 registrations at once through two
 * pools (separate connections, as two servers would have). SQLite: 50 registrations at once
 * from 5 processes with a connection each, as 5 CLI invocations would. Changed definitions must
 * get 50 distinct, contiguous versions; one definition sent 50 times must get one version; the
 * tables must hold exactly those rows.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExternalError } from "../../src/errors/index.js";
import type { EnvironmentService } from "../../src/workspace/environment-service.js";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import type { StoreHarness } from "./fixtures.js";
import { definitionWith, harnessKinds, openHarness, reportSkippedPostgres } from "./fixtures.js";
import type { RegisterJob, RegisterOutcome } from "./register-worker.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("concurrent registrations", skipped);

const REGISTRATIONS = 50;
const PROCESSES = 5;
const WORKER = fileURLToPath(new URL("./register-worker.ts", import.meta.url));

/** `packages` for registration i: distinct per i when changed, identical otherwise. */
function packagesFor(i: number, changed: boolean): string[] {
  return changed ? [`pkg-${String(i).padStart(2, "0")}`] : ["numpy"];
}

describe.each(kinds)("concurrent registrations on %s", (kind) => {
  let harness: StoreHarness;
  let stores: WorkspaceStore[] = [];
  let service: EnvironmentService;

  beforeAll(async () => {
    harness = await openHarness(kind, adminUrl);
    stores = [await harness.open(), await harness.open()];
    service = createEnvironmentService({ store: stores[0]! });
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await harness?.dispose();
  });

  /** Fires all registrations at once; returns what each caller got back. */
  async function registerAtOnce(
    workspace: string,
    name: string,
    changed: boolean,
  ): Promise<RegisterOutcome[]> {
    const all = Array.from({ length: REGISTRATIONS }, (_, i) => packagesFor(i, changed));
    if (kind === "sqlite") {
      const perProcess = REGISTRATIONS / PROCESSES;
      const jobs = Array.from({ length: PROCESSES }, (_, p) => ({
        path: stores[0]!.location,
        workspace,
        name,
        packages: all.slice(p * perProcess, (p + 1) * perProcess),
      }));
      return (await runWorkers(jobs)).flat();
    }
    const services = stores.map((store) => createEnvironmentService({ store }));
    const results = await Promise.all(
      all.map((packages, i) =>
        services[i % services.length]!.registerEnvironment({
          workspace,
          name,
          definition: definitionWith(packages),
        }),
      ),
    );
    return results.map((r) => ({ version: r.version.version, created: r.created }));
  }

  it(`gives ${REGISTRATIONS} changed definitions ${REGISTRATIONS} distinct, contiguous versions`, async () => {
    await service.createWorkspace({ name: "changed" });
    const before = await stores[0]!.read((tx) => tx.countRows());
    const outcomes = await registerAtOnce("changed", "racer", true);

    expect(outcomes.every((o) => o.created)).toBe(true);
    const numbers = outcomes.map((o) => o.version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: REGISTRATIONS }, (_, i) => i + 1));

    const after = await stores[0]!.read((tx) => tx.countRows());
    expect(after.versions - before.versions).toBe(REGISTRATIONS);
    expect(after.environments - before.environments).toBe(1);
    const stored = await service.listVersions({ workspace: "changed", name: "racer", limit: 1000 });
    expect(stored.items.map((v) => v.version)).toEqual(
      Array.from({ length: REGISTRATIONS }, (_, i) => REGISTRATIONS - i),
    );
    // Every definition landed exactly once: no lost and no duplicated registration.
    const hashes = new Set(stored.items.map((v) => v.definitionHash));
    expect(hashes.size).toBe(REGISTRATIONS);
  });

  it(`gives one definition sent ${REGISTRATIONS} times one version`, async () => {
    await service.createWorkspace({ name: "same" });
    const before = await stores[0]!.read((tx) => tx.countRows());
    const outcomes = await registerAtOnce("same", "racer", false);

    expect(outcomes.map((o) => o.version)).toEqual(Array(REGISTRATIONS).fill(1));
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    const after = await stores[0]!.read((tx) => tx.countRows());
    expect(after.versions - before.versions).toBe(1);
    expect(after.environments - before.environments).toBe(1);
  });
});

describe("SQLite stores sharing a file in one process", () => {
  it("take turns without blocking each other's transactions", async () => {
    const harness = await openHarness("sqlite", undefined);
    const stores = [await harness.open(), await harness.open(), await harness.open()];
    try {
      const services = stores.map((store) => createEnvironmentService({ store }));
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          services[i % services.length]!.registerEnvironment({
            name: "shared",
            definition: definitionWith(packagesFor(i, true)),
          }),
        ),
      );
      expect(outcomes.map((o) => o.version.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
    } finally {
      for (const store of stores) await store.close();
      await harness.dispose();
    }
  });

  it("gives up on a lock held too long with a message that says so", async () => {
    const harness = await openHarness("sqlite", undefined);
    const holder = await harness.open();
    const waiter = await openSqliteStore({
      path: holder.location,
      clock: () => new Date(),
      busyTimeoutMs: 200,
    });
    try {
      let release = (): void => undefined;
      const held = holder.write(() => new Promise<void>((resolve) => (release = () => resolve())));
      const error = await createEnvironmentService({ store: waiter })
        .registerEnvironment({ name: "late", definition: definitionWith([]) })
        .catch((e: unknown) => e);
      release();
      await held;
      expect(error).toBeInstanceOf(ExternalError);
      expect(String(error)).toContain(
        "stayed locked by another connection (another envforge process?) for longer than the wait allowed",
      );
    } finally {
      await waiter.close();
      await holder.close();
      await harness.dispose();
    }
  });
});

/** Starts every worker, waits until all have opened the store, then releases them together. */
async function runWorkers(jobs: readonly RegisterJob[]): Promise<RegisterOutcome[][]> {
  const workers = jobs.map((job) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify(job)], {
      cwd: join(fileURLToPath(new URL("../..", import.meta.url))),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const received: string[] = [];
    const waiters: ((line: string) => void)[] = [];
    lines.on("line", (line) => {
      const waiter = waiters.shift();
      if (waiter === undefined) received.push(line);
      else waiter(line);
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const nextLine = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const line = received.shift();
        if (line !== undefined) return resolve(line);
        waiters.push(resolve);
        void exited.then((code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
      });
    return { child, nextLine, exited };
  });
  for (const worker of workers) expect(await worker.nextLine()).toBe("ready");
  for (const worker of workers) worker.child.stdin.write("go\n");
  const results: RegisterOutcome[][] = [];
  for (const worker of workers) {
    const line = await worker.nextLine();
    results.push(parseOutcomes(line));
    expect(await worker.exited).toBe(0);
  }
  return results;
}

function parseOutcomes(line: string): RegisterOutcome[] {
  const value: unknown = JSON.parse(line);
  if (!Array.isArray(value)) throw new Error(`worker answered ${line}`);
  return value.map((item: unknown) => {
    if (
      typeof item === "object" &&
      item !== null &&
      "version" in item &&
      typeof item.version === "number" &&
      "created" in item &&
      typeof item.created === "boolean"
    ) {
      return { version: item.version, created: item.created };
    }
    throw new Error(`worker answered ${line}`);
  });
}

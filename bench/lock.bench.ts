/**
 * Lock time for `python=3.6 numpy scipy pandas` against the 2018 `defaults` subset
 * (../shared/testdata/repodata/defaults-2018, 5,643 records, 2.94 MB, served on 127.0.0.1).
 *
 *   npx tsx bench/lock.bench.ts [--runs 9] [--processes 3] [--json]
 *
 * Cases:
 * - rattler-direct: rattler's simpleSolve against the channel URL; it downloads every subdir's
 *   repodata itself on every solve (rattler 0.3.5 keeps no cache).
 * - envforge-cold: lockDefinition with an empty repodata cache: download, parse, serve to rattler
 *   (on its worker thread) from memory on loopback, solve, map back to records, sha256 check.
 * - envforge-warm: lockDefinition with the cache filled: one 304 per subdir instead of the body.
 * - envforge-memory: as warm, with a RepodataMemory kept across locks (a long-running server):
 *   the 304 costs neither a file read nor a JSON parse. In-process only.
 * Each is measured twice: in a warm process (medians over --runs, cases interleaved so load from
 * other processes hits all alike) and as the first solve of a fresh process (what a CLI user
 * waits for, minus Node's own start; medians over --processes).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startChannelServer } from "../src/conda/channel-server.js";
import { lockDefinition } from "../src/conda/lock-definition.js";
import { workerRattlerSolver } from "../src/conda/rattler-solver.js";
import type { RattlerSolver } from "../src/conda/rattler-solver.js";
import { RepodataMemory } from "../src/conda/repodata-cache.js";
import { targetVirtualPackages } from "../src/conda/virtual-packages.js";
import { definitionFromConda } from "../src/definition/assemble-definition.js";
import { DEFAULT_PARSE_SETTINGS } from "../src/definition/definition.js";

const SPECS = ["python=3.6", "numpy", "scipy", "pandas"];
const CASES = ["rattler-direct", "envforge-cold", "envforge-warm", "envforge-memory"] as const;
type CaseName = (typeof CASES)[number];

const args = process.argv.slice(2);
const numberArg = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const channelDir = resolve(repoRoot, "../shared/testdata/repodata/defaults-2018");
const definition = definitionFromConda(
  { conda: { channels: ["defaults"], dependencies: SPECS, pip: [], variables: {} } },
  DEFAULT_PARSE_SETTINGS,
);

const memory = new RepodataMemory();
/** In a warm process the solver worker is kept, as a server keeps it; a child makes its own. */
let sharedSolver: RattlerSolver | undefined;

/** One case, once: returns the number of (non-virtual) packages solved. */
async function runCase(kind: CaseName, url: string, cacheDir: string): Promise<number> {
  if (kind === "rattler-direct") {
    // Imported here, as lockDefinition does, so a fresh process pays rattler's WASM load in both.
    const { simpleSolve } = await import("@conda-org/rattler");
    const virtual = targetVirtualPackages("linux-64").map((p) => ({
      url: `${url}/linux-64/${p.name}-${p.version}-${p.build}.tar.bz2`,
      packageName: p.name,
      version: p.version,
      build: p.build,
      filename: `${p.name}-${p.version}-${p.build}.tar.bz2`,
      subdir: "linux-64",
      depends: [],
    }));
    const solved = await simpleSolve([...SPECS], [`${url}/`], ["linux-64", "noarch"], virtual);
    return solved.filter((p) => !p.packageName.startsWith("__")).length;
  }
  const lock = await lockDefinition({
    definition,
    channelConfig: { urls: { defaults: url } },
    baseDir: repoRoot,
    cacheDir,
    ...(kind === "envforge-memory" ? { memory } : {}),
    ...(sharedSolver === undefined ? {} : { solver: sharedSolver }),
  });
  return lock.platforms[0]?.conda.length ?? 0;
}

async function timed(action: () => Promise<number>): Promise<{ ms: number; packages: number }> {
  const start = performance.now();
  const packages = await action();
  return { ms: performance.now() - start, packages };
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0);
}

const childAt = args.indexOf("--child");
if (childAt >= 0) {
  const kind = CASES.find((name) => name === args[childAt + 1]) ?? "envforge-cold";
  const result = await timed(() => runCase(kind, args[childAt + 2] ?? "", args[childAt + 3] ?? ""));
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

const runs = numberArg("--runs", 9);
const processes = numberArg("--processes", 3);
const server = await startChannelServer({ root: channelDir });
const work = await mkdtemp(join(tmpdir(), "envforge-lock-bench-"));
const sizes = new Map<string, number>();
for (const subdir of ["linux-64", "noarch"]) {
  sizes.set(
    `/${subdir}/repodata.json`,
    (await stat(join(channelDir, subdir, "repodata.json"))).size,
  );
}
const cacheFor = (kind: CaseName, run: number) =>
  join(work, kind === "envforge-warm" || kind === "envforge-memory" ? "warm" : `${kind}-${run}`);

async function inProcess() {
  await runCase("envforge-cold", server.url, join(work, "warm")); // warms WASM and the cache
  const samples = new Map<CaseName, number[]>(CASES.map((kind) => [kind, []]));
  const served = new Map<CaseName, { path: string; status: number }[]>(CASES.map((k) => [k, []]));
  let packages = 0;
  for (let run = 0; run < runs; run += 1) {
    for (const kind of CASES) {
      const before = server.requests.length;
      const result = await timed(() => runCase(kind, server.url, cacheFor(kind, run)));
      samples.get(kind)?.push(result.ms);
      served.get(kind)?.push(...server.requests.slice(before));
      packages = result.packages;
    }
  }
  return CASES.map((kind) => {
    const requests = served.get(kind) ?? [];
    const bodies = requests.filter((r) => r.status === 200);
    return {
      name: kind,
      packages,
      medianMs: median(samples.get(kind) ?? []),
      bodiesPerRun: bodies.length / runs,
      notModifiedPerRun: requests.filter((r) => r.status === 304).length / runs,
      channelMBPerRun:
        Math.round(bodies.reduce((sum, r) => sum + (sizes.get(r.path) ?? 0), 0) / runs / 1e4) / 100,
    };
  });
}

const execFileAsync = promisify(execFile);

async function freshProcesses() {
  const samples = new Map<CaseName, number[]>(CASES.map((kind) => [kind, []]));
  for (let run = 0; run < processes; run += 1) {
    for (const kind of CASES.filter((name) => name !== "envforge-memory")) {
      const { stdout } = await execFileAsync(process.execPath, [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        "--child",
        kind,
        server.url,
        cacheFor(kind, runs + run),
      ]);
      const parsed: unknown = JSON.parse(stdout);
      if (typeof parsed === "object" && parsed !== null && "ms" in parsed) {
        samples.get(kind)?.push(Number(parsed.ms));
      }
    }
  }
  return CASES.filter((kind) => kind !== "envforge-memory").map((kind) => ({
    name: kind,
    medianMs: median(samples.get(kind) ?? []),
  }));
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100;

function ratios(results: readonly { name: string; medianMs: number }[]) {
  const of = (name: CaseName) => results.find((r) => r.name === name)?.medianMs;
  return {
    warmOverDirect: ratio(of("envforge-warm"), of("rattler-direct")),
    coldOverDirect: ratio(of("envforge-cold"), of("rattler-direct")),
    warmOverCold: ratio(of("envforge-warm"), of("envforge-cold")),
    ...(of("envforge-memory") === undefined
      ? {}
      : { memoryOverDirect: ratio(of("envforge-memory"), of("rattler-direct")) }),
  };
}

try {
  sharedSolver = workerRattlerSolver();
  const warm = await inProcess();
  await sharedSolver.close();
  sharedSolver = undefined;
  const fresh = await freshProcesses();
  const report = {
    case: `${SPECS.join(" ")} against defaults-2018 (linux-64 + noarch, 5,643 records)`,
    node: process.version,
    inProcess: { runs, results: warm, ratios: ratios(warm) },
    freshProcess: { runs: processes, results: fresh, ratios: ratios(fresh) },
    rerun: `npx tsx bench/lock.bench.ts --runs ${runs} --processes ${processes}`,
  };
  if (args.includes("--json")) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines = [`${report.case}, ${report.node}`, `in a warm process (median of ${runs}):`];
    for (const r of warm) {
      lines.push(
        `  ${r.name.padEnd(15)} ${String(r.medianMs).padStart(5)} ms  ${r.packages} packages; ` +
          `from the channel per lock: ${r.bodiesPerRun} bodies (${r.channelMBPerRun} MB), ` +
          `${r.notModifiedPerRun} x 304`,
      );
    }
    lines.push(`  ratios ${JSON.stringify(report.inProcess.ratios)}`);
    lines.push(`first solve of a fresh process (median of ${processes}):`);
    for (const r of fresh)
      lines.push(`  ${r.name.padEnd(15)} ${String(r.medianMs).padStart(5)} ms`);
    lines.push(`  ratios ${JSON.stringify(report.freshProcess.ratios)}`);
    lines.push(`rerun: ${report.rerun}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}

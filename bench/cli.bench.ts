/**
 * CLI start-up, side by side in one process so every case sees the same machine load: the built
 * CLI (`bin`: dist/bin/envforge.js, made by `npm run build`) against `node -e 0`, and
 * `envforge env build` on a cache hit against a fully cached `docker build` of the Dockerfile
 * envforge builds (`env show NAME --dockerfile`, same context, DOCKER_BUILDKIT=1).
 *
 *   npx tsx bench/cli.bench.ts [--runs 7] [--bin dist/bin/envforge.js] [--json]
 *
 * Cases, each a fresh process, interleaved run by run:
 *   node            `node -e 0`
 *   version         `envforge --version`
 *   hash            `envforge hash examples/pytorch/environment.yml`
 *   hash-no-cache   the same with NODE_DISABLE_COMPILE_CACHE=1: a first start, which compiles
 *                   every chunk it loads (the other cases start warm: the untimed rounds write
 *                   the bundle's V8 code caches and packs, see src/cli/bundle-loader.ts)
 *   env-list        `envforge env list` on SQLite, in an ENVFORGE_HOME made for the bench
 *   env-build-hit   `envforge env build bench` once the image is in the local engine (no
 *                   registry, as on one machine): a cache hit
 *   docker-cached   `/usr/bin/docker build -q` of the same Dockerfile, every step cached
 * Medians of --runs runs: wall clock, and the CPU time (user + system) of the command and its
 * children, which shows what a command costs when the machine's load stretches wall times.
 * Needs scripts/ci/engines.sh (Docker engine, registry 127.0.0.1:5000, base image). Channel and
 * index defaults point at a closed loopback port: nothing leaves the machine. The images made
 * are removed by id at the end.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import * as z from "zod";
import { dockerClient, dockerProblem, removeImage } from "../test/support/docker.js";
import { withLoopbackDefaults } from "../test/support/loopback-defaults.js";
import { BASE_IMAGE, registryProblem } from "../test/support/registry.js";

const run = promisify(execFile);
const DOCKER = "/usr/bin/docker";
/**
 * Times one command in bash: wall clock from $EPOCHREALTIME around it, CPU from `times` (the
 * children's user and system time, to the millisecond), so bash's own start is not counted.
 */
const TIMER =
  's=$EPOCHREALTIME; "$@" >/dev/null 2>"$ENVFORGE_BENCH_ERR"; rc=$?; e=$EPOCHREALTIME; ' +
  'echo "wall $s $e"; times; exit $rc';
const REPO = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const runs = Number(option("--runs") ?? 7);
const bin = resolve(REPO, option("--bin") ?? "dist/bin/envforge.js");
const asJson = args.includes("--json");
const HASHED = join(REPO, "examples/pytorch/environment.yml");

type Case =
  "node" | "version" | "hash" | "hash-no-cache" | "env-list" | "env-build-hit" | "docker-cached";

/** The ratio each case is held to, and against which baseline (issue 9, point 4). */
const TARGETS: readonly { case: Case; baseline: Case; atMost: number }[] = [
  { case: "version", baseline: "node", atMost: 2.5 },
  { case: "hash", baseline: "node", atMost: 2.5 },
  { case: "env-list", baseline: "node", atMost: 3 },
  { case: "env-build-hit", baseline: "docker-cached", atMost: 1 },
];

const Built = z.looseObject({
  state: z.literal("succeeded"),
  cacheHit: z.boolean().nullable(),
  image: z.looseObject({ id: z.string().nullable() }),
});

if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer`);
if (!existsSync(bin)) throw new Error(`${bin}: not built; run \`npm run build\` first`);
const problem = (await dockerProblem()) ?? (await registryProblem());
if (problem !== undefined) throw new Error(`needs scripts/ci/engines.sh: ${problem}`);

const work = await mkdtemp(join(tmpdir(), "envforge-cli-bench-"));
const docker = dockerClient();
const made = new Set<string>();
const nonce = randomBytes(4).toString("hex");
const dockerTag = `envforge-cli-bench/docker-${nonce}:latest`;
// No registry and no config file: the image stays in the local engine, as on one machine.
const env = withLoopbackDefaults({
  PATH: process.env.PATH,
  HOME: work,
  ENVFORGE_HOME: join(work, "home"),
  ENVFORGE_CONFIG: join(work, "missing.yaml"),
  DOCKER_BUILDKIT: "1",
});
const freshEnv = { ...env, ENVFORGE_HOME: join(work, "fresh-home") };

interface Timing {
  readonly wallMs: number;
  /** User + system CPU of the command and its children. */
  readonly cpuMs: number;
}

/** Runs one command to its end under TIMER; fails the bench (with its stderr) if it fails. */
async function timed(
  command: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv },
): Promise<Timing> {
  const errors = join(work, "stderr.txt");
  const { stdout } = await run("bash", ["-c", TIMER, "bash", ...command], {
    env: { ...options.env, ENVFORGE_BENCH_ERR: errors },
  }).catch(async (error: unknown) => {
    throw new Error(`${command.join(" ")} failed: ${await readFile(errors, "utf8")}`, {
      cause: error,
    });
  });
  // `times` prints the shell's own line, then its children's: "0m0.095s 0m0.020s".
  const wall = /^wall ([0-9.]+) ([0-9.]+)$/m.exec(stdout);
  const children = stdout.trim().split("\n").at(-1) ?? "";
  const cpu = /^(\d+)m([0-9.]+)s (\d+)m([0-9.]+)s$/.exec(children);
  if (wall === null || cpu === null) throw new Error(`unexpected timer output: ${stdout}`);
  const seconds = (minutes?: string, rest?: string): number => Number(minutes) * 60 + Number(rest);
  return {
    wallMs: (Number(wall[2]) - Number(wall[1])) * 1000,
    cpuMs: (seconds(cpu[1], cpu[2]) + seconds(cpu[3], cpu[4])) * 1000,
  };
}

const COMMANDS: Record<Case, { readonly command: readonly string[]; env: NodeJS.ProcessEnv }> = {
  node: { command: [process.execPath, "-e", "0"], env },
  version: { command: [process.execPath, bin, "--version"], env },
  hash: { command: [process.execPath, bin, "hash", HASHED], env },
  "hash-no-cache": {
    command: [process.execPath, bin, "hash", HASHED],
    env: { ...env, NODE_DISABLE_COMPILE_CACHE: "1" },
  },
  "env-list": { command: [process.execPath, bin, "env", "list"], env: freshEnv },
  "env-build-hit": { command: [process.execPath, bin, "env", "build", "bench"], env },
  "docker-cached": {
    command: [DOCKER, "build", "-q", "--network", "host", "-t", dockerTag, join(work, "ctx")],
    env,
  },
};

const times = new Map<Case, Timing[]>();
let built: z.infer<typeof Built> | undefined;
try {
  // The environment: a Dockerfile on the base image, with a step of its own.
  await writeFile(join(work, "Dockerfile"), `FROM ${BASE_IMAGE}\nRUN echo ${nonce} > /bench\n`);
  const cli = (argv: readonly string[]) =>
    run(process.execPath, [bin, ...argv], { env, maxBuffer: 1 << 24 });
  await cli(["env", "create", "-f", join(work, "Dockerfile"), "-n", "bench"]);
  built = Built.parse(JSON.parse((await cli(["env", "build", "bench", "--json"])).stdout));
  if (built.image.id !== null) made.add(built.image.id);
  // docker builds exactly what envforge built, from the same context (none but the Dockerfile).
  await mkdir(join(work, "ctx"));
  await writeFile(
    join(work, "ctx/Dockerfile"),
    (await cli(["env", "show", "bench", "--dockerfile"])).stdout,
  );
  const first = await run(DOCKER, COMMANDS["docker-cached"].command.slice(1), { env });
  made.add(first.stdout.trim());
  // Two untimed rounds: the first writes each chunk's code cache and each command's pack (and
  // the fresh workspace gets its database), the second the pack's code cache.
  for (let round = 0; round < 2; round++) {
    for (const { command, env: caseEnv } of Object.values(COMMANDS)) {
      await timed(command, { env: caseEnv });
    }
  }
  const hit = Built.parse(JSON.parse((await cli(["env", "build", "bench", "--json"])).stdout));
  if (hit.cacheHit !== true) throw new Error("the second env build was not a cache hit");

  const load = loadavg();
  for (let round = 0; round < runs; round++) {
    for (const [name, { command, env: caseEnv }] of Object.entries(COMMANDS)) {
      const timing = await timed(command, { env: caseEnv });
      times.set(name as Case, [...(times.get(name as Case) ?? []), timing]);
    }
  }
  report(load, loadavg());
} finally {
  for (const id of made) await removeImage(docker, id);
  await rm(work, { recursive: true, force: true });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function report(before: readonly number[], after: readonly number[]): void {
  const medians = Object.fromEntries(
    [...times.entries()].map(([name, timings]) => {
      return [
        name,
        {
          wallMs: Math.round(median(timings.map((timing) => timing.wallMs))),
          cpuMs: Math.round(median(timings.map((timing) => timing.cpuMs))),
        },
      ];
    }),
  ) as Record<Case, { wallMs: number; cpuMs: number }>;
  const targets = TARGETS.map((target) => {
    const ratio = medians[target.case].wallMs / medians[target.baseline].wallMs;
    const cpuRatio = medians[target.case].cpuMs / Math.max(1, medians[target.baseline].cpuMs);
    return {
      ...target,
      ratio: Math.round(ratio * 100) / 100,
      met: ratio <= target.atMost,
      // Not the target; what the ratio would be if load did not stretch the slower case more.
      cpuRatio: Math.round(cpuRatio * 100) / 100,
    };
  });
  const loadAverage = {
    before: before.map((value) => value.toFixed(2)),
    after: after.map((value) => value.toFixed(2)),
  };
  const rerun = `npx tsx bench/cli.bench.ts --runs ${runs}`;
  if (asJson) {
    process.stdout.write(
      `${JSON.stringify({ runs, node: process.version, loadAverage, medians, targets, rerun }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `medians of ${runs} runs (${process.version}; load average ${loadAverage.before.join(" ")} before, ${loadAverage.after.join(" ")} after)\n`,
  );
  for (const [name, value] of Object.entries(medians)) {
    process.stdout.write(
      `${name.padEnd(14)} wall ${String(value.wallMs).padStart(5)} ms   cpu ${String(value.cpuMs).padStart(5)} ms\n`,
    );
  }
  for (const target of targets) {
    process.stdout.write(
      `${`${target.case} / ${target.baseline}`.padEnd(30)} ${target.ratio.toFixed(2).padStart(5)}  (target ≤ ${target.atMost}: ${target.met ? "met" : "missed"}; cpu ${target.cpuRatio.toFixed(2)})\n`,
    );
  }
  process.stdout.write(`rerun: ${rerun}\n`);
}

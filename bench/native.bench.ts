/**
 * The native builder against the Docker-engine builder on the same environments, in one run:
 *
 * - cold build, warm package cache: content no registry or BuildKit cache has seen, packages
 *   already in the (shared) package cache;
 * - cold build, empty package cache: new content and new caches;
 * - rebuild after one package changed (a 4 MiB package's version), with the bytes it pushed;
 * - warm build: the same image again, and how many registry requests it took.
 *
 * Each round builds every case with the native builder, then with Docker. A case's ratio is
 * given twice: the Docker median over the native median, and "paired", the median of each
 * round's own Docker/native ratio (the runs of a round are seconds apart, so a machine that
 * gets faster or slower during the bench moves both builders' times alike).
 *
 * Where the machine's local wheel mirror is (test/support/mirror-index.ts), the same comparison
 * runs once more, once, on the real torch 2.13.0+cpu + torchvision environment of the lock issue
 * (pins as bench/pip.bench.ts, wheels installed by envforge into one layer per distribution on
 * the python base without pip): cold build with an empty package cache, then the rebuild after one
 * small wheel changed (envforge-bench-tiny 1.0 → 1.1, fresh per run), with the bytes each sent.
 * The rebuild must not send torch's layer again (checked on each builder's two manifests and
 * on the uploads the proxy saw; the bench fails otherwise). Without the mirror it says so and
 * skips that part; `--no-torch` skips it too.
 *
 *   npx tsx bench/native.bench.ts [--runs 3] [--json] [--no-torch]
 *
 * Needs scripts/ci/engines.sh (Docker 20.10, registry 127.0.0.1:5000, base image). Every push of
 * both builders goes through a counting proxy on 127.0.0.1 in a child process (test/support/counting-proxy-process.ts), which
 * counts blob bytes sent and requests; the base image is named through it too, so both builders
 * find its layers in the same registry. Each case has its own seed channel with a new nonce, so
 * neither the registry nor BuildKit's cache has its layers. Images and manifests made are removed.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DockerEngineBuilder } from "../src/builders/docker-engine-builder.js";
import type { BuildOutcome, ImageBuilder } from "../src/builders/image-builder.js";
import { NativeBuilder } from "../src/builders/native/native-builder.js";
import { PackageCache } from "../src/conda/package-cache.js";
import { definitionHash } from "../src/definition/definition-hash.js";
import type { Definition } from "../src/definition/definition.js";
import { dockerConfigCredentials, openRegistry } from "../src/image/index.js";
import { hostPipProblem } from "../src/pip/run-pip.js";
import { PYTHON_SHIMS } from "../scripts/support/seed-flow-setup.js";
import { blobBytesOf } from "../test/support/counting-proxy.js";
import { startCountingProxyProcess } from "../test/support/counting-proxy-process.js";
import { dockerClient, removeImage } from "../test/support/docker.js";
import { mirrorProblem, startMirrorIndex } from "../test/support/mirror-index.js";
import { startPipIndex } from "../test/support/pip-index.js";
import { ensurePythonNoPipImage } from "../test/support/python-nopip-image.js";
import { deleteManifest, PLAIN_REGISTRY } from "../test/support/registry.js";
import { startSeedChannel } from "../test/support/seed-channel.js";
import type { SeedChannel } from "../test/support/seed-channel.js";
import { lockedTorchEnvironment } from "../test/support/torch-environment.js";
import * as z from "zod";
import { buildWheel } from "../test/support/wheels.js";

const args = process.argv.slice(2);
const runs = (() => {
  const at = args.indexOf("--runs");
  return at >= 0 ? Number(args[at + 1]) : 3;
})();
const asJson = args.includes("--json");
const withTorch = !args.includes("--no-torch");
const loadBefore = loadavg();

/**
 * Collects garbage before each timed build, for both builders. Each case's set-up (a new seed
 * channel with 8 MiB of random package data, the package cache filled beforehand) runs in this
 * process, and its garbage was collected inside the next timed build: a major collection in 8 of
 * 10 native cold builds, none once collected before. The builds' own garbage is still theirs.
 */
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const MiB = 1024 * 1024;
const docker = dockerClient();
const proxy = await startCountingProxyProcess(PLAIN_REGISTRY);
const work = await mkdtemp(join(tmpdir(), "envforge-native-bench-"));
const made: BuildOutcome[] = [];

type Kind = "native" | "docker";
type Case = "cold-warm-cache" | "cold-empty-cache" | "one-changed" | "warm";
const times = new Map<string, number[]>();
const bytes = new Map<string, number[]>();
const requests = new Map<string, number[]>();
/** This process's CPU (user + system) per build: all of the native builder's work, little of Docker's. */
const cpu = new Map<string, number[]>();
const add = (map: Map<string, number[]>, key: string, value: number): void => {
  map.set(key, [...(map.get(key) ?? []), value]);
};

function builders(home: string): Record<Kind, ImageBuilder> {
  const env = { HOME: home, DOCKER_CONFIG: join(home, "docker") };
  const registry = openRegistry({ env });
  const packageCache = new PackageCache({ dir: join(home, "pkgs") });
  return {
    native: new NativeBuilder({ registry, packageCache, workDir: home }),
    docker: new DockerEngineBuilder({
      docker,
      registry,
      credentials: dockerConfigCredentials({ env }),
      packageCache,
      workDir: home,
    }),
  };
}

function environment(channel: SeedChannel, big: string) {
  const names = ["zlib", "envforge-hello", "seed-alpha=1.0.0", `bench-big=${big}`];
  const definition: Definition = {
    kind: "envforge",
    tags: {},
    base: {
      kind: "image",
      image: { registry: proxy.address, repository: "envforge/debian", tag: "bookworm" },
      defaulted: false,
    },
    apt: [],
    variables: {},
    platform: "linux-64",
    python: { userManagedDependencies: false, interpreterPath: "python" },
    conda: { channels: [channel.url], dependencies: names, pip: [], variables: {} },
  };
  const hash = definitionHash(definition);
  return { definition, definitionHash: hash, lock: channel.lock(hash, names) };
}

async function channelOfRun(): Promise<SeedChannel> {
  return startSeedChannel({
    nonce: randomBytes(8).toString("hex"),
    extra: ["1.0.0", "2.0.0"].map((version) => ({
      name: "bench-big",
      version,
      noarch: "generic" as const,
      files: [{ path: "share/bench-big/data.bin", content: randomBytes(4 * MiB) }],
    })),
  });
}

async function measure(
  name: Case,
  kind: Kind,
  builder: ImageBuilder,
  request: Parameters<ImageBuilder["build"]>[0],
): Promise<BuildOutcome> {
  await proxy.reset();
  collectGarbage();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const outcome = await builder.build(request);
  add(times, `${kind} ${name}`, performance.now() - started);
  const cpuUsed = process.cpuUsage(cpuBefore);
  add(cpu, `${kind} ${name}`, (cpuUsed.user + cpuUsed.system) / 1000);
  const seen = await proxy.requests();
  add(bytes, `${kind} ${name}`, blobBytesOf(seen));
  add(requests, `${kind} ${name}`, seen.length);
  made.push(outcome);
  return outcome;
}

async function prefetch(home: string, request: ReturnType<typeof environment>): Promise<void> {
  const cache = new PackageCache({ dir: join(home, "pkgs") });
  for (const pkg of request.lock.platforms[0]?.conda ?? []) await cache.get(pkg);
}

/** The torch + torchvision environment on one builder: cold, then one small wheel changed. */
interface TorchRun {
  readonly coldMs: number;
  readonly coldBytes: number;
  readonly changedMs: number;
  readonly changedBytes: number;
  /** torch's layer (the largest): digest and compressed size, the same in both images. */
  readonly torchLayer: { readonly digest: string; readonly size: number };
  /** Whether the rebuild's uploads included torch's layer (must be false). */
  readonly torchSentAgain: boolean;
  readonly layers: number;
}
type TorchResult = { readonly skipped: string } | Readonly<Record<Kind, TorchRun>>;

const ManifestLayers = z.object({
  layers: z.array(z.object({ digest: z.string(), size: z.number() })),
});

async function layersOf(imageName: string, digest: string) {
  const [, ...path] = imageName.split("/");
  const response = await fetch(
    `http://${PLAIN_REGISTRY}/v2/${path.join("/")}/manifests/${digest}`,
    {
      headers: {
        accept:
          "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
      },
    },
  );
  return ManifestLayers.parse(await response.json()).layers;
}

async function torchComparison(): Promise<TorchResult> {
  const missing = (await mirrorProblem()) ?? (await hostPipProblem());
  if (missing !== undefined) return { skipped: missing };
  const nonce = randomBytes(6).toString("hex");
  const tiny = (version: string) =>
    buildWheel({
      name: "envforge-bench-tiny",
      version,
      files: { "envforge_bench_tiny.py": `VERSION = '${version}'\nNONCE = '${nonce}'\n` },
    });
  const mirror = await startMirrorIndex();
  const extra = await startPipIndex({ debianWheels: false, files: [tiny("1.0"), tiny("1.1")] });
  const channel = await startSeedChannel({ extra: PYTHON_SHIMS });
  try {
    await ensurePythonNoPipImage();
    // Locked once, outside the timings: both builders build the same two locks.
    const locks = new Map<string, Awaited<ReturnType<typeof lockedTorchEnvironment>>>();
    for (const version of ["1.0", "1.1"]) {
      // Through the proxy, as the seed environments: both builders find the base's layers in
      // the registry they push to.
      const locked = await lockedTorchEnvironment({
        baseRegistry: proxy.address,
        channel,
        indexUrl: mirror.url,
        extraUrl: extra.url,
        tinyVersion: version,
        timeoutMs: 300_000,
      });
      locks.set(version, locked);
    }
    const result: Partial<Record<Kind, TorchRun>> = {};
    for (const kind of ["native", "docker"] as const) {
      const home = await mkdtemp(join(work, `torch-${kind}-`));
      try {
        const builder = builders(home)[kind];
        const registry = `${proxy.address}/envforge-bench/torch-${kind}-${nonce}`;
        const build = async (version: string) => {
          const request = locks.get(version);
          if (request === undefined) throw new Error(`no lock for ${version}`);
          await proxy.reset();
          collectGarbage();
          const started = performance.now();
          const outcome = await builder.build({ ...request, registry });
          const ms = performance.now() - started;
          made.push(outcome);
          const seen = await proxy.requests();
          const uploads = seen
            .filter((r) => r.method === "PUT" && r.path.includes("/blobs/uploads/"))
            .map((r) => decodeURIComponent(r.path));
          return { outcome, ms, bytes: blobBytesOf(seen), uploads };
        };
        const cold = await build("1.0");
        const changed = await build("1.1");
        const coldLayers = await layersOf(cold.outcome.imageName, cold.outcome.digest);
        const changedLayers = await layersOf(changed.outcome.imageName, changed.outcome.digest);
        const torchLayer = [...coldLayers].sort((a, b) => b.size - a.size)[0];
        if (torchLayer === undefined) throw new Error(`${kind}: the torch image has no layers`);
        if (!changedLayers.some((l) => l.digest === torchLayer.digest)) {
          throw new Error(
            `${kind}: torch's layer ${torchLayer.digest} is not in the rebuilt image: one small wheel changed torch's layer`,
          );
        }
        result[kind] = {
          coldMs: cold.ms,
          coldBytes: cold.bytes,
          changedMs: changed.ms,
          changedBytes: changed.bytes,
          torchLayer,
          torchSentAgain: changed.uploads.some((path) => path.includes(torchLayer.digest)),
          layers: coldLayers.length,
        };
      } finally {
        await rm(home, { recursive: true, force: true });
      }
    }
    const native = result.native;
    const dockerRun = result.docker;
    if (native === undefined || dockerRun === undefined) throw new Error("a builder did not run");
    return { native, docker: dockerRun };
  } finally {
    await mirror.close();
    await extra.close();
    await channel.close();
  }
}

let torch: TorchResult | undefined;
try {
  for (let r = 0; r < runs; r += 1) {
    for (const kind of ["native", "docker"] as const) {
      // Cold, empty package cache: new content, new home.
      const empty = await channelOfRun();
      try {
        const home = await mkdtemp(join(work, `${kind}-empty-`));
        const registry = `${proxy.address}/envforge-bench/native-${randomBytes(4).toString("hex")}`;
        await measure("cold-empty-cache", kind, builders(home)[kind], {
          ...environment(empty, "1.0.0"),
          registry,
        });
      } finally {
        await empty.close();
      }
      // Cold, warm package cache; then one package changed; then the same image again.
      const warm = await channelOfRun();
      try {
        const home = await mkdtemp(join(work, `${kind}-warm-`));
        const before = environment(warm, "1.0.0");
        const after = environment(warm, "2.0.0");
        await prefetch(home, before);
        await prefetch(home, after);
        const registry = `${proxy.address}/envforge-bench/native-${randomBytes(4).toString("hex")}`;
        const builder = builders(home)[kind];
        await measure("cold-warm-cache", kind, builder, { ...before, registry });
        await measure("one-changed", kind, builder, { ...after, registry });
        await measure("warm", kind, builder, { ...after, registry });
      } finally {
        await warm.close();
      }
    }
  }
  if (withTorch) torch = await torchComparison();
} finally {
  for (const outcome of made) {
    if (outcome.cacheHit) continue;
    await removeImage(docker, `${outcome.imageName}:latest`);
    const [, ...path] = outcome.imageName.split("/");
    await deleteManifest({
      registry: PLAIN_REGISTRY,
      repository: path.join("/"),
      digest: outcome.digest,
    }).catch(() => undefined);
  }
  await proxy.close();
  await rm(work, { recursive: true, force: true });
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const cases: Case[] = ["cold-warm-cache", "cold-empty-cache", "one-changed", "warm"];
const paired = (name: Case): number[] => {
  const nativeRuns = times.get(`native ${name}`) ?? [];
  const dockerRuns = times.get(`docker ${name}`) ?? [];
  return nativeRuns.map((ms, i) => (dockerRuns[i] ?? Number.NaN) / ms);
};
const rows = cases.map((name) => {
  const native = median(times.get(`native ${name}`) ?? []);
  const dockerMs = median(times.get(`docker ${name}`) ?? []);
  return {
    case: name,
    nativeMs: Math.round(native),
    dockerMs: Math.round(dockerMs),
    ratio: Number((dockerMs / native).toFixed(2)),
    // The median of each round's own ratio: a round's two builds run seconds apart, so a
    // machine that speeds up or slows down over the bench moves both.
    pairedRatio: Number(median(paired(name)).toFixed(2)),
    nativeBytes: median(bytes.get(`native ${name}`) ?? []),
    dockerBytes: median(bytes.get(`docker ${name}`) ?? []),
    nativeRequests: median(requests.get(`native ${name}`) ?? []),
    nativeCpuMs: Math.round(median(cpu.get(`native ${name}`) ?? [])),
    dockerRequests: median(requests.get(`docker ${name}`) ?? []),
    // Every run's time, in run order, for a reader who wants more than the median.
    nativeRunsMs: (times.get(`native ${name}`) ?? []).map(Math.round),
    dockerRunsMs: (times.get(`docker ${name}`) ?? []).map(Math.round),
  };
});
const load = { before: loadBefore.map(round2), after: loadavg().map(round2) };
if (asJson) {
  process.stdout.write(`${JSON.stringify({ runs, rows, torch, load })}\n`);
} else {
  process.stdout.write(`native vs Docker-engine builder, medians of ${runs} runs\n`);
  for (const row of rows) {
    process.stdout.write(
      `${row.case.padEnd(18)} native ${String(row.nativeMs).padStart(6)} ms  docker ${String(row.dockerMs).padStart(6)} ms  docker/native ${row.ratio.toFixed(2)}x (paired ${row.pairedRatio.toFixed(2)}x)  native CPU ${row.nativeCpuMs} ms  bytes pushed native ${row.nativeBytes} docker ${row.dockerBytes}  registry requests native ${row.nativeRequests} docker ${row.dockerRequests}\n`,
    );
  }
  if (torch === undefined) {
    process.stdout.write("torch + torchvision: not run (--no-torch)\n");
  } else if ("skipped" in torch) {
    process.stdout.write(`torch + torchvision: skipped: ${torch.skipped}\n`);
  } else {
    const { native, docker: dockerRun } = torch;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    process.stdout.write(
      `torch + torchvision (one run, empty package cache, ${native.layers} layers native, ${dockerRun.layers} docker)\n`,
    );
    process.stdout.write(
      `cold build         native ${s(native.coldMs)}  docker ${s(dockerRun.coldMs)}  docker/native ${(dockerRun.coldMs / native.coldMs).toFixed(2)}x  bytes pushed native ${mib(native.coldBytes)} docker ${mib(dockerRun.coldBytes)}\n`,
    );
    process.stdout.write(
      `one wheel changed  native ${s(native.changedMs)}  docker ${s(dockerRun.changedMs)}  docker/native ${(dockerRun.changedMs / native.changedMs).toFixed(2)}x  bytes pushed native ${mib(native.changedBytes)} docker ${mib(dockerRun.changedBytes)}\n`,
    );
    for (const [kind, r] of [
      ["native", native],
      ["docker", dockerRun],
    ] as const) {
      process.stdout.write(
        `${kind}: torch's layer ${r.torchLayer.digest} (${mib(r.torchLayer.size)}) kept by the rebuild, ${r.torchSentAgain ? "SENT AGAIN" : "not sent again"}\n`,
      );
    }
  }
  process.stdout.write(
    `load average (1, 5, 15 min): before ${load.before.join(", ")}, after ${load.after.join(", ")}\n`,
  );
}
if (torch !== undefined && !("skipped" in torch)) {
  for (const kind of ["native", "docker"] as const) {
    if (torch[kind].torchSentAgain) {
      process.stderr.write(
        `${kind}: the rebuild after one small wheel changed sent torch's layer again\n`,
      );
      process.exitCode = 1;
    }
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${(bytes / 1024).toFixed(1)} KiB`
    : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The native builder against the Docker-engine builder on the same environments, in one run:
 *
 * - cold build, warm package cache: content no registry or BuildKit cache has seen, packages
 *   already in the (shared) package cache;
 * - cold build, empty package cache: new content and new caches;
 * - rebuild after one package changed (a 4 MiB package's version), with the bytes it pushed;
 * - warm build: the same image again, and how many registry requests it took.
 *
 *   npx tsx bench/native.bench.ts [--runs 3] [--json]
 *
 * Needs scripts/ci/engines.sh (Docker 20.10, registry 127.0.0.1:5000, base image). Every push of
 * both builders goes through a counting proxy on 127.0.0.1 (test/support/counting-proxy.ts), which
 * counts blob bytes sent and requests; the base image is named through it too, so both builders
 * find its layers in the same registry. Each case has its own seed channel with a new nonce, so
 * neither the registry nor BuildKit's cache has its layers. Images and manifests made are removed.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerEngineBuilder } from "../src/builders/docker-engine-builder.js";
import type { BuildOutcome, ImageBuilder } from "../src/builders/image-builder.js";
import { NativeBuilder } from "../src/builders/native/native-builder.js";
import { PackageCache } from "../src/conda/package-cache.js";
import { definitionHash } from "../src/definition/definition-hash.js";
import type { Definition } from "../src/definition/definition.js";
import { dockerConfigCredentials, openRegistry } from "../src/image/index.js";
import { startCountingProxy } from "../test/support/counting-proxy.js";
import { dockerClient, removeImage } from "../test/support/docker.js";
import { deleteManifest, PLAIN_REGISTRY } from "../test/support/registry.js";
import { startSeedChannel } from "../test/support/seed-channel.js";
import type { SeedChannel } from "../test/support/seed-channel.js";

const args = process.argv.slice(2);
const runs = (() => {
  const at = args.indexOf("--runs");
  return at >= 0 ? Number(args[at + 1]) : 3;
})();
const asJson = args.includes("--json");
const MiB = 1024 * 1024;
const docker = dockerClient();
const proxy = await startCountingProxy(PLAIN_REGISTRY);
const work = await mkdtemp(join(tmpdir(), "envforge-native-bench-"));
const made: BuildOutcome[] = [];

type Kind = "native" | "docker";
type Case = "cold-warm-cache" | "cold-empty-cache" | "one-changed" | "warm";
const times = new Map<string, number[]>();
const bytes = new Map<string, number[]>();
const requests = new Map<string, number[]>();
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
  proxy.reset();
  const started = performance.now();
  const outcome = await builder.build(request);
  add(times, `${kind} ${name}`, performance.now() - started);
  add(bytes, `${kind} ${name}`, proxy.blobBytes());
  add(requests, `${kind} ${name}`, proxy.requests.length);
  made.push(outcome);
  return outcome;
}

async function prefetch(home: string, request: ReturnType<typeof environment>): Promise<void> {
  const cache = new PackageCache({ dir: join(home, "pkgs") });
  for (const pkg of request.lock.platforms[0]?.conda ?? []) await cache.get(pkg);
}

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
const rows = cases.map((name) => {
  const native = median(times.get(`native ${name}`) ?? []);
  const dockerMs = median(times.get(`docker ${name}`) ?? []);
  return {
    case: name,
    nativeMs: Math.round(native),
    dockerMs: Math.round(dockerMs),
    ratio: Number((dockerMs / native).toFixed(2)),
    nativeBytes: median(bytes.get(`native ${name}`) ?? []),
    dockerBytes: median(bytes.get(`docker ${name}`) ?? []),
    nativeRequests: median(requests.get(`native ${name}`) ?? []),
    dockerRequests: median(requests.get(`docker ${name}`) ?? []),
  };
});
if (asJson) {
  process.stdout.write(`${JSON.stringify({ runs, rows })}\n`);
} else {
  process.stdout.write(`native vs Docker-engine builder, medians of ${runs} runs\n`);
  for (const row of rows) {
    process.stdout.write(
      `${row.case.padEnd(18)} native ${String(row.nativeMs).padStart(6)} ms  docker ${String(row.dockerMs).padStart(6)} ms  docker/native ${row.ratio.toFixed(2)}x  bytes pushed native ${row.nativeBytes} docker ${row.dockerBytes}  registry requests native ${row.nativeRequests} docker ${row.dockerRequests}\n`,
    );
  }
}

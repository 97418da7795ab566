/**
 * Image build time: envforge's Docker engine builder (cold: empty package cache and content no
 * cache or registry has seen; warm: the same image again, a registry cache hit) against plain
 * `docker build` + `docker push` of an equivalent hand-written Dockerfile (cold and warm), and
 * the Dev Containers CLI (`devcontainer build` + `docker push`) of the same Dockerfile.
 *
 *   npx tsx bench/build.bench.ts [--runs 3] [--json]
 *
 * Needs scripts/ci/engines.sh (Docker 20.10, registry 127.0.0.1:5000, base image). The
 * environment: the real zlib-1.2.11 plus two small packages from test/support/seed-channel.ts,
 * on 127.0.0.1:5000/envforge/debian:bookworm. The hand-written Dockerfile COPYs a prefix that
 * envforge's installer linked beforehand (the step a user would otherwise do with conda on the
 * host, from an empty package cache; its time is reported apart as link-beforehand and added
 * in the "docker-cold + link" ratio). Each cold run writes a new nonce into
 * the content, so no cache or registry has its layers. Images and manifests made are removed.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as z from "zod";
import { DockerEngineBuilder } from "../src/builders/docker-engine-builder.js";
import { installLock } from "../src/conda/install.js";
import { PackageCache } from "../src/conda/package-cache.js";
import { dockerConfigCredentials, openRegistry } from "../src/image/index.js";
import { definitionHash } from "../src/definition/definition-hash.js";
import type { Definition } from "../src/definition/definition.js";
import { IMAGE_CONDA_PREFIX } from "../src/definition/image-hash.js";
import { dockerClient, removeImage } from "../test/support/docker.js";
import { BASE_IMAGE, deleteManifest, PLAIN_REGISTRY } from "../test/support/registry.js";
import { startSeedChannel } from "../test/support/seed-channel.js";

const run = promisify(execFile);
const DOCKER = "/usr/bin/docker";
const args = process.argv.slice(2);
const runs = (() => {
  const at = args.indexOf("--runs");
  return at >= 0 ? Number(args[at + 1]) : 3;
})();
const asJson = args.includes("--json");
const DEVCONTAINER = join(import.meta.dirname, "../node_modules/.bin/devcontainer");

type Case =
  | "envforge-one-changed"
  | "docker-one-changed"
  | "envforge-cold"
  | "envforge-warm"
  | "docker-cold"
  | "docker-warm"
  | "devcontainer-cold"
  | "devcontainer-warm"
  | "link-beforehand";
const times = new Map<Case, number[]>();
const record = (name: Case, ms: number): void => {
  times.set(name, [...(times.get(name) ?? []), ms]);
};

const docker = dockerClient();
/** What the bench made: removed at the end by image id (a re-used tag leaves the old image). */
const made: { image: string; id?: string; digest?: string }[] = [];
const work = await mkdtemp(join(tmpdir(), "envforge-build-bench-"));
const env = process.env;
const devcontainerWorks = await run(DEVCONTAINER, ["--version"]).then(
  () => true,
  () => false,
);

const HANDWRITTEN = `FROM ${BASE_IMAGE}
COPY env/ ${IMAGE_CONDA_PREFIX}/
ENV PATH=${IMAGE_CONDA_PREFIX}/bin:$PATH
ENV CONDA_PREFIX=${IMAGE_CONDA_PREFIX}
`;

async function timed<T>(body: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await body();
  return { ms: performance.now() - started, value };
}

/** Layers `docker push` sent (not those the registry had or mounted). */
const pushedLayers = new Map<string, number>();

/** `docker push`; returns the digest it printed. */
async function push(image: string): Promise<string | undefined> {
  const { stdout } = await run(DOCKER, ["push", image], { maxBuffer: 1 << 26 });
  pushedLayers.set(image, stdout.split("\n").filter((line) => /: Pushed\s*$/.test(line)).length);
  return /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
}

async function dockerBuildPush(context: string, image: string): Promise<string> {
  const { stdout } = await run(
    DOCKER,
    ["build", "--quiet", "--network", "host", "-t", image, context],
    { env: { ...env, DOCKER_BUILDKIT: "1" } },
  );
  const digest = await push(image);
  made.push({ image, id: stdout.trim(), ...withDigest(digest) });
  return digest ?? "";
}

const ManifestLayers = z.object({
  layers: z.array(z.object({ digest: z.string(), size: z.number() })),
});

async function layersOf(image: string, digest: string): Promise<Map<string, number>> {
  const [registry = "", ...path] = image.replace(/:[^:/]+$/, "").split("/");
  const response = await fetch(`http://${registry}/v2/${path.join("/")}/manifests/${digest}`, {
    headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
  });
  const manifest = ManifestLayers.parse(await response.json());
  return new Map(manifest.layers.map((layer) => [layer.digest, layer.size]));
}

/** Compressed bytes of the layers `after` has and `before` has not: what its push sent. */
async function newLayerBytes(
  before: { image: string; digest: string },
  after: { image: string; digest: string },
): Promise<number> {
  const old = await layersOf(before.image, before.digest);
  let bytes = 0;
  for (const [digest, size] of await layersOf(after.image, after.digest)) {
    if (!old.has(digest)) bytes += size;
  }
  return bytes;
}

/** xorshift32 bytes: incompressible, and the same on every run. */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
}
const BIG_MIB = 8;
const BIG_PACKAGE = {
  name: "seed-big",
  noarch: "generic" as const,
  files: [{ path: "share/seed-big/weights.bin", content: noise(BIG_MIB << 20, 2463534242) }],
};
const pushCounts: { envforge: number[]; docker: number[] } = { envforge: [], docker: [] };
const sentBytes: { envforge: number[]; docker: number[] } = { envforge: [], docker: [] };

async function devcontainerBuildPush(context: string, image: string): Promise<void> {
  await run(
    DEVCONTAINER,
    ["build", "--workspace-folder", context, "--docker-path", DOCKER, "--image-name", image],
    { maxBuffer: 1 << 26 },
  );
  const id = (await docker.getImage(image).inspect()).Id;
  made.push({ image, id, ...withDigest(await push(image)) });
}

function withDigest(digest: string | undefined): { digest?: string } {
  return digest === undefined ? {} : { digest };
}

/** A build context for the hand-written Dockerfile: the linked prefix plus a file naming it. */
async function handwrittenContext(prefix: string, name: string, variant = ""): Promise<string> {
  const context = join(work, `${name}${variant}`);
  await cp(prefix, join(context, "env"), { recursive: true, verbatimSymlinks: true });
  await mkdir(join(context, "env/share/bench"), { recursive: true });
  await writeFile(join(context, "env/share/bench/context.txt"), `${name}\n`);
  await writeFile(join(context, "Dockerfile"), HANDWRITTEN);
  await mkdir(join(context, ".devcontainer"), { recursive: true });
  await writeFile(
    join(context, ".devcontainer/devcontainer.json"),
    `${JSON.stringify({ build: { dockerfile: "../Dockerfile", context: ".." } })}\n`,
  );
  return context;
}

try {
  for (let i = 0; i < runs; i += 1) {
    const id = randomBytes(4).toString("hex");
    const channel = await startSeedChannel({ nonce: id, extra: [BIG_PACKAGE] });
    try {
      const definitionOf = (alpha: string): Definition => ({
        kind: "envforge",
        tags: {},
        base: {
          kind: "image",
          image: { registry: PLAIN_REGISTRY, repository: "envforge/debian", tag: "bookworm" },
          defaulted: false,
        },
        conda: {
          channels: [channel.url],
          dependencies: ["zlib", "envforge-hello", "seed-big", `seed-alpha=${alpha}`],
          pip: [],
          variables: {},
        },
        apt: [],
        variables: {},
        platform: "linux-64",
        python: { userManagedDependencies: false, interpreterPath: "python" },
      });
      const requestOf = (alpha: string) => {
        const definition = definitionOf(alpha);
        const hash = definitionHash(definition);
        return {
          definition,
          definitionHash: hash,
          lock: channel.lock(hash, ["zlib", "envforge-hello", "seed-big", `seed-alpha=${alpha}`]),
          registry: `${PLAIN_REGISTRY}/envforge-bench/${id}`,
        };
      };
      const request = requestOf("1.0.0");
      const { lock } = request;
      const builder = new DockerEngineBuilder({
        docker,
        registry: openRegistry({ env }),
        credentials: dockerConfigCredentials({ env }),
        packageCache: new PackageCache({ dir: join(work, `pkgs-${id}`) }),
        workDir: work,
      });
      const cold = await timed(() => builder.build(request));
      made.push({ image: `${cold.value.imageName}:latest`, digest: cold.value.digest });
      record("envforge-cold", cold.ms);
      const warm = await timed(() => builder.build(request));
      if (!warm.value.cacheHit) throw new Error("the second envforge build was not a cache hit");
      record("envforge-warm", warm.ms);

      const prefix = join(work, `prefix-${id}`);
      const linked = await timed(() =>
        installLock({
          lock,
          prefixDir: prefix,
          targetPrefix: IMAGE_CONDA_PREFIX,
          // A cache of its own: the user's host pays the download and extraction too.
          cache: new PackageCache({ dir: join(work, `pkgs-handwritten-${id}`) }),
        }),
      );
      record("link-beforehand", linked.ms);
      const dockerContext = await handwrittenContext(prefix, `docker-${id}`);
      const dockerImage = `${PLAIN_REGISTRY}/envforge-bench/docker-${id}:latest`;
      const dockerCold = await timed(() => dockerBuildPush(dockerContext, dockerImage));
      record("docker-cold", dockerCold.ms);
      record("docker-warm", (await timed(() => dockerBuildPush(dockerContext, dockerImage))).ms);
      // One package changed (seed-alpha 1 → 2): envforge sends that package's layer, the
      // hand-written Dockerfile's single COPY layer is sent whole again.
      const changed = requestOf("2.0.0");
      const envforgeChanged = await timed(() => builder.build(changed));
      made.push({
        image: `${envforgeChanged.value.imageName}:latest`,
        digest: envforgeChanged.value.digest,
      });
      record("envforge-one-changed", envforgeChanged.ms);
      pushCounts.envforge.push(envforgeChanged.value.pushedBlobs);
      const changedPrefix = join(work, `prefix-changed-${id}`);
      await installLock({
        lock: changed.lock,
        prefixDir: changedPrefix,
        targetPrefix: IMAGE_CONDA_PREFIX,
        cache: new PackageCache({ dir: join(work, `pkgs-handwritten-${id}`) }),
      });
      const changedContext = await handwrittenContext(changedPrefix, `docker-${id}`, "changed");
      const dockerChanged = await timed(() => dockerBuildPush(changedContext, dockerImage));
      record("docker-one-changed", dockerChanged.ms);
      pushCounts.docker.push(pushedLayers.get(dockerImage) ?? 0);
      sentBytes.envforge.push(
        await newLayerBytes(
          { image: cold.value.imageName, digest: cold.value.digest },
          { image: envforgeChanged.value.imageName, digest: envforgeChanged.value.digest },
        ),
      );
      sentBytes.docker.push(
        await newLayerBytes(
          { image: dockerImage, digest: dockerCold.value },
          { image: dockerImage, digest: dockerChanged.value },
        ),
      );

      if (devcontainerWorks) {
        const dcContext = await handwrittenContext(prefix, `devcontainer-${id}`);
        const dcImage = `${PLAIN_REGISTRY}/envforge-bench/devcontainer-${id}:latest`;
        record(
          "devcontainer-cold",
          (await timed(() => devcontainerBuildPush(dcContext, dcImage))).ms,
        );
        record(
          "devcontainer-warm",
          (await timed(() => devcontainerBuildPush(dcContext, dcImage))).ms,
        );
      }
    } finally {
      await channel.close();
    }
  }
} finally {
  const seen = new Set<string>();
  for (const item of made) {
    for (const name of [item.image, item.id]) {
      if (name !== undefined && !seen.has(name)) await removeImage(docker, name);
      if (name !== undefined) seen.add(name);
    }
    if (item.digest !== undefined) {
      const [registry = "", ...rest] = item.image.replace(/:[^:/]+$/, "").split("/");
      await deleteManifest({ registry, repository: rest.join("/"), digest: item.digest });
    }
  }
  await rm(work, { recursive: true, force: true });
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const summary = Object.fromEntries(
  [...times.entries()].map(([name, values]) => [
    name,
    { medianMs: Math.round(median(values)), minMs: Math.round(Math.min(...values)), runs: values },
  ]),
);
const ratio = (a: Case, b: Case): number | undefined => {
  const x = times.get(a);
  const y = times.get(b);
  return x === undefined || y === undefined
    ? undefined
    : Math.round((median(x) / median(y)) * 100) / 100;
};
const linkPlusDocker = (() => {
  const link = times.get("link-beforehand");
  const build = times.get("docker-cold");
  return link === undefined || build === undefined ? undefined : median(link) + median(build);
})();
const ratios = {
  "envforge-cold / docker-cold": ratio("envforge-cold", "docker-cold"),
  "envforge-cold / (link + docker-cold)":
    linkPlusDocker === undefined
      ? undefined
      : Math.round((median(times.get("envforge-cold") ?? []) / linkPlusDocker) * 100) / 100,
  "envforge-warm / docker-warm": ratio("envforge-warm", "docker-warm"),
  "envforge-one-changed / docker-one-changed": ratio("envforge-one-changed", "docker-one-changed"),
  "envforge-cold / devcontainer-cold": ratio("envforge-cold", "devcontainer-cold"),
  "envforge-warm / devcontainer-warm": ratio("envforge-warm", "devcontainer-warm"),
};
if (asJson) {
  process.stdout.write(
    `${JSON.stringify({ runs, summary, ratios, devcontainerWorks }, null, 2)}\n`,
  );
} else {
  for (const [name, value] of Object.entries(summary)) {
    process.stdout.write(
      `${name.padEnd(18)} median ${String(value.medianMs).padStart(6)} ms   min ${String(value.minMs).padStart(6)} ms\n`,
    );
  }
  for (const [name, value] of Object.entries(ratios)) {
    if (value !== undefined) process.stdout.write(`${name.padEnd(34)} ${value}\n`);
  }
  process.stdout.write(
    `one changed package, layers sent: envforge ${pushCounts.envforge.join(", ")}; docker ${pushCounts.docker.join(", ")}\n` +
      `one changed package, compressed bytes sent: envforge ${sentBytes.envforge.join(", ")}; docker ${sentBytes.docker.join(", ")} (its single COPY layer holds the ${BIG_MIB} MiB package too)\n`,
  );
  if (!devcontainerWorks) process.stdout.write("devcontainer: not installed or does not run\n");
}
process.stdout.write(`rerun: npx tsx bench/build.bench.ts --runs ${runs}\n`);

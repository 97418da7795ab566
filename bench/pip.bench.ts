/**
 * pip content in an image: envforge (pip's resolver to the lock, wheels installed by envforge,
 * one layer per distribution) against a hand-written Dockerfile that `pip install`s the same
 * pins in one RUN, on the machine's local wheel mirror (test/support/mirror-index.ts) served on
 * 127.0.0.1, plus one small wheel the benchmark builds (`envforge-bench-tiny`, on a second
 * loopback index given as --extra-index-url).
 *
 *   npx tsx bench/pip.bench.ts [--json]
 *
 * Pins: torch==2.13.0+cpu, torchvision==0.28.0, numpy, pandas and envforge-bench-tiny (16 wheels
 * with dependencies). Cases, each pushed to 127.0.0.1:5000:
 * - cold: nothing cached (an empty wheel cache for envforge, `--no-cache-dir` and a RUN no
 *   engine cache has seen for the Dockerfile: the tiny wheel carries a fresh nonce per run);
 * - one small wheel changed: envforge-bench-tiny 1.0 → 1.1, then build and push again.
 * For each: wall time (lock + build + push for envforge; build + push for the Dockerfile) and the
 * bytes of the layers the registry did not have (compressed sizes from the manifests).
 * Needs scripts/ci/engines.sh, Debian's python3-pip on the host and the wheel mirror; says so
 * and exits 0 when the mirror is absent. Images and manifests made are removed.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as z from "zod";
import { DockerEngineBuilder } from "../src/builders/docker-engine-builder.js";
import { PackageCache } from "../src/conda/package-cache.js";
import { dockerConfigCredentials, openRegistry } from "../src/image/index.js";
import { hostPipProblem } from "../src/pip/run-pip.js";
import { PYTHON_SHIMS } from "../scripts/support/seed-flow-setup.js";
import { dockerClient, removeImage } from "../test/support/docker.js";
import { mirrorProblem, startMirrorIndex } from "../test/support/mirror-index.js";
import { startPipIndex } from "../test/support/pip-index.js";
import { ensurePythonImage } from "../test/support/python-image.js";
import {
  ensurePythonNoPipImage,
  PYTHON_NOPIP_REPOSITORY,
  pythonNoPipTag,
} from "../test/support/python-nopip-image.js";
import { deleteManifest, PLAIN_REGISTRY } from "../test/support/registry.js";
import { startSeedChannel } from "../test/support/seed-channel.js";
import { TORCH_PINS, lockedTorchEnvironment } from "../test/support/torch-environment.js";
import { buildWheel } from "../test/support/wheels.js";

const run = promisify(execFile);
const DOCKER = "/usr/bin/docker";
const asJson = process.argv.includes("--json");

const missing = (await mirrorProblem()) ?? (await hostPipProblem());
if (missing !== undefined) {
  console.log(`pip bench skipped: ${missing}`);
  process.exit(0);
}

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
const work = await mkdtemp(join(tmpdir(), "envforge-pip-bench-"));
const docker = dockerClient();
const made: { image: string; repository: string; digest: string }[] = [];
/** envforge's own stage lines (lock, wheel install, push), printed after the table. */
const stages: string[] = [];

const Manifest = z.object({
  layers: z.array(z.object({ digest: z.string(), size: z.number() })),
});
async function layersOf(repository: string, reference: string) {
  const response = await fetch(`http://${PLAIN_REGISTRY}/v2/${repository}/manifests/${reference}`, {
    headers: {
      accept:
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
    },
  });
  return Manifest.parse(await response.json()).layers;
}
function newBytes(
  after: readonly { digest: string; size: number }[],
  before: ReadonlySet<string>,
): number {
  return after.filter((l) => !before.has(l.digest)).reduce((sum, l) => sum + l.size, 0);
}

interface Case {
  readonly seconds: number;
  readonly pushedBytes: number;
  readonly layers: number;
}

async function envforge(): Promise<{ cold: Case; changed: Case }> {
  const builder = new DockerEngineBuilder({
    docker,
    registry: openRegistry({ env: process.env }),
    credentials: dockerConfigCredentials({ env: process.env }),
    packageCache: new PackageCache({ dir: join(work, "envforge-cache") }),
    workDir: work,
  });
  const registry = `${PLAIN_REGISTRY}/envforge-bench/pip-${nonce}`;
  const baseLayers = await layersOf(PYTHON_NOPIP_REPOSITORY, pythonNoPipTag());
  const seen = new Set(baseLayers.map((l) => l.digest));
  const once = async (tinyVersion: string): Promise<Case> => {
    const started = performance.now();
    const request = await lockedTorchEnvironment({
      baseRegistry: PLAIN_REGISTRY,
      channel,
      indexUrl: mirror.url,
      extraUrl: extra.url,
      tinyVersion,
      timeoutMs: 120_000,
    });
    const lockedAt = performance.now();
    const outcome = await builder.build({
      ...request,
      registry,
      onLog: (line) => {
        if (line.stream === "envforge" && /^(pip|pushed)/.test(line.text)) stages.push(line.text);
      },
    });
    stages.push(`lock ${((lockedAt - started) / 1000).toFixed(1)} s`);
    const seconds = (performance.now() - started) / 1000;
    const [, ...path] = outcome.imageName.split("/");
    const repository = path.join("/");
    made.push({ image: `${outcome.imageName}:latest`, repository, digest: outcome.digest });
    const layers = await layersOf(repository, outcome.digest);
    const pushedBytes = newBytes(layers, seen);
    for (const l of layers) seen.add(l.digest);
    return { seconds, pushedBytes, layers: layers.length };
  };
  const cold = await once("1.0");
  const changed = await once("1.1");
  return { cold, changed };
}

async function handWritten(): Promise<{ cold: Case; changed: Case }> {
  const base = await ensurePythonImage();
  const [, ...basePath] = base.split("/");
  const [baseRepository = "", baseTag = ""] = basePath.join("/").split(":");
  const seen = new Set((await layersOf(baseRepository, baseTag)).map((l) => l.digest));
  const repository = `envforge-bench/pip-dockerfile-${nonce}`;
  const context = await mkdtemp(join(work, "context-"));
  const once = async (tinyVersion: string): Promise<Case> => {
    const tag = `${PLAIN_REGISTRY}/${repository}:${tinyVersion}`;
    const dockerfile = [
      `FROM ${base}`,
      `RUN python3 -m pip install --no-cache-dir --disable-pip-version-check --index-url ${mirror.url} --extra-index-url ${extra.url} ${[...TORCH_PINS, `envforge-bench-tiny==${tinyVersion}`].map((p) => `"${p}"`).join(" ")}`,
      "",
    ].join("\n");
    const started = performance.now();
    const build = run(DOCKER, ["build", "--network", "host", "-t", tag, "-f", "-", context], {
      env: { ...process.env, DOCKER_BUILDKIT: "1" },
      maxBuffer: 1 << 28,
    });
    build.child.stdin?.end(dockerfile);
    await build;
    await run(DOCKER, ["push", tag], { maxBuffer: 1 << 28 });
    const seconds = (performance.now() - started) / 1000;
    const layers = await layersOf(repository, tinyVersion);
    const digest = (
      await fetch(`http://${PLAIN_REGISTRY}/v2/${repository}/manifests/${tinyVersion}`, {
        method: "HEAD",
        headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
      })
    ).headers.get("docker-content-digest");
    if (digest !== null) made.push({ image: tag, repository, digest });
    const pushedBytes = newBytes(layers, seen);
    for (const l of layers) seen.add(l.digest);
    return { seconds, pushedBytes, layers: layers.length };
  };
  const cold = await once("1.0");
  const changed = await once("1.1");
  return { cold, changed };
}

try {
  await ensurePythonNoPipImage();
  const results = { envforge: await envforge(), dockerfile: await handWritten() };
  if (asJson) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    const mib = (bytes: number) =>
      bytes < 1024 * 1024
        ? `${(bytes / 1024).toFixed(1)} KiB`
        : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    console.log("case                    | envforge              | hand-written Dockerfile");
    for (const key of ["cold", "changed"] as const) {
      const e = results.envforge[key];
      const d = results.dockerfile[key];
      console.log(
        `${key === "cold" ? "cold build + push      " : "one small wheel changed"} | ${e.seconds.toFixed(1)} s, ${mib(e.pushedBytes)} | ${d.seconds.toFixed(1)} s, ${mib(d.pushedBytes)}`,
      );
    }
    console.log(
      `layers: envforge ${results.envforge.cold.layers}, Dockerfile ${results.dockerfile.cold.layers}`,
    );
    for (const stage of stages) console.log(`envforge: ${stage}`);
    console.log("rerun: npx tsx bench/pip.bench.ts [--json]");
  }
} finally {
  for (const image of made) {
    await removeImage(docker, image.image);
    await deleteManifest({
      registry: PLAIN_REGISTRY,
      repository: image.repository,
      digest: image.digest,
    });
  }
  await rm(work, { recursive: true, force: true });
  await mirror.close();
  await extra.close();
  await channel.close();
}

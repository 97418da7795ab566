/**
 * What the build integration tests share: the engine/registry gate (fails in CI, skips locally
 * when an engine is missing), a DockerEngineBuilder wired as a surface would wire it, a unique
 * registry path per run, and clean-up of exactly the images and manifests the tests made.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import * as tarStream from "tar-stream";
import * as z from "zod";
import { DockerEngineBuilder } from "../../src/builders/docker-engine-builder.js";
import type { BuildLogLine, BuildOutcome } from "../../src/builders/image-builder.js";
import { PackageCache } from "../../src/conda/package-cache.js";
import { dockerConfigCredentials, openRegistry } from "../../src/image/index.js";
import type { Definition } from "../../src/definition/definition.js";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import {
  BASE_IMAGE,
  deleteManifest,
  PLAIN_REGISTRY,
  registryProblem,
} from "../support/registry.js";

export const run = promisify(execFile);
/** The 20.10 client (LOCAL-INFRA.md); a newer one earlier on PATH may lack BuildKit. */
export const DOCKER_CLI = "/usr/bin/docker";
export const docker = dockerClient();

async function problem(): Promise<string | undefined> {
  const engine = await dockerProblem(docker);
  if (engine !== undefined) return engine;
  const registries = await registryProblem();
  if (registries !== undefined) return registries;
  return docker
    .getImage(BASE_IMAGE)
    .inspect()
    .then(
      () => undefined,
      () => `the base image ${BASE_IMAGE} is missing; run scripts/ci/engines.sh`,
    );
}

export const gate = engineGate("Docker build", await problem());

export const BASE_REFERENCE = {
  registry: PLAIN_REGISTRY,
  repository: "envforge/debian",
  tag: "bookworm",
} as const;

export function imageDefinition(overrides: Partial<Definition> = {}): Definition {
  return {
    kind: "envforge",
    tags: {},
    base: { kind: "image", image: BASE_REFERENCE, defaulted: false },
    apt: [],
    variables: {},
    platform: "linux-64",
    python: { userManagedDependencies: false, interpreterPath: "python" },
    ...overrides,
  };
}

export interface Harness {
  readonly builder: DockerEngineBuilder;
  /** `127.0.0.1:5000/envforge-test/build-<hex>`: this run's images only. */
  readonly registry: string;
  readonly workDir: string;
  /** Remembers an outcome for clean-up. */
  track(outcome: BuildOutcome): BuildOutcome;
  cleanup(): Promise<void>;
}

export async function openHarness(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: { readonly authorization?: string } = {},
): Promise<Harness> {
  const workDir = await mkdtemp(join(tmpdir(), "envforge-build-test-"));
  const builder = new DockerEngineBuilder({
    docker,
    registry: openRegistry({ env }),
    credentials: dockerConfigCredentials({ env }),
    packageCache: new PackageCache({ dir: join(workDir, "pkgs") }),
    workDir,
  });
  const outcomes: BuildOutcome[] = [];
  return {
    builder,
    registry: `${PLAIN_REGISTRY}/envforge-test/build-${randomBytes(4).toString("hex")}`,
    workDir,
    track(outcome) {
      outcomes.push(outcome);
      return outcome;
    },
    async cleanup() {
      for (const outcome of outcomes) {
        await removeImage(docker, `${outcome.imageName}:latest`);
        const [registry = "", ...path] = outcome.imageName.split("/");
        await deleteManifest({
          registry,
          repository: path.join("/"),
          digest: outcome.digest,
          ...(options.authorization === undefined ? {} : { authorization: options.authorization }),
        });
      }
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Collects a build's log lines. */
export function logCollector(): { lines: BuildLogLine[]; onLog: (line: BuildLogLine) => void } {
  const lines: BuildLogLine[] = [];
  return { lines, onLog: (line) => lines.push(line) };
}

/** Runs `sh -c script` in the image, without network, and returns stdout. */
export async function shell(image: string, script: string): Promise<string> {
  const { stdout } = await run(DOCKER_CLI, [
    "run",
    "--rm",
    "--network",
    "none",
    image,
    "sh",
    "-c",
    script,
  ]);
  return stdout;
}

const ManifestLayers = z.object({ layers: z.array(z.object({ digest: z.string() })) });

/** Layer digests of a pushed image, in order, from the registry. */
export async function manifestLayers(imageName: string, digest: string): Promise<string[]> {
  const [registry = "", ...path] = imageName.split("/");
  const response = await fetch(`http://${registry}/v2/${path.join("/")}/manifests/${digest}`, {
    headers: {
      accept:
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
    },
  });
  const manifest = ManifestLayers.parse(await response.json());
  return manifest.layers.map((layer) => layer.digest);
}

/** The entry names of a layer blob in the registry. */
export async function layerEntries(imageName: string, digest: string): Promise<string[]> {
  const [registry = "", ...path] = imageName.split("/");
  const response = await fetch(`http://${registry}/v2/${path.join("/")}/blobs/${digest}`);
  const tar = gunzipSync(Buffer.from(await response.arrayBuffer()));
  const names: string[] = [];
  const extract = tarStream.extract();
  extract.on("entry", (header, stream, next) => {
    names.push(header.name);
    stream.on("end", next);
    stream.resume();
  });
  await new Promise<void>((resolve, reject) => {
    extract.on("finish", resolve);
    extract.on("error", reject);
    extract.end(tar);
  });
  return names;
}

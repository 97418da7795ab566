/**
 * The registry client against the real anonymous registry of scripts/ci/registry.sh, with
 * images pushed by the real Docker engine: the digest envforge reads must be the engine's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { ExternalError, NotFoundError } from "../../src/errors/index.js";
import { anonymousCredentials } from "../../src/image/credentials.js";
import { HttpRegistry } from "../../src/image/http-registry.js";
import {
  dockerClient,
  dockerProblem,
  engineGate,
  importTinyImage,
  pushImage,
  removeImage,
} from "../support/docker.js";
import {
  PLAIN_REGISTRY,
  deleteManifest,
  freePort,
  registryProblem,
  uniqueRepository,
} from "../support/registry.js";

const ManifestBlobs = z.object({
  config: z.object({ digest: z.string() }),
  layers: z.array(z.object({ digest: z.string() })).min(1),
});

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registry",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

describe.skipIf(gate.skip)("HttpRegistry on a plain loopback registry", () => {
  const repository = uniqueRepository("plain");
  const name = `${PLAIN_REGISTRY}/${repository}`;
  let imageId = "";
  let pushedDigest = "";
  const registry = new HttpRegistry({ credentials: anonymousCredentials });

  beforeAll(async () => {
    gate.require();
    imageId = await importTinyImage(docker, { name, tag: "v1" });
    pushedDigest = await pushImage(docker, { name, tag: "v1" });
  });

  afterAll(async () => {
    if (pushedDigest !== "") {
      await deleteManifest({ registry: PLAIN_REGISTRY, repository, digest: pushedDigest });
    }
    if (imageId !== "") await removeImage(docker, imageId);
  });

  it("finds a pushed tag with the digest the engine reported", async () => {
    const status = await registry.manifestExists(`${name}:v1`);
    expect(status.exists).toBe(true);
    expect(status.digest).toBe(pushedDigest);
    expect(status.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(await registry.getManifestDigest(`${name}:v1`)).toBe(pushedDigest);
  });

  it("finds the manifest by digest, and takes a parsed reference as well as text", async () => {
    const status = await registry.manifestExists({
      registry: PLAIN_REGISTRY,
      repository,
      digest: pushedDigest,
    });
    expect(status).toMatchObject({ exists: true, digest: pushedDigest });
  });

  it("uses the default registry for a reference that names none", async () => {
    const withDefault = new HttpRegistry({
      credentials: anonymousCredentials,
      defaultRegistry: PLAIN_REGISTRY,
    });
    expect(await withDefault.getManifestDigest(`${repository}:v1`)).toBe(pushedDigest);
  });

  it("says exists: false for a missing tag or repository", async () => {
    expect(await registry.manifestExists(`${name}:missing`)).toEqual({ exists: false });
    const otherRepository = `${PLAIN_REGISTRY}/${uniqueRepository("never-pushed")}:v1`;
    expect(await registry.manifestExists(otherRepository)).toEqual({ exists: false });
  });

  it("throws NotFoundError for the digest of a missing image", async () => {
    await expect(registry.getManifestDigest(`${name}:missing`)).rejects.toThrow(
      new NotFoundError(`image ${name}:missing is not in registry ${PLAIN_REGISTRY}`),
    );
  });

  it("knows which blobs the repository has", async () => {
    const response = await fetch(
      `http://${PLAIN_REGISTRY}/v2/${repository}/manifests/${pushedDigest}`,
      { headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" } },
    );
    const manifest = ManifestBlobs.parse(await response.json());
    const layer = manifest.layers[0]?.digest ?? "";
    expect(await registry.blobExists(name, manifest.config.digest)).toBe(true);
    expect(await registry.blobExists({ registry: PLAIN_REGISTRY, repository }, layer)).toBe(true);
    expect(await registry.blobExists(name, `sha256:${"0".repeat(64)}`)).toBe(false);
  });

  it("rejects a malformed blob digest before asking the registry", async () => {
    await expect(registry.blobExists(name, "sha256:abc")).rejects.toThrow(
      'digest: is not a blob digest (found "sha256:abc"; allowed: "sha256:" and 64 lower-case hex digits)',
    );
  });
});

describe("HttpRegistry when the registry cannot be reached", () => {
  it("throws an ExternalError naming the registry", async () => {
    const port = await freePort();
    const registry = new HttpRegistry({ credentials: anonymousCredentials });
    const error = await registry.manifestExists(`127.0.0.1:${port}/envforge/x:1`).catch((e) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect(error.message).toBe(
      `registry 127.0.0.1:${port} could not be reached: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it("needs a registry or a default registry", async () => {
    const registry = new HttpRegistry({ credentials: anonymousCredentials });
    await expect(registry.manifestExists("debian:bookworm")).rejects.toThrow(
      'image: names no registry and no default registry is configured (found "debian"; allowed: registry[:port]/repository, e.g. 127.0.0.1:5000/envforge/debian)',
    );
  });
});

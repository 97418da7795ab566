/**
 * Pushing an image with the registry client alone (no engine): the base image's layers mounted
 * from its repository, one new layer streamed, a new config and manifest. The real engine then
 * pulls the result and runs it, which is the proof that what was pushed is a valid image.
 */
import { createHash, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { anonymousCredentials } from "../../src/image/credentials.js";
import { HttpRegistry } from "../../src/image/http-registry.js";
import type { BlobContent } from "../../src/image/registry.js";
import { parseImageReference } from "../../src/definition/image-reference.js";
import {
  dockerClient,
  dockerProblem,
  engineGate,
  followProgress,
  removeImage,
  tarBytes,
} from "../support/docker.js";
import { startCountingProxy } from "../support/counting-proxy.js";
import {
  BASE_IMAGE,
  PLAIN_REGISTRY,
  deleteManifest,
  registryProblem,
  uniqueRepository,
} from "../support/registry.js";

const DockerManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string(),
  config: z.object({ mediaType: z.string(), size: z.number(), digest: z.string() }),
  layers: z.array(z.object({ mediaType: z.string(), size: z.number(), digest: z.string() })),
});
const ImageConfig = z.looseObject({
  rootfs: z.object({ type: z.literal("layers"), diff_ids: z.array(z.string()) }),
  history: z.array(z.looseObject({})).optional(),
});

const registry = new HttpRegistry({ credentials: anonymousCredentials });
const docker = dockerClient();
const gate = engineGate(
  "Docker engine, registry and base image",
  (await dockerProblem(docker)) ??
    (await registryProblem()) ??
    ((await registry.manifestExists(BASE_IMAGE).catch(() => ({ exists: false }))).exists
      ? undefined
      : `${BASE_IMAGE} is not in the registry; run scripts/ci/engines.sh`),
);

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function blobOf(bytes: Uint8Array): BlobContent {
  return { digest: sha256(bytes), size: bytes.length, open: () => bytes };
}

describe.skipIf(gate.skip)("HttpRegistry pushing an image the engine can run", () => {
  const repository = uniqueRepository("client-push");
  const name = `${PLAIN_REGISTRY}/${repository}`;
  const message = `pushed by the registry client ${randomBytes(8).toString("hex")}\n`;
  let manifestDigest = "";
  let pulled = false;

  beforeAll(() => gate.require());

  afterAll(async () => {
    if (pulled) await removeImage(docker, `${name}:v1`);
    if (manifestDigest !== "") {
      await deleteManifest({ registry: PLAIN_REGISTRY, repository, digest: manifestDigest });
    }
  });

  it("mounts base layers, streams a new one, puts the manifest, and the engine runs it", async () => {
    const base = await registry.getManifest(BASE_IMAGE);
    const baseManifest = DockerManifest.parse(JSON.parse(Buffer.from(base.bytes).toString()));
    const baseRepository = parseImageReference(BASE_IMAGE).repository;
    const baseConfig = ImageConfig.parse(
      JSON.parse(
        Buffer.from(
          await registry.getBlob(`${PLAIN_REGISTRY}/${baseRepository}`, baseManifest.config.digest),
        ).toString(),
      ),
    );

    const tar = await tarBytes({ "envforge-native.txt": message });
    const layer = gzipSync(tar);
    // Streamed in small chunks, as a builder streams a big layer from disk.
    const streamed: BlobContent = {
      digest: sha256(layer),
      size: layer.length,
      open: async function* () {
        for (let at = 0; at < layer.length; at += 64) yield layer.subarray(at, at + 64);
      },
    };
    const config = Buffer.from(
      JSON.stringify({
        ...baseConfig,
        config: { Cmd: ["cat", "/envforge-native.txt"] },
        rootfs: { type: "layers", diff_ids: [...baseConfig.rootfs.diff_ids, sha256(tar)] },
        history: [...(baseConfig.history ?? []), { created_by: "envforge registry client test" }],
      }),
    );

    const results = [];
    for (const baseLayer of baseManifest.layers) {
      results.push(
        await registry.uploadBlob(
          name,
          { digest: baseLayer.digest, size: baseLayer.size, open: () => new Uint8Array() },
          { mountFrom: baseRepository },
        ),
      );
    }
    results.push(await registry.uploadBlob(name, streamed));
    results.push(
      await registry.uploadBlob({ registry: PLAIN_REGISTRY, repository }, blobOf(config)),
    );
    results.push(await registry.uploadBlob(name, streamed));
    expect(results).toEqual([
      ...baseManifest.layers.map(() => "mounted"),
      "uploaded",
      "uploaded",
      "exists",
    ]);

    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        config: {
          mediaType: "application/vnd.docker.container.image.v1+json",
          size: config.length,
          digest: sha256(config),
        },
        layers: [
          ...baseManifest.layers,
          {
            mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
            size: layer.length,
            digest: sha256(layer),
          },
        ],
      }),
    );
    manifestDigest = await registry.putManifest(`${name}:v1`, {
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      bytes: manifest,
    });
    expect(manifestDigest).toBe(sha256(manifest));
    expect(await registry.getManifestDigest(`${name}:v1`)).toBe(manifestDigest);

    await followProgress(docker, await docker.pull(`${name}:v1`));
    pulled = true;
    const container = await docker.createContainer({
      Image: `${name}:v1`,
      HostConfig: { NetworkMode: "none" },
    });
    try {
      await container.start();
      expect((await container.wait()).StatusCode).toBe(0);
      const logs = await container.logs({ stdout: true, stderr: true });
      expect(demux(logs)).toBe(message);
    } finally {
      await container.remove({ force: true });
    }
  });
});

describe.skipIf(gate.skip)("HttpRegistry mounting first", () => {
  beforeAll(() => gate.require());

  it("mounts in one request, and falls back to HEAD then upload when the source lacks the blob", async () => {
    const proxy = await startCountingProxy(PLAIN_REGISTRY);
    try {
      const client = new HttpRegistry({ credentials: anonymousCredentials });
      const source = uniqueRepository("mount-source");
      const target = uniqueRepository("mount-target");
      const at = (repository: string) => ({ registry: proxy.address, repository });
      const inSource = blobOf(randomBytes(2048));
      const inTarget = blobOf(randomBytes(2048));
      const nowhere = blobOf(randomBytes(2048));
      expect(await client.uploadBlob(at(source), inSource)).toBe("uploaded");
      expect(await client.uploadBlob(at(target), inTarget)).toBe("uploaded");

      const methods = async (blob: BlobContent) => {
        proxy.reset();
        const result = await client.uploadBlob(at(target), blob, { mountFrom: source });
        return [result, proxy.requests.map((r) => r.method)];
      };
      // In the source: one POST, mounted.
      expect(await methods(inSource)).toEqual(["mounted", ["POST"]]);
      // Only in the target: the mount opens a session, HEAD finds the blob, the session is ended.
      expect(await methods(inTarget)).toEqual(["exists", ["POST", "HEAD", "DELETE"]]);
      // Nowhere: sent through the session the mount opened.
      expect(await methods(nowhere)).toEqual(["uploaded", ["POST", "HEAD", "PUT"]]);
      // Without a source, HEAD comes first as before.
      proxy.reset();
      expect(await client.uploadBlob(at(target), nowhere)).toBe("exists");
      expect(proxy.requests.map((r) => r.method)).toEqual(["HEAD"]);
      // Most likely new: HEAD and the session side by side, then the upload; when HEAD finds
      // the blob after all, the session is ended and nothing is sent.
      const fresh = blobOf(randomBytes(2048));
      const together = async (blob: BlobContent) => {
        proxy.reset();
        const result = await client.uploadBlob(at(target), blob, { likelyNew: true });
        return [result, proxy.requests.map((r) => r.method).sort(), proxy.blobBytes()];
      };
      expect(await together(fresh)).toEqual(["uploaded", ["HEAD", "POST", "PUT"], 2048]);
      expect(await together(fresh)).toEqual(["exists", ["DELETE", "HEAD", "POST"], 0]);
      for (const blob of [inSource, nowhere]) {
        expect(await client.blobExists(at(target), blob.digest)).toBe(true);
      }
    } finally {
      await proxy.close();
    }
  });
});

/** The engine's multiplexed log format (non-TTY): 8-byte frame headers before each chunk. */
function demux(buffer: Buffer): string {
  let text = "";
  for (let at = 0; at + 8 <= buffer.length;) {
    const size = buffer.readUInt32BE(at + 4);
    text += buffer.subarray(at + 8, at + 8 + size).toString("utf8");
    at += 8 + size;
  }
  return text;
}

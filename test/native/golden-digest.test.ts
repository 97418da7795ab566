/**
 * A golden digest pins one small native image: a base the test makes byte for byte (one layer
 * holding one file), the seed channel's envforge-hello on a fixed loopback port (the lock's URLs
 * and the conda-meta records hold it), SOURCE_DATE_EPOCH 0. Any change to the layer rule, tar
 * entries, gzip settings, config or manifest writing changes these digests: update them only on
 * purpose, and say why in the commit.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLayer } from "../../src/builders/native/layer-tar.js";
import {
  imageManifestBytes,
  OCI_CONFIG,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
} from "../../src/builders/native/image-config.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { openRegistry } from "../../src/image/index.js";
import { PLAIN_REGISTRY } from "../support/registry.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { gate, imageDefinition, manifestLayers } from "../build/harness.js";
import { openNativeHarness } from "./harness.js";
import type { NativeHarness } from "./harness.js";

/** Fixed: the port is part of the lock's URLs, so of the layer bytes. */
const CHANNEL_PORT = 47311;
const GOLDEN_BASE_REPOSITORY = "envforge-test/native-golden-base";
const GOLDEN = {
  baseManifest: "sha256:407b54face96bedf78e51a518b00b2eaca99ffcf753e778ea2fe15a3ea259562",
  condaLayer: "sha256:478306b1e7d5ac26978ba90363d534958fce9db5308ceadc78f4e75abfdf719c",
  image: "sha256:9ad6d8b675ed14aa4f96c390e86ab6429c60979770bd3901bb4ac069c6e0970b",
};

let channel: SeedChannel;
let harness: NativeHarness;
let work: string;
let baseDigest: string;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  channel = await startSeedChannel({ port: CHANNEL_PORT });
  harness = await openNativeHarness();
  work = await mkdtemp(join(tmpdir(), "envforge-golden-"));
  baseDigest = await pushGoldenBase(work);
});

afterAll(async () => {
  await harness?.cleanup();
  await channel?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** The base image, made here with fixed bytes and pushed by digest. */
async function pushGoldenBase(dir: string): Promise<string> {
  const root = join(dir, "base-root");
  await mkdir(join(root, "etc"), { recursive: true });
  await writeFile(join(root, "etc", "envforge-golden.txt"), "envforge golden base\n");
  const layer = await writeLayer({
    trees: [{ dir: root, at: "" }],
    sourceDateEpoch: 0,
    destination: join(dir, "base-layer.tar.gz"),
  });
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Env: ["PATH=/usr/bin:/bin"], WorkingDir: "/" },
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
    }),
  );
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  const registry = openRegistry({ env: {} });
  const repository = `${PLAIN_REGISTRY}/${GOLDEN_BASE_REPOSITORY}`;
  const bytes = await readFile(layer.path);
  await registry.uploadBlob(repository, {
    digest: layer.digest,
    size: layer.size,
    open: () => bytes,
  });
  await registry.uploadBlob(repository, {
    digest: configDigest,
    size: config.length,
    open: () => config,
  });
  const manifest = imageManifestBytes(
    { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
    [{ mediaType: OCI_LAYER_GZIP, digest: layer.digest, size: layer.size }],
  );
  return registry.putManifest(`${repository}:v1`, { mediaType: OCI_MANIFEST, bytes: manifest });
}

describe.skipIf(gate.skip)("the native builder's golden image", () => {
  it("builds envforge-hello on the golden base to the pinned digests", async () => {
    const definition = imageDefinition({
      base: {
        kind: "image",
        image: { registry: PLAIN_REGISTRY, repository: GOLDEN_BASE_REPOSITORY, digest: baseDigest },
        defaulted: false,
      },
      conda: { channels: [channel.url], dependencies: ["envforge-hello"], pip: [], variables: {} },
    });
    const hash = definitionHash(definition);
    const outcome = harness.track(
      await harness.builder.build({
        definition,
        definitionHash: hash,
        lock: channel.lock(hash, ["envforge-hello"]),
        registry: `${PLAIN_REGISTRY}/envforge-test/native-golden`,
      }),
    );
    // Built here, not found: the run before deleted what it pushed.
    expect(outcome.cacheHit).toBe(false);
    const layers = await manifestLayers(outcome.imageName, outcome.digest);
    expect({ baseManifest: baseDigest, condaLayer: layers[1], image: outcome.digest }).toEqual(
      GOLDEN,
    );
  }, 120_000);
});

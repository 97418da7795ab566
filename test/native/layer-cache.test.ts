/**
 * The native builder's layer cache on the real registry: a rebuild after one package changed
 * writes and compresses exactly that package's layer (the others are known by their inputs and
 * HEADed in the registry), and a damaged blob in the cache is found when it is read back, written
 * again, and never pushed. A pip layer whose key is known is not even installed.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildOutcome, BuildRequest } from "../../src/builders/image-builder.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import type { Lock } from "../../src/definition/lock.js";
import { deleteManifest } from "../support/registry.js";
import { lockPip } from "../../src/pip/lock-pip.js";
import { hostPipProblem } from "../../src/pip/run-pip.js";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";
import { engineGate } from "../support/docker.js";
import { startPipIndex } from "../support/pip-index.js";
import { startSeedChannel } from "../support/seed-channel.js";
import { buildWheel } from "../support/wheels.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { gate, imageDefinition, manifestLayers } from "../build/harness.js";
import { openNativeHarness, runRegistry } from "./harness.js";
import type { NativeHarness } from "./harness.js";

const MiB = 1024 * 1024;
let channel: SeedChannel;
let harness: NativeHarness;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  channel = await startSeedChannel({
    nonce: randomBytes(8).toString("hex"),
    extra: ["1.0.0", "2.0.0"].map((version) => ({
      name: "cache-big",
      version,
      noarch: "generic" as const,
      files: [{ path: "share/cache-big/data.bin", content: randomBytes(1 * MiB) }],
    })),
  });
  harness = await openNativeHarness();
}, 120_000);

afterAll(async () => {
  await harness?.cleanup();
  await channel?.close();
});

function environment(names: readonly string[]): {
  definition: Definition;
  definitionHash: string;
  lock: Lock;
} {
  const definition = imageDefinition({
    conda: { channels: [channel.url], dependencies: [...names], pip: [], variables: {} },
  });
  const hash = definitionHash(definition);
  return { definition, definitionHash: hash, lock: channel.lock(hash, names) };
}

/** The build's outcome and what it said about each layer. */
async function build(
  request: Omit<BuildRequest, "onLog">,
): Promise<{ outcome: BuildOutcome; layers: string[] }> {
  const lines: string[] = [];
  const outcome = harness.track(
    await harness.builder.build({ ...request, onLog: (line) => lines.push(line.text) }),
  );
  return { outcome, layers: lines.filter((line) => line.startsWith("layer ")) };
}

const written = (layers: readonly string[]): string[] =>
  layers.filter((line) => line.endsWith(", written"));

describe.skipIf(gate.skip)("the native builder's layer cache", () => {
  it("writes only the changed package's layer on a rebuild; a damaged cached blob is written again, not pushed", async () => {
    const registry = runRegistry();
    const names = ["zlib", "envforge-hello", "seed-alpha=1.0.0"];
    const first = await build({ ...environment([...names, "cache-big=1.0.0"]), registry });
    expect(first.layers.length).toBeGreaterThanOrEqual(3);
    expect(written(first.layers)).toHaveLength(first.layers.length);

    const changed = environment([...names, "cache-big=2.0.0"]);
    const second = await build({ ...changed, registry });
    expect(written(second.layers)).toHaveLength(1);
    expect(written(second.layers)[0]).toMatch(/^layer conda /);
    // Every other layer was known by its inputs: its cached blob read back (this image's new
    // repository lacks it; the push mounts it from the first one).
    expect(second.layers.filter((l) => l.endsWith(", from the layer cache"))).toHaveLength(
      second.layers.length - 1,
    );
    expect(second.outcome.pushedBlobs).toBe(1);
    const a = await manifestLayers(first.outcome.imageName, first.outcome.digest);
    const b = await manifestLayers(second.outcome.imageName, second.outcome.digest);
    expect(b.filter((digest, i) => digest !== a[i])).toHaveLength(1);

    // The same image again after its manifest was deleted (its blobs stay, as after a registry
    // gc of manifests): every layer is found in its own repository with one HEAD, none is read.
    const [host = "", ...path] = second.outcome.imageName.split("/");
    await deleteManifest({
      registry: host,
      repository: path.join("/"),
      digest: second.outcome.digest,
    });
    const repeat = await build({ ...changed, registry });
    expect(repeat.outcome).toMatchObject({
      cacheHit: false,
      digest: second.outcome.digest,
      pushedBlobs: 0,
    });
    expect(
      repeat.layers.filter((l) => l.endsWith(", in the registry already, not written")),
    ).toHaveLength(repeat.layers.length);

    // The changed layer's cached blob loses a byte's worth of truth; a push to a new repository
    // (which has none of the layers) must read it back, see it, and write the layer again.
    const digest = /: (sha256:[0-9a-f]{64}) /.exec(written(second.layers)[0] ?? "")?.[1] ?? "";
    const blobPath = join(harness.home, "cache", "layers", "blobs", digest.slice("sha256:".length));
    const bytes = await readFile(blobPath);
    bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1);
    await writeFile(blobPath, bytes);
    // No mounts from the first repository: every layer is uploaded from the cache, so the
    // registry, which checks each blob's digest, sees the bytes.
    await rm(join(harness.home, "cache", "pushed-blobs"), { recursive: true, force: true });
    const lines: string[] = [];
    const third = harness.track(
      await harness.builder.build({
        ...changed,
        registry: runRegistry(),
        onLog: (line) => lines.push(line.text),
      }),
    );
    expect(third.digest).toBe(second.outcome.digest);
    const damaged = lines.filter((line) => line.includes("is damaged"));
    expect(damaged).toHaveLength(1);
    expect(damaged[0]).toContain(digest);
    const layers = lines.filter((line) => line.startsWith("layer ") && !line.includes("damaged"));
    expect(written(layers)).toEqual([written(second.layers)[0]]);
    expect(layers.filter((l) => l.endsWith("from the layer cache"))).toHaveLength(
      layers.length - 1,
    );
    // Every layer was sent to the new repository (the registry checks each digest), and the
    // cache holds the right bytes again.
    expect(third.pushedBlobs).toBe(layers.length);
    const again = await readFile(blobPath);
    expect(`sha256:${createHash("sha256").update(again).digest("hex")}`).toBe(digest);
  }, 300_000);
});

const pipTools = engineGate("pip wheels", (await hostPipProblem()) ?? undefined);

describe.skipIf(gate.skip || pipTools.skip)("the layer cache with pip layers", () => {
  it("installs and writes only the changed wheel's layer on a rebuild", async () => {
    pipTools.require();
    const nonce = randomBytes(8).toString("hex");
    const wheel = (name: string, version: string) =>
      buildWheel({
        name,
        version,
        files: { [`${name.replace(/-/g, "_")}.py`]: `V = '${version} ${nonce}'\n` },
      });
    const index = await startPipIndex({
      debianWheels: false,
      files: [
        wheel("cache-wheel-a", "1.0"),
        wheel("cache-wheel-a", "1.1"),
        wheel("cache-wheel-b", "1.0"),
      ],
    });
    const shims = await startSeedChannel({ extra: PYTHON_SHIMS });
    try {
      const locked = async (a: string) => {
        const definition = imageDefinition({
          conda: {
            channels: [shims.url],
            dependencies: ["python=3.11", "pip"],
            pip: [`--index-url ${index.url}`, `cache-wheel-a==${a}`, "cache-wheel-b"],
            variables: {},
          },
        });
        const hash = definitionHash(definition);
        const result = await lockPip({ definition, lock: shims.lock(hash, ["pip", "python"]) });
        if (result.kind !== "locked") throw new Error(result.reason);
        return { definition, definitionHash: hash, lock: result.lock };
      };
      const registry = runRegistry();
      const lines: string[] = [];
      const onLog = (line: { text: string }) => lines.push(line.text);
      const first = await build({ ...(await locked("1.0")), registry });
      expect(written(first.layers)).toHaveLength(first.layers.length);
      expect(first.layers.filter((l) => l.startsWith("layer pip "))).toHaveLength(2);

      harness.track(await harness.builder.build({ ...(await locked("1.1")), registry, onLog }));
      const layers = lines.filter((line) => line.startsWith("layer "));
      expect(written(layers)).toHaveLength(1);
      expect(written(layers)[0]).toMatch(/^layer pip cache-wheel-a: /);
      expect(layers.filter((l) => l.endsWith(", from the layer cache"))).toHaveLength(
        layers.length - 1,
      );
      expect(lines).toContain(
        "pip: installed 1 wheels into 1 layers; 1 layers from the layer cache",
      );
    } finally {
      await shims.close();
      await index.close();
    }
  }, 300_000);
});

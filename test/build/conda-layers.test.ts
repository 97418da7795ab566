/**
 * A conda environment built into an image on the real engine and registry: envforge links the
 * lock's packages (the real zlib, a shell-script package, a data package) for the image's prefix,
 * one layer per package group; a second build is a cache hit; an environment that changes one
 * package pushes exactly that package's layer.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketOf } from "../../src/recipe/index.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import { IMAGE_CONDA_PREFIX } from "../../src/definition/image-hash.js";
import type { Lock } from "../../src/definition/lock.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import {
  docker,
  gate,
  imageDefinition,
  logCollector,
  layerEntries,
  manifestLayers,
  openHarness,
  shell,
} from "./harness.js";
import type { Harness } from "./harness.js";

let channel: SeedChannel;
let harness: Harness;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  // A fresh seed-alpha per run: its layers are new to the registry, so pushes can be counted.
  channel = await startSeedChannel({ nonce: randomBytes(8).toString("hex") });
  harness = await openHarness();
});

afterAll(async () => {
  await harness?.cleanup();
  await channel?.close();
});

function condaEnvironment(alpha: string): { definition: Definition; lock: Lock } {
  const definition = imageDefinition({
    conda: {
      channels: [channel.url],
      dependencies: ["zlib", "envforge-hello", `seed-alpha=${alpha}`],
      pip: [],
      variables: {},
    },
  });
  const hash = definitionHash(definition);
  return {
    definition,
    lock: channel.lock(hash, ["zlib", "envforge-hello", `seed-alpha=${alpha}`]),
  };
}

describe.skipIf(gate.skip)("conda environments on the Docker engine", () => {
  it("puts zlib and envforge-hello, linked for the image's prefix, into an image and pushes it", async () => {
    const { definition, lock } = condaEnvironment("1.0.0");
    const log = logCollector();
    const outcome = harness.track(
      await harness.builder.build({
        definition,
        definitionHash: definitionHash(definition),
        lock,
        registry: harness.registry,
        onLog: log.onLog,
      }),
    );
    expect(outcome.cacheHit).toBe(false);
    expect(outcome.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outcome.imageName).toMatch(/\/envforge_[0-9a-f]{32}$/);

    const image = `${outcome.imageName}:latest`;
    const output = await shell(
      image,
      `envforge-hello; head -n 1 ${IMAGE_CONDA_PREFIX}/lib/pkgconfig/zlib.pc; cat ${IMAGE_CONDA_PREFIX}/share/seed-alpha/version.txt; ls ${IMAGE_CONDA_PREFIX}/conda-meta`,
    );
    expect(output.replace(/ [0-9a-f]{16}\n/, " <nonce>\n")).toBe(
      [
        `hello from ${IMAGE_CONDA_PREFIX}`,
        `prefix=${IMAGE_CONDA_PREFIX}`,
        "seed-alpha 1.0.0 <nonce>",
        "envforge-hello-1.0.0-0.json",
        "history",
        "seed-alpha-1.0.0-0.json",
        "zlib-1.2.11-h7b6447c_3.json",
        "",
      ].join("\n"),
    );
    const labels = (await docker.getImage(image).inspect()).Config.Labels ?? {};
    expect(labels["dev.envforge.definition-hash"]).toBe(definitionHash(definition));
    expect(labels["dev.envforge.image-hash"]).toBe(outcome.imageName.split("/").pop());

    // The log has the Dockerfile steps, one COPY per package group, and envforge's own lines.
    const steps = log.lines.filter((line) => line.stream === "step").map((line) => line.text);
    expect(steps.filter((step) => / COPY envforge\/prefix\//.test(step))).toHaveLength(3);
    expect(log.lines.some((line) => line.stream === "envforge" && /^pushed /.test(line.text))).toBe(
      true,
    );
  });

  it("answers a second build of the same image from the registry, without building", async () => {
    const { definition, lock } = condaEnvironment("1.0.0");
    const first = await harness.builder.build({
      definition,
      definitionHash: definitionHash(definition),
      lock,
      registry: harness.registry,
    });
    expect(first.cacheHit).toBe(true);
    expect(first.pushedBlobs).toBe(0);
    expect(first.durationMs).toBeLessThan(2000);
  });

  it("pushes only the layer of the one package that changed", async () => {
    const a = condaEnvironment("1.0.0");
    const b = condaEnvironment("2.0.0");
    // seed-alpha sorts into the last group, after envforge-hello's; zlib is in `runtime`.
    expect([bucketOf("envforge-hello"), bucketOf("seed-alpha")]).toEqual([3, 7]);
    const built = await harness.builder.build({
      definition: a.definition,
      definitionHash: definitionHash(a.definition),
      lock: a.lock,
      registry: harness.registry,
    });
    const changed = harness.track(
      await harness.builder.build({
        definition: b.definition,
        definitionHash: definitionHash(b.definition),
        lock: b.lock,
        registry: harness.registry,
      }),
    );
    const before = await manifestLayers(built.imageName, built.digest);
    const after = await manifestLayers(changed.imageName, changed.digest);
    // Same number of layers: base, runtime (zlib), group-3 (envforge-hello), group-7 (seed-alpha).
    expect(after).toHaveLength(before.length);
    // Layers: base, runtime (zlib), group-3 (envforge-hello), group-7 (seed-alpha), and the
    // RUN compileall step's. Base, runtime and group-3 keep their digests.
    expect(after.slice(0, 3)).toEqual(before.slice(0, 3));
    const fresh = after.filter((layer) => !before.includes(layer));
    expect(fresh[0]).toBe(after[3]);
    // The RUN step re-runs on the new seed-alpha layer. Its layer holds no file, only `etc/`
    // with the time of the run: BuildKit 0.8 (Docker 20.10) makes /etc/hosts a mount point for
    // RUN, and this base image has none. So it is new when B's RUN fell in another second than
    // A's, and identical otherwise; either way it is a directory entry and nothing else.
    for (const layer of fresh.slice(1)) {
      expect(layer).toBe(after[4]);
      expect(await layerEntries(changed.imageName, layer)).toEqual(["etc/"]);
    }
    // The engine sent exactly the new layers; base, runtime and group-3 were mounted from image
    // A's repository. The config blob (new labels) and the manifest are sent on every push too,
    // but the engine's progress has no per-layer line for them: pushedBlobs counts layers.
    expect(changed.pushedBlobs).toBe(fresh.length);
  });
});

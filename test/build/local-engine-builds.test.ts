/**
 * The Docker engine builder with no registry, on the real engine: the image stays in the engine
 * as `envforge/envforge_<image hash>:latest` with its labels and is never pushed; the same image
 * again is a cache hit that builds nothing; a name whose label names another image is built again.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import type { BuildOutcome } from "../../src/builders/image-builder.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { imageHash } from "../../src/definition/image-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import { removeImage } from "../support/docker.js";
import { BASE_IMAGE } from "../support/registry.js";
import type { Harness } from "./harness.js";
import { docker, gate, imageDefinition, logCollector, openHarness, shell } from "./harness.js";

const Inspected = z.object({
  Id: z.string(),
  RepoTags: z.array(z.string()).nullable(),
  RepoDigests: z.array(z.string()).nullable(),
  Config: z.object({ Labels: z.record(z.string(), z.string()).nullable() }),
});

describe.skipIf(gate.skip)("Docker engine builds with no registry", () => {
  let harness: Harness;
  /** Image ids this file made, removed at the end. */
  const made = new Set<string>();

  beforeAll(async () => {
    gate.require();
    harness = await openHarness();
  });
  afterAll(async () => {
    // Never the base image, even if a failing build answered with its id.
    const base = Inspected.parse(await docker.getImage(BASE_IMAGE).inspect()).Id;
    for (const id of made) if (id !== base) await removeImage(docker, id);
    await harness?.cleanup();
  });

  /** A definition no other run has built: a variable with a fresh value. */
  function freshDefinition(): Definition {
    return imageDefinition({
      variables: { ENVFORGE_LOCAL_TEST: randomBytes(6).toString("hex") },
    });
  }

  async function build(
    definition: Definition,
  ): Promise<{ outcome: BuildOutcome; log: ReturnType<typeof logCollector> }> {
    const log = logCollector();
    const outcome = await harness.builder.build({
      definition,
      definitionHash: definitionHash(definition),
      onLog: log.onLog,
    });
    made.add(outcome.digest);
    return { outcome, log };
  }

  it("keeps the image in the engine under its hash name, labelled, never pushed; then a cache hit", async () => {
    const definition = freshDefinition();
    const hash = imageHash(definitionHash(definition));
    const first = await build(definition);
    expect(first.outcome).toMatchObject({
      imageName: `envforge/${hash}`,
      cacheHit: false,
      pushedBlobs: 0,
    });
    expect(first.outcome.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const texts = first.log.lines.map((line) => line.text);
    expect(texts).toContain(
      `image envforge/${hash}:latest (no registry: kept in the local Docker engine)`,
    );
    expect(texts.some((text) => text.startsWith("pushing"))).toBe(false);
    expect(texts).toContain(
      `kept envforge/${hash}:latest (${first.outcome.digest}) in the local engine; no registry, no push`,
    );

    const image = Inspected.parse(await docker.getImage(`envforge/${hash}:latest`).inspect());
    expect(image.Id).toBe(first.outcome.digest);
    expect(image.RepoTags).toContain(`envforge/${hash}:latest`);
    expect(image.RepoDigests ?? []).toEqual([]);
    expect(image.Config.Labels).toMatchObject({
      "dev.envforge.image-hash": hash,
      "dev.envforge.definition-hash": definitionHash(definition),
    });
    expect(await shell(first.outcome.digest, "echo $ENVFORGE_LOCAL_TEST")).toBe(
      `${definition.variables["ENVFORGE_LOCAL_TEST"] ?? ""}\n`,
    );

    const second = await build(definition);
    expect(second.outcome).toMatchObject({
      imageName: `envforge/${hash}`,
      digest: first.outcome.digest,
      cacheHit: true,
      pushedBlobs: 0,
    });
    // Nothing was built: no Dockerfile step ran.
    expect(second.log.lines.filter((line) => line.stream === "step")).toEqual([]);
    expect(second.log.lines.map((line) => line.text)).toContain(
      `cache hit: the local engine has envforge/${hash}:latest (${first.outcome.digest})`,
    );
  });

  it("builds again when the hash name carries another image's label", async () => {
    const definition = freshDefinition();
    const hash = imageHash(definitionHash(definition));
    // Someone tagged the base image (which has no envforge label) with this image's name.
    await docker.getImage(BASE_IMAGE).tag({ repo: `envforge/${hash}`, tag: "latest" });
    const base = Inspected.parse(await docker.getImage(BASE_IMAGE).inspect());
    try {
      const { outcome, log } = await build(definition);
      expect(outcome.cacheHit).toBe(false);
      expect(outcome.digest).not.toBe(base.Id);
      expect(log.lines.map((line) => line.text)).toContain(
        `envforge/${hash}:latest is in the local engine with no dev.envforge.image-hash label; building it again`,
      );
      const image = Inspected.parse(await docker.getImage(`envforge/${hash}:latest`).inspect());
      expect(image.Id).toBe(outcome.digest);
      expect(image.Config.Labels?.["dev.envforge.image-hash"]).toBe(hash);
    } finally {
      // Only the tag this test added, if the build failed before moving it; never the base.
      await docker
        .getImage(`envforge/${hash}:latest`)
        .inspect()
        .then(
          async (found: unknown) => {
            if (Inspected.parse(found).Id === base.Id) {
              await docker.getImage(`envforge/${hash}:latest`).remove({ noprune: true });
            }
          },
          () => undefined,
        );
    }
  });
});

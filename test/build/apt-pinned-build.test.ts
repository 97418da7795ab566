/**
 * A lock's apt pins on the real engine: the build installs exactly `name=version`, so a version
 * the mirror no longer has fails the build, naming the package and the version.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildFailedError } from "../../src/builders/image-builder.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Lock } from "../../src/definition/lock.js";
import { resolutionKey } from "../../src/definition/resolution-hash.js";
import { gate, imageDefinition, logCollector, openHarness } from "./harness.js";
import type { Harness } from "./harness.js";

let harness: Harness;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  harness = await openHarness();
});

afterAll(async () => {
  await harness?.cleanup();
});

describe.skipIf(gate.skip)("apt pinned in the build", () => {
  it(
    "fails naming the package and version the mirror does not have",
    { timeout: 180_000 },
    async () => {
      const definition = imageDefinition({ apt: ["hello"] });
      const lock: Lock = {
        version: 2,
        definitionHash: definitionHash(definition),
        resolution: resolutionKey(definition),
        channels: [],
        platforms: [
          {
            platform: "linux-64",
            virtualPackages: [],
            conda: [],
            pip: [],
            apt: [{ name: "hello", version: "2.10-99" }],
          },
        ],
      };
      const log = logCollector();
      const error = await harness.builder
        .build({
          definition,
          definitionHash: definitionHash(definition),
          lock,
          registry: harness.registry,
          onLog: log.onLog,
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(BuildFailedError);
      const failure = error as BuildFailedError;
      expect(failure.step).toContain("apt-get install -y --no-install-recommends hello=2.10-99");
      expect(failure.lastLines.join("\n")).toContain(
        "E: Version '2.10-99' for 'hello' was not found",
      );
      expect(failure.message).toContain("hello=2.10-99");
    },
  );
});

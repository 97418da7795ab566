/**
 * The definition's apt packages on the real engine: installed from Debian's archive in the
 * build (host networking), and there in the pushed image. `hello` is a small package the
 * minbase image lacks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { gate, imageDefinition, logCollector, openHarness, shell } from "./harness.js";
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

describe.skipIf(gate.skip)("apt packages", () => {
  it("installs them in the image", { timeout: 180_000 }, async () => {
    const definition = imageDefinition({ apt: ["hello"] });
    const log = logCollector();
    const outcome = harness.track(
      await harness.builder.build({
        definition,
        definitionHash: definitionHash(definition),
        registry: harness.registry,
        onLog: log.onLog,
      }),
    );
    expect(log.lines.some((line) => line.text.includes("apt-get install"))).toBe(true);
    expect(await shell(`${outcome.imageName}:latest`, "hello")).toBe("Hello, world!\n");
  });
});

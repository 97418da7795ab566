/**
 * The cache probe (src/client/cache-probe.ts) against the builders it stands in front of, on the
 * real Docker engine: for an image the engine has under its name with the right label, the probe
 * ends the build with exactly the lines and outcome the configured builder gives on that cache
 * hit (auto, native and docker; a definition native can build and one it cannot), and it leaves
 * every other case to the full builder: no such image, another label, an engine that does not
 * answer, a registry, outputs, what the native builder refuses.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { BuildLogLine, BuildOutcome, ImageBuilder } from "../../src/builders/image-builder.js";
import { imageIdWithLabel, probeFirstBuilder } from "../../src/client/cache-probe.js";
import { openImageBuilder } from "../../src/client/open-image-builder.js";
import type { Definition } from "../../src/definition/definition.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { IMAGE_HASH_LABEL, imageHash } from "../../src/definition/image-hash.js";
import { surfaceSettings } from "../../src/host/config.js";
import { readDockerEndpoint } from "../../src/jobs/docker-endpoint-read.js";
import type { DockerEndpoint } from "../../src/jobs/docker-endpoint-rules.js";
import { imageDefinition } from "../build/harness.js";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import { BASE_IMAGE } from "../support/registry.js";

const run = promisify(execFile);
const docker = dockerClient();
const gate = engineGate("Docker engine", await dockerProblem(docker));
const dir = mkdtempSync(join(tmpdir(), "envforge-cache-probe-"));
const made = new Set<string>();
afterAll(async () => {
  for (const id of made) await removeImage(docker, id);
  rmSync(dir, { recursive: true, force: true });
});

function settingsFor(builder: string) {
  return surfaceSettings(
    withLoopbackDefaults({
      PATH: process.env.PATH,
      HOME: dir,
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "missing.yaml"),
      ENVFORGE_BUILDER: builder,
    }),
  );
}

/** A definition no other run has: a variable with a fresh value; `apt` makes it docker-only. */
function freshDefinition(apt: readonly string[] = []): Definition {
  return imageDefinition({
    apt,
    variables: { ENVFORGE_PROBE_TEST: randomBytes(6).toString("hex") },
  });
}

/** Puts an image in the engine under the definition's image name with `label` as its hash label. */
async function tagInEngine(definition: Definition, label: string): Promise<string> {
  const name = `envforge/${imageHash(definitionHash(definition))}:latest`;
  const context = mkdtempSync(join(dir, "context-"));
  writeFileSync(join(context, "Dockerfile"), `FROM ${BASE_IMAGE}\n`);
  const built = await run(
    "/usr/bin/docker",
    ["build", "-q", "--label", `${IMAGE_HASH_LABEL}=${label}`, "-t", name, context],
    { env: { ...process.env, DOCKER_BUILDKIT: "0" } },
  );
  const id = built.stdout.trim();
  made.add(id);
  return id;
}

async function buildWith(
  builder: ImageBuilder,
  definition: Definition,
  extra: { readonly registry?: string } = {},
): Promise<{ outcome: BuildOutcome; lines: BuildLogLine[] }> {
  const lines: BuildLogLine[] = [];
  const outcome = await builder.build({
    definition,
    definitionHash: definitionHash(definition),
    onLog: (line) => lines.push(line),
    ...extra,
  });
  return { outcome, lines };
}

/** A full builder that says it was asked, and builds nothing. */
function refusingFull(): { full: () => Promise<ImageBuilder>; asked: () => number } {
  let asked = 0;
  return {
    full: () => {
      asked += 1;
      return Promise.resolve({
        build: () => Promise.reject(new Error("the full builder was asked")),
      });
    },
    asked: () => asked,
  };
}

describe.skipIf(gate.skip)("the cache probe on the real engine", () => {
  const endpoint = (): DockerEndpoint => readDockerEndpoint(process.env);

  it.each([
    { builder: "auto", apt: [] },
    { builder: "auto", apt: ["curl"] },
    { builder: "native", apt: [] },
    { builder: "docker", apt: [] },
  ])(
    "a hit gives the $builder builder's own lines and outcome (apt: $apt)",
    async ({ builder, apt }) => {
      gate.require();
      const definition = freshDefinition(apt);
      // An image under the definition's name with its label, as a builder leaves it: both the
      // probe and the full builder find it there.
      const id = await tagInEngineFrom(definition);
      const settings = settingsFor(builder);
      const full = await buildWith(openImageBuilder(settings), definition);
      const refusing = refusingFull();
      const probed = await buildWith(
        probeFirstBuilder({ settings, endpoint: endpoint(), outputs: false, full: refusing.full }),
        definition,
      );
      expect(refusing.asked()).toBe(0);
      expect(full.outcome).toMatchObject({ cacheHit: true, digest: id });
      expect(full.lines.map((line) => line.text).at(-1)).toMatch(/^cache hit: /);
      expect(probed.lines).toEqual(full.lines);
      expect({ ...probed.outcome, durationMs: 0 }).toEqual({ ...full.outcome, durationMs: 0 });
    },
  );

  it("leaves a name with another label, a missing image and an unanswering engine to the full builder", async () => {
    gate.require();
    const settings = settingsFor("auto");
    const other = freshDefinition();
    await tagInEngine(other, "envforge_00000000000000000000000000000000");
    const missing = freshDefinition();
    for (const [definition, at] of [
      [other, endpoint()],
      [missing, endpoint()],
      [missing, readDockerEndpoint({ DOCKER_HOST: `unix://${join(dir, "no-engine.sock")}` })],
    ] as const) {
      const refusing = refusingFull();
      const builder = probeFirstBuilder({
        settings,
        endpoint: at,
        outputs: false,
        full: refusing.full,
      });
      await expect(buildWith(builder, definition)).rejects.toThrow("the full builder was asked");
      expect(refusing.asked()).toBe(1);
    }
  });

  it("leaves a registry, outputs and what the native builder refuses to the full builder", async () => {
    gate.require();
    const definition = freshDefinition();
    const id = await tagInEngineFrom(definition);
    expect(id).toMatch(/^sha256:/);
    const cases: readonly [string, boolean, { registry?: string }, Definition][] = [
      ["auto", false, { registry: "127.0.0.1:5000/envforge-probe" }, definition],
      ["auto", true, {}, definition],
      ["native", false, {}, freshDefinition(["curl"])],
    ];
    for (const [name, outputs, extra, asked] of cases) {
      const refusing = refusingFull();
      const builder = probeFirstBuilder({
        settings: settingsFor(name),
        endpoint: endpoint(),
        outputs,
        full: refusing.full,
      });
      await expect(buildWith(builder, asked, extra)).rejects.toThrow("the full builder was asked");
      expect(refusing.asked()).toBe(1);
    }
  });
});

describe("imageIdWithLabel", () => {
  const hash = "envforge_0123456789abcdef0123456789abcdef";
  it("takes the Id only when the label is the image hash", () => {
    const body = (labels: unknown) =>
      JSON.stringify({ Id: "sha256:aa", Config: { Labels: labels } });
    expect(imageIdWithLabel(body({ [IMAGE_HASH_LABEL]: hash }), hash)).toBe("sha256:aa");
    expect(imageIdWithLabel(body({ [IMAGE_HASH_LABEL]: `${hash}0` }), hash)).toBeUndefined();
    expect(imageIdWithLabel(body(null), hash)).toBeUndefined();
    expect(
      imageIdWithLabel(JSON.stringify({ Config: { Labels: { [IMAGE_HASH_LABEL]: hash } } }), hash),
    ).toBeUndefined();
    expect(imageIdWithLabel("not json", hash)).toBeUndefined();
  });
});

/** The definition's image, labelled with its own image hash: what a builder leaves. */
function tagInEngineFrom(definition: Definition): Promise<string> {
  return tagInEngine(definition, imageHash(definitionHash(definition)));
}

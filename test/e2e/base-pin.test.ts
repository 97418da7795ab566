/**
 * The base image is pinned at registration: the lock holds the digest the registry has for the
 * base tag, so the image hash names that exact base and the Dockerfile builds `FROM …@sha256:`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";
import { engineGate } from "../support/docker.js";
import { BASE_IMAGE, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";

const gate = engineGate("registry", await registryProblem());
const Registered = z.looseObject({
  version: z.looseObject({ lock: z.looseObject({ baseImageDigest: z.string() }) }),
});

describe.skipIf(gate.skip)("base image digest at registration", () => {
  let dir: string;
  let channel: SeedChannel;

  beforeAll(async () => {
    gate.require();
    dir = await mkdtemp(join(tmpdir(), "envforge-base-pin-"));
    channel = await startSeedChannel({ extra: PYTHON_SHIMS });
  });
  afterAll(async () => {
    await channel?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("locks the registry's digest of the base tag and builds FROM it", async () => {
    const [repository, tag] = BASE_IMAGE.slice(PLAIN_REGISTRY.length + 1).split(":");
    const head = await fetch(`http://${PLAIN_REGISTRY}/v2/${repository}/manifests/${tag}`, {
      method: "HEAD",
      headers: {
        accept:
          "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
      },
    });
    const digest = head.headers.get("docker-content-digest");
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const file = join(dir, "environment.yml");
    await writeFile(file, `channels: ["${channel.url}"]\ndependencies: [python=3.11, zlib]\n`);
    const env = { ENVFORGE_HOME: join(dir, "home"), ENVFORGE_BASE_IMAGE: BASE_IMAGE, HOME: dir };
    const created = await cli(["env", "create", "-f", file, "-n", "pinned", "--json"], { env });
    expect(created.code, created.stderr).toBe(0);
    const registered = Registered.parse(JSON.parse(created.stdout));
    expect(registered.version.lock.baseImageDigest).toBe(digest);

    const shown = await cli(["env", "show", "pinned", "--dockerfile"], { env });
    expect(shown.stdout).toContain(`FROM ${BASE_IMAGE}@${digest ?? ""}\n`);
  });
});

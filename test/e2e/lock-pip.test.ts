/**
 * `envforge lock` writes the pip part too: an exact pin on a loopback PEP 503 index of Debian's
 * real wheel 0.38.4 is locked by URL and sha256 next to the conda packages, so a build from the
 * lock file installs exactly that wheel with --no-deps.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLockFile } from "../../src/conda/lock-file.js";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";
import { startPipIndex } from "../support/pip-index.js";
import type { PipIndex } from "../support/pip-index.js";
import { cli } from "../support/run-cli.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";

describe("envforge lock with pip requirements", () => {
  let dir: string;
  let channel: SeedChannel;
  let index: PipIndex;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "envforge-lock-pip-"));
    channel = await startSeedChannel({ extra: PYTHON_SHIMS });
    index = await startPipIndex();
  });
  afterAll(async () => {
    await channel?.close();
    await index?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("locks wheel==0.38.4 by URL and sha256 beside the conda packages", async () => {
    await writeFile(
      join(dir, "envforge.yaml"),
      [
        "name: tools",
        "image: 127.0.0.1:5000/envforge/debian:bookworm",
        `conda_file: {channels: ["${channel.url}"], dependencies: [python=3.11, zlib]}`,
        `pip: ["--index-url ${index.url}", wheel==0.38.4]`,
        "",
      ].join("\n"),
    );
    const run = await cli(["lock", "envforge.yaml"], {
      cwd: dir,
      env: { ENVFORGE_HOME: join(dir, "home") },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^linux-64: \d+ conda packages, 1 pip packages$/m);
    const lock = parseLockFile(await readFile(join(dir, "envforge.lock"), "utf8"));
    const [wheel] = lock.platforms[0]?.pip ?? [];
    expect(wheel).toMatchObject({ name: "wheel", version: "0.38.4" });
    const bytes = Buffer.from(await (await fetch(wheel?.url ?? "")).arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(wheel?.sha256);
  });
});

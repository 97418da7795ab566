/**
 * Registration pins every base by digest: the image of an image-only definition, the default
 * base of a conda and of a pip definition, and every FROM of a user Dockerfile and of a build
 * context's Dockerfile. The ingredients (`env show --dockerfile`) then carry `@sha256:` on
 * every FROM line. Bases are in the loopback registry 127.0.0.1:5000.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gate } from "../build/harness.js";
import { cli } from "../support/run-cli.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";

const BASE = "127.0.0.1:5000/envforge/debian:bookworm";

let dir: string;
let channel: SeedChannel;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  dir = await mkdtemp(join(tmpdir(), "envforge-every-base-"));
  channel = await startSeedChannel({ extra: PYTHON_SHIMS });
  env = {
    ENVFORGE_HOME: join(dir, "home"),
    ENVFORGE_CONFIG: join(dir, "none.yaml"),
    HOME: dir,
    ENVFORGE_BASE_IMAGE: BASE,
    ENVFORGE_PYTHON_VERSION: "3.11",
    ENVFORGE_CHANNEL_URLS: `defaults=${channel.url}`,
  };
});

afterAll(async () => {
  await channel?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function files(name: string, content: Record<string, string>): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  for (const [path, text] of Object.entries(content)) await writeFile(join(folder, path), text);
  return folder;
}

async function fromLines(name: string, file: string): Promise<string[]> {
  const created = await cli(["env", "create", "-f", file, "-n", name], { env, cwd: dir });
  expect(created.code, created.stderr).toBe(0);
  expect(created.stderr).not.toMatch(/lock\.base-image/);
  const shown = await cli(["env", "show", name, "--dockerfile"], { env, cwd: dir });
  expect(shown.code, shown.stderr).toBe(0);
  return shown.stdout.split("\n").filter((line) => /^\s*FROM\s/i.test(line));
}

const PINNED = /@sha256:[0-9a-f]{64}(\s|$)/;

describe.skipIf(gate.skip)("every base pinned at registration", () => {
  it("an image-only definition", async () => {
    const folder = await files("image", { "envforge.yaml": `image: ${BASE}\n` });
    const lines = await fromLines("image-only", join(folder, "envforge.yaml"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^FROM ${BASE.replace(/\./g, "\\.")}@sha256:`));
  });

  it("the default base of a conda definition and of a pip definition", async () => {
    const conda = await files("conda", {
      "environment.yml": "channels: [defaults]\ndependencies:\n  - python=3.11\n",
    });
    const pip = await files("pip", { "requirements.txt": "\n" });
    for (const [name, file] of [
      ["conda-default-base", join(conda, "environment.yml")],
      ["pip-default-base", join(pip, "requirements.txt")],
    ] as const) {
      const lines = await fromLines(name, file);
      expect(lines.length, name).toBeGreaterThan(0);
      for (const line of lines) expect(line, name).toMatch(PINNED);
    }
  });

  it("every FROM of a Dockerfile and of a build context", async () => {
    const dockerfile = [
      `FROM ${BASE} AS builder`,
      "RUN echo built > /built",
      `FROM ${BASE}`,
      "COPY --from=builder /built /built",
      "",
    ].join("\n");
    const single = await files("dockerfile", { Dockerfile: dockerfile });
    const context = await files("context", { Dockerfile: dockerfile, "data.txt": "data\n" });
    await writeFile(
      join(context, "envforge.yaml"),
      "build:\n  path: .\n  dockerfile_path: Dockerfile\n",
    );
    for (const [name, file] of [
      ["dockerfile-froms", join(single, "Dockerfile")],
      ["context-froms", join(context, "envforge.yaml")],
    ] as const) {
      const lines = await fromLines(name, file);
      expect(lines, name).toHaveLength(2);
      expect(lines[0], name).toMatch(/@sha256:[0-9a-f]{64} AS builder$/);
      for (const line of lines) expect(line, name).toMatch(PINNED);
    }
    // The pinned recipe builds on the real engine (no registry: kept in the local engine).
    const built = await cli(["env", "build", "dockerfile-froms"], { env, cwd: dir });
    expect(built.code, built.stderr).toBe(0);
  }, 180_000);
});

/**
 * A base registration could not pin is pinned at the first build, never used by its tag. The
 * base's tag is not in the loopback registry 127.0.0.1:5000 when the version is registered
 * (a base-image problem); a build then fails naming the base and the registry and writes
 * nothing. Once the tag is pushed, `env build` pins it: the version's lock and ingredients show
 * `@sha256:`, and a second build reuses the stored pin (same image, a cache hit).
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCKER_CLI, gate, run } from "../build/harness.js";
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import { cli } from "../support/run-cli.js";

const BASE = "127.0.0.1:5000/envforge/debian:bookworm";
// A repository of its own per run, so the tag is surely absent at registration.
const LATER = `127.0.0.1:5000/envforge/pinned-at-build-${randomBytes(4).toString("hex")}:bookworm`;

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  dir = await mkdtemp(join(tmpdir(), "envforge-pin-at-build-"));
  env = {
    ...LOOPBACK_DEFAULTS,
    ENVFORGE_HOME: join(dir, "home"),
    ENVFORGE_CONFIG: join(dir, "none.yaml"),
    HOME: dir,
  };
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  await run(DOCKER_CLI, ["image", "rm", "--force", LATER]).catch(() => undefined);
});

interface Shown {
  readonly lock?: {
    readonly baseImageDigest?: string;
    readonly baseImages?: readonly { reference: string; digest: string }[];
  };
}

async function show(name: string): Promise<{ lock: Shown["lock"]; froms: string[] }> {
  const json = await cli(["env", "show", name, "--json"], { env, cwd: dir });
  expect(json.code, json.stderr).toBe(0);
  const dockerfile = await cli(["env", "show", name, "--dockerfile"], { env, cwd: dir });
  expect(dockerfile.code, dockerfile.stderr).toBe(0);
  return {
    lock: (JSON.parse(json.stdout) as Shown).lock,
    froms: dockerfile.stdout.split("\n").filter((line) => /^\s*FROM\s/i.test(line)),
  };
}

async function build(name: string): Promise<{ code: number; stderr: string; image: string }> {
  const built = await cli(["env", "build", name, "--json"], { env, cwd: dir });
  let image = "";
  if (built.code === 0) {
    const parsed = JSON.parse(built.stdout) as {
      imageHash?: string;
      build?: { imageHash?: string };
    };
    image = parsed.imageHash ?? parsed.build?.imageHash ?? "";
  }
  return { code: built.code, stderr: `${built.stderr}${built.stdout}`, image };
}

const PINNED = /@sha256:[0-9a-f]{64}(\s|$)/;
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.skipIf(gate.skip)("a base unpinned at registration is pinned at the first build", () => {
  it("refuses to build from the tag, then pins it once and reuses the pin", async () => {
    const image = join(dir, "image");
    const dockerfile = join(dir, "dockerfile");
    await mkdir(image, { recursive: true });
    await mkdir(dockerfile, { recursive: true });
    await writeFile(join(image, "envforge.yaml"), `image: ${LATER}\n`);
    await writeFile(
      join(dockerfile, "Dockerfile"),
      `FROM ${LATER} AS first\nRUN echo built > /built\nFROM ${BASE}\nCOPY --from=first /built /built\n`,
    );
    for (const [name, file] of [
      ["image-later", join(image, "envforge.yaml")],
      ["dockerfile-later", join(dockerfile, "Dockerfile")],
    ] as const) {
      const created = await cli(["env", "create", "-f", file, "-n", name], { env, cwd: dir });
      expect(created.code, created.stderr).toBe(0);
      expect(created.stderr, name).toMatch(/lock\.base-image/);
      const before = await show(name);
      expect(
        before.froms.some((line) => line.includes(LATER) && !PINNED.test(line)),
        name,
      ).toBe(true);

      // The tag is still absent: the build fails naming the base and its registry.
      const refused = await build(name);
      expect(refused.code, name).not.toBe(0);
      expect(refused.stderr, name).toMatch(new RegExp(escaped(LATER)));
      expect(refused.stderr, name).toMatch(/registry 127\.0\.0\.1:5000/);
      expect((await show(name)).froms, name).toEqual(before.froms);
    }

    await run(DOCKER_CLI, ["tag", BASE, LATER]);
    await run(DOCKER_CLI, ["push", LATER]);
    const { stdout } = await run(DOCKER_CLI, [
      "image",
      "inspect",
      "--format",
      "{{range .RepoDigests}}{{println .}}{{end}}",
      LATER,
    ]);
    const repository = LATER.slice(0, LATER.lastIndexOf(":"));
    const digest = stdout
      .split("\n")
      .find((line) => line.startsWith(`${repository}@`))
      ?.split("@")[1];
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    for (const name of ["image-later", "dockerfile-later"]) {
      const first = await build(name);
      expect(first.code, first.stderr).toBe(0);
      expect(first.image, first.stderr).toMatch(/^envforge_[0-9a-f]{32}$/);
      const after = await show(name);
      for (const line of after.froms) expect(line, name).toMatch(PINNED);
      expect(
        after.froms.some((line) => line.includes(`${LATER}@${digest}`)),
        name,
      ).toBe(true);
      if (name === "image-later") expect(after.lock?.baseImageDigest).toBe(digest);
      else expect(after.lock?.baseImages).toContainEqual({ reference: LATER, digest });

      // The stored pin is used: the same image, nothing pinned again.
      const second = await build(name);
      expect(second.code, second.stderr).toBe(0);
      expect(second.image, name).toBe(first.image);
      expect((await show(name)).froms, name).toEqual(after.froms);
    }
  }, 300_000);
});

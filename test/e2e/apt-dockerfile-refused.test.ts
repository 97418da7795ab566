/**
 * apt packages on a base built from a Dockerfile cannot be pinned before a build (there is no
 * image to resolve them in; workspace/lock-resolver.ts says why building one at registration is
 * not sound), and envforge never installs them unpinned: `env create` refuses them with exit 2,
 * naming the key, the packages and what to do instead, and stores nothing; `envforge lock`
 * refuses them too and writes no lock. The same Dockerfile without apt registers.
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import { cli } from "../support/run-cli.js";

const REFUSAL =
  "apt: apt packages are pinned in the image they are installed on, and this base is built from a Dockerfile, so there is none to pin them in before a build (envforge never installs them unpinned) (found curl, hello; allowed: the packages installed by the Dockerfile itself (RUN apt-get install -y NAME=VERSION), or apt with an image base (image:))";

describe("apt on a Dockerfile base", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "envforge-apt-dockerfile-"));
    // A base on a closed loopback port: nothing here needs a registry or an engine.
    env = {
      ...LOOPBACK_DEFAULTS,
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      HOME: dir,
    };
    await mkdir(join(dir, "ctx"));
    await writeFile(join(dir, "ctx", "Dockerfile"), "FROM 127.0.0.1:9/team/base:1\nRUN true\n");
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("env create refuses it, naming the packages, and stores nothing", async () => {
    await writeFile(join(dir, "envforge.yaml"), "build:\n  path: ctx\napt: [hello, curl]\n");
    const refused = await cli(["env", "create", "-f", "envforge.yaml", "-n", "app"], {
      env,
      cwd: dir,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(REFUSAL);
    expect((await cli(["env", "show", "app"], { env, cwd: dir })).code).toBe(3);
  });

  it("envforge lock refuses it and writes no lock", async () => {
    const refused = await cli(["lock", "envforge.yaml"], { env, cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(REFUSAL);
    await expect(stat(join(dir, "envforge.lock"))).rejects.toThrow();
  });

  it("registers the same Dockerfile without apt", async () => {
    await writeFile(join(dir, "plain.yaml"), "build:\n  path: ctx\n");
    const created = await cli(["env", "create", "-f", "plain.yaml", "-n", "plain"], {
      env,
      cwd: dir,
    });
    expect(created.code, created.stderr).toBe(0);
  });
});

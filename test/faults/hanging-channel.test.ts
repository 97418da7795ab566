/**
 * A channel that stops answering mid-package (issue 13, defect 3): `envforge install` fails with
 * the reason within a bounded time; `env build --timeout` fails with the reason within its
 * timeout and the build is not left `running`; `build cancel` ends such a build. Real CLI, real
 * SQLite workspace, real Docker engine for the build's cache check, real sockets on 127.0.0.1.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { formatLockFile } from "../../src/conda/lock-file.js";
import { dockerClient, dockerProblem, engineGate } from "../support/docker.js";
import { BASE_IMAGE, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { startStallingChannel, STALL_AFTER_BYTES } from "./stalling-channel.js";
import type { StallingChannel } from "./stalling-channel.js";

const gate = engineGate(
  "Docker engine and base image",
  (await dockerProblem(dockerClient())) ?? (await registryProblem()),
);

const BuildJson = z.looseObject({
  id: z.string(),
  state: z.string(),
  reason: z.string().nullable(),
});
const BuildList = z.looseObject({ items: z.array(BuildJson) });

let seed: SeedChannel;
let channel: StallingChannel;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // A fresh nonce: packages no cache on this machine has seen.
  seed = await startSeedChannel({
    nonce: randomBytes(8).toString("hex"),
    // Registration adds the default python (3.10); a data-only stand-in lets the lock resolve.
    extra: [
      {
        name: "python",
        version: "3.10.0",
        noarch: "generic",
        files: [{ path: "share/python-stand-in/README", content: "not a python\n" }],
      },
    ],
  });
  channel = await startStallingChannel(seed.url);
  dir = mkdtempSync(join(tmpdir(), "envforge-hanging-channel-"));
  env = {
    ENVFORGE_HOME: join(dir, "home"),
    ENVFORGE_CONFIG: join(dir, "missing.yaml"),
    ENVFORGE_BASE_IMAGE: BASE_IMAGE,
    HOME: dir,
  };
});
afterAll(async () => {
  await channel?.close();
  await seed?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("a channel that stops answering mid-package", () => {
  it("fails envforge install with the reason within a bounded time and leaves no prefix", async () => {
    const lock = seed.lock("envforge_" + "0".repeat(32), ["zlib"]);
    const platform = lock.platforms[0];
    if (platform === undefined) throw new Error("no platform in the seed lock");
    const redirected = {
      ...lock,
      platforms: [
        {
          ...platform,
          conda: platform.conda.map((entry) => ({
            ...entry,
            url: entry.url.replace(seed.url, channel.url),
          })),
        },
      ],
    };
    writeFileSync(join(dir, "envforge.lock"), formatLockFile(redirected));

    const started = performance.now();
    const result = await cli(["install", "envforge.lock", "--prefix", "env"], {
      cwd: dir,
      env: { ...env, ENVFORGE_NETWORK_TIMEOUT: "1" },
    });
    const seconds = (performance.now() - started) / 1000;
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toMatch(
      new RegExp(
        `zlib-1\\.2\\.11-h7b6447c_3\\.tar\\.bz2: download from ${channel.url.replace(/\./g, "\\.")}/\\S+ failed after 4 attempts: no bytes received within 1 s after ${STALL_AFTER_BYTES} bytes`,
      ),
    );
    // Four attempts of 1 s with 0.5 + 1 + 2 s between them, and some slack; never forever.
    expect(seconds).toBeLessThan(20);
    expect(existsSync(join(dir, "env"))).toBe(false);
  }, 60_000);

  describe.skipIf(gate.skip)("builds from it", () => {
    beforeAll(async () => {
      gate.require();
      writeFileSync(
        join(dir, "hang.yml"),
        `name: hang\nchannels:\n  - ${channel.url}\ndependencies:\n  - zlib\n`,
      );
      const created = await cli(["env", "create", "-f", "hang.yml", "-n", "hang"], {
        cwd: dir,
        env,
      });
      expect(created.code, created.stderr).toBe(0);
    });

    async function builds(): Promise<z.infer<typeof BuildJson>[]> {
      const listed = await cli(["build", "list", "--name", "hang", "--json"], { cwd: dir, env });
      expect(listed.code, listed.stderr).toBe(0);
      return BuildList.parse(JSON.parse(listed.stdout)).items;
    }

    it("fails a build with --timeout within its timeout, and the build is not left running", async () => {
      const started = performance.now();
      const result = await cli(["env", "build", "hang", "--timeout", "5", "--json"], {
        cwd: dir,
        env,
      });
      const seconds = (performance.now() - started) / 1000;
      expect(result.code).not.toBe(0);
      expect(seconds).toBeLessThan(5 + 5);
      expect(channel.packageRequests.length).toBeGreaterThan(0);
      const [build] = await builds();
      expect(build).toMatchObject({ state: "failed", reason: "timed out after 5 s" });
      expect(result.stderr).toContain("timed out after 5 s");
    }, 60_000);

    it("ends such a build when it is canceled", async () => {
      const before = (await builds()).length;
      const building = cli(["env", "build", "hang", "--timeout", "600", "--json"], {
        cwd: dir,
        env,
      });
      let id: string | undefined;
      for (let i = 0; i < 100 && id === undefined; i += 1) {
        const list = await builds();
        const running = list.length > before ? list[0] : undefined;
        if (running?.state === "running") id = running.id;
        else await new Promise((done) => setTimeout(done, 100));
      }
      if (id === undefined) throw new Error("the build never started");
      const canceledAt = performance.now();
      const canceled = await cli(["build", "cancel", id], { cwd: dir, env });
      expect(canceled.code, canceled.stderr).toBe(0);
      const result = await building;
      // The worker sees the cancel at its next heartbeat (a third of its 30 s lease).
      expect((performance.now() - canceledAt) / 1000).toBeLessThan(15);
      expect(result.code).not.toBe(0);
      const [build] = await builds();
      expect(build).toMatchObject({ id, state: "canceled" });
    }, 60_000);
  });
});

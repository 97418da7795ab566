/**
 * `envforge run` on the real Docker engine and registry: it builds the image when no build of it
 * succeeded, runs the command with the working folder at /workspace and no network, streams
 * stdout and stderr apart, stores the job with its exit code and log, and exits with the code.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobService } from "../../src/workspace/build-api.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { BASE_IMAGE, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registry",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

describe.skipIf(gate.skip)("envforge run on the Docker engine", () => {
  let dir: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const marker = randomBytes(4).toString("hex");
  let imageHashOfRun = "";

  beforeAll(async () => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-run-"));
    work = join(dir, "work");
    mkdirSync(work);
    writeFileSync(join(work, "input.txt"), "from the working folder\n");
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      ENVFORGE_REGISTRY: `${PLAIN_REGISTRY}/envforge-test/run-${marker}`,
      HOME: dir,
    };
    const file = join(dir, "Dockerfile");
    writeFileSync(file, `FROM ${BASE_IMAGE}\nRUN echo image-${marker} > /image.txt\n`);
    expect((await cli(["env", "create", "-f", file, "-n", "runner"], { env })).code).toBe(0);
  });
  afterAll(async () => {
    await removeImage(docker, `${env.ENVFORGE_REGISTRY}/${imageHashOfRun}:latest`).catch(
      () => undefined,
    );
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("builds first, runs with the folder mounted and no network, keeps the job, exits with its code", async () => {
    const script =
      'cat /image.txt; cat input.txt; echo "$SEED"; echo oops >&2; ls /sys/class/net; echo out > made.txt; exit 7';
    const result = await cli(
      ["run", "runner", "--env", `SEED=secret-${marker}`, "--", "sh", "-c", script],
      {
        env,
        cwd: work,
      },
    );
    expect(result.code).toBe(7);
    expect(result.stdout).toBe(`image-${marker}\nfrom the working folder\nsecret-${marker}\nlo\n`);
    expect(result.stderr).toContain("queued build");
    expect(result.stderr).toContain("oops\n");
    expect(result.stderr).toMatch(/job \S+ failed \(exit code 7\)/);

    const store = await openSqliteStore({
      path: join(dir, "home", "envforge.db"),
      clock: () => new Date(),
    });
    try {
      const jobs = createJobService({ store });
      const [job] = (await jobs.listJobs()).items;
      expect(job).toMatchObject({
        name: "runner",
        version: 1,
        state: "failed",
        exitCode: 7,
        reason: "exited with code 7",
        envKeys: ["SEED"],
        network: "none",
        command: ["sh", "-c", script],
      });
      imageHashOfRun = job?.imageHash ?? "";
      const log = await jobs.readJobLog({ id: job?.id ?? "" });
      const text = (stream: string) =>
        log
          .filter((c) => c.stream === stream)
          .map((c) => c.text)
          .join("");
      expect(text("stdout")).toBe(result.stdout);
      expect(text("stderr")).toBe("oops\n");
      // Variable values may be secrets: the record keeps their names only.
      expect(JSON.stringify(job)).not.toContain(`secret-${marker}`);
    } finally {
      await store.close();
    }
  });

  it("lists, shows and prints the output of kept jobs", async () => {
    const list = await cli(["job", "list"], { env });
    expect(list.code).toBe(0);
    const id = /^(\S+)\s+runner@1\s+failed\s+7\s/m.exec(list.stdout)?.[1];
    expect(id, list.stdout).toBeDefined();
    const shown = await cli(["job", "show", id ?? ""], { env });
    expect(shown.stdout).toContain("exit code:   7");
    expect(shown.stdout).toContain("variables:   SEED");
    const logs = await cli(["job", "logs", id ?? ""], { env });
    expect(logs.stdout).toBe(`image-${marker}\nfrom the working folder\nsecret-${marker}\nlo\n`);
    expect(logs.stderr).toBe("oops\n");
    const missing = await cli(["job", "show", "nope"], { env });
    expect(missing.code).toBe(3);
  });

  it("reuses the built image, and gives the host's network only when asked", async () => {
    const result = await cli(
      ["run", "runner:latest", "--network", "host", "--", "sh", "-c", "ls /sys/class/net | wc -l"],
      { env, cwd: work },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("queued build");
    expect(Number(result.stdout.trim())).toBeGreaterThan(1);
  });

  it("refuses bad options before anything runs", async () => {
    const result = await cli(["run", "runner", "--network", "bridge", "--", "true"], {
      env,
      cwd: work,
    });
    // run's own failures exit 125, as docker run's do: 2 would be the job's.
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(
      '--network: not a network mode (found "bridge"; allowed: none or host)',
    );
  });
});

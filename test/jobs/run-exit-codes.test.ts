/**
 * `envforge run`'s exit codes (issue 9, point 6), on the real Docker engine and registry: the
 * job's own code passes through unchanged (3 is the job's, not "not found"), and envforge's own
 * failures take the codes `docker run` gives them: 127 for a command not in the image, 126 for
 * one that cannot be invoked, 125 for everything else (here: an engine that cannot be reached).
 * `--json` prints NDJSON: the job at its start and end, and each chunk of output.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { BASE_IMAGE, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registry",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

describe.skipIf(gate.skip)("envforge run's exit codes", () => {
  let dir: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const marker = randomBytes(4).toString("hex");
  const images = new Set<string>();

  beforeAll(async () => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-run-codes-"));
    work = join(dir, "work");
    mkdirSync(work);
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      ENVFORGE_REGISTRY: `${PLAIN_REGISTRY}/envforge-test/codes-${marker}`,
      HOME: dir,
    };
    const file = join(dir, "Dockerfile");
    // /not-executable exists but has no execute bit: 126, as `docker run` gives.
    writeFileSync(
      file,
      `FROM ${BASE_IMAGE}\nRUN echo codes-${marker} > /marker.txt && echo x > /not-executable\n`,
    );
    expect((await cli(["env", "create", "-f", file, "-n", "codes"], { env })).code).toBe(0);
    const built = await cli(["env", "build", "codes", "--json"], { env });
    expect(built.code, built.stderr).toBe(0);
    const build = JSON.parse(built.stdout) as { image: { name: string } };
    images.add(build.image.name);
  }, 300_000);
  afterAll(async () => {
    for (const image of images) await removeImage(docker, image).catch(() => undefined);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("passes a job's exit code through unchanged: 3 is the job's, not 'not found'", async () => {
    const result = await cli(["run", "codes", "--", "sh", "-c", "exit 3"], { env, cwd: work });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/job \S+ failed \(exit code 3\) in [0-9.]+ s\n$/);
    expect(result.stderr).not.toMatch(/^envforge: /m);
  });

  it("gives 127 for a command that is not in the image, and says so once", async () => {
    const result = await cli(["run", "codes", "--", "no-such-command-here"], { env, cwd: work });
    expect(result.code).toBe(127);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/command not found in the image: .*no-such-command-here/);
    expect(result.stderr).toMatch(/job \S+ failed \(exit code 127\)/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("gives 126 for a command that cannot be invoked", async () => {
    const result = await cli(["run", "codes", "--", "/not-executable"], { env, cwd: work });
    expect(result.code).toBe(126);
    expect(result.stderr).toMatch(/command cannot be invoked: .*permission denied/);
  });

  it("gives 125 when the engine cannot be reached, naming it", async () => {
    const missing = join(dir, "missing.sock");
    const result = await cli(["run", "codes", "--", "true"], {
      env: { ...env, DOCKER_HOST: `unix://${missing}` },
      cwd: work,
    });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^envforge: .*cannot reach the Docker engine/m);
    expect(result.stderr).toContain(missing);
    // Said once: the reason does not come again under another prefix.
    expect(result.stderr.split(missing).length - 1).toBe(2); // "at unix://…" and "no socket at …"
  });

  it("gives 125 for its own bad input too, with the error object's kind in --json", async () => {
    const result = await cli(["run", "codes", "--network", "bridge", "--json", "--", "true"], {
      env,
      cwd: work,
    });
    expect(result.code).toBe(125);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: "validation",
      exitCode: 125,
      status: 422,
      type: "urn:envforge:problem:validation",
    });
  });

  it("prints NDJSON with --json: the job, its output, the job's end; the code still passes", async () => {
    const result = await cli(
      ["run", "codes", "--json", "--", "sh", "-c", "cat /marker.txt; echo warn >&2; exit 4"],
      { env, cwd: work },
    );
    expect(result.code).toBe(4);
    const lines = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      event: "job",
      job: { state: "queued", command: ["sh", "-c", expect.any(String)] },
    });
    expect(lines.at(-1)).toMatchObject({ event: "job", job: { state: "failed", exitCode: 4 } });
    const output = lines.filter((line) => line.event === "output");
    expect(output).toContainEqual({ event: "output", stream: "stdout", text: `codes-${marker}\n` });
    expect(output).toContainEqual({ event: "output", stream: "stderr", text: "warn\n" });
  });
});

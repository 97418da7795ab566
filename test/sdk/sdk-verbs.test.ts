/**
 * The SDK's build, run, label and archive against a real local workspace (SQLite) and the real
 * Docker engine with no registry: a registered Dockerfile environment builds (then is a cache
 * hit), is labelled, runs a job whose exit code 3 comes back on the Job, and is archived. A
 * registered conda environment serializes as `name: envforge_<hash>`, as Azure's does as
 * `azureml_<hash>`, without that name changing its hash.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Environment, Workspace } from "../../src/sdk/index.js";
import type { BuildEvent, Problem } from "../../src/sdk/index.js";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import { BASE_IMAGE, registryProblem } from "../support/registry.js";

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and base image",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

describe("the SDK on a local workspace", () => {
  let dir: string;
  let ws: Workspace;
  const warnings: Problem[] = [];
  const images = new Set<string>();
  const marker = `sdk-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "envforge-sdk-verbs-"));
    ws = await Workspace.open({
      env: withLoopbackDefaults({
        ENVFORGE_HOME: join(dir, "home"),
        ENVFORGE_CONFIG: join(dir, "missing.yaml"),
        ENVFORGE_REGISTRY: "",
        ENVFORGE_SERVER: "",
        HOME: dir,
      }),
      onWarning: (warning) => warnings.push(warning),
    });
  });
  afterAll(async () => {
    await ws.close();
    for (const id of images) await removeImage(docker, id);
    rmSync(dir, { recursive: true, force: true });
  });

  it("names a registered conda spec envforge_<hash>, and the name never changes the hash", async () => {
    const file = join(dir, "environment.yml");
    writeFileSync(
      file,
      "name: my-project # the user's name\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n",
    );
    const env = Environment.fromCondaSpecification("sdkconda", file);
    expect(env.python.condaDependencies.serializeToString()).toMatch(/^name: my-project/);
    await env.register(ws);
    const registered = await ws.getVersion("sdkconda");
    expect(registered.definitionHash).toMatch(/^envforge_[0-9a-f]{32}$/);
    expect(env.python.condaDependencies.serializeToString()).toBe(
      `name: ${registered.definitionHash} # the user's name\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n`,
    );
    expect(env.python.condaDependencies.name).toBe(registered.definitionHash);

    const fetched = await Environment.get(ws, "sdkconda");
    expect(fetched.python.condaDependencies.serializeToString()).toMatch(
      new RegExp(`^name: ${registered.definitionHash}\\b`),
    );
    // Registering it again, renamed as it now is, is the same version.
    await env.register(ws);
    expect(env.version).toBe("1");
  });

  describe.skipIf(gate.skip)("builds and jobs on the Docker engine", () => {
    it("builds, labels, runs (exit code 3 on the Job) and archives", async () => {
      gate.require();
      const env = Environment.fromDockerfile(
        "sdkverbs",
        `FROM ${BASE_IMAGE}\nRUN echo ${marker} > /marker.txt\n`,
      );
      await env.register(ws);
      expect(env.version).toBe("1");

      const events: BuildEvent[] = [];
      const build = await env.build(ws, { onEvent: (event) => events.push(event) });
      if (build.image.id !== null) images.add(build.image.id);
      expect(build).toMatchObject({ state: "succeeded", cacheHit: false, name: "sdkverbs" });
      expect(build.image.location).toBe("local-engine");
      expect(events.some((event) => event.kind === "log")).toBe(true);
      const again = await ws.build("sdkverbs@1");
      expect(again).toMatchObject({ state: "succeeded", cacheHit: true });

      await env.setLabel(ws, "prod");
      expect((await ws.getVersion("sdkverbs", { label: "prod" })).version).toBe(1);
      await ws.setLabel("sdkverbs:prod", "previous");
      expect((await ws.getVersion("sdkverbs", { label: "previous" })).version).toBe(1);

      const output = { stdout: "", stderr: "" };
      const job = await ws.run(
        "sdkverbs:prod",
        ["sh", "-c", `cat /marker.txt; echo "$GREETING"; exit 3`],
        {
          env: { GREETING: "hello" },
          onOutput: (chunk) => {
            output[chunk.stream === "stderr" ? "stderr" : "stdout"] += chunk.text;
          },
        },
      );
      expect(job).toMatchObject({ name: "sdkverbs", version: 1, state: "failed", exitCode: 3 });
      expect(output).toEqual({
        stdout: `${marker}
hello
`,
        stderr: "",
      });

      await env.archive(ws);
      expect((await ws.listEnvironments()).map((summary) => summary.name)).not.toContain(
        "sdkverbs",
      );
      expect((await ws.getVersion("sdkverbs", { version: 1 })).archived).toBe(true);
      await ws.restore("sdkverbs@1");
      expect((await ws.getVersion("sdkverbs")).version).toBe(1);
    }, 240_000);
  });
});

/**
 * User Dockerfiles and build contexts on the real engine: built in two steps so the user's
 * `COPY . x` sees only the user's files, a failing RUN is a BuildFailedError naming its step
 * with the output before it, a cancelled build stops, and a push to the htpasswd registry uses
 * the Docker config's credentials without showing them.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildFailedError } from "../../src/builders/image-builder.js";
import type { ContextContentSource } from "../../src/builders/image-builder.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { ContextFile, Definition } from "../../src/definition/definition.js";
import { sha256Of } from "../support/conda-packages.js";
import {
  AUTH_REGISTRY,
  BASE_IMAGE,
  basicAuthorization,
  readAuthRegistryCredentials,
} from "../support/registry.js";
import { removeImage } from "../support/docker.js";
import { docker, gate, imageDefinition, logCollector, openHarness, run, shell } from "./harness.js";
import type { Harness } from "./harness.js";

let harness: Harness;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  harness = await openHarness();
});

afterAll(async () => {
  await harness?.cleanup();
});

/**
 * A build-context definition whose files exist only as content (as the workspace keeps them):
 * its contextPath names a folder that does not exist, so a build that read it would fail.
 */
function buildContext(files: Readonly<Record<string, string>>): {
  readonly base: Definition["base"];
  readonly contextContent: ContextContentSource;
} {
  const listed: ContextFile[] = [];
  const content = new Map<string, Uint8Array>();
  for (const [path, text] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sha256 = `sha256:${sha256Of(text)}`;
    listed.push({ path, size: Buffer.byteLength(text), sha256, mode: 0o644 });
    content.set(sha256, Buffer.from(text));
  }
  return {
    base: {
      kind: "build",
      contextPath: join(harness.workDir, "no-such-folder"),
      dockerfilePath: "Dockerfile",
      dockerfile: files["Dockerfile"] ?? "",
      files: listed,
    },
    contextContent: { read: (sha256) => Promise.resolve(content.get(sha256)) },
  };
}

describe.skipIf(gate.skip)("Dockerfile and build-context definitions on the Docker engine", () => {
  it("builds the user's context first, so COPY . sees only the user's files", async () => {
    const dockerfile = `FROM ${BASE_IMAGE}\nCOPY . /app/\n`;
    const context = buildContext({ Dockerfile: dockerfile, "src/main.py": "print('hi')\n" });
    const definition = imageDefinition({
      base: context.base,
      variables: { GREETING: 'say "hi" $(not run)' },
    });
    const outcome = harness.track(
      await harness.builder.build({
        definition,
        definitionHash: definitionHash(definition),
        contextContent: context.contextContent,
        registry: harness.registry,
      }),
    );
    expect(
      await shell(
        `${outcome.imageName}:latest`,
        'cd /app && find . -type f | sort; echo "$GREETING"',
      ),
    ).toBe(`./Dockerfile\n./src/main.py\nsay "hi" $(not run)\n`);
  });

  it("refuses a context file whose stored bytes differ from the registered sha256, naming only the file", async () => {
    const dockerfile = `FROM ${BASE_IMAGE}\nCOPY . /app/\n`;
    const context = buildContext({ Dockerfile: dockerfile, "data.txt": "registered\n" });
    const definition = imageDefinition({ base: context.base });
    // An impostor of the same size under the registered hash: a size check would let it through.
    const impostor: ContextContentSource = {
      read: async (sha256) => {
        const bytes = await context.contextContent.read(sha256);
        return bytes?.toString() === "registered\n" ? Buffer.from("impostor!!\n") : bytes;
      },
    };
    const error = await harness.builder
      .build({
        definition,
        definitionHash: definitionHash(definition),
        contextContent: impostor,
        registry: harness.registry,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(BuildFailedError);
    const listed = context.base.kind === "build" ? context.base.files : [];
    const registered = listed.find((file) => file.path === "data.txt")?.sha256 ?? "";
    expect((error as BuildFailedError).message).toBe(
      `build context file "data.txt" does not match the sha256 it was registered with (${registered}); the workspace's copy was changed, so nothing was built`,
    );

    const missing = await harness.builder
      .build({ definition, definitionHash: definitionHash(definition), registry: harness.registry })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((missing as BuildFailedError).message).toBe(
      `build context file "Dockerfile" is not in the workspace's content store; register the definition again from its folder`,
    );
  });

  it("fails with the failing step and the output before it", async () => {
    const definition = imageDefinition({
      base: {
        kind: "dockerfile",
        dockerfile: `FROM ${BASE_IMAGE}\nRUN echo before-the-failure && echo to-stderr >&2 && exit 3\n`,
      },
    });
    const log = logCollector();
    const failure = await harness.builder
      .build({
        definition,
        definitionHash: definitionHash(definition),
        registry: harness.registry,
        onLog: log.onLog,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(BuildFailedError);
    const error = failure as BuildFailedError;
    expect(error.step).toBe("[2/2] RUN echo before-the-failure && echo to-stderr >&2 && exit 3");
    expect(error.message).toMatch(
      /^build failed at step \[2\/2\] RUN echo before-the-failure && echo to-stderr >&2 && exit 3: .*exit code: 3$/,
    );
    expect(error.lastLines).toContain("before-the-failure");
    expect(error.lastLines.length).toBeLessThanOrEqual(20);
    // RUN output arrives decoded and on its own stream, not as base64.
    expect(log.lines).toContainEqual({ stream: "stdout", text: "before-the-failure" });
    expect(log.lines).toContainEqual({ stream: "stderr", text: "to-stderr" });
  });

  it("refuses a conda definition without a lock before anything is built", async () => {
    const definition = imageDefinition({
      conda: { channels: ["conda-forge"], dependencies: ["zlib"], pip: [], variables: {} },
    });
    await expect(
      harness.builder.build({
        definition,
        definitionHash: definitionHash(definition),
        registry: harness.registry,
      }),
    ).rejects.toThrow(
      "lock: a definition with conda packages is built from its lock; resolve it first (found no lock; allowed: a lock made by `envforge lock` or at registration)",
    );
  });

  it("stops a build when its signal aborts", async () => {
    const definition = imageDefinition({
      base: { kind: "dockerfile", dockerfile: `FROM ${BASE_IMAGE}\nRUN sleep 30\n` },
    });
    const controller = new AbortController();
    const started = performance.now();
    const build = harness.builder.build({
      definition,
      definitionHash: definitionHash(definition),
      registry: harness.registry,
      signal: controller.signal,
      onLog: (line) => {
        if (line.text.includes("RUN sleep 30")) controller.abort(new Error("canceled by test"));
      },
    });
    await expect(build).rejects.toThrow("canceled by test");
    expect(performance.now() - started).toBeLessThan(15_000);
    // The engine ends the RUN when its client goes away: its process leaves the host soon after.
    const deadline = performance.now() + 10_000;
    let running = true;
    while (running && performance.now() < deadline) {
      const { stdout } = await run("ps", ["-eo", "args"]);
      running = stdout.split("\n").some((line) => line.trim() === "sleep 30");
      if (running) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(running).toBe(false);
  });

  it("pushes to a registry that needs a login with the Docker config's credentials, never logging them", async () => {
    const credentials = await readAuthRegistryCredentials();
    const configDir = join(harness.workDir, "docker-config");
    await mkdir(configDir, { recursive: true });
    const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
    await writeFile(
      join(configDir, "config.json"),
      JSON.stringify({ auths: { [AUTH_REGISTRY]: { auth } } }),
    );
    const authHarness = await openHarness(
      { ...process.env, DOCKER_CONFIG: configDir },
      { authorization: basicAuthorization(credentials) },
    );
    try {
      const definition = imageDefinition({ variables: { AUTH_TEST: harness.registry } });
      const log = logCollector();
      const outcome = authHarness.track(
        await authHarness.builder.build({
          definition,
          definitionHash: definitionHash(definition),
          registry: `${AUTH_REGISTRY}/envforge-test/auth`,
          onLog: log.onLog,
        }),
      );
      expect(outcome.digest).toMatch(/^sha256:/);
      const text = JSON.stringify(log.lines);
      expect(text).toContain(`as ${credentials.username}`);
      expect(text).not.toContain(credentials.password);
      expect(text).not.toContain(auth);
      // The same build again is a cache hit: the HEAD used the same credentials.
      const again = await authHarness.builder.build({
        definition,
        definitionHash: definitionHash(definition),
        registry: `${AUTH_REGISTRY}/envforge-test/auth`,
      });
      expect(again).toMatchObject({ cacheHit: true, digest: outcome.digest });

      // An image in that registry as a base: BuildKit asks envforge's session for the host's
      // credentials when it resolves FROM. The engine's local copy goes first, so it must.
      await removeImage(docker, `${outcome.imageName}:latest`);
      const [, ...path] = outcome.imageName.split("/");
      const onAuthBase = imageDefinition({
        base: {
          kind: "image",
          image: { registry: AUTH_REGISTRY, repository: path.join("/"), tag: "latest" },
          defaulted: false,
        },
        variables: { ON_AUTH_BASE: "1" },
      });
      const anonymous = await harness.builder
        .build({
          definition: onAuthBase,
          definitionHash: definitionHash(onAuthBase),
          registry: harness.registry,
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(anonymous).toBeInstanceOf(BuildFailedError);
      const step = `[internal] load metadata for ${AUTH_REGISTRY}/${path.join("/")}:latest`;
      expect((anonymous as BuildFailedError).step).toBe(step);
      expect((anonymous as BuildFailedError).message).toBe(
        `build failed at step ${step}: pulling from host ${AUTH_REGISTRY} failed with status code [manifests latest]: 401 Unauthorized`,
      );
      const onBase = harness.track(
        await authHarness.builder.build({
          definition: onAuthBase,
          definitionHash: definitionHash(onAuthBase),
          registry: harness.registry,
        }),
      );
      expect(await shell(`${onBase.imageName}:latest`, "echo $ON_AUTH_BASE")).toBe("1\n");
    } finally {
      await authHarness.cleanup();
    }
  });
});

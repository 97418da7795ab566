/**
 * The SDK's Workspace in-process (`Workspace.open`) and against a real server
 * (`Workspace.connect`): in-memory Definitions of every base kind register under the same
 * definition hash either way, reads return the same data, and auth errors surface as the
 * envforge errors of the error map.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, UnauthorizedError, ValidationError } from "../../src/errors/index.js";
import type { Problem } from "../../src/errors/index.js";
import { Environment } from "../../src/sdk/environment.js";
import { loadDefinition } from "../../src/host/load-definition.js";
import { Workspace } from "../../src/sdk/workspace.js";
import {
  definitionFromConda,
  definitionFromDockerfile,
} from "../../src/definition/assemble-definition.js";
import { parseCondaEnvironment } from "../../src/definition/conda-environment.js";
import type { Definition } from "../../src/definition/definition.js";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { ApiHarness } from "./harness.js";
import { startApiHarness } from "./harness.js";
import { CLOSED_LOOPBACK, withLoopbackDefaults } from "../support/loopback-defaults.js";

function conda(packages: readonly string[]): Definition {
  const text = `channels: [defaults]\ndependencies: [python=3.10, ${packages.join(", ")}]\n`;
  return definitionFromConda(
    { conda: parseCondaEnvironment({ path: "environment.yml", text }), tags: { team: "vision" } },
    DEFAULT_PARSE_SETTINGS,
  );
}

describe("Workspace.open and Workspace.connect", () => {
  let dir: string;
  let api: ApiHarness;
  let local: Workspace;
  let remote: Workspace;
  let definitions: Record<string, Definition>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "envforge-sdk-ws-"));
    api = await startApiHarness({ kind: "sqlite", adminUrl: undefined, auth: true });
    const { secret } = await api.service.createToken({ name: "sdk", scopes: ["write"] });
    local = await Workspace.open({
      env: withLoopbackDefaults({ ENVFORGE_HOME: join(dir, "home") }),
    });
    remote = await Workspace.connect(api.url, secret);
    const context = join(dir, "context");
    await mkdir(context);
    await writeFile(join(context, "Dockerfile"), "FROM 127.0.0.1:5000/base:1\nCOPY run.sh /\n");
    await writeFile(join(context, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    definitions = {
      conda: conda(["numpy"]),
      dockerfile: definitionFromDockerfile(
        { dockerfile: "FROM 127.0.0.1:5000/base:1\nRUN true\n" },
        DEFAULT_PARSE_SETTINGS,
      ),
      context: await loadDefinition(context, { settings: DEFAULT_PARSE_SETTINGS }),
    };
  });
  afterAll(async () => {
    await local?.close();
    await remote?.close();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(["conda", "dockerfile", "context"])(
    "registers a %s definition under the same hash in-process and on a server",
    async (kind) => {
      const definition = definitions[kind];
      if (definition === undefined) throw new Error(kind);
      const mine = await local.registerDefinition({ name: kind, definition });
      const theirs = await remote.registerDefinition({ name: kind, definition });
      expect(mine.definitionHash).toBe(definitionHash(definition));
      expect(theirs.definitionHash).toBe(mine.definitionHash);
      expect(theirs.version).toBe(1);
      expect(theirs.tags).toEqual(mine.tags);
      // The same definition again is the same version.
      expect((await remote.registerDefinition({ name: kind, definition })).version).toBe(1);
    },
  );

  it("reads back the same data from both", async () => {
    await local.registerDefinition({ name: "conda", definition: conda(["scipy"]) });
    await remote.registerDefinition({ name: "conda", definition: conda(["scipy"]) });
    for (const ws of [local, remote]) {
      expect((await ws.getVersion("conda")).version).toBe(2);
      expect((await ws.getVersion("conda", { version: 1 })).version).toBe(1);
      expect((await ws.listEnvironments()).map((e) => e.name)).toEqual([
        "conda",
        "context",
        "dockerfile",
      ]);
      expect((await ws.listVersions("conda")).map((v) => v.version)).toEqual([2, 1]);
    }
    const a = await local.getImageDetails("conda");
    const b = await remote.getImageDetails("conda");
    expect(b.imageHash).toBe(a.imageHash);
    expect(b.ingredients.dockerfile).toBe(a.ingredients.dockerfile);
  });

  it("registers from files on disk", async () => {
    const file = join(dir, "environment.yml");
    await writeFile(file, "channels: [defaults]\ndependencies: [python=3.10, pandas]\n");
    const mine = await local.registerFiles({ name: "files", path: file });
    const theirs = await remote.registerFiles({ name: "files", path: file });
    expect(theirs.definitionHash).toBe(mine.definitionHash);
    expect(theirs.sourceFiles).toEqual(mine.sourceFiles);
  });

  it("refuses a bad token with UnauthorizedError and a lock over HTTP with ValidationError", async () => {
    await expect(Workspace.connect(api.url, `efk_${"B".repeat(43)}`)).rejects.toThrow(
      UnauthorizedError,
    );
    const definition = conda(["numpy"]);
    await expect(
      remote.registerDefinition({
        name: "locked",
        definition,
        lock: {
          version: 1,
          definitionHash: definitionHash(definition),
          channels: [],
          platforms: [],
        },
      }),
    ).rejects.toThrow(ValidationError);
  });

  it("never registers without a lock silently, and refuses one with requireLock", async () => {
    const file = join(dir, "unlocked.yml");
    await writeFile(file, "channels: [defaults]\ndependencies: [python=3.10, zlib]\n");
    const told: Problem[] = [];
    const home = join(dir, "home-unlocked");
    const ws = await Workspace.open({
      env: withLoopbackDefaults({ ENVFORGE_HOME: home }),
      onWarning: (warning) => told.push(warning),
    });
    try {
      const env = await Environment.fromCondaSpecification("unlocked", file).register(ws);
      expect(env.version).toBe("1");
      expect(env.lock).toMatchObject({ state: "unlocked", filled: false });
      expect(env.lock?.problems.map((problem) => problem.part)).toEqual(["conda"]);
      expect(told.map((warning) => warning.key)).toEqual(["lock.conda"]);
      expect(told[0]?.message).toContain(
        `registered without a lock: channel "defaults" could not be reached at ${CLOSED_LOOPBACK}/defaults/`,
      );
      expect(ws.lastLock?.state).toBe("unlocked");

      const strict = Environment.fromCondaSpecification("strict", file);
      await expect(strict.register(ws, { requireLock: true })).rejects.toThrow(ValidationError);
      await expect(ws.getVersion("strict")).rejects.toThrow(NotFoundError);
    } finally {
      await ws.close();
    }
    // Over HTTP too: the server refuses (422) and the SDK raises the same error.
    await expect(
      remote.registerDefinition({ name: "strict", definition: conda(["zlib"]), requireLock: true }),
    ).rejects.toThrow(ValidationError);
    await expect(remote.getVersion("strict")).rejects.toThrow(NotFoundError);
  });
});

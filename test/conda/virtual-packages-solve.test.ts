// The solve sees the target's virtual packages (from the definition), never the build host's.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChannelServer } from "../../src/conda/channel-server.js";
import type { ChannelServer } from "../../src/conda/channel-server.js";
import { lockDefinition } from "../../src/conda/lock-definition.js";
import { ValidationError } from "../../src/errors/index.js";
import { definitionFromConda } from "../../src/definition/assemble-definition.js";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";

let work: string;
let server: ChannelServer;

function record(name: string, depends: string[], sha: string) {
  return {
    [`${name}-1.0-0.tar.bz2`]: {
      name,
      version: "1.0",
      build: "0",
      build_number: 0,
      depends,
      sha256: sha.repeat(64),
      size: 100,
      subdir: "linux-64",
    },
  };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "envforge-virtual-"));
  const channel = join(work, "channel");
  const packages = {
    ...record("python", [], "a"),
    ...record("gpu-kernels", ["__cuda >=11.2", "__glibc >=2.17"], "b"),
    ...record("new-glibc-tool", ["__glibc >=2.31"], "c"),
  };
  for (const [subdir, content] of [
    ["linux-64", packages],
    ["noarch", {}],
  ] as const) {
    await mkdir(join(channel, subdir), { recursive: true });
    await writeFile(join(channel, subdir, "repodata.json"), JSON.stringify({ packages: content }));
  }
  server = await startChannelServer({ root: channel });
});

afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

function lockFor(dependencies: string[], variables: Record<string, string> = {}) {
  const definition = definitionFromConda(
    {
      conda: { channels: ["test"], dependencies: ["python", ...dependencies], pip: [], variables },
      origin: "env.yml",
    },
    DEFAULT_PARSE_SETTINGS,
  );
  return lockDefinition({
    definition,
    channelConfig: { urls: { test: server.url } },
    baseDir: work,
    cacheDir: join(work, "cache"),
    file: "env.yml",
  });
}

describe("virtual packages of the target", () => {
  it("has no __cuda unless the definition asks for a CUDA version", async () => {
    const error = await lockFor(["gpu-kernels"]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(
      [
        "env.yml: dependencies: cannot be solved for linux-64: gpu-kernels * cannot be installed because there are no viable options:",
        "└─ gpu-kernels 1.0 would require",
        "   └─ __cuda >=11.2, for which no candidates were found.",
        "hint: the target has no __cuda; set CONDA_OVERRIDE_CUDA in the definition's variables to change it",
      ].join("\n"),
    );
  });

  it("solves with CONDA_OVERRIDE_CUDA and records it, without __ packages in the lock", async () => {
    const lock = await lockFor(["gpu-kernels"], { CONDA_OVERRIDE_CUDA: "11.8" });
    const [linux] = lock.platforms;
    expect(linux?.virtualPackages).toContain("__cuda=11.8=0");
    expect(linux?.conda.map((p) => p.name)).toEqual(["gpu-kernels", "python"]);
  });

  it("assumes glibc 2.28 unless CONDA_OVERRIDE_GLIBC says more", async () => {
    const error = await lockFor(["new-glibc-tool"]).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe(
      [
        "env.yml: dependencies: cannot be solved for linux-64: new-glibc-tool * cannot be installed because there are no viable options:",
        "└─ new-glibc-tool 1.0 would require",
        "   └─ __glibc >=2.31, for which no candidates were found.",
        "hint: the target has __glibc=2.28=0; set CONDA_OVERRIDE_GLIBC in the definition's variables to change it",
      ].join("\n"),
    );
    const lock = await lockFor(["new-glibc-tool"], { CONDA_OVERRIDE_GLIBC: "2.36" });
    expect(lock.platforms[0]?.virtualPackages).toContain("__glibc=2.36=0");
    expect(lock.platforms[0]?.conda.map((p) => p.name)).toContain("new-glibc-tool");
  });
});

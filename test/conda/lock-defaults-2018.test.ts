// Solving and locking against a real channel: the 2018 `defaults` subset in ../shared/testdata,
// served on 127.0.0.1 by envforge's own channel server.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChannelServer } from "../../src/conda/channel-server.js";
import type { ChannelServer } from "../../src/conda/channel-server.js";
import { channelAllowList } from "../../src/conda/channels.js";
import { lockDefinition } from "../../src/conda/lock-definition.js";
import type { LockDefinitionOptions } from "../../src/conda/lock-definition.js";
import { formatLockFile, parseLockFile } from "../../src/conda/lock-file.js";
import { resolutionKey } from "../../src/definition/resolution-hash.js";
import { ExternalError, ValidationError } from "../../src/errors/index.js";
import {
  definitionFromConda,
  definitionFromImage,
} from "../../src/definition/assemble-definition.js";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";
import type { Definition } from "../../src/definition/definition.js";
import { definitionHash } from "../../src/definition/definition-hash.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const channelDir = resolve(repoRoot, "../shared/testdata/repodata/defaults-2018");

let server: ChannelServer;
let cacheDir: string;

beforeAll(async () => {
  server = await startChannelServer({ root: channelDir });
  cacheDir = await mkdtemp(join(tmpdir(), "envforge-lock-test-"));
});

afterAll(async () => {
  await server.close();
  await rm(cacheDir, { recursive: true, force: true });
});

function definition(dependencies: string[], channels = ["defaults"]): Definition {
  return definitionFromConda(
    { conda: { channels, dependencies, pip: [], variables: {} }, origin: "env.yml" },
    DEFAULT_PARSE_SETTINGS,
  );
}

function lock(def: Definition, extra: Partial<LockDefinitionOptions> = {}) {
  return lockDefinition({
    definition: def,
    channelConfig: { urls: { defaults: server.url } },
    baseDir: repoRoot,
    cacheDir,
    file: "env.yml",
    ...extra,
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the lock to fail");
    },
    (error: unknown) => error,
  );
}

describe("lock python=3.6 numpy scipy pandas against defaults-2018", () => {
  it("locks 26 packages, each with URL and sha256, the same bytes twice", async () => {
    const def = definition(["python=3.6", "numpy", "scipy", "pandas"]);
    const first = await lock(def);
    const second = await lock(def);
    const [linux] = first.platforms;

    expect(first.definitionHash).toBe(definitionHash(def));
    expect(first.channels).toEqual([server.url]);
    expect(linux?.platform).toBe("linux-64");
    expect(linux?.virtualPackages).toEqual([
      "__archspec=1=x86_64",
      "__glibc=2.28=0",
      "__linux=4.18=0",
      "__unix=0=0",
    ]);
    expect(linux?.conda).toHaveLength(26);
    for (const pkg of linux?.conda ?? []) {
      expect(pkg.url).toBe(`${server.url}/${pkg.subdir}/${pkg.filename}`);
      expect(pkg.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(pkg.channel).toBe("defaults");
      expect(pkg.name.startsWith("__")).toBe(false);
    }
    const names = linux?.conda.map((p) => p.name) ?? [];
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(["numpy", "pandas", "python", "scipy"]));
    expect(linux?.conda.find((p) => p.name === "python")?.version).toMatch(/^3\.6\./);

    const text = formatLockFile(first);
    expect(formatLockFile(second)).toBe(text);
    expect(formatLockFile(parseLockFile(text))).toBe(text);
    // The second lock revalidated the cached repodata instead of downloading it again.
    expect(server.requests.slice(-2).map((r) => r.status)).toEqual([304, 304]);
  });

  it("explains an unsolvable request in terms the user can act on", async () => {
    const error = await failure(lock(definition(["python=3.6", "numpy=99"])));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(
      "env.yml: dependencies: cannot be solved for linux-64: No candidates were found for numpy 99.*.",
    );
  });

  it("cuts rattler's repeated alternatives out of a conflict", async () => {
    const error = await failure(lock(definition(["python=3.7", "scipy=0.19"])));
    expect((error as Error).message).toBe(
      [
        "env.yml: dependencies: cannot be solved for linux-64: scipy 0.19.* cannot be installed because there are no viable options:",
        "└─ scipy 0.19.1 would require",
        "   └─ python >=3.6,<3.7.0a0, for which no candidates were found.",
      ].join("\n"),
    );
  });

  it("refuses to lock a package the channel gives no sha256 for", async () => {
    const error = await failure(lock(definition(["python=3.6", "font-ttf-inconsolata=2.000"])));
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toBe(
      "the channel's repodata gives no sha256 for defaults/noarch/font-ttf-inconsolata-2.000-0.tar.bz2; " +
        "envforge locks every package by sha256, so pin another build or version, or use a channel " +
        "whose repodata has sha256 for every package",
    );
  });

  it("names the channel and URL when the channel cannot be reached", async () => {
    const gone = await startChannelServer({ root: channelDir });
    await gone.close();
    const error = await failure(
      lock(definition(["python=3.6"]), { channelConfig: { urls: { defaults: gone.url } } }),
    );
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toBe(
      `channel "defaults" could not be reached at ${gone.url}/linux-64/repodata.json: ECONNREFUSED`,
    );
  });

  it("solves a local-folder channel and locks file:// URLs", async () => {
    const result = await lock(definition(["python=3.6", "numpy"], [channelDir]));
    const [linux] = result.platforms;
    expect(result.channels).toEqual([`file://${channelDir}`]);
    expect(linux?.conda.length).toBeGreaterThan(10);
    for (const pkg of linux?.conda ?? []) {
      expect(pkg.url).toBe(`file://${channelDir}/${pkg.subdir}/${pkg.filename}`);
      expect(pkg.channel).toBe(channelDir);
    }
  });

  it("refuses a channel outside the workspace allow-list before fetching anything", async () => {
    const before = server.requests.length;
    const error = await failure(
      lock(definition(["python=3.6"]), { allowList: channelAllowList(["conda-forge"]) }),
    );
    expect((error as Error).message).toBe(
      `env.yml: channels[0]: channel "defaults" is not allowed in this workspace (found ${server.url}; allowed: conda-forge)`,
    );
    expect(server.requests.length).toBe(before);
  });

  it("solves each platform from its own subdir, never filling one from another", async () => {
    // The 2018 subset has linux-64 and noarch only: linux-aarch64 must fail, naming the platform.
    const error = await failure(
      lock(definition(["python=3.6"]), { platforms: ["linux-aarch64", "linux-64"] }),
    );
    expect((error as Error).message).toBe(
      "env.yml: dependencies: cannot be solved for linux-aarch64: No candidates were found for python 3.6.*.",
    );
  });

  it("honours channel::name by serving that name from no other channel", async () => {
    const mirror = await startChannelServer({ root: channelDir });
    try {
      const urls = { defaults: server.url, mirror: mirror.url };
      const both = (deps: string[]) =>
        lock(definition(deps, ["defaults", "mirror"]), { channelConfig: { urls } });
      const channelOf = (result: Awaited<ReturnType<typeof both>>, name: string) =>
        result.platforms[0]?.conda.find((p) => p.name === name)?.channel;
      const plain = await both(["python=3.6", "zlib"]);
      const pinned = await both(["python=3.6", "mirror::zlib"]);
      expect([channelOf(plain, "zlib"), channelOf(pinned, "zlib")]).toEqual(["defaults", "mirror"]);
      expect(channelOf(pinned, "python")).toBe("defaults");
      expect(pinned.platforms[0]?.conda.find((p) => p.name === "zlib")?.url).toMatch(
        new RegExp(`^${mirror.url}/linux-64/zlib-`),
      );
      const error = await failure(both(["python=3.6", "conda-forge::zlib"]));
      expect((error as Error).message).toBe(
        'env.yml: dependencies[1]: channel "conda-forge" of this dependency is not one of the definition\'s channels (found "conda-forge::zlib"; allowed: defaults, mirror)',
      );
    } finally {
      await mirror.close();
    }
  });

  it("maps the pytorch channel name to its configured URL", async () => {
    const pytorch = await startChannelServer({
      root: resolve(repoRoot, "../shared/testdata/repodata/pytorch"),
    });
    try {
      // Without the python pin assembleDefinition adds: the pytorch snapshot has no python.
      const base = definition([]);
      const onlyMagma: Definition = {
        ...base,
        conda: { channels: ["pytorch"], dependencies: ["magma-cuda118"], pip: [], variables: {} },
      };
      const result = await lock(onlyMagma, { channelConfig: { urls: { pytorch: pytorch.url } } });
      expect(result.channels).toEqual([pytorch.url]);
      expect(result.platforms[0]?.conda).toMatchObject([
        {
          name: "magma-cuda118",
          channel: "pytorch",
          url: expect.stringMatching(new RegExp(`^${pytorch.url}/linux-64/magma-cuda118-`)),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      ]);
    } finally {
      await pytorch.close();
    }
  });

  it("refuses a platform conda does not know", async () => {
    const error = await failure(lock(definition(["python=3.6"]), { platforms: ["linux-65"] }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(
      "env.yml: platform: not a conda platform to solve for (found linux-65; allowed: " +
        "emscripten-wasm32, freebsd-64, linux-32, linux-64, linux-aarch64, linux-armv6l, " +
        "linux-armv7l, linux-ppc64, linux-ppc64le, linux-riscv64, linux-s390x, osx-64, osx-arm64, " +
        "wasi-wasm32, win-32, win-64, win-arm64, zos-z)",
    );
  });

  it("locks nothing for a definition without a conda environment", async () => {
    const image = definitionFromImage({ image: "127.0.0.1:5000/base:1" }, DEFAULT_PARSE_SETTINGS);
    const result = await lock(image);
    expect(result).toEqual({
      version: 2,
      definitionHash: definitionHash(image),
      resolution: resolutionKey(image),
      channels: [],
      platforms: [{ platform: "linux-64", virtualPackages: [], conda: [], pip: [] }],
    });
  });
});

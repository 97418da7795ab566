import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LayerCache } from "./layer-cache.js";
import { condaLayerKey, pipLayerKey } from "./layer-keys.js";
import type { LockedCondaPackage } from "../../definition/lock.js";

let dir: string;
let tree: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-layer-cache-"));
  tree = join(dir, "tree");
  await mkdir(join(tree, "bin"), { recursive: true });
  await writeFile(join(tree, "bin", "hello"), "#!/bin/sh\necho hello\n", { mode: 0o755 });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DAY = 24 * 3600 * 1000;

describe("LayerCache", () => {
  it("records a written layer by key and gives its blob back only while its bytes are right", async () => {
    const cache = new LayerCache({ dir: join(dir, "layers") });
    const key = LayerCache.keyOf({ kind: "test", n: 1 });
    expect(await cache.get(key)).toBeUndefined();
    const written = await cache.write(key, { trees: [{ dir: tree, at: "opt/x" }] }, 0);
    const record = await cache.get(key);
    expect(record).toEqual({ digest: written.digest, size: written.size, diffId: written.diffId });
    if (record === undefined) return;
    expect(await cache.verifiedBlob(key, record)).toEqual({ path: cache.blobPath(record.digest) });

    const bytes = await readFile(written.path);
    bytes.writeUInt8(bytes.readUInt8(0) ^ 0x01, 0);
    await writeFile(written.path, bytes);
    const damaged = await cache.verifiedBlob(key, record);
    expect(damaged).toMatchObject({
      damaged: expect.stringMatching(/^sha256:[0-9a-f]{64} \(\d+ bytes\)$/),
    });
    // The damaged blob and its record are gone: the next build writes the layer again.
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.verifiedBlob(key, record)).toEqual({ missing: true });
  });

  it("ignores a record that does not parse", async () => {
    const cache = new LayerCache({ dir: join(dir, "layers") });
    const key = LayerCache.keyOf("x");
    await mkdir(join(dir, "layers", "keys"), { recursive: true });
    await writeFile(join(dir, "layers", "keys", `${key}.json`), '{"digest":"md5:1"}');
    expect(await cache.get(key)).toBeUndefined();
  });

  it("trims the least recently used blobs to its bound, keeping those used within the grace period", async () => {
    let now = Date.now();
    const cache = new LayerCache({ dir: join(dir, "layers"), maxBytes: 1, now: () => now });
    const old = await cache.write(LayerCache.keyOf("old"), { trees: [{ dir: tree, at: "a" }] }, 0);
    const recent = await cache.write(
      LayerCache.keyOf("recent"),
      { trees: [{ dir: tree, at: "b" }] },
      0,
    );
    const longAgo = new Date(now - 2 * DAY);
    await utimes(old.path, longAgo, longAgo);
    expect(await cache.trim()).toEqual({ removed: 1 });
    expect(await readdir(join(dir, "layers", "blobs"))).toEqual([
      recent.digest.slice("sha256:".length),
    ]);
    // A month on, the records nobody touched go too, and so does the blob past the grace.
    now += 31 * DAY;
    expect(await cache.trim()).toEqual({ removed: 1 });
    expect(await readdir(join(dir, "layers", "keys"))).toEqual([]);
  });
});

describe("layer keys", () => {
  const pkg = (name: string, sha: string, noarch?: "python"): LockedCondaPackage => ({
    name,
    version: "1.0",
    build: "0",
    buildNumber: 0,
    subdir: noarch === undefined ? "linux-64" : "noarch",
    url: `http://127.0.0.1:1/c/${name}.conda`,
    filename: `${name}.conda`,
    sha256: sha.repeat(64),
    depends: [],
    constrains: [],
    channel: "http://127.0.0.1:1/c",
    ...(noarch === undefined ? {} : { noarch }),
  });
  const base = {
    prefix: "/opt/envforge/env",
    sourceDateEpoch: 0,
    python: pkg("python", "1"),
    clobbers: [],
    history: undefined,
  };

  it("changes with what changes the bytes and not with what does not", () => {
    const key = condaLayerKey({ ...base, packages: [pkg("a", "a")] });
    expect(condaLayerKey({ ...base, packages: [pkg("a", "a")] })).toBe(key);
    expect(condaLayerKey({ ...base, packages: [pkg("a", "b")] })).not.toBe(key);
    expect(condaLayerKey({ ...base, packages: [pkg("a", "a")], sourceDateEpoch: 1 })).not.toBe(key);
    expect(condaLayerKey({ ...base, packages: [pkg("a", "a")], prefix: "/opt/y" })).not.toBe(key);
    expect(condaLayerKey({ ...base, packages: [pkg("a", "a")], history: "h" })).not.toBe(key);
    // python's build only matters to a group with noarch python packages.
    expect(condaLayerKey({ ...base, packages: [pkg("a", "a")], python: pkg("python", "2") })).toBe(
      key,
    );
    const noarch = condaLayerKey({ ...base, packages: [pkg("n", "a", "python")] });
    expect(
      condaLayerKey({ ...base, packages: [pkg("n", "a", "python")], python: pkg("python", "2") }),
    ).not.toBe(noarch);
    // A clobber counts only for the packages it names.
    const clobber = { path: "bin/x", winner: "z", losers: ["y"] };
    expect(condaLayerKey({ ...base, packages: [pkg("a", "a")], clobbers: [clobber] })).toBe(key);
    expect(
      condaLayerKey({
        ...base,
        packages: [pkg("a", "a")],
        clobbers: [{ ...clobber, losers: ["a"] }],
      }),
    ).not.toBe(key);
  });

  it("keys pip layers by wheels, scheme and installer format, apart from conda's", () => {
    const scheme = {
      pythonVersion: "3.11",
      interpreter: "/opt/envforge/env/bin/python",
      purelib: "opt/envforge/env/lib/python3.11/site-packages",
      platlib: "opt/envforge/env/lib/python3.11/site-packages",
      scripts: "opt/envforge/env/bin",
      data: "opt/envforge/env",
      include: "opt/envforge/env/include",
    };
    const wheel = {
      name: "w",
      version: "1",
      url: "http://127.0.0.1:1/w.whl",
      sha256: "a".repeat(64),
    };
    const input = { packages: [wheel], scheme, installedFormat: 1, sourceDateEpoch: 0 };
    const key = pipLayerKey(input);
    expect(pipLayerKey({ ...input, installedFormat: 2 })).not.toBe(key);
    const otherPython = { ...scheme, interpreter: "/usr/bin/python3" };
    expect(pipLayerKey({ ...input, scheme: otherPython })).not.toBe(key);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });
});

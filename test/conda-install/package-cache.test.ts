import { execFile } from "node:child_process";
import { access, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import * as z from "zod";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findProgram } from "../../src/conda/extract.js";
import { installLock } from "../../src/conda/install.js";
import { PackageCache } from "../../src/conda/package-cache.js";
import {
  addToChannel,
  CONDA_PACKAGES,
  lockOf,
  REPO_ROOT,
  channelPerTest,
} from "./channel-folder.js";

const ZLIB = "zlib-1.2.11-h7b6447c_3.tar.bz2";
const execFileAsync = promisify(execFile);

const channel = channelPerTest();

async function zlib() {
  const [pkg] = await addToChannel(channel.dirs.channel, channel.server.url, [
    { path: join(CONDA_PACKAGES, ZLIB), subdir: "linux-64" },
  ]);
  if (pkg === undefined) throw new Error("no package");
  return pkg;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => []);
  return entries.sort();
}

describe("package cache", () => {
  it("fails a corrupted download naming the package, leaving nothing in the cache or the prefix", async () => {
    const pkg = await zlib();
    const wrong = "0".repeat(64);
    await expect(
      installLock({
        lock: lockOf([{ ...pkg, sha256: wrong }]),
        prefixDir: channel.dirs.prefix,
        cache: new PackageCache({ dir: channel.dirs.cache }),
      }),
    ).rejects.toThrow(`${ZLIB}: sha256 mismatch (expected ${wrong}, got ${pkg.sha256})`);
    expect(channel.server.requests).toEqual([`/linux-64/${ZLIB}`]);
    expect(await filesUnder(join(channel.dirs.cache, "archives"))).toEqual([]);
    expect(await filesUnder(join(channel.dirs.cache, "extracted"))).toEqual([]);
    expect(await filesUnder(join(channel.dirs.cache, "tmp"))).toEqual([]);
    await expect(access(channel.dirs.prefix)).rejects.toThrow();
    expect((await readdir(channel.dirs.root)).sort()).toEqual(["cache", "channel"]);
  });

  it("retries a failing server with doubling backoff, then installs", async () => {
    const pkg = await zlib();
    channel.server.failNext(2, 503);
    const waits: number[] = [];
    const result = await installLock({
      lock: lockOf([pkg]),
      prefixDir: channel.dirs.prefix,
      cache: new PackageCache({
        dir: channel.dirs.cache,
        sleep: async (ms) => void waits.push(ms),
      }),
    });
    expect(waits).toEqual([500, 1000]);
    expect(channel.server.requests).toHaveLength(3);
    expect(result.packages).toEqual([
      { name: "zlib", version: "1.2.11", build: "h7b6447c_3", fetched: true },
    ]);
  });

  it("gives up after the last retry, saying how often it tried", async () => {
    const pkg = await zlib();
    channel.server.failNext(10, 503);
    await expect(
      installLock({
        lock: lockOf([pkg]),
        prefixDir: channel.dirs.prefix,
        cache: new PackageCache({
          dir: channel.dirs.cache,
          retries: 2,
          sleep: async () => undefined,
        }),
      }),
    ).rejects.toThrow(
      `${ZLIB}: download from ${channel.server.url}/linux-64/${ZLIB} failed after 3 attempts: HTTP 503 Service Unavailable`,
    );
    expect(channel.server.requests).toHaveLength(3);
  });

  it("does not retry a package the channel does not have", async () => {
    const pkg = await zlib();
    const missing = { ...pkg, url: `${channel.server.url}/linux-64/missing.tar.bz2` };
    await expect(
      installLock({
        lock: lockOf([missing]),
        prefixDir: channel.dirs.prefix,
        cache: new PackageCache({ dir: channel.dirs.cache, sleep: async () => undefined }),
      }),
    ).rejects.toThrow(
      `${ZLIB}: download from ${channel.server.url}/linux-64/missing.tar.bz2 failed: HTTP 404 Not Found`,
    );
    expect(channel.server.requests).toHaveLength(1);
  });

  it("serves a second install from the cache without the network", async () => {
    const pkg = await zlib();
    const cache = new PackageCache({ dir: channel.dirs.cache });
    await installLock({ lock: lockOf([pkg]), prefixDir: channel.dirs.prefix, cache });
    const second = await installLock({
      lock: lockOf([pkg]),
      prefixDir: join(channel.dirs.root, "env2"),
      cache: new PackageCache({ dir: channel.dirs.cache }),
    });
    expect(channel.server.requests).toHaveLength(1);
    expect(second.packages.map((p) => p.fetched)).toEqual([false]);
    expect(await filesUnder(join(channel.dirs.cache, "archives"))).toEqual([
      `${pkg.sha256}.tar.bz2`,
    ]);
  });

  it.for([
    { onPath: ["lbzip2", "bzip2"], used: "lbzip2" },
    { onPath: ["bzip2"], used: "bzip2" },
  ])(
    "decompresses a .tar.bz2 with $used when the search path has $onPath",
    async ({ onPath, used }) => {
      // Each program on a search path of its own: a script that notes its name, then runs the
      // real program, so the package still unpacks.
      const bin = join(channel.dirs.root, "bin");
      await mkdir(bin);
      for (const name of onPath) {
        const real = await findProgram(name, process.env.PATH);
        if (real === undefined)
          throw new Error(`${name} is not on PATH (scripts/ci/decompressors.sh)`);
        const script = `#!/bin/sh\necho ${name} >> ${join(channel.dirs.root, "used")}\nexec ${real} "$@"\n`;
        await writeFile(join(bin, name), script, { mode: 0o755 });
      }
      const pkg = await zlib();
      const result = await installLock({
        lock: lockOf([pkg]),
        prefixDir: channel.dirs.prefix,
        cache: new PackageCache({ dir: channel.dirs.cache, searchPath: bin }),
      });
      expect(result.packages.map((p) => p.fetched)).toEqual([true]);
      expect(await readFile(join(channel.dirs.root, "used"), "utf8")).toBe(`${used}\n`);
      expect(await filesUnder(join(channel.dirs.prefix, "lib"))).toContain("libz.so.1.2.11");
    },
  );

  it("downloads a package once when two processes want it at once", async () => {
    const pkg = await zlib();
    const worker = join(import.meta.dirname, "cache-worker.ts");
    const run = () =>
      execFileAsync(
        process.execPath,
        ["--import", "tsx", worker, channel.dirs.cache, JSON.stringify(pkg)],
        {
          cwd: REPO_ROOT,
        },
      ).then(({ stdout }) =>
        z.object({ fetched: z.boolean(), extractedDir: z.string() }).parse(JSON.parse(stdout)),
      );
    const [a, b] = await Promise.all([run(), run()]);
    expect(channel.server.requests).toEqual([`/linux-64/${ZLIB}`]);
    expect(a.extractedDir).toBe(b.extractedDir);
    expect([a.fetched, b.fetched].sort()).toEqual([false, true]);
    expect(await filesUnder(join(channel.dirs.cache, "tmp"))).toEqual([]);
    expect(await filesUnder(join(channel.dirs.cache, "locks"))).toEqual([]);
  });

  it("downloads a package once when two caches on the same folder want it at once", async () => {
    const pkg = await zlib();
    const [a, b] = await Promise.all([
      new PackageCache({ dir: channel.dirs.cache }).get(pkg),
      new PackageCache({ dir: channel.dirs.cache }).get(pkg),
    ]);
    expect(channel.server.requests).toHaveLength(1);
    expect(a.extractedDir).toBe(b.extractedDir);
    expect([a.fetched, b.fetched].sort()).toEqual([false, true]);
    expect(await filesUnder(join(channel.dirs.cache, "tmp"))).toEqual([]);
  });
});

/**
 * Install time for a 26-package lock, from a cold cache (download + verify + extract + link)
 * and a warm one (link only), served from a channel folder on 127.0.0.1.
 *
 *   npx tsx bench/install.bench.ts [--runs 5] [--json]
 *
 * The lock: the real zlib-1.2.11-h7b6447c_3.conda, 9 of rattler's test packages that do not
 * clobber each other (../shared/testdata/packages/rattler), and 16 packages made here with
 * deterministic pseudo-random content so they do not compress away: a python 3.11 (1,200 files),
 * 5 native libraries (2 MiB each, binary and text placeholders, symlinks), 6 noarch python
 * packages (150 modules and 2 entry points each) and 4 data packages (800 small files each);
 * half .conda, half .tar.bz2. Cases:
 * - cold: empty package cache, new prefix (what a fresh build machine pays);
 * - warm: cache filled, new prefix, files copied (reflinked where the file system can);
 * - warm-hardlink: cache filled, files hard-linked from the cache (--hardlink).
 * Medians and minimums over --runs, cases interleaved so load from other processes hits all.
 */
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startChannelServer } from "../src/conda/channel-server.js";
import { installLock } from "../src/conda/install.js";
import type { LinkMode } from "../src/conda/link-package.js";
import { PackageCache } from "../src/conda/package-cache.js";
import type { Lock, LockedCondaPackage } from "../src/definition/lock.js";
import {
  buildTestPackage,
  CONDA_PLACEHOLDER,
  lockedPackageOf,
} from "../test/support/conda-packages.js";
import type {
  TestFile,
  TestPackageFormat,
  TestPackageSpec,
} from "../test/support/conda-packages.js";
import { addToChannel } from "../test/conda-install/channel-folder.js";

const args = process.argv.slice(2);
const runs = (() => {
  const at = args.indexOf("--runs");
  return at >= 0 ? Number(args[at + 1]) : 5;
})();
const asJson = args.includes("--json");
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const testdata = resolve(repoRoot, "../shared/testdata/packages");

const RATTLER = [
  "symlink-test-1.0.0-0.conda",
  "sparse-test-1.0.0-0.conda",
  "zip64-test-1.0.0-0.conda",
  "dotslash-test-1.0.0-0.conda",
  "link-scripts-0.1.0-h4616a5c_0.conda",
  "empty-0.1.0-h4616a5c_0.conda",
  "test-package-0.1-0.tar.bz2",
  "clobber-directory-upgrade-0.2.0-h4616a5c_0.conda",
  "clobber-pypy-0.1.0-h4616a5c_0.conda",
];

/** What conda-build 3 writes into binaries: a 255-byte placeholder, so long prefixes fit. */
const LONG_PLACEHOLDER =
  `/opt/conda/conda-bld/bench_1700000000000/${"_h_env_placehold".repeat(20)}`.slice(0, 255);

/** xorshift32: the same bytes on every run and machine. */
function noise(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i - (i + 4 > length ? i + 4 - length : 0));
  }
  return out;
}

function syntheticSpecs(): { spec: TestPackageSpec; format: TestPackageFormat }[] {
  const specs: { spec: TestPackageSpec; format: TestPackageFormat }[] = [];
  const pythonFiles: TestFile[] = [
    { path: "bin/python3.11", content: noise(1, 256 * 1024), mode: 0o755 },
  ];
  for (let i = 0; i < 1200; i += 1) {
    pythonFiles.push({
      path: `lib/python3.11/mod${i % 40}/file${i}.py`,
      content: noise(1000 + i, 2048).toString("base64"),
    });
  }
  specs.push({
    spec: { name: "python", version: "3.11.4", build: "bench_0", files: pythonFiles },
    format: "conda",
  });
  for (let n = 0; n < 5; n += 1) {
    const lib = noise(2000 + n, 2 * 1024 * 1024);
    Buffer.from(`${LONG_PLACEHOLDER}/lib\0`).copy(lib, 4096);
    const files: TestFile[] = [
      {
        path: `lib/libbench${n}.so.1.0`,
        content: lib,
        mode: 0o755,
        placeholder: { fileMode: "binary" },
      },
      { path: `lib/libbench${n}.so.1`, symlink: `libbench${n}.so.1.0` },
      { path: `lib/libbench${n}.so`, symlink: `libbench${n}.so.1` },
      {
        path: `lib/pkgconfig/bench${n}.pc`,
        content: `prefix=${CONDA_PLACEHOLDER}\n`,
        placeholder: { fileMode: "text" },
      },
    ];
    for (let h = 0; h < 60; h += 1)
      files.push({
        path: `include/bench${n}/h${h}.h`,
        content: noise(3000 + h, 1500).toString("hex"),
      });
    specs.push({
      spec: { name: `libbench${n}`, build: "h_0", files },
      format: n % 2 === 0 ? "conda" : "tar.bz2",
    });
  }
  for (let n = 0; n < 6; n += 1) {
    const files: TestFile[] = [];
    for (let m = 0; m < 150; m += 1) {
      files.push({
        path: `site-packages/pybench${n}/m${m}.py`,
        content: noise(4000 + m * 7 + n, 3000).toString("base64"),
      });
    }
    specs.push({
      spec: {
        name: `pybench${n}`,
        noarch: "python",
        build: "pyh_0",
        depends: ["python >=3.8"],
        files,
        entryPoints: [`pybench${n} = pybench${n}.m0:main`, `pybench${n}-tool = pybench${n}.m1:run`],
      },
      format: n % 2 === 0 ? "tar.bz2" : "conda",
    });
  }
  for (let n = 0; n < 4; n += 1) {
    const files: TestFile[] = [];
    for (let m = 0; m < 800; m += 1)
      files.push({
        path: `share/data${n}/d${m}.txt`,
        content: noise(5000 + m + n * 1000, 600).toString("hex"),
      });
    specs.push({
      spec: { name: `databench${n}`, build: "0", files },
      format: n % 2 === 0 ? "conda" : "tar.bz2",
    });
  }
  return specs;
}

async function makeChannel(channel: string, url: string): Promise<LockedCondaPackage[]> {
  const packages = await addToChannel(channel, url, [
    { path: join(testdata, "conda/zlib-1.2.11-h7b6447c_3.conda"), subdir: "linux-64" },
    ...RATTLER.map((file) => ({ path: join(testdata, "rattler", file) })),
  ]);
  for (const { spec, format } of syntheticSpecs()) {
    packages.push(lockedPackageOf(await buildTestPackage(spec, { dir: channel, format }), url));
  }
  return packages;
}

async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  let total = 0;
  for (const entry of entries)
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  return total;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "envforge-install-bench-"));
  const channel = join(root, "channel");
  await mkdir(channel, { recursive: true });
  const server = await startChannelServer({ root: channel });
  try {
    const conda = await makeChannel(channel, server.url);
    const lock: Lock = {
      version: 1,
      definitionHash: `envforge_${"0".repeat(32)}`,
      channels: [server.url],
      platforms: [{ platform: "linux-64", virtualPackages: [], conda, pip: [] }],
    };
    const archiveBytes = conda.reduce((sum, pkg) => sum + (pkg.size ?? 0), 0);
    const warmCache = join(root, "cache-warm");
    await installLock({
      lock,
      prefixDir: join(root, "prime"),
      cache: new PackageCache({ dir: warmCache }),
    });
    const prefixBytes = await folderBytes(join(root, "prime"));

    const cases: Record<string, number[]> = { cold: [], warm: [], "warm-hardlink": [] };
    const fetchMs: Record<string, number[]> = { cold: [], warm: [], "warm-hardlink": [] };
    let counter = 0;
    const once = async (kind: string, cacheDir: string, linkMode: LinkMode): Promise<void> => {
      counter += 1;
      const prefixDir = join(root, `env-${counter}`);
      const started = performance.now();
      const result = await installLock({
        lock,
        prefixDir,
        targetPrefix: "/opt/envforge/envs/envforge_bench",
        cache: new PackageCache({ dir: cacheDir }),
        linkMode,
      });
      cases[kind]?.push(performance.now() - started);
      fetchMs[kind]?.push(result.timings.fetchMs);
      if (result.packages.length !== conda.length)
        throw new Error("not every package was installed");
      await rm(prefixDir, { recursive: true, force: true });
    };
    for (let run = 0; run < runs; run += 1) {
      const coldCache = join(root, `cache-cold-${run}`);
      await once("cold", coldCache, "copy");
      await rm(coldCache, { recursive: true, force: true });
      await once("warm", warmCache, "copy");
      await once("warm-hardlink", warmCache, "hardlink");
    }
    const summary = {
      packages: conda.length,
      archiveMiB: +(archiveBytes / 1048576).toFixed(1),
      prefixMiB: +(prefixBytes / 1048576).toFixed(1),
      runs,
      node: process.version,
      ms: Object.fromEntries(
        Object.entries(cases).map(([kind, values]) => [
          kind,
          {
            median: Math.round(median(values)),
            min: Math.round(Math.min(...values)),
            fetchMedian: Math.round(median(fetchMs[kind] ?? [])),
          },
        ]),
      ),
    };
    if (asJson) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${summary.packages} packages, ${summary.archiveMiB} MiB of archives, ${summary.prefixMiB} MiB installed, ${runs} runs, Node ${process.version}\n`,
    );
    for (const [kind, { median: m, min, fetchMedian }] of Object.entries(summary.ms)) {
      process.stdout.write(
        `${kind.padEnd(14)} median ${String(m).padStart(6)} ms   min ${String(min).padStart(6)} ms   (fetch+extract median ${fetchMedian} ms)\n`,
      );
    }
    process.stdout.write(`rerun: npx tsx bench/install.bench.ts --runs ${runs}\n`);
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();

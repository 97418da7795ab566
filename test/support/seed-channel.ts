/**
 * A conda channel on 127.0.0.1 for build tests and the seed flow: the real zlib-1.2.11 (linux-64,
 * shipped in test/fixtures/conda so the seed flow needs nothing beside the repository) and small
 * python-less packages made here: `envforge-hello`, a shell
 * script in bin/ whose text holds the prefix placeholder (so the image proves it was linked for
 * its own prefix), and `seed-alpha` in two versions (a data file) to change one package at a time.
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startChannelServer } from "../../src/conda/channel-server.js";
import type { Lock, LockedCondaPackage } from "../../src/definition/lock.js";
import {
  buildTestPackage,
  CONDA_PLACEHOLDER,
  lockedPackageOf,
  sha256Of,
} from "./conda-packages.js";
import type { BuiltTestPackage, TestPackageSpec } from "./conda-packages.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const TESTDATA = resolve(REPO_ROOT, "../shared/testdata");
/** Small real packages that ship with the repository (see its README). */
export const FIXTURE_PACKAGES = resolve(REPO_ROOT, "test/fixtures/conda");
const ZLIB = "zlib-1.2.11-h7b6447c_3.tar.bz2";

/** Text of bin/envforge-hello before linking; the placeholder becomes the image's prefix. */
export const HELLO_SCRIPT = `#!/bin/sh\necho "hello from ${CONDA_PLACEHOLDER}"\n`;

export interface SeedChannel {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Lock entries by `name` or `name=version` (seed-alpha=1.0.0, seed-alpha=2.0.0). */
  readonly packages: ReadonlyMap<string, LockedCondaPackage>;
  /** A lock of the named packages (`zlib`, `envforge-hello`, `seed-alpha=2.0.0`) for linux-64. */
  lock(definitionHash: string, names: readonly string[]): Lock;
  close(): Promise<void>;
}

export interface SeedChannelOptions {
  /**
   * Written into seed-alpha's data file: a new value gives seed-alpha layers no registry has
   * seen, so a test can count exactly what a push sends.
   */
  readonly nonce?: string;
  /** More packages for the channel (e.g. a large one for benchmarks), as `.tar.bz2`. */
  readonly extra?: readonly TestPackageSpec[];
  /** Default 0: any free port. */
  readonly port?: number;
}

export async function startSeedChannel(options: SeedChannelOptions = {}): Promise<SeedChannel> {
  const dir = await mkdtemp(join(tmpdir(), "envforge-seed-channel-"));
  const server = await startChannelServer({
    root: dir,
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  try {
    const built: BuiltTestPackage[] = [];
    const packages = new Map<string, LockedCondaPackage>();
    const make = async (spec: Parameters<typeof buildTestPackage>[0]) => {
      const pkg = await buildTestPackage(spec, { dir, format: "tar.bz2" });
      built.push(pkg);
      const locked = lockedPackageOf(pkg, server.url);
      packages.set(pkg.name, locked);
      packages.set(`${pkg.name}=${pkg.version}`, locked);
    };
    await make({
      name: "envforge-hello",
      noarch: "generic",
      files: [
        {
          path: "bin/envforge-hello",
          content: HELLO_SCRIPT,
          mode: 0o755,
          placeholder: { fileMode: "text" },
        },
      ],
    });
    for (const version of ["1.0.0", "2.0.0"]) {
      await make({
        name: "seed-alpha",
        version,
        noarch: "generic",
        files: [
          {
            path: "share/seed-alpha/version.txt",
            content: `seed-alpha ${version} ${options.nonce ?? ""}\n`,
          },
        ],
      });
    }
    for (const spec of options.extra ?? []) await make(spec);
    await mkdir(join(dir, "linux-64"), { recursive: true });
    await copyFile(join(FIXTURE_PACKAGES, ZLIB), join(dir, "linux-64", ZLIB));
    const zlibBytes = await readFile(join(dir, "linux-64", ZLIB));
    const zlib: LockedCondaPackage = {
      name: "zlib",
      version: "1.2.11",
      build: "h7b6447c_3",
      buildNumber: 3,
      channel: server.url,
      subdir: "linux-64",
      filename: ZLIB,
      url: `${server.url}/linux-64/${ZLIB}`,
      sha256: sha256Of(zlibBytes),
      md5: createHash("md5").update(zlibBytes).digest("hex"),
      size: zlibBytes.length,
      // The real record depends on libgcc-ng; the image's Debian libc is enough to load it.
      depends: [],
      constrains: [],
    };
    packages.set("zlib", zlib);
    await writeRepodata(dir, [...packages.values()]);
    return {
      url: server.url,
      packages,
      lock(definitionHash, names) {
        const conda = names
          .map((name) => {
            const found = packages.get(name);
            if (found === undefined) throw new Error(`the seed channel has no ${name}`);
            return found;
          })
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return {
          version: 1,
          definitionHash,
          channels: [server.url],
          platforms: [{ platform: "linux-64", virtualPackages: [], conda, pip: [] }],
        };
      },
      async close() {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** repodata.json per subdir, so the channel also solves (rattler reads it over HTTP). */
async function writeRepodata(dir: string, packages: readonly LockedCondaPackage[]): Promise<void> {
  for (const subdir of ["linux-64", "noarch"]) {
    const records: Record<string, unknown> = {};
    for (const pkg of packages) {
      if (pkg.subdir !== subdir || records[pkg.filename] !== undefined) continue;
      records[pkg.filename] = {
        name: pkg.name,
        version: pkg.version,
        build: pkg.build,
        build_number: pkg.buildNumber,
        depends: pkg.depends,
        sha256: pkg.sha256,
        md5: pkg.md5,
        size: pkg.size,
        subdir,
        ...(pkg.noarch === undefined ? {} : { noarch: pkg.noarch }),
      };
    }
    await mkdir(join(dir, subdir), { recursive: true });
    await writeFile(
      join(dir, subdir, "repodata.json"),
      `${JSON.stringify({ info: { subdir }, packages: records, "packages.conda": {} }, null, 1)}\n`,
    );
  }
}

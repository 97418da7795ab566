/**
 * rattler's installer test packages (../shared/testdata/packages/rattler), each installed with
 * the result rattler's own tests expect (crates/rattler/src/install/clobber_registry.rs): the
 * last package in link order wins a clobbered path, the others go to `__clobbers__/<name>/`.
 */
import { readFile, readdir, readlink, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { installLock } from "../../src/conda/install.js";
import type { InstallResult } from "../../src/conda/install.js";
import { PackageCache } from "../../src/conda/package-cache.js";
import type { LockedCondaPackage } from "../../src/definition/lock.js";
import { buildTestPackage, lockedPackageOf } from "../support/conda-packages.js";
import { addToChannel, lockOf, RATTLER_PACKAGES, channelPerTest } from "./channel-folder.js";

const channel = channelPerTest();

/** Depends as the packages' index.json give them (what a lock copies from repodata). */
const DEPENDS: Readonly<Record<string, readonly string[]>> = {
  "clobber-nested-1-0.1.0-h4616a5c_0.tar.bz2": ["clobber-nested-3"],
  "clobber-nested-2-0.1.0-h4616a5c_0.tar.bz2": ["clobber-nested-1"],
  "clobber-with-symlink-b-0.1.0-h4616a5c_0.conda": ["clobber-with-symlink-a"],
  "clobber-python-0.1.0-pypy.conda": ["clobber-pypy"],
};

async function lockedFrom(files: readonly string[]): Promise<LockedCondaPackage[]> {
  return addToChannel(
    channel.dirs.channel,
    channel.server.url,
    files.map((file) => ({ path: join(RATTLER_PACKAGES, file), depends: DEPENDS[file] ?? [] })),
  );
}

async function install(
  conda: readonly LockedCondaPackage[],
  extra: readonly LockedCondaPackage[] = [],
): Promise<InstallResult> {
  return installLock({
    lock: lockOf([...conda, ...extra]),
    prefixDir: channel.dirs.prefix,
    targetPrefix: "/opt/envforge/envs/rattler",
    cache: new PackageCache({ dir: join(channel.dirs.cache) }),
  });
}

/** Regular files (links followed, like rattler's `is_file`), outside conda-meta, sorted. */
async function filesIn(prefix: string): Promise<string[]> {
  const entries = await readdir(prefix, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = relative(prefix, join(entry.parentPath, entry.name));
    if (path.startsWith("conda-meta")) continue;
    const info = await stat(join(prefix, path)).catch(() => undefined);
    if (info?.isFile() === true) files.push(path);
  }
  return files.sort();
}

const text = (path: string): Promise<string> => readFile(join(channel.dirs.prefix, path), "utf8");

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("clobbering (rattler test_all_possible_orders_clobber)", () => {
  const files = [
    "clobber-1-0.1.0-h4616a5c_0.tar.bz2",
    "clobber-2-0.1.0-h4616a5c_0.tar.bz2",
    "clobber-3-0.1.0-h4616a5c_0.tar.bz2",
  ];

  it.each(permutations([0, 1, 2]))(
    "gives the same prefix whatever the lock order (%j)",
    async (...order) => {
      const conda = await lockedFrom(files);
      const result = await install(order.map((i) => conda[i]).filter((pkg) => pkg !== undefined));
      expect(await filesIn(channel.dirs.prefix)).toEqual([
        "__clobbers__/clobber-2/another-clobber.txt",
        "__clobbers__/clobber-2/clobber.txt",
        "__clobbers__/clobber-3/another-clobber.txt",
        "__clobbers__/clobber-3/clobber.txt",
        "another-clobber.txt",
        "clobber.txt",
      ]);
      expect(await text("clobber.txt")).toBe("clobber-1\n");
      expect(result.clobbers).toEqual([
        { path: "another-clobber.txt", winner: "clobber-1", losers: ["clobber-2", "clobber-3"] },
        { path: "clobber.txt", winner: "clobber-1", losers: ["clobber-2", "clobber-3"] },
      ]);
      const record = JSON.parse(await text("conda-meta/clobber-2-0.1.0-h4616a5c_0.json")) as {
        files: string[];
      };
      expect(record.files).toEqual([
        "__clobbers__/clobber-2/another-clobber.txt",
        "__clobbers__/clobber-2/clobber.txt",
      ]);
      expect(result.warnings).toContain(
        "clobber.txt: written by clobber-1, clobber-2, clobber-3; kept from clobber-1, the others moved to __clobbers__/<package>/clobber.txt",
      );
    },
  );

  it("lets the dependent win over its dependencies (test_all_possible_orders_clobber_nested)", async () => {
    await install(
      await lockedFrom([
        "clobber-nested-1-0.1.0-h4616a5c_0.tar.bz2",
        "clobber-nested-2-0.1.0-h4616a5c_0.tar.bz2",
        "clobber-nested-3-0.1.0-h4616a5c_0.tar.bz2",
      ]),
    );
    expect(await filesIn(channel.dirs.prefix)).toEqual([
      "__clobbers__/clobber-nested-1/clobber/bobber/clobber.txt",
      "__clobbers__/clobber-nested-3/clobber/bobber/clobber.txt",
      "clobber/bobber/clobber.txt",
    ]);
    expect(await text("clobber/bobber/clobber.txt")).toBe("clobber-2\n");
  });

  it("keeps a directory over a file of the same name (test_direct_file_and_directory_clobber)", async () => {
    await install(
      await lockedFrom([
        "clobber-with-dir-0.1.0-h4616a5c_0.conda",
        "clobber-without-dir-0.1.0-h4616a5c_0.conda",
      ]),
    );
    expect(await filesIn(channel.dirs.prefix)).toEqual([
      "__clobbers__/clobber-without-dir/dir",
      "dir/clobber.txt",
    ]);
  });

  it("merges directories and moves the file aside (test_file_and_directory_clobber_with_merging)", async () => {
    await install(
      await lockedFrom([
        "clobber-fd-rev-3-0.1.0-h4616a5c_0.conda",
        "clobber-fd-rev-2-0.1.0-h4616a5c_0.conda",
        "clobber-fd-rev-1-0.1.0-h4616a5c_0.conda",
      ]),
    );
    expect(await filesIn(channel.dirs.prefix)).toEqual([
      "__clobbers__/clobber-fd-rev-3/clobber",
      "clobber/clobber-fd-rev-1.txt",
      "clobber/clobber-fd-rev-2.txt",
    ]);
  });

  it("keeps the file when the highest package has a file where others have folders", async () => {
    await install(
      await lockedFrom([
        "clobber-fd-1-0.1.0-h4616a5c_0.conda",
        "clobber-fd-2-0.1.0-h4616a5c_0.conda",
        "clobber-fd-3-0.1.0-h4616a5c_0.conda",
      ]),
    );
    expect(await filesIn(channel.dirs.prefix)).toEqual([
      "__clobbers__/clobber-fd-2/clobber/clobber-fd-2.txt",
      "__clobbers__/clobber-fd-3/clobber/clobber-fd-3.txt",
      "clobber",
    ]);
    expect(await text("clobber")).toBe("clobber-fd-1\n");
  });

  it("resolves two packages writing the same file in a shared folder", async () => {
    const result = await install(
      await lockedFrom([
        "clobber-fd-2-0.1.0-h4616a5c_0.conda",
        "clobber-fd-2-conflicting-0.1.0-h4616a5c_0.conda",
      ]),
    );
    expect(await filesIn(channel.dirs.prefix)).toEqual([
      "__clobbers__/clobber-fd-2-conflicting/clobber/clobber-fd-2.txt",
      "clobber/clobber-fd-2.txt",
    ]);
    expect(await text("clobber/clobber-fd-2.txt")).toBe("clobber-fd-2\n");
    expect(result.clobbers).toEqual([
      {
        path: "clobber/clobber-fd-2.txt",
        winner: "clobber-fd-2",
        losers: ["clobber-fd-2-conflicting"],
      },
    ]);
  });

  it("keeps the winning symbolic link (test_clobber_with_symlinks_and_reprioritization)", async () => {
    await install(
      await lockedFrom([
        "clobber-with-symlink-a-0.1.0-h4616a5c_0.conda",
        "clobber-with-symlink-b-0.1.0-h4616a5c_0.conda",
      ]),
    );
    expect(await filesIn(channel.dirs.prefix)).toEqual([
      "lib/clobber-1.txt",
      "lib/clobber-2.txt",
      "lib/clobber.so",
    ]);
    expect(await readlink(join(channel.dirs.prefix, "lib/clobber.so"))).toBe("clobber-1.txt");
    expect(
      await readlink(
        join(channel.dirs.prefix, "__clobbers__/clobber-with-symlink-a/lib/clobber.so"),
      ),
    ).toBe("clobber-2.txt");
  });

  it("relocates clobbering noarch python packages (test_clobber_python_noarch)", async () => {
    const python = await buildTestPackage(
      {
        name: "python",
        version: "3.11.0",
        build: "h_0",
        files: [{ path: "bin/python3.11", content: "", mode: 0o755 }],
      },
      { dir: channel.dirs.channel, format: "conda" },
    );
    const conda = await lockedFrom([
      "clobber-pynoarch-1-0.1.0-pyh4616a5c_0.tar.bz2",
      "clobber-pynoarch-2-0.1.0-pyh4616a5c_0.tar.bz2",
    ]);
    const noarch = conda.map((pkg) => ({ ...pkg, noarch: "python" as const }));
    const result = await install(noarch, [lockedPackageOf(python, channel.server.url)]);
    expect(result.python).toBe("3.11");
    expect(await filesIn(channel.dirs.prefix)).toEqual([
      "__clobbers__/clobber-pynoarch-2/lib/python3.11/site-packages/clobber/clobber.py",
      "bin/python3.11",
      "lib/python3.11/site-packages/clobber/clobber.py",
    ]);
  });

  it("installs bin/python from clobber-pypy under the pypy build of clobber-python (test_dependency_clobber)", async () => {
    const result = await install(
      await lockedFrom(["clobber-python-0.1.0-pypy.conda", "clobber-pypy-0.1.0-h4616a5c_0.conda"]),
    );
    expect(await filesIn(channel.dirs.prefix)).toEqual(["bin/python"]);
    expect(await text("bin/python")).toBe("pypy\n");
    expect(result.packages.map((pkg) => pkg.name)).toEqual(["clobber-pypy", "clobber-python"]);
    expect(result.clobbers).toEqual([]);
  });
});

describe("other rattler packages", () => {
  it("link-scripts: installs the scripts' files but never runs them, and says so", async () => {
    const result = await install(await lockedFrom(["link-scripts-0.1.0-h4616a5c_0.conda"]));
    expect(await filesIn(channel.dirs.prefix)).toEqual([
      "Scripts/.link-scripts-post-link.bat",
      "Scripts/.link-scripts-pre-unlink.bat",
      "bin/.link-scripts-post-link.sh",
      "bin/.link-scripts-pre-unlink.sh",
    ]);
    expect(result.linkScripts).toEqual([
      { package: "link-scripts", kind: "post-link", path: "bin/.link-scripts-post-link.sh" },
      { package: "link-scripts", kind: "pre-unlink", path: "bin/.link-scripts-pre-unlink.sh" },
    ]);
    expect(result.warnings).toEqual([
      "link-scripts: post-link script bin/.link-scripts-post-link.sh was not run (envforge never runs link scripts)",
    ]);
  });

  it("symlink-test: keeps the symbolic link and the hard link", async () => {
    await install(await lockedFrom(["symlink-test-1.0.0-0.conda"]));
    expect(await readlink(join(channel.dirs.prefix, "lib/liblink.so"))).toBe("libreal.so.1");
    expect(await text("lib/libhard.so")).toBe("real library bytes");
    expect(await text("lib/libreal.so.1")).toBe("real library bytes");
  });

  it("zip64-test: reads a .conda with zip64 headers", async () => {
    await install(await lockedFrom(["zip64-test-1.0.0-0.conda"]));
    expect(await filesIn(channel.dirs.prefix)).toEqual(["bin/hello.txt"]);
    expect(await text("bin/hello.txt")).toBe("zip64 payload\n");
  });

  it("sparse-test: installs a payload larger than the zip's tail", async () => {
    await install(await lockedFrom(["sparse-test-1.0.0-0.conda"]));
    expect(await filesIn(channel.dirs.prefix)).toEqual([
      "bin/first-file.txt",
      "lib/blob.bin",
      "share/last-file.txt",
    ]);
    expect(await text("bin/first-file.txt")).toBe("first payload file\n");
    expect(await text("share/last-file.txt")).toBe("last payload file\n");
    expect((await stat(join(channel.dirs.prefix, "lib/blob.bin"))).size).toBe(150_000);
  });

  it("dotslash-test: strips ./ from entry names", async () => {
    await install(await lockedFrom(["dotslash-test-1.0.0-0.conda"]));
    expect(await filesIn(channel.dirs.prefix)).toEqual(["lib/data.txt"]);
    expect(await text("lib/data.txt")).toBe("dot slash payload\n");
  });

  it.each([
    "info-only-1.0.0-0.conda",
    "empty-0.1.0-h4616a5c_0.conda",
    "test-package-0.1-0.tar.bz2",
  ])("%s: installs nothing but its conda-meta record", async (file) => {
    await install(await lockedFrom([file]));
    expect(await filesIn(channel.dirs.prefix)).toEqual([]);
    const meta = (await readdir(join(channel.dirs.prefix, "conda-meta"))).sort();
    expect(meta).toEqual([`${file.replace(/\.(conda|tar\.bz2)$/, "")}.json`, "history"].sort());
  });

  it("clobber-directory-upgrade 0.2.0: a file where 0.1.0 had a folder", async () => {
    await install(await lockedFrom(["clobber-directory-upgrade-0.2.0-h4616a5c_0.conda"]));
    expect(await filesIn(channel.dirs.prefix)).toEqual(["bin/content.txt", "xbin"]);
  });
});

import { access, lstat, mkdir, readFile, readdir, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { installLock } from "../../src/conda/install.js";
import { PackageCache } from "../../src/conda/package-cache.js";
import {
  binaryWithPlaceholder,
  buildTestPackage,
  CONDA_PLACEHOLDER,
  lockedPackageOf,
  NOARCH_HELLO_PACKAGE,
  PLACEHOLDER_PACKAGE,
  PYTHON_PACKAGE,
} from "../support/conda-packages.js";
import type { TestPackageFormat } from "../support/conda-packages.js";
import { lockOf, channelPerTest } from "./channel-folder.js";

const TARGET = "/opt/envforge/envs/own";

const channel = channelPerTest();

describe.each<TestPackageFormat>(["tar.bz2", "conda"])("a package of our own (%s)", (format) => {
  it("replaces a binary placeholder in place, NUL-padded to the same length, byte by byte", async () => {
    const built = await buildTestPackage(PLACEHOLDER_PACKAGE, {
      dir: channel.dirs.channel,
      format,
    });
    await installLock({
      lock: lockOf([lockedPackageOf(built, channel.server.url)]),
      prefixDir: channel.dirs.prefix,
      targetPrefix: TARGET,
      cache: new PackageCache({ dir: channel.dirs.cache }),
    });

    const original = binaryWithPlaceholder();
    const written = await readFile(join(channel.dirs.prefix, "lib/libbin.so"));
    const pad = (n: number): Buffer => Buffer.alloc(n);
    const shrink = CONDA_PLACEHOLDER.length - TARGET.length;
    const expected = Buffer.concat([
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]),
      Buffer.from(`${TARGET}/lib`),
      pad(shrink),
      Buffer.from("\0"),
      Buffer.from([0xff, 0x00, 0xfe]),
      Buffer.from(`RPATH=${TARGET}:${TARGET}/lib64`),
      pad(2 * shrink),
      Buffer.from("\0"),
      Buffer.from("tail without placeholder\0"),
    ]);
    expect(written.length).toBe(original.length);
    expect([...written]).toEqual([...expected]);

    expect(await readFile(join(channel.dirs.prefix, "bin/tool"), "utf8")).toBe(
      `#!${TARGET}/bin/sh\necho ${TARGET}\n`,
    );
    expect((await lstat(join(channel.dirs.prefix, "bin/tool"))).mode & 0o777).toBe(0o755);
    expect((await lstat(join(channel.dirs.prefix, "share/plain.txt"))).mode & 0o777).toBe(0o644);
    expect(await readlink(join(channel.dirs.prefix, "lib/libbin.so.1"))).toBe("libbin.so");
  });

  it("relocates noarch python into the lock's python and writes its entry points", async () => {
    const python = await buildTestPackage(PYTHON_PACKAGE, {
      dir: channel.dirs.channel,
      format,
    });
    const hello = await buildTestPackage(NOARCH_HELLO_PACKAGE, {
      dir: channel.dirs.channel,
      format,
    });
    const result = await installLock({
      lock: lockOf([
        lockedPackageOf(hello, channel.server.url),
        lockedPackageOf(python, channel.server.url),
      ]),
      prefixDir: channel.dirs.prefix,
      targetPrefix: TARGET,
      cache: new PackageCache({ dir: channel.dirs.cache }),
    });
    expect(result.python).toBe("3.11");
    expect(result.packages.map((pkg) => pkg.name)).toEqual(["python", "hello"]);
    expect(
      await readFile(
        join(channel.dirs.prefix, "lib/python3.11/site-packages/hello/cli.py"),
        "utf8",
      ),
    ).toContain("def main");
    await access(join(channel.dirs.prefix, "bin/hello-tool"));
    const script = await readFile(join(channel.dirs.prefix, "bin/hello"), "utf8");
    expect(script.split("\n").slice(0, 6)).toEqual([
      `#!${TARGET}/bin/python3.11`,
      "# -*- coding: utf-8 -*-",
      "import re",
      "import sys",
      "",
      "from hello.cli import main",
    ]);
    expect((await lstat(join(channel.dirs.prefix, "bin/hello"))).mode & 0o111).toBe(0o111);
    const record = JSON.parse(
      await readFile(join(channel.dirs.prefix, "conda-meta/hello-1.0.0-pyh_0.json"), "utf8"),
    ) as {
      files: string[];
      noarch: string;
      paths_data: { paths: { _path: string; path_type: string }[] };
    };
    expect(record.files).toEqual([
      "bin/hello",
      "bin/hello-tool",
      "lib/python3.11/site-packages/hello/__init__.py",
      "lib/python3.11/site-packages/hello/cli.py",
    ]);
    expect(record.noarch).toBe("python");
    expect(record.paths_data.paths.map((p) => `${p._path} ${p.path_type}`)).toEqual([
      "bin/hello unix_python_entry_point",
      "bin/hello-tool hardlink",
      "lib/python3.11/site-packages/hello/__init__.py hardlink",
      "lib/python3.11/site-packages/hello/cli.py hardlink",
    ]);
  });
});

describe("old packages without info/paths.json", () => {
  it("reads info/files and info/has_prefix, placeholders included", async () => {
    const built = await buildTestPackage(
      {
        name: "oldstyle",
        omitPathsJson: true,
        files: [
          { path: "etc/old.conf", content: `root=${CONDA_PLACEHOLDER}\n` },
          { path: "lib/libold.so", content: Buffer.from(`/old/ph/lib\0rest`) },
        ],
        infoFiles: {
          files: "etc/old.conf\nlib/libold.so\n",
          has_prefix: `etc/old.conf\n/old/ph binary lib/libold.so\n`,
        },
      },
      { dir: channel.dirs.channel, format: "tar.bz2" },
    );
    await installLock({
      lock: lockOf([lockedPackageOf(built, channel.server.url)]),
      prefixDir: channel.dirs.prefix,
      targetPrefix: "/e",
      cache: new PackageCache({ dir: channel.dirs.cache }),
    });
    expect(await readFile(join(channel.dirs.prefix, "etc/old.conf"), "utf8")).toBe("root=/e\n");
    expect((await readFile(join(channel.dirs.prefix, "lib/libold.so"))).toString("latin1")).toBe(
      `/e/lib${"\0".repeat(5)}\0rest`,
    );
  });
});

describe("refusals", () => {
  it("refuses a package path that escapes the prefix, and leaves no prefix behind", async () => {
    const built = await buildTestPackage(
      {
        name: "escape",
        files: [{ path: "ok.txt", content: "ok\n" }],
        omitPathsJson: true,
        infoFiles: {
          "paths.json": JSON.stringify({
            paths: [{ _path: "../outside.txt", path_type: "hardlink" }],
            paths_version: 1,
          }),
        },
      },
      { dir: channel.dirs.channel, format: "conda" },
    );
    await expect(
      installLock({
        lock: lockOf([lockedPackageOf(built, channel.server.url)]),
        prefixDir: channel.dirs.prefix,
        cache: new PackageCache({ dir: channel.dirs.cache }),
      }),
    ).rejects.toThrow('escape-1.0.0-0: path "../outside.txt" escapes the prefix; refused');
    expect(await readdir(channel.dirs.root)).toEqual(["cache", "channel"]);
  });

  it("refuses an archive entry that escapes the package folder", async () => {
    const built = await buildTestPackage(
      { name: "tarescape", files: [{ path: "../../evil.txt", content: "x" }] },
      { dir: channel.dirs.channel, format: "tar.bz2" },
    );
    await expect(
      installLock({
        lock: lockOf([lockedPackageOf(built, channel.server.url)]),
        prefixDir: channel.dirs.prefix,
        cache: new PackageCache({ dir: channel.dirs.cache }),
      }),
    ).rejects.toThrow(
      'tarescape-1.0.0-0.tar.bz2: archive entry "../../evil.txt" would be written outside the package folder; refused',
    );
    expect(await readdir(join(channel.dirs.cache, "extracted"))).toEqual([]);
    expect(await readdir(join(channel.dirs.cache, "tmp"))).toEqual([]);
  });

  it("fails as an external error, leaving nothing, when the prefix cannot be written", async () => {
    const built = await buildTestPackage(
      { name: "fine", files: [{ path: "a.txt", content: "a" }] },
      { dir: channel.dirs.channel, format: "conda" },
    );
    await writeFile(join(channel.dirs.root, "blocker"), "a file where a folder should be");
    const prefixDir = join(channel.dirs.root, "blocker", "env");
    await expect(
      installLock({
        lock: lockOf([lockedPackageOf(built, channel.server.url)]),
        prefixDir,
        cache: new PackageCache({ dir: channel.dirs.cache }),
      }),
    ).rejects.toMatchObject({
      kind: "external",
      message: expect.stringMatching(
        new RegExp(`^cannot write the environment at ${prefixDir}: ENOTDIR`),
      ),
    });
    expect((await readdir(channel.dirs.root)).sort()).toEqual(["blocker", "cache", "channel"]);
  });

  it("refuses a prefix folder that is not empty", async () => {
    await mkdir(channel.dirs.prefix, { recursive: true });
    await writeFile(join(channel.dirs.prefix, "keep.txt"), "mine");
    await expect(
      installLock({
        lock: lockOf([]),
        prefixDir: channel.dirs.prefix,
        cache: new PackageCache({ dir: channel.dirs.cache }),
      }),
    ).rejects.toThrow(
      `prefix ${channel.dirs.prefix} exists and is not empty; envforge install makes a new environment, so give a new or empty folder`,
    );
    expect(await readFile(join(channel.dirs.prefix, "keep.txt"), "utf8")).toBe("mine");
  });

  it("refuses a binary placeholder shorter than the target prefix", async () => {
    const built = await buildTestPackage(
      {
        name: "short",
        files: [
          {
            path: "lib/x.so",
            content: Buffer.from("/short/ph\0"),
            placeholder: { fileMode: "binary", value: "/short/ph" },
          },
        ],
      },
      { dir: channel.dirs.channel, format: "conda" },
    );
    await expect(
      installLock({
        lock: lockOf([lockedPackageOf(built, channel.server.url)]),
        prefixDir: channel.dirs.prefix,
        targetPrefix: TARGET,
        cache: new PackageCache({ dir: channel.dirs.cache }),
      }),
    ).rejects.toThrow(
      `target-prefix: short-1.0.0-0: lib/x.so: the target prefix is longer than the package's binary placeholder, so it cannot be written into this binary file; choose a shorter target prefix (found "${TARGET}" (22 bytes); allowed: at most 9 bytes)`,
    );
    await expect(access(channel.dirs.prefix)).rejects.toThrow();
  });
});

import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installLock } from "../../src/conda/install.js";
import { PackageCache } from "../../src/conda/package-cache.js";
import { addToChannel, CONDA_PACKAGES, lockOf, serveFolder, tempDirs } from "./channel-folder.js";
import type { ServedFolder, TempDirs } from "./channel-folder.js";

const TARGET = "/opt/envforge/envs/envforge_0123456789abcdef0123456789abcdef";
const PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3";

interface PathsJson {
  readonly paths: readonly { _path: string; path_type: string; sha256: string }[];
}

describe.each(["tar.bz2", "conda"])(
  "envforge install of the real zlib-1.2.11-h7b6447c_3.%s",
  (format) => {
    let dirs: TempDirs;
    let server: ServedFolder;
    let warnings: readonly string[];

    beforeAll(async () => {
      dirs = await tempDirs();
      server = await serveFolder(dirs.channel);
      const conda = await addToChannel(dirs.channel, server.url, [
        {
          path: join(CONDA_PACKAGES, `zlib-1.2.11-h7b6447c_3.${format}`),
          subdir: "linux-64",
          depends: ["libgcc-ng >=7.3.0"],
        },
      ]);
      const result = await installLock({
        lock: lockOf(conda),
        prefixDir: dirs.prefix,
        targetPrefix: TARGET,
        cache: new PackageCache({ dir: dirs.cache }),
        now: () => new Date("2026-01-02T03:04:05Z"),
      });
      warnings = result.warnings;
    });
    afterAll(async () => {
      await server.close();
      await dirs.cleanup();
    });

    it("writes every path of info/paths.json, with the bytes it lists", async () => {
      const extracted = join(
        dirs.cache,
        "extracted",
        (await readdir(join(dirs.cache, "extracted")))[0] ?? "",
      );
      const manifest = JSON.parse(
        await readFile(join(extracted, "info/paths.json"), "utf8"),
      ) as PathsJson;
      expect(manifest.paths.map((path) => path._path)).toHaveLength(7);
      for (const path of manifest.paths) {
        const stats = await lstat(join(dirs.prefix, path._path));
        expect(stats.isFile() || stats.isSymbolicLink(), path._path).toBe(true);
        if (path.path_type === "hardlink" && path._path !== "lib/pkgconfig/zlib.pc") {
          const bytes = await readFile(join(dirs.prefix, path._path));
          expect(createHash("sha256").update(bytes).digest("hex"), path._path).toBe(path.sha256);
        }
      }
    });

    it("writes the target prefix, not the placeholder, into lib/pkgconfig/zlib.pc", async () => {
      const text = await readFile(join(dirs.prefix, "lib/pkgconfig/zlib.pc"), "utf8");
      expect(text.split("\n")[0]).toBe(`prefix=${TARGET}`);
      expect(text).not.toContain(PLACEHOLDER);
    });

    it("keeps the archive's library links as the archive holds them", async () => {
      // This copy of zlib (conda's test data) lost its link targets: the .tar.bz2 holds empty
      // files, the .conda links with no target. Both give the same prefix, and the .conda says so.
      for (const name of ["lib/libz.so", "lib/libz.so.1"]) {
        const stats = await lstat(join(dirs.prefix, name));
        expect(stats.isFile()).toBe(true);
        expect(stats.size).toBe(0);
      }
      expect(warnings).toEqual(
        format === "conda"
          ? [
              "zlib-1.2.11-h7b6447c_3.conda: lib/libz.so.1 is a symbolic link with no target; written as an empty file",
              "zlib-1.2.11-h7b6447c_3.conda: lib/libz.so is a symbolic link with no target; written as an empty file",
            ]
          : [],
      );
    });

    it("records the package in conda-meta as conda does", async () => {
      const record = JSON.parse(
        await readFile(join(dirs.prefix, "conda-meta/zlib-1.2.11-h7b6447c_3.json"), "utf8"),
      ) as Record<string, unknown>;
      expect(record).toMatchObject({
        name: "zlib",
        version: "1.2.11",
        build: "h7b6447c_3",
        build_number: 3,
        channel: `${server.url}/linux-64`,
        subdir: "linux-64",
        fn: `zlib-1.2.11-h7b6447c_3.${format}`,
        depends: ["libgcc-ng >=7.3.0"],
        extracted_package_dir: "/opt/envforge/pkgs/zlib-1.2.11-h7b6447c_3",
        link: { source: "/opt/envforge/pkgs/zlib-1.2.11-h7b6447c_3", type: 3 },
      });
      expect(record.files).toEqual([
        "include/zconf.h",
        "include/zlib.h",
        "lib/libz.a",
        "lib/libz.so",
        "lib/libz.so.1",
        "lib/libz.so.1.2.11",
        "lib/pkgconfig/zlib.pc",
      ]);
      const history = await readFile(join(dirs.prefix, "conda-meta/history"), "utf8");
      expect(history).toBe(`==> 2026-01-02 03:04:05 <==\n+${server.url}::zlib-1.2.11-h7b6447c_3\n`);
    });

    it("leaves no symbolic link pointing out of the prefix", async () => {
      const entries = await readdir(dirs.prefix, { recursive: true, withFileTypes: true });
      for (const entry of entries.filter((e) => e.isSymbolicLink())) {
        expect(await readlink(join(entry.parentPath, entry.name))).not.toMatch(/^\//);
      }
    });
  },
);

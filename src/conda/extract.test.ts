import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveFormatOf, extractPackage, findProgram } from "./extract.js";

const ZLIB = resolve(
  import.meta.dirname,
  "../../../shared/testdata/packages/conda/zlib-1.2.11-h7b6447c_3.tar.bz2",
);
const SYMLINKS = resolve(
  import.meta.dirname,
  "../../../shared/testdata/packages/rattler/symlink-test-1.0.0-0.conda",
);

let dir: string;
/** The decompressors on PATH (scripts/ci/decompressors.sh installs both). */
const programs = new Map<string, string | undefined>();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-extract-"));
  for (const name of ["bzip2", "lbzip2"]) {
    programs.set(name, await findProgram(name, process.env.PATH));
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const lines: string[] = [];
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    const name = path.slice(root.length + 1);
    if (entry.isSymbolicLink()) lines.push(`${name} -> ${await readlink(path)}`);
    else if (entry.isFile()) lines.push(`${name} ${(await readFile(path)).length}`);
  }
  return lines.sort();
}

describe("extractPackage", () => {
  it("names formats by file name", () => {
    expect(archiveFormatOf("a-1-0.conda")).toBe("conda");
    expect(archiveFormatOf("a-1-0.tar.bz2")).toBe("tar.bz2");
    expect(() => archiveFormatOf("a-1-0.zip")).toThrow(
      'not a conda package file name (found "a-1-0.zip"; allowed: a name ending in .conda or .tar.bz2)',
    );
  });

  it.for(["bzip2", "lbzip2"])(
    "unpacks the same tree with the %s program and with the JavaScript decoder",
    async (name, context) => {
      const bzip2 = programs.get(name);
      if (bzip2 === undefined) context.skip();
      const viaJs = join(dir, `js-${name}`);
      const viaProgram = join(dir, `program-${name}`);
      await extractPackage({
        archivePath: ZLIB,
        format: "tar.bz2",
        destination: viaJs,
        label: "zlib",
      });
      await extractPackage({
        archivePath: ZLIB,
        format: "tar.bz2",
        destination: viaProgram,
        label: "zlib",
        ...(bzip2 === undefined ? {} : { bzip2Program: bzip2 }),
      });
      const js = await tree(viaJs);
      expect(js).toContain("lib/libz.so.1.2.11 133384");
      expect(js).toContain("info/paths.json 1468");
      expect(await tree(viaProgram)).toEqual(js);
    },
  );

  it("keeps symbolic and hard links of a .conda", async () => {
    const out = join(dir, "links");
    await extractPackage({
      archivePath: SYMLINKS,
      format: "conda",
      destination: out,
      label: "symlink-test",
    });
    expect(await tree(out)).toEqual([
      "info/index.json 77",
      "lib/libhard.so 18",
      "lib/liblink.so -> libreal.so.1",
      "lib/libreal.so.1 18",
    ]);
  });

  it.for(["the JavaScript decoder", "bzip2", "lbzip2"])(
    "fails on a corrupt .tar.bz2, naming it (%s)",
    async (name, context) => {
      const useProgram = programs.has(name);
      const bzip2 = programs.get(name);
      if (useProgram && bzip2 === undefined) context.skip();
      const broken = join(dir, `broken-${name}.tar.bz2`);
      await writeFile(broken, Buffer.concat([Buffer.from("BZh91AY&SY"), Buffer.alloc(64, 7)]));
      await expect(
        extractPackage({
          archivePath: broken,
          format: "tar.bz2",
          destination: join(dir, `broken-out-${name}`),
          label: "broken-1-0.tar.bz2",
          ...(bzip2 === undefined ? {} : { bzip2Program: bzip2 }),
        }),
      ).rejects.toThrow(/^broken-1-0\.tar\.bz2: cannot unpack: /);
    },
  );

  it("finds programs on a search path", async () => {
    expect(await findProgram("no-such-program-envforge", process.env.PATH)).toBeUndefined();
    expect(await findProgram("sh", "/nonexistent:/bin:/usr/bin")).toMatch(/\/sh$/);
  });
});

/**
 * Builds small, real conda packages (`.tar.bz2` and `.conda`) for installer tests: info/index.json,
 * info/paths.json with prefix placeholders, symlinks, noarch python with entry points. The `.conda`
 * zip and its zstd members are written by hand (stored zip entries, raw zstd blocks), so only the
 * `.tar.bz2` needs the `bzip2` program.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import * as tarStream from "tar-stream";
import type { LockedCondaPackage } from "../../src/definition/lock.js";

/** The placeholder conda-build writes into packages. */
export const CONDA_PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3";

export interface TestFile {
  readonly path: string;
  readonly content?: string | Buffer;
  readonly mode?: number;
  /** Makes the entry a symbolic link to this target. */
  readonly symlink?: string;
  /** Records a prefix placeholder for the file in paths.json. */
  readonly placeholder?: { readonly fileMode: "text" | "binary"; readonly value?: string };
  /** Leaves the entry out of paths.json (to test archives that disagree with their manifest). */
  readonly unlisted?: boolean;
}

export interface TestPackageSpec {
  readonly name: string;
  readonly version?: string;
  readonly build?: string;
  readonly buildNumber?: number;
  readonly subdir?: string;
  readonly noarch?: "python" | "generic";
  readonly depends?: readonly string[];
  readonly files: readonly TestFile[];
  /** `noarch: python` entry points, e.g. `"hello = hello.cli:main"`. */
  readonly entryPoints?: readonly string[];
  /** More files under info/, by name, e.g. `{ "has_prefix": "..." }`. */
  readonly infoFiles?: Readonly<Record<string, string>>;
  /** Writes no info/paths.json (old-style packages). */
  readonly omitPathsJson?: boolean;
}

export type TestPackageFormat = "tar.bz2" | "conda";

export interface BuiltTestPackage {
  readonly path: string;
  readonly filename: string;
  readonly name: string;
  readonly version: string;
  readonly build: string;
  readonly buildNumber: number;
  readonly subdir: string;
  readonly sha256: string;
  readonly md5: string;
  readonly size: number;
  readonly depends: readonly string[];
  readonly noarch?: "python" | "generic";
}

interface TarEntry {
  readonly name: string;
  readonly content?: Buffer;
  readonly mode: number;
  readonly symlink?: string;
}

/** Writes `<dir>/<subdir>/<name>-<version>-<build>.<format>` and describes it. */
export async function buildTestPackage(
  spec: TestPackageSpec,
  options: { readonly dir: string; readonly format: TestPackageFormat },
): Promise<BuiltTestPackage> {
  const version = spec.version ?? "1.0.0";
  const build = spec.build ?? "0";
  const buildNumber = spec.buildNumber ?? 0;
  const subdir = spec.subdir ?? (spec.noarch === undefined ? "linux-64" : "noarch");
  const dist = `${spec.name}-${version}-${build}`;
  const filename = `${dist}.${options.format}`;

  const info: TarEntry[] = [
    jsonEntry("info/index.json", {
      build,
      build_number: buildNumber,
      depends: spec.depends ?? [],
      name: spec.name,
      ...(spec.noarch === undefined ? {} : { noarch: spec.noarch }),
      subdir,
      version,
    }),
  ];
  if (spec.omitPathsJson !== true) {
    info.push(jsonEntry("info/paths.json", pathsJson(spec.files)));
  }
  if (spec.noarch === "python") {
    info.push(
      jsonEntry("info/link.json", {
        noarch: {
          type: "python",
          ...(spec.entryPoints === undefined ? {} : { entry_points: spec.entryPoints }),
        },
        package_metadata_version: 1,
      }),
    );
  }
  for (const [name, text] of Object.entries(spec.infoFiles ?? {})) {
    info.push({ name: `info/${name}`, content: Buffer.from(text), mode: 0o644 });
  }
  const payload: TarEntry[] = spec.files.map((file) =>
    file.symlink === undefined
      ? { name: file.path, content: toBuffer(file.content ?? ""), mode: file.mode ?? 0o644 }
      : { name: file.path, symlink: file.symlink, mode: 0o777 },
  );

  const bytes =
    options.format === "tar.bz2"
      ? await bzip2(await tarOf([...info, ...payload]))
      : zipOf([
          { name: "metadata.json", data: Buffer.from('{"conda_pkg_format_version": 2}') },
          { name: `pkg-${dist}.tar.zst`, data: zstdRaw(await tarOf(payload)) },
          { name: `info-${dist}.tar.zst`, data: zstdRaw(await tarOf(info)) },
        ]);
  const folder = join(options.dir, subdir);
  await mkdir(folder, { recursive: true });
  const path = join(folder, filename);
  await writeFile(path, bytes);
  return {
    path,
    filename,
    name: spec.name,
    version,
    build,
    buildNumber,
    subdir,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    md5: createHash("md5").update(bytes).digest("hex"),
    size: bytes.length,
    depends: spec.depends ?? [],
    ...(spec.noarch === undefined ? {} : { noarch: spec.noarch }),
  };
}

/** The lock entry for a built package served from `channelUrl` (`<channelUrl>/<subdir>/<file>`). */
export function lockedPackageOf(built: BuiltTestPackage, channelUrl: string): LockedCondaPackage {
  return {
    name: built.name,
    version: built.version,
    build: built.build,
    buildNumber: built.buildNumber,
    channel: channelUrl,
    subdir: built.subdir,
    filename: built.filename,
    url: `${channelUrl}/${built.subdir}/${built.filename}`,
    sha256: built.sha256,
    md5: built.md5,
    size: built.size,
    depends: built.depends,
    constrains: [],
    ...(built.noarch === undefined ? {} : { noarch: built.noarch }),
  };
}

export function sha256Of(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function pathsJson(files: readonly TestFile[]): unknown {
  const paths = files
    .filter((file) => file.unlisted !== true)
    .map((file) => {
      if (file.symlink !== undefined) {
        return { _path: file.path, path_type: "softlink", size_in_bytes: 0 };
      }
      const content = toBuffer(file.content ?? "");
      return {
        _path: file.path,
        ...(file.placeholder === undefined
          ? {}
          : {
              file_mode: file.placeholder.fileMode,
              prefix_placeholder: file.placeholder.value ?? CONDA_PLACEHOLDER,
            }),
        path_type: "hardlink",
        sha256: sha256Of(content),
        size_in_bytes: content.length,
      };
    })
    .sort((a, b) => (a._path < b._path ? -1 : a._path > b._path ? 1 : 0));
  return { paths, paths_version: 1 };
}

function jsonEntry(name: string, value: unknown): TarEntry {
  return { name, content: Buffer.from(`${JSON.stringify(value, null, 2)}\n`), mode: 0o644 };
}

function toBuffer(content: string | Buffer): Buffer {
  return typeof content === "string" ? Buffer.from(content) : content;
}

async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (chunk: unknown) => {
      if (Buffer.isBuffer(chunk)) chunks.push(chunk);
    });
    pack.on("end", resolve);
    pack.on("error", reject);
  });
  const mtime = new Date(0);
  for (const entry of entries) {
    if (entry.symlink === undefined) {
      pack.entry({ name: entry.name, mode: entry.mode, mtime }, entry.content ?? Buffer.alloc(0));
    } else {
      pack.entry({
        name: entry.name,
        type: "symlink",
        linkname: entry.symlink,
        mode: entry.mode,
        mtime,
      });
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function bzip2(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "bzip2",
      ["-c", "-9"],
      { encoding: "buffer", maxBuffer: 1 << 28 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    child.stdin?.end(data);
  });
}

/** A zstd frame made of raw (stored) blocks: valid zstd that needs no compressor. */
export function zstdRaw(data: Buffer): Buffer {
  const maxBlock = 128 * 1024;
  // Magic number, then a descriptor with no content size and a 128 KiB window (2^(10+7)).
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])];
  let offset = 0;
  do {
    const size = Math.min(maxBlock, data.length - offset);
    const last = offset + size >= data.length ? 1 : 0;
    const header = (size << 3) | last; // block type 0 = raw
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]));
    parts.push(data.subarray(offset, offset + size));
    offset += size;
  } while (offset < data.length);
  return Buffer.concat(parts);
}

/** A zip archive with stored (uncompressed) entries, as `.conda` files use. */
export function zipOf(entries: readonly { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(0, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.data);
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Bytes like a shared library's: two C strings holding the placeholder, one with a suffix. */
export function binaryWithPlaceholder(): Buffer {
  return Buffer.concat([
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]),
    Buffer.from(`${CONDA_PLACEHOLDER}/lib\0`),
    Buffer.from([0xff, 0x00, 0xfe]),
    Buffer.from(`RPATH=${CONDA_PLACEHOLDER}:${CONDA_PLACEHOLDER}/lib64\0`),
    Buffer.from("tail without placeholder\0"),
  ]);
}

/** A package with a binary and a text placeholder, a symbolic link and a plain file. */
export const PLACEHOLDER_PACKAGE: TestPackageSpec = {
  name: "binpkg",
  files: [
    {
      path: "lib/libbin.so",
      content: binaryWithPlaceholder(),
      mode: 0o755,
      placeholder: { fileMode: "binary" },
    },
    {
      path: "bin/tool",
      content: `#!${CONDA_PLACEHOLDER}/bin/sh\necho ${CONDA_PLACEHOLDER}\n`,
      mode: 0o755,
      placeholder: { fileMode: "text" },
    },
    { path: "lib/libbin.so.1", symlink: "libbin.so" },
    { path: "share/plain.txt", content: "plain\n" },
  ],
};

/** A python for noarch packages to be installed for (its interpreter is a shell script). */
export const PYTHON_PACKAGE: TestPackageSpec = {
  name: "python",
  version: "3.11.4",
  build: "h_0",
  files: [{ path: "bin/python3.11", content: "#!/bin/sh\n", mode: 0o755 }],
};

/** A noarch: python package with a module, a python script and an entry point. */
export const NOARCH_HELLO_PACKAGE: TestPackageSpec = {
  name: "hello",
  noarch: "python",
  build: "pyh_0",
  depends: ["python >=3.8"],
  files: [
    { path: "site-packages/hello/__init__.py", content: "" },
    { path: "site-packages/hello/cli.py", content: "def main():\n    print('hi')\n" },
    { path: "python-scripts/hello-tool", content: "#!/bin/sh\n", mode: 0o755 },
  ],
  entryPoints: ["hello = hello.cli:main"],
};

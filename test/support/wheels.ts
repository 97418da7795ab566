/**
 * Wheels the tests build themselves (PEP 427 / binary distribution format): a zip with the
 * package files, `.data/<scheme>/` folders, and `<name>-<version>.dist-info/` holding METADATA
 * (Requires-Dist with extras and markers), WHEEL (tags), entry_points.txt and a RECORD with
 * every file's sha256. Also source distributions (an sdist-only project). Written with Node's
 * zlib only, so a test needs no Python to make them.
 */
import { createHash } from "node:crypto";
import { crc32, deflateRawSync, gzipSync } from "node:zlib";

export interface WheelSpec {
  readonly name: string;
  readonly version: string;
  /** `py3-none-any` unless given, e.g. `cp311-cp311-manylinux_2_17_x86_64`. */
  readonly tag?: string;
  /** Paths relative to site-packages → content. */
  readonly files?: Readonly<Record<string, string>>;
  /** Requires-Dist lines, e.g. `dep>=1`, `extra-dep; extra == "fast"`. */
  readonly requires?: readonly string[];
  readonly extras?: readonly string[];
  readonly requiresPython?: string;
  readonly consoleScripts?: Readonly<Record<string, string>>;
  readonly guiScripts?: Readonly<Record<string, string>>;
  /** `.data/<scheme>/<path>` → content; `scripts` entries get mode 0755. */
  readonly data?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Extra archive entries written as given, after the rest (e.g. a path that leaves). */
  readonly rawEntries?: Readonly<Record<string, string>>;
  /** Changes RECORD's text before it is written (a wheel whose hashes lie). */
  readonly editRecord?: (record: string) => string;
}

export interface BuiltFile {
  readonly file: string;
  readonly bytes: Buffer;
}

/** The wheel's file name and bytes. */
export function buildWheel(spec: WheelSpec): BuiltFile {
  const tag = spec.tag ?? "py3-none-any";
  const distName = spec.name.replace(/[-.]+/g, "_");
  const info = `${distName}-${spec.version}.dist-info`;
  const entries: { path: string; content: string; mode: number }[] = [];
  for (const [path, content] of Object.entries(spec.files ?? {})) {
    entries.push({ path, content, mode: 0o644 });
  }
  for (const [scheme, files] of Object.entries(spec.data ?? {})) {
    for (const [path, content] of Object.entries(files)) {
      entries.push({
        path: `${distName}-${spec.version}.data/${scheme}/${path}`,
        content,
        mode: scheme === "scripts" ? 0o755 : 0o644,
      });
    }
  }
  const metadata = [
    "Metadata-Version: 2.1",
    `Name: ${spec.name}`,
    `Version: ${spec.version}`,
    ...(spec.requiresPython === undefined ? [] : [`Requires-Python: ${spec.requiresPython}`]),
    ...(spec.extras ?? []).map((extra) => `Provides-Extra: ${extra}`),
    ...(spec.requires ?? []).map((line) => `Requires-Dist: ${line}`),
    "",
    "",
  ].join("\n");
  const pure = tag.endsWith("-none-any");
  entries.push({ path: `${info}/METADATA`, content: metadata, mode: 0o644 });
  entries.push({
    path: `${info}/WHEEL`,
    content: `Wheel-Version: 1.0\nGenerator: envforge-tests\nRoot-Is-Purelib: ${pure ? "true" : "false"}\nTag: ${tag}\n\n`,
    mode: 0o644,
  });
  const sections = [
    ["console_scripts", spec.consoleScripts],
    ["gui_scripts", spec.guiScripts],
  ] as const;
  const entryPoints = sections
    .filter(([, scripts]) => scripts !== undefined && Object.keys(scripts).length > 0)
    .map(
      ([section, scripts]) =>
        `[${section}]\n${Object.entries(scripts ?? {})
          .map(([name, target]) => `${name} = ${target}`)
          .join("\n")}\n`,
    )
    .join("\n");
  if (entryPoints !== "") {
    entries.push({ path: `${info}/entry_points.txt`, content: entryPoints, mode: 0o644 });
  }
  const record = [
    ...entries.map((entry) => {
      const bytes = Buffer.from(entry.content);
      const digest = createHash("sha256").update(bytes).digest("base64url");
      return `${entry.path},sha256=${digest},${bytes.length}`;
    }),
    `${info}/RECORD,,`,
    "",
  ].join("\n");
  for (const [path, content] of Object.entries(spec.rawEntries ?? {})) {
    entries.push({ path, content, mode: 0o644 });
  }
  entries.push({
    path: `${info}/RECORD`,
    content: spec.editRecord === undefined ? record : spec.editRecord(record),
    mode: 0o644,
  });
  return { file: `${distName}-${spec.version}-${tag}.whl`, bytes: zip(entries) };
}

/** `<name>-<version>.tar.gz` holding only PKG-INFO: an sdist, which envforge refuses. */
export function buildSdist(name: string, version: string): BuiltFile {
  const header = Buffer.alloc(512);
  const content = Buffer.from(`Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`);
  header.write(`${name}-${version}/PKG-INFO`, 0);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${content.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  header.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const body = Buffer.concat([content, Buffer.alloc((512 - (content.length % 512)) % 512)]);
  const tar = Buffer.concat([header, body, Buffer.alloc(1024)]);
  return { file: `${name}-${version}.tar.gz`, bytes: gzipSync(tar) };
}

/** A zip archive (deflate), entries in the order given, times fixed at 1980-01-01. */
function zip(entries: readonly { path: string; content: string; mode: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.path);
    const data = Buffer.from(entry.content);
    const packed = deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | entry.mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
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

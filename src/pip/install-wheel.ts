/**
 * Installs one wheel into a folder that stands for the image's `/`, as pip, uv's
 * install-wheel-rs and rattler's installer do, following the binary distribution format:
 * https://packaging.python.org/en/latest/specifications/binary-distribution-format/
 *
 * - the archive root goes to purelib or platlib (WHEEL's Root-Is-Purelib);
 * - `<name>-<version>.data/<scheme>/` goes to that scheme's folder (purelib, platlib, scripts,
 *   data, headers); a script whose first line is `#!python` gets the target interpreter;
 * - every file is checked against RECORD's sha256 while it is written, and no path may leave
 *   its folder;
 * - console and gui scripts of entry_points.txt are written with the target interpreter;
 * - INSTALLER says `envforge`, and RECORD is rewritten for the installed paths (relative to
 *   site-packages, the generated files with their hashes).
 *
 * No .pyc files are written: there is no interpreter here; Python compiles on first import.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import yauzl from "yauzl";
import { ValidationError } from "../errors/index.js";

/** Absolute paths in the image, as Python's sysconfig names them. */
export interface WheelScheme {
  readonly purelib: string;
  readonly platlib: string;
  readonly scripts: string;
  readonly data: string;
  /** The folder headers of this distribution go to (`<include>/<name>`). */
  readonly headers: string;
}

export interface InstallWheelOptions {
  readonly wheelPath: string;
  /** The wheel's file name, for messages. */
  readonly label: string;
  /** A folder standing for the image's `/`: a file for `/usr/x` is written to `<root>/usr/x`. */
  readonly root: string;
  readonly scheme: WheelScheme;
  /** The interpreter in the image, absolute, for `#!` lines. */
  readonly interpreter: string;
}

export interface InstalledWheel {
  readonly name: string;
  readonly version: string;
  /** Image paths written, sorted. */
  readonly files: readonly string[];
  /** Names of the console and gui scripts written. */
  readonly scripts: readonly string[];
}

interface RecordRow {
  readonly path: string;
  readonly hash: string;
  readonly size: string;
}

const SCHEMES = ["purelib", "platlib", "scripts", "data", "headers"] as const;
type SchemeKey = (typeof SCHEMES)[number];

function isSchemeKey(value: string | undefined): value is SchemeKey {
  return SCHEMES.some((known) => known === value);
}

/** pip's launcher, so a script behaves as one pip would have written. */
export function scriptText(interpreter: string, target: string): string {
  const match = /^\s*([\w.]+)\s*:\s*([\w.]+)\s*(?:\[[^\]]*\])?\s*$/.exec(target);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new Error(`not an entry point: ${JSON.stringify(target)}`);
  }
  const [head, ...rest] = match[2].split(".");
  return [
    `#!${interpreter}`,
    "# -*- coding: utf-8 -*-",
    "import re",
    "import sys",
    `from ${match[1]} import ${head ?? ""}`,
    "if __name__ == '__main__':",
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])",
    `    sys.exit(${[head, ...rest].join(".")}())`,
    "",
  ].join("\n");
}

export async function installWheel(options: InstallWheelOptions): Promise<InstalledWheel> {
  const fail = (message: string, found?: string): never => {
    throw ValidationError.single({
      key: "pip",
      message: `wheel ${options.label}: ${message}`,
      ...(found === undefined ? {} : { found }),
    });
  };
  const zip = await yauzl.openPromise(options.wheelPath, { lazyEntries: true, autoClose: false });
  try {
    const entries: yauzl.Entry[] = [];
    try {
      for await (const entry of zip.eachEntry()) entries.push(entry);
    } catch (error) {
      // yauzl refuses absolute paths and `..` itself, before any file is written.
      fail(
        `is not a valid wheel archive: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const read = async (entry: yauzl.Entry): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry)) {
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks);
    };
    const byName = new Map(entries.map((entry) => [entry.fileName, entry]));
    const infoDirs = [
      ...new Set(
        entries
          .map((entry) => /^([^/]+\.dist-info)\/WHEEL$/.exec(entry.fileName)?.[1])
          .filter((dir): dir is string => dir !== undefined),
      ),
    ];
    const info = infoDirs.length === 1 ? infoDirs[0] : undefined;
    if (info === undefined) {
      return fail("has not exactly one .dist-info folder with a WHEEL file", infoDirs.join(", "));
    }
    const text = async (path: string): Promise<string | undefined> => {
      const entry = byName.get(`${info}/${path}`);
      return entry === undefined ? undefined : (await read(entry)).toString("utf8");
    };
    const wheel = headers((await text("WHEEL")) ?? "");
    if (!/^1\./.test(wheel.get("wheel-version") ?? "")) {
      fail("is not a version 1 wheel", wheel.get("wheel-version") ?? "no Wheel-Version");
    }
    const metadata = headers((await text("METADATA")) ?? "");
    const name = metadata.get("name") ?? fail("has no Name in METADATA");
    const version = metadata.get("version") ?? fail("has no Version in METADATA");
    const recordText = (await text("RECORD")) ?? fail("has no RECORD");
    const record = new Map(parseRecord(recordText).map((row) => [row.path, row]));
    const dataDir = `${info.slice(0, -".dist-info".length)}.data`;
    const libDir =
      (wheel.get("root-is-purelib") ?? "true").toLowerCase() === "true"
        ? options.scheme.purelib
        : options.scheme.platlib;

    const written: { image: string; hash: string; size: number; changed: boolean }[] = [];
    const installed = new Map<string, string>();
    const put = async (image: string, bytes: Buffer, mode: number): Promise<string> => {
      const host = join(options.root, image);
      await mkdir(join(host, ".."), { recursive: true });
      await writeFile(host, bytes, { flag: "wx" }).catch((error: unknown) => {
        if (isExists(error)) fail("writes one path twice", image);
        throw error;
      });
      await chmod(host, mode);
      return `sha256=${createHash("sha256").update(bytes).digest("base64url")}`;
    };

    for (const entry of entries) {
      const path = entry.fileName;
      if (path.endsWith("/")) continue;
      if (path === `${info}/RECORD` || /^[^/]+\.dist-info\/RECORD\.(jws|p7s)$/.test(path)) continue;
      if (path.startsWith("/") || path.split("/").some((part) => part === ".." || part === "")) {
        fail("has a path that leaves its folder", path);
      }
      const row = record.get(path) ?? fail("has a file RECORD does not list", path);
      let bytes = await read(entry);
      const digest = `sha256=${createHash("sha256").update(bytes).digest("base64url")}`;
      if (row.hash !== digest) fail(`${path} does not match its RECORD hash`, digest);
      let image: string;
      let mode = ((entry.externalFileAttributes >>> 16) & 0o111) !== 0 ? 0o755 : 0o644;
      let changed = false;
      if (path.startsWith(`${dataDir}/`)) {
        const [scheme, ...rest] = path.slice(dataDir.length + 1).split("/");
        if (!isSchemeKey(scheme) || rest.length === 0) {
          return fail(`has a .data folder that is not a scheme (${SCHEMES.join(", ")})`, path);
        }
        const folder = options.scheme[scheme];
        image = posix.join(folder, ...rest);
        if (scheme === "scripts") {
          mode = 0o755;
          const shebang = /^#!python(w)?[^\n]*\n/.exec(bytes.subarray(0, 256).toString("latin1"));
          if (shebang !== null) {
            bytes = Buffer.concat([
              Buffer.from(`#!${options.interpreter}\n`),
              bytes.subarray(shebang[0].length),
            ]);
            changed = true;
          }
        }
      } else {
        image = posix.join(libDir, path);
      }
      const hash = await put(image, bytes, mode);
      written.push({ image, hash: changed ? hash : row.hash, size: bytes.length, changed });
      installed.set(path, image);
    }

    const scripts: string[] = [];
    for (const [section, entries] of entryPoints((await text("entry_points.txt")) ?? "")) {
      if (section !== "console_scripts" && section !== "gui_scripts") continue;
      for (const [script, target] of entries) {
        if (!/^[\w.-]+$/.test(script)) fail("has a script name that is not a file name", script);
        let body: string;
        try {
          body = scriptText(options.interpreter, target);
        } catch {
          return fail(`has an entry point envforge cannot write (${script})`, target);
        }
        const image = posix.join(options.scheme.scripts, script);
        const bytes = Buffer.from(body);
        written.push({
          image,
          hash: await put(image, bytes, 0o755),
          size: bytes.length,
          changed: true,
        });
        scripts.push(script);
      }
    }
    const installer = Buffer.from("envforge\n");
    const installerPath = posix.join(libDir, info, "INSTALLER");
    written.push({
      image: installerPath,
      hash: await put(installerPath, installer, 0o644),
      size: installer.length,
      changed: true,
    });
    const recordPath = posix.join(libDir, info, "RECORD");
    const rows = [
      ...written.map(
        (file) => `${csvField(posix.relative(libDir, file.image))},${file.hash},${file.size}`,
      ),
      `${csvField(posix.relative(libDir, recordPath))},,`,
    ];
    await put(recordPath, Buffer.from(`${rows.join("\n")}\n`), 0o644);
    return {
      name,
      version,
      files: [...written.map((file) => file.image), recordPath].sort(),
      scripts: scripts.sort(),
    };
  } finally {
    zip.close();
  }
}

/** RFC 822-style headers (WHEEL, METADATA): the first value of each key, keys lower case. */
function headers(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (match?.[1] !== undefined && !found.has(match[1].toLowerCase())) {
      found.set(match[1].toLowerCase(), (match[2] ?? "").trim());
    }
  }
  return found;
}

/** RECORD is CSV: path,hash,size; a path with a comma is quoted. */
function parseRecord(text: string): RecordRow[] {
  const rows: RecordRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < line.length; i += 1) {
      const char = line[i];
      if (quoted) {
        if (char === '"' && line[i + 1] === '"') {
          field += '"';
          i += 1;
        } else if (char === '"') quoted = false;
        else field += char;
      } else if (char === '"') quoted = true;
      else if (char === ",") {
        fields.push(field);
        field = "";
      } else field += char;
    }
    fields.push(field);
    rows.push({ path: fields[0] ?? "", hash: fields[1] ?? "", size: fields[2] ?? "" });
  }
  return rows;
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** entry_points.txt (an INI file): section → [name, target] pairs in file order. */
function entryPoints(text: string): Map<string, [string, string][]> {
  const sections = new Map<string, [string, string][]>();
  let current: [string, string][] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[([^\]]+)\]$/.exec(line)?.[1];
    if (section !== undefined) {
      current = [];
      sections.set(section.trim(), current);
      continue;
    }
    const pair = /^([^=]+?)\s*=\s*(.+)$/.exec(line);
    if (pair?.[1] !== undefined && pair[2] !== undefined) current?.push([pair[1], pair[2]]);
  }
  return sections;
}

function isExists(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "EEXIST";
}

/**
 * Unpacks a conda package archive (`.tar.bz2`, or `.conda`: a zip holding `info-*.tar.zst` and
 * `pkg-*.tar.zst`) into a folder, faithfully: file modes (minus group/other write and the
 * set-id bits), symbolic links as links, hard links as links. Entries that would land outside the
 * folder are refused, so a hostile archive cannot write anywhere else.
 */
import { spawn } from "node:child_process";
import { constants, createReadStream, createWriteStream } from "node:fs";
import { access, chmod, link, mkdir, open, rm, symlink, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { Transform } from "node:stream";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Decompress } from "fzstd";
import * as tarStream from "tar-stream";
import unbzip2 from "unbzip2-stream";
import yauzl from "yauzl";
import { ExternalError, ValidationError } from "../errors/index.js";

export type ArchiveFormat = "tar.bz2" | "conda";

export interface ExtractOptions {
  readonly archivePath: string;
  readonly format: ArchiveFormat;
  /** A folder that does not exist yet or is empty. */
  readonly destination: string;
  /** Names the package in messages, e.g. `zlib-1.2.11-h7b6447c_3.tar.bz2`. */
  readonly label: string;
  /**
   * A program that decompresses `.tar.bz2` as `PROGRAM -dc` (`bzip2`, `lbzip2`): `bzip2` is
   * about 7 times faster than the JavaScript decoder used without one (see findProgram).
   */
  readonly bzip2Program?: string;
}

export interface ExtractResult {
  /** Things that were unpacked differently from what the archive asked, said plainly. */
  readonly warnings: readonly string[];
}

/** `.conda` or `.tar.bz2` from a package file name; anything else is not a conda package. */
export function archiveFormatOf(filename: string): ArchiveFormat {
  if (filename.endsWith(".conda")) return "conda";
  if (filename.endsWith(".tar.bz2")) return "tar.bz2";
  throw ValidationError.single({
    message: "not a conda package file name",
    found: JSON.stringify(filename),
    allowed: "a name ending in .conda or .tar.bz2",
  });
}

/** Drops the archive's `.conda` / `.tar.bz2` suffix: `zlib-1.2.11-h7b6447c_3`. */
export function distNameOf(filename: string): string {
  return filename.replace(/\.(conda|tar\.bz2)$/, "");
}

export async function extractPackage(options: ExtractOptions): Promise<ExtractResult> {
  await mkdir(options.destination, { recursive: true });
  const state: TarState = {
    root: options.destination,
    label: options.label,
    symlinks: new Set(),
    written: new Set(),
    dirs: new Set(),
    pending: [],
    warnings: [],
  };
  try {
    if (options.format === "tar.bz2" && options.bzip2Program !== undefined) {
      await extractWithProgram(options.bzip2Program, options.archivePath, state);
    } else if (options.format === "tar.bz2") {
      const file = createReadStream(options.archivePath);
      const decompressed = unbzip2();
      file.on("error", (error) => decompressed.emit("error", error));
      await extractTar(file.pipe(decompressed), state);
    } else {
      await extractConda(options.archivePath, state);
    }
  } catch (error) {
    if (error instanceof ExternalError || error instanceof ValidationError) throw error;
    throw new ExternalError(`${options.label}: cannot unpack: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return { warnings: state.warnings };
}

/** tar-stream's entry (a streamx readable) as far as this file uses it. */
type TarEntry = AsyncIterable<unknown> & { readonly header: tarStream.Header; resume(): unknown };

/** The first executable `name` on `searchPath` (a PATH value), or undefined. */
export async function findProgram(
  name: string,
  searchPath: string | undefined,
): Promise<string | undefined> {
  for (const dir of (searchPath ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function extractWithProgram(
  program: string,
  archivePath: string,
  state: TarState,
): Promise<void> {
  const child = spawn(program, ["-dc"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // A dead child closes its stdin; the exit code below says why, so the pipe error is noise.
  child.stdin.on("error", () => undefined);
  const exited = new Promise<void>((done, fail) => {
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? done() : fail(new Error(`${program} failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
  const file = createReadStream(archivePath);
  file.on("error", (error) => child.stdout.destroy(error));
  file.pipe(child.stdin);
  try {
    await Promise.all([extractTar(child.stdout, state), exited]);
  } finally {
    child.kill();
  }
}

interface TarState {
  readonly root: string;
  readonly label: string;
  /** Archive paths unpacked as symbolic links: nothing may be written through them. */
  readonly symlinks: Set<string>;
  readonly written: Set<string>;
  /** Small-file writes in flight. */
  readonly pending: Promise<void>[];
  /** Folders already made, so each is made once. */
  readonly dirs: Set<string>;
  readonly warnings: string[];
}

async function extractConda(archivePath: string, state: TarState): Promise<void> {
  const zip = await yauzl.openPromise(archivePath, { lazyEntries: true, autoClose: false });
  try {
    let sawInfo = false;
    for await (const entry of zip.eachEntry()) {
      const isInfo = /^info-.*\.tar\.zst$/.test(entry.fileName);
      const isPkg = /^pkg-.*\.tar\.zst$/.test(entry.fileName);
      if (!isInfo && !isPkg) continue;
      sawInfo ||= isInfo;
      const stream = await zip.openReadStreamPromise(entry);
      await extractTar(stream.pipe(zstdDecompressor()), state);
    }
    if (!sawInfo) {
      throw new ExternalError(`${state.label}: not a conda package: no info-*.tar.zst inside`);
    }
  } finally {
    zip.close();
  }
}

/** fzstd's streaming decoder as a Node transform. */
function zstdDecompressor(): Transform {
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        decoder.push(chunk);
        done();
      } catch (error) {
        done(toError(error));
      }
    },
    flush(done) {
      try {
        decoder.push(new Uint8Array(0), true);
        done();
      } catch (error) {
        done(toError(error));
      }
    },
  });
  const decoder = new Decompress((data) => transform.push(Buffer.from(data)));
  return transform;
}

async function extractTar(source: Readable, state: TarState): Promise<void> {
  const extract = tarStream.extract();
  source.on("error", (error) => extract.destroy(error));
  source.pipe(extract);
  try {
    for await (const entry of extract) {
      await writeEntry(entry, state);
    }
    await settle(state);
  } catch (error) {
    // Let writes in flight finish before the caller removes the folder.
    await Promise.allSettled(state.pending.splice(0));
    throw error;
  } finally {
    source.destroy();
  }
}

async function writeEntry(entry: TarEntry, state: TarState): Promise<void> {
  const header = entry.header;
  if (header.name.startsWith("/")) refuseUnsafe(header.name, state, "archive entry");
  const name = normalizeEntryName(header.name);
  if (name === "") {
    entry.resume();
    return;
  }
  refuseUnsafe(name, state, "archive entry");
  const target = join(state.root, name);
  const type = header.type ?? "file";
  const small = (type === "file" || type === "contiguous-file") && header.size <= LARGE_FILE;
  if (!small || state.written.has(name)) await settle(state);
  if (state.written.has(name)) await rm(target, { recursive: true, force: true });
  if (type !== "directory") await makeDir(dirname(target), state);

  switch (type) {
    case "file":
    case "contiguous-file":
      if (header.size > LARGE_FILE) {
        await pipeline(entry, createWriteStream(target, { flags: "wx" }));
        await chmod(target, keptMode(header.mode));
      } else {
        const data = await readAll(entry);
        // Small files are written concurrently (the thread pool overlaps the syscalls); any
        // other entry first waits for them, so links and replacements see finished files.
        state.pending.push(writeSmallFile(target, data, keptMode(header.mode)));
        if (state.pending.length >= PENDING_WRITES) await settle(state);
      }
      break;
    case "directory":
      entry.resume();
      await makeDir(target, state);
      break;
    case "symlink": {
      entry.resume();
      const linkname = header.linkname ?? "";
      if (linkname === "") {
        // Seen in real packages: a link whose target was lost. A zero-length file is what the
        // same package's .tar.bz2 holds, so both formats give the same prefix.
        state.warnings.push(
          `${state.label}: ${name} is a symbolic link with no target; written as an empty file`,
        );
        await writeFile(target, "", { flag: "wx" });
      } else {
        await symlink(linkname, target);
        state.symlinks.add(name);
      }
      break;
    }
    case "link": {
      entry.resume();
      const raw = header.linkname ?? "";
      if (raw.startsWith("/")) refuseUnsafe(raw, state, "hard link target");
      const source = normalizeEntryName(raw);
      refuseUnsafe(source, state, "hard link target");
      await link(join(state.root, source), target);
      break;
    }
    default:
      entry.resume();
      state.warnings.push(`${state.label}: ${name} is a ${type} entry; skipped`);
      return;
  }
  state.written.add(name);
}

/** Files up to this size are read into memory and written with one open. */
const LARGE_FILE = 4 * 1024 * 1024;

const PENDING_WRITES = 32;

async function readAll(entry: TarEntry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) if (Buffer.isBuffer(chunk)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function settle(state: TarState): Promise<void> {
  const pending = state.pending.splice(0);
  await Promise.all(pending);
}

async function writeSmallFile(target: string, data: Buffer, mode: number): Promise<void> {
  const file = await open(target, "wx", mode);
  try {
    await file.writeFile(data);
    // The process umask must not change what the package asked for.
    await file.chmod(mode);
  } finally {
    await file.close();
  }
}

async function makeDir(dir: string, state: TarState): Promise<void> {
  if (state.dirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  state.dirs.add(dir);
}

/** `./lib/x` and `lib//x` are `lib/x`; the root itself is "". */
function normalizeEntryName(name: string): string {
  return name
    .split("/")
    .filter((part) => part !== "" && part !== ".")
    .join("/");
}

function refuseUnsafe(name: string, state: TarState, what: string): void {
  const parts = name.split("/");
  const escapes =
    name.startsWith("/") || parts.includes("..") || name.includes("\\") || name.includes("\0");
  const throughLink = parts.some(
    (_, i) => i > 0 && state.symlinks.has(parts.slice(0, i).join("/")),
  );
  if (escapes || throughLink || name === "") {
    throw new ExternalError(
      `${state.label}: ${what} ${JSON.stringify(name)} would be written outside the package folder; refused`,
    );
  }
}

/** Keeps the owner's bits and read/execute for others; drops set-id, sticky and shared write. */
function keptMode(mode: number | undefined): number {
  return (mode ?? 0o644) & 0o755;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

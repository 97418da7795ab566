/**
 * The one tar writer of the builders: a build context for the Docker engine and a native image
 * layer are both written here, so the rules that make their bytes reproducible live in one place:
 * entries in the order given (callers sort them), owners 0:0 with no names, and every entry's time
 * fixed to one instant (SOURCE_DATE_EPOCH or the lock's).
 */
import { once } from "node:events";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import * as tarStream from "tar-stream";
import { fileStream, READ_CHUNK } from "./file-stream.js";

export interface FixedTarEntry {
  /** Path inside the tar; a directory's ends with `/`. */
  readonly name: string;
  readonly type: "file" | "directory" | "symlink";
  readonly mode: number;
  readonly linkname?: string;
  /** A file's bytes, when held in memory. */
  readonly body?: Buffer;
  /** Otherwise the file to stream, with its size. */
  readonly source?: string;
  readonly size?: number;
}

/** A tar stream of `entries`; an error while reading a file ends the stream with that error. */
export function fixedTar(
  entries: readonly FixedTarEntry[] | Promise<readonly FixedTarEntry[]>,
  sourceDateEpoch: number,
): Readable {
  const pack = tarStream.pack();
  const mtime = new Date(sourceDateEpoch * 1000);
  const fill = async (): Promise<void> => {
    const list = await entries;
    const ahead = readAhead(list);
    for (const [index, entry] of list.entries()) {
      const header = {
        name: entry.name,
        mode: entry.mode,
        mtime,
        uid: 0,
        gid: 0,
        uname: "",
        gname: "",
      };
      if (entry.type === "directory") {
        await addEntry(pack, { ...header, type: "directory" });
      } else if (entry.type === "symlink") {
        await addEntry(pack, { ...header, type: "symlink", linkname: entry.linkname ?? "" });
      } else if (entry.body !== undefined) {
        await addEntry(pack, header, entry.body);
      } else {
        const read = ahead.take(index);
        const size = entry.size ?? 0;
        if (read !== undefined) {
          await addEntry(pack, header, await read);
        } else {
          await addFile(pack, { ...header, size }, entry.source ?? "", size);
        }
      }
    }
    pack.finalize();
  };
  fill().catch((error: unknown) =>
    pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack);
}

function addEntry(
  pack: tarStream.Pack,
  header: Partial<tarStream.Header> & Pick<tarStream.Header, "name">,
  body?: Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, body ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve()));
  });
}

async function addFile(
  pack: tarStream.Pack,
  header: Partial<tarStream.Header> & Pick<tarStream.Header, "name">,
  source: string,
  size: number,
): Promise<void> {
  let settle: (error?: Error | null) => void = () => undefined;
  const written = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  // Seen only once the entry ends; a failure of the pack itself ends the whole tar anyway.
  written.catch(() => undefined);
  const sink = pack.entry(header, (error) => settle(error));
  // The entry's failure is the pack's too, and reaches the tar's reader from there.
  sink.on("error", () => undefined);
  let read = 0;
  for await (const chunk of fileStream(source, size)) {
    read += (chunk as Buffer).length;
    // Past the listed size: the file grew; the tar says `size` bytes, so stop here.
    if (read > size) break;
    if (!sink.write(chunk)) await once(sink, "drain");
  }
  if (read !== size) throw changedError(source, read, size);
  // (The entry's callback above says when it is written.)
  sink.end(() => undefined);
  await written;
}

/** A file whose bytes are not the number listed: it changed between the listing and the read. */
function changedError(path: string, read: number, size: number): Error {
  return new Error(
    `${path} changed while it was read: ${read > size ? "more" : read} bytes where ${size} were listed`,
  );
}

/** Files of at most this size are read whole, ahead of the tar; larger ones are streamed. */
const SMALL_FILE = READ_CHUNK;
/** At most this many bytes and files read ahead and not yet in the tar. */
const AHEAD_BYTES = 8 * 1024 * 1024;
const AHEAD_FILES = 32;

/**
 * The small files of `entries` read side by side, a bounded window ahead of the tar. One file
 * after another, each open, read and close was a trip to the thread pool and back to a main
 * thread busy with the rest of the build: ten files of a package took 17 ms, the time it takes
 * to deflate them.
 */
function readAhead(entries: readonly FixedTarEntry[]): {
  take(index: number): Promise<Buffer> | undefined;
} {
  const small = (entry: FixedTarEntry | undefined): entry is FixedTarEntry & { source: string } =>
    entry?.type === "file" &&
    entry.body === undefined &&
    entry.source !== undefined &&
    (entry.size ?? 0) <= SMALL_FILE;
  const reads = new Map<number, Promise<Buffer>>();
  let next = 0;
  let heldBytes = 0;
  const fillWindow = (): void => {
    for (; next < entries.length; next += 1) {
      const entry = entries[next];
      if (!small(entry)) continue;
      const size = entry.size ?? 0;
      if (reads.size >= AHEAD_FILES || (reads.size > 0 && heldBytes + size > AHEAD_BYTES)) return;
      const read = readWhole(entry.source, size);
      // Awaited by take(); a failure is seen there, not as an unhandled rejection here.
      read.catch(() => undefined);
      reads.set(next, read);
      heldBytes += size;
    }
  };
  fillWindow();
  return {
    take(index) {
      const read = reads.get(index);
      if (read === undefined) return undefined;
      reads.delete(index);
      heldBytes -= entries[index]?.size ?? 0;
      fillWindow();
      return read;
    },
  };
}

/** The file's `size` bytes; an error when it holds another number of bytes (it changed). */
async function readWhole(path: string, size: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    // One byte more than expected shows a file that grew.
    const buffer = Buffer.allocUnsafe(size + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) break;
    }
    if (filled !== size) throw changedError(path, filled, size);
    return buffer.subarray(0, size);
  } finally {
    await file.close();
  }
}

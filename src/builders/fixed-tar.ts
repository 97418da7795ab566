/**
 * The one tar writer of the builders: a build context for the Docker engine and a native image
 * layer are both written here, so the rules that make their bytes reproducible live in one place:
 * entries in the order given (callers sort them), owners 0:0 with no names, and every entry's time
 * fixed to one instant (SOURCE_DATE_EPOCH or the lock's).
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import * as tarStream from "tar-stream";

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
        if (read !== undefined) await addEntry(pack, header, await read);
        else
          await addFile(pack, { ...header, size: entry.size ?? 0 }, entry.source ?? "", entry.size);
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

function addFile(
  pack: tarStream.Pack,
  header: Partial<tarStream.Header> & Pick<tarStream.Header, "name">,
  source: string,
  size: number | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
    const file = createReadStream(source, { highWaterMark: readSize(size) });
    file.on("error", (error) => {
      sink.destroy(error);
      reject(error);
    });
    file.pipe(sink);
  });
}

/**
 * Bytes per read of a file: the whole file up to 1 MiB, else 1 MiB. Fewer, larger reads keep
 * the thread pool (where a layer's gzip also runs) and the main thread free; a small file's
 * buffer is no larger than the file.
 */
function readSize(size: number | undefined): number {
  return Math.min(Math.max(size ?? READ_CHUNK, 1), READ_CHUNK);
}

const READ_CHUNK = 1024 * 1024;

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
    if (filled !== size) {
      throw new Error(
        `${path} changed while it was read: ${filled === size + 1 ? "more" : filled} bytes where ${size} were listed`,
      );
    }
    return buffer.subarray(0, size);
  } finally {
    await file.close();
  }
}

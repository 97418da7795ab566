/**
 * The one tar writer of the builders: a build context for the Docker engine and a native image
 * layer are both written here, so the rules that make their bytes reproducible live in one place:
 * entries in the order given (callers sort them), owners 0:0 with no names, and every entry's time
 * fixed to one instant (SOURCE_DATE_EPOCH or the lock's).
 */
import { createReadStream } from "node:fs";
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
    for (const entry of await entries) {
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

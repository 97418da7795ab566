/**
 * Files read by the builders (a tar's large files, blobs sent to a registry): whole files up to
 * 1 MiB in one read, larger ones 1 MiB a read. Fewer, larger reads keep the thread pool (where a
 * layer's gzip also runs) and the main thread free. No read asks for more than what is left of
 * the file and one byte: a read buffer is allocated at the size asked for, and 1 MiB buffers for
 * an 800-byte blob (and again for the read that finds the end) made most of a build's garbage.
 * The one byte past the listed size shows a file that grew as too many bytes.
 */
import { createReadStream } from "node:fs";
import type { ReadStream } from "node:fs";

export const READ_CHUNK = 1024 * 1024;

export function fileStream(path: string, size: number): ReadStream {
  return createReadStream(path, {
    highWaterMark: Math.min(Math.max(size, 1), READ_CHUNK),
    end: size,
  });
}

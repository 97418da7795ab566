/**
 * gzip in fixed blocks compressed side by side on the thread pool, the way pigz does it: the
 * input is cut every GZIP_BLOCK bytes, each block is deflated on its own with the 32 KiB before
 * it as its dictionary (so matches across the cut are still found), every block but the last
 * ends with a sync flush (an empty stored block, so the next starts on a byte), the last with the
 * final block, and one gzip header and trailer (CRC-32 and length of the whole input) go around
 * them. The result is one ordinary gzip member that any reader takes.
 *
 * A block that will not compress is stored, not deflated: deflating random bytes at level 6 costs
 * as much as deflating text and saves nothing. Its stored blocks are written here, not by zlib:
 * a 5-byte header per 64 KiB and the input itself, passed on as views of the buffers it came in,
 * with no copy, no output buffer and no trip to the thread pool. The test
 * looks at sixteen 4 KiB samples spread over the block: a sample whose bytes are near-uniformly
 * spread (order-0 entropy of 7.9 bits per byte or more) is taken for compressed or random data,
 * and the block is stored when at most one sample is below that (so a file's tar header before a
 * megabyte of random bytes does not make the whole block deflated, while a block with a text file
 * among random data is). Counting bytes costs a seventh of what deflating the samples did, on the
 * thread that also hashes and tars. Calibrated on 4 KiB samples: random, gzip, wheel (zip) and
 * most PNG samples are above 7.9; text, Python, .pyc, shared libraries and float arrays are
 * below (float64 at 7.4); deflate at level 1 agreed with it on all but 1 % of the samples, and
 * the block rule absorbs those. On the tars of real packages (torch, scipy, numpy, av, pandas,
 * matplotlib) it stores no block; on already-compressed or random data (archives, media,
 * encrypted files) it stores each block at a fiftieth of the cost of deflating it.
 *
 * The bytes depend only on the input, the level, the block size, this test and zlib's version
 * (stored blocks not even on that): not on how the input arrives in chunks, how many blocks are
 * in flight or which finishes first.
 * A layer of one large package (torch's is 180 MiB) is then compressed on every core, where one
 * deflate stream keeps one busy.
 */
import { constants, crc32, createDeflateRaw } from "node:zlib";
import type { ZlibOptions } from "node:zlib";

/** Uncompressed bytes per block: pigz's default is 128 KiB; larger blocks mean fewer trips. */
export const GZIP_BLOCK = 1024 * 1024;

/** The incompressibility test's samples: SAMPLES of SAMPLE bytes, and the entropy that stores. */
const SAMPLE = 4 * 1024;
const SAMPLES = 16;
const RANDOM_BITS = 7.9;

/** deflate's window: the dictionary each block gets from the block before it. */
const WINDOW = 32 * 1024;

/** Blocks being compressed at once: the thread pool has 4 threads unless told otherwise. */
const IN_FLIGHT = 4;

/**
 * One block's deflate data, in the pieces zlib gave it: the input's and the flush's output are
 * two views of one buffer, which zlib's one-call form would copy into a third (a megabyte a
 * block, and the garbage that comes with it).
 */
function deflate(block: Buffer, options: ZlibOptions): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    createDeflateRaw(options)
      .on("data", (piece: Buffer) => pieces.push(piece))
      .on("end", () => resolve(pieces))
      .on("error", reject)
      .end(block);
  });
}

/**
 * The fixed gzip header: no name, no time, no extra field, "Unix" as the system (what zlib's own
 * gzip writes on Linux, so only the deflate data differs from a single stream's).
 */
function header(level: number): Buffer {
  // XFL: 2 for the slowest level, 4 for the fastest, 0 otherwise (RFC 1952, as zlib sets it).
  const xfl = level === 9 ? 2 : level === 1 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

/**
 * Room for any block's deflate output: deflate can grow incompressible input by 5 bytes per
 * 16 KiB stored block, plus the flush's few bytes (zlib's deflateBound, with margin).
 */
function outputBound(length: number): number {
  return length + (length >>> 12) + 1024;
}

/** c·log2(c) for every count a sample can hold: the entropy sum without a log per byte value. */
const C_LOG_C = Float64Array.from({ length: SAMPLE + 1 }, (_, c) =>
  c === 0 ? 0 : c * Math.log2(c),
);

/**
 * Whether deflate would save next to nothing on `block`: of SAMPLES slices at even steps through
 * it, at most one has an order-0 entropy under RANDOM_BITS bits per byte. Blocks too short to
 * sample are never stored.
 */
export function incompressible(block: Buffer | Block): boolean {
  const { pieces, length } = Buffer.isBuffer(block)
    ? { pieces: [block], length: block.length }
    : block;
  if (length < SAMPLE * SAMPLES) return false;
  const step = Math.floor((length - SAMPLE) / (SAMPLES - 1));
  const counts = new Uint32Array(256);
  let compressible = 0;
  for (let i = 0; i < SAMPLES; i += 1) {
    counts.fill(0);
    const sample = slice(pieces, i * step, i * step + SAMPLE);
    for (const byte of sample) counts[byte] = (counts[byte] as number) + 1;
    // H = log2(n) − Σ c·log2(c) / n
    let sum = 0;
    for (const count of counts) sum += C_LOG_C[count] as number;
    if (Math.log2(SAMPLE) - sum / SAMPLE < RANDOM_BITS) compressible += 1;
    if (compressible > 1) return false;
  }
  return true;
}

/**
 * One block of input as the buffers it arrived in (views of them, in order), not joined: a
 * stored block never needs them in one piece.
 */
export interface Block {
  readonly pieces: readonly Buffer[];
  readonly length: number;
}

/** Bytes `start` to `end` of `pieces`: a view when one piece holds them all, else a copy. */
function slice(pieces: readonly Buffer[], start: number, end: number): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const piece of pieces) {
    const from = Math.max(start - at, 0);
    const to = Math.min(end - at, piece.length);
    if (from < to) parts.push(piece.subarray(from, to));
    at += piece.length;
    if (at >= end) break;
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, end - start);
}

/** deflate's stored blocks hold at most this many bytes (LEN is 16 bits). */
const STORED_MAX = 65_535;

/**
 * `block` as deflate stored blocks (RFC 1951, 3.2.4): each a header byte (BFINAL, type 00, the
 * rest of the byte empty), LEN and its complement NLEN, then LEN bytes of input as views of the
 * block's pieces. It starts on a byte, as the sync flush before it leaves the stream, and ends
 * on one, so the block after it starts on a byte as well; `last` marks the stream's final block.
 */
function storedBlocks(block: Block, last: boolean): Buffer[] {
  const count = Math.max(1, Math.ceil(block.length / STORED_MAX));
  const headers = Buffer.alloc(5 * count);
  const out: Buffer[] = [];
  let piece = 0;
  let offset = 0;
  for (let i = 0, left = block.length; i < count; i += 1) {
    const size = Math.min(left, STORED_MAX);
    left -= size;
    const header = headers.subarray(5 * i, 5 * i + 5);
    header[0] = last && i === count - 1 ? 1 : 0;
    header.writeUInt16LE(size, 1);
    header.writeUInt16LE(~size & 0xffff, 3);
    out.push(header);
    for (let want = size; want > 0;) {
      const from = block.pieces[piece] as Buffer;
      const take = Math.min(want, from.length - offset);
      out.push(from.subarray(offset, offset + take));
      want -= take;
      offset += take;
      if (offset === from.length) {
        piece += 1;
        offset = 0;
      }
    }
  }
  return out;
}

/** The input cut into blocks of exactly `size` bytes (the last may be shorter), not copied. */
async function* cut(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  size: number,
): AsyncGenerator<Block> {
  let pieces: Buffer[] = [];
  let held = 0;
  for await (const chunk of source) {
    let rest = chunk;
    while (held + rest.length >= size) {
      const take = size - held;
      pieces.push(rest.subarray(0, take));
      yield { pieces, length: size };
      rest = rest.subarray(take);
      pieces = [];
      held = 0;
    }
    if (rest.length > 0) {
      pieces.push(rest);
      held += rest.length;
    }
  }
  if (held > 0) yield { pieces, length: held };
}

/**
 * The gzip of `source`, in order: header, each block's deflate data, trailer. At most IN_FLIGHT
 * blocks are held (read ahead and being compressed), so memory stays a few MiB.
 */
export async function* blockGzip(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  options: { readonly level: number; readonly blockSize?: number },
): AsyncGenerator<Buffer> {
  const blockSize = options.blockSize ?? GZIP_BLOCK;
  yield header(options.level);
  let crc = 0;
  let length = 0;
  let previous: Block | undefined;
  const pending: Promise<Buffer[]>[] = [];
  const start = (block: Block, last: boolean): void => {
    if (incompressible(block)) {
      pending.push(Promise.resolve(storedBlocks(block, last)));
      return;
    }
    const dictionary =
      previous === undefined
        ? undefined
        : slice(previous.pieces, Math.max(0, previous.length - WINDOW), previous.length);
    const compressed = deflate(slice(block.pieces, 0, block.length), {
      level: options.level,
      // The whole block's output in one buffer: one trip to the thread pool per block, where
      // zlib's default 16 KiB would come back to the main thread some sixty times a MiB.
      chunkSize: outputBound(block.length),
      finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      ...(dictionary === undefined ? {} : { dictionary }),
    });
    // Awaited in order below; a failure is seen there, not as an unhandled rejection here.
    compressed.catch(() => undefined);
    pending.push(compressed);
  };
  // One block is held back until the next arrives: only then is it known not to be the last.
  let held: Block | undefined;
  for await (const block of cut(source, blockSize)) {
    for (const piece of block.pieces) crc = crc32(piece, crc);
    length += block.length;
    if (held !== undefined) {
      start(held, false);
      previous = held;
    }
    held = block;
    while (pending.length >= IN_FLIGHT) yield* await (pending.shift() as Promise<Buffer[]>);
  }
  start(held ?? { pieces: [], length: 0 }, true);
  while (pending.length > 0) yield* await (pending.shift() as Promise<Buffer[]>);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  // ISIZE: the input's length modulo 2^32.
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  yield trailer;
}

import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { GZIP_BLOCK, blockGzip, incompressible } from "./block-gzip.js";

const run = promisify(execFile);
const BLOCK = 64 * 1024;
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Text that compresses, with repeats that reach across block boundaries. */
function compressible(size: number): Buffer {
  const line = (i: number) =>
    `${i % 97} lib/python3.11/site-packages/numpy/core/_multiarray_${i % 13}.py\n`;
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i += 1) {
    parts.push(line(i));
    length += line(i).length;
  }
  return Buffer.from(parts.join("")).subarray(0, size);
}

async function gzipOf(input: Buffer, chunk: number, level = 6): Promise<Buffer> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < input.length; at += chunk) yield input.subarray(at, at + chunk);
  }
  const out: Buffer[] = [];
  for await (const piece of blockGzip(chunks(), { level, blockSize: BLOCK })) out.push(piece);
  return Buffer.concat(out);
}

describe("blockGzip", () => {
  it.each([0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 12_345, 9 * BLOCK])(
    "gives back %i bytes through gunzip, random and compressible",
    async (size) => {
      for (const input of [randomBytes(size), compressible(size)]) {
        const gzipped = await gzipOf(input, 10_000);
        expect(gunzipSync(gzipped).equals(input)).toBe(true);
      }
    },
  );

  it("is the same bytes however the input arrives, and one gzip member with a fixed header", async () => {
    const input = compressible(5 * BLOCK + 777);
    const reference = await gzipOf(input, 4096);
    for (const chunk of [1000, BLOCK, BLOCK + 1, 3 * BLOCK, input.length]) {
      expect((await gzipOf(input, chunk)).equals(reference)).toBe(true);
    }
    // Stored and deflated blocks alike: a block's pieces, samples and dictionary may each span
    // several chunks of input.
    const mixed = Buffer.concat([randomBytes(2 * BLOCK + 300), input, randomBytes(BLOCK)]);
    const whole = await gzipOf(mixed, mixed.length);
    for (const chunk of [777, 4096, 7777, BLOCK + 1]) {
      expect((await gzipOf(mixed, chunk)).equals(whole), `chunks of ${chunk}`).toBe(true);
    }
    // No name, no time, OS Unix; CRC-32 and length in the trailer.
    expect([...reference.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    expect(reference.readUInt32LE(reference.length - 4)).toBe(input.length);
  });

  it("compresses as well as one deflate stream, give or take the sync flushes", async () => {
    const input = compressible(8 * BLOCK);
    const blocks = await gzipOf(input, 65_536);
    const single = gzipSync(input, { level: 6 });
    expect(blocks.length).toBeLessThan(single.length * 1.01);
  });

  it("is read by the system's gzip and reports the right CRC", async () => {
    const dir = await mkdtemp(join(tmpdir(), "envforge-block-gzip-"));
    dirs.push(dir);
    const input = Buffer.concat([compressible(2 * BLOCK), randomBytes(BLOCK + 5)]);
    const file = join(dir, "data.gz");
    await writeFile(file, await gzipOf(input, 50_000));
    await run("gzip", ["-t", file]);
    const { stdout } = await run("gzip", ["-dc", file], {
      encoding: "buffer",
      maxBuffer: 1 << 24,
    });
    expect(Buffer.from(stdout).equals(input)).toBe(true);
  });

  it("pins the bytes of a layer larger than a block (zlib 1.3.1-e00f703, Node 20's)", async (context) => {
    // A change of block size, dictionary or framing changes every large layer's digest: this
    // says so (the golden digest test's image is smaller than one block).
    if (process.versions.zlib !== "1.3.1-e00f703") context.skip();
    const input = compressible(2 * GZIP_BLOCK + 500_000);
    const out: Buffer[] = [];
    for await (const piece of blockGzip([input], { level: 6 })) out.push(piece);
    const digest = createHash("sha256").update(Buffer.concat(out)).digest("hex");
    expect(digest).toBe("8ae55edff9f6c2cc37a0b73d11d460188702e6c3aa49422063d24e1e239d2e24");
  });

  it("stores blocks that will not compress and deflates the rest", async () => {
    const random = randomBytes(4 * BLOCK);
    const text = compressible(4 * BLOCK);
    expect(incompressible(random)).toBe(true);
    expect(incompressible(text)).toBe(false);
    // Too short to sample: deflated whatever it holds.
    expect(incompressible(randomBytes(BLOCK / 2))).toBe(false);
    // Stored: deflate's stored blocks cost 5 bytes per 64 KiB, and the output reads back.
    const stored = await gzipOf(random, 10_000);
    expect(stored.length).toBeLessThan(random.length + 200);
    expect(gunzipSync(stored).equals(random)).toBe(true);
    // A block of text with random data around it is still deflated: one sample of four is text.
    const mixed = Buffer.concat([
      randomBytes(BLOCK / 4),
      text.subarray(0, BLOCK / 2),
      randomBytes(BLOCK / 4),
    ]);
    expect(incompressible(mixed)).toBe(false);
    // A tar header or two before random bytes: still not worth deflating.
    expect(incompressible(Buffer.concat([Buffer.alloc(3 * 512), randomBytes(BLOCK)]))).toBe(true);
  });

  it("passes a stored block's input on as views, framed by 5-byte headers", async () => {
    // Whole blocks only: a last block too short to sample is deflated.
    const input = randomBytes(3 * BLOCK);
    const pieces: Buffer[] = [];
    for await (const piece of blockGzip([input], { level: 6, blockSize: BLOCK }))
      pieces.push(piece);
    // Every input byte goes out in a view of the input itself: nothing was copied.
    const views = pieces.filter((piece) => piece.buffer === input.buffer);
    expect(views.reduce((sum, view) => sum + view.length, 0)).toBe(input.length);
    // Each view follows its stored block's header: BFINAL (only on the very last), LEN, NLEN.
    const gzipped = Buffer.concat(pieces);
    let at = 10;
    let data = 0;
    for (;;) {
      const final = gzipped[at] === 1;
      expect(gzipped[at] === 0 || final).toBe(true);
      const length = gzipped.readUInt16LE(at + 1);
      expect(gzipped.readUInt16LE(at + 3)).toBe(~length & 0xffff);
      expect(
        gzipped.subarray(at + 5, at + 5 + length).equals(input.subarray(data, data + length)),
      ).toBe(true);
      at += 5 + length;
      data += length;
      if (final) break;
    }
    expect(data).toBe(input.length);
    // Then only the trailer.
    expect(gzipped.length - at).toBe(8);
  });

  it("pins the bytes of a layer with stored and deflated blocks (zlib 1.3.1-e00f703)", async (context) => {
    // Random bytes from a fixed seed: one block stored, one deflated, one stored.
    if (process.versions.zlib !== "1.3.1-e00f703") context.skip();
    const seeded = createHash("sha512");
    const noise = Buffer.alloc(GZIP_BLOCK);
    for (let at = 0, counter = 0; at < noise.length; at += 64, counter += 1) {
      seeded.copy().update(String(counter)).digest().copy(noise, at);
    }
    const input = Buffer.concat([noise, compressible(GZIP_BLOCK), noise.subarray(0, 300_000)]);
    const out: Buffer[] = [];
    for await (const piece of blockGzip([input], { level: 6 })) out.push(piece);
    const gzipped = Buffer.concat(out);
    expect(gunzipSync(gzipped).equals(input)).toBe(true);
    expect(gzipped.length).toBeGreaterThan(GZIP_BLOCK + 300_000);
    const digest = createHash("sha256").update(gzipped).digest("hex");
    expect(digest).toBe("a89a4152ded0afdd3a052a268a9170888c9e77341d0db7fec9eb059821db455f");
  });

  it("writes the level into the header's XFL as zlib does", async () => {
    expect((await gzipOf(Buffer.from("x"), 1, 1))[8]).toBe(4);
    expect((await gzipOf(Buffer.from("x"), 1, 9))[8]).toBe(2);
  });
});

/**
 * The tar writer on real files: small files are read ahead, side by side, and must still land in
 * the tar in the order given with their own bytes; a file that changed since it was listed ends
 * the stream with an error naming it.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import * as tarStream from "tar-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedTar } from "../../src/builders/fixed-tar.js";
import type { FixedTarEntry } from "../../src/builders/fixed-tar.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-tar-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileEntry(name: string, bytes: Buffer, listedSize = bytes.length) {
  const source = join(dir, name.replaceAll("/", "_"));
  await writeFile(source, bytes);
  return { name, type: "file", mode: 0o644, source, size: listedSize } as const;
}

async function contents(tar: Buffer): Promise<[string, Buffer][]> {
  const extract = tarStream.extract();
  const found: [string, Buffer][] = [];
  extract.on("entry", (header, stream, next) => {
    void buffer(stream).then((bytes) => {
      found.push([header.name, bytes]);
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on("finish", () => resolve()).on("error", reject);
  });
  extract.end(tar);
  await done;
  return found;
}

describe("fixedTar on files", () => {
  it("puts more small files than it reads ahead, and large ones, in order with their bytes", async () => {
    const bytes = new Map<string, Buffer>();
    const entries: FixedTarEntry[] = [{ name: "data/", type: "directory", mode: 0o755 }];
    // 70 files: twice the read-ahead window; a 3 MiB file in the middle is streamed; the sizes
    // vary so a file read into the wrong entry changes the tar.
    for (let i = 0; i < 70; i += 1) {
      const name = `data/f${String(i).padStart(2, "0")}`;
      const content = randomBytes(i === 35 ? 3 * 1024 * 1024 : i * 97 + (i % 3) * 4096);
      bytes.set(name, content);
      entries.push(await fileEntry(name, content));
    }
    entries.push({ name: "data/z", type: "file", mode: 0o644, body: Buffer.from("in memory") });
    const found = await contents(await buffer(fixedTar(entries, 0)));
    expect(found.map(([name]) => name)).toEqual(entries.map((entry) => entry.name));
    for (const [name, content] of found.slice(1, -1)) {
      expect(content.equals(bytes.get(name) ?? Buffer.alloc(0)), name).toBe(true);
    }
    expect(found.at(-1)?.[1].toString()).toBe("in memory");
  });

  it("fails naming a file that grew since it was listed", async () => {
    const grown = await fileEntry("grown", Buffer.from("twelve bytes"), 6);
    await expect(buffer(fixedTar([grown], 0))).rejects.toThrow(
      `${grown.source} changed while it was read: more bytes where 6 were listed`,
    );
  });

  it("fails on a large (streamed) file that grew or shrank since it was listed", async () => {
    const MiB = 1024 * 1024;
    const grown = await fileEntry("big-grown", randomBytes(3 * MiB), 2 * MiB);
    await expect(buffer(fixedTar([grown], 0))).rejects.toThrow(
      `${grown.source} changed while it was read: more bytes where ${2 * MiB} were listed`,
    );
    const shrunk = await fileEntry("big-shrunk", randomBytes(2 * MiB), 3 * MiB);
    await expect(buffer(fixedTar([shrunk], 0))).rejects.toThrow(
      `${shrunk.source} changed while it was read: ${2 * MiB} bytes where ${3 * MiB} were listed`,
    );
  });

  it("fails naming a file that shrank since it was listed", async () => {
    const shrunk = await fileEntry("shrunk", Buffer.from("four"), 10);
    await expect(buffer(fixedTar([shrunk], 0))).rejects.toThrow(
      `${shrunk.source} changed while it was read: 4 bytes where 10 were listed`,
    );
  });
});

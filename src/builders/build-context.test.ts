import { mkdir, mkdtemp, rm, symlink, utimes, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tarStream from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { contextTar } from "./build-context.js";
import type { ContextItem } from "./build-context.js";

let root = "";

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "envforge-context-test-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function bytesOf(items: readonly ContextItem[], sourceDateEpoch?: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of contextTar({
    items,
    ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
  })) {
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

interface Entry {
  name: string;
  type: string;
  mode: number;
  mtime: number;
  uid: number;
  linkname?: string | null;
  body: string;
}

async function entriesOf(tar: Buffer): Promise<Entry[]> {
  const entries: Entry[] = [];
  const extract = tarStream.extract();
  for await (const entry of (async function* () {
    const done = new Promise<void>((resolve, reject) => {
      extract.on("finish", resolve);
      extract.on("error", reject);
    });
    extract.end(tar);
    yield* extract;
    await done;
  })()) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
    entries.push({
      name: entry.header.name,
      type: entry.header.type,
      mode: entry.header.mode,
      mtime: entry.header.mtime.getTime() / 1000,
      uid: entry.header.uid,
      ...(entry.header.type === "symlink" ? { linkname: entry.header.linkname } : {}),
      body: Buffer.concat(chunks).toString(),
    });
  }
  return entries;
}

/** A conda-group-like folder: a script, a data file, a symlink, a subfolder. */
async function makeTree(name: string, fileTime: number): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, "bin"), { recursive: true });
  await mkdir(join(dir, "share/data"), { recursive: true });
  await writeFile(join(dir, "bin/tool"), "#!/bin/sh\necho hi\n");
  await chmod(join(dir, "bin/tool"), 0o755);
  await writeFile(join(dir, "share/data/a.txt"), "a\n");
  await symlink("tool", join(dir, "bin/tool-link"));
  for (const path of ["bin/tool", "share/data/a.txt"]) {
    await utimes(join(dir, path), fileTime, fileTime);
  }
  return dir;
}

describe("contextTar", () => {
  it("gives the same bytes for the same content whatever the files' times on disk", async () => {
    const one = await makeTree("one", 1_000_000);
    const two = await makeTree("two", 2_000_000);
    const items = (dir: string): ContextItem[] => [
      { kind: "tree", path: "envforge/prefix/group-1/", dir },
      { kind: "text", path: "envforge/Dockerfile", content: "FROM x\n" },
    ];
    expect((await bytesOf(items(one))).equals(await bytesOf(items(two)))).toBe(true);
  });

  it("sorts entries, sets owner 0 and one time, keeps modes and links", async () => {
    const dir = await makeTree("three", 1_234_567);
    const entries = await entriesOf(
      await bytesOf(
        [
          { kind: "text", path: "envforge/Dockerfile", content: "FROM x\n" },
          { kind: "tree", path: "envforge/prefix/runtime/", dir },
        ],
        1_700_000_000,
      ),
    );
    expect(entries.map((e) => [e.name, e.type, e.mode.toString(8), e.linkname ?? ""])).toEqual([
      ["envforge/Dockerfile", "file", "644", ""],
      ["envforge/prefix/runtime/", "directory", "755", ""],
      ["envforge/prefix/runtime/bin/", "directory", "755", ""],
      ["envforge/prefix/runtime/bin/tool", "file", "755", ""],
      ["envforge/prefix/runtime/bin/tool-link", "symlink", "777", "tool"],
      ["envforge/prefix/runtime/share/", "directory", "755", ""],
      ["envforge/prefix/runtime/share/data/", "directory", "755", ""],
      ["envforge/prefix/runtime/share/data/a.txt", "file", "644", ""],
    ]);
    expect(new Set(entries.map((e) => e.mtime))).toEqual(new Set([1_700_000_000]));
    expect(new Set(entries.map((e) => e.uid))).toEqual(new Set([0]));
    expect(entries.find((e) => e.name.endsWith("bin/tool"))?.body).toBe("#!/bin/sh\necho hi\n");
  });

  it("writes the user's listed files from their verified bytes, never from a folder", async () => {
    const listed = (content: ReadonlyMap<string, Uint8Array>): ContextItem => ({
      kind: "listed",
      files: [
        { path: "Dockerfile", size: 7, sha256: "sha256:00", mode: 0o755 },
        { path: "link", size: 10, sha256: "sha256:01", mode: 0o777, linkTarget: "Dockerfile" },
      ],
      content,
    });
    const entries = await entriesOf(
      await bytesOf([listed(new Map([["Dockerfile", Buffer.from("FROM x\n")]]))]),
    );
    expect(entries.map((e) => [e.name, e.type, e.mode.toString(8), e.body])).toEqual([
      ["Dockerfile", "file", "755", "FROM x\n"],
      ["link", "symlink", "777", ""],
    ]);
    const error = await bytesOf([listed(new Map())]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe(
      "Dockerfile: build context: the file's verified content was not given to the build",
    );
  });

  it("refuses two entries with one path", async () => {
    const error = await bytesOf([
      { kind: "text", path: "envforge/Dockerfile", content: "a" },
      { kind: "text", path: "envforge/Dockerfile", content: "b" },
    ]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
  });
});

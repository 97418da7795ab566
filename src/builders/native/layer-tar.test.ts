import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { layerEntries, writeLayer } from "./layer-tar.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-layer-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function tree(root: string, fileMode: number): Promise<void> {
  await mkdir(join(root, "bin"), { recursive: true });
  await writeFile(join(root, "bin", "tool"), "#!/bin/sh\n");
  await chmod(join(root, "bin", "tool"), fileMode);
  await writeFile(join(root, "b.txt"), "b\n");
  await chmod(join(root, "b.txt"), 0o600);
  await symlink("bin/tool", join(root, "a-link"));
}

describe("layer tar", () => {
  it("lists parents first, sorted, with normalised modes", async () => {
    await tree(join(dir, "t"), 0o700);
    const entries = await layerEntries({ trees: [{ dir: join(dir, "t"), at: "opt/env" }] });
    expect(entries.map((e) => `${e.name} ${e.mode.toString(8)}`)).toEqual([
      "opt/ 755",
      "opt/env/ 755",
      "opt/env/a-link 777",
      "opt/env/b.txt 644",
      "opt/env/bin/ 755",
      "opt/env/bin/tool 755",
    ]);
  });

  it("gives the same blob for the same files whatever their modes' other bits", async () => {
    await tree(join(dir, "one"), 0o700);
    await tree(join(dir, "two"), 0o755);
    const write = (name: string) =>
      writeLayer({
        trees: [{ dir: join(dir, name), at: "opt/env" }],
        sourceDateEpoch: 0,
        destination: join(dir, `${name}.tar.gz`),
      });
    const [one, two] = [await write("one"), await write("two")];
    expect(two.digest).toBe(one.digest);
    expect(two.diffId).toBe(one.diffId);
    expect(one.digest).not.toBe(one.diffId);
  });

  it("keeps a blob in memory as well when it fits, the same bytes as on disk", async () => {
    // Random bytes: stored blocks, whose pieces are views of the file's reads.
    await mkdir(join(dir, "t"));
    await writeFile(join(dir, "t", "data.bin"), randomBytes(3 * 1024 * 1024 + 5));
    await writeFile(join(dir, "t", "notes.txt"), "text\n".repeat(50_000));
    const write = (name: string, keepInMemory: number) =>
      writeLayer({
        trees: [{ dir: join(dir, "t"), at: "opt" }],
        sourceDateEpoch: 0,
        destination: join(dir, `${name}.tar.gz`),
        keepInMemory,
      });
    const kept = await write("kept", 8 * 1024 * 1024);
    expect(kept.bytes).toBeDefined();
    const onDisk = await readFile(kept.path);
    expect(Buffer.concat(kept.bytes ?? []).equals(onDisk)).toBe(true);
    expect(onDisk.length).toBe(kept.size);
    // Too large to keep: only on disk, the same blob.
    const notKept = await write("not-kept", kept.size - 1);
    expect(notKept.bytes).toBeUndefined();
    expect(notKept.digest).toBe(kept.digest);
    expect((await readFile(notKept.path)).equals(onDisk)).toBe(true);
  });
});

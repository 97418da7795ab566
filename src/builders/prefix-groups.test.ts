import { createHash } from "node:crypto";
import { lstat, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackageCache } from "../conda/package-cache.js";
import { packageGroups } from "../recipe/index.js";
import { IMAGE_CONDA_PREFIX } from "../definition/image-hash.js";
import { startSeedChannel } from "../../test/support/seed-channel.js";
import type { SeedChannel } from "../../test/support/seed-channel.js";
import { IMAGE_HISTORY, linkPrefixGroups } from "./prefix-groups.js";

const HASH = `envforge_${"1".repeat(32)}`;
let channel: SeedChannel;
let root = "";

beforeAll(async () => {
  channel = await startSeedChannel({ nonce: "fixed" });
  root = await mkdtemp(join(tmpdir(), "envforge-groups-test-"));
});
afterAll(async () => {
  await channel?.close();
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir` with a hash of its bytes (or link target), sorted. */
async function listing(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const path = prefix === "" ? name : `${prefix}/${name}`;
    const stats = await lstat(join(dir, path));
    if (stats.isDirectory()) out.push(...(await listing(dir, path)));
    else {
      const bytes = stats.isFile() ? await readFile(join(dir, path)) : Buffer.from("link");
      out.push(`${path} ${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}`);
    }
  }
  return out;
}

async function link(name: string, alpha: string) {
  const lock = channel.lock(HASH, ["zlib", "envforge-hello", `seed-alpha=${alpha}`]);
  return linkPrefixGroups({
    lock,
    platform: "linux-64",
    groups: packageGroups({ lock, platform: "linux-64" }),
    cache: new PackageCache({ dir: join(root, "pkgs") }),
    workDir: join(root, name),
  });
}

describe("linkPrefixGroups", () => {
  it("puts each package's files and record into its group's folder, history into the first", async () => {
    const linked = await link("a", "1.0.0");
    expect([...linked.folders.keys()]).toEqual(["runtime", "group-3", "group-7"]);
    const folder = (name: string): string => linked.folders.get(name) ?? "";
    const names = async (name: string) =>
      (await listing(folder(name))).map((line) => line.split(" ")[0]);
    expect(await names("group-3")).toEqual([
      "bin/envforge-hello",
      "conda-meta/envforge-hello-1.0.0-0.json",
    ]);
    expect(await names("group-7")).toEqual([
      "conda-meta/seed-alpha-1.0.0-0.json",
      "share/seed-alpha/version.txt",
    ]);
    expect(await names("runtime")).toContain("conda-meta/history");
    expect(await names("runtime")).toContain("lib/pkgconfig/zlib.pc");
    expect(await readFile(join(folder("runtime"), "conda-meta/history"), "utf8")).toBe(
      IMAGE_HISTORY,
    );
    expect(await readFile(join(folder("group-3"), "bin/envforge-hello"), "utf8")).toBe(
      `#!/bin/sh\necho "hello from ${IMAGE_CONDA_PREFIX}"\n`,
    );
  });

  it("changes only the changed package's group when one package changes", async () => {
    const a = await link("b1", "1.0.0");
    const b = await link("b2", "2.0.0");
    for (const group of ["runtime", "group-3"]) {
      expect(await listing(b.folders.get(group) ?? "")).toEqual(
        await listing(a.folders.get(group) ?? ""),
      );
    }
    expect(await listing(b.folders.get("group-7") ?? "")).not.toEqual(
      await listing(a.folders.get("group-7") ?? ""),
    );
  });
});

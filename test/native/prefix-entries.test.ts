/**
 * The native builder's conda layers come from the package cache without a prefix on disk
 * (src/builders/native/prefix-entries.ts). These tests hold them to the layers of a prefix
 * linked on disk and split by its records (linkPrefixGroups, which the Docker builder uses):
 * the same digest for every group, on real packages (zlib, rattler's clobber, nested and
 * symbolic-link packages) and on packages with binary and text placeholders, links, noarch
 * python and entry points.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { groupEntries } from "../../src/builders/native/prefix-entries.js";
import { writeLayer } from "../../src/builders/native/layer-tar.js";
import { IMAGE_HISTORY, linkPrefixGroups } from "../../src/builders/prefix-groups.js";
import { PackageCache } from "../../src/conda/package-cache.js";
import { IMAGE_CONDA_PREFIX } from "../../src/definition/image-hash.js";
import type { LockedCondaPackage } from "../../src/definition/lock.js";
import { packageGroups } from "../../src/recipe/package-groups.js";
import {
  buildTestPackage,
  lockedPackageOf,
  NOARCH_HELLO_PACKAGE,
  PLACEHOLDER_PACKAGE,
  PYTHON_PACKAGE,
} from "../support/conda-packages.js";
import {
  addToChannel,
  CONDA_PACKAGES,
  lockOf,
  RATTLER_PACKAGES,
  channelPerTest,
} from "../conda-install/channel-folder.js";

const channel = channelPerTest();

/** Each group's layer digest, from the prefix on disk and from the described entries. */
async function bothWays(conda: readonly LockedCondaPackage[]) {
  const lock = lockOf(conda);
  const platform = "linux-64";
  const groups = packageGroups({ lock, platform });
  const cache = new PackageCache({ dir: channel.dirs.cache });
  const linked = await linkPrefixGroups({
    lock,
    platform,
    groups,
    cache,
    workDir: join(channel.dirs.root, "linked"),
  });
  const described = await groupEntries({
    lock,
    platform,
    groups,
    cache,
    prefix: IMAGE_CONDA_PREFIX.slice(1),
    history: IMAGE_HISTORY,
  });
  const onDisk: Record<string, string> = {};
  const fromEntries: Record<string, string> = {};
  for (const group of groups) {
    const dir = linked.folders.get(group.name) ?? "";
    const entries = described.entries.get(group.name) ?? [];
    const destination = (way: string) => join(channel.dirs.root, `${group.name}-${way}.tar.gz`);
    onDisk[group.name] = (
      await writeLayer({
        trees: [{ dir, at: IMAGE_CONDA_PREFIX.slice(1) }],
        sourceDateEpoch: 0,
        destination: destination("disk"),
      })
    ).digest;
    fromEntries[group.name] = (
      await writeLayer({ entries, sourceDateEpoch: 0, destination: destination("entries") })
    ).digest;
  }
  expect(described.install.clobbers).toEqual(linked.install.clobbers);
  const names = (install: typeof linked.install) => install.packages.map((p) => p.name);
  expect(names(described.install)).toEqual(names(linked.install));
  return { groups: groups.map((g) => g.name), onDisk, fromEntries, described };
}

const rattler = (files: readonly string[], depends: Record<string, string[]> = {}) =>
  addToChannel(
    channel.dirs.channel,
    channel.server.url,
    files.map((file) => ({ path: join(RATTLER_PACKAGES, file), depends: depends[file] ?? [] })),
  );

describe("conda layers described from the package cache", () => {
  it("are the layers of the prefix linked on disk: zlib and packages with placeholders, links, noarch python", async () => {
    const zlib = await addToChannel(channel.dirs.channel, channel.server.url, [
      { path: join(CONDA_PACKAGES, "zlib-1.2.11-h7b6447c_3.tar.bz2"), subdir: "linux-64" },
    ]);
    const built = [PLACEHOLDER_PACKAGE, PYTHON_PACKAGE, NOARCH_HELLO_PACKAGE].map((spec, i) =>
      buildTestPackage(spec, { dir: channel.dirs.channel, format: i === 1 ? "tar.bz2" : "conda" }),
    );
    const result = await bothWays([
      ...zlib,
      ...(await Promise.all(built)).map((one) => lockedPackageOf(one, channel.server.url)),
    ]);
    expect(result.groups.length).toBeGreaterThan(1);
    expect(result.fromEntries).toEqual(result.onDisk);
  });

  it.each([
    [
      [
        "clobber-1-0.1.0-h4616a5c_0.tar.bz2",
        "clobber-2-0.1.0-h4616a5c_0.tar.bz2",
        "clobber-3-0.1.0-h4616a5c_0.tar.bz2",
      ],
    ],
    [
      [
        "clobber-nested-1-0.1.0-h4616a5c_0.tar.bz2",
        "clobber-nested-2-0.1.0-h4616a5c_0.tar.bz2",
        "clobber-nested-3-0.1.0-h4616a5c_0.tar.bz2",
      ],
    ],
    [
      [
        "clobber-with-symlink-a-0.1.0-h4616a5c_0.conda",
        "clobber-with-symlink-b-0.1.0-h4616a5c_0.conda",
      ],
    ],
  ])("are the layers of the prefix linked on disk: rattler's %j", async (files) => {
    const result = await bothWays(
      await rattler(files, {
        "clobber-nested-1-0.1.0-h4616a5c_0.tar.bz2": ["clobber-nested-3"],
        "clobber-nested-2-0.1.0-h4616a5c_0.tar.bz2": ["clobber-nested-1"],
        "clobber-with-symlink-b-0.1.0-h4616a5c_0.conda": ["clobber-with-symlink-a"],
      }),
    );
    expect(Object.keys(result.fromEntries).length).toBeGreaterThan(0);
    expect(result.fromEntries).toEqual(result.onDisk);
  });

  it("moves a link aside when another package writes under it, as linking does", async () => {
    // `lib` -> /etc from one package, `lib/evil.conf` from the next: nothing may be written
    // through the link, so the planner moves the link to __clobbers__ in both ways.
    const linkTo = await buildTestPackage(
      { name: "aaa-link", files: [{ path: "lib", symlink: "/etc" }] },
      { dir: channel.dirs.channel, format: "conda" },
    );
    const under = await buildTestPackage(
      {
        name: "zzz-under",
        depends: ["aaa-link"],
        files: [{ path: "lib/evil.conf", content: "x\n" }],
      },
      { dir: channel.dirs.channel, format: "conda" },
    );
    const result = await bothWays(
      [linkTo, under].map((built) => lockedPackageOf(built, channel.server.url)),
    );
    expect(result.fromEntries).toEqual(result.onDisk);
    const names = [...result.described.entries.values()].flat().map((entry) => entry.name);
    expect(names).toContain("opt/envforge/env/__clobbers__/aaa-link/lib");
    expect(names).toContain("opt/envforge/env/lib/evil.conf");
  });
});

import { describe, expect, it } from "vitest";
import type { LockedCondaPackage } from "../definition/lock.js";
import type { BuildProgress } from "./image-builder.js";
import { installProgress } from "./install-progress.js";

function pkg(name: string, size: number): LockedCondaPackage {
  return {
    name,
    version: "1",
    build: "0",
    buildNumber: 0,
    channel: "c",
    subdir: "linux-64",
    filename: `${name}-1-0.conda`,
    url: `http://127.0.0.1:9/c/linux-64/${name}-1-0.conda`,
    sha256: "0".repeat(64),
    size,
    depends: [],
    constrains: [],
  };
}

describe("installProgress", () => {
  it("gives download, extract and link totals from the lock, counting cached packages as downloaded", () => {
    const seen: BuildProgress[] = [];
    const onEvent = installProgress([pkg("a", 1000), pkg("b", 3000)], (p) => seen.push(p));
    onEvent({ type: "stage", stage: "fetch" });
    onEvent({ type: "download", name: "b", received: 1000 });
    onEvent({ type: "download", name: "b", received: 3000 });
    onEvent({ type: "ready", name: "b", fetched: true, bytes: 3000 });
    // a was in the cache: no download events, but its bytes are there.
    onEvent({ type: "ready", name: "a", fetched: false, bytes: 1000 });
    onEvent({ type: "linked", name: "a" });
    onEvent({ type: "linked", name: "b" });
    expect(seen.filter((p) => p.stage === "download").map((p) => [p.done, p.total])).toEqual([
      [1000, 4000],
      [3000, 4000],
      [3000, 4000],
      [4000, 4000],
    ]);
    expect(seen.filter((p) => p.stage === "extract").map((p) => p.done)).toEqual([1, 2]);
    expect(seen.filter((p) => p.stage === "link").at(-1)).toEqual({
      stage: "link",
      done: 2,
      total: 2,
      unit: "packages",
    });
  });
});

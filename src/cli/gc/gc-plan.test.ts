import { describe, expect, it } from "vitest";
import type { CacheEntry, GcPolicy } from "./gc-plan.js";
import { planGc } from "./gc-plan.js";

const HOUR = 3_600_000;
const policy: GcPolicy = {
  nowMs: 1000 * HOUR,
  maxAgeMs: 24 * HOUR,
  maxCacheBytes: 100,
  contextAgeMs: 6 * HOUR,
};

function entry(key: string, bytes: number, hoursAgo: number, locked = false): CacheEntry {
  return { key, bytes, lastUsedMs: policy.nowMs - hoursAgo * HOUR, locked };
}

describe("planGc", () => {
  it.each([
    ["nothing over the limits", [entry("a", 40, 1), entry("b", 40, 2)], []],
    ["old entries go", [entry("a", 10, 1), entry("b", 10, 48)], ["b"]],
    [
      "then the least recently used until it fits",
      [entry("a", 60, 1), entry("b", 60, 2), entry("c", 60, 3)],
      ["b", "c"],
    ],
    [
      "locked entries stay whatever their age or size",
      [entry("a", 500, 100, true), entry("b", 10, 1)],
      ["b"],
    ],
  ])("cache: %s", (_, cache, removed) => {
    const plan = planGc({ policy, contexts: [], cache, images: [], pointedTo: new Set() });
    expect(plan.cache.map((e) => e.key)).toEqual(removed);
  });

  it("removes remembered answers past the age limit only, whatever their total size", () => {
    const answers = [
      entry("sboms/a", 500, 1),
      entry("sboms/b", 1, 48),
      entry("interpreters/c", 1, 25),
    ].map((e) => ({ ...e, path: `/home/cache/${e.key}` }));
    const plan = planGc({
      policy,
      contexts: [],
      cache: [],
      answers,
      images: [],
      pointedTo: new Set(),
    });
    expect(plan.answers.map((e) => e.key)).toEqual(["sboms/b", "interpreters/c"]);
  });

  it("never removes an image a version points to, however old", () => {
    const old = policy.nowMs - 1000 * HOUR;
    const plan = planGc({
      policy,
      contexts: [],
      cache: [],
      images: [
        { id: "sha256:1", imageHash: "envforge_kept", createdMs: old },
        { id: "sha256:2", imageHash: "envforge_orphan", createdMs: old },
        { id: "sha256:3", imageHash: "envforge_fresh", createdMs: policy.nowMs - HOUR },
      ],
      pointedTo: new Set(["envforge_kept"]),
    });
    expect(plan.images.map((i) => i.id)).toEqual(["sha256:2"]);
  });

  it("removes build contexts older than their limit only", () => {
    const plan = planGc({
      policy,
      contexts: [
        { path: "/c/old", modifiedMs: policy.nowMs - 7 * HOUR },
        { path: "/c/running", modifiedMs: policy.nowMs - HOUR },
      ],
      cache: [],
      images: [],
      pointedTo: new Set(),
    });
    expect(plan.contexts.map((c) => c.path)).toEqual(["/c/old"]);
  });
});

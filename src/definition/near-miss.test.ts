import { describe, expect, it } from "vitest";
import { editDistance, nearMissAnyKind, nearestKey } from "./near-miss.js";

describe("near-miss keys", () => {
  it.each<[string, string, number]>([
    ["channels", "channels", 0],
    ["chanels", "channels", 1],
    ["dependecies", "dependencies", 1],
    ["depnedencies", "dependencies", 1],
    ["imgae", "image", 1],
    ["chnnls", "channels", 2],
    ["chn", "channels", 3],
  ])("%s to %s is %i", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });

  it("suggests the one nearest key, none when two tie or none is near", () => {
    expect(nearestKey("chanels", ["channels", "name"])).toBe("channels");
    expect(nearestKey("Channels", ["channels"])).toBe("channels");
    expect(nearestKey("ab", ["ax", "xb"])).toBeUndefined();
    expect(nearestKey("zzzzzz", ["channels"])).toBeUndefined();
  });

  it("names the kind a key belongs to", () => {
    expect(nearMissAnyKind("dependecies")).toEqual({
      key: "dependencies",
      kind: "a conda environment file",
    });
    expect(nearMissAnyKind("conda_fle")).toEqual({
      key: "conda_file",
      kind: "an Azure ML v2 environment YAML",
    });
  });
});

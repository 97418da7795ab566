import { describe, expect, it } from "vitest";
import { installOrder, specName } from "./install-order.js";
import { resolveClobbers } from "./clobbers.js";

const pkg = (name: string, ...depends: string[]) => ({ name, depends });

describe("specName", () => {
  it.each([
    ["numpy >=1.2", "numpy"],
    ["numpy", "numpy"],
    ["conda-forge::NumPy[version='>=1']", "numpy"],
    ["python_abi 3.11.* *_cp311", "python_abi"],
    ["libgcc-ng>=7.3.0", "libgcc-ng"],
  ])("%s names %s", (spec, name) => expect(specName(spec)).toBe(name));
});

describe("installOrder", () => {
  it("puts dependencies first and breaks ties as rattler does (first name linked last)", () => {
    const names = (list: ReturnType<typeof pkg>[]) => installOrder(list).map((p) => p.name);
    expect(names([pkg("a"), pkg("b"), pkg("c")])).toEqual(["c", "b", "a"]);
    expect(names([pkg("c"), pkg("a"), pkg("b")])).toEqual(["c", "b", "a"]);
    expect(names([pkg("n1", "n3"), pkg("n2", "n1 >=0.1"), pkg("n3")])).toEqual(["n3", "n1", "n2"]);
    expect(
      names([pkg("app", "python 3.11.*", "libz"), pkg("python", "libz"), pkg("libz")]),
    ).toEqual(["libz", "python", "app"]);
  });

  it("orders a cycle without looping", () => {
    expect(
      installOrder([pkg("x", "y"), pkg("y", "x")])
        .map((p) => p.name)
        .sort(),
    ).toEqual(["x", "y"]);
  });
});

describe("resolveClobbers", () => {
  it("keeps the last package's file and moves the others aside", () => {
    const plan = resolveClobbers([
      { name: "low", paths: ["a.txt", "only-low.txt"] },
      { name: "high", paths: ["a.txt"] },
    ]);
    expect(plan.clobbers).toEqual([{ path: "a.txt", winner: "high", losers: ["low"] }]);
    expect([...(plan.moved.get("low") ?? [])]).toEqual([["a.txt", "__clobbers__/low/a.txt"]]);
    expect(plan.moved.has("high")).toBe(false);
  });

  it("lets a winning folder push a lower file of the same name aside, and the reverse", () => {
    const folderWins = resolveClobbers([
      { name: "file", paths: ["d"] },
      { name: "dir", paths: ["d/x"] },
    ]);
    expect(folderWins.clobbers).toEqual([{ path: "d", winner: "dir", losers: ["file"] }]);
    const fileWins = resolveClobbers([
      { name: "dir", paths: ["d/x", "d/y/z"] },
      { name: "file", paths: ["d"] },
    ]);
    expect(fileWins.clobbers).toEqual([
      { path: "d/x", winner: "file", losers: ["dir"] },
      { path: "d/y/z", winner: "file", losers: ["dir"] },
    ]);
  });

  it("reports nothing when paths do not meet", () => {
    expect(
      resolveClobbers([
        { name: "a", paths: ["x/1"] },
        { name: "b", paths: ["x/2"] },
      ]).clobbers,
    ).toEqual([]);
  });
});

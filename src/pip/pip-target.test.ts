import { describe, expect, it } from "vitest";
import { pipTargetOfInterpreter, platformTags } from "./pip-target.js";
import type { InterpreterFacts } from "./pip-target.js";

const DEBIAN: InterpreterFacts = {
  version: "3.11.2",
  implementation: "cpython",
  libc: "glibc 2.36",
  machine: "x86_64",
};

describe("pipTargetOfInterpreter", () => {
  it("takes the python version and glibc of the image's interpreter", () => {
    const target = pipTargetOfInterpreter(DEBIAN, "linux-64");
    expect(target).toEqual({
      platform: "linux-64",
      pythonVersion: "3.11",
      pythonFullVersion: "3.11.2",
      glibc: "2.36",
    });
    expect(typeof target === "string" ? [] : platformTags(target)[0]).toBe("manylinux_2_36_x86_64");
  });

  it.each([
    [{ ...DEBIAN, implementation: "pypy" }, "linux-64", "the interpreter is pypy"],
    [{ ...DEBIAN, machine: "aarch64" }, "linux-64", "runs on aarch64"],
    [{ ...DEBIAN, libc: "" }, "linux-64", "not glibc"],
    [{ ...DEBIAN, version: "3" }, "linux-64", "no usable version"],
    [DEBIAN, "osx-arm64", "not osx-arm64"],
  ] as const)("says why there is no target (%j on %s)", (facts, platform, reason) => {
    const target = pipTargetOfInterpreter(facts, platform);
    expect(typeof target).toBe("string");
    expect(target).toContain(reason);
  });
});

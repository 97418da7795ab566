import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import {
  formatVirtualPackage,
  targetFromVariables,
  targetVirtualPackages,
} from "./virtual-packages.js";

describe("targetVirtualPackages", () => {
  it.each([
    ["linux-64", {}, ["__archspec=1=x86_64", "__glibc=2.28=0", "__linux=4.18=0", "__unix=0=0"]],
    [
      "linux-aarch64",
      { cuda: "12.1", glibc: "2.36" },
      ["__archspec=1=aarch64", "__cuda=12.1=0", "__glibc=2.36=0", "__linux=4.18=0", "__unix=0=0"],
    ],
    ["osx-arm64", { cuda: "12.1" }, ["__archspec=1=arm64", "__osx=11.0=0", "__unix=0=0"]],
    ["win-64", {}, ["__archspec=1=x86_64", "__win=0=0"]],
    ["noarch", {}, []],
  ])("%s %j", (platform, target, expected) => {
    expect(targetVirtualPackages(platform, target).map(formatVirtualPackage)).toEqual(expected);
  });
});

describe("targetFromVariables", () => {
  it("reads conda's override variables, later records winning", () => {
    expect(
      targetFromVariables(
        { CONDA_OVERRIDE_CUDA: "11.8", CONDA_OVERRIDE_GLIBC: "2.17", OTHER: "x" },
        { CONDA_OVERRIDE_CUDA: "12.1" },
      ),
    ).toEqual({ cuda: "12.1", glibc: "2.17" });
  });

  it("treats an empty CONDA_OVERRIDE_CUDA as no CUDA", () => {
    expect(
      targetFromVariables({ CONDA_OVERRIDE_CUDA: "11.8" }, { CONDA_OVERRIDE_CUDA: "" }),
    ).toEqual({});
  });

  it("rejects values that are not versions", () => {
    expect(() => targetFromVariables({ CONDA_OVERRIDE_CUDA: "latest" })).toThrow(ValidationError);
    expect(() => targetFromVariables({ CONDA_OVERRIDE_CUDA: "latest" })).toThrow(
      'variables.CONDA_OVERRIDE_CUDA: CONDA_OVERRIDE_CUDA is not a version (found "latest"; allowed: a version such as 12.1)',
    );
  });
});

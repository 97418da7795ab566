import { describe, expect, it } from "vitest";
import { checkPipEntry, pipEntryName, pipOptionKey } from "./conda-dependencies-pip.js";

describe("checkPipEntry", () => {
  it.each([
    ["requests", { ok: true, kind: "requirement", name: "requests" }],
    ["Flask_Cors>=4", { ok: true, kind: "requirement", name: "flask-cors" }],
    ["torch==2.1.0+cpu", { ok: true, kind: "requirement", name: "torch" }],
    ["pkg @ http://127.0.0.1/pkg-1.0.tar.gz", { ok: true, kind: "requirement", name: "pkg" }],
    ["./dist/My.Pkg-1.0.tar.gz", { ok: true, kind: "requirement", name: "my-pkg" }],
    [
      "/wheels/ruamel.yaml-0.18.5-py3-none-any.whl",
      { ok: true, kind: "requirement", name: "ruamel-yaml" },
    ],
    ["http://127.0.0.1/archive.zip?x=1", { ok: true, kind: "requirement" }],
    ["--extra-index-url http://127.0.0.1/simple", { ok: true, kind: "option" }],
    ["-e .", { ok: true, kind: "option" }],
    ["# a comment", { ok: false, reason: "it is only a comment" }],
    [
      "numpy = 1.2",
      { ok: false, reason: 'pip pins versions with "==", not "="', example: "numpy==1.2" },
    ],
    [
      "a b",
      {
        ok: false,
        reason: "it is not a PEP 508 requirement at column 3: expected end of input",
        example: "requests>=2.31",
      },
    ],
  ])("%s", (entry, expected) => {
    expect(checkPipEntry(entry)).toEqual(expected);
  });

  it("gives the name only for requirements", () => {
    expect(pipEntryName("Django>=4")).toBe("django");
    expect(pipEntryName("--pre")).toBeUndefined();
    expect(pipEntryName("not valid ==")).toBeUndefined();
  });

  it.each([
    ["--index-url http://127.0.0.1/simple", "--index-url"],
    ["--index-url=http://127.0.0.1/simple", "--index-url"],
    ["  -e .", "-e"],
  ])("pipOptionKey(%j) is %j", (option, key) => {
    expect(pipOptionKey(option)).toBe(key);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ContextEntry } from "./build-context.js";
import {
  dockerignoreMatcher,
  normalizeContextPath,
  resolveLinkTarget,
  selectContextFiles,
} from "./build-context.js";
import { problemsOf } from "../../test/support/problems.js";

function file(path: string, extra: Partial<ContextEntry> = {}): ContextEntry {
  return { path, type: "file", size: 1, sha256: `sha256:${path.length}`, mode: 0o644, ...extra };
}

function link(path: string, linkTarget: string): ContextEntry {
  return {
    path,
    type: "symlink",
    size: linkTarget.length,
    sha256: "sha256:l",
    mode: 0o777,
    linkTarget,
  };
}

describe("normalizeContextPath", () => {
  it.each([
    ["Dockerfile", "Dockerfile"],
    ["./Dockerfile", "Dockerfile"],
    ["docker//gpu/Dockerfile", "docker/gpu/Dockerfile"],
    ["a/../Dockerfile", "Dockerfile"],
  ])("normalises %s", (path, expected) => {
    expect(normalizeContextPath(path)).toEqual({ ok: true, path: expected });
  });

  it.each([
    ["", "the path is empty"],
    ["/etc/passwd", "the path is absolute"],
    ["../Dockerfile", "the path leads outside the build context"],
    ["a/../../b", "the path leads outside the build context"],
    [".", "the path names the context folder itself"],
  ])("refuses %j", (path, message) => {
    expect(normalizeContextPath(path)).toEqual({ ok: false, message });
  });
});

describe("resolveLinkTarget", () => {
  it.each([
    ["a/link", "../b", "b"],
    ["a/link", "c/d", "a/c/d"],
    ["link", ".", "."],
    ["a/b/link", "../../x", "x"],
    ["link", "/etc/passwd", undefined],
    ["link", "../outside", undefined],
    ["a/link", "../../outside", undefined],
    ["link", "", undefined],
  ])("%s -> %s", (path, target, expected) => {
    expect(resolveLinkTarget(path, target)).toBe(expected);
  });
});

describe("dockerignoreMatcher", () => {
  const ignored = dockerignoreMatcher("# comment\n*.log\ndata\n!data/keep.txt\n**/__pycache__\n");
  it.each([
    ["train.log", true],
    ["logs/train.log", false],
    ["data/big.bin", true],
    ["data/keep.txt", false],
    ["src/__pycache__/x.pyc", true],
    ["src/train.py", false],
  ])("%s ignored: %s", (path, expected) => {
    expect(ignored(path)).toBe(expected);
  });

  it("ignores nothing without a .dockerignore", () => {
    expect(dockerignoreMatcher(undefined)("anything")).toBe(false);
  });
});

describe("selectContextFiles", () => {
  it("drops ignored files, keeps inside symlinks and sorts by path", () => {
    const selection = selectContextFiles({
      contextPath: "ctx",
      dockerfilePath: "./Dockerfile",
      dockerignore: "*.log\n",
      entries: [
        file("src/train.py"),
        file("Dockerfile"),
        file("run.log"),
        link("latest", "src/train.py"),
        file("requirements.txt"),
      ],
    });
    expect(selection.dockerfilePath).toBe("Dockerfile");
    expect(selection.files.map((entry) => entry.path)).toEqual([
      "Dockerfile",
      "latest",
      "requirements.txt",
      "src/train.py",
    ]);
    expect(selection.files[1]).toMatchObject({ linkTarget: "src/train.py" });
  });

  it("finds an ignored Dockerfile but does not list it", () => {
    const selection = selectContextFiles({
      contextPath: "ctx",
      dockerfilePath: "Dockerfile",
      dockerignore: "Dockerfile\n",
      entries: [file("Dockerfile"), file("app.py")],
    });
    expect(selection.files.map((entry) => entry.path)).toEqual(["app.py"]);
  });

  it("does not mind an escaping symlink that .dockerignore leaves out", () => {
    const selection = selectContextFiles({
      contextPath: "ctx",
      dockerfilePath: "Dockerfile",
      dockerignore: "secrets\n",
      entries: [file("Dockerfile"), link("secrets", "/etc/shadow")],
    });
    expect(selection.files.map((entry) => entry.path)).toEqual(["Dockerfile"]);
  });

  it("reports every problem at once", () => {
    expect(
      problemsOf(() =>
        selectContextFiles({
          contextPath: "ctx",
          dockerfilePath: "docker/Dockerfile",
          entries: [
            file("Dockerfile"),
            link("escape", "../../home/user/.ssh/id_rsa"),
            link("abs", "/etc/passwd"),
            file("../up.txt"),
            file("pipe", { type: "other" }),
          ],
        }),
      ),
    ).toEqual([
      'ctx: dockerfile_path: no Dockerfile "docker/Dockerfile" in the build context',
      'ctx/escape: symlink points outside the build context (found "../../home/user/.ssh/id_rsa"; allowed: a relative target inside the context folder)',
      'ctx/abs: symlink points outside the build context (found "/etc/passwd"; allowed: a relative target inside the context folder)',
      'ctx: build context entry "../up.txt" is not a plain relative path: the path leads outside the build context',
      "ctx/pipe: not a regular file, folder or symlink; a build context cannot hold it",
    ]);
  });

  it.each([
    ["../Dockerfile", "the path leads outside the build context"],
    ["/abs/Dockerfile", "the path is absolute"],
  ])("refuses a Dockerfile path %j outside the context", (dockerfilePath, reason) => {
    expect(
      problemsOf(() =>
        selectContextFiles({ contextPath: "ctx", dockerfilePath, entries: [file("Dockerfile")] }),
      ),
    ).toEqual([
      `ctx: dockerfile_path: the Dockerfile must be inside the build context: ${reason} (found ${JSON.stringify(dockerfilePath)}; allowed: a path relative to the context folder, without ..)`,
    ]);
  });

  it("refuses a Dockerfile that is a symlink", () => {
    expect(
      problemsOf(() =>
        selectContextFiles({
          contextPath: "ctx",
          dockerfilePath: "Dockerfile",
          entries: [file("real"), link("Dockerfile", "real")],
        }),
      ),
    ).toEqual(["ctx/Dockerfile: the Dockerfile must be a regular file"]);
  });
});

describe("context paths, by property", () => {
  const segment = fc.constantFrom("a", "b", "..", ".", "", "c.d");
  const path = fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join("/"));
  const insideOnly = (result: string): boolean =>
    !result.startsWith("/") && !result.split("/").includes("..");

  it("normalizeContextPath never accepts a path that leaves the context", () => {
    fc.assert(
      fc.property(path, (candidate) => {
        const result = normalizeContextPath(candidate);
        if (result.ok) expect(insideOnly(result.path)).toBe(true);
      }),
    );
  });

  it("resolveLinkTarget never resolves outside the context", () => {
    fc.assert(
      fc.property(path, fc.boolean(), path, (link, absolute, target) => {
        const resolved = resolveLinkTarget(link, absolute ? `/${target}` : target);
        if (resolved !== undefined) expect(insideOnly(resolved)).toBe(true);
        if (absolute) expect(resolved).toBeUndefined();
      }),
    );
  });
});

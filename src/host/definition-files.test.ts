import { describe, expect, it } from "vitest";
import { DEFAULT_PARSE_SETTINGS } from "../definition/definition.js";
import { ValidationError } from "../errors/index.js";
import type { DefinitionFiles } from "./definition-files.js";
import { checkDefinitionFiles, pathProblem } from "./definition-files.js";
import { loadDefinitionFiles } from "./load-definition-files.js";

/** A file map as a client would send it: text files with mode 0644. */
interface TextUpload {
  readonly entry: string;
  readonly files: Readonly<Record<string, string>>;
}

function filesOf(upload: TextUpload): DefinitionFiles {
  return {
    entry: upload.entry,
    files: new Map(
      Object.entries(upload.files).map(([path, text]) => [
        path,
        { bytes: new TextEncoder().encode(text), mode: 0o644 },
      ]),
    ),
  };
}

describe("pathProblem", () => {
  it.each([
    ["environment.yml", undefined],
    ["context/sub/Dockerfile", undefined],
    [".dockerignore", undefined],
    ["a..b/c", undefined],
    ["", "is empty"],
    ["../x", 'climbs out with ".."'],
    ["a/../../x", 'climbs out with ".."'],
    ["/etc/passwd", "is absolute"],
    ["C:/x", "is absolute"],
    ["a\\b", 'holds a "\\"'],
    ["a\u0000b", "holds a NUL or control character"],
    ["a\nb", "holds a NUL or control character"],
    ["a//b", 'is not normalised (empty or "." segment)'],
    ["./a", 'is not normalised (empty or "." segment)'],
    ["a/", 'is not normalised (empty or "." segment)'],
    ["x".repeat(1025), "is longer than 1024"],
  ])("%j: %s", (path, problem) => {
    expect(pathProblem(path)).toBe(problem);
  });
});

/**
 * What is wrong with the map itself: its shape, and files the entry refers to outside it.
 * Whether the files parse is the parsers' business (their own tests), so it is left out here.
 */
function problemsOf(upload: TextUpload): string[] {
  const files = filesOf(upload);
  try {
    checkDefinitionFiles(files);
    loadDefinitionFiles(files, { settings: DEFAULT_PARSE_SETTINGS });
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.problems
      .filter(
        (p) =>
          ["files", "entry", "dockerfilePath"].includes(p.key ?? "") ||
          p.message === "refers to a file outside the upload",
      )
      .map((p) => `${p.key}: ${p.message}${p.found ? ` ${p.found}` : ""}`);
  }
}

describe("the shape of a file map and what its entry refers to", () => {
  it.each<[string, TextUpload, string[]]>([
    ["a plain conda file", { entry: "env.yml", files: { "env.yml": "x" } }, []],
    ["a folder entry", { entry: "ctx", files: { "ctx/Dockerfile": "FROM x" } }, []],
    ["the root folder", { entry: ".", files: { Dockerfile: "FROM x" } }, []],
    [
      "no files",
      { entry: "env.yml", files: {} },
      [
        "files: no files were uploaded",
        'entry: the entry is not among the uploaded files "env.yml"',
      ],
    ],
    [
      "a missing entry",
      { entry: "other.yml", files: { "env.yml": "x" } },
      ['entry: the entry is not among the uploaded files "other.yml"'],
    ],
    [
      "a file that is also a folder",
      { entry: "a", files: { a: "x", "a/b": "y" } },
      ['files: a path is both a file and a folder "a"'],
    ],
    [
      "an escaping conda_file",
      {
        entry: "sub/envforge.yaml",
        files: { "sub/envforge.yaml": "image: r/b:1\nconda_file: ../../c.yml\n" },
      },
      ['conda_file: refers to a file outside the upload "../../c.yml"'],
    ],
    [
      "a conda_file in a sibling folder",
      {
        entry: "sub/envforge.yaml",
        files: { "sub/envforge.yaml": "image: r/b:1\nconda_file: ../c.yml\n", "c.yml": "x" },
      },
      [],
    ],
    [
      "an escaping pip include",
      {
        entry: "requirements.txt",
        files: { "requirements.txt": "-r ../base.txt\n" },
      },
      ['-r/-c: refers to a file outside the upload "../base.txt"'],
    ],
    [
      "an escaping nested pip include",
      {
        entry: "requirements.txt",
        files: { "requirements.txt": "-r a/base.txt\n", "a/base.txt": "-c ../../../x.txt\n" },
      },
      ['-r/-c: refers to a file outside the upload "../../x.txt"'],
    ],
  ])("%s", (_title, upload, expected) => {
    expect(problemsOf(upload)).toEqual(expected);
  });
});

import { describe, expect, it } from "vitest";
import { ProblemCollector } from "../errors/index.js";
import {
  checkEnvironmentName,
  checkLabel,
  checkLimit,
  checkScopes,
  checkTags,
  checkVersionNumber,
  isReservedName,
} from "./validation.js";

function problemsOf(check: (problems: ProblemCollector) => void): string[] {
  const problems = new ProblemCollector();
  check(problems);
  return problems.problems.map((p) => p.message);
}

describe("environment names", () => {
  it.each([
    ["pytorch", []],
    ["a", []],
    ["Py.Torch_2-cu121", []],
    ["9lives", []],
    ["a".repeat(255), []],
    ["a".repeat(256), ["not a valid environment name"]],
    ["", ["not a valid environment name"]],
    ["-flag", ["not a valid environment name"]],
    [".hidden", ["not a valid environment name"]],
    ["has space", ["not a valid environment name"]],
    ["a/b", ["not a valid environment name"]],
    ["envforge-mine", ['the prefix "envforge-" is reserved for curated environments']],
    ["ENVFORGE-mine", ['the prefix "envforge-" is reserved for curated environments']],
    ["envforge", []],
    ["my-envforge-x", []],
    [42, ["not a valid environment name"]],
  ])("%j → %j", (name, expected) => {
    expect(problemsOf((p) => checkEnvironmentName(p, name))).toEqual(expected);
  });

  it("knows the reserved prefix regardless of case", () => {
    expect([
      isReservedName("envforge-a"),
      isReservedName("EnvForge-a"),
      isReservedName("envforgea"),
    ]).toEqual([true, true, false]);
  });
});

describe("other inputs", () => {
  it.each([
    [1, 0],
    [2_147_483_647, 0],
    [0, 1],
    [-1, 1],
    [1.5, 1],
    [2_147_483_648, 1],
    ["3", 1],
  ])("version %j has %i problem(s)", (version, count) => {
    expect(problemsOf((p) => checkVersionNumber(p, version))).toHaveLength(count);
  });

  it.each([
    ["prod", []],
    ["staging-2", []],
    [
      "latest",
      ['the label "latest" is managed by envforge: it always names the newest unarchived version'],
    ],
    ["", ["not a valid label"]],
    ["a b", ["not a valid label"]],
    ["x".repeat(65), ["not a valid label"]],
  ])("label %j → %j", (label, expected) => {
    expect(problemsOf((p) => checkLabel(p, label))).toEqual(expected);
  });

  it.each([
    [undefined, []],
    [{ team: "vision" }, []],
    [{ "": "x" }, ["not a valid tag key"]],
    [{ a: 1 }, ["not a valid tag value"]],
    [["a"], ["tags must be a map of text to text"]],
    [Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"])), ["too many tags"]],
  ])("tags %j → %j", (tags, expected) => {
    expect(problemsOf((p) => checkTags(p, tags))).toEqual(expected);
  });

  it.each([
    [["read"], []],
    [["read", "write", "admin"], []],
    [[], ["no scopes given"]],
    [["root"], ["not a token scope"]],
    ["read", ["no scopes given"]],
  ])("scopes %j → %j", (scopes, expected) => {
    expect(problemsOf((p) => checkScopes(p, scopes))).toEqual(expected);
  });

  it.each([
    [undefined, 0],
    [1, 0],
    [1000, 0],
    [0, 1],
    [1001, 1],
  ])("page size %j has %i problem(s)", (limit, count) => {
    expect(problemsOf((p) => checkLimit(p, limit))).toHaveLength(count);
  });
});

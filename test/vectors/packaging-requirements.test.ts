import { describe, expect, it } from "vitest";
import { parsePipRequirements } from "../../src/definition/pip-requirements.js";
import { ValidationError } from "../../src/errors/index.js";
import {
  PACKAGING_INVALID,
  PACKAGING_INVALID_BUT_A_COMMENT_IN_A_FILE,
  PACKAGING_REQUIREMENTS_SOURCE,
  PACKAGING_VALID,
} from "./packaging-requirements.js";

function read(requirement: string): string | ValidationError {
  try {
    const parsed = parsePipRequirements(
      { path: "requirements.txt", text: `${requirement}\n` },
      { readInclude: () => undefined },
    );
    if (parsed.requirements.length !== 1) {
      return new ValidationError([{ message: `read ${parsed.requirements.length} requirements` }]);
    }
    return parsed.requirements[0]?.name ?? "";
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
}

describe(`PEP 508 vectors: ${PACKAGING_REQUIREMENTS_SOURCE}`, () => {
  it("has the source's full cross product", () => {
    expect(PACKAGING_VALID.length).toBeGreaterThan(1200);
  });

  it("reads every valid requirement with its normalised name, or refuses it for the reason given", () => {
    const wrong: string[] = [];
    for (const vector of PACKAGING_VALID) {
      const result = read(vector.requirement);
      if (vector.refused !== undefined) {
        if (!(result instanceof ValidationError)) wrong.push(`accepted: ${vector.requirement}`);
      } else if (result !== vector.name) {
        wrong.push(`${vector.requirement}: ${result instanceof Error ? result.message : result}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it.each(PACKAGING_INVALID.map((requirement) => [JSON.stringify(requirement)] as const))(
    "refuses %s",
    (written) => {
      const requirement = JSON.parse(written) as string;
      // An empty line is no requirement at all in a requirements file.
      if (requirement === "") return;
      expect(read(requirement)).toBeInstanceOf(ValidationError);
    },
  );

  it.each(PACKAGING_INVALID_BUT_A_COMMENT_IN_A_FILE)("reads %s as pip does in a file", (text) => {
    expect(read(text)).toBe("name");
  });
});

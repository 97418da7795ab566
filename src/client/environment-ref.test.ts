import { describe, expect, it } from "vitest";
import { ValidationError } from "../../errors/index.js";
import { parseEnvironmentRef } from "./environment-ref.js";

describe("parseEnvironmentRef", () => {
  it.each([
    ["pytorch", { name: "pytorch" }],
    ["pytorch@3", { name: "pytorch", version: 3 }],
    ["pytorch:prod", { name: "pytorch", label: "prod" }],
  ])("%s", (text, expected) => {
    expect(parseEnvironmentRef(text)).toEqual(expected);
  });

  it.each(["", "a@b", "a@1:x", "@1", "a:"])("refuses %j", (text) => {
    expect(() => parseEnvironmentRef(text)).toThrow(ValidationError);
    expect(() => parseEnvironmentRef(text)).toThrow(
      `environment: not an environment reference (found ${JSON.stringify(text)}; allowed: NAME, NAME@VERSION (e.g. pytorch@3) or NAME:LABEL (e.g. pytorch:prod))`,
    );
  });
});

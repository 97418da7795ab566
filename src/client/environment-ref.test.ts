import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { parseEnvironmentRef, refWithFlags } from "./environment-ref.js";

describe("parseEnvironmentRef", () => {
  it.each([
    ["pytorch", { name: "pytorch" }],
    ["pytorch@3", { name: "pytorch", version: 3 }],
    ["pytorch:prod", { name: "pytorch", label: "prod" }],
    ["pytorch@prod", { name: "pytorch", label: "prod" }],
    ["pytorch@latest", { name: "pytorch" }],
  ])("%s", (text, expected) => {
    expect(parseEnvironmentRef(text)).toEqual(expected);
  });

  it.each(["", "a@1:x", "@1", "a:", "a@", "a b", "a:b:c"])("refuses %j", (text) => {
    expect(() => parseEnvironmentRef(text)).toThrow(ValidationError);
    expect(() => parseEnvironmentRef(text)).toThrow(
      `environment: not an environment reference (found ${JSON.stringify(text)}; allowed: NAME, NAME@VERSION (e.g. pytorch@3) or NAME:LABEL (e.g. pytorch:prod))`,
    );
  });
});

describe("refWithFlags", () => {
  it.each([
    ["pytorch", {}, { name: "pytorch" }],
    ["pytorch", { version: 2 }, { name: "pytorch", version: 2 }],
    ["pytorch@2", { version: 2 }, { name: "pytorch", version: 2 }],
    ["pytorch:prod", { label: "prod" }, { name: "pytorch", label: "prod" }],
    ["pytorch", { label: "prod" }, { name: "pytorch", label: "prod" }],
  ])("%s with %j", (text, flags, expected) => {
    expect(refWithFlags(text, flags)).toEqual(expected);
  });

  it.each([
    ["pytorch@1", { version: 2 }, "pytorch@1 and --version 2"],
    ["pytorch:a", { label: "b" }, "pytorch:a and --label b"],
    ["pytorch@1", { label: "prod" }, "version 1 and label prod"],
    ["pytorch:prod", { version: 1 }, "version 1 and label prod"],
  ])("refuses %s with %j", (text, flags, found) => {
    expect(() => refWithFlags(text, flags)).toThrow(
      `environment: names two different versions (found ${found}; allowed: one version: NAME, NAME@VERSION (e.g. pytorch@3) or NAME:LABEL (e.g. pytorch:prod))`,
    );
  });
});

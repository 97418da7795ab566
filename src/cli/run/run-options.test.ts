import { describe, expect, it } from "vitest";
import { ValidationError } from "../../errors/index.js";
import { parseEnvOptions, parseMountOptions } from "./run-options.js";

describe("run options", () => {
  it("reads --env K=V, keeping '=' in values", () => {
    expect(parseEnvOptions(["A=1", "B=x=y", "EMPTY="])).toEqual({ A: "1", B: "x=y", EMPTY: "" });
  });

  it("refuses every bad --env at once", () => {
    let error: unknown;
    try {
      parseEnvOptions(["NOEQUALS", "1BAD=x", "OK=1"]);
    } catch (e) {
      error = e;
    }
    if (!(error instanceof ValidationError)) throw new Error("expected a ValidationError");
    expect(error.problems.map((p) => p.found)).toEqual(['"NOEQUALS"', '"1BAD"']);
  });

  it.each([
    ["data:/data", { source: "/home/u/data", target: "/data" }],
    ["/abs:/x:ro", { source: "/abs", target: "/x", readOnly: true }],
  ])("mount %s", (value, expected) => {
    expect(parseMountOptions([value], "/home/u")).toEqual([expected]);
  });

  it.each(["data", "data:relative", "a:/b:rw", ":/x"])("refuses mount %j", (value) => {
    expect(() => parseMountOptions([value], "/home/u")).toThrow(
      `--mount: not a mount (found ${JSON.stringify(value)}; allowed: SOURCE:/absolute/target or SOURCE:/absolute/target:ro)`,
    );
  });
});

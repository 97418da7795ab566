import { describe, expect, it } from "vitest";
import { ExternalError, ValidationError } from "../errors/index.js";
import { RattlerFailure } from "./rattler-solver.js";
import { MAX_EXPLANATION_LINES, shorten, solveError } from "./solve-error.js";

const context = {
  platform: "linux-64",
  channels: [
    { name: "defaults", url: "http://127.0.0.1:9/defaults" },
    { name: "pytorch", url: "http://127.0.0.1:9/pytorch" },
  ],
  specs: ["python=3.10", "numpy>>1"],
  virtualPackages: [{ name: "__glibc", version: "2.28", build: "0" }],
  mirror: "http://127.0.0.1:5555",
  file: "env.yml",
};

describe("shorten", () => {
  it.each([
    ["a 0.1 | 0.1 | 0.1 would require", "a 0.1 would require"],
    ["a 1 | 2 | 2 | 3 would require", "a 1 | 2 | 3 would require"],
    ["a 1 | 2 | 3 | 4 | 5 | 6 would require", "a 1 | 2 | 3 | 4 | … (2 more) would require"],
    ["no alternatives here  \n\n", "no alternatives here"],
  ])("%j", (input, expected) => {
    expect(shorten(input)).toBe(expected);
  });

  it("cuts long explanations to a screen and says how much was left out", () => {
    const lines = Array.from({ length: MAX_EXPLANATION_LINES + 5 }, (_, i) => `line ${i}`);
    const shortened = shorten(lines.join("\n")).split("\n");
    expect(shortened).toHaveLength(MAX_EXPLANATION_LINES + 1);
    expect(shortened.at(-1)).toBe("… (5 more lines)");
  });
});

describe("solveError", () => {
  it("names channels instead of the solver's loopback mirror", () => {
    const error = solveError(
      "Cannot solve the request because of: torch * cannot be installed from http://127.0.0.1:5555/c1/",
      context,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe(
      "env.yml: dependencies: cannot be solved for linux-64: torch * cannot be installed from pytorch",
    );
  });

  it("points at the spec rattler could not parse", () => {
    const error = solveError("unable to parse version spec: >>1", context);
    expect(error.message).toBe(
      'env.yml: dependencies[1]: not a valid conda match spec: unable to parse version spec: >>1 (found "numpy>>1"; allowed: a match spec such as "numpy>=1.2" or "python=3.10")',
    );
  });

  it("reports a crashed or failing solver as external", () => {
    const crashed = solveError(new RattlerFailure("the conda solver crashed: boom", true), context);
    const other = solveError("error sending request", context);
    expect([crashed, other].map((e) => [e instanceof ExternalError, e.message])).toEqual([
      [true, "the conda solver crashed: boom while solving for linux-64"],
      [true, "the conda solver failed for linux-64: error sending request"],
    ]);
  });
});

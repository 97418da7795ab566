import { describe, expect, it } from "vitest";
import { detectFileKind } from "./detect-kind.js";

describe("detectFileKind", () => {
  it("reads a file named environment.yml that is not a mapping as no kind, never as requirements", () => {
    expect(detectFileKind({ path: "environment.yml", text: "aaaa" })).toBeUndefined();
    expect(detectFileKind({ path: "sub/conda.YAML", text: "numpy==1.2\n" })).toBeUndefined();
    expect(detectFileKind({ path: "reqs", text: "numpy==1.2\n" })).toBe("pip");
  });
});

import { describe, expect, it } from "vitest";
import { detectFileKind } from "./detect-kind.js";

describe("detectFileKind", () => {
  it("reads a file named environment.yml that is not a mapping as no kind, never as requirements", () => {
    expect(detectFileKind({ path: "environment.yml", text: "aaaa" })).toBeUndefined();
    expect(detectFileKind({ path: "sub/conda.YAML", text: "numpy==1.2\n" })).toBeUndefined();
    expect(detectFileKind({ path: "reqs", text: "numpy==1.2\n" })).toBe("pip");
  });
});

describe("detectFileKind with misspelt keys", () => {
  it("reads a conda file with misspelt channels and dependencies as conda, not Azure ML v2", () => {
    const text = "name: x\nchanels:\n  - conda-forge\ndependecies:\n  - numpy\n";
    expect(detectFileKind({ path: "environment.yml", text })).toBe("conda");
  });
  it("reads a v2 file with a misspelt image as v2", () => {
    const text = "name: x\nimgae: 127.0.0.1:5000/envforge/debian:bookworm\n";
    expect(detectFileKind({ path: "env.yml", text })).toBe("azureml-v2");
  });
});

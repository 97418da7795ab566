import { describe, expect, it } from "vitest";
import { parseCondaEnvironment } from "../definition/conda-environment.js";
import { parseEnvforgeFile } from "../definition/envforge-file.js";
import { ValidationError } from "../errors/index.js";
import { detectFileKind, parseAsDetected } from "./detect-kind.js";

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

describe("a kind told from content is named, with why, when keys do not fit", () => {
  const messages = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      if (error instanceof ValidationError) return error.message.split("\n");
      throw error;
    }
    throw new Error("expected a ValidationError");
  };

  it("a conda file with misspelt keys", () => {
    const source = {
      path: "environment.yml",
      text: "name: x\nchanels:\n  - conda-forge\ndependecies:\n  - numpy\n",
    };
    expect(
      messages(() => parseAsDetected(source, "conda", () => parseCondaEnvironment(source))),
    ).toEqual([
      'environment.yml:2:1: chanels: unknown key "chanels"; did you mean "channels"? (allowed: channels, dependencies, name, prefix, variables)',
      'environment.yml:4:1: dependecies: unknown key "dependecies"; did you mean "dependencies"? (allowed: channels, dependencies, name, prefix, variables)',
      'environment.yml: read as a conda environment file because it has conda\'s keys (or keys close to them: dependencies, channels) and no image, build or conda_file; "chanels", "dependecies" are not among its keys (give the kind explicitly to read it as another)',
    ]);
  });

  it("an Azure ML v2 file with a conda key", () => {
    const source = {
      path: "env.yml",
      text: "name: x\nimage: 127.0.0.1:5000/envforge/debian:bookworm\ndependecies: [numpy]\n",
    };
    expect(detectFileKind(source)).toBe("azureml-v2");
    expect(
      messages(() => parseAsDetected(source, "azureml-v2", () => parseEnvforgeFile(source))).at(-1),
    ).toBe(
      'env.yml: read as an Azure ML v2 environment YAML because it names its base (image); "dependecies" is not among its keys (give the kind explicitly to read it as another)',
    );
  });

  it("adds nothing when every key fits, or when the kind is plain and a key is only stray", () => {
    for (const text of ['dependencies: ["numpy>>1"]\n', "dependencies: [numpy]\ncolour: red\n"]) {
      const source = { path: "environment.yml", text };
      expect(
        messages(() => parseAsDetected(source, "conda", () => parseCondaEnvironment(source))),
      ).toHaveLength(1);
    }
  });
});

import { describe, expect, it } from "vitest";
import {
  ConflictError,
  ExternalError,
  NotFoundError,
  ValidationError,
  formatProblem,
} from "./errors.js";
import { errorJson, exitCodeOf, httpStatusOf, userMessage } from "./error-map.js";

describe("error map", () => {
  it.each([
    [new ValidationError([{ message: "bad" }]), 2, 422],
    [new NotFoundError("no such environment"), 3, 404],
    [new ConflictError("version 3 exists with other content"), 4, 409],
    [new ExternalError("registry down"), 5, 502],
    [new Error("boom"), 70, 500],
  ])("maps %s", (error, exit, status) => {
    expect(exitCodeOf(error)).toBe(exit);
    expect(httpStatusOf(error)).toBe(status);
  });

  it("tells the user an unknown error is a bug", () => {
    expect(userMessage(new Error("boom"))).toMatch(/^internal error: boom\n.*report it/);
  });
});

describe("formatProblem", () => {
  it("puts file, line, key, found and allowed in one line", () => {
    expect(
      formatProblem({
        file: "env.yml",
        line: 7,
        key: "dependencies[2]",
        message: "not a valid match spec",
        found: '"numpy>>1.2"',
        allowed: 'a spec such as "numpy>=1.2"',
      }),
    ).toBe(
      'env.yml:7: dependencies[2]: not a valid match spec (found "numpy>>1.2"; allowed: a spec such as "numpy>=1.2")',
    );
  });
});

describe("errorJson", () => {
  it("is the problem+json shape with the exit code, and keeps every problem", () => {
    const error = new ValidationError([{ file: "env.yml", line: 3, key: "name", message: "bad" }]);
    expect(errorJson(error)).toEqual({
      type: "urn:envforge:problem:validation",
      title: "Invalid input",
      status: 422,
      detail: "env.yml:3: name: bad",
      error: "validation",
      exitCode: 2,
      problems: [{ file: "env.yml", line: 3, key: "name", message: "bad" }],
    });
  });

  it("hides an internal error's text only when asked (a server's log has it)", () => {
    expect(errorJson(new Error("at /srv/secret/path"))).toMatchObject({
      error: "internal",
      exitCode: 70,
      detail: "at /srv/secret/path",
    });
    expect(
      errorJson(new Error("at /srv/secret/path"), { hideInternal: true }).detail,
    ).not.toContain("/srv");
  });
});

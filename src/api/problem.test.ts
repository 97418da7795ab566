import { describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, ValidationError, errorJson } from "../errors/index.js";
import { problemOf } from "./problem.js";

describe("problemOf", () => {
  it.each([
    new ValidationError([{ key: "name", message: "not a name", found: '"a b"' }]),
    new NotFoundError('environment "x" not found'),
    new ConflictError("version 3 exists with other content"),
  ])("is the CLI's --json error object plus the request path: %s", (error) => {
    const { instance, ...rest } = problemOf(error, "/api/v1/x");
    expect(instance).toBe("/api/v1/x");
    expect(rest).toEqual(errorJson(error));
  });
});

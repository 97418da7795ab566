/**
 * Where a registration's files are on the user's disk. The loader names files by their path in
 * the file map; both adapters show them under the folder they were collected from, so a
 * message reads the same in-process and through a server.
 */
import { posix } from "node:path";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";

export function problemUnder(problem: Problem, displayRoot: string | undefined): Problem {
  if (problem.file === undefined || displayRoot === undefined || displayRoot === ".") {
    return problem;
  }
  return { ...problem, file: posix.join(displayRoot, problem.file) };
}

export function errorUnder(error: unknown, displayRoot: string | undefined): unknown {
  if (!(error instanceof ValidationError) || displayRoot === undefined || displayRoot === ".") {
    return error;
  }
  return new ValidationError(
    error.problems.map((problem) => problemUnder(problem, displayRoot)),
    { cause: error },
  );
}

import { ValidationError } from "../../src/errors/index.js";

/** The lines of the ValidationError that `run` throws; fails the test when it throws none. */
export function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected a ValidationError");
}

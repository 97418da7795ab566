import { EnvforgeError, ValidationError } from "./errors.js";
import type { ErrorKind } from "./errors.js";

interface Mapping {
  readonly exitCode: number;
  readonly httpStatus: number;
  readonly title: string;
}

/** The one map from error class to exit code and HTTP status (ARCHITECTURE.md, Errors). */
const MAP: Readonly<Record<ErrorKind, Mapping>> = {
  validation: { exitCode: 2, httpStatus: 422, title: "Invalid input" },
  "not-found": { exitCode: 3, httpStatus: 404, title: "Not found" },
  conflict: { exitCode: 4, httpStatus: 409, title: "Conflict" },
  unauthorized: { exitCode: 6, httpStatus: 401, title: "Unauthorized" },
  forbidden: { exitCode: 7, httpStatus: 403, title: "Forbidden" },
  external: { exitCode: 5, httpStatus: 502, title: "External service failed" },
  internal: { exitCode: 70, httpStatus: 500, title: "Internal error" },
};

export const INTERNAL_HINT =
  "This is a bug in envforge; please report it with the command you ran and this message.";

export function kindOf(error: unknown): ErrorKind {
  return error instanceof EnvforgeError ? error.kind : "internal";
}

export function exitCodeOf(error: unknown): number {
  return MAP[kindOf(error)].exitCode;
}

export function httpStatusOf(error: unknown): number {
  return MAP[kindOf(error)].httpStatus;
}

export function titleOf(error: unknown): string {
  return MAP[kindOf(error)].title;
}

/** What a user sees for an error: the message, never a stack trace unless asked for. */
export function userMessage(error: unknown): string {
  if (error instanceof EnvforgeError) {
    if (error.kind === "internal") return `${error.message}\n${INTERNAL_HINT}`;
    return error.message;
  }
  const text = error instanceof Error ? error.message : String(error);
  return `internal error: ${text}\n${INTERNAL_HINT}`;
}

/** The machine-readable form used by `--json` and by problem+JSON bodies. */
export function errorJson(error: unknown): Record<string, unknown> {
  const kind = kindOf(error);
  return {
    error: kind,
    title: MAP[kind].title,
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof ValidationError ? { problems: error.problems } : {}),
  };
}

import { EnvforgeError, ValidationError } from "./errors.js";
import type { ErrorKind, Problem } from "./errors.js";

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

/**
 * The one error object: `--json` prints it and the API answers it as problem+json (RFC 9457),
 * so a script reads the same fields from either surface. `detail` is the message; a server
 * hides an internal error's text (it may hold the server's details; its log has them).
 */
export interface ErrorObject {
  /** `urn:envforge:problem:<error>` */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The error kind: `validation`, `not-found`, `conflict`, ... */
  readonly error: ErrorKind;
  readonly exitCode: number;
  readonly problems?: readonly Problem[];
}

export function errorJson(
  error: unknown,
  options: { readonly hideInternal?: boolean } = {},
): ErrorObject {
  const kind = kindOf(error);
  const mapping = MAP[kind];
  const text = error instanceof Error ? error.message : String(error);
  return {
    type: `urn:envforge:problem:${kind}`,
    title: mapping.title,
    status: mapping.httpStatus,
    detail:
      kind === "internal" && options.hideInternal === true
        ? "the server failed; the log has the details"
        : text,
    error: kind,
    exitCode: mapping.exitCode,
    ...(error instanceof ValidationError ? { problems: error.problems } : {}),
  };
}

/** The exit codes every command uses, for help and docs (`envforge run` adds its own). */
export function exitCodeTable(): readonly { readonly code: number; readonly meaning: string }[] {
  const kinds = Object.values(MAP).map((m) => ({
    code: m.exitCode,
    meaning: m.title.toLowerCase(),
  }));
  return [{ code: 0, meaning: "success" }, ...kinds].sort((a, b) => a.code - b.code);
}

/**
 * Problem+JSON bodies (RFC 9457) from the one error map: every error an HTTP caller sees has the
 * status, title and exit-code kind the CLI would give it, plus `problems` for invalid input.
 * Request-shape errors found by fastify itself (not JSON, wrong types, unknown keys, too large)
 * become 400/413/415 with the same body, so clients parse one format.
 */
import type { FastifyError } from "fastify";
import { errorJson } from "../errors/index.js";
import type { Problem } from "../errors/index.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface ProblemBody {
  /** `urn:envforge:problem:<kind>` */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The request path. */
  readonly instance?: string;
  /** The error kind of the error map (`validation`, `not-found`, ...) or `bad-request`. */
  readonly error: string;
  /** The CLI's exit code for the same error (absent for request-shape errors). */
  readonly exitCode?: number;
  readonly problems?: readonly Problem[];
}

export function problemType(kind: string): string {
  return `urn:envforge:problem:${kind}`;
}

/**
 * The body for an envforge error (or any other thrown value, as an internal error): the CLI's
 * `--json` error object (errors/error-map.ts) with the request path.
 */
export function problemOf(error: unknown, instance?: string): ProblemBody {
  return {
    ...errorJson(error, { hideInternal: true }),
    ...(instance === undefined ? {} : { instance }),
  };
}

/** Errors fastify raises before a handler runs: the request is not one this route accepts. */
export function requestProblem(error: FastifyError, instance: string): ProblemBody | undefined {
  if (error.validation !== undefined) {
    const problems: Problem[] = error.validation.map((issue) => ({
      key: [error.validationContext, issue.instancePath.replace(/^\//, "").replaceAll("/", ".")]
        .filter((part) => part !== undefined && part !== "")
        .join("."),
      message: issue.message ?? "is not valid",
    }));
    return badRequest(400, "Bad request", error.message, instance, problems);
  }
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const titles: Readonly<Record<number, string>> = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    414: "URI too long",
    415: "Unsupported media type",
  };
  return badRequest(status, titles[status] ?? "Bad request", error.message, instance);
}

function badRequest(
  status: number,
  title: string,
  detail: string,
  instance: string,
  problems?: readonly Problem[],
): ProblemBody {
  return {
    type: problemType(status === 404 ? "not-found" : "bad-request"),
    title,
    status,
    detail,
    instance,
    error: status === 404 ? "not-found" : "bad-request",
    ...(problems === undefined ? {} : { problems }),
  };
}

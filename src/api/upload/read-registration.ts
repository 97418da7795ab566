/**
 * A registration request body, read in one function from its bytes to what registerEnvironment
 * takes: JSON (as json-reading.ts reads every body), the route's body
 * schema, the definition loaded from the uploaded files, and prepareDefinition (hash, recipe
 * rules, stored JSON). The server runs it on a worker thread for bodies of some size and in place
 * for small ones (parse-pool.ts); both give the same answer because both run this function.
 *
 * The answer crosses threads by structured clone, so it holds data only: an error as its wire
 * form (errorFromWire makes the same error again), the body schema's issues as fastify's zod
 * validator gives them (the route's validator hands them to fastify, which words them as for
 * any other route).
 */
import { validatorCompiler } from "fastify-type-provider-zod";
import {
  ConflictError,
  EnvforgeError,
  ExternalError,
  ForbiddenError,
  InternalError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from "../../errors/index.js";
import type { Problem } from "../../errors/index.js";
import type { ParseSettings } from "../../definition/definition.js";
import type { PreparedDefinition } from "../../workspace/prepare-registration.js";
import { prepareDefinition } from "../../workspace/prepare-registration.js";
import { readJsonBody } from "../json-reading.js";
import { registerBody } from "../schemas.js";
import { loadUpload } from "./load-upload.js";

/** The body's own fields besides the files, as the route's schema reads them. */
export interface RegistrationOptions {
  readonly version?: number;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly requireLock?: boolean;
}

export type RegistrationReading =
  | {
      readonly kind: "read";
      readonly options: RegistrationOptions;
      readonly prepared: PreparedDefinition;
      readonly warnings: readonly Problem[];
      readonly contextContent: ReadonlyMap<string, Uint8Array>;
    }
  /** Not JSON: fastify's 400 for a body it cannot parse. */
  | { readonly kind: "bad-json"; readonly message: string }
  /** JSON that is not a registration body: the schema's issues, for fastify's 400. */
  | { readonly kind: "invalid-body"; readonly issues: readonly unknown[] }
  /** The definition could not be read (422 for invalid content) or reading failed. */
  | { readonly kind: "failed"; readonly error: WireError };

export interface WireError {
  readonly name: string;
  readonly kind?: string;
  readonly message: string;
  readonly problems?: readonly Problem[];
  readonly stack?: string;
}

export function readRegistration(bytes: Uint8Array, settings: ParseSettings): RegistrationReading {
  const json = readJsonBody(bytes);
  if (json.kind === "bad-json") return json;
  const checked = validateBody(json.value);
  if ("error" in checked) return { kind: "invalid-body", issues: checked.error };
  const { version, description, tags, requireLock, ...upload } = checked.value;
  try {
    const loaded = loadUpload(upload, { settings });
    return {
      kind: "read",
      options: {
        ...(version === undefined ? {} : { version }),
        ...(description === undefined ? {} : { description }),
        ...(tags === undefined ? {} : { tags }),
        ...(requireLock === undefined ? {} : { requireLock }),
      },
      prepared: prepareDefinition(loaded.definition, loaded.sourceFiles),
      warnings: loaded.warnings,
      contextContent: loaded.contextContent,
    };
  } catch (error) {
    return { kind: "failed", error: errorToWire(error) };
  }
}

/** The body schema's verdict; its issues exactly as the route's zod validator gives them. */
export function validateBody(
  value: unknown,
): { readonly value: RegisterBodyValue } | { readonly error: readonly unknown[] } {
  const parsed = registerBody.safeParse(value);
  if (parsed.success) return { value: parsed.data };
  const result: unknown = bodyValidator(value);
  const issues: unknown =
    typeof result === "object" && result !== null && "error" in result ? result.error : [];
  return { error: Array.isArray(issues) ? issues : [issues] };
}

type RegisterBodyValue = ReturnType<typeof registerBody.parse>;

/** fastify-type-provider-zod's validator for the route's body: the same issues, worded the same. */
export const bodyValidator = validatorCompiler({
  schema: registerBody,
  method: "POST",
  url: "/v1/workspaces/:workspace/environments/:name/versions",
  httpPart: "body",
});

/** The error as data, to cross a thread; errorFromWire makes it again. */
export function errorToWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  return {
    name: error.name,
    message: error.message,
    ...(error instanceof EnvforgeError ? { kind: error.kind } : {}),
    ...(error instanceof ValidationError ? { problems: error.problems } : {}),
    ...(error.stack === undefined ? {} : { stack: error.stack }),
  };
}

/**
 * The error again, of the class that gives the same answer (status, problems, message); an
 * unexpected one becomes an internal error whose message and stack the server's log keeps.
 */
export function errorFromWire(wire: WireError): Error {
  if (wire.kind === "validation" && wire.problems !== undefined) {
    return new ValidationError(wire.problems);
  }
  const make = wire.kind === undefined ? undefined : BY_KIND[wire.kind];
  const error = make === undefined ? new InternalError(wire.message) : make(wire.message);
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

const BY_KIND: Readonly<Record<string, (message: string) => EnvforgeError>> = {
  "not-found": (message) => new NotFoundError(message),
  conflict: (message) => new ConflictError(message),
  unauthorized: (message) => new UnauthorizedError(message),
  forbidden: (message) => new ForbiddenError(message),
  external: (message) => new ExternalError(message),
  internal: (message) => new InternalError(message),
};

const READING_KINDS = new Set(["read", "bad-json", "invalid-body", "failed"]);

/** A reading made by readRegistration, here or on a thread: its own data, so the tag is checked. */
export function isRegistrationReading(value: unknown): value is RegistrationReading {
  return (
    typeof value === "object" &&
    value !== null &&
    "kind" in value &&
    typeof value.kind === "string" &&
    READING_KINDS.has(value.kind)
  );
}

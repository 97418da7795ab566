/**
 * The few error classes of envforge. Every layer throws one of these (wrapping a lower error as
 * `cause`); surfaces map them once, in `exitCodeOf` / `httpStatusOf`, to exit codes and statuses.
 */

/** Where a problem sits in the user's input. All fields optional: fill what is known. */
export interface Location {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Dotted key path inside the file, e.g. `dependencies[3]` or `build.path`. */
  readonly key?: string;
}

/** One problem in user input: what was found, what is allowed, and where. */
export interface Problem extends Location {
  readonly message: string;
  readonly found?: string;
  readonly allowed?: string;
}

export type ErrorKind =
  "validation" | "not-found" | "conflict" | "unauthorized" | "forbidden" | "external" | "internal";

export interface EnvforgeErrorOptions {
  readonly cause?: unknown;
}

export abstract class EnvforgeError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options: EnvforgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** Bad user input. Carries every problem found, so the user can fix them all at once. */
export class ValidationError extends EnvforgeError {
  readonly kind = "validation";
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[], options: EnvforgeErrorOptions = {}) {
    super(problems.map(formatProblem).join("\n"), options);
    this.problems = problems;
  }

  static single(problem: Problem, options: EnvforgeErrorOptions = {}): ValidationError {
    return new ValidationError([problem], options);
  }
}

export class NotFoundError extends EnvforgeError {
  readonly kind = "not-found";
}

export class ConflictError extends EnvforgeError {
  readonly kind = "conflict";
}

export class UnauthorizedError extends EnvforgeError {
  readonly kind = "unauthorized";
}

export class ForbiddenError extends EnvforgeError {
  readonly kind = "forbidden";
}

/** An engine, registry, channel or index outside envforge failed or could not be reached. */
export class ExternalError extends EnvforgeError {
  readonly kind = "external";
}

/** A bug in envforge. */
export class InternalError extends EnvforgeError {
  readonly kind = "internal";
}

/** `env.yml:7: dependencies[2]: found "numpy>>1.2"; allowed: a match spec such as "numpy>=1.2"` */
export function formatProblem(problem: Problem): string {
  const where = [
    problem.file,
    problem.line === undefined
      ? undefined
      : `${problem.line}${problem.column === undefined ? "" : `:${problem.column}`}`,
  ]
    .filter((part) => part !== undefined)
    .join(":");
  const head = [where, problem.key].filter((part) => part !== undefined && part !== "").join(": ");
  const details = [
    problem.found === undefined ? undefined : `found ${problem.found}`,
    problem.allowed === undefined ? undefined : `allowed: ${problem.allowed}`,
  ].filter((part) => part !== undefined);
  const body = details.length > 0 ? `${problem.message} (${details.join("; ")})` : problem.message;
  return head === "" ? body : `${head}: ${body}`;
}

/** Collects problems while a parser walks its input, then fails once with all of them. */
export class ProblemCollector {
  readonly #problems: Problem[] = [];

  add(problem: Problem): void {
    this.#problems.push(problem);
  }

  addAll(problems: readonly Problem[]): void {
    this.#problems.push(...problems);
  }

  get problems(): readonly Problem[] {
    return this.#problems;
  }

  get ok(): boolean {
    return this.#problems.length === 0;
  }

  /** Throws a ValidationError holding every problem collected so far, if there is any. */
  throwIfAny(): void {
    if (this.#problems.length > 0) throw new ValidationError(this.#problems);
  }
}

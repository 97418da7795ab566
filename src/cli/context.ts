import type { EnvforgeConfig } from "../host/config.js";

/** What a command may touch of the outside world: injected so tests run commands in-process. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Read once per invocation from `env` (config file folded in) by run-cli.ts. */
  readonly config: EnvforgeConfig;
}

/** Options every command understands. */
export interface GlobalOptions {
  readonly json?: boolean;
}

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One NDJSON line: streams (`build logs`, `run`, `worker`) print one object per event. */
export function writeEvent(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

export function writeLine(io: CliIo, text = ""): void {
  io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/**
 * Thrown by a command that has already told the user what failed (e.g. `validate` printed each
 * file's problems): the CLI exits with the code of `error` without printing it again.
 */
export class AlreadyReported extends Error {
  constructor(readonly error: unknown) {
    super("already reported");
  }
}

/**
 * Thrown by a command whose exit code is not an error's (`envforge run` exits with its job's
 * code): the CLI exits with `code` and prints nothing more.
 */
export class CommandExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Thrown by a command whose own failures take other exit codes than the error map's (`envforge
 * run` keeps 1-124 for its job, as `docker run` does): the CLI reports `error` as usual and exits
 * with `code`.
 */
export class FailedWithCode extends Error {
  constructor(
    readonly error: unknown,
    readonly code: number,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The exit codes of the CLI, as top-level help lists them: the error map's (errors/error-map.ts)
 * and `envforge run`'s own, which follow `docker run` so every code below 125 is the job's.
 */
import { exitCodeTable } from "../errors/index.js";

/** `run`'s code for its own failures (envforge, the engine, or its own bad options). */
export const RUN_OWN_FAILURE = 125;

/** `run` exit codes, as `docker run` gives them (run/run-command.ts uses them). */
export const RUN_EXIT_CODES: readonly { readonly code: number; readonly meaning: string }[] = [
  { code: RUN_OWN_FAILURE, meaning: "envforge or the engine failed (the message says why)" },
  { code: 126, meaning: "the command cannot be invoked (not executable)" },
  { code: 127, meaning: "the command was not found in the image" },
];

/** The exit-code table of top-level help, from the one error map. */
export function exitCodesHelp(): string {
  const rows = exitCodeTable().map(
    ({ code, meaning }) => `  ${String(code).padStart(3)}  ${meaning}`,
  );
  const run = RUN_EXIT_CODES.map(
    ({ code, meaning }) => `  ${String(code).padStart(3)}  ${meaning}`,
  );
  return [
    "",
    "Exit codes:",
    ...rows,
    "  envforge run: the job's own exit code, unchanged, or",
    ...run,
  ].join("\n");
}

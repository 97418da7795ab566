import { isAbsolute, resolve } from "node:path";
import type { Command } from "commander";
import { ValidationError, formatProblem } from "../errors/index.js";
import type { Problem } from "../errors/index.js";
import { loadDefinition } from "../host/load-definition.js";
import { FILE_DEFINITION_KINDS } from "../definition/definition.js";
import type { Definition, DefinitionKind } from "../definition/definition.js";
import type { CliIo } from "./context.js";

export const KIND_CHOICES: readonly DefinitionKind[] = FILE_DEFINITION_KINDS;

/** The options every command that reads a definition file shares. */
export function addDefinitionOptions(command: Command): Command {
  return command
    .option("--kind <kind>", `read FILE as this kind (${KIND_CHOICES.join(", ")})`)
    .option("--dockerfile-path <path>", "for a build context folder: its Dockerfile")
    .option("--json", "print JSON for scripts");
}

export interface DefinitionInputOptions {
  readonly kind?: string;
  readonly dockerfilePath?: string;
  readonly json?: boolean;
}

/**
 * Reads one definition the way every command does: configuration from the environment,
 * warnings (accepted but ignored content) on stderr, errors thrown for the one exit path.
 */
export async function readDefinitionInput(
  io: CliIo,
  file: string,
  options: DefinitionInputOptions,
  warnings: Problem[] = [],
): Promise<Definition> {
  const config = io.config;
  const definition = await loadDefinition(resolveFrom(io, file), {
    settings: config.parse,
    ...(options.kind === undefined ? {} : { kind: parseKind(options.kind) }),
    ...(options.dockerfilePath === undefined ? {} : { dockerfilePath: options.dockerfilePath }),
    onWarning: (warning) => {
      warnings.push(warning);
      if (options.json !== true) io.stderr.write(`warning: ${formatProblem(warning)}\n`);
    },
  });
  return definition;
}

/**
 * Paths on the command line are relative to the CLI's working folder. They are passed on as
 * typed when that is the process's own folder, so messages name the file the way the user did.
 */
export function resolveFrom(io: CliIo, path: string): string {
  return isAbsolute(path) || io.cwd === process.cwd() ? path : resolve(io.cwd, path);
}

function parseKind(kind: string): DefinitionKind {
  const found = KIND_CHOICES.find((choice) => choice === kind);
  if (found === undefined) {
    throw ValidationError.single({
      key: "--kind",
      message: "unknown definition kind",
      found: JSON.stringify(kind),
      allowed: KIND_CHOICES.join(", "),
    });
  }
  return found;
}

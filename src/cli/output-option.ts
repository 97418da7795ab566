/**
 * `-o, --output <path>`: the one spelling of "where to write" in every command. `--out`, the
 * spelling `convert` and `ingredients` first had, still works for the scripts written against
 * it, hidden from help and with a warning, until it is removed.
 */
import { Option } from "commander";
import type { Command } from "commander";
import { ValidationError } from "../errors/index.js";
import type { CliIo } from "./context.js";

export interface OutputOptions {
  readonly output?: string;
  readonly out?: string;
  readonly json?: boolean;
}

export function addOutputOption(command: Command, description: string): Command {
  return command
    .option("-o, --output <path>", description)
    .addOption(new Option("--out <path>", "deprecated spelling of --output").hideHelp());
}

/** The path to write to; `--out` warns (on stderr, never in `--json` output). */
export function outputPath(io: CliIo, options: OutputOptions): string {
  const { output, out } = options;
  if (output !== undefined && out !== undefined && output !== out) {
    throw ValidationError.single({
      key: "--output",
      message: "given twice with different paths",
      found: `--output ${output} and --out ${out}`,
      allowed: "one -o, --output PATH",
    });
  }
  if (out !== undefined && output === undefined) {
    io.stderr.write("warning: --out is deprecated and will be removed; use -o, --output\n");
  }
  const path = output ?? out;
  if (path === undefined) {
    throw ValidationError.single({
      key: "--output",
      message: "required option missing",
      allowed: "-o, --output DIR: the folder to write",
    });
  }
  return path;
}

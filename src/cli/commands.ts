import type { Command } from "commander";
import type { CliIo } from "./context.js";
import { registerInstallCommand } from "./install/install-command.js";

/** Adds one command (with its subcommands) to the program. One folder per command. */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/** Every command of the CLI, in the order `--help` lists them. Add one line per command. */
export const COMMANDS: readonly RegisterCommand[] = [registerInstallCommand];

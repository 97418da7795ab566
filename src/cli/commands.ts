import type { Command } from "commander";
import type { CliIo } from "./context.js";
import { registerBuildCommands } from "./build/build-command.js";
import { registerConfigCommand } from "./config/config-command.js";
import { registerConvertCommand } from "./convert/convert-command.js";
import { registerEnvCommand } from "./env/env-command.js";
import { registerDockerfileCommand } from "./dockerfile/dockerfile-command.js";
import { registerGcCommand } from "./gc/gc-command.js";
import { registerHashCommand } from "./hash/hash-command.js";
import { registerIngredientsCommand } from "./ingredients/ingredients-command.js";
import { registerInstallCommand } from "./install/install-command.js";
import { registerLockCommand } from "./lock/lock-command.js";
import { registerJobCommand } from "./run/job-command.js";
import { registerRunCommand } from "./run/run-command.js";
import { registerServeCommand } from "./serve/serve-command.js";
import { registerTokenCommand } from "./token/token-command.js";
import { registerValidateCommand } from "./validate/validate-command.js";
import { registerWorkerCommand } from "./worker/worker-command.js";
import { registerWorkspaceCommand } from "./workspace/workspace-command.js";

/** Adds one command (with its subcommands) to the program. One folder per command. */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/** Every command of the CLI, in the order `--help` lists them. Add one line per command. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerValidateCommand,
  registerHashCommand,
  registerDockerfileCommand,
  registerIngredientsCommand,
  registerConvertCommand,
  registerLockCommand,
  registerInstallCommand,
  registerEnvCommand,
  registerBuildCommands,
  registerWorkspaceCommand,
  registerServeCommand,
  registerTokenCommand,
  registerWorkerCommand,
  registerRunCommand,
  registerJobCommand,
  registerConfigCommand,
  registerGcCommand,
];

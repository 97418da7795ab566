import type { Command } from "commander";
import type { CliIo } from "./context.js";

/** Adds one command (with its subcommands) to the program. One folder per command. */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/**
 * One command of the CLI: the top-level names it adds and how to load its module. Modules load
 * on demand so a command pays only for what it imports (`hash` never loads the Docker client,
 * the HTTP server or the PostgreSQL driver).
 */
export interface CommandEntry {
  readonly names: readonly string[];
  /**
   * For a group that several entries add to (`env`): the subcommands this entry adds, by group.
   * `env build` then loads only the entry that adds `build`, not every `env` subcommand.
   */
  readonly adds?: Readonly<Record<string, readonly string[]>>;
  readonly load: () => Promise<RegisterCommand>;
}

/** Every command of the CLI, in the order `--help` lists them. Add one entry per command. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    names: ["validate"],
    load: async () => (await import("./validate/validate-command.js")).registerValidateCommand,
  },
  {
    names: ["hash"],
    load: async () => (await import("./hash/hash-command.js")).registerHashCommand,
  },
  {
    names: ["dockerfile"],
    load: async () =>
      (await import("./dockerfile/dockerfile-command.js")).registerDockerfileCommand,
  },
  {
    names: ["ingredients"],
    load: async () =>
      (await import("./ingredients/ingredients-command.js")).registerIngredientsCommand,
  },
  {
    names: ["convert"],
    load: async () => (await import("./convert/convert-command.js")).registerConvertCommand,
  },
  {
    names: ["lock"],
    load: async () => (await import("./lock/lock-command.js")).registerLockCommand,
  },
  {
    names: ["install"],
    load: async () => (await import("./install/install-command.js")).registerInstallCommand,
  },
  { names: ["env"], load: async () => (await import("./env/env-command.js")).registerEnvCommand },
  // Adds `build` and `env build`, so it is loaded for either name.
  {
    names: ["build", "env"],
    adds: { env: ["build"] },
    load: async () => (await import("./build/build-command.js")).registerBuildCommands,
  },
  {
    names: ["sbom"],
    load: async () => (await import("./sbom/sbom-command.js")).registerSbomCommand,
  },
  {
    names: ["workspace"],
    load: async () => (await import("./workspace/workspace-command.js")).registerWorkspaceCommand,
  },
  {
    names: ["serve"],
    load: async () => (await import("./serve/serve-command.js")).registerServeCommand,
  },
  {
    names: ["token"],
    load: async () => (await import("./token/token-command.js")).registerTokenCommand,
  },
  {
    names: ["worker"],
    load: async () => (await import("./worker/worker-command.js")).registerWorkerCommand,
  },
  { names: ["run"], load: async () => (await import("./run/run-command.js")).registerRunCommand },
  { names: ["job"], load: async () => (await import("./run/job-command.js")).registerJobCommand },
  {
    names: ["config"],
    load: async () => (await import("./config/config-command.js")).registerConfigCommand,
  },
  { names: ["gc"], load: async () => (await import("./gc/gc-command.js")).registerGcCommand },
  {
    names: ["completion", "completion-server"],
    load: async () =>
      (await import("./completion/completion-command.js")).registerCompletionCommand,
  },
];

/**
 * The commands an invocation needs: the one it names, or all of them when it names none, asks
 * for help before naming one, names one that does not exist (so the usage error can suggest
 * the nearest name), or asks for completions. Program options come only before the command and
 * take no values, so the first word that is not an option is the command's name.
 */
export function commandsFor(
  argv: readonly string[],
  commands: readonly CommandEntry[] = COMMANDS,
): readonly CommandEntry[] {
  const name = argv.find((word) => !word.startsWith("-"));
  const before = name === undefined ? argv : argv.slice(0, argv.indexOf(name));
  if (name === undefined || before.includes("--help") || before.includes("-h")) return commands;
  // Completion answers from the whole command tree.
  if (name === "completion-server") return commands;
  const named = commands.filter((entry) => entry.names.includes(name));
  if (named.length === 0) return commands;
  // A group's subcommand another entry adds alone: only that entry (`env build`, not `env list`).
  const rest = argv.slice(argv.indexOf(name) + 1);
  const sub = rest.find((word) => !word.startsWith("-"));
  const asksHelp = rest.slice(0, sub === undefined ? rest.length : rest.indexOf(sub));
  if (sub === undefined || asksHelp.includes("--help") || asksHelp.includes("-h")) return named;
  const adding = named.filter((entry) => entry.adds?.[name]?.includes(sub) === true);
  return adding.length > 0 ? adding : named;
}

import { Command, CommanderError } from "commander";
import { errorJson, exitCodeOf, userMessage } from "../errors/index.js";
import { envWithConfigFile, readConfigFile } from "../host/config-file.js";
import { readConfig } from "../host/config.js";
import type { EnvforgeConfig } from "../host/config.js";
import { recordCommandPath } from "./command-path.js";
import { commandsFor } from "./commands.js";
import { RUN_OWN_FAILURE, exitCodesHelp } from "./exit-codes.js";
import { HELP_CONFIGURATION, programEpilogue } from "./help.js";
import { AlreadyReported, CommandExit, FailedWithCode } from "./context.js";
import type { CliIo } from "./context.js";
import { packageVersion } from "./package-version.js";

/**
 * Builds the command tree (only the commands `argv` names; see commands.ts) and runs one
 * invocation. Every error, whatever its source, leaves here as a readable message (or a JSON
 * body with `--json`) and the exit code of the one error map.
 */
export async function runCli(argv: readonly string[], io: Omit<CliIo, "config">): Promise<number> {
  const program = new Command("envforge")
    .description(
      "Define, register, inspect, build and run content-addressed ML environments.\n" +
        "Every command takes --json for scripts and --help for examples.",
    )
    .version(await packageVersion(), "-V, --version")
    // Program options only before the command, so `env show x --version 2` is the command's.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", exitCodesHelp())
    .addHelpText("after", programEpilogue())
    // Inherited by every command added below: one way of showing defaults.
    .configureHelp(HELP_CONFIGURATION)
    // The command that runs names the pack of chunks the bundle's loader keeps for it.
    .hook("preAction", (_program, action) => {
      const path: string[] = [];
      for (let at: Command | null = action; at?.parent; at = at.parent) path.unshift(at.name());
      recordCommandPath(path);
    });

  // Every command sees the config file's settings where no variable is set (flags win in each).
  const configured = await withConfigFile(io);
  const registers = await Promise.all(commandsFor(argv).map((entry) => entry.load()));
  for (const register of registers) register(program, configured.io);

  const wantsJson = argv.includes("--json");
  try {
    if (configured.problem !== undefined) throw configured.problem;
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit through here with code 0; usage errors were already printed.
      // `run` keeps every code below 125 for its job, as `docker run` does.
      if (error.exitCode === 0) return 0;
      return argv.find((word) => !word.startsWith("-")) === "run" ? RUN_OWN_FAILURE : 2;
    }
    if (error instanceof AlreadyReported) return exitCodeOf(error.error);
    if (error instanceof CommandExit) return error.code;
    const cause = error instanceof FailedWithCode ? error.error : error;
    const code = error instanceof FailedWithCode ? error.code : exitCodeOf(error);
    if (wantsJson) io.stdout.write(`${JSON.stringify({ ...errorJson(cause), exitCode: code })}\n`);
    else io.stderr.write(`envforge: ${userMessage(cause)}\n`);
    if (io.env.ENVFORGE_DEBUG === "1" && cause instanceof Error && cause.stack) {
      io.stderr.write(`${cause.stack}\n`);
    }
    return code;
  }
}

/** A config file that cannot be read or parsed fails the command (exit 2), not the process. */
async function withConfigFile(
  io: Omit<CliIo, "config">,
): Promise<{ readonly io: CliIo; readonly problem?: unknown }> {
  // The invocation's one read of the configuration: commands take io.config and io.env.
  try {
    const env = envWithConfigFile(io.env, await readConfigFile(io.env));
    return { io: { ...io, env, config: readConfig(env) } };
  } catch (problem) {
    return { io: { ...io, config: configForRegistering(io.env) }, problem };
  }
}

/**
 * Commands register before the problem is reported, and need a config to do so: the
 * environment's, or the defaults when the environment itself holds the bad value.
 */
function configForRegistering(env: NodeJS.ProcessEnv): EnvforgeConfig {
  try {
    return readConfig(env);
  } catch {
    return readConfig({});
  }
}

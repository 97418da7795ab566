import type { Command } from "commander";
import * as z from "zod";
import type { CliIo } from "../context.js";
import { runInstall } from "./run-install.js";

/** What commander hands the action, checked rather than assumed. */
const installOptions = z.object({
  prefix: z.string(),
  targetPrefix: z.string().optional(),
  platform: z.string().optional(),
  concurrency: z.string().optional(),
  hardlink: z.boolean().optional(),
  json: z.boolean().optional(),
});

export function registerInstallCommand(program: Command, io: CliIo): void {
  program
    .command("install")
    .description("Install a lock's conda packages into a new prefix, without conda")
    .argument("<lock>", "envforge.lock file")
    .requiredOption("--prefix <dir>", "folder to create the environment in (new or empty)")
    .option(
      "--target-prefix <path>",
      "path the environment will have where it runs, written into its files (default: --prefix)",
    )
    .option("--platform <subdir>", "platform of the lock to install (default: its only one)")
    .option("--concurrency <n>", "packages downloaded at once (default 4)")
    .option("--hardlink", "hard-link files from the package cache instead of copying them")
    .option("--json", "print a JSON summary for scripts")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  envforge install envforge.lock --prefix ./env",
        "  envforge install envforge.lock --prefix ./build/env --target-prefix /opt/envforge/envs/myenv",
        "",
        "Packages are cached, by sha256, in $ENVFORGE_HOME/cache/pkgs. Link scripts are not run and",
        ".pyc files are not compiled; see docs/installer.md.",
      ].join("\n"),
    )
    .action((lock: string, options: unknown) =>
      runInstall(lock, installOptions.parse(options), io),
    );
}

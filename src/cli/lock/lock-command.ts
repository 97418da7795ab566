import type { Command } from "commander";
import * as z from "zod";
import type { CliIo } from "../context.js";
import { addDefinitionOptions } from "../definition-input.js";
import { runLock } from "./run-lock.js";

/** What commander hands the action, checked rather than assumed. */
const lockOptions = z.object({
  output: z.string().optional(),
  check: z.boolean().optional(),
  platform: z.array(z.string()),
  export: z.string().optional(),
  import: z.string().optional(),
  update: z.array(z.string()),
  offline: z.boolean().optional(),
  json: z.boolean().optional(),
  kind: z.string().optional(),
  dockerfilePath: z.string().optional(),
});

export function registerLockCommand(program: Command, io: CliIo): void {
  addDefinitionOptions(
    program
      .command("lock")
      .description("Resolve a definition's conda packages for its target and write envforge.lock")
      .argument("<file>", "definition file or folder, or an envforge.lock to --export"),
  )
    .option(
      "-o, --output <path>",
      "lock file to write or check (default: envforge.lock beside FILE; - for stdout)",
    )
    .option("--check", "fail unless the lock still matches the definition (no solve)")
    .option(
      "--platform <subdir>",
      "target platform, repeatable (default: the definition's, e.g. linux-64)",
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option(
      "--export <format>",
      "write this format instead of envforge.lock, from the existing lock when it fits: explicit, conda-lock, pixi",
    )
    .option(
      "--import <file>",
      "make the lock from a conda explicit spec, a conda-lock v1 file or a pixi.lock (version 6)",
    )
    .option(
      "--update <package>",
      "re-resolve this package and keep the rest of envforge.lock pinned, repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option("--offline", "use cached channel repodata only")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  envforge lock env.yml",
        "  envforge lock env.yml --check",
        "  envforge lock env.yml --export explicit > explicit.txt",
        "  envforge lock env.yml --import conda-lock.yml",
        "  envforge lock env.yml --update numpy",
        "  envforge lock envforge.lock --export conda-lock > conda-lock.yml",
        "  envforge lock envforge.lock --export pixi > pixi.lock",
        "",
        "Channel names map to URLs through ENVFORGE_CHANNEL_URLS (name=url,...) and",
        "ENVFORGE_CHANNEL_ALIAS; see docs/lock-file.md.",
      ].join("\n"),
    )
    .action((file: string, options: unknown) => runLock(file, lockOptions.parse(options), io));
}

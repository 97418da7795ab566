/**
 * `envforge env …`: register definitions and look after their versions, in the local workspace
 * or on a server (`--server`), with the same output either way.
 */
import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { addClientOptions } from "../remote/client-options.js";
import { collect } from "../remote/option-values.js";
import { runArchive, runLabel, runUpdate } from "./change-commands.js";
import { runList, runShow, runVersions } from "./read-commands.js";

export function registerEnvCommand(program: Command, io: CliIo): void {
  const env = program
    .command("env")
    .description("Register environments and manage their versions, labels and archive state");

  addClientOptions(
    env
      .command("create")
      .description("Register a definition: a new version, or the latest one if it is unchanged")
      .requiredOption(
        "-f, --file <path>",
        "definition file or folder (conda yml, requirements.txt, envforge.yaml, Dockerfile, build context, Azure ML v1 folder)",
      )
      .requiredOption("-n, --name <name>", "environment name")
      .option("--version <n>", "register as this version number")
      .option("-d, --description <text>", "description of the version")
      .option("-t, --tag <key=value>", "tag, repeatable", collect, [])
      .option("--kind <kind>", "read the file as this kind instead of detecting it")
      .option("--dockerfile-path <path>", "for a build context: its Dockerfile")
      .option(
        "--lock <file>",
        "store this lock (made by `envforge lock`) instead of resolving one from the channels",
      )
      .option(
        "--require-lock",
        "refuse (exit 2, nothing written) rather than register without a lock",
      ),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  envforge env create --file environment.yml --name pytorch\n  envforge env create --file environment.yml --name pytorch --lock envforge.lock\n  envforge env create -f ./context -n web --tag team=vision --server http://127.0.0.1:8080",
    )
    // Loaded when it runs: reading and uploading a definition is for `env create` alone.
    .action(async (options: unknown) => {
      const { runCreate } = await import("./create-command.js");
      await runCreate(io, options);
    });

  addClientOptions(
    env
      .command("list")
      .description("List environments with their latest version")
      .option("--include-archived", "also list archived environments")
      .option("--curated", "list the curated environments that ship with envforge instead")
      .option("--limit <n>", "page size (default 100)")
      .option("--cursor <cursor>", "continue after a previous page"),
  ).action((options: unknown) => runList(io, options));

  addClientOptions(
    env
      .command("show")
      .description("Show a version (default: latest) or one of its build ingredients")
      .argument("<name>", "environment name")
      .option("--version <n>", "version number")
      .option("--label <label>", "version label, e.g. prod")
      .option("--dockerfile", "print the Dockerfile the image is built from")
      .option("--conda", "print the conda environment.yml the image gets")
      .option("--pip", "print the pip requirements the image gets")
      .option("--image", "print the image name and ingredients (JSON with --json)"),
  ).action((name: string, options: unknown) => runShow(io, name, options));

  addClientOptions(
    env
      .command("versions")
      .description("List the versions of an environment, newest first")
      .argument("<name>", "environment name")
      .option("--include-archived", "also list archived versions")
      .option("--limit <n>", "page size (default 100)")
      .option("--cursor <cursor>", "continue after a previous page"),
  ).action((name: string, options: unknown) => runVersions(io, name, options));

  addClientOptions(
    env
      .command("diff")
      .description(
        "What changed between two versions (definition and lock); exit 0 when the same, 1 when different",
      )
      .argument("<from>", "NAME@VERSION, NAME@LABEL or NAME (latest)")
      .argument("<to>", "NAME@VERSION, NAME@LABEL or NAME (latest)"),
  )
    .addHelpText(
      "after",
      "\nExit status: 0 when the versions are the same, 1 when they differ, 2 or more on an error.\n\nExamples:\n  envforge env diff pytorch@3 pytorch@4\n  envforge env diff pytorch@prod pytorch --json",
    )
    .action(async (from: string, to: string, options: unknown) => {
      const { runDiff } = await import("./diff-command.js");
      await runDiff(io, from, to, options);
    });

  addClientOptions(
    env
      .command("label")
      .description("Point a label at a version, or remove it")
      .argument("<name>", "environment name")
      .argument("<label>", "label, e.g. prod")
      .option("--version <n>", "the version the label names")
      .option("--remove", "remove the label"),
  ).action((name: string, label: string, options: unknown) => runLabel(io, name, label, options));

  for (const action of ["archive", "restore"] as const) {
    addClientOptions(
      env
        .command(action)
        .description(
          action === "archive"
            ? "Archive an environment (or one version): hidden from lists and latest, still readable by number"
            : "Restore an archived environment (or one version)",
        )
        .argument("<name>", "environment name")
        .option("--version <n>", "only this version"),
    ).action((name: string, options: unknown) => runArchive(io, action, name, options));
  }

  addClientOptions(
    env
      .command("update")
      .description("Change a version's description or tags (nothing else can change)")
      .argument("<name>", "environment name")
      .requiredOption("--version <n>", "version number")
      .option("-d, --description <text>", "new description")
      .option("--clear-description", "remove the description")
      .option("-t, --tag <key=value>", "tag, repeatable; replaces all tags", collect, [])
      .option("--clear-tags", "remove every tag"),
  ).action((name: string, options: unknown) => runUpdate(io, name, options));
}

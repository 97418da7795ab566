/**
 * `envforge env …`: register definitions and look after their versions, in the local workspace
 * or on a server (`--server`), with the same output either way.
 */
import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { ENVIRONMENT_ARGUMENT, withExamples } from "../help.js";
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
      .option("-n, --name <name>", "environment name (default: the file's `name:`)")
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
      [
        "\nExamples:",
        "  envforge env create --file environment.yml            # named by its `name:`",
        "  envforge env create --file environment.yml --name pytorch --lock envforge.lock",
        "  envforge env create -f ./context -n web --tag team=vision --server http://127.0.0.1:8080",
      ].join("\n"),
    )
    // Loaded when it runs: reading and uploading a definition is for `env create` alone.
    .action(async (options: unknown) => {
      const { runCreate } = await import("./create-command.js");
      await runCreate(io, options);
    });

  withExamples(
    addClientOptions(
      env
        .command("list")
        .description("List environments with their latest version")
        .option("--include-archived", "also list archived environments")
        .option("--curated", "list the curated environments that ship with envforge instead")
        .option("--limit <n>", "page size (default 100)")
        .option("--cursor <cursor>", "continue after a previous page"),
    ),
    "envforge env list",
    "envforge env list --include-archived --json",
  ).action((options: unknown) => runList(io, options));

  withExamples(
    addClientOptions(
      env
        .command("show")
        .description("Show a version (default: latest) or one of its build ingredients")
        .argument("<environment>", ENVIRONMENT_ARGUMENT)
        .option("--version <n>", "version number (as NAME@N)")
        .option("--label <label>", "version label, e.g. prod (as NAME:LABEL)")
        .option("--dockerfile", "print the Dockerfile the image is built from")
        .option("--conda", "print the conda environment.yml the image gets")
        .option("--pip", "print the pip requirements the image gets")
        .option("--image", "print the image name and ingredients (JSON with --json)"),
    ),
    "envforge env show pytorch",
    "envforge env show pytorch@1 --dockerfile",
    "envforge env show pytorch:prod --conda",
  ).action((reference: string, options: unknown) => runShow(io, reference, options));

  withExamples(
    addClientOptions(
      env
        .command("versions")
        .description("List the versions of an environment, newest first")
        .argument("<name>", "environment name")
        .option("--include-archived", "also list archived versions")
        .option("--limit <n>", "page size (default 100)")
        .option("--cursor <cursor>", "continue after a previous page"),
    ),
    "envforge env versions pytorch",
    "envforge env versions pytorch --include-archived --json",
  ).action((name: string, options: unknown) => runVersions(io, name, options));

  addClientOptions(
    env
      .command("diff")
      .description(
        "What changed between two versions (definition and lock); exit 0 when the same, 1 when different",
      )
      .argument("<from>", ENVIRONMENT_ARGUMENT)
      .argument("<to>", ENVIRONMENT_ARGUMENT),
  )
    .addHelpText(
      "after",
      "\nExit status: 0 when the versions are the same, 1 when they differ, 2 or more on an error.\n\nExamples:\n  envforge env diff pytorch@3 pytorch@4\n  envforge env diff pytorch:prod pytorch --json",
    )
    .action(async (from: string, to: string, options: unknown) => {
      const { runDiff } = await import("./diff-command.js");
      await runDiff(io, from, to, options);
    });

  withExamples(
    addClientOptions(
      env
        .command("label")
        .description("Point a label at a version, or remove it")
        .argument("<environment>", "NAME@VERSION or NAME:OTHER-LABEL to label; NAME with --remove")
        .argument("<label>", "label, e.g. prod")
        .option("--version <n>", "the version the label names (as NAME@N)")
        .option("--remove", "remove the label"),
    ),
    "envforge env label pytorch@2 prod",
    "envforge env label pytorch:prod previous",
    "envforge env label pytorch prod --remove",
  ).action((reference: string, label: string, options: unknown) =>
    runLabel(io, reference, label, options),
  );

  for (const action of ["archive", "restore"] as const) {
    withExamples(
      addClientOptions(
        env
          .command(action)
          .description(
            action === "archive"
              ? "Archive an environment (or one version): hidden from lists and latest, still readable by number"
              : "Restore an archived environment (or one version)",
          )
          .argument("<environment>", "NAME (every version) or NAME@VERSION / NAME:LABEL (one)")
          .option("--version <n>", "only this version (as NAME@N)"),
      ),
      `envforge env ${action} pytorch@1`,
      `envforge env ${action} pytorch`,
    ).action((reference: string, options: unknown) => runArchive(io, action, reference, options));
  }

  withExamples(
    addClientOptions(
      env
        .command("update")
        .description("Change a version's description or tags (nothing else can change)")
        .argument("<environment>", "NAME@VERSION or NAME:LABEL (or NAME with --version N)")
        .option("--version <n>", "version number (as NAME@N)")
        .option("-d, --description <text>", "new description")
        .option("--clear-description", "remove the description")
        .option("-t, --tag <key=value>", "tag, repeatable; replaces all tags", collect, [])
        .option("--clear-tags", "remove every tag"),
    ),
    'envforge env update pytorch@2 --description "CUDA 12 build"',
    "envforge env update pytorch:prod --tag team=vision --tag stage=prod",
  ).action((reference: string, options: unknown) => runUpdate(io, reference, options));
}

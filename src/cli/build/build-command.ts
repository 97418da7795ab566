/**
 * `envforge env build` (a subcommand of the `env` group, added here so the build code stays in
 * one folder) and `envforge build list | show | logs | cancel`.
 */
import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { ENVIRONMENT_ARGUMENT, withExamples } from "../help.js";
import { runBuildCancel, runBuildList, runBuildLogs, runBuildShow } from "./build-commands.js";

/** A build id as help examples show it (ids are UUIDs). */
const EXAMPLE_ID = "3c9a7e2d-51b4-4f0e-9d6a-8b2c1f4e7a90";

export function registerBuildCommands(program: Command, io: CliIo): void {
  const env =
    program.commands.find((command) => command.name() === "env") ??
    program.command("env").description("Register environments and build their images");
  withWorkspace(
    env
      .command("build")
      .description(
        "Build (or join the build under way of) a version's image and follow its log; exits non-zero when it fails",
      )
      .argument("<environment>", ENVIRONMENT_ARGUMENT)
      .option(
        "--registry <registry>",
        "push to this registry (default: $ENVFORGE_REGISTRY; none: keep the image in the local Docker engine)",
      )
      .option(
        "--builder <name>",
        "native, docker, or auto (default: $ENVFORGE_BUILDER, else auto: native for what it can build)",
      )
      .option(
        "--output <kind:path>",
        "also write the image: oci:DIR (OCI layout) or docker-archive:FILE (docker load); repeatable; native builder",
        (value: string, previous: string[] = []) => [...previous, value],
      )
      .option("--timeout <seconds>", "fail the build after this long (default 3600)")
      .option("--no-follow", "queue the build and return at once"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  envforge env build pytorch\n  envforge env build pytorch@3 --registry 127.0.0.1:5000/envforge --json",
    )
    // Loaded when it runs: the builder and the Docker client are for `env build` alone.
    .action(async (reference: string, options: unknown) => {
      const { runEnvBuild } = await import("./run-env-build.js");
      await runEnvBuild(io, reference, options);
    });

  const build = program.command("build").description("Builds: list, show, logs, cancel");
  withExamples(
    withWorkspace(
      build
        .command("list")
        .description("Builds of the workspace, newest first")
        .option("--name <name>", "only builds of this environment")
        .option("--limit <n>", "page size (default 100)")
        .option("--cursor <cursor>", "continue after a previous page"),
    ),
    "envforge build list",
    "envforge build list --name pytorch --json",
  ).action((options: unknown) => runBuildList(io, options));
  withExamples(
    withWorkspace(build.command("show").description("One build").argument("<id>", "build id")),
    `envforge build show ${EXAMPLE_ID}`,
  ).action((id: string, options: unknown) => runBuildShow(io, id, options));
  withExamples(
    withWorkspace(
      build
        .command("logs")
        .description("A build's log")
        .argument("<id>", "build id")
        .option("-f, --follow", "keep printing until the build ends"),
    ),
    `envforge build logs ${EXAMPLE_ID}`,
    `envforge build logs ${EXAMPLE_ID} --follow --server http://127.0.0.1:8080`,
  ).action((id: string, options: unknown) => runBuildLogs(io, id, options));
  withExamples(
    withWorkspace(
      build
        .command("cancel")
        .description("Cancel a queued build, or ask a running build's worker to stop")
        .argument("<id>", "build id"),
    ),
    `envforge build cancel ${EXAMPLE_ID}`,
  ).action((id: string, options: unknown) => runBuildCancel(io, id, options));
}

function withWorkspace(command: Command): Command {
  return command
    .option(
      "--server <url>",
      "talk to an envforge server (default: $ENVFORGE_SERVER; token from $ENVFORGE_TOKEN)",
    )
    .option("-w, --workspace <name>", "the workspace (default: default)")
    .option("--json", "print JSON for scripts");
}

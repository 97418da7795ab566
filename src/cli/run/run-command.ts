/**
 * `envforge run NAME[@VERSION|:LABEL] [--env K=V] [--mount S:T] [--network host] -- CMD…`:
 * build the image if no build of it succeeded yet, run the command in it with the working folder
 * at /workspace and no network unless asked, stream its output, keep the job and its log, and
 * exit with the command's exit code.
 */
import type { Command } from "commander";
import * as z from "zod";
import { ExternalError, ValidationError } from "../../errors/index.js";
import type { Job } from "../../workspace/build-api.js";
import type { CliIo } from "../context.js";
import { CommandExit, FailedWithCode, writeEvent } from "../context.js";
import { collect } from "../remote/option-values.js";
import { RUN_OWN_FAILURE } from "../exit-codes.js";
import { parseEnvironmentRef } from "../../client/environment-ref.js";
import { openBuilds } from "../../client/open-builds.js";
import { chooseEndpoint } from "../../client/open-client.js";
import { runHere } from "../../client/run-here.js";
import { ENVIRONMENT_ARGUMENT } from "../help.js";
import { runOnServer } from "./run-on-server.js";
import { buildImage } from "../build/run-env-build.js";
import { parseEnvOptions, parseMountOptions, WORKING_FOLDER_TARGET } from "./run-options.js";

const Options = z.object({
  workspace: z.string().optional(),
  env: z.array(z.string()),
  mount: z.array(z.string()),
  workdir: z.boolean().optional(),
  network: z.string().optional(),
  registry: z.string().optional(),
  server: z.string().optional(),
  json: z.boolean().optional(),
});

/** `run`'s own failures, as `docker run`'s: every exit code below belongs to the job. */
const OWN_FAILURE = RUN_OWN_FAILURE;

export function registerRunCommand(program: Command, io: CliIo): void {
  program
    .command("run")
    .description(
      "Run a command in an environment's image (built first if needed); exits with the command's exit code",
    )
    .argument("<environment>", ENVIRONMENT_ARGUMENT)
    .argument("<command...>", "the command, after --")
    .option(
      "--server <url>",
      "run the job on an envforge server, on its engine, with no local folders (default: $ENVFORGE_SERVER; token from $ENVFORGE_TOKEN)",
    )
    .option("-w, --workspace <name>", "the workspace (default: default)")
    .option("-e, --env <name=value>", "environment variable, repeatable", collect, [])
    .option("--mount <source:target[:ro]>", "extra bind mount, repeatable", collect, [])
    .option("--no-workdir", `do not mount the working folder at ${WORKING_FOLDER_TARGET}`)
    .option("--network <mode>", "none (default) or host")
    .option(
      "--registry <registry>",
      "where a build pushes (default: $ENVFORGE_REGISTRY; none: the image stays in the local Docker engine)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  envforge run pytorch -- python train.py\n  envforge run pytorch:prod --env SEED=1 --network host -- python fetch.py\n  envforge run pytorch@3 --server http://127.0.0.1:8080 -- python -c 'import torch'",
    )
    .option("--json", "print NDJSON: the job at its start and end, and each chunk of output")
    .action(async (reference: string, command: string[], options: unknown) => {
      try {
        await runRun(io, reference, command, options);
      } catch (error) {
        if (error instanceof CommandExit) throw error;
        throw new FailedWithCode(error, OWN_FAILURE);
      }
    });
}

async function runRun(
  io: CliIo,
  reference: string,
  command: readonly string[],
  raw: unknown,
): Promise<void> {
  const options = Options.parse(raw);
  const ref = parseEnvironmentRef(reference);
  const env = parseEnvOptions(options.env);
  const mounts = parseMountOptions(options.mount, io.cwd);
  const network = options.network ?? "none";
  if (network !== "none" && network !== "host") {
    throw ValidationError.single({
      key: "--network",
      message: "not a network mode",
      found: JSON.stringify(network),
      allowed: "none or host",
    });
  }
  const workspace = options.workspace === undefined ? {} : { workspace: options.workspace };
  const server = options.server === undefined ? {} : { server: options.server };
  if (chooseEndpoint(io, server).kind === "server") {
    await runOnServer(io, {
      ...server,
      ...workspace,
      ref,
      command,
      env,
      network,
      mounts: mounts.length,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      json: options.json === true,
      endLine: jobEndLine,
    });
    return;
  }
  const opened = await openBuilds(io);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new ExternalError("stopped by Ctrl-C"));
  try {
    const done = await runHere(opened, {
      ...workspace,
      ref,
      command,
      env,
      network,
      mounts,
      ...(options.workdir === false ? {} : { workingDir: io.cwd }),
      signal: stop.signal,
      build: (version) =>
        buildImage(io, opened, {
          ...workspace,
          ...version,
          ...(options.registry === undefined ? {} : { registry: options.registry }),
          follow: true,
          // The build log goes to stderr: stdout is the job's.
          json: true,
          // run's own error line says why the build failed.
          holdFailure: true,
        }),
      onImageGone: (image) =>
        io.stderr.write(
          `${image.name} (${image.id ?? "no image id"}) is no longer in the local Docker engine; building it again\n`,
        ),
      onJob: (job, image) => {
        // From here Ctrl-C stops the job (and keeps its record); before, it ends the process.
        process.once("SIGINT", onSignal);
        if (options.json === true) writeEvent(io, { event: "job", job });
        else io.stderr.write(`job ${job.id}: ${command.join(" ")} in ${image}\n`);
      },
      onOutput: (chunk) => {
        if (options.json === true) writeEvent(io, { event: "output", ...chunk });
        else if (chunk.stream === "stdout") io.stdout.write(chunk.text);
        else io.stderr.write(chunk.text);
      },
    });
    if (options.json === true) writeEvent(io, { event: "job", job: done });
    // A job that never gave an exit code is reported once, as the command's error below.
    else if (done.exitCode !== null) io.stderr.write(`${jobEndLine(done)}\n`);
    if (done.exitCode === null) {
      throw new ExternalError(`job ${done.id} ${done.state}: ${done.reason ?? "no reason given"}`);
    }
    if (done.exitCode !== 0) throw new CommandExit(done.exitCode);
  } finally {
    process.off("SIGINT", onSignal);
    await opened.close();
  }
}

/** `job ID failed (exit code 127) in 0.4 s: command not found in the image: ...` */
function jobEndLine(job: Job): string {
  const code = job.exitCode === null ? "" : ` (exit code ${job.exitCode})`;
  const took = job.durationMs === null ? "" : ` in ${(job.durationMs / 1000).toFixed(1)} s`;
  // "exited with code N" says again what the code says; any other reason is news.
  const why =
    job.reason === null || job.reason.startsWith("exited with code") ? "" : `: ${job.reason}`;
  return `job ${job.id} ${job.state}${code}${took}${why}`;
}

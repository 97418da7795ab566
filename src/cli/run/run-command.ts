/**
 * `envforge run NAME[@VERSION|:LABEL] [--env K=V] [--mount S:T] [--network host] -- CMD…`:
 * build the image if no build of it succeeded yet, run the command in it with the working folder
 * at /workspace and no network unless asked, stream its output, keep the job and its log, and
 * exit with the command's exit code.
 */
import type { Command } from "commander";
import { z } from "zod";
import { ExternalError, ValidationError } from "../../errors/index.js";
import { dockerFromHost } from "../../jobs/docker-endpoint.js";
import { DockerJobRunner } from "../../jobs/docker-job-runner.js";
import { jobImageOf, usableHere } from "../../jobs/job-image.js";
import { runJob } from "../../jobs/run-job.js";
import { imageHash } from "../../definition/image-hash.js";
import { createJobService } from "../../workspace/build-api.js";
import type { CliIo } from "../context.js";
import { CommandExit } from "../context.js";
import { collect } from "../remote/option-values.js";
import { parseEnvironmentRef } from "../../client/environment-ref.js";
import { openBuilds } from "../../client/open-builds.js";
import { buildImage } from "../build/run-env-build.js";
import { parseEnvOptions, parseMountOptions, WORKING_FOLDER_TARGET } from "./run-options.js";

const Options = z.object({
  workspace: z.string().optional(),
  env: z.array(z.string()),
  mount: z.array(z.string()),
  workdir: z.boolean().optional(),
  network: z.string().optional(),
  registry: z.string().optional(),
});

export function registerRunCommand(program: Command, io: CliIo): void {
  program
    .command("run")
    .description(
      "Run a command in an environment's image (built first if needed); exits with the command's exit code",
    )
    .argument("<environment>", "NAME, NAME@VERSION or NAME:LABEL (default: latest)")
    .argument("<command...>", "the command, after --")
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
      "\nExamples:\n  envforge run pytorch -- python train.py\n  envforge run pytorch:prod --env SEED=1 --network host -- python fetch.py",
    )
    .action((reference: string, command: string[], options: unknown) =>
      runRun(io, reference, command, options),
    );
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
  const opened = await openBuilds(io);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new ExternalError("stopped by Ctrl-C"));
  try {
    const version = await opened.environments.getEnvironmentVersion({ ...workspace, ...ref });
    const hash = imageHash(version.definitionHash, version.lock);
    const runner = new DockerJobRunner({
      docker: dockerFromHost(io.config.dockerHost, io.env),
    });
    let built = await opened.builds.builtImage(hash);
    if (built !== undefined && !(await usableHere(runner, built.image))) {
      io.stderr.write(
        `${built.image.name} (${built.image.id ?? "no image id"}) is no longer in the local Docker engine; building it again\n`,
      );
      built = undefined;
    }
    if (built === undefined) {
      const build = await buildImage(io, opened, {
        ...workspace,
        name: version.name,
        version: version.version,
        ...(options.registry === undefined ? {} : { registry: options.registry }),
        follow: true,
        // The build log goes to stderr: stdout is the job's.
        json: true,
      });
      if (build.state !== "succeeded") {
        throw new ExternalError(
          `build ${build.id} ${build.state}: ${build.reason ?? "no reason given"}; nothing was run`,
        );
      }
      built = build;
    }
    const { image, pull } = jobImageOf(built.image);
    const jobs = createJobService({ store: opened.store });
    const job = await jobs.createJob({
      ...workspace,
      name: version.name,
      version: version.version,
      imageHash: hash,
      imageName: image,
      buildId: built.id,
      command,
      envKeys: Object.keys(env),
      ...(options.workdir === false ? {} : { workingDir: io.cwd }),
      network,
    });
    io.stderr.write(`job ${job.id}: ${command.join(" ")} in ${image}\n`);
    process.once("SIGINT", onSignal);
    const done = await runJob({
      jobs,
      runner,
      job,
      request: {
        image,
        pull,
        env,
        mounts: [
          ...(options.workdir === false ? [] : [{ source: io.cwd, target: WORKING_FOLDER_TARGET }]),
          ...mounts,
        ],
        ...(options.workdir === false ? {} : { workingDir: WORKING_FOLDER_TARGET }),
        signal: stop.signal,
      },
      onOutput: (chunk) => (chunk.stream === "stdout" ? io.stdout : io.stderr).write(chunk.text),
    });
    io.stderr.write(
      `job ${done.id} ${done.state}${done.exitCode === null ? "" : ` (exit code ${done.exitCode})`}${done.durationMs === null ? "" : ` in ${(done.durationMs / 1000).toFixed(1)} s`}\n`,
    );
    if (done.exitCode === null) {
      throw new ExternalError(`job ${done.id} ${done.state}: ${done.reason ?? "no reason given"}`);
    }
    if (done.exitCode !== 0) throw new CommandExit(done.exitCode);
  } finally {
    process.off("SIGINT", onSignal);
    await opened.close();
  }
}

/**
 * `envforge run --server URL` (or ENVFORGE_SERVER): the job goes through the API. The server
 * builds the image if it has no build of it, runs the command on its own engine, and this
 * process follows the job's output as Server-Sent Events and exits with the job's exit code.
 * The server has none of the caller's files: no working folder and no --mount.
 */
import { ExternalError, ValidationError } from "../../errors/index.js";
import type { EnvironmentRef } from "../../client/environment-ref.js";
import { openJobsClient } from "../../client/open-client.js";
import type { Job } from "../../workspace/build-api.js";
import type { CliIo } from "../context.js";
import { CommandExit, writeEvent } from "../context.js";

export interface RunOnServerInput {
  readonly server?: string;
  readonly workspace?: string;
  readonly ref: EnvironmentRef;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly network: "none" | "host";
  readonly mounts: number;
  readonly registry?: string;
  readonly json: boolean;
  /** How the job's end is written when it has an exit code (run-command's own line). */
  readonly endLine: (job: Job) => string;
}

export async function runOnServer(io: CliIo, input: RunOnServerInput): Promise<void> {
  const refused = [
    ...(input.mounts > 0 ? ["--mount (the server has none of this machine's folders)"] : []),
    ...(input.registry === undefined ? [] : ["--registry (a server pushes to its own)"]),
  ];
  if (refused.length > 0) {
    throw ValidationError.single({
      key: "--server",
      message: "a job on a server cannot take these options",
      found: refused.join(", "),
      allowed: "--env, --network and the command; run without --server for local folders",
    });
  }
  const opened = await openJobsClient(
    io,
    input.server === undefined ? {} : { server: input.server },
  );
  if (opened.kind !== "server") throw new ExternalError("no server to run the job on");
  const { client } = opened;
  const workspace = input.workspace === undefined ? {} : { workspace: input.workspace };
  try {
    const job = await client.submitJob({
      ...workspace,
      ...input.ref,
      command: input.command,
      env: input.env,
      network: input.network,
    });
    if (input.json) writeEvent(io, { event: "job", job });
    else {
      io.stderr.write(
        `job ${job.id} on ${client.location}: ${input.command.join(" ")} in ${job.imageName}\n`,
      );
    }
    let done: Job | undefined;
    for await (const event of client.followJob({ ...workspace, id: job.id })) {
      if (event.kind === "state") {
        done = event.job;
        continue;
      }
      const { chunk } = event;
      if (input.json) writeEvent(io, { event: "output", ...chunk });
      else (chunk.stream === "stderr" ? io.stderr : io.stdout).write(chunk.text);
    }
    // The stream ends with the job; a stream cut short is read from the job's record.
    if (done === undefined || !["succeeded", "failed", "canceled"].includes(done.state)) {
      done = await client.getJob({ ...workspace, id: job.id });
    }
    if (input.json) writeEvent(io, { event: "job", job: done });
    else if (done.exitCode !== null) io.stderr.write(`${input.endLine(done)}\n`);
    if (done.exitCode === null) {
      throw new ExternalError(`job ${done.id} ${done.state}: ${done.reason ?? "no reason given"}`);
    }
    if (done.exitCode !== 0) throw new CommandExit(done.exitCode);
  } finally {
    await client.close();
  }
}

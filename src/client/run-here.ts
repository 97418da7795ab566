/**
 * A job in this process, on the local workspace and Docker engine: build the version's image
 * when no usable build of it exists, keep the job, run the command with the working folder
 * mounted (when given), and return the finished job. `envforge run` without a server and the
 * SDK's `Workspace.run` on a local workspace both run jobs here.
 */
import { imageHash } from "../definition/image-hash.js";
import { ExternalError } from "../errors/index.js";
import { engineJobRunner } from "../jobs/docker-job-runner.js";
import { jobImageOf, usableHere } from "../jobs/job-image.js";
import type { JobMount } from "../jobs/job-runner.js";
import { processWorkerId, runJob } from "../jobs/run-job.js";
import type { Build, BuiltImageRef, Job, LogChunk } from "../workspace/build-api.js";
import { createJobService } from "../workspace/build-api.js";
import type { EnvironmentRef } from "./environment-ref.js";
import type { OpenedBuilds } from "./open-builds.js";

/** Where the working folder appears inside the container, and the command's working folder. */
export const WORKING_FOLDER_TARGET = "/workspace";

export interface RunHereInput {
  readonly workspace?: string;
  readonly ref: EnvironmentRef;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly network: "none" | "host";
  readonly mounts: readonly JobMount[];
  /** A folder of this machine mounted at /workspace, where the command starts. */
  readonly workingDir?: string;
  readonly signal?: AbortSignal;
  /** Builds the image and returns the build's last state (the surface prints its log). */
  readonly build: (version: { readonly name: string; readonly version: number }) => Promise<Build>;
  /** The recorded image is gone from the local engine, so it is built again. */
  readonly onImageGone?: (image: BuiltImageRef) => void;
  readonly onJob?: (job: Job, image: string) => void;
  readonly onOutput?: (chunk: Pick<LogChunk, "stream" | "text">) => void;
}

export async function runHere(opened: OpenedBuilds, input: RunHereInput): Promise<Job> {
  const workspace = input.workspace === undefined ? {} : { workspace: input.workspace };
  const version = await opened.environments.getEnvironmentVersion({ ...workspace, ...input.ref });
  const hash = imageHash(version.definitionHash, version.lock);
  const runner = engineJobRunner(opened.settings.config.dockerHost, opened.settings.env);
  let built: Build | undefined = await opened.builds.builtImage(hash);
  if (built !== undefined && !(await usableHere(runner, built.image))) {
    input.onImageGone?.(built.image);
    built = undefined;
  }
  if (built === undefined) {
    const build = await input.build({ name: version.name, version: version.version });
    if (build.state !== "succeeded") {
      throw new ExternalError(
        `build ${build.id} ${build.state}: ${build.reason ?? "no reason given"}; nothing was run`,
      );
    }
    built = build;
  }
  const { image, pull } = jobImageOf(built.image);
  const jobs = createJobService({ store: opened.store });
  // Jobs of `envforge run` processes that died: failed once their leases ran out.
  await jobs.expireJobLeases();
  const job = await jobs.createJob({
    ...workspace,
    name: version.name,
    version: version.version,
    // The image the build made: a build that pinned a base at its start has the pinned lock's
    // hash, not the hash of the version as read above.
    imageHash: built.imageHash,
    imageName: image,
    buildId: built.id,
    command: input.command,
    envKeys: Object.keys(input.env),
    ...(input.workingDir === undefined ? {} : { workingDir: input.workingDir }),
    network: input.network,
  });
  input.onJob?.(job, image);
  return runJob({
    jobs,
    runner,
    job,
    // Held under a lease while it runs: killed, this process leaves a job that fails, not one
    // `running` forever.
    holder: { workerId: processWorkerId() },
    request: {
      image,
      pull,
      env: input.env,
      mounts: [
        ...(input.workingDir === undefined
          ? []
          : [{ source: input.workingDir, target: WORKING_FOLDER_TARGET }]),
        ...input.mounts,
      ],
      ...(input.workingDir === undefined ? {} : { workingDir: WORKING_FOLDER_TARGET }),
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    },
    ...(input.onOutput === undefined ? {} : { onOutput: input.onOutput }),
  });
}

/**
 * The image a job runs in, from what its build recorded: a registry image by digest (pulled when
 * this engine lacks it), or a local engine image by id, never pulled (no registry ever had it).
 */
import type { BuiltImageRef } from "../workspace/build-api.js";
import type { JobRunner } from "./job-runner.js";

export interface JobImage {
  /** What the container is created from: `<name>@<digest>`, `<name>:latest` or an image id. */
  readonly image: string;
  readonly pull: boolean;
}

export function jobImageOf(built: BuiltImageRef): JobImage {
  if (built.location === "local-engine") {
    return { image: built.id ?? `${built.name}:latest`, pull: false };
  }
  return {
    image: built.digest === null ? `${built.name}:latest` : `${built.name}@${built.digest}`,
    pull: true,
  };
}

/**
 * False when the build kept its image in a local engine and this engine does not have it (it
 * was removed, or built on another machine): the image must be built again before a job runs.
 */
export async function usableHere(runner: JobRunner, built: BuiltImageRef): Promise<boolean> {
  if (built.location !== "local-engine" || runner.hasImage === undefined) return true;
  return runner.hasImage(jobImageOf(built).image);
}

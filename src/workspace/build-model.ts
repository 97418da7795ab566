/** Builds and jobs as the service hands them out (JSON-safe, readonly). */
import type { BuildState, LogStream } from "./build-store.js";
import type { JobState } from "./job-store.js";

/**
 * Where a build keeps its image: pushed to a registry, or, with no registry, kept in the local
 * Docker engine of the machine that built it.
 */
export type ImageLocation = "registry" | "local-engine";

/** An envforge image as a build names it. */
export interface BuiltImageRef {
  /** `<registry>/envforge_<image hash>`, or `envforge/envforge_<image hash>` with no registry. */
  readonly name: string;
  readonly registry: string | null;
  readonly location: ImageLocation;
  /** `sha256:…` of the manifest in the registry once pushed; null in the local engine. */
  readonly digest: string | null;
  /** The local engine's image id (`sha256:…`) once built there; null for registry images. */
  readonly id: string | null;
}

export interface Build {
  readonly id: string;
  readonly workspace: string;
  readonly name: string;
  readonly version: number;
  readonly definitionHash: string;
  readonly imageHash: string;
  readonly image: BuiltImageRef;
  readonly state: BuildState;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly cacheHit: boolean | null;
  /** Why it failed or was canceled, naming the step when one failed. */
  readonly reason: string | null;
  readonly failedStep: string | null;
  readonly workerId: string | null;
  readonly cancelRequested: boolean;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** From start to finish, once finished. */
  readonly durationMs: number | null;
}

export interface LogChunk {
  readonly seq: number;
  readonly attempt: number;
  readonly stream: LogStream;
  readonly text: string;
  readonly createdAt: string;
}

export interface Job {
  readonly id: string;
  readonly workspace: string;
  readonly name: string;
  readonly version: number;
  readonly imageHash: string;
  readonly imageName: string;
  readonly buildId: string | null;
  readonly command: readonly string[];
  /** Names only: values may be secrets and are never stored. */
  readonly envKeys: readonly string[];
  readonly workingDir: string | null;
  readonly network: "none" | "host";
  readonly state: JobState;
  readonly exitCode: number | null;
  readonly reason: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
}

export function isFinished(state: BuildState | JobState): boolean {
  return state === "succeeded" || state === "failed" || state === "canceled";
}

export function durationOf(startedAt: string | null, finishedAt: string | null): number | null {
  if (startedAt === null || finishedAt === null) return null;
  return Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt));
}

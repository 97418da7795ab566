/**
 * The image builder port: what the build service asks of any builder (Docker engine today, a
 * native OCI builder later). It names no engine library: adapters live beside it
 * (`docker-engine-builder.ts`) and are wired in a composition root.
 */
import { ExternalError } from "../errors/index.js";
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";

export type BuildLogStream = "step" | "stdout" | "stderr" | "envforge";

/** One line of a build's log: a Dockerfile step starting, a step's output, or envforge's own. */
export interface BuildLogLine {
  readonly stream: BuildLogStream;
  readonly text: string;
}

/** Where a build reads a build context's files: the workspace's content store, never a folder. */
export interface ContextContentSource {
  /** The stored bytes of `sha256:<hex>`, not yet verified; undefined when none are stored. */
  read(sha256: string): Promise<Uint8Array | undefined>;
}

export interface BuildRequest {
  readonly definition: Definition;
  readonly definitionHash: string;
  readonly lock?: Lock;
  /** A build-context definition's files; each is verified against its sha256 before use. */
  readonly contextContent?: ContextContentSource;
  /**
   * e.g. `127.0.0.1:5000/envforge`: the image is `<registry>/envforge_<image hash>`, pushed there.
   * Absent: no registry; the image is `envforge/envforge_<image hash>` and stays in the engine
   * that built it (one machine, docs/builds.md).
   */
  readonly registry?: string;
  /** Aborting cancels the engine build or push; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly onLog?: (line: BuildLogLine) => void;
  /**
   * Progress of the long stages, for a terminal display (never stored): called often, with
   * totals known up front (the lock holds every package's size) or as the engine reports them.
   */
  readonly onProgress?: (progress: BuildProgress) => void;
  /** Extra image labels (e.g. the envforge version); content-derived values only. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** How far one stage of a build is: `done` of `total`, in bytes or packages. */
export interface BuildProgress {
  readonly stage: "download" | "extract" | "link" | "push";
  readonly done: number;
  readonly total: number;
  readonly unit: "bytes" | "packages";
}

export interface BuildOutcome {
  /** `<registry>/envforge_<image hash>` (no tag: `latest` is what is pushed or kept). */
  readonly imageName: string;
  /**
   * `sha256:<64 hex>` that pins the image where it is kept: with a registry, the digest of the
   * manifest pushed; without one, the local engine's image id (the digest of its config), since
   * an image that was never pushed has no manifest digest.
   */
  readonly digest: string;
  /** True when the registry (or, without one, the local engine) had the image already. */
  readonly cacheHit: boolean;
  /** Layer blobs the push sent; blobs the registry had or mounted are not counted. */
  readonly pushedBlobs: number;
  readonly durationMs: number;
}

export interface ImageBuilder {
  build(request: BuildRequest): Promise<BuildOutcome>;
}

/** A build that the engine ran and that failed: a Dockerfile step, the push, or the context. */
export class BuildFailedError extends ExternalError {
  /** The failing Dockerfile step as the engine names it, e.g. `[3/7] RUN pip install …`. */
  readonly step?: string;
  /** The last log lines before the failure (at most LAST_LINES). */
  readonly lastLines: string[];

  constructor(
    message: string,
    options: {
      readonly step?: string;
      readonly lastLines: readonly string[];
      readonly cause?: unknown;
    },
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    if (options.step !== undefined) this.step = options.step;
    this.lastLines = [...options.lastLines];
  }
}

/** How many log lines a BuildFailedError keeps. */
export const LAST_LINES = 20;

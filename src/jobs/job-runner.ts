/** The job runner port: run one command in an image and report its output and exit code. */
export interface JobMount {
  /** Absolute path on the engine's machine. */
  readonly source: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

export interface JobRunRequest {
  /** `<name>@<digest>`, `<name>:<tag>` or a local image id; pulled when the engine lacks it. */
  readonly image: string;
  /**
   * False for an image that exists only in this engine (built with no registry): when it is
   * missing the job fails saying so, instead of asking a registry that never had it.
   * Default true.
   */
  readonly pull?: boolean;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly mounts: readonly JobMount[];
  readonly workingDir?: string;
  /** `none` unless the job asks for the host's network. */
  readonly network: "none" | "host";
  readonly labels?: Readonly<Record<string, string>>;
  /** Aborting stops the container; the run then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly onOutput: (chunk: {
    readonly stream: "stdout" | "stderr";
    readonly text: string;
  }) => void;
}

export interface JobRunResult {
  readonly exitCode: number;
  readonly durationMs: number;
  /** Why the command did not run (127: not found, 126: cannot be invoked); absent when it ran. */
  readonly reason?: string;
}

export interface JobRunner {
  run(request: JobRunRequest): Promise<JobRunResult>;
  /**
   * Whether the engine has the image (by name, reference or id). Runners that cannot tell leave
   * it out, and images kept only in a local engine are then taken to be there.
   */
  hasImage?(image: string): Promise<boolean>;
}

/**
 * A short command of envforge's own in `image` (a probe: no variables, no mounts), labelled with
 * its purpose: its result and its output, stdout and stderr together as they came.
 */
export async function runForOutput(
  runner: JobRunner,
  request: {
    readonly image: string;
    readonly command: readonly string[];
    readonly network: "none" | "host";
    readonly purpose: string;
    readonly signal?: AbortSignal;
  },
): Promise<{ readonly result: JobRunResult; readonly output: string }> {
  let output = "";
  const result = await runner.run({
    image: request.image,
    command: request.command,
    env: {},
    mounts: [],
    network: request.network,
    labels: { "dev.envforge.purpose": request.purpose },
    ...(request.signal === undefined ? {} : { signal: request.signal }),
    onOutput: (chunk) => {
      output += chunk.text;
    },
  });
  return { result, output };
}

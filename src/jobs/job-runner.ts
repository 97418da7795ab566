/** The job runner port: run one command in an image and report its output and exit code. */
export interface JobMount {
  /** Absolute path on the engine's machine. */
  readonly source: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

export interface JobRunRequest {
  /** `<name>@<digest>` or `<name>:<tag>`; pulled when the engine lacks it. */
  readonly image: string;
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
}

export interface JobRunner {
  run(request: JobRunRequest): Promise<JobRunResult>;
}

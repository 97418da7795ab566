/**
 * Builds and jobs for the SDK's Workspace, on the endpoint the workspace was opened on: the
 * local store (this process builds on SQLite and runs jobs on the local Docker engine) or a
 * server (its workers build, its engine runs the job, the output is followed over HTTP).
 */
import type { EnvironmentRef } from "../client/environment-ref.js";
import { requestAndFollowBuild } from "../client/follow-build.js";
import { httpBuildsClient } from "../client/http-builds-client.js";
import { httpJobsClient } from "../client/http-jobs-client.js";
import { openBuildsClient } from "../client/open-client.js";
import { ValidationError } from "../errors/index.js";
import type { SurfaceSettings } from "../host/config.js";
import type { JobMount } from "../jobs/job-runner.js";
import type { Build, BuildEvent, Job, LogChunk } from "../workspace/build-api.js";

export type WorkspaceEndpoint =
  | { readonly kind: "local"; readonly settings: SurfaceSettings }
  | { readonly kind: "server"; readonly url: string; readonly token?: string }
  | { readonly kind: "none" };

export interface BuildOptions {
  /** Fail the build after this long (default: the server's or 3600 s). */
  readonly timeoutMs?: number;
  /** Local workspace only: push to this registry (default ENVFORGE_REGISTRY; none: local engine). */
  readonly registry?: string;
  /** Each log chunk and state change, as it happens. */
  readonly onEvent?: (event: BuildEvent) => void;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** `none` (default) or `host`. */
  readonly network?: "none" | "host";
  /** Local workspace only: a folder mounted at /workspace, where the command starts. */
  readonly workingDir?: string;
  /** Local workspace only: more bind mounts. */
  readonly mounts?: readonly JobMount[];
  /** Each chunk of the job's output, stdout and stderr apart. */
  readonly onOutput?: (chunk: Pick<LogChunk, "stream" | "text">) => void;
  readonly signal?: AbortSignal;
}

export async function buildOn(
  endpoint: WorkspaceEndpoint,
  workspace: string,
  ref: EnvironmentRef,
  options: BuildOptions,
): Promise<Build> {
  const client =
    endpoint.kind === "server"
      ? httpBuildsClient(endpoint)
      : await openBuildsClient(localSettings(endpoint), {
          ...(options.registry === undefined ? {} : { registry: options.registry }),
        });
  try {
    return await requestAndFollowBuild(client, {
      workspace,
      ...ref,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    });
  } finally {
    await client.close();
  }
}

export async function runOn(
  endpoint: WorkspaceEndpoint,
  workspace: string,
  ref: EnvironmentRef,
  command: readonly string[],
  options: RunOptions,
): Promise<Job> {
  if (endpoint.kind === "server") return runOnServer(endpoint, workspace, ref, command, options);
  const settings = localSettings(endpoint);
  // Loaded when a job runs here: the Docker client and the builder are for this alone.
  const [{ openBuilds }, { runHere }, { localBuildsClient }] = await Promise.all([
    import("../client/open-builds.js"),
    import("../client/run-here.js"),
    import("../client/local-builds-client.js"),
  ]);
  const opened = await openBuilds(settings);
  try {
    return await runHere(opened, {
      workspace,
      ref,
      command,
      env: options.env ?? {},
      network: options.network ?? "none",
      mounts: options.mounts ?? [],
      ...(options.workingDir === undefined ? {} : { workingDir: options.workingDir }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      build: (version) =>
        requestAndFollowBuild(localBuildsClient(opened), { workspace, ...version }),
      ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
    });
  } finally {
    await opened.close();
  }
}

async function runOnServer(
  endpoint: { readonly url: string; readonly token?: string },
  workspace: string,
  ref: EnvironmentRef,
  command: readonly string[],
  options: RunOptions,
): Promise<Job> {
  if (options.workingDir !== undefined || (options.mounts ?? []).length > 0) {
    throw ValidationError.single({
      key: options.workingDir === undefined ? "mounts" : "workingDir",
      message: "a job on a server cannot mount this machine's folders",
      allowed: "env, network and the command; Workspace.open runs jobs here, with folders",
    });
  }
  const client = httpJobsClient(endpoint);
  const job = await client.submitJob({
    workspace,
    ...ref,
    command,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.network === undefined ? {} : { network: options.network }),
  });
  for await (const event of client.followJob({ workspace, id: job.id })) {
    if (event.kind === "log") options.onOutput?.(event.chunk);
  }
  return client.getJob({ workspace, id: job.id });
}

function localSettings(endpoint: WorkspaceEndpoint): SurfaceSettings {
  if (endpoint.kind === "local") {
    // Workspace.open is the local store whatever ENVFORGE_SERVER says.
    const env = { ...endpoint.settings.env, ENVFORGE_SERVER: "" };
    return { ...endpoint.settings, env };
  }
  throw ValidationError.single({
    key: "workspace",
    message: "a Workspace made with fromClient cannot build or run jobs",
    allowed: "Workspace.open() or Workspace.connect(url, token)",
  });
}

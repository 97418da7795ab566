/**
 * Jobs on a Docker engine (dockerode): create the container from the image, attach before
 * start so no output is lost, demultiplex stdout and stderr, wait for the exit code, remove
 * the container. Network `none` unless asked; the working folder is a bind mount.
 */
import { PassThrough } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type Docker from "dockerode";
import { ExternalError } from "../errors/index.js";
import { dockerFromHost } from "./docker-endpoint.js";
import type { DockerEnv } from "./docker-endpoint-rules.js";
import type { JobRunner, JobRunRequest, JobRunResult } from "./job-runner.js";

/** The runner on the engine a surface's settings name: DOCKER_HOST from them, else `env`'s. */
export function engineJobRunner(dockerHost: string | undefined, env: DockerEnv): DockerJobRunner {
  return new DockerJobRunner({ docker: dockerFromHost(dockerHost, env) });
}

export class DockerJobRunner implements JobRunner {
  readonly #docker: Docker;
  readonly #now: () => number;

  constructor(options: { readonly docker: Docker; readonly now?: () => number }) {
    this.#docker = options.docker;
    this.#now = options.now ?? (() => performance.now());
  }

  async run(request: JobRunRequest): Promise<JobRunResult> {
    const docker = this.#docker;
    await this.#ensureImage(request.image, request.pull ?? true);
    const started = this.#now();
    let container: Docker.Container;
    try {
      container = await docker.createContainer({
        Image: request.image,
        Cmd: [...request.command],
        Env: Object.entries(request.env).map(([key, value]) => `${key}=${value}`),
        ...(request.workingDir === undefined ? {} : { WorkingDir: request.workingDir }),
        Labels: { ...request.labels },
        Tty: false,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: {
          NetworkMode: request.network,
          Binds: request.mounts.map(
            (m) => `${m.source}:${m.target}${m.readOnly === true ? ":ro" : ""}`,
          ),
        },
      });
    } catch (error) {
      throw engineError(`cannot create a container from ${request.image}`, error);
    }
    const onAbort = (): void => {
      void container.kill().catch(() => undefined);
    };
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const ended = new Promise<void>((resolve) => {
        stream.on("end", () => resolve());
        stream.on("close", () => resolve());
      });
      const out = textStream("stdout", request);
      const err = textStream("stderr", request);
      docker.modem.demuxStream(stream, out.sink, err.sink);
      request.signal?.addEventListener("abort", onAbort);
      try {
        await container.start();
      } catch (error) {
        const failure = commandFailure(error);
        if (failure === undefined) throw error;
        request.onOutput({ stream: "stderr", text: `envforge: ${failure.reason}\n` });
        return { ...failure, durationMs: this.#now() - started };
      }
      if (request.signal?.aborted === true) onAbort();
      const waited: unknown = await container.wait();
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000))]);
      out.flush();
      err.flush();
      if (request.signal?.aborted === true) {
        throw request.signal.reason instanceof Error
          ? request.signal.reason
          : new ExternalError("the job was stopped");
      }
      return { exitCode: statusCodeOf(waited), durationMs: this.#now() - started };
    } catch (error) {
      if (request.signal?.aborted === true) throw error;
      throw engineError(`the job's container failed`, error);
    } finally {
      request.signal?.removeEventListener("abort", onAbort);
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  hasImage(image: string): Promise<boolean> {
    return hasImage(this.#docker, image);
  }

  async #ensureImage(image: string, pull: boolean): Promise<void> {
    if (await hasImage(this.#docker, image)) return;
    if (!pull) {
      throw new ExternalError(
        `Docker engine: ${image} is not in this engine, and it was never pushed to a registry (it was built with none); build it again with \`envforge env build\``,
      );
    }
    try {
      const stream = await this.#docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        this.#docker.modem.followProgress(stream, (error: Error | null, events: unknown[]) => {
          const failed = events.find(
            (e) =>
              typeof e === "object" && e !== null && "error" in e && typeof e.error === "string",
          );
          if (error !== null) reject(error);
          else if (failed !== undefined) reject(new Error(JSON.stringify(failed)));
          else resolve();
        });
      });
    } catch (error) {
      throw engineError(`cannot pull ${image}`, error);
    }
  }
}

/** Whether the engine has the image (by name, reference or id). */
async function hasImage(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (typeof error === "object" && error !== null && "statusCode" in error) {
      if (error.statusCode === 404) return false;
    }
    throw engineError(`cannot inspect ${image}`, error);
  }
}

function textStream(
  stream: "stdout" | "stderr",
  request: JobRunRequest,
): { readonly sink: PassThrough; flush(): void } {
  const sink = new PassThrough();
  // A multi-byte character may be split across frames.
  const decoder = new StringDecoder("utf8");
  sink.on("data", (chunk: Buffer) => {
    const text = decoder.write(chunk);
    if (text !== "") request.onOutput({ stream, text });
  });
  return {
    sink,
    flush: () => {
      const rest = decoder.end();
      if (rest !== "") request.onOutput({ stream, text: rest });
    },
  };
}

function statusCodeOf(waited: unknown): number {
  if (typeof waited === "object" && waited !== null && "StatusCode" in waited) {
    const code = waited.StatusCode;
    if (typeof code === "number") return code;
  }
  throw new ExternalError(`the engine gave no exit code: ${JSON.stringify(waited)}`);
}

/**
 * A command the engine could not start is the job's failure, with the codes `docker run` gives
 * it: 127 when it is not found, 126 when it cannot be invoked. The engine says which only in its
 * message; these are the texts the Docker CLI matches (docker/cli, cli/command/container/run.go,
 * runStartContainerErr).
 */
function commandFailure(error: unknown): { exitCode: number; reason: string } | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const found =
    /exec: "[^"]*": [^:]*|no such file or directory|permission denied|is a directory/.exec(message);
  const what = found?.[0] ?? message;
  if (/executable file not found|no such file or directory/.test(message)) {
    return { exitCode: 127, reason: `command not found in the image: ${what}` };
  }
  if (/permission denied|is a directory/.test(message)) {
    return { exitCode: 126, reason: `command cannot be invoked: ${what}` };
  }
  return undefined;
}

function engineError(what: string, error: unknown): ExternalError {
  const message = error instanceof Error ? error.message : String(error);
  return new ExternalError(`Docker engine: ${what}: ${message}`, { cause: error });
}

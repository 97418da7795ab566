/**
 * The Docker engine for integration tests (started by scripts/ci/docker.sh): a client, a gate
 * that skips locally but fails in CI when an engine is missing, and small images to push.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import Docker from "dockerode";
import tarStream from "tar-stream";

export const DOCKER_SOCKET = "/var/run/docker.sock";

export function dockerClient(): Docker {
  return new Docker({ socketPath: DOCKER_SOCKET });
}

/** Undefined when the engine answers; otherwise why not, with what to run. */
export async function dockerProblem(docker: Docker = dockerClient()): Promise<string | undefined> {
  try {
    await docker.ping();
    return undefined;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `no Docker engine answers on ${DOCKER_SOCKET} (${why}); run scripts/ci/engines.sh`;
  }
}

export interface EngineGate {
  /** Skip the suite: only outside CI, and only when the engine is missing. */
  readonly skip: boolean;
  /** Throws with the reason when the engine is missing (so CI fails instead of skipping). */
  require(): void;
}

/** In CI (CI=true) a missing engine is a failure, never a skip. */
export function engineGate(
  name: string,
  problem: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EngineGate {
  const skip = problem !== undefined && env["CI"] !== "true";
  if (skip) process.stderr.write(`skipping the ${name} tests: ${problem}\n`);
  return {
    skip,
    require() {
      if (problem !== undefined) throw new Error(`${name} is required: ${problem}`);
    },
  };
}

interface ProgressEvent {
  readonly error?: string;
  readonly status?: string;
  readonly aux?: { readonly Digest?: string };
}

/** Every event of an engine progress stream; rejects on the first `{error}` event. */
export async function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
): Promise<ProgressEvent[]> {
  const events = await new Promise<ProgressEvent[]>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: ProgressEvent[]) =>
      error ? reject(error) : resolve(output),
    );
  });
  const failed = events.find((event) => event.error !== undefined);
  if (failed !== undefined) throw new Error(`engine: ${failed.error}`);
  return events;
}

/** A tar of regular files (mode 0644, mtime 0), in the order given. */
export async function tarBytes(files: Readonly<Record<string, string>>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (chunk: unknown) => {
    if (Buffer.isBuffer(chunk)) chunks.push(chunk);
  });
  const ended = new Promise<void>((resolve) => pack.on("end", () => resolve()));
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/**
 * Imports a one-file image (random content, so every call makes a new digest) as `name:tag`
 * and returns its image id.
 */
export async function importTinyImage(
  docker: Docker,
  options: { readonly name: string; readonly tag: string },
): Promise<string> {
  const tar = await tarBytes({ "envforge-test.txt": randomBytes(16).toString("hex") });
  const stream = await docker.importImage(Readable.from([tar]), {
    repo: options.name,
    tag: options.tag,
  });
  const events = await followProgress(docker, stream);
  const id = events.map((event) => event.status ?? "").find((s) => s.startsWith("sha256:"));
  if (id === undefined)
    throw new Error(`docker import gave no image id: ${JSON.stringify(events)}`);
  return id;
}

export interface PushAuth {
  readonly username: string;
  readonly password: string;
  readonly serveraddress: string;
}

/** Pushes `name:tag` through the engine; returns the manifest digest the engine reports. */
export async function pushImage(
  docker: Docker,
  options: { readonly name: string; readonly tag: string; readonly auth?: PushAuth },
): Promise<string> {
  const stream = await docker.getImage(`${options.name}:${options.tag}`).push({
    tag: options.tag,
    ...(options.auth === undefined ? {} : { authconfig: options.auth }),
  });
  const events = await followProgress(docker, stream);
  const digest = events.map((event) => event.aux?.Digest).find((d) => d !== undefined);
  if (digest === undefined)
    throw new Error(`docker push gave no digest: ${JSON.stringify(events)}`);
  return digest;
}

/** Removes one image the test made, by its id; missing is fine. */
export async function removeImage(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getImage(id).remove({ force: true });
  } catch (error) {
    if (!(error instanceof Error && "statusCode" in error && error.statusCode === 404)) throw error;
  }
}

/**
 * The Docker engine client of every command: the endpoint that docker-endpoint-read.ts picks,
 * handed to dockerode/docker-modem (which does unix, http, https and ssh itself; ssh through
 * ssh2), with the TLS files and ssh keys read here. A failed connection is reported naming the
 * endpoint, where it came from, and why.
 */
import { existsSync, readFileSync } from "node:fs";
import { Agent } from "node:https";
import { homedir, userInfo } from "node:os";
import type DockerModem from "docker-modem";
import Docker from "dockerode";
import { EnvforgeError, ExternalError, ValidationError } from "../errors/index.js";
import {
  connectionFailure,
  describeEndpoint,
  describeSource,
  engineUnreachable,
  knownHostKeys,
  knownHostsFiles,
  sshIdentityCandidates,
} from "./docker-endpoint-rules.js";
import type { DockerEndpoint, DockerEnv } from "./docker-endpoint-rules.js";
import { readDockerEndpoint, readIfExists } from "./docker-endpoint-read.js";

export {
  DEFAULT_DOCKER_SOCKET,
  describeEndpoint,
  describeSource,
} from "./docker-endpoint-rules.js";
export type { DockerEndpoint } from "./docker-endpoint-rules.js";
export { readDockerEndpoint };

const PING_DEADLINE_MS = 10_000;
const PING_STATUS = { 200: true, 500: "server error" };

/**
 * Pings the engine the environment selects; its description (`unix:///… (from DOCKER_HOST)`)
 * when it answers, else the ExternalError that names the endpoint and why.
 */
export async function checkDockerEndpoint(
  env: DockerEnv,
  options: {
    /** The config's DOCKER_HOST when it is not (only) in `env`, as dockerFromHost takes it. */
    readonly dockerHost?: string;
    readonly deadlineMs?: number;
  } = {},
): Promise<string> {
  if (options.dockerHost !== undefined) env = { ...env, DOCKER_HOST: options.dockerHost };
  const deadlineMs = options.deadlineMs ?? PING_DEADLINE_MS;
  const endpoint = readDockerEndpoint(env);
  const where = `${describeEndpoint(endpoint)} (from ${describeSource(endpoint.source)})`;
  const deadline = AbortSignal.timeout(deadlineMs);
  try {
    const docker = dockerFor(endpoint, env);
    await new Promise<void>((resolve, reject) =>
      docker.modem.dial(
        { path: "/_ping", method: "GET", abortSignal: deadline, statusCodes: PING_STATUS },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  } catch (error) {
    if (error instanceof EnvforgeError) throw error;
    if (deadline.aborted) {
      // e.g. a tcp address that drops packets: connect would wait for the system's own timeout.
      throw new ExternalError(
        `the Docker engine at ${where} did not answer within ${deadlineMs / 1000} s`,
        { cause: error },
      );
    }
    // Reached, but not a Docker engine that answers /_ping (e.g. another server on that port).
    const why = error instanceof Error ? error.message : String(error);
    throw new ExternalError(`the Docker engine at ${where} did not answer its ping: ${why}`, {
      cause: error,
    });
  }
  return where;
}

/** A dockerode client for the endpoint the environment selects. */
export function dockerFromEnv(env: DockerEnv): Docker {
  return dockerFor(readDockerEndpoint(env), env);
}

/**
 * A dockerode client for `endpoint`. Every option is set explicitly, so docker-modem's own
 * reading of this process's DOCKER_HOST and DOCKER_CERT_PATH never mixes in.
 */
export function dockerFor(endpoint: DockerEndpoint, env: DockerEnv = {}): Docker {
  const t = endpoint.transport;
  const none = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
  // dockerode passes its options to docker-modem, which also takes an http(s) agent.
  let options: Docker.DockerOptions & { agent?: Agent };
  if (t.kind === "unix") {
    options = { ...none, protocol: "http", socketPath: t.socketPath };
  } else if (t.kind === "ssh") {
    const agent = env.SSH_AUTH_SOCK?.trim();
    const identity = sshIdentityCandidates(env, homedir()).find((path) => existsSync(path));
    options = {
      ...none,
      protocol: "ssh",
      host: t.host,
      port: t.port,
      username: t.username ?? userInfo().username,
      sshOptions: {
        ...(agent === undefined || agent === "" ? {} : { agent }),
        ...(identity === undefined ? {} : { privateKey: readFileSync(identity) }),
        // As ssh with StrictHostKeyChecking: only a host key that known_hosts lists.
        hostVerifier: knownHostVerifier(env, t.host, t.port),
      },
    };
  } else if (t.tls === undefined) {
    options = { ...none, protocol: "http", host: t.host, port: t.port };
  } else {
    const files = {
      ca: readTlsFile(endpoint, t.tls.ca, t.tls.verify),
      cert: readTlsFile(endpoint, t.tls.cert, false),
      key: readTlsFile(endpoint, t.tls.key, false),
    };
    if ((files.cert === undefined) !== (files.key === undefined)) {
      throw ValidationError.single({
        file: t.tls.cert ?? t.tls.key ?? "",
        key: endpoint.source.kind === "context" ? "tls" : "DOCKER_CERT_PATH",
        message: "a client certificate needs both cert.pem and key.pem",
        found: files.cert === undefined ? "key.pem only" : "cert.pem only",
        allowed: "both files, or neither",
      });
    }
    options = {
      ...none,
      protocol: "https",
      host: t.host,
      port: t.port,
      ...definedOnly(files),
      // docker-modem has no switch for an unverified server; an agent's options win over the
      // request's (node: https.Agent#createConnection).
      ...(t.tls.verify
        ? {}
        : { agent: new Agent({ ...definedOnly(files), rejectUnauthorized: false }) }),
    };
  }
  const docker = new Docker(options);
  reportUnreachable(docker.modem, endpoint);
  return docker;
}

/**
 * Every request goes through `modem.dial` (dockerode's calls, the BuildKit session, the build
 * stream): a connection that never reached the engine is turned into one ExternalError naming
 * the endpoint; whatever the engine answered passes unchanged.
 */
function reportUnreachable(modem: DockerModem, endpoint: DockerEndpoint): void {
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) =>
    dial(options, (error, result) => {
      const why = error === null ? undefined : connectionFailure(error, endpoint);
      callback?.(why === undefined ? error : engineUnreachable(endpoint, why, error), result);
    });
}

function knownHostVerifier(env: DockerEnv, host: string, port: number): (key: Buffer) => boolean {
  const text = knownHostsFiles(env, homedir())
    .map((path) => readIfExists(path) ?? "")
    .join("\n");
  const { keys, revoked } = knownHostKeys(text, host, port);
  return (key) => {
    const blob = key.toString("base64");
    return keys.includes(blob) && !revoked.includes(blob);
  };
}

function readTlsFile(
  endpoint: DockerEndpoint,
  path: string | undefined,
  required: boolean,
): Buffer | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) {
    if (!required) return undefined;
    throw ValidationError.single({
      file: path,
      key: endpoint.source.kind === "context" ? "tls" : "DOCKER_CERT_PATH",
      message: "TLS with verification needs the CA certificate",
      found: "no such file",
      allowed: "ca.pem (with cert.pem and key.pem for a client certificate)",
    });
  }
  return readFileSync(path);
}

function definedOnly<T>(record: Record<string, T | undefined>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * `dockerHost` (the config's DOCKER_HOST, after flags and the config file) over the rest of
 * `env` (DOCKER_CONTEXT, DOCKER_CONFIG, the TLS variables, HOME for ssh keys).
 */
export function dockerFromHost(dockerHost: string | undefined, env: DockerEnv): Docker {
  return dockerFromEnv({ ...env, DOCKER_HOST: dockerHost });
}

/**
 * The OCI registries of the integration tests (started by scripts/ci/registry.sh): the plain one
 * on 127.0.0.1:5000, the htpasswd one on 127.0.0.1:5001 with its test user, and a way to start
 * one more `docker-registry` with a config of the test's own (e.g. token auth).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import * as z from "zod";

/** scripts/ci/cold-check.sh points these at scratch registries; everything else uses the defaults. */
export const PLAIN_REGISTRY = process.env["ENVFORGE_CI_REGISTRY"] ?? "127.0.0.1:5000";
export const AUTH_REGISTRY = process.env["ENVFORGE_CI_AUTH_REGISTRY"] ?? "127.0.0.1:5001";
/** The engine scripts' cache folder (scripts/ci/*.sh: ENVFORGE_CI_CACHE). */
export const CI_CACHE = process.env["ENVFORGE_CI_CACHE"] ?? "/var/cache/envforge-ci";
/** Written by scripts/ci/registry.sh, readable by root only. */
export const AUTH_CREDENTIALS_FILE =
  process.env["ENVFORGE_TEST_REGISTRY_CREDENTIALS"] ??
  path.join(CI_CACHE, "registry-auth/credentials.json");
export const REGISTRY_BINARY = "/usr/bin/docker-registry";
/** Made and pushed by scripts/ci/base-image.sh (debootstrap minbase). */
export const BASE_IMAGE = `${PLAIN_REGISTRY}/envforge/debian:bookworm`;

const Credentials = z.object({ username: z.string().min(1), password: z.string().min(1) });
export type TestCredentials = z.infer<typeof Credentials>;

export async function readAuthRegistryCredentials(): Promise<TestCredentials> {
  return Credentials.parse(JSON.parse(await readFile(AUTH_CREDENTIALS_FILE, "utf8")));
}

async function v2Status(registry: string): Promise<number | string> {
  try {
    const response = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    return error instanceof Error && error.cause instanceof Error
      ? error.cause.message
      : String(error);
  }
}

/** Undefined when both registries and the credentials file are there; otherwise why not. */
export async function registryProblem(): Promise<string | undefined> {
  const hint = "run scripts/ci/engines.sh";
  const plain = await v2Status(PLAIN_REGISTRY);
  if (plain !== 200) return `GET http://${PLAIN_REGISTRY}/v2/ gave ${plain}, not 200; ${hint}`;
  const auth = await v2Status(AUTH_REGISTRY);
  if (auth !== 401) return `GET http://${AUTH_REGISTRY}/v2/ gave ${auth}, not 401; ${hint}`;
  try {
    await readAuthRegistryCredentials();
  } catch (error) {
    return `cannot read ${AUTH_CREDENTIALS_FILE} (${error instanceof Error ? error.message : String(error)}); ${hint}`;
  }
  return undefined;
}

/** A repository name no other test run uses: `envforge-test/<prefix>-<hex>`. */
export function uniqueRepository(prefix: string): string {
  return `envforge-test/${prefix}-${randomBytes(6).toString("hex")}`;
}

/** Deletes one manifest by digest (the registries of scripts/ci run with delete enabled). */
export async function deleteManifest(options: {
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
  readonly authorization?: string;
}): Promise<void> {
  const response = await fetch(
    `http://${options.registry}/v2/${options.repository}/manifests/${options.digest}`,
    {
      method: "DELETE",
      headers: options.authorization === undefined ? {} : { authorization: options.authorization },
    },
  );
  await response.arrayBuffer();
  // 405: a registry someone else started without delete; there is nothing more to clean.
  if (![202, 404, 405].includes(response.status)) {
    throw new Error(`DELETE manifest ${options.digest}: HTTP ${response.status}`);
  }
}

export function basicAuthorization(credentials: TestCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface StartedRegistry {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly log: () => Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `docker-registry serve` on a free loopback port with storage in `dir` and `extraConfig`
 * (YAML, e.g. an `auth:` section) appended; resolves once GET /v2/ answers `readyStatus`.
 */
export async function startRegistry(options: {
  readonly dir: string;
  readonly extraConfig: string;
  readonly readyStatus: number;
}): Promise<StartedRegistry> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  await mkdir(path.join(options.dir, "data"), { recursive: true });
  const config = path.join(options.dir, "config.yml");
  const logFile = path.join(options.dir, "registry.log");
  await writeFile(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: info",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${path.join(options.dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${address}`,
      options.extraConfig,
      "",
    ].join("\n"),
  );
  const output: Buffer[] = [];
  const child = spawn(REGISTRY_BINARY, ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const log = async () => {
    const text = Buffer.concat(output).toString("utf8");
    await writeFile(logFile, text);
    return text;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = await v2Status(address);
    if (status === options.readyStatus) return { address, log, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `docker-registry on ${address} did not start (GET /v2/ gave ${status}):\n${await log()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

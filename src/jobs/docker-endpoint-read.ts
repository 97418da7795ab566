/**
 * Reads the files the Docker CLI reads to pick its endpoint (config.json's currentContext, a
 * context's meta.json and TLS folder) and lets docker-endpoint-rules.ts decide. No engine
 * library here, so `config show` can name the endpoint without loading the client.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  contextMetaPath,
  contextTlsDir,
  dockerConfigDir,
  endpointFromContext,
  endpointFromHost,
  selectedContext,
} from "./docker-endpoint-rules.js";
import type { DockerEndpoint, DockerEnv } from "./docker-endpoint-rules.js";

/** Which endpoint the environment selects (DOCKER_HOST, a docker context, or the socket). */
export function readDockerEndpoint(env: DockerEnv): DockerEndpoint {
  const configDir = dockerConfigDir(env, homedir());
  const configPath = join(configDir, "config.json");
  const configText = readIfExists(configPath);
  const name = selectedContext(
    env,
    configText === undefined ? undefined : { path: configPath, text: configText },
  );
  if (name === undefined) return endpointFromHost(env, configDir);
  const metaPath = contextMetaPath(configDir, name);
  const tlsDir = contextTlsDir(configDir, name);
  return endpointFromContext({
    name,
    metaPath,
    metaText: readIfExists(metaPath),
    tlsDir,
    tlsFiles: ["ca.pem", "cert.pem", "key.pem"].filter((file) => existsSync(join(tlsDir, file))),
    ...(env.USER === undefined ? {} : { user: env.USER }),
  });
}

/** The file's text, or undefined when there is no such file. */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return undefined;
    throw error;
  }
}

import { homedir } from "node:os";
import { dockerConfigCredentials } from "./docker-config.js";
import { HttpRegistry } from "./http-registry.js";
import type { Registry } from "./registry.js";

export interface OpenRegistryOptions {
  /** Reads DOCKER_CONFIG and HOME for the credentials `docker login` stored. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** For image references that name no registry. */
  readonly defaultRegistry?: string;
  readonly timeoutMs?: number;
}

/** The registry client every surface wires: HTTP, with the user's Docker credentials. */
export function openRegistry(options: OpenRegistryOptions): Registry {
  return new HttpRegistry({
    credentials: dockerConfigCredentials({ env: options.env, homedir: homedir() }),
    ...(options.defaultRegistry === undefined ? {} : { defaultRegistry: options.defaultRegistry }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

/**
 * Where a surface's calls go: a server when `--server URL` or ENVFORGE_SERVER is given (with
 * ENVFORGE_TOKEN), else the local workspace. Decided here only; open-client.ts and
 * open-builds-client.ts open their clients on the endpoint chosen here. Light on purpose: the
 * CLI's option help and `env build` read it without loading any client.
 */
import { ValidationError } from "../errors/index.js";
import type { SurfaceSettings } from "../host/config.js";
import { nonEmpty } from "../host/non-empty.js";

export const SERVER_VARIABLE = "ENVFORGE_SERVER";
export const TOKEN_VARIABLE = "ENVFORGE_TOKEN";
export const REGISTRY_VARIABLE = "ENVFORGE_REGISTRY";

/** Where the calls go: an envforge server, or this process on the local workspace. */
export type Endpoint =
  | { readonly kind: "server"; readonly url: string; readonly token?: string }
  | { readonly kind: "local" };

export interface OpenClientOptions {
  /** `--server`; wins over ENVFORGE_SERVER. */
  readonly server?: string;
}

/** Chooses the endpoint: the flag, else ENVFORGE_SERVER, else local. */
export function chooseEndpoint(
  settings: SurfaceSettings,
  options: OpenClientOptions = {},
): Endpoint {
  const { env } = settings;
  const server = nonEmpty(options.server) ?? nonEmpty(env[SERVER_VARIABLE]);
  if (server === undefined) return { kind: "local" };
  if (!/^https?:\/\/[^\s/]+/.test(server)) {
    throw ValidationError.single({
      key: "--server",
      message: "not an http(s) URL",
      found: JSON.stringify(server),
      allowed: "e.g. http://127.0.0.1:8080",
    });
  }
  const token = nonEmpty(env[TOKEN_VARIABLE]);
  return { kind: "server", url: server, ...(token === undefined ? {} : { token }) };
}

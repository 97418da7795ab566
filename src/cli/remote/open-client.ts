/**
 * Which workspace a command talks to: a server when `--server URL` or ENVFORGE_SERVER is given
 * (with ENVFORGE_TOKEN), else the local store (SQLite under ENVFORGE_HOME, or PostgreSQL with
 * ENVFORGE_DATABASE_URL). Either way the command gets one WorkspaceClient and prints the same.
 */
import type { Command } from "commander";
import { httpWorkspaceClient } from "../../api/client/http-client.js";
import { localWorkspaceClient } from "../../api/client/local-client.js";
import type { WorkspaceClient } from "../../api/client/workspace-client.js";
import { ValidationError } from "../../errors/index.js";
import { readConfig } from "../../host/config.js";
import { channelLockResolver } from "../../workspace/channel-lock-resolver.js";
import { openWorkspaceStore } from "../../workspace/index.js";
import type { CliIo } from "../context.js";

export const SERVER_VARIABLE = "ENVFORGE_SERVER";
export const TOKEN_VARIABLE = "ENVFORGE_TOKEN";
export const REGISTRY_VARIABLE = "ENVFORGE_REGISTRY";

/** Options of every command that reads or changes a workspace. */
export interface ClientOptions {
  readonly server?: string;
  readonly workspace?: string;
  readonly json?: boolean;
}

export function addClientOptions(command: Command): Command {
  return command
    .option(
      "--server <url>",
      `talk to an envforge server (default: $${SERVER_VARIABLE}; token from $${TOKEN_VARIABLE})`,
    )
    .option("-w, --workspace <name>", "the workspace (default: default)")
    .option("--json", "print JSON for scripts");
}

export async function openClient(io: CliIo, options: ClientOptions): Promise<WorkspaceClient> {
  const server = nonEmpty(options.server) ?? nonEmpty(io.env[SERVER_VARIABLE]);
  if (server !== undefined) {
    if (!/^https?:\/\/[^\s/]+/.test(server)) {
      throw ValidationError.single({
        key: "--server",
        message: "not an http(s) URL",
        found: JSON.stringify(server),
        allowed: "e.g. http://127.0.0.1:8080",
      });
    }
    const token = nonEmpty(io.env[TOKEN_VARIABLE]);
    return httpWorkspaceClient({ url: server, ...(token === undefined ? {} : { token }) });
  }
  const store = await openWorkspaceStore({ env: io.env });
  const registry = nonEmpty(io.env[REGISTRY_VARIABLE]);
  return localWorkspaceClient({
    store,
    settings: readConfig(io.env).parse,
    // Started lazily: only a registration of a conda definition starts the solver's thread.
    lockResolver: channelLockResolver({ env: io.env }),
    ...(registry === undefined ? {} : { registry }),
  });
}

/** Runs `work` with a client and closes it afterwards, whatever happens. */
export async function withClient<T>(
  io: CliIo,
  options: ClientOptions,
  work: (client: WorkspaceClient) => Promise<T>,
): Promise<T> {
  const client = await openClient(io, options);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * The options every command that reads or changes a workspace takes, and the CLI's way to hold
 * a client for one command. Where the client talks to is decided in client/endpoint.ts.
 */
import type { Command } from "commander";
import type { WorkspaceClient } from "../../client/workspace-client.js";
import { SERVER_VARIABLE, TOKEN_VARIABLE } from "../../client/endpoint.js";
import type { CliIo } from "../context.js";

export { REGISTRY_VARIABLE, SERVER_VARIABLE, TOKEN_VARIABLE } from "../../client/endpoint.js";

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

/** Runs `work` with a client and closes it afterwards, whatever happens. */
export async function withClient<T>(
  io: CliIo,
  options: ClientOptions,
  work: (client: WorkspaceClient) => Promise<T>,
): Promise<T> {
  // Loaded when a command runs, not when its options are declared: `env build` declares them
  // too and opens no workspace client.
  const { openClient } = await import("../../client/open-client.js");
  const client = await openClient(
    io,
    options.server === undefined ? {} : { server: options.server },
  );
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

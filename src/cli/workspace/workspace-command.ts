/** `envforge workspace create | list | show`. */
import type { Command } from "commander";
import * as z from "zod";
import type { CliIo } from "../context.js";
import { withExamples } from "../help.js";
import { writeJson, writeLine } from "../context.js";
import { SERVER_VARIABLE, TOKEN_VARIABLE, withClient } from "../remote/client-options.js";
import { formatTable } from "../remote/table.js";

const options = z.object({
  server: z.string().optional(),
  json: z.boolean().optional(),
  description: z.string().optional(),
});

export function registerWorkspaceCommand(program: Command, io: CliIo): void {
  const workspace = program
    .command("workspace")
    .description("Workspaces: named stores of environments (`default` always exists)");

  withExamples(
    addServerOptions(
      workspace
        .command("create")
        .description("Create a workspace (on a server: needs an admin token of `default`)")
        .argument("<name>", "workspace name")
        .option("-d, --description <text>", "description"),
    ),
    'envforge workspace create vision --description "the vision team"',
    "envforge workspace create vision --server http://127.0.0.1:8080",
  ).action(async (name: string, raw: unknown) => {
    const parsed = options.parse(raw);
    const created = await withClient(io, parsed, (client) =>
      client.createWorkspace({
        name,
        ...(parsed.description === undefined ? {} : { description: parsed.description }),
      }),
    );
    if (parsed.json) return writeJson(io, created);
    writeLine(io, `created workspace ${created.name}`);
  });

  withExamples(
    addServerOptions(workspace.command("list").description("List workspaces")),
    "envforge workspace list",
    "envforge workspace list --json",
  ).action(async (raw: unknown) => {
    const parsed = options.parse(raw);
    const items = await withClient(io, parsed, (client) => client.listWorkspaces());
    if (parsed.json) return writeJson(io, { items });
    writeLine(
      io,
      formatTable(
        ["NAME", "CREATED", "DESCRIPTION"],
        items.map((item) => [item.name, item.createdAt, item.description ?? ""]),
      ),
    );
  });

  withExamples(
    addServerOptions(
      workspace
        .command("show")
        .description("Show a workspace")
        .argument("<name>", "workspace name"),
    ),
    "envforge workspace show default",
  ).action(async (name: string, raw: unknown) => {
    const parsed = options.parse(raw);
    const shown = await withClient(io, parsed, (client) => client.getWorkspace({ name }));
    if (parsed.json) return writeJson(io, shown);
    writeLine(
      io,
      [
        `${shown.name}`,
        `  created:     ${shown.createdAt}`,
        ...(shown.description === undefined ? [] : [`  description: ${shown.description}`]),
      ].join("\n"),
    );
  });
}

/** Workspace commands name the workspace as an argument, so they take no --workspace. */
function addServerOptions(command: Command): Command {
  return command
    .option(
      "--server <url>",
      `talk to an envforge server (default: $${SERVER_VARIABLE}; token from $${TOKEN_VARIABLE})`,
    )
    .option("--json", "print JSON for scripts");
}

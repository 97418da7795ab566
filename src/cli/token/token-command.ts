/**
 * `envforge token create | list | revoke`. On the server's own machine (no --server) this is how
 * the first token is made; the secret is printed once and cannot be shown again.
 */
import type { Command } from "commander";
import * as z from "zod";
import { ValidationError } from "../../errors/index.js";
import { TOKEN_SCOPES } from "../../workspace/index.js";
import type { TokenScope } from "../../workspace/index.js";
import type { CliIo } from "../context.js";
import { withExamples } from "../help.js";
import { writeJson, writeLine } from "../context.js";
import { addClientOptions, withClient } from "../remote/client-options.js";
import { collect } from "../remote/option-values.js";
import { formatTable } from "../remote/table.js";

const clientFields = {
  server: z.string().optional(),
  workspace: z.string().optional(),
  json: z.boolean().optional(),
};

export function registerTokenCommand(program: Command, io: CliIo): void {
  const token = program
    .command("token")
    .description("API tokens for `envforge serve` (scopes read, write, admin; per workspace)");

  addClientOptions(
    token
      .command("create")
      .description("Create an API token and print its secret (shown once)")
      .requiredOption("-n, --name <name>", "what the token is for, e.g. ci")
      .option(
        "-s, --scope <scope>",
        `scope, repeatable: ${TOKEN_SCOPES.join(", ")} (default read)`,
        collect,
        [],
      ),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  envforge token create --name ci --scope write\n  export ENVFORGE_TOKEN=efk_...   # then: envforge env list --server http://host:8080",
    )
    .action(async (raw: unknown) => {
      const options = z
        .object({ ...clientFields, name: z.string(), scope: z.array(z.string()) })
        .parse(raw);
      const scopes = options.scope.length === 0 ? ["read" as const] : options.scope.map(scopeOf);
      const created = await withClient(io, options, (client) =>
        client.createToken({
          ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
          name: options.name,
          scopes,
        }),
      );
      if (options.json) return writeJson(io, created);
      writeLine(io, created.secret);
      io.stderr.write(
        `created token ${created.token.id} (${created.token.scopes.join(", ")}) in workspace ${created.token.workspace}; the secret above is shown only this once\n`,
      );
    });

  withExamples(
    addClientOptions(token.command("list").description("List tokens (never their secrets)")),
    "envforge token list",
    "envforge token list --workspace vision --json",
  ).action(async (raw: unknown) => {
    const options = z.object(clientFields).parse(raw);
    const items = await withClient(io, options, (client) =>
      client.listTokens(options.workspace === undefined ? {} : { workspace: options.workspace }),
    );
    if (options.json) return writeJson(io, { items });
    writeLine(
      io,
      formatTable(
        ["ID", "NAME", "SCOPES", "CREATED", "REVOKED"],
        items.map((item) => [
          item.id,
          item.name,
          item.scopes.join(","),
          item.createdAt,
          item.revokedAt ?? "-",
        ]),
      ),
    );
  });

  withExamples(
    addClientOptions(
      token
        .command("revoke")
        .description("Revoke a token")
        .argument("<id>", "token id (from token list)"),
    ),
    "envforge token revoke 0b5e6f1c-8d2a-4c1e-9f3b-2a7d4e6c8b10",
  ).action(async (id: string, raw: unknown) => {
    const options = z.object(clientFields).parse(raw);
    const revoked = await withClient(io, options, (client) =>
      client.revokeToken({
        ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
        id,
      }),
    );
    if (options.json) return writeJson(io, revoked);
    writeLine(io, `revoked token ${revoked.id} (${revoked.name}) at ${revoked.revokedAt ?? "?"}`);
  });
}

function scopeOf(text: string): TokenScope {
  const scope = TOKEN_SCOPES.find((candidate) => candidate === text);
  if (scope === undefined) {
    throw ValidationError.single({
      key: "--scope",
      message: "not a token scope",
      found: JSON.stringify(text),
      allowed: TOKEN_SCOPES.join(", "),
    });
  }
  return scope;
}

/** `envforge env label | archive | restore | update`. */
import { z } from "zod";
import { ValidationError } from "../../errors/index.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { withClient } from "../remote/client-options.js";
import { parseTags } from "../remote/option-values.js";
import { versionLines } from "./format.js";
import { versionOption } from "./selector.js";

const clientFields = {
  server: z.string().optional(),
  workspace: z.string().optional(),
  json: z.boolean().optional(),
};

export async function runLabel(
  io: CliIo,
  name: string,
  label: string,
  raw: unknown,
): Promise<void> {
  const options = z
    .object({ ...clientFields, version: z.string().optional(), remove: z.boolean().optional() })
    .parse(raw);
  const workspace = options.workspace === undefined ? {} : { workspace: options.workspace };
  const version = versionOption(options.version);
  if ((version === undefined) === (options.remove !== true)) {
    throw ValidationError.single({
      key: "--version",
      message: "give --version N to set the label, or --remove to remove it",
      found: options.remove === true ? "both" : "neither",
    });
  }
  if (version === undefined) {
    await withClient(io, options, (client) => client.removeLabel({ ...workspace, name, label }));
    if (options.json) return writeJson(io, { name, label, removed: true });
    writeLine(io, `removed label ${label} from ${name}`);
    return;
  }
  const labelled = await withClient(io, options, (client) =>
    client.setLabel({ ...workspace, name, label, version }),
  );
  if (options.json) return writeJson(io, labelled);
  writeLine(io, `${name}: label ${label} → version ${labelled.version}`);
}

export async function runArchive(
  io: CliIo,
  action: "archive" | "restore",
  name: string,
  raw: unknown,
): Promise<void> {
  const options = z.object({ ...clientFields, version: z.string().optional() }).parse(raw);
  const version = versionOption(options.version);
  await withClient(io, options, (client) =>
    client[action]({
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
      name,
      ...(version === undefined ? {} : { version }),
    }),
  );
  const what = version === undefined ? name : `${name} version ${version}`;
  const done = action === "archive" ? "archived" : "restored";
  if (options.json) {
    return writeJson(io, { name, ...(version === undefined ? {} : { version }), [done]: true });
  }
  writeLine(io, `${done} ${what}`);
}

export async function runUpdate(io: CliIo, name: string, raw: unknown): Promise<void> {
  const options = z
    .object({
      ...clientFields,
      version: z.string(),
      description: z.string().optional(),
      clearDescription: z.boolean().optional(),
      tag: z.array(z.string()),
      clearTags: z.boolean().optional(),
    })
    .parse(raw);
  const version = versionOption(options.version) ?? 0;
  const changes: Record<string, unknown> = {};
  if (options.description !== undefined) changes.description = options.description;
  if (options.clearDescription === true) changes.description = null;
  if (options.tag.length > 0) changes.tags = parseTags(options.tag);
  if (options.clearTags === true) changes.tags = {};
  if (Object.keys(changes).length === 0) {
    throw ValidationError.single({
      message: "nothing to change",
      allowed: "--description, --clear-description, --tag or --clear-tags",
    });
  }
  const updated = await withClient(io, options, (client) =>
    client.updateVersion({
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
      name,
      version,
      changes,
    }),
  );
  if (options.json) return writeJson(io, updated);
  writeLine(io, versionLines(updated).join("\n"));
}

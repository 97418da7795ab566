/** `envforge env label | archive | restore | update`. */
import * as z from "zod";
import { ValidationError } from "../../errors/index.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { withClient } from "../remote/client-options.js";
import { parseTags } from "../remote/option-values.js";
import { versionLines } from "./format.js";
import type { WorkspaceClient } from "../../client/workspace-client.js";
import { refWithFlags } from "../../client/environment-ref.js";
import { versionOption } from "./selector.js";

const clientFields = {
  server: z.string().optional(),
  workspace: z.string().optional(),
  json: z.boolean().optional(),
};

/**
 * `env label NAME@VERSION LABEL` (or `NAME --version N`, or `NAME:OTHER` to point LABEL where
 * OTHER points) sets a label; `env label NAME LABEL --remove` removes it.
 */
export async function runLabel(
  io: CliIo,
  reference: string,
  label: string,
  raw: unknown,
): Promise<void> {
  const options = z
    .object({ ...clientFields, version: z.string().optional(), remove: z.boolean().optional() })
    .parse(raw);
  const workspace = options.workspace === undefined ? {} : { workspace: options.workspace };
  const flag = versionOption(options.version);
  const ref = refWithFlags(reference, flag === undefined ? {} : { version: flag });
  const { name } = ref;
  const names = ref.version !== undefined || ref.label !== undefined;
  if (names === (options.remove === true)) {
    throw ValidationError.single({
      key: "--version",
      message: `give the version to label (${name}@N, ${name}:OTHER-LABEL or --version N), or --remove to remove the label`,
      found: options.remove === true ? "both" : "neither",
    });
  }
  if (!names) {
    await withClient(io, options, (client) => client.removeLabel({ ...workspace, name, label }));
    if (options.json) return writeJson(io, { name, label, removed: true });
    writeLine(io, `removed label ${label} from ${name}`);
    return;
  }
  const labelled = await withClient(io, options, async (client) =>
    client.setLabel({
      ...workspace,
      name,
      label,
      version: await versionNumber(client, workspace, ref),
    }),
  );
  if (options.json) return writeJson(io, labelled);
  writeLine(io, `${name}: label ${label} → version ${labelled.version}`);
}

export async function runArchive(
  io: CliIo,
  action: "archive" | "restore",
  reference: string,
  raw: unknown,
): Promise<void> {
  const options = z.object({ ...clientFields, version: z.string().optional() }).parse(raw);
  const flag = versionOption(options.version);
  const ref = refWithFlags(reference, flag === undefined ? {} : { version: flag });
  const { name } = ref;
  const workspace = options.workspace === undefined ? {} : { workspace: options.workspace };
  const version = await withClient(io, options, async (client) => {
    const only =
      ref.version === undefined && ref.label === undefined
        ? undefined
        : await versionNumber(client, workspace, ref);
    await client[action]({ ...workspace, name, ...(only === undefined ? {} : { version: only }) });
    return only;
  });
  const what = version === undefined ? name : `${name} version ${version}`;
  const done = action === "archive" ? "archived" : "restored";
  if (options.json) {
    return writeJson(io, { name, ...(version === undefined ? {} : { version }), [done]: true });
  }
  writeLine(io, `${done} ${what}`);
}

export async function runUpdate(io: CliIo, reference: string, raw: unknown): Promise<void> {
  const options = z
    .object({
      ...clientFields,
      version: z.string().optional(),
      description: z.string().optional(),
      clearDescription: z.boolean().optional(),
      tag: z.array(z.string()),
      clearTags: z.boolean().optional(),
    })
    .parse(raw);
  const flag = versionOption(options.version);
  const ref = refWithFlags(reference, flag === undefined ? {} : { version: flag });
  const { name } = ref;
  if (ref.version === undefined && ref.label === undefined) {
    throw ValidationError.single({
      key: "--version",
      message: "name the version to change",
      found: JSON.stringify(reference),
      allowed: `${name}@N, ${name}:LABEL or --version N`,
    });
  }
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
  const workspace = options.workspace === undefined ? {} : { workspace: options.workspace };
  const updated = await withClient(io, options, async (client) =>
    client.updateVersion({
      ...workspace,
      name,
      version: await versionNumber(client, workspace, ref),
      changes,
    }),
  );
  if (options.json) return writeJson(io, updated);
  writeLine(io, versionLines(updated).join("\n"));
}

/** The number of the version a reference names (a label is looked up; a number is as given). */
async function versionNumber(
  client: WorkspaceClient,
  workspace: { readonly workspace?: string },
  ref: { readonly name: string; readonly version?: number; readonly label?: string },
): Promise<number> {
  if (ref.version !== undefined) return ref.version;
  return (await client.getEnvironmentVersion({ ...workspace, ...ref })).version;
}

/** `envforge env list | show | versions`. */
import * as z from "zod";
import { ValidationError } from "../../errors/index.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { withClient } from "../remote/client-options.js";
import { curatedTable, environmentsTable, versionLines, versionsTable } from "./format.js";
import { refWithFlags } from "../../client/environment-ref.js";
import { selector } from "./selector.js";

const clientFields = {
  server: z.string().optional(),
  workspace: z.string().optional(),
  json: z.boolean().optional(),
};
const pageFields = {
  includeArchived: z.boolean().optional(),
  limit: z.string().optional(),
  cursor: z.string().optional(),
};

export async function runList(io: CliIo, raw: unknown): Promise<void> {
  const options = z
    .object({ ...clientFields, ...pageFields, curated: z.boolean().optional() })
    .parse(raw);
  if (options.curated === true) {
    const items = await withClient(io, options, (client) =>
      client.listCurated(workspaceOf(options)),
    );
    if (options.json) return writeJson(io, { items });
    writeLine(io, items.length === 0 ? "no curated environments" : curatedTable(items));
    return;
  }
  const page = await withClient(io, options, (client) =>
    client.listEnvironments({ ...workspaceOf(options), ...pageOf(options) }),
  );
  if (options.json) return writeJson(io, page);
  writeLine(io, page.items.length === 0 ? "no environments" : environmentsTable(page.items));
  if (page.nextCursor !== undefined) writeLine(io, `more: --cursor ${page.nextCursor}`);
}

export async function runVersions(io: CliIo, name: string, raw: unknown): Promise<void> {
  const options = z.object({ ...clientFields, ...pageFields }).parse(raw);
  const page = await withClient(io, options, (client) =>
    client.listVersions({ ...workspaceOf(options), name, ...pageOf(options) }),
  );
  if (options.json) return writeJson(io, page);
  writeLine(io, page.items.length === 0 ? "no versions" : versionsTable(page.items));
  if (page.nextCursor !== undefined) writeLine(io, `more: --cursor ${page.nextCursor}`);
}

const showOptions = z.object({
  ...clientFields,
  version: z.string().optional(),
  label: z.string().optional(),
  dockerfile: z.boolean().optional(),
  conda: z.boolean().optional(),
  pip: z.boolean().optional(),
  image: z.boolean().optional(),
});

export async function runShow(io: CliIo, reference: string, raw: unknown): Promise<void> {
  const options = showOptions.parse(raw);
  const ref = refWithFlags(reference, selector(options));
  const { name } = ref;
  const input = { ...workspaceOf(options), ...ref };
  const ingredient = options.dockerfile
    ? "dockerfile"
    : options.conda
      ? "condaSpecification"
      : options.pip
        ? "pipRequirements"
        : undefined;
  if (ingredient === undefined && options.image !== true) {
    const version = await withClient(io, options, (client) => client.getEnvironmentVersion(input));
    if (options.json) return writeJson(io, version);
    writeLine(io, versionLines(version).join("\n"));
    return;
  }
  const details = await withClient(io, options, (client) => client.getImageDetails(input));
  if (ingredient === undefined) {
    if (options.json) return writeJson(io, details);
    writeLine(
      io,
      [
        `image:       ${details.image.name}`,
        `image hash:  ${details.imageHash}`,
        `built:       ${details.existsInRegistry || details.image.id !== null ? "yes" : "no"}`,
        `kept in:     ${keptIn(details.image)}`,
        `python:      ${details.pythonEnvironment.interpreterPath}`,
      ].join("\n"),
    );
    return;
  }
  const text = details.ingredients[ingredient];
  if (text === null) {
    throw ValidationError.single({
      key: `--${ingredient === "condaSpecification" ? "conda" : "pip"}`,
      message: `${name} version ${details.version} has no ${ingredient === "condaSpecification" ? "conda environment" : "pip requirements"}`,
    });
  }
  if (options.json) return writeJson(io, { [ingredient]: text });
  io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Where the image is, or would be once built, in plain words. */
function keptIn(image: {
  readonly location: "registry" | "local-engine";
  readonly registry: string | null;
  readonly digest: string | null;
  readonly id: string | null;
}): string {
  if (image.location === "local-engine") {
    return image.id === null
      ? "not built yet; a build keeps it in the local Docker engine (no registry is set)"
      : `the local Docker engine, image id ${image.id} (no registry: never pushed)`;
  }
  const registry = image.registry ?? "its registry";
  return image.digest === null
    ? `not built yet; a build pushes it to ${registry}`
    : `the registry ${registry}, digest ${image.digest}`;
}

function workspaceOf(options: { readonly workspace?: string }): { workspace?: string } {
  return options.workspace === undefined ? {} : { workspace: options.workspace };
}

function pageOf(options: {
  readonly includeArchived?: boolean;
  readonly limit?: string;
  readonly cursor?: string;
}): { includeArchived?: boolean; limit?: number; cursor?: string } {
  return {
    ...(options.includeArchived === true ? { includeArchived: true } : {}),
    ...(options.limit === undefined ? {} : { limit: Number(options.limit) }),
    ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
  };
}

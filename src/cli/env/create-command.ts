/**
 * `envforge env create`: files from disk → the workspace (in-process or on a server). A conda
 * definition is locked there (or with --lock FILE); without a lock it is still registered, with
 * a warning per part that could not be locked saying what the build will need, unless
 * --require-lock refuses it. The same definition again retries a missing lock.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import * as z from "zod";
import { FILE_DEFINITION_KINDS as UPLOAD_KINDS } from "../../definition/definition.js";
import { collectDefinitionFiles } from "../../host/collect-definition-files.js";
import { declaredName } from "../../host/declared-name.js";
import { parseLockFile } from "../../conda/lock-file.js";
import { formatProblem, NotFoundError, ValidationError } from "../../errors/index.js";
import type { LockContent } from "../../definition/lock.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { withClient } from "../remote/client-options.js";
import { parseTags } from "../remote/option-values.js";
import { versionOption } from "./selector.js";

const createOptions = z.object({
  file: z.string(),
  name: z.string().optional(),
  version: z.string().optional(),
  description: z.string().optional(),
  tag: z.array(z.string()),
  kind: z.string().optional(),
  dockerfilePath: z.string().optional(),
  lock: z.string().optional(),
  requireLock: z.boolean().optional(),
  server: z.string().optional(),
  workspace: z.string().optional(),
  json: z.boolean().optional(),
});

export async function runCreate(io: CliIo, raw: unknown): Promise<void> {
  const options = createOptions.parse(raw);
  const kind = options.kind === undefined ? undefined : uploadKind(options.kind);
  const version = versionOption(options.version);
  const lock = options.lock === undefined ? undefined : await readLock(io, options.lock);
  const { files, displayRoot } = await collectDefinitionFiles(options.file, {
    cwd: io.cwd,
    ...(kind === undefined ? {} : { kind }),
    ...(options.dockerfilePath === undefined ? {} : { dockerfilePath: options.dockerfilePath }),
  });
  const name = options.name ?? declaredName(files);
  if (name === undefined) {
    throw ValidationError.single({
      key: "--name",
      message: `${options.file} declares no name, and no --name was given`,
      allowed: "--name NAME, or `name:` in the conda environment.yml or envforge.yaml",
    });
  }
  const result = await withClient(io, options, (client) =>
    client.registerFiles({
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
      name,
      files,
      displayRoot,
      ...(version === undefined ? {} : { version }),
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.tag.length === 0 ? {} : { tags: parseTags(options.tag) }),
      ...(lock === undefined ? {} : { lock }),
      ...(options.requireLock === true ? { requireLock: true } : {}),
    }),
  );
  if (options.json) {
    writeJson(io, result);
    return;
  }
  for (const warning of result.warnings) io.stderr.write(`warning: ${formatProblem(warning)}\n`);
  const { version: registered } = result;
  writeLine(
    io,
    result.created
      ? `registered ${registered.name} version ${registered.version} (${registered.definitionHash}) in workspace ${registered.workspace}`
      : result.lock.filled
        ? `locked: ${registered.name} version ${registered.version} had this definition without a lock and now has its lock (${registered.definitionHash})`
        : `unchanged: ${registered.name} version ${registered.version} already has this definition (${registered.definitionHash})`,
  );
  for (const platform of registered.lock?.platforms ?? []) {
    if (platform.conda.length === 0) continue;
    writeLine(io, `  locked ${platform.platform}: ${platform.conda.length} conda packages`);
  }
}

async function readLock(io: CliIo, path: string): Promise<LockContent> {
  const text = await readFile(resolve(io.cwd, path), "utf8").catch((error: unknown) => {
    throw new NotFoundError(`--lock: ${path} cannot be read; make it with \`envforge lock FILE\``, {
      cause: error,
    });
  });
  return parseLockFile(text, path);
}

function uploadKind(kind: string): (typeof UPLOAD_KINDS)[number] {
  const found = UPLOAD_KINDS.find((choice) => choice === kind);
  if (found === undefined) {
    throw ValidationError.single({
      key: "--kind",
      message: "unknown definition kind",
      found: JSON.stringify(kind),
      allowed: UPLOAD_KINDS.join(", "),
    });
  }
  return found;
}

/** `envforge env create`: files from disk → the workspace (in-process or on a server). */
import { z } from "zod";
import { collectUpload } from "../../api/upload/collect-upload.js";
import { UPLOAD_KINDS } from "../../api/upload/upload-schema.js";
import { formatProblem, ValidationError } from "../../errors/index.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { withClient } from "../remote/open-client.js";
import { parseTags } from "../remote/option-values.js";
import { versionOption } from "./selector.js";

const createOptions = z.object({
  file: z.string(),
  name: z.string(),
  version: z.string().optional(),
  description: z.string().optional(),
  tag: z.array(z.string()),
  kind: z.string().optional(),
  dockerfilePath: z.string().optional(),
  server: z.string().optional(),
  workspace: z.string().optional(),
  json: z.boolean().optional(),
});

export async function runCreate(io: CliIo, raw: unknown): Promise<void> {
  const options = createOptions.parse(raw);
  const kind = options.kind === undefined ? undefined : uploadKind(options.kind);
  const version = versionOption(options.version);
  const { upload, displayRoot } = await collectUpload(options.file, {
    cwd: io.cwd,
    ...(kind === undefined ? {} : { kind }),
    ...(options.dockerfilePath === undefined ? {} : { dockerfilePath: options.dockerfilePath }),
  });
  const result = await withClient(io, options, (client) =>
    client.registerFiles({
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
      name: options.name,
      upload,
      displayRoot,
      ...(version === undefined ? {} : { version }),
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.tag.length === 0 ? {} : { tags: parseTags(options.tag) }),
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
      : `unchanged: ${registered.name} version ${registered.version} already has this definition (${registered.definitionHash})`,
  );
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

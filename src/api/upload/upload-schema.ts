/**
 * What a client sends to register a definition from its files: the files (path → content), the
 * one the definition starts from (`entry`), and the same reading options as the CLI. Paths are
 * POSIX, relative to the upload's root; a definition refers to its other files (conda_file,
 * `-r` includes, build context) by paths relative to the entry, as it does on disk.
 */
import * as z from "zod";
import { FILE_DEFINITION_KINDS } from "../../definition/definition.js";
import type { DefinitionFiles, MappedFile } from "../../host/definition-files.js";
import { MAX_FILES, MAX_PATH_LENGTH } from "../../host/definition-files.js";

/** Kinds a file upload can hold (an image reference is not a file). */
export const UPLOAD_KINDS = FILE_DEFINITION_KINDS;

export const MAX_UPLOAD_FILES = MAX_FILES;
export const MAX_UPLOAD_PATH_LENGTH = MAX_PATH_LENGTH;

export const uploadedFileSchema = z.union([
  z.string().describe("UTF-8 text, stored with mode 0644"),
  z.strictObject({
    base64: z.string().describe("the bytes, base64-encoded"),
    mode: z
      .number()
      .int()
      .min(0)
      .max(0o777)
      .optional()
      .describe("Unix permission bits, e.g. 493 (0755); default 420 (0644)"),
  }),
]);

export const definitionUploadSchema = z.strictObject({
  entry: z
    .string()
    .min(1)
    .max(MAX_UPLOAD_PATH_LENGTH)
    .describe(
      'the file (or folder, for a build context or Azure ML v1 folder) to read, e.g. "environment.yml"; "." for the root folder',
    ),
  files: z
    .record(z.string(), uploadedFileSchema)
    .describe("path (POSIX, relative, no `..`) → content"),
  kind: z.enum(UPLOAD_KINDS).optional().describe("read the entry as this kind (default: detect)"),
  dockerfilePath: z
    .string()
    .min(1)
    .max(MAX_UPLOAD_PATH_LENGTH)
    .optional()
    .describe("for a build context: its Dockerfile, relative to the context"),
});

export type UploadedFile = z.infer<typeof uploadedFileSchema>;
export type DefinitionUpload = z.infer<typeof definitionUploadSchema>;

/** What a client sent, as the file map the loader reads. */
export function filesFromUpload(upload: DefinitionUpload): DefinitionFiles {
  const files = new Map<string, MappedFile>();
  for (const [path, content] of Object.entries(upload.files)) {
    files.set(
      path,
      typeof content === "string"
        ? { bytes: Buffer.from(content, "utf8"), mode: TEXT_MODE }
        : { bytes: Buffer.from(content.base64, "base64"), mode: content.mode ?? TEXT_MODE },
    );
  }
  return {
    entry: upload.entry,
    files,
    ...(upload.kind === undefined ? {} : { kind: upload.kind }),
    ...(upload.dockerfilePath === undefined ? {} : { dockerfilePath: upload.dockerfilePath }),
  };
}

/**
 * A file map as the body a client sends: UTF-8 text with mode 0644 as a string (readable in
 * the request), anything else as base64 with its mode. Both read back to the same bytes.
 */
export function uploadFromFiles(input: DefinitionFiles): DefinitionUpload {
  const files: Record<string, UploadedFile> = {};
  for (const [path, file] of input.files) {
    const text = file.mode === TEXT_MODE ? utf8(file.bytes) : undefined;
    files[path] = text ?? { base64: Buffer.from(file.bytes).toString("base64"), mode: file.mode };
  }
  return {
    entry: input.entry,
    files,
    ...(input.kind === undefined ? {} : { kind: input.kind }),
    ...(input.dockerfilePath === undefined ? {} : { dockerfilePath: input.dockerfilePath }),
  };
}

const TEXT_MODE = 0o644;
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * What a client sends to register a definition from its files: the files (path → content), the
 * one the definition starts from (`entry`), and the same reading options as the CLI. Paths are
 * POSIX, relative to the upload's root; a definition refers to its other files (conda_file,
 * `-r` includes, build context) by paths relative to the entry, as it does on disk.
 */
import { z } from "zod";
import { FILE_DEFINITION_KINDS } from "../../definition/definition.js";

/** Kinds a file upload can hold (an image reference is not a file). */
export const UPLOAD_KINDS = FILE_DEFINITION_KINDS;

export const MAX_UPLOAD_FILES = 10_000;
export const MAX_UPLOAD_PATH_LENGTH = 1024;

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

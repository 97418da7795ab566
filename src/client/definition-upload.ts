/**
 * A Definition made in memory (the SDK's Environment) as files a server can read: envforge.yaml
 * and its conda file (definition/'s writer, which refuses what the format cannot hold), a lone
 * Dockerfile as itself, or a build context collected from its folder. The server reads them
 * back into a Definition with the same definition hash.
 */
import { posix } from "node:path";
import type { Definition } from "../definition/definition.js";
import {
  envforgeFilesFromDefinition,
  WRITTEN_CONTEXT_FOLDER,
  WRITTEN_FILE_NAMES,
} from "../definition/envforge-file-writer.js";
import { collectDefinitionFiles } from "../host/collect-definition-files.js";
import type { DefinitionUpload, UploadedFile } from "../api/upload/upload-schema.js";
import { uploadFromFiles } from "../api/upload/upload-schema.js";

export async function definitionUpload(definition: Definition): Promise<DefinitionUpload> {
  const { base } = definition;
  const plain = definition.conda === undefined && definition.pip === undefined;
  if (base.kind === "dockerfile" && plain && definition.apt.length === 0) {
    // As a Dockerfile definition, not as a one-file build context: that would hash differently.
    return { entry: "Dockerfile", files: { Dockerfile: base.dockerfile }, kind: "dockerfile" };
  }
  const context =
    base.kind === "build"
      ? await collectDefinitionFiles(base.contextPath, {
          kind: "build-context",
          dockerfilePath: base.dockerfilePath,
        })
      : undefined;
  const written = envforgeFilesFromDefinition(definition, {
    format: "envforge",
    ...(context === undefined ? {} : { contextPath: WRITTEN_CONTEXT_FOLDER }),
  });
  const files: Record<string, UploadedFile> = { ...written.files };
  const contextFiles = context === undefined ? {} : uploadFromFiles(context.files).files;
  for (const [path, content] of Object.entries(contextFiles)) {
    files[posix.join(WRITTEN_CONTEXT_FOLDER, path)] = content;
  }
  return { entry: WRITTEN_FILE_NAMES.envforge, files };
}

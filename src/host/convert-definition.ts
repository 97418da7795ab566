import { readdir, writeFile, mkdir } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import type { Problem } from "../errors/index.js";
import type { Definition } from "../definition/definition.js";
import { envforgeFilesFromDefinition } from "../definition/envforge-file-writer.js";
import type { EnvforgeFileFormat } from "../definition/envforge-file-writer.js";
import { saveAzureMlV1Folder } from "./azureml-v1-folder.js";
import { checkOutputFolder, writeFolder } from "./write-folder.js";

export type ConvertFormat = EnvforgeFileFormat | "azureml-v1";
export const CONVERT_FORMATS: readonly ConvertFormat[] = ["envforge", "azureml-v1", "azureml-v2"];

export interface ConvertOptions {
  readonly format: ConvertFormat;
  /** Folder to write; created, or replaced with `force`. */
  readonly out: string;
  readonly force?: boolean;
}

export interface Converted {
  readonly files: readonly string[];
  readonly warnings: readonly Problem[];
}

/** Writes a definition in another format, all files at once or none. */
export async function convertDefinition(
  definition: Definition,
  options: ConvertOptions,
): Promise<Converted> {
  if (options.format === "azureml-v1") {
    const { warnings } = await saveAzureMlV1Folder(definition, options.out, {
      overwrite: options.force === true,
    });
    return { files: (await readdir(options.out)).sort(), warnings };
  }
  const contextPath =
    definition.base.kind === "build"
      ? relative(resolve(options.out), definition.base.contextPath) || "."
      : undefined;
  // Everything that can be refused is refused before the disk is touched.
  const { files, warnings } = envforgeFilesFromDefinition(definition, {
    format: options.format,
    ...(contextPath === undefined ? {} : { contextPath }),
  });
  const exists = await checkOutputFolder(options.out, options.force === true);
  await writeFolder(
    options.out,
    async (staging) => {
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(staging, path)), { recursive: true });
        await writeFile(join(staging, path), content);
      }
    },
    { replace: exists },
  );
  return { files: Object.keys(files).sort(), warnings };
}

import { readdir, writeFile, mkdir } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { ValidationError } from "../errors/index.js";
import type { Problem } from "../errors/index.js";
import type { Definition } from "../spec/definition.js";
import { envforgeFilesFromDefinition } from "../spec/envforge-file-writer.js";
import type { EnvforgeFileFormat } from "../spec/envforge-file-writer.js";
import { saveAzureMlV1Folder } from "./azureml-v1-folder.js";
import { errorCode, fileError } from "./file-errors.js";
import { writeFolder } from "./write-folder.js";

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
  const exists = await existingFolder(options.out, options.force === true);
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

async function existingFolder(folder: string, force: boolean): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(folder);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw fileError(folder, "read the folder", error);
  }
  if (entries.length > 0 && !force) {
    throw ValidationError.single({
      file: folder,
      message: "the output folder is not empty",
      allowed: "a new or empty folder, or --force to replace it",
    });
  }
  return true;
}

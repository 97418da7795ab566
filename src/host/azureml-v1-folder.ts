/**
 * Azure ML v1 environment folders on disk (`Environment.load_from_directory` /
 * `save_to_directory`). Saving is all or nothing: the files go to a temporary sibling folder
 * that is renamed into place, so an error never leaves a half-written folder behind.
 */
import { lstat, readdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Problem } from "../errors/index.js";
import { ConflictError, ValidationError } from "../errors/index.js";
import type { AzureMlV1Loaded } from "../definition/azureml-v1.js";
import {
  AZUREML_V1_CONDA_FILE,
  AZUREML_V1_DEFINITION_FILE,
  AZUREML_V1_DOCKERFILE,
  azureMlV1FromDefinition,
  definitionFromAzureMlV1,
} from "../definition/azureml-v1.js";
import type { Definition, ParseSettings } from "../definition/definition.js";
import { errorCode, fileError, readOptionalSourceText } from "./file-errors.js";
import { writeFolder } from "./write-folder.js";

const FOLDER_FILES: readonly string[] = [
  AZUREML_V1_DEFINITION_FILE,
  AZUREML_V1_CONDA_FILE,
  AZUREML_V1_DOCKERFILE,
];

export async function loadAzureMlV1Folder(
  dir: string,
  options: { readonly settings: ParseSettings },
): Promise<AzureMlV1Loaded> {
  const environment = await readOptionalSourceText(join(dir, AZUREML_V1_DEFINITION_FILE));
  if (environment === undefined) {
    throw ValidationError.single({
      file: dir,
      message: `not an Azure ML v1 environment folder: it has no ${AZUREML_V1_DEFINITION_FILE}`,
    });
  }
  const condaDependencies = await readOptionalSourceText(join(dir, AZUREML_V1_CONDA_FILE));
  const baseDockerfile = await readOptionalSourceText(join(dir, AZUREML_V1_DOCKERFILE));
  return definitionFromAzureMlV1(
    {
      environment,
      ...(condaDependencies === undefined ? {} : { condaDependencies }),
      ...(baseDockerfile === undefined ? {} : { baseDockerfile }),
    },
    options.settings,
  );
}

export interface SaveAzureMlV1FolderOptions {
  /**
   * Replace an existing folder. Only a folder holding nothing but v1 folder files is replaced,
   * so a wrong path cannot wipe unrelated work.
   */
  readonly overwrite?: boolean;
}

/** Writes the folder; returns what could not be kept (description, tags) as warnings. */
export async function saveAzureMlV1Folder(
  definition: Definition,
  dir: string,
  options: SaveAzureMlV1FolderOptions = {},
): Promise<{ readonly warnings: readonly Problem[] }> {
  // Everything that can be refused is refused before the disk is touched.
  const { files, warnings } = azureMlV1FromDefinition(definition);
  const target = resolve(dir);
  const exists = await checkTarget(dir, target, options.overwrite ?? false);

  await writeFolder(
    dir,
    async (staging) => {
      for (const [name, text] of Object.entries(files)) {
        await writeFile(join(staging, name), text, { flag: "wx" });
      }
    },
    { replace: exists },
  );
  return { warnings };
}

/** True when the folder exists and may be replaced; throws when it may not. */
async function checkTarget(dir: string, target: string, overwrite: boolean): Promise<boolean> {
  let info;
  try {
    info = await lstat(target);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw fileError(dir, "inspect the folder", error);
  }
  if (!overwrite) {
    throw new ConflictError(`${dir} already exists; pass overwrite to replace it`);
  }
  if (!info.isDirectory()) {
    throw new ConflictError(`${dir} exists and is not a folder; it was left as it is`);
  }
  const names = await readdir(target);
  const foreign = names.filter((name) => !FOLDER_FILES.includes(name)).sort();
  if (foreign.length > 0) {
    throw new ConflictError(
      `${dir} holds files that are not part of an Azure ML v1 folder (${foreign.join(", ")}); it was left as it is`,
    );
  }
  return true;
}

import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Recipe } from "../recipe/index.js";
import type { Definition } from "../definition/definition.js";
import { checkOutputFolder, writeFolder } from "./write-folder.js";

const CONDA_SPECIFICATION_PATH = "envforge/environment.yml";
const LISTING_PATH = "envforge/ingredients.json";

export interface WriteIngredientsOptions {
  /** Replace a folder that already holds files. */
  readonly force?: boolean;
}

export interface WrittenIngredients {
  readonly folder: string;
  /** Context paths written, sorted. */
  readonly files: readonly string[];
  /** Folders a build fills: conda groups, pip layers, VCS and build-context sources. */
  readonly pendingFolders: readonly string[];
}

/**
 * Writes a recipe's build context to `folder`: the generated files (Dockerfile, conda spec, pip
 * requirements), the user's build-context files, and `envforge/ingredients.json` listing it all.
 * Everything is written into a temporary sibling folder first and renamed into place, so a
 * failure never leaves a half-written folder behind.
 */
export async function writeIngredients(
  recipe: Recipe,
  definition: Definition,
  folder: string,
  options: WriteIngredientsOptions = {},
): Promise<WrittenIngredients> {
  const exists = await checkOutputFolder(folder, options.force === true);
  const written: string[] = [];
  const pendingFolders = recipe.context
    .filter(
      (entry) =>
        entry.source === "conda-prefix" ||
        entry.source === "pip-layer" ||
        entry.source === "vcs-source" ||
        entry.source === "local-source",
    )
    .map((entry) => entry.path);
  await writeFolder(
    folder,
    async (staging) => {
      for (const file of recipe.generatedFiles) {
        await writeInside(staging, file.path, file.content);
        written.push(file.path);
      }
      // The build installs conda packages from the lock, not from this file; it is written so
      // the folder shows everything the environment was made from (Azure's mutated conda yml).
      if (recipe.condaSpecification !== undefined && !written.includes(CONDA_SPECIFICATION_PATH)) {
        await writeInside(staging, CONDA_SPECIFICATION_PATH, recipe.condaSpecification);
        written.push(CONDA_SPECIFICATION_PATH);
      }
      if (definition.base.kind === "build") {
        for (const file of definition.base.files) {
          const target = join(staging, file.path);
          await mkdir(dirname(target), { recursive: true });
          await copyFile(join(definition.base.contextPath, file.path), target);
          written.push(file.path);
        }
      }
      await writeInside(staging, LISTING_PATH, `${JSON.stringify(listing(recipe), null, 2)}\n`);
      written.push(LISTING_PATH);
    },
    { replace: exists },
  );
  return { folder, files: written.sort(), pendingFolders };
}

function listing(recipe: Recipe): unknown {
  return {
    definitionHash: recipe.definitionHash,
    imageHash: recipe.imageHash,
    dockerfilePath: recipe.dockerfilePath,
    context: recipe.context,
    packageGroups: recipe.packageGroups.map((group) => ({
      name: group.name,
      directory: group.directory,
      packages: group.packages.map((p) => `${p.name}-${p.version}-${p.build}`),
    })),
    buildSecrets: recipe.buildSecrets,
    pythonEnvironment: recipe.pythonEnvironment,
  };
}

async function writeInside(root: string, path: string, content: string): Promise<void> {
  const target = join(root, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, content);
}

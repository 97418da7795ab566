/**
 * Curated environments: definition files shipped in the package as `curated/<name>/envforge.yaml`,
 * listed read-only in every workspace. The reserved prefix keeps users' names clear of them.
 * They are self-contained (image and inline conda_file, no other files), so reading one needs
 * only definition/'s pure parser; tests may pass their own folder or loader.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InternalError } from "../errors/index.js";
import type { Definition, ParseSettings } from "../definition/definition.js";
import { DEFAULT_PARSE_SETTINGS } from "../definition/definition.js";
import { isReservedName } from "./validation.js";

export interface CuratedEnvironment {
  readonly name: string;
  readonly version: number;
  readonly definition: Definition;
  /** Path (relative to the environment's folder) → text, for display. */
  readonly sourceFiles: Readonly<Record<string, string>>;
}

export interface CuratedCatalog {
  /** Sorted by name. */
  list(): Promise<readonly CuratedEnvironment[]>;
}

export interface LoadedDefinition {
  readonly definition: Definition;
  readonly sourceFiles: Readonly<Record<string, string>>;
}

/** Parses one curated definition file. */
export type LoadCuratedDefinition = (file: string) => Promise<LoadedDefinition>;

/** `curated/` at the package root: two levels above both src/workspace/ and dist/workspace/. */
export const CURATED_FOLDER = fileURLToPath(new URL("../../curated/", import.meta.url));
export const CURATED_FILE_NAME = "envforge.yaml";

export const NO_CURATED: CuratedCatalog = { list: async () => [] };

/** The catalog shipped with envforge. */
export function shippedCuratedCatalog(
  options: { readonly settings?: ParseSettings } = {},
): CuratedCatalog {
  return folderCuratedCatalog({
    load: selfContainedLoader(options.settings ?? DEFAULT_PARSE_SETTINGS),
  });
}

/** Reads an envforge.yaml that needs no other file (no conda_file path, no build context). */
export function selfContainedLoader(settings: ParseSettings): LoadCuratedDefinition {
  return async (file) => {
    // The parser loads when a curated file is first read, not with every workspace.
    const { definitionFromEnvforgeFile, envforgeFileNeeds, parseEnvforgeFile } =
      await import("../definition/envforge-file.js");
    const text = await readFile(file, "utf8");
    const parsed = parseEnvforgeFile({ path: file, text });
    const needs = envforgeFileNeeds(parsed);
    if (needs.condaFile !== undefined || needs.buildContext !== undefined) {
      throw new InternalError(
        `curated environment ${file} refers to other files; curated files must be self-contained`,
      );
    }
    return {
      definition: definitionFromEnvforgeFile(parsed, {}, settings),
      sourceFiles: { [CURATED_FILE_NAME]: text },
    };
  };
}

export function folderCuratedCatalog(options: {
  readonly load: LoadCuratedDefinition;
  readonly folder?: string;
}): CuratedCatalog {
  const folder = options.folder ?? CURATED_FOLDER;
  // Shipped files do not change while envforge runs: read them once.
  let loaded: Promise<readonly CuratedEnvironment[]> | undefined;
  return {
    list: () => {
      loaded ??= loadAll(folder, options.load);
      return loaded;
    },
  };
}

async function loadAll(
  folder: string,
  load: LoadCuratedDefinition,
): Promise<readonly CuratedEnvironment[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const out: CuratedEnvironment[] = [];
  for (const name of names) {
    const file = join(folder, name, CURATED_FILE_NAME);
    const { definition, sourceFiles } = await load(file);
    // A shipped file that breaks these rules is a packaging bug, not a user error.
    if (!isReservedName(name) || definition.name !== name) {
      throw new InternalError(
        `curated environment ${file}: its folder and its name: must be the same and start with the reserved prefix (found folder ${name}, name ${String(definition.name)})`,
      );
    }
    const version = definition.version ?? "1";
    if (!/^[1-9][0-9]{0,8}$/.test(version)) {
      throw new InternalError(`curated environment ${file}: version ${version} is not a number`);
    }
    out.push({ name, version: Number(version), definition, sourceFiles });
  }
  return out;
}

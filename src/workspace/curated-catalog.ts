/**
 * Curated environments: definition files shipped in the package under `curated/<name>/`,
 * listed read-only in every workspace. The reserved prefix keeps users' names clear of them.
 * Parsing is passed in (`load`), so this module needs no parser and tests can give their own
 * folder.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InternalError } from "../errors/index.js";
import type { Definition } from "../spec/definition.js";
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

/** Parses one curated definition file (the host's definition loader, in production). */
export type LoadCuratedDefinition = (file: string) => Promise<LoadedDefinition>;

/** `curated/` at the package root: two levels above both src/workspace/ and dist/workspace/. */
export const CURATED_FOLDER = fileURLToPath(new URL("../../curated/", import.meta.url));
export const CURATED_FILE_NAME = "envforge.yaml";

export const NO_CURATED: CuratedCatalog = { list: async () => [] };

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

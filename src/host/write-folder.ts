import { chmod, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ConflictError, EnvforgeError, ValidationError } from "../errors/index.js";
import { errorCode, fileError } from "./file-errors.js";

export interface WriteFolderOptions {
  /** The folder exists and the caller checked that it may be replaced. */
  readonly replace: boolean;
}

/**
 * Makes a folder all at once: `fill` writes into a temporary sibling, which then takes the
 * folder's place (swapping out an existing one when `replace`). On any failure the temporary
 * folder is removed and the old folder, if any, is left as it was.
 */
export async function writeFolder(
  dir: string,
  fill: (staging: string) => Promise<void>,
  options: WriteFolderOptions,
): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  try {
    await mkdir(parent, { recursive: true });
  } catch (error) {
    throw fileError(parent, "create the folder", error);
  }
  let staging: string;
  try {
    staging = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
  } catch (error) {
    throw fileError(parent, "create a temporary folder", error);
  }
  try {
    // mkdtemp makes a private (0700) folder; the written folder is an ordinary one.
    await chmod(staging, 0o755);
    await fill(staging);
    if (options.replace) {
      const old = `${staging}-old`;
      await rename(target, old);
      try {
        await rename(staging, target);
      } catch (error) {
        await rename(old, target);
        throw error;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(staging, target);
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (error instanceof EnvforgeError) throw error;
    const code = errorCode(error);
    if (!options.replace && (code === "ENOTEMPTY" || code === "EEXIST")) {
      throw new ConflictError(`${dir} was created by someone else while writing it`, {
        cause: error,
      });
    }
    throw fileError(dir, "write the folder", error);
  }
}

/**
 * For commands that write a folder of output: true when the folder exists (empty, or holding
 * files the user allowed to be replaced with `force`); throws when it holds files and may not.
 */
export async function checkOutputFolder(folder: string, force: boolean): Promise<boolean> {
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

import { chmod, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ConflictError, EnvforgeError } from "../errors/index.js";
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

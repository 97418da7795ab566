import { stat } from "node:fs/promises";

/**
 * Whether anything is at `path`. For the caches' "someone else already put it there" checks,
 * where any failure to stat means "not there" and the caller goes on to make it.
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
